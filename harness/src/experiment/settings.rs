//! What the command line says about a run of experiment files, validated:
//! the scale, corpus overrides, the measurement values that were given (the
//! rest come from the files), and `--only`. Built by `cli::plan`; nothing
//! here sees clap types.

use std::time::Duration;

use crate::corpus::Scale;
use crate::experiment::Order;
use crate::measure::cache::ColdMethod;

/// Corpus shape given on the command line; each overrides the experiment
/// files and the scale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorpusOverrides {
    /// Number of files.
    pub files: Option<u32>,
    /// Lines per file.
    pub lines: Option<u32>,
    /// Integers per line.
    pub values: Option<u32>,
    /// Size of the large file in bytes.
    pub large_file: Option<u64>,
    /// How the data files are spread over folders (`--folders`).
    pub folders: Option<crate::corpus::Folders>,
    /// A folder of the user's own files to run on instead of the corpus.
    pub input: Option<crate::corpus::InputSpec>,
}

/// The validated command-line settings of `iolab run x.toml` and `iolab bench-all`.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Named size: picks the corpus and each file's `[scale.<name>]` overrides.
    pub scale: Scale,
    /// Corpus overrides from flags.
    pub corpus: CorpusOverrides,
    /// `--reps`, overriding every file.
    pub reps: Option<super::reps::Reps>,
    /// `--ci-width`: the target of `--reps auto` (default 10 %).
    pub ci_width_pct: Option<f64>,
    /// `--budget`: the time `--reps auto` may take.
    pub budget: Option<Duration>,
    /// `--warmup`, overriding every file.
    pub warmup: Option<u32>,
    /// `--settle`, overriding every file.
    pub settle: Option<Duration>,
    /// `--settle-timeout`, overriding every file.
    pub settle_timeout: Option<Duration>,
    /// Order of repetitions.
    pub order: Order,
    /// How cold caches are made.
    pub cold_method: ColdMethod,
    /// Seed of the shuffle, the bootstrap and random offsets.
    pub seed: u64,
    /// Keep only scenarios whose `<experiment>/<id>` contains this text.
    pub only: Option<String>,
    /// `bench-all --storage`: every scenario on each of these storages
    /// (with each emulated one's twin) in place of its block's own.
    pub storages: Option<Vec<crate::storage::Storage>>,
}

/// Parse `0`, `500ms`, `2s`, `1.5s`, `5m`, `1h`; `None` for anything else.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n.parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(secs).ok()
}

/// A wait before each repetition, with the longest allowed: a settle window
/// longer than that is a typo, not a measurement setting, and would stall a
/// run for hours before the first repetition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// `--settle` / `settle`: 0 (skip waiting) to 10 minutes.
    Settle,
    /// `--settle-timeout` / `settle_timeout`: 0 to 1 hour.
    SettleTimeout,
}

impl Wait {
    /// The longest duration allowed.
    pub const fn max(self) -> Duration {
        match self {
            Wait::Settle => Duration::from_secs(10 * 60),
            Wait::SettleTimeout => Duration::from_secs(60 * 60),
        }
    }

    /// What is allowed, for messages.
    pub fn allowed(self) -> &'static str {
        match self {
            Wait::Settle => "a duration from 0 to 10m, such as 0, 500ms, 2s or 1m",
            Wait::SettleTimeout => "a duration from 0 to 1h, such as 30s, 2m or 1h",
        }
    }

    /// Parse `text` and check it against [`Wait::max`].
    ///
    /// # Errors
    /// What is allowed ([`Wait::allowed`]), for a text that does not parse or
    /// is too long.
    pub fn parse(self, text: &str) -> Result<Duration, &'static str> {
        parse_duration(text)
            .filter(|d| *d <= self.max())
            .ok_or_else(|| self.allowed())
    }
}

/// Size of the large file when a workload needs one and nothing says how
/// big: quick 64 MiB, default 1 GiB, seed 4 GiB.
pub fn default_large_file(scale: Scale) -> u64 {
    match scale {
        Scale::Quick => 64 << 20,
        Scale::Default => 1 << 30,
        Scale::Seed => 4 << 30,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("200ms"), Some(Duration::from_millis(200)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("-1s"), None);
    }

    #[test]
    fn waits_are_bounded() {
        assert_eq!(Wait::Settle.parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(Wait::Settle.parse("10.5m"), Err(Wait::Settle.allowed()));
        assert_eq!(Wait::Settle.parse("99999h"), Err(Wait::Settle.allowed()));
        assert_eq!(
            Wait::SettleTimeout.parse("1h"),
            Ok(Duration::from_secs(3600))
        );
        assert!(Wait::SettleTimeout.parse("61m").is_err());
        assert!(Wait::SettleTimeout.parse("1e9s").is_err());
    }
}
