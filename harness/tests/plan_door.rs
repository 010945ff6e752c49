//! One door to the plan: a grid given by `iolab run`'s flags and the same
//! `[[grid]]` block in an experiment file (named `cli.toml`, the name the
//! flags' grid goes by) are planned by the same code, so they give
//! byte-identical plans — the form `run.json` records — or are both
//! refused. Checked over generated grids, valid and not, of every grid key
//! and every knob.
//!
//! CI runs 300 cases; a longer run: `PROPTEST_CASES=5000 cargo test
//! --release --test plan_door`.

use std::path::Path;

use iolab::cli::Command;
use iolab::describe::{KnobDesc, KnobKind, WorkloadDesc};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// How a key's values are written in TOML: quoted or bare.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Text,
    Number,
}

/// One grid key with its values.
#[derive(Clone, Debug)]
struct Key {
    key: &'static str,
    kind: Kind,
    values: Vec<String>,
}

/// A small deterministic generator (xorshift64*), seeded by proptest, so
/// one seed is one grid (printed when a case fails).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng((seed ^ 0x2545_F491_4F6C_DD1D) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True with probability `p` percent.
    fn chance(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    /// One to `max` distinct elements of `pool`, in pool order.
    fn some<T: Clone>(&mut self, pool: &[T], max: usize) -> Vec<T> {
        let n = 1 + (self.next() as usize) % max.min(pool.len()).max(1);
        let mut picked: Vec<usize> = Vec::new();
        while picked.len() < n.min(pool.len()) {
            let i = (self.next() as usize) % pool.len();
            if !picked.contains(&i) {
                picked.push(i);
            }
        }
        picked.sort_unstable();
        picked.into_iter().map(|i| pool[i].clone()).collect()
    }
}

fn key(key: &'static str, kind: Kind, values: Vec<String>) -> Key {
    Key { key, kind, values }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

/// Values for knob `k`: mostly ones its description allows, now and then
/// one it refuses.
fn knob_values(k: &KnobDesc, rng: &mut Rng) -> Key {
    let (kind, valid, invalid): (Kind, Vec<String>, &[&str]) = match k.kind {
        KnobKind::Size { .. } => (
            Kind::Text,
            ["1", "4KiB", "8KiB", "64KiB", "1MiB"]
                .iter()
                .filter(|t| iolab::cli::parse_knob(k, t).is_ok())
                .map(|t| t.to_string())
                .collect(),
            &["5000", "0", "lots"],
        ),
        KnobKind::Count { .. } => (
            Kind::Number,
            [0u64, 1, 2, 3, 4, 16, 64]
                .iter()
                .filter(|n| k.check(**n).is_ok())
                .map(|n| n.to_string())
                .collect(),
            &["0", "200000000"],
        ),
        KnobKind::Choice(names) => (Kind::Text, strings(names), &["bogus"]),
        KnobKind::Text if k.key == "command" => (
            Kind::Text,
            strings(&[
                "true",
                "cat {corpus}/data-00000.csv {files}",
                "printf '%s,%s' \"a\\\\b\" {files} {append_lines}",
            ]),
            &[],
        ),
        KnobKind::Text | KnobKind::Switch => (Kind::Text, strings(&["777", "1,2", "\"q\""]), &[]),
    };
    let mut values = rng.some(&valid, 3);
    if !invalid.is_empty() && rng.chance(8) {
        values.push(rng.some(&strings(invalid), 1).remove(0));
    }
    key(k.key, kind, values)
}

/// A grid: its workloads, its other keys (strategies, variants and knobs of
/// what it names, now and then a value or a key they refuse), and whether
/// the baseline is left out.
fn grid(seed: u64) -> (Key, Vec<Key>, bool) {
    let mut rng = Rng::new(seed);
    let names: Vec<String> = iolab::workload::names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let workloads = rng.some(&names, 3);
    let strategies = rng.some(
        &strings(&[
            "sequential",
            "threads",
            "processes",
            "nested",
            "tokio",
            "io_uring",
            "io-uring",
            "command",
        ]),
        3,
    );
    let mut keys = vec![key("strategy", Kind::Text, strategies.clone())];
    let wdescs: Vec<&'static WorkloadDesc> = workloads
        .iter()
        .filter_map(|n| iolab::workload::describe(n))
        .collect();
    if rng.chance(40) {
        let mut variants: Vec<String> = wdescs
            .iter()
            .flat_map(|w| w.variants.iter().map(|v| v.name.to_string()))
            .collect();
        variants.dedup();
        let mut chosen = rng.some(&variants, 3);
        if rng.chance(5) {
            chosen.push("bogus".into());
        }
        keys.push(key("variant", Kind::Text, chosen));
    }
    let sdescs = strategies
        .iter()
        .filter_map(|n| iolab::strategy::describe(n));
    let mut knobs: Vec<&'static KnobDesc> = Vec::new();
    for k in sdescs
        .flat_map(|s| s.knobs)
        .chain(wdescs.iter().flat_map(|w| w.knobs))
    {
        let required = k.key == "command";
        if !knobs.iter().any(|o| o.key == k.key) && (required || rng.chance(35)) {
            knobs.push(k);
        }
    }
    if rng.chance(5) && !knobs.iter().any(|k| k.key == "workers") {
        // A knob none of the grid's strategies takes (all sequential).
        knobs.push(&iolab::strategy::WORKERS);
    }
    for k in knobs {
        keys.push(knob_values(k, &mut rng));
    }
    let others: [(&str, Kind, &[&str]); 7] = [
        ("cache", Kind::Text, &["warm", "cold"]),
        ("first_files", Kind::Number, &["1", "5", "20", "25"]),
        ("kill_at", Kind::Number, &["0", "50"]),
        (
            "scratch_policy",
            Kind::Text,
            &["rotate", "delete-before", "delete-after"],
        ),
        ("after_deleting", Kind::Number, &["10"]),
        (
            "storage",
            Kind::Text,
            &["tmpfs", "xfs", "emulated:lat=1ms,qd=4", "data-dir"],
        ),
        ("ranks", Kind::Number, &["1", "2", "4", "0"]),
    ];
    for (name, kind, pool) in others {
        if rng.chance(20) {
            keys.push(key(name, kind, rng.some(&strings(pool), 2)));
        }
    }
    let workload = key("workload", Kind::Text, workloads);
    (workload, keys, rng.chance(30))
}

/// The flags of `grid`: each key as its flag, a list comma-separated (a
/// text knob's by repeating the flag, as a template may hold a comma).
fn flags(workload: &Key, keys: &[Key], no_baseline: bool) -> Vec<String> {
    let mut args = Vec::new();
    for k in std::iter::once(workload).chain(keys) {
        let flag = format!("--{}", k.key.replace('_', "-"));
        if matches!(k.key, "command" | "pattern") {
            for v in &k.values {
                args.push(format!("{flag}={v}"));
            }
        } else {
            args.push(format!("{flag}={}", k.values.join(",")));
        }
    }
    if no_baseline {
        args.push("--no-baseline".into());
    }
    args
}

/// The same grid as a `[[grid]]` block.
fn block(workload: &Key, keys: &[Key], no_baseline: bool) -> String {
    let mut text = String::from("[[grid]]\n");
    for k in std::iter::once(workload).chain(keys) {
        let values: Vec<String> = k
            .values
            .iter()
            .map(|v| match k.kind {
                Kind::Text => toml::Value::String(v.clone()).to_string(),
                Kind::Number => v.clone(),
            })
            .collect();
        text.push_str(&format!("{} = [{}]\n", k.key, values.join(", ")));
    }
    if no_baseline {
        text.push_str("baseline = false\n");
    }
    text
}

/// The measurement and corpus flags both runs share.
const COMMON: [&str; 10] = [
    "--files",
    "20",
    "--lines",
    "5",
    "--large-file",
    "1MiB",
    "--settle",
    "0",
    "--reps",
    "2",
];

/// The plan `iolab run ARGS` would run, as `run.json` records it, or why
/// it is refused.
fn plan_of(args: &[String]) -> Result<String, String> {
    let cli = iolab::cli::parse_from(args).map_err(|e| format!("usage: {e:?}"))?;
    let Command::Run(run) = cli.command else {
        return Err("not a run".into());
    };
    let planned = if run.experiments.is_empty() {
        iolab::cli::build_plan(&run).map_err(|e| e.to_string())?
    } else {
        let settings = iolab::cli::plan::run_settings(&run).map_err(|e| e.to_string())?;
        let experiments = run
            .experiments
            .iter()
            .map(|p| iolab::experiment::Experiment::load(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        iolab::experiment::plan(&experiments, &settings).map_err(|e| e.to_string())?
    };
    serde_json::to_string_pretty(&planned.plan).map_err(|e| e.to_string())
}

fn run_args(extra: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut args = vec!["iolab".to_string(), "run".to_string()];
    args.extend(extra);
    args.extend(COMMON.iter().map(|s| s.to_string()));
    args
}

fn both(
    dir: &Path,
    workload: &Key,
    keys: &[Key],
    no_baseline: bool,
) -> (Result<String, String>, Result<String, String>, String) {
    let file = dir.join("cli.toml");
    let text = block(workload, keys, no_baseline);
    std::fs::write(&file, &text).expect("write cli.toml");
    let by_flags = plan_of(&run_args(flags(workload, keys, no_baseline)));
    let by_file = plan_of(&run_args([file.display().to_string()]));
    (by_flags, by_file, text)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn flags_and_the_same_block_in_a_file_give_one_plan(seed in any::<u64>()) {
        let (workload, keys, no_baseline) = grid(seed);
        let dir = tempfile::tempdir().expect("temp dir");
        let (by_flags, by_file, text) = both(dir.path(), &workload, &keys, no_baseline);
        match (&by_flags, &by_file) {
            (Ok(a), Ok(b)) => {
                let first = a.lines().zip(b.lines()).find(|(x, y)| x != y);
                prop_assert!(a == b, "plans differ for\n{text}\nfirst difference (flags, file): {first:?}");
            }
            (Err(_), Err(_)) => {}
            _ => prop_assert!(
                false,
                "one door refused, the other did not, for\n{text}\nflags: {:?}\nfile: {:?}",
                by_flags.as_ref().map(|p| p.len()),
                by_file.as_ref().map(|p| p.len())
            ),
        }
    }
}

/// The example the issue gives, and a grid of every strategy with knobs:
/// both plan, identically, so the property above does not pass by refusing
/// everything.
#[test]
fn a_valid_grid_plans_identically_through_both_doors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = |name, kind, values: &[&str]| key(name, kind, strings(values));
    let read = key("workload", Kind::Text, &["read", "write", "random"]);
    let keys = [
        key(
            "strategy",
            Kind::Text,
            &["sequential", "threads", "nested", "command"],
        ),
        key("workers", Kind::Number, &["1", "2"]),
        key("threads", Kind::Number, &["2", "3"]),
        key(
            "command",
            Kind::Text,
            &["cat {corpus}/data-00000.csv,x", "true"],
        ),
        key("cache", Kind::Text, &["warm", "cold"]),
        key("durability", Kind::Text, &["none", "end-sync"]),
        key("block", Kind::Text, &["4KiB", "8KiB"]),
        key("scratch_policy", Kind::Text, &["rotate", "delete-before"]),
    ];
    let (by_flags, by_file, text) = both(dir.path(), &read, &keys, false);
    let plan = by_flags.expect("the flags plan");
    assert_eq!(Ok(&plan), by_file.as_ref(), "{text}");
    assert!(plan.contains("\"experiment\": \"cli\""), "{plan}");
    let parsed: iolab::experiment::Plan = serde_json::from_str(&plan).expect("a plan");
    assert!(parsed.scenarios.len() > 50, "{}", parsed.scenarios.len());
}

/// The generated grids are mostly ones that plan, so the property above
/// compares plans, not refusals: of 200 fixed seeds, at least a third
/// plan through both doors (and identically).
#[test]
fn most_generated_grids_plan() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut planned = 0;
    for seed in 0..200 {
        let (workload, keys, no_baseline) = grid(seed);
        let (by_flags, by_file, text) = both(dir.path(), &workload, &keys, no_baseline);
        assert_eq!(by_flags.is_ok(), by_file.is_ok(), "{text}");
        if let (Ok(a), Ok(b)) = (&by_flags, &by_file) {
            assert!(a == b, "{text}");
            planned += 1;
        }
    }
    assert!(planned >= 67, "only {planned} of 200 generated grids plan");
    println!("{planned} of 200 generated grids plan");
}
