//! The `metadata` workload on the real binary: every variant under every
//! strategy that dispatches tasks, verified by listing the scratch folder,
//! which is gone after the run; the command strategy checked by the same
//! listing; a bad knob refused before anything is made.

mod util;

use util::{scratch_left, stderr, text, Lab};

#[test]
fn every_variant_runs_and_verifies_under_every_task_strategy() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "metadata",
        "--variant",
        "create,stat,open-close,unlink,all",
        "--strategy",
        "sequential,threads,processes,tokio,io_uring",
        "--workers",
        "3",
        "--files-per-task",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = lab.only_run();
    let mut seen = std::collections::BTreeSet::new();
    for row in &run.rows {
        if row.strategy == iolab::strategy::StrategyKind::IoUring
            && row.status == iolab::results::Status::Unavailable
        {
            eprintln!("skipped io_uring: {}", row.detail);
            continue;
        }
        assert_eq!(
            row.status,
            iolab::results::Status::Ok,
            "{} {}: {}",
            row.variant,
            row.strategy,
            row.detail
        );
        assert!(row.verified, "{}: {}", row.scenario_id, row.detail);
        // 40 tasks (one per corpus file) × 3 files.
        let present = if row.variant.starts_with("create")
            || row.variant.starts_with("stat")
            || row.variant.starts_with("open-close")
        {
            120
        } else {
            0
        };
        assert!(
            row.detail
                .contains(&format!("{present} of 120 files present")),
            "{}: {}",
            row.scenario_id,
            row.detail
        );
        assert_eq!(row.tasks, 40, "{}", row.scenario_id);
        seen.insert((row.variant.clone(), row.strategy.to_string()));
    }
    assert!(seen.len() >= 20, "{seen:?}");
    assert_eq!(scratch_left(&lab.data()), Vec::<String>::new());
}

#[test]
fn a_command_is_verified_by_the_same_listing() {
    let lab = Lab::new();
    // Creates md-<task>-0 and md-<task>-1 for each of the {files} tasks;
    // the second run leaves one file out, which the listing must name.
    let create =
        "cd {dest} && i=0; while [ $i -lt {files} ]; do : > md-$i-0; : > md-$i-1; i=$((i+1)); done";
    let out = lab.run(&[
        "--workload",
        "metadata",
        "--variant",
        "create",
        "--files-per-task",
        "2",
        "--strategy",
        "command",
        "--command",
        create,
        "--no-baseline",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = lab.only_run();
    assert!(
        run.rows.iter().all(|r| r.verified),
        "{:?}",
        run.rows[0].detail
    );
    let short = format!("{create} && rm md-7-1");
    let out = lab.run(&[
        "--workload",
        "metadata",
        "--variant",
        "create",
        "--files-per-task",
        "2",
        "--strategy",
        "command",
        "--command",
        &short,
        "--no-baseline",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("md-7-1 missing"), "{}", text(&out));
}

#[test]
fn zero_files_per_task_is_refused_before_anything_is_made() {
    let lab = Lab::new();
    let out = lab.run(&["--workload", "metadata", "--files-per-task", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("files_per_task = 0: allowed 1 to 100000") || err.contains("--files-per-task"),
        "{err}"
    );
    assert!(!lab.data().exists() || scratch_left(&lab.data()).is_empty());
    assert_eq!(lab.run_count(), 0);
}
