//! The calibration's record and its forms: `calibration.json` and
//! `calibration.csv` in a run folder, the terminal table, the report's
//! Markdown table.
//!
//! Owns: the record's fields and their text. Does not own: measuring
//! (`session`), the report's page layout (`crate::report`).

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::pattern::Pattern;
use crate::measure::cache::CacheState;

/// File name of the record in a run folder.
pub const JSON_FILE: &str = "calibration.json";
/// File name of the table in a run folder.
pub const CSV_FILE: &str = "calibration.csv";
/// The most iolab reads of a `calibration.json` (a few KiB).
const JSON_MAX_BYTES: u64 = 16 << 20;

/// One pattern in one cache state: both tools' median throughput and
/// iolab ÷ fio.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Pattern name (`large-file-read-1MiB`, …).
    pub pattern: String,
    /// `warm` or `cold`.
    pub cache: String,
    /// `ok`, `failed`, or `unavailable`.
    pub status: String,
    /// Measured repetitions of each tool.
    pub reps: u32,
    /// iolab's median MB/s (10^6 bytes per second).
    pub iolab_mb_s: Option<f64>,
    /// fio's median MB/s.
    pub fio_mb_s: Option<f64>,
    /// Median iolab ÷ median fio (above 1: iolab is faster).
    pub ratio: Option<f64>,
    /// Lower end of the ratio's 95 % bootstrap interval.
    pub ratio_ci_low: Option<f64>,
    /// Upper end of the ratio's 95 % bootstrap interval.
    pub ratio_ci_high: Option<f64>,
    /// How iolab's cache state was set (`pre-read`, `drop-caches`, `fadvise`, `none`).
    pub iolab_cache_method: String,
    /// How fio's cache state was set.
    pub fio_cache_method: String,
    /// Why it did not run, what failed, or a caveat.
    pub detail: String,
    /// fio's job as a command line.
    pub fio_command: String,
}

impl Row {
    /// An empty `unavailable` row (filled in by the session).
    pub fn new(pattern: Pattern, cache: CacheState) -> Row {
        Row {
            pattern: pattern.name().into(),
            cache: cache.as_str().into(),
            status: "unavailable".into(),
            reps: 0,
            iolab_mb_s: None,
            fio_mb_s: None,
            ratio: None,
            ratio_ci_low: None,
            ratio_ci_high: None,
            iolab_cache_method: String::new(),
            fio_cache_method: String::new(),
            detail: String::new(),
            fio_command: String::new(),
        }
    }

    /// `0.93× [0.88 … 0.99]`, or the status.
    pub fn ratio_text(&self) -> String {
        match (self.ratio, self.ratio_ci_low, self.ratio_ci_high) {
            (Some(r), Some(lo), Some(hi)) => format!("{r:.2}× [{lo:.2} … {hi:.2}]"),
            (Some(r), _, _) => format!("{r:.2}×"),
            _ => self.status.clone(),
        }
    }
}

/// The whole calibration of a run folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// fio's version (`fio-3.33`), when installed.
    pub fio_version: Option<String>,
    /// Why nothing was measured (`unavailable: fio not installed`), if so.
    pub unavailable: Option<String>,
    /// The corpus folder both tools read.
    pub corpus_dir: String,
    /// Measured repetitions per tool and pattern.
    pub reps: u32,
    /// Discarded warm-up repetitions.
    pub warmup: u32,
    /// Seed of fio's and iolab's random offsets and of the bootstrap.
    pub seed: u64,
    /// One row per pattern and cache state.
    pub rows: Vec<Row>,
}

impl Calibration {
    /// Write `calibration.json` and `calibration.csv` into `dir`.
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
        let bytes = csv.into_inner().context("writing calibration.csv")?;
        crate::safefs::write_atomic(dir, CSV_FILE, &bytes)
            .with_context(|| format!("writing {}", dir.join(CSV_FILE).display()))
    }

    /// The record in `dir`, if it has one (read as iolab reads every file:
    /// [`crate::safefs::read_file`], at most 16 MiB).
    ///
    /// # Errors
    /// A record that cannot be read or parsed, naming it.
    pub fn load(dir: &Path) -> anyhow::Result<Option<Calibration>> {
        let path = dir.join(JSON_FILE);
        let Some(text) = crate::safefs::read_file_if_exists(&path, JSON_MAX_BYTES)? else {
            return Ok(None);
        };
        let c =
            serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))?;
        Ok(Some(c))
    }

    /// Header and cells of the table (terminal, Markdown and HTML).
    pub fn table(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let header = vec![
            "pattern",
            "cache",
            "iolab MB/s",
            "fio MB/s",
            "iolab ÷ fio (95% CI)",
            "reps",
            "note",
        ];
        let mb = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.1}"));
        let rows = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.pattern.clone(),
                    format!("{} ({})", r.cache, r.iolab_cache_method),
                    mb(r.iolab_mb_s),
                    mb(r.fio_mb_s),
                    r.ratio_text(),
                    r.reps.to_string(),
                    r.detail.clone(),
                ]
            })
            .collect();
        (header, rows)
    }

    /// The terminal table, or the one unavailable line.
    ///
    /// # Errors
    /// Write errors of `out`.
    pub fn print(&self, out: &mut impl Write) -> io::Result<()> {
        if let Some(why) = &self.unavailable {
            return writeln!(out, "calibration against fio: {why}");
        }
        writeln!(
            out,
            "\nCalibration against {} (same files, same cache state, interleaved; medians of {} repetitions):",
            self.fio_version.as_deref().unwrap_or("fio"),
            self.reps
        )?;
        let (header, rows) = self.table();
        crate::tune::render::table::write_table(out, &header, &rows)
    }

    /// One sentence on how the table was measured, or why it was not.
    pub fn intro(&self) -> String {
        match &self.unavailable {
            Some(why) => why.clone(),
            None => format!(
                "{}; same files, same cache state, repetitions interleaved; medians of {} \
                 repetitions each; iolab ÷ fio above 1 means iolab is faster (docs/calibration.md \
                 explains each difference).",
                self.fio_version.as_deref().unwrap_or("fio"),
                self.reps
            ),
        }
    }
}
