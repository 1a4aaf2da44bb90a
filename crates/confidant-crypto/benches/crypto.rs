//! Sealing throughput for 1 KiB notes, key wrapping, blind indexing and
//! Argon2id derivation, beside a reference run of raw AES-256-GCM (ring, key
//! schedule prepared once, no AAD, sealing in place) on the same bytes.
//!
//! Run: `cargo bench -p confidant-crypto --bench crypto`

use std::hint::black_box;
use std::time::Duration;

use confidant_crypto::{
    Aad, DataKey, KdfParams, MasterKey, SecretString, open, seal, unwrap_data_key, wrap_data_key,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ring::aead::{AES_256_GCM, Aad as RingAad, LessSafeKey, Nonce, UnboundKey};

const NOTE_LEN: usize = 1024;

fn aad() -> Aad<'static> {
    Aad {
        table: "notes",
        column: "text_ct",
        row_id: "0192f1a4-7c3e-7d21-9a55-3b2f8e6c1d40",
        client_id: "0192f1a4-0000-7d21-9a55-3b2f8e6c1d40",
    }
}

fn aead(c: &mut Criterion) {
    let note = vec![b'n'; NOTE_LEN];
    let key = DataKey::generate();
    let sealed = seal(&key, &aad(), &note);
    let mut g = c.benchmark_group("note_1KiB");
    g.throughput(Throughput::Bytes(NOTE_LEN as u64));
    g.bench_function("seal", |b| {
        b.iter(|| black_box(seal(&key, &aad(), black_box(&note))))
    });
    g.bench_function("open", |b| {
        b.iter(|| black_box(open(&key, &aad(), black_box(&sealed))))
    });

    let raw = match UnboundKey::new(&AES_256_GCM, &[9; 32]) {
        Ok(k) => LessSafeKey::new(k),
        Err(_) => panic!("aes key"),
    };
    let mut buf = note.clone();
    let mut counter = 0u64;
    g.bench_function("reference_raw_aes256gcm_seal_in_place", |b| {
        b.iter(|| {
            counter += 1;
            let mut nonce = [0u8; 12];
            nonce[..8].copy_from_slice(&counter.to_le_bytes());
            let tag = raw.seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                RingAad::empty(),
                &mut buf,
            );
            black_box(tag.is_ok())
        })
    });
    g.finish();

    let master = MasterKey::generate();
    let wrapped = wrap_data_key(&master, "client-1", &key);
    let bik = master.blind_index_key();
    let mut g = c.benchmark_group("keys");
    g.bench_function("wrap_data_key", |b| {
        b.iter(|| black_box(wrap_data_key(&master, "client-1", &key)))
    });
    g.bench_function("unwrap_data_key", |b| {
        b.iter(|| black_box(unwrap_data_key(&master, "client-1", &wrapped)))
    });
    g.bench_function("blind_index_name", |b| {
        b.iter(|| black_box(bik.index("name", black_box("  Ann  Lee-Smith "))))
    });
    g.finish();
}

fn kdf(c: &mut Criterion) {
    let pass = SecretString::from("correct horse battery staple".to_string());
    let mut g = c.benchmark_group("argon2id");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("derive_m19MiB_t2_p1", |b| {
        b.iter(|| {
            black_box(
                MasterKey::derive_from_passphrase(&pass, &[1; 16], KdfParams::MINIMUM).is_ok(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, aead, kdf);
criterion_main!(benches);
