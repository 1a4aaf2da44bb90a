//! Passphrase strength: a floor, not a meter. Argon2id makes each guess
//! expensive; it cannot save a passphrase an attacker tries first.

use secrecy::{ExposeSecret, SecretString};

use crate::error::CryptoError;

/// Shortest passphrase `init` accepts, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Passphrases (and stems) that appear at the top of every cracking list.
/// Compared after lower-casing and removing spaces, digits and punctuation,
/// so "Password123!" and "correct horse battery staple" are both caught.
const COMMON: &[&str] = &[
    "password",
    "passphrase",
    "passw0rd",
    "qwerty",
    "qwertyuiop",
    "asdfghjkl",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "administrator",
    "changeme",
    "secret",
    "confidant",
    "therapy",
    "counselling",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "trustno",
    "abcdefghijkl",
    "abcdefghijklmnopqrstuvwxyz",
    "correcthorsebatterystaple",
    "thequickbrownfoxjumpsoverthelazydog",
];

/// Refuses an empty, short, single-character, common or sequential
/// passphrase. The reason names the rule, never the passphrase.
pub fn check_passphrase_strength(passphrase: &SecretString) -> Result<(), CryptoError> {
    let pass = passphrase.expose_secret();
    if pass.trim().is_empty() {
        return Err(CryptoError::EmptyPassphrase);
    }
    let chars: Vec<char> = pass.chars().collect();
    if chars.len() < MIN_PASSPHRASE_CHARS {
        return Err(CryptoError::WeakPassphrase {
            reason: "it must be at least 12 characters long",
        });
    }
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err(CryptoError::WeakPassphrase {
            reason: "it repeats too few different characters",
        });
    }
    if chars
        .iter()
        .all(|c| c.is_ascii_digit() || c.is_whitespace())
    {
        return Err(CryptoError::WeakPassphrase {
            reason: "it is made of digits only",
        });
    }
    let letters: String = pass
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    // Built on a common password: the letters are one, or one with a few
    // letters added.
    let common = !letters.is_empty()
        && COMMON
            .iter()
            .any(|w| letters == *w || (letters.len() <= w.len() + 4 && letters.contains(w)));
    if common {
        return Err(CryptoError::WeakPassphrase {
            reason: "it is, or is built on, a commonly used password",
        });
    }
    // "123456789012", "abcdefghijkl": one step apart all the way.
    let sequential = chars
        .windows(2)
        .all(|w| (w[1] as i64 - w[0] as i64).abs() <= 1);
    if sequential {
        return Err(CryptoError::WeakPassphrase {
            reason: "it is a run of neighbouring characters",
        });
    }
    Ok(())
}
