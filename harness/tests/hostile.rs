//! The hostile file-system property test: generated states of a corpus,
//! two run folders and a leftover scratch folder — each file replaced by
//! one of twelve hostile things — and the real `iolab` driven against them,
//! each command under a 10 s guard. Asserts, for every state: no command
//! hangs (killed at 10 s), none panics (exit 101 or "panicked"), and the
//! files outside (the targets of links, hard links and bind mounts) are
//! byte for byte what they were.
//!
//! `IOLAB_HOSTILE_CASES` sets the number of states (default 40, CI's); the
//! dedicated run of the documentation is
//! `IOLAB_HOSTILE_CASES=10000 cargo test --release --test hostile -- --nocapture`.
//! Bind mounts need root (and util-linux's `unshare`): without them that
//! state is skipped, with the reason printed once. Each bind mount lives
//! in a mount namespace of the one command it is made for
//! (`util::with_binds`), so nothing stays mounted, even when the test is
//! killed.

mod util;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use util::{guarded, make_killed, may_bind, mkfifo, snapshot, text, with_binds, Guarded};

/// States generated when `IOLAB_HOSTILE_CASES` is not set.
const DEFAULT_CASES: u32 = 40;
/// How long one command may run before it counts as hung.
const GUARD: Duration = Duration::from_secs(10);
/// The corpus of every state: 4 files of 3 lines, in `data/`.
const CORPUS: &str = "data/csv-4x3x10";
/// The corpus's shape, as flags.
const SHAPE: [&str; 4] = ["--files", "4", "--lines", "3"];
/// A run that takes as little as a run can: one repetition, no warm-up,
/// no settling, one workload, one strategy, no baseline, scratch emptied.
const QUICK_RUN: [&str; 14] = [
    "--reps",
    "1",
    "--warmup",
    "0",
    "--settle",
    "0",
    "--no-progress",
    "--workload",
    "read",
    "--strategy",
    "sequential",
    "--no-baseline",
    "--scratch-policy",
    "delete-before",
];

/// Which file of a state is replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// `data-0000k.csv` of the corpus.
    Member(u32),
    /// The corpus's `manifest.json`.
    Manifest,
    /// The corpus's `.iolab-corpus` marker.
    Marker,
    /// The corpus's build lock.
    BuildLock,
    /// The corpus's readers' lock.
    ReadersLock,
    /// The corpus's record of members.
    Members,
    /// `run.json` of the finished run A or the killed run B.
    RunJson(Run),
    /// `runs.csv` of A or B.
    RunsCsv(Run),
    /// `summary.csv` of A (B has none).
    SummaryCsv,
    /// `timeseries.csv` of A or B.
    Timeseries(Run),
    /// A folder inside B's leftover scratch folder.
    ScratchEntry,
}

/// The two run folders of a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Run {
    /// `results/A`: finished.
    A,
    /// `results/B`: killed after its first of two repetitions.
    B,
}

impl Run {
    fn dir(self) -> &'static str {
        match self {
            Run::A => "results/A",
            Run::B => "results/B",
        }
    }
}

impl Target {
    /// The path, relative to the state's folder.
    fn path(self) -> PathBuf {
        let corpus = Path::new(CORPUS);
        match self {
            Target::Member(k) => corpus.join(format!("data-{k:05}.csv")),
            Target::Manifest => corpus.join("manifest.json"),
            Target::Marker => corpus.join(".iolab-corpus"),
            Target::BuildLock => corpus.join(".iolab-lock"),
            Target::ReadersLock => corpus.join(".iolab-readers"),
            Target::Members => corpus.join(".iolab-members"),
            Target::RunJson(r) => Path::new(r.dir()).join("run.json"),
            Target::RunsCsv(r) => Path::new(r.dir()).join("runs.csv"),
            Target::SummaryCsv => Path::new(Run::A.dir()).join("summary.csv"),
            Target::Timeseries(r) => Path::new(r.dir()).join("timeseries.csv"),
            Target::ScratchEntry => PathBuf::from("data/scratch-B/sub"),
        }
    }

    /// A sibling in the same folder, for a link inside.
    fn sibling(self) -> &'static str {
        match self {
            Target::Member(0) => "data-00001.csv",
            Target::Member(_) | Target::Manifest | Target::Marker | Target::Members => {
                "data-00000.csv"
            }
            Target::BuildLock | Target::ReadersLock => "manifest.json",
            Target::RunJson(_) => "runs.csv",
            Target::RunsCsv(_) | Target::SummaryCsv | Target::Timeseries(_) => "run.json",
            Target::ScratchEntry => ".iolab-scratch",
        }
    }
}

/// What a target is replaced by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Missing,
    Empty,
    Truncated,
    Grown,
    Fifo,
    Socket,
    Directory,
    SymlinkInside,
    SymlinkOutside,
    HardLinkOutside,
    DevZero,
    BindMount,
}

const STATES: [State; 12] = [
    State::Missing,
    State::Empty,
    State::Truncated,
    State::Grown,
    State::Fifo,
    State::Socket,
    State::Directory,
    State::SymlinkInside,
    State::SymlinkOutside,
    State::HardLinkOutside,
    State::DevZero,
    State::BindMount,
];

/// The commands driven against a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    CorpusCreate,
    CorpusVerify,
    CorpusClean,
    CleanScratch,
    Run,
    Resume,
    Report,
    Claims,
    Compare,
}

const COMMANDS: [Cmd; 9] = [
    Cmd::CorpusCreate,
    Cmd::CorpusVerify,
    Cmd::CorpusClean,
    Cmd::CleanScratch,
    Cmd::Run,
    Cmd::Resume,
    Cmd::Report,
    Cmd::Claims,
    Cmd::Compare,
];

impl Cmd {
    fn args(self) -> Vec<&'static str> {
        let mut args: Vec<&str> = match self {
            Cmd::CorpusCreate => vec!["corpus", "create"],
            Cmd::CorpusVerify => vec!["corpus", "verify", CORPUS],
            Cmd::CorpusClean => vec!["corpus", "clean", CORPUS],
            Cmd::CleanScratch => vec!["corpus", "clean", "--scratch"],
            Cmd::Run => vec!["run", "--out", "results"],
            Cmd::Resume => vec!["run", "--resume", "results/B"],
            Cmd::Report => vec!["report", "results/A", "--out", "reports"],
            Cmd::Claims => vec!["claims", "results/A"],
            Cmd::Compare => vec!["compare", "results/A", "results/B", "--out", "reports"],
        };
        match self {
            Cmd::CorpusCreate => args.extend(SHAPE),
            Cmd::Run => args.extend(SHAPE.iter().chain(&QUICK_RUN)),
            _ => {}
        }
        args
    }
}

/// One generated state and the commands driven against it.
#[derive(Clone, Debug)]
struct Case {
    replaced: Vec<(Target, State)>,
    commands: Vec<Cmd>,
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        3 => (0..4u32).prop_map(Target::Member),
        1 => Just(Target::Manifest),
        1 => Just(Target::Marker),
        1 => Just(Target::BuildLock),
        1 => Just(Target::ReadersLock),
        1 => Just(Target::Members),
        2 => select(vec![Run::A, Run::B]).prop_map(Target::RunJson),
        2 => select(vec![Run::A, Run::B]).prop_map(Target::RunsCsv),
        1 => Just(Target::SummaryCsv),
        2 => select(vec![Run::A, Run::B]).prop_map(Target::Timeseries),
        2 => Just(Target::ScratchEntry),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((target(), select(STATES.to_vec())), 1..=3),
        prop::collection::vec(select(COMMANDS.to_vec()), 1..=4),
    )
        .prop_map(|(mut replaced, commands)| {
            // One state per target: the last one drawn.
            let mut seen = BTreeMap::new();
            for (t, s) in replaced.drain(..) {
                seen.insert(t, s);
            }
            Case {
                replaced: seen.into_iter().collect(),
                commands,
            }
        })
}

/// The two run folders every state starts from, made once: A finished,
/// B killed after one of its two repetitions (as a SIGKILL leaves it: no
/// end time, one row, no summary). Paths inside are relative, so copies
/// work in any state's folder.
fn template() -> &'static tempfile::TempDir {
    static TEMPLATE: OnceLock<tempfile::TempDir> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        for (id, reps) in [("A", "1"), ("B", "2")] {
            let mut c = iolab(dir.path());
            c.args(["run", "--out", "results", "--run-id", id]);
            c.args(SHAPE).args(QUICK_RUN).args(["--reps", reps]);
            let o = c.output().expect("run iolab");
            assert!(o.status.success(), "template run {id}: {}", text(&o));
        }
        make_killed(&dir.path().join("results/B"));
        dir
    })
}

/// `iolab` run in `dir`, its data folder `data/` (relative).
fn iolab(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_iolab"));
    c.current_dir(dir).env("IOLAB_DATA_DIR", "data");
    c
}

/// The folder outside everything iolab is given: a file links point to,
/// a file hard links share, a folder bind mounts show.
fn make_outside(dir: &Path) {
    fs::create_dir_all(dir.join("folder/deep")).unwrap();
    fs::write(dir.join("decoy.txt"), b"a decoy outside: never written\n").unwrap();
    fs::write(dir.join("hard.txt"), b"0,1,2\nhard-linked from inside\n").unwrap();
    fs::write(dir.join("folder/deep/inner.txt"), b"behind a bind mount\n").unwrap();
    fs::write(dir.join("folder/data-00000.csv"), b"looks like a member\n").unwrap();
}

/// Remove whatever is at `path` (a file, a link, a folder).
fn remove(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).unwrap(),
        Ok(_) => fs::remove_file(path).unwrap(),
        Err(_) => {}
    }
}

/// Put `state` at `target` in the state's folder `root`; a bind mount to
/// make for each command is pushed to `binds`. `false` when the state
/// cannot be made here (a bind mount without root).
fn replace(
    root: &Path,
    outside: &Path,
    (target, state): (Target, State),
    binds: &mut Vec<(PathBuf, PathBuf)>,
) -> bool {
    let path = root.join(target.path());
    let was = fs::read(&path).unwrap_or_default();
    match state {
        State::Missing => remove(&path),
        State::Empty => {
            remove(&path);
            fs::write(&path, b"").unwrap();
        }
        State::Truncated => {
            remove(&path);
            fs::write(&path, &was[..was.len() / 2]).unwrap();
        }
        State::Grown => {
            remove(&path);
            let mut grown = was;
            grown.extend_from_slice(b"grown,by,a,hostile,hand\n\x00\xff garbage\n");
            fs::write(&path, grown).unwrap();
        }
        State::Fifo => {
            remove(&path);
            mkfifo(&path);
        }
        State::Socket => {
            remove(&path);
            drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        }
        State::Directory => {
            remove(&path);
            fs::create_dir(&path).unwrap();
            fs::write(path.join("inside.txt"), b"a file in a folder").unwrap();
        }
        State::SymlinkInside => {
            remove(&path);
            symlink(target.sibling(), &path).unwrap();
        }
        State::SymlinkOutside => {
            remove(&path);
            symlink(outside.join("decoy.txt"), &path).unwrap();
        }
        State::HardLinkOutside => {
            remove(&path);
            fs::hard_link(outside.join("hard.txt"), &path).unwrap();
        }
        State::DevZero => {
            remove(&path);
            symlink("/dev/zero", &path).unwrap();
        }
        State::BindMount => {
            if !binding() {
                return false;
            }
            remove(&path);
            fs::create_dir(&path).unwrap();
            binds.push((outside.join("folder"), path));
        }
    }
    true
}

/// Whether bind mounts can be made (asked once, the reason printed once).
fn binding() -> bool {
    static CAN: OnceLock<bool> = OnceLock::new();
    *CAN.get_or_init(|| {
        let can = may_bind();
        if !can {
            eprintln!("the bind-mount state is skipped in every case (reason above)");
        }
        can
    })
}

/// Counts over the whole test, printed at its end.
struct Counts {
    states: AtomicU64,
    commands: AtomicU64,
    hangs: AtomicU64,
    panics: AtomicU64,
    skipped: AtomicU64,
}

static COUNTS: Counts = Counts {
    states: AtomicU64::new(0),
    commands: AtomicU64::new(0),
    hangs: AtomicU64::new(0),
    panics: AtomicU64::new(0),
    skipped: AtomicU64::new(0),
};

/// Whether `o` shows a panic: exit 101 (Rust's) or "panicked" on stderr.
fn panicked(o: &Output) -> bool {
    o.status.code() == Some(101) || String::from_utf8_lossy(&o.stderr).contains("panicked")
}

/// Make the state of `case` in a fresh folder, drive its commands, check.
fn check(case: &Case) -> Result<(), TestCaseError> {
    let root = tempfile::tempdir().expect("temp dir");
    let (lab, outside) = (root.path().join("lab"), root.path().join("outside"));
    fs::create_dir(&lab).unwrap();
    make_outside(&outside);
    let o = iolab(&lab)
        .args(["corpus", "create"])
        .args(SHAPE)
        .output()
        .unwrap();
    prop_assert!(o.status.success(), "making the corpus: {}", text(&o));
    for run in [Run::A, Run::B] {
        let from = template().path().join(run.dir());
        let to = lab.join(run.dir());
        fs::create_dir_all(&to).unwrap();
        for e in fs::read_dir(&from).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    // B's scratch folder, left as a killed run leaves it.
    let scratch = iolab::corpus::Scratch::create(&lab.join("data"), "B").unwrap();
    let scratch_dir = scratch.path().to_path_buf();
    drop(scratch);
    fs::create_dir(scratch_dir.join("sub")).unwrap();
    fs::write(scratch_dir.join("sub/out.csv"), b"written by the run").unwrap();
    fs::write(scratch_dir.join("out.csv"), b"written by the run").unwrap();

    let mut binds = Vec::new();
    for &replaced in &case.replaced {
        if !replace(&lab, &outside, replaced, &mut binds) {
            COUNTS.skipped.fetch_add(1, Ordering::Relaxed);
        }
    }
    let before = snapshot(&outside);
    COUNTS.states.fetch_add(1, Ordering::Relaxed);
    for &cmd in &case.commands {
        let mut c = iolab(&lab);
        c.args(cmd.args());
        let mut c = if binds.is_empty() {
            c
        } else {
            with_binds(&binds, &c)
        };
        COUNTS.commands.fetch_add(1, Ordering::Relaxed);
        let o = match guarded(&mut c, GUARD) {
            Guarded::Finished(o) => o,
            Guarded::Hung(o) => {
                COUNTS.hangs.fetch_add(1, Ordering::Relaxed);
                return Err(TestCaseError::fail(format!(
                    "{cmd:?} hung (killed after {GUARD:?}) on {case:?}: {}",
                    text(&o)
                )));
            }
        };
        prop_assert_ne!(
            o.status.code(),
            Some(97),
            "a bind mount failed: {}",
            text(&o)
        );
        if panicked(&o) {
            COUNTS.panics.fetch_add(1, Ordering::Relaxed);
            return Err(TestCaseError::fail(format!(
                "{cmd:?} panicked on {case:?}: {}",
                text(&o)
            )));
        }
        let after = snapshot(&outside);
        prop_assert!(
            after == before,
            "{cmd:?} changed the files outside on {case:?}: {}\nbefore {before:?}\nafter {after:?}",
            text(&o)
        );
    }
    Ok(())
}

#[test]
fn hostile_file_system_states_never_hang_panic_or_touch_outside_files() {
    let cases = std::env::var("IOLAB_HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    template();
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 64,
        ..Config::default()
    };
    let start = Instant::now();
    let result = TestRunner::new(config).run(&case(), |c| check(&c));
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "hostile states: {} states, {} commands, {} hangs, {} panics, {} bind-mount states \
         skipped, {:.0} s (load average {})",
        COUNTS.states.load(Ordering::Relaxed),
        COUNTS.commands.load(Ordering::Relaxed),
        COUNTS.hangs.load(Ordering::Relaxed),
        COUNTS.panics.load(Ordering::Relaxed),
        COUNTS.skipped.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The guard and the panic check can fail: a command that sleeps past the
/// limit is a hang, Rust's panic exit is a panic.
#[test]
fn the_guard_sees_a_hang_and_a_panic() {
    let mut sleeper = Command::new("sleep");
    sleeper.arg("30");
    let start = Instant::now();
    assert!(matches!(
        guarded(&mut sleeper, Duration::from_millis(200)),
        Guarded::Hung(_)
    ));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "killed at the limit"
    );
    let mut panicking = Command::new("sh");
    panicking.args([
        "-c",
        "echo \"thread 'main' panicked at x.rs\" >&2; exit 101",
    ]);
    let Guarded::Finished(o) = guarded(&mut panicking, GUARD) else {
        panic!("sh hung");
    };
    assert!(panicked(&o));
    let mut fine = Command::new("true");
    let Guarded::Finished(o) = guarded(&mut fine, GUARD) else {
        panic!("true hung");
    };
    assert!(!panicked(&o));
}
