//! Records the git commit iolab is built from, for `run.json`.

use std::path::PathBuf;
use std::process::Command;

/// `git <args>`'s output, trimmed, when git runs and succeeds.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=IOLAB_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves. In a linked worktree `.git` is a file and
    // HEAD lives in the worktree's own git folder, the refs in the common
    // one; a watched path that does not exist would rebuild every time.
    let watched = [
        git(&["rev-parse", "--absolute-git-dir"]).map(|d| PathBuf::from(d).join("HEAD")),
        git(&["rev-parse", "--path-format=absolute", "--git-common-dir"])
            .map(|d| PathBuf::from(d).join("refs")),
    ];
    for path in watched.into_iter().flatten().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    if commit == "unknown" {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
