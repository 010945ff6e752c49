//! Building a workload's recommendation and the whole [`Profile`] from a
//! finished sweep (the three steps of [`super`]'s rule). Does not own the
//! profile's types (`super`) or running the sweep (`crate::tune::sweep`).

use super::{drift, indistinguishable, Choice, Profile, Settings, Throughput, WorkloadProfile};
use super::{PROFILE_FORMAT, PROFILE_VERSION};
use crate::results::{row::round, Machine};
use crate::stats::{classify_speedup, Change, Estimate};
use crate::strategy::StrategyKind;
use crate::tune::config::{shape_of, Kind, TuneConfig};
use crate::tune::knee::CurveShape;
use crate::tune::sweep::{Point, Skip, Status, StrategySweep, Sweep, WorkloadSweep};

/// What the profile records about the command besides the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// RFC 3339 time.
    pub created_at: String,
    /// The sweep's run folder.
    pub run_dir: String,
    /// The command line.
    pub command_line: String,
    /// Wall seconds the command took.
    pub elapsed_s: f64,
}

/// Build the profile of a finished sweep.
pub fn build(cfg: &TuneConfig, sweep: &Sweep, machine: Machine, info: RunInfo) -> Profile {
    let mut skipped = sweep.skipped.clone();
    for ws in &sweep.workloads {
        for s in ws.strategies.iter().filter(|s| s.points.is_empty()) {
            let known = skipped
                .iter()
                .any(|k| k.workload == ws.workload.id() && k.strategy == s.kind.strategy_kind());
            if !known {
                skipped.push(Skip {
                    workload: ws.workload.id(),
                    strategy: s.kind.strategy_kind(),
                    setting: String::new(),
                    reason: s.stop_reason().into(),
                });
            }
        }
    }
    Profile {
        format: PROFILE_FORMAT.into(),
        version: PROFILE_VERSION,
        created_at: info.created_at,
        iolab_version: env!("CARGO_PKG_VERSION").into(),
        run_dir: info.run_dir,
        command_line: info.command_line,
        budget_s: cfg.budget.as_secs_f64(),
        elapsed_s: round(info.elapsed_s, 1),
        settings: Settings {
            scale: cfg.scale.clone(),
            files: cfg.corpus.files,
            lines: cfg.corpus.lines,
            values: cfg.corpus.values,
            cache: cfg.cache.as_str().into(),
            storage: cfg.storage,
            reps: sweep.reps,
            reps_requested: cfg.reps,
            reps_note: sweep.reps_note.clone(),
            warmup: cfg.warmup,
            tolerance: cfg.limits.tolerance,
            max_workers: cfg.limits.max_workers,
            cores: cfg.limits.cores,
            seed: cfg.seed,
        },
        machine,
        workloads: sweep
            .workloads
            .iter()
            .map(|ws| workload_profile(cfg.limits.tolerance, ws))
            .collect(),
        skipped,
    }
}

fn choice(kind: Kind, p: &Point, shape: Option<CurveShape>, s: &StrategySweep) -> Choice {
    let (processes, threads) = shape_of(kind, p.setting);
    let t = Throughput::from(p.throughput);
    Choice {
        strategy: kind.strategy_kind(),
        setting: kind.label(p.setting),
        workers: p.setting.total(),
        processes,
        threads,
        mb_per_s: t.mb_per_s,
        mb_per_s_low: t.mb_per_s_low,
        mb_per_s_high: t.mb_per_s_high,
        speedup: p.speedup.map(|e| round(e.point, 3)),
        speedup_low: p.speedup.map(|e| round(e.ci.low, 3)),
        speedup_high: p.speedup.map(|e| round(e.ci.high, 3)),
        shape,
        points: s.points.len() as u32,
        largest: s.largest(),
        stop: s.stop_reason().into(),
    }
}

/// The knees of a workload's strategies: (kind, knee point, shape, choice).
fn knees(tolerance: f64, ws: &WorkloadSweep) -> Vec<(Kind, Point, Choice)> {
    ws.strategies
        .iter()
        .filter_map(|s| {
            let (p, shape) = s.knee(tolerance)?;
            Some((s.kind, p.clone(), choice(s.kind, p, Some(shape), s)))
        })
        .collect()
}

fn workload_profile(tolerance: f64, ws: &WorkloadSweep) -> WorkloadProfile {
    let knees = knees(tolerance, ws);
    let mut out = WorkloadProfile {
        workload: ws.workload.id(),
        variant: ws.workload.variant_label(),
        status: "ok".into(),
        note: String::new(),
        within_noise: Vec::new(),
        recommended: None,
        sequential: ws.baselines.values().last().map(|e| Throughput::from(*e)),
        drift: drift(&ws.baselines.values().copied().collect::<Vec<_>>()),
        strategies: knees.iter().map(|k| k.2.clone()).collect(),
    };
    let Some(best) = knees
        .iter()
        .max_by(|a, b| a.1.throughput.point.total_cmp(&b.1.throughput.point))
    else {
        out.status = "not measured".into();
        out.note = not_measured_note(ws);
        return out;
    };
    let pick = knees
        .iter()
        .filter(|k| indistinguishable(&k.1.throughput, &best.1.throughput, tolerance))
        .min_by_key(|k| (k.1.setting.total(), k.0.simplicity()))
        .unwrap_or(best);
    let baseline = ws.baselines.get(&pick.1.round).copied();
    out.sequential = baseline.map(Throughput::from).or(out.sequential);
    let one_worker = pick.1.setting.total() <= 1;
    let rec = if !one_worker && clearly_faster(&pick.1, baseline, tolerance) {
        out.note = pick.2.shape.map(|s| s.to_string()).unwrap_or_default();
        pick.2.clone()
    } else {
        out.note = if one_worker {
            format!(
                "the knee is at one worker ({}, {} over sequential): concurrency does not help here",
                pick.2.setting,
                pick.2.speedup_text()
            )
        } else {
            format!(
                "no concurrent setting was clearly faster than sequential; the closest, {}, measured {}",
                pick.2.setting,
                pick.2.speedup_text()
            )
        };
        sequential_choice(baseline.unwrap_or(pick.1.throughput), pick.2.shape)
    };
    if best.2.setting != pick.2.setting {
        out.note.push_str(&format!(
            "; the highest median, {} at {:.1} MB/s, is within noise of {}",
            best.2.setting, best.2.mb_per_s, pick.2.setting
        ));
    }
    out.within_noise = knees
        .iter()
        .filter(|k| k.2.setting != rec.setting)
        .filter(|k| indistinguishable(&k.1.throughput, &rec.estimate(), tolerance))
        .map(|k| k.2.setting.clone())
        .collect();
    out.recommended = Some(rec);
    out
}

/// Whether `p` is clearly faster than sequential: its speedup interval lies
/// wholly above 1 + tolerance; without a speedup, its throughput is
/// distinguishable from and above the baseline's.
fn clearly_faster(p: &Point, baseline: Option<Estimate>, tolerance: f64) -> bool {
    match (p.speedup, baseline) {
        (Some(s), _) => classify_speedup(&s.ci, tolerance) == Change::Faster,
        (None, Some(b)) => {
            p.throughput.point > b.point && !indistinguishable(&p.throughput, &b, tolerance)
        }
        (None, None) => false,
    }
}

fn sequential_choice(t: Estimate, shape: Option<CurveShape>) -> Choice {
    let t = Throughput::from(t);
    Choice {
        strategy: StrategyKind::Sequential,
        setting: StrategyKind::Sequential.to_string(),
        workers: 1,
        processes: 1,
        threads: 1,
        mb_per_s: t.mb_per_s,
        mb_per_s_low: t.mb_per_s_low,
        mb_per_s_high: t.mb_per_s_high,
        speedup: None,
        speedup_low: None,
        speedup_high: None,
        shape,
        points: 0,
        largest: 1,
        stop: String::new(),
    }
}

fn not_measured_note(ws: &WorkloadSweep) -> String {
    let reasons: Vec<String> = ws
        .strategies
        .iter()
        .filter(|s| matches!(s.status, Status::Ended(_)))
        .map(|s| format!("{}: {}", s.kind, s.stop_reason()))
        .collect();
    if reasons.is_empty() {
        "no strategy could be swept (see skipped)".into()
    } else {
        format!("nothing measured — {}", reasons.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;
    use crate::tune::plan::Setting;
    use crate::workload::{ReadSpec, Workload};
    use std::collections::BTreeMap;

    fn est(point: f64, half: f64) -> Estimate {
        Estimate {
            point,
            ci: Interval {
                low: point - half,
                high: point + half,
                level: 0.95,
            },
        }
    }

    /// A finished sweep from `(workers, MB/s, half-width)`, speedups over a
    /// 100 MB/s baseline.
    fn swept(kind: Kind, points: &[(u32, f64, f64)]) -> StrategySweep {
        let mut s = StrategySweep::new(kind);
        s.status = Status::Ended("done".into());
        for &(n, mb, half) in points {
            let setting = Setting::Workers(n);
            s.state.record(setting, est(mb, half));
            s.points.push(Point {
                setting,
                throughput: est(mb, half),
                speedup: Some(est(mb / 100.0, half / 100.0 + 0.02)),
                wall_s: 1.0,
                reps: 5,
                round: 2,
                scenario_id: format!("{kind}-{n}"),
            });
        }
        s
    }

    fn workload(strategies: Vec<StrategySweep>) -> WorkloadSweep {
        WorkloadSweep {
            workload: Workload::Read(ReadSpec::defaults(0).unwrap()),
            strategies,
            baselines: BTreeMap::from([(1, est(99.0, 4.0)), (2, est(100.0, 4.0))]),
            cost: Default::default(),
            base_wall: Some(1.0),
            probed: true,
        }
    }

    #[test]
    fn the_fewest_workers_within_noise_of_the_fastest_knee_is_recommended() {
        let ws = workload(vec![
            swept(
                Kind::IoUring,
                &[
                    (1, 100.0, 4.0),
                    (2, 150.0, 4.0),
                    (4, 195.0, 4.0),
                    (8, 198.0, 4.0),
                ],
            ),
            swept(
                Kind::Threads,
                &[(1, 100.0, 4.0), (2, 190.0, 4.0), (4, 200.0, 4.0)],
            ),
        ]);
        let w = workload_profile(0.05, &ws);
        let rec = w.recommended.unwrap();
        assert_eq!(rec.setting, "threads(2)");
        assert_eq!((rec.workers, rec.threads, rec.processes), (2, 2, 1));
        assert_eq!(rec.shape, Some(CurveShape::Plateau));
        assert_eq!(w.within_noise, vec!["io_uring(4)"]);
        assert!(
            w.note.contains("the highest median, io_uring(4)"),
            "{}",
            w.note
        );
        assert_eq!(w.sequential.unwrap().mb_per_s, 100.0);
        assert_eq!(w.strategies.len(), 2);
    }

    #[test]
    fn sequential_is_recommended_when_nothing_is_clearly_faster() {
        // threads(2) is distinguishable from threads(1), but its speedup,
        // 1.09× [1.05 … 1.13], does not clear 1 + 5 %.
        let ws = workload(vec![swept(
            Kind::Threads,
            &[(1, 100.0, 2.0), (2, 109.0, 2.0), (4, 108.0, 2.0)],
        )]);
        let w = workload_profile(0.05, &ws);
        let rec = w.recommended.unwrap();
        assert_eq!((rec.strategy, rec.workers), (StrategyKind::Sequential, 1));
        assert_eq!(rec.mb_per_s, 100.0);
        assert_eq!(rec.shape, Some(CurveShape::Plateau));
        assert!(
            w.note.starts_with(
                "no concurrent setting was clearly faster than sequential; the closest, threads(2), measured 1.09×"
            ),
            "{}",
            w.note
        );
        assert!(w.within_noise.is_empty(), "{:?}", w.within_noise);
        // A flat curve: the knee is at one worker.
        let ws = workload(vec![swept(
            Kind::Threads,
            &[(1, 100.0, 4.0), (2, 104.0, 4.0), (4, 98.0, 4.0)],
        )]);
        let w = workload_profile(0.05, &ws);
        assert_eq!(w.recommended.unwrap().shape, Some(CurveShape::Flat));
        assert_eq!(w.within_noise, vec!["threads(1)"]);
    }

    #[test]
    fn a_workload_without_points_is_not_measured_and_says_why() {
        let mut s = swept(Kind::Threads, &[]);
        s.status = Status::Ended("not swept: budget".into());
        let w = workload_profile(0.05, &workload(vec![s]));
        assert_eq!(w.status, "not measured");
        assert!(w.recommended.is_none());
        assert!(w.note.contains("threads: not swept: budget"), "{}", w.note);
    }

    #[test]
    fn a_knee_at_one_worker_means_sequential_whatever_its_speedup() {
        // threads(1) "measured" 1.3× (a slow baseline that round): still
        // one worker, so sequential is recommended.
        let ws = workload(vec![swept(
            Kind::Threads,
            &[(1, 130.0, 4.0), (2, 128.0, 4.0), (4, 90.0, 4.0)],
        )]);
        let w = workload_profile(0.05, &ws);
        assert_eq!(w.recommended.unwrap().strategy, StrategyKind::Sequential);
        assert!(
            w.note
                .starts_with("the knee is at one worker (threads(1), 1.30×"),
            "{}",
            w.note
        );
    }

    #[test]
    fn drift_is_reported_only_when_baselines_are_apart() {
        assert_eq!(drift(&[est(100.0, 10.0), est(115.0, 10.0)]), None);
        assert_eq!(drift(&[est(100.0, 10.0)]), None);
        let d = drift(&[est(250.0, 50.0), est(66.0, 5.0), est(90.0, 30.0)]).unwrap();
        assert_eq!((d.min_mb_per_s, d.max_mb_per_s, d.rounds), (66.0, 250.0, 3));
    }
}
