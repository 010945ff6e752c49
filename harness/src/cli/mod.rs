//! The command line: raw values as clap parses them, and their validation
//! into the types the rest of iolab uses ([`crate::experiment::Plan`],
//! [`crate::corpus::CorpusSpec`]). Nothing past this module sees clap types.

pub mod calibrate;
pub mod help;
mod knobs;
pub mod manual;
pub mod plan;
pub mod tune;
mod values;

pub use knobs::{command, parse, parse_from, parse_knob, Usage, STRATEGY_KNOBS, WORKLOAD_KNOBS};
pub use plan::{build_plan, ConfigError};

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::corpus::Scale;
use crate::measure::cache::{CacheState, ColdMethod};

/// iolab: which way of doing file I/O is fastest on this machine, by how
/// much, is the difference real, and how many workers to use.
#[derive(Debug, Parser)]
#[command(name = "iolab", version, about, long_about = None, propagate_version = true, args_override_self = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, verify or remove a corpus of CSV files.
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Run scenarios (workload × strategy × cache state) and record results.
    Run(Box<RunArgs>),
    /// Run the whole lab on this machine: every experiment file, results, report and claims.
    BenchAll(Box<BenchAllArgs>),
    /// Render a run folder as HTML, PNG charts and Markdown.
    Report(ReportArgs),
    /// Compare two runs (same or different machines), scenario by scenario.
    Compare(CompareArgs),
    /// Judge the tutorials' claims against a run's measurements.
    Claims(ClaimsArgs),
    /// Sweep worker counts and recommend how many workers to use on this machine.
    Tune(Box<TuneArgs>),
    /// List every workload (variants, knobs with defaults and ranges) and
    /// every strategy (knobs, what it cannot run and why).
    Describe(DescribeArgs),
    /// Run fio beside iolab on the same files and report iolab ÷ fio per shared pattern.
    Calibrate(Box<CalibrateArgs>),
    /// Storages a run's files can be put on: list them, or provide and measure some here.
    #[command(subcommand)]
    Storage(StorageCommand),
    /// Print the man page (roff) of iolab and every subcommand: `iolab man > iolab.1`.
    Man,
    /// Print the completion script of a shell: `iolab completions bash > …`.
    Completions(CompletionsArgs),
    /// Internal: a worker process of the processes and nested strategies.
    #[command(hide = true)]
    Worker,
}

/// `iolab completions`
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to print the completion script of.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `iolab describe`
#[derive(Debug, Args, Clone)]
pub struct DescribeArgs {
    /// Print the workload and strategy tables of docs/workloads.md in Markdown, between their markers.
    #[arg(long)]
    pub markdown: bool,
}

/// `iolab storage …`
#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Every storage (parameters with defaults and ranges, what it needs,
    /// what warm and cold mean on it) and the emulator's presets with their sources.
    List {
        /// Print the tables of docs/storage.md in Markdown, between their markers.
        #[arg(long)]
        markdown: bool,
    },
    /// Provide each storage, measure a 4 KiB read, a stat, a create and reads/s with 1 and qd
    /// threads (and fio's, when installed), print, and remove everything.
    Probe(StorageProbeArgs),
    /// The emulator's accuracy: the delay asked for against the delay added to single-threaded
    /// 4 KiB reads, measured by iolab and by fio on the mount against the zero-latency twin in
    /// interleaved rounds (medians); exits 2 when a delay of 100 us or more is outside 10 %.
    Accuracy(StorageAccuracyArgs),
}

/// `iolab storage accuracy`
#[derive(Debug, Args, Clone)]
pub struct StorageAccuracyArgs {
    /// Emulated storages: emulated:lat=…,meta=…,qd=…,bw=… or a preset (emulated:nfs-lan).
    #[arg(value_name = "STORAGE", default_values_t = ["emulated:lat=100us".to_string(), "emulated:lat=500us".to_string(), "emulated:lat=1ms".to_string(), "emulated:lat=2ms".to_string()])]
    pub storages: Vec<String>,
    /// Folder the storages' work folders go into (their mount points, backing folders).
    #[arg(long, env = "IOLAB_DATA_DIR", default_value = "results/corpora")]
    pub data_dir: PathBuf,
    /// Rounds, each timing the reads with the delay off, then on, by each tool (1 to 1000).
    #[arg(long, default_value_t = 9, value_name = "N")]
    pub rounds: u32,
    /// Reads per round, tool and delay state (10 to 100000).
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub reads: u32,
    /// Threads (fio: jobs) reading at once after the single-threaded rounds, `--reads` each,
    /// reported beside them, not held (1 to 1024; 1 skips it).
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub threads: u32,
    /// Skip fio.
    #[arg(long)]
    pub no_fio: bool,
}

/// `iolab storage probe`
#[derive(Debug, Args, Clone)]
pub struct StorageProbeArgs {
    /// Storages: data-dir, tmpfs, ext4, ext4-nojournal, xfs, btrfs, emulated:lat=1ms,meta=…,qd=16,bw=200MB/s,
    /// emulated:nfs-lan, emulated:cloud-block, emulated:hdd (`iolab storage list` describes them).
    #[arg(required = true, value_name = "STORAGE")]
    pub storages: Vec<String>,
    /// Folder the storages' work folders go into (their images, mount points, backing folders).
    #[arg(long, env = "IOLAB_DATA_DIR", default_value = "results/corpora")]
    pub data_dir: PathBuf,
    /// Length of each reads/s measurement and of each fio run.
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    pub seconds: String,
    /// Skip fio.
    #[arg(long)]
    pub no_fio: bool,
    /// Internal (tests): hold each storage this many seconds after providing it.
    #[arg(long, hide = true, value_name = "SECONDS")]
    pub hold: Option<u64>,
}

/// `iolab corpus …`
#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Generate a corpus, or reuse it when its manifest matches and verifies.
    Create(CorpusArgs),
    /// Recompute every checksum and report each mismatch.
    Verify {
        /// The corpus folder.
        dir: PathBuf,
    },
    /// Delete what iolab made in a corpus folder (the folder too when nothing else is left), or with --scratch the scratch folders of runs that are gone.
    Clean {
        /// The corpus folder.
        #[arg(required_unless_present = "scratch", conflicts_with = "scratch")]
        dir: Option<PathBuf>,
        /// Remove the `scratch-*` folders of finished or killed runs in the data folder.
        #[arg(long)]
        scratch: bool,
        /// Folder for corpora and scratch space (with --scratch).
        #[arg(long, env = "IOLAB_DATA_DIR", default_value = "results/corpora")]
        data_dir: PathBuf,
    },
}

/// Corpus shape and location.
#[derive(Debug, Args, Clone)]
pub struct CorpusArgs {
    /// Corpus folder (default: `<data-dir>/<shape>`).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Named size: quick (1,000 × 100 lines), default (10,000 × 1,000), seed (10,000 × 10,000, ~6 GB).
    #[arg(long, value_enum, default_value = "quick")]
    pub scale: Scale,
    /// Number of files (overrides the scale).
    #[arg(long)]
    pub files: Option<u32>,
    /// Lines per file (overrides the scale).
    #[arg(long)]
    pub lines: Option<u32>,
    /// Integers per line (default 10).
    #[arg(long)]
    pub values: Option<u32>,
    /// Also make one large file of about this size, e.g. 4GiB.
    #[arg(long, value_name = "SIZE")]
    pub large_file: Option<String>,
    /// How the data files are spread over folders: flat (default, all in the corpus folder) or sharded:K (file k in subfolder shard-M where M = k mod K, K from 1 to 4096); the files tasks write in the scratch folder follow the same layout.
    #[arg(long, value_name = "flat|sharded:K")]
    pub folders: Option<String>,
    /// Folder for corpora and scratch space.
    #[arg(long, env = "IOLAB_DATA_DIR", default_value = "results/corpora")]
    pub data_dir: PathBuf,
}

/// How MPI ranks share the work (meaningful under `mpirun`/`srun` with a
/// build with the `mpi` feature; one rank is unaffected by the layout and
/// reorder).
#[derive(Debug, Args, Clone)]
pub struct ClientArgs {
    /// How ranks share the corpus: per-rank (each its own corpus under DATA/rank-R/, like mdtest -u) or shared (one corpus, files split into contiguous blocks).
    #[arg(long, value_enum, default_value = "per-rank")]
    pub layout: crate::experiment::layout::Layout,
    /// Rank r reads what rank (r+K) mod N owns: its corpus (per-rank) or its block (shared), like IOR -C.
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub reorder: u32,
    /// Stop every rank's task loop this many seconds after its timed region started (right after the barrier) and count what each finished (IOR -D).
    #[arg(long, value_name = "SECONDS")]
    pub stonewall: Option<String>,
    /// After the stonewall, every rank goes on until it has done as many tasks as the rank that did most; the stonewall phase is reported apart (IOR -O stoneWallingWearOut=1).
    #[arg(long)]
    pub stonewall_wearout: bool,
}

/// Output and progress options shared by commands that run scenarios.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Folder for run folders.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Run identifier (folder name) [default: UTC timestamp]: a plain name of
    /// at most 100 bytes, without `/`, control characters or a leading `-`,
    /// not `.` or `..`.
    #[arg(long, value_parser = plan::run_id)]
    pub run_id: Option<String>,
    /// Hide progress bars.
    #[arg(long)]
    pub no_progress: bool,
    /// Sample each repetition's kernel stacks with `perf record -a -g -F 99`
    /// (root or perf_event_paranoid -1) and record its top kernel functions
    /// (`kernel_profile` in runs.csv); the report names them for slow
    /// repetitions. Costs about 2 % of one CPU while sampling.
    #[arg(long)]
    pub kernel_profile: bool,
}

/// Measurement options shared by commands that run scenarios.
#[derive(Debug, Args, Clone)]
pub struct MeasureArgs {
    /// Measured repetitions per scenario.
    #[arg(long, default_value_t = 5)]
    pub reps: u32,
    /// Discarded warm-up repetitions per scenario.
    #[arg(long, default_value_t = 1)]
    pub warmup: u32,
    /// Order of repetitions: interleaved rounds (seeded shuffle) or one scenario after another.
    #[arg(long, value_enum, default_value = "interleaved")]
    pub order: OrderArg,
    /// Seed of the interleaving shuffle and of the bootstrap.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Storage must be idle this long before each repetition (0 skips waiting, e.g. on tmpfs).
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    pub settle: String,
    /// Give up waiting for idle storage after this long.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub settle_timeout: String,
    /// How cold caches are made: auto (drop_caches if root, else fadvise), drop-caches, fadvise.
    #[arg(long, value_enum, default_value = "auto")]
    pub cold_method: ColdMethod,
}

/// `iolab run`
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Experiment files (`experiments/*.toml`) to run instead of a grid given by flags.
    #[arg(value_name = "EXPERIMENT", conflicts_with_all = GRID_FLAGS)]
    pub experiments: Vec<PathBuf>,
    /// Run only scenarios whose `<experiment>/<scenario id>` contains this text (`cli/…` for a grid of flags), with their sequential baselines.
    #[arg(long)]
    pub only: Option<String>,
    /// Print the plan (the scenarios the flags or experiment files expand to, and the skipped combinations), then stop: nothing is created.
    #[arg(long)]
    pub dry_run: bool,
    /// Continue the interrupted (or killed) run in this folder with the plan
    /// its run.json records, skipping every finished repetition.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = SHARED_PLAN_FLAGS.iter().chain(&GRID_FLAGS).chain(&RUN_PLAN_FLAGS))]
    pub resume: Option<PathBuf>,
    /// Workloads (comma-separated).
    #[arg(long, value_delimiter = ',', required_unless_present_any = ["experiments", "resume"], help = help::workloads(), help_heading = GRID)]
    pub workload: Vec<String>,
    /// Workload variants (comma-separated).
    #[arg(long, value_delimiter = ',', help = help::variants(), help_heading = GRID)]
    pub variant: Vec<String>,
    /// Strategies (comma-separated).
    #[arg(long, value_delimiter = ',', help = help::strategies(), help_heading = GRID)]
    pub strategy: Vec<String>,
    /// Cache states (comma-separated): warm, cold [default: warm].
    #[arg(long, value_enum, value_delimiter = ',', help_heading = GRID)]
    pub cache: Vec<CacheState>,
    /// Use only the first N corpus files (write, read, copy, atomic-save),
    /// for scenarios too slow to run on the whole corpus (comma-separated)
    /// [default: all].
    #[arg(long, value_name = "N", value_delimiter = ',', help_heading = GRID)]
    pub first_files: Vec<u32>,
    /// Kill the worker processes once this percentage of tasks has finished
    /// (atomic-save under processes or nested: the crash experiment; 0 runs
    /// to the end; comma-separated).
    #[arg(long, value_name = "PCT", value_delimiter = ',', help_heading = GRID)]
    pub kill_at: Vec<u32>,
    /// What state of the scratch filesystem each repetition starts from (comma-separated: each policy is a scenario of its own) [default: fresh-fs, falling back to rotate where it cannot work].
    #[arg(long, value_enum, value_delimiter = ',', help_heading = GRID)]
    pub scratch_policy: Vec<crate::corpus::ScratchPolicy>,
    /// Before each repetition, create N empty files in the scratch folder, settle, then delete them just before the timed region (variant `+after-delete-N`): the cost of creating files right after a deletion, measured directly (comma-separated).
    #[arg(long, value_name = "N", value_delimiter = ',', help_heading = GRID)]
    pub after_deleting: Vec<u32>,
    /// Storages to put the corpus and scratch on, each a scenario of its own: data-dir (the default: the data folder as it is), tmpfs, ext4, ext4-nojournal, xfs, btrfs (fresh loop-mounted images), emulated:lat=…,meta=…,qd=…,bw=… or emulated:PRESET (comma-separated; an emulated value's own parameters stay with it; each emulated value brings its zero-latency twin; `iolab storage list` describes them).
    #[arg(long, value_name = "STORAGE", help_heading = GRID)]
    pub storage: Vec<String>,
    /// MPI rank counts to sweep in one job (comma-separated, each at most the ranks mpirun started; mdtest's sweep of -N/-n): each scenario runs on ranks 0..N of a sub-communicator while the others wait idle, each count a scenario of its own (variant `+ranks-N`) [default: every rank].
    #[arg(long, value_name = "N", value_delimiter = ',', help_heading = GRID)]
    pub ranks: Vec<u32>,
    /// Do not add the sequential baseline when it is missing.
    #[arg(long, help_heading = GRID)]
    pub no_baseline: bool,
    /// The values of the knob flags (every registered strategy's and
    /// workload's knob, [`command`] adds their flags), by key, as given.
    #[arg(skip)]
    pub knobs: Vec<(String, Vec<String>)>,
    /// MPI clients (`mpirun -np N iolab run …`).
    #[command(flatten)]
    pub clients: ClientArgs,
    /// Corpus to run on.
    #[command(flatten)]
    pub corpus: CorpusArgs,
    /// A folder of the user's own files to run on instead.
    #[command(flatten)]
    pub input: InputArgs,
    /// Measurement.
    #[command(flatten)]
    pub measure: plan::RunMeasureArgs,
    /// Output.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags that shape a plan, refused beside `run --resume` and
/// `bench-all --resume` (the plan comes from the run's `run.json`).
const SHARED_PLAN_FLAGS: [&str; 14] = [
    "only",
    "dry_run",
    "scale",
    "reps",
    "ci_width",
    "budget",
    "warmup",
    "order",
    "seed",
    "settle",
    "settle_timeout",
    "cold_method",
    "out",
    "run_id",
];

/// The help heading of the flags that make the grid (besides the knobs').
const GRID: &str = "Grid (each flag a [[grid]] key of experiment files)";

/// Flags of `run` that make the grid, refused beside experiment files
/// (which declare their own grids); the corpus and measurement flags
/// override the files instead. The knob flags, generated ([`command`]),
/// refuse them too.
const GRID_FLAGS: [&str; 11] = [
    "workload",
    "variant",
    "strategy",
    "cache",
    "first_files",
    "kill_at",
    "scratch_policy",
    "after_deleting",
    "storage",
    "ranks",
    "no_baseline",
];

/// The other flags of `run` alone that shape a plan; with [`GRID_FLAGS`],
/// refused beside `--resume`.
const RUN_PLAN_FLAGS: [&str; 9] = [
    "experiments",
    "dir",
    "files",
    "lines",
    "values",
    "large_file",
    "folders",
    "input",
    "input_glob",
];

/// A folder of the user's own files as the input set of a run
/// (`corpus::InputSpec`): a corpus-level setting, as `--files` is.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Input set (your own files)")]
pub struct InputArgs {
    /// Run on this folder of your own files instead of the generated corpus: read-only (nothing in it is written, renamed or deleted), its manifest (paths, sizes, xxh3) kept under --data-dir; only workloads that read their tasks' files run on it (read, copy, your own).
    #[arg(long, value_name = "DIR")]
    pub input: Option<PathBuf>,
    /// Keep only the files of --input whose path relative to it matches this glob (`**/*.rs`, `*.csv`).
    #[arg(long, value_name = "GLOB", requires = "input")]
    pub input_glob: Option<String>,
    /// How a later use checks --input against its manifest: fast (size and modification time; a file that differs is hashed again) or full (every file hashed again).
    #[arg(long, value_name = "HOW", default_value = "fast", value_parser = crate::corpus::InputCheck::NAMES.to_vec(), requires = "input")]
    pub input_check: String,
}

/// `iolab bench-all`
#[derive(Debug, Args, Clone)]
pub struct BenchAllArgs {
    /// Continue the interrupted (or killed) bench-all run in this folder with
    /// the plan its run.json records, then write its report and claims.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = SHARED_PLAN_FLAGS)]
    pub resume: Option<PathBuf>,
    /// Named size of the corpora.
    #[arg(long, value_enum, default_value = "default")]
    pub scale: Scale,
    /// How the corpora's data files are spread over folders: flat or sharded:K (K from 1 to 4096); overrides the experiment files' `folders` (default: flat).
    #[arg(long, value_name = "flat|sharded:K", conflicts_with = "resume")]
    pub folders: Option<String>,
    /// Folder of experiment files.
    #[arg(long, default_value = "experiments")]
    pub experiments: PathBuf,
    /// Run only scenarios whose `<experiment>/<scenario id>` contains this text, with their sequential baselines.
    #[arg(long)]
    pub only: Option<String>,
    /// List the scenarios the experiment files expand to (and the skipped combinations), then stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not install the Python reference programs' packages (aiofiles,
    /// aiofile) when they are missing; the scenarios that need them are then
    /// recorded as unavailable.
    #[arg(long)]
    pub no_python_setup: bool,
    /// Run the whole lab on these storages (comma-separated, as `run
    /// --storage` takes them: tmpfs, ext4, xfs, emulated:lat=1ms…, each
    /// emulated value with its zero-latency twin): every experiment file's
    /// blocks get this storage axis in place of their own, and the claims
    /// are judged per storage.
    #[arg(long, value_name = "LIST", conflicts_with = "resume")]
    pub storage: Option<String>,
    /// Add the full crossover sweep (`<experiments>/extra/storage-sweep.toml`:
    /// five strategies, five workloads, emulated latencies 0 to 2 ms) to
    /// the run; without it the quick scale runs the short crossover of
    /// `storage.toml` and the default scale none.
    #[arg(long, conflicts_with = "resume")]
    pub storage_sweep: bool,
    /// Folder for rendered reports.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    /// Folder for corpora and scratch space.
    #[arg(long, env = "IOLAB_DATA_DIR", default_value = "results/corpora")]
    pub data_dir: PathBuf,
    /// Measurement.
    #[command(flatten)]
    pub measure: plan::RunMeasureArgs,
    /// Output.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `iolab report`
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// The run folder (`results/<run-id>`).
    pub run_dir: PathBuf,
    /// Folder for reports; the report goes to `<out>/<run-id>/`.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
}

/// `iolab compare`
#[derive(Debug, Args, Clone)]
pub struct CompareArgs {
    /// The earlier run folder (the reference).
    pub run_a: PathBuf,
    /// The later run folder (optional with --pair-by: the earlier run
    /// compared with itself).
    #[arg(required_unless_present = "pair_by")]
    pub run_b: Option<PathBuf>,
    /// Further run folders: runs of different MPI rank counts add the
    /// scaling of aggregate throughput with ranks (table and chart).
    pub more: Vec<PathBuf>,
    /// Folder for the comparison's HTML and Markdown.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Exit with status 2 when any scenario is slower by more than this percent (and the intervals say so).
    #[arg(long, value_name = "PCT")]
    pub fail_on_regression: Option<f64>,
    /// Changes smaller than this percent count as noise.
    #[arg(long, default_value_t = 2.0, value_name = "PCT")]
    pub noise: f64,
    /// Pair scenarios whose ids differ only in this knob's value (A at level=1 against B at level=9; with one run, each two values of a scenario, the smaller the reference) instead of matching equal ids.
    #[arg(long, value_name = "KNOB")]
    pub pair_by: Option<String>,
}

impl CompareArgs {
    /// The request `report::compare_command` takes.
    pub fn request(&self) -> crate::report::compare::CompareRequest {
        crate::report::compare::CompareRequest {
            run_a: self.run_a.clone(),
            run_b: self.run_b.clone(),
            more: self.more.clone(),
            out: self.out.clone(),
            fail_on_regression: self.fail_on_regression,
            noise: self.noise,
            pair_by: self.pair_by.clone(),
        }
    }
}

/// `iolab claims`
#[derive(Debug, Args, Clone)]
pub struct ClaimsArgs {
    /// The run folder.
    pub run_dir: PathBuf,
}

/// `iolab tune`
#[derive(Debug, Args, Clone)]
pub struct TuneArgs {
    /// Named size of the corpus.
    #[arg(long, value_enum, default_value = "default")]
    pub scale: Scale,
    /// Bound on the whole sweep, e.g. 5m or 90s.
    #[arg(long, default_value = "10m")]
    pub budget: String,
    /// Workloads to tune (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "read,write,copy,append")]
    pub workload: Vec<String>,
    /// Variants of the workloads to tune, each tuned apart (comma-separated; default: each workload's default variant, or the one its knob flags imply).
    #[arg(long, value_delimiter = ',')]
    pub variant: Vec<String>,
    /// Concurrent strategies to sweep (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "threads,processes,nested,tokio,io_uring"
    )]
    pub strategy: Vec<String>,
    /// Largest worker count tried.
    #[arg(long, default_value_t = 64)]
    pub max_workers: u32,
    /// Number of files (overrides the scale).
    #[arg(long)]
    pub files: Option<u32>,
    /// Lines per file (overrides the scale).
    #[arg(long)]
    pub lines: Option<u32>,
    /// Cache state of every measurement: warm or cold.
    #[arg(long, value_enum, default_value = "warm")]
    pub cache: CacheState,
    /// The storage every measurement runs on (one value, as `run --storage` takes: data-dir, tmpfs, ext4, xfs, emulated:lat=1ms…); the profile is that storage's, named after it.
    #[arg(long, value_name = "STORAGE", default_value = "data-dir")]
    pub storage: String,
    /// Throughputs whose medians differ by at most this fraction count as the same (the knee's noise band).
    #[arg(long, default_value_t = 0.05, value_name = "FRACTION")]
    pub tolerance: f64,
    /// Compare the new profile with this profile file (.toml or .json).
    #[arg(long, value_name = "PROFILE")]
    pub compare: Option<PathBuf>,
    /// Folder for profiles.
    #[arg(long, default_value = "results/tuning")]
    pub profiles: PathBuf,
    /// Folder for corpora and scratch space.
    #[arg(long, env = "IOLAB_DATA_DIR", default_value = "results/corpora")]
    pub data_dir: PathBuf,
    /// Measurement.
    #[command(flatten)]
    pub measure: MeasureArgs,
    /// Output.
    #[command(flatten)]
    pub output: OutputArgs,
    /// The values of the workload knob flags ([`command`] adds them, as
    /// `run`'s), by key, as given: each combination is tuned apart.
    #[arg(skip)]
    pub knobs: Vec<(String, Vec<String>)>,
}

/// `iolab calibrate`
#[derive(Debug, Args, Clone)]
pub struct CalibrateArgs {
    /// Cache states (comma-separated): warm, cold.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "warm,cold")]
    pub cache: Vec<CacheState>,
    /// Corpus to run on (it gets a large file: 64MiB at quick scale, unless --large-file).
    #[command(flatten)]
    pub corpus: CorpusArgs,
    /// Measurement (--order interleaved alternates which tool goes first; sequential runs iolab first).
    #[command(flatten)]
    pub measure: MeasureArgs,
    /// Output: the run folder gets calibration.csv and calibration.json.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Calibrate many clients instead: run IOR and mdtest (--ior, --mdtest) beside iolab's equivalent scenarios, each under `mpirun -np N`, every rank on its own files (needs the MPI build).
    #[arg(long)]
    pub mpi: bool,
    /// With --mpi: the ranks of every job.
    #[arg(long, default_value_t = 2, value_name = "N", requires = "mpi")]
    pub np: u32,
    /// With --mpi: the IOR executable (its large-file and random-read patterns).
    #[arg(long, value_name = "PATH", requires = "mpi")]
    pub ior: Option<PathBuf>,
    /// With --mpi: the mdtest executable (its many-files write and metadata patterns).
    #[arg(long, value_name = "PATH", requires = "mpi")]
    pub mdtest: Option<PathBuf>,
}

/// Order of repetitions, as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrderArg {
    /// Rounds of all scenarios in a seeded random order.
    Interleaved,
    /// All repetitions of one scenario, then the next.
    Sequential,
}
