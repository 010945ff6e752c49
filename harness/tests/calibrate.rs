//! `iolab calibrate` through the real binary: with the real fio on a small
//! corpus, without fio on `PATH`, and refusing a path fio would misread.

mod util;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use util::{stderr, text, Lab};

/// fio on `PATH`, or `None` after saying why the test is skipped.
fn fio_or_skip(test: &str) -> Option<PathBuf> {
    let found = iolab::calibrate::fio::locate();
    if found.is_none() {
        eprintln!("skipping {test}: fio is not installed (apt-get install fio)");
    }
    found
}

/// `iolab calibrate` of [`SHAPE`] with its corpus in `data_dir`.
fn calibrate_into(lab: &Lab, data_dir: &Path) -> Output {
    lab.iolab()
        .arg("calibrate")
        .args(SHAPE)
        .args(["--no-progress", "--data-dir"])
        .arg(data_dir)
        .args(["--out"])
        .arg(lab.results())
        .output()
        .unwrap()
}

/// Small but long enough for fio's millisecond clock on most machines.
const SHAPE: [&str; 6] = ["--files", "300", "--lines", "100", "--large-file", "8MiB"];

#[test]
fn calibrate_runs_fio_beside_iolab_and_records_each_pattern() {
    if fio_or_skip("calibrate_runs_fio_beside_iolab_and_records_each_pattern").is_none() {
        return;
    }
    let lab = Lab::new();
    let out = lab
        .iolab()
        .arg("calibrate")
        .args(SHAPE)
        .args(["--reps", "2", "--warmup", "0", "--settle", "0"])
        .args(["--cache", "warm,cold", "--cold-method", "fadvise"])
        .args(["--no-progress", "--run-id", "cal", "--out"])
        .arg(lab.results())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("iolab ÷ fio"), "{}", text(&out));
    let dir = lab.results().join("cal");
    let record = iolab::calibrate::Calibration::load(&dir).unwrap().unwrap();
    assert!(record.fio_version.unwrap().starts_with("fio-"));
    let names: Vec<(&str, &str)> = record
        .rows
        .iter()
        .map(|r| (r.pattern.as_str(), r.cache.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("large-file-read-1MiB", "warm"),
            ("random-read-4KiB", "warm"),
            ("many-files-read", "warm"),
            ("many-files-write", "warm"),
            ("large-file-read-1MiB", "cold"),
            ("random-read-4KiB", "cold"),
            ("many-files-read", "cold"),
        ]
    );
    for r in &record.rows {
        assert!(r.fio_command.contains("'--invalidate=0'"), "{r:?}");
        if r.status == "failed" {
            // The one failure a fast machine may give: fio's whole-millisecond clock.
            assert!(r.detail.contains("under 1 ms"), "{r:?}");
            continue;
        }
        assert_eq!(r.status, "ok", "{r:?}");
        assert_eq!(r.reps, 2);
        let (ratio, low, high) = (
            r.ratio.unwrap(),
            r.ratio_ci_low.unwrap(),
            r.ratio_ci_high.unwrap(),
        );
        assert!(ratio > 0.0 && low <= ratio && ratio <= high, "{r:?}");
        let expected = match (r.pattern.as_str(), r.cache.as_str()) {
            ("many-files-write", _) => "none",
            (_, "warm") => "pre-read",
            _ => "fadvise",
        };
        assert_eq!(r.iolab_cache_method, expected, "{r:?}");
        assert_eq!(r.fio_cache_method, expected, "{r:?}");
    }
    let csv = fs::read_to_string(dir.join("calibration.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + record.rows.len(), "{csv}");
    // fio wrote only into the scratch folder, which is gone; the corpus verifies.
    let data: Vec<String> = fs::read_dir(lab.data())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(data, ["csv-300x100x10-large-8MiB"], "{data:?}");
    let verify = lab
        .iolab()
        .args(["corpus", "verify"])
        .arg(lab.data().join(&data[0]))
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", text(&verify));
}

#[test]
fn without_fio_calibrate_says_so_in_one_line() {
    let lab = Lab::new();
    let empty = lab.path().join("bin");
    fs::create_dir(&empty).unwrap();
    let out = lab
        .iolab()
        .env("PATH", &empty)
        .arg("calibrate")
        .args(SHAPE)
        .args(["--no-progress", "--out"])
        .arg(lab.results())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "calibration against fio: unavailable: fio not installed\n"
    );
    assert!(!lab.results().exists() && !lab.data().exists());
}

#[test]
fn a_data_folder_fio_would_misread_is_refused_before_anything_is_made() {
    if fio_or_skip("a_data_folder_fio_would_misread_is_refused_before_anything_is_made").is_none() {
        return;
    }
    let lab = Lab::new();
    let hostile = lab.path().join("da:ta");
    let out = calibrate_into(&lab, &hostile);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("fio cannot be given") && err.contains("da:ta"),
        "{err}"
    );
    assert!(!hostile.exists() && !lab.results().exists());
}

/// A data folder inside an existing corpus would nest a corpus in it:
/// refused in one line before any folder is made, the corpus untouched.
#[test]
fn a_data_folder_inside_a_corpus_is_refused_before_anything_is_made() {
    if fio_or_skip("a_data_folder_inside_a_corpus_is_refused_before_anything_is_made").is_none() {
        return;
    }
    let lab = Lab::new();
    let corpus = lab.path().join("c");
    let made = lab
        .iolab()
        .args(["corpus", "create", "--files", "6", "--lines", "4", "--dir"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let before = util::snapshot(&corpus);
    let inside = corpus.join("data");
    let out = calibrate_into(&lab, &inside);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("inside the iolab corpus folder"), "{err}");
    assert!(!inside.exists() && !lab.results().exists());
    assert_eq!(util::snapshot(&corpus), before);
}
