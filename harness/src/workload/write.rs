//! `write`: generate one file's CSV content and save it (the tutorials'
//! "save 10,000 files"); verification re-reads every output.

use std::io;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::durability::{self, Durability};
use super::registry::WorkloadSpec;
use super::runner::TaskRunner;
use super::Tasks;
use super::{size_label, Lane, RunCheck, Shared, TaskContext, TaskOutput};
use crate::corpus::{self, Corpus};
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{write_all_at, Buf, Io, Open};

/// Largest chunk or buffer size a workload accepts (1 GiB).
pub const MAX_CHUNK: u64 = 1 << 30;

/// The range of a chunk or buffer size: 1 byte to [`MAX_CHUNK`].
pub const CHUNK_SIZE: KnobKind = KnobKind::Size {
    min: 1,
    max: MAX_CHUNK,
    multiple_of: 1,
};

const CHUNK: KnobDesc = KnobDesc {
    key: "chunk",
    kind: CHUNK_SIZE,
    default: "64KiB",
    help: "bytes per write call",
    variants: &["chunked"],
};

variants! {
    /// The variants of `write`.
    pub enum WriteVariant {
        /// The whole file in one write call.
        OneWrite = VariantDesc {
            name: "one-write",
            help: "the whole file in one write call",
            needs: &[],
        },
        /// The file in pieces of `chunk` bytes.
        Chunked = VariantDesc {
            name: "chunked",
            help: "the file in pieces of `chunk` bytes",
            needs: &[],
        },
    }
}

/// Knobs of `write`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteSpec {
    /// What must be on disk when the timed region closes. (Plans recorded
    /// before the axis hold write's `fsync` switch: read as `each` or
    /// `none`; plans before that hold nothing: `none`.)
    #[serde(default, alias = "fsync")]
    pub durability: Durability,
    /// Write in pieces of this many bytes; `None` writes the file in one call.
    pub chunk: Option<usize>,
}

impl WorkloadSpec for WriteSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "write",
        summary: "render one corpus file's CSV content and save it as a new file (the tutorials' \"save\")",
        variants: WriteVariant::DESCS,
        knobs: &[CHUNK, durability::KNOB],
        reads: "",
        writes: "one new file per task in the scratch folder",
        verifies: "every output's size and xxh3 against the corpus manifest",
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(WriteSpec {
            durability: Durability::of(knobs)?,
            chunk: match WriteVariant::of(variant)? {
                WriteVariant::OneWrite => None,
                WriteVariant::Chunked => Some(knobs.size(&CHUNK)?),
            },
        })
    }

    fn variant(&self) -> &'static str {
        match self.chunk {
            Some(_) => WriteVariant::Chunked,
            None => WriteVariant::OneWrite,
        }
        .as_str()
    }

    fn label(&self) -> String {
        let base = self.chunk.map_or("one-write".to_string(), |c| {
            format!("chunk={}", size_label(c))
        });
        self.durability.labelled(base)
    }

    fn durability(&self) -> Option<Durability> {
        Some(self.durability)
    }

    fn chunk_bytes(&self) -> Option<u64> {
        self.chunk.map(|c| c as u64)
    }

    fn tasks(&self) -> Tasks {
        Tasks::PerFile
    }

    fn inputs(&self, _ctx: &TaskContext) -> Vec<PathBuf> {
        Vec::new()
    }

    fn input_set_refusal(&self) -> Option<&'static str> {
        Some("write makes files of generated content and reads none, so an input set means nothing to it")
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

impl TaskRunner for WriteSpec {
    fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf {
        ctx.output(index)
    }

    async fn run_task<I: Io>(
        &self,
        io: &I,
        ctx: &TaskContext,
        _shared: &Shared<I::File>,
        _lane: &mut Lane<I::File>,
        index: u32,
    ) -> io::Result<TaskOutput> {
        run(self, io, ctx, index).await
    }
}

async fn run<I: Io>(
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
    spec.durability.sync_file(io, &file).await?;
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
