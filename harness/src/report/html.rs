//! The report page: one self-contained HTML file filled from a
//! [`RunContext`]. The page skeleton, CSS and the few lines of table-sorting
//! script are embedded templates (`harness/assets/report/`); charts are
//! embedded as `data:` PNG URIs, so the file needs no network, no other
//! file and no external font or script.
//!
//! Owns: markup. Does not own: what is said (`context`), charts (`charts`).

use super::charts::Section;
use super::claims;
use super::context::{Estimate, FigureContext, Headline, RunContext, TableRow};
use super::style;
use super::view;

const PAGE: &str = include_str!("../../assets/report/page.html");
const STYLE: &str = include_str!("../../assets/report/report.css");
const SCRIPT: &str = include_str!("../../assets/report/table.js");

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648, with padding), for `data:` URIs.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A complete page around `body` (already HTML) with the embedded style and
/// script.
pub fn page(title: &str, body: &str) -> String {
    PAGE.replace("{{title}}", &escape(title))
        .replace(
            "{{generator}}",
            &format!("iolab {}", env!("CARGO_PKG_VERSION")),
        )
        .replace("{{style}}", STYLE)
        .replace("{{script}}", SCRIPT)
        .replace("{{body}}", body)
}

/// The ids of the page's sections, in order: only those with content.
pub fn section_ids(ctx: &RunContext) -> Vec<&'static str> {
    let mut ids = vec!["header"];
    if !ctx.headlines.is_empty() {
        ids.push("headline");
    }
    for s in Section::ALL {
        let tuning = s == Section::Tuning && ctx.tuning.is_some();
        let storage = s == Section::Storage && ctx.storage.is_some();
        if tuning || storage || ctx.figures.iter().any(|f| f.chart.section == s) {
            ids.push(s.id());
        }
    }
    if !ctx.claims.is_empty() || ctx.untested_claims > 0 {
        ids.push("claims");
    }
    if ctx.calibration.is_some() {
        ids.push("calibration");
    }
    if !ctx.metrics.is_empty() {
        ids.push("metrics");
    }
    if !ctx.workloads.is_empty() {
        ids.push("workloads");
    }
    if !ctx.warnings.is_empty() {
        ids.push("warnings");
    }
    if !ctx.notes.is_empty() {
        ids.push("notes");
    }
    ids.push("results");
    ids
}

fn section_title(id: &str) -> &'static str {
    match id {
        "header" => "Machine and run",
        "headline" => "Headline",
        "claims" => "Claims",
        "calibration" => "Calibration against fio",
        "metrics" => "Metrics",
        "workloads" => "Workloads and their checks",
        "warnings" => "Warnings",
        "notes" => "Notes",
        "results" => "All results",
        other => Section::ALL
            .iter()
            .find(|s| s.id() == other)
            .map_or("", |s| s.title()),
    }
}

/// The whole report page of a run.
pub fn run_page(ctx: &RunContext) -> String {
    let ids = section_ids(ctx);
    let mut body = header(ctx, &ids);
    for id in &ids[1..] {
        let inner = match *id {
            "headline" => headline(&ctx.headlines),
            "claims" => claims_html(ctx),
            "warnings" => warnings_html(ctx),
            "notes" => notes_html(ctx),
            "results" => results_table(&ctx.table),
            "tuning" => tuning_html(ctx),
            "calibration" => calibration_html(ctx),
            "metrics" => metrics_html(ctx),
            "workloads" => workloads_html(ctx),
            "storage" => storage_html(ctx),
            chart => figures_html(ctx, chart),
        };
        body.push_str(&format!(
            "<section id=\"{id}\">\n<h2>{}</h2>\n{inner}</section>\n",
            escape(section_title(id))
        ));
    }
    page(&ctx.title, &body)
}

fn facts(list: &[super::context::Fact]) -> String {
    let mut s = String::from("<dl>\n");
    for f in list {
        s.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>\n",
            escape(&f.label),
            escape(&f.value)
        ));
    }
    s.push_str("</dl>\n");
    s
}

fn header(ctx: &RunContext, ids: &[&str]) -> String {
    let mut s = format!(
        "<header id=\"header\">\n<h1>iolab report: {}</h1>\n<p class=\"lead\">Which way of doing file I/O is fastest on this machine, by how much, and whether the difference is real (95 % bootstrap intervals).</p>\n",
        escape(&ctx.run_id)
    );
    s.push_str("<nav>");
    for id in &ids[1..] {
        s.push_str(&format!(
            "<a href=\"#{id}\">{}</a>",
            escape(section_title(id))
        ));
    }
    s.push_str("</nav>\n<div class=\"facts\">\n<div>\n<h3>Machine</h3>\n");
    s.push_str(&facts(&ctx.machine));
    s.push_str("</div>\n<div>\n<h3>Run</h3>\n");
    s.push_str(&facts(&ctx.run));
    s.push_str("</div>\n</div>\n</header>\n");
    s
}

fn verdict_badge(verdict: &str) -> String {
    let class = if verdict.starts_with("faster") {
        "faster"
    } else if verdict.starts_with("slower") {
        "slower"
    } else {
        "same"
    };
    format!("<span class=\"badge {class}\">{}</span>", escape(verdict))
}

fn headline(rows: &[Headline]) -> String {
    let mut s = String::from(
        "<p class=\"intro\">The fastest verified scenario of each workload and cache state, against the sequential baseline. A difference is called only when the speedup's interval clears the noise band.</p>\n<table>\n<thead><tr><th>Workload</th><th>Cache</th><th>Fastest</th><th class=\"num\">Throughput [95 % CI]</th><th class=\"num\">Sequential</th><th class=\"num\">Speedup [95 % CI]</th><th>Verdict</th></tr></thead>\n<tbody>\n",
    );
    for h in rows {
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            escape(h.workload.name()),
            escape(&h.cache),
            escape(&h.fastest),
            escape(&h.throughput),
            escape(&h.baseline),
            escape(&h.speedup),
            verdict_badge(&h.verdict)
        ));
    }
    s.push_str("</tbody>\n</table>\n");
    s
}

fn figure(f: &FigureContext) -> String {
    format!(
        "<figure id=\"fig-{id}\">\n<img src=\"data:image/png;base64,{data}\" alt=\"{alt}\" width=\"{w}\">\n<figcaption>{alt} — <a href=\"{file}\">{file}</a></figcaption>\n</figure>\n",
        id = escape(&f.chart.id),
        data = base64(&f.png),
        alt = escape(&f.chart.title),
        w = style::WIDTH,
        file = escape(&f.file)
    )
}

fn figures_html(ctx: &RunContext, id: &str) -> String {
    let Some(section) = Section::ALL.iter().find(|s| s.id() == id) else {
        return String::new();
    };
    let mut s = format!("<p class=\"intro\">{}</p>\n", escape(section.intro()));
    for f in ctx.figures.iter().filter(|f| f.chart.section == *section) {
        s.push_str(&figure(f));
    }
    s
}

/// The filesystem matrix: the table, the emulators' measured latency, the
/// crossover sentences, then the charts.
fn storage_html(ctx: &RunContext) -> String {
    let Some(m) = &ctx.storage else {
        return String::new();
    };
    let mut s = format!("<p class=\"intro\">{}</p>\n", escape(&m.intro()));
    let (header, rows) = m.table();
    s.push_str(&html_table(&header, &rows));
    if !m.emulators.is_empty() {
        s.push_str("<p>The emulated storages, measured after mounting:</p>\n");
        s.push_str(&plain_list(&m.emulators));
    }
    if !m.crossovers.is_empty() {
        s.push_str("<p>From which emulated latency each claim holds (its interval wholly at or above the claimed effect):</p>\n");
        s.push_str(&plain_list(&m.crossovers));
    }
    s.push_str(&figures_html(ctx, Section::Storage.id()));
    s
}

/// `<ul>` of text items, however many.
fn plain_list(items: &[String]) -> String {
    let lis: String = items
        .iter()
        .map(|i| format!("<li>{}</li>", escape(i)))
        .collect();
    format!("<ul>{lis}</ul>\n")
}

/// A table of text cells with a header row.
fn html_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table>\n<tr>");
    for h in header {
        s.push_str(&format!("<th>{}</th>", escape(h)));
    }
    s.push_str("</tr>\n");
    for row in rows {
        s.push_str("<tr>");
        for cell in row {
            s.push_str(&format!("<td>{}</td>", escape(cell)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

/// The user metrics' tables, one per workload that has them.
fn metrics_html(ctx: &RunContext) -> String {
    let mut s = String::from(
        "<p>The workloads' own figures: median over the verified repetitions [95 % bootstrap interval].</p>\n",
    );
    for t in &ctx.metrics {
        let header: Vec<&str> = t.header.iter().map(String::as_str).collect();
        s.push_str(&format!(
            "<h3>{}</h3>\n{}",
            escape(t.workload.name()),
            html_table(&header, &t.rows)
        ));
    }
    s
}

/// Each workload's description and its scenarios' checks.
fn workloads_html(ctx: &RunContext) -> String {
    let mut s = String::new();
    for w in &ctx.workloads {
        s.push_str(&format!("<h3>{}</h3>\n", escape(w.workload.name())));
        s.push_str(&plain_list(&w.description));
        s.push_str(&list(&w.checks));
    }
    s
}

/// iolab ÷ fio per shared pattern, or the line saying why not.
fn calibration_html(ctx: &RunContext) -> String {
    let Some(c) = &ctx.calibration else {
        return String::new();
    };
    let mut s = format!("<p>{}</p>\n", escape(&c.intro()));
    if c.unavailable.is_some() {
        return s;
    }
    let (header, rows) = c.table();
    s.push_str(&html_table(&header, &rows));
    s
}

fn tuning_html(ctx: &RunContext) -> String {
    let mut s = figures_html(ctx, Section::Tuning.id());
    let Some(t) = &ctx.tuning else {
        return s;
    };
    s.push_str("<table>\n<thead><tr><th>Workload</th><th>Strategy</th><th>Knee</th><th class=\"num\">MB/s [95 % CI]</th><th>Shape</th><th>Stop reason</th></tr></thead>\n<tbody>\n");
    for w in &t.sweeps {
        let colour = style::hex(style::strategy_colour(w.strategy));
        let (knee, mb) = match &w.knee {
            Some(k) => (
                k.setting.clone(),
                format!(
                    "{} [{}, {}]",
                    view::sig3(k.mb_per_s),
                    view::sig3(k.ci_low),
                    view::sig3(k.ci_high)
                ),
            ),
            None => ("–".into(), "–".into()),
        };
        let shape = w
            .shape
            .and_then(|c| serde_json::to_value(c).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "–".into());
        s.push_str(&format!(
            "<tr><td>{}</td><td class=\"nowrap\"><span class=\"dot\" style=\"background:{colour}\"></span>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(w.workload.name()),
            escape(w.strategy.name()),
            escape(&knee),
            escape(&mb),
            escape(&shape),
            escape(&w.stop)
        ));
    }
    s.push_str("</tbody>\n</table>\n");
    if !t.skipped.is_empty() {
        s.push_str("<h3>Skipped</h3>\n<ul>\n");
        for k in &t.skipped {
            let what = if k.setting.is_empty() {
                format!("{} · {} (whole sweep)", k.workload, k.strategy)
            } else {
                format!("{} · {}", k.workload, k.setting)
            };
            s.push_str(&format!(
                "<li>{}: {}</li>\n",
                escape(&what),
                escape(&k.reason)
            ));
        }
        s.push_str("</ul>\n");
    }
    s
}

fn claims_html(ctx: &RunContext) -> String {
    let mut s = String::from(
        "<p class=\"intro\">The tutorials' claims about concurrent file I/O, judged from this run's measurements.</p>\n<table>\n<thead><tr><th>Claim</th><th>Claimed</th><th>Measured here</th><th>Verdict</th></tr></thead>\n<tbody>\n",
    );
    for j in &ctx.claims {
        s.push_str(&format!(
            "<tr><td><code>{}</code> <strong>{}</strong><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td><span class=\"badge {}\">{}</span></td></tr>\n",
            escape(&j.id),
            escape(&j.statement),
            escape(&j.detail),
            escape(&j.claimed),
            escape(&j.measured),
            claims::verdict_class(j.verdict),
            escape(&j.verdict.to_string())
        ));
    }
    s.push_str("</tbody>\n</table>\n");
    if ctx.untested_claims > 0 {
        s.push_str(&format!(
            "<p class=\"muted\">{} more claim(s) are not tested by this run's scenarios; <code>iolab claims</code> lists them.</p>\n",
            ctx.untested_claims
        ));
    }
    s
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let lis: String = items
        .iter()
        .map(|i| format!("<li>{}</li>", escape(i)))
        .collect();
    if items.len() > 6 {
        format!(
            "<details><summary>{} scenarios</summary><ul>{lis}</ul></details>\n",
            items.len()
        )
    } else {
        format!("<ul>{lis}</ul>\n")
    }
}

fn warnings_html(ctx: &RunContext) -> String {
    let mut s = String::new();
    for w in &ctx.warnings {
        s.push_str(&format!(
            "<div class=\"warning\">\n<h3>{}</h3>\n<p>{}</p>\n{}</div>\n",
            escape(&w.title),
            escape(&w.text),
            list(&w.items)
        ));
    }
    s
}

fn notes_html(ctx: &RunContext) -> String {
    let mut s = String::from(
        "<p class=\"intro\">Scenarios without trustworthy numbers: unavailable here, failed, or data that did not verify (their times, if any, are marked in the charts and table).</p>\n<div class=\"notes\"><ul>\n",
    );
    for n in &ctx.notes {
        s.push_str(&format!(
            "<li><code>{}</code> — <span class=\"status-{}\">{}</span>: {}</li>\n",
            escape(&n.scenario),
            escape(n.status.split_whitespace().next().unwrap_or("")),
            escape(&n.status),
            escape(&n.detail)
        ));
    }
    s.push_str("</ul></div>\n");
    s
}

/// A numeric cell showing `text`, sorted by `value`.
fn num(value: Option<f64>, text: &str) -> String {
    match value {
        Some(v) => format!("<td class=\"num\" data-v=\"{v}\">{}</td>", escape(text)),
        None => "<td class=\"num\" data-v=\"-1\">–</td>".into(),
    }
}

fn results_table(rows: &[TableRow]) -> String {
    let mut s = String::from(
        "<p class=\"intro\">Every scenario (click a column to sort; hover a row for its id). Medians over measured repetitions with their 95 % bootstrap intervals in brackets; speedup over the sequential scenario of the same workload, variant and cache state; Harness: the strategy's calibrated dispatch cost (noop tasks) beside tasks shorter than 100 times it.</p>\n<div class=\"scroll\"><table class=\"sortable results\">\n<thead><tr><th>Workload</th><th>Variant</th><th>Strategy</th><th>Cache</th><th>Status</th><th class=\"num\">Verified / reps</th><th class=\"num\">Wall time</th><th class=\"num\">MB/s</th><th class=\"num\">Speedup</th><th class=\"num\">CV</th><th class=\"num\">Outliers</th><th class=\"num\">Cached</th><th>Harness</th></tr></thead>\n<tbody>\n",
    );
    for r in rows {
        s.push_str(&table_row(r));
    }
    s.push_str("</tbody>\n</table></div>\n");
    s
}

fn table_row(r: &TableRow) -> String {
    let ci = |v: Option<Estimate>, fmt: &dyn Fn(f64, Option<(f64, f64)>) -> String| match v {
        Some((p, i)) => num(Some(p), &fmt(p, i)),
        None => num(None, ""),
    };
    let colour = style::hex(style::strategy_colour(r.strategy_name));
    format!(
        "<tr title=\"{id}\"><td>{}</td><td>{}</td><td class=\"nowrap\"><span class=\"dot\" style=\"background:{colour}\"></span>{}</td><td>{}</td><td class=\"status-{st}\">{st}</td><td class=\"num\">{}</td>{}{}{}{}{}{}<td>{}</td></tr>\n",
        escape(r.workload.name()),
        escape(&r.variant),
        escape(&r.strategy),
        escape(&r.cache),
        escape(&r.verified),
        ci(r.wall_s, &view::duration_ci),
        ci(r.mb_per_s, &|p, i| format!("{} {}", view::sig3(p), view::interval(i, view::sig3))),
        ci(r.speedup, &|p, i| format!("{p:.2}× {}", view::interval(i, |v| format!("{v:.2}")))),
        num(r.cv_pct, &r.cv_pct.map(|c| format!("{c:.0} %")).unwrap_or_default()),
        num(Some(f64::from(r.outliers)), &r.outliers.to_string()),
        num(r.resident_pct, &r.resident_pct.map(|c| format!("{c:.0} %")).unwrap_or_default()),
        escape(r.harness.as_deref().unwrap_or("")),
        id = escape(&r.scenario),
        st = escape(&r.status),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn escape_covers_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn page_fills_every_placeholder() {
        let html = page("t<1>", "<p>body</p>");
        assert!(!html.contains("{{"), "{html}");
        assert!(html.contains("<title>t&lt;1&gt;</title>"));
        assert!(html.contains("<p>body</p>"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
