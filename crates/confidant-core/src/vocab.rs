//! The closed vocabularies of consent, shared by the record store (consents
//! recorded as data) and the policy engine (consents in a situation).
//! Spellings are those of `shared/scenarios/FORMAT.md` v1 and are part of
//! the stored format and the CLI contract: add values, never rename one.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that is not in a closed vocabulary. Neither its message nor its
/// `Debug` repeats the value: a name typed into the wrong field must not
/// reach stderr or a log. (`value` is kept, truncated, for callers that
/// know it is safe to show, such as a policy file's author.)
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {field} (expected one of: {expected})")]
pub struct UnknownValue {
    pub field: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl fmt::Debug for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnknownValue")
            .field("field", &self.field)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

/// Declares a closed, kebab-case vocabulary with `Display`, `FromStr` and
/// serde that agree with each other.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable spelling used in files, the CLI and the store.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        field: $field,
                        value: s.chars().take(40).collect(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}

// Other modules of this crate (the situation and decision vocabularies)
// declare their closed vocabularies with the same macro.
pub(crate) use vocabulary;

vocabulary!(
    /// What a consent allows.
    ConsentPurpose, "consent purpose" {
        ShareProgress => "share-progress",
        ContactGpOnRisk => "contact-gp-on-risk",
        ReleaseToRequester => "release-to-requester",
        SupervisionIdentifiable => "supervision-identifiable",
        Research => "research",
        Publication => "publication",
        Training => "training",
    }
);

vocabulary!(
    /// How a consent was given.
    ConsentForm, "consent form" {
        Written => "written",
        Verbal => "verbal",
        ApplicationForm => "application-form",
    }
);

vocabulary!(
    /// Where a consent stands.
    ConsentStatus, "consent status" {
        Given => "given",
        Refused => "refused",
        Withdrawn => "withdrawn",
        NotAsked => "not-asked",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_value_is_never_repeated_in_messages_or_debug() {
        let e = "Alex Example".parse::<ConsentPurpose>().unwrap_err();
        assert!(!e.to_string().contains("Alex"), "{e}");
        assert!(!format!("{e:?}").contains("Alex"));
        assert!(e.to_string().contains("consent purpose"));
        assert!(e.to_string().contains("research"));
    }

    #[test]
    fn spellings_round_trip_through_text_and_json() {
        for p in ConsentPurpose::ALL {
            assert_eq!(p.as_str().parse::<ConsentPurpose>(), Ok(*p));
            let json = serde_json::to_string(p).unwrap();
            assert_eq!(json, format!("\"{p}\""));
            assert_eq!(serde_json::from_str::<ConsentPurpose>(&json).unwrap(), *p);
        }
        for f in ConsentForm::ALL {
            assert_eq!(f.as_str().parse::<ConsentForm>(), Ok(*f));
        }
        for s in ConsentStatus::ALL {
            assert_eq!(s.as_str().parse::<ConsentStatus>(), Ok(*s));
        }
    }

    #[test]
    fn unknown_value_names_field_and_choices() {
        let err = "emailed".parse::<ConsentForm>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("consent form"), "{msg}");
        assert!(msg.contains("application-form"), "{msg}");
    }
}
