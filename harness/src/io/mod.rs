//! The file operations a workload may use, and the backends that carry them
//! out: blocking system calls, tokio's blocking pool, or an io_uring ring.
//!
//! This is the seam between workloads and strategies. A workload is written
//! once, as async code against [`Io`]; a strategy picks the backend and drives
//! the futures. Blocking calls complete inside `poll`, so under the blocking
//! backend the async code is plain sequential system calls.
//!
//! Buffers are owned ([`Buf`]) and handed back with the result, because an
//! io_uring operation needs its buffer to stay put until the kernel is done.
//! Every backend is single-task-at-a-time per future: concurrency comes from
//! the strategy running several futures (lanes), never from inside a backend.

mod blocking;
mod tokio;
mod uring;

#[doc(hidden)]
pub use self::tokio::{run_tokio, TokioFs};
#[doc(hidden)]
pub use self::uring::{Uring, UringFile};
/// The owned buffer of every operation lives with the ring that lends it to
/// the kernel (`sys::buf`); it is part of this seam's API.
pub use crate::sys::buf::{Buf, BufResult};
pub use crate::sys::stat::Stat;
pub(crate) use blocking::lstat;
#[doc(hidden)]
pub use blocking::Blocking;

use std::io;
use std::path::Path;

/// How to open a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Open {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Create the file if missing; never through a link (`O_NOFOLLOW`).
    pub create: bool,
    /// Truncate it to zero length.
    pub truncate: bool,
    /// Every write goes to the end of the file, atomically (`O_APPEND`).
    pub append: bool,
    /// Bypass the page cache (`O_DIRECT`); buffers, offsets and lengths must be
    /// aligned to `sys::cache::DIRECT_ALIGN` (4096).
    pub direct: bool,
    /// The file must not exist yet (`O_EXCL`, with `create`).
    pub exclusive: bool,
    /// Refuse a link at the last component (`O_NOFOLLOW`) even when not
    /// creating: opening a planted link fails (`ELOOP`) instead of opening
    /// what it points to.
    pub no_follow: bool,
}

impl Open {
    /// Read-only.
    pub const READ: Open = Open {
        read: true,
        write: false,
        create: false,
        truncate: false,
        append: false,
        direct: false,
        exclusive: false,
        no_follow: false,
    };
    /// Write-only, created or truncated.
    pub const CREATE: Open = Open {
        read: false,
        write: true,
        create: true,
        truncate: true,
        append: false,
        direct: false,
        exclusive: false,
        no_follow: false,
    };
    /// Write-only, a new file (`O_CREAT|O_EXCL`): for outputs that must be fresh.
    pub const CREATE_NEW: Open = Open {
        exclusive: true,
        ..Open::WRITE
    };
    /// Write-only appends, created if missing.
    pub const APPEND: Open = Open {
        append: true,
        ..Open::WRITE
    };
    /// Read-only, refusing a link at the last component (`O_NOFOLLOW`): for
    /// files in the scratch folder, where a link may have been planted.
    pub const READ_NO_FOLLOW: Open = Open {
        no_follow: true,
        ..Open::READ
    };
    /// Write-only, created if missing, not truncated (writes at explicit offsets).
    pub const WRITE: Open = Open {
        read: false,
        write: true,
        create: true,
        truncate: false,
        append: false,
        direct: false,
        exclusive: false,
        no_follow: false,
    };

    /// The `open(2)` flags these options mean. Opens that may create a file
    /// never follow a link at the last component (`O_NOFOLLOW`): a link
    /// planted where a scratch file goes fails the open instead of being
    /// written through.
    pub fn flags(&self) -> i32 {
        let mut flags = match (self.read, self.write) {
            (true, true) => libc::O_RDWR,
            (false, true) => libc::O_WRONLY,
            _ => libc::O_RDONLY,
        };
        if self.create {
            flags |= libc::O_CREAT | libc::O_NOFOLLOW;
        }
        if self.no_follow {
            flags |= libc::O_NOFOLLOW;
        }
        if self.create && self.exclusive {
            flags |= libc::O_EXCL;
        }
        if self.truncate {
            flags |= libc::O_TRUNC;
        }
        if self.append {
            flags |= libc::O_APPEND;
        }
        if self.direct {
            flags |= crate::sys::cache::O_DIRECT;
        }
        flags | libc::O_CLOEXEC
    }
}

/// One of the backends, by reference: the set is closed (blocking calls,
/// tokio's blocking pool, an io_uring ring), so code that holds a user's
/// workload behind a trait object can pick the task monomorphised for it.
#[derive(Clone, Copy, Debug)]
#[doc(hidden)]
pub enum Backend<'a> {
    /// [`Blocking`].
    Blocking(&'a Blocking),
    /// [`TokioFs`].
    Tokio(&'a TokioFs),
    /// [`Uring`].
    Uring(&'a Uring),
}

/// File operations, carried out by a backend. Methods take `&self` so many
/// futures can share one backend; `File` handles may be shared between them.
///
/// The futures are not required to be `Send`: the async strategies drive them
/// on one thread (the aiofiles and libaio models both have one event loop).
#[allow(async_fn_in_trait)]
pub trait Io {
    /// An open file of this backend.
    type File;

    /// Short name for logs and errors ("blocking", "tokio", "io_uring").
    fn name(&self) -> &'static str;

    /// This backend as one of the closed set ([`Backend`]).
    #[doc(hidden)]
    fn backend(&self) -> Backend<'_>;

    /// `open(2)`.
    async fn open(&self, path: &Path, how: Open) -> io::Result<Self::File>;
    /// `pread(2)`: up to `buf.len()` bytes at `offset`; returns the count read.
    async fn read_at(&self, file: &Self::File, buf: Buf, offset: u64) -> BufResult;
    /// `pread(2)` into a borrowed buffer, made now, where this backend's
    /// operations complete when they are called (the blocking backend);
    /// `None` where the kernel or a thread pool would still need the buffer
    /// after this returns (use [`Io::read_at`]). Lets a task of one small
    /// read read in place, without moving an owned buffer in and out of a
    /// future (docs/measurement.md, Harness cost).
    fn read_at_now(
        &self,
        _file: &Self::File,
        _buf: &mut [u8],
        _offset: u64,
    ) -> Option<io::Result<usize>> {
        None
    }
    /// `pwrite(2)` from a borrowed buffer, made now, where this backend's
    /// operations complete when they are called (the blocking backend);
    /// `None` elsewhere (use [`Io::write_at`]). Lets a task write bytes
    /// prepared before the timed region without copying them into an owned
    /// buffer (`write prepared`).
    fn write_at_now(
        &self,
        _file: &Self::File,
        _buf: &[u8],
        _offset: u64,
    ) -> Option<io::Result<usize>> {
        None
    }
    /// `pwrite(2)`: up to `buf.len()` bytes at `offset`; returns the count written.
    async fn write_at(&self, file: &Self::File, buf: Buf, offset: u64) -> BufResult;
    /// `write(2)` at the file position (for `O_APPEND` handles: at the end).
    async fn write(&self, file: &Self::File, buf: Buf) -> BufResult;
    /// `fsync(2)`.
    async fn sync_all(&self, file: &Self::File) -> io::Result<()>;
    /// `close(2)`, reporting its error (which `drop` would swallow).
    async fn close(&self, file: Self::File) -> io::Result<()>;
    /// `rename(2)`.
    async fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// The file's size (`fstat(2)`/`statx(2)`).
    async fn size(&self, file: &Self::File) -> io::Result<u64>;
    /// `statx(2)` of a path without following a link at its last component
    /// (`AT_SYMLINK_NOFOLLOW`, as `lstat(2)`).
    async fn stat(&self, path: &Path) -> io::Result<Stat>;
    /// `unlink(2)`: removes the name; a link is removed itself, never what
    /// it points to.
    async fn unlink(&self, path: &Path) -> io::Result<()>;
    /// Whole-file copy done by the kernel (`copy_file_range(2)`) into the new
    /// file `to` (never through a link), returning the bytes copied. Backends
    /// without such an operation return `Unsupported`.
    async fn copy_file(&self, from: &Path, to: &Path) -> io::Result<u64>;
}

/// Read the whole of `buf.len()` bytes at `offset`, looping over short reads;
/// stops early only at end of file. Returns the total read.
pub async fn read_exact_at<I: Io>(io: &I, file: &I::File, buf: Buf, offset: u64) -> BufResult {
    let want = buf.len();
    // The common case: one read fills the buffer in place, with no copy.
    match io.read_at(file, buf, offset).await {
        (Ok(n), buf) if n != 0 && n < want => read_rest_at(io, file, buf, offset, n).await,
        done => done,
    }
}

/// After a short read of `done` bytes into `buf` at `offset`: read the rest
/// of `buf` in pieces and copy them in (stops early only at end of file).
/// Returns the total read. A separate function so that a task that makes
/// the first read itself keeps this rare path out of its own code.
pub async fn read_rest_at<I: Io>(
    io: &I,
    file: &I::File,
    mut buf: Buf,
    offset: u64,
    mut done: usize,
) -> BufResult {
    let want = buf.len();
    while done < want {
        let chunk = Buf::zeroed(want - done);
        let (res, chunk) = io.read_at(file, chunk, offset + done as u64).await;
        match res {
            Ok(0) => break,
            Ok(n) => {
                buf.as_mut_slice()[done..done + n].copy_from_slice(&chunk.as_slice()[..n]);
                done += n;
            }
            Err(e) => return (Err(e), buf),
        }
    }
    (Ok(done), buf)
}

/// Write all of `buf` starting at `offset`, looping over short writes.
pub async fn write_all_at<I: Io>(io: &I, file: &I::File, mut buf: Buf, offset: u64) -> BufResult {
    let total = buf.len();
    let mut done = 0;
    while done < total {
        let (res, back) = io.write_at(file, buf, offset + done as u64).await;
        buf = back;
        match res {
            Ok(0) => return (Err(io::ErrorKind::WriteZero.into()), buf),
            Ok(n) => {
                done += n;
                if done < total {
                    let rest = buf.as_slice()[n..].to_vec();
                    buf = Buf::from_vec(rest);
                }
            }
            Err(e) => return (Err(e), buf),
        }
    }
    (Ok(total), buf)
}
