//! Timer precision for threads that must wake at a given microsecond (the
//! emulated storage's reply timers).
//!
//! # Platform specific behavior
//! Linux lets the kernel postpone a thread's timed wake-up by its timer
//! slack (`prctl(PR_SET_TIMERSLACK)`, 50 µs by default for ordinary
//! threads) to batch wake-ups; a 100 µs delay would then come out up to
//! 50 % long. On a busy machine a waking thread also waits for a CPU
//! behind the threads already running. [`precise_wakeups`] sets the
//! calling thread's slack to 1 ns and, where allowed (root), its nice
//! value to [`NICE`], so the scheduler runs it soon after it wakes; it
//! stays an ordinary (`SCHED_OTHER`) thread, so a busy timer cannot
//! starve the machine.

use std::num::NonZeroU64;

/// The nice value of a precise thread.
pub const NICE: i32 = -10;

/// Set the calling thread's timer slack to 1 ns and its nice value to
/// [`NICE`]; what the kernel refuses is left as it was (the emulator's
/// accuracy, measured and recorded, shows it).
pub fn precise_wakeups() {
    // Refusals only cost accuracy, which is measured and recorded.
    let _ = rustix::thread::set_current_timer_slack(NonZeroU64::new(1));
    let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICE);
}
