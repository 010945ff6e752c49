//! The emulator measured just after it is mounted, for its record: its
//! latency and FUSE's own cost.
//!
//! Owns: the calibration's procedure and its record. Does not own: the
//! measurements (`crate::storage::probe`).

use std::fs::File;
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
/// just after mounting. First the compensation: rounds of single-threaded
/// 4 KiB reads and `stat`s with the delay on, from which the time a reply
/// is sent ahead of its due time is found (`compensate`), so a client
/// waits `lat` (`meta`) per request, not `lat` plus the round trip's own
/// cost. Then, with it in
/// force, 4 KiB reads of one file opened once with the delay on, with it
/// off (the zero-latency twin: the same server) and on the backing file
/// directly, in interleaved rounds. Medians, in microseconds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Calibration {
    /// Reads of each kind.
    pub samples: usize,
    /// A 4 KiB read on the mount, as the client sees it: what `lat` asks
    /// for.
    pub read_us: f64,
    /// The same with the delay off.
    pub twin_read_us: f64,
    /// The same read of the backing file, no FUSE.
    pub backing_read_us: f64,
    /// FUSE's own cost per read: twin − backing.
    pub fuse_cost_us: f64,
    /// The read's time beyond the twin's: mount − twin.
    pub added_us: f64,
    /// How far the read is from the delay asked for (`lat`, plus 4 KiB's
    /// transfer time under a `bw` cap), in percent of it (`None` for no
    /// delay).
    pub error_pct: Option<f64>,
    /// A `stat` of the file on the mount (one lookup: one metadata delay).
    pub stat_us: f64,
    /// The same with the delay off.
    pub twin_stat_us: f64,
    /// How long before its due time each data reply is sent: the round
    /// trip's own cost with a delayed reply.
    #[serde(default)]
    pub ahead_data_us: f64,
    /// The same for metadata replies.
    #[serde(default)]
    pub ahead_meta_us: f64,
    /// How late after their send time the timer threads sent the replies
    /// on average (their own error, part of the round trip's cost).
    #[serde(default)]
    pub timer_late_us: f64,
}

/// Rounds of the compensation's measurement.
const COMPENSATION_ROUNDS: usize = 8;
/// Where the compensation aims a typical (median) request: this fraction
/// above the delay asked for, so it waits at least the delay even when
/// the compensation is estimated a little long, and stays well within
/// the 10 % the issue allows when it is estimated a little short.
const AIM_ABOVE: f64 = 0.05;
/// Most reads (and half as many stats) of the compensation's measurement.
const COMPENSATION_SAMPLES: usize = 1000;

/// Find and set the compensation of each class (the doc of
/// [`Calibration`]); returns it, data and metadata, in microseconds.
/// Each round, with the compensation found so far in force, estimates
/// the round trip's own cost as the compensation plus the excess of the
/// round's median over the delay asked for plus [`AIM_ABOVE`] of it; the compensation is then the median
/// of the rounds' estimates (the first round's, with none in force, only
/// starts it), so a burst of load in one round does not set it.
fn compensate(
    emulator: &Emulator,
    timing: &Timing,
    mount_file: &File,
    on_mount: &Path,
    offsets: &mut Offsets,
) -> std::io::Result<(f64, f64)> {
    let n = usize::try_from(CALIBRATION_BUDGET.as_nanos() / slowest(timing).as_nanos())
        .unwrap_or(COMPENSATION_SAMPLES)
        .clamp(4 * COMPENSATION_ROUNDS, COMPENSATION_SAMPLES);
    let per = n.div_ceil(COMPENSATION_ROUNDS);
    let (data_us, meta_us) = (timing.read_delay_us(BLOCK), timing.meta.as_secs_f64() * 1e6);
    let (mut data, mut meta) = (0.0f64, 0.0f64);
    let (mut data_estimates, mut meta_estimates) = (Vec::new(), Vec::new());
    emulator.set_delay(true);
    for _ in 0..COMPENSATION_ROUNDS {
        emulator.set_compensation(micros(data), micros(meta));
        let read = median(&read_latencies(mount_file, per, offsets)?);
        let stat = median(&stat_latencies(on_mount, per.div_ceil(2))?);
        // A delay too short to send ahead of stays at 0 (the reply
        // leaves at once at the most).
        let aim = |us: f64| us * (1.0 + AIM_ABOVE);
        data_estimates.push((data + read - aim(data_us)).clamp(0.0, data_us));
        meta_estimates.push((meta + stat - aim(meta_us)).clamp(0.0, meta_us));
        let settled = |e: &[f64]| median(if e.len() > 1 { &e[1..] } else { e });
        (data, meta) = (settled(&data_estimates), settled(&meta_estimates));
    }
    emulator.set_compensation(micros(data), micros(meta));
    Ok((data, meta))
}

/// Measure `emulator` (mounted on `mount`, serving `backing`) with
/// `timing`, setting its compensation: see [`Calibration`].
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

/// Reads (or stats) of each kind in the measurement after the
/// compensation: as many as fit in its budget at the slowest delay, 20 to
/// 200.
fn samples(timing: &Timing) -> usize {
    usize::try_from(CALIBRATION_BUDGET.as_nanos() / slowest(timing).as_nanos())
        .unwrap_or(200)
        .clamp(20, 200)
}

/// The longer of the two delays (at least 1 µs).
fn slowest(timing: &Timing) -> Duration {
    timing.lat.max(timing.meta).max(Duration::from_micros(1))
}

fn micros(us: f64) -> Duration {
    Duration::from_secs_f64(us.max(0.0) / 1e6)
}

fn calibrate_on(
    emulator: &Emulator,
    timing: &Timing,
    on_mount: &Path,
    on_backing: &Path,
) -> std::io::Result<Calibration> {
    let rounds = 10;
    let per = samples(timing).div_ceil(rounds);
    let mount_file = open(on_mount)?;
    let backing_file = open(on_backing)?;
    let mut offsets = Offsets::new(CALIBRATION_BYTES as u64, 7);
    let (ahead_data_us, ahead_meta_us) =
        compensate(emulator, timing, &mount_file, on_mount, &mut offsets)?;
    let timer_before = emulator.reply_lateness();
    let (mut on, mut off, mut direct) = (Vec::new(), Vec::new(), Vec::new());
    let (mut stat_on, mut stat_off) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        emulator.set_delay(false);
        off.extend(read_latencies(&mount_file, per, &mut offsets)?);
        stat_off.extend(stat_latencies(on_mount, per.div_ceil(2))?);
        emulator.set_delay(true);
        on.extend(read_latencies(&mount_file, per, &mut offsets)?);
        stat_on.extend(stat_latencies(on_mount, per.div_ceil(2))?);
        direct.extend(read_latencies(&backing_file, per, &mut offsets)?);
    }
    let timer_after = emulator.reply_lateness();
    let (read_us, twin_read_us, backing_read_us) = (median(&on), median(&off), median(&direct));
    let lat_us = timing.read_delay_us(BLOCK);
    Ok(Calibration {
        samples: on.len(),
        read_us,
        twin_read_us,
        backing_read_us,
        fuse_cost_us: twin_read_us - backing_read_us,
        added_us: read_us - twin_read_us,
        error_pct: (lat_us > 0.0).then(|| (read_us - lat_us) / lat_us * 100.0),
        stat_us: median(&stat_on),
        twin_stat_us: median(&stat_off),
        ahead_data_us,
        ahead_meta_us,
        timer_late_us: mean_lateness(timer_before, timer_after),
    })
}

/// The timers' mean lateness between two readings of
/// [`Emulator::reply_lateness`], in microseconds.
fn mean_lateness(before: (u64, Duration), after: (u64, Duration)) -> f64 {
    let total = |(n, mean): (u64, Duration)| mean.as_secs_f64() * 1e6 * n as f64;
    let sent = after.0.saturating_sub(before.0);
    if sent == 0 {
        return 0.0;
    }
    (total(after) - total(before)) / sent as f64
}
