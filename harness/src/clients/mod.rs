//! Many clients at once: every MPI rank is a client running the same plan,
//! as IOR and mdtest run theirs. This module owns what makes ranks act
//! together — the [`Clients`] seam (rank, size, barrier, gather, broadcast,
//! abort), launcher detection, the plan digest every rank must share, where
//! each rank's corpus, scratch folder and file block are (the settings in
//! [`crate::experiment::layout`]), and
//! the aggregate row built from every rank's row ([`aggregate`]).
//!
//! Without MPI the same code runs with one rank ([`Single`]): barriers are
//! no-ops and the aggregate of one row is that row. The MPI implementation
//! (`mpi.rs`, cargo feature `mpi`, rsmpi over the system's MPI) is chosen
//! only when a launcher started the process. It does not own what a
//! repetition does (`runner`) nor how rows are written (`results`).

pub mod aggregate;
#[cfg(feature = "mpi")]
mod mpi;

use std::time::{Duration, Instant};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::corpus::{Corpus, CorpusLock};
use crate::experiment::layout::ClientOptions;
use crate::results::{ClientsMeta, Row};

/// The collective operations the runner needs; rank 0 is the root.
pub trait Clients {
    /// This process's rank, `0..size`.
    fn rank(&self) -> u32;
    /// Number of ranks.
    fn size(&self) -> u32;
    /// Wait until every rank has arrived.
    fn barrier(&self);
    /// Every rank's `bytes`, in rank order, on rank 0; empty elsewhere.
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>>;
    /// Rank 0's `bytes` on every rank (the argument is ignored elsewhere).
    fn broadcast(&self, bytes: &[u8]) -> Vec<u8>;
    /// End every rank of the job now with `code` (MPI_Abort); one rank
    /// alone returns normally.
    fn abort(&self, code: i32);
    /// The name of the host this rank runs on.
    fn host(&self) -> String;
}

/// One process, no MPI: the default.
#[derive(Debug, Default)]
pub struct Single;

impl Clients for Single {
    fn rank(&self) -> u32 {
        0
    }
    fn size(&self) -> u32 {
        1
    }
    fn barrier(&self) {}
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        vec![bytes.to_vec()]
    }
    fn broadcast(&self, bytes: &[u8]) -> Vec<u8> {
        bytes.to_vec()
    }
    fn abort(&self, _code: i32) {}
    fn host(&self) -> String {
        hostname()
    }
}

/// This machine's host name (`uname -n`).
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Why iolab refuses to start under a launcher.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// Several ranks, but this build cannot talk MPI.
    #[error("started as one of {ranks} MPI ranks ({var}), but this iolab was built without MPI: rebuild with `cargo build --release --features mpi`, or run it without mpirun/srun")]
    NoMpi {
        /// The environment variable that gave it away.
        var: String,
        /// How many ranks it says.
        ranks: String,
    },
    /// Several ranks, but the command is not `run`.
    #[error("only `iolab run` runs as MPI ranks; `iolab {command}` was started as one of {ranks} ranks ({var}): start it without mpirun/srun")]
    NotRun {
        /// The subcommand.
        command: String,
        /// The environment variable that gave it away.
        var: String,
        /// How many ranks it says.
        ranks: String,
    },
    /// MPI could not be initialised.
    #[cfg(feature = "mpi")]
    #[error("MPI: {0}")]
    Init(String),
}

/// The launcher's variable and rank count when an MPI launcher started this
/// process as one of several ranks: `OMPI_COMM_WORLD_SIZE` (Open MPI's
/// mpirun), `PMI_SIZE` (MPICH/Hydra, srun with PMI-2), or a `PMIX_RANK`
/// above 0 (srun/prterun with PMIx, which does not export the size).
pub fn launched_ranks() -> Option<(String, String)> {
    for var in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
        if let Ok(v) = std::env::var(var) {
            if v.trim().parse::<u32>().is_ok_and(|n| n > 1) {
                return Some((format!("{var}={v}"), v));
            }
        }
    }
    match std::env::var("PMIX_RANK") {
        Ok(v) if v.trim().parse::<u32>().is_ok_and(|r| r > 0) => {
            Some((format!("PMIX_RANK={v}"), "several".into()))
        }
        _ => None,
    }
}

/// Refuse a command other than `run` started as one of several ranks.
///
/// # Errors
/// [`LaunchError::NotRun`] naming the command and the variable.
pub fn refuse_under_launcher(command: &str) -> Result<(), LaunchError> {
    match launched_ranks() {
        Some((var, ranks)) => Err(LaunchError::NotRun {
            command: command.into(),
            var,
            ranks,
        }),
        None => Ok(()),
    }
}

/// The clients of this process: MPI ranks when a launcher started several
/// and the build has the `mpi` feature, else one rank.
///
/// # Errors
/// [`LaunchError::NoMpi`] when started as several ranks by a build without
/// the feature; `LaunchError::Init` (a build with it) when MPI cannot start.
pub fn connect() -> Result<Box<dyn Clients>, LaunchError> {
    let Some((var, ranks)) = launched_ranks() else {
        return Ok(Box::new(Single));
    };
    #[cfg(feature = "mpi")]
    {
        let _ = (var, ranks);
        mpi::Mpi::initialize().map(|m| Box::new(m) as Box<dyn Clients>)
    }
    #[cfg(not(feature = "mpi"))]
    {
        Err(LaunchError::NoMpi { var, ranks })
    }
}

/// Gather a value from every rank on rank 0 (empty elsewhere).
///
/// # Errors
/// A value that does not serialise or a rank's answer that does not parse.
pub fn gather_json<T: Serialize + DeserializeOwned>(
    clients: &dyn Clients,
    value: &T,
) -> anyhow::Result<Vec<T>> {
    let bytes = serde_json::to_vec(value)?;
    clients
        .gather(&bytes)
        .iter()
        .map(|b| Ok(serde_json::from_slice(b)?))
        .collect()
}

/// Rank 0's value on every rank.
///
/// # Errors
/// A value that does not serialise or parse.
pub fn broadcast_json<T: Serialize + DeserializeOwned>(
    clients: &dyn Clients,
    value: &T,
) -> anyhow::Result<T> {
    let bytes = serde_json::to_vec(value)?;
    Ok(serde_json::from_slice(&clients.broadcast(&bytes))?)
}

/// Every rank learns whether every rank succeeded: the same error, naming
/// the failing ranks, comes back on all of them, so none waits at a
/// barrier for a rank that gave up.
///
/// # Errors
/// The first failing ranks' messages, `rank R: message`.
pub fn agree<T>(clients: &dyn Clients, result: anyhow::Result<T>) -> anyhow::Result<T> {
    let mine: Option<String> = result.as_ref().err().map(|e| format!("{e:#}"));
    let all = gather_json(clients, &mine)?;
    let failures: Vec<String> = all
        .iter()
        .enumerate()
        .filter_map(|(r, m)| m.as_ref().map(|m| format!("rank {r}: {m}")))
        .collect();
    let verdict: Option<String> = broadcast_json(
        clients,
        &(!failures.is_empty()).then(|| failures.join("; ")),
    )?;
    match (verdict, result) {
        (None, Ok(v)) => Ok(v),
        (Some(why), _) if clients.size() > 1 => anyhow::bail!(why),
        (_, Err(e)) => Err(e),
        (Some(why), Ok(_)) => anyhow::bail!(why),
    }
}

/// What every rank must share: a digest of the iolab binary and of the plan
/// as run (with its experiment files).
///
/// # Errors
/// The binary cannot be read, or ranks differ: the message names the ranks
/// whose binary or plan differs from rank 0's.
pub fn check_same_plan(clients: &dyn Clients, plan_text: &[u8]) -> anyhow::Result<()> {
    if clients.size() == 1 {
        return Ok(());
    }
    let exe = std::fs::read("/proc/self/exe")
        .map_err(|e| anyhow::anyhow!("reading /proc/self/exe for the binary's digest: {e}"))?;
    let mine = Digest {
        binary: xxhash_rust::xxh3::xxh3_64(&exe),
        plan: xxhash_rust::xxh3::xxh3_64(plan_text),
    };
    let root: Digest = broadcast_json(clients, &mine)?;
    let differs = match (root.binary == mine.binary, root.plan == mine.plan) {
        (true, true) => None,
        (false, _) => Some(format!(
            "its iolab binary differs from rank 0's (xxh3 {:016x} vs {:016x})",
            mine.binary, root.binary
        )),
        (true, false) => Some(format!(
            "its plan (flags or experiment files) differs from rank 0's (xxh3 {:016x} vs {:016x})",
            mine.plan, root.plan
        )),
    };
    agree(
        clients,
        differs.map_or(Ok(()), |why| Err(anyhow::anyhow!("{why}"))),
    )
    .map_err(|e| anyhow::anyhow!("ranks disagree, refusing to run: {e}"))
}

#[derive(Debug, Serialize, Deserialize)]
struct Digest {
    binary: u64,
    plan: u64,
}

/// The common clock of one repetition: every rank reads it right after the
/// barrier that opens the timed phase, so region start and end times of all
/// ranks are seconds since (almost) the same moment — the barrier's exit,
/// which differs between ranks by its release skew (microseconds on one
/// machine, the interconnect's latency across nodes).
#[derive(Clone, Copy, Debug)]
pub struct SyncPoint {
    at: Instant,
}

impl SyncPoint {
    /// Barrier, then read the clock.
    pub fn after_barrier(clients: &dyn Clients) -> SyncPoint {
        clients.barrier();
        SyncPoint { at: Instant::now() }
    }

    /// Time since the barrier.
    pub fn elapsed(&self) -> Duration {
        self.at.elapsed()
    }

    /// The stonewall deadline `seconds` after the barrier, as an absolute
    /// `CLOCK_MONOTONIC` time in ns (shared by this rank's worker processes).
    pub fn deadline_ns(&self, seconds: Option<f64>) -> Option<u64> {
        seconds.map(|s| {
            let since = self.at.elapsed().as_nanos() as u64;
            crate::measure::monotonic_ns().saturating_sub(since) + (s * 1e9) as u64
        })
    }
}

/// A corpus made ready by one rank: the corpus, its provenance and its lock.
pub type PreparedCorpus = (Corpus, String, CorpusLock);

/// The corpus rank `clients.rank()` reads, made ready on every rank: after
/// a barrier, each rank that creates one (every rank per-rank, rank 0
/// shared) runs `create` on its own folder while the others wait; then each
/// rank opens the corpus of the rank it reads from (`--reorder`). Returns
/// the corpus with its provenance (`created`, `reused`, `opened`) and, on
/// the ranks that created it, its lock held shared (a shared corpus is
/// guarded by rank 0's lock for as long as the run lives).
///
/// # Errors
/// Any rank's creation or opening failure, on every rank, naming the rank.
pub fn prepare_corpus(
    clients: &dyn Clients,
    options: &ClientOptions,
    data_dir: &std::path::Path,
    dir_name: &str,
    create: &dyn Fn(&std::path::Path) -> anyhow::Result<PreparedCorpus>,
) -> anyhow::Result<(Corpus, String, Option<CorpusLock>)> {
    let (rank, size) = (clients.rank(), clients.size());
    clients.barrier();
    let own = options.corpus_dir(data_dir, dir_name, rank, size);
    let created = if options.creates_corpus(rank) {
        create(&own).map(Some)
    } else {
        Ok(None)
    };
    let created = agree(clients, created)?;
    let source = options.corpus_dir(data_dir, dir_name, options.source_rank(rank, size), size);
    let (opened, lock) = match created {
        Some((c, p, lock)) if source == own => (Ok((c, p)), Some(lock)),
        other => (
            Corpus::open(&source)
                .map(|c| (c, "opened".to_string()))
                .map_err(|e| anyhow::anyhow!("opening corpus {}: {e}", source.display())),
            other.map(|(_, _, lock)| lock),
        ),
    };
    let (corpus, provenance) = agree(clients, opened)?;
    Ok((corpus, provenance, lock))
}

/// The rows of one repetition on rank 0: with one rank, its row as the
/// aggregate (`rank` = `all`, unchanged otherwise); with several, every
/// rank's row (`rank` = its number) and then their aggregate. Empty on the
/// other ranks.
///
/// # Errors
/// A row that does not serialise or parse.
pub fn collect_rows(clients: &dyn Clients, mut row: Row) -> anyhow::Result<Vec<Row>> {
    row.ranks = clients.size();
    if clients.size() == 1 {
        row.rank = crate::results::row::ALL.into();
        return Ok(vec![row]);
    }
    row.rank = clients.rank().to_string();
    let mut rows = gather_json(clients, &row)?;
    if !rows.is_empty() {
        let all = aggregate::aggregate(&rows);
        rows.push(all);
    }
    Ok(rows)
}

/// Who ran, for `run.json`, on rank 0 (`None` with one rank, and on the
/// other ranks): every rank's host and corpus folder, and one machine
/// description per host.
///
/// # Errors
/// A description that does not serialise or parse.
pub fn describe_ranks(
    clients: &dyn Clients,
    options: &ClientOptions,
    machine: &crate::results::Machine,
    corpus_dir: &std::path::Path,
) -> anyhow::Result<Option<ClientsMeta>> {
    if clients.size() == 1 {
        return Ok(None);
    }
    let all = gather_json(
        clients,
        &(clients.host(), corpus_dir.to_path_buf(), machine.clone()),
    )?;
    if all.is_empty() {
        return Ok(None);
    }
    let mut machines: Vec<crate::results::Machine> = Vec::new();
    for (host, _, m) in &all {
        if !machines.iter().any(|seen| seen.hostname == *host) {
            machines.push(crate::results::Machine {
                hostname: host.clone(),
                ..m.clone()
            });
        }
    }
    Ok(Some(ClientsMeta {
        ranks: clients.size(),
        options: *options,
        hosts: all.iter().map(|(h, _, _)| h.clone()).collect(),
        corpus_dirs: all.into_iter().map(|(_, d, _)| d).collect(),
        machines,
    }))
}
