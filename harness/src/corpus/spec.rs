//! What a corpus is: its parameters ([`CorpusSpec`]), the named sizes
//! ([`Scale`]), their limits, and the names of the files they imply.
//!
//! Owns: validation of the parameters and naming (directory and file names).
//! Does not own: bytes (`render`), files on disk (`generate`, `verify`).

use serde::{Deserialize, Serialize};

use super::error::CorpusError;
use super::folders::Folders;
use super::render::{file_size, files_total_size, large_shape};
use super::space::SpaceNeed;

/// Most files a corpus may have.
pub const MAX_FILES: u32 = 10_000_000;
/// Most lines a file may have.
pub const MAX_LINES: u32 = 100_000_000;
/// Most values a line may have.
pub const MAX_VALUES: u32 = 1000;
/// Largest size of one data file (1 GiB): each rayon thread renders a whole
/// file in memory, so bigger single files belong in `large_file_bytes`.
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// Largest size of the large file (1 TiB).
pub const MAX_LARGE_FILE_BYTES: u64 = 1 << 40;
/// Largest total size of a corpus (2 TiB): beyond this a typo is likelier
/// than an intent.
pub const MAX_CORPUS_BYTES: u64 = 2 << 40;

/// Name of the large single file inside a corpus directory.
pub const LARGE_FILE_NAME: &str = "large.csv";

/// Shape of a corpus: the pure parameters the bytes are a function of.
///
/// Two corpora with equal specs (and equal
/// [`GENERATOR_VERSION`](super::GENERATOR_VERSION)) are byte-identical.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusSpec {
    /// Number of data files `data-NNNNN.csv` (1 ..= [`MAX_FILES`]).
    pub files: u32,
    /// Lines per data file (1 ..= [`MAX_LINES`]).
    pub lines: u32,
    /// Integers per line (1 ..= [`MAX_VALUES`]); the tutorials use 10.
    pub values: u32,
    /// Minimum size of the optional single large file `large.csv`
    /// (1 ..= [`MAX_LARGE_FILE_BYTES`]); default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_file_bytes: Option<u64>,
    /// How the data files are spread over folders (default: flat, all in
    /// the corpus folder). Serialized only when not flat, so the records
    /// of a flat corpus (manifest, run.json, scenario ids) are what they
    /// were before the setting existed.
    #[serde(default, skip_serializing_if = "Folders::is_flat")]
    pub folders: Folders,
}

/// Named sizes: `Quick` = 1,000 files × 100 lines, `Default` = 10,000 × 1,000,
/// `Seed` = 10,000 × 10,000 (the tutorials' corpus); all 10 values per line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// 1,000 files × 100 lines × 10 values (~3 MB): smoke tests.
    Quick,
    /// 10,000 files × 1,000 lines × 10 values (~0.6 GB).
    Default,
    /// 10,000 files × 10,000 lines × 10 values (~6 GB): the tutorials' corpus.
    Seed,
}

impl Scale {
    /// The corpus spec this scale stands for (no large file).
    pub fn spec(self) -> CorpusSpec {
        let (files, lines) = match self {
            Scale::Quick => (1_000, 100),
            Scale::Default => (10_000, 1_000),
            Scale::Seed => (10_000, 10_000),
        };
        CorpusSpec {
            files,
            lines,
            values: 10,
            large_file_bytes: None,
            folders: Folders::Flat,
        }
    }
}

impl CorpusSpec {
    /// A directory name that identifies the spec, e.g. `csv-1000x100x10`,
    /// `csv-1000x100x10-large-64MiB` or `csv-1000x100x10-sharded8`, so
    /// corpora of different shapes (and layouts) sit side by side under one
    /// parent.
    pub fn dir_name(&self) -> String {
        let base = format!("csv-{}x{}x{}", self.files, self.lines, self.values);
        let base = match self.large_file_bytes {
            Some(bytes) => format!("{base}-large-{}", exact_size_name(bytes)),
            None => base,
        };
        match self.folders.shards() {
            Some(k) => format!("{base}-sharded{k}"),
            None => base,
        }
    }

    /// Check every parameter against its limit.
    ///
    /// # Errors
    /// [`CorpusError::InvalidSpec`] naming the first field out of range, its
    /// value and the allowed range.
    pub fn validate(&self) -> Result<(), CorpusError> {
        check_range("files", self.files.into(), MAX_FILES.into())?;
        check_range("lines", self.lines.into(), MAX_LINES.into())?;
        check_range("values", self.values.into(), MAX_VALUES.into())?;
        if let Some(bytes) = self.large_file_bytes {
            check_range("large_file_bytes", bytes, MAX_LARGE_FILE_BYTES)?;
        }
        let largest = file_size(self.files - 1, self.lines, self.values);
        if largest > MAX_FILE_BYTES {
            return Err(CorpusError::InvalidSpec {
                field: "lines × values",
                value: largest,
                allowed: format!(
                    "one data file of at most {MAX_FILE_BYTES} bytes (1 GiB); \
                     use large_file_bytes for a bigger single file"
                ),
            });
        }
        let total = self.total_bytes();
        if total > MAX_CORPUS_BYTES {
            return Err(CorpusError::InvalidSpec {
                field: "files × lines × values",
                value: total,
                allowed: format!("a corpus of at most {MAX_CORPUS_BYTES} bytes (2 TiB)"),
            });
        }
        Ok(())
    }

    /// Exact total size of the data files, in bytes.
    pub fn data_bytes(&self) -> u64 {
        files_total_size(self.files, self.lines, self.values)
    }

    /// Room the corpus needs on a filesystem of `block`-byte blocks: its
    /// bytes plus one block per file, the three bookkeeping files (marker,
    /// manifest, record of members) included. The one figure both the check
    /// before writing and a device that fills midway quote.
    pub fn space_need(&self, block: u64) -> SpaceNeed {
        let files = u64::from(self.files) + u64::from(self.large_file_bytes.is_some());
        SpaceNeed::new(self.total_bytes(), files + 3, block)
    }

    /// Exact total size of the corpus (data files plus large file), in bytes;
    /// the manifest itself is not counted.
    pub fn total_bytes(&self) -> u64 {
        let large = self
            .large_file_bytes
            .map_or(0, |min| large_shape(self.values, min).bytes);
        self.data_bytes().saturating_add(large)
    }
}

fn check_range(field: &'static str, value: u64, max: u64) -> Result<(), CorpusError> {
    if (1..=max).contains(&value) {
        return Ok(());
    }
    Err(CorpusError::InvalidSpec {
        field,
        value,
        allowed: format!("1 ..= {max}"),
    })
}

/// `bytes` in the largest binary unit that divides it exactly ("64MiB",
/// "1536KiB", "1000B"), so distinct sizes give distinct names.
fn exact_size_name(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes > 0 && bytes.is_multiple_of(1u64 << shift) {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(files: u32, lines: u32, values: u32, large: Option<u64>) -> CorpusSpec {
        CorpusSpec {
            files,
            lines,
            values,
            large_file_bytes: large,
            folders: Folders::Flat,
        }
    }

    #[test]
    fn scales() {
        assert_eq!(Scale::Quick.spec(), spec(1_000, 100, 10, None));
        assert_eq!(Scale::Default.spec(), spec(10_000, 1_000, 10, None));
        assert_eq!(Scale::Seed.spec(), spec(10_000, 10_000, 10, None));
        for s in [Scale::Quick, Scale::Default, Scale::Seed] {
            s.spec().validate().unwrap();
        }
        // The design's size estimates.
        assert!((500_000_000..700_000_000).contains(&Scale::Default.spec().total_bytes()));
        assert!((5_000_000_000..7_000_000_000).contains(&Scale::Seed.spec().total_bytes()));
    }

    #[test]
    fn dir_names() {
        assert_eq!(spec(1000, 100, 10, None).dir_name(), "csv-1000x100x10");
        assert_eq!(
            spec(1000, 100, 10, Some(64 << 20)).dir_name(),
            "csv-1000x100x10-large-64MiB"
        );
        assert_eq!(
            spec(1, 1, 1, Some(3 << 29)).dir_name(),
            "csv-1x1x1-large-1536MiB"
        );
        assert_eq!(
            spec(1, 1, 1, Some(1000)).dir_name(),
            "csv-1x1x1-large-1000B"
        );
        let mut sharded = spec(1000, 100, 10, Some(64 << 20));
        sharded.folders = "sharded:8".parse().unwrap();
        assert_eq!(sharded.dir_name(), "csv-1000x100x10-large-64MiB-sharded8");
    }

    /// A flat spec serializes as before the setting existed; a sharded
    /// one names its layout and reads back equal.
    #[test]
    fn folders_serialized_only_when_not_flat() {
        let flat = spec(2, 3, 4, None);
        assert_eq!(
            serde_json::to_string(&flat).unwrap(),
            r#"{"files":2,"lines":3,"values":4}"#
        );
        let mut sharded = flat.clone();
        sharded.folders = "sharded:4".parse().unwrap();
        let json = serde_json::to_string(&sharded).unwrap();
        assert_eq!(
            json,
            r#"{"files":2,"lines":3,"values":4,"folders":"sharded:4"}"#
        );
        assert_eq!(serde_json::from_str::<CorpusSpec>(&json).unwrap(), sharded);
        assert_ne!(sharded, flat);
        let bad = r#"{"files":2,"lines":3,"values":4,"folders":"sharded:0"}"#;
        assert!(serde_json::from_str::<CorpusSpec>(bad).is_err());
    }

    #[test]
    fn validate_rejects_zero_and_absurd() {
        let cases = [
            (spec(0, 1, 1, None), "files"),
            (spec(1, 0, 1, None), "lines"),
            (spec(1, 1, 0, None), "values"),
            (spec(MAX_FILES + 1, 1, 1, None), "files"),
            (spec(1, MAX_LINES + 1, 1, None), "lines"),
            (spec(1, 1, MAX_VALUES + 1, None), "values"),
            (spec(1, 1, 1, Some(0)), "large_file_bytes"),
            (
                spec(1, 1, 1, Some(MAX_LARGE_FILE_BYTES + 1)),
                "large_file_bytes",
            ),
            (spec(1, MAX_LINES, MAX_VALUES, None), "lines × values"),
            (spec(MAX_FILES, 100_000, 10, None), "files × lines × values"),
        ];
        for (s, field) in cases {
            let err = s.validate().unwrap_err();
            assert!(
                matches!(&err, CorpusError::InvalidSpec { field: f, .. } if *f == field),
                "{s:?}: {err}"
            );
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn validate_error_names_value_and_range() {
        let err = spec(1, 1, 1001, None).validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid corpus spec: values = 1001; allowed: 1 ..= 1000"
        );
    }

    #[test]
    fn spec_serde_roundtrip_and_strict() {
        let s = spec(2, 3, 4, Some(5));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<CorpusSpec>(&json).unwrap(), s);
        let bad = r#"{"files":1,"lines":1,"values":1,"colour":"red"}"#;
        assert!(serde_json::from_str::<CorpusSpec>(bad).is_err());
    }
}
