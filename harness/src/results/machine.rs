//! A description of the machine and of the storage under the corpus,
//! recorded in every `run.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sysinfo::System;

use crate::sys::device;

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
        Machine {
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
