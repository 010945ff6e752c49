//! The ranks of a repetition as a workload sees them ([`Peers`]): this
//! rank, every rank's host and scratch folder of this repetition, and
//! whose data a rank reads back ([`ReadBack`], IOR's `-C`, `-Q` and `-Z`).
//!
//! Owns: the read-back source of every rank. Does not own: gathering the
//! hosts and folders (`clients::peers`, once per repetition before the
//! timed region) nor what a workload does with them (`rank_file`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues};

/// This rank and every rank of the repetition, in rank order. One rank
/// (no MPI, or before the ranks met): `hosts` and `scratch` empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peers {
    /// This process's rank.
    pub rank: u32,
    /// Every rank's host name.
    pub hosts: Vec<String>,
    /// Every rank's scratch folder of this repetition.
    pub scratch: Vec<PathBuf>,
}

impl Peers {
    /// The number of ranks (1 without MPI).
    pub fn ranks(&self) -> u32 {
        (self.scratch.len() as u32).max(1)
    }

    /// Rank `owner`'s scratch folder of this repetition: `own` (this
    /// rank's) for this rank or when the ranks' folders are not known.
    pub fn scratch_of<'a>(&'a self, owner: u32, own: &'a Path) -> &'a Path {
        match self.scratch.get(owner as usize) {
            Some(dir) if owner != self.rank => dir,
            _ => own,
        }
    }

    /// IOR's shift for `-C`: the ranks on rank 0's host when the ranks
    /// fill one host after another (ranks 0 and 1 on the same host, IOR's
    /// "by-slot" mapping), 1 when they go round the hosts ("by-node").
    /// On one host: every rank.
    pub fn node_shift(&self) -> u32 {
        match (self.hosts.first(), self.hosts.get(1)) {
            (Some(h0), Some(h1)) if h0 == h1 => {
                self.hosts.iter().filter(|h| *h == h0).count() as u32
            }
            (Some(_), Some(_)) => 1,
            _ => self.ranks(),
        }
    }
}

/// The knob choosing whose data a rank reads back.
pub(super) const READ_BACK: KnobDesc = KnobDesc {
    key: "read_back",
    kind: KnobKind::Choice(&["own", "node", "shuffle"]),
    default: "own",
    help: "whose transfers each rank reads: own (what it wrote itself), node (rank r reads rank (r + read_shift × ranks per node) mod N, IOR -C -Q; on one host that is itself, as in IOR), shuffle (a seeded permutation of the ranks with no rank reading itself, IOR -Z)",
    variants: &[],
};

/// The knob of IOR's `-Q`: how many nodes away `read_back = node` reads.
pub(super) const READ_SHIFT: KnobDesc = KnobDesc {
    key: "read_shift",
    kind: KnobKind::Count {
        min: 1,
        max: 1_000_000,
    },
    default: "1",
    help: "with read_back = node: read from this many nodes away (IOR -Q)",
    variants: &[],
};

/// Whose data a rank reads back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "read_back")]
pub enum ReadBack {
    /// Its own (IOR `-r` without `-C`).
    Own,
    /// `shift` nodes away: rank `(r + shift × node_shift) mod N` (IOR `-C
    /// -Q shift`).
    Node {
        /// Nodes away (IOR `-Q`).
        shift: u32,
    },
    /// A permutation of the ranks drawn from `seed` with no fixed point
    /// (IOR `-Z`, whose ranks may read themselves).
    Shuffle {
        /// The permutation's seed (the run's `--seed`).
        seed: u64,
    },
}

impl ReadBack {
    /// The knobs' values.
    ///
    /// # Errors
    /// A name that is not one of [`READ_BACK`]'s.
    pub(super) fn of(knobs: &KnobValues) -> Result<ReadBack, KnobError> {
        match knobs.choice(&READ_BACK)? {
            "own" => Ok(ReadBack::Own),
            "node" => Ok(ReadBack::Node {
                shift: knobs.count(&READ_SHIFT)?,
            }),
            "shuffle" => Ok(ReadBack::Shuffle { seed: knobs.seed }),
            other => Err(KnobError {
                key: READ_BACK.key,
                value: other.to_string(),
                allowed: READ_BACK.kind.to_string(),
            }),
        }
    }

    /// Its short label (`own`, `node-1`, `shuffle`).
    pub(super) fn label(self) -> String {
        match self {
            ReadBack::Own => "own".into(),
            ReadBack::Node { shift } => format!("node-{shift}"),
            ReadBack::Shuffle { .. } => "shuffle".into(),
        }
    }

    /// The rank whose data `peers.rank` reads.
    pub fn source(self, peers: &Peers) -> u32 {
        let n = peers.ranks();
        match self {
            ReadBack::Own => peers.rank,
            ReadBack::Node { shift } => {
                let k = u64::from(shift) * u64::from(peers.node_shift()) % u64::from(n);
                ((u64::from(peers.rank) + k) % u64::from(n)) as u32
            }
            ReadBack::Shuffle { seed } => derangement(n, seed)[peers.rank as usize % n as usize],
        }
    }
}

/// A permutation of `0..n` drawn from `seed` with no fixed point where
/// there can be none (n ≥ 2): Sattolo's algorithm (a Fisher–Yates shuffle
/// that draws only from the places after the current one), which gives a
/// single cycle through every rank, with a splitmix64 stream.
pub fn derangement(n: u32, seed: u64) -> Vec<u32> {
    let mut p: Vec<u32> = (0..n).collect();
    let mut z = seed;
    let mut next = || {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = z;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    };
    for i in (1..p.len()).rev() {
        let j = (next() % i as u64) as usize;
        p.swap(i, j);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn peers(rank: u32, hosts: &[&str]) -> Peers {
        Peers {
            rank,
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            scratch: hosts.iter().map(|_| PathBuf::from("/s")).collect(),
        }
    }

    #[test]
    fn node_reads_itself_on_one_host_as_ior_does() {
        let one = ["a", "a", "a", "a"];
        assert_eq!(peers(0, &one).node_shift(), 4);
        assert_eq!(ReadBack::Node { shift: 1 }.source(&peers(2, &one)), 2);
    }

    #[test]
    fn node_shifts_by_the_ranks_per_node_or_by_one_round_robin() {
        // By slot: ranks 0-1 on a, 2-3 on b.
        let slot = ["a", "a", "b", "b"];
        let sources: Vec<u32> = (0..4)
            .map(|r| ReadBack::Node { shift: 1 }.source(&peers(r, &slot)))
            .collect();
        assert_eq!(sources, [2, 3, 0, 1]);
        // By node: a, b, a, b: one rank over is the next node.
        let node = ["a", "b", "a", "b"];
        assert_eq!(ReadBack::Node { shift: 1 }.source(&peers(3, &node)), 0);
        assert_eq!(ReadBack::Node { shift: 2 }.source(&peers(1, &node)), 3);
    }

    #[test]
    fn one_rank_reads_itself_whatever_the_choice() {
        let alone = Peers::default();
        for rb in [
            ReadBack::Own,
            ReadBack::Node { shift: 3 },
            ReadBack::Shuffle { seed: 9 },
        ] {
            assert_eq!(rb.source(&alone), 0);
        }
    }

    proptest! {
        #[test]
        fn shuffle_is_a_permutation_without_a_fixed_point(n in 2u32..64, seed: u64) {
            let p = derangement(n, seed);
            let mut sorted = p.clone();
            sorted.sort_unstable();
            prop_assert_eq!(sorted, (0..n).collect::<Vec<_>>());
            prop_assert!(p.iter().enumerate().all(|(i, &s)| s != i as u32));
            prop_assert_eq!(derangement(n, seed), p);
        }
    }
}
