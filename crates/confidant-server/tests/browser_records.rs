//! The records pages in real headless Chromium, each page checked with
//! axe-core (zero serious or critical violations): a subject access request
//! answered before its deadline with the third party redacted (the sealed
//! package fetched by the page's own form, opened and read); a retention
//! sweep that destroys the record due and skips the one under a legal hold,
//! after a confirmation naming both; audit search finding the accesses to a
//! record; a complaint that holds a record until it is closed. Without
//! chromium and chromedriver the test fails under CI=true and is skipped,
//! with the reason printed, elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "browser/harness.rs"]
#[allow(dead_code)]
mod harness;

use anyhow::{Context, Result, anyhow, ensure};
use confidant_access::Role;
use confidant_core::ids::ClientId;
use confidant_core::record::{CaseKind, HoldReason, NewClient, NewNote};
use fantoccini::Locator;
use harness::{Driver, Server, Session, User, base32_decode, journey, make_user, unix_now};
use std::io::Read;

/// First sign-in: password, authenticator enrolment, recovery codes, home.
async fn sign_in(s: &mut Session, base: &str, u: &User) -> Result<()> {
    s.goto(&format!("{base}/")).await?;
    s.fill("username", &u.username).await?;
    s.fill("password", &u.password).await?;
    s.submit("Sign in").await?;
    let secret = s
        .client
        .find(Locator::Id("totp-secret"))
        .await
        .context("the enrolment page shows the authenticator key")?
        .text()
        .await?;
    let totp = confidant_auth::totp::TotpSecret::from_bytes(&base32_decode(&secret)?)?;
    s.fill("code", totp.code_at(unix_now()).as_str()).await?;
    s.submit("Confirm and sign in").await?;
    s.click("a.button").await?;
    s.check_page().await?;
    ensure!(s.path().await? == "/", "signed in, at home");
    Ok(())
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    ensure!(s.len() % 2 == 0, "odd hex: {}", s.get(..80).unwrap_or(s));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| anyhow!("{e}")))
        .collect()
}

/// Submits the page's "respond" form from inside the page (the same
/// request the button makes, with the session's cookie and the form's
/// CSRF token) and returns the file it answers with.
async fn fetch_response(s: &Session, recipient: &str) -> Result<Vec<u8>> {
    let out = s
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             const f = document.querySelector('form[action$=\"/respond\"]');\
             const body = new URLSearchParams(new FormData(f));\
             body.set('recipient', arguments[0]);\
             fetch(f.action, { method: 'POST', body, credentials: 'same-origin' })\
               .then(r => r.ok ? r.arrayBuffer() : Promise.reject('status ' + r.status))\
               .then(b => done(Array.from(new Uint8Array(b))\
                 .map(x => x.toString(16).padStart(2, '0')).join('')))\
               .catch(e => done('error: ' + e));",
            vec![serde_json::Value::String(recipient.to_owned())],
        )
        .await?;
    let hex = out.as_str().unwrap_or("error: nothing");
    ensure!(!hex.starts_with("error"), "{hex}");
    unhex(hex)
}

fn open_package(sealed: &[u8], identity: &age::x25519::Identity) -> Result<serde_json::Value> {
    let d = age::Decryptor::new(sealed)?;
    let mut r = d.decrypt(std::iter::once(identity as &dyn age::Identity))?;
    let mut plain = Vec::new();
    r.read_to_end(&mut plain)?;
    Ok(serde_json::from_slice(&plain)?)
}

async fn client(server: &Server, name: &str) -> ClientId {
    server
        .state
        .service()
        .store()
        .add_client(
            "test",
            &NewClient {
                name: name.into(),
                ..NewClient::default()
            },
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_journeys_in_chromium() {
    let Some((chromium, chromedriver)) = harness::browser_programs() else {
        return;
    };
    let driver = Driver::start(chromium, &chromedriver).await.unwrap();
    let server = Server::start().await.unwrap();
    let base = server.base.clone();
    let service = server.state.service();

    // A couple's record: Carol's notes name her partner Daniel.
    let pat = make_user(&server, "pat.practitioner", &[Role::Practitioner])
        .await
        .unwrap();
    let carol = client(&server, "Carol Client").await;
    let daniel = client(&server, "Daniel Partner").await;
    service
        .assign_client_unchecked("test", &carol, &pat.practitioner)
        .await
        .unwrap();
    let case = service
        .add_case("test", CaseKind::Couple, &[carol.clone(), daniel.clone()])
        .await
        .unwrap();
    service
        .store()
        .add_note(
            "test",
            &NewNote {
                client_id: carol.clone(),
                case_id: Some(case),
                author: Some(pat.practitioner.clone()),
                parties: vec![carol.clone(), daniel.clone()],
                text: "Carol Client said Daniel Partner shouted during the session.".into(),
            },
        )
        .await
        .unwrap();

    let identity = age::x25519::Identity::generate();
    journey(&driver, "sar-answered-redacted", async |s: &mut Session| {
        sign_in(s, &base, &pat).await?;
        s.goto(&format!("{base}/records/sars")).await?;
        s.check_page().await?;
        s.fill("client_id", "not-an-id").await?;
        s.submit("Record the request").await?;
        ensure!(
            s.text().await?.contains("Enter the client's record number"),
            "a bad record number is refused next to its field"
        );
        s.fill("client_id", carol.as_str()).await?;
        s.fill("wording", "I want everything you've got on me")
            .await?;
        s.submit("Record the request").await?;
        let text = s.text().await?;
        ensure!(
            text.contains("days left"),
            "the tracker shows the days left"
        );
        ensure!(s.path().await?.starts_with("/records/sars/"));
        s.screenshot("records-sar").await?;
        let sealed = fetch_response(s, &identity.to_public().to_string()).await?;
        let pkg = open_package(&sealed, &identity)?;
        let all = pkg.to_string();
        ensure!(!all.contains("Daniel"), "the third party is redacted");
        ensure!(
            pkg["notes"][0]["text"]
                .as_str()
                .is_some_and(|t| t.contains("shouted")),
            "the client's note is in the response"
        );
        let here = s.client.current_url().await?.to_string();
        s.goto(&here).await?;
        s.check_page().await?;
        let text = s.text().await?;
        ensure!(text.contains("Answered on"), "the page shows the response");
        ensure!(!text.contains("overdue"), "answered before the deadline");
        s.goto(&format!("{base}/records/sars")).await?;
        s.check_page().await?;
        ensure!(s.text().await?.contains("answered"));
        Ok(())
    })
    .await
    .unwrap();

    let rex = make_user(&server, "rex.records", &[Role::RecordsManager])
        .await
        .unwrap();
    journey(&driver, "audit-search", async |s: &mut Session| {
        sign_in(s, &base, &rex).await?;
        s.goto(&format!("{base}/records/audit")).await?;
        s.check_page().await?;
        s.submit("Verify the whole audit log").await?;
        ensure!(s.text().await?.contains("The audit log verifies"));
        s.goto(&format!("{base}/records/audit")).await?;
        s.fill("id", carol.as_str()).await?;
        s.submit("Search").await?;
        let text = s.text().await?;
        ensure!(
            text.contains(pat.id.as_str()),
            "the practitioner's accesses to the record are found"
        );
        ensure!(text.contains("client.read"), "with what they did");
        ensure!(!text.contains("Carol"), "ids and actions only, no names");
        s.screenshot("records-audit").await?;
        s.click("#by-user").await?;
        s.fill("id", pat.id.as_str()).await?;
        s.submit("Search").await?;
        ensure!(s.text().await?.contains("sar.step"));
        Ok(())
    })
    .await
    .unwrap();

    let sid = make_user(&server, "sid.manager", &[Role::ServiceManager])
        .await
        .unwrap();
    journey(
        &driver,
        "complaint-holds-record",
        async |s: &mut Session| {
            sign_in(s, &base, &sid).await?;
            s.goto(&format!("{base}/records/complaints")).await?;
            s.check_page().await?;
            s.fill("client_id", carol.as_str()).await?;
            s.select("route", "professional-body").await?;
            s.fill("summary", "Unhappy that notes were shared").await?;
            s.submit("Record the complaint and hold the record").await?;
            ensure!(
                s.text().await?.contains("names it"),
                "a professional body must be named, next to the field"
            );
            s.fill("to", "RSPH").await?;
            s.submit("Record the complaint and hold the record").await?;
            ensure!(s.text().await?.contains("Legal hold"));
            s.screenshot("records-complaints").await?;
            let held = service.list_holds("test", &carol).await?;
            ensure!(
                held.iter()
                    .any(|h| h.reason == HoldReason::Complaint && h.released_at.is_none()),
                "the complaint holds the record"
            );
            s.goto(&format!("{base}/clients/{carol}/records")).await?;
            s.check_page().await?;
            s.click("form[action*='/holds/'] button").await?;
            s.check_page().await?;
            ensure!(
                s.text().await?.contains("closing the complaint"),
                "a complaint's hold is released only by closing it"
            );
            s.goto(&format!("{base}/records/complaints")).await?;
            s.click("input[name='note']").await?;
            let note = s.client.find(Locator::Css("input[name='note']")).await?;
            note.send_keys("Apology given and practice changed").await?;
            s.submit("Close the complaint and release its hold").await?;
            ensure!(s.text().await?.contains("Closed"));
            let held = service.list_holds("test", &carol).await?;
            ensure!(
                held.iter().all(|h| h.released_at.is_some()),
                "hold released"
            );
            Ok(())
        },
    )
    .await
    .unwrap();
    drop(server);

    // Retention, under a policy whose period runs out the day the record
    // opens (the service's records policy, a file).
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("records-policy.toml");
    let text = confidant_policy::Policy::builtin_text("wwdd-coaching")
        .unwrap()
        .replacen("months = 36", "months = 0", 1)
        .replacen(
            "from = \"the last session\"",
            "from = \"the record was opened\"",
            1,
        );
    std::fs::write(&policy, text).unwrap();
    let spec = policy.to_str().unwrap().to_owned();
    let server = Server::start_with(|s| s.with_records_policy(spec.clone()))
        .await
        .unwrap();
    let base = server.base.clone();
    let due = client(&server, "Dora Due").await;
    let held = client(&server, "Hal Held").await;
    server
        .state
        .service()
        .store()
        .place_hold("test", &held, HoldReason::Investigation)
        .await
        .unwrap();
    let rita = make_user(&server, "rita.records", &[Role::RecordsManager])
        .await
        .unwrap();
    journey(&driver, "retention-skips-hold", async |s: &mut Session| {
        sign_in(s, &base, &rita).await?;
        ensure!(
            s.text()
                .await?
                .contains("Records falling due for destruction"),
            "home shows what falls due"
        );
        s.goto(&format!("{base}/records/retention")).await?;
        s.check_page().await?;
        s.screenshot("records-retention").await?;
        s.submit("Destroy the records due today…").await?;
        let text = s.text().await?;
        ensure!(
            text.contains(due.as_str()),
            "the confirmation names the record"
        );
        ensure!(
            text.contains(held.as_str()),
            "and the one kept under a hold"
        );
        s.submit("Destroy 1 records").await?;
        ensure!(
            s.text().await?.contains("Tick the box"),
            "nothing is destroyed without the confirmation"
        );
        s.click("#confirm").await?;
        s.submit("Destroy 1 records").await?;
        let text = s.text().await?;
        ensure!(text.contains("1 records destroyed"));
        ensure!(text.contains("Destruction certificates"));
        ensure!(
            text.contains(held.as_str()),
            "the held record is listed as skipped"
        );
        s.screenshot("records-destroyed").await?;
        Ok(())
    })
    .await
    .unwrap();
    let store = server.state.service().store();
    assert!(store.get_client("test", &due).await.is_err(), "destroyed");
    store.get_client("test", &held).await.unwrap();
}
