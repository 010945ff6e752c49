//! Checking a corpus on disk against its manifest.
//!
//! Owns: reading every file (in parallel, rayon, one reused buffer per
//! worker) relative to the corpus folder's descriptor, each opened as
//! iolab opens every file it reads ([`Dir::open_file`]: never through a
//! link, never blocking, a regular file or a mismatch saying what it is),
//! and no more than the manifest's size of it (plus one byte, to tell a
//! file that grew); recomputing sizes and checksums; reporting *every*
//! difference as a [`Mismatch`] rather than stopping at the first. Also
//! lists the `data-*.csv` and `large.csv` files the manifest does not name
//! (kept, never read: [`VerifyReport::extra`]). A sharded corpus's files are
//! read in their `shard-*` subfolders, each opened without following a
//! link; a subfolder that is missing or not a folder makes its files
//! mismatches.
//!
//! Does not own: deciding what to do about mismatches (`Corpus::create_or_reuse`
//! regenerates; the CLI prints them).

use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::error::{count, CorpusError};
use super::folders::Folders;
use super::manifest::Manifest;
use super::names::{file_name, is_data_file_name, parse_file_name};
use super::progress::run_with_progress;
use super::render::ChecksumHasher;
use super::spec::LARGE_FILE_NAME;
use crate::safefs::{Dir, FsError, Kind};

/// Read buffer per worker for data files (whole small files in one read).
const DATA_READ_BYTES: usize = 1 << 20;
/// Read buffer for the large file.
const LARGE_READ_BYTES: usize = 8 << 20;

/// Outcome of [`Corpus::verify`](super::Corpus::verify).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Files that were found and examined (data files plus the large file).
    pub files_checked: u64,
    /// Bytes read and checksummed.
    pub bytes_checked: u64,
    /// Every difference found: data files in index order, then the large
    /// file.
    pub mismatches: Vec<Mismatch>,
    /// Files named like corpus files (`data-*.csv`, `large.csv`) that the
    /// manifest does not name, by name: not the corpus's, never read,
    /// kept by a rebuild and by `corpus clean`.
    pub extra: Vec<PathBuf>,
}

impl VerifyReport {
    /// True when the corpus matches its manifest exactly.
    pub fn is_ok(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// The counts and the mismatches (the first of several); the files the
/// manifest does not name are in [`VerifyReport::extra`], not here.
impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {} checked: ",
            count(self.files_checked, "file", "files"),
            count(self.bytes_checked, "byte", "bytes")
        )?;
        match self.mismatches.as_slice() {
            [] => f.write_str("all match the manifest"),
            [only] => write!(f, "1 mismatch: {only}"),
            [first, rest @ ..] => write!(f, "{} mismatches, first: {first}", rest.len() + 1),
        }
    }
}

/// One file that does not match the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The file's path.
    pub file: PathBuf,
    /// How it differs.
    pub what: MismatchKind,
}

/// How a file differs from the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MismatchKind {
    /// Listed in the manifest, absent on disk.
    Missing,
    /// Size on disk differs.
    Size {
        /// Size in the manifest.
        expected: u64,
        /// Size on disk.
        found: u64,
    },
    /// Same size, different content.
    Checksum {
        /// Checksum in the manifest.
        expected: u64,
        /// Checksum of the bytes on disk.
        found: u64,
    },
    /// Not a regular file: a link, a folder, a FIFO, a socket, a device
    /// (never opened in a way that could block, never read through).
    NotRegular {
        /// What it is.
        kind: Kind,
    },
    /// Present but could not be read.
    Unreadable {
        /// The I/O error's text.
        error: String,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match &self.what {
            MismatchKind::Missing => write!(f, "{file}: missing"),
            MismatchKind::Size { expected, found } => {
                write!(f, "{file}: {found} bytes, manifest says {expected}")
            }
            MismatchKind::Checksum { expected, found } => write!(
                f,
                "{file}: checksum {found:016x}, manifest says {expected:016x}"
            ),
            MismatchKind::NotRegular { kind } => write!(
                f,
                "{file}: a {kind}, not the regular file iolab wrote (iolab reads no member \
                 through a link or from a special file)"
            ),
            MismatchKind::Unreadable { error } => write!(f, "{file}: unreadable: {error}"),
        }
    }
}

/// What checking one file found.
struct FileCheck {
    /// Whether the file existed and was examined.
    examined: bool,
    /// Bytes read.
    bytes: u64,
    /// How it differs, if it does.
    what: Option<MismatchKind>,
}

/// Check every file of the corpus in `folder` against `manifest`.
///
/// # Errors
/// [`CorpusError::Fs`] only when `folder` itself cannot be listed;
/// per-file problems are [`Mismatch`]es.
pub(crate) fn verify(
    folder: &Dir,
    manifest: &Manifest,
    progress: &dyn Fn(u64, u64),
) -> Result<VerifyReport, CorpusError> {
    let done = AtomicU64::new(0);
    let (mut checks, large) = run_with_progress(&done, manifest.total_bytes, progress, || {
        rayon::join(
            || check_data_files(folder, manifest, &done),
            || check_large_file(folder, manifest, &done),
        )
    });
    checks.extend(large);
    let mut report = VerifyReport::default();
    for (file, check) in checks {
        report.files_checked += u64::from(check.examined);
        report.bytes_checked += check.bytes;
        if let Some(what) = check.what {
            report.mismatches.push(Mismatch { file, what });
        }
    }
    report.extra = extra_files(folder, manifest)?;
    Ok(report)
}

fn check_data_files(
    folder: &Dir,
    manifest: &Manifest,
    done: &AtomicU64,
) -> Vec<(PathBuf, FileCheck)> {
    let (files, folders) = (manifest.spec.files, manifest.spec.folders);
    let shards: Vec<Result<Dir, FsError>> = folders
        .shard_names()
        .iter()
        .map(|name| folder.open_dir(name))
        .collect();
    manifest
        .files
        .par_iter()
        .enumerate()
        .map_init(
            || vec![0; DATA_READ_BYTES],
            |buf, (k, entry)| {
                let k = k as u32;
                let name = file_name(k, files);
                let path = folder.child_path(super::folders::file_rel_path(k, files, folders));
                let check = match shards.len() {
                    0 => check_file(folder, &name, entry.size, entry.checksum, buf),
                    count => match &shards[k as usize % count] {
                        Ok(shard) => check_file(shard, &name, entry.size, entry.checksum, buf),
                        Err(e) => shard_unusable(e),
                    },
                };
                done.fetch_add(entry.size, Ordering::Relaxed);
                (path, check)
            },
        )
        .collect()
}

/// What checking a file in a subfolder that cannot be opened finds:
/// missing (no subfolder), or the subfolder's trouble (a link, a file).
fn shard_unusable(e: &FsError) -> FileCheck {
    let what = match e {
        e if e.is_not_found() => MismatchKind::Missing,
        e => MismatchKind::Unreadable {
            error: e.to_string(),
        },
    };
    FileCheck {
        examined: false,
        bytes: 0,
        what: Some(what),
    }
}

fn check_large_file(
    folder: &Dir,
    manifest: &Manifest,
    done: &AtomicU64,
) -> Option<(PathBuf, FileCheck)> {
    let large = manifest.large.as_ref()?;
    // The spec's name, whatever the manifest's entry says.
    let name = LARGE_FILE_NAME;
    let mut buf = vec![0; LARGE_READ_BYTES];
    let check = check_file(folder, name, large.bytes, large.checksum, &mut buf);
    done.fetch_add(large.bytes, Ordering::Relaxed);
    Some((folder.child_path(name), check))
}

/// Compare one file's size and checksum with the expected ones, reading
/// at most `size + 1` bytes of it.
fn check_file(folder: &Dir, name: &str, size: u64, checksum: u64, buf: &mut [u8]) -> FileCheck {
    let found = |what, bytes| FileCheck {
        examined: true,
        bytes,
        what: Some(what),
    };
    let unreadable = |e: io::Error, bytes| {
        let error = e.to_string();
        found(MismatchKind::Unreadable { error }, bytes)
    };
    let file = match folder.open_file(name) {
        Ok(Some(file)) => file,
        Ok(None) => {
            return FileCheck {
                examined: false,
                bytes: 0,
                what: Some(MismatchKind::Missing),
            };
        }
        Err(FsError::Symlink { .. }) => {
            return found(
                MismatchKind::NotRegular {
                    kind: Kind::Symlink,
                },
                0,
            )
        }
        Err(FsError::WrongKind { found: kind, .. }) => {
            return found(MismatchKind::NotRegular { kind }, 0)
        }
        Err(e) => return unreadable(io::Error::other(e.to_string()), 0),
    };
    let on_disk = match file.metadata() {
        Ok(meta) => meta.len(),
        Err(e) => return unreadable(e, 0),
    };
    if on_disk != size {
        let what = MismatchKind::Size {
            expected: size,
            found: on_disk,
        };
        return found(what, 0);
    }
    let mut hasher = ChecksumHasher::new();
    let mut bytes = 0u64;
    let mut bounded = file.take(size.saturating_add(1));
    loop {
        match bounded.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                bytes += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return unreadable(e, bytes),
        }
    }
    let what = if bytes != size {
        Some(MismatchKind::Size {
            expected: size,
            found: bytes,
        })
    } else if hasher.finish() != checksum {
        Some(MismatchKind::Checksum {
            expected: checksum,
            found: hasher.finish(),
        })
    } else {
        None
    };
    FileCheck {
        examined: true,
        bytes,
        what,
    }
}

/// Files in `folder` (and in a sharded corpus's subfolders) named like
/// corpus files that the manifest does not name there, by path.
fn extra_files(folder: &Dir, manifest: &Manifest) -> Result<Vec<PathBuf>, CorpusError> {
    let spec = &manifest.spec;
    let mut extra = Vec::new();
    for (name, kind) in folder.entries()? {
        let Some(name) = name.to_str() else { continue };
        let data = is_data_file_name(name)
            && (!spec.folders.is_flat() || parse_file_name(name, spec.files).is_none());
        let large = name == LARGE_FILE_NAME && spec.large_file_bytes.is_none();
        if data || large {
            extra.push(folder.child_path(name));
        }
        if let (Some(shard), Kind::Dir) = (spec.folders.parse_shard(name), kind) {
            // Unopenable (a link swapped in): its files are mismatches already.
            if let Ok(sub) = folder.open_dir(name) {
                extra.extend(extra_in_shard(&sub, spec.files, spec.folders, shard)?);
            }
        }
    }
    Ok(extra)
}

/// Files in subfolder `shard` named like data files that are not this
/// subfolder's (out of range, wrong width, or another subfolder's index).
fn extra_in_shard(
    sub: &Dir,
    files: u32,
    folders: Folders,
    shard: u32,
) -> Result<Vec<PathBuf>, CorpusError> {
    let mut extra = Vec::new();
    for (name, _) in sub.entries()? {
        let Some(name) = name.to_str() else { continue };
        let ours = parse_file_name(name, files)
            .is_some_and(|k| folders.shard_of(k) == folders.shard_of(shard));
        if is_data_file_name(name) && !ours {
            extra.push(sub.child_path(name));
        }
    }
    Ok(extra)
}
