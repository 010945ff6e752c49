//! Figure: the metadata workload's file operations per second, one panel
//! per variant (create, stat, open-close, unlink, all), one bar per
//! strategy, fastest first, with the 95 % interval and the speedup over the
//! sequential baseline — the throughput figure, counted in operations
//! instead of bytes (the workload moves none).
//!
//! Operations per second are the tasks per second times the operations
//! each task does, read back from the variant label
//! ([`MetadataSpec::from_label`]); the interval is the wall-time interval
//! turned into a rate over the same operations.

use super::throughput::{Bar, BarPanel, ThroughputFigure};
use super::{Chart, Figure, Section};
use crate::report::{style, view};
use crate::results::Named as _;
use crate::results::SummaryRow;
use crate::workload::{MetadataSpec, MetadataVariant, WorkloadKind};

/// One chart when the run has timed metadata scenarios.
pub fn specs(rows: &[SummaryRow]) -> Vec<Chart> {
    let timed: Vec<(&SummaryRow, MetadataSpec)> = rows
        .iter()
        .filter(|r| {
            r.is_workload(crate::workload::WorkloadKind::Metadata)
                && view::has_time(r)
                && r.tasks_per_s > 0.0
        })
        .filter_map(|r| MetadataSpec::from_label(&r.variant).map(|s| (r, s)))
        .collect();
    if timed.is_empty() {
        return Vec::new();
    }
    let all: Vec<&SummaryRow> = timed.iter().map(|(r, _)| *r).collect();
    let with_cache = view::caches(&all).len() > 1;
    let variants = MetadataVariant::ALL
        .iter()
        .copied()
        .filter(|v| timed.iter().any(|(_, s)| s.variant == *v));
    let panels = variants
        .into_iter()
        .map(|variant| {
            let mut bars: Vec<Bar> = timed
                .iter()
                .filter(|(_, s)| s.variant == variant)
                .map(|(r, s)| bar(r, s, with_cache))
                .collect();
            bars.sort_by(|a, b| b.value.total_cmp(&a.value));
            BarPanel {
                title: variant.as_str().to_string(),
                bars,
            }
        })
        .collect();
    vec![Chart {
        id: "metadata".into(),
        section: Section::Metadata,
        title: "metadata: file operations per second per strategy (higher is better)".into(),
        figure: Figure::Throughput(ThroughputFigure {
            workload: WorkloadKind::Metadata.into(),
            unit: "ops/s".into(),
            panels,
        }),
    }]
}

/// A scenario's bar: operations per second, labelled with the strategy and
/// the files per task.
fn bar(r: &SummaryRow, spec: &MetadataSpec, with_cache: bool) -> Bar {
    let ops = spec.ops_per_task() as f64;
    let value = r.tasks_per_s * ops;
    // Same operations over the interval's wall times: the slower end of the
    // wall interval is the lower end of the rate.
    let rate = |wall: f64| value * r.wall_median_s / wall.max(1e-9);
    let (low, high) = r
        .wall_ci()
        .map_or((value, value), |(lo, hi)| (rate(hi), rate(lo)));
    let baseline = r.is_strategy(crate::strategy::StrategyKind::Sequential);
    let unverified = r.status != crate::results::SummaryStatus::Ok;
    let note = match (unverified, baseline) {
        (true, _) => "unverified".to_string(),
        (false, true) => "baseline".to_string(),
        (false, false) => view::speedup(r).unwrap_or_default(),
    };
    let mut label = format!(
        "{} · {} files/task",
        r.strategy_shown(),
        spec.files_per_task
    );
    if with_cache {
        label = format!("{label} · {}", r.cache);
    }
    Bar {
        label,
        strategy: r.strategy,
        colour: style::hex(style::strategy_colour(r.strategy)),
        value,
        low: low.min(value),
        high: high.max(value),
        baseline,
        unverified,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(variant: &str, strategy: &str, tasks_per_s: f64, wall: f64) -> SummaryRow {
        SummaryRow {
            workload: WorkloadKind::Metadata.into(),
            variant: variant.into(),
            strategy: strategy.parse().unwrap(),
            strategy_label: strategy.into(),
            cache: crate::measure::cache::CacheState::Warm,
            status: crate::results::SummaryStatus::Ok,
            tasks_per_s,
            wall_median_s: wall,
            wall_ci_low_s: Some(wall * 0.5),
            wall_ci_high_s: Some(wall * 2.0),
            ..SummaryRow::default()
        }
    }

    #[test]
    fn one_panel_per_variant_in_phase_order_counting_operations() {
        let rows = vec![
            row("all,files=4", "sequential", 100.0, 1.0),
            row("create,files=4", "threads", 1000.0, 0.1),
            row("create,files=4", "sequential", 500.0, 0.2),
            row("read-ish", "sequential", 500.0, 0.2),
        ];
        let charts = specs(&rows);
        assert_eq!(charts.len(), 1);
        let Figure::Throughput(f) = &charts[0].figure else {
            panic!("not a bar figure")
        };
        let titles: Vec<&str> = f.panels.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["all", "create"]);
        // all: 4 files × 4 phases per task.
        assert_eq!(f.panels[0].bars[0].value, 1600.0);
        assert_eq!(
            (f.panels[0].bars[0].low, f.panels[0].bars[0].high),
            (800.0, 3200.0)
        );
        let create: Vec<(&str, f64)> = f.panels[1]
            .bars
            .iter()
            .map(|b| (b.strategy.name(), b.value))
            .collect();
        assert_eq!(create, [("threads", 4000.0), ("sequential", 2000.0)]);
        assert!(f.panels[1].bars[1].baseline);
        assert_eq!(f.unit, "ops/s");
    }

    #[test]
    fn no_metadata_rows_no_chart() {
        let mut r = row("create,files=4", "sequential", 0.0, 1.0);
        r.status = crate::results::SummaryStatus::Failed;
        assert!(specs(&[r]).is_empty());
    }
}
