//! The matter flows in real headless Chromium, each page checked with
//! axe-core (zero serious or critical violations): the package builder,
//! its preview with every removed identifier highlighted, and delivery
//! (a sealed `age` file, opened here with the real `age` binary, or a
//! recorded verbal disclosure), and a Handcrafted safeguarding concern
//! escalated to the Safeguarding Officer alone. The records each journey starts from are
//! set up through the application layer; the recommendations, recipients
//! and removals are the engine's and the policies' own answers.
//! Without chromium, chromedriver and age the test fails under CI=true and
//! is skipped, with the reason printed, elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "browser/harness.rs"]
#[allow(dead_code)]
mod harness;

use anyhow::{Context, Result, bail, ensure};
use confidant_access::Role;
use confidant_core::ids::{ClientId, MatterId};
use confidant_core::record::{CaseKind, NewClient, NewConsent, NewNote, Timestamp};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use confidant_service::matter::OpenMatter;
use fantoccini::Locator;
use harness::{Driver, Server, Session, User, base32_decode, journey, make_user, unix_now};
use std::path::PathBuf;
use std::process::Command;

/// First sign-in: password, authenticator enrolment, recovery codes, home.
async fn sign_in(s: &mut Session, base: &str, u: &User) -> Result<()> {
    s.goto(&format!("{base}/sign-in")).await?;
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

/// An `age` identity made with the real `age-keygen`: (key file, public key).
fn age_identity(dir: &std::path::Path, name: &str) -> Result<(PathBuf, String)> {
    let key = dir.join(format!("{name}.key"));
    let out = Command::new("age-keygen").arg("-o").arg(&key).output()?;
    ensure!(out.status.success(), "age-keygen failed");
    let text = std::fs::read_to_string(&key)?;
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .context("age-keygen wrote no public key")?
        .to_owned();
    Ok((key, public))
}

/// Opens an `age` file with the real `age` binary.
fn age_decrypt(key: &std::path::Path, sealed: &[u8], dir: &std::path::Path) -> Result<String> {
    let file = dir.join("package.html.age");
    std::fs::write(&file, sealed)?;
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(key)
        .arg(&file)
        .output()?;
    ensure!(
        out.status.success(),
        "age -d failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// Submits the delivery form as the browser would and returns the body of
/// the download (the sealed file) and its Content-Disposition.
async fn download_delivery(s: &Session) -> Result<(Vec<u8>, String)> {
    let v = s
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             const f = document.querySelector('form[action$=\"/deliver\"]');\
             const body = new URLSearchParams(new FormData(f));\
             fetch(f.action, { method: 'POST', body })\
               .then(r => r.arrayBuffer().then(b => {\
                 const u = new Uint8Array(b); let s = '';\
                 for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);\
                 done([r.status, r.headers.get('content-disposition') || '', btoa(s)]);\
               }))\
               .catch(e => done(String(e)));",
            vec![],
        )
        .await?;
    let arr = v.as_array().context("the download did not complete")?;
    ensure!(arr[0] == 200, "delivery answered {}", arr[0]);
    let disposition = arr[1].as_str().unwrap_or("").to_owned();
    let b64 = arr[2].as_str().unwrap_or("");
    Ok((decode_base64(b64)?, disposition))
}

fn decode_base64(s: &str) -> Result<Vec<u8>> {
    let val = |c: u8| -> Result<u32> {
        Ok(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("not base64"),
        })
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|c| **c == b'=').count();
        let mut n = 0u32;
        for c in chunk {
            n = (n << 6) | if *c == b'=' { 0 } else { val(*c)? };
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}

fn dob(s: &str) -> confidant_core::record::CivilDate {
    confidant_core::record::CivilDate::parse(s, "date_of_birth").unwrap()
}

async fn client_of(server: &Server, u: &User, new: NewClient) -> ClientId {
    let service = server.state.service();
    let c = service.store().add_client("test", &new).await.unwrap();
    service
        .assign_client_unchecked("test", &c, &u.practitioner)
        .await
        .unwrap();
    c
}

async fn open(
    server: &Server,
    client: &ClientId,
    case: Option<confidant_core::ids::CaseId>,
    policy: &str,
    subject: serde_json::Value,
) -> MatterId {
    server
        .state
        .service()
        .open_matter(
            "test",
            &OpenMatter {
                client_id: client.clone(),
                case_id: case,
                policy: policy.into(),
                subject: serde_json::from_value(subject).unwrap(),
                arrived_at: None,
                summary: None,
            },
        )
        .await
        .unwrap()
}

/// Signs the decision record as recommended (the form starts at the
/// policy's recommendation).
async fn sign_record(s: &mut Session, factors: &str, why: &str, told: Option<&str>) -> Result<()> {
    s.fill("factors", factors).await?;
    s.fill("why", why).await?;
    match told {
        Some(how) => {
            s.click("#told-yes").await?;
            s.fill("told_how", how).await?;
        }
        None => {
            s.click("#told-no").await?;
            s.fill(
                "why_not",
                "covered by the agreement; nothing identifying leaves",
            )
            .await?;
        }
    }
    s.submit("Sign the decision record").await?;
    ensure!(
        s.text().await?.contains("Your decision record is signed"),
        "the record is signed"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matter_journeys_in_chromium() {
    let Some((chromium, chromedriver)) = harness::browser_programs() else {
        return;
    };
    let have_age = Command::new("age").arg("--version").output().is_ok()
        && Command::new("age-keygen").arg("--version").output().is_ok();
    if !have_age {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have the age binary (apt-get install age)"
        );
        eprintln!("skipped: the age binary is not installed");
        return;
    }
    let server = Server::start().await.unwrap();
    let driver = Driver::start(chromium, &chromedriver).await.unwrap();
    let base = server.base.clone();
    let tmp = tempfile::tempdir().unwrap();
    let service = server.state.service();

    // ---------------------------------------------------------- CSRP couple
    let pat = make_user(&server, "pat.practitioner", &[Role::Practitioner])
        .await
        .unwrap();
    let alex = client_of(
        &server,
        &pat,
        NewClient {
            name: "Alex Morgan".into(),
            date_of_birth: Some(dob("1985-01-10")),
            ..Default::default()
        },
    )
    .await;
    let jordan = client_of(
        &server,
        &pat,
        NewClient {
            name: "Jordan Reeve".into(),
            date_of_birth: Some(dob("1987-06-30")),
            ..Default::default()
        },
    )
    .await;
    let case = service
        .add_case("test", CaseKind::Couple, &[alex.clone(), jordan.clone()])
        .await
        .unwrap();
    for (who, status) in [
        (&alex, ConsentStatus::Given),
        (&jordan, ConsentStatus::Refused),
    ] {
        service
            .store()
            .add_consent(
                "test",
                &NewConsent {
                    client_id: who.clone(),
                    case_id: Some(case.clone()),
                    purpose: ConsentPurpose::ReleaseToRequester,
                    form: ConsentForm::Written,
                    status,
                    given_at: (status == ConsentStatus::Given)
                        .then(|| Timestamp(confidant_store::now_micros() - 86_400_000_000)),
                    withdrawn_at: None,
                    evidence: (status == ConsentStatus::Given).then(|| "signed form".into()),
                },
            )
            .await
            .unwrap();
    }
    let own = service
        .store()
        .add_note(
            "test",
            &NewNote {
                client_id: alex.clone(),
                case_id: Some(case.clone()),
                author: Some(pat.practitioner.clone()),
                parties: vec![],
                text: "Alex said that Jordan Reeve had been shouting at home.".into(),
            },
        )
        .await
        .unwrap();
    let joint = service
        .store()
        .add_note(
            "test",
            &NewNote {
                client_id: alex.clone(),
                case_id: Some(case.clone()),
                author: Some(pat.practitioner.clone()),
                parties: vec![alex.clone(), jordan.clone()],
                text: "Joint session: both partners discussed the finances.".into(),
            },
        )
        .await
        .unwrap();
    let couple_matter = open(
        &server,
        &alex,
        Some(case.clone()),
        "csrp",
        serde_json::json!({"kind": "request", "from": "solicitor", "asks_for": "notes",
                           "requester": "Hart & Co solicitors for Alex"}),
    )
    .await;
    let (key, public) = age_identity(tmp.path(), "solicitor").unwrap();
    journey(&driver, "csrp-couple-package", async |s: &mut Session| {
        sign_in(s, &base, &pat).await?;
        s.goto(&format!("{base}/matters/{couple_matter}")).await?;
        s.submit("Get the recommendation").await?;
        sign_record(
            s,
            "Alex's written consent\nJordan refused consent",
            "CSRP 9: release the consenting client's material only",
            Some("told Alex by phone"),
        )
        .await?;
        s.click("#build-package").await?;
        s.check_page().await?;
        let text = s.text().await?;
        ensure!(
            text.contains("Build the disclosure package"),
            "the builder: {text}"
        );
        ensure!(
            s.client
                .find(Locator::Id(&format!("blocked-{joint}")))
                .await
                .is_ok(),
            "the joint note is marked as not releasable"
        );
        // Choosing the joint note is refused next to the notes, the
        // choices kept.
        s.click(&format!("#note-{joint}")).await?;
        s.fill(&format!("reason-{joint}"), "joint session").await?;
        s.submit("Preview the package").await?;
        let text = s.text().await?;
        ensure!(text.contains("has not consented"), "refused: {text}");
        ensure!(
            s.client
                .find(Locator::Id(&format!("note-{joint}")))
                .await?
                .prop("checked")
                .await?
                .as_deref()
                == Some("true"),
            "what was chosen is kept"
        );
        s.click(&format!("#note-{joint}")).await?;
        s.click(&format!("#note-{own}")).await?;
        s.fill(&format!("reason-{own}"), "Alex's own account")
            .await?;
        s.submit("Preview the package").await?;
        ensure!(s.path().await?.starts_with("/packages/"), "at the preview");
        let preview_path = s.path().await?;
        let marked = s
            .client
            .find(Locator::Css("mark.removed"))
            .await
            .context("a removed identifier is highlighted")?
            .text()
            .await?;
        ensure!(
            marked.contains("Jordan Reeve"),
            "the partner's name is highlighted: {marked}"
        );
        ensure!(
            s.client.find(Locator::Id("removed-list")).await.is_ok(),
            "every removed identifier is listed"
        );
        s.screenshot("package-preview").await?;
        // Delivery needs the confirmation: refused without, key kept.
        s.fill("recipient_key", &public).await?;
        s.submit("Seal and download the package").await?;
        ensure!(
            s.text().await?.contains("Tick the box to confirm"),
            "a confirmation is required"
        );
        let kept = s
            .client
            .find(Locator::Id("recipient_key"))
            .await?
            .prop("value")
            .await?;
        ensure!(kept.as_deref() == Some(public.as_str()), "the key is kept");
        s.click("#confirm").await?;
        let (sealed, disposition) = download_delivery(s).await?;
        ensure!(
            disposition.starts_with("attachment") && disposition.contains(".html.age"),
            "a download: {disposition}"
        );
        let html = age_decrypt(&key, &sealed, tmp.path())?;
        ensure!(
            html.contains("shouting at home"),
            "Alex's own note is in it"
        );
        ensure!(
            !html.contains("Jordan") && !html.contains("Reeve"),
            "nothing of the partner who refused"
        );
        ensure!(!html.contains("finances"), "the joint note is not in it");
        s.goto(&format!("{base}{preview_path}")).await?;
        ensure!(
            s.client.find(Locator::Id("delivered")).await.is_ok(),
            "delivered once"
        );
        Ok(())
    })
    .await
    .unwrap();
    ensure_disclosures(&server, &alex, 1).await;
    ensure_disclosures(&server, &jordan, 0).await;

    // ---------------------------------------------------------- WWDD suicide risk
    let kim = make_user(&server, "kim.practitioner", &[Role::Practitioner])
        .await
        .unwrap();
    let robin = client_of(
        &server,
        &kim,
        NewClient {
            name: "Robin Hale".into(),
            date_of_birth: Some(dob("1979-09-09")),
            phone: Some("07700 900461".into()),
            ..Default::default()
        },
    )
    .await;
    service
        .store()
        .add_note(
            "test",
            &NewNote::new(
                robin.clone(),
                "Robin said tonight they have pills saved and a plan.",
            ),
        )
        .await
        .unwrap();
    let risk = open(
        &server,
        &robin,
        None,
        "wwdd-coaching",
        serde_json::json!({"kind": "concern", "about": "suicide"}),
    )
    .await;
    let mut told_to = Vec::new();
    journey(&driver, "wwdd-suicide-risk", async |s: &mut Session| {
        sign_in(s, &base, &kim).await?;
        s.goto(&format!("{base}/matters/{risk}")).await?;
        s.click("#imminent").await?;
        s.click("#confirmed").await?;
        s.submit("Get the recommendation").await?;
        sign_record(
            s,
            "a plan and the means, tonight",
            "risk to life: call 999 now",
            Some("told Robin in the session that I was calling an ambulance"),
        )
        .await?;
        // The recipients the engine allows, as the builder offers them.
        s.click("#build-package").await?;
        s.check_page().await?;
        let options = s.client.find_all(Locator::Css("#recipient option")).await?;
        let mut recipients = Vec::new();
        for o in options {
            recipients.push(o.attr("value").await?.unwrap_or_default());
        }
        ensure!(
            recipients.iter().any(|r| r == "emergency-services")
                && recipients.iter().any(|r| r == "gp"),
            "WWDD: emergency services, and the GP, may be told: {recipients:?}"
        );
        for r in &recipients {
            s.goto(&format!("{base}/matters/{risk}/package")).await?;
            s.select("recipient", r).await?;
            // Bad input: what was said, but not to whom.
            s.fill("said", "name, address, the plan and the means")
                .await?;
            s.fill("means", "telephone").await?;
            s.submit("Preview the package").await?;
            ensure!(
                s.client.find(Locator::Css(".field-error")).await.is_ok(),
                "who was told is required"
            );
            s.fill("to_whom", &format!("{r}, by telephone")).await?;
            s.submit("Preview the package").await?;
            ensure!(s.text().await?.contains("Verbal disclosure to"));
            s.click("#confirm").await?;
            s.submit("Record the verbal disclosure").await?;
            ensure!(
                s.text()
                    .await?
                    .contains("recorded in the client's accounting of disclosures"),
                "recorded"
            );
            told_to.push(r.clone());
        }
        Ok(())
    })
    .await
    .unwrap();
    let ds = service.disclosures("test", &robin).await.unwrap();
    assert_eq!(ds.len(), told_to.len());
    for r in &told_to {
        assert!(
            ds.iter()
                .any(|d| d["what"]["recipient"] == r.as_str() && d["what"]["mode"] == "verbal"),
            "{r} recorded"
        );
    }

    // ---------------------------------------------------------- WWDD supervision material
    let lee = make_user(&server, "lee.practitioner", &[Role::Practitioner])
        .await
        .unwrap();
    let priya = client_of(
        &server,
        &lee,
        NewClient {
            name: "Priya Natarajan".into(),
            date_of_birth: Some(dob("1992-02-14")),
            address: Some("4 Oak Street, Bristol".into()),
            postcode: Some("BS3 4QT".into()),
            email: Some("priya.n@example.org".into()),
            phone: Some("07700 900777".into()),
            ..Default::default()
        },
    )
    .await;
    let mut notes = Vec::new();
    for text in [
        "Priya Natarajan talked about her manager, Tom Hughes, at Avon Logistics. Priya feels stuck.",
        "Priya said Tom Hughes emailed her at priya.n@example.org on Sunday. She lives at 4 Oak Street, BS3 4QT.",
    ] {
        notes.push(
            service
                .store()
                .add_note("test", &NewNote::new(priya.clone(), text))
                .await
                .unwrap(),
        );
    }
    let sup = open(
        &server,
        &priya,
        None,
        "wwdd-coaching",
        serde_json::json!({"kind": "use", "for": "supervision"}),
    )
    .await;
    let (skey, spublic) = age_identity(tmp.path(), "supervisor").unwrap();
    journey(
        &driver,
        "wwdd-supervision-material",
        async |s: &mut Session| {
            sign_in(s, &base, &lee).await?;
            s.goto(&format!("{base}/matters/{sup}")).await?;
            s.submit("Get the recommendation").await?;
            sign_record(
                s,
                "supervision is part of the service agreement",
                "to get support with a stuck coaching relationship",
                None,
            )
            .await?;
            s.click("#build-package").await?;
            s.check_page().await?;
            ensure!(
                s.text()
                    .await?
                    .contains("Supervision and teaching material"),
                "the supervision material page"
            );
            for (n, why) in notes.iter().zip(["the manager", "the weekend contact"]) {
                s.click(&format!("#note-{n}")).await?;
                s.fill(&format!("reason-{n}"), why).await?;
            }
            s.submit("Preview the package").await?;
            let marks = s.client.find_all(Locator::Css("mark.removed")).await?;
            ensure!(marks.len() >= 4, "the identifiers are highlighted");
            s.screenshot("supervision-material").await?;
            s.fill("recipient_key", &spublic).await?;
            s.click("#confirm").await?;
            let (sealed, _) = download_delivery(s).await?;
            let html = age_decrypt(&skey, &sealed, tmp.path())?;
            ensure!(html.contains("feels stuck"), "the material is there");
            // No identifier on the record is left, nor the people the notes name.
            let record = s_record_identifiers(&server, &priya).await;
            for id in record
                .iter()
                .map(String::as_str)
                .chain(["Tom", "Hughes", "Avon Logistics"])
            {
                ensure!(!html.contains(id), "{id:?} was left in the released text");
            }
            Ok(())
        },
    )
    .await
    .unwrap();

    // ------------------------------------- Handcrafted safeguarding concern
    // handcrafted.txt: "If it is a 'Safeguarding' issue then follow
    // safeguarding guidance and only contact the Safeguarding Officer or
    // their deputy."
    let hana = make_user(&server, "hana.practitioner", &[Role::Practitioner])
        .await
        .unwrap();
    let other_prac = make_user(&server, "omar.practitioner", &[Role::Practitioner])
        .await
        .unwrap();
    let officer = make_user(&server, "so.officer", &[Role::SafeguardingOfficer])
        .await
        .unwrap();
    make_user(&server, "so.deputy", &[Role::SafeguardingOfficer])
        .await
        .unwrap();
    let admin = make_user(&server, "site.admin", &[Role::Administrator])
        .await
        .unwrap();
    let officer_id = service.user_id_of("so.officer").await.unwrap();
    let kit = client_of(
        &server,
        &hana,
        NewClient {
            name: "Kit Ashdown".into(),
            date_of_birth: Some(dob("1990-02-03")),
            ..Default::default()
        },
    )
    .await;
    let concern = serde_json::json!({"kind": "concern", "about": "adult-safeguarding"});
    let sg = open(&server, &kit, None, "handcrafted", concern.clone()).await;
    let not_escalated = open(&server, &kit, None, "handcrafted", concern).await;
    journey(&driver, "handcrafted-escalate", async |s: &mut Session| {
        sign_in(s, &base, &hana).await?;
        s.goto(&format!("{base}/matters/{sg}")).await?;
        s.click("#escalate").await?;
        s.check_page().await?;
        let text = s.text().await?;
        ensure!(
            text.contains("only to the Safeguarding Officer or their deputy"),
            "the page says where a safeguarding concern goes"
        );
        let options = s.client.find_all(Locator::Css("#to_user option")).await?;
        ensure!(
            options.len() == 2,
            "only the officer and the deputy are offered"
        );
        s.select("to_user", officer_id.as_str()).await?;
        s.submit("Escalate").await?;
        ensure!(
            s.text().await?.contains("The matter is escalated"),
            "escalated"
        );
        Ok(())
    })
    .await
    .unwrap();
    journey(
        &driver,
        "handcrafted-officer-sees-it",
        async |s: &mut Session| {
            sign_in(s, &base, &officer).await?;
            ensure!(
                s.text().await?.contains("Escalations waiting for me"),
                "the officer's home lists the escalation"
            );
            s.click(&format!("a[href='/matters/{sg}']")).await?;
            s.check_page().await?;
            ensure!(
                s.path().await? == format!("/matters/{sg}"),
                "the matter page"
            );
            ensure!(
                !s.text().await?.contains("Not allowed"),
                "the officer sees it"
            );
            s.goto(&format!("{base}/matters/{not_escalated}")).await?;
            ensure!(
                s.text().await?.contains("Not allowed"),
                "a matter not escalated to the officer is refused"
            );
            Ok(())
        },
    )
    .await
    .unwrap();
    for (name, who) in [
        ("handcrafted-other-practitioner-refused", &other_prac),
        ("handcrafted-administrator-refused", &admin),
    ] {
        journey(&driver, name, async |s: &mut Session| {
            sign_in(s, &base, who).await?;
            ensure!(
                !s.text().await?.contains("Escalations waiting for me"),
                "nothing waits for them"
            );
            for m in [&sg, &not_escalated] {
                s.goto(&format!("{base}/matters/{m}")).await?;
                ensure!(s.text().await?.contains("Not allowed"), "refused");
            }
            Ok(())
        })
        .await
        .unwrap();
    }
}

/// Every identifier on the client's record: name parts, address (and its
/// parts), postcode, email, phone and the record's id.
async fn s_record_identifiers(server: &Server, id: &ClientId) -> Vec<String> {
    let c = server
        .state
        .service()
        .store()
        .get_client("test", id)
        .await
        .unwrap();
    let mut out: Vec<String> = c.name.split_whitespace().map(str::to_owned).collect();
    out.push(c.name.clone());
    for v in [&c.address, &c.postcode, &c.email, &c.phone]
        .into_iter()
        .flatten()
    {
        out.push(v.clone());
        out.extend(
            v.split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty()),
        );
    }
    out.push(id.to_string());
    out
}

async fn ensure_disclosures(server: &Server, client: &ClientId, n: usize) {
    let ds = server
        .state
        .service()
        .disclosures("test", client)
        .await
        .unwrap();
    assert_eq!(ds.len(), n, "{client}: {ds:?}");
}
