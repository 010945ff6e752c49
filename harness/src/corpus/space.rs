//! How much room a corpus takes on its filesystem: one computation, quoted
//! both by the check made before anything is written and by the message of
//! a device that fills up midway, so the two never disagree.
//!
//! Owns [`SpaceNeed`] and how sizes read in messages ([`human_bytes`]).
//! Does not own the check before writing (`Corpus::create_or_reuse`) or
//! the `NoSpace` error (`generate`, `manifest`).

use std::fmt;
use std::os::fd::AsFd;

/// Block size assumed where the filesystem cannot be asked.
const FALLBACK_BLOCK: u64 = 4096;

/// Room a corpus needs on a filesystem: its bytes, plus up to one block
/// per file (a file ends mid-block) and per bookkeeping file (manifest,
/// marker, record of members): [`CorpusSpec::space_need`](super::CorpusSpec::space_need).
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
    /// `data` bytes in `files` files on a filesystem of `block`-byte blocks.
    pub fn new(data: u64, files: u64, block: u64) -> SpaceNeed {
        SpaceNeed {
            data,
            block,
            on_disk: data.saturating_add(files.saturating_mul(block)),
        }
    }
}

/// The block size of the filesystem of the open folder `dir` (4 KiB where
/// it cannot be asked).
pub fn block_size(dir: impl AsFd) -> u64 {
    rustix::fs::fstatvfs(dir)
        .map(|fs| fs.f_frsize)
        .unwrap_or(FALLBACK_BLOCK)
        .max(512)
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

/// `bytes` for people: "3.2 GiB", "512 B".
pub fn human_bytes(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }

    #[test]
    fn the_need_counts_one_block_per_file_and_says_so() {
        let need = SpaceNeed::new(4, 5, 4096);
        assert_eq!(need.on_disk, 4 + 5 * 4096);
        assert_eq!(
            need.to_string(),
            "~20.0 KiB on disk (4 B of data plus up to one 4.0 KiB block per file)"
        );
    }
}
