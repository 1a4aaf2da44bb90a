//! The web app in real headless Chromium: each journey drives the pages as
//! a user would, over the real application layer and a fresh store, and
//! checks every page visited with axe-core (zero serious or critical
//! violations). Main pages are saved as screenshots in docs/screenshots/.
//! Without chromium and chromedriver the test fails under CI=true and is
//! skipped, with the reason printed, elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "browser/harness.rs"]
#[allow(dead_code)] // helpers for the journeys that need a signed-in user
mod harness;

use anyhow::{Result, ensure};
use harness::{Driver, Server, Session, journey};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys_in_chromium() {
    let Some((chromium, chromedriver)) = harness::browser_programs() else {
        return;
    };
    let server = Server::start().await.unwrap();
    let driver = Driver::start(chromium, &chromedriver).await.unwrap();
    let base = server.base.clone();

    journey(&driver, "public-pages", async |s: &mut Session| {
        public_pages(s, &base).await
    })
    .await
    .unwrap();
}

/// Pages anyone may see: the policies, a client statement (printable),
/// the sign-in form; each fits a tablet's width.
async fn public_pages(s: &mut Session, base: &str) -> Result<()> {
    s.goto(&format!("{base}/policies")).await?;
    ensure!(s.text().await?.contains("Confidentiality policies"));
    s.click("a[href='/policies/ukcp/statement']").await?;
    s.check_page().await?;
    let text = s.text().await?;
    ensure!(
        text.contains("Your confidentiality: what stays private and when it may be shared"),
        "the statement page shows its heading"
    );
    s.screenshot("client-statement").await?;
    s.goto(&format!("{base}/sign-in")).await?;
    ensure!(
        s.client
            .find(fantoccini::Locator::Css("label[for='username']"))
            .await
            .is_ok()
    );
    s.screenshot("sign-in").await?;
    // The check itself can fail: an unlabelled field is a critical
    // violation that axe must report.
    s.client
        .execute(
            "document.querySelector('main').appendChild(document.createElement('input'));",
            vec![],
        )
        .await?;
    ensure!(
        s.check_page().await.is_err(),
        "axe-core reports an unlabelled field"
    );
    // Tablet width: nothing needs sideways scrolling.
    s.client.set_window_size(768, 1024).await?;
    for path in ["/policies", "/policies/ukcp/statement", "/sign-in"] {
        s.goto(&format!("{base}{path}")).await?;
        ensure!(
            s.fits_width().await?,
            "{path} scrolls sideways at tablet width"
        );
    }
    Ok(())
}
