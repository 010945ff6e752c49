//! Where each rank's data is. `per-rank`: every rank its own corpus under
//! `DATA/rank-R/` (mdtest `-u`), created by that rank. `shared`: one corpus
//! under `DATA/`, created by the first rank of that data folder while the
//! others wait, then opened by all; the per-file workloads (write, read,
//! copy, atomic-save) split the corpus files into contiguous blocks, block
//! `b` of `N` holding files `⌊b·F/N⌋ .. ⌊(b+1)·F/N⌋` of the `F` files in
//! use; the large-file and append workloads run whole on every rank (each
//! its own append target). `--data-dir` may hold `%h` (the rank's host)
//! and `%r` (its rank), so each node or rank has its own data folder
//! ([`DataDirs`]; a shared corpus is then one per data folder).
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
    /// Stop every rank's task loop this many seconds after its timed
    /// region started, right after the barrier (default: none, run every
    /// task).
    pub stonewall: Option<f64>,
    /// After the stonewall, every rank completes as many tasks as the rank
    /// that did most (IOR's wear-out; default off).
    #[serde(default)]
    pub wearout: bool,
}

/// A clients flag with a value iolab cannot use.
#[derive(Debug, thiserror::Error)]
pub enum ClientsError {
    /// `--stonewall` not a positive number of seconds.
    #[error("--stonewall {0:?}: expected a number of seconds greater than 0 (e.g. 2 or 0.5)")]
    Stonewall(String),
    /// A `%` sequence of `--data-dir` iolab does not know, or a host name
    /// that cannot be a folder name.
    #[error("--data-dir {template}: {problem}")]
    DataDir {
        /// The folder as given.
        template: String,
        /// What is wrong and what is allowed.
        problem: String,
    },
    /// `--stonewall-wearout` without a stonewall.
    #[error("--stonewall-wearout needs --stonewall SECONDS: the wear-out follows the stonewall's deadline")]
    WearoutAlone,
}

impl ClientOptions {
    /// Validated options from the flags' raw values.
    ///
    /// # Errors
    /// [`ClientsError::Stonewall`] naming the value;
    /// [`ClientsError::WearoutAlone`].
    pub fn from_flags(
        layout: Layout,
        reorder: u32,
        (stonewall, wearout): (Option<&str>, bool),
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
        if wearout && stonewall.is_none() {
            return Err(ClientsError::WearoutAlone);
        }
        Ok(ClientOptions {
            layout,
            reorder,
            stonewall,
            wearout,
        })
    }

    /// The stonewall of every repetition, as strategies take it.
    pub fn stonewall(&self) -> Option<crate::measure::Stonewall> {
        self.stonewall.map(|s| crate::measure::Stonewall {
            after_ns: (s * 1e9) as u64,
            wearout: self.wearout,
        })
    }

    /// The rank whose inputs rank `rank` of `size` reads.
    pub fn source_rank(&self, rank: u32, size: u32) -> u32 {
        (rank + self.reorder % size.max(1)) % size.max(1)
    }

    /// The corpus folder rank `owner` creates or opens: `dir_name` under
    /// its data folder, in its rank folder (`DATA/rank-R/NAME`) when each
    /// rank of several has its own. One rank: `DATA/NAME`, as without MPI.
    pub fn corpus_dir(&self, dirs: &DataDirs, dir_name: &str, owner: u32, size: u32) -> PathBuf {
        let data_dir = dirs.of(owner);
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
    /// one another rank made: every rank its own (per-rank); shared, the
    /// first rank of each data folder (one corpus per node with `%h`).
    pub fn creates_corpus(&self, rank: u32, dirs: &DataDirs) -> bool {
        match self.layout {
            Layout::PerRank => true,
            Layout::Shared => dirs.first_sharing(rank) == rank,
        }
    }

    /// Where rank `rank`'s scratch folder for run `run_id` goes: the folder
    /// that holds it and the id it is named by (`scratch-<id>`): in its own
    /// rank folder (per-rank, beside its corpus), or `scratch-ID-rank-R`
    /// beside the shared corpus; `scratch-ID` with one rank, as without MPI.
    pub fn scratch_place(
        &self,
        dirs: &DataDirs,
        run_id: &str,
        rank: u32,
        size: u32,
    ) -> (PathBuf, String) {
        let data_dir = dirs.of(rank);
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

/// Each rank's data folder: `--data-dir` with `%h` (the rank's host name),
/// `%r` (its rank) and `%%` (a `%`) filled in, so each node or each rank
/// can have its own (a node's local disk, a rank's own folder on shared
/// storage); without them every rank has the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDirs(Vec<PathBuf>);

impl DataDirs {
    /// The data folders of ranks `0..hosts.len()`, rank `r` on host
    /// `hosts[r]`.
    ///
    /// # Errors
    /// [`ClientsError::DataDir`]: a `%` followed by anything but `h`, `r`
    /// or `%`, a folder that is not UTF-8 while it holds a `%`, or a host
    /// name that cannot be one folder's name.
    pub fn expand(template: &Path, hosts: &[String]) -> Result<DataDirs, ClientsError> {
        let bad = |problem: String| ClientsError::DataDir {
            template: template.display().to_string(),
            problem,
        };
        let raw = template.as_os_str().as_encoded_bytes();
        if !raw.contains(&b'%') {
            return Ok(DataDirs(vec![template.to_path_buf(); hosts.len().max(1)]));
        }
        let text = template
            .to_str()
            .ok_or_else(|| bad("a folder with %h or %r must be UTF-8".into()))?;
        let dirs = hosts.iter().enumerate().map(|(rank, host)| {
            let plain =
                !host.is_empty() && host != "." && host != ".." && !host.contains(['/', '\0']);
            if !plain && text.contains("%h") {
                return Err(bad(format!(
                    "rank {rank}'s host name {host:?} cannot be a folder name"
                )));
            }
            let mut out = String::with_capacity(text.len() + host.len());
            let mut chars = text.chars();
            while let Some(c) = chars.next() {
                if c != '%' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('h') => out.push_str(host),
                    Some('r') => out.push_str(&rank.to_string()),
                    Some('%') => out.push('%'),
                    other => {
                        return Err(bad(format!(
                            "%{} is not known: use %h (the rank's host), %r (its rank) or %% (a %)",
                            other.map_or_else(String::new, String::from)
                        )))
                    }
                }
            }
            Ok(PathBuf::from(out))
        });
        dirs.collect::<Result<Vec<_>, _>>().map(DataDirs)
    }

    /// The data folders a run recorded, one per rank.
    pub fn recorded(dirs: Vec<PathBuf>) -> DataDirs {
        DataDirs(dirs)
    }

    /// Rank `rank`'s data folder (the last one's for a rank past them).
    pub fn of(&self, rank: u32) -> &Path {
        self.0
            .get(rank as usize)
            .or(self.0.last())
            .map_or(Path::new("."), PathBuf::as_path)
    }

    /// Every rank's, in rank order.
    pub fn all(&self) -> &[PathBuf] {
        &self.0
    }

    /// The first rank whose data folder is `rank`'s.
    pub fn first_sharing(&self, rank: u32) -> u32 {
        let mine = self.of(rank);
        self.0.iter().position(|d| d == mine).unwrap_or(0) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(dir: &str) -> DataDirs {
        DataDirs::recorded(vec![PathBuf::from(dir)])
    }

    #[test]
    fn the_data_folder_comes_back_from_any_ranks_corpus_folder() {
        let data = Path::new("/d");
        for layout in [Layout::PerRank, Layout::Shared] {
            let o = ClientOptions {
                layout,
                ..ClientOptions::default()
            };
            for (owner, size) in [(0, 1), (0, 4), (3, 4)] {
                let dir = o.corpus_dir(&same("/d"), "csv-1x1x1", owner, size);
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
        let ok = ClientOptions::from_flags(Layout::Shared, 1, (Some("0.5"), true));
        let wall = ok.ok().and_then(|o| o.stonewall());
        assert_eq!(
            wall.map(|w| (w.after_ns, w.wearout)),
            Some((500_000_000, true))
        );
        let alone = ClientOptions::from_flags(Layout::Shared, 1, (None, true)).err();
        assert!(alone.is_some_and(|e| e.to_string().contains("needs --stonewall")));
        for bad in ["0", "-1", "nan", "2s", ""] {
            let e = ClientOptions::from_flags(Layout::PerRank, 0, (Some(bad), false)).err();
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
        let data = &same("/d");
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

    #[test]
    fn data_folders_take_each_ranks_host_and_rank() {
        let hosts: Vec<String> = ["n1", "n1", "n2"].map(String::from).to_vec();
        let dirs = DataDirs::expand(Path::new("/s/%h/r%r/100%%"), &hosts).unwrap();
        let want = ["/s/n1/r0/100%", "/s/n1/r1/100%", "/s/n2/r2/100%"].map(PathBuf::from);
        assert_eq!(dirs.all(), want);
        let node = DataDirs::expand(Path::new("/s/%h"), &hosts).unwrap();
        let shared = ClientOptions {
            layout: Layout::Shared,
            ..ClientOptions::default()
        };
        let creators: Vec<bool> = (0..3).map(|r| shared.creates_corpus(r, &node)).collect();
        assert_eq!(creators, [true, false, true], "one shared corpus per node");
        assert_eq!(shared.corpus_dir(&node, "c", 2, 3), Path::new("/s/n2/c"));
        let plain = DataDirs::expand(Path::new("/d"), &hosts).unwrap();
        assert_eq!(plain.all(), [PathBuf::from("/d"), "/d".into(), "/d".into()]);
        for (bad, says) in [("/s/%x", "%x is not known"), ("/s/%", "% is not known")] {
            let e = DataDirs::expand(Path::new(bad), &hosts)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says) && e.contains("--data-dir"), "{e}");
        }
        let odd = ["..".to_string()];
        let e = DataDirs::expand(Path::new("/s/%h"), &odd)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be a folder name"), "{e}");
    }
}
