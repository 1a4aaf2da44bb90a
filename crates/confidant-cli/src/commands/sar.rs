//! `confidant sar ...`, `confidant retention ...` and `confidant client
//! access-log`: parse, call the application layer
//! (`confidant_service::{sar, retention}`), print. No rules live here.

use super::GlobalOpts;
use super::store::runtime;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use confidant_core::calendar::ServiceCalendar;
use confidant_core::ids::{ClientId, MatterId, NoteId};
use confidant_core::record::{CivilDate, Timestamp};
use confidant_service::package::DeliverTo;
use confidant_service::sar::{OnBehalf, OpenSar, Respond, SarFilter, SarView, Withheld};
use confidant_service::{Service, parse_time};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum SarTopCommand {
    /// Subject access requests (UK GDPR Art. 15).
    #[command(subcommand)]
    Sar(SarCommand),
    /// Retention on schedule: what falls due, and the sweep.
    #[command(subcommand)]
    Retention(RetentionCommand),
}

#[derive(Debug, Args)]
pub struct Tz {
    /// The service's time zone: every date shown or counted is a date
    /// there (an IANA name).
    #[arg(long, env = "CONFIDANT_TIME_ZONE", default_value = "Europe/London")]
    pub(crate) time_zone: String,
}

#[derive(Debug, Subcommand)]
pub enum SarCommand {
    /// Open a SAR on a client (any wording counts).
    Open {
        client_id: String,
        /// When it was received (YYYY-MM-DD or RFC 3339; default now).
        #[arg(long)]
        received: Option<String>,
        /// The requester's identity must be confirmed before the clock starts.
        #[arg(long)]
        identity_check: bool,
        /// Someone asking on the client's behalf (with --authority and --evidence).
        #[arg(long)]
        requester: Option<String>,
        /// parental-responsibility, attorney, deputy or written-authorisation.
        #[arg(long)]
        authority: Option<String>,
        #[arg(long)]
        evidence: Option<String>,
        /// A competent child's own view of a request made for them.
        #[arg(long)]
        child_view: Option<String>,
        /// Why a child asked for under parental responsibility is not
        /// competent to decide (else --child-view is required).
        #[arg(long)]
        child_not_competent: Option<String>,
        #[arg(long)]
        wording: Option<String>,
        #[arg(long, default_value = "uk-law")]
        policy: String,
        #[command(flatten)]
        tz: Tz,
        #[arg(long)]
        json: bool,
    },
    Show {
        sar_id: String,
        #[command(flatten)]
        tz: Tz,
        #[arg(long)]
        json: bool,
    },
    /// Every SAR, overdue first, with days left.
    List {
        #[arg(long)]
        client: Option<String>,
        /// Only requests still awaiting a response.
        #[arg(long, conflicts_with = "overdue")]
        due: bool,
        #[arg(long)]
        overdue: bool,
        #[command(flatten)]
        tz: Tz,
        #[arg(long)]
        json: bool,
    },
    /// Record that the requester's identity was confirmed.
    ConfirmIdentity {
        sar_id: String,
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        tz: Tz,
    },
    /// Extend by one or two months (notice with reasons, within the first month).
    Extend {
        sar_id: String,
        #[arg(long)]
        months: u8,
        #[arg(long)]
        reasons: String,
        /// When the notice was sent (default today).
        #[arg(long)]
        notice_sent: Option<String>,
        #[command(flatten)]
        tz: Tz,
    },
    /// Pause the clock while the requester clarifies.
    Pause {
        sar_id: String,
        #[arg(long)]
        asked: String,
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        tz: Tz,
    },
    Resume {
        sar_id: String,
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        tz: Tz,
    },
    /// Build the complete response, sealed with age, and close the SAR.
    Respond {
        sar_id: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        recipient_key: Option<String>,
        #[arg(long)]
        passphrase_env: Option<String>,
        /// Another party who consented to their information being released.
        #[arg(long = "third-party-consented")]
        third_party_consented: Vec<String>,
        /// NOTE_ID withheld under the serious-harm exemption.
        #[arg(long)]
        withhold: Vec<String>,
        #[arg(long)]
        health_professional: Option<String>,
        #[arg(long)]
        opinion_date: Option<String>,
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        tz: Tz,
    },
    /// Refuse a manifestly unfounded or excessive request; prints the letter.
    Refuse {
        sar_id: String,
        #[arg(long)]
        grounds: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        tz: Tz,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Every client's retention position by a date.
    Due {
        #[arg(long)]
        by: Option<String>,
        #[arg(long, default_value = "uk-law")]
        policy: String,
        #[command(flatten)]
        tz: Tz,
        #[arg(long)]
        json: bool,
    },
    /// Destroy what is due (a dry run without --apply); held clients are skipped.
    Sweep {
        #[arg(long)]
        apply: bool,
        #[arg(long)]
        by: Option<String>,
        /// Limit the sweep to these clients (refused if any is held or not due).
        #[arg(long)]
        client: Vec<String>,
        #[arg(long, default_value = "uk-law")]
        policy: String,
        #[command(flatten)]
        tz: Tz,
        #[arg(long)]
        json: bool,
    },
}

fn date(s: &Option<String>) -> anyhow::Result<Option<CivilDate>> {
    Ok(s.as_deref()
        .map(|s| CivilDate::parse(s, "date"))
        .transpose()?)
}

pub(crate) async fn svc(global: &GlobalOpts, tz: &Tz) -> anyhow::Result<(Service, String)> {
    let cal = ServiceCalendar::new(&tz.time_zone)?;
    let (svc, actor) = super::matters::service(global).await?;
    Ok((svc.with_calendar(cal), actor))
}

fn print_json<T: Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn print_sar(v: &SarView) {
    println!(
        "{}  client {}  received {}  identity {}  {}  due {}  {}",
        v.id,
        v.client_id,
        v.received,
        v.identity,
        v.outcome,
        v.clock
            .due
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into()),
        match v.clock.days_left {
            Some(n) if v.outcome == "open" && n < 0 => format!("OVERDUE by {} days", -n),
            Some(n) if v.outcome == "open" => format!("{n} days left"),
            _ => String::new(),
        }
    );
}

pub fn run(global: &GlobalOpts, c: SarTopCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match c {
            SarTopCommand::Sar(c) => sar(global, c).await,
            SarTopCommand::Retention(c) => retention(global, c).await,
        }
    })
}

async fn sar(global: &GlobalOpts, c: SarCommand) -> anyhow::Result<ExitCode> {
    match c {
        SarCommand::Open {
            client_id,
            received,
            identity_check,
            requester,
            authority,
            evidence,
            child_view,
            child_not_competent,
            wording,
            policy,
            tz,
            json,
        } => {
            let client_id = client_id.parse::<ClientId>()?;
            let received_at = match received.as_deref() {
                None => Timestamp(confidant_store::now_micros()),
                Some(s) => parse_time(s).context("--received is not a date or time")?,
            };
            let on_behalf = match (requester, authority, evidence) {
                (None, None, None) => {
                    if child_view.is_some() || child_not_competent.is_some() {
                        bail!("--child-view is for a request made on a child's behalf");
                    }
                    None
                }
                (Some(requester), Some(a), Some(evidence)) => Some(OnBehalf {
                    requester,
                    authority: a.parse()?,
                    evidence,
                    child_view,
                    child_not_competent,
                }),
                _ => bail!(
                    "a request on someone's behalf needs --requester, --authority and --evidence"
                ),
            };
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc
                .open_sar(
                    &actor,
                    &OpenSar {
                        client_id,
                        received_at,
                        identity_check,
                        on_behalf,
                        wording,
                        policy,
                    },
                )
                .await;
            let shown = match &r {
                Ok(id) => Some(svc.show_sar(&actor, id).await),
                Err(_) => None,
            };
            svc.close().await;
            let id = r?;
            let v = shown.context("internal")??;
            if json {
                print_json(&v)?;
            } else {
                println!("{id}");
                print_sar(&v);
            }
        }
        SarCommand::Show { sar_id, tz, json } => {
            let id = sar_id.parse::<MatterId>()?;
            let (svc, actor) = svc(global, &tz).await?;
            let v = svc.show_sar(&actor, &id).await;
            svc.close().await;
            let v = v?;
            if json {
                print_json(&v)?;
            } else {
                print_sar(&v);
            }
        }
        SarCommand::List {
            client,
            due,
            overdue,
            tz,
            json,
        } => {
            let client = client.map(|c| c.parse::<ClientId>()).transpose()?;
            let filter = match (due, overdue) {
                (true, _) => SarFilter::Due,
                (_, true) => SarFilter::Overdue,
                _ => SarFilter::All,
            };
            let (svc, actor) = svc(global, &tz).await?;
            let v = svc.list_sars(&actor, client.as_ref(), filter).await;
            svc.close().await;
            let v = v?;
            if json {
                print_json(&v)?;
            } else {
                v.iter().for_each(print_sar);
            }
        }
        SarCommand::ConfirmIdentity { sar_id, on, tz } => {
            let id = sar_id.parse::<MatterId>()?;
            let on = date(&on)?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc.confirm_sar_identity(&actor, &id, on).await;
            svc.close().await;
            r?;
        }
        SarCommand::Extend {
            sar_id,
            months,
            reasons,
            notice_sent,
            tz,
        } => {
            let id = sar_id.parse::<MatterId>()?;
            let on = date(&notice_sent)?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc.extend_sar(&actor, &id, on, months, &reasons).await;
            svc.close().await;
            r?;
        }
        SarCommand::Pause {
            sar_id,
            asked,
            on,
            tz,
        } => {
            let id = sar_id.parse::<MatterId>()?;
            let on = date(&on)?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc.pause_sar(&actor, &id, on, &asked).await;
            svc.close().await;
            r?;
        }
        SarCommand::Resume { sar_id, on, tz } => {
            let id = sar_id.parse::<MatterId>()?;
            let on = date(&on)?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc.resume_sar(&actor, &id, on).await;
            svc.close().await;
            r?;
        }
        SarCommand::Respond {
            sar_id,
            out,
            recipient_key,
            passphrase_env,
            third_party_consented,
            withhold,
            health_professional,
            opinion_date,
            on,
            tz,
        } => {
            let id = sar_id.parse::<MatterId>()?;
            let on = date(&on)?;
            confidant_service::sar::check_out_dir(&out)?;
            let to = match (recipient_key, passphrase_env) {
                (Some(k), None) => DeliverTo::AgeRecipient(k),
                (None, Some(var)) => {
                    let p = std::env::var(&var)
                        .with_context(|| format!("--passphrase-env: ${var} is not set"))?;
                    if p.chars().count() < 12 {
                        bail!("the passphrase must be 12 characters or more");
                    }
                    DeliverTo::Passphrase(p)
                }
                _ => bail!("say how the response is sealed: --recipient-key or --passphrase-env"),
            };
            let withheld = withhold
                .iter()
                .map(|n| {
                    Ok(Withheld {
                        note_id: n.parse::<NoteId>()?,
                        professional: health_professional.clone().context(
                            "withholding under the serious-harm exemption needs \
                             --health-professional and --opinion-date",
                        )?,
                        opinion_date: opinion_date.clone().context(
                            "withholding under the serious-harm exemption needs \
                             --health-professional and --opinion-date",
                        )?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let consenting = third_party_consented
                .iter()
                .map(|c| c.parse::<ClientId>())
                .collect::<Result<Vec<_>, _>>()?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc
                .respond_sar(
                    &actor,
                    &id,
                    &Respond {
                        on,
                        consenting_third_parties: consenting,
                        withheld,
                        to,
                        out_dir: out,
                    },
                )
                .await;
            svc.close().await;
            println!("{}", r?.display());
        }
        SarCommand::Refuse {
            sar_id,
            grounds,
            reason,
            on,
            tz,
        } => {
            let id = sar_id.parse::<MatterId>()?;
            let on = date(&on)?;
            let grounds = grounds.parse()?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc.refuse_sar(&actor, &id, on, grounds, &reason).await;
            svc.close().await;
            println!("{}", r?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn retention(global: &GlobalOpts, c: RetentionCommand) -> anyhow::Result<ExitCode> {
    match c {
        RetentionCommand::Due {
            by,
            policy,
            tz,
            json,
        } => {
            let by = date(&by)?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc.retention_due(&actor, &policy, by).await;
            svc.close().await;
            let rows = r?;
            if json {
                print_json(&rows)?;
            } else {
                for r in &rows {
                    println!(
                        "{}  {:?}  due {}{}  {}",
                        r.client_id,
                        r.state,
                        r.due.as_deref().unwrap_or("-"),
                        if r.on_hold { "  ON HOLD" } else { "" },
                        r.rule.as_deref().unwrap_or(&r.why)
                    );
                }
            }
        }
        RetentionCommand::Sweep {
            apply,
            by,
            client,
            policy,
            tz,
            json,
        } => {
            let by = date(&by)?;
            let only = client
                .iter()
                .map(|c| c.parse::<ClientId>())
                .collect::<Result<Vec<_>, _>>()?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc.retention_sweep(&actor, &policy, by, &only, apply).await;
            svc.close().await;
            let report = r?;
            if json {
                print_json(&report)?;
            } else {
                let verb = if apply { "destroyed" } else { "would destroy" };
                for r in &report.destroyed {
                    println!(
                        "{verb} {}  due {}",
                        r.client_id,
                        r.due.as_deref().unwrap_or("-")
                    );
                }
                for r in &report.held {
                    println!("skipped {} (legal hold)", r.client_id);
                }
                if !apply {
                    eprintln!("dry run: nothing destroyed (use --apply)");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `confidant client access-log CLIENT_ID`.
pub async fn access_log(
    global: &GlobalOpts,
    client_id: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let id = client_id.parse::<ClientId>()?;
    let (svc, actor) = super::matters::service(global).await?;
    let r = svc.access_log(&actor, &id).await;
    svc.close().await;
    let rows: Vec<serde_json::Value> = r?
        .iter()
        .map(|e| {
            serde_json::json!({"seq": e.seq, "at": e.at.to_string(), "who": e.actor, "what": e.action.as_str()})
        })
        .collect();
    if json {
        print_json(&rows)?;
    } else {
        for r in &rows {
            println!(
                "{}  {}  {}",
                r["at"].as_str().unwrap_or(""),
                r["who"].as_str().unwrap_or(""),
                r["what"].as_str().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
