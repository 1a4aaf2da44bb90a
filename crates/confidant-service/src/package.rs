//! Disclosure packages: what leaves the service, built only from what the
//! signed decision record allows, and the accounting of disclosures.
//!
//! Enforced here, not left to care:
//! - nothing by default: every note, extract or client detail is selected
//!   explicitly, each with its reason;
//! - only recipients the decision names;
//! - consenting party only (CSRP 9): in a couple or group case a note
//!   attributed to any party who has not consented cannot be selected;
//! - third parties are always redacted (the de-identification engine, with
//!   the record's known identifiers); only the subject's own identifiers
//!   stay in an identifiable package;
//! - a protected person's whereabouts (address, postcode, town, workplace
//!   or school) never leave, whatever else is allowed;
//! - de-identify: the whole package through the engine with consistent
//!   pseudonyms, the removed spans shown to the practitioner, and delivery
//!   only once they say they reviewed them;
//! - verbal only: no file can be produced; what was said, to whom, when and
//!   how is recorded instead;
//! - a file package is a self-contained HTML document and a JSON manifest,
//!   each sealed as an `age` file to the recipient's public key or to a
//!   passphrase; the delivery step and its row in the accounting of
//!   disclosures commit together, and the files get their final names
//!   only after that commit.

use crate::matter::{MatterState, Recommendation, allowed_recipients};
use crate::{Result, Service, ServiceError, non_empty, refuse, sha256_hex};
use confidant_core::decision::{Obligation, Recipient};
use confidant_core::ids::{ClientId, MatterId, NoteId, PackageId};
use confidant_core::record::{Client, Note, Timestamp};
use confidant_deid::{EntityType, Known, KnownOther, KnownPerson, Mode, Span};
use confidant_store::{NewDisclosure, NewStep, StepKind};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A client detail that may be selected into a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientField {
    Name,
    DateOfBirth,
    Address,
    Postcode,
    Phone,
    Email,
    NhsNumber,
}

impl ClientField {
    pub const ALL: &'static [ClientField] = &[
        ClientField::Name,
        ClientField::DateOfBirth,
        ClientField::Address,
        ClientField::Postcode,
        ClientField::Phone,
        ClientField::Email,
        ClientField::NhsNumber,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientField::Name => "name",
            ClientField::DateOfBirth => "date-of-birth",
            ClientField::Address => "address",
            ClientField::Postcode => "postcode",
            ClientField::Phone => "phone",
            ClientField::Email => "email",
            ClientField::NhsNumber => "nhs-number",
        }
    }

    pub fn parse(s: &str) -> Option<ClientField> {
        ClientField::ALL.iter().copied().find(|f| f.as_str() == s)
    }

    /// Details that say where the person is.
    fn is_whereabouts(self) -> bool {
        matches!(self, ClientField::Address | ClientField::Postcode)
    }

    fn value(self, c: &Client) -> Option<String> {
        match self {
            ClientField::Name => Some(c.name.clone()),
            ClientField::DateOfBirth => c.date_of_birth.map(|d| d.to_string()),
            ClientField::Address => c.address.clone(),
            ClientField::Postcode => c.postcode.clone(),
            ClientField::Phone => c.phone.clone(),
            ClientField::Email => c.email.clone(),
            ClientField::NhsNumber => c.nhs_number.as_ref().map(|n| n.as_str().to_owned()),
        }
    }
}

/// One explicitly selected item: a note (whole, or an extract by code point
/// offsets) or a client detail, with the reason it is needed.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<NoteId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<ClientField>,
    /// `[start, end)` in Unicode code points of the note's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<(usize, usize)>,
    pub reason: String,
}

/// What was said in a verbal-only disclosure.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerbalRecord {
    pub said: String,
    pub to_whom: String,
    #[serde(with = "crate::ts")]
    pub at: Timestamp,
    /// How: telephone, in person, video call...
    pub means: String,
}

/// What `package build` is given.
#[derive(Clone)]
pub struct BuildPackage {
    pub recipient: Recipient,
    /// The person or body receiving it (as on the request).
    pub recipient_name: Option<String>,
    pub items: Vec<Selection>,
    pub verbal: Option<VerbalRecord>,
}

/// Where a delivered package goes.
pub enum DeliverTo {
    /// An `age` X25519 public key (`age1...`).
    AgeRecipient(String),
    /// A passphrase given to the recipient separately.
    Passphrase(String),
    /// A verbal-only package: no file.
    Verbal,
}

/// The result of a delivery.
#[derive(Debug, Clone, Serialize)]
pub struct Delivered {
    pub package_id: String,
    pub disclosure_id: String,
    pub manifest_sha256: String,
    pub files: Vec<PathBuf>,
}

/// A span the engine removed, shown to the practitioner before release.
#[derive(Clone, Serialize, Deserialize)]
struct Removed {
    item: usize,
    start: usize,
    end: usize,
    #[serde(rename = "type")]
    kind: EntityType,
    original: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PackageMode {
    Identifiable,
    Deidentified,
    Verbal,
}

impl PackageMode {
    fn as_str(self) -> &'static str {
        match self {
            PackageMode::Identifiable => "identifiable",
            PackageMode::Deidentified => "deidentified",
            PackageMode::Verbal => "verbal",
        }
    }
}

fn whereabouts(kind: EntityType) -> bool {
    matches!(
        kind,
        EntityType::Address
            | EntityType::Postcode
            | EntityType::Location
            | EntityType::Organisation
    )
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a detected span is one of the subject's own identifiers.
pub(crate) fn is_subject(kind: EntityType, text: &str, subject: &Client) -> bool {
    let n = norm(text);
    if n.is_empty() {
        return false;
    }
    let eq = |v: &Option<String>| v.as_deref().is_some_and(|v| norm(v) == n);
    match kind {
        EntityType::Name => {
            let parts: HashSet<String> = subject.name.split_whitespace().map(norm).collect();
            text.split(|c: char| c.is_whitespace() || c == '-')
                .map(|w| norm(w.trim_end_matches("'s").trim_end_matches("’s")))
                .filter(|w| !w.is_empty())
                .all(|w| parts.contains(&w))
        }
        EntityType::Phone => subject.phone.as_deref().is_some_and(|p| {
            let d: String = p.chars().filter(char::is_ascii_digit).collect();
            !d.is_empty()
                && d == text
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
        }),
        EntityType::Email => eq(&subject.email),
        EntityType::Address => eq(&subject.address),
        EntityType::Postcode => eq(&subject.postcode),
        EntityType::NhsNumber => subject
            .nhs_number
            .as_ref()
            .is_some_and(|x| norm(x.as_str()) == n),
        // Dates and ages in a note are the sessions' and the story's; they
        // are not another person's identifiers on their own.
        EntityType::Date | EntityType::Age => true,
        _ => false,
    }
}

pub(crate) fn known_for(subject: &Client, others: &[Client]) -> Known {
    Known {
        client: Some(KnownPerson {
            name: Some(subject.name.clone()),
            dob: subject.date_of_birth.map(|d| d.to_string()),
            address: subject.address.clone(),
            postcode: subject.postcode.clone(),
            phone: subject.phone.clone(),
            email: subject.email.clone(),
            nhs_number: subject.nhs_number.as_ref().map(|n| n.as_str().to_owned()),
            ..KnownPerson::default()
        }),
        others: others
            .iter()
            .map(|o| KnownOther {
                name: Some(o.name.clone()),
                role: Some("party".to_owned()),
                ..KnownOther::default()
            })
            .collect(),
        ..Known::default()
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Separator between items when a package is de-identified as one document
/// (so pseudonyms are consistent across it); never part of a span.
const ITEM_SEP: &str = "\n\n=====\n\n";

fn chars_slice(s: &str, start: usize, end: usize) -> String {
    s.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

pub(crate) fn seal_age(to: &DeliverTo, plain: &[u8]) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| ServiceError::Io(e.kind().to_string());
    let enc = match to {
        DeliverTo::AgeRecipient(r) => {
            let r = parse_age_recipient(r)?;
            age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                .map_err(|_| ServiceError::Refused("cannot encrypt to that age recipient".into()))?
        }
        DeliverTo::Passphrase(p) => {
            age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(p.clone()))
        }
        DeliverTo::Verbal => return refuse("internal: a verbal package has no file"),
    };
    let mut out = Vec::with_capacity(plain.len() + 256);
    let mut w = enc.wrap_output(&mut out).map_err(io)?;
    w.write_all(plain).map_err(io)?;
    w.finish().map_err(io)?;
    Ok(out)
}

fn parse_age_recipient(r: &str) -> Result<age::x25519::Recipient> {
    r.trim().parse::<age::x25519::Recipient>().map_err(|_| {
        ServiceError::Refused(
            "--recipient-key is not an age public key (expected age1..., from age-keygen)".into(),
        )
    })
}

pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| ServiceError::Io(e.kind().to_string());
    let mut f = std::fs::File::create(path).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

impl Service {
    /// Which matter a package belongs to (ids only, not audited).
    pub async fn matter_of_package(&self, package: &PackageId) -> Result<MatterId> {
        Ok(self.store().matter_of_step(package.as_str()).await?)
    }

    /// Builds a package under the matter's signed decision record. Returns
    /// the package id; the built package (with the spans removed, for the
    /// practitioner) is stored sealed on the matter.
    pub async fn build_package(
        &self,
        actor: &str,
        id: &MatterId,
        b: &BuildPackage,
    ) -> Result<PackageId> {
        let st = self.state(actor, id).await?;
        if st.stored.closed_at.is_some() {
            return refuse("the matter is closed: nothing more can be recorded on it");
        }
        let Some((record_id, _, record)) = &st.record else {
            return refuse(
                "no signed decision record: a package can only be built under one (`matter record`)",
            );
        };
        let Some((_, rec)) = &st.recommendation else {
            return refuse("no recommendation on the matter");
        };
        if !record.outcome.is_disclosure() {
            return refuse(format!(
                "the decision record's outcome is {}: it discloses nothing, so no package can be built",
                record.outcome
            ));
        }
        let allowed = allowed_recipients(rec, true);
        if !allowed.contains(&b.recipient) {
            let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            return refuse(format!(
                "the decision does not allow disclosure to {} (allowed: {})",
                b.recipient,
                if names.is_empty() {
                    "nobody".to_owned()
                } else {
                    names.join(", ")
                }
            ));
        }
        let obligations = &rec.decision.obligations;
        let verbal_only = obligations.contains(&Obligation::VerbalOnly);
        let deidentify = obligations.contains(&Obligation::Deidentify);
        let mode = match (&b.verbal, verbal_only, deidentify) {
            (None, true, _) => {
                return refuse(
                    "the decision is verbal only: no file can be produced; record what was said \
                     instead (--verbal with --said, --to-whom, --means)",
                );
            }
            (Some(_), _, _) => PackageMode::Verbal,
            (None, false, true) => PackageMode::Deidentified,
            (None, false, false) => PackageMode::Identifiable,
        };
        if let Some(v) = &b.verbal {
            non_empty("--said", &v.said)?;
            non_empty("--to-whom", &v.to_whom)?;
            non_empty("--means", &v.means)?;
        }
        if mode != PackageMode::Verbal && b.items.is_empty() {
            return refuse(
                "nothing is selected: a package holds only notes, extracts or details selected \
                 explicitly (--note NOTE_ID=REASON, --field FIELD=REASON or --select FILE)",
            );
        }
        let parties = &rec.parties;
        let protected = rec.situation.client.protected || parties.iter().any(|p| p.protected);
        // Records the selection rules need: the subject, the other parties,
        // and the notes that could be selected.
        let subject = self.store().get_client(actor, &st.stored.client_id).await?;
        let mut others = Vec::new();
        let mut owners: Vec<ClientId> = vec![subject.id.clone()];
        for p in parties {
            if p.client_id != subject.id {
                others.push(self.store().get_client(actor, &p.client_id).await?);
                owners.push(p.client_id.clone());
            }
        }
        let mut selected_notes: Vec<(usize, Note)> = Vec::new();
        let want: Vec<&NoteId> = b.items.iter().filter_map(|s| s.note.as_ref()).collect();
        let mut seen = HashSet::new();
        for n in &want {
            if !seen.insert(n.as_str()) {
                return refuse(format!("note {n} is selected twice"));
            }
        }
        let mut notes: BTreeMap<String, Note> = BTreeMap::new();
        if !want.is_empty() {
            for owner in &owners {
                for n in self.store().list_notes(actor, owner).await? {
                    if want.contains(&&n.id) {
                        notes.insert(n.id.to_string(), n);
                    }
                }
            }
        }
        let consenting: HashSet<&ClientId> = parties
            .iter()
            .filter(|p| p.consenting)
            .map(|p| &p.client_id)
            .collect();
        let mut fields: Vec<(ClientField, String, String)> = Vec::new();
        for (i, sel) in b.items.iter().enumerate() {
            non_empty("each selected item's reason", &sel.reason)?;
            match (&sel.note, sel.field) {
                (Some(nid), None) => {
                    let Some(note) = notes.get(nid.as_str()) else {
                        return refuse(format!("note {nid} is not in this matter's record"));
                    };
                    if !parties.is_empty() {
                        if let Some(p) = note.parties.iter().find(|p| !consenting.contains(p)) {
                            return refuse(format!(
                                "note {nid} is attributed to a party who has not consented ({p}): \
                                 only the consenting party's material may be released (CSRP 9)"
                            ));
                        }
                    }
                    if let Some((s, e)) = sel.extract {
                        if s >= e || e > note.text.chars().count() {
                            return refuse(format!(
                                "the extract of note {nid} is not a range within the note"
                            ));
                        }
                    }
                    selected_notes.push((i, note.clone()));
                }
                (None, Some(f)) => {
                    if sel.extract.is_some() {
                        return refuse("an extract is of a note, not of a client detail");
                    }
                    if protected && f.is_whereabouts() {
                        return refuse(format!(
                            "the {} of a protected person never leaves in a package",
                            f.as_str()
                        ));
                    }
                    if mode == PackageMode::Deidentified {
                        return refuse(format!(
                            "a de-identified package cannot include the client's {}",
                            f.as_str()
                        ));
                    }
                    let Some(v) = f.value(&subject) else {
                        return refuse(format!(
                            "the record holds no {} for the client",
                            f.as_str()
                        ));
                    };
                    fields.push((f, sel.reason.clone(), v));
                }
                _ => {
                    return refuse("each selected item is either a note or a client detail");
                }
            }
        }
        // The texts as selected, then through the engine.
        let texts: Vec<String> = selected_notes
            .iter()
            .map(|(i, n)| match b.items[*i].extract {
                Some((s, e)) => chars_slice(&n.text, s, e),
                None => n.text.clone(),
            })
            .collect();
        let known = known_for(&subject, &others);
        let mut removed: Vec<Removed> = Vec::new();
        let out_texts: Vec<String> = if mode == PackageMode::Deidentified {
            let doc = texts.join(ITEM_SEP);
            let d = confidant_deid::deidentify(&doc, Some(&known), Mode::Pseudonyms);
            let parts: Vec<String> = d.text.split(ITEM_SEP).map(str::to_owned).collect();
            if parts.len() != texts.len() {
                return refuse(
                    "de-identification could not keep the selected items apart: select them in \
                     separate packages",
                );
            }
            // Spans in document offsets, mapped back to items.
            let mut starts = Vec::with_capacity(texts.len());
            let mut off = 0usize;
            let sep = ITEM_SEP.chars().count();
            for t in &texts {
                starts.push(off);
                off += t.chars().count() + sep;
            }
            let chars: Vec<char> = doc.chars().collect();
            for s in &d.spans {
                let item = starts.iter().rposition(|st| *st <= s.start).unwrap_or(0);
                removed.push(Removed {
                    item,
                    start: s.start - starts[item],
                    end: s.end - starts[item],
                    kind: s.kind,
                    original: chars[s.start..s.end.min(chars.len())].iter().collect(),
                });
            }
            parts
        } else {
            let mut out = Vec::with_capacity(texts.len());
            for (item, t) in texts.iter().enumerate() {
                let chars: Vec<char> = t.chars().collect();
                let drop: Vec<Span> = confidant_deid::detect(t, Some(&known))
                    .into_iter()
                    .filter(|s| {
                        let text: String = chars[s.start..s.end.min(chars.len())].iter().collect();
                        (protected && whereabouts(s.kind)) || !is_subject(s.kind, &text, &subject)
                    })
                    .collect();
                for s in &drop {
                    removed.push(Removed {
                        item,
                        start: s.start,
                        end: s.end,
                        kind: s.kind,
                        original: chars[s.start..s.end.min(chars.len())].iter().collect(),
                    });
                }
                out.push(confidant_deid::redact(t, &drop, Mode::Tags));
            }
            out
        };
        let mut redactions: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &removed {
            *redactions.entry(r.kind.as_str()).or_default() += 1;
        }
        let deid = mode == PackageMode::Deidentified;
        let manifest_items: Vec<Value> = selected_notes
            .iter()
            .zip(&out_texts)
            .enumerate()
            .map(|(k, ((i, n), text))| {
                let sel = &b.items[*i];
                let mut v = json!({
                    "item": k + 1,
                    "reason": sel.reason,
                    "sha256": sha256_hex(text.as_bytes()),
                });
                if !deid {
                    v["note_id"] = json!(n.id);
                    v["written_at"] = json!(n.created_at);
                }
                if let Some((s, e)) = sel.extract {
                    v["extract"] = json!([s, e]);
                }
                v
            })
            .collect();
        let applied: Vec<&str> = obligations.iter().map(|o| o.as_str()).collect();
        let html = if mode == PackageMode::Verbal {
            None
        } else {
            Some(render_html(
                &st,
                record_id,
                rec,
                b,
                mode,
                &selected_notes,
                &out_texts,
                &fields,
            ))
        };
        let mut manifest = json!({
            "format": "confidant-disclosure-package/1",
            "matter_id": st.stored.id,
            "decision_record_id": record_id,
            "recipient": b.recipient,
            "policy": rec.policy,
            "policy_sha256": rec.policy_sha256,
            "mode": mode.as_str(),
            "items": manifest_items,
            "fields": fields.iter().map(|(f, r, _)| json!({"field": f.as_str(), "reason": r})).collect::<Vec<_>>(),
            "redactions": redactions,
            "obligations": applied,
        });
        if !deid {
            manifest["client_id"] = json!(st.stored.client_id);
        }
        if let Some(n) = &b.recipient_name {
            manifest["recipient_name"] = json!(n);
        }
        if let Some(h) = &html {
            manifest["html_sha256"] = json!(sha256_hex(h.as_bytes()));
        }
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)
            .map_err(|_| ServiceError::Io("manifest".into()))?;
        let body = json!({
            "mode": mode.as_str(),
            "recipient": b.recipient,
            "recipient_name": b.recipient_name,
            "record_id": record_id,
            "items": b.items,
            "removed": removed,
            "html": html,
            "manifest": String::from_utf8_lossy(&manifest_bytes),
            "manifest_sha256": sha256_hex(&manifest_bytes),
            "verbal": b.verbal,
        });
        let step = self
            .store()
            .append_matter_step(
                actor,
                id,
                st.steps(),
                &NewStep {
                    kind: StepKind::PackageBuilt,
                    body,
                    disclosure: None,
                },
            )
            .await?;
        step.id.parse::<PackageId>().map_err(|_| {
            ServiceError::Store(confidant_store::StoreError::Corrupt { what: "package id" })
        })
    }

    /// A built package as the practitioner sees it: what is in it, and for
    /// a de-identified package every span removed, before release.
    pub async fn show_package(&self, actor: &str, package: &PackageId) -> Result<Value> {
        let matter = self.matter_of_package(package).await?;
        let st = self.state(actor, &matter).await?;
        let Some((_, body)) = st.packages.iter().find(|(id, _)| id == package.as_str()) else {
            return refuse("no such package on its matter");
        };
        let mut v = body.clone();
        v["package_id"] = json!(package);
        v["matter_id"] = json!(matter);
        v["delivered"] = json!(st.delivered.iter().any(|d| d == package.as_str()));
        Ok(v)
    }

    /// Delivers a built package: seals its files for the recipient (or, for
    /// a verbal package, records it as said) and adds it to the client's
    /// accounting of disclosures in the same transaction.
    pub async fn deliver_package(
        &self,
        actor: &str,
        package: &PackageId,
        to: &DeliverTo,
        out_dir: Option<&Path>,
        reviewed: bool,
    ) -> Result<Delivered> {
        let matter = self.matter_of_package(package).await?;
        let st = self.state(actor, &matter).await?;
        if st.stored.closed_at.is_some() {
            return refuse("the matter is closed: nothing more can be recorded on it");
        }
        let Some((_, body)) = st.packages.iter().find(|(id, _)| id == package.as_str()) else {
            return refuse("no such package on its matter");
        };
        if st.delivered.iter().any(|d| d == package.as_str()) {
            return refuse("the package was already delivered (see `client disclosures`)");
        }
        let Some((record_id, _, _)) = &st.record else {
            return refuse("no signed decision record");
        };
        let mode = body.get("mode").and_then(Value::as_str).unwrap_or("");
        let manifest = body.get("manifest").and_then(Value::as_str).unwrap_or("");
        let manifest_sha256 = sha256_hex(manifest.as_bytes());
        if body.get("manifest_sha256").and_then(Value::as_str) != Some(manifest_sha256.as_str()) {
            return Err(ServiceError::Store(confidant_store::StoreError::Corrupt {
                what: "package manifest hash",
            }));
        }
        let mut files = Vec::new();
        let mut partials = Vec::new();
        let means = match (mode, to) {
            ("verbal", DeliverTo::Verbal) => {
                if out_dir.is_some() {
                    return refuse("a verbal-only package has no file: do not give --out");
                }
                body.get("verbal")
                    .and_then(|v| v.get("means"))
                    .and_then(Value::as_str)
                    .unwrap_or("verbal")
                    .to_owned()
            }
            ("verbal", _) => {
                return refuse("the package is verbal only: no file can be produced");
            }
            (_, DeliverTo::Verbal) => {
                return refuse(
                    "a file package needs --recipient-key AGE_PUBLIC_KEY or --passphrase-env VAR",
                );
            }
            (m, to) => {
                if m == "deidentified" && !reviewed {
                    return refuse(
                        "review the removed spans first (`package show`), then deliver with --reviewed",
                    );
                }
                if let DeliverTo::AgeRecipient(r) = to {
                    parse_age_recipient(r)?;
                }
                if let DeliverTo::Passphrase(p) = to
                    && p.chars().count() < 12
                {
                    return refuse("the passphrase must be at least 12 characters");
                }
                let Some(dir) = out_dir else {
                    return refuse("give the directory to write the sealed package to (--out DIR)");
                };
                if !dir.is_dir() {
                    return refuse("--out must be an existing directory");
                }
                let html = body.get("html").and_then(Value::as_str).unwrap_or("");
                for (name, plain) in [
                    (format!("{package}.html.age"), html.as_bytes()),
                    (format!("{package}.manifest.json.age"), manifest.as_bytes()),
                ] {
                    let sealed = seal_age(to, plain)?;
                    let final_path = dir.join(&name);
                    let partial = dir.join(format!("{name}.partial"));
                    write_synced(&partial, &sealed)?;
                    partials.push((partial, final_path.clone()));
                    files.push(final_path);
                }
                match to {
                    DeliverTo::AgeRecipient(_) => "age file sealed to the recipient's public key",
                    _ => "age file sealed to a passphrase given separately",
                }
                .to_owned()
            }
        };
        let what = json!({
            "mode": mode,
            "items": body.get("items"),
            "recipient": body.get("recipient"),
            "recipient_name": body.get("recipient_name"),
            "means": means,
            "verbal": body.get("verbal"),
            "files": files.iter().filter_map(|f| f.file_name()).map(|n| n.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        });
        let step = self
            .store()
            .append_matter_step(
                actor,
                &matter,
                st.steps(),
                &NewStep {
                    kind: StepKind::PackageDelivered,
                    body: json!({"package_id": package, "manifest_sha256": manifest_sha256, "means": means}),
                    disclosure: Some(NewDisclosure {
                        package_id: package.clone(),
                        record_id: record_id.clone(),
                        manifest_hash: manifest_sha256.clone(),
                        body: what,
                    }),
                },
            )
            .await;
        let step = match step {
            Ok(s) => s,
            Err(e) => {
                for (p, _) in &partials {
                    let _ = std::fs::remove_file(p);
                }
                return Err(e.into());
            }
        };
        // Only a recorded disclosure gets files under their final names.
        for (p, f) in &partials {
            std::fs::rename(p, f).map_err(|e| ServiceError::Io(e.kind().to_string()))?;
        }
        Ok(Delivered {
            package_id: package.to_string(),
            disclosure_id: step
                .disclosure_id
                .map(|d| d.to_string())
                .unwrap_or_default(),
            manifest_sha256,
            files,
        })
    }

    /// The client's accounting of disclosures, oldest first.
    pub async fn disclosures(&self, actor: &str, client: &ClientId) -> Result<Vec<Value>> {
        let rows = self.store().list_disclosures(actor, client).await?;
        Ok(rows
            .into_iter()
            .map(|d| {
                json!({
                    "disclosure_id": d.id,
                    "client_id": d.client_id,
                    "matter_id": d.matter_id,
                    "package_id": d.package_id,
                    "decision_record_id": d.record_id,
                    "at": d.at,
                    "manifest_sha256": d.manifest_hash,
                    "what": d.body,
                })
            })
            .collect())
    }
}

#[allow(clippy::too_many_arguments)]
fn render_html(
    st: &MatterState,
    record_id: &str,
    rec: &Recommendation,
    b: &BuildPackage,
    mode: PackageMode,
    notes: &[(usize, Note)],
    texts: &[String],
    fields: &[(ClientField, String, String)],
) -> String {
    let deid = mode == PackageMode::Deidentified;
    let mut h = String::with_capacity(4096 + texts.iter().map(String::len).sum::<usize>());
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    h.push_str("<title>Disclosure package</title>\n<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}section{border-top:1px solid #999;margin-top:1.5em}pre{white-space:pre-wrap;font-family:inherit}dt{font-weight:bold}</style>\n</head><body>\n");
    h.push_str("<h1>Disclosure package</h1>\n<dl>\n");
    let mut dl = |k: &str, v: &str| {
        h.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", escape(k), escape(v)));
    };
    dl("Recipient", b.recipient.as_str());
    if let Some(n) = &b.recipient_name {
        dl("Recipient name", n);
    }
    dl("Matter", st.stored.id.as_str());
    dl("Decision record", record_id);
    dl(
        "Policy",
        &format!("{} (sha256 {})", rec.policy, rec.policy_sha256),
    );
    dl(
        "Content",
        if deid {
            "de-identified: names, places and other identifiers are replaced by pseudonyms"
        } else {
            "identifiable: only the items selected; other people's identifiers removed"
        },
    );
    if !deid {
        dl("Client", st.stored.client_id.as_str());
    }
    h.push_str("</dl>\n");
    for (f, reason, value) in fields {
        h.push_str(&format!(
            "<section><h2>Client detail: {}</h2><p><em>Why it is included:</em> {}</p><p>{}</p></section>\n",
            escape(f.as_str()),
            escape(reason),
            escape(value)
        ));
    }
    for (k, ((i, n), text)) in notes.iter().zip(texts).enumerate() {
        let sel = &b.items[*i];
        h.push_str(&format!("<section><h2>Item {}</h2>\n", k + 1));
        if !deid {
            h.push_str(&format!(
                "<p>Note {} written {}{}</p>\n",
                escape(n.id.as_str()),
                escape(&n.created_at.to_string()),
                if sel.extract.is_some() {
                    " (extract)"
                } else {
                    ""
                }
            ));
        }
        h.push_str(&format!(
            "<p><em>Why it is included:</em> {}</p>\n<pre>{}</pre></section>\n",
            escape(&sel.reason),
            escape(text)
        ));
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use confidant_core::record::ClientFlags;

    fn client(name: &str) -> Client {
        Client {
            id: ClientId::from_bytes([3; 16]),
            created_at: Timestamp(0),
            name: name.into(),
            date_of_birth: None,
            email: None,
            phone: Some("07700 900123".into()),
            address: None,
            postcode: None,
            nhs_number: None,
            flags: ClientFlags::default(),
        }
    }

    #[test]
    fn subject_spans_are_recognised_and_others_are_not() {
        let c = client("Sam Okafor");
        assert!(is_subject(EntityType::Name, "Sam", &c));
        assert!(is_subject(EntityType::Name, "Sam Okafor's", &c));
        assert!(!is_subject(EntityType::Name, "Jo Okafor", &c));
        assert!(is_subject(EntityType::Phone, "07700900123", &c));
        assert!(!is_subject(EntityType::Phone, "07700 900999", &c));
        assert!(!is_subject(
            EntityType::Organisation,
            "Leeds Crown Court",
            &c
        ));
    }

    #[test]
    fn html_escapes_everything() {
        assert_eq!(escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn age_round_trip_with_the_crate() {
        let id = age::x25519::Identity::generate();
        let sealed = seal_age(
            &DeliverTo::AgeRecipient(id.to_public().to_string()),
            b"hello",
        )
        .unwrap();
        assert_eq!(age::decrypt(&id, &sealed).unwrap(), b"hello");
        assert!(seal_age(&DeliverTo::AgeRecipient("age1nope".into()), b"x").is_err());
    }

    #[test]
    fn passphrase_packages_open_with_the_passphrase_only() {
        let sealed = seal_age(
            &DeliverTo::Passphrase("correct horse battery".into()),
            b"notes",
        )
        .unwrap();
        let right = age::scrypt::Identity::new(age::secrecy::SecretString::from(
            "correct horse battery".to_owned(),
        ));
        assert_eq!(age::decrypt(&right, &sealed).unwrap(), b"notes");
        let wrong =
            age::scrypt::Identity::new(age::secrecy::SecretString::from("wrong".to_owned()));
        assert!(age::decrypt(&wrong, &sealed).is_err());
    }
}
