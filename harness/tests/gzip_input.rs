//! The library API's second example end to end: `gzip-input` (a user's
//! binary with a knob and metrics of its own) run with `--input` on a copy
//! of this crate's own `src/` folder under every strategy, every row
//! verified by decompressing against the input set's manifest, its
//! metrics in `runs.csv`, `summary.csv` and the report, the folder
//! byte-identical afterwards.
//!
//! The example binary is built by `cargo test` (which builds every
//! example); a targeted run needs `cargo build --release --example
//! gzip-input` first, and says so.

mod util;

use std::path::{Path, PathBuf};
use std::process::Command;

use iolab::results::Status;
use iolab::strategy::StrategyKind;
use util::{text, Lab};

/// The first line of `path` split at commas (a CSV header without quotes).
fn header(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect()
}

#[test]
fn gzip_input_runs_on_a_users_folder_under_every_strategy_with_its_metric_everywhere() {
    let lab = Lab::new();
    let input = lab.path().join("input");
    let files = util::copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &input);
    let before = util::snapshot(&input);
    let example = util::example("gzip-input");
    let o = Command::new(&example)
        .current_dir(lab.path())
        .env("IOLAB_DATA_DIR", lab.data())
        .args(["run", "--input"])
        .arg(&input)
        .args(["--workload", "gzip-input", "--level", "1,9"])
        .args([
            "--strategy",
            "threads,processes,tokio,io_uring",
            "--workers",
            "2",
        ])
        .args([
            "--reps",
            "2",
            "--warmup",
            "0",
            "--settle",
            "0",
            "--no-progress",
            "--out",
        ])
        .arg(lab.results())
        .output()
        .expect("run the example");
    assert!(o.status.success(), "{}", text(&o));
    let run = lab.only_run();

    // Every strategy ran (io_uring where the kernel allows it), verified.
    let mut strategies: Vec<StrategyKind> = run.rows.iter().map(|r| r.strategy).collect();
    strategies.sort_by_key(|s| s.name());
    strategies.dedup();
    assert_eq!(
        strategies.len(),
        5,
        "sequential, threads, processes, tokio, io_uring"
    );
    for row in &run.rows {
        if row.strategy == StrategyKind::IoUring && row.status == Status::Unavailable {
            eprintln!("skipped io_uring: {}", row.detail);
            continue;
        }
        assert!(row.verified, "{}: {}", row.scenario_id, row.detail);
        assert_eq!(row.tasks, files as u64, "{}", row.scenario_id);
        assert!(row.detail.contains("packed"), "{}", row.detail);
        // The metrics, by their rules: raw is every input byte, the ratio
        // is packed / raw, and level 9 packs no worse than level 1.
        let m = &row.metrics;
        assert_eq!(m["raw"], row.bytes as f64, "{}", row.scenario_id);
        assert!((m["ratio"] - m["packed"] / m["raw"]).abs() < 1e-12, "{m:?}");
        assert!(m["ratio"] > 0.0 && m["ratio"] < 1.0, "{m:?}");
    }
    let ratio = |level: &str| {
        let r = run
            .rows
            .iter()
            .find(|r| r.variant.ends_with(level) && r.verified);
        r.map(|r| r.metrics["ratio"]).unwrap()
    };
    assert!(ratio("level=9") <= ratio("level=1"));

    // The columns: m_<name> in runs.csv, with median and interval in
    // summary.csv, and summary rows that read them back.
    let runs_header = header(&run.dir.join("runs.csv"));
    for m in ["m_raw", "m_packed", "m_ratio"] {
        assert!(runs_header.iter().any(|h| h == m), "{m} in {runs_header:?}");
    }
    let summary_header = header(&run.dir.join("summary.csv"));
    for m in ["m_ratio", "m_ratio_ci_low", "m_ratio_ci_high"] {
        assert!(
            summary_header.iter().any(|h| h == m),
            "{m} in {summary_header:?}"
        );
    }
    assert!(run.summary.iter().all(|s| s.metrics.contains_key("ratio")));

    // The report has the metrics table, with the example's binary and with
    // plain iolab (which does not register the workload: no units then).
    for binary in [example.clone(), PathBuf::from(env!("CARGO_BIN_EXE_iolab"))] {
        let out = lab.path().join(format!(
            "reports-{}",
            binary.file_name().unwrap().to_string_lossy()
        ));
        let o = Command::new(&binary)
            .arg("report")
            .arg(&run.dir)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let md = std::fs::read_to_string(out.join(&run.meta.run_id).join("summary.md")).unwrap();
        assert!(
            md.contains("## Metrics") && md.contains("### gzip-input"),
            "{md}"
        );
        assert!(md.contains("| ratio"), "{md}");
        let html = std::fs::read_to_string(out.join(&run.meta.run_id).join("index.html")).unwrap();
        assert!(html.contains("id=\"metrics\""));
    }

    // run.json names the example's crate (examples belong to iolab's
    // package) and its commit where this tree is a git checkout; the
    // report shows it.
    let user = run
        .meta
        .user_crate
        .as_ref()
        .expect("run.json records the user's crate");
    assert_eq!(
        (user.name.as_str(), user.version.as_str()),
        ("iolab", env!("CARGO_PKG_VERSION"))
    );
    if let Some(commit) = &user.commit {
        assert_eq!(commit.len(), 40, "{commit}");
    }
    let md = std::fs::read_to_string(
        lab.path()
            .join("reports-gzip-input")
            .join(&run.meta.run_id)
            .join("summary.md"),
    )
    .unwrap();
    assert!(md.contains(&format!("Your crate: {user}")), "{md}");

    // compare tells two versions of the user's code apart: the same run
    // as if built from another commit.
    let other = lab.path().join("other-version");
    util::copy_tree(&run.dir, &other);
    let json = other.join("run.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    meta["run_id"] = "other-version".into();
    meta["user_crate"]["commit"] = "0000000000000000000000000000000000000000".into();
    std::fs::write(&json, serde_json::to_vec(&meta).unwrap()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_iolab"))
        .arg("compare")
        .arg(&run.dir)
        .arg(&other)
        .arg("--out")
        .arg(lab.path().join("compared"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("A and B ran different versions of your code"),
        "{}",
        text(&o)
    );

    // Nothing in the input folder was written, renamed or deleted.
    assert_eq!(util::snapshot(&input), before, "the input folder changed");
}
