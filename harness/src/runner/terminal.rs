//! The terminal summary after a run, in the manner of hyperfine: per
//! scenario the median time with its interval (and the interval's width
//! as a share of the median, what `--reps auto` targets), both modes when
//! the repetitions fall into two clusters, the range with how many
//! repetitions the figures rest on, throughput, and the speedup over the
//! sequential baseline; then the equal-footing notes
//! ([`crate::results::footing`]).

use std::io::{self, Write};

use crate::results::footing;
use crate::results::Named as _;
use crate::results::{DispatchCost, SummaryRow, SummaryStatus};
use crate::strategy::StrategyKind;

/// Seconds in a readable unit.
pub fn format_time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

/// Write the summary of `rows` to `out`.
///
/// # Errors
/// Write errors of `out`.
pub fn print_summary(out: &mut impl Write, rows: &[SummaryRow]) -> io::Result<()> {
    rows.iter().try_for_each(|r| print_scenario(out, r))
}

/// One scenario's lines: its name, then its status, or its times,
/// throughput and speedup.
fn print_scenario(out: &mut impl Write, r: &SummaryRow) -> io::Result<()> {
    writeln!(
        out,
        "{} {} · {} · {}",
        r.workload, r.variant, r.strategy_label, r.cache
    )?;
    if !r.status.timed() {
        return writeln!(out, "  {}: {}", r.status.as_str().to_uppercase(), r.detail);
    }
    if r.status == SummaryStatus::Unverified {
        writeln!(
            out,
            "  UNVERIFIED (times below are of runs whose data did not check): {}",
            r.detail
        )?;
    }
    writeln!(
        out,
        "  Time (median):  {:>10}  {}",
        format_time(r.wall_median_s),
        interval(r)
    )?;
    if let Some(modes) = modes(r) {
        writeln!(out, "  {modes}")?;
    }
    writeln!(
        out,
        "  Range (min … max): {} … {}   {} reps, {} verified{}",
        format_time(r.wall_min_s),
        format_time(r.wall_max_s),
        r.n,
        r.n_verified,
        if r.outliers > 0 {
            format!(", {} outliers", r.outliers)
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "  Throughput:     {:.1} MB/s, {:.0} tasks/s",
        r.mb_per_s, r.tasks_per_s
    )?;
    if let Some(speedup) = speedup(r) {
        writeln!(out, "  Speedup over sequential: {speedup}")?;
    }
    if r.n_verified < r.n && r.status == SummaryStatus::Ok {
        writeln!(
            out,
            "  UNVERIFIED repetitions: {} — {}",
            r.n - r.n_verified,
            r.detail
        )?;
    }
    Ok(())
}

/// The median time's 95 % interval with its width as a share of the
/// median and the coefficient of variation, or why there is none.
fn interval(r: &SummaryRow) -> String {
    match r.wall_ci() {
        Some((lo, hi)) => format!(
            "[95% CI {} … {}, {:.1}% of median]  ±{:.1}% σ/mean",
            format_time(lo),
            format_time(hi),
            100.0 * (hi - lo) / r.wall_median_s.max(1e-12),
            r.wall_cv * 100.0
        ),
        None => format!(
            "n = {}: no interval",
            if r.status == SummaryStatus::Ok {
                r.n_verified
            } else {
                r.n
            }
        ),
    }
}

/// The speedup over the sequential baseline with its interval and
/// verdict; none for the baseline itself or a row without a speedup.
fn speedup(r: &SummaryRow) -> Option<String> {
    let s = r
        .speedup
        .filter(|_| !r.is_strategy(StrategyKind::Sequential))?;
    Some(match r.speedup_ci_low.zip(r.speedup_ci_high) {
        Some((lo, hi)) => format!("{s:.2}× [{lo:.2} … {hi:.2}]{}", verdict(lo, hi)),
        None => format!("{s:.2}× (n = 1: no interval, no verdict)"),
    })
}

/// Write the equal-footing findings of `rows` (a run's summary, with the
/// machine's logical CPUs and the run's dispatch calibration from its
/// `run.json`), one `note:` line each: one-core pairs that disagree,
/// speedups beyond the cores.
///
/// # Errors
/// Write errors of `out`.
pub fn print_footing(
    out: &mut impl Write,
    rows: &[SummaryRow],
    cores: usize,
    dispatch: &[DispatchCost],
) -> io::Result<()> {
    let found = footing::check(rows, cores, dispatch);
    if !found.is_empty() {
        writeln!(out)?;
    }
    for f in &found {
        let what = match f {
            footing::Footing::OneCoreDisagrees { .. } => "one core, three ways",
            footing::Footing::Superlinear { .. } => "speedup beyond the cores",
        };
        writeln!(out, "note: {what}: {}: {f}", f.scenario_id())?;
    }
    Ok(())
}

/// `2 modes: 3× ≈520.0 ms, 2× ≈7.100 s` when the summary found two
/// clusters (`crate::stats::modes`).
fn modes(r: &SummaryRow) -> Option<String> {
    Some(format!(
        "2 modes: {}× ≈{}, {}× ≈{} (one median describes neither)",
        r.fast_mode_n?,
        format_time(r.fast_mode_median_s?),
        r.slow_mode_n?,
        format_time(r.slow_mode_median_s?)
    ))
}

fn verdict(lo: f64, hi: f64) -> &'static str {
    if lo > 1.0 {
        "  faster"
    } else if hi < 1.0 {
        "  slower"
    } else {
        "  no clear difference"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(r: SummaryRow) -> String {
        let mut out = Vec::new();
        print_summary(&mut out, &[r]).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_repetition_prints_no_interval_and_no_verdict() {
        let r = SummaryRow {
            strategy: StrategyKind::Threads,
            status: SummaryStatus::Ok,
            n: 1,
            n_verified: 1,
            wall_median_s: 0.5,
            speedup: Some(2.0),
            ..SummaryRow::default()
        };
        let text = printed(r.clone());
        assert!(text.contains("n = 1: no interval"), "{text}");
        assert!(!text.contains("CI"), "{text}");
        assert!(
            text.contains("2.00× (n = 1: no interval, no verdict)"),
            "{text}"
        );
        let with = printed(SummaryRow {
            n: 3,
            n_verified: 3,
            wall_ci_low_s: Some(0.4),
            wall_ci_high_s: Some(0.6),
            speedup_ci_low: Some(1.5),
            speedup_ci_high: Some(2.5),
            ..r
        });
        assert!(with.contains("[95% CI"), "{with}");
        assert!(with.contains("40.0% of median]"), "{with}");
        assert!(with.contains("[1.50 … 2.50]  faster"), "{with}");
        assert!(!with.contains("modes"), "{with}");
    }

    #[test]
    fn two_clusters_print_both_modes_with_their_counts() {
        let rows: Vec<crate::results::Row> = [0.52, 7.1, 0.50, 6.9, 0.55]
            .iter()
            .enumerate()
            .map(|(rep, &wall_s)| crate::results::Row {
                scenario_id: "write/one-write/sequential/warm".into(),
                baseline_id: "write/one-write/sequential/warm".into(),
                rep: rep as u32,
                wall_s,
                bytes: 1_000_000,
                status: crate::results::Status::Ok,
                verified: true,
                ..crate::results::Row::default()
            })
            .collect();
        let summary = crate::results::summarize_rows(&rows, 1);
        let text = printed(summary[0].clone());
        assert!(
            text.contains("2 modes: 3× ≈520.0 ms, 2× ≈7.000 s"),
            "{text}"
        );
        assert!(text.contains("5 reps, 5 verified"), "{text}");
    }

    #[test]
    fn footing_findings_are_notes_after_the_summary() {
        let base = SummaryRow {
            scenario_id: "read/whole/sequential/warm".into(),
            baseline_id: "read/whole/sequential/warm".into(),
            status: SummaryStatus::Ok,
            wall_median_s: 0.035,
            sys_s: 0.034,
            minor_faults: Some(6_886),
            ..SummaryRow::default()
        };
        let threads = SummaryRow {
            scenario_id: "read/whole/threads-2/warm".into(),
            strategy: StrategyKind::Threads,
            workers: 2,
            wall_median_s: 0.0117,
            sys_s: 0.02,
            minor_faults: Some(3),
            speedup: Some(3.01),
            ..base.clone()
        };
        let mut out = Vec::new();
        print_footing(&mut out, &[base.clone(), threads.clone()], 2, &[]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(
                "\nnote: speedup beyond the cores: read/whole/threads-2/warm: 3.01× over sequential on 2 cores"
            ),
            "{text}"
        );
        assert!(text.contains("6,883 more page faults"), "{text}");
        let mut quiet = Vec::new();
        print_footing(&mut quiet, &[base, threads], 4, &[]).unwrap();
        assert!(quiet.is_empty(), "nothing to say on 4 cores");
    }
}
