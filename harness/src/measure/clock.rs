//! The one clock of timed paths: monotonic nanoseconds since a start. A
//! clock's start can be handed to a worker process ([`Clock::origin`],
//! [`Clock::at_origin`]) so that its task completion times are on the
//! parent's clock.
//!
//! A task's latency costs one read of this clock, so the read is the CPU's
//! time-stamp counter where the kernel keeps time by it
//! ([`crate::sys::tsc`]: 14 ns here, against 33 ns for `clock_gettime`),
//! scaled by a rate measured once per process against `CLOCK_MONOTONIC`
//! before any timed region; elsewhere it is `clock_gettime` itself.
//! [`source`] says which (recorded in `run.json`).

use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sys::tsc;

/// How long the counter's rate is measured for, once per process: the
/// rate's error is about 60 ns (two clock reads) over this, 3 × 10⁻⁵.
const CALIBRATION: Duration = Duration::from_millis(2);

/// A monotonic clock started at a known instant; every timing in a
/// repetition is read from one of these.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// The start, in `CLOCK_MONOTONIC` nanoseconds.
    origin_ns: u64,
    /// The counter at the start and its rate, where it is the clock.
    tsc: Option<TscMap>,
}

/// Ticks to nanoseconds since a clock's start.
#[derive(Clone, Copy, Debug)]
struct TscMap {
    /// The counter at the clock's start.
    origin_ticks: u64,
    /// Nanoseconds per tick, as a fraction of 2³².
    ns_per_tick_q32: u64,
}

/// A clock's start as another process needs it to read the same clock
/// ([`Clock::at_origin`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockOrigin {
    /// The start, in `CLOCK_MONOTONIC` nanoseconds.
    pub origin_ns: u64,
    /// The counter's rate as this process measured it (nanoseconds per
    /// tick × 2³²), so the worker uses the same one without measuring its
    /// own inside the timed region; `None` where the counter is not used.
    pub ns_per_tick_q32: Option<u64>,
}

/// Which clock timed paths read: `tsc` or `clock_gettime`, with the reason
/// the counter is not used.
pub fn source() -> String {
    match rate() {
        Some(_) => "tsc".into(),
        None => format!(
            "clock_gettime ({})",
            tsc::unusable().unwrap_or_else(|| "the counter's rate could not be measured".into())
        ),
    }
}

/// Measure the counter's rate now if this process has not yet (a timed
/// region calls it before it reads anything else, so the measuring is
/// never part of the region).
pub fn calibrate() {
    rate();
}

/// The counter's rate (nanoseconds per tick × 2³²), measured the first
/// time it is asked for (taking [`CALIBRATION`]), or `None` where the
/// counter is not the clock.
fn rate() -> Option<u64> {
    static RATE: OnceLock<Option<u64>> = OnceLock::new();
    *RATE.get_or_init(|| {
        if tsc::unusable().is_some() {
            return None;
        }
        let (n0, t0) = paired_read();
        std::thread::sleep(CALIBRATION);
        let (n1, t1) = paired_read();
        let (ns, ticks) = (n1.checked_sub(n0)?, t1.checked_sub(t0)?);
        u64::try_from((u128::from(ns) << 32) / u128::from(ticks).max(1))
            .ok()
            .filter(|&q| q > 0)
    })
}

/// Attempts of [`paired_read`]: the tightest pair is kept, so a thread
/// interrupted between its reads does not skew the rate.
const PAIR_ATTEMPTS: usize = 5;

/// `CLOCK_MONOTONIC` and the counter at (nearly) the same instant: the
/// counter halfway between two reads around the clock's, from the attempt
/// whose two counter reads lie closest together.
fn paired_read() -> (u64, u64) {
    let mut best = (u64::MAX, 0, 0);
    for _ in 0..PAIR_ATTEMPTS {
        let before = tsc::ticks();
        let ns = monotonic_ns();
        let span = tsc::ticks().saturating_sub(before);
        if span < best.0 {
            best = (span, ns, before + span / 2);
        }
    }
    (best.1, best.2)
}

impl Clock {
    /// Start now (measuring the counter's rate first, the first time in a
    /// process, so a timed region that starts a clock never contains it).
    pub fn start() -> Clock {
        let rate = rate();
        let (origin_ns, ticks) = paired_read();
        Clock {
            origin_ns,
            tsc: rate.map(|ns_per_tick_q32| TscMap {
                origin_ticks: ticks,
                ns_per_tick_q32,
            }),
        }
    }

    /// Nanoseconds since the start: one counter read, a multiplication and
    /// a shift (or one `clock_gettime`, a vDSO call), the whole cost of a
    /// task's latency.
    #[inline]
    pub fn now_ns(&self) -> u64 {
        match self.tsc {
            Some(map) => {
                let ticks = tsc::ticks().saturating_sub(map.origin_ticks);
                ((u128::from(ticks) * u128::from(map.ns_per_tick_q32)) >> 32) as u64
            }
            None => monotonic_ns().saturating_sub(self.origin_ns),
        }
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.now_ns())
    }

    /// The start as another process needs it: `CLOCK_MONOTONIC`, the
    /// system-wide clock, and the counter's rate.
    pub fn origin(&self) -> ClockOrigin {
        ClockOrigin {
            origin_ns: self.origin_ns,
            ns_per_tick_q32: self.tsc.map(|m| m.ns_per_tick_q32),
        }
    }

    /// A clock that started at `origin` (from [`Clock::origin`], maybe in
    /// another process of this machine); one started now if that lies in
    /// the future. Reads the counter with the origin's rate where the
    /// origin has one: its process found the counter usable on this same
    /// machine, so this one neither checks again nor measures (a worker
    /// calls this inside the parent's timed region).
    pub fn at_origin(origin: ClockOrigin) -> Clock {
        let (now_ns, ticks) = paired_read();
        let origin_ns = origin.origin_ns.min(now_ns);
        let map = origin.ns_per_tick_q32.map(|q| {
            let since = (u128::from(now_ns - origin_ns) << 32) / u128::from(q.max(1));
            TscMap {
                origin_ticks: ticks.saturating_sub(u64::try_from(since).unwrap_or(u64::MAX)),
                ns_per_tick_q32: q,
            }
        });
        Clock {
            origin_ns,
            tsc: map,
        }
    }
}

/// Nanoseconds on `CLOCK_MONOTONIC`: one system-wide clock, so a deadline
/// read from it means the same moment in every process of this machine.
pub fn monotonic_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec.max(0) as u64) * 1_000_000_000 + t.tv_nsec.max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_origin_gives_the_same_clock() {
        let a = Clock::start();
        std::thread::sleep(Duration::from_millis(300));
        let b = Clock::at_origin(a.origin());
        let (ta, tb) = (a.now_ns(), b.now_ns());
        // Both read ≥ 300 ms; a clock started anew would read ~0.
        assert!(tb >= 300_000_000, "{tb}");
        assert!(ta.abs_diff(tb) < 150_000_000, "{ta} vs {tb}");
    }

    #[test]
    fn the_clock_keeps_pace_with_clock_monotonic() {
        let clock = Clock::start();
        let (m0, c0) = (monotonic_ns(), clock.now_ns());
        std::thread::sleep(Duration::from_millis(200));
        let (m1, c1) = (monotonic_ns(), clock.now_ns());
        // The same 200 ms on both, within 1 % (a wrong rate, or ticks
        // taken for nanoseconds, is off by far more).
        let (mono, ours) = ((m1 - m0) as f64, (c1 - c0) as f64);
        assert!(
            (ours / mono - 1.0).abs() < 0.01,
            "{ours} ns vs {mono} ns ({})",
            source()
        );
    }
}
