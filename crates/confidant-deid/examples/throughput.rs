//! Development helper: the work of `confidant deidentify --jsonl` (parse a
//! line, detect, redact, write a JSON line) without the CLI, for profiling:
//! `cargo run --release -p confidant-deid --example throughput -- IN.jsonl > /dev/null`.
//! Prints text MB/s to stderr.

use confidant_deid::{Known, Mode, Span};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

#[derive(Deserialize)]
struct In {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    known: Option<Known>,
}

#[derive(Serialize)]
struct Out<'a> {
    id: &'a serde_json::Value,
    text: String,
    spans: Vec<Span>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: throughput IN.jsonl")?;
    confidant_deid::warm_up();
    let t = std::time::Instant::now();
    let f = std::io::BufReader::new(std::fs::File::open(path)?);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut bytes = 0usize;
    for line in f.lines() {
        let line = line?;
        let r: In = serde_json::from_str(&line)?;
        bytes += r.text.len();
        let d = confidant_deid::deidentify(&r.text, r.known.as_ref(), Mode::Tags);
        serde_json::to_writer(
            &mut out,
            &Out {
                id: &r.id,
                text: d.text,
                spans: d.spans,
            },
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "{bytes} text bytes in {s:.3}s: {:.1} MB/s",
        bytes as f64 / 1e6 / s
    );
    Ok(())
}
