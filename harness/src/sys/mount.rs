//! A filesystem image of its own: `mkfs` of a file, a loop mount of it,
//! and its unmount (the `fresh-fs` scratch policy).
//!
//! # Platform specific behavior
//! Linux, root only. The image is formatted by `mkfs.<type>` and mounted by
//! `mount -t <type> -o loop` (util-linux sets the loop device up with
//! `LO_FLAGS_AUTOCLEAR`, so the unmount releases it); the unmount is
//! `umount2(2)` through rustix (no `unsafe` here), falling back to a lazy
//! detach (`MNT_DETACH`) when the mount is busy. Anything missing (the
//! programs, loop devices, privileges) comes back as an [`Unavailable`]
//! reason.

use std::path::Path;
use std::process::{Command, Stdio};

use super::Unavailable;

/// Whether this process may mount filesystems (it runs as root).
pub fn may_mount() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether the ext4 filesystem on `device` (`/dev/vda`) has a journal:
/// a journaled filesystem has its jbd2 entry `/proc/fs/jbd2/<dev>-<n>`
/// (`None` when that folder cannot be read).
pub fn ext4_has_journal(device: &str) -> Option<bool> {
    let name = Path::new(device).file_name()?.to_str()?.to_string();
    let entries = std::fs::read_dir("/proc/fs/jbd2").ok()?;
    let prefix = format!("{name}-");
    Some(entries.flatten().any(|e| {
        e.file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix))
    }))
}

/// Format the file `image` as a filesystem of type `fstype` with the extra
/// `mkfs` arguments `options`.
///
/// # Errors
/// [`Unavailable`] when `mkfs.<fstype>` is missing or fails, with its
/// last line of output.
pub fn mkfs(image: &Path, fstype: &str, options: &[&str]) -> Result<(), Unavailable> {
    let name = format!("mkfs.{fstype}");
    let program = super::program::find(&name)
        .ok_or_else(|| Unavailable(format!("fresh-fs unavailable: {name} not installed")))?;
    run(Command::new(program).args(options).arg(image), &name)
}

/// Mount the filesystem image `image` (of type `fstype`) on the folder
/// `dir` through a loop device.
///
/// # Errors
/// [`Unavailable`] when `mount` is missing or refuses (no loop device, no
/// privilege), with its message.
pub fn loop_mount(image: &Path, dir: &Path, fstype: &str) -> Result<(), Unavailable> {
    let program = super::program::find("mount")
        .ok_or_else(|| Unavailable("fresh-fs unavailable: mount not installed".into()))?;
    run(
        Command::new(program)
            .args(["-t", fstype, "-o", "loop"])
            .arg(image)
            .arg(dir),
        "mount -o loop",
    )
}

/// Unmount the filesystem mounted on `dir`; a busy mount is detached
/// lazily (it goes once its last user closes it).
///
/// # Errors
/// The error of `umount2`, with the folder.
pub fn unmount(dir: &Path) -> std::io::Result<()> {
    use rustix::mount::{unmount, UnmountFlags};
    let flags = UnmountFlags::NOFOLLOW;
    match unmount(dir, flags) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::BUSY) => unmount(dir, flags | UnmountFlags::DETACH),
        Err(e) => Err(e),
    }
    .map_err(|e| {
        std::io::Error::new(
            std::io::Error::from(e).kind(),
            format!("unmounting {}: {e}", dir.display()),
        )
    })
}

/// Run `command`, its output captured; a failure is [`Unavailable`] with
/// its last line of output.
fn run(command: &mut Command, what: &str) -> Result<(), Unavailable> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Unavailable(format!("fresh-fs unavailable: {what}: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(Unavailable(format!(
        "fresh-fs unavailable: {what} failed ({}): {}",
        out.status,
        last.trim()
    )))
}
