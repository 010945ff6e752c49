//! fio as a real subprocess: finding it, the job of each shared pattern as
//! an argument vector (never a shell line), the paths fio would misread,
//! and its JSON report.
//!
//! Owns: fio's options and output format. Does not own: the cache state or
//! the scratch folder fio runs in (`session`), statistics (`crate::stats`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use super::pattern::{Pattern, BLOCK, CHUNK, READS};
use crate::corpus::Corpus;

/// Folder of the scratch folder holding hard links to the corpus's data
/// files: fio's `--opendir` then sees exactly the data files.
pub const LINKS_DIR: &str = "fio-links";
/// Folder of the scratch folder fio writes its files into.
pub const WRITE_DIR: &str = "fio-write";

/// What a missing fio is recorded as.
pub const NOT_INSTALLED: &str = "unavailable: fio not installed";

/// The `fio` executable on `PATH`, if there is one.
pub fn locate() -> Option<PathBuf> {
    crate::sys::program::find("fio")
}

/// `fio --version`, e.g. `fio-3.33`.
///
/// # Errors
/// fio does not start or prints nothing.
pub fn version(program: &Path) -> Result<String, String> {
    let out = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match text.is_empty() {
        true => Err(format!("{} --version printed nothing", program.display())),
        false => Ok(text),
    }
}

/// `path` as fio must be given it, or why it cannot be: fio splits file and
/// folder names at `:` (several files or folders in one option), treats `\`
/// as the escape of that `:` and expands `$` variables, so a path holding
/// any of them, a control character or bytes that are not UTF-8 is refused.
///
/// # Errors
/// One line naming the path and the character.
pub fn safe_path(path: &Path) -> Result<String, String> {
    let text = path.to_str().ok_or_else(|| {
        format!(
            "fio cannot be given {}: it is not UTF-8; calibrate with a --data-dir (or --dir) \
             whose path is",
            path.display()
        )
    })?;
    match text
        .chars()
        .find(|c| matches!(c, ':' | '\\' | '$') || c.is_control())
    {
        Some(c) => Err(format!(
            "fio cannot be given {text:?}: fio reads {c:?} in a file name as a separator, \
             escape or variable (':' separates names, '\\' escapes, '$' expands); calibrate \
             with a --data-dir (or --dir) whose path has no ':', '\\', '$' or control characters"
        )),
        None => Ok(text.to_string()),
    }
}

/// One fio job: the arguments (without the program) and the bytes it must
/// move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The pattern it runs.
    pub pattern: Pattern,
    /// Arguments, each one argv entry.
    pub args: Vec<String>,
    /// Bytes fio reads or writes when it does the whole job.
    pub expected_bytes: u64,
    /// Bytes per I/O.
    pub block: u64,
}

impl Job {
    /// The job as one line a user can paste (arguments single-quoted).
    pub fn command_line(&self) -> String {
        let quoted = self
            .args
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")));
        std::iter::once("fio".to_string())
            .chain(quoted)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// fio's job for `pattern` on `corpus`, writing (the write pattern) only
/// under `scratch`.
///
/// Every job: one process, `psync` (`pread`/`pwrite`), queue depth 1,
/// buffered, `invalidate=0` (fio would otherwise drop the cache iolab set),
/// `fadvise_hint=0` (iolab gives the kernel no access hints either).
///
/// # Errors
/// A path fio would misread ([`safe_path`]).
pub fn job(pattern: Pattern, corpus: &Corpus, scratch: &Path, seed: u64) -> Result<Job, String> {
    let mut args: Vec<String> = [
        format!("--name=iolab-{}", pattern.name()),
        "--ioengine=psync".into(),
        "--iodepth=1".into(),
        "--numjobs=1".into(),
        "--direct=0".into(),
        "--invalidate=0".into(),
        "--fadvise_hint=0".into(),
        "--output-format=json".into(),
    ]
    .into();
    let large = corpus.manifest.large.as_ref().map_or(0, |l| l.bytes);
    let (expected_bytes, block) = match pattern {
        Pattern::LargeRead | Pattern::RandomRead => {
            let file = safe_path(&corpus.dir.join(crate::corpus::LARGE_FILE_NAME))?;
            args.push(format!("--filename={file}"));
            args.push(format!("--size={large}"));
            large_job(pattern, large, seed, &mut args)
        }
        Pattern::ManyFiles => {
            let block = files_block(corpus);
            args.extend([
                format!("--opendir={}", safe_path(&scratch.join(LINKS_DIR))?),
                "--rw=read".into(),
                format!("--bs={block}"),
                "--file_service_type=sequential".into(),
                "--openfiles=1".into(),
            ]);
            let whole = corpus.manifest.files.iter().map(|f| f.size / block * block);
            (whole.sum(), block)
        }
        Pattern::Write => {
            let files = corpus.manifest.files.len().max(1) as u64;
            let data: u64 = corpus.manifest.files.iter().map(|f| f.size).sum();
            let each = (data / files).max(1);
            args.extend([
                format!("--directory={}", safe_path(&scratch.join(WRITE_DIR))?),
                "--rw=write".into(),
                format!("--nrfiles={files}"),
                format!("--filesize={each}"),
                format!("--size={}", each * files),
                format!("--bs={each}"),
                "--file_service_type=sequential".into(),
                "--openfiles=1".into(),
                "--create_on_open=1".into(),
                "--fallocate=none".into(),
            ]);
            (each * files, each)
        }
    };
    Ok(Job {
        pattern,
        args,
        expected_bytes,
        block,
    })
}

/// The large-file options: sequential 1 MiB reads of every whole chunk, or
/// [`READS`] random 4 KiB reads, seeded, blocks may repeat (as iolab's).
fn large_job(pattern: Pattern, large: u64, seed: u64, args: &mut Vec<String>) -> (u64, u64) {
    if pattern == Pattern::RandomRead {
        let bytes = u64::from(READS) * u64::from(BLOCK);
        args.extend([
            "--rw=randread".into(),
            format!("--bs={BLOCK}"),
            format!("--io_size={bytes}"),
            "--norandommap".into(),
            format!("--randseed={seed}"),
        ]);
        return (bytes, u64::from(BLOCK));
    }
    let chunk = CHUNK as u64;
    args.extend(["--rw=read".into(), format!("--bs={chunk}")]);
    (large / chunk * chunk, chunk)
}

/// fio's block for the many-files read: fio issues whole blocks only, so
/// the largest power of two not above the smallest data file (at most
/// [`CHUNK`]): every file gives at least one block and at least half its
/// bytes.
fn files_block(corpus: &Corpus) -> u64 {
    let smallest = corpus.manifest.files.iter().map(|f| f.size).min();
    let smallest = smallest.unwrap_or(1).clamp(1, CHUNK as u64);
    1 << smallest.ilog2()
}

/// What fio reported for one job.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Bytes read or written.
    pub bytes: u64,
    /// fio's runtime of the job, milliseconds (fio's resolution).
    pub runtime_ms: u64,
    /// I/Os issued.
    pub ios: u64,
}

impl Outcome {
    /// Throughput in MB/s (10^6 bytes per second) over fio's runtime.
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / (self.runtime_ms as f64 / 1e3)
    }
}

/// Run `job` with `program` (no shell, stdin closed) and read its report.
///
/// # Errors
/// fio does not start, exits non-zero (its first error line), reports a job
/// error, or prints no JSON report.
pub fn run(program: &Path, job: &Job) -> Result<Outcome, String> {
    parse(&output(program, &job.args)?, job.pattern)
}

/// Run `program` with `args` (no shell, stdin closed): its standard
/// output.
///
/// # Errors
/// fio does not start or exits non-zero (its first error line).
pub fn output(program: &Path, args: &[String]) -> Result<String, String> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let out = Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("starting {}: {e}", program.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!("fio exited with {}: {first}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// fio's `--output-format=json` report in `stdout`, as `T`. fio may print
/// notices (`fio: opendir added 1000 files`) before the report, so parsing
/// starts at the first line that opens a JSON object.
///
/// # Errors
/// No report, or one that does not parse as `T`.
pub fn report_json<T: serde::de::DeserializeOwned>(stdout: &str) -> Result<T, String> {
    let start = stdout
        .match_indices('{')
        .map(|(i, _)| i)
        .find(|&i| i == 0 || stdout[..i].ends_with('\n'))
        .ok_or("fio printed no JSON report")?;
    serde_json::from_str(&stdout[start..])
        .map_err(|e| format!("fio's JSON report does not parse: {e}"))
}

/// fio's JSON report (the parts iolab reads).
#[derive(Debug, Deserialize)]
struct Report {
    jobs: Vec<JobReport>,
}

#[derive(Debug, Deserialize)]
struct JobReport {
    jobname: String,
    error: i64,
    read: Direction,
    write: Direction,
}

#[derive(Debug, Deserialize)]
struct Direction {
    io_bytes: u64,
    runtime: u64,
    total_ios: u64,
}

/// Parse fio's `--output-format=json` output for `pattern`'s direction
/// ([`report_json`]).
///
/// # Errors
/// No report, a report of no job, a job error, or a runtime of 0 ms (too
/// short for fio's millisecond clock).
pub fn parse(stdout: &str, pattern: Pattern) -> Result<Outcome, String> {
    let report: Report = report_json(stdout)?;
    let job = report.jobs.first().ok_or("fio's report holds no job")?;
    if job.error != 0 {
        return Err(format!(
            "fio job {} failed with error {}",
            job.jobname, job.error
        ));
    }
    let d = match pattern {
        Pattern::Write => &job.write,
        Pattern::LargeRead | Pattern::RandomRead | Pattern::ManyFiles => &job.read,
    };
    if d.runtime == 0 {
        return Err(format!(
            "fio moved {} bytes in under 1 ms, too short for its millisecond clock: use a larger corpus",
            d.io_bytes
        ));
    }
    Ok(Outcome {
        bytes: d.io_bytes,
        runtime_ms: d.runtime,
        ios: d.total_ios,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/fio-randread.json");

    #[test]
    fn parses_a_captured_report_after_notices() {
        let stdout = format!("fio: opendir added 3 files\n{FIXTURE}");
        let o = parse(&stdout, Pattern::RandomRead).unwrap();
        assert_eq!(o.bytes, 40_960_000);
        assert_eq!(o.ios, 10_000);
        assert!(o.runtime_ms > 0);
        let mb = o.mb_per_s();
        assert!((mb - o.bytes as f64 / 1e3 / o.runtime_ms as f64).abs() < 1e-9);
    }

    #[test]
    fn the_write_direction_of_a_read_report_is_empty() {
        let err = parse(FIXTURE, Pattern::Write).unwrap_err();
        assert!(err.contains("under 1 ms"), "{err}");
    }

    #[test]
    fn no_report_and_a_job_error_are_errors() {
        assert_eq!(
            parse("fio: oops\n", Pattern::LargeRead).unwrap_err(),
            "fio printed no JSON report"
        );
        let failed = FIXTURE.replacen("\"error\" : 0", "\"error\" : 5", 1);
        let err = parse(&failed, Pattern::RandomRead).unwrap_err();
        assert!(err.contains("error 5"), "{err}");
    }

    #[test]
    fn paths_fio_would_misread_are_refused() {
        assert_eq!(safe_path(Path::new("/data/a b")).unwrap(), "/data/a b");
        for bad in ["/data/a:b", "/data/a\\b", "/data/$HOME", "/data/a\nb"] {
            let err = safe_path(Path::new(bad)).unwrap_err();
            assert!(err.starts_with("fio cannot be given"), "{bad}: {err}");
        }
    }

    #[test]
    fn command_lines_quote_every_argument() {
        let job = Job {
            pattern: Pattern::Write,
            args: vec!["--name=x".into(), "--filename=/a b/it's".into()],
            expected_bytes: 0,
            block: 1,
        };
        assert_eq!(
            job.command_line(),
            "fio '--name=x' '--filename=/a b/it'\\''s'"
        );
    }
}
