//! Marker files in a folder: whether one is there ([`has_marker`]), writing
//! one bound to its folder ([`write_marker`]), what a folder's marker says
//! ([`marker_state`]: a marker copied from elsewhere is
//! [`MarkerState::Foreign`]), and refusing the other marker, all through a
//! [`Dir`] handle, never through a link. Does not own the markers' names and
//! text (`super::marker`).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use super::error::CorpusError;
use super::marker::Marker;
use crate::safefs::{Dir, FileId};

/// The most iolab reads of a marker file (a few lines of text).
const MARKER_MAX_BYTES: u64 = 4 << 10;

/// What a folder's marker says about the folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerState {
    /// No marker file.
    Missing,
    /// A marker written in this very folder.
    Bound,
    /// A marker that records another folder: copied, so not ours.
    Foreign {
        /// The folder the marker records.
        recorded: FileId,
        /// This folder.
        actual: FileId,
    },
    /// A marker from an iolab that did not record the folder.
    Legacy,
}

/// Whether `dir` carries `marker` (as a regular file). Reading only: links
/// in `dir` are followed, the marker itself is not.
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

/// Write `marker` into `dir` (a new file, never through a link), recording
/// the folder's device and inode; returns the open marker file.
///
/// # Errors
/// [`CorpusError::Fs`] when the marker cannot be created (one is already
/// there, or a link), [`CorpusError::Io`] when writing fails.
pub fn write_marker(dir: &Dir, marker: Marker) -> Result<File, CorpusError> {
    let mut file = dir.create_file(marker.file_name())?;
    file.write_all(marker.content(dir.id()?).as_bytes())
        .map_err(|e| CorpusError::io("writing marker", dir.child_path(marker.file_name()), e))?;
    Ok(file)
}

/// Read `marker` in `dir` and compare the folder it records with `dir`.
///
/// # Errors
/// [`CorpusError::Fs`] when the marker is a link or not a regular file, or
/// cannot be read.
pub fn marker_state(dir: &Dir, marker: Marker) -> Result<MarkerState, CorpusError> {
    let Some(bytes) = dir.read(marker.file_name(), MARKER_MAX_BYTES)? else {
        return Ok(MarkerState::Missing);
    };
    let text = String::from_utf8_lossy(&bytes);
    let field = |key: &str| {
        text.lines()
            .filter_map(|l| l.split_once(" = "))
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.trim().parse::<u64>().ok())
    };
    let actual = dir.id()?;
    match (field("device"), field("inode")) {
        (Some(dev), Some(ino)) if (FileId { dev, ino }) == actual => Ok(MarkerState::Bound),
        (Some(dev), Some(ino)) => Ok(MarkerState::Foreign {
            recorded: FileId { dev, ino },
            actual,
        }),
        _ if text == marker.headline() => Ok(MarkerState::Legacy),
        _ => Ok(MarkerState::Foreign {
            recorded: FileId { dev: 0, ino: 0 },
            actual,
        }),
    }
}

/// The nearest folder above `dir` (made absolute from the current
/// directory, not resolved) on the same filesystem that carries a marker
/// of iolab's, and which.
pub(crate) fn enclosing_marked(dir: &Path) -> Option<(std::path::PathBuf, Marker)> {
    use std::os::unix::fs::MetadataExt;
    let absolute = std::env::current_dir().ok()?.join(dir);
    // A mount point is a boundary: a marker above it belongs to another
    // filesystem (a storage mounted inside its work folder, `storage`),
    // and removals never cross it.
    let mut below = fs::symlink_metadata(&absolute).ok().map(|m| m.dev());
    for p in absolute.ancestors().skip(1) {
        let dev = fs::symlink_metadata(p).ok().map(|m| m.dev());
        if matches!((below, dev), (Some(b), Some(d)) if b != d) {
            return None;
        }
        below = dev.or(below);
        let found = [Marker::Corpus, Marker::Scratch]
            .into_iter()
            .find(|m| fs::symlink_metadata(p.join(m.file_name())).is_ok_and(|m| m.is_file()));
        if let Some(m) = found {
            return Some((p.to_path_buf(), m));
        }
    }
    None
}

/// [`CorpusError::WrongMarker`] when `dir` carries the marker other than `marker`.
pub(crate) fn check_not_other(dir: &Dir, marker: Marker) -> Result<(), CorpusError> {
    if dir.kind(marker.other().file_name())?.is_some() {
        return Err(CorpusError::WrongMarker {
            path: dir.path().to_path_buf(),
            found: marker.other(),
            expected: marker,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_binds_to_its_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let a = Dir::create_all(&tmp.path().join("a")).unwrap();
        let b = Dir::create_all(&tmp.path().join("b")).unwrap();
        assert_eq!(
            marker_state(&a, Marker::Corpus).unwrap(),
            MarkerState::Missing
        );
        write_marker(&a, Marker::Corpus).unwrap();
        assert_eq!(
            marker_state(&a, Marker::Corpus).unwrap(),
            MarkerState::Bound
        );
        fs::copy(
            tmp.path().join("a/.iolab-corpus"),
            tmp.path().join("b/.iolab-corpus"),
        )
        .unwrap();
        let state = marker_state(&b, Marker::Corpus).unwrap();
        assert!(matches!(state, MarkerState::Foreign { .. }), "{state:?}");
    }

    #[test]
    fn old_markers_are_recognised_as_legacy() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(".iolab-corpus"), Marker::Corpus.headline()).unwrap();
        let dir = Dir::open(tmp.path()).unwrap();
        assert_eq!(
            marker_state(&dir, Marker::Corpus).unwrap(),
            MarkerState::Legacy
        );
        fs::write(tmp.path().join(".iolab-corpus"), "hand-made\n").unwrap();
        let state = marker_state(&dir, Marker::Corpus).unwrap();
        assert!(matches!(state, MarkerState::Foreign { .. }), "{state:?}");
    }

    #[test]
    fn a_marker_that_is_a_link_or_a_dir_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let real = Dir::open(elsewhere.path()).unwrap();
        write_marker(&real, Marker::Corpus).unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path().join(".iolab-corpus"),
            tmp.path().join(".iolab-corpus"),
        )
        .unwrap();
        let dir = Dir::open(tmp.path()).unwrap();
        let err = marker_state(&dir, Marker::Corpus).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        fs::create_dir(tmp.path().join(".iolab-scratch")).unwrap();
        let err = marker_state(&dir, Marker::Scratch).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        assert!(!has_marker(tmp.path(), Marker::Scratch).unwrap());
    }
}
