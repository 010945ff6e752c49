//! What the kernel did during a timed region: the difference of two
//! [`KernelCounters`] snapshots, taken just before the region opens and just
//! after it closes (never inside it).
//!
//! Owns: the delta and its units. Does not own: reading the files
//! (`sys::kernel`) or explaining the numbers (`report::explain`).

use serde::{Deserialize, Serialize};

use crate::sys::kernel::{KernelCounters, PsiTotals, VmCounts};

/// Machine-wide kernel activity over one timed region.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KernelActivity {
    /// What the region added to each vmstat counter (the counters are
    /// listed once, in `sys::kernel::vm_counters!`).
    pub vm: VmCounts,
    /// `Dirty:` before the region, kB.
    pub dirty_kb_before: u64,
    /// `Dirty:` after, kB.
    pub dirty_kb_after: u64,
    /// `Writeback:` before, kB.
    pub writeback_kb_before: u64,
    /// `Writeback:` after, kB.
    pub writeback_kb_after: u64,
    /// I/O stall, some tasks, µs (`None`: no PSI here).
    pub psi_io_some_us: Option<u64>,
    /// I/O stall, all non-idle tasks, µs.
    pub psi_io_full_us: Option<u64>,
    /// Memory stall, some tasks, µs.
    pub psi_memory_some_us: Option<u64>,
    /// Memory stall, all non-idle tasks, µs.
    pub psi_memory_full_us: Option<u64>,
}

impl KernelActivity {
    /// The activity between two snapshots (counters that went backwards, as
    /// after a counter reset, count as zero).
    pub fn between(before: &KernelCounters, after: &KernelCounters) -> KernelActivity {
        let psi = |b: Option<PsiTotals>, a: Option<PsiTotals>| match (b, a) {
            (Some(b), Some(a)) => (
                Some(a.some_us.saturating_sub(b.some_us)),
                Some(a.full_us.saturating_sub(b.full_us)),
            ),
            _ => (None, None),
        };
        let (psi_io_some_us, psi_io_full_us) = psi(before.psi_io, after.psi_io);
        let (psi_memory_some_us, psi_memory_full_us) = psi(before.psi_memory, after.psi_memory);
        KernelActivity {
            vm: after.vm.since(&before.vm),
            dirty_kb_before: before.dirty_kb,
            dirty_kb_after: after.dirty_kb,
            writeback_kb_before: before.writeback_kb,
            writeback_kb_after: after.writeback_kb,
            psi_io_some_us,
            psi_io_full_us,
            psi_memory_some_us,
            psi_memory_full_us,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_saturate_and_psi_needs_both_ends() {
        let before = KernelCounters {
            vm: VmCounts {
                vm_dirtied_pages: 100,
                vm_written_pages: 50,
                ..VmCounts::default()
            },
            dirty_kb: 8,
            psi_io: Some(PsiTotals {
                some_us: 1_000,
                full_us: 500,
            }),
            psi_memory: None,
            ..KernelCounters::default()
        };
        let after = KernelCounters {
            vm: VmCounts {
                vm_dirtied_pages: 160,
                vm_written_pages: 40,
                ..VmCounts::default()
            },
            dirty_kb: 240,
            psi_io: Some(PsiTotals {
                some_us: 4_000,
                full_us: 900,
            }),
            psi_memory: Some(PsiTotals::default()),
            ..KernelCounters::default()
        };
        let a = KernelActivity::between(&before, &after);
        assert_eq!(a.vm.vm_dirtied_pages, 60);
        assert_eq!(a.vm.vm_written_pages, 0);
        assert_eq!((a.dirty_kb_before, a.dirty_kb_after), (8, 240));
        assert_eq!(
            (a.psi_io_some_us, a.psi_io_full_us),
            (Some(3_000), Some(400))
        );
        assert_eq!(a.psi_memory_some_us, None);
    }
}
