//! How much room a corpus takes on its filesystem: one computation, quoted
//! both by the check made before anything is written and by the message of
//! a device that fills up midway, so the two never disagree.
//!
//! Owns [`SpaceNeed`] and the up-front check. Does not own writing (the
//! `NoSpace` error is raised by `generate` and `manifest`).

use std::fmt;
use std::os::fd::AsFd;
use std::path::Path;

use super::error::{human_bytes, CorpusError};
use super::spec::CorpusSpec;

/// Block size assumed where the filesystem cannot be asked.
const FALLBACK_BLOCK: u64 = 4096;

/// Room a corpus needs on a filesystem: its bytes, plus up to one block
/// per file (a file ends mid-block) and per bookkeeping file (manifest,
/// marker, record of members).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceNeed {
    /// Bytes of the data files and the large file.
    pub data: u64,
    /// The filesystem's block size.
    pub block: u64,
    /// `data` plus one block per file: what must be free.
    pub on_disk: u64,
}

impl SpaceNeed {
    /// The need of `spec` on a filesystem of `block`-byte blocks.
    pub fn of(spec: &CorpusSpec, block: u64) -> SpaceNeed {
        let files = u64::from(spec.files) + u64::from(spec.large_file_bytes.is_some()) + 3;
        let data = spec.total_bytes();
        SpaceNeed {
            data,
            block,
            on_disk: data.saturating_add(files.saturating_mul(block)),
        }
    }

    /// The need of `spec` on the filesystem of the open folder `dir`.
    pub fn on(spec: &CorpusSpec, dir: impl AsFd) -> SpaceNeed {
        let block = rustix::fs::fstatvfs(dir)
            .map(|fs| fs.f_frsize)
            .unwrap_or(FALLBACK_BLOCK);
        SpaceNeed::of(spec, block.max(512))
    }
}

impl fmt::Display for SpaceNeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "~{} on disk ({} of data plus up to one {} block per file)",
            human_bytes(self.on_disk),
            human_bytes(self.data),
            human_bytes(self.block)
        )
    }
}

/// Refuse to start a corpus the device cannot hold, before anything is
/// written: free space (to this user) on the filesystem of `probe` (the
/// parent of the corpus `dir` about to be created) must cover
/// [`SpaceNeed::on_disk`]. A device that cannot be asked, or reports no
/// size (ramfs), is not checked; running out midway is still caught, as
/// [`CorpusError::NoSpace`] quoting the same need.
pub(crate) fn check_free_space(
    dir: &Path,
    probe: &Path,
    spec: &CorpusSpec,
) -> Result<(), CorpusError> {
    let Some(fs) = rustix::fs::statvfs(probe).ok().filter(|f| f.f_blocks > 0) else {
        return Ok(());
    };
    let block = fs.f_frsize.max(512);
    let needed = SpaceNeed::of(spec, block);
    let available = fs.f_bavail.saturating_mul(block);
    if available < needed.on_disk {
        return Err(CorpusError::NotEnoughSpace {
            dir: dir.to_path_buf(),
            needed,
            available,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_need_counts_one_block_per_file_and_says_so() {
        let spec = CorpusSpec {
            files: 2,
            lines: 1,
            values: 1,
            large_file_bytes: None,
        };
        let need = SpaceNeed::of(&spec, 4096);
        assert_eq!(need.on_disk, spec.total_bytes() + 5 * 4096);
        assert_eq!(
            need.to_string(),
            format!(
                "~20.0 KiB on disk ({} B of data plus up to one 4.0 KiB block per file)",
                spec.total_bytes()
            )
        );
    }
}
