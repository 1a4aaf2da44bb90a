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
        /// The date to check review schedules against (default: today, UTC).
        #[arg(long)]
        today: Option<String>,
        /// Fail on warnings as well as errors.
        #[arg(long)]
        strict: bool,
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

pub fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Decide { file } => decide(&file),
        PolicyCommand::Policy(PolicySub::Test { paths }) => test(&paths),
        PolicyCommand::Policy(PolicySub::Check {
            policy,
            today,
            strict,
        }) => check(&policy, today.as_deref(), strict),
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

fn today_utc() -> anyhow::Result<Date> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("system clock is before 1970")?
        .as_secs();
    let days = i64::try_from(secs / 86_400).context("system clock out of range")?;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u8::try_from(doy - (153 * mp + 2) / 5 + 1)?;
    let month = u8::try_from(if mp < 10 { mp + 3 } else { mp - 9 })?;
    let year = i32::try_from(yoe + era * 400 + i64::from(month <= 2))?;
    Ok(Date::new(year, month, day)?)
}

fn check(spec: &str, today: Option<&str>, strict: bool) -> anyhow::Result<ExitCode> {
    let today = match today {
        Some(t) => t.parse::<Date>().with_context(|| format!("--today {t}"))?,
        None => today_utc()?,
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
    let findings = policy.lint(today);
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
