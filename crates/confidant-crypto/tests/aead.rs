//! Sealing and key wrapping: round trips, and that a ciphertext moved to
//! another table, column, row or client, or altered, does not open.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use confidant_crypto::{
    Aad, CryptoError, DataKey, MasterKey, SEAL_OVERHEAD, WRAPPED_KEY_LEN, open, seal,
    unwrap_data_key, wrap_data_key,
};
use proptest::prelude::*;

const NOTE: &[u8] = b"Client reported improved sleep; discussed coping plan.";

fn aad() -> Aad<'static> {
    Aad {
        table: "notes",
        column: "text",
        row_id: "n1",
        client_id: "c1",
    }
}

#[test]
fn sealed_value_opens_where_it_was_sealed() {
    let key = DataKey::generate();
    let sealed = seal(&key, &aad(), NOTE);
    assert_eq!(sealed.len(), NOTE.len() + SEAL_OVERHEAD);
    assert_eq!(&open(&key, &aad(), &sealed).unwrap()[..], NOTE);
}

#[test]
fn ciphertext_does_not_contain_the_plaintext() {
    let key = DataKey::generate();
    let sealed = seal(&key, &aad(), NOTE);
    assert!(!sealed.windows(8).any(|w| NOTE.windows(8).any(|n| n == w)));
}

#[test]
fn sealing_twice_gives_different_ciphertexts() {
    let key = DataKey::generate();
    assert_ne!(seal(&key, &aad(), NOTE), seal(&key, &aad(), NOTE));
}

#[test]
fn ciphertext_moved_anywhere_else_fails_to_open() {
    let key = DataKey::generate();
    let sealed = seal(&key, &aad(), NOTE);
    let elsewhere = [
        Aad {
            table: "clients",
            ..aad()
        },
        Aad {
            column: "summary",
            ..aad()
        },
        Aad {
            row_id: "n2",
            ..aad()
        },
        Aad {
            client_id: "c2",
            ..aad()
        },
        // Boundary shifts must not collide: "n1"+"c1" vs "n1c"+"1".
        Aad {
            row_id: "n1c",
            client_id: "1",
            ..aad()
        },
        Aad {
            table: "notestext",
            column: "",
            ..aad()
        },
    ];
    for other in elsewhere {
        let err = open(&key, &other, &sealed).unwrap_err();
        assert!(matches!(err, CryptoError::Decrypt), "{other:?}: {err:?}");
    }
}

#[test]
fn another_clients_key_fails_to_open() {
    let sealed = seal(&DataKey::generate(), &aad(), NOTE);
    assert!(matches!(
        open(&DataKey::generate(), &aad(), &sealed),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn every_flipped_bit_is_detected() {
    let key = DataKey::generate();
    let sealed = seal(&key, &aad(), b"short note");
    for i in 0..sealed.len() {
        for bit in 0..8 {
            let mut bad = sealed.clone();
            bad[i] ^= 1 << bit;
            let err = open(&key, &aad(), &bad).unwrap_err();
            if i == 0 {
                assert!(
                    matches!(err, CryptoError::UnsupportedVersion { .. }),
                    "{err:?}"
                );
            } else {
                assert!(matches!(err, CryptoError::Decrypt), "byte {i}: {err:?}");
            }
        }
    }
}

#[test]
fn truncated_or_extended_ciphertext_fails() {
    let key = DataKey::generate();
    let sealed = seal(&key, &aad(), NOTE);
    for len in 0..SEAL_OVERHEAD {
        assert!(
            matches!(
                open(&key, &aad(), &sealed[..len]),
                Err(CryptoError::Malformed { .. })
            ),
            "len {len}"
        );
    }
    for len in SEAL_OVERHEAD..sealed.len() {
        assert!(
            matches!(
                open(&key, &aad(), &sealed[..len]),
                Err(CryptoError::Decrypt)
            ),
            "len {len}"
        );
    }
    let mut longer = sealed.clone();
    longer.push(0);
    assert!(matches!(
        open(&key, &aad(), &longer),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn open_string_returns_text_and_rejects_binary() {
    let key = DataKey::generate();
    let text = "Nóta: café ☕";
    let sealed = seal(&key, &aad(), text.as_bytes());
    assert_eq!(
        confidant_crypto::open_string(&key, &aad(), &sealed)
            .unwrap()
            .as_str(),
        text
    );
    let binary = seal(&key, &aad(), &[0xff, 0xfe, 0x00]);
    assert!(matches!(
        confidant_crypto::open_string(&key, &aad(), &binary),
        Err(CryptoError::NotUtf8)
    ));
    let other = Aad {
        row_id: "n9",
        ..aad()
    };
    assert!(matches!(
        confidant_crypto::open_string(&key, &other, &sealed),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn key_ids_identify_master_keys() {
    let a = MasterKey::generate();
    assert_eq!(a.key_id(), a.clone().key_id());
    assert_ne!(a.key_id(), MasterKey::generate().key_id());
}

#[test]
fn empty_plaintext_round_trips() {
    let key = DataKey::generate();
    let sealed = seal(&key, &aad(), b"");
    assert_eq!(sealed.len(), SEAL_OVERHEAD);
    assert!(open(&key, &aad(), &sealed).unwrap().is_empty());
}

#[test]
fn wrapped_key_unwraps_only_for_its_client_and_master() {
    let master = MasterKey::generate();
    let dk = DataKey::generate();
    let wrapped = wrap_data_key(&master, "c1", &dk);
    assert_eq!(wrapped.len(), WRAPPED_KEY_LEN);
    let back = unwrap_data_key(&master, "c1", &wrapped).unwrap();
    // Same key: what one seals the other opens.
    assert_eq!(
        &open(&back, &aad(), &seal(&dk, &aad(), NOTE)).unwrap()[..],
        NOTE
    );

    assert!(matches!(
        unwrap_data_key(&master, "c2", &wrapped),
        Err(CryptoError::UnwrapFailed)
    ));
    assert!(matches!(
        unwrap_data_key(&MasterKey::generate(), "c1", &wrapped),
        Err(CryptoError::UnwrapFailed)
    ));
    for i in 1..wrapped.len() {
        let mut bad = wrapped.clone();
        bad[i] ^= 0x40;
        assert!(
            matches!(
                unwrap_data_key(&master, "c1", &bad),
                Err(CryptoError::UnwrapFailed)
            ),
            "byte {i}"
        );
    }
    assert!(matches!(
        unwrap_data_key(&master, "c1", &wrapped[..60]),
        Err(CryptoError::Malformed { .. })
    ));
    let mut v2 = wrapped.clone();
    v2[0] = 2;
    assert!(matches!(
        unwrap_data_key(&master, "c1", &v2),
        Err(CryptoError::UnsupportedVersion { version: 2 })
    ));
}

#[test]
fn blind_index_matches_spelling_variants_and_separates_kinds_and_keys() {
    let m = MasterKey::generate();
    let k = m.blind_index_key();
    assert_eq!(k.index("name", "Ann  Lee"), k.index("name", " ann lee "));
    assert_ne!(k.index("name", "Ann Lee"), k.index("name", "Ann Leigh"));
    assert_ne!(k.index("name", "Ann Lee"), k.index("email", "Ann Lee"));
    // Kind is length-prefixed: ("na", "me...") must not equal ("name", "...").
    assert_ne!(k.index("na", "meann"), k.index("name", "ann"));
    assert_ne!(
        k.index("name", "Ann Lee"),
        MasterKey::generate()
            .blind_index_key()
            .index("name", "Ann Lee")
    );
}

#[test]
fn subkeys_are_distinct() {
    let m = MasterKey::generate();
    let a = m.audit_key().mac(b"x");
    let b = m.blind_index_key().index("", "x");
    assert_ne!(a, b);
    // Deterministic per master key.
    assert_eq!(a, m.clone().audit_key().mac(b"x"));
}

proptest! {
    #[test]
    fn seal_open_round_trip(
        plain in proptest::collection::vec(any::<u8>(), 0..4096),
        table in "[a-z_]{0,12}", column in "[a-z_]{0,12}", row in ".{0,20}", client in ".{0,20}",
    ) {
        let key = DataKey::generate();
        let a = Aad { table: &table, column: &column, row_id: &row, client_id: &client };
        let sealed = seal(&key, &a, &plain);
        prop_assert_eq!(&open(&key, &a, &sealed).unwrap()[..], &plain[..]);
    }

    #[test]
    fn open_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let key = DataKey::generate();
        prop_assert!(open(&key, &aad(), &bytes).is_err());
        prop_assert!(unwrap_data_key(&MasterKey::generate(), "c1", &bytes).is_err());
    }

    #[test]
    fn wrap_round_trip(client in ".{0,40}") {
        let master = MasterKey::generate();
        let dk = DataKey::generate();
        let back = unwrap_data_key(&master, &client, &wrap_data_key(&master, &client, &dk)).unwrap();
        let sealed = seal(&dk, &aad(), b"x");
        prop_assert_eq!(&open(&back, &aad(), &sealed).unwrap()[..], b"x");
    }

    #[test]
    fn normalise_is_idempotent(s in "\\PC{0,40}") {
        let once = confidant_crypto::normalise(&s);
        prop_assert_eq!(confidant_crypto::normalise(&once), once);
    }
}

#[test]
fn normalise_is_idempotent_for_every_single_character() {
    let mut failures = Vec::new();
    // Planes 0-2 hold every script a name is written in; the rest is
    // private use and unassigned.
    for c in (0u32..0x30000).filter_map(char::from_u32) {
        let s = format!("a{c}b");
        let once = confidant_crypto::normalise(&s);
        if confidant_crypto::normalise(&once) != once {
            failures.push(c as u32);
        }
    }
    assert!(
        failures.is_empty(),
        "{} characters, first {:x?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}
