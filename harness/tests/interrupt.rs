//! Interrupts, resume and full disks, provoked for real on the real binary:
//! SIGINT, SIGTERM and SIGKILL at seeded random points of `iolab run`, each
//! followed by `--resume`; a second signal that stops now; a results folder
//! on a small tmpfs that fills mid-run; torn last lines; refused resumes;
//! runs that fail their checks leaving no run folder.
//!
//! `IOLAB_SIGNAL_ROUNDS=N` raises the number of interrupted runs per signal
//! (10 by default) for a dedicated run.

mod util;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use iolab::results::Status;
use rustix::process::{kill_process, Pid, Signal};
use util::{stderr, text, Lab, TinyFs};

/// Scenarios × measured repetitions of [`tiny_run`].
const EXPECTED_ROWS: usize = 6 * 3;

/// The flags of a small run: 6 scenarios (read and write under sequential,
/// threads and worker processes) × 3 repetitions on 50 files of 20 lines.
const TINY: [&str; 13] = [
    "run",
    "--workload",
    "read,write",
    "--strategy",
    "sequential,threads,processes",
    "--workers",
    "2",
    "--files",
    "50",
    "--lines",
    "20",
    "--reps",
    "3",
];

/// Flags every run of these tests ends with: no warm-up, no waiting for
/// idle storage, no progress bars, results in the lab under `run_id`.
fn common(run_id: &str) -> [&str; 9] {
    [
        "--warmup",
        "0",
        "--settle",
        "0s",
        "--no-progress",
        "--out",
        "results",
        "--run-id",
        run_id,
    ]
}

/// An `iolab` command in the lab, tagged so every process it starts can be
/// found afterwards (children inherit the environment).
fn tagged(lab: &Lab, tag: &str) -> Command {
    let mut c = lab.iolab();
    c.env("IOLAB_TEST_TAG", tag)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn tiny_run(lab: &Lab, run_id: &str) -> Child {
    tagged(lab, run_id)
        .args(TINY)
        .args(common(run_id))
        .spawn()
        .expect("start iolab")
}

fn resume(lab: &Lab, run_id: &str) -> Output {
    lab.iolab()
        .args(["run", "--no-progress", "--resume"])
        .arg(Path::new("results").join(run_id))
        .output()
        .expect("resume iolab")
}

/// Wait for `child` to end (a run that never ends fails the test).
fn wait(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("iolab did not end within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn send(child: &Child, signal: Signal) {
    let pid = Pid::from_raw(child.id() as i32).expect("pid");
    // Gone already is fine: the run finished before the signal.
    let _ = kill_process(pid, signal);
}

/// Processes still alive whose environment carries `tag`.
fn tagged_processes(tag: &str) -> Vec<String> {
    let needle = format!("IOLAB_TEST_TAG={tag}\0");
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(env) = fs::read(entry.path().join("environ")) else {
            continue;
        };
        let stat = fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        if !zombie && env.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            let cmd = fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push(format!("{name}: {}", String::from_utf8_lossy(&cmd)));
        }
    }
    found
}

/// No process of `tag` is left (allowing a moment for orphans to be reaped).
fn assert_no_processes_left(tag: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = tagged_processes(tag);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes left behind: {left:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Scratch folders left in the data folder: all, or run `id`'s.
fn scratch_left(lab: &Lab, id: Option<&str>) -> Vec<String> {
    let wanted = |n: &str| match id {
        Some(id) => n == format!("scratch-{id}"),
        None => n.starts_with("scratch-"),
    };
    fs::read_dir(lab.data())
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| wanted(n))
                .collect()
        })
        .unwrap_or_default()
}

fn run_dir(lab: &Lab, run_id: &str) -> PathBuf {
    lab.path().join("results").join(run_id)
}

fn meta(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("run.json")).expect("run.json")).expect("json")
}

/// The whole rows of a `runs.csv` text: up to its last newline.
fn whole_rows(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    &bytes[..end]
}

/// `runs.csv` holds every scenario's repetitions exactly once.
fn assert_complete(dir: &Path) {
    let run = iolab::results::load(dir).expect("load the resumed run");
    assert_eq!(run.rows.len(), EXPECTED_ROWS, "{}", dir.display());
    let mut keys: Vec<(String, u32)> = run
        .rows
        .iter()
        .map(|r| (r.scenario_id.clone(), r.rep))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), EXPECTED_ROWS, "no repetition twice");
    assert!(run
        .rows
        .iter()
        .all(|r| r.status == Status::Ok && r.verified));
    assert!(run.meta.completed(), "run.json says completed");
    assert_eq!(run.summary.len(), 6);
}

/// A small deterministic generator of signal delays.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// How signals at random points ended.
#[derive(Debug, Default)]
struct Tally {
    /// The signal stopped the run midway and `--resume` completed it.
    resumed: usize,
    /// It came before the run folder existed: nothing recorded, nothing left.
    before: usize,
    /// It came after the run had finished.
    after: usize,
}

/// Send `signal` to `iolab run` at seeded random points until it has
/// interrupted `wanted` runs midway; resume each and check that every
/// scenario is complete and no finished row was lost.
fn signals_at_random_points(signal: Signal, seed: u64) -> Tally {
    let wanted: usize = std::env::var("IOLAB_SIGNAL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let lab = Lab::new();
    // A first whole run makes the corpus and says how long a run takes.
    let start = Instant::now();
    let mut first = tiny_run(&lab, "whole");
    assert!(wait(&mut first, Duration::from_secs(120)).success());
    let span = start.elapsed().as_millis().max(50) as u64;
    assert_complete(&run_dir(&lab, "whole"));
    let mut rng = SplitMix(seed);
    let mut tally = Tally::default();
    for attempt in 0..wanted * 4 {
        if tally.resumed >= wanted {
            break;
        }
        let id = format!("r{attempt}");
        let mut child = tiny_run(&lab, &id);
        std::thread::sleep(Duration::from_millis(rng.next() % span));
        send(&child, signal);
        let status = wait(&mut child, Duration::from_secs(120));
        assert_no_processes_left(&id);
        let dir = run_dir(&lab, &id);
        check_stopped(&lab, signal, status, &dir);
        if !dir.exists() {
            tally.before += 1;
            continue;
        }
        if status.success() {
            tally.after += 1;
            assert_complete(&dir);
            continue;
        }
        let before = fs::read(dir.join("runs.csv")).expect("runs.csv");
        let out = resume(&lab, &id);
        assert!(out.status.success(), "resume of {id}: {}", text(&out));
        let after = fs::read(dir.join("runs.csv")).expect("runs.csv");
        assert!(
            after.starts_with(whole_rows(&before)),
            "{id}: the rows written before the signal are a prefix of the rows after"
        );
        assert_complete(&dir);
        assert!(scratch_left(&lab, Some(&id)).is_empty());
        tally.resumed += 1;
    }
    eprintln!("{signal:?}: {tally:?}");
    assert!(tally.resumed >= wanted, "{signal:?}: {tally:?}");
    tally
}

/// What a run stopped by `signal` must have left.
fn check_stopped(lab: &Lab, signal: Signal, status: ExitStatus, dir: &Path) {
    use std::os::unix::process::ExitStatusExt;
    let killed = status.signal() == Some(signal.as_raw());
    if signal == Signal::KILL || (killed && !dir.exists()) {
        // SIGKILL at any point; or SIGINT/SIGTERM before iolab took the
        // signals over (while starting): nothing was recorded then.
        assert!(status.success() || killed, "{status:?}");
        return;
    }
    assert!(
        status.success() || status.code() == Some(130),
        "{signal:?} ends with 130: {status:?}"
    );
    assert!(
        scratch_left(lab, None).is_empty(),
        "{:?}",
        scratch_left(lab, None)
    );
    if status.success() || !dir.exists() {
        return;
    }
    let m = meta(dir);
    assert_eq!(m["interrupted"], true, "{}", dir.display());
    assert!(m["ended_at"].is_string(), "ended_at records the stop");
    assert!(
        dir.join("summary.csv").exists(),
        "summary of the finished rows"
    );
}

#[test]
fn sigint_at_random_points_then_resume_completes_the_run() {
    signals_at_random_points(Signal::INT, 1);
}

#[test]
fn sigterm_at_random_points_then_resume_completes_the_run() {
    signals_at_random_points(Signal::TERM, 2);
}

#[test]
fn sigkill_at_random_points_loses_no_finished_row_and_resume_completes_the_run() {
    signals_at_random_points(Signal::KILL, 3);
}

/// A run of one command scenario whose command sleeps `secs`, started in
/// the lab with its tag.
fn sleeping_run(lab: &Lab, run_id: &str, secs: &str, reps: &str) -> Child {
    tagged(lab, run_id)
        .args([
            "run",
            "--workload",
            "read",
            "--strategy",
            "command",
            "--command",
            &format!("sleep {secs}; echo bytes=0"),
            "--no-baseline",
            "--files",
            "20",
            "--lines",
            "5",
            "--reps",
            reps,
        ])
        .args(common(run_id))
        .spawn()
        .expect("start iolab")
}

/// Wait until a process of `tag` runs the sleeping command (iolab's own
/// command line holds the template too, so the shell's is matched).
fn wait_for_sleep(tag: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tagged_processes(tag)
        .iter()
        .any(|p| p.contains("sh\0-c\0sleep"))
    {
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The first signal lets the current repetition finish and records it.
#[test]
fn first_signal_finishes_the_current_repetition() {
    let lab = Lab::new();
    let mut child = sleeping_run(&lab, "first", "1", "3");
    wait_for_sleep("first");
    send(&child, Signal::INT);
    let status = wait(&mut child, Duration::from_secs(60));
    let err = child.stderr.take().map(std::io::read_to_string);
    let err = err.and_then(Result::ok).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(
        err.contains("stopping after the current repetition"),
        "{err}"
    );
    assert!(
        err.contains("resume with: ") && err.contains("run --resume results/first"),
        "{err}"
    );
    let dir = run_dir(&lab, "first");
    let run = iolab::results::load(&dir).unwrap();
    assert_eq!(run.rows.len(), 1, "the repetition under way was finished");
    assert!(run.meta.interrupted);
    assert_no_processes_left("first");
    assert!(scratch_left(&lab, None).is_empty());
}

/// `--reps auto` interrupted after its first repetition and resumed: the
/// stop rule is asked again from the rows on disk, so the scenario (a
/// command sleeping 0.2 s, whose times hardly vary) stops converged at 3,
/// not at its most.
#[test]
fn an_auto_run_resumed_decides_from_the_rows_on_disk() {
    let lab = Lab::new();
    let mut child = tagged(&lab, "auto")
        .args(["run", "--workload", "read", "--strategy", "command"])
        .args(["--command", "sleep 0.2; echo bytes=0", "--no-baseline"])
        .args(["--files", "20", "--lines", "5", "--reps", "auto:8"])
        .args(["--ci-width", "100"])
        .args(common("auto"))
        .spawn()
        .expect("start iolab");
    wait_for_sleep("auto");
    send(&child, Signal::INT);
    assert_eq!(wait(&mut child, Duration::from_secs(60)).code(), Some(130));
    let dir = run_dir(&lab, "auto");
    assert_eq!(iolab::results::load(&dir).unwrap().rows.len(), 1);
    let out = resume(&lab, "auto");
    // The command reads nothing, so its data does not verify: exit 2.
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("converged after 3 repetitions"),
        "{}",
        text(&out)
    );
    let run = iolab::results::load(&dir).unwrap();
    assert_eq!(run.rows.len(), 3, "{:#?}", run.rows);
    assert_eq!(run.summary[0].n, 3);
    assert_no_processes_left("auto");
}

/// The second signal stops now: the command's process group is killed, the
/// unfinished repetition leaves no row, the run is marked interrupted.
#[test]
fn second_signal_stops_now_and_kills_the_command() {
    let lab = Lab::new();
    let mut child = sleeping_run(&lab, "now", "300", "1");
    wait_for_sleep("now");
    send(&child, Signal::TERM);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "one signal waits for the repetition"
    );
    send(&child, Signal::INT);
    let status = wait(&mut child, Duration::from_secs(30));
    let err = child.stderr.take().map(std::io::read_to_string);
    let err = err.and_then(Result::ok).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("SIGINT again: stopping now"), "{err}");
    assert_no_processes_left("now");
    let dir = run_dir(&lab, "now");
    let run = iolab::results::load(&dir).unwrap();
    assert!(run.rows.is_empty(), "the abandoned repetition has no row");
    assert!(run.meta.interrupted && run.meta.ended_at.is_some());
    assert!(dir.join("summary.csv").exists());
    assert!(scratch_left(&lab, None).is_empty());
}

/// A run folder's last row cut in half, as SIGKILL or a full disk leaves it.
fn tear_last_row(dir: &Path) {
    let path = dir.join("runs.csv");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 40]).unwrap();
}

/// `report`, `claims` and `compare` drop a torn last line with a warning.
#[test]
fn a_torn_last_line_is_dropped_with_a_warning_by_every_loader() {
    let lab = Lab::new();
    let mut child = tiny_run(&lab, "a");
    assert!(wait(&mut child, Duration::from_secs(120)).success());
    let dir = run_dir(&lab, "a");
    tear_last_row(&dir);
    for args in [
        vec!["report", "results/a", "--out", "reports"],
        vec!["claims", "results/a"],
        vec!["compare", "results/a", "results/a", "--out", "reports"],
    ] {
        let out = lab.iolab().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        let err = stderr(&out);
        assert!(
            err.contains("runs.csv: dropped a torn last line"),
            "{args:?}: {err}"
        );
    }
    let run = iolab::results::load(&dir).unwrap();
    assert_eq!(run.rows.len(), EXPECTED_ROWS - 1);
}

/// `--resume` cuts a torn last line away, then runs that repetition again.
#[test]
fn resume_cuts_a_torn_last_line_and_reruns_its_repetition() {
    let lab = Lab::new();
    let mut child = tiny_run(&lab, "t");
    assert!(wait(&mut child, Duration::from_secs(120)).success());
    let dir = run_dir(&lab, "t");
    // Make it look killed mid-row: torn, no end time.
    tear_last_row(&dir);
    let mut m = meta(&dir);
    m["ended_at"] = serde_json::Value::Null;
    fs::write(dir.join("run.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let out = resume(&lab, "t");
    assert!(out.status.success(), "{}", text(&out));
    assert!(stderr(&out).contains("dropped a torn last line"));
    assert_complete(&dir);
    let text = fs::read_to_string(dir.join("runs.csv")).unwrap();
    assert!(text.ends_with('\n'));
}

/// Resume refuses, in one line, a completed run, changed experiment files,
/// another machine, another corpus, and plan flags beside it.
#[test]
fn resume_refuses_what_differs() {
    let lab = Lab::new();
    let exp = lab.path().join("tiny.toml");
    fs::write(
        &exp,
        "reps = 2\nwarmup = 0\nsettle = \"0\"\n\n[corpus]\nfiles = 20\nlines = 5\n\n[[grid]]\nworkload = [\"read\"]\n",
    )
    .unwrap();
    let out = lab
        .iolab()
        .args(["run", "--no-progress", "--out", "results", "--run-id", "e"])
        .arg(&exp)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let dir = run_dir(&lab, "e");
    let refusal = |what: &str| {
        let out = resume(&lab, "e");
        assert_eq!(out.status.code(), Some(1), "{what}: {}", text(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{what}: one line: {err}");
        err
    };
    assert!(refusal("completed").contains("nothing to resume"));
    let mut m = meta(&dir);
    m["interrupted"] = true.into();
    fs::write(dir.join("run.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    fs::write(&exp, fs::read_to_string(&exp).unwrap() + "# changed\n").unwrap();
    let err = refusal("experiment file");
    assert!(
        err.contains("tiny.toml changed since the run started"),
        "{err}"
    );
    fs::write(
        &exp,
        fs::read_to_string(&exp).unwrap().replace("# changed\n", ""),
    )
    .unwrap();
    let mut other = m.clone();
    other["machine"]["kernel"] = "0.0.1-elsewhere".into();
    fs::write(dir.join("run.json"), serde_json::to_vec(&other).unwrap()).unwrap();
    let err = refusal("machine");
    assert!(err.contains("kernel \"0.0.1-elsewhere\" then"), "{err}");
    let mut other = m.clone();
    other["corpus_digest"] = "0000000000000000".into();
    fs::write(dir.join("run.json"), serde_json::to_vec(&other).unwrap()).unwrap();
    assert!(refusal("corpus").contains("corpus"));
    let out = lab
        .iolab()
        .args(["run", "--resume", "results/e", "--reps", "9"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stderr(&out).contains("--reps"), "{}", text(&out));
    // With everything restored, the resume goes through.
    fs::write(dir.join("run.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let out = resume(&lab, "e");
    assert!(out.status.success(), "{}", text(&out));
}

/// Runs that fail their own checks before the first repetition leave no
/// run folder (and no scratch folder).
#[test]
fn a_run_refused_before_its_first_repetition_leaves_no_run_folder() {
    let lab = Lab::new();
    let refused = |extra: &[&str]| {
        let out = lab.run(extra);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {}", text(&out));
        assert_eq!(lab.run_count(), 0, "{extra:?}: no run folder");
        assert!(scratch_left(&lab, None).is_empty(), "{extra:?}");
    };
    refused(&["--workload", "read", "--reps", "0"]);
    refused(&[
        "--workload",
        "read",
        "--strategy",
        "threads",
        "--workers",
        "0",
    ]);
    let file = lab.path().join("not-a-folder");
    fs::write(&file, "x").unwrap();
    refused(&["--workload", "read", "--data-dir", file.to_str().unwrap()]);
    // An existing run folder is refused and left as it was.
    let taken = lab.results().join("taken");
    fs::create_dir_all(&taken).unwrap();
    fs::write(taken.join("keep"), "mine").unwrap();
    let out = lab.run(&["--workload", "read", "--run-id", "taken"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("exists already"), "{}", text(&out));
    assert_eq!(fs::read_to_string(taken.join("keep")).unwrap(), "mine");
    assert_eq!(fs::read_dir(&taken).unwrap().count(), 1);
}

/// Results on a small tmpfs that fills mid-run: the run stops naming
/// `runs.csv`, which holds only whole rows; `report` and `claims` load it;
/// with space again, `--resume` completes it. A results folder with no room
/// for `run.json` leaves no run folder at all. Needs root for the mount.
#[test]
fn results_on_a_full_disk_keep_whole_rows_and_resume_after() {
    let lab = Lab::new();
    let Some(tiny) = TinyFs::mount(&lab, "24k") else {
        return;
    };
    let out_dir = tiny.0.to_str().unwrap().to_string();
    let run = |extra: &[&str]| {
        lab.iolab()
            .args([
                "run",
                "--workload",
                "read",
                "--strategy",
                "sequential,threads",
                "--workers",
                "2",
                "--files",
                "20",
                "--lines",
                "5",
                "--reps",
                "60",
                "--warmup",
                "0",
                "--settle",
                "0s",
                "--no-progress",
                "--out",
                &out_dir,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--run-id", "full"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("runs.csv") && err.contains("No space left"),
        "names the file and the cause: {err}"
    );
    let dir = tiny.0.join("full");
    let bytes = fs::read(dir.join("runs.csv")).unwrap();
    assert!(bytes.ends_with(b"\n"), "no torn line");
    let rows = iolab::results::load(&dir).unwrap().rows.len();
    assert!(rows > 0 && rows < 120, "filled mid-run: {rows} rows");
    assert!(scratch_left(&lab, None).is_empty());
    for args in [
        vec![
            "report".to_string(),
            format!("{out_dir}/full"),
            "--out".into(),
            "reports".into(),
        ],
        vec!["claims".to_string(), format!("{out_dir}/full")],
    ] {
        let out = lab.iolab().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(!stderr(&out).contains("torn"), "{}", text(&out));
    }
    // Full from the start: no room for run.json, no run folder left.
    let filler = tiny.0.join("filler");
    let _ = fs::write(&filler, vec![b'x'; 64 << 10]);
    let out = run(&["--run-id", "none"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let left: Vec<String> = fs::read_dir(&tiny.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !left.iter().any(|n| n.contains("none")),
        "no run folder, whole or half-made: {left:?}"
    );
    // Space again: the run resumes and completes.
    fs::remove_file(&filler).unwrap();
    tiny.resize("1m");
    let out = lab
        .iolab()
        .args(["run", "--no-progress", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let after = fs::read(dir.join("runs.csv")).unwrap();
    assert!(after.starts_with(&bytes));
    let run = iolab::results::load(&dir).unwrap();
    assert_eq!(run.rows.len(), 120);
    assert!(run.meta.completed());
}

/// `bench-all --resume` completes a run killed midway, then writes its
/// report and claims as a normal bench-all does.
#[test]
fn bench_all_resume_completes_the_run_and_reports() {
    let lab = Lab::new();
    let exps = lab.path().join("exps");
    fs::create_dir(&exps).unwrap();
    fs::write(
        exps.join("tiny.toml"),
        "reps = 3\nwarmup = 0\nsettle = \"0\"\n\n[corpus]\nfiles = 20\nlines = 5\n\n\
         [[grid]]\nworkload = [\"read\"]\nstrategy = [\"sequential\", \"threads\"]\nworkers = [2]\n",
    )
    .unwrap();
    let bench = |extra: &[&str]| {
        lab.iolab()
            .args(["bench-all", "--experiments", "exps", "--no-python-setup"])
            .args(["--no-progress", "--reports", "reports"])
            .args(extra)
            .output()
            .unwrap()
    };
    // A fixed count: the resumed run must end with as many rows.
    let out = bench(&[
        "--scale", "quick", "--reps", "3", "--out", "results", "--run-id", "b",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let dir = run_dir(&lab, "b");
    let full = iolab::results::load(&dir).unwrap().rows.len();
    // As SIGKILL leaves it: two rows and a torn third, no end time.
    let bytes = fs::read(dir.join("runs.csv")).unwrap();
    let third = bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i + 1)
        .nth(2)
        .unwrap();
    fs::write(dir.join("runs.csv"), &bytes[..third + 30]).unwrap();
    let mut m = meta(&dir);
    m["ended_at"] = serde_json::Value::Null;
    fs::write(dir.join("run.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    fs::remove_file(dir.join("summary.csv")).unwrap();
    let out = bench(&["--resume", "results/b"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("report: "), "{stdout}");
    assert!(stdout.contains("Fastest per workload"), "{stdout}");
    let after = fs::read(dir.join("runs.csv")).unwrap();
    assert!(after.starts_with(&bytes[..third]));
    let run = iolab::results::load(&dir).unwrap();
    assert_eq!(run.rows.len(), full);
    assert!(run.meta.completed() && dir.join("summary.csv").exists());
}
