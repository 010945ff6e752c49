//! A storage value as written (`xfs`, `emulated:lat=1ms,qd=16`,
//! `emulated:nfs-lan`), parsed and validated against the providers'
//! descriptions into a [`Storage`], and written back in one canonical form
//! (its `Display`, which is also its serialized form in files).
//!
//! Owns: the grammar, the checks and the error messages of storage values.
//! Does not own: the descriptions (each provider's), providing (`provide`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::describe::{ParamValue, StorageDesc};
use super::emulated::{self, Preset, Timing};
use super::image::ImageFs;

/// A storage a run's corpus and scratch can be put on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Storage {
    /// The data folder as it is (iolab's behaviour before storages).
    DataDir,
    /// A tmpfs sized for the corpus and scratch.
    Tmpfs,
    /// A fresh loop-mounted image of a filesystem.
    Image(ImageFs),
    /// The FUSE filesystem iolab serves itself, with a delay.
    Emulated(Emulation),
}

/// The providers, one per description.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StorageKind {
    /// `data-dir`.
    DataDir,
    /// `tmpfs`.
    Tmpfs,
    /// A loop-mounted image (`ext4`, `ext4-nojournal`, `xfs`, `btrfs`).
    Image(ImageFs),
    /// `emulated`.
    Emulated,
}

/// The emulator's settings, with the preset they came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Emulation {
    /// The preset named, if any (its settings possibly overridden).
    pub preset: Option<Preset>,
    /// The settings in force.
    pub timing: Timing,
}

/// A storage value that cannot be used, with what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("storage {value:?}: {problem}")]
pub struct StorageError {
    /// The value as given.
    pub value: String,
    /// What is wrong and what is allowed.
    pub problem: String,
}

impl StorageKind {
    /// Every provider, in the order `storage list` shows them.
    pub const ALL: [StorageKind; 7] = [
        StorageKind::DataDir,
        StorageKind::Tmpfs,
        StorageKind::Image(ImageFs::Ext4),
        StorageKind::Image(ImageFs::Ext4NoJournal),
        StorageKind::Image(ImageFs::Xfs),
        StorageKind::Image(ImageFs::Btrfs),
        StorageKind::Emulated,
    ];

    /// Its description.
    pub fn desc(self) -> &'static StorageDesc {
        match self {
            StorageKind::DataDir => &super::data_dir::DESCRIPTION,
            StorageKind::Tmpfs => &super::tmpfs::DESCRIPTION,
            StorageKind::Image(fs) => fs.desc(),
            StorageKind::Emulated => &emulated::DESCRIPTION,
        }
    }
}

impl Default for Storage {
    /// The data folder as it is: a run without `--storage`.
    fn default() -> Storage {
        Storage::DataDir
    }
}

impl Storage {
    /// Whether this is the default, the data folder as it is (a scenario
    /// on it keeps the id it had before storages existed).
    pub fn is_data_dir(&self) -> bool {
        matches!(self, Storage::DataDir)
    }

    /// Its provider.
    pub fn kind(&self) -> StorageKind {
        match self {
            Storage::DataDir => StorageKind::DataDir,
            Storage::Tmpfs => StorageKind::Tmpfs,
            Storage::Image(fs) => StorageKind::Image(*fs),
            Storage::Emulated(_) => StorageKind::Emulated,
        }
    }

    /// Its provider's description.
    pub fn desc(&self) -> &'static StorageDesc {
        self.kind().desc()
    }

    /// The zero-latency twin of an emulated value (`emulated:lat=0,meta=0`
    /// with its queue depth and no bandwidth cap): the same server with
    /// no delay, so FUSE's own cost is measured apart from the latency
    /// asked for. `None` for other storages and for a twin itself.
    pub fn twin(&self) -> Option<Storage> {
        match self {
            Storage::Emulated(e) if !e.timing.is_zero() => Some(Storage::Emulated(Emulation {
                preset: None,
                timing: Timing {
                    lat: Duration::ZERO,
                    meta: Duration::ZERO,
                    qd: e.timing.qd,
                    bw: None,
                },
            })),
            Storage::DataDir | Storage::Tmpfs | Storage::Image(_) | Storage::Emulated(_) => None,
        }
    }

    /// Parse a comma-separated list of values at the top level: a value's
    /// own parameters stay with it (`tmpfs,emulated:lat=1ms,qd=4,xfs` is
    /// three values), since a parameter is `key=value` and a value is not.
    ///
    /// # Errors
    /// The first value that does not parse.
    pub fn parse_list(text: &str) -> Result<Vec<Storage>, StorageError> {
        Storage::split_list(text)
            .iter()
            .map(|v| v.parse())
            .collect()
    }

    /// A comma-separated list split into its values as
    /// [`Storage::parse_list`] does, without parsing them (the flag
    /// `--storage` hands each to the plan as given, so its messages name
    /// the value).
    pub fn split_list(text: &str) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        for part in text.split(',') {
            match values.last_mut() {
                Some(last) if part.contains('=') && last.starts_with("emulated") => {
                    last.push(',');
                    last.push_str(part);
                }
                _ => values.push(part.to_string()),
            }
        }
        values
    }
}

impl FromStr for Storage {
    type Err = StorageError;

    fn from_str(text: &str) -> Result<Storage, StorageError> {
        let error = |problem: String| StorageError {
            value: text.to_string(),
            problem,
        };
        let (name, params) = match text.trim().split_once(':') {
            Some((name, params)) => (name, Some(params)),
            None => (text.trim(), None),
        };
        let kind = StorageKind::ALL
            .into_iter()
            .find(|k| k.desc().name == name)
            .ok_or_else(|| error(format!("unknown; allowed: {}", allowed())))?;
        match (kind, params) {
            (StorageKind::Emulated, params) => parse_emulation(params.unwrap_or(""))
                .map(Storage::Emulated)
                .map_err(error),
            (other, Some(_)) => Err(error(format!(
                "{} takes no parameters; allowed: {}",
                other.desc().name,
                allowed()
            ))),
            (StorageKind::DataDir, None) => Ok(Storage::DataDir),
            (StorageKind::Tmpfs, None) => Ok(Storage::Tmpfs),
            (StorageKind::Image(fs), None) => Ok(Storage::Image(fs)),
        }
    }
}

/// Every allowed form, for messages: the plain names, then the emulated
/// form with its keys and presets.
pub fn allowed() -> String {
    let plain: Vec<&str> = StorageKind::ALL
        .iter()
        .filter(|k| k.desc().params.is_empty())
        .map(|k| k.desc().name)
        .collect();
    let keys: Vec<String> = emulated::DESCRIPTION
        .params
        .iter()
        .map(|p| format!("{}=…", p.key))
        .collect();
    let presets: Vec<&str> = Preset::ALL.iter().map(|p| p.desc().name).collect();
    format!(
        "{}, emulated:{} or emulated:PRESET[,key=…] with PRESET one of {}",
        plain.join(", "),
        keys.join(","),
        presets.join(", ")
    )
}

/// The emulated value's parameters: an optional preset first, then
/// `key=value` pairs overriding it; `meta` defaults to `lat` when `lat`
/// is given without a preset.
fn parse_emulation(params: &str) -> Result<Emulation, String> {
    let mut parts = params
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .peekable();
    let preset = match parts.peek() {
        Some(first) if !first.contains('=') => {
            let found = Preset::ALL.into_iter().find(|p| p.desc().name == *first);
            let preset =
                found.ok_or_else(|| format!("unknown preset {first:?}; allowed: {}", allowed()))?;
            parts.next();
            Some(preset)
        }
        _ => None,
    };
    let mut timing = preset.map_or(emulated::DEFAULT_TIMING, |p| p.desc().timing);
    let mut meta_given = false;
    let mut seen: Vec<&str> = Vec::new();
    for part in parts {
        let (key, value) = part.split_once('=').ok_or_else(|| {
            format!(
                "{part:?} is not key=value (a preset comes first); allowed: {}",
                allowed()
            )
        })?;
        let param = emulated::DESCRIPTION
            .param(key)
            .ok_or_else(|| format!("unknown parameter {key:?}; allowed: {}", allowed()))?;
        if seen.contains(&key) {
            return Err(format!("{key} given twice"));
        }
        seen.push(key);
        let parsed = param
            .parse(value)
            .map_err(|allowed| format!("{key} = {value}: {allowed}"))?;
        match (key, parsed) {
            ("lat", ParamValue::Duration(d)) => timing.lat = d,
            ("meta", ParamValue::Duration(d)) => {
                timing.meta = d;
                meta_given = true;
            }
            ("qd", ParamValue::Count(n)) => {
                timing.qd = u32::try_from(n).map_err(|_| format!("qd = {n}: too large"))?;
            }
            ("bw", ParamValue::Rate(r)) => timing.bw = r,
            (key, _) => return Err(format!("{key}: parameter without a setting")),
        }
    }
    if preset.is_none() && !meta_given {
        timing.meta = timing.lat;
    }
    Ok(Emulation { preset, timing })
}

impl fmt::Display for Storage {
    /// The canonical form: `emulated:<preset>` while a preset's settings
    /// are untouched, else every setting (`emulated:lat=1ms,meta=1ms,qd=16`
    /// and `bw=…` when capped).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Storage::DataDir | Storage::Tmpfs | Storage::Image(_) => f.write_str(self.desc().name),
            Storage::Emulated(e) => match e.preset {
                Some(p) if p.desc().timing == e.timing => write!(f, "emulated:{}", p.desc().name),
                _ => write!(f, "emulated:{}", e.timing),
            },
        }
    }
}

impl serde::Serialize for Storage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Storage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Storage, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Storage {
        text.parse().unwrap()
    }

    #[test]
    fn every_provider_parses_by_its_name_and_prints_back() {
        for kind in StorageKind::ALL {
            let name = kind.desc().name;
            let storage = parse(name);
            assert_eq!(storage.kind(), kind);
            let back = storage.to_string();
            assert_eq!(parse(&back), storage, "{back}");
        }
    }

    #[test]
    fn emulated_values_take_keys_presets_and_overrides() {
        let Storage::Emulated(e) = parse("emulated:lat=1ms,qd=16,bw=200MB/s") else {
            panic!()
        };
        assert_eq!(e.timing.lat, Duration::from_millis(1));
        assert_eq!(e.timing.meta, Duration::from_millis(1), "meta follows lat");
        assert_eq!(e.timing.qd, 16);
        assert_eq!(e.timing.bw, Some(200_000_000));
        assert_eq!(
            parse("emulated:lat=1ms,qd=16,bw=200MB/s").to_string(),
            "emulated:lat=1ms,meta=1ms,qd=16,bw=200MB/s"
        );
        for preset in Preset::ALL {
            let text = format!("emulated:{}", preset.desc().name);
            assert_eq!(parse(&text).to_string(), text);
        }
        let overridden = parse("emulated:nfs-lan,qd=32");
        assert!(overridden.to_string().contains("qd=32"), "{overridden}");
        assert_eq!(
            parse(&overridden.to_string()).to_string(),
            overridden.to_string()
        );
    }

    #[test]
    fn the_twin_has_no_delay_and_the_same_queue_depth() {
        let twin = parse("emulated:lat=2ms,qd=8").twin().unwrap();
        assert_eq!(twin.to_string(), "emulated:lat=0,meta=0,qd=8");
        assert_eq!(twin.twin(), None);
        assert_eq!(parse("xfs").twin(), None);
    }

    #[test]
    fn bad_values_name_the_value_and_what_is_allowed() {
        for (text, expected) in [
            ("ext3", "unknown; allowed: data-dir, tmpfs, ext4"),
            ("tmpfs:size=1", "tmpfs takes no parameters"),
            ("emulated:lat=5x", "lat = 5x: a duration"),
            ("emulated:qd=0", "qd = 0: a whole number from 1 to"),
            ("emulated:speed=1", "unknown parameter \"speed\""),
            ("emulated:nfs", "unknown preset \"nfs\""),
            ("emulated:lat=1ms,lat=2ms", "lat given twice"),
            ("emulated:bw=fast", "bw = fast: a rate"),
        ] {
            let err = text.parse::<Storage>().unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
            assert!(err.contains(&format!("{text:?}")), "{err}");
        }
    }

    #[test]
    fn a_list_keeps_each_values_parameters() {
        let list = Storage::parse_list("tmpfs,emulated:lat=1ms,qd=4,xfs,emulated:hdd").unwrap();
        let texts: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "tmpfs",
                "emulated:lat=1ms,meta=1ms,qd=4",
                "xfs",
                "emulated:hdd"
            ]
        );
    }

    #[test]
    fn storage_serializes_as_its_canonical_text() {
        let s = parse("emulated:cloud-block");
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"emulated:cloud-block\"");
        assert_eq!(serde_json::from_str::<Storage>(&json).unwrap(), s);
    }
}
