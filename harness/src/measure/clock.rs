//! The one clock of timed paths: monotonic nanoseconds since a start.

use std::time::{Duration, Instant};

/// A monotonic clock started at a known instant; every timing in a
/// repetition is read from one of these.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    /// Start now.
    pub fn start() -> Clock {
        Clock {
            start: Instant::now(),
        }
    }

    /// Nanoseconds since the start.
    pub fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

/// Nanoseconds on `CLOCK_MONOTONIC`: one system-wide clock, so a deadline
/// read from it means the same moment in every process of this machine.
pub fn monotonic_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}
