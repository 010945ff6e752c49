//! Calibration of many clients against IOR and mdtest (`iolab calibrate
//! --mpi`): the same launcher (`mpirun -np N`) runs iolab's scenarios and
//! the peer's equivalent job, repetition by repetition (the order
//! alternating when asked), on the same per-rank files in the same cache
//! state, and the table gives iolab ÷ peer per pattern with a bootstrap
//! interval. Without the MPI build, `mpirun` or a peer: one line.
//!
//! Owns: the patterns iolab and IOR or mdtest share, the peers' command
//! lines and the reading of their summaries, the record
//! (`calibration-mpi.json`, `calibration-mpi.csv`). Does not own: running
//! iolab's ranks (`iolab run` under the launcher, `crate::clients`), cache
//! control (`crate::measure::cache`), statistics (`crate::stats`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::Request;
use crate::corpus::{self, CorpusSpec};
use crate::measure::cache::{self, CacheState};
use crate::measure::quiet;
use crate::results::Row as RunRow;
use crate::safefs::Dir;

/// File name of the record in a run folder.
pub const JSON_FILE: &str = "calibration-mpi.json";
/// File name of the table in a run folder.
pub const CSV_FILE: &str = "calibration-mpi.csv";
/// Files each metadata task works on, in iolab and (times the corpus's
/// files) in mdtest's `-n`.
pub const FILES_PER_TASK: u32 = 4;
/// Bytes per read of the large-file read, in both tools (IOR `-t 1m`).
const CHUNK: u64 = 1 << 20;
/// Bytes per random read, in both tools (IOR `-t 4k`).
const BLOCK: u64 = 4096;

/// How `calibrate --mpi` launches: the ranks and the peers' executables.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    /// Ranks of every job (`mpirun -np`).
    pub ranks: u32,
    /// The IOR executable, when given.
    pub ior: Option<PathBuf>,
    /// The mdtest executable, when given.
    pub mdtest: Option<PathBuf>,
}

/// The peer that runs a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peer {
    Ior,
    Mdtest,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Ior => "ior",
            Peer::Mdtest => "mdtest",
        }
    }
}

/// A pattern iolab and IOR or mdtest both run, every rank on its own files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerPattern {
    /// Each rank reads its large file front to back in 1 MiB reads (IOR
    /// `-r -F -t 1m`; iolab `scan untouched`: the bytes untouched, as IOR
    /// leaves them).
    LargeRead,
    /// Each rank reads 4 KiB blocks of its large file at random aligned
    /// offsets, as many as the file has (IOR `-r -F -z -t 4k`: each block
    /// once; iolab `random pread --evidence ends`: drawn with replacement).
    RandomRead,
    /// Each rank writes as many new files as the corpus has (mdtest `-C -w
    /// MEAN`, the corpus's mean size; iolab `write prepared`, the corpus's
    /// sizes, rendered before the region as mdtest fills its buffer).
    ManyFilesWrite,
    /// Each rank creates empty files (mdtest `-C`; iolab `metadata create`).
    Create,
    /// Each rank stats its files (mdtest `-T`; iolab `metadata stat`).
    Stat,
    /// Each rank removes its files (mdtest `-r`; iolab `metadata unlink`).
    Remove,
}

impl PeerPattern {
    /// Every pattern, in the order of the table.
    pub const ALL: [PeerPattern; 6] = [
        PeerPattern::LargeRead,
        PeerPattern::RandomRead,
        PeerPattern::ManyFilesWrite,
        PeerPattern::Create,
        PeerPattern::Stat,
        PeerPattern::Remove,
    ];

    /// Name in tables and files.
    pub fn name(self) -> &'static str {
        match self {
            PeerPattern::LargeRead => "large-file-read-1MiB",
            PeerPattern::RandomRead => "random-read-4KiB",
            PeerPattern::ManyFilesWrite => "many-files-write",
            PeerPattern::Create => "metadata-create",
            PeerPattern::Stat => "metadata-stat",
            PeerPattern::Remove => "metadata-remove",
        }
    }

    fn peer(self) -> Peer {
        match self {
            PeerPattern::LargeRead | PeerPattern::RandomRead => Peer::Ior,
            PeerPattern::ManyFilesWrite
            | PeerPattern::Create
            | PeerPattern::Stat
            | PeerPattern::Remove => Peer::Mdtest,
        }
    }

    /// Whether the pattern reads its inputs (measured in each cache state);
    /// the others only once, warm.
    fn reads(self) -> bool {
        self.peer() == Peer::Ior
    }

    /// The unit both tools' figures are in.
    fn unit(self) -> &'static str {
        match self.peer() {
            Peer::Ior => "MB/s",
            Peer::Mdtest => "files/s",
        }
    }

    /// iolab's workload and variant of the pattern.
    fn scenario(self) -> (&'static str, &'static str) {
        match self {
            PeerPattern::LargeRead => ("scan", "untouched"),
            PeerPattern::RandomRead => ("random", "pread"),
            PeerPattern::ManyFilesWrite => ("write", "prepared"),
            PeerPattern::Create => ("metadata", "create"),
            PeerPattern::Stat => ("metadata", "stat"),
            PeerPattern::Remove => ("metadata", "unlink"),
        }
    }

    /// iolab's figure from a repetition's aggregate row: MB/s, or files
    /// per second (metadata tasks work on [`FILES_PER_TASK`] files each).
    fn iolab_value(self, row: &RunRow) -> f64 {
        match self {
            PeerPattern::LargeRead | PeerPattern::RandomRead => row.mb_per_s,
            PeerPattern::ManyFilesWrite => row.tasks_per_s,
            PeerPattern::Create | PeerPattern::Stat | PeerPattern::Remove => {
                row.tasks_per_s * f64::from(FILES_PER_TASK)
            }
        }
    }

    /// The line of mdtest's summary the pattern reads.
    fn mdtest_line(self) -> &'static str {
        match self {
            PeerPattern::Stat => "File stat",
            PeerPattern::Remove => "File removal",
            PeerPattern::LargeRead
            | PeerPattern::RandomRead
            | PeerPattern::ManyFilesWrite
            | PeerPattern::Create => "File creation",
        }
    }
}

/// One pattern in one cache state: iolab's and the peer's medians and
/// iolab ÷ peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerRow {
    /// Pattern name (`large-file-read-1MiB`, …).
    pub pattern: String,
    /// `warm` or `cold`.
    pub cache: String,
    /// `ior` or `mdtest`.
    pub peer: String,
    /// `MB/s` (10^6 bytes per second) or `files/s`.
    pub unit: String,
    /// `ok`, `failed`, or `unavailable`.
    pub status: String,
    /// Measured repetitions of each tool.
    pub reps: u32,
    /// iolab's median (aggregate of every rank).
    pub iolab: Option<f64>,
    /// The peer's median.
    pub peer_value: Option<f64>,
    /// Median iolab ÷ median peer (above 1: iolab is faster).
    pub ratio: Option<f64>,
    /// Lower end of the ratio's 95 % bootstrap interval.
    pub ratio_ci_low: Option<f64>,
    /// Upper end of the ratio's 95 % bootstrap interval.
    pub ratio_ci_high: Option<f64>,
    /// Why it did not run, or what failed.
    pub detail: String,
    /// The peer's command line.
    pub peer_command: String,
}

/// The whole `calibrate --mpi` record of a run folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeerCalibration {
    /// Ranks of every job.
    pub ranks: u32,
    /// Why nothing was measured, if so.
    pub unavailable: Option<String>,
    /// Measured repetitions per tool and pattern.
    pub reps: u32,
    /// Discarded warm-up repetitions.
    pub warmup: u32,
    /// Seed of iolab's random offsets and of the bootstrap.
    pub seed: u64,
    /// One row per pattern and cache state.
    pub rows: Vec<PeerRow>,
}

/// `iolab calibrate --mpi`: measure, print the table, write
/// `calibration-mpi.csv` and `.json` into a new run folder (iolab's own
/// run folders of each repetition under its `iolab/`). What cannot run
/// here (no MPI build, no `mpirun`, no peer) is one line and exit 0.
///
/// # Errors
/// A run folder that exists, corpus, scratch or cache failures.
pub fn command(req: &Request, launch: &Launch) -> anyhow::Result<ExitCode> {
    let mpirun = match available(launch) {
        Ok(p) => p,
        Err(why) => {
            println!("calibration against IOR and mdtest: unavailable: {why}");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let (run_id, run_dir) = super::run_folder(req)?;
    Dir::create_all(&req.out)?.create_dir(&run_id)?;
    let run_dir = std::path::absolute(&run_dir)?;
    let data_dir = std::path::absolute(&req.data_dir)?;
    Dir::create_all(&data_dir)?;
    let scratch = corpus::Scratch::create(&data_dir, &format!("{run_id}-peers"))?;
    let bench = Bench {
        req,
        launch,
        mpirun: &mpirun,
        run_dir: &run_dir,
        data_dir: &data_dir,
        scratch: scratch.path(),
    };
    let rows = bench.run();
    let removed = scratch.remove();
    let rows = rows?;
    removed.context("removing the calibration's scratch folder")?;
    let cfg = &req.config;
    let calibration = PeerCalibration {
        ranks: launch.ranks,
        unavailable: None,
        reps: cfg.reps,
        warmup: cfg.warmup,
        seed: cfg.seed,
        rows,
    };
    calibration.write(&run_dir)?;
    calibration.print(&mut io::stdout().lock())?;
    println!("\nresults: {}", run_dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `mpirun`, when this build, the machine and the flags allow a run.
fn available(launch: &Launch) -> Result<PathBuf, String> {
    if !cfg!(feature = "mpi") {
        return Err("this iolab was built without MPI (cargo build --features mpi)".into());
    }
    let mpirun = crate::sys::program::find("mpirun")
        .ok_or("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)")?;
    if launch.ior.is_none() && launch.mdtest.is_none() {
        return Err(
            "give --ior PATH and/or --mdtest PATH (docs/mpi.md says how to build them)".into(),
        );
    }
    for p in [&launch.ior, &launch.mdtest].into_iter().flatten() {
        if !p.is_file() {
            return Err(format!("{} is not a file", p.display()));
        }
    }
    Ok(mpirun)
}

/// Where and how the calibration runs.
struct Bench<'a> {
    req: &'a Request,
    launch: &'a Launch,
    mpirun: &'a Path,
    run_dir: &'a Path,
    data_dir: &'a Path,
    scratch: &'a Path,
}

/// A tool's figure of one cell in one repetition, or why it has none.
type Figure = Result<f64, String>;

/// One (pattern, cache) cell's repetitions.
#[derive(Default)]
struct Cell {
    iolab: Vec<f64>,
    peer: Vec<f64>,
    problem: Option<String>,
    command: String,
}

impl Cell {
    fn note(&mut self, iolab: Result<f64, String>, peer: Result<f64, String>, keep: bool) {
        if self.problem.is_some() {
            return;
        }
        match (iolab, peer) {
            (Ok(a), Ok(b)) => {
                if keep {
                    self.iolab.push(a);
                    self.peer.push(b);
                }
            }
            (Err(e), _) => self.problem = Some(format!("iolab: {e}")),
            (_, Err(e)) => self.problem = Some(e),
        }
    }
}

impl Bench<'_> {
    /// The cells in table order: each pattern the peers given can run, the
    /// reading ones in each cache state.
    fn cells(&self) -> Vec<(PeerPattern, CacheState)> {
        let caches = &self.req.config.caches;
        PeerPattern::ALL
            .into_iter()
            .filter(|p| match p.peer() {
                Peer::Ior => self.launch.ior.is_some(),
                Peer::Mdtest => self.launch.mdtest.is_some(),
            })
            .flat_map(|p| {
                let states = if p.reads() { &caches[..] } else { &caches[..1] };
                states.iter().map(move |&c| (p, c))
            })
            .collect()
    }

    /// Every repetition: iolab's jobs and the peers', in turn.
    fn run(&self) -> anyhow::Result<Vec<PeerRow>> {
        let cfg = &self.req.config;
        let cells = self.cells();
        let mut results: Vec<Cell> = cells.iter().map(|_| Cell::default()).collect();
        let spec = &self.req.spec;
        let large_ok = spec
            .large_file_bytes
            .filter(|b| *b >= CHUNK && b % CHUNK == 0);
        // Each rank's large file, from its corpus as iolab's run records it.
        let mut large = Vec::new();
        for rep in 0..cfg.warmup + cfg.reps {
            if crate::interrupt::stop_requested() {
                break;
            }
            let keep = rep >= cfg.warmup;
            // The first repetition starts with iolab: its ranks make the corpora.
            let peers_first = cfg.alternate && rep % 2 == 1;
            let mut iolab = None;
            let mut peers = None;
            for peer_turn in [peers_first, !peers_first] {
                if peer_turn {
                    peers = Some(self.peer_rep(&cells, large_ok, &large)?);
                } else {
                    let (figures, corpora) = self.iolab_rep(rep, &cells)?;
                    iolab = Some(figures);
                    if !corpora.is_empty() {
                        large = corpora
                            .iter()
                            .map(|c| c.join(corpus::LARGE_FILE_NAME))
                            .collect();
                    }
                }
            }
            let (Some(iolab), Some(peers)) = (iolab, peers) else {
                continue;
            };
            for ((cell, a), (b, command)) in results.iter_mut().zip(iolab).zip(peers) {
                cell.command = command;
                cell.note(a, b, keep);
            }
        }
        Ok(cells
            .iter()
            .zip(results)
            .map(|(&(p, cache), cell)| summarise(p, cache, cell, large_ok, cfg.seed))
            .collect())
    }

    /// `mpirun -np N` of `program`.
    fn launcher(&self, program: &Path) -> Command {
        let mut c = Command::new(self.mpirun);
        c.args(["-np", &self.launch.ranks.to_string(), "--oversubscribe"]);
        if rustix::process::geteuid().is_root() {
            c.arg("--allow-run-as-root");
        }
        c.arg(program).stdin(Stdio::null());
        c
    }

    /// One repetition of iolab's scenarios, two `iolab run` jobs (the
    /// reading and writing ones, the metadata ones), their aggregate rows
    /// read back per cell; with each rank's corpus folder, as the runs
    /// record them.
    fn iolab_rep(
        &self,
        rep: u32,
        cells: &[(PeerPattern, CacheState)],
    ) -> anyhow::Result<(Vec<Figure>, Vec<PathBuf>)> {
        let exe = std::env::current_exe().context("finding iolab's own executable")?;
        let spec = &self.req.spec;
        let cfg = &self.req.config;
        let caches: Vec<&str> = cfg.caches.iter().map(|c| c.as_str()).collect();
        let reads = spec.large_file_bytes.unwrap_or(0) / BLOCK;
        let jobs: [(&str, Vec<String>); 2] = [
            (
                "data",
                strings(&[
                    "--workload",
                    "scan,random,write",
                    "--variant",
                    "untouched,pread,prepared",
                    "--reads",
                    &reads.clamp(1, 100_000_000).to_string(),
                    "--block",
                    "4KiB",
                    "--evidence",
                    "ends",
                    "--cache",
                    &caches.join(","),
                ]),
            ),
            (
                "metadata",
                strings(&[
                    "--workload",
                    "metadata",
                    "--variant",
                    "create,stat,unlink",
                    "--files-per-task",
                    &FILES_PER_TASK.to_string(),
                    "--cache",
                    caches[0],
                ]),
            ),
        ];
        let out = self.run_dir.join("iolab");
        let mut rows = Vec::new();
        let mut corpora = Vec::new();
        for (name, args) in jobs {
            let run_id = format!("rep-{rep}-{name}");
            let mut c = self.launcher(&exe);
            c.arg("run").args(args).args(common_args(spec, self.req));
            c.args(["--data-dir".as_ref(), self.data_dir.as_os_str()]);
            c.args(["--out".as_ref(), out.as_os_str()]);
            c.args(["--run-id", &run_id]);
            let done = c.output().context("starting mpirun")?;
            if !done.status.success() {
                let why = first_error(&done.stderr);
                rows.push(Err(format!("iolab run exited with {}: {why}", done.status)));
                continue;
            }
            let run = crate::results::load(&out.join(&run_id))?;
            corpora = match &run.meta.clients {
                Some(c) => c.corpus_dirs.clone(),
                None => vec![run.meta.corpus_dir.clone()],
            };
            rows.extend(run.rows.into_iter().map(Ok));
        }
        let figures = cells
            .iter()
            .map(|&(p, cache)| iolab_figure(&rows, p, cache))
            .collect();
        Ok((figures, corpora))
    }

    /// One repetition of the peers' jobs, per cell its figure and command
    /// line. IOR reads hard links to each rank's large file
    /// (`testFile.0000000R`, its `-F` names: the same inodes, the same page
    /// cache) in the cell's cache state; mdtest works in its own folder.
    fn peer_rep(
        &self,
        cells: &[(PeerPattern, CacheState)],
        large_ok: Option<u64>,
        large: &[PathBuf],
    ) -> anyhow::Result<Vec<(Result<f64, String>, String)>> {
        let mut mdtest_meta: Option<(String, String)> = None;
        let mut out = Vec::new();
        for &(p, cache) in cells {
            corpus::reset_scratch(self.scratch)?;
            let (program, args) = match p.peer() {
                Peer::Ior => {
                    let Some(bytes) = large_ok else {
                        out.push((Err(String::new()), String::new()));
                        continue;
                    };
                    self.ior_job(p, (cache, bytes), large)?
                }
                Peer::Mdtest => {
                    // One mdtest job gives create, stat and remove.
                    if let (PeerPattern::Stat | PeerPattern::Remove, Some((text, command))) =
                        (p, &mdtest_meta)
                    {
                        out.push((mdtest_rate(text, p.mdtest_line()), command.clone()));
                        continue;
                    }
                    let job = self.mdtest_job(p)?;
                    quiet::wait_until_quiet(self.scratch, self.req.config.settle);
                    job
                }
            };
            let (figure, command, text) = self.launch_peer(p, program, &args)?;
            if p == PeerPattern::Create {
                mdtest_meta = Some((text, command.clone()));
            }
            out.push((figure, command));
        }
        corpus::reset_scratch(self.scratch)?;
        Ok(out)
    }

    /// IOR's job for pattern `p`: hard links to each rank's large file of
    /// `bytes` in the scratch folder, made `cache`, read with IOR's
    /// transfer size for `p`.
    fn ior_job(
        &self,
        p: PeerPattern,
        (cache, bytes): (CacheState, u64),
        large: &[PathBuf],
    ) -> anyhow::Result<(&Path, Vec<String>)> {
        let cfg = &self.req.config;
        let links = Dir::open(self.scratch)?.create_dir("ior")?;
        for (r, path) in large.iter().enumerate() {
            let source = Dir::open(path.parent().context("large file")?)?;
            links.hard_link(&source, corpus::LARGE_FILE_NAME, format!("testFile.{r:08}"))?;
        }
        let ior = self.launch.ior.as_deref().context("ior")?;
        let transfer = if p == PeerPattern::LargeRead {
            "1m"
        } else {
            "4k"
        };
        let mut args = strings(&["-a", "POSIX", "-r", "-F", "-k", "-t", transfer]);
        if p == PeerPattern::RandomRead {
            args.push("-z".into());
        }
        args.extend(strings(&["-b", &bytes.to_string(), "-s", "1", "-o"]));
        args.push(self.scratch.join("ior/testFile").display().to_string());
        quiet::wait_until_quiet(self.scratch, cfg.settle);
        cache::prepare(cache, cfg.cold_method, large).context("setting the cache state for IOR")?;
        Ok((ior, args))
    }

    /// mdtest's job for pattern `p` in its own folder of the scratch
    /// folder: files of the corpus's mean size written, or empty files
    /// created, stat'ed and removed.
    fn mdtest_job(&self, p: PeerPattern) -> anyhow::Result<(&Path, Vec<String>)> {
        let spec = &self.req.spec;
        let mdtest = self.launch.mdtest.as_deref().context("mdtest")?;
        let dir = self.scratch.join("mdtest").display().to_string();
        let files = spec.files;
        let args = match p == PeerPattern::ManyFilesWrite {
            true => {
                let mean = spec.data_bytes() / u64::from(files.max(1));
                strings(&["-F", "-C", "-r", "-u", "-n", &files.to_string()])
                    .into_iter()
                    .chain(strings(&["-w", &mean.to_string(), "-d", &dir]))
                    .collect()
            }
            false => {
                let n = (files * FILES_PER_TASK).to_string();
                strings(&["-F", "-C", "-T", "-r", "-u", "-n", &n, "-d", &dir])
            }
        };
        Ok((mdtest, args))
    }

    /// Run `program` with `args` under the launcher; its figure for `p`
    /// (or why there is none), its command line and its output.
    fn launch_peer(
        &self,
        p: PeerPattern,
        program: &Path,
        args: &[String],
    ) -> anyhow::Result<(Result<f64, String>, String, String)> {
        let mut c = self.launcher(program);
        c.args(args);
        let command = format!(
            "mpirun -np {} {} {}",
            self.launch.ranks,
            program.display(),
            args.join(" ")
        );
        let done = c
            .output()
            .with_context(|| format!("starting {}", self.mpirun.display()))?;
        let text = String::from_utf8_lossy(&done.stdout).into_owned();
        let figure = match done.status.success() {
            false => Err(format!(
                "{} exited with {}: {}",
                p.peer().name(),
                done.status,
                first_error(&done.stderr)
            )),
            true => match p.peer() {
                Peer::Ior => ior_mb_s(&text),
                Peer::Mdtest => mdtest_rate(&text, p.mdtest_line()),
            },
        };
        Ok((figure, command, text))
    }
}

/// The flags every `iolab run` job of the calibration shares.
fn common_args(spec: &CorpusSpec, req: &Request) -> Vec<String> {
    let cfg = &req.config;
    let mut args = strings(&[
        "--strategy",
        "sequential",
        "--reps",
        "1",
        "--warmup",
        "0",
        "--no-baseline",
        "--no-progress",
        "--layout",
        "per-rank",
        "--files",
        &spec.files.to_string(),
        "--lines",
        &spec.lines.to_string(),
        "--values",
        &spec.values.to_string(),
        "--seed",
        &cfg.seed.to_string(),
        "--settle",
        &format!("{}ms", cfg.settle.idle.as_millis()),
        "--settle-timeout",
        &format!("{}ms", cfg.settle.timeout.as_millis()),
    ]);
    if let Some(method) = clap::ValueEnum::to_possible_value(&cfg.cold_method) {
        args.extend(strings(&["--cold-method", method.get_name()]));
    }
    if let Some(b) = spec.large_file_bytes {
        args.extend(strings(&["--large-file", &b.to_string()]));
    }
    args
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

/// The first line of a job's stderr that says something.
fn first_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    line.unwrap_or("").to_string()
}

/// iolab's figure of a cell from a repetition's aggregate rows.
fn iolab_figure(
    rows: &[Result<RunRow, String>],
    p: PeerPattern,
    cache: CacheState,
) -> Result<f64, String> {
    let (workload, variant) = p.scenario();
    let cache = if p.reads() { cache } else { CacheState::Warm };
    let mut failed = None;
    for row in rows {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                failed.get_or_insert_with(|| e.clone());
                continue;
            }
        };
        // The variant column names the knobs too: `read,chunk=1MiB`.
        let row_variant = row.variant.split(',').next();
        if row.workload.name() != workload || row_variant != Some(variant) || row.cache != cache {
            continue;
        }
        return match row.status == crate::results::Status::Ok && row.verified {
            true => Ok(p.iolab_value(row)),
            false => Err(format!("{} {}", row.status, row.detail)),
        };
    }
    Err(failed.unwrap_or_else(|| format!("no row of {workload} {variant}")))
}

/// IOR's bandwidth in MB/s (10^6) from the mean MiB/s of its text
/// summary's only test (`Summary of all tests:`, then a header, then one
/// line per operation).
fn ior_mb_s(text: &str) -> Result<f64, String> {
    let summary = text
        .split("Summary of all tests:")
        .nth(1)
        .ok_or("IOR printed no summary")?;
    let mut lines = summary.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    let column = header
        .iter()
        .position(|h| *h == "Mean(MiB)")
        .ok_or("IOR's summary has no Mean(MiB) column")?;
    let line = lines.next().ok_or("IOR's summary has no test")?;
    let mib: f64 = line
        .split_whitespace()
        .nth(column)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("IOR's summary line unreadable: {line}"))?;
    Ok(mib * 1.048_576)
}

/// mdtest's mean rate (per second) of the summary line `what` (`File
/// creation`, `File stat`, `File removal`).
fn mdtest_rate(text: &str, what: &str) -> Result<f64, String> {
    let summary = text
        .split("SUMMARY rate")
        .nth(1)
        .ok_or("mdtest printed no rate summary")?;
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with(what))
        .ok_or_else(|| format!("mdtest's summary has no {what} line"))?;
    let values: Vec<f64> = line[line.find(what).unwrap_or(0) + what.len()..]
        .split_whitespace()
        .filter_map(|v| v.trim_start_matches(':').parse().ok())
        .collect();
    // Max, Min, Mean, Std Dev.
    match values.get(2) {
        Some(&mean) if mean > 0.0 => Ok(mean),
        _ => Err(format!("mdtest's {what} line unreadable: {}", line.trim())),
    }
}

/// A cell's row: the medians, their ratio and its bootstrap interval.
fn summarise(
    p: PeerPattern,
    cache: CacheState,
    cell: Cell,
    large_ok: Option<u64>,
    seed: u64,
) -> PeerRow {
    let mut row = PeerRow {
        pattern: p.name().into(),
        cache: cache.as_str().into(),
        peer: p.peer().name().into(),
        unit: p.unit().into(),
        status: "unavailable".into(),
        reps: cell.iolab.len() as u32,
        iolab: None,
        peer_value: None,
        ratio: None,
        ratio_ci_low: None,
        ratio_ci_high: None,
        detail: String::new(),
        peer_command: cell.command,
    };
    if p.peer() == Peer::Ior && large_ok.is_none() {
        row.detail = "the corpus needs a large file of whole MiB (give --large-file SIZE)".into();
        return row;
    }
    if let Some(why) = cell.problem {
        row.status = "failed".into();
        row.detail = why;
        return row;
    }
    let Some(m) = super::medians(cell.iolab, cell.peer, seed) else {
        row.detail = "no measured repetition".into();
        return row;
    };
    row.iolab = Some(m.iolab);
    row.peer_value = Some(m.other);
    row.ratio = Some(m.ratio);
    match m.interval {
        Ok((lo, hi)) => (row.ratio_ci_low, row.ratio_ci_high) = (Some(lo), Some(hi)),
        Err(why) => row.detail = why,
    }
    row.status = "ok".into();
    row
}

impl PeerCalibration {
    /// Write `calibration-mpi.json` and `calibration-mpi.csv` into `dir`.
    ///
    /// # Errors
    /// Serialisation or write failures, naming the file.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        crate::safefs::write_atomic(dir, JSON_FILE, &json)
            .with_context(|| format!("writing {}", dir.join(JSON_FILE).display()))?;
        let mut csv = csv::Writer::from_writer(Vec::new());
        for row in &self.rows {
            csv.serialize(row)?;
        }
        let bytes = csv.into_inner().context("writing calibration-mpi.csv")?;
        crate::safefs::write_atomic(dir, CSV_FILE, &bytes)
            .with_context(|| format!("writing {}", dir.join(CSV_FILE).display()))
    }

    /// The terminal table.
    ///
    /// # Errors
    /// Write errors of `out`.
    pub fn print(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "\nCalibration against IOR and mdtest ({} ranks, each on its own files; medians of {} repetitions):",
            self.ranks, self.reps
        )?;
        let header = [
            "pattern",
            "cache",
            "peer",
            "unit",
            "iolab",
            "peer",
            "iolab ÷ peer (95% CI)",
            "reps",
            "note",
        ];
        let num = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.1}"));
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                let ratio = match (r.ratio, r.ratio_ci_low, r.ratio_ci_high) {
                    (Some(x), Some(lo), Some(hi)) => format!("{x:.2}× [{lo:.2} … {hi:.2}]"),
                    (Some(x), _, _) => format!("{x:.2}×"),
                    _ => r.status.clone(),
                };
                vec![
                    r.pattern.clone(),
                    r.cache.clone(),
                    r.peer.clone(),
                    r.unit.clone(),
                    num(r.iolab),
                    num(r.peer_value),
                    ratio,
                    r.reps.to_string(),
                    r.detail.clone(),
                ]
            })
            .collect();
        crate::tune::render::table::write_table(out, &header, &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOR: &str = "Results: \n\naccess    bw(MiB/s)  IOPS\nread      8725       8772\n\n\
Summary of all tests:\n\
Operation   Max(MiB)   Min(MiB)  Mean(MiB)     StdDev   Max(OPs)\n\
read         8724.50    8724.50    8000.00       0.00    8724.50\n\
Finished            : Sun Dec  6 05:25:02 2026\n";

    const MDTEST: &str = "2 tasks, 400 files\n\nSUMMARY rate (in ops/sec): (of 1 iterations)\n\
   Operation                     Max            Min           Mean        Std Dev\n\
   ---------                     ---            ---           ----        -------\n\
   File creation                4658.526       4000.000       4300.000          0.000\n\
   File stat                  989806.254     989806.254     989806.254          0.000\n\
   File read                       0.000          0.000          0.000          0.000\n\
   File removal               360645.228     360645.228     360645.228          0.000\n";

    #[test]
    fn ior_and_mdtest_summaries_are_read_by_column() {
        assert!((ior_mb_s(IOR).unwrap() - 8000.0 * 1.048_576).abs() < 1e-6);
        assert!(ior_mb_s("no summary").is_err());
        assert_eq!(mdtest_rate(MDTEST, "File creation").unwrap(), 4300.0);
        assert_eq!(mdtest_rate(MDTEST, "File removal").unwrap(), 360645.228);
        let none = mdtest_rate(MDTEST, "File read").unwrap_err();
        assert!(none.contains("unreadable"), "{none}");
        assert!(mdtest_rate("", "File stat").is_err());
    }

    #[test]
    fn every_pattern_names_its_peer_line_and_scenario() {
        for p in PeerPattern::ALL {
            let (workload, variant) = p.scenario();
            assert!(!workload.is_empty() && !variant.is_empty());
            assert_eq!(p.reads(), p.unit() == "MB/s", "{}", p.name());
        }
        assert_eq!(PeerPattern::Stat.mdtest_line(), "File stat");
    }
}
