//! confidant-crypto: the key hierarchy and the primitives that keep case
//! records confidential at rest.
//!
//! ```text
//! master key (32 bytes: random key file, or Argon2id(passphrase, salt))
//!   |-- HKDF-SHA256 "confidant/v1/key-wrap"    -> key-wrapping key  (AES-256-GCM)
//!   |       wraps one random DataKey per client (AAD binds the client id)
//!   |           DataKey seals note text, names, contact details (AAD binds
//!   |           table, column, row and client)
//!   |-- HKDF-SHA256 "confidant/v1/blind-index" -> blind-index key   (HMAC-SHA256)
//!   |-- HKDF-SHA256 "confidant/v1/audit"       -> audit key         (HMAC-SHA256 checkpoints)
//!   `-- HKDF-SHA256 "confidant/v1/key-check"   -> key-check value   (detects a wrong passphrase)
//! ```
//!
//! Every stored format is versioned and pinned by known-answer tests; see
//! `docs/crypto-architecture.md`.

mod aead;
mod blind;
mod error;
mod keyfile;
mod keyring;
mod keys;
mod passphrase;
mod rand;
mod signing;
#[cfg(test)]
mod tests;

pub use aead::{
    Aad, SEAL_OVERHEAD, SEAL_VERSION, WRAP_VERSION, WRAP_VERSION_2, WRAPPED_KEY_LEN,
    WRAPPED_KEY_V2_LEN, open, open_string, seal, unwrap_data_key, wrap_data_key,
    wrapped_key_generation,
};
pub use blind::{BlindIndexKey, normalise};
pub use error::CryptoError;
pub use keyfile::{KEY_FILE_NAME, KdfParams, MAX_M_KIB, MAX_P, MAX_T, key_file_path};
pub use keyring::{KeyFileLock, KeyRing, LOCK_FILE_NAME};
pub use keys::{AuditKey, DataKey, MasterKey};
pub use passphrase::{MIN_PASSPHRASE_CHARS, check_passphrase_strength};
pub use secrecy::{ExposeSecret, SecretString};
pub use signing::{AuditSigningKey, AuditVerifyingKey, SIGNING_KEY_FILE_NAME};
pub use zeroize::{Zeroize, Zeroizing};
