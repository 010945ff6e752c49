//! `reverse` (test builds only): a strategy added exactly as
//! `docs/ARCHITECTURE.md` says a strategy is added — this file, and `mod
//! reverse;` with one line of the `strategies!` list in `strategy/mod.rs` —
//! with a knob whose key no other strategy has (`reverse_lanes`).
//! `workload/probe.rs` is the workload added the same way; the tests below
//! check the recipes: the files each touches, and that both get their
//! flags, their experiment-file keys and checks, their rows in `iolab
//! describe`, and run.
//!
//! It runs `reverse_lanes` lanes joined on the calling thread over the
//! blocking backend, each taking the next task from the end of the range.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::executor::block_on;
use futures::future::join_all;
use serde::{Deserialize, Serialize};

use super::lanes::{run_lane, TaskSource};
use super::local::{collect, prepare_failed, reserve};
use super::registry::{Shape, StrategySpec};
use super::{end_of_work, start_meter, Execution, StrategyError};
use crate::corpus::Corpus;
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, StrategyDesc};
use crate::io::Blocking;
use crate::workload::{TaskContext, Workload};

/// Lanes on the calling thread: a knob key of this strategy alone.
const LANES: KnobDesc = KnobDesc {
    key: "reverse_lanes",
    kind: KnobKind::Count { min: 1, max: 64 },
    default: "1",
    help: "lanes joined on the calling thread, each taking the next task from the end",
    variants: &[],
};

/// `reverse`: tasks last first, on the calling thread.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReverseSpec {
    /// Lanes joined on the calling thread.
    pub lanes: u32,
}

impl StrategySpec for ReverseSpec {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "reverse",
        aliases: &["backwards"],
        summary: "tasks last first, in lanes joined on the calling thread (a test's strategy)",
        knobs: &[LANES],
        lacks: &[],
        kills_workers: false,
        calibration_tasks: Some([2_000, 20_000]),
        colour: (120, 60, 20),
    };

    fn build(knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(ReverseSpec {
            lanes: knobs.count(&LANES)?,
        })
    }

    fn slug(&self) -> String {
        format!("reverse-{}", self.lanes)
    }

    fn shape(&self) -> Shape {
        Shape {
            workers: self.lanes,
            processes: 1,
            threads_per_process: 1,
            batch: None,
            program: None,
        }
    }

    fn execute(
        &self,
        workload: &Workload,
        ctx: &TaskContext,
        corpus: &Corpus,
        _kill_after: Option<u32>,
    ) -> Result<Execution, StrategyError> {
        let range = workload.task_range(ctx);
        let source = Backwards {
            start: range.start,
            end: AtomicU32::new(range.end),
        };
        let outputs = reserve(workload, ctx, self.lanes);
        let meter = start_meter();
        let clock = meter.clock();
        let io = Blocking;
        let (lanes, finish) = block_on(async {
            let shared = workload.prepare(&io, ctx).await?;
            let runs = outputs
                .into_iter()
                .map(|out| run_lane(&io, workload, ctx, &shared, &source, clock, out));
            let lanes = join_all(runs).await;
            Ok::<_, std::io::Error>((lanes, workload.finish(&io, shared).await))
        })
        .map_err(|e| prepare_failed(workload, e))?;
        let finish = finish.and_then(|()| end_of_work(workload, ctx));
        let usage = meter.stop();
        Ok(collect(usage, lanes, finish, workload, ctx, corpus))
    }
}

impl fmt::Display for ReverseSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reverse({} lanes)", self.lanes)
    }
}

/// The tasks `start..end`, handed out from the end.
struct Backwards {
    start: u32,
    end: AtomicU32,
}

impl TaskSource for Backwards {
    fn next(&self) -> Option<u32> {
        if crate::interrupt::stop_now() {
            return None;
        }
        let start = self.start;
        self.end
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |e| {
                (e > start).then(|| e - 1)
            })
            .ok()
            .map(|e| e - 1)
    }
}

#[cfg(test)]
mod tests {
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
    /// declares it (the key appears nowhere else but in these tests). And
    /// the architecture page names these proofs.
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
                owners.is_subset(&set(&["workload/probe.rs", "strategy/reverse.rs"])),
                "{key}: {owners:?}"
            );
        }
        assert_eq!(files_with("reverse_lanes"), set(&["strategy/reverse.rs"]));
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
        let e = load("probe_bytes = [\"8\", \"1KiB\"]\nvariant = [\"head\", \"tail\"]\nreverse_lanes = [2]\n").unwrap();
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
        assert!(
            markdown.contains("| `probe` |") && markdown.contains("`reverse` (also `backwards`)")
        );
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
}
