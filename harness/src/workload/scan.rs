//! `scan`: read the large file end to end and count its lines, through
//! `read()` with a chunk size, `mmap` (with or without `MADV_SEQUENTIAL`), or
//! `O_DIRECT` with aligned buffers. The file is cut into segments, one task
//! each, so concurrent strategies can split it.

use std::io;

use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use std::path::PathBuf;

use super::registry::WorkloadSpec;
use super::runner::TaskRunner;
use super::write::CHUNK_SIZE;
use super::{needs_every_task, Tasks};
use super::{size_label, Lane, RunCheck, Shared, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::describe::{
    Capability, KnobDesc, KnobError, KnobKind, KnobValues, VariantDesc, WorkloadDesc,
};
use crate::io::{Buf, Io, Open};
use crate::sys::cache::DIRECT_ALIGN;

/// The segments of the large file (`scan`, `stream`): one task each.
pub(super) const SEGMENTS: KnobDesc = KnobDesc {
    key: "segments",
    kind: KnobKind::Count {
        min: 1,
        max: 65_536,
    },
    default: "16",
    help: "the large file is cut into this many segments, one task each",
    variants: &[],
};

const CHUNK: KnobDesc = KnobDesc {
    key: "chunk",
    kind: CHUNK_SIZE,
    default: "1MiB",
    help: "bytes per read call (rounded up to 4KiB for direct)",
    variants: &["read", "direct"],
};

/// Knobs of `scan`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSpec {
    /// How the bytes are reached.
    pub method: ScanMethod,
    /// The file is cut into this many segments, one task each.
    pub segments: u32,
}

variants! {
    /// The variants of `scan`.
    pub enum ScanVariant {
        /// [`ScanMethod::Read`].
        Read = VariantDesc {
            name: "read",
            help: "pread into a buffer of `chunk` bytes",
            needs: &[],
        },
        /// [`ScanMethod::Mmap`].
        Mmap = VariantDesc {
            name: "mmap",
            help: "a read-only map; every page touched by counting its newlines",
            needs: &[Capability::Mmap],
        },
        /// [`ScanMethod::MmapSequential`].
        MmapSeq = VariantDesc {
            name: "mmap-seq",
            help: "a map advised MADV_SEQUENTIAL",
            needs: &[Capability::Mmap],
        },
        /// [`ScanMethod::Direct`].
        Direct = VariantDesc {
            name: "direct",
            help: "O_DIRECT reads of `chunk` bytes into aligned buffers: no page cache",
            needs: &[],
        },
    }
}

/// The large file as the only input of a workload that reads it.
pub(super) fn large_inputs(ctx: &TaskContext) -> Vec<PathBuf> {
    ctx.large_file.iter().cloned().collect()
}

/// The large file (or the corpus folder without one), for error messages.
pub(super) fn large_path(ctx: &TaskContext) -> PathBuf {
    ctx.large_file
        .clone()
        .unwrap_or_else(|| ctx.corpus_dir.clone())
}

impl WorkloadSpec for ScanSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "scan",
        summary: "read the large file end to end, counting its lines, one segment per task",
        variants: ScanVariant::DESCS,
        knobs: &[CHUNK, SEGMENTS],
        reads: "the large file",
        writes: "",
        verifies: "the lines counted against the manifest's line count",
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let method = match ScanVariant::of(variant)? {
            ScanVariant::Read => ScanMethod::Read {
                chunk: knobs.size(&CHUNK)?,
            },
            ScanVariant::Mmap => ScanMethod::Mmap,
            ScanVariant::MmapSeq => ScanMethod::MmapSequential,
            ScanVariant::Direct => ScanMethod::Direct {
                chunk: knobs.size(&CHUNK)?,
            },
        };
        Ok(ScanSpec {
            method,
            segments: knobs.count(&SEGMENTS)?,
        })
    }

    fn variant(&self) -> &'static str {
        match self.method {
            ScanMethod::Read { .. } => ScanVariant::Read,
            ScanMethod::Mmap => ScanVariant::Mmap,
            ScanMethod::MmapSequential => ScanVariant::MmapSeq,
            ScanMethod::Direct { .. } => ScanVariant::Direct,
        }
        .as_str()
    }

    fn label(&self) -> String {
        self.method.label()
    }

    fn chunk_bytes(&self) -> Option<u64> {
        match self.method {
            ScanMethod::Read { chunk } | ScanMethod::Direct { chunk } => Some(chunk as u64),
            ScanMethod::Mmap | ScanMethod::MmapSequential => None,
        }
    }

    fn tasks(&self) -> Tasks {
        Tasks::OfLargeFile(self.segments)
    }

    fn inputs(&self, ctx: &TaskContext) -> Vec<PathBuf> {
        large_inputs(ctx)
    }

    fn input_set_refusal(&self) -> Option<&'static str> {
        Some("scan reads the corpus's large file and checks its known content; an input set has no large file")
    }

    fn keeps_evidence(&self) -> bool {
        false
    }

    fn unavailable(&self, ctx: &TaskContext) -> Option<String> {
        let ScanMethod::Direct { .. } = self.method else {
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

    async fn prepare<I: Io>(&self, io: &I, ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        let mut shared = Shared::empty();
        match self.method {
            ScanMethod::Mmap | ScanMethod::MmapSequential => {
                shared.map = map_large(ctx, self.method == ScanMethod::MmapSequential)?;
            }
            ScanMethod::Read { .. } => shared.file = Some(open_large(io, ctx, false).await?),
            ScanMethod::Direct { .. } => shared.file = Some(open_large(io, ctx, true).await?),
        }
        Ok(shared)
    }

    fn verify_run(&self, _: &TaskContext, corpus: &Corpus, count_sum: u64, _: bool) -> RunCheck {
        verify(corpus, count_sum)
    }

    fn verify_finished(&self, _: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        needs_every_task("scan", finished.len(), self.segments as usize)
    }
}

impl TaskRunner for ScanSpec {
    fn task_path(&self, ctx: &TaskContext, _index: u32) -> PathBuf {
        large_path(ctx)
    }

    async fn run_task<I: Io>(
        &self,
        io: &I,
        ctx: &TaskContext,
        shared: &Shared<I::File>,
        _lane: &mut Lane<I::File>,
        index: u32,
    ) -> io::Result<TaskOutput> {
        run(self, io, ctx, shared, index).await
    }
}

/// How the scan reaches the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanMethod {
    /// `pread` into a buffer of `chunk` bytes.
    Read {
        /// Bytes per read.
        chunk: usize,
    },
    /// A read-only map; every page is touched by counting its newlines.
    Mmap,
    /// A map advised `MADV_SEQUENTIAL`.
    MmapSequential,
    /// `O_DIRECT` reads of `chunk` bytes (rounded up to 4 KiB) into aligned
    /// buffers: no page cache at all.
    Direct {
        /// Bytes per read.
        chunk: usize,
    },
}

impl ScanMethod {
    /// Label such as `read,chunk=1MiB`, `mmap`, `mmap-seq`, `direct,chunk=1MiB`.
    pub fn label(&self) -> String {
        match self {
            ScanMethod::Read { chunk } => format!("read,chunk={}", size_label(*chunk)),
            ScanMethod::Mmap => "mmap".into(),
            ScanMethod::MmapSequential => "mmap-seq".into(),
            ScanMethod::Direct { chunk } => format!("direct,chunk={}", size_label(*chunk)),
        }
    }
}

/// Open the large file for a shared handle (with `O_DIRECT` when asked).
pub(super) async fn open_large<I: Io>(
    io: &I,
    ctx: &TaskContext,
    direct: bool,
) -> io::Result<I::File> {
    io.open(
        ctx.large()?,
        Open {
            direct,
            ..Open::READ
        },
    )
    .await
}

/// Map the large file, advised sequential when asked.
pub(super) fn map_large(ctx: &TaskContext, sequential: bool) -> io::Result<Option<Mmap>> {
    let file = std::fs::File::open(ctx.large()?)?;
    let map = crate::sys::memory::map_readonly(&file)?;
    if let (Some(m), true) = (&map, sequential) {
        crate::sys::memory::advise_sequential(m)?;
    }
    Ok(map)
}

/// Byte range `[start, end)` of segment `index` of `segments`; segment starts
/// are 4 KiB aligned so `O_DIRECT` reads can start there.
pub fn segment(size: u64, segments: u32, index: u32) -> (u64, u64) {
    let per = size
        .div_ceil(u64::from(segments.max(1)))
        .next_multiple_of(DIRECT_ALIGN as u64);
    let start = (per * u64::from(index)).min(size);
    (start, (start + per).min(size))
}

async fn run<I: Io>(
    spec: &ScanSpec,
    io: &I,
    ctx: &TaskContext,
    shared: &Shared<I::File>,
    index: u32,
) -> io::Result<TaskOutput> {
    let (start, end) = segment(ctx.large_bytes, spec.segments, index);
    let lines = match spec.method {
        ScanMethod::Mmap | ScanMethod::MmapSequential => {
            let map = shared
                .map
                .as_ref()
                .ok_or_else(|| io::Error::other("large file not mapped"))?;
            count_newlines(&map[start as usize..end as usize])
        }
        ScanMethod::Read { chunk } => {
            read_count(io, shared.file()?, start, end, Buf::zeroed(chunk.max(1))).await?
        }
        ScanMethod::Direct { chunk } => {
            let chunk = chunk.max(1).next_multiple_of(DIRECT_ALIGN);
            read_count(
                io,
                shared.file()?,
                start,
                end,
                Buf::aligned(chunk, DIRECT_ALIGN),
            )
            .await?
        }
    };
    Ok(TaskOutput {
        bytes: end - start,
        count: lines,
        evidence: None,
    })
}

/// Read `[start, end)` in pieces of the buffer's length and count newlines.
/// Reads are whole buffers (as `O_DIRECT` needs); bytes past `end` are ignored.
async fn read_count<I: Io>(
    io: &I,
    file: &I::File,
    start: u64,
    end: u64,
    mut buf: Buf,
) -> io::Result<u64> {
    let chunk = buf.len();
    let mut pos = start;
    let mut lines = 0;
    while pos < end {
        buf.set_len(chunk);
        let (res, back) = io.read_at(file, buf, pos).await;
        buf = back;
        let n = res?;
        if n == 0 {
            break;
        }
        let useful = n.min((end - pos) as usize);
        lines += count_newlines(&buf.as_slice()[..useful]);
        pos += n as u64;
    }
    Ok(lines)
}

/// Newlines in `bytes`.
pub fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

fn verify(corpus: &Corpus, lines: u64) -> RunCheck {
    match &corpus.manifest.large {
        Some(large) if large.lines == lines => {
            RunCheck::passed(format!("{lines} lines counted, as in the manifest"))
        }
        Some(large) => RunCheck::failed(format!(
            "counted {lines} lines, the manifest says {}",
            large.lines
        )),
        None => RunCheck::failed("the corpus has no large file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_the_file_exactly() {
        for size in [0u64, 1, 4095, 4096, 1_000_000, 7_777_777] {
            for segments in [1u32, 3, 16, 64] {
                let mut covered = 0;
                let mut prev_end = 0;
                for i in 0..segments {
                    let (s, e) = segment(size, segments, i);
                    assert!(s <= e);
                    assert_eq!(s, prev_end.min(size).max(s.min(prev_end)));
                    covered += e - s;
                    prev_end = e;
                }
                assert_eq!(covered, size, "size {size} segments {segments}");
            }
        }
    }
}
