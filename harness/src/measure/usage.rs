//! Resource usage over the timed region: wall time, CPU (self and children),
//! context switches, peak memory and storage bytes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::kernel::KernelActivity;
use super::{Clock, Gate};
use crate::sys::kernel::{self as kernel_sys, KernelCounters};
use crate::sys::usage::{self as sys, Rusage, StorageIo, Who};

/// What a repetition used between [`Meter::start`] and [`Meter::stop`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Wall time of the timed region.
    pub wall: Duration,
    /// When the region started: `CLOCK_MONOTONIC` ns (its clock's origin).
    #[serde(default)]
    pub started_ns: u64,
    /// User CPU, this process and its workers.
    pub user: Duration,
    /// System CPU, this process and its workers.
    pub system: Duration,
    /// Voluntary context switches.
    pub voluntary_switches: u64,
    /// Involuntary context switches.
    pub involuntary_switches: u64,
    /// Minor page faults, this process and its workers.
    pub minor_faults: u64,
    /// Peak resident memory: this process's peak during the region plus each
    /// worker process's own peak (an upper bound on the simultaneous total).
    pub peak_rss_bytes: u64,
    /// Bytes read from storage (`read_bytes` of `/proc/<pid>/io`).
    pub storage_read_bytes: u64,
    /// Bytes written toward storage (`write_bytes`).
    pub storage_write_bytes: u64,
    /// What the kernel did machine-wide, read just outside the region.
    pub kernel: KernelActivity,
}

impl Usage {
    /// The usage a worker process reports about itself at the end of its
    /// timed work (its CPU, switches, faults, peak RSS and storage bytes
    /// since it started; no wall time or kernel activity, which are the
    /// parent's), added to the parent's by [`Meter::add_worker`].
    pub fn of_this_process() -> Usage {
        let r = sys::rusage(Who::SelfProcess).unwrap_or_default();
        let io = sys::storage_io().unwrap_or_default();
        Usage {
            peak_rss_bytes: sys::peak_rss_bytes().unwrap_or(0),
            ..Usage::counted(&r, &io)
        }
    }

    /// The CPU, switches, faults and storage bytes of `cpu` and `io`.
    fn counted(cpu: &Rusage, io: &StorageIo) -> Usage {
        Usage {
            user: cpu.user,
            system: cpu.system,
            voluntary_switches: cpu.voluntary_switches,
            involuntary_switches: cpu.involuntary_switches,
            minor_faults: cpu.minor_faults,
            storage_read_bytes: io.read_bytes,
            storage_write_bytes: io.write_bytes,
            ..Usage::default()
        }
    }

    /// Add a worker's own counters (its peak RSS too: an upper bound on
    /// the simultaneous total).
    fn add_worker(&mut self, w: &Usage) {
        self.user += w.user;
        self.system += w.system;
        self.voluntary_switches += w.voluntary_switches;
        self.involuntary_switches += w.involuntary_switches;
        self.minor_faults += w.minor_faults;
        self.peak_rss_bytes += w.peak_rss_bytes;
        self.storage_read_bytes += w.storage_read_bytes;
        self.storage_write_bytes += w.storage_write_bytes;
    }
}

/// Opens and closes the timed region: the clock plus counter snapshots.
///
/// Children reaped inside the region (an external command) are counted
/// through `RUSAGE_CHILDREN` and `/proc/self/io`; worker processes that are
/// reaped after it report their own usage ([`Meter::add_worker`]).
#[derive(Debug)]
pub struct Meter {
    clock: Clock,
    self_before: Rusage,
    children_before: Rusage,
    io_before: StorageIo,
    kernel_before: KernelCounters,
    workers: Vec<Usage>,
}

impl Meter {
    /// Start the timed region: first the meter's own setup (the counter's
    /// rate, free heap handed back, the peak RSS reset, storage bytes and
    /// the kernel's counters read from `/proc`), then `gate` (under MPI the
    /// barrier every rank leaves together), then this process's CPU time
    /// (a system call) and the clock: the region starts right after the
    /// gate, and the CPU a rank spins in the barrier is not the region's.
    pub fn start(gate: &dyn Gate) -> Meter {
        super::clock::calibrate();
        crate::sys::memory::release_free_memory();
        // Resetting the peak may be refused (old kernel); the peak then covers the process lifetime.
        let _ = sys::reset_peak_rss();
        let io_before = sys::storage_io().unwrap_or_default();
        let kernel_before = kernel_sys::snapshot();
        gate.open();
        // The region's own CPU time is read last before the clock starts
        // and first after it stops.
        let self_before = sys::rusage(Who::SelfProcess).unwrap_or_default();
        let children_before = sys::rusage(Who::Children).unwrap_or_default();
        Meter {
            clock: Clock::start(),
            self_before,
            children_before,
            io_before,
            kernel_before,
            workers: Vec::new(),
        }
    }

    /// The region's clock, for task latencies.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Add a worker process's self-reported usage ([`Usage::of_this_process`]).
    pub fn add_worker(&mut self, usage: Usage) {
        self.workers.push(usage);
    }

    /// Close the region and compute what it used.
    pub fn stop(self) -> Usage {
        let wall = self.clock.elapsed();
        let own = sys::rusage(Who::SelfProcess)
            .unwrap_or_default()
            .since(&self.self_before);
        let children = sys::rusage(Who::Children)
            .unwrap_or_default()
            .since(&self.children_before);
        let io = sys::storage_io().unwrap_or_default().since(&self.io_before);
        let kernel = KernelActivity::between(&self.kernel_before, &kernel_sys::snapshot());
        let peak_self = sys::peak_rss_bytes().unwrap_or(0);
        let mut usage = Usage {
            wall,
            started_ns: self.clock.origin().origin_ns,
            peak_rss_bytes: peak_self,
            kernel,
            ..Usage::counted(&own.plus(&children), &io)
        };
        for w in &self.workers {
            usage.add_worker(w);
        }
        usage
    }
}
