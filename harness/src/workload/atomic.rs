//! `atomic-save`: overwrite an existing file with new content, in place or
//! through a temporary file and `rename`, with or without `fsync`; verification
//! checks that every target is wholly old or wholly new.

use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::durability::{self, Durability};
use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::{needs_every_task, Tasks};
use super::{Reads, RunCheck, TaskContext, TaskOutput};
use crate::corpus::{self, Corpus};
use crate::describe::{KnobError, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{write_all_at, Buf, Io, Open};

/// Knobs of `atomic-save`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveSpec {
    /// How the file is replaced.
    pub variant: SaveVariant,
    /// What must be on disk when the timed region closes, beyond what the
    /// variant syncs itself (plans recorded before the axis hold none:
    /// `none`).
    #[serde(default)]
    pub durability: Durability,
}

impl WorkloadSpec for SaveSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "atomic-save",
        summary: "overwrite an existing file with new content, in place or through a temporary file and rename",
        variants: SaveVariant::DESCS,
        knobs: &[durability::KNOB],
        reads: "one save target per task (a copy of its corpus file)",
        writes: "the target's new content (and a temporary file)",
        verifies: "every target wholly old or wholly new; after a kill, none torn",
    };

    const READS: Reads = Reads::Own {
        why: "overwrites files of its own",
        cached: Some(target),
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let variant = SaveVariant::of(variant)?;
        // `each` adds an fsync to every file the variant does not sync
        // already; the fsync variants sync every file, so for them it adds
        // nothing and is the same scenario as `none` (a grid lists it as
        // not applying).
        let durability = match (variant.fsyncs_each_file(), Durability::of(knobs)?) {
            (true, Durability::Each) => Durability::None,
            (_, asked) => asked,
        };
        Ok(SaveSpec {
            variant,
            durability,
        })
    }

    fn variant(&self) -> &'static str {
        self.variant.as_str()
    }

    fn label(&self) -> String {
        self.durability.labelled(self.variant.as_str().to_string())
    }

    fn durability(&self) -> Option<Durability> {
        Some(self.durability)
    }

    fn chunk_bytes(&self) -> Option<u64> {
        None
    }

    fn tasks(&self) -> Tasks {
        Tasks::PerFile
    }

    fn keeps_evidence(&self) -> bool {
        false
    }

    fn setup_repetition(&self, ctx: &TaskContext) -> io::Result<()> {
        setup(ctx)
    }

    fn verify_run(&self, ctx: &TaskContext, _: &Corpus, _: u64, interrupted: bool) -> RunCheck {
        verify(ctx, interrupted)
    }

    fn verify_finished(&self, ctx: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        needs_every_task("atomic-save", finished.len(), ctx.used_files as usize)
    }
}

impl TaskRunner for SaveSpec {
    fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf {
        target(ctx, index)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        run(self, io, task.ctx, task.index).await
    }
}

variants! {
    /// How a file is replaced.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum SaveVariant {
        /// As `RenameFsync`, then `fsync` the directory so the rename itself is durable.
        RenameFsyncDir = VariantDesc {
            name: "rename-fsync-dir",
            help: "temporary file, fsync, rename over the target, fsync the folder",
            needs: &[],
        },
        /// Truncate the target and write: a crash in between leaves it torn or empty.
        InPlace = VariantDesc {
            name: "in-place",
            help: "truncate the target and write: a crash leaves it torn or empty",
            needs: &[],
        },
        /// Write a temporary file, rename it over the target.
        Rename = VariantDesc {
            name: "rename",
            help: "temporary file renamed over the target, no fsync",
            needs: &[],
        },
        /// Write a temporary file, `fsync` it, rename it over the target.
        RenameFsync = VariantDesc {
            name: "rename-fsync",
            help: "temporary file, fsync, rename over the target",
            needs: &[],
        },
    }
}

impl SaveVariant {
    /// Whether the variant itself fsyncs every file it writes.
    pub fn fsyncs_each_file(self) -> bool {
        match self {
            SaveVariant::InPlace | SaveVariant::Rename => false,
            SaveVariant::RenameFsync | SaveVariant::RenameFsyncDir => true,
        }
    }
}

/// Target `k` of the save workload (in the scratch folder's subfolder of
/// file `k` when the corpus is sharded).
pub(super) fn target(ctx: &TaskContext, k: u32) -> PathBuf {
    ctx.scratch_file(k, &format!("target-{}", corpus::file_name(k, ctx.files)))
}

/// Temporary file of save `k`, beside its target (a rename never
/// crosses folders).
fn temp(ctx: &TaskContext, k: u32) -> PathBuf {
    ctx.scratch_file(k, &format!(".tmp-{}", corpus::file_name(k, ctx.files)))
}

/// The old content of target `k` is corpus file `k`; the new content is the
/// content of file `k + 1` (so old and new differ in every line).
fn new_content(ctx: &TaskContext, k: u32, out: &mut Vec<u8>) {
    corpus::render_file(k + 1, ctx.lines, ctx.values, out);
}

fn setup(ctx: &TaskContext) -> io::Result<()> {
    ctx.file_range().into_par_iter().try_for_each(|k| {
        let to = target(ctx, k);
        crate::safefs::copy_new(&ctx.input(k), &to)
            .map(|_| ())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", to.display())))
    })
}

async fn run<I: Io>(
    spec: &SaveSpec,
    io: &I,
    ctx: &TaskContext,
    index: u32,
) -> io::Result<TaskOutput> {
    let mut content = Vec::new();
    new_content(ctx, index, &mut content);
    let bytes = content.len() as u64;
    let to = target(ctx, index);
    if spec.variant == SaveVariant::InPlace {
        let file = io.open(&to, Open::CREATE).await?;
        write_all_at(io, &file, Buf::from_vec(content), 0).await.0?;
        spec.durability.sync_file(io, &file).await?;
        io.close(file).await?;
        return Ok(TaskOutput {
            bytes,
            count: 1,
            evidence: None,
            ..TaskOutput::default()
        });
    }
    let tmp = temp(ctx, index);
    let file = io.open(&tmp, Open::CREATE_NEW).await?;
    write_all_at(io, &file, Buf::from_vec(content), 0).await.0?;
    if spec.variant.fsyncs_each_file() {
        io.sync_all(&file).await?;
    } else {
        spec.durability.sync_file(io, &file).await?;
    }
    io.close(file).await?;
    io.rename(&tmp, &to).await?;
    if spec.variant == SaveVariant::RenameFsyncDir {
        // The folder the rename happened in: the target's own.
        sync_dir(io, to.parent().unwrap_or(&ctx.scratch)).await?;
    }
    Ok(TaskOutput {
        bytes,
        count: 1,
        evidence: None,
        ..TaskOutput::default()
    })
}

async fn sync_dir<I: Io>(io: &I, dir: &Path) -> io::Result<()> {
    let handle = io.open(dir, Open::READ).await?;
    io.sync_all(&handle).await?;
    io.close(handle).await
}

/// Each target must be wholly the old content or wholly the new; anything else
/// is torn. After a normal run every target must be new.
/// After a crash (`interrupted`), old targets are fine (their save never
/// happened); only torn ones fail.
fn verify(ctx: &TaskContext, interrupted: bool) -> RunCheck {
    let states: Vec<TargetState> = ctx
        .file_range()
        .into_par_iter()
        .map(|k| classify(ctx, k))
        .collect();
    let torn = states.iter().filter(|s| **s == TargetState::Torn).count() as u64;
    let old = states.iter().filter(|s| **s == TargetState::Old).count();
    let new = states.len() - old - torn as usize;
    let mut check = if interrupted {
        let account = format!("writers killed: {new} targets new, {old} old, {torn} torn");
        if torn == 0 {
            RunCheck::passed(account)
        } else {
            RunCheck::failed(account)
        }
    } else if torn == 0 && old == 0 {
        RunCheck::passed(format!("{} targets wholly new", ctx.used_files))
    } else {
        RunCheck::failed(format!(
            "{torn} torn and {old} old targets of {}",
            ctx.used_files
        ))
    };
    check.torn = Some(torn);
    check
}

/// What a save target holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetState {
    /// The content before the save.
    Old,
    /// The saved content.
    New,
    /// Neither (empty, partial or mixed), or unreadable.
    Torn,
}

/// Classify target `k`.
pub fn classify(ctx: &TaskContext, k: u32) -> TargetState {
    let Ok(data) = std::fs::read(target(ctx, k)) else {
        return TargetState::Torn;
    };
    let mut expected = Vec::new();
    new_content(ctx, k, &mut expected);
    if data == expected {
        return TargetState::New;
    }
    corpus::render_file(k, ctx.lines, ctx.values, &mut expected);
    if data == expected {
        TargetState::Old
    } else {
        TargetState::Torn
    }
}
