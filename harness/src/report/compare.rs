//! `iolab compare <run-a> <run-b>`: scenario by scenario, is run B faster or
//! slower than run A (the reference), and do the intervals say so?
//!
//! Scenarios are matched by id. For each match the time ratio `median(B) /
//! median(A)` of the verified repetitions' wall times gets a percentile
//! bootstrap interval ([`stats::speedup`], seeded with run A's bootstrap
//! seed), and the change is called faster or slower only when the whole
//! interval clears the `--noise` band (criterion's rule,
//! [`stats::classify_speedup`]). A regression for `--fail-on-regression PCT`
//! is a slower scenario whose interval lies wholly above `1 + PCT/100`.
//!
//! Given more runs (`iolab compare A B C …`) whose MPI rank counts differ,
//! the comparison adds the scaling of aggregate throughput with the number
//! of ranks per scenario ([`rank_scaling`]): a table and a chart.
//!
//! Owns: matching, the comparison's terminal table, HTML page, Markdown and
//! chart. Does not own: the statistics (`crate::stats`).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::charts::rank_scaling::{self, RankPoint};
use super::charts::ratio::{self, RatioFigure, RatioRow};
use super::context::{machine_facts, run_facts};
use super::{html, markdown, pairing, style, view};
use crate::results::{self, write_atomically, LoadedRun, Status};
use crate::stats::{self, Bootstrap, Change, Sample};

/// Exit status when a regression beyond `--fail-on-regression` is found.
pub const EXIT_REGRESSION: u8 = 2;

/// The comparison of two runs.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Run A's id (the reference).
    pub run_a: String,
    /// Run B's id.
    pub run_b: String,
    /// Facts of both runs side by side: `(label, A, B)`.
    pub facts: Vec<(String, String, String)>,
    /// Noise band, a fraction.
    pub noise: f64,
    /// Matched scenarios, by id.
    pub rows: Vec<ScenarioChange>,
    /// Scenario ids only in run A.
    pub only_a: Vec<String>,
    /// Scenario ids only in run B.
    pub only_b: Vec<String>,
    /// Aggregate throughput per scenario and rank count, over every run
    /// compared; empty unless the runs have two rank counts or more.
    pub ranks: Vec<RankPoint>,
}

/// One matched scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioChange {
    /// Scenario id.
    pub scenario: String,
    /// Run A's median wall seconds, when timed.
    pub a_median_s: Option<f64>,
    /// Run B's median wall seconds, when timed.
    pub b_median_s: Option<f64>,
    /// Time ratio B / A with its interval `(point, low, high)`.
    pub ratio: Option<(f64, f64, f64)>,
    /// Faster, slower or no change; `None` when not comparable.
    pub change: Option<Change>,
    /// Why not comparable, or the statuses when they differ.
    pub note: String,
}

impl ScenarioChange {
    /// Percent change of time, B against A (+100 % = twice as slow).
    pub fn percent(&self) -> Option<f64> {
        self.ratio.map(|(p, _, _)| (p - 1.0) * 100.0)
    }
}

/// Wall times of the measured, verified repetitions of `scenario`.
fn walls(run: &LoadedRun, scenario: &str) -> Option<Sample> {
    let values: Vec<f64> = run
        .rows
        .iter()
        .filter(|r| r.scenario_id == scenario && !r.warmup && r.status == Status::Ok && r.verified)
        .map(|r| r.wall_s.max(1e-9))
        .collect();
    Sample::new(values).ok()
}

fn status(run: &LoadedRun, scenario: &str) -> String {
    run.summary
        .iter()
        .find(|s| s.scenario_id == scenario)
        .map_or_else(|| "missing".into(), |s| s.status.to_string())
}

/// Scenario `ids.0` of `a` against scenario `ids.1` of `b` (the same id,
/// or a pair of [`pairing`]), shown as `label`.
fn match_one(
    a: &LoadedRun,
    b: &LoadedRun,
    (ia, ib): (&str, &str),
    label: &str,
    boot: &Bootstrap,
    noise: f64,
) -> ScenarioChange {
    let (wa, wb) = (walls(a, ia), walls(b, ib));
    let mut change = ScenarioChange {
        scenario: label.to_string(),
        a_median_s: wa.as_ref().map(Sample::median),
        b_median_s: wb.as_ref().map(Sample::median),
        ratio: None,
        change: None,
        note: String::new(),
    };
    let (sa, sb) = (status(a, ia), status(b, ib));
    if sa != sb {
        change.note = format!("status {sa} → {sb}");
    }
    match (wa, wb) {
        (Some(wa), Some(wb)) if wa.len().min(wb.len()) < results::MIN_INTERVAL_N => {
            change.note = format!(
                "not enough data: {} vs {} verified repetitions (n = 1: no interval)",
                wa.len(),
                wb.len()
            );
        }
        (Some(wa), Some(wb)) => match stats::speedup(&wa, &wb, boot) {
            Ok(s) => {
                let ci = s.ci.reciprocal();
                change.ratio = Some((1.0 / s.point, ci.low, ci.high));
                change.change = Some(stats::classify_speedup(&s.ci, noise));
            }
            Err(e) => change.note = format!("not comparable: {e}"),
        },
        (None, _) => change.note = format!("not comparable: no verified repetitions in A ({sa})"),
        (_, None) => change.note = format!("not comparable: no verified repetitions in B ({sb})"),
    }
    change
}

fn side_by_side(a: &LoadedRun, b: &LoadedRun) -> Vec<(String, String, String)> {
    let wanted = ["iolab", "Started", "Corpus", "Measurement"];
    let pick = |run: &LoadedRun| {
        let mut f = machine_facts(run);
        f.extend(
            run_facts(run)
                .into_iter()
                .filter(|f| wanted.contains(&f.label.as_str())),
        );
        f
    };
    let (fa, fb) = (pick(a), pick(b));
    let mut facts: Vec<_> = fa
        .into_iter()
        .zip(fb)
        .map(|(x, y)| (x.label, x.value, y.value))
        .collect();
    let user = |run: &LoadedRun| run.meta.user_crate.as_ref().map(ToString::to_string);
    if let (ua @ Some(_), ub) | (ua, ub @ Some(_)) = (user(a), user(b)) {
        let shown = |u: Option<String>| u.unwrap_or_else(|| "—".into());
        facts.push((USER_CRATE.into(), shown(ua), shown(ub)));
    }
    facts
}

/// The label of the user's crate among the compared facts.
const USER_CRATE: &str = "Your crate";

/// The line saying that A and B ran different versions of the user's
/// code (name, version, commit or a modified tree), if they did.
pub fn version_note(c: &Comparison) -> Option<String> {
    let (_, a, b) = c.facts.iter().find(|(label, _, _)| label == USER_CRATE)?;
    (a != b).then(|| format!("A and B ran different versions of your code: A {a}, B {b}"))
}

/// Compare run `b` against the reference run `a`; `noise` is a fraction
/// (0.02 = ±2 %).
pub fn compare_runs(a: &LoadedRun, b: &LoadedRun, noise: f64) -> Comparison {
    let boot = Bootstrap {
        seed: a.meta.plan.bootstrap_seed,
        ..Bootstrap::default()
    };
    let ids = |run: &LoadedRun| -> Vec<String> {
        run.summary.iter().map(|s| s.scenario_id.clone()).collect()
    };
    let (ia, ib) = (ids(a), ids(b));
    let mut both: Vec<&String> = ia.iter().filter(|id| ib.contains(id)).collect();
    both.sort();
    Comparison {
        run_a: a.meta.run_id.clone(),
        run_b: b.meta.run_id.clone(),
        facts: side_by_side(a, b),
        noise,
        rows: both
            .iter()
            .map(|id| match_one(a, b, (id, id), id, &boot, noise))
            .collect(),
        only_a: ia.iter().filter(|id| !ib.contains(id)).cloned().collect(),
        only_b: ib.iter().filter(|id| !ia.contains(id)).cloned().collect(),
        ranks: Vec::new(),
    }
}

/// Compare the scenarios of `a` and `b` whose ids differ only in knob
/// `key`'s value ([`pairing::pairs`]; `b` may be `a` itself, each two
/// values of a scenario then paired once, the smaller the reference).
/// Scenarios without a partner are listed as only in A or B.
///
/// # Errors
/// A knob neither run has, in one line naming those they have.
pub fn compare_paired(
    a: &LoadedRun,
    b: &LoadedRun,
    noise: f64,
    key: &str,
) -> Result<Comparison, String> {
    let same = std::ptr::eq(a, b);
    let ids = |run: &LoadedRun| -> Vec<String> {
        run.summary.iter().map(|s| s.scenario_id.clone()).collect()
    };
    let (ia, ib) = (ids(a), ids(b));
    let pairs = pairing::pairs(&ia, &ib, key, same)?;
    let mut c = compare_runs(a, b, noise);
    let boot = Bootstrap {
        seed: a.meta.plan.bootstrap_seed,
        ..Bootstrap::default()
    };
    c.rows = pairs
        .iter()
        .map(|p| match_one(a, b, (&p.a, &p.b), &p.label, &boot, noise))
        .collect();
    let paired = |id: &String| pairs.iter().any(|p| &p.a == id || &p.b == id);
    c.only_a = ia.iter().filter(|id| !paired(id)).cloned().collect();
    c.only_b = if same {
        Vec::new()
    } else {
        ib.iter().filter(|id| !paired(id)).cloned().collect()
    };
    Ok(c)
}

/// `c` with the scaling over the ranks of `runs` (every run compared),
/// when they differ in rank count.
pub fn with_ranks(mut c: Comparison, runs: &[&LoadedRun]) -> Comparison {
    let points = rank_scaling::points(runs);
    if rank_scaling::spec(&points).is_some() {
        c.ranks = points;
    }
    c
}

/// Scenarios slower by more than `pct` percent, interval included.
pub fn regressions(c: &Comparison, pct: f64) -> Vec<&ScenarioChange> {
    c.rows
        .iter()
        .filter(|r| r.change == Some(Change::Slower))
        .filter(|r| r.ratio.is_some_and(|(_, low, _)| low > 1.0 + pct / 100.0))
        .collect()
}

fn ratio_text(r: &ScenarioChange) -> String {
    r.ratio.map_or_else(
        || "–".into(),
        |(p, l, h)| format!("{p:.2}× [{l:.2}, {h:.2}]"),
    )
}

fn change_text(r: &ScenarioChange) -> String {
    match r.change {
        Some(c) => c.to_string(),
        None => "not comparable".into(),
    }
}

fn median_text(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), view::duration)
}

/// Print the comparison as a table to `w`.
///
/// # Errors
/// When `w` cannot be written.
pub fn print_table(w: &mut dyn Write, c: &Comparison) -> io::Result<()> {
    writeln!(
        w,
        "A: {}   B: {}   (time B/A with 95 % interval; noise ±{:.1} %)",
        c.run_a,
        c.run_b,
        c.noise * 100.0
    )?;
    if let Some(note) = version_note(c) {
        writeln!(w, "{note}")?;
    }
    let width = c
        .rows
        .iter()
        .map(|r| r.scenario.len())
        .max()
        .unwrap_or(8)
        .max(8);
    writeln!(
        w,
        "{:width$}  {:>10}  {:>10}  {:>24}  change",
        "scenario", "A median", "B median", "time B/A"
    )?;
    for r in &c.rows {
        writeln!(
            w,
            "{:width$}  {:>10}  {:>10}  {:>24}  {}{}",
            r.scenario,
            median_text(r.a_median_s),
            median_text(r.b_median_s),
            ratio_text(r),
            change_text(r),
            if r.note.is_empty() {
                String::new()
            } else {
                format!("  ({})", r.note)
            }
        )?;
    }
    for (label, ids) in [("only in A", &c.only_a), ("only in B", &c.only_b)] {
        if !ids.is_empty() {
            writeln!(w, "{label}: {}", ids.join(", "))?;
        }
    }
    if !c.ranks.is_empty() {
        writeln!(w, "\naggregate throughput against MPI ranks:")?;
        let rows = rank_scaling::table(&c.ranks);
        let widths: Vec<usize> = (0..rank_scaling::HEADER.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([rank_scaling::HEADER[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[&str]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:w$}"))
                .collect::<Vec<_>>()
                .join("  ")
        };
        writeln!(w, "{}", line(&rank_scaling::HEADER).trim_end())?;
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            writeln!(w, "{}", line(&cells).trim_end())?;
        }
    }
    Ok(())
}

fn figure(c: &Comparison) -> Option<RatioFigure> {
    let rows: Vec<RatioRow> = c
        .rows
        .iter()
        .filter_map(|r| {
            let (ratio, low, high) = r.ratio?;
            let colour = match r.change {
                Some(Change::Faster) => ratio::FASTER,
                Some(Change::Slower) => ratio::SLOWER,
                _ => ratio::SAME,
            };
            Some(RatioRow {
                label: r.scenario.clone(),
                ratio,
                low,
                high,
                colour: style::hex(colour),
            })
        })
        .collect();
    (!rows.is_empty()).then_some(RatioFigure {
        noise: c.noise,
        rows,
    })
}

/// Write `<out_root>/compare-<A>-vs-<B>/` with `index.html`, `compare.md`,
/// `compare.png` (when any scenario is comparable) and `ranks.png` (when
/// the runs differ in rank count); returns the folder.
///
/// # Errors
/// When a file cannot be written or the chart drawn, naming it.
pub fn write(c: &Comparison, out_root: &Path) -> anyhow::Result<PathBuf> {
    let out = out_root.join(format!("compare-{}-vs-{}", c.run_a, c.run_b));
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let title = format!("{} vs {}: time ratio per scenario", c.run_b, c.run_a);
    let png = figure(c)
        .map(|f| drawn(&out.join("compare.png"), |p| ratio::draw(&title, &f, p)))
        .transpose()?;
    let ranks_title = "aggregate throughput against MPI ranks (MB/s)";
    let ranks_png = rank_scaling::spec(&c.ranks)
        .map(|f| {
            drawn(&out.join("ranks.png"), |p| {
                rank_scaling::draw(ranks_title, &f, p)
            })
        })
        .transpose()?;
    let html = page(c, png.as_deref(), ranks_png.as_deref());
    write_atomically(&out.join("index.html"), html.as_bytes())?;
    write_atomically(&out.join("compare.md"), markdown_text(c).as_bytes())?;
    Ok(out)
}

/// Draw a chart to `path` and read its bytes back (to embed them).
fn drawn(path: &Path, draw: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<Vec<u8>> {
    draw(path).map_err(|e| anyhow::anyhow!("drawing {}: {e}", path.display()))?;
    super::read_chart(path)
}

/// A PNG embedded in the page with a link to its file.
fn figure_html(png: &[u8], alt: &str, file: &str) -> String {
    format!(
        "<figure><img src=\"data:image/png;base64,{}\" alt=\"{alt}\" width=\"{}\"><figcaption><a href=\"{file}\">{file}</a></figcaption></figure>\n",
        html::base64(png),
        style::WIDTH
    )
}

fn counts(c: &Comparison) -> String {
    let n = |want: Option<Change>| c.rows.iter().filter(|r| r.change == want).count();
    format!(
        "{} faster, {} slower, {} no clear change, {} not comparable",
        n(Some(Change::Faster)),
        n(Some(Change::Slower)),
        n(Some(Change::NoChange)),
        n(None)
    )
}

fn page(c: &Comparison, png: Option<&[u8]>, ranks_png: Option<&[u8]>) -> String {
    let e = html::escape;
    let mut body = format!(
        "<header id=\"header\">\n<h1>iolab compare: {} vs {}</h1>\n<p class=\"lead\">Run B (<code>{}</code>) against the reference run A (<code>{}</code>): time ratio B/A per scenario with its 95 % bootstrap interval; a change is called only when the interval clears the ±{:.1} % noise band. {}.</p>\n</header>\n",
        e(&c.run_b), e(&c.run_a), e(&c.run_b), e(&c.run_a), c.noise * 100.0, counts(c)
    );
    body.push_str("<section id=\"machines\">\n<h2>Machines and runs</h2>\n<table>\n<thead><tr><th></th><th>A</th><th>B</th></tr></thead>\n<tbody>\n");
    for (label, a, b) in &c.facts {
        let mark = if a == b {
            ""
        } else {
            " style=\"background:#fff3cd\""
        };
        body.push_str(&format!(
            "<tr{mark}><th>{}</th><td>{}</td><td>{}</td></tr>\n",
            e(label),
            e(a),
            e(b)
        ));
    }
    body.push_str("</tbody>\n</table>\n</section>\n");
    if let Some(png) = png {
        body.push_str(&format!(
            "<section id=\"chart\">\n<h2>Time ratios</h2>\n{}</section>\n",
            figure_html(png, "time ratio per scenario", "compare.png")
        ));
    }
    body.push_str("<section id=\"scenarios\">\n<h2>Scenarios</h2>\n<div class=\"scroll\"><table class=\"sortable\">\n<thead><tr><th>Scenario</th><th class=\"num\">A median</th><th class=\"num\">B median</th><th class=\"num\">Time B/A [95 % CI]</th><th>Change</th><th>Note</th></tr></thead>\n<tbody>\n");
    for r in &c.rows {
        let class = match r.change {
            Some(Change::Faster) => "faster",
            Some(Change::Slower) => "slower",
            Some(Change::NoChange) => "same",
            None => "untested",
        };
        body.push_str(&format!(
            "<tr><td><code>{}</code></td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td><span class=\"badge {class}\">{}</span></td><td>{}</td></tr>\n",
            e(&r.scenario),
            r.a_median_s.unwrap_or(-1.0), e(&median_text(r.a_median_s)),
            r.b_median_s.unwrap_or(-1.0), e(&median_text(r.b_median_s)),
            r.ratio.map_or(-1.0, |x| x.0), e(&ratio_text(r)),
            e(&change_text(r)),
            e(&r.note)
        ));
    }
    body.push_str("</tbody>\n</table></div>\n");
    for (label, ids) in [("Only in A", &c.only_a), ("Only in B", &c.only_b)] {
        if !ids.is_empty() {
            let items: String = ids
                .iter()
                .map(|i| format!("<li><code>{}</code></li>", e(i)))
                .collect();
            body.push_str(&format!("<h3>{label}</h3>\n<ul>{items}</ul>\n"));
        }
    }
    body.push_str("</section>\n");
    body.push_str(&ranks_section(c, ranks_png));
    html::page(
        &format!("iolab compare · {} vs {}", c.run_b, c.run_a),
        &body,
    )
}

/// The HTML section of the scaling with ranks (empty without it).
fn ranks_section(c: &Comparison, png: Option<&[u8]>) -> String {
    if c.ranks.is_empty() {
        return String::new();
    }
    let e = html::escape;
    let mut s = String::from("<section id=\"ranks\">\n<h2>Aggregate throughput against MPI ranks</h2>\n<p>Median aggregate throughput (total bytes ÷ latest end − earliest start) of each run with its 95 % interval, and the median straggler gap (last rank done − first rank done); a one-rank run starts every layout's line.</p>\n");
    if let Some(png) = png {
        s.push_str(&figure_html(
            png,
            "aggregate throughput against ranks",
            "ranks.png",
        ));
    }
    s.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for h in rank_scaling::HEADER {
        s.push_str(&format!("<th>{}</th>", e(h)));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for row in rank_scaling::table(&c.ranks) {
        let cells: String = row.iter().map(|v| format!("<td>{}</td>", e(v))).collect();
        s.push_str(&format!("<tr>{cells}</tr>\n"));
    }
    s.push_str("</tbody>\n</table></div>\n</section>\n");
    s
}

/// `compare.md`: the comparison as Markdown.
pub fn markdown_text(c: &Comparison) -> String {
    let cell = markdown::cell;
    let mut s = format!(
        "# iolab compare: {} vs {}\n\nTime ratio B/A per scenario with 95 % bootstrap interval; noise band ±{:.1} %. {}.\n\n## Machines and runs\n\n",
        c.run_b, c.run_a, c.noise * 100.0, counts(c)
    );
    let facts: Vec<Vec<String>> = c
        .facts
        .iter()
        .map(|(l, a, b)| vec![cell(l), cell(a), cell(b)])
        .collect();
    s.push_str(&markdown::table(&["", "A", "B"], &facts));
    if let Some(note) = version_note(c) {
        s.push_str(&format!("\n**{}.**\n", cell(&note)));
    }
    s.push_str("\n## Scenarios\n\n");
    let rows: Vec<Vec<String>> = c
        .rows
        .iter()
        .map(|r| {
            vec![
                format!("`{}`", cell(&r.scenario)),
                median_text(r.a_median_s),
                median_text(r.b_median_s),
                ratio_text(r),
                format!("**{}**", change_text(r)),
                cell(&r.note),
            ]
        })
        .collect();
    s.push_str(&markdown::table(
        &[
            "Scenario",
            "A median",
            "B median",
            "Time B/A [95 % CI]",
            "Change",
            "Note",
        ],
        &rows,
    ));
    for (label, ids) in [("Only in A", &c.only_a), ("Only in B", &c.only_b)] {
        if !ids.is_empty() {
            s.push_str(&format!(
                "\n{label}: {}\n",
                ids.iter()
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if !c.ranks.is_empty() {
        s.push_str("\n## Aggregate throughput against MPI ranks\n\n");
        let rows: Vec<Vec<String>> = rank_scaling::table(&c.ranks)
            .into_iter()
            .map(|r| r.iter().map(|v| cell(v)).collect())
            .collect();
        s.push_str(&markdown::table(&rank_scaling::HEADER, &rows));
    }
    s
}

fn check_percent(flag: &str, value: f64) -> anyhow::Result<f64> {
    anyhow::ensure!(
        value.is_finite() && value >= 0.0,
        "{flag} {value}: must be a percentage of 0 or more, e.g. {flag} 5"
    );
    Ok(value)
}

/// What `iolab compare` is asked: the two runs, where the pages go, and the
/// thresholds as given (checked by [`command`]).
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRequest {
    /// The baseline run folder.
    pub run_a: PathBuf,
    /// The run compared with it (`None`: run A with itself, by
    /// [`CompareRequest::pair_by`]).
    pub run_b: Option<PathBuf>,
    /// Further runs: with A and B, the scaling of aggregate throughput with
    /// MPI ranks when their rank counts differ.
    pub more: Vec<PathBuf>,
    /// Folder the comparison's pages go into (default `reports`).
    pub out: PathBuf,
    /// Exit with status 2 when a scenario is slower by more than this
    /// percentage (none: never).
    pub fail_on_regression: Option<f64>,
    /// Changes smaller than this percentage count as noise (default 2).
    pub noise: f64,
    /// Pair scenarios whose ids differ only in this knob's value instead
    /// of matching equal ids ([`compare_paired`]).
    pub pair_by: Option<String>,
}

/// `iolab compare`: load both runs, print the table, write the files, and
/// pick the exit status.
///
/// # Errors
/// A bad `--noise` or `--fail-on-regression`, a run folder that does not
/// load, or a file that cannot be written.
pub fn command(args: &CompareRequest) -> anyhow::Result<ExitCode> {
    let noise = check_percent("--noise", args.noise)? / 100.0;
    let gate = args
        .fail_on_regression
        .map(|p| check_percent("--fail-on-regression", p))
        .transpose()?;
    let a = results::load(&args.run_a)?;
    let b = args.run_b.as_deref().map(results::load).transpose()?;
    let more = args
        .more
        .iter()
        .map(|p| results::load(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let b_or_a = b.as_ref().unwrap_or(&a);
    let all: Vec<&LoadedRun> = [&a].into_iter().chain(&b).chain(&more).collect();
    let c = match &args.pair_by {
        Some(key) => compare_paired(&a, b_or_a, noise, key).map_err(anyhow::Error::msg)?,
        None => compare_runs(&a, b_or_a, noise),
    };
    let c = with_ranks(c, &all);
    let mut out = io::stdout().lock();
    print_table(&mut out, &c)?;
    let dir = write(&c, &args.out)?;
    writeln!(out, "\n{}", dir.join("index.html").display())?;
    if let Some(pct) = gate {
        let worse = regressions(&c, pct);
        if !worse.is_empty() {
            for r in &worse {
                writeln!(
                    out,
                    "regression beyond {pct} %: {} ({})",
                    r.scenario,
                    ratio_text(r)
                )?;
            }
            return Ok(ExitCode::from(EXIT_REGRESSION));
        }
    }
    Ok(ExitCode::SUCCESS)
}
