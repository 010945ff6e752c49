//! The claims as data: one entry per claim of `shared/claims.md` (and the
//! same claims run as the tutorials' own Python programs), each with the
//! summary rows that test it and the claimed effect. Sides leave the
//! durability open (judged per setting) except where a Python program,
//! which never fsyncs, is compared.

use super::{Claim, Metric, Select, Test};
use crate::measure::cache::CacheState;
use crate::workload::Durability;

const fn side(
    workload: &'static str,
    variants: &'static [&'static str],
    strategy: &'static str,
) -> Select {
    Select {
        workload,
        variants,
        strategy,
        workers: None,
        processes: None,
        batch: None,
        cache: CacheState::Warm,
        program: None,
        durability: None,
    }
}

/// A Python reference program's rows: they never fsync, so `none` only.
const fn python(workload: &'static str, program: &'static str) -> Select {
    Select {
        program: Some(program),
        ..page_cache(side(workload, &[], "command"))
    }
}

/// `s` at durability `none` only (the Python programs' setting).
const fn page_cache(s: Select) -> Select {
    Select {
        durability: Some(Durability::None),
        ..s
    }
}

const fn ratio(baseline: Select, candidate: Select, at_least: f64, up_to: Option<f64>) -> Test {
    Test::Ratio {
        baseline,
        candidate,
        metric: Metric::Wall,
        at_least,
        up_to,
        same_workers: false,
    }
}

const SEQ_SAVE: Select = side("write", &["one-write"], "sequential");
const SEQ_LOAD: Select = side("read", &["whole"], "sequential");
const SEQ_COPY: Select = side("copy", &["loop,chunk=64KiB"], "sequential");

/// Every claim iolab judges, in the order of `shared/claims.md`.
pub const CLAIMS: &[Claim] = &[
    Claim {
        id: "save-process-pool",
        statement: "Saving many CSV files with a pool of 8 worker processes, one task per file, is 2.5–3× faster than saving them one by one.",
        source: "ProcessPoolExecutor(8).submit(save, path) per file",
        tested_by: "experiments/save.toml, experiments/claims.toml",
        claimed: "2.5–3× (200 s → 71 s)",
        test: ratio(
            SEQ_SAVE,
            Select { workers: Some(8), batch: Some((1, 1)), ..side("write", &["one-write"], "processes") },
            2.5,
            Some(3.0),
        ),
    },
    Claim {
        id: "save-process-pool.python",
        statement: "The same, as the tutorial's Python: ProcessPoolExecutor(8) vs a plain loop.",
        source: "scripts/python/save_process_pool.py vs save_sequential.py",
        tested_by: "experiments/claims.toml",
        claimed: "2.5–3× (200 s → 71 s)",
        test: ratio(
            python("write", "save_sequential"),
            Select { workers: Some(8), ..python("write", "save_process_pool") },
            2.5,
            Some(3.0),
        ),
    },
    Claim {
        id: "copy-thread-pool",
        statement: "Copying many files with a pool of 100 threads, one task per file, is 2–2.5× faster than copying them one by one.",
        source: "ThreadPoolExecutor(100).submit(shutil.copy, src, dst) per file",
        tested_by: "experiments/copy.toml, experiments/claims.toml",
        claimed: "2–2.5× (10 s → 3.7 s)",
        test: ratio(
            SEQ_COPY,
            Select { workers: Some(100), ..side("copy", &["loop,chunk=64KiB"], "threads") },
            2.0,
            Some(2.5),
        ),
    },
    Claim {
        id: "copy-thread-pool.python",
        statement: "The same, as the tutorial's Python: ThreadPoolExecutor(100) vs a plain loop of shutil.copy.",
        source: "scripts/python/copy_thread_pool.py vs copy_sequential.py",
        tested_by: "experiments/claims.toml",
        claimed: "2–2.5× (10 s → 3.7 s)",
        test: ratio(
            python("copy", "copy_sequential"),
            Select { workers: Some(100), ..python("copy", "copy_thread_pool") },
            2.0,
            Some(2.5),
        ),
    },
    Claim {
        id: "load-nested-pools",
        statement: "Loading many files with 8 worker processes, each loading its chunk with a pool of threads, is 1.5–2× faster than loading them one by one.",
        source: "ProcessPoolExecutor(8) over chunks, ThreadPoolExecutor per chunk",
        tested_by: "experiments/claims.toml",
        claimed: "1.5–2× (2.5 s → 1.4 s)",
        test: ratio(
            SEQ_LOAD,
            Select { processes: Some(8), ..side("read", &["whole"], "nested") },
            1.5,
            Some(2.0),
        ),
    },
    Claim {
        id: "load-nested-pools.python",
        statement: "The same, as the tutorial's Python: processes × threads vs a plain loop.",
        source: "scripts/python/load_nested.py vs load_sequential.py",
        tested_by: "experiments/claims.toml",
        claimed: "1.5–2× (2.5 s → 1.4 s)",
        test: ratio(
            python("read", "load_sequential"),
            Select { workers: Some(8), ..python("read", "load_nested") },
            1.5,
            Some(2.0),
        ),
    },
    Claim {
        id: "load-faster-than-save",
        statement: "Loading files is faster than saving them.",
        source: "the tutorials' sequential load and save of the same corpus",
        tested_by: "experiments/load.toml, experiments/save.toml",
        claimed: "> 1× (2.5 s vs 200 s)",
        test: ratio(SEQ_SAVE, SEQ_LOAD, 1.0, None),
    },
    Claim {
        id: "append-needs-lock",
        statement: "Appending lines to one file from many threads without a lock corrupts or loses lines; with a mutex all lines arrive intact.",
        source: "threads writing to one open file, with and without threading.Lock",
        tested_by: "experiments/append.toml",
        claimed: "lines lost or torn without a lock; none with it",
        test: Test::Append { python: false },
    },
    Claim {
        id: "append-needs-lock.python",
        statement: "The same, as the tutorial's Python: threads appending with and without threading.Lock.",
        source: "scripts/python/append_lock.py, append_nolock.py",
        tested_by: "experiments/append.toml",
        claimed: "lines lost or torn without a lock; none with it",
        test: Test::Append { python: true },
    },
    Claim {
        id: "batching-helps",
        statement: "Grouping tasks into batches cuts the overhead of a pool of workers.",
        source: "ProcessPoolExecutor.map(chunksize=N)",
        tested_by: "experiments/load.toml",
        claimed: "> 1× (batches faster than one task per message)",
        test: Test::Ratio {
            baseline: Select { batch: Some((1, 1)), ..side("read", &["whole"], "processes") },
            candidate: Select { batch: Some((2, u32::MAX)), ..side("read", &["whole"], "processes") },
            metric: Metric::Wall,
            at_least: 1.0,
            up_to: None,
            same_workers: true,
        },
    },
    Claim {
        id: "mmap-sequential",
        statement: "Sequential reading through mmap is about 4× faster than read().",
        source: "mmap.mmap(f.fileno(), 0) scan vs f.read(chunk) loop",
        tested_by: "experiments/stream-scan.toml",
        claimed: "≈4× (2,400 → 9,800 MB/s)",
        test: ratio(
            side("scan", &["read,chunk=1MiB"], "sequential"),
            side("scan", &["mmap", "mmap-seq"], "sequential"),
            3.5,
            Some(4.5),
        ),
    },
    Claim {
        id: "mmap-random",
        statement: "Random access through mmap has about 8× lower latency than read() calls.",
        source: "mm[offset:offset+4096] vs f.seek(offset); f.read(4096)",
        tested_by: "experiments/random.toml",
        claimed: "≈8× (95 µs → 12 µs)",
        test: ratio(
            side("random", &["pread,block=4KiB"], "sequential"),
            side("random", &["mmap,block=4KiB"], "sequential"),
            7.5,
            Some(8.5),
        ),
    },
    Claim {
        id: "stream-constant-memory",
        statement: "Streaming a file line by line keeps memory constant whatever the file size.",
        source: "for line in open(path): …",
        tested_by: "experiments/stream-scan.toml",
        claimed: "memory added a small fraction of the file (≤ 1/4)",
        test: Test::Memory {
            rows: side("stream", &[], "sequential"),
            at_least: 4.0,
        },
    },
    Claim {
        id: "async-nonblocking",
        statement: "Async file I/O (aiofiles: a thread pool under an event loop) writes many files faster than writing them synchronously.",
        source: "asyncio.gather(aiofiles writes)",
        tested_by: "experiments/async.toml",
        claimed: "> 1×",
        test: ratio(SEQ_SAVE, side("write", &["one-write"], "tokio"), 1.0, None),
    },
    Claim {
        id: "async-nonblocking.python",
        statement: "The same, as the tutorial's Python: aiofiles writes under asyncio vs a plain loop.",
        source: "scripts/python/aiofiles_save.py vs save_sequential.py",
        tested_by: "experiments/claims.toml (python-async-save; the first 500 files at default scale)",
        claimed: "> 1×",
        test: ratio(
            python("write", "save_sequential"),
            python("write", "aiofiles_save"),
            1.0,
            None,
        ),
    },
    Claim {
        id: "native-aio-cheaper",
        statement: "Linux native async I/O costs less CPU than thread-based async file I/O at the same concurrency.",
        source: "aiofile/caio (libaio) vs aiofiles (threads); here io_uring vs tokio::fs",
        tested_by: "experiments/async.toml",
        claimed: "> 1× less CPU",
        test: Test::Ratio {
            baseline: side("read", &["whole"], "tokio"),
            candidate: side("read", &["whole"], "io_uring"),
            metric: Metric::Cpu,
            at_least: 1.0,
            up_to: None,
            same_workers: true,
        },
    },
    Claim {
        id: "native-aio-cheaper.python",
        statement: "The same, as the tutorial's Python: aiofile (caio) reads vs aiofiles reads, CPU time.",
        source: "scripts/python/aiofile_load.py vs aiofiles_load.py",
        tested_by: "experiments/claims.toml",
        claimed: "> 1× less CPU",
        test: Test::Ratio {
            baseline: python("read", "aiofiles_load"),
            candidate: python("read", "aiofile_load"),
            metric: Metric::Cpu,
            at_least: 1.0,
            up_to: None,
            same_workers: true,
        },
    },
    Claim {
        id: "chunked-line-reader",
        statement: "Reading lines through a chunked buffer (4 KiB) is much faster than line-at-a-time reads on the file.",
        source: "io.BufferedReader(…, 4096) vs os.read per line",
        tested_by: "experiments/stream-scan.toml",
        claimed: "≥ 2× (\"much faster\")",
        test: ratio(
            side("stream", &["unbuffered", "buffer=64B"], "sequential"),
            side("stream", &["buffer=4KiB"], "sequential"),
            2.0,
            None,
        ),
    },
    Claim {
        id: "atomic-save-safe",
        statement: "Writing in place can leave a torn file when the writer dies mid-write; temp file + fsync + rename never does.",
        source: "open(path, 'w').write(…) vs tempfile + os.fsync + os.replace",
        tested_by: "experiments/atomic.toml",
        claimed: "torn targets in place; none with rename",
        test: Test::Atomic,
    },
    Claim {
        id: "fsync-cost",
        statement: "Durability needs fsync of the file and of its directory, and it has a cost.",
        source: "os.fsync(f); os.fsync(dir_fd) around os.replace",
        tested_by: "experiments/atomic.toml (durability; the first 1,000 files at default scale), experiments/extra/fsync.toml",
        claimed: "> 1× (saving without fsync is faster)",
        test: ratio(
            side("atomic-save", &["rename-fsync-dir"], "sequential"),
            side("atomic-save", &["rename"], "sequential"),
            1.0,
            None,
        ),
    },
    Claim {
        id: "same-work.load",
        statement: "Rust loading the corpus one file after another is not slower than the Python reference doing the same work: each file read whole and its bytes thrown away.",
        source: "iolab read discard · sequential vs scripts/python/load_sequential.py (binary mode, nothing decoded; iolab read whole keeps the bytes and is not paired)",
        tested_by: "experiments/claims.toml (same-work-load, python-load)",
        claimed: "≥ 1× (Rust at least as fast)",
        test: ratio(
            python("read", "load_sequential"),
            side("read", &["discard"], "sequential"),
            1.0,
            None,
        ),
    },
    Claim {
        id: "same-work.copy",
        statement: "Rust copying the corpus one file after another is not slower than the Python reference doing the same work: a kernel copy of each file, then its permission bits.",
        source: "iolab copy kernel · sequential (copy_file_range) vs scripts/python/copy_sequential.py (shutil.copy: sendfile); iolab copy loop is not paired",
        tested_by: "experiments/claims.toml (same-work-copy, python-copy)",
        claimed: "≥ 1× (Rust at least as fast)",
        test: ratio(
            python("copy", "copy_sequential"),
            page_cache(side("copy", &["kernel"], "sequential")),
            1.0,
            None,
        ),
    },
];
