//! The report's charts: what each shows, as data ([`Chart`], one spec type
//! per figure), and drawing a spec to a PNG with plotters.
//!
//! Building a spec is pure (summary rows in, numbers and labels out), so the
//! specs are snapshot-tested as data; drawing is one function per figure, in
//! the figure's own file, with the shared look from [`super::style`] and the
//! shared primitives of [`draw`]. A figure with no data yields no spec, so no
//! chart is ever drawn empty.
//!
//! Owns: chart specs and PNG files. Does not own: where charts go on the page
//! (`html`), or the statistics behind the numbers (`crate::stats`).

pub mod append;
pub mod atomic;
pub mod chunks;
pub mod cpu;
pub mod draw;
pub mod glyphs;
pub mod latency;
pub mod metadata;
pub mod nested;
pub mod rank_scaling;
pub mod ranks;
pub mod ratio;
pub mod scaling;
pub mod storage;
pub mod throughput;
pub mod timeline;
pub mod tuning;

use std::path::Path;

use serde::Serialize;

use crate::results::SummaryRow;

/// The page section a chart belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// Several storages: the filesystem matrix, one chart per workload.
    Storage,
    /// An emulated latency sweep: speedup against latency per workload.
    Crossover,
    /// Throughput per strategy, one chart per workload.
    Throughput,
    /// Throughput per MPI rank (runs with several ranks).
    Ranks,
    /// Throughput against worker count.
    Scaling,
    /// Nested pools: processes × threads.
    Nested,
    /// Scan and stream: throughput against chunk size.
    Chunks,
    /// Random reads: latency percentiles.
    Latency,
    /// Appends: intact, corrupted and missing lines.
    Append,
    /// Atomic saves: time per save, torn files.
    Atomic,
    /// Metadata operations: file operations per second.
    Metadata,
    /// Wall against user and system CPU time.
    Cpu,
    /// Throughput per interval inside each repetition.
    Timeline,
    /// A tuning sweep (`tuning.json`): curves and knees per workload.
    Tuning,
}

impl Section {
    /// Every chart section, in page order.
    pub const ALL: [Section; 14] = [
        Section::Storage,
        Section::Crossover,
        Section::Throughput,
        Section::Ranks,
        Section::Scaling,
        Section::Nested,
        Section::Chunks,
        Section::Latency,
        Section::Append,
        Section::Atomic,
        Section::Metadata,
        Section::Cpu,
        Section::Timeline,
        Section::Tuning,
    ];

    /// The HTML id of the section.
    pub fn id(self) -> &'static str {
        match self {
            Section::Storage => "storage",
            Section::Crossover => "crossover",
            Section::Throughput => "throughput",
            Section::Ranks => "ranks",
            Section::Scaling => "scaling",
            Section::Nested => "nested",
            Section::Chunks => "chunks",
            Section::Latency => "latency",
            Section::Append => "append",
            Section::Atomic => "atomic",
            Section::Metadata => "metadata",
            Section::Cpu => "cpu",
            Section::Timeline => "timeline",
            Section::Tuning => "tuning",
        }
    }

    /// The section's heading.
    pub fn title(self) -> &'static str {
        match self {
            Section::Storage => "The filesystem matrix",
            Section::Crossover => "The crossover: speedup against storage latency",
            Section::Throughput => "Throughput per strategy",
            Section::Ranks => "Throughput per MPI rank",
            Section::Scaling => "Scaling with workers",
            Section::Nested => "Nested pools: processes × threads",
            Section::Chunks => "Scan and stream: chunk size",
            Section::Latency => "Random reads: latency",
            Section::Append => "Concurrent appends: lost and corrupted lines",
            Section::Atomic => "Atomic saves",
            Section::Metadata => "Metadata: many small files",
            Section::Cpu => "Where the time went: wall vs CPU",
            Section::Timeline => "Inside each repetition: throughput over time",
            Section::Tuning => "Tuning",
        }
    }

    /// One or two sentences on how to read the section's charts.
    pub fn intro(self) -> &'static str {
        match self {
            Section::Storage => "Per workload, each storage's sequential time (black) beside its fastest strategy's (that strategy's colour, named at the right), medians with their 95 % bootstrap intervals, on a log scale. Every storage ran in this run, its repetitions interleaved with the others'.",
            Section::Crossover => "Per workload, each strategy's speedup over sequential on the emulated storage against the latency it adds per operation, the shaded band its 95 % interval; the dashed line is 1× (no gain). lat=0 (the zero-latency twin: FUSE alone) is drawn at the left end. Where the wait per operation exceeds the CPU per operation, concurrency starts to pay.",
            Section::Throughput => "Median throughput of each scenario with its 95 % bootstrap interval (whiskers), fastest first. The sequential baseline is outlined in black; the text gives the speedup over it with its own interval.",
            Section::Ranks => "Each MPI rank's median throughput per scenario, whiskers from its slowest to its fastest repetition; the slowest rank is marked. The aggregate (all ranks, total bytes over the earliest start to the latest end) is in the throughput section above. A run sweeping rank counts (`--ranks 1,2,4`) adds the aggregate throughput against the number of ranks, one panel per scenario and one line per layout, the shaded band its 95 % interval.",
            Section::Scaling => "Median throughput against the number of workers, one line per strategy; the shaded band is the 95 % interval. The dashed line is the sequential baseline.",
            Section::Nested => "Median throughput of P worker processes each running T threads; within a panel, darker is faster. The panel title gives the sequential baseline.",
            Section::Chunks => "Median throughput against the chunk (or buffer) size, one line per method, warm and cold caches side by side. Methods without a chunk size (mmap) are drawn as dashed horizontal lines.",
            Section::Latency => "Per-task latency: median (p50) and 99th percentile of each scenario, on a log scale.",
            Section::Append => "What became of the appended lines, as a share of the lines written. Red is data loss; a variant that lost data has its name in red.",
            Section::Atomic => "Median time per save, with a whisker to the 99th percentile; torn files, where counted, are printed next to the bar (red when any).",
            Section::Metadata => "File operations per second of each metadata phase (create, stat, open-close, unlink) and of the whole cycle (all), per strategy, with the 95 % interval (whiskers) and the speedup over one caller; a create or open counts with its close as one operation, as in mdtest.",
            Section::Cpu => "Median wall time next to the CPU time (user + system) of each scenario. CPU well below wall: waiting for I/O. CPU near or above wall: CPU-bound (or parallel).",
            Section::Timeline => "Throughput per 100 ms inside each measured repetition (from `timeseries.csv`, counted from the tasks' completion times), one line per repetition, one panel per scenario. A line that drops to zero and recovers is a stall, shown where it happened; a repetition shorter than 100 ms is one point.",
            Section::Tuning => "The `iolab tune` sweep: median throughput against total workers, one line per strategy (for nested pools, the best cell of each total), the shaded band is the 95 % interval; the dashed line is the median sequential baseline of the workload's rounds, and the ringed point is the knee chosen for each strategy.",
        }
    }
}

/// One chart: the data it shows and where its PNG goes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chart {
    /// File stem of its PNG, unique within a report (e.g. `throughput-read`).
    pub id: String,
    /// The page section it belongs to.
    pub section: Section,
    /// Its title, drawn on the chart and used as the image's alt text.
    pub title: String,
    /// The figure's data.
    pub figure: Figure,
}

/// The data of one figure, one variant per kind of figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Figure {
    /// Sorted throughput bars with intervals and speedups.
    Throughput(throughput::ThroughputFigure),
    /// Throughput against workers.
    Scaling(scaling::ScalingFigure),
    /// Processes × threads heatmap.
    Nested(nested::NestedFigure),
    /// Throughput against chunk size.
    Chunks(chunks::ChunkFigure),
    /// Latency percentiles.
    Latency(latency::LatencyFigure),
    /// Stacked append outcome bars.
    Append(append::AppendFigure),
    /// Time per save.
    Atomic(atomic::AtomicFigure),
    /// Wall vs CPU.
    Cpu(cpu::CpuFigure),
    /// Tuning sweep curves and knees.
    Tuning(tuning::TuningFigure),
    /// Throughput over time inside repetitions.
    Timeline(timeline::TimelineFigure),
    /// The filesystem matrix of one workload.
    Storage(storage::MatrixFigure),
    /// Speedup against emulated latency.
    Crossover(storage::CrossoverFigure),
    /// Aggregate throughput against the rank counts of a `--ranks` sweep.
    RankScaling(scaling::ScalingFigure),
}

/// Whether `file_name` is a chart PNG a report renders (`throughput-*.png`,
/// `nested.png`…), so a new rendering may replace or remove it; other files
/// in a report folder (a screenshot, notes) are left alone.
pub fn is_chart_file(file_name: &str) -> bool {
    let Some(stem) = file_name.strip_suffix(".png") else {
        return false;
    };
    let families = [
        "throughput-",
        "ranks-",
        "scaling-",
        "chunks-",
        "latency-",
        "cpu-",
        "tuning-",
        "timeline-",
        "storage-",
        "crossover-",
    ];
    families.iter().any(|f| stem.starts_with(f))
        || ["nested", "append", "atomic-save", "metadata"].contains(&stem)
}

/// Every chart the summary rows call for, in page order.
pub fn plan(rows: &[SummaryRow]) -> Vec<Chart> {
    let mut charts = storage::specs(rows);
    charts.extend(throughput::specs(rows));
    charts.extend(scaling::specs(rows));
    charts.extend(nested::specs(rows));
    charts.extend(chunks::specs(rows));
    charts.extend(latency::specs(rows));
    charts.extend(append::specs(rows));
    charts.extend(atomic::specs(rows));
    charts.extend(metadata::specs(rows));
    charts.extend(cpu::specs(rows));
    charts
}

/// Draw `chart` to the PNG file `path`.
///
/// # Errors
/// When the font cannot be registered or plotters cannot draw or write the
/// file; the message names the chart and the path.
pub fn render(chart: &Chart, path: &Path) -> anyhow::Result<()> {
    super::style::register_fonts()?;
    let result = match &chart.figure {
        Figure::Throughput(f) => throughput::draw(&chart.title, f, path),
        Figure::Scaling(f) => scaling::draw(&chart.title, f, path),
        Figure::Nested(f) => nested::draw(&chart.title, f, path),
        Figure::Chunks(f) => chunks::draw(&chart.title, f, path),
        Figure::Latency(f) => latency::draw(&chart.title, f, path),
        Figure::Append(f) => append::draw(&chart.title, f, path),
        Figure::Atomic(f) => atomic::draw(&chart.title, f, path),
        Figure::Cpu(f) => cpu::draw(&chart.title, f, path),
        Figure::Tuning(f) => tuning::draw(&chart.title, f, path),
        Figure::Timeline(f) => timeline::draw(&chart.title, f, path),
        Figure::Storage(f) => storage::draw_matrix(&chart.title, f, path),
        Figure::Crossover(f) => storage::draw_crossover(&chart.title, f, path),
        Figure::RankScaling(f) => rank_scaling::draw(&chart.title, f, path),
    };
    result.map_err(|e| anyhow::anyhow!("drawing chart {} to {}: {e}", chart.id, path.display()))
}
