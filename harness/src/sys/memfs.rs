//! Whether a folder's files live in memory alone, with no device under them:
//! tmpfs, ramfs, or an overlay whose every layer is such. Their pages are
//! the files themselves, so they cannot be made cold (`drop_caches` and
//! `posix_fadvise(DONTNEED)` leave them resident), and a "cold" repetition
//! there would measure a warm one.
//!
//! # Platform specific behavior
//! Linux: `statfs(2)`'s `f_type` (`TMPFS_MAGIC`, `RAMFS_MAGIC`,
//! `OVERLAYFS_SUPER_MAGIC`); an overlay's layers are read from its mount
//! options in `/proc/self/mounts` (`lowerdir=`, `upperdir=`).

use std::path::{Path, PathBuf};

use super::device;

/// `statfs(2)` magic numbers (`linux/magic.h`).
const TMPFS_MAGIC: i64 = 0x0102_1994;
const RAMFS_MAGIC: i64 = 0x8584_58f6;
const OVERLAYFS_SUPER_MAGIC: i64 = 0x794c_7630;

/// Overlays of overlays followed before giving up (as not in memory).
const MAX_DEPTH: u32 = 8;

/// The memory-only filesystem holding `path` (or, when `path` does not
/// exist yet, its nearest existing ancestor), by name: `tmpfs`, `ramfs`,
/// `overlay of tmpfs`; `None` when it is on anything else or cannot be
/// told (then a cold state is attempted as usual, and the residency check
/// still reports what it found).
pub fn memory_only(path: &Path) -> Option<String> {
    memory_only_at(&nearest_existing(path)?, 0)
}

/// `statfs(2)`'s `f_type` of `path`.
#[allow(clippy::unnecessary_cast)] // `f_type`'s type differs between architectures
fn magic(path: &Path) -> Option<i64> {
    rustix::fs::statfs(path).ok().map(|s| s.f_type as i64)
}

fn memory_only_at(path: &Path, depth: u32) -> Option<String> {
    match magic(path)? {
        TMPFS_MAGIC => Some("tmpfs".into()),
        RAMFS_MAGIC => Some("ramfs".into()),
        OVERLAYFS_SUPER_MAGIC if depth < MAX_DEPTH => {
            let layers = overlay_layers(&device::mount_options_of(path)?);
            let mut kinds: Vec<String> = Vec::new();
            for layer in layers {
                let kind = memory_only_at(&layer, depth + 1)?;
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
            (!kinds.is_empty()).then(|| format!("overlay of {}", kinds.join(" and ")))
        }
        _ => None,
    }
}

/// The layer folders named by an overlay's mount options: every
/// `lowerdir` (`:`-separated) and the `upperdir`.
fn overlay_layers(options: &str) -> Vec<PathBuf> {
    let mut layers = Vec::new();
    for option in options.split(',') {
        if let Some(lower) = option.strip_prefix("lowerdir=") {
            layers.extend(lower.split(':').filter(|l| !l.is_empty()).map(unescape));
        } else if let Some(upper) = option.strip_prefix("upperdir=") {
            layers.push(unescape(upper));
        }
    }
    layers
}

/// A path as `/proc/self/mounts` writes it, with `\040`-style octal escapes
/// (space, tab, newline, backslash) undone.
fn unescape(text: &str) -> PathBuf {
    PathBuf::from(
        <std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(
            super::mount::unescape_bytes(text),
        ),
    )
}

/// `path` or its nearest ancestor that exists (relative paths from the
/// working directory).
fn nearest_existing(path: &Path) -> Option<PathBuf> {
    let mut p = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    loop {
        if std::fs::symlink_metadata(&p).is_ok() {
            return Some(p);
        }
        if !p.pop() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_come_from_the_overlay_options() {
        let o = "rw,relatime,lowerdir=/a:/b\\040c,upperdir=/u,workdir=/w";
        assert_eq!(
            overlay_layers(o),
            [
                PathBuf::from("/a"),
                PathBuf::from("/b c"),
                PathBuf::from("/u")
            ]
        );
    }

    #[test]
    fn proc_is_not_memory_and_a_missing_path_is_judged_by_its_ancestor() {
        // /proc is procfs: neither memory-only nor a device; no answer.
        assert_eq!(memory_only(Path::new("/proc/self")), None);
        let dev_shm = Path::new("/dev/shm");
        if magic(dev_shm) == Some(TMPFS_MAGIC) {
            assert_eq!(
                memory_only(&dev_shm.join("no/such/folder")).as_deref(),
                Some("tmpfs")
            );
        } else {
            eprintln!("skipped the tmpfs half: /dev/shm is not a tmpfs here");
        }
    }
}
