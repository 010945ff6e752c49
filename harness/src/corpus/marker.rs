//! Ownership of directories: iolab writes into and deletes only directories
//! that carry its marker file.
//!
//! Owns: the marker files ([`Marker`]), creating marked directories
//! ([`create_marked_dir`]) and the only directory deletion in iolab
//! ([`remove_marked_dir`], [`clean`]). Used for corpora and for the scratch
//! directories other modules write into.
//!
//! Does not own what is inside a directory; the marker is written first, so a
//! directory whose contents are half made is still recognisably ours.
//!
//! Platform: symbolic links are followed when creating (a corpus may live
//! behind a link) but never when deleting.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use super::error::CorpusError;

/// The marker file that makes a directory iolab's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// `.iolab-corpus`: a corpus directory.
    Corpus,
    /// `.iolab-scratch`: a scratch directory workloads write into.
    Scratch,
}

impl Marker {
    /// The marker's file name inside the directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Marker::Corpus => ".iolab-corpus",
            Marker::Scratch => ".iolab-scratch",
        }
    }

    /// What kind of directory the marker stands for ("corpus", "scratch").
    pub fn kind(self) -> &'static str {
        match self {
            Marker::Corpus => "corpus",
            Marker::Scratch => "scratch",
        }
    }

    /// The marker file's fixed content: what created the directory and how to
    /// remove it.
    pub fn content(self) -> &'static str {
        match self {
            Marker::Corpus => {
                "iolab corpus directory: generated data, safe to delete with `iolab corpus clean <dir>`\n"
            }
            Marker::Scratch => {
                "iolab scratch directory: benchmark outputs, safe to delete (iolab removes it after a run)\n"
            }
        }
    }

    /// The other marker.
    fn other(self) -> Marker {
        match self {
            Marker::Corpus => Marker::Scratch,
            Marker::Scratch => Marker::Corpus,
        }
    }
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// Whether `dir` carries `marker` (as a regular file).
///
/// # Errors
/// [`CorpusError::Io`] when the marker's metadata cannot be read for a reason
/// other than absence.
pub fn has_marker(dir: &Path, marker: Marker) -> Result<bool, CorpusError> {
    let path = dir.join(marker.file_name());
    match fs::symlink_metadata(&path) {
        Ok(meta) => Ok(meta.is_file()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(CorpusError::io("checking marker", path, e)),
    }
}

/// Create `dir` and write `marker` into it before anything else, or adopt an
/// existing empty directory, or accept one that already carries `marker`.
///
/// # Errors
/// [`CorpusError::ParentMissing`] when `dir`'s parent does not exist;
/// [`CorpusError::NotADirectory`] when `dir` is a file;
/// [`CorpusError::WrongMarker`] when it carries the other marker;
/// [`CorpusError::NotEmptyUnmarked`] when it is a non-empty unmarked
/// directory; [`CorpusError::Io`] otherwise.
pub fn create_marked_dir(dir: &Path, marker: Marker) -> Result<(), CorpusError> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            if has_marker(dir, marker)? {
                return Ok(());
            }
            check_not_other(dir, marker)?;
            if !is_empty_dir(dir)? {
                return Err(CorpusError::NotEmptyUnmarked {
                    path: dir.to_path_buf(),
                    marker,
                });
            }
        }
        Ok(_) => {
            return Err(CorpusError::NotADirectory {
                path: dir.to_path_buf(),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            check_parent(dir)?;
            fs::create_dir(dir).map_err(|e| CorpusError::io("creating directory", dir, e))?;
        }
        Err(e) => return Err(CorpusError::io("inspecting", dir, e)),
    }
    let path = dir.join(marker.file_name());
    fs::write(&path, marker.content()).map_err(|e| CorpusError::io("writing marker", path, e))
}

/// Delete `dir` and everything in it, but only if it carries `marker`.
///
/// The marker is removed last, so an interrupted removal leaves a directory
/// that is still ours and can be removed again.
///
/// # Errors
/// [`CorpusError::DirMissing`], [`CorpusError::Symlink`],
/// [`CorpusError::NotADirectory`], [`CorpusError::WrongMarker`] or
/// [`CorpusError::Unmarked`] (each naming the path) when `dir` is not a
/// marked directory, in which case nothing is deleted; [`CorpusError::Io`]
/// when a deletion fails.
pub fn remove_marked_dir(dir: &Path, marker: Marker) -> Result<(), CorpusError> {
    let path = dir.to_path_buf();
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(CorpusError::Symlink { path }),
        Ok(meta) if !meta.is_dir() => return Err(CorpusError::NotADirectory { path }),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(CorpusError::DirMissing { path })
        }
        Err(e) => return Err(CorpusError::io("inspecting", path, e)),
    }
    if !has_marker(dir, marker)? {
        check_not_other(dir, marker)?;
        return Err(CorpusError::Unmarked { path, marker });
    }
    let entries = fs::read_dir(dir).map_err(|e| CorpusError::io("listing", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| CorpusError::io("listing", dir, e))?;
        if entry.file_name() == marker.file_name() {
            continue;
        }
        let child = entry.path();
        let is_dir = entry
            .file_type()
            .map_err(|e| CorpusError::io("inspecting", &child, e))?
            .is_dir();
        let removed = if is_dir {
            fs::remove_dir_all(&child)
        } else {
            fs::remove_file(&child)
        };
        removed.map_err(|e| CorpusError::io("deleting", &child, e))?;
    }
    let marker_path = dir.join(marker.file_name());
    fs::remove_file(&marker_path).map_err(|e| CorpusError::io("deleting", marker_path, e))?;
    fs::remove_dir(dir).map_err(|e| CorpusError::io("deleting", dir, e))
}

/// Delete the corpus directory `dir`: [`remove_marked_dir`] with
/// [`Marker::Corpus`].
///
/// # Errors
/// As [`remove_marked_dir`].
pub fn clean(dir: &Path) -> Result<(), CorpusError> {
    remove_marked_dir(dir, Marker::Corpus)
}

/// [`CorpusError::WrongMarker`] when `dir` carries the marker other than `marker`.
fn check_not_other(dir: &Path, marker: Marker) -> Result<(), CorpusError> {
    if has_marker(dir, marker.other())? {
        return Err(CorpusError::WrongMarker {
            path: dir.to_path_buf(),
            found: marker.other(),
            expected: marker,
        });
    }
    Ok(())
}

/// [`CorpusError::ParentMissing`] unless `dir`'s parent is a directory.
pub(crate) fn check_parent(dir: &Path) -> Result<(), CorpusError> {
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.is_dir() => {
            Err(CorpusError::ParentMissing {
                path: dir.to_path_buf(),
                parent: parent.to_path_buf(),
            })
        }
        _ => Ok(()),
    }
}

fn is_empty_dir(dir: &Path) -> Result<bool, CorpusError> {
    let mut entries = fs::read_dir(dir).map_err(|e| CorpusError::io("listing", dir, e))?;
    Ok(entries.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_remove() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("scratch");
        create_marked_dir(&dir, Marker::Scratch).unwrap();
        let marker = fs::read_to_string(dir.join(".iolab-scratch")).unwrap();
        assert_eq!(marker, Marker::Scratch.content());
        fs::create_dir(dir.join("sub")).unwrap();
        fs::write(dir.join("sub/f"), b"x").unwrap();
        fs::write(dir.join("g"), b"y").unwrap();
        // Creating again is fine: it is already ours.
        create_marked_dir(&dir, Marker::Scratch).unwrap();
        remove_marked_dir(&dir, Marker::Scratch).unwrap();
        assert!(!dir.exists());
    }

    #[test]
    fn create_adopts_empty_dir_refuses_full_one() {
        let tmp = tempfile::tempdir().unwrap();
        create_marked_dir(tmp.path(), Marker::Corpus).unwrap();
        assert!(has_marker(tmp.path(), Marker::Corpus).unwrap());

        let full = tempfile::tempdir().unwrap();
        fs::write(full.path().join("precious.txt"), b"mine").unwrap();
        let err = create_marked_dir(full.path(), Marker::Corpus).unwrap_err();
        assert!(matches!(err, CorpusError::NotEmptyUnmarked { .. }), "{err}");
        assert!(
            err.to_string().contains(&full.path().display().to_string()),
            "{err}"
        );
        assert!(!has_marker(full.path(), Marker::Corpus).unwrap());
    }

    #[test]
    fn create_needs_parent() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("no/such/parent");
        let err = create_marked_dir(&dir, Marker::Scratch).unwrap_err();
        assert!(matches!(err, CorpusError::ParentMissing { .. }), "{err}");
        assert!(err.to_string().contains("no/such/parent"), "{err}");
    }

    #[test]
    fn create_refuses_regular_file() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        fs::write(&file, b"x").unwrap();
        let err = create_marked_dir(&file, Marker::Corpus).unwrap_err();
        assert!(matches!(err, CorpusError::NotADirectory { .. }), "{err}");
        assert_eq!(fs::read(&file).unwrap(), b"x");
    }

    #[test]
    fn wrong_marker_is_refused_both_ways() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        create_marked_dir(&dir, Marker::Scratch).unwrap();
        let err = create_marked_dir(&dir, Marker::Corpus).unwrap_err();
        assert!(matches!(err, CorpusError::WrongMarker { .. }), "{err}");
        let err = clean(&dir).unwrap_err();
        assert!(matches!(err, CorpusError::WrongMarker { .. }), "{err}");
        assert!(err.to_string().contains("scratch directory"), "{err}");
        assert!(dir.exists());
    }

    #[test]
    fn clean_refuses_unmarked_dir() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("precious.txt"), b"mine").unwrap();
        let err = clean(tmp.path()).unwrap_err();
        assert!(matches!(err, CorpusError::Unmarked { .. }), "{err}");
        assert!(
            err.to_string().contains(&tmp.path().display().to_string()),
            "{err}"
        );
        assert!(tmp.path().join("precious.txt").exists());
    }

    #[test]
    fn clean_refuses_regular_file_and_missing_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join(".iolab-corpus");
        fs::write(&file, b"x").unwrap();
        let err = clean(&file).unwrap_err();
        assert!(matches!(err, CorpusError::NotADirectory { .. }), "{err}");
        assert!(file.exists());
        let err = clean(&tmp.path().join("gone")).unwrap_err();
        assert!(matches!(err, CorpusError::DirMissing { .. }), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn clean_refuses_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        create_marked_dir(&real, Marker::Corpus).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = clean(&link).unwrap_err();
        assert!(matches!(err, CorpusError::Symlink { .. }), "{err}");
        assert!(real.join(".iolab-corpus").exists());
    }

    #[test]
    fn marker_must_be_a_regular_file() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join(".iolab-corpus")).unwrap();
        assert!(!has_marker(tmp.path(), Marker::Corpus).unwrap());
        assert!(clean(tmp.path()).is_err());
    }
}
