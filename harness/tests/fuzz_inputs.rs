//! Generated inputs for the experiment-file parser and the size, duration
//! and run-id parsers: none may panic or hang. Each input runs on its own
//! thread under a 10 s watchdog (a hang guard, not a measurement).
//!
//! CI runs 2,000 cases per property; a dedicated run takes more:
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz_inputs`.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Run `f` on its own thread; fail when it panics or outlives 10 s.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        // The receiver outlives the worker unless the watchdog fired.
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(v) => {
            worker.join().expect("joined");
            v
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hung for 10 s on {what}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("panicked on {what}"),
    }
}

thread_local! {
    static DIR: tempfile::TempDir = tempfile::tempdir().expect("temp dir");
}

/// Write `text` as an experiment file and load it.
fn load(text: String) -> Result<usize, String> {
    let path: PathBuf = DIR.with(|d| d.path().join("fuzz.toml"));
    std::fs::write(&path, &text).expect("write");
    let shown = text.clone();
    bounded(&format!("{shown:?}"), move || {
        iolab::experiment::Experiment::load(&path)
            .map(|e| {
                e.expand(iolab::corpus::Scale::Quick, 1)
                    .map_or(0, |x| x.scenarios.len())
            })
            .map_err(|e| e.to_string())
    })
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("read".to_string()),
        Just("write".to_string()),
        Just("append".to_string()),
        Just("scan".to_string()),
        Just("threads".to_string()),
        Just("nested".to_string()),
        Just("command".to_string()),
        Just("sequential".to_string()),
        "[a-z_-]{0,12}",
    ]
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:?}")),
        any::<bool>().prop_map(|b| b.to_string()),
        "[0-9.]{0,8}(ms|s|m|h|min|KiB|MiB|GiB|TiB|kb|x)?".prop_map(|s| format!("{s:?}")),
        word().prop_map(|s| format!("{s:?}")),
        prop::collection::vec(any::<u16>(), 0..4).prop_map(|v| format!("{v:?}")),
    ]
}

fn list() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(word(), 0..4).prop_map(|v| format!("{v:?}")),
        prop::collection::vec(any::<u32>(), 0..5).prop_map(|v| format!("{v:?}")),
        prop::collection::vec(1u32..300, 0..40).prop_map(|v| format!("{v:?}")),
        prop::collection::vec("[0-9]{1,6}(KiB|MiB|B)?", 0..4).prop_map(|v| format!("{v:?}")),
        scalar(),
    ]
}

const TOP: [&str; 6] = [
    "reps",
    "warmup",
    "settle",
    "settle_timeout",
    "description",
    "claims",
];
const GRID: [&str; 16] = [
    "workload",
    "variant",
    "strategy",
    "workers",
    "threads",
    "batch",
    "cache",
    "chunk",
    "buffer",
    "fsync",
    "append_lines",
    "segments",
    "reads",
    "block",
    "kill_at",
    "first_files",
];

/// A file with the right shape and random values.
fn structured() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((prop::sample::select(&TOP[..]), scalar()), 0..4),
        prop::collection::vec(
            prop::collection::vec((prop::sample::select(&GRID[..]), list()), 0..7),
            0..3,
        ),
        prop::collection::vec(("files|lines|values|large_file", scalar()), 0..3),
    )
        .prop_map(|(top, grids, corpus)| {
            let mut t = String::new();
            for (k, v) in top {
                t.push_str(&format!("{k} = {v}\n"));
            }
            if !corpus.is_empty() {
                t.push_str("[corpus]\n");
                for (k, v) in corpus {
                    t.push_str(&format!("{k} = {v}\n"));
                }
            }
            for g in grids {
                t.push_str("[[grid]]\n");
                for (k, v) in g {
                    t.push_str(&format!("{k} = {v}\n"));
                }
            }
            t
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn toml_ish_text_never_panics_or_hangs(text in "([a-z_\\[\\]=\"'0-9., {}#\n-]|reps|grid|workload|\\[\\[grid\\]\\]){0,60}") {
        let _ = load(text);
    }

    #[test]
    fn structured_files_with_random_values_never_panic_or_hang(text in structured()) {
        let _ = load(text);
    }

    #[test]
    fn size_duration_and_run_id_parsers_never_panic(text in "\\PC{0,24}|[0-9.]{0,30}(ms|s|m|h|min|KiB|MiB|GiB|TiB|kb|mb|gb|tb)?") {
        let t = text.clone();
        bounded(&format!("{text:?}"), move || {
            let _ = iolab::experiment::parse_size(&t);
            let _ = iolab::experiment::parse_duration(&t);
            let _ = iolab::experiment::Wait::Settle.parse(&t);
            let _ = iolab::experiment::Wait::SettleTimeout.parse(&t);
            let _ = iolab::cli::plan::run_id(&t);
        });
        if let Ok(d) = iolab::experiment::Wait::Settle.parse(&text) {
            prop_assert!(d <= iolab::experiment::Wait::Settle.max());
        }
        if let Ok(id) = iolab::cli::plan::run_id(&text) {
            prop_assert!(!id.contains('/') && id != "." && id != ".." && !id.starts_with('-'));
        }
    }
}
