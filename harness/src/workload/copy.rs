//! `copy`: copy one corpus file into the scratch directory.

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::durability::{self, Durability};
use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::write::{verify_outputs, CHUNK_SIZE};
use super::Tasks;
use super::{size_label, Lane, Reads, RunCheck, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::describe::{Capability, KnobDesc, KnobError, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{write_all_at, Io, Open};

const CHUNK: KnobDesc = KnobDesc {
    key: "chunk",
    kind: CHUNK_SIZE,
    default: "64KiB",
    help: "bytes per read and write of the loop",
    variants: &["loop"],
};

/// Knobs of `copy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopySpec {
    /// How bytes move.
    pub method: CopyMethod,
    /// What must be on disk when the timed region closes (plans recorded
    /// before the axis hold none: `none`).
    #[serde(default)]
    pub durability: Durability,
}

variants! {
    /// The variants of `copy`.
    pub enum CopyVariant {
        /// [`CopyMethod::Chunked`].
        Loop = VariantDesc {
            name: "loop",
            help: "a read/write loop through a buffer of `chunk` bytes (shutil.copyfileobj)",
            needs: &[],
        },
        /// [`CopyMethod::Kernel`].
        Kernel = VariantDesc {
            name: "kernel",
            help: "copy_file_range(2): no bytes pass through user space (shutil.copyfile)",
            needs: &[Capability::CopyFileRange],
        },
    }
}

impl WorkloadSpec for CopySpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "copy",
        summary: "copy one corpus file into the scratch folder",
        variants: CopyVariant::DESCS,
        knobs: &[CHUNK, durability::KNOB],
        reads: "one corpus file per task",
        writes: "its copy in the scratch folder",
        verifies: "every copy's size and xxh3 against the corpus manifest",
    };

    const READS: Reads = Reads::EachInput;

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let method = match CopyVariant::of(variant)? {
            CopyVariant::Loop => CopyMethod::Chunked {
                chunk: knobs.size(&CHUNK)?,
            },
            CopyVariant::Kernel => CopyMethod::Kernel,
        };
        Ok(CopySpec {
            method,
            durability: Durability::of(knobs)?,
        })
    }

    fn variant(&self) -> &'static str {
        match self.method {
            CopyMethod::Chunked { .. } => CopyVariant::Loop,
            CopyMethod::Kernel => CopyVariant::Kernel,
        }
        .as_str()
    }

    fn label(&self) -> String {
        self.durability.labelled(self.method.label())
    }

    fn durability(&self) -> Option<Durability> {
        Some(self.durability)
    }

    fn chunk_bytes(&self) -> Option<u64> {
        match self.method {
            CopyMethod::Chunked { chunk } => Some(chunk as u64),
            CopyMethod::Kernel => None,
        }
    }

    fn tasks(&self) -> Tasks {
        Tasks::PerFile
    }

    fn keeps_evidence(&self) -> bool {
        false
    }

    fn verify_run(&self, ctx: &TaskContext, corpus: &Corpus, _: u64, _: bool) -> RunCheck {
        verify_outputs(ctx, corpus, ctx.file_range().collect())
    }

    fn verify_finished(&self, ctx: &TaskContext, corpus: &Corpus, finished: Vec<u32>) -> RunCheck {
        verify_outputs(ctx, corpus, finished)
    }
}

impl TaskRunner for CopySpec {
    fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf {
        ctx.output(index)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        run(self, io, task.ctx, task.lane, task.index).await
    }
}

/// How bytes move from source to destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyMethod {
    /// A read/write loop through a user buffer of `chunk` bytes (what
    /// `shutil.copyfileobj` does). Under the io_uring strategy each read and
    /// write is a ring operation.
    Chunked {
        /// Bytes per read and write.
        chunk: usize,
    },
    /// The kernel copies (`std::fs::copy`: `copy_file_range(2)`, what
    /// `shutil.copyfile` does on Linux); no bytes pass through user space.
    Kernel,
}

impl CopyMethod {
    /// Label such as `loop,chunk=64KiB` or `kernel`.
    pub fn label(&self) -> String {
        match self {
            CopyMethod::Chunked { chunk } => format!("loop,chunk={}", size_label(*chunk)),
            CopyMethod::Kernel => "kernel".into(),
        }
    }
}

async fn run<I: Io>(
    spec: &CopySpec,
    io: &I,
    ctx: &TaskContext,
    lane: &mut Lane<I::File>,
    index: u32,
) -> io::Result<TaskOutput> {
    let (from, to) = (ctx.input(index), ctx.output(index));
    let bytes = match spec.method {
        CopyMethod::Kernel => {
            let copied = io.copy_file(&from, &to).await?;
            spec.durability.sync_path(io, &to).await?;
            copied
        }
        CopyMethod::Chunked { chunk } => {
            let src = io.open(&from, Open::READ).await?;
            let dst = io.open(&to, Open::CREATE_NEW).await?;
            let buf = lane.take_buf(chunk.max(1));
            let (copied, buf) = copy_through(io, &src, &dst, buf, chunk.max(1)).await;
            lane.put_buf(buf);
            let copied = copied?;
            spec.durability.sync_file(io, &dst).await?;
            io.close(src).await?;
            io.close(dst).await?;
            copied
        }
    };
    Ok(TaskOutput {
        bytes,
        count: 0,
        evidence: None,
        ..TaskOutput::default()
    })
}

/// The read/write loop through `buf` (the lane's reused buffer, handed back
/// whatever happens); returns the bytes copied.
async fn copy_through<I: Io>(
    io: &I,
    src: &I::File,
    dst: &I::File,
    mut buf: crate::io::Buf,
    chunk: usize,
) -> (io::Result<u64>, crate::io::Buf) {
    let mut offset = 0u64;
    loop {
        buf.set_len(chunk);
        let (res, mut back) = io.read_at(src, buf, offset).await;
        let n = match res {
            Ok(0) => return (Ok(offset), back),
            Ok(n) => n,
            Err(e) => return (Err(e), back),
        };
        back.set_len(n);
        let (res, back) = write_all_at(io, dst, back, offset).await;
        buf = back;
        if let Err(e) = res {
            return (Err(e), buf);
        }
        offset += n as u64;
    }
}
