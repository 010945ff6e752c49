//! An external command, run once per repetition through `sh -c` and timed
//! like the rest: reference Python programs, `cp -r`, fio.
//!
//! Placeholders: `{corpus}` (corpus directory), `{dest}` (scratch directory),
//! `{workers}`, `{files}` (files to use: the first N of the corpus),
//! `{lines}`, `{large}` (the large file). Paths are pasted as single shell
//! words, quoted ([`shell_word`]), so a folder named `my data` or
//! `x$(touch y)` stays one argument and runs nothing. A command
//! that only reads reports what it read on stdout as `bytes=N` and, for line
//! counts, `count=N`; iolab checks those against the manifest.
//!
//! A command that exits with a failure status or dies by a signal (a
//! crash) fails its repetition with that status and its last line of
//! stderr. When the command's shell exits, whatever it started and left
//! running in its process group is killed, so nothing outlives the
//! repetition and no leftover holding its pipes keeps the run waiting.

use std::fmt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::registry::{Shape, StrategySpec, WORKERS};
use super::{end_of_work, start_meter, Execution, Job, StrategyError};
use crate::corpus::Corpus;
use crate::describe::{Capability, KnobDesc, KnobError, KnobKind, KnobValues, StrategyDesc};
use crate::interrupt;
use crate::workload::{TaskContext, Workload};

/// `path` as one word of `sh`: as it is when it holds only characters the
/// shell leaves alone, else quoted (by the `shlex` crate, which is tested
/// against dash, bash and busybox).
///
/// # Errors
/// A path that is not UTF-8 (the template is text) or holds a NUL byte.
pub fn shell_word(path: &Path) -> Result<String, String> {
    let text = path.to_str().ok_or_else(|| {
        format!(
            "{} is not UTF-8, so it cannot be pasted into a command template",
            path.display()
        )
    })?;
    shlex::try_quote(text)
        .map(|w| w.into_owned())
        .map_err(|e| format!("{text:?} cannot be pasted into a command template: {e}"))
}

/// The template with its placeholders filled in.
///
/// # Errors
/// A path [`shell_word`] cannot quote.
pub fn expand(template: &str, workers: u32, ctx: &TaskContext) -> Result<String, StrategyError> {
    let word = |p: &Path| shell_word(p).map_err(StrategyError::Failed);
    let large = match &ctx.large_file {
        Some(p) => word(p)?,
        None => String::new(),
    };
    Ok(template
        .replace("{corpus}", &word(&ctx.corpus_dir)?)
        .replace("{dest}", &word(&ctx.scratch)?)
        .replace("{workers}", &workers.to_string())
        .replace("{files}", &ctx.used_files.to_string())
        .replace("{lines}", &ctx.lines.to_string())
        .replace("{large}", &large))
}

const TEMPLATE: KnobDesc = KnobDesc {
    key: "command",
    kind: KnobKind::Text,
    default: "",
    help: "the command template (required); {corpus} {dest} {workers} {files} {lines} {large} are filled in",
    variants: &[],
};

/// `command`: an external command run once per repetition; placeholders
/// `{corpus}`, `{dest}`, `{workers}`, `{files}`, `{large}` are filled in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CommandSpec {
    /// Shell command template.
    pub template: String,
    /// Value of `{workers}`.
    pub workers: u32,
}

impl StrategySpec for CommandSpec {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "command",
        aliases: &[],
        summary: "an external command run once per repetition through `sh -c`, timed like the rest",
        knobs: &[WORKERS, TEMPLATE],
        lacks: &[
            (
                Capability::Tasks,
                "an external command has no tasks to dispatch",
            ),
            (
                Capability::Mmap,
                "the external command decides how it reads",
            ),
        ],
        kills_workers: false,
        calibration_tasks: None,
        colour: (86, 180, 233),
    };

    fn build(knobs: &KnobValues) -> Result<Self, KnobError> {
        let template = knobs.text(&TEMPLATE)?.ok_or_else(|| KnobError {
            key: TEMPLATE.key,
            value: "nothing".into(),
            allowed: "the command strategy needs a command template".into(),
        })?;
        Ok(CommandSpec {
            template,
            workers: knobs.count(&WORKERS)?,
        })
    }

    fn slug(&self) -> String {
        format!("command-{}-{}", command_name(&self.template), self.workers)
    }

    fn shape(&self) -> Shape {
        Shape {
            workers: self.workers,
            processes: 1,
            threads_per_process: 1,
            batch: None,
            program: Some(command_name(&self.template)),
        }
    }

    fn execute(&self, job: Job<'_>) -> Result<Execution, StrategyError> {
        run(&self.template, self.workers, job)
    }

    fn refuses(&self, workload: &Workload) -> Option<String> {
        (workload.durability() == Some(crate::workload::Durability::Each)).then(|| format!(
            "command cannot run {} with durability each: an external command writes its files its own way, so iolab cannot fsync each of them; use durability none or end-sync",
            workload.name()
        ))
    }
}

impl fmt::Display for CommandSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "command({}, {})",
            command_name(&self.template),
            self.workers
        )
    }
}

fn run(template: &str, workers: u32, job: Job<'_>) -> Result<Execution, StrategyError> {
    let Job {
        workload,
        ctx,
        corpus,
        gate,
        ..
    } = job;
    let line = expand(template, workers, ctx)?;
    let meter = start_meter(gate);
    // Its own process group: a Ctrl-C at the terminal reaches iolab only,
    // and a second signal kills the command with its children.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&line)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| StrategyError::Failed(format!("running `{line}`: {e}")))?;
    let group = interrupt::track(child.id());
    let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let status = child
        .wait()
        .map_err(|e| StrategyError::Failed(format!("running `{line}`: {e}")))?;
    // Nothing the command started outlives it (a leftover holding the
    // pipes open would otherwise keep the repetition waiting for it).
    kill_leftovers(child.id());
    drop(group);
    let synced = end_of_work(workload, ctx);
    let usage = meter.stop();
    let output = std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut exec = Execution {
        usage,
        ..Execution::default()
    };
    exec.lane_done.push(usage.wall);
    exec.bytes = match reported(&stdout, "bytes=") {
        Some(bytes) => bytes,
        // What write and copy leave is checked file by file against the
        // manifest after the run, so their payload is known without a report.
        None if matches!(workload, Workload::Write(_) | Workload::Copy(_)) => {
            used_bytes(ctx, corpus)
        }
        None => 0,
    };
    exec.count_sum = reported(&stdout, "count=").unwrap_or(0);
    if let Err(e) = synced {
        exec.task_errors.push(e.to_string());
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("").trim().to_string();
        if let Some(reason) = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("iolab-skip:"))
        {
            return Err(StrategyError::Unavailable(reason.trim().to_string()));
        }
        let last = match last.is_empty() {
            true => String::new(),
            false => format!(": {last}"),
        };
        exec.task_errors
            .push(format!("`{line}` exited with {}{last}", output.status));
    }
    if let Some(problem) = check_reported(workload, ctx, corpus, exec.bytes) {
        exec.evidence_failures.push(problem);
    }
    Ok(exec)
}

/// Read `pipe` to its end on a thread of its own (both pipes drain at once,
/// so a command that fills one is never blocked by the other).
fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// `SIGKILL` what is left of the process group the command led (it was
/// started with `process_group(0)`, so the group's id is its pid): called
/// right after the command was waited for, when the group's id is still
/// reserved by any member left. An empty group is fine (`ESRCH`).
fn kill_leftovers(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Bytes of the corpus files the run uses.
fn used_bytes(ctx: &TaskContext, corpus: &Corpus) -> u64 {
    corpus
        .manifest
        .files
        .iter()
        .skip(ctx.first_file as usize)
        .take(ctx.used_files as usize)
        .map(|f| f.size)
        .sum()
}

/// The last `key=N` value on stdout.
fn reported(stdout: &str, key: &str) -> Option<u64> {
    stdout
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix(key)?.trim().parse().ok())
}

/// Read-only workloads leave nothing on disk, so the command's own report of
/// the bytes it loaded is checked against the manifest.
fn check_reported(
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
    bytes: u64,
) -> Option<String> {
    let expected = match workload {
        Workload::Read(_) => used_bytes(ctx, corpus),
        Workload::Scan(_) => ctx.large_bytes,
        _ => return None,
    };
    (bytes != expected)
        .then(|| format!("the command reported bytes={bytes}, the corpus holds {expected}"))
}

/// The name a command template goes by in ids: the stem of the first
/// script (`.py`, `.sh`, `.pl`, `.rb`, `.js`), else of the first word that is
/// not an interpreter, an option, a placeholder or an assignment
/// (`python3 …/save_process_pool.py {corpus}` → `save_process_pool`,
/// `cp -r {corpus} {dest}` → `cp`).
pub fn command_name(template: &str) -> String {
    const INTERPRETERS: [&str; 8] = [
        "sh", "bash", "env", "python", "python3", "node", "perl", "exec",
    ];
    const SCRIPTS: [&str; 5] = [".py", ".sh", ".pl", ".rb", ".js"];
    let words: Vec<&str> = template
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '\'' || c == '"'))
        .filter(|w| {
            !w.contains('=') && !w.starts_with('-') && (!w.starts_with('{') || w.contains('/'))
        })
        .collect();
    if let Some(script) = words
        .iter()
        .find(|w| SCRIPTS.iter().any(|x| w.ends_with(x)))
    {
        let file = script.rsplit('/').next().unwrap_or(script);
        return file
            .rsplit_once('.')
            .map_or(file, |(stem, _)| stem)
            .to_string();
    }
    let mut first = None;
    for w in words {
        let file = w.rsplit('/').next().unwrap_or(w);
        let stem = file.split('.').next().unwrap_or(file);
        first.get_or_insert(stem);
        if !INTERPRETERS.contains(&stem) && !stem.is_empty() {
            return stem.to_string();
        }
    }
    first.unwrap_or("sh").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_one_quoted_word() {
        assert_eq!(shell_word(Path::new("/work/data")).unwrap(), "/work/data");
        let w = shell_word(Path::new("/d/données ü $(touch pwned)")).unwrap();
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s|' {w}"))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "/d/données ü $(touch pwned)|"
        );
        let w = shell_word(Path::new("/it's")).unwrap();
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s|' {w}"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "/it's|");
    }

    #[test]
    fn a_path_that_is_not_utf8_is_refused() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"/d/\xff"));
        assert!(shell_word(p).unwrap_err().contains("not UTF-8"));
    }
}
