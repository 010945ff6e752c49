//! One row of `runs.csv`: one repetition of one scenario. The columns are
//! documented in `docs/results.md`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::columns::row_type;
use crate::measure::cache::CacheMethod;
use crate::sys::kernel::vm_counters;

/// How a repetition ended, written as `ok`, `failed` or `unavailable`
/// (serde and [`Display`](fmt::Display) give the same text).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It ran to the end without task errors (whether its data verified is
    /// [`Row::verified`]).
    Ok,
    /// It broke: task errors, a command that exited non-zero, a harness
    /// step that failed under MPI. A row is failed until its repetition
    /// ran, so this is the default.
    #[default]
    Failed,
    /// It cannot run here (a kernel feature, a program or a permission is
    /// missing); the reason is the row's `detail`.
    Unavailable,
}

impl Status {
    /// The text written in `runs.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

// The row's columns in file order: its own, with the scenario identity's
// (`columns::row_type!`) and the vmstat counters' (`sys::kernel::vm_counters!`)
// spliced in where it names them.
vm_counters!(row_type! {
/// A repetition's measurements and verification.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Run identifier.
    pub run_id: String,
    ..ScenarioIdentity,
    /// How it was made; empty when the repetition failed before the cache
    /// was prepared.
    pub cache_method: Option<CacheMethod>,
    /// Percent of input pages resident just before timing (empty: no inputs).
    pub cache_resident_pct: Option<f64>,
    /// Repetition number (warm-ups first).
    pub rep: u32,
    /// Whether this repetition was a discarded warm-up.
    pub warmup: bool,
    /// Position in the run's schedule.
    pub order: u32,
    /// The MPI rank this row measured, or `all` for the aggregate of every
    /// rank (a single-process run writes only `all` rows; older files
    /// without the column read as `all`).
    #[serde(default = "aggregate_rank")]
    pub rank: String,
    /// Number of ranks in the run (1 without MPI).
    #[serde(default = "one")]
    pub ranks: u32,
    /// How the repetition ended.
    pub status: Status,
    /// Whether the data verified.
    pub verified: bool,
    /// What was checked, or what failed, or why unavailable.
    pub detail: String,
    /// Wall seconds of the timed region.
    pub wall_s: f64,
    /// User CPU seconds (self and workers).
    pub user_s: f64,
    /// System CPU seconds (self and workers).
    pub sys_s: f64,
    /// CPU seconds per GiB of payload.
    pub cpu_s_per_gib: f64,
    /// Peak resident memory in bytes.
    pub peak_rss_bytes: u64,
    /// Voluntary context switches.
    pub voluntary_ctx: u64,
    /// Involuntary context switches.
    pub involuntary_ctx: u64,
    /// Minor page faults of iolab's process and its workers over the
    /// region (`ru_minflt`): mostly first touches of fresh memory; empty in
    /// files from before the column.
    #[serde(default)]
    pub minor_faults: Option<u64>,
    /// Bytes read from storage.
    pub storage_read_bytes: u64,
    /// Bytes written toward storage.
    pub storage_write_bytes: u64,
    /// Tasks run.
    pub tasks: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// Payload throughput in MB/s (10^6 bytes per second).
    pub mb_per_s: f64,
    /// Tasks per second (files per second for per-file workloads).
    pub tasks_per_s: f64,
    /// Task latency median, µs.
    pub lat_p50_us: f64,
    /// Task latency 90th percentile, µs.
    pub lat_p90_us: f64,
    /// Task latency 99th percentile, µs.
    pub lat_p99_us: f64,
    /// Slowest task, µs.
    pub lat_max_us: f64,
    /// When the first lane finished, seconds since start.
    pub first_done_s: f64,
    /// When the last lane finished.
    pub last_done_s: f64,
    /// When the timed region started, seconds since the barrier that opened
    /// it (the common clock of every rank).
    #[serde(default)]
    pub region_start_s: f64,
    /// When it ended, on the same clock.
    #[serde(default)]
    pub region_end_s: f64,
    /// Aggregate rows: last rank done − first rank done, seconds.
    #[serde(default)]
    pub straggler_s: Option<f64>,
    /// Aggregate rows: the slowest rank's MB/s.
    #[serde(default)]
    pub rank_mb_per_s_min: Option<f64>,
    /// Aggregate rows: the median rank's MB/s.
    #[serde(default)]
    pub rank_mb_per_s_median: Option<f64>,
    /// Aggregate rows: the fastest rank's MB/s.
    #[serde(default)]
    pub rank_mb_per_s_max: Option<f64>,
    /// Intact appended lines.
    pub append_intact: Option<u64>,
    /// Corrupted appended lines.
    pub append_corrupted: Option<u64>,
    /// Missing appended lines.
    pub append_missing: Option<u64>,
    /// Torn save targets.
    pub torn: Option<u64>,
    /// Seconds spent waiting for storage to go quiet before this repetition.
    pub settle_s: f64,
    /// Whether storage went quiet within the timeout.
    pub settle_idle: bool,
    /// RFC 3339 time the repetition started.
    pub started_at: String,
    /// System CPU as a share of all CPU (user + system), percent.
    #[serde(default)]
    pub sys_cpu_pct: Option<f64>,
    ..VmCounts,
    /// `Dirty:` of `/proc/meminfo` just before the region, kB.
    #[serde(default)]
    pub dirty_kb_before: Option<u64>,
    /// `Dirty:` just after, kB.
    #[serde(default)]
    pub dirty_kb_after: Option<u64>,
    /// `Writeback:` just before, kB.
    #[serde(default)]
    pub writeback_kb_before: Option<u64>,
    /// `Writeback:` just after, kB.
    #[serde(default)]
    pub writeback_kb_after: Option<u64>,
    /// I/O pressure, some tasks stalled, µs (`/proc/pressure/io`).
    #[serde(default)]
    pub psi_io_some_us: Option<u64>,
    /// I/O pressure, all non-idle tasks stalled, µs.
    #[serde(default)]
    pub psi_io_full_us: Option<u64>,
    /// Memory pressure, some tasks stalled, µs.
    #[serde(default)]
    pub psi_mem_some_us: Option<u64>,
    /// Memory pressure, all non-idle tasks stalled, µs.
    #[serde(default)]
    pub psi_mem_full_us: Option<u64>,
    /// Top kernel functions of a `perf` sample of this repetition,
    /// `function:percent;…` (empty unless profiled and slow).
    #[serde(default)]
    pub kernel_profile: String,
    /// Tasks the repetition planned (this rank's; aggregate rows: every
    /// rank's), against which `tasks` counts those done; 0 in files from
    /// before the column and in rows that did not run.
    #[serde(default)]
    pub planned_tasks: u64,
    /// Whether the stonewall's deadline stopped the repetition before it
    /// had taken every planned task (aggregate rows: on any rank).
    #[serde(default)]
    pub stonewalled: bool,
    /// With `--stonewall`: tasks done in the stonewall phase (those taken
    /// before the deadline; aggregate rows: summed).
    #[serde(default)]
    pub stonewall_tasks: Option<u64>,
    /// With `--stonewall`: payload bytes of the stonewall phase.
    #[serde(default)]
    pub stonewall_bytes: Option<u64>,
    /// With `--stonewall`: when the stonewall phase ended (every lane had
    /// stopped), seconds since the region's start (aggregate rows: the
    /// latest end since the earliest start).
    #[serde(default)]
    pub stonewall_s: Option<f64>,
    /// With `--stonewall-wearout`: tasks done after the stonewall phase,
    /// to reach the count of the rank that did most (`tasks` counts both
    /// phases).
    #[serde(default)]
    pub wearout_tasks: Option<u64>,
    /// A user workload's metrics, by name: the columns `m_<name>` after
    /// every other (`runs_file` writes and reads them: their set is the
    /// run's, not the type's); empty for the built-in workloads and in
    /// files from before them.
    #[serde(skip)]
    pub metrics: std::collections::BTreeMap<String, f64>,
}
});

/// The `rank` value of aggregate rows.
pub const ALL: &str = "all";

impl Row {
    /// Whether this row is an aggregate (`rank` = `all`, or empty in a row
    /// built in memory without it): the rows summaries, comparisons, claims
    /// and tuning use.
    pub fn is_aggregate(&self) -> bool {
        self.rank.is_empty() || self.rank == ALL
    }
}

/// The program of a `command` scenario of a file written before the
/// `program` column, read from its id (`append/mutex/command-append_lock-8/warm`
/// gives `append_lock`): only the loader uses it, for old files.
pub(super) fn program_from_old_id(scenario_id: &str) -> Option<String> {
    let slug = scenario_id.rsplit('/').nth(1)?;
    let name = slug.strip_prefix("command-")?;
    Some(name.rsplit_once('-').map_or(name, |(n, _)| n).to_string())
}

fn aggregate_rank() -> String {
    ALL.into()
}

fn one() -> u32 {
    1
}

/// Round to `digits` decimals, so files hold fixed, stable figures.
pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::cache::CacheState;
    use crate::sys::kernel::VmCounts;

    #[test]
    fn enums_keep_the_text_files_always_had() {
        let texts = |v: serde_json::Value| v.as_str().unwrap().to_string();
        for (s, text) in [
            (Status::Ok, "ok"),
            (Status::Failed, "failed"),
            (Status::Unavailable, "unavailable"),
        ] {
            assert_eq!(
                (s.to_string(), texts(serde_json::json!(s))),
                (text.into(), text.into())
            );
        }
        for (c, text) in [(CacheState::Warm, "warm"), (CacheState::Cold, "cold")] {
            assert_eq!(
                (c.to_string(), texts(serde_json::json!(c))),
                (text.into(), text.into())
            );
        }
        for (m, text) in [
            (CacheMethod::PreRead, "pre-read"),
            (CacheMethod::DropCaches, "drop-caches"),
            (CacheMethod::Fadvise, "fadvise"),
            (CacheMethod::None, "none"),
        ] {
            assert_eq!(
                (m.to_string(), texts(serde_json::json!(m))),
                (text.into(), text.into())
            );
        }
    }

    #[test]
    fn a_row_goes_through_csv_unchanged_and_empty_cells_stay_empty() {
        let rows = [
            Row {
                scenario_id: "copy/whole/command-cp-1/cold".into(),
                program: Some("cp".into()),
                cache: CacheState::Cold,
                cache_method: Some(CacheMethod::Fadvise),
                status: Status::Unavailable,
                ..Row::default()
            },
            Row::default(),
        ];
        let mut w = csv::Writer::from_writer(Vec::new());
        for r in &rows {
            w.serialize(r).unwrap();
        }
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let cells: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        let header = csv::Reader::from_reader(text.as_bytes())
            .headers()
            .unwrap()
            .clone();
        let cell = |i: usize, name: &str| {
            cells[i][header.iter().position(|h| h == name).unwrap()].to_string()
        };
        assert_eq!(
            ["program", "cache", "cache_method", "status"].map(|c| cell(0, c)),
            ["cp", "cold", "fadvise", "unavailable"]
        );
        assert_eq!(
            ["program", "cache", "cache_method", "status"].map(|c| cell(1, c)),
            ["", "warm", "", "failed"]
        );
        let back: Vec<Row> = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .map(Result::unwrap)
            .collect();
        assert_eq!(back, rows);
    }

    #[test]
    fn old_ids_give_the_command_program_only() {
        assert_eq!(
            program_from_old_id("append/mutex/command-append_lock-8/warm").as_deref(),
            Some("append_lock")
        );
        assert_eq!(program_from_old_id("read/whole/threads-4/warm"), None);
        assert_eq!(program_from_old_id("noslash"), None);
    }

    #[test]
    fn the_vm_columns_follow_the_counter_table() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(Row::default()).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let vm: Vec<&str> = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .filter(|c| c.starts_with("vm_"))
            .collect();
        let table = serde_json::to_value(VmCounts::default()).unwrap();
        let names: Vec<&str> = table
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let (mut vm_sorted, mut names_sorted) = (vm.clone(), names.clone());
        vm_sorted.sort_unstable();
        names_sorted.sort_unstable();
        assert_eq!(vm_sorted, names_sorted);
        let mut row = Row::default();
        row.set_vm_counts(&VmCounts {
            vm_major_faults: 7,
            ..VmCounts::default()
        });
        assert_eq!(
            (row.vm_major_faults, row.vm_dirtied_pages),
            (Some(7), Some(0))
        );
    }
}
