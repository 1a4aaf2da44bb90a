//! What the service promised and did: `client show` (the record view with
//! its retention due date and promises), `client limits-given`, `client
//! limits-missing`, `client agreement`, `complaint open|close|list`, `policy
//! review` and the store half of `policy check`. Parse, call the
//! application layer (`confidant_service::promises`), print. No rules here.

use super::GlobalOpts;
use super::sar::{Tz, svc};
use super::store::runtime;
use anyhow::Context;
use clap::{Args, Subcommand};
use confidant_core::ids::{CaseId, ClientId, PromiseId};
use confidant_core::record::CivilDate;
use confidant_service::parse_time;
use confidant_service::promises::{ComplaintOutcome, ComplaintRoute, HowGiven, ReviewStatus};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct PolicyArg {
    /// The policy in force (a built-in name or a policy file).
    #[arg(long, env = "CONFIDANT_POLICY", default_value = "uk-law")]
    pub policy: String,
}

#[derive(Debug, Args)]
pub struct LimitsGivenArgs {
    pub client_id: String,
    /// in-person, written, video, phone or group-format.
    #[arg(long)]
    pub how: String,
    /// When (YYYY-MM-DD or RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
    #[command(flatten)]
    pub policy: PolicyArg,
    #[command(flatten)]
    pub tz: Tz,
}

#[derive(Debug, Args)]
pub struct AgreementArgs {
    pub client_id: String,
    /// Everyone bound by it (at least two; repeat).
    #[arg(long = "party", required = true)]
    pub parties: Vec<String>,
    #[arg(long)]
    pub terms: String,
    /// The group or case it belongs to (the client must be a party).
    #[arg(long)]
    pub case: Option<String>,
    /// When it was agreed (default today).
    #[arg(long)]
    pub on: Option<String>,
    #[command(flatten)]
    pub tz: Tz,
}

#[derive(Debug, Subcommand)]
pub enum ComplaintTop {
    /// Complaints (recorded with their route and outcome; an open complaint
    /// holds the record).
    #[command(subcommand)]
    Complaint(ComplaintCommand),
}

#[derive(Debug, Subcommand)]
pub enum ComplaintCommand {
    /// Record a complaint and place a legal hold on the record; prints the
    /// complaint id and the hold id.
    Open {
        client_id: String,
        /// internal, professional-body, regulator or ico.
        #[arg(long)]
        route: String,
        /// The body complained to (required for professional-body or
        /// regulator: e.g. RSPH, INLPTA).
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        summary: String,
        /// When it was received (default today).
        #[arg(long)]
        received: Option<String>,
        #[command(flatten)]
        tz: Tz,
    },
    /// Record the outcome and release the complaint's hold.
    Close {
        client_id: String,
        complaint_id: String,
        /// upheld, partly-upheld, not-upheld, resolved or withdrawn.
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        note: String,
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        tz: Tz,
    },
    /// The client's complaints.
    List {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
}

fn date(s: &Option<String>) -> anyhow::Result<Option<CivilDate>> {
    Ok(s.as_deref()
        .map(|s| CivilDate::parse(s, "date"))
        .transpose()?)
}

fn print_json<T: Serialize>(v: &T) -> anyhow::Result<()> {
    println!(
        "{}",
        super::terminal_safe_json(&serde_json::to_string_pretty(v)?)
    );
    Ok(())
}

/// `confidant client show CLIENT_ID [--json]`.
pub async fn client_show(
    global: &GlobalOpts,
    client_id: &str,
    policy: &str,
    tz: &Tz,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let id = client_id.parse::<ClientId>()?;
    let (svc, actor) = svc(global, tz).await?;
    let r = svc.client_promises_record(&actor, &id, policy).await;
    svc.close().await;
    let v = r?;
    if json {
        print_json(&v)?;
        return Ok(ExitCode::SUCCESS);
    }
    let c = &v.client;
    let mut out = std::io::stdout().lock();
    writeln!(out, "id: {}", c.id)?;
    writeln!(out, "name: {}", super::terminal_safe(&c.name, false))?;
    if let Some(d) = c.date_of_birth {
        writeln!(out, "date of birth: {d}")?;
    }
    for (label, val) in [
        ("email", &c.email),
        ("phone", &c.phone),
        ("address", &c.address),
        ("postcode", &c.postcode),
    ] {
        if let Some(val) = val {
            writeln!(out, "{label}: {}", super::terminal_safe(val, false))?;
        }
    }
    if let Some(n) = &c.nhs_number {
        writeln!(out, "nhs number: {}", n.as_str())?;
    }
    writeln!(out, "flags: {}", serde_json::to_string(&c.flags)?)?;
    let r = &v.retention;
    writeln!(
        out,
        "destruction due: {}{}  ({:?}; policy {}{}){}",
        r.due.as_deref().unwrap_or("-"),
        if r.default_rule { " (default)" } else { "" },
        r.state,
        v.policy,
        r.rule
            .as_deref()
            .map(|t| format!("; {t}"))
            .unwrap_or_else(|| format!("; {}", r.why)),
        r.event
            .as_deref()
            .map(|e| format!("  from {e}"))
            .unwrap_or_default(),
    )?;
    if r.on_hold {
        writeln!(out, "legal hold: standing (not destroyed while it stands)")?;
    }
    if v.promises.limits_given.is_empty() {
        writeln!(out, "limits of confidentiality: not recorded as explained")?;
    }
    for l in &v.promises.limits_given {
        writeln!(
            out,
            "limits of confidentiality explained {} ({:?}), policy {}, statement sha256 {}",
            l.body.given_on, l.body.how, l.body.policy, l.body.statement_sha256
        )?;
    }
    for a in &v.promises.agreements {
        writeln!(
            out,
            "confidentiality agreement {} ({}): parties {}; terms: {}",
            a.id,
            a.body.agreed_on,
            super::terminal_safe(&a.body.parties.join(", "), false),
            super::terminal_safe(&a.body.terms, false)
        )?;
    }
    for c in &v.promises.complaints {
        writeln!(
            out,
            "complaint {} received {} via {:?}{}: {}",
            c.id,
            c.complaint.received_on,
            c.complaint.route,
            c.complaint
                .to
                .as_deref()
                .map(|t| format!(" ({})", super::terminal_safe(t, false)))
                .unwrap_or_default(),
            match &c.closed {
                None => "open (record held)".to_owned(),
                Some(x) => format!("closed {} {:?}", x.closed_on, x.outcome),
            }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `confidant client limits-given CLIENT_ID --how HOW [--at WHEN]`.
pub async fn limits_given(global: &GlobalOpts, a: LimitsGivenArgs) -> anyhow::Result<ExitCode> {
    let id = a.client_id.parse::<ClientId>()?;
    let how = a.how.parse::<HowGiven>()?;
    let at =
        a.at.as_deref()
            .map(|s| parse_time(s).context("--at is not a date or time"))
            .transpose()?;
    let (svc, actor) = svc(global, &a.tz).await?;
    let r = svc
        .record_limits_given(&actor, &id, &a.policy.policy, how, at)
        .await;
    svc.close().await;
    println!("{}", r?);
    Ok(ExitCode::SUCCESS)
}

/// `confidant client limits-missing`.
pub async fn limits_missing(
    global: &GlobalOpts,
    policy: &str,
    tz: &Tz,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let (svc, actor) = svc(global, tz).await?;
    let r = svc.limits_missing(&actor, policy).await;
    svc.close().await;
    let rows = r?;
    if json {
        print_json(&rows)?;
    } else {
        for r in &rows {
            println!("{}  {}", r.client_id, r.state);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `confidant client agreement CLIENT_ID --party P --party Q --terms T`.
pub async fn agreement(global: &GlobalOpts, a: AgreementArgs) -> anyhow::Result<ExitCode> {
    let id = a.client_id.parse::<ClientId>()?;
    let case = a.case.as_deref().map(str::parse::<CaseId>).transpose()?;
    let on = date(&a.on)?;
    let (svc, actor) = svc(global, &a.tz).await?;
    let r = svc
        .record_agreement(&actor, &id, &a.parties, &a.terms, case, on)
        .await;
    svc.close().await;
    println!("{}", r?);
    Ok(ExitCode::SUCCESS)
}

pub fn run(global: &GlobalOpts, c: ComplaintTop) -> anyhow::Result<ExitCode> {
    let ComplaintTop::Complaint(c) = c;
    runtime()?.block_on(complaint(global, c))
}

async fn complaint(global: &GlobalOpts, c: ComplaintCommand) -> anyhow::Result<ExitCode> {
    match c {
        ComplaintCommand::Open {
            client_id,
            route,
            to,
            summary,
            received,
            tz,
        } => {
            let id = client_id.parse::<ClientId>()?;
            let route = route.parse::<ComplaintRoute>()?;
            let received = date(&received)?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc
                .open_complaint(&actor, &id, route, to, &summary, received)
                .await;
            svc.close().await;
            let (complaint, hold) = r?;
            println!("{complaint}");
            eprintln!("legal hold {hold} placed while the complaint is open");
        }
        ComplaintCommand::Close {
            client_id,
            complaint_id,
            outcome,
            note,
            on,
            tz,
        } => {
            let id = client_id.parse::<ClientId>()?;
            let complaint = complaint_id.parse::<PromiseId>()?;
            let outcome = outcome.parse::<ComplaintOutcome>()?;
            let on = date(&on)?;
            let (svc, actor) = svc(global, &tz).await?;
            let r = svc
                .close_complaint(&actor, &id, &complaint, outcome, &note, on)
                .await;
            svc.close().await;
            r?;
            eprintln!("complaint closed; its legal hold released");
        }
        ComplaintCommand::List { client_id, json } => {
            let id = client_id.parse::<ClientId>()?;
            let (svc, actor) = super::matters::service(global).await?;
            let r = svc.promises(&actor, &id).await;
            svc.close().await;
            let v = r?;
            if json {
                print_json(&v.complaints)?;
            } else {
                for c in &v.complaints {
                    println!(
                        "{}  received {}  {:?}  {}",
                        c.id,
                        c.complaint.received_on,
                        c.complaint.route,
                        match &c.closed {
                            None => "open".to_owned(),
                            Some(x) => format!("closed {} {:?}", x.closed_on, x.outcome),
                        }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `confidant policy review POLICY --approved-by WHO [--on DATE]`.
pub fn policy_review(
    global: &GlobalOpts,
    policy: &str,
    approved_by: &str,
    on: Option<String>,
    tz: &Tz,
) -> anyhow::Result<ExitCode> {
    let on = date(&on)?;
    runtime()?.block_on(async {
        let (svc, actor) = svc(global, tz).await?;
        let r = svc
            .record_policy_review(&actor, policy, approved_by, on)
            .await;
        svc.close().await;
        println!("{}", r?);
        Ok(ExitCode::SUCCESS)
    })
}

/// Whether a store exists where the global options point (a database URL,
/// or a key file in the data directory).
pub fn store_present(global: &GlobalOpts) -> bool {
    global.database_url.is_some() || global.data.join(confidant_crypto::KEY_FILE_NAME).exists()
}

/// The last recorded review of `policy` in the store, as `policy check`
/// reports it.
pub fn review_status(
    global: &GlobalOpts,
    policy: &str,
    today: Option<CivilDate>,
    tz: &Tz,
) -> anyhow::Result<ReviewStatus> {
    runtime()?.block_on(async {
        let (svc, actor) = svc(global, tz).await?;
        let r = svc.review_status(&actor, policy, today).await;
        svc.close().await;
        Ok(r?)
    })
}
