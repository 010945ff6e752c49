//! What the harness-cost benches share: a tiny warm corpus with a large
//! file, one timed region through the library API the binary uses, and the
//! medians and load average they print.

use std::time::Duration;

use criterion::Criterion;
use iolab::corpus::{Corpus, CorpusSpec};
use iolab::strategy::{self, Strategy};
use iolab::workload::{TaskContext, Workload};

/// A tiny corpus with a 64 MiB large file, read once so it is warm.
pub fn lab() -> anyhow::Result<(tempfile::TempDir, Corpus, TaskContext)> {
    let tmp = tempfile::tempdir()?;
    let spec = CorpusSpec {
        files: 4,
        lines: 4,
        values: 10,
        large_file_bytes: Some(64 << 20),
        folders: iolab::corpus::Folders::Flat,
    };
    let (corpus, _, _lock) = Corpus::create_or_reuse(&tmp.path().join("c"), &spec, &|_, _| {})?;
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir(&scratch)?;
    let ctx = TaskContext::new(&corpus, &scratch);
    std::fs::read(ctx.large()?)?;
    Ok((tmp, corpus, ctx))
}

/// Wall time of one timed region running `workload` under `strategy`.
pub fn region(
    strategy: &Strategy,
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
) -> Duration {
    usage(strategy, workload, ctx, corpus).wall
}

/// Wall and CPU time of one timed region running `workload` under
/// `strategy`; panics unless every task succeeded and verified.
pub fn usage(
    strategy: &Strategy,
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
) -> iolab::measure::Usage {
    match strategy::execute(
        strategy,
        workload,
        ctx,
        corpus,
        (None, &iolab::measure::Alone),
    ) {
        Ok(exec) if exec.task_errors.is_empty() && exec.evidence_failures.is_empty() => exec.usage,
        Ok(exec) => panic!(
            "{strategy}: {:?} {:?}",
            exec.task_errors, exec.evidence_failures
        ),
        Err(e) => panic!("{strategy}: {e}"),
    }
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The 1, 5 and 15-minute load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|e| format!("unreadable: {e}"))
}

/// A bench's `main` after its own arguments: make the lab, then run
/// `interleaved` when `interleaved` is among the arguments (a filter no
/// criterion benchmark matches), else the criterion benchmarks `benches`.
pub fn run(
    interleaved: fn(&Corpus, &TaskContext),
    benches: fn(&mut Criterion, &Corpus, &TaskContext),
) {
    let (_tmp, corpus, ctx) = match lab() {
        Ok(made) => made,
        Err(e) => panic!("making the bench corpus: {e}"),
    };
    if std::env::args().any(|a| a == "interleaved") {
        interleaved(&corpus, &ctx);
        return;
    }
    // Without plots: they need a system font that a build machine may lack.
    let mut c = Criterion::default().without_plots().configure_from_args();
    benches(&mut c, &corpus, &ctx);
    c.final_summary();
}
