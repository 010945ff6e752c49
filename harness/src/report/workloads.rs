//! The report's description of each workload of a run: what its
//! description says (one line, what it reads, writes and verifies) and
//! the details of its checks as the repetitions recorded them, passed
//! ones too — so a reader sees what "verified" meant for each scenario.
//!
//! Owns: those cards as data. Does not own their rendering (`markdown`,
//! `html`) or the checks (`workload`).

use crate::results::{LoadedRun, Row};
use crate::workload::WorkloadId;

/// One workload of the run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WorkloadCard {
    /// The workload.
    pub workload: WorkloadId,
    /// Its description's lines: summary, reads, writes, verifies (empty
    /// ones left out: a user workload this binary does not register has
    /// its name alone).
    pub description: Vec<String>,
    /// Each scenario's check, as its first measured repetition recorded
    /// it: `variant · strategy · cache: verified|not verified — detail`.
    pub checks: Vec<String>,
}

/// The cards of `run`'s workloads, in workload order.
pub fn cards(run: &LoadedRun) -> Vec<WorkloadCard> {
    let mut workloads: Vec<WorkloadId> = run.rows.iter().map(|r| r.workload).collect();
    workloads.sort();
    workloads.dedup();
    workloads
        .into_iter()
        .map(|w| WorkloadCard {
            workload: w,
            description: description(w),
            checks: checks(run.rows.iter().filter(|r| r.workload == w && !r.warmup)),
        })
        .collect()
}

fn description(w: WorkloadId) -> Vec<String> {
    let d = w.desc();
    let registered = w.kind().is_some() || !w.metrics().is_empty() || !d.variants.is_empty();
    if !registered {
        return Vec::new();
    }
    [
        ("", d.summary),
        ("reads: ", d.reads),
        ("writes: ", d.writes),
        ("verifies: ", d.verifies),
    ]
    .into_iter()
    .filter(|(_, text)| !text.is_empty())
    .map(|(label, text)| format!("{label}{text}"))
    .collect()
}

fn checks<'a>(rows: impl Iterator<Item = &'a Row>) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for r in rows {
        if seen.contains(&r.scenario_id.as_str()) {
            continue;
        }
        seen.push(&r.scenario_id);
        let verdict = if r.verified {
            "verified"
        } else {
            "not verified"
        };
        out.push(format!(
            "{} · {} · {}: {verdict} — {}",
            r.variant, r.strategy_label, r.cache, r.detail
        ));
    }
    out
}
