//! Typed record ids.
//!
//! Every id is a short kind prefix and 32 lowercase hex digits (a UUID v7,
//! so ids sort roughly by creation time), e.g. `note_0192f3...`. The prefix
//! means an id of one kind cannot be passed where another is expected, on
//! the command line as in the code. Ids are random and carry no personal
//! information, so they are the one thing `Debug`, logs, errors and audit
//! entries may show. Generating ids needs randomness, which lives in the
//! store; this module only names, parses and prints them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A string that is not a well-formed id of the expected kind. The message
/// names the kind and the expected shape, never the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id (expected `{prefix}_` followed by 32 lowercase hex digits)")]
pub struct InvalidId {
    pub kind: &'static str,
    pub prefix: &'static str,
}

fn well_formed(s: &str, prefix: &str) -> bool {
    let Some(rest) = s.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) else {
        return false;
    };
    rest.len() == 32
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with (before `_`).
            pub const PREFIX: &'static str = $prefix;
            /// What this id names, for messages.
            pub const KIND: &'static str = $kind;

            /// Builds an id from 16 random (or UUID v7) bytes.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                let mut s = String::with_capacity($prefix.len() + 33);
                s.push_str($prefix);
                s.push('_');
                for b in bytes {
                    s.push(char::from(HEX[usize::from(b >> 4)]));
                    s.push(char::from(HEX[usize::from(b & 0x0f)]));
                }
                $name(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                if well_formed(s, $prefix) {
                    Ok($name(s.to_owned()))
                } else {
                    Err(InvalidId { kind: $kind, prefix: $prefix })
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                if well_formed(&s, $prefix) {
                    Ok($name(s))
                } else {
                    Err(InvalidId { kind: $kind, prefix: $prefix })
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        // Ids are safe to print: random, no personal data.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

const HEX: &[u8; 16] = b"0123456789abcdef";

typed_id!(
    /// A client (a person the service works with).
    ClientId, "cl", "client"
);
typed_id!(
    /// A case: one client, a couple, or a group.
    CaseId, "case", "case"
);
typed_id!(
    /// A session note.
    NoteId, "note", "note"
);
typed_id!(
    /// A practitioner, supervisor, officer, lead or administrator.
    PractitionerId, "pr", "practitioner"
);
typed_id!(
    /// A recorded consent.
    ConsentId, "cons", "consent"
);
typed_id!(
    /// A legal hold on a client's record.
    HoldId, "hold", "legal hold"
);
typed_id!(
    /// A matter: one request, concern or intended use on a client or case.
    MatterId, "mat", "matter"
);
typed_id!(
    /// One step recorded on a matter (decided, recorded, amended, ...).
    MatterEventId, "mev", "matter event"
);
typed_id!(
    /// A disclosure package built for a matter.
    PackageId, "pkg", "package"
);
typed_id!(
    /// One entry in a client's accounting of disclosures.
    DisclosureId, "dis", "disclosure"
);
typed_id!(
    /// A user account of the server (linked to the practitioner it acts as).
    UserId, "user", "user"
);
typed_id!(
    /// A signed-in session (its public handle; the cookie's secret is
    /// another value, stored only as a hash).
    SessionId, "sess", "session"
);
typed_id!(
    /// A personal access token (its public handle; the secret is stored
    /// only as a hash).
    TokenId, "pat", "personal access token"
);
typed_id!(
    /// A break-glass grant: a practitioner's time-limited access to a
    /// record they are not assigned to.
    GrantId, "bg", "break-glass grant"
);
typed_id!(
    /// A recorded promise or step of the service on a client: limits
    /// explained, a confidentiality agreement, a complaint (opened or
    /// closed).
    PromiseId, "prm", "promise record"
);
typed_id!(
    /// A recorded review of a policy.
    ReviewId, "rev", "policy review"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_kinds() {
        let id = ClientId::from_bytes([0xab; 16]);
        assert_eq!(id.as_str(), "cl_abababababababababababababababab");
        assert_eq!(id.as_str().parse::<ClientId>(), Ok(id.clone()));
        assert!(id.as_str().parse::<NoteId>().is_err());
        assert!(
            "cl_ABABABABABABABABABABABABABABABAB"
                .parse::<ClientId>()
                .is_err()
        );
        assert!("cl_abab".parse::<ClientId>().is_err());
        assert!("".parse::<ClientId>().is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<ClientId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ClientId>("\"x\"").is_err());
    }

    #[test]
    fn invalid_id_message_does_not_echo_input() {
        let err = "cl_Jane Smith".parse::<ClientId>().unwrap_err().to_string();
        assert!(!err.contains("Jane"), "{err}");
        assert!(err.contains("client"), "{err}");
    }
}
typed_id!(
    /// A matter escalated to a safeguarding officer.
    EscalationId, "esc", "escalation"
);
