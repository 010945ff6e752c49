//! Experiment files driven through the real `iolab` binary: validation
//! errors with file, line and column; grid expansion; meaningless
//! combinations skipped; a tiny experiment end to end.

mod util;

use std::path::PathBuf;
use std::process::Output;

use iolab::results::SummaryStatus;
use util::{stderr, text, Lab};

/// Write `body` as `<lab>/<name>` and return its path.
fn experiment(lab: &Lab, name: &str, body: &str) -> PathBuf {
    let path = lab.path().join(name);
    std::fs::write(&path, body).expect("write experiment");
    path
}

/// `iolab run <files> [extra]` in the lab, no progress bars, results in the lab.
fn run(lab: &Lab, files: &[&PathBuf], extra: &[&str]) -> Output {
    let mut c = lab.iolab();
    c.arg("run");
    for f in files {
        c.arg(f);
    }
    c.args(["--no-progress", "--out"]).arg(lab.results());
    c.args(extra);
    c.output().expect("run iolab")
}

/// The scenario lines of `--dry-run` (`<experiment>/<id>`).
fn listed(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.starts_with(' ') && l.contains('/') && !l.contains(':'))
        .map(str::to_string)
        .collect()
}

const TINY: &str = "reps = 3\nwarmup = 0\nsettle = \"0\"\n\n[corpus]\nfiles = 20\nlines = 5\n\n";

#[test]
fn unknown_key_names_line_column_and_allowed_keys() {
    let lab = Lab::new();
    let f = experiment(
        &lab,
        "bad.toml",
        &format!("{TINY}[[grid]]\nworkload = [\"read\"]\nworkerz = [2]\n"),
    );
    let o = run(&lab, &[&f], &["--dry-run"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "bad.toml:11:1: unknown field `workerz` in [[grid]] 1 (unnamed); allowed keys: "
        ),
        "names the block: {err}"
    );
    assert!(
        err.contains(" workers, ") && err.contains(" append_lines, "),
        "lists the allowed keys, the workloads' knobs among them: {err}"
    );
    assert_eq!(lab.run_count(), 0, "nothing ran");
}

#[test]
fn wrong_type_names_line_column_key_and_what_is_allowed() {
    let lab = Lab::new();
    let f = experiment(
        &lab,
        "bad.toml",
        "reps = \"five\"\n[[grid]]\nworkload = [\"read\"]\n",
    );
    let o = run(&lab, &[&f], &["--dry-run"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        err.contains("bad.toml:1:8: reps = \"five\": expected an integer from 1 to 1000"),
        "{err}"
    );
    let f = experiment(&lab, "list.toml", "[[grid]]\nworkload = \"read\"\n");
    let err = stderr(&run(&lab, &[&f], &["--dry-run"]));
    assert!(
        err.contains("list.toml:2:12: [[grid]] workload = \"read\": expected a list"),
        "{err}"
    );
}

#[test]
fn reps_auto_in_a_file_plans_from_three_to_its_most() {
    let lab = Lab::new();
    let body = TINY.replace("reps = 3", "reps = \"auto:6\"");
    let f = experiment(
        &lab,
        "auto.toml",
        &format!("{body}[[grid]]\nworkload = [\"read\"]\n"),
    );
    let o = run(&lab, &[&f], &["--dry-run", "--ci-width", "20"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("0 warm-up + 3 to 6 (auto: until the median's interval spans ≤ 20 % of it) measured repetitions each"),
        "{out}"
    );
    let f = experiment(
        &lab,
        "bad.toml",
        &format!(
            "{}[[grid]]\nworkload = [\"read\"]\n",
            TINY.replace("reps = 3", "reps = \"auto:x\"")
        ),
    );
    let err = stderr(&run(&lab, &[&f], &["--dry-run"]));
    assert!(
        err.contains(
            "bad.toml:1:8: reps = \"auto:x\": expected an integer from 1 to 1000, \"auto\""
        ),
        "{err}"
    );
}

#[test]
fn out_of_range_value_names_key_value_and_allowed_range() {
    let lab = Lab::new();
    let f = experiment(
        &lab,
        "range.toml",
        &format!(
            "{TINY}[[grid]]\nworkload = [\"read\"]\nstrategy = [\"threads\"]\nworkers = [2, 0]\n"
        ),
    );
    let o = run(&lab, &[&f], &["--dry-run"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("range.toml:12:15: grid.workers = 0: allowed 1 to 1024"),
        "{err}"
    );
}

#[test]
fn unknown_names_list_what_is_allowed_even_in_a_scale_table() {
    let lab = Lab::new();
    let f = experiment(
        &lab,
        "names.toml",
        &format!(
            "{TINY}[[grid]]\nworkload = [\"read\"]\n\n[grid.scale.seed]\nworkload = [\"raed\"]\n"
        ),
    );
    let err = stderr(&run(&lab, &[&f], &["--dry-run"]));
    assert!(
        err.contains("names.toml:13:13: grid.workload = \"raed\": allowed: read, write, copy"),
        "{err}"
    );
    let f = experiment(
        &lab,
        "scale.toml",
        "[scale.fast]\nreps = 3\n[[grid]]\nworkload = [\"read\"]\n",
    );
    let err = stderr(&run(&lab, &[&f], &["--dry-run"]));
    assert!(
        err.contains(
            "scale.toml:1:8: unknown field `fast`, expected one of `quick`, `default`, `seed`"
        ),
        "{err}"
    );
}

#[test]
fn grid_expands_to_the_product_of_the_lists_that_apply() {
    let lab = Lab::new();
    // sequential: 1; threads: 2 workers; processes: 2 workers × 2 batches → 7 strategies × 2 caches.
    let f = experiment(
        &lab,
        "grid.toml",
        &format!(
            "{TINY}[[grid]]\nworkload = [\"read\"]\nstrategy = [\"sequential\", \"threads\", \"processes\"]\n\
             workers = [2, 4]\nbatch = [1, 8]\ncache = [\"warm\", \"cold\"]\n\n[grid.scale.default]\nworkers = [2]\n"
        ),
    );
    let o = run(&lab, &[&f], &["--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    let ids = listed(&o);
    assert_eq!(ids.len(), 14, "{ids:#?}");
    assert!(
        ids.contains(&"grid/read/whole/processes-4-b8/cold".to_string()),
        "{ids:#?}"
    );
    // At default scale the block's own override takes 2 workers only.
    let o = run(&lab, &[&f], &["--dry-run", "--scale", "default"]);
    assert_eq!(listed(&o).len(), 8, "{}", text(&o));
    // --only keeps matching scenarios with their baselines.
    let o = run(&lab, &[&f], &["--dry-run", "--only", "threads-4"]);
    let only = listed(&o);
    assert_eq!(only.len(), 4, "{only:#?}");
    assert!(only.contains(&"grid/read/whole/sequential/cold".to_string()));
}

#[test]
fn meaningless_combinations_are_skipped_with_a_note() {
    let lab = Lab::new();
    let f = experiment(
        &lab,
        "skip.toml",
        &format!(
            "{TINY}[[grid]]\nworkload = [\"write\", \"scan\"]\nvariant = [\"mmap\", \"one-write\"]\n\
             strategy = [\"sequential\", \"tokio\"]\nworkers = [2]\ncache = [\"warm\", \"cold\"]\n"
        ),
    );
    let o = run(&lab, &[&f], &["--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    // write: mmap is not its variant (1); write cold × 2 strategies (2);
    // scan: one-write is not its variant (1); tokio × scan mmap × 2 caches (2).
    assert!(out.contains("skipped 6 meaningless combinations"), "{out}");
    assert!(out.contains("tokio cannot run scan mmap"), "{out}");
    assert!(out.contains("a cold cache means nothing"), "{out}");
    let ids = listed(&o);
    assert!(
        !ids.iter()
            .any(|i| i.contains("tokio") && i.contains("mmap")),
        "{ids:#?}"
    );
    assert_eq!(
        ids.len(),
        4,
        "write warm × 2, scan mmap sequential × 2 caches: {ids:#?}"
    );
}

#[test]
fn files_run_together_must_agree_on_the_corpus() {
    let lab = Lab::new();
    let a = experiment(
        &lab,
        "a.toml",
        &format!("{TINY}[[grid]]\nworkload = [\"read\"]\n"),
    );
    let b = experiment(
        &lab,
        "b.toml",
        "[corpus]\nfiles = 30\n[[grid]]\nworkload = [\"write\"]\n",
    );
    let err = stderr(&run(&lab, &[&a, &b], &["--dry-run"]));
    assert!(err.contains("corpus files: "), "{err}");
    assert!(
        err.contains("a.toml:6:9 sets 20") && err.contains("b.toml:2:9 sets 30"),
        "{err}"
    );
}

#[test]
fn a_tiny_experiment_runs_end_to_end() {
    let lab = Lab::new();
    let f = experiment(
        &lab,
        "tiny.toml",
        &format!(
            "{TINY}[[grid]]\nworkload = [\"read\", \"write\"]\nstrategy = [\"sequential\", \"threads\"]\n\
             workers = [2]\n\n[[grid]]\nworkload = [\"append\"]\nvariant = [\"mutex\"]\nstrategy = [\"threads\"]\n\
             workers = [2]\nappend_lines = [50]\nbaseline = false\n"
        ),
    );
    let o = run(&lab, &[&f], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let run = lab.only_run();
    assert_eq!(run.summary.len(), 5, "{:#?}", run.summary);
    assert!(
        run.summary
            .iter()
            .all(|s| s.status == SummaryStatus::Ok && s.n == 3 && s.n_verified == 3),
        "{:#?}",
        run.summary
    );
    assert!(run.summary.iter().all(|s| s.experiment == "tiny"));
    assert_eq!(run.meta.plan.corpus.files, 20);
    assert_eq!(run.meta.plan.reps, 3);
    assert_eq!(run.meta.experiment_files.len(), 1);
    assert!(run.meta.experiment_files[0]
        .1
        .contains("append_lines = [50]"));
    let threads = run
        .summary
        .iter()
        .find(|s| s.scenario_id == "read/whole/threads-2/warm")
        .expect("threads row");
    assert!(threads.speedup.is_some(), "speedup over the added baseline");
    // The claims command reads the same folder.
    let claims = lab
        .iolab()
        .arg("claims")
        .arg(&run.dir)
        .output()
        .expect("claims");
    assert!(claims.status.success(), "{}", text(&claims));
    let out = String::from_utf8_lossy(&claims.stdout);
    assert!(
        out.contains("save-process-pool") && out.contains("not tested"),
        "{out}"
    );
    assert!(out.contains("append-needs-lock"), "{out}");
}

#[test]
fn first_files_runs_per_file_workloads_on_a_subset() {
    let lab = Lab::new();
    let scripts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/python");
    let f = experiment(
        &lab,
        "subset.toml",
        &format!(
            "{TINY}[[grid]]\nworkload = [\"write\", \"read\", \"atomic-save\", \"append\"]\nvariant = [\"one-write\", \"whole\", \"rename\", \"mutex\"]\n\
             strategy = [\"threads\", \"processes\"]\nworkers = [2]\nappend_lines = [50]\nfirst_files = [5]\n\n\
             [[grid]]\nname = \"python\"\nworkload = [\"read\"]\nstrategy = [\"command\"]\nworkers = [2]\nfirst_files = [7]\n\
             command = [\"python3 {}/load_sequential.py {{corpus}} {{dest}} {{workers}} {{files}}\", \"cat {{corpus}}/data-00000.csv\"]\nbaseline = false\n",
            scripts.display()
        ),
    );
    let o = run(&lab, &[&f], &["--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("first_files applies to the workloads"),
        "append is skipped: {out}"
    );
    assert!(
        out.contains("needs `{files}` in the template"),
        "cat is skipped: {out}"
    );
    let o = run(&lab, &[&f], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let done = lab.only_run();
    // write, read, atomic-save × (threads, processes, sequential) + python read.
    assert_eq!(done.summary.len(), 10, "{:#?}", done.summary);
    for s in &done.summary {
        assert_eq!((s.status, s.n_verified), (SummaryStatus::Ok, 3), "{s:#?}");
        let want = if s.strategy == iolab::strategy::StrategyKind::Command {
            "+first-7"
        } else {
            "+first-5"
        };
        assert!(s.variant.ends_with(want), "{}", s.variant);
    }
    for r in done
        .rows
        .iter()
        .filter(|r| r.strategy != iolab::strategy::StrategyKind::Command)
    {
        assert_eq!(
            r.tasks, 5,
            "{}: one task per file of the subset",
            r.scenario_id
        );
    }
    // The Python program read exactly the first 7 files (its bytes= report
    // is checked against them).
    let python = done
        .summary
        .iter()
        .find(|s| s.strategy == iolab::strategy::StrategyKind::Command)
        .unwrap();
    assert!(
        python.scenario_id.contains("load_sequential"),
        "{python:#?}"
    );

    // More files than the corpus holds is an error before anything runs.
    let big = experiment(
        &lab,
        "big.toml",
        &format!("{TINY}[[grid]]\nworkload = [\"read\"]\nfirst_files = [21]\n"),
    );
    let err = stderr(&run(&lab, &[&big], &["--dry-run"]));
    assert!(
        err.contains("asks for the first 21 files, but the corpus has 20"),
        "{err}"
    );
}

/// The repository's `experiments/` folder.
fn repo_experiments() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../experiments")
}

/// `iolab bench-all --dry-run` on the repository's experiment files.
fn bench_all_plan(lab: &Lab, extra: &[&str]) -> String {
    let o = lab
        .iolab()
        .arg("bench-all")
        .arg("--experiments")
        .arg(repo_experiments())
        .args(["--dry-run", "--no-python-setup"])
        .args(extra)
        .output()
        .expect("run iolab");
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn bench_all_repeats_automatically_within_its_scales_budget_unless_told() {
    let lab = Lab::new();
    let quick = bench_all_plan(&lab, &["--scale", "quick"]);
    assert!(
        quick.contains("0 warm-up + 3 to 10 (auto: until the median's interval spans ≤ 10 % of it, or after 75 s) measured repetitions each"),
        "{quick}"
    );
    let default = bench_all_plan(&lab, &["--scale", "default"]);
    assert!(
        default.contains(
            "3 to 10 (auto: until the median's interval spans ≤ 10 % of it, or after 900 s)"
        ),
        "{default}"
    );
    // --budget and --ci-width replace the default's; --reps N wins.
    let budget = bench_all_plan(
        &lab,
        &["--scale", "quick", "--budget", "30s", "--ci-width", "5"],
    );
    assert!(
        budget.contains(
            "3 to 10 (auto: until the median's interval spans ≤ 5 % of it, or after 30 s)"
        ),
        "{budget}"
    );
    let fixed = bench_all_plan(&lab, &["--scale", "quick", "--reps", "4"]);
    assert!(
        fixed.contains("0 warm-up + 4 measured repetitions each"),
        "{fixed}"
    );
    let max = bench_all_plan(&lab, &["--scale", "quick", "--reps", "auto:6"]);
    assert!(
        max.contains("3 to 6 (auto: until the median's interval spans ≤ 10 % of it)"),
        "{max}"
    );
    // The save and copy grids run at both durabilities that matter to users.
    for id in [
        "claims/write/one-write/processes-8-b1/warm",
        "claims/write/one-write,end-sync/processes-8-b1/warm",
        "claims/copy/loop,chunk=64KiB,end-sync/threads-100/warm",
        "copy/copy/loop,chunk=64KiB,end-sync/threads-16/warm",
        "save/write/one-write,end-sync/threads-4/warm",
    ] {
        assert!(quick.lines().any(|l| l == id), "{id} not planned:\n{quick}");
    }
    // The Python programs never fsync: none only.
    assert!(
        !quick
            .lines()
            .any(|l| l.contains("command-") && l.contains("end-sync")),
        "{quick}"
    );
}

/// The scenario lines of a dry-run plan (`<experiment>/<id>`).
fn scenario_lines(plan: &str) -> Vec<&str> {
    plan.lines()
        .filter(|l| !l.starts_with(' ') && l.matches('/').count() >= 4)
        .collect()
}

#[test]
fn bench_all_runs_the_quick_crossover_at_quick_scale_and_the_full_sweep_when_asked() {
    let lab = Lab::new();
    let quick = bench_all_plan(&lab, &["--scale", "quick"]);
    // The quick crossover: the four claims' scenarios at each latency and
    // the twin.
    for lat in [
        "lat=0,meta=0",
        "lat=100us,meta=100us",
        "lat=1ms,meta=1ms",
        "lat=2ms,meta=2ms",
    ] {
        for id in [
            "write/one-write+first-100+on-emulated:LAT,qd=16/processes-8-b1/warm",
            "write/one-write+first-100+on-emulated:LAT,qd=16/tokio-8-c8/warm",
            "write/one-write+first-100+on-emulated:LAT,qd=16/sequential/warm",
            "read/whole+first-100+on-emulated:LAT,qd=16/sequential/warm",
            "copy/loop,chunk=64KiB+first-100+on-emulated:LAT,qd=16/threads-100/warm",
        ] {
            let id = format!("storage/{}", id.replace("LAT", lat));
            assert!(quick.lines().any(|l| l == id), "{id} not planned:\n{quick}");
        }
    }
    assert!(!quick.contains("lat=20us"), "{quick}");
    // The default scale runs no emulated storage, unless --storage-sweep.
    let default = bench_all_plan(&lab, &["--scale", "default"]);
    assert!(!default.contains("emulated"), "{default}");
    let sweep = bench_all_plan(&lab, &["--scale", "default", "--storage-sweep"]);
    for lat in ["lat=0,meta=0", "lat=20us", "lat=500us", "lat=2ms"] {
        let planned = scenario_lines(&sweep)
            .into_iter()
            .filter(|l| l.starts_with("storage-sweep/") && l.contains(lat))
            .count();
        assert!(planned >= 20, "{lat}: {planned} scenarios\n{sweep}");
    }
    assert_eq!(
        scenario_lines(&sweep).len(),
        scenario_lines(&default).len()
            + scenario_lines(&sweep)
                .iter()
                .filter(|l| l.starts_with("storage-sweep/"))
                .count(),
        "the sweep adds its own scenarios only"
    );
}

#[test]
fn bench_all_storage_puts_every_scenario_on_each_storage_listed() {
    let lab = Lab::new();
    let load = |storage: &[&str]| {
        let plan = bench_all_plan(
            &lab,
            &[&["--scale", "quick", "--only", "load/"], storage].concat(),
        );
        scenario_lines(&plan)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<String>>()
    };
    let plain = load(&[]);
    let both = load(&["--storage", "data-dir,tmpfs"]);
    assert!(!plain.is_empty());
    for id in &plain {
        assert!(both.contains(id), "{id} left out:\n{both:?}");
        // `load/read/whole/…` on tmpfs is `load/read/whole+on-tmpfs/…`.
        let mut parts: Vec<String> = id.split('/').map(str::to_string).collect();
        parts[2].push_str("+on-tmpfs");
        let on = parts.join("/");
        assert!(both.contains(&on), "{on} not planned:\n{both:?}");
    }
    assert_eq!(both.len(), 2 * plain.len(), "{both:?}");
    // Each emulated value brings its twin; a bad value is one line.
    let emulated = load(&["--storage", "emulated:lat=1ms"]);
    assert_eq!(emulated.len(), 2 * plain.len(), "{emulated:?}");
    assert!(emulated.iter().all(|l| l.contains("+on-emulated:")));
    let o = lab
        .iolab()
        .args(["bench-all", "--dry-run", "--storage", "tmpfs,nfs"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--storage") && err.contains("nfs"), "{err}");
}
