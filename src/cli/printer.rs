//! Where a command's answer goes: stdout as a table or one JSON document (`--output`), and a
//! progress bar on a terminal's stderr for long work. A closed pipe is not an error.

use std::io::{IsTerminal, Write};

use super::args::Format;
use super::error::CliError;
use super::output;

/// Prints answers in the chosen `--output` format.
#[derive(Clone, Copy)]
pub struct Printer(pub Format);

impl Printer {
    /// Prints `value` as JSON, or the table `table` makes.
    pub fn print<T: serde::Serialize>(
        &self,
        value: &T,
        table: impl FnOnce() -> String,
    ) -> Result<(), CliError> {
        let text = match self.0 {
            Format::Json => output::json(value),
            Format::Table => table(),
        };
        raw(text.as_bytes());
        Ok(())
    }
}

/// Writes bytes to stdout as they are. A closed pipe (`| head`) is not an error worth reporting.
pub fn raw(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

/// A progress bar on a terminal's stderr; nothing when stderr is not a terminal.
pub fn progress(label: &'static str, total: Option<u64>) -> impl FnMut(u64) + Send {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = match total {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} records ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(label);
        bar
    });
    move |done| {
        if let Some(bar) = &bar {
            bar.set_position(done);
        }
    }
}

/// How many lines a file has (for a progress bar's length), if it can be read.
pub fn count_lines(path: &std::path::Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    Some(bytes.iter().filter(|b| **b == b'\n').count() as u64)
}
