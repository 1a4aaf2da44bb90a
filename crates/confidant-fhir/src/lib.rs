//! A client's consents as HL7 FHIR R4 (4.0.1) `Consent` resources, in a
//! `collection` Bundle, so another system (an EHR, a research platform) can
//! read what the client agreed to without reading Confidant's own format.
//!
//! Mapping (R4 Consent, http://hl7.org/fhir/R4/consent.html):
//! - `status`: given -> `active`, refused -> `rejected`, withdrawn ->
//!   `inactive` (no longer in force), not asked -> `draft`.
//! - `scope` (required): `research` for research, otherwise
//!   `patient-privacy` (consentscope code system).
//! - `category` (required): LOINC 59284-0 "Patient Consent", and the
//!   consentcategorycodes `research` for research.
//! - `policy`: the organisation's confidentiality policy as a URN, so the
//!   ppc-1 invariant (a policy or a policy rule) always holds; `policyRule`:
//!   v3 ActCode `OPTIN` (given) or `OPTOUT` (refused, withdrawn).
//! - `provision`: `permit` for given and withdrawn consents (a withdrawn one
//!   with a period that ends at withdrawal), `deny` for refused ones, none for
//!   a consent not yet asked; `purpose` carries Confidant's purpose code and,
//!   where one exists, the standard v3 ActReason code (research: HRESCH;
//!   contacting the GP on risk: COC, coordination of care; identifiable
//!   supervision and training: HOPERAT, healthcare operations, which
//!   includes training and supervising practitioners). Sharing progress,
//!   release to a requester and publication have no standard code.
//! - The form (written, verbal, application form) is an extension; the
//!   evidence text is not exported (free text may identify others).
//!
//! FHIR ids allow only letters, digits, `-` and `.`, so a Confidant id's `_`
//! becomes `-`; the exact id is kept as an `identifier`.

use confidant_core::ids::ClientId;
use confidant_core::record::{Consent, Timestamp};
use confidant_core::vocab::{ConsentPurpose, ConsentStatus};
use serde_json::{Value, json};

const LOINC: &str = "http://loinc.org";
const CONSENT_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
const CONSENT_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/consentcategorycodes";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const PURPOSE_SYSTEM: &str = "urn:confidant:consent-purpose";
const FORM_EXTENSION: &str = "urn:confidant:fhir:StructureDefinition:consent-form";
const CLIENT_SYSTEM: &str = "urn:confidant:client";
const CONSENT_SYSTEM: &str = "urn:confidant:consent";

/// The standard purpose-of-use code for a Confidant purpose, if one exists.
pub fn standard_purpose(purpose: ConsentPurpose) -> Option<(&'static str, &'static str)> {
    match purpose {
        ConsentPurpose::Research => Some(("HRESCH", "healthcare research")),
        ConsentPurpose::ContactGpOnRisk => Some(("COC", "coordination of care")),
        ConsentPurpose::SupervisionIdentifiable | ConsentPurpose::Training => {
            Some(("HOPERAT", "healthcare operations"))
        }
        ConsentPurpose::ShareProgress
        | ConsentPurpose::ReleaseToRequester
        | ConsentPurpose::Publication => None,
    }
}

fn fhir_id(id: &str) -> String {
    id.replace('_', "-")
}

/// `urn:uuid:` form of an id's 32 hex digits, for a Bundle entry's fullUrl.
fn urn_uuid(id: &str) -> String {
    let hex = id.split_once('_').map_or("", |(_, hex)| hex);
    if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    } else {
        format!("urn:confidant:{}", fhir_id(id))
    }
}

/// One consent as a FHIR R4 Consent resource.
pub fn consent_resource(consent: &Consent, policy_name: &str) -> Value {
    let id = consent.id.to_string();
    let (status, rule) = match consent.status {
        ConsentStatus::Given => ("active", Some("OPTIN")),
        ConsentStatus::Refused => ("rejected", Some("OPTOUT")),
        ConsentStatus::Withdrawn => ("inactive", Some("OPTOUT")),
        ConsentStatus::NotAsked => ("draft", None),
    };
    let research = consent.purpose == ConsentPurpose::Research;
    let scope = if research {
        ("research", "Research")
    } else {
        ("patient-privacy", "Privacy Consent")
    };
    let mut category = vec![json!({
        "coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]
    })];
    if research {
        category.push(json!({
            "coding": [{"system": CONSENT_CATEGORY, "code": "research", "display": "research information access"}]
        }));
    }
    let mut purpose = vec![json!({"system": PURPOSE_SYSTEM, "code": consent.purpose.as_str()})];
    if let Some((code, display)) = standard_purpose(consent.purpose) {
        purpose.push(json!({"system": ACT_REASON, "code": code, "display": display}));
    }
    let mut resource = json!({
        "resourceType": "Consent",
        "id": fhir_id(&id),
        "identifier": [{"system": CONSENT_SYSTEM, "value": id}],
        "extension": [{"url": FORM_EXTENSION, "valueCode": consent.form.as_str()}],
        "status": status,
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": scope.0, "display": scope.1}]},
        "category": category,
        "patient": {"identifier": {"system": CLIENT_SYSTEM, "value": consent.client_id.to_string()}},
        "dateTime": consent.given_at.unwrap_or(consent.recorded_at).to_string(),
        "policy": [{"uri": format!("urn:confidant:policy:{policy_name}")}],
    });
    if let Some(rule) = rule {
        resource["policyRule"] = json!({"coding": [{"system": ACT_CODE, "code": rule}]});
    }
    let provision_type = match consent.status {
        ConsentStatus::Given | ConsentStatus::Withdrawn => Some("permit"),
        ConsentStatus::Refused => Some("deny"),
        ConsentStatus::NotAsked => None,
    };
    if let Some(kind) = provision_type {
        let mut provision = json!({"type": kind, "purpose": purpose});
        let mut period = serde_json::Map::new();
        if let Some(given) = consent.given_at {
            period.insert("start".into(), json!(given.to_string()));
        }
        if consent.status == ConsentStatus::Withdrawn
            && let Some(withdrawn) = consent.withdrawn_at
        {
            period.insert("end".into(), json!(withdrawn.to_string()));
        }
        if !period.is_empty() {
            provision["period"] = Value::Object(period);
        }
        resource["provision"] = provision;
    }
    resource
}

/// A client's consents as a FHIR R4 `collection` Bundle.
pub fn consent_bundle(
    client: &ClientId,
    consents: &[Consent],
    policy_name: &str,
    generated_at: Timestamp,
) -> Value {
    let entries: Vec<Value> = consents
        .iter()
        .filter(|c| c.client_id == *client)
        .map(|c| {
            json!({
                "fullUrl": urn_uuid(c.id.as_ref()),
                "resource": consent_resource(c, policy_name),
            })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": generated_at.to_string(),
        "entry": entries,
    })
}
