//! Development helper: scores the engine on a gold JSONL file without the
//! CLI (`cargo run -p confidant-deid --example score -- GOLD.jsonl [top] [--no-known]`).
//! The supported interface is `confidant deid eval`.

use confidant_deid::Known;
use confidant_deid::eval::{GoldSpan, Scorer};
use serde::Deserialize;
use std::io::BufRead;

#[derive(Deserialize)]
struct Line {
    text: String,
    #[serde(default)]
    known: Option<Known>,
    #[serde(default)]
    spans: Vec<GoldSpan>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: score GOLD.jsonl [top] [--no-known]")?;
    let top: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(30);
    let no_known = args.iter().any(|a| a == "--no-known");
    let dump = args.iter().any(|a| a == "--dump");
    let mut scorer = Scorer::new();
    let f = std::io::BufReader::new(std::fs::File::open(path)?);
    for line in f.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line)?;
        let known = if no_known { None } else { l.known.as_ref() };
        let spans: Vec<(usize, usize)> = confidant_deid::detect(&l.text, known)
            .into_iter()
            .map(|s| (s.start, s.end))
            .collect();
        if dump {
            let chars: Vec<char> = l.text.chars().collect();
            let touched = |a: usize, b: usize| spans.iter().any(|&(s, e)| s < b && a < e);
            for g in &l.spans {
                if g.optional {
                    continue;
                }
                let toks = confidant_deid::eval::char_tokens(
                    &chars[g.start..g.end].iter().collect::<String>(),
                );
                let missed = toks
                    .iter()
                    .any(|&(a, b)| !touched(g.start + a, g.start + b));
                if missed {
                    let t: String = chars[g.start..g.end].iter().collect();
                    let pred: Vec<String> = spans
                        .iter()
                        .map(|&(s, e)| chars[s..e].iter().collect())
                        .collect();
                    println!(
                        "MISS {} {:?} || {:?} || pred {:?}",
                        g.kind,
                        t,
                        l.text.replace('\n', " / "),
                        pred
                    );
                }
            }
            for &(s, e) in &spans {
                let in_gold = l.spans.iter().any(|g| g.start <= s && e <= g.end);
                if !in_gold {
                    let t: String = chars[s..e].iter().collect();
                    println!("OVER {:?} || {:?}", t, l.text.replace('\n', " / "));
                }
            }
        }
        scorer.add(&l.text, &l.spans, &spans);
    }
    let r = scorer.finish(top);
    println!(
        "recall {:.4} ({}/{})  precision {:.4} ({}/{})",
        r.recall,
        r.found_tokens,
        r.identifier_tokens,
        r.precision,
        r.touched_in_gold,
        r.touched_tokens
    );
    for (t, s) in &r.per_type {
        println!("  {t:<13} {:.4} ({}/{})", s.recall, s.found, s.tokens);
    }
    println!("missed: {:?}", r.most_missed);
    println!("over:   {:?}", r.most_over_redacted);
    Ok(())
}
