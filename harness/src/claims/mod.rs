//! The tutorials' claims as data, each judged from a run's measurements.
//!
//! Owns: the claims table ([`CLAIMS`]: id, statement, source pattern, the
//! claimed effect, which summary rows test it) and the verdict rules. Does
//! not own: running the scenarios (`experiments/claims.toml` and the theme
//! files do) or rendering (the report shows [`judge()`]'s output).
//!
//! # Verdict rules
//!
//! **Ratio claims** ("X is 2.5–3× faster than Y"). The measured ratio is
//! `baseline / candidate` of the median metric (wall time, or user + system
//! CPU for the "cheaper" claims) with its 95 % percentile-bootstrap interval
//! (Efron & Tibshirani 1993; the two samples resampled independently, seeded
//! with the run's bootstrap seed, as [`crate::stats::speedup`]). Only
//! verified repetitions count, and each side needs at least 3. With `L` the
//! lower bound of the claimed effect (2.5 for "2.5–3×", 1 for "faster",
//! `N − 0.5` for "≈N×"):
//! - **holds** when the whole interval lies at or above `L` (an effect larger
//!   than claimed still holds: the upper bound is shown, not enforced);
//! - **does not hold** when the whole interval lies below `L`;
//! - **inconclusive** when the interval straddles `L`, or a side has fewer
//!   than 3 verified repetitions;
//! - **not tested** when the run lacks either side.
//!
//! When several candidate rows match (several tokio concurrencies, several
//! batch sizes), each is paired with its baseline (with the same worker count
//! where the claim says so) and the pair with the highest measured ratio is
//! judged: the claims say that *some* configuration wins. The detail says how
//! many pairs there were.
//!
//! **Durability.** Saves and copies are measured with the files left in the
//! page cache (`none`) and with one `syncfs` inside the timed region
//! (`end-sync`); the two are different questions, so a claim whose rows
//! write is judged once per durability setting that the run measured on
//! every side that writes, never over both pooled. The judgement at `none`
//! keeps the claim's id (`save-process-pool`), the others add the setting
//! (`save-process-pool · end-sync`). A side may name one setting instead:
//! the Python programs do not fsync, so their claims, and the Rust side of
//! a same-work comparison with them, take `none` only.
//!
//! **Memory claim** (stream-constant-memory): ratio = bytes streamed / the
//! peak RSS streaming adds above the process's floor (the least peak RSS of
//! any in-process repetition in the run; at least 64 KiB), with the interval
//! from the bootstrap interval of the median peak RSS; the same rules with
//! `L` = 4 (streaming adds at most a quarter of the file). A proxy: a run
//! streams one file size.
//!
//! **Integrity claims** are judged from counts, not ratios:
//! - append-needs-lock: *holds* when every repetition of the locked variants
//!   (mutex, flock; Python: `append_lock`) under a concurrent strategy kept
//!   every line and at least one unlocked variant (o-append, unlocked-seek,
//!   unlocked-buffered; Python: `append_nolock`) lost or tore a line in some
//!   repetition; *does not hold* when a locked variant lost a line, or when
//!   no unlocked variant lost any line over at least 3 repetitions;
//!   *inconclusive* with fewer repetitions.
//! - atomic-save-safe (writers killed mid-run, `+kill-N pct` variants):
//!   *does not hold* when any rename variant left a torn target; *holds*
//!   when in-place left a torn target in some repetition and no rename
//!   variant ever did; *inconclusive* when neither tore (the kill never
//!   landed mid-write).

pub mod crossover;
mod integrity;
mod judge;
mod table;
#[cfg(test)]
mod tests;

pub use judge::{id_at, judge_with, ratio_verdict};
pub use table::CLAIMS;

use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::measure::cache::CacheState;
use crate::results::LoadedRun;
use crate::workload::Durability;

/// A claim's verdict on one machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// The measurements support the claimed effect.
    Holds,
    /// The measurements exclude it.
    DoesNotHold,
    /// The interval overlaps the claimed boundary, or too few repetitions.
    Inconclusive,
    /// The run lacks the scenarios that test it.
    NotTested,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::DoesNotHold => "does not hold",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NotTested => "not tested",
        })
    }
}

/// One claim judged against one run.
#[derive(Clone, Debug, Serialize)]
pub struct Judgement {
    /// The claim's id, e.g. `save-process-pool`, with the durability
    /// setting and the storage it was judged at when not the default
    /// (`save-process-pool · end-sync · on xfs`).
    pub id: String,
    /// The claim's own id ([`Claim::id`]).
    #[serde(skip)]
    pub claim: &'static str,
    /// The storage whose rows it was judged on.
    #[serde(skip)]
    pub storage: crate::storage::Storage,
    /// What the tutorials say.
    pub statement: String,
    /// The claimed effect, e.g. `2.5–3× (200 s → 71 s)`.
    pub claimed: String,
    /// The measured effect, e.g. `1.21× [1.10 … 1.33]`, or counts.
    pub measured: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Which scenarios were compared, with their figures, or why not tested.
    pub detail: String,
}

/// Which summary rows one side of a comparison takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Select {
    /// Workload name.
    pub workload: &'static str,
    /// Variant labels accepted (empty: any).
    pub variants: &'static [&'static str],
    /// Strategy name (empty: any).
    pub strategy: &'static str,
    /// Required concurrency.
    pub workers: Option<u32>,
    /// Required worker processes.
    pub processes: Option<u32>,
    /// Accepted batch sizes, inclusive.
    pub batch: Option<(u32, u32)>,
    /// Cache state.
    pub cache: CacheState,
    /// The external command's program (the Python programs by name,
    /// `save_process_pool`); `None`: any.
    pub program: Option<&'static str>,
    /// Only rows of this durability (rows that record none — a workload
    /// that writes nothing, a file from before the column — fit any).
    /// `None`: the claim is judged once per durability setting the run
    /// measured on every side that writes (see [`judge_with`]), never
    /// pooling two settings.
    pub durability: Option<Durability>,
}

/// What a ratio compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Wall time of the repetition.
    Wall,
    /// User + system CPU time.
    Cpu,
}

/// How a claim is tested.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Test {
    /// `baseline / candidate` of `metric`, claimed at least `at_least`.
    Ratio {
        /// The slower side (the tutorial's "before").
        baseline: Select,
        /// The faster side (the tutorial's "after").
        candidate: Select,
        /// What is compared.
        metric: Metric,
        /// Lower bound of the claimed effect.
        at_least: f64,
        /// Upper bound of the claimed effect, shown only.
        up_to: Option<f64>,
        /// Pair candidates with baselines of the same worker count.
        same_workers: bool,
    },
    /// Bytes streamed / peak RSS, claimed at least `at_least`.
    Memory {
        /// The streaming rows.
        rows: Select,
        /// Lower bound.
        at_least: f64,
    },
    /// Lines lost or torn by unlocked appends (Rust variants, or the Python programs).
    Append {
        /// Judge the Python programs instead of the Rust variants.
        python: bool,
    },
    /// Targets torn by killed writers, in place vs rename.
    Atomic,
}

/// A claim from `shared/claims.md`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Claim {
    /// Stable id.
    pub id: &'static str,
    /// What the tutorials say.
    pub statement: &'static str,
    /// The code pattern the claim is about.
    pub source: &'static str,
    /// The experiment files that run its scenarios.
    pub tested_by: &'static str,
    /// The claimed effect as shown.
    pub claimed: &'static str,
    /// How it is tested.
    pub test: Test,
}

/// Judge every claim against `run`.
pub fn judge(run: &LoadedRun) -> Vec<Judgement> {
    judge_with(CLAIMS, run)
}

/// Write the claims table: verdict, claimed and measured side by side, and
/// the detail under each.
///
/// # Errors
/// Write errors of `out`.
pub fn print_table(out: &mut impl Write, judgements: &[Judgement]) -> io::Result<()> {
    writeln!(
        out,
        "\nClaims (verdict from the measured 95% CI against the claimed effect; rules in experiments/README.md):"
    )?;
    let width = judgements
        .iter()
        .map(|j| j.id.chars().count())
        .max()
        .unwrap_or(0);
    // On a storage besides the data folder, a claim whose scenarios did
    // not run there is left out (counted): the crossover runs few.
    let (shown, left_out): (Vec<&Judgement>, Vec<&Judgement>) = judgements
        .iter()
        .partition(|j| j.verdict != Verdict::NotTested || j.storage.is_data_dir());
    for j in shown {
        writeln!(
            out,
            "  {:<width$} {:<14} claimed {:<28} measured {}",
            j.id,
            j.verdict.to_string(),
            j.claimed,
            j.measured
        )?;
        if !j.detail.is_empty() {
            writeln!(out, "      {}", j.detail)?;
        }
    }
    if !left_out.is_empty() {
        writeln!(
            out,
            "  ({} judgements on other storages left out: no scenario of theirs ran there)",
            left_out.len()
        )?;
    }
    let sweep = crossover::crossovers(judgements);
    if !sweep.is_empty() {
        writeln!(
            out,
            "\nThe crossover (the emulated latency from which each claim holds):"
        )?;
        for c in &sweep {
            writeln!(out, "  {}", c.sentence())?;
        }
    }
    Ok(())
}

/// `iolab claims <run-dir>`: print every claim's verdict for a run.
///
/// # Errors
/// The run folder cannot be loaded.
pub fn command(run_dir: &Path) -> anyhow::Result<ExitCode> {
    let run = crate::results::load(run_dir)?;
    print_table(&mut io::stdout().lock(), &judge(&run))?;
    Ok(ExitCode::SUCCESS)
}
