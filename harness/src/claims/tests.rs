//! The verdict rules on constructed runs.

use std::path::PathBuf;

use super::*;
use crate::corpus::Scale;
use crate::experiment::{Order, Plan};
use crate::measure::cache::{CacheState, ColdMethod};
use crate::measure::quiet::Settle;
use crate::results::{summarize_rows, Machine, Row, RunMeta, Status};
use crate::stats::Interval;
use crate::workload::Durability;
use crate::workload::WorkloadId;

fn loaded(rows: Vec<Row>) -> LoadedRun {
    let summary = summarize_rows(&rows, 7);
    LoadedRun {
        dir: PathBuf::new(),
        meta: RunMeta {
            run_id: "test".into(),
            iolab_version: "0".into(),
            git_commit: "x".into(),
            command_line: Vec::new(),
            machine: Machine::default(),
            corpus_dir: PathBuf::new(),
            corpus_provenance: String::new(),
            plan: Plan {
                scenarios: Vec::new(),
                corpus: Scale::Quick.spec(),
                input: None,
                reps: 5,
                auto: None,
                warmup: 0,
                order: Order::Sequential,
                settle: Settle::default(),
                cold_method: ColdMethod::Auto,
                bootstrap_seed: 7,
            },
            experiment_files: Vec::new(),
            started_at: String::new(),
            ended_at: None,
            interrupted: false,
            resumed_at: Vec::new(),
            corpus_digest: None,
            plan_digest: None,
            clients: None,
            dispatch: Vec::new(),
            inputs: None,
            storages: Vec::new(),
            user_crate: None,
        },
        rows,
        rank_rows: Vec::new(),
        summary,
    }
}

/// Repetitions of `workload/variant/<strategy>/warm`, one per wall time.
fn reps(workload: &str, variant: &str, strategy: &str, workers: u32, walls: &[f64]) -> Vec<Row> {
    let slug = if strategy == "sequential" {
        "sequential".to_string()
    } else {
        format!("{strategy}-{workers}")
    };
    walls
        .iter()
        .enumerate()
        .map(|(i, w)| Row {
            scenario_id: format!("{workload}/{variant}/{slug}/warm"),
            baseline_id: format!("{workload}/{variant}/sequential/warm"),
            workload: WorkloadId::named(workload),
            variant: variant.into(),
            strategy: strategy.parse().unwrap(),
            strategy_label: slug.clone(),
            workers,
            processes: if strategy == "processes" { workers } else { 1 },
            threads: 1,
            batch: (strategy == "processes").then_some(1),
            cache: CacheState::Warm,
            rep: i as u32,
            status: Status::Ok,
            verified: true,
            wall_s: *w,
            user_s: *w / 2.0,
            ..Row::default()
        })
        .collect()
}

fn save_claim(run: &LoadedRun) -> Judgement {
    judge(run)
        .into_iter()
        .find(|j| j.id == "save-process-pool")
        .unwrap()
}

fn save_run(candidate: &[f64]) -> LoadedRun {
    let mut rows = reps(
        "write",
        "one-write",
        "sequential",
        1,
        &[3.0, 3.02, 2.98, 3.01, 2.99],
    );
    rows.extend(reps("write", "one-write", "processes", 8, candidate));
    loaded(rows)
}

#[test]
fn ratio_rule_on_intervals() {
    let ci = |low, high| Interval {
        low,
        high,
        level: 0.95,
    };
    assert_eq!(ratio_verdict(&ci(2.6, 3.4), 2.5), Verdict::Holds);
    assert_eq!(ratio_verdict(&ci(2.5, 2.7), 2.5), Verdict::Holds);
    assert_eq!(ratio_verdict(&ci(1.1, 2.4), 2.5), Verdict::DoesNotHold);
    assert_eq!(ratio_verdict(&ci(2.0, 3.0), 2.5), Verdict::Inconclusive);
    assert_eq!(
        ratio_verdict(&ci(f64::NAN, 3.0), 2.5),
        Verdict::Inconclusive
    );
}

#[test]
fn a_threefold_speedup_holds() {
    let j = save_claim(&save_run(&[1.0, 1.01, 0.99, 1.0, 1.02]));
    assert_eq!(j.verdict, Verdict::Holds, "{j:?}");
    assert!(j.measured.starts_with("3.0"), "{}", j.measured);
}

#[test]
fn a_one_and_a_half_fold_speedup_does_not_hold() {
    let j = save_claim(&save_run(&[2.0, 2.01, 1.99, 2.0, 2.02]));
    assert_eq!(j.verdict, Verdict::DoesNotHold, "{j:?}");
}

#[test]
fn a_noisy_speedup_around_the_bound_is_inconclusive() {
    let j = save_claim(&save_run(&[1.0, 1.2, 1.4, 1.6, 1.1]));
    assert_eq!(j.verdict, Verdict::Inconclusive, "{j:?}");
}

#[test]
fn too_few_repetitions_are_inconclusive() {
    let j = save_claim(&save_run(&[1.0, 1.0]));
    assert_eq!(j.verdict, Verdict::Inconclusive, "{j:?}");
    assert!(j.detail.contains("only 2"), "{}", j.detail);
}

#[test]
fn a_run_without_the_scenarios_is_not_tested() {
    let run = loaded(reps("read", "whole", "sequential", 1, &[1.0, 1.0, 1.0]));
    let all = judge(&run);
    assert_eq!(all.len(), CLAIMS.len());
    let j = all.iter().find(|j| j.id == "save-process-pool").unwrap();
    assert_eq!(j.verdict, Verdict::NotTested);
    assert!(j.detail.contains("write"), "{}", j.detail);
}

#[test]
fn display_names_every_verdict() {
    let names: Vec<String> = [
        Verdict::Holds,
        Verdict::DoesNotHold,
        Verdict::Inconclusive,
        Verdict::NotTested,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        names,
        ["holds", "does not hold", "inconclusive", "not tested"]
    );
}

fn append_run(unlocked_lost: &[u64], locked_lost: &[u64]) -> Judgement {
    let mut rows = Vec::new();
    for (variant, lost) in [("unlocked-seek", unlocked_lost), ("mutex", locked_lost)] {
        let walls = vec![0.1; lost.len()];
        let mut r = reps("append", variant, "threads", 4, &walls);
        for (row, n) in r.iter_mut().zip(lost) {
            row.append_missing = Some(*n);
            row.append_corrupted = Some(0);
            row.verified = *n == 0;
        }
        rows.extend(r);
    }
    judge(&loaded(rows))
        .into_iter()
        .find(|j| j.id == "append-needs-lock")
        .unwrap()
}

#[test]
fn append_rules_count_lost_lines() {
    assert_eq!(append_run(&[0, 12, 3], &[0, 0, 0]).verdict, Verdict::Holds);
    assert_eq!(
        append_run(&[0, 0, 0], &[0, 0, 0]).verdict,
        Verdict::DoesNotHold
    );
    assert_eq!(
        append_run(&[5, 5, 5], &[0, 1, 0]).verdict,
        Verdict::DoesNotHold
    );
    assert_eq!(append_run(&[0], &[0]).verdict, Verdict::Inconclusive);
    assert_eq!(append_run(&[], &[0, 0, 0]).verdict, Verdict::NotTested);
}

fn atomic_run(in_place: &[u64], rename: &[u64]) -> Verdict {
    let mut rows = Vec::new();
    for (variant, torn) in [
        ("in-place+kill-50pct", in_place),
        ("rename-fsync+kill-50pct", rename),
    ] {
        let walls = vec![0.1; torn.len()];
        let mut r = reps("atomic-save", variant, "processes", 2, &walls);
        for (row, n) in r.iter_mut().zip(torn) {
            row.torn = Some(*n);
        }
        rows.extend(r);
    }
    judge(&loaded(rows))
        .into_iter()
        .find(|j| j.id == "atomic-save-safe")
        .unwrap()
        .verdict
}

#[test]
fn atomic_rules_count_torn_targets() {
    assert_eq!(atomic_run(&[1, 0, 2], &[0, 0, 0]), Verdict::Holds);
    assert_eq!(atomic_run(&[1, 0, 2], &[0, 1, 0]), Verdict::DoesNotHold);
    assert_eq!(atomic_run(&[0, 0, 0], &[0, 0, 0]), Verdict::Inconclusive);
    assert_eq!(atomic_run(&[], &[0, 0, 0]), Verdict::NotTested);
}

#[test]
fn sides_pair_only_on_the_same_file_subset() {
    let fsync = |run: &LoadedRun| {
        judge(run)
            .into_iter()
            .find(|j| j.id == "fsync-cost")
            .unwrap()
    };
    // The durable save on the whole corpus is 10 s, on the first 100 files
    // 1 s; the plain rename on the first 100 files is 0.5 s. Only the
    // 100-file pair may be compared: 2×, not 20×.
    let mut rows = reps(
        "atomic-save",
        "rename-fsync-dir",
        "sequential",
        1,
        &[10.0; 5],
    );
    rows.extend(reps(
        "atomic-save",
        "rename-fsync-dir+first-100",
        "sequential",
        1,
        &[1.0, 1.01, 0.99, 1.0, 1.02],
    ));
    rows.extend(reps(
        "atomic-save",
        "rename+first-100",
        "sequential",
        1,
        &[0.5, 0.51, 0.49, 0.5, 0.5],
    ));
    let j = fsync(&loaded(rows.clone()));
    assert_eq!(j.verdict, Verdict::Holds, "{j:?}");
    assert!(j.measured.starts_with("2.0"), "{}", j.measured);
    // Without a subset pair there is nothing to compare.
    rows.retain(|r| r.variant != "rename-fsync-dir+first-100");
    let j = fsync(&loaded(rows));
    assert_eq!(j.verdict, Verdict::Inconclusive, "{j:?}");
}

/// `reps` at durability `d`, labelled as the workloads label it
/// (`one-write,end-sync`; `none` keeps the plain label).
fn reps_at(
    d: Durability,
    (workload, variant, strategy, workers): (&str, &str, &str, u32),
    walls: &[f64],
) -> Vec<Row> {
    let label = match d {
        Durability::None => variant.to_string(),
        Durability::EndSync | Durability::Each => format!("{variant},{d}"),
    };
    let mut rows = reps(workload, &label, strategy, workers, walls);
    for r in &mut rows {
        r.durability = d.to_string();
    }
    rows
}

const SEQ: (&str, &str, &str, u32) = ("write", "one-write", "sequential", 1);
const POOL: (&str, &str, &str, u32) = ("write", "one-write", "processes", 8);

#[test]
fn saves_are_judged_once_per_durability_never_pooled() {
    // Page cache only: 3 s → 1 s, holds. With one syncfs the flush
    // dominates: 6 s → 5.5 s, does not hold. Pooled, the pairs would mix.
    let mut rows = reps_at(Durability::None, SEQ, &[3.0, 3.02, 2.98, 3.01, 2.99]);
    rows.extend(reps_at(
        Durability::None,
        POOL,
        &[1.0, 1.01, 0.99, 1.0, 1.02],
    ));
    rows.extend(reps_at(
        Durability::EndSync,
        SEQ,
        &[6.0, 6.1, 5.9, 6.0, 6.05],
    ));
    rows.extend(reps_at(
        Durability::EndSync,
        POOL,
        &[5.5, 5.4, 5.6, 5.5, 5.45],
    ));
    let all = judge(&loaded(rows));
    let saves: Vec<&Judgement> = all
        .iter()
        .filter(|j| j.id.starts_with("save-process-pool") && !j.id.contains("python"))
        .collect();
    let got: Vec<String> = saves
        .iter()
        .map(|j| format!("{} {} {}", j.id, j.verdict, &j.measured[..4]))
        .collect();
    assert_eq!(
        got,
        [
            "save-process-pool holds 3.00",
            "save-process-pool · end-sync does not hold 1.09"
        ]
    );
    assert!(saves[0].detail.starts_with("durability none"), "{saves:?}");
    let synced = "one-write,end-sync · sequential 6.000 s (n = 5)";
    assert!(saves[1].detail.contains(synced), "{saves:?}");
    // load-faster-than-save: its save side is judged at each setting too,
    // its load side (nothing written) at both.
    let mut rows = reps_at(Durability::None, SEQ, &[3.0; 3]);
    rows.extend(reps_at(Durability::EndSync, SEQ, &[6.0; 3]));
    rows.extend(reps("read", "whole", "sequential", 1, &[1.0; 3]));
    let ids: Vec<String> = judge(&loaded(rows))
        .into_iter()
        .filter(|j| j.id.starts_with("load-faster-than-save"))
        .map(|j| format!("{} {} {}", j.id, j.verdict, j.measured))
        .collect();
    assert_eq!(
        ids,
        [
            "load-faster-than-save holds 3.00× [3.00 … 3.00]",
            "load-faster-than-save · end-sync holds 6.00× [6.00 … 6.00]"
        ]
    );
}

#[test]
fn a_setting_measured_on_one_side_only_is_not_judged() {
    // The pool ran at end-sync only, the loop at none only: nothing to pair.
    let mut rows = reps_at(Durability::None, SEQ, &[3.0; 3]);
    rows.extend(reps_at(Durability::EndSync, POOL, &[1.0; 3]));
    let j: Vec<Judgement> = judge(&loaded(rows))
        .into_iter()
        .filter(|j| j.id.starts_with("save-process-pool") && !j.id.contains("python"))
        .collect();
    assert_eq!(j.len(), 1, "{j:?}");
    assert_eq!(j[0].verdict, Verdict::NotTested, "{:?}", j[0]);
    assert!(j[0].detail.contains("(durability none)"), "{}", j[0].detail);
}

#[test]
fn python_programs_are_compared_at_durability_none_only() {
    // The same programs run with an end-sync too: the claim reads only the
    // page-cache rows (3 s → 1 s), never the synced ones (flat 6 s).
    let python = |program: &str, d: Durability, walls: &[f64]| {
        let mut rows = reps_at(d, ("write", "command", "command", 8), walls);
        for r in &mut rows {
            r.scenario_id = format!("{}/{program}", r.scenario_id);
            r.program = Some(program.into());
        }
        rows
    };
    let mut rows = python("save_sequential", Durability::None, &[3.0, 3.1, 2.9]);
    rows.extend(python(
        "save_process_pool",
        Durability::None,
        &[1.0, 1.1, 0.9],
    ));
    rows.extend(python("save_sequential", Durability::EndSync, &[6.0; 3]));
    rows.extend(python("save_process_pool", Durability::EndSync, &[6.0; 3]));
    let j: Vec<Judgement> = judge(&loaded(rows))
        .into_iter()
        .filter(|j| j.id.starts_with("save-process-pool.python"))
        .collect();
    assert_eq!(j.len(), 1, "{j:?}");
    assert_eq!(j[0].id, "save-process-pool.python");
    assert_eq!(j[0].verdict, Verdict::Holds, "{:?}", j[0]);
}

#[test]
fn ids_name_the_setting_except_none() {
    assert_eq!(
        id_at("copy-thread-pool", Durability::None),
        "copy-thread-pool"
    );
    assert_eq!(
        id_at("copy-thread-pool", Durability::EndSync),
        "copy-thread-pool · end-sync"
    );
}

#[test]
fn every_side_names_a_registered_workload_and_strategy() {
    let sides = CLAIMS.iter().flat_map(|c| match c.test {
        Test::Ratio {
            baseline,
            candidate,
            ..
        } => vec![baseline, candidate],
        Test::Memory { rows, .. } => vec![rows],
        Test::Append { .. } | Test::Atomic => Vec::new(),
    });
    for s in sides {
        assert!(
            crate::workload::kind(s.workload).is_some(),
            "{}",
            s.workload
        );
        assert!(
            s.strategy.is_empty() || s.strategy.parse::<crate::strategy::StrategyKind>().is_ok(),
            "{}",
            s.strategy
        );
    }
}
