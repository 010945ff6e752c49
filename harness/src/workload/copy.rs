//! `copy`: copy one corpus file into the scratch directory.

use std::io;

use serde::{Deserialize, Serialize};

use super::{size_label, CopySpec, TaskContext, TaskOutput};
use crate::io::{write_all_at, Buf, Io, Open};

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

pub(super) async fn run<I: Io>(
    spec: &CopySpec,
    io: &I,
    ctx: &TaskContext,
    index: u32,
) -> io::Result<TaskOutput> {
    let (from, to) = (ctx.input(index), ctx.output(index));
    let bytes = match spec.method {
        CopyMethod::Kernel => io.copy_file(&from, &to).await?,
        CopyMethod::Chunked { chunk } => {
            let src = io.open(&from, Open::READ).await?;
            let dst = io.open(&to, Open::CREATE_NEW).await?;
            let mut offset = 0u64;
            let mut buf = Buf::zeroed(chunk.max(1));
            loop {
                buf.set_len(chunk.max(1));
                let (res, mut back) = io.read_at(&src, buf, offset).await;
                let n = res?;
                if n == 0 {
                    break;
                }
                back.set_len(n);
                let (res, back) = write_all_at(io, &dst, back, offset).await;
                res?;
                buf = back;
                offset += n as u64;
            }
            io.close(src).await?;
            io.close(dst).await?;
            offset
        }
    };
    Ok(TaskOutput {
        bytes,
        count: 0,
        evidence: None,
    })
}
