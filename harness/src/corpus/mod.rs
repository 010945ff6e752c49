//! Deterministic CSV corpora: generation, manifest with checksums,
//! verification, reuse and safe removal.
//!
//! A corpus is a directory holding `data-NNNNN.csv` files (file `k`, line `i`
//! holds the integers `k+i+j`, `j` in `0..values`), all in the folder itself
//! or spread over `shard-*` subfolders by the spec's [`Folders`] (file `k` in
//! `shard-<k mod K>`: [`file_rel_path`]), optionally a single large
//! file `large.csv`, a `manifest.json` with every file's size and checksum,
//! and the `.iolab-corpus` marker that makes the directory iolab's to
//! rewrite or delete. Its bytes are a pure function of its [`CorpusSpec`].
//!
//! Lifecycle: the marker is written first (recording the folder's device and
//! inode, so a copied marker is refused), then the record of members
//! (`.iolab-members`: the spec whose files follow), then the data files,
//! then the manifest (atomically). No manifest means "incomplete:
//! regenerate". [`Corpus::create_or_reuse`] reuses a corpus whose manifest
//! matches the spec and whose files verify, and regenerates one it owns
//! otherwise, under the corpus lock (`lock`), deleting only the files its
//! records name (`members`, the same removal as `corpus clean`) after
//! checking that nothing is in the way. Every file is created through
//! [`crate::safefs::Dir`] (`O_CREAT|O_EXCL|O_NOFOLLOW` on the folder's
//! descriptor), so nothing is written through a link or outside the folder,
//! and read through it ([`Dir::read`], [`Dir::open_file`]), so no link is
//! followed and no FIFO or device opened.
//!
//! This module owns the corpus format and the marked-directory rules (also
//! used for scratch directories). It does not own what workloads do with the
//! files, nor progress bars (callers pass a callback).
//!
//! Files: `spec` (parameters, names), `folders` (flat or sharded: where
//! file `k` lives), `render` (bytes, checksum), `manifest`,
//! `marker` (ownership), `lock` (concurrent runs), `clean` (deletion by the
//! manifest), `members` (which files are iolab's to delete), `scratch`
//! (per-run scratch folders), `space` (the room a corpus needs),
//! `generate`, `verify`, `error`, `progress`.

mod clean;
mod error;
mod folders;
mod generate;
mod input;
mod lock;
mod manifest;
mod marker;
mod marker_file;
mod members;
mod names;
mod progress;
mod render;
mod scratch;
mod space;
mod spec;
mod verify;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::safefs::{Dir, FileId, FsError, Kind};
use marker_file::{check_not_other, enclosing_marked, marker_state, write_marker};
use members::Records;

pub use clean::{clean, CleanReport};
pub use error::{count, CorpusError};
pub use folders::{
    file_rel_path, make_shards, Folders, FoldersError, FOLDERS_ALLOWED, MAX_SHARDS, SHARD_PREFIX,
};
pub use input::{
    InputCheck, InputError, InputFiles, InputManifest, InputSet, InputSpec, InputSummary,
    SizeClass, INPUTS_FOLDER,
};
pub use lock::{CorpusLock, LOCK_FILE_NAME, READERS_FILE_NAME};
pub use manifest::{FileEntry, LargeEntry, Manifest, MANIFEST_FILE_NAME, MANIFEST_MAX_BYTES};
pub use marker::Marker;
pub use marker_file::{has_marker, MarkerState};
pub use members::MEMBERS_FILE_NAME;
pub use names::file_name;
pub use render::{
    checksum, file_size, files_total_size, large_shape, render_file, render_large, ChecksumHasher,
    LargeInfo, GENERATOR_VERSION, LARGE_BLOCK_BYTES,
};
pub use scratch::{
    clean_scratch, reset_scratch, Scratch, ScratchPolicy, ScratchReport, FRESH_FS_PREFIX,
    SCRATCH_PREFIX,
};
pub use space::{human_bytes, SpaceNeed};
pub use spec::{
    CorpusSpec, Scale, LARGE_FILE_NAME, MAX_CORPUS_BYTES, MAX_FILES, MAX_FILE_BYTES,
    MAX_LARGE_FILE_BYTES, MAX_LINES, MAX_VALUES,
};
pub use verify::{Mismatch, MismatchKind, VerifyReport};

/// A finished corpus on disk: its directory and its (checked) manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Corpus {
    /// The corpus directory.
    pub dir: PathBuf,
    /// Its manifest, consistent with its spec.
    pub manifest: Manifest,
    /// For a user's input set (`--input`), its files' paths in task order
    /// (the manifest's entries are theirs); `None` for a generated corpus.
    pub inputs: Option<std::sync::Arc<InputFiles>>,
}

/// How [`Corpus::create_or_reuse`] obtained the corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provenance {
    /// There was no corpus: it was generated (in a new or empty directory).
    Created,
    /// A corpus with the same spec was there and verified: nothing was written.
    Reused,
    /// A corpus of ours was there but unusable, and was generated again.
    Regenerated {
        /// Why the old one could not be reused.
        reason: String,
        /// Entries of the folder iolab did not create, kept (as
        /// `corpus clean` lists them).
        kept: Vec<String>,
    },
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::Created => f.write_str("created"),
            Provenance::Reused => f.write_str("reused (manifest matches, all files verified)"),
            Provenance::Regenerated { reason, kept } if kept.is_empty() => {
                write!(f, "regenerated: {reason}")
            }
            Provenance::Regenerated { reason, kept } => write!(
                f,
                "regenerated: {reason}; kept {} iolab did not create: {}",
                count(kept.len() as u64, "entry", "entries"),
                kept.join(", ")
            ),
        }
    }
}

/// What [`Corpus::create_or_reuse`] found in the directory.
enum Existing {
    /// No corpus of ours (missing, or an unmarked directory).
    Absent,
    /// A corpus that matches and verifies.
    Usable(Corpus),
    /// A corpus of ours that must be regenerated, and why.
    Stale(String),
}

impl Corpus {
    /// Create the corpus for `spec` in `dir`, or reuse the one there when its
    /// manifest matches `spec` and every file verifies. A corpus of ours that
    /// does not match (other spec, no manifest, corrupt, failed verification)
    /// is regenerated in place. `progress(done_bytes, total_bytes)` is called
    /// now and then, from the calling thread, while generating or verifying.
    ///
    /// Returns the corpus lock held as a reader: keep it while reading the
    /// corpus, so no other iolab rebuilds it meanwhile. Inspection, creation
    /// and rebuild hold the build lock; a second caller waits for a build in
    /// progress (saying so on stderr) and then reuses the corpus.
    ///
    /// # Errors
    /// [`CorpusError::InvalidSpec`] for a bad spec; [`CorpusError::NotADirectory`],
    /// [`CorpusError::ParentMissing`], [`CorpusError::NotEmptyUnmarked`],
    /// [`CorpusError::CopiedMarker`], [`CorpusError::WrongMarker`],
    /// [`CorpusError::Nested`] (inside another marked folder) or
    /// [`CorpusError::Fs`] (a link on the way) when `dir` is not ours to
    /// write; [`CorpusError::Fs`] when the manifest, the marker or a lock
    /// file is not a regular file; [`CorpusError::BadMember`] when a member
    /// to replace is not a regular file, [`CorpusError::InTheWay`] when
    /// files no record names would be written over (both before anything
    /// is deleted); [`CorpusError::NoSpace`] when the device fills up (the
    /// partial corpus stays, marked and without manifest); [`CorpusError::Io`]
    /// otherwise.
    pub fn create_or_reuse(
        dir: &Path,
        spec: &CorpusSpec,
        progress: &dyn Fn(u64, u64),
    ) -> Result<(Corpus, Provenance, CorpusLock), CorpusError> {
        spec.validate()?;
        let folder = open_or_create(dir, spec)?;
        let lock = CorpusLock::open(&folder)?;
        lock.build()?;
        if marker_state(&folder, Marker::Corpus)? == MarkerState::Legacy {
            folder.remove_file(Marker::Corpus.file_name())?;
            write_marker(&folder, Marker::Corpus)?;
        }
        let provenance = match Corpus::inspect(&folder, dir, spec, progress)? {
            Existing::Usable(corpus) => {
                lock.read()?;
                return Ok((corpus, Provenance::Reused, lock));
            }
            Existing::Absent => {
                check_ours_or_empty(&folder)?;
                write_marker(&folder, Marker::Corpus)?;
                Provenance::Created
            }
            Existing::Stale(reason) => {
                lock.rebuild()?;
                let kept = clear_members(&folder, spec)?;
                Provenance::Regenerated { reason, kept }
            }
        };
        let manifest = generate::generate(&folder, spec, progress)?;
        lock.read()?;
        let corpus = Corpus {
            dir: dir.to_path_buf(),
            manifest,
            inputs: None,
        };
        Ok((corpus, provenance, lock))
    }

    /// Decide whether `folder` holds a usable corpus for `spec`.
    fn inspect(
        folder: &Dir,
        dir: &Path,
        spec: &CorpusSpec,
        progress: &dyn Fn(u64, u64),
    ) -> Result<Existing, CorpusError> {
        match marker_state(folder, Marker::Corpus)? {
            MarkerState::Bound => {}
            MarkerState::Missing => {
                check_not_other(folder, Marker::Corpus)?;
                return Ok(Existing::Absent);
            }
            MarkerState::Legacy => {
                let reason = "its marker is from an older iolab";
                return Ok(Existing::Stale(reason.to_string()));
            }
            MarkerState::Foreign { recorded, actual } => {
                return Err(copied(folder, recorded, actual));
            }
        }
        let path = folder.child_path(MANIFEST_FILE_NAME);
        let manifest = match Manifest::load(folder) {
            Ok(Some(manifest)) => manifest,
            Ok(None) => {
                let reason = "it has no manifest.json (an earlier generation did not finish)";
                return Ok(Existing::Stale(reason.to_string()));
            }
            Err(CorpusError::ManifestCorrupt { cause, .. }) => {
                return Ok(Existing::Stale(format!(
                    "its manifest.json is unreadable ({cause})"
                )));
            }
            Err(e) => return Err(e),
        };
        if manifest.spec != *spec {
            let reason = format!(
                "it holds {}, {} was requested",
                manifest.spec.dir_name(),
                spec.dir_name()
            );
            return Ok(Existing::Stale(reason));
        }
        if let Err(e) = manifest.check(&path) {
            return Ok(Existing::Stale(e.to_string()));
        }
        let report = verify::verify(folder, &manifest, progress)?;
        let corpus = Corpus {
            dir: dir.to_path_buf(),
            manifest,
            inputs: None,
        };
        if report.is_ok() {
            Ok(Existing::Usable(corpus))
        } else {
            Ok(Existing::Stale(format!("verification failed: {report}")))
        }
    }

    /// Open the finished corpus in `dir` (marker and manifest must be there;
    /// the manifest must agree with its spec). Files are not read: see
    /// [`Corpus::verify`]. The folder is opened without following a link at
    /// any depth, as when it was made.
    ///
    /// # Errors
    /// [`CorpusError::DirMissing`], [`CorpusError::NotADirectory`],
    /// [`CorpusError::NotACorpus`] (no marker), [`CorpusError::WrongMarker`],
    /// [`CorpusError::Incomplete`] (no manifest),
    /// [`CorpusError::ManifestCorrupt`], [`CorpusError::ManifestVersion`],
    /// [`CorpusError::ManifestInconsistent`], [`CorpusError::Fs`] (a link on
    /// the way, a manifest that is not a regular file).
    pub fn open(dir: &Path) -> Result<Corpus, CorpusError> {
        let path = dir.to_path_buf();
        let folder = Dir::open(dir).map_err(|e| match e {
            e if e.is_not_found() => CorpusError::DirMissing { path: path.clone() },
            FsError::WrongKind { .. } => CorpusError::NotADirectory { path: path.clone() },
            e => e.into(),
        })?;
        let marked = |m: Marker| folder.kind(m.file_name()).map(|k| k == Some(Kind::File));
        if !marked(Marker::Corpus)? {
            if marked(Marker::Scratch)? {
                let (found, expected) = (Marker::Scratch, Marker::Corpus);
                return Err(CorpusError::WrongMarker {
                    path,
                    found,
                    expected,
                });
            }
            return Err(CorpusError::NotACorpus { path });
        }
        let manifest =
            Manifest::load(&folder)?.ok_or(CorpusError::Incomplete { path: path.clone() })?;
        manifest.check(&Manifest::path(dir))?;
        Ok(Corpus {
            dir: path,
            manifest,
            inputs: None,
        })
    }

    /// Re-read every file, recompute its size and checksum, and report every
    /// difference from the manifest (missing, wrong size, wrong checksum, not
    /// a regular file, unreadable), and the files named like members that
    /// the manifest does not name. Reads in parallel, relative to the
    /// folder's descriptor, never through a link nor from a FIFO or device.
    /// `progress(done_bytes, total_bytes)` is called now and then.
    ///
    /// # Errors
    /// [`CorpusError::Fs`] only when the directory cannot be opened or
    /// listed.
    pub fn verify(&self, progress: &dyn Fn(u64, u64)) -> Result<VerifyReport, CorpusError> {
        verify::verify(&Dir::open(&self.dir)?, &self.manifest, progress)
    }

    /// The spec the corpus was generated from.
    pub fn spec(&self) -> &CorpusSpec {
        &self.manifest.spec
    }

    /// Path of data file `k` (whether or not `k` is in range).
    pub fn file_path(&self, k: u32) -> PathBuf {
        match &self.inputs {
            Some(set) => self.dir.join(&set.names[k as usize]),
            None => self.dir.join(self.rel_path(k)),
        }
    }

    /// Data file `k` as messages name it: its path relative to the folder
    /// (`data-00007.csv`, `shard-3/data-00007.csv`, or an input set's
    /// `src/lib.rs`).
    pub fn file_label(&self, k: u32) -> String {
        match &self.inputs {
            Some(set) => set.names.get(k as usize).cloned().unwrap_or_default(),
            None => self.rel_path(k).to_string_lossy().into_owned(),
        }
    }

    /// Generated data file `k`'s path relative to the corpus folder.
    fn rel_path(&self, k: u32) -> PathBuf {
        let spec = &self.manifest.spec;
        file_rel_path(k, spec.files, spec.folders)
    }

    /// Paths of all data files, in index order.
    pub fn file_paths(&self) -> Vec<PathBuf> {
        (0..self.manifest.spec.files)
            .map(|k| self.file_path(k))
            .collect()
    }

    /// Path of the large file, when the corpus has one.
    pub fn large_path(&self) -> Option<PathBuf> {
        self.manifest.large.as_ref().map(|l| self.dir.join(&l.name))
    }
}

/// Before regenerating `spec` in `folder` (ours): check that every member
/// the records name is a regular file and that no file they do not name is
/// in the way of `spec`'s (refusing before anything is deleted, so the
/// manifest survives a refusal), then delete the members (the removal
/// `corpus clean` makes) and the records. Returns the entries kept.
fn clear_members(folder: &Dir, spec: &CorpusSpec) -> Result<Vec<String>, CorpusError> {
    let records = Records::read(folder)?;
    members::check_rebuild(folder, &records, spec)?;
    let removal = members::remove_members(folder, &records)?;
    members::forget(folder)?;
    Ok(removal.kept)
}

/// Open the corpus folder `dir` without following a link at any depth,
/// creating it when missing (after checking the device can hold `spec`),
/// and refuse a folder that is not ours and not empty.
fn open_or_create(dir: &Path, spec: &CorpusSpec) -> Result<Dir, CorpusError> {
    let path = dir.to_path_buf();
    let Some(name) = dir.file_name() else {
        return Err(FsError::BadPath { path }.into());
    };
    let parent_path = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    check_placement(dir, "a corpus")?;
    let parent = Dir::open(parent_path).map_err(|e| match e {
        e if e.is_not_found() => CorpusError::ParentMissing {
            path: path.clone(),
            parent: parent_path.to_path_buf(),
        },
        FsError::WrongKind { .. } => CorpusError::ParentMissing {
            path: path.clone(),
            parent: parent_path.to_path_buf(),
        },
        e => e.into(),
    })?;
    let folder = match parent.kind(name)? {
        None => {
            check_free_space(dir, parent_path, spec)?;
            match parent.create_dir(name) {
                Err(e)
                    if e.io_error()
                        .is_some_and(|e| e.kind() == io::ErrorKind::AlreadyExists) =>
                {
                    parent.open_dir(name)
                }
                other => other,
            }
        }
        Some(_) => parent.open_dir(name),
    };
    let folder = folder.map_err(|e| match e {
        FsError::WrongKind { .. } => CorpusError::NotADirectory { path },
        e => e.into(),
    })?;
    check_ours_or_empty(&folder)?;
    Ok(folder)
}

/// Refuse to make `what` (a corpus, a scratch folder) at `dir` inside a
/// folder that carries a marker of iolab's (a corpus, a scratch folder),
/// whose cleaning would delete it: checked before anything is created,
/// the data folder above included.
///
/// # Errors
/// [`CorpusError::Nested`] naming the marked folder.
pub fn check_placement(dir: &Path, what: &'static str) -> Result<(), CorpusError> {
    match enclosing_marked(dir) {
        Some((outer, marker)) => Err(CorpusError::Nested {
            what,
            path: dir.to_path_buf(),
            outer,
            marker,
        }),
        None => Ok(()),
    }
}

/// `Ok` when `folder` carries our corpus marker (bound to it, or from an
/// older iolab), or holds nothing but a lock file; the matching refusal
/// otherwise.
fn check_ours_or_empty(folder: &Dir) -> Result<(), CorpusError> {
    match marker_state(folder, Marker::Corpus)? {
        MarkerState::Bound | MarkerState::Legacy => Ok(()),
        MarkerState::Foreign { recorded, actual } => Err(copied(folder, recorded, actual)),
        MarkerState::Missing => {
            check_not_other(folder, Marker::Corpus)?;
            let entries = folder.entries()?;
            if entries
                .iter()
                .any(|(n, _)| n != LOCK_FILE_NAME && n != READERS_FILE_NAME)
            {
                return Err(CorpusError::NotEmptyUnmarked {
                    path: folder.path().to_path_buf(),
                    marker: Marker::Corpus,
                });
            }
            Ok(())
        }
    }
}

/// The refusal for a corpus marker copied from another folder.
fn copied(folder: &Dir, recorded: FileId, actual: FileId) -> CorpusError {
    CorpusError::CopiedMarker {
        path: folder.path().to_path_buf(),
        marker: Marker::Corpus,
        recorded,
        actual,
    }
}

/// Refuse to start a corpus the device cannot hold, before anything is
/// written: free space (to this user) on the filesystem of `probe` (the
/// parent of the corpus `dir` about to be created) must cover
/// [`CorpusSpec::space_need`]. A device that cannot be asked, or reports no
/// size (ramfs), is not checked; running out midway is still caught, as
/// [`CorpusError::NoSpace`] quoting the same need.
fn check_free_space(dir: &Path, probe: &Path, spec: &CorpusSpec) -> Result<(), CorpusError> {
    let Some(fs) = rustix::fs::statvfs(probe).ok().filter(|f| f.f_blocks > 0) else {
        return Ok(());
    };
    let block = fs.f_frsize.max(512);
    let needed = spec.space_need(block);
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
