//! `confidant access`: the Cedar access policy (who may do what to which
//! record): validate a service's edited policy against Confidant's schema,
//! print the default, or ask it one question.

use anyhow::Context;
use clap::Subcommand;
use confidant_access::{AccessPolicy, ClientFacts, Operation, ResourceKind, Role, Subject, Target};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// The access policy (Cedar): check, show, ask.
    #[command(subcommand)]
    Access(AccessSub),
}

#[derive(Debug, Subcommand)]
pub enum AccessSub {
    /// Validate an access policy file against Confidant's schema (the
    /// default policy when no file is given); exit 1 when it is invalid.
    Check {
        /// A Cedar policy file.
        file: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the default access policy or the schema.
    Show {
        /// Print the schema instead of the policy.
        #[arg(long)]
        schema: bool,
    },
    /// Ask whether a user with these roles, related to a record as stated,
    /// may do an operation (an aid for a service adjusting its policy).
    Ask {
        /// The operation (e.g. view-notes).
        operation: String,
        /// A role the user holds (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// The user is assigned to the client.
        #[arg(long)]
        assigned: bool,
        /// The user supervises the assigned practitioner.
        #[arg(long)]
        supervises: bool,
        /// The user leads the programme the client is a trainee on.
        #[arg(long)]
        leads_programme: bool,
        /// A break-glass grant is in force for the user and client.
        #[arg(long)]
        break_glass: bool,
        /// The matter was escalated to the user.
        #[arg(long)]
        escalated_to: bool,
        /// A Cedar policy file (default: the built-in policy).
        #[arg(long)]
        policy: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: AccessCommand) -> anyhow::Result<ExitCode> {
    let AccessCommand::Access(sub) = command;
    match sub {
        AccessSub::Check { file, json } => {
            let (name, text) = match &file {
                Some(path) => (
                    path.display().to_string(),
                    std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ),
                None => (
                    "the default policy".to_string(),
                    confidant_access::DEFAULT_POLICY.to_string(),
                ),
            };
            let result = AccessPolicy::from_text(&text);
            if json {
                let value = serde_json::json!({
                    "valid": result.is_ok(),
                    "error": result.as_ref().err().map(ToString::to_string),
                });
                println!("{value}");
            } else {
                match &result {
                    Ok(_) => println!("ok {name} validates against the access schema"),
                    Err(e) => println!("invalid {name}: {e}"),
                }
            }
            Ok(if result.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AccessSub::Show { schema } => {
            print!(
                "{}",
                if schema {
                    confidant_access::SCHEMA
                } else {
                    confidant_access::DEFAULT_POLICY
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        AccessSub::Ask {
            operation,
            roles,
            assigned,
            supervises,
            leads_programme,
            break_glass,
            escalated_to,
            policy,
            json,
        } => {
            let operation: Operation = operation.parse()?;
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<Vec<_>, _>>()?;
            let policy = match &policy {
                Some(path) => AccessPolicy::from_text(
                    &std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                )?,
                None => AccessPolicy::default_policy()?,
            };
            const ME: &str = "asking-user";
            let mine = |yes: bool| {
                if yes {
                    vec![ME.to_string()]
                } else {
                    Vec::new()
                }
            };
            let facts = ClientFacts {
                client: "client".into(),
                assigned: mine(assigned),
                supervisors: mine(supervises),
                programme_leads: mine(leads_programme),
                programme_member: leads_programme,
            };
            let target = match operation.resource_kind() {
                ResourceKind::Client => Target::Client { facts, break_glass },
                ResourceKind::Matter => Target::Matter {
                    matter: "matter".into(),
                    client: facts,
                    escalated_to: mine(escalated_to),
                },
                ResourceKind::Service => Target::Service,
            };
            let subject = Subject {
                user: ME.into(),
                roles,
            };
            let decision = policy.check(&subject, operation, &target);
            if json {
                println!("{}", serde_json::to_string(&decision)?);
            } else if decision.allowed {
                println!("allowed by {}", decision.policies.join(", "));
            } else {
                println!("not allowed");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
