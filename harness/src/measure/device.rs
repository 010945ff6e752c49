//! The storage device's own read speed, measured once per run with
//! `O_DIRECT` reads that bypass the page cache, and the check that a "cold"
//! repetition did not read faster than that from the block layer (which
//! means a lower cache — the host of a virtual disk, a RAID controller —
//! served it).
//!
//! Owns: the probe and the comparison. Does not own: reading files with
//! `O_DIRECT` (`sys::cache`) or where the result is recorded
//! (`results::machine`).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Clock;
use crate::io::Buf;
use crate::sys::cache::{read_direct, DIRECT_ALIGN};

/// At most this many bytes per pass (128 MiB).
pub const PROBE_BYTES: u64 = 128 << 20;
/// At most this long per pass.
pub const PROBE_TIME: Duration = Duration::from_secs(2);
/// A cold repetition reading from the block layer faster than this many
/// times the device's direct-read speed is served by a lower cache.
pub const LOWER_CACHE_FACTOR: f64 = 1.5;
/// Below this many bytes read from the block layer, a rate says nothing.
pub const MIN_CHECKED_BYTES: u64 = 4 << 20;
const CHUNK: usize = 1 << 20;

/// The probe's result, recorded in `run.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectRead {
    /// Device read speed, first pass over the region, MB/s (10^6);
    /// `None` when unavailable.
    pub mb_per_s: Option<f64>,
    /// The same region read again at once, MB/s: far above the first pass,
    /// a cache below the page cache kept it.
    pub repeat_mb_per_s: Option<f64>,
    /// Bytes read per pass.
    pub bytes: u64,
    /// What was read, or why nothing was (`unavailable: …`, `not measured: …`).
    pub note: String,
}

/// Read up to [`PROBE_BYTES`] of `files` (in order) with `O_DIRECT`, twice.
pub fn probe(files: &[PathBuf]) -> DirectRead {
    let first = match pass(files) {
        Ok(p) => p,
        Err(why) => {
            return DirectRead {
                note: why,
                ..DirectRead::default()
            }
        }
    };
    let repeat = pass(files).ok();
    let rate = |(bytes, t): (u64, Duration)| bytes as f64 / 1e6 / t.as_secs_f64().max(1e-9);
    let what = match files {
        [one] => one.display().to_string(),
        _ => format!("{} corpus files from {}", files.len(), first_name(files)),
    };
    DirectRead {
        mb_per_s: Some(round1(rate(first))),
        repeat_mb_per_s: repeat.map(|r| round1(rate(r))),
        bytes: first.0,
        note: format!("O_DIRECT, {} KiB reads, of {what}", CHUNK >> 10),
    }
}

fn first_name(files: &[PathBuf]) -> String {
    files
        .first()
        .map(|f| f.display().to_string())
        .unwrap_or_default()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// One pass: bytes read and the time it took.
fn pass(files: &[PathBuf]) -> Result<(u64, Duration), String> {
    if files.is_empty() {
        return Err("not measured: no input files".into());
    }
    let mut buf = Buf::aligned(CHUNK, DIRECT_ALIGN);
    let clock = Clock::start();
    let mut bytes = 0u64;
    for f in files {
        if bytes >= PROBE_BYTES || clock.elapsed() >= PROBE_TIME {
            break;
        }
        bytes += read_direct(f, buf.as_mut_slice(), PROBE_BYTES - bytes)
            .map_err(|e| format!("unavailable: O_DIRECT read of {}: {e}", f.display()))?;
    }
    Ok((bytes, clock.elapsed()))
}

/// The warning for a cold repetition that read `read_bytes` from the block
/// layer in `wall_s` when the device reads at `device_mb_per_s`, if it read
/// clearly faster ([`LOWER_CACHE_FACTOR`]).
pub fn lower_cache_warning(read_bytes: u64, wall_s: f64, device_mb_per_s: f64) -> Option<String> {
    if read_bytes < MIN_CHECKED_BYTES || wall_s <= 0.0 || device_mb_per_s <= 0.0 {
        return None;
    }
    let rate = read_bytes as f64 / 1e6 / wall_s;
    (rate > LOWER_CACHE_FACTOR * device_mb_per_s).then(|| {
        format!(
            "cold read {rate:.0} MB/s from the block layer, above the device's direct-I/O {device_mb_per_s:.0} MB/s: a lower cache (the host of a virtual disk, a RAID controller) served it"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_only_when_clearly_faster_than_the_device() {
        let mb = 1_000_000;
        // 600 MB/s against a 390 MB/s device: 1.54×.
        let w = lower_cache_warning(600 * mb, 1.0, 390.0).unwrap();
        assert!(w.contains("600 MB/s") && w.contains("390 MB/s"), "{w}");
        assert_eq!(lower_cache_warning(500 * mb, 1.0, 390.0), None);
        assert_eq!(
            lower_cache_warning(1 << 20, 0.0001, 390.0),
            None,
            "too few bytes"
        );
        assert_eq!(lower_cache_warning(600 * mb, 1.0, 0.0), None);
    }

    #[test]
    fn probe_reads_a_real_file_or_says_why() {
        let dir = tempfile::tempdir_in(".").unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 3 << 20]).unwrap();
        let p = probe(std::slice::from_ref(&path));
        match p.mb_per_s {
            Some(_) => assert_eq!(p.bytes, 3 << 20),
            None => assert!(p.note.starts_with("unavailable"), "{}", p.note),
        }
        assert!(probe(&[]).note.starts_with("not measured"));
    }
}
