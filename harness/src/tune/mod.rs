//! Worker-count sweeps and the per-machine profile: `iolab tune`.
//!
//! Owns, one module per job: the settings ([`config`]); planning adaptive
//! sweeps and fitting them into a time budget ([`plan`], [`plan::budget`]);
//! sweeping, as rounds of ordinary runs through `crate::runner::run`,
//! and the sweep's run folders ([`sweep`]); the profile's data, built from
//! a sweep and compared with another ([`profile`]); the profile files and
//! `tuning.json` ([`files`]); the terminal tables ([`render`]). Does not
//! own: reading the flags (`crate::cli::tune`), the knee statistics
//! ([`knee`], re-exported from [`crate::stats::knee`]), measuring
//! (`runner`, `measure`) or rendering charts (`report`, which draws the
//! tuning section from `tuning.json`).
//!
//! The pipeline of [`command`], given its validated settings ([`TuneConfig`]) →
//! probe every workload (its sequential baseline, 2 repetitions) to learn
//! what a repetition costs → choose the repetitions per point (`--reps`, or
//! fewer, never below 3, when the budget needs it) → first pass: the first
//! `--strategy` for every workload; second pass: the others, each workload
//! getting a share of the budget in proportion to its estimated need →
//! rounds (sequential baseline and the next settings of every admitted
//! strategy, repetitions interleaved, run one repetition per plan so the
//! budget is checked between them) until each sweep stops → each strategy's
//! knee and the workload's recommendation → the profile
//! (`<profiles>/<host>-<date>.toml` and `.json`) and `tuning.json` → the
//! table → a comparison with `--compare` or with this host's previous
//! profile.
//!
//! The sweep's run folder `<out>/<run-id>/` (default `results/tune-<UTC
//! time>/`): `tuning.json` (curves and knees, [`record::TuningRecord`]),
//! `run.json`/`runs.csv`/`summary.csv` (every round merged as one standard
//! run), and `rounds/rNN-<workload>[-probe]/`, each a standard run folder
//! merging its parts (`warmup/`, `rep-1/`, …, each as written by
//! `crate::runner::run`).

pub mod config;
pub mod files;
pub mod knee;
pub mod plan;
pub mod profile;
pub mod render;
pub mod sweep;

pub use config::{Kind, TuneConfig};
pub use profile::Profile;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;

use crate::experiment::Plan;
use crate::results::{self, Machine};
use crate::runner::{self, RunOptions};
use files::record;
use plan::budget::{human_s, Budget};
use sweep::{folder, round, Observer, PlanResult, PlanRunner, RoundInfo, Sweep};

/// How a sweep ended, for the exit status the caller picks.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The sweep's rows under the one failure policy ([`results::outcome`]).
    pub verdict: results::Verdict,
}

/// `iolab tune` with its validated settings.
///
/// # Errors
/// An unreadable `--compare` profile, an existing run folder, or a harness
/// failure during a round; failed scenarios are recorded, not raised
/// ([`Outcome::verdict`]).
pub fn command(cfg: &TuneConfig) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let other = match &cfg.compare {
        Some(path) => Some((path.clone(), files::load(path)?)),
        None => None,
    };
    let dir = cfg.run_dir();
    create_run_dir(&dir)?;
    let mut runner = LiveRunner { cfg };
    let mut observer = LiveObserver { cfg };
    let mut ctx = sweep::Context {
        cfg,
        runner: &mut runner,
        observer: &mut observer,
        budget: Budget::new(cfg.budget),
    };
    let sweep = sweep::run(&mut ctx)?;
    let spent = ctx.budget.spent().as_secs_f64();
    let machine = Machine::describe(&cfg.data_dir.join(cfg.corpus.dir_name()));
    let info = profile::build::RunInfo {
        created_at: runner::now_rfc3339(),
        run_dir: dir.display().to_string(),
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        elapsed_s: started.elapsed().as_secs_f64(),
    };
    let prof = profile::build::build(cfg, &sweep, machine, info);
    let (toml_path, json_path) = files::write(&prof, &cfg.profiles)?;
    let rec = record::tuning_record(cfg, &sweep, spent, true, Some(&toml_path));
    record::write_tuning(&dir, &rec)?;
    folder::write_merged(&dir, cfg, &sweep)?;
    let mut out = std::io::stdout().lock();
    render::render(&mut out, &prof)?;
    println!(
        "\nprofile: {}\n         {}\nsweep:   {} (tuning.json, rounds/)",
        toml_path.display(),
        json_path.display(),
        dir.display()
    );
    let against = other.or_else(|| {
        files::previous(
            &cfg.profiles,
            (&prof.machine.hostname, prof.settings.storage),
            &toml_path,
        )
    });
    if let Some((path, there)) = against {
        println!();
        let cmp = profile::compare::compare(&prof, &there);
        render::compare::render(
            &mut out,
            &cmp,
            &toml_path.display().to_string(),
            &path.display().to_string(),
        )?;
    }
    Ok(Outcome {
        verdict: results::Verdict::of(&sweep.rows),
    })
}

/// Logical CPUs available to this process (1 if unknown).
pub fn cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX))
}

fn create_run_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        anyhow::bail!(
            "run folder {} exists already: choose another --run-id",
            dir.display()
        );
    }
    fs::create_dir_all(dir.join(folder::ROUNDS_DIR))
        .with_context(|| format!("creating run folder {}", dir.display()))
}

/// Runs rounds with `crate::runner::run` into `<run-dir>/rounds/`.
pub struct LiveRunner<'a> {
    /// The configuration.
    pub cfg: &'a TuneConfig,
}

impl PlanRunner for LiveRunner<'_> {
    fn run(&mut self, plan: &Plan, folder: &Path) -> anyhow::Result<PlanResult> {
        let target = self.cfg.run_dir().join(folder);
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            anyhow::bail!("no run folder name in {}", target.display());
        };
        let opts = RunOptions {
            data_dir: self.cfg.data_dir.clone(),
            corpus_dir: None,
            results_dir: parent.to_path_buf(),
            run_id: Some(name.to_string_lossy().into_owned()),
            progress: self.cfg.progress,
            command_line: std::env::args().collect(),
            experiment_files: Vec::new(),
            clients: crate::experiment::layout::ClientOptions::default(),
            // A sweep's rounds are runs of one repetition each: calibrating
            // every strategy again each round would cost more than it tells.
            calibrate: false,
            kernel_profile: false,
        };
        let t = Instant::now();
        let outcome = runner::run(plan, &opts)?;
        let loaded = results::load(&outcome.dir)?;
        Ok(PlanResult {
            dir: outcome.dir,
            summary: outcome.summary,
            rows: loaded.rows,
            meta: Some(loaded.meta),
            elapsed_s: t.elapsed().as_secs_f64(),
        })
    }
}

/// Prints each round and rewrites the sweep's files after it.
pub struct LiveObserver<'a> {
    /// The configuration.
    pub cfg: &'a TuneConfig,
}

impl Observer for LiveObserver<'_> {
    fn round_starting(&mut self, info: &RoundInfo, available_s: f64) {
        let what = if info.probe {
            "sequential probe".to_string()
        } else {
            format!("sequential + {}", info.settings.join(", "))
        };
        let estimate = round::describe_estimate(info.estimate_s);
        eprintln!(
            "round {} · {} · {what}{estimate} ({} left)",
            info.index,
            info.workload,
            human_s(available_s)
        );
    }

    fn round_finished(&mut self, sweep: &Sweep) -> anyhow::Result<()> {
        if let Some(r) = sweep.rounds.last() {
            eprintln!(
                "  done in {}, {} repetitions per point",
                human_s(r.elapsed_s),
                r.reps
            );
        }
        let dir: PathBuf = self.cfg.run_dir();
        let spent: f64 = sweep.rounds.iter().map(|r| r.elapsed_s).sum();
        let rec = record::tuning_record(self.cfg, sweep, spent, false, None);
        record::write_tuning(&dir, &rec)?;
        folder::write_merged(&dir, self.cfg, sweep)
    }
}
