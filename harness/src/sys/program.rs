//! Finding an external program (fio, python3) on `PATH`, as a shell would,
//! without starting it.
//!
//! # Platform specific behavior
//! Unix: a candidate counts when it is a regular file with an execute bit.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The first executable named `name` in the folders of `PATH`, if any.
pub fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
