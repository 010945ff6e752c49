//! The verdict rules of the module doc, applied to a run's rows.

use super::{Claim, Judgement, Metric, Select, Test, Verdict};
use crate::results::Named as _;
use crate::results::{LoadedRun, Row, Status, SummaryRow, SummaryStatus};
use crate::stats::{self, Bootstrap, Estimate, Interval, Sample};
use crate::storage::Storage;
use crate::strategy::StrategyKind;
use crate::workload::Durability;

/// Fewest verified repetitions per side for a verdict other than inconclusive.
const MIN_REPS: usize = 3;

/// The verdict of a measured interval against the claimed lower bound.
pub fn ratio_verdict(ci: &Interval, at_least: f64) -> Verdict {
    if ci.low.is_nan() || ci.high.is_nan() {
        Verdict::Inconclusive
    } else if ci.low >= at_least {
        Verdict::Holds
    } else if ci.high < at_least {
        Verdict::DoesNotHold
    } else {
        Verdict::Inconclusive
    }
}

/// Judge `claims` against `run`: one judgement per claim, or per claim and
/// durability setting for the ratio claims whose rows write (the module
/// doc's rule).
///
/// A run on several storages is judged once per storage, on that
/// storage's rows alone, never pooled: the judgements on a storage other
/// than the data folder add it to the id (`copy-thread-pool · on xfs`)
/// and say it first in the detail.
pub fn judge_with(claims: &[Claim], run: &LoadedRun) -> Vec<Judgement> {
    let boot = Bootstrap {
        seed: run.meta.plan.bootstrap_seed,
        ..Bootstrap::default()
    };
    let mut storages: Vec<Storage> = Vec::new();
    for r in &run.summary {
        if !storages.contains(&r.storage) {
            storages.push(r.storage);
        }
    }
    if storages.len() <= 1 {
        let data = Data {
            summary: &run.summary,
            rows: &run.rows,
            boot,
        };
        return claims.iter().flat_map(|c| data.judge(c)).collect();
    }
    let mut out = Vec::new();
    for storage in storages {
        let summary: Vec<SummaryRow> = run
            .summary
            .iter()
            .filter(|r| r.storage == storage)
            .cloned()
            .collect();
        let rows: Vec<Row> = run
            .rows
            .iter()
            .filter(|r| r.storage == storage)
            .cloned()
            .collect();
        let data = Data {
            summary: &summary,
            rows: &rows,
            boot,
        };
        out.extend(
            claims
                .iter()
                .flat_map(|c| data.judge(c))
                .map(|j| j.on(storage)),
        );
    }
    out
}

impl Judgement {
    /// This judgement as made on `storage`'s rows alone.
    fn on(mut self, storage: Storage) -> Judgement {
        if !storage.is_data_dir() {
            self.id = format!("{} · on {storage}", self.id);
        }
        self.detail = format!("on {storage}: {}", self.detail);
        self.storage = storage;
        self
    }
}

/// What a judgement reads.
pub(super) struct Data<'a> {
    pub(super) summary: &'a [SummaryRow],
    pub(super) rows: &'a [Row],
    pub(super) boot: Bootstrap,
}

/// A variant label cut into the workload's own label and the scenario's
/// suffixes (`rename+first-1000` → `rename`, `+first-1000`).
fn split_variant(variant: &str) -> (&str, &str) {
    variant.split_at(variant.find('+').unwrap_or(variant.len()))
}

/// Whether row `r` was measured at durability `d`: a row that records none
/// (a workload that writes nothing, or a file from before the column, when
/// every save stopped at the page cache) fits every setting.
fn measured_at(r: &SummaryRow, d: Durability) -> bool {
    r.durability.is_empty() || Durability::from_name(&r.durability) == Some(d)
}

/// The workload's own variant label of a row, without the scenario's
/// suffixes and without the durability a writing workload appends
/// (`one-write,end-sync+first-10` → `one-write`).
fn variant_label(r: &SummaryRow) -> &str {
    let label = split_variant(&r.variant).0;
    match Durability::from_name(&r.durability) {
        Some(d @ (Durability::EndSync | Durability::Each)) => label
            .strip_suffix(d.as_str())
            .and_then(|l| l.strip_suffix(','))
            .unwrap_or(label),
        Some(Durability::None) | None => label,
    }
}

fn matches(s: &Select, r: &SummaryRow) -> bool {
    r.workload.name() == s.workload
        && (s.variants.is_empty() || s.variants.contains(&variant_label(r)))
        && s.durability.is_none_or(|d| measured_at(r, d))
        && (s.strategy.is_empty() || r.strategy.name() == s.strategy)
        && s.workers.is_none_or(|w| r.workers == w)
        && s.processes.is_none_or(|p| r.processes == p)
        && s.batch
            .is_none_or(|(lo, hi)| r.batch.is_some_and(|b| (lo..=hi).contains(&b)))
        && r.cache == s.cache
        && s.program.is_none_or(|p| r.program.as_deref() == Some(p))
}

/// A row as people read it; command scenarios by their program.
pub(super) fn shown(r: &SummaryRow) -> String {
    format!("{} {} · {}", r.workload, r.variant, r.strategy_shown())
}

impl Data<'_> {
    /// `c` judged once, or once per durability setting its sides measured.
    fn judge(&self, c: &Claim) -> Vec<Judgement> {
        match c.test {
            Test::Ratio {
                baseline,
                candidate,
                metric,
                at_least,
                same_workers,
                ..
            } => self
                .settings(&[baseline, candidate])
                .into_iter()
                .map(|setting| {
                    let at = |s: Select| Select {
                        durability: s.durability.or(setting),
                        ..s
                    };
                    let (b, c2) = (at(baseline), at(candidate));
                    let result = self.ratio(&b, &c2, metric, at_least, same_workers);
                    judgement(c, setting, result)
                })
                .collect(),
            Test::Memory { rows, at_least } => {
                vec![judgement(c, None, self.memory(&rows, at_least))]
            }
            Test::Append { python } => vec![judgement(c, None, self.append(python))],
            Test::Atomic => vec![judgement(c, None, self.atomic())],
        }
    }

    /// The durability settings a ratio claim is judged at, one judgement
    /// each: `[None]` (no filter) when no side that leaves the setting open
    /// has rows that record one (nothing written, or files from before the
    /// column); else the settings measured on every such side, in
    /// [`Durability::ALL`]'s order; `none` alone when they share none (the
    /// judgement then says which side is missing).
    fn settings(&self, sides: &[Select]) -> Vec<Option<Durability>> {
        let measured: Vec<Vec<Durability>> = sides
            .iter()
            .filter(|s| s.durability.is_none())
            .map(|s| {
                let rows = self.select(s);
                Durability::ALL
                    .into_iter()
                    .filter(|d| {
                        rows.iter()
                            .any(|r| Durability::from_name(&r.durability) == Some(*d))
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|found| !found.is_empty())
            .collect();
        if measured.is_empty() {
            return vec![None];
        }
        let shared: Vec<Option<Durability>> = Durability::ALL
            .into_iter()
            .filter(|d| measured.iter().all(|found| found.contains(d)))
            .map(Some)
            .collect();
        if shared.is_empty() {
            vec![Some(Durability::None)]
        } else {
            shared
        }
    }

    pub(super) fn select(&self, s: &Select) -> Vec<&SummaryRow> {
        self.summary.iter().filter(|r| matches(s, r)).collect()
    }

    /// Measured repetitions of a scenario.
    pub(super) fn reps(&self, id: &str) -> impl Iterator<Item = &Row> + '_ {
        let id = id.to_string();
        self.rows
            .iter()
            .filter(move |r| !r.warmup && r.scenario_id == id)
    }

    /// The metric over the verified repetitions of a scenario.
    fn sample(&self, id: &str, metric: Metric) -> Option<Sample> {
        let v: Vec<f64> = self
            .reps(id)
            .filter(|r| r.verified && r.status == Status::Ok)
            .map(|r| {
                match metric {
                    Metric::Wall => r.wall_s,
                    Metric::Cpu => r.user_s + r.sys_s,
                }
                .max(1e-9)
            })
            .collect();
        Sample::new(v).ok()
    }

    fn ratio(
        &self,
        base: &Select,
        cand: &Select,
        metric: Metric,
        at_least: f64,
        same_workers: bool,
    ) -> (Verdict, String, String) {
        let bases = self.select(base);
        let cands = self.select(cand);
        if bases.is_empty() || cands.is_empty() {
            let missing = if bases.is_empty() { base } else { cand };
            return not_tested(missing);
        }
        let (best, pairs) = self.best_pair(&bases, &cands, metric, same_workers);
        let Some((e, b, c, n)) = best else {
            return (
                Verdict::Inconclusive,
                "no verified repetitions".into(),
                format!(
                    "{} vs {}: no pair with verified repetitions on both sides",
                    shown(bases[0]),
                    shown(cands[0])
                ),
            );
        };
        let (what, before, after) = match metric {
            Metric::Wall => ("time", b.wall_median_s, c.wall_median_s),
            Metric::Cpu => ("CPU (user+sys)", b.user_s + b.sys_s, c.user_s + c.sys_s),
        };
        let measured = format!("{:.2}× [{:.2} … {:.2}]", e.point, e.ci.low, e.ci.high);
        let mut detail = format!(
            "{what}: {} {before:.3} s (n = {}) → {} {after:.3} s (n = {})",
            shown(b),
            b.n_verified,
            shown(c),
            c.n_verified,
        );
        if pairs > 1 {
            detail.push_str(&format!("; best of {pairs} pairs"));
        }
        if n < MIN_REPS {
            detail.push_str(&format!(
                "; only {n} verified repetitions (need {MIN_REPS})"
            ));
            return (Verdict::Inconclusive, measured, detail);
        }
        (ratio_verdict(&e.ci, at_least), measured, detail)
    }

    /// Each candidate with its baseline (the same file subset and crash
    /// point, and the same worker count when asked): the pair with the
    /// highest ratio, and how many pairs had data.
    #[allow(clippy::type_complexity)]
    fn best_pair<'r>(
        &self,
        bases: &[&'r SummaryRow],
        cands: &[&'r SummaryRow],
        metric: Metric,
        same_workers: bool,
    ) -> (
        Option<(Estimate, &'r SummaryRow, &'r SummaryRow, usize)>,
        usize,
    ) {
        let mut best: Option<(Estimate, &SummaryRow, &SummaryRow, usize)> = None;
        let mut pairs = 0;
        for c in cands {
            let Some(b) = bases.iter().find(|b| {
                split_variant(&b.variant).1 == split_variant(&c.variant).1
                    && (!same_workers || b.workers == c.workers)
            }) else {
                continue;
            };
            let (Some(bs), Some(cs)) = (
                self.sample(&b.scenario_id, metric),
                self.sample(&c.scenario_id, metric),
            ) else {
                continue;
            };
            let Ok(e) = stats::speedup(&bs, &cs, &self.boot) else {
                continue;
            };
            pairs += 1;
            let n = bs.len().min(cs.len());
            if best.as_ref().is_none_or(|(x, ..)| e.point > x.point) {
                best = Some((e, b, c, n));
            }
        }
        (best, pairs)
    }

    fn memory(&self, sel: &Select, at_least: f64) -> (Verdict, String, String) {
        let rows = self.select(sel);
        let Some(r) = rows.iter().find(|r| r.status == SummaryStatus::Ok) else {
            return not_tested(sel);
        };
        let reps: Vec<&Row> = self
            .reps(&r.scenario_id)
            .filter(|x| x.verified && x.peak_rss_bytes > 0)
            .collect();
        let rss = Sample::new(reps.iter().map(|x| x.peak_rss_bytes as f64).collect());
        let bytes = reps.iter().map(|x| x.bytes).max().unwrap_or(0) as f64;
        let (Ok(rss), true) = (rss, bytes > 0.0) else {
            return (
                Verdict::Inconclusive,
                "no peak RSS recorded".into(),
                shown(r),
            );
        };
        // The process's own floor: the least peak RSS of any in-process
        // repetition of the run (a 4 KiB pread loop, say). Streaming is
        // charged only for what it adds above that floor.
        let floor = self
            .rows
            .iter()
            .filter(|x| {
                !x.warmup && x.verified && x.processes == 1 && !x.is_strategy(StrategyKind::Command)
            })
            .map(|x| x.peak_rss_bytes)
            .filter(|b| *b > 0)
            .min()
            .unwrap_or(0) as f64;
        let growth = |rss: f64| (rss - floor).max(64.0 * 1024.0);
        let ci = self.boot.median_ci(&rss);
        let ratio = Interval {
            low: bytes / growth(ci.high),
            high: bytes / growth(ci.low),
            level: ci.level,
        };
        let point = bytes / growth(rss.median());
        let measured = format!(
            "{point:.1}× [{:.1} … {:.1}] file/added RSS",
            ratio.low, ratio.high
        );
        let detail = format!(
            "{}: peak RSS {:.1} MiB (the process's floor in this run {:.1} MiB) while streaming {:.1} MiB",
            shown(r),
            rss.median() / 1048576.0,
            floor / 1048576.0,
            bytes / 1048576.0
        );
        if reps.len() < MIN_REPS {
            return (Verdict::Inconclusive, measured, detail);
        }
        (ratio_verdict(&ratio, at_least), measured, detail)
    }
}

/// The id of claim `id` judged at durability `d`: the claim's own id at
/// `none`, `<id> · <setting>` at the others.
pub fn id_at(id: &str, d: Durability) -> String {
    match d {
        Durability::None => id.to_string(),
        Durability::EndSync | Durability::Each => format!("{id} · {d}"),
    }
}

/// What a durability setting means, for a judgement's detail.
fn setting_words(d: Durability) -> &'static str {
    match d {
        Durability::None => "durability none (files left in the page cache)",
        Durability::EndSync => "durability end-sync (one syncfs inside the timed region)",
        Durability::Each => "durability each (an fsync of every file)",
    }
}

/// The judgement of `c` at durability `setting` (`None`: not judged per
/// setting) from its verdict, measured effect and detail.
fn judgement(
    c: &Claim,
    setting: Option<Durability>,
    (verdict, measured, detail): (Verdict, String, String),
) -> Judgement {
    let detail = if verdict == Verdict::NotTested {
        format!("{detail} (tested by {})", c.tested_by)
    } else {
        detail
    };
    let (id, detail) = match setting {
        None => (c.id.to_string(), detail),
        Some(d) => (id_at(c.id, d), format!("{}: {detail}", setting_words(d))),
    };
    Judgement {
        id,
        claim: c.id,
        storage: Storage::DataDir,
        statement: c.statement.into(),
        claimed: c.claimed.into(),
        measured,
        verdict,
        detail,
    }
}

fn not_tested(missing: &Select) -> (Verdict, String, String) {
    let mut what = missing.workload.to_string();
    if !missing.variants.is_empty() {
        what.push_str(&format!(" {}", missing.variants.join("|")));
    }
    if !missing.strategy.is_empty() {
        what.push_str(&format!(" · {}", missing.strategy));
    }
    if let Some(w) = missing.workers {
        what.push_str(&format!(" (workers {w})"));
    }
    if let Some(p) = missing.processes {
        what.push_str(&format!(" (processes {p})"));
    }
    if let Some(p) = missing.program {
        what.push_str(&format!(" [{p}]"));
    }
    if let Some(d) = missing.durability {
        what.push_str(&format!(" (durability {d})"));
    }
    (
        Verdict::NotTested,
        "—".into(),
        format!(
            "the run has no {} cache {} scenario with results: {what}",
            missing.cache, missing.workload
        ),
    )
}
