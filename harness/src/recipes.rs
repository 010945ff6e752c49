//! The recipes of `docs/ARCHITECTURE.md` for adding a workload, a strategy
//! and a knob, proved (test builds only): `workload/probe.rs` and
//! `strategy/reverse.rs` are a workload and a strategy added by those
//! recipes, each with a knob of a new key, registered by `#[cfg(test)]`
//! lines of the registration lists. These tests check the files each
//! touches, and that the new ones are flags of `run`, keys of experiment
//! files with their checks, rows of `iolab describe`, and run through the
//! real runner. A module of its own at the top, so the tests' use of every
//! layer adds no edge into `strategy` or `workload`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::cli::{Command, STRATEGY_KNOBS, WORKLOAD_KNOBS};

/// The files of `src/` whose text holds `needle`, relative to `src/`.
fn files_with(needle: &str) -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter(|p| std::fs::read_to_string(p).unwrap().contains(needle))
        .map(|p| p.strip_prefix(&src).unwrap().display().to_string())
        .collect()
}

fn set(files: &[&str]) -> BTreeSet<String> {
    files.iter().map(|f| f.to_string()).collect()
}

/// The recipes' counts, on this tree: a workload is its module and two
/// lines of `workload/mod.rs`; a strategy its module and two lines of
/// `strategy/mod.rs`; a knob, its description in the module that
/// declares it (its key appears nowhere else but in these tests). And the
/// architecture page names these proofs.
#[test]
fn the_recipes_touch_the_files_the_architecture_page_states() {
    let probe = concat!("Probe", "Spec");
    assert_eq!(
        files_with(probe),
        set(&["workload/mod.rs", "workload/probe.rs"])
    );
    let reverse = concat!("Reverse", "Spec");
    assert_eq!(
        files_with(reverse),
        set(&["strategy/mod.rs", "strategy/reverse.rs"])
    );
    for key in ["probe_bytes", "probe-bytes"] {
        let owners = files_with(key);
        assert!(
            owners.is_subset(&set(&["workload/probe.rs", "recipes.rs"])),
            "{key}: {owners:?}"
        );
    }
    let owners = files_with("reverse_lanes");
    assert!(
        owners.is_subset(&set(&["strategy/reverse.rs", "recipes.rs"])),
        "{owners:?}"
    );
    assert!(owners.contains("strategy/reverse.rs"));
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ARCHITECTURE.md"),
    )
    .unwrap();
    for proof in ["workload/probe.rs", "strategy/reverse.rs"] {
        assert!(page.contains(proof), "the architecture page names {proof}");
    }
}

/// Each new knob is a flag of `run`, with its description's help under
/// its heading, taking a list and checked as a file's value is.
#[test]
fn the_new_knobs_are_flags_of_run() {
    let command = crate::cli::command().unwrap();
    let run = command.find_subcommand("run").unwrap();
    let expected = [
        ("probe_bytes", "--probe-bytes", WORKLOAD_KNOBS, "probe: bytes each task reads from its file [default: 16]; allowed 1 byte to 64KiB"),
        ("reverse_lanes", "--reverse-lanes", STRATEGY_KNOBS, "reverse: lanes joined on the calling thread, each taking the next task from the end [default: 1]; allowed 1 to 64"),
    ];
    for (key, flag, heading, help) in expected {
        let arg = run.get_arguments().find(|a| a.get_id() == key).unwrap();
        assert_eq!(arg.get_long(), Some(&flag[2..]));
        assert_eq!(arg.get_help_heading(), Some(heading));
        let text = arg.get_help().unwrap().to_string();
        assert!(text.ends_with(help), "{text}");
    }
    for (bad, message) in [
        (
            "--probe-bytes=8,0",
            "--probe-bytes 0: allowed 1 byte to 64KiB",
        ),
        ("--reverse-lanes=65", "--reverse-lanes 65: allowed 1 to 64"),
    ] {
        let args = plan_args("/nowhere", &[bad]);
        assert_eq!(plan_of(&args).unwrap_err(), message);
    }
}

/// The new keys in an experiment file: checked with the file's place,
/// typed by their descriptions, expanded.
#[test]
fn the_new_knobs_are_keys_of_experiment_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.toml");
    let grid = "[[grid]]\nworkload = [\"probe\"]\nstrategy = [\"backwards\"]\n";
    let load = |extra: &str| {
        std::fs::write(&file, format!("{grid}{extra}")).unwrap();
        crate::experiment::Experiment::load(&file).map_err(|e| e.to_string())
    };
    for (extra, message) in [
        (
            "probe_bytes = [\"8\", \"0\"]\n",
            "/x.toml:4:21: grid.probe_bytes = \"0\": allowed 1 byte to 64KiB",
        ),
        (
            "probe_bytes = [8]\n",
            "/x.toml:4:16: [[grid]] probe_bytes = 8: expected a size in quotes from 1 byte to 64KiB, such as \"16\"",
        ),
        (
            "reverse_lanes = [0]\n",
            "/x.toml:4:18: grid.reverse_lanes = 0: allowed 1 to 64",
        ),
    ] {
        let err = load(extra).unwrap_err();
        assert!(err.ends_with(message), "{err}");
    }
    let e = load(
        "probe_bytes = [\"8\", \"1KiB\"]\nvariant = [\"head\", \"tail\"]\nreverse_lanes = [2]\n",
    )
    .unwrap();
    let x = e.expand(crate::corpus::Scale::Quick, 0).unwrap();
    let ids: Vec<&str> = x.scenarios.iter().map(|s| s.id.as_str()).collect();
    assert!(
        ids.contains(&"probe/tail,probe_bytes=1KiB/reverse-2/warm"),
        "{ids:?}"
    );
    assert_eq!(
        x.scenarios.len(),
        8,
        "4 probes under reverse, their 4 baselines: {ids:?}"
    );
}

/// `iolab describe` (and the README's tables) list them.
#[test]
fn describe_lists_the_new_workload_strategy_and_knobs() {
    let text = crate::catalog::text();
    for needle in [
        "\nprobe: read a few bytes",
        "  knob --probe-bytes SIZE (default 16; allowed 1 byte to 64KiB): bytes each task reads",
        "\nreverse: tasks last first",
        "  knob --reverse-lanes N (default 1; allowed 1 to 64): lanes joined",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    let markdown = crate::catalog::markdown();
    assert!(markdown.contains("| `probe` |") && markdown.contains("`reverse` (also `backwards`)"));
}

fn plan_args(dir: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "iolab",
        "run",
        "--workload",
        "probe",
        "--variant",
        "head,tail",
        "--probe-bytes",
        "8,1KiB",
        "--strategy",
        "reverse",
        "--reverse-lanes",
        "1,3",
        "--scratch-policy",
        "rotate",
        "--files",
        "12",
        "--lines",
        "4",
        "--settle",
        "0",
        "--reps",
        "2",
        "--warmup",
        "0",
        "--no-progress",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("{dir}/results"));
    args.extend(["--data-dir".to_string(), format!("{dir}/data")]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn plan_of(args: &[String]) -> Result<(crate::experiment::Plan, crate::cli::RunArgs), String> {
    let cli = crate::cli::parse_from(args).map_err(|e| format!("{e:?}"))?;
    let Command::Run(run) = cli.command else {
        return Err("not a run".into());
    };
    let planned = crate::cli::build_plan(&run).map_err(|e| e.to_string())?;
    Ok((planned.plan, *run))
}

/// The flags plan them, and the plan runs: every repetition of the new
/// workload under the new strategy (and under sequential, the
/// baseline) verified.
#[test]
fn the_new_workload_runs_under_the_new_strategy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().display().to_string();
    let (plan, args) = plan_of(&plan_args(&root, &[])).unwrap();
    assert_eq!(
        plan.scenarios.len(),
        12,
        "4 probes × 2 lane counts, 4 baselines"
    );
    let opts = crate::runner::RunOptions {
        data_dir: args.corpus.data_dir.clone(),
        corpus_dir: None,
        results_dir: args.output.out.clone(),
        run_id: Some("recipe".into()),
        progress: false,
        command_line: Vec::new(),
        experiment_files: Vec::new(),
        clients: crate::experiment::layout::ClientOptions::default(),
        calibrate: true,
        kernel_profile: false,
    };
    let outcome = crate::runner::run(&plan, &opts).unwrap();
    let run = crate::results::load(&outcome.dir).unwrap();
    let reverse = crate::strategy::kind("reverse").unwrap();
    let rows: Vec<_> = run.rows.iter().filter(|r| r.strategy == reverse).collect();
    assert_eq!(rows.len(), 8 * 2, "8 scenarios, 2 repetitions");
    for r in &run.rows {
        assert!(r.verified, "{}: {}", r.scenario_id, r.detail);
        assert_eq!(r.tasks, 12, "{}", r.scenario_id);
    }
    let calibrated = run
        .meta
        .dispatch
        .iter()
        .any(|d| d.strategy.starts_with("reverse("));
    assert!(calibrated, "{:?}", run.meta.dispatch);
}
