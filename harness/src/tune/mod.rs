//! Worker-count sweeps and the per-machine profile.

pub mod knee;

use std::process::ExitCode;

use crate::cli::TuneArgs;

/// `iolab tune`.
///
/// # Errors
/// Not built yet.
pub fn command(args: &TuneArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tune is not built yet ({})", args.budget)
}
