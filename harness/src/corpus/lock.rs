//! The corpus lock: `flock` on `.iolab-lock` inside the corpus folder.
//!
//! Owns the protocol: a run holds the lock shared while it reads the corpus,
//! so nobody rebuilds under it; creation, rebuild and `corpus clean` hold it
//! exclusive and write their pid into the file, so a waiting run can say who
//! it waits for. The lock ends with the process (the kernel drops it), so a
//! killed run never leaves a stale lock.
//!
//! Does not own what the lock protects (`Corpus::create_or_reuse`, `clean`).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::error::CorpusError;
use crate::safefs::{self, Dir, LockMode};

/// File name of the lock file inside a corpus folder.
pub const LOCK_FILE_NAME: &str = ".iolab-lock";

/// A held (or about to be held) lock on one corpus folder; dropping it
/// releases the lock.
#[derive(Debug)]
pub struct CorpusLock {
    file: File,
    dir: PathBuf,
}

impl CorpusLock {
    /// Open (creating when missing) the lock file of the corpus `dir`.
    pub(crate) fn open(dir: &Dir) -> Result<CorpusLock, CorpusError> {
        Ok(CorpusLock {
            file: dir.open_or_create_file(LOCK_FILE_NAME)?,
            dir: dir.path().to_path_buf(),
        })
    }

    /// Hold the lock shared (convert to it when held exclusive), waiting for
    /// a builder, and saying so once on stderr.
    pub(crate) fn shared(&self) -> Result<(), CorpusError> {
        if !safefs::try_lock(&self.file, LockMode::Shared).map_err(|e| self.error(e))? {
            eprintln!(
                "waiting for another iolab building {} (pid {})",
                self.dir.display(),
                self.holder()
            );
            safefs::lock(&self.file, LockMode::Shared).map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    /// Hold the lock exclusive, waiting for every other holder (saying so
    /// once on stderr), then record this process as the builder.
    pub(crate) fn exclusive(&self) -> Result<(), CorpusError> {
        self.unlock()?;
        if !self.try_exclusive()? {
            eprintln!(
                "waiting for other iolab runs using {} to finish before rebuilding it",
                self.dir.display()
            );
            safefs::lock(&self.file, LockMode::Exclusive).map_err(|e| self.error(e))?;
            self.record_pid()?;
        }
        Ok(())
    }

    /// Take the lock exclusive without waiting; `false` when someone holds it.
    pub(crate) fn try_exclusive(&self) -> Result<bool, CorpusError> {
        let held = safefs::try_lock(&self.file, LockMode::Exclusive).map_err(|e| self.error(e))?;
        if held {
            self.record_pid()?;
        }
        Ok(held)
    }

    /// The pid the last builder recorded, or "unknown".
    pub(crate) fn holder(&self) -> String {
        let mut buf = [0u8; 32];
        let n = self.file.read_at(&mut buf, 0).unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]).trim().to_string();
        if text.is_empty() {
            "unknown".into()
        } else {
            text
        }
    }

    fn unlock(&self) -> Result<(), CorpusError> {
        safefs::unlock(&self.file).map_err(|e| self.error(e))
    }

    fn record_pid(&self) -> Result<(), CorpusError> {
        let pid = format!("{}\n", std::process::id());
        self.file
            .set_len(0)
            .and_then(|()| self.file.write_all_at(pid.as_bytes(), 0))
            .map_err(|e| self.error(e))
    }

    fn error(&self, e: io::Error) -> CorpusError {
        CorpusError::io("locking", self.dir.join(LOCK_FILE_NAME), e)
    }
}
