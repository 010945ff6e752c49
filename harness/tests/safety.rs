//! Safety of deletion, link handling and concurrent runs, provoked for real
//! on the real binary: symlinks planted in a corpus, copied markers, hostile
//! `corpus clean` paths, scratch leftovers of killed runs, and two runs
//! building the same new corpus at once.

mod util;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use iolab::results::Status;
use util::{
    guarded, make_killed, may_bind, mkfifo, snapshot, stderr, text, with_binds, Guarded, Lab,
};

/// `iolab corpus create` of a small corpus in `dir`.
fn create(lab: &Lab, dir: &Path) -> Output {
    lab.iolab()
        .args(["corpus", "create", "--files", "6", "--lines", "4", "--dir"])
        .arg(dir)
        .output()
        .unwrap()
}

/// `iolab corpus clean ARG` run in `cwd` with extra environment.
fn clean_in(lab: &Lab, cwd: &Path, arg: &Path, env: &[(&str, &Path)]) -> Output {
    let mut c = lab.iolab();
    c.current_dir(cwd).args(["corpus", "clean"]).arg(arg);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn rebuild_never_writes_through_a_member_replaced_by_a_link() {
    let lab = Lab::new();
    let corpus = lab.path().join("c");
    assert!(create(&lab, &corpus).status.success());
    let decoy = lab.path().join("decoy.txt");
    fs::write(&decoy, b"precious, outside the corpus\n").unwrap();
    let member = corpus.join("data-00001.csv");
    fs::remove_file(&member).unwrap();
    symlink(&decoy, &member).unwrap();
    // Rebuild by `corpus create` and by `run` (same shape, the run's data dir).
    let out = create(&lab, &corpus);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("data-00001.csv"), "{}", text(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", text(&out));
    assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", text(&out));
    fs::create_dir_all(lab.data()).unwrap();
    let out = lab
        .iolab()
        .args(["corpus", "create", "--files", "40", "--lines", "20"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let in_data = fs::read_dir(lab.data())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::remove_file(in_data.join("data-00003.csv")).unwrap();
    symlink(&decoy, in_data.join("data-00003.csv")).unwrap();
    let out = lab.run(&["--workload", "read"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("data-00003.csv"), "{}", text(&out));
    assert_eq!(fs::read(&decoy).unwrap(), b"precious, outside the corpus\n");
}

#[test]
fn a_copied_marker_is_refused_and_the_folder_kept() {
    let lab = Lab::new();
    let corpus = lab.path().join("c");
    assert!(create(&lab, &corpus).status.success());
    let decoy = lab.path().join("decoy");
    fs::create_dir_all(decoy.join("sub")).unwrap();
    fs::write(decoy.join("data-00000.csv"), b"mine").unwrap();
    fs::write(decoy.join("sub/thesis.tex"), b"mine too").unwrap();
    for name in [".iolab-corpus", "manifest.json"] {
        fs::copy(corpus.join(name), decoy.join(name)).unwrap();
    }
    let before = snapshot(&decoy);
    let out = clean_in(&lab, lab.path(), &decoy, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("copied from another folder"),
        "{}",
        text(&out)
    );
    assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", text(&out));
    // Nor will a run write into it.
    let out = create(&lab, &decoy);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(snapshot(&decoy), before);
}

/// A refusal case: what, the working directory, the argument, extra environment.
type Case<'a> = (&'a str, PathBuf, PathBuf, Vec<(&'a str, &'a Path)>);

#[test]
fn clean_refuses_links_dots_root_home_and_ancestors_of_cwd() {
    let lab = Lab::new();
    let corpus = lab.path().join("c");
    assert!(create(&lab, &corpus).status.success());
    let link = lab.path().join("link");
    symlink(&corpus, &link).unwrap();
    let sub = corpus.join("sub");
    fs::create_dir(&sub).unwrap();
    let before = snapshot(&corpus);
    let slash = PathBuf::from(format!("{}/", link.display()));
    let cases: Vec<Case> = vec![
        ("link with slash", lab.path().to_path_buf(), slash, vec![]),
        ("link", lab.path().to_path_buf(), link.clone(), vec![]),
        (
            "dot inside the corpus",
            corpus.clone(),
            PathBuf::from("."),
            vec![],
        ),
        ("dotdot", sub.clone(), PathBuf::from(".."), vec![]),
        ("root", lab.path().to_path_buf(), PathBuf::from("/"), vec![]),
        (
            "home",
            lab.path().to_path_buf(),
            corpus.clone(),
            vec![("HOME", &corpus)],
        ),
        ("ancestor of cwd", sub.clone(), corpus.clone(), vec![]),
        (
            "inside a corpus",
            lab.path().to_path_buf(),
            sub.clone(),
            vec![],
        ),
    ];
    for (what, cwd, arg, env) in cases {
        let out = clean_in(&lab, &cwd, &arg, &env);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", text(&out));
        assert!(
            stderr(&out).starts_with("error: refusing"),
            "{what}: {}",
            text(&out)
        );
        assert_eq!(
            stderr(&out).trim().lines().count(),
            1,
            "{what}: {}",
            text(&out)
        );
        assert_eq!(snapshot(&corpus), before, "{what}: something was removed");
    }
    let out = lab
        .iolab()
        .args(["corpus", "verify"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn clean_removes_what_iolab_made_and_lists_what_it_kept() {
    let lab = Lab::new();
    let corpus = lab.path().join("c");
    assert!(create(&lab, &corpus).status.success());
    fs::write(corpus.join("notes.txt"), b"my notes").unwrap();
    fs::create_dir(corpus.join("old")).unwrap();
    fs::write(corpus.join("old/run.log"), b"old log").unwrap();
    let out = clean_in(&lab, lab.path(), &corpus, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("kept 2 entries iolab did not create: notes.txt, old/"),
        "{}",
        text(&out)
    );
    let mut left: Vec<String> = fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["notes.txt", "old"]);
    assert_eq!(fs::read(corpus.join("old/run.log")).unwrap(), b"old log");
    // Without user files the folder goes too.
    let plain = lab.path().join("plain");
    assert!(create(&lab, &plain).status.success());
    let out = clean_in(&lab, lab.path(), &plain, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!plain.exists());
}

/// Wait until a `scratch-*` folder appears in `data` (or panic after 60 s).
fn wait_for_scratch(data: &Path, child: &mut Child, not: &[PathBuf]) -> PathBuf {
    let start = Instant::now();
    loop {
        if let Ok(entries) = fs::read_dir(data) {
            for e in entries {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with("scratch-") && !not.contains(&p) {
                    return p;
                }
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its scratch appeared"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no scratch folder appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A run that stays alive a while (several settle waits), in the background.
fn slow_run(lab: &Lab, run_id: &str) -> Child {
    lab.iolab()
        .args([
            "run",
            "--files",
            "40",
            "--lines",
            "20",
            "--workload",
            "write",
        ])
        .args([
            "--reps",
            "3",
            "--warmup",
            "0",
            "--settle",
            "1s",
            "--settle-timeout",
            "2s",
        ])
        .arg("--no-progress")
        .args(["--run-id", run_id, "--out"])
        .arg(lab.results())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn scratch_of_a_killed_run_is_removed_and_a_live_one_kept() {
    let lab = Lab::new();
    let mut killed = slow_run(&lab, "killed");
    let dead = wait_for_scratch(&lab.data(), &mut killed, &[]);
    killed.kill().unwrap();
    killed.wait().unwrap();
    assert!(dead.exists(), "a SIGKILLed run leaves its scratch folder");
    let mut live = slow_run(&lab, "live");
    let alive = wait_for_scratch(&lab.data(), &mut live, std::slice::from_ref(&dead));
    // A link named like a scratch folder, pointing at a decoy, is never entered.
    let decoy = lab.path().join("decoy");
    fs::create_dir(&decoy).unwrap();
    fs::write(decoy.join("keep"), b"mine").unwrap();
    symlink(&decoy, lab.data().join("scratch-link")).unwrap();
    let out = lab
        .iolab()
        .args(["corpus", "clean", "--scratch"])
        .output()
        .unwrap();
    let live_out = live.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("removed 1 scratch folder from"),
        "{}",
        text(&out)
    );
    assert!(
        stdout.contains("kept scratch-live: in use by a running iolab"),
        "{}",
        text(&out)
    );
    assert!(
        stdout.contains("kept scratch-link: it is a symbolic link"),
        "{}",
        text(&out)
    );
    assert!(!dead.exists());
    assert_eq!(fs::read(decoy.join("keep")).unwrap(), b"mine");
    // The live run finished normally, and removed its own scratch.
    assert!(live_out.status.success(), "{}", text(&live_out));
    assert!(!alive.exists());
}

/// Rows of the run folder `dir`: all verified, none failed.
fn assert_verified(dir: &Path) -> String {
    let run = iolab::results::load(dir).unwrap();
    assert!(!run.rows.is_empty(), "{}: no rows", dir.display());
    for r in &run.rows {
        assert!(
            r.verified && r.status == Status::Ok,
            "{}: {r:?}",
            dir.display()
        );
    }
    run.meta.corpus_provenance
}

/// Run `iolab ARGS --run-id a` and `… --run-id b` at once on the lab's one
/// (new) data folder; both must succeed with only verified rows, and exactly
/// one may have built the corpus. Returns their outputs.
fn two_at_once(lab: &Lab, args: &[&str]) -> Vec<Output> {
    let children: Vec<Child> = ["a", "b"]
        .iter()
        .map(|id| {
            lab.iolab()
                .args(args)
                .args([
                    "--reps",
                    "1",
                    "--warmup",
                    "0",
                    "--settle",
                    "0s",
                    "--no-progress",
                ])
                .args(["--run-id", id, "--out"])
                .arg(lab.results())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert!(o.status.success(), "{}", text(o));
    }
    let provenance: Vec<String> = ["a", "b"]
        .iter()
        .map(|id| assert_verified(&lab.results().join(id)))
        .collect();
    let created = provenance.iter().filter(|p| *p == "created").count();
    assert_eq!(
        created, 1,
        "exactly one run builds the corpus: {provenance:?}"
    );
    assert!(
        provenance.iter().any(|p| p.starts_with("reused")),
        "{provenance:?}"
    );
    outs
}

#[test]
fn two_runs_at_once_build_one_new_corpus_and_both_verify() {
    let lab = Lab::new();
    let outs = two_at_once(
        &lab,
        &[
            "run",
            "--files",
            "3000",
            "--lines",
            "100",
            "--workload",
            "read,copy",
        ],
    );
    let waited = outs
        .iter()
        .any(|o| stderr(o).contains("waiting for another iolab building"));
    eprintln!("the second run waited for the build: {waited}");
}

#[test]
fn two_bench_alls_at_once_share_one_new_data_folder() {
    let lab = Lab::new();
    let experiments = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments");
    let experiments = experiments.to_str().unwrap();
    let reports = lab.path().join("reports");
    two_at_once(
        &lab,
        &[
            "bench-all",
            "--scale",
            "quick",
            "--only",
            "load/read/whole/threads-4",
            "--experiments",
            experiments,
            "--no-python-setup",
            "--reps",
            "3",
            "--reports",
            reports.to_str().unwrap(),
        ],
    );
}

#[test]
fn a_run_waits_for_a_build_in_progress_and_says_so() {
    use std::io::BufRead;
    use std::os::unix::fs::FileExt;
    let lab = Lab::new();
    fs::create_dir_all(lab.data()).unwrap();
    let shape = ["--files", "40", "--lines", "20"];
    let out = lab
        .iolab()
        .args(["corpus", "create"])
        .args(shape)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let corpus = fs::read_dir(lab.data())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // This test process plays the builder: it holds the build lock.
    let dir = iolab::safefs::Dir::open(&corpus).unwrap();
    let lock = dir.open_or_create_file(".iolab-lock").unwrap();
    iolab::safefs::lock(&lock, iolab::safefs::LockMode::Exclusive).unwrap();
    let me = format!("{}\n", std::process::id());
    lock.set_len(0).unwrap();
    lock.write_all_at(me.as_bytes(), 0).unwrap();
    let mut run = lab
        .iolab()
        .args(["run", "--workload", "read", "--reps", "1", "--warmup", "0"])
        .args(shape)
        .args(["--settle", "0s", "--no-progress", "--out"])
        .arg(lab.results())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr_lines = std::io::BufReader::new(run.stderr.take().unwrap());
    let mut line = String::new();
    stderr_lines.read_line(&mut line).unwrap();
    let expected = format!(
        "waiting for another iolab building {} (pid {})",
        corpus.display(),
        std::process::id()
    );
    assert_eq!(line.trim_end(), expected);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        run.try_wait().unwrap().is_none(),
        "the run must wait for the lock"
    );
    drop(lock);
    let status = run.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr_lines, &mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(!rest.contains("waiting"), "said once: {rest}");
    assert!(assert_verified(&lab.only_run().dir).starts_with("reused"));
}

/// `cmd`'s output, or a panic naming the hang (10 s).
fn within_10s(cmd: &mut std::process::Command) -> Output {
    match guarded(cmd, Duration::from_secs(10)) {
        Guarded::Finished(o) => o,
        Guarded::Hung(o) => panic!("hung (killed after 10 s): {}", text(&o)),
    }
}

/// A refusal: exit 1, one line on stderr holding every needle.
fn one_line_refusal(o: &Output, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(1), "{}", text(o));
    let err = stderr(o);
    assert_eq!(err.trim().lines().count(), 1, "one line: {}", text(o));
    for n in needles {
        assert!(err.contains(n), "{n:?} in {}", text(o));
    }
}

/// An outside folder with a file in a subfolder; its snapshot.
fn outside(lab: &Lab) -> (PathBuf, Vec<(PathBuf, Vec<u8>)>) {
    let dir = lab.path().join("outside");
    fs::create_dir_all(dir.join("deep")).unwrap();
    fs::write(dir.join("deep/precious.txt"), b"the user's, outside\n").unwrap();
    fs::write(dir.join("top.txt"), b"also the user's\n").unwrap();
    let before = snapshot(&dir);
    (dir, before)
}

/// The scratch folder of a run that is gone (made and released as a
/// killed run leaves it), with a file and a folder `sub/mnt` inside.
fn dead_scratch(data: &Path, run_id: &str) -> PathBuf {
    let scratch = iolab::corpus::Scratch::create(data, run_id).unwrap();
    let path = scratch.path().to_path_buf();
    drop(scratch);
    fs::create_dir_all(path.join("sub/mnt")).unwrap();
    fs::write(path.join("out.csv"), b"written by the run").unwrap();
    path
}

#[test]
fn scratch_clean_keeps_a_bind_mount_of_the_same_filesystem_untouched() {
    if !may_bind() {
        return;
    }
    let lab = Lab::new();
    let (outside, before) = outside(&lab);
    let scratch = dead_scratch(&lab.data(), "dead");
    let mnt = scratch.join("sub/mnt");
    let mut clean = lab.iolab();
    clean.args(["corpus", "clean", "--scratch"]);
    let o = within_10s(&mut with_binds(&[(outside.clone(), mnt.clone())], &clean));
    assert!(o.status.success(), "{}", text(&o));
    let all = text(&o);
    assert!(
        all.contains("kept scratch-dead: it holds a mount point iolab does not cross"),
        "{all}"
    );
    assert!(all.contains(&mnt.display().to_string()), "{all}");
    assert!(!all.to_lowercase().contains("busy"), "{all}");
    assert_eq!(snapshot(&outside), before, "the mounted folder was changed");
    assert!(!scratch.join("out.csv").exists(), "the rest was removed");
    assert!(scratch.join(".iolab-scratch").exists(), "marker kept");
    // Unmounted (the namespace is gone): the next clean removes the rest.
    let o = within_10s(&mut clean);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!scratch.exists(), "{}", text(&o));
    assert_eq!(snapshot(&outside), before);
}

/// The run folder `results/<id>` of a tiny run made to look killed
/// outright after its first repetition (no end time, one row).
fn killed_run(lab: &Lab, id: &str) -> PathBuf {
    let o = lab.run(&[
        "--workload",
        "read",
        "--strategy",
        "sequential",
        "--run-id",
        id,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let dir = lab.results().join(id);
    make_killed(&dir);
    dir
}

#[test]
fn resume_never_empties_a_bind_mount_in_the_leftover_scratch() {
    if !may_bind() {
        return;
    }
    let lab = Lab::new();
    let (outside, before) = outside(&lab);
    let run = killed_run(&lab, "base");
    let scratch = dead_scratch(&lab.data(), "base");
    let mut resume = lab.iolab();
    resume.args(["run", "--resume"]).arg(&run);
    let mnt = scratch.join("sub/mnt");
    let run_json = fs::read(run.join("run.json")).unwrap();
    let o = within_10s(&mut with_binds(&[(outside.clone(), mnt.clone())], &resume));
    one_line_refusal(&o, &["kept a mount point", "unmount it"]);
    assert_eq!(
        fs::read(run.join("run.json")).unwrap(),
        run_json,
        "run.json unchanged"
    );
    assert!(!stderr(&o).to_lowercase().contains("busy"), "{}", text(&o));
    assert_eq!(snapshot(&outside), before, "the mounted folder was changed");
    // Without the mount the resume goes on and finishes the run.
    let o = within_10s(&mut resume);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(iolab::results::load(&run).unwrap().rows.len(), 2);
}

#[test]
fn run_folder_files_that_are_fifos_or_endless_are_one_line_each() {
    let lab = Lab::new();
    let done = lab.path().join("done");
    let o = lab.run(&[
        "--workload",
        "read",
        "--strategy",
        "sequential",
        "--run-id",
        "a",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let a = lab.results().join("a");
    let killed = killed_run(&lab, "b");
    fs::create_dir(&done).unwrap();
    // (file replaced, how, what the line says)
    type Case<'a> = (&'a str, fn(&Path), &'a str);
    let fifo: fn(&Path) = mkfifo;
    let zero: fn(&Path) = |p| symlink("/dev/zero", p).unwrap();
    let dir: fn(&Path) = |p| fs::create_dir(p).unwrap();
    let cases: [Case; 5] = [
        (
            "run.json",
            fifo,
            "is a FIFO (named pipe), not a regular file",
        ),
        (
            "runs.csv",
            fifo,
            "is a FIFO (named pipe), not a regular file",
        ),
        ("run.json", zero, "is a symbolic link"),
        ("summary.csv", dir, "is a directory, not a regular file"),
        (
            "timeseries.csv",
            fifo,
            "is a FIFO (named pipe), not a regular file",
        ),
    ];
    for (file, make, says) in cases {
        // report, claims and compare on the finished run; resume on the
        // killed one (summary.csv is read only for a finished run; only
        // report reads the time series).
        let mut on_finished: Vec<std::process::Command> = Vec::new();
        let mut c = lab.iolab();
        c.arg("report").arg(&a).arg("--out").arg(&done);
        on_finished.push(c);
        if file != "timeseries.csv" {
            let mut c = lab.iolab();
            c.arg("claims").arg(&a);
            on_finished.push(c);
            let mut c = lab.iolab();
            c.arg("compare").arg(&a).arg(&a).arg("--out").arg(&done);
            on_finished.push(c);
        }
        let mut on_killed = Vec::new();
        if file != "summary.csv" {
            let mut c = lab.iolab();
            c.args(["run", "--resume"]).arg(&killed);
            on_killed.push(c);
        }
        for (run, commands) in [(&a, on_finished), (&killed, on_killed)] {
            if commands.is_empty() {
                continue;
            }
            let target = run.join(file);
            let saved = lab.path().join("saved");
            fs::rename(&target, &saved).unwrap();
            make(&target);
            for mut c in commands {
                let o = within_10s(&mut c);
                one_line_refusal(&o, &[says, file]);
                assert!(!stderr(&o).contains("panicked"), "{}", text(&o));
            }
            if fs::remove_file(&target).is_err() {
                fs::remove_dir(&target).unwrap();
            }
            fs::rename(&saved, &target).unwrap();
        }
    }
}

#[test]
fn rebuild_keeps_lookalikes_the_manifest_does_not_name_and_lists_them() {
    let lab = Lab::new();
    let corpus = lab.path().join("c");
    let create = |dir: &Path| {
        lab.iolab()
            .args(["corpus", "create", "--files", "50", "--lines", "4", "--dir"])
            .arg(dir)
            .output()
            .unwrap()
    };
    assert!(create(&corpus).status.success());
    let lookalikes = [
        "data-00050.csv",
        "data-00051.csv",
        "data-1.csv",
        "data-000001.csv",
        "large.csv",
    ];
    for name in lookalikes {
        fs::write(corpus.join(name), b"the user's\n").unwrap();
    }
    fs::write(corpus.join("data-00003.csv"), b"damaged").unwrap();
    let o = create(&corpus);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("regenerated: verification failed"), "{out}");
    assert!(
        out.contains(
            "kept 5 entries iolab did not create: data-000001.csv, data-00050.csv, \
             data-00051.csv, data-1.csv, large.csv"
        ),
        "{out}"
    );
    for name in lookalikes {
        assert_eq!(
            fs::read(corpus.join(name)).unwrap(),
            b"the user's\n",
            "{name}"
        );
    }
    // verify lists them, without failing.
    let o = lab
        .iolab()
        .args(["corpus", "verify"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("data-1.csv: not named by the manifest (not used, kept)"),
        "{out}"
    );
    assert!(out.contains("50 files verified"), "{out}");
}

#[test]
fn members_that_are_fifos_links_or_folders_are_refused_without_a_hang() {
    let lab = Lab::new();
    fs::create_dir_all(lab.data()).unwrap();
    let o = lab
        .iolab()
        .args(["corpus", "create", "--files", "40", "--lines", "20"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let corpus = lab.data().join("csv-40x20x10");
    let manifest = fs::read(corpus.join("manifest.json")).unwrap();
    let copy = lab.path().join("copy.csv");
    fs::copy(corpus.join("data-00002.csv"), &copy).unwrap();
    let cases: [(&str, &str); 3] = [
        ("data-00001.csv", "a FIFO (named pipe)"),
        ("data-00002.csv", "a symbolic link"),
        ("data-00003.csv", "a directory"),
    ];
    for (name, what) in cases {
        let member = corpus.join(name);
        let saved = fs::read(&member).unwrap();
        fs::remove_file(&member).unwrap();
        match name {
            "data-00001.csv" => mkfifo(&member),
            "data-00002.csv" => symlink(&copy, &member).unwrap(),
            _ => {
                fs::create_dir(&member).unwrap();
                fs::write(member.join("inside"), b"x").unwrap();
            }
        }
        let mut verify = lab.iolab();
        verify.args(["corpus", "verify"]).arg(&corpus);
        let o = within_10s(&mut verify);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains(&format!("{name}: {what}")),
            "{}",
            text(&o)
        );
        assert!(stderr(&o).contains("1 mismatch (run"), "{}", text(&o));
        let mut create = lab.iolab();
        create.args(["corpus", "create", "--files", "40", "--lines", "20"]);
        let o = within_10s(&mut create);
        one_line_refusal(&o, &[name, &format!("is {what}")]);
        let o = within_10s(
            lab.iolab()
                .args(util::TINY_RUN)
                .args(["--workload", "read", "--out"])
                .arg(lab.results()),
        );
        one_line_refusal(&o, &[name, &format!("is {what}")]);
        assert_eq!(
            fs::read(corpus.join("manifest.json")).unwrap(),
            manifest,
            "{name}"
        );
        if member.is_dir() && !member.is_symlink() {
            fs::remove_dir_all(&member).unwrap();
        } else {
            fs::remove_file(&member).unwrap();
        }
        fs::write(&member, saved).unwrap();
    }
    assert_eq!(lab.run_count(), 0);
}

#[test]
fn a_data_folder_inside_a_corpus_is_refused_before_anything_is_made() {
    let lab = Lab::new();
    let corpus = lab.path().join("c");
    assert!(create(&lab, &corpus).status.success());
    let before = snapshot(&corpus);
    let inside = corpus.join("data");
    let o = lab
        .iolab()
        .args([
            "corpus",
            "create",
            "--files",
            "6",
            "--lines",
            "4",
            "--data-dir",
        ])
        .arg(&inside)
        .output()
        .unwrap();
    one_line_refusal(
        &o,
        &[
            "refusing to make a corpus",
            "inside the iolab corpus folder",
        ],
    );
    let o = lab.run(&[
        "--workload",
        "read",
        "--data-dir",
        &inside.to_string_lossy(),
    ]);
    one_line_refusal(
        &o,
        &[
            "refusing to make a corpus",
            "inside the iolab corpus folder",
        ],
    );
    assert_eq!(snapshot(&corpus), before);
    assert!(!inside.exists());
    assert_eq!(lab.run_count(), 0);
}
