//! The files `iolab tune` writes and reads: the profile as
//! `<profiles>/<host>-<YYYY-MM-DD>.toml` and the same as `.json` (this
//! module), and the sweep's `tuning.json` ([`record`]). Does not own what a
//! profile holds (`super::profile`) or the sweep's run folders
//! (`super::sweep::folder`).

pub mod record;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::profile::{Profile, PROFILE_FORMAT, PROFILE_VERSION};

impl Profile {
    /// The profile as TOML.
    ///
    /// # Errors
    /// Serialisation errors (a value TOML cannot hold).
    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string(self)?)
    }

    /// The profile as pretty JSON with a final newline.
    ///
    /// # Errors
    /// Serialisation errors.
    pub fn to_json(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}

/// Parse a profile from TOML or JSON text (by `path`'s extension: `.json`
/// is JSON, anything else TOML) and check its format and version.
///
/// # Errors
/// A missing key, a wrong format or a newer version, naming `path`.
pub fn parse(path: &Path, text: &str) -> anyhow::Result<Profile> {
    let json = path.extension().is_some_and(|e| e == "json");
    let profile: Profile = if json {
        serde_json::from_str(text).with_context(|| format!("parsing {} as JSON", path.display()))?
    } else {
        toml::from_str(text).with_context(|| format!("parsing {} as TOML", path.display()))?
    };
    if profile.format != PROFILE_FORMAT {
        anyhow::bail!(
            "{}: format is {:?}, an iolab profile has {PROFILE_FORMAT:?}",
            path.display(),
            profile.format
        );
    }
    if profile.version > PROFILE_VERSION {
        anyhow::bail!(
            "{}: profile version {} is newer than this iolab reads ({PROFILE_VERSION}); update iolab",
            path.display(),
            profile.version
        );
    }
    Ok(profile)
}

/// The most iolab reads of a profile file (a profile is a few KiB).
pub const PROFILE_MAX_BYTES: u64 = 16 << 20;

/// Read a profile file (`.toml` or `.json`): a regular file, not through a
/// link, at most [`PROFILE_MAX_BYTES`] ([`crate::safefs::read_file`]).
///
/// # Errors
/// A file that cannot be read or parsed, or is not a regular file, naming it.
pub fn load(path: &Path) -> anyhow::Result<Profile> {
    let bytes = crate::safefs::read_file(path, PROFILE_MAX_BYTES)?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("reading profile {}: not UTF-8 text", path.display()))?;
    parse(path, &text)
}

/// The file stem of a profile: `<host>-<date>`, the host name reduced to
/// letters, digits, `.`, `_` and `-`.
pub fn file_stem(hostname: &str, date: &str) -> String {
    let host: String = hostname
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let host = if host.is_empty() { "host".into() } else { host };
    format!("{host}-{date}")
}

/// Write `profile` as `<dir>/<stem>.toml` and `.json`, where the stem is
/// [`file_stem`] of the host and the date of `created_at` (and `-on-` and
/// the storage, for a profile of a storage other than the data folder:
/// each storage has its own profiles), with `-2`, `-3` …
/// appended when that name is taken (an earlier profile of the same day is
/// kept, to compare with). Returns the two paths.
///
/// # Errors
/// When the folder or a file cannot be written, naming it.
pub fn write(profile: &Profile, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    fs::create_dir_all(dir)
        .with_context(|| format!("creating profile folder {}", dir.display()))?;
    let date = profile.created_at.get(..10).unwrap_or("undated");
    let mut stem = file_stem(&profile.machine.hostname, date);
    let storage = profile.settings.storage;
    if !storage.is_data_dir() {
        let safe: String = storage
            .to_string()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        stem = format!("{stem}-on-{safe}");
    }
    let (toml_path, json_path) = (1..)
        .map(|n| {
            if n == 1 {
                stem.clone()
            } else {
                format!("{stem}-{n}")
            }
        })
        .map(|s| (dir.join(format!("{s}.toml")), dir.join(format!("{s}.json"))))
        .find(|(t, j)| !t.exists() && !j.exists())
        .unwrap_or_else(|| {
            (
                dir.join(format!("{stem}.toml")),
                dir.join(format!("{stem}.json")),
            )
        });
    crate::results::write_atomically(&toml_path, profile.to_toml()?.as_bytes())?;
    crate::results::write_atomically(&json_path, profile.to_json()?.as_bytes())?;
    Ok((toml_path, json_path))
}

/// The most recent profile (by `created_at`) of `hostname` on `storage`
/// in `dir` other than `except`; unreadable files are passed over.
pub fn previous(
    dir: &Path,
    (hostname, storage): (&str, crate::storage::Storage),
    except: &Path,
) -> Option<(PathBuf, Profile)> {
    let entries = fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p != except)
        .filter_map(|p| Some((p.clone(), load(&p).ok()?)))
        .filter(|(_, prof)| prof.machine.hostname == hostname && prof.settings.storage == storage)
        .max_by(|a, b| a.1.created_at.cmp(&b.1.created_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("a b/c", "2026-01-02"), "a_b_c-2026-01-02");
        assert_eq!(file_stem("", "2026-01-02"), "host-2026-01-02");
    }
}
