//! Small measurements of a provided storage: the latency of a single
//! 4 KiB read, a `stat` and a file creation, and reads per second with
//! one and with many threads — for the emulator's record (its measured
//! latency and FUSE's own cost, `emulated::calibration`), `iolab storage
//! probe` and the storage benchmark.
//!
//! Owns: these measurements and their summary. Does not own: providing the
//! storage (`super::provide`), fio (`crate::calibrate`).

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::measure::clock::Clock;

/// The size of a probe read.
pub const BLOCK: usize = 4096;

/// Write `bytes` of a non-zero pattern to a new file `path` and sync it.
///
/// # Errors
/// The creation or the write, with the path.
pub fn write_file(path: &Path, bytes: usize) -> std::io::Result<()> {
    let with_path =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let mut file = File::options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(with_path)?;
    let chunk: Vec<u8> = (0..(1usize << 20)).map(|i| (i % 251) as u8 + 1).collect();
    debug_assert_eq!(chunk.len(), 1 << 20, "verify_file's period");
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        file.write_all(&chunk[..n]).map_err(with_path)?;
        left -= n;
    }
    file.sync_all().map_err(with_path)
}

/// Open the probe file `path` for reading, as iolab opens every file it
/// reads (`safefs::open_file`: no link, only a regular file).
///
/// # Errors
/// What `safefs` refuses, or the open.
pub fn open(path: &Path) -> std::io::Result<File> {
    crate::safefs::open_file(path).map_err(std::io::Error::other)
}

/// Read `path` back whole and check it holds what [`write_file`] wrote
/// for `bytes`.
///
/// # Errors
/// A read that failed, or content that differs (naming the offset).
pub fn verify_file(path: &Path, bytes: usize) -> std::io::Result<()> {
    let data = crate::safefs::read_file(path, bytes as u64).map_err(std::io::Error::other)?;
    let expected = (0..bytes).map(|i| (i % (1 << 20) % 251) as u8 + 1);
    match data.iter().copied().zip(expected).position(|(a, b)| a != b) {
        None if data.len() == bytes => Ok(()),
        None => Err(std::io::Error::other(format!(
            "{}: {} bytes read back, {bytes} written",
            path.display(),
            data.len()
        ))),
        Some(at) => Err(std::io::Error::other(format!(
            "{}: byte {at} differs from what was written",
            path.display()
        ))),
    }
}

/// Offsets of 4 KiB blocks in a file, in a fixed pseudo-random order.
#[derive(Clone, Debug)]
pub struct Offsets {
    blocks: u64,
    state: u64,
}

impl Offsets {
    /// Offsets in a file of `bytes`, from `seed`.
    pub fn new(bytes: u64, seed: u64) -> Offsets {
        Offsets {
            blocks: (bytes / BLOCK as u64).max(1),
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    /// The next offset (xorshift).
    pub fn next_offset(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state % self.blocks) * BLOCK as u64
    }
}

/// Latencies of `n` 4 KiB reads of `file`, in microseconds.
///
/// # Errors
/// A read that failed.
pub fn read_latencies(file: &File, n: usize, offsets: &mut Offsets) -> std::io::Result<Vec<f64>> {
    let mut buf = vec![0u8; BLOCK];
    let clock = Clock::start();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let offset = offsets.next_offset();
        let start = clock.now_ns();
        file.read_at(&mut buf, offset)?;
        out.push((clock.now_ns() - start) as f64 / 1e3);
    }
    Ok(out)
}

/// Latencies of `n` 4 KiB reads of `path` by each of `threads` threads
/// reading at once (each its own blocks), in microseconds, all together.
///
/// # Errors
/// A read or open that failed.
pub fn threaded_read_latencies(path: &Path, threads: usize, n: usize) -> std::io::Result<Vec<f64>> {
    let bytes = std::fs::metadata(path)?.len();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|t| {
                scope.spawn(move || {
                    let mut offsets = Offsets::new(bytes, t as u64 + 1);
                    read_latencies(&open(path)?, n, &mut offsets)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(threads * n);
        for w in workers {
            let latencies = w
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a probe thread panicked")))?;
            all.extend(latencies);
        }
        Ok(all)
    })
}

/// Latencies of `n` `stat`s of `path`, in microseconds.
///
/// # Errors
/// A `stat` that failed.
pub fn stat_latencies(path: &Path, n: usize) -> std::io::Result<Vec<f64>> {
    let clock = Clock::start();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let start = clock.now_ns();
        std::fs::symlink_metadata(path)?;
        out.push((clock.now_ns() - start) as f64 / 1e3);
    }
    Ok(out)
}

/// Latencies of creating (and closing) `n` empty files `probe-<i>` in
/// `dir`, in microseconds; the files are removed afterwards, untimed.
///
/// # Errors
/// A creation or removal that failed.
pub fn create_latencies(dir: &Path, n: usize) -> std::io::Result<Vec<f64>> {
    let clock = Clock::start();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let path = dir.join(format!("probe-{i}"));
        let start = clock.now_ns();
        File::options().write(true).create_new(true).open(&path)?;
        out.push((clock.now_ns() - start) as f64 / 1e3);
    }
    for i in 0..n {
        std::fs::remove_file(dir.join(format!("probe-{i}")))?;
    }
    Ok(out)
}

/// 4 KiB reads per second of `path` by `threads` threads, each reading
/// its own random blocks for `duration`.
///
/// # Errors
/// A read or open that failed.
pub fn reads_per_second(path: &Path, threads: usize, duration: Duration) -> std::io::Result<f64> {
    let bytes = std::fs::metadata(path)?.len();
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let clock = Clock::start();
    let result: std::io::Result<()> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let (stop, done) = (&stop, &done);
                scope.spawn(move || -> std::io::Result<()> {
                    let file = open(path)?;
                    let mut buf = vec![0u8; BLOCK];
                    let mut offsets = Offsets::new(bytes, t as u64 + 1);
                    while !stop.load(Ordering::Relaxed) {
                        file.read_at(&mut buf, offsets.next_offset())?;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a probe thread panicked")))
        })
    });
    result?;
    let secs = clock.elapsed().as_secs_f64();
    Ok(done.load(Ordering::Relaxed) as f64 / secs.max(1e-9))
}

/// The load averages of `/proc/loadavg` with the CPU count (`1.02 0.87
/// 0.80 (2 CPUs)`), printed beside every measurement made on a machine
/// others use.
pub fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let three: Vec<&str> = load.split_whitespace().take(3).collect();
    format!("{} ({cpus} CPUs)", three.join(" "))
}

/// The median of `values` (0 for none).
pub fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

/// The `p`-th percentile of `values`, nearest rank (0 for none).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_stay_in_the_file_on_block_boundaries() {
        let mut o = Offsets::new(1 << 20, 3);
        for _ in 0..1000 {
            let at = o.next_offset();
            assert!(at < 1 << 20 && at.is_multiple_of(BLOCK as u64), "{at}");
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(median(&v), 3.0);
        assert_eq!(percentile(&v, 90.0), 5.0);
        assert_eq!(median(&[]), 0.0);
    }
}
