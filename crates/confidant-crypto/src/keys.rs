use std::fmt;
use std::path::Path;

use hkdf::Hkdf;
use ring::hmac;
use secrecy::SecretString;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::blind::BlindIndexKey;
use crate::error::CryptoError;
use crate::keyfile::{self, KdfParams};

/// HKDF salt: fixed, public, versioned. The master key is already uniformly
/// random (or an Argon2id output), so the salt only separates this scheme
/// from any other use of the same key.
const HKDF_SALT: &[u8] = b"confidant.hkdf.v1";
pub(crate) const INFO_KEY_WRAP: &[u8] = b"confidant/v1/key-wrap";
pub(crate) const INFO_BLIND_INDEX: &[u8] = b"confidant/v1/blind-index";
pub(crate) const INFO_AUDIT: &[u8] = b"confidant/v1/audit";
pub(crate) const INFO_KEY_CHECK: &[u8] = b"confidant/v1/key-check";
pub(crate) const INFO_KEY_ID: &[u8] = b"confidant/v1/key-id";
/// Wraps the key-encryption keys in a version 2 key file.
pub(crate) const INFO_KEK_WRAP: &[u8] = b"confidant/v2/kek-wrap";
/// Seals stored destruction certificates (a service key: the destroyed
/// client's own key is gone).
pub(crate) const INFO_CERTIFICATES: &[u8] = b"confidant/v2/certificates";
/// Keyed digests of the links between records (who is a party to which
/// case or note), bound to the row they sit in.
pub(crate) const INFO_LINKS: &[u8] = b"confidant/v3/links";
/// MACs over stored rows, the per-client digests and the store manifest.
pub(crate) const INFO_RECORDS: &[u8] = b"confidant/v3/records";
/// Seals a case's list of parties (a case has no single owner).
pub(crate) const INFO_CASE_PARTIES: &[u8] = b"confidant/v3/case-parties";

/// The root of the key hierarchy. Never stored in the database; it lives in
/// the data directory's key file or is derived from the passphrase.
/// One boxed copy of the key bytes: moving a `MasterKey` moves a pointer,
/// never the key, and the box is wiped on drop.
#[derive(Clone)]
pub struct MasterKey {
    key: Box<Zeroizing<[u8; 32]>>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A fresh random master key (not persisted; see [`MasterKey::init`]).
    pub fn generate() -> MasterKey {
        let mut key = Box::new(Zeroizing::new([0u8; 32]));
        crate::rand::fill(&mut key[..]);
        MasterKey { key }
    }

    /// Wraps existing key bytes, e.g. for known-answer tests or key import.
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        MasterKey {
            key: Box::new(Zeroizing::new(bytes)),
        }
    }

    /// Create the key file in `data_dir` (version 2, mode 0600, created
    /// exclusively and written atomically): a random key, or, when
    /// `passphrase` is `Some`, an Argon2id header (salt, m=64 MiB, t=3, p=1,
    /// key-check value) holding no key material; plus the first random
    /// key-encryption key. Refuses a weak passphrase
    /// ([`crate::check_passphrase_strength`]) before creating anything.
    /// Creates `data_dir` (mode 0700) if needed. Refuses to overwrite an
    /// existing key file.
    pub fn init(
        data_dir: &Path,
        passphrase: Option<&SecretString>,
    ) -> Result<MasterKey, CryptoError> {
        let path = keyfile::key_file_path(data_dir);
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(CryptoError::KeyFileExists { path });
        }
        if let Some(pass) = passphrase {
            crate::passphrase::check_passphrase_strength(pass)?;
        }
        keyfile::init(data_dir, passphrase, KdfParams::DEFAULT)
    }

    /// Like [`MasterKey::init`] with explicit Argon2id parameters, which are
    /// NOT checked against the minimum. For tests that need cheap
    /// derivations; [`MasterKey::load`] refuses a header written with weaker
    /// parameters than the minimum.
    pub fn init_with_params(
        data_dir: &Path,
        passphrase: Option<&SecretString>,
        params: KdfParams,
    ) -> Result<MasterKey, CryptoError> {
        keyfile::init(data_dir, passphrase, params)
    }

    /// Load the master key from `data_dir`: read the random key file, or
    /// derive the key from the passphrase and check it against the header's
    /// key-check value. Errors: [`CryptoError::KeyFileMissing`],
    /// [`CryptoError::WrongPassphrase`], [`CryptoError::PassphraseRequired`],
    /// [`CryptoError::PassphraseNotUsed`], [`CryptoError::KeyFilePermissions`]
    /// (group/other bits set), [`CryptoError::KeyFileCorrupt`],
    /// [`CryptoError::KeyFileWeakParams`] (below m=19 MiB, t=2).
    pub fn load(
        data_dir: &Path,
        passphrase: Option<&SecretString>,
    ) -> Result<MasterKey, CryptoError> {
        keyfile::load(data_dir, passphrase, KdfParams::MINIMUM)
    }

    /// Like [`MasterKey::load`] but accepts Argon2id headers down to `min`.
    /// For tests only; the CLI always uses [`MasterKey::load`].
    pub fn load_accepting(
        data_dir: &Path,
        passphrase: Option<&SecretString>,
        min: KdfParams,
    ) -> Result<MasterKey, CryptoError> {
        keyfile::load(data_dir, passphrase, min)
    }

    /// Argon2id(passphrase, salt) with the given parameters, without any
    /// file. Exposed for known-answer tests and benchmarks.
    pub fn derive_from_passphrase(
        passphrase: &SecretString,
        salt: &[u8],
        params: KdfParams,
    ) -> Result<MasterKey, CryptoError> {
        keyfile::derive(passphrase, salt, params).map(|key| MasterKey { key: Box::new(key) })
    }

    /// The subkey for HMAC blind indexes (finding a client by name).
    pub fn blind_index_key(&self) -> BlindIndexKey {
        BlindIndexKey::from_subkey(self.subkey(INFO_BLIND_INDEX))
    }

    /// The subkey that MACs audit checkpoints.
    pub fn audit_key(&self) -> AuditKey {
        AuditKey {
            key: self.subkey(INFO_AUDIT),
        }
    }

    /// A public identifier of this master key (16 bytes, HKDF label
    /// "confidant/v1/key-id"): a store can record it at init and compare it
    /// on open, to say "this key does not belong to this database" instead
    /// of failing later at the first unwrap. Reveals nothing about the key.
    pub fn key_id(&self) -> [u8; 16] {
        let sub = self.subkey(INFO_KEY_ID);
        let mut id = [0u8; 16];
        id.copy_from_slice(&sub[..16]);
        id
    }

    /// The 16-byte key-check value stored in key files: lets a wrong
    /// passphrase or a damaged key be told apart from a right one without
    /// revealing anything about the other subkeys.
    pub(crate) fn key_check_value(&self) -> [u8; 16] {
        let sub = self.subkey(INFO_KEY_CHECK);
        let mut kcv = [0u8; 16];
        kcv.copy_from_slice(&sub[..16]);
        kcv
    }

    pub(crate) fn kek_wrap_key(&self) -> Zeroizing<[u8; 32]> {
        self.subkey(INFO_KEK_WRAP)
    }

    /// The subkey for keyed link digests (case and note parties).
    pub fn link_key(&self) -> AuditKey {
        AuditKey {
            key: self.subkey(INFO_LINKS),
        }
    }

    /// The subkey for row MACs, per-client digests and the store manifest.
    pub fn record_mac_key(&self) -> AuditKey {
        AuditKey {
            key: self.subkey(INFO_RECORDS),
        }
    }

    /// The service key that seals each case's list of parties.
    pub fn case_parties_key(&self) -> DataKey {
        let sub = self.subkey(INFO_CASE_PARTIES);
        DataKey::from_bytes(*sub)
    }

    /// The service key that seals stored destruction certificates, as a
    /// [`DataKey`] for [`crate::seal`]/[`crate::open`].
    pub fn certificate_key(&self) -> DataKey {
        let sub = self.subkey(INFO_CERTIFICATES);
        DataKey::from_bytes(*sub)
    }

    pub(crate) fn wrapping_key(&self) -> Zeroizing<[u8; 32]> {
        self.subkey(INFO_KEY_WRAP)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// HKDF-SHA256(salt = "confidant.hkdf.v1", ikm = master key, info).
    fn subkey(&self, info: &[u8]) -> Zeroizing<[u8; 32]> {
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.key[..]);
        let mut okm = Zeroizing::new([0u8; 32]);
        if hk.expand(info, okm.as_mut()).is_err() {
            // HKDF-SHA256 can produce up to 8160 bytes; 32 is always valid.
            unreachable!("hkdf-sha256 expand of 32 bytes cannot fail");
        }
        okm
    }
}

/// A client's data key: 32 random bytes for AES-256-GCM. Stored only wrapped
/// under the master key; destroying the wrapped copy destroys the client's
/// data cryptographically.
#[derive(Clone)]
pub struct DataKey {
    key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub fn generate() -> DataKey {
        let mut key = Zeroizing::new([0u8; 32]);
        crate::rand::fill(key.as_mut());
        DataKey { key }
    }

    /// Wraps existing key bytes, e.g. for known-answer tests.
    pub fn from_bytes(bytes: [u8; 32]) -> DataKey {
        DataKey {
            key: Zeroizing::new(bytes),
        }
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.key
    }
}

/// HMAC-SHA256 key for audit checkpoints, derived from the master key.
#[derive(Clone)]
pub struct AuditKey {
    key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

impl AuditKey {
    /// Wraps existing key bytes, e.g. for known-answer tests.
    pub fn from_bytes(bytes: [u8; 32]) -> AuditKey {
        AuditKey {
            key: Zeroizing::new(bytes),
        }
    }

    /// HMAC-SHA256(audit key, message).
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.key.as_ref());
        let tag = hmac::sign(&key, message);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Constant-time check that `tag` is HMAC-SHA256(audit key, message).
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.key.as_ref());
        hmac::verify(&key, message, tag).is_ok()
    }
}
