//! Passwords: what a new one must be, and how it is stored.
//!
//! NIST SP 800-63B (rev. 4, §3.1.1.2) and OWASP ASVS 5.0 V6.2: a minimum
//! length (15 characters where a password may be a single factor, at least 8
//! where it is always one of two; Confidant requires TOTP of every account,
//! and still defaults to 15 as ASVS strongly recommends), a maximum of at
//! least 64, any characters including spaces and Unicode, **no composition
//! rules** (no "one digit and one symbol"), and a check against commonly
//! used, expected or compromised values and context-specific words (the
//! service's name, the user's own name or email). Length counts Unicode
//! characters, not bytes.
//!
//! Storage: Argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1) in
//! PHC string form, so parameters can be raised later and old hashes still
//! verify ([`needs_rehash`] says when to re-hash at the next sign-in).

use crate::RandomnessUnavailable;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The shortest password accepted by default (NIST's single-factor minimum).
pub const DEFAULT_MIN_LENGTH: usize = 15;
/// No configuration may go below NIST's multi-factor minimum.
pub const ABSOLUTE_MIN_LENGTH: usize = 8;
/// The longest accepted: above NIST's "at least 64", bounded so a huge
/// input cannot make hashing a denial of service.
pub const MAX_LENGTH: usize = 256;

/// OWASP's Argon2id parameters for passwords (Password Storage Cheat Sheet).
pub const ARGON2_M_KIB: u32 = 19_456;
pub const ARGON2_T: u32 = 2;
pub const ARGON2_P: u32 = 1;

const COMMON: &str = include_str!("../data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Why a new password was refused. Never carries the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejected {
    #[error("the password must be at least {min} characters long")]
    TooShort { min: usize },
    #[error("the password must be at most {max} characters long")]
    TooLong { max: usize },
    #[error("the password is one of the most commonly used passwords; choose another")]
    Common,
    #[error("the password contains your name, email or the service's name; choose another")]
    ContextSpecific,
    #[error("the password is a single character or a short sequence repeated; choose another")]
    Repetitive,
    #[error("the password contains control characters")]
    ControlCharacters,
}

/// What a new password is checked against.
#[derive(Debug, Clone)]
pub struct PasswordRules {
    pub min_length: usize,
}

impl Default for PasswordRules {
    fn default() -> Self {
        PasswordRules {
            min_length: DEFAULT_MIN_LENGTH,
        }
    }
}

impl PasswordRules {
    /// Rules with a different minimum, never below NIST's 8.
    pub fn with_min_length(min_length: usize) -> PasswordRules {
        PasswordRules {
            min_length: min_length.clamp(ABSOLUTE_MIN_LENGTH, MAX_LENGTH),
        }
    }

    /// Checks a new password. `context` holds words a guesser would try for
    /// this user: their user name, name parts, email, the service's name.
    pub fn check(&self, password: &str, context: &[&str]) -> Result<(), PasswordRejected> {
        if password.chars().any(char::is_control) {
            return Err(PasswordRejected::ControlCharacters);
        }
        let length = password.chars().count();
        if length < self.min_length {
            return Err(PasswordRejected::TooShort {
                min: self.min_length,
            });
        }
        if length > MAX_LENGTH {
            return Err(PasswordRejected::TooLong { max: MAX_LENGTH });
        }
        let lower = password.to_lowercase();
        if is_repetitive(&lower) {
            return Err(PasswordRejected::Repetitive);
        }
        if is_common(&lower) {
            return Err(PasswordRejected::Common);
        }
        for word in context {
            let word = word.trim().to_lowercase();
            // Short words (initials, "jo") would refuse too much.
            if word.chars().count() >= 4 && lower.contains(&word) {
                return Err(PasswordRejected::ContextSpecific);
            }
            // An email's local part is what people reuse.
            if let Some((local, _)) = word.split_once('@')
                && local.chars().count() >= 4
                && lower.contains(local)
            {
                return Err(PasswordRejected::ContextSpecific);
            }
        }
        Ok(())
    }
}

/// A common password, or one made by the usual dressings of one: repeated
/// ("passwordpassword"), with digits or symbols added before or after
/// ("password1234567!"), or with spaces between words.
fn is_common(lower: &str) -> bool {
    let set = common_passwords();
    if set.contains(lower) {
        return true;
    }
    let squashed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if set.contains(squashed.as_str()) {
        return true;
    }
    let core = squashed.trim_matches(|c: char| !c.is_alphabetic());
    if core.chars().count() >= 4 && (set.contains(core) || is_repeat_of_common(core, set)) {
        // What is left is a common word; the digits and symbols around it
        // add little a guesser would not try.
        let added = squashed.chars().count() - core.chars().count();
        return added <= 8;
    }
    is_repeat_of_common(&squashed, set)
}

fn is_repeat_of_common(s: &str, set: &HashSet<&str>) -> bool {
    let chars: Vec<char> = s.chars().collect();
    (1..=chars.len() / 2).any(|unit| {
        chars.len() % unit == 0 && {
            let head: String = chars[..unit].iter().collect();
            chars.chunks(unit).all(|c| c == &chars[..unit]) && set.contains(head.as_str())
        }
    })
}

/// One character, or a unit of up to four repeated ("abababab..."), or a
/// run of consecutive characters ("abcdefghijklmno", "123456789012345").
fn is_repetitive(lower: &str) -> bool {
    let chars: Vec<char> = lower.chars().collect();
    let repeated_unit = (1..=4.min(chars.len() / 2))
        .any(|unit| chars.iter().enumerate().all(|(i, c)| *c == chars[i % unit]));
    if repeated_unit {
        return true;
    }
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])))
        .collect();
    // Sequences wrap (…7890123…), so a step of -9 after 9 counts as +1.
    let ascending = steps.iter().all(|s| *s == 1 || *s == -9);
    let descending = steps.iter().all(|s| *s == -1 || *s == 9);
    !steps.is_empty() && (ascending || descending)
}

fn argon2() -> Result<Argon2<'static>, HashError> {
    let params =
        Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).map_err(|_| HashError::Parameters)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    #[error("invalid Argon2 parameters")]
    Parameters,
    #[error("the password could not be hashed")]
    Hashing,
}

/// The Argon2id PHC string for a password (salt: 16 random bytes).
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt_bytes = crate::random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| HashError::Hashing)?;
    let phc = argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|_| HashError::Hashing)?;
    Ok(phc.to_string())
}

/// True when `password` matches the stored PHC string. A malformed stored
/// string never matches. Verification uses the parameters in the string.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return false;
    }
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// For an unknown user: does the same work as [`verify`] against a fixed
/// hash and returns false, so the answer and its timing do not say whether
/// the account exists.
pub fn verify_unknown_user(password: &str) -> bool {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("confidant-no-such-user-dummy-password").ok());
    if let Some(dummy) = dummy {
        let _ = verify(password, dummy);
    }
    false
}

/// True when a stored hash was made with weaker parameters than today's
/// (re-hash it at the next successful sign-in).
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.algorithm.as_str() != "argon2id"
        || params.m_cost() < ARGON2_M_KIB
        || params.t_cost() < ARGON2_T
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_not_composition() {
        let rules = PasswordRules::default();
        // Long lower-case passphrases with no digit or symbol are fine.
        assert_eq!(rules.check("correct horse battery staple", &[]), Ok(()));
        assert_eq!(rules.check("ünïcödé pässwörd ñ", &[]), Ok(()));
        // Counted in characters: 14 characters of 2 bytes each is too short.
        assert_eq!(
            rules.check("éééééééabcdefg", &[]),
            Err(PasswordRejected::TooShort { min: 15 })
        );
        assert_eq!(
            rules.check(&("x".repeat(10) + "Y7!"), &[]),
            Err(PasswordRejected::TooShort { min: 15 })
        );
        let long = "abc def ghi jkl ".repeat(17);
        assert_eq!(
            rules.check(&long, &[]),
            Err(PasswordRejected::TooLong { max: MAX_LENGTH })
        );
        assert_eq!(
            rules.check("tab\tseparated words here", &[]),
            Err(PasswordRejected::ControlCharacters)
        );
    }

    #[test]
    fn configured_minimum_never_below_eight() {
        assert_eq!(PasswordRules::with_min_length(4).min_length, 8);
        assert_eq!(PasswordRules::with_min_length(12).min_length, 12);
    }

    #[test]
    fn common_passwords_and_their_usual_dressings_are_refused() {
        let rules = PasswordRules::with_min_length(8);
        assert_eq!(rules.check("password", &[]), Err(PasswordRejected::Common));
        assert_eq!(rules.check("PASSWORD", &[]), Err(PasswordRejected::Common));
        assert_eq!(rules.check("iloveyou", &[]), Err(PasswordRejected::Common));
        let rules = PasswordRules::default();
        assert_eq!(
            rules.check("password1234567", &[]),
            Err(PasswordRejected::Common)
        );
        assert_eq!(
            rules.check("!!Sunshine2026!!", &[]),
            Err(PasswordRejected::Common)
        );
        assert_eq!(
            rules.check("monkeymonkeymonkey", &[]),
            Err(PasswordRejected::Common)
        );
        assert_eq!(
            rules.check("football football", &[]),
            Err(PasswordRejected::Common)
        );
        // A common word inside a longer phrase is not a common password.
        assert_eq!(rules.check("my dragon eats tea cakes", &[]), Ok(()));
    }

    #[test]
    fn repeats_and_sequences_are_refused() {
        let rules = PasswordRules::default();
        assert_eq!(
            rules.check(&"a".repeat(20), &[]),
            Err(PasswordRejected::Repetitive)
        );
        assert_eq!(
            rules.check(&"ab".repeat(10), &[]),
            Err(PasswordRejected::Repetitive)
        );
        assert_eq!(
            rules.check("abcdefghijklmnop", &[]),
            Err(PasswordRejected::Repetitive)
        );
        assert_eq!(
            rules.check("123456789012345", &[]),
            Err(PasswordRejected::Repetitive)
        );
        assert_eq!(
            rules.check("987654321098765", &[]),
            Err(PasswordRejected::Repetitive)
        );
    }

    #[test]
    fn context_words_are_refused() {
        let rules = PasswordRules::default();
        let context = ["Confidant", "priya.sharma@example.org", "Priya", "Sharma"];
        assert_eq!(
            rules.check("confidant rocks my world", &context),
            Err(PasswordRejected::ContextSpecific)
        );
        assert_eq!(
            rules.check("my name is sharma ok!!", &context),
            Err(PasswordRejected::ContextSpecific)
        );
        assert_eq!(
            rules.check("priya.sharma forever", &context),
            Err(PasswordRejected::ContextSpecific)
        );
        assert_eq!(rules.check("quiet river under stone", &context), Ok(()));
    }

    #[test]
    fn errors_never_carry_the_password() {
        let rules = PasswordRules::default();
        let secret = "password1234567";
        let e = rules.check(secret, &[]).unwrap_err();
        assert!(!e.to_string().contains(secret));
        assert!(!format!("{e:?}").contains(secret));
    }

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("quiet river under stone").unwrap();
        let b = hash("quiet river under stone").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("quiet river under stone", &a));
        assert!(!verify("quiet river under stonf", &a));
        assert!(!verify("quiet river under stone", "not a hash"));
        assert!(!needs_rehash(&a));
        assert!(!verify_unknown_user("quiet river under stone"));
    }

    #[test]
    fn weaker_hashes_still_verify_and_ask_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        );
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let phc = weak
            .hash_password(b"quiet river under stone", &salt)
            .unwrap()
            .to_string();
        assert!(verify("quiet river under stone", &phc));
        assert!(needs_rehash(&phc));
        // Argon2i (not id) is refused.
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(ARGON2_M_KIB, 2, 1, None).unwrap(),
        );
        let phc = argon2i
            .hash_password(b"quiet river under stone", &salt)
            .unwrap()
            .to_string();
        assert!(!verify("quiet river under stone", &phc));
    }
}
