//! The key ring (KEK generations in a version 2 key file), its rotation,
//! the audit signing key file, and the passphrase floor.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_crypto::{
    AuditSigningKey, CryptoError, DataKey, KdfParams, KeyFileLock, KeyRing, MasterKey,
    SecretString, check_passphrase_strength, key_file_path, wrap_data_key,
};
use std::fs;
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_new_key_file_holds_generation_one_and_rotation_erases_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::init(dir.path(), None).unwrap();
    let ring = KeyRing::load(dir.path(), &master).unwrap().unwrap();
    assert_eq!(ring.generations(), vec![1]);
    let dk = DataKey::generate();
    let old = ring.wrap(1, "client-a", &dk).unwrap();
    // Stage a new generation: both open.
    let (mut staged, next) = ring.with_new_generation().unwrap();
    assert_eq!(next, 2);
    staged.write(dir.path()).unwrap();
    let reread = KeyRing::load(dir.path(), &master).unwrap().unwrap();
    assert_eq!(reread.generations(), vec![1, 2]);
    assert!(reread.unwrap("client-a", &old).is_ok());
    let new = reread.wrap(2, "client-a", &dk).unwrap();
    // Finish: only generation 2 remains, and the old wrap no longer opens.
    let mut finished = reread.retaining(|g| g == 2);
    finished.write(dir.path()).unwrap();
    let after = KeyRing::load(dir.path(), &master).unwrap().unwrap();
    assert_eq!(after.generations(), vec![2]);
    assert!(after.unwrap("client-a", &new).is_ok());
    let err = after.unwrap("client-a", &old).unwrap_err();
    assert!(
        matches!(err, CryptoError::UnknownKeyGeneration { generation: 1 }),
        "{err:?}"
    );
    // The replaced file keeps mode 0600, and no temporary file is left.
    let mode = fs::metadata(key_file_path(dir.path()))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["master.key".to_owned()]);
    // The master key itself still loads from the rotated file.
    assert!(MasterKey::load(dir.path(), None).is_ok());
}

#[test]
fn a_passphrase_store_keeps_its_passphrase_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let pass = SecretString::from("lantern meadow quartz 19".to_owned());
    let master =
        MasterKey::init_with_params(dir.path(), Some(&pass), KdfParams::INSECURE_TEST).unwrap();
    let ring = KeyRing::load(dir.path(), &master).unwrap().unwrap();
    let (mut staged, _) = ring.with_new_generation().unwrap();
    staged.write(dir.path()).unwrap();
    let again =
        MasterKey::load_accepting(dir.path(), Some(&pass), KdfParams::INSECURE_TEST).unwrap();
    let ring = KeyRing::load(dir.path(), &again).unwrap().unwrap();
    assert_eq!(ring.generations(), vec![1, 2]);
    // No KEK is in the file in the clear.
    let bytes = fs::read(key_file_path(dir.path())).unwrap();
    let probe = DataKey::generate();
    let w = ring.wrap(2, "c", &probe).unwrap();
    assert!(ring.unwrap("c", &w).is_ok());
    assert!(!bytes.windows(32).any(|w| w == again.audit_key().mac(b"x")));
}

#[test]
fn a_version_1_key_file_opens_with_the_master_wrap_as_generation_zero() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::generate();
    // A v1 store's wrapped key (generation 0).
    let dk = DataKey::generate();
    let wrapped = wrap_data_key(&master, "client-v1", &dk);
    let ring = KeyRing::from_master(master);
    assert_eq!(ring.newest_generation(), 0);
    assert!(ring.has_generation(0));
    assert!(ring.unwrap("client-v1", &wrapped).is_ok());
    assert!(ring.wrap(0, "client-v1", &dk).is_ok());
    drop(dir);
}

#[test]
fn another_stores_key_file_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    MasterKey::init(dir.path(), None).unwrap();
    let err = KeyRing::load(dir.path(), &MasterKey::generate()).unwrap_err();
    assert!(
        matches!(err, CryptoError::KeyFileMismatch { .. }),
        "{err:?}"
    );
}

#[test]
fn symlinked_key_files_and_open_data_directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    MasterKey::init(&data, None).unwrap();
    let real = dir.path().join("elsewhere.key");
    fs::rename(key_file_path(&data), &real).unwrap();
    std::os::unix::fs::symlink(&real, key_file_path(&data)).unwrap();
    let err = MasterKey::load(&data, None).unwrap_err();
    assert!(matches!(err, CryptoError::KeyFileSymlink { .. }), "{err:?}");
    fs::remove_file(key_file_path(&data)).unwrap();
    fs::rename(&real, key_file_path(&data)).unwrap();
    fs::set_permissions(&data, fs::Permissions::from_mode(0o777)).unwrap();
    let err = MasterKey::load(&data, None).unwrap_err();
    assert!(
        matches!(err, CryptoError::DataDirPermissions { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("chmod 700"));
    fs::set_permissions(&data, fs::Permissions::from_mode(0o700)).unwrap();
    assert!(MasterKey::load(&data, None).is_ok());
}

#[test]
fn the_signing_key_file_round_trips_and_is_guarded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit-signing.key");
    let key = AuditSigningKey::create(&path).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let loaded = AuditSigningKey::load(&path).unwrap();
    assert_eq!(key.verifying_key(), loaded.verifying_key());
    let sig = loaded.sign(b"head");
    assert!(key.verifying_key().verify(b"head", &sig));
    assert!(matches!(
        AuditSigningKey::create(&path),
        Err(CryptoError::KeyFileExists { .. })
    ));
    assert!(
        !format!("{key:?}").contains(&key.verifying_key().to_hex()[..8])
            || format!("{key:?}") == "AuditSigningKey(..)"
    );
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        AuditSigningKey::load(&path),
        Err(CryptoError::KeyFilePermissions { .. })
    ));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let mut bytes = fs::read(&path).unwrap();
    bytes[20] ^= 1;
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        AuditSigningKey::load(&path),
        Err(CryptoError::KeyFileCorrupt { .. })
    ));
}

#[test]
fn the_key_file_lock_is_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let held = KeyFileLock::acquire(dir.path()).unwrap();
    assert!(KeyFileLock::try_acquire(dir.path()).unwrap().is_none());
    drop(held);
    assert!(KeyFileLock::try_acquire(dir.path()).unwrap().is_some());
}

#[test]
fn weak_passphrases_are_refused_with_the_rule_not_the_passphrase() {
    let weak = [
        "",
        "   ",
        "short",
        "elevenchars",
        "Password123456!",
        "correct horse battery staple",
        "aaaaaaaaaaaaaaaaaaaa",
        "abababababababab",
        "123456789012345",
        "abcdefghijklmnop",
        "qwertyuiop1234",
    ];
    for w in weak {
        let err = check_passphrase_strength(&SecretString::from(w.to_owned())).unwrap_err();
        if !w.trim().is_empty() && w.len() > 3 {
            assert!(!err.to_string().contains(w), "{err}");
        }
    }
    for ok in [
        "lantern meadow quartz 19",
        "tea and biscuits",
        "Tŷ Coch ar y bryn 1987",
    ] {
        assert!(
            check_passphrase_strength(&SecretString::from(ok.to_owned())).is_ok(),
            "{ok}"
        );
    }
    // init refuses before creating anything.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let err = MasterKey::init(&data, Some(&SecretString::from("password".to_owned()))).unwrap_err();
    assert!(matches!(err, CryptoError::WeakPassphrase { .. }), "{err:?}");
    assert!(!data.exists());
}
