//! The access patterns iolab and fio share, and the iolab scenario of each.
//!
//! Owns: which iolab workload stands for each pattern and its fixed knobs
//! (chunk, block, read count). Does not own: fio's job (`fio`), running
//! either tool (`session`).

use crate::corpus::Corpus;
use crate::workload::{RandomEvidence, RandomMethod, ReadMethod, ScanMethod, Workload};
use crate::workload::{RandomSpec, ReadSpec, ScanSpec, WriteSpec};

/// Bytes per read of the large-file sequential read, in both tools.
pub const CHUNK: usize = 1 << 20;
/// Bytes per random read.
pub const BLOCK: u32 = 4096;
/// Random reads per repetition.
pub const READS: u32 = 10_000;
/// Segments (tasks) the large file is read in by iolab's `scan`.
pub const SEGMENTS: u32 = 16;

/// A pattern both tools run on the same files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// The large file front to back in 1 MiB `pread`s (iolab `scan untouched`).
    LargeRead,
    /// 4 KiB `pread`s at random aligned offsets of the large file (iolab `random pread`).
    RandomRead,
    /// Every data file of the corpus, one after another (iolab `read untouched`).
    ManyFiles,
    /// As many new files as the corpus has, of its sizes, written once each
    /// into the scratch folder (iolab `write prepared`: bytes rendered
    /// before the region, as fio fills its buffer before timing).
    Write,
}

impl Pattern {
    /// Every pattern, in the order of the table.
    pub const ALL: [Pattern; 4] = [
        Pattern::LargeRead,
        Pattern::RandomRead,
        Pattern::ManyFiles,
        Pattern::Write,
    ];

    /// Name in tables and files.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::LargeRead => "large-file-read-1MiB",
            Pattern::RandomRead => "random-read-4KiB",
            Pattern::ManyFiles => "many-files-read",
            Pattern::Write => "many-files-write",
        }
    }

    /// The iolab workload that runs the pattern (under `sequential`): the
    /// pure-I/O variants, so iolab does the work fio does and no more.
    pub fn workload(self, seed: u64) -> Workload {
        match self {
            Pattern::LargeRead => Workload::Scan(ScanSpec {
                method: ScanMethod::Untouched { chunk: CHUNK },
                segments: SEGMENTS,
            }),
            Pattern::RandomRead => Workload::Random(RandomSpec {
                method: RandomMethod::Pread,
                reads: READS,
                block: BLOCK,
                seed,
                // The bytes untouched, as fio leaves them: the same work.
                evidence: RandomEvidence::Ends,
            }),
            Pattern::ManyFiles => Workload::Read(ReadSpec {
                method: ReadMethod::Untouched,
            }),
            Pattern::Write => Workload::Write(WriteSpec {
                durability: crate::workload::Durability::None,
                chunk: None,
                prepared: true,
            }),
        }
    }

    /// Why the pattern cannot run on `corpus`, if it cannot.
    pub fn unavailable(self, corpus: &Corpus) -> Option<String> {
        let needs_large = matches!(self, Pattern::LargeRead | Pattern::RandomRead);
        let large = corpus.manifest.large.as_ref().map_or(0, |l| l.bytes);
        (needs_large && large < u64::from(BLOCK)).then(|| {
            "unavailable: the corpus has no large file (give --large-file SIZE)".to_string()
        })
    }
}
