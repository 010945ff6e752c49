//! The machine profile: `results/tuning/<host>-<YYYY-MM-DD>.toml` and the
//! same as `.json` — the machine, the settings of the sweep, and per
//! workload the recommendation with its expected throughput and speedup.
//!
//! Owns: the profile schema ([`Profile`]), choosing each workload's
//! recommendation from the strategies' knees ([`build`]), reading and
//! writing the files, and the terminal table ([`render`]). Does not own: the
//! sweep (`super::sweep`) or comparing profiles (`super::compare`).
//!
//! The recommendation of a workload, in three steps:
//! 1. each strategy's **knee**: the smallest setting within noise of that
//!    strategy's best ([`super::knee::choose_knee`]);
//! 2. among the knees, those within noise of the fastest (intervals overlap
//!    or medians within the tolerance), the one with the **fewest workers**,
//!    ties broken by [`Kind::SIMPLEST_FIRST`];
//! 3. that setting is recommended only if it has **more than one worker**
//!    and is **clearly faster than sequential** (its same-round speedup
//!    interval lies wholly above 1 + tolerance); otherwise the
//!    recommendation is `sequential` and the note says how close the best
//!    concurrent setting came (one worker is no concurrency, whatever noise
//!    made its speedup look like).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::budget::human_s;
use super::config::{Kind, TuneConfig};
use super::knee::CurveShape;
use super::record::shape_of;
use super::sweep::{Point, Skip, Status, Sweep, WorkloadSweep};
use super::table::{with_interval, write_table};
use crate::results::{row::round, Machine};
use crate::stats::{classify_speedup, Change, Estimate};

/// Value of [`Profile::format`].
pub const PROFILE_FORMAT: &str = "iolab-tuning-profile";
/// Value of [`Profile::version`]; profiles of a later version are refused.
pub const PROFILE_VERSION: u32 = 1;

/// A machine's tuning profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Always [`PROFILE_FORMAT`].
    pub format: String,
    /// Schema version.
    pub version: u32,
    /// RFC 3339 time the profile was written.
    pub created_at: String,
    /// iolab's version.
    pub iolab_version: String,
    /// The sweep's run folder (curves, rounds, `tuning.json`).
    pub run_dir: String,
    /// The command line of the sweep.
    pub command_line: String,
    /// The budget, seconds.
    pub budget_s: f64,
    /// Wall seconds the whole command took.
    pub elapsed_s: f64,
    /// How the sweep measured.
    pub settings: Settings,
    /// The machine and the storage under the corpus.
    pub machine: Machine,
    /// One entry per workload, in the order tuned.
    pub workloads: Vec<WorkloadProfile>,
    /// What was not measured and why.
    pub skipped: Vec<Skip>,
}

/// How the sweep measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Named corpus scale (`quick`, `default`, `seed`).
    pub scale: String,
    /// Corpus files.
    pub files: u32,
    /// Lines per file.
    pub lines: u32,
    /// Values per line.
    pub values: u32,
    /// Cache state of every measurement.
    pub cache: String,
    /// Measured repetitions per point the sweep planned with.
    pub reps: u32,
    /// `--reps` as asked.
    pub reps_requested: u32,
    /// Why `reps` is below `reps_requested` (absent when it is not).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reps_note: String,
    /// Warm-ups per point.
    pub warmup: u32,
    /// Knee tolerance (fraction).
    pub tolerance: f64,
    /// Largest worker count allowed.
    pub max_workers: u32,
    /// Logical CPUs the sweep planned for.
    pub cores: u32,
    /// Bootstrap and shuffle seed.
    pub seed: u64,
}

/// One workload's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadProfile {
    /// Workload name.
    pub workload: String,
    /// Variant label (its knobs).
    pub variant: String,
    /// `ok`, or `not measured` (see `note` and the skipped list).
    pub status: String,
    /// What the numbers mean here, in words.
    pub note: String,
    /// Other strategies' knees within noise of the recommendation.
    pub within_noise: Vec<String>,
    /// The recommendation.
    pub recommended: Option<Choice>,
    /// The sequential baseline of the round the recommendation comes from.
    pub sequential: Option<Throughput>,
    /// Present when the sequential baseline moved between this workload's
    /// rounds beyond its intervals: the machine drifted during the sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// Each swept strategy's knee.
    pub strategies: Vec<Choice>,
}

/// How far the sequential baseline moved between a workload's rounds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// Lowest round median, MB/s.
    pub min_mb_per_s: f64,
    /// Highest round median, MB/s.
    pub max_mb_per_s: f64,
    /// Rounds that measured the baseline.
    pub rounds: u32,
}

/// The baseline's drift across rounds: `Some` when two rounds' intervals
/// do not overlap.
pub fn drift(baselines: &[Estimate]) -> Option<Drift> {
    let apart = baselines
        .iter()
        .any(|a| baselines.iter().any(|b| !a.ci.overlaps(&b.ci)));
    if !apart {
        return None;
    }
    let medians = baselines.iter().map(|e| e.point);
    Some(Drift {
        min_mb_per_s: round(medians.clone().fold(f64::INFINITY, f64::min), 3),
        max_mb_per_s: round(medians.fold(f64::NEG_INFINITY, f64::max), 3),
        rounds: baselines.len() as u32,
    })
}

/// A throughput with its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Median MB/s.
    pub mb_per_s: f64,
    /// Interval, low.
    pub mb_per_s_low: f64,
    /// Interval, high.
    pub mb_per_s_high: f64,
}

impl From<Estimate> for Throughput {
    fn from(e: Estimate) -> Throughput {
        Throughput {
            mb_per_s: round(e.point, 3),
            mb_per_s_low: round(e.ci.low, 3),
            mb_per_s_high: round(e.ci.high, 3),
        }
    }
}

/// A strategy at a setting with what was measured there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Strategy name (`sequential` when nothing concurrent was clearly faster).
    pub strategy: String,
    /// Label, e.g. `threads(4)` or `nested(2×4)`.
    pub setting: String,
    /// Total concurrency.
    pub workers: u32,
    /// Worker processes.
    pub processes: u32,
    /// Threads per process.
    pub threads: u32,
    /// Expected throughput: median MB/s.
    pub mb_per_s: f64,
    /// Its 95 % interval, low.
    pub mb_per_s_low: f64,
    /// Its 95 % interval, high.
    pub mb_per_s_high: f64,
    /// Speedup over sequential (same round), when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
    /// Its interval, low.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup_low: Option<f64>,
    /// Its interval, high.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup_high: Option<f64>,
    /// Shape of the strategy's curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<CurveShape>,
    /// Points the strategy's sweep measured.
    #[serde(default)]
    pub points: u32,
    /// Largest total concurrency it tried.
    #[serde(default)]
    pub largest: u32,
    /// Why its sweep stopped.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop: String,
}

impl Choice {
    /// The expected throughput as an estimate.
    pub fn estimate(&self) -> Estimate {
        Estimate {
            point: self.mb_per_s,
            ci: crate::stats::Interval {
                low: self.mb_per_s_low,
                high: self.mb_per_s_high,
                level: 0.95,
            },
        }
    }

    /// `1.91× [1.70 … 2.10]`, or `—` without a speedup.
    pub fn speedup_text(&self) -> String {
        match (self.speedup, self.speedup_low, self.speedup_high) {
            (Some(s), Some(l), Some(h)) => format!("{s:.2}× [{l:.2} … {h:.2}]"),
            (Some(s), _, _) => format!("{s:.2}×"),
            _ => "—".into(),
        }
    }

    /// `1203.1 [1150.2 … 1250.0]`.
    pub fn throughput_text(&self) -> String {
        with_interval(self.mb_per_s, self.mb_per_s_low, self.mb_per_s_high, 1)
    }
}

/// Whether two throughputs cannot be told apart: their intervals overlap or
/// their medians differ by at most `tolerance` of the larger (the rule of
/// [`super::knee`]).
pub fn indistinguishable(a: &Estimate, b: &Estimate, tolerance: f64) -> bool {
    a.ci.overlaps(&b.ci)
        || (a.point - b.point).abs() <= tolerance * a.point.abs().max(b.point.abs())
}

/// What the profile records about the command besides the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// RFC 3339 time.
    pub created_at: String,
    /// The sweep's run folder.
    pub run_dir: String,
    /// The command line.
    pub command_line: String,
    /// Wall seconds the command took.
    pub elapsed_s: f64,
}

/// Build the profile of a finished sweep.
pub fn build(cfg: &TuneConfig, sweep: &Sweep, machine: Machine, info: RunInfo) -> Profile {
    let mut skipped = sweep.skipped.clone();
    for ws in &sweep.workloads {
        for s in ws.strategies.iter().filter(|s| s.points.is_empty()) {
            let known = skipped
                .iter()
                .any(|k| k.workload == ws.workload.name() && k.strategy == s.kind.name());
            if !known {
                skipped.push(Skip {
                    workload: ws.workload.name().into(),
                    strategy: s.kind.name().into(),
                    setting: String::new(),
                    reason: s.stop_reason().into(),
                });
            }
        }
    }
    Profile {
        format: PROFILE_FORMAT.into(),
        version: PROFILE_VERSION,
        created_at: info.created_at,
        iolab_version: env!("CARGO_PKG_VERSION").into(),
        run_dir: info.run_dir,
        command_line: info.command_line,
        budget_s: cfg.budget.as_secs_f64(),
        elapsed_s: round(info.elapsed_s, 1),
        settings: Settings {
            scale: cfg.scale.clone(),
            files: cfg.corpus.files,
            lines: cfg.corpus.lines,
            values: cfg.corpus.values,
            cache: cfg.cache.as_str().into(),
            reps: sweep.reps,
            reps_requested: cfg.reps,
            reps_note: sweep.reps_note.clone(),
            warmup: cfg.warmup,
            tolerance: cfg.limits.tolerance,
            max_workers: cfg.limits.max_workers,
            cores: cfg.limits.cores,
            seed: cfg.seed,
        },
        machine,
        workloads: sweep
            .workloads
            .iter()
            .map(|ws| workload_profile(cfg.limits.tolerance, ws))
            .collect(),
        skipped,
    }
}

fn choice(
    kind: Kind,
    p: &Point,
    shape: Option<CurveShape>,
    s: &super::sweep::StrategySweep,
) -> Choice {
    let (processes, threads) = shape_of(kind, p.setting);
    let t = Throughput::from(p.throughput);
    Choice {
        strategy: kind.name().into(),
        setting: kind.label(p.setting),
        workers: p.setting.total(),
        processes,
        threads,
        mb_per_s: t.mb_per_s,
        mb_per_s_low: t.mb_per_s_low,
        mb_per_s_high: t.mb_per_s_high,
        speedup: p.speedup.map(|e| round(e.point, 3)),
        speedup_low: p.speedup.map(|e| round(e.ci.low, 3)),
        speedup_high: p.speedup.map(|e| round(e.ci.high, 3)),
        shape,
        points: s.points.len() as u32,
        largest: s.largest(),
        stop: s.stop_reason().into(),
    }
}

/// The knees of a workload's strategies: (kind, knee point, shape, choice).
fn knees(tolerance: f64, ws: &WorkloadSweep) -> Vec<(Kind, Point, Choice)> {
    ws.strategies
        .iter()
        .filter_map(|s| {
            let (p, shape) = s.knee(tolerance)?;
            Some((s.kind, p.clone(), choice(s.kind, p, Some(shape), s)))
        })
        .collect()
}

fn workload_profile(tolerance: f64, ws: &WorkloadSweep) -> WorkloadProfile {
    let knees = knees(tolerance, ws);
    let mut out = WorkloadProfile {
        workload: ws.workload.name().into(),
        variant: ws.workload.variant_label(),
        status: "ok".into(),
        note: String::new(),
        within_noise: Vec::new(),
        recommended: None,
        sequential: ws.baselines.values().last().map(|e| Throughput::from(*e)),
        drift: drift(&ws.baselines.values().copied().collect::<Vec<_>>()),
        strategies: knees.iter().map(|k| k.2.clone()).collect(),
    };
    let Some(best) = knees
        .iter()
        .max_by(|a, b| a.1.throughput.point.total_cmp(&b.1.throughput.point))
    else {
        out.status = "not measured".into();
        out.note = not_measured_note(ws);
        return out;
    };
    let pick = knees
        .iter()
        .filter(|k| indistinguishable(&k.1.throughput, &best.1.throughput, tolerance))
        .min_by_key(|k| (k.1.setting.total(), k.0.simplicity()))
        .unwrap_or(best);
    let baseline = ws.baselines.get(&pick.1.round).copied();
    out.sequential = baseline.map(Throughput::from).or(out.sequential);
    let one_worker = pick.1.setting.total() <= 1;
    let rec = if !one_worker && clearly_faster(&pick.1, baseline, tolerance) {
        out.note = pick.2.shape.map(|s| s.to_string()).unwrap_or_default();
        pick.2.clone()
    } else {
        out.note = if one_worker {
            format!(
                "the knee is at one worker ({}, {} over sequential): concurrency does not help here",
                pick.2.setting,
                pick.2.speedup_text()
            )
        } else {
            format!(
                "no concurrent setting was clearly faster than sequential; the closest, {}, measured {}",
                pick.2.setting,
                pick.2.speedup_text()
            )
        };
        sequential_choice(baseline.unwrap_or(pick.1.throughput), pick.2.shape)
    };
    if best.2.setting != pick.2.setting {
        out.note.push_str(&format!(
            "; the highest median, {} at {:.1} MB/s, is within noise of {}",
            best.2.setting, best.2.mb_per_s, pick.2.setting
        ));
    }
    out.within_noise = knees
        .iter()
        .filter(|k| k.2.setting != rec.setting)
        .filter(|k| indistinguishable(&k.1.throughput, &rec.estimate(), tolerance))
        .map(|k| k.2.setting.clone())
        .collect();
    out.recommended = Some(rec);
    out
}

/// Whether `p` is clearly faster than sequential: its speedup interval lies
/// wholly above 1 + tolerance; without a speedup, its throughput is
/// distinguishable from and above the baseline's.
fn clearly_faster(p: &Point, baseline: Option<Estimate>, tolerance: f64) -> bool {
    match (p.speedup, baseline) {
        (Some(s), _) => classify_speedup(&s.ci, tolerance) == Change::Faster,
        (None, Some(b)) => {
            p.throughput.point > b.point && !indistinguishable(&p.throughput, &b, tolerance)
        }
        (None, None) => false,
    }
}

fn sequential_choice(t: Estimate, shape: Option<CurveShape>) -> Choice {
    let t = Throughput::from(t);
    Choice {
        strategy: "sequential".into(),
        setting: "sequential".into(),
        workers: 1,
        processes: 1,
        threads: 1,
        mb_per_s: t.mb_per_s,
        mb_per_s_low: t.mb_per_s_low,
        mb_per_s_high: t.mb_per_s_high,
        speedup: None,
        speedup_low: None,
        speedup_high: None,
        shape,
        points: 0,
        largest: 1,
        stop: String::new(),
    }
}

fn not_measured_note(ws: &WorkloadSweep) -> String {
    let reasons: Vec<String> = ws
        .strategies
        .iter()
        .filter(|s| matches!(s.status, Status::Ended(_)))
        .map(|s| format!("{}: {}", s.kind, s.stop_reason()))
        .collect();
    if reasons.is_empty() {
        "no strategy could be swept (see skipped)".into()
    } else {
        format!("nothing measured — {}", reasons.join("; "))
    }
}

impl Profile {
    /// The profile as TOML.
    ///
    /// # Errors
    /// Serialisation errors (a value TOML cannot hold).
    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string(self)?)
    }

    /// The profile as pretty JSON with a final newline.
    ///
    /// # Errors
    /// Serialisation errors.
    pub fn to_json(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// The workload entry named `name`.
    pub fn workload(&self, name: &str) -> Option<&WorkloadProfile> {
        self.workloads.iter().find(|w| w.workload == name)
    }
}

/// Parse a profile from TOML or JSON text (by `path`'s extension: `.json`
/// is JSON, anything else TOML) and check its format and version.
///
/// # Errors
/// A missing key, a wrong format or a newer version, naming `path`.
pub fn parse(path: &Path, text: &str) -> anyhow::Result<Profile> {
    let json = path.extension().is_some_and(|e| e == "json");
    let profile: Profile = if json {
        serde_json::from_str(text).with_context(|| format!("parsing {} as JSON", path.display()))?
    } else {
        toml::from_str(text).with_context(|| format!("parsing {} as TOML", path.display()))?
    };
    if profile.format != PROFILE_FORMAT {
        anyhow::bail!(
            "{}: format is {:?}, an iolab profile has {PROFILE_FORMAT:?}",
            path.display(),
            profile.format
        );
    }
    if profile.version > PROFILE_VERSION {
        anyhow::bail!(
            "{}: profile version {} is newer than this iolab reads ({PROFILE_VERSION}); update iolab",
            path.display(),
            profile.version
        );
    }
    Ok(profile)
}

/// Read a profile file (`.toml` or `.json`).
///
/// # Errors
/// A file that cannot be read or parsed, naming it.
pub fn load(path: &Path) -> anyhow::Result<Profile> {
    let text =
        fs::read_to_string(path).with_context(|| format!("reading profile {}", path.display()))?;
    parse(path, &text)
}

/// The file stem of a profile: `<host>-<date>`, the host name reduced to
/// letters, digits, `.`, `_` and `-`.
pub fn file_stem(hostname: &str, date: &str) -> String {
    let host: String = hostname
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let host = if host.is_empty() { "host".into() } else { host };
    format!("{host}-{date}")
}

/// Write `profile` as `<dir>/<stem>.toml` and `.json`, where the stem is
/// [`file_stem`] of the host and the date of `created_at`, with `-2`, `-3` …
/// appended when that name is taken (an earlier profile of the same day is
/// kept, to compare with). Returns the two paths.
///
/// # Errors
/// When the folder or a file cannot be written, naming it.
pub fn write(profile: &Profile, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    fs::create_dir_all(dir)
        .with_context(|| format!("creating profile folder {}", dir.display()))?;
    let date = profile.created_at.get(..10).unwrap_or("undated");
    let stem = file_stem(&profile.machine.hostname, date);
    let (toml_path, json_path) = (1..)
        .map(|n| {
            if n == 1 {
                stem.clone()
            } else {
                format!("{stem}-{n}")
            }
        })
        .map(|s| (dir.join(format!("{s}.toml")), dir.join(format!("{s}.json"))))
        .find(|(t, j)| !t.exists() && !j.exists())
        .unwrap_or_else(|| {
            (
                dir.join(format!("{stem}.toml")),
                dir.join(format!("{stem}.json")),
            )
        });
    crate::results::write_atomically(&toml_path, profile.to_toml()?.as_bytes())?;
    crate::results::write_atomically(&json_path, profile.to_json()?.as_bytes())?;
    Ok((toml_path, json_path))
}

/// The most recent profile (by `created_at`) of `hostname` in `dir` other
/// than `except`; unreadable files are passed over.
pub fn previous(dir: &Path, hostname: &str, except: &Path) -> Option<(PathBuf, Profile)> {
    let entries = fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p != except)
        .filter_map(|p| Some((p.clone(), load(&p).ok()?)))
        .filter(|(_, prof)| prof.machine.hostname == hostname)
        .max_by(|a, b| a.1.created_at.cmp(&b.1.created_at))
}

/// Print the profile: the machine, the recommendations, each strategy's
/// knee, notes and what was skipped.
///
/// # Errors
/// Write errors of `out`.
pub fn render(out: &mut impl Write, p: &Profile) -> io::Result<()> {
    let m = &p.machine;
    let s = &p.settings;
    writeln!(
        out,
        "Tuning profile of {} · {} CPUs ({}) · {:.1} GiB · {} on {}{}",
        m.hostname,
        m.logical_cpus,
        m.cpu_model,
        m.memory_bytes as f64 / f64::from(1u32 << 30),
        m.filesystem,
        m.block_device.as_deref().unwrap_or(&m.mount_source),
        match m.rotational {
            Some(true) => " (rotational)",
            Some(false) => " (ssd)",
            None => "",
        }
    )?;
    writeln!(
        out,
        "corpus {} files × {} lines ({} scale), {} cache, {} reps + {} warm-up per point, {} of {} budget",
        s.files,
        s.lines,
        s.scale,
        s.cache,
        s.reps,
        s.warmup,
        human_s(p.elapsed_s),
        human_s(p.budget_s)
    )?;
    if !s.reps_note.is_empty() {
        writeln!(out, "note: {}", s.reps_note)?;
    }
    writeln!(out)?;
    let rows: Vec<Vec<String>> = p.workloads.iter().map(recommendation_row).collect();
    write_table(
        out,
        &[
            "workload",
            "recommended",
            "MB/s [95% CI]",
            "speedup [95% CI]",
            "curve",
        ],
        &rows,
    )?;
    render_strategies(out, p)?;
    render_notes(out, p)
}

fn shape_word(shape: Option<CurveShape>) -> String {
    shape.map_or(String::new(), |s| {
        serde_json::to_string(&s)
            .unwrap_or_default()
            .trim_matches('"')
            .replace('_', " ")
    })
}

fn recommendation_row(w: &WorkloadProfile) -> Vec<String> {
    match &w.recommended {
        Some(c) => vec![
            w.workload.clone(),
            c.setting.clone(),
            c.throughput_text(),
            c.speedup_text(),
            shape_word(c.shape),
        ],
        None => vec![w.workload.clone(), w.status.clone()],
    }
}

fn render_strategies(out: &mut impl Write, p: &Profile) -> io::Result<()> {
    let mut rows = Vec::new();
    for w in &p.workloads {
        for c in &w.strategies {
            rows.push(vec![
                w.workload.clone(),
                c.setting.clone(),
                c.throughput_text(),
                c.speedup_text(),
                shape_word(c.shape),
                format!("{} up to {}", c.points, c.largest),
                c.stop.clone(),
            ]);
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nEach strategy's knee (smallest setting within noise of its best):"
    )?;
    write_table(
        out,
        &[
            "workload",
            "knee",
            "MB/s [95% CI]",
            "speedup [95% CI]",
            "curve",
            "points",
            "stopped because",
        ],
        &rows,
    )
}

fn render_notes(out: &mut impl Write, p: &Profile) -> io::Result<()> {
    writeln!(out)?;
    for w in &p.workloads {
        if !w.note.is_empty() {
            writeln!(out, "{}: {}", w.workload, w.note)?;
        }
        if let Some(d) = &w.drift {
            writeln!(
                out,
                "{}: the sequential baseline moved between rounds ({:.1} to {:.1} MB/s, intervals apart): \
                 the machine drifted during the sweep; speedups compare within a round, but expect \
                 throughput to vary more than the intervals say",
                w.workload, d.min_mb_per_s, d.max_mb_per_s
            )?;
        }
        if !w.within_noise.is_empty() {
            writeln!(
                out,
                "{}: within noise of the recommendation: {}",
                w.workload,
                w.within_noise.join(", ")
            )?;
        }
    }
    if !p.skipped.is_empty() {
        writeln!(out, "\nNot measured:")?;
        for k in &p.skipped {
            let what = if k.setting.is_empty() {
                &k.strategy
            } else {
                &k.setting
            };
            writeln!(out, "  {} {}: {}", k.workload, what, k.reason)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;
    use crate::tune::planner::Setting;
    use crate::tune::sweep::StrategySweep;
    use crate::workload::{ReadSpec, Workload};
    use std::collections::BTreeMap;

    fn est(point: f64, half: f64) -> Estimate {
        Estimate {
            point,
            ci: Interval {
                low: point - half,
                high: point + half,
                level: 0.95,
            },
        }
    }

    /// A finished sweep from `(workers, MB/s, half-width)`, speedups over a
    /// 100 MB/s baseline.
    fn swept(kind: Kind, points: &[(u32, f64, f64)]) -> StrategySweep {
        let mut s = StrategySweep::new(kind);
        s.status = Status::Ended("done".into());
        for &(n, mb, half) in points {
            let setting = Setting::Workers(n);
            s.state.record(setting, est(mb, half));
            s.points.push(Point {
                setting,
                throughput: est(mb, half),
                speedup: Some(est(mb / 100.0, half / 100.0 + 0.02)),
                wall_s: 1.0,
                reps: 5,
                round: 2,
                scenario_id: format!("{kind}-{n}"),
            });
        }
        s
    }

    fn workload(strategies: Vec<StrategySweep>) -> WorkloadSweep {
        WorkloadSweep {
            workload: Workload::Read(ReadSpec::default()),
            strategies,
            baselines: BTreeMap::from([(1, est(99.0, 4.0)), (2, est(100.0, 4.0))]),
            cost: Default::default(),
            base_wall: Some(1.0),
            probed: true,
        }
    }

    #[test]
    fn the_fewest_workers_within_noise_of_the_fastest_knee_is_recommended() {
        let ws = workload(vec![
            swept(
                Kind::IoUring,
                &[
                    (1, 100.0, 4.0),
                    (2, 150.0, 4.0),
                    (4, 195.0, 4.0),
                    (8, 198.0, 4.0),
                ],
            ),
            swept(
                Kind::Threads,
                &[(1, 100.0, 4.0), (2, 190.0, 4.0), (4, 200.0, 4.0)],
            ),
        ]);
        let w = workload_profile(0.05, &ws);
        let rec = w.recommended.unwrap();
        assert_eq!(rec.setting, "threads(2)");
        assert_eq!((rec.workers, rec.threads, rec.processes), (2, 2, 1));
        assert_eq!(rec.shape, Some(CurveShape::Plateau));
        assert_eq!(w.within_noise, vec!["io_uring(4)"]);
        assert!(
            w.note.contains("the highest median, io_uring(4)"),
            "{}",
            w.note
        );
        assert_eq!(w.sequential.unwrap().mb_per_s, 100.0);
        assert_eq!(w.strategies.len(), 2);
    }

    #[test]
    fn sequential_is_recommended_when_nothing_is_clearly_faster() {
        // threads(2) is distinguishable from threads(1), but its speedup,
        // 1.09× [1.05 … 1.13], does not clear 1 + 5 %.
        let ws = workload(vec![swept(
            Kind::Threads,
            &[(1, 100.0, 2.0), (2, 109.0, 2.0), (4, 108.0, 2.0)],
        )]);
        let w = workload_profile(0.05, &ws);
        let rec = w.recommended.unwrap();
        assert_eq!((rec.strategy.as_str(), rec.workers), ("sequential", 1));
        assert_eq!(rec.mb_per_s, 100.0);
        assert_eq!(rec.shape, Some(CurveShape::Plateau));
        assert!(
            w.note.starts_with(
                "no concurrent setting was clearly faster than sequential; the closest, threads(2), measured 1.09×"
            ),
            "{}",
            w.note
        );
        assert!(w.within_noise.is_empty(), "{:?}", w.within_noise);
        // A flat curve: the knee is at one worker.
        let ws = workload(vec![swept(
            Kind::Threads,
            &[(1, 100.0, 4.0), (2, 104.0, 4.0), (4, 98.0, 4.0)],
        )]);
        let w = workload_profile(0.05, &ws);
        assert_eq!(w.recommended.unwrap().shape, Some(CurveShape::Flat));
        assert_eq!(w.within_noise, vec!["threads(1)"]);
    }

    #[test]
    fn a_workload_without_points_is_not_measured_and_says_why() {
        let mut s = swept(Kind::Threads, &[]);
        s.status = Status::Ended("not swept: budget".into());
        let w = workload_profile(0.05, &workload(vec![s]));
        assert_eq!(w.status, "not measured");
        assert!(w.recommended.is_none());
        assert!(w.note.contains("threads: not swept: budget"), "{}", w.note);
    }

    #[test]
    fn a_knee_at_one_worker_means_sequential_whatever_its_speedup() {
        // threads(1) "measured" 1.3× (a slow baseline that round): still
        // one worker, so sequential is recommended.
        let ws = workload(vec![swept(
            Kind::Threads,
            &[(1, 130.0, 4.0), (2, 128.0, 4.0), (4, 90.0, 4.0)],
        )]);
        let w = workload_profile(0.05, &ws);
        assert_eq!(w.recommended.unwrap().strategy, "sequential");
        assert!(
            w.note
                .starts_with("the knee is at one worker (threads(1), 1.30×"),
            "{}",
            w.note
        );
    }

    #[test]
    fn drift_is_reported_only_when_baselines_are_apart() {
        assert_eq!(drift(&[est(100.0, 10.0), est(115.0, 10.0)]), None);
        assert_eq!(drift(&[est(100.0, 10.0)]), None);
        let d = drift(&[est(250.0, 50.0), est(66.0, 5.0), est(90.0, 30.0)]).unwrap();
        assert_eq!((d.min_mb_per_s, d.max_mb_per_s, d.rounds), (66.0, 250.0, 3));
    }

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("a b/c", "2026-01-02"), "a_b_c-2026-01-02");
        assert_eq!(file_stem("", "2026-01-02"), "host-2026-01-02");
    }
}
