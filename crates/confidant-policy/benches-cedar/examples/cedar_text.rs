//! Prints the Cedar rendering of a built-in policy's disclosure question,
//! or with no argument, a size summary of every built-in's rendering.

use confidant_policy::Policy;

fn main() {
    match std::env::args().nth(1) {
        Some(name) => print!("{}", Policy::builtin(&name).unwrap().to_cedar_disclosure()),
        None => {
            for name in Policy::builtin_names() {
                let p = Policy::builtin(name).unwrap();
                let text = p.to_cedar_disclosure();
                println!(
                    "{name}: {} rules, {} Cedar permits, {} conditions (== or contains), {} bytes",
                    p.rules.len(),
                    text.matches("permit(").count(),
                    text.matches("context.").count(),
                    text.len()
                );
            }
        }
    }
}
