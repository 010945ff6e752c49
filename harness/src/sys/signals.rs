//! SIGINT and SIGTERM as messages: blocked in the calling thread (and so in
//! every thread it starts afterwards), then taken one at a time by
//! `sigwait(3)` on a thread of their own. No code runs in signal-handler
//! context, so whatever the receiving thread does is ordinary code.
//!
//! Child processes do not inherit the block: `std::process::Command`
//! resets the signal mask before `exec`.
//!
//! Owns: the signal set, blocking it, waiting on it. Does not own what a
//! signal means for a run (`crate::interrupt`).

use std::io;
use std::mem::MaybeUninit;

/// A signal asking iolab to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopSignal {
    /// `SIGINT` (Ctrl-C).
    Interrupt,
    /// `SIGTERM` (`kill`, service managers).
    Terminate,
}

impl StopSignal {
    /// The signal's name, e.g. `SIGINT`.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }
}

/// SIGINT and SIGTERM, blocked so that only [`StopSignals::wait`] takes them.
pub struct StopSignals {
    set: libc::sigset_t,
}

impl StopSignals {
    /// Block SIGINT and SIGTERM in the calling thread and in every thread
    /// it starts from now on. Call it before any other thread exists, or a
    /// thread started earlier may still take the signal (and with it, the
    /// default action: the end of the process).
    ///
    /// # Errors
    /// When the kernel refuses the mask (not expected on Linux).
    pub fn block() -> io::Result<StopSignals> {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `sigemptyset` initialises the set behind a valid pointer;
        // `sigaddset` is then given that initialised set and valid signal
        // numbers, so `assume_init` reads an initialised value.
        let set = unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            libc::sigaddset(set.as_mut_ptr(), libc::SIGINT);
            libc::sigaddset(set.as_mut_ptr(), libc::SIGTERM);
            set.assume_init()
        };
        // SAFETY: `set` is initialised; a null old-set pointer is allowed.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(StopSignals { set })
    }

    /// Wait for the next SIGINT or SIGTERM sent to the process.
    ///
    /// # Errors
    /// When `sigwait` fails (not expected: the set is valid).
    pub fn wait(&self) -> io::Result<StopSignal> {
        let mut signal: libc::c_int = 0;
        // SAFETY: `self.set` is an initialised signal set and `signal` a
        // valid place for the number taken.
        let rc = unsafe { libc::sigwait(&self.set, &mut signal) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(if signal == libc::SIGTERM {
            StopSignal::Terminate
        } else {
            StopSignal::Interrupt
        })
    }
}
