//! Creating, reading and deleting files and folders without ever following
//! a link to them, blocking on them or crossing a mount.
//!
//! Owns: [`Dir`], an open directory handle through which iolab creates
//! (`openat` with `O_CREAT|O_EXCL|O_NOFOLLOW`, `mkdirat`), inspects
//! (`statx(AT_SYMLINK_NOFOLLOW)`), reads ([`Dir::read`]), renames
//! (`renameat`) and removes (`unlinkat`, a recursive removal that never
//! leaves the mount it started on) entries by name; opening a path walks it
//! component by component from `/` (or the current directory) with
//! `O_DIRECTORY|O_NOFOLLOW`, so a symbolic link is refused at any depth.
//! The one way iolab reads a file (`read`: [`read_file`], [`Dir::read`],
//! [`open_file`]): `O_NONBLOCK|O_NOFOLLOW`, the descriptor checked by `fstat`
//! to be a regular file, the bytes read up to a bound the caller names, so
//! a FIFO, a socket, a device, a folder or a link in a file's place is one
//! error naming it, never a hang or a read without end. Also `flock` locks
//! ([`lock()`]) and the two path-based creations the I/O backends use for
//! fresh scratch files ([`create_new`], [`copy_new`]).
//!
//! Does not own: what the files mean (markers, manifests and scratch rules
//! live in `corpus`, run folders in `results`), nor how large each may be
//! (each reader names its bound).
//!
//! # Platform specific behavior
//! Linux: `openat`, `mkdirat`, `unlinkat`, `renameat`, `statx`, `fstat`,
//! `flock` through rustix (safe wrappers; no `unsafe` here). Mount points
//! are told by `statx`'s mount id (`STATX_MNT_ID`, Linux 5.8), which tells a
//! bind mount of the same filesystem apart too; an older kernel reports
//! none, and there only a mount of another filesystem (another `st_dev`) is
//! recognised.

mod atomic;
mod lock;
mod read;

pub use atomic::write_atomic;
pub use lock::{lock, try_lock, unlock, LockMode};
pub use read::{open_appending, open_file, read_bounded, read_file, read_file_if_exists};

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, StatxFlags, CWD};
use rustix::io::Errno;

/// Mode of files iolab creates (before the umask).
const FILE_MODE: u32 = 0o644;
/// Mode of folders iolab creates (before the umask).
const DIR_MODE: u32 = 0o755;

/// What a directory entry is, seen without following links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// Anything else: a FIFO, a socket, a device.
    Special(Special),
}

/// The entries that are neither files, folders nor links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// A named pipe (opening it for reading waits for a writer).
    Fifo,
    /// A Unix socket (it cannot be opened at all).
    Socket,
    /// A character device (`/dev/zero` reads without end).
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A type the kernel reports that none of the above is.
    Unknown,
}

impl Kind {
    fn of_mode(mode: u32) -> Kind {
        match FileType::from_raw_mode(mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            FileType::Fifo => Kind::Special(Special::Fifo),
            FileType::Socket => Kind::Special(Special::Socket),
            FileType::CharacterDevice => Kind::Special(Special::CharDevice),
            FileType::BlockDevice => Kind::Special(Special::BlockDevice),
            FileType::Unknown => Kind::Special(Special::Unknown),
        }
    }

    fn of(stat: &rustix::fs::Stat) -> Kind {
        Kind::of_mode(stat.st_mode)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::File => "regular file",
            Kind::Dir => "directory",
            Kind::Symlink => "symbolic link",
            Kind::Special(Special::Fifo) => "FIFO (named pipe)",
            Kind::Special(Special::Socket) => "socket",
            Kind::Special(Special::CharDevice) => "character device",
            Kind::Special(Special::BlockDevice) => "block device",
            Kind::Special(Special::Unknown) => "special file",
        })
    }
}

/// Errors of the link-safe file operations; each names the path.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// A path component is a symbolic link.
    #[error(
        "refusing to use {path}: it is a symbolic link, and iolab never reads a file through a \
         link, nor creates, writes or deletes through one; pass the real path (e.g. from \
         `realpath`)"
    )]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// The entry exists but is of another kind than needed.
    #[error("{path} is a {found}, not a {wanted}")]
    WrongKind {
        /// The entry.
        path: PathBuf,
        /// What it is.
        found: Kind,
        /// What was needed.
        wanted: Kind,
    },
    /// A `.` or `..` component, or an empty path.
    #[error("{path}: `.`, `..` and empty components are not allowed here; give a plain path")]
    BadPath {
        /// The path.
        path: PathBuf,
    },
    /// A file to read holds more than its reader's bound.
    #[error(
        "{path} holds more than {}, the most iolab reads from such a file; it is not a file \
         iolab wrote: move it away", bytes_text(*.max)
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The bound, in bytes.
        max: u64,
    },
    /// A file to write has other names (hard links) than this one.
    #[error(
        "refusing to write {path}: it has {links} hard links, so writing it would change a file \
         elsewhere; iolab writes only files of its own: move it away"
    )]
    HardLinked {
        /// The file.
        path: PathBuf,
        /// Its link count.
        links: u64,
    },
    /// A folder to empty holds mount points, which were kept.
    #[error(
        "{path}: kept {} iolab does not cross, with everything in {}: {}; unmount {}, then try \
         again",
        if mounts.len() == 1 { "a mount point" } else { "mount points" },
        if mounts.len() == 1 { "it" } else { "them" },
        list(mounts),
        if mounts.len() == 1 { "it" } else { "them" }
    )]
    MountPoints {
        /// The folder being emptied.
        path: PathBuf,
        /// The mount points found below it, kept.
        mounts: Vec<PathBuf>,
    },
    /// A system call failed.
    #[error("I/O error while {action} {path}: {cause}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// To what.
        path: PathBuf,
        /// The error (in the message, so not also a `source()`: printed once).
        cause: io::Error,
    },
}

/// Paths for a message, comma-separated.
fn list(paths: &[PathBuf]) -> String {
    let texts: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    texts.join(", ")
}

/// A byte count for a message: whole MiB or KiB when it is one, else bytes.
fn bytes_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

impl FsError {
    fn io(action: &'static str, path: PathBuf, errno: Errno) -> FsError {
        FsError::Io {
            action,
            path,
            cause: io::Error::from(errno),
        }
    }

    /// The underlying OS error of an [`FsError::Io`], e.g. to tell a full
    /// device (`ENOSPC`) apart.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            FsError::Io { cause, .. } => Some(cause),
            FsError::Symlink { .. }
            | FsError::WrongKind { .. }
            | FsError::BadPath { .. }
            | FsError::TooLarge { .. }
            | FsError::HardLinked { .. }
            | FsError::MountPoints { .. } => None,
        }
    }

    /// Whether this is "no such file or directory".
    pub fn is_not_found(&self) -> bool {
        self.io_error()
            .is_some_and(|e| e.kind() == io::ErrorKind::NotFound)
    }
}

/// An open directory; every operation is relative to its descriptor and
/// takes a single plain name (no `/`, not `.` or `..`).
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

/// Device and inode of a file: what identifies it on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

impl Dir {
    /// Open the directory `path`, refusing a symbolic link at any component.
    ///
    /// # Errors
    /// [`FsError::Symlink`] naming the first link, [`FsError::BadPath`] for a
    /// `..` component, [`FsError::WrongKind`] for a non-directory,
    /// [`FsError::Io`] otherwise (`NotFound` when a component is missing).
    pub fn open(path: &Path) -> Result<Dir, FsError> {
        Dir::walk(path, false)
    }

    /// As [`Dir::open`], creating missing components (mode 0755).
    ///
    /// # Errors
    /// As [`Dir::open`].
    pub fn create_all(path: &Path) -> Result<Dir, FsError> {
        Dir::walk(path, true)
    }

    fn walk(path: &Path, create: bool) -> Result<Dir, FsError> {
        let plain = |c: &Component| {
            matches!(
                c,
                Component::RootDir | Component::CurDir | Component::Normal(_)
            )
        };
        if !path.components().all(|c| plain(&c)) {
            return Err(FsError::BadPath {
                path: path.to_path_buf(),
            });
        }
        let mut dir = if path.is_absolute() {
            let fd = rustix::fs::open("/", dir_flags(), Mode::empty())
                .map_err(|e| FsError::io("opening", "/".into(), e))?;
            Dir {
                fd,
                path: PathBuf::from("/"),
            }
        } else {
            let fd = rustix::fs::openat(CWD, ".", dir_flags(), Mode::empty())
                .map_err(|e| FsError::io("opening", ".".into(), e))?;
            Dir {
                fd,
                path: PathBuf::new(),
            }
        };
        for component in path.components() {
            match component {
                Component::RootDir | Component::CurDir => {}
                Component::Normal(name) => {
                    dir = match dir.open_dir(name) {
                        // Another process (an MPI rank) may create it first.
                        Err(e) if create && e.is_not_found() => match dir.create_dir(name) {
                            Err(e)
                                if e.io_error()
                                    .is_some_and(|e| e.kind() == io::ErrorKind::AlreadyExists) =>
                            {
                                dir.open_dir(name)?
                            }
                            other => other?,
                        },
                        other => other?,
                    };
                }
                Component::ParentDir | Component::Prefix(_) => {}
            }
        }
        if dir.path.as_os_str().is_empty() {
            dir.path = PathBuf::from(".");
        }
        Ok(dir)
    }

    /// The path this directory was opened by (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of entry `name` (for messages).
    pub fn child_path(&self, name: impl AsRef<OsStr>) -> PathBuf {
        self.path.join(name.as_ref())
    }

    /// Device and inode of this directory.
    ///
    /// # Errors
    /// [`FsError::Io`] when `fstat` fails.
    pub fn id(&self) -> Result<FileId, FsError> {
        let st = rustix::fs::fstat(&self.fd)
            .map_err(|e| FsError::io("inspecting", self.path.clone(), e))?;
        Ok(FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        })
    }

    /// What entry `name` is, without following it; `None` when absent.
    ///
    /// # Errors
    /// [`FsError::Io`] for failures other than absence.
    pub fn kind(&self, name: impl AsRef<OsStr>) -> Result<Option<Kind>, FsError> {
        Ok(self.stat(name.as_ref())?.map(|(kind, _)| kind))
    }

    /// What entry `name` is and the mount it is on (a mount point's own
    /// mount, not its folder's), without following it; `None` when absent.
    fn stat(&self, name: &OsStr) -> Result<Option<(Kind, MountKey)>, FsError> {
        let name = self.checked(name)?;
        let flags = AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT;
        match statx(self.fd.as_fd(), name, flags) {
            Ok(found) => Ok(Some(found)),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(FsError::io("inspecting", self.child_path(name), e)),
        }
    }

    /// The mount this directory is on.
    fn mount(&self) -> Result<MountKey, FsError> {
        statx(self.fd.as_fd(), "", AtFlags::EMPTY_PATH)
            .map(|(_, mount)| mount)
            .map_err(|e| FsError::io("inspecting", self.path.clone(), e))
    }

    /// Open subdirectory `name`; a link there is refused.
    ///
    /// # Errors
    /// [`FsError::Symlink`], [`FsError::WrongKind`], [`FsError::Io`].
    pub fn open_dir(&self, name: impl AsRef<OsStr>) -> Result<Dir, FsError> {
        let name = self.checked(name.as_ref())?;
        match rustix::fs::openat(&self.fd, name, dir_flags(), Mode::empty()) {
            Ok(fd) => Ok(Dir {
                fd,
                path: self.child_path(name),
            }),
            Err(e @ (Errno::LOOP | Errno::NOTDIR)) => Err(self.explain(name, Kind::Dir, e)),
            Err(e) => Err(FsError::io("opening", self.child_path(name), e)),
        }
    }

    /// Create subdirectory `name` (it must not exist) and open it.
    ///
    /// # Errors
    /// [`FsError::Io`] (`AlreadyExists` when it exists), or as [`Dir::open_dir`].
    pub fn create_dir(&self, name: impl AsRef<OsStr>) -> Result<Dir, FsError> {
        let name = self.checked(name.as_ref())?;
        rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(DIR_MODE))
            .map_err(|e| FsError::io("creating directory", self.child_path(name), e))?;
        self.open_dir(name)
    }

    /// Create the new regular file `name` for writing (`O_CREAT|O_EXCL|O_NOFOLLOW`).
    ///
    /// # Errors
    /// [`FsError::Symlink`] when a link is there, [`FsError::Io`] otherwise
    /// (`AlreadyExists` when a file is there).
    pub fn create_file(&self, name: impl AsRef<OsStr>) -> Result<File, FsError> {
        let name = self.checked(name.as_ref())?;
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        match rustix::fs::openat(&self.fd, name, flags | OFlags::CLOEXEC, file_mode()) {
            Ok(fd) => Ok(File::from(fd)),
            Err(Errno::EXIST) if self.kind(name)? == Some(Kind::Symlink) => Err(FsError::Symlink {
                path: self.child_path(name),
            }),
            Err(e) => Err(FsError::io("creating", self.child_path(name), e)),
        }
    }

    /// Open regular file `name` read-write, creating it when missing, never
    /// through a link and never blocking (for lock files: a FIFO, a socket
    /// or a device there is an error naming it).
    ///
    /// # Errors
    /// [`FsError::Symlink`], [`FsError::WrongKind`], [`FsError::Io`].
    pub fn open_or_create_file(&self, name: impl AsRef<OsStr>) -> Result<File, FsError> {
        let name = self.checked(name.as_ref())?;
        read::open_at(
            self.fd.as_fd(),
            name,
            self.child_path(name),
            read::Open::ReadWriteCreate,
        )
    }

    /// Open regular file `name` read-only ([`open_file`]'s rules: never
    /// through a link, never blocking, a regular file or an error naming
    /// what it is); `None` when absent.
    ///
    /// # Errors
    /// [`FsError::Symlink`], [`FsError::WrongKind`], [`FsError::Io`].
    pub fn open_file(&self, name: impl AsRef<OsStr>) -> Result<Option<File>, FsError> {
        let name = self.checked(name.as_ref())?;
        match read::open_at(
            self.fd.as_fd(),
            name,
            self.child_path(name),
            read::Open::Read,
        ) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Read regular file `name` whole, at most `max` bytes, never through a
    /// link and never blocking; `None` when absent.
    ///
    /// # Errors
    /// As [`Dir::open_file`]; [`FsError::TooLarge`] past `max`;
    /// [`FsError::Io`] when reading fails.
    pub fn read(&self, name: impl AsRef<OsStr>, max: u64) -> Result<Option<Vec<u8>>, FsError> {
        let name = name.as_ref();
        let Some(file) = self.open_file(name)? else {
            return Ok(None);
        };
        read::read_bounded(&file, &self.child_path(name), max).map(Some)
    }

    /// Remove the non-directory entry `name` (a link is removed, not
    /// followed); `false` when it was absent.
    ///
    /// # Errors
    /// [`FsError::Io`].
    pub fn remove_file(&self, name: impl AsRef<OsStr>) -> Result<bool, FsError> {
        let name = self.checked(name.as_ref())?;
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(FsError::io("deleting", self.child_path(name), e)),
        }
    }

    /// Remove the empty subdirectory `name`; `false` when it is not empty.
    ///
    /// # Errors
    /// [`FsError::Io`].
    pub fn remove_empty_dir(&self, name: impl AsRef<OsStr>) -> Result<bool, FsError> {
        let name = self.checked(name.as_ref())?;
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR) {
            Ok(()) => Ok(true),
            Err(Errno::NOTEMPTY | Errno::EXIST) => Ok(false),
            Err(e) => Err(FsError::io("deleting", self.child_path(name), e)),
        }
    }

    /// Rename entry `from` to `to` within this directory (`renameat`).
    ///
    /// # Errors
    /// [`FsError::Io`].
    pub fn rename(&self, from: impl AsRef<OsStr>, to: impl AsRef<OsStr>) -> Result<(), FsError> {
        let (from, to) = (self.checked(from.as_ref())?, self.checked(to.as_ref())?);
        rustix::fs::renameat(&self.fd, from, &self.fd, to)
            .map_err(|e| FsError::io("renaming into place", self.child_path(to), e))
    }

    /// Make `name` here a new hard link to the entry `from_name` of `from`
    /// (`linkat` without `AT_SYMLINK_FOLLOW`: a link is never followed,
    /// so a symbolic link would be linked as itself).
    ///
    /// # Errors
    /// [`FsError::Io`] (`AlreadyExists` when `name` exists; `EXDEV`,
    /// "cross-device link", when the two folders are on different filesystems).
    pub fn hard_link(
        &self,
        from: &Dir,
        from_name: impl AsRef<OsStr>,
        name: impl AsRef<OsStr>,
    ) -> Result<(), FsError> {
        let from_name = from.checked(from_name.as_ref())?;
        let name = self.checked(name.as_ref())?;
        rustix::fs::linkat(&from.fd, from_name, &self.fd, name, AtFlags::empty())
            .map_err(|e| FsError::io("linking", self.child_path(name), e))
    }

    /// `fsync` the directory, making renames and removals in it durable.
    ///
    /// # Errors
    /// [`FsError::Io`].
    pub fn sync(&self) -> Result<(), FsError> {
        rustix::fs::fsync(&self.fd).map_err(|e| FsError::io("syncing", self.path.clone(), e))
    }

    /// Every entry's name and kind (links not followed), sorted by name.
    ///
    /// # Errors
    /// [`FsError::Io`] when the directory cannot be listed.
    pub fn entries(&self) -> Result<Vec<(OsString, Kind)>, FsError> {
        let entries = self.entries_on_mounts()?;
        Ok(entries.into_iter().map(|(n, k, _)| (n, k)).collect())
    }

    /// Every entry's name, kind and mount, sorted by name.
    fn entries_on_mounts(&self) -> Result<Vec<(OsString, Kind, MountKey)>, FsError> {
        let fail = |e| FsError::io("listing", self.path.clone(), e);
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.fd).map_err(fail)? {
            let entry = entry.map_err(fail)?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name == "." || name == ".." {
                continue;
            }
            if let Some((kind, mount)) = self.stat(name)? {
                out.push((name.to_os_string(), kind, mount));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Every entry's name, kind (links not followed) and whether it is a
    /// mount point (on another mount than this directory: what a removal
    /// must not cross), sorted by name.
    ///
    /// # Errors
    /// [`FsError::Io`] when the directory cannot be listed.
    pub fn entries_with_mounts(&self) -> Result<Vec<(OsString, Kind, bool)>, FsError> {
        let here = self.mount()?;
        let entries = self.entries_on_mounts()?;
        Ok(entries
            .into_iter()
            .map(|(n, k, m)| (n, k, m != here))
            .collect())
    }

    /// Remove every entry except those named in `keep`, recursively, on
    /// descriptors: links are removed, never followed, and the removal
    /// never leaves this directory's mount. A mount point found below
    /// (another filesystem, or a bind mount of this one: its mount id
    /// differs) is kept with everything in it, and so are the folders on
    /// the way to it; the mount points kept are returned.
    ///
    /// # Errors
    /// [`FsError::Io`] when a listing or a removal fails.
    pub fn clear_keeping_mounts(&self, keep: &[&str]) -> Result<Vec<PathBuf>, FsError> {
        let mut mounts = Vec::new();
        self.clear_on(self.mount()?, keep, &mut mounts)?;
        Ok(mounts)
    }

    /// [`Dir::clear_keeping_mounts`], for a folder that must end up empty
    /// (but for `keep`).
    ///
    /// # Errors
    /// [`FsError::MountPoints`] naming the mount points kept below;
    /// [`FsError::Io`] otherwise.
    pub fn clear(&self, keep: &[&str]) -> Result<(), FsError> {
        let mounts = self.clear_keeping_mounts(keep)?;
        if mounts.is_empty() {
            return Ok(());
        }
        Err(FsError::MountPoints {
            path: self.path.clone(),
            mounts,
        })
    }

    /// Empty this directory on `mount`, pushing the mount points met to
    /// `mounts`; whether it is now empty (but for `keep`).
    fn clear_on(
        &self,
        mount: MountKey,
        keep: &[&str],
        mounts: &mut Vec<PathBuf>,
    ) -> Result<bool, FsError> {
        let mut emptied = true;
        for (name, kind, on) in self.entries_on_mounts()? {
            if keep.iter().any(|k| name == OsStr::new(k)) {
                continue;
            }
            if on != mount {
                mounts.push(self.child_path(&name));
                emptied = false;
                continue;
            }
            if kind != Kind::Dir {
                self.remove_file(&name)?;
                continue;
            }
            let sub = self.open_dir(&name)?;
            // Checked again on the open descriptor: what was statted may
            // have been replaced by a mount meanwhile.
            if sub.mount()? != mount {
                mounts.push(sub.path);
                emptied = false;
                continue;
            }
            if sub.clear_on(mount, &[], mounts)? {
                let name = self.checked(&name)?;
                rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)
                    .map_err(|e| FsError::io("deleting", self.child_path(name), e))?;
            } else {
                emptied = false;
            }
        }
        Ok(emptied)
    }

    /// `name` as a single plain component, or [`FsError::BadPath`].
    fn checked<'a>(&self, name: &'a OsStr) -> Result<&'a OsStr, FsError> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes == b"." || bytes == b".." || bytes.contains(&b'/') {
            return Err(FsError::BadPath {
                path: self.child_path(name),
            });
        }
        Ok(name)
    }

    /// The error for an open of `name` that failed with `ELOOP`/`ENOTDIR`:
    /// a link, or the wrong kind of entry.
    fn explain(&self, name: &OsStr, wanted: Kind, errno: Errno) -> FsError {
        let path = self.child_path(name);
        match self.kind(name) {
            Ok(Some(Kind::Symlink)) => FsError::Symlink { path },
            Ok(Some(found)) if found != wanted => FsError::WrongKind {
                path,
                found,
                wanted,
            },
            Ok(_) => FsError::io("opening", path, errno),
            Err(e) => e,
        }
    }
}

/// Which mount an entry is on: its mount id where the kernel reports one
/// (`STATX_MNT_ID`, Linux 5.8; distinct for every mount, bind mounts of
/// one filesystem included), else its device (`st_dev`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MountKey {
    /// `stx_mnt_id`.
    Id(u64),
    /// `st_dev`, where no mount id is reported.
    Device(u64),
}

/// `statx` of `name` in `dir` (`""` with `AT_EMPTY_PATH`: `dir` itself):
/// its kind and mount. Falls back to `fstatat` (and the device) on a
/// kernel without `statx`.
fn statx(
    dir: BorrowedFd<'_>,
    name: impl AsRef<OsStr>,
    flags: AtFlags,
) -> Result<(Kind, MountKey), Errno> {
    let name = name.as_ref();
    let mask = StatxFlags::TYPE | StatxFlags::MNT_ID;
    match rustix::fs::statx(dir, name, flags, mask) {
        Ok(st) => {
            let mount = if st.stx_mask & StatxFlags::MNT_ID.bits() != 0 {
                MountKey::Id(st.stx_mnt_id)
            } else {
                MountKey::Device(rustix::fs::makedev(st.stx_dev_major, st.stx_dev_minor))
            };
            Ok((Kind::of_mode(u32::from(st.stx_mode)), mount))
        }
        Err(Errno::NOSYS) => {
            let st = rustix::fs::statat(dir, name, flags)?;
            Ok((Kind::of(&st), MountKey::Device(st.st_dev)))
        }
        Err(e) => Err(e),
    }
}

impl AsFd for Dir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

fn file_mode() -> Mode {
    Mode::from_raw_mode(FILE_MODE)
}

/// Create the new file `path` for writing, never through a link
/// (`O_CREAT|O_EXCL|O_NOFOLLOW`): what the I/O backends use for a file that
/// must be fresh.
///
/// # Errors
/// `AlreadyExists` when anything (a file or a link) is at `path`.
pub fn create_new(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(FILE_MODE)
        .open(path)
}

/// Copy `from` into the new file `to` ([`create_new`]), the kernel moving the
/// bytes (`copy_file_range(2)`, as `std::fs::copy` does); returns the bytes
/// copied.
///
/// # Errors
/// Opening either file or copying.
pub fn copy_new(from: &Path, to: &Path) -> io::Result<u64> {
    let mut src = File::open(from)?;
    let mut dst = create_new(to)?;
    io::copy(&mut src, &mut dst)
}

#[cfg(test)]
mod tests;
