//! Help text of the workload and strategy flags, derived from the
//! descriptions (names, variants, knob defaults and ranges), so `--help`
//! cannot disagree with what the flags accept.
//!
//! Owns: the wording of that help. Does not own: the descriptions
//! (`describe`, each workload's and strategy's module) or validation
//! (`plan`).

use crate::describe::KnobDesc;
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

/// The help of the flag of knob `key`: `lead`, then who uses it, its
/// defaults and what is allowed, from every description that has it.
pub fn knob(key: &str, lead: &str) -> String {
    let mut owners: Vec<(String, &'static KnobDesc)> = Vec::new();
    for d in workload::descriptions() {
        for k in d.knobs.iter().filter(|k| k.key == key) {
            let of = if k.variants.is_empty() {
                d.name.to_string()
            } else {
                format!("{} {}", d.name, k.variants.join("/"))
            };
            owners.push((of, k));
        }
    }
    for d in strategy::descriptions() {
        for k in d.knobs.iter().filter(|k| k.key == key) {
            owners.push((d.name.to_string(), k));
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
            format!("{of}: {}{default}", k.help)
        })
        .collect();
    let allowed = owners
        .first()
        .map(|(_, k)| format!("; {}", k.kind))
        .unwrap_or_default();
    format!("{lead} — {}{allowed}", uses.join("; "))
}
