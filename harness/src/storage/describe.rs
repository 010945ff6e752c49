//! What a storage provider is, as data: its name, parameters (type,
//! default, unit, range, help), what it needs from the machine, and what
//! warm and cold mean on it — in the style of the workload and strategy
//! descriptions (`crate::describe`).
//!
//! Each provider declares its description beside its code (`data_dir.rs`,
//! `tmpfs.rs`, `image.rs`, `emulated/mod.rs`); [`super::StorageKind::desc`]
//! is the one registry, and parsing, errors, `iolab storage list` and the
//! table of `docs/storage.md` are derived from it.
//!
//! Owns: the description types, the checks of a machine against a
//! provider's needs, and the parsing of one parameter value by its kind.
//! Does not own: which parameters a value carries (`spec`).

use std::fmt;
use std::time::Duration;

/// Everything the rest of iolab knows about one storage provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageDesc {
    /// Its name, as written in a storage value (`ext4-nojournal`).
    pub name: &'static str,
    /// One line: what is mounted.
    pub summary: &'static str,
    /// Its parameters (`name:key=value,…`), none for most providers.
    pub params: &'static [ParamDesc],
    /// What the machine must offer; a value whose need is not met is
    /// `unavailable` with the need's reason.
    pub needs: &'static [Need],
    /// What a warm and a cold repetition mean on it.
    pub caches: &'static str,
}

/// One parameter of a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamDesc {
    /// Its key (`lat`).
    pub key: &'static str,
    /// Its type and range.
    pub kind: ParamKind,
    /// The default, as a user writes it (`1ms`; `none` for no limit).
    pub default: &'static str,
    /// One line of help.
    pub help: &'static str,
}

/// A parameter's type and allowed range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A duration (`0`, `500ns`, `100us`, `1.5ms`, `2s`) from `min` to `max`.
    Duration {
        /// Shortest allowed.
        min: Duration,
        /// Longest allowed.
        max: Duration,
    },
    /// A whole number from `min` to `max`.
    Count {
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// A rate in bytes per second (`200MB/s`, `125MiB/s`) from `min` to
    /// `max`, or `none` (no limit).
    Rate {
        /// Lowest allowed, bytes per second.
        min: u64,
        /// Highest allowed, bytes per second.
        max: u64,
    },
}

/// A parameter's parsed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// A duration.
    Duration(Duration),
    /// A count.
    Count(u64),
    /// A rate in bytes per second; `None`: no limit.
    Rate(Option<u64>),
}

/// Something a provider needs from the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Root, and iolab's private mount namespace (`sys::mount::isolate`),
    /// so that whatever is mounted dies with iolab.
    Root,
    /// The FUSE device, `/dev/fuse`.
    DevFuse,
    /// Loop devices (`/dev/loop-control`).
    LoopDevices,
    /// The named program (`mkfs.xfs`), on `PATH` or in `/sbin`, `/usr/sbin`.
    Program(&'static str),
}

impl Need {
    /// Whether this machine meets the need, or why not (one line).
    ///
    /// # Errors
    /// The reason, naming what is missing.
    pub fn check(self) -> Result<(), String> {
        match self {
            Need::Root => crate::sys::mount::may_mount().map_err(|u| u.0),
            Need::DevFuse => std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/fuse")
                .map(drop)
                .map_err(|e| format!("/dev/fuse: {e}")),
            Need::LoopDevices => std::fs::metadata("/dev/loop-control")
                .map(drop)
                .map_err(|e| format!("no loop devices (/dev/loop-control: {e})")),
            Need::Program(name) => crate::sys::program::find(name)
                .map(drop)
                .ok_or_else(|| format!("{name} not installed")),
        }
    }
}

impl fmt::Display for Need {
    /// The need as the docs and `storage list` name it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Need::Root => f.write_str("root"),
            Need::DevFuse => f.write_str("/dev/fuse"),
            Need::LoopDevices => f.write_str("loop devices"),
            Need::Program(name) => f.write_str(name),
        }
    }
}

impl StorageDesc {
    /// The parameter keyed `key`, if the provider has one.
    pub fn param(&self, key: &str) -> Option<&'static ParamDesc> {
        self.params.iter().find(|p| p.key == key)
    }

    /// The first need this machine does not meet, as one line naming the
    /// provider (`xfs unavailable: mkfs.xfs not installed`).
    pub fn unmet(&self) -> Option<String> {
        self.needs
            .iter()
            .find_map(|n| n.check().err())
            .map(|why| format!("{} unavailable: {why}", self.name))
    }
}

impl ParamDesc {
    /// Parse `text` by the parameter's kind and check its range.
    ///
    /// # Errors
    /// What is allowed, for the caller's message.
    pub fn parse(&self, text: &str) -> Result<ParamValue, String> {
        let out_of_range = || self.kind.to_string();
        match self.kind {
            ParamKind::Duration { min, max } => parse_duration(text)
                .filter(|d| (min..=max).contains(d))
                .map(ParamValue::Duration)
                .ok_or_else(out_of_range),
            ParamKind::Count { min, max } => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .map(ParamValue::Count)
                .ok_or_else(out_of_range),
            ParamKind::Rate { min, max } => match text.trim() {
                "none" | "unlimited" => Ok(ParamValue::Rate(None)),
                t => parse_rate(t)
                    .filter(|r| (min..=max).contains(r))
                    .map(|r| ParamValue::Rate(Some(r)))
                    .ok_or_else(out_of_range),
            },
        }
    }
}

impl fmt::Display for ParamKind {
    /// What is allowed, for errors and help.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParamKind::Duration { min, max } => write!(
                f,
                "a duration (0, 500ns, 100us, 1.5ms, 2s) from {} to {}",
                duration_text(min),
                duration_text(max)
            ),
            ParamKind::Count { min, max } => write!(f, "a whole number from {min} to {max}"),
            ParamKind::Rate { min, max } => write!(
                f,
                "a rate (200MB/s, 125MiB/s, 1GB/s) from {} to {}, or none",
                rate_text(min),
                rate_text(max)
            ),
        }
    }
}

/// Parse a duration with a unit (`ns`, `us`/`µs`, `ms`, `s`; a bare `0`),
/// exactly to the nanosecond (`1.5ms` is 1,500,000 ns); `None` for
/// anything else.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t == "0" {
        return Some(Duration::ZERO);
    }
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = t.split_at(split);
    let scale: u64 = match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return None,
    };
    decimal_times(number, scale).map(Duration::from_nanos)
}

/// Parse a rate: a number with `B`, `KB`, `MB`, `GB` (powers of 1000) or
/// `KiB`, `MiB`, `GiB` (powers of 1024), and an optional `/s`.
pub fn parse_rate(text: &str) -> Option<u64> {
    let t = text.trim();
    let t = t.strip_suffix("/s").unwrap_or(t);
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = t.split_at(split);
    let scale: u64 = match unit {
        "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return None,
    };
    decimal_times(number, scale)
}

/// `number` (digits, at most one `.`) times `scale`, exactly; `None` when
/// it is not a number or the product is not a whole number.
fn decimal_times(number: &str, scale: u64) -> Option<u64> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() > 9 {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut value = whole.checked_mul(scale)?;
    if !fraction.is_empty() {
        let denominator = 10u64.pow(u32::try_from(fraction.len()).ok()?);
        let numerator: u64 = fraction.parse().ok()?;
        let scaled = u128::from(numerator) * u128::from(scale);
        if scaled % u128::from(denominator) != 0 {
            return None;
        }
        value = value.checked_add(u64::try_from(scaled / u128::from(denominator)).ok()?)?;
    }
    Some(value)
}

/// A duration in the largest unit that writes it whole (`1ms`, `250us`,
/// `11560us`, `0`).
pub fn duration_text(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0".into();
    }
    [
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ]
    .iter()
    .find(|(unit, _)| ns.is_multiple_of(*unit))
    .map_or_else(
        || format!("{ns}ns"),
        |(unit, name)| format!("{}{name}", ns / unit),
    )
}

/// A rate in the largest unit that writes it whole (`200MB/s`,
/// `125MiB/s`).
pub fn rate_text(bytes_per_s: u64) -> String {
    const UNITS: [(u64, &str); 7] = [
        (1 << 30, "GiB"),
        (1_000_000_000, "GB"),
        (1 << 20, "MiB"),
        (1_000_000, "MB"),
        (1 << 10, "KiB"),
        (1_000, "KB"),
        (1, "B"),
    ];
    UNITS
        .iter()
        .find(|(unit, _)| bytes_per_s >= *unit && bytes_per_s.is_multiple_of(*unit))
        .map_or_else(
            || format!("{bytes_per_s}B/s"),
            |(unit, name)| format!("{}{name}/s", bytes_per_s / unit),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_exactly_and_print_back() {
        for (text, ns) in [
            ("0", 0),
            ("500ns", 500),
            ("100us", 100_000),
            ("100µs", 100_000),
            ("1.5ms", 1_500_000),
            ("2s", 2_000_000_000),
            ("0.25ms", 250_000),
            ("11.56ms", 11_560_000),
        ] {
            assert_eq!(
                parse_duration(text),
                Some(Duration::from_nanos(ns)),
                "{text}"
            );
        }
        for bad in ["", "1", "ms", "1.5", "1x", "1.2.3ms", "-1ms", "0.5ns"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(duration_text(Duration::from_micros(11_560)), "11560us");
        assert_eq!(duration_text(Duration::from_millis(1)), "1ms");
        assert_eq!(duration_text(Duration::ZERO), "0");
    }

    #[test]
    fn rates_parse_in_decimal_and_binary_units() {
        assert_eq!(parse_rate("200MB/s"), Some(200_000_000));
        assert_eq!(parse_rate("125MiB/s"), Some(125 << 20));
        assert_eq!(parse_rate("1.5GB"), Some(1_500_000_000));
        assert_eq!(parse_rate("fast"), None);
        assert_eq!(rate_text(125 << 20), "125MiB/s");
        assert_eq!(rate_text(200_000_000), "200MB/s");
    }

    #[test]
    fn a_parameter_names_what_is_allowed() {
        let qd = ParamDesc {
            key: "qd",
            kind: ParamKind::Count { min: 1, max: 1024 },
            default: "16",
            help: "",
        };
        assert_eq!(qd.parse("16"), Ok(ParamValue::Count(16)));
        assert_eq!(
            qd.parse("0"),
            Err("a whole number from 1 to 1024".to_string())
        );
    }
}
