//! When each reply of the emulated storage is due, and the threads that
//! send it then.
//!
//! The device model: `qd` servers; an operation that is ready (its
//! pass-through call done) at `t` takes the earliest free server at
//! `start = max(t, free)` and is due at `start + delay` (`lat` for data,
//! `meta` for metadata); with a bandwidth cap its bytes then cross one
//! shared link at `bw` after any bytes before them, so it is due when its
//! last byte has crossed. The schedule is computed when the operation
//! arrives, under one short lock — no thread waits for a server — and the
//! reply is handed to a timer thread, so the FUSE request loop never
//! sleeps and up to `qd` delayed operations are in flight at once (the
//! kernel sends many: see `fs.rs`).
//!
//! What the client sees is more than the delay: the request's way to the
//! server and the reply's way back (the kernel's queue, waking the request
//! loop, the pass-through call, waking the timer thread, the reply's
//! `writev`, waking the client) cost a roughly fixed time that grows with
//! a long sleep (an idle CPU wakes slower). So that `lat` is what the
//! client sees, each reply is sent that *compensation* before its due
//! time (per class; measured just after mounting by `calibration.rs`,
//! never earlier than the operation's arrival), while the servers and the
//! link stay busy until the due time itself.
//!
//! Timer threads sleep until the earliest due reply with a timer slack of
//! 1 ns at real-time priority (`SCHED_FIFO` 1; else nice -10:
//! `sys::timer`); they aim early by the wake-up lateness they measured (an
//! exponential average, at most 50 µs at real-time priority) and spin the
//! rest of the way, so a
//! reply leaves at its due time, not a scheduler tick later, and never
//! before it.
//!
//! Owns: the schedule, the timer threads, the operation counters. Does not
//! own: what an operation does (`fs.rs`).

use std::cmp::{Ordering as CmpOrdering, Reverse};
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Timing;
use crate::sys::timer::Precision;

/// Timer threads: replies due at once leave from two threads at a time
/// (a reply is a `writev` to `/dev/fuse`, a few microseconds).
pub(super) const TIMER_THREADS: usize = 2;

/// Which delay an operation takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Read or write: `lat`, and its bytes count against `bw`.
    Data,
    /// Everything a path or a file's metadata costs: `meta`.
    Meta,
    /// Not delayed (forget, release: nobody waits for them).
    Free,
}

/// A reply waiting for its due time.
type Reply = Box<dyn FnOnce() + Send>;

/// The schedule and the timer threads of one emulated storage.
pub struct Delayer {
    timing: Timing,
    /// Off: every reply leaves at once (the zero-latency twin inside the
    /// same server, used to measure FUSE's own cost).
    enabled: AtomicBool,
    epoch: Instant,
    queue: Mutex<Queue>,
    timers: Vec<Arc<Timer>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    next_timer: AtomicU64,
    /// How precisely the timer threads wake (set as they start).
    precision: Arc<Mutex<Option<Precision>>>,
    /// Nanoseconds each reply of a data (0) and a metadata (1) operation
    /// is sent before its due time (the module's doc).
    compensation: [AtomicU64; 2],
    /// Operations and bytes served, by class.
    pub counters: Counters,
}

/// Operations served, for the record.
#[derive(Debug, Default)]
pub struct Counters {
    /// Data operations.
    pub data_ops: AtomicU64,
    /// Bytes of data operations.
    pub data_bytes: AtomicU64,
    /// Metadata operations.
    pub meta_ops: AtomicU64,
    /// Nanoseconds operations waited for a free server or the link,
    /// beyond their own delay (queueing).
    pub queued_ns: AtomicU64,
}

/// The servers' free times and the link's.
struct Queue {
    /// When each of the `qd` servers is next free, ns since the epoch.
    servers: BinaryHeap<Reverse<u64>>,
    /// When the link is next free, ns since the epoch.
    link_free: u64,
}

/// One timer thread's due replies.
struct Timer {
    due: Mutex<TimerState>,
    wake: Condvar,
    /// Replies sent from this thread, and the nanoseconds they left after
    /// their send time, in all.
    sent: AtomicU64,
    late_ns: AtomicU64,
}

struct TimerState {
    heap: BinaryHeap<Due>,
    stop: bool,
    seq: u64,
}

/// A reply and when it is due.
struct Due {
    at: u64,
    seq: u64,
    reply: Reply,
}

impl PartialEq for Due {
    fn eq(&self, other: &Due) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Due) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    /// Earliest first in a max-heap.
    fn cmp(&self, other: &Due) -> CmpOrdering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Delayer {
    /// A delayer for `timing`, its timer threads started.
    ///
    /// # Errors
    /// A thread that cannot be started.
    pub fn start(timing: Timing) -> std::io::Result<Arc<Delayer>> {
        let timers: Vec<Arc<Timer>> = (0..TIMER_THREADS)
            .map(|_| {
                Arc::new(Timer {
                    due: Mutex::new(TimerState {
                        heap: BinaryHeap::new(),
                        stop: false,
                        seq: 0,
                    }),
                    wake: Condvar::new(),
                    sent: AtomicU64::new(0),
                    late_ns: AtomicU64::new(0),
                })
            })
            .collect();
        let delayer = Arc::new(Delayer {
            timing,
            enabled: AtomicBool::new(true),
            epoch: Instant::now(),
            queue: Mutex::new(Queue {
                servers: (0..timing.qd.max(1)).map(|_| Reverse(0)).collect(),
                link_free: 0,
            }),
            timers,
            threads: Mutex::new(Vec::new()),
            next_timer: AtomicU64::new(0),
            precision: Arc::new(Mutex::new(None)),
            compensation: [AtomicU64::new(0), AtomicU64::new(0)],
            counters: Counters::default(),
        });
        for (i, timer) in delayer.timers.iter().enumerate() {
            let timer = Arc::clone(timer);
            let epoch = delayer.epoch;
            let precision = Arc::clone(&delayer.precision);
            let handle = std::thread::Builder::new()
                .name(format!("iolab-delay-{i}"))
                .spawn(move || timer.run(epoch, &precision))?;
            lock(&delayer.threads).push(handle);
        }
        Ok(delayer)
    }

    /// How precisely the timer threads wake, once they have started.
    pub fn precision(&self) -> Option<Precision> {
        *lock(&self.precision)
    }

    /// Switch the delay on or off (off: the zero-latency twin).
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    /// Send each reply of `class` this much before its due time (the
    /// round trip's own cost, so the client sees the delay asked for).
    pub fn set_compensation(&self, class: Class, ahead: Duration) {
        if let Some(slot) = self.compensation_slot(class) {
            slot.store(nanos(ahead), Ordering::Relaxed);
        }
    }

    /// The compensation of `class` in force.
    pub fn compensation(&self, class: Class) -> Duration {
        self.compensation_slot(class).map_or(Duration::ZERO, |s| {
            Duration::from_nanos(s.load(Ordering::Relaxed))
        })
    }

    fn compensation_slot(&self, class: Class) -> Option<&AtomicU64> {
        match class {
            Class::Data => Some(&self.compensation[0]),
            Class::Meta => Some(&self.compensation[1]),
            Class::Free => None,
        }
    }

    /// Replies sent by the timer threads so far, and how late after their
    /// send time they left on average.
    pub fn lateness(&self) -> (u64, Duration) {
        let sent: u64 = self
            .timers
            .iter()
            .map(|t| t.sent.load(Ordering::Relaxed))
            .sum();
        let late: u64 = self
            .timers
            .iter()
            .map(|t| t.late_ns.load(Ordering::Relaxed))
            .sum();
        (sent, Duration::from_nanos(late / sent.max(1)))
    }

    /// Send `reply` when an operation of `class` moving `bytes`, ready
    /// now, is due, less the class's compensation; at once when it has no
    /// delay (or the compensation covers all of it).
    pub fn reply(&self, class: Class, bytes: u64, reply: impl FnOnce() + Send + 'static) {
        match class {
            Class::Data => {
                self.counters.data_ops.fetch_add(1, Ordering::Relaxed);
                self.counters.data_bytes.fetch_add(bytes, Ordering::Relaxed);
            }
            Class::Meta => {
                self.counters.meta_ops.fetch_add(1, Ordering::Relaxed);
            }
            Class::Free => {}
        }
        let delay = match class {
            Class::Data => self.timing.lat,
            Class::Meta => self.timing.meta,
            Class::Free => Duration::ZERO,
        };
        let link_bytes = if class == Class::Data { bytes } else { 0 };
        let capped = self.timing.bw.is_some() && link_bytes > 0;
        if class == Class::Free
            || !self.enabled.load(Ordering::Relaxed)
            || (delay.is_zero() && !capped)
        {
            reply();
            return;
        }
        let now = self.now_ns();
        let due = self.schedule(now, nanos(delay), link_bytes);
        let ahead = nanos(self.compensation(class));
        let at = due.saturating_sub(ahead).max(now);
        if at == now {
            reply();
            return;
        }
        let n = self.next_timer.fetch_add(1, Ordering::Relaxed);
        let timer = &self.timers[(n % self.timers.len() as u64) as usize];
        timer.push(at, Box::new(reply));
    }

    /// Nanoseconds since this delayer started.
    fn now_ns(&self) -> u64 {
        nanos(self.epoch.elapsed())
    }

    /// The due time of an operation ready at `now` (the model above).
    fn schedule(&self, now: u64, delay: u64, bytes: u64) -> u64 {
        let mut q = lock(&self.queue);
        let Reverse(free) = q.servers.pop().unwrap_or(Reverse(0));
        let start = now.max(free);
        let mut done = start + delay;
        if let (Some(bw), true) = (self.timing.bw, bytes > 0) {
            let transfer = u64::try_from(u128::from(bytes) * 1_000_000_000 / u128::from(bw.max(1)))
                .unwrap_or(u64::MAX / 4);
            done = done.max(q.link_free) + transfer;
            q.link_free = done;
        }
        q.servers.push(Reverse(done));
        drop(q);
        let queued = (done - now).saturating_sub(delay);
        self.counters.queued_ns.fetch_add(queued, Ordering::Relaxed);
        done
    }
}

impl Drop for Delayer {
    /// Stop the timer threads: each sends what it still holds at once
    /// (to a connection that is gone by now) and ends.
    fn drop(&mut self) {
        for timer in &self.timers {
            lock(&timer.due).stop = true;
            timer.wake.notify_all();
        }
        for handle in lock(&self.threads).drain(..) {
            // A timer thread that panicked has nothing left to send.
            let _ = handle.join();
        }
    }
}

impl Timer {
    fn push(&self, at: u64, reply: Reply) {
        let mut state = lock(&self.due);
        let earliest = state.heap.peek().map(|d| d.at);
        state.seq += 1;
        let seq = state.seq;
        state.heap.push(Due { at, seq, reply });
        let stop = state.stop;
        drop(state);
        if stop || earliest.is_none_or(|e| at < e) {
            self.wake.notify_one();
        }
    }

    /// Send each reply at its due time, until stopped.
    fn run(&self, epoch: Instant, precision: &Mutex<Option<Precision>>) {
        let obtained = crate::sys::timer::precise_wakeups();
        *lock(precision) = Some(obtained);
        let max_spin = nanos(obtained.max_spin());
        let now = || nanos(epoch.elapsed());
        // How late a wake-up comes, on average: aimed for that much early.
        let mut lateness: u64 = 20_000;
        let mut state = lock(&self.due);
        loop {
            let next = state.heap.peek().map(|d| d.at);
            match next {
                None if state.stop => return,
                None => {
                    state = self
                        .wake
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Some(at) if !state.stop && at > now() + lateness.min(max_spin) => {
                    let aim = at - lateness.min(max_spin);
                    let wait = Duration::from_nanos(aim.saturating_sub(now()));
                    let (s, _) = self
                        .wake
                        .wait_timeout(state, wait)
                        .unwrap_or_else(PoisonError::into_inner);
                    state = s;
                    let woke = now();
                    if woke >= aim {
                        // 1/8 of the new sample: a steady average.
                        let late = woke - aim;
                        lateness = lateness - lateness / 8 + late / 8;
                    }
                }
                Some(at) => {
                    let stopping = state.stop;
                    let due = state.heap.pop();
                    drop(state);
                    while !stopping && now() < at {
                        std::hint::spin_loop();
                    }
                    if let Some(due) = due {
                        let late = now().saturating_sub(at);
                        (due.reply)();
                        self.sent.fetch_add(1, Ordering::Relaxed);
                        self.late_ns.fetch_add(late, Ordering::Relaxed);
                    }
                    state = lock(&self.due);
                }
            }
        }
    }
}

/// A duration in whole nanoseconds (saturating).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn timing(lat_us: u64, qd: u32, bw: Option<u64>) -> Timing {
        Timing {
            lat: Duration::from_micros(lat_us),
            meta: Duration::from_micros(lat_us),
            qd,
            bw,
        }
    }

    #[test]
    fn the_schedule_serves_qd_operations_at_once_then_queues() {
        let d = Delayer::start(timing(1000, 2, None)).unwrap();
        let ms = 1_000_000;
        assert_eq!(d.schedule(0, ms, 0), ms);
        assert_eq!(d.schedule(0, ms, 0), ms, "two servers");
        assert_eq!(d.schedule(0, ms, 0), 2 * ms, "the third waits its turn");
        assert_eq!(d.counters.queued_ns.load(Ordering::Relaxed), ms);
    }

    #[test]
    fn the_link_adds_each_transfer_after_the_ones_before() {
        // 1 MB/s: 1,000 bytes take 1 ms on the link.
        let d = Delayer::start(timing(0, 8, Some(1_000_000))).unwrap();
        let ms = 1_000_000;
        assert_eq!(d.schedule(0, 0, 1000), ms);
        assert_eq!(d.schedule(0, 0, 1000), 2 * ms, "the link is shared");
    }

    #[test]
    fn replies_leave_at_their_due_time_and_not_before() {
        let d = Delayer::start(timing(2000, 4, None)).unwrap();
        let (tx, rx) = mpsc::channel();
        for _ in 0..4 {
            let tx = tx.clone();
            let sent = Instant::now();
            d.reply(Class::Data, 4096, move || tx.send(sent.elapsed()).unwrap());
        }
        for _ in 0..4 {
            let waited = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            assert!(waited >= Duration::from_micros(2000), "{waited:?}");
        }
        d.set_enabled(false);
        let (tx, rx) = mpsc::channel();
        d.reply(Class::Data, 1, move || tx.send(()).unwrap());
        rx.try_recv().expect("no delay when disabled: sent inline");
    }

    #[test]
    fn compensation_sends_early_but_keeps_the_servers_busy_and_never_before_arrival() {
        let d = Delayer::start(timing(2000, 1, None)).unwrap();
        d.set_compensation(Class::Data, Duration::from_micros(1500));
        assert_eq!(d.compensation(Class::Data), Duration::from_micros(1500));
        assert_eq!(d.compensation(Class::Meta), Duration::ZERO);
        let (tx, rx) = mpsc::channel();
        let sent = Instant::now();
        for _ in 0..2 {
            let tx = tx.clone();
            d.reply(Class::Data, 4096, move || tx.send(sent.elapsed()).unwrap());
        }
        let first = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        let second = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(first >= Duration::from_micros(500), "{first:?}");
        // One server: the second starts when the first is due (2 ms), not
        // when its reply left (0.5 ms).
        assert!(second >= Duration::from_micros(2500), "{second:?}");
        assert_eq!(d.lateness().0, 2, "both sent by the timers");
        d.set_compensation(Class::Meta, Duration::from_secs(1));
        let (tx, rx) = mpsc::channel();
        d.reply(Class::Meta, 0, move || tx.send(()).unwrap());
        rx.try_recv()
            .expect("a compensation covering the delay: sent inline");
    }

    #[test]
    fn dropping_the_delayer_sends_what_it_holds() {
        let d = Delayer::start(timing(10_000_000, 1, None)).unwrap();
        let (tx, rx) = mpsc::channel();
        d.reply(Class::Meta, 0, move || tx.send(()).unwrap());
        drop(d);
        rx.try_recv().expect("sent on drop");
    }
}
