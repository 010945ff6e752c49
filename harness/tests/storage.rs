//! Storages on the real binary (`iolab storage probe`, `accuracy`,
//! `list`): every provider mounts in iolab's own mount namespace, holds a
//! file written and read back, and is gone afterwards; the emulator delays
//! each reply by at least its latency and serves requests concurrently,
//! and keeps to its latency within 10 % by iolab and by fio; a
//! SIGKILL with storages mounted leaves no mount, loop device or image; an
//! unprivileged run finds each storage needing root unavailable in one line
//! and measures the others. Tests needing root, `/dev/fuse` or loop devices
//! print why they skip where those are missing.

mod util;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};
use util::{scratch_left, text, Lab};

/// Every provider, and a preset.
const ALL: [&str; 8] = [
    "data-dir",
    "tmpfs",
    "ext4",
    "ext4-nojournal",
    "xfs",
    "btrfs",
    "emulated:lat=200us,qd=4",
    "emulated:nfs-lan",
];

/// Held by each test here: they run one at a time, so the emulator's
/// timing tests do not measure their neighbours' 16 reading threads.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Why the emulator cannot be tested here, if it cannot.
fn no_fuse() -> Option<String> {
    if !is_root() {
        return Some("mounting needs root".into());
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
        .err()
        .map(|e| format!("/dev/fuse: {e}"))
}

/// One test at a time on a fresh lab, where FUSE can be had; `None`
/// (skipped, said in one line) where it cannot.
fn fuse_lab() -> Option<(std::sync::MutexGuard<'static, ()>, Lab)> {
    let serial = serial();
    if let Some(why) = no_fuse() {
        eprintln!("skipped: {why}");
        return None;
    }
    Some((serial, Lab::new()))
}

/// The section of `storage probe`'s output about `storage` (its line and
/// the indented lines after it).
fn section<'a>(stdout: &'a str, storage: &str) -> Vec<&'a str> {
    let mut lines = stdout.lines().skip_while(|l| *l != storage);
    let mut out: Vec<&str> = lines.next().into_iter().collect();
    out.extend(lines.take_while(|l| l.starts_with("  ")));
    out
}

/// A storage value in the canonical form `storage probe` prints.
fn canonical(storage: &str) -> String {
    storage
        .parse::<iolab::storage::Storage>()
        .unwrap()
        .to_string()
}

/// The number after `label` in `line` (`"p50 1043 us"` → 1043).
fn number_after(line: &str, label: &str) -> f64 {
    let at = line
        .find(label)
        .unwrap_or_else(|| panic!("{label:?} in {line:?}"))
        + label.len();
    line[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number after {label:?} in {line:?}"))
}

/// Mount points under `dir` in any process's mount table (every mount
/// namespace on the machine), after waiting up to 10 s for them to go.
fn mounts_anywhere(dir: &Path) -> Vec<String> {
    let dir = std::fs::canonicalize(dir).unwrap();
    let list = || {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let table = entry.path().join("mountinfo");
            let Ok(text) = std::fs::read_to_string(table) else {
                continue;
            };
            found.extend(
                text.lines()
                    .filter_map(|l| l.split(' ').nth(4))
                    .filter(|m| Path::new(m).starts_with(&dir))
                    .map(str::to_string),
            );
        }
        found.sort();
        found.dedup();
        found
    };
    // The emulator's watchdog shares the killed process's mount namespace
    // and leaves within its 0.2 s poll of the process's end.
    once_gone(list)
}

/// Loop devices whose backing file is under `dir` (`losetup -a` names an
/// unnamed image by its folder and `#inode (deleted)`), after waiting up
/// to 10 s for the kernel to release them.
fn loops_under(dir: &Path) -> Vec<String> {
    let dir = std::fs::canonicalize(dir).unwrap();
    let list = || {
        let out = Command::new("losetup").arg("-a").output();
        let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        text.unwrap_or_default()
            .lines()
            .filter(|l| l.contains(dir.to_string_lossy().as_ref()))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    once_gone(list)
}

/// What `list` finds once it finds nothing, or after 10 s: the kernel
/// releases a dead process's mounts and loop devices a moment after it.
fn once_gone(list: impl Fn() -> Vec<String>) -> Vec<String> {
    let start = Instant::now();
    while !list().is_empty() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    list()
}

/// Regular files under `dir` other than markers: an image left behind
/// would be one.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else if !e.file_name().to_string_lossy().starts_with(".iolab") {
                found.push(e.path().display().to_string());
            }
        }
    }
    found
}

fn assert_nothing_left(lab: &Lab, what: &str) {
    assert_eq!(
        mounts_anywhere(lab.path()),
        Vec::<String>::new(),
        "{what}: mounts left"
    );
    assert_eq!(
        loops_under(lab.path()),
        Vec::<String>::new(),
        "{what}: loop devices left"
    );
    assert_eq!(
        files_under(lab.path()),
        Vec::<String>::new(),
        "{what}: files left"
    );
}

fn probe(lab: &Lab, storages: &[&str], extra: &[&str]) -> std::process::Output {
    lab.iolab()
        .args(["storage", "probe", "--no-fio", "--seconds", "200ms"])
        .args(extra)
        .args(storages)
        .output()
        .unwrap()
}

/// Every provider mounts in iolab's namespace (never in ours), holds a
/// 16 MiB file written, synced and read back byte for byte, is measured,
/// and is unmounted and removed with its loop device and work folder.
#[test]
fn every_provider_holds_a_file_and_is_gone_afterwards() {
    let _serial = serial();
    let lab = Lab::new();
    let out = probe(&lab, &ALL, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for storage in ALL {
        let canonical = canonical(storage);
        let lines = section(&stdout, &canonical);
        assert!(!lines.is_empty(), "{canonical} missing:\n{stdout}");
        if let Some(why) = lines.iter().find(|l| l.contains("unavailable:")) {
            assert!(!is_root() || canonical != "data-dir", "{why}");
            eprintln!("skipped {canonical}: {}", why.trim());
            continue;
        }
        let all = lines.join("\n");
        assert!(all.contains("read back: verified"), "{all}");
        assert!(all.contains("4 KiB reads/s"), "{all}");
    }
    assert_nothing_left(&lab, "after the probe");
    assert!(
        scratch_left(&lab.data()).is_empty(),
        "{:?}",
        scratch_left(&lab.data())
    );
}

/// The issue's floors: a single-threaded 4 KiB read on `lat=1ms` takes at
/// least 1 ms (the median of the probe's reads and of the calibration's:
/// the emulator sends a reply ahead of its due time by the round trip's
/// own cost, aiming a typical read 3 % above the latency), and 16 threads on `lat=1ms,qd=16` read more than 4 times
/// as many blocks per second as one thread (ideal: 16 times).
#[test]
fn the_emulator_delays_each_read_and_serves_requests_concurrently() {
    let Some((_serial, lab)) = fuse_lab() else {
        return;
    };
    let out = lab
        .iolab()
        .args([
            "storage",
            "probe",
            "--no-fio",
            "--seconds",
            "1s",
            "emulated:lat=1ms,qd=16",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines = section(&stdout, "emulated:lat=1ms,meta=1ms,qd=16");
    let reads = lines
        .iter()
        .find(|l| l.contains("4 KiB read min"))
        .expect("reads");
    let p50_us = number_after(reads, "p50");
    assert!(
        p50_us >= 1000.0,
        "a 4 KiB read took {p50_us} us (median) on lat=1ms:\n{stdout}"
    );
    let rates = lines
        .iter()
        .find(|l| l.contains("reads/s"))
        .expect("reads/s");
    let one = number_after(rates, "1 thread");
    let many = number_after(rates, "16 threads");
    assert!(
        many > 4.0 * one,
        "16 threads {many}/s, 1 thread {one}/s: not concurrent:\n{stdout}"
    );
    let calibration = lines
        .iter()
        .find(|l| l.contains("calibration"))
        .expect("calibration");
    assert!(
        number_after(calibration, "4 KiB read") >= 1000.0,
        "{calibration}"
    );
    assert_nothing_left(&lab, "after the probe");
}

/// The issue's floor: the emulator keeps to the latency asked for within
/// 10 % from 100 µs up, measured by iolab and by fio on the mount — the
/// issue sets this floor, so this test may fail on a timing. `storage
/// accuracy` times single-threaded 4 KiB reads in 9 interleaved rounds of
/// 200 reads per tool, with the delay on and off (the twin: FUSE's own
/// cost), and holds the median read with the delay on to 10 % of `lat`
/// (the emulator sends each reply ahead by the round trip's own cost,
/// measured when it mounts, so `lat` is what the client waits). Medians
/// over 1,800 reads keep bursts of load out; a sustained load above the
/// CPUs does not stay out (docs/storage.md), so a measurement is
/// repeated, up to three in all, and the test passes when one of them
/// holds both `lat=100us` and `lat=1ms` by both tools; every attempt's
/// lines are printed when none does. The arithmetic of every line (the
/// verdict against 10 %) and the concurrent lines are checked in each.
#[test]
fn the_emulator_keeps_within_ten_percent_of_its_latency_by_iolab_and_by_fio() {
    let Some((_serial, lab)) = fuse_lab() else {
        return;
    };
    let fio = Command::new("fio").arg("--version").output().is_ok();
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let out = lab
            .iolab()
            .args([
                "storage",
                "accuracy",
                "--threads",
                "4",
                "emulated:lat=100us",
                "emulated:lat=1ms",
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
        for storage in [
            "emulated:lat=100us,meta=100us,qd=16",
            "emulated:lat=1ms,meta=1ms,qd=16",
        ] {
            check_accuracy_lines(&section(&stdout, storage), fio);
        }
        assert_nothing_left(&lab, "after the accuracy check");
        assert_eq!(
            out.status.code() == Some(0),
            !stdout.contains("OUTSIDE"),
            "{stdout}"
        );
        attempts.push(stdout);
        if out.status.code() == Some(0) {
            return;
        }
    }
    panic!(
        "a latency outside 10 % in every attempt:\n{}",
        attempts.join("\n")
    );
}

/// One storage's lines of `storage accuracy`: a verdict per tool that
/// agrees with its median and the latency asked for, FUSE's own cost, and
/// the concurrent lines (reported, not held).
fn check_accuracy_lines(lines: &[&str], fio: bool) {
    let asked = number_after(lines[1], "asked");
    for tool in ["iolab", "fio"] {
        let mut of_tool = lines.iter().filter(|l| l.trim_start().starts_with(tool));
        let line = of_tool
            .next()
            .unwrap_or_else(|| panic!("no {tool} line:\n{}", lines.join("\n")));
        if tool == "fio" && !fio {
            assert!(line.contains("fio not installed"), "{line}");
            continue;
        }
        let seen = number_after(line, "p50");
        assert!(number_after(line, "twin") > 0.0, "{line}");
        assert!(
            line.contains("within 10 %") || line.contains("OUTSIDE 10 %"),
            "{line}"
        );
        assert_eq!(
            line.contains("within 10 %"),
            (seen / asked - 1.0).abs() <= 0.1,
            "{line}"
        );
        let threads = of_tool
            .next()
            .unwrap_or_else(|| panic!("no concurrent {tool} line"));
        assert!(
            threads.contains("4 threads") || threads.contains("4 jobs"),
            "{threads}"
        );
        assert!(threads.contains("reported, not held"), "{threads}");
    }
}

/// `storage accuracy` takes emulated storages only, and counts in range:
/// one line naming the value.
#[test]
fn storage_accuracy_refuses_what_it_cannot_measure() {
    let _serial = serial();
    let lab = Lab::new();
    for (args, expected) in [
        (&["tmpfs"][..], "storage \"tmpfs\": an emulated storage"),
        (
            &["--rounds", "0"][..],
            "--rounds 0: a whole number from 1 to 1000",
        ),
        (
            &["--reads", "5"][..],
            "--reads 5: a whole number from 10 to 100000",
        ),
    ] {
        let out = lab
            .iolab()
            .args(["storage", "accuracy"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert_nothing_left(&lab, "after refusals");
}

/// Start `storage probe <storage> --hold 60` and wait until it says its
/// storage is ready; the folder it is mounted on.
fn held(lab: &Lab, storage: &str) -> (std::process::Child, Pid, String) {
    let mut child = lab
        .iolab()
        .args(["storage", "probe", "--no-fio", "--hold", "60", storage])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = Pid::from_child(&child);
    let stdout = child.stdout.take().unwrap();
    let mut dir = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(d) = line.trim().strip_prefix("ready ") {
            dir = Some(d.to_string());
            break;
        }
        assert!(!line.contains("unavailable:"), "{line}");
    }
    let dir = dir.unwrap_or_else(|| panic!("{storage}: no ready line"));
    (child, pid, dir)
}

/// SIGKILL while a FUSE mount, a loop-mounted image and a tmpfs are up:
/// the kernel drops the mounts with iolab's namespace, closes the FUSE
/// connection and detaches the loop device; the image never had a name;
/// the work folder left is removed by `corpus clean --scratch`.
#[test]
fn a_sigkilled_probe_leaves_no_mount_loop_device_or_image() {
    let _serial = serial();
    if let Some(why) = no_fuse() {
        eprintln!("skipped: {why}");
        return;
    }
    for storage in ["emulated:lat=1ms", "ext4", "tmpfs"] {
        let lab = Lab::new();
        let (mut child, pid, dir) = held(&lab, storage);
        let table =
            std::fs::read_to_string(format!("/proc/{}/mountinfo", pid.as_raw_nonzero())).unwrap();
        assert!(
            table.contains(&dir),
            "{storage}: not mounted in its namespace"
        );
        assert!(
            mounts_anywhere(lab.path()).iter().all(|m| *m == dir),
            "{storage}: seen elsewhere"
        );
        if storage == "ext4" {
            assert_eq!(
                loops_under_now(lab.path()).len(),
                1,
                "{storage}: its loop device"
            );
        }
        kill_process(pid, Signal::KILL).unwrap();
        child.wait().unwrap();
        assert_nothing_left(&lab, storage);
        util::assert_scratch_cleaned(&lab, 1, storage);
    }
}

/// Loop devices under `dir` now, without waiting.
fn loops_under_now(dir: &Path) -> Vec<String> {
    let dir = std::fs::canonicalize(dir).unwrap();
    let out = Command::new("losetup").arg("-a").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(dir.to_string_lossy().as_ref()))
        .map(str::to_string)
        .collect()
}

/// `setpriv` and a lab whose folders nobody may write, or `None` (with
/// why printed) where privileges cannot be dropped.
fn unprivileged_lab() -> Option<(&'static str, Lab)> {
    if !is_root() {
        eprintln!("skipped: dropping privileges needs root to start from");
        return None;
    }
    let Some(setpriv) = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        eprintln!("skipped: setpriv not installed");
        return None;
    };
    let lab = Lab::new();
    std::fs::create_dir(lab.data()).unwrap();
    for dir in [lab.path(), &lab.data()] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    Some((setpriv, lab))
}

/// `iolab` run as nobody through `setpriv`.
fn as_nobody(setpriv: &str) -> Command {
    let mut c = Command::new(setpriv);
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_iolab"));
    c
}

/// Unprivileged (the test drops to nobody with `setpriv`): each storage
/// needing root is `unavailable` in one line naming why, and `data-dir`
/// is measured as usual; `storage accuracy` says the same of each
/// emulated storage and exits 0.
#[test]
fn unprivileged_storages_needing_root_are_unavailable_and_the_rest_runs() {
    let _serial = serial();
    let Some((setpriv, lab)) = unprivileged_lab() else {
        return;
    };
    let out = as_nobody(setpriv)
        .args([
            "storage",
            "probe",
            "--no-fio",
            "--seconds",
            "100ms",
            "--data-dir",
        ])
        .arg(lab.data())
        .args(ALL)
        .current_dir(lab.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for storage in ALL {
        let canonical = canonical(storage);
        let lines = section(&stdout, &canonical);
        if canonical == "data-dir" {
            assert!(lines.join("\n").contains("read back: verified"), "{stdout}");
        } else {
            assert_eq!(lines.len(), 2, "{canonical}: one line\n{stdout}");
            assert!(
                lines[1].contains(&format!(
                    "{} unavailable: mounting needs root",
                    canonical.split(':').next().unwrap()
                )),
                "{}",
                lines[1]
            );
        }
    }
    let out = as_nobody(setpriv)
        .args(["storage", "accuracy", "--data-dir"])
        .arg(lab.data())
        .args(["emulated:lat=1ms", "emulated:nfs-lan"])
        .current_dir(lab.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for storage in ["emulated:lat=1ms,meta=1ms,qd=16", "emulated:nfs-lan"] {
        let lines = section(&stdout, storage);
        assert_eq!(lines.len(), 2, "{storage}: one line\n{stdout}");
        assert!(
            lines[1].contains("emulated unavailable: mounting needs root"),
            "{}",
            lines[1]
        );
    }
    assert!(
        stdout.contains("no latency of 100 us or more measured"),
        "{stdout}"
    );
    assert_nothing_left(&lab, "after the probe");
}

/// `storage list` derives from the descriptions: every provider with its
/// needs, every preset with its sources.
#[test]
fn storage_list_names_every_provider_and_preset() {
    let _serial = serial();
    let lab = Lab::new();
    let out = lab.iolab().args(["storage", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in [
        "data-dir",
        "tmpfs",
        "ext4-nojournal",
        "xfs",
        "btrfs",
        "emulated",
        "nfs-lan",
        "cloud-block",
        "hdd",
    ] {
        assert!(stdout.contains(name), "{name}:\n{stdout}");
    }
    let bad = lab
        .iolab()
        .args(["storage", "probe", "emulated:lat=5x"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("lat = 5x: a duration"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// The storage axis of `iolab run`: `--storage tmpfs,ext4,emulated:…`
/// runs every scenario on each (the emulated value with its zero-latency
/// twin, added as the sequential baseline is), each on a corpus of its
/// own, every row verified and carrying its storage; `run.json` records
/// each storage as provided; the data folder's scenarios keep their old
/// ids; nothing is left mounted or attached afterwards.
/// The emulator holds no descriptor per file the kernel knows (the kernel
/// keeps files' inodes until memory pressure): a run whose kept copies
/// outnumber the process's descriptor limit several times over completes,
/// every row verified, where it once stopped at "Too many open files".
#[test]
fn a_run_on_the_emulator_outlasts_the_descriptor_limit() {
    let Some((_serial, lab)) = fuse_lab() else {
        return;
    };
    let out = Command::new("sh")
        .current_dir(lab.path())
        .env("IOLAB_DATA_DIR", lab.data())
        .arg("-c")
        .arg(r#"ulimit -n 128 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_iolab"))
        .args(["run", "--files", "150", "--lines", "2", "--reps", "3"])
        .args(["--warmup", "0", "--settle", "0", "--no-progress"])
        .args(["--storage", "emulated:lat=0", "--strategy", "sequential"])
        .args(["--workload", "copy,atomic-save,metadata", "--out"])
        .arg(lab.results())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = lab.only_run();
    assert!(!run.rows.is_empty());
    for r in &run.rows {
        assert!(r.verified, "{}: {}", r.scenario_id, r.detail);
    }
}

#[test]
fn a_run_on_several_storages_records_each_and_leaves_nothing_behind() {
    let Some((_serial, lab)) = fuse_lab() else {
        return;
    };
    let out = lab.run(&[
        "--storage",
        "data-dir,tmpfs,ext4,emulated:lat=200us,qd=4",
        "--workload",
        "copy",
        "--strategy",
        "sequential,threads",
        "--workers",
        "4",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = lab.only_run();
    let twin = "emulated:lat=0,meta=0,qd=4";
    let slow = "emulated:lat=200us,meta=200us,qd=4";
    let mut seen: Vec<String> = run.rows.iter().map(|r| r.storage.to_string()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, ["data-dir", twin, slow, "ext4", "tmpfs"], "storages");
    for r in &run.rows {
        assert!(r.verified, "{}: {}", r.scenario_id, r.detail);
        let on = format!("+on-{}/", r.storage);
        assert_eq!(
            r.scenario_id.contains(&on),
            !r.storage.is_data_dir(),
            "{}",
            r.scenario_id
        );
    }
    assert!(run
        .rows
        .iter()
        .any(|r| r.scenario_id == "copy/loop,chunk=64KiB/threads-4/warm"));
    assert_eq!(run.summary.len(), 10, "5 storages × 2 strategies");
    assert!(run.summary.iter().all(|s| s.n_verified == 2));
    let recorded: Vec<(String, Option<String>)> = run
        .meta
        .storages
        .iter()
        .map(|s| (s.storage.to_string(), s.fstype.clone()))
        .collect();
    for (storage, fstype) in [
        (twin, "fuse"),
        (slow, "fuse"),
        ("ext4", "ext4"),
        ("tmpfs", "tmpfs"),
    ] {
        assert!(
            recorded.contains(&(storage.to_string(), Some(fstype.to_string()))),
            "{storage} on {fstype} in {recorded:?}"
        );
    }
    let ext4 = run
        .meta
        .storages
        .iter()
        .find(|s| s.storage.to_string() == "ext4");
    let image = ext4.and_then(|s| s.image.as_ref()).expect("ext4's image");
    assert!(image.loop_direct_io);
    assert!(image
        .features
        .as_deref()
        .is_some_and(|f| f.contains("has_journal")));
    let emulated = run
        .meta
        .storages
        .iter()
        .find(|s| s.storage.to_string() == slow);
    let measured = emulated
        .and_then(|s| s.emulator.as_ref())
        .and_then(|e| e.measured.as_ref())
        .expect("the emulator's measured latency");
    // The delay is applied (a client waits about lat, far above FUSE's own
    // few µs); its precision is the accuracy test's.
    assert!(measured.read_us >= 100.0, "{measured:?}");
    assert_run_left_nothing(&lab);
}

/// After a run: no mount, no loop device, no scratch folder.
fn assert_run_left_nothing(lab: &Lab) {
    assert!(mounts_anywhere(lab.path()).is_empty(), "mounts left");
    assert!(loops_under(lab.path()).is_empty(), "loop devices left");
    assert_eq!(scratch_left(&lab.data()), Vec::<String>::new());
}

/// SIGKILL of a run while its storages are mounted (a FUSE emulator, a
/// loop-mounted image, a tmpfs): the kernel drops every mount with the
/// run's namespace and detaches the loop device, the image never had a
/// name, and `corpus clean --scratch` removes the work folders left.
#[test]
fn a_sigkilled_run_on_storages_leaves_no_mount_loop_device_or_image() {
    let Some((_serial, lab)) = fuse_lab() else {
        return;
    };
    let mut child = lab
        .iolab()
        .args(util::TINY_RUN)
        .arg("--out")
        .arg(lab.results())
        .args([
            "--storage",
            "tmpfs,ext4,emulated:lat=1ms",
            "--workload",
            "copy",
            "--reps",
            "100",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = Pid::from_child(&child);
    // Wait until the storages are up: the run folder is made after they
    // are provided.
    let start = Instant::now();
    let mounted = || {
        std::fs::read_to_string(format!("/proc/{}/mountinfo", pid.as_raw_nonzero()))
            .map(|t| t.lines().filter(|l| l.contains("scratch-storage-")).count())
            .unwrap_or(0)
    };
    while (mounted() < 4 || lab.run_count() == 0) && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(mounted(), 4, "tmpfs, ext4, the emulator and its twin");
    assert_eq!(loops_under_now(lab.path()).len(), 1, "ext4's loop device");
    kill_process(pid, Signal::KILL).unwrap();
    child.wait().unwrap();
    assert!(mounts_anywhere(lab.path()).is_empty(), "mounts left");
    assert!(loops_under(lab.path()).is_empty(), "loop devices left");
    // The run's own scratch folder and the four storages' work folders.
    util::assert_scratch_cleaned(&lab, 5, "a killed run on storages");
}

/// Unprivileged (dropped to nobody with `setpriv`), `iolab run
/// --storage data-dir,tmpfs,ext4,emulated:…`: each storage needing root
/// is `unavailable` with one line naming why, its rows say so, and the
/// data folder's scenarios run and verify.
#[test]
fn an_unprivileged_run_finds_storages_needing_root_unavailable_and_runs_the_rest() {
    let _serial = serial();
    let Some((setpriv, lab)) = unprivileged_lab() else {
        return;
    };
    let out = as_nobody(setpriv)
        .args(util::TINY_RUN)
        .arg("--out")
        .arg(lab.results())
        .arg("--data-dir")
        .arg(lab.data())
        .args([
            "--storage",
            "data-dir,tmpfs,ext4,emulated:lat=1ms",
            "--workload",
            "read",
        ])
        .current_dir(lab.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = util::stderr(&out);
    // One line per reason: the emulated value and its twin share theirs.
    for (storage, name) in [
        ("tmpfs", "tmpfs"),
        ("ext4", "ext4"),
        (
            "emulated:lat=0,meta=0,qd=16, emulated:lat=1ms,meta=1ms,qd=16",
            "emulated",
        ),
    ] {
        let line = format!("storage {storage}: {name} unavailable: mounting needs root");
        assert_eq!(stderr.matches(&line).count(), 1, "{line}\n{stderr}");
    }
    let run = lab.only_run();
    for r in &run.rows {
        match r.storage.is_data_dir() {
            true => assert!(r.verified, "{}: {}", r.scenario_id, r.detail),
            false => {
                assert_eq!(r.status, iolab::results::Status::Unavailable);
                assert!(r.detail.contains("mounting needs root"), "{}", r.detail);
            }
        }
    }
    assert!(run
        .rows
        .iter()
        .any(|r| r.storage.is_data_dir() && r.verified));
}

/// `bench-all --storage data-dir,tmpfs` on a tiny experiment folder: every
/// scenario runs and verifies on both storages, the claims are judged per
/// storage (`load-faster-than-save · on tmpfs`), tmpfs is recorded, and
/// nothing stays mounted.
#[test]
fn bench_all_on_a_storage_list_runs_every_scenario_on_each_and_judges_per_storage() {
    let _serial = serial();
    if !is_root() {
        eprintln!("skipped: not root (tmpfs needs it)");
        return;
    }
    let lab = Lab::new();
    let exps = lab.path().join("exps");
    std::fs::create_dir(&exps).unwrap();
    std::fs::write(
        exps.join("tiny.toml"),
        "reps = 3\nwarmup = 0\nsettle = \"0\"\n\n[corpus]\nfiles = 20\nlines = 5\n\n\
         [[grid]]\nworkload = [\"read\", \"write\"]\nstrategy = [\"sequential\", \"threads\"]\nworkers = [2]\n",
    )
    .unwrap();
    let out = lab
        .iolab()
        .args(["bench-all", "--experiments", "exps", "--no-python-setup"])
        .args(["--no-progress", "--scale", "quick", "--reps", "3"])
        .args(["--storage", "data-dir,tmpfs", "--reports", "reports"])
        .arg("--out")
        .arg(lab.results())
        .arg("--data-dir")
        .arg(lab.data())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = lab.only_run();
    assert_eq!(
        run.summary.len(),
        8,
        "2 workloads × 2 strategies × 2 storages"
    );
    for storage in ["data-dir", "tmpfs"] {
        let here: Vec<_> = run
            .summary
            .iter()
            .filter(|s| s.storage.to_string() == storage)
            .collect();
        assert_eq!(here.len(), 4, "{storage}");
        assert!(here.iter().all(|s| s.n_verified == 3), "{storage}");
    }
    assert!(run
        .meta
        .storages
        .iter()
        .any(|s| s.storage.to_string() == "tmpfs"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for claim in [
        "load-faster-than-save ",
        "load-faster-than-save · on tmpfs ",
    ] {
        assert!(stdout.contains(&format!("  {claim}")), "{claim}\n{stdout}");
    }
    assert_run_left_nothing(&lab);
}

/// SIGINT to a real `iolab run --storage tmpfs,emulated:lat=100us` midway:
/// it stops after the repetition in flight, unmounts everything, and
/// `--resume` provides the storages again and completes the run with every
/// repetition recorded once and verified, leaving no mount.
#[test]
fn a_run_on_storages_interrupted_by_sigint_resumes_with_every_row_once() {
    let Some((_serial, lab)) = fuse_lab() else {
        return;
    };
    let mut child = lab
        .iolab()
        .args(["run", "--files", "40", "--lines", "20", "--reps", "5"])
        .args(["--warmup", "0", "--settle", "0s", "--no-progress"])
        .args([
            "--storage",
            "tmpfs,emulated:lat=100us",
            "--workload",
            "copy",
        ])
        .args(["--strategy", "sequential,threads", "--workers", "2"])
        .args(["--out", "results", "--run-id", "r"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rows = lab.path().join("results/r/runs.csv");
    let deadline = Instant::now() + Duration::from_secs(120);
    // The header and three rows: the run is under way on its storages.
    while std::fs::read(&rows).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count()) < 4 {
        assert!(Instant::now() < deadline, "no rows within 120 s");
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = Pid::from_raw(child.id() as i32).unwrap();
    kill_process(pid, Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        mounts_anywhere(lab.path()).is_empty(),
        "mounts after SIGINT"
    );
    let dir = lab.path().join("results/r");
    let stopped = iolab::results::load(&dir).unwrap();
    assert!(!stopped.meta.completed());
    let done = stopped.rows.len();
    assert!((3..30).contains(&done), "{done} rows before the stop");
    let out = lab
        .iolab()
        .args(["run", "--no-progress", "--resume", "results/r"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = iolab::results::load(&dir).unwrap();
    assert!(run.meta.completed());
    // 3 storages (tmpfs, the emulated value, its twin) × 2 strategies × 5.
    assert_eq!(run.rows.len(), 30);
    let mut keys: Vec<(String, u32)> = run
        .rows
        .iter()
        .map(|r| (r.scenario_id.clone(), r.rep))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 30, "no repetition twice");
    for r in &run.rows {
        assert!(r.verified, "{}: {}", r.scenario_id, r.detail);
        assert!(!r.storage.is_data_dir(), "{}", r.scenario_id);
    }
    assert_run_left_nothing(&lab);
}
