//! A folder of the user's own files as a read-only input set (`--input DIR`).
//!
//! The first use walks the folder (never following a link, skipping special
//! files with a line each), hashes every selected file and records the
//! manifest — relative paths, sizes, modification times, xxh3 — in iolab's
//! own folder `<data dir>/inputs/<key>/`, never in the user's folder. A
//! later use compares the folder with that manifest: by size and
//! modification time (`--input-check fast`, the default: a file whose size
//! and time are unchanged keeps its recorded checksum, any other is hashed
//! again) or by hashing every file again (`--input-check full`), says what
//! changed and records the manifest again. The input set then stands in for
//! the corpus: [`InputSet::corpus`] is a [`Corpus`] whose manifest entries
//! are the user's files, so the workloads that verify against the manifest
//! (`read`'s checksums, `copy`'s outputs) check the user's bytes unchanged.
//!
//! Nothing here opens a user's file for writing: folders are opened with
//! `O_NOFOLLOW` component by component ([`Dir`]), files read-only through
//! [`Dir::open_file`].
//!
//! Owns: the input set's spec, walk, manifest and its check, the size
//! histogram. Does not own: which workloads may run on it (each workload's
//! `on_input_set`), where its data dir is (`runner`).

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::render::{ChecksumHasher, GENERATOR_VERSION};
use super::{Corpus, CorpusSpec, FileEntry, Manifest, MAX_FILES};
use crate::safefs::{self, Dir, Kind};

/// Name of the folder under the data dir that holds the input sets' manifests.
pub const INPUTS_FOLDER: &str = "inputs";
/// Name of an input set's manifest in its folder.
pub const INPUT_MANIFEST: &str = "input-manifest.json";
/// Largest input manifest read back (about 200 bytes per file at the most files).
const INPUT_MANIFEST_MAX_BYTES: u64 = 4 << 30;
/// Deepest folder nesting walked.
const MAX_DEPTH: usize = 64;

/// How a later use checks the folder against its manifest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputCheck {
    /// Size and modification time; files that differ are hashed again.
    #[default]
    Fast,
    /// Every file hashed again.
    Full,
}

impl InputCheck {
    /// The names `--input-check` takes.
    pub const NAMES: &'static [&'static str] = &["fast", "full"];

    /// Parse `fast` or `full`.
    pub fn parse(text: &str) -> Option<InputCheck> {
        match text {
            "fast" => Some(InputCheck::Fast),
            "full" => Some(InputCheck::Full),
            _ => None,
        }
    }
}

/// Which folder, which of its files, how it is checked: the plan's
/// corpus-level setting (every scenario of a run reads the same set).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// The folder, absolute.
    pub dir: PathBuf,
    /// Keep only the files whose path relative to `dir` matches this glob
    /// (`**/*.rs`); `None`: every regular file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    /// How the folder is checked against its manifest.
    #[serde(default)]
    pub check: InputCheck,
}

impl InputSpec {
    /// The spec of `dir` (made absolute against the working folder), with
    /// `glob` checked.
    ///
    /// # Errors
    /// A glob that does not parse, or a working folder that cannot be read.
    pub fn new(dir: &Path, glob: Option<String>, check: InputCheck) -> Result<InputSpec, String> {
        if let Some(g) = &glob {
            glob::Pattern::new(g).map_err(|e| format!("input glob {g:?}: {e}"))?;
        }
        let dir = std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(InputSpec { dir, glob, check })
    }

    /// The folder under `data_dir` holding this set's manifest: one per
    /// folder and glob.
    pub fn record_dir(&self, data_dir: &Path) -> PathBuf {
        let key = format!(
            "{}\0{}",
            self.dir.display(),
            self.glob.as_deref().unwrap_or("")
        );
        let digest = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
        data_dir.join(INPUTS_FOLDER).join(format!("{digest:016x}"))
    }
}

/// One file of an input set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// Its path relative to the set's folder.
    pub path: String,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// Size and xxh3.
    #[serde(flatten)]
    pub entry: FileEntry,
}

/// An input set's manifest, as recorded under the data dir.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputManifest {
    /// The folder.
    pub dir: PathBuf,
    /// The glob the files were selected with.
    #[serde(default)]
    pub glob: Option<String>,
    /// The files, sorted by path.
    pub files: Vec<InputFile>,
    /// What the walk left out, one line each (links, special files).
    pub skipped: Vec<String>,
}

/// The paths and manifest entries of an input set's files, in task order:
/// what the task context carries to every lane and worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFiles {
    /// Path of task `k`'s file relative to the set's folder.
    pub names: Vec<String>,
    /// Size and xxh3 of task `k`'s file.
    pub entries: Vec<FileEntry>,
}

/// How many files of an input set fall in one size class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeClass {
    /// The class, as `4KiB–16KiB` (lower bound included).
    pub sizes: String,
    /// Files in it.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// What `run.json` and the report say about an input set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSummary {
    /// The folder.
    pub dir: PathBuf,
    /// The glob, if any.
    #[serde(default)]
    pub glob: Option<String>,
    /// Where its manifest is kept.
    pub manifest: PathBuf,
    /// Number of files.
    pub files: u64,
    /// Their total size.
    pub total_bytes: u64,
    /// Smallest and largest file.
    pub smallest: u64,
    /// Largest file.
    pub largest: u64,
    /// Files per size class (powers of 4 from 1 KiB), empty classes left out.
    pub histogram: Vec<SizeClass>,
    /// What the walk left out.
    pub skipped: Vec<String>,
    /// How the folder compared with its manifest (`recorded`, `unchanged`,
    /// or what changed).
    pub check: String,
}

/// An input set ready to run on.
#[derive(Clone, Debug)]
pub struct InputSet {
    /// Its manifest.
    pub manifest: InputManifest,
    /// What run.json records.
    pub summary: InputSummary,
}

/// Why an input set cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The folder cannot be walked or a file read.
    #[error("input {path}: {cause}")]
    Fs {
        /// The path.
        path: PathBuf,
        /// What failed.
        cause: String,
    },
    /// Nothing to run on.
    #[error("input {dir}: no regular file{glob} (skipped: {skipped})")]
    Empty {
        /// The folder.
        dir: PathBuf,
        /// ` matches GLOB`, or empty.
        glob: String,
        /// What was skipped.
        skipped: String,
    },
    /// iolab's own folder would be inside the user's.
    #[error("input {dir}: the data folder {data_dir} is inside it, so iolab would write into your folder; pass --data-dir outside it")]
    DataDirInside {
        /// The input folder.
        dir: PathBuf,
        /// The data dir.
        data_dir: PathBuf,
    },
    /// The manifest cannot be written.
    #[error("recording the manifest of input {dir} in {record}: {cause}")]
    Record {
        /// The input folder.
        dir: PathBuf,
        /// Where it was to be written.
        record: PathBuf,
        /// What failed.
        cause: String,
    },
}

fn fs_error(path: &Path, cause: impl std::fmt::Display) -> InputError {
    InputError::Fs {
        path: path.to_path_buf(),
        cause: cause.to_string(),
    }
}

/// A file found by the walk, before it is hashed.
struct Found {
    path: String,
    size: u64,
    mtime_ns: i128,
}

impl InputSet {
    /// Walk `spec`'s folder, compare it with its manifest under `data_dir`
    /// (recording one on first use, or again when it changed) and return
    /// the set. `say` gets one line per change and skipped entry.
    ///
    /// # Errors
    /// [`InputError`]: the folder unreadable, empty, holding the data dir,
    /// or the manifest not writable.
    pub fn prepare(spec: &InputSpec, data_dir: &Path) -> Result<InputSet, InputError> {
        let data_abs = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        if data_abs.starts_with(&spec.dir) {
            return Err(InputError::DataDirInside {
                dir: spec.dir.clone(),
                data_dir: data_abs,
            });
        }
        let root = Dir::open(&spec.dir).map_err(|e| fs_error(&spec.dir, e))?;
        let pattern = spec.glob.as_deref().map(glob::Pattern::new);
        let pattern = pattern
            .transpose()
            .map_err(|e| fs_error(&spec.dir, format!("glob: {e}")))?;
        let (mut found, mut skipped) = (Vec::new(), Vec::new());
        walk(&root, "", 0, pattern.as_ref(), &mut found, &mut skipped)?;
        if found.is_empty() {
            return Err(InputError::Empty {
                dir: spec.dir.clone(),
                glob: spec
                    .glob
                    .as_ref()
                    .map_or(String::new(), |g| format!(" matches {g:?}")),
                skipped: if skipped.is_empty() {
                    "nothing".into()
                } else {
                    skipped.join("; ")
                },
            });
        }
        let record = spec.record_dir(data_dir);
        let old = load(&record);
        let (files, changes) = check(&root, spec.check, old.as_ref(), found)?;
        let manifest = InputManifest {
            dir: spec.dir.clone(),
            glob: spec.glob.clone(),
            files,
            skipped,
        };
        let check = describe_changes(old.is_none(), spec.check, &changes);
        if old.is_none()
            || !changes.is_empty()
            || old.as_ref().map(|o| &o.skipped) != Some(&manifest.skipped)
        {
            store(&record, &manifest)?;
        }
        let summary = summarize(&manifest, record.join(INPUT_MANIFEST), check);
        Ok(InputSet { manifest, summary })
    }

    /// The paths and entries the task context carries.
    pub fn files(&self) -> InputFiles {
        InputFiles {
            names: self.manifest.files.iter().map(|f| f.path.clone()).collect(),
            entries: self.manifest.files.iter().map(|f| f.entry).collect(),
        }
    }

    /// The set as the corpus the runner and the workloads see.
    pub fn corpus(&self) -> Corpus {
        Corpus::of_input_files(self.manifest.dir.clone(), Arc::new(self.files()))
    }

    /// Compare the folder's files with the manifest by size and
    /// modification time again (after a run): one line per file that
    /// changed or went, empty when none did.
    pub fn changed_since(&self) -> Vec<String> {
        let Ok(root) = Dir::open(&self.manifest.dir) else {
            return vec![format!(
                "{} can no longer be opened",
                self.manifest.dir.display()
            )];
        };
        self.manifest
            .files
            .iter()
            .filter_map(|f| match stat_file(&root, &f.path) {
                Ok(Some((size, mtime))) if size == f.entry.size && mtime == f.mtime_ns => None,
                Ok(Some((size, _))) => Some(format!(
                    "{} changed during the run ({} → {size} bytes, or its time)",
                    f.path, f.entry.size
                )),
                Ok(None) => Some(format!("{} is gone", f.path)),
                Err(e) => Some(format!("{}: {e}", f.path)),
            })
            .collect()
    }
}

impl Corpus {
    /// The corpus view of an input set's files in `dir`: a manifest whose
    /// entry `k` is task `k`'s file, no lines or values of known content,
    /// no large file.
    pub fn of_input_files(dir: PathBuf, files: Arc<InputFiles>) -> Corpus {
        let count = files.entries.len() as u32;
        let manifest = Manifest {
            generator_version: GENERATOR_VERSION,
            spec: CorpusSpec {
                files: count,
                lines: 0,
                values: 0,
                large_file_bytes: None,
                folders: super::Folders::Flat,
            },
            total_bytes: files.entries.iter().map(|e| e.size).sum(),
            large: None,
            files: files.entries.clone(),
        };
        Corpus {
            dir,
            manifest,
            inputs: Some(files),
        }
    }
}

/// Walk `dir` (at `prefix` below the set's folder), appending the regular
/// files `pattern` selects to `found` and a line per skipped entry.
fn walk(
    dir: &Dir,
    prefix: &str,
    depth: usize,
    pattern: Option<&glob::Pattern>,
    found: &mut Vec<Found>,
    skipped: &mut Vec<String>,
) -> Result<(), InputError> {
    for (name, kind) in dir.entries().map_err(|e| fs_error(dir.path(), e))? {
        let Ok(text) = std::str::from_utf8(name.as_bytes()) else {
            skipped.push(format!(
                "{}: a name that is not UTF-8, skipped",
                dir.child_path(&name).display()
            ));
            continue;
        };
        let rel = if prefix.is_empty() {
            text.to_string()
        } else {
            format!("{prefix}/{text}")
        };
        match kind {
            Kind::Dir if depth < MAX_DEPTH => {
                let sub = dir
                    .open_dir(&name)
                    .map_err(|e| fs_error(&dir.child_path(&name), e))?;
                walk(&sub, &rel, depth + 1, pattern, found, skipped)?;
            }
            Kind::Dir => skipped.push(format!("{rel}: deeper than {MAX_DEPTH} folders, skipped")),
            Kind::File if pattern.is_none_or(|p| p.matches(&rel)) => {
                if found.len() >= MAX_FILES as usize {
                    return Err(fs_error(dir.path(), format!("more than {MAX_FILES} files")));
                }
                let (size, mtime_ns) = stat_file(dir, text)
                    .map_err(|e| fs_error(&dir.child_path(&name), e))?
                    .ok_or_else(|| fs_error(&dir.child_path(&name), "vanished during the walk"))?;
                found.push(Found {
                    path: rel,
                    size,
                    mtime_ns,
                });
            }
            Kind::File => {}
            Kind::Symlink => skipped.push(format!("{rel}: a symbolic link, not followed")),
            Kind::Special(_) => skipped.push(format!("{rel}: a {kind}, skipped")),
        }
    }
    Ok(())
}

/// Size and modification time of regular file `rel` below `root`, opened
/// read-only without following a link; `None` when absent.
fn stat_file(root: &Dir, rel: &str) -> Result<Option<(u64, i128)>, String> {
    let Some(file) = open_below(root, rel).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let meta = file.metadata().map_err(|e| e.to_string())?;
    let mtime = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
    Ok(Some((meta.len(), mtime)))
}

/// Open `rel` (a path of `/`-separated names) below `root` read-only,
/// every component without following a link; `None` when absent.
fn open_below(root: &Dir, rel: &str) -> Result<Option<std::fs::File>, safefs::FsError> {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let name = parts.pop().unwrap_or(rel);
    let mut owned: Option<Dir> = None;
    for part in parts {
        let next = owned.as_ref().unwrap_or(root).open_dir(part);
        match next {
            Ok(d) => owned = Some(d),
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    owned.as_ref().unwrap_or(root).open_file(name)
}

/// xxh3 of `rel` below `root`, read in 1 MiB pieces.
fn hash_file(root: &Dir, rel: &str) -> Result<(u64, u64), InputError> {
    let path = root.child_path(rel);
    let mut file = open_below(root, rel)
        .map_err(|e| fs_error(&path, e))?
        .ok_or_else(|| fs_error(&path, "vanished while being hashed"))?;
    let (mut hasher, mut buf, mut size) = (ChecksumHasher::new(), vec![0u8; 1 << 20], 0u64);
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok((size, hasher.finish())),
            Ok(n) => {
                hasher.update(&buf[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(fs_error(&path, e)),
        }
    }
}

/// The manifest's files for `found`: recorded checksums kept where the
/// check allows, the rest hashed; and one line per difference from `old`.
fn check(
    root: &Dir,
    how: InputCheck,
    old: Option<&InputManifest>,
    found: Vec<Found>,
) -> Result<(Vec<InputFile>, Vec<String>), InputError> {
    let recorded: std::collections::BTreeMap<&str, &InputFile> = old
        .map(|o| o.files.iter().map(|f| (f.path.as_str(), f)).collect())
        .unwrap_or_default();
    let mut changes = Vec::new();
    let mut files = Vec::with_capacity(found.len());
    for f in &found {
        let before = recorded.get(f.path.as_str());
        let same_stat = before.is_some_and(|b| b.entry.size == f.size && b.mtime_ns == f.mtime_ns);
        let entry = match before {
            Some(b) if same_stat && how == InputCheck::Fast => b.entry,
            _ => {
                let (size, checksum) = hash_file(root, &f.path)?;
                FileEntry { size, checksum }
            }
        };
        match before {
            Some(b) if b.entry != entry => changes.push(format!(
                "{} changed ({} → {} bytes, xxh3 {:016x} → {:016x})",
                f.path, b.entry.size, entry.size, b.entry.checksum, entry.checksum
            )),
            Some(b) if !same_stat => {
                changes.push(format!("{} touched (same bytes, new time)", b.path))
            }
            Some(_) => {}
            None if old.is_some() => changes.push(format!("{} is new", f.path)),
            None => {}
        }
        files.push(InputFile {
            path: f.path.clone(),
            mtime_ns: f.mtime_ns,
            entry,
        });
    }
    let now: std::collections::BTreeSet<&str> = found.iter().map(|f| f.path.as_str()).collect();
    changes.extend(
        recorded
            .keys()
            .filter(|p| !now.contains(*p))
            .map(|p| format!("{p} is gone")),
    );
    Ok((files, changes))
}

fn describe_changes(first: bool, how: InputCheck, changes: &[String]) -> String {
    let by = match how {
        InputCheck::Fast => "by size and modification time",
        InputCheck::Full => "by hashing every file",
    };
    match (first, changes.len()) {
        (true, _) => "manifest recorded (first use)".into(),
        (false, 0) => format!("unchanged since its manifest (checked {by})"),
        (false, n) => format!(
            "{n} change(s) since its manifest, recorded again (checked {by}): {}",
            changes
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

fn load(record: &Path) -> Option<InputManifest> {
    let bytes = safefs::read_file_if_exists(&record.join(INPUT_MANIFEST), INPUT_MANIFEST_MAX_BYTES)
        .ok()??;
    serde_json::from_slice(&bytes).ok()
}

fn store(record: &Path, manifest: &InputManifest) -> Result<(), InputError> {
    let fail = |cause: String| InputError::Record {
        dir: manifest.dir.clone(),
        record: record.to_path_buf(),
        cause,
    };
    Dir::create_all(record).map_err(|e| fail(e.to_string()))?;
    let bytes = serde_json::to_vec(manifest).map_err(|e| fail(e.to_string()))?;
    safefs::write_atomic(record, INPUT_MANIFEST, &bytes).map_err(|e| fail(e.to_string()))
}

/// The size classes: powers of 4 from 1 KiB to 1 GiB.
fn class_of(size: u64) -> usize {
    let mut bound = 1024u64;
    let mut class = 0;
    while size >= bound && class < 11 {
        bound *= 4;
        class += 1;
    }
    class
}

fn class_label(class: usize) -> String {
    let size = |b: u64| super::human_bytes(b);
    match class {
        0 => format!("< {}", size(1024)),
        11 => format!("≥ {}", size(1024 << 20)),
        c => format!(
            "{} – {}",
            size(1024 << (2 * (c - 1))),
            size(1024 << (2 * c))
        ),
    }
}

fn summarize(manifest: &InputManifest, path: PathBuf, check: String) -> InputSummary {
    let mut classes = [(0u64, 0u64); 12];
    for f in &manifest.files {
        let c = &mut classes[class_of(f.entry.size)];
        c.0 += 1;
        c.1 += f.entry.size;
    }
    let sizes = || manifest.files.iter().map(|f| f.entry.size);
    InputSummary {
        dir: manifest.dir.clone(),
        glob: manifest.glob.clone(),
        manifest: path,
        files: manifest.files.len() as u64,
        total_bytes: sizes().sum(),
        smallest: sizes().min().unwrap_or(0),
        largest: sizes().max().unwrap_or(0),
        histogram: classes
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| *n > 0)
            .map(|(c, (files, bytes))| SizeClass {
                sizes: class_label(c),
                files: *files,
                bytes: *bytes,
            })
            .collect(),
        skipped: manifest.skipped.clone(),
        check,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_are_powers_of_four_from_one_kib() {
        assert_eq!(class_of(0), 0);
        assert_eq!(class_of(1023), 0);
        assert_eq!(class_of(1024), 1);
        assert_eq!(class_of(4095), 1);
        assert_eq!(class_of(4096), 2);
        assert_eq!(class_of(u64::MAX), 11);
    }

    #[test]
    fn a_folder_is_recorded_then_checked_and_changes_are_named() {
        let user = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        std::fs::create_dir(user.path().join("sub")).unwrap();
        std::fs::write(user.path().join("a.txt"), b"alpha").unwrap();
        std::fs::write(user.path().join("sub/b.rs"), vec![7u8; 5000]).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", user.path().join("link")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            user.path().join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
        let spec = InputSpec::new(user.path(), None, InputCheck::Fast).unwrap();
        let set = InputSet::prepare(&spec, data.path()).unwrap();
        let names: Vec<_> = set.manifest.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["a.txt", "sub/b.rs"]);
        assert_eq!(set.summary.check, "manifest recorded (first use)");
        assert!(
            set.summary
                .skipped
                .iter()
                .any(|s| s.starts_with("link: a symbolic link")),
            "{:?}",
            set.summary.skipped
        );
        assert!(
            set.summary
                .skipped
                .iter()
                .any(|s| s.starts_with("fifo: a FIFO")),
            "{:?}",
            set.summary.skipped
        );
        assert_eq!(set.summary.histogram.len(), 2);
        assert!(set.summary.manifest.starts_with(data.path()));
        assert_eq!(
            set.manifest.files[0].entry.checksum,
            crate::corpus::checksum(b"alpha")
        );
        let again = InputSet::prepare(&spec, data.path()).unwrap();
        assert!(
            again.summary.check.starts_with("unchanged"),
            "{}",
            again.summary.check
        );
        std::fs::write(user.path().join("a.txt"), b"alphabet").unwrap();
        std::fs::remove_file(user.path().join("sub/b.rs")).unwrap();
        let changed = InputSet::prepare(&spec, data.path()).unwrap();
        assert!(
            changed.summary.check.contains("a.txt changed (5 → 8 bytes"),
            "{}",
            changed.summary.check
        );
        assert!(
            changed.summary.check.contains("sub/b.rs is gone"),
            "{}",
            changed.summary.check
        );
        let rs = InputSpec::new(user.path(), Some("**/*.rs".into()), InputCheck::Full).unwrap();
        assert!(matches!(
            InputSet::prepare(&rs, data.path()),
            Err(InputError::Empty { .. })
        ));
        let inside = InputSpec::new(data.path(), None, InputCheck::Fast).unwrap();
        assert!(matches!(
            InputSet::prepare(&inside, &data.path().join("d")),
            Err(InputError::DataDirInside { .. })
        ));
    }
}
