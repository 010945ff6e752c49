//! Everything that can go wrong with a corpus or a marked directory, as one
//! `thiserror` enum whose messages name the path, field or value, and say
//! what is allowed or what to do next.
//!
//! Owns the error type and how counts read in its messages ([`count`]);
//! per-file verification findings are not errors but
//! [`Mismatch`](super::Mismatch)es in a report.

use std::io;
use std::path::PathBuf;

use super::marker::Marker;
use super::space::{human_bytes, SpaceNeed};
use crate::safefs::{FileId, FsError};

/// Errors from creating, opening, verifying or removing a corpus or a marked
/// scratch directory.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A spec parameter is zero or beyond its limit.
    #[error("invalid corpus spec: {field} = {value}; allowed: {allowed}")]
    InvalidSpec {
        /// The field (or combination of fields) at fault.
        field: &'static str,
        /// Its value (or the size it implies).
        value: u64,
        /// What would be accepted.
        allowed: String,
    },

    /// The path exists but is a regular file (or another non-directory).
    #[error(
        "{path} exists and is not a directory; give a directory path (it is created when missing)"
    )]
    NotADirectory {
        /// The offending path.
        path: PathBuf,
    },

    /// The directory to create has no parent directory.
    #[error("cannot create {path}: its parent directory {parent} does not exist; create the parent first")]
    ParentMissing {
        /// The directory that was to be created.
        path: PathBuf,
        /// Its missing parent.
        parent: PathBuf,
    },

    /// The directory to open or remove does not exist.
    #[error("{path} does not exist")]
    DirMissing {
        /// The missing directory.
        path: PathBuf,
    },

    /// Refused to write into a non-empty directory iolab did not create.
    #[error(
        "refusing to write into {path}: it is not empty and has no {marker} marker, so iolab \
         did not create it; choose a new or an empty directory"
    )]
    NotEmptyUnmarked {
        /// The directory.
        path: PathBuf,
        /// The marker it lacks.
        marker: Marker,
    },

    /// Refused to delete a directory iolab did not create.
    #[error(
        "refusing to delete {path}: it has no {marker} marker, so iolab did not create it; \
         delete it yourself if you are sure"
    )]
    Unmarked {
        /// The directory.
        path: PathBuf,
        /// The marker it lacks.
        marker: Marker,
    },

    /// The directory carries iolab's other marker (a scratch dir used as a
    /// corpus, or the reverse).
    #[error("{path} is an iolab {} directory (it has {found}), not a {} directory (no {expected})",
        found.kind(), expected.kind())]
    WrongMarker {
        /// The directory.
        path: PathBuf,
        /// The marker present.
        found: Marker,
        /// The marker required.
        expected: Marker,
    },

    /// Refused to delete through a symbolic link.
    #[error("refusing to delete {path}: it is a symbolic link; pass the directory it points to")]
    Symlink {
        /// The link.
        path: PathBuf,
    },

    /// `open` on a directory without the corpus marker.
    #[error(
        "{path} is not an iolab corpus (no {} marker); create one with `iolab corpus create`",
        Marker::Corpus
    )]
    NotACorpus {
        /// The directory.
        path: PathBuf,
    },

    /// The corpus marker is there but the manifest is not: generation did not
    /// finish.
    #[error(
        "corpus {path} is incomplete: it has no manifest.json, so its generation did not \
         finish; `iolab corpus create` regenerates it, `iolab corpus clean {path}` removes it"
    )]
    Incomplete {
        /// The corpus directory.
        path: PathBuf,
    },

    /// `manifest.json` is not valid JSON of the expected shape.
    #[error(
        "manifest {path} is unreadable ({cause}); `iolab corpus create` regenerates the corpus"
    )]
    ManifestCorrupt {
        /// The manifest file.
        path: PathBuf,
        /// The parse error (in the message, so not also a `source()`).
        cause: serde_json::Error,
    },

    /// `manifest.json` parses but contradicts itself or its spec.
    #[error(
        "manifest {path} is inconsistent: {reason}; `iolab corpus create` regenerates the corpus"
    )]
    ManifestInconsistent {
        /// The manifest file.
        path: PathBuf,
        /// What does not add up.
        reason: String,
    },

    /// The manifest was written by another corpus format version.
    #[error(
        "manifest {path} is from corpus format version {found}, this iolab writes version \
         {expected}; `iolab corpus create` regenerates the corpus"
    )]
    ManifestVersion {
        /// The manifest file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// [`GENERATOR_VERSION`](super::GENERATOR_VERSION).
        expected: u32,
    },

    /// The device ran out of space (or quota) while writing the corpus.
    #[error(
        "no space left on the device of {dir} while writing {file}: the corpus needs {needed}; \
         the partial corpus is left in place without a manifest (incomplete), \
         `iolab corpus clean {dir}` removes it"
    )]
    NoSpace {
        /// The corpus directory.
        dir: PathBuf,
        /// The file being written.
        file: PathBuf,
        /// Room the corpus needs (the same figure the check before
        /// writing quotes).
        needed: SpaceNeed,
    },

    /// The device has less free space than the corpus needs; nothing was
    /// written.
    #[error(
        "not enough space for the corpus {dir}: it needs {needed} and the device has {} free; \
         free some space or put the corpus elsewhere (--data-dir or IOLAB_DATA_DIR; \
         `corpus create` and `run` also take --dir)",
        human_bytes(*.available)
    )]
    NotEnoughSpace {
        /// The corpus directory.
        dir: PathBuf,
        /// Room the corpus needs on disk.
        needed: SpaceNeed,
        /// Bytes free to this user on the device.
        available: u64,
    },

    /// A link-safe file operation failed (a link in the way, a wrong kind
    /// of entry, or a system call error), naming the path.
    #[error(transparent)]
    Fs(#[from] FsError),

    /// The folder's marker records another folder: it was copied.
    #[error(
        "refusing to touch {path}: its {marker} marker was copied from another folder (it \
         records device {} inode {}, this folder is device {} inode {}), so iolab did not \
         create this folder; delete it yourself if you are sure",
        recorded.dev, recorded.ino, actual.dev, actual.ino
    )]
    CopiedMarker {
        /// The folder.
        path: PathBuf,
        /// Its marker.
        marker: Marker,
        /// The folder the marker records.
        recorded: FileId,
        /// This folder.
        actual: FileId,
    },

    /// The corpus marker is from an iolab that did not record its folder.
    #[error(
        "refusing to delete {path}: its {} marker is from an older iolab and does not record \
         which folder it belongs to; run `iolab corpus create --dir {path}` with the corpus's \
         shape once (the marker is then renewed), or delete the folder yourself",
        Marker::Corpus
    )]
    LegacyMarker {
        /// The folder.
        path: PathBuf,
    },

    /// `corpus clean` refused a path before touching anything.
    #[error("refusing to clean {path}: {reason}")]
    Refused {
        /// The path as given.
        path: PathBuf,
        /// Why, and what to give instead.
        reason: String,
    },

    /// Another iolab holds the corpus lock.
    #[error(
        "refusing to delete {path}: another iolab is using or building it (last builder: pid {pid}); \
         try again when it has finished"
    )]
    InUse {
        /// The corpus folder.
        path: PathBuf,
        /// The last builder's pid, or "unknown".
        pid: String,
    },

    /// A corpus member is not the regular file iolab wrote.
    #[error(
        "corpus member {path} is a {what}, not the regular file iolab wrote; iolab neither \
         reads, writes through nor deletes it: remove it yourself, then rerun"
    )]
    BadMember {
        /// The member.
        path: PathBuf,
        /// What it is: a kind of entry ([`crate::safefs::Kind`]'s text) or
        /// "mount point".
        what: String,
    },

    /// A corpus folder asked for inside another marked folder, whose
    /// cleaning would delete it.
    #[error(
        "refusing to make {what} at {path}: it is inside the iolab {} folder {outer}, \
         whose cleaning would delete it; choose a --data-dir (or --dir) outside it",
        marker.kind()
    )]
    Nested {
        /// What was to be made ("a corpus", "a scratch folder").
        what: &'static str,
        /// The folder asked for.
        path: PathBuf,
        /// The marked folder above it.
        outer: PathBuf,
        /// Its marker.
        marker: Marker,
    },

    /// A rebuild would have to delete files no record of iolab names.
    #[error(
        "refusing to rebuild {dir}: {} in the way of the new corpus, and no record of \
         iolab names {} ({why}); iolab deletes only what its manifest names: move {} away, \
         then rerun",
        names_text(names),
        if names.len() == 1 { "it" } else { "them" },
        if names.len() == 1 { "it" } else { "them" }
    )]
    InTheWay {
        /// The corpus folder.
        dir: PathBuf,
        /// The entries in the way (the first few, then how many more).
        names: Vec<String>,
        /// What iolab's records are (or why they could not be read).
        why: String,
    },

    /// The run's scratch folder exists already.
    #[error(
        "scratch folder {path} exists already (another run with the same run id?); \
         choose another --run-id, or remove leftovers with `iolab corpus clean --scratch`"
    )]
    ScratchTaken {
        /// The folder.
        path: PathBuf,
    },

    /// Any other I/O error, with the operation and the path.
    #[error("I/O error while {action} {path}: {cause}")]
    Io {
        /// What iolab was doing ("writing", "reading", "listing", …).
        action: &'static str,
        /// The path it was doing it to.
        path: PathBuf,
        /// The underlying error (in the message, so not also a `source()`:
        /// printed once).
        cause: io::Error,
    },
}

impl CorpusError {
    /// An [`CorpusError::Io`] for `action` on `path`.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, cause: io::Error) -> Self {
        CorpusError::Io {
            action,
            path: path.into(),
            cause,
        }
    }
}

/// Most entries a message names before saying how many more there are.
const NAMES_SHOWN: usize = 5;

/// `a, b, c` (one entry: "a is"; more: "a, b are"), the first few and how
/// many more.
fn names_text(names: &[String]) -> String {
    let shown = names[..names.len().min(NAMES_SHOWN)].join(", ");
    match names.len() {
        1 => format!("{shown} is"),
        n if n <= NAMES_SHOWN => format!("{shown} are"),
        n => format!("{shown} and {} more are", n - NAMES_SHOWN),
    }
}

/// `n` and the noun in the number it takes: "1 file", "2 files".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The error for a failed creation of `file` in corpus `dir`:
/// [`CorpusError::NoSpace`] when the device is full, [`CorpusError::Fs`] otherwise.
pub(crate) fn create_error(
    err: FsError,
    dir: &std::path::Path,
    file: PathBuf,
    needed: SpaceNeed,
) -> CorpusError {
    match err.io_error() {
        Some(e) if is_no_space(e) => CorpusError::NoSpace {
            dir: dir.to_path_buf(),
            file,
            needed,
        },
        _ => CorpusError::Fs(err),
    }
}

/// Whether `err` means the device (or the user's quota) is full.
pub(crate) fn is_no_space(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// The error for a failed write of `file` in corpus `dir`: [`CorpusError::NoSpace`]
/// when the device is full, [`CorpusError::Io`] otherwise.
pub(crate) fn write_error(
    err: io::Error,
    dir: &std::path::Path,
    file: PathBuf,
    needed: SpaceNeed,
) -> CorpusError {
    if is_no_space(&err) {
        CorpusError::NoSpace {
            dir: dir.to_path_buf(),
            file,
            needed,
        }
    } else {
        CorpusError::io("writing", file, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn need(on_disk: u64) -> SpaceNeed {
        SpaceNeed {
            data: on_disk - (1 << 20),
            block: 4096,
            on_disk,
        }
    }

    #[test]
    fn enospc_gets_its_own_variant_and_remedy() {
        let err = io::Error::from_raw_os_error(libc::ENOSPC);
        let e = write_error(
            err,
            Path::new("/c"),
            PathBuf::from("/c/data-00001.csv"),
            need(3 << 30),
        );
        assert!(matches!(e, CorpusError::NoSpace { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "no space left on the device of /c while writing /c/data-00001.csv: the corpus \
             needs ~3.0 GiB on disk (3.0 GiB of data plus up to one 4.0 KiB block per file); \
             the partial corpus is left in place without a manifest (incomplete), \
             `iolab corpus clean /c` removes it"
        );
        let quota = io::Error::from_raw_os_error(libc::EDQUOT);
        let e = write_error(quota, Path::new("/c"), PathBuf::from("/c/x"), need(2 << 20));
        assert!(matches!(e, CorpusError::NoSpace { .. }), "{e:?}");
    }

    #[test]
    fn counts_take_the_right_number() {
        assert_eq!(count(1, "mismatch", "mismatches"), "1 mismatch");
        assert_eq!(count(0, "file", "files"), "0 files");
        let names: Vec<String> = (0..7).map(|i| format!("f{i}")).collect();
        assert_eq!(names_text(&names[..1]), "f0 is");
        assert_eq!(names_text(&names[..2]), "f0, f1 are");
        assert_eq!(names_text(&names), "f0, f1, f2, f3, f4 and 2 more are");
    }

    #[test]
    fn other_write_errors_keep_the_path() {
        let err = io::Error::from_raw_os_error(libc::EACCES);
        let e = write_error(
            err,
            Path::new("/c"),
            PathBuf::from("/c/data-00001.csv"),
            need(2 << 20),
        );
        assert!(matches!(e, CorpusError::Io { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("I/O error while writing /c/data-00001.csv: "),
            "{e}"
        );
    }
}
