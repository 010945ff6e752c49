//! Page-cache control: drop it system-wide when root, or per file with
//! `posix_fadvise(DONTNEED)` otherwise; `O_DIRECT` opening.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::Unavailable;

/// Flush dirty pages of every filesystem (`sync(2)`).
pub fn sync_all_filesystems() {
    rustix::fs::sync();
}

/// Drop clean page-cache pages, dentries and inodes system-wide (writes `3` to
/// `/proc/sys/vm/drop_caches` after `sync`).
///
/// # Errors
/// [`Unavailable`] when not permitted (not root, or a read-only `/proc/sys`).
pub fn drop_system_caches() -> Result<(), Unavailable> {
    sync_all_filesystems();
    std::fs::write("/proc/sys/vm/drop_caches", "3")
        .map_err(|e| Unavailable(format!("drop_caches unavailable: {e}")))
}

/// Evict one open file's pages from the page cache: `fsync` (dirty pages
/// cannot be dropped) then `posix_fadvise(POSIX_FADV_DONTNEED)` over the
/// whole file.
///
/// # Errors
/// The OS error.
pub fn evict(file: &File) -> io::Result<()> {
    file.sync_all()?;
    rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed)
        .map_err(|e| io::Error::other(format!("posix_fadvise: {e}")))
}

/// The `O_DIRECT` flag for [`OpenOptionsExt::custom_flags`]: I/O that bypasses
/// the page cache, needing block-aligned buffers, offsets and lengths.
pub const O_DIRECT: i32 = libc::O_DIRECT;

/// Open `path` for reading with `O_DIRECT`.
///
/// # Errors
/// `EINVAL` when the filesystem does not support direct I/O (tmpfs, for one).
pub fn open_direct(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(O_DIRECT)
        .open(path)
}

/// Read `path` from its start with `O_DIRECT` into `buf` (aligned to
/// [`DIRECT_ALIGN`], a multiple of it long), chunk after chunk, until its
/// end or `limit` bytes; the bytes read.
///
/// # Errors
/// `EINVAL` when the filesystem refuses direct I/O; other read errors.
pub fn read_direct(path: &Path, buf: &mut [u8], limit: u64) -> io::Result<u64> {
    use std::os::unix::fs::FileExt;
    let file = open_direct(path)?;
    let mut done = 0u64;
    while done < limit {
        let n = file.read_at(buf, done)?;
        if n == 0 {
            break;
        }
        done += n as u64;
        if n < buf.len() {
            break;
        }
    }
    Ok(done)
}

/// The alignment `O_DIRECT` buffers and offsets need here: the logical block
/// size, taken as 4096 (the page size), which every common device accepts.
pub const DIRECT_ALIGN: usize = 4096;
