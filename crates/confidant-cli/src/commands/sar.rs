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
    /// Ask a reasonable fee (none by default): only for a manifestly
    /// unfounded or excessive request, or for further copies. The clock
    /// pauses until the fee is paid.
    Fee {
        sar_id: String,
        #[arg(long)]
        amount_pence: u64,
        /// manifestly-unfounded, manifestly-excessive or further-copies.
        #[arg(long)]
        reason: String,
        /// Why (recorded as a step).
        #[arg(long)]
        note: String,
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        tz: Tz,
    },
    /// Record that the fee asked was paid; the clock runs again from then.
    FeePaid {
        sar_id: String,
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
    // The one terminal filter for store content (`super::terminal_safe_json`).
    let json = serde_json::to_string_pretty(v)?;
    println!("{}", super::terminal_safe_json(&json));
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
    for f in &v.fees {
        println!(
            "  fee {} pence ({}) asked {}  {}",
            f.amount_pence,
            serde_json::to_value(f.grounds)
                .ok()
                .and_then(|g| g.as_str().map(str::to_owned))
                .unwrap_or_default(),
            f.asked_on,
            f.paid_on
                .as_deref()
                .map_or("unpaid: the clock is paused".to_owned(), |d| format!(
                    "paid {d}"
                ))
        );
    }
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
        SarCommand::Fee {
            sar_id,
            amount_pence,
            reason,
            note,
            on,
            tz,
        } => {
            let id = sar_id.parse::<MatterId>()?;
            let on = date(&on)?;
            let grounds = reason.parse()?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc
                .sar_fee(&actor, &id, on, amount_pence, grounds, &note)
                .await;
            svc.close().await;
            r?;
        }
        SarCommand::FeePaid { sar_id, on, tz } => {
            let id = sar_id.parse::<MatterId>()?;
            let on = date(&on)?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc.sar_fee_paid(&actor, &id, on).await;
            svc.close().await;
            r?;
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
                for r in &report.shared_notes {
                    println!(
                        "skipped {} (shares notes with another party: decide with \
                         `client destroy --shared-notes keep-redacted|destroy`)",
                        r.client_id
                    );
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

/// `confidant bench sar`: the complete SAR response for a client with many
/// notes (see BENCHMARKS.md).
#[derive(Debug, Args)]
pub struct BenchSarArgs {
    /// Notes of the requesting client.
    #[arg(long, default_value_t = 1000)]
    notes: usize,
    /// Where to create the temporary store (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// `confidant bench sweep`: retention over many clients (see BENCHMARKS.md).
#[derive(Debug, Args)]
pub struct BenchSweepArgs {
    /// Store sizes (clients), comma-separated.
    #[arg(long, default_value = "10000", value_delimiter = ',')]
    clients: Vec<usize>,
    /// Of those, how many are due (their work ended) and destroyed by the
    /// applied sweep.
    #[arg(long, default_value_t = 20)]
    due: usize,
    /// Where to create the temporary stores (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn bench_runtime() -> anyhow::Result<confidant_store::tokio::runtime::Runtime> {
    Ok(confidant_store::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

async fn bench_store(dir: &std::path::Path) -> anyhow::Result<Service> {
    let cfg = confidant_store::StoreConfig::new(dir.join("store"), None);
    let store = confidant_store::Store::init_with_key(
        &cfg,
        confidant_crypto::MasterKey::generate(),
        "bench",
    )
    .await?;
    Ok(Service::new(store))
}

pub fn bench_sar(global: &GlobalOpts, a: BenchSarArgs) -> anyhow::Result<ExitCode> {
    use confidant_core::record::{NewClient, NewNote};
    use std::time::Instant;
    if global.database_url.is_some() {
        bail!("bench sar runs on a fresh embedded SQLite store only");
    }
    let dir = a
        .dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("confidant-bench-sar-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let r = bench_runtime()?.block_on(async {
        let svc = bench_store(&dir).await?;
        let actor = "bench";
        let client = svc
            .store()
            .add_client(
                actor,
                &NewClient {
                    name: "Priya Natarajan".into(),
                    date_of_birth: CivilDate::new(1992, 2, 14),
                    ..NewClient::default()
                },
            )
            .await?;
        let notes: Vec<NewNote> = (0..a.notes)
            .map(|i| NewNote::new(client.clone(), super::matters::bench_note(i)))
            .collect();
        let bytes: usize = notes.iter().map(|n| n.text.len()).sum();
        svc.store().add_notes(actor, &notes).await?;
        let sar = svc
            .open_sar(
                actor,
                &OpenSar {
                    client_id: client.clone(),
                    received_at: Timestamp(confidant_store::now_micros()),
                    identity_check: false,
                    on_behalf: None,
                    wording: Some("everything you hold about me".into()),
                    policy: "wwdd-coaching".into(),
                },
            )
            .await?;
        let out = dir.join("out");
        std::fs::create_dir_all(&out)?;
        let key = age::x25519::Identity::generate();
        let t = Instant::now();
        let file = svc
            .respond_sar(
                actor,
                &sar,
                &Respond {
                    on: None,
                    consenting_third_parties: Vec::new(),
                    withheld: Vec::new(),
                    to: DeliverTo::AgeRecipient(key.to_public().to_string()),
                    out_dir: out,
                },
            )
            .await?;
        let secs = t.elapsed().as_secs_f64();
        let sealed = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let v = svc.show_sar(actor, &sar).await?;
        let redactions = v
            .response
            .as_ref()
            .and_then(|r| r["redactions"].as_u64())
            .unwrap_or(0);
        svc.close().await;
        println!(
            "SAR response for a client with {} notes ({:.0} KiB of text): {:.3} s ({:.0} notes/s, {} third-party spans redacted), {} KiB sealed",
            a.notes,
            bytes as f64 / 1024.0,
            secs,
            a.notes as f64 / secs.max(1e-9),
            redactions,
            sealed / 1024
        );
        Ok::<_, anyhow::Error>(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    r?;
    Ok(ExitCode::SUCCESS)
}

pub fn bench_sweep(global: &GlobalOpts, a: BenchSweepArgs) -> anyhow::Result<ExitCode> {
    use confidant_core::record::{ClientFlags, NewClient, NewNote};
    use std::time::Instant;
    if global.database_url.is_some() {
        bail!("bench sweep runs on a fresh embedded SQLite store only");
    }
    let base = a.dir.clone().unwrap_or_else(std::env::temp_dir);
    // A policy whose period runs out when the work ends: the `due` clients
    // whose work has ended are due today, the others have not started.
    let policy_dir = base.join(format!(
        "confidant-bench-sweep-{}-policy",
        std::process::id()
    ));
    std::fs::create_dir_all(&policy_dir)?;
    let text = confidant_policy::Policy::builtin_text("wwdd-coaching")
        .context("built-in policy")?
        .replacen("months = 36", "months = 0", 1)
        .replacen(
            "from = \"the last session\"",
            "from = \"the end of the work\"",
            1,
        );
    let policy_path = policy_dir.join("sweep.toml");
    std::fs::write(&policy_path, text)?;
    let policy = policy_path.to_string_lossy().into_owned();
    let rt = bench_runtime()?;
    println!(
        "| clients | due | set-up s | dry run s | us per client (dry run) | applied s | s per destruction | destroyed |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for n in &a.clients {
        let n = *n;
        let due = a.due.min(n);
        let dir = base.join(format!("confidant-bench-sweep-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let row = rt.block_on(async {
            let svc = bench_store(&dir).await?;
            let actor = "bench";
            let t = Instant::now();
            let setup = confidant_service::progress::bar(n as u64, "bench sweep: set-up");
            let mut ids = Vec::with_capacity(n);
            // Registered in batches of 1,000 (one commit each, as a bulk
            // import would), so the set-up measures the store, not n fsyncs.
            let all: Vec<NewClient> = (0..n)
                .map(|i| NewClient {
                    name: format!("Client Number{i}"),
                    ..NewClient::default()
                })
                .collect();
            for chunk in all.chunks(1000) {
                ids.extend(svc.store().add_clients(actor, chunk).await?);
                setup.inc(chunk.len() as u64);
            }
            setup.finish_and_clear();
            let notes: Vec<NewNote> = ids
                .iter()
                .map(|c| NewNote::new(c.clone(), "session"))
                .collect();
            for chunk in notes.chunks(1000) {
                svc.store().add_notes(actor, chunk).await?;
            }
            // Spread the due clients through the store.
            let step = (n / due.max(1)).max(1);
            for c in ids.iter().step_by(step).take(due) {
                svc.store()
                    .set_client_flags(
                        actor,
                        c,
                        ClientFlags {
                            work_ended: true,
                            ..ClientFlags::default()
                        },
                    )
                    .await?;
            }
            let setup_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let dry = svc
                .retention_sweep(actor, &policy, None, &[], false)
                .await?;
            let dry_s = t.elapsed().as_secs_f64();
            anyhow::ensure!(
                dry.destroyed.len() == due,
                "dry run found {} due",
                dry.destroyed.len()
            );
            let t = Instant::now();
            let applied = svc.retention_sweep(actor, &policy, None, &[], true).await?;
            let apply_s = t.elapsed().as_secs_f64();
            svc.close().await;
            Ok::<_, anyhow::Error>(format!(
                "| {n} | {due} | {setup_s:.1} | {dry_s:.3} | {:.1} | {apply_s:.2} | {:.3} | {} |",
                dry_s * 1e6 / n as f64,
                apply_s / applied.destroyed.len().max(1) as f64,
                applied.destroyed.len()
            ))
        });
        let _ = std::fs::remove_dir_all(&dir);
        println!("{}", row?);
    }
    let _ = std::fs::remove_dir_all(&policy_dir);
    Ok(ExitCode::SUCCESS)
}
