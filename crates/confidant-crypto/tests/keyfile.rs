//! The key file as an operator meets it: init, load, and each way loading
//! can fail, with the error that names the problem.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::fs;
use std::os::unix::fs::PermissionsExt;

use confidant_crypto::{CryptoError, KdfParams, MasterKey, SecretString, key_file_path};

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

/// Two master keys are the same iff they derive the same subkeys.
fn same_key(a: &MasterKey, b: &MasterKey) -> bool {
    a.audit_key().mac(b"probe") == b.audit_key().mac(b"probe")
}

#[test]
fn random_key_file_round_trips_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let created = MasterKey::init(&data, None).unwrap();
    let path = key_file_path(&data);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    let loaded = MasterKey::load(&data, None).unwrap();
    assert!(same_key(&created, &loaded));
    // No temporary file is left behind.
    let names: Vec<_> = fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("master.key")]);
}

#[test]
fn two_inits_make_different_keys() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ka = MasterKey::init(a.path(), None).unwrap();
    let kb = MasterKey::init(b.path(), None).unwrap();
    assert!(!same_key(&ka, &kb));
}

#[test]
fn init_refuses_to_overwrite_and_leaves_the_key_intact() {
    let dir = tempfile::tempdir().unwrap();
    let first = MasterKey::init(dir.path(), None).unwrap();
    let before = fs::read(key_file_path(dir.path())).unwrap();
    let err = MasterKey::init(dir.path(), None).unwrap_err();
    assert!(matches!(err, CryptoError::KeyFileExists { .. }), "{err:?}");
    let err = MasterKey::init(dir.path(), Some(&pass("x"))).unwrap_err();
    assert!(matches!(err, CryptoError::KeyFileExists { .. }), "{err:?}");
    assert_eq!(fs::read(key_file_path(dir.path())).unwrap(), before);
    assert!(same_key(
        &first,
        &MasterKey::load(dir.path(), None).unwrap()
    ));
}

#[test]
fn missing_key_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = MasterKey::load(dir.path(), None).unwrap_err();
    assert!(matches!(err, CryptoError::KeyFileMissing { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("no key file") && msg.contains("master.key"),
        "{msg}"
    );
}

#[test]
fn permissive_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    MasterKey::init(dir.path(), None).unwrap();
    let path = key_file_path(dir.path());
    for mode in [0o644, 0o640, 0o604, 0o660] {
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        let err = MasterKey::load(dir.path(), None).unwrap_err();
        assert!(
            matches!(err, CryptoError::KeyFilePermissions { mode: m, .. } if m == mode),
            "{err:?}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
    fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
    MasterKey::load(dir.path(), None).unwrap();
}

#[test]
fn corrupt_key_file_is_named_for_every_flipped_byte() {
    let dir = tempfile::tempdir().unwrap();
    MasterKey::init(dir.path(), None).unwrap();
    let path = key_file_path(dir.path());
    let good = fs::read(&path).unwrap();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        fs::write(&path, &bad).unwrap();
        let err = MasterKey::load(dir.path(), None).unwrap_err();
        assert!(
            matches!(err, CryptoError::KeyFileCorrupt { .. }),
            "byte {i}: {err:?}"
        );
    }
    for len in [0, 1, 8, good.len() - 1] {
        fs::write(&path, &good[..len]).unwrap();
        let err = MasterKey::load(dir.path(), None).unwrap_err();
        assert!(
            matches!(err, CryptoError::KeyFileCorrupt { .. }),
            "len {len}: {err:?}"
        );
    }
    let mut longer = good.clone();
    longer.push(0);
    fs::write(&path, &longer).unwrap();
    assert!(matches!(
        MasterKey::load(dir.path(), None),
        Err(CryptoError::KeyFileCorrupt { .. })
    ));
    fs::write(&path, vec![b'x'; 10_000]).unwrap();
    assert!(matches!(
        MasterKey::load(dir.path(), None),
        Err(CryptoError::KeyFileCorrupt { .. })
    ));
}

#[test]
fn key_file_that_is_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(key_file_path(dir.path())).unwrap();
    let err = MasterKey::load(dir.path(), None).unwrap_err();
    assert!(matches!(err, CryptoError::KeyFileCorrupt { .. }), "{err:?}");
}

#[test]
fn passphrase_store_at_default_params_round_trips_and_detects_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let created = MasterKey::init(dir.path(), Some(&pass("tea and biscuits"))).unwrap();
    let bytes = fs::read(key_file_path(dir.path())).unwrap();
    // Version 2; m = 65536 KiB, t = 3, p = 1 in the header.
    assert_eq!(bytes[7], 2);
    assert_eq!(&bytes[9..21], &[0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1]);
    let loaded = MasterKey::load(dir.path(), Some(&pass("tea and biscuits"))).unwrap();
    assert!(same_key(&created, &loaded));
    let err = MasterKey::load(dir.path(), Some(&pass("tea and biscuit"))).unwrap_err();
    assert!(matches!(err, CryptoError::WrongPassphrase), "{err:?}");
    assert!(err.to_string().contains("wrong passphrase"));
}

#[test]
fn passphrase_header_holds_no_key_material() {
    let dir = tempfile::tempdir().unwrap();
    let p = pass("tea and biscuits");
    let key = MasterKey::init_with_params(dir.path(), Some(&p), KdfParams::INSECURE_TEST).unwrap();
    let file = fs::read(key_file_path(dir.path())).unwrap();
    // Version 2: the 54-byte header, one KEK generation (4 + 61), checksum.
    assert_eq!(file.len(), 54 + 1 + 65 + 8);
    // Rebuild the key from the file's salt and compare: the file stores only
    // the salt, params, a 16-byte check value and the KEK wrapped under the
    // master key, never the 32-byte master key itself.
    let salt = &file[22..38];
    let again = MasterKey::derive_from_passphrase(&p, salt, KdfParams::INSECURE_TEST).unwrap();
    assert!(same_key(&key, &again));
    let ring = confidant_crypto::KeyRing::load(dir.path(), &key)
        .unwrap()
        .unwrap();
    assert_eq!(ring.generations(), vec![1]);
}

#[test]
fn passphrase_mismatches_between_file_kind_and_environment_are_named() {
    let random = tempfile::tempdir().unwrap();
    MasterKey::init(random.path(), None).unwrap();
    let err = MasterKey::load(random.path(), Some(&pass("x"))).unwrap_err();
    assert!(
        matches!(err, CryptoError::PassphraseNotUsed { .. }),
        "{err:?}"
    );

    let protected = tempfile::tempdir().unwrap();
    MasterKey::init_with_params(protected.path(), Some(&pass("x")), KdfParams::INSECURE_TEST)
        .unwrap();
    let err =
        MasterKey::load_accepting(protected.path(), None, KdfParams::INSECURE_TEST).unwrap_err();
    assert!(
        matches!(err, CryptoError::PassphraseRequired { .. }),
        "{err:?}"
    );
}

#[test]
fn weak_header_params_are_refused_by_load_but_accepted_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let p = pass("x");
    let key = MasterKey::init_with_params(dir.path(), Some(&p), KdfParams::INSECURE_TEST).unwrap();
    let err = MasterKey::load(dir.path(), Some(&p)).unwrap_err();
    assert!(
        matches!(err, CryptoError::KeyFileWeakParams { .. }),
        "{err:?}"
    );
    let loaded = MasterKey::load_accepting(dir.path(), Some(&p), KdfParams::INSECURE_TEST).unwrap();
    assert!(same_key(&key, &loaded));
}

#[test]
fn corrupt_passphrase_header_is_corrupt_not_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let p = pass("x");
    MasterKey::init_with_params(dir.path(), Some(&p), KdfParams::INSECURE_TEST).unwrap();
    let path = key_file_path(dir.path());
    let good = fs::read(&path).unwrap();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x80;
        fs::write(&path, &bad).unwrap();
        let err =
            MasterKey::load_accepting(dir.path(), Some(&p), KdfParams::INSECURE_TEST).unwrap_err();
        assert!(
            matches!(err, CryptoError::KeyFileCorrupt { .. }),
            "byte {i}: {err:?}"
        );
    }
}

#[test]
fn empty_passphrase_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = MasterKey::init_with_params(dir.path(), Some(&pass("")), KdfParams::INSECURE_TEST)
        .unwrap_err();
    assert!(matches!(err, CryptoError::EmptyPassphrase), "{err:?}");
    assert!(!key_file_path(dir.path()).exists());
}

#[test]
fn errors_never_echo_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    MasterKey::init_with_params(
        dir.path(),
        Some(&pass("hunter2-secret")),
        KdfParams::INSECURE_TEST,
    )
    .unwrap();
    let err = MasterKey::load_accepting(
        dir.path(),
        Some(&pass("wrong-secret")),
        KdfParams::INSECURE_TEST,
    )
    .unwrap_err();
    for s in [err.to_string(), format!("{err:?}")] {
        assert!(!s.contains("secret"), "{s}");
    }
}

#[test]
fn concurrent_inits_make_exactly_one_key() {
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| MasterKey::init(&path, None)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(winners.len(), 1);
        for r in &results {
            if let Err(e) = r {
                assert!(matches!(e, CryptoError::KeyFileExists { .. }), "{e:?}");
            }
        }
        assert!(same_key(winners[0], &MasterKey::load(&path, None).unwrap()));
        let count = fs::read_dir(&path).unwrap().count();
        assert_eq!(count, 1, "temporary files left behind");
    }
}
