//! What a timed region shares with the other clients of a repetition (MPI
//! ranks): the moment it opens ([`Gate::open`], a barrier, called by
//! [`Meter::start`](super::Meter::start) after all of its own setup and
//! just before the clock starts), and the stonewall ([`Stonewall`]), whose
//! deadline counts from that start; with wear-out, the largest task count
//! any client reached ([`Gate::most_done`]).
//!
//! It does not own the clients themselves (`crate::clients` implements
//! [`Gate`] over them) nor what a strategy does at the deadline.

use serde::{Deserialize, Serialize};

use super::Clock;

/// What a timed region opens with and agrees on: the other clients of the
/// repetition, or nobody ([`Alone`]).
pub trait Gate {
    /// Wait for the other clients. Called once per region by
    /// [`Meter::start`](super::Meter::start), after the meter's own setup
    /// (and every strategy's: records reserved, buffers made) and just
    /// before its clock starts, so the region starts right after it.
    fn open(&self);

    /// The largest `done` of any client: the stonewall's wear-out (IOR's
    /// `MPI_Allreduce(MPI_MAX)` of the pairs each rank accessed), called
    /// once per region, after its stonewall phase, by a strategy whose
    /// [`Stonewall::wearout`] is set.
    fn most_done(&self, done: u64) -> u64;
}

/// One process alone: the region opens at once, and its own count is the
/// largest.
#[derive(Clone, Copy, Debug, Default)]
pub struct Alone;

impl Gate for Alone {
    fn open(&self) {}

    fn most_done(&self, done: u64) -> u64 {
        done
    }
}

/// The stonewall of a repetition (IOR `-D`; with `wearout`, IOR's `-O
/// stoneWallingWearOut=1`): no task is taken `after_ns` after the timed
/// region's start; with wear-out, each client then goes on until it has
/// done as many tasks as the client that did most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stonewall {
    /// The deadline, in nanoseconds after the region's start.
    pub after_ns: u64,
    /// Whether the wear-out phase follows the deadline.
    pub wearout: bool,
}

impl Stonewall {
    /// The deadline of the region whose clock is `clock`, as an absolute
    /// `CLOCK_MONOTONIC` time in ns (the same moment in every process of
    /// this machine: worker processes read it against their own clock).
    pub fn deadline_ns(&self, clock: &Clock) -> u64 {
        clock.origin().origin_ns.saturating_add(self.after_ns)
    }
}

/// Whether the deadline `deadline_ns` (from [`Stonewall::deadline_ns`]) has
/// passed: one `CLOCK_MONOTONIC` read.
#[inline]
pub fn past(deadline_ns: Option<u64>) -> bool {
    deadline_ns.is_some_and(|d| super::monotonic_ns() >= d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_counts_from_the_clocks_start() {
        let clock = Clock::start();
        let at = |after_ns| Stonewall {
            after_ns,
            wearout: false,
        };
        let hour = at(3_600_000_000_000).deadline_ns(&clock);
        assert_eq!(hour, clock.origin().origin_ns + 3_600_000_000_000);
        assert!(!past(Some(hour)), "an hour from now");
        assert!(past(Some(at(0).deadline_ns(&clock))), "at the start");
        assert!(!past(None), "no stonewall never passes");
        assert_eq!(Alone.most_done(7), 7);
    }
}
