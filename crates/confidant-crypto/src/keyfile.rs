//! The key file in the data directory.
//!
//! Format version 1 (all integers big-endian):
//!
//! ```text
//! magic "CONFKEY" (7) || version 0x01 (1) || kind (1) || body || checksum (8)
//!   kind 0x01 random key:  key (32) || key-check value (16)             => 65 bytes
//!   kind 0x02 passphrase:  m_kib u32 || t u32 || p u32 || salt_len u8 (16)
//!                          || salt (16) || key-check value (16)          => 62 bytes
//! checksum = SHA-256(everything before it)[..8]
//! ```
//!
//! Format version 2 (written by `init` since the key-wrapping keys became
//! rotatable; version 1 files keep opening and are upgraded to version 2 at
//! the first destruction):
//!
//! ```text
//! magic (7) || 0x02 || kind (1) || body (as version 1, without checksum)
//!   || n u8 (1..=8) || n * ( generation u32 || wrapped KEK (61) ) || checksum (8)
//! wrapped KEK = 0x01 || nonce (12) || AES-256-GCM(kek-wrap key, KEK) (32) || tag (16)
//!   kek-wrap key = HKDF(master, "confidant/v2/kek-wrap"),
//!   AAD = "confidant.kek.v2" || u32be(generation)
//! ```
//!
//! Each KEK (key-encryption key) is 32 random bytes that wraps the
//! per-client data keys. A passphrase store's KEKs are random too, wrapped by
//! the passphrase-derived master, so they can be rotated without changing
//! the passphrase. Destroying a client rotates to a new generation and
//! removes the old one from the file: see `docs/crypto-architecture.md`.
//!
//! The checksum tells a damaged file (`KeyFileCorrupt`) apart from a wrong
//! passphrase (`WrongPassphrase`: the header is intact but the derived key's
//! key-check value differs). The key-check value is the first 16 bytes of the
//! HKDF subkey "confidant/v1/key-check", which reveals nothing about the
//! other subkeys.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::keys::MasterKey;

pub const KEY_FILE_NAME: &str = "master.key";
const MAGIC: &[u8; 7] = b"CONFKEY";
const FORMAT_VERSION: u8 = 1;
const FORMAT_VERSION_2: u8 = 2;
/// At most this many KEK generations in one file (normally one; two while a
/// rotation is in flight).
pub(crate) const MAX_GENERATIONS: usize = 8;
const WRAPPED_KEK_LEN: usize = 1 + 12 + 32 + 16;
const GENERATION_LEN: usize = 4 + WRAPPED_KEK_LEN;
const KEK_DOMAIN: &[u8] = b"confidant.kek.v2";
const KIND_RANDOM: u8 = 1;
const KIND_PASSPHRASE: u8 = 2;
const SALT_LEN: usize = 16;
const CHECKSUM_LEN: usize = 8;
const RANDOM_LEN: usize = 7 + 1 + 1 + 32 + 16 + CHECKSUM_LEN;
const PASSPHRASE_LEN: usize = 7 + 1 + 1 + 12 + 1 + SALT_LEN + 16 + CHECKSUM_LEN;
/// Upper bounds on header parameters, so a damaged or hostile header (the
/// checksum is not keyed: anyone can write a consistent one) cannot make
/// `load` allocate gigabytes or spin for minutes. 1 GiB and t=16 are far
/// above anything `init` writes (64 MiB, t=3).
pub const MAX_M_KIB: u32 = 1024 * 1024;
pub const MAX_T: u32 = 16;
pub const MAX_P: u32 = 16;
/// Larger files are refused unread.
const MAX_FILE_LEN: u64 = 4096;

/// Argon2id cost parameters: memory in KiB, iterations, lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl KdfParams {
    /// OWASP's minimum for Argon2id (m=19 MiB, t=2, p=1), which the issue
    /// sets as the floor; `init` writes exactly these, `load` refuses less.
    pub const MINIMUM: KdfParams = KdfParams {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// What `init` writes for new stores: m=64 MiB, t=3, p=1 (above the
    /// OWASP floor). Stores made with the old floor keep opening.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };

    /// Cheap parameters for tests only (m=64 KiB, t=1). Never accepted by
    /// [`MasterKey::load`].
    pub const INSECURE_TEST: KdfParams = KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    fn at_least(&self, min: &KdfParams) -> bool {
        self.m_kib >= min.m_kib && self.t >= min.t
    }

    /// Within the bounds `load` accepts (and that `init` may write).
    pub fn within_bounds(&self) -> bool {
        self.m_kib <= MAX_M_KIB && self.t >= 1 && self.t <= MAX_T && self.p >= 1 && self.p <= MAX_P
    }
}

/// `data_dir/master.key`.
pub fn key_file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE_NAME)
}

pub(crate) fn derive(
    passphrase: &SecretString,
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let pass = passphrase.expose_secret();
    if pass.is_empty() {
        return Err(CryptoError::EmptyPassphrase);
    }
    let invalid = || CryptoError::InvalidKdfParams {
        m_kib: params.m_kib,
        t: params.t,
        p: params.p,
    };
    let argon_params =
        Params::new(params.m_kib, params.t, params.p, Some(32)).map_err(|_| invalid())?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(pass.as_bytes(), salt, out.as_mut())
        .map_err(|_| invalid())?;
    Ok(out)
}

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = Sha256::digest(bytes);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&digest[..CHECKSUM_LEN]);
    out
}

#[cfg(test)]
fn header(kind: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(RANDOM_LEN);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind);
    out
}

#[cfg(test)]
/// Serialises a random-key file (part of the pinned format).
pub(crate) fn encode_random(master: &MasterKey) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(header(KIND_RANDOM));
    out.extend_from_slice(master.bytes());
    out.extend_from_slice(&master.key_check_value());
    let sum = checksum(&out);
    out.extend_from_slice(&sum);
    out
}

#[cfg(test)]
/// Serialises a passphrase header (part of the pinned format).
pub(crate) fn encode_passphrase(
    params: KdfParams,
    salt: &[u8; SALT_LEN],
    master: &MasterKey,
) -> Vec<u8> {
    let mut out = header(KIND_PASSPHRASE);
    out.extend_from_slice(&params.m_kib.to_be_bytes());
    out.extend_from_slice(&params.t.to_be_bytes());
    out.extend_from_slice(&params.p.to_be_bytes());
    out.push(SALT_LEN as u8);
    out.extend_from_slice(salt);
    out.extend_from_slice(&master.key_check_value());
    let sum = checksum(&out);
    out.extend_from_slice(&sum);
    out
}

/// What the key file says about how the master key is obtained.
#[derive(Clone)]
pub(crate) enum Header {
    Random,
    Passphrase {
        params: KdfParams,
        salt: [u8; SALT_LEN],
    },
}

/// A parsed key file: the master key, how it is obtained, and the KEK
/// generations (none for a version 1 file).
pub(crate) struct Parsed {
    pub(crate) master: MasterKey,
    pub(crate) header: Header,
    pub(crate) keks: Vec<(u32, Box<Zeroizing<[u8; 32]>>)>,
}

/// How a key file is unlocked: with the passphrase (or none), or with a
/// master key already derived (no second Argon2id run).
pub(crate) enum Unlock<'a> {
    Passphrase(Option<&'a SecretString>),
    Master(&'a MasterKey),
}

pub(crate) fn init(
    data_dir: &Path,
    passphrase: Option<&SecretString>,
    params: KdfParams,
) -> Result<MasterKey, CryptoError> {
    let path = key_file_path(data_dir);
    let io_err = |source| CryptoError::KeyFileIo {
        path: path.clone(),
        source,
    };
    // Validate before creating anything: a refused init leaves no trace.
    if let Some(pass) = passphrase {
        if pass.expose_secret().is_empty() {
            return Err(CryptoError::EmptyPassphrase);
        }
    }
    if fs::symlink_metadata(&path).is_ok() {
        return Err(CryptoError::KeyFileExists { path });
    }
    let (master, header) = match passphrase {
        None => (MasterKey::generate(), Header::Random),
        Some(pass) => {
            let mut salt = [0u8; SALT_LEN];
            crate::rand::fill(&mut salt);
            let master = MasterKey::derive_from_passphrase(pass, &salt, params)?;
            (master, Header::Passphrase { params, salt })
        }
    };
    let mut kek = Box::new(Zeroizing::new([0u8; 32]));
    crate::rand::fill(&mut kek[..]);
    let bytes = encode_v2(&master, &header, &[(1, kek)]);
    create_private_dir(data_dir).map_err(io_err)?;
    write_new_file(data_dir, &path, &bytes)?;
    Ok(master)
}

/// The key that wraps KEKs in a version 2 file.
fn kek_wrap_key(master: &MasterKey) -> Zeroizing<[u8; 32]> {
    master.kek_wrap_key()
}

fn kek_aad(generation: u32) -> Vec<u8> {
    let mut aad = KEK_DOMAIN.to_vec();
    aad.extend_from_slice(&generation.to_be_bytes());
    aad
}

/// Serialises a version 2 file (part of the pinned format).
pub(crate) fn encode_v2(
    master: &MasterKey,
    header: &Header,
    keks: &[(u32, Box<Zeroizing<[u8; 32]>>)],
) -> Zeroizing<Vec<u8>> {
    let mut nonces = Vec::with_capacity(keks.len());
    for _ in keks {
        let mut n = [0u8; 12];
        crate::rand::fill(&mut n);
        nonces.push(n);
    }
    encode_v2_with_nonces(master, header, keks, &nonces)
}

pub(crate) fn encode_v2_with_nonces(
    master: &MasterKey,
    header: &Header,
    keks: &[(u32, Box<Zeroizing<[u8; 32]>>)],
    nonces: &[[u8; 12]],
) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(64 + keks.len() * GENERATION_LEN));
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION_2);
    match header {
        Header::Random => {
            out.push(KIND_RANDOM);
            out.extend_from_slice(master.bytes());
        }
        Header::Passphrase { params, salt } => {
            out.push(KIND_PASSPHRASE);
            out.extend_from_slice(&params.m_kib.to_be_bytes());
            out.extend_from_slice(&params.t.to_be_bytes());
            out.extend_from_slice(&params.p.to_be_bytes());
            out.push(SALT_LEN as u8);
            out.extend_from_slice(salt);
        }
    }
    out.extend_from_slice(&master.key_check_value());
    out.push(u8::try_from(keks.len()).unwrap_or(u8::MAX));
    let wrap = kek_wrap_key(master);
    for ((generation, kek), nonce) in keks.iter().zip(nonces) {
        out.extend_from_slice(&generation.to_be_bytes());
        out.extend_from_slice(&crate::aead::seal_raw(
            &wrap,
            1,
            &kek_aad(*generation),
            &kek[..],
            *nonce,
        ));
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum);
    out
}

/// Replaces the key file with `bytes`: a new temporary file (0600), fsync,
/// rename over the old one, fsync the directory. A crash leaves the old file
/// or the new one, never a mixture.
pub(crate) fn write_replace(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), CryptoError> {
    let tmp = temp_path(dir);
    let io_err = |source| CryptoError::KeyFileIo {
        path: path.to_path_buf(),
        source,
    };
    let written = (|| {
        let mut file = open_private_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    sync_dir(dir).map_err(io_err)
}

fn temp_path(dir: &Path) -> PathBuf {
    let mut suffix = [0u8; 8];
    crate::rand::fill(&mut suffix);
    let tmp_name: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!(".{KEY_FILE_NAME}.{tmp_name}.tmp"))
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn open_private_new(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private_new(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Writes `bytes` to a new temporary file (created exclusively with mode
/// 0600), fsyncs it, links it into place without ever replacing an existing
/// file, and fsyncs the directory: after a crash there is either no key file
/// or a complete one.
pub(crate) fn write_new_file(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), CryptoError> {
    let tmp = temp_path(dir);
    let io_err = |source| CryptoError::KeyFileIo {
        path: path.to_path_buf(),
        source,
    };

    let written = (|| {
        let mut file = open_private_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    // A hard link never replaces an existing file, unlike rename, so two
    // concurrent `init`s cannot overwrite each other's key.
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            return Err(CryptoError::KeyFileExists {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(io_err(e)),
    }
    sync_dir(dir).map_err(io_err)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

pub(crate) fn load(
    data_dir: &Path,
    passphrase: Option<&SecretString>,
    min: KdfParams,
) -> Result<MasterKey, CryptoError> {
    Ok(load_full(data_dir, Unlock::Passphrase(passphrase), min)?.master)
}

pub(crate) fn load_full(
    data_dir: &Path,
    unlock: Unlock<'_>,
    min: KdfParams,
) -> Result<Parsed, CryptoError> {
    check_private_dir(data_dir)?;
    let path = key_file_path(data_dir);
    let bytes = read_private_file(&path, MAX_FILE_LEN)?;
    parse_full(&path, &bytes, unlock, min)
}

/// Refuses a data directory that group or others can write: they could
/// swap the key file or the database.
#[cfg(unix)]
pub(crate) fn check_private_dir(dir: &Path) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt;
    match fs::metadata(dir) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o022 != 0 {
                return Err(CryptoError::DataDirPermissions {
                    path: dir.to_path_buf(),
                    mode: mode & 0o777,
                });
            }
            Ok(())
        }
        Err(_) => Ok(()),
    }
}

#[cfg(not(unix))]
pub(crate) fn check_private_dir(_dir: &Path) -> Result<(), CryptoError> {
    Ok(())
}

/// Reads a key file: refuses a symlink (someone could point it elsewhere),
/// anything but a regular file, group/other permissions, and files longer
/// than `max_len`.
pub(crate) fn read_private_file(
    path: &Path,
    max_len: u64,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let io_err = |source| CryptoError::KeyFileIo {
        path: path.to_path_buf(),
        source,
    };
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(CryptoError::KeyFileMissing {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(io_err(e)),
    };
    if meta.file_type().is_symlink() {
        return Err(CryptoError::KeyFileSymlink {
            path: path.to_path_buf(),
        });
    }
    if !meta.is_file() {
        return Err(CryptoError::KeyFileCorrupt {
            path: path.to_path_buf(),
            reason: "not a regular file",
        });
    }
    check_permissions(path, &meta)?;
    if meta.len() > max_len {
        return Err(CryptoError::KeyFileCorrupt {
            path: path.to_path_buf(),
            reason: "too large",
        });
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(RANDOM_LEN));
    open_no_follow(path)
        .and_then(|f| f.take(max_len + 1).read_to_end(&mut bytes))
        .map_err(io_err)?;
    Ok(bytes)
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NOFOLLOW: a symlink swapped in after the check is refused too.
    OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &fs::Metadata) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CryptoError::KeyFilePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path, _meta: &fs::Metadata) -> Result<(), CryptoError> {
    Ok(())
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_be_bytes(b)
}

#[cfg(test)]
/// Parses and checks key-file bytes. Split from `load` so known-answer tests
/// can pin the format without touching the file system.
pub(crate) fn parse(
    path: &Path,
    bytes: &[u8],
    passphrase: Option<&SecretString>,
    min: KdfParams,
) -> Result<MasterKey, CryptoError> {
    parse_full(path, bytes, Unlock::Passphrase(passphrase), min).map(|p| p.master)
}

pub(crate) fn parse_full(
    path: &Path,
    bytes: &[u8],
    unlock: Unlock<'_>,
    min: KdfParams,
) -> Result<Parsed, CryptoError> {
    let corrupt = |reason| CryptoError::KeyFileCorrupt {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() < MAGIC.len() + 2 + CHECKSUM_LEN || &bytes[..MAGIC.len()] != MAGIC {
        return Err(corrupt("not a confidant key file"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if !bool::from(checksum(body)[..].ct_eq(sum)) {
        return Err(corrupt("checksum mismatch"));
    }
    let version = bytes[7];
    if version != FORMAT_VERSION && version != FORMAT_VERSION_2 {
        return Err(corrupt("unsupported format version"));
    }
    // Version 1 lengths include the checksum; the header part is the same
    // in version 2, followed by the KEK generations.
    let header_len = match bytes[8] {
        KIND_RANDOM => RANDOM_LEN - CHECKSUM_LEN,
        KIND_PASSPHRASE => PASSPHRASE_LEN - CHECKSUM_LEN,
        _ => return Err(corrupt("unknown key kind")),
    };
    if body.len() < header_len {
        return Err(corrupt("wrong length"));
    }
    let tail = &body[header_len..];
    if version == FORMAT_VERSION && !tail.is_empty() {
        return Err(corrupt("wrong length"));
    }
    if version == FORMAT_VERSION_2 {
        let n = tail.first().map_or(0, |n| usize::from(*n));
        if n == 0 || n > MAX_GENERATIONS || tail.len() != 1 + n * GENERATION_LEN {
            return Err(corrupt("wrong length"));
        }
    }
    let (master, header) = match bytes[8] {
        KIND_RANDOM => {
            if let Unlock::Passphrase(Some(_)) = unlock {
                return Err(CryptoError::PassphraseNotUsed {
                    path: path.to_path_buf(),
                });
            }
            let mut key = [0u8; 32];
            key.copy_from_slice(&bytes[9..41]);
            let master = MasterKey::from_bytes(key);
            zeroize::Zeroize::zeroize(&mut key);
            if !bool::from(master.key_check_value()[..].ct_eq(&bytes[41..57])) {
                return Err(corrupt("key-check value mismatch"));
            }
            if let Unlock::Master(given) = unlock {
                if !bool::from(given.bytes()[..].ct_eq(&master.bytes()[..])) {
                    return Err(CryptoError::KeyFileMismatch {
                        path: path.to_path_buf(),
                    });
                }
            }
            (master, Header::Random)
        }
        _ => {
            if usize::from(bytes[21]) != SALT_LEN {
                return Err(corrupt("wrong length"));
            }
            let params = KdfParams {
                m_kib: u32_at(bytes, 9),
                t: u32_at(bytes, 13),
                p: u32_at(bytes, 17),
            };
            if !params.within_bounds() {
                return Err(CryptoError::KdfParamsOutOfBounds {
                    path: path.to_path_buf(),
                    m_kib: params.m_kib,
                    t: params.t,
                    p: params.p,
                });
            }
            let mut salt = [0u8; SALT_LEN];
            salt.copy_from_slice(&bytes[22..22 + SALT_LEN]);
            let kcv = &bytes[22 + SALT_LEN..22 + SALT_LEN + 16];
            let master = match unlock {
                Unlock::Master(given) => {
                    if !bool::from(given.key_check_value()[..].ct_eq(kcv)) {
                        return Err(CryptoError::KeyFileMismatch {
                            path: path.to_path_buf(),
                        });
                    }
                    given.clone()
                }
                Unlock::Passphrase(passphrase) => {
                    if !params.at_least(&min) {
                        return Err(CryptoError::KeyFileWeakParams {
                            path: path.to_path_buf(),
                            m_kib: params.m_kib,
                            t: params.t,
                            p: params.p,
                            min_m_kib: min.m_kib,
                            min_t: min.t,
                        });
                    }
                    let Some(pass) = passphrase else {
                        return Err(CryptoError::PassphraseRequired {
                            path: path.to_path_buf(),
                        });
                    };
                    let master = MasterKey::derive_from_passphrase(pass, &salt, params)?;
                    if !bool::from(master.key_check_value()[..].ct_eq(kcv)) {
                        return Err(CryptoError::WrongPassphrase);
                    }
                    master
                }
            };
            (master, Header::Passphrase { params, salt })
        }
    };
    let mut keks = Vec::new();
    if version == FORMAT_VERSION_2 {
        let wrap = kek_wrap_key(&master);
        for g in tail[1..].chunks_exact(GENERATION_LEN) {
            let generation = u32_at(g, 0);
            if generation == 0 || keks.iter().any(|(seen, _)| *seen >= generation) {
                return Err(corrupt("key generations out of order"));
            }
            let plain = crate::aead::open_raw(&wrap, 1, &kek_aad(generation), &g[4..])
                .map_err(|_| corrupt("a key-encryption key does not open"))?;
            if plain.len() != 32 {
                return Err(corrupt("a key-encryption key does not open"));
            }
            let mut kek = Box::new(Zeroizing::new([0u8; 32]));
            kek.copy_from_slice(&plain);
            keks.push((generation, kek));
        }
    }
    Ok(Parsed {
        master,
        header,
        keks,
    })
}
