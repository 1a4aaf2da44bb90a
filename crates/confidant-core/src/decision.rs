//! What a confidentiality policy answers: an outcome, the obligations that
//! come with it, the recipients, and the rules that produced it, each with
//! the clause of the source policy it encodes. Spellings follow
//! `shared/scenarios/FORMAT.md` v1; values marked "extension" are
//! Confidant's additions.

use crate::vocab::{UnknownValue, vocabulary};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

vocabulary!(
    /// The answer to "may I, must I?".
    Outcome, "outcome" {
        Withhold => "withhold",
        SeekConsent => "seek-consent",
        Disclose => "disclose",
        Escalate => "escalate",
        Emergency => "emergency",
    }
);

impl Outcome {
    /// How much an outcome lets out, from nothing (withhold) to everything
    /// needed now (emergency). Used for most-protective-wins tie breaks.
    pub fn disclosure_rank(self) -> u8 {
        match self {
            Outcome::Withhold => 0,
            Outcome::SeekConsent => 1,
            Outcome::Escalate => 2,
            Outcome::Disclose => 3,
            Outcome::Emergency => 4,
        }
    }

    /// Whether information leaves the service (to a recipient other than a
    /// designated person inside it).
    pub fn is_disclosure(self) -> bool {
        matches!(self, Outcome::Disclose | Outcome::Emergency)
    }
}

vocabulary!(
    /// What the practitioner must do with or after the decision.
    Obligation, "obligation" {
        DocumentDecision => "document-decision",
        InformClient => "inform-client",
        MinimumNecessary => "minimum-necessary",
        NeedToKnow => "need-to-know",
        VerbalOnly => "verbal-only",
        Deidentify => "deidentify",
        WrittenConsent => "written-consent",
        ConsentingPartyOnly => "consenting-party-only",
        RespondWithinOneMonth => "respond-within-one-month",
        NoFee => "no-fee",
        OfferSupport => "offer-support",
        SecureRecord => "secure-record",
        NoLeadingQuestions => "no-leading-questions",
        RedactThirdParties => "redact-third-parties",
        // Extensions.
        ProtectWhereabouts => "protect-whereabouts",
        ExplainLimits => "explain-limits",
        EncourageSelfDisclosure => "encourage-self-disclosure",
        ConsultAdvisors => "consult-advisors",
        BestInterests => "best-interests",
        // The client's identity, not only their whereabouts, is protected
        // (refuge, witness protection, sex offenders register).
        ProtectIdentity => "protect-identity",
        // Representations to the court or the issuer about the scope of an
        // order or notice (minimum necessary).
        MakeRepresentations => "make-representations",
        // DPA 2018 Sch. 3 para 6: before withholding health data under the
        // serious-harm exemption, a controller who is not a health
        // professional obtains an appropriate health professional's opinion.
        HealthProfessionalOpinion => "health-professional-opinion",
    }
);

vocabulary!(
    /// Who receives information. Open in FORMAT v1: policies may name any of
    /// these; scenario expectations may name anything.
    Recipient, "recipient" {
        EmergencyServices => "emergency-services",
        Gp => "gp",
        MentalHealthTeam => "mental-health-team",
        SafeguardingOfficer => "safeguarding-officer",
        ProgrammeLead => "programme-lead",
        LineManager => "line-manager",
        Police => "police",
        Court => "court",
        FamilyServices => "family-services",
        ClinicalLead => "clinical-lead",
        Supervisor => "supervisor",
        Client => "client",
        Requester => "requester",
        // Extensions.
        CrisisTeam => "crisis-team",
        AdultSocialCare => "adult-social-care",
        StatutoryBody => "statutory-body",
        Solicitor => "solicitor",
        Partner => "partner",
        Family => "family",
        Employer => "employer",
        ProgrammeMember => "programme-member",
        Researcher => "researcher",
        Insurer => "insurer",
        Media => "media",
        ProfessionalBody => "professional-body",
        TeachingGroup => "teaching-group",
        // The person the client names as closest to them (WWDD: "explain
        // this to you and your significant other").
        SignificantOther => "significant-other",
    }
);

impl Recipient {
    /// The recipient that stands for whoever made a request.
    pub fn for_requester(from: crate::situation::Requester) -> Recipient {
        use crate::situation::Requester as R;
        match from {
            R::Police => Recipient::Police,
            R::Court => Recipient::Court,
            R::StatutoryBody => Recipient::StatutoryBody,
            R::Solicitor => Recipient::Solicitor,
            R::Gp => Recipient::Gp,
            R::Client => Recipient::Client,
            R::Partner => Recipient::Partner,
            R::Family => Recipient::Family,
            R::Employer => Recipient::Employer,
            R::ClinicalLead => Recipient::ClinicalLead,
            R::ProgrammeMember => Recipient::ProgrammeMember,
            R::Researcher => Recipient::Researcher,
            R::Insurer => Recipient::Insurer,
            R::Media => Recipient::Media,
        }
    }
}

/// A rule that contributed to a decision, with the clause it encodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredRule {
    pub id: Arc<str>,
    pub source: Arc<str>,
}

/// A policy's answer to a situation. Holds no identifiers: only vocabulary
/// and the policy's own rule ids and clauses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub obligations: Vec<Obligation>,
    pub recipients: Vec<Recipient>,
    pub rules: Vec<FiredRule>,
}

impl Decision {
    pub fn has_obligation(&self, o: Obligation) -> bool {
        self.obligations.contains(&o)
    }

    pub fn has_recipient(&self, r: Recipient) -> bool {
        self.recipients.contains(&r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_serialises_in_format_shape() {
        let d = Decision {
            outcome: Outcome::SeekConsent,
            obligations: vec![Obligation::DocumentDecision],
            recipients: vec![Recipient::Requester],
            rules: vec![FiredRule {
                id: "r1".into(),
                source: "x.txt: clause".into(),
            }],
        };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(
            json,
            r#"{"outcome":"seek-consent","obligations":["document-decision"],"recipients":["requester"],"rules":[{"id":"r1","source":"x.txt: clause"}]}"#
        );
        assert_eq!(serde_json::from_str::<Decision>(&json).unwrap(), d);
    }

    #[test]
    fn every_requester_has_a_recipient() {
        for r in crate::situation::Requester::ALL {
            // Same spelling: the recipient names who asked.
            assert_eq!(Recipient::for_requester(*r).as_str(), r.as_str());
        }
    }

    #[test]
    fn ranks_are_ordered() {
        let ranks: Vec<u8> = Outcome::ALL.iter().map(|o| o.disclosure_rank()).collect();
        let mut sorted = ranks.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), Outcome::ALL.len());
    }
}
