//! The names of a corpus's data files: `data-NNNNN.csv`, the index
//! zero-padded so names sort in index order, and reading an index back
//! from a name.
//!
//! Owns: the name of file `k`. Does not own: its folder (`folders`), its
//! bytes (`render`).

use super::render::digits;

/// Name of data file `k` in a corpus of `files` files: `data-NNNNN.csv`, with
/// the index zero-padded to 5 digits, or to the width of `files - 1` when
/// that is wider, so names sort in index order.
pub fn file_name(k: u32, files: u32) -> String {
    let width = file_index_width(files);
    format!("data-{k:0width$}.csv")
}

/// Digits of the zero-padded index in data file names.
pub(crate) fn file_index_width(files: u32) -> usize {
    digits(u64::from(files.saturating_sub(1))).max(5) as usize
}

/// The index `k` if `name` is exactly the name of data file `k` of a corpus
/// of `files` files (right prefix, width and extension); `None` otherwise.
pub(crate) fn parse_file_name(name: &str, files: u32) -> Option<u32> {
    let digits = name.strip_prefix("data-")?.strip_suffix(".csv")?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let k: u32 = digits.parse().ok()?;
    (k < files && digits.len() == file_index_width(files)).then_some(k)
}

/// Whether `name` looks like a data file of some corpus (`data-<digits>.csv`).
pub(crate) fn is_data_file_name(name: &str) -> bool {
    name.strip_prefix("data-")
        .and_then(|rest| rest.strip_suffix(".csv"))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(file_name(3, 1000), "data-00003.csv");
        assert_eq!(file_name(99_999, 100_000), "data-99999.csv");
        assert_eq!(file_name(7, 100_001), "data-000007.csv");
        assert_eq!(parse_file_name("data-00003.csv", 1000), Some(3));
        assert_eq!(parse_file_name("data-3.csv", 1000), None);
        assert_eq!(parse_file_name("data-01000.csv", 1000), None);
        assert_eq!(parse_file_name("data-+0003.csv", 1000), None);
        assert!(is_data_file_name("data-3.csv"));
        assert!(!is_data_file_name("data-.csv"));
        assert!(!is_data_file_name("large.csv"));
    }
}
