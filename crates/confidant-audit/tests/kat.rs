//! Known-answer tests pinning the audit log's stored formats. The vectors
//! were computed independently (Python hashlib/hmac from the format in
//! docs/crypto-architecture.md). If one fails, existing logs would no longer
//! verify: add a new format version instead of changing these.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use confidant_audit::{
    Action, AuditKey, Chain, Checkpoint, Entry, EntryDraft, encode_checkpoint, encode_entry,
    entry_hash,
};

const ENTRY_ENCODING: &str = "636f6e666964616e742e61756469742e656e7472792e7631000000000000002a00060a24182022400000000000000006707261632d3100000000000000096e6f74652e7265616400000000000000020000000000000008636c69656e742d3700000000000000076e6f74652d39391111111111111111111111111111111111111111111111111111111111111111";
const ENTRY_HASH: &str = "19870991cd0241848b67e158af612d838f5b817d2ffbb7ff931d64d89bc793c7";
const FIRST_ENTRY_HASH: &str = "00c4f5b3ee4cb3157983bfaa10f88d631a1f6509deae767eff1beadd1a91362f";
const CHECKPOINT_ENCODING: &str = "636f6e666964616e742e61756469742e636865636b706f696e742e7631000000000000002a19870991cd0241848b67e158af612d838f5b817d2ffbb7ff931d64d89bc793c7";
const CHECKPOINT_MAC: &str = "44f88a6d70e8fe43ac9a9412d8dc708321379683b2ab55efac7193f4627abf15";

fn ids() -> Vec<String> {
    vec!["client-7".into(), "note-99".into()]
}

#[test]
fn kat_entry_encoding_and_hash() {
    let mut buf = Vec::new();
    encode_entry(
        &mut buf,
        42,
        1_700_000_000_123_456,
        "prac-1",
        Action::NoteRead,
        &ids(),
        &[0x11; 32],
    );
    assert_eq!(hex::encode(&buf), ENTRY_ENCODING);
    let h = entry_hash(
        42,
        1_700_000_000_123_456,
        "prac-1",
        Action::NoteRead,
        &ids(),
        &[0x11; 32],
    );
    assert_eq!(hex::encode(h), ENTRY_HASH);
}

#[test]
fn kat_first_entry_of_a_chain() {
    let mut chain = Chain::genesis();
    let e = chain.append(EntryDraft {
        at_unix_micros: -5,
        actor: String::new(),
        action: Action::Init,
        record_ids: vec![],
    });
    assert_eq!(e.seq, 1);
    assert_eq!(e.prev_hash, [0; 32]);
    assert_eq!(hex::encode(e.hash), FIRST_ENTRY_HASH);
    assert_eq!(chain.head(), e.hash);
    assert_eq!(chain.len(), 1);
}

#[test]
fn kat_checkpoint() {
    let head: [u8; 32] = hex::decode(ENTRY_HASH).unwrap().try_into().unwrap();
    assert_eq!(
        hex::encode(encode_checkpoint(42, &head)),
        CHECKPOINT_ENCODING
    );
    let cp = Checkpoint::sign(&AuditKey::from_bytes([7; 32]), 42, head);
    assert_eq!(hex::encode(cp.mac), CHECKPOINT_MAC);
    assert!(cp.verify(&AuditKey::from_bytes([7; 32])));
}

#[test]
fn entry_compute_hash_matches_the_free_function() {
    let e = Entry {
        seq: 42,
        at_unix_micros: 1_700_000_000_123_456,
        actor: "prac-1".into(),
        action: Action::NoteRead,
        record_ids: ids(),
        prev_hash: [0x11; 32],
        hash: [0; 32],
    };
    assert_eq!(hex::encode(e.compute_hash()), ENTRY_HASH);
}

/// The encoding is unambiguous: moving bytes between adjacent fields changes
/// the hash.
#[test]
fn field_boundaries_cannot_be_shifted() {
    let p = [0u8; 32];
    let a = entry_hash(1, 0, "ab", Action::NoteRead, &["c"], &p);
    let b = entry_hash(1, 0, "a", Action::NoteRead, &["bc"], &p);
    let c = entry_hash(1, 0, "ab", Action::NoteRead, &["", "c"], &p);
    let d = entry_hash(1, 0, "ab", Action::NoteRead, &["c", ""], &p);
    let all = [a, b, c, d];
    for i in 0..all.len() {
        for j in i + 1..all.len() {
            assert_ne!(all[i], all[j], "{i} vs {j}");
        }
    }
}

/// Stored spellings of actions are part of the format.
#[test]
fn kat_action_spellings() {
    let spelled: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(
        spelled,
        [
            "init",
            "client.create",
            "client.read",
            "client.update",
            "client.search",
            "client.destroy",
            "case.create",
            "case.read",
            "case.update",
            "note.write",
            "note.read",
            "consent.write",
            "consent.read",
            "consent.withdraw",
            "legal_hold.set",
            "legal_hold.release",
            "practitioner.create",
            "practitioner.update",
            "export",
            "decision",
            "deidentify",
            "audit.verify",
            "key.rotate",
            "matter.open",
            "matter.read",
            "matter.list",
            "matter.decide",
            "matter.record",
            "matter.amend",
            "matter.attest",
            "matter.close",
            "package.build",
            "package.read",
            "package.deliver",
            "disclosure.list",
            "practitioner.read",
            "legal_hold.list",
            "sar.step",
            "access_log.read",
            "retention.sweep",
            "store.upgrade",
            "store.verify",
            "setup_link.create",
            "user.create",
            "user.update",
            "sign_in",
            "sign_in.fail",
            "sign_in.throttled",
            "mfa.verify",
            "mfa.change",
            "mfa.recovery_use",
            "sign_out",
            "session.revoke",
            "token.create",
            "token.revoke",
            "access.refused",
            "break_glass.grant",
            "break_glass.review",
            "assignment.change",
            "promise.record",
            "promise.read",
            "policy.review",
            "policy_review.read",
            "audit.search",
            "sign_in.refusals_coalesced",
            "password.change",
            "account.disable",
            "account.enable",
            "password_reset.issue",
            "password_reset.use",
            "note.draft",
            "matter.escalate",
            "escalation.list",
        ]
    );
    for a in Action::ALL {
        assert_eq!(a.as_str().parse::<Action>(), Ok(*a));
        assert_eq!(a.to_string(), a.as_str());
    }
    assert!("note.delete".parse::<Action>().is_err());
    assert!("NOTE.READ".parse::<Action>().is_err());
}
