//! Warm 4 KiB random `pread`: iolab's `random` workload under `sequential`,
//! through the library API the binary uses (`strategy::execute`, with its
//! verification), against a bare `pread` loop (std `FileExt::read_at` into
//! one reused buffer) over the same seeded offsets of the same warm 64 MiB
//! file. Target: iolab within 10 % of the bare loop when both do the same
//! work: `evidence = "ends"` (the bytes untouched, as the bare loop leaves
//! them) against the bare loop, and `evidence = "fold"` (every byte folded)
//! against the bare loop plus the same fold.
//!
//! - Without arguments: criterion's `random_pread_4KiB_warm` group, one
//!   sample = one timed region of `iters` reads on each side.
//! - `interleaved` (a filter no criterion benchmark matches, so only this
//!   runs): rounds of the four sides (iolab with each evidence, the bare
//!   loop without and with the fold), whose order reverses every round, so
//!   a neighbour's load falls on all alike; each round's ratios, then the
//!   median ratio over the rounds, wall and CPU, with the load average
//!   before and after.
//!
//! Run: `cargo bench -p iolab --bench random_pread -- interleaved`, or
//! `cargo bench -p iolab --bench random_pread -- --quick`.

mod common;

use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use common::{load_average, median, region, usage};
use criterion::Criterion;
use iolab::corpus::Corpus;
use iolab::strategy::Strategy;
use iolab::workload::{random_offset, RandomEvidence, RandomSpec, TaskContext, Workload};

/// Reads per interleaved region.
const ROUND_READS: u32 = 20_000;
/// Interleaved rounds.
const ROUNDS: usize = 21;

/// CPU time of this process so far, in nanoseconds.
fn process_cpu_ns() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
}

/// Wall and CPU time of a bare `pread` loop over the first `reads` of
/// `spec`'s offsets (with `fold`, also the word fold of each block, the
/// workload's evidence).
fn bare_loop(spec: &RandomSpec, ctx: &TaskContext, reads: u32, fold: bool) -> (Duration, f64) {
    let Ok(path) = ctx.large() else {
        panic!("no large file")
    };
    let file = std::fs::File::open(path).expect("open the large file");
    let mut buf = vec![0u8; spec.block as usize];
    let (t, cpu) = (Instant::now(), process_cpu_ns());
    for i in 0..reads {
        let n = file
            .read_at(&mut buf, random_offset(spec, ctx.large_bytes, i))
            .expect("pread");
        if fold {
            black_box(iolab::sys::fold::words(&buf[..n]));
        }
        black_box(n);
    }
    (t.elapsed(), process_cpu_ns() - cpu)
}

fn bench_criterion(c: &mut Criterion, corpus: &Corpus, ctx: &TaskContext) {
    let mut group = c.benchmark_group("random_pread_4KiB_warm");
    group.sampling_mode(criterion::SamplingMode::Linear);
    let spec = RandomSpec::defaults(42).expect("random builds from its defaults");
    group.bench_function("iolab_sequential_ends", |b| {
        b.iter_custom(|iters| {
            let reads = u32::try_from(iters).unwrap_or(u32::MAX);
            let random = Workload::Random(RandomSpec {
                reads,
                evidence: RandomEvidence::Ends,
                ..spec.clone()
            });
            region(&Strategy::sequential(), &random, ctx, corpus)
        })
    });
    group.bench_function("bare_pread_loop", |b| {
        b.iter_custom(|iters| {
            bare_loop(&spec, ctx, u32::try_from(iters).unwrap_or(u32::MAX), false).0
        })
    });
    group.finish();
}

/// Per-read nanoseconds (wall, CPU) of one side of a round.
type Side = (f64, f64);

/// The sides of a round, in the order [`round`] returns them.
const SIDES: [&str; 4] = [
    "iolab random, evidence=ends",
    "bare pread loop",
    "iolab random, evidence=fold",
    "bare loop + word fold",
];

/// One round: iolab with each evidence and the bare loop without and with
/// the fold, in the order of [`SIDES`] in even rounds and reversed in odd
/// ones (each iolab side next to its bare counterpart).
fn round(index: usize, corpus: &Corpus, ctx: &TaskContext) -> [Side; 4] {
    let spec = RandomSpec {
        reads: ROUND_READS,
        ..RandomSpec::defaults(42).expect("random builds from its defaults")
    };
    let n = f64::from(ROUND_READS);
    let iolab = |evidence| {
        let random = Workload::Random(RandomSpec {
            evidence,
            ..spec.clone()
        });
        let u = usage(&Strategy::sequential(), &random, ctx, corpus);
        (
            u.wall.as_nanos() as f64 / n,
            (u.user + u.system).as_nanos() as f64 / n,
        )
    };
    let bare = |fold| {
        let (wall, cpu) = bare_loop(&spec, ctx, ROUND_READS, fold);
        (wall.as_nanos() as f64 / n, cpu / n)
    };
    let mut sides: [&dyn Fn() -> Side; 4] = [
        &|| iolab(RandomEvidence::Ends),
        &|| bare(false),
        &|| iolab(RandomEvidence::Fold),
        &|| bare(true),
    ];
    if index % 2 == 1 {
        sides.reverse();
    }
    let mut out = sides.map(|side| side());
    if index % 2 == 1 {
        out.reverse();
    }
    out
}

/// The interleaved comparison, printed as medians and ratios.
fn interleaved(corpus: &Corpus, ctx: &TaskContext) {
    println!("load average before: {}", load_average());
    let rounds: Vec<[Side; 4]> = (0..ROUNDS).map(|i| round(i, corpus, ctx)).collect();
    let column = |f: &dyn Fn(&[Side; 4]) -> f64| median(rounds.iter().map(f).collect());
    println!(
        "warm 4 KiB random pread, {ROUND_READS} reads per region, {ROUNDS} interleaved rounds (medians):"
    );
    for (i, name) in SIDES.iter().enumerate() {
        println!(
            "  {name:<28} {:>5.0} ns wall, {:>5.0} ns CPU per read",
            column(&|r| r[i].0),
            column(&|r| r[i].1)
        );
    }
    for (a, b) in [(0, 1), (2, 3), (2, 1)] {
        let ratios: Vec<f64> = rounds.iter().map(|r| r[a].0 / r[b].0).collect();
        let (lo, hi) = ratios
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        println!(
            "  {} / {}: {:.3} wall (rounds {lo:.3} … {hi:.3}), {:.3} CPU",
            SIDES[a],
            SIDES[b],
            median(ratios.clone()),
            column(&|r| r[a].1 / r[b].1)
        );
    }
    println!("load average after: {}", load_average());
}

fn main() {
    common::run(interleaved, bench_criterion);
}
