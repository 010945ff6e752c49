//! A description of the machine and of the storage under the corpus,
//! recorded in every `run.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sysinfo::System;

use crate::measure::device::DirectRead;
use crate::sys::{device, kernel, platform};

/// The machine a run happened on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Host name.
    pub hostname: String,
    /// CPU model string.
    pub cpu_model: String,
    /// Logical CPUs.
    pub logical_cpus: usize,
    /// Physical cores, when known.
    pub physical_cores: Option<usize>,
    /// Total memory in bytes.
    pub memory_bytes: u64,
    /// OS name and version.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// Filesystem type under the corpus (`ext4`, `xfs`, `tmpfs`…).
    pub filesystem: String,
    /// Mount source under the corpus (e.g. `/dev/vda`).
    pub mount_source: String,
    /// Whole-disk block device under the corpus (e.g. `vda`), if any.
    pub block_device: Option<String>,
    /// Whether that device says it is rotational.
    pub rotational: Option<bool>,
    /// Whether iolab ran as root (drop_caches available).
    pub root: bool,
    /// What shapes I/O here (absent in runs made before it was recorded).
    #[serde(default)]
    pub io: IoFacts,
}

/// What shapes I/O on this machine. Each fact is the kernel's own word for
/// it, or `unavailable: why`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IoFacts {
    /// Mount options under the corpus (`rw,relatime,discard`).
    pub mount_options: String,
    /// The block device's active I/O scheduler (`mq-deadline`, `none`…).
    pub scheduler: String,
    /// The block device's read-ahead, KiB.
    pub read_ahead_kb: String,
    /// Transparent huge pages (`always`, `madvise`, `never`).
    pub transparent_huge_pages: String,
    /// CPU frequency governor.
    pub cpu_governor: String,
    /// Virtualisation, and how it was found.
    pub virtualization: String,
    /// The current cgroup's memory limit.
    pub cgroup_memory_max: String,
    /// The current cgroup's I/O limits.
    pub cgroup_io_max: String,
    /// `available`, or why io_uring is not.
    pub io_uring: String,
    /// `available`, or why the PSI columns of `runs.csv` are empty.
    pub psi: String,
    /// The device's direct-I/O read speed, measured once per run.
    pub direct_read: DirectRead,
    /// The clock task latencies are read from: `tsc`, or `clock_gettime`
    /// with the reason the CPU's counter is not used.
    #[serde(default)]
    pub task_clock: String,
}

impl IoFacts {
    /// Read every fact (the direct-read probe is separate: it reads data).
    pub fn describe(data_path: &Path, device: Option<&str>) -> IoFacts {
        let status = |r: Result<(), crate::sys::Unavailable>| match r {
            Ok(()) => "available".to_string(),
            Err(why) => why.0,
        };
        IoFacts {
            mount_options: device::mount_options_of(data_path)
                .unwrap_or_else(|| "unavailable: no mount found in /proc/self/mounts".into()),
            scheduler: platform::queue_setting(device, "scheduler"),
            read_ahead_kb: platform::queue_setting(device, "read_ahead_kb"),
            transparent_huge_pages: platform::transparent_huge_pages(),
            cpu_governor: platform::cpu_governor(),
            virtualization: platform::virtualization(),
            cgroup_memory_max: platform::cgroup_memory_limit(),
            cgroup_io_max: platform::cgroup_io_limit(),
            io_uring: status(crate::sys::uring::Ring::new(2).map(drop)),
            psi: status(kernel::psi_status()),
            direct_read: DirectRead {
                note: "not measured: this run has no cold repetition".into(),
                ..DirectRead::default()
            },
            task_clock: crate::measure::clock::source(),
        }
    }
}

impl Machine {
    /// Describe this machine, with the storage holding `data_path`.
    pub fn describe(data_path: &Path) -> Machine {
        let sys = System::new().ok().map(|mut s| {
            s.refresh_cpu_all();
            s.refresh_memory();
            s
        });
        let (filesystem, mount_source) = device::filesystem_of(data_path).unwrap_or_default();
        let dev = device::block_device_of(data_path);
        let rotational = dev.as_ref().and_then(|d| {
            std::fs::read_to_string(format!("/sys/block/{}/queue/rotational", d.name))
                .ok()
                .map(|s| s.trim() == "1")
        });
        let io = IoFacts::describe(data_path, dev.as_ref().map(|d| d.name.as_str()));
        Machine {
            io,
            hostname: System::host_name().unwrap_or_default(),
            cpu_model: sys
                .as_ref()
                .and_then(|s| s.cpus().first().map(|c| c.brand().trim().to_string()))
                .unwrap_or_default(),
            logical_cpus: sys.as_ref().map_or(0, |s| s.cpus().len()),
            physical_cores: System::physical_core_count().ok(),
            memory_bytes: sys.as_ref().map_or(0, System::total_memory),
            os: System::long_os_version().unwrap_or_default(),
            kernel: System::kernel_version().unwrap_or_default(),
            filesystem,
            mount_source,
            block_device: dev.map(|d| d.name),
            rotational,
            root: rustix::process::geteuid().is_root(),
        }
    }
}
