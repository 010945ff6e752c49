//! The library API end to end: the `load-parse` example (a user's binary
//! built on `iolab::lab::Lab`) run under every strategy on a tiny corpus,
//! its rows verified, its worker processes being the example itself, its
//! refusals one line, and its run folder rendered as a report.
//!
//! The example binary is built by `cargo test` (which builds every
//! example); a targeted run needs `cargo build --release --example
//! load-parse` first, and says so.

mod util;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use iolab::results::Status;
use util::{stderr, text, Lab, TINY_RUN};

/// The example binary, beside the `iolab` binary of this build.
fn example() -> PathBuf {
    util::example("load-parse")
}

/// The example's `run` on the tiny corpus in `lab`, with `extra` flags.
fn example_run(lab: &Lab, extra: &[&str]) -> Output {
    lab.tiny_run(&example())
        .args(extra)
        .output()
        .expect("run the example")
}

/// `load-parse` run by the example on the tiny corpus, with `extra` flags.
fn load_parse(lab: &Lab, extra: &[&str]) -> Output {
    let mut args = vec!["--workload", "load-parse"];
    args.extend_from_slice(extra);
    example_run(lab, &args)
}

/// The lab's only run, after `o` (a run with `--strategy
/// threads,processes,nested,tokio`) succeeded with rows of those four
/// strategies and the sequential baseline.
fn ran_under_every_strategy(lab: &Lab, o: &Output) -> iolab::results::LoadedRun {
    assert!(o.status.success(), "{}", text(o));
    let run = lab.only_run();
    let mut strategies: Vec<&str> = run.rows.iter().map(|r| r.strategy.name()).collect();
    strategies.sort_unstable();
    strategies.dedup();
    assert_eq!(
        strategies,
        ["nested", "processes", "sequential", "threads", "tokio"]
    );
    run
}

#[test]
fn load_parse_runs_verified_under_the_thread_process_and_tokio_strategies() {
    let lab = Lab::new();
    let o = load_parse(
        &lab,
        &[
            "--strategy",
            "threads,processes,nested,tokio",
            "--workers",
            "2",
        ],
    );
    // The sequential baseline is added as for any workload; processes and
    // nested ran their tasks in worker processes of the example binary
    // (the iolab binary has no load-parse: its workers would fail).
    let run = ran_under_every_strategy(&lab, &o);
    for row in &run.rows {
        assert_eq!(row.workload.name(), "load-parse");
        assert_eq!(row.variant, "std");
        assert!(
            row.verified,
            "{} not verified: {}",
            row.scenario_id, row.detail
        );
        assert_eq!(row.tasks, 40, "{}", row.scenario_id);
        assert!(row.detail.contains("sum of the integers"), "{}", row.detail);
    }

    // The report renders from the run folder (with the example's binary,
    // and with plain iolab: the folder alone is enough).
    for binary in [example(), PathBuf::from(env!("CARGO_BIN_EXE_iolab"))] {
        let out = lab.path().join(format!(
            "reports-{}",
            binary.file_name().unwrap().to_string_lossy()
        ));
        let o = Command::new(binary)
            .arg("report")
            .arg(&run.dir)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let index = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        let html = std::fs::read_to_string(&index).unwrap();
        assert!(html.contains("load-parse"), "the report names the workload");
    }
}

#[test]
fn the_io_variant_runs_on_the_seam_and_io_uring_refuses_blocking_calls_in_one_line() {
    let lab = Lab::new();
    // The default variant makes blocking calls: io_uring refuses it before
    // anything runs, with the reason from the description's capabilities.
    let o = load_parse(&lab, &["--strategy", "io_uring", "--workers", "2"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("io_uring cannot run load-parse std") && err.contains("blocking calls"),
        "{err}"
    );
    assert_eq!(lab.run_count(), 0, "nothing was created");

    // The variant written against the Io seam runs on the ring (or is
    // recorded unavailable where the kernel refuses io_uring) and on
    // tokio's blocking pool one call at a time.
    let o = load_parse(
        &lab,
        &[
            "--variant",
            "io",
            "--read-size",
            "8KiB",
            "--strategy",
            "io_uring,tokio",
            "--workers",
            "3",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let run = lab.only_run();
    assert_eq!(run.rows.len(), 6, "3 scenarios × 2 repetitions");
    for row in &run.rows {
        assert_eq!(row.variant, "io,read_size=8KiB", "the knob is in the label");
        let unavailable = row.strategy == iolab::strategy::StrategyKind::IoUring
            && row.status == Status::Unavailable;
        if unavailable {
            eprintln!("io_uring unavailable here: {}", row.detail);
        } else {
            assert!(row.verified, "{}: {}", row.scenario_id, row.detail);
        }
    }
}

#[test]
fn an_experiment_file_names_the_user_workload_like_any_other() {
    let lab = Lab::new();
    let o = example_file(
        &lab,
        "load-parse.toml",
        "description = \"load-parse from a file\"\n[[grid]]\nworkload = [\"load-parse\"]\n\
         variant = [\"std\", \"io\"]\nstrategy = [\"processes\"]\nworkers = [2]\n",
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let run = lab.only_run();
    let mut variants: Vec<(&str, &str)> = run
        .rows
        .iter()
        .map(|r| (r.variant.as_str(), r.strategy.name()))
        .collect();
    variants.sort_unstable();
    variants.dedup();
    assert_eq!(
        variants,
        [
            ("io,read_size=64KiB", "processes"),
            ("io,read_size=64KiB", "sequential"),
            ("std", "processes"),
            ("std", "sequential")
        ]
    );
    assert!(run.rows.iter().all(|r| r.verified), "every row verified");
}

/// Experiment file `name` holding `text`, in `lab`: its path.
fn write_file(lab: &Lab, name: &str, text: &str) -> String {
    let file = lab.path().join(name);
    std::fs::write(&file, text).unwrap();
    file.to_string_lossy().into_owned()
}

/// The example's `run` of experiment file `name` holding `text`, in `lab`,
/// with `extra` flags.
fn example_file(lab: &Lab, name: &str, text: &str, extra: &[&str]) -> Output {
    let file = write_file(lab, name, text);
    let mut args = vec![file.as_str()];
    args.extend_from_slice(extra);
    example_run(lab, &args)
}

#[test]
fn a_user_knob_is_a_grid_axis_of_experiment_files() {
    let lab = Lab::new();
    let grid = "[[grid]]\nworkload = [\"load-parse\"]\nvariant = [\"io\"]\nbaseline = false\n";
    let o = example_file(
        &lab,
        "sizes.toml",
        &format!("{grid}read_size = [\"16KiB\", \"64KiB\"]\n"),
        &["--reps", "1"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let run = lab.only_run();
    let mut labels: Vec<&str> = run.rows.iter().map(|r| r.variant.as_str()).collect();
    labels.sort_unstable();
    assert_eq!(
        labels,
        ["io,read_size=16KiB", "io,read_size=64KiB"],
        "one scenario per value, each run once with its value"
    );
    assert!(
        run.rows.iter().all(|r| r.verified && r.tasks == 40),
        "every row verified"
    );

    // A `[grid.scale.*]` table replaces the list at its scale.
    let o = example_file(
        &lab,
        "scaled.toml",
        &format!(
            "{grid}read_size = [\"8KiB\"]\n[grid.scale.quick]\nread_size = [\"32KiB\", \"1MiB\"]\n"
        ),
        &["--scale", "quick", "--dry-run"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let plan = String::from_utf8_lossy(&o.stdout);
    assert!(
        plan.contains("io,read_size=32KiB")
            && plan.contains("io,read_size=1MiB")
            && !plan.contains("read_size=8KiB"),
        "{plan}"
    );

    // The knob's flag beside a file would be ignored: refused, as iolab's
    // own grid flags are.
    let o = example_file(&lab, "flag.toml", grid, &["--read-size", "8KiB"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cannot be used with") && err.contains("--read-size"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_user_knob_in_an_experiment_file_is_checked_by_its_description() {
    let lab = Lab::new();
    let grid = "[[grid]]\nworkload = [\"load-parse\"]\nvariant = [\"io\"]\n";
    // Each file refused in one line naming it, by the example or (`plain`)
    // by iolab itself.
    let refused = |name: &str, toml: &str, plain: bool| {
        let o = if plain {
            lab.run(&[&write_file(&lab, name, toml)])
        } else {
            example_file(&lab, name, toml, &[])
        };
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(name), "names the file: {err}");
        err
    };
    // A value its range refuses: the key, the value as written, the range.
    let err = refused(
        "range.toml",
        &format!("{grid}read_size = [\"16KiB\", \"5000\"]\n"),
        false,
    );
    assert!(
        err.contains(
            "range.toml:4:23: grid.read_size = \"5000\": allowed 4KiB to 16MiB, a multiple of 4096"
        ),
        "{err}"
    );
    // A value of the wrong type: what the knob's kind expects.
    let err = refused("type.toml", &format!("{grid}read_size = [16384]\n"), false);
    assert!(
        err.contains("read_size = 16384: expected a size in quotes from 4KiB to 16MiB"),
        "{err}"
    );
    // A misspelt key: the block and the allowed keys, the user's knob among them.
    let err = refused(
        "typo.toml",
        &format!("{grid}read_sise = [\"16KiB\"]\n"),
        false,
    );
    assert!(
        err.contains(
            "typo.toml:4:1: unknown field `read_sise` in [[grid]] 1 (unnamed); allowed keys: "
        ) && err.contains(", read_size"),
        "{err}"
    );
    // The user's knob for a block whose workloads do not have it.
    let err = refused(
        "other.toml",
        "[[grid]]\nworkload = [\"read\"]\nread_size = [\"16KiB\"]\n",
        false,
    );
    assert!(
        err.contains("not a knob of read") && err.contains("read_size is a knob of load-parse"),
        "{err}"
    );
    // Plain iolab registers no load-parse: the knob is an unknown key there.
    let err = refused(
        "plain.toml",
        &format!("{grid}read_size = [\"16KiB\"]\n"),
        true,
    );
    assert!(err.contains("unknown field `read_size`"), "{err}");
    assert!(!err.contains(", read_size"), "not allowed there: {err}");
    assert_eq!(lab.run_count(), 0, "nothing was created");
}

#[test]
fn names_variants_and_workers_are_checked_before_anything_runs() {
    let lab = Lab::new();
    let o = load_parse(&lab, &["--variant", "mmap"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("mmap") && err.contains("not a variant of load-parse; allowed: std, io"),
        "{err}"
    );
    // iolab itself has no load-parse, and says which workloads it has.
    let o = lab
        .iolab()
        .args(TINY_RUN)
        .args(["--workload", "load-parse"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("allowed: read, write"), "{}", text(&o));
    // The example's help lists its workload beside iolab's, and its knob
    // as a flag with the description's help, default and range.
    let o = Command::new(example())
        .args(["run", "--help"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(help.contains("noop, load-parse"), "{help}");
    assert!(
        help.contains("--read-size")
            && help.contains("load-parse io: bytes per read [default: 64KiB]"),
        "{help}"
    );
    // A knob value out of its range: one line naming the flag and the range.
    let o = load_parse(&lab, &["--variant", "io", "--read-size", "5000"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("--read-size") && err.contains("allowed 4KiB to 16MiB, a multiple of 4096"),
        "{err}"
    );
    // A knob of the user's workload given to a built-in one: the flag, the
    // value, the workloads given and the one that has the knob.
    let o = example_run(&lab, &["--workload", "read", "--read-size", "8KiB"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr(&o).contains(
            "--read-size 8KiB: not a knob of read (--workload); read_size is a knob of load-parse"
        ),
        "{}",
        text(&o)
    );
    assert_eq!(lab.run_count(), 0);
}

#[test]
fn the_library_page_example_is_the_compiled_doc_example() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let docs = std::fs::read_to_string(root.join("harness/src/lab/mod.rs")).unwrap();
    let start = docs.find("//! ```no_run\n").expect("the doc example") + "//! ```no_run\n".len();
    let end = start + docs[start..].find("//! ```\n").expect("its end");
    let compiled: Vec<&str> = docs[start..end]
        .lines()
        .map(|l| {
            l.strip_prefix("//! ")
                .unwrap_or(l.trim_start_matches("//!"))
        })
        .collect();
    let section = std::fs::read_to_string(root.join("docs/library.md")).unwrap();
    let start = section.find("```rust\n").expect("its code") + "```rust\n".len();
    let end = start + section[start..].find("```\n").expect("its end");
    let shown: Vec<&str> = section[start..end].lines().collect();
    assert_eq!(
        shown, compiled,
        "docs/library.md's example differs from the doc example of harness/src/lab/mod.rs (compiled by cargo test); copy it over"
    );
}

#[test]
fn the_examples_man_page_and_completions_have_its_knob_flag_under_its_name() {
    let man = Command::new(example()).arg("man").output().unwrap();
    assert!(man.status.success(), "{}", text(&man));
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(page.contains("\n.TH load-parse 1 "), "{page}");
    let run = &page[page
        .find(".SH \"LOAD-PARSE RUN\"")
        .expect("the run section")..];
    assert!(run.contains("\\-\\-read\\-size"), "{run}");
    let plain = Lab::new().iolab().arg("man").output().unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("read\\-size"));
    let bash = Command::new(example())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let script = String::from_utf8_lossy(&bash.stdout);
    assert!(
        script.contains("--read-size") && script.contains("complete -F _load__parse"),
        "{script}"
    );
}

#[test]
fn tune_sweeps_a_user_knob_and_tunes_each_value_apart() {
    let lab = Lab::new();
    let profiles = lab.path().join("profiles");
    let o = Command::new(example())
        .current_dir(lab.path())
        .env("IOLAB_DATA_DIR", lab.data())
        .args([
            "tune",
            "--workload",
            "load-parse",
            "--read-size",
            "8KiB,64KiB",
            "--strategy",
            "threads",
            "--max-workers",
            "2",
            "--files",
            "20",
            "--lines",
            "10",
            "--budget",
            "60s",
            "--reps",
            "3",
            "--warmup",
            "0",
            "--settle",
            "0",
            "--no-progress",
            "--run-id",
            "knobs",
        ])
        .arg("--out")
        .arg(lab.results())
        .arg("--profiles")
        .arg(&profiles)
        .output()
        .expect("run the example's tune");
    assert!(o.status.success(), "{}", text(&o));
    // The knob implies the variant that takes it; each value is a workload
    // entry of its own, named with its knobs in the table.
    let stdout = String::from_utf8_lossy(&o.stdout);
    for label in [
        "load-parse io,read_size=8KiB",
        "load-parse io,read_size=64KiB",
    ] {
        assert!(stdout.contains(label), "{stdout}");
    }
    let toml = std::fs::read_dir(&profiles)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "toml"))
        .expect("a profile");
    let profile = iolab::tune::files::load(&toml).unwrap();
    let mut variants: Vec<&str> = profile
        .workloads
        .iter()
        .map(|w| w.variant.as_str())
        .collect();
    variants.sort_unstable();
    assert_eq!(variants, ["io,read_size=64KiB", "io,read_size=8KiB"]);
    let run = iolab::results::load(&lab.results().join("knobs")).unwrap();
    assert!(run.rows.iter().all(|r| r.verified), "every point verified");

    // A knob value its description refuses, or a knob of none of the named
    // workloads, is refused in one line before anything runs.
    for (flag, value) in [("--read-size", "5000"), ("--buffer", "4KiB")] {
        let o = Command::new(example())
            .current_dir(lab.path())
            .env("IOLAB_DATA_DIR", lab.data())
            .args(["tune", "--workload", "load-parse", flag, value])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn compare_pairs_scenarios_by_a_user_knob_within_one_run_and_across_two() {
    let lab = Lab::new();
    let common = ["--variant", "io", "--strategy", "threads", "--workers", "2"];
    for (id, sizes) in [
        ("both", "8KiB,64KiB"),
        ("small", "8KiB"),
        ("large", "64KiB"),
    ] {
        let mut extra = common.to_vec();
        extra.extend(["--read-size", sizes, "--run-id", id]);
        let o = load_parse(&lab, &extra);
        assert!(o.status.success(), "{}", text(&o));
    }
    let compare = |args: &[&str]| {
        lab.iolab()
            .arg("compare")
            .args(args.iter().map(|a| match *a {
                "both" | "small" | "large" => lab.results().join(a).into_os_string(),
                other => other.into(),
            }))
            .arg("--out")
            .arg(lab.path().join("reports"))
            .output()
            .unwrap()
    };
    // One run compared with itself: did 64KiB pieces cost more than 8KiB?
    let o = compare(&["both", "--pair-by", "read_size"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for scenario in ["threads-2", "sequential"] {
        let pair = format!("load-parse/io,read_size=8KiB/{scenario}/warm → read_size=64KiB");
        assert!(out.contains(&pair), "{out}");
    }
    assert!(
        !out.contains("only in"),
        "every scenario has its partner: {out}"
    );
    // Two runs: A at 8KiB against B at 64KiB, which plain matching by id
    // cannot pair at all.
    let o = compare(&["small", "large"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("only in A"),
        "{}",
        text(&o)
    );
    let o = compare(&["small", "large", "--pair-by", "read_size"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("→ read_size=64KiB") && !out.contains("only in"),
        "{out}"
    );
    // A knob neither run has: one line naming the knobs they have.
    let o = compare(&["small", "large", "--pair-by", "level"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--pair-by level") && err.contains("read_size"),
        "{err}"
    );
    // Without a second run, --pair-by is needed.
    let o = compare(&["small"]);
    assert!(!o.status.success(), "{}", text(&o));
}

/// The test-only `tokio-fs` binary's `run` of its workload on the tiny
/// corpus, with `extra` flags.
fn tokio_fs(lab: &Lab, extra: &[&str]) -> Output {
    lab.tiny_run(&util::example("tokio-fs"))
        .args(["--workload", "tokio-fs"])
        .args(extra)
        .output()
        .expect("run the tokio-fs example")
}

#[test]
fn a_variant_needing_tokio_runs_on_a_runtime_per_lane_and_a_ring_refuses_it() {
    let lab = Lab::new();
    // Every strategy that runs tasks gives the variant a runtime: tokio its
    // own, the others one per lane (the task checks Handle::try_current).
    let o = tokio_fs(
        &lab,
        &[
            "--variant",
            "tokio",
            "--strategy",
            "threads,processes,nested,tokio",
            "--workers",
            "2",
        ],
    );
    let run = ran_under_every_strategy(&lab, &o);
    for row in &run.rows {
        assert!(row.verified, "{}: {}", row.scenario_id, row.detail);
        assert_eq!(row.tasks, 40, "{}", row.scenario_id);
    }
    // A ring refuses it up front, in one line from its description, as it
    // refuses blocking calls.
    for (variant, why) in [("tokio", "tokio's own I/O"), ("std", "blocking calls")] {
        let o = tokio_fs(&lab, &["--variant", variant, "--strategy", "io_uring"]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("io_uring cannot run tokio-fs {variant}")) && err.contains(why),
            "{err}"
        );
    }
    assert_eq!(lab.run_count(), 1, "the refusals created nothing");
}

#[test]
fn a_worker_process_is_named_after_the_users_binary_so_pgrep_finds_it() {
    // The process strategies start a worker as `/proc/self/exe worker`
    // with argv[0] the parent's name; the kernel names such a process
    // `exe`, and the worker renames itself from argv[0]. Started the same
    // way here, through a link named `exe`, it waits for its first message.
    let lab = Lab::new();
    let exe = lab.path().join("exe");
    std::os::unix::fs::symlink(example(), &exe).unwrap();
    let mut child = std::process::Command::new(&exe)
        .arg0("load-parse")
        .arg("worker")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let comm = format!("/proc/{}/comm", child.id());
    // It renames itself as it starts; wait for that (or its exit), not a time.
    let named = (0..500).any(|_| {
        let name = std::fs::read_to_string(&comm).unwrap_or_default();
        name.trim() == "load-parse" || {
            std::thread::sleep(std::time::Duration::from_millis(10));
            false
        }
    });
    let pgrep = std::process::Command::new("pgrep")
        .args(["-x", "load-parse"])
        .output();
    drop(child.stdin.take());
    let _ = child.wait();
    assert!(named, "the worker kept the name the kernel gave it");
    if let Ok(out) = pgrep {
        let pids = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            pids.lines().any(|p| p.trim() == child.id().to_string()),
            "pgrep -x load-parse: {pids}"
        );
    }
}
