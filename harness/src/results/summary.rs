//! `summary.csv`: one row per scenario from its measured, verified
//! repetitions — median wall time with a 95 % bootstrap interval, range,
//! throughput, and the speedup over the sequential baseline with its own
//! interval.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::columns::row_type;
use super::row::{round, Row, Status};
use crate::stats::{self, Bootstrap, Sample};

/// A scenario's status over its measured repetitions, written as `ok`,
/// `unverified`, `failed` or `unavailable` (serde and
/// [`Display`](fmt::Display) give the same text).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SummaryStatus {
    /// At least one repetition ran and verified.
    Ok,
    /// Repetitions ran but none verified: their times are shown, marked.
    Unverified,
    /// None ran (the default until the repetitions are looked at).
    #[default]
    Failed,
    /// None could run here.
    Unavailable,
}

impl SummaryStatus {
    /// The text written in `summary.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            SummaryStatus::Ok => "ok",
            SummaryStatus::Unverified => "unverified",
            SummaryStatus::Failed => "failed",
            SummaryStatus::Unavailable => "unavailable",
        }
    }

    /// Whether repetitions ran to the end, so there are times to show
    /// (`ok` or `unverified`).
    pub fn timed(self) -> bool {
        match self {
            SummaryStatus::Ok | SummaryStatus::Unverified => true,
            SummaryStatus::Failed | SummaryStatus::Unavailable => false,
        }
    }

    /// The status of a scenario whose measured repetitions are `group`.
    fn of(group: &[&Row]) -> SummaryStatus {
        let any = |s: Status| group.iter().any(|r| r.status == s);
        if group.iter().any(|r| r.verified && r.status == Status::Ok) {
            SummaryStatus::Ok
        } else if any(Status::Ok) {
            SummaryStatus::Unverified
        } else if any(Status::Unavailable) {
            SummaryStatus::Unavailable
        } else {
            SummaryStatus::Failed
        }
    }
}

impl fmt::Display for SummaryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

row_type! {
/// One scenario's summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    ..ScenarioIdentity,
    /// Over the measured repetitions: see [`SummaryStatus`].
    pub status: SummaryStatus,
    /// Measured repetitions (warm-ups excluded).
    pub n: u32,
    /// Of those, verified.
    pub n_verified: u32,
    /// Median wall seconds (verified repetitions).
    pub wall_median_s: f64,
    /// Its 95 % interval, low; empty when fewer than [`MIN_INTERVAL_N`]
    /// repetitions were timed (n = 1 has no interval).
    pub wall_ci_low_s: Option<f64>,
    /// Its 95 % interval, high.
    pub wall_ci_high_s: Option<f64>,
    /// Fastest repetition.
    pub wall_min_s: f64,
    /// Slowest repetition.
    pub wall_max_s: f64,
    /// Mean wall seconds.
    pub wall_mean_s: f64,
    /// Standard deviation of wall seconds.
    pub wall_std_s: f64,
    /// Coefficient of variation of wall seconds.
    pub wall_cv: f64,
    /// Repetitions flagged as outliers.
    pub outliers: u32,
    /// Median throughput, MB/s.
    pub mb_per_s: f64,
    /// Its interval, low (from the wall interval); empty like the wall's.
    pub mb_per_s_ci_low: Option<f64>,
    /// Its interval, high.
    pub mb_per_s_ci_high: Option<f64>,
    /// Median tasks per second.
    pub tasks_per_s: f64,
    /// Median user CPU seconds.
    pub user_s: f64,
    /// Median system CPU seconds.
    pub sys_s: f64,
    /// Median peak RSS bytes.
    pub peak_rss_bytes: u64,
    /// Median minor page faults per repetition; empty when its rows have
    /// none (files from before the column).
    #[serde(default)]
    pub minor_faults: Option<u64>,
    /// Median p50 task latency, µs.
    pub lat_p50_us: f64,
    /// Median p99 task latency, µs.
    pub lat_p99_us: f64,
    /// Median cache residency at start, percent.
    pub cache_resident_pct: Option<f64>,
    /// Speedup over the sequential baseline (baseline time / this time).
    pub speedup: Option<f64>,
    /// Its interval, low; empty when either side has fewer than
    /// [`MIN_INTERVAL_N`] verified repetitions (no verdict then).
    pub speedup_ci_low: Option<f64>,
    /// Its interval, high.
    pub speedup_ci_high: Option<f64>,
    /// Median intact appended lines.
    pub append_intact: Option<u64>,
    /// Median corrupted appended lines.
    pub append_corrupted: Option<u64>,
    /// Median missing appended lines.
    pub append_missing: Option<u64>,
    /// Most torn save targets seen.
    pub torn: Option<u64>,
    /// The first failure or unavailability message, if any.
    pub detail: String,
    /// Repetitions in the fast mode, when the wall times fall into two
    /// ([`crate::stats::modes`]); empty with one mode.
    #[serde(default)]
    pub fast_mode_n: Option<u32>,
    /// Median wall seconds of the fast mode.
    #[serde(default)]
    pub fast_mode_median_s: Option<f64>,
    /// Repetitions in the slow mode.
    #[serde(default)]
    pub slow_mode_n: Option<u32>,
    /// Median wall seconds of the slow mode.
    #[serde(default)]
    pub slow_mode_median_s: Option<f64>,
    /// A user workload's metrics over the verified repetitions, by name:
    /// the columns `m_<name>` (median), `m_<name>_ci_low` and
    /// `m_<name>_ci_high` after every other (`results::write_summary`).
    #[serde(skip)]
    pub metrics: BTreeMap<String, MetricSummary>,
}
}

/// One metric over a scenario's timed repetitions: the median and, with
/// [`MIN_INTERVAL_N`] or more, its 95 % bootstrap interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MetricSummary {
    /// Median of the repetitions' values.
    pub median: f64,
    /// Its 95 % interval, low.
    pub ci_low: Option<f64>,
    /// Its 95 % interval, high.
    pub ci_high: Option<f64>,
}

impl MetricSummary {
    const LOW: &'static str = "_ci_low";
    const HIGH: &'static str = "_ci_high";

    /// The metric `name`'s columns in `summary.csv`.
    pub(super) fn columns(name: &str) -> [String; 3] {
        let c = crate::workload::metric::column(name);
        [
            c.clone(),
            format!("{c}{}", Self::LOW),
            format!("{c}{}", Self::HIGH),
        ]
    }

    /// The cell of the column named `name` without its `m_`.
    pub(super) fn cell(metrics: &BTreeMap<String, MetricSummary>, name: &str) -> Option<String> {
        let (metric, part) = Self::split(name);
        let m = metrics.get(metric)?;
        let v = match part {
            Some(Self::LOW) => m.ci_low?,
            Some(_) => m.ci_high?,
            None => m.median,
        };
        Some(v.to_string())
    }

    /// Set the part of a metric's summary a column holds (`name` without
    /// its `m_`).
    pub(super) fn set(row: &mut SummaryRow, name: &str, value: f64) {
        let (metric, part) = Self::split(name);
        let m = row.metrics.entry(metric.to_string()).or_default();
        match part {
            Some(Self::LOW) => m.ci_low = Some(value),
            Some(_) => m.ci_high = Some(value),
            None => m.median = value,
        }
    }

    fn split(name: &str) -> (&str, Option<&'static str>) {
        [Self::LOW, Self::HIGH]
            .into_iter()
            .find_map(|suffix| Some((name.strip_suffix(suffix)?, Some(suffix))))
            .unwrap_or((name, None))
    }
}

/// Each metric of `rows` over them: median and interval.
fn summarize_metrics(rows: &[&Row], boot: &Bootstrap) -> BTreeMap<String, MetricSummary> {
    let names: std::collections::BTreeSet<&String> =
        rows.iter().flat_map(|r| r.metrics.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let values = rows
                .iter()
                .filter_map(|r| r.metrics.get(name).copied())
                .collect();
            let sample = Sample::new(values).ok()?;
            let sum = stats::summarize(&sample, boot);
            let interval = sample.len() >= MIN_INTERVAL_N;
            Some((
                name.clone(),
                MetricSummary {
                    median: sum.median.point,
                    ci_low: interval.then_some(sum.median.ci.low),
                    ci_high: interval.then_some(sum.median.ci.high),
                },
            ))
        })
        .collect()
}

/// Fewest timed repetitions that give an interval: one repetition has no
/// spread, so a bootstrap of it would be a zero-width interval.
pub const MIN_INTERVAL_N: usize = 2;

impl SummaryRow {
    /// The wall-time interval, when there is one.
    pub fn wall_ci(&self) -> Option<(f64, f64)> {
        self.wall_ci_low_s.zip(self.wall_ci_high_s)
    }

    /// The throughput interval, when there is one.
    pub fn mb_per_s_ci(&self) -> Option<(f64, f64)> {
        self.mb_per_s_ci_low.zip(self.mb_per_s_ci_high)
    }

    /// The strategy as people read it: the recorded label, with the program
    /// for external commands (`command append_lock (8)`), whose labels alone
    /// would not tell them apart.
    pub fn strategy_shown(&self) -> String {
        match &self.program {
            Some(p) => format!("command {p} ({})", self.workers),
            None => self.strategy_label.clone(),
        }
    }

    /// Whether the scenario ran on the first N corpus files only (`+first-N`).
    pub fn on_subset(&self) -> bool {
        self.variant.contains("+first-")
    }

    /// Whether its writers were killed mid-run (`+kill-N pct`).
    pub fn killed(&self) -> bool {
        self.variant.contains("+kill-")
    }
}

/// `rows` without the subset scenarios of any workload and cache state that
/// also has scenarios on the whole corpus: "fastest" is then about the whole
/// corpus, and a subset wins only where nothing else ran.
pub fn prefer_whole_corpus<'a>(rows: &[&'a SummaryRow]) -> Vec<&'a SummaryRow> {
    rows.iter()
        .filter(|r| {
            !r.on_subset()
                || !rows
                    .iter()
                    .any(|o| o.workload == r.workload && o.cache == r.cache && !o.on_subset())
        })
        .copied()
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn median_u64(v: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    let v: Vec<f64> = v.flatten().map(|x| x as f64).collect();
    (!v.is_empty()).then(|| median(v).round() as u64)
}

/// Summarise measured rows per scenario, sorted by scenario id: the
/// aggregate rows (`rank` = `all`), never one MPI rank's.
pub fn summarize_rows(rows: &[Row], seed: u64) -> Vec<SummaryRow> {
    let boot = Bootstrap {
        seed,
        ..Bootstrap::default()
    };
    let mut groups: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.warmup && r.is_aggregate()) {
        groups.entry(r.scenario_id.as_str()).or_default().push(r);
    }
    let mut out: Vec<SummaryRow> = groups.values().map(|g| summarize_group(g, &boot)).collect();
    let walls: BTreeMap<String, Sample> = groups
        .iter()
        .filter_map(|(id, g)| Some((id.to_string(), verified_walls(g)?)))
        .collect();
    for s in &mut out {
        if let (Some(base), Some(this)) = (walls.get(&s.baseline_id), walls.get(&s.scenario_id)) {
            if let Ok(e) = stats::speedup(base, this, &boot) {
                s.speedup = Some(round(e.point, 4));
                if base.len().min(this.len()) >= MIN_INTERVAL_N {
                    s.speedup_ci_low = Some(round(e.ci.low, 4));
                    s.speedup_ci_high = Some(round(e.ci.high, 4));
                }
            }
        }
    }
    out
}

/// Wall times of the verified repetitions, the only ones speedups use.
fn verified_walls(group: &[&Row]) -> Option<Sample> {
    let good: Vec<&Row> = group
        .iter()
        .copied()
        .filter(|r| r.verified && r.status == Status::Ok)
        .collect();
    walls(&good)
}

/// The repetitions whose times a summary rests on: the verified ones, or
/// when none verified, every one that ran (`ok`). `--reps auto` decides on
/// the same ones.
pub fn timed<'a>(group: &[&'a Row]) -> Vec<&'a Row> {
    let good: Vec<&Row> = group
        .iter()
        .copied()
        .filter(|r| r.verified && r.status == Status::Ok)
        .collect();
    if !good.is_empty() {
        return good;
    }
    group
        .iter()
        .copied()
        .filter(|r| r.status == Status::Ok)
        .collect()
}

fn walls(rows: &[&Row]) -> Option<Sample> {
    Sample::new(rows.iter().map(|r| r.wall_s.max(1e-9)).collect()).ok()
}

fn summarize_group(group: &[&Row], boot: &Bootstrap) -> SummaryRow {
    let first = group[0];
    let mut s = SummaryRow {
        status: SummaryStatus::of(group),
        n: group.len() as u32,
        n_verified: group.iter().filter(|r| r.verified).count() as u32,
        detail: group
            .iter()
            .find(|r| !r.verified || r.status != Status::Ok)
            .map(|r| r.detail.clone())
            .unwrap_or_default(),
        append_intact: median_u64(group.iter().map(|r| r.append_intact)),
        append_corrupted: median_u64(group.iter().map(|r| r.append_corrupted)),
        append_missing: median_u64(group.iter().map(|r| r.append_missing)),
        torn: group.iter().filter_map(|r| r.torn).max(),
        ..SummaryRow::from_identity(first.identity())
    };
    let timed = timed(group);
    let Some(sample) = walls(&timed) else {
        return s;
    };
    let good = timed;
    s.metrics = summarize_metrics(&good, boot);
    let sum = stats::summarize(&sample, boot);
    let bytes = median(good.iter().map(|r| r.bytes as f64).collect());
    s.wall_median_s = round(sum.median.point, 6);
    let interval = good.len() >= MIN_INTERVAL_N;
    if interval {
        s.wall_ci_low_s = Some(round(sum.median.ci.low, 6));
        s.wall_ci_high_s = Some(round(sum.median.ci.high, 6));
        s.mb_per_s_ci_low = Some(round(bytes / 1e6 / sum.median.ci.high.max(1e-9), 3));
        s.mb_per_s_ci_high = Some(round(bytes / 1e6 / sum.median.ci.low.max(1e-9), 3));
    }
    s.wall_min_s = round(sum.min, 6);
    s.wall_max_s = round(sum.max, 6);
    s.wall_mean_s = round(sum.mean, 6);
    s.wall_std_s = round(sum.std_dev, 6);
    s.wall_cv = round(sum.cv.unwrap_or(0.0), 4);
    s.outliers = sum.outliers.len() as u32;
    s.mb_per_s = round(median(good.iter().map(|r| r.mb_per_s).collect()), 3);
    s.tasks_per_s = round(median(good.iter().map(|r| r.tasks_per_s).collect()), 3);
    s.user_s = round(median(good.iter().map(|r| r.user_s).collect()), 6);
    s.sys_s = round(median(good.iter().map(|r| r.sys_s).collect()), 6);
    s.peak_rss_bytes = median(good.iter().map(|r| r.peak_rss_bytes as f64).collect()) as u64;
    s.minor_faults = median_u64(good.iter().map(|r| r.minor_faults));
    s.lat_p50_us = round(median(good.iter().map(|r| r.lat_p50_us).collect()), 3);
    s.lat_p99_us = round(median(good.iter().map(|r| r.lat_p99_us).collect()), 3);
    let resident: Vec<f64> = good.iter().filter_map(|r| r.cache_resident_pct).collect();
    s.cache_resident_pct = (!resident.is_empty()).then(|| round(median(resident), 2));
    if let Some(m) = stats::modes::two_modes(sample.values()) {
        s.fast_mode_n = Some(m.fast.n as u32);
        s.fast_mode_median_s = Some(round(m.fast.median, 6));
        s.slow_mode_n = Some(m.slow.n as u32);
        s.slow_mode_median_s = Some(round(m.slow.median, 6));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::ScenarioIdentity;
    use crate::workload::WorkloadId;

    fn row(workload: &str, variant: &str, cache: &str) -> SummaryRow {
        SummaryRow {
            workload: WorkloadId::named(workload),
            variant: variant.into(),
            cache: clap::ValueEnum::from_str(cache, false).unwrap(),
            ..SummaryRow::default()
        }
    }

    fn rep(scenario: &str, baseline: &str, wall_s: f64) -> Row {
        Row {
            scenario_id: scenario.into(),
            baseline_id: baseline.into(),
            status: Status::Ok,
            verified: true,
            wall_s,
            bytes: 1_000_000,
            mb_per_s: 1.0 / wall_s,
            ..Row::default()
        }
    }

    #[test]
    fn one_repetition_has_no_interval_and_no_speedup_interval() {
        let rows = [rep("seq", "seq", 1.0), rep("thr", "seq", 0.5)];
        let out = summarize_rows(&rows, 1);
        let thr = &out[1];
        assert_eq!((thr.n, thr.wall_median_s), (1, 0.5));
        assert_eq!(thr.wall_ci(), None);
        assert_eq!(thr.mb_per_s_ci(), None);
        assert_eq!(thr.speedup, Some(2.0));
        assert_eq!((thr.speedup_ci_low, thr.speedup_ci_high), (None, None));
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.serialize(thr).unwrap();
        let text = String::from_utf8(csv.into_inner().unwrap()).unwrap();
        let back: SummaryRow = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(&back, thr, "empty cells load back as None: {text}");
    }

    #[test]
    fn two_repetitions_have_an_interval() {
        let rows = [
            rep("seq", "seq", 1.0),
            rep("seq", "seq", 1.1),
            rep("thr", "seq", 0.5),
            rep("thr", "seq", 0.6),
        ];
        let out = summarize_rows(&rows, 1);
        let (lo, hi) = out[1].wall_ci().unwrap();
        assert!(lo <= out[1].wall_median_s && out[1].wall_median_s <= hi);
        assert!(out[1].mb_per_s_ci().is_some() && out[1].speedup_ci_low.is_some());
    }

    #[test]
    fn subsets_give_way_to_the_whole_corpus_only_where_both_ran() {
        let rows = [
            row("write", "one-write", "warm"),
            row("write", "one-write+first-1000", "warm"),
            row("atomic-save", "rename+first-1000", "warm"),
            row("atomic-save", "rename+kill-20pct", "warm"),
        ];
        let all: Vec<&SummaryRow> = rows.iter().collect();
        let kept: Vec<&str> = prefer_whole_corpus(&all)
            .iter()
            .map(|r| r.variant.as_str())
            .collect();
        assert_eq!(kept, ["one-write", "rename+kill-20pct"]);
        assert!(rows[3].killed() && !rows[3].on_subset());
        // Without the killed row the subset is all atomic-save has.
        let some: Vec<&SummaryRow> = rows[..3].iter().collect();
        assert_eq!(prefer_whole_corpus(&some).len(), 2);
    }

    /// The column names a type writes as a `csv` header.
    fn header<T: Default + serde::Serialize>() -> Vec<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(T::default()).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        text.lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect()
    }

    #[test]
    fn both_files_write_the_identity_in_one_order() {
        let identity = header::<ScenarioIdentity>();
        assert_eq!(identity.len(), 17);
        let runs = header::<Row>();
        assert_eq!(runs[0], "run_id");
        assert_eq!(runs[1..=identity.len()], identity[..]);
        assert_eq!(header::<SummaryRow>()[..identity.len()], identity[..]);
    }

    #[test]
    fn a_row_made_from_an_identity_gives_it_back() {
        let identity = ScenarioIdentity {
            scenario_id: "read/whole/threads-2/warm".into(),
            workers: 2,
            batch: Some(0),
            ..ScenarioIdentity::default()
        };
        let row = Row::from_identity(identity.clone());
        assert_eq!(row.identity(), identity);
        assert_eq!(
            SummaryRow::from_identity(identity.clone()).identity(),
            identity
        );
    }
}
