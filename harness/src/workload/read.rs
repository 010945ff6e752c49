//! `read`: read one whole corpus file, and either keep its bytes (`whole`,
//! `buffered`: the tutorials' "load into memory", every file's bytes in fresh
//! memory that the task hands back) or discard them (`discard`: one read into
//! the lane's reused buffer, the bytes checksummed and dropped, as a loader
//! that throws the contents away does) or leave them untouched (`untouched`:
//! the same read, only the first and last 8 bytes kept, the work of fio,
//! IOR and mdtest; the file is re-read after the region to check them).

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::write::CHUNK_SIZE;
use super::Tasks;
use super::{size_label, Evidence, Kept, Lane, Reads, RunCheck, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::describe::{KnobDesc, KnobError, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{read_exact_at, Buf, Io, Open};

const BUFFER: KnobDesc = KnobDesc {
    key: "buffer",
    kind: CHUNK_SIZE,
    default: "64KiB",
    help: "bytes per read call",
    variants: &["buffered"],
};

/// Knobs of `read`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadSpec {
    /// How the file is loaded.
    pub method: ReadMethod,
}

variants! {
    /// The variants of `read`.
    pub enum ReadVariant {
        /// [`ReadMethod::Whole`].
        Whole = VariantDesc {
            name: "whole",
            help: "ask the size, read it all in one call into fresh memory, keep it",
            needs: &[],
        },
        /// [`ReadMethod::Buffered`].
        Buffered = VariantDesc {
            name: "buffered",
            help: "read pieces of `buffer` bytes, appending each to the kept result",
            needs: &[],
        },
        /// [`ReadMethod::Discard`].
        Discard = VariantDesc {
            name: "discard",
            help: "one read into the lane's reused buffer; checksum the bytes and drop them",
            needs: &[],
        },
        /// [`ReadMethod::Untouched`].
        Untouched = VariantDesc {
            name: "untouched",
            help: "one read into the lane's reused buffer, the bytes untouched but for their first and last 8 (the work of fio, IOR and mdtest)",
            needs: &[],
        },
    }
}

impl WorkloadSpec for ReadSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "read",
        summary: "load one whole corpus file into memory",
        variants: ReadVariant::DESCS,
        knobs: &[BUFFER],
        reads: "one corpus file per task",
        writes: "",
        verifies: "each task's bytes (or their xxh3) against the corpus manifest (untouched: the length and both ends against a re-read after the region)",
    };

    const READS: Reads = Reads::EachInput;

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let method = match ReadVariant::of(variant)? {
            ReadVariant::Whole => ReadMethod::Whole,
            ReadVariant::Buffered => ReadMethod::Buffered {
                buffer: knobs.size(&BUFFER)?,
            },
            ReadVariant::Discard => ReadMethod::Discard,
            ReadVariant::Untouched => ReadMethod::Untouched,
        };
        Ok(ReadSpec { method })
    }

    fn variant(&self) -> &'static str {
        match self.method {
            ReadMethod::Whole => ReadVariant::Whole,
            ReadMethod::Buffered { .. } => ReadVariant::Buffered,
            ReadMethod::Discard => ReadVariant::Discard,
            ReadMethod::Untouched => ReadVariant::Untouched,
        }
        .as_str()
    }

    fn label(&self) -> String {
        self.method.label()
    }

    fn chunk_bytes(&self) -> Option<u64> {
        match self.method {
            ReadMethod::Buffered { buffer } => Some(buffer as u64),
            ReadMethod::Whole | ReadMethod::Discard | ReadMethod::Untouched => None,
        }
    }

    fn tasks(&self) -> Tasks {
        Tasks::PerFile
    }

    fn keeps_evidence(&self) -> bool {
        true
    }

    fn verify_tasks(&self, ctx: &TaskContext, corpus: &Corpus, kept: &Kept) -> Vec<String> {
        kept.iter()
            .filter_map(|(index, e)| verify(ctx, corpus, *index, e).err())
            .collect()
    }

    fn verify_run(&self, _: &TaskContext, _: &Corpus, _: u64, _: bool) -> RunCheck {
        RunCheck::passed("task evidence checked")
    }

    fn verify_finished(&self, _: &TaskContext, _: &Corpus, _: Vec<u32>) -> RunCheck {
        RunCheck::passed("task evidence checked")
    }
}

impl TaskRunner for ReadSpec {
    fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf {
        ctx.input(index)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        run(self, io, task.ctx, task.lane, task.index).await
    }
}

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
    /// Untouched: as `Discard`, but only the length and the first and last
    /// 8 bytes are kept ([`Evidence::Ends`]): the bytes are not looked at,
    /// as fio, IOR and mdtest leave them.
    Untouched,
}

impl ReadMethod {
    /// Label such as `whole` or `buffer=64KiB`.
    pub fn label(&self) -> String {
        match self {
            ReadMethod::Whole => "whole".into(),
            ReadMethod::Buffered { buffer } => format!("buffer={}", size_label(*buffer)),
            ReadMethod::Discard => "discard".into(),
            ReadMethod::Untouched => "untouched".into(),
        }
    }

    /// What the variant does with the bytes: `keep` or `discard`.
    pub fn data(&self) -> &'static str {
        match self {
            ReadMethod::Whole | ReadMethod::Buffered { .. } => "keep",
            ReadMethod::Discard | ReadMethod::Untouched => "discard",
        }
    }
}

async fn run<I: Io>(
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
        ReadMethod::Discard | ReadMethod::Untouched => {
            let size = io.size(&file).await? as usize;
            let (res, mut buf) = read_exact_at(io, &file, lane.take_buf(size), 0).await;
            let read = res.map(|n| {
                buf.set_len(n);
                match spec.method {
                    ReadMethod::Untouched => Evidence::ends_of(buf.as_slice()),
                    _ => Evidence::checksum_of(buf.as_slice()),
                }
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
        ..TaskOutput::default()
    })
}

/// An untouched read's evidence: its length the manifest's, its ends the
/// file's as re-read now (the corpus was verified against its manifest
/// before the run).
fn verify_ends(
    ctx: &TaskContext,
    index: u32,
    len: u64,
    size: u64,
    evidence: &Evidence,
) -> Result<(), String> {
    let path = ctx.input(index);
    if len != size {
        return Err(format!(
            "{}: read {len} bytes, the manifest says {size}",
            path.display()
        ));
    }
    let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    match evidence.matches(&data) {
        true => Ok(()),
        false => Err(format!(
            "{}: the bytes read end otherwise than the file's",
            path.display()
        )),
    }
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

fn verify(
    ctx: &TaskContext,
    corpus: &Corpus,
    index: u32,
    evidence: &Evidence,
) -> Result<(), String> {
    let expected = corpus
        .manifest
        .files
        .get(index as usize)
        .ok_or_else(|| format!("file {index} is not in the manifest"))?;
    if let Evidence::Ends { len, .. } = evidence {
        return verify_ends(ctx, index, *len, expected.size, evidence);
    }
    let Some((len, xxh3)) = evidence.summary() else {
        return Err(format!(
            "{}: the task kept a word fold, which the manifest's xxh3 cannot check",
            corpus.file_label(index)
        ));
    };
    if len != expected.size || xxh3 != expected.checksum {
        return Err(format!(
            "{}: loaded {len} bytes that do not match the manifest ({} bytes, checksum {:016x})",
            corpus.file_label(index),
            expected.size,
            expected.checksum
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Blocking;
    use futures::executor::block_on;
    use std::os::unix::fs::FileExt;

    #[test]
    fn untouched_read_keeps_the_ends_and_is_checked_against_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (corpus, ctx) = crate::workload::test_corpus(dir.path(), 4, 4096);
        let spec = ReadSpec {
            method: ReadMethod::Untouched,
        };
        let mut lane = Lane::default();
        let evidence: Vec<(u32, Evidence)> = ctx
            .file_range()
            .map(|k| {
                let out = block_on(run(&spec, &Blocking, &ctx, &mut lane, k)).unwrap();
                assert_eq!(out.bytes, corpus.manifest.files[k as usize].size);
                (k, out.evidence.unwrap())
            })
            .collect();
        assert!(evidence
            .iter()
            .all(|(_, e)| matches!(e, Evidence::Ends { .. })));
        let check = |ev: &[(u32, Evidence)]| spec.verify_tasks(&ctx, &corpus, ev);
        assert_eq!(check(&evidence), Vec::<String>::new());
        // File 0's evidence as file 1's: another length or other ends.
        assert_eq!(check(&[(1, evidence[0].1.clone())]).len(), 1);
        // File 2's last byte changes after the region: seen.
        let path = ctx.input(2);
        let size = corpus.manifest.files[2].size;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let mut b = [0u8; 1];
        file.read_exact_at(&mut b, size - 1).unwrap();
        file.write_all_at(&[b[0] ^ 0x55], size - 1).unwrap();
        let errors = check(&evidence);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("end otherwise"), "{errors:?}");
    }
}
