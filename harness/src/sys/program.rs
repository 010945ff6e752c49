//! Finding an external program (fio, python3) on `PATH`, as a shell would,
//! without starting it; this process's name, and naming it.
//!
//! # Platform specific behavior
//! Unix: a candidate counts when it is a regular file with an execute bit.
//! Linux: a process's name is its `comm` (`/proc/self/comm`, at most 15
//! bytes, what `pgrep` and `ps -o comm` match), set by `prctl(PR_SET_NAME)`.

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

/// This process's name (`/proc/self/comm`: the file name of the binary
/// it was started from, at most 15 bytes), if it can be read.
pub fn own_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/self/comm").ok()?;
    Some(name.trim_end_matches('\n').to_string()).filter(|n| !n.is_empty())
}

/// Name this process `name` (its first 15 bytes), so `pgrep name` finds
/// it: `prctl(PR_SET_NAME)`, called from the main thread (it names the
/// calling thread, and the main thread's name is the process's).
///
/// # Errors
/// A name with a NUL byte, or the kernel's refusal.
pub fn set_own_name(name: &str) -> std::io::Result<()> {
    let cut = name
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take_while(|end| *end <= 15)
        .last()
        .unwrap_or(0);
    let name = std::ffi::CString::new(&name[..cut]).map_err(std::io::Error::other)?;
    rustix::thread::set_name(&name).map_err(std::io::Error::from)
}
