//! `probe` (test builds only): a workload added exactly as
//! `docs/ARCHITECTURE.md` says a workload is added — this file, and `mod
//! probe;` with one line of the `workloads!` list in `workload/mod.rs` —
//! with a knob whose key no other workload has (`probe_bytes`: its
//! description here is all a new knob costs). `strategy/reverse.rs` is the
//! strategy added the same way; the tests of `recipes.rs` check that both
//! get their flags, their experiment-file keys and checks, their rows in
//! `iolab describe`, and run.
//!
//! Each task reads the first (`head`) or last (`tail`) `probe_bytes` bytes
//! of its corpus file and keeps them; after the timed region they are
//! compared with the file's bytes read again.

use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::Tasks;
use super::{size_label, Evidence, Kept, Reads, RunCheck, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{read_exact_at, Buf, Io, Open};

/// Bytes each task reads: a knob key of this workload alone.
const PROBE_BYTES: KnobDesc = KnobDesc {
    key: "probe_bytes",
    kind: KnobKind::Size {
        min: 1,
        max: 64 << 10,
        multiple_of: 1,
    },
    default: "16",
    help: "bytes each task reads from its file",
    variants: &[],
};

variants! {
    /// Which end of its file a task reads.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum ProbeVariant {
        /// The first `probe_bytes` bytes.
        Head = VariantDesc {
            name: "head",
            help: "the file's first `probe_bytes` bytes",
            needs: &[],
        },
        /// The last `probe_bytes` bytes.
        Tail = VariantDesc {
            name: "tail",
            help: "the file's last `probe_bytes` bytes",
            needs: &[],
        },
    }
}

/// Knobs of `probe`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    /// Which end.
    pub variant: ProbeVariant,
    /// Bytes per task.
    pub bytes: usize,
}

impl WorkloadSpec for ProbeSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "probe",
        summary: "read a few bytes at one end of a corpus file (a test's workload)",
        variants: ProbeVariant::DESCS,
        knobs: &[PROBE_BYTES],
        reads: "one corpus file per task",
        writes: "",
        verifies: "each task's bytes against the file read again",
    };

    const READS: Reads = Reads::EachInput;

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(ProbeSpec {
            variant: ProbeVariant::of(variant)?,
            bytes: knobs.size(&PROBE_BYTES)?,
        })
    }

    fn variant(&self) -> &'static str {
        self.variant.as_str()
    }

    fn label(&self) -> String {
        format!(
            "{},probe_bytes={}",
            self.variant.as_str(),
            size_label(self.bytes)
        )
    }

    fn chunk_bytes(&self) -> Option<u64> {
        None
    }

    fn tasks(&self) -> Tasks {
        Tasks::PerFile
    }

    fn keeps_evidence(&self) -> bool {
        true
    }

    fn verify_tasks(&self, ctx: &TaskContext, _corpus: &Corpus, kept: &Kept) -> Vec<String> {
        kept.iter()
            .filter_map(|(k, e)| self.check(ctx, *k, e).err())
            .collect()
    }

    fn verify_run(&self, _: &TaskContext, _: &Corpus, _: u64, _: bool) -> RunCheck {
        RunCheck::passed("task evidence checked")
    }

    fn verify_finished(&self, _: &TaskContext, _: &Corpus, _: Vec<u32>) -> RunCheck {
        RunCheck::passed("task evidence checked")
    }
}

impl ProbeSpec {
    /// Where in a file of `size` bytes the task reads.
    fn offset(&self, size: u64) -> u64 {
        match self.variant {
            ProbeVariant::Head => 0,
            ProbeVariant::Tail => size.saturating_sub(self.bytes as u64),
        }
    }

    /// Task `k`'s bytes against its file read again.
    fn check(&self, ctx: &TaskContext, k: u32, evidence: &Evidence) -> Result<(), String> {
        let path = ctx.input(k);
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let size = file.metadata().map_err(|e| e.to_string())?.len();
        let mut expected = vec![0u8; (self.bytes as u64).min(size) as usize];
        file.read_exact_at(&mut expected, self.offset(size))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        match evidence.matches(&expected) {
            true => Ok(()),
            false => Err(format!("{}: the task read other bytes", path.display())),
        }
    }
}

impl TaskRunner for ProbeSpec {
    fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf {
        ctx.input(index)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        let (ctx, index) = (task.ctx, task.index);
        let file = io.open(&ctx.input(index), Open::READ).await?;
        let size = io.size(&file).await?;
        let len = (self.bytes as u64).min(size) as usize;
        let (read, mut buf) = read_exact_at(io, &file, Buf::zeroed(len), self.offset(size)).await;
        buf.set_len(read?);
        io.close(file).await?;
        Ok(TaskOutput {
            bytes: buf.len() as u64,
            count: 0,
            evidence: Some(Evidence::Bytes(buf.into_vec())),
            ..TaskOutput::default()
        })
    }
}
