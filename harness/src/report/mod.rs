//! Reports of a run: HTML, PNG charts, Markdown; and comparisons of two runs.

use std::process::ExitCode;

use crate::cli::{CompareArgs, ReportArgs};

/// `iolab report`.
///
/// # Errors
/// Not built yet.
pub fn command(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("report of {} is not built yet", args.run_dir.display())
}

/// `iolab compare`.
///
/// # Errors
/// Not built yet.
pub fn compare_command(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("compare of {} is not built yet", args.run_a.display())
}
