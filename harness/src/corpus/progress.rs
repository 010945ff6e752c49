//! Progress reporting for parallel work: workers add to an atomic byte count,
//! the calling thread (which owns the non-`Sync` callback) reads it now and
//! then and calls the callback.
//!
//! Owns only that bridge; what is counted belongs to the caller.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How often the callback is called while work runs.
const TICK: Duration = Duration::from_millis(100);

/// Run `work` on a helper thread (it may use rayon freely) while this thread
/// calls `progress(done, total)` every [`TICK`], once at the start and once at
/// the end. `done` is the counter `work` adds to. A panic in `work` is
/// propagated unchanged.
pub(crate) fn run_with_progress<R: Send>(
    done: &AtomicU64,
    total: u64,
    progress: &dyn Fn(u64, u64),
    work: impl FnOnce() -> R + Send,
) -> R {
    std::thread::scope(|scope| {
        let (finished, wait) = mpsc::channel::<()>();
        let handle = scope.spawn(move || {
            let result = work();
            drop(finished);
            result
        });
        progress(0, total);
        while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(TICK) {
            progress(done.load(Ordering::Relaxed), total);
        }
        let result = handle.join();
        progress(done.load(Ordering::Relaxed), total);
        match result {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn reports_start_and_end() {
        let done = AtomicU64::new(0);
        let seen = RefCell::new(Vec::new());
        let r = run_with_progress(&done, 10, &|d, t| seen.borrow_mut().push((d, t)), || {
            done.fetch_add(10, Ordering::Relaxed);
            42
        });
        assert_eq!(r, 42);
        let seen = seen.into_inner();
        assert_eq!(seen.first(), Some(&(0, 10)));
        assert_eq!(seen.last(), Some(&(10, 10)));
    }
}
