//! `confidant` commands owned by the deid area: `deidentify` (CONTRACT.md,
//! "De-identification") and `deid eval` (the token-level scorer of
//! shared/deid/README.md).

use anyhow::{Context, bail};
use clap::Subcommand;
use confidant_deid::eval::{GoldSpan, Report, Scorer};
use confidant_deid::{Known, Mode, Span};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum DeidCommand {
    /// De-identify case notes: JSONL in, one JSONL line out per input line
    /// ({"id","text","spans"}); without --jsonl, plain text stdin to stdout.
    Deidentify {
        /// Input file of {"id","text","known"?} lines ("-" for stdin).
        #[arg(long, value_name = "IN.jsonl")]
        jsonl: Option<PathBuf>,
        /// Replace identifiers with consistent invented names (per
        /// document) instead of type tags like [NAME].
        #[arg(long)]
        pseudonyms: bool,
    },
    /// De-identification tools (evaluation).
    Deid {
        #[command(subcommand)]
        command: DeidTool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeidTool {
    /// Score the engine (or a --predicted file) against a gold JSONL file:
    /// token-level recall, precision, per-type recall, most-missed words.
    Eval {
        /// Gold file: {"id","text","known"?,"spans":[{"start","end","type","optional"?}]} lines.
        gold: PathBuf,
        /// Score these predictions ({"id","spans"} lines, e.g. the output
        /// of another tool) instead of running the engine.
        #[arg(long, value_name = "PRED.jsonl")]
        predicted: Option<PathBuf>,
        /// Ignore `known` (measure the general detectors alone).
        #[arg(long)]
        no_known: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// How many most-missed and over-redacted words to list.
        #[arg(long, default_value_t = 25)]
        top: usize,
        /// Exit 1 when recall is below this.
        #[arg(long)]
        min_recall: Option<f64>,
        /// Exit 1 when precision is below this.
        #[arg(long)]
        min_precision: Option<f64>,
    },
}

pub fn run(command: DeidCommand) -> anyhow::Result<ExitCode> {
    match command {
        DeidCommand::Deidentify { jsonl, pseudonyms } => {
            let mode = if pseudonyms {
                Mode::Pseudonyms
            } else {
                Mode::Tags
            };
            match jsonl {
                Some(path) => deidentify_jsonl(&path, mode),
                None => deidentify_plain(mode),
            }
        }
        DeidCommand::Deid {
            command:
                DeidTool::Eval {
                    gold,
                    predicted,
                    no_known,
                    json,
                    top,
                    min_recall,
                    min_precision,
                },
        } => {
            let report = evaluate(&gold, predicted.as_deref(), no_known, top)?;
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                print_report(&mut out, &report)?;
            }
            out.flush()?;
            let failed = min_recall.is_some_and(|m| report.recall < m)
                || min_precision.is_some_and(|m| report.precision < m);
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

#[derive(Deserialize)]
struct InputLine {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    known: Option<Known>,
}

#[derive(Serialize)]
struct OutputLine<'a> {
    id: &'a serde_json::Value,
    text: String,
    spans: Vec<Span>,
}

fn open_input(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufReader::with_capacity(1 << 16, io::stdin())));
    }
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 16, f)))
}

fn deidentify_jsonl(path: &Path, mode: Mode) -> anyhow::Result<ExitCode> {
    let input = open_input(path)?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    // Progress on a terminal only (stderr), by bytes read: a file's length
    // is known, stdin's is not.
    let len = (path != Path::new("-"))
        .then(|| std::fs::metadata(path).ok().map(|m| m.len()))
        .flatten();
    let progress = confidant_service::progress::bytes(len, "deidentify");
    for (n, line) in input.lines().enumerate() {
        let line =
            line.with_context(|| format!("cannot read line {} of {}", n + 1, path.display()))?;
        progress.inc(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        // The error names the line, never its content (it holds identifiers).
        let rec: InputLine = serde_json::from_str(&line).map_err(|e| {
            anyhow::anyhow!(
                "line {} of {} is not a {{\"id\",\"text\",\"known\"?}} JSON object (column {}: {})",
                n + 1,
                path.display(),
                e.column(),
                classify(&e)
            )
        })?;
        let d = confidant_deid::deidentify(&rec.text, rec.known.as_ref(), mode);
        serde_json::to_writer(
            &mut out,
            &OutputLine {
                id: &rec.id,
                text: d.text,
                spans: d.spans,
            },
        )?;
        out.write_all(b"\n")?;
    }
    progress.finish_and_clear();
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "missing or mistyped field",
        serde_json::error::Category::Eof => "unexpected end of line",
    }
}

fn deidentify_plain(mode: Mode) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    io::stdin()
        .read_to_string(&mut text)
        .context("cannot read standard input as UTF-8 text")?;
    let d = confidant_deid::deidentify(&text, None, mode);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(d.text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Deserialize)]
struct GoldLine {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    known: Option<Known>,
    #[serde(default)]
    spans: Vec<GoldSpan>,
}

#[derive(Deserialize)]
struct PredSpan {
    start: usize,
    end: usize,
}

#[derive(Deserialize)]
struct PredLine {
    id: serde_json::Value,
    #[serde(default)]
    spans: Vec<PredSpan>,
}

fn id_key(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn evaluate(
    gold: &Path,
    predicted: Option<&Path>,
    no_known: bool,
    top: usize,
) -> anyhow::Result<Report> {
    let preds: Option<HashMap<String, Vec<(usize, usize)>>> = match predicted {
        None => None,
        Some(p) => {
            let mut m = HashMap::new();
            for (n, line) in open_input(p)?.lines().enumerate() {
                let line =
                    line.with_context(|| format!("cannot read line {} of {}", n + 1, p.display()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let rec: PredLine = serde_json::from_str(&line).map_err(|e| {
                    anyhow::anyhow!(
                        "line {} of {} is not an {{\"id\",\"spans\"}} object ({})",
                        n + 1,
                        p.display(),
                        classify(&e)
                    )
                })?;
                m.insert(
                    id_key(&rec.id),
                    rec.spans.into_iter().map(|s| (s.start, s.end)).collect(),
                );
            }
            Some(m)
        }
    };
    let mut scorer = Scorer::new();
    for (n, line) in open_input(gold)?.lines().enumerate() {
        let line =
            line.with_context(|| format!("cannot read line {} of {}", n + 1, gold.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: GoldLine = serde_json::from_str(&line).map_err(|e| {
            anyhow::anyhow!(
                "line {} of {} is not a gold {{\"id\",\"text\",\"spans\"}} object ({})",
                n + 1,
                gold.display(),
                classify(&e)
            )
        })?;
        let spans: Vec<(usize, usize)> = match &preds {
            Some(m) => match m.get(&id_key(&rec.id)) {
                Some(v) => v.clone(),
                None => bail!(
                    "{} has no line for id {} of {}",
                    predicted.map_or_else(String::new, |p| p.display().to_string()),
                    id_key(&rec.id),
                    gold.display()
                ),
            },
            None => {
                let known = if no_known { None } else { rec.known.as_ref() };
                confidant_deid::detect(&rec.text, known)
                    .into_iter()
                    .map(|s| (s.start, s.end))
                    .collect()
            }
        };
        scorer.add(&rec.text, &rec.spans, &spans);
    }
    Ok(scorer.finish(top))
}

fn print_report(out: &mut impl Write, r: &Report) -> io::Result<()> {
    writeln!(out, "documents: {}", r.documents)?;
    writeln!(
        out,
        "recall:    {:.4} ({} of {} identifier tokens)",
        r.recall, r.found_tokens, r.identifier_tokens
    )?;
    writeln!(
        out,
        "precision: {:.4} ({} of {} redacted tokens inside gold spans)",
        r.precision, r.touched_in_gold, r.touched_tokens
    )?;
    writeln!(out, "per-type recall:")?;
    for (t, s) in &r.per_type {
        writeln!(
            out,
            "  {:<13} {:.4} ({} of {})",
            t, s.recall, s.found, s.tokens
        )?;
    }
    writeln!(out, "most missed words:")?;
    for (w, n) in &r.most_missed {
        writeln!(out, "  {n:>5}  {w}")?;
    }
    writeln!(out, "most over-redacted words:")?;
    for (w, n) in &r.most_over_redacted {
        writeln!(out, "  {n:>5}  {w}")?;
    }
    Ok(())
}
