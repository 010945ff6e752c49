//! Shared helpers of the integration tests: a temporary workspace per test
//! and a runner for the real `iolab` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `iolab run` on a tiny corpus (40 files of 20 lines), two repetitions,
/// no warm-up, no wait for idle storage, no progress bars.
pub const TINY_RUN: [&str; 12] = [
    "run",
    "--files",
    "40",
    "--lines",
    "20",
    "--reps",
    "2",
    "--warmup",
    "0",
    "--settle",
    "0",
    "--no-progress",
];

/// A temporary folder with `data/` (corpora) and `results/` inside.
pub struct Lab {
    /// Keeps the folder alive.
    pub root: tempfile::TempDir,
}

impl Lab {
    /// A fresh lab.
    pub fn new() -> Lab {
        Lab {
            root: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The lab's root.
    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// `<root>/data`.
    pub fn data(&self) -> PathBuf {
        self.path().join("data")
    }

    /// `<root>/results`.
    pub fn results(&self) -> PathBuf {
        self.path().join("results")
    }

    /// An `iolab` command run in the lab's root with its data dir set.
    pub fn iolab(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_iolab"));
        c.current_dir(self.path())
            .env("IOLAB_DATA_DIR", self.data());
        c
    }

    /// `binary run` (`iolab` or a user's binary) on a tiny corpus
    /// ([`TINY_RUN`]) in the lab's root, its data folder and results in the
    /// lab; add flags, then run it.
    pub fn tiny_run(&self, binary: &Path) -> Command {
        let mut c = Command::new(binary);
        c.current_dir(self.path())
            .env("IOLAB_DATA_DIR", self.data())
            .args(TINY_RUN)
            .arg("--out")
            .arg(self.results());
        c
    }

    /// `iolab run` on a tiny corpus ([`TINY_RUN`]), without waiting for idle storage,
    /// without progress bars, results in the lab; `extra` adds flags.
    pub fn run(&self, extra: &[&str]) -> Output {
        let mut c = self.iolab();
        c.args(TINY_RUN);
        c.args(["--out"]).arg(self.results());
        c.args(extra);
        c.output().expect("run iolab")
    }

    /// The only run folder in `results/`.
    pub fn only_run(&self) -> iolab::results::LoadedRun {
        let dirs: Vec<PathBuf> = std::fs::read_dir(self.results())
            .expect("results dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_dir())
            .collect();
        assert_eq!(dirs.len(), 1, "expected one run folder, found {dirs:?}");
        iolab::results::load(&dirs[0]).expect("load run")
    }

    /// Number of run folders in `results/` (0 when it does not exist).
    pub fn run_count(&self) -> usize {
        std::fs::read_dir(self.results())
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

/// The example binary `name` (a user's binary built on `iolab::lab::Lab`),
/// beside the `iolab` binary of this build: `cargo test` builds every
/// example; a targeted run needs `cargo build --release --example NAME`
/// first, and the assertion says so.
pub fn example(name: &str) -> PathBuf {
    let iolab = PathBuf::from(env!("CARGO_BIN_EXE_iolab"));
    let exe = iolab
        .parent()
        .expect("target dir")
        .join("examples")
        .join(name);
    assert!(
        exe.is_file(),
        "{} is missing: build it with `cargo build --release --example {name}` (cargo test builds it)",
        exe.display()
    );
    exe
}

/// stdout + stderr as text, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The scratch folders (`scratch-*`) left in a data folder.
pub fn scratch_left(data: &Path) -> Vec<String> {
    std::fs::read_dir(data)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("scratch"))
                .collect()
        })
        .unwrap_or_default()
}

/// A killed run left exactly `leftovers` scratch folders in the lab's data
/// folder, and `corpus clean --scratch` removes them all (`what` names the
/// case in messages).
pub fn assert_scratch_cleaned(lab: &Lab, leftovers: usize, what: &str) {
    assert_eq!(
        scratch_left(&lab.data()).len(),
        leftovers,
        "{what}: scratch folders left"
    );
    let out = lab
        .iolab()
        .args(["corpus", "clean", "--scratch", "--data-dir"])
        .arg(lab.data())
        .output()
        .expect("run iolab corpus clean");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        scratch_left(&lab.data()).is_empty(),
        "{what}: {:?}",
        scratch_left(&lab.data())
    );
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A tmpfs of `size` mounted at `<lab>/tiny`, unmounted when dropped;
/// `None` (with the reason printed) where mounting needs a root we do not
/// have.
pub struct TinyFs(pub PathBuf);

impl TinyFs {
    /// Mount it.
    pub fn mount(lab: &Lab, size: &str) -> Option<TinyFs> {
        let mnt = lab.path().join("tiny");
        std::fs::create_dir(&mnt).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mnt)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        }
        mounted.then_some(TinyFs(mnt))
    }

    /// Change its size (`mount -o remount,size=…`).
    pub fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remounting {} with size {size}", self.0.display());
    }
}

impl Drop for TinyFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// How a command run under [`guarded`] ended.
#[derive(Debug)]
pub enum Guarded {
    /// It exited (or was killed by a signal) within the limit.
    Finished(Output),
    /// It was still running at the limit and was killed: a hang.
    Hung(Output),
}

/// Run `c` with its output in files (a full pipe cannot stall it), killing
/// it when it is still running after `limit`.
pub fn guarded(c: &mut Command, limit: std::time::Duration) -> Guarded {
    use std::io::{Read, Seek};
    let mut out = tempfile::tempfile().expect("temp file");
    let mut err = tempfile::tempfile().expect("temp file");
    let mut child = c
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone().expect("clone"))
        .stderr(err.try_clone().expect("clone"))
        .spawn()
        .expect("spawn");
    let start = std::time::Instant::now();
    let mut hung = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            hung = true;
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let read = |f: &mut std::fs::File| {
        let mut bytes = Vec::new();
        f.rewind().expect("rewind");
        f.read_to_end(&mut bytes).expect("read");
        bytes
    };
    let output = Output {
        status,
        stdout: read(&mut out),
        stderr: read(&mut err),
    };
    if hung {
        Guarded::Hung(output)
    } else {
        Guarded::Finished(output)
    }
}

/// Whether bind mounts can be made here (root, `unshare` and `mount`
/// present); prints why not, once per call, when they cannot.
pub fn may_bind() -> bool {
    let root = rustix::process::geteuid().is_root();
    let unshare = Command::new("unshare")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !root {
        eprintln!("skipped: bind mounts need root");
    } else if !unshare {
        eprintln!("skipped: no `unshare` program (util-linux) to make a mount namespace");
    }
    root && unshare
}

/// `base` run in a mount namespace of its own (`unshare --mount
/// --propagation private`) in which each `(from, to)` is bind-mounted
/// first: the command sees the mounts, nobody else does, and they die with
/// it, so a killed test leaves no mount behind. Program, arguments,
/// environment and working directory are `base`'s.
pub fn with_binds(binds: &[(PathBuf, PathBuf)], base: &Command) -> Command {
    const SCRIPT: &str = r#"n=$1; shift
while [ "$n" -gt 0 ]; do
  mount --bind "$1" "$2" || exit 97
  shift 2; n=$((n - 1))
done
exec "$@""#;
    let mut c = Command::new("unshare");
    c.args([
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        SCRIPT,
        "sh",
    ]);
    c.arg(binds.len().to_string());
    for (from, to) in binds {
        c.arg(from).arg(to);
    }
    c.arg(base.get_program()).args(base.get_args());
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    if let Some(dir) = base.get_current_dir() {
        c.current_dir(dir);
    }
    c
}

/// Make the finished run folder `dir` (of two or more repetitions) look
/// killed outright after its first: no end time, one row, no summary.
pub fn make_killed(dir: &Path) {
    let json = std::fs::read_to_string(dir.join("run.json")).expect("run.json");
    let mut meta: serde_json::Value = serde_json::from_str(&json).expect("run.json parses");
    meta["ended_at"] = serde_json::Value::Null;
    let json = serde_json::to_vec_pretty(&meta).expect("json");
    std::fs::write(dir.join("run.json"), json).expect("write run.json");
    let runs = std::fs::read_to_string(dir.join("runs.csv")).expect("runs.csv");
    let first: String = runs.split_inclusive('\n').take(2).collect();
    std::fs::write(dir.join("runs.csv"), first).expect("write runs.csv");
    std::fs::remove_file(dir.join("summary.csv")).expect("remove summary.csv");
}

/// Make a FIFO at `path` (`mkfifo`).
pub fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Every entry under `dir` with its bytes, sorted: files with their
/// content, links with their target (never followed), folders as `<dir>`.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("list") {
            let p = e.expect("entry").path();
            let meta = std::fs::symlink_metadata(&p).expect("lstat");
            if meta.is_dir() {
                out.push((p.clone(), b"<dir>".to_vec()));
                stack.push(p);
            } else if meta.file_type().is_symlink() {
                let to = std::fs::read_link(&p).expect("readlink");
                out.push((p, to.into_os_string().into_encoded_bytes()));
            } else {
                let bytes = std::fs::read(&p).expect("read");
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

/// Copy `from` into `to`, recursively (regular files and folders); the
/// number of files copied.
pub fn copy_tree(from: &Path, to: &Path) -> usize {
    std::fs::create_dir_all(to).unwrap();
    let mut files = 0;
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            files += copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
            files += 1;
        }
    }
    files
}
