//! Timer precision for threads that must wake at a given microsecond (the
//! emulated storage's reply timers).
//!
//! # Platform specific behavior
//! Linux lets the kernel postpone a thread's timed wake-up by its timer
//! slack (`prctl(PR_SET_TIMERSLACK)`, 50 µs by default for ordinary
//! threads) to batch wake-ups; a 100 µs delay would then come out up to
//! 50 % long. On a busy machine a waking ordinary thread also waits for a
//! CPU behind the threads already running — measured here at load 7 on 2
//! CPUs, a 100 µs reply left 130 µs late. [`precise_wakeups`] sets the
//! calling thread's slack to 1 ns and its scheduling to `SCHED_FIFO` at
//! the lowest real-time priority (root), so it runs as soon as it wakes,
//! as an interrupt handler would; where that is refused, to nice
//! [`NICE`]. A real-time thread that spun without end could starve the
//! machine: callers spin only briefly (the emulator, at most
//! [`Precision::max_spin`]), and the kernel keeps 5 % of each CPU for
//! ordinary threads whatever happens (`sched_rt_runtime_us`).

use std::num::NonZeroU64;
use std::time::Duration;

/// The nice value of a precise thread where real-time scheduling is
/// refused.
pub const NICE: i32 = -10;

/// What [`precise_wakeups`] obtained for the calling thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// `SCHED_FIFO`, priority 1, timer slack 1 ns.
    RealTime,
    /// Nice [`NICE`], timer slack 1 ns.
    Nice,
    /// Timer slack 1 ns only (not root).
    Slack,
    /// Nothing (the kernel refused even the slack).
    Ordinary,
}

impl Precision {
    /// The longest a thread of this precision should spin before a due
    /// time: a real-time thread wakes within tens of microseconds, and
    /// must not spin long; an ordinary one may wake later and is
    /// preemptible while it spins.
    pub fn max_spin(self) -> Duration {
        match self {
            Precision::RealTime => Duration::from_micros(50),
            Precision::Nice | Precision::Slack | Precision::Ordinary => Duration::from_micros(200),
        }
    }

    /// As the emulator's record names it.
    pub fn describe(self) -> &'static str {
        match self {
            Precision::RealTime => "SCHED_FIFO 1, timer slack 1 ns",
            Precision::Nice => "nice -10, timer slack 1 ns",
            Precision::Slack => "timer slack 1 ns",
            Precision::Ordinary => "an ordinary thread",
        }
    }
}

/// Make the calling thread wake precisely: timer slack 1 ns, then
/// `SCHED_FIFO` 1, else nice [`NICE`]; what the kernel refuses is left as
/// it was. Returns what was obtained.
pub fn precise_wakeups() -> Precision {
    let slack = rustix::thread::set_current_timer_slack(NonZeroU64::new(1)).is_ok();
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: `pthread_self()` is the calling thread, alive for the call;
    // `param` is a valid `sched_param` the call only reads.
    let fifo =
        unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if fifo == 0 {
        return Precision::RealTime;
    }
    if rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICE).is_ok() {
        return Precision::Nice;
    }
    if slack {
        Precision::Slack
    } else {
        Precision::Ordinary
    }
}
