//! Flushing a whole filesystem: `syncfs(2)` of the filesystem holding a
//! folder (the end-of-work sync of `--durability end-sync`).
//!
//! # Platform specific behavior
//! Linux: `open(O_DIRECTORY|O_NOFOLLOW)` of the folder, then `syncfs(2)`
//! on its descriptor, through rustix (safe wrappers; no `unsafe` here).

use std::io;
use std::path::Path;

use rustix::fs::{Mode, OFlags};

/// Write back every dirty page and inode of the filesystem holding `dir`
/// and wait for it (`syncfs(2)`), as fio's `end_fsync` does for its files.
/// `dir` is opened without following a link at its last component.
///
/// # Errors
/// The error of `open` or `syncfs`, with the folder's path.
pub fn syncfs(dir: &Path) -> io::Result<()> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(dir, flags, Mode::empty()).map_err(|e| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("opening {} for syncfs: {e}", dir.display()),
        )
    })?;
    rustix::fs::syncfs(&fd).map_err(|e| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("syncfs of {}: {e}", dir.display()),
        )
    })
}
