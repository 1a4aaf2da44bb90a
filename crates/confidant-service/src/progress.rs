//! Progress bars for long work (a retention sweep, a SAR package, a bulk
//! `deidentify --jsonl`, the benchmarks). Drawn on stderr only when stderr
//! is a terminal and not under CI (`CI` set to anything but `false` or
//! `0`): piped or redirected output (tests, scripts, `--json` consumers,
//! CI logs) stays quiet. A bar never shows record content, only counts.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Whether progress is drawn in this process.
pub fn enabled() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    !ci && std::io::stderr().is_terminal()
}

/// A bar of `len` steps labelled `what`, hidden when not on a terminal.
pub fn bar(len: u64, what: &'static str) -> ProgressBar {
    if !enabled() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {eta}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what);
    pb
}

/// A bar over `len` bytes of input (a spinner counting bytes when the
/// length is unknown, as for stdin), hidden when not on a terminal.
pub fn bytes(len: Option<u64>, what: &'static str) -> ProgressBar {
    if !enabled() {
        return ProgressBar::hidden();
    }
    let (pb, template) = match len {
        Some(n) => (
            ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ),
        None => (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            "{msg} {spinner} {bytes} {bytes_per_sec}",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what);
    pb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_when_not_on_a_terminal() {
        // Test output is captured, so stderr is not a terminal here: every
        // bar is hidden and drawing it is a no-op.
        if !std::io::stderr().is_terminal() {
            assert!(!enabled());
            assert!(bar(10, "x").is_hidden());
            assert!(bytes(None, "x").is_hidden());
        }
    }
}
