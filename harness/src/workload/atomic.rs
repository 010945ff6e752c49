//! `atomic-save`: overwrite an existing file with new content, in place or
//! through a temporary file and `rename`, with or without `fsync`; verification
//! checks that every target is wholly old or wholly new.

use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{RunCheck, SaveSpec, TaskContext, TaskOutput};
use crate::corpus;
use crate::io::{write_all_at, Buf, Io, Open};

/// How a file is replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SaveVariant {
    /// Truncate the target and write: a crash in between leaves it torn or empty.
    InPlace,
    /// Write a temporary file, rename it over the target.
    Rename,
    /// Write a temporary file, `fsync` it, rename it over the target.
    RenameFsync,
    /// As `RenameFsync`, then `fsync` the directory so the rename itself is durable.
    RenameFsyncDir,
}

impl SaveVariant {
    /// Every variant, in a fixed order.
    pub const ALL: [SaveVariant; 4] = [
        SaveVariant::InPlace,
        SaveVariant::Rename,
        SaveVariant::RenameFsync,
        SaveVariant::RenameFsyncDir,
    ];

    /// The kebab-case name used in files and on the command line.
    pub fn as_str(&self) -> &'static str {
        match self {
            SaveVariant::InPlace => "in-place",
            SaveVariant::Rename => "rename",
            SaveVariant::RenameFsync => "rename-fsync",
            SaveVariant::RenameFsyncDir => "rename-fsync-dir",
        }
    }
}

/// Target `k` of the save workload.
pub(super) fn target(ctx: &TaskContext, k: u32) -> PathBuf {
    ctx.scratch
        .join(format!("target-{}", corpus::file_name(k, ctx.files)))
}

fn temp(ctx: &TaskContext, k: u32) -> PathBuf {
    ctx.scratch
        .join(format!(".tmp-{}", corpus::file_name(k, ctx.files)))
}

/// The old content of target `k` is corpus file `k`; the new content is the
/// content of file `k + 1` (so old and new differ in every line).
fn new_content(ctx: &TaskContext, k: u32, out: &mut Vec<u8>) {
    corpus::render_file(k + 1, ctx.lines, ctx.values, out);
}

pub(super) fn setup(ctx: &TaskContext) -> io::Result<()> {
    ctx.file_range().into_par_iter().try_for_each(|k| {
        let to = target(ctx, k);
        crate::safefs::copy_new(&ctx.input(k), &to)
            .map(|_| ())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", to.display())))
    })
}

pub(super) async fn run<I: Io>(
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
        io.close(file).await?;
        return Ok(TaskOutput {
            bytes,
            count: 1,
            evidence: None,
        });
    }
    let tmp = temp(ctx, index);
    let file = io.open(&tmp, Open::CREATE_NEW).await?;
    write_all_at(io, &file, Buf::from_vec(content), 0).await.0?;
    if matches!(
        spec.variant,
        SaveVariant::RenameFsync | SaveVariant::RenameFsyncDir
    ) {
        io.sync_all(&file).await?;
    }
    io.close(file).await?;
    io.rename(&tmp, &to).await?;
    if spec.variant == SaveVariant::RenameFsyncDir {
        sync_dir(io, &ctx.scratch).await?;
    }
    Ok(TaskOutput {
        bytes,
        count: 1,
        evidence: None,
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
pub(super) fn verify(ctx: &TaskContext, interrupted: bool) -> RunCheck {
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
