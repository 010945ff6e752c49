//! `copy`: copy one corpus file into the scratch directory.

use std::io;

use serde::{Deserialize, Serialize};

use super::{size_label, CopySpec, Lane, TaskContext, TaskOutput};
use crate::io::{write_all_at, Io, Open};

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
    lane: &mut Lane<I::File>,
    index: u32,
) -> io::Result<TaskOutput> {
    let (from, to) = (ctx.input(index), ctx.output(index));
    let bytes = match spec.method {
        CopyMethod::Kernel => io.copy_file(&from, &to).await?,
        CopyMethod::Chunked { chunk } => {
            let src = io.open(&from, Open::READ).await?;
            let dst = io.open(&to, Open::CREATE_NEW).await?;
            let buf = lane.take_buf(chunk.max(1));
            let (copied, buf) = copy_through(io, &src, &dst, buf, chunk.max(1)).await;
            lane.put_buf(buf);
            let copied = copied?;
            io.close(src).await?;
            io.close(dst).await?;
            copied
        }
    };
    Ok(TaskOutput {
        bytes,
        count: 0,
        evidence: None,
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
