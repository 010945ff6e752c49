//! MPI ranks as clients, for real: `mpirun -np 4 --oversubscribe` on this
//! machine with tiny corpora (built with `--features mpi`), and the refusal
//! of a build without the feature started as several ranks. Tests that need
//! `mpirun` print `skipped: <reason>` without it.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use util::Lab;

/// `mpirun` when it is installed, held by one test at a time: a job's
/// ranks oversubscribe the cores already, and jobs of tests run side by
/// side would leave the stonewall's timing to the scheduler alone.
struct Mpirun {
    path: PathBuf,
    _one_job: std::sync::MutexGuard<'static, ()>,
}

impl std::ops::Deref for Mpirun {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

fn mpirun() -> Option<Mpirun> {
    static ONE_JOB: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let found = Command::new("sh")
        .args(["-c", "command -v mpirun"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let Some(path) = found else {
        eprintln!("skipped: mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)");
        return None;
    };
    let _one_job = ONE_JOB.lock().unwrap_or_else(|e| e.into_inner());
    Some(Mpirun { path, _one_job })
}

/// `mpirun -np N` (as root too, more ranks than cores) of the real iolab
/// in `lab` with `args`; the ranks get `IOLAB_DATA_DIR` and
/// `IOLAB_TEST_TAG` (set it on the command to find its processes).
fn mpi_iolab(mpirun: &Path, lab: &Lab, np: u32, args: &[String]) -> Command {
    let mut c = Command::new(mpirun);
    c.current_dir(lab.path())
        .args([
            "-np",
            &np.to_string(),
            "--oversubscribe",
            "--allow-run-as-root",
        ])
        .args(["-x", "IOLAB_DATA_DIR", "-x", "IOLAB_TEST_TAG"])
        .env("IOLAB_DATA_DIR", lab.data())
        .env("IOLAB_TEST_TAG", "mpi")
        .arg(env!("CARGO_BIN_EXE_iolab"))
        .args(args);
    c
}

/// `mpirun -np N` of a tiny-corpus `run` in `lab`; `extra` adds flags.
fn mpi_run(mpirun: &Path, lab: &Lab, np: u32, extra: &[&str]) -> Output {
    let mut args = run_args(lab);
    args.extend(extra.iter().map(|s| s.to_string()));
    mpi_iolab(mpirun, lab, np, &args)
        .output()
        .expect("run mpirun")
}

fn run_args(lab: &Lab) -> Vec<String> {
    let mut v: Vec<String> = util::TINY_RUN.iter().map(|s| s.to_string()).collect();
    v.push("--out".into());
    v.push(lab.results().to_string_lossy().into_owned());
    v
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A build without the feature, started as one of several ranks, refuses
/// with one line (the launcher's variable set by hand, and under a real
/// `mpirun` when there is one) instead of running independent copies.
#[cfg(not(feature = "mpi"))]
#[test]
fn a_build_without_mpi_refuses_to_run_as_several_ranks() {
    let lab = Lab::new();
    let out = lab
        .iolab()
        .env("OMPI_COMM_WORLD_SIZE", "4")
        .args(run_args(&lab))
        .args(["--workload", "read"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("built without MPI") && err.contains("OMPI_COMM_WORLD_SIZE=4"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        !lab.data().exists() && !lab.results().exists(),
        "nothing created"
    );
    let Some(mpirun) = mpirun() else {
        return;
    };
    let out = mpi_run(&mpirun, &lab, 2, &["--workload", "read"]);
    assert!(!out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("built without MPI").count(),
        1,
        "rank 0 says it for both: {err}"
    );
    assert!(!lab.results().exists(), "no run folder: {}", text(&out));
}

/// A build without the feature refuses a sweep of rank counts in one
/// line, before anything is made.
#[cfg(not(feature = "mpi"))]
#[test]
fn a_build_without_mpi_refuses_a_rank_sweep_in_one_line() {
    let lab = Lab::new();
    let out = lab
        .iolab()
        .args(run_args(&lab))
        .args(["--workload", "read", "--ranks", "1,2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--ranks 1,2") && err.contains("built without MPI"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!lab.results().exists(), "no run folder");
}

/// Other commands refuse to run as several ranks in any build.
#[test]
fn commands_other_than_run_refuse_to_run_as_several_ranks() {
    let lab = Lab::new();
    let out = lab
        .iolab()
        .env("PMI_SIZE", "3")
        .args(["corpus", "create", "--files", "5", "--lines", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("only `iolab run`") && err.contains("PMI_SIZE=3"),
        "{err}"
    );
    assert!(!lab.data().exists(), "nothing created");
}

/// `--stonewall` under worker processes, one rank: with an even split
/// (`--batch 0`, each worker sent all its tasks at once) the workers
/// themselves stop at the deadline, report what they finished, and the
/// run ends; the rows count fewer tasks than planned, verified (without
/// the workers' own check each would run its whole batch).
#[test]
fn stonewall_stops_worker_processes_within_their_batch() {
    let lab = Lab::new();
    let out = lab.run(&[
        "--workload",
        "random",
        "--reads",
        "2000000",
        "--large-file",
        "8MiB",
        "--strategy",
        "processes,nested",
        "--workers",
        "2",
        "--batch",
        "0",
        "--reps",
        "1",
        "--stonewall",
        "0.3",
        "--no-baseline",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let run = lab.only_run();
    assert_eq!(run.rows.len(), 2, "{:?}", run.rows);
    for r in &run.rows {
        // How many ran before the deadline depends on the machine's load
        // (a worker may get its batch after it); never all of them.
        assert!(r.tasks < 2_000_000, "{}: {} tasks", r.scenario_id, r.tasks);
        assert!(r.verified, "{}: {}", r.scenario_id, r.detail);
    }
}

/// `calibrate --mpi` that cannot run here says why in one line, exits 0
/// and makes no run folder: no peer given (MPI build), or a build without
/// MPI.
#[test]
fn calibrate_mpi_without_its_peers_says_so_in_one_line() {
    let lab = Lab::new();
    let out = lab
        .iolab()
        .args(["calibrate", "--mpi", "--out"])
        .arg(lab.results())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    let why = match cfg!(feature = "mpi") {
        true => "give --ior PATH and/or --mdtest PATH",
        false => "built without MPI",
    };
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains("unavailable") && said.contains(why), "{said}");
    assert!(!lab.results().exists(), "no run folder");
}

#[cfg(feature = "mpi")]
mod with_mpi {
    use super::*;
    use iolab::results::{LoadedRun, Row, Status, SummaryStatus};

    /// Per-rank rows of one scenario (its id starts with `scenario`) and
    /// repetition, in rank order, and their aggregate.
    fn rep_rows<'a>(run: &'a LoadedRun, scenario: &str, rep: u32) -> (Vec<&'a Row>, &'a Row) {
        let ranks: Vec<&Row> = run
            .rank_rows
            .iter()
            .filter(|r| r.scenario_id.starts_with(scenario) && r.rep == rep)
            .collect();
        let all = run
            .rows
            .iter()
            .find(|r| r.scenario_id.starts_with(scenario) && r.rep == rep)
            .expect("aggregate row");
        (ranks, all)
    }

    /// The aggregate row's figures follow from the rank rows: bytes and
    /// tasks summed, wall from the earliest start to the latest end, MB/s
    /// from those, the straggler gap and the per-rank range.
    fn check_aggregate(ranks: &[&Row], all: &Row) {
        let ids: Vec<String> = ranks.iter().map(|r| r.rank.clone()).collect();
        let want: Vec<String> = (0..all.ranks).map(|r| r.to_string()).collect();
        assert_eq!(ids, want, "one row per rank, in order");
        assert!(all.ranks > 1);
        assert_eq!(all.rank, "all");
        assert_eq!(all.bytes, ranks.iter().map(|r| r.bytes).sum::<u64>());
        assert_eq!(all.tasks, ranks.iter().map(|r| r.tasks).sum::<u64>());
        let start = ranks
            .iter()
            .map(|r| r.region_start_s)
            .fold(f64::INFINITY, f64::min);
        let end = ranks.iter().map(|r| r.region_end_s).fold(0.0, f64::max);
        let first = ranks
            .iter()
            .map(|r| r.region_end_s)
            .fold(f64::INFINITY, f64::min);
        assert!((all.wall_s - (end - start)).abs() < 2e-6, "{all:?}");
        let mb = all.bytes as f64 / 1e6 / all.wall_s;
        assert!(
            (all.mb_per_s - mb).abs() <= 1e-3 * mb.max(1.0),
            "{} vs {mb}",
            all.mb_per_s
        );
        let gap = all.straggler_s.expect("straggler gap");
        assert!((gap - (end - first)).abs() < 2e-6, "{gap}");
        let rates: Vec<f64> = ranks.iter().map(|r| r.mb_per_s).collect();
        let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let max = rates.iter().copied().fold(0.0, f64::max);
        assert_eq!(all.rank_mb_per_s_min, Some(min));
        assert_eq!(all.rank_mb_per_s_max, Some(max));
        for r in ranks {
            assert!(
                r.region_end_s >= r.region_start_s && r.region_start_s >= 0.0,
                "{r:?}"
            );
        }
    }

    /// Bytes of the corpus files (`data-*`) in `dir`.
    fn corpus_bytes(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_string_lossy().starts_with("data-"))
            .map(|e| e.metadata().unwrap().len())
            .sum()
    }

    /// Per-rank layout: four corpora under `rank-R/`, every rank reads its
    /// whole corpus (40 files), the aggregate adds up, the summary holds the
    /// aggregate only, and run.json names the ranks and their host.
    #[test]
    fn per_rank_layout_runs_every_rank_on_its_own_corpus() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &["--workload", "read,write", "--no-baseline"],
        );
        assert!(out.status.success(), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.matches("results: ").count(),
            1,
            "only rank 0 prints: {stdout}"
        );
        let run = lab.only_run();
        for r in 0..4 {
            assert!(lab.data().join(format!("rank-{r}/csv-40x20x10")).is_dir());
        }
        assert_eq!(
            run.rank_rows.len(),
            2 * 2 * 4,
            "2 scenarios × 2 reps × 4 ranks"
        );
        assert_eq!(run.rows.len(), 2 * 2, "one aggregate per repetition");
        for s in [
            "read/whole/sequential/warm",
            "write/one-write/sequential/warm",
        ] {
            for rep in 0..2 {
                let (ranks, all) = rep_rows(&run, s, rep);
                check_aggregate(&ranks, all);
                assert!(
                    ranks.iter().all(|r| r.tasks == 40 && r.verified),
                    "{ranks:?}"
                );
                assert_eq!(all.status, Status::Ok, "{all:?}");
            }
        }
        assert_eq!(run.summary.len(), 2);
        assert!(run
            .summary
            .iter()
            .all(|s| s.n == 2 && s.status == SummaryStatus::Ok));
        let clients = run.meta.clients.as_ref().expect("clients in run.json");
        assert_eq!(clients.ranks, 4);
        assert_eq!(clients.hosts.len(), 4);
        assert_eq!(clients.machines.len(), 1, "one host: {clients:?}");
        let left: Vec<String> = std::fs::read_dir(lab.data().join("rank-1"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["csv-40x20x10"], "scratch folders removed");
    }

    /// The pure-I/O variants under four ranks of a shared corpus: each
    /// rank reads its block of 10 files untouched, scans the large file
    /// untouched and writes its block from bytes rendered before the
    /// region; every rank's row is verified (ends re-read, outputs against
    /// the manifest) and the aggregate adds up.
    #[test]
    fn pure_io_variants_verify_on_every_rank() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &[
                "--workload",
                "read,scan,write",
                "--variant",
                "untouched,prepared",
                "--large-file",
                "1MiB",
                "--layout",
                "shared",
                "--no-baseline",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let run = lab.only_run();
        for (s, tasks) in [
            ("read/untouched/sequential/warm", 10),
            ("scan/untouched", 16),
            ("write/prepared/sequential/warm", 10),
        ] {
            for rep in 0..2 {
                let (ranks, all) = rep_rows(&run, s, rep);
                check_aggregate(&ranks, all);
                assert!(
                    ranks.iter().all(|r| r.tasks == tasks && r.verified),
                    "{s}: {ranks:?}"
                );
                assert_eq!(all.status, Status::Ok, "{all:?}");
            }
        }
    }

    /// IOR's "easy" write under four ranks: each rank writes its own file
    /// of 2 segments × 256 KiB in 64 KiB transfers, buffered and
    /// O_DIRECT (where the data folder's filesystem takes it), every
    /// transfer read back whole on every rank.
    #[test]
    fn large_write_writes_and_reads_back_every_ranks_file() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &[
                "--workload",
                "large-write",
                "--variant",
                "buffered,direct",
                "--transfer",
                "64KiB",
                "--rank-block",
                "256KiB",
                "--rank-segments",
                "2",
                "--no-baseline",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let run = lab.only_run();
        for rep in 0..2 {
            let (ranks, all) = rep_rows(&run, "large-write/buffered", rep);
            check_aggregate(&ranks, all);
            assert!(
                ranks
                    .iter()
                    .all(|r| r.tasks == 8 && r.bytes == 512 << 10 && r.verified),
                "{ranks:?}"
            );
            let (ranks, _) = rep_rows(&run, "large-write/direct", rep);
            assert!(
                ranks
                    .iter()
                    .all(|r| r.verified || r.status == Status::Unavailable),
                "{ranks:?}"
            );
        }
    }

    /// The rank rows of every repetition of the scenarios whose id holds
    /// every one of `parts`, and their aggregates.
    fn rows_with<'a>(run: &'a LoadedRun, parts: &[&str]) -> (Vec<&'a Row>, Vec<&'a Row>) {
        let hit = |r: &&Row| parts.iter().all(|p| r.scenario_id.contains(p));
        let ranks: Vec<&Row> = run.rank_rows.iter().filter(hit).collect();
        let all: Vec<&Row> = run.rows.iter().filter(hit).collect();
        assert!(
            !ranks.is_empty() && !all.is_empty(),
            "no rows with {parts:?}"
        );
        (ranks, all)
    }

    /// The flags of the shared-file tests: 4 ranks × 2 segments × 128 KiB
    /// in 64 KiB transfers, in scratch folders every rank sees.
    const SHARED_FILE: [&str; 10] = [
        "--transfer",
        "64KiB",
        "--rank-block",
        "128KiB",
        "--rank-segments",
        "2",
        "--scratch-policy",
        "rotate",
        "--no-baseline",
        "--strategy",
    ];

    /// IOR without `-F`: every rank writes, then reads, its own segments
    /// of one file in rank 0's scratch folder, segmented and strided; each
    /// rank's transfers are read back whole (write) or by their stamps
    /// (read), and each rank read what it wrote.
    #[test]
    fn a_shared_file_segmented_or_strided_is_written_and_read_by_every_rank() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let mut flags = SHARED_FILE.to_vec();
        flags.extend(["threads", "--workload", "large-write,large-read"]);
        flags.extend(["--shared-file", "segmented,strided"]);
        let out = mpi_run(&mpirun, &lab, 4, &flags);
        assert!(out.status.success(), "{}", text(&out));
        let run = lab.only_run();
        for layout in ["shared=segmented", "shared=strided"] {
            for workload in ["large-write/", "large-read/"] {
                let (ranks, all) = rows_with(&run, &[workload, layout]);
                assert_eq!((ranks.len(), all.len()), (8, 2), "two reps of 4 ranks");
                for rep in 0..2 {
                    let (ranks, all) = rep_rows(&run, &all[rep as usize].scenario_id, rep);
                    check_aggregate(&ranks, all);
                    assert_eq!(all.bytes, 1 << 20, "the whole file once");
                }
                for r in &ranks {
                    assert!(r.verified && r.tasks == 4, "{r:?}");
                    let whose = match workload {
                        "large-write/" => format!("rank {}'s transfers read back whole", r.rank),
                        _ => format!("written by rank {} ", r.rank),
                    };
                    assert!(r.detail.contains(&whose), "{whose}: {r:?}");
                }
            }
        }
    }

    /// IOR `-C` and `-Z`: with `node`, one host, each rank reads back
    /// itself (as IOR shifts by the ranks per node); with `shuffle` each
    /// rank reads another rank's transfers, every rank's read by exactly
    /// one other, in their own files and in the shared file.
    #[test]
    fn read_back_reads_the_transfers_of_the_rank_it_names() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let mut flags = SHARED_FILE.to_vec();
        flags.extend(["sequential", "--workload", "large-read"]);
        flags.extend([
            "--shared-file",
            "none,segmented",
            "--read-back",
            "node,shuffle",
        ]);
        let out = mpi_run(&mpirun, &lab, 4, &flags);
        assert!(out.status.success(), "{}", text(&out));
        let run = lab.only_run();
        let source = |r: &Row| -> u32 {
            let after = r.detail.split("written by rank ").nth(1).expect("a source");
            after.split(' ').next().unwrap().parse().unwrap()
        };
        for layout in [
            "from=node-1+",
            "from=node-1,shared",
            "from=shuffle+",
            "from=shuffle,shared",
        ] {
            let (ranks, _) = rows_with(&run, &[layout]);
            assert_eq!(ranks.len(), 8, "{layout}");
            let mut read = Vec::new();
            for r in &ranks {
                assert!(r.verified, "{r:?}");
                let (me, from) = (r.rank.parse::<u32>().unwrap(), source(r));
                match layout.contains("node") {
                    true => assert_eq!(from, me, "one host: {r:?}"),
                    false => assert_ne!(from, me, "shuffled: {r:?}"),
                }
                read.push(from);
            }
            read.sort_unstable();
            assert_eq!(read, [0, 0, 1, 1, 2, 2, 3, 3], "{layout}: a permutation");
        }
    }

    /// A segment of the shared file overwritten between the write and the
    /// read (by this test, while the ranks settle): the rank that reads it
    /// fails its check, and its row and the aggregate name it and the
    /// rank whose bytes it saw.
    #[test]
    fn a_corrupted_shared_segment_fails_the_read_and_names_the_rank() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let mut args: Vec<String> = run_args(&lab);
        let at = args.iter().position(|a| a == "--settle").unwrap();
        args[at + 1] = "4s".into();
        let at = args.iter().position(|a| a == "--reps").unwrap();
        args[at + 1] = "1".into();
        args.extend(SHARED_FILE.iter().map(|s| s.to_string()));
        args.extend(
            [
                "sequential",
                "--workload",
                "large-read",
                "--shared-file",
                "segmented",
            ]
            .map(String::from),
        );
        let child = mpi_iolab(&mpirun, &lab, 4, &args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let file = wait_for_file(&lab.data(), "large-read.dat", 1 << 20);
        std::thread::sleep(std::time::Duration::from_millis(500));
        // Rank 1's block of segment 0 copied over rank 2's.
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&file)
            .unwrap();
        let mut block = vec![0u8; 128 << 10];
        std::os::unix::fs::FileExt::read_exact_at(&f, &mut block, 128 << 10).unwrap();
        std::os::unix::fs::FileExt::write_all_at(&f, &block, 256 << 10).unwrap();
        drop(f);
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success(), "{}", text(&out));
        let run = lab.only_run();
        let (ranks, all) = rows_with(&run, &["large-read/"]);
        for r in &ranks {
            assert_eq!(r.verified, r.rank != "2", "{r:?}");
        }
        let bad = &ranks[2].detail;
        assert!(
            bad.contains("rank 2 read transfer 0 of rank 2 at offset 262144")
                && bad.contains("stamped offset 131072 by rank 1"),
            "{bad}"
        );
        assert!(
            !all[0].verified && all[0].detail.starts_with("rank 2: "),
            "{:?}",
            all[0]
        );
    }

    /// The path of the file `name` under `dir` once it holds `len` bytes
    /// (within 60 s).
    fn wait_for_file(dir: &Path, name: &str, len: u64) -> PathBuf {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            let mut stack = vec![dir.to_path_buf()];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    let (p, t) = (e.path(), e.file_type().ok());
                    match t {
                        Some(t) if t.is_dir() => stack.push(p),
                        Some(_)
                            if e.file_name() == name
                                && std::fs::metadata(&p).is_ok_and(|m| m.len() == len) =>
                        {
                            return p;
                        }
                        _ => {}
                    }
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!(
            "{name} of {len} bytes never appeared under {}",
            dir.display()
        );
    }

    /// Shared layout: one corpus, the 40 files split into blocks of 10;
    /// with `--reorder 1` rank r reads block r+1, and each rank's outputs
    /// are verified against the manifest entries of its block.
    #[test]
    fn shared_layout_splits_files_into_blocks_and_reorder_shifts_them() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &[
                "--workload",
                "read,copy",
                "--layout",
                "shared",
                "--reorder",
                "1",
                "--no-baseline",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let run = lab.only_run();
        assert!(lab.data().join("csv-40x20x10").is_dir());
        assert!(!lab.data().join("rank-0").exists(), "no per-rank corpora");
        for s in ["read/whole/sequential/warm", "copy/loop"] {
            let (ranks, all) = rep_rows(&run, s, 1);
            check_aggregate(&ranks, all);
            assert!(
                ranks.iter().all(|r| r.tasks == 10 && r.verified),
                "{ranks:?}"
            );
            assert_eq!(all.tasks, 40);
            assert_eq!(
                all.bytes,
                corpus_bytes(&lab.data().join("csv-40x20x10")),
                "whole corpus once"
            );
        }
        let clients = run.meta.clients.as_ref().expect("clients");
        assert_eq!(clients.options.reorder, 1);
    }

    /// `--stonewall`: every rank stops taking tasks at the deadline; the
    /// rows count what each finished (fewer than all), reads still verify.
    #[test]
    fn stonewall_stops_every_rank_and_counts_what_each_finished() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        // 40 files × 20 one-byte reads each is slow enough to cut at 50 ms.
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &[
                "--workload",
                "stream",
                "--variant",
                "unbuffered",
                "--large-file",
                "8MiB",
                "--segments",
                "400",
                "--stonewall",
                "0.05",
                "--no-baseline",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "stream cannot be checked partially: {}",
            text(&out)
        );
        let run = lab.only_run();
        let (ranks, all) = rep_rows(&run, "stream/unbuffered", 0);
        check_aggregate(&ranks, all);
        assert!(
            ranks.iter().all(|r| r.tasks < 400),
            "{:?}",
            ranks.iter().map(|r| r.tasks).collect::<Vec<_>>()
        );
        assert!(all.detail.contains("stonewall"), "{}", all.detail);
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &[
                "--workload",
                "random",
                "--reads",
                "2000000",
                "--large-file",
                "8MiB",
                "--stonewall",
                "0.05",
                "--no-baseline",
                "--run-id",
                "random",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let run = iolab::results::load(&lab.results().join("random")).unwrap();
        let (ranks, all) = rep_rows(&run, "random/pread", 1);
        check_aggregate(&ranks, all);
        // How many a rank finished depends on the machine's load (a rank
        // descheduled past the deadline finishes none); never all.
        assert!(
            ranks.iter().all(|r| r.tasks < 2_000_000 && r.verified),
            "{ranks:?}"
        );
    }

    /// A rank whose storage fills up (its rank folder a small tmpfs) fails
    /// its repetitions; every aggregate row is failed naming rank 2, the
    /// other ranks' rows are ok, and the run exits 2.
    #[test]
    fn a_failing_rank_fails_the_aggregate_row_and_is_named() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let tiny = lab.data().join("rank-2");
        std::fs::create_dir_all(&tiny).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1500k", "tmpfs"])
            .arg(&tiny)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("skipped: cannot mount a tmpfs here (not root?)");
            return;
        }
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &[
                "--workload",
                "write",
                "--files",
                "100",
                "--lines",
                "150",
                "--no-baseline",
            ],
        );
        let _ = Command::new("umount").arg(&tiny).status();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let run = lab.only_run();
        for rep in 0..2 {
            let (ranks, all) = rep_rows(&run, "write/one-write/sequential/warm", rep);
            assert_eq!(all.status, Status::Failed, "{all:?}");
            assert!(
                all.detail.starts_with("rank 2: ") && all.detail.contains("No space left"),
                "{}",
                all.detail
            );
            let states: Vec<Status> = ranks.iter().map(|r| r.status).collect();
            use Status::{Failed, Ok};
            assert_eq!(states, [Ok, Ok, Failed, Ok]);
        }
        assert_eq!(run.summary[0].status, SummaryStatus::Failed);
    }

    /// Ranks started with different plans (MPMD: two ranks with other
    /// flags) are refused before anything runs, naming the ranks.
    #[test]
    fn ranks_with_different_plans_are_refused() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let exe = env!("CARGO_BIN_EXE_iolab");
        let args = run_args(&lab);
        let mut c = Command::new(&*mpirun);
        c.current_dir(lab.path())
            .args([
                "--oversubscribe",
                "--allow-run-as-root",
                "-x",
                "IOLAB_DATA_DIR",
            ])
            .env("IOLAB_DATA_DIR", lab.data())
            .args(["-np", "2", exe])
            .args(&args)
            .args(["--workload", "read", ":", "-np", "2", exe])
            .args(&args)
            .args(["--workload", "write"]);
        let out = c.output().unwrap();
        assert!(!out.status.success(), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("ranks disagree") && err.contains("rank 2: its plan"),
            "{err}"
        );
        assert!(!lab.results().exists(), "no run folder: {}", text(&out));
    }

    /// The pid of the live `iolab run` process of rank `rank` whose
    /// environment carries `tag`.
    fn rank_pid(tag: &str, rank: u32) -> Option<i32> {
        let want = [
            format!("IOLAB_TEST_TAG={tag}\0"),
            format!("OMPI_COMM_WORLD_RANK={rank}\0"),
        ];
        std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let env = std::fs::read(e.path().join("environ")).ok()?;
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            let has = |n: &str| env.windows(n.len()).any(|w| w == n.as_bytes());
            let runs = cmd.split(|b| *b == 0).any(|a| a == b"run");
            (runs && want.iter().all(|n| has(n))).then_some(pid)
        })
    }

    /// One rank SIGKILLed during a repetition makes mpirun end the job; the
    /// rows written before stay whole (every repetition with both rank rows
    /// and its aggregate); a resume with another rank count is refused, and
    /// `mpirun -np 2 iolab run --resume` completes the run: every
    /// repetition once, scratch folders removed.
    /// Once `ready` holds (within 120 s, the job still running), SIGKILL
    /// rank 1 of the job tagged `tag`; the job must then fail.
    fn kill_rank_one_when(mut job: std::process::Child, tag: &str, ready: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while !ready() {
            assert!(
                std::time::Instant::now() < deadline,
                "no repetition finished"
            );
            assert!(job.try_wait().unwrap().is_none(), "the job ended early");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let pid = rank_pid(tag, 1).expect("rank 1's process");
        rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid).unwrap(),
            rustix::process::Signal::KILL,
        )
        .expect("SIGKILL rank 1");
        let out = job.wait_with_output().expect("mpirun ends");
        assert!(!out.status.success(), "{}", text(&out));
    }

    /// Two ranks of a slow random-read run (300,000 reads of an 8 MiB
    /// file a repetition) with `extra` flags, tagged `tag` so its ranks'
    /// processes can be found ([`rank_pid`]); stdout dropped.
    fn slow_random_job(mpirun: &Path, lab: &Lab, tag: &str, extra: &[&str]) -> std::process::Child {
        let mut args = run_args(lab);
        args.extend(
            [
                "--workload",
                "random",
                "--reads",
                "300000",
                "--large-file",
                "8MiB",
            ]
            .iter()
            .chain(&["--no-baseline"])
            .chain(extra)
            .map(|a| a.to_string()),
        );
        mpi_iolab(mpirun, lab, 2, &args)
            .env("IOLAB_TEST_TAG", tag)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start mpirun")
    }

    /// `run --no-progress --resume DIR`.
    fn resume_args(dir: &Path) -> Vec<String> {
        ["run", "--no-progress", "--resume"]
            .map(String::from)
            .into_iter()
            .chain([dir.to_string_lossy().into_owned()])
            .collect()
    }

    #[test]
    fn a_rank_killed_mid_run_ends_the_job_and_resume_completes_it() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let tag = format!("kill-{}", std::process::id());
        let job = slow_random_job(&mpirun, &lab, &tag, &["--reps", "4", "--run-id", "killed"]);
        let dir = lab.results().join("killed");
        let runs = dir.join("runs.csv");
        // Header and one repetition (2 rank rows, 1 aggregate) written.
        kill_rank_one_when(job, &tag, || {
            std::fs::read_to_string(&runs).map_or(0, |t| t.lines().count()) >= 4
        });
        let killed = iolab::results::load(&dir).expect("the rows written stay valid");
        assert!(killed.meta.ended_at.is_none());
        let done = killed.rows.len();
        assert!((1..4).contains(&done), "{done} repetitions");
        assert_eq!(killed.rank_rows.len(), 2 * done, "whole repetitions only");
        for all in &killed.rows {
            let (ranks, all) = rep_rows(&killed, "random/pread", all.rep);
            check_aggregate(&ranks, all);
        }
        let resume = |np: u32| {
            mpi_iolab(&mpirun, &lab, np, &resume_args(&dir))
                .output()
                .unwrap()
        };
        let wrong = resume(3);
        assert!(!wrong.status.success(), "{}", text(&wrong));
        assert!(
            String::from_utf8_lossy(&wrong.stderr).contains("the run had 2"),
            "{}",
            text(&wrong)
        );
        let alone = lab
            .iolab()
            .args(["run", "--no-progress", "--resume"])
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(alone.status.code(), Some(1), "{}", text(&alone));
        assert!(
            util::stderr(&alone).contains("the run had 2"),
            "{}",
            text(&alone)
        );
        let out = resume(2);
        assert!(out.status.success(), "{}", text(&out));
        let run = iolab::results::load(&dir).unwrap();
        assert!(run.meta.completed(), "{:?}", run.meta.ended_at);
        assert_eq!(run.meta.resumed_at.len(), 1);
        let mut reps: Vec<u32> = run.rows.iter().map(|r| r.rep).collect();
        reps.sort();
        assert_eq!(reps, [0, 1, 2, 3], "every repetition once");
        assert_eq!(run.rank_rows.len(), 8);
        for rep in 0..4 {
            let (ranks, all) = rep_rows(&run, "random/pread", rep);
            check_aggregate(&ranks, all);
            assert_eq!(all.status, Status::Ok, "{all:?}");
        }
        for r in 0..2 {
            let left: Vec<String> = std::fs::read_dir(lab.data().join(format!("rank-{r}")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("scratch"))
                .collect();
            assert!(left.is_empty(), "scratch left: {left:?}");
        }
    }

    /// Runs of 1, 2 and 4 ranks compared: `iolab compare` adds the
    /// aggregate throughput against ranks, one table row per run and
    /// scenario (layout, ranks, MB/s matching the run's summary) and the
    /// chart `ranks.png`.
    #[test]
    fn compare_of_runs_with_different_rank_counts_shows_scaling_with_ranks() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let common = ["--workload", "read", "--no-baseline", "--run-id"];
        let one = lab.run(&[&common[..], &["one"]].concat());
        assert!(one.status.success(), "{}", text(&one));
        for (np, layout, id) in [(2, "per-rank", "two"), (4, "shared", "four")] {
            let out = mpi_run(
                &mpirun,
                &lab,
                np,
                &[&common[..], &[id, "--layout", layout]].concat(),
            );
            assert!(out.status.success(), "{}", text(&out));
        }
        let runs = ["one", "two", "four"].map(|id| lab.results().join(id));
        let out = lab
            .iolab()
            .arg("compare")
            .args(&runs)
            .args(["--out"])
            .arg(lab.path().join("reports"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let (_, table) = stdout
            .split_once("aggregate throughput against MPI ranks:")
            .unwrap_or_else(|| panic!("no ranks table: {stdout}"));
        let lines: Vec<Vec<&str>> = table
            .lines()
            .skip(2)
            .take_while(|l| !l.trim().is_empty())
            .map(|l| l.split_whitespace().collect())
            .collect();
        let got: Vec<(&str, &str)> = lines.iter().map(|c| (c[1], c[2])).collect();
        // Sorted by scenario, then layout: "one rank" is two words.
        assert_eq!(
            got,
            [("one", "rank"), ("per-rank", "2"), ("shared", "4")],
            "{table}"
        );
        for (id, cells) in ["one", "two", "four"].iter().zip(&lines) {
            let run = iolab::results::load(&lab.results().join(id)).unwrap();
            let mb = format!("{:.1}", run.summary[0].mb_per_s);
            assert!(cells.contains(&mb.as_str()), "{id}: {mb} in {cells:?}");
            assert_eq!(cells.last(), Some(id));
        }
        let dir = lab.path().join("reports").join("compare-one-vs-two");
        let png = std::fs::read(dir.join("ranks.png")).expect("ranks.png");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let md = std::fs::read_to_string(dir.join("compare.md")).unwrap();
        assert!(
            md.contains("## Aggregate throughput against MPI ranks"),
            "{md}"
        );
    }

    /// The stonewall counts from the timed region's start, which is right
    /// after the barrier (every per-repetition setup before it): each
    /// stonewalled rank row ends its region within 5 % of the stonewall
    /// measured from the barrier (the floor the issue sets: a timing
    /// bound, on purpose), says it was cut, and counts its tasks against
    /// the planned ones.
    #[test]
    fn stonewalled_regions_end_within_five_percent_of_the_stonewall() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &[
                "--workload",
                "random",
                "--reads",
                "50000000",
                "--large-file",
                "8MiB",
                "--strategy",
                "sequential,threads",
                "--workers",
                "2",
                "--reps",
                "1",
                "--stonewall",
                "2",
                "--no-baseline",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let run = lab.only_run();
        assert_eq!(run.rank_rows.len(), 2 * 4);
        for r in &run.rank_rows {
            let region = (r.region_start_s, r.region_end_s);
            assert!(
                r.region_end_s >= r.region_start_s + 2.0 && r.region_end_s <= 2.1,
                "{}: rank {} region {region:?}",
                r.scenario_id,
                r.rank
            );
            assert!(r.stonewalled, "{r:?}");
            assert_eq!(r.planned_tasks, 50_000_000);
            assert!(r.tasks < r.planned_tasks && r.verified, "{r:?}");
            assert_eq!(r.stonewall_tasks, Some(r.tasks), "no wear-out");
            assert_eq!(r.wearout_tasks, None);
            let phase = r.stonewall_s.expect("stonewall_s");
            assert!(phase >= 2.0 && phase <= r.wall_s, "{phase} of {}", r.wall_s);
        }
        for all in &run.rows {
            let (ranks, all) = rep_rows(&run, &all.scenario_id, 0);
            check_aggregate(&ranks, all);
            assert!(all.stonewalled);
            assert_eq!(all.planned_tasks, 4 * 50_000_000);
            assert_eq!(all.stonewall_tasks, Some(all.tasks));
        }
    }

    /// `--stonewall-wearout` (IOR's wear-out): after the deadline every
    /// rank goes on until it has done as many tasks as the rank that did
    /// most, under threads and under worker processes; the stonewall phase
    /// is reported apart (`stonewall_tasks`, `wearout_tasks`), and the
    /// reads still verify.
    #[test]
    fn wearout_brings_every_rank_to_the_largest_count() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &[
                "--workload",
                "random",
                "--reads",
                "5000000",
                "--large-file",
                "8MiB",
                "--strategy",
                "threads,processes",
                "--workers",
                "2",
                "--batch",
                "64",
                "--reps",
                "1",
                "--stonewall",
                "0.3",
                "--stonewall-wearout",
                "--no-baseline",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let run = lab.only_run();
        for all in &run.rows {
            let (ranks, all) = rep_rows(&run, &all.scenario_id, 0);
            check_aggregate(&ranks, all);
            let most = ranks
                .iter()
                .map(|r| r.stonewall_tasks.expect("stonewall_tasks"))
                .max()
                .unwrap();
            assert!(most < 5_000_000, "the stonewall cut every rank: {most}");
            for r in &ranks {
                let phase = r.stonewall_tasks.unwrap();
                assert_eq!(r.tasks, most, "{}: rank {}", r.scenario_id, r.rank);
                assert_eq!(r.wearout_tasks, Some(most - phase), "{r:?}");
                assert!(r.stonewalled && r.verified, "{r:?}");
            }
            assert_eq!(all.tasks, 4 * most);
            assert_eq!(
                all.wearout_tasks.unwrap() + all.stonewall_tasks.unwrap(),
                all.tasks
            );
        }
    }

    /// Errors every rank meets alike are said once, by rank 0, and every
    /// rank exits 1 without MPI_Abort: a flag clap refuses, a flag iolab
    /// refuses before MPI starts, one it refuses after (agreed by the
    /// ranks), and a command that does not run as ranks.
    #[test]
    fn errors_every_rank_meets_are_said_once_without_mpi_abort() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let cases: [(&[&str], &str); 4] = [
            (&["--bogus"], "unexpected argument '--bogus'"),
            (
                &["--workload", "read", "--stonewall-wearout"],
                "needs --stonewall",
            ),
            (
                &["--workload", "read", "--dir", "x"],
                "names one corpus folder",
            ),
            (&["--workload", "nope"], "--workload nope"),
        ];
        for (extra, says) in cases {
            let out = mpi_run(&mpirun, &lab, 4, extra);
            assert_eq!(out.status.code(), Some(1), "{}", text(&out));
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.matches(says).count(), 1, "said once: {}", text(&out));
            assert_eq!(err.matches("error:").count(), 1, "{}", text(&out));
            assert!(!err.contains("MPI_ABORT"), "{}", text(&out));
        }
        let out = mpi_iolab(&mpirun, &lab, 3, &["describe".to_string()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.matches("only `iolab run`").count(), 1, "{err}");
        assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "no tables");
        assert!(!lab.results().exists(), "no run folder");
    }

    /// `--data-dir` with `%h` and `%r`: each rank gets its own data folder
    /// (its host and rank filled in); under the shared layout each data
    /// folder holds one corpus, made by its first rank, so `%h` alone on
    /// one machine is one shared corpus; run.json records every rank's
    /// data folder, and the scratch folders are removed.
    #[test]
    fn data_folders_per_rank_and_per_host() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .expect("the host name")
            .trim()
            .to_string();
        let template = lab.data().join("%h").join("r%r");
        let dir = template.to_string_lossy().into_owned();
        let out = mpi_run(
            &mpirun,
            &lab,
            4,
            &[
                "--workload",
                "read",
                "--layout",
                "shared",
                "--data-dir",
                &dir,
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let run = lab.only_run();
        let clients = run.meta.clients.as_ref().expect("clients");
        for r in 0..4 {
            let own = lab.data().join(&host).join(format!("r{r}"));
            assert_eq!(clients.data_dirs[r], own);
            assert!(own.join("csv-40x20x10").is_dir(), "rank {r}'s own corpus");
            assert_eq!(util::scratch_left(&own), Vec::<String>::new());
        }
        let (ranks, _) = rep_rows(&run, "read", 1);
        assert!(
            ranks.iter().all(|r| r.tasks == 10 && r.verified),
            "{ranks:?}"
        );
        let node = lab.path().join("node").join("%h");
        let out = mpi_run(
            &mpirun,
            &lab,
            2,
            &[
                "--workload",
                "read",
                "--layout",
                "shared",
                "--data-dir",
                &node.to_string_lossy(),
                "--run-id",
                "node",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let shared = lab.path().join("node").join(&host);
        let entries: Vec<String> = std::fs::read_dir(&shared)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(entries, ["csv-40x20x10"], "one corpus for the node");
    }

    /// A peer's executable: `IOLAB_IOR` or `IOLAB_MDTEST`, else `ior` or
    /// `mdtest` on the PATH.
    fn peer(var: &str, name: &str) -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(var) {
            return Some(PathBuf::from(p));
        }
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .ok()?;
        let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
        (found.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
    }

    /// `calibrate --mpi` runs IOR and mdtest beside iolab's scenarios under
    /// `mpirun -np 2`: every pattern in each cache state gets both tools'
    /// medians and iolab ÷ peer, the peers' command lines name the same
    /// ranks and files, iolab's own runs are kept under the run folder, and
    /// no scratch folder is left.
    #[test]
    fn calibrate_mpi_pairs_iolab_with_ior_and_mdtest() {
        let Some(_mpirun) = mpirun() else { return };
        let (Some(ior), Some(mdtest)) = (peer("IOLAB_IOR", "ior"), peer("IOLAB_MDTEST", "mdtest"))
        else {
            eprintln!("skipped: IOR and mdtest not found (set IOLAB_IOR and IOLAB_MDTEST; docs/mpi.md says how to build them)");
            return;
        };
        let lab = Lab::new();
        let out = lab
            .iolab()
            .args(["calibrate", "--mpi", "--np", "2", "--ior"])
            .arg(&ior)
            .arg("--mdtest")
            .arg(&mdtest)
            .args(["--files", "40", "--lines", "20", "--large-file", "8MiB"])
            .args([
                "--reps",
                "2",
                "--warmup",
                "0",
                "--settle",
                "0s",
                "--no-progress",
            ])
            .args(["--run-id", "cal", "--out"])
            .arg(lab.results())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let dir = lab.results().join("cal");
        let record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("calibration-mpi.json")).unwrap())
                .unwrap();
        let rows = record["rows"].as_array().unwrap();
        let cells: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r["pattern"].to_string(), r["cache"].to_string()))
            .collect();
        assert_eq!(
            cells.len(),
            8,
            "2 IOR patterns × warm, cold; 4 mdtest: {cells:?}"
        );
        for r in rows {
            assert_eq!(r["status"], "ok", "{r}");
            assert_eq!(r["reps"], 2, "{r}");
            let (a, b) = (
                r["iolab"].as_f64().unwrap(),
                r["peer_value"].as_f64().unwrap(),
            );
            assert!(a > 0.0 && b > 0.0, "{r}");
            assert!(
                (r["ratio"].as_f64().unwrap() - a / b).abs() < 1e-9 * a / b,
                "{r}"
            );
            let command = r["peer_command"].as_str().unwrap();
            assert!(command.starts_with("mpirun -np 2 "), "{command}");
            match r["peer"].as_str().unwrap() {
                "ior" => assert!(command.contains("-F") && command.contains("-b 8388608")),
                "mdtest" => assert!(command.contains("-u") && command.contains("-n ")),
                other => panic!("peer {other}"),
            }
        }
        assert!(dir.join("calibration-mpi.csv").is_file());
        let runs = std::fs::read_dir(dir.join("iolab")).unwrap().count();
        assert_eq!(runs, 4, "two iolab jobs per repetition");
        for r in 0..2 {
            let data = lab.data().join(format!("rank-{r}"));
            assert_eq!(util::scratch_left(&data), Vec::<String>::new());
        }
        assert_eq!(util::scratch_left(&lab.data()), Vec::<String>::new());
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("iolab ÷ peer"), "{said}");
    }

    /// The rows of a sweep's count `n`: for every scenario starting with
    /// `scenario` and repetition, rank rows for ranks `0..n` alone (the
    /// idle ranks wrote none), each saying `n`, and an aggregate that sums
    /// them.
    fn check_count(run: &LoadedRun, scenario: &str, n: u32, reps: u32) {
        let id = |r: &&Row| {
            r.scenario_id.starts_with(scenario) && r.scenario_id.contains(&format!("+ranks-{n}/"))
        };
        for rep in 0..reps {
            let ranks: Vec<&Row> = run
                .rank_rows
                .iter()
                .filter(id)
                .filter(|r| r.rep == rep)
                .collect();
            let alls: Vec<&Row> = run
                .rows
                .iter()
                .filter(id)
                .filter(|r| r.rep == rep)
                .collect();
            assert_eq!(alls.len(), 1, "{scenario} ×{n} rep {rep}: one aggregate");
            let all = alls[0];
            let ids: Vec<String> = ranks.iter().map(|r| r.rank.clone()).collect();
            let want: Vec<String> = (0..n).map(|r| r.to_string()).collect();
            assert_eq!(
                ids, want,
                "{scenario} ×{n} rep {rep}: rows of the active ranks only"
            );
            assert!(
                ranks.iter().chain([&all]).all(|r| r.ranks == n),
                "{ranks:?} {all:?}"
            );
            match n {
                1 => {
                    assert_eq!((all.bytes, all.tasks), (ranks[0].bytes, ranks[0].tasks));
                    let region = ranks[0].region_end_s - ranks[0].region_start_s;
                    assert!((all.wall_s - region).abs() < 2e-6, "{all:?}");
                }
                _ => check_aggregate(&ranks, all),
            }
            assert_eq!(all.status, Status::Ok, "{all:?}");
            assert!(all.verified, "{all:?}");
        }
    }

    /// `mpirun -np 4 iolab run --ranks 1,2,4`: one job, one run folder,
    /// each count's repetitions on ranks `0..n` (the others idle: no rows
    /// of theirs), every row saying its count, each aggregate the sum of
    /// its ranks. Per-rank, each active rank reads its whole corpus; shared,
    /// the 40 files are split among the count's ranks (40, 20, 10 each).
    #[test]
    fn a_rank_sweep_runs_each_count_on_its_own_ranks_in_one_job() {
        let Some(mpirun) = mpirun() else { return };
        for (layout, files_of) in [("per-rank", [40, 40, 40]), ("shared", [40, 20, 10])] {
            let lab = Lab::new();
            let out = mpi_run(
                &mpirun,
                &lab,
                4,
                &[
                    "--workload",
                    "read,write",
                    "--no-baseline",
                    "--ranks",
                    "1,2,4",
                    "--layout",
                    layout,
                ],
            );
            assert!(out.status.success(), "{}", text(&out));
            let run = lab.only_run();
            assert_eq!(run.rows.len(), 2 * 3 * 2, "2 workloads × 3 counts × 2 reps");
            assert_eq!(
                run.rank_rows.len(),
                2 * 2 * (1 + 2 + 4),
                "a row per active rank"
            );
            for (n, files) in [1, 2, 4].into_iter().zip(files_of) {
                for s in ["read/whole", "write/one-write"] {
                    check_count(&run, s, n, 2);
                }
                assert!(
                    run.rank_rows
                        .iter()
                        .filter(|r| r.ranks == n)
                        .all(|r| r.tasks == files),
                    "{layout} ×{n}: {files} files per rank"
                );
            }
            assert_eq!(run.summary.len(), 6, "a summary row per scenario and count");
            assert_eq!(util::scratch_left(&lab.data()), Vec::<String>::new());
            // The run's report draws the aggregate against the ranks.
            let out = lab
                .iolab()
                .args(["report", "--out", "reports"])
                .arg(lab.results().join(&run.meta.run_id))
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out));
            let dir = lab.path().join("reports").join(&run.meta.run_id);
            let png = std::fs::read(dir.join("ranks-scaling.png")).expect("ranks-scaling.png");
            assert!(png.starts_with(b"\x89PNG"), "a PNG");
        }
    }

    /// A count above the ranks started is refused by rank 0 alone, in one
    /// line naming both numbers, before anything is made.
    #[test]
    fn a_count_above_the_ranks_started_is_refused_in_one_line() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let out = mpi_run(&mpirun, &lab, 4, &["--workload", "read", "--ranks", "2,8"]);
        assert!(!out.status.success(), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        let said: Vec<&str> = err.lines().filter(|l| l.contains("--ranks")).collect();
        assert_eq!(said.len(), 1, "said once: {err}");
        assert!(
            said[0].contains("--ranks 8") && said[0].contains("the 4"),
            "{err}"
        );
        assert!(!err.contains("MPI_ABORT"), "{err}");
        assert!(!lab.results().exists(), "no run folder");
    }

    /// A sweep killed midway (a rank SIGKILLed) resumes the repetitions
    /// it lacks: every count's every repetition once, on its own ranks.
    #[test]
    fn an_interrupted_sweep_resumes_the_missing_counts() {
        let Some(mpirun) = mpirun() else { return };
        let lab = Lab::new();
        let tag = format!("sweep-{}", std::process::id());
        let extra = ["--reps", "2", "--ranks", "1,2", "--run-id", "swept"];
        let job = slow_random_job(&mpirun, &lab, &tag, &extra);
        let dir = lab.results().join("swept");
        let aggregates = || {
            std::fs::read_to_string(dir.join("runs.csv"))
                .map_or(0, |t| t.lines().count().saturating_sub(2))
        };
        kill_rank_one_when(job, &tag, || aggregates() >= 1);
        let killed = iolab::results::load(&dir).expect("the rows written stay valid");
        assert!(
            (1..4).contains(&killed.rows.len()),
            "{} done",
            killed.rows.len()
        );
        let out = mpi_iolab(&mpirun, &lab, 2, &resume_args(&dir))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let run = iolab::results::load(&dir).unwrap();
        assert!(run.meta.completed(), "{:?}", run.meta.ended_at);
        assert_eq!(run.rows.len(), 4, "2 counts × 2 reps, each once");
        for n in [1, 2] {
            check_count(&run, "random/pread", n, 2);
        }
        assert_eq!(util::scratch_left(&lab.data()), Vec::<String>::new());
    }
}
