//! Rendering: `policy show` (the policy as a readable document for the
//! service manager) and `policy explain` (the client-facing "limits of
//! confidentiality" statement, in plain English, in Markdown or HTML).

use crate::engine::overlaps;
use crate::format::{ContactRole, StatementHeading, When};
use crate::{Policy, RuleInfo};
use confidant_core::decision::{Obligation, Outcome, Recipient};
use std::fmt::Write as _;

/// Plain-English name of a recipient, for clients.
pub fn recipient_plain(r: Recipient) -> &'static str {
    match r {
        Recipient::EmergencyServices => "the emergency services (999)",
        Recipient::Gp => "your GP",
        Recipient::MentalHealthTeam => "your local mental health team",
        Recipient::SafeguardingOfficer => "our Safeguarding Officer or their deputy",
        Recipient::ProgrammeLead => "the programme lead",
        Recipient::LineManager => "a line manager (without your name)",
        Recipient::Police => "the police",
        Recipient::Court => "a court",
        Recipient::FamilyServices => "children's and family services",
        Recipient::ClinicalLead => "your clinical lead or service manager",
        Recipient::Supervisor => "a clinical supervisor",
        Recipient::Client => "you",
        Recipient::Requester => {
            "the person or body who asked, with your agreement or a court order"
        }
        Recipient::CrisisTeam => "the crisis team",
        Recipient::AdultSocialCare => "adult social care",
        Recipient::StatutoryBody => "a statutory body",
        Recipient::Solicitor => "a solicitor",
        Recipient::Partner => "your partner",
        Recipient::Family => "your family",
        Recipient::Employer => "your employer",
        Recipient::ProgrammeMember => "other programme members",
        Recipient::Researcher => "researchers (without your name)",
        Recipient::Insurer => "an insurer",
        Recipient::Media => "the media",
        Recipient::ProfessionalBody => "a professional or complaints body",
        Recipient::TeachingGroup => "a teaching group (without your name)",
        Recipient::SignificantOther => "the person closest to you (your significant other)",
    }
}

/// Plain-English description of an obligation, for the manager's view.
pub fn obligation_plain(o: Obligation) -> &'static str {
    match o {
        Obligation::DocumentDecision => "record who was consulted, the factors considered and why",
        Obligation::InformClient => "tell the client",
        Obligation::MinimumNecessary => "share the minimum necessary",
        Obligation::NeedToKnow => "only people who need to know",
        Obligation::VerbalOnly => "verbally, not in writing or electronically",
        Obligation::Deidentify => "remove names and identifiers",
        Obligation::WrittenConsent => "informed written consent is required",
        Obligation::ConsentingPartyOnly => "only the consenting party's information",
        Obligation::RespondWithinOneMonth => "respond within one calendar month",
        Obligation::NoFee => "no fee",
        Obligation::OfferSupport => "offer support",
        Obligation::SecureRecord => "make a secure record of the facts",
        Obligation::NoLeadingQuestions => "ask no leading questions",
        Obligation::RedactThirdParties => "remove other people's information",
        Obligation::ProtectWhereabouts => "never reveal where the person lives or is",
        Obligation::ExplainLimits => "explain the limits of confidentiality",
        Obligation::EncourageSelfDisclosure => {
            "first encourage the person to tell the right people themselves"
        }
        Obligation::ConsultAdvisors => "consult advisors",
        Obligation::BestInterests => "decide in the person's best interests",
        Obligation::ProtectIdentity => "never reveal who the person is",
        Obligation::MakeRepresentations => {
            "make representations about the scope of the order or notice"
        }
        Obligation::HealthProfessionalOpinion => {
            "obtain an appropriate health professional's opinion before withholding for serious harm"
        }
    }
}

fn list<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(|s| s.as_ref())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The conditions of a rule, as text.
pub fn when_text(w: &When) -> String {
    let mut parts: Vec<String> = Vec::new();
    macro_rules! set {
        ($field:expr, $name:literal) => {
            if !$field.0.is_empty() {
                let v: Vec<&str> = $field.0.iter().map(|x| x.as_str()).collect();
                parts.push(format!("{} = {}", $name, v.join(" | ")));
            }
        };
    }
    macro_rules! flag {
        ($field:expr, $name:literal) => {
            if let Some(b) = $field {
                parts.push(format!("{} = {}", $name, b));
            }
        };
    }
    set!(w.kind, "kind");
    set!(w.from, "from");
    flag!(w.court_order, "court_order");
    set!(w.asks_for, "asks_for");
    set!(w.about, "about");
    flag!(w.imminent, "imminent");
    flag!(w.confirmed, "confirmed");
    set!(w.crime, "crime");
    flag!(w.life_threatening, "life_threatening");
    flag!(w.ongoing_risk, "ongoing_risk");
    set!(w.for_, "for");
    set!(w.age, "age");
    set!(w.capacity, "capacity");
    flag!(w.can_consent, "can_consent");
    set!(w.relationship, "relationship");
    set!(w.arrangement, "arrangement");
    flag!(w.protected, "protected");
    flag!(w.cares_for_children, "cares_for_children");
    flag!(
        w.parental_responsibility_held_elsewhere,
        "parental_responsibility_held_elsewhere"
    );
    flag!(w.identity_protected, "identity_protected");
    macro_rules! or_none {
        ($field:expr, $name:literal) => {
            if !$field.0.is_empty() {
                let v: Vec<String> = $field.0.iter().map(|x| x.to_string()).collect();
                parts.push(format!("{} = {}", $name, v.join(" | ")));
            }
        };
    }
    or_none!(w.compulsion, "compulsion");
    or_none!(w.on_behalf_of, "on_behalf_of");
    flag!(w.asking_party, "asking_party");
    or_none!(w.client_role, "client_role");
    flag!(w.inform_client_unsafe, "inform_client_unsafe");
    for (k, v) in &w.consent {
        let states: Vec<&str> = v.0.iter().map(|x| x.as_str()).collect();
        parts.push(format!("consent {} = {}", k.0, states.join(" | ")));
    }
    set!(w.decided, "decided");
    if parts.is_empty() {
        "always".to_string()
    } else {
        parts.join("; ")
    }
}

/// The client-facing "limits of confidentiality" statement, structured.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The policy's title and owner, as the policy file gives them.
    pub title: String,
    pub owner: String,
    pub sections: Vec<StatementSection>,
}

/// One section of the client statement: a heading, its paragraphs, then
/// its bullet points (plain text; the caller escapes).
#[derive(Debug, Clone)]
pub struct StatementSection {
    pub title: &'static str,
    pub paragraphs: Vec<String>,
    pub bullets: Vec<String>,
}

/// A section of the client statement.
struct Section {
    title: &'static str,
    paragraphs: Vec<String>,
    bullets: Vec<String>,
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

impl Policy {
    /// Baseline defaults an organisation's decisive rule competes with are
    /// left out of the client statement, so it never says two things.
    fn default_overridden(&self, info: &RuleInfo) -> bool {
        info.from_baseline
            && !info.def.duty
            && info.masks != crate::engine::compile_when(&When::default())
            && self.rules.iter().any(|o| {
                !o.from_baseline && o.def.outcome.is_some() && overlaps(&o.masks, &info.masks)
            })
    }

    fn statement_sections(&self) -> Vec<Section> {
        let own = &self.file.statement;
        let base = &self.baseline.statement;
        let mut intro = Vec::new();
        if let Some(t) = own.intro.as_ref().or(base.intro.as_ref()) {
            intro.push(t.clone());
        }
        if own.intro.is_some()
            && let Some(t) = &base.intro
        {
            intro.push(t.clone());
        }
        let mut private = Vec::new();
        let mut shared = Vec::new();
        let mut how = Vec::new();
        let mut law = Vec::new();
        // The baseline's defaults, where the organisation's policy is
        // silent: said separately, so the statement never presents the
        // law's general rules (and their recipients) as the organisation's
        // own practice.
        let mut defaults = Vec::new();
        let mut recipients: Vec<Recipient> = Vec::new();
        let mut default_recipients: Vec<Recipient> = Vec::new();
        let mut tells_client = false;
        // The organisation's own sentences first, then the law's.
        let ordered = self
            .rules
            .iter()
            .filter(|r| !r.from_baseline)
            .chain(self.rules.iter().filter(|r| r.from_baseline));
        let is_baseline = self.file.policy.extends.is_none();
        for info in ordered {
            let r = &info.def;
            if self.default_overridden(info) {
                continue;
            }
            let is_default = info.from_baseline && !r.duty && !is_baseline;
            if r.obligations.contains(&Obligation::InformClient) && !is_default {
                tells_client = true;
            }
            if matches!(
                r.outcome,
                Some(Outcome::Disclose | Outcome::Emergency | Outcome::Escalate)
            ) || (r.outcome.is_none() && !r.recipients.is_empty())
            {
                let list = if is_default {
                    &mut default_recipients
                } else {
                    &mut recipients
                };
                for rc in &r.recipients {
                    if !list.contains(rc) && *rc != Recipient::Client {
                        list.push(*rc);
                    }
                }
            }
            let Some(text) = &r.explain else { continue };
            let heading = r.explain_under.unwrap_or(match r.outcome {
                _ if r.duty => StatementHeading::Law,
                Some(Outcome::Withhold | Outcome::SeekConsent) => StatementHeading::Private,
                Some(_) => StatementHeading::Shared,
                None => StatementHeading::How,
            });
            // The unconditional default (what stays confidential otherwise)
            // is the general rule of every policy, not a silent-policy
            // default.
            let unconditional = info.masks == crate::engine::compile_when(&When::default());
            let target = match heading {
                _ if is_default && unconditional => &mut private,
                _ if is_default && heading != StatementHeading::Law => &mut defaults,
                StatementHeading::Private => &mut private,
                StatementHeading::Shared => &mut shared,
                StatementHeading::Law => &mut law,
                StatementHeading::How => &mut how,
            };
            push_unique(target, text);
        }
        default_recipients.retain(|r| !recipients.contains(r));
        let mut sections = vec![Section {
            title: "Confidentiality",
            paragraphs: intro,
            bullets: vec![],
        }];
        if let Some(outset) = &own.outset {
            sections.push(Section {
                title: "When we explain this",
                paragraphs: vec![outset.clone()],
                bullets: vec![],
            });
        }
        sections.push(Section {
            title: "What stays private",
            paragraphs: vec![],
            bullets: private,
        });
        sections.push(Section {
            title: "When information may be shared",
            paragraphs: vec![],
            bullets: shared,
        });
        sections.push(Section {
            title: "What the law requires",
            paragraphs: vec![],
            bullets: law,
        });
        if !defaults.is_empty() {
            sections.push(Section {
                title: "Where this policy says nothing, the law's general rules apply",
                paragraphs: vec![],
                bullets: defaults,
            });
        }
        recipients.sort();
        default_recipients.sort();
        sections.push(Section {
            title: "Who it may be shared with",
            paragraphs: vec![
                "Only when one of the situations above applies, and only what is needed:".into(),
            ],
            bullets: recipients
                .iter()
                .map(|r| recipient_plain(*r).to_string())
                .collect(),
        });
        if !default_recipients.is_empty() {
            let names: Vec<&str> = default_recipients
                .iter()
                .map(|r| recipient_plain(*r))
                .collect();
            sections.push(Section {
                title: "Others the law's general rules may involve",
                paragraphs: vec![format!(
                    "This policy does not name them, but where it says nothing the law's general rules may involve: {}.",
                    names.join(", ")
                )],
                bullets: vec![],
            });
        }
        let mut told = how;
        if tells_client {
            told.insert(
                0,
                "Where it is safe to do so, we will tell you before we share anything, or as soon as we can afterwards, and explain why.".into(),
            );
        }
        sections.push(Section {
            title: "How we share, and what you will be told",
            paragraphs: vec![],
            bullets: told,
        });
        let retention: Vec<String> = if self.file.retention.is_empty() && !is_baseline {
            let mut v = vec![
                "This policy does not set how long records are kept, so the default applies:"
                    .to_string(),
            ];
            v.extend(self.baseline.retention.iter().map(default_retention_text));
            v
        } else if self.file.retention.is_empty() {
            self.baseline
                .retention
                .iter()
                .map(default_retention_text)
                .collect()
        } else {
            self.file.retention.iter().map(retention_text).collect()
        };
        sections.push(Section {
            title: "How long we keep records",
            paragraphs: retention,
            bullets: vec![],
        });
        if !self.file.complaints.is_empty() {
            sections.push(Section {
                title: "If you want to complain",
                paragraphs: vec![],
                bullets: self
                    .file
                    .complaints
                    .iter()
                    .map(|c| match &c.note {
                        Some(n) => format!("{} ({})", c.name, n.trim_end_matches('.')),
                        None => c.name.clone(),
                    })
                    .collect(),
            });
        }
        if !self.file.communication.is_empty() {
            sections.push(Section {
                title: "How we look after your information",
                paragraphs: vec![],
                bullets: self
                    .file
                    .communication
                    .iter()
                    .map(|c| c.text.clone())
                    .collect(),
            });
        }
        let contacts: Vec<String> = self
            .file
            .contacts
            .iter()
            .filter(|c| {
                matches!(
                    c.role,
                    ContactRole::PolicyContact
                        | ContactRole::SafeguardingOfficer
                        | ContactRole::DeputySafeguardingOfficer
                )
            })
            .map(contact_text)
            .collect();
        if !contacts.is_empty() {
            sections.push(Section {
                title: "Who to contact",
                paragraphs: vec![],
                bullets: contacts,
            });
        }
        let urgent: Vec<String> = self
            .file
            .contacts
            .iter()
            .filter(|c| {
                matches!(
                    c.role,
                    ContactRole::CrisisLine
                        | ContactRole::EmergencyServices
                        | ContactRole::Helpline
                )
            })
            .map(|c| {
                let mut s = c.name.clone();
                if let Some(p) = &c.phone {
                    let _ = write!(s, ": {p}");
                }
                if let Some(n) = &c.note {
                    let _ = write!(s, " ({n})");
                }
                s
            })
            .collect();
        if !urgent.is_empty() {
            sections.push(Section {
                title: "If you need help urgently",
                paragraphs: vec![],
                bullets: urgent,
            });
        }
        sections.retain(|s| !s.paragraphs.is_empty() || !s.bullets.is_empty());
        sections
    }

    /// The client-facing statement as structured sections (title,
    /// paragraphs, bullets), for a caller that renders it itself (the web
    /// app's printable page). Same content as `explain_markdown`.
    pub fn statement(&self) -> Statement {
        Statement {
            title: self.file.policy.title.clone(),
            owner: self.file.policy.owner.clone(),
            sections: self
                .statement_sections()
                .into_iter()
                .map(|s| StatementSection {
                    title: s.title,
                    paragraphs: s.paragraphs,
                    bullets: s.bullets,
                })
                .collect(),
        }
    }

    /// The client-facing statement, as Markdown.
    pub fn explain_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Your confidentiality: what stays private and when it may be shared\n"
        );
        let _ = writeln!(
            out,
            "*{}* ({})\n",
            self.file.policy.title, self.file.policy.owner
        );
        for s in self.statement_sections() {
            let _ = writeln!(out, "## {}\n", s.title);
            for p in &s.paragraphs {
                let _ = writeln!(out, "{p}\n");
            }
            for b in &s.bullets {
                let _ = writeln!(out, "- {b}");
            }
            if !s.bullets.is_empty() {
                out.push('\n');
            }
        }
        out
    }

    /// The client-facing statement, as a standalone HTML page.
    pub fn explain_html(&self) -> String {
        let mut out = String::new();
        let title = "Your confidentiality: what stays private and when it may be shared";
        let _ = writeln!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n<h1>{}</h1>\n<p><em>{}</em> ({})</p>",
            escape(title),
            escape(title),
            escape(&self.file.policy.title),
            escape(&self.file.policy.owner)
        );
        for s in self.statement_sections() {
            let _ = writeln!(out, "<h2>{}</h2>", escape(s.title));
            for p in &s.paragraphs {
                let _ = writeln!(out, "<p>{}</p>", escape(p));
            }
            if !s.bullets.is_empty() {
                out.push_str("<ul>\n");
                for b in &s.bullets {
                    let _ = writeln!(out, "<li>{}</li>", escape(b));
                }
                out.push_str("</ul>\n");
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }

    /// The policy as a readable document (Markdown).
    pub fn show(&self) -> String {
        let m = &self.file.policy;
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", m.title);
        let _ = writeln!(out, "- Name: `{}`", m.name);
        let _ = writeln!(out, "- Owner: {}", m.owner);
        if let Some(r) = &m.reviewer {
            let _ = writeln!(out, "- Reviewed by: {r}");
        }
        let _ = writeln!(out, "- Source document: {}", m.source_document);
        let _ = writeln!(
            out,
            "- Extends: {}",
            m.extends
                .as_deref()
                .unwrap_or("(none: this is the baseline)")
        );
        let _ = writeln!(
            out,
            "- Last review: {}",
            m.last_review.as_deref().unwrap_or("not recorded")
        );
        let _ = writeln!(
            out,
            "- Review interval: {}",
            m.review_interval_months
                .map_or("not stated".to_string(), |n| format!("{n} months"))
        );
        if let Some(s) = &m.summary {
            let _ = writeln!(out, "\n{s}");
        }
        let _ = writeln!(
            out,
            "\n## How the rules combine\n\nLegal duties come first and cannot be overridden. Otherwise the decisive rule with the highest priority that applies gives the outcome; at equal priority the narrower rule wins, then the one most protective of confidentiality. Rules without an outcome add obligations and recipients to whatever was decided. Recipients a rule forbids are never included."
        );
        let own: Vec<&RuleInfo> = self.rules.iter().filter(|r| !r.from_baseline).collect();
        let duties: Vec<&RuleInfo> = self.rules.iter().filter(|r| r.def.duty).collect();
        let defaults: Vec<&RuleInfo> = self
            .rules
            .iter()
            .filter(|r| r.from_baseline && !r.def.duty)
            .collect();
        let is_baseline = m.extends.is_none();
        if !is_baseline {
            let _ = writeln!(out, "\n## Rules of this policy ({})\n", own.len());
            for r in own {
                rule_text(&mut out, r);
            }
        }
        let _ = writeln!(
            out,
            "\n## Legal duties (uk-law baseline, cannot be overridden) ({})\n",
            duties.len()
        );
        for r in duties {
            rule_text(&mut out, r);
        }
        let _ = writeln!(
            out,
            "\n## Defaults (uk-law baseline; apply where this policy is silent) ({})\n",
            defaults.len()
        );
        for r in defaults {
            rule_text(&mut out, r);
        }
        if !self.file.disable.is_empty() {
            let _ = writeln!(
                out,
                "Switched off by this policy: {}\n",
                list(&self.file.disable)
            );
        }
        let _ = writeln!(out, "## Retention\n");
        if self.file.retention.is_empty() {
            let _ = writeln!(
                out,
                "This policy sets no retention period; the uk-law default applies (a default, not this organisation's choice):\n"
            );
            for r in &self.baseline.retention {
                let _ = writeln!(out, "- {} (source: {})", retention_text(r), r.source);
            }
        } else {
            for r in &self.file.retention {
                let _ = writeln!(out, "- {} (source: {})", retention_text(r), r.source);
            }
        }
        if !self.file.contacts.is_empty() {
            let _ = writeln!(out, "\n## Contacts\n");
            for c in &self.file.contacts {
                let _ = write!(out, "- {}: {}", c.role.label(), c.name);
                if let Some(p) = &c.phone {
                    let _ = write!(out, ", {p}");
                }
                if let Some(e) = &c.email {
                    let _ = write!(out, ", {e}");
                }
                if let Some(n) = &c.note {
                    let _ = write!(out, " ({n})");
                }
                out.push('\n');
            }
        }
        if !self.file.complaints.is_empty() {
            let _ = writeln!(out, "\n## Complaints\n");
            for c in &self.file.complaints {
                let _ = write!(out, "- {}", c.name);
                if let Some(n) = &c.note {
                    let _ = write!(out, ": {n}");
                }
                let _ = writeln!(out, " (source: {})", c.source);
            }
        }
        if !self.file.communication.is_empty() {
            let _ = writeln!(out, "\n## Communication constraints\n");
            for c in &self.file.communication {
                let _ = writeln!(out, "- {} (source: {})", c.text, c.source);
            }
        }
        out
    }
}

/// A contact as the client sees it: its role, name, phone, email, note.
fn contact_text(c: &crate::format::ContactDef) -> String {
    let mut s = format!("{}: {}", c.role.label(), c.name);
    if let Some(p) = &c.phone {
        let _ = write!(s, ", {p}");
    }
    if let Some(e) = &c.email {
        let _ = write!(s, ", {e}");
    }
    if let Some(n) = &c.note {
        let _ = write!(s, " ({})", n.trim_end_matches('.'));
    }
    s
}

/// A default retention period, labelled as a default.
fn default_retention_text(r: &crate::format::RetentionDef) -> String {
    let mut s = format!(
        "By default, {} are kept for {}",
        r.record,
        period_text(r.months)
    );
    if let Some(from) = &r.from {
        let _ = write!(s, " after {from}");
    }
    if let Some(then) = &r.then {
        let _ = write!(s, ", then {then}");
    }
    s.push('.');
    s
}

fn period_text(months: u32) -> String {
    if months % 12 == 0 {
        let y = months / 12;
        format!("{y} year{}", if y == 1 { "" } else { "s" })
    } else {
        format!("{months} months")
    }
}

fn retention_text(r: &crate::format::RetentionDef) -> String {
    let period = period_text(r.months);
    let mut s = format!("{}: kept for {period}", capitalise(&r.record));
    if let Some(from) = &r.from {
        let _ = write!(s, " after {from}");
    }
    if let Some(then) = &r.then {
        let _ = write!(s, ", then {then}");
    }
    s.push('.');
    s
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn rule_text(out: &mut String, info: &RuleInfo) {
    let r = &info.def;
    let head = match r.outcome {
        Some(o) if r.duty && !r.when.decided.0.is_empty() => {
            format!("legal duty: corrects the decided outcome to {o}")
        }
        Some(o) if r.duty => format!("legal duty: {o}"),
        Some(o) => format!("priority {}: {o}", r.priority),
        None if r.duty => "legal duty: adds".to_string(),
        None => "adds".to_string(),
    };
    let _ = writeln!(out, "### `{}` ({head})\n", r.id);
    let _ = writeln!(out, "- When: {}", when_text(&r.when));
    if !r.obligations.is_empty() {
        let o: Vec<&str> = r.obligations.iter().map(|o| o.as_str()).collect();
        let _ = writeln!(out, "- Obligations: {}", list(&o));
    }
    if !r.recipients.is_empty() {
        let v: Vec<&str> = r.recipients.iter().map(|o| o.as_str()).collect();
        let _ = writeln!(out, "- Recipients: {}", list(&v));
    }
    if !r.forbid_recipients.is_empty() {
        let v: Vec<&str> = r.forbid_recipients.iter().map(|o| o.as_str()).collect();
        let _ = writeln!(out, "- Never to: {}", list(&v));
    }
    if !r.forbid_obligations.is_empty() {
        let v: Vec<&str> = r.forbid_obligations.iter().map(|o| o.as_str()).collect();
        let _ = writeln!(out, "- Never with: {}", list(&v));
    }
    let _ = writeln!(out, "- Source: {}\n", r.source);
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
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
