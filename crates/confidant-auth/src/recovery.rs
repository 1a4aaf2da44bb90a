//! One-time recovery codes, for the user who has lost their authenticator.
//!
//! Ten codes of 20 characters from Crockford's base32 (100 bits each, shown
//! in groups of four), generated at MFA enrolment and shown once. Only a
//! keyed hash of each is stored: HMAC-SHA256 under a per-user random salt.
//! A slow hash is not needed at 100 bits of entropy (no dictionary to try),
//! and a fast one lets sign-in check all ten. A used code is removed by the
//! caller (the index returned by [`RecoveryCodes::find`]).

use crate::RandomnessUnavailable;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub const COUNT: usize = 10;
const CODE_CHARS: usize = 20;
/// Crockford's base32: no I, L, O, U, so codes read aloud unambiguously.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// The stored form: the salt and one hash per unused code.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecoveryCodes {
    pub salt: [u8; 16],
    pub hashes: Vec<[u8; 32]>,
}

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes({} unused)", self.hashes.len())
    }
}

fn normalise(code: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_CHARS);
    for c in code.chars() {
        let c = c.to_ascii_lowercase();
        let mapped = match c {
            '-' | ' ' => continue,
            'i' | 'l' => '1',
            'o' => '0',
            c if ALPHABET.contains(&(c as u8)) && c.is_ascii() => c,
            _ => return None,
        };
        out.push(mapped);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// `None` only if HMAC refused the key, which it never does for HMAC (the
/// fallible constructor exists for fixed-size MACs); no code then matches.
fn keyed_hash(salt: &[u8; 16], normalised: &str) -> Option<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(salt).ok()?;
    mac.update(normalised.as_bytes());
    Some(mac.finalize().into_bytes().into())
}

impl RecoveryCodes {
    /// New codes: the stored form, and the codes to show the user once.
    pub fn generate() -> Result<(RecoveryCodes, Vec<Zeroizing<String>>), RandomnessUnavailable> {
        let salt = crate::random_bytes::<16>()?;
        let mut shown = Vec::with_capacity(COUNT);
        let mut hashes = Vec::with_capacity(COUNT);
        for _ in 0..COUNT {
            let random = Zeroizing::new(crate::random_bytes::<CODE_CHARS>()?);
            let raw: String = random
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect();
            // A key HMAC refused would leave codes that can never be used:
            // treat it like the generator failing.
            hashes.push(keyed_hash(&salt, &raw).ok_or(RandomnessUnavailable)?);
            let grouped: Vec<String> = raw
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            shown.push(Zeroizing::new(grouped.join("-")));
        }
        Ok((RecoveryCodes { salt, hashes }, shown))
    }

    /// The index of the unused code `code` matches, if any. Every stored
    /// hash is compared, so timing does not say which.
    pub fn find(&self, code: &str) -> Option<usize> {
        let normalised = Zeroizing::new(normalise(code)?);
        let candidate = keyed_hash(&self.salt, &normalised)?;
        let mut found = None;
        for (i, stored) in self.hashes.iter().enumerate() {
            if bool::from(stored.ct_eq(&candidate)) {
                found = Some(i);
            }
        }
        found
    }

    /// Uses up the code at `index`.
    pub fn consume(&mut self, index: usize) {
        if index < self.hashes.len() {
            self.hashes.remove(index);
        }
    }

    pub fn remaining(&self) -> usize {
        self.hashes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_works_once_in_any_reasonable_spelling() {
        let (mut stored, shown) = RecoveryCodes::generate().unwrap();
        assert_eq!(shown.len(), COUNT);
        assert_eq!(stored.remaining(), COUNT);
        let first = shown[0].as_str();
        assert_eq!(first.len(), 24, "five groups of four");
        let i = stored.find(first).unwrap();
        // Upper case, without dashes, is the same code.
        assert_eq!(stored.find(&first.to_uppercase().replace('-', "")), Some(i));
        stored.consume(i);
        assert_eq!(stored.find(first), None);
        assert_eq!(stored.remaining(), COUNT - 1);
        assert!(stored.find(shown[1].as_str()).is_some());
    }

    #[test]
    fn wrong_or_malformed_codes_match_nothing() {
        let (stored, _) = RecoveryCodes::generate().unwrap();
        assert_eq!(stored.find("0000-0000-0000-0000-0000"), None);
        assert_eq!(stored.find("short"), None);
        assert_eq!(stored.find("ÿÿÿÿ-0000-0000-0000-0000"), None);
        assert_eq!(format!("{stored:?}"), "RecoveryCodes(10 unused)");
    }

    #[test]
    fn the_stored_form_holds_no_code() {
        let (stored, shown) = RecoveryCodes::generate().unwrap();
        let json = serde_json::to_string(&stored).unwrap();
        for code in &shown {
            assert!(!json.contains(&code.replace('-', "")));
        }
    }
}
