//! Which version of the user's own code ran: the user crate's name and
//! version, captured at the user's compile time by the `iolab::lab!()`
//! macro ([`UserCrate`]), and the git commit of its source tree, read when
//! a run starts ([`CrateRecord`], recorded in `run.json` and shown by
//! `report` and `compare`).
//!
//! The commit is read at run time (`git -C <the crate's folder> rev-parse
//! HEAD`, with whether tracked files differ from it) rather than at build
//! time, because capturing it at build time needs a build script in the
//! user's crate; the cost is that a tree changed or committed after the
//! build is recorded as it is when the run starts (a changed tree is
//! marked `modified`).
//!
//! Owns: the capture and the record. Does not own: where it is written
//! (`results::RunMeta`) or shown (`report`).

use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The user's crate as the `iolab::lab!()` macro captures it in the user's
/// own binary: `CARGO_PKG_NAME`, `CARGO_PKG_VERSION` and
/// `CARGO_MANIFEST_DIR` at its compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserCrate {
    /// The package's name.
    pub name: &'static str,
    /// The package's version.
    pub version: &'static str,
    /// The folder of its `Cargo.toml`, where its git commit is looked up.
    pub source: &'static str,
}

/// What `run.json` records of the user's crate (`user_crate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrateRecord {
    /// The package's name.
    pub name: String,
    /// The package's version.
    pub version: String,
    /// The git commit its source folder is at (`None` outside a git tree
    /// or without git).
    #[serde(default)]
    pub commit: Option<String>,
    /// Whether tracked files of the tree differ from that commit.
    #[serde(default)]
    pub modified: bool,
}

impl std::fmt::Display for CrateRecord {
    /// `name version (commit abc123…, modified)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name, self.version)?;
        match &self.commit {
            Some(c) if self.modified => write!(f, " (commit {c}, modified)"),
            Some(c) => write!(f, " (commit {c})"),
            None => Ok(()),
        }
    }
}

static USER_CRATE: OnceLock<UserCrate> = OnceLock::new();

/// Note the user's crate (by `lab::Lab`, once per process).
pub(crate) fn set(user: UserCrate) {
    let _ = USER_CRATE.set(user);
}

/// The record of the user's crate for a run starting now, if the binary
/// named it (`iolab::lab!()`): its commit read from its source folder.
pub fn record() -> Option<CrateRecord> {
    let user = USER_CRATE.get()?;
    let commit = git(user.source, &["rev-parse", "HEAD"]);
    let modified = commit.is_some()
        && git(
            user.source,
            &["status", "--porcelain", "--untracked-files=no"],
        )
        .is_some_and(|s| !s.is_empty());
    Some(CrateRecord {
        name: user.name.to_string(),
        version: user.version.to_string(),
        commit,
        modified,
    })
}

/// `git -C dir args…`'s trimmed output, when it succeeds.
fn git(dir: &str, args: &[&str]) -> Option<String> {
    if !Path::new(dir).is_dir() {
        return None;
    }
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_as_name_version_and_commit() {
        let mut r = CrateRecord {
            name: "userlab".into(),
            version: "0.2.0".into(),
            commit: Some("abc".into()),
            modified: true,
        };
        assert_eq!(r.to_string(), "userlab 0.2.0 (commit abc, modified)");
        r.commit = None;
        assert_eq!(r.to_string(), "userlab 0.2.0");
    }

    #[test]
    fn this_crates_folder_gives_its_commit_where_git_is() {
        let commit = git(env!("CARGO_MANIFEST_DIR"), &["rev-parse", "HEAD"]);
        if let Some(c) = commit {
            assert_eq!(c.len(), 40, "{c}");
        } else {
            eprintln!("skipped: no git, or not a git tree");
        }
        assert_eq!(git("/nonexistent-folder", &["rev-parse", "HEAD"]), None);
    }
}
