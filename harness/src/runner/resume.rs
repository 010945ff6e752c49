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
//! Under MPI the same number of ranks resumes the run
//! (`mpirun -np N iolab run --resume DIR`): rank 0 reads the folder, every
//! rank checks its own corpus and host, and all skip what rank 0's
//! `runs.csv` holds.
//!
//! Owns: those checks. Does not own running the repetitions (`super`).

use std::path::Path;

use anyhow::Context;

use super::repetition::Strategies;
use super::{corpus_digest, execute, now_rfc3339, prepare_corpus, RunOutcome, Running};
use crate::clients::{self, Clients};
use crate::corpus::{self, Corpus};
use crate::experiment::layout::{ClientOptions, DataDirs};
use crate::interrupt;
use crate::results::{read_meta, Machine, RunMeta, RunWriter};
use crate::workload::TaskContext;

/// Continue the run in `dir` where it stopped, on this process alone.
///
/// # Errors
/// One of the refusals above, naming what differs; then the errors of a
/// run.
pub fn resume(dir: &Path, progress: bool) -> anyhow::Result<RunOutcome> {
    resume_clients(dir, progress, &clients::Single)
}

/// Continue the run in `dir` on every rank of `clients`: as many ranks as
/// the run had (`mpirun -np N iolab run --resume DIR`). Rank 0 reads the
/// run folder and sends its `run.json` to the others; each rank checks its
/// own corpus and machine against it; every rank skips the repetitions
/// rank 0's `runs.csv` holds an aggregate row for.
///
/// # Errors
/// One of the refusals above, naming what differs (and the rank), another
/// rank count than the run's; then the errors of a run.
pub fn resume_clients(
    dir: &Path,
    progress: bool,
    clients: &dyn Clients,
) -> anyhow::Result<RunOutcome> {
    let meta = (clients.rank() == 0)
        .then(|| read_meta(dir).and_then(|m| check_run_meta(dir, &m, clients.size()).map(|()| m)))
        .transpose();
    let meta = clients::agree(clients, meta)?;
    let meta: RunMeta =
        clients::broadcast_json(clients, &meta)?.context("rank 0 sent no run.json")?;
    let options = meta
        .clients
        .as_ref()
        .map_or_else(ClientOptions::default, |c| c.options);
    let data_dirs = data_dirs_of(&meta, &options, clients.size())?;
    let name = corpus_name(&meta)?;
    let own_corpus = data_dirs.of(clients.rank()).join(&name);
    let cold_unavailable = super::cold_unavailable(&meta.plan, &own_corpus, clients)?;
    let show = progress && clients.rank() == 0;
    let (corpus, _, _lock) =
        clients::prepare_corpus(clients, &options, &data_dirs, &name, &|dir| {
            prepare_corpus(&meta.plan, dir, show)
        })?;
    let checked = check_corpus(&meta, &corpus, &corpus_digest(&corpus))
        .and_then(|()| check_machine(machine_of(&meta, clients)?, &Machine::describe(&corpus.dir)));
    clients::agree(clients, checked)?;
    let _active = interrupt::begin_run();
    let mut storages = super::provide_storages(&meta.plan, clients, (&data_dirs, &corpus), show)?;
    check_storages(&meta, &storages.records())?;
    let (scratch, writer) = reopen(dir, &meta, (&options, &data_dirs), clients, &mut storages)?;
    let strategies = Strategies {
        plan: &meta.plan,
        corpus: &corpus,
        ctx: TaskContext::new(&corpus, scratch.path()),
        layout: &options,
        // Sampled again when the interrupted run was asked to.
        perf: meta
            .command_line
            .iter()
            .any(|a| a == "--kernel-profile")
            .then(super::kernel_profiler)
            .flatten(),
    };
    let run = Running {
        plan: &meta.plan,
        executor: &strategies,
        storages: &storages,
        clients,
        run_id: &meta.run_id,
        progress: show,
        device_mb_per_s: meta.machine.io.direct_read.mb_per_s,
        cold_unavailable,
        calibrate: false,
    };
    let outcome = execute(&run, writer, scratch, dir.to_path_buf());
    super::removing(storages, outcome)
}

/// The storages provided again are those the run had: the same values
/// on the same filesystems with the same mount options (a storage the run
/// had and that cannot be had now is refused too: its rows would change
/// from measured to unavailable midway).
fn check_storages(meta: &RunMeta, now: &[crate::storage::StorageRecord]) -> anyhow::Result<()> {
    let key =
        |r: &crate::storage::StorageRecord| (r.storage, r.fstype.clone(), r.mount_options.clone());
    for then in &meta.storages {
        match now.iter().find(|n| n.storage == then.storage) {
            None => anyhow::bail!(
                "cannot resume: storage {} was provided for the run and cannot be had now",
                then.storage
            ),
            Some(n) if key(n) != key(then) => anyhow::bail!(
                "cannot resume: storage {} was {} mounted with {}; provided again it is {} mounted with {}",
                then.storage,
                then.fstype.as_deref().unwrap_or("?"),
                then.mount_options.as_deref().unwrap_or("?"),
                n.fstype.as_deref().unwrap_or("?"),
                n.mount_options.as_deref().unwrap_or("?")
            ),
            Some(_) => {}
        }
    }
    Ok(())
}

/// The resumed run's scratch folders made anew and, on rank 0, its run
/// folder reopened and marked resumed.
fn reopen(
    dir: &Path,
    meta: &RunMeta,
    (options, data_dirs): (&ClientOptions, &DataDirs),
    clients: &dyn Clients,
    storages: &mut super::storages::Storages,
) -> anyhow::Result<(corpus::Scratch, Option<RunWriter>)> {
    // A run killed outright leaves its scratch folders: each is removed and
    // made anew (once nobody holds it), then removed at the end. Before
    // run.json is marked resumed, so a leftover that cannot go (a mount
    // point inside) is refused with the run folder as it was.
    let (parent, scratch_id) =
        options.scratch_place(data_dirs, &meta.run_id, clients.rank(), clients.size());
    let scratch = clients::agree(
        clients,
        corpus::Scratch::create_for_resume(&parent, &scratch_id).map_err(anyhow::Error::from),
    )?;
    let writer = (clients.rank() == 0)
        .then(|| {
            let mut w = RunWriter::reopen(dir)?;
            w.mark_resumed(now_rfc3339())?;
            Ok(w)
        })
        .transpose();
    let writer = match clients::agree(clients, writer).and_then(|w| {
        storages.claim_scratch(&meta.run_id)?;
        Ok(w)
    }) {
        Ok(w) => w,
        Err(e) => {
            let _ = scratch.remove();
            return Err(e);
        }
    };
    Ok((scratch, writer))
}

/// What rank 0 checks in the run folder before anything else: the plan in
/// `run.json` is the one the run started with, `runs.csv` holds nothing but
/// rows of this run (a torn last line aside), the run did not complete, it
/// ran with `ranks` ranks, its experiment files are unchanged. Nothing is
/// changed in the folder until every check passed.
fn check_run_meta(dir: &Path, meta: &RunMeta, ranks: u32) -> anyhow::Result<()> {
    check_plan(dir, meta)?;
    check_rows(dir, meta)?;
    if meta.completed() {
        anyhow::bail!(
            "{}: the run completed at {}; there is nothing to resume",
            dir.display(),
            meta.ended_at.as_deref().unwrap_or("?")
        );
    }
    let then = meta.clients.as_ref().map_or(1, |c| c.ranks);
    if then != ranks {
        anyhow::bail!(
            "cannot resume {} with {ranks} rank(s): the run had {then}; resume it with `mpirun -np {then} iolab run --resume {}`{}",
            dir.display(),
            dir.display(),
            if then == 1 { " or without mpirun" } else { "" }
        );
    }
    check_experiment_files(meta)?;
    check_workloads(meta)
}

/// The plan read back from `run.json` has the digest recorded when the run
/// started ([`crate::results::plan_digest`]): an edited plan would file
/// another workload's rows under the old scenario ids.
fn check_plan(dir: &Path, meta: &RunMeta) -> anyhow::Result<()> {
    let Some(then) = &meta.plan_digest else {
        return Ok(());
    };
    let now = crate::results::plan_digest(&meta.plan)?;
    if *then != now {
        anyhow::bail!(
            "cannot resume {}: the plan in its run.json is not the plan the run started with (digest {then} recorded, {now} now: edited, or written by another iolab version); start a new run",
            dir.join(crate::results::RUN_JSON).display()
        );
    }
    Ok(())
}

/// `runs.csv` parses whole (a torn last line aside, dropped with a
/// warning) and every row is this run's: its id and a scenario of the plan.
/// Read only: the torn line is cut later, once the resume is decided.
fn check_rows(dir: &Path, meta: &RunMeta) -> anyhow::Result<()> {
    let path = dir.join(crate::results::RUNS_CSV);
    let rows = crate::results::runs_file::read_rows(&path)
        .map_err(|e| anyhow::anyhow!("cannot resume: {e:#}; the file is left as it is"))?;
    for (i, row) in rows.iter().enumerate() {
        let foreign = if row.run_id != meta.run_id {
            Some(format!("belongs to run {:?}", row.run_id))
        } else if !meta.plan.scenarios.iter().any(|s| s.id == row.scenario_id) {
            Some(format!(
                "names scenario {:?}, which the plan does not hold",
                row.scenario_id
            ))
        } else {
            None
        };
        if let Some(why) = foreign {
            anyhow::bail!(
                "cannot resume: {} row {} {why}; the file is left as it is",
                path.display(),
                i + 1
            );
        }
    }
    Ok(())
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

/// The data folders the run used: each rank's as `run.json` records them,
/// or, in a run recorded without them, one for every rank above the
/// corpus folder as the layout places it (`DATA/NAME`, or
/// `DATA/rank-R/NAME` per rank).
fn data_dirs_of(meta: &RunMeta, options: &ClientOptions, ranks: u32) -> anyhow::Result<DataDirs> {
    if let Some(c) = meta.clients.as_ref().filter(|c| !c.data_dirs.is_empty()) {
        return Ok(DataDirs::recorded(c.data_dirs.clone()));
    }
    let dir = options
        .data_dir_of(&meta.corpus_dir, ranks)
        .with_context(|| {
            format!(
                "run.json: corpus_dir {} is not inside a data folder",
                meta.corpus_dir.display()
            )
        })?;
    Ok(DataDirs::recorded(vec![dir]))
}

/// The corpus folder's name.
fn corpus_name(meta: &RunMeta) -> anyhow::Result<String> {
    meta.corpus_dir
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .with_context(|| {
            format!(
                "run.json: corpus_dir {} has no plain folder name",
                meta.corpus_dir.display()
            )
        })
}

/// The machine this rank's host had in the run.
fn machine_of<'a>(meta: &'a RunMeta, clients: &dyn Clients) -> anyhow::Result<&'a Machine> {
    let Some(c) = &meta.clients else {
        return Ok(&meta.machine);
    };
    let host = clients.host();
    c.machines
        .iter()
        .find(|m| m.hostname == host)
        .with_context(|| {
            format!(
                "cannot resume on host {host}: the run's ranks ran on {}; start the ranks there",
                c.hosts.join(", ")
            )
        })
}

/// Every experiment file the run came from still holds the same text.
fn check_experiment_files(meta: &RunMeta) -> anyhow::Result<()> {
    for (file, text) in &meta.experiment_files {
        let now = crate::safefs::read_file(Path::new(file), crate::experiment::MAX_FILE_BYTES)
            .with_context(|| {
                format!("cannot resume: reading experiment file {file} of the run (resume from the folder the run started in)")
            })?;
        let (then, now) = (digest(text.as_bytes()), digest(&now));
        if then != now {
            anyhow::bail!(
                "cannot resume: experiment file {file} changed since the run started (xxh3 {then} then, {now} now); restore it or start a new run"
            );
        }
    }
    Ok(())
}

fn digest(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// The corpus manifest is the one the run started on (every rank's corpus
/// has the same manifest: the corpus is a function of its parameters).
fn check_corpus(meta: &RunMeta, corpus: &Corpus, now: &str) -> anyhow::Result<()> {
    match &meta.corpus_digest {
        Some(then) if then != now => anyhow::bail!(
            "cannot resume: the corpus {} differs from the run's (manifest xxh3 {then} then, {now} now); start a new run",
            corpus.dir.display()
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
