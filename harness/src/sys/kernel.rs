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

use serde::{Deserialize, Serialize};

use super::Unavailable;

/// The one table of the `/proc/vmstat` counters iolab keeps, in the order
/// of their `runs.csv` columns: each counter's field (also its column's
/// name), what it counts, and the vmstat lines summed into it (a name
/// ending in `*` is a prefix). A line may feed more than one counter
/// (`pgscan_direct`: all scanning, and direct scanning alone).
///
/// It hands the table to the macro `$then` (after `$then`'s own leading
/// tokens), so every list of these counters is generated from this one:
/// [`VmCounts`] and its parser here, the deltas of `measure::kernel`, the
/// `vm_*` columns of `results::Row`.
macro_rules! vm_counters {
    ($then:ident! { $($args:tt)* }) => {
        $then! { $($args)* [
            /// Pages dirtied (`nr_dirtied`).
            vm_dirtied_pages: ["nr_dirtied"],
            /// Pages written back (`nr_written`).
            vm_written_pages: ["nr_written"],
            /// Pages scanned by reclaim, all reclaimers (`pgscan_kswapd`,
            /// `pgscan_direct`, `pgscan_khugepaged`).
            vm_scanned_pages: ["pgscan_kswapd", "pgscan_direct", "pgscan_khugepaged"],
            /// Pages scanned by direct reclaim, the kind that stalls the
            /// allocating task (`pgscan_direct`).
            vm_scanned_direct_pages: ["pgscan_direct"],
            /// Pages reclaimed, all reclaimers (`pgsteal_kswapd`,
            /// `pgsteal_direct`, `pgsteal_khugepaged`).
            vm_stolen_pages: ["pgsteal_kswapd", "pgsteal_direct", "pgsteal_khugepaged"],
            /// Major page faults, faults that waited for storage (`pgmajfault`).
            vm_major_faults: ["pgmajfault"],
            /// Allocations that stalled for memory compaction (`compact_stall`).
            vm_compact_stalls: ["compact_stall"],
            /// Allocations that stalled for direct reclaim (`allocstall_*`).
            vm_alloc_stalls: ["allocstall_*"],
        ] }
    };
}
pub(crate) use vm_counters;

/// [`VmCounts`] and its parser, from the table of [`vm_counters!`].
macro_rules! define_vm_counts {
    ([$($(#[$doc:meta])* $field:ident: [$($source:literal),+],)*]) => {
        /// One value per `/proc/vmstat` counter of `vm_counters!`: totals
        /// since boot in a snapshot, or what a region added
        /// ([`VmCounts::since`]).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct VmCounts {
            $($(#[$doc])* pub $field: u64,)*
        }

        impl VmCounts {
            /// Add a `/proc/vmstat` line's value to every counter that sums it.
            fn add_line(&mut self, name: &str, value: u64) {
                $(if [$($source),+].iter().any(|s| source_matches(s, name)) {
                    self.$field += value;
                })*
            }

            /// Counter by counter, `self − before` (a counter that went
            /// backwards, as after a reset, counts as zero).
            pub fn since(&self, before: &VmCounts) -> VmCounts {
                VmCounts {
                    $($field: self.$field.saturating_sub(before.$field),)*
                }
            }
        }
    };
}
vm_counters!(define_vm_counts! {});

/// Whether the vmstat line `name` is the table's `source` (a source ending
/// in `*` is a prefix).
fn source_matches(source: &str, name: &str) -> bool {
    match source.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == source,
    }
}

/// A snapshot of the counters, taken at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelCounters {
    /// The vmstat counters, totals since boot.
    pub vm: VmCounts,
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
    let mut vm = VmCounts::default();
    for line in text.lines() {
        let mut it = line.split_whitespace();
        if let (Some(name), Some(Ok(value))) = (it.next(), it.next().map(str::parse::<u64>)) {
            vm.add_line(name, value);
        }
    }
    KernelCounters {
        vm,
        ..KernelCounters::default()
    }
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
        let c = parse_vmstat(text).vm;
        assert_eq!(c.vm_dirtied_pages, 2_441_151);
        assert_eq!(c.vm_written_pages, 2_259_533);
        assert_eq!(c.vm_alloc_stalls, 7);
        assert_eq!(c.vm_major_faults, 2810);
        assert_eq!(
            c.vm_stolen_pages, 15,
            "pgsteal_anon is a split of the same pages"
        );
        assert_eq!(c.vm_scanned_pages, 28, "throttle is not a scan");
        assert_eq!(c.vm_scanned_direct_pages, 7);
        assert_eq!(c.vm_compact_stalls, 2);
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
        assert!(
            c.vm.vm_dirtied_pages > 0,
            "a running Linux has dirtied pages"
        );
        match psi_status() {
            Ok(()) => assert!(c.psi_io.is_some()),
            Err(why) => eprintln!("skipped PSI: {why}"),
        }
    }
}
