//! Waiting for a quiet storage state before a repetition: `sync`, then poll
//! the device's `/sys/block/<dev>/stat` counters until they stop moving.
//! Writeback and discards after deletes go on for tens of seconds on some
//! devices and slow the next repetition if it starts too early.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::sys::{self, device};

/// How long the counters must stay still, and how long to wait at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settle {
    /// The counters must not move for this long. Zero skips waiting (but
    /// still syncs). Default: 1 s.
    pub idle: Duration,
    /// Give up after this long and record that storage never went quiet.
    /// Default: 60 s.
    pub timeout: Duration,
}

impl Default for Settle {
    fn default() -> Self {
        Settle {
            idle: Duration::from_secs(1),
            timeout: Duration::from_secs(60),
        }
    }
}

/// What waiting found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quiet {
    /// Time spent syncing and waiting.
    pub waited: Duration,
    /// Whether the device went idle within the timeout (true when there is no
    /// device to watch).
    pub idle: bool,
    /// The watched device, if any.
    pub device: Option<String>,
}

/// `sync`, then wait until the device holding `path` is idle.
pub fn wait_until_quiet(path: &Path, settle: Settle) -> Quiet {
    let start = Instant::now();
    sys::cache::sync_all_filesystems();
    let dev = device::block_device_of(path);
    let Some(dev) = dev.filter(|_| !settle.idle.is_zero()) else {
        return Quiet {
            waited: start.elapsed(),
            idle: true,
            device: None,
        };
    };
    let poll = (settle.idle / 5).max(Duration::from_millis(20));
    let mut last = device::activity(&dev).ok();
    let mut still_since = Instant::now();
    loop {
        // The timeout holds from the first poll: never sleep past it.
        let left = settle.timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Quiet {
                waited: start.elapsed(),
                idle: false,
                device: Some(dev.name),
            };
        }
        std::thread::sleep(poll.min(left));
        let now = device::activity(&dev).ok();
        if now != last {
            last = now;
            still_since = Instant::now();
        } else if still_since.elapsed() >= settle.idle {
            return Quiet {
                waited: start.elapsed(),
                idle: true,
                device: Some(dev.name),
            };
        }
        // A second SIGINT/SIGTERM abandons the repetition: stop waiting.
        if crate::interrupt::stop_now() {
            return Quiet {
                waited: start.elapsed(),
                idle: false,
                device: Some(dev.name),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_idle_returns_at_once() {
        let q = wait_until_quiet(
            Path::new("/"),
            Settle {
                idle: Duration::ZERO,
                timeout: Duration::from_secs(1),
            },
        );
        assert!(q.idle);
        assert!(q.device.is_none());
    }

    #[test]
    fn short_idle_window_settles_or_times_out_in_bounds() {
        let settle = Settle {
            idle: Duration::from_millis(100),
            timeout: Duration::from_secs(3),
        };
        let q = wait_until_quiet(Path::new("/"), settle);
        assert!(q.waited <= Duration::from_secs(5), "{q:?}");
    }

    #[test]
    fn the_timeout_holds_from_the_first_poll() {
        let Some(dir) = [Path::new("/"), Path::new("/tmp"), Path::new(".")]
            .into_iter()
            .find(|p| device::block_device_of(p).is_some())
        else {
            println!("skipped: no block device under /, /tmp or . to watch");
            return;
        };
        // An idle window of an hour polls every 12 minutes; the 200 ms
        // timeout must end the wait long before the first poll would.
        let q = wait_until_quiet(
            dir,
            Settle {
                idle: Duration::from_secs(3600),
                timeout: Duration::from_millis(200),
            },
        );
        assert!(!q.idle, "{q:?}");
        assert!(q.waited < Duration::from_secs(60), "{q:?}");
    }
}
