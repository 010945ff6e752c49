//! Deterministic CSV corpora: generation, manifest with checksums,
//! verification, reuse and safe removal.
//!
//! A corpus is a directory holding `data-NNNNN.csv` files (file `k`, line `i`
//! holds the integers `k+i+j`, `j` in `0..values`), optionally a single large
//! file `large.csv`, a `manifest.json` with every file's size and checksum,
//! and the `.iolab-corpus` marker that makes the directory iolab's to
//! rewrite or delete. Its bytes are a pure function of its [`CorpusSpec`].
//!
//! Lifecycle: the marker is written first, then the data files, then the
//! manifest (atomically). No manifest means "incomplete: regenerate".
//! [`Corpus::create_or_reuse`] reuses a corpus whose manifest matches the
//! spec and whose files verify, and regenerates one it owns otherwise.
//!
//! This module owns the corpus format and the marked-directory rules (also
//! used for scratch directories). It does not own what workloads do with the
//! files, nor progress bars (callers pass a callback).
//!
//! Files: `spec` (parameters, names), `render` (bytes, checksum), `manifest`,
//! `marker` (ownership, deletion), `generate`, `verify`, `error`, `progress`.

mod error;
mod generate;
mod manifest;
mod marker;
mod progress;
mod render;
mod spec;
mod verify;

#[cfg(test)]
mod tests;

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use error::CorpusError;
pub use manifest::{FileEntry, LargeEntry, Manifest, MANIFEST_FILE_NAME};
pub use marker::{clean, create_marked_dir, has_marker, remove_marked_dir, Marker};
pub use render::{
    checksum, file_size, files_total_size, large_shape, render_file, render_large, ChecksumHasher,
    LargeInfo, GENERATOR_VERSION, LARGE_BLOCK_BYTES,
};
pub use spec::{
    file_name, human_bytes, CorpusSpec, Scale, LARGE_FILE_NAME, MAX_CORPUS_BYTES, MAX_FILES,
    MAX_FILE_BYTES, MAX_LARGE_FILE_BYTES, MAX_LINES, MAX_VALUES,
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
    /// # Errors
    /// [`CorpusError::InvalidSpec`] for a bad spec; [`CorpusError::NotADirectory`],
    /// [`CorpusError::ParentMissing`], [`CorpusError::NotEmptyUnmarked`] or
    /// [`CorpusError::WrongMarker`] when `dir` is not ours to write;
    /// [`CorpusError::NoSpace`] when the device fills up (the partial corpus
    /// stays, marked and without manifest); [`CorpusError::Io`] otherwise.
    pub fn create_or_reuse(
        dir: &Path,
        spec: &CorpusSpec,
        progress: &dyn Fn(u64, u64),
    ) -> Result<(Corpus, Provenance), CorpusError> {
        spec.validate()?;
        let provenance = match Corpus::inspect(dir, spec, progress)? {
            Existing::Usable(corpus) => return Ok((corpus, Provenance::Reused)),
            Existing::Absent => {
                check_free_space(dir, spec)?;
                create_marked_dir(dir, Marker::Corpus)?;
                Provenance::Created
            }
            Existing::Stale(reason) => {
                clear_generated(dir)?;
                Provenance::Regenerated { reason }
            }
        };
        let manifest = generate::generate(dir, spec, progress)?;
        let corpus = Corpus {
            dir: dir.to_path_buf(),
            manifest,
        };
        Ok((corpus, provenance))
    }

    /// Decide whether `dir` holds a usable corpus for `spec`.
    fn inspect(
        dir: &Path,
        spec: &CorpusSpec,
        progress: &dyn Fn(u64, u64),
    ) -> Result<Existing, CorpusError> {
        match fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(CorpusError::NotADirectory {
                    path: dir.to_path_buf(),
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Absent),
            Err(e) => return Err(CorpusError::io("inspecting", dir, e)),
        }
        if !has_marker(dir, Marker::Corpus)? {
            return Ok(Existing::Absent);
        }
        let manifest = match Manifest::load(dir) {
            Ok(Some(manifest)) => manifest,
            Ok(None) => {
                let reason = "it has no manifest.json (an earlier generation did not finish)";
                return Ok(Existing::Stale(reason.to_string()));
            }
            Err(CorpusError::ManifestCorrupt { source, .. }) => {
                return Ok(Existing::Stale(format!(
                    "its manifest.json is unreadable ({source})"
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
        if let Err(e) = manifest.check(&Manifest::path(dir)) {
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

/// Before regenerating in `dir` (ours): drop the manifest first, so an
/// interruption leaves the corpus incomplete, then every generated file.
/// Files iolab does not generate are left alone.
fn clear_generated(dir: &Path) -> Result<(), CorpusError> {
    Manifest::remove(dir)?;
    let entries = fs::read_dir(dir).map_err(|e| CorpusError::io("listing", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| CorpusError::io("listing", dir, e))?;
        let name = entry.file_name();
        let ours = name
            .to_str()
            .is_some_and(|n| n == LARGE_FILE_NAME || spec::is_data_file_name(n));
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if ours && is_file {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| CorpusError::io("deleting", path, e))?;
        }
    }
    Ok(())
}

/// Refuse to start a corpus the device cannot hold, before anything is
/// written: free space (to this user) on the filesystem of `dir`, or of its
/// parent when `dir` does not exist yet, must cover the payload plus one
/// block per file (files end mid-block). A device that cannot be asked, or
/// reports no size, is not checked; running out mid-way is still caught as [`CorpusError::NoSpace`].
fn check_free_space(dir: &Path, spec: &CorpusSpec) -> Result<(), CorpusError> {
    let probe = if dir.exists() {
        dir
    } else {
        dir.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
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
