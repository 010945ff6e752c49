//! The program as a pipeline: one function per subcommand, each reading like
//! the steps in `docs/ARCHITECTURE.md`. Only `main` prints errors and picks
//! the exit code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use crate::cli::{self, BenchAllArgs, Cli, Command, CorpusArgs, CorpusCommand, OutputArgs};
use crate::clients::{self, Clients};
use crate::corpus::{self, Corpus};
use crate::experiment::layout::ClientOptions;
use crate::experiment::{Experiment, Plan, Planned, Settings};
use crate::interrupt::{self, EXIT_INTERRUPTED};
use crate::results::Named as _;
use crate::results::{SummaryRow, SummaryStatus};
use crate::runner::{self, RunOptions, RunOutcome};
use crate::strategy::StrategyKind;

/// Carry out `cli`.
///
/// # Errors
/// Anything that stops the command; the message names the file, flag or value.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let single_process = match &cli.command {
        // A worker process inherits its rank's launcher variables.
        Command::Run(_) | Command::Worker => None,
        Command::Describe(_) => Some("describe"),
        Command::Man => Some("man"),
        Command::Completions(_) => Some("completions"),
        Command::Corpus(_) => Some("corpus"),
        Command::BenchAll(_) => Some("bench-all"),
        Command::Report(_) => Some("report"),
        Command::Compare(_) => Some("compare"),
        Command::Claims(_) => Some("claims"),
        Command::Tune(_) => Some("tune"),
        Command::Calibrate(_) => Some("calibrate"),
        Command::Storage(_) => Some("storage"),
    };
    if let Some(name) = single_process {
        clients::refuse_under_launcher(name)?;
    }
    if matches!(
        cli.command,
        Command::Run(_) | Command::BenchAll(_) | Command::Corpus(CorpusCommand::Create(_))
    ) {
        interrupt::install()?;
    }
    match cli.command {
        Command::Corpus(c) => corpus_command(c),
        Command::Run(args) => run_as_clients(&args),
        Command::BenchAll(args) => bench_all(&args),
        Command::Report(args) => crate::report::command(&args.run_dir, &args.out),
        Command::Compare(args) => crate::report::compare_command(&args.request()),
        Command::Claims(args) => crate::claims::command(&args.run_dir),
        Command::Tune(args) => {
            let cfg = crate::cli::tune::tune_config(&args, crate::tune::cores())?;
            Ok(crate::tune::command(&cfg)?.verdict.exit()?)
        }
        Command::Describe(args) => {
            let tables = if args.markdown {
                crate::catalog::markdown()
            } else {
                crate::catalog::text()
            };
            print!("{tables}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate(args) => crate::calibrate::command(&cli::calibrate::request(&args)?),
        Command::Storage(command) => storage_command(&command),
        Command::Man => {
            cli::manual::man(&mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions(args) => {
            cli::manual::completions(args.shell, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker => {
            crate::strategy::worker::main().context("worker process")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `iolab storage list`, `probe` and `accuracy`.
fn storage_command(command: &cli::StorageCommand) -> anyhow::Result<ExitCode> {
    match command {
        cli::StorageCommand::List { markdown } => {
            let text = if *markdown {
                crate::storage::catalog::markdown()
            } else {
                crate::storage::catalog::text()
            };
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        cli::StorageCommand::Probe(args) => {
            crate::calibrate::storage::probe_command(&cli::calibrate::probe_request(args)?)
        }
        cli::StorageCommand::Accuracy(args) => {
            crate::calibrate::accuracy::accuracy_command(&cli::calibrate::accuracy_request(args)?)
        }
    }
}

fn corpus_command(command: CorpusCommand) -> anyhow::Result<ExitCode> {
    match command {
        CorpusCommand::Create(args) => create_corpus(&args),
        CorpusCommand::Verify { dir } => verify_corpus(&dir),
        CorpusCommand::Clean { dir: Some(dir), .. } => {
            println!("{}", corpus::clean(&dir)?);
            Ok(ExitCode::SUCCESS)
        }
        CorpusCommand::Clean {
            dir: None,
            data_dir,
            ..
        } => {
            println!("{}", corpus::clean_scratch(&data_dir)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn create_corpus(args: &CorpusArgs) -> anyhow::Result<ExitCode> {
    let spec = cli::plan::corpus_spec(args, false)?;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => {
            let dir = args.data_dir.join(spec.dir_name());
            corpus::check_placement(&dir, "a corpus")?;
            std::fs::create_dir_all(&args.data_dir)
                .with_context(|| format!("creating data folder {}", args.data_dir.display()))?;
            dir
        }
    };
    let bar = runner::progress_bar(0, true);
    let start = Instant::now();
    let (_notices, _note) = (interrupt::notices_above(&bar), runner::corpus_note(&dir));
    let (corpus, provenance, _lock) = Corpus::create_or_reuse(&dir, &spec, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let bytes = corpus.manifest.total_bytes;
    let folders = match spec.folders.shards() {
        Some(k) => format!(" in {k} folders shard-*"),
        None => String::new(),
    };
    println!(
        "{}: {} files{folders}, {:.1} MB in {secs:.2} s ({:.0} MB/s), {provenance}",
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
    for extra in &report.extra {
        println!(
            "{}: not named by the manifest (not used, kept)",
            extra.display()
        );
    }
    if report.is_ok() {
        println!(
            "{}: {} verified, {}",
            dir.display(),
            corpus::count(report.files_checked, "file", "files"),
            corpus::count(report.bytes_checked, "byte", "bytes")
        );
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!(
            "{}: {} (run `iolab corpus create` to regenerate)",
            dir.display(),
            corpus::count(report.mismatches.len() as u64, "mismatch", "mismatches")
        )
    }
}

/// `iolab run …` (and `run --resume`) on every rank of the clients (one
/// without a launcher). An error every rank meets alike (a flag, a plan,
/// a refusal the ranks agreed on: [`clients::Agreed`]) comes back on every
/// rank, for rank 0 alone to print, and every rank exits cleanly; any
/// other rank's error ends the whole job (MPI_Abort), so no rank waits
/// forever.
fn run_as_clients(args: &cli::RunArgs) -> anyhow::Result<ExitCode> {
    let c = &args.clients;
    let options = ClientOptions::from_flags(
        c.layout,
        c.reorder,
        (c.stonewall.as_deref(), c.stonewall_wearout),
    )?;
    let clients = clients::connect()?;
    let result = match &args.resume {
        Some(dir) => resume_run(dir, &args.output, clients.as_ref()),
        None => run_planned(args, clients.as_ref(), options),
    };
    match result {
        Err(e) if clients.size() > 1 && clients::agreed(&e) => {
            // Said by rank 0 while every rank is connected; then they
            // exit together.
            if clients.rank() == 0 {
                eprintln!("error: {e:#}");
            }
            clients.barrier();
            Err(clients::Reported.into())
        }
        Err(e) if clients.size() > 1 => {
            eprintln!("error: rank {}: {e:#}", clients.rank());
            clients.abort(1);
            Err(e)
        }
        result => result,
    }
}

/// `iolab run` with a plan from flags or from experiment files: the one
/// place where both kinds of plan exist, so `--dry-run` stops both before
/// anything is made (no corpus, data, scratch, results or run folder).
/// Every rank builds the plan and they agree on it before rank 0 says
/// what it holds.
fn run_planned(
    args: &cli::RunArgs,
    clients: &dyn Clients,
    options: ClientOptions,
) -> anyhow::Result<ExitCode> {
    let (planned, experiments) = clients::agree(clients, plan_of(args))?;
    // A grid of flags says what it holds only with --dry-run; what it
    // skipped it always says.
    if clients.rank() == 0 {
        match args.dry_run || !experiments.is_empty() {
            true => print_plan(&planned, experiments.len(), "run"),
            false => print_skipped(&planned),
        }
    }
    if args.dry_run {
        return match clients.rank() {
            0 => list_scenarios(&planned),
            _ => Ok(ExitCode::SUCCESS),
        };
    }
    let where_to = (
        &args.output,
        args.corpus.data_dir.as_path(),
        args.corpus.dir.as_deref(),
    );
    let outcome = run_plan(&planned, &experiments, where_to, clients, options)?;
    finish_run(&outcome, clients)
}

/// The plan of `iolab run`'s flags or experiment files, with those files.
fn plan_of(args: &cli::RunArgs) -> anyhow::Result<(Planned, Vec<Experiment>)> {
    if args.experiments.is_empty() {
        return Ok((cli::build_plan(args)?, Vec::new()));
    }
    let settings = cli::plan::run_settings(args)?;
    let experiments = load_experiments(&args.experiments)?;
    let planned = crate::experiment::plan(&experiments, &settings)?;
    Ok((planned, experiments))
}

/// `iolab run --resume RUN_DIR`, with as many ranks as the run had.
fn resume_run(dir: &Path, output: &OutputArgs, clients: &dyn Clients) -> anyhow::Result<ExitCode> {
    let outcome = runner::resume_clients(dir, !output.no_progress, clients)?;
    finish_run(&outcome, clients)
}

/// What `iolab run` prints at the end, and its exit code: the summary and
/// the verdict of the one failure policy ([`crate::results::outcome`]),
/// the same for flags and experiment files, or for an interrupted run how
/// to resume it. Ranks other than 0 print nothing and exit as rank 0 does.
fn finish_run(outcome: &RunOutcome, clients: &dyn Clients) -> anyhow::Result<ExitCode> {
    if clients.rank() > 0 {
        return Ok(match outcome.interrupted {
            true => ExitCode::from(EXIT_INTERRUPTED),
            false => ExitCode::from(outcome.verdict.exit_code()),
        });
    }
    if outcome.interrupted {
        return Ok(interrupted_exit(outcome, "run"));
    }
    let mut out = std::io::stdout().lock();
    runner::print_summary(&mut out, &outcome.summary)?;
    if let Ok(meta) = crate::results::read_meta(&outcome.dir) {
        let cores = meta.machine.logical_cpus;
        runner::print_footing(&mut out, &outcome.summary, cores, &meta.dispatch)?;
    }
    println!("\nresults: {}", outcome.dir.display());
    Ok(outcome.verdict.exit()?)
}

/// Say how far an interrupted run got and the exact command that resumes
/// it; exit 130.
fn interrupted_exit(outcome: &RunOutcome, subcommand: &str) -> ExitCode {
    eprintln!(
        "interrupted after {} of {} repetitions; {} holds the finished ones (summary.csv too)",
        outcome.rows,
        outcome.planned,
        outcome.dir.display()
    );
    eprintln!(
        "resume with: {}",
        runner::resume_command(subcommand, &outcome.dir)
    );
    ExitCode::from(EXIT_INTERRUPTED)
}

/// Load and check every experiment file before anything runs.
fn load_experiments(paths: &[PathBuf]) -> anyhow::Result<Vec<Experiment>> {
    let mut out: Vec<Experiment> = Vec::new();
    for p in paths {
        let e = Experiment::load(p)?;
        if let Some(other) = out.iter().find(|o| o.name == e.name) {
            anyhow::bail!(
                "{} and {} are both named {:?}: experiment names (file stems) must differ",
                other.source.file,
                e.source.file,
                e.name
            );
        }
        out.push(e);
    }
    Ok(out)
}

/// Merge the experiments into one plan and say what it holds and skips.
fn plan_experiments(
    experiments: &[Experiment],
    settings: &Settings,
    command: &str,
) -> anyhow::Result<Planned> {
    let planned = crate::experiment::plan(experiments, settings)?;
    print_plan(&planned, experiments.len(), command);
    Ok(planned)
}

/// One line of what `planned` holds (`experiments` files, or none for a
/// grid of flags), then the skipped combinations.
fn print_plan(planned: &Planned, experiments: usize, command: &str) {
    let p = &planned.plan;
    let per: Vec<String> = planned
        .per_experiment
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    let files = match experiments {
        0 => String::new(),
        n => format!("{n} experiments ({}), ", per.join(", ")),
    };
    println!(
        "{command}: {files}{} scenarios{}{}; {} warm-up + {} measured repetitions each, settle {} ms; corpus {}",
        p.scenarios.len(),
        if planned.shared > 0 { format!(" ({} shared between files)", planned.shared) } else { String::new() },
        if planned.excluded > 0 { format!(", {} left out by --only", planned.excluded) } else { String::new() },
        p.warmup,
        measured(p),
        p.settle.idle.as_millis(),
        p.corpus.dir_name(),
    );
    print_skipped(planned);
}

/// How many measured repetitions each scenario gets, in words.
fn measured(p: &Plan) -> String {
    match p.auto {
        None => p.reps.to_string(),
        Some(a) => format!(
            "{} to {} (auto: until the median's interval spans ≤ {} % of it{})",
            crate::stats::stopping::MIN_REPS.min(p.reps),
            p.reps,
            a.ci_width_pct,
            a.budget_s
                .map_or_else(String::new, |b| format!(", or after {b:.0} s"))
        ),
    }
}

/// `--dry-run`: the scenarios, one id per line, and stop.
fn list_scenarios(planned: &Planned) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for s in &planned.plan.scenarios {
        writeln!(out, "{}/{}", s.experiment, s.id)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Skipped combinations, one line per reason with a count and an example.
fn print_skipped(planned: &Planned) {
    if planned.skipped.is_empty() {
        return;
    }
    let mut by_reason: Vec<(String, usize, String)> = Vec::new();
    for (experiment, s) in &planned.skipped {
        let key = format!("{experiment}: {}", s.reason);
        match by_reason.iter_mut().find(|(k, _, _)| *k == key) {
            Some(entry) => entry.1 += 1,
            None => by_reason.push((key, 1, format!("{} ({})", s.combination, s.place))),
        }
    }
    println!(
        "skipped {} meaningless combinations:",
        planned.skipped.len()
    );
    for (reason, n, example) in by_reason {
        println!("  {n} × {reason}; e.g. {example}");
    }
}

/// Run `planned` (from flags, or from experiment files recorded with their
/// text in `run.json`).
fn run_plan(
    planned: &Planned,
    experiments: &[Experiment],
    (output, data_dir, corpus_dir): (&OutputArgs, &Path, Option<&Path>),
    clients: &dyn Clients,
    options: ClientOptions,
) -> anyhow::Result<RunOutcome> {
    let opts = RunOptions {
        data_dir: data_dir.to_path_buf(),
        corpus_dir: corpus_dir.map(Path::to_path_buf),
        results_dir: output.out.clone(),
        run_id: output.run_id.clone(),
        progress: !output.no_progress,
        command_line: std::env::args().collect(),
        experiment_files: experiments
            .iter()
            .map(|e| (e.source.file.clone(), e.source.text.clone()))
            .collect(),
        clients: options,
        calibrate: true,
        kernel_profile: output.kernel_profile,
    };
    runner::run_clients(&planned.plan, &opts, clients)
}

/// `iolab bench-all`: every experiment file in one run, then the report,
/// the headline findings and every claim's verdict.
fn bench_all(args: &BenchAllArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let outcome = match &args.resume {
        Some(dir) => {
            python_setup(args);
            runner::resume(dir, !args.output.no_progress)?
        }
        None => {
            let settings = cli::plan::bench_all_settings(args)?;
            let mut files = experiment_files(&args.experiments)?;
            if args.storage_sweep {
                files.push(args.experiments.join("extra").join("storage-sweep.toml"));
            }
            if !args.dry_run {
                python_setup(args);
            }
            let experiments = load_experiments(&files)?;
            let planned = plan_experiments(&experiments, &settings, "bench-all")?;
            if args.dry_run {
                return list_scenarios(&planned);
            }
            let where_to = (&args.output, args.data_dir.as_path(), None);
            run_plan(
                &planned,
                &experiments,
                where_to,
                &clients::Single,
                ClientOptions::default(),
            )?
        }
    };
    if outcome.interrupted {
        return Ok(interrupted_exit(&outcome, "bench-all"));
    }
    let progress = !args.output.no_progress;
    crate::calibrate::bench_all_section(&outcome.dir, &args.data_dir, progress);
    match crate::report::render_run(&outcome.dir, &args.reports) {
        Ok(path) => println!("report: {}", path.display()),
        Err(e) => println!("report: {e:#}"),
    }
    let run = crate::results::load(&outcome.dir)?;
    let mut out = std::io::stdout().lock();
    print_headline(&mut out, &run.summary)?;
    let cores = run.meta.machine.logical_cpus;
    runner::print_footing(&mut out, &run.summary, cores, &run.meta.dispatch)?;
    crate::claims::print_table(&mut out, &crate::claims::judge(&run))?;
    println!(
        "\nresults: {}\nbench-all took {:.0} s",
        outcome.dir.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(outcome.verdict.exit()?)
}

/// Install the Python reference programs' packages unless told not to.
fn python_setup(args: &BenchAllArgs) {
    if !args.no_python_setup {
        let scripts = crate::experiment::python::scripts_dir(&args.experiments);
        println!("{}", crate::experiment::python::ensure_packages(&scripts));
    }
}

/// The `*.toml` files of `dir`, sorted by name.
fn experiment_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "reading the experiments folder {} (pass --experiments DIR)",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{} holds no experiment files (*.toml)", dir.display());
    }
    Ok(files)
}

/// Per workload and cache state: the fastest scenario that verified, and its
/// speedup over the sequential run of the same variant.
fn print_headline(out: &mut impl Write, summary: &[SummaryRow]) -> std::io::Result<()> {
    let verified: Vec<&SummaryRow> = summary
        .iter()
        .filter(|r| r.status == SummaryStatus::Ok && r.n_verified == r.n && r.n > 0 && !r.killed())
        .collect();
    let mut best: Vec<&SummaryRow> = Vec::new();
    for r in crate::results::prefer_whole_corpus(&verified) {
        match best
            .iter_mut()
            .find(|b| b.workload == r.workload && b.cache == r.cache)
        {
            Some(b) if r.wall_median_s < b.wall_median_s => *b = r,
            Some(_) => {}
            None => best.push(r),
        }
    }
    writeln!(
        out,
        "\nFastest per workload (median wall time; speedup over sequential, same variant, 95% CI):"
    )?;
    for r in best {
        let speedup = match (r.speedup, r.speedup_ci_low, r.speedup_ci_high) {
            (Some(s), Some(lo), Some(hi)) if !r.is_strategy(StrategyKind::Sequential) => {
                format!("{s:.2}× [{lo:.2} … {hi:.2}]")
            }
            _ if r.is_strategy(StrategyKind::Sequential) => "— (sequential is fastest)".into(),
            _ => "— (no sequential baseline)".into(),
        };
        writeln!(
            out,
            "  {:<12} {:<5} {:<34} {:>10} (n = {})  {}",
            r.workload,
            r.cache,
            format!("{} · {}", r.strategy_shown(), r.variant),
            human_time(r.wall_median_s),
            r.n_verified,
            speedup
        )?;
    }
    Ok(())
}

/// Seconds in a readable unit.
fn human_time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}
