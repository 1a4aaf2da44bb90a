//! Arbitrary UTF-8 in: no panic, every span non-empty, inside the text,
//! sorted and non-overlapping (code point offsets, so always on character
//! boundaries), and the same spans from `deidentify` in both modes.
#![no_main]

use confidant_deid::{Known, Mode, deidentify, detect};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KNOWN: LazyLock<Known> = LazyLock::new(|| {
    serde_json::from_str(
        r#"{"client":{"name":"Élodie O'Brien-Smith","dob":"1987-03-14","address":"Flat 2, 9 Zoë Road, Bath","postcode":"BA1 1AA","phone":"+44 7700 900123","email":"e@example.com","nhs_number":"943 476 5919"},"others":[{"name":"Łukasz","role":"partner"}]}"#,
    )
    .unwrap_or_default()
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let n = text.chars().count();
    for known in [None, Some(&*KNOWN)] {
        let spans = detect(text, known);
        let mut prev = 0;
        for s in &spans {
            assert!(s.start < s.end && s.end <= n && s.start >= prev);
            prev = s.end;
        }
        for mode in [Mode::Tags, Mode::Pseudonyms] {
            assert_eq!(deidentify(text, known, mode).spans, spans);
        }
    }
});
