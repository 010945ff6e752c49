//! Whole-file writes that readers never see half done: a fresh temporary
//! name created with `O_CREAT | O_EXCL | O_NOFOLLOW` inside the folder
//! (opened once with `O_DIRECTORY | O_NOFOLLOW`), the bytes written and
//! fsynced, `renameat` over the target, then the folder fsynced so the
//! rename itself survives a crash.
//!
//! Owns: that sequence and the clean-up of its temporary file on failure.
//! Does not own: what is written (`run.json`, `summary.csv`, profiles,
//! report pages) or appending rows (`results::runs_file`).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Dir, FsError};

/// Temporary names tried before giving up (each is new: process id and a counter).
const TEMP_ATTEMPTS: u32 = 64;

static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Write `bytes` as `dir/name`, replacing any file of that name at once:
/// a reader sees the old content or the new, never a part.
///
/// `name` must be a plain file name (no `/`, not `.` or `..`); `dir` is
/// opened with [`Dir::open`], so a link anywhere on its path is refused. The
/// target is replaced by `renameat`, so a symlink named `name` is replaced,
/// never followed.
///
/// # Errors
/// The underlying I/O error (out of space, permission, `dir` a symlink or
/// not a folder); the temporary file is removed first.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a plain file name"),
        ));
    }
    let dir = Dir::open(dir).map_err(into_io)?;
    let (temp, file) = create_temp(&dir, name)?;
    let written = write_and_rename(file, bytes, &dir, &temp, name);
    if written.is_err() {
        let _ = dir.remove_file(&temp);
    }
    written?;
    dir.sync().map_err(into_io)
}

/// The OS error inside `e` (so callers can tell `ENOSPC`), or `e` itself.
fn into_io(e: FsError) -> io::Error {
    match e {
        FsError::Io { cause, .. } => cause,
        other => io::Error::other(other),
    }
}

/// A new temporary file beside the target, created exclusively.
fn create_temp(dir: &Dir, name: &str) -> io::Result<(String, File)> {
    let mut attempt = 0;
    loop {
        let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        let temp = format!(".{name}.{}-{n}.tmp", std::process::id());
        match dir.create_file(&temp).map_err(into_io) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < TEMP_ATTEMPTS => {
                attempt += 1
            }
            Err(e) => return Err(e),
        }
    }
}

fn write_and_rename(
    mut file: File,
    bytes: &[u8],
    dir: &Dir,
    temp: &str,
    name: &str,
) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    dir.rename(temp, name).map_err(into_io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_then_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "a.json", b"first").unwrap();
        assert_eq!(fs::read(dir.path().join("a.json")).unwrap(), b"first");
        write_atomic(dir.path(), "a.json", b"second, longer").unwrap();
        assert_eq!(
            fs::read(dir.path().join("a.json")).unwrap(),
            b"second, longer"
        );
        assert_eq!(entries(dir.path()), ["a.json"]);
    }

    #[test]
    fn a_symlink_at_the_target_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let decoy = dir.path().join("decoy");
        fs::write(&decoy, b"keep me").unwrap();
        std::os::unix::fs::symlink(&decoy, dir.path().join("run.json")).unwrap();
        write_atomic(dir.path(), "run.json", b"{}").unwrap();
        assert_eq!(fs::read(&decoy).unwrap(), b"keep me");
        let meta = fs::symlink_metadata(dir.path().join("run.json")).unwrap();
        assert!(meta.file_type().is_file());
    }

    #[test]
    fn a_symlinked_folder_and_a_path_as_name_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::create_dir(&real).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(write_atomic(&link, "x", b"1").is_err());
        assert!(
            entries(&real).is_empty(),
            "nothing written through the link"
        );
        for bad in ["", ".", "..", "a/b"] {
            let e = write_atomic(dir.path(), bad, b"1").unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn a_folder_that_is_a_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"data").unwrap();
        let e = write_atomic(&file, "x", b"1").unwrap_err();
        assert!(e.to_string().contains("not"), "{e}");
        assert_eq!(fs::read(&file).unwrap(), b"data");
    }
}
