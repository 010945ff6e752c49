//! Named pipes for talking to another program that opens them by path
//! (perf's `--control fifo:`): making one, and opening a pair without
//! blocking on a peer that may never come.
//!
//! # Platform specific behavior
//! Linux: opening a FIFO for writing with `O_NONBLOCK` fails with `ENXIO`
//! until a reader has it open; opening for reading with `O_NONBLOCK`
//! succeeds at once.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{FileType, Mode, OFlags, CWD};

/// Make a FIFO at `path` (mode 0600); fails if anything is there.
///
/// # Errors
/// `mknod(2)`'s error.
pub fn make(path: &Path) -> io::Result<()> {
    rustix::fs::mknodat(CWD, path, FileType::Fifo, Mode::from_raw_mode(0o600), 0)?;
    Ok(())
}

/// Open `read_path` for reading and `write_path` for writing, both
/// non-blocking, once the peer has `write_path` open for reading; while
/// waiting, give up when `alive` turns false or after `within`.
///
/// # Errors
/// The peer did not open its end in time, or an open failed otherwise.
pub fn open_pair(
    write_path: &Path,
    read_path: &Path,
    within: Duration,
    mut alive: impl FnMut() -> bool,
) -> io::Result<(File, File)> {
    let flags = OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let reader = rustix::fs::open(read_path, OFlags::RDONLY | flags, Mode::empty())?;
    let deadline = Instant::now() + within;
    loop {
        match rustix::fs::open(write_path, OFlags::WRONLY | flags, Mode::empty()) {
            Ok(writer) => return Ok((File::from(writer), File::from(reader))),
            Err(rustix::io::Errno::NXIO) if alive() && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(rustix::io::Errno::NXIO) => {
                return Err(io::Error::other(format!(
                    "nobody opened {} for reading",
                    write_path.display()
                )))
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_pair_opens_only_with_a_reader_and_carries_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        make(&a).unwrap();
        make(&b).unwrap();
        assert!(make(&a).is_err(), "a second FIFO at the same path");
        // Nobody reads `a`: giving up is an error, not a hang.
        let err = open_pair(&a, &b, Duration::from_millis(50), || true).unwrap_err();
        assert!(err.to_string().contains("nobody opened"), "{err}");
        // A reader on `a` (blocking until our writer appears, on a thread).
        let a2 = a.clone();
        let peer = std::thread::spawn(move || {
            let mut s = String::new();
            File::open(&a2).unwrap().read_to_string(&mut s).unwrap();
            s
        });
        let (mut w, _r) = open_pair(&a, &b, Duration::from_secs(10), || true).unwrap();
        w.write_all(b"enable\n").unwrap();
        drop(w);
        assert_eq!(peer.join().unwrap(), "enable\n");
    }
}
