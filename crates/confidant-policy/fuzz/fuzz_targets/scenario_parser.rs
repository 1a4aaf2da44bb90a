//! Arbitrary text as a scenario file: parsing must never panic, and a
//! scenario that parses must get a decision from every built-in policy
//! (built-ins decide every well-formed situation) without panicking.
#![no_main]

use confidant_policy::{Policy, Scenario};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn builtins() -> &'static Vec<Policy> {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        Policy::builtin_names()
            .filter_map(|n| Policy::builtin(n).ok())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = Scenario::from_json_str(text) {
        for p in builtins() {
            let d = p.decide(&s.situation);
            assert!(
                d.is_ok(),
                "a built-in failed to decide a well-formed situation"
            );
            if let Ok(d) = d {
                let _ = s.mismatches(&d);
            }
        }
    }
});
