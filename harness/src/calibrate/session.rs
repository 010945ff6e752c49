//! The calibration itself: per cache state and pattern, repetitions of
//! iolab's scenario and fio's job taken in pairs (the order alternating
//! when asked), each in the same cache state set by the same code, then
//! the ratio of their median throughputs with a bootstrap interval.
//!
//! Owns: the pairing and the per-pattern summary. Does not own: how iolab
//! runs a repetition (`crate::runner::run_repetition`), fio's options
//! (`fio`), the bootstrap (`crate::stats`).

use std::path::Path;

use anyhow::Context;

use super::fio::{self, Job, LINKS_DIR, WRITE_DIR};
use super::output::Row;
use super::pattern::Pattern;
use super::Config;
use crate::corpus::{self, Corpus, ScratchPolicy};
use crate::experiment::{Order, Plan, Scenario};
use crate::measure::cache;
use crate::measure::quiet;
use crate::safefs::Dir;
use crate::strategy::Strategy;
use crate::workload::TaskContext;

/// Where the calibration runs: the corpus, the scratch folder, fio.
pub struct Bench<'a> {
    /// The corpus both tools read.
    pub corpus: &'a Corpus,
    /// The scratch folder (iolab's writes and fio's, fio's links).
    pub scratch: &'a Path,
    /// The fio executable.
    pub fio: &'a Path,
    /// Run identifier recorded in iolab's rows.
    pub run_id: &'a str,
}

/// One row per cache state and pattern (the write pattern only once: it
/// reads nothing, so the cache state does not apply to it).
///
/// # Errors
/// Harness failures: the scratch folder or cache control broke.
pub fn run(bench: &Bench, cfg: &Config, progress: &dyn Fn(&str)) -> anyhow::Result<Vec<Row>> {
    let plan = plan(bench.corpus, cfg)?;
    let ctx = TaskContext::new(bench.corpus, bench.scratch);
    let mut rows = Vec::new();
    for (index, scenario) in plan.scenarios.iter().enumerate() {
        let pattern = Pattern::ALL[index % Pattern::ALL.len()];
        if pattern == Pattern::Write && scenario.cache != cfg.caches[0] {
            continue;
        }
        progress(&format!("{} {}", pattern.name(), scenario.cache.as_str()));
        let mut row = Row::new(pattern, scenario.cache);
        match pattern.unavailable(bench.corpus).map_or_else(
            || fio::job(pattern, bench.corpus, bench.scratch, cfg.seed),
            Err,
        ) {
            Ok(job) => {
                row.fio_command = job.command_line();
                let pairs = pairs(bench, cfg, (&plan, index), &ctx, &job)?;
                summarise(&mut row, &pairs, cfg.seed);
            }
            Err(why) => row.detail = why,
        }
        rows.push(row);
    }
    Ok(rows)
}

/// iolab's scenarios, one per pattern and cache state, in that order.
/// They write into the scratch folder on the data folder's own filesystem
/// (`delete-before`), where fio writes: a fresh filesystem image for one
/// tool and not the other would compare two filesystems.
///
/// # Errors
/// None in practice (the policy is valid); the scenario's check says why.
fn plan(corpus: &Corpus, cfg: &Config) -> anyhow::Result<Plan> {
    let scenarios = cfg
        .caches
        .iter()
        .flat_map(|&cache| {
            Pattern::ALL.map(|p| {
                Scenario::new(
                    "calibrate",
                    p.workload(cfg.seed),
                    Strategy::sequential(),
                    cache,
                )
                .with_scratch(ScratchPolicy::DeleteBefore, None)
            })
        })
        .collect::<Result<_, String>>()
        .map_err(anyhow::Error::msg)?;
    Ok(Plan {
        scenarios,
        corpus: corpus.manifest.spec.clone(),
        input: None,
        reps: cfg.reps,
        auto: None,
        warmup: cfg.warmup,
        order: Order::Sequential,
        settle: cfg.settle,
        cold_method: cfg.cold_method,
        bootstrap_seed: cfg.seed,
    })
}

/// The measured repetitions of one pattern: iolab's and fio's, side by side.
#[derive(Debug, Default)]
struct Pairs {
    iolab_mb_s: Vec<f64>,
    fio_mb_s: Vec<f64>,
    iolab_cache: String,
    fio_cache: String,
    /// The first problem of either tool, when a repetition failed.
    problem: Option<String>,
    /// fio's shortest runtime, ms.
    fio_min_ms: u64,
}

/// Warm-ups then measured repetitions, each a pair: iolab then fio, or fio
/// then iolab on odd repetitions when alternating. Stops at the first
/// repetition either tool fails.
fn pairs(
    bench: &Bench,
    cfg: &Config,
    (plan, index): (&Plan, usize),
    ctx: &TaskContext,
    job: &Job,
) -> anyhow::Result<Pairs> {
    let scenario = &plan.scenarios[index];
    let mut p = Pairs {
        fio_min_ms: u64::MAX,
        ..Pairs::default()
    };
    for rep in 0..cfg.warmup + cfg.reps {
        if crate::interrupt::stop_requested() {
            p.problem = Some("stopped by a signal".into());
            break;
        }
        let warmup = rep < cfg.warmup;
        let fio_first = cfg.alternate && rep % 2 == 1;
        let (mut iolab, mut fio) = (None, None);
        for fio_turn in [fio_first, !fio_first] {
            if fio_turn {
                fio = Some(fio_repetition(bench, cfg, scenario, ctx, job)?);
            } else {
                let r = crate::runner::run_repetition(
                    plan,
                    index,
                    ctx,
                    bench.corpus,
                    (rep, warmup),
                    bench.run_id,
                )?;
                iolab = Some(r);
            }
        }
        let (Some(iolab), Some(fio)) = (iolab, fio) else {
            continue;
        };
        let iolab_ok = iolab.status == crate::results::Status::Ok && iolab.verified;
        let problem = match (&fio, iolab_ok) {
            (Err(why), _) => Some(format!("fio: {why}")),
            (Ok(_), false) => Some(format!("iolab: {} {}", iolab.status, iolab.detail)),
            (Ok(_), true) => None,
        };
        if let Some(why) = problem {
            p.problem = Some(why);
            break;
        }
        if let (false, Ok((o, method))) = (warmup, fio) {
            p.iolab_mb_s.push(iolab.mb_per_s);
            p.fio_mb_s.push(o.mb_per_s());
            p.fio_min_ms = p.fio_min_ms.min(o.runtime_ms);
            p.iolab_cache = iolab
                .cache_method
                .map_or_else(String::new, |m| m.to_string());
            p.fio_cache = method;
        }
    }
    Ok(p)
}

/// One fio repetition prepared as iolab prepares its own: empty scratch
/// (then fio's links or output folder), quiet storage, the same cache
/// state on the same input files. Returns fio's outcome and the cache
/// method used, or fio's failure.
fn fio_repetition(
    bench: &Bench,
    cfg: &Config,
    scenario: &Scenario,
    ctx: &TaskContext,
    job: &Job,
) -> anyhow::Result<Result<(fio::Outcome, String), String>> {
    corpus::reset_scratch(bench.scratch)?;
    let scratch = Dir::open(bench.scratch)?;
    match job.pattern {
        Pattern::ManyFiles => {
            if let Err(e) = link_data_files(bench.corpus, &scratch) {
                return Ok(Err(format!(
                    "linking the data files into the scratch folder for --opendir: {e}"
                )));
            }
        }
        Pattern::Write => {
            scratch.create_dir(WRITE_DIR)?;
        }
        Pattern::LargeRead | Pattern::RandomRead => {}
    }
    quiet::wait_until_quiet(bench.scratch, cfg.settle);
    let inputs = scenario.workload.inputs(ctx);
    let method = cache::prepare(scenario.cache, cfg.cold_method, &inputs)
        .context("setting the cache state for fio")?;
    Ok(fio::run(bench.fio, job)
        .and_then(|o| check_bytes(&o, job).map(|()| (o, method.as_str().to_string()))))
}

/// Hard links in `<scratch>/fio-links` to every data file (same inodes,
/// same page cache), so `--opendir` reads exactly the data files.
fn link_data_files(corpus: &Corpus, scratch: &Dir) -> anyhow::Result<()> {
    let links = scratch.create_dir(LINKS_DIR)?;
    let top = Dir::open(&corpus.dir)?;
    let spec = &corpus.manifest.spec;
    // A sharded corpus's subfolders (opened, never through a link); the
    // links themselves all go in one folder, under the files' own names.
    let shards = spec
        .folders
        .shard_names()
        .iter()
        .map(|name| top.open_dir(name))
        .collect::<Result<Vec<Dir>, _>>()?;
    for k in 0..spec.files {
        let name = corpus::file_name(k, spec.files);
        let source = match shards.len() {
            0 => &top,
            count => &shards[k as usize % count],
        };
        links.hard_link(source, &name, &name)?;
    }
    Ok(())
}

/// fio must have moved every byte of its job.
fn check_bytes(o: &fio::Outcome, job: &Job) -> Result<(), String> {
    match o.bytes == job.expected_bytes {
        true => Ok(()),
        false => Err(format!(
            "fio moved {} bytes, its job is {} bytes",
            o.bytes, job.expected_bytes
        )),
    }
}

/// Medians, the ratio of medians and its bootstrap interval.
fn summarise(row: &mut Row, p: &Pairs, seed: u64) {
    row.reps = p.iolab_mb_s.len() as u32;
    row.iolab_cache_method = p.iolab_cache.clone();
    row.fio_cache_method = p.fio_cache.clone();
    if let Some(why) = &p.problem {
        row.status = "failed".into();
        row.detail = why.clone();
        return;
    }
    let Some(m) = super::medians(p.iolab_mb_s.clone(), p.fio_mb_s.clone(), seed) else {
        row.detail = "no measured repetition".into();
        return;
    };
    row.iolab_mb_s = Some(m.iolab);
    row.fio_mb_s = Some(m.other);
    row.ratio = Some(m.ratio);
    match m.interval {
        Ok((lo, hi)) => (row.ratio_ci_low, row.ratio_ci_high) = (Some(lo), Some(hi)),
        Err(why) => row.detail = why,
    }
    row.status = "ok".into();
    if p.fio_min_ms < 100 {
        row.detail = format!(
            "fio's clock counts whole milliseconds and its shortest run took {} ms",
            p.fio_min_ms
        );
    }
}
