//! The report's tables of user metrics: one per workload whose scenarios
//! have metrics (the `m_` columns of `summary.csv`), a row per scenario
//! and a column per metric, each the median over the verified
//! repetitions with its 95 % interval, in the metric's unit where this
//! binary registers the workload (plain `iolab` reading a user's run
//! folder shows the numbers without units).
//!
//! Owns: those tables as data. Does not own their rendering (`markdown`,
//! `html`) or the statistics (`results::summary`).

use crate::results::{MetricSummary, SummaryRow};
use crate::workload::WorkloadId;

/// One workload's metrics table.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MetricTable {
    /// The workload.
    pub workload: WorkloadId,
    /// The header: `Scenario`, then each metric with its unit.
    pub header: Vec<String>,
    /// A row per scenario: its label, then each metric's `median [low … high]`.
    pub rows: Vec<Vec<String>>,
}

/// The metrics tables of a run's summary rows, in workload order.
pub fn tables(summary: &[SummaryRow]) -> Vec<MetricTable> {
    let mut workloads: Vec<WorkloadId> = summary
        .iter()
        .filter(|r| !r.metrics.is_empty())
        .map(|r| r.workload)
        .collect();
    workloads.sort();
    workloads.dedup();
    workloads
        .into_iter()
        .map(|w| table(w, summary.iter().filter(|r| r.workload == w)))
        .collect()
}

fn table<'a>(
    workload: WorkloadId,
    rows: impl Iterator<Item = &'a SummaryRow> + Clone,
) -> MetricTable {
    // The description's order where it is known, then any other by name.
    let mut names: Vec<String> = workload
        .metrics()
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    for r in rows.clone() {
        for name in r.metrics.keys() {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let unit = |name: &str| {
        workload
            .metrics()
            .iter()
            .find(|m| m.name == name)
            .map_or("", |m| m.unit)
    };
    let mut header = vec!["Scenario".to_string()];
    header.extend(names.iter().map(|n| match unit(n) {
        "" => n.clone(),
        u => format!("{n} ({u})"),
    }));
    let rows = rows
        .map(|r| {
            let mut cells = vec![format!(
                "{} · {} · {}",
                r.variant,
                r.strategy_shown(),
                r.cache
            )];
            cells.extend(
                names
                    .iter()
                    .map(|n| r.metrics.get(n).map_or_else(|| "–".into(), shown)),
            );
            cells
        })
        .collect();
    MetricTable {
        workload,
        header,
        rows,
    }
}

/// `median [low … high]` with four significant digits (the median alone
/// without an interval).
fn shown(m: &MetricSummary) -> String {
    match (m.ci_low, m.ci_high) {
        (Some(l), Some(h)) => format!("{} [{} … {}]", sig(m.median), sig(l), sig(h)),
        _ => sig(m.median),
    }
}

fn sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (4 - 1 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_per_workload_with_metrics_and_a_cell_per_metric() {
        let mut a = SummaryRow {
            workload: WorkloadId::named("gzip-input"),
            variant: "flate2".into(),
            cache: crate::measure::cache::CacheState::Warm,
            ..SummaryRow::default()
        };
        a.metrics.insert(
            "ratio".into(),
            MetricSummary {
                median: 0.2512,
                ci_low: Some(0.25),
                ci_high: Some(0.26),
            },
        );
        let plain = SummaryRow {
            workload: WorkloadId::named("read"),
            ..SummaryRow::default()
        };
        let t = tables(&[a, plain]);
        assert_eq!(t.len(), 1, "the workload without metrics has no table");
        assert_eq!(t[0].header, ["Scenario", "ratio"]);
        assert_eq!(t[0].rows[0][1], "0.2512 [0.2500 … 0.2600]");
    }
}
