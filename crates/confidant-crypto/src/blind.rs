use std::fmt;

use ring::hmac;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// Keyed blind index: lets the store find a client by name (or another
/// identifier) through an HMAC column instead of a plaintext one.
#[derive(Clone)]
pub struct BlindIndexKey {
    key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndexKey(..)")
    }
}

impl BlindIndexKey {
    pub(crate) fn from_subkey(key: Zeroizing<[u8; 32]>) -> BlindIndexKey {
        BlindIndexKey { key }
    }

    /// Wraps existing key bytes, e.g. for known-answer tests.
    pub fn from_bytes(bytes: [u8; 32]) -> BlindIndexKey {
        BlindIndexKey {
            key: Zeroizing::new(bytes),
        }
    }

    /// HMAC-SHA256(key, u64be(len(kind)) || kind || normalise(value)).
    ///
    /// `kind` separates index families ("name", "nhs_number", ...) so equal
    /// values of different kinds do not collide. Values that differ only in
    /// case, Unicode composition or spacing give the same index.
    pub fn index(&self, kind: &str, value: &str) -> [u8; 32] {
        let normalised = Zeroizing::new(normalise(value));
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.key.as_ref());
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(&(kind.len() as u64).to_be_bytes());
        ctx.update(kind.as_bytes());
        ctx.update(normalised.as_bytes());
        let tag = ctx.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

/// The normal form the blind index hashes: Unicode NFKC, lower-cased,
/// leading/trailing whitespace removed and inner runs of whitespace collapsed
/// to one space. Part of the stored format (pinned by known-answer tests):
/// changing it makes existing index entries unfindable.
pub fn normalise(value: &str) -> String {
    let folded: String = value.nfkc().flat_map(char::to_lowercase).collect();
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    let mut folded = folded;
    zeroize::Zeroize::zeroize(&mut folded);
    out
}
