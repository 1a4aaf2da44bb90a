//! The audit chain against each kind of tampering: every one must make the
//! verifier fail, and say where.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use confidant_audit::{
    Action, AuditKey, Chain, Checkpoint, Entry, EntryDraft, GENESIS_PREV_HASH, Verifier,
    VerifyError,
};
use confidant_crypto::MasterKey;
use proptest::prelude::*;

fn key() -> AuditKey {
    AuditKey::from_bytes([7u8; 32])
}

fn draft(i: u64) -> EntryDraft {
    let actions = [
        Action::NoteWrite,
        Action::NoteRead,
        Action::ClientRead,
        Action::ConsentWrite,
    ];
    EntryDraft {
        at_unix_micros: 1_700_000_000_000_000 + i as i64 * 1_000,
        actor: format!("prac-{}", i % 3),
        action: actions[(i % 4) as usize],
        record_ids: (0..=(i % 3)).map(|j| format!("rec-{i}-{j}")).collect(),
    }
}

fn build(n: u64) -> (Vec<Entry>, Checkpoint) {
    let mut chain = Chain::genesis();
    let entries: Vec<Entry> = (0..n).map(|i| chain.append(draft(i))).collect();
    let cp = chain.checkpoint(&key());
    (entries, cp)
}

fn verify(entries: &[Entry], cp: Option<&Checkpoint>) -> Result<u64, VerifyError> {
    let mut v = Verifier::new(&key());
    for e in entries {
        v.push(e)?;
    }
    v.finish(cp)
}

/// Recomputes an entry's hash after a change, as a tamperer who knows the
/// (public) format but not the key would.
fn rehash(e: &mut Entry) {
    e.hash = e.compute_hash();
}

/// Rebuilds hashes and links from `from` on, as a tamperer rewriting the rest
/// of the chain would.
fn relink(entries: &mut [Entry]) {
    for i in 0..entries.len() {
        if i > 0 {
            entries[i].prev_hash = entries[i - 1].hash;
        } else {
            entries[i].prev_hash = GENESIS_PREV_HASH;
        }
        rehash(&mut entries[i]);
    }
}

fn err_of(entries: &[Entry], cp: Option<&Checkpoint>) -> VerifyError {
    verify(entries, cp).unwrap_err()
}

#[test]
fn untouched_log_verifies() {
    for n in [0, 1, 2, 10, 1000] {
        let (entries, cp) = build(n);
        assert_eq!(verify(&entries, Some(&cp)), Ok(n));
    }
}

#[test]
fn resumed_chain_continues_the_same_log() {
    let (mut entries, _) = build(5);
    let mut chain = Chain::resume(entries.last());
    assert_eq!(chain.next_seq(), 6);
    entries.push(chain.append(draft(5)));
    let cp = chain.checkpoint(&key());
    assert_eq!(verify(&entries, Some(&cp)), Ok(6));
    assert_eq!(Chain::resume(None), Chain::genesis());
}

#[test]
fn chain_positioned_by_a_checkpoint_continues_the_same_log() {
    let (mut entries, cp) = build(5);
    let mut chain = Chain::from_checkpoint(&cp);
    assert_eq!(chain, Chain::resume(entries.last()));
    entries.push(chain.append(draft(5)));
    assert_eq!(verify(&entries, Some(&chain.checkpoint(&key()))), Ok(6));
    let empty = Checkpoint::sign(&key(), 0, GENESIS_PREV_HASH);
    assert_eq!(Chain::from_checkpoint(&empty), Chain::genesis());
}

#[test]
fn deleting_a_middle_entry_names_it() {
    let (mut entries, cp) = build(10);
    entries.remove(4); // seq 5
    let err = err_of(&entries, Some(&cp));
    assert_eq!(
        err,
        VerifyError::Missing {
            expected_seq: 5,
            found_seq: 6
        }
    );
    assert!(
        err.to_string().contains("audit entry 5 is missing"),
        "{err}"
    );
}

#[test]
fn deleting_several_middle_entries_names_the_range() {
    let (mut entries, cp) = build(10);
    entries.drain(3..6); // seqs 4, 5, 6
    let err = err_of(&entries, Some(&cp));
    assert_eq!(
        err,
        VerifyError::Missing {
            expected_seq: 4,
            found_seq: 7
        }
    );
    assert!(
        err.to_string().contains("audit entries 4 to 6 are missing"),
        "{err}"
    );
}

#[test]
fn deleting_the_first_entry_names_it() {
    let (mut entries, cp) = build(10);
    entries.remove(0);
    let err = err_of(&entries, Some(&cp));
    assert_eq!(
        err,
        VerifyError::Missing {
            expected_seq: 1,
            found_seq: 2
        }
    );
    assert!(
        err.to_string().contains("audit entry 1 is missing"),
        "{err}"
    );
    // Also when it was the only other entry.
    let (mut two, cp2) = build(2);
    two.remove(0);
    assert_eq!(
        err_of(&two, Some(&cp2)),
        VerifyError::Missing {
            expected_seq: 1,
            found_seq: 2
        }
    );
}

#[test]
fn deleting_the_last_entry_is_truncation() {
    let (mut entries, cp) = build(10);
    entries.pop();
    let err = err_of(&entries, Some(&cp));
    assert_eq!(
        err,
        VerifyError::Truncated {
            have: 9,
            checkpoint: 10
        }
    );
    assert!(err.to_string().contains("ends at entry 9"), "{err}");
}

#[test]
fn deleting_a_middle_entry_and_renumbering_the_rest_is_caught_by_the_checkpoint() {
    let (mut entries, cp) = build(10);
    entries.remove(4);
    for (i, e) in entries.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    relink(&mut entries);
    // The rewritten chain is internally consistent, but shorter than signed.
    assert_eq!(
        err_of(&entries, Some(&cp)),
        VerifyError::Truncated {
            have: 9,
            checkpoint: 10
        }
    );
    // Re-signing without the key does not help.
    let forged = Checkpoint::sign(&AuditKey::from_bytes([8; 32]), 9, entries[8].hash);
    assert_eq!(
        err_of(&entries, Some(&forged)),
        VerifyError::CheckpointInvalid
    );
}

#[test]
fn swapping_two_adjacent_entries_is_out_of_order() {
    let (mut entries, cp) = build(10);
    entries.swap(3, 4); // seqs 4 and 5
    let err = err_of(&entries, Some(&cp));
    assert_eq!(err, VerifyError::OutOfOrder { seq: 4, after: 5 });
    assert!(
        err.to_string().contains("audit entry 4 is out of order"),
        "{err}"
    );
}

#[test]
fn moving_an_entry_earlier_is_out_of_order() {
    let (mut entries, cp) = build(10);
    let e = entries.remove(7); // seq 8
    entries.insert(2, e);
    let err = err_of(&entries, Some(&cp));
    assert!(
        matches!(
            err,
            VerifyError::OutOfOrder { .. }
                | VerifyError::Missing {
                    expected_seq: 3,
                    ..
                }
        ),
        "{err:?}"
    );
}

#[test]
fn duplicating_an_entry_is_out_of_order() {
    let (mut entries, cp) = build(10);
    let e = entries[3].clone();
    entries.insert(4, e);
    assert_eq!(
        err_of(&entries, Some(&cp)),
        VerifyError::OutOfOrder { seq: 4, after: 4 }
    );
}

#[test]
fn swapping_contents_but_keeping_seqs_is_caught() {
    // A store reading in seq order: the tamperer swaps everything but seq.
    let (mut entries, cp) = build(10);
    let (s3, s4) = (entries[3].seq, entries[4].seq);
    entries.swap(3, 4);
    entries[3].seq = s3;
    entries[4].seq = s4;
    assert_eq!(
        err_of(&entries, Some(&cp)),
        VerifyError::Modified { seq: 4 }
    );
    // ...and also re-hashes both: the links break.
    relink_only_hashes(&mut entries[3..5]);
    assert_eq!(
        err_of(&entries, Some(&cp)),
        VerifyError::BrokenLink { seq: 4 }
    );
}

fn relink_only_hashes(entries: &mut [Entry]) {
    for e in entries {
        rehash(e);
    }
}

type Mutation = (&'static str, fn(&mut Entry));

const FIELD_MUTATIONS: &[Mutation] = &[
    ("seq", |e| e.seq += 100),
    ("at_unix_micros", |e| e.at_unix_micros += 1),
    ("actor", |e| e.actor.push('x')),
    ("action", |e| {
        e.action = if e.action == Action::NoteRead {
            Action::NoteWrite
        } else {
            Action::NoteRead
        }
    }),
    ("record_ids: changed", |e| {
        e.record_ids = vec!["other".into()]
    }),
    ("record_ids: added", |e| e.record_ids.push("extra".into())),
    ("record_ids: removed", |e| e.record_ids.clear()),
    ("prev_hash", |e| e.prev_hash[0] ^= 1),
    ("hash", |e| e.hash[31] ^= 1),
];

#[test]
fn modifying_any_field_of_any_entry_names_it() {
    let (entries, cp) = build(6);
    for idx in 0..entries.len() {
        for (field, mutate) in FIELD_MUTATIONS {
            let mut t = entries.clone();
            mutate(&mut t[idx]);
            assert_ne!(t[idx], entries[idx], "{field} mutation changed nothing");
            let err = err_of(&t, Some(&cp));
            let seq = t[idx].seq;
            assert_eq!(err, VerifyError::Modified { seq }, "{field} of entry {idx}");
            assert!(
                err.to_string()
                    .contains(&format!("audit entry {seq} was modified")),
                "{err}"
            );
        }
    }
}

#[test]
fn modifying_and_rehashing_an_entry_breaks_the_next_link() {
    let (entries, cp) = build(6);
    for idx in 0..5 {
        for (field, mutate) in FIELD_MUTATIONS
            .iter()
            .filter(|(f, _)| *f != "hash" && *f != "seq")
        {
            let mut t = entries.clone();
            mutate(&mut t[idx]);
            assert_ne!(t[idx], entries[idx], "{field} mutation changed nothing");
            rehash(&mut t[idx]);
            let err = err_of(&t, Some(&cp));
            let expected = if *field == "prev_hash" {
                VerifyError::BrokenLink {
                    seq: idx as u64 + 1,
                }
            } else {
                VerifyError::BrokenLink {
                    seq: idx as u64 + 2,
                }
            };
            assert_eq!(err, expected, "{field} of entry {idx}");
            assert!(err.to_string().contains("does not link to entry"), "{err}");
        }
    }
}

#[test]
fn modifying_and_rehashing_the_last_entry_is_caught_by_the_checkpoint() {
    let (mut entries, cp) = build(6);
    entries[5].actor = "someone-else".into();
    rehash(&mut entries[5]);
    let err = err_of(&entries, Some(&cp));
    assert_eq!(err, VerifyError::CheckpointMismatch { seq: 6 });
    assert!(err.to_string().contains("audit entry 6"), "{err}");
}

#[test]
fn rewriting_the_whole_chain_without_the_key_is_caught() {
    let (mut entries, cp) = build(6);
    entries[2].actor = "someone-else".into();
    relink(&mut entries);
    assert_eq!(
        err_of(&entries, Some(&cp)),
        VerifyError::CheckpointMismatch { seq: 6 }
    );
}

#[test]
fn truncation_with_the_old_checkpoint_is_caught() {
    let (entries, cp) = build(10);
    for keep in 0..10 {
        assert_eq!(
            err_of(&entries[..keep], Some(&cp)),
            VerifyError::Truncated {
                have: keep as u64,
                checkpoint: 10
            }
        );
    }
}

#[test]
fn truncation_with_a_checkpoint_rewritten_without_the_key_is_caught() {
    let (entries, cp) = build(10);
    let kept = &entries[..7];
    // Edit the count and head, keep the old MAC.
    let edited = Checkpoint {
        count: 7,
        head_hash: kept[6].hash,
        mac: cp.mac,
    };
    assert_eq!(err_of(kept, Some(&edited)), VerifyError::CheckpointInvalid);
    // Sign with a guessed key.
    let guessed = Checkpoint::sign(&AuditKey::from_bytes([0; 32]), 7, kept[6].hash);
    let err = err_of(kept, Some(&guessed));
    assert_eq!(err, VerifyError::CheckpointInvalid);
    assert!(err.to_string().contains("signature is invalid"), "{err}");
    // Delete the checkpoint.
    assert_eq!(err_of(kept, None), VerifyError::CheckpointMissing);
}

#[test]
fn forged_checkpoints_are_invalid() {
    let (entries, cp) = build(5);
    let mut bad_mac = cp.clone();
    bad_mac.mac[0] ^= 1;
    let mut bad_count = cp.clone();
    bad_count.count += 1;
    let mut bad_head = cp.clone();
    bad_head.head_hash[0] ^= 1;
    for forged in [bad_mac, bad_count, bad_head] {
        assert_eq!(
            err_of(&entries, Some(&forged)),
            VerifyError::CheckpointInvalid
        );
    }
    // A checkpoint from another store's key.
    let other = MasterKey::generate().audit_key();
    assert_eq!(
        err_of(&entries, Some(&Checkpoint::sign(&other, 5, cp.head_hash))),
        VerifyError::CheckpointInvalid
    );
}

#[test]
fn entries_appended_without_the_key_are_unsigned() {
    let (mut entries, cp) = build(5);
    let mut chain = Chain::resume(entries.last());
    entries.push(chain.append(draft(99)));
    let err = err_of(&entries, Some(&cp));
    assert_eq!(
        err,
        VerifyError::Unsigned {
            from_seq: 6,
            have: 6
        }
    );
    assert!(
        err.to_string()
            .contains("not covered by the signed checkpoint"),
        "{err}"
    );
}

#[test]
fn missing_checkpoint_fails_even_for_an_empty_log() {
    assert_eq!(err_of(&[], None), VerifyError::CheckpointMissing);
    let (entries, _) = build(3);
    assert_eq!(err_of(&entries, None), VerifyError::CheckpointMissing);
}

#[test]
fn verifier_counts_as_it_goes() {
    let (entries, _) = build(3);
    let mut v = Verifier::new(&key());
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(v.count(), i as u64);
        v.push(e).unwrap();
    }
    assert_eq!(v.count(), 3);
}

#[test]
fn error_messages_never_carry_entry_contents() {
    let (mut entries, cp) = build(6);
    entries[2].actor = "prac-SECRETNAME".into();
    let err = err_of(&entries, Some(&cp));
    assert!(!err.to_string().contains("SECRETNAME"));
    assert!(!format!("{err:?}").contains("SECRETNAME"));
}

proptest! {
    #[test]
    fn any_single_byte_change_in_any_string_field_is_detected(
        n in 1u64..20, pick in any::<prop::sample::Index>(), which in 0usize..2, byte in any::<u8>(),
    ) {
        let (mut entries, cp) = build(n);
        let idx = pick.index(entries.len());
        let e = &mut entries[idx];
        let before = e.clone();
        match which {
            0 => e.actor = format!("{}{}", e.actor, byte as char),
            _ => e.record_ids.push(format!("{byte}")),
        }
        prop_assume!(*e != before);
        prop_assert!(verify(&entries, Some(&cp)).is_err());
    }

    #[test]
    fn honest_chains_of_any_shape_verify(
        drafts in proptest::collection::vec(
            ("[a-z0-9-]{0,12}", proptest::collection::vec("[a-z0-9-]{0,12}", 0..4), any::<i64>(), 0usize..23),
            0..50,
        )
    ) {
        let mut chain = Chain::genesis();
        let entries: Vec<Entry> = drafts
            .into_iter()
            .map(|(actor, record_ids, at, a)| {
                chain.append(EntryDraft { at_unix_micros: at, actor, action: Action::ALL[a % Action::ALL.len()], record_ids })
            })
            .collect();
        let cp = chain.checkpoint(&key());
        prop_assert_eq!(verify(&entries, Some(&cp)), Ok(entries.len() as u64));
    }

    #[test]
    fn any_deletion_is_detected(n in 1u64..40, pick in any::<prop::sample::Index>(), len in 1usize..5) {
        let (mut entries, cp) = build(n);
        let at = pick.index(entries.len());
        let end = (at + len).min(entries.len());
        entries.drain(at..end);
        let err = verify(&entries, Some(&cp)).unwrap_err();
        if end == n as usize {
            prop_assert_eq!(err, VerifyError::Truncated { have: at as u64, checkpoint: n });
        } else {
            prop_assert_eq!(err, VerifyError::Missing { expected_seq: at as u64 + 1, found_seq: end as u64 + 1 });
        }
    }

    #[test]
    fn any_reordering_is_detected(n in 2u64..40, perm in any::<prop::sample::Index>(), salt in any::<u64>()) {
        let (entries, cp) = build(n);
        // A pseudo-random permutation that is not the identity.
        let mut order: Vec<usize> = (0..entries.len()).collect();
        let mut x = salt | 1;
        for i in (1..order.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (x >> 33) as usize % (i + 1));
        }
        if order.iter().enumerate().all(|(i, &o)| i == o) {
            let k = perm.index(order.len() - 1);
            order.swap(k, k + 1);
        }
        let shuffled: Vec<Entry> = order.iter().map(|&i| entries[i].clone()).collect();
        let err = verify(&shuffled, Some(&cp)).unwrap_err();
        prop_assert!(matches!(err, VerifyError::OutOfOrder { .. } | VerifyError::Missing { .. }), "{:?}", err);
    }
}
