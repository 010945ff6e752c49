//! The `iolab` binary: parse the command line, run, print errors, pick the
//! exit code (0 ok, 1 error, 2 finished with failed or unverified scenarios,
//! 130 stopped by SIGINT/SIGTERM).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match iolab::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match iolab::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// clap's own outcome: `--help` and `--version` print to stdout and exit 0;
/// a usage error prints clap's message and exits 1 like every other input
/// error (2 is kept for "a scenario failed").
fn usage_error(e: &clap::Error) -> ExitCode {
    // Printing can only fail when the terminal is gone; the exit code still says what happened.
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
