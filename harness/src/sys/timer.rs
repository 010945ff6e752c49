//! Timer precision for threads that must wake at a given microsecond (the
//! emulated storage's reply timers).
//!
//! # Platform specific behavior
//! Linux lets the kernel postpone a thread's timed wake-up by its timer
//! slack (`prctl(PR_SET_TIMERSLACK)`, 50 µs by default for ordinary
//! threads) to batch wake-ups; a 100 µs delay would then come out up to
//! 50 % long. [`precise_slack`] sets the calling thread's slack to 1 ns.

use std::num::NonZeroU64;

/// Set the calling thread's timer slack to 1 ns; where the kernel refuses,
/// the thread keeps its slack (and the emulator's accuracy, measured and
/// recorded, shows it).
pub fn precise_slack() {
    // Refusal only costs accuracy, which is measured and recorded.
    let _ = rustix::thread::set_current_timer_slack(NonZeroU64::new(1));
}
