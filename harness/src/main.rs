//! The `iolab` binary: the lab with its built-in workloads only — the same
//! entry point a user's binary calls with its own ([`iolab::lab::Lab`]).

use std::process::ExitCode;

fn main() -> ExitCode {
    iolab::lab::Lab::new().main()
}
