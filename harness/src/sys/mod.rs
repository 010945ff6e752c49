//! Platform-specific code: every Linux interface iolab touches beyond `std`.
//!
//! This is the only module where `unsafe` is allowed, and each `unsafe` block
//! carries a `// SAFETY:` line. Callers get plain safe functions; a feature the
//! kernel or the sandbox refuses comes back as an [`Unavailable`] reason, never a
//! panic.
//!
//! # Platform specific behavior
//! Linux only: `/proc/self/io`, `/proc/self/status`, `/proc/self/clear_refs`,
//! `/proc/sys/vm/drop_caches`, `/sys/block/*/stat`, `mincore(2)`,
//! `posix_fadvise(2)`, `O_DIRECT`, `getrusage(2)`, `io_uring(7)` and
//! `sigwait(3)`.

pub mod buf;
pub mod cache;
pub mod device;
pub mod fifo;
pub mod fold;
pub mod kernel;
pub mod loopdev;
pub mod memfs;
pub mod memory;
pub mod mount;
pub mod platform;
pub mod program;
pub mod signals;
pub mod stat;
pub mod sync;
pub mod timer;
pub mod tsc;
pub mod uring;
pub mod usage;

use std::fmt;

/// Why a kernel feature cannot be used here, in one line ("io_uring
/// unavailable: …"). Recorded in results rather than raised as an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unavailable {}
