//! The order of repetitions. Interleaved by default: every round runs each
//! scenario once, in a seeded random order, so a machine that drifts (1.7–2×
//! within an hour was measured here) spreads its drift over all scenarios
//! instead of biasing whichever ran last.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How repetitions are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// Rounds of all scenarios, each round shuffled with this seed.
    Interleaved {
        /// Seed of the shuffle, recorded in `run.json`.
        seed: u64,
    },
    /// All repetitions of one scenario, then the next.
    Sequential,
}

/// One repetition in the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Index into the plan's scenarios.
    pub scenario: usize,
    /// Repetition number within the scenario (warm-ups first, from 0).
    pub rep: u32,
    /// Whether this is a discarded warm-up.
    pub warmup: bool,
}

/// The full schedule: warm-up rounds, then measured rounds.
pub fn schedule(scenarios: usize, warmup: u32, reps: u32, order: Order) -> Vec<Slot> {
    let total = warmup + reps;
    let slot = |scenario, rep| Slot {
        scenario,
        rep,
        warmup: rep < warmup,
    };
    match order {
        Order::Sequential => (0..scenarios)
            .flat_map(|s| (0..total).map(move |r| slot(s, r)))
            .collect(),
        Order::Interleaved { seed } => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut out = Vec::with_capacity(scenarios * total as usize);
            for rep in 0..total {
                let mut round: Vec<usize> = (0..scenarios).collect();
                round.shuffle(&mut rng);
                out.extend(round.into_iter().map(|s| slot(s, rep)));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_rounds_cover_every_scenario_and_repeat_with_the_seed() {
        let a = schedule(4, 1, 3, Order::Interleaved { seed: 7 });
        assert_eq!(a.len(), 16);
        for round in a.chunks(4) {
            let mut s: Vec<usize> = round.iter().map(|x| x.scenario).collect();
            s.sort();
            assert_eq!(s, vec![0, 1, 2, 3]);
        }
        assert_eq!(a.iter().filter(|s| s.warmup).count(), 4);
        assert_eq!(a, schedule(4, 1, 3, Order::Interleaved { seed: 7 }));
        assert_ne!(a, schedule(4, 1, 3, Order::Interleaved { seed: 8 }));
    }

    #[test]
    fn sequential_runs_each_scenario_to_the_end() {
        let s = schedule(2, 0, 2, Order::Sequential);
        let ids: Vec<usize> = s.iter().map(|x| x.scenario).collect();
        assert_eq!(ids, vec![0, 0, 1, 1]);
    }
}
