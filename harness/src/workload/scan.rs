//! `scan`: read the large file end to end and count its lines, through
//! `read()` with a chunk size, `mmap` (with or without `MADV_SEQUENTIAL`), or
//! `O_DIRECT` with aligned buffers — or, `untouched`, read it as fio and IOR
//! do, the bytes left as they came but for each chunk's first and last 8
//! bytes, which are the evidence re-read after the region. The file is cut
//! into segments, one task each, so concurrent strategies can split it.

use std::io;

use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use std::path::PathBuf;

use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::write::CHUNK_SIZE;
use super::{needs_every_task, Tasks};
use super::{size_label, Evidence, Kept, Reads, RunCheck, Shared, TaskContext, TaskOutput};
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
    variants: &["read", "direct", "untouched"],
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
        /// [`ScanMethod::Untouched`].
        Untouched = VariantDesc {
            name: "untouched",
            help: "pread into a buffer of `chunk` bytes, the bytes untouched but for each chunk's first and last 8 (the work of fio and IOR); no line count",
            needs: &[],
        },
    }
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
        verifies: "the lines counted against the manifest's line count (untouched: each segment's length and chunk ends against a re-read after the region)",
    };

    const READS: Reads = Reads::LargeFile;

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
            ScanVariant::Untouched => ScanMethod::Untouched {
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
            ScanMethod::Untouched { .. } => ScanVariant::Untouched,
        }
        .as_str()
    }

    fn label(&self) -> String {
        self.method.label()
    }

    fn chunk_bytes(&self) -> Option<u64> {
        match self.method {
            ScanMethod::Read { chunk }
            | ScanMethod::Direct { chunk }
            | ScanMethod::Untouched { chunk } => Some(chunk as u64),
            ScanMethod::Mmap | ScanMethod::MmapSequential => None,
        }
    }

    fn tasks(&self) -> Tasks {
        Tasks::OfLargeFile(self.segments)
    }

    fn keeps_evidence(&self) -> bool {
        matches!(self.method, ScanMethod::Untouched { .. })
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
            ScanMethod::Read { .. } | ScanMethod::Untouched { .. } => {
                shared.file = Some(open_large(io, ctx, false).await?)
            }
            ScanMethod::Direct { .. } => shared.file = Some(open_large(io, ctx, true).await?),
        }
        Ok(shared)
    }

    fn verify_tasks(&self, ctx: &TaskContext, _corpus: &Corpus, kept: &Kept) -> Vec<String> {
        let ScanMethod::Untouched { chunk } = self.method else {
            return Vec::new();
        };
        let file = match ctx.large().and_then(std::fs::File::open) {
            Ok(file) => file,
            Err(e) => return vec![format!("opening the large file to verify: {e}")],
        };
        let mut buf = vec![0; chunk.max(1)];
        kept
            .iter()
            .filter_map(|(index, e)| {
                let (start, end) = segment(ctx.large_bytes, self.segments, *index);
                match reread_ends(&file, start, end, &mut buf) {
                    Ok(expected) if expected == *e => None,
                    Ok(_) => Some(format!(
                        "segment {index} (bytes {start}..{end}) returned other bytes than the file holds"
                    )),
                    Err(e) => Some(format!("re-reading segment {index} at {start}: {e}")),
                }
            })
            .collect()
    }

    fn verify_run(&self, _: &TaskContext, corpus: &Corpus, count_sum: u64, _: bool) -> RunCheck {
        match self.method {
            ScanMethod::Untouched { .. } => RunCheck::passed("task evidence checked"),
            _ => verify(corpus, count_sum),
        }
    }

    fn verify_finished(&self, _: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        match self.method {
            ScanMethod::Untouched { .. } => RunCheck::passed("task evidence checked"),
            _ => needs_every_task("scan", finished.len(), self.segments as usize),
        }
    }
}

impl TaskRunner for ScanSpec {
    fn task_path(&self, ctx: &TaskContext, _index: u32) -> PathBuf {
        large_path(ctx)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        run(self, io, task.ctx, task.shared, task.index).await
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
    /// `pread` into a buffer of `chunk` bytes, the bytes untouched but for
    /// each chunk's first and last 8 (the evidence): the work of fio and IOR.
    Untouched {
        /// Bytes per read.
        chunk: usize,
    },
}

impl ScanMethod {
    /// Label such as `read,chunk=1MiB`, `mmap`, `mmap-seq`, `direct,chunk=1MiB`,
    /// `untouched,chunk=1MiB`.
    pub fn label(&self) -> String {
        match self {
            ScanMethod::Read { chunk } => format!("read,chunk={}", size_label(*chunk)),
            ScanMethod::Mmap => "mmap".into(),
            ScanMethod::MmapSequential => "mmap-seq".into(),
            ScanMethod::Direct { chunk } => format!("direct,chunk={}", size_label(*chunk)),
            ScanMethod::Untouched { chunk } => format!("untouched,chunk={}", size_label(*chunk)),
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
    if let ScanMethod::Untouched { chunk } = spec.method {
        let buf = Buf::zeroed(chunk.max(1));
        let evidence = read_ends(io, shared.file()?, start, end, buf).await?;
        return Ok(TaskOutput {
            bytes: evidence.byte_count(),
            count: 0,
            evidence: Some(evidence),
            ..TaskOutput::default()
        });
    }
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
        ScanMethod::Untouched { .. } => 0,
    };
    Ok(TaskOutput {
        bytes: end - start,
        count: lines,
        evidence: None,
        ..TaskOutput::default()
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

/// Read `[start, end)` in pieces of the buffer's length, touching only each
/// piece's first and last 8 bytes: the evidence [`ChunkEnds`] folds.
async fn read_ends<I: Io>(
    io: &I,
    file: &I::File,
    start: u64,
    end: u64,
    mut buf: Buf,
) -> io::Result<Evidence> {
    let chunk = buf.len();
    let mut pos = start;
    let mut ends = ChunkEnds::default();
    while pos < end {
        buf.set_len(chunk.min((end - pos) as usize));
        let (res, back) = io.read_at(file, buf, pos).await;
        buf = back;
        let n = res?;
        if n == 0 {
            break;
        }
        ends.add(&buf.as_slice()[..n]);
        pos += n as u64;
    }
    Ok(ends.evidence())
}

/// The evidence of `[start, end)` of `file` read again, after the region, in
/// pieces of `buf`'s length (the same pieces as [`read_ends`] when it read
/// whole pieces).
fn reread_ends(file: &std::fs::File, start: u64, end: u64, buf: &mut [u8]) -> io::Result<Evidence> {
    use std::os::unix::fs::FileExt;
    let mut ends = ChunkEnds::default();
    let mut pos = start;
    while pos < end {
        let want = buf.len().min((end - pos) as usize);
        let n = file.read_at(&mut buf[..want], pos)?;
        if n == 0 {
            break;
        }
        ends.add(&buf[..n]);
        pos += n as u64;
    }
    Ok(ends.evidence())
}

/// The ends of every piece a segment was read in, folded in order: the
/// evidence of `scan untouched` ([`Evidence::Ends`], its `first` and `last`
/// the rotating xor of every piece's first and last 8 bytes). A piece from
/// another offset, a short, zeroed or stale piece, or pieces in another
/// order change it; the bytes inside a piece are not seen.
#[derive(Default)]
struct ChunkEnds {
    len: u64,
    first: u64,
    last: u64,
}

impl ChunkEnds {
    #[inline]
    fn add(&mut self, piece: &[u8]) {
        let (first, last) = super::end_words(piece);
        self.len += piece.len() as u64;
        self.first = self.first.rotate_left(7) ^ first;
        self.last = self.last.rotate_left(7) ^ last;
    }

    fn evidence(self) -> Evidence {
        Evidence::Ends {
            len: self.len,
            first: self.first,
            last: self.last,
        }
    }
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
    use crate::io::Blocking;
    use futures::executor::block_on;
    use std::os::unix::fs::FileExt;

    #[test]
    fn untouched_scan_checks_every_pieces_ends_and_not_between() {
        let dir = tempfile::tempdir().unwrap();
        let (corpus, ctx) = crate::workload::test_corpus(dir.path(), 1, 300_000);
        let spec = ScanSpec {
            method: ScanMethod::Untouched { chunk: 16 << 10 },
            segments: 3,
        };
        assert!(spec.keeps_evidence());
        let shared = block_on(spec.prepare(&Blocking, &ctx)).unwrap();
        let evidence: Vec<(u32, Evidence)> = (0..spec.segments)
            .map(|i| {
                let out = block_on(run(&spec, &Blocking, &ctx, &shared, i)).unwrap();
                let (start, end) = segment(ctx.large_bytes, spec.segments, i);
                assert_eq!(out.bytes, end - start);
                assert_eq!(out.count, 0, "untouched counts no lines");
                (i, out.evidence.unwrap())
            })
            .collect();
        let check = |ev: &[(u32, Evidence)]| spec.verify_tasks(&ctx, &corpus, ev);
        assert_eq!(check(&evidence), Vec::<String>::new());
        assert!(spec.verify_run(&ctx, &corpus, 0, true).verified);
        // Segment 0's evidence under segment 1's number: caught.
        let swapped = [(1, evidence[0].1.clone())];
        assert_eq!(check(&swapped).len(), 1, "{:?}", check(&swapped));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(ctx.large().unwrap())
            .unwrap();
        let flip = |at: u64| {
            let mut b = [0u8; 1];
            file.read_exact_at(&mut b, at).unwrap();
            file.write_all_at(&[b[0] ^ 0x55], at).unwrap();
        };
        // A byte inside a piece of segment 0: not seen (what untouched
        // leaves out); the last byte of its second piece: seen, in
        // segment 0 alone.
        flip(100);
        assert_eq!(check(&evidence), Vec::<String>::new());
        flip((32 << 10) - 1);
        let errors = check(&evidence);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("segment 0 "), "{errors:?}");
    }

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
