use std::fmt;
use std::str::FromStr;

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// What an audit entry records. The spellings are part of the stored
        /// format (they are hashed): never change one; add new variants.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Action {
            $($(#[$doc])* $variant,)*
        }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The stable spelling stored and hashed.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Action::$variant => $text,)*
                }
            }
        }

        impl FromStr for Action {
            type Err = UnknownAction;
            fn from_str(s: &str) -> Result<Action, UnknownAction> {
                match s {
                    $($text => Ok(Action::$variant),)*
                    _ => Err(UnknownAction),
                }
            }
        }
    };
}

actions! {
    /// The store was created.
    Init => "init",
    ClientCreate => "client.create",
    ClientRead => "client.read",
    ClientUpdate => "client.update",
    /// A client was found through the blind index.
    ClientSearch => "client.search",
    ClientDestroy => "client.destroy",
    CaseCreate => "case.create",
    CaseRead => "case.read",
    CaseUpdate => "case.update",
    NoteWrite => "note.write",
    NoteRead => "note.read",
    ConsentWrite => "consent.write",
    ConsentRead => "consent.read",
    ConsentWithdraw => "consent.withdraw",
    LegalHoldSet => "legal_hold.set",
    LegalHoldRelease => "legal_hold.release",
    PractitionerCreate => "practitioner.create",
    PractitionerUpdate => "practitioner.update",
    Export => "export",
    /// A confidentiality decision was made.
    Decision => "decision",
    Deidentify => "deidentify",
    AuditVerify => "audit.verify",
    KeyRotate => "key.rotate",
    /// A matter (request, concern or intended use) was opened.
    MatterOpen => "matter.open",
    MatterRead => "matter.read",
    MatterList => "matter.list",
    /// The policy's recommendation was computed and stored on a matter.
    MatterDecide => "matter.decide",
    /// The signed decision record was written.
    MatterRecord => "matter.record",
    MatterAmend => "matter.amend",
    /// An obligation on the matter's checklist was attested.
    MatterAttest => "matter.attest",
    MatterClose => "matter.close",
    PackageBuild => "package.build",
    PackageRead => "package.read",
    /// A package was delivered and added to the accounting of disclosures.
    PackageDeliver => "package.deliver",
    DisclosureList => "disclosure.list",
    PractitionerRead => "practitioner.read",
    LegalHoldList => "legal_hold.list",
    /// A step on a subject access request (identity confirmed, paused,
    /// resumed, extended, responded, refused).
    SarStep => "sar.step",
    /// The client's access log (who read or changed the record) was read.
    AccessLogRead => "access_log.read",
    /// A retention sweep looked at (dry run) or destroyed what was due.
    RetentionSweep => "retention.sweep",
    /// The store's records were upgraded to the sealed, authenticated
    /// format (schema 5).
    StoreUpgrade => "store.upgrade",
    /// The store's rows, digests and manifest were verified end to end.
    StoreVerify => "store.verify",
    /// A one-time link to create the first administrator was issued.
    SetupLinkCreate => "setup_link.create",
    UserCreate => "user.create",
    UserUpdate => "user.update",
    /// A password was accepted (the second factor may still be due).
    SignIn => "sign_in",
    /// A sign-in was refused: wrong name or password, wrong or replayed
    /// one-time code, or a forged, expired or revoked session or token.
    SignInFail => "sign_in.fail",
    /// A sign-in was refused unchecked because of earlier failures.
    SignInThrottled => "sign_in.throttled",
    /// The second factor was accepted: the session is fully signed in.
    MfaVerify => "mfa.verify",
    /// TOTP enrolment began, was confirmed, or recovery codes were issued.
    MfaChange => "mfa.change",
    /// A one-time recovery code was used instead of TOTP.
    MfaRecoveryUse => "mfa.recovery_use",
    SignOut => "sign_out",
    SessionRevoke => "session.revoke",
    TokenCreate => "token.create",
    TokenRevoke => "token.revoke",
    /// A request was refused by the access policy or a CSRF check.
    AccessRefused => "access.refused",
    /// A practitioner opened a record they are not assigned to, giving a
    /// reason (flagged for review).
    BreakGlassGrant => "break_glass.grant",
    BreakGlassReview => "break_glass.review",
    /// A practitioner was assigned to a client, or a supervision recorded.
    AssignmentChange => "assignment.change",
    /// Something the service promised or did was recorded on a client
    /// (limits explained, a confidentiality agreement, a complaint opened
    /// or closed).
    PromiseRecord => "promise.record",
    /// A client's promises record was read or listed.
    PromiseRead => "promise.read",
    /// A review of a policy was recorded.
    PolicyReview => "policy.review",
    /// The recorded policy reviews were read.
    PolicyReviewRead => "policy_review.read",
    /// The audit log was searched by record or by user.
    AuditSearch => "audit.search",
    /// Sign-in refusals from one address within one window after the
    /// first (which is audited in full), counted in one entry.
    SignInRefusalsCoalesced => "sign_in.refusals_coalesced",
    /// A user changed their password (their other sessions ended).
    PasswordChange => "password.change",
    /// An administrator disabled an account (its sessions and tokens end).
    AccountDisable => "account.disable",
    AccountEnable => "account.enable",
    /// An administrator issued a one-time password reset link.
    PasswordResetIssue => "password_reset.issue",
    /// A reset link was used: new password, authenticator to re-enrol.
    PasswordResetUse => "password_reset.use",
    /// A note submitted after the session ended was kept sealed as a draft,
    /// or taken back or discarded by its author.
    NoteDraft => "note.draft",
    /// A matter was escalated to a safeguarding officer.
    MatterEscalate => "matter.escalate",
    /// The escalations waiting for a safeguarding officer were listed.
    EscalationList => "escalation.list",
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored action spelling this build does not know (a damaged or tampered
/// entry, or one written by a newer version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action")]
pub struct UnknownAction;
