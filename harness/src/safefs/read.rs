//! The one way iolab opens a file it reads: never through a final link,
//! never blocking, never anything but a regular file, never more bytes
//! than the reader's bound.
//!
//! An entry is first inspected without following it (`statx` with
//! `AT_SYMLINK_NOFOLLOW`), so a FIFO, a socket or a device is refused
//! before it is even opened (opening some devices has effects); then it is
//! opened with `O_NOFOLLOW | O_NONBLOCK` (a FIFO swapped in meanwhile
//! opens at once instead of waiting for a writer, a socket fails with
//! `ENXIO`, a link with `ELOOP`), and the descriptor is checked with
//! `fstat` to be a regular file before a byte is read (and, for a file
//! opened to be written, to have no other name: a hard link to a file
//! elsewhere is refused, so appending to `runs.csv` or writing a pid into
//! a lock file never changes a file outside). `O_NONBLOCK` is then
//! cleared, so the handle behaves as any other. Reads stop one byte past
//! the bound: a file that grows without end (a link to `/dev/zero` that
//! slipped through, a file being appended to) is [`FsError::TooLarge`].
//!
//! Owns: that sequence, for path-based reads ([`read_file`], relative to
//! the current directory, links on the folders above followed) and for
//! [`Dir`](super::Dir)'s ([`Dir::read`](super::Dir::read), relative to its
//! descriptor). Does not own each file's bound (its reader names it).

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, OFlags, CWD};
use rustix::io::Errno;

use super::{file_mode, statx, FsError, Kind};

/// How [`open_at`] opens a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Open {
    /// Read-only; it must exist.
    Read,
    /// Read and write, created when missing (lock files).
    ReadWriteCreate,
    /// Read and append; it must exist (`runs.csv` reopened by a resume).
    ReadAppend,
    /// Append only, created when missing (`timeseries.csv`).
    AppendCreate,
}

impl Open {
    fn flags(self) -> OFlags {
        let base = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        base | match self {
            Open::Read => OFlags::RDONLY,
            Open::ReadWriteCreate => OFlags::RDWR | OFlags::CREATE,
            Open::ReadAppend => OFlags::RDWR | OFlags::APPEND,
            Open::AppendCreate => OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE,
        }
    }

    fn creates(self) -> bool {
        matches!(self, Open::ReadWriteCreate | Open::AppendCreate)
    }

    fn writes(self) -> bool {
        self != Open::Read
    }
}

/// Open the regular file `path` for reading: a link as its last component
/// is refused (links on the folders above are followed), a FIFO, socket,
/// device or folder is refused without blocking.
///
/// # Errors
/// [`FsError::Symlink`], [`FsError::WrongKind`] naming what it is,
/// [`FsError::Io`] (`NotFound` when absent: [`FsError::is_not_found`]).
pub fn open_file(path: &Path) -> Result<File, FsError> {
    open_at(CWD, path.as_os_str(), path.to_path_buf(), Open::Read)
}

/// Read the regular file `path` whole ([`open_file`]'s rules), at most
/// `max` bytes.
///
/// # Errors
/// As [`open_file`]; [`FsError::TooLarge`] when it holds more than `max`.
pub fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, FsError> {
    read_bounded(&open_file(path)?, path, max)
}

/// [`read_file`], `None` when nothing is at `path`.
///
/// # Errors
/// As [`read_file`], absence aside.
pub fn read_file_if_exists(path: &Path, max: u64) -> Result<Option<Vec<u8>>, FsError> {
    match read_file(path, max) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Open the regular file `path` for appending, read too when `read` (it
/// must then exist), else created when missing: [`open_file`]'s rules, for
/// the files of a run folder that grow.
///
/// # Errors
/// As [`open_file`].
pub fn open_appending(path: &Path, read: bool) -> Result<File, FsError> {
    let how = if read {
        Open::ReadAppend
    } else {
        Open::AppendCreate
    };
    open_at(CWD, path.as_os_str(), path.to_path_buf(), how)
}

/// Open `name` relative to `dir` as [`Open`] says, `shown` naming it in
/// errors.
pub(super) fn open_at(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    shown: PathBuf,
    how: Open,
) -> Result<File, FsError> {
    let inspect = AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT;
    match statx(dir, name, inspect) {
        Ok((Kind::File, _)) => {}
        Ok((found, _)) => return Err(wrong(shown, found)),
        Err(Errno::NOENT) if how.creates() => {}
        Err(e) => return Err(FsError::io("opening", shown, e)),
    }
    let fd = match rustix::fs::openat(dir, name, how.flags(), file_mode()) {
        Ok(fd) => fd,
        // Replaced between the two looks: say by what.
        Err(e @ (Errno::LOOP | Errno::NXIO | Errno::ISDIR | Errno::NOTDIR)) => {
            return Err(match statx(dir, name, inspect) {
                Ok((found, _)) if found != Kind::File => wrong(shown, found),
                _ => FsError::io("opening", shown, e),
            })
        }
        Err(e) => return Err(FsError::io("opening", shown, e)),
    };
    let st = rustix::fs::fstat(&fd).map_err(|e| FsError::io("inspecting", shown.clone(), e))?;
    match Kind::of(&st) {
        Kind::File => {}
        found => return Err(wrong(shown, found)),
    }
    if how.writes() && st.st_nlink > 1 {
        // `st_nlink` is a u32 on some targets, a u64 on others.
        #[allow(clippy::useless_conversion)]
        let links = u64::from(st.st_nlink);
        return Err(FsError::HardLinked { path: shown, links });
    }
    let flags = rustix::fs::fcntl_getfl(&fd)
        .and_then(|f| rustix::fs::fcntl_setfl(&fd, f - OFlags::NONBLOCK))
        .map_err(|e| FsError::io("opening", shown, e));
    flags.map(|()| File::from(fd))
}

/// The error for an entry that is not a regular file.
fn wrong(path: PathBuf, found: Kind) -> FsError {
    match found {
        Kind::Symlink => FsError::Symlink { path },
        found => FsError::WrongKind {
            path,
            found,
            wanted: Kind::File,
        },
    }
}

/// Read the rest of `file` (a regular file, opened by [`open_file`] or
/// [`open_appending`]), at most `max` bytes; `path` names it in errors.
///
/// # Errors
/// [`FsError::TooLarge`] when more than `max` bytes are left,
/// [`FsError::Io`] when reading fails.
pub fn read_bounded(file: &File, path: &Path, max: u64) -> Result<Vec<u8>, FsError> {
    let too_large = || FsError::TooLarge {
        path: path.to_path_buf(),
        max,
    };
    let size = rustix::fs::fstat(file).map_or(0, |st| st.st_size.max(0) as u64);
    if size > max {
        return Err(too_large());
    }
    // Files of /proc and /sys report size 0 or 4096: the bound is what
    // counts, the size only a hint.
    let mut bytes = Vec::with_capacity(size.min(max) as usize);
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|cause| FsError::Io {
            action: "reading",
            path: path.to_path_buf(),
            cause,
        })?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}
