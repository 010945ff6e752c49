//! How the command line names the domain's value types (`--scale`,
//! `--cache`, `--cold-method`, `--layout`): their possible values and help
//! lines, so the types themselves (`corpus`, `measure`, `experiment`) know
//! nothing of clap.

use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::corpus::{Scale, ScratchPolicy};
use crate::experiment::layout::Layout;
use crate::measure::cache::{CacheState, ColdMethod};

impl ValueEnum for Scale {
    fn value_variants<'a>() -> &'a [Self] {
        &[Scale::Quick, Scale::Default, Scale::Seed]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Scale::Quick => PossibleValue::new("quick")
                .help("1,000 files × 100 lines × 10 values (~3 MB): smoke tests"),
            Scale::Default => PossibleValue::new("default")
                .help("10,000 files × 1,000 lines × 10 values (~0.6 GB)"),
            Scale::Seed => PossibleValue::new("seed")
                .help("10,000 files × 10,000 lines × 10 values (~6 GB): the tutorials' corpus"),
        })
    }
}

impl ValueEnum for ScratchPolicy {
    fn value_variants<'a>() -> &'a [Self] {
        &ScratchPolicy::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            ScratchPolicy::DeleteBefore => "Empty the scratch folder before each repetition",
            ScratchPolicy::DeleteAfter => {
                "Empty it after each repetition (outside the timed region), then settle"
            }
            ScratchPolicy::Rotate => {
                "A fresh subfolder per repetition, all removed at the end of the run"
            }
            ScratchPolicy::FreshFs => {
                "A new loop-mounted filesystem image of the data folder's type per repetition (root only)"
            }
        };
        Some(PossibleValue::new(self.as_str()).help(help))
    }
}

impl ValueEnum for CacheState {
    fn value_variants<'a>() -> &'a [Self] {
        &[CacheState::Warm, CacheState::Cold]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            CacheState::Warm => {
                PossibleValue::new(self.as_str()).help("Every input read once before timing")
            }
            CacheState::Cold => PossibleValue::new(self.as_str())
                .help("Inputs evicted from the page cache before timing"),
        })
    }
}

impl ValueEnum for ColdMethod {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            ColdMethod::Auto,
            ColdMethod::DropCaches,
            ColdMethod::Fadvise,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            ColdMethod::Auto => {
                PossibleValue::new("auto").help("drop_caches when permitted, else fadvise")
            }
            ColdMethod::DropCaches => PossibleValue::new("drop-caches")
                .help("Only `/proc/sys/vm/drop_caches` (fails when not root)"),
            ColdMethod::Fadvise => PossibleValue::new("fadvise")
                .help("Only per-file `posix_fadvise(DONTNEED)`, as an unprivileged user would"),
        })
    }
}

impl ValueEnum for Layout {
    fn value_variants<'a>() -> &'a [Self] {
        &[Layout::PerRank, Layout::Shared]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Layout::PerRank => PossibleValue::new("per-rank")
                .help("Each rank its own corpus folder (`DATA/rank-R/`)"),
            Layout::Shared => PossibleValue::new("shared")
                .help("One corpus; files split into contiguous blocks across ranks"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value the command line accepts reads back as the name the
    /// domain type writes in results (serde), so a flag and a file agree.
    #[test]
    fn flag_names_are_the_names_in_files() {
        fn check<T: ValueEnum + serde::Serialize>() {
            for v in T::value_variants() {
                let flag = v.to_possible_value().unwrap().get_name().to_string();
                let file = serde_json::to_value(v).unwrap();
                assert_eq!(file.as_str(), Some(flag.as_str()));
                assert!(T::from_str(&flag, false).is_ok(), "{flag}");
            }
        }
        check::<Scale>();
        check::<CacheState>();
        check::<ColdMethod>();
        check::<Layout>();
    }
}
