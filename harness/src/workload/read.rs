//! `read`: load one whole corpus file into memory.

use std::io;

use serde::{Deserialize, Serialize};

use super::{size_label, ReadSpec, TaskContext, TaskOutput};
use crate::corpus::{self, Corpus};
use crate::io::{read_exact_at, Buf, Io, Open};

/// How a file is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMethod {
    /// Ask the size, then read it all in one call (what `std::fs::read` and
    /// Python's `f.read()` do).
    Whole,
    /// Read into a fixed buffer of `buffer` bytes, appending each piece to the
    /// result, until end of file.
    Buffered {
        /// Bytes per read call.
        buffer: usize,
    },
}

impl ReadMethod {
    /// Label such as `whole` or `buffer=64KiB`.
    pub fn label(&self) -> String {
        match self {
            ReadMethod::Whole => "whole".into(),
            ReadMethod::Buffered { buffer } => format!("buffer={}", size_label(*buffer)),
        }
    }
}

pub(super) async fn run<I: Io>(
    spec: &ReadSpec,
    io: &I,
    ctx: &TaskContext,
    index: u32,
) -> io::Result<TaskOutput> {
    let file = io.open(&ctx.input(index), Open::READ).await?;
    let data = match spec.method {
        ReadMethod::Whole => {
            let size = io.size(&file).await? as usize;
            let (res, buf) = read_exact_at(io, &file, Buf::zeroed(size), 0).await;
            let mut buf = buf;
            buf.set_len(res?);
            buf.into_vec()
        }
        ReadMethod::Buffered { buffer } => read_in_pieces(io, &file, buffer).await?,
    };
    io.close(file).await?;
    Ok(TaskOutput {
        bytes: data.len() as u64,
        count: 0,
        evidence: Some(data),
    })
}

async fn read_in_pieces<I: Io>(io: &I, file: &I::File, buffer: usize) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut buf = Buf::zeroed(buffer.max(1));
    loop {
        buf.set_len(buffer.max(1));
        let (res, back) = io.read_at(file, buf, data.len() as u64).await;
        buf = back;
        match res? {
            0 => return Ok(data),
            n => data.extend_from_slice(&buf.as_slice()[..n]),
        }
    }
}

pub(super) fn verify(corpus: &Corpus, index: u32, data: &[u8]) -> Result<(), String> {
    let expected = corpus
        .manifest
        .files
        .get(index as usize)
        .ok_or_else(|| format!("file {index} is not in the manifest"))?;
    if data.len() as u64 != expected.size || corpus::checksum(data) != expected.checksum {
        return Err(format!(
            "{}: loaded {} bytes that do not match the manifest ({} bytes, checksum {:016x})",
            corpus::file_name(index, corpus.manifest.spec.files),
            data.len(),
            expected.size,
            expected.checksum
        ));
    }
    Ok(())
}
