//! A test-only user binary (`cargo test` builds it as the example
//! `panicky`): the whole lab with one workload, `panicky`, whose task
//! `--panic-at` panics (`panic!`, as an `unwrap` in a user's code would), or
//! whose setup or check panics (`--panic-in`). `tests/panics.rs` runs it
//! under every strategy; its worker processes are this binary too.
use std::{io, process::ExitCode};

use iolab::describe::{Capability::BlockingCalls, VariantDesc, WorkloadDesc};
use iolab::io::{Io, Open};
use iolab::lab::{Knob, Lab, Run, UserWorkload};
use iolab::workload::{RunCheck, TaskOutput};

const PANIC_AT: Knob<u64> = Knob::count(
    "panic_at",
    "3",
    0,
    1_000_000,
    "the task that panics (past the last task: none does)",
);

const PANIC_IN: Knob<&str> = Knob::choice(
    "panic_in",
    &["task", "setup", "verify"],
    "task",
    "where the panic happens",
);

const PANICKY: WorkloadDesc = WorkloadDesc {
    name: "panicky",
    summary: "open corpus file k and count it; one task (or the setup, or the check) panics",
    variants: &[
        VariantDesc {
            name: "io",
            help: "open and close through iolab's Io seam (every strategy)",
            needs: &[],
        },
        VariantDesc {
            name: "blocking",
            help: "std::fs::metadata (blocking calls: tokio runs it on its pool)",
            needs: &[BlockingCalls],
        },
    ],
    knobs: &[PANIC_AT.desc, PANIC_IN.desc],
    reads: "every corpus file in use",
    writes: "nothing",
    verifies: "one count per task",
};

struct Panicky;

fn panics_in(run: &Run, place: &str) -> bool {
    run.knob(PANIC_IN) == place
}

impl UserWorkload for Panicky {
    fn describe(&self) -> &'static WorkloadDesc {
        &PANICKY
    }

    async fn task<I: Io>(&self, io: &I, run: &Run, k: u32) -> io::Result<TaskOutput> {
        if panics_in(run, "task") && run.knob(PANIC_AT) == u64::from(k) {
            panic!("deliberate panic in task {k}");
        }
        if run.variant() == "blocking" {
            std::fs::metadata(run.input(k))?;
        } else {
            let file = io.open(&run.input(k), Open::READ).await?;
            io.close(file).await?;
        }
        Ok(TaskOutput {
            bytes: 0,
            count: 1,
            evidence: None,
            ..TaskOutput::default()
        })
    }

    fn setup(&self, run: &Run) -> io::Result<()> {
        if panics_in(run, "setup") {
            panic!("deliberate panic in setup");
        }
        Ok(())
    }

    fn verify(&self, run: &Run, count_sum: u64) -> RunCheck {
        if panics_in(run, "verify") {
            panic!("deliberate panic in verify");
        }
        RunCheck::expect(
            "tasks counted",
            u64::from(run.files().len() as u32),
            count_sum,
        )
    }
}

fn main() -> ExitCode {
    Lab::new().workload(Panicky).main()
}
