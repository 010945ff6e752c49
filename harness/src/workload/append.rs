//! `append`: many tasks each append one line to a single shared file, with or
//! without coordination; verification counts intact, corrupted and missing
//! lines.

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::write::CHUNK_SIZE;
use super::{needs_every_task, Tasks};
use super::{Lane, Reads, RunCheck, Shared, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::describe::{
    Capability, KnobDesc, KnobError, KnobKind, KnobValues, VariantDesc, WorkloadDesc,
};
use crate::io::{Buf, Io, Open};

const LINES: KnobDesc = KnobDesc {
    key: "append_lines",
    kind: KnobKind::Count {
        min: 1,
        max: 10_000_000,
    },
    default: "10000",
    help: "lines appended (tasks) per repetition",
    variants: &[],
};

const BUFFER: KnobDesc = KnobDesc {
    key: "buffer",
    kind: CHUNK_SIZE,
    default: "4096",
    help: "bytes a lane buffers before each write",
    variants: &["unlocked-buffered"],
};

/// Knobs of `append`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppendSpec {
    /// How writers coordinate.
    pub variant: AppendVariant,
    /// Lines (= tasks) per repetition.
    pub lines: u32,
    /// Buffer capacity of the buffered variants, in bytes.
    pub buffer: usize,
}

impl WorkloadSpec for AppendSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "append",
        summary: "each task appends one line to a single shared file, with or without coordination",
        variants: AppendVariant::DESCS,
        knobs: &[LINES, BUFFER],
        reads: "",
        writes: "one shared file in the scratch folder",
        verifies: "intact, corrupted and missing lines of the appended file",
    };

    const READS: Reads = Reads::Own {
        why: "writes a file of its own and reads none",
        cached: None,
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let variant = AppendVariant::of(variant)?;
        Ok(AppendSpec {
            variant,
            lines: knobs.count(&LINES)?,
            buffer: knobs.size(&BUFFER)?,
        })
    }

    fn variant(&self) -> &'static str {
        self.variant.as_str()
    }

    fn label(&self) -> String {
        self.variant.as_str().to_string()
    }

    fn chunk_bytes(&self) -> Option<u64> {
        (self.variant == AppendVariant::UnlockedBuffered).then_some(self.buffer as u64)
    }

    fn tasks(&self) -> Tasks {
        Tasks::Count(self.lines)
    }

    fn keeps_evidence(&self) -> bool {
        false
    }

    fn setup_repetition(&self, ctx: &TaskContext) -> io::Result<()> {
        setup(ctx)
    }

    async fn prepare<I: Io>(&self, io: &I, ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        let mut shared = Shared::empty();
        shared.file = open_shared(self, io, ctx).await?;
        Ok(shared)
    }

    fn verify_run(&self, ctx: &TaskContext, _: &Corpus, _: u64, _: bool) -> RunCheck {
        verify(self, ctx)
    }

    fn verify_finished(&self, _: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        needs_every_task("append", finished.len(), self.lines as usize)
    }
}

impl TaskRunner for AppendSpec {
    fn task_path(&self, ctx: &TaskContext, _index: u32) -> PathBuf {
        target(ctx)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        run(self, io, task.ctx, task.shared, task.lane, task.index).await
    }

    async fn finish_lane<I: Io>(
        &self,
        io: &I,
        ctx: &TaskContext,
        lane: Lane<I::File>,
    ) -> io::Result<()> {
        finish_lane(self, io, ctx, lane).await
    }
}

variants! {
    /// How writers coordinate their appends.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum AppendVariant {
        /// One shared `O_APPEND` handle per process behind a mutex (Python's
        /// `threading.Lock`). Works within a process only.
        Mutex = VariantDesc {
            name: "mutex",
            help: "one shared O_APPEND handle per process behind a mutex",
            needs: &[],
        },
        /// Each write inside an exclusive `flock(2)` on the task's own handle, at
        /// the end found after locking: the lock that also works across processes.
        Flock = VariantDesc {
            name: "flock",
            help: "each write inside an exclusive flock(2): works across processes",
            needs: &[Capability::Flock],
        },
        /// One shared `O_APPEND` handle, no lock: each line is one `write(2)`,
        /// which the kernel appends atomically.
        OAppend = VariantDesc {
            name: "o-append",
            help: "one shared O_APPEND handle, no lock: one write(2) per line",
            needs: &[],
        },
        /// Each writer its own handle: find the end (`fstat`), write there. Two
        /// writers that find the same end overwrite each other: lost lines.
        UnlockedSeek = VariantDesc {
            name: "unlocked-seek",
            help: "each writer finds the end (fstat) and writes there: lost lines",
            needs: &[],
        },
        /// Each lane its own buffered `O_APPEND` handle that writes whenever its
        /// buffer is full, not at line ends, so pieces of lines interleave.
        UnlockedBuffered = VariantDesc {
            name: "unlocked-buffered",
            help:
                "each lane's buffered O_APPEND handle writes when `buffer` is full: torn lines",
            needs: &[],
        },
        /// Each lane buffers its lines and writes them once, at its end.
        PerWorkerMerge = VariantDesc {
            name: "per-worker-merge",
            help: "each lane buffers its lines and writes them once, at its end",
            needs: &[],
        },
    }
}

/// What the appended file held after a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendCounts {
    /// Lines exactly as written, each seen once.
    pub intact: u64,
    /// Lines that are not any expected line (torn or interleaved), or repeats.
    pub corrupted: u64,
    /// Expected lines not found.
    pub missing: u64,
}

fn target(ctx: &TaskContext) -> std::path::PathBuf {
    ctx.scratch.join("append.log")
}

/// Line `i`'s exact bytes: its number and a fixed payload, about 60 bytes,
/// like a log line.
pub fn line(i: u32) -> Vec<u8> {
    format!("{i:08},line-{i:08},abcdefghijklmnopqrstuvwxyz0123456789\n").into_bytes()
}

fn setup(ctx: &TaskContext) -> io::Result<()> {
    let path = target(ctx);
    crate::safefs::create_new(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    Ok(())
}

async fn open_shared<I: Io>(
    spec: &AppendSpec,
    io: &I,
    ctx: &TaskContext,
) -> io::Result<Option<I::File>> {
    match spec.variant {
        AppendVariant::Mutex | AppendVariant::OAppend => {
            Ok(Some(io.open(&target(ctx), Open::APPEND).await?))
        }
        AppendVariant::Flock
        | AppendVariant::UnlockedSeek
        | AppendVariant::UnlockedBuffered
        | AppendVariant::PerWorkerMerge => Ok(None),
    }
}

async fn run<I: Io>(
    spec: &AppendSpec,
    io: &I,
    ctx: &TaskContext,
    shared: &Shared<I::File>,
    lane: &mut Lane<I::File>,
    index: u32,
) -> io::Result<TaskOutput> {
    let text = line(index);
    let bytes = text.len() as u64;
    match spec.variant {
        AppendVariant::Mutex => {
            let _guard = shared.lock.lock().await;
            write_whole(io, shared.file()?, text).await?;
        }
        AppendVariant::OAppend => write_whole(io, shared.file()?, text).await?,
        AppendVariant::Flock => locked_append(&target(ctx), &text)?,
        AppendVariant::UnlockedSeek => {
            let file = io.open(&target(ctx), Open::WRITE).await?;
            let end = io.size(&file).await?;
            crate::io::write_all_at(io, &file, Buf::from_vec(text), end)
                .await
                .0?;
            io.close(file).await?;
        }
        AppendVariant::UnlockedBuffered => {
            if lane.file.is_none() {
                lane.file = Some(io.open(&target(ctx), Open::APPEND).await?);
            }
            lane.buffer.extend_from_slice(&text);
            while lane.buffer.len() >= spec.buffer.max(1) {
                let rest = lane.buffer.split_off(spec.buffer.max(1));
                let full = std::mem::replace(&mut lane.buffer, rest);
                if let Some(f) = &lane.file {
                    write_whole(io, f, full).await?;
                }
            }
        }
        AppendVariant::PerWorkerMerge => lane.buffer.extend_from_slice(&text),
    }
    Ok(TaskOutput {
        bytes,
        count: 1,
        evidence: None,
        ..TaskOutput::default()
    })
}

/// One `write(2)` of the whole line on an `O_APPEND` handle (a short write
/// would split the line; it is reported as an error, not retried elsewhere).
async fn write_whole<I: Io>(io: &I, file: &I::File, bytes: Vec<u8>) -> io::Result<()> {
    let len = bytes.len();
    let (res, _) = io.write(file, Buf::from_vec(bytes)).await;
    match res? {
        n if n == len => Ok(()),
        n => Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("short append: {n} of {len} bytes"),
        )),
    }
}

/// Open, take an exclusive `flock`, write at the end, unlock, close: blocking
/// calls, which is why this variant runs only under synchronous strategies.
fn locked_append(path: &std::path::Path, text: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::{FileExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
    let end = file.metadata()?.len();
    file.write_all_at(text, end)?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::Unlock)?;
    Ok(())
}

async fn finish_lane<I: Io>(
    spec: &AppendSpec,
    io: &I,
    ctx: &TaskContext,
    lane: Lane<I::File>,
) -> io::Result<()> {
    let Lane { file, buffer, .. } = lane;
    let file = match (spec.variant, file) {
        (AppendVariant::PerWorkerMerge, None) if !buffer.is_empty() => {
            Some(io.open(&target(ctx), Open::APPEND).await?)
        }
        (_, file) => file,
    };
    if let Some(f) = file {
        if !buffer.is_empty() {
            write_whole(io, &f, buffer).await?;
        }
        io.close(f).await?;
    }
    Ok(())
}

fn verify(spec: &AppendSpec, ctx: &TaskContext) -> RunCheck {
    let path = target(ctx);
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => return RunCheck::failed(format!("{}: {e}", path.display())),
    };
    let counts = count_lines(&data, spec.lines);
    let detail = format!(
        "{} intact, {} corrupted, {} missing of {} lines",
        counts.intact, counts.corrupted, counts.missing, spec.lines
    );
    RunCheck {
        verified: counts.intact == u64::from(spec.lines) && counts.corrupted == 0,
        detail,
        append: Some(counts),
        torn: None,
    }
}

/// Classify every line of `data` against the `expected` lines `0..expected`.
pub fn count_lines(data: &[u8], expected: u32) -> AppendCounts {
    let mut seen = HashSet::new();
    let mut counts = AppendCounts::default();
    for raw in data.split_inclusive(|b| *b == b'\n') {
        let number = std::str::from_utf8(&raw[..raw.len().min(8)])
            .ok()
            .and_then(|s| s.parse::<u32>().ok());
        match number {
            Some(i) if i < expected && raw == line(i).as_slice() && seen.insert(i) => {
                counts.intact += 1
            }
            _ => counts.corrupted += 1,
        }
    }
    counts.missing = u64::from(expected) - seen.len() as u64;
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_intact_corrupt_missing() {
        let mut data = line(0);
        data.extend(line(2));
        data.extend(b"0000000\n");
        data.extend(line(2));
        let c = count_lines(&data, 4);
        assert_eq!(
            c,
            AppendCounts {
                intact: 2,
                corrupted: 2,
                missing: 2
            }
        );
    }
}
