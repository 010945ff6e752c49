//! Every registered workload and variant runs under every strategy that
//! claims it, and is refused with the strategy's reason under the others:
//! the lists come from the registries, so a new workload, variant or
//! strategy is covered without editing this test. Also: the
//! workload and strategy tables of `docs/workloads.md` are exactly `iolab describe --markdown`.

mod util;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use iolab::{strategy, workload};
use util::{text, Lab};

/// One `[[grid]]` block per workload: all its variants under `strategies`,
/// its count knobs small.
fn blocks(strategies: &[&str], extra: &str) -> String {
    let mut out = String::new();
    for w in workload::descriptions() {
        let variants: Vec<String> = w.variants.iter().map(|v| format!("{:?}", v.name)).collect();
        let strategies: Vec<String> = strategies.iter().map(|s| format!("{s:?}")).collect();
        let _ = write!(
            out,
            "[[grid]]\nworkload = [{:?}]\nvariant = [{}]\nstrategy = [{}]\nworkers = [2]\nbaseline = false\n{extra}",
            w.name,
            variants.join(", "),
            strategies.join(", ")
        );
        for (key, value) in [("append_lines", "50"), ("reads", "64"), ("segments", "4")] {
            if w.knob(key).is_some() {
                let _ = writeln!(out, "{key} = [{value}]");
            }
        }
        out.push('\n');
    }
    out
}

const CORPUS: &str =
    "reps = 1\nwarmup = 0\nsettle = \"0\"\n\n[corpus]\nfiles = 8\nlines = 4\nlarge_file = \"1MiB\"\n\n";

#[test]
fn every_workload_variant_runs_under_every_strategy_that_claims_it() {
    let lab = Lab::new();
    // The command strategy runs an external program that does the work its
    // own way: its claims and refusals are checked on the expansion alone.
    let in_process: Vec<&str> = strategy::names()
        .into_iter()
        .filter(|s| *s != "command")
        .collect();
    let path = lab.path().join("all.toml");
    std::fs::write(&path, format!("{CORPUS}{}", blocks(&in_process, ""))).unwrap();
    let commands = lab.path().join("command.toml");
    std::fs::write(
        &commands,
        format!("{CORPUS}{}", blocks(&["command"], "command = [\"true\"]\n")),
    )
    .unwrap();

    let dry = lab
        .iolab()
        .args(["run", "--no-progress", "--dry-run"])
        .arg(&path)
        .arg(&commands)
        .output()
        .unwrap();
    assert!(dry.status.success(), "{}", text(&dry));
    let listing = String::from_utf8_lossy(&dry.stdout).to_string();
    let mut expected: BTreeMap<(String, String), usize> = BTreeMap::new();
    for w in workload::descriptions() {
        for v in w.variants {
            for s in strategy::descriptions() {
                match s.refuses(v) {
                    Some(why) => {
                        let line = format!("{} cannot run {} {}: {why}", s.name, w.name, v.name);
                        assert!(
                            listing.contains(&line),
                            "missing refusal {line:?}:\n{listing}"
                        );
                    }
                    None if s.name == "command" => {
                        let id = format!("command/{}/", w.name);
                        assert!(
                            listing.lines().any(|l| l.starts_with(&id)),
                            "command should claim {} {}:\n{listing}",
                            w.name,
                            v.name
                        );
                    }
                    None => {
                        *expected
                            .entry((w.name.to_string(), s.name.to_string()))
                            .or_default() += 1
                    }
                }
            }
        }
    }

    let o = lab
        .iolab()
        .args(["run", "--no-progress", "--out"])
        .arg(lab.results())
        .arg(&path)
        .output()
        .unwrap();
    let run = lab.only_run();
    let mut ran: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in &run.summary {
        if row.n == 0 {
            // What the machine refuses (io_uring in a sandbox, O_DIRECT on
            // tmpfs) is recorded as unavailable, with its reason: say so.
            assert!(
                row.strategy == iolab::strategy::StrategyKind::IoUring
                    || row.variant.starts_with("direct"),
                "{row:#?}\n{}",
                text(&o)
            );
            println!(
                "{} {} {}: unavailable here",
                row.workload, row.variant, row.strategy
            );
        }
        *ran.entry((row.workload.to_string(), row.strategy.to_string()))
            .or_default() += 1;
    }
    assert_eq!(ran, expected, "{}", text(&o));
    // Every repetition that ran was verified, but for the append variants
    // that lose or tear lines on purpose.
    for row in run.summary.iter().filter(|r| r.n > 0 && r.n_verified == 0) {
        assert!(
            row.workload == iolab::workload::WorkloadKind::Append
                && row.variant.starts_with("unlocked"),
            "unverified: {row:#?}"
        );
    }
}

#[test]
fn the_doc_tables_are_what_describe_prints() {
    let lab = Lab::new();
    let o = lab
        .iolab()
        .args(["describe", "--markdown"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let printed = String::from_utf8_lossy(&o.stdout).to_string();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/workloads.md"))
            .expect("docs/workloads.md");
    let mut in_readme = String::new();
    for table in printed.split("\n\n") {
        let begin = table.lines().next().unwrap_or_default();
        let Some(start) = readme.find(begin) else {
            in_readme.push_str(&format!("(no marker {begin:?} in docs/workloads.md)\n"));
            continue;
        };
        let end_marker = iolab::catalog::END;
        let end = readme[start..]
            .find(end_marker)
            .map_or(readme.len(), |e| start + e + end_marker.len());
        if !in_readme.is_empty() {
            in_readme.push('\n');
        }
        in_readme.push_str(&readme[start..end]);
        in_readme.push('\n');
    }
    assert!(
        in_readme == printed,
        "docs/workloads.md's workload and strategy tables differ from `iolab describe --markdown`.\n\
         Regenerate them: scripts/update-doc-tables (it pastes `iolab describe --markdown` \
         over each table between its markers in docs/workloads.md).\n--- docs ---\n{in_readme}\n--- describe ---\n{printed}"
    );
    let plain = lab.iolab().arg("describe").output().unwrap();
    let plain = String::from_utf8_lossy(&plain.stdout).to_string();
    for w in workload::names() {
        assert!(plain.contains(&format!("\n{w}: ")), "{w} missing:\n{plain}");
    }
    assert!(
        plain.contains("cannot run copy kernel: the ring has no copy_file_range"),
        "{plain}"
    );
}
