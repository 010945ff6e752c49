//! `--input DIR`: a folder of the user's own files as a read-only input
//! set, run by the real `iolab` binary on a copy of this crate's own
//! `src/` folder (with a symbolic link and a FIFO added). The folder is
//! byte-identical afterwards, works as a read-only bind mount (where any
//! write fails loudly), its manifest lives under the data folder, a change
//! is named, a file whose bytes change behind an unchanged size and time is
//! caught by the read's verification, and a workload that writes is refused
//! in one line.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use util::{stderr, text, Lab};

/// Every entry under `dir` with its bytes, sorted ([`util::snapshot`]'s
/// form), the FIFO `pipe` as `<fifo>` (reading it would wait for a writer).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let pipe = dir.join("pipe");
    let hidden = dir.with_extension("pipe-aside");
    std::fs::rename(&pipe, &hidden).unwrap();
    let mut out = util::snapshot(dir);
    std::fs::rename(&hidden, &pipe).unwrap();
    out.push((pipe, b"<fifo>".to_vec()));
    out.sort();
    out
}

/// The lab's user folder `input/`: this crate's `src/` copied, plus a
/// link to a file outside it and a FIFO (both left out of the set); the
/// number of regular files.
fn user_folder(lab: &Lab) -> (PathBuf, usize) {
    let input = lab.path().join("input");
    let files = util::copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &input);
    std::os::unix::fs::symlink("/etc/passwd", input.join("outside-link")).unwrap();
    util::mkfifo(&input.join("pipe"));
    (input, files)
}

/// `iolab run --input DIR` with `extra` flags: one repetition, results in
/// the lab.
fn run_on(lab: &Lab, input: &Path, extra: &[&str]) -> Command {
    let mut c = lab.iolab();
    c.args(["run", "--input"]).arg(input);
    c.args([
        "--reps",
        "1",
        "--warmup",
        "0",
        "--settle",
        "0",
        "--no-progress",
        "--out",
    ]);
    c.arg(lab.results());
    c.args(extra);
    c
}

fn output(mut c: Command) -> Output {
    c.output().expect("run iolab")
}

/// The run folders of `results/`, oldest first.
fn runs(lab: &Lab) -> Vec<iolab::results::LoadedRun> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(lab.results())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| iolab::results::load(d).unwrap())
        .collect()
}

#[test]
fn an_input_folder_is_read_verified_under_every_strategy_and_left_byte_identical() {
    let lab = Lab::new();
    let (input, files) = user_folder(&lab);
    let before = snapshot(&input);
    let o = output(run_on(
        &lab,
        &input,
        &[
            "--workload",
            "read,copy",
            "--strategy",
            "threads,processes,nested,tokio,io_uring",
            "--workers",
            "2",
            "--cache",
            "warm,cold",
        ],
    ));
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("input set: "), "{}", text(&o));
    let run = runs(&lab).remove(0);
    let mut strategies: Vec<&str> = run.rows.iter().map(|r| r.strategy.name()).collect();
    strategies.sort_unstable();
    strategies.dedup();
    assert_eq!(
        strategies,
        [
            "io_uring",
            "nested",
            "processes",
            "sequential",
            "threads",
            "tokio"
        ]
    );
    for row in &run.rows {
        assert!(
            row.verified,
            "{} not verified: {}",
            row.scenario_id, row.detail
        );
        assert_eq!(row.tasks as usize, files, "{}", row.scenario_id);
    }
    let summary = run
        .meta
        .inputs
        .as_ref()
        .expect("run.json records the input set");
    assert_eq!(summary.files as usize, files);
    assert!(summary.histogram.iter().map(|c| c.files).sum::<u64>() == files as u64);
    assert!(
        summary.manifest.starts_with(lab.data()),
        "{}",
        summary.manifest.display()
    );
    let skipped = summary.skipped.join("\n");
    assert!(
        skipped.contains("outside-link: a symbolic link, not followed"),
        "{skipped}"
    );
    assert!(skipped.contains("pipe: a FIFO"), "{skipped}");
    assert_eq!(summary.check, "manifest recorded (first use)");
    assert_eq!(snapshot(&input), before, "the input folder changed");

    // The report names the set and its size classes.
    let report = lab.path().join("report");
    let r = output({
        let mut c = lab.iolab();
        c.arg("report").arg(&run.dir).arg("--out").arg(&report);
        c
    });
    assert!(r.status.success(), "{}", text(&r));
    let md = std::fs::read_to_string(report.join(&run.meta.run_id).join("summary.md")).unwrap();
    assert!(md.contains("your files in"), "{md}");
}

#[test]
fn a_read_only_bind_mount_of_the_folder_runs_and_changes_are_named() {
    let lab = Lab::new();
    let (input, files) = user_folder(&lab);
    let before = snapshot(&input);
    let first = output(run_on(
        &lab,
        &input,
        &["--workload", "read", "--strategy", "threads"],
    ));
    assert!(first.status.success(), "{}", text(&first));
    if util::may_bind() {
        // The folder bound onto itself in a namespace of the run's own
        // (`util::with_binds`), then made read-only there: any write into it
        // would fail with EROFS.
        let base = run_on(
            &lab,
            &input,
            &[
                "--workload",
                "read,copy",
                "--strategy",
                "processes,io_uring",
            ],
        );
        let mut read_only = Command::new("sh");
        read_only.args([
            "-c",
            r#"mount -o remount,bind,ro "$1" || exit 97; shift; exec "$@""#,
            "sh",
        ]);
        read_only
            .arg(&input)
            .arg(base.get_program())
            .args(base.get_args());
        read_only
            .current_dir(lab.path())
            .env("IOLAB_DATA_DIR", lab.data());
        let c = util::with_binds(&[(input.clone(), input.clone())], &read_only);
        let o = output(c);
        assert!(o.status.success(), "{}", text(&o));
        let run = runs(&lab).pop().unwrap();
        assert!(
            run.rows.iter().all(|r| r.verified),
            "{:?}",
            run.rows.iter().map(|r| &r.detail).collect::<Vec<_>>()
        );
        assert!(run.meta.inputs.unwrap().check.starts_with("unchanged"));
    }
    assert_eq!(snapshot(&input), before, "the input folder changed");

    // A file grown by one line is named, and the manifest taken again.
    let lib = input.join("lib.rs");
    let mut text_of = std::fs::read_to_string(&lib).unwrap();
    text_of.push_str("// one more line\n");
    std::fs::write(&lib, &text_of).unwrap();
    let o = output(run_on(
        &lab,
        &input,
        &["--workload", "read", "--strategy", "threads"],
    ));
    assert!(o.status.success(), "{}", text(&o));
    let check = runs(&lab).pop().unwrap().meta.inputs.unwrap().check;
    assert!(check.contains("lib.rs changed ("), "{check}");
    assert_eq!(runs(&lab).pop().unwrap().rows[0].tasks as usize, files);
}

#[test]
fn bytes_changed_behind_the_same_size_and_time_fail_the_read_and_a_full_check_finds_them() {
    let lab = Lab::new();
    let (input, _) = user_folder(&lab);
    let first = output(run_on(
        &lab,
        &input,
        &["--workload", "read", "--strategy", "threads"],
    ));
    assert!(first.status.success(), "{}", text(&first));
    // Same length, other bytes, the old modification time put back: the
    // fast check (size and time) cannot see it; the read's xxh3 does.
    let lib = input.join("lib.rs");
    let meta = std::fs::metadata(&lib).unwrap();
    let mut bytes = std::fs::read(&lib).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&lib, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&lib)
        .unwrap()
        .set_modified(meta.modified().unwrap())
        .unwrap();
    let o = output(run_on(
        &lab,
        &input,
        &["--workload", "read", "--strategy", "threads"],
    ));
    let run = runs(&lab).pop().unwrap();
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        run.rows
            .iter()
            .any(|r| !r.verified && r.detail.contains("lib.rs: loaded")),
        "{:?}",
        run.rows.iter().map(|r| &r.detail).collect::<Vec<_>>()
    );
    let o = output(run_on(
        &lab,
        &input,
        &[
            "--workload",
            "read",
            "--strategy",
            "threads",
            "--input-check",
            "full",
        ],
    ));
    assert!(o.status.success(), "{}", text(&o));
    let run = runs(&lab).pop().unwrap();
    assert!(run.meta.inputs.unwrap().check.contains("lib.rs changed"));
}

#[test]
fn workloads_that_write_or_need_the_corpus_are_refused_in_one_line() {
    let lab = Lab::new();
    let (input, _) = user_folder(&lab);
    let before = snapshot(&input);
    for (workload, why) in [
        ("write", "write makes files of generated content"),
        ("append", "append writes a file of its own"),
        ("scan", "an input set has no large file"),
        ("metadata", "small files of its own"),
    ] {
        let o = output(run_on(&lab, &input, &["--workload", workload]));
        assert_eq!(o.status.code(), Some(1), "{workload}: {}", text(&o));
        let err = stderr(&o);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(
            err.contains("cannot run on the input set") && err.contains(why),
            "{err}"
        );
    }
    assert_eq!(lab.run_count(), 0);
    assert!(!lab.data().exists(), "nothing is made before the refusal");
    // A data folder inside the user's folder would put iolab's files there.
    let mut c = run_on(&lab, &input, &["--workload", "read"]);
    c.env("IOLAB_DATA_DIR", input.join("data"));
    let o = output(c);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("is inside it"), "{}", text(&o));
    assert_eq!(snapshot(&input), before, "the input folder changed");
}
