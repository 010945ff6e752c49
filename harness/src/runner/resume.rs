//! Continuing an interrupted run (stopped by a signal, or killed outright)
//! from its folder: the plan recorded in `run.json`, every finished
//! repetition of `runs.csv` skipped, the same seeded order, rows appended
//! to the same file.
//!
//! A resume refuses, in one line, a run that completed, a run another iolab
//! is still writing (`runs.csv` is locked), experiment files whose text
//! changed, a corpus whose manifest differs, and another machine (host,
//! kernel, CPU model, filesystem): rows measured under different conditions
//! would be summarised together.
//!
//! Owns: those checks. Does not own running the repetitions (`super`).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{corpus_digest, execute, now_rfc3339, prepare_corpus, RunOutcome, Running};
use crate::clients;
use crate::corpus;
use crate::experiment::layout::ClientOptions;
use crate::interrupt;
use crate::results::{read_meta, Machine, RunMeta, RunWriter};

/// Continue the run in `dir` where it stopped.
///
/// # Errors
/// One of the refusals above, naming what differs; then the errors of a
/// run.
pub fn resume(dir: &Path, progress: bool) -> anyhow::Result<RunOutcome> {
    let meta = read_meta(dir)?;
    if meta.completed() {
        anyhow::bail!(
            "{}: the run completed at {}; there is nothing to resume",
            dir.display(),
            meta.ended_at.as_deref().unwrap_or("?")
        );
    }
    if let Some(clients) = &meta.clients {
        anyhow::bail!(
            "{}: the run had {} MPI ranks; resuming a run of several ranks is not supported, rerun it",
            dir.display(),
            clients.ranks
        );
    }
    check_experiment_files(&meta)?;
    check_workloads(&meta)?;
    let data_dir = data_dir_of(&meta)?;
    let (corpus, _, _lock) = prepare_corpus(&meta.plan, &meta.corpus_dir, progress)?;
    check_corpus(&meta, &corpus_digest(&corpus))?;
    check_machine(&meta.machine, &Machine::describe(&corpus.dir))?;
    let _active = interrupt::begin_run();
    let mut writer = RunWriter::reopen(dir)?;
    writer.mark_resumed(now_rfc3339())?;
    // A run killed outright leaves its scratch folder: it is removed and
    // made anew (once nobody holds it), then removed at the end.
    let scratch = corpus::Scratch::create_for_resume(&data_dir, &meta.run_id)?;
    let run = Running {
        plan: &meta.plan,
        corpus: &corpus,
        clients: &clients::Single,
        layout: &ClientOptions::default(),
        run_id: &meta.run_id,
        progress,
        device_mb_per_s: meta.machine.io.direct_read.mb_per_s,
        // Sampled again when the interrupted run was asked to.
        perf: meta
            .command_line
            .iter()
            .any(|a| a == "--kernel-profile")
            .then(super::kernel_profiler)
            .flatten(),
    };
    execute(&run, Some(writer), scratch, dir.to_path_buf())
}

/// Every workload of the plan is part of this binary (a run of a user's
/// workload is resumed with the user's binary, [`crate::lab::Lab`]).
fn check_workloads(meta: &RunMeta) -> anyhow::Result<()> {
    for s in &meta.plan.scenarios {
        if let crate::workload::Workload::Custom(spec) = &s.workload {
            if let Some(why) = spec.not_registered() {
                anyhow::bail!("{why}: the run's scenario {} needs it", s.id);
            }
        }
    }
    Ok(())
}

/// The data folder the run used: the corpus folder's parent.
fn data_dir_of(meta: &RunMeta) -> anyhow::Result<PathBuf> {
    meta.corpus_dir
        .parent()
        .map(Path::to_path_buf)
        .with_context(|| {
            format!(
                "run.json: corpus_dir {} has no parent folder",
                meta.corpus_dir.display()
            )
        })
}

/// Every experiment file the run came from still holds the same text.
fn check_experiment_files(meta: &RunMeta) -> anyhow::Result<()> {
    for (file, text) in &meta.experiment_files {
        let now = std::fs::read_to_string(file).with_context(|| {
            format!("cannot resume: reading experiment file {file} of the run (resume from the folder the run started in)")
        })?;
        let (then, now) = (digest(text), digest(&now));
        if then != now {
            anyhow::bail!(
                "cannot resume: experiment file {file} changed since the run started (xxh3 {then} then, {now} now); restore it or start a new run"
            );
        }
    }
    Ok(())
}

fn digest(text: &str) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// The corpus manifest is the one the run started on.
fn check_corpus(meta: &RunMeta, now: &str) -> anyhow::Result<()> {
    match &meta.corpus_digest {
        Some(then) if then != now => anyhow::bail!(
            "cannot resume: the corpus {} differs from the run's (manifest xxh3 {then} then, {now} now); start a new run",
            meta.corpus_dir.display()
        ),
        Some(_) | None => Ok(()),
    }
}

/// The machine and the storage under the corpus are the run's.
fn check_machine(then: &Machine, now: &Machine) -> anyhow::Result<()> {
    let fields = [
        ("host", &then.hostname, &now.hostname),
        ("kernel", &then.kernel, &now.kernel),
        ("CPU model", &then.cpu_model, &now.cpu_model),
        ("filesystem", &then.filesystem, &now.filesystem),
    ];
    match fields.iter().find(|(_, a, b)| a != b) {
        Some((name, a, b)) => anyhow::bail!(
            "cannot resume on another machine: {name} {a:?} then, {b:?} now; start a new run"
        ),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_kernel_or_filesystem_is_refused_naming_the_field() {
        let then = Machine {
            hostname: "h".into(),
            kernel: "6.1".into(),
            cpu_model: "cpu".into(),
            filesystem: "ext4".into(),
            ..Machine::default()
        };
        assert!(check_machine(&then, &then.clone()).is_ok());
        let mut other = then.clone();
        other.memory_bytes = 1; // not a condition of the measurements
        assert!(check_machine(&then, &other).is_ok());
        other.kernel = "6.2".into();
        let e = check_machine(&then, &other).unwrap_err().to_string();
        assert!(e.contains("kernel \"6.1\" then, \"6.2\" now"), "{e}");
        let mut fs = then.clone();
        fs.filesystem = "tmpfs".into();
        let e = check_machine(&then, &fs).unwrap_err().to_string();
        assert!(e.contains("filesystem"), "{e}");
    }
}
