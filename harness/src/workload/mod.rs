//! What one task does to one file: write, read, copy, append, atomic save,
//! stream lines, scan, random read — and how each run proves its data.
//!
//! For a workload of your own (the library API, [`mod@crate::lab`]): the trait
//! [`UserWorkload`], the repetition its task sees ([`Run`], [`Knobs`],
//! [`TaskContext`]), what tasks take ([`Tasks`]) and what a task and a run
//! return ([`TaskOutput`], [`Evidence`], [`RunCheck`]). The built-in
//! workloads and their dispatch are the binary's internals, hidden from
//! these docs (`docs/ARCHITECTURE.md`, "What is public and why").
//!
//! Each workload lives in its own module: its description
//! ([`crate::describe::WorkloadDesc`]), its spec (the knobs), how the spec
//! is built from a variant name and knob values, its task and its checks.
//! `registry` lists them once and dispatches `Workload` to them.
//!
//! A workload knows nothing about scheduling. It is async code against the
//! [`Io`](crate::io::Io) backend; a strategy decides how many lanes run tasks and on which
//! backend. Per-process state (`Shared`: a shared handle, a lock, a map) is
//! made by `Workload::prepare`, per-lane state (`Lane`) by the strategy.
//!
//! Verification happens after the timed region: each task may leave
//! [`TaskOutput::evidence`] (the bytes it kept, or a checksum or word fold
//! of the bytes it read and discarded) for `Workload::verify_tasks`, and
//! `Workload::verify_run` checks what the run left on disk (written files,
//! the appended file, saved targets, counts).
//!
//! The timed path allocates nothing the workload itself does not: a lane
//! reuses one I/O buffer (`Lane::take_buf`) across its tasks, and evidence
//! that a checksum proves as well as the bytes is kept as a checksum.

// First: `registry` defines the `variants!` macro the workloads use.
#[macro_use]
mod registry;

mod append;
mod atomic;
mod copy;
mod custom;
mod durability;
mod id;
mod knob;
mod large_read;
mod large_write;
mod metadata;
pub(crate) mod metric;
mod noop;
mod origin;
mod peers;
#[cfg(test)]
mod probe;
mod random;
mod rank_file;
mod read;
mod runner;
mod scan;
mod stream;
mod user;
mod write;

#[doc(hidden)]
pub use append::{AppendCounts, AppendSpec, AppendVariant};
#[doc(hidden)]
pub use atomic::{SaveSpec, SaveVariant};
#[doc(hidden)]
pub use copy::{CopyMethod, CopySpec};
pub(crate) use custom::{register, Erased};
#[doc(hidden)]
pub use custom::{CustomSpec, Prepared};
#[doc(hidden)]
pub use durability::Durability;
#[doc(hidden)]
pub use id::WorkloadId;
pub use knob::{Knob, KnobType};
#[doc(hidden)]
pub use large_read::{LargeReadSpec, LargeReadVariant};
#[doc(hidden)]
pub use large_write::{LargeWriteSpec, LargeWriteVariant};
#[doc(hidden)]
pub use metadata::{MetadataSpec, MetadataVariant};
#[doc(hidden)]
pub use metric::Tally;
pub use metric::{Acc, Figures, Metric, Rule, Totals, MAX_METRICS};
#[doc(hidden)]
pub use noop::NoopSpec;
#[doc(hidden)]
pub use origin::record as user_crate_record;
pub(crate) use origin::set as set_user_crate;
pub use origin::{CrateRecord, UserCrate};
pub use peers::{Peers, ReadBack};
#[doc(hidden)]
pub use random::{offset as random_offset, RandomEvidence, RandomMethod, RandomSpec};
#[doc(hidden)]
pub use rank_file::FileLayout;
#[doc(hidden)]
pub use read::{ReadMethod, ReadSpec};
#[doc(hidden)]
pub use registry::{build, describe, descriptions, kind, names, pick_variant};
pub(crate) use runner::{Task, TaskRunner, WithTasks};
#[doc(hidden)]
pub use scan::{ScanMethod, ScanSpec};
#[doc(hidden)]
pub use stream::StreamSpec;
pub use user::{Knobs, Run, UserWorkload};
#[doc(hidden)]
pub use write::{WriteSpec, CHUNK_SIZE, MAX_CHUNK};

// The registration list: each workload once, its variant name (the
// kebab-case of which is its serialized tag and must equal its
// description's name) and its spec type, declared in its own module.
workloads! {
    /// Load one whole corpus file into memory.
    Read(read::ReadSpec),
    /// Generate one file's CSV content and save it (the tutorials' "save").
    Write(write::WriteSpec),
    /// Copy one corpus file into the scratch directory.
    Copy(copy::CopySpec),
    /// Each task appends one line to a single shared file.
    Append(append::AppendSpec),
    /// Overwrite an existing file with new content, safely or not.
    AtomicSave(atomic::SaveSpec),
    /// Read the large file line by line, counting lines that hold a pattern.
    Stream(stream::StreamSpec),
    /// Read the large file end to end, counting its lines.
    Scan(scan::ScanSpec),
    /// Read fixed-size blocks at random aligned offsets of the large file.
    Random(random::RandomSpec),
    /// Write one large file per rank, or one shared file, in transfers (IOR's write).
    LargeWrite(large_write::LargeWriteSpec),
    /// Read back what a rank wrote before the region, its own or a neighbour's (IOR -r, -C, -Z).
    LargeRead(large_read::LargeReadSpec),
    /// Create, stat, open-close and unlink each task's own small files (mdtest).
    Metadata(metadata::MetadataSpec),
    /// A task that does nothing: the calibration of a strategy's dispatch cost.
    Noop(noop::NoopSpec),
    /// Test builds only: the workload `docs/ARCHITECTURE.md`'s recipe adds.
    #[cfg(test)]
    Probe(probe::ProbeSpec),
}

use std::io;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::corpus::Corpus;
use crate::io::Buf;

/// Where a run's inputs and outputs are. Serializable: worker processes get it
/// over their pipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskContext {
    /// The corpus directory (inputs).
    pub corpus_dir: PathBuf,
    /// Number of files in the corpus (file names are padded for it).
    pub files: u32,
    /// How the corpus spreads its files over folders; the files tasks
    /// write in the scratch folder follow it too (file `k` in the scratch
    /// folder's `shard-<k mod K>`, made before the timed region). Sent to
    /// worker processes so they compute the same paths; absent when flat.
    #[serde(default, skip_serializing_if = "crate::corpus::Folders::is_flat")]
    pub folders: crate::corpus::Folders,
    /// Files the per-file workloads use: the first this-many (all unless a
    /// scenario runs on a subset).
    pub used_files: u32,
    /// The first of the files in use (0 unless a rank works on a block of a
    /// shared corpus): per-file tasks are files `first_file .. first_file + used_files`.
    #[serde(default)]
    pub first_file: u32,
    /// The stonewall: take no new task this long after the timed region's
    /// start, then (with wear-out) catch up with the client that did most
    /// (`None`: run every task).
    #[serde(default)]
    pub stonewall: Option<crate::measure::Stonewall>,
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
    /// A user's input set (`--input`): its files' paths, sizes and xxh3 in
    /// task order, `corpus_dir` being its folder; `None` on the corpus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<std::sync::Arc<crate::corpus::InputFiles>>,
    /// This rank and every rank's host and scratch folder of this
    /// repetition (one rank: empty lists).
    #[serde(default)]
    pub peers: Peers,
}

impl TaskContext {
    /// The context for `corpus`, with outputs under `scratch`.
    pub fn new(corpus: &Corpus, scratch: &Path) -> TaskContext {
        let spec = &corpus.manifest.spec;
        TaskContext {
            corpus_dir: corpus.dir.clone(),
            files: spec.files,
            folders: spec.folders,
            used_files: spec.files,
            first_file: 0,
            stonewall: None,
            lines: spec.lines,
            values: spec.values,
            large_file: corpus.large_path(),
            large_bytes: corpus.manifest.large.as_ref().map_or(0, |l| l.bytes),
            scratch: scratch.to_path_buf(),
            inputs: corpus.inputs.clone(),
            peers: Peers::default(),
        }
    }

    /// The corpus (or input set) this context reads, as a worker process
    /// rebuilds it to verify its tasks: an input set from the context
    /// itself, a corpus from its manifest.
    ///
    /// # Errors
    /// The corpus's manifest cannot be read.
    pub fn corpus(&self) -> Result<Corpus, crate::corpus::CorpusError> {
        match &self.inputs {
            Some(set) => Ok(Corpus::of_input_files(self.corpus_dir.clone(), set.clone())),
            None => Corpus::open(&self.corpus_dir),
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

    /// Path of corpus file `k`.
    pub fn input(&self, k: u32) -> PathBuf {
        match &self.inputs {
            Some(set) => self.corpus_dir.join(&set.names[k as usize]),
            None => self
                .corpus_dir
                .join(crate::corpus::file_rel_path(k, self.files, self.folders)),
        }
    }

    /// Path of output file `k` in the scratch directory (in its
    /// subfolder `shard-<k mod K>` when the corpus is sharded).
    pub fn output(&self, k: u32) -> PathBuf {
        self.scratch
            .join(crate::corpus::file_rel_path(k, self.files, self.folders))
    }

    /// Path of the scratch file `name` that file or task `k` writes: in the
    /// scratch folder, or in its subfolder `shard-<k mod K>` when the
    /// corpus is sharded (the folder [`TaskContext::output`] uses).
    pub fn scratch_file(&self, k: u32, name: &str) -> PathBuf {
        self.scratch.join(self.folders.place(k, name))
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
    /// Data kept for `Workload::verify_tasks` after the timed region.
    pub evidence: Option<Evidence>,
    /// A user workload's own figures ([`Metric`]s it lists); none for the
    /// built-in workloads.
    pub metrics: Figures,
}

/// The evidence a lane kept, by task index, checked after the timed region
/// ([`registry::WorkloadSpec::verify_tasks`]).
pub(crate) type Kept = [(u32, Evidence)];

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
    /// Length and word fold (`sys::fold::words`) of the bytes read,
    /// where the workload discards them and a full hash would cost a
    /// noticeable share of the task (`random`'s 4 KiB reads). Proves that
    /// the task read that many bytes and that they are the expected ones
    /// up to what the fold cannot see: any change within one 8-byte word,
    /// a block from another offset, a shifted, short, zeroed or stale
    /// buffer all change it; changes to several words that cancel in the
    /// sums, or words swapped at the same position modulo 64 bytes, do not.
    Fold {
        /// Bytes read.
        len: u64,
        /// Their word fold.
        fold: u64,
    },
    /// Length and the first and last 8 bytes of what was read, where the
    /// workload discards the bytes untouched (`random` with `evidence =
    /// "ends"`, `read untouched`: the same work as fio and a bare `pread`
    /// loop). Proves the length and that both ends of the buffer hold the
    /// expected bytes (a wrong offset, a short, zeroed or stale buffer
    /// fail); nothing about the bytes between. `scan untouched` reads a
    /// segment in pieces and keeps here the ends of every piece, folded in
    /// order (its own `ChunkEnds`).
    Ends {
        /// Bytes read.
        len: u64,
        /// The first 8 bytes, little-endian (zero-padded when fewer).
        first: u64,
        /// The last 8 bytes, little-endian (zero-padded when fewer).
        last: u64,
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

    /// The fold evidence of `bytes` (cheap enough for the timed path of
    /// small reads; see [`Evidence::Fold`] for what it proves).
    pub fn fold_of(bytes: &[u8]) -> Evidence {
        Evidence::Fold {
            len: bytes.len() as u64,
            fold: crate::sys::fold::words(bytes),
        }
    }

    /// The ends evidence of `bytes` (two loads; see [`Evidence::Ends`]).
    #[inline]
    pub fn ends_of(bytes: &[u8]) -> Evidence {
        let (first, last) = end_words(bytes);
        Evidence::Ends {
            len: bytes.len() as u64,
            first,
            last,
        }
    }

    /// Whether this evidence shows exactly `expected` (length and content,
    /// as far as its kind can tell).
    pub fn matches(&self, expected: &[u8]) -> bool {
        match self {
            Evidence::Bytes(b) => b.as_slice() == expected,
            Evidence::Checksum { .. } => *self == Evidence::checksum_of(expected),
            Evidence::Fold { .. } => *self == Evidence::fold_of(expected),
            Evidence::Ends { .. } => *self == Evidence::ends_of(expected),
        }
    }

    /// Bytes the task read (cheap: no checksum is computed).
    pub fn byte_count(&self) -> u64 {
        match self {
            Evidence::Bytes(b) => b.len() as u64,
            Evidence::Checksum { len, .. }
            | Evidence::Fold { len, .. }
            | Evidence::Ends { len, .. } => *len,
        }
    }

    /// Length and xxh3 of what the task read (for kept bytes, computed now:
    /// call it only after the timed region); `None` for a fold or ends,
    /// which are no xxh3.
    pub fn summary(&self) -> Option<(u64, u64)> {
        match self {
            Evidence::Bytes(b) => Some((b.len() as u64, crate::corpus::checksum(b))),
            Evidence::Checksum { len, xxh3 } => Some((*len, *xxh3)),
            Evidence::Fold { .. } | Evidence::Ends { .. } => None,
        }
    }
}

/// The first and last 8 bytes of `bytes`, little-endian (zero-padded when
/// fewer): two loads, the rest of the bytes untouched.
#[inline]
pub(crate) fn end_words(bytes: &[u8]) -> (u64, u64) {
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(w)
    };
    let head = &bytes[..bytes.len().min(8)];
    let tail = &bytes[bytes.len().saturating_sub(8)..];
    (word(head), word(tail))
}

/// State shared by every task of one process: opened inside the timed region,
/// because a real program opens its shared handles too.
#[derive(Debug)]
#[doc(hidden)]
pub struct Shared<F> {
    /// A handle all tasks share (the append target, the large file).
    pub file: Option<F>,
    /// The lock of the `mutex` append variant.
    pub lock: Mutex<()>,
    /// A read-only map of the large file (mmap scan and random variants).
    pub map: Option<Mmap>,
    /// A user workload's implementation and repetition ([`UserWorkload`]).
    pub custom: Option<custom::Prepared>,
    /// The files a `write prepared` saves, rendered before the region.
    pub rendered: Option<std::sync::Arc<write::Rendered>>,
}

impl<F> Shared<F> {
    /// Nothing shared yet.
    pub(crate) fn empty() -> Shared<F> {
        Shared {
            file: None,
            lock: Mutex::new(()),
            map: None,
            custom: None,
            rendered: None,
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
#[doc(hidden)]
pub struct Lane<F> {
    /// The lane's own handle (buffered append variants).
    pub file: Option<F>,
    /// The lane's pending bytes (buffered append variants).
    pub buffer: Vec<u8>,
    /// The lane's I/O buffer, reused by every task of the lane (reads that
    /// discard their bytes, random blocks, copy chunks): allocated and zeroed
    /// once, at its largest size, never per task.
    io_buf: Option<Buf>,
    /// The fold of its tasks' figures (a user workload's metrics).
    pub(crate) tally: Tally,
}

impl<F> Default for Lane<F> {
    fn default() -> Self {
        Lane {
            file: None,
            buffer: Vec::new(),
            io_buf: None,
            tally: Tally::default(),
        }
    }
}

impl<F> Lane<F> {
    /// The lane's I/O buffer with a window of `len` bytes (grown, once, if it
    /// was smaller). Hand it back with [`Lane::put_buf`].
    #[inline]
    pub fn take_buf(&mut self, len: usize) -> Buf {
        let mut buf = self.io_buf.take().unwrap_or_default();
        buf.set_len(len);
        buf
    }

    /// The lane's I/O buffer as `len` writable bytes, lent in place (for an
    /// operation that is done before it returns: [`Io::read_at_now`](crate::io::Io::read_at_now)).
    #[inline]
    pub fn buf_mut(&mut self, len: usize) -> &mut [u8] {
        let buf = self.io_buf.get_or_insert_with(Buf::default);
        buf.set_len(len);
        buf.as_mut_slice()
    }

    /// Return the I/O buffer for the lane's next task.
    #[inline]
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

    /// Passed when `got` equals `expected`, else failed; either way the
    /// detail says what was compared.
    ///
    /// ```
    /// use iolab::workload::RunCheck;
    ///
    /// assert!(RunCheck::expect("lines", 1200, 1200).verified);
    /// assert_eq!(RunCheck::expect("lines", 1200, 1199).detail, "lines: 1199, expected 1200");
    /// ```
    pub fn expect(what: &str, expected: u64, got: u64) -> RunCheck {
        if got == expected {
            RunCheck::passed(format!("{what}: {got} as expected"))
        } else {
            RunCheck::failed(format!("{what}: {got}, expected {expected}"))
        }
    }
}

/// Human form of a byte count in binary units (`64KiB`, `4MiB`; `5000B`
/// when no unit divides it), for labels.
#[doc(hidden)]
pub fn size_label(bytes: usize) -> String {
    let n = bytes as u64;
    crate::describe::in_units(n).unwrap_or_else(|| format!("{n}B"))
}

/// What a workload's tasks take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tasks {
    /// One corpus file each: the files in use.
    PerFile,
    /// This many parts (segments, blocks) of the corpus's large file.
    OfLargeFile(u32),
    /// This many tasks of the workload's own (lines, no-ops).
    Count(u32),
}

impl Tasks {
    /// The task indices of one repetition on `ctx`: the files in use for
    /// per-file tasks, `0..n` otherwise.
    pub fn range(self, ctx: &TaskContext) -> std::ops::Range<u32> {
        match self {
            Tasks::PerFile => ctx.file_range(),
            Tasks::OfLargeFile(n) | Tasks::Count(n) => 0..n,
        }
    }
}

/// What of the corpus a built-in workload reads, declared once beside its
/// description ([`registry::WorkloadSpec::READS`]): the files whose cache
/// state a repetition sets, and whether a user's input set (`--input`) can
/// stand for the corpus.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reads {
    /// Each task its corpus file, the lane range's inputs: an input set
    /// can stand for the corpus.
    EachInput,
    /// The corpus's large file, whose known content it checks: an input
    /// set has no large file.
    LargeFile,
    /// Files of its own, never the corpus's: `why` an input set means
    /// nothing to it (after its name), and `cached`, where some, the file
    /// of task `k` whose cache state each repetition sets.
    Own {
        /// The refusal of an input set, after the workload's name.
        why: &'static str,
        /// The file of task `k` whose cache state is set, if any.
        cached: Option<fn(&TaskContext, u32) -> PathBuf>,
    },
}

impl Reads {
    /// The files whose cache state a repetition on `ctx` sets.
    pub(crate) fn inputs(self, ctx: &TaskContext) -> Vec<PathBuf> {
        match self {
            Reads::EachInput => ctx.file_range().map(|k| ctx.input(k)).collect(),
            Reads::LargeFile => ctx.large_file.iter().cloned().collect(),
            Reads::Own {
                cached: Some(file), ..
            } => ctx.file_range().map(|k| file(ctx, k)).collect(),
            Reads::Own { cached: None, .. } => Vec::new(),
        }
    }

    /// Why workload `name` cannot run on an input set, if it cannot.
    pub(crate) fn input_set_refusal(self, name: &str) -> Option<String> {
        match self {
            Reads::EachInput => None,
            Reads::LargeFile => Some(format!(
                "{name} reads the corpus's large file and checks its known content; an input set has no large file"
            )),
            Reads::Own { why, .. } => Some(format!("{name} {why}")),
        }
    }
}

/// The check of a stonewalled repetition for workloads whose check needs
/// every task: it cannot be made, and says so.
pub(crate) fn needs_every_task(name: &str, finished: usize, tasks: usize) -> RunCheck {
    RunCheck::failed(format!(
        "the stonewall stopped {name} after {finished} of {tasks} tasks; its check needs every task"
    ))
}

/// A corpus with a large file of about `bytes` bytes, and its context.
#[cfg(test)]
pub(crate) fn test_corpus(dir: &std::path::Path, files: u32, bytes: u64) -> (Corpus, TaskContext) {
    let spec = crate::corpus::CorpusSpec {
        files,
        lines: 20,
        values: 10,
        large_file_bytes: Some(bytes),
        folders: crate::corpus::Folders::Flat,
    };
    let (corpus, _, _lock) =
        Corpus::create_or_reuse(&dir.join("corpus"), &spec, &|_, _| {}).unwrap();
    let scratch = dir.join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let ctx = TaskContext::new(&corpus, &scratch);
    (corpus, ctx)
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

    #[test]
    fn fold_evidence_catches_one_flipped_byte_and_a_short_read() {
        let data: Vec<u8> = (0..4096u32).map(|i| (i % 253) as u8).collect();
        let e = Evidence::fold_of(&data);
        assert!(e.matches(&data));
        let mut flipped = data.clone();
        flipped[1_000] ^= 0x10;
        assert!(!e.matches(&flipped));
        assert!(!e.matches(&data[..4_095]));
        assert_eq!(e.byte_count(), 4096);
        assert_eq!(e.summary(), None);
    }
}
