//! `confidant serve`: the server on a socket. Opens the store named by the
//! global options, creating the embedded SQLite store (with a random key
//! file) on first run so that one command starts Confidant on a fresh
//! clone, and serves `confidant_server::app` until Ctrl-C.

use anyhow::Context;
use clap::Args;
use confidant_server::{AppState, ServerConfig};
use confidant_service::Service;
use confidant_store::{Backend, Store};
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "CONFIDANT_LISTEN")]
    pub listen: SocketAddr,
    /// Served behind a reverse proxy, configured as trusted, that terminates
    /// TLS: send HSTS.
    #[arg(long)]
    pub behind_https_proxy: bool,
}

pub fn run(global: &super::GlobalOpts, args: ServeArgs) -> anyhow::Result<ExitCode> {
    super::store::harden_process();
    // Several worker threads: requests are served concurrently, unlike the
    // one-shot commands' current-thread runtime.
    let rt = confidant_store::tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(global, args))
}

/// `confidant demo`: like `serve`, on its own data directory, seeded with
/// a fictional organisation on first run.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The demo's own data directory (never your real one).
    #[arg(long, default_value = "confidant-demo")]
    pub demo_data: std::path::PathBuf,
    #[command(flatten)]
    pub serve: ServeArgs,
}

pub fn run_demo(global: &super::GlobalOpts, args: DemoArgs) -> anyhow::Result<ExitCode> {
    if args.demo_data == global.data {
        anyhow::bail!(
            "the demo needs a data directory of its own: give --demo-data another directory than --data"
        );
    }
    let demo = super::GlobalOpts {
        data: args.demo_data,
        database_url: None,
        audit_signing_key: None,
        audit_witness: None,
        passphrase_fd: None,
        max_note_bytes: global.max_note_bytes,
    };
    super::store::harden_process();
    let rt = confidant_store::tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let service = open_or_create(&demo).await?;
        let actor = super::store::actor(None).await?;
        match service.seed_demo(&actor).await? {
            Some(accounts) => {
                println!(
                    "Seeded a fictional organisation in {} (every name is made up). Accounts (TOTP secret: add it to an authenticator app):",
                    demo.data.display()
                );
                for a in accounts {
                    println!(
                        "  {:<16} {:<22} password {}  TOTP {}",
                        a.username,
                        a.role.as_str(),
                        a.password.as_str(),
                        a.totp_secret.as_str()
                    );
                }
            }
            None => println!(
                "The demo in {} is already seeded (its accounts were printed when it was made; delete the directory to start again)",
                demo.data.display()
            ),
        }
        serve_service(service, args.serve).await
    })
}

async fn open_or_create(global: &super::GlobalOpts) -> anyhow::Result<Service> {
    let cfg = super::store::config(global);
    let key_file = confidant_crypto::key_file_path(&cfg.data_dir);
    let first_run = cfg.backend() == Backend::Sqlite
        && std::fs::symlink_metadata(&key_file).is_err()
        && !cfg.sqlite_path().exists();
    let store = if first_run {
        let actor = super::store::actor(None).await?;
        let store = Store::init(&cfg, None, &actor).await?;
        println!(
            "Created a new store in {} (random key file {}; back it up)",
            cfg.data_dir.display(),
            key_file.display()
        );
        store
    } else {
        super::store::open(global).await?
    };
    Ok(Service::new(store))
}

async fn serve(global: &super::GlobalOpts, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let service = open_or_create(global).await?;
    serve_service(service, args).await
}

async fn serve_service(service: Service, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    let listener = confidant_store::tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    // No account yet: a one-time link (stored hashed, single use, expiring)
    // to create the first administrator. Printed once; a restart prints a
    // new one.
    if service.setup_needed().await? {
        let actor = super::store::actor(None).await?;
        let secret = service.create_setup_link(&actor).await?;
        let scheme = if args.behind_https_proxy {
            "https"
        } else {
            "http"
        };
        println!(
            "No accounts yet. Create the first administrator (link valid 24 hours, single use):\n  {scheme}://{local}/setup?token={}\n  (JSON: POST /api/v1/setup with {{\"token\", \"username\", \"password\"}})",
            secret.as_str()
        );
    }
    let state = AppState::new(
        service,
        ServerConfig {
            https: args.behind_https_proxy,
            trusted_proxy: args.behind_https_proxy,
            ..ServerConfig::default()
        },
    );
    println!("Confidant is listening on http://{local}/ (Ctrl-C stops it)");
    let shutdown = async {
        let _ = confidant_store::tokio::signal::ctrl_c().await;
    };
    confidant_server::serve(listener, confidant_server::app(state.clone()), shutdown)
        .await
        .context("the server stopped with an error")?;
    state.service().close().await;
    Ok(ExitCode::SUCCESS)
}
