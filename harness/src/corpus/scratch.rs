//! Scratch folders: one per run (`<data-dir>/scratch-<run-id>`), where
//! workloads write; emptied before each repetition, removed at the end, and
//! removable later by `iolab corpus clean --scratch` once their run is gone.
//!
//! Owns: creating a scratch folder exclusively (`mkdirat`, so two runs can
//! never share one), its marker (bound to the folder) held under an
//! exclusive `flock` for as long as the run lives, emptying and removing it
//! on descriptors (links removed, never followed; never off the folder's
//! own mount: a mount point inside, a bind mount of the same filesystem
//! included, is kept with everything in it and named), and finding the
//! leftovers of dead runs.
//!
//! Does not own what workloads write inside it.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::error::CorpusError;
use super::marker::Marker;
use super::marker_file::{marker_state, write_marker, MarkerState};
use crate::safefs::{self, Dir, FsError, Kind, LockMode};

/// Name prefix of scratch folders in the data folder.
pub const SCRATCH_PREFIX: &str = "scratch-";

/// What state of the scratch filesystem a repetition starts from: the
/// outputs of earlier repetitions are an explicit, recorded choice, since
/// deleting thousands of files changes how fast the next ones are created
/// (ext4 without a journal skips recently deleted inodes when allocating).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScratchPolicy {
    /// Empty the scratch folder before each repetition (iolab before the
    /// policy existed).
    DeleteBefore,
    /// Empty it at the end of each repetition (outside the timed region),
    /// then wait for quiet storage.
    DeleteAfter,
    /// A fresh subfolder per repetition; all of them removed at the end of
    /// the run, so no repetition follows a deletion.
    Rotate,
    /// A freshly made filesystem image of the data folder's type, loop
    /// mounted, per repetition (root only).
    FreshFs,
}

impl ScratchPolicy {
    /// Every policy, in a fixed order.
    pub const ALL: [ScratchPolicy; 4] = [
        ScratchPolicy::DeleteBefore,
        ScratchPolicy::DeleteAfter,
        ScratchPolicy::Rotate,
        ScratchPolicy::FreshFs,
    ];

    /// Its name, as on the command line and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            ScratchPolicy::DeleteBefore => "delete-before",
            ScratchPolicy::DeleteAfter => "delete-after",
            ScratchPolicy::Rotate => "rotate",
            ScratchPolicy::FreshFs => "fresh-fs",
        }
    }
}

impl Default for ScratchPolicy {
    /// The policy measured to keep repetitions most independent here (see
    /// `docs/durability.md`); where it cannot
    /// work (not root) a repetition falls back to `rotate` and says so.
    fn default() -> Self {
        ScratchPolicy::FreshFs
    }
}

impl fmt::Display for ScratchPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A run's scratch folder, alive (locked) until [`Scratch::remove`] or drop.
#[derive(Debug)]
pub struct Scratch {
    parent: Dir,
    dir: Dir,
    name: String,
    path: PathBuf,
    /// The marker, held under an exclusive `flock` while the run lives.
    _marker: File,
}

impl Scratch {
    /// Create `<data_dir>/scratch-<run_id>` (the data folder too, when
    /// missing), never through a link, and mark and lock it.
    ///
    /// # Errors
    /// [`CorpusError::ScratchTaken`] when the folder exists already;
    /// [`CorpusError::Nested`] inside a corpus or another scratch folder;
    /// [`CorpusError::Fs`] for a link on the way or a failed creation.
    pub fn create(data_dir: &Path, run_id: &str) -> Result<Scratch, CorpusError> {
        let name = format!("{SCRATCH_PREFIX}{run_id}");
        let path = data_dir.join(&name);
        super::check_placement(&path, "a scratch folder")?;
        let parent = Dir::create_all(data_dir)?;
        let dir = match parent.create_dir(&name) {
            Err(e)
                if e.io_error()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::AlreadyExists) =>
            {
                return Err(CorpusError::ScratchTaken { path })
            }
            other => other?,
        };
        let marker = write_marker(&dir, Marker::Scratch)?;
        safefs::lock(&marker, LockMode::Exclusive).map_err(|e| {
            CorpusError::io("locking", dir.child_path(Marker::Scratch.file_name()), e)
        })?;
        Ok(Scratch {
            parent,
            dir,
            name,
            path,
            _marker: marker,
        })
    }

    /// [`Scratch::create`] for a run being resumed: a leftover
    /// `scratch-<run_id>` of that run (killed outright, so never removed) is
    /// removed first when it is ours and its run is gone.
    ///
    /// # Errors
    /// [`CorpusError::ScratchTaken`] when the leftover is not removable (in
    /// use by a live iolab, not marked as ours); the errors of `create`.
    pub fn create_for_resume(data_dir: &Path, run_id: &str) -> Result<Scratch, CorpusError> {
        let parent = Dir::create_all(data_dir)?;
        let name = format!("{SCRATCH_PREFIX}{run_id}");
        if let Some(kind) = parent.kind(&name)? {
            let (dir, _locked) =
                removable(&parent, &name, kind).map_err(|_| CorpusError::ScratchTaken {
                    path: data_dir.join(&name),
                })?;
            remove(&parent, &dir, &name)?;
        }
        Scratch::create(data_dir, run_id)
    }

    /// The folder's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Remove everything in the folder, then the folder.
    ///
    /// # Errors
    /// [`CorpusError::Fs`] when a removal fails (a mount point inside, say).
    pub fn remove(self) -> Result<(), CorpusError> {
        remove(&self.parent, &self.dir, &self.name)
    }
}

/// Empty the scratch folder at `path` but for its marker, before a
/// repetition; refuses a folder whose marker is not bound to it.
///
/// # Errors
/// [`CorpusError::Fs`] for a link on the way or a failed removal;
/// [`CorpusError::Unmarked`] or [`CorpusError::CopiedMarker`] when it is
/// not a scratch folder of ours.
pub fn reset_scratch(path: &Path) -> Result<(), CorpusError> {
    let dir = Dir::open(path)?;
    match marker_state(&dir, Marker::Scratch)? {
        MarkerState::Bound => Ok(dir.clear(&[Marker::Scratch.file_name()])?),
        MarkerState::Missing | MarkerState::Legacy => Err(CorpusError::Unmarked {
            path: path.to_path_buf(),
            marker: Marker::Scratch,
        }),
        MarkerState::Foreign { recorded, actual } => Err(CorpusError::CopiedMarker {
            path: path.to_path_buf(),
            marker: Marker::Scratch,
            recorded,
            actual,
        }),
    }
}

/// Name prefix of the loop-mounted filesystems of the `fresh-fs` policy
/// inside a scratch folder (`runner::scratch` makes them).
pub const FRESH_FS_PREFIX: &str = "fresh-fs-";

fn remove(parent: &Dir, dir: &Dir, name: &str) -> Result<(), CorpusError> {
    unmount_fresh_fs(dir)?;
    dir.clear(&[Marker::Scratch.file_name()])?;
    dir.remove_file(Marker::Scratch.file_name())?;
    parent.remove_empty_dir(name)?;
    Ok(())
}

/// Unmount the `fresh-fs-<n>` filesystems a run killed outright left
/// mounted in its scratch folder (only those names, only where the folder
/// is a mount point: on another device than the scratch folder).
fn unmount_fresh_fs(dir: &Dir) -> Result<(), CorpusError> {
    let dev = dir.id()?.dev;
    for (entry, kind) in dir.entries()? {
        let ours = entry
            .to_str()
            .is_some_and(|n| n.starts_with(FRESH_FS_PREFIX));
        if ours && kind == Kind::Dir && dir.open_dir(&entry)?.id()?.dev != dev {
            let path = dir.child_path(&entry);
            crate::sys::mount::unmount(&path)
                .map_err(|e| CorpusError::io("unmounting", path.clone(), e))?;
        }
    }
    Ok(())
}

/// What [`clean_scratch`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScratchReport {
    /// The data folder.
    pub data_dir: PathBuf,
    /// Scratch folders removed.
    pub removed: Vec<String>,
    /// Scratch folders kept, with the reason.
    pub kept: Vec<(String, String)>,
}

impl fmt::Display for ScratchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "removed {} from {}",
            super::error::count(
                self.removed.len() as u64,
                "scratch folder",
                "scratch folders"
            ),
            self.data_dir.display()
        )?;
        if !self.removed.is_empty() {
            write!(f, ": {}", self.removed.join(", "))?;
        }
        for (name, why) in &self.kept {
            write!(f, "\nkept {name}: {why}")?;
        }
        Ok(())
    }
}

/// Remove every `scratch-*` folder in `data_dir` whose marker is bound to it
/// and whose run is gone (nobody holds the marker's lock); keep and list the
/// rest with the reason.
///
/// # Errors
/// [`CorpusError::Fs`] when `data_dir` cannot be opened without following
/// a link, or a removal fails.
pub fn clean_scratch(data_dir: &Path) -> Result<ScratchReport, CorpusError> {
    let parent = Dir::open(data_dir)?;
    let mut report = ScratchReport {
        data_dir: data_dir.to_path_buf(),
        ..ScratchReport::default()
    };
    for (name, kind) in parent.entries()? {
        let name = name.to_string_lossy().into_owned();
        if !name.starts_with(SCRATCH_PREFIX) {
            continue;
        }
        match removable(&parent, &name, kind) {
            Ok((dir, _locked)) => match remove(&parent, &dir, &name) {
                Ok(()) => report.removed.push(name),
                Err(CorpusError::Fs(FsError::MountPoints { mounts, .. })) => {
                    report.kept.push((name, mounts_kept(&mounts)))
                }
                Err(e) => return Err(e),
            },
            Err(why) => report.kept.push((name, why)),
        }
    }
    Ok(report)
}

/// Why a scratch folder holding mount points was kept.
fn mounts_kept(mounts: &[PathBuf]) -> String {
    let list: Vec<String> = mounts.iter().map(|m| m.display().to_string()).collect();
    let (points, them) = match mounts.len() {
        1 => ("a mount point", "it"),
        _ => ("mount points", "them"),
    };
    format!(
        "it holds {points} iolab does not cross, kept with everything in {them} (the rest was \
         removed): {}; unmount {them}, then run this again",
        list.join(", ")
    )
}

/// The open scratch folder `name` and its marker, locked, when it is ours
/// and its run is gone; why not otherwise.
fn removable(parent: &Dir, name: &str, kind: Kind) -> Result<(Dir, File), String> {
    if kind != Kind::Dir {
        return Err(format!("it is a {kind}, not a folder"));
    }
    let text = |e: FsError| e.to_string();
    let dir = parent.open_dir(name).map_err(text)?;
    let marker = Marker::Scratch.file_name();
    match marker_state(&dir, Marker::Scratch).map_err(|e| e.to_string())? {
        MarkerState::Bound => {}
        MarkerState::Missing => return Err(format!("it has no {marker} marker")),
        MarkerState::Foreign { .. } => {
            return Err(format!(
                "its {marker} marker was copied from another folder"
            ))
        }
        MarkerState::Legacy => {
            return Err(format!(
                "its {marker} marker is from an older iolab (it does not record its folder); \
                 delete it yourself once no older iolab is running"
            ))
        }
    }
    let file = dir
        .open_file(marker)
        .map_err(text)?
        .ok_or_else(|| format!("its {marker} marker disappeared"))?;
    match safefs::try_lock(&file, LockMode::Exclusive) {
        Ok(true) => Ok((dir, file)),
        Ok(false) => Err("in use by a running iolab".into()),
        Err(e) => Err(format!("cannot lock its marker: {e}")),
    }
}
