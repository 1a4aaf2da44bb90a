//! The matter flow's first question in plain words: "Someone is asking",
//! "I'm worried", "I want to use this". Each choice a page offers is one
//! of these, and maps to exactly one `MatterSubject` in the closed
//! vocabularies; a key that is not listed is refused. Kept here, not in a
//! page handler, because which words mean which event is a domain rule.

use crate::{MatterSubject, Result, refuse};
use confidant_core::situation::{AsksFor, ConcernAbout, Requester, UseFor};

/// The three kinds of matter, as the user thinks of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SituationGroup {
    SomeoneIsAsking,
    ImWorried,
    IWantToUseThis,
}

impl SituationGroup {
    pub fn heading(self) -> &'static str {
        match self {
            SituationGroup::SomeoneIsAsking => "Someone is asking for information",
            SituationGroup::ImWorried => "I'm worried about something my client said or did",
            SituationGroup::IWantToUseThis => "I want to use this client's material",
        }
    }
}

/// One situation in words.
#[derive(Debug, Clone, Copy)]
pub struct SituationChoice {
    /// The stable key a form sends.
    pub key: &'static str,
    pub group: SituationGroup,
    /// What the user reads.
    pub words: &'static str,
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Request(Requester, AsksFor),
    Concern(ConcernAbout),
    Use(UseFor),
}

impl SituationChoice {
    /// Whether the page should ask about a court order and who is asking.
    pub fn is_request(&self) -> bool {
        matches!(self.kind, Kind::Request(..))
    }
}

const fn request(
    key: &'static str,
    words: &'static str,
    from: Requester,
    asks_for: AsksFor,
) -> SituationChoice {
    SituationChoice {
        key,
        group: SituationGroup::SomeoneIsAsking,
        words,
        kind: Kind::Request(from, asks_for),
    }
}

const fn concern(key: &'static str, words: &'static str, about: ConcernAbout) -> SituationChoice {
    SituationChoice {
        key,
        group: SituationGroup::ImWorried,
        words,
        kind: Kind::Concern(about),
    }
}

const fn use_for(key: &'static str, words: &'static str, for_: UseFor) -> SituationChoice {
    SituationChoice {
        key,
        group: SituationGroup::IWantToUseThis,
        words,
        kind: Kind::Use(for_),
    }
}

/// Every situation offered, in the order shown.
pub const SITUATIONS: &[SituationChoice] = &[
    request(
        "police-notes",
        "The police have asked for notes",
        Requester::Police,
        AsksFor::Notes,
    ),
    request(
        "court-notes",
        "A court has asked for notes",
        Requester::Court,
        AsksFor::Notes,
    ),
    request(
        "solicitor-report",
        "A solicitor has asked for a report",
        Requester::Solicitor,
        AsksFor::Report,
    ),
    request(
        "solicitor-notes",
        "A solicitor has asked for notes",
        Requester::Solicitor,
        AsksFor::Notes,
    ),
    request(
        "gp-report",
        "My client's GP has asked for a report",
        Requester::Gp,
        AsksFor::Report,
    ),
    request(
        "partner-notes",
        "My client's partner has asked for the notes",
        Requester::Partner,
        AsksFor::Notes,
    ),
    request(
        "family-notes",
        "A family member has asked about my client",
        Requester::Family,
        AsksFor::Notes,
    ),
    request(
        "employer-report",
        "My client's employer has asked for a report",
        Requester::Employer,
        AsksFor::Report,
    ),
    request(
        "insurer-report",
        "An insurer has asked for a report",
        Requester::Insurer,
        AsksFor::Report,
    ),
    request(
        "media-notes",
        "A journalist has asked about my client",
        Requester::Media,
        AsksFor::Notes,
    ),
    concern(
        "suicide",
        "My client told me they plan to end their life",
        ConcernAbout::Suicide,
    ),
    concern(
        "self-harm",
        "My client is harming themselves",
        ConcernAbout::SelfHarm,
    ),
    concern(
        "harm-to-others",
        "My client may seriously harm someone else",
        ConcernAbout::HarmToOthers,
    ),
    concern(
        "child-protection",
        "I am worried a child is at risk",
        ConcernAbout::ChildProtection,
    ),
    concern(
        "adult-safeguarding",
        "I am worried an adult at risk is being harmed",
        ConcernAbout::AdultSafeguarding,
    ),
    concern(
        "terrorism",
        "My client told me about terrorism",
        ConcernAbout::Terrorism,
    ),
    concern(
        "crime",
        "My client told me about a serious crime",
        ConcernAbout::Crime,
    ),
    concern(
        "danger-to-practitioner",
        "I am worried for my own safety",
        ConcernAbout::DangerToPractitioner,
    ),
    use_for(
        "supervision",
        "I want to take this to supervision",
        UseFor::Supervision,
    ),
    use_for(
        "consultation",
        "I want to consult a colleague",
        UseFor::Consultation,
    ),
    use_for(
        "training",
        "I want to use this in training or teaching",
        UseFor::Training,
    ),
    use_for(
        "research",
        "I want to use this in research",
        UseFor::Research,
    ),
    use_for(
        "publication",
        "I want to write about this work",
        UseFor::Publication,
    ),
];

/// The choice with this key, or a refusal naming the field.
pub fn situation(key: &str) -> Result<&'static SituationChoice> {
    match SITUATIONS.iter().find(|s| s.key == key) {
        Some(s) => Ok(s),
        None => refuse("choose what is happening from the list"),
    }
}

/// The matter's subject for a choice. `requester`, `court_order` and its
/// reference only apply to requests (ignored otherwise).
pub fn subject_of(
    choice: &SituationChoice,
    requester: Option<String>,
    court_order: bool,
    authority_reference: Option<String>,
) -> MatterSubject {
    let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match choice.kind {
        Kind::Request(from, asks_for) => MatterSubject::Request {
            from,
            asks_for,
            requester: clean(requester),
            court_order,
            authority_reference: if court_order {
                clean(authority_reference)
            } else {
                None
            },
            statutory_basis: None,
        },
        Kind::Concern(about) => MatterSubject::Concern { about },
        Kind::Use(for_) => MatterSubject::Use { for_ },
    }
}

/// A matter's subject in words: the listed situation's own words, or the
/// vocabulary's spelling for one opened elsewhere (the CLI).
pub fn words_of(subject: &MatterSubject) -> String {
    let found = SITUATIONS.iter().find(|c| match (c.kind, subject) {
        (Kind::Request(f, a), MatterSubject::Request { from, asks_for, .. }) => {
            f == *from && a == *asks_for
        }
        (Kind::Concern(x), MatterSubject::Concern { about }) => x == *about,
        (Kind::Use(x), MatterSubject::Use { for_ }) => x == *for_,
        _ => false,
    });
    let court = matches!(
        subject,
        MatterSubject::Request {
            court_order: true,
            ..
        }
    );
    match (found, subject) {
        (Some(c), _) if court => format!("{} (with a court order)", c.words),
        (Some(c), _) => c.words.to_owned(),
        (None, MatterSubject::Request { from, asks_for, .. }) => {
            format!("A request from {from} for {asks_for}")
        }
        (None, MatterSubject::Concern { about }) => format!("A concern: {about}"),
        (None, MatterSubject::Use { for_ }) => format!("A use: {for_}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_found() {
        let mut seen = std::collections::HashSet::new();
        for s in SITUATIONS {
            assert!(seen.insert(s.key), "duplicate key {}", s.key);
            assert_eq!(situation(s.key).unwrap().key, s.key);
        }
        assert!(situation("no-such-thing").is_err());
    }

    #[test]
    fn police_without_court_order_is_a_police_request_for_notes() {
        let s = situation("police-notes").unwrap();
        match subject_of(s, Some("  DC Rowe ".into()), false, Some("ref".into())) {
            MatterSubject::Request {
                from,
                asks_for,
                requester,
                court_order,
                authority_reference,
                ..
            } => {
                assert_eq!(from, Requester::Police);
                assert_eq!(asks_for, AsksFor::Notes);
                assert_eq!(requester.as_deref(), Some("DC Rowe"));
                assert!(!court_order);
                assert_eq!(authority_reference, None, "no order, no reference");
            }
            _ => panic!("not a request"),
        }
        assert!(matches!(
            subject_of(situation("suicide").unwrap(), None, true, None),
            MatterSubject::Concern {
                about: ConcernAbout::Suicide
            }
        ));
    }
}
