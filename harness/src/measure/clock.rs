//! The one clock of timed paths: monotonic nanoseconds since a start. A
//! clock's start can be handed to a worker process ([`Clock::origin_ns`],
//! [`Clock::at_origin`]) so that its task completion times are on the
//! parent's clock.

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

    /// The start as `CLOCK_MONOTONIC` nanoseconds, the system-wide clock
    /// behind [`Instant`] on Linux, so another process can share it.
    pub fn origin_ns(&self) -> u64 {
        monotonic_ns().saturating_sub(self.now_ns())
    }

    /// A clock that started at `origin_ns` (from [`Clock::origin_ns`], maybe
    /// in another process); one started now if that lies in the future.
    pub fn at_origin(origin_ns: u64) -> Clock {
        let now = Instant::now();
        let ago = Duration::from_nanos(monotonic_ns().saturating_sub(origin_ns));
        Clock {
            start: now.checked_sub(ago).unwrap_or(now),
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
        let b = Clock::at_origin(a.origin_ns());
        let (ta, tb) = (a.now_ns(), b.now_ns());
        // Both read ≥ 300 ms; a clock started anew would read ~0.
        assert!(tb >= 300_000_000, "{tb}");
        assert!(ta.abs_diff(tb) < 150_000_000, "{ta} vs {tb}");
    }
}
