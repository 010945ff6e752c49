//! The tables of every registered workload and strategy, rendered from
//! their descriptions: `iolab describe` prints them as text, `iolab
//! describe --markdown` as the tables of `docs/workloads.md` (a test keeps
//! that page equal to that output; `scripts/update-doc-tables` pastes it).
//!
//! Owns: the wording and layout of those tables. Does not own: the
//! descriptions (each workload's and strategy's module) or the registries
//! that list them.

use crate::describe::{KnobDesc, KnobKind, StrategyDesc, WorkloadDesc};
use crate::{strategy, workload};

/// The marker (in `docs/workloads.md`) that opens the workloads table.
pub const WORKLOADS_BEGIN: &str = "<!-- begin: iolab describe --markdown (workloads) -->";
/// The marker (in `docs/workloads.md`) that opens the strategies table.
pub const STRATEGIES_BEGIN: &str = "<!-- begin: iolab describe --markdown (strategies) -->";
/// The marker (in `docs/workloads.md`) that closes either table.
pub const END: &str = "<!-- end: iolab describe --markdown -->";

/// A knob as a flag with its value's shape: `--chunk SIZE`.
fn flag(k: &KnobDesc) -> String {
    let value = match k.kind {
        KnobKind::Size { .. } => " SIZE",
        KnobKind::Count { .. } => " N",
        KnobKind::Switch => "",
        KnobKind::Text => " TEXT",
        KnobKind::Choice(_) => " NAME",
    };
    format!("{}{value}", k.flag())
}

/// One knob in a line: flag, variants, default, range, help.
fn knob_line(k: &KnobDesc) -> String {
    let mut facts = Vec::new();
    if !k.variants.is_empty() {
        facts.push(k.variants.join(", "));
    }
    if !k.default.is_empty() {
        facts.push(format!("default {}", k.default));
    }
    if !matches!(k.kind, KnobKind::Switch | KnobKind::Text) {
        facts.push(k.kind.to_string());
    }
    let facts = if facts.is_empty() {
        String::new()
    } else {
        format!(" ({})", facts.join("; "))
    };
    format!("`{}`{facts}: {}", flag(k), k.help)
}

/// The variants of workload `w` that strategy `s` refuses, with the reason.
fn refused(s: &StrategyDesc) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for w in workload::descriptions() {
        for v in w.variants {
            if let Some(why) = s.refuses(v) {
                let name = if w.variants.len() == 1 {
                    w.name.to_string()
                } else {
                    format!("{} {}", w.name, v.name)
                };
                match out.iter_mut().find(|(_, r)| *r == why) {
                    Some((names, _)) => {
                        names.push_str(", ");
                        names.push_str(&name);
                    }
                    None => out.push((name, why)),
                }
            }
        }
    }
    out
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() {
        "—"
    } else {
        text
    }
}

/// Markdown cell text: `|` escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The workloads table in Markdown.
pub fn workloads_markdown() -> String {
    let mut out = String::from(
        "| workload | one task | variants (`--variant`, default first) | knobs | reads | writes | verification |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for w in workload::descriptions() {
        out.push_str(&workload_row(w));
    }
    out
}

fn workload_row(w: &WorkloadDesc) -> String {
    let variants: Vec<String> = w
        .variants
        .iter()
        .map(|v| format!("`{}`: {}", v.name, v.help))
        .collect();
    let knobs: Vec<String> = w.knobs.iter().map(knob_line).collect();
    format!(
        "| `{}` | {} | {} | {} | {} | {} | {} |\n",
        w.name,
        cell(w.summary),
        cell(&variants.join("; ")),
        cell(or_dash(&knobs.join("; "))),
        cell(or_dash(w.reads)),
        cell(or_dash(w.writes)),
        cell(w.verifies)
    )
}

/// The strategies table in Markdown.
pub fn strategies_markdown() -> String {
    let mut out = String::from(
        "| strategy | how tasks run | knobs | cannot run |\n| --- | --- | --- | --- |\n",
    );
    for s in strategy::descriptions() {
        let name = std::iter::once(s.name)
            .chain(s.aliases.iter().copied())
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" (also ")
            + if s.aliases.is_empty() { "" } else { ")" };
        let knobs: Vec<String> = s.knobs.iter().map(knob_line).collect();
        let refused: Vec<String> = refused(s)
            .into_iter()
            .map(|(names, why)| format!("{names}: {why}"))
            .collect();
        out.push_str(&format!(
            "| {name} | {} | {} | {} |\n",
            cell(s.summary),
            cell(or_dash(&knobs.join("; "))),
            cell(or_dash(&refused.join("; ")))
        ));
    }
    out
}

/// What `iolab describe --markdown` prints: the two tables, each between
/// its markers in `docs/workloads.md`.
pub fn markdown() -> String {
    format!(
        "{WORKLOADS_BEGIN}\n{}{END}\n\n{STRATEGIES_BEGIN}\n{}{END}\n",
        workloads_markdown(),
        strategies_markdown()
    )
}

/// What `iolab describe` prints: every workload with its variants and
/// knobs, every strategy with its knobs and what it cannot run and why.
pub fn text() -> String {
    let mut out = String::from("Workloads\n");
    for w in workload::descriptions() {
        out.push_str(&format!("\n{}: {}\n", w.name, w.summary));
        for (i, v) in w.variants.iter().enumerate() {
            let default = if i == 0 { " (default)" } else { "" };
            out.push_str(&format!("  variant {}{default}: {}\n", v.name, v.help));
        }
        for k in w.knobs {
            out.push_str(&format!("  knob {}\n", knob_line(k).replace('`', "")));
        }
        out.push_str(&format!("  reads: {}\n", or_dash(w.reads)));
        out.push_str(&format!("  writes: {}\n", or_dash(w.writes)));
        out.push_str(&format!("  verifies: {}\n", w.verifies));
    }
    out.push_str("\nStrategies\n");
    for s in strategy::descriptions() {
        out.push_str(&format!("\n{}: {}\n", s.name, s.summary));
        if !s.aliases.is_empty() {
            out.push_str(&format!("  also named: {}\n", s.aliases.join(", ")));
        }
        for k in s.knobs {
            out.push_str(&format!("  knob {}\n", knob_line(k).replace('`', "")));
        }
        for (names, why) in refused(s) {
            out.push_str(&format!("  cannot run {names}: {why}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_variant_knob_and_refusal_is_in_the_tables() {
        let md = markdown();
        for w in workload::descriptions() {
            assert!(md.contains(&format!("| `{}` |", w.name)), "{}", w.name);
            for v in w.variants {
                assert!(md.contains(&format!("`{}`: ", v.name)), "{}", v.name);
            }
        }
        assert!(
            md.contains("`--block SIZE` (default 4KiB; allowed 4KiB to 64MiB, a multiple of 4096)"),
            "{md}"
        );
        let text = text();
        assert!(
            text.contains("cannot run scan mmap, scan mmap-seq, random mmap: memory-mapped"),
            "{text}"
        );
        assert!(
            text.contains("cannot run noop: an external command has no tasks"),
            "{text}"
        );
    }
}
