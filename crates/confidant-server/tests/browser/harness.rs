//! The browser test harness: a server on a free port over a fresh store,
//! chromedriver on another free port, headless Chromium driven with
//! fantoccini, axe-core run on every page visited, screenshots of the main
//! pages (into docs/screenshots/ with CONFIDANT_UPDATE_SCREENSHOTS=1), and on failure a screenshot and the page's
//! HTML kept under target/browser-failures/.

use anyhow::{Context, Result, anyhow, bail};
use confidant_crypto::MasterKey;
use confidant_server::{AppState, ServerConfig, app};
use confidant_service::Service;
use confidant_store::{Store, StoreConfig};
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// Chromium's flags: headless, no sandbox (CI runs as root in a
/// container), nothing that phones home or syncs, and a new empty profile.
const CHROME_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn free_port() -> Result<u16> {
    let l = StdListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Chromium and chromedriver, or why they cannot be used. Under CI=true a
/// missing browser is a failure, never a silent skip.
pub fn browser_programs() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = find_program(&["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !ci,
                "CI=true but chromium and chromedriver are not both on PATH: \
                 .ci/run installs Debian's chromium and chromium-driver"
            );
            eprintln!(
                "skipping the browser tests: chromium and chromedriver are not both on PATH \
                 (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

/// A running server over a fresh store.
pub struct Server {
    pub base: String,
    pub state: AppState,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    pub async fn start() -> Result<Server> {
        Server::start_with(|s| s).await
    }

    /// A server whose service `configure` adjusts first (a records policy,
    /// a calendar).
    pub async fn start_with(configure: impl FnOnce(Service) -> Service) -> Result<Server> {
        let dir = tempfile::tempdir()?;
        let cfg = StoreConfig::new(dir.path().join("data"), None);
        let store = Store::init_with_key(&cfg, MasterKey::generate(), "test").await?;
        // Browsers keep a `__Host-` cookie only when it is `Secure`, which
        // they accept from http://localhost: the server is told it is
        // behind TLS (so it sends `Secure`) and the browser visits
        // localhost.
        let config = ServerConfig {
            https: true,
            ..ServerConfig::default()
        };
        let state = AppState::new(configure(Service::new(store)), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://localhost:{}", listener.local_addr()?.port());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let router = app(state.clone());
        tokio::spawn(async move {
            let _ = confidant_server::serve(listener, router, async move {
                let _ = rx.await;
            })
            .await;
        });
        Ok(Server {
            base,
            state,
            _dir: dir,
            shutdown: Some(tx),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// chromedriver, stopped (by its own pid) when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
    chromium: PathBuf,
}

impl Driver {
    pub async fn start(chromium: PathBuf, chromedriver: &Path) -> Result<Driver> {
        let port = free_port()?;
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start chromedriver")?;
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
        };
        // Wait (bounded) for it to listen: not a timed assertion, a start-up
        // wait that fails with a clear message.
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(driver);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("chromedriver did not start listening on port {port}")
    }

    /// A new browser session with its own empty profile.
    pub async fn session(&self) -> Result<Session> {
        let profile = tempfile::tempdir()?;
        let mut args: Vec<String> = CHROME_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": self.chromium, "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .context("cannot open a Chromium session through chromedriver")?;
        Ok(Session {
            client,
            _profile: profile,
            visited: Vec::new(),
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session: the page in front of the user.
pub struct Session {
    pub client: Client,
    _profile: tempfile::TempDir,
    /// Every page checked with axe, in order.
    pub visited: Vec<String>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn failures_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is target/tmp; failures go beside it.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("browser-failures"))
        .unwrap_or_else(|| repo_root().join("target/browser-failures"))
}

impl Session {
    pub async fn goto(&mut self, url: &str) -> Result<()> {
        self.client.goto(url).await?;
        self.check_page().await
    }

    /// The page's visible text.
    pub async fn text(&self) -> Result<String> {
        Ok(self.client.find(Locator::Css("body")).await?.text().await?)
    }

    pub async fn path(&self) -> Result<String> {
        Ok(self.client.current_url().await?.path().to_owned())
    }

    pub async fn fill(&self, id: &str, value: &str) -> Result<()> {
        let e = self
            .client
            .find(Locator::Id(id))
            .await
            .with_context(|| format!("no field #{id}"))?;
        e.clear().await?;
        e.send_keys(value).await?;
        Ok(())
    }

    pub async fn select(&self, id: &str, value: &str) -> Result<()> {
        let e = self
            .client
            .find(Locator::Id(id))
            .await
            .with_context(|| format!("no select #{id}"))?;
        e.select_by_value(value).await?;
        Ok(())
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("nothing matches {css}"))?
            .click()
            .await?;
        Ok(())
    }

    /// Clicks the submit button with this visible text, waits for the next
    /// page, and checks it.
    pub async fn submit(&mut self, button_text: &str) -> Result<()> {
        let xpath = format!("//button[normalize-space(.)='{button_text}']");
        let b = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no button {button_text:?}"))?;
        b.click().await?;
        self.client.wait().for_element(Locator::Css("body")).await?;
        self.check_page().await
    }

    /// Runs axe-core on the page: zero serious or critical violations.
    pub async fn check_page(&mut self) -> Result<()> {
        let path = self.path().await?;
        self.client
            .execute(&format!("{AXE}\n;return true;"), vec![])
            .await
            .context("cannot inject axe-core")?;
        let out = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, { resultTypes: ['violations'] })\
                   .then(r => done(JSON.stringify(r.violations\
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')\
                     .map(v => ({ id: v.id, impact: v.impact, help: v.help,\
                                  nodes: v.nodes.map(n => n.target.join(' ')) })))))\
                   .catch(e => done('axe failed: ' + e));",
                vec![],
            )
            .await
            .context("axe-core did not run")?;
        let s = out.as_str().unwrap_or("axe returned nothing");
        if s != "[]" {
            bail!("axe-core: serious or critical violations on {path}: {s}");
        }
        self.visited.push(path);
        Ok(())
    }

    /// Saves a screenshot of the page as NAME.png: into docs/screenshots/
    /// when `CONFIDANT_UPDATE_SCREENSHOTS=1` (to refresh the README's
    /// pictures), otherwise under target/screenshots/, so a test run never
    /// rewrites tracked files.
    pub async fn screenshot(&self, name: &str) -> Result<()> {
        let png = self.client.screenshot().await?;
        let dir = if std::env::var("CONFIDANT_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
            repo_root().join("docs/screenshots")
        } else {
            repo_root().join("target/screenshots")
        };
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// After a failure: the screenshot and the HTML of the page, kept.
    pub async fn keep_failure(&self, journey: &str) -> PathBuf {
        let dir = failures_dir();
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{journey}.png")), png);
        }
        if let Ok(html) = self.client.source().await {
            let _ = std::fs::write(dir.join(format!("{journey}.html")), html);
        }
        dir
    }

    /// Whether the page fits the window without sideways scrolling.
    pub async fn fits_width(&self) -> Result<bool> {
        let v = self
            .client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await?;
        v.as_bool().ok_or_else(|| anyhow!("not a boolean"))
    }

    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        Ok(())
    }
}

/// Runs one journey in a fresh session; on failure keeps the evidence and
/// returns the error with where it was kept.
pub async fn journey<F>(driver: &Driver, name: &str, f: F) -> Result<()>
where
    F: AsyncFnOnce(&mut Session) -> Result<()>,
{
    let mut s = driver.session().await?;
    let r = f(&mut s).await;
    match r {
        Ok(()) => {
            eprintln!(
                "journey {name}: ok ({} pages checked with axe)",
                s.visited.len()
            );
            s.close().await
        }
        Err(e) => {
            let dir = s.keep_failure(name).await;
            let _ = s.close().await;
            Err(e.context(format!(
                "journey {name} failed; screenshot and HTML kept in {}",
                dir.display()
            )))
        }
    }
}

/// A user for a journey: an account with these roles, linked to a new
/// practitioner record, with a password; not yet enrolled.
pub struct User {
    pub id: confidant_core::ids::UserId,
    pub username: String,
    pub password: String,
    pub practitioner: confidant_core::ids::PractitionerId,
}

pub async fn make_user(
    server: &Server,
    username: &str,
    roles: &[confidant_access::Role],
) -> Result<User> {
    let service = server.state.service();
    let practitioner = service
        .add_practitioner(
            "test",
            &format!("Practitioner {username}"),
            &[confidant_core::record::Role::Practitioner],
        )
        .await?;
    let password = "orchard lantern quietly folds 4821".to_owned();
    let id = service
        .create_account_unchecked(
            "test",
            confidant_service::accounts::NewAccount {
                username: username.to_owned(),
                password: zeroize::Zeroizing::new(password.clone()),
                roles: roles.to_vec(),
                practitioner_id: Some(practitioner.clone()),
            },
        )
        .await?;
    Ok(User {
        id,
        username: username.to_owned(),
        password,
        practitioner,
    })
}

/// RFC 4648 base32 (no padding), as the enrolment page shows the key.
pub fn base32_decode(s: &str) -> Result<Vec<u8>> {
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim().trim_end_matches('=').chars() {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u64 - 'A' as u64,
            c @ '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => anyhow::bail!("not base32"),
        };
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Ok(out)
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
