//! Signed heads: "the log has `count` entries and ends in `head_hash`",
//! signed with the Ed25519 audit signing key.
//!
//! The HMAC checkpoint (audit key from the master key) only convinces
//! someone who trusts every holder of `master.key`. A signed head convinces
//! anyone holding the public key, and once published elsewhere (printed by
//! `audit verify`, appended to a witness file on another volume) it pins the
//! log: a later log must be an extension of it. Rollback, truncation, a
//! replayed old checkpoint and a rewrite by someone without the signing key
//! all fail against a head kept outside the database.
//!
//! Signed bytes: `"confidant.audit.head.v1" || u64be(count) || head_hash (32)
//! || public key (32)`. Text form (one line, what witnesses store):
//! `confidant-audit-head v1 count=N hash=HEX64 key=HEX64 sig=HEX128`.

use std::fmt;
use std::str::FromStr;

use confidant_crypto::{AuditSigningKey, AuditVerifyingKey};

const HEAD_DOMAIN: &[u8] = b"confidant.audit.head.v1";
const TEXT_TAG: &str = "confidant-audit-head";

/// A signed statement of the log's length and last hash.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHead {
    pub count: u64,
    pub head_hash: [u8; 32],
    pub public_key: AuditVerifyingKey,
    pub signature: [u8; 64],
}

impl fmt::Debug for SignedHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignedHead({self})")
    }
}

/// The bytes signed for a head (part of the pinned format).
pub fn encode_head(count: u64, head_hash: &[u8; 32], public_key: &AuditVerifyingKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEAD_DOMAIN.len() + 8 + 64);
    out.extend_from_slice(HEAD_DOMAIN);
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(head_hash);
    out.extend_from_slice(public_key.as_bytes());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl SignedHead {
    pub fn sign(key: &AuditSigningKey, count: u64, head_hash: [u8; 32]) -> SignedHead {
        let public_key = key.verifying_key();
        let signature = key.sign(&encode_head(count, &head_hash, &public_key));
        SignedHead {
            count,
            head_hash,
            public_key,
            signature,
        }
    }

    /// Whether the signature is valid under the key the head names. Says
    /// nothing about whether that key is the right one: see
    /// [`SignedHead::verify_with`].
    pub fn verify(&self) -> bool {
        self.public_key.verify(
            &encode_head(self.count, &self.head_hash, &self.public_key),
            &self.signature,
        )
    }

    /// Whether it is signed by `trusted`.
    pub fn verify_with(&self, trusted: &AuditVerifyingKey) -> bool {
        self.public_key == *trusted && self.verify()
    }
}

impl fmt::Display for SignedHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{TEXT_TAG} v1 count={} hash={} key={} sig={}",
            self.count,
            hex(&self.head_hash),
            self.public_key.to_hex(),
            hex(&self.signature)
        )
    }
}

/// Why a head string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a signed audit head: expected `confidant-audit-head v1 count=N hash=.. key=.. sig=..` as printed by `confidant audit verify`"
)]
pub struct HeadParseError;

impl FromStr for SignedHead {
    type Err = HeadParseError;

    /// Accepts the head anywhere in the line (e.g. the whole `audit verify`
    /// output line).
    fn from_str(s: &str) -> Result<SignedHead, HeadParseError> {
        let at = s.find(TEXT_TAG).ok_or(HeadParseError)?;
        let mut parts = s[at..].split_whitespace();
        if parts.next() != Some(TEXT_TAG) || parts.next() != Some("v1") {
            return Err(HeadParseError);
        }
        let mut field = |name: &str| -> Result<&str, HeadParseError> {
            parts
                .next()
                .and_then(|p| p.strip_prefix(name))
                .and_then(|p| p.strip_prefix('='))
                .ok_or(HeadParseError)
        };
        let count = field("count")?.parse::<u64>().map_err(|_| HeadParseError)?;
        let head_hash = unhex::<32>(field("hash")?).ok_or(HeadParseError)?;
        let public_key =
            AuditVerifyingKey::from_bytes(unhex::<32>(field("key")?).ok_or(HeadParseError)?);
        let signature = unhex::<64>(field("sig")?).ok_or(HeadParseError)?;
        Ok(SignedHead {
            count,
            head_hash,
            public_key,
            signature,
        })
    }
}
