//! Calibration against fio: the patterns both tools run (large-file
//! sequential read at the same chunk, 4 KiB random reads, reading the many
//! files, writing as many files), run by iolab and by fio on the same files
//! in the same cache state, interleaved, and reported as iolab ÷ fio per
//! pattern with a bootstrap interval (`iolab calibrate`, and a section of
//! `bench-all`). Without fio: one line, `unavailable: fio not installed`.
//!
//! Owns: the command and the bench-all section. Does not own: running a
//! repetition (`crate::runner`), cache control (`crate::measure::cache`),
//! statistics (`crate::stats`).

pub mod accuracy;
pub mod fio;
pub mod mpi;
pub mod output;
pub mod pattern;
mod session;
pub mod storage;

pub use output::{Calibration, Row};
pub use pattern::Pattern;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::corpus::{self, Corpus, CorpusSpec};
use crate::measure::cache::{CacheState, ColdMethod};
use crate::measure::quiet::Settle;
use crate::stats::{Bootstrap, Sample};

/// How the calibration measures.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Cache states, each pattern measured in each (write once).
    pub caches: Vec<CacheState>,
    /// Measured repetitions per tool and pattern.
    pub reps: u32,
    /// Discarded warm-up repetitions (pairs).
    pub warmup: u32,
    /// Alternate which tool goes first on odd repetitions.
    pub alternate: bool,
    /// Seed of both tools' random offsets and of the bootstrap.
    pub seed: u64,
    /// Quiet storage before each repetition of either tool.
    pub settle: Settle,
    /// How cold caches are made.
    pub cold_method: ColdMethod,
}

/// What `iolab calibrate` was asked to do, validated (built by `cli`).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// How to measure.
    pub config: Config,
    /// The corpus to calibrate on.
    pub spec: CorpusSpec,
    /// The corpus folder (`None`: under `data_dir`, named by the spec).
    pub corpus_dir: Option<PathBuf>,
    /// Where corpora and scratch folders live.
    pub data_dir: PathBuf,
    /// Where run folders go.
    pub out: PathBuf,
    /// The run folder's name (`None`: a new timestamp).
    pub run_id: Option<String>,
    /// Show progress.
    pub progress: bool,
    /// With `--mpi`: calibrate many clients against IOR and mdtest instead.
    pub mpi: Option<mpi::Launch>,
}

/// `iolab calibrate`: measure, print the table, write `calibration.csv`
/// and `calibration.json` into a new run folder.
///
/// # Errors
/// Bad flags, a path fio would misread, corpus or scratch failures.
pub fn command(req: &Request) -> anyhow::Result<ExitCode> {
    if let Some(launch) = &req.mpi {
        return mpi::command(req, launch);
    }
    let (cfg, spec) = (&req.config, &req.spec);
    let Some(program) = fio::locate() else {
        println!("calibration against fio: {}", fio::NOT_INSTALLED);
        return Ok(ExitCode::SUCCESS);
    };
    let (run_id, run_dir) = run_folder(req)?;
    let data_dir = &req.data_dir;
    let corpus_dir = req
        .corpus_dir
        .clone()
        .unwrap_or_else(|| data_dir.join(spec.dir_name()));
    let place = Place {
        corpus_dir: &corpus_dir,
        data_dir,
        scratch_id: &run_id,
    };
    let calibration = measure(&program, &place, spec, cfg, !req.progress)?;
    crate::safefs::Dir::create_all(&req.out)?.create_dir(&run_id)?;
    calibration.write(&run_dir)?;
    calibration.print(&mut std::io::stdout().lock())?;
    println!("\nresults: {}", run_dir.display());
    Ok(ExitCode::SUCCESS)
}

/// The run folder's id and path, refused when it exists already.
fn run_folder(req: &Request) -> anyhow::Result<(String, PathBuf)> {
    let run_id = req.run_id.clone().unwrap_or_else(crate::runner::new_run_id);
    let run_dir = req.out.join(&run_id);
    if std::fs::symlink_metadata(&run_dir).is_ok() {
        anyhow::bail!(
            "run folder {} exists already: pick another --run-id",
            run_dir.display()
        );
    }
    Ok((run_id, run_dir))
}

/// Both tools' medians, iolab ÷ the other's and that ratio's 95 %
/// bootstrap interval (or why it has none).
struct Medians {
    iolab: f64,
    other: f64,
    ratio: f64,
    interval: Result<(f64, f64), String>,
}

/// [`Medians`] of two tools' measured repetitions; `None` without any.
fn medians(iolab: Vec<f64>, other: Vec<f64>, seed: u64) -> Option<Medians> {
    let (Ok(iolab), Ok(other)) = (Sample::new(iolab), Sample::new(other)) else {
        return None;
    };
    let bootstrap = Bootstrap {
        seed,
        ..Bootstrap::default()
    };
    let interval = bootstrap
        .ratio_of_medians_ci(&iolab, &other)
        .map(|ci| (ci.low, ci.high))
        .map_err(|e| format!("no interval: {e}"));
    Some(Medians {
        iolab: iolab.median(),
        other: other.median(),
        ratio: iolab.median() / other.median(),
        interval,
    })
}

/// bench-all's section: calibrate on the run's own corpus with the run's
/// own settle, cold method and seed ([`bench_all_config`]), write the
/// record into the run folder and print the table. Never fails the bench:
/// a problem becomes the section's one line.
pub fn bench_all_section(run_dir: &Path, data_dir: &Path, progress: bool) {
    let calibration = match bench_all_calibration(run_dir, data_dir, progress) {
        Ok(c) => c,
        Err(e) => Calibration {
            unavailable: Some(format!("unavailable: {e:#}")),
            ..Calibration::default()
        },
    };
    if let Err(e) = calibration.write(run_dir) {
        println!("calibration against fio: {e:#}");
    }
    let _ = calibration.print(&mut std::io::stdout().lock());
}

fn bench_all_calibration(
    run_dir: &Path,
    data_dir: &Path,
    progress: bool,
) -> anyhow::Result<Calibration> {
    let meta = crate::results::read_meta(run_dir)?;
    let cfg = bench_all_config(&meta.plan);
    let Some(program) = fio::locate() else {
        return Ok(unavailable(
            fio::NOT_INSTALLED.into(),
            &meta.corpus_dir,
            &cfg,
        ));
    };
    let place = Place {
        corpus_dir: &meta.corpus_dir,
        data_dir,
        scratch_id: &format!("{}-calibrate", meta.run_id),
    };
    measure(&program, &place, &meta.plan.corpus, &cfg, !progress)
}

/// The calibration settings of bench-all's section, from its run's plan:
/// the same settle, cold method and seed, at most 3 repetitions and 1
/// warm-up; on a corpus under 64 MiB of data files (quick scale) warm
/// caches only and no warm-up, so the section stays cheap where the whole
/// bench is a smoke test.
pub fn bench_all_config(plan: &crate::experiment::Plan) -> Config {
    let small = plan.corpus.data_bytes() < 64 << 20;
    Config {
        caches: match small {
            true => vec![CacheState::Warm],
            false => vec![CacheState::Warm, CacheState::Cold],
        },
        reps: plan.reps.clamp(1, 3),
        warmup: if small { 0 } else { plan.warmup.min(1) },
        alternate: true,
        seed: plan.bootstrap_seed,
        settle: plan.settle,
        cold_method: plan.cold_method,
    }
}

/// A record of nothing measured, and why.
fn unavailable(why: String, corpus_dir: &Path, cfg: &Config) -> Calibration {
    Calibration {
        fio_version: None,
        unavailable: Some(why),
        corpus_dir: corpus_dir.display().to_string(),
        reps: cfg.reps,
        warmup: cfg.warmup,
        seed: cfg.seed,
        rows: Vec::new(),
    }
}

/// Where the calibration reads and writes.
struct Place<'a> {
    corpus_dir: &'a Path,
    data_dir: &'a Path,
    scratch_id: &'a str,
}

/// Check every path fio will be given, make or reuse the corpus, and run
/// the session in a fresh scratch folder (removed afterwards).
fn measure(
    program: &Path,
    place: &Place,
    spec: &CorpusSpec,
    cfg: &Config,
    quiet: bool,
) -> anyhow::Result<Calibration> {
    let absolute = |p: &Path| std::path::absolute(p).with_context(|| p.display().to_string());
    let corpus_dir = absolute(place.corpus_dir)?;
    let data_dir = absolute(place.data_dir)?;
    let scratch_path = data_dir.join(format!("{}{}", corpus::SCRATCH_PREFIX, place.scratch_id));
    for p in [&corpus_dir, &scratch_path] {
        fio::safe_path(p).map_err(anyhow::Error::msg)?;
    }
    let fio_version = fio::version(program).map_err(anyhow::Error::msg)?;
    corpus::check_placement(&corpus_dir, "a corpus")?;
    if let Some(parent) = corpus_dir.parent() {
        crate::safefs::Dir::create_all(parent)?;
    }
    if !quiet {
        println!("calibration: corpus {}", corpus_dir.display());
    }
    let (corpus, _provenance, _lock) = Corpus::create_or_reuse(&corpus_dir, spec, &|_, _| {})?;
    let scratch = corpus::Scratch::create(&data_dir, place.scratch_id)?;
    let bench = session::Bench {
        corpus: &corpus,
        scratch: scratch.path(),
        fio: program,
        run_id: place.scratch_id,
    };
    let say = |what: &str| {
        if !quiet {
            println!("calibration: {what}");
        }
    };
    let rows = session::run(&bench, cfg, &say);
    let removed = scratch.remove();
    let rows = rows?;
    removed.context("removing the calibration's scratch folder")?;
    Ok(Calibration {
        fio_version: Some(fio_version),
        unavailable: None,
        corpus_dir: corpus.dir.display().to_string(),
        reps: cfg.reps,
        warmup: cfg.warmup,
        seed: cfg.seed,
        rows,
    })
}
