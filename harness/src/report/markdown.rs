//! `summary.md`: the report as Markdown tables, for pull requests, issues
//! and terminals. Filled from the same [`RunContext`] as the HTML page.
//!
//! Owns: Markdown layout. Does not own: what is said (`context`).

use super::context::{Estimate, RunContext, TableRow};
use super::view;
use crate::workload::WorkloadId;

/// Escape text for a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown table: header cells and rows of cells (already escaped).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n", header.join(" | "));
    s.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

fn fact<'a>(ctx: &'a RunContext, label: &str) -> &'a str {
    ctx.machine
        .iter()
        .chain(&ctx.run)
        .find(|f| f.label == label)
        .map_or("", |f| f.value.as_str())
}

/// `summary.md` of a run.
pub fn run_summary(ctx: &RunContext) -> String {
    let mut s = format!("# iolab report: {}\n\n", ctx.run_id);
    s.push_str(&format!(
        "Machine: {}; {} memory; {}; kernel {}; {}.\n\niolab {}; started {}; total time {}.\n\nCorpus: {}.\n\n",
        fact(ctx, "CPU"),
        fact(ctx, "Memory"),
        fact(ctx, "OS"),
        fact(ctx, "Kernel"),
        fact(ctx, "Storage"),
        fact(ctx, "iolab"),
        fact(ctx, "Started"),
        fact(ctx, "Total time"),
        fact(ctx, "Corpus"),
    ));
    let user = fact(ctx, "Your crate");
    if !user.is_empty() {
        s.push_str(&format!("Your crate: {user}.\n\n"));
    }
    if !ctx.headlines.is_empty() {
        s.push_str("## Headline\n\nFastest verified scenario per workload and cache state, against the sequential baseline (95 % bootstrap intervals).\n\n");
        let rows: Vec<Vec<String>> = ctx
            .headlines
            .iter()
            .map(|h| {
                [
                    h.workload.name(),
                    &h.cache,
                    &h.fastest,
                    &h.throughput,
                    &h.baseline,
                    &h.speedup,
                    &h.verdict,
                ]
                .iter()
                .map(|c| cell(c))
                .collect()
            })
            .collect();
        s.push_str(&table(
            &[
                "Workload",
                "Cache",
                "Fastest",
                "Throughput [95 % CI]",
                "Sequential",
                "Speedup [95 % CI]",
                "Verdict",
            ],
            &rows,
        ));
        s.push('\n');
    }
    if let Some(m) = &ctx.storage {
        s.push_str(&storage(m, ctx));
    }
    s.push_str(&claims(ctx));
    if let Some(c) = &ctx.calibration {
        s.push_str(&calibration(c));
    }
    s.push_str(&per_workload(&ctx.table));
    s.push_str(&metrics(ctx));
    s.push_str(&workloads(ctx));
    s.push_str(&timelines(ctx));
    s.push_str(&warnings_and_notes(ctx));
    s
}

/// The user metrics' tables, one per workload that has them.
fn metrics(ctx: &RunContext) -> String {
    if ctx.metrics.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "## Metrics\n\nThe workloads' own figures: median over the verified repetitions [95 % bootstrap interval].\n\n",
    );
    for t in &ctx.metrics {
        let header: Vec<&str> = t.header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|r| r.iter().map(|c| cell(c)).collect())
            .collect();
        s.push_str(&format!(
            "### {}\n\n{}\n",
            t.workload.name(),
            table(&header, &rows)
        ));
    }
    s
}

/// Each workload's description and its scenarios' checks.
fn workloads(ctx: &RunContext) -> String {
    if ctx.workloads.is_empty() {
        return String::new();
    }
    let mut s = String::from("## Workloads and their checks\n\n");
    for w in &ctx.workloads {
        s.push_str(&format!("### {}\n\n", w.workload.name()));
        for line in &w.description {
            s.push_str(&format!("{line}  \n"));
        }
        s.push('\n');
        for check in &w.checks {
            s.push_str(&format!("- {check}\n"));
        }
        s.push('\n');
    }
    s
}

/// Links to the throughput-over-time charts (PNG files beside `summary.md`).
fn timelines(ctx: &RunContext) -> String {
    let section = super::charts::Section::Timeline;
    let figures: Vec<String> = ctx
        .figures
        .iter()
        .filter(|f| f.chart.section == section)
        .map(|f| format!("![{}]({})\n", f.chart.title, f.file))
        .collect();
    if figures.is_empty() {
        return String::new();
    }
    format!(
        "## {}\n\n{}\n\n{}\n",
        section.title(),
        section.intro(),
        figures.join("\n")
    )
}

/// The filesystem matrix: table, emulators, crossover sentences, charts.
fn storage(m: &super::matrix::StorageMatrix, ctx: &RunContext) -> String {
    let mut s = format!(
        "## {}\n\n{}\n\n",
        super::charts::Section::Storage.title(),
        m.intro()
    );
    let (header, rows) = m.table();
    s.push_str(&text_table(&header, &rows));
    if !m.emulators.is_empty() {
        s.push_str("The emulated storages, measured after mounting:\n\n");
        for e in &m.emulators {
            s.push_str(&format!("- {e}\n"));
        }
        s.push('\n');
    }
    if !m.crossovers.is_empty() {
        s.push_str("From which emulated latency each claim holds (its interval wholly at or above the claimed effect):\n\n");
        for c in &m.crossovers {
            s.push_str(&format!("- {c}\n"));
        }
        s.push('\n');
    }
    let sections = [
        super::charts::Section::Storage,
        super::charts::Section::Crossover,
    ];
    for f in ctx
        .figures
        .iter()
        .filter(|f| sections.contains(&f.chart.section))
    {
        s.push_str(&format!("![{}]({})\n\n", f.chart.title, f.file));
    }
    s
}

/// iolab ÷ fio per shared pattern, or the line saying why not.
fn calibration(c: &crate::calibrate::Calibration) -> String {
    let mut s = format!("## Calibration against fio\n\n{}\n\n", c.intro());
    if c.unavailable.is_none() {
        let (header, rows) = c.table();
        s.push_str(&text_table(&header, &rows));
    }
    s
}

/// [`table`] of plain text cells (escaped here), and a blank line.
fn text_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|x| cell(x)).collect())
        .collect();
    format!("{}\n", table(header, &rows))
}

fn claims(ctx: &RunContext) -> String {
    if ctx.claims.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = ctx
        .claims
        .iter()
        .map(|j| {
            vec![
                format!("**{}**: {}", cell(&j.id), cell(&j.statement)),
                cell(&j.claimed),
                cell(&j.measured),
                format!("**{}**", j.verdict),
            ]
        })
        .collect();
    let mut s = String::from("## Claims\n\n");
    s.push_str(&table(
        &["Claim", "Claimed", "Measured here", "Verdict"],
        &rows,
    ));
    if ctx.untested_claims > 0 {
        s.push_str(&format!(
            "\n{} more claim(s) are not tested by this run (`iolab claims` lists them).\n",
            ctx.untested_claims
        ));
    }
    s.push('\n');
    s
}

fn ci(v: Option<Estimate>, fmt: &dyn Fn(f64, Option<(f64, f64)>) -> String) -> String {
    v.map_or_else(|| "–".into(), |(p, i)| fmt(p, i))
}

fn per_workload(table_rows: &[TableRow]) -> String {
    let mut s = String::from(
        "## Results\n\nMedians over measured repetitions with 95 % bootstrap intervals. Harness: the strategy's calibrated dispatch cost (noop tasks), shown beside tasks shorter than 100 times it.\n\n",
    );
    let mut workloads: Vec<WorkloadId> = table_rows.iter().map(|r| r.workload).collect();
    workloads.sort();
    workloads.dedup();
    for w in workloads {
        let rows: Vec<Vec<String>> = table_rows
            .iter()
            .filter(|r| r.workload == w)
            .map(|r| {
                vec![
                    format!("`{}`", cell(&r.scenario)),
                    cell(&r.status),
                    r.verified.clone(),
                    ci(r.wall_s, &view::duration_ci),
                    ci(r.mb_per_s, &|p, i| {
                        format!("{} {}", view::sig3(p), view::interval(i, view::sig3))
                    }),
                    ci(r.speedup, &|p, i| {
                        format!("{p:.2}× {}", view::interval(i, |v| format!("{v:.2}")))
                    }),
                    r.cv_pct.map_or_else(|| "–".into(), |c| format!("{c:.1} %")),
                    cell(r.harness.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        s.push_str(&format!("### {w}\n\n"));
        s.push_str(&table(
            &[
                "Scenario",
                "Status",
                "Verified / reps",
                "Wall median [95 % CI]",
                "MB/s [95 % CI]",
                "Speedup [95 % CI]",
                "CV",
                "Harness",
            ],
            &rows,
        ));
        s.push('\n');
    }
    s
}

fn warnings_and_notes(ctx: &RunContext) -> String {
    let mut s = String::new();
    if !ctx.warnings.is_empty() {
        s.push_str("## Warnings\n\n");
        for w in &ctx.warnings {
            s.push_str(&format!("- **{}.** {}", w.title, w.text));
            if !w.items.is_empty() {
                s.push_str(&format!(" ({})", w.items.join("; ")));
            }
            s.push('\n');
        }
        s.push('\n');
    }
    if !ctx.notes.is_empty() {
        s.push_str("## Notes\n\n");
        for n in &ctx.notes {
            s.push_str(&format!(
                "- `{}` — {}: {}\n",
                n.scenario, n.status, n.detail
            ));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_escape_pipes() {
        let t = table(&["a", "b"], &[vec![cell("x|y"), "2".into()]]);
        assert_eq!(t, "| a | b |\n| --- | --- |\n| x\\|y | 2 |\n");
    }
}
