//! Output: human-readable text by default, one JSON document with `--json`; progress bars on
//! standard error, only for people (not with `--json`, nor when standard error is not a terminal).

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde::Serialize;

/// How results are printed.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    /// One JSON document instead of text.
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON when asked to, or `human()` otherwise.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            print!("{}", human());
        }
        Ok(())
    }

    /// A progress bar over `total` events, with the rate and the time left.
    pub fn progress(&self, total: u64, label: &str) -> ProgressBar {
        let style =
            ProgressStyle::with_template("{msg:>14} [{bar:32}] {human_pos}/{human_len} events  {rate:>16}  ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{} events/s", HumanCount(state.per_sec() as u64));
                });
        self.bar(total, label, style)
    }

    /// A progress bar over `total` bytes read.
    pub fn progress_bytes(&self, total: u64, label: &str) -> ProgressBar {
        let style =
            ProgressStyle::with_template("{msg:>14} [{bar:32}] {bytes}/{total_bytes}  {bytes_per_sec:>12}  ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        self.bar(total, label, style)
    }

    fn bar(&self, total: u64, label: &str, style: ProgressStyle) -> ProgressBar {
        let bar = ProgressBar::new(total);
        if self.json {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(style.progress_chars("=> "));
        bar.set_message(label.to_owned());
        bar
    }
}

/// A count with thousands separators: 1,234,567.
pub fn count(n: u64) -> String {
    HumanCount(n).to_string()
}
