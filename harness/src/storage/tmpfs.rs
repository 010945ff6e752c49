//! `tmpfs`: a tmpfs sized for the corpus and scratch, mounted in iolab's
//! private mount namespace.

use std::path::Path;

use super::describe::{Need, StorageDesc};
use super::ProvideError;

/// The provider's description.
pub const DESCRIPTION: StorageDesc = StorageDesc {
    name: "tmpfs",
    summary: "a tmpfs of the corpus and scratch's size (memory: no device below)",
    params: &[],
    needs: &[Need::Root],
    caches: "the files are the page cache: warm and cold are the same (drop_caches \
             cannot drop a tmpfs's pages)",
};

/// Memory kept free beside the tmpfs.
const KEEP_FREE: u64 = 1 << 30;

/// Mount a tmpfs of `bytes` on `dir`.
///
/// # Errors
/// [`ProvideError::Unavailable`] when the machine has not that much memory
/// available, or the kernel refuses the mount.
pub fn mount(dir: &Path, bytes: u64) -> Result<(), ProvideError> {
    let unavailable = |why: String| ProvideError::Unavailable(format!("tmpfs unavailable: {why}"));
    let available = available_memory();
    if let Some(available) = available.filter(|a| bytes.saturating_add(KEEP_FREE) > *a) {
        return Err(unavailable(format!(
            "{} MiB asked, {} MiB of memory available",
            bytes >> 20,
            available >> 20
        )));
    }
    crate::sys::mount::mount_tmpfs(dir, bytes).map_err(|u| unavailable(u.0))
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
