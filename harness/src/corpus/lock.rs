//! The corpus locks: `flock` on two files inside the corpus folder.
//!
//! Owns the protocol. `.iolab-lock` (the build lock) is held exclusive by
//! whoever inspects, creates or rebuilds the corpus, with its pid written in
//! the file, so a second run waits for a build in progress (saying so once,
//! with the pid) and then finds the corpus ready. `.iolab-readers` is held
//! shared by every run for as long as it reads the corpus; a rebuild needs it
//! exclusive, so nobody rebuilds under a reader, and a run never waits for
//! another run's measurements, only for its build. `corpus clean` needs both
//! exclusive. Locks end with the process (the kernel drops them), so a killed
//! run never leaves a stale lock.
//!
//! Does not own what the locks protect (`Corpus::create_or_reuse`, `clean`).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::error::CorpusError;
use crate::safefs::{self, Dir, LockMode};

/// File name of the build lock inside a corpus folder.
pub const LOCK_FILE_NAME: &str = ".iolab-lock";
/// File name of the readers' lock inside a corpus folder.
pub const READERS_FILE_NAME: &str = ".iolab-readers";

/// The locks of one corpus folder; dropping it releases whatever it holds.
#[derive(Debug)]
pub struct CorpusLock {
    build: File,
    readers: File,
    dir: PathBuf,
}

impl CorpusLock {
    /// Open (creating when missing) the lock files of the corpus `dir`.
    pub(crate) fn open(dir: &Dir) -> Result<CorpusLock, CorpusError> {
        Ok(CorpusLock {
            build: dir.open_or_create_file(LOCK_FILE_NAME)?,
            readers: dir.open_or_create_file(READERS_FILE_NAME)?,
            dir: dir.path().to_path_buf(),
        })
    }

    /// Take the build lock, waiting for another builder (saying so once on
    /// stderr), and record this process in it.
    pub(crate) fn build(&self) -> Result<(), CorpusError> {
        if !self.try_lock(&self.build, LockMode::Exclusive)? {
            eprintln!(
                "waiting for another iolab building {} (pid {})",
                self.dir.display(),
                self.holder()
            );
            safefs::lock(&self.build, LockMode::Exclusive).map_err(|e| self.error(e))?;
        }
        self.record_pid()
    }

    /// Under the build lock: take the readers' lock exclusive, waiting for
    /// the runs reading the corpus (saying so once on stderr).
    pub(crate) fn rebuild(&self) -> Result<(), CorpusError> {
        if !self.try_lock(&self.readers, LockMode::Exclusive)? {
            eprintln!(
                "waiting for other iolab runs using {} to finish before rebuilding it",
                self.dir.display()
            );
            safefs::lock(&self.readers, LockMode::Exclusive).map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    /// Become a reader (shared readers' lock) and release the build lock.
    pub(crate) fn read(&self) -> Result<(), CorpusError> {
        safefs::lock(&self.readers, LockMode::Shared).map_err(|e| self.error(e))?;
        safefs::unlock(&self.build).map_err(|e| self.error(e))
    }

    /// Take both locks exclusive without waiting (for `corpus clean`);
    /// `false` when anyone builds or reads.
    pub(crate) fn try_exclusive(&self) -> Result<bool, CorpusError> {
        Ok(self.try_lock(&self.build, LockMode::Exclusive)?
            && self.try_lock(&self.readers, LockMode::Exclusive)?)
    }

    fn try_lock(&self, file: &File, mode: LockMode) -> Result<bool, CorpusError> {
        safefs::try_lock(file, mode).map_err(|e| self.error(e))
    }

    /// The pid the last builder recorded, or "unknown".
    pub(crate) fn holder(&self) -> String {
        let mut buf = [0u8; 32];
        let n = self.build.read_at(&mut buf, 0).unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]).trim().to_string();
        if text.is_empty() {
            "unknown".into()
        } else {
            text
        }
    }

    fn record_pid(&self) -> Result<(), CorpusError> {
        let pid = format!("{}\n", std::process::id());
        self.build
            .set_len(0)
            .and_then(|()| self.build.write_all_at(pid.as_bytes(), 0))
            .map_err(|e| self.error(e))
    }

    fn error(&self, e: io::Error) -> CorpusError {
        CorpusError::io("locking", self.dir.join(LOCK_FILE_NAME), e)
    }
}
