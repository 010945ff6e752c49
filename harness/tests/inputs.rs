//! Every input is bounded and checked before work starts: hostile but
//! ordinary inputs given to the real `iolab` binary, each ending in one
//! line and exit status 1 with nothing made, or running correctly.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use iolab::results::SummaryStatus;
use util::{stderr, text, Lab};

/// Run `c`, killing it when it outlives `limit`: a guard against the hangs
/// these tests provoke, not a measurement.
fn bounded(c: &mut Command, limit: Duration) -> Output {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn iolab");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            child.kill().expect("kill");
            let o = child.wait_with_output().expect("output");
            panic!("iolab still running after {limit:?}: {}", text(&o));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

/// An input error: exit 1, one line on stderr holding every `needles`, and
/// no results folder.
fn refused(lab: &Lab, o: &Output, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(1), "{}", text(o));
    let err = stderr(o);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} in {err}");
    }
    assert_eq!(lab.run_count(), 0, "nothing made: {}", text(o));
}

fn write(lab: &Lab, name: &str, body: &str) -> PathBuf {
    let p = lab.path().join(name);
    std::fs::write(&p, body).expect("write experiment");
    p
}

#[test]
fn absurd_settle_durations_are_refused_at_parse_time() {
    let lab = Lab::new();
    let o = lab.run(&["--workload", "read", "--settle", "99999h"]);
    refused(&lab, &o, &["--settle 99999h", "from 0 to 10m"]);
    let o = lab.run(&["--workload", "read", "--settle-timeout", "2h"]);
    refused(&lab, &o, &["--settle-timeout 2h", "from 0 to 1h"]);
    let f = write(
        &lab,
        "slow.toml",
        "settle = \"11m\"\n[[grid]]\nworkload = [\"read\"]\n",
    );
    let o = bounded(
        lab.iolab().arg("run").arg(&f).arg("--dry-run"),
        Duration::from_secs(60),
    );
    refused(
        &lab,
        &o,
        &["slow.toml:1:10: settle = \"11m\"", "from 0 to 10m"],
    );
}

/// A grid flag beside experiment files would be ignored (the files declare
/// their grids), so it is refused before anything is made.
#[test]
fn grid_flags_beside_experiment_files_are_refused() {
    let lab = Lab::new();
    let f = write(&lab, "x.toml", "[[grid]]\nworkload = [\"read\"]\n");
    for flag in [
        ["--workload", "write"],
        ["--strategy", "threads"],
        ["--durability", "each"],
        ["--scratch-policy", "rotate"],
    ] {
        let o = bounded(
            lab.iolab().arg("run").arg(&f).args(flag),
            Duration::from_secs(30),
        );
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let err = stderr(&o);
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.contains("'[EXPERIMENT]...' cannot be used with") && first.contains(flag[0]),
            "{err}"
        );
        assert_eq!(lab.run_count(), 0, "nothing made: {}", text(&o));
    }
}

#[test]
fn toml_type_errors_name_the_key_the_value_and_the_range() {
    let lab = Lab::new();
    let cases = [
        (
            "reps = \"five\"\n[[grid]]\nworkload = [\"read\"]\n",
            "x.toml:1:8: reps = \"five\": expected an integer from 1 to 1000, \"auto\" (at most 30) or \"auto:MAX\" (MAX from 3 to 1000)",
        ),
        (
            "[[grid]]\nworkload = [\"read\"]\nworkers = [2, \"many\"]\n",
            "x.toml:3:15: [[grid]] workers = \"many\": expected an integer from 1 to 1024",
        ),
    ];
    for (body, line) in cases {
        let f = write(&lab, "x.toml", body);
        let o = bounded(
            lab.iolab().arg("run").arg(&f).arg("--dry-run"),
            Duration::from_secs(30),
        );
        refused(&lab, &o, &[line]);
        assert!(stderr(&o).trim().ends_with(line), "{}", stderr(&o));
    }
}

#[test]
fn one_repetition_reports_no_interval() {
    let lab = Lab::new();
    let o = lab
        .iolab()
        .args([
            "run",
            "--workload",
            "read",
            "--strategy",
            "sequential,threads",
        ])
        .args([
            "--files", "20", "--lines", "10", "--reps", "1", "--warmup", "0",
        ])
        .args(["--settle", "0s", "--no-progress", "--out"])
        .arg(lab.results())
        .output()
        .expect("run iolab");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("n = 1: no interval"), "{out}");
    assert!(!out.contains("95% CI"), "{out}");
    let run = lab.only_run();
    assert!(run.summary.len() >= 2, "{:?}", run.summary);
    for r in &run.summary {
        assert_eq!(r.n, 1);
        assert!(r.wall_median_s > 0.0, "{r:?}");
        assert_eq!((r.wall_ci_low_s, r.wall_ci_high_s), (None, None), "{r:?}");
        assert_eq!((r.mb_per_s_ci_low, r.mb_per_s_ci_high), (None, None));
        assert_eq!((r.speedup_ci_low, r.speedup_ci_high), (None, None));
    }
    let csv = std::fs::read_to_string(run.dir.join("summary.csv")).expect("summary.csv");
    let header: Vec<&str> = csv.lines().next().unwrap_or("").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        for name in [
            "wall_ci_low_s",
            "wall_ci_high_s",
            "mb_per_s_ci_low",
            "mb_per_s_ci_high",
        ] {
            assert_eq!(cells[col(name)], "", "{name} empty in {line}");
        }
    }
}

#[test]
fn the_settle_timeout_holds_from_the_first_poll() {
    let lab = Lab::new();
    if iolab::sys::device::block_device_of(lab.path()).is_none() {
        println!(
            "skipped: the temporary folder is on no block device, so there is nothing to wait for"
        );
        return;
    }
    // A 10-minute idle window polls every 2 minutes; before the fix the
    // first sleep alone outlasted the 1 s timeout by two minutes.
    let mut c = lab.iolab();
    c.args([
        "run",
        "--workload",
        "read",
        "--files",
        "5",
        "--lines",
        "5",
        "--reps",
        "1",
        "--warmup",
        "0",
        "--no-progress",
        "--settle",
        "10m",
        "--settle-timeout",
        "1s",
    ])
    .arg("--out")
    .arg(lab.results());
    let o = bounded(&mut c, Duration::from_secs(90));
    assert!(o.status.success(), "{}", text(&o));
    let run = lab.only_run();
    assert!(!run.rows.is_empty());
    for r in &run.rows {
        assert!(
            !r.settle_idle,
            "a 10-minute idle window cannot pass in 1 s: {r:?}"
        );
        assert!(r.settle_s < 60.0, "waited past the timeout: {}", r.settle_s);
    }
}

#[test]
fn a_grid_past_the_limit_is_refused_before_expansion() {
    let lab = Lab::new();
    let workers: Vec<String> = (1..=1000).map(|n| n.to_string()).collect();
    let buffers: Vec<String> = (1..=101).map(|n| format!("{n}KiB")).collect();
    let o = bounded(
        lab.iolab().args([
            "run",
            "--workload",
            "read",
            "--variant",
            "buffered",
            "--strategy",
            "threads",
            "--workers",
            &workers.join(","),
            "--buffer",
            &buffers.join(","),
            "--no-progress",
        ]),
        Duration::from_secs(60),
    );
    refused(
        &lab,
        &o,
        &[
            // The flags' grid is counted as a file's block is: combinations
            // and, for each, its killed run and its sequential baseline.
            "the flags: the lists multiply out to 202000 scenarios",
            "at most 100000",
        ],
    );
    // 10^6 from a file, dry run included: refused with the count, at once.
    let f = write(
        &lab,
        "huge.toml",
        &format!(
            "[[grid]]\nworkload = [\"read\"]\nstrategy = [\"threads\", \"processes\"]\nworkers = [{}]\nbatch = [{}]\ncache = [\"warm\", \"cold\"]\n",
            workers.join(","),
            (1..=250).map(|n| n.to_string()).collect::<Vec<_>>().join(",")
        ),
    );
    let o = bounded(
        lab.iolab().arg("run").arg(&f).arg("--dry-run"),
        Duration::from_secs(60),
    );
    refused(
        &lab,
        &o,
        &[
            "huge.toml: grid block 1 (unnamed): the lists multiply out to 1004000 scenarios",
            "at most 100000",
        ],
    );
}

#[test]
fn experiment_files_must_be_small_regular_files() {
    let lab = Lab::new();
    let fifo = lab.path().join("fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let dir = lab.path().join("dir.toml");
    std::fs::create_dir(&dir).unwrap();
    let big = write(&lab, "big.toml", &"#".repeat(2 << 20));
    let link = lab.path().join("link.toml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            PathBuf::from("/dev/zero"),
            "/dev/zero: is a character device, not a regular file",
        ),
        (dir, "dir.toml: is a directory"),
        (
            big,
            "big.toml: more than 1 MiB; an experiment file may hold at most 1 MiB",
        ),
        (link, "link.toml: is a symbolic link, not a regular file"),
    ];
    let fifo_case = made
        .is_ok_and(|s| s.success())
        .then_some((fifo, "fifo.toml: is a FIFO"));
    if fifo_case.is_none() {
        println!("skipped the FIFO case: mkfifo failed");
    }
    for (path, needle) in cases.into_iter().chain(fifo_case) {
        for args in [vec!["run"], vec!["run", "--dry-run"]] {
            let o = bounded(lab.iolab().args(&args).arg(&path), Duration::from_secs(30));
            refused(&lab, &o, &[needle]);
        }
    }
}

#[test]
fn run_ids_are_plain_names() {
    let lab = Lab::new();
    for bad in [
        "../escape",
        "a/b",
        ".",
        "..",
        "-rf",
        "tab\there",
        &"x".repeat(101),
    ] {
        let o = lab.run(&["--workload", "read", &format!("--run-id={bad}")]);
        assert_eq!(o.status.code(), Some(1), "{bad:?}: {}", text(&o));
        let err = stderr(&o);
        assert!(
            err.contains("--run-id") && err.contains("a plain folder name"),
            "{err}"
        );
        assert_eq!(lab.run_count(), 0);
        assert!(!lab.path().join("escape").exists());
    }
    let o = lab.run(&[
        "--workload",
        "read",
        "--run-id",
        "my-run_1 ü",
        "--reps",
        "1",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(lab.results().join("my-run_1 ü").join("run.json").is_file());
}

#[test]
fn clap_usage_errors_exit_1_and_help_exits_0() {
    let lab = Lab::new();
    for args in [
        vec!["run", "--bogus"],
        vec!["frobnicate"],
        vec!["run", "--reps", "five"],
        vec![],
    ] {
        let o = lab.iolab().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
    }
    for args in [vec!["--help"], vec!["run", "--help"], vec!["--version"]] {
        let o = lab.iolab().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        assert!(!o.stdout.is_empty());
    }
}

#[test]
fn run_dir_is_honoured_and_corpus_create_makes_the_data_folder() {
    let lab = Lab::new();
    let corpus = lab.path().join("my corpus");
    let o = lab.run(&[
        "--workload",
        "read",
        "--reps",
        "1",
        "--dir",
        corpus.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        corpus.join("manifest.json").is_file(),
        "the corpus went to --dir"
    );
    assert_eq!(lab.only_run().meta.corpus_dir, corpus);
    let data = lab.path().join("new").join("data");
    let o = lab
        .iolab()
        .args([
            "corpus",
            "create",
            "--files",
            "3",
            "--lines",
            "2",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        1,
        "one corpus in the new data folder"
    );
}

/// A data folder named with a space, a command substitution and UTF-8:
/// every Python reference scenario of `experiments/claims.toml` and a `cp`
/// command run on it, verified, and the substitution never runs.
#[test]
fn a_hostile_data_folder_name_is_one_shell_word() {
    let lab = Lab::new();
    let data = lab.path().join("données ü $(touch pwned) x$(touch y)");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scripts = repo.join("scripts");
    let setup = iolab::experiment::python::ensure_packages(&scripts);
    println!("{setup}");
    let packages = !matches!(setup, iolab::experiment::python::Setup::Unavailable(_));
    let mut c = lab.iolab();
    c.env("IOLAB_DATA_DIR", &data)
        .arg("run")
        .arg(repo.join("experiments").join("claims.toml"))
        .args([
            "--only",
            "command",
            "--files",
            "1000",
            "--lines",
            "3",
            "--reps",
            "1",
            "--warmup",
            "0",
            "--settle",
            "0",
            "--no-progress",
        ])
        .arg("--out")
        .arg(lab.results());
    let o = bounded(&mut c, Duration::from_secs(600));
    assert!(o.status.success(), "{}", text(&o));
    let run = lab.only_run();
    let python: Vec<_> = run
        .summary
        .iter()
        .filter(|s| s.strategy == iolab::strategy::StrategyKind::Command)
        .collect();
    assert!(python.len() >= 10, "{:#?}", run.summary);
    for s in &python {
        let needs_packages = s.scenario_id.contains("aiofile");
        if s.status == SummaryStatus::Unavailable && needs_packages && !packages {
            println!("skipped {}: {}", s.scenario_id, s.detail);
            continue;
        }
        assert_eq!(
            (s.status, s.n_verified, s.n),
            (SummaryStatus::Ok, 1, 1),
            "{s:#?}"
        );
    }
    // A cp-like command on the same folder.
    let mut c = lab.iolab();
    c.env("IOLAB_DATA_DIR", &data)
        .args([
            "run",
            "--workload",
            "copy",
            "--strategy",
            "command",
            "--command",
            "cp {corpus}/data-*.csv {dest}/",
            "--files",
            "30",
            "--lines",
            "3",
            "--reps",
            "1",
            "--warmup",
            "0",
            "--settle",
            "0",
            "--no-progress",
            "--no-baseline",
            "--out",
        ])
        .arg(lab.path().join("cp-results"));
    let o = bounded(&mut c, Duration::from_secs(120));
    assert!(o.status.success(), "{}", text(&o));
    let dir = std::fs::read_dir(lab.path().join("cp-results"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let cp = iolab::results::load(&dir).unwrap();
    assert_eq!(cp.summary.len(), 1);
    assert_eq!(
        (cp.summary[0].status, cp.summary[0].n_verified),
        (SummaryStatus::Ok, 1),
        "{:#?}",
        cp.summary
    );
    for name in ["pwned", "y"] {
        for place in [lab.path(), Path::new("."), &repo, &scripts] {
            assert!(
                !place.join(name).exists(),
                "{name} made in {}",
                place.display()
            );
        }
    }
    let found = Command::new("find")
        .arg(lab.path())
        .args(["-name", "pwned", "-o", "-name", "y"])
        .output()
        .unwrap();
    assert!(
        found.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&found.stdout)
    );
}
