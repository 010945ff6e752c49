//! io_uring(7): setting up and probing a ring, queueing operations that own
//! everything they lend the kernel, and turning completions back into owned
//! results.
//!
//! This module owns every `unsafe` step of io_uring use: pushing submission
//! entries that carry raw pointers, and adopting the descriptors the kernel
//! opens. It does not own scheduling, wakers or futures; the executor in
//! `crate::io` (`Uring`) builds on the safe [`Ring`] here.
//!
//! # Memory safety
//! An operation's buffer, path strings and `statx` record live in the heap.
//! When its entry is pushed, the ring takes them (and a reference keeping the
//! descriptor open) into its in-flight table, and gives them back only when the
//! completion is reaped. Moving the record (the table may grow) never moves
//! that heap memory. Nothing is freed while the kernel may still touch it: a
//! caller that gives up on an operation simply never sees its outcome, and a
//! dropped [`Ring`] first waits for every operation in flight, leaking their
//! memory instead if it cannot wait.
//!
//! # Platform specific behavior
//! Linux ≥ 5.6 (`IORING_OP_OPENAT`, `STATX`, `CLOSE`, `IORING_FEAT_RW_CUR_POS`),
//! ≥ 5.11 for `RENAMEAT` and `UNLINKAT`. io_uring may be refused by
//! `/proc/sys/kernel/io_uring_disabled` or by a seccomp sandbox; [`Ring::new`]
//! reports that as [`Unavailable`].

use std::ffi::{CStr, CString};
use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use io_uring::squeue::Entry;
use io_uring::{opcode, types, IoUring, Probe};

use super::buf::{Buf, BufResult};
use super::stat::Stat;
use super::Unavailable;

/// A descriptor shared by a file handle and the operations in flight on it, so
/// it stays open (and its number is not reused) until the last of them ends.
pub type SharedFd = Arc<OwnedFd>;

/// The write offset meaning "at the file position" (`-1`): with `O_APPEND`,
/// at the end of the file.
pub const AT_POSITION: u64 = u64::MAX;

/// The mode given to files that [`Op::Open`] creates (`rw-r--r--` before umask).
pub const CREATE_MODE: u32 = 0o644;

/// One operation, owning everything it lends the kernel until it completes.
#[derive(Debug)]
pub enum Op {
    /// `openat(AT_FDCWD, path, flags, mode)`.
    Open {
        /// The path, relative paths resolving against the working directory.
        path: CString,
        /// `open(2)` flags.
        flags: i32,
        /// Permission bits for a created file.
        mode: u32,
    },
    /// `pread(2)` into `buf` at `offset`.
    Read {
        /// The file.
        fd: SharedFd,
        /// Where the bytes go; at most `u32::MAX` of them per operation.
        buf: Buf,
        /// File offset.
        offset: u64,
    },
    /// `pwrite(2)` of `buf` at `offset`; [`AT_POSITION`] means `write(2)`.
    Write {
        /// The file.
        fd: SharedFd,
        /// The bytes; at most `u32::MAX` of them per operation.
        buf: Buf,
        /// File offset, or [`AT_POSITION`].
        offset: u64,
    },
    /// `fsync(2)`.
    Fsync {
        /// The file.
        fd: SharedFd,
    },
    /// `close(2)`: the descriptor is handed to the kernel, which closes it.
    Close {
        /// The descriptor, owned by nothing else.
        fd: OwnedFd,
    },
    /// `renameat(AT_FDCWD, from, AT_FDCWD, to)`.
    Rename {
        /// Old path.
        from: CString,
        /// New path.
        to: CString,
    },
    /// `statx(fd, "", AT_EMPTY_PATH, STATX_SIZE)`: the file's size.
    Size {
        /// The file.
        fd: SharedFd,
    },
    /// `statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE)`:
    /// a path's type and size, a link reported as itself.
    Stat {
        /// The path.
        path: CString,
    },
    /// `unlinkat(AT_FDCWD, path, 0)`.
    Unlink {
        /// The path.
        path: CString,
    },
}

impl Op {
    /// The outcome of this operation had it failed with `error` before reaching
    /// the kernel: what it lent comes back.
    pub fn fail(self, error: io::Error) -> Done {
        match self {
            Op::Open { .. } => Done::Opened(Err(error)),
            Op::Read { buf, .. } | Op::Write { buf, .. } => Done::Transferred(Err(error), buf),
            Op::Fsync { .. } | Op::Close { .. } | Op::Rename { .. } | Op::Unlink { .. } => {
                Done::Finished(Err(error))
            }
            Op::Size { .. } => Done::Size(Err(error)),
            Op::Stat { .. } => Done::Stat(Err(error)),
        }
    }
}

/// The outcome of an [`Op`], with what it lent handed back.
#[derive(Debug)]
pub enum Done {
    /// Of [`Op::Open`]: the new descriptor.
    Opened(io::Result<OwnedFd>),
    /// Of [`Op::Read`] and [`Op::Write`]: bytes transferred, and the buffer.
    Transferred(io::Result<usize>, Buf),
    /// Of [`Op::Fsync`], [`Op::Close`], [`Op::Rename`] and [`Op::Unlink`].
    Finished(io::Result<()>),
    /// Of [`Op::Size`]: the size in bytes.
    Size(io::Result<u64>),
    /// Of [`Op::Stat`]: type and size.
    Stat(io::Result<Stat>),
    /// The ring failed before the operation completed; what it lent stays
    /// with the ring (the kernel may still use it).
    Lost(io::Error),
}

impl Done {
    /// The descriptor of an [`Op::Open`].
    ///
    /// # Errors
    /// The operation's error, or `Other` when this is not an open's outcome.
    pub fn into_fd(self) -> io::Result<OwnedFd> {
        match self {
            Done::Opened(res) => res,
            other => Err(other.into_error()),
        }
    }

    /// The count and buffer of an [`Op::Read`] or [`Op::Write`] (an empty
    /// buffer when it was lost).
    pub fn into_transfer(self) -> BufResult {
        match self {
            Done::Transferred(res, buf) => (res, buf),
            other => (Err(other.into_error()), Buf::default()),
        }
    }

    /// The result of an [`Op::Fsync`], [`Op::Close`], [`Op::Rename`] or [`Op::Unlink`].
    ///
    /// # Errors
    /// The operation's error, or `Other` for another kind of outcome.
    pub fn into_unit(self) -> io::Result<()> {
        match self {
            Done::Finished(res) => res,
            other => Err(other.into_error()),
        }
    }

    /// The size of an [`Op::Size`].
    ///
    /// # Errors
    /// The operation's error, or `Other` for another kind of outcome.
    pub fn into_size(self) -> io::Result<u64> {
        match self {
            Done::Size(res) => res,
            other => Err(other.into_error()),
        }
    }

    /// The type and size of an [`Op::Stat`].
    ///
    /// # Errors
    /// The operation's error, or `Other` for another kind of outcome.
    pub fn into_stat(self) -> io::Result<Stat> {
        match self {
            Done::Stat(res) => res,
            other => Err(other.into_error()),
        }
    }

    fn into_error(self) -> io::Error {
        match self {
            Done::Lost(e) => e,
            Done::Opened(Err(e))
            | Done::Transferred(Err(e), _)
            | Done::Finished(Err(e))
            | Done::Size(Err(e))
            | Done::Stat(Err(e)) => e,
            _ => io::Error::other("io_uring: completion of an unexpected kind"),
        }
    }
}

/// What an operation lends the kernel, kept from push until completion. The
/// submission entry's pointers point into this heap memory.
#[derive(Debug)]
// Most fields are held, never read: they keep memory and descriptors alive.
#[allow(dead_code)]
enum Lent {
    Open(CString),
    Read(SharedFd, Buf),
    Write(SharedFd, Buf),
    Fsync(SharedFd),
    /// The descriptor itself went to the kernel.
    Close,
    Rename(CString, CString),
    Size(SharedFd, Box<libc::statx>),
    Stat(CString, Box<libc::statx>),
    Unlink(CString),
}

/// The empty path of `statx(fd, "", AT_EMPTY_PATH, …)`.
const EMPTY_PATH: &CStr = c"";

impl Lent {
    /// Split `op` into what it lends, its submission entry (pointing into the
    /// lent heap memory) and, for a close, the descriptor to give up once the
    /// entry is queued.
    fn from_op(op: Op) -> (Lent, Entry, Option<OwnedFd>) {
        let cwd = types::Fd(libc::AT_FDCWD);
        match op {
            Op::Open { path, flags, mode } => {
                let entry = opcode::OpenAt::new(cwd, path.as_ptr())
                    .flags(flags)
                    .mode(mode)
                    .build();
                (Lent::Open(path), entry, None)
            }
            Op::Read {
                fd,
                mut buf,
                offset,
            } => {
                let window = buf.as_mut_slice();
                let entry = opcode::Read::new(
                    types::Fd(fd.as_raw_fd()),
                    window.as_mut_ptr(),
                    len32(window.len()),
                )
                .offset(offset)
                .build();
                (Lent::Read(fd, buf), entry, None)
            }
            Op::Write { fd, buf, offset } => {
                let window = buf.as_slice();
                let entry = opcode::Write::new(
                    types::Fd(fd.as_raw_fd()),
                    window.as_ptr(),
                    len32(window.len()),
                )
                .offset(offset)
                .build();
                (Lent::Write(fd, buf), entry, None)
            }
            Op::Fsync { fd } => {
                let entry = opcode::Fsync::new(types::Fd(fd.as_raw_fd())).build();
                (Lent::Fsync(fd), entry, None)
            }
            Op::Close { fd } => {
                let entry = opcode::Close::new(types::Fd(fd.as_raw_fd())).build();
                (Lent::Close, entry, Some(fd))
            }
            Op::Rename { from, to } => {
                let entry = opcode::RenameAt::new(cwd, from.as_ptr(), cwd, to.as_ptr()).build();
                (Lent::Rename(from, to), entry, None)
            }
            Op::Size { fd } => {
                let mut stat = zeroed_statx();
                let target: *mut libc::statx = &mut *stat;
                let entry = opcode::Statx::new(
                    types::Fd(fd.as_raw_fd()),
                    EMPTY_PATH.as_ptr(),
                    target.cast(),
                )
                .flags(libc::AT_EMPTY_PATH)
                .mask(libc::STATX_SIZE)
                .build();
                (Lent::Size(fd, stat), entry, None)
            }
            Op::Stat { path } => {
                let mut stat = zeroed_statx();
                let target: *mut libc::statx = &mut *stat;
                let entry = opcode::Statx::new(cwd, path.as_ptr(), target.cast())
                    .flags(libc::AT_SYMLINK_NOFOLLOW)
                    .mask(libc::STATX_TYPE | libc::STATX_SIZE)
                    .build();
                (Lent::Stat(path, stat), entry, None)
            }
            Op::Unlink { path } => {
                let entry = opcode::UnlinkAt::new(cwd, path.as_ptr()).build();
                (Lent::Unlink(path), entry, None)
            }
        }
    }

    /// The outcome for completion result `res` (a count, a descriptor, or
    /// `-errno`), with what was lent handed back.
    fn finish(self, res: i32) -> Done {
        let count = || {
            if res < 0 {
                Err(io::Error::from_raw_os_error(-res))
            } else {
                Ok(res as usize)
            }
        };
        match self {
            Lent::Open(_) => Done::Opened(count().map(|_| {
                // SAFETY: a non-negative OPENAT result is a descriptor the kernel
                // has just opened for this operation; nothing else owns it.
                unsafe { OwnedFd::from_raw_fd(res) }
            })),
            Lent::Read(_, buf) | Lent::Write(_, buf) => Done::Transferred(count(), buf),
            Lent::Fsync(_) | Lent::Close | Lent::Rename(..) | Lent::Unlink(_) => {
                Done::Finished(count().map(drop))
            }
            Lent::Size(_, stat) => Done::Size(count().map(|_| stat.stx_size)),
            Lent::Stat(_, stat) => Done::Stat(
                count().map(|_| Stat::from_mode(u32::from(stat.stx_mode), stat.stx_size)),
            ),
        }
    }

    /// The outcome of an operation that never reached the kernel.
    fn fail(self, error: io::Error) -> Done {
        match self {
            Lent::Open(_) => Done::Opened(Err(error)),
            Lent::Read(_, buf) | Lent::Write(_, buf) => Done::Transferred(Err(error), buf),
            Lent::Fsync(_) | Lent::Close | Lent::Rename(..) | Lent::Unlink(_) => {
                Done::Finished(Err(error))
            }
            Lent::Size(..) => Done::Size(Err(error)),
            Lent::Stat(..) => Done::Stat(Err(error)),
        }
    }
}

/// A zeroed `statx` record on the heap, for the kernel to fill.
fn zeroed_statx() -> Box<libc::statx> {
    // SAFETY: `statx` is a plain C struct of integers, for which all zero
    // bytes is a valid value.
    Box::new(unsafe { mem::zeroed() })
}

/// A read or write length as the entry's 32-bit field; longer windows are
/// capped, which is a short read or write (Linux caps at 2 GiB anyway).
fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// One line on why `io_uring_setup` failed.
fn setup_refusal(e: &io::Error) -> String {
    let disabled = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    match e.raw_os_error() {
        Some(libc::ENOSYS) => "io_uring_setup is not implemented by this kernel (ENOSYS)".into(),
        Some(libc::EPERM) if !disabled.is_empty() && disabled != "0" => {
            format!("io_uring_setup refused (EPERM): kernel.io_uring_disabled = {disabled}")
        }
        Some(libc::EPERM) => "io_uring_setup refused (EPERM), likely by a seccomp sandbox".into(),
        Some(libc::ENOMEM) => {
            "io_uring_setup failed (ENOMEM): ring memory over RLIMIT_MEMLOCK (Linux < 5.12)".into()
        }
        _ => format!("io_uring_setup failed: {e}"),
    }
}

/// `path` as the NUL-terminated string the kernel takes.
///
/// # Errors
/// `InvalidInput` when the path contains a NUL byte.
pub fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("path contains a NUL byte: {}", path.display()),
        )
    })
}

/// An io_uring instance and the operations it has in flight, each under the
/// `user_data` key its caller chose (small integers: the key indexes a table).
pub struct Ring {
    ring: IoUring,
    /// Indexed by `user_data`; `Some` from push until the completion is reaped.
    in_flight: Vec<Option<Lent>>,
    count: usize,
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("entries", &self.entries())
            .field("in_flight", &self.count)
            .finish()
    }
}

/// The opcodes [`Op`] uses, with names for the unavailability message.
const OPCODES: [(u8, &str); 8] = [
    (opcode::OpenAt::CODE, "OPENAT"),
    (opcode::Read::CODE, "READ"),
    (opcode::Write::CODE, "WRITE"),
    (opcode::Fsync::CODE, "FSYNC"),
    (opcode::Close::CODE, "CLOSE"),
    (opcode::RenameAt::CODE, "RENAMEAT"),
    (opcode::Statx::CODE, "STATX"),
    (opcode::UnlinkAt::CODE, "UNLINKAT"),
];

/// How many times [`Ring`]'s drop retries a wait the kernel refuses for lack
/// of resources before it gives up and leaks what is in flight.
const DROP_RETRIES: u32 = 10_000;

impl Ring {
    /// Set up a ring of at least `entries` submission entries (the kernel
    /// rounds up to a power of two) and check it supports every [`Op`].
    ///
    /// # Errors
    /// [`Unavailable`], one line: `io_uring_setup` refused (`EPERM` from
    /// `/proc/sys/kernel/io_uring_disabled` or a sandbox, `ENOSYS` from an old
    /// kernel), an opcode missing, or writing at the file position unsupported.
    pub fn new(entries: u32) -> Result<Ring, Unavailable> {
        let unavailable = |why: String| Unavailable(format!("io_uring unavailable: {why}"));
        if entries == 0 {
            return Err(unavailable("queue depth must be at least 1".into()));
        }
        let ring = IoUring::new(entries).map_err(|e| unavailable(setup_refusal(&e)))?;
        let mut probe = Probe::new();
        ring.submitter()
            .register_probe(&mut probe)
            .map_err(|e| unavailable(format!("cannot probe opcodes: {e}")))?;
        let missing: Vec<&str> = OPCODES
            .iter()
            .filter(|(code, _)| !probe.is_supported(*code))
            .map(|(_, name)| *name)
            .collect();
        if !missing.is_empty() {
            return Err(unavailable(format!(
                "kernel lacks opcodes {}",
                missing.join(", ")
            )));
        }
        if !ring.params().is_feature_rw_cur_pos() {
            return Err(unavailable(
                "kernel cannot write at the file position (Linux < 5.6)".into(),
            ));
        }
        Ok(Ring {
            ring,
            in_flight: Vec::new(),
            count: 0,
        })
    }

    /// Submission queue entries (the queue depth, rounded up by the kernel).
    pub fn entries(&self) -> usize {
        self.ring.params().sq_entries() as usize
    }

    /// Operations pushed and not yet reaped (queued, in the kernel, or done
    /// with their completion not yet reaped).
    pub fn in_flight(&self) -> usize {
        self.count
    }

    /// Queue `op` under `user_data`, submitting the queue first if it is full.
    /// The op reaches the kernel at the next [`Ring::submit`].
    ///
    /// # Errors
    /// The op's failed outcome, with what it lent: when `user_data` is already
    /// in flight, or the full queue could not be submitted. (A failed close
    /// still closes its descriptor, plainly.)
    pub fn push(&mut self, user_data: usize, op: Op) -> Result<(), Done> {
        if self.in_flight.get(user_data).is_some_and(Option::is_some) {
            return Err(op.fail(io::Error::other("io_uring: user_data already in flight")));
        }
        let (lent, entry, closing) = Lent::from_op(op);
        let entry = entry.user_data(user_data as u64);
        loop {
            // SAFETY: every pointer in `entry` points into heap memory owned by
            // `lent` (the buffer's storage, the path strings, the boxed statx)
            // or to a static empty string, and every descriptor in it stays open
            // while `lent` lives (an `Arc<OwnedFd>`), except a close's, which is
            // the kernel's from here on (released below, never closed by us).
            // Once queued, `lent` goes into `self.in_flight[user_data]`, which it
            // leaves only in `reap`, after this entry's completion, or is leaked
            // by `drop` when it cannot wait; moving `lent` moves none of that
            // heap memory. When the push fails the entry was not queued.
            let pushed = unsafe { self.ring.submission().push(&entry) };
            if pushed.is_ok() {
                break;
            }
            if let Err(e) = self.ring.submit() {
                return Err(lent.fail(e));
            }
        }
        if let Some(fd) = closing {
            // The queued CLOSE will close it; dropping the OwnedFd would close it twice.
            let _raw = fd.into_raw_fd();
        }
        if self.in_flight.len() <= user_data {
            self.in_flight.resize_with(user_data + 1, || None);
        }
        self.in_flight[user_data] = Some(lent);
        self.count += 1;
        Ok(())
    }

    /// Hand the queued entries to the kernel; with `wait`, block until at least
    /// one operation has completed (returning at once when none is in flight).
    /// An interrupted wait is retried; `EAGAIN`/`EBUSY` (the kernel short of
    /// resources) return `Ok` so the caller reaps and comes back.
    ///
    /// # Errors
    /// Any other error of `io_uring_enter(2)`: the ring is unusable.
    pub fn submit(&mut self, wait: bool) -> io::Result<()> {
        loop {
            let res = if wait && self.count > 0 {
                self.ring.submit_and_wait(1)
            } else {
                self.ring.submit()
            };
            match res {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EBUSY)) => {
                    return Ok(())
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Hand each completed operation's outcome to `done`, with its `user_data`.
    pub fn reap(&mut self, mut done: impl FnMut(usize, Done)) {
        for cqe in self.ring.completion() {
            let key = cqe.user_data() as usize;
            if let Some(lent) = self.in_flight.get_mut(key).and_then(Option::take) {
                self.count -= 1;
                done(key, lent.finish(cqe.result()));
            }
        }
    }
}

impl Drop for Ring {
    /// Wait for every operation in flight before the lent memory is freed; if
    /// the kernel refuses to wait, leak that memory rather than free it under
    /// the kernel's feet.
    fn drop(&mut self) {
        let mut retries = 0;
        while self.count > 0 {
            match self.ring.submit_and_wait(1) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EBUSY))
                        && retries < DROP_RETRIES =>
                {
                    retries += 1;
                    std::thread::yield_now();
                }
                Err(_) => {
                    mem::forget(mem::take(&mut self.in_flight));
                    return;
                }
            }
            self.reap(|_, done| drop(done));
        }
    }
}
