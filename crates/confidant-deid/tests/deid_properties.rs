//! Properties that must hold for any input: no panic, spans inside the
//! text on character boundaries, sorted and non-overlapping, and redaction
//! removing every span's text.

#![allow(clippy::unwrap_used)]

use confidant_deid::{Known, Mode, deidentify, detect};
use proptest::prelude::*;

fn check(text: &str, known: Option<&Known>) {
    let n = text.chars().count();
    let spans = detect(text, known);
    let mut prev_end = 0;
    for s in &spans {
        assert!(s.start < s.end, "empty span");
        assert!(s.end <= n, "span past the end");
        assert!(s.start >= prev_end, "overlapping or unsorted spans");
        prev_end = s.end;
    }
    for mode in [Mode::Tags, Mode::Pseudonyms] {
        let d = deidentify(text, known, mode);
        assert_eq!(d.spans, spans);
    }
}

fn known() -> Known {
    serde_json::from_str(
        r#"{"client":{"name":"Élodie O'Brien-Smith","dob":"1987-03-14","address":"Flat 2, 9 Zoë Road, Bath","postcode":"BA1 1AA","phone":"+44 7700 900123","email":"e@example.com","nhs_number":"943 476 5919"},"others":[{"name":"Łukasz","role":"partner"}]}"#,
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_unicode(text in "\\PC{0,200}") {
        check(&text, None);
        check(&text, Some(&known()));
    }

    #[test]
    fn note_like_text(parts in proptest::collection::vec(prop_oneof![
        Just("Élodie"), Just("O'Brien"), Just("Mrs"), Just("Łukasz's"), Just("07700 900123"), Just("+44"),
        Just("(0)"), Just("BA1 1AA"), Just("14/03/1987"), Just("14th"), Just("of"), Just("March"), Just("\n"),
        Just(", "), Just(". "), Just("Road"), Just("Flat"), Just("9"), Just("Zoë"), Just("and"), Just("Ltd"),
        Just("the corner of"), Just("🙂"), Just("PHQ-9"), Just("e@example.com"), Just("www.x.co.uk"), Just(" "),
        Just("Primary School"), Just("ΑΓΛΑΝΤΖΙΑ"), Just("u."), Just("nan"), Just("\u{301}"),
    ], 0..40)) {
        let text: String = parts.concat();
        check(&text, None);
        check(&text, Some(&known()));
    }
}

#[test]
fn redacted_text_keeps_no_identifier() {
    let k = known();
    let text = "Élodie (Elodie) rang from 07700 900 123 about 14 March 1987; Łukasz's email e@example.com, BA11AA.";
    let d = deidentify(text, Some(&k), Mode::Tags);
    for word in [
        "Élodie", "07700", "900", "1987", "Łukasz", "example", "BA11AA",
    ] {
        assert!(!d.text.contains(word), "{word} left in {}", d.text);
    }
}
