//! The emulator measured just after it is mounted, for its record: its
//! latency and FUSE's own cost.
//!
//! Owns: the calibration's procedure and its record. Does not own: the
//! measurements (`crate::storage::probe`).

use std::path::Path;
use std::time::Duration;

use super::{Emulator, Timing};
use crate::storage::probe::{
    median, open, read_latencies, stat_latencies, write_file, Offsets, BLOCK,
};

/// Name of the probe file the calibration puts in the backing folder.
const CALIBRATION_FILE: &str = ".iolab-calibration";
/// Bytes of the calibration's probe file.
const CALIBRATION_BYTES: usize = 1 << 20;
/// Time the calibration spends on delayed reads, about.
const CALIBRATION_BUDGET: Duration = Duration::from_millis(250);

/// The emulator's accuracy and FUSE's own cost, measured on the mount
/// just after mounting: single-threaded 4 KiB reads of one file opened
/// once, with the delay on, with it off (the zero-latency twin: the same
/// server) and on the backing file directly, in interleaved rounds.
/// Medians, in microseconds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Calibration {
    /// Reads of each kind.
    pub samples: usize,
    /// A 4 KiB read on the mount.
    pub read_us: f64,
    /// The same with the delay off.
    pub twin_read_us: f64,
    /// The same read of the backing file, no FUSE.
    pub backing_read_us: f64,
    /// FUSE's own cost per read: twin − backing.
    pub fuse_cost_us: f64,
    /// The delay the reads paid: mount − twin.
    pub added_us: f64,
    /// How far that is from the delay asked for (`lat`, plus 4 KiB's
    /// transfer time under a `bw` cap), in percent of it (`None` for no
    /// delay).
    pub error_pct: Option<f64>,
    /// A `stat` of the file on the mount (a lookup and a getattr: two
    /// metadata delays).
    pub stat_us: f64,
    /// The same with the delay off.
    pub twin_stat_us: f64,
}

/// Measure `emulator` (mounted on `mount`, serving `backing`) with
/// `timing`: see [`Calibration`].
///
/// # Errors
/// A probe file that cannot be written, read or removed.
pub fn calibrate(
    emulator: &Emulator,
    timing: &Timing,
    mount: &Path,
    backing: &Path,
) -> std::io::Result<Calibration> {
    let backing_file = backing.join(CALIBRATION_FILE);
    write_file(&backing_file, CALIBRATION_BYTES)?;
    let result = calibrate_on(
        emulator,
        timing,
        &mount.join(CALIBRATION_FILE),
        &backing_file,
    );
    emulator.set_delay(true);
    std::fs::remove_file(&backing_file)?;
    result
}

fn calibrate_on(
    emulator: &Emulator,
    timing: &Timing,
    on_mount: &Path,
    on_backing: &Path,
) -> std::io::Result<Calibration> {
    let slowest = timing.lat.max(timing.meta).max(Duration::from_micros(1));
    let n = usize::try_from(CALIBRATION_BUDGET.as_nanos() / slowest.as_nanos())
        .unwrap_or(200)
        .clamp(20, 200);
    let rounds = 10;
    let per = n.div_ceil(rounds);
    let mount_file = open(on_mount)?;
    let backing_file = open(on_backing)?;
    let (mut on, mut off, mut direct) = (Vec::new(), Vec::new(), Vec::new());
    let (mut stat_on, mut stat_off) = (Vec::new(), Vec::new());
    let mut offsets = Offsets::new(CALIBRATION_BYTES as u64, 7);
    for _ in 0..rounds {
        emulator.set_delay(false);
        off.extend(read_latencies(&mount_file, per, &mut offsets)?);
        stat_off.extend(stat_latencies(on_mount, per.div_ceil(2))?);
        emulator.set_delay(true);
        on.extend(read_latencies(&mount_file, per, &mut offsets)?);
        stat_on.extend(stat_latencies(on_mount, per.div_ceil(2))?);
        direct.extend(read_latencies(&backing_file, per, &mut offsets)?);
    }
    let (read_us, twin_read_us, backing_read_us) = (median(&on), median(&off), median(&direct));
    let added_us = read_us - twin_read_us;
    let lat_us = timing.read_delay_us(BLOCK);
    Ok(Calibration {
        samples: on.len(),
        read_us,
        twin_read_us,
        backing_read_us,
        fuse_cost_us: twin_read_us - backing_read_us,
        added_us,
        error_pct: (lat_us > 0.0).then(|| (added_us - lat_us) / lat_us * 100.0),
        stat_us: median(&stat_on),
        twin_stat_us: median(&stat_off),
    })
}
