//! A sweep of rank counts in one job (`--ranks 1,2,4`, the `[[grid]]` key
//! `ranks`), as mdtest sweeps its ranks: a scenario of `n` ranks runs on
//! ranks `0..n` of a sub-communicator (`MPI_Comm_split`, made once per
//! count at the start of the schedule), each keeping its rank, so its
//! barriers, stonewall, shared layout's blocks (and their reorder) and
//! aggregate row are those of the `n` ranks; the other ranks do no I/O
//! in its repetitions and wait for them at a barrier of every rank that
//! does not spin ([`Clients::idle_barrier`]). A scenario without a count runs on every
//! rank, as without a sweep.
//!
//! Owns: the counts' check and the sub-communicators. Does not own: the
//! schedule (`super`), the rows' aggregate (`crate::clients`).

use crate::clients::{self, Clients};
use crate::experiment::layout::{ClientOptions, Layout};
use crate::experiment::Plan;

/// The rank counts of `plan` (sorted, each once).
fn counts(plan: &Plan) -> Vec<u32> {
    let mut counts: Vec<u32> = plan.scenarios.iter().filter_map(|s| s.ranks).collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// Refuse a sweep this job cannot run, before anything is made: a build
/// without MPI, a count above the ranks the launcher started (every rank
/// refuses alike, rank 0 says it), or `--reorder` on per-rank corpora
/// with a count below them (each rank opens its neighbour's corpus once,
/// for the ranks started).
///
/// # Errors
/// [`clients::Agreed`], one line naming the count and the ranks started.
pub(super) fn check(
    plan: &Plan,
    layout: &ClientOptions,
    clients: &dyn Clients,
) -> anyhow::Result<()> {
    let counts = counts(plan);
    let Some(most) = counts.last() else {
        return Ok(());
    };
    if cfg!(not(feature = "mpi")) {
        anyhow::bail!(
            "--ranks {}: sweeping rank counts needs MPI ranks, and this iolab was built without MPI: rebuild with `cargo build --release --features mpi` and start it with `mpirun -np N`",
            shown(&counts)
        );
    }
    let started = clients.size();
    if *most > started {
        return Err(clients::Agreed(format!(
            "--ranks {most}: more ranks than the {started} the launcher started (mpirun -np {started}); give counts from 1 to {started}, or start more ranks"
        ))
        .into());
    }
    let fewer = counts.iter().find(|n| **n < started);
    if let (Some(n), Layout::PerRank, true) = (fewer, layout.layout, layout.reorder > 0) {
        return Err(clients::Agreed(format!(
            "--ranks {n} with --reorder {} and --layout per-rank: each rank opens its neighbour's corpus once, among the {started} ranks started; sweep with --layout shared, whose blocks follow each count",
            layout.reorder
        ))
        .into());
    }
    Ok(())
}

fn shown(counts: &[u32]) -> String {
    counts
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The sub-communicators of a run's rank counts below the ranks started.
pub(super) struct Sweep {
    /// Each count with this rank's clients of it (`None`: idle in it).
    subs: Vec<(u32, Option<Box<dyn Clients>>)>,
}

/// Who runs a repetition, as this rank sees it.
pub(super) enum Seat<'a> {
    /// Every rank of the job.
    All(&'a dyn Clients),
    /// Ranks `0..n` of a sweep's count, this rank among them.
    Some(&'a dyn Clients),
    /// Ranks `0..n`, without this one: it waits.
    Idle,
}

impl Sweep {
    /// The sub-communicators of `plan`'s counts below `world`'s size, made
    /// in the same order on every rank (each split is a collective call).
    pub(super) fn of(plan: &Plan, world: &dyn Clients) -> Sweep {
        let subs = counts(plan)
            .into_iter()
            .filter(|n| *n < world.size())
            .map(|n| (n, world.split(n)))
            .collect();
        Sweep { subs }
    }

    /// Who runs a scenario of `ranks` ranks (`None`: every rank).
    pub(super) fn seat<'a>(&'a self, ranks: Option<u32>, world: &'a dyn Clients) -> Seat<'a> {
        let Some(n) = ranks else {
            return Seat::All(world);
        };
        match self.subs.iter().find(|(count, _)| *count == n) {
            None => Seat::All(world),
            Some((_, Some(sub))) => Seat::Some(sub.as_ref()),
            Some((_, None)) => Seat::Idle,
        }
    }
}

impl Seat<'_> {
    /// This rank's clients of the repetition, `None` when it sits out.
    pub(super) fn clients(&self) -> Option<&dyn Clients> {
        match self {
            Seat::All(c) | Seat::Some(c) => Some(*c),
            Seat::Idle => None,
        }
    }

    /// Whether some ranks sit the repetition out, so every rank meets at
    /// the idle barrier after it.
    pub(super) fn partial(&self) -> bool {
        !matches!(self, Seat::All(_))
    }
}
