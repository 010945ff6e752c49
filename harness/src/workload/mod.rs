//! What one task does to one file: write, read, copy, append, atomic save,
//! stream lines, scan, random read — and how each run proves its data.
//!
//! A workload knows nothing about scheduling. It is async code against the
//! [`Io`] backend; a strategy decides how many lanes run tasks and on which
//! backend. Per-process state ([`Shared`]: a shared handle, a lock, a map) is
//! made by [`Workload::prepare`], per-lane state ([`Lane`]) by the strategy.
//!
//! Verification happens after the timed region: each task may leave
//! [`TaskOutput::evidence`] (the bytes it kept, or a checksum of the bytes it
//! read and discarded) for [`Workload::verify_task`], and
//! [`Workload::verify_run`] checks what the run left on disk (written files,
//! the appended file, saved targets, counts).
//!
//! The timed path allocates nothing the workload itself does not: a lane
//! reuses one I/O buffer ([`Lane::take_buf`]) across its tasks, and evidence
//! that a checksum proves as well as the bytes is kept as a checksum.

mod append;
mod atomic;
mod copy;
pub mod metadata;
mod noop;
mod random;
mod read;
mod scan;
mod spec;
mod stream;
mod write;

pub use append::{AppendCounts, AppendVariant};
pub use atomic::SaveVariant;
pub use copy::CopyMethod;
pub use metadata::{MetadataSpec, MetadataVariant};
pub use random::{offset as random_offset, RandomMethod};
pub use read::ReadMethod;
pub use scan::ScanMethod;
pub use spec::{
    AppendSpec, CopySpec, NoopSpec, RandomSpec, ReadSpec, SaveSpec, ScanSpec, StreamSpec, WriteSpec,
};

use std::io;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::corpus::Corpus;
use crate::io::{Buf, Io};

/// One workload with its knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "workload", rename_all = "kebab-case")]
pub enum Workload {
    /// Generate one file's CSV content and save it (the tutorials' "save").
    Write(WriteSpec),
    /// Load one whole corpus file into memory.
    Read(ReadSpec),
    /// Copy one corpus file into the scratch directory.
    Copy(CopySpec),
    /// Each task appends one line to a single shared file.
    Append(AppendSpec),
    /// Overwrite an existing file with new content, safely or not.
    AtomicSave(SaveSpec),
    /// Read the large file line by line, counting lines that hold a pattern.
    Stream(StreamSpec),
    /// Read the large file end to end, counting its lines.
    Scan(ScanSpec),
    /// Read fixed-size blocks at random aligned offsets of the large file.
    Random(RandomSpec),
    /// Create, stat, open-close and unlink a task's own empty files.
    Metadata(MetadataSpec),
    /// A task that does nothing: the calibration of a strategy's dispatch cost.
    Noop(NoopSpec),
}

/// Where a run's inputs and outputs are. Serializable: worker processes get it
/// over their pipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskContext {
    /// The corpus directory (inputs).
    pub corpus_dir: PathBuf,
    /// Number of files in the corpus (file names are padded for it).
    pub files: u32,
    /// Files the per-file workloads use: the first this-many (all unless a
    /// scenario runs on a subset).
    pub used_files: u32,
    /// The first of the files in use (0 unless a rank works on a block of a
    /// shared corpus): per-file tasks are files `first_file .. first_file + used_files`.
    #[serde(default)]
    pub first_file: u32,
    /// Stop taking new tasks at this `CLOCK_MONOTONIC` time in ns (the
    /// stonewall; `None`: run every task).
    #[serde(default)]
    pub stonewall_ns: Option<u64>,
    /// Lines per corpus file.
    pub lines: u32,
    /// Values per line.
    pub values: u32,
    /// The large single file, when the corpus has one.
    pub large_file: Option<PathBuf>,
    /// Its size in bytes (0 without one).
    pub large_bytes: u64,
    /// An iolab-marked directory for outputs, emptied before each repetition.
    pub scratch: PathBuf,
}

impl TaskContext {
    /// The context for `corpus`, with outputs under `scratch`.
    pub fn new(corpus: &Corpus, scratch: &Path) -> TaskContext {
        let spec = &corpus.manifest.spec;
        TaskContext {
            corpus_dir: corpus.dir.clone(),
            files: spec.files,
            used_files: spec.files,
            first_file: 0,
            stonewall_ns: None,
            lines: spec.lines,
            values: spec.values,
            large_file: corpus.large_path(),
            large_bytes: corpus.manifest.large.as_ref().map_or(0, |l| l.bytes),
            scratch: scratch.to_path_buf(),
        }
    }

    /// This context with the per-file workloads limited to the first
    /// `files` corpus files (`None` or more than the corpus holds: all).
    pub fn on_first_files(&self, files: Option<u32>) -> TaskContext {
        TaskContext {
            used_files: files.map_or(self.files, |n| n.min(self.files)),
            ..self.clone()
        }
    }

    /// This context limited to the `count` files from `first` of the files
    /// in use (a rank's block of a shared corpus).
    pub fn on_block(&self, first: u32, count: u32) -> TaskContext {
        let first = first.min(self.used_files);
        TaskContext {
            first_file: self.first_file + first,
            used_files: count.min(self.used_files - first),
            ..self.clone()
        }
    }

    /// The per-file workloads' files (and task indices).
    pub fn file_range(&self) -> std::ops::Range<u32> {
        self.first_file..self.first_file + self.used_files
    }

    /// Whether the stonewall has passed: no new task may start.
    pub fn past_stonewall(&self) -> bool {
        self.stonewall_ns
            .is_some_and(|d| crate::measure::monotonic_ns() >= d)
    }

    /// Path of corpus file `k`.
    pub fn input(&self, k: u32) -> PathBuf {
        self.corpus_dir
            .join(crate::corpus::file_name(k, self.files))
    }

    /// Path of output file `k` in the scratch directory.
    pub fn output(&self, k: u32) -> PathBuf {
        self.scratch.join(crate::corpus::file_name(k, self.files))
    }

    /// The large file, or an error saying the corpus needs one.
    pub fn large(&self) -> io::Result<&Path> {
        self.large_file.as_deref().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "corpus {} has no large file (create it with --large-file SIZE)",
                    self.corpus_dir.display()
                ),
            )
        })
    }
}

/// What one task did.
#[derive(Debug, Default)]
pub struct TaskOutput {
    /// Payload bytes read or written.
    pub bytes: u64,
    /// A count the run sums and checks (lines, matches); 0 where unused.
    pub count: u64,
    /// Data kept for [`Workload::verify_task`] after the timed region.
    pub evidence: Option<Evidence>,
}

/// What a task leaves behind to prove its data, checked after the timed region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The bytes themselves, where the workload keeps them anyway (`read`
    /// `whole` and `buffered`: the tutorials' "load into memory").
    Bytes(Vec<u8>),
    /// Length and xxh3 of the bytes read, where the workload discards them:
    /// proves the same as the bytes without keeping or copying them.
    Checksum {
        /// Bytes read.
        len: u64,
        /// Their xxh3-64.
        xxh3: u64,
    },
}

impl Evidence {
    /// The checksum evidence of `bytes`.
    pub fn checksum_of(bytes: &[u8]) -> Evidence {
        Evidence::Checksum {
            len: bytes.len() as u64,
            xxh3: crate::corpus::checksum(bytes),
        }
    }

    /// Whether this evidence shows exactly `expected` (length and content).
    pub fn matches(&self, expected: &[u8]) -> bool {
        match self {
            Evidence::Bytes(b) => b.as_slice() == expected,
            Evidence::Checksum { .. } => *self == Evidence::checksum_of(expected),
        }
    }

    /// Bytes the task read (cheap: no checksum is computed).
    pub fn byte_count(&self) -> u64 {
        match self {
            Evidence::Bytes(b) => b.len() as u64,
            Evidence::Checksum { len, .. } => *len,
        }
    }

    /// Length and xxh3 of what the task read (for kept bytes, computed now:
    /// call it only after the timed region).
    pub fn summary(&self) -> (u64, u64) {
        match self {
            Evidence::Bytes(b) => (b.len() as u64, crate::corpus::checksum(b)),
            Evidence::Checksum { len, xxh3 } => (*len, *xxh3),
        }
    }
}

/// State shared by every task of one process: opened inside the timed region,
/// because a real program opens its shared handles too.
#[derive(Debug)]
pub struct Shared<F> {
    /// A handle all tasks share (the append target, the large file).
    pub file: Option<F>,
    /// The lock of the `mutex` append variant.
    pub lock: Mutex<()>,
    /// A read-only map of the large file (mmap scan and random variants).
    pub map: Option<Mmap>,
}

impl<F> Shared<F> {
    fn empty() -> Shared<F> {
        Shared {
            file: None,
            lock: Mutex::new(()),
            map: None,
        }
    }

    fn file(&self) -> io::Result<&F> {
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::other("shared handle missing: prepare() was not run"))
    }
}

/// State of one lane (one worker thread, process thread or async lane).
#[derive(Debug)]
pub struct Lane<F> {
    /// The lane's own handle (buffered append variants).
    pub file: Option<F>,
    /// The lane's pending bytes (buffered append variants).
    pub buffer: Vec<u8>,
    /// The lane's I/O buffer, reused by every task of the lane (reads that
    /// discard their bytes, random blocks, copy chunks): allocated and zeroed
    /// once, at its largest size, never per task.
    io_buf: Option<Buf>,
}

impl<F> Default for Lane<F> {
    fn default() -> Self {
        Lane {
            file: None,
            buffer: Vec::new(),
            io_buf: None,
        }
    }
}

impl<F> Lane<F> {
    /// The lane's I/O buffer with a window of `len` bytes (grown, once, if it
    /// was smaller). Hand it back with [`Lane::put_buf`].
    pub fn take_buf(&mut self, len: usize) -> Buf {
        let mut buf = self.io_buf.take().unwrap_or_default();
        buf.set_len(len);
        buf
    }

    /// Return the I/O buffer for the lane's next task.
    pub fn put_buf(&mut self, buf: Buf) {
        self.io_buf = Some(buf);
    }
}

/// The result of checking a repetition's data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunCheck {
    /// Whether every check passed.
    pub verified: bool,
    /// What failed (empty when verified), or a short account of what was checked.
    pub detail: String,
    /// Line counts of the append workload.
    pub append: Option<AppendCounts>,
    /// Targets of an atomic save that were neither wholly old nor wholly new.
    pub torn: Option<u64>,
}

impl RunCheck {
    /// A passed check with a note of what was checked.
    pub fn passed(detail: impl Into<String>) -> RunCheck {
        RunCheck {
            verified: true,
            detail: detail.into(),
            ..RunCheck::default()
        }
    }

    /// A failed check saying why.
    pub fn failed(detail: impl Into<String>) -> RunCheck {
        RunCheck {
            verified: false,
            detail: detail.into(),
            ..RunCheck::default()
        }
    }
}

impl Workload {
    /// Short name: `write`, `read`, `copy`, `append`, `atomic-save`, `stream`, `scan`, `random`.
    pub fn name(&self) -> &'static str {
        match self {
            Workload::Write(_) => "write",
            Workload::Read(_) => "read",
            Workload::Copy(_) => "copy",
            Workload::Append(_) => "append",
            Workload::AtomicSave(_) => "atomic-save",
            Workload::Stream(_) => "stream",
            Workload::Scan(_) => "scan",
            Workload::Random(_) => "random",
            Workload::Metadata(_) => "metadata",
            Workload::Noop(_) => "noop",
        }
    }

    /// The variant and knobs, as a short label (e.g. `chunk=64KiB,fsync`).
    pub fn variant_label(&self) -> String {
        match self {
            Workload::Write(s) => s.label(),
            Workload::Read(s) => s.label(),
            Workload::Copy(s) => s.label(),
            Workload::Append(s) => s.label(),
            Workload::AtomicSave(s) => s.label(),
            Workload::Stream(s) => s.label(),
            Workload::Scan(s) => s.label(),
            Workload::Random(s) => s.label(),
            Workload::Metadata(s) => s.label(),
            Workload::Noop(s) => s.label(),
        }
    }

    /// The chunk or buffer size knob in bytes, where the variant has one.
    pub fn chunk_bytes(&self) -> Option<u64> {
        let bytes = match self {
            Workload::Write(s) => s.chunk?,
            Workload::Read(s) => match s.method {
                ReadMethod::Buffered { buffer } => buffer,
                ReadMethod::Whole | ReadMethod::Discard => return None,
            },
            Workload::Copy(s) => match s.method {
                CopyMethod::Chunked { chunk } => chunk,
                CopyMethod::Kernel => return None,
            },
            Workload::Append(s) if s.variant == AppendVariant::UnlockedBuffered => s.buffer,
            Workload::Stream(s) => s.buffer,
            Workload::Scan(s) => match s.method {
                ScanMethod::Read { chunk } | ScanMethod::Direct { chunk } => chunk,
                _ => return None,
            },
            Workload::Random(s) => s.block as usize,
            _ => return None,
        };
        Some(bytes as u64)
    }

    /// Why this workload cannot run on this machine, if it cannot: the
    /// filesystem refusing `O_DIRECT` for the direct scan. Recorded as
    /// `unavailable`, not as a failure.
    pub fn unavailable(&self, ctx: &TaskContext) -> Option<String> {
        let Workload::Scan(ScanSpec {
            method: ScanMethod::Direct { .. },
            ..
        }) = self
        else {
            return None;
        };
        let path = ctx.large_file.as_ref()?;
        match crate::sys::cache::open_direct(path) {
            Ok(_) => None,
            Err(e) => Some(format!(
                "O_DIRECT unavailable: {} refused it ({e})",
                path.display()
            )),
        }
    }

    /// Whether its tasks leave [`Evidence`] (so lanes reserve room for it).
    pub fn keeps_evidence(&self) -> bool {
        matches!(self, Workload::Read(_) | Workload::Random(_))
    }

    /// Whether the workload needs the corpus's large file.
    pub fn needs_large_file(&self) -> bool {
        matches!(
            self,
            Workload::Stream(_) | Workload::Scan(_) | Workload::Random(_)
        )
    }

    /// Whether it maps files into memory, which only the synchronous strategies
    /// can do (a page fault is not an operation a ring or a pool can submit).
    pub fn uses_mmap(&self) -> bool {
        match self {
            Workload::Scan(s) => matches!(s.method, ScanMethod::Mmap | ScanMethod::MmapSequential),
            Workload::Random(s) => s.method == RandomMethod::Mmap,
            _ => false,
        }
    }

    /// Whether it needs a blocking call the [`Io`] backends do not offer
    /// (`flock`), so it cannot run on an event loop.
    pub fn needs_blocking_calls(&self) -> bool {
        matches!(self, Workload::Append(s) if s.variant == AppendVariant::Flock)
    }

    /// Whether each task takes one corpus file (so a run can be limited to
    /// the first N files).
    pub fn per_file(&self) -> bool {
        matches!(
            self,
            Workload::Write(_)
                | Workload::Read(_)
                | Workload::Copy(_)
                | Workload::AtomicSave(_)
                | Workload::Metadata(_)
        )
    }

    /// How many tasks one repetition has.
    pub fn tasks(&self, ctx: &TaskContext) -> u32 {
        self.task_range(ctx).len() as u32
    }

    /// The task indices of one repetition: the files in use for per-file
    /// workloads, `0..n` otherwise.
    pub fn task_range(&self, ctx: &TaskContext) -> std::ops::Range<u32> {
        match self {
            Workload::Write(_)
            | Workload::Read(_)
            | Workload::Copy(_)
            | Workload::AtomicSave(_)
            | Workload::Metadata(_) => ctx.file_range(),
            Workload::Append(s) => 0..s.lines,
            Workload::Stream(s) => 0..s.segments,
            Workload::Scan(s) => 0..s.segments,
            Workload::Random(s) => 0..s.reads,
            Workload::Noop(s) => 0..s.tasks,
        }
    }

    /// Files whose cache state the repetition controls (warm or cold) and
    /// whose residency is measured before timing.
    pub fn inputs(&self, ctx: &TaskContext) -> Vec<PathBuf> {
        match self {
            Workload::Read(_) | Workload::Copy(_) => {
                ctx.file_range().map(|k| ctx.input(k)).collect()
            }
            Workload::AtomicSave(_) => ctx.file_range().map(|k| atomic::target(ctx, k)).collect(),
            Workload::Stream(_) | Workload::Scan(_) | Workload::Random(_) => {
                ctx.large_file.iter().cloned().collect()
            }
            Workload::Write(_)
            | Workload::Append(_)
            | Workload::Metadata(_)
            | Workload::Noop(_) => Vec::new(),
        }
    }

    /// The file task `index` writes or reads, named in its error messages.
    pub fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf {
        match self {
            Workload::Write(_) | Workload::Copy(_) => ctx.output(index),
            Workload::Read(_) => ctx.input(index),
            Workload::AtomicSave(_) => atomic::target(ctx, index),
            Workload::Append(_) => append::target(ctx),
            Workload::Stream(_) | Workload::Scan(_) | Workload::Random(_) => ctx
                .large_file
                .clone()
                .unwrap_or_else(|| ctx.corpus_dir.clone()),
            Workload::Metadata(_) => metadata::path(ctx, index, 0),
            Workload::Noop(_) => ctx.corpus_dir.clone(),
        }
    }

    /// Whether the cache state of inputs means anything for this workload
    /// (it does not for write and append, which read nothing).
    pub fn inputs_matter(&self) -> bool {
        !matches!(
            self,
            Workload::Write(_) | Workload::Append(_) | Workload::Metadata(_) | Workload::Noop(_)
        )
    }

    /// Make the scratch state a repetition starts from (outside the timed
    /// region): the empty append target, the old versions of save targets.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn setup_repetition(&self, ctx: &TaskContext) -> io::Result<()> {
        match self {
            Workload::Append(_) => append::setup(ctx),
            Workload::AtomicSave(_) => atomic::setup(ctx),
            Workload::Metadata(s) => metadata::setup(s, ctx),
            _ => Ok(()),
        }
    }

    /// Per-process shared state, made inside the timed region.
    ///
    /// # Errors
    /// I/O errors opening the shared handle or map.
    pub async fn prepare<I: Io>(&self, io: &I, ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        let mut shared = Shared::empty();
        match self {
            Workload::Append(s) => shared.file = append::open_shared(s, io, ctx).await?,
            Workload::Stream(_) | Workload::Random(_) | Workload::Scan(_) => {
                if self.uses_mmap() {
                    shared.map = scan::map_large(
                        ctx,
                        matches!(self, Workload::Scan(s) if s.method == ScanMethod::MmapSequential),
                    )?;
                } else {
                    let direct = matches!(self, Workload::Scan(s) if matches!(s.method, ScanMethod::Direct { .. }));
                    shared.file = Some(scan::open_large(io, ctx, direct).await?);
                }
            }
            _ => {}
        }
        Ok(shared)
    }

    /// Run task `index`.
    ///
    /// # Errors
    /// The I/O error that stopped the task.
    pub async fn run_task<I: Io>(
        &self,
        io: &I,
        ctx: &TaskContext,
        shared: &Shared<I::File>,
        lane: &mut Lane<I::File>,
        index: u32,
    ) -> io::Result<TaskOutput> {
        match self {
            Workload::Write(s) => write::run(s, io, ctx, index).await,
            Workload::Read(s) => read::run(s, io, ctx, lane, index).await,
            Workload::Copy(s) => copy::run(s, io, ctx, lane, index).await,
            Workload::Append(s) => append::run(s, io, ctx, shared, lane, index).await,
            Workload::AtomicSave(s) => atomic::run(s, io, ctx, index).await,
            Workload::Stream(s) => stream::run(s, io, ctx, shared.file()?, index).await,
            Workload::Scan(s) => scan::run(s, io, ctx, shared, index).await,
            Workload::Random(s) => random::run(s, io, ctx, shared, lane, index).await,
            Workload::Metadata(s) => metadata::run(s, io, ctx, index).await,
            Workload::Noop(_) => Ok(noop::run(index)),
        }
    }

    /// A lane has no more tasks: flush what it holds (the buffered append
    /// variants write their remainder here, inside the timed region).
    ///
    /// # Errors
    /// The I/O error of the final write or close.
    pub async fn finish_lane<I: Io>(
        &self,
        io: &I,
        ctx: &TaskContext,
        lane: Lane<I::File>,
    ) -> io::Result<()> {
        match self {
            Workload::Append(s) => append::finish_lane(s, io, ctx, lane).await,
            _ => Ok(()),
        }
    }

    /// Release the shared state (closing the shared handle, inside the timed region).
    ///
    /// # Errors
    /// The error of `close`.
    pub async fn finish<I: Io>(&self, io: &I, shared: Shared<I::File>) -> io::Result<()> {
        match shared.file {
            Some(f) => io.close(f).await,
            None => Ok(()),
        }
    }

    /// Check one task's evidence (after the timed region, in the process that
    /// holds it). `Err` says what is wrong.
    pub fn verify_task(
        &self,
        ctx: &TaskContext,
        corpus: &Corpus,
        index: u32,
        evidence: &Evidence,
    ) -> Result<(), String> {
        match self {
            Workload::Read(_) => read::verify(corpus, index, evidence),
            Workload::Random(s) => random::verify(s, ctx, index, evidence),
            _ => Ok(()),
        }
    }

    /// Check what the repetition left behind, given the sum of the tasks'
    /// counts and whether the writers were killed mid-run. Runs after the
    /// timed region.
    pub fn verify_run(
        &self,
        ctx: &TaskContext,
        corpus: &Corpus,
        count_sum: u64,
        interrupted: bool,
    ) -> RunCheck {
        match self {
            Workload::Write(_) | Workload::Copy(_) => {
                write::verify_outputs(ctx, corpus, ctx.file_range().collect())
            }
            Workload::Read(_) | Workload::Random(_) => RunCheck::passed("task evidence checked"),
            Workload::Noop(s) => noop::verify(s, count_sum),
            Workload::Append(s) => append::verify(s, ctx),
            Workload::AtomicSave(_) => atomic::verify(ctx, interrupted),
            Workload::Stream(s) => stream::verify(s, ctx, count_sum),
            Workload::Scan(_) => scan::verify(corpus, count_sum),
            Workload::Metadata(s) => metadata::verify(s, ctx, count_sum, |_| true),
        }
    }
}

impl Workload {
    /// Check what a repetition stopped by the stonewall left behind: only
    /// the `finished` tasks ran, so outputs are checked for those alone; the
    /// workloads whose check needs every task (a line count, every append,
    /// every target) cannot be checked and say so.
    pub fn verify_finished(
        &self,
        ctx: &TaskContext,
        corpus: &Corpus,
        finished: Vec<u32>,
    ) -> RunCheck {
        match self {
            Workload::Write(_) | Workload::Copy(_) => write::verify_outputs(ctx, corpus, finished),
            Workload::Read(_) | Workload::Random(_) => RunCheck::passed("task evidence checked"),
            Workload::Noop(_) => {
                RunCheck::passed(format!("{} noop tasks finished", finished.len()))
            }
            Workload::Metadata(s) => {
                let finished: std::collections::HashSet<u32> = finished.into_iter().collect();
                metadata::verify(s, ctx, 0, |task| finished.contains(&task))
            }
            Workload::Append(_)
            | Workload::AtomicSave(_)
            | Workload::Stream(_)
            | Workload::Scan(_) => RunCheck::failed(format!(
                "the stonewall stopped {} after {} of {} tasks; its check needs every task",
                self.name(),
                finished.len(),
                self.tasks(ctx)
            )),
        }
    }
}

/// Human form of a byte count in binary units (`64KiB`, `4MiB`), for labels.
pub fn size_label(bytes: usize) -> String {
    const UNITS: [(usize, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{}{name}", bytes / unit);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_evidence_catches_one_flipped_byte_and_a_short_read() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 256) as u8).collect();
        let e = Evidence::checksum_of(&data);
        assert!(e.matches(&data));
        let mut flipped = data.clone();
        flipped[5_000] ^= 1;
        assert!(!e.matches(&flipped));
        assert!(!e.matches(&data[..9_999]));
        assert_eq!(e.byte_count(), 10_000);
        assert_eq!(Evidence::Bytes(data.clone()).summary(), e.summary());
    }
}
