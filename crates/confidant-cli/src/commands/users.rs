//! `confidant user ...` and `confidant token ...`: accounts for the server,
//! run by the operator who holds the store's keys (for scripts, CI and a
//! first administrator without a browser). Parse, call the application
//! layer (`confidant_service::accounts`), print. No rules live here.

use super::GlobalOpts;
use super::store::runtime;
use anyhow::{Context, bail};
use clap::Subcommand;
use confidant_access::Role;
use confidant_core::ids::PractitionerId;
use confidant_core::record::Timestamp;
use confidant_service::Service;
use confidant_service::accounts::NewAccount;
use std::io::Read;
use std::process::ExitCode;
use zeroize::Zeroizing;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Server accounts.
    #[command(subcommand)]
    User(UserSub),
    /// Personal access tokens for the JSON API.
    #[command(subcommand)]
    Token(TokenSub),
}

#[derive(Debug, Subcommand)]
pub enum UserSub {
    /// Create an account (TOTP enrolment is required at its first sign-in).
    Add {
        /// The name the user signs in with.
        username: String,
        /// A role (repeatable): practitioner, supervisor,
        /// safeguarding-officer, programme-lead, records-manager,
        /// service-manager, administrator.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The practitioner record the user acts as (pr_...).
        #[arg(long)]
        practitioner: Option<String>,
        /// Read the password from standard input (one line) instead of a
        /// prompt.
        #[arg(long)]
        password_stdin: bool,
        /// Print `{"user_id"}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Enrol an authenticator for an account that has none (the operator,
    /// holding the keys, instead of the first sign-in): prints the TOTP
    /// secret (base32) once. A personal access token works only once its
    /// account has enrolled.
    Enrol { username: String },
    /// Assign a practitioner to a client (who may then open the record).
    Assign {
        client_id: String,
        practitioner_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenSub {
    /// Create a personal access token for a user; prints it once.
    Create {
        username: String,
        #[arg(long, default_value = "cli")]
        label: String,
        /// `read`, or `write` (read and write).
        #[arg(long, default_value = "read")]
        scope: String,
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// Print `{"token_id", "token"}` as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(global: &GlobalOpts, c: UsersCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = super::store::open(global).await?;
        let actor = super::store::actor(Some(&store)).await?;
        let service = Service::new(store);
        let out = go(&service, &actor, c).await;
        service.close().await;
        out
    })
}

async fn go(service: &Service, actor: &str, c: UsersCommand) -> anyhow::Result<ExitCode> {
    match c {
        UsersCommand::User(UserSub::Add {
            username,
            roles,
            practitioner,
            password_stdin,
            json,
        }) => {
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<Vec<_>, _>>()?;
            let practitioner_id = practitioner
                .as_deref()
                .map(str::parse::<PractitionerId>)
                .transpose()?;
            let password = if password_stdin {
                let mut s = Zeroizing::new(String::new());
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("cannot read the password from standard input")?;
                let trimmed = s.trim_end_matches(['\n', '\r']).len();
                s.truncate(trimmed);
                s
            } else {
                let first = Zeroizing::new(
                    rpassword::prompt_password("password for the new account: ").context(
                        "cannot read a password from the terminal (use --password-stdin)",
                    )?,
                );
                let again = Zeroizing::new(
                    rpassword::prompt_password("again: ")
                        .context("cannot read a password from the terminal")?,
                );
                if *first != *again {
                    bail!("the two passwords differ: nothing was created");
                }
                first
            };
            let id = service
                .create_account_unchecked(
                    actor,
                    NewAccount {
                        username,
                        password,
                        roles,
                        practitioner_id,
                    },
                )
                .await?;
            if json {
                println!("{}", serde_json::json!({ "user_id": id }));
            } else {
                println!("{id}");
            }
            Ok(ExitCode::SUCCESS)
        }
        UsersCommand::User(UserSub::Enrol { username }) => {
            let secret = service.enrol_totp_unchecked(actor, &username).await?;
            println!("{}", secret.as_str());
            Ok(ExitCode::SUCCESS)
        }
        UsersCommand::User(UserSub::Assign {
            client_id,
            practitioner_id,
        }) => {
            service
                .assign_client_unchecked(actor, &client_id.parse()?, &practitioner_id.parse()?)
                .await?;
            Ok(ExitCode::SUCCESS)
        }
        UsersCommand::Token(TokenSub::Create {
            username,
            label,
            scope,
            days,
            json,
        }) => {
            let write = match scope.as_str() {
                "read" => false,
                "write" => true,
                _ => bail!("--scope must be read or write"),
            };
            let user = service.user_id_of(&username).await?;
            let (token_id, secret) = service
                .create_token_unchecked(
                    actor,
                    &user,
                    &label,
                    write,
                    days,
                    Timestamp(confidant_store::now_micros()),
                )
                .await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "token_id": token_id, "token": secret.as_str() })
                );
            } else {
                println!("{}", secret.as_str());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
