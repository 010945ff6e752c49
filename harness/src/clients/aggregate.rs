//! The aggregate row of one repetition from every rank's row, as IOR
//! reports it: total bytes ÷ (latest end − earliest start), beside the
//! per-rank throughput's min/median/max and the straggler gap (last rank
//! done − first rank done). Region times are seconds since the barrier that
//! opened the timed region ([`super::RegionGate`]).

use crate::results::row::{round, Row, Status, ALL};
use crate::stats::sample::median_of_sorted;

/// The aggregate of `ranks` (one row per rank, in rank order, non-empty):
/// sums of tasks, bytes, CPU, context switches, minor page faults and
/// storage bytes; the
/// largest peak RSS, settle wait and latency percentiles (the worst rank's);
/// the smallest cache residency; wall time from the earliest start to the
/// latest end; status failed (or unavailable) when any rank's is, with the
/// ranks named in the detail.
pub fn aggregate(ranks: &[Row]) -> Row {
    let Some(first) = ranks.first() else {
        return Row::default();
    };
    let mut all = Row {
        rank: ALL.into(),
        ranks: ranks.len() as u32,
        ..first.clone()
    };
    let start = fold(ranks, |r| r.region_start_s, f64::min);
    let end = fold(ranks, |r| r.region_end_s, f64::max);
    let wall = (end - start).max(1e-9);
    all.region_start_s = round(start, 6);
    all.region_end_s = round(end, 6);
    all.wall_s = round(wall, 6);
    all.tasks = ranks.iter().map(|r| r.tasks).sum();
    all.bytes = ranks.iter().map(|r| r.bytes).sum();
    all.mb_per_s = round(all.bytes as f64 / 1e6 / wall, 3);
    all.tasks_per_s = round(all.tasks as f64 / wall, 3);
    all.user_s = round(ranks.iter().map(|r| r.user_s).sum(), 6);
    all.sys_s = round(ranks.iter().map(|r| r.sys_s).sum(), 6);
    let gib = all.bytes as f64 / f64::from(1u32 << 30);
    all.cpu_s_per_gib = if gib > 0.0 {
        round((all.user_s + all.sys_s) / gib, 4)
    } else {
        0.0
    };
    all.peak_rss_bytes = ranks.iter().map(|r| r.peak_rss_bytes).max().unwrap_or(0);
    all.voluntary_ctx = ranks.iter().map(|r| r.voluntary_ctx).sum();
    all.involuntary_ctx = ranks.iter().map(|r| r.involuntary_ctx).sum();
    all.minor_faults = ranks.iter().map(|r| r.minor_faults).sum();
    all.storage_read_bytes = ranks.iter().map(|r| r.storage_read_bytes).sum();
    all.storage_write_bytes = ranks.iter().map(|r| r.storage_write_bytes).sum();
    all.lat_p50_us = fold(ranks, |r| r.lat_p50_us, f64::max);
    all.lat_p90_us = fold(ranks, |r| r.lat_p90_us, f64::max);
    all.lat_p99_us = fold(ranks, |r| r.lat_p99_us, f64::max);
    all.lat_max_us = fold(ranks, |r| r.lat_max_us, f64::max);
    all.settle_s = fold(ranks, |r| r.settle_s, f64::max);
    all.settle_idle = ranks.iter().all(|r| r.settle_idle);
    all.cache_resident_pct = ranks
        .iter()
        .filter_map(|r| r.cache_resident_pct)
        .reduce(f64::min);
    // Rank completion on the common clock, since the earliest start.
    all.first_done_s = round(fold(ranks, |r| r.region_end_s, f64::min) - start, 6);
    all.last_done_s = round(end - start, 6);
    all.straggler_s = Some(round(all.last_done_s - all.first_done_s, 6));
    let mut rates: Vec<f64> = ranks.iter().map(|r| r.mb_per_s).collect();
    rates.sort_by(f64::total_cmp);
    all.rank_mb_per_s_min = rates.first().copied();
    all.rank_mb_per_s_max = rates.last().copied();
    all.rank_mb_per_s_median = Some(round(median_of_sorted(&rates), 3));
    all.planned_tasks = ranks.iter().map(|r| r.planned_tasks).sum();
    all.metrics = metrics(first.workload.metrics(), ranks);
    all.stonewalled = ranks.iter().any(|r| r.stonewalled);
    all.stonewall_tasks = sum(ranks, |r| r.stonewall_tasks);
    all.stonewall_bytes = sum(ranks, |r| r.stonewall_bytes);
    all.wearout_tasks = sum(ranks, |r| r.wearout_tasks);
    all.stonewall_s = ranks
        .iter()
        .filter_map(|r| Some(r.region_start_s + r.stonewall_s?))
        .reduce(f64::max)
        .map(|end| round(end - start, 6));
    all.verified = ranks.iter().all(|r| r.verified);
    let (status, detail) = status_and_detail(ranks);
    all.status = status;
    all.detail = detail;
    all
}

/// The sum of a column every rank has, `None` when any rank lacks it.
fn sum(ranks: &[Row], f: impl Fn(&Row) -> Option<u64>) -> Option<u64> {
    ranks.iter().map(f).sum()
}

fn fold(ranks: &[Row], f: impl Fn(&Row) -> f64, pick: fn(f64, f64) -> f64) -> f64 {
    ranks.iter().map(f).reduce(pick).unwrap_or(0.0)
}

/// Failed if any rank failed, else unavailable if any rank was, else ok;
/// the detail names every rank that did not run clean.
fn status_and_detail(ranks: &[Row]) -> (Status, String) {
    let worst = [Status::Failed, Status::Unavailable]
        .into_iter()
        .find(|s| ranks.iter().any(|r| r.status == *s));
    let bad: Vec<String> = ranks
        .iter()
        .filter(|r| r.status != Status::Ok || !r.verified)
        .map(|r| format!("rank {}: {}", r.rank, r.detail))
        .collect();
    let detail = if bad.is_empty() {
        format!("{} ranks: {}", ranks.len(), ranks[0].detail)
    } else {
        bad.join("; ")
    };
    (worst.unwrap_or(Status::Ok), detail)
}

/// A user workload's metrics over every rank, each by its rule
/// ([`crate::workload::Metric::combine`]: sums add, maxima take the
/// largest, means weigh by tasks, a ratio divides the summed sums).
fn metrics(
    metrics: &[&'static crate::workload::Metric],
    ranks: &[Row],
) -> std::collections::BTreeMap<String, f64> {
    let rows: Vec<_> = ranks.iter().map(|r| (&r.metrics, r.tasks)).collect();
    metrics
        .iter()
        .filter_map(|m| Some((m.name.to_string(), m.combine(&rows)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank(r: u32, start: f64, end: f64, bytes: u64) -> Row {
        Row {
            rank: r.to_string(),
            status: Status::Ok,
            verified: true,
            region_start_s: start,
            region_end_s: end,
            wall_s: end - start,
            bytes,
            tasks: 10,
            mb_per_s: bytes as f64 / 1e6 / (end - start),
            detail: "ok".into(),
            ..Row::default()
        }
    }

    #[test]
    fn user_metrics_combine_over_ranks_by_their_rule() {
        use crate::workload::Metric;
        const RAW: Metric = Metric::sum("raw", "B", "");
        const PACKED: Metric = Metric::sum("packed", "B", "");
        const RATIO: Metric = Metric::ratio("ratio", &PACKED, &RAW, "");
        const SLOWEST: Metric = Metric::max("slowest", "ms", "");
        let mut rows = [rank(0, 0.0, 1.0, 100), rank(1, 0.0, 1.0, 100)];
        for (row, (raw, packed, slowest)) in rows
            .iter_mut()
            .zip([(100.0, 10.0, 3.0), (300.0, 90.0, 5.0)])
        {
            row.metrics = [
                ("raw", raw),
                ("packed", packed),
                ("ratio", packed / raw),
                ("slowest", slowest),
            ]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        }
        let all = metrics(&[&RAW, &PACKED, &RATIO, &SLOWEST], &rows);
        assert_eq!(all["raw"], 400.0);
        assert_eq!(all["packed"], 100.0);
        assert_eq!(
            all["ratio"], 0.25,
            "the summed sums' ratio, not the mean of ratios"
        );
        assert_eq!(all["slowest"], 5.0);
        // A built-in workload lists no metric: the aggregate has none.
        assert!(aggregate(&rows).metrics.is_empty());
    }

    #[test]
    fn aggregate_bandwidth_spans_earliest_start_to_latest_end() {
        let rows = [rank(0, 0.0, 1.0, 1_000_000), rank(1, 0.5, 2.0, 3_000_000)];
        let all = aggregate(&rows);
        assert_eq!(all.rank, "all");
        assert_eq!(all.wall_s, 2.0);
        assert_eq!(all.bytes, 4_000_000);
        assert_eq!(all.mb_per_s, 2.0);
        assert_eq!(all.tasks, 20);
        assert_eq!(all.straggler_s, Some(1.0));
        assert_eq!(all.rank_mb_per_s_min, Some(1.0));
        assert_eq!(all.rank_mb_per_s_max, Some(2.0));
        assert_eq!(all.status, Status::Ok);
        assert_eq!((all.stonewall_tasks, all.stonewall_s), (None, None));
    }

    #[test]
    fn stonewall_figures_add_up_and_one_cut_rank_marks_the_aggregate() {
        let mut rows = [rank(0, 0.0, 1.2, 100), rank(1, 0.1, 1.3, 100)];
        for (r, done) in rows.iter_mut().zip([6, 9]) {
            r.planned_tasks = 10;
            r.stonewall_tasks = Some(done);
            r.stonewall_bytes = Some(done * 10);
            r.stonewall_s = Some(1.0);
            r.wearout_tasks = Some(9 - done);
        }
        rows[0].stonewalled = true;
        let all = aggregate(&rows);
        assert!(all.stonewalled);
        assert_eq!(all.planned_tasks, 20);
        assert_eq!(all.stonewall_tasks, Some(15));
        assert_eq!(all.stonewall_bytes, Some(150));
        assert_eq!(all.wearout_tasks, Some(3));
        assert_eq!(
            all.stonewall_s,
            Some(1.1),
            "latest end since earliest start"
        );
    }

    #[test]
    fn one_failed_rank_fails_the_aggregate_and_is_named() {
        let mut bad = rank(2, 0.0, 1.0, 0);
        bad.status = Status::Failed;
        bad.verified = false;
        bad.detail = "disk full".into();
        let all = aggregate(&[rank(0, 0.0, 1.0, 1), rank(1, 0.0, 1.0, 1), bad]);
        assert_eq!(all.status, Status::Failed);
        assert!(!all.verified);
        assert_eq!(all.detail, "rank 2: disk full");
    }
}
