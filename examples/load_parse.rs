//! `load-parse` on iolab's bench: read each corpus file and parse its
//! integers, verified against the sum the corpus implies. The binary takes
//! every subcommand and flag of `iolab`:
//! `cargo run --release --example load-parse -- run --workload load-parse --strategy threads`
use std::{io, process::ExitCode};

use iolab::describe::{Capability::BlockingCalls, VariantDesc, WorkloadDesc};
use iolab::io::{Buf, Io, Open};
use iolab::lab::{Knob, Run, UserWorkload};
use iolab::workload::{RunCheck, TaskOutput};

/// Bytes per read of the `io` variant (`--read-size`), read typed with
/// `run.knob(READ_SIZE)`: its default is this description's.
const READ_SIZE: Knob<u64> = Knob::size(
    "read_size",
    "64KiB",
    (4096, 16 << 20, 4096),
    "bytes per read",
)
.for_variants(&["io"]);

const LOAD_PARSE: WorkloadDesc = WorkloadDesc {
    name: "load-parse",
    summary: "read corpus file k whole and add up its integers",
    variants: &[
        VariantDesc {
            name: "std",
            help: "std::fs::read_to_string (blocking calls)",
            needs: &[BlockingCalls],
        },
        VariantDesc {
            name: "io",
            help: "open and read in --read-size pieces through iolab's Io seam",
            needs: &[],
        },
    ],
    knobs: &[READ_SIZE.desc],
    reads: "every corpus file in use",
    writes: "nothing",
    verifies: "the sum of all integers against the sum the corpus shape implies",
};

struct LoadParse;

impl UserWorkload for LoadParse {
    fn describe(&self) -> &'static WorkloadDesc {
        &LOAD_PARSE
    }

    async fn task<I: Io>(&self, io: &I, run: &Run, k: u32) -> io::Result<TaskOutput> {
        let text = if run.variant() == "std" {
            std::fs::read_to_string(run.input(k))?
        } else {
            let piece = run.knob(READ_SIZE) as usize;
            let file = io.open(&run.input(k), Open::READ).await?;
            let (mut bytes, mut buf) = (Vec::new(), Buf::zeroed(piece));
            loop {
                let (read, back) = io.read_at(&file, buf, bytes.len() as u64).await;
                let n = read?;
                bytes.extend_from_slice(&back.as_slice()[..n]);
                buf = back;
                if n == 0 {
                    break;
                }
            }
            io.close(file).await?;
            String::from_utf8(bytes).map_err(io::Error::other)?
        };
        let mut sum = 0;
        for field in text.split([',', '\n']).filter(|f| !f.is_empty()) {
            sum += field.parse::<u64>().map_err(io::Error::other)?;
        }
        Ok(TaskOutput {
            bytes: text.len() as u64,
            count: sum,
            ..TaskOutput::default()
        })
    }

    fn verify(&self, run: &Run, sum: u64) -> RunCheck {
        // File k, line i holds k+i+j for j in 0..values: summed without reading.
        let (l, v) = (u64::from(run.ctx().lines), u64::from(run.ctx().values));
        let per_file = v * l * l.saturating_sub(1) / 2 + l * v * v.saturating_sub(1) / 2;
        let expected = run.files().map(|k| l * v * u64::from(k) + per_file).sum();
        RunCheck::expect("sum of the integers", expected, sum)
    }
}

fn main() -> ExitCode {
    iolab::lab!().workload(LoadParse).main()
}
