//! The key ring: the master key and the rotatable key-encryption keys
//! (KEKs) of a version 2 key file, and the lock that serialises changes to
//! the key file between processes.
//!
//! Data keys are wrapped under the newest KEK generation the database uses.
//! Destroying a client rotates: a new generation is added to the key file,
//! the surviving data keys are re-wrapped under it in the destruction's
//! transaction, and once that commit is durable the old generation is
//! removed from the file. Generation 0 is the version 1 scheme (the master
//! key's "key-wrap" subkey), which cannot be erased; a version 1 store
//! leaves it at its first destruction.

use std::fmt;
use std::fs::File;
use std::path::Path;

use zeroize::Zeroizing;

use crate::aead;
use crate::error::CryptoError;
use crate::keyfile::{self, Header, KdfParams, Parsed, Unlock, key_file_path};
use crate::keys::{DataKey, MasterKey};

/// Name of the lock file in the data directory.
pub const LOCK_FILE_NAME: &str = ".master.key.lock";

/// The master key and the KEK generations held by the key file.
pub struct KeyRing {
    master: MasterKey,
    header: Header,
    /// Ascending by generation; one boxed, zeroized copy each.
    keks: Vec<(u32, Box<Zeroizing<[u8; 32]>>)>,
    /// Whether this ring came from (or was written to) a key file.
    file_backed: bool,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("generations", &self.generations())
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring with only the master key (generation 0: the version 1 wrap).
    pub fn from_master(master: MasterKey) -> KeyRing {
        KeyRing {
            master,
            header: Header::Random,
            keks: Vec::new(),
            file_backed: false,
        }
    }

    /// A new random-key ring with generation 1, not yet written.
    pub fn generate_for(master: MasterKey) -> KeyRing {
        let mut ring = KeyRing::from_master(master);
        ring.keks.push((1, random_kek()));
        ring
    }

    /// Reads the key file in `data_dir` with a master key already derived
    /// (no second Argon2id run). `Ok(None)` when there is no key file.
    pub fn load(data_dir: &Path, master: &MasterKey) -> Result<Option<KeyRing>, CryptoError> {
        match keyfile::load_full(data_dir, Unlock::Master(master), KdfParams::INSECURE_TEST) {
            Ok(Parsed {
                master,
                header,
                keks,
            }) => Ok(Some(KeyRing {
                master,
                header,
                keks,
                file_backed: true,
            })),
            Err(CryptoError::KeyFileMissing { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    pub fn is_file_backed(&self) -> bool {
        self.file_backed
    }

    /// The KEK generations held, ascending (0, the master's own wrap, is
    /// implicit and not listed).
    pub fn generations(&self) -> Vec<u32> {
        self.keks.iter().map(|(g, _)| *g).collect()
    }

    /// The newest generation held (0 when the file holds no KEK).
    pub fn newest_generation(&self) -> u32 {
        self.keks.last().map_or(0, |(g, _)| *g)
    }

    /// Whether keys wrapped under `generation` can be opened.
    pub fn has_generation(&self, generation: u32) -> bool {
        generation == 0 || self.keks.iter().any(|(g, _)| *g == generation)
    }

    fn kek(&self, generation: u32) -> Result<&[u8; 32], CryptoError> {
        self.keks
            .iter()
            .find(|(g, _)| *g == generation)
            .map(|(_, k)| &***k)
            .ok_or(CryptoError::UnknownKeyGeneration { generation })
    }

    /// Wraps `key` for `owner_id` under `generation` (0: the version 1
    /// wrap under the master key).
    pub fn wrap(
        &self,
        generation: u32,
        owner_id: &str,
        key: &DataKey,
    ) -> Result<Vec<u8>, CryptoError> {
        if generation == 0 {
            return Ok(aead::wrap_data_key(&self.master, owner_id, key));
        }
        let mut nonce = [0u8; 12];
        crate::rand::fill(&mut nonce);
        Ok(aead::wrap_v2_with_nonce(
            self.kek(generation)?,
            generation,
            owner_id,
            key,
            nonce,
        ))
    }

    /// Unwraps a data key of either version.
    pub fn unwrap(&self, owner_id: &str, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        match aead::wrapped_key_generation(wrapped) {
            Some(0) | None => aead::unwrap_data_key(&self.master, owner_id, wrapped),
            Some(generation) => aead::unwrap_v2(self.kek(generation)?, owner_id, wrapped),
        }
    }

    /// This ring plus a new random generation (newest + 1).
    pub fn with_new_generation(&self) -> Result<(KeyRing, u32), CryptoError> {
        let next =
            self.newest_generation()
                .checked_add(1)
                .ok_or(CryptoError::UnknownKeyGeneration {
                    generation: u32::MAX,
                })?;
        let mut ring = self.duplicate();
        ring.keks.push((next, random_kek()));
        Ok((ring, next))
    }

    /// This ring plus `other`'s KEK of `generation` if this one lacks it.
    /// For a process's in-memory ring only: a process that re-read the key
    /// file mid-rotation keeps the generation it was wrapping under until
    /// it sees the new one (never write such a ring to the key file).
    pub fn keeping_from(&self, other: &KeyRing, generation: u32) -> KeyRing {
        let mut ring = self.duplicate();
        if !ring.has_generation(generation) {
            if let Some((g, k)) = other.keks.iter().find(|(g, _)| *g == generation) {
                ring.keks.push((*g, Box::new(Zeroizing::new(***k))));
                ring.keks.sort_by_key(|(g, _)| *g);
            }
        }
        ring
    }

    /// This ring keeping only the generations `keep` says yes to.
    pub fn retaining(&self, keep: impl Fn(u32) -> bool) -> KeyRing {
        let mut ring = self.duplicate();
        ring.keks.retain(|(g, _)| keep(*g));
        ring
    }

    fn duplicate(&self) -> KeyRing {
        KeyRing {
            master: self.master.clone(),
            header: self.header.clone(),
            keks: self
                .keks
                .iter()
                .map(|(g, k)| (*g, Box::new(Zeroizing::new(***k))))
                .collect(),
            file_backed: self.file_backed,
        }
    }

    fn encode(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if self.keks.is_empty() || self.keks.len() > keyfile::MAX_GENERATIONS {
            return Err(CryptoError::UnknownKeyGeneration { generation: 0 });
        }
        Ok(keyfile::encode_v2(&self.master, &self.header, &self.keks))
    }

    /// Replaces the key file in `data_dir` with this ring (version 2;
    /// temp file, fsync, rename, directory fsync). Hold the
    /// [`KeyFileLock`] while deciding what to write.
    pub fn write(&mut self, data_dir: &Path) -> Result<(), CryptoError> {
        let bytes = self.encode()?;
        keyfile::write_replace(data_dir, &key_file_path(data_dir), &bytes)?;
        self.file_backed = true;
        Ok(())
    }

    /// Writes the key file only if there is none (never replaces one).
    pub fn write_new(&mut self, data_dir: &Path) -> Result<(), CryptoError> {
        let bytes = self.encode()?;
        keyfile::write_new_file(data_dir, &key_file_path(data_dir), &bytes)?;
        self.file_backed = true;
        Ok(())
    }
}

fn random_kek() -> Box<Zeroizing<[u8; 32]>> {
    let mut kek = Box::new(Zeroizing::new([0u8; 32]));
    crate::rand::fill(&mut kek[..]);
    kek
}

/// An exclusive advisory lock (flock) on `DATA_DIR/.master.key.lock`,
/// held while a process decides and writes a new key file, so that two
/// destructions in two processes cannot overwrite each other's generations.
pub struct KeyFileLock {
    #[cfg(unix)]
    _lock: nix::fcntl::Flock<File>,
    #[cfg(not(unix))]
    _file: File,
}

impl fmt::Debug for KeyFileLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyFileLock")
    }
}

impl KeyFileLock {
    fn open(data_dir: &Path) -> Result<File, CryptoError> {
        let path = data_dir.join(LOCK_FILE_NAME);
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600)
                .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits());
        }
        opts.open(&path)
            .map_err(|source| CryptoError::KeyFileLock { path, source })
    }

    /// Waits for the lock.
    pub fn acquire(data_dir: &Path) -> Result<KeyFileLock, CryptoError> {
        let file = KeyFileLock::open(data_dir)?;
        #[cfg(unix)]
        {
            use nix::fcntl::{Flock, FlockArg};
            match Flock::lock(file, FlockArg::LockExclusive) {
                Ok(lock) => Ok(KeyFileLock { _lock: lock }),
                Err((_, errno)) => Err(CryptoError::KeyFileLock {
                    path: data_dir.join(LOCK_FILE_NAME),
                    source: std::io::Error::from(errno),
                }),
            }
        }
        #[cfg(not(unix))]
        Ok(KeyFileLock { _file: file })
    }

    /// Takes the lock if it is free; `Ok(None)` if another process holds it.
    pub fn try_acquire(data_dir: &Path) -> Result<Option<KeyFileLock>, CryptoError> {
        let file = KeyFileLock::open(data_dir)?;
        #[cfg(unix)]
        {
            use nix::fcntl::{Flock, FlockArg};
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(lock) => Ok(Some(KeyFileLock { _lock: lock })),
                Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
                Err((_, errno)) => Err(CryptoError::KeyFileLock {
                    path: data_dir.join(LOCK_FILE_NAME),
                    source: std::io::Error::from(errno),
                }),
            }
        }
        #[cfg(not(unix))]
        Ok(Some(KeyFileLock { _file: file }))
    }
}
