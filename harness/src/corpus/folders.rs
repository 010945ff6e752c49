//! How a corpus spreads its data files over folders ([`Folders`]): all in
//! the corpus folder (`flat`, the default) or over `K` subfolders
//! (`sharded:K`), and the one function that says where file `k` lives
//! ([`file_rel_path`]).
//!
//! Why: the kernel serializes creates and unlinks within one folder (the
//! folder's lock), so on latency-bound storage a flat folder may cap what
//! concurrency gains on metadata; sharding spreads the files so the
//! concurrent tasks mostly work in different folders.
//!
//! File `k` of a sharded corpus lives at `shard-<k mod K>/data-NNNNN.csv`,
//! the shard index zero-padded to the width of `K - 1`; file names are
//! those of a flat corpus. The files tasks write in a scratch folder
//! follow the same layout (`workload::TaskContext::output`), in the
//! scratch folder's own `shard-*` folders ([`make_shards`], before the
//! timed region).
//!
//! Owns: the setting, its text (`flat`, `sharded:K`), its limits and the
//! folder names. Does not own the corpus files (`generate`, `verify`,
//! `members`) nor what workloads do.

use std::fmt;
use std::io;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::names::file_name;
use super::render::digits;
use crate::safefs::{Dir, FsError};

/// Most subfolders a sharded corpus may have: far past the concurrency
/// iolab runs (a few hundred lanes), small enough that a typo is refused.
pub const MAX_SHARDS: u32 = 4096;

/// Prefix of the subfolders of a sharded corpus (and scratch folder).
pub const SHARD_PREFIX: &str = "shard-";

/// Where a corpus keeps its data files: the corpus spec's `folders`.
///
/// Text form (flag `--folders`, key `folders`, `run.json`): `flat` or
/// `sharded:K` with `K` in `1 ..= `[`MAX_SHARDS`]. `K` may exceed the
/// number of files (the extra folders stay empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Folders {
    /// Every data file in the corpus folder itself (iolab's layout before
    /// this setting existed).
    #[default]
    Flat,
    /// File `k` in subfolder `shard-<k mod K>`.
    Sharded(NonZeroU32),
}

/// What `--folders` and the key `folders` accept, for refusals.
pub const FOLDERS_ALLOWED: &str = "flat or sharded:K with K from 1 to 4096";

/// Why a `folders` text was refused: what is allowed is
/// [`FOLDERS_ALLOWED`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoldersError;

impl fmt::Display for FoldersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "allowed: {FOLDERS_ALLOWED}")
    }
}

impl std::error::Error for FoldersError {}

impl Folders {
    /// Whether this is the flat layout (what `skip_serializing_if` asks, so
    /// a flat corpus's records stay as they were before the setting).
    pub fn is_flat(&self) -> bool {
        *self == Folders::Flat
    }

    /// The number of subfolders (`None` when flat).
    pub fn shards(self) -> Option<u32> {
        match self {
            Folders::Flat => None,
            Folders::Sharded(k) => Some(k.get()),
        }
    }

    /// The names of the subfolders, in index order (none when flat).
    pub fn shard_names(self) -> Vec<String> {
        match self.shards() {
            None => Vec::new(),
            Some(count) => (0..count).map(|i| shard_name(i, count)).collect(),
        }
    }

    /// The subfolder of file (or task) `k`; `None` when flat.
    pub fn shard_of(self, k: u32) -> Option<String> {
        self.shards().map(|count| shard_name(k % count, count))
    }

    /// The index of subfolder `name` when it is exactly one of this
    /// layout's subfolder names (right prefix and width, index in range).
    pub fn parse_shard(self, name: &str) -> Option<u32> {
        let count = self.shards()?;
        let digits = name.strip_prefix(SHARD_PREFIX)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() != shard_width(count) {
            return None;
        }
        let i: u32 = digits.parse().ok()?;
        (i < count).then_some(i)
    }

    /// `name` (a file name of the scratch or corpus folder) in the
    /// subfolder of file or task `k`: `shard-<k mod K>/name`, or `name`
    /// when flat. Relative.
    pub fn place(self, k: u32, name: &str) -> PathBuf {
        match self.shard_of(k) {
            Some(shard) => Path::new(&shard).join(name),
            None => PathBuf::from(name),
        }
    }
}

/// Name of subfolder `i` of `count`: `shard-<i>`, zero-padded to the
/// width of `count - 1`, so names sort in index order.
fn shard_name(i: u32, count: u32) -> String {
    let width = shard_width(count);
    format!("{SHARD_PREFIX}{i:0width$}")
}

fn shard_width(count: u32) -> usize {
    digits(u64::from(count.saturating_sub(1))).max(1) as usize
}

/// Path of data file `k` of a corpus of `files` files laid out by
/// `folders`, relative to the corpus folder: `data-NNNNN.csv` (flat) or
/// `shard-<k mod K>/data-NNNNN.csv`. The one place that says where a
/// corpus file lives: generation, the manifest's checks, verification,
/// `Corpus::file_path` and the tasks' inputs and outputs all use it.
pub fn file_rel_path(k: u32, files: u32, folders: Folders) -> PathBuf {
    folders.place(k, &file_name(k, files))
}

impl fmt::Display for Folders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Folders::Flat => f.write_str("flat"),
            Folders::Sharded(k) => write!(f, "sharded:{k}"),
        }
    }
}

impl FromStr for Folders {
    type Err = FoldersError;

    /// `flat`, or `sharded:K` with `K` a plain decimal in `1 ..= `[`MAX_SHARDS`].
    fn from_str(text: &str) -> Result<Folders, FoldersError> {
        if text == "flat" {
            return Ok(Folders::Flat);
        }
        let k = text.strip_prefix("sharded:").ok_or(FoldersError)?;
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FoldersError);
        }
        let k: u32 = k.parse().map_err(|_| FoldersError)?;
        match NonZeroU32::new(k) {
            Some(k) if k.get() <= MAX_SHARDS => Ok(Folders::Sharded(k)),
            _ => Err(FoldersError),
        }
    }
}

impl Serialize for Folders {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Folders {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Folders, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e: FoldersError| serde::de::Error::custom(format!("folders = {text:?}; {e}")))
    }
}

/// Make `folders`' subfolders in the open folder `dir` (a corpus or a
/// scratch folder), keeping those already there; nothing when flat. Each
/// is made by `mkdirat` on `dir`'s descriptor and opened without
/// following a link, so a link or a file in the way is an error.
/// Returns the subfolders, open, in index order.
///
/// # Errors
/// [`FsError`] naming the subfolder that could not be made or opened.
pub fn open_shards(dir: &Dir, folders: Folders) -> Result<Vec<Dir>, FsError> {
    folders
        .shard_names()
        .iter()
        .map(|name| match dir.create_dir(name) {
            Err(e)
                if e.io_error()
                    .is_some_and(|e| e.kind() == io::ErrorKind::AlreadyExists) =>
            {
                dir.open_dir(name)
            }
            other => other,
        })
        .collect()
}

/// `open_shards` on the folder at `path` (opened without following a
/// link at any depth): what the runner calls on a repetition's scratch
/// folder before the workload's setup and the timed region.
///
/// # Errors
/// As `open_shards`; the folder cannot be opened.
pub fn make_shards(path: &Path, folders: Folders) -> Result<(), FsError> {
    if folders.is_flat() {
        return Ok(());
    }
    open_shards(&Dir::open(path)?, folders).map(drop)
}

/// The folder data file `k` is in: `dir` itself when flat, else its
/// subfolder among `shards` (as [`open_shards`] returns them).
pub(crate) fn folder_of<'a>(dir: &'a Dir, shards: &'a [Dir], k: u32) -> &'a Dir {
    match shards.len() {
        0 => dir,
        count => &shards[(k as usize) % count],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn sharded(k: u32) -> Folders {
        Folders::Sharded(NonZeroU32::new(k).unwrap())
    }

    #[test]
    fn flat_is_the_old_path() {
        for (k, files) in [(0, 1), (3, 1000), (99_999, 100_000), (7, 100_001)] {
            assert_eq!(
                file_rel_path(k, files, Folders::Flat),
                PathBuf::from(file_name(k, files))
            );
        }
    }

    #[test]
    fn sharded_paths() {
        assert_eq!(
            file_rel_path(5, 1000, sharded(4)),
            PathBuf::from("shard-1/data-00005.csv")
        );
        assert_eq!(
            file_rel_path(13, 1000, sharded(16)),
            PathBuf::from("shard-13/data-00013.csv")
        );
        assert_eq!(
            file_rel_path(3, 1000, sharded(16)),
            PathBuf::from("shard-03/data-00003.csv")
        );
        assert_eq!(sharded(1).shard_names(), ["shard-0"]);
        assert_eq!(sharded(10).shard_names()[9], "shard-9");
        assert_eq!(sharded(11).shard_names()[0], "shard-00");
        assert!(Folders::Flat.shard_names().is_empty());
    }

    #[test]
    fn parse_shard_is_exact() {
        let f = sharded(16);
        assert_eq!(f.parse_shard("shard-03"), Some(3));
        assert_eq!(f.parse_shard("shard-3"), None);
        assert_eq!(f.parse_shard("shard-16"), None);
        assert_eq!(f.parse_shard("shard-+3"), None);
        assert_eq!(f.parse_shard("shard-003"), None);
        assert_eq!(Folders::Flat.parse_shard("shard-0"), None);
    }

    #[test]
    fn text_round_trip_and_refusals() {
        for text in ["flat", "sharded:1", "sharded:8", "sharded:4096"] {
            let f: Folders = text.parse().unwrap();
            assert_eq!(f.to_string(), text);
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Folders>(&json).unwrap(), f);
        }
        for bad in [
            "",
            "Flat",
            "sharded",
            "sharded:",
            "sharded:0",
            "sharded:4097",
            "sharded:-1",
            "sharded:+4",
            "sharded: 4",
            "sharded:4x",
            "sharded:99999999999",
            "flat:2",
        ] {
            assert_eq!(bad.parse::<Folders>(), Err(FoldersError), "{bad:?}");
        }
        let err = serde_json::from_str::<Folders>("\"sharded:0\"").unwrap_err();
        assert!(err.to_string().contains("sharded:0"), "{err}");
        assert!(err.to_string().contains(FOLDERS_ALLOWED), "{err}");
    }

    proptest! {
        /// Every file lands in exactly one of the K folders (the one of
        /// `k mod K`), under its flat name, and no two files share a path.
        #[test]
        fn every_file_in_one_folder(files in 1u32..3000, k in 1u32..=MAX_SHARDS) {
            let f = sharded(k);
            let names = f.shard_names();
            let mut seen = HashSet::new();
            for i in 0..files {
                let p = file_rel_path(i, files, f);
                let parts: Vec<_> = p.iter().map(|c| c.to_str().unwrap().to_string()).collect();
                prop_assert_eq!(parts.len(), 2);
                let shard = f.parse_shard(&parts[0]);
                prop_assert_eq!(shard, Some(i % k));
                prop_assert_eq!(names.iter().filter(|n| **n == parts[0]).count(), 1);
                prop_assert_eq!(&parts[1], &file_name(i, files));
                prop_assert!(seen.insert(p));
            }
        }

        /// Any `K` in range reads back from its text.
        #[test]
        fn text_round_trips(k in 1u32..=MAX_SHARDS) {
            let f = sharded(k);
            prop_assert_eq!(f.to_string().parse::<Folders>(), Ok(f));
        }
    }
}
