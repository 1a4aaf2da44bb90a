//! Audit chain throughput: append rate, and verify rate over 1 million
//! in-memory entries, beside a reference run of raw SHA-256 over the same
//! encoded bytes (the floor any hash-chain verifier pays).
//!
//! Run: `cargo bench -p confidant-audit --bench audit`

use std::hint::black_box;
use std::time::Duration;

use confidant_audit::{Action, AuditKey, Chain, Entry, EntryDraft, Verifier, encode_entry};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};

const N: u64 = 1_000_000;

fn draft(i: u64) -> EntryDraft {
    EntryDraft {
        at_unix_micros: 1_700_000_000_000_000 + i as i64,
        actor: "0192f1a4-7c3e-7d21-9a55-3b2f8e6c1d40".to_string(),
        action: if i % 2 == 0 {
            Action::NoteWrite
        } else {
            Action::NoteRead
        },
        record_ids: vec![
            format!("0192f1a4-7c3e-7d21-9a55-{i:012}"),
            "0192f1a4-0000-7d21-9a55-3b2f8e6c1d40".to_string(),
        ],
    }
}

fn build(n: u64) -> (Vec<Entry>, confidant_audit::Checkpoint, AuditKey) {
    let key = AuditKey::from_bytes([3; 32]);
    let mut chain = Chain::genesis();
    let entries: Vec<Entry> = (0..n).map(|i| chain.append(draft(i))).collect();
    let cp = chain.checkpoint(&key);
    (entries, cp, key)
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit_append");
    g.throughput(Throughput::Elements(1));
    let mut chain = Chain::genesis();
    g.bench_function("chain_append", |b| {
        b.iter_batched(
            || draft(7),
            |d| black_box(chain.append(d)),
            BatchSize::SmallInput,
        )
    });
    let key = AuditKey::from_bytes([3; 32]);
    g.bench_function("checkpoint_sign", |b| {
        b.iter(|| black_box(chain.checkpoint(&key)))
    });
    g.finish();
}

fn verify(c: &mut Criterion) {
    let (entries, cp, key) = build(N);
    // The reference: the same canonical encodings, pre-built, hashed raw.
    let mut encoded = Vec::with_capacity(entries.len());
    for e in &entries {
        let mut buf = Vec::new();
        encode_entry(
            &mut buf,
            e.seq,
            e.at_unix_micros,
            &e.actor,
            e.action,
            &e.record_ids,
            &e.prev_hash,
        );
        encoded.push(buf);
    }
    let bytes: usize = encoded.iter().map(Vec::len).sum();
    eprintln!(
        "{N} entries, {bytes} encoded bytes ({} per entry)",
        bytes / N as usize
    );

    let mut g = c.benchmark_group("audit_verify_1m");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(N));
    g.bench_function("verifier", |b| {
        b.iter(|| {
            let mut v = Verifier::new(&key);
            for e in &entries {
                if v.push(e).is_err() {
                    panic!("honest chain failed to verify");
                }
            }
            black_box(v.finish(Some(&cp)))
        })
    });
    g.bench_function("reference_raw_sha256_same_bytes", |b| {
        b.iter(|| {
            let mut acc = 0u8;
            for buf in &encoded {
                acc ^= Sha256::digest(buf)[0];
            }
            black_box(acc)
        })
    });
    g.finish();
}

criterion_group!(benches, append, verify);
criterion_main!(benches);
