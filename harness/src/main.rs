//! The `iolab` binary: parse the command line, run, print errors, pick the
//! exit code (0 ok, 1 error, 2 finished with failed or unverified scenarios,
//! 130 stopped by SIGINT/SIGTERM).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = iolab::cli::Cli::parse();
    match iolab::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
