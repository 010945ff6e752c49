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

use std::cell::Cell;

use anyhow::Context as _;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::corpus::{Corpus, CorpusLock};
use crate::experiment::layout::{ClientOptions, DataDirs};
use crate::measure::Gate as _;
use crate::results::{ClientsMeta, Row};
use crate::workload::Peers;

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
    /// The largest `value` of any rank, on every rank (`MPI_Allreduce`
    /// with `MPI_MAX`).
    fn max(&self, value: u64) -> u64;
    /// End every rank of the job now with `code` (MPI_Abort); one rank
    /// alone returns normally.
    fn abort(&self, code: i32);
    /// The name of the host this rank runs on.
    fn host(&self) -> String;
    /// The clients of ranks `0..n` (`MPI_Comm_split`: a collective call of
    /// every rank, each keeping its rank), on those ranks; `None` on the
    /// others, which sit out the repetitions of `n` ranks (`--ranks`).
    fn split(&self, n: u32) -> Option<Box<dyn Clients>>;
    /// A barrier of every rank that waits without spinning (a
    /// non-blocking barrier tested every millisecond), for the ranks idle
    /// during a sweep's smaller counts: they must not take CPU from the
    /// ranks at work.
    fn idle_barrier(&self) {
        self.barrier();
    }
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
    fn max(&self, value: u64) -> u64 {
        value
    }
    fn abort(&self, _code: i32) {}
    fn host(&self) -> String {
        hostname()
    }
    fn split(&self, _n: u32) -> Option<Box<dyn Clients>> {
        Some(Box::new(Single))
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
    #[cfg(not(feature = "mpi"))]
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

/// This process's rank as the launcher gave it, when a launcher started it
/// as one of several ranks ([`launched_ranks`]): `OMPI_COMM_WORLD_RANK`,
/// `PMI_RANK`, `PMIX_RANK` or `SLURM_PROCID`, read before MPI starts (or
/// when it never does: a flag error, a build without MPI).
pub fn launched_rank() -> Option<u32> {
    launched_ranks()?;
    [
        "OMPI_COMM_WORLD_RANK",
        "PMI_RANK",
        "PMIX_RANK",
        "SLURM_PROCID",
    ]
    .iter()
    .find_map(|var| std::env::var(var).ok()?.trim().parse().ok())
}

/// End a command that every rank ends alike (a flag error, `--help`, a
/// refusal, a failure the ranks agreed on) with `code`, `report` said once:
/// by this process when no launcher started several ranks, else by rank 0
/// alone. A failing exit under a launcher is made together, so `mpirun`
/// does not kill rank 0 before it has said why (it ends the job when a
/// rank exits non-zero): with MPI, every rank passes a barrier after rank
/// 0 has reported (MPI started for it if it had not), then exits with
/// `code`; in a build without MPI the other ranks exit 0, leaving the
/// job's status to rank 0.
pub fn exit_alike(code: u8, report: impl FnOnce()) -> std::process::ExitCode {
    let Some(rank) = launched_rank() else {
        report();
        return code.into();
    };
    if rank == 0 {
        report();
    }
    if code == 0 {
        return code.into();
    }
    #[cfg(feature = "mpi")]
    {
        mpi::barrier_at_exit();
        code.into()
    }
    #[cfg(not(feature = "mpi"))]
    {
        match rank {
            0 => code.into(),
            _ => std::process::ExitCode::SUCCESS,
        }
    }
}

/// A failure every rank returns alike ([`agree`], or a decision rank 0
/// broadcast): printed once, by rank 0, and every rank exits cleanly
/// without aborting the job.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Agreed(pub String);

/// An error rank 0 has printed already, while every rank was connected,
/// and that every rank returns: nothing is left to say, and each rank
/// exits 1.
#[derive(Debug, thiserror::Error)]
#[error("(said by rank 0)")]
pub struct Reported;

/// Whether every rank returns `e` alike ([`Agreed`] anywhere in its
/// chain), so no rank needs the job aborted for it.
pub fn agreed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<Agreed>())
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
/// `LaunchError::NoMpi` when started as several ranks by a build without
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
/// barrier for a rank that gave up. An error every rank had alike (a bad
/// flag, a missing experiment file on a shared folder) is said once, as
/// it is, without rank numbers.
///
/// # Errors
/// [`Agreed`]: the first failing ranks' messages, `rank R: message`.
pub fn agree<T>(clients: &dyn Clients, result: anyhow::Result<T>) -> anyhow::Result<T> {
    let mine: Option<String> = result.as_ref().err().map(|e| format!("{e:#}"));
    let all = gather_json(clients, &mine)?;
    let alike = all.len() > 1 && all.iter().all(|m| m.is_some() && *m == all[0]);
    let failures: Vec<String> = match alike {
        true => all[0].iter().cloned().collect(),
        false => all
            .iter()
            .enumerate()
            .filter_map(|(r, m)| m.as_ref().map(|m| format!("rank {r}: {m}")))
            .collect(),
    };
    let verdict: Option<String> = broadcast_json(
        clients,
        &(!failures.is_empty()).then(|| failures.join("; ")),
    )?;
    match (verdict, result) {
        (None, Ok(v)) => Ok(v),
        (Some(why), _) if clients.size() > 1 => Err(Agreed(why).into()),
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
    .context("ranks disagree, refusing to run")
}

#[derive(Debug, Serialize, Deserialize)]
struct Digest {
    binary: u64,
    plan: u64,
}

/// The gate of one repetition's timed region over the clients
/// ([`crate::measure::Gate`]): its barrier, right before every rank's clock
/// starts, and the stonewall wear-out's maximum. The barrier's exit is the
/// common clock of the rank rows: region start and end are seconds since
/// it, read on each rank, so they differ between ranks by the barrier's
/// release skew (microseconds on one machine, the interconnect's latency
/// across nodes). [`RegionGate::close`] makes the calls a repetition did
/// not make (a rank whose strategy failed before its region, or that never
/// ran it), so every rank makes the same collective calls, in order.
pub struct RegionGate<'a> {
    clients: &'a dyn Clients,
    wearout: bool,
    opened_ns: Cell<Option<u64>>,
    agreed: Cell<bool>,
}

impl<'a> RegionGate<'a> {
    /// The gate of a repetition; `wearout`: its stonewall has a wear-out,
    /// so every rank agrees on one maximum.
    pub fn new(clients: &'a dyn Clients, wearout: bool) -> RegionGate<'a> {
        RegionGate {
            clients,
            wearout,
            opened_ns: Cell::new(None),
            agreed: Cell::new(false),
        }
    }

    /// Make the calls not made yet; returns when the barrier was left
    /// (`CLOCK_MONOTONIC` ns).
    pub fn close(&self) -> u64 {
        self.open();
        if self.wearout {
            self.most_done(0);
        }
        self.opened_ns.get().unwrap_or_default()
    }
}

impl crate::measure::Gate for RegionGate<'_> {
    fn open(&self) {
        if self.opened_ns.get().is_none() {
            self.clients.barrier();
            self.opened_ns.set(Some(crate::measure::monotonic_ns()));
        }
    }

    fn most_done(&self, done: u64) -> u64 {
        if self.agreed.replace(true) {
            return done;
        }
        self.clients.max(done)
    }
}

/// Every rank's host and scratch folder of a repetition, on every rank
/// (empty lists with one rank): what the shared-file and read-back
/// workloads need to find each other's files. Its gather and broadcast
/// wait for every rank, as a barrier does.
///
/// # Errors
/// A name that does not serialise or parse.
pub fn peers(clients: &dyn Clients, scratch: &std::path::Path) -> anyhow::Result<Peers> {
    let rank = clients.rank();
    if clients.size() == 1 {
        return Ok(Peers {
            rank,
            ..Peers::default()
        });
    }
    let all = gather_json(clients, &(clients.host(), scratch.to_path_buf()))?;
    let (hosts, scratch) = broadcast_json(clients, &all)?.into_iter().unzip();
    Ok(Peers {
        rank,
        hosts,
        scratch,
    })
}

/// A corpus made ready by one rank: the corpus, its provenance and its lock.
pub type PreparedCorpus = (Corpus, String, CorpusLock);

/// Every rank's host name, in rank order, on every rank.
///
/// # Errors
/// A name that does not serialise or parse.
pub fn hosts(clients: &dyn Clients) -> anyhow::Result<Vec<String>> {
    let all = gather_json(clients, &clients.host())?;
    broadcast_json(clients, &all)
}

/// The corpus rank `clients.rank()` reads, made ready on every rank: after
/// a barrier, each rank that creates one (every rank per-rank; shared, the
/// first rank of each data folder in `dirs`) runs `create` on its own
/// folder while the others wait; then each rank opens the corpus of the
/// rank it reads from (`--reorder`). Returns the corpus with its
/// provenance (`created`, `reused`, `opened`) and, on the ranks that
/// created it, its lock held shared (a shared corpus is guarded by its
/// creator's lock for as long as the run lives).
///
/// # Errors
/// Any rank's creation or opening failure, on every rank, naming the rank.
pub fn prepare_corpus(
    clients: &dyn Clients,
    options: &ClientOptions,
    dirs: &DataDirs,
    dir_name: &str,
    create: &dyn Fn(&std::path::Path) -> anyhow::Result<PreparedCorpus>,
) -> anyhow::Result<(Corpus, String, Option<CorpusLock>)> {
    let (rank, size) = (clients.rank(), clients.size());
    clients.barrier();
    let own = options.corpus_dir(dirs, dir_name, rank, size);
    let created = if options.creates_corpus(rank, dirs) {
        create(&own).map(Some)
    } else {
        Ok(None)
    };
    let created = agree(clients, created)?;
    let source = options.corpus_dir(dirs, dir_name, options.source_rank(rank, size), size);
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
/// other ranks. `in_world`: the job has several ranks, so even the one
/// rank of a sweep's count 1 writes its own row beside the aggregate.
///
/// # Errors
/// A row that does not serialise or parse.
pub fn collect_rows(
    clients: &dyn Clients,
    mut row: Row,
    in_world: bool,
) -> anyhow::Result<Vec<Row>> {
    row.ranks = clients.size();
    if clients.size() == 1 && !in_world {
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
/// other ranks): every rank's host, data folder and corpus folder, and one
/// machine description per host.
///
/// # Errors
/// A description that does not serialise or parse.
pub fn describe_ranks(
    clients: &dyn Clients,
    options: &ClientOptions,
    machine: &crate::results::Machine,
    (dirs, corpus_dir): (&DataDirs, &std::path::Path),
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
        data_dirs: dirs.all().to_vec(),
        machines,
    }))
}
