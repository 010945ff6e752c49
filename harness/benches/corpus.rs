//! Corpus generation speed: rendering must outrun the disk.
//!
//! - `render_file`: one 1,000-line file (the `default` scale's file, the one
//!   the `write` workload renders in its timed region) and one 10,000-line
//!   file (`seed`), in bytes per second.
//! - `render_large`: 64 MiB of the large file into a discarding sink.
//! - `corpus`: `create` of a 1,000 × 100 corpus (the `quick` scale) in a fresh
//!   temporary directory, and `verify` of it (page cache warm).
//!
//! Needs `[[bench]] name = "corpus" harness = false` in `harness/Cargo.toml`.
//! Run: `cargo bench -p iolab --bench corpus`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use iolab::corpus::{file_size, render_file, render_large, Corpus, Scale};

fn bench_render_file(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_file");
    for lines in [1_000u32, 10_000] {
        let k = 5_000;
        group.throughput(Throughput::Bytes(file_size(k, lines, 10)));
        let mut out = Vec::new();
        group.bench_function(format!("{lines}_lines"), |b| {
            b.iter(|| {
                render_file(black_box(k), black_box(lines), 10, &mut out);
                black_box(out.len())
            })
        });
    }
    group.finish();
}

fn bench_render_large(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_large");
    let bytes = 64 << 20;
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(20);
    group.bench_function("64MiB", |b| {
        b.iter(|| {
            render_large(10, bytes, |block| {
                black_box(block);
                Ok(())
            })
        })
    });
    group.finish();
}

fn bench_corpus(c: &mut Criterion) {
    let spec = Scale::Quick.spec();
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(spec.total_bytes()));
    group.sample_size(10);
    let quiet = |_: u64, _: u64| {};
    group.bench_function("create_1000x100", |b| {
        b.iter_batched(
            || tempfile::tempdir().map(|t| (t.path().join("c"), t)),
            |made| {
                let (dir, tmp) = made?;
                Corpus::create_or_reuse(&dir, &spec, &quiet)?;
                anyhow::Ok(tmp)
            },
            BatchSize::PerIteration,
        )
    });
    let made = tempfile::tempdir()
        .map_err(anyhow::Error::from)
        .and_then(|tmp| {
            let (corpus, _, _lock) = Corpus::create_or_reuse(&tmp.path().join("c"), &spec, &quiet)?;
            Ok((tmp, corpus))
        });
    if let Ok((_tmp, corpus)) = made {
        group.bench_function("verify_1000x100_warm", |b| b.iter(|| corpus.verify(&quiet)));
    }
    group.finish();
}

criterion_group!(benches, bench_render_file, bench_render_large, bench_corpus);
criterion_main!(benches);
