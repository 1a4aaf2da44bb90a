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
const KIND_RANDOM: u8 = 1;
const KIND_PASSPHRASE: u8 = 2;
const SALT_LEN: usize = 16;
const CHECKSUM_LEN: usize = 8;
const RANDOM_LEN: usize = 7 + 1 + 1 + 32 + 16 + CHECKSUM_LEN;
const PASSPHRASE_LEN: usize = 7 + 1 + 1 + 12 + 1 + SALT_LEN + 16 + CHECKSUM_LEN;
/// Upper bounds on header parameters, so a damaged or hostile header cannot
/// make `load` allocate gigabytes or spin for hours.
const MAX_M_KIB: u32 = 4 * 1024 * 1024;
const MAX_T: u32 = 64;
const MAX_P: u32 = 64;
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

fn header(kind: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(RANDOM_LEN);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind);
    out
}

/// Serialises a random-key file (part of the pinned format).
pub(crate) fn encode_random(master: &MasterKey) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(header(KIND_RANDOM));
    out.extend_from_slice(master.bytes());
    out.extend_from_slice(&master.key_check_value());
    let sum = checksum(&out);
    out.extend_from_slice(&sum);
    out
}

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
    create_private_dir(data_dir).map_err(io_err)?;
    if fs::symlink_metadata(&path).is_ok() {
        return Err(CryptoError::KeyFileExists { path });
    }
    let (master, bytes) = match passphrase {
        None => {
            let master = MasterKey::generate();
            let bytes = encode_random(&master);
            (master, bytes)
        }
        Some(pass) => {
            let mut salt = [0u8; SALT_LEN];
            crate::rand::fill(&mut salt);
            let master = MasterKey::derive_from_passphrase(pass, &salt, params)?;
            let bytes = Zeroizing::new(encode_passphrase(params, &salt, &master));
            (master, bytes)
        }
    };
    write_new_atomically(data_dir, &path, &bytes)?;
    Ok(master)
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
fn write_new_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), CryptoError> {
    let mut suffix = [0u8; 8];
    crate::rand::fill(&mut suffix);
    let tmp_name: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!(".{KEY_FILE_NAME}.{tmp_name}.tmp"));
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
    let path = key_file_path(data_dir);
    let bytes = read_key_file(&path)?;
    parse(&path, &bytes, passphrase, min)
}

fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let io_err = |source| CryptoError::KeyFileIo {
        path: path.to_path_buf(),
        source,
    };
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(CryptoError::KeyFileMissing {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(io_err(e)),
    };
    if !meta.is_file() {
        return Err(CryptoError::KeyFileCorrupt {
            path: path.to_path_buf(),
            reason: "not a regular file",
        });
    }
    check_permissions(path, &meta)?;
    if meta.len() > MAX_FILE_LEN {
        return Err(CryptoError::KeyFileCorrupt {
            path: path.to_path_buf(),
            reason: "too large",
        });
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(RANDOM_LEN));
    File::open(path)
        .and_then(|f| f.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes))
        .map_err(io_err)?;
    Ok(bytes)
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

/// Parses and checks key-file bytes. Split from `load` so known-answer tests
/// can pin the format without touching the file system.
pub(crate) fn parse(
    path: &Path,
    bytes: &[u8],
    passphrase: Option<&SecretString>,
    min: KdfParams,
) -> Result<MasterKey, CryptoError> {
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
    if bytes[7] != FORMAT_VERSION {
        return Err(corrupt("unsupported format version"));
    }
    match bytes[8] {
        KIND_RANDOM => {
            if bytes.len() != RANDOM_LEN {
                return Err(corrupt("wrong length"));
            }
            if passphrase.is_some() {
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
            Ok(master)
        }
        KIND_PASSPHRASE => {
            if bytes.len() != PASSPHRASE_LEN || usize::from(bytes[21]) != SALT_LEN {
                return Err(corrupt("wrong length"));
            }
            let params = KdfParams {
                m_kib: u32_at(bytes, 9),
                t: u32_at(bytes, 13),
                p: u32_at(bytes, 17),
            };
            if params.m_kib > MAX_M_KIB || params.t > MAX_T || params.p == 0 || params.p > MAX_P {
                return Err(corrupt("implausible Argon2id parameters"));
            }
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
            let salt = &bytes[22..22 + SALT_LEN];
            let kcv = &bytes[22 + SALT_LEN..22 + SALT_LEN + 16];
            let master = MasterKey::derive_from_passphrase(pass, salt, params)?;
            if !bool::from(master.key_check_value()[..].ct_eq(kcv)) {
                return Err(CryptoError::WrongPassphrase);
            }
            Ok(master)
        }
        _ => Err(corrupt("unknown key kind")),
    }
}
