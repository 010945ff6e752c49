//! The crossover: in a run that sweeps the emulated storage's latency
//! (`experiments/storage.toml`), the lowest swept latency from which each
//! claim holds — the lowest whose measured interval lies wholly at or
//! above the claimed effect, that is whose judgement on that storage is
//! *holds* ([`super::judge_with`] judges each storage on its own rows) —
//! or that it never does within the sweep.
//!
//! Owns: reading the per-storage judgements as a sweep. Does not own the
//! judgements themselves (`judge`).

use std::time::Duration;

use serde::Serialize;

use super::{Judgement, Verdict};
use crate::storage::describe::duration_text;
use crate::storage::Storage;

/// One claim over the swept latencies.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Crossover {
    /// The claim's id with its durability setting, without the storage
    /// (`copy-thread-pool`, `save-process-pool · end-sync`).
    pub claim: String,
    /// The lowest swept latency from which it holds; `None`: never within
    /// the sweep.
    pub holds_from: Option<Duration>,
    /// The swept latencies it was judged at, ascending.
    pub swept: Vec<Duration>,
    /// Its verdict at each of them, in that order.
    pub verdicts: Vec<Verdict>,
    /// The emulator's queue depth of the sweep.
    pub qd: u32,
}

impl Crossover {
    /// The sentence the report and the terminal print: `copy-thread-pool
    /// holds from 500us per operation (emulated, qd=16; swept 0, 20us,
    /// 100us, 500us, 2ms)`.
    pub fn sentence(&self) -> String {
        let swept: Vec<String> = self.swept.iter().map(|d| duration_text(*d)).collect();
        let on = format!("emulated, qd={}; swept {}", self.qd, swept.join(", "));
        match self.holds_from {
            Some(d) => format!(
                "{} holds from {} per operation ({on})",
                self.claim,
                duration_text(d)
            ),
            None => format!("{} never holds within the sweep ({on})", self.claim),
        }
    }
}

/// The crossover of every claim judged on two or more emulated latencies
/// of one queue depth (and no bandwidth cap), in the judgements' order;
/// empty for a run that sweeps none.
pub fn crossovers(judgements: &[Judgement]) -> Vec<Crossover> {
    let mut out: Vec<Crossover> = Vec::new();
    for j in judgements
        .iter()
        .filter(|j| j.verdict != Verdict::NotTested)
    {
        let Storage::Emulated(e) = j.storage else {
            continue;
        };
        if e.timing.bw.is_some() {
            continue;
        }
        let claim =
            j.id.split_once(" · on ")
                .map_or(j.id.as_str(), |(id, _)| id)
                .to_string();
        let at = match out
            .iter()
            .position(|c| c.claim == claim && c.qd == e.timing.qd)
        {
            Some(i) => i,
            None => {
                out.push(Crossover {
                    claim,
                    holds_from: None,
                    swept: Vec::new(),
                    verdicts: Vec::new(),
                    qd: e.timing.qd,
                });
                out.len() - 1
            }
        };
        let c = &mut out[at];
        let place = c.swept.partition_point(|d| *d < e.timing.lat);
        c.swept.insert(place, e.timing.lat);
        c.verdicts.insert(place, j.verdict);
    }
    out.retain(|c| c.swept.len() >= 2);
    for c in &mut out {
        c.holds_from = c
            .swept
            .iter()
            .zip(&c.verdicts)
            .find(|(_, v)| **v == Verdict::Holds)
            .map(|(d, _)| *d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(id: &str, storage: &str, verdict: Verdict) -> Judgement {
        Judgement {
            id: format!("{id} · on {storage}"),
            claim: "x",
            storage: storage.parse().unwrap(),
            statement: String::new(),
            claimed: String::new(),
            measured: String::new(),
            verdict,
            detail: String::new(),
        }
    }

    #[test]
    fn the_lowest_latency_that_holds_is_the_crossover() {
        let js = [
            judged("copy-thread-pool", "emulated:lat=2ms", Verdict::Holds),
            judged("copy-thread-pool", "emulated:lat=0", Verdict::DoesNotHold),
            judged("copy-thread-pool", "emulated:lat=500us", Verdict::Holds),
            judged(
                "copy-thread-pool",
                "emulated:lat=100us",
                Verdict::Inconclusive,
            ),
            judged("save-process-pool", "emulated:lat=0", Verdict::DoesNotHold),
            judged(
                "save-process-pool",
                "emulated:lat=2ms",
                Verdict::Inconclusive,
            ),
            judged("load-thread-pool", "emulated:lat=2ms", Verdict::Holds),
            judged("load-thread-pool", "tmpfs", Verdict::Holds),
        ];
        let c = crossovers(&js);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(
            c[0].sentence(),
            "copy-thread-pool holds from 500us per operation (emulated, qd=16; swept 0, 100us, 500us, 2ms)"
        );
        assert_eq!(
            c[1].sentence(),
            "save-process-pool never holds within the sweep (emulated, qd=16; swept 0, 2ms)"
        );
    }
}
