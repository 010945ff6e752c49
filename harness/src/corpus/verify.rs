//! Checking a corpus on disk against its manifest.
//!
//! Owns: reading every file (in parallel, rayon, one reused buffer per
//! worker), recomputing sizes and checksums, and reporting *every*
//! difference as a [`Mismatch`] rather than stopping at the first. Also flags
//! `data-*.csv` files the manifest does not list.
//!
//! Does not own: deciding what to do about mismatches (`Corpus::create_or_reuse`
//! regenerates; the CLI prints them).

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::error::CorpusError;
use super::manifest::Manifest;
use super::progress::run_with_progress;
use super::render::ChecksumHasher;
use super::spec::{file_name, is_data_file_name, parse_file_name};

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
    /// file, then unexpected files by name.
    pub mismatches: Vec<Mismatch>,
}

impl VerifyReport {
    /// True when the corpus matches its manifest exactly.
    pub fn is_ok(&self) -> bool {
        self.mismatches.is_empty()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} files, {} bytes checked: ",
            self.files_checked, self.bytes_checked
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
    /// A `data-*.csv` file the manifest does not list.
    Unexpected,
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
            MismatchKind::Unexpected => write!(f, "{file}: not listed in the manifest"),
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

/// Check every file of the corpus in `dir` against `manifest`.
///
/// # Errors
/// [`CorpusError::Io`] only when `dir` itself cannot be listed; per-file
/// problems are [`Mismatch`]es.
pub(crate) fn verify(
    dir: &Path,
    manifest: &Manifest,
    progress: &dyn Fn(u64, u64),
) -> Result<VerifyReport, CorpusError> {
    let done = AtomicU64::new(0);
    let (mut checks, large) = run_with_progress(&done, manifest.total_bytes, progress, || {
        rayon::join(
            || check_data_files(dir, manifest, &done),
            || check_large_file(dir, manifest, &done),
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
    report
        .mismatches
        .extend(unexpected_files(dir, manifest.spec.files)?);
    Ok(report)
}

fn check_data_files(
    dir: &Path,
    manifest: &Manifest,
    done: &AtomicU64,
) -> Vec<(PathBuf, FileCheck)> {
    let files = manifest.spec.files;
    manifest
        .files
        .par_iter()
        .enumerate()
        .map_init(
            || vec![0; DATA_READ_BYTES],
            |buf, (k, entry)| {
                let path = dir.join(file_name(k as u32, files));
                let check = check_file(&path, entry.size, entry.checksum, buf);
                done.fetch_add(entry.size, Ordering::Relaxed);
                (path, check)
            },
        )
        .collect()
}

fn check_large_file(
    dir: &Path,
    manifest: &Manifest,
    done: &AtomicU64,
) -> Option<(PathBuf, FileCheck)> {
    let large = manifest.large.as_ref()?;
    let path = dir.join(&large.name);
    let mut buf = vec![0; LARGE_READ_BYTES];
    let check = check_file(&path, large.bytes, large.checksum, &mut buf);
    done.fetch_add(large.bytes, Ordering::Relaxed);
    Some((path, check))
}

/// Compare one file's size and checksum with the expected ones.
fn check_file(path: &Path, size: u64, checksum: u64, buf: &mut [u8]) -> FileCheck {
    let unreadable = |e: io::Error, bytes| FileCheck {
        examined: true,
        bytes,
        what: Some(MismatchKind::Unreadable {
            error: e.to_string(),
        }),
    };
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return FileCheck {
                examined: false,
                bytes: 0,
                what: Some(MismatchKind::Missing),
            };
        }
        Err(e) => return unreadable(e, 0),
    };
    let found = match file.metadata() {
        Ok(meta) => meta.len(),
        Err(e) => return unreadable(e, 0),
    };
    if found != size {
        let what = Some(MismatchKind::Size {
            expected: size,
            found,
        });
        return FileCheck {
            examined: true,
            bytes: 0,
            what,
        };
    }
    let mut hasher = ChecksumHasher::new();
    let mut bytes = 0u64;
    loop {
        match file.read(buf) {
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

/// `data-*.csv` files in `dir` that are not data files `0..files`, by name.
fn unexpected_files(dir: &Path, files: u32) -> Result<Vec<Mismatch>, CorpusError> {
    let entries = fs::read_dir(dir).map_err(|e| CorpusError::io("listing", dir, e))?;
    let mut extra = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| CorpusError::io("listing", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_data_file_name(name) && parse_file_name(name, files).is_none() {
            extra.push(entry.path());
        }
    }
    extra.sort();
    Ok(extra
        .into_iter()
        .map(|file| Mismatch {
            file,
            what: MismatchKind::Unexpected,
        })
        .collect())
}
