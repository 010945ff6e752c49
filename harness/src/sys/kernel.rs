//! System-wide kernel counters that explain I/O noise: page-cache writeback
//! and reclaim from `/proc/vmstat`, dirty and writeback memory from
//! `/proc/meminfo`, and pressure stall totals from `/proc/pressure/{io,memory}`.
//!
//! Owns: reading and parsing those files. Does not own: when they are read
//! (the meter reads them just outside the timed region) or what the deltas
//! mean (`measure::kernel`, `report::explain`).
//!
//! # Platform specific behavior
//! Linux only. The counters are machine-wide, not per process: anything else
//! running at the same time shows up in them. PSI needs a kernel built with
//! `CONFIG_PSI` and not booted with `psi=0`; without it the PSI fields are
//! `None` and [`psi_status`] says why.

use std::fs;

use super::Unavailable;

/// A snapshot of the counters, taken at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelCounters {
    /// Pages dirtied since boot (`nr_dirtied`).
    pub dirtied_pages: u64,
    /// Pages written back since boot (`nr_written`).
    pub written_pages: u64,
    /// Pages scanned by reclaim, all reclaimers (`pgscan_kswapd` +
    /// `pgscan_direct` + `pgscan_khugepaged`).
    pub scanned_pages: u64,
    /// Pages scanned by direct reclaim, the kind that stalls the allocating
    /// task (`pgscan_direct`).
    pub scanned_direct_pages: u64,
    /// Pages reclaimed, all reclaimers (`pgsteal_kswapd` + `pgsteal_direct`
    /// + `pgsteal_khugepaged`).
    pub stolen_pages: u64,
    /// Major page faults (`pgmajfault`): faults that waited for storage.
    pub major_faults: u64,
    /// Allocations that stalled for memory compaction (`compact_stall`).
    pub compact_stalls: u64,
    /// Allocations that stalled for direct reclaim (sum of `allocstall_*`).
    pub alloc_stalls: u64,
    /// Dirty page-cache memory, kB (`Dirty:` of `/proc/meminfo`).
    pub dirty_kb: u64,
    /// Memory under writeback, kB (`Writeback:`).
    pub writeback_kb: u64,
    /// I/O pressure stall totals, µs, when PSI is available.
    pub psi_io: Option<PsiTotals>,
    /// Memory pressure stall totals, µs, when PSI is available.
    pub psi_memory: Option<PsiTotals>,
}

/// The `total=` fields of one `/proc/pressure/*` file: cumulative
/// microseconds in which some (or all non-idle) tasks were stalled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PsiTotals {
    /// `some` line: at least one task stalled, µs.
    pub some_us: u64,
    /// `full` line: all non-idle tasks stalled, µs (0 when the file has no
    /// `full` line, as `/proc/pressure/cpu` on older kernels).
    pub full_us: u64,
}

/// Read every counter now. A file that cannot be read leaves its fields at
/// zero (vmstat, meminfo) or `None` (PSI).
pub fn snapshot() -> KernelCounters {
    let mut c = fs::read_to_string("/proc/vmstat")
        .map(|t| parse_vmstat(&t))
        .unwrap_or_default();
    if let Ok(text) = fs::read_to_string("/proc/meminfo") {
        (c.dirty_kb, c.writeback_kb) = parse_meminfo(&text);
    }
    c.psi_io = read_psi("io").ok();
    c.psi_memory = read_psi("memory").ok();
    c
}

/// Whether PSI can be read here: `Ok(())`, or the one-line reason.
///
/// # Errors
/// [`Unavailable`] naming the file and the OS error.
pub fn psi_status() -> Result<(), Unavailable> {
    read_psi("io").and(read_psi("memory")).map(|_| ())
}

fn read_psi(resource: &str) -> Result<PsiTotals, Unavailable> {
    let path = format!("/proc/pressure/{resource}");
    let text = fs::read_to_string(&path).map_err(|e| {
        Unavailable(format!(
            "PSI unavailable: {path}: {e} (kernel without CONFIG_PSI, or booted with psi=0)"
        ))
    })?;
    parse_psi(&text).ok_or_else(|| Unavailable(format!("PSI unavailable: {path} has no total=")))
}

/// Parse `/proc/vmstat` text (`name value` per line) into the counters kept.
pub fn parse_vmstat(text: &str) -> KernelCounters {
    let mut c = KernelCounters::default();
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let (Some(name), Some(Ok(value))) = (it.next(), it.next().map(str::parse::<u64>)) else {
            continue;
        };
        match name {
            "nr_dirtied" => c.dirtied_pages = value,
            "nr_written" => c.written_pages = value,
            "pgscan_kswapd" | "pgscan_khugepaged" => c.scanned_pages += value,
            "pgscan_direct" => {
                c.scanned_pages += value;
                c.scanned_direct_pages = value;
            }
            "pgsteal_kswapd" | "pgsteal_direct" | "pgsteal_khugepaged" => c.stolen_pages += value,
            "pgmajfault" => c.major_faults = value,
            "compact_stall" => c.compact_stalls = value,
            n if n.starts_with("allocstall_") => c.alloc_stalls += value,
            _ => {}
        }
    }
    c
}

/// `(Dirty, Writeback)` in kB from `/proc/meminfo` text (0 when absent).
pub fn parse_meminfo(text: &str) -> (u64, u64) {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("Dirty:"), field("Writeback:"))
}

/// The `total=` values of a `/proc/pressure/*` file; `None` without a
/// `some` line.
pub fn parse_psi(text: &str) -> Option<PsiTotals> {
    let total = |kind: &str| {
        text.lines()
            .find(|l| l.starts_with(kind))?
            .split_whitespace()
            .find_map(|f| f.strip_prefix("total="))?
            .parse::<u64>()
            .ok()
    };
    Some(PsiTotals {
        some_us: total("some ")?,
        full_us: total("full ").unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmstat_sums_reclaimers_and_stalls() {
        let text = "nr_free_pages 1000\nnr_dirtied 2441151\nnr_written 2259533\n\
            allocstall_dma 0\nallocstall_normal 3\nallocstall_movable 4\npgmajfault 2810\n\
            pgsteal_kswapd 10\npgsteal_direct 5\npgsteal_anon 99\npgscan_kswapd 20\n\
            pgscan_direct 7\npgscan_khugepaged 1\npgscan_direct_throttle 50\ncompact_stall 2\n\
            garbage\nnr_bad notanumber\n";
        let c = parse_vmstat(text);
        assert_eq!(c.dirtied_pages, 2_441_151);
        assert_eq!(c.written_pages, 2_259_533);
        assert_eq!(c.alloc_stalls, 7);
        assert_eq!(c.major_faults, 2810);
        assert_eq!(
            c.stolen_pages, 15,
            "pgsteal_anon is a split of the same pages"
        );
        assert_eq!(c.scanned_pages, 28, "throttle is not a scan");
        assert_eq!(c.scanned_direct_pages, 7);
        assert_eq!(c.compact_stalls, 2);
    }

    #[test]
    fn meminfo_gives_dirty_and_writeback() {
        let text = "MemTotal:  8000000 kB\nDirty:              1156 kB\nWriteback:             12 kB\nWritebackTmp:  7 kB\n";
        assert_eq!(parse_meminfo(text), (1156, 12));
        assert_eq!(parse_meminfo("MemTotal: 1 kB\n"), (0, 0));
    }

    #[test]
    fn psi_totals_from_some_and_full() {
        let text = "some avg10=4.44 avg60=3.66 avg300=2.02 total=12116026\n\
                    full avg10=4.19 avg60=3.37 avg300=1.66 total=9601522\n";
        assert_eq!(
            parse_psi(text),
            Some(PsiTotals {
                some_us: 12_116_026,
                full_us: 9_601_522
            })
        );
        let cpu = "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n";
        assert_eq!(parse_psi(cpu).map(|p| p.full_us), Some(0));
        assert_eq!(parse_psi(""), None);
    }

    #[test]
    fn snapshot_reads_this_machine() {
        let c = snapshot();
        assert!(c.dirtied_pages > 0, "a running Linux has dirtied pages");
        match psi_status() {
            Ok(()) => assert!(c.psi_io.is_some()),
            Err(why) => eprintln!("skipped PSI: {why}"),
        }
    }
}
