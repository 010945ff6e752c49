//! The knobs of each workload, with their defaults and labels.

use serde::{Deserialize, Serialize};

use super::{
    size_label, AppendVariant, CopyMethod, RandomMethod, ReadMethod, SaveVariant, ScanMethod,
};

/// Knobs of `noop`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoopSpec {
    /// Tasks per repetition. Default: 10,000.
    pub tasks: u32,
}

impl Default for NoopSpec {
    fn default() -> Self {
        NoopSpec { tasks: 10_000 }
    }
}

impl NoopSpec {
    /// Label: `noop`.
    pub fn label(&self) -> String {
        "noop".into()
    }
}

/// Knobs of `write`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteSpec {
    /// `fsync` each file before closing it. Default: false.
    pub fsync: bool,
    /// Write in pieces of this many bytes; `None` writes the file in one call. Default: None.
    pub chunk: Option<usize>,
}

/// Knobs of `read`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadSpec {
    /// How the file is loaded. Default: whole file in one read.
    pub method: ReadMethod,
}

/// Knobs of `copy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopySpec {
    /// How bytes move. Default: a read/write loop with 64 KiB chunks.
    pub method: CopyMethod,
}

/// Knobs of `append`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppendSpec {
    /// How writers coordinate. Default: mutex.
    pub variant: AppendVariant,
    /// Lines (= tasks) per repetition. Default: 10,000.
    pub lines: u32,
    /// Buffer capacity of the buffered variants, in bytes. Default: 4096.
    pub buffer: usize,
}

/// Knobs of `atomic-save`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveSpec {
    /// How the file is replaced. Default: rename-fsync-dir.
    pub variant: SaveVariant,
}

/// Knobs of `stream`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamSpec {
    /// Bytes per read; 1 reads a byte at a time (unbuffered line reads). Default: 64 KiB.
    pub buffer: usize,
    /// A line matches when it contains this text. Default: `777`.
    pub pattern: String,
    /// The file is cut into this many line-aligned segments, one task each. Default: 16.
    pub segments: u32,
}

/// Knobs of `scan`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSpec {
    /// How the bytes are reached. Default: read() with 1 MiB chunks.
    pub method: ScanMethod,
    /// The file is cut into this many segments, one task each. Default: 16.
    pub segments: u32,
}

/// Knobs of `random`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomSpec {
    /// pread or mmap. Default: pread.
    pub method: RandomMethod,
    /// Reads (= tasks) per repetition. Default: 10,000.
    pub reads: u32,
    /// Bytes per read, a multiple of 4096. Default: 4096.
    pub block: u32,
    /// Seed of the offsets. Default: 42.
    pub seed: u64,
}

impl Default for ReadSpec {
    fn default() -> Self {
        ReadSpec {
            method: ReadMethod::Whole,
        }
    }
}

impl Default for CopySpec {
    fn default() -> Self {
        CopySpec {
            method: CopyMethod::Chunked { chunk: 64 << 10 },
        }
    }
}

impl Default for AppendSpec {
    fn default() -> Self {
        AppendSpec {
            variant: AppendVariant::Mutex,
            lines: 10_000,
            buffer: 4096,
        }
    }
}

impl Default for SaveSpec {
    fn default() -> Self {
        SaveSpec {
            variant: SaveVariant::RenameFsyncDir,
        }
    }
}

impl Default for StreamSpec {
    fn default() -> Self {
        StreamSpec {
            buffer: 64 << 10,
            pattern: "777".into(),
            segments: 16,
        }
    }
}

impl Default for ScanSpec {
    fn default() -> Self {
        ScanSpec {
            method: ScanMethod::Read { chunk: 1 << 20 },
            segments: 16,
        }
    }
}

impl Default for RandomSpec {
    fn default() -> Self {
        RandomSpec {
            method: RandomMethod::Pread,
            reads: 10_000,
            block: 4096,
            seed: 42,
        }
    }
}

impl WriteSpec {
    /// Label such as `one-write` or `chunk=64KiB,fsync`.
    pub fn label(&self) -> String {
        let base = self.chunk.map_or("one-write".to_string(), |c| {
            format!("chunk={}", size_label(c))
        });
        if self.fsync {
            format!("{base},fsync")
        } else {
            base
        }
    }
}

impl ReadSpec {
    /// Label such as `whole` or `buffer=64KiB`.
    pub fn label(&self) -> String {
        self.method.label()
    }
}

impl CopySpec {
    /// Label such as `loop,chunk=64KiB` or `kernel`.
    pub fn label(&self) -> String {
        self.method.label()
    }
}

impl AppendSpec {
    /// Label such as `mutex`.
    pub fn label(&self) -> String {
        self.variant.as_str().to_string()
    }
}

impl SaveSpec {
    /// Label such as `rename-fsync`.
    pub fn label(&self) -> String {
        self.variant.as_str().to_string()
    }
}

impl StreamSpec {
    /// Label such as `buffer=64KiB` or `unbuffered`.
    pub fn label(&self) -> String {
        if self.buffer == 1 {
            "unbuffered".into()
        } else {
            format!("buffer={}", size_label(self.buffer))
        }
    }
}

impl ScanSpec {
    /// Label such as `read,chunk=1MiB` or `mmap`.
    pub fn label(&self) -> String {
        self.method.label()
    }
}

impl RandomSpec {
    /// Label such as `pread,block=4KiB`.
    pub fn label(&self) -> String {
        format!(
            "{},block={}",
            self.method.as_str(),
            size_label(self.block as usize)
        )
    }
}
