//! Byte sizes as people write them: `4096`, `64KiB`, `1MiB`, `4GiB`, `10MB`.

/// A size that did not parse, with the text and what is allowed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid size {text:?}: use a whole number with an optional unit B, KiB, MiB, GiB, TiB (×1024) or KB, MB, GB, TB (×1000), e.g. 64KiB or 4GiB")]
pub struct ParseSizeError {
    /// What was given.
    pub text: String,
}

/// Parse a size in bytes.
///
/// # Errors
/// [`ParseSizeError`] for anything but a whole number and a known unit, or an
/// overflowing value.
pub fn parse_size(text: &str) -> Result<u64, ParseSizeError> {
    let err = || ParseSizeError {
        text: text.to_string(),
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number.parse().map_err(|_| err())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(err()),
    };
    n.checked_mul(factor).ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64KiB"), Ok(65536));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert!(parse_size("4 parsecs").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999999TiB").is_err());
    }
}
