//! The matter flows through the JSON API on SQLite and (with
//! CONFIDANT_TEST_DATABASE_URL) PostgreSQL: a CSRP couple where one partner
//! consents (the package holds only their material, sealed to an `age`
//! key and opened with the `age` crate), a WWDD suicide risk confirmed
//! (the engine's recipients, a verbal disclosure recorded), the decision
//! record amended and attested, the matter closed; and every new endpoint
//! refusing a practitioner who is not assigned, an administrator and a
//! supervisor with "not allowed", bad input changing nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use confidant_access::Role;
use confidant_core::record::Role as StaffRole;
use confidant_service::accounts::AccountSettings;
use serde_json::{Value, json};

async fn get(h: &Harness, s: &Session, path: &str) -> (StatusCode, Value) {
    let (st, _, b) = h.call(Method::GET, path, Some(&s.cookie), None, None).await;
    (st, b)
}

async fn post(h: &Harness, s: &Session, path: &str, body: Value) -> (StatusCode, Value) {
    let (st, _, b) = h
        .call(
            Method::POST,
            path,
            Some(&s.cookie),
            Some(&s.csrf),
            Some(body),
        )
        .await;
    (st, b)
}

fn created(r: (StatusCode, Value)) -> String {
    assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
    r.1["id"].as_str().unwrap().to_owned()
}

fn not_allowed(r: (StatusCode, Value)) {
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    assert_eq!(r.1["detail"], "not allowed");
}

fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64"),
        }
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|c| **c == b'=').count();
        let mut n = 0u32;
        for c in chunk {
            n = (n << 6) | if *c == b'=' { 0 } else { val(*c) };
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

struct People {
    alice: Session,
    bob: Session,
    admin: Session,
    supervisor: Session,
}

async fn people(h: &Harness) -> People {
    let svc = h.state.service();
    let pa = svc
        .add_practitioner("test", "Alice Example", &[StaffRole::Practitioner])
        .await
        .unwrap();
    let pb = svc
        .add_practitioner("test", "Bob Example", &[StaffRole::Practitioner])
        .await
        .unwrap();
    let ps = svc
        .add_practitioner("test", "Sue Example", &[StaffRole::Supervisor])
        .await
        .unwrap();
    svc.add_supervision_unchecked("test", &ps, &pa)
        .await
        .unwrap();
    h.user_as("alice", &[Role::Practitioner], Some(pa)).await;
    h.user_as("bob", &[Role::Practitioner], Some(pb)).await;
    h.user_as("sue", &[Role::Supervisor], Some(ps)).await;
    h.user("root", &[Role::Administrator]).await;
    People {
        alice: h.sign_in_and_enrol("alice").await,
        bob: h.sign_in_and_enrol("bob").await,
        admin: h.sign_in_and_enrol("root").await,
        supervisor: h.sign_in_and_enrol("sue").await,
    }
}

#[test]
fn csrp_couple_package_holds_only_the_consenting_partners_material() {
    for_each_backend(AccountSettings::default(), async |h: Harness| {
        let p = people(&h).await;
        let a = created(
            post(
                &h,
                &p.alice,
                "/api/v1/clients",
                json!({"name": "Alex Morgan", "date_of_birth": "1985-01-10"}),
            )
            .await,
        );
        let b = created(
            post(
                &h,
                &p.alice,
                "/api/v1/clients",
                json!({"name": "Jordan Reeve", "date_of_birth": "1987-06-30"}),
            )
            .await,
        );
        // Bad input first: an unknown kind, a party named twice.
        let r = post(
            &h,
            &p.alice,
            "/api/v1/cases",
            json!({"kind": "trio", "parties": [a, b]}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        let r = post(
            &h,
            &p.alice,
            "/api/v1/cases",
            json!({"kind": "couple", "parties": [a, a]}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        // Bob is not assigned to either partner.
        not_allowed(
            post(
                &h,
                &p.bob,
                "/api/v1/cases",
                json!({"kind": "couple", "parties": [a, b]}),
            )
            .await,
        );
        let case = created(
            post(
                &h,
                &p.alice,
                "/api/v1/cases",
                json!({"kind": "couple", "parties": [a, b]}),
            )
            .await,
        );
        let (s, v) = get(&h, &p.alice, &format!("/api/v1/cases/{case}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["kind"], "couple");
        not_allowed(get(&h, &p.bob, &format!("/api/v1/cases/{case}")).await);
        not_allowed(get(&h, &p.admin, &format!("/api/v1/cases/{case}")).await);

        created(
            post(
                &h,
                &p.alice,
                &format!("/api/v1/cases/{case}/consents"),
                json!({"client_id": a, "purpose": "release-to-requester", "form": "written",
                       "status": "given", "given_at": "2026-11-01", "evidence": "signed form"}),
            )
            .await,
        );
        created(
            post(
                &h,
                &p.alice,
                &format!("/api/v1/cases/{case}/consents"),
                json!({"client_id": b, "purpose": "release-to-requester", "form": "written",
                       "status": "refused"}),
            )
            .await,
        );
        let own = created(
            post(
                &h,
                &p.alice,
                &format!("/api/v1/cases/{case}/notes"),
                json!({"client_id": a,
                       "text": "Alex said that Jordan Reeve had been shouting at home."}),
            )
            .await,
        );
        let joint = created(
            post(
                &h,
                &p.alice,
                &format!("/api/v1/cases/{case}/notes"),
                json!({"client_id": a, "parties": [a, b],
                       "text": "Joint session: both partners discussed the finances."}),
            )
            .await,
        );
        // A note attributed to someone outside the case is refused.
        let outsider = created(
            post(
                &h,
                &p.alice,
                "/api/v1/clients",
                json!({"name": "Casey Outside"}),
            )
            .await,
        );
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/cases/{case}/notes"),
            json!({"client_id": a, "parties": [outsider], "text": "x"}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);

        let m = created(
            post(
                &h,
                &p.alice,
                &format!("/api/v1/cases/{case}/matters"),
                json!({"client_id": a, "policy": "csrp",
                       "subject": {"kind": "request", "from": "solicitor", "asks_for": "notes",
                                   "requester": "Hart & Co solicitors for Alex"}}),
            )
            .await,
        );
        let (s, rec) = post(
            &h,
            &p.alice,
            &format!("/api/v1/matters/{m}/assess"),
            json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{rec}");
        let outcome = rec["decision"]["outcome"].as_str().unwrap().to_owned();
        // Before a signed record, no package.
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/matters/{m}/packages"),
            json!({"recipient": "solicitor", "items": [{"note": own, "reason": "own account"}]}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        not_allowed(
            post(
                &h,
                &p.bob,
                &format!("/api/v1/matters/{m}/record"),
                json!({"outcome": outcome, "factors": ["x"], "why": "x",
                       "client_told": {"told": true, "how": "phone"}}),
            )
            .await,
        );
        created(
            post(
                &h,
                &p.alice,
                &format!("/api/v1/matters/{m}/record"),
                json!({"outcome": outcome,
                       "consulted": [{"name": "R. Iqbal", "role": "clinical lead"}],
                       "factors": ["Alex's written consent", "Jordan refused consent"],
                       "why": "CSRP 9: release the consenting client's material only",
                       "client_told": {"told": true, "how": "told Alex by phone"}}),
            )
            .await,
        );
        // The engine's answer: disclose to whoever asked (here a solicitor),
        // the consenting party's material only.
        assert_eq!(outcome, "disclose", "{rec}");
        assert!(
            rec["decision"]["obligations"]
                .as_array()
                .unwrap()
                .contains(&json!("consenting-party-only")),
            "{rec}"
        );
        let to = "solicitor";
        // The joint note names the partner who refused: never released.
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/matters/{m}/packages"),
            json!({"recipient": to, "items": [{"note": joint, "reason": "joint"}]}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        assert!(
            r.1["detail"]
                .as_str()
                .unwrap()
                .contains("has not consented"),
            "{}",
            r.1
        );
        not_allowed(
            post(
                &h,
                &p.admin,
                &format!("/api/v1/matters/{m}/packages"),
                json!({"recipient": to, "items": [{"note": own, "reason": "x"}]}),
            )
            .await,
        );
        let pkg = created(
            post(
                &h,
                &p.alice,
                &format!("/api/v1/matters/{m}/packages"),
                json!({"recipient": to, "recipient_name": "Hart & Co",
                       "items": [{"note": own, "reason": "Alex's own account"}]}),
            )
            .await,
        );
        let (s, prev) = get(&h, &p.alice, &format!("/api/v1/packages/{pkg}")).await;
        assert_eq!(s, StatusCode::OK, "{prev}");
        let removed = prev["removed"].as_array().unwrap();
        assert!(
            removed
                .iter()
                .any(|r| r["kind"] == "NAME" && r["text"] == "Jordan Reeve"),
            "the other partner's name is listed as removed, with its position: {prev}"
        );
        for r in removed {
            assert!(r["end"].as_u64() > r["start"].as_u64());
        }
        not_allowed(get(&h, &p.supervisor, &format!("/api/v1/packages/{pkg}")).await);
        not_allowed(get(&h, &p.bob, &format!("/api/v1/packages/{pkg}")).await);

        let identity = age::x25519::Identity::generate();
        let key = identity.to_public().to_string();
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/packages/{pkg}/deliver"),
            json!({"recipient_key": "age1notakey"}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/packages/{pkg}/deliver"),
            json!({"recipient_key": key, "verbal": true}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        let (s, ds) = get(&h, &p.alice, &format!("/api/v1/clients/{a}/disclosures")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(ds.as_array().unwrap().is_empty(), "nothing delivered yet");
        let (s, d) = post(
            &h,
            &p.alice,
            &format!("/api/v1/packages/{pkg}/deliver"),
            json!({"recipient_key": key}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let html_file = d["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"].as_str().unwrap().ends_with(".html.age"))
            .unwrap();
        let sealed = decode_base64(html_file["age_base64"].as_str().unwrap());
        let html = String::from_utf8(age::decrypt(&identity, &sealed).unwrap()).unwrap();
        assert!(html.contains("shouting at home"), "{html}");
        assert!(
            !html.contains("Jordan") && !html.contains("Reeve"),
            "{html}"
        );
        assert!(!html.contains("finances"), "{html}");
        // Delivered once.
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/packages/{pkg}/deliver"),
            json!({"recipient_key": key}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        let (_, ds) = get(&h, &p.alice, &format!("/api/v1/clients/{a}/disclosures")).await;
        assert_eq!(ds.as_array().unwrap().len(), 1);
        let (_, ds) = get(&h, &p.alice, &format!("/api/v1/clients/{b}/disclosures")).await;
        assert!(ds.as_array().unwrap().is_empty());
        not_allowed(get(&h, &p.admin, &format!("/api/v1/clients/{a}/disclosures")).await);

        // Amend the record (the original stays), then close.
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/matters/{m}/amendments"),
            json!({"field": "why", "correction": "CSRP 9, consenting partner only",
                   "reason": "clearer wording"}),
        )
        .await;
        created(r);
        let (_, mv) = get(&h, &p.alice, &format!("/api/v1/matters/{m}")).await;
        let mut attest = Vec::new();
        for item in mv["checklist"].as_array().unwrap() {
            if item["status"] == "unmet" {
                attest.push(json!({"obligation": item["obligation"], "note": "done"}));
            }
        }
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/matters/{m}/close"),
            json!({"attest": [{"obligation": "no-such-thing", "note": "x"}]}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        let (s, closed) = post(
            &h,
            &p.alice,
            &format!("/api/v1/matters/{m}/close"),
            json!({"attest": attest}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{closed}");
        assert!(!closed["checklist"].as_array().unwrap().is_empty());
        let (_, mv) = get(&h, &p.alice, &format!("/api/v1/matters/{m}")).await;
        assert_eq!(mv["status"], "closed", "{mv}");
    });
}

#[test]
fn wwdd_suicide_risk_confirmed_recipients_from_the_engine_and_a_verbal_disclosure() {
    for_each_backend(AccountSettings::default(), async |h: Harness| {
        let p = people(&h).await;
        let c = created(
            post(
                &h,
                &p.alice,
                "/api/v1/clients",
                json!({"name": "Robin Hale", "date_of_birth": "1979-09-09",
                       "phone": "07700 900461"}),
            )
            .await,
        );
        created(
            post(
                &h,
                &p.alice,
                &format!("/api/v1/clients/{c}/notes"),
                json!({"text": "Robin said tonight they have pills saved and a plan."}),
            )
            .await,
        );
        let m = created(
            post(
                &h,
                &p.alice,
                "/api/v1/matters",
                json!({"client_id": c, "policy": "wwdd-coaching",
                       "subject": {"kind": "concern", "about": "suicide"}}),
            )
            .await,
        );
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/matters/{m}/assess"),
            json!({"imminent": "yes"}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "wrong type: {}", r.1);
        not_allowed(
            post(
                &h,
                &p.supervisor,
                &format!("/api/v1/matters/{m}/assess"),
                json!({"imminent": true, "confirmed": true}),
            )
            .await,
        );
        let (s, rec) = post(
            &h,
            &p.alice,
            &format!("/api/v1/matters/{m}/assess"),
            json!({"imminent": true, "confirmed": true}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{rec}");
        assert_eq!(rec["decision"]["outcome"], "emergency", "{rec}");
        let recipients: Vec<String> = rec["decision"]["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect();
        assert!(
            recipients.iter().any(|r| r == "emergency-services"),
            "{rec}"
        );
        created(
            post(
                &h,
                &p.alice,
                &format!("/api/v1/matters/{m}/record"),
                json!({"outcome": "emergency",
                       "factors": ["a plan and the means, tonight"],
                       "why": "risk to life: call 999 now",
                       "client_told": {"told": true, "how": "told Robin in the session"}}),
            )
            .await,
        );
        let r = post(
            &h,
            &p.alice,
            &format!("/api/v1/matters/{m}/packages"),
            json!({"recipient": "media", "verbal": {"said": "x", "to_whom": "y", "means": "phone"}}),
        )
        .await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
        for to in &recipients {
            let pkg = created(
                post(
                    &h,
                    &p.alice,
                    &format!("/api/v1/matters/{m}/packages"),
                    json!({"recipient": to,
                           "verbal": {"said": "name, address, the plan and the means",
                                      "to_whom": format!("{to} by telephone"),
                                      "means": "telephone"}}),
                )
                .await,
            );
            let (s, d) = post(
                &h,
                &p.alice,
                &format!("/api/v1/packages/{pkg}/deliver"),
                json!({"verbal": true}),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{d}");
            assert!(d["files"].as_array().unwrap().is_empty());
        }
        let (_, ds) = get(&h, &p.alice, &format!("/api/v1/clients/{c}/disclosures")).await;
        let ds = ds.as_array().unwrap();
        assert_eq!(ds.len(), recipients.len());
        for to in &recipients {
            assert!(ds.iter().any(|d| d["what"]["recipient"] == to.as_str()));
        }
    });
}
