//! AES-256-GCM sealing of field values and wrapping of data keys.
//!
//! Sealed value format, version 1 (`SEAL_VERSION`):
//! `0x01 || nonce (12 random bytes) || ciphertext || tag (16 bytes)`.
//! Associated data (not stored, rebuilt from where the value lives):
//! `"confidant.seal.v1" || lp(table) || lp(column) || lp(row_id) || lp(client_id)`
//! where `lp(s) = u64be(len(s)) || s`.
//!
//! Wrapped data key format, version 1 (`WRAP_VERSION`), 61 bytes:
//! `0x01 || nonce (12) || AES-256-GCM(key-wrapping key, data key) (32) || tag (16)`
//! with associated data `"confidant.wrap.v1" || lp(client_id)`.

use ring::aead::{AES_256_GCM, Aad as RingAad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::keys::{DataKey, MasterKey};

pub const SEAL_VERSION: u8 = 1;
pub const WRAP_VERSION: u8 = 1;
const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext: version, nonce and tag.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
/// Length of a wrapped data key.
pub const WRAPPED_KEY_LEN: usize = SEAL_OVERHEAD + 32;

const SEAL_DOMAIN: &[u8] = b"confidant.seal.v1";
const WRAP_DOMAIN: &[u8] = b"confidant.wrap.v1";

/// Where a sealed value lives. It is authenticated with the ciphertext, so a
/// ciphertext copied to another table, column, row or client fails to open.
#[derive(Clone, Copy)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row_id: &'a str,
    pub client_id: &'a str,
}

impl std::fmt::Debug for Aad<'_> {
    // Ids only: these are record identifiers, never content.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aad")
            .field("table", &self.table)
            .field("column", &self.column)
            .field("row_id", &self.row_id)
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl Aad<'_> {
    /// The associated-data bytes (part of the stored format).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            SEAL_DOMAIN.len()
                + 32
                + self.table.len()
                + self.column.len()
                + self.row_id.len()
                + self.client_id.len(),
        );
        out.extend_from_slice(SEAL_DOMAIN);
        for part in [self.table, self.column, self.row_id, self.client_id] {
            push_lp(&mut out, part.as_bytes());
        }
        out
    }
}

fn push_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn aes_key(bytes: &[u8; 32]) -> LessSafeKey {
    match UnboundKey::new(&AES_256_GCM, bytes) {
        Ok(key) => LessSafeKey::new(key),
        // ring rejects only a key of the wrong length; ours is 32 bytes by type.
        Err(_) => unreachable!("a 32-byte key is always a valid AES-256 key"),
    }
}

fn seal_with(key: &[u8; 32], version: u8, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    crate::rand::fill(&mut nonce);
    seal_with_nonce(key, version, aad, plaintext, nonce)
}

/// Deterministic core of sealing; the nonce must never repeat under a key
/// (callers outside known-answer tests use a random one).
pub(crate) fn seal_with_nonce(
    key: &[u8; 32],
    version: u8,
    aad: &[u8],
    plaintext: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Vec<u8> {
    let key = aes_key(key);
    let mut out = Vec::with_capacity(SEAL_OVERHEAD + plaintext.len());
    out.push(version);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let body = &mut out[1 + NONCE_LEN..];
    let tag = match key.seal_in_place_separate_tag(
        Nonce::assume_unique_for_key(nonce),
        RingAad::from(aad),
        body,
    ) {
        Ok(tag) => tag,
        // Only fails for inputs over about 64 GiB, which cannot be in memory here.
        Err(_) => panic!("plaintext too large for AES-256-GCM"),
    };
    out.extend_from_slice(tag.as_ref());
    out
}

/// Returns the plaintext, or `None` when authentication fails.
fn open_with(
    key: &[u8; 32],
    version: u8,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, CryptoError> {
    if sealed.len() < SEAL_OVERHEAD {
        return Err(CryptoError::Malformed { len: sealed.len() });
    }
    if sealed[0] != version {
        return Err(CryptoError::UnsupportedVersion { version: sealed[0] });
    }
    let key = aes_key(key);
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&sealed[1..1 + NONCE_LEN]);
    let mut buf = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
    let len = match key.open_in_place(
        Nonce::assume_unique_for_key(nonce),
        RingAad::from(aad),
        &mut buf,
    ) {
        Ok(plain) => plain.len(),
        Err(_) => return Ok(None),
    };
    buf.truncate(len);
    Ok(Some(buf))
}

/// Seal `plaintext` under the client's data key, bound to where it is stored.
/// A fresh random 96-bit nonce per call.
pub fn seal(key: &DataKey, aad: &Aad, plaintext: &[u8]) -> Vec<u8> {
    seal_with(key.bytes(), SEAL_VERSION, &aad.encode(), plaintext)
}

/// Open a value sealed by [`seal`] with the same key and [`Aad`].
/// [`CryptoError::Decrypt`] when it was altered, moved, or sealed under
/// another key.
pub fn open(key: &DataKey, aad: &Aad, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    open_with(key.bytes(), SEAL_VERSION, &aad.encode(), sealed)?.ok_or(CryptoError::Decrypt)
}

/// [`open`] for values sealed from UTF-8 text: the plaintext as a string
/// that is wiped on drop. [`CryptoError::NotUtf8`] if it is not UTF-8.
pub fn open_string(
    key: &DataKey,
    aad: &Aad,
    sealed: &[u8],
) -> Result<Zeroizing<String>, CryptoError> {
    let mut plain = open(key, aad, sealed)?;
    match String::from_utf8(std::mem::take(&mut *plain)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            Err(CryptoError::NotUtf8)
        }
    }
}

/// AES-256-GCM under raw key bytes with an explicit nonce (key files).
pub(crate) fn seal_raw(
    key: &[u8; 32],
    version: u8,
    aad: &[u8],
    plaintext: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Vec<u8> {
    seal_with_nonce(key, version, aad, plaintext, nonce)
}

/// Opens what [`seal_raw`] made; [`CryptoError::Decrypt`] on failure.
pub(crate) fn open_raw(
    key: &[u8; 32],
    version: u8,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    open_with(key, version, aad, sealed)?.ok_or(CryptoError::Decrypt)
}

/// Wrapped data key format, version 2 (65 bytes): under a key-encryption key
/// (KEK) of the key file, which names its generation:
/// `0x02 || u32be(generation) || nonce (12) || AES-256-GCM(KEK, data key) (32) || tag (16)`,
/// AAD `"confidant.wrap.v2" || u32be(generation) || lp(owner id)`.
pub const WRAP_VERSION_2: u8 = 2;
/// Length of a version 2 wrapped data key.
pub const WRAPPED_KEY_V2_LEN: usize = 1 + 4 + NONCE_LEN + 32 + TAG_LEN;
const WRAP_DOMAIN_2: &[u8] = b"confidant.wrap.v2";

pub(crate) fn wrap_aad_v2(generation: u32, owner_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(WRAP_DOMAIN_2.len() + 12 + owner_id.len());
    aad.extend_from_slice(WRAP_DOMAIN_2);
    aad.extend_from_slice(&generation.to_be_bytes());
    push_lp(&mut aad, owner_id.as_bytes());
    aad
}

pub(crate) fn wrap_v2_with_nonce(
    kek: &[u8; 32],
    generation: u32,
    owner_id: &str,
    key: &DataKey,
    nonce: [u8; NONCE_LEN],
) -> Vec<u8> {
    let inner = seal_with_nonce(
        kek,
        WRAP_VERSION_2,
        &wrap_aad_v2(generation, owner_id),
        key.bytes(),
        nonce,
    );
    let mut out = Vec::with_capacity(WRAPPED_KEY_V2_LEN);
    out.push(WRAP_VERSION_2);
    out.extend_from_slice(&generation.to_be_bytes());
    out.extend_from_slice(&inner[1..]);
    out
}

/// The KEK generation a version 2 wrapped key names (`Some(0)` for a
/// version 1 key, which is wrapped under the master key's subkey).
pub fn wrapped_key_generation(wrapped: &[u8]) -> Option<u32> {
    match wrapped.first() {
        Some(&WRAP_VERSION) if wrapped.len() == WRAPPED_KEY_LEN => Some(0),
        Some(&WRAP_VERSION_2) if wrapped.len() == WRAPPED_KEY_V2_LEN => {
            let mut g = [0u8; 4];
            g.copy_from_slice(&wrapped[1..5]);
            Some(u32::from_be_bytes(g))
        }
        _ => None,
    }
}

pub(crate) fn unwrap_v2(
    kek: &[u8; 32],
    owner_id: &str,
    wrapped: &[u8],
) -> Result<DataKey, CryptoError> {
    let Some(generation) = wrapped_key_generation(wrapped).filter(|g| *g != 0) else {
        return Err(CryptoError::Malformed { len: wrapped.len() });
    };
    let mut inner = Vec::with_capacity(WRAPPED_KEY_LEN);
    inner.push(WRAP_VERSION_2);
    inner.extend_from_slice(&wrapped[5..]);
    let plain = open_with(
        kek,
        WRAP_VERSION_2,
        &wrap_aad_v2(generation, owner_id),
        &inner,
    )?
    .ok_or(CryptoError::UnwrapFailed)?;
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&plain);
    let key = DataKey::from_bytes(bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    Ok(key)
}

pub(crate) fn wrap_aad(client_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(WRAP_DOMAIN.len() + 8 + client_id.len());
    aad.extend_from_slice(WRAP_DOMAIN);
    push_lp(&mut aad, client_id.as_bytes());
    aad
}

/// Wrap a client's data key under the master key's key-wrapping subkey; the
/// client id is authenticated so the wrapped key cannot be moved to another
/// client. Output: [`WRAPPED_KEY_LEN`] bytes.
pub fn wrap_data_key(master: &MasterKey, client_id: &str, key: &DataKey) -> Vec<u8> {
    seal_with(
        &master.wrapping_key(),
        WRAP_VERSION,
        &wrap_aad(client_id),
        key.bytes(),
    )
}

/// Unwrap a key made by [`wrap_data_key`] for the same client.
pub fn unwrap_data_key(
    master: &MasterKey,
    client_id: &str,
    wrapped: &[u8],
) -> Result<DataKey, CryptoError> {
    if wrapped.len() != WRAPPED_KEY_LEN {
        if wrapped.first().is_some_and(|v| *v != WRAP_VERSION) {
            return Err(CryptoError::UnsupportedVersion {
                version: wrapped[0],
            });
        }
        return Err(CryptoError::Malformed { len: wrapped.len() });
    }
    let plain = open_with(
        &master.wrapping_key(),
        WRAP_VERSION,
        &wrap_aad(client_id),
        wrapped,
    )?
    .ok_or(CryptoError::UnwrapFailed)?;
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&plain);
    let key = DataKey::from_bytes(bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    Ok(key)
}
