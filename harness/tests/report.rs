//! `iolab report` and `iolab compare`, end to end through the real binary on
//! a small fixture run (`tests/fixtures/run-small`: trimmed scenarios of real
//! quick runs; see `tests/fixtures/README.md`), plus the chart specs as data.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iolab::report::charts::{self, Figure};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run-small")
}

fn iolab(args: &[&str], dirs: &[&Path]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_iolab"));
    c.args(args);
    for d in dirs {
        c.arg(d);
    }
    c.output().expect("run iolab")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Copy a run folder's files into `to`.
fn copy_run(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for f in ["run.json", "runs.csv", "summary.csv"] {
        if from.join(f).exists() {
            fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
}

/// Rewrite a run folder: a new run id, and every row passed through `edit`
/// (return `false` to drop it); `summary.csv` is removed so it is recomputed.
fn rewrite_run(
    dir: &Path,
    run_id: &str,
    mut edit: impl FnMut(&mut csv::StringRecord, &csv::StringRecord) -> bool,
) {
    let meta_path = dir.join("run.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&meta_path).unwrap()).unwrap();
    meta["run_id"] = serde_json::Value::String(run_id.into());
    fs::write(&meta_path, serde_json::to_string_pretty(&meta).unwrap()).unwrap();
    let mut reader = csv::Reader::from_path(dir.join("runs.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let mut rows = Vec::new();
    for r in reader.records() {
        let mut r = r.unwrap();
        let id_col = header.iter().position(|h| h == "run_id").unwrap();
        let mut fields: Vec<String> = r.iter().map(str::to_string).collect();
        fields[id_col] = run_id.into();
        r = csv::StringRecord::from(fields);
        if edit(&mut r, &header) {
            rows.push(r);
        }
    }
    let mut w = csv::Writer::from_path(dir.join("runs.csv")).unwrap();
    w.write_record(&header).unwrap();
    for r in rows {
        w.write_record(&r).unwrap();
    }
    w.flush().unwrap();
    let _ = fs::remove_file(dir.join("summary.csv"));
}

fn field<'a>(r: &'a csv::StringRecord, header: &csv::StringRecord, name: &str) -> &'a str {
    let i = header.iter().position(|h| h == name).unwrap();
    r.get(i).unwrap()
}

fn set_field(r: &mut csv::StringRecord, header: &csv::StringRecord, name: &str, value: String) {
    let i = header.iter().position(|h| h == name).unwrap();
    let mut fields: Vec<String> = r.iter().map(str::to_string).collect();
    fields[i] = value;
    *r = csv::StringRecord::from(fields);
}

/// Width and height from a PNG's signature and IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() > 33,
        "too short for a PNG: {} bytes",
        bytes.len()
    );
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is not IHDR");
    assert_eq!(
        &bytes[bytes.len() - 8..bytes.len() - 4],
        b"IEND",
        "no IEND chunk at the end"
    );
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

fn render(out: &Path, run: &Path) -> (String, PathBuf) {
    let o = iolab(&["report", "--out", out.to_str().unwrap()], &[run]);
    assert!(o.status.success(), "report failed: {}", text(&o.stderr));
    let index = PathBuf::from(text(&o.stdout).trim());
    assert!(index.ends_with("index.html"), "{index:?}");
    (
        fs::read_to_string(&index).unwrap(),
        index.parent().unwrap().to_path_buf(),
    )
}

#[test]
fn report_has_every_section_and_valid_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let (html, dir) = render(tmp.path(), &fixture());
    assert_eq!(dir, tmp.path().join("fixture-small"));
    for id in [
        "header",
        "headline",
        "throughput",
        "scaling",
        "nested",
        "chunks",
        "latency",
        "append",
        "atomic",
        "cpu",
        "claims",
        "warnings",
        "notes",
        "results",
    ] {
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "section {id} missing"
        );
    }
    // Self-contained: no network, no external script, style or font.
    for banned in [
        "http://",
        "https://",
        "<script src",
        "<link",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(banned), "page contains {banned}");
    }
    let mut pngs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pngs.sort();
    assert!(pngs.len() >= 10, "{pngs:?}");
    assert_eq!(
        html.matches("src=\"data:image/png;base64,").count(),
        pngs.len()
    );
    for p in &pngs {
        let bytes = fs::read(p).unwrap();
        let (w, h) = png_size(&bytes);
        assert_eq!(w, iolab::report::style::WIDTH, "{p:?}");
        assert!((200..=4000).contains(&h), "{p:?} is {w}×{h}");
        assert!(bytes.len() > 8_000, "{p:?} is only {} bytes", bytes.len());
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(
            html.contains(&format!("href=\"{name}\"")),
            "{name} not linked"
        );
    }
    // An unverified scenario is noted with its reason.
    assert!(html.contains("append/unlocked-seek/threads-8/warm"));
    assert!(html.contains("missing of 20000 lines"));
    let md = fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        md.contains("| Workload | Cache | Fastest | Throughput [95 % CI] |"),
        "{md}"
    );
    assert!(
        md.contains("## Results")
            && md.contains("### scan")
            && md.contains("`read/whole/threads-4/warm`")
    );
}

#[test]
fn sections_without_data_are_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("only-read");
    copy_run(&fixture(), &run);
    rewrite_run(&run, "only-read", |r, h| {
        field(r, h, "workload") == "read" && field(r, h, "strategy") != "nested"
    });
    let (html, dir) = render(&tmp.path().join("reports"), &run);
    for present in ["throughput", "scaling", "cpu", "results"] {
        assert!(
            html.contains(&format!("id=\"{present}\"")),
            "{present} missing"
        );
    }
    for absent in ["nested", "chunks", "latency", "append", "atomic", "notes"] {
        assert!(
            !html.contains(&format!("id=\"{absent}\"")),
            "{absent} drawn without data"
        );
    }
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn rendering_again_removes_charts_that_no_longer_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let stale = tmp.path().join("fixture-small/throughput-gone.png");
    fs::create_dir_all(stale.parent().unwrap()).unwrap();
    fs::write(&stale, b"old").unwrap();
    let shot = tmp.path().join("fixture-small/screenshot.png");
    fs::write(&shot, b"mine").unwrap();
    render(tmp.path(), &fixture());
    assert!(!stale.exists());
    assert!(shot.exists(), "a file the report does not own was removed");
}

#[test]
fn a_tuning_sweep_gets_its_section_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let run = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tune-small");
    let dir = iolab::report::render_run(&run, tmp.path()).unwrap();
    let html = fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        html.contains("<section id=\"tuning\">"),
        "no tuning section"
    );
    assert!(html.contains("rising_at_cap"), "no knee table");
    let pngs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with("tuning-") && name.ends_with(".png")
        })
        .collect();
    assert!(!pngs.is_empty(), "no tuning-*.png in {}", dir.display());
    for p in &pngs {
        let bytes = fs::read(p).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            p.display()
        );
    }
}

#[test]
fn a_missing_run_folder_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-run");
    let o = iolab(
        &["report", "--out", tmp.path().to_str().unwrap()],
        &[&missing],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("no-such-run"),
        "{}",
        text(&o.stderr)
    );
}

fn chart_specs() -> Vec<charts::Chart> {
    let run = iolab::results::load(&fixture()).unwrap();
    charts::plan(&run.summary)
}

#[test]
fn chart_specs_match_the_snapshot() {
    let json = serde_json::to_string_pretty(&chart_specs()).unwrap() + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run-small.charts.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::write(&path, &json).unwrap();
    }
    let expected = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        json == expected,
        "chart specs differ from {} (rerun with UPDATE_SNAPSHOTS=1 and review the diff)",
        path.display()
    );
}

#[test]
fn chart_specs_hold_their_invariants() {
    let specs = chart_specs();
    let ids: Vec<&str> = specs.iter().map(|c| c.id.as_str()).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate chart ids: {ids:?}");
    let mut colours: Vec<(String, String)> = Vec::new();
    for c in &specs {
        let file = format!("{}.png", c.id);
        assert!(
            charts::is_chart_file(&file),
            "{file} would not be cleaned up"
        );
        match &c.figure {
            Figure::Throughput(f) => {
                assert!(!f.panels.is_empty());
                for p in &f.panels {
                    assert!(!p.bars.is_empty(), "{}", c.id);
                    assert!(
                        p.bars.windows(2).all(|w| w[0].value >= w[1].value),
                        "{} not sorted",
                        c.id
                    );
                    assert!(p.bars.iter().all(|b| b.low <= b.value && b.value <= b.high));
                    assert_eq!(
                        p.bars.iter().filter(|b| b.baseline).count(),
                        p.bars
                            .iter()
                            .filter(|b| b.strategy == iolab::strategy::StrategyKind::Sequential)
                            .count()
                    );
                    colours.extend(
                        p.bars
                            .iter()
                            .map(|b| (b.strategy.to_string(), b.colour.clone())),
                    );
                }
            }
            Figure::Scaling(f) | Figure::RankScaling(f) => assert!(f
                .panels
                .iter()
                .all(|p| p.series.iter().any(|s| s.points.len() >= 2))),
            Figure::Storage(f) => assert!(f
                .rows
                .iter()
                .all(|r| r.best.1 <= r.best.0 && r.best.0 <= r.best.2)),
            Figure::Crossover(f) => assert!(f
                .panels
                .iter()
                .all(|p| p.series.iter().all(|s| s.points.iter().all(|q| q.x > 0.0)))),
            Figure::Nested(f) => assert!(f
                .panels
                .iter()
                .all(|p| p.cells.len() == 4 && p.processes == [2, 4] && p.threads == [1, 2])),
            Figure::Append(f) => {
                let lossy: Vec<&str> = f
                    .rows
                    .iter()
                    .filter(|r| r.loses_data)
                    .map(|r| r.label.as_str())
                    .collect();
                assert_eq!(lossy, ["unlocked-seek · threads(8)"]);
            }
            Figure::Atomic(f) => colours.extend(
                f.rows
                    .iter()
                    .map(|r| (r.strategy.to_string(), r.colour.clone())),
            ),
            Figure::Cpu(f) => colours.extend(
                f.rows
                    .iter()
                    .map(|r| (r.strategy.to_string(), r.colour.clone())),
            ),
            Figure::Chunks(f) => assert!(f
                .panels
                .iter()
                .all(|p| p.series.iter().any(|s| s.dashed && s.name == "mmap"))),
            Figure::Latency(f) => assert!(f.rows.iter().all(|r| r.p50_us <= r.p99_us)),
            Figure::Timeline(f) => assert!(f.panels.iter().all(|p| !p.reps.is_empty())),
            Figure::Tuning(f) => colours.extend(
                f.series
                    .iter()
                    .map(|s| (s.strategy.to_string(), s.colour.clone())),
            ),
        }
    }
    colours.sort();
    colours.dedup();
    let strategies: Vec<&str> = colours.iter().map(|(s, _)| s.as_str()).collect();
    let mut distinct = strategies.clone();
    distinct.dedup();
    assert_eq!(
        strategies, distinct,
        "a strategy has two colours: {colours:?}"
    );
}

/// Run B: the fixture with every wall time of `slow` doubled.
fn slower_copy(root: &Path, slow: &str) -> PathBuf {
    let b = root.join("b");
    copy_run(&fixture(), &b);
    rewrite_run(&b, "fixture-slower", |r, h| {
        if field(r, h, "scenario_id") == slow {
            let wall: f64 = field(r, h, "wall_s").parse().unwrap();
            set_field(r, h, "wall_s", format!("{:.6}", wall * 2.0));
        }
        true
    });
    b
}

#[test]
fn compare_flags_a_twice_slower_scenario_and_gates_on_it() {
    let tmp = tempfile::tempdir().unwrap();
    let slow = "read/whole/threads-4/warm";
    let b = slower_copy(tmp.path(), slow);
    let out = tmp.path().join("reports");
    let args = [
        "compare",
        "--out",
        out.to_str().unwrap(),
        "--fail-on-regression",
        "10",
    ];
    let o = iolab(&args, &[&fixture(), &b]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{stdout}\n{}", text(&o.stderr));
    let line = stdout.lines().find(|l| l.starts_with(slow)).unwrap();
    assert!(line.contains("slower") && line.contains("2.00×"), "{line}");
    assert!(
        stdout.contains(&format!("regression beyond 10 %: {slow}")),
        "{stdout}"
    );
    // Unchanged scenarios are not called slower or faster.
    let changed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with(" slower") || l.ends_with(" faster"))
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    let dir = out.join("compare-fixture-small-vs-fixture-slower");
    let md = fs::read_to_string(dir.join("compare.md")).unwrap();
    assert!(
        md.contains(&format!("| `{slow}` |")) && md.contains("**slower**"),
        "{md}"
    );
    let html = fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("id=\"machines\"") && html.contains("badge slower"));
    let (w, _) = png_size(&fs::read(dir.join("compare.png")).unwrap());
    assert_eq!(w, iolab::report::style::WIDTH);

    // Without the gate, or with a gate above the change, the exit is 0.
    let o = iolab(
        &["compare", "--out", out.to_str().unwrap()],
        &[&fixture(), &b],
    );
    assert_eq!(o.status.code(), Some(0));
    let high = [
        "compare",
        "--out",
        out.to_str().unwrap(),
        "--fail-on-regression",
        "400",
    ];
    assert_eq!(iolab(&high, &[&fixture(), &b]).status.code(), Some(0));
}

#[test]
fn compare_of_identical_runs_finds_no_change_and_bad_flags_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path().join("same");
    copy_run(&fixture(), &b);
    rewrite_run(&b, "fixture-same", |_, _| true);
    let out = tmp.path().join("reports");
    let args = [
        "compare",
        "--out",
        out.to_str().unwrap(),
        "--fail-on-regression",
        "0",
    ];
    let o = iolab(&args, &[&fixture(), &b]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(!text(&o.stdout)
        .lines()
        .any(|l| l.ends_with(" slower") || l.ends_with(" faster")));
    let bad = ["compare", "--out", out.to_str().unwrap(), "--noise=-3"];
    let o = iolab(&bad, &[&fixture(), &b]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("--noise -3"),
        "{}",
        text(&o.stderr)
    );
}

/// A real run's time series becomes a chart per workload: in the page, as
/// a PNG beside it, and linked from `summary.md`.
#[test]
fn a_real_run_gets_a_timeline_chart_per_workload() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, results) = (tmp.path().join("data"), tmp.path().join("results"));
    let o = Command::new(env!("CARGO_BIN_EXE_iolab"))
        .args(["run", "--workload", "read", "--strategy", "threads"])
        .args(["--workers", "2", "--files", "40", "--lines", "20"])
        .args(["--reps", "2", "--warmup", "0", "--settle", "0"])
        .args(["--no-progress", "--run-id", "t", "--data-dir"])
        .arg(&data)
        .arg("--out")
        .arg(&results)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (html, dir) = render(&tmp.path().join("reports"), &results.join("t"));
    assert!(html.contains("id=\"timeline\""), "timeline section missing");
    assert!(html.contains("href=\"timeline-read.png\""));
    let (w, _) = png_size(&fs::read(dir.join("timeline-read.png")).unwrap());
    assert_eq!(w, iolab::report::style::WIDTH);
    let md = fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("(timeline-read.png)"), "{md}");
}
