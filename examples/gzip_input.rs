//! `gzip-input` on iolab's bench: gzip each input file into the scratch
//! folder at a `--level`, with the compression ratio as a metric of its
//! own, verified by decompressing every output against the input set's
//! manifest. Meant for a folder of your own files:
//! `cargo run --release --example gzip-input -- run --input ~/data --workload gzip-input --level 1,9 --strategy threads,io_uring`
use std::io::{self, Read, Write};
use std::process::ExitCode;

use flate2::{read::GzDecoder, write::GzEncoder, Compression};
use iolab::describe::{VariantDesc, WorkloadDesc};
use iolab::io::{read_exact_at, write_all_at, Buf, Io, Open};
use iolab::lab::{Knob, Metric, Run, Totals, UserWorkload};
use iolab::workload::{Evidence, Figures, RunCheck, TaskOutput};

/// The gzip level (`--level`), 6 unless given.
const LEVEL: Knob<u64> = Knob::count("level", "6", 0, 9, "gzip compression level");

/// Bytes read: each task returns its input's size.
const RAW: Metric = Metric::sum("raw", "B", "bytes read from the inputs");
/// Bytes written: each task returns its gzip's size.
const PACKED: Metric = Metric::sum("packed", "B", "bytes of gzip written");
/// Their ratio over the repetition (computed after it, from the two sums).
const RATIO: Metric = Metric::ratio("ratio", &PACKED, &RAW, "gzip bytes per input byte");

const GZIP_INPUT: WorkloadDesc = WorkloadDesc {
    name: "gzip-input",
    summary: "gzip input file k into the scratch folder",
    variants: &[VariantDesc {
        name: "flate2",
        help: "read through iolab's Io seam, flate2's GzEncoder in memory, write through the seam",
        needs: &[],
    }],
    knobs: &[LEVEL.desc],
    reads: "every input file in use",
    writes: "one gzip file per input in the scratch folder",
    verifies: "every gzip file decompresses to its input (size and xxh3 of the input set's manifest), and their sizes add up to the packed metric",
};

struct GzipInput;

impl UserWorkload for GzipInput {
    fn describe(&self) -> &'static WorkloadDesc {
        &GZIP_INPUT
    }

    fn metrics(&self) -> &'static [&'static Metric] {
        &[&RAW, &PACKED, &RATIO]
    }

    async fn task<I: Io>(&self, io: &I, run: &Run, k: u32) -> io::Result<TaskOutput> {
        let file = io.open(&run.input(k), Open::READ).await?;
        let size = io.size(&file).await?;
        let (read, raw) = read_exact_at(io, &file, Buf::zeroed(size as usize), 0).await;
        read?;
        io.close(file).await?;
        let level = Compression::new(run.knob(LEVEL) as u32);
        let mut gz = GzEncoder::new(Vec::with_capacity(raw.len() / 2 + 64), level);
        gz.write_all(raw.as_slice())?;
        let packed = gz.finish()?;
        let packed_len = packed.len();
        let out = io.open(&run.output(k), Open::WRITE).await?;
        let (written, _) = write_all_at(io, &out, Buf::from_vec(packed), 0).await;
        written?;
        io.close(out).await?;
        Ok(TaskOutput {
            bytes: size,
            count: 1,
            metrics: Figures::new()
                .with(&RAW, size as f64)
                .with(&PACKED, packed_len as f64),
            ..TaskOutput::default()
        })
    }

    fn verify_totals(&self, run: &Run, _count: u64, totals: &Totals) -> RunCheck {
        let mut packed = 0;
        for k in run.files() {
            match unpacks_to_input(run, k) {
                Ok(len) => packed += len,
                Err(e) => return RunCheck::failed(format!("{}: {e}", run.output(k).display())),
            }
        }
        let reported = totals.get(&PACKED).unwrap_or(0.0) as u64;
        RunCheck::expect("gzip bytes the tasks reported (packed)", packed, reported)
    }
}

/// Decompress output `k` and compare it with input `k` (by the input
/// set's manifest, or by reading the input on the generated corpus);
/// its size in bytes.
fn unpacks_to_input(run: &Run, k: u32) -> io::Result<u64> {
    let gz = std::fs::read(run.output(k))?;
    let mut raw = Vec::new();
    GzDecoder::new(gz.as_slice()).read_to_end(&mut raw)?;
    let want = match run.expected(k) {
        Some(want) => want,
        None => Evidence::checksum_of(&std::fs::read(run.input(k))?),
    };
    if !want.matches(&raw) {
        return Err(io::Error::other(format!(
            "decompresses to {} bytes that are not input {k}'s",
            raw.len()
        )));
    }
    Ok(gz.len() as u64)
}

fn main() -> ExitCode {
    iolab::lab!().workload(GzipInput).main()
}
