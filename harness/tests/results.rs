//! What a run leaves behind, as other programs read it: the columns of
//! `runs.csv` and `summary.csv` and the keys of `run.json` against
//! committed fixtures, and the one failure policy (`results::outcome`)
//! giving the same exit code and message whether a plan came from flags or
//! from an experiment file.

mod util;

use std::path::{Path, PathBuf};
use std::process::Output;

use util::{stderr, text, Lab};

/// `harness/tests/fixtures/<name>`.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The first line of a CSV file, one column name per line.
fn csv_header(path: &Path) -> String {
    let mut r = csv::Reader::from_path(path).expect("open csv");
    let names: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    names.join("\n") + "\n"
}

/// The top-level keys of a JSON object file, one per line, in file order.
fn json_keys(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read json");
    let keys: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  \"")) // pretty-printed, depth 1
        .filter_map(|l| l.split_once("\":").map(|(k, _)| k.to_string()))
        .collect();
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("parse json");
    assert_eq!(
        keys.len(),
        parsed.len(),
        "{} keys: {keys:?}",
        path.display()
    );
    keys.join("\n") + "\n"
}

/// The columns of a default tiny run's files cannot change silently: a
/// changed column, order or key must be made on purpose by regenerating
/// the fixtures and committing them with the change.
#[test]
fn output_columns_and_keys_match_the_committed_fixtures() {
    let lab = Lab::new();
    let out = lab.run(&["--workload", "read"]);
    assert!(out.status.success(), "{}", text(&out));
    let dir = lab.only_run().dir;
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    for (name, found) in [
        ("runs.header", csv_header(&dir.join("runs.csv"))),
        ("summary.header", csv_header(&dir.join("summary.csv"))),
        ("run-json.keys", json_keys(&dir.join("run.json"))),
    ] {
        let path = fixture(name);
        if update {
            std::fs::write(&path, &found).expect("write fixture");
            continue;
        }
        let expected = std::fs::read_to_string(&path).expect("read fixture");
        assert_eq!(
            found,
            expected,
            "the columns/keys of a run's files changed ({}). If that is on purpose, \
             regenerate the fixtures with\n    UPDATE_SNAPSHOTS=1 cargo test --release --test results output_columns\n\
             review `git diff harness/tests/fixtures`, update docs/results.md and commit them.",
            path.display()
        );
    }
}

/// The failure policy's lines on stderr: from its first line (`N
/// scenario(s) failed: …` or `N scenario(s) lost or tore data …`) to the end.
fn verdict(o: &Output) -> Vec<String> {
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    let start = lines.iter().position(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        matches!(words.as_slice(), [n, "scenario" | "scenarios", verb, ..]
            if n.parse::<u32>().is_ok() && (*verb == "failed:" || *verb == "lost"))
    });
    start.map_or_else(Vec::new, |s| {
        lines[s..].iter().map(|l| l.to_string()).collect()
    })
}

/// `iolab run FILE` with a tiny corpus and no waiting, results in the lab.
fn run_file(lab: &Lab, name: &str, grid: &str) -> Output {
    let path = lab.path().join(name);
    let body = format!(
        "reps = 3\nwarmup = 0\nsettle = \"0\"\n\n[corpus]\nfiles = 40\nlines = 20\n\n[[grid]]\n{grid}"
    );
    std::fs::write(&path, body).expect("write experiment");
    let mut c = lab.iolab();
    c.arg("run").arg(&path);
    c.args(["--no-progress", "--out"]).arg(lab.results());
    c.output().expect("run iolab")
}

/// Lines lost by an unlocked append are what the experiment measures: from
/// flags and from an experiment file alike, exit 0 and the same finding
/// named on stderr (before, flags exited 2 and a file 0).
#[test]
fn an_unlocked_append_is_a_finding_from_flags_and_from_a_file() {
    let flags = Lab::new();
    let by_flags = flags.run(&[
        "--workload",
        "append",
        "--variant",
        "unlocked-seek",
        "--strategy",
        "processes",
        "--workers",
        "8",
        "--append-lines",
        "4000",
        "--reps",
        "3",
        "--no-baseline",
    ]);
    let file = Lab::new();
    let by_file = run_file(
        &file,
        "append.toml",
        "workload = [\"append\"]\nvariant = [\"unlocked-seek\"]\nstrategy = [\"processes\"]\n\
         workers = [8]\nappend_lines = [4000]\nbaseline = false\n",
    );
    let id = "append/unlocked-seek/processes-8-b1/warm";
    for (how, lab, out) in [("flags", &flags, &by_flags), ("file", &file, &by_file)] {
        assert_eq!(out.status.code(), Some(0), "{how}: {}", text(out));
        let run = lab.only_run();
        let lost = run
            .rows
            .iter()
            .any(|r| r.append_missing.unwrap_or(0) + r.append_corrupted.unwrap_or(0) > 0);
        assert!(
            lost,
            "{how}: 8 processes appending 4000 lines without a lock lost none in 3 repetitions \
             (the contention this test needs did not happen): {}",
            text(out)
        );
        let v = verdict(out);
        assert_eq!(
            v.first().map(String::as_str),
            Some(
                "1 scenario lost or tore data, as the experiment measures (integrity findings, not failures):"
            ),
            "{how}: {}",
            text(out)
        );
        assert!(v[1].starts_with(&format!("  {id} (")), "{how}: {v:?}");
        assert!(v[1].contains(" of 3 repetitions): "), "{how}: {v:?}");
        assert_eq!(v.len(), 2, "{how}: nothing failed: {v:?}");
    }
}

/// A command that exits non-zero is a failure: exit 2 and the same message
/// from flags and from a file.
#[test]
fn a_failing_command_exits_2_from_flags_and_from_a_file() {
    let flags = Lab::new();
    let by_flags = flags.run(&[
        "--workload",
        "read",
        "--strategy",
        "command",
        "--command",
        "exit 1",
        "--workers",
        "1",
        "--reps",
        "3",
        "--no-baseline",
    ]);
    let file = Lab::new();
    let by_file = run_file(
        &file,
        "fails.toml",
        "workload = [\"read\"]\nstrategy = [\"command\"]\nworkers = [1]\n\
         command = [\"exit 1\"]\nbaseline = false\n",
    );
    assert_eq!(by_flags.status.code(), Some(2), "{}", text(&by_flags));
    assert_eq!(by_file.status.code(), Some(2), "{}", text(&by_file));
    let v = verdict(&by_flags);
    assert_eq!(v, verdict(&by_file), "the same message from both");
    assert_eq!(
        v.first().map(String::as_str),
        Some("1 scenario failed: repetitions broke or their data did not verify (exit 2)"),
        "{}",
        text(&by_flags)
    );
    assert!(
        v[1].starts_with("  read/") && v[1].contains("/command-exit-1/warm (3 of 3 repetitions): "),
        "{v:?}"
    );
    let run = flags.only_run();
    assert!(run
        .rows
        .iter()
        .all(|r| r.program.as_deref() == Some("exit")));
}
