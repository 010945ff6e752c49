//! Every workload under every strategy on a small corpus, each run verified;
//! the append races really lose data while the locked variants never do.

mod util;

use iolab::results::SummaryStatus;
use util::{text, Lab};

const ALL_STRATEGIES: &str = "sequential,threads,processes,nested,tokio,io_uring";
const SYNC_STRATEGIES: &str = "sequential,threads,processes,nested";

/// Run `workload` with `variants` under `strategies` and check every
/// scenario ran and verified (io_uring may be unavailable: then it must say so).
/// Returns the lab holding the run.
fn assert_all_verified(workload: &str, variants: &str, strategies: &str, extra: &[&str]) -> Lab {
    let lab = Lab::new();
    let mut args = vec![
        "--workload",
        workload,
        "--variant",
        variants,
        "--strategy",
        strategies,
        "--workers",
        "3",
    ];
    // Each knob only for the workloads and strategies that take it: a knob
    // none of the grid's workloads or strategies takes is refused.
    args.extend_from_slice(&["--no-baseline", "--large-file", "300KiB"]);
    if strategies.split(',').any(|s| s == "nested") {
        args.extend_from_slice(&["--threads", "2"]);
    }
    match workload {
        "stream" | "scan" => args.extend_from_slice(&["--segments", "5"]),
        "random" => args.extend_from_slice(&["--reads", "200"]),
        "append" if extra.is_empty() => args.extend_from_slice(&["--append-lines", "500"]),
        _ => {}
    }
    args.extend_from_slice(extra);
    let out = lab.run(&args);
    assert!(
        out.status.success(),
        "{workload} {variants}: {}",
        text(&out)
    );
    let run = lab.only_run();
    let wanted_strategies = strategies.split(',').count();
    let wanted = wanted_strategies * variants.split(',').count();
    assert_eq!(
        run.summary.len(),
        wanted,
        "{workload}: {:?}",
        run.summary
            .iter()
            .map(|s| &s.scenario_id)
            .collect::<Vec<_>>()
    );
    for s in &run.summary {
        if s.strategy == iolab::strategy::StrategyKind::IoUring
            && s.status == SummaryStatus::Unavailable
        {
            assert!(
                s.detail.contains("io_uring"),
                "{}: {}",
                s.scenario_id,
                s.detail
            );
            eprintln!("skipped: {}: {}", s.scenario_id, s.detail);
            continue;
        }
        assert_eq!(
            s.status,
            SummaryStatus::Ok,
            "{}: {}",
            s.scenario_id,
            s.detail
        );
        assert_eq!(s.n_verified, s.n, "{}: {}", s.scenario_id, s.detail);
    }
    lab
}

#[test]
fn write_under_every_strategy() {
    assert_all_verified(
        "write",
        "one-write,chunked",
        ALL_STRATEGIES,
        &["--durability", "each"],
    );
}

#[test]
fn read_under_every_strategy() {
    assert_all_verified(
        "read",
        "whole,buffered,discard",
        ALL_STRATEGIES,
        &["--buffer", "100"],
    );
}

#[test]
fn noop_under_every_strategy_is_calibrated_and_noted_in_the_report() {
    let lab = assert_all_verified("noop", "noop", ALL_STRATEGIES, &[]);
    let run = lab.only_run();
    // Every strategy of the run was calibrated, each with a figure or a reason.
    assert_eq!(run.meta.dispatch.len(), 6, "{:?}", run.meta.dispatch);
    for d in &run.meta.dispatch {
        assert!(
            d.ns_per_task.is_some() || !d.detail.is_empty(),
            "{}: neither a figure nor a reason",
            d.strategy
        );
    }
    // A noop task is far shorter than 100 dispatch costs: the report says so.
    let out = lab
        .iolab()
        .args(["report", "--out"])
        .arg(lab.path().join("reports"))
        .arg(&run.dir)
        .output()
        .expect("run iolab report");
    assert!(out.status.success(), "{}", text(&out));
    let md = std::fs::read_to_string(
        lab.path()
            .join("reports")
            .join(&run.meta.run_id)
            .join("summary.md"),
    )
    .expect("summary.md");
    let noted = md
        .lines()
        .filter(|l| l.contains("noop/noop/") && l.contains("dispatch ") && l.contains("µs/task"))
        .count();
    assert!(noted >= 1, "no dispatch note in:\n{md}");
}

#[test]
fn copy_under_every_strategy() {
    assert_all_verified("copy", "loop", ALL_STRATEGIES, &["--chunk", "333"]);
    assert_all_verified(
        "copy",
        "kernel",
        "sequential,threads,processes,nested,tokio",
        &[],
    );
}

#[test]
fn atomic_save_under_every_strategy() {
    assert_all_verified(
        "atomic-save",
        "in-place,rename,rename-fsync,rename-fsync-dir",
        ALL_STRATEGIES,
        &[],
    );
}

#[test]
fn stream_under_every_strategy() {
    assert_all_verified("stream", "buffered", ALL_STRATEGIES, &["--buffer", "777"]);
    assert_all_verified(
        "stream",
        "unbuffered",
        "threads",
        &["--large-file", "20KiB"],
    );
}

#[test]
fn scan_under_every_strategy() {
    assert_all_verified("scan", "read,direct", ALL_STRATEGIES, &["--chunk", "8KiB"]);
    assert_all_verified("scan", "mmap,mmap-seq", SYNC_STRATEGIES, &[]);
}

#[test]
fn random_under_every_strategy() {
    assert_all_verified("random", "pread", ALL_STRATEGIES, &[]);
    assert_all_verified("random", "mmap", SYNC_STRATEGIES, &[]);
    // Only the ends of each block kept as evidence, under every strategy
    // (worker processes verify their own); the label says so.
    let lab = assert_all_verified("random", "pread", ALL_STRATEGIES, &["--evidence", "ends"]);
    let run = lab.only_run();
    assert!(
        run.summary
            .iter()
            .all(|s| s.variant == "pread,block=4KiB,evidence=ends"),
        "{:?}",
        run.summary.iter().map(|s| &s.variant).collect::<Vec<_>>()
    );
}

#[test]
fn locked_appends_keep_every_line() {
    assert_all_verified(
        "append",
        "mutex,o-append,per-worker-merge",
        ALL_STRATEGIES,
        &["--append-lines", "3000"],
    );
    assert_all_verified(
        "append",
        "flock",
        SYNC_STRATEGIES,
        &["--append-lines", "3000"],
    );
}

/// The mutex guards one process only: under processes it must still not
/// corrupt lines because each write is one O_APPEND write; flock guards all.
#[test]
fn unlocked_seek_loses_lines_under_contention() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "append",
        "--variant",
        "unlocked-seek,o-append",
        "--strategy",
        "threads,processes",
        "--workers",
        "8",
        "--append-lines",
        "20000",
        "--reps",
        "3",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "lost lines are an integrity finding, not a failure: {}",
        text(&out)
    );
    let run = lab.only_run();
    let lost: u64 = run
        .rows
        .iter()
        .filter(|r| {
            r.variant == "unlocked-seek" && r.strategy != iolab::strategy::StrategyKind::Sequential
        })
        .map(|r| r.append_missing.unwrap_or(0) + r.append_corrupted.unwrap_or(0))
        .sum();
    assert!(lost > 0, "unlocked-seek lost nothing in 6 contended runs");
    for r in run.rows.iter().filter(|r| r.variant == "o-append") {
        assert_eq!(
            (r.append_intact, r.append_missing, r.append_corrupted),
            (Some(20000), Some(0), Some(0)),
            "{}",
            r.scenario_id
        );
    }
    let summary = run
        .summary
        .iter()
        .find(|s| s.scenario_id.contains("unlocked-seek/processes"))
        .unwrap();
    assert!(summary.n_verified < summary.n);
}

#[test]
fn command_strategy_is_timed_and_verified() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "copy",
        "--strategy",
        "command",
        "--command",
        "cp -r {corpus}/. {dest}/ && rm -f {dest}/manifest.json {dest}/.iolab-corpus",
        "--workers",
        "1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let run = lab.only_run();
    let s = run
        .summary
        .iter()
        .find(|s| s.strategy == iolab::strategy::StrategyKind::Command)
        .unwrap();
    assert_eq!(
        (s.status, s.n_verified),
        (SummaryStatus::Ok, 2),
        "{}",
        s.detail
    );
    assert!(s.wall_median_s > 0.0);
    // Its outputs were checked file by file, so its payload is the corpus's.
    let corpus: u64 = run
        .rows
        .iter()
        .filter(|r| r.strategy == iolab::strategy::StrategyKind::Sequential)
        .map(|r| r.bytes)
        .max()
        .unwrap();
    assert!(corpus > 0);
    for r in run
        .rows
        .iter()
        .filter(|r| r.strategy == iolab::strategy::StrategyKind::Command)
    {
        assert_eq!(r.bytes, corpus, "command copy payload");
    }
    assert!(s.mb_per_s > 0.0);
}

#[test]
fn command_that_skips_is_unavailable_not_failed() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "read",
        "--strategy",
        "command",
        "--command",
        "echo 'iolab-skip: python3 missing' >&2; exit 3",
        "--no-baseline",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let run = lab.only_run();
    assert_eq!(run.summary[0].status, SummaryStatus::Unavailable);
    assert!(run.summary[0].detail.contains("python3 missing"));
}

#[test]
fn command_read_must_report_the_bytes_it_loaded() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "read",
        "--strategy",
        "command",
        "--command",
        "cat {corpus}/data-*.csv > /dev/null; echo bytes=12",
        "--no-baseline",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let run = lab.only_run();
    assert!(run
        .rows
        .iter()
        .all(|r| !r.verified && r.detail.contains("bytes=12")));
}

/// A filesystem that refuses `O_DIRECT` (ramfs) makes the direct scan
/// `unavailable: …` while the other scans run. Needs root to mount ramfs.
#[test]
fn direct_io_refused_by_the_filesystem_is_unavailable() {
    let lab = Lab::new();
    let mnt = lab.path().join("ram");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "ramfs", "ramfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount ramfs here (not root?)");
        return;
    }
    let out = lab.run(&[
        "--workload",
        "scan",
        "--variant",
        "read,direct",
        "--large-file",
        "64KiB",
        "--data-dir",
        mnt.to_str().unwrap(),
    ]);
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    assert!(out.status.success(), "{}", text(&out));
    let run = lab.only_run();
    let direct = run
        .summary
        .iter()
        .find(|s| s.variant.starts_with("direct"))
        .unwrap();
    assert_eq!(
        direct.status,
        SummaryStatus::Unavailable,
        "{}",
        direct.detail
    );
    assert!(
        direct.detail.contains("O_DIRECT unavailable"),
        "{}",
        direct.detail
    );
    let read = run
        .summary
        .iter()
        .find(|s| s.variant.starts_with("read"))
        .unwrap();
    assert_eq!((read.status, read.n_verified), (SummaryStatus::Ok, 2));
}
