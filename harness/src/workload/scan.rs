//! `scan`: read the large file end to end and count its lines, through
//! `read()` with a chunk size, `mmap` (with or without `MADV_SEQUENTIAL`), or
//! `O_DIRECT` with aligned buffers. The file is cut into segments, one task
//! each, so concurrent strategies can split it.

use std::io;

use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use super::{size_label, RunCheck, ScanSpec, Shared, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::io::{Buf, Io, Open};
use crate::sys::cache::DIRECT_ALIGN;

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

pub(super) async fn run<I: Io>(
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

pub(super) fn verify(corpus: &Corpus, lines: u64) -> RunCheck {
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
