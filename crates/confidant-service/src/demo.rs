//! `confidant demo`: a fictional organisation seeded through the
//! application layer, so a newcomer can look around in one command. Every
//! name is made up; the accounts' passwords and TOTP secrets are returned to
//! be printed (a demo store must never hold real records).

use crate::accounts::NewAccount;
use crate::matter::OpenMatter;
use crate::sar::OpenSar;
use crate::{Result, Service, ServiceError};
use confidant_access::Role;
use confidant_auth::recovery::RecoveryCodes;
use confidant_auth::totp::TotpSecret;
use confidant_core::record::{
    CaseKind, ClientFlags, NewClient, NewConsent, NewNote, Role as StaffRole, Timestamp,
};
use confidant_core::vocab::{ConsentForm, ConsentPurpose, ConsentStatus};
use zeroize::Zeroizing;

/// One demo account, to print.
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub password: Zeroizing<String>,
    pub totp_secret: Zeroizing<String>,
}

fn err(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Refused(e.to_string())
}

fn password() -> Result<Zeroizing<String>> {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).map_err(|_| err("the random number generator failed"))?;
    let mut s = String::from("demo-");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    Ok(Zeroizing::new(s))
}

impl Service {
    /// Seeds the demo organisation into an empty store; `Ok(None)` when it
    /// already has accounts (seeded before).
    pub async fn seed_demo(&self, actor: &str) -> Result<Option<Vec<DemoAccount>>> {
        if !self.setup_needed().await? {
            return Ok(None);
        }
        let store = self.store();
        let ada = store
            .add_practitioner(actor, "Ada Lovelace-Demo", &[StaffRole::Practitioner])
            .await?;
        let ben = store
            .add_practitioner(actor, "Ben Fictional", &[StaffRole::Practitioner])
            .await?;
        let sue = store
            .add_practitioner(actor, "Sue Supervisor-Demo", &[StaffRole::Supervisor])
            .await?;
        store.add_supervision(actor, &sue, &ada).await?;
        let mut accounts = Vec::new();
        let plan: [(&str, Role, Option<_>); 8] = [
            ("ada", Role::Practitioner, Some(ada.clone())),
            ("ben", Role::Practitioner, Some(ben.clone())),
            ("sue", Role::Supervisor, Some(sue.clone())),
            ("safeguarding", Role::SafeguardingOfficer, None),
            ("programme-lead", Role::ProgrammeLead, None),
            ("records", Role::RecordsManager, None),
            ("manager", Role::ServiceManager, None),
            ("admin", Role::Administrator, None),
        ];
        for (username, role, practitioner_id) in plan {
            let password = password()?;
            let id = self
                .create_account_unchecked(
                    actor,
                    NewAccount {
                        username: username.to_owned(),
                        password: password.clone(),
                        roles: vec![role],
                        practitioner_id,
                    },
                )
                .await?;
            let secret = TotpSecret::generate().map_err(err)?;
            let (codes, _) = RecoveryCodes::generate().map_err(err)?;
            let json = serde_json::to_string(&codes).map_err(err)?;
            store
                .enrol_totp_directly(actor, &id, secret.as_bytes(), &json)
                .await?;
            accounts.push(DemoAccount {
                username: username.to_owned(),
                role,
                password,
                totp_secret: secret.base32(),
            });
        }
        let client = |name: &str, dob: Option<&str>| NewClient {
            name: name.to_owned(),
            date_of_birth: dob
                .and_then(|d| confidant_core::record::CivilDate::parse(d, "dob").ok()),
            flags: ClientFlags::default(),
            ..NewClient::default()
        };
        let alex = store
            .add_client(actor, &client("Alex Fictional", Some("1988-03-14")))
            .await?;
        let sam = store
            .add_client(actor, &client("Sam Madeup", Some("1979-11-02")))
            .await?;
        let jo = store
            .add_client(actor, &client("Jo Madeup", Some("1981-06-21")))
            .await?;
        let kim = store
            .add_client(actor, &client("Kim Example", Some("2001-01-30")))
            .await?;
        for c in [&alex, &sam, &jo] {
            store.assign_client(actor, c, &ada).await?;
        }
        store.assign_client(actor, &kim, &ben).await?;
        let couple = store
            .add_case(actor, CaseKind::Couple, &[sam.clone(), jo.clone()])
            .await?;
        store
            .add_case(actor, CaseKind::Group, &[alex.clone(), kim.clone()])
            .await?;
        let note = |c: &confidant_core::ids::ClientId, text: &str, parties: Vec<_>, case| NewNote {
            client_id: c.clone(),
            case_id: case,
            author: Some(ada.clone()),
            parties,
            text: text.to_owned(),
        };
        store
            .add_notes(
                actor,
                &[
                    note(
                        &alex,
                        "First session. Alex talked about pressure at work and poor sleep.",
                        vec![],
                        None,
                    ),
                    note(
                        &alex,
                        "Second session. Sleep a little better; agreed to try a diary.",
                        vec![],
                        None,
                    ),
                    note(
                        &sam,
                        "Joint session with Sam and Jo: communication about money.",
                        vec![sam.clone(), jo.clone()],
                        Some(couple),
                    ),
                ],
            )
            .await?;
        for (c, purpose, status) in [
            (&alex, ConsentPurpose::Research, ConsentStatus::Given),
            (
                &alex,
                ConsentPurpose::SupervisionIdentifiable,
                ConsentStatus::Refused,
            ),
            (&sam, ConsentPurpose::Training, ConsentStatus::Given),
        ] {
            store
                .add_consent(
                    actor,
                    &NewConsent {
                        client_id: c.clone(),
                        case_id: None,
                        purpose,
                        form: ConsentForm::Written,
                        status,
                        given_at: Some(Timestamp(confidant_store::now_micros())),
                        withdrawn_at: None,
                        evidence: Some("signed form, demo".into()),
                    },
                )
                .await?;
        }
        let subject =
            serde_json::from_value(serde_json::json!({"kind": "concern", "about": "suicide"}))
                .map_err(err)?;
        self.open_matter(
            actor,
            &OpenMatter {
                client_id: alex.clone(),
                case_id: None,
                policy: "ukcp".into(),
                subject,
                arrived_at: None,
                summary: Some("Demo: a concern raised in session".into()),
            },
        )
        .await?;
        self.open_sar(
            actor,
            &OpenSar {
                client_id: kim,
                received_at: Timestamp(confidant_store::now_micros()),
                identity_check: false,
                on_behalf: None,
                wording: Some("Please send me everything you hold about me.".into()),
                policy: "ukcp".into(),
            },
        )
        .await?;
        Ok(Some(accounts))
    }
}
