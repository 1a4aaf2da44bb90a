//! The audit signing key: Ed25519, in a file of its own.
//!
//! The checkpoint HMAC (audit key, derived from the master key) proves a log
//! was written by a holder of `master.key`; it cannot prove anything to
//! someone who distrusts those holders. The signing key's private half lives
//! in its own file (`audit-signing.key`, mode 0600, which a service can keep
//! on another volume, readable only by the service account and not by the
//! people who administer the database or hold `master.key` backups). Its
//! public half is printed with every head so anyone can verify one.
//!
//! File format, version 1 (75 bytes):
//!
//! ```text
//! "CONFSIG" (7) || 0x01 || seed (32) || public key (32) || checksum (8)
//! checksum = SHA-256(everything before it)[..8]
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::keyfile;

/// Default file name of the signing key in the data directory.
pub const SIGNING_KEY_FILE_NAME: &str = "audit-signing.key";
const MAGIC: &[u8; 7] = b"CONFSIG";
const VERSION: u8 = 1;
const FILE_LEN: usize = 7 + 1 + 32 + 32 + 8;

/// The private Ed25519 key that signs audit heads. One boxed copy; the
/// dalek key zeroizes itself on drop.
pub struct AuditSigningKey {
    key: Box<SigningKey>,
}

impl fmt::Debug for AuditSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditSigningKey(..)")
    }
}

/// The public half: 32 bytes, printed as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AuditVerifyingKey {
    bytes: [u8; 32],
}

impl fmt::Debug for AuditVerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditVerifyingKey({})", self.to_hex())
    }
}

impl fmt::Display for AuditVerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn from_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim();
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl AuditVerifyingKey {
    pub fn from_bytes(bytes: [u8; 32]) -> AuditVerifyingKey {
        AuditVerifyingKey { bytes }
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Option<AuditVerifyingKey> {
        from_hex::<32>(s).map(AuditVerifyingKey::from_bytes)
    }

    pub fn to_hex(&self) -> String {
        to_hex(&self.bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`
    /// (strict verification: no malleable or small-order encodings).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.bytes) else {
            return false;
        };
        key.verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    }
}

impl AuditSigningKey {
    /// A fresh random key (not persisted; see [`AuditSigningKey::create`]).
    pub fn generate() -> AuditSigningKey {
        let mut seed = Zeroizing::new([0u8; 32]);
        crate::rand::fill(seed.as_mut());
        AuditSigningKey::from_seed(&seed)
    }

    /// From a 32-byte seed (known-answer tests).
    pub fn from_seed(seed: &[u8; 32]) -> AuditSigningKey {
        AuditSigningKey {
            key: Box::new(SigningKey::from_bytes(seed)),
        }
    }

    pub fn verifying_key(&self) -> AuditVerifyingKey {
        AuditVerifyingKey::from_bytes(self.key.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// The file bytes (part of the pinned format).
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(FILE_LEN));
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(self.key.as_bytes());
        out.extend_from_slice(self.verifying_key().as_bytes());
        let sum: [u8; 32] = Sha256::digest(&out[..]).into();
        out.extend_from_slice(&sum[..8]);
        out
    }

    /// Creates a new signing key file at `path` (mode 0600, created
    /// exclusively, fsynced, directory fsynced). Refuses an existing file.
    pub fn create(path: &Path) -> Result<AuditSigningKey, CryptoError> {
        let key = AuditSigningKey::generate();
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        keyfile::write_new_file(dir, path, &key.encode())?;
        Ok(key)
    }

    /// Loads the signing key file, refusing a symlink, a file readable or
    /// writable by group/other, and anything damaged.
    pub fn load(path: &Path) -> Result<AuditSigningKey, CryptoError> {
        let bytes = keyfile::read_private_file(path, FILE_LEN as u64)?;
        AuditSigningKey::parse(path, &bytes)
    }

    pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<AuditSigningKey, CryptoError> {
        let corrupt = |reason| CryptoError::KeyFileCorrupt {
            path: PathBuf::from(path),
            reason,
        };
        if bytes.len() != FILE_LEN || &bytes[..7] != MAGIC {
            return Err(corrupt("not a confidant audit signing key"));
        }
        let sum: [u8; 32] = Sha256::digest(&bytes[..FILE_LEN - 8]).into();
        if !bool::from(sum[..8].ct_eq(&bytes[FILE_LEN - 8..])) {
            return Err(corrupt("checksum mismatch"));
        }
        if bytes[7] != VERSION {
            return Err(corrupt("unsupported format version"));
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&bytes[8..40]);
        let key = AuditSigningKey::from_seed(&seed);
        if key.verifying_key().as_bytes()[..] != bytes[40..72] {
            return Err(corrupt("public key does not match the private key"));
        }
        Ok(key)
    }
}
