//! A task that panics fails its repetition and nothing else, under every
//! strategy, and a command that crashes fails its row, with nothing left
//! running and nothing hanging.
//!
//! The panicking workload is a user's (`tests/bins/panicky.rs`, built by
//! `cargo test` as the example `panicky`; a targeted run needs
//! `cargo build --release --example panicky` first), because no built-in
//! workload panics. The mechanism is the built-ins' too: every strategy
//! runs every workload's tasks through one loop, `strategy::lanes::run_lane`
//! (sequential, threads and worker processes through
//! `Workload::with_tasks`, tokio and io_uring directly), and that loop
//! catches a task's panic whoever wrote the task; a user's task differs
//! only in reaching it through `workload::custom` (and, under tokio with
//! blocking calls, through the pool, whose catch hands the panic back to
//! the lane). A repetition's own panic (setup, check) is caught by the
//! runner the same way for every workload.
//!
//! Each run has a time limit (a hang fails the test instead of stalling
//! it) and is followed by a look at every process of the machine: none may
//! still be running the test binary (worker processes show as
//! `/proc/PID/exe` → the binary, whatever their `argv[0]`).

mod util;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use iolab::results::{LoadedRun, Status};
use util::{scratch_left, Lab};

/// The tests of this file run one at a time: each checks that no process
/// of the binaries is left, which another test's live run would spoil.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How long a run may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(180);

/// The `panicky` example binary, beside the `iolab` binary of this build.
fn panicky() -> PathBuf {
    util::example("panicky")
}

/// What a finished run left: its exit status and output.
struct Finished {
    code: Option<i32>,
    text: String,
}

/// `binary run` on the tiny corpus of `lab` with `extra` flags, killed
/// (and the test failed) when it outlives [`LIMIT`].
fn run(lab: &Lab, binary: &Path, extra: &[&str]) -> Finished {
    let out = lab.path().join("out.txt");
    let err = lab.path().join("err.txt");
    let mut child = lab
        .tiny_run(binary)
        .args(extra)
        .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
        .spawn()
        .expect("start the run");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} {extra:?} hung for {LIMIT:?}", binary.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Finished {
        code: status.code(),
        text: format!(
            "status {:?}\nstdout:\n{}\nstderr:\n{}",
            status.code(),
            std::fs::read_to_string(out).unwrap(),
            std::fs::read_to_string(err).unwrap()
        ),
    }
}

/// Processes still running `binary` (by `/proc/PID/exe`), with their
/// command lines.
fn left_running(binary: &Path) -> Vec<String> {
    let binary = binary.canonicalize().unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == binary))
        .map(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            format!(
                "{}: {}",
                e.file_name().to_string_lossy(),
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            )
        })
        .collect()
}

/// After a run: exit status 2 (failed scenarios), no scratch folder, no
/// process of `binary` left; the run folder's rows.
fn failed_run(lab: &Lab, binary: &Path, finished: &Finished) -> LoadedRun {
    assert_eq!(finished.code, Some(2), "{}", finished.text);
    assert_eq!(scratch_left(&lab.data()), Vec::<String>::new());
    assert_eq!(left_running(binary), Vec::<String>::new());
    lab.only_run()
}

/// Every repetition of `panicky` failed naming task 3 and its panic, with
/// the lane's other tasks run (all 40 recorded).
fn task_3_failed(run: &LoadedRun) {
    let panicky: Vec<_> = run
        .rows
        .iter()
        .filter(|r| r.workload.name() == "panicky")
        .collect();
    assert!(!panicky.is_empty());
    for row in panicky {
        assert_eq!(row.status, Status::Failed, "{}", row.scenario_id);
        assert!(
            row.detail.contains("task 3 (")
                && row.detail.contains("deliberate panic in task 3")
                && row.detail.contains("panicky.rs:")
                && row.detail.contains("the lane went on with its other tasks"),
            "{}: {}",
            row.scenario_id,
            row.detail
        );
        assert_eq!(row.tasks, 40, "{}: every task recorded", row.scenario_id);
    }
}

#[test]
fn a_panicking_task_fails_its_repetition_under_every_strategy_and_the_rest_runs() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::new();
    let binary = panicky();
    let strategies = "sequential,threads,processes,nested,tokio,io_uring";
    let finished = run(
        &lab,
        &binary,
        &[
            "--workload",
            "panicky,noop",
            "--strategy",
            strategies,
            "--workers",
            "2",
        ],
    );
    let run = failed_run(&lab, &binary, &finished);
    task_3_failed(&run);
    // Every strategy ran panicky, and the other workload's scenarios ran
    // and verified beside it.
    for strategy in strategies.split(',') {
        for (workload, status) in [("panicky", Status::Failed), ("noop", Status::Ok)] {
            let row = run
                .rows
                .iter()
                .find(|r| r.workload.name() == workload && r.strategy.name() == strategy)
                .unwrap_or_else(|| panic!("no {workload} row under {strategy}"));
            assert_eq!(row.status, status, "{}: {}", row.scenario_id, row.detail);
            if status == Status::Ok {
                assert!(row.verified, "{}: {}", row.scenario_id, row.detail);
            }
        }
    }
    // The panic went into the rows, not onto the terminal.
    assert!(!finished.text.contains("thread '"), "{}", finished.text);
}

#[test]
fn a_task_of_blocking_calls_that_panics_on_tokios_pool_fails_its_repetition() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::new();
    let binary = panicky();
    let finished = run(
        &lab,
        &binary,
        &[
            "--workload",
            "panicky",
            "--variant",
            "blocking",
            "--strategy",
            "tokio,nested",
            "--workers",
            "2",
        ],
    );
    let run = failed_run(&lab, &binary, &finished);
    task_3_failed(&run);
    assert!(run.rows.iter().any(|r| r.strategy.name() == "tokio"));
}

#[test]
fn a_panic_in_the_setup_or_the_check_fails_the_repetition_and_the_run_goes_on() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let binary = panicky();
    for place in ["setup", "verify"] {
        let lab = Lab::new();
        let finished = run(
            &lab,
            &binary,
            &[
                "--workload",
                "panicky",
                "--panic-in",
                place,
                "--strategy",
                "sequential,processes",
                "--workers",
                "2",
            ],
        );
        let run = failed_run(&lab, &binary, &finished);
        // Both scenarios ran, every repetition (a panic did not end the run).
        assert_eq!(run.rows.len(), 4, "{}", finished.text);
        for row in &run.rows {
            assert_eq!(row.status, Status::Failed);
            assert!(
                row.detail
                    .contains(&format!("deliberate panic in {place} (outside any task)")),
                "{}",
                row.detail
            );
        }
    }
}

#[test]
fn a_command_that_crashes_fails_its_row_and_leaves_nothing_running() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::new();
    let iolab = PathBuf::from(env!("CARGO_BIN_EXE_iolab"));
    // The shell leaves a sleep behind, holding the output pipes open, then
    // dies by SIGSEGV.
    let finished = run(
        &lab,
        &iolab,
        &[
            "--workload",
            "read",
            "--strategy",
            "command",
            "--command",
            "sleep 31.4159 & kill -SEGV $$",
        ],
    );
    let run = failed_run(&lab, &iolab, &finished);
    let row = &run.rows[0];
    assert_eq!(row.status, Status::Failed);
    assert!(row.detail.contains("SIGSEGV"), "{}", row.detail);
    let sleeping: Vec<_> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains("31.4159"))
        })
        .collect();
    assert!(sleeping.is_empty(), "the command's sleep outlived it");
}
