//! Which block device and filesystem hold a path, and that device's activity
//! counters (`/sys/block/<dev>/stat`), for waiting until storage is idle.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The block device behind a path, as named in `/sys/block`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockDevice {
    /// Kernel name of the whole disk, e.g. `vda` or `nvme0n1`.
    pub name: String,
    /// `/sys/block/<name>/stat`.
    pub stat_path: PathBuf,
}

/// The whole-disk block device that holds `path`, if it is on one (tmpfs and
/// overlay mounts have none).
pub fn block_device_of(path: &Path) -> Option<BlockDevice> {
    let dev = fs::metadata(path).ok()?.dev();
    let (major, minor) = (rustix::fs::major(dev), rustix::fs::minor(dev));
    let sys = fs::canonicalize(format!("/sys/dev/block/{major}:{minor}")).ok()?;
    // A partition's sysfs folder sits inside its disk's folder and has a `partition` file.
    let disk = if sys.join("partition").exists() {
        sys.parent()?.to_path_buf()
    } else {
        sys
    };
    let name = disk.file_name()?.to_string_lossy().into_owned();
    let stat_path = PathBuf::from(format!("/sys/block/{name}/stat"));
    stat_path
        .exists()
        .then_some(BlockDevice { name, stat_path })
}

/// The counters of `/sys/block/<dev>/stat` that move while the device works:
/// reads, sectors read, writes, sectors written, in-flight, discards.
///
/// # Errors
/// When the stat file cannot be read.
pub fn activity(device: &BlockDevice) -> io::Result<Vec<u64>> {
    let text = fs::read_to_string(&device.stat_path)?;
    let fields: Vec<u64> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // Fields (Documentation/block/stat.rst): 0 reads, 2 sectors read, 4 writes,
    // 6 sectors written, 8 in flight, 11 discards, 13 discard sectors.
    Ok([0usize, 2, 4, 6, 8, 11, 13]
        .iter()
        .filter_map(|i| fields.get(*i).copied())
        .collect())
}

/// Filesystem type of the mount holding `path` (from `/proc/self/mounts`,
/// longest matching mount point), e.g. `ext4`, with the mount source.
pub fn filesystem_of(path: &Path) -> Option<(String, String)> {
    mount_of(path).map(|m| (m.fstype, m.source))
}

/// The mount options of the mount holding `path`, as the kernel lists them
/// (`rw,relatime,discard`).
pub fn mount_options_of(path: &Path) -> Option<String> {
    mount_of(path).map(|m| m.options)
}

/// One line of `/proc/self/mounts`.
struct Mount {
    source: String,
    fstype: String,
    options: String,
}

/// The mount holding `path`: the longest matching mount point.
fn mount_of(path: &Path) -> Option<Mount> {
    let path = fs::canonicalize(path).ok()?;
    let mounts = fs::read_to_string("/proc/self/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let source = it.next()?.to_string();
            let target = PathBuf::from(it.next()?);
            let fstype = it.next()?.to_string();
            let options = it.next()?.to_string();
            Some((
                target,
                Mount {
                    source,
                    fstype,
                    options,
                },
            ))
        })
        .filter(|(target, _)| path.starts_with(target))
        .max_by_key(|(target, _)| target.as_os_str().len())
        .map(|(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_has_a_filesystem() {
        let (fstype, _) = filesystem_of(Path::new("/")).unwrap();
        assert!(!fstype.is_empty());
        assert!(mount_options_of(Path::new("/")).unwrap().contains("r"));
    }

    #[test]
    fn activity_has_counters_when_on_a_device() {
        if let Some(dev) = block_device_of(Path::new("/")) {
            assert_eq!(activity(&dev).unwrap().len(), 7);
        } else {
            eprintln!("skipped: / is not on a block device here");
        }
    }
}
