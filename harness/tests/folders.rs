//! The corpus's folder layout (`--folders`, `[corpus] folders`) on the real
//! binary: a sharded corpus's files spread over its `shard-*` folders,
//! every writing and reading workload verified on it under the strategies
//! that dispatch tasks (and the Python reference programs), run.json and
//! the report saying the layout; flat and sharded corpora apart; a bad
//! value refused in one line before anything is made; `corpus clean`
//! leaving nothing.

mod util;

use std::path::{Path, PathBuf};

use iolab::results::Status;
use iolab::strategy::StrategyKind;
use util::{scratch_left, stderr, text, Lab};

/// The entries of `dir` whose names start with `prefix`, sorted.
fn named(dir: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

/// `iolab corpus create` in the lab with `extra` flags.
fn create(lab: &Lab, extra: &[&str]) -> std::process::Output {
    lab.iolab()
        .args(["corpus", "create", "--files", "12", "--lines", "3"])
        .args(extra)
        .output()
        .expect("run iolab")
}

#[test]
fn every_workload_verifies_on_a_sharded_corpus() {
    let lab = Lab::new();
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/python");
    let python = |program: &str| {
        format!(
            "\"python3 {}/{program}.py {{corpus}} {{dest}} {{workers}}\"",
            scripts.display()
        )
    };
    let body = format!(
        "reps = 2\nwarmup = 0\nsettle = \"0\"\n\n[corpus]\nfiles = 24\nlines = 5\nfolders = \"sharded:4\"\n\n\
         [[grid]]\nworkload = [\"read\", \"copy\", \"write\", \"atomic-save\"]\n\
         variant = [\"whole\", \"kernel\", \"loop\", \"one-write\", \"in-place\", \"rename\", \"rename-fsync-dir\"]\n\
         strategy = [\"sequential\", \"threads\", \"processes\"]\nworkers = [3]\n\n\
         [[grid]]\nname = \"md\"\nworkload = [\"metadata\"]\nvariant = [\"create\", \"unlink\"]\n\
         strategy = [\"sequential\", \"threads\", \"processes\"]\nworkers = [3]\n\n\
         [[grid]]\nname = \"python\"\nworkload = [\"read\"]\nstrategy = [\"command\"]\nworkers = [2]\nbaseline = false\n\
         command = [{}]\n\n\
         [[grid]]\nname = \"python-copy\"\nworkload = [\"copy\"]\nstrategy = [\"command\"]\nworkers = [2]\nbaseline = false\n\
         command = [{}]\n\n\
         [[grid]]\nname = \"python-save\"\nworkload = [\"write\"]\nstrategy = [\"command\"]\nworkers = [2]\nbaseline = false\n\
         command = [{}]\n",
        python("load_sequential"),
        python("copy_sequential"),
        python("save_sequential"),
    );
    let file = lab.path().join("sharded.toml");
    std::fs::write(&file, body).unwrap();
    let out = lab
        .iolab()
        .arg("run")
        .arg(&file)
        .args(["--no-progress", "--out"])
        .arg(lab.results())
        .output()
        .expect("run iolab");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = lab.only_run();
    let mut seen = std::collections::BTreeSet::new();
    for row in &run.rows {
        if row.strategy == StrategyKind::Command && row.status == Status::Unavailable {
            eprintln!("skipped {}: {}", row.scenario_id, row.detail);
            continue;
        }
        assert_eq!(
            row.status,
            Status::Ok,
            "{}: {}",
            row.scenario_id,
            row.detail
        );
        assert!(row.verified, "{}: {}", row.scenario_id, row.detail);
        seen.insert((row.workload.to_string(), row.variant.clone(), row.strategy));
    }
    for workload in ["read", "copy", "write", "atomic-save", "metadata"] {
        for strategy in [
            StrategyKind::Sequential,
            StrategyKind::Threads,
            StrategyKind::Processes,
        ] {
            assert!(
                seen.iter().any(|(w, _, s)| w == workload && *s == strategy),
                "{workload} {strategy:?} missing from {seen:?}"
            );
        }
    }
    for variant in ["create", "unlink", "rename-fsync-dir", "kernel", "loop"] {
        assert!(
            seen.iter().any(|(_, v, _)| v.starts_with(variant)),
            "{variant} missing from {seen:?}"
        );
    }
    // The corpus: 4 subfolders of 6 files each, none at the top.
    let corpus = lab.data().join("csv-24x5x10-sharded4");
    assert_eq!(
        named(&corpus, "shard-"),
        ["shard-0", "shard-1", "shard-2", "shard-3"]
    );
    assert!(named(&corpus, "data-").is_empty());
    for shard in named(&corpus, "shard-") {
        assert_eq!(named(&corpus.join(&shard), "data-").len(), 6, "{shard}");
    }
    // run.json records the layout, and so does the report's corpus line.
    assert_eq!(
        run.meta.plan.corpus.folders.to_string(),
        "sharded:4",
        "{:?}",
        run.meta.plan.corpus
    );
    let json = std::fs::read_to_string(run.dir.join("run.json")).unwrap();
    assert!(json.contains("\"folders\": \"sharded:4\""), "run.json");
    let reports = lab.path().join("reports");
    let out = lab
        .iolab()
        .arg("report")
        .arg(&run.dir)
        .arg("--out")
        .arg(&reports)
        .output()
        .expect("run iolab report");
    assert!(out.status.success(), "{}", text(&out));
    let run_id = run.dir.file_name().unwrap();
    let md = std::fs::read_dir(reports.join(run_id))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md" || x == "html"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<String>();
    assert!(
        md.contains("spread over 4 folders (folders = sharded:4)"),
        "the report's corpus line"
    );
    assert!(scratch_left(&lab.data()).is_empty());
}

#[test]
fn the_flag_shards_a_run_and_flat_stays_as_it_was() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "metadata,write",
        "--variant",
        "create,unlink,one-write",
        "--strategy",
        "threads",
        "--workers",
        "4",
        "--folders",
        "sharded:4",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = lab.only_run();
    assert!(!run.rows.is_empty());
    for row in &run.rows {
        assert!(row.verified, "{}: {}", row.scenario_id, row.detail);
    }
    let sharded = lab.data().join("csv-40x20x10-sharded4");
    assert_eq!(named(&sharded, "shard-").len(), 4);
    // A flat run in the same data folder: its own corpus, no subfolder,
    // and a run.json without the key (as before the setting existed).
    let results = lab.results();
    std::fs::remove_dir_all(&results).unwrap();
    let out = lab.run(&["--workload", "read", "--strategy", "threads"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let flat = lab.data().join("csv-40x20x10");
    assert!(named(&flat, "shard-").is_empty());
    assert_eq!(named(&flat, "data-").len(), 40);
    assert_eq!(
        named(&sharded, "shard-").len(),
        4,
        "the sharded corpus stays"
    );
    let run = lab.only_run();
    let json = std::fs::read_to_string(run.dir.join("run.json")).unwrap();
    let named_folders: Vec<&str> = json
        .lines()
        .filter(|l| l.contains("\"folders\":"))
        .collect();
    assert!(
        named_folders.is_empty(),
        "a flat run.json names no folders: {named_folders:?}"
    );
}

#[test]
fn flat_and_sharded_corpora_are_apart_and_clean_leaves_nothing() {
    let lab = Lab::new();
    std::fs::create_dir(lab.data()).unwrap();
    for extra in [&[][..], &["--folders", "flat"], &["--folders", "sharded:5"]] {
        let out = create(&lab, extra);
        assert!(out.status.success(), "{}", text(&out));
    }
    let flat = lab.data().join("csv-12x3x10");
    let sharded = lab.data().join("csv-12x3x10-sharded5");
    assert_eq!(named(&flat, "data-").len(), 12);
    assert!(named(&flat, "shard-").is_empty());
    assert_eq!(named(&sharded, "shard-").len(), 5);
    let manifest = std::fs::read_to_string(sharded.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"folders\": \"sharded:5\""),
        "{manifest}"
    );
    let manifest = std::fs::read_to_string(flat.join("manifest.json")).unwrap();
    assert!(!manifest.contains("folders"), "{manifest}");
    // The same folder asked for the other layout is rebuilt into it.
    let dir: PathBuf = lab.path().join("one");
    let one = dir.to_str().unwrap();
    assert!(create(&lab, &["--dir", one]).status.success());
    let out = create(&lab, &["--dir", one, "--folders", "sharded:3"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("regenerated"));
    assert!(named(&dir, "data-").is_empty());
    assert_eq!(named(&dir, "shard-").len(), 3);
    for corpus in [&flat, &sharded, &dir] {
        let out = lab
            .iolab()
            .args(["corpus", "clean"])
            .arg(corpus)
            .output()
            .expect("run iolab");
        assert!(out.status.success(), "{}", text(&out));
        assert!(!corpus.exists(), "{} left", corpus.display());
    }
}

#[test]
fn a_bad_value_is_refused_in_one_line_before_anything_is_made() {
    for bad in ["sharded:0", "sharded:4097", "sharded", "deep", "sharded:-2"] {
        let lab = Lab::new();
        let out = lab.run(&["--workload", "read", "--folders", bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}: {}", text(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{bad}: {err}");
        assert!(
            err.contains("--folders") && err.contains(bad) && err.contains("sharded:K"),
            "{bad}: {err}"
        );
        assert!(!lab.data().exists(), "{bad}: nothing made");
        assert_eq!(lab.run_count(), 0, "{bad}: no run folder");
        let out = create(&lab, &["--folders", bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}: {}", text(&out));
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", text(&out));
        assert!(!lab.data().exists(), "{bad}: nothing made");
    }
    let lab = Lab::new();
    let file = lab.path().join("bad.toml");
    std::fs::write(
        &file,
        "[corpus]\nfiles = 4\nfolders = \"sharded:0\"\n\n[[grid]]\nworkload = [\"read\"]\n",
    )
    .unwrap();
    let out = lab
        .iolab()
        .arg("run")
        .arg(&file)
        .args(["--no-progress", "--out"])
        .arg(lab.results())
        .output()
        .expect("run iolab");
    assert!(!out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("bad.toml:3:") && err.contains("corpus.folders") && err.contains("sharded:0"),
        "{err}"
    );
    assert!(!lab.data().exists());
}

#[test]
fn a_sharded_layout_beside_an_input_set_is_refused() {
    let lab = Lab::new();
    let mine = lab.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("a.txt"), b"mine\n").unwrap();
    let out = lab
        .iolab()
        .args(["run", "--workload", "read", "--no-progress", "--input"])
        .arg(&mine)
        .args(["--folders", "sharded:2", "--out"])
        .arg(lab.results())
        .output()
        .expect("run iolab");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("sharded:2") && err.contains("input set"),
        "{err}"
    );
    assert_eq!(lab.run_count(), 0);
    // Flat (the default, or said) runs on it.
    let out = lab
        .iolab()
        .args(["run", "--workload", "read", "--no-progress", "--reps", "1"])
        .args(["--warmup", "0", "--settle", "0", "--input"])
        .arg(&mine)
        .args(["--folders", "flat", "--out"])
        .arg(lab.results())
        .output()
        .expect("run iolab");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
