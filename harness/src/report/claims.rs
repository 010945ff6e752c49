//! The report's Claims section: which of the tutorials' claims hold on this
//! machine, as judged by `crate::claims`.
//!
//! Owns: the one call site ([`claims_section`]) and the badge classes;
//! nothing of the judging, which is `crate::claims::judge`.

pub use crate::claims::{Judgement, Verdict};

use crate::results::LoadedRun;

/// CSS class of a verdict's badge.
pub fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "holds",
        Verdict::DoesNotHold => "fails",
        Verdict::Inconclusive => "unsure",
        Verdict::NotTested => "untested",
    }
}

/// Every claim judged against `run` (the page shows the tested ones and
/// counts the rest).
pub fn claims_section(run: &LoadedRun) -> Vec<Judgement> {
    crate::claims::judge(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_read_as_words() {
        assert_eq!(Verdict::DoesNotHold.to_string(), "does not hold");
        assert_eq!(Verdict::NotTested.to_string(), "not tested");
        assert_eq!(verdict_class(Verdict::Holds), "holds");
    }
}
