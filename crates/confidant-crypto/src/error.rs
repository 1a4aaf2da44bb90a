use std::path::PathBuf;

/// Everything that can go wrong with keys and ciphertexts. Messages name the
/// problem and what the user can do; they never contain key bytes, plaintext
/// or identifiers (paths are the operator's own data directory).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    #[error(
        "no key file at {}: run `confidant init` first, or point --data at the store's data directory",
        path.display()
    )]
    KeyFileMissing { path: PathBuf },

    #[error("a key file already exists at {}: refusing to overwrite it", path.display())]
    KeyFileExists { path: PathBuf },

    #[error("the key file at {} is corrupt ({reason}): restore it from a backup", path.display())]
    KeyFileCorrupt { path: PathBuf, reason: &'static str },

    #[error(
        "the key file at {} can be read or written by other users (mode {mode:o}): run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    KeyFilePermissions { path: PathBuf, mode: u32 },

    #[error(
        "the key file at {} asks for Argon2id parameters (m={m_kib} KiB, t={t}, p={p}) weaker than the minimum (m={min_m_kib} KiB, t={min_t}): it was not made by `confidant init`",
        path.display()
    )]
    KeyFileWeakParams {
        path: PathBuf,
        m_kib: u32,
        t: u32,
        p: u32,
        min_m_kib: u32,
        min_t: u32,
    },

    #[error("cannot access the key file at {}: {source}", path.display())]
    KeyFileIo {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("wrong passphrase: $CONFIDANT_PASSPHRASE does not unlock this store's master key")]
    WrongPassphrase,

    #[error(
        "the master key at {} is protected by a passphrase: set $CONFIDANT_PASSPHRASE",
        path.display()
    )]
    PassphraseRequired { path: PathBuf },

    #[error(
        "the store at {} uses a random key file, not a passphrase: unset $CONFIDANT_PASSPHRASE",
        path.display()
    )]
    PassphraseNotUsed { path: PathBuf },

    #[error("the passphrase is empty: set $CONFIDANT_PASSPHRASE to a non-empty passphrase")]
    EmptyPassphrase,

    #[error("invalid Argon2id parameters (m={m_kib} KiB, t={t}, p={p})")]
    InvalidKdfParams { m_kib: u32, t: u32, p: u32 },

    #[error(
        "decryption failed: the data was altered, moved to another record, or sealed under another key"
    )]
    Decrypt,

    #[error(
        "cannot unwrap the client's data key: it was altered, belongs to another client, or the master key is wrong"
    )]
    UnwrapFailed,

    #[error("unsupported ciphertext format version {version}: this build reads version 1")]
    UnsupportedVersion { version: u8 },

    #[error("the decrypted value is not valid UTF-8 text: it was sealed from binary data")]
    NotUtf8,

    #[error("malformed ciphertext: {len} bytes is too short to be sealed data")]
    Malformed { len: usize },

    #[error(
        "the data directory {} can be written by group or others (mode {mode:o}): run `chmod 700 {}`",
        path.display(),
        path.display()
    )]
    DataDirPermissions { path: PathBuf, mode: u32 },

    #[error("the key file at {} is a symbolic link: refusing to follow it; put the real file there", path.display())]
    KeyFileSymlink { path: PathBuf },

    #[error("the key file at {} does not belong to the master key in use (another store's key file?)", path.display())]
    KeyFileMismatch { path: PathBuf },

    #[error(
        "the key file at {} asks for Argon2id parameters outside sane bounds (m={m_kib} KiB, t={t}, p={p}; at most m=1048576 KiB, t=16, p=16): it was not made by `confidant init`",
        path.display()
    )]
    KdfParamsOutOfBounds {
        path: PathBuf,
        m_kib: u32,
        t: u32,
        p: u32,
    },

    #[error(
        "this data key is wrapped under key generation {generation}, which the key file does not hold: it was erased by a destruction, or the key file is older than the database"
    )]
    UnknownKeyGeneration { generation: u32 },

    #[error("the passphrase is too weak: {reason}")]
    WeakPassphrase { reason: &'static str },

    #[error("cannot lock the key file directory {}: {source}", path.display())]
    KeyFileLock {
        path: PathBuf,
        source: std::io::Error,
    },
}
