//! The storages of a run (`--storage`, the `[[grid]]` key `storage`):
//! each value its plan names besides the data folder is provided once per
//! run (`crate::storage::provide`, inside the process's private mount
//! namespace), before the run folder is made, with a corpus of its own
//! made by the same generator (the same files: its manifest's digest is
//! checked against the data folder's) and, once the run's id is claimed,
//! a scratch folder of its own. Each repetition then takes the corpus and
//! scratch of its scenario's storage; the schedule interleaves
//! repetitions across storages as across every other axis. A storage that
//! cannot be had here keeps its one line: its scenarios' rows are
//! `unavailable` with it, and the rest runs.
//!
//! Owns: which storages a run provides, their corpora and scratch folders,
//! and removing them. Does not own: mounting (`storage`), the corpus
//! (`corpus`), the repetition (`repetition`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;

use crate::corpus::{self, Corpus, CorpusLock};
use crate::experiment::Plan;
use crate::measure::cache::CacheState;
use crate::storage::{self, ProvideError, Provided, Storage, StorageRecord};
use crate::workload::TaskContext;

/// The emulated storages of this process: each mount's folder and its
/// backing folder ([`cache_view`]).
static EMULATED: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());

/// `inputs` as the page cache holds them: a file under an emulated
/// storage's mount is its copy in the backing folder (the mount itself
/// caches nothing, so warm and cold are the backing folder's page cache,
/// prepared and measured there); any other file as it is.
pub(super) fn cache_view(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mounts = EMULATED.lock().unwrap_or_else(|e| e.into_inner());
    inputs
        .iter()
        .map(|p| {
            mounts
                .iter()
                .find_map(|(mount, backing)| p.strip_prefix(mount).ok().map(|r| backing.join(r)))
                .unwrap_or_else(|| p.clone())
        })
        .collect()
}

/// The storages of a run other than the data folder, in the order the
/// plan first names them.
#[derive(Default)]
pub(super) struct Storages {
    places: Vec<(Storage, State)>,
}

/// A storage of the run, ready or not.
enum State {
    /// It cannot be had here: the one line that says why.
    Unavailable(String),
    /// Provided, with its corpus (and scratch folder once claimed).
    Ready(Box<Ready>),
}

/// A provided storage with what the run put on it. Fields drop in order:
/// the scratch folder and the corpus lock go before the mount.
struct Ready {
    scratch: Option<corpus::Scratch>,
    ctx: Option<TaskContext>,
    _lock: CorpusLock,
    corpus: Corpus,
    /// Why its cold scenarios cannot run (a tmpfs: memory alone).
    cold_unavailable: Option<String>,
    provided: Provided,
}

/// Where a scenario's repetition runs.
pub(super) enum Seat<'a> {
    /// The data folder: the run's own corpus and scratch.
    DataDir,
    /// A provided storage's corpus and scratch.
    On(&'a TaskContext, &'a Corpus),
    /// Not here: the row is `unavailable` with this line.
    Unavailable(&'a str),
}

impl Storages {
    /// Provide every storage of `plan` other than the data folder, each
    /// with its folders in `data_dir` and its corpus made (delay off, on
    /// an emulated one: the corpus is not what is measured); a storage
    /// that cannot be had is kept with its line, which is printed.
    ///
    /// # Errors
    /// A storage that broke while being provided, or whose corpus could
    /// not be made or differs from `reference` (the data folder's).
    pub fn provide(
        plan: &Plan,
        data_dir: &Path,
        reference: &Corpus,
        show: bool,
    ) -> anyhow::Result<Storages> {
        let mut out = Storages::default();
        for scenario in &plan.scenarios {
            let storage = scenario.storage;
            if storage.is_data_dir() || out.places.iter().any(|(s, _)| *s == storage) {
                continue;
            }
            let state = match storage::provide(&storage, data_dir, room(plan)) {
                Ok(provided) => State::Ready(Box::new({
                    if let Some(e) = &provided.record().emulator {
                        let mut mounts = EMULATED.lock().unwrap_or_else(|e| e.into_inner());
                        mounts.push((provided.dir().to_path_buf(), e.backing.clone()));
                    }
                    place_corpus(plan, provided, reference, show)
                        .with_context(|| format!("storage {storage}"))?
                })),
                Err(ProvideError::Unavailable(why)) => State::Unavailable(why),
                Err(ProvideError::Failed(e)) => {
                    return Err(e.context(format!("providing storage {storage}")))
                }
            };
            out.places.push((storage, state));
        }
        out.say_unavailable();
        Ok(out)
    }

    /// One line per reason a storage cannot be had, naming every storage
    /// it keeps out (`storage emulated:lat=0,…, emulated:lat=1ms,…:
    /// emulated unavailable: mounting needs root`).
    fn say_unavailable(&self) {
        let mut reasons: Vec<(&str, Vec<String>)> = Vec::new();
        for (storage, state) in &self.places {
            let State::Unavailable(why) = state else {
                continue;
            };
            match reasons.iter_mut().find(|(w, _)| w == why) {
                Some((_, names)) => names.push(storage.to_string()),
                None => reasons.push((why, vec![storage.to_string()])),
            }
        }
        for (why, names) in reasons {
            eprintln!("storage {}: {why}", names.join(", "));
        }
    }

    /// What `run.json` records of each storage provided.
    pub fn records(&self) -> Vec<StorageRecord> {
        self.ready()
            .map(|(_, r)| r.provided.record().clone())
            .collect()
    }

    /// Make the run's scratch folder `scratch-<run_id>` on every provided
    /// storage (`resume`: a leftover of the same run removed first, though
    /// on a freshly provided storage there is none).
    ///
    /// # Errors
    /// A folder that cannot be made, naming it.
    pub fn claim_scratch(&mut self, run_id: &str) -> anyhow::Result<()> {
        for (storage, state) in &mut self.places {
            let State::Ready(ready) = state else { continue };
            let scratch = corpus::Scratch::create_for_resume(ready.provided.dir(), run_id)
                .with_context(|| format!("storage {storage}: making its scratch folder"))?;
            ready.ctx = Some(TaskContext::new(&ready.corpus, scratch.path()));
            ready.scratch = Some(scratch);
        }
        Ok(())
    }

    /// Where a repetition of a scenario on `storage`, from cache state
    /// `cache`, runs.
    pub fn seat(&self, storage: &Storage, cache: CacheState) -> Seat<'_> {
        if storage.is_data_dir() {
            return Seat::DataDir;
        }
        match self.places.iter().find(|(s, _)| s == storage) {
            Some((_, State::Unavailable(why))) => Seat::Unavailable(why),
            Some((_, State::Ready(r))) => match (&r.cold_unavailable, cache, &r.ctx) {
                (Some(why), CacheState::Cold, _) => Seat::Unavailable(why),
                (_, _, Some(ctx)) => Seat::On(ctx, &r.corpus),
                (_, _, None) => Seat::Unavailable("its scratch folder was not made"),
            },
            None => Seat::Unavailable("not provided for this run"),
        }
    }

    /// Remove the scratch folders, then unmount and remove every storage.
    ///
    /// # Errors
    /// The first removal that failed, naming it (the others still run).
    pub fn remove(self) -> anyhow::Result<()> {
        let mut first = Ok(());
        for (storage, state) in self.places {
            let State::Ready(ready) = state else { continue };
            let Ready {
                scratch,
                provided,
                _lock,
                ..
            } = *ready;
            EMULATED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(mount, _)| mount != provided.dir());
            let scratch = scratch.map_or(Ok(()), |s| s.remove().map_err(anyhow::Error::from));
            drop(_lock);
            let all = scratch.and_then(|()| provided.remove());
            if let (Err(e), Ok(())) = (all, &first) {
                first = Err(e.context(format!("removing storage {storage}")));
            }
        }
        first
    }

    fn ready(&self) -> impl Iterator<Item = (&Storage, &Ready)> {
        self.places.iter().filter_map(|(s, state)| match state {
            State::Ready(r) => Some((s, r.as_ref())),
            State::Unavailable(_) => None,
        })
    }
}

/// The room a storage is provided with: the corpus, a repetition's
/// scratch (every file twice and 64 MiB, as the scratch policies count
/// it) and 1 GiB so `rotate` keeps earlier folders.
fn room(plan: &Plan) -> u64 {
    let corpus = plan.corpus.total_bytes();
    corpus + 2 * corpus + (64 << 20) + (1 << 30)
}

/// Make the plan's corpus on `provided` (an emulated storage's delay off
/// meanwhile) and check it is the data folder's.
fn place_corpus(
    plan: &Plan,
    provided: Provided,
    reference: &Corpus,
    show: bool,
) -> anyhow::Result<Ready> {
    let dir = provided.dir().join(plan.corpus.dir_name());
    if let Some(e) = provided.emulator() {
        e.set_delay(false);
    }
    let made = super::prepare_corpus(plan, &dir, show);
    if let Some(e) = provided.emulator() {
        e.set_delay(true);
    }
    let (corpus, _provenance, lock) = made?;
    if super::corpus_digest(&corpus) != super::corpus_digest(reference) {
        anyhow::bail!(
            "its corpus {} differs from the data folder's {} (the generator is deterministic: this is a bug)",
            corpus.dir.display(),
            reference.dir.display()
        );
    }
    let cold_unavailable = crate::sys::memfs::memory_only(&dir)
        .map(|fs| super::memory_cold(&dir, &fs, "a storage with a device under it"));
    Ok(Ready {
        scratch: None,
        ctx: None,
        _lock: lock,
        corpus,
        cold_unavailable,
        provided,
    })
}
