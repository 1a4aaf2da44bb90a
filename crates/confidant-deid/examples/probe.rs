//! Development helper: prints the spans found in each line of stdin
//! (`cargo run --release -p confidant-deid --example probe < notes.txt`).

use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for line in std::io::stdin().lock().lines() {
        let line = line?.replace("\\n", "\n");
        let chars: Vec<char> = line.chars().collect();
        let found: Vec<String> = confidant_deid::detect(&line, None)
            .into_iter()
            .map(|s| {
                format!(
                    "{:?}:{}",
                    s.kind,
                    chars[s.start..s.end].iter().collect::<String>()
                )
            })
            .collect();
        println!("{found:?}");
    }
    Ok(())
}
