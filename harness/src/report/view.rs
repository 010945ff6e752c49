//! Small, pure readings of summary rows shared by charts, tables and text:
//! which rows have a time to show, how a scenario is labelled, the order
//! workloads and cache states appear in, number formatting.
//!
//! Owns: no state, no I/O. Does not own: statistics (`crate::stats`) or how
//! anything is drawn.

use crate::measure::cache::CacheState;
use crate::results::SummaryRow;
use crate::workload::WorkloadId;

/// Whether the row has a measured time to chart: `ok`, or `unverified`
/// (timed, marked as such).
pub fn has_time(s: &SummaryRow) -> bool {
    s.status.timed() && s.wall_median_s > 0.0
}

/// The method part of a variant label: `direct` of `direct,chunk=1MiB`;
/// a label that starts with a knob names the method after it
/// (`buffer=64KiB` is `buffered`, `block=4KiB` is `block`).
pub fn method(variant: &str) -> &str {
    let first = variant.split(',').next().unwrap_or(variant);
    match first.split_once('=') {
        Some(("buffer", _)) => "buffered",
        Some((key, _)) => key,
        None => first,
    }
}

/// Workloads present in `rows`, in registration order (ones this binary
/// does not register follow, alphabetically: [`WorkloadId`]'s order).
pub fn workloads(rows: &[SummaryRow]) -> Vec<WorkloadId> {
    let mut ids: Vec<WorkloadId> = rows.iter().map(|r| r.workload).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Each workload present in `rows` (sorted) with its rows that `keep`
/// accepts (none, when it accepts none of them): what one chart per
/// workload starts from.
pub fn by_workload(
    rows: &[SummaryRow],
    keep: impl Fn(&SummaryRow) -> bool,
) -> Vec<(WorkloadId, Vec<&SummaryRow>)> {
    workloads(rows)
        .into_iter()
        .map(|w| {
            (
                w,
                rows.iter().filter(|r| r.workload == w && keep(r)).collect(),
            )
        })
        .collect()
}

/// Cache states present in `rows`: `warm` before `cold`.
pub fn caches(rows: &[&SummaryRow]) -> Vec<CacheState> {
    let mut states: Vec<CacheState> = rows.iter().map(|r| r.cache).collect();
    states.sort();
    states.dedup();
    states
}

/// Distinct values of `key` over `rows`, in first-seen order.
pub fn distinct<T: PartialEq>(rows: &[&SummaryRow], key: impl Fn(&SummaryRow) -> T) -> Vec<T> {
    let mut out = Vec::new();
    for r in rows {
        let k = key(r);
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// Whether the row has a throughput to chart (external commands report no
/// byte count, so their MB/s is 0; they are compared by time instead).
pub fn has_throughput(s: &SummaryRow) -> bool {
    has_time(s) && s.mb_per_s > 0.0
}

/// A scenario's label inside a chart of one workload: the strategy label,
/// preceded by the variant when the chart mixes variants and followed by the
/// cache state when it mixes those.
pub fn label(s: &SummaryRow, with_variant: bool, with_cache: bool) -> String {
    let mut out = String::new();
    if with_variant {
        out.push_str(&s.variant);
        out.push_str(" · ");
    }
    out.push_str(&s.strategy_shown());
    if with_cache {
        out.push_str(" · ");
        out.push_str(s.cache.as_str());
    }
    out
}

/// A number with about three significant figures: `1234`, `12.3`, `0.123`.
pub fn sig3(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "–".into()
    } else if a >= 100.0 || a == 0.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// An axis tick: like [`sig3`] without trailing zeros (`20`, not `20.0`).
pub fn tick(x: f64) -> String {
    let s = sig3(x);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Seconds in a readable unit: `850 µs`, `12.3 ms`, `1.50 s`.
pub fn duration(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{} µs", sig3(seconds * 1e6))
    } else if seconds < 1.0 {
        format!("{} ms", sig3(seconds * 1e3))
    } else {
        format!("{} s", sig3(seconds))
    }
}

/// A count with thousands separators: `20,000`.
pub use crate::results::footing::grouped as count;

/// A duration with its interval in one unit, the point's: `193 [107, 247] ms`.
/// What is shown in place of an interval when fewer than two repetitions
/// were timed.
pub const NO_INTERVAL: &str = "(n = 1: no interval)";

/// `[low, high]` with `f` applied to each end, or [`NO_INTERVAL`].
pub fn interval(ci: Option<(f64, f64)>, f: impl Fn(f64) -> String) -> String {
    ci.map_or_else(
        || NO_INTERVAL.to_string(),
        |(low, high)| format!("[{}, {}]", f(low), f(high)),
    )
}

/// A duration with its interval: `1.23 [1.20, 1.31] ms`, or
/// `1.23 ms (n = 1: no interval)`.
pub fn duration_ci(point: f64, ci: Option<(f64, f64)>) -> String {
    let (scale, unit) = if point < 1e-3 {
        (1e6, "µs")
    } else if point < 1.0 {
        (1e3, "ms")
    } else {
        (1.0, "s")
    };
    match ci {
        Some(_) => format!(
            "{} {} {unit}",
            sig3(point * scale),
            interval(ci, |v| sig3(v * scale))
        ),
        None => format!("{} {unit} {NO_INTERVAL}", sig3(point * scale)),
    }
}

/// Bytes in binary units: `64 KiB`, `1 MiB`, `512 B`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{} {}", sig3(value), UNITS[unit])
    }
}

/// A speedup with its interval: `2.31× [1.90, 2.70]`.
pub fn speedup(s: &SummaryRow) -> Option<String> {
    let point = s.speedup?;
    let ci = s.speedup_ci_low.zip(s.speedup_ci_high);
    Some(format!(
        "{point:.2}× {}",
        interval(ci, |v| format!("{v:.2}"))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(workload: &str, cache: &str) -> SummaryRow {
        SummaryRow {
            workload: WorkloadId::named(workload),
            cache: clap::ValueEnum::from_str(cache, false).unwrap(),
            ..SummaryRow::default()
        }
    }

    #[test]
    fn workloads_and_caches_come_in_a_fixed_order() {
        let rows = vec![
            row("zeta", "cold"),
            row("scan", "cold"),
            row("read", "warm"),
        ];
        let names: Vec<&str> = workloads(&rows).iter().map(|w| w.name()).collect();
        assert_eq!(names, ["read", "scan", "zeta"]);
        let refs: Vec<&SummaryRow> = rows.iter().collect();
        assert_eq!(caches(&refs), vec![CacheState::Warm, CacheState::Cold]);
    }

    #[test]
    fn commands_are_labelled_by_program() {
        let r = SummaryRow {
            scenario_id: "append/mutex/command-append_lock-8/warm".into(),
            strategy: crate::strategy::StrategyKind::Command,
            strategy_label: "command(8)".into(),
            program: Some("append_lock".into()),
            workers: 8,
            ..SummaryRow::default()
        };
        assert_eq!(r.strategy_shown(), "command append_lock (8)");
        assert_eq!(label(&r, true, true), " · command append_lock (8) · warm");
    }

    #[test]
    fn formats() {
        assert_eq!(method("direct,chunk=1MiB"), "direct");
        assert_eq!(method("mmap"), "mmap");
        assert_eq!(method("buffer=64KiB"), "buffered");
        assert_eq!(method("chunk=1MiB,end-sync"), "chunk");
        assert_eq!(sig3(1234.5), "1234");
        assert_eq!(sig3(12.345), "12.3");
        assert_eq!(sig3(0.01234), "0.012");
        assert_eq!(tick(20.0), "20");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(duration(0.0123), "12.3 ms");
        assert_eq!(duration(0.00085), "850 µs");
        assert_eq!(bytes(65536), "64 KiB");
        assert_eq!(bytes(1 << 20), "1 MiB");
        assert_eq!(bytes(1), "1 B");
        assert_eq!(count(20000), "20,000");
        assert_eq!(count(999), "999");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(
            duration_ci(0.193, Some((0.107, 0.247))),
            "193 [107, 247] ms"
        );
        assert_eq!(duration_ci(0.193, None), "193 ms (n = 1: no interval)");
    }
}
