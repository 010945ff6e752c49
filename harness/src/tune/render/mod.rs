//! The terminal tables of `iolab tune`: the profile ([`render`]) and a
//! comparison of two profiles ([`compare`]), through one table writer
//! ([`table`]). Does not own what they show (`super::profile`).

pub mod compare;
pub mod table;

use std::io::{self, Write};

use super::plan::budget::human_s;
use super::profile::{Profile, WorkloadProfile};
use crate::tune::knee::CurveShape;
use table::write_table;

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
    let rows: Vec<Vec<String>> = p
        .workloads
        .iter()
        .map(|w| recommendation_row(p, w))
        .collect();
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

fn recommendation_row(p: &Profile, w: &WorkloadProfile) -> Vec<String> {
    match &w.recommended {
        Some(c) => vec![
            p.label(w),
            c.setting.clone(),
            c.throughput_text(),
            c.speedup_text(),
            shape_word(c.shape),
        ],
        None => vec![p.label(w), w.status.clone()],
    }
}

fn render_strategies(out: &mut impl Write, p: &Profile) -> io::Result<()> {
    let mut rows = Vec::new();
    for w in &p.workloads {
        for c in &w.strategies {
            rows.push(vec![
                p.label(w),
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
        let name = p.label(w);
        if !w.note.is_empty() {
            writeln!(out, "{name}: {}", w.note)?;
        }
        if let Some(d) = &w.drift {
            writeln!(
                out,
                "{name}: the sequential baseline moved between rounds ({:.1} to {:.1} MB/s, intervals apart): \
                 the machine drifted during the sweep; speedups compare within a round, but expect \
                 throughput to vary more than the intervals say",
                d.min_mb_per_s, d.max_mb_per_s
            )?;
        }
        if !w.within_noise.is_empty() {
            writeln!(
                out,
                "{name}: within noise of the recommendation: {}",
                w.within_noise.join(", ")
            )?;
        }
    }
    if !p.skipped.is_empty() {
        writeln!(out, "\nNot measured:")?;
        for k in &p.skipped {
            let what = if k.setting.is_empty() {
                k.strategy.name()
            } else {
                &k.setting
            };
            writeln!(out, "  {} {}: {}", k.workload, what, k.reason)?;
        }
    }
    Ok(())
}
