//! Anchoring the audit log: the Ed25519-signed checkpoint, checks against
//! a trusted public key and a head published earlier, and witnesses that
//! keep heads outside the database.

use crate::error::{Result, StoreError};
use crate::keys::Keys;
use confidant_audit::{AuditKey, Checkpoint, SignedHead, Verifier, VerifyError};
use confidant_crypto::AuditVerifyingKey;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The checkpoint as stored: the HMAC checkpoint and the Ed25519 signature
/// (absent only in a store from before signing began).
pub(crate) type StoredCheckpoint = (Checkpoint, Option<Vec<u8>>);

/// What a verification checks beyond the chain and the HMAC checkpoint.
#[derive(Debug, Clone, Default)]
pub struct VerifyPlan {
    /// The key the checkpoint must be signed with (None: a legacy store
    /// with no signing key recorded; only the chain and HMAC are checked).
    pub(crate) trusted: Option<AuditVerifyingKey>,
    /// A head published earlier that the log must extend.
    pub(crate) anchor: Option<(u64, [u8; 32])>,
}

impl VerifyPlan {
    pub(crate) fn anchored(&self, verifier: Verifier) -> Verifier {
        match self.anchor {
            Some((count, hash)) => verifier.with_anchor(count, hash),
            None => verifier,
        }
    }

    pub(crate) fn verifier(&self, key: &AuditKey) -> Verifier {
        self.anchored(Verifier::new(key))
    }

    /// Ends the stream: the chain and HMAC checkpoint, then the published
    /// head, then the Ed25519 signature under the trusted key.
    pub(crate) fn finish(
        &self,
        verifier: Verifier,
        checkpoint: Option<&StoredCheckpoint>,
    ) -> std::result::Result<VerifiedLog, VerifyError> {
        let count = verifier.finish(checkpoint.map(|(cp, _)| cp))?;
        let Some((cp, sig)) = checkpoint else {
            return Err(VerifyError::CheckpointMissing);
        };
        let signature = sig
            .as_deref()
            .map(|s| <[u8; 64]>::try_from(s).map_err(|_| VerifyError::CheckpointSignatureInvalid))
            .transpose()?;
        if let Some(trusted) = self.trusted {
            let Some(signature) = signature else {
                return Err(VerifyError::CheckpointUnsigned);
            };
            let head = SignedHead {
                count: cp.count,
                head_hash: cp.head_hash,
                public_key: trusted,
                signature,
            };
            if !head.verify() {
                return Err(VerifyError::CheckpointSignatureInvalid);
            }
        }
        Ok(VerifiedLog {
            count,
            head_hash: cp.head_hash,
            signature: if self.trusted.is_some() {
                signature
            } else {
                None
            },
        })
    }
}

/// An intact log: its length, last hash, and (for a signed store) the
/// checkpoint's signature under the trusted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLog {
    pub count: u64,
    pub head_hash: [u8; 32],
    pub signature: Option<[u8; 64]>,
}

/// What `audit verify` reports for an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub count: u64,
    pub head_hash: [u8; 32],
    /// The signed head (None: a legacy store that has no signing key yet).
    pub signed: Option<SignedHead>,
    /// Where the trusted public key came from.
    pub key_source: KeySource,
}

/// Where the public key a verification trusted came from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// Given by the caller (`--public-key`).
    Pinned,
    /// The public half of the signing key this process holds.
    SigningKey,
    /// The key named by the published head given with `--since`.
    PublishedHead,
    /// Only the database's own record: proves nothing against someone who
    /// can write the database and re-sign with a key of their own.
    Database,
    /// No key at all (a legacy store).
    None,
}

impl KeySource {
    pub fn describe(self) -> &'static str {
        match self {
            KeySource::Pinned => "the pinned public key",
            KeySource::SigningKey => "the audit signing key",
            KeySource::PublishedHead => "the published head's key",
            KeySource::Database => {
                "the key recorded in the database (pin it with --public-key to detect a replaced key)"
            }
            KeySource::None => "none: this store has no audit signing key yet",
        }
    }
}

/// Checks the Ed25519 signature of the checkpoint a writer is about to
/// extend: new entries signed over a forged checkpoint would launder it.
pub(crate) fn check_signed_checkpoint(
    checkpoint: &Checkpoint,
    sig: Option<Vec<u8>>,
    keys: &Keys,
) -> Result<()> {
    let Some(public_key) = keys.verifying_key() else {
        // No recorded public key. With the signing key beside the store,
        // the record was deleted (tampering, never an upgrade); without
        // it, this process cannot sign, and an unsigned write is never
        // committed (a store from before signing is upgraded on open).
        return Err(match &keys.signer {
            Some(_) => StoreError::AuditKeyRecordMissing,
            None => StoreError::AuditSigningKeyMissing(keys.signer_path.display().to_string()),
        });
    };
    let Some(signer) = &keys.signer else {
        return Err(StoreError::AuditSigningKeyMissing(
            keys.signer_path.display().to_string(),
        ));
    };
    if signer.verifying_key() != public_key {
        return Err(StoreError::AuditSigningKeyMismatch);
    }
    let signature = sig
        .and_then(|s| <[u8; 64]>::try_from(s).ok())
        .ok_or(StoreError::AuditCheckpointInvalid)?;
    let head = SignedHead {
        count: checkpoint.count,
        head_hash: checkpoint.head_hash,
        public_key,
        signature,
    };
    if !head.verify() {
        return Err(StoreError::AuditCheckpointInvalid);
    }
    Ok(())
}

/// Somewhere outside the database that keeps each new signed head, so a
/// rollback of the database can be shown against it. The store calls
/// `publish` after each committed change with the newest head; a
/// publishing failure never undoes the change (it is reported instead).
/// Implement it for an HTTP endpoint, a transparency log, etc.
pub trait HeadWitness: Send + Sync + std::fmt::Debug {
    fn publish(&self, head: &SignedHead) -> std::io::Result<()>;

    /// The newest head this witness holds (None: none yet, or a witness
    /// that cannot be read back). Before each operation and before
    /// publishing, the store checks that its log extends this head, and
    /// refuses (writing nothing, publishing nothing) when it does not.
    fn last_head(&self) -> std::io::Result<Option<SignedHead>> {
        Ok(None)
    }
}

/// Appends each head as one line to a file (ideally on another volume or
/// host), fsynced: the newest line is what `audit verify --since FILE`
/// checks against.
#[derive(Debug, Clone)]
pub struct FileWitness {
    path: PathBuf,
}

impl FileWitness {
    pub fn new(path: impl Into<PathBuf>) -> FileWitness {
        FileWitness { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl FileWitness {
    /// Refuses a path that is a symbolic link, or an existing file that is
    /// not a witness file (its first line is not a signed head): appending
    /// to the wrong file (a key file, say) would destroy it.
    fn check_target(&self) -> std::io::Result<()> {
        let refuse = |why: &str| {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the audit witness path {why}; give a plain file of its own"),
            ))
        };
        match std::fs::symlink_metadata(&self.path) {
            Ok(meta) if meta.file_type().is_symlink() => refuse("is a symbolic link"),
            Ok(meta) if !meta.is_file() => refuse("is not a regular file"),
            Ok(meta) if meta.len() > 0 => {
                use std::io::Read;
                let mut start = [0u8; 64];
                let n = std::fs::File::open(&self.path)?.read(&mut start)?;
                if String::from_utf8_lossy(&start[..n]).starts_with("confidant-audit-head") {
                    Ok(())
                } else {
                    refuse("holds something other than published audit heads")
                }
            }
            _ => Ok(()),
        }
    }
}

impl HeadWitness for FileWitness {
    fn publish(&self, head: &SignedHead) -> std::io::Result<()> {
        self.check_target()?;
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&self.path)?;
        writeln!(f, "{head}")?;
        f.sync_all()
    }

    fn last_head(&self) -> std::io::Result<Option<SignedHead>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // Only the tail: a head line is a few hundred bytes.
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(WITNESS_TAIL)))?;
        let mut tail = Vec::new();
        f.read_to_end(&mut tail)?;
        let text = String::from_utf8_lossy(&tail);
        let Some(line) = text
            .lines()
            .rev()
            .find(|l| l.contains("confidant-audit-head"))
        else {
            return Ok(None);
        };
        line.trim()
            .parse::<SignedHead>()
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
    }
}

/// Bytes read from the end of a witness file to find its last head.
const WITNESS_TAIL: u64 = 8192;

/// The newest head in a witness file or a head given as a string.
pub fn read_published_head(arg: &str) -> std::result::Result<SignedHead, String> {
    let path = Path::new(arg);
    let text = if !arg.contains("confidant-audit-head") && path.exists() {
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the published head file: {e}"))?
    } else {
        arg.to_owned()
    };
    text.lines()
        .rev()
        .find(|l| l.contains("confidant-audit-head"))
        .ok_or_else(|| "no signed audit head found in --since".to_owned())?
        .parse::<SignedHead>()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod witness_tests {
    use super::FileWitness;

    #[test]
    fn a_witness_never_appends_to_a_symlink_or_a_file_that_is_not_a_witness() {
        let dir = std::env::temp_dir().join(format!("confidant-witness-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("master.key");
        std::fs::write(&key, b"\x00\x01binary key material").unwrap();
        let link = dir.join("witness-link");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&key, &link).unwrap();
            assert!(FileWitness::new(&link).check_target().is_err());
        }
        // Pointed at the key file itself.
        assert!(FileWitness::new(&key).check_target().is_err());
        // A new file, or one that already holds heads, is fine.
        let fresh = dir.join("heads.txt");
        assert!(FileWitness::new(&fresh).check_target().is_ok());
        std::fs::write(
            &fresh,
            "confidant-audit-head v1 count=1 hash=00 key=00 sig=00\n",
        )
        .unwrap();
        assert!(FileWitness::new(&fresh).check_target().is_ok());
        // A directory is refused.
        assert!(FileWitness::new(&dir).check_target().is_err());
        assert_eq!(std::fs::read(&key).unwrap(), b"\x00\x01binary key material");
        std::fs::remove_dir_all(&dir).ok();
    }
}
