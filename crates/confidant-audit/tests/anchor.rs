//! Signed heads and checking a log against a head published earlier.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use confidant_audit::{
    Action, AuditKey, AuditSigningKey, Chain, Entry, EntryDraft, SignedHead, Verifier, VerifyError,
    encode_head,
};

fn log(n: u64) -> (Vec<Entry>, Chain) {
    let mut chain = Chain::genesis();
    let entries = (0..n)
        .map(|i| {
            chain.append(EntryDraft {
                at_unix_micros: 1_700_000_000_000_000 + i as i64,
                actor: "operator:test".into(),
                action: Action::NoteRead,
                record_ids: vec![format!("note_{i}")],
            })
        })
        .collect();
    (entries, chain)
}

fn verify(
    entries: &[Entry],
    cp_chain: &Chain,
    anchor: Option<(u64, [u8; 32])>,
) -> Result<u64, VerifyError> {
    let key = AuditKey::from_bytes([5; 32]);
    let mut v = Verifier::new(&key);
    if let Some((c, h)) = anchor {
        v = v.with_anchor(c, h);
    }
    for e in entries {
        v.push(e)?;
    }
    v.finish(Some(&cp_chain.checkpoint(&key)))
}

#[test]
fn a_head_round_trips_as_text_and_verifies_only_under_its_key() {
    let signer = AuditSigningKey::from_seed(&[7; 32]);
    let (_, chain) = log(5);
    let head = chain.signed_head(&signer);
    assert_eq!(head.count, 5);
    assert!(head.verify());
    assert!(head.verify_with(&signer.verifying_key()));
    let other = AuditSigningKey::from_seed(&[8; 32]);
    assert!(!head.verify_with(&other.verifying_key()));
    let text = head.to_string();
    assert!(text.starts_with("confidant-audit-head v1 count=5 hash="));
    assert_eq!(text.parse::<SignedHead>().unwrap(), head);
    // Found inside a longer line (e.g. `head: ...` from audit verify).
    assert_eq!(format!("head: {text}").parse::<SignedHead>().unwrap(), head);
    // A changed count no longer verifies.
    let bumped = text
        .replace("count=5", "count=6")
        .parse::<SignedHead>()
        .unwrap();
    assert!(!bumped.verify());
    // The signed bytes are pinned.
    let bytes = encode_head(5, &head.head_hash, &head.public_key);
    assert_eq!(&bytes[..23], b"confidant.audit.head.v1");
    assert_eq!(bytes.len(), 23 + 8 + 32 + 32);
    assert!(
        "confidant-audit-head v2 count=1"
            .parse::<SignedHead>()
            .is_err()
    );
    assert!("nothing here".parse::<SignedHead>().is_err());
}

#[test]
fn a_log_must_extend_a_published_head() {
    let (entries, chain) = log(10);
    let published = (6, entries[5].hash);
    assert_eq!(verify(&entries, &chain, Some(published)), Ok(10));
    // Rolled back to 4 entries with a genuine old checkpoint.
    let mut old = Chain::genesis();
    for e in &entries[..4] {
        old.append(EntryDraft {
            at_unix_micros: e.at_unix_micros,
            actor: e.actor.clone(),
            action: e.action,
            record_ids: e.record_ids.clone(),
        });
    }
    assert_eq!(verify(&entries[..4], &old, None), Ok(4));
    assert_eq!(
        verify(&entries[..4], &old, Some(published)),
        Err(VerifyError::RolledBack {
            have: 4,
            published: 6
        })
    );
    // Rewritten consistently (same length, different entry 6).
    let (mut rewritten, _) = log(5);
    let mut chain2 = Chain::genesis();
    rewritten.clear();
    for (i, e) in entries.iter().enumerate() {
        rewritten.push(chain2.append(EntryDraft {
            at_unix_micros: e.at_unix_micros,
            actor: if i == 5 {
                "someone else".into()
            } else {
                e.actor.clone()
            },
            action: e.action,
            record_ids: e.record_ids.clone(),
        }));
    }
    assert_eq!(verify(&rewritten, &chain2, None), Ok(10));
    assert_eq!(
        verify(&rewritten, &chain2, Some(published)),
        Err(VerifyError::Diverged { seq: 6 })
    );
    let msg = VerifyError::RolledBack {
        have: 4,
        published: 6,
    }
    .to_string();
    assert!(msg.contains("rolled back") && msg.contains('6'));
}
