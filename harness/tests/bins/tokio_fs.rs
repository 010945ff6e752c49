//! Test-only: a user workload with a variant that needs a tokio runtime
//! (`tokio::fs`) and one of plain blocking calls (`tests/lab.rs`). Each
//! reads corpus file k whole and counts its bytes, verified against the
//! files' sizes.
use std::{io, process::ExitCode};

use iolab::describe::{Capability, VariantDesc, WorkloadDesc};
use iolab::io::Io;
use iolab::lab::{Lab, Run, UserWorkload};
use iolab::workload::{RunCheck, TaskOutput};

const TOKIO_FS: WorkloadDesc = WorkloadDesc {
    name: "tokio-fs",
    summary: "read corpus file k whole and count its bytes",
    variants: &[
        VariantDesc {
            name: "tokio",
            help: "tokio::fs::read, checking a runtime is entered",
            needs: &[Capability::TokioRuntime],
        },
        VariantDesc {
            name: "std",
            help: "std::fs::read (blocking calls)",
            needs: &[Capability::BlockingCalls],
        },
    ],
    knobs: &[],
    reads: "every corpus file in use",
    writes: "nothing",
    verifies: "the bytes read against the files' sizes",
};

struct TokioFs;

impl UserWorkload for TokioFs {
    fn describe(&self) -> &'static WorkloadDesc {
        &TOKIO_FS
    }

    async fn task<I: Io>(&self, _io: &I, run: &Run, k: u32) -> io::Result<TaskOutput> {
        let bytes = match run.variant() {
            "tokio" => {
                tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
                tokio::fs::read(run.input(k)).await?.len()
            }
            _ => std::fs::read(run.input(k))?.len(),
        } as u64;
        Ok(TaskOutput {
            bytes,
            count: bytes,
            evidence: None,
            ..TaskOutput::default()
        })
    }

    fn verify(&self, run: &Run, sum: u64) -> RunCheck {
        let sizes = run
            .files()
            .map(|k| std::fs::metadata(run.input(k)).map_or(0, |m| m.len()))
            .sum();
        RunCheck::expect("bytes read", sizes, sum)
    }
}

fn main() -> ExitCode {
    Lab::new().workload(TokioFs).main()
}
