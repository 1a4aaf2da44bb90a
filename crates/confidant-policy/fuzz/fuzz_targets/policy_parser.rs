//! Arbitrary text as a policy file: parsing, compiling, linting and
//! rendering must never panic; a policy that loads must decide (or refuse
//! to) without panicking.
#![no_main]

use confidant_core::situation::{Concern, ConcernAbout, Event, Situation};
use confidant_policy::{Date, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Policy::from_toml_str(text) {
        let _ = p.lint(Date {
            year: 2026,
            month: 11,
            day: 23,
        });
        let _ = p.show();
        let _ = p.explain_html();
        for about in ConcernAbout::ALL {
            let _ = p.decide(&Situation::new(Event::Concern(Concern::new(*about))));
        }
    }
});
