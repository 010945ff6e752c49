//! The emulated storage's precision: how far a 4 KiB read's latency, as
//! the client sees it, is from the latency asked for (100 µs, 500 µs, 2 ms), how reads per second
//! scale with threads up to `qd`, and FUSE's own cost per operation (the
//! zero-latency twin against the backing folder directly: a 4 KiB read, a
//! `stat`, a create + unlink).
//!
//! The bench mounts its storages itself, so it needs root and `/dev/fuse`
//! (it says why and stops otherwise); it calls `sys::mount::isolate` first,
//! so its mounts die with it.
//!
//! - Without arguments: criterion's groups `storage_read_4KiB` (one
//!   iteration = one read), `storage_scaling_lat500us` (one iteration =
//!   one read, spread over N threads) and `fuse_cost`.
//! - `summary` (a filter no criterion benchmark matches, so only this
//!   runs): interleaved rounds of each side, medians, the latency error in
//!   percent, reads/s against threads with the ideal, and FUSE's cost per
//!   operation, with the load average before and after.
//!
//! Run: `cargo bench -p iolab --bench storage -- summary`, or
//! `cargo bench -p iolab --bench storage -- --quick`.

use std::fs::File;
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use iolab::storage::probe::{self, load_average, median, Offsets, BLOCK};
use iolab::storage::{provide, Provided, Storage};

/// The probe file's size.
const FILE_BYTES: usize = 16 << 20;
/// The latencies whose error is measured, and the twin (0).
const LATENCIES: [&str; 4] = ["0", "100us", "500us", "2ms"];
/// Queue depth of every emulated storage here.
const QD: usize = 16;
/// Interleaved rounds of the summary.
const ROUNDS: usize = 11;

/// A mounted storage with its probe file.
struct Mounted {
    name: String,
    provided: Option<Provided>,
    file: PathBuf,
}

/// The storages of the bench, each with a probe file, and the backing
/// folder's own probe file on the data folder.
struct Bench {
    _tmp: tempfile::TempDir,
    direct: PathBuf,
    mounted: Vec<Mounted>,
}

impl Bench {
    fn make() -> anyhow::Result<Bench> {
        let tmp = tempfile::tempdir()?;
        let direct = tmp.path().join("direct.dat");
        probe::write_file(&direct, FILE_BYTES)?;
        let mut mounted = Vec::new();
        for lat in LATENCIES {
            let storage: Storage = format!("emulated:lat={lat},qd={QD}").parse()?;
            let provided = provide(&storage, tmp.path(), 64 << 20)?;
            let file = provided.dir().join("probe.dat");
            probe::write_file(&file, FILE_BYTES)?;
            mounted.push(Mounted {
                name: format!("lat={lat}"),
                provided: Some(provided),
                file,
            });
        }
        Ok(Bench {
            _tmp: tmp,
            direct,
            mounted,
        })
    }

    fn by_lat(&self, lat: &str) -> &Mounted {
        let name = format!("lat={lat}");
        self.mounted
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        for m in &mut self.mounted {
            if let Some(p) = m.provided.take() {
                if let Err(e) = p.remove() {
                    eprintln!("removing {}: {e:#}", m.name);
                }
            }
        }
    }
}

/// Mean seconds of one 4 KiB read of `path` over `n` reads.
fn read_seconds(path: &Path, n: u64, seed: u64) -> Duration {
    let file = File::open(path).expect("open the probe file");
    let mut offsets = Offsets::new(FILE_BYTES as u64, seed);
    let mut buf = vec![0u8; BLOCK];
    let start = Instant::now();
    for _ in 0..n {
        black_box(
            file.read_at(&mut buf, offsets.next_offset())
                .expect("pread"),
        );
    }
    start.elapsed()
}

/// Time for `n` reads of `path` spread over `threads` threads.
fn threaded_reads(path: &Path, n: u64, threads: usize) -> Duration {
    let per = n.div_ceil(threads as u64);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || read_seconds(path, per, t as u64 + 1));
        }
    });
    start.elapsed()
}

/// Seconds of `n` `stat`s, and of `n` creates + unlinks, in `dir`.
fn stat_seconds(file: &Path, n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        black_box(std::fs::symlink_metadata(file).expect("stat"));
    }
    start.elapsed()
}

fn create_unlink_seconds(dir: &Path, n: u64) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        let path = dir.join(format!("c{i}"));
        drop(File::create(&path).expect("create"));
        std::fs::remove_file(&path).expect("unlink");
    }
    start.elapsed()
}

fn bench_criterion(c: &mut Criterion, bench: &Bench) {
    let mut group = c.benchmark_group("storage_read_4KiB");
    group.sampling_mode(criterion::SamplingMode::Flat);
    group.sample_size(20);
    group.bench_function("backing_direct", |b| {
        b.iter_custom(|iters| read_seconds(&bench.direct, iters, 1))
    });
    for m in &bench.mounted {
        group.bench_function(&m.name, |b| {
            b.iter_custom(|iters| read_seconds(&m.file, iters, 1))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("storage_scaling_lat500us");
    group.sampling_mode(criterion::SamplingMode::Flat);
    group.sample_size(10);
    let file = &bench.by_lat("500us").file;
    for threads in [1, 2, 4, 8, 16] {
        group.bench_function(format!("threads={threads}"), |b| {
            b.iter_custom(|iters| threaded_reads(file, iters.max(threads as u64), threads))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("fuse_cost");
    let twin = bench.by_lat("0");
    let twin_dir = twin.file.parent().unwrap_or(Path::new("."));
    let direct_dir = bench.direct.parent().unwrap_or(Path::new("."));
    group.bench_function("stat_direct", |b| {
        b.iter_custom(|n| stat_seconds(&bench.direct, n))
    });
    group.bench_function("stat_fuse", |b| {
        b.iter_custom(|n| stat_seconds(&twin.file, n))
    });
    group.bench_function("create_unlink_direct", |b| {
        b.iter_custom(|n| create_unlink_seconds(direct_dir, n))
    });
    group.bench_function("create_unlink_fuse", |b| {
        b.iter_custom(|n| create_unlink_seconds(twin_dir, n))
    });
    group.finish();
}

/// Median microseconds per operation of `f(n)` over interleaved rounds.
fn per_op_us(rounds: &[Vec<f64>], i: usize) -> f64 {
    median(&rounds.iter().map(|r| r[i]).collect::<Vec<_>>())
}

fn summary(bench: &Bench) {
    println!("load average before: {}", load_average());
    let reads: u64 = 200;
    let micro = |d: Duration, n: u64| d.as_secs_f64() * 1e6 / n as f64;
    // Each round: direct, then every latency, in an order that reverses.
    let sides: Vec<&Path> = std::iter::once(bench.direct.as_path())
        .chain(bench.mounted.iter().map(|m| m.file.as_path()))
        .collect();
    let rounds: Vec<Vec<f64>> = (0..ROUNDS)
        .map(|r| {
            let mut order: Vec<usize> = (0..sides.len()).collect();
            if r % 2 == 1 {
                order.reverse();
            }
            let mut out = vec![0.0; sides.len()];
            for i in order {
                let n = if i >= 3 { reads / 4 } else { reads };
                out[i] = micro(read_seconds(sides[i], n, r as u64 + 1), n);
            }
            out
        })
        .collect();
    let direct = per_op_us(&rounds, 0);
    let twin = per_op_us(&rounds, 1);
    println!("4 KiB read, single thread, {ROUNDS} interleaved rounds (medians):");
    println!("  backing folder directly   {direct:>8.1} us");
    println!(
        "  lat=0 (twin)              {twin:>8.1} us   FUSE's own cost {:.1} us",
        twin - direct
    );
    for (i, lat) in LATENCIES.iter().enumerate().skip(1) {
        let asked =
            iolab::storage::describe::parse_duration(lat).map_or(0.0, |d| d.as_secs_f64() * 1e6);
        let on = per_op_us(&rounds, i + 1);
        println!(
            "  lat={lat:<6}                {on:>8.1} us   error {:+.1} % (beyond the twin {:.1} us)",
            (on - asked) / asked * 100.0,
            on - twin
        );
    }
    let file = &bench.by_lat("500us").file;
    println!("4 KiB reads/s on lat=500us,qd={QD} (ideal: threads / 500 us, up to qd):");
    let one = 1.0 / (read_seconds(file, 400, 9).as_secs_f64() / 400.0);
    for threads in [1, 2, 4, 8, 16, 32] {
        let n = 400 * threads as u64;
        let rate = n as f64 / threaded_reads(file, n, threads).as_secs_f64();
        let ideal = 2000.0 * threads.min(QD) as f64;
        println!(
            "  {threads:>2} threads  {rate:>8.0}/s  {:.1}x one thread, {:.0} % of ideal",
            rate / one,
            rate / ideal * 100.0
        );
    }
    let twin_file = &bench.by_lat("0").file;
    let twin_dir = twin_file.parent().unwrap_or(Path::new("."));
    let direct_dir = bench.direct.parent().unwrap_or(Path::new("."));
    let costs: Vec<Vec<f64>> = (0..ROUNDS)
        .map(|_| {
            vec![
                micro(stat_seconds(&bench.direct, 500), 500),
                micro(stat_seconds(twin_file, 500), 500),
                micro(create_unlink_seconds(direct_dir, 200), 200),
                micro(create_unlink_seconds(twin_dir, 200), 200),
            ]
        })
        .collect();
    println!("FUSE's own cost per operation (lat=0 against the backing folder, medians):");
    println!(
        "  4 KiB read       {twin:>7.1} us against {direct:>6.1} us: +{:.1} us",
        twin - direct
    );
    for (name, a, b) in [("stat", 1, 0), ("create+unlink", 3, 2)] {
        let (f, d) = (per_op_us(&costs, a), per_op_us(&costs, b));
        println!(
            "  {name:<16} {f:>7.1} us against {d:>6.1} us: +{:.1} us",
            f - d
        );
    }
    println!("load average after: {}", load_average());
}

fn main() {
    if let Err(why) = iolab::sys::mount::isolate() {
        println!("storage bench skipped: {why}");
        return;
    }
    let bench = match Bench::make() {
        Ok(b) => b,
        Err(e) => {
            println!("storage bench skipped: {e:#}");
            return;
        }
    };
    if std::env::args().any(|a| a == "summary") {
        summary(&bench);
        return;
    }
    // Without plots: they need a system font that a build machine may lack.
    let mut c = Criterion::default().without_plots().configure_from_args();
    bench_criterion(&mut c, &bench);
    c.final_summary();
}
