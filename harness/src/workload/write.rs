//! `write`: generate one file's CSV content and save it (the tutorials'
//! "save 10,000 files"); verification re-reads every output.

use std::io;

use rayon::prelude::*;

use super::{RunCheck, TaskContext, TaskOutput, WriteSpec};
use crate::corpus::{self, Corpus};
use crate::io::{write_all_at, Buf, Io, Open};

pub(super) async fn run<I: Io>(
    spec: &WriteSpec,
    io: &I,
    ctx: &TaskContext,
    index: u32,
) -> io::Result<TaskOutput> {
    let mut content = Vec::new();
    corpus::render_file(index, ctx.lines, ctx.values, &mut content);
    let bytes = content.len() as u64;
    let file = io.open(&ctx.output(index), Open::CREATE_NEW).await?;
    match spec.chunk {
        None => {
            write_all_at(io, &file, Buf::from_vec(content), 0).await.0?;
        }
        Some(chunk) => {
            for (i, piece) in content.chunks(chunk.max(1)).enumerate() {
                let offset = (i * chunk.max(1)) as u64;
                write_all_at(io, &file, Buf::from_vec(piece.to_vec()), offset)
                    .await
                    .0?;
            }
        }
    }
    if spec.fsync {
        io.sync_all(&file).await?;
    }
    io.close(file).await?;
    Ok(TaskOutput {
        bytes,
        count: 0,
        evidence: None,
    })
}

/// Every output file must equal its corpus file (size and checksum): the
/// write workload renders the same bytes, the copy workload copies them.
pub(super) fn verify_outputs(ctx: &TaskContext, corpus: &Corpus, files: Vec<u32>) -> RunCheck {
    let checked = files.len();
    let bad: Vec<String> = files
        .into_par_iter()
        .filter_map(|k| {
            let path = ctx.output(k);
            let expected = corpus.manifest.files.get(k as usize)?;
            match std::fs::read(&path) {
                Ok(data)
                    if data.len() as u64 == expected.size
                        && corpus::checksum(&data) == expected.checksum =>
                {
                    None
                }
                Ok(data) => Some(format!(
                    "{}: {} bytes, content differs from the manifest",
                    path.display(),
                    data.len()
                )),
                Err(e) => Some(format!("{}: {e}", path.display())),
            }
        })
        .collect();
    if bad.is_empty() {
        RunCheck::passed(format!("{checked} outputs match the manifest"))
    } else {
        RunCheck::failed(format!(
            "{} of {} outputs wrong, first: {}",
            bad.len(),
            checked,
            bad[0]
        ))
    }
}
