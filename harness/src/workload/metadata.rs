//! `metadata`: the many-small-files cost, as mdtest measures it. Each task
//! works on its own `files_per_task` empty files in the scratch folder and
//! does one phase to each — create (`open(O_CREAT|O_EXCL)` + `close`),
//! stat (`statx` without following a link), open-close (`open(O_RDONLY|
//! O_NOFOLLOW)` + `close`), unlink — or, in `all`, every phase in turn
//! (create all, stat all, open-close all, unlink all), as an mdtest rank
//! does with its items. Every call goes through the [`Io`] seam, so the
//! phases run on the blocking, tokio and io_uring backends alike.
//!
//! The files the stat, open-close and unlink variants need are made by
//! [`setup`], outside the timed region. After it, [`verify`] lists the
//! scratch folder: each task's files are there (regular, empty) or gone,
//! as its variant leaves them, and no other name of the workload's is.
//!
//! Owns: the variants, the file names, the phases and their check. Does not
//! own: scheduling (the strategies) or emptying the scratch folder
//! (`corpus::reset_scratch`).

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::Tasks;
use super::{Reads, RunCheck, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{Io, Open};

/// Most files one task may touch.
pub const MAX_FILES_PER_TASK: u32 = 100_000;

/// The description of `metadata`.
/// Files each task works on.
const FILES_PER_TASK: KnobDesc = KnobDesc {
    key: "files_per_task",
    kind: KnobKind::Count {
        min: 1,
        max: MAX_FILES_PER_TASK as u64,
    },
    default: "4",
    help: "files each task works on (mdtest's items per task); one task per corpus file in use",
    variants: &[],
};

/// What `metadata` is (see [`WorkloadSpec::DESCRIPTION`]).
pub const DESCRIPTION: WorkloadDesc = WorkloadDesc {
    name: "metadata",
    summary: "per task, create, stat, open-close and unlink its own empty files in the scratch folder (mdtest's phases)",
    variants: MetadataVariant::DESCS,
    knobs: &[FILES_PER_TASK],
    reads: "nothing: file contents are never read (stat and open-close touch metadata only)",
    writes: "empty files md-<task>-<n> in the scratch folder (in its subfolder shard-<task mod K> on a sharded corpus; created by create and all, or before timing for the other variants)",
    verifies: "by listing the scratch folder after the timed region: every expected name present as an empty regular file (create, stat, open-close) or none left (unlink, all), and no other md- name",
};

variants! {
    /// Which phases a task runs.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum MetadataVariant {
        /// Create, stat, open-close, then unlink each file.
        All = VariantDesc {
            name: "all",
            help: "create, stat, open-close, then unlink each of the task's files (mdtest's cycle); leaves nothing",
            needs: &[],
        },
        /// Create each file.
        Create = VariantDesc {
            name: "create",
            help: "create each file new and empty (O_CREAT|O_EXCL|O_NOFOLLOW), then close it",
            needs: &[],
        },
        /// Stat each file.
        Stat = VariantDesc {
            name: "stat",
            help: "statx each file without following a link (files made before the timed region)",
            needs: &[],
        },
        /// Open and close each file.
        OpenClose = VariantDesc {
            name: "open-close",
            help: "open each file read-only with O_NOFOLLOW and close it (files made before the timed region)",
            needs: &[],
        },
        /// Unlink each file.
        Unlink = VariantDesc {
            name: "unlink",
            help: "unlink each file (files made before the timed region)",
            needs: &[],
        },
    }
}

/// One metadata operation, done to each of a task's files in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Create,
    Stat,
    OpenClose,
    Unlink,
}

impl MetadataVariant {
    fn phases(self) -> &'static [Phase] {
        match self {
            MetadataVariant::All => &[Phase::Create, Phase::Stat, Phase::OpenClose, Phase::Unlink],
            MetadataVariant::Create => &[Phase::Create],
            MetadataVariant::Stat => &[Phase::Stat],
            MetadataVariant::OpenClose => &[Phase::OpenClose],
            MetadataVariant::Unlink => &[Phase::Unlink],
        }
    }

    /// Whether the task's files exist before it runs (made by [`setup`]).
    fn files_before(self) -> bool {
        match self {
            MetadataVariant::All | MetadataVariant::Create => false,
            MetadataVariant::Stat | MetadataVariant::OpenClose | MetadataVariant::Unlink => true,
        }
    }

    /// Whether the task's files exist after it ran.
    fn files_after(self) -> bool {
        match self {
            MetadataVariant::All | MetadataVariant::Unlink => false,
            MetadataVariant::Create | MetadataVariant::Stat | MetadataVariant::OpenClose => true,
        }
    }
}

/// Knobs of `metadata`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetadataSpec {
    /// The phases.
    pub variant: MetadataVariant,
    /// Files each task works on.
    pub files_per_task: u32,
}

impl MetadataSpec {
    /// Label such as `create,files=4`.
    pub fn label(&self) -> String {
        format!("{},files={}", self.variant.as_str(), self.files_per_task)
    }

    /// Metadata operations one task does: files × phases (a create with its
    /// close, an open with its close, count as one operation each, as in
    /// mdtest).
    pub fn ops_per_task(&self) -> u64 {
        u64::from(self.files_per_task) * self.variant.phases().len() as u64
    }

    /// The spec a [`MetadataSpec::label`] was made from, for reading
    /// results back (the report's operations per second).
    pub fn from_label(label: &str) -> Option<MetadataSpec> {
        let (variant, files) = label.split_once(",files=")?;
        Some(MetadataSpec {
            variant: MetadataVariant::from_name(variant)?,
            files_per_task: files.parse().ok()?,
        })
    }
}

impl WorkloadSpec for MetadataSpec {
    const DESCRIPTION: WorkloadDesc = DESCRIPTION;

    const READS: Reads = Reads::Own {
        why: "works on small files of its own in the scratch folder, not on the inputs",
        cached: None,
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(MetadataSpec {
            variant: MetadataVariant::of(variant)?,
            files_per_task: knobs.count(&FILES_PER_TASK)?,
        })
    }

    fn variant(&self) -> &'static str {
        self.variant.as_str()
    }

    fn label(&self) -> String {
        MetadataSpec::label(self)
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
        setup(self, ctx)
    }

    fn verify_run(&self, ctx: &TaskContext, _: &Corpus, count_sum: u64, _: bool) -> RunCheck {
        verify(self, ctx, count_sum, |_| true)
    }

    fn verify_finished(&self, ctx: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        let finished: HashSet<u32> = finished.into_iter().collect();
        verify(self, ctx, 0, |task| finished.contains(&task))
    }
}

impl TaskRunner for MetadataSpec {
    fn task_path(&self, ctx: &TaskContext, index: u32) -> PathBuf {
        path(ctx, index, 0)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        run(self, io, task.ctx, task.index).await
    }
}

/// Name of file `n` of task `task`: `md-<task>-<n>`.
fn name(task: u32, n: u32) -> String {
    format!("md-{task}-{n}")
}

/// Path of file `n` of task `task`, in the scratch folder (in the
/// subfolder of task `task` when the corpus is sharded: a task's files
/// share a folder, concurrent tasks spread over the folders).
pub(super) fn path(ctx: &TaskContext, task: u32, n: u32) -> PathBuf {
    ctx.scratch.join(rel(ctx, task, n))
}

/// [`path`] relative to the scratch folder.
fn rel(ctx: &TaskContext, task: u32, n: u32) -> PathBuf {
    ctx.folders.place(task, &name(task, n))
}

/// The task and file number a scratch name stands for, if it is one of
/// this workload's names.
fn parse_name(name: &str) -> Option<(u32, u32)> {
    let (task, n) = name.strip_prefix("md-")?.split_once('-')?;
    Some((task.parse().ok()?, n.parse().ok()?))
}

/// `e` with `path` in front, so a failed task names its file.
fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Make the files the stat, open-close and unlink variants start from:
/// each new and empty ([`crate::safefs::create_new`]: never through a link).
/// Runs before the timed region; nothing for create and all.
pub(super) fn setup(spec: &MetadataSpec, ctx: &TaskContext) -> io::Result<()> {
    if !spec.variant.files_before() {
        return Ok(());
    }
    ctx.file_range().into_par_iter().try_for_each(|task| {
        (0..spec.files_per_task).try_for_each(|n| {
            let p = path(ctx, task, n);
            crate::safefs::create_new(&p)
                .map(drop)
                .map_err(|e| at(&p, e))
        })
    })
}

/// Task `index`: each phase of the variant, to each of the task's files in turn.
pub(super) async fn run<I: Io>(
    spec: &MetadataSpec,
    io: &I,
    ctx: &TaskContext,
    index: u32,
) -> io::Result<TaskOutput> {
    for phase in spec.variant.phases() {
        for n in 0..spec.files_per_task {
            let p = path(ctx, index, n);
            apply(*phase, io, &p).await.map_err(|e| at(&p, e))?;
        }
    }
    Ok(TaskOutput {
        bytes: 0,
        count: spec.ops_per_task(),
        evidence: None,
        ..TaskOutput::default()
    })
}

async fn apply<I: Io>(phase: Phase, io: &I, p: &Path) -> io::Result<()> {
    match phase {
        Phase::Create => {
            let file = io.open(p, Open::CREATE_NEW).await?;
            io.close(file).await
        }
        Phase::Stat => {
            let stat = io.stat(p).await?;
            if stat.regular && stat.size == 0 {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "stat shows {} of {} bytes, not the empty regular file made for it",
                        if stat.regular {
                            "a regular file"
                        } else {
                            "no regular file (a link, folder or device)"
                        },
                        stat.size
                    ),
                ))
            }
        }
        Phase::OpenClose => {
            let file = io.open(p, Open::READ_NO_FOLLOW).await?;
            io.close(file).await
        }
        Phase::Unlink => io.unlink(p).await,
    }
}

/// Check the scratch folder by listing it: each task of `ctx` whose
/// `finished(task)` holds left its files as the variant leaves them, each
/// other task's files are as [`setup`] made them, and no other name of
/// this workload's (a task of `ctx` with a file number past
/// `files_per_task`) is there. `count_sum` is the operations the tasks
/// reported, stated in the account.
pub(super) fn verify(
    spec: &MetadataSpec,
    ctx: &TaskContext,
    count_sum: u64,
    finished: impl Fn(u32) -> bool,
) -> RunCheck {
    let listed = match list(ctx) {
        Ok(names) => names,
        Err(e) => return RunCheck::failed(format!("listing {}: {e}", ctx.scratch.display())),
    };
    let tasks = ctx.file_range();
    let mut problems = Vec::new();
    let mut present = 0u64;
    for task in tasks.clone() {
        let want = if finished(task) {
            spec.variant.files_after()
        } else {
            spec.variant.files_before()
        };
        for n in 0..spec.files_per_task {
            let rel = rel(ctx, task, n);
            let name = rel.display();
            let there = listed.contains(&rel);
            if there {
                present += 1;
            }
            match (want, there) {
                (true, true) => {
                    if let Some(wrong) = not_empty_file(&ctx.scratch.join(&rel)) {
                        problems.push(format!("{name}: {wrong}"));
                    }
                }
                (true, false) => problems.push(format!("{name} missing")),
                (false, true) => problems.push(format!("{name} left behind")),
                (false, false) => {}
            }
        }
    }
    // A name of this run's tasks past `files_per_task`, or in another
    // folder than its task's.
    let strays = listed.iter().filter(|p| {
        let parsed = p.file_name().and_then(|n| n.to_str()).and_then(parse_name);
        parsed.is_some_and(|(t, k)| {
            tasks.contains(&t) && (k >= spec.files_per_task || **p != rel(ctx, t, k))
        })
    });
    problems.extend(strays.map(|p| format!("{}: not a file of this run", p.display())));
    let files = u64::from(tasks.end - tasks.start) * u64::from(spec.files_per_task);
    if problems.is_empty() {
        RunCheck::passed(format!(
            "scratch folder listed: {present} of {files} files present, as {} leaves them ({count_sum} operations)",
            spec.variant.as_str()
        ))
    } else {
        let shown = problems.len().min(5);
        RunCheck::failed(format!(
            "{} of {files} files wrong after {}: {}{}",
            problems.len(),
            spec.variant.as_str(),
            problems[..shown].join("; "),
            if problems.len() > shown { "; …" } else { "" }
        ))
    }
}

/// The entries of the scratch folder, and of its `shard-*` subfolders when
/// the corpus is sharded, as paths relative to it (after the timed region).
fn list(ctx: &TaskContext) -> io::Result<HashSet<PathBuf>> {
    let mut names = HashSet::new();
    let mut add = |rel: &Path| -> io::Result<()> {
        for entry in std::fs::read_dir(ctx.scratch.join(rel))? {
            names.insert(rel.join(entry?.file_name()));
        }
        Ok(())
    };
    add(Path::new(""))?;
    for shard in ctx.folders.shard_names() {
        add(Path::new(&shard))?;
    }
    Ok(names)
}

/// What is wrong with `p` as one of the workload's files (it must be an
/// empty regular file, looked at without following a link).
fn not_empty_file(p: &Path) -> Option<String> {
    match crate::io::lstat(p) {
        Ok(s) if s.regular && s.size == 0 => None,
        Ok(s) if s.regular => Some(format!("{} bytes, expected 0", s.size)),
        Ok(_) => Some("not a regular file".into()),
        Err(e) => Some(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{run_tokio, Blocking, TokioFs, Uring};
    use futures::executor::block_on;
    use std::os::unix::fs::symlink;

    fn ctx(scratch: &Path, tasks: u32) -> TaskContext {
        TaskContext {
            corpus_dir: scratch.to_path_buf(),
            files: tasks,
            folders: crate::corpus::Folders::Flat,
            used_files: tasks,
            first_file: 0,
            stonewall: None,
            lines: 0,
            values: 0,
            large_file: None,
            large_bytes: 0,
            scratch: scratch.to_path_buf(),
            inputs: None,
            peers: Default::default(),
        }
    }

    fn spec(variant: MetadataVariant, files_per_task: u32) -> MetadataSpec {
        MetadataSpec {
            variant,
            files_per_task,
        }
    }

    /// Set up, run every task on the blocking backend, verify.
    fn run_all(spec: &MetadataSpec, ctx: &TaskContext) -> RunCheck {
        setup(spec, ctx).unwrap();
        let mut ops = 0;
        for task in ctx.file_range() {
            ops += block_on(run(spec, &Blocking, ctx, task)).unwrap().count;
        }
        assert_eq!(ops, u64::from(ctx.used_files) * spec.ops_per_task());
        verify(spec, ctx, ops, |_| true)
    }

    #[test]
    fn every_variant_leaves_what_it_should_and_verifies() {
        for &variant in MetadataVariant::ALL {
            let dir = tempfile::tempdir().unwrap();
            let c = ctx(dir.path(), 3);
            let s = spec(variant, 2);
            let check = run_all(&s, &c);
            assert!(check.verified, "{variant:?}: {}", check.detail);
            let left = list(&c).unwrap().len();
            assert_eq!(
                left,
                if variant.files_after() { 6 } else { 0 },
                "{variant:?}"
            );
        }
    }

    /// On a sharded corpus each task's files are in its task's subfolder
    /// of the scratch folder, and a file in another subfolder is a stray.
    #[test]
    fn sharded_tasks_work_in_their_subfolders() {
        for &variant in MetadataVariant::ALL {
            let dir = tempfile::tempdir().unwrap();
            let mut c = ctx(dir.path(), 5);
            c.folders = "sharded:2".parse().unwrap();
            crate::corpus::make_shards(dir.path(), c.folders).unwrap();
            let s = spec(variant, 2);
            let check = run_all(&s, &c);
            assert!(check.verified, "{variant:?}: {}", check.detail);
            let in_shard_1 = std::fs::read_dir(dir.path().join("shard-1"))
                .unwrap()
                .count();
            assert_eq!(in_shard_1, if variant.files_after() { 4 } else { 0 });
            std::fs::write(dir.path().join("shard-0").join("md-1-0"), b"").unwrap();
            let check = verify(&s, &c, 0, |_| true);
            assert!(!check.verified, "{variant:?}");
            assert!(check.detail.contains("shard-0/md-1-0"), "{}", check.detail);
        }
    }

    #[test]
    fn the_listing_catches_a_missing_a_stray_a_grown_and_a_leftover_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path(), 2);
        let create = spec(MetadataVariant::Create, 2);
        assert!(run_all(&create, &c).verified);
        std::fs::remove_file(path(&c, 1, 0)).unwrap();
        std::fs::write(path(&c, 0, 1), b"x").unwrap();
        std::fs::write(path(&c, 0, 7), b"").unwrap();
        let check = verify(&create, &c, 4, |_| true);
        assert!(!check.verified);
        for needle in ["md-1-0 missing", "md-0-1: 1 bytes", "md-0-7: not a file"] {
            assert!(check.detail.contains(needle), "{needle}: {}", check.detail);
        }
        // After unlink nothing may be left; a task the stonewall stopped
        // keeps the files set up for it.
        let unlink = spec(MetadataVariant::Unlink, 2);
        let check = verify(&unlink, &c, 0, |_| true);
        assert!(
            check.detail.contains("md-0-0 left behind"),
            "{}",
            check.detail
        );
        std::fs::remove_file(path(&c, 0, 7)).unwrap();
        std::fs::write(path(&c, 0, 1), b"").unwrap();
        std::fs::write(path(&c, 1, 0), b"").unwrap();
        assert!(verify(&unlink, &c, 0, |_| false).verified);
    }

    #[test]
    fn other_ranks_files_and_other_names_are_not_this_runs_business() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path(), 4).on_block(0, 2);
        std::fs::write(dir.path().join("md-3-9"), b"").unwrap();
        std::fs::write(dir.path().join(".iolab-scratch"), b"").unwrap();
        assert!(run_all(&spec(MetadataVariant::All, 3), &c).verified);
    }

    #[test]
    fn labels_round_trip_and_count_operations() {
        for &variant in MetadataVariant::ALL {
            let s = spec(variant, 7);
            assert_eq!(MetadataSpec::from_label(&s.label()), Some(s.clone()));
            assert_eq!(
                DESCRIPTION.variant(variant.as_str()).unwrap().name,
                variant.as_str()
            );
        }
        assert_eq!(spec(MetadataVariant::All, 7).ops_per_task(), 28);
        assert_eq!(spec(MetadataVariant::Stat, 7).ops_per_task(), 7);
        assert_eq!(MetadataSpec::from_label("loop,chunk=64KiB"), None);
        assert_eq!(DESCRIPTION.default_variant().unwrap().name, "all");
        let knob = DESCRIPTION.knob("files_per_task").unwrap();
        assert!(knob.check(0).is_err() && knob.check(u64::from(MAX_FILES_PER_TASK) + 1).is_err());
    }

    type RunTask<'a> = &'a dyn Fn(&MetadataSpec, &TaskContext, u32) -> io::Result<TaskOutput>;

    /// A link planted where task 0's file goes, pointing at a file outside
    /// the scratch folder: create, stat and open-close refuse it, unlink
    /// removes the link itself, and the file outside keeps its bytes.
    fn planted_links_are_not_followed(backend: &str, run_task: RunTask<'_>) {
        for &variant in MetadataVariant::ALL {
            let scratch = tempfile::tempdir().unwrap();
            let outside = tempfile::tempdir().unwrap();
            let decoy = outside.path().join("decoy");
            std::fs::write(&decoy, b"keep").unwrap();
            let c = ctx(scratch.path(), 1);
            let link = path(&c, 0, 0);
            symlink(&decoy, &link).unwrap();
            let res = run_task(&spec(variant, 1), &c, 0);
            let link_left = std::fs::symlink_metadata(&link).is_ok();
            match variant {
                MetadataVariant::Unlink => {
                    assert!(res.is_ok(), "{backend} {variant:?}: {res:?}");
                    assert!(!link_left, "{backend}: the link itself is unlinked");
                }
                _ => {
                    let err = res.unwrap_err();
                    assert!(err.to_string().contains("md-0-0"), "{backend}: {err}");
                    assert!(link_left, "{backend} {variant:?}");
                }
            }
            assert_eq!(
                std::fs::read(&decoy).unwrap(),
                b"keep",
                "{backend} {variant:?}"
            );
        }
    }

    #[test]
    fn a_planted_link_is_never_followed_on_any_backend() {
        planted_links_are_not_followed("blocking", &|s, c, t| block_on(run(s, &Blocking, c, t)));
        planted_links_are_not_followed("tokio", &|s, c, t| {
            run_tokio(1, run(s, &TokioFs, c, t)).unwrap()
        });
        match Uring::new(4) {
            Ok(uring) => planted_links_are_not_followed("io_uring", &|s, c, t| {
                uring.block_on(run(s, &uring, c, t))
            }),
            Err(why) => eprintln!("skipped io_uring: {why}"),
        }
    }

    #[test]
    fn every_backend_runs_the_whole_cycle() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path(), 2);
        let s = spec(MetadataVariant::All, 3);
        for t in c.file_range() {
            run_tokio(2, run(&s, &TokioFs, &c, t)).unwrap().unwrap();
        }
        assert!(verify(&s, &c, 0, |_| true).verified);
        if let Ok(uring) = Uring::new(4) {
            let create = spec(MetadataVariant::Create, 3);
            for t in c.file_range() {
                uring.block_on(run(&create, &uring, &c, t)).unwrap();
            }
            assert!(verify(&create, &c, 0, |_| true).verified);
            let stat = spec(MetadataVariant::Stat, 3);
            uring.block_on(run(&stat, &uring, &c, 0)).unwrap();
            std::fs::write(path(&c, 1, 2), b"grown").unwrap();
            let err = uring.block_on(run(&stat, &uring, &c, 1)).unwrap_err();
            assert!(err.to_string().contains("5 bytes"), "{err}");
        }
    }
}
