//! Fresh filesystem images (`ext4`, `ext4-nojournal`, `xfs`, `btrfs`):
//! an unnamed file on the data folder's filesystem, a loop device in
//! direct-I/O mode over it, the distribution's `mkfs`, a mount in iolab's
//! private mount namespace. Used by the `ext4`…`btrfs` storages and by the
//! `fresh-fs` scratch policy (`runner::scratch`).
//!
//! Nothing can be left behind: the image is made with `O_TMPFILE`, so it
//! never has a name; the loop device holds it and detaches itself with
//! its last user (`LO_FLAGS_AUTOCLEAR`); the mount is the last user and
//! dies with the namespace. A SIGKILL at any step leaves no image, no loop
//! device and no mount — only the empty mount point, in a folder the
//! scratch clean-up removes.
//!
//! Owns: the image kinds, their descriptions, `mkfs` options, sizes and
//! feature records. Does not own: the system calls (`sys::mount`,
//! `sys::loopdev`), where the mount point is (the caller).

use std::path::Path;
use std::process::Command;

use rustix::fs::{Mode, OFlags};

use super::describe::{Need, StorageDesc};
use super::ProvideError;
use crate::sys;

/// A filesystem iolab makes images of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImageFs {
    /// ext4 as `mkfs.ext4` makes it (with its journal).
    Ext4,
    /// ext4 without a journal (`-O ^has_journal`).
    Ext4NoJournal,
    /// XFS.
    Xfs,
    /// Btrfs.
    Btrfs,
}

/// What warm and cold mean on an image.
const IMAGE_CACHES: &str = "warm: the inputs read once before timing, in the page cache of \
    the image's filesystem; cold: drop_caches (root) — the loop device reads its file with \
    O_DIRECT, so no second copy of the pages survives in the data folder's cache";

/// `ext4`.
pub const EXT4: StorageDesc = StorageDesc {
    name: "ext4",
    summary: "a fresh loop-mounted ext4 image with its journal (mkfs.ext4's defaults)",
    params: &[],
    needs: &[Need::Root, Need::LoopDevices, Need::Program("mkfs.ext4")],
    caches: IMAGE_CACHES,
};

/// `ext4-nojournal`.
pub const EXT4_NOJOURNAL: StorageDesc = StorageDesc {
    name: "ext4-nojournal",
    summary: "a fresh loop-mounted ext4 image without a journal (mkfs.ext4 -O ^has_journal)",
    params: &[],
    needs: &[Need::Root, Need::LoopDevices, Need::Program("mkfs.ext4")],
    caches: IMAGE_CACHES,
};

/// `xfs`.
pub const XFS: StorageDesc = StorageDesc {
    name: "xfs",
    summary: "a fresh loop-mounted XFS image (mkfs.xfs's defaults; at least 300 MiB)",
    params: &[],
    needs: &[Need::Root, Need::LoopDevices, Need::Program("mkfs.xfs")],
    caches: IMAGE_CACHES,
};

/// `btrfs`.
pub const BTRFS: StorageDesc = StorageDesc {
    name: "btrfs",
    summary: "a fresh loop-mounted Btrfs image (mkfs.btrfs's defaults; at least 256 MiB)",
    params: &[],
    needs: &[Need::Root, Need::LoopDevices, Need::Program("mkfs.btrfs")],
    caches: IMAGE_CACHES,
};

/// The loop device's logical block size: 4 KiB, which direct I/O on any
/// data folder's filesystem accepts and every image filesystem uses.
const BLOCK_SIZE: u32 = 4096;

impl ImageFs {
    /// Its description.
    pub fn desc(self) -> &'static StorageDesc {
        match self {
            ImageFs::Ext4 => &EXT4,
            ImageFs::Ext4NoJournal => &EXT4_NOJOURNAL,
            ImageFs::Xfs => &XFS,
            ImageFs::Btrfs => &BTRFS,
        }
    }

    /// The kernel's name of the filesystem type.
    pub fn fstype(self) -> &'static str {
        match self {
            ImageFs::Ext4 | ImageFs::Ext4NoJournal => "ext4",
            ImageFs::Xfs => "xfs",
            ImageFs::Btrfs => "btrfs",
        }
    }

    /// `mkfs.<type>` arguments: quiet, no discard of the fresh image, and
    /// for ext4 its inode tables and journal written now rather than by a
    /// background thread during the first repetitions.
    fn mkfs_args(self) -> &'static [&'static str] {
        const EXT4_LAZY: &str = "lazy_itable_init=0,lazy_journal_init=0,nodiscard";
        match self {
            ImageFs::Ext4 => &["-q", "-F", "-E", EXT4_LAZY],
            ImageFs::Ext4NoJournal => &["-q", "-F", "-E", EXT4_LAZY, "-O", "^has_journal"],
            ImageFs::Xfs => &["-q", "-f", "-K"],
            ImageFs::Btrfs => &["-q", "-f", "-K"],
        }
    }

    /// The smallest image its `mkfs` accepts (xfsprogs refuses less than
    /// 300 MiB).
    fn min_bytes(self) -> u64 {
        match self {
            ImageFs::Ext4 | ImageFs::Ext4NoJournal => 64 << 20,
            ImageFs::Xfs => 300 << 20,
            ImageFs::Btrfs => 256 << 20,
        }
    }

    /// The image kind like the filesystem `fstype` on `source` (the data
    /// folder's: ext4 with or without a journal as the data folder's), for
    /// the `fresh-fs` scratch policy.
    ///
    /// # Errors
    /// The filesystem types iolab makes images of, when `fstype` is not one.
    pub fn like(fstype: &str, source: &str) -> Result<ImageFs, String> {
        match fstype {
            "ext4" if sys::mount::ext4_has_journal(source) == Some(false) => {
                Ok(ImageFs::Ext4NoJournal)
            }
            "ext4" => Ok(ImageFs::Ext4),
            "xfs" => Ok(ImageFs::Xfs),
            "btrfs" => Ok(ImageFs::Btrfs),
            other => Err(format!(
                "the data folder is on {other}; iolab makes images of ext4, xfs and btrfs"
            )),
        }
    }
}

/// What was made, for the record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageRecord {
    /// The image's size in bytes (sparse until written).
    pub image_bytes: u64,
    /// The `mkfs` command line.
    pub mkfs: String,
    /// The loop device (`/dev/loop3`).
    pub loop_device: String,
    /// Whether the loop device reads and writes its file with `O_DIRECT`.
    pub loop_direct_io: bool,
    /// The loop device's logical block size.
    pub loop_block_size: u32,
    /// The filesystem's features (`dumpe2fs -h`, `xfs_info`, `btrfs
    /// inspect-internal dump-super`), where the tool is installed.
    pub features: Option<String>,
}

/// The image size for `needed` bytes of files: an eighth more for the
/// filesystem's own metadata and reserve, 128 MiB more for its journal
/// and log, at least its `mkfs`'s minimum.
pub fn image_bytes(fs: ImageFs, needed: u64) -> u64 {
    let bytes = needed.saturating_add(needed / 8).saturating_add(128 << 20);
    bytes.max(fs.min_bytes()).div_ceil(1 << 20) << 20
}

/// Make an image of `fs` for `needed` bytes of files, unnamed on the
/// filesystem of the folder `holder`, and mount it on `mount_point`.
///
/// # Errors
/// [`ProvideError::Unavailable`] when a need is not met or a tool or the
/// kernel refuses (the message names the storage and what failed);
/// [`ProvideError::Failed`] when the image file cannot be made.
pub fn make(
    fs: ImageFs,
    holder: &Path,
    mount_point: &Path,
    needed: u64,
) -> Result<ImageRecord, ProvideError> {
    let name = fs.desc().name;
    let unavailable = |why: String| ProvideError::Unavailable(format!("{name} unavailable: {why}"));
    if let Some(why) = fs.desc().unmet() {
        return Err(ProvideError::Unavailable(why));
    }
    let image_bytes = image_bytes(fs, needed);
    let file = rustix::fs::open(
        holder,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_bits_truncate(0o600),
    )
    .map(std::fs::File::from)
    .map_err(|e| {
        unavailable(format!(
            "an unnamed image file in {}: {e}",
            holder.display()
        ))
    })?;
    file.set_len(image_bytes).map_err(|e| {
        ProvideError::Failed(anyhow::anyhow!(
            "sizing the image in {} to {image_bytes} bytes: {e}",
            holder.display()
        ))
    })?;
    let device =
        sys::loopdev::LoopDevice::attach(&file, true, BLOCK_SIZE).map_err(|u| unavailable(u.0))?;
    drop(file);
    sys::mount::mkfs(device.path(), fs.fstype(), fs.mkfs_args()).map_err(|u| unavailable(u.0))?;
    sys::mount::mount_device(device.path(), mount_point, fs.fstype(), "")
        .map_err(|u| unavailable(u.0))?;
    let record = ImageRecord {
        image_bytes,
        mkfs: format!(
            "mkfs.{} {} {}",
            fs.fstype(),
            fs.mkfs_args().join(" "),
            device.path().display()
        ),
        loop_device: device.path().display().to_string(),
        loop_direct_io: device.direct_io(),
        loop_block_size: device.block_size(),
        features: features(fs, device.path(), mount_point),
    };
    // The mount holds the device now; it detaches when the mount goes.
    drop(device);
    Ok(record)
}

/// The filesystem's features as its own tool prints them, condensed to
/// one line; `None` where the tool is missing or fails.
fn features(fs: ImageFs, device: &Path, mount_point: &Path) -> Option<String> {
    let (program, args, keep): (&str, Vec<&std::ffi::OsStr>, fn(&str) -> bool) = match fs {
        ImageFs::Ext4 | ImageFs::Ext4NoJournal => {
            ("dumpe2fs", vec!["-h".as_ref(), device.as_os_str()], |l| {
                [
                    "Filesystem features:",
                    "Block size:",
                    "Inode size:",
                    "Journal size:",
                ]
                .iter()
                .any(|k| l.starts_with(k))
            })
        }
        ImageFs::Xfs => ("xfs_info", vec![mount_point.as_os_str()], |_| true),
        ImageFs::Btrfs => (
            "btrfs",
            vec![
                "inspect-internal".as_ref(),
                "dump-super".as_ref(),
                device.as_os_str(),
            ],
            |l| {
                [
                    "incompat_flags",
                    "compat_ro_flags",
                    "sectorsize",
                    "nodesize",
                    "csum_type",
                ]
                .iter()
                .any(|k| l.starts_with(k))
            },
        ),
    };
    let program = sys::program::find(program)?;
    let out = Command::new(program).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(condensed(&text, keep))
}

/// The lines of `text` whose first line `keep`s, each with its indented
/// continuation lines (`btrfs` prints decoded flags that way), whitespace
/// collapsed, joined with `; `.
fn condensed(text: &str, keep: fn(&str) -> bool) -> String {
    let mut kept: Vec<String> = Vec::new();
    let mut keeping = false;
    for line in text.lines() {
        let words = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if words.is_empty() {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            if let (true, Some(last)) = (keeping, kept.last_mut()) {
                last.push(' ');
                last.push_str(&words);
            }
        } else {
            keeping = keep(line);
            if keeping {
                kept.push(words);
            }
        }
    }
    kept.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_sized_for_the_files_and_the_mkfs_minimum() {
        assert_eq!(image_bytes(ImageFs::Xfs, 0), 300 << 20);
        let big = image_bytes(ImageFs::Ext4, 8 << 30);
        assert!(big >= (9 << 30) + (128 << 20), "{big}");
        assert_eq!(big % (1 << 20), 0);
    }

    #[test]
    fn feature_lines_keep_their_continuations() {
        let text = "csum_type\t0 (crc32c)\nmagic\tx\nincompat_flags\t0x341\n\t\t\t( MIXED_BACKREF |\n\t\t\t  NO_HOLES )\nlabel\n";
        let keep: fn(&str) -> bool = |l| l.starts_with("csum") || l.starts_with("incompat");
        assert_eq!(
            condensed(text, keep),
            "csum_type 0 (crc32c); incompat_flags 0x341 ( MIXED_BACKREF | NO_HOLES )"
        );
    }

    #[test]
    fn fresh_fs_images_follow_the_data_folders_filesystem() {
        assert_eq!(ImageFs::like("xfs", "/dev/x"), Ok(ImageFs::Xfs));
        assert!(ImageFs::like("tmpfs", "tmpfs")
            .unwrap_err()
            .contains("tmpfs"));
    }
}
