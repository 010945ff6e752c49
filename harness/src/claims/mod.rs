//! The tutorials' claims as data, each judged from measured results.

use std::process::ExitCode;

use crate::cli::ClaimsArgs;

/// `iolab claims`.
///
/// # Errors
/// Not built yet.
pub fn command(args: &ClaimsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("claims of {} are not built yet", args.run_dir.display())
}
