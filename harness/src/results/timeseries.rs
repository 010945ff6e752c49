//! `timeseries.csv`: throughput inside each repetition, per interval of
//! [`INTERVAL_NS`] (100 ms), from the tasks' completion times, so a stall
//! shows where it happened rather than only in the total.
//!
//! Owns: binning completions into intervals and the file's row type. Does
//! not own: recording completion times (the strategies' lanes do, on the
//! timed region's clock) or drawing them (`report::charts::timeline`).

use serde::{Deserialize, Serialize};

use super::row::round;

/// Width of one interval: 100 ms.
pub const INTERVAL_NS: u64 = 100_000_000;

/// One interval of one repetition.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Run identifier.
    pub run_id: String,
    /// Scenario identifier.
    pub scenario_id: String,
    /// Repetition number, as in `runs.csv`.
    pub rep: u32,
    /// Start of the interval, seconds since the region opened.
    pub t_s: f64,
    /// Tasks that finished in it.
    pub tasks: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// Those bytes over the interval's length (the last one may be shorter),
    /// MB/s (10^6).
    pub mb_per_s: f64,
}

/// Which repetition a series belongs to.
#[derive(Clone, Copy, Debug)]
pub struct SeriesKey<'a> {
    /// Run identifier.
    pub run_id: &'a str,
    /// Scenario identifier.
    pub scenario_id: &'a str,
    /// Repetition number.
    pub rep: u32,
}

/// Bin task completions `(done_ns, bytes)` of a region that lasted `wall_ns`
/// into intervals of `interval_ns`, every interval present (empty ones are
/// the stalls). Completions after `wall_ns` fall into the last interval.
pub fn bin(
    key: SeriesKey<'_>,
    completions: impl Iterator<Item = (u64, u64)>,
    wall_ns: u64,
    interval_ns: u64,
) -> Vec<SeriesPoint> {
    let interval_ns = interval_ns.max(1);
    let count = wall_ns.div_ceil(interval_ns).max(1);
    let mut sums = vec![(0u64, 0u64); count as usize];
    for (done, bytes) in completions {
        let i = (done / interval_ns).min(count - 1) as usize;
        sums[i].0 += 1;
        sums[i].1 += bytes;
    }
    sums.into_iter()
        .enumerate()
        .map(|(i, (tasks, bytes))| {
            let start = i as u64 * interval_ns;
            let len = if i as u64 == count - 1 {
                wall_ns.saturating_sub(start).clamp(1, interval_ns)
            } else {
                interval_ns
            };
            SeriesPoint {
                run_id: key.run_id.to_string(),
                scenario_id: key.scenario_id.to_string(),
                rep: key.rep,
                t_s: round(start as f64 / 1e9, 3),
                tasks,
                bytes,
                mb_per_s: round(bytes as f64 / 1e6 / (len as f64 / 1e9), 3),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: SeriesKey<'static> = SeriesKey {
        run_id: "r",
        scenario_id: "read/whole/threads/warm",
        rep: 2,
    };

    #[test]
    fn a_stall_is_an_empty_interval() {
        let ms = 1_000_000;
        // Two tasks at 10 and 90 ms, none for 200 ms, one at 350 ms; 380 ms region.
        let done = [
            (10 * ms, 1_000_000),
            (90 * ms, 1_000_000),
            (350 * ms, 500_000),
        ];
        let s = bin(KEY, done.into_iter(), 380 * ms, INTERVAL_NS);
        let tasks: Vec<u64> = s.iter().map(|p| p.tasks).collect();
        assert_eq!(tasks, [2, 0, 0, 1]);
        assert_eq!(s[0].mb_per_s, 20.0);
        // The last interval is 80 ms long: 0.5 MB in 0.08 s.
        assert_eq!(s[3].mb_per_s, 6.25);
        assert_eq!(s[3].t_s, 0.3);
        assert!(s.iter().all(|p| p.rep == 2 && p.run_id == "r"));
    }

    #[test]
    fn late_completions_and_tiny_regions_keep_one_interval() {
        let s = bin(KEY, [(5, 10), (900, 10)].into_iter(), 0, INTERVAL_NS);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].tasks, 2);
    }
}
