//! Mounts of iolab's own: `mkfs`, a block device or a tmpfs mounted on a
//! folder, the unmount, and what `/proc/self/mountinfo` says of a mount —
//! all inside a mount namespace private to this process and its children.
//! Used by the storages iolab provides (`crate::storage`) and the
//! `fresh-fs` scratch policy, through them.
//!
//! # Platform specific behavior
//! Linux, root only. [`isolate`] moves the process, while it still has one
//! thread, into a new mount namespace (`unshare(CLONE_NEWNS)`) whose mounts
//! are private (`MS_REC | MS_PRIVATE` on `/`): a mount made there is seen
//! by iolab and the worker processes and programs it starts, by no one
//! else, and is dropped by the kernel when the last of them exits — even
//! on SIGKILL, so a killed run leaves no mount behind (only its mount
//! point, which `corpus clean --scratch` and `--resume` remove). Block
//! devices come from [`super::loopdev`] (detached by the kernel with their
//! last user); mounts are `mount(2)` through rustix, `nosuid,nodev`; the
//! unmount is `umount2(2)`, falling back to a lazy detach (`MNT_DETACH`)
//! when the mount is busy. Anything missing (the programs, privileges, a
//! namespace) comes back as an [`Unavailable`] reason, which the caller
//! prefixes with what it could not make.

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
    if !rustix::process::geteuid().is_root() {
        return Err(Unavailable("mounting needs root".into()));
    }
    let threads = std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count);
    if threads != 1 {
        return Err(Unavailable(format!(
            "a private mount namespace must be made while the process has one thread (it has {threads})"
        )));
    }
    // SAFETY: `NEWNS` unshares only the mount namespace (and the
    // filesystem context, cwd and umask, which `CLONE_NEWNS` implies); the
    // file descriptor table stays shared, which is what `unshare_unsafe`'s
    // contract is about, and the process has a single thread (checked
    // above), so no other thread is left in the old namespace.
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNS) }
        .map_err(|e| Unavailable(format!("unshare(CLONE_NEWNS): {e}")))?;
    use rustix::mount::{mount_change, MountPropagationFlags};
    mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| Unavailable(format!("making the mounts private: {e}")))
}

/// Whether this process may mount a filesystem image: it runs as root and
/// [`isolate`] succeeded, so the mount cannot outlive it.
///
/// # Errors
/// The reason why not, as [`isolate`] gave it (or that it was not called).
pub fn may_mount() -> Result<(), Unavailable> {
    ISOLATED.get().cloned().unwrap_or_else(|| {
        Err(Unavailable(
            "this process has no private mount namespace (iolab::lab::Lab::main makes it)".into(),
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

/// Format `target` (an image file or a block device) as a filesystem of
/// type `fstype` with the extra `mkfs` arguments `options`.
///
/// # Errors
/// [`Unavailable`] when `mkfs.<fstype>` is missing or fails, with its
/// last line of output.
pub fn mkfs(target: &Path, fstype: &str, options: &[&str]) -> Result<(), Unavailable> {
    let name = format!("mkfs.{fstype}");
    let program =
        super::program::find(&name).ok_or_else(|| Unavailable(format!("{name} not installed")))?;
    run(Command::new(program).args(options).arg(target), &name)
}

/// Mount the filesystem of type `fstype` on the block device `device`
/// (a loop device, [`super::loopdev`]) on the folder `dir`, `nosuid,nodev`,
/// with the filesystem's own options `data` (`""`: its defaults).
///
/// # Errors
/// [`Unavailable`] with the kernel's refusal (no privilege, a filesystem
/// type the kernel lacks, a device that holds no such filesystem).
pub fn mount_device(
    device: &Path,
    dir: &Path,
    fstype: &str,
    data: &str,
) -> Result<(), Unavailable> {
    use rustix::mount::{mount, MountFlags};
    let data = std::ffi::CString::new(data)
        .map_err(|_| Unavailable(format!("mount options {data:?} hold a NUL byte")))?;
    let flags = MountFlags::NOSUID | MountFlags::NODEV;
    mount(device, dir, fstype, flags, Some(data.as_c_str())).map_err(|e| {
        Unavailable(format!(
            "mount -t {fstype} {} {}: {e}",
            device.display(),
            dir.display()
        ))
    })
}

/// Mount a tmpfs of at most `bytes` on the folder `dir` (`nosuid,nodev`,
/// mode 0700).
///
/// # Errors
/// [`Unavailable`] with the kernel's refusal.
pub fn mount_tmpfs(dir: &Path, bytes: u64) -> Result<(), Unavailable> {
    use rustix::mount::{mount, MountFlags};
    let data = std::ffi::CString::new(format!("size={bytes},mode=0700"))
        .map_err(|_| Unavailable("tmpfs options".into()))?;
    let flags = MountFlags::NOSUID | MountFlags::NODEV;
    mount("tmpfs", dir, "tmpfs", flags, Some(data.as_c_str()))
        .map_err(|e| Unavailable(format!("mount -t tmpfs on {}: {e}", dir.display())))
}

/// One mount as `/proc/self/mountinfo` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountInfo {
    /// The filesystem type (`ext4`, `fuse.iolab`).
    pub fstype: String,
    /// The mount source (`/dev/loop3`, `tmpfs`).
    pub source: String,
    /// The per-mount options (`rw,nosuid,nodev,relatime`).
    pub mount_options: String,
    /// The filesystem's own options (`rw,size=1048576k,mode=700`).
    pub super_options: String,
}

/// The mount whose mount point is exactly `dir` (the last one listed, when
/// several are stacked there), from `/proc/self/mountinfo`.
pub fn mount_info(dir: &Path) -> Option<MountInfo> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines()
        .filter_map(parse_mountinfo_line)
        .filter(|(point, _)| Path::new(point) == dir)
        .map(|(_, info)| info)
        .next_back()
}

/// `(mount point, info)` of one line of mountinfo (`proc(5)`): fields 5
/// and 6 are the mount point and its options; after the optional fields
/// and `-`, the type, the source and the superblock's options. Octal
/// escapes (`\040` for a space) in the mount point are decoded.
fn parse_mountinfo_line(line: &str) -> Option<(String, MountInfo)> {
    let (head, tail) = line.split_once(" - ")?;
    let fields: Vec<&str> = head.split(' ').collect();
    let point = unescape(fields.get(4)?);
    let mount_options = (*fields.get(5)?).to_string();
    let mut rest = tail.split(' ');
    let fstype = rest.next()?.to_string();
    let source = unescape(rest.next()?);
    let super_options = rest.next().unwrap_or("").to_string();
    Some((
        point,
        MountInfo {
            fstype,
            source,
            mount_options,
            super_options,
        },
    ))
}

/// Decode the `\ooo` octal escapes (space, tab, newline, backslash) of a
/// field of `/proc/self/mountinfo` or `/proc/self/mounts`.
pub(super) fn unescape_bytes(field: &str) -> Vec<u8> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            std::str::from_utf8(d)
                .ok()
                .and_then(|d| u8::from_str_radix(d, 8).ok())
        });
        match (bytes[i], octal) {
            (b'\\', Some(b)) => {
                out.push(b);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// [`unescape_bytes`] as text.
fn unescape(field: &str) -> String {
    String::from_utf8_lossy(&unescape_bytes(field)).into_owned()
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
        .map_err(|e| Unavailable(format!("{what}: {e}")))?;
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
        "{what} failed ({}): {}",
        out.status,
        last.trim()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mountinfo_line_gives_its_point_type_source_and_options() {
        let line =
            "36 35 98:0 / /mnt/a\\040b rw,nosuid shared:1 - ext4 /dev/loop3 rw,errors=continue";
        let (point, info) = parse_mountinfo_line(line).unwrap();
        assert_eq!(point, "/mnt/a b");
        assert_eq!(info.fstype, "ext4");
        assert_eq!(info.source, "/dev/loop3");
        assert_eq!(info.mount_options, "rw,nosuid");
        assert_eq!(info.super_options, "rw,errors=continue");
        assert_eq!(parse_mountinfo_line("garbage"), None);
    }

    #[test]
    fn the_root_is_a_mount_point() {
        let root = mount_info(Path::new("/")).expect("/ in mountinfo");
        assert!(!root.fstype.is_empty());
    }
}
