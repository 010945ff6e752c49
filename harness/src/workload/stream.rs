//! `stream`: read the large file line by line in constant memory, counting
//! the lines that contain a pattern. The buffer size is the knob; a buffer of
//! one byte is the unbuffered line read (one `read(2)` per byte, as an
//! unbuffered `readline` does).
//!
//! The file is cut into segments, one task each; a line belongs to the segment
//! holding its first byte, so the segments' counts add up to the file's.

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use memchr::memmem::Finder;
use serde::{Deserialize, Serialize};

use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::scan::{large_path, open_large, SEGMENTS};
use super::write::CHUNK_SIZE;
use super::{needs_every_task, Tasks};
use super::{size_label, Reads, RunCheck, Shared, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{Buf, Io};

const BUFFER: KnobDesc = KnobDesc {
    key: "buffer",
    kind: CHUNK_SIZE,
    default: "64KiB",
    help: "bytes per read call",
    variants: &["buffered"],
};

const PATTERN: KnobDesc = KnobDesc {
    key: "pattern",
    kind: KnobKind::Text,
    default: "777",
    help: "a line matches when it contains this text",
    variants: &[],
};

/// Knobs of `stream`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamSpec {
    /// Bytes per read; 1 reads a byte at a time (unbuffered line reads).
    pub buffer: usize,
    /// A line matches when it contains this text.
    pub pattern: String,
    /// The file is cut into this many line-aligned segments, one task each.
    pub segments: u32,
}

variants! {
    /// The variants of `stream`.
    pub enum StreamVariant {
        /// Reads of `buffer` bytes.
        Buffered = VariantDesc {
            name: "buffered",
            help: "reads of `buffer` bytes, lines split in user space",
            needs: &[],
        },
        /// One `read(2)` per byte (a buffer of 1).
        Unbuffered = VariantDesc {
            name: "unbuffered",
            help: "one read(2) per byte, as an unbuffered readline does",
            needs: &[],
        },
    }
}

impl WorkloadSpec for StreamSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "stream",
        summary: "read the large file line by line in constant memory, counting lines that contain a pattern",
        variants: StreamVariant::DESCS,
        knobs: &[BUFFER, PATTERN, SEGMENTS],
        reads: "the large file",
        writes: "",
        verifies: "the matching lines counted against a plain buffered reader's count",
    };

    const READS: Reads = Reads::LargeFile;

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(StreamSpec {
            buffer: match StreamVariant::of(variant)? {
                StreamVariant::Buffered => knobs.size(&BUFFER)?,
                StreamVariant::Unbuffered => 1,
            },
            pattern: knobs.text(&PATTERN)?.unwrap_or_default(),
            segments: knobs.count(&SEGMENTS)?,
        })
    }

    fn variant(&self) -> &'static str {
        match self.buffer {
            1 => StreamVariant::Unbuffered,
            _ => StreamVariant::Buffered,
        }
        .as_str()
    }

    fn label(&self) -> String {
        if self.buffer == 1 {
            "unbuffered".into()
        } else {
            format!("buffer={}", size_label(self.buffer))
        }
    }

    fn chunk_bytes(&self) -> Option<u64> {
        Some(self.buffer as u64)
    }

    fn tasks(&self) -> Tasks {
        Tasks::OfLargeFile(self.segments)
    }

    fn keeps_evidence(&self) -> bool {
        false
    }

    async fn prepare<I: Io>(&self, io: &I, ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        let mut shared = Shared::empty();
        shared.file = Some(open_large(io, ctx, false).await?);
        Ok(shared)
    }

    fn verify_run(&self, ctx: &TaskContext, _: &Corpus, count_sum: u64, _: bool) -> RunCheck {
        verify(self, ctx, count_sum)
    }

    fn verify_finished(&self, _: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        needs_every_task("stream", finished.len(), self.segments as usize)
    }
}

impl TaskRunner for StreamSpec {
    fn task_path(&self, ctx: &TaskContext, _index: u32) -> PathBuf {
        large_path(ctx)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        run(self, io, task.ctx, task.shared.file()?, task.index).await
    }
}

/// Segment `index`'s byte range (lines starting in it are its own).
fn segment(size: u64, segments: u32, index: u32) -> (u64, u64) {
    let per = size.div_ceil(u64::from(segments.max(1)));
    let start = (per * u64::from(index)).min(size);
    (start, (start + per).min(size))
}

async fn run<I: Io>(
    spec: &StreamSpec,
    io: &I,
    ctx: &TaskContext,
    file: &I::File,
    index: u32,
) -> io::Result<TaskOutput> {
    let (start, end) = segment(ctx.large_bytes, spec.segments, index);
    if start >= end {
        return Ok(TaskOutput::default());
    }
    let finder = Finder::new(spec.pattern.as_bytes());
    let mut skipping = start > 0 && !starts_line(io, file, start).await?;
    let mut carry: Vec<u8> = Vec::new();
    let mut buf = Buf::zeroed(spec.buffer.max(1));
    let (mut pos, mut matches) = (start, 0u64);
    'read: loop {
        buf.set_len(spec.buffer.max(1));
        let (res, back) = io.read_at(file, buf, pos).await;
        buf = back;
        let n = res?;
        if n == 0 {
            matches += u64::from(!skipping && !carry.is_empty() && finder.find(&carry).is_some());
            break;
        }
        let data = &buf.as_slice()[..n];
        let mut i = 0;
        while let Some(nl) = memchr::memchr(b'\n', &data[i..]) {
            let line_end = i + nl;
            if skipping {
                skipping = false;
            } else if carry.is_empty() {
                matches += u64::from(finder.find(&data[i..line_end]).is_some());
            } else {
                carry.extend_from_slice(&data[i..line_end]);
                matches += u64::from(finder.find(&carry).is_some());
                carry.clear();
            }
            i = line_end + 1;
            if pos + i as u64 >= end {
                break 'read;
            }
        }
        if !skipping {
            carry.extend_from_slice(&data[i..]);
        }
        pos += n as u64;
    }
    Ok(TaskOutput {
        bytes: pos.min(ctx.large_bytes) - start,
        count: matches,
        evidence: None,
        ..TaskOutput::default()
    })
}

/// Whether a line starts at `offset` (the byte before it is a newline).
async fn starts_line<I: Io>(io: &I, file: &I::File, offset: u64) -> io::Result<bool> {
    let (res, buf) = io.read_at(file, Buf::zeroed(1), offset - 1).await;
    Ok(res? == 1 && buf.as_slice()[0] == b'\n')
}

/// Matching lines of the whole file, counted once per file and pattern by a
/// plain buffered reader (outside any timed region) and remembered.
fn expected_matches(path: &PathBuf, pattern: &str) -> io::Result<u64> {
    static MEMO: OnceLock<Mutex<HashMap<(PathBuf, String), u64>>> = OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    let key = (path.clone(), pattern.to_string());
    if let Some(n) = memo
        .lock()
        .map_err(|_| io::Error::other("poisoned memo"))?
        .get(&key)
    {
        return Ok(*n);
    }
    let finder = Finder::new(pattern.as_bytes());
    let mut reader = io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let (mut line, mut n) = (Vec::new(), 0u64);
    while reader.read_until(b'\n', &mut line)? > 0 {
        n += u64::from(finder.find(&line).is_some());
        line.clear();
    }
    memo.lock()
        .map_err(|_| io::Error::other("poisoned memo"))?
        .insert(key, n);
    Ok(n)
}

fn verify(spec: &StreamSpec, ctx: &TaskContext, matches: u64) -> RunCheck {
    let Some(path) = &ctx.large_file else {
        return RunCheck::failed("the corpus has no large file");
    };
    match expected_matches(path, &spec.pattern) {
        Ok(n) if n == matches => {
            RunCheck::passed(format!("{matches} lines contain {:?}", spec.pattern))
        }
        Ok(n) => RunCheck::failed(format!(
            "counted {matches} lines containing {:?}, expected {n}",
            spec.pattern
        )),
        Err(e) => RunCheck::failed(format!("reference count of {}: {e}", path.display())),
    }
}
