//! Writes measured the way users mean them, on the real binary: the
//! durability axis (`none`, `end-sync`, `each`) runs, verifies and is
//! recorded for write, copy and atomic-save; every scratch policy runs and
//! leaves nothing behind (no scratch folder, no loop mount), also after
//! Ctrl-C while a loop-mounted image is in use, and no mount or loop device
//! after SIGKILL; bad values are refused in one line.

mod util;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use iolab::results::Status;
use rustix::process::{kill_process, Pid, Signal};
use util::{scratch_left, stderr, text, Lab};

/// The row ran to the end and its data verified.
fn assert_verified(row: &iolab::results::Row) {
    assert_eq!(
        row.status,
        Status::Ok,
        "{}: {}",
        row.scenario_id,
        row.detail
    );
    assert!(row.verified, "{}: {}", row.scenario_id, row.detail);
}

/// Mount points under `dir` seen by process `pid` (`/proc/<pid>/mounts`:
/// iolab mounts in a namespace of its own), or by this test (`None`).
fn mounts_under(pid: Option<Pid>, dir: &Path) -> Vec<String> {
    let dir = std::fs::canonicalize(dir).unwrap();
    let table = pid.map_or("/proc/self/mounts".into(), |p| {
        format!("/proc/{}/mounts", p.as_raw_nonzero())
    });
    std::fs::read_to_string(table)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .filter(|m| Path::new(m).starts_with(&dir))
        .collect()
}

/// Loop devices whose backing file is under `dir` (`losetup -a`).
fn loops_under(dir: &Path) -> Vec<String> {
    let dir = std::fs::canonicalize(dir).unwrap();
    let out = Command::new("losetup").arg("-a").output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    text.unwrap_or_default()
        .lines()
        .filter(|l| l.contains(dir.to_string_lossy().as_ref()))
        .map(str::to_string)
        .collect()
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn every_durability_runs_verifies_and_is_recorded() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "write,copy,atomic-save",
        "--strategy",
        "sequential,threads",
        "--workers",
        "2",
        "--durability",
        "none,end-sync,each",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = lab.only_run();
    let mut seen = std::collections::BTreeSet::new();
    for row in &run.rows {
        assert_verified(row);
        let labelled = match row.durability.as_str() {
            "none" => !row.variant.contains("sync") || row.variant.starts_with("rename-fsync"),
            "end-sync" => row.variant.contains(",end-sync"),
            "each" => row.variant.contains(",each"),
            other => panic!("{}: durability {other:?}", row.scenario_id),
        };
        assert!(labelled, "{} recorded as {}", row.variant, row.durability);
        seen.insert((row.workload.to_string(), row.durability.clone()));
    }
    for w in ["write", "copy"] {
        for d in ["none", "end-sync", "each"] {
            assert!(seen.contains(&(w.into(), d.into())), "{w} {d} missing");
        }
    }
    // rename-fsync-dir fsyncs every file itself: `each` is the same
    // scenario as `none` for it, so it is not run twice.
    assert!(seen.contains(&("atomic-save".into(), "end-sync".into())));
    assert!(!seen.contains(&("atomic-save".into(), "each".into())));
    assert!(scratch_left(&lab.data()).is_empty());
}

#[test]
fn each_and_end_sync_hold_for_the_kernel_copy_and_the_unsynced_saves() {
    let lab = Lab::new();
    for (workload, variants) in [("copy", "kernel"), ("atomic-save", "in-place,rename")] {
        let out = lab.run(&[
            "--workload",
            workload,
            "--variant",
            variants,
            "--strategy",
            "sequential,processes",
            "--workers",
            "2",
            "--durability",
            "each,end-sync",
            "--run-id",
            workload,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let dirs =
        ["copy", "atomic-save"].map(|d| iolab::results::load(&lab.results().join(d)).unwrap());
    for run in &dirs {
        assert!(!run.rows.is_empty());
        for row in &run.rows {
            assert_verified(row);
            assert!(
                ["each", "end-sync"].contains(&row.durability.as_str()),
                "{}: {}",
                row.scenario_id,
                row.durability
            );
        }
    }
    assert_eq!(
        run_durabilities(&dirs[1]),
        ["end-sync", "each"].map(String::from).to_vec()
    );
}

fn run_durabilities(run: &iolab::results::LoadedRun) -> Vec<String> {
    let mut d: Vec<String> = run.rows.iter().map(|r| r.durability.clone()).collect();
    d.sort();
    d.dedup();
    d.reverse();
    d
}

#[test]
fn bad_durability_values_are_refused_in_one_line() {
    let lab = Lab::new();
    let out = lab.run(&["--workload", "write", "--durability", "sometimes"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("--durability sometimes") && err.contains("none, end-sync, each"),
        "{err}"
    );
    let out = lab.run(&[
        "--workload",
        "write",
        "--strategy",
        "command",
        "--command",
        "true",
        "--durability",
        "each",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("durability each"), "{err}");
    let file = lab.path().join("x.toml");
    std::fs::write(
        &file,
        "[[grid]]\nworkload = [\"write\"]\ndurability = [\"always\"]\n",
    )
    .unwrap();
    let out = lab.run(&[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("durability") && err.contains("\"always\"") && err.contains("end-sync"),
        "{err}"
    );
    let out = lab.run(&["--workload", "write", "--scratch-policy", "never"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("rotate"), "{}", stderr(&out));
    let out = lab.run(&["--workload", "write", "--after-deleting", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("--after-deleting 0"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lab.run_count(), 0, "nothing made for a refused run");
}

#[test]
fn every_scratch_policy_runs_and_leaves_nothing_behind() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "write,copy,atomic-save",
        "--scratch-policy",
        "delete-before,delete-after,rotate,fresh-fs",
        "--after-deleting",
        "25",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = lab.only_run();
    let mut policies = std::collections::BTreeSet::new();
    for row in &run.rows {
        if row.detail.contains("fresh-fs unavailable: ") {
            // Not root: fresh-fs falls back to rotate, and says so.
            assert_eq!(row.scratch_policy, "rotate", "{}", row.detail);
            eprintln!("skipped fresh-fs: {}", row.detail);
        }
        assert_verified(row);
        assert!(row.variant.contains("+after-delete-25"), "{}", row.variant);
        policies.insert(row.scratch_policy.clone());
    }
    for p in ["delete-before", "delete-after", "rotate"] {
        assert!(policies.contains(p), "{p} missing: {policies:?}");
    }
    if is_root() {
        assert!(policies.contains("fresh-fs"), "{policies:?}");
    }
    let plan = &run.meta.plan;
    assert!(plan
        .scenarios
        .iter()
        .any(|s| s.scratch.as_str() == "fresh-fs"));
    assert!(
        scratch_left(&lab.data()).is_empty(),
        "{:?}",
        scratch_left(&lab.data())
    );
    assert_no_mount_or_loop(&lab);
}

/// Start a fresh-fs write run of many repetitions and wait until its image
/// is mounted, in the run's own mount namespace (`/proc/<pid>/mounts`).
fn mounted_run(lab: &Lab) -> (std::process::Child, Pid) {
    let mut child = lab
        .iolab()
        .args(util::TINY_RUN)
        .args(["--out"])
        .arg(lab.results())
        .args([
            "--workload",
            "write",
            "--files",
            "300",
            "--durability",
            "each",
            "--scratch-policy",
            "fresh-fs",
            "--reps",
            "50",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = Pid::from_child(&child);
    let start = Instant::now();
    while mounts_under(Some(pid), lab.path()).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no mount appeared"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("iolab ended before mounting: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (child, pid)
}

/// The loop devices backed by images under `dir`, after waiting up to
/// 10 s for the kernel to release them.
fn loops_left(dir: &Path) -> Vec<String> {
    let start = Instant::now();
    while !loops_under(dir).is_empty() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    loops_under(dir)
}

/// Neither a mount under `lab` visible to this test nor a loop device
/// backed by an image under it (waiting up to 10 s for the kernel).
fn assert_no_mount_or_loop(lab: &Lab) {
    assert!(
        mounts_under(None, lab.path()).is_empty(),
        "{:?}",
        mounts_under(None, lab.path())
    );
    assert!(
        loops_left(lab.path()).is_empty(),
        "{:?}",
        loops_under(lab.path())
    );
}

/// SIGINT (once: finish the repetition; twice: stop now) while a
/// fresh-fs image is mounted: the run ends with 130, and neither the
/// mount, its loop device, nor the scratch folder is left.
#[test]
fn a_loop_mount_is_gone_after_ctrl_c() {
    if !is_root() {
        eprintln!("skipped: loop mounts need root");
        return;
    }
    for signals in [1, 2] {
        let lab = Lab::new();
        let (child, pid) = mounted_run(&lab);
        assert!(
            mounts_under(None, lab.path()).is_empty(),
            "the mount is private to the run"
        );
        for _ in 0..signals {
            kill_process(pid, Signal::INT).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(130), "{}", text(&out));
        assert_no_mount_or_loop(&lab);
        assert!(
            scratch_left(&lab.data()).is_empty(),
            "{:?}",
            scratch_left(&lab.data())
        );
    }
}

/// SIGKILL while a fresh-fs image is mounted: the kernel drops the mount
/// with the run's namespace and releases its loop device; the image and
/// mount point left in the scratch folder go with `corpus clean --scratch`.
#[test]
fn a_loop_mount_is_gone_after_sigkill() {
    if !is_root() {
        eprintln!("skipped: loop mounts need root");
        return;
    }
    let lab = Lab::new();
    let (mut child, pid) = mounted_run(&lab);
    kill_process(pid, Signal::KILL).unwrap();
    child.wait().unwrap();
    assert_no_mount_or_loop(&lab);
    util::assert_scratch_cleaned(&lab, 1, "the killed run's scratch");
}

/// The save and copy claims on a real run of `experiments/claims.toml`
/// (tiny corpus): one judgement per durability, each from the rows of its
/// own setting.
#[test]
fn save_and_copy_claims_are_judged_per_durability() {
    let lab = Lab::new();
    let claims_toml =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../experiments/claims.toml");
    for (only, claim, variant) in [
        ("/processes-8-b1/", "save-process-pool", "write one-write"),
        ("/threads-100/", "copy-thread-pool", "copy loop,chunk=64KiB"),
    ] {
        let out = lab
            .iolab()
            .arg("run")
            .arg(&claims_toml)
            .args([
                "--files", "20", "--lines", "5", "--reps", "3", "--warmup", "0",
            ])
            .args(["--settle", "0", "--no-progress", "--only", only])
            .args(["--out", "results", "--run-id", claim])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let run = iolab::results::load(&lab.results().join(claim)).unwrap();
        let judged: Vec<iolab::claims::Judgement> = iolab::claims::judge(&run)
            .into_iter()
            .filter(|j| j.id == claim || j.id.starts_with(&format!("{claim} · ")))
            .collect();
        let ids: Vec<&str> = judged.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, [claim.to_string(), format!("{claim} · end-sync")]);
        for (j, synced) in judged.iter().zip([false, true]) {
            assert_ne!(j.verdict, iolab::claims::Verdict::NotTested, "{j:?}");
            // Both sides of each judgement are rows of its own setting.
            let side = if synced {
                format!("{variant},end-sync · ")
            } else {
                format!("{variant} · ")
            };
            assert_eq!(j.detail.matches(&side).count(), 2, "{}", j.detail);
            assert_eq!(j.detail.contains("end-sync"), synced, "{}", j.detail);
            assert!(j.detail.contains("(n = 3)"), "{}", j.detail);
        }
        // `iolab claims` prints both.
        let out = lab
            .iolab()
            .args(["claims", &format!("results/{claim}")])
            .output()
            .unwrap();
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(table.contains(&format!("  {claim} ")), "{table}");
        assert!(table.contains(&format!("  {claim} · end-sync ")), "{table}");
    }
}
