//! `iolab corpus clean DIR`: delete exactly what iolab put in a corpus.
//!
//! Owns: the refusals made before anything is touched (a trailing slash,
//! `.`/`..` components, `/`, `$HOME`, the current directory or one of its
//! ancestors, a path inside another corpus, a symbolic link, a folder whose
//! marker is missing, copied or from an older iolab, a corpus in use), and
//! the removal itself: on the folder's descriptor, the files its manifest
//! names (or, without a manifest, the generator's file names), the manifest,
//! the lock file and the marker last; then the folder only if it is empty.
//! Everything else is kept and listed.
//!
//! Does not own scratch folders (`scratch`).

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::error::CorpusError;
use super::lock::{CorpusLock, LOCK_FILE_NAME, READERS_FILE_NAME};
use super::manifest::{Manifest, MANIFEST_FILE_NAME, MANIFEST_TEMP_NAME};
use super::marker::Marker;
use super::marker_file::{check_not_other, marker_state, MarkerState};
use super::spec::{file_name, is_data_file_name, LARGE_FILE_NAME};
use crate::safefs::{Dir, FileId, Kind};

/// What [`clean`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CleanReport {
    /// The corpus folder.
    pub dir: PathBuf,
    /// Files removed.
    pub removed: usize,
    /// Entries kept because iolab did not create them (`name/` for folders).
    pub kept: Vec<String>,
    /// Whether the folder itself was removed (it was empty at the end).
    pub dir_removed: bool,
}

impl fmt::Display for CleanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dir_removed {
            return write!(f, "removed {} ({} files)", self.dir.display(), self.removed);
        }
        let entries = if self.kept.len() == 1 {
            "entry"
        } else {
            "entries"
        };
        write!(
            f,
            "removed {} files iolab created from {}; kept {} {entries} iolab did not create: {}",
            self.removed,
            self.dir.display(),
            self.kept.len(),
            self.kept.join(", ")
        )
    }
}

/// Delete the corpus in `dir`: every file iolab made there, then the folder
/// when nothing else is left.
///
/// # Errors
/// [`CorpusError::Refused`], [`CorpusError::Symlink`],
/// [`CorpusError::NotADirectory`], [`CorpusError::DirMissing`],
/// [`CorpusError::Unmarked`], [`CorpusError::WrongMarker`],
/// [`CorpusError::CopiedMarker`], [`CorpusError::LegacyMarker`] or
/// [`CorpusError::InUse`] before anything is removed; [`CorpusError::Fs`]
/// when a removal fails.
pub fn clean(dir: &Path) -> Result<CleanReport, CorpusError> {
    let id = check_target(dir)?;
    let name = dir
        .file_name()
        .ok_or_else(|| refuse(dir, "it names no folder"))?;
    let parent_path = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let parent = Dir::open(parent_path)?;
    let folder = parent.open_dir(name)?;
    if folder.id()? != id {
        return Err(refuse(
            dir,
            "it changed while it was being checked; try again",
        ));
    }
    match marker_state(&folder, Marker::Corpus)? {
        MarkerState::Bound => {}
        MarkerState::Missing => {
            check_not_other(&folder, Marker::Corpus)?;
            let (path, marker) = (dir.to_path_buf(), Marker::Corpus);
            return Err(CorpusError::Unmarked { path, marker });
        }
        MarkerState::Legacy => {
            return Err(CorpusError::LegacyMarker {
                path: dir.to_path_buf(),
            })
        }
        MarkerState::Foreign { recorded, actual } => {
            return Err(CorpusError::CopiedMarker {
                path: dir.to_path_buf(),
                marker: Marker::Corpus,
                recorded,
                actual,
            })
        }
    }
    let lock = CorpusLock::open(&folder)?;
    if !lock.try_exclusive()? {
        let (path, pid) = (dir.to_path_buf(), lock.holder());
        return Err(CorpusError::InUse { path, pid });
    }
    let (removed, kept) = remove_members(&folder)?;
    drop(lock);
    let dir_removed = kept.is_empty() && parent.remove_empty_dir(name)?;
    Ok(CleanReport {
        dir: dir.to_path_buf(),
        removed,
        kept,
        dir_removed,
    })
}

/// Remove the manifest first (an interrupted clean leaves an incomplete
/// corpus, cleanable again), then every member iolab made, the lock file and
/// the marker last. Returns the count removed and the entries kept.
fn remove_members(folder: &Dir) -> Result<(usize, Vec<String>), CorpusError> {
    let generated = generated_names(folder)?;
    let mut removed = usize::from(folder.remove_file(MANIFEST_FILE_NAME)?);
    let mut kept = Vec::new();
    for (name, kind) in folder.entries()? {
        let text = name.to_string_lossy();
        let ours = generated.contains(text.as_ref())
            || [MANIFEST_TEMP_NAME, LOCK_FILE_NAME, READERS_FILE_NAME].contains(&text.as_ref());
        match kind {
            _ if text == Marker::Corpus.file_name() => {}
            Kind::File if ours => removed += usize::from(folder.remove_file(&name)?),
            Kind::Dir => kept.push(format!("{text}/")),
            Kind::Symlink => kept.push(format!("{text} (symbolic link)")),
            Kind::File | Kind::Other => kept.push(text.into_owned()),
        }
    }
    removed += usize::from(folder.remove_file(Marker::Corpus.file_name())?);
    Ok((removed, kept))
}

/// The data and large file names the manifest lists; without a readable
/// manifest (an unfinished generation), every name the generator writes.
fn generated_names(folder: &Dir) -> Result<BTreeSet<String>, CorpusError> {
    let path = folder.child_path(MANIFEST_FILE_NAME);
    let manifest = folder
        .read(MANIFEST_FILE_NAME)?
        .and_then(|bytes| Manifest::parse(&bytes, &path).ok());
    let names = match manifest {
        Some(m) => (0..m.spec.files)
            .map(|k| file_name(k, m.spec.files))
            .chain(m.large.map(|l| l.name))
            .collect(),
        None => folder
            .entries()?
            .into_iter()
            .filter_map(|(n, _)| n.to_str().map(str::to_string))
            .filter(|n| n == LARGE_FILE_NAME || is_data_file_name(n))
            .collect(),
    };
    Ok(names)
}

/// The refusals that need only the path and `lstat`; returns the folder's
/// device and inode.
fn check_target(dir: &Path) -> Result<FileId, CorpusError> {
    let bytes = dir.as_os_str().as_bytes();
    if bytes.is_empty() {
        return Err(refuse(dir, "the path is empty"));
    }
    if bytes == b"/" {
        return Err(refuse(dir, "it is the root folder"));
    }
    if bytes.ends_with(b"/") {
        return Err(refuse(
            dir,
            "it ends with `/` (which would follow a link); name the folder without the slash",
        ));
    }
    if bytes.split(|&b| b == b'/').any(|c| c == b"." || c == b"..") {
        return Err(refuse(
            dir,
            "it has a `.` or `..` component; name the folder by a plain path",
        ));
    }
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(CorpusError::DirMissing {
                path: dir.to_path_buf(),
            })
        }
        Err(e) => return Err(CorpusError::io("inspecting", dir, e)),
    };
    if meta.file_type().is_symlink() {
        let path = dir.to_path_buf();
        return Err(CorpusError::Symlink { path });
    }
    if !meta.is_dir() {
        let path = dir.to_path_buf();
        return Err(CorpusError::NotADirectory { path });
    }
    let id = FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    };
    let same = |p: &Path| fs::metadata(p).is_ok_and(|m| m.dev() == id.dev && m.ino() == id.ino);
    if same(Path::new("/")) {
        return Err(refuse(dir, "it is the root folder"));
    }
    if std::env::var_os("HOME").is_some_and(|home| same(Path::new(&home))) {
        return Err(refuse(dir, "it is your home folder ($HOME)"));
    }
    let cwd = std::env::current_dir().map_err(|e| CorpusError::io("finding", ".", e))?;
    if cwd.ancestors().any(same) {
        return Err(refuse(
            dir,
            "it is the current directory or one of its ancestors; cd elsewhere first",
        ));
    }
    let absolute = cwd.join(dir);
    let marked = |p: &&Path| {
        fs::symlink_metadata(p.join(Marker::Corpus.file_name())).is_ok_and(|m| m.is_file())
    };
    if let Some(corpus) = absolute.ancestors().skip(1).find(marked) {
        let reason = format!(
            "it is inside the corpus {}; clean that corpus instead",
            corpus.display()
        );
        return Err(refuse(dir, &reason));
    }
    Ok(id)
}

fn refuse(dir: &Path, reason: &str) -> CorpusError {
    CorpusError::Refused {
        path: dir.to_path_buf(),
        reason: reason.to_string(),
    }
}
