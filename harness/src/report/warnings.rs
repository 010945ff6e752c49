//! Why some numbers of a run cannot be fully trusted: [`Warning`], each with
//! its cause and what to do about it, found from the run's rows and summary.
//!
//! Owns: the checks and their wording. Does not own: the statistics behind
//! them (coefficient of variation and outliers come from `summary.csv`,
//! computed by `crate::stats`) or how warnings are laid out (`html`,
//! `markdown`).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::explain;
use crate::measure::cache::{CacheMethod, CacheState};
use crate::measure::device::lower_cache_warning;
use crate::results::footing::{self, Footing};
use crate::results::{LoadedRun, Status};

/// Coefficient of variation above which a scenario's repetitions disagree
/// too much (10 %).
pub const MAX_CV: f64 = 0.10;
/// A cold repetition with more of its inputs cached than this (percent)
/// did not start cold.
pub const MAX_COLD_RESIDENT_PCT: f64 = 5.0;
/// A warm repetition with less of its inputs cached than this (percent)
/// did not start warm.
pub const MIN_WARM_RESIDENT_PCT: f64 = 95.0;
/// Fewer measured repetitions than this give wide intervals.
pub const MIN_REPS: u32 = 5;

/// Something that limits how far a run's numbers can be trusted.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Warning {
    /// Repetitions of these scenarios vary by more than [`MAX_CV`]:
    /// `(scenario, cv)`.
    HighVariation {
        /// Scenario ids with their coefficient of variation.
        scenarios: Vec<(String, f64)>,
    },
    /// These scenarios had repetitions flagged as outliers:
    /// `(scenario, outliers, repetitions)`.
    Outliers {
        /// Scenario ids with outlier and repetition counts.
        scenarios: Vec<(String, u32, u32)>,
    },
    /// Cold repetitions that started with inputs cached:
    /// `(scenario, highest resident %, method)`.
    ColdNotCold {
        /// Scenario ids, the highest residency seen, the cold method.
        scenarios: Vec<(String, f64, String)>,
    },
    /// Warm repetitions that started with inputs not cached:
    /// `(scenario, lowest resident %)`.
    WarmNotWarm {
        /// Scenario ids with the lowest residency seen.
        scenarios: Vec<(String, f64)>,
    },
    /// The plan measured fewer than [`MIN_REPS`] repetitions.
    FewRepetitions {
        /// Measured repetitions per scenario.
        reps: u32,
    },
    /// Scenarios whose repetitions fall into two modes
    /// ([`crate::stats::modes`]): `(scenario, "n × median" of each)`.
    Bimodal {
        /// Scenario ids with both modes described.
        scenarios: Vec<(String, String)>,
    },
    /// Repetitions slower than [`explain::SLOW_FACTOR`] × their median,
    /// each with its cause: `(scenario, sentence)`.
    SlowRepetitions {
        /// Scenario ids with the cause sentence.
        repetitions: Vec<(String, String)>,
    },
    /// Cold repetitions that read from the block layer faster than the
    /// device's own direct-I/O speed: `(scenario, row detail warning)`.
    LowerCache {
        /// The device's direct-I/O read speed, MB/s.
        device_mb_per_s: f64,
        /// Scenario ids with the repetition's rate.
        repetitions: Vec<(String, String)>,
    },
    /// One-core scenarios (`threads(1)`, `processes(1)`, `nested(1×1)`)
    /// whose time disagrees with their sequential baseline's beyond their
    /// calibrated dispatch ([`crate::results::footing`]): `(scenario,
    /// sentence)`.
    OneCoreDisagrees {
        /// Scenario ids with the finding and its measured cause.
        pairs: Vec<(String, String)>,
    },
    /// Speedups above the core count over a CPU-bound baseline, each with
    /// its measured cause ([`crate::results::footing`]): `(scenario,
    /// sentence)`.
    Superlinear {
        /// Scenario ids with the finding and its measured cause.
        scenarios: Vec<(String, String)>,
    },
    /// Repetitions started before storage went quiet.
    NotSettled {
        /// How many.
        repetitions: usize,
    },
    /// The run did not complete: stopped by a signal, or killed outright.
    Interrupted,
}

impl Warning {
    /// A short title.
    pub fn title(&self) -> &'static str {
        match self {
            Warning::HighVariation { .. } => "High variation between repetitions",
            Warning::Outliers { .. } => "Outlying repetitions",
            Warning::ColdNotCold { .. } => "Cold cache was not cold",
            Warning::WarmNotWarm { .. } => "Warm cache was not warm",
            Warning::FewRepetitions { .. } => "Few repetitions",
            Warning::Bimodal { .. } => "Two modes",
            Warning::SlowRepetitions { .. } => "Slow repetitions explained",
            Warning::LowerCache { .. } => "Cold reads served by a lower cache",
            Warning::OneCoreDisagrees { .. } => "One core, three ways: a pair disagrees",
            Warning::Superlinear { .. } => "Speedup beyond the cores",
            Warning::NotSettled { .. } => "Storage was busy",
            Warning::Interrupted => "Interrupted run",
        }
    }

    /// The affected scenarios, one line each (empty for run-wide warnings).
    pub fn items(&self) -> Vec<String> {
        match self {
            Warning::HighVariation { scenarios } => scenarios
                .iter()
                .map(|(id, cv)| format!("{id}: CV {:.0} %", cv * 100.0))
                .collect(),
            Warning::Outliers { scenarios } => scenarios
                .iter()
                .map(|(id, k, n)| format!("{id}: {k} of {n} repetitions"))
                .collect(),
            Warning::ColdNotCold { scenarios } => scenarios
                .iter()
                .map(|(id, pct, method)| format!("{id}: up to {pct:.1} % resident ({method})"))
                .collect(),
            Warning::WarmNotWarm { scenarios } => scenarios
                .iter()
                .map(|(id, pct)| format!("{id}: as little as {pct:.1} % resident"))
                .collect(),
            Warning::Bimodal { scenarios: pairs }
            | Warning::SlowRepetitions { repetitions: pairs }
            | Warning::OneCoreDisagrees { pairs }
            | Warning::Superlinear { scenarios: pairs }
            | Warning::LowerCache {
                repetitions: pairs, ..
            } => pairs
                .iter()
                .map(|(id, what)| format!("{id}: {what}"))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Warning {
    /// What happened and what it does to the figures: the first sentence
    /// of the warning.
    fn cause(&self) -> String {
        match self {
            Warning::HighVariation { scenarios } => format!(
                "{} scenario(s) have a coefficient of variation above {:.0} %: something else \
                 (other programs, CPU frequency, writeback) disturbed the measurements, so their \
                 intervals are wide.",
                scenarios.len(),
                MAX_CV * 100.0
            ),
            Warning::Outliers { scenarios } => format!(
                "{} scenario(s) had repetitions far from their median (modified z-score above \
                 3.5): a background task probably interfered.",
                scenarios.len()
            ),
            Warning::ColdNotCold { scenarios } => format!(
                "{} cold scenario(s) started with more than {MAX_COLD_RESIDENT_PCT:.0} % of their \
                 inputs in the page cache, so they measured memory, not storage.",
                scenarios.len()
            ),
            Warning::WarmNotWarm { scenarios } => format!(
                "{} warm scenario(s) started with less than {MIN_WARM_RESIDENT_PCT:.0} % of their \
                 inputs cached: memory is too small for the corpus or something evicted it.",
                scenarios.len()
            ),
            Warning::FewRepetitions { reps } => format!(
                "Only {reps} measured repetition(s) per scenario: intervals are wide and few \
                 differences can be called."
            ),
            Warning::Bimodal { scenarios } => format!(
                "{} scenario(s) have repetitions in two clusters (sorted times with a gap wider \
                 than {:.0}×, at least {} on each side): one median with its interval would span \
                 both, so each mode is shown with its count and median.",
                scenarios.len(),
                crate::stats::modes::GAP_RATIO,
                crate::stats::modes::MIN_PER_MODE
            ),
            Warning::SlowRepetitions { repetitions } => format!(
                "{} repetition(s) took more than {:.1}× their scenario's median.",
                repetitions.len(),
                explain::SLOW_FACTOR
            ),
            Warning::LowerCache {
                device_mb_per_s,
                repetitions,
            } => format!(
                "{} cold repetition(s) read from the block layer faster than the device's own \
                 direct-I/O speed ({device_mb_per_s:.0} MB/s, measured at the start of the run): \
                 a cache below the page cache (the host of a virtual disk, a RAID controller) \
                 served them, so they are not cold storage reads.",
                repetitions.len()
            ),
            Warning::OneCoreDisagrees { pairs } => format!(
                "{} one-core scenario(s) (a pool of one thread, one worker process) took a \
                 different time than their sequential baseline for the same work, beyond their \
                 calibrated start-up and dispatch and ±{:.0} %: something other than the \
                 strategy differs between them (the memory a repetition starts from, the thread \
                 it runs on).",
                pairs.len(),
                crate::results::footing::IDENTITY_TOLERANCE * 100.0
            ),
            Warning::Superlinear { scenarios } => format!(
                "{} scenario(s) are faster than their sequential baseline by more than the \
                 machine's cores, on work the baseline spends on the CPU: more cores cannot do \
                 that, less work can.",
                scenarios.len()
            ),
            Warning::NotSettled { repetitions } => format!(
                "{repetitions} repetition(s) started before storage went quiet within the settle \
                 timeout: earlier writes were still being flushed."
            ),
            Warning::Interrupted => "the run was interrupted (run.json: interrupted, or no end \
                 time), so some scenarios may have fewer repetitions than planned and the summary \
                 is computed from the rows of runs.csv."
                .into(),
        }
    }

    /// What to do about it, or where to look: the rest of the warning.
    fn remedy(&self) -> String {
        match self {
            Warning::HighVariation { .. } => "Close other programs, add repetitions (--reps) or \
                 a settle time (--settle), and run again."
                .into(),
            Warning::Outliers { .. } => {
                "The medians resist them; rerun if the scenario matters.".into()
            }
            Warning::ColdNotCold { .. } => "Run as root so iolab can use drop_caches \
                 (--cold-method drop-caches), or use a corpus larger than memory."
                .into(),
            Warning::WarmNotWarm { .. } => "Use a smaller corpus or free memory.".into(),
            Warning::FewRepetitions { .. } => {
                format!("Use --reps {MIN_REPS} or more for conclusions.")
            }
            Warning::Bimodal { .. } => "Look at the slow repetitions' causes below; the state \
                 earlier repetitions leave behind is the usual suspect."
                .into(),
            Warning::SlowRepetitions { .. } => "Each line says where the time went, from the \
                 kernel counters recorded around its timed region (machine-wide)."
                .into(),
            Warning::LowerCache { .. } => "Use a corpus larger than that cache, or read them as \
                 warm-below-the-page-cache."
                .into(),
            Warning::OneCoreDisagrees { .. } => {
                "Each line gives both sides' CPU and page faults.".into()
            }
            Warning::Superlinear { .. } => "Each line gives the measured difference (CPU per \
                 repetition, page faults); read their speedups as that difference, not as \
                 concurrency."
                .into(),
            Warning::NotSettled { .. } => "Raise --settle-timeout or reduce other I/O.".into(),
            Warning::Interrupted => "Resume it with `iolab run --resume RUN_DIR` (or \
                 `bench-all --resume`), or rerun it."
                .into(),
        }
    }
}

impl fmt::Display for Warning {
    /// Cause and remedy, in one or two sentences.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.cause(), self.remedy())
    }
}

/// Every warning that applies to `run`, run-wide ones last.
pub fn find(run: &LoadedRun) -> Vec<Warning> {
    let mut out = Vec::new();
    let cv: Vec<(String, f64)> = run
        .summary
        .iter()
        .filter(|s| s.n >= 2 && s.wall_cv > MAX_CV)
        .map(|s| (s.scenario_id.clone(), s.wall_cv))
        .collect();
    if !cv.is_empty() {
        out.push(Warning::HighVariation { scenarios: cv });
    }
    let outliers: Vec<(String, u32, u32)> = run
        .summary
        .iter()
        .filter(|s| s.outliers > 0)
        .map(|s| (s.scenario_id.clone(), s.outliers, s.n))
        .collect();
    if !outliers.is_empty() {
        out.push(Warning::Outliers {
            scenarios: outliers,
        });
    }
    out.extend(cache_warnings(run));
    out.extend(noise_warnings(run));
    out.extend(footing_warnings(run));
    if run.meta.plan.reps < MIN_REPS {
        out.push(Warning::FewRepetitions {
            reps: run.meta.plan.reps,
        });
    }
    let busy = run
        .rows
        .iter()
        .filter(|r| !r.warmup && !r.settle_idle && r.settle_s > 0.0)
        .count();
    if busy > 0 {
        out.push(Warning::NotSettled { repetitions: busy });
    }
    if !run.meta.completed() {
        out.push(Warning::Interrupted);
    }
    out
}

/// Two modes, slow repetitions with their causes, cold reads faster than
/// the device.
fn noise_warnings(run: &LoadedRun) -> Vec<Warning> {
    let mut out = Vec::new();
    let modes: Vec<(String, String)> = run
        .summary
        .iter()
        .filter_map(|s| {
            let text = format!(
                "{} × {} and {} × {}",
                s.fast_mode_n?,
                seconds(s.fast_mode_median_s?),
                s.slow_mode_n?,
                seconds(s.slow_mode_median_s?)
            );
            Some((s.scenario_id.clone(), text))
        })
        .collect();
    if !modes.is_empty() {
        out.push(Warning::Bimodal { scenarios: modes });
    }
    let slow: Vec<(String, String)> = explain::slow_repetitions(&run.rows)
        .into_iter()
        .map(|r| (r.scenario_id.clone(), explain::cause(r)))
        .collect();
    if !slow.is_empty() {
        out.push(Warning::SlowRepetitions { repetitions: slow });
    }
    if let Some(device) = run.meta.machine.io.direct_read.mb_per_s {
        let fast: Vec<(String, String)> = run
            .rows
            .iter()
            .filter(|r| !r.warmup && r.cache == CacheState::Cold && r.status == Status::Ok)
            .filter(|r| lower_cache_warning(r.storage_read_bytes, r.wall_s, device).is_some())
            .map(|r| {
                let rate = r.storage_read_bytes as f64 / 1e6 / r.wall_s;
                let what = format!("repetition {}: {rate:.0} MB/s from the block layer", r.rep);
                (r.scenario_id.clone(), what)
            })
            .collect();
        if !fast.is_empty() {
            out.push(Warning::LowerCache {
                device_mb_per_s: device,
                repetitions: fast,
            });
        }
    }
    out
}

/// The equal-footing findings ([`crate::results::footing`]) as warnings.
fn footing_warnings(run: &LoadedRun) -> Vec<Warning> {
    let found = footing::check(
        &run.summary,
        run.meta.machine.logical_cpus,
        &run.meta.dispatch,
    );
    let of = |one_core: bool| -> Vec<(String, String)> {
        found
            .iter()
            .filter(|f| matches!(f, Footing::OneCoreDisagrees { .. }) == one_core)
            .map(|f| (f.scenario_id().to_string(), f.to_string()))
            .collect()
    };
    let (pairs, scenarios) = (of(true), of(false));
    let mut out = Vec::new();
    if !pairs.is_empty() {
        out.push(Warning::OneCoreDisagrees { pairs });
    }
    if !scenarios.is_empty() {
        out.push(Warning::Superlinear { scenarios });
    }
    out
}

fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// Cache residency checks over measured repetitions.
fn cache_warnings(run: &LoadedRun) -> Vec<Warning> {
    let mut cold: BTreeMap<&str, (f64, Option<CacheMethod>)> = BTreeMap::new();
    let mut warm: BTreeMap<&str, f64> = BTreeMap::new();
    for r in run
        .rows
        .iter()
        .filter(|r| !r.warmup && r.status == Status::Ok)
    {
        let Some(pct) = r.cache_resident_pct else {
            continue;
        };
        if r.cache == CacheState::Cold && pct > MAX_COLD_RESIDENT_PCT {
            let e = cold.entry(&r.scenario_id).or_insert((pct, r.cache_method));
            e.0 = e.0.max(pct);
        } else if r.cache == CacheState::Warm && pct < MIN_WARM_RESIDENT_PCT {
            let e = warm.entry(&r.scenario_id).or_insert(pct);
            *e = e.min(pct);
        }
    }
    let mut out = Vec::new();
    if !cold.is_empty() {
        out.push(Warning::ColdNotCold {
            scenarios: cold
                .into_iter()
                .map(|(id, (pct, m))| {
                    (
                        id.to_string(),
                        pct,
                        m.map(|m| m.to_string()).unwrap_or_default(),
                    )
                })
                .collect(),
        });
    }
    if !warm.is_empty() {
        out.push(Warning::WarmNotWarm {
            scenarios: warm
                .into_iter()
                .map(|(id, pct)| (id.to_string(), pct))
                .collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_warning_says_what_to_do() {
        let all = [
            Warning::HighVariation {
                scenarios: vec![("a".into(), 0.25)],
            },
            Warning::Outliers {
                scenarios: vec![("a".into(), 1, 5)],
            },
            Warning::ColdNotCold {
                scenarios: vec![("a".into(), 40.0, "fadvise".into())],
            },
            Warning::WarmNotWarm {
                scenarios: vec![("a".into(), 50.0)],
            },
            Warning::FewRepetitions { reps: 3 },
            Warning::NotSettled { repetitions: 2 },
            Warning::Interrupted,
            Warning::Bimodal {
                scenarios: vec![("a".into(), "3 × 0.70 s and 3 × 7.10 s".into())],
            },
            Warning::SlowRepetitions {
                repetitions: vec![("a".into(), "repetition 3: …".into())],
            },
            Warning::LowerCache {
                device_mb_per_s: 390.0,
                repetitions: vec![("a".into(), "repetition 1: 1500 MB/s".into())],
            },
        ];
        for w in &all {
            let text = w.to_string();
            assert!(text.len() > 60, "{text}");
            assert!(!w.title().is_empty());
        }
        assert_eq!(all[0].items(), vec!["a: CV 25 %"]);
        assert_eq!(all[2].items(), vec!["a: up to 40.0 % resident (fadvise)"]);
        assert_eq!(all[7].items(), vec!["a: 3 × 0.70 s and 3 × 7.10 s"]);
    }
}
