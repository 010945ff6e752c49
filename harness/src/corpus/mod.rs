//! Deterministic CSV corpora: generation, manifest with checksums,
//! verification, reuse and safe removal.
//!
//! A corpus is a directory holding `data-NNNNN.csv` files (file `k`, line `i`
//! holds the integers `k+i+j`, `j` in `0..values`), optionally a single large
//! file `large.csv`, a `manifest.json` with every file's size and checksum,
//! and the `.iolab-corpus` marker that makes the directory iolab's to
//! rewrite or delete. Its bytes are a pure function of its [`CorpusSpec`].
//!
//! Lifecycle: the marker is written first (recording the folder's device and
//! inode, so a copied marker is refused), then the data files, then the
//! manifest (atomically). No manifest means "incomplete: regenerate".
//! [`Corpus::create_or_reuse`] reuses a corpus whose manifest matches the
//! spec and whose files verify, and regenerates one it owns otherwise, under
//! the corpus lock (`lock`). Every file is created through
//! [`crate::safefs::Dir`] (`O_CREAT|O_EXCL|O_NOFOLLOW` on the folder's
//! descriptor), so nothing is written through a link or outside the folder.
//!
//! This module owns the corpus format and the marked-directory rules (also
//! used for scratch directories). It does not own what workloads do with the
//! files, nor progress bars (callers pass a callback).
//!
//! Files: `spec` (parameters, names), `render` (bytes, checksum), `manifest`,
//! `marker` (ownership), `lock` (concurrent runs), `clean` (deletion by the
//! manifest), `scratch` (per-run scratch folders), `generate`, `verify`,
//! `error`, `progress`.

mod clean;
mod error;
mod generate;
mod lock;
mod manifest;
mod marker;
mod marker_file;
mod progress;
mod render;
mod scratch;
mod spec;
mod verify;

#[cfg(test)]
mod tests;

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::safefs::{Dir, FileId, FsError, Kind};
use marker_file::{check_not_other, marker_state, write_marker};

pub use clean::{clean, CleanReport};
pub use error::{human_bytes, CorpusError};
pub use lock::{CorpusLock, LOCK_FILE_NAME, READERS_FILE_NAME};
pub use manifest::{FileEntry, LargeEntry, Manifest, MANIFEST_FILE_NAME};
pub use marker::Marker;
pub use marker_file::{has_marker, MarkerState};
pub use render::{
    checksum, file_size, files_total_size, large_shape, render_file, render_large, ChecksumHasher,
    LargeInfo, GENERATOR_VERSION, LARGE_BLOCK_BYTES,
};
pub use scratch::{
    clean_scratch, reset_scratch, Scratch, ScratchPolicy, ScratchReport, FRESH_FS_PREFIX,
    SCRATCH_PREFIX,
};
pub use spec::{
    file_name, CorpusSpec, Scale, LARGE_FILE_NAME, MAX_CORPUS_BYTES, MAX_FILES, MAX_FILE_BYTES,
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
    },
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::Created => f.write_str("created"),
            Provenance::Reused => f.write_str("reused (manifest matches, all files verified)"),
            Provenance::Regenerated { reason } => write!(f, "regenerated: {reason}"),
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
    /// [`CorpusError::CopiedMarker`], [`CorpusError::WrongMarker`] or
    /// [`CorpusError::Fs`] (a link on the way) when `dir` is not ours to
    /// write; [`CorpusError::BadMember`] when a member to replace is not a
    /// regular file; [`CorpusError::NoSpace`] when the device fills up (the
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
                clear_generated(&folder)?;
                Provenance::Regenerated { reason }
            }
        };
        let manifest = generate::generate(&folder, spec, progress)?;
        lock.read()?;
        let corpus = Corpus {
            dir: dir.to_path_buf(),
            manifest,
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
        let manifest = match folder.read(MANIFEST_FILE_NAME)? {
            None => {
                let reason = "it has no manifest.json (an earlier generation did not finish)";
                return Ok(Existing::Stale(reason.to_string()));
            }
            Some(bytes) => match Manifest::parse(&bytes, &path) {
                Ok(manifest) => manifest,
                Err(CorpusError::ManifestCorrupt { source, .. }) => {
                    return Ok(Existing::Stale(format!(
                        "its manifest.json is unreadable ({source})"
                    )));
                }
                Err(e) => return Err(e),
            },
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
        let corpus = Corpus {
            dir: dir.to_path_buf(),
            manifest,
        };
        let report = corpus.verify(progress)?;
        if report.is_ok() {
            Ok(Existing::Usable(corpus))
        } else {
            Ok(Existing::Stale(format!("verification failed: {report}")))
        }
    }

    /// Open the finished corpus in `dir` (marker and manifest must be there;
    /// the manifest must agree with its spec). Files are not read: see
    /// [`Corpus::verify`].
    ///
    /// # Errors
    /// [`CorpusError::DirMissing`], [`CorpusError::NotADirectory`],
    /// [`CorpusError::NotACorpus`] (no marker), [`CorpusError::WrongMarker`],
    /// [`CorpusError::Incomplete`] (no manifest),
    /// [`CorpusError::ManifestCorrupt`], [`CorpusError::ManifestVersion`],
    /// [`CorpusError::ManifestInconsistent`], [`CorpusError::Io`].
    pub fn open(dir: &Path) -> Result<Corpus, CorpusError> {
        let path = dir.to_path_buf();
        match fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(CorpusError::NotADirectory { path }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(CorpusError::DirMissing { path })
            }
            Err(e) => return Err(CorpusError::io("inspecting", path, e)),
        }
        if !has_marker(dir, Marker::Corpus)? {
            if has_marker(dir, Marker::Scratch)? {
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
            Manifest::load(dir)?.ok_or(CorpusError::Incomplete { path: path.clone() })?;
        manifest.check(&Manifest::path(dir))?;
        Ok(Corpus {
            dir: path,
            manifest,
        })
    }

    /// Re-read every file, recompute its size and checksum, and report every
    /// difference from the manifest (missing, wrong size, wrong checksum,
    /// unreadable, unexpected extra `data-*.csv`). Reads in parallel.
    /// `progress(done_bytes, total_bytes)` is called now and then.
    ///
    /// # Errors
    /// [`CorpusError::Io`] only when the directory cannot be listed.
    pub fn verify(&self, progress: &dyn Fn(u64, u64)) -> Result<VerifyReport, CorpusError> {
        verify::verify(&self.dir, &self.manifest, progress)
    }

    /// The spec the corpus was generated from.
    pub fn spec(&self) -> &CorpusSpec {
        &self.manifest.spec
    }

    /// Path of data file `k` (whether or not `k` is in range).
    pub fn file_path(&self, k: u32) -> PathBuf {
        self.dir.join(file_name(k, self.manifest.spec.files))
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

/// Before regenerating in `folder` (ours): drop the manifest first, so an
/// interruption leaves the corpus incomplete, then every generated file. A
/// generated name that is not a regular file (a link, a folder) is an error
/// naming it; files iolab does not generate are left alone.
fn clear_generated(folder: &Dir) -> Result<(), CorpusError> {
    Manifest::remove(folder)?;
    for (name, kind) in folder.entries()? {
        let ours = name
            .to_str()
            .is_some_and(|n| n == LARGE_FILE_NAME || spec::is_data_file_name(n));
        match kind {
            _ if !ours => {}
            Kind::File => {
                folder.remove_file(&name)?;
            }
            Kind::Dir | Kind::Symlink | Kind::Other => {
                let path = folder.child_path(&name);
                return Err(CorpusError::BadMember { path, kind });
            }
        }
    }
    Ok(())
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
/// parent of the corpus `dir` about to be created) must cover the payload plus one
/// block per file (files end mid-block). A device that cannot be asked, or
/// reports no size, is not checked; running out mid-way is still caught as [`CorpusError::NoSpace`].
fn check_free_space(dir: &Path, probe: &Path, spec: &CorpusSpec) -> Result<(), CorpusError> {
    // ramfs and the like report no size at all (0 blocks): nothing to check.
    let Some(fs) = rustix::fs::statvfs(probe).ok().filter(|f| f.f_blocks > 0) else {
        return Ok(());
    };
    let block = fs.f_frsize.max(512);
    let files = u64::from(spec.files) + u64::from(spec.large_file_bytes.is_some()) + 2;
    let needed = spec.total_bytes() + files * block;
    let available = fs.f_bavail.saturating_mul(block);
    if available < needed {
        return Err(CorpusError::NotEnoughSpace {
            dir: dir.to_path_buf(),
            needed,
            available,
        });
    }
    Ok(())
}
