//! Progress bars for long work (a retention sweep, a SAR package). Drawn
//! on stderr only when stderr is a terminal: piped or redirected output
//! (tests, scripts, `--json` consumers) stays quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar of `len` steps labelled `what`, hidden when not on a terminal.
pub fn bar(len: u64, what: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {eta}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what);
    pb
}
