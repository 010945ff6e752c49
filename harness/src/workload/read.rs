//! `read`: read one whole corpus file, and either keep its bytes (`whole`,
//! `buffered`: the tutorials' "load into memory", every file's bytes in fresh
//! memory that the task hands back) or discard them (`discard`: one read into
//! the lane's reused buffer, the bytes checksummed and dropped, as a loader
//! that throws the contents away does).

use std::io;

use serde::{Deserialize, Serialize};

use super::{size_label, Evidence, Lane, ReadSpec, TaskContext, TaskOutput};
use crate::corpus::{self, Corpus};
use crate::io::{read_exact_at, Buf, Io, Open};

/// How a file is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMethod {
    /// Keep: ask the size, then read it all in one call into fresh memory
    /// that the task keeps (what `std::fs::read` and Python's `f.read()` do
    /// when the caller holds on to the result).
    Whole,
    /// Keep: read into a fixed buffer of `buffer` bytes, appending each
    /// piece to the result, until end of file.
    Buffered {
        /// Bytes per read call.
        buffer: usize,
    },
    /// Discard: ask the size, read it all in one call into the lane's reused
    /// buffer, checksum the bytes (the evidence) and drop them.
    Discard,
}

impl ReadMethod {
    /// Label such as `whole` or `buffer=64KiB`.
    pub fn label(&self) -> String {
        match self {
            ReadMethod::Whole => "whole".into(),
            ReadMethod::Buffered { buffer } => format!("buffer={}", size_label(*buffer)),
            ReadMethod::Discard => "discard".into(),
        }
    }

    /// What the variant does with the bytes: `keep` or `discard`.
    pub fn data(&self) -> &'static str {
        match self {
            ReadMethod::Whole | ReadMethod::Buffered { .. } => "keep",
            ReadMethod::Discard => "discard",
        }
    }
}

pub(super) async fn run<I: Io>(
    spec: &ReadSpec,
    io: &I,
    ctx: &TaskContext,
    lane: &mut Lane<I::File>,
    index: u32,
) -> io::Result<TaskOutput> {
    let file = io.open(&ctx.input(index), Open::READ).await?;
    let evidence = match spec.method {
        ReadMethod::Whole => {
            let size = io.size(&file).await? as usize;
            let (res, mut buf) = read_exact_at(io, &file, Buf::zeroed(size), 0).await;
            buf.set_len(res?);
            Evidence::Bytes(buf.into_vec())
        }
        ReadMethod::Buffered { buffer } => {
            Evidence::Bytes(read_in_pieces(io, &file, buffer).await?)
        }
        ReadMethod::Discard => {
            let size = io.size(&file).await? as usize;
            let (res, mut buf) = read_exact_at(io, &file, lane.take_buf(size), 0).await;
            let read = res.map(|n| {
                buf.set_len(n);
                Evidence::checksum_of(buf.as_slice())
            });
            lane.put_buf(buf);
            read?
        }
    };
    io.close(file).await?;
    Ok(TaskOutput {
        bytes: evidence.byte_count(),
        count: 0,
        evidence: Some(evidence),
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

pub(super) fn verify(corpus: &Corpus, index: u32, evidence: &Evidence) -> Result<(), String> {
    let expected = corpus
        .manifest
        .files
        .get(index as usize)
        .ok_or_else(|| format!("file {index} is not in the manifest"))?;
    let (len, xxh3) = evidence.summary();
    if len != expected.size || xxh3 != expected.checksum {
        return Err(format!(
            "{}: loaded {len} bytes that do not match the manifest ({} bytes, checksum {:016x})",
            corpus::file_name(index, corpus.manifest.spec.files),
            expected.size,
            expected.checksum
        ));
    }
    Ok(())
}
