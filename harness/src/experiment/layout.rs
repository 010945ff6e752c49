//! Where each rank's data is. `per-rank`: every rank its own corpus under
//! `DATA/rank-R/` (mdtest `-u`), created by that rank. `shared`: one corpus
//! under `DATA/`, created by rank 0 while the others wait, then opened by
//! all; the per-file workloads (write, read, copy, atomic-save) split the
//! corpus files into contiguous blocks, block `b` of `N` holding files
//! `⌊b·F/N⌋ .. ⌊(b+1)·F/N⌋` of the `F` files in use; the large-file and
//! append workloads run whole on every rank (each its own append target).
//! `--reorder K`: rank `r` takes the inputs of rank `(r+K) mod N` — its
//! corpus (per-rank) or its block (shared), IOR's `-C`. Scratch folders are
//! always per rank. It does not own creating or deleting anything
//! (`corpus`, `runner`).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How ranks share the corpus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Each rank its own corpus folder (`DATA/rank-R/`).
    #[default]
    PerRank,
    /// One corpus; files split into contiguous blocks across ranks.
    Shared,
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::PerRank => "per-rank",
            Layout::Shared => "shared",
        })
    }
}

/// The clients' settings of a run (`--layout`, `--reorder`, `--stonewall`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientOptions {
    /// How ranks share the corpus (default per-rank).
    pub layout: Layout,
    /// Rank `r` reads what rank `(r + reorder) mod N` owns (default 0).
    pub reorder: u32,
    /// Stop every rank's task loop this many seconds after the timed
    /// phase's barrier (default: none, run every task).
    pub stonewall: Option<f64>,
}

/// A clients flag with a value iolab cannot use.
#[derive(Debug, thiserror::Error)]
pub enum ClientsError {
    /// `--stonewall` not a positive number of seconds.
    #[error("--stonewall {0:?}: expected a number of seconds greater than 0 (e.g. 2 or 0.5)")]
    Stonewall(String),
}

impl ClientOptions {
    /// Validated options from the flags' raw values.
    ///
    /// # Errors
    /// [`ClientsError::Stonewall`] naming the value.
    pub fn from_flags(
        layout: Layout,
        reorder: u32,
        stonewall: Option<&str>,
    ) -> Result<ClientOptions, ClientsError> {
        let stonewall = stonewall
            .map(|s| {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0 && *v < 1e9)
                    .ok_or_else(|| ClientsError::Stonewall(s.to_string()))
            })
            .transpose()?;
        Ok(ClientOptions {
            layout,
            reorder,
            stonewall,
        })
    }

    /// The rank whose inputs rank `rank` of `size` reads.
    pub fn source_rank(&self, rank: u32, size: u32) -> u32 {
        (rank + self.reorder % size.max(1)) % size.max(1)
    }

    /// The corpus folder rank `owner` creates or opens under `data_dir`
    /// (`dir_name` is the corpus's folder name). One rank: `DATA/NAME`, as
    /// without MPI.
    pub fn corpus_dir(&self, data_dir: &Path, dir_name: &str, owner: u32, size: u32) -> PathBuf {
        match self.layout {
            Layout::PerRank if size > 1 => data_dir.join(format!("rank-{owner}")).join(dir_name),
            Layout::PerRank | Layout::Shared => data_dir.join(dir_name),
        }
    }

    /// The data folder of a corpus folder this layout placed with `size`
    /// ranks: the inverse of [`ClientOptions::corpus_dir`]; `None` when
    /// `corpus_dir` has no such parent.
    pub fn data_dir_of(&self, corpus_dir: &Path, size: u32) -> Option<PathBuf> {
        let parent = corpus_dir.parent()?;
        match self.layout {
            Layout::PerRank if size > 1 => parent.parent().map(Path::to_path_buf),
            Layout::PerRank | Layout::Shared => Some(parent.to_path_buf()),
        }
    }

    /// Whether rank `rank` creates (or reuses) a corpus, rather than opening
    /// one another rank made.
    pub fn creates_corpus(&self, rank: u32) -> bool {
        match self.layout {
            Layout::PerRank => true,
            Layout::Shared => rank == 0,
        }
    }

    /// Where rank `rank`'s scratch folder for run `run_id` goes: the folder
    /// that holds it and the id it is named by (`scratch-<id>`): in its own
    /// rank folder (per-rank, beside its corpus), or `scratch-ID-rank-R`
    /// beside the shared corpus; `scratch-ID` with one rank, as without MPI.
    pub fn scratch_place(
        &self,
        data_dir: &Path,
        run_id: &str,
        rank: u32,
        size: u32,
    ) -> (PathBuf, String) {
        if size == 1 {
            return (data_dir.to_path_buf(), run_id.to_string());
        }
        match self.layout {
            Layout::PerRank => (data_dir.join(format!("rank-{rank}")), run_id.to_string()),
            Layout::Shared => (data_dir.to_path_buf(), format!("{run_id}-rank-{rank}")),
        }
    }

    /// Why `strategy` cannot run under this layout with `size` ranks: an
    /// external command is given the corpus and a file count from file 0,
    /// so it cannot work on one rank's block of a shared corpus.
    pub fn unsupported(&self, strategy: &crate::strategy::Strategy, size: u32) -> Option<String> {
        (self.layout == Layout::Shared
            && size > 1
            && matches!(strategy, crate::strategy::Strategy::Command(_)))
        .then(|| "the command strategy cannot work on one rank's block of a shared corpus: use --layout per-rank".into())
    }

    /// The files `first .. first + count` of `used` that rank `rank` of
    /// `size` works on: all of them unless the layout is shared.
    pub fn block(&self, rank: u32, size: u32, used: u32) -> (u32, u32) {
        match self.layout {
            Layout::PerRank => (0, used),
            Layout::Shared => {
                let b = u64::from(self.source_rank(rank, size));
                let (n, f) = (u64::from(size.max(1)), u64::from(used));
                let lo = (b * f / n) as u32;
                let hi = ((b + 1) * f / n) as u32;
                (lo, hi - lo)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_folder_comes_back_from_any_ranks_corpus_folder() {
        let data = Path::new("/d");
        for layout in [Layout::PerRank, Layout::Shared] {
            let o = ClientOptions {
                layout,
                ..ClientOptions::default()
            };
            for (owner, size) in [(0, 1), (0, 4), (3, 4)] {
                let dir = o.corpus_dir(data, "csv-1x1x1", owner, size);
                assert_eq!(o.data_dir_of(&dir, size).as_deref(), Some(data), "{dir:?}");
            }
        }
    }

    #[test]
    fn shared_blocks_cover_every_file_once_and_reorder_shifts_them() {
        let shared = ClientOptions {
            layout: Layout::Shared,
            ..ClientOptions::default()
        };
        let blocks: Vec<(u32, u32)> = (0..4).map(|r| shared.block(r, 4, 10)).collect();
        assert_eq!(blocks, [(0, 2), (2, 3), (5, 2), (7, 3)]);
        let shifted = ClientOptions {
            reorder: 1,
            ..shared
        };
        assert_eq!(shifted.block(3, 4, 10), (0, 2));
        assert_eq!(shifted.block(0, 4, 10), (2, 3));
    }

    #[test]
    fn stonewall_must_be_a_positive_number_of_seconds() {
        let ok = ClientOptions::from_flags(Layout::Shared, 1, Some("0.5")).map(|o| o.stonewall);
        assert_eq!(ok.ok().flatten(), Some(0.5));
        for bad in ["0", "-1", "nan", "2s", ""] {
            let e = ClientOptions::from_flags(Layout::PerRank, 0, Some(bad)).err();
            assert!(
                e.is_some_and(|e| e.to_string().contains("--stonewall")),
                "{bad}"
            );
        }
    }

    #[test]
    fn per_rank_corpora_live_in_rank_folders_only_with_several_ranks() {
        let o = ClientOptions {
            reorder: 3,
            ..ClientOptions::default()
        };
        let data = Path::new("/d");
        assert_eq!(o.corpus_dir(data, "c", 0, 1), Path::new("/d/c"));
        assert_eq!(o.corpus_dir(data, "c", 2, 4), Path::new("/d/rank-2/c"));
        assert_eq!(o.source_rank(2, 4), 1);
        assert_eq!(o.block(2, 4, 10), (0, 10));
        assert_eq!(
            o.scratch_place(data, "x", 1, 2),
            (PathBuf::from("/d/rank-1"), "x".to_string())
        );
        assert_eq!(
            o.scratch_place(data, "x", 0, 1),
            (PathBuf::from("/d"), "x".to_string())
        );
        let shared = ClientOptions {
            layout: Layout::Shared,
            ..ClientOptions::default()
        };
        assert_eq!(
            shared.scratch_place(data, "x", 1, 2),
            (PathBuf::from("/d"), "x-rank-1".to_string())
        );
    }
}
