//! The web app in real headless Chromium: each journey drives the pages as
//! a user would, over the real application layer and a fresh store, and
//! checks every page visited with axe-core (zero serious or critical
//! violations). Main pages are saved as screenshots (in docs/screenshots/ with CONFIDANT_UPDATE_SCREENSHOTS=1).
//! Without chromium and chromedriver the test fails under CI=true and is
//! skipped, with the reason printed, elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "browser/harness.rs"]
#[allow(dead_code)] // helpers for the journeys that need a signed-in user
mod harness;

use anyhow::{Context, Result, ensure};
use confidant_access::Role;
use fantoccini::Locator;
use harness::{Driver, Server, Session, User, base32_decode, journey, make_user, unix_now};

/// First sign-in: password, then enrolment of the authenticator from the
/// key the page shows (the code computed here with confidant-auth, as the
/// user's app would), then the recovery codes once, then home. With
/// `mistakes`, a wrong password and a wrong code first (once per run:
/// sign-in failures from one address are throttled).
async fn first_sign_in(s: &mut Session, base: &str, u: &User, mistakes: bool) -> Result<()> {
    s.goto(&format!("{base}/")).await?;
    ensure!(
        s.path().await? == "/sign-in",
        "a stranger is sent to sign in"
    );
    if mistakes {
        // A wrong password: the error sits next to the field; the username is
        // kept, the password is not.
        s.fill("username", &u.username).await?;
        s.fill("password", "not the password at all").await?;
        s.submit("Sign in").await?;
        ensure!(
            s.text()
                .await?
                .contains("The username or password is not right")
        );
        let kept = s
            .client
            .find(Locator::Id("username"))
            .await?
            .prop("value")
            .await?;
        ensure!(
            kept.as_deref() == Some(u.username.as_str()),
            "username kept"
        );
        let pw = s
            .client
            .find(Locator::Id("password"))
            .await?
            .prop("value")
            .await?;
        ensure!(pw.as_deref() == Some(""), "password never shown again");
        s.screenshot("sign-in-error").await?;
    } else {
        s.fill("username", &u.username).await?;
    }
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
    if mistakes {
        s.screenshot("enrol-authenticator").await?;
        // A wrong code first: refused next to the field, same key shown.
        s.fill("code", "000000").await?;
        s.submit("Confirm and sign in").await?;
        if totp.code_at(unix_now()).as_str() != "000000" {
            ensure!(s.text().await?.contains("That code is not right"));
        }
        let again = s
            .client
            .find(Locator::Id("totp-secret"))
            .await?
            .text()
            .await?;
        ensure!(again == secret, "the same key is shown again");
    }
    s.fill("code", totp.code_at(unix_now()).as_str()).await?;
    s.submit("Confirm and sign in").await?;
    ensure!(
        s.client.find(Locator::Id("recovery-codes")).await.is_ok(),
        "recovery codes shown once after enrolment"
    );
    s.click("a.button").await?;
    s.check_page().await?;
    ensure!(s.path().await? == "/", "signed in, at home");
    ensure!(s.text().await?.contains("What needs me now"));
    Ok(())
}

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

    // The first administrator, from the link `confidant serve` prints.
    let link = server
        .state
        .service()
        .create_setup_link("test")
        .await
        .unwrap();
    journey(&driver, "first-administrator", async |s: &mut Session| {
        s.goto(&format!("{base}/setup?token={}", link.as_str()))
            .await?;
        s.fill("username", "ada.admin").await?;
        s.fill("password", "short").await?;
        s.submit("Create the administrator").await?;
        ensure!(
            s.client.find(Locator::Css(".field-error")).await.is_ok(),
            "a short password is refused next to its field"
        );
        let kept = s
            .client
            .find(Locator::Id("username"))
            .await?
            .prop("value")
            .await?;
        ensure!(kept.as_deref() == Some("ada.admin"), "username kept");
        s.fill("password", "harbour violet anthem ledger 5093")
            .await?;
        s.submit("Create the administrator").await?;
        ensure!(
            s.text()
                .await?
                .contains("The administrator account is created")
        );
        // The link is single use.
        s.goto(&format!("{base}/setup?token={}", link.as_str()))
            .await?;
        s.fill("username", "eve.admin").await?;
        s.fill("password", "harbour violet anthem ledger 5093")
            .await?;
        s.submit("Create the administrator").await?;
        ensure!(s.text().await?.contains("already used or expired"));
        Ok(())
    })
    .await
    .unwrap();

    let pat = make_user(&server, "pat.practitioner", &[Role::Practitioner])
        .await
        .unwrap();
    // A client of Pat's, for the home page and the access journeys.
    let service = server.state.service();
    let client = service
        .store()
        .add_client(
            "test",
            &confidant_core::record::NewClient {
                name: "Robin Achebe".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    service
        .assign_client_unchecked("test", &client, &pat.practitioner)
        .await
        .unwrap();
    let client_url = format!("{base}/clients/{client}");
    // Robin asked for their records a week ago: a SAR on the clock.
    service
        .open_sar(
            "test",
            &confidant_service::sar::OpenSar {
                client_id: client.clone(),
                received_at: confidant_core::record::Timestamp(
                    confidant_store::now_micros() - 7 * 86_400_000_000,
                ),
                identity_check: false,
                on_behalf: None,
                wording: None,
                policy: "ukcp".into(),
            },
        )
        .await
        .unwrap();
    journey(
        &driver,
        "police-request-refused",
        async |s: &mut Session| {
            first_sign_in(s, &base, &pat, true).await?;
            police_request_refused(s, &base).await
        },
    )
    .await
    .unwrap();

    let sue = make_user(&server, "sue.supervisor", &[Role::Supervisor])
        .await
        .unwrap();
    service
        .add_supervision_unchecked("test", &sue.practitioner, &pat.practitioner)
        .await
        .unwrap();
    journey(
        &driver,
        "supervisor-refused-name",
        async |s: &mut Session| {
            first_sign_in(s, &base, &sue, false).await?;
            ensure!(
                !s.text().await?.contains("Robin Achebe"),
                "a supervisor's home lists no client's name"
            );
            s.goto(&client_url).await?;
            let text = s.text().await?;
            ensure!(text.contains("Not allowed"), "the supervisor is refused");
            ensure!(
                !text.contains("Robin Achebe"),
                "the refusal says only that it is not allowed"
            );
            Ok(())
        },
    )
    .await
    .unwrap();

    let bea = make_user(&server, "bea.practitioner", &[Role::Practitioner])
        .await
        .unwrap();
    journey(&driver, "break-glass", async |s: &mut Session| {
        first_sign_in(s, &base, &bea, false).await?;
        s.goto(&client_url).await?;
        let text = s.text().await?;
        ensure!(text.contains("This client is not assigned to you"));
        ensure!(
            !text.contains("Robin Achebe"),
            "no name before the glass is broken"
        );
        s.fill("reason", "urgent").await?;
        s.submit("Open this record in an emergency").await?;
        ensure!(
            s.text().await?.contains("at least 10 visible characters"),
            "a reason is required, next to its field"
        );
        s.fill(
            "reason",
            "covering Pat's client in crisis while Pat is on leave",
        )
        .await?;
        s.submit("Open this record in an emergency").await?;
        ensure!(s.text().await?.contains("Robin Achebe"), "the record opens");
        Ok(())
    })
    .await
    .unwrap();

    let sam = make_user(&server, "sam.safeguarding", &[Role::SafeguardingOfficer])
        .await
        .unwrap();
    journey(&driver, "break-glass-review", async |s: &mut Session| {
        first_sign_in(s, &base, &sam, false).await?;
        let text = s.text().await?;
        ensure!(text.contains("Emergency access to review"));
        ensure!(
            text.contains("covering Pat's client in crisis while Pat is on leave"),
            "the grant is in the review queue with its reason"
        );
        s.screenshot("break-glass-review").await?;
        s.submit("Mark as reviewed").await?;
        ensure!(
            s.text()
                .await?
                .contains("No emergency access is waiting for review"),
            "reviewed grants leave the queue"
        );
        Ok(())
    })
    .await
    .unwrap();
}

/// UKCP: the police ask for notes without a court order. The practitioner
/// adds the client, records that the client refused release, writes a
/// note (once, even when the form is sent twice), opens the matter in
/// words, sees the recommendation with its clauses quoted and the
/// obligations, records the decision (consulted, factors, why) and the
/// request is refused and documented. After sign-out the back button shows
/// nothing of the record.
async fn police_request_refused(s: &mut Session, base: &str) -> Result<()> {
    // Home: Robin's subject access request with its days left.
    let text = s.text().await?;
    ensure!(text.contains("Subject access requests"), "{text}");
    ensure!(
        text.contains("Robin Achebe") && text.contains("days left"),
        "the SAR is shown with its days left"
    );
    s.click("a[href='/clients/new']").await?;
    s.check_page().await?;
    // Bad input: a date that is not a date; the typed name is kept.
    s.fill("name", "Sam Okafor").await?;
    s.fill("date_of_birth", "1990-02-31").await?;
    s.submit("Add client").await?;
    ensure!(
        s.text()
            .await?
            .contains("Enter the date of birth as year-month-day")
    );
    let kept = s
        .client
        .find(Locator::Id("name"))
        .await?
        .prop("value")
        .await?;
    ensure!(kept.as_deref() == Some("Sam Okafor"));
    s.fill("date_of_birth", "1990-04-02").await?;
    s.submit("Add client").await?;
    ensure!(
        s.path().await?.starts_with("/clients/cl_"),
        "at the new record"
    );
    let client_path = s.path().await?;
    ensure!(s.text().await?.contains("Sam Okafor"));

    // The client refused release to whoever asks.
    s.select("purpose", "release-to-requester").await?;
    s.select("status", "refused").await?;
    s.select("form", "verbal").await?;
    s.submit("Record consent").await?;
    ensure!(s.text().await?.contains("The consent is recorded."));

    // A note, empty first (refused next to the field), then written and
    // the same form sent twice (a double click): saved once.
    s.submit("Save note").await?;
    ensure!(s.text().await?.contains("Write the note before saving it"));
    let note = "Sam spoke about an argument with a neighbour.";
    s.fill("text", note).await?;
    let statuses = s
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             const f = document.querySelector('form[action$=\"/notes\"]');\
             const body = new URLSearchParams(new FormData(f));\
             const send = () => fetch(f.action, { method: 'POST', body, redirect: 'manual' });\
             send().then(a => send().then(b => done([a.status, b.status])))\
               .catch(e => done(String(e)));",
            vec![],
        )
        .await?;
    ensure!(
        statuses[1] == 409,
        "the second submission is answered 'already sent': {statuses}"
    );
    s.goto(&format!("{base}{client_path}")).await?;
    let count = s.text().await?.matches(note).count();
    ensure!(
        count == 1,
        "the note is on the record once, not {count} times"
    );
    s.screenshot("client-record").await?;

    // The matter, chosen in words.
    s.click("a[href$='/matters/new']").await?;
    s.check_page().await?;
    s.submit("Open the matter").await?;
    ensure!(
        s.text().await?.contains("Choose what is happening"),
        "a choice is required"
    );
    s.click("#situation-police-notes").await?;
    s.fill("requester", "DC Rowe, Leeds CID").await?;
    s.select("policy", "ukcp").await?;
    s.submit("Open the matter").await?;
    ensure!(
        s.path().await?.starts_with("/matters/mat_"),
        "at the matter"
    );
    let matter_path = s.path().await?;
    ensure!(s.text().await?.contains("The police have asked for notes"));
    s.submit("Get the recommendation").await?;
    let text = s.text().await?;
    ensure!(
        text.contains("Do not share"),
        "client refused, no court order: UKCP withholds"
    );
    ensure!(
        text.contains(
            "unless you receive a court order you can refuse to share your client's notes"
        ),
        "the clause is quoted"
    );
    ensure!(text.contains("ukcp-guidance.txt"));
    ensure!(
        text.contains("Obligations"),
        "the obligations are a checklist"
    );
    s.screenshot("matter-recommendation").await?;

    // The decision record: the required parts first refused, what was typed kept.
    s.fill("consulted_role", "clinical supervisor").await?;
    s.fill("consulted_name", "Dr Ann Lee").await?;
    s.submit("Sign the decision record").await?;
    let text = s.text().await?;
    ensure!(text.contains("Say why you decided this"));
    ensure!(text.contains("Write at least one thing you took into consideration"));
    let kept = s
        .client
        .find(Locator::Id("consulted_name"))
        .await?
        .prop("value")
        .await?;
    ensure!(kept.as_deref() == Some("Dr Ann Lee"), "typed values kept");
    s.fill(
        "factors",
        "no court order or production order\nthe client refused consent when asked",
    )
    .await?;
    s.fill("why", "no legal obligation to disclose and no consent")
        .await?;
    s.click("#told-yes").await?;
    s.fill("told_how", "discussed in session").await?;
    s.submit("Sign the decision record").await?;
    let text = s.text().await?;
    ensure!(text.contains("Your decision record is signed"), "{text}");
    ensure!(text.contains("Decision record (signed)"));
    ensure!(text.contains("Dr Ann Lee (clinical supervisor)"));
    ensure!(
        s.client
            .find(Locator::Id("decided-outcome"))
            .await?
            .text()
            .await?
            == "Do not share"
    );
    ensure!(
        !text.contains("Sign the decision record"),
        "signed once: no second form"
    );
    s.screenshot("matter-decision-record").await?;

    // Home lists the open matter.
    s.goto(&format!("{base}/")).await?;
    ensure!(s.text().await?.contains("The police have asked for notes"));
    s.screenshot("home").await?;

    // Sign out; the back button shows nothing of the record.
    s.goto(&format!("{base}{matter_path}")).await?;
    s.submit("Sign out").await?;
    ensure!(s.text().await?.contains("You are signed out"));
    s.client.back().await?;
    s.client.wait().for_element(Locator::Css("body")).await?;
    let text = s.text().await?;
    ensure!(
        !text.contains("Sam Okafor") && !text.contains("DC Rowe"),
        "after sign-out the back button shows nothing of the record"
    );
    s.goto(&format!("{base}{client_path}")).await?;
    ensure!(
        s.path().await? == "/sign-in",
        "the record needs signing in again"
    );
    Ok(())
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
