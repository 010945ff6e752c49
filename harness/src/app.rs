//! The program as a pipeline: one function per subcommand, each reading like
//! the steps in `docs/ARCHITECTURE.md`. Only `main` prints errors and picks
//! the exit code.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use crate::cli::{self, BenchAllArgs, Cli, Command, CorpusArgs, CorpusCommand, OutputArgs};
use crate::corpus::{self, Corpus};
use crate::experiment::{Plan, Scenario};
use crate::measure::cache::CacheState;
use crate::runner::{self, RunOptions};
use crate::strategy::Strategy;
use crate::workload::{ReadSpec, Workload, WriteSpec};

/// Exit code of a run that finished with failed or unverified scenarios.
pub const EXIT_FAILED_SCENARIOS: u8 = 2;

/// Carry out `cli`.
///
/// # Errors
/// Anything that stops the command; the message names the file, flag or value.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Corpus(c) => corpus_command(c),
        Command::Run(args) if !args.experiments.is_empty() => run_experiments(&args),
        Command::Run(args) => {
            let plan = cli::build_plan(&args)?;
            run_plan(&plan, &args.output, &args.corpus.data_dir)
        }
        Command::BenchAll(args) => bench_all(&args),
        Command::Report(args) => crate::report::command(&args),
        Command::Compare(args) => crate::report::compare_command(&args),
        Command::Claims(args) => crate::claims::command(&args),
        Command::Tune(args) => crate::tune::command(&args),
        Command::Worker => {
            crate::strategy::worker::main().context("worker process")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn corpus_command(command: CorpusCommand) -> anyhow::Result<ExitCode> {
    match command {
        CorpusCommand::Create(args) => create_corpus(&args),
        CorpusCommand::Verify { dir } => verify_corpus(&dir),
        CorpusCommand::Clean { dir } => {
            corpus::clean(&dir)?;
            println!("removed {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn create_corpus(args: &CorpusArgs) -> anyhow::Result<ExitCode> {
    let spec = cli::plan::corpus_spec(args, false)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| args.data_dir.join(spec.dir_name()));
    let bar = runner::progress_bar(0, true);
    let start = Instant::now();
    let (corpus, provenance) = Corpus::create_or_reuse(&dir, &spec, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let bytes = corpus.manifest.total_bytes;
    println!(
        "{provenance} {}: {} files, {:.1} MB in {secs:.2} s ({:.0} MB/s)",
        dir.display(),
        corpus.manifest.files.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

fn verify_corpus(dir: &Path) -> anyhow::Result<ExitCode> {
    let corpus = Corpus::open(dir)?;
    let report = corpus.verify(&|_, _| {})?;
    for m in &report.mismatches {
        println!("{m}");
    }
    if report.is_ok() {
        println!(
            "{}: {} files verified, {} bytes",
            dir.display(),
            report.files_checked,
            report.bytes_checked
        );
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!(
            "{}: {} mismatches (run `iolab corpus create` to regenerate)",
            dir.display(),
            report.mismatches.len()
        )
    }
}

/// `iolab run experiments/x.toml …`: the plan comes from experiment files.
fn run_experiments(args: &cli::RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "experiment files are not supported yet: {}",
        args.experiments.len()
    )
}

fn run_plan(plan: &Plan, output: &OutputArgs, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let opts = RunOptions {
        data_dir: data_dir.to_path_buf(),
        results_dir: output.out.clone(),
        run_id: output.run_id.clone(),
        progress: !output.no_progress,
        command_line: std::env::args().collect(),
        experiment_files: Vec::new(),
    };
    let outcome = runner::run(plan, &opts)?;
    runner::print_summary(&mut std::io::stdout().lock(), &outcome.summary)?;
    println!("\nresults: {}", outcome.dir.display());
    Ok(if outcome.had_failures {
        ExitCode::from(EXIT_FAILED_SCENARIOS)
    } else {
        ExitCode::SUCCESS
    })
}

/// The standard grid of `bench-all`: load and save under every in-process
/// and process strategy, warm and cold.
fn bench_all(args: &BenchAllArgs) -> anyhow::Result<ExitCode> {
    let workloads = [
        Workload::Read(ReadSpec::default()),
        Workload::Write(WriteSpec::default()),
    ];
    let strategies = [
        Strategy::Sequential,
        Strategy::Threads { workers: 2 },
        Strategy::Threads { workers: 4 },
        Strategy::Threads { workers: 8 },
        Strategy::Processes {
            workers: 4,
            batch: 16,
        },
    ];
    let mut scenarios = Vec::new();
    for w in &workloads {
        let caches: &[CacheState] = if w.inputs_matter() {
            &[CacheState::Warm, CacheState::Cold]
        } else {
            &[CacheState::Warm]
        };
        for s in &strategies {
            for c in caches {
                scenarios.push(Scenario::new("bench-all", w.clone(), s.clone(), *c));
            }
        }
    }
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    let corpus_args = CorpusArgs {
        dir: None,
        scale: args.scale,
        files: None,
        lines: None,
        values: None,
        large_file: None,
        data_dir: args.data_dir.clone(),
    };
    let plan = Plan {
        scenarios,
        corpus: cli::plan::corpus_spec(&corpus_args, false)?,
        reps: cli::plan::reps(args.measure.reps)?,
        warmup: args.measure.warmup,
        order: cli::plan::order(&args.measure),
        settle: cli::plan::settle(&args.measure)?,
        cold_method: args.measure.cold_method,
        bootstrap_seed: args.measure.seed,
    };
    run_plan(&plan, &args.output, &args.data_dir)
}
