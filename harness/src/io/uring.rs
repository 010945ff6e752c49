//! The io_uring backend: real kernel asynchronous I/O on one thread, the
//! model of libaio and Python's caio.
//!
//! [`Uring`] is a single-threaded executor over one ring. Each operation
//! future, on its first poll, queues one submission entry and parks its waker
//! in a slot keyed by the entry's `user_data`; [`Uring::block_on`] submits the
//! queue, waits for completions, stores each outcome in its slot and wakes the
//! future that waits for it. At most `queue_depth` operations are in the
//! kernel at once; further ones wait for room, so any number of futures may
//! be started.
//!
//! This module owns the executor and the [`Io`] implementation, in safe code.
//! It does not own the ring itself or anything `unsafe`: pushing entries that
//! point into buffers, keeping those buffers alive until the kernel is done,
//! and adopting opened descriptors live in [`crate::sys::uring`]. A future
//! dropped while its operation is in flight leaves the operation's buffer,
//! path or `statx` record with the ring until the completion arrives.
//!
//! # Platform specific behavior
//! Linux only; see [`crate::sys::uring`] for the kernel versions needed.
//! `size` uses `IORING_OP_STATX` with `AT_EMPTY_PATH` on the descriptor.
//! `stat` is `IORING_OP_STATX` with `AT_SYMLINK_NOFOLLOW` on the path,
//! `unlink` is `IORING_OP_UNLINKAT`.
//! `copy_file` is unsupported: io_uring has no `copy_file_range` operation.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::mem;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use super::{Buf, BufResult, Io, Open, Stat};
use crate::sys::uring::{c_path, Done, Op, Ring, SharedFd, AT_POSITION, CREATE_MODE};
use crate::sys::Unavailable;

/// A single-threaded io_uring executor and file backend.
///
/// Futures of its [`Io`] methods make progress only inside
/// [`Uring::block_on`] on the same `Uring`.
#[derive(Debug)]
pub struct Uring {
    inner: RefCell<Executor>,
}

/// A file opened through [`Uring`]. Dropped without [`Io::close`], it is
/// closed with a plain `close(2)` (once no operation on it is in flight).
#[derive(Debug)]
pub struct UringFile {
    fd: SharedFd,
}

impl AsRawFd for UringFile {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for UringFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Where an operation stands, under its `user_data` key.
#[derive(Debug)]
enum Slot {
    /// Not in use (its key is on the free list).
    Free,
    /// In flight; the waker of the future awaiting it.
    Waiting(Waker),
    /// Completed; the outcome awaits its future's next poll.
    Ready(Done),
    /// In flight, its future dropped: the outcome is dropped on arrival.
    Abandoned,
}

/// The ring, the slots of its operations, and the futures waiting for room.
#[derive(Debug)]
struct Executor {
    ring: Ring,
    slots: Vec<Slot>,
    free: Vec<usize>,
    /// Most operations in flight at once.
    depth: usize,
    /// Futures that found `depth` operations in flight, to wake when some end.
    room_waiters: Vec<Waker>,
    /// Set when `io_uring_enter` failed: no operation will complete any more.
    broken: Option<(io::ErrorKind, String)>,
}

/// What starting an operation came to.
enum Start {
    /// Queued under this key.
    Queued(usize),
    /// No room yet: try again when woken.
    Full(Op),
    /// Failed before reaching the kernel.
    Failed(Done),
}

impl Executor {
    fn broken_error(&self) -> Option<io::Error> {
        self.broken
            .as_ref()
            .map(|(kind, msg)| io::Error::new(*kind, msg.clone()))
    }

    fn start(&mut self, op: Op, waker: &Waker) -> Start {
        if let Some(e) = self.broken_error() {
            return Start::Failed(op.fail(e));
        }
        if self.ring.in_flight() >= self.depth {
            self.room_waiters.push(waker.clone());
            return Start::Full(op);
        }
        let key = match self.free.pop() {
            Some(key) => key,
            None => {
                self.slots.push(Slot::Free);
                self.slots.len() - 1
            }
        };
        match self.ring.push(key, op) {
            Ok(()) => {
                self.slots[key] = Slot::Waiting(waker.clone());
                Start::Queued(key)
            }
            Err(done) => {
                self.free.push(key);
                Start::Failed(done)
            }
        }
    }

    /// The outcome under `key` if it has arrived, else remember `waker`.
    fn poll_slot(&mut self, key: usize, waker: &Waker) -> Option<Done> {
        match mem::replace(&mut self.slots[key], Slot::Free) {
            Slot::Ready(done) => {
                self.free.push(key);
                Some(done)
            }
            Slot::Waiting(old) => {
                if let Some(e) = self.broken_error() {
                    // The lent memory stays with the ring; the key is never reused.
                    self.slots[key] = Slot::Abandoned;
                    return Some(Done::Lost(e));
                }
                let waker = if old.will_wake(waker) {
                    old
                } else {
                    waker.clone()
                };
                self.slots[key] = Slot::Waiting(waker);
                None
            }
            other => {
                self.slots[key] = other;
                Some(Done::Lost(io::Error::other(
                    "io_uring: operation polled after it ended",
                )))
            }
        }
    }

    /// The future awaiting `key` is gone: drop the outcome now or on arrival.
    fn abandon(&mut self, key: usize) {
        match mem::replace(&mut self.slots[key], Slot::Abandoned) {
            Slot::Ready(_) | Slot::Free => {
                self.slots[key] = Slot::Free;
                self.free.push(key);
            }
            Slot::Waiting(_) | Slot::Abandoned => {}
        }
    }

    /// Submit what is queued, wait for a completion if `wait`, and deliver the
    /// outcomes. Returns whether anything was in flight.
    fn turn(&mut self, wait: bool) -> bool {
        if self.ring.in_flight() == 0 || self.broken.is_some() {
            return false;
        }
        if let Err(e) = self.ring.submit(wait) {
            self.broken = Some((e.kind(), format!("io_uring_enter failed: {e}")));
            self.wake_all();
            return true;
        }
        let Executor {
            ring, slots, free, ..
        } = self;
        ring.reap(
            |key, done| match mem::replace(&mut slots[key], Slot::Free) {
                Slot::Waiting(waker) => {
                    slots[key] = Slot::Ready(done);
                    waker.wake();
                }
                // Abandoned: its future is gone, so drop the outcome (closing an
                // opened descriptor, freeing the buffer).
                _ => free.push(key),
            },
        );
        for waker in self.room_waiters.drain(..) {
            waker.wake();
        }
        true
    }

    fn wake_all(&mut self) {
        for slot in &self.slots {
            if let Slot::Waiting(waker) = slot {
                waker.wake_by_ref();
            }
        }
        for waker in self.room_waiters.drain(..) {
            waker.wake();
        }
    }
}

/// The future of one operation.
struct OpFuture<'a> {
    uring: &'a Uring,
    state: OpState,
}

enum OpState {
    NotStarted(Op),
    InFlight(usize),
    Ended,
}

impl Future for OpFuture<'_> {
    type Output = Done;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Done> {
        let this = self.get_mut();
        let state = mem::replace(&mut this.state, OpState::Ended);
        let Ok(mut exec) = this.uring.inner.try_borrow_mut() else {
            let busy = io::Error::other("io_uring executor busy (re-entered)");
            return Poll::Ready(match state {
                OpState::NotStarted(op) => op.fail(busy),
                _ => Done::Lost(busy),
            });
        };
        match state {
            OpState::NotStarted(op) => match exec.start(op, cx.waker()) {
                Start::Queued(key) => {
                    this.state = OpState::InFlight(key);
                    Poll::Pending
                }
                Start::Full(op) => {
                    this.state = OpState::NotStarted(op);
                    Poll::Pending
                }
                Start::Failed(done) => Poll::Ready(done),
            },
            OpState::InFlight(key) => match exec.poll_slot(key, cx.waker()) {
                Some(done) => Poll::Ready(done),
                None => {
                    this.state = OpState::InFlight(key);
                    Poll::Pending
                }
            },
            OpState::Ended => Poll::Ready(Done::Lost(io::Error::other(
                "io_uring: future polled after completion",
            ))),
        }
    }
}

impl Drop for OpFuture<'_> {
    fn drop(&mut self) {
        if let OpState::InFlight(key) = self.state {
            // If the executor is borrowed (it never is while futures are dropped
            // by safe code here), the slot stays Waiting: a leak, never a free.
            if let Ok(mut exec) = self.uring.inner.try_borrow_mut() {
                exec.abandon(key);
            }
        }
    }
}

/// Wakes the thread running [`Uring::block_on`].
struct Signal {
    woken: AtomicBool,
    thread: Thread,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

impl Uring {
    /// A ring of `queue_depth` entries, with at most `queue_depth` operations
    /// in the kernel at once.
    ///
    /// # Errors
    /// [`Unavailable`] (one line, "io_uring unavailable: …") when the kernel or
    /// a sandbox refuses io_uring or lacks an operation this backend uses.
    pub fn new(queue_depth: u32) -> Result<Uring, Unavailable> {
        let ring = Ring::new(queue_depth)?;
        let depth = (queue_depth as usize).min(ring.entries());
        let exec = Executor {
            ring,
            slots: Vec::new(),
            free: Vec::new(),
            depth,
            room_waiters: Vec::new(),
            broken: None,
        };
        Ok(Uring {
            inner: RefCell::new(exec),
        })
    }

    /// Run `fut` to completion on this thread, driving the ring: poll it;
    /// while it is pending, submit the queued entries, wait for at least one
    /// completion (unless something was woken already), deliver the outcomes
    /// and poll again. A future waiting on something other than this ring
    /// parks the thread until woken; while operations are in flight, such a
    /// wake is noticed at the next completion.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        let signal = Arc::new(Signal {
            woken: AtomicBool::new(false),
            thread: thread::current(),
        });
        let waker = Waker::from(Arc::clone(&signal));
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(fut);
        loop {
            signal.woken.store(false, Ordering::Release);
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                return out;
            }
            let woken = signal.woken.load(Ordering::Acquire);
            let busy = self
                .inner
                .try_borrow_mut()
                .map(|mut exec| exec.turn(!woken))
                .unwrap_or(false);
            if !busy {
                while !signal.woken.load(Ordering::Acquire) {
                    thread::park();
                }
            }
        }
    }

    fn op(&self, op: Op) -> OpFuture<'_> {
        OpFuture {
            uring: self,
            state: OpState::NotStarted(op),
        }
    }
}

impl Io for Uring {
    type File = UringFile;

    fn name(&self) -> &'static str {
        "io_uring"
    }

    fn backend(&self) -> super::Backend<'_> {
        super::Backend::Uring(self)
    }

    async fn open(&self, path: &Path, how: Open) -> io::Result<UringFile> {
        let op = Op::Open {
            path: c_path(path)?,
            flags: how.flags(),
            mode: CREATE_MODE,
        };
        let fd: OwnedFd = self.op(op).await.into_fd()?;
        Ok(UringFile { fd: Arc::new(fd) })
    }

    async fn read_at(&self, file: &UringFile, buf: Buf, offset: u64) -> BufResult {
        self.op(Op::Read {
            fd: Arc::clone(&file.fd),
            buf,
            offset,
        })
        .await
        .into_transfer()
    }

    async fn write_at(&self, file: &UringFile, buf: Buf, offset: u64) -> BufResult {
        self.op(Op::Write {
            fd: Arc::clone(&file.fd),
            buf,
            offset,
        })
        .await
        .into_transfer()
    }

    async fn write(&self, file: &UringFile, buf: Buf) -> BufResult {
        self.op(Op::Write {
            fd: Arc::clone(&file.fd),
            buf,
            offset: AT_POSITION,
        })
        .await
        .into_transfer()
    }

    async fn sync_all(&self, file: &UringFile) -> io::Result<()> {
        self.op(Op::Fsync {
            fd: Arc::clone(&file.fd),
        })
        .await
        .into_unit()
    }

    /// Closes through the ring. If an operation of a dropped future is still
    /// in flight on the file, the descriptor is closed plainly when it ends,
    /// and this returns `Ok`.
    async fn close(&self, file: UringFile) -> io::Result<()> {
        match Arc::try_unwrap(file.fd) {
            Ok(fd) => self.op(Op::Close { fd }).await.into_unit(),
            Err(_shared) => Ok(()),
        }
    }

    async fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.op(Op::Rename {
            from: c_path(from)?,
            to: c_path(to)?,
        })
        .await
        .into_unit()
    }

    async fn size(&self, file: &UringFile) -> io::Result<u64> {
        self.op(Op::Size {
            fd: Arc::clone(&file.fd),
        })
        .await
        .into_size()
    }

    async fn stat(&self, path: &Path) -> io::Result<Stat> {
        self.op(Op::Stat {
            path: c_path(path)?,
        })
        .await
        .into_stat()
    }

    async fn unlink(&self, path: &Path) -> io::Result<()> {
        self.op(Op::Unlink {
            path: c_path(path)?,
        })
        .await
        .into_unit()
    }

    async fn copy_file(&self, _from: &Path, _to: &Path) -> io::Result<u64> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "io_uring has no copy_file_range operation",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{read_exact_at, write_all_at};
    use futures::future::{join_all, select, Either};
    use std::future::ready;

    /// A ring of `depth`, or `None` after printing why io_uring is unavailable.
    fn ring(depth: u32) -> Option<Uring> {
        match Uring::new(depth) {
            Ok(uring) => Some(uring),
            Err(why) => {
                eprintln!("skipped: {why}");
                None
            }
        }
    }

    fn in_flight(uring: &Uring) -> usize {
        uring.inner.borrow().ring.in_flight()
    }

    #[test]
    fn written_bytes_read_back() {
        let Some(uring) = ring(8) else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let back = uring.block_on(async {
            let file = uring.open(&path, Open::CREATE).await.unwrap();
            let (res, _) = write_all_at(&uring, &file, Buf::from_vec(data.clone()), 0).await;
            assert_eq!(res.unwrap(), data.len());
            uring.sync_all(&file).await.unwrap();
            uring.close(file).await.unwrap();
            let file = uring.open(&path, Open::READ).await.unwrap();
            let (res, buf) = read_exact_at(&uring, &file, Buf::zeroed(data.len()), 0).await;
            assert_eq!(res.unwrap(), data.len());
            uring.close(file).await.unwrap();
            buf.into_vec()
        });
        assert_eq!(back, data);
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }

    #[test]
    fn concurrent_appends_stay_whole_lines() {
        let Some(uring) = ring(16) else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        uring.block_on(async {
            let file = uring.open(&path, Open::APPEND).await.unwrap();
            let writes = (0..50).map(|i| {
                let line = format!("line {i:02} {}\n", "x".repeat(40));
                uring.write(&file, Buf::from_vec(line.into_bytes()))
            });
            for (res, buf) in join_all(writes).await {
                assert_eq!(res.unwrap(), buf.len());
            }
            uring.close(file).await.unwrap();
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 50);
        lines.sort_unstable();
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(*line, format!("line {i:02} {}", "x".repeat(40)));
        }
    }

    #[test]
    fn rename_moves_the_file() {
        let Some(uring) = ring(4) else { return };
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&from, b"hello").unwrap();
        uring.block_on(uring.rename(&from, &to)).unwrap();
        assert!(!from.exists());
        assert_eq!(std::fs::read(&to).unwrap(), b"hello");
    }

    #[test]
    fn size_is_the_file_length() {
        let Some(uring) = ring(4) else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![1u8; 12_345]).unwrap();
        let size = uring.block_on(async {
            let file = uring.open(&path, Open::READ).await.unwrap();
            let size = uring.size(&file).await;
            uring.close(file).await.unwrap();
            size
        });
        assert_eq!(size.unwrap(), 12_345);
    }

    #[test]
    fn missing_file_is_not_found() {
        let Some(uring) = ring(4) else { return };
        let dir = tempfile::tempdir().unwrap();
        let err = uring
            .block_on(uring.open(&dir.path().join("missing"), Open::READ))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn copy_file_is_unsupported() {
        let Some(uring) = ring(4) else { return };
        let dir = tempfile::tempdir().unwrap();
        let err = uring
            .block_on(uring.copy_file(&dir.path().join("a"), &dir.path().join("b")))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    }

    #[test]
    fn more_reads_than_entries_all_complete() {
        let Some(uring) = ring(8) else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..200u32 * 64).map(|i| (i / 64) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = uring.block_on(uring.open(&path, Open::READ)).unwrap();
        let reads = (0..200u64).map(|i| uring.read_at(&file, Buf::zeroed(64), i * 64));
        let results = uring.block_on(join_all(reads));
        assert_eq!(results.len(), 200);
        for (i, (res, buf)) in results.into_iter().enumerate() {
            assert_eq!(res.unwrap(), 64);
            assert!(
                buf.as_slice().iter().all(|b| *b == i as u8),
                "read {i} has wrong bytes"
            );
        }
        assert_eq!(in_flight(&uring), 0);
        uring.block_on(uring.close(file)).unwrap();
    }

    #[test]
    fn dropped_in_flight_futures_leave_the_ring_usable() {
        let Some(uring) = ring(8) else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 64 * 1024]).unwrap();
        let file = uring.block_on(uring.open(&path, Open::READ)).unwrap();
        let reads = join_all((0..20u64).map(|i| uring.read_at(&file, Buf::zeroed(4096), i * 1024)));
        let early = uring.block_on(select(Box::pin(reads), ready(())));
        assert!(
            matches!(early, Either::Right(_)),
            "the ready future should win the race"
        );
        drop(early);
        // The abandoned reads (one per entry; the rest never started) still
        // hold their buffers in the ring.
        assert_eq!(in_flight(&uring), 8);
        let (res, buf) = uring.block_on(uring.read_at(&file, Buf::zeroed(100), 10));
        assert_eq!(res.unwrap(), 100);
        assert!(buf.as_slice().iter().all(|b| *b == 7));
        // Each later turn of the ring reaps what has completed; all do.
        let mut turns = 0;
        while in_flight(&uring) > 0 && turns < 1000 {
            assert_eq!(uring.block_on(uring.size(&file)).unwrap(), 64 * 1024);
            turns += 1;
        }
        assert_eq!(in_flight(&uring), 0);
        uring.block_on(uring.close(file)).unwrap();
    }

    #[test]
    fn zero_queue_depth_is_refused() {
        let err = Uring::new(0).unwrap_err();
        assert!(err.0.starts_with("io_uring unavailable:"), "{err}");
    }
}
