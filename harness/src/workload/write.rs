//! `write`: generate one file's CSV content and save it (the tutorials'
//! "save 10,000 files"), or (`prepared`) save bytes rendered before the
//! timed region, as fio, IOR and mdtest write a buffer they filled before
//! timing; verification re-reads every output.

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::durability::{self, Durability};
use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::Tasks;
use super::{size_label, Lane, Reads, RunCheck, Shared, TaskContext, TaskOutput};
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
        /// The whole file in one write call, of bytes rendered before the region.
        Prepared = VariantDesc {
            name: "prepared",
            help: "the whole file in one write call, of bytes rendered before the timed region (the work of fio, IOR and mdtest)",
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
    /// Write bytes rendered before the timed region (`prepared`) rather
    /// than rendering each file in its task (plans recorded before the
    /// variant hold none: `false`).
    #[serde(default)]
    pub prepared: bool,
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

    const READS: Reads = Reads::Own {
        why: "makes files of generated content and reads none, so an input set means nothing to it",
        cached: None,
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let variant = WriteVariant::of(variant)?;
        Ok(WriteSpec {
            durability: Durability::of(knobs)?,
            chunk: match variant {
                WriteVariant::OneWrite | WriteVariant::Prepared => None,
                WriteVariant::Chunked => Some(knobs.size(&CHUNK)?),
            },
            prepared: variant == WriteVariant::Prepared,
        })
    }

    fn variant(&self) -> &'static str {
        match (self.prepared, self.chunk) {
            (true, _) => WriteVariant::Prepared,
            (false, Some(_)) => WriteVariant::Chunked,
            (false, None) => WriteVariant::OneWrite,
        }
        .as_str()
    }

    fn label(&self) -> String {
        let base = match (self.prepared, self.chunk) {
            (true, _) => "prepared".to_string(),
            (false, Some(c)) => format!("chunk={}", size_label(c)),
            (false, None) => "one-write".to_string(),
        };
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

    fn keeps_evidence(&self) -> bool {
        false
    }

    fn setup_repetition(&self, ctx: &TaskContext) -> io::Result<()> {
        if self.prepared {
            Rendered::for_context(ctx);
        }
        Ok(())
    }

    async fn prepare<I: Io>(&self, _io: &I, ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        let mut shared = Shared::empty();
        if self.prepared {
            shared.rendered = Some(Rendered::for_context(ctx));
        }
        Ok(shared)
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

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        match &task.shared.rendered {
            Some(rendered) => {
                write_prepared(self, io, task.ctx, task.lane, rendered, task.index).await
            }
            None => run(self, io, task.ctx, task.index).await,
        }
    }
}

/// The files a `prepared` write saves, rendered before the timed region:
/// the CSV of files `first ..` of the context, one after another.
#[derive(Debug)]
pub struct Rendered {
    /// Lines and values per line of the corpus rendered.
    shape: (u32, u32),
    /// The first file rendered.
    first: u32,
    /// Where each file ends in `bytes`.
    ends: Vec<usize>,
    /// The files' bytes.
    bytes: Vec<u8>,
}

/// The last rendering of this process, kept for the next repetition.
static RENDERED: Mutex<Option<Arc<Rendered>>> = Mutex::new(None);

impl Rendered {
    /// The files of `ctx` rendered: the process's last rendering when it
    /// holds them, else rendered now (in the runner's process that is
    /// `setup_repetition`, before the region; a worker process renders in
    /// its start-up, inside the region).
    fn for_context(ctx: &TaskContext) -> Arc<Rendered> {
        let mut last = RENDERED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = last.as_ref().filter(|r| r.holds(ctx)) {
            return Arc::clone(r);
        }
        *last = None; // free the old rendering before making the new one
        let files: Vec<Vec<u8>> = ctx
            .file_range()
            .into_par_iter()
            .map(|k| {
                let mut content = Vec::new();
                corpus::render_file(k, ctx.lines, ctx.values, &mut content);
                content
            })
            .collect();
        let mut bytes = Vec::with_capacity(files.iter().map(Vec::len).sum());
        let ends = files
            .iter()
            .map(|f| {
                bytes.extend_from_slice(f);
                bytes.len()
            })
            .collect();
        let rendered = Arc::new(Rendered {
            shape: (ctx.lines, ctx.values),
            first: ctx.first_file,
            ends,
            bytes,
        });
        *last = Some(Arc::clone(&rendered));
        rendered
    }

    /// Whether it holds every file of `ctx`.
    fn holds(&self, ctx: &TaskContext) -> bool {
        let range = ctx.file_range();
        self.shape == (ctx.lines, ctx.values)
            && self.first <= range.start
            && range.end as usize <= self.first as usize + self.ends.len()
    }

    /// The bytes of file `k`.
    fn file(&self, k: u32) -> io::Result<&[u8]> {
        let i = k.checked_sub(self.first).map(|i| i as usize);
        match i.filter(|&i| i < self.ends.len()) {
            Some(i) => Ok(&self.bytes[i.checked_sub(1).map_or(0, |p| self.ends[p])..self.ends[i]]),
            None => Err(io::Error::other(format!("file {k} was not rendered"))),
        }
    }
}

/// Save file `index` from its prepared bytes: written in place where the
/// backend writes when called (blocking), else copied into the lane's
/// reused buffer first (tokio and io_uring need an owned buffer).
async fn write_prepared<I: Io>(
    spec: &WriteSpec,
    io: &I,
    ctx: &TaskContext,
    lane: &mut Lane<I::File>,
    rendered: &Rendered,
    index: u32,
) -> io::Result<TaskOutput> {
    let content = rendered.file(index)?;
    let file = io.open(&ctx.output(index), Open::CREATE_NEW).await?;
    match io.write_at_now(&file, content, 0) {
        Some(Ok(n)) if n == content.len() => {}
        Some(Err(e)) => return Err(e),
        Some(Ok(_)) | None => {
            let mut buf = lane.take_buf(content.len());
            buf.as_mut_slice().copy_from_slice(content);
            let (res, buf) = write_all_at(io, &file, buf, 0).await;
            lane.put_buf(buf);
            res?;
        }
    }
    spec.durability.sync_file(io, &file).await?;
    io.close(file).await?;
    Ok(TaskOutput {
        bytes: content.len() as u64,
        count: 0,
        evidence: None,
        ..TaskOutput::default()
    })
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
        ..TaskOutput::default()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Blocking;
    use futures::executor::block_on;

    #[test]
    fn prepared_writes_the_bytes_rendered_before_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let (corpus, ctx) = crate::workload::test_corpus(dir.path(), 6, 4096);
        let spec = WriteSpec {
            durability: Durability::None,
            chunk: None,
            prepared: true,
        };
        assert_eq!(spec.variant(), "prepared");
        // Before the region: rendered once, and kept for the next repetition.
        spec.setup_repetition(&ctx).unwrap();
        let shared = block_on(spec.prepare(&Blocking, &ctx)).unwrap();
        let rendered = shared.rendered.as_ref().unwrap();
        assert!(Arc::ptr_eq(rendered, &Rendered::for_context(&ctx)));
        let mut expected = Vec::new();
        for k in ctx.file_range() {
            corpus::render_file(k, ctx.lines, ctx.values, &mut expected);
            assert_eq!(rendered.file(k).unwrap(), expected.as_slice());
        }
        assert!(rendered.file(6).is_err());
        let mut lane = Lane::default();
        for k in ctx.file_range() {
            let out = block_on(spec.run_task(
                &Blocking,
                Task {
                    ctx: &ctx,
                    shared: &shared,
                    lane: &mut lane,
                    index: k,
                },
            ))
            .unwrap();
            assert_eq!(out.bytes, corpus.manifest.files[k as usize].size);
        }
        assert!(spec.verify_run(&ctx, &corpus, 0, true).verified);
        // A rank's block of the files is held by the same rendering; a
        // corpus of another shape is rendered anew.
        assert!(Arc::ptr_eq(
            &Rendered::for_context(&ctx.on_block(2, 3)),
            rendered
        ));
        let other = TaskContext {
            lines: ctx.lines + 1,
            ..ctx.clone()
        };
        assert!(!Arc::ptr_eq(&Rendered::for_context(&other), rendered));
        // A prepared output that is not the corpus's is caught.
        std::fs::write(ctx.output(3), b"not the file").unwrap();
        assert!(!spec.verify_run(&ctx, &corpus, 0, true).verified);
    }
}
