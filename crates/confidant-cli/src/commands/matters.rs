//! `confidant` commands for work on records: matters, disclosure packages,
//! the accounting of disclosures, and the record around them
//! (practitioners, cases, flags, consent withdrawal, holds). A thin shell
//! over `confidant-service`: parse, call, print. Every printing command
//! takes `--json`. Contract: docs/cli-contract.md.

use super::GlobalOpts;
use super::store::{open, runtime};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use confidant_core::decision::{Obligation, Outcome, Recipient};
use confidant_core::ids::{
    CaseId, ClientId, ConsentId, MatterId, NoteId, PackageId, PractitionerId,
};
use confidant_core::record::{CaseKind, CivilDate, Role, Timestamp};
use confidant_core::situation::{AsksFor, Capacity, ConcernAbout, Crime, Requester, UseFor};
use confidant_service::package::Delivered;
use confidant_service::record::FlagChange;
use confidant_service::{
    BuildPackage, CapacityAssessment, ClientField, ClientTold, Consulted, DecideInput, DeliverTo,
    MatterSubject, MatterView, NewDecisionRecord, OpenMatter, PractitionerFacts, Selection,
    Service, VerbalRecord,
};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum WorkCommand {
    /// Requests, concerns and intended uses on a stored client or case.
    #[command(subcommand)]
    Matter(MatterCommand),
    /// Disclosure packages of a matter.
    #[command(subcommand)]
    Package(PackageCommand),
    /// Practitioners and their roles.
    #[command(subcommand)]
    Practitioner(PractitionerCommand),
    /// Cases (individual, couple, group) and their parties.
    #[command(subcommand)]
    Case(CaseCommand),
}

#[derive(Debug, Subcommand)]
pub enum MatterCommand {
    /// Open a matter on a client (or one of their cases); prints its id.
    Open(OpenArgs),
    /// Show a matter: subject, recommendation, decision record, packages,
    /// checklist and every step.
    Show {
        matter_id: String,
        #[arg(long)]
        json: bool,
    },
    /// List a client's matters.
    List {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Build the situation from the record, put it to the policy and store
    /// the recommendation.
    Decide(DecideArgs),
    /// Sign the decision record (then immutable).
    Record(RecordArgs),
    /// Append a correction to the signed decision record.
    Amend {
        matter_id: String,
        /// outcome, differs-reason, consulted, factors, why or client-told.
        #[arg(long)]
        field: String,
        #[arg(long)]
        correction: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// Attest that an obligation on the checklist was met.
    Attest {
        matter_id: String,
        obligation: String,
        #[arg(long)]
        note: String,
        #[arg(long)]
        json: bool,
    },
    /// Close the matter against its checklist.
    Close {
        matter_id: String,
        /// OBLIGATION=NOTE: attest an obligation as met.
        #[arg(long = "attest")]
        attest: Vec<String>,
        /// OBLIGATION=REASON: why an obligation was not met.
        #[arg(long = "unmet")]
        unmet: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    client_id: String,
    /// A built-in policy name or a policy file.
    #[arg(long, env = "CONFIDANT_POLICY")]
    policy: String,
    #[arg(long = "case")]
    case_id: Option<String>,
    /// A request from (police, court, solicitor, gp, client, partner, ...).
    #[arg(long, conflicts_with_all = ["concern", "use_for"])]
    request: Option<String>,
    /// What the request asks for (notes, report, all-personal-data, progress, personal-material).
    #[arg(long, requires = "request")]
    asks_for: Option<String>,
    /// Who is asking, as they gave it (sealed).
    #[arg(long, requires = "request")]
    requester: Option<String>,
    /// The request comes with a court order.
    #[arg(long, requires = "request")]
    court_order: bool,
    /// The court order's or production order's reference.
    #[arg(long, requires = "request")]
    authority_reference: Option<String>,
    /// The statutory basis the requester cites.
    #[arg(long, requires = "request")]
    statutory_basis: Option<String>,
    /// A concern about (suicide, self-harm, child-protection, crime, ...).
    #[arg(long, conflicts_with = "use_for")]
    concern: Option<String>,
    /// An intended use (supervision, training, research, publication, ...).
    #[arg(long = "use")]
    use_for: Option<String>,
    /// When it arrived (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; default now).
    #[arg(long)]
    arrived_at: Option<String>,
    /// A short description (sealed).
    #[arg(long)]
    summary: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    matter_id: String,
    /// The decision date (default today in the service's time zone,
    /// Europe/London).
    #[arg(long)]
    on: Option<String>,
    #[arg(long)]
    imminent: bool,
    #[arg(long)]
    confirmed: bool,
    #[arg(long)]
    life_threatening: bool,
    #[arg(long)]
    ongoing_risk: bool,
    /// The kind of crime (with a concern about a crime).
    #[arg(long)]
    crime: Option<String>,
    /// The client's age, only when the record holds no date of birth.
    #[arg(long)]
    age: Option<u32>,
    /// Capacity assessed for this decision: presumed, lacks or assessed.
    #[arg(long, requires_all = ["assessed_by", "assessed_at"])]
    capacity: Option<String>,
    #[arg(long, requires = "capacity")]
    assessed_by: Option<String>,
    #[arg(long, requires = "capacity")]
    assessed_at: Option<String>,
    #[arg(long, requires = "capacity")]
    capacity_note: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    matter_id: String,
    /// What was decided: withhold, seek-consent, disclose, escalate, emergency.
    #[arg(long)]
    outcome: String,
    /// Why the outcome differs from the recommendation.
    #[arg(long)]
    differs_reason: Option<String>,
    /// ROLE=NAME of someone consulted (repeat).
    #[arg(long = "consulted")]
    consulted: Vec<String>,
    /// ROLE of someone consulted anonymously, e.g. line-manager (repeat).
    #[arg(long = "consulted-anonymously")]
    consulted_anonymously: Vec<String>,
    /// A factor considered (repeat).
    #[arg(long = "factor")]
    factors: Vec<String>,
    /// Why this decision.
    #[arg(long)]
    why: String,
    /// How the client was told.
    #[arg(long, conflicts_with = "not_told_because")]
    told_how: Option<String>,
    /// When the client was told.
    #[arg(long, requires = "told_how")]
    told_at: Option<String>,
    /// Why the client was not told (tipping off, risk, ...).
    #[arg(long)]
    not_told_because: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Build the minimum-necessary package under the signed decision record.
    Build(BuildArgs),
    /// Show a built package (for a de-identified one, every removed span).
    Show {
        package_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Deliver a package: seal it as age files and add it to the client's
    /// accounting of disclosures (or record a verbal disclosure as made).
    Deliver {
        package_id: String,
        /// Directory for the sealed files.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The recipient's age public key (age1...).
        #[arg(long, conflicts_with_all = ["passphrase_env", "verbal"])]
        recipient_key: Option<String>,
        /// Name of an environment variable holding the passphrase.
        #[arg(long, conflicts_with = "verbal")]
        passphrase_env: Option<String>,
        /// The package is verbal only: record it as said.
        #[arg(long)]
        verbal: bool,
        /// The removed spans of a de-identified package were reviewed.
        #[arg(long)]
        reviewed: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    matter_id: String,
    /// The recipient (court, police, supervisor, ...), one the decision names.
    #[arg(long)]
    to: String,
    #[arg(long)]
    recipient_name: Option<String>,
    /// NOTE_ID=REASON (repeat).
    #[arg(long = "note")]
    notes: Vec<String>,
    /// NOTE_ID:START-END=REASON, code point offsets (repeat).
    #[arg(long = "extract")]
    extracts: Vec<String>,
    /// FIELD=REASON: name, date-of-birth, address, postcode, phone, email, nhs-number.
    #[arg(long = "field")]
    fields: Vec<String>,
    /// A JSON file: [{"note": ID, "reason": ..., "extract": [s, e]?} | {"field": F, "reason": ...}].
    #[arg(long)]
    select: Option<PathBuf>,
    /// A verbal-only disclosure: record what was said instead of a file.
    #[arg(long, requires_all = ["said", "to_whom", "means"])]
    verbal: bool,
    #[arg(long, requires = "verbal")]
    said: Option<String>,
    #[arg(long, requires = "verbal")]
    to_whom: Option<String>,
    #[arg(long, requires = "verbal")]
    means: Option<String>,
    /// When it was said (default now).
    #[arg(long, requires = "verbal")]
    at: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PractitionerCommand {
    /// Add a member of staff; prints the id.
    Add {
        #[arg(long)]
        name: String,
        /// practitioner, supervisor, safeguarding-officer, programme-lead, clinical-lead, administrator (repeat).
        #[arg(long = "role")]
        roles: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    Show {
        practitioner_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Add a case with its parties; prints the id.
    Add {
        /// individual, couple or group.
        #[arg(long)]
        kind: String,
        #[arg(long = "party", required = true)]
        parties: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    Show {
        case_id: String,
        #[arg(long)]
        json: bool,
    },
}

fn print_json<T: Serialize>(v: &T) -> anyhow::Result<()> {
    // The one terminal filter for store content (`super::terminal_safe_json`).
    let json = serde_json::to_string_pretty(v)?;
    println!("{}", super::terminal_safe_json(&json));
    Ok(())
}

fn time(s: &str, field: &'static str) -> anyhow::Result<Timestamp> {
    Ok(Timestamp::parse(s, field)?)
}

/// KEY=VALUE, both non-empty.
fn pair<'a>(s: &'a str, what: &str) -> anyhow::Result<(&'a str, &'a str)> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => Ok((k.trim(), v.trim())),
        _ => bail!("{what} must be KEY=VALUE with both parts non-empty"),
    }
}

fn id_line(json: bool, key: &str, id: &str) -> anyhow::Result<()> {
    if json {
        print_json(&serde_json::json!({ key: id }))
    } else {
        println!("{id}");
        Ok(())
    }
}

/// The application layer over the opened store, and the authenticated
/// actor: a registered practitioner named by `$CONFIDANT_ACTOR`, checked
/// against the store, or the local operator account.
pub(crate) async fn service(global: &GlobalOpts) -> anyhow::Result<(Service, String)> {
    super::store::harden_process();
    let store = open(global).await?;
    match super::store::actor(Some(&store)).await {
        Ok(actor) => Ok((Service::new(store), actor)),
        Err(e) => {
            store.close().await;
            Err(e)
        }
    }
}

pub fn run(global: &GlobalOpts, c: WorkCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(run_async(global, c))
}

async fn run_async(global: &GlobalOpts, c: WorkCommand) -> anyhow::Result<ExitCode> {
    match c {
        WorkCommand::Matter(m) => matter(global, m).await,
        WorkCommand::Package(p) => package(global, p).await,
        WorkCommand::Practitioner(p) => practitioner(global, p).await,
        WorkCommand::Case(c) => case(global, c).await,
    }
}

fn subject(a: &OpenArgs) -> anyhow::Result<MatterSubject> {
    Ok(match (&a.request, &a.concern, &a.use_for) {
        (Some(from), None, None) => MatterSubject::Request {
            from: from.parse::<Requester>()?,
            asks_for: a
                .asks_for
                .as_deref()
                .context("a request needs --asks-for")?
                .parse::<AsksFor>()?,
            requester: a.requester.clone(),
            court_order: a.court_order,
            authority_reference: a.authority_reference.clone(),
            statutory_basis: a.statutory_basis.clone(),
        },
        (None, Some(about), None) => MatterSubject::Concern {
            about: about.parse::<ConcernAbout>()?,
        },
        (None, None, Some(u)) => MatterSubject::Use {
            for_: u.parse::<UseFor>()?,
        },
        _ => bail!("say what the matter is: exactly one of --request, --concern or --use"),
    })
}

async fn matter(global: &GlobalOpts, c: MatterCommand) -> anyhow::Result<ExitCode> {
    match c {
        MatterCommand::Open(a) => {
            let m = OpenMatter {
                client_id: a.client_id.parse::<ClientId>()?,
                case_id: a.case_id.as_deref().map(str::parse::<CaseId>).transpose()?,
                policy: a.policy.clone(),
                subject: subject(&a)?,
                arrived_at: a
                    .arrived_at
                    .as_deref()
                    .map(|t| time(t, "--arrived-at"))
                    .transpose()?,
                summary: a.summary.clone(),
            };
            let (svc, actor) = service(global).await?;
            let id = svc.open_matter(&actor, &m).await;
            svc.close().await;
            id_line(a.json, "matter_id", id?.as_str())?;
        }
        MatterCommand::Show { matter_id, json } => {
            let id = matter_id.parse::<MatterId>()?;
            let (svc, actor) = service(global).await?;
            let v = svc.show(&actor, &id).await;
            svc.close().await;
            let v = v?;
            if json {
                print_json(&v)?;
            } else {
                print_matter(&v)?;
            }
        }
        MatterCommand::List { client_id, json } => {
            let id = client_id.parse::<ClientId>()?;
            let (svc, actor) = service(global).await?;
            let v = svc.list(&actor, &id).await;
            svc.close().await;
            let v = v?;
            if json {
                print_json(&v)?;
            } else {
                for m in &v {
                    println!(
                        "{}  {}  {}  {}",
                        m.id,
                        m.status,
                        m.opened_at,
                        subject_line(&m.subject)
                    );
                }
            }
        }
        MatterCommand::Decide(a) => {
            let id = a.matter_id.parse::<MatterId>()?;
            let flag = |b: bool| b.then_some(true);
            let input = DecideInput {
                on: a
                    .on
                    .as_deref()
                    .map(|d| CivilDate::parse(d, "--on"))
                    .transpose()?,
                facts: PractitionerFacts {
                    imminent: flag(a.imminent),
                    confirmed: flag(a.confirmed),
                    life_threatening: flag(a.life_threatening),
                    ongoing_risk: flag(a.ongoing_risk),
                    crime: a.crime.as_deref().map(str::parse::<Crime>).transpose()?,
                    age: a.age,
                },
                capacity: match &a.capacity {
                    None => None,
                    Some(c) => Some(CapacityAssessment {
                        outcome: c.parse::<Capacity>()?,
                        assessed_by: a.assessed_by.clone().unwrap_or_default(),
                        assessed_at: time(a.assessed_at.as_deref().unwrap_or(""), "--assessed-at")?,
                        note: a.capacity_note.clone(),
                    }),
                },
            };
            let (svc, actor) = service(global).await?;
            let rec = svc.decide(&actor, &id, &input).await;
            svc.close().await;
            let rec = rec?;
            if a.json {
                print_json(&rec)?;
            } else {
                let d = &rec.decision;
                let mut out = std::io::stdout().lock();
                writeln!(out, "recommendation: {}", d.outcome)?;
                writeln!(out, "policy: {} (sha256 {})", rec.policy, rec.policy_sha256)?;
                writeln!(
                    out,
                    "obligations: {}",
                    join(d.obligations.iter().map(|o| o.as_str()))
                )?;
                writeln!(
                    out,
                    "recipients: {}",
                    join(d.recipients.iter().map(|r| r.as_str()))
                )?;
                for r in &d.rules {
                    writeln!(out, "rule: {} ({})", r.id, r.source)?;
                }
                writeln!(out, "facts (on {}):", rec.decided_on)?;
                for p in &rec.provenance {
                    writeln!(
                        out,
                        "  {} = {}  [{}: {}]",
                        p.fact, p.value, p.source, p.detail
                    )?;
                }
            }
        }
        MatterCommand::Record(a) => {
            let id = a.matter_id.parse::<MatterId>()?;
            let mut consulted = Vec::new();
            for c in &a.consulted {
                let (role, name) = pair(c, "--consulted")?;
                consulted.push(Consulted {
                    name: Some(name.to_owned()),
                    role: role.to_owned(),
                    anonymously: false,
                });
            }
            for role in &a.consulted_anonymously {
                consulted.push(Consulted {
                    name: None,
                    role: role.clone(),
                    anonymously: true,
                });
            }
            let r = NewDecisionRecord {
                outcome: a.outcome.parse::<Outcome>()?,
                differs_reason: a.differs_reason.clone(),
                consulted,
                factors: a.factors.clone(),
                why: a.why.clone(),
                client_told: ClientTold {
                    told: a.told_how.is_some(),
                    how: a.told_how.clone(),
                    when: a
                        .told_at
                        .as_deref()
                        .map(|t| time(t, "--told-at"))
                        .transpose()?,
                    why_not: a.not_told_because.clone(),
                },
            };
            let (svc, actor) = service(global).await?;
            let step = svc.record(&actor, &id, &r).await;
            svc.close().await;
            id_line(a.json, "decision_record_id", &step?)?;
        }
        MatterCommand::Amend {
            matter_id,
            field,
            correction,
            reason,
            json,
        } => {
            let id = matter_id.parse::<MatterId>()?;
            let (svc, actor) = service(global).await?;
            let step = svc.amend(&actor, &id, &field, &correction, &reason).await;
            svc.close().await;
            id_line(json, "amendment_id", &step?)?;
        }
        MatterCommand::Attest {
            matter_id,
            obligation,
            note,
            json,
        } => {
            let id = matter_id.parse::<MatterId>()?;
            let o = obligation.parse::<Obligation>()?;
            let (svc, actor) = service(global).await?;
            let step = svc.attest(&actor, &id, o, &note).await;
            svc.close().await;
            id_line(json, "attestation_id", &step?)?;
        }
        MatterCommand::Close {
            matter_id,
            attest,
            unmet,
            json,
        } => {
            let id = matter_id.parse::<MatterId>()?;
            let parse = |v: &[String], what: &str| -> anyhow::Result<Vec<(Obligation, String)>> {
                v.iter()
                    .map(|s| {
                        let (o, t) = pair(s, what)?;
                        Ok((o.parse::<Obligation>()?, t.to_owned()))
                    })
                    .collect()
            };
            let attest = parse(&attest, "--attest")?;
            let unmet = parse(&unmet, "--unmet")?;
            let (svc, actor) = service(global).await?;
            let list = svc.close_matter(&actor, &id, &attest, &unmet).await;
            svc.close().await;
            let list = list?;
            if json {
                print_json(
                    &serde_json::json!({"matter_id": id, "status": "closed", "checklist": list}),
                )?;
            } else {
                println!("closed {id}");
                for i in &list {
                    println!("  {}: {} ({})", i.obligation, i.status, i.detail);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn join<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.collect();
    if v.is_empty() {
        "-".to_owned()
    } else {
        v.join(", ")
    }
}

fn subject_line(s: &serde_json::Value) -> String {
    let get = |k: &str| s.get(k).and_then(|v| v.as_str()).unwrap_or("");
    match get("kind") {
        "request" => format!("request from {} for {}", get("from"), get("asks_for")),
        "concern" => format!("concern about {}", get("about")),
        "use" => format!("use for {}", get("for")),
        _ => String::new(),
    }
}

fn print_matter(m: &MatterView) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "matter: {}  ({})", m.id, m.status)?;
    writeln!(out, "client: {}", m.client_id)?;
    if let Some(c) = &m.case_id {
        writeln!(out, "case: {c}")?;
    }
    writeln!(out, "subject: {}", subject_line(&m.subject))?;
    writeln!(out, "policy: {}", m.policy)?;
    writeln!(
        out,
        "opened: {} by {}; arrived {}",
        m.opened_at, m.opened_by, m.arrived_at
    )?;
    if let Some(r) = &m.recommendation {
        let d = &r["decision"];
        writeln!(
            out,
            "recommendation: {} (policy {} sha256 {})",
            d["outcome"].as_str().unwrap_or(""),
            r["policy"].as_str().unwrap_or(""),
            r["policy_sha256"].as_str().unwrap_or("")
        )?;
    }
    if let Some(r) = &m.decision_record {
        writeln!(
            out,
            "decision record: {} outcome {} by {} at {} (signature {})",
            r.id,
            r.body["outcome"].as_str().unwrap_or(""),
            r.actor,
            r.at,
            r.signature
        )?;
    }
    for a in &m.amendments {
        writeln!(
            out,
            "amendment {}: {}: {}",
            a.id,
            a.body["field"].as_str().unwrap_or(""),
            a.body["correction"].as_str().unwrap_or("")
        )?;
    }
    for p in &m.packages {
        writeln!(out, "package: {}", p)?;
    }
    writeln!(out, "checklist:")?;
    for i in &m.checklist {
        writeln!(out, "  {}: {} ({})", i.obligation, i.status, i.detail)?;
    }
    for s in &m.steps {
        writeln!(out, "step {} {} {} {}", s.at, s.kind, s.actor, s.id)?;
    }
    Ok(())
}

fn selections(a: &BuildArgs) -> anyhow::Result<Vec<Selection>> {
    let mut items = Vec::new();
    if let Some(path) = &a.select {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the selection file {}", path.display()))?;
        let v: Vec<Selection> = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "the selection file is not a list of {{\"note\"|\"field\", \"reason\", \"extract\"?}} (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        items.extend(v);
    }
    for n in &a.notes {
        let (id, reason) = pair(n, "--note")?;
        items.push(Selection {
            note: Some(id.parse::<NoteId>()?),
            field: None,
            extract: None,
            reason: reason.to_owned(),
        });
    }
    for e in &a.extracts {
        let (spec, reason) = pair(e, "--extract")?;
        let bad = || anyhow::anyhow!("--extract must be NOTE_ID:START-END=REASON");
        let (id, range) = spec.split_once(':').ok_or_else(bad)?;
        let (s, e) = range.split_once('-').ok_or_else(bad)?;
        items.push(Selection {
            note: Some(id.parse::<NoteId>()?),
            field: None,
            extract: Some((s.parse().map_err(|_| bad())?, e.parse().map_err(|_| bad())?)),
            reason: reason.to_owned(),
        });
    }
    for f in &a.fields {
        let (field, reason) = pair(f, "--field")?;
        items.push(Selection {
            note: None,
            field: Some(ClientField::parse(field).context(
                "unknown --field (expected name, date-of-birth, address, postcode, phone, email, nhs-number)",
            )?),
            extract: None,
            reason: reason.to_owned(),
        });
    }
    Ok(items)
}

#[derive(Serialize)]
struct DeliveredOut<'a> {
    #[serde(flatten)]
    d: &'a Delivered,
}

async fn package(global: &GlobalOpts, c: PackageCommand) -> anyhow::Result<ExitCode> {
    match c {
        PackageCommand::Build(a) => {
            let id = a.matter_id.parse::<MatterId>()?;
            let b = BuildPackage {
                recipient: a.to.parse::<Recipient>()?,
                recipient_name: a.recipient_name.clone(),
                items: selections(&a)?,
                verbal: if a.verbal {
                    Some(VerbalRecord {
                        said: a.said.clone().unwrap_or_default(),
                        to_whom: a.to_whom.clone().unwrap_or_default(),
                        at: match &a.at {
                            Some(t) => time(t, "--at")?,
                            None => Timestamp(confidant_store::now_micros()),
                        },
                        means: a.means.clone().unwrap_or_default(),
                    })
                } else {
                    None
                },
            };
            let (svc, actor) = service(global).await?;
            let pkg = svc.build_package(&actor, &id, &b).await;
            let pkg = match pkg {
                Ok(p) => p,
                Err(e) => {
                    svc.close().await;
                    return Err(e.into());
                }
            };
            let shown = svc.show_package(&actor, &pkg).await;
            svc.close().await;
            let shown = shown?;
            if a.json {
                print_json(&shown)?;
            } else {
                println!("{pkg}");
                print_removed(&shown);
            }
        }
        PackageCommand::Show { package_id, json } => {
            let id = package_id.parse::<PackageId>()?;
            let (svc, actor) = service(global).await?;
            let v = svc.show_package(&actor, &id).await;
            svc.close().await;
            let v = v?;
            if json {
                print_json(&v)?;
            } else {
                println!(
                    "package {} of matter {}",
                    id,
                    v["matter_id"].as_str().unwrap_or("")
                );
                println!(
                    "mode: {}; to: {}; delivered: {}",
                    v["mode"].as_str().unwrap_or(""),
                    v["recipient"].as_str().unwrap_or(""),
                    v["delivered"]
                );
                print_removed(&v);
                if let Some(h) = v["html"].as_str() {
                    println!("--- html ---\n{h}");
                }
            }
        }
        PackageCommand::Deliver {
            package_id,
            out,
            recipient_key,
            passphrase_env,
            verbal,
            reviewed,
            json,
        } => {
            let id = package_id.parse::<PackageId>()?;
            let to = match (recipient_key, passphrase_env, verbal) {
                (Some(k), None, false) => DeliverTo::AgeRecipient(k),
                (None, Some(var), false) => DeliverTo::Passphrase(
                    std::env::var(&var)
                        .ok()
                        .filter(|p| !p.is_empty())
                        .context("the --passphrase-env variable is not set")?,
                ),
                (None, None, true) => DeliverTo::Verbal,
                _ => bail!("say how to deliver: --recipient-key, --passphrase-env or --verbal"),
            };
            let (svc, actor) = service(global).await?;
            let d = svc
                .deliver_package(&actor, &id, &to, out.as_deref(), reviewed)
                .await;
            svc.close().await;
            let d = d?;
            if json {
                print_json(&DeliveredOut { d: &d })?;
            } else {
                println!(
                    "delivered {} (disclosure {})",
                    d.package_id, d.disclosure_id
                );
                for f in &d.files {
                    println!("{}", f.display());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_removed(v: &serde_json::Value) {
    if let Some(spans) = v["removed"].as_array() {
        println!("removed spans ({}):", spans.len());
        for s in spans {
            println!(
                "  item {} [{}..{}] {}: {}",
                s["item"].as_u64().unwrap_or(0) + 1,
                s["start"],
                s["end"],
                s["type"].as_str().unwrap_or(""),
                s["original"].as_str().unwrap_or("")
            );
        }
    }
}

async fn practitioner(global: &GlobalOpts, c: PractitionerCommand) -> anyhow::Result<ExitCode> {
    match c {
        PractitionerCommand::Add { name, roles, json } => {
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<Vec<_>, _>>()?;
            let (svc, actor) = service(global).await?;
            let id = svc.add_practitioner(&actor, &name, &roles).await;
            svc.close().await;
            id_line(json, "practitioner_id", id?.as_str())?;
        }
        PractitionerCommand::Show {
            practitioner_id,
            json,
        } => {
            let id = practitioner_id.parse::<PractitionerId>()?;
            let (svc, actor) = service(global).await?;
            let p = svc.practitioner(&actor, &id).await;
            svc.close().await;
            let p = p?;
            if json {
                print_json(&p)?;
            } else {
                println!(
                    "{}  {}  {}",
                    p.id,
                    p.name,
                    join(p.roles.iter().map(|r| r.as_str()))
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn case(global: &GlobalOpts, c: CaseCommand) -> anyhow::Result<ExitCode> {
    match c {
        CaseCommand::Add {
            kind,
            parties,
            json,
        } => {
            let kind = kind.parse::<CaseKind>()?;
            let parties = parties
                .iter()
                .map(|p| p.parse::<ClientId>())
                .collect::<Result<Vec<_>, _>>()?;
            let (svc, actor) = service(global).await?;
            let id = svc.add_case(&actor, kind, &parties).await;
            svc.close().await;
            id_line(json, "case_id", id?.as_str())?;
        }
        CaseCommand::Show { case_id, json } => {
            let id = case_id.parse::<CaseId>()?;
            let (svc, actor) = service(global).await?;
            let c = svc.case(&actor, &id).await;
            svc.close().await;
            let c = c?;
            if json {
                print_json(&c)?;
            } else {
                println!(
                    "{}  {}  {}",
                    c.id,
                    c.kind.as_str(),
                    join(c.parties.iter().map(|p| p.as_str()))
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- under `client`, `consent`, `hold`

/// `confidant client disclosures CLIENT_ID`.
pub async fn client_disclosures(
    global: &GlobalOpts,
    client_id: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let id = client_id.parse::<ClientId>()?;
    let (svc, actor) = service(global).await?;
    let list = svc.disclosures(&actor, &id).await;
    svc.close().await;
    let list = list?;
    if json {
        print_json(&list)?;
    } else {
        for d in &list {
            println!(
                "{}  {}  to {}  package {}  under {}  manifest sha256 {}",
                d["disclosure_id"].as_str().unwrap_or(""),
                d["at"].as_str().unwrap_or(""),
                d["what"]["recipient"].as_str().unwrap_or(""),
                d["package_id"].as_str().unwrap_or(""),
                d["decision_record_id"].as_str().unwrap_or(""),
                d["manifest_sha256"].as_str().unwrap_or("")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `confidant client flags CLIENT_ID [--protected true|false] ...`.
pub async fn client_flags(
    global: &GlobalOpts,
    client_id: &str,
    change: FlagChange,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let id = client_id.parse::<ClientId>()?;
    let (svc, actor) = service(global).await?;
    let flags = svc.set_flags(&actor, &id, change).await;
    svc.close().await;
    let flags = flags?;
    if json {
        print_json(&flags)?;
    } else {
        println!("{}", serde_json::to_string(&flags)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// `confidant client destroy CLIENT_ID --reason R [--shared-notes D]`:
/// prints the stored, signed certificate (JSON).
pub async fn client_destroy(
    global: &GlobalOpts,
    client_id: &str,
    reason: &str,
    shared_notes: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let id = client_id.parse::<ClientId>()?;
    if reason.trim().is_empty() {
        anyhow::bail!("--reason must not be empty");
    }
    let choice = shared_notes
        .map(str::parse::<confidant_service::record::SharedNotesChoice>)
        .transpose()?;
    let (svc, actor) = service(global).await?;
    let report = svc.destroy_client(&actor, &id, reason, choice).await;
    svc.close().await;
    print_json(&report?)?;
    Ok(ExitCode::SUCCESS)
}

/// `confidant consent withdraw CONSENT_ID [--at T]`.
pub async fn consent_withdraw(
    global: &GlobalOpts,
    consent_id: &str,
    at: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let id = consent_id.parse::<ConsentId>()?;
    let at = match at {
        Some(t) => time(t, "--at")?,
        None => Timestamp(confidant_store::now_micros()),
    };
    let (svc, actor) = service(global).await?;
    let r = svc.withdraw_consent(&actor, &id, at).await;
    svc.close().await;
    r?;
    Ok(ExitCode::SUCCESS)
}

/// `confidant hold list CLIENT_ID`: audited like every read.
pub async fn hold_list(
    global: &GlobalOpts,
    client_id: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let id = client_id.parse::<ClientId>()?;
    let (svc, actor) = service(global).await?;
    let holds = svc.list_holds(&actor, &id).await;
    svc.close().await;
    let holds = holds?;
    // JSON by default, as before; --json kept for symmetry.
    let _ = json;
    print_json(&holds)?;
    Ok(ExitCode::SUCCESS)
}

/// `hold release HOLD_ID`, through the application layer (which refuses a
/// hold an open complaint placed).
pub async fn hold_release(global: &GlobalOpts, hold_id: &str) -> anyhow::Result<ExitCode> {
    let id = hold_id.parse::<confidant_core::ids::HoldId>()?;
    let (svc, actor) = service(global).await?;
    let r = svc.release_hold(&actor, &id).await;
    svc.close().await;
    r?;
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- benchmark

/// `confidant bench matters`: figures for BENCHMARKS.md.
#[derive(Debug, Args)]
pub struct BenchMattersArgs {
    /// Notes of the client whose de-identified package is built.
    #[arg(long, default_value_t = 1000)]
    notes: usize,
    /// Matters taken from opening to the stored recommendation.
    #[arg(long, default_value_t = 10_000)]
    matters: usize,
    /// Concurrent tasks opening and deciding matters.
    #[arg(long, default_value_t = 8)]
    tasks: usize,
    /// Where to create the temporary store (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub(crate) fn bench_note(i: usize) -> String {
    const PEOPLE: &[&str] = &["Tom Hughes", "Grace", "Daniel Price", "Mrs Patel", "Jo"];
    const PLACES: &[&str] = &["Bristol", "Leeds", "Avon Logistics", "St Mary's School"];
    format!(
        "Session {i}: Priya Natarajan talked about {} and the week at {}. She said {} rang her on \
         07700 900{:03} on {} March. We explored sleep, worry about work and what she wants \
         from the next sessions; she agreed to keep a diary and to bring it next week.",
        PEOPLE[i % PEOPLE.len()],
        PLACES[i % PLACES.len()],
        PEOPLE[(i + 2) % PEOPLE.len()],
        i % 1000,
        1 + i % 28
    )
}

pub fn bench(global: &GlobalOpts, a: BenchMattersArgs) -> anyhow::Result<ExitCode> {
    use confidant_core::record::{NewClient, NewNote};
    use std::sync::Arc;
    use std::time::Instant;
    let rt = confidant_store::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = a
        .dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("confidant-bench-matters-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if global.database_url.is_some() {
        bail!("bench matters runs on a fresh embedded SQLite store only");
    }
    let result = rt.block_on(async {
        let cfg = confidant_store::StoreConfig::new(dir.join("store"), None);
        let store = confidant_store::Store::init_with_key(
            &cfg,
            confidant_crypto::MasterKey::generate(),
            "bench",
        )
        .await?;
        let svc = Arc::new(Service::new(store));
        let actor = "bench";
        let client = svc
            .store()
            .add_client(
                actor,
                &NewClient {
                    name: "Priya Natarajan".into(),
                    date_of_birth: CivilDate::new(1992, 2, 14),
                    address: Some("4 Oak Street, Bristol".into()),
                    postcode: Some("BS3 4QT".into()),
                    ..NewClient::default()
                },
            )
            .await?;
        let notes: Vec<NewNote> = (0..a.notes)
            .map(|i| NewNote::new(client.clone(), bench_note(i)))
            .collect();
        let ids = svc.store().add_notes(actor, &notes).await?;
        let bytes: usize = notes.iter().map(|n| n.text.len()).sum();
        let m = svc
            .open_matter(
                actor,
                &OpenMatter {
                    client_id: client.clone(),
                    case_id: None,
                    policy: "wwdd-coaching".into(),
                    subject: MatterSubject::Use {
                        for_: UseFor::Supervision,
                    },
                    arrived_at: None,
                    summary: None,
                },
            )
            .await?;
        svc.decide(actor, &m, &DecideInput::default()).await?;
        svc.record(
            actor,
            &m,
            &NewDecisionRecord {
                outcome: Outcome::Disclose,
                differs_reason: None,
                consulted: Vec::new(),
                factors: vec!["supervision".into()],
                why: "supervision".into(),
                client_told: ClientTold {
                    told: true,
                    how: Some("agreement".into()),
                    when: None,
                    why_not: None,
                },
            },
        )
        .await?;
        let build = BuildPackage {
            recipient: Recipient::Supervisor,
            recipient_name: None,
            items: ids
                .iter()
                .map(|id| Selection {
                    note: Some(id.clone()),
                    field: None,
                    extract: None,
                    reason: "the whole course of the work".into(),
                })
                .collect(),
            verbal: None,
        };
        let t = Instant::now();
        let pkg = svc.build_package(actor, &m, &build).await?;
        let build_s = t.elapsed().as_secs_f64();
        let shown = svc.show_package(actor, &pkg).await?;
        let removed = shown["removed"].as_array().map_or(0, Vec::len);
        let out = dir.join("out");
        std::fs::create_dir_all(&out)?;
        let key = age::x25519::Identity::generate();
        let t = Instant::now();
        let d = svc
            .deliver_package(
                actor,
                &pkg,
                &DeliverTo::AgeRecipient(key.to_public().to_string()),
                Some(&out),
                true,
            )
            .await?;
        let deliver_s = t.elapsed().as_secs_f64();
        let sealed: u64 = d
            .files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        println!(
            "de-identified package of {} notes ({:.0} KiB of text): build {:.3} s ({:.0} notes/s, {} spans removed), deliver (age seal + accounting) {:.3} s, {} KiB sealed",
            a.notes,
            bytes as f64 / 1024.0,
            build_s,
            a.notes as f64 / build_s.max(1e-9),
            removed,
            deliver_s,
            sealed / 1024
        );

        // Opening to decision: open a matter and store its recommendation.
        let clients = 100.min(a.matters.max(1));
        let mut cids = Vec::with_capacity(clients);
        for i in 0..clients {
            cids.push(
                svc.store()
                    .add_client(
                        actor,
                        &NewClient {
                            name: format!("Client {i}"),
                            date_of_birth: CivilDate::new(1980 + (i % 30) as i32, 1 + (i % 12) as u8, 1),
                            ..NewClient::default()
                        },
                    )
                    .await?,
            );
        }
        let per_task = a.matters.div_ceil(a.tasks.max(1));
        let t = Instant::now();
        let mut handles = Vec::new();
        for task in 0..a.tasks.max(1) {
            let svc = svc.clone();
            let cids = cids.clone();
            handles.push(confidant_store::tokio::spawn(async move {
                let mut outcomes = 0usize;
                for i in 0..per_task {
                    let k = task * per_task + i;
                    let subject = match k % 3 {
                        0 => MatterSubject::Request {
                            from: Requester::Police,
                            asks_for: AsksFor::Notes,
                            requester: Some("DC Rowe".into()),
                            court_order: false,
                            authority_reference: None,
                            statutory_basis: None,
                        },
                        1 => MatterSubject::Concern {
                            about: ConcernAbout::Suicide,
                        },
                        _ => MatterSubject::Use {
                            for_: UseFor::Supervision,
                        },
                    };
                    let policy = ["ukcp", "csrp", "wwdd-coaching", "handcrafted", "iapt-training"][k % 5];
                    let m = svc
                        .open_matter(
                            "bench",
                            &OpenMatter {
                                client_id: cids[k % cids.len()].clone(),
                                case_id: None,
                                policy: policy.into(),
                                subject,
                                arrived_at: None,
                                summary: None,
                            },
                        )
                        .await?;
                    let mut input = DecideInput::default();
                    if k % 3 == 1 {
                        input.facts.imminent = Some(k % 2 == 0);
                    }
                    svc.decide("bench", &m, &input).await?;
                    outcomes += 1;
                }
                Ok::<usize, confidant_service::ServiceError>(outcomes)
            }));
        }
        let mut done = 0;
        for h in handles {
            done += h.await??;
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "opening to decision: {done} matters in {secs:.2} s ({:.0} matters/s, {:.2} ms each, {} tasks)",
            done as f64 / secs.max(1e-9),
            secs * 1000.0 / done.max(1) as f64,
            a.tasks.max(1)
        );
        svc.close().await;
        Ok::<(), anyhow::Error>(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    Ok(ExitCode::SUCCESS)
}
