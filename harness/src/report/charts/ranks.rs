//! Figure: throughput per MPI rank, for runs with more than one rank. One
//! chart per workload, one panel per scenario, one bar per rank (median
//! MB/s over the measured repetitions, whiskers from the slowest to the
//! fastest repetition), so a straggling rank stands out. Drawn as the
//! throughput figure is ([`super::throughput::draw`]).

use std::collections::BTreeMap;

use super::throughput::{Bar, BarPanel, ThroughputFigure};
use super::{Chart, Figure, Section};
use crate::report::style;
use crate::results::{Row, Status};
use crate::stats::sample::median_of_sorted;
use crate::workload::WorkloadId;

/// One chart per workload of the per-rank rows (none without them).
pub fn specs(rank_rows: &[Row]) -> Vec<Chart> {
    let mut by_workload: BTreeMap<WorkloadId, BTreeMap<&str, Vec<&Row>>> = BTreeMap::new();
    for r in rank_rows
        .iter()
        .filter(|r| !r.warmup && r.status == Status::Ok)
    {
        by_workload
            .entry(r.workload)
            .or_default()
            .entry(r.scenario_id.as_str())
            .or_default()
            .push(r);
    }
    by_workload
        .into_iter()
        .map(|(workload, scenarios)| Chart {
            id: format!("ranks-{workload}"),
            section: Section::Ranks,
            title: format!("{workload}: throughput per rank (MB/s, higher is better)"),
            figure: Figure::Throughput(ThroughputFigure {
                workload,
                unit: "MB/s".into(),
                panels: scenarios
                    .into_iter()
                    .map(|(id, rows)| panel(id, &rows))
                    .collect(),
            }),
        })
        .collect()
}

fn panel(scenario: &str, rows: &[&Row]) -> BarPanel {
    let mut per_rank: BTreeMap<u32, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        per_rank
            .entry(r.rank.parse().unwrap_or(u32::MAX))
            .or_default()
            .push(r);
    }
    let mut bars: Vec<Bar> = per_rank
        .into_iter()
        .map(|(rank, reps)| {
            let mut rates: Vec<f64> = reps.iter().map(|r| r.mb_per_s).collect();
            rates.sort_by(f64::total_cmp);
            let n = rates.len();
            let median = median_of_sorted(&rates);
            let unverified = reps.iter().any(|r| !r.verified);
            Bar {
                label: format!("rank {rank}"),
                strategy: reps[0].strategy,
                colour: style::hex(style::strategy_colour(reps[0].strategy)),
                value: median,
                low: rates[0],
                high: rates[n - 1],
                baseline: false,
                unverified,
                note: format!("{n} reps{}", if unverified { ", unverified" } else { "" }),
            }
        })
        .collect();
    if let Some(slowest) = bars.iter_mut().min_by(|a, b| a.value.total_cmp(&b.value)) {
        slowest.note.push_str(", slowest");
    }
    BarPanel {
        title: scenario.to_string(),
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rank: &str, rep: u32, mb: f64) -> Row {
        Row {
            scenario_id: "read/whole/sequential/warm".into(),
            workload: crate::workload::WorkloadKind::Read.into(),
            strategy: crate::strategy::StrategyKind::Sequential,
            rank: rank.into(),
            rep,
            mb_per_s: mb,
            status: Status::Ok,
            verified: true,
            ..Row::default()
        }
    }

    #[test]
    fn one_bar_per_rank_with_the_median_and_the_slowest_marked() {
        let rows = [
            row("0", 0, 10.0),
            row("0", 1, 30.0),
            row("1", 0, 5.0),
            row("1", 1, 7.0),
        ];
        let charts = specs(&rows);
        assert_eq!(charts.len(), 1);
        let Figure::Throughput(f) = &charts[0].figure else {
            panic!("a throughput figure");
        };
        let bars = &f.panels[0].bars;
        assert_eq!(bars.len(), 2);
        assert_eq!(
            (bars[0].value, bars[0].low, bars[0].high),
            (20.0, 10.0, 30.0)
        );
        assert!(bars[1].note.ends_with("slowest"));
        assert!(specs(&[]).is_empty());
    }
}
