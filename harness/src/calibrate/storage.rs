//! `iolab storage probe`: provide each storage asked for, measure it by
//! iolab (a single-threaded 4 KiB read, a `stat` and a file creation; 4 KiB
//! reads per second with one thread and with `qd` threads) and by fio on
//! the same file, print, and leave nothing behind. On an emulated storage
//! this is the emulator's accuracy measured by both tools.
//!
//! Owns: the command's measurements and output. Does not own: providing
//! (`crate::storage`), the measurements' code (`crate::storage::probe`),
//! fio's process (`super::fio`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde::Deserialize;

use super::fio;
use crate::measure::clock::Clock;
use crate::storage::probe::{self, Offsets};
use crate::storage::{self, ProvideError, Provided, Storage};

/// The probe file's size on the storage.
pub(super) const FILE_BYTES: usize = 16 << 20;
/// Room asked of each storage.
const BYTES_NEEDED: u64 = 64 << 20;
/// The probe file's name.
pub(super) const FILE_NAME: &str = "iolab-probe.dat";
/// Longest time spent on each latency measurement, and most samples.
const LATENCY_BUDGET: Duration = Duration::from_secs(1);
const MAX_SAMPLES: usize = 2000;

/// What `iolab storage probe` does.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeRequest {
    /// The storages, in order.
    pub storages: Vec<Storage>,
    /// Where their folders go.
    pub data_dir: PathBuf,
    /// Length of each throughput measurement (and of fio's runs).
    pub seconds: Duration,
    /// Run fio too, when it is installed.
    pub fio: bool,
    /// Hold each storage this long after providing it, before measuring
    /// (a test's window to kill the process with the mount up).
    pub hold: Option<Duration>,
}

/// Probe every storage of `request`; an unavailable one is one line.
///
/// # Errors
/// A storage that broke while provided or measured, or its removal.
pub fn probe_command(request: &ProbeRequest) -> anyhow::Result<ExitCode> {
    println!("load average {}", probe::load_average());
    for_each_provided(&request.storages, &request.data_dir, |provided| {
        print_record(provided);
        if let Some(hold) = request.hold {
            println!("  ready {}", provided.dir().display());
            std::io::stdout().flush()?;
            std::thread::sleep(hold);
        }
        measure(provided, request)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Provide each of `storages` in turn (its canonical text printed
/// first), hand it to `f` and remove it whatever `f` returned; a storage
/// that cannot be had here is one line, and the next one follows.
///
/// # Errors
/// A storage that broke while provided, `f`'s error, or a removal.
pub(super) fn for_each_provided(
    storages: &[Storage],
    data_dir: &Path,
    mut f: impl FnMut(&Provided) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for storage in storages {
        println!("{storage}");
        let provided = match storage::provide(storage, data_dir, BYTES_NEEDED) {
            Ok(p) => p,
            Err(ProvideError::Unavailable(why)) => {
                println!("  {why}");
                continue;
            }
            Err(ProvideError::Failed(e)) => return Err(e.context(format!("providing {storage}"))),
        };
        let done = f(&provided);
        provided.remove()?;
        done?;
    }
    Ok(())
}

fn print_record(provided: &Provided) {
    let r = provided.record();
    println!("  folder       {}", r.dir.display());
    println!(
        "  filesystem   {} ({}), {}",
        r.fstype.as_deref().unwrap_or("?"),
        r.source.as_deref().unwrap_or("?"),
        r.mount_options.as_deref().unwrap_or("?")
    );
    if let Some(image) = &r.image {
        println!(
            "  image        {} MiB on {} (direct I/O {}), {}",
            image.image_bytes >> 20,
            image.loop_device,
            if image.loop_direct_io { "on" } else { "off" },
            image.mkfs
        );
        if let Some(f) = &image.features {
            println!("  features     {f}");
        }
    }
    if let Some(e) = &r.emulator {
        let kernel = e.kernel.as_ref().map_or_else(String::new, |k| {
            format!("; FUSE {}, granted {}", k.protocol, k.granted.join(" "))
        });
        println!("  emulator     {}{kernel}; {}", e.settings, e.threads);
        if let Some(c) = &e.measured {
            let error = c
                .error_pct
                .map_or_else(String::new, |p| format!(" ({p:+.1} % of lat)"));
            println!(
                "  calibration  4 KiB read {:.0} us{error}, twin {:.0} us, backing {:.1} us: FUSE's own cost {:.1} us; stat {:.0} us (twin {:.0} us), n={}",
                c.read_us, c.twin_read_us, c.backing_read_us, c.fuse_cost_us, c.stat_us, c.twin_stat_us, c.samples
            );
            println!(
                "               replies sent {:.1} us (data) and {:.1} us (metadata) ahead of their due time: the round trip's own cost; timers {:.1} us late on average",
                c.ahead_data_us, c.ahead_meta_us, c.timer_late_us
            );
        }
    }
}

/// The measurements on a provided storage, printed as they finish; the
/// probe file is removed whatever happens.
fn measure(provided: &Provided, request: &ProbeRequest) -> anyhow::Result<()> {
    let file = provided.dir().join(FILE_NAME);
    probe::write_file(&file, FILE_BYTES)?;
    probe::verify_file(&file, FILE_BYTES)?;
    println!(
        "  file         {} MiB written, synced and read back: verified",
        FILE_BYTES >> 20
    );
    let result = measure_file(provided, &file, request);
    crate::safefs::Dir::open(provided.dir())?.remove_file(FILE_NAME)?;
    result
}

fn measure_file(provided: &Provided, file: &Path, request: &ProbeRequest) -> anyhow::Result<()> {
    let opened = probe::open(file)?;
    let mut offsets = Offsets::new(FILE_BYTES as u64, 11);
    let reads = sample(|n| probe::read_latencies(&opened, n, &mut offsets))?;
    let stats = sample(|n| probe::stat_latencies(file, n))?;
    let creates = sample_creates(provided.dir())?;
    println!(
        "  iolab        4 KiB read min {:.0} us, p50 {:.0} us, p90 {:.0} us (n={}); stat p50 {:.0} us; create p50 {:.0} us (n={})",
        probe::percentile(&reads, 0.0),
        probe::median(&reads),
        probe::percentile(&reads, 90.0),
        reads.len(),
        probe::median(&stats),
        probe::median(&creates),
        creates.len()
    );
    let threads = match provided.storage() {
        Storage::Emulated(e) => e.timing.qd as usize,
        Storage::DataDir | Storage::Tmpfs | Storage::Image(_) => 16,
    };
    let one = probe::reads_per_second(file, 1, request.seconds)?;
    let many = probe::reads_per_second(file, threads, request.seconds)?;
    println!(
        "               4 KiB reads/s: 1 thread {one:.0}, {threads} threads {many:.0} ({:.1}x)",
        many / one.max(1e-9)
    );
    if request.fio {
        println!("  {}", fio_line(file, threads, request.seconds));
    }
    Ok(())
}

/// Latencies from `f(batch)` until the budget is spent or enough are in.
fn sample(mut f: impl FnMut(usize) -> std::io::Result<Vec<f64>>) -> std::io::Result<Vec<f64>> {
    let clock = Clock::start();
    let mut all = Vec::new();
    while all.len() < MAX_SAMPLES && (all.len() < 20 || clock.elapsed() < LATENCY_BUDGET) {
        all.extend(f(20)?);
    }
    Ok(all)
}

/// Creation latencies in a fresh folder of the storage, removed after.
fn sample_creates(dir: &Path) -> std::io::Result<Vec<f64>> {
    let folder = dir.join("iolab-probe-creates");
    std::fs::create_dir(&folder)?;
    let clock = Clock::start();
    let mut all = Vec::new();
    while all.len() < 200 && (all.len() < 20 || clock.elapsed() < LATENCY_BUDGET) {
        all.extend(probe::create_latencies(&folder, 20)?);
    }
    std::fs::remove_dir(&folder)?;
    Ok(all)
}

/// fio's random 4 KiB reads (`psync`) of the probe file with one job and
/// with `threads` jobs, or why not.
fn fio_line(file: &Path, threads: usize, seconds: Duration) -> String {
    let Some(program) = fio::locate() else {
        return format!("fio          {}", fio::NOT_INSTALLED);
    };
    let version = fio::version(&program).unwrap_or_else(|e| e);
    let run = |jobs| fio_randread(&program, file, jobs, FioAmount::Time(seconds));
    match (run(1), run(threads)) {
        (Ok(one), Ok(many)) => format!(
            "fio          {version}: 4 KiB randread psync, 1 job p50 {:.0} us, {:.0} IOPS; {threads} jobs {:.0} IOPS ({:.1}x)",
            one.p50_us(),
            one.iops,
            many.iops,
            many.iops / one.iops.max(1e-9)
        ),
        (Err(e), _) | (_, Err(e)) => format!("fio          {version}: {e}"),
    }
}

/// How long a fio run reads.
#[derive(Clone, Copy, Debug)]
pub(super) enum FioAmount {
    /// For this long.
    Time(Duration),
    /// This many reads per job.
    Reads(usize),
}

/// fio's random 4 KiB reads of `file` through the page cache (`psync`,
/// as iolab's probe reads), `jobs` threads, one group: its read figures.
///
/// # Errors
/// fio failed, or its report does not parse (one line).
pub(super) fn fio_randread(
    program: &Path,
    file: &Path,
    jobs: usize,
    amount: FioAmount,
) -> Result<FioRead, String> {
    let path = fio::safe_path(file)?;
    let mut args = vec![
        "--name=iolab-probe".to_string(),
        format!("--filename={path}"),
        "--rw=randread".into(),
        "--bs=4k".into(),
        "--ioengine=psync".into(),
        "--direct=0".into(),
        "--invalidate=0".into(),
        format!("--numjobs={jobs}"),
        "--thread".into(),
        "--group_reporting".into(),
        "--output-format=json".into(),
    ];
    match amount {
        FioAmount::Time(t) => args.extend([
            "--time_based".into(),
            format!("--runtime={}ms", t.as_millis().max(1)),
        ]),
        FioAmount::Reads(n) => args.push(format!("--number_ios={n}")),
    }
    let report: FioReport = fio::report_json(&fio::output(program, &args)?)?;
    report
        .jobs
        .into_iter()
        .next()
        .map(|j| j.read)
        .ok_or_else(|| "fio's report holds no job".into())
}

/// The part of fio's JSON report read here.
#[derive(Debug, Deserialize)]
struct FioReport {
    jobs: Vec<FioJob>,
}

#[derive(Debug, Deserialize)]
struct FioJob {
    read: FioRead,
}

/// fio's read figures of one group.
#[derive(Debug, Deserialize)]
pub(super) struct FioRead {
    iops: f64,
    clat_ns: FioClat,
}

impl FioRead {
    /// The median completion latency, in microseconds (0 when fio gave
    /// no percentiles).
    pub(super) fn p50_us(&self) -> f64 {
        self.clat_ns
            .percentile
            .get("50.000000")
            .copied()
            .unwrap_or(0.0)
            / 1e3
    }
}

#[derive(Debug, Deserialize)]
struct FioClat {
    #[serde(default)]
    percentile: std::collections::BTreeMap<String, f64>,
}
