//! The CPU's time-stamp counter: the cheapest clock read there is (one
//! `rdtsc`, about 14 ns on this project's machine against 33 ns for the
//! vDSO's `clock_gettime`; docs/measurement.md, Harness cost), and a clock only where
//! the kernel itself keeps time by it.
//!
//! Owns reading the counter and deciding whether it may be used. Does not
//! own converting ticks to nanoseconds ([`crate::measure::Clock`]).
//!
//! # Platform specific behavior
//! x86-64 only, and only when the kernel's clocksource is `tsc`: Linux picks
//! it only for a counter that runs at a constant rate through sleep states
//! and is synchronised across CPUs (it checks both at boot and watches it
//! after), so one process's ticks and another's, on any CPU, are on one
//! time line. Elsewhere [`unusable`] says why not, and the clock reads
//! `clock_gettime`.

/// Why the counter cannot be the clock here, or `None` when it can.
pub fn unusable() -> Option<String> {
    if !cfg!(target_arch = "x86_64") {
        return Some("not an x86-64 CPU".into());
    }
    let source = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
    match std::fs::read_to_string(source) {
        Ok(s) if s.trim() == "tsc" => None,
        Ok(s) => Some(format!("the kernel's clocksource is {}, not tsc", s.trim())),
        Err(e) => Some(format!("{source}: {e}")),
    }
}

/// The counter now. Not ordered against earlier instructions (no `lfence`):
/// a read may run up to a few tens of nanoseconds early, which a task of a
/// microsecond or more does not notice.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn ticks() -> u64 {
    // SAFETY: `rdtsc` reads a register; it touches no memory and exists on
    // every x86-64 CPU.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// No counter on this architecture ([`unusable`] says so, and it is never
/// read).
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub fn ticks() -> u64 {
    0
}
