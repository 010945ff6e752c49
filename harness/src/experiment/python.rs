//! The Python that runs the tutorials' reference programs
//! (`scripts/python/`): the project's virtual environment when it holds the
//! packages, made on demand by `scripts/python-setup`; else `python3`; else
//! a stand-in that makes those scenarios `unavailable` with the reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The modules the reference programs import beyond the standard library
/// (`scripts/python/requirements.txt` pins their packages).
const MODULES: &str = "aiofiles, aiofile";

/// The `scripts` folder that sits beside an experiments folder.
pub fn scripts_dir(experiments: &Path) -> PathBuf {
    let scripts = experiments.join("..").join("scripts");
    scripts.canonicalize().unwrap_or(scripts)
}

fn venv_python(scripts: &Path) -> PathBuf {
    scripts
        .join("python")
        .join(".venv")
        .join("bin")
        .join("python")
}

fn on_path(program: &str) -> bool {
    crate::sys::program::find(program).is_some()
}

/// The interpreter command for `{python}`, as shell text: the virtual
/// environment's when it exists, else `python3` on the `PATH`, else a shell
/// stand-in that prints `iolab-skip: python3 not found`.
pub fn interpreter(scripts: &Path) -> String {
    let venv = venv_python(scripts);
    let skip = |why: &str| format!("sh -c 'echo \"iolab-skip: {why}\" >&2; exit 3' --");
    if venv.exists() {
        crate::strategy::shell_word(&venv).unwrap_or_else(|_| {
            skip("the virtual environment's path is not UTF-8 (move the checkout)")
        })
    } else if on_path("python3") {
        "python3".into()
    } else {
        skip("python3 not found (install Python 3, then run scripts/python-setup)")
    }
}

/// What [`ensure_packages`] found or did, as one line for the terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setup {
    /// The virtual environment already had the packages.
    Ready,
    /// `scripts/python-setup` installed them now.
    Installed,
    /// They cannot be had here; the Python scenarios that need them will be
    /// recorded as unavailable with this reason.
    Unavailable(String),
}

/// Make sure the virtual environment under `scripts` can import the
/// reference programs' packages, running `scripts/python-setup` (venv + pip
/// from PyPI) when it cannot. Never fails: what cannot be set up is
/// reported and the run carries on.
pub fn ensure_packages(scripts: &Path) -> Setup {
    let venv = venv_python(scripts);
    if imports(&venv) {
        return Setup::Ready;
    }
    let setup = scripts.join("python-setup");
    if !setup.is_file() {
        return Setup::Unavailable(format!("{} not found", setup.display()));
    }
    if !on_path("python3") {
        return Setup::Unavailable("python3 not found".into());
    }
    match Command::new("sh")
        .arg(&setup)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
    {
        Ok(o) if o.status.success() && imports(&venv) => Setup::Installed,
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err.lines().rev().find(|l| !l.trim().is_empty());
            Setup::Unavailable(format!(
                "{} failed: {}",
                setup.display(),
                last.unwrap_or("no message").trim()
            ))
        }
        Err(e) => Setup::Unavailable(format!("running {}: {e}", setup.display())),
    }
}

fn imports(python: &Path) -> bool {
    python.exists()
        && Command::new(python)
            .args(["-c", &format!("import {MODULES}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

impl std::fmt::Display for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setup::Ready => write!(f, "python: packages ready ({MODULES})"),
            Setup::Installed => write!(
                f,
                "python: installed {MODULES} into scripts/python/.venv"
            ),
            Setup::Unavailable(why) => write!(
                f,
                "python packages unavailable: {why}; the scenarios that need {MODULES} are recorded as unavailable"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_the_setup_script_is_unavailable_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        match ensure_packages(dir.path()) {
            Setup::Unavailable(why) => assert!(why.contains("python-setup not found"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_a_venv_the_interpreter_is_python3_or_a_skip() {
        let dir = tempfile::tempdir().unwrap();
        let p = interpreter(dir.path());
        assert!(p == "python3" || p.contains("iolab-skip"), "{p}");
    }
}
