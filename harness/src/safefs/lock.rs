//! Advisory `flock(2)` locks on open files: shared for readers, exclusive for
//! writers; released when the file is closed (also when the process dies).
//!
//! Owns the calls only; which file is locked, when, and what a lock protects
//! is decided by the callers (`corpus`).

use std::fs::File;
use std::io;

use rustix::fs::FlockOperation;
use rustix::io::Errno;

/// Shared (many holders) or exclusive (one holder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    /// `LOCK_SH`.
    Shared,
    /// `LOCK_EX`.
    Exclusive,
}

impl LockMode {
    fn operation(self, wait: bool) -> FlockOperation {
        match (self, wait) {
            (LockMode::Shared, true) => FlockOperation::LockShared,
            (LockMode::Shared, false) => FlockOperation::NonBlockingLockShared,
            (LockMode::Exclusive, true) => FlockOperation::LockExclusive,
            (LockMode::Exclusive, false) => FlockOperation::NonBlockingLockExclusive,
        }
    }
}

/// Take (or convert to) `mode` on `file` without waiting; `false` when
/// another holder prevents it.
///
/// # Errors
/// `flock` failing for another reason.
pub fn try_lock(file: &File, mode: LockMode) -> io::Result<bool> {
    match rustix::fs::flock(file, mode.operation(false)) {
        Ok(()) => Ok(true),
        Err(Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Take (or convert to) `mode` on `file`, waiting as long as it takes.
///
/// # Errors
/// `flock` failing.
pub fn lock(file: &File, mode: LockMode) -> io::Result<()> {
    rustix::fs::flock(file, mode.operation(true)).map_err(Into::into)
}

/// Release whatever lock this file description holds on `file`.
///
/// # Errors
/// `flock` failing.
pub fn unlock(file: &File) -> io::Result<()> {
    rustix::fs::flock(file, FlockOperation::Unlock).map_err(Into::into)
}
