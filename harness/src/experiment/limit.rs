//! How many scenarios one run may hold, counted before any grid is
//! expanded: the product of the lists' lengths, so a grid that multiplies
//! out to millions is refused in microseconds instead of being built.
//!
//! Owns: the limit and the count. Does not own: the lists (the command
//! line's flags in `cli::plan`, a `[[grid]]` block in `expand`).

/// Most scenarios a run may hold: 100,000 (the shipped experiments hold 68
/// together; at one second per repetition, 100,000 scenarios take a day).
pub const MAX_SCENARIOS: u64 = 100_000;

/// A grid whose lists multiply out past [`MAX_SCENARIOS`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what}: the lists multiply out to {count} scenarios ({axes}); at most {MAX_SCENARIOS} are allowed in one run: shorten the lists or split the run")]
pub struct TooManyScenarios {
    /// What was counted (`the flags`, `x.toml: grid block 2 (name)`).
    pub what: String,
    /// The count (saturated at `u64::MAX`).
    pub count: u64,
    /// The factors, e.g. `workload 3 × strategy 4 × workers 10`.
    pub axes: String,
}

/// The product of `axes` (name, length), refused above [`MAX_SCENARIOS`].
///
/// # Errors
/// [`TooManyScenarios`] naming `what`, the count and each factor.
pub fn check(what: impl Into<String>, axes: &[(&str, u64)]) -> Result<u64, TooManyScenarios> {
    let count = axes.iter().fold(1u64, |acc, (_, n)| acc.saturating_mul(*n));
    if count <= MAX_SCENARIOS {
        return Ok(count);
    }
    Err(TooManyScenarios {
        what: what.into(),
        count,
        axes: axes
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(" × "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_the_product_and_saturates() {
        assert_eq!(check("g", &[("a", 10), ("b", 10_000)]), Ok(100_000));
        let e = check("g", &[("a", 10), ("b", 10_001)]).unwrap_err();
        assert_eq!(e.count, 100_010);
        assert!(
            e.to_string()
                .starts_with("g: the lists multiply out to 100010 scenarios (a 10 × b 10001)"),
            "{e}"
        );
        let e = check("g", &[("a", u64::MAX), ("b", 3)]).unwrap_err();
        assert_eq!(e.count, u64::MAX);
    }
}
