//! The terminal summary after a run, in the manner of hyperfine: per
//! scenario the median time with its interval, the range, throughput, and
//! the speedup over the sequential baseline.

use std::io::{self, Write};

use crate::results::SummaryRow;

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
    for r in rows {
        writeln!(
            out,
            "{} {} · {} · {}",
            r.workload, r.variant, r.strategy_label, r.cache
        )?;
        if r.status == "failed" || r.status == "unavailable" {
            writeln!(out, "  {}: {}", r.status.to_uppercase(), r.detail)?;
            continue;
        }
        if r.status == "unverified" {
            writeln!(
                out,
                "  UNVERIFIED (times below are of runs whose data did not check): {}",
                r.detail
            )?;
        }
        writeln!(
            out,
            "  Time (median):  {:>10}  [95% CI {} … {}]  ±{:.1}% σ/mean",
            format_time(r.wall_median_s),
            format_time(r.wall_ci_low_s),
            format_time(r.wall_ci_high_s),
            r.wall_cv * 100.0
        )?;
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
        if let (Some(s), Some(lo), Some(hi)) = (r.speedup, r.speedup_ci_low, r.speedup_ci_high) {
            if r.strategy != "sequential" {
                writeln!(
                    out,
                    "  Speedup over sequential: {s:.2}× [{lo:.2} … {hi:.2}]{}",
                    verdict(lo, hi)
                )?;
            }
        }
        if r.n_verified < r.n && r.status == "ok" {
            writeln!(
                out,
                "  UNVERIFIED repetitions: {} — {}",
                r.n - r.n_verified,
                r.detail
            )?;
        }
    }
    Ok(())
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
