//! The run flow under hostile use, on the real binary: `--dry-run` makes
//! nothing, runs started together never share an id, `--cache cold` on
//! memory, `--resume` of an edited plan or a `runs.csv` with garbage, a run
//! out of file descriptors, signals during `corpus create`.

mod util;

use std::path::{Path, PathBuf};
use std::process::Command;

use util::{scratch_left, stderr, text, Lab};

/// Every path under `root` (sorted), with each file's bytes: a snapshot to
/// compare before and after.
fn snapshot(root: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
            out.push((p, None));
        } else {
            out.push((p.clone(), Some(std::fs::read(&p).unwrap_or_default())));
        }
    }
    out.sort();
    out
}

/// A one-block experiment file in the lab.
fn experiment(lab: &Lab) -> PathBuf {
    let path = lab.path().join("tiny.toml");
    std::fs::write(
        &path,
        "[corpus]\nfiles = 40\nlines = 20\n\n[[grid]]\nworkload = [\"read\"]\nstrategy = [\"sequential\", \"threads\"]\nworkers = [2]\n",
    )
    .unwrap();
    path
}

#[test]
fn dry_run_prints_the_plan_and_makes_nothing_for_flags_and_files_alike() {
    let lab = Lab::new();
    let file = experiment(&lab);
    // Folders that do not exist, that exist empty, and a data folder that
    // is a file: nothing is made or changed in any of them.
    let absent = (lab.path().join("no-data"), lab.path().join("no-results"));
    let empty = (
        lab.path().join("data-empty"),
        lab.path().join("results-empty"),
    );
    std::fs::create_dir(&empty.0).unwrap();
    std::fs::create_dir(&empty.1).unwrap();
    let a_file = (lab.path().join("data-file"), lab.path().join("results-2"));
    std::fs::write(&a_file.0, "not a folder").unwrap();
    let flags: [&[&str]; 2] = [
        &[
            "--workload",
            "read,write",
            "--strategy",
            "sequential,threads",
            "--files",
            "40",
            "--lines",
            "20",
        ],
        &[file.to_str().unwrap()],
    ];
    for (data, results) in [&absent, &empty, &a_file] {
        for plan in flags {
            let before = snapshot(lab.path());
            let o = lab
                .iolab()
                .arg("run")
                .args(plan)
                .arg("--dry-run")
                .arg("--data-dir")
                .arg(data)
                .arg("--out")
                .arg(results)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", text(&o));
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(out.starts_with("run: "), "{out}");
            let ids: Vec<&str> = out.lines().skip(1).collect();
            assert!(
                ids.iter()
                    .any(|l| l.ends_with("read/whole/sequential/warm")),
                "{out}"
            );
            assert!(ids.iter().all(|l| l.contains('/')), "{out}");
            assert_eq!(
                snapshot(lab.path()),
                before,
                "--dry-run changed the lab ({plan:?} {})",
                data.display()
            );
        }
    }
    // Nor the default folders under the working directory.
    assert!(!lab.path().join("results").exists());
    assert!(!lab.data().exists());
}

#[test]
fn ten_runs_started_at_once_with_the_same_folders_each_get_their_own_run_folder() {
    let lab = Lab::new();
    let children: Vec<_> = (0..10)
        .map(|_| {
            lab.iolab()
                .args(util::TINY_RUN)
                .args(["--workload", "read", "--reps", "1", "--out"])
                .arg(lab.results())
                .arg("--data-dir")
                .arg(lab.data())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    let mut ids: Vec<String> = std::fs::read_dir(lab.results())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 10, "{ids:?}");
    for id in &ids {
        let run = iolab::results::load(&lab.results().join(id)).unwrap();
        assert_eq!(run.meta.run_id, *id);
        assert!(!run.rows.is_empty() && run.rows.iter().all(|r| r.run_id == *id));
    }
    assert_eq!(scratch_left(&lab.data()), Vec::<String>::new());

    // A --run-id that is taken is still refused, in one line, making nothing.
    let taken = &ids[0];
    let before = snapshot(lab.path());
    let o = lab.run(&["--workload", "read", "--run-id", taken]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("exists already") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(snapshot(lab.path()), before);
}

/// A mount made by the test, unmounted when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// An overlay at `<lab>/overlay` whose layers are folders of `tmpfs`, or
/// `None` (with the reason printed) where it cannot be mounted.
fn overlay_of(lab: &Lab, tmpfs: &Path) -> Option<Mounted> {
    let layers = ["lower", "upper", "work"].map(|l| tmpfs.join(l));
    for l in &layers {
        std::fs::create_dir(l).unwrap();
    }
    let at = lab.path().join("overlay");
    std::fs::create_dir(&at).unwrap();
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        layers[0].display(),
        layers[1].display(),
        layers[2].display()
    );
    let ok = std::process::Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &options])
        .arg(&at)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped the overlay half: cannot mount an overlay here");
    }
    ok.then_some(Mounted(at))
}

#[test]
fn cold_on_a_tmpfs_or_an_overlay_of_one_is_refused_up_front_or_unavailable_beside_warm() {
    let lab = Lab::new();
    let Some(tiny) = util::TinyFs::mount(&lab, "64m") else {
        return;
    };
    let overlay = overlay_of(&lab, &tiny.0);
    let mut places = vec![(tiny.0.join("data"), "tmpfs")];
    if let Some(o) = &overlay {
        places.push((o.0.join("data"), "overlay of tmpfs"));
    }
    for (data, fs) in places {
        // Cold alone: one line naming the filesystem, nothing made (so no
        // corpus, no repetition, no cache dropped).
        let before = snapshot(lab.path());
        let o = lab
            .iolab()
            .args(util::TINY_RUN)
            .args(["--workload", "read", "--cache", "cold", "--out"])
            .arg(lab.results())
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("is on {fs} ")), "{err}");
        assert_eq!(snapshot(lab.path()), before, "a refused run made something");

        // Warm and cold: the cold half unavailable with that line, the warm
        // half run and verified.
        let o = lab
            .iolab()
            .args(util::TINY_RUN)
            .args(["--workload", "read", "--cache", "warm,cold", "--out"])
            .arg(lab.results())
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let run = lab.only_run();
        for row in &run.rows {
            match row.cache {
                iolab::measure::cache::CacheState::Warm => {
                    assert!(row.verified, "{}", row.detail);
                }
                iolab::measure::cache::CacheState::Cold => {
                    assert_eq!(row.status, iolab::results::Status::Unavailable);
                    assert!(
                        row.detail.contains(&format!("is on {fs} ")),
                        "{}",
                        row.detail
                    );
                }
            }
        }
        assert!(run
            .rows
            .iter()
            .any(|r| r.status == iolab::results::Status::Ok));
        std::fs::remove_dir_all(lab.results()).unwrap();
        assert_eq!(scratch_left(&data), Vec::<String>::new());
    }
    drop(overlay);
}

/// A finished tiny run made to look killed (no end time), so it can be
/// resumed; its folder.
fn unfinished_run(lab: &Lab) -> PathBuf {
    let o = lab.run(&["--workload", "read"]);
    assert!(o.status.success(), "{}", text(&o));
    let dir = lab.only_run().dir;
    edit_run_json(&dir, |meta| meta["ended_at"] = serde_json::Value::Null);
    dir
}

/// Rewrite `dir/run.json` through `edit`.
fn edit_run_json(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("run.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut meta);
    std::fs::write(&path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
}

/// `iolab run --resume dir`.
fn resume(lab: &Lab, dir: &Path) -> std::process::Output {
    lab.iolab()
        .args(["run", "--no-progress", "--resume"])
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn resume_refuses_an_edited_plan_before_anything_else_leaving_the_folder_as_it_was() {
    let lab = Lab::new();
    let dir = unfinished_run(&lab);
    let original = std::fs::read(dir.join("run.json")).unwrap();
    // Another valid workload under the old scenario id.
    edit_run_json(&dir, |meta| {
        meta["plan"]["scenarios"][0]["workload"] =
            serde_json::json!({"workload": "noop", "tasks": 40});
    });
    let before = snapshot(lab.path());
    let o = resume(&lab, &dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not the plan the run started with"), "{err}");
    assert_eq!(
        snapshot(lab.path()),
        before,
        "the refused resume changed something"
    );
    // The plan as recorded resumes (the check is not refusing everything).
    std::fs::write(dir.join("run.json"), original).unwrap();
    let o = resume(&lab, &dir);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn resume_refuses_garbage_in_runs_csv_by_its_line_and_cuts_only_a_torn_row() {
    let lab = Lab::new();
    let dir = unfinished_run(&lab);
    let runs = dir.join("runs.csv");
    let rows = std::fs::read(&runs).unwrap();
    let lines = rows.iter().filter(|&&b| b == b'\n').count();
    for garbage in [&b"garbage\n"[..], b"garbage", b"1,2,3\n"] {
        let mut bytes = rows.clone();
        bytes.extend_from_slice(garbage);
        std::fs::write(&runs, &bytes).unwrap();
        let before = snapshot(lab.path());
        let o = resume(&lab, &dir);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!(
                "runs.csv line {}: not a row iolab wrote",
                lines + 1
            )) && err.contains("left as it is"),
            "{err}"
        );
        assert_eq!(std::fs::read(&runs).unwrap(), bytes, "runs.csv changed");
        assert_eq!(snapshot(lab.path()), before);
    }
    // A row torn by a killed writer (a prefix of a row, no newline) is
    // cut, with a warning, and the run resumes.
    let last_row = rows[..rows.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let mut torn = rows.clone();
    torn.extend_from_slice(&rows[last_row..last_row + 40]);
    std::fs::write(&runs, &torn).unwrap();
    let o = resume(&lab, &dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stderr(&o).contains("torn last line"), "{}", text(&o));
    assert_eq!(
        std::fs::read(&runs).unwrap(),
        rows,
        "only the torn row was cut"
    );
}

#[test]
fn a_run_out_of_file_descriptors_says_how_to_resume_or_leaves_nothing() {
    let lab = Lab::new();
    let o = lab
        .iolab()
        .args([
            "corpus",
            "create",
            "--files",
            "40",
            "--lines",
            "20",
            "--data-dir",
        ])
        .arg(lab.data())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let mut resumed = 0;
    // Limits around where the run first fails once its folder exists (12
    // on the tree this test was written on): each limit's outcome must be
    // one of the three below.
    for limit in 8..=14 {
        let runs_before = lab.run_count();
        let script = format!("ulimit -n {limit}; exec \"$0\" \"$@\"");
        let o = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_iolab"))
            .current_dir(lab.path())
            .args(util::TINY_RUN)
            .args(["--workload", "read", "--strategy", "sequential,threads"])
            .args(["--workers", "2", "--data-dir"])
            .arg(lab.data())
            .arg("--out")
            .arg(lab.results())
            .output()
            .unwrap();
        let err = stderr(&o);
        match o.status.code() {
            // Finished (or finished with failed scenarios): nothing left over.
            Some(0 | 2) => assert_eq!(scratch_left(&lab.data()), Vec::<String>::new()),
            Some(1) if err.contains("resume with: ") => {
                // Its folder exists and the line says how to resume it; the
                // command it gives finishes the run and removes the scratch.
                let command = err.split("resume with: ").nth(1).unwrap().trim();
                let o = Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .current_dir(lab.path())
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{command}: {}", text(&o));
                assert_eq!(scratch_left(&lab.data()), Vec::<String>::new());
                resumed += 1;
            }
            // Refused before its folder was made: nothing of its own left,
            // or the line names the scratch folder it could not remove.
            Some(1) => {
                let left = scratch_left(&lab.data());
                assert!(
                    left.is_empty() || err.contains("corpus clean --scratch"),
                    "limit {limit}: {left:?} left, {err}"
                );
                for s in left {
                    std::fs::remove_dir_all(lab.data().join(s)).unwrap();
                }
            }
            other => panic!("limit {limit}: exit {other:?}: {}", text(&o)),
        }
        if o.status.code() == Some(1) {
            assert_eq!(err.lines().count(), 1, "limit {limit}: {err}");
        }
        assert!(lab.run_count() <= runs_before + 1);
    }
    assert!(
        resumed > 0,
        "no limit made a run fail after making its folder"
    );
}

#[test]
fn sigint_and_sigterm_during_corpus_create_both_explain_and_exit_130() {
    for signal in [rustix::process::Signal::INT, rustix::process::Signal::TERM] {
        let lab = Lab::new();
        std::fs::create_dir(lab.data()).unwrap();
        let corpus = lab.data().join("c");
        // Many one-line files: seconds of work, little data.
        let child = lab
            .iolab()
            .args([
                "corpus", "create", "--files", "100000", "--lines", "1", "--dir",
            ])
            .arg(&corpus)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while std::fs::read_dir(&corpus).map_or(0, |d| d.count()) < 100 {
            assert!(start.elapsed().as_secs() < 60, "the corpus never started");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(130), "{signal:?}: {}", text(&o));
        let name = if signal == rustix::process::Signal::INT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        assert!(
            err.contains(&format!(
                "{name}: stopped; if it was being made, the corpus "
            )) && err.contains("left unfinished"),
            "{err}"
        );
        // Never accepted half-made: verifying it refuses.
        let o = lab
            .iolab()
            .args(["corpus", "verify"])
            .arg(&corpus)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{}", text(&o));
    }
}
