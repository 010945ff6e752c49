//! `iolab corpus clean DIR`: delete exactly what iolab put in a corpus.
//!
//! Owns: the refusals made before anything is touched (a trailing slash,
//! `.`/`..` components, `/`, `$HOME`, the current directory or one of its
//! ancestors, a path inside another corpus, a symbolic link, a folder whose
//! marker is missing, copied or from an older iolab, a corpus in use), and
//! the removal itself: on the folder's descriptor, the files its records
//! name (the manifest's, or those of the record of members a generation
//! stopped midway left: `members`, the removal a rebuild makes too), then
//! the records, the lock files and the marker last; then the folder only if
//! it is empty. Everything else is kept and listed.
//!
//! Does not own scratch folders (`scratch`).

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::error::{count, CorpusError};
use super::lock::{CorpusLock, LOCK_FILE_NAME, READERS_FILE_NAME};
use super::marker::Marker;
use super::marker_file::{check_not_other, enclosing_marked, marker_state, MarkerState};
use super::members::{self, Records};
use crate::safefs::{Dir, FileId};

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
        let files = count(self.removed as u64, "file", "files");
        if self.dir_removed {
            return write!(f, "removed {} ({files})", self.dir.display());
        }
        write!(
            f,
            "removed {files} iolab created from {}; kept {} iolab did not create: {}",
            self.dir.display(),
            count(self.kept.len() as u64, "entry", "entries"),
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

/// Remove every member the records name (an interrupted clean leaves the
/// records, so it can be cleaned again), then the records, the lock files,
/// and the marker last. Returns the count removed and the entries kept.
fn remove_members(folder: &Dir) -> Result<(usize, Vec<String>), CorpusError> {
    let records = Records::read(folder)?;
    let removal = members::remove_members(folder, &records)?;
    let mut removed = removal.removed + members::forget(folder)?;
    for name in [
        LOCK_FILE_NAME,
        READERS_FILE_NAME,
        Marker::Corpus.file_name(),
    ] {
        removed += usize::from(folder.remove_file(name)?);
    }
    Ok((removed, removal.kept))
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
    if let Some((outer, marker)) = enclosing_marked(dir) {
        let reason = format!(
            "it is inside the iolab {} folder {}; clean that instead",
            marker.kind(),
            outer.display()
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
