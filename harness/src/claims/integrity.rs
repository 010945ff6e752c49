//! The integrity claims, judged from counts: lines lost or torn by appends
//! without a lock, targets torn by writers killed mid-save (rules in the
//! module doc of [`super`]).

use super::judge::{shown, Data};
use super::Verdict;
use crate::results::Named as _;
use crate::results::{Status, SummaryRow};
use crate::strategy::StrategyKind;
use crate::workload::WorkloadKind;

/// Per scenario: its row and, per measured repetition, the count of bad items.
struct Counts<'a> {
    row: &'a SummaryRow,
    bad: Vec<u64>,
}

impl Counts<'_> {
    fn worst(&self) -> u64 {
        self.bad.iter().copied().max().unwrap_or(0)
    }

    fn text(&self) -> String {
        format!(
            "{} worst {} in {} reps",
            shown(self.row),
            self.worst(),
            self.bad.len()
        )
    }
}

fn list(counts: &[Counts<'_>]) -> String {
    counts
        .iter()
        .map(Counts::text)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Data<'_> {
    fn counts<'a>(
        &'a self,
        rows: &[&'a SummaryRow],
        bad: impl Fn(&crate::results::Row) -> Option<u64>,
    ) -> Vec<Counts<'a>> {
        rows.iter()
            .map(|r| Counts {
                row: r,
                bad: self
                    .reps(&r.scenario_id)
                    .filter(|x| x.status == Status::Ok)
                    .filter_map(&bad)
                    .collect(),
            })
            .filter(|c| !c.bad.is_empty())
            .collect()
    }

    /// append-needs-lock: lost or torn lines without a lock, none with one.
    pub(super) fn append(&self, python: bool) -> (Verdict, String, String) {
        let rows: Vec<&SummaryRow> = self
            .summary
            .iter()
            .filter(|r| {
                r.is_workload(WorkloadKind::Append)
                    && !r.is_strategy(StrategyKind::Sequential)
                    && (r.is_strategy(StrategyKind::Command)) == python
            })
            .collect();
        let is_locked = |r: &&SummaryRow| {
            if python {
                r.program.as_deref() == Some("append_lock")
            } else {
                matches!(r.variant.as_str(), "mutex" | "flock")
            }
        };
        let is_unlocked = |r: &&SummaryRow| {
            if python {
                r.program.as_deref() == Some("append_nolock")
            } else {
                matches!(
                    r.variant.as_str(),
                    "o-append" | "unlocked-seek" | "unlocked-buffered"
                )
            }
        };
        let lost = |x: &crate::results::Row| Some(x.append_corrupted? + x.append_missing?);
        let locked_rows: Vec<&SummaryRow> = rows.iter().copied().filter(is_locked).collect();
        let unlocked_rows: Vec<&SummaryRow> = rows.iter().copied().filter(is_unlocked).collect();
        let locked = self.counts(&locked_rows, lost);
        let unlocked = self.counts(&unlocked_rows, lost);
        append_verdict(&locked, &unlocked)
    }

    /// atomic-save-safe: torn targets after killed writers, in place vs rename.
    pub(super) fn atomic(&self) -> (Verdict, String, String) {
        let killed: Vec<&SummaryRow> = self
            .summary
            .iter()
            .filter(|r| r.is_workload(WorkloadKind::AtomicSave) && r.killed())
            .collect();
        let torn = |x: &crate::results::Row| x.torn;
        let in_place: Vec<&SummaryRow> = killed
            .iter()
            .copied()
            .filter(|r| r.variant.starts_with("in-place+"))
            .collect();
        let renames: Vec<&SummaryRow> = killed
            .iter()
            .copied()
            .filter(|r| r.variant.starts_with("rename"))
            .collect();
        atomic_verdict(&self.counts(&in_place, torn), &self.counts(&renames, torn))
    }
}

fn append_verdict(locked: &[Counts<'_>], unlocked: &[Counts<'_>]) -> (Verdict, String, String) {
    if locked.is_empty() || unlocked.is_empty() {
        let missing = if locked.is_empty() {
            "a locked"
        } else {
            "an unlocked"
        };
        return (
            Verdict::NotTested,
            "—".into(),
            format!("the run has no concurrent append with {missing} variant"),
        );
    }
    let measured = format!(
        "without lock: worst {} lines lost or torn; with lock: worst {}",
        unlocked.iter().map(Counts::worst).max().unwrap_or(0),
        locked.iter().map(Counts::worst).max().unwrap_or(0)
    );
    let detail = format!("unlocked: {}. locked: {}", list(unlocked), list(locked));
    let unlocked_reps: usize = unlocked.iter().map(|c| c.bad.len()).sum();
    let verdict = if locked.iter().any(|c| c.worst() > 0) {
        Verdict::DoesNotHold
    } else if unlocked.iter().any(|c| c.worst() > 0) {
        Verdict::Holds
    } else if unlocked_reps >= 3 {
        Verdict::DoesNotHold
    } else {
        Verdict::Inconclusive
    };
    (verdict, measured, detail)
}

fn atomic_verdict(in_place: &[Counts<'_>], renames: &[Counts<'_>]) -> (Verdict, String, String) {
    if in_place.is_empty() || renames.is_empty() {
        let missing = if in_place.is_empty() {
            "in-place"
        } else {
            "rename"
        };
        return (
            Verdict::NotTested,
            "—".into(),
            format!("the run has no atomic save with killed writers for the {missing} variant (kill_at in experiments/atomic.toml)"),
        );
    }
    let measured = format!(
        "torn targets: in place worst {}, rename worst {}",
        in_place.iter().map(Counts::worst).max().unwrap_or(0),
        renames.iter().map(Counts::worst).max().unwrap_or(0)
    );
    let detail = format!("in place: {}. rename: {}", list(in_place), list(renames));
    let verdict = if renames.iter().any(|c| c.worst() > 0) {
        Verdict::DoesNotHold
    } else if in_place.iter().any(|c| c.worst() > 0) {
        Verdict::Holds
    } else {
        Verdict::Inconclusive
    };
    (verdict, measured, detail)
}
