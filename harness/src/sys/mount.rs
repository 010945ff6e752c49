//! A filesystem image of its own: `mkfs` of a file, a loop mount of it,
//! and its unmount (the `fresh-fs` scratch policy), inside a mount
//! namespace private to this process and its children.
//!
//! # Platform specific behavior
//! Linux, root only. [`isolate`] moves the process, while it still has one
//! thread, into a new mount namespace (`unshare(CLONE_NEWNS)`) whose mounts
//! are private (`MS_REC | MS_PRIVATE` on `/`): a mount made there is seen
//! by iolab and the worker processes and programs it starts, by no one
//! else, and is dropped by the kernel when the last of them exits — even
//! on SIGKILL, so a killed run leaves no mount behind (only its image and
//! mount point, which `corpus clean --scratch` and `--resume` remove). The
//! image is formatted by `mkfs.<type>` and mounted by `mount -t <type> -o
//! loop` (util-linux sets the loop device up with `LO_FLAGS_AUTOCLEAR`, so
//! the unmount, or the namespace's end, releases it); the unmount is
//! `umount2(2)` through rustix, falling back to a lazy detach
//! (`MNT_DETACH`) when the mount is busy. Anything missing (the programs,
//! loop devices, privileges, a namespace) comes back as an [`Unavailable`]
//! reason.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::Unavailable;

/// The outcome of [`isolate`], once per process.
static ISOLATED: OnceLock<Result<(), Unavailable>> = OnceLock::new();

/// Move this process into a mount namespace of its own with private
/// propagation, so that the filesystems it mounts vanish with it.
///
/// Call it first thing in `main`, before any thread starts: a namespace
/// is per thread, and a thread started earlier would stay outside it. A
/// second call returns the first call's outcome; its error is kept and
/// returned by [`may_mount`].
///
/// # Errors
/// [`Unavailable`] when not root, when the process already has more than
/// one thread, or when the kernel refuses (no `CAP_SYS_ADMIN`, as in some
/// containers).
pub fn isolate() -> Result<(), Unavailable> {
    ISOLATED.get_or_init(unshare_mounts).clone()
}

fn unshare_mounts() -> Result<(), Unavailable> {
    let unavailable = |why: String| Unavailable(format!("fresh-fs unavailable: {why}"));
    if !rustix::process::geteuid().is_root() {
        return Err(unavailable("mounting a filesystem image needs root".into()));
    }
    let threads = std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count);
    if threads != 1 {
        return Err(unavailable(format!(
            "a private mount namespace must be made while the process has one thread (it has {threads})"
        )));
    }
    // SAFETY: `NEWNS` unshares only the mount namespace (and the
    // filesystem context, cwd and umask, which `CLONE_NEWNS` implies); the
    // file descriptor table stays shared, which is what `unshare_unsafe`'s
    // contract is about, and the process has a single thread (checked
    // above), so no other thread is left in the old namespace.
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNS) }
        .map_err(|e| unavailable(format!("unshare(CLONE_NEWNS): {e}")))?;
    use rustix::mount::{mount_change, MountPropagationFlags};
    mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| unavailable(format!("making the mounts private: {e}")))
}

/// Whether this process may mount a filesystem image: it runs as root and
/// [`isolate`] succeeded, so the mount cannot outlive it.
///
/// # Errors
/// The reason why not, as [`isolate`] gave it (or that it was not called).
pub fn may_mount() -> Result<(), Unavailable> {
    ISOLATED.get().cloned().unwrap_or_else(|| {
        Err(Unavailable(
            "fresh-fs unavailable: this process has no private mount namespace (iolab::lab::Lab::main makes it)".into(),
        ))
    })
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
