//! Help text of the workload and strategy flags, derived from the
//! descriptions (names, variants, knob defaults and ranges), so `--help`
//! cannot disagree with what the flags accept.
//!
//! Owns: the wording of that help. Does not own: the descriptions
//! (`describe`, each workload's and strategy's module) or validation
//! (`plan`).

use crate::describe::{KnobDesc, KnobKind};
use crate::{strategy, workload};

/// `--workload`: every registered name with its one-line summary.
pub fn workloads() -> String {
    let names: Vec<String> = workload::descriptions()
        .iter()
        .map(|d| d.name.to_string())
        .collect();
    format!(
        "Workloads (comma-separated): {}; `iolab describe` lists their variants and knobs",
        names.join(", ")
    )
}

/// `--variant`: every workload's variants, default first.
pub fn variants() -> String {
    let per: Vec<String> = workload::descriptions()
        .iter()
        .map(|d| {
            let v: Vec<&str> = d.variants.iter().map(|v| v.name).collect();
            format!("{}: {}", d.name, v.join("|"))
        })
        .collect();
    format!(
        "Workload variants (comma-separated), default first — {}",
        per.join("; ")
    )
}

/// `--strategy`: every registered name.
pub fn strategies() -> String {
    format!(
        "Strategies (comma-separated): {}",
        strategy::names().join(", ")
    )
}

/// The help of the flag of knob `key`, all from its descriptions: how a
/// list is written, then who uses it with what help and default (those
/// sharing one description named together), then what is allowed.
pub fn knob(key: &str) -> String {
    let mut owners: Vec<(Vec<String>, &'static KnobDesc)> = Vec::new();
    let mut add = |of: String, k: &'static KnobDesc| match owners.iter_mut().find(|(_, d)| *d == k)
    {
        Some((names, _)) => names.push(of),
        None => owners.push((vec![of], k)),
    };
    for d in strategy::descriptions() {
        for k in d.knobs.iter().filter(|k| k.key == key) {
            add(d.name.to_string(), k);
        }
    }
    for d in workload::descriptions() {
        for k in d.knobs.iter().filter(|k| k.key == key) {
            let of = if k.variants.is_empty() {
                d.name.to_string()
            } else {
                format!("{} {}", d.name, k.variants.join("/"))
            };
            add(of, k);
        }
    }
    let uses: Vec<String> = owners
        .iter()
        .map(|(of, k)| {
            let default = if k.default.is_empty() {
                String::new()
            } else {
                format!(" [default: {}]", k.default)
            };
            format!("{}: {}{default}", of.join(", "), k.help)
        })
        .collect();
    let Some((_, first)) = owners.first() else {
        return String::new();
    };
    let lead = match first.kind {
        KnobKind::Size { .. } => "Sizes, comma-separated (4KiB,1MiB)",
        KnobKind::Count { .. } => "Counts, comma-separated",
        KnobKind::Choice(_) => "Names, comma-separated",
        KnobKind::Text => "Texts (repeat the flag for several)",
        KnobKind::Switch => "On or off (alone: on; =true,false: both)",
    };
    format!("{lead} — {}; {}", uses.join("; "), first.kind)
}
