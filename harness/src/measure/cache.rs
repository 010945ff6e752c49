//! Cache state before timing: warm (every input read once) or cold (page
//! cache dropped system-wide when root, else each input evicted with
//! `posix_fadvise(DONTNEED)`), and a check with `mincore` of what share of the
//! inputs is really resident when timing starts.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sys;

/// The page-cache state a scenario asks for, written in results as `warm`
/// or `cold` (its [`Display`](fmt::Display) and serde text are the same);
/// ordered warm before cold, as reports show them.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum CacheState {
    /// Every input read once before timing (the default).
    #[default]
    Warm,
    /// Inputs evicted from the page cache before timing.
    Cold,
}

impl CacheState {
    /// `warm` or `cold`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CacheState::Warm => "warm",
            CacheState::Cold => "cold",
        }
    }
}

impl fmt::Display for CacheState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// How the cold state is made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColdMethod {
    /// drop_caches when permitted, else fadvise.
    #[default]
    Auto,
    /// Only `/proc/sys/vm/drop_caches` (fails when not root).
    DropCaches,
    /// Only per-file `posix_fadvise(DONTNEED)`, as an unprivileged user would.
    Fadvise,
}

/// How the cache state was actually made, recorded in each row as
/// `pre-read`, `drop-caches`, `fadvise` or `none` (serde and
/// [`Display`](fmt::Display) give the same text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheMethod {
    /// Inputs read once.
    PreRead,
    /// `/proc/sys/vm/drop_caches`.
    DropCaches,
    /// `posix_fadvise(DONTNEED)` per input.
    Fadvise,
    /// The workload has no inputs to warm or evict (write, append).
    None,
}

impl CacheMethod {
    /// Name as written in results.
    pub fn as_str(&self) -> &'static str {
        match self {
            CacheMethod::PreRead => "pre-read",
            CacheMethod::DropCaches => "drop-caches",
            CacheMethod::Fadvise => "fadvise",
            CacheMethod::None => "none",
        }
    }
}

impl fmt::Display for CacheMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Put `inputs` into `state`.
///
/// # Errors
/// I/O errors naming the file, or drop_caches refused under
/// [`ColdMethod::DropCaches`].
pub fn prepare(
    state: CacheState,
    method: ColdMethod,
    inputs: &[PathBuf],
) -> io::Result<CacheMethod> {
    if inputs.is_empty() {
        return Ok(CacheMethod::None);
    }
    match state {
        CacheState::Warm => {
            inputs.par_iter().try_for_each(|p| read_through(p))?;
            Ok(CacheMethod::PreRead)
        }
        CacheState::Cold => {
            if method != ColdMethod::Fadvise {
                match sys::cache::drop_system_caches() {
                    Ok(()) => return Ok(CacheMethod::DropCaches),
                    Err(why) if method == ColdMethod::DropCaches => {
                        return Err(io::Error::other(why.0))
                    }
                    Err(_) => {}
                }
            }
            inputs.par_iter().try_for_each(|p| {
                open(p).and_then(|f| sys::cache::evict(&f).map_err(|e| with_path(e, p)))
            })?;
            Ok(CacheMethod::Fadvise)
        }
    }
}

/// Open an input as iolab opens every file it reads
/// ([`crate::safefs::open_file`]: never through a link, never blocking on a
/// FIFO that took a verified member's place); the error names it.
fn open(path: &Path) -> io::Result<File> {
    crate::safefs::open_file(path).map_err(|e| io::Error::other(e.to_string()))
}

fn read_through(path: &Path) -> io::Result<()> {
    let mut file = open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    while file.read(&mut buf).map_err(|e| with_path(e, path))? > 0 {}
    Ok(())
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Percentage of the inputs' pages resident in the page cache now (`None`
/// without inputs).
///
/// # Errors
/// I/O errors naming the file.
pub fn resident_percent(inputs: &[PathBuf]) -> io::Result<Option<f64>> {
    if inputs.is_empty() {
        return Ok(None);
    }
    let (resident, total) = inputs
        .par_iter()
        .map(|p| open(p).and_then(|f| sys::memory::resident_pages(&f).map_err(|e| with_path(e, p))))
        .try_reduce(|| (0, 0), |a, b| Ok((a.0 + b.0, a.1 + b.1)))?;
    Ok(Some(if total == 0 {
        100.0
    } else {
        100.0 * resident as f64 / total as f64
    }))
}

/// A warning when the measured residency contradicts the requested state:
/// more than 5 % resident on a cold start, less than 95 % on a warm one.
pub fn residency_warning(state: CacheState, resident_pct: Option<f64>) -> Option<String> {
    let pct = resident_pct?;
    match state {
        CacheState::Cold if pct > 5.0 => {
            Some(format!("cold run started with {pct:.1}% of its inputs cached: the cache could not be emptied"))
        }
        CacheState::Warm if pct < 95.0 => {
            Some(format!("warm run started with only {pct:.1}% of its inputs cached: memory pressure evicted them"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fadvise_makes_a_file_cold_and_preread_makes_it_warm() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![5u8; 1 << 20]).unwrap();
        let inputs = vec![path];
        assert_eq!(
            prepare(CacheState::Cold, ColdMethod::Fadvise, &inputs).unwrap(),
            CacheMethod::Fadvise
        );
        let cold = resident_percent(&inputs).unwrap().unwrap();
        prepare(CacheState::Warm, ColdMethod::Auto, &inputs).unwrap();
        let warm = resident_percent(&inputs).unwrap().unwrap();
        assert_eq!(warm, 100.0);
        if cold > 5.0 {
            eprintln!("note: fadvise left {cold:.0}% resident (tmpfs or overlay keeps pages)");
        }
        assert!(cold <= warm);
    }

    #[test]
    fn warnings_follow_thresholds() {
        assert!(residency_warning(CacheState::Cold, Some(50.0)).is_some());
        assert!(residency_warning(CacheState::Cold, Some(1.0)).is_none());
        assert!(residency_warning(CacheState::Warm, Some(80.0)).is_some());
        assert!(residency_warning(CacheState::Warm, None).is_none());
    }
}
