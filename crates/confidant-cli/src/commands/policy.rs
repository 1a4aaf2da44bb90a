//! `confidant` commands owned by the policy area: decisions, scenario
//! tests, and checking, explaining and showing policies
//! (shared/scenarios/FORMAT.md, shared/CONTRACT.md).

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use confidant_policy::runner::{self, PolicyCache};
use confidant_policy::{Date, Policy, Severity};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Decide a scenario file's situation and print the decision as JSON
    /// (its `expect`, if any, is ignored).
    Decide {
        /// A scenario file (shared/scenarios/FORMAT.md).
        file: PathBuf,
    },
    /// Confidentiality policies: test, check, explain, show.
    #[command(subcommand)]
    Policy(PolicySub),
}

#[derive(Debug, Subcommand)]
pub enum PolicySub {
    /// Run every scenario file under the paths; exit 1 if any fails.
    Test {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Validate and lint a policy (a built-in name or a TOML file); exit 1
    /// on errors, or on warnings too with --strict.
    Check {
        /// A built-in policy name or a path to a policy file.
        policy: String,
        /// The date to check review schedules against (default: today in
        /// the service's time zone).
        #[arg(long)]
        today: Option<String>,
        /// Fail on warnings as well as errors.
        #[arg(long)]
        strict: bool,
        /// Check only the file's own review date, even when a store is
        /// present (by default the last review recorded in the store is
        /// read: `confidant policy review`).
        #[arg(long)]
        no_store: bool,
        #[command(flatten)]
        tz: super::sar::Tz,
    },
    /// Record a review of the policy: who approved it and when; the
    /// SHA-256 of the exact text reviewed is computed and kept.
    Review {
        /// A built-in policy name or a path to a policy file.
        policy: String,
        /// Who approved the review (e.g. "the Trustees").
        #[arg(long)]
        approved_by: String,
        /// When it was reviewed (default today).
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        tz: super::sar::Tz,
    },
    /// Print the client-facing "limits of confidentiality" statement.
    Explain {
        /// A built-in policy name or a path to a policy file.
        policy: String,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Print the policy as a readable document.
    Show {
        /// A built-in policy name or a path to a policy file.
        policy: String,
    },
    /// List the built-in policies.
    List,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Md,
    Html,
}

pub fn run(global: &super::GlobalOpts, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Decide { file } => decide(&file),
        PolicyCommand::Policy(PolicySub::Test { paths }) => test(&paths),
        PolicyCommand::Policy(PolicySub::Check {
            policy,
            today,
            strict,
            no_store,
            tz,
        }) => check(global, &policy, today.as_deref(), strict, no_store, &tz),
        PolicyCommand::Policy(PolicySub::Review {
            policy,
            approved_by,
            on,
            tz,
        }) => super::promises::policy_review(global, &policy, &approved_by, on, &tz),
        PolicyCommand::Policy(PolicySub::Explain { policy, format }) => {
            let p = load(&policy)?;
            match format {
                Format::Md => print!("{}", p.explain_markdown()),
                Format::Html => print!("{}", p.explain_html()),
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Policy(PolicySub::Show { policy }) => {
            print!("{}", load(&policy)?.show());
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Policy(PolicySub::List) => {
            for name in Policy::builtin_names() {
                println!("{name}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The JSON shape of `confidant decide` (FORMAT.md): the decision's four
/// fields, plus the policy that gave it.
#[derive(Serialize)]
struct DecideOutput<'a> {
    #[serde(flatten)]
    decision: &'a confidant_core::decision::Decision,
    policy: &'a str,
}

fn decide(file: &Path) -> anyhow::Result<ExitCode> {
    let mut cache = PolicyCache::default();
    let (scenario, decision) = runner::decide_file(file, &mut cache)?;
    let out = DecideOutput {
        decision: &decision,
        policy: &scenario.policy,
    };
    println!("{}", serde_json::to_string(&out)?);
    Ok(ExitCode::SUCCESS)
}

fn test(paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let results = runner::run(paths)?;
    let mut failed = 0usize;
    for r in &results {
        println!("{r}");
        if !r.passed() {
            failed += 1;
        }
    }
    println!("{} passed, {failed} failed", results.len() - failed);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A built-in name, or a path to a TOML policy file.
fn load(spec: &str) -> anyhow::Result<Policy> {
    if Policy::builtin_text(spec).is_some() {
        return Ok(Policy::builtin(spec)?);
    }
    let path = Path::new(spec);
    if !path.exists() {
        bail!(
            "no built-in policy or file named `{spec}` (built-in: {})",
            Policy::builtin_names().collect::<Vec<_>>().join(", ")
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("{spec}: cannot read"))?;
    Policy::from_toml_str(&text).with_context(|| spec.to_string())
}

/// Today in the service's time zone.
fn today_in(tz: &super::sar::Tz) -> anyhow::Result<Date> {
    let cal = confidant_core::calendar::ServiceCalendar::new(&tz.time_zone)?;
    let d = cal.local_date(confidant_core::record::Timestamp(
        confidant_store::now_micros(),
    ))?;
    Ok(Date::new(d.year(), d.month(), d.day())?)
}

/// Replaces the file's review findings by the last review recorded in
/// the store, when there is one: overdue twelve months after it (a
/// warning), and a warning when the text in force is not the text that
/// was reviewed. With none recorded, the file's findings stand and one
/// more warning says no review is recorded.
fn with_recorded_review(
    mut findings: Vec<confidant_policy::lint::Finding>,
    s: &confidant_service::promises::ReviewStatus,
) -> Vec<confidant_policy::lint::Finding> {
    let warn = |code: &'static str, message: String| confidant_policy::lint::Finding {
        severity: Severity::Warning,
        code,
        rule: None,
        message,
    };
    let Some(last) = &s.last_reviewed else {
        findings.push(warn(
            "no-recorded-review",
            "no review of this policy is recorded in the store (`confidant policy review`)".into(),
        ));
        return findings;
    };
    findings.retain(|f| {
        !matches!(
            f.code,
            "no-review-date" | "no-review-interval" | "overdue-review"
        )
    });
    if s.overdue {
        findings.push(warn(
            "overdue-review",
            format!(
                "review overdue: last recorded review {last} (approved by {}), due by {}; today is {}",
                s.approved_by.as_deref().unwrap_or("-"),
                s.due.as_deref().unwrap_or("-"),
                s.today
            ),
        ));
    }
    if !s.same_text {
        findings.push(warn(
            "changed-since-review",
            format!("the policy text has changed since the review recorded on {last}"),
        ));
    }
    findings
}

fn check(
    global: &super::GlobalOpts,
    spec: &str,
    today: Option<&str>,
    strict: bool,
    no_store: bool,
    tz: &super::sar::Tz,
) -> anyhow::Result<ExitCode> {
    let today = match today {
        Some(t) => t.parse::<Date>().with_context(|| format!("--today {t}"))?,
        None => today_in(tz)?,
    };
    let is_builtin = Policy::builtin_text(spec).is_some();
    if !is_builtin && !Path::new(spec).exists() {
        bail!("no built-in policy or file named `{spec}`");
    }
    let policy = if is_builtin {
        Policy::builtin(spec)
    } else {
        let text = std::fs::read_to_string(spec).with_context(|| format!("{spec}: cannot read"))?;
        Policy::from_toml_str(&text)
    };
    let policy = match policy {
        Ok(p) => p,
        Err(e) => {
            // The check ran and the policy failed it.
            println!("error[invalid]: {spec}: {e}");
            println!("{spec}: 1 error, 0 warnings");
            return Ok(ExitCode::from(1));
        }
    };
    let mut findings = policy.lint(today);
    if !no_store && super::promises::store_present(global) {
        let on = confidant_core::record::CivilDate::new(today.year, today.month, today.day)
            .context("--today")?;
        let status = super::promises::review_status(global, spec, Some(on), tz)?;
        findings = with_recorded_review(findings, &status);
    }
    for f in &findings {
        println!("{f}");
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    println!(
        "{spec}: {} rules, {errors} error{}, {warnings} warning{}",
        policy.rules.len(),
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    );
    let failed = errors > 0 || (strict && warnings > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
