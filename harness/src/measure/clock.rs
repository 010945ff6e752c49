//! The one clock of timed paths: monotonic nanoseconds since a start. A
//! clock's start can be handed to a worker process ([`Clock::origin_ns`],
//! [`Clock::at_origin`]) so that its task completion times are on the
//! parent's clock.

use std::time::Duration;

/// A monotonic clock started at a known instant; every timing in a
/// repetition is read from one of these.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// The start, in `CLOCK_MONOTONIC` nanoseconds.
    origin_ns: u64,
}

impl Clock {
    /// Start now.
    pub fn start() -> Clock {
        Clock {
            origin_ns: monotonic_ns(),
        }
    }

    /// Nanoseconds since the start: one `clock_gettime` (a vDSO call, no
    /// system call) and a subtraction, the whole cost of a task's latency.
    pub fn now_ns(&self) -> u64 {
        monotonic_ns().saturating_sub(self.origin_ns)
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.now_ns())
    }

    /// The start as `CLOCK_MONOTONIC` nanoseconds, the system-wide clock,
    /// so another process can share it.
    pub fn origin_ns(&self) -> u64 {
        self.origin_ns
    }

    /// A clock that started at `origin_ns` (from [`Clock::origin_ns`], maybe
    /// in another process); one started now if that lies in the future.
    pub fn at_origin(origin_ns: u64) -> Clock {
        Clock {
            origin_ns: origin_ns.min(monotonic_ns()),
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
