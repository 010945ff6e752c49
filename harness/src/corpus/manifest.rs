//! `manifest.json`: what a finished corpus holds, with a size and checksum for
//! every file.
//!
//! Owns: the manifest's schema, reading it (through
//! [`Dir::read`](crate::safefs::Dir::read), at most
//! [`MANIFEST_MAX_BYTES`]), writing it atomically (new temporary file on
//! the folder's descriptor, fsync, `renameat`: [`store_json`], also used
//! for the record of members) and checking it against its own spec. The manifest is
//! a pure function of the spec (no times, no host names), so generating the
//! same spec twice gives the same manifest byte for byte.
//!
//! Does not own: computing the checksums (`generate`) or comparing them with
//! the disk (`verify`). A missing manifest means "incomplete".

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::CorpusError;
use super::render::{file_size, large_shape, GENERATOR_VERSION};
use super::space::SpaceNeed;
use super::spec::{CorpusSpec, LARGE_FILE_NAME, MAX_FILES};
use crate::safefs::Dir;

/// File name of the manifest inside a corpus directory.
pub const MANIFEST_FILE_NAME: &str = "manifest.json";
/// Temporary name the manifest is written under before the rename.
pub(crate) const MANIFEST_TEMP_NAME: &str = ".manifest.json.tmp";
/// Bytes of a manifest's entry, at most (pretty JSON: a 10-digit size and
/// a 16-digit checksum take 76).
const MANIFEST_ENTRY_MAX_BYTES: u64 = 96;
/// The most iolab reads of a `manifest.json`: what the manifest of the
/// largest corpus ([`MAX_FILES`] files) can take, 64 KiB for the rest
/// (~916 MiB; the manifest of the default corpus of 10,000 files is
/// 0.7 MiB). A larger file is not a manifest iolab wrote.
pub const MANIFEST_MAX_BYTES: u64 = (64 << 10) + MAX_FILES as u64 * MANIFEST_ENTRY_MAX_BYTES;

/// Contents of `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`GENERATOR_VERSION`] of the iolab that wrote the corpus.
    pub generator_version: u32,
    /// The parameters the corpus was generated from.
    pub spec: CorpusSpec,
    /// Total bytes of all data files plus the large file.
    pub total_bytes: u64,
    /// The large file, when the spec asks for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large: Option<LargeEntry>,
    /// Data file `k` is entry `k`.
    pub files: Vec<FileEntry>,
}

/// Size and checksum of one data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Size in bytes.
    pub size: u64,
    /// [`checksum`](super::checksum) of the whole file, written as 16 hex
    /// digits like `xxhsum -H3` prints it.
    #[serde(with = "hex64")]
    pub checksum: u64,
}

/// The large single file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LargeEntry {
    /// File name inside the corpus directory ([`LARGE_FILE_NAME`]).
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Number of lines.
    pub lines: u64,
    /// [`checksum`](super::checksum) of the whole file, as 16 hex digits.
    #[serde(with = "hex64")]
    pub checksum: u64,
}

impl Manifest {
    /// A manifest for `spec` with the given per-file entries and large file.
    pub fn new(spec: CorpusSpec, files: Vec<FileEntry>, large: Option<LargeEntry>) -> Manifest {
        let data: u64 = files.iter().map(|f| f.size).sum();
        let total_bytes = data + large.as_ref().map_or(0, |l| l.bytes);
        Manifest {
            generator_version: GENERATOR_VERSION,
            spec,
            total_bytes,
            large,
            files,
        }
    }

    /// Path of the manifest of the corpus in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(MANIFEST_FILE_NAME)
    }

    /// Read the manifest of the corpus folder `dir` (never through a link,
    /// never blocking, at most [`MANIFEST_MAX_BYTES`]); `Ok(None)` when
    /// there is none.
    ///
    /// # Errors
    /// [`CorpusError::ManifestCorrupt`] when it does not parse,
    /// [`CorpusError::Fs`] when it is not a regular file, is too large or
    /// cannot be read.
    pub fn load(dir: &Dir) -> Result<Option<Manifest>, CorpusError> {
        let path = dir.child_path(MANIFEST_FILE_NAME);
        match dir.read(MANIFEST_FILE_NAME, MANIFEST_MAX_BYTES)? {
            Some(text) => Manifest::parse(&text, &path).map(Some),
            None => Ok(None),
        }
    }

    /// Parse the manifest text read from `path`.
    ///
    /// # Errors
    /// [`CorpusError::ManifestCorrupt`] when it does not parse.
    pub fn parse(text: &[u8], path: &Path) -> Result<Manifest, CorpusError> {
        serde_json::from_slice(text).map_err(|cause| CorpusError::ManifestCorrupt {
            path: path.to_path_buf(),
            cause,
        })
    }

    /// Write the manifest into `dir` atomically (a new temporary file,
    /// flushed, renamed over `manifest.json`, the folder synced), so a
    /// reader sees either no manifest or a whole one; `needed` is what a
    /// full device's message quotes.
    ///
    /// # Errors
    /// [`CorpusError::Io`], [`CorpusError::Fs`] (or [`CorpusError::NoSpace`])
    /// naming the file.
    pub fn store(&self, dir: &Dir, needed: SpaceNeed) -> Result<(), CorpusError> {
        store_json(dir, (MANIFEST_FILE_NAME, MANIFEST_TEMP_NAME), self, needed)
    }

    /// Remove the manifest (and a leftover temporary one) from `dir`, marking
    /// the corpus incomplete. Absent files are fine.
    ///
    /// # Errors
    /// [`CorpusError::Io`] naming the file that could not be deleted.
    pub fn remove(dir: &Dir) -> Result<(), CorpusError> {
        for name in [MANIFEST_FILE_NAME, MANIFEST_TEMP_NAME] {
            dir.remove_file(name)?;
        }
        Ok(())
    }

    /// Check that the manifest agrees with itself and with its spec: the
    /// version, one entry per file, each size equal to the size the spec
    /// implies, the large file present exactly when asked for, the total.
    /// Checksums are left to [`Corpus::verify`](super::Corpus::verify).
    ///
    /// # Errors
    /// [`CorpusError::ManifestVersion`] or
    /// [`CorpusError::ManifestInconsistent`]; `path` is the manifest's path.
    pub fn check(&self, path: &Path) -> Result<(), CorpusError> {
        if self.generator_version != GENERATOR_VERSION {
            return Err(CorpusError::ManifestVersion {
                path: path.to_path_buf(),
                found: self.generator_version,
                expected: GENERATOR_VERSION,
            });
        }
        self.inconsistency().map_or(Ok(()), |reason| {
            Err(CorpusError::ManifestInconsistent {
                path: path.to_path_buf(),
                reason,
            })
        })
    }

    /// The first way the manifest contradicts its spec, if any.
    fn inconsistency(&self) -> Option<String> {
        let spec = &self.spec;
        if let Err(e) = spec.validate() {
            return Some(e.to_string());
        }
        if self.files.len() != spec.files as usize {
            return Some(format!(
                "{} file entries for files = {}",
                self.files.len(),
                spec.files
            ));
        }
        let wrong = (0..spec.files)
            .find(|&k| self.files[k as usize].size != file_size(k, spec.lines, spec.values));
        if let Some(k) = wrong {
            let size = self.files[k as usize].size;
            return Some(format!(
                "file {k} has size {size}, the spec implies another"
            ));
        }
        let expected_large = spec
            .large_file_bytes
            .map(|min| large_shape(spec.values, min));
        let found_large = self
            .large
            .as_ref()
            .map(|l| (l.name.as_str(), l.bytes, l.lines));
        let expected = expected_large.map(|l| (LARGE_FILE_NAME, l.bytes, l.lines));
        if found_large != expected {
            return Some(format!(
                "large file {found_large:?} where the spec implies {expected:?}"
            ));
        }
        if self.total_bytes != spec.total_bytes() {
            return Some(format!(
                "total_bytes = {}, the spec implies {}",
                self.total_bytes,
                spec.total_bytes()
            ));
        }
        None
    }
}

/// Write `value` as pretty JSON to `dir/name` atomically: the temporary
/// file `temp` created anew (never through a link), flushed to disk, then
/// renamed over `name`, and the folder synced.
///
/// # Errors
/// [`CorpusError::NoSpace`] (quoting `needed`) when the device is full,
/// [`CorpusError::Io`] or [`CorpusError::Fs`] naming the file.
pub(crate) fn store_json<T: Serialize>(
    dir: &Dir,
    (name, temp_name): (&str, &str),
    value: &T,
    needed: SpaceNeed,
) -> Result<(), CorpusError> {
    let temp = dir.child_path(temp_name);
    let fail = |e: io::Error| super::error::write_error(e, dir.path(), temp.clone(), needed);
    dir.remove_file(temp_name)?;
    let file = dir
        .create_file(temp_name)
        .map_err(|e| super::error::create_error(e, dir.path(), temp.clone(), needed))?;
    let mut out = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| fail(e.into()))?;
    out.write_all(b"\n").map_err(fail)?;
    let file = out.into_inner().map_err(|e| fail(e.into_error()))?;
    file.sync_all().map_err(fail)?;
    dir.rename(temp_name, name)?;
    Ok(dir.sync()?)
}

/// `u64` as exactly 16 lower-case hex digits in JSON.
mod hex64 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{value:016x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() != 16 {
            return Err(D::Error::custom(format!(
                "checksum {text:?} is not 16 hex digits"
            )));
        }
        u64::from_str_radix(&text, 16)
            .map_err(|_| D::Error::custom(format!("checksum {text:?} is not 16 hex digits")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::render::{checksum, render_file};

    fn small() -> Manifest {
        let spec = CorpusSpec {
            files: 3,
            lines: 4,
            values: 5,
            large_file_bytes: None,
            folders: crate::corpus::Folders::Flat,
        };
        let mut buf = Vec::new();
        let files = (0..3)
            .map(|k| {
                render_file(k, 4, 5, &mut buf);
                FileEntry {
                    size: buf.len() as u64,
                    checksum: checksum(&buf),
                }
            })
            .collect();
        Manifest::new(spec, files, None)
    }

    #[test]
    fn store_load_roundtrip() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Dir::open(tmp.path()).unwrap();
        assert_eq!(Manifest::load(&dir).unwrap(), None);
        let m = small();
        m.store(&dir, m.spec.space_need(4096)).unwrap();
        assert!(!tmp.path().join(MANIFEST_TEMP_NAME).exists());
        assert_eq!(Manifest::load(&dir).unwrap(), Some(m.clone()));
        m.check(&Manifest::path(tmp.path())).unwrap();
        let text = std::fs::read_to_string(Manifest::path(tmp.path())).unwrap();
        assert!(
            text.contains(&format!("\"checksum\": \"{:016x}\"", m.files[0].checksum)),
            "{text}"
        );
        Manifest::remove(&dir).unwrap();
        assert_eq!(Manifest::load(&dir).unwrap(), None);
        Manifest::remove(&dir).unwrap();
    }

    #[test]
    fn corrupt_manifest_names_its_path() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(Manifest::path(tmp.path()), b"{\"generator_version\": 1,").unwrap();
        let err = Manifest::load(&Dir::open(tmp.path()).unwrap()).unwrap_err();
        assert!(matches!(err, CorpusError::ManifestCorrupt { .. }), "{err}");
        assert!(err.to_string().contains("manifest.json"), "{err}");
    }

    #[test]
    fn a_manifest_that_is_a_fifo_or_a_link_is_refused_without_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        let path = Manifest::path(tmp.path());
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let dir = Dir::open(tmp.path()).unwrap();
        let err = Manifest::load(&dir).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        let err = Manifest::load(&dir).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }

    #[test]
    fn bad_checksum_text_is_rejected() {
        let json = serde_json::to_string(&small()).unwrap();
        let bad = json.replacen("\"checksum\":\"", "\"checksum\":\"zz", 1);
        assert!(serde_json::from_str::<Manifest>(&bad).is_err());
    }

    #[test]
    fn check_catches_inconsistencies() {
        let path = Path::new("/c/manifest.json");
        let mut m = small();
        m.generator_version += 1;
        assert!(matches!(
            m.check(path),
            Err(CorpusError::ManifestVersion { .. })
        ));

        let mut m = small();
        m.files.pop();
        let err = m.check(path).unwrap_err();
        assert!(
            err.to_string().contains("2 file entries for files = 3"),
            "{err}"
        );

        let mut m = small();
        m.files[1].size += 1;
        let err = m.check(path).unwrap_err();
        assert!(err.to_string().contains("file 1 has size"), "{err}");

        let mut m = small();
        m.spec.large_file_bytes = Some(100);
        assert!(matches!(
            m.check(path),
            Err(CorpusError::ManifestInconsistent { .. })
        ));
    }
}
