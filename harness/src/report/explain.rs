//! Why a repetition was slow, in one sentence built from its own row: where
//! its wall time went (kernel or user CPU, or waiting), the kernel functions
//! a `perf` sample found, reclaim, writeback and pressure stalls. And which
//! repetitions count as slow.
//!
//! Owns: the wording and the rule for "slow". Does not own: the counters
//! (`measure::kernel`) or the modes rule (`stats::modes`).

use std::collections::BTreeMap;

use crate::results::{Row, Status};

/// A repetition slower than this many times its scenario's median is slow.
pub const SLOW_FACTOR: f64 = 1.5;

/// One sentence on where `row`'s time went.
pub fn cause(row: &Row) -> String {
    let wall = row.wall_s.max(1e-9);
    let mut parts = vec![cpu_part(row, wall)];
    if let Some(top) = row.kernel_profile.split(';').find(|s| !s.is_empty()) {
        if let Some((func, pct)) = top.rsplit_once(':') {
            parts.push(format!("{pct} % of kernel samples in `{func}`"));
        }
    }
    parts.push(reclaim_part(row));
    if let Some(p) = writeback_part(row) {
        parts.push(p);
    }
    parts.push(stall_part(row.psi_io_some_us, "I/O"));
    if row.psi_mem_some_us.is_some_and(|us| us > 0) {
        parts.push(stall_part(row.psi_mem_some_us, "memory"));
    }
    if let Some(f) = row.vm_major_faults.filter(|f| *f > 0) {
        parts.push(format!("{f} major faults"));
    }
    format!("repetition {}: {}", row.rep, parts.join(", "))
}

fn cpu_part(row: &Row, wall: f64) -> String {
    let cpu = row.user_s + row.sys_s;
    if row.sys_s >= 0.5 * wall {
        format!("{:.2} s of {wall:.2} s in kernel CPU", row.sys_s)
    } else if row.user_s >= 0.5 * wall {
        format!("{:.2} s of {wall:.2} s in user CPU", row.user_s)
    } else {
        format!(
            "{:.2} s of {wall:.2} s waiting off CPU (kernel CPU {:.2} s, user {:.2} s)",
            (wall - cpu).max(0.0),
            row.sys_s,
            row.user_s
        )
    }
}

fn reclaim_part(row: &Row) -> String {
    match (row.vm_scanned_pages, row.vm_scanned_direct_pages) {
        (Some(0), _) | (None, _) => "no reclaim".into(),
        (Some(all), Some(direct)) if direct > 0 => {
            format!("reclaim scanned {all} pages ({direct} by direct reclaim)")
        }
        (Some(all), _) => format!("background reclaim scanned {all} pages"),
    }
}

fn writeback_part(row: &Row) -> Option<String> {
    let written = row.vm_written_pages.filter(|w| *w > 0)?;
    let mb = written as f64 * 4096.0 / 1e6;
    let before = row.dirty_kb_before.unwrap_or(0) as f64 / 1e3;
    Some(format!(
        "{mb:.0} MB written back during it ({before:.0} MB dirty at the start)"
    ))
}

fn stall_part(us: Option<u64>, what: &str) -> String {
    match us {
        None => format!("no {what} pressure data"),
        Some(0) => format!("no {what} stall"),
        Some(us) => format!("{what} stall {:.2} s (some tasks)", us as f64 / 1e6),
    }
}

/// The measured, successful repetitions slower than [`SLOW_FACTOR`] × their
/// scenario's median, slowest first within each scenario.
pub fn slow_repetitions(rows: &[Row]) -> Vec<&Row> {
    let mut by: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.warmup && r.status == Status::Ok) {
        by.entry(&r.scenario_id).or_default().push(r);
    }
    let mut out = Vec::new();
    for group in by.values() {
        let mut walls: Vec<f64> = group.iter().map(|r| r.wall_s).collect();
        walls.sort_by(f64::total_cmp);
        let n = walls.len();
        let median = if n % 2 == 1 {
            walls[n / 2]
        } else {
            (walls[n / 2 - 1] + walls[n / 2]) / 2.0
        };
        let mut slow: Vec<&Row> = group
            .iter()
            .copied()
            .filter(|r| r.wall_s > SLOW_FACTOR * median)
            .collect();
        slow.sort_by(|a, b| b.wall_s.total_cmp(&a.wall_s));
        out.extend(slow);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slow_copy() -> Row {
        Row {
            scenario_id: "copy/kernel/threads-2/warm".into(),
            status: Status::Ok,
            rep: 3,
            wall_s: 8.3,
            user_s: 0.2,
            sys_s: 7.8,
            kernel_profile: "recently_deleted:41.2;find_inode_bit:9.0".into(),
            vm_scanned_pages: Some(0),
            vm_scanned_direct_pages: Some(0),
            vm_written_pages: Some(0),
            psi_io_some_us: Some(0),
            psi_mem_some_us: Some(0),
            vm_major_faults: Some(0),
            ..Row::default()
        }
    }

    #[test]
    fn kernel_bound_copy_names_its_hot_function() {
        assert_eq!(
            cause(&slow_copy()),
            "repetition 3: 7.80 s of 8.30 s in kernel CPU, 41.2 % of kernel samples in \
             `recently_deleted`, no reclaim, no I/O stall"
        );
    }

    #[test]
    fn a_stalled_write_says_reclaim_writeback_and_stall() {
        let row = Row {
            rep: 1,
            wall_s: 4.0,
            user_s: 0.1,
            sys_s: 0.9,
            kernel_profile: String::new(),
            vm_scanned_pages: Some(5000),
            vm_scanned_direct_pages: Some(1200),
            vm_written_pages: Some(25_000),
            dirty_kb_before: Some(300_000),
            psi_io_some_us: Some(2_500_000),
            psi_mem_some_us: Some(400_000),
            vm_major_faults: Some(12),
            ..slow_copy()
        };
        assert_eq!(
            cause(&row),
            "repetition 1: 3.00 s of 4.00 s waiting off CPU (kernel CPU 0.90 s, user 0.10 s), \
             reclaim scanned 5000 pages (1200 by direct reclaim), 102 MB written back during it \
             (300 MB dirty at the start), I/O stall 2.50 s (some tasks), memory stall 0.40 s \
             (some tasks), 12 major faults"
        );
        let old = Row {
            psi_io_some_us: None,
            vm_scanned_pages: None,
            ..slow_copy()
        };
        assert!(cause(&old).contains("no I/O pressure data"));
    }

    #[test]
    fn slow_means_above_one_and_a_half_medians() {
        let rows: Vec<Row> = [1.0, 1.1, 0.9, 1.7, 3.0]
            .iter()
            .enumerate()
            .map(|(i, w)| Row {
                rep: i as u32,
                wall_s: *w,
                ..slow_copy()
            })
            .collect();
        let slow: Vec<u32> = slow_repetitions(&rows).iter().map(|r| r.rep).collect();
        assert_eq!(slow, [4, 3]);
    }
}
