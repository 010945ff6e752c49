//! The foundation, end to end through the real binary: corpora, the first
//! run path, results files, and every bad input the issue names.

mod util;

use std::fs;

use iolab::measure::cache::{CacheMethod, CacheState};
use iolab::results::Status;
use util::{stderr, text, Lab, TinyFs};

fn create(lab: &Lab, dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    lab.iolab()
        .args([
            "corpus", "create", "--files", "30", "--lines", "10", "--dir",
        ])
        .arg(dir)
        .args(extra)
        .output()
        .expect("run iolab")
}

#[test]
fn generation_is_deterministic() {
    let lab = Lab::new();
    let (a, b) = (lab.path().join("a"), lab.path().join("b"));
    assert!(create(&lab, &a, &["--large-file", "100KiB"])
        .status
        .success());
    assert!(create(&lab, &b, &["--large-file", "100KiB"])
        .status
        .success());
    for name in [
        "data-00000.csv",
        "data-00029.csv",
        "large.csv",
        "manifest.json",
    ] {
        assert_eq!(
            fs::read(a.join(name)).unwrap(),
            fs::read(b.join(name)).unwrap(),
            "{name} differs"
        );
    }
    let first = fs::read_to_string(a.join("data-00002.csv")).unwrap();
    assert_eq!(first.lines().next(), Some("2,3,4,5,6,7,8,9,10,11"));
}

#[test]
fn second_create_reuses() {
    let lab = Lab::new();
    let dir = lab.path().join("c");
    assert!(create(&lab, &dir, &[]).status.success());
    let again = create(&lab, &dir, &[]);
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .to_lowercase()
            .contains("reused"),
        "{}",
        text(&again)
    );
}

#[test]
fn verify_names_a_flipped_byte() {
    let lab = Lab::new();
    let dir = lab.path().join("c");
    assert!(create(&lab, &dir, &[]).status.success());
    let path = dir.join("data-00007.csv");
    let mut bytes = fs::read(&path).unwrap();
    bytes[5] ^= 0x01;
    fs::write(&path, bytes).unwrap();
    let out = lab
        .iolab()
        .args(["corpus", "verify"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("data-00007.csv"), "{}", text(&out));
}

#[test]
fn clean_refuses_unmarked_directory_and_file() {
    let lab = Lab::new();
    let dir = lab.path().join("precious");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("thesis.txt"), "keep me").unwrap();
    let out = lab
        .iolab()
        .args(["corpus", "clean"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(dir.join("thesis.txt").exists());
    assert!(stderr(&out).contains("precious"), "{}", text(&out));
    let file = dir.join("thesis.txt");
    let out = lab
        .iolab()
        .args(["corpus", "clean"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(file.exists());
}

#[test]
fn clean_removes_a_corpus() {
    let lab = Lab::new();
    let dir = lab.path().join("c");
    assert!(create(&lab, &dir, &[]).status.success());
    let out = lab
        .iolab()
        .args(["corpus", "clean"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!dir.exists());
}

#[test]
fn corpus_path_that_is_a_file_or_has_no_parent_is_refused() {
    let lab = Lab::new();
    let file = lab.path().join("plain");
    fs::write(&file, "x").unwrap();
    let out = create(&lab, &file, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("plain"), "{}", text(&out));
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
    let orphan = lab.path().join("no/such/parent/c");
    let out = create(&lab, &orphan, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("no/such/parent"), "{}", text(&out));
    assert!(!lab.path().join("no").exists(), "nothing half-made");
}

/// Each bad value gets one clear line naming it, a non-zero exit, and no
/// run folder.
#[test]
fn bad_run_inputs_are_rejected_before_anything_runs() {
    let cases: &[(&[&str], &str)] = &[
        (&["--workload", "juggle"], "juggle"),
        (
            &[
                "--workload",
                "read",
                "--strategy",
                "telepathy",
                "--workers",
                "2",
            ],
            "telepathy",
        ),
        (
            &[
                "--workload",
                "read",
                "--strategy",
                "threads",
                "--workers",
                "0",
            ],
            "--workers 0",
        ),
        (
            &[
                "--workload",
                "read",
                "--strategy",
                "threads",
                "--workers",
                "100000",
            ],
            "--workers 100000",
        ),
        (
            &[
                "--workload",
                "read",
                "--strategy",
                "sequential",
                "--workers",
                "8",
            ],
            "sequential",
        ),
        (&["--workload", "read", "--variant", "mmap"], "mmap"),
        (
            &[
                "--workload",
                "scan",
                "--variant",
                "mmap",
                "--strategy",
                "io_uring",
                "--workers",
                "4",
            ],
            "io_uring",
        ),
        (&["--workload", "read", "--chunk", "4 parsecs"], "4 parsecs"),
        (&["--workload", "read", "--reps", "0"], "'0' for '--reps"),
        (
            &["--workload", "append", "--first-files", "5"],
            "first_files applies to",
        ),
        (
            &["--workload", "read", "--first-files", "5000"],
            "--first-files 5000",
        ),
        (
            &[
                "--workload",
                "atomic-save",
                "--strategy",
                "threads",
                "--workers",
                "2",
                "--kill-at",
                "50",
            ],
            "worker processes",
        ),
    ];
    for (args, needle) in cases {
        let lab = Lab::new();
        let out = lab.run(args);
        assert_ne!(
            out.status.code(),
            Some(0),
            "{args:?} was accepted: {}",
            text(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains(needle),
            "{args:?}: error does not name {needle:?}: {err}"
        );
        assert!(
            err.lines().filter(|l| !l.trim().is_empty()).count() <= 6,
            "{args:?}: not a short message: {err}"
        );
        assert_eq!(lab.run_count(), 0, "{args:?} left a run folder behind");
        assert!(!lab.data().exists(), "{args:?} created a corpus");
    }
}

#[test]
fn run_writes_three_files_with_verified_rows() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "read,write",
        "--strategy",
        "threads",
        "--workers",
        "2",
        "--cache",
        "warm,cold",
        "--warmup",
        "1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Speedup over sequential"), "{stdout}");
    let run = lab.only_run();
    assert!(run.dir.join("run.json").exists() && run.dir.join("summary.csv").exists());
    // read: 2 strategies × 2 caches; write: 2 strategies, warm only (a
    // cold cache means nothing for a workload that reads nothing: skipped
    // with a note, as in an experiment file, which the flags' grid is).
    assert_eq!(run.summary.len(), 6);
    assert!(
        stdout.contains("× cli: write reads nothing, so a cold cache means nothing for it"),
        "{stdout}"
    );
    assert_eq!(run.rows.len(), 6 * 3, "2 reps + 1 warm-up each");
    assert!(
        run.rows
            .iter()
            .all(|r| r.verified && r.status == Status::Ok),
        "{:?}",
        run.rows.iter().find(|r| !r.verified)
    );
    assert!(run.rows.iter().filter(|r| r.warmup).count() == 6);
    let cold_read = run
        .rows
        .iter()
        .find(|r| r.workload == iolab::workload::WorkloadKind::Read && r.cache == CacheState::Cold)
        .unwrap();
    assert!([Some(CacheMethod::DropCaches), Some(CacheMethod::Fadvise)]
        .contains(&cold_read.cache_method));
    assert!(cold_read.cache_resident_pct.is_some());
    assert!(run.rows.iter().all(|r| r.wall_s > 0.0 && r.tasks == 40));
    let threads = run
        .summary
        .iter()
        .find(|s| s.strategy == iolab::strategy::StrategyKind::Threads)
        .unwrap();
    assert!(
        threads.speedup.is_some(),
        "speedup over the added sequential baseline"
    );
    assert!(!run.meta.machine.kernel.is_empty());
    assert_eq!(run.meta.plan.reps, 2);
}

#[test]
fn fadvise_cold_method_is_recorded() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "read",
        "--cache",
        "cold",
        "--cold-method",
        "fadvise",
        "--reps",
        "1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let run = lab.only_run();
    assert!(run
        .rows
        .iter()
        .all(|r| r.cache_method == Some(CacheMethod::Fadvise)));
}

#[test]
fn interleaved_order_is_seeded_and_sequential_order_is_grouped() {
    let order_of = |extra: &[&str]| {
        let lab = Lab::new();
        let mut args = vec![
            "--workload",
            "read",
            "--strategy",
            "threads",
            "--workers",
            "2,3",
            "--reps",
            "3",
        ];
        args.extend_from_slice(extra);
        assert!(lab.run(&args).status.success());
        let run = lab.only_run();
        let mut rows = run.rows.clone();
        rows.sort_by_key(|r| r.order);
        rows.into_iter().map(|r| r.scenario_id).collect::<Vec<_>>()
    };
    let a = order_of(&["--seed", "1"]);
    assert_eq!(a, order_of(&["--seed", "1"]));
    let grouped = order_of(&["--order", "sequential"]);
    assert!(
        grouped.windows(2).filter(|w| w[0] != w[1]).count() == 2,
        "{grouped:?}"
    );
}

/// A run killed mid-way keeps every row it finished, whole.
#[test]
fn killed_run_keeps_finished_rows() {
    let lab = Lab::new();
    let mut child = lab
        .iolab()
        .args([
            "run",
            "--workload",
            "write",
            "--files",
            "200",
            "--lines",
            "50",
            "--reps",
            "1000",
            "--warmup",
            "0",
        ])
        .args(["--settle", "0", "--no-progress", "--out"])
        .arg(lab.results())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let csv = || {
        fs::read_dir(lab.results())
            .ok()?
            .next()?
            .ok()
            .map(|e| e.path().join("runs.csv"))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let rows = csv()
            .and_then(|p| fs::read_to_string(p).ok())
            .map_or(0, |t| t.lines().count());
        if rows >= 4 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let run = lab.only_run();
    assert!(run.rows.len() >= 3, "rows: {}", run.rows.len());
    assert!(run.rows.iter().all(|r| r.verified && r.wall_s > 0.0));
    assert!(
        run.meta.ended_at.is_none(),
        "an interrupted run has no end time"
    );
    assert!(
        !run.summary.is_empty(),
        "the summary is recomputed from the rows"
    );
}

/// A corpus that does not fit: one clear line, exit 1, nothing created.
/// Needs root to mount a small tmpfs; skipped with a reason otherwise.
#[test]
fn no_space_left_is_a_clear_error() {
    let lab = Lab::new();
    let Some(tiny) = TinyFs::mount(&lab, "256k") else {
        return;
    };
    let create = || {
        lab.iolab()
            .args([
                "corpus", "create", "--files", "100", "--lines", "1000", "--dir",
            ])
            .arg(tiny.0.join("c"))
            .output()
            .unwrap()
    };
    let out = create();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    // Refused before anything is written (a device that fills up mid-way
    // is the NoSpace error, unit-tested in corpus::error).
    assert!(err.contains("not enough space for the corpus"), "{err}");
    assert!(err.contains("free"), "says what is free: {err}");
    assert!(!tiny.0.join("c").exists(), "nothing was created");
    assert!(
        err.lines().filter(|l| !l.trim().is_empty()).count() <= 3,
        "{err}"
    );
    // The same corpus into a folder made beforehand skips the check and
    // fills the device midway: the message quotes the same figure.
    std::fs::create_dir(tiny.0.join("c")).unwrap();
    let out = create();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let midway = stderr(&out);
    assert!(midway.contains("no space left on the device"), "{midway}");
    let figure = |text: &str| {
        let start = text.find("needs ~").expect("a figure");
        let end = start + text[start..].find(')').expect("its end");
        text[start..=end].to_string()
    };
    assert_eq!(figure(&err), figure(&midway), "{err}\n{midway}");
    assert!(figure(&err).contains("on disk ("), "{err}");
}

/// A workload that fills the device mid-run: the scenario fails naming the
/// file, the run exits 2 with its rows written, the scratch space is gone
/// and the corpus stays.
#[test]
fn a_disk_filling_up_mid_run_fails_the_scenario_and_names_the_file() {
    let lab = Lab::new();
    let Some(tiny) = TinyFs::mount(&lab, "1500k") else {
        return;
    };
    let data = tiny.0.to_string_lossy().into_owned();
    let out = lab.run(&[
        "--workload",
        "write",
        "--files",
        "100",
        "--lines",
        "150",
        "--data-dir",
        &data,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let run = lab.only_run();
    let row = &run.rows[0];
    assert_eq!(row.status, Status::Failed, "{row:?}");
    assert!(
        row.detail.contains("No space left") && row.detail.contains("data-"),
        "{}",
        row.detail
    );
    let left: Vec<String> = fs::read_dir(&tiny.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["csv-100x150x10"], "only the corpus is left");
}

/// `--first-files` and `--kill-at` on the command line: the crash experiment
/// on a subset, with the variant naming both.
#[test]
fn first_files_and_kill_at_flags_run_the_crash_experiment_on_a_subset() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "atomic-save",
        "--variant",
        "rename",
        "--strategy",
        "processes",
        "--workers",
        "2",
        "--first-files",
        "10",
        "--kill-at",
        "50",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let run = lab.only_run();
    let ids: Vec<&str> = run.summary.iter().map(|s| s.scenario_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "atomic-save/rename+first-10+kill-50pct/processes-2-b1/warm",
            "atomic-save/rename+first-10/sequential/warm",
        ]
    );
    for r in &run.rows {
        assert!(r.verified, "rename never tears: {}", r.detail);
        assert!(r.tasks <= 10, "{}: {} tasks", r.scenario_id, r.tasks);
    }
}

#[test]
fn run_records_kernel_counters_time_series_and_machine_io_facts() {
    let lab = Lab::new();
    let o = lab.run(&[
        "--workload",
        "read,write",
        "--strategy",
        "threads,processes",
        "--workers",
        "2",
        "--cache",
        "warm,cold",
        "--no-baseline",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let run = lab.only_run();
    let measured: Vec<_> = run.rows.iter().filter(|r| r.status == Status::Ok).collect();
    // read: 2 strategies × 2 caches, write: 2 strategies warm (cold is
    // skipped for a workload that reads nothing), 2 repetitions each.
    assert_eq!(measured.len(), 12, "{}", text(&o));
    for r in &measured {
        assert!(r.sys_cpu_pct.is_some(), "{}", r.scenario_id);
        assert!(r.vm_dirtied_pages.is_some() && r.vm_written_pages.is_some());
        assert!(r.vm_scanned_pages.is_some() && r.vm_major_faults.is_some());
        assert!(r.dirty_kb_before.is_some() && r.writeback_kb_after.is_some());
    }
    let io = &run.meta.machine.io;
    let psi_here = io.psi == "available";
    assert!(measured
        .iter()
        .all(|r| r.psi_io_some_us.is_some() == psi_here));
    assert!(!io.mount_options.is_empty() && !io.scheduler.is_empty());
    assert!(!io.transparent_huge_pages.is_empty() && !io.virtualization.is_empty());
    assert!(!io.cgroup_memory_max.is_empty() && !io.cgroup_io_max.is_empty());
    assert!(io.io_uring == "available" || io.io_uring.contains("unavailable"));
    // The clock of task latencies is named: the CPU's counter exactly where
    // the kernel keeps time by it, else clock_gettime and why.
    let clocksource = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
    let tsc_here = cfg!(target_arch = "x86_64")
        && std::fs::read_to_string(clocksource).is_ok_and(|s| s.trim() == "tsc");
    if tsc_here {
        assert_eq!(io.task_clock, "tsc");
    } else {
        assert!(
            io.task_clock.starts_with("clock_gettime ("),
            "{}",
            io.task_clock
        );
    }
    // The run has cold scenarios, so the device's direct-read speed was probed.
    let dr = &io.direct_read;
    assert!(
        dr.mb_per_s.is_some() || dr.note.starts_with("unavailable"),
        "{dr:?}"
    );
    // Every measured repetition has its time series, tasks summing to the row's.
    let series = iolab::results::load_timeseries(&run.dir).expect("timeseries.csv");
    for r in &measured {
        let (tasks, bytes) = series
            .iter()
            .filter(|p| p.scenario_id == r.scenario_id && p.rep == r.rep)
            .fold((0u64, 0u64), |(t, b), p| (t + p.tasks, b + p.bytes));
        assert_eq!(tasks, r.tasks, "{} rep {}", r.scenario_id, r.rep);
        assert_eq!(bytes, r.bytes, "{} rep {}", r.scenario_id, r.rep);
    }
}

#[test]
fn reps_auto_stops_each_scenario_at_its_most_and_says_why() {
    let lab = Lab::new();
    let o = lab
        .iolab()
        .args(["run", "--files", "40", "--lines", "20", "--warmup", "0"])
        .args(["--settle", "0", "--no-progress", "--workload", "read"])
        .args(["--strategy", "sequential,threads", "--workers", "2"])
        // An interval of 0.1 % of the median is out of reach: every
        // scenario runs to its most, 4.
        .args(["--reps", "auto:4", "--ci-width", "0.1", "--out"])
        .arg(lab.results())
        .output()
        .expect("run iolab");
    assert!(o.status.success(), "{}", text(&o));
    let run = lab.only_run();
    let auto = run.meta.plan.auto.expect("run.json records the rule");
    assert_eq!((run.meta.plan.reps, auto.ci_width_pct), (4, 0.1));
    assert_eq!(run.summary.len(), 2);
    assert!(run.summary.iter().all(|s| s.n == 4), "{:#?}", run.summary);
    let err = stderr(&o);
    assert_eq!(
        err.matches("stopped at the most repetitions, 4 (interval")
            .count(),
        2,
        "{err}"
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("4 reps, 4 verified") && out.contains("% of median]"),
        "{out}"
    );
    // A target or a budget without auto is refused before anything runs.
    for flag in ["--ci-width", "--budget"] {
        let o = lab.run(&["--workload", "read", flag, "5"]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            stderr(&o).contains(&format!("{flag} applies to --reps auto")),
            "{}",
            text(&o)
        );
    }
    let o = lab
        .iolab()
        .args(["run", "--workload", "read", "--reps", "auto:2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr(&o).contains("\"auto:MAX\" (MAX from 3"),
        "{}",
        text(&o)
    );
    assert_eq!(lab.run_count(), 1);
}
