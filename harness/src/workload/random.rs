//! `random`: read fixed-size blocks at random aligned offsets of the large
//! file, by `pread` into the lane's reused buffer or by touching the block in
//! a map. One read is one task, so the task latency histogram is the
//! per-read latency.
//!
//! Verification: the bytes are discarded (as a lookup that only inspects
//! them would), so each read keeps its length and, by the `evidence` knob,
//! either the word fold of its whole block (`fold`, the default:
//! [`Evidence::Fold`], wrapping sums of the block's 64-bit words, reading
//! every byte at the CPU's load bandwidth, where xxh3 cost about a third of
//! a warm 4 KiB `pread`) or only its first and last 8 bytes (`ends`:
//! [`Evidence::Ends`], two loads, the bytes otherwise untouched as fio and a
//! bare `pread` loop leave them). After the timed region every block is read
//! again with a plain `pread` at the offset recomputed from the seed and its
//! evidence compared. With `fold` that proves each read returned a full
//! block whose words are the file's at that offset: a wrong offset, a short,
//! shifted, zeroed or stale buffer, or any byte that differs from the file
//! (checked against the file as it is after the region) fails the run. It
//! does not prove what the fold cannot see: several changed words whose
//! changes cancel in the sums, or words swapped with others 64 bytes apart.
//! With `ends` it proves the length and that both ends of the buffer hold
//! the file's bytes at that offset (a wrong offset, a short, zeroed or stale
//! buffer fail), nothing about the bytes between.

use std::future::Future;
use std::io;
use std::os::unix::fs::FileExt;

use serde::{Deserialize, Serialize};

use std::path::PathBuf;

use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::scan::{large_path, map_large, open_large};
use super::Tasks;
use super::{size_label, Evidence, Kept, Lane, Reads, RunCheck, Shared, TaskContext, TaskOutput};
use crate::corpus::Corpus;
use crate::describe::{
    Capability, KnobDesc, KnobError, KnobKind, KnobValues, VariantDesc, WorkloadDesc,
};
use crate::io::{read_rest_at, Io};

/// Reads (tasks) per repetition.
const READS: KnobDesc = KnobDesc {
    key: "reads",
    kind: KnobKind::Count {
        min: 1,
        max: 100_000_000,
    },
    default: "10000",
    help: "random reads (tasks) per repetition",
    variants: &[],
};

const BLOCK: KnobDesc = KnobDesc {
    key: "block",
    kind: KnobKind::Size {
        min: 4096,
        max: 64 << 20,
        multiple_of: 4096,
    },
    default: "4KiB",
    help: "bytes per read, at block-aligned offsets",
    variants: &[],
};

const EVIDENCE: KnobDesc = KnobDesc {
    key: "evidence",
    kind: KnobKind::Choice(&["fold", "ends"]),
    default: "fold",
    help: "what each read keeps to be verified: fold (every byte, folded) or ends (the length and the block's first and last 8 bytes, the rest untouched as fio leaves it)",
    variants: &["pread"],
};

/// Knobs of `random`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomSpec {
    /// pread or mmap.
    pub method: RandomMethod,
    /// Reads (= tasks) per repetition.
    pub reads: u32,
    /// Bytes per read, a multiple of 4096.
    pub block: u32,
    /// Seed of the offsets (`--seed`).
    pub seed: u64,
    /// What each read keeps to be verified (plans recorded before the knob
    /// hold none: the fold of every byte).
    #[serde(default)]
    pub evidence: RandomEvidence,
}

impl WorkloadSpec for RandomSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "random",
        summary:
            "read fixed-size blocks at random aligned offsets of the large file, one read per task",
        variants: RandomMethod::DESCS,
        knobs: &[READS, BLOCK, EVIDENCE],
        reads: "the large file",
        writes: "",
        verifies:
            "each block's length and word fold (or first and last 8 bytes) against a plain pread at the same seeded offset",
    };

    const READS: Reads = Reads::LargeFile;

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let method = RandomMethod::of(variant)?;
        let asked = RandomEvidence::given(knobs)?;
        Ok(RandomSpec {
            method,
            reads: knobs.count(&READS)?,
            block: knobs.count(&BLOCK)?,
            seed: knobs.seed,
            // A map's pages are read by touching them, so `mmap` folds
            // every byte whatever the knob says.
            evidence: match method {
                RandomMethod::Pread => asked,
                RandomMethod::Mmap => RandomEvidence::Fold,
            },
        })
    }

    fn variant(&self) -> &'static str {
        self.method.as_str()
    }

    fn label(&self) -> String {
        let label = format!(
            "{},block={}",
            self.method.as_str(),
            size_label(self.block as usize)
        );
        match self.evidence {
            RandomEvidence::Fold => label,
            RandomEvidence::Ends => format!("{label},evidence=ends"),
        }
    }

    fn chunk_bytes(&self) -> Option<u64> {
        Some(u64::from(self.block))
    }

    fn tasks(&self) -> Tasks {
        Tasks::OfLargeFile(self.reads)
    }

    fn keeps_evidence(&self) -> bool {
        true
    }

    async fn prepare<I: Io>(&self, io: &I, ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        let mut shared = Shared::empty();
        match self.method {
            RandomMethod::Mmap => shared.map = map_large(ctx, false)?,
            RandomMethod::Pread => shared.file = Some(open_large(io, ctx, false).await?),
        }
        Ok(shared)
    }

    fn verify_tasks(&self, ctx: &TaskContext, _corpus: &Corpus, kept: &Kept) -> Vec<String> {
        if kept.is_empty() {
            return Vec::new();
        }
        let file = match ctx.large().and_then(std::fs::File::open) {
            Ok(file) => file,
            Err(e) => return vec![format!("opening the large file to verify: {e}")],
        };
        let mut expected = Vec::new();
        kept.iter()
            .filter_map(|(index, e)| verify(self, ctx, &file, &mut expected, *index, e).err())
            .collect()
    }

    fn verify_run(&self, _: &TaskContext, _: &Corpus, _: u64, _: bool) -> RunCheck {
        RunCheck::passed("task evidence checked")
    }

    fn verify_finished(&self, _: &TaskContext, _: &Corpus, _: Vec<u32>) -> RunCheck {
        RunCheck::passed("task evidence checked")
    }
}

impl TaskRunner for RandomSpec {
    fn task_path(&self, ctx: &TaskContext, _index: u32) -> PathBuf {
        large_path(ctx)
    }

    /// `run`'s own future, not wrapped in another (a read is one task, so
    /// a wrapper's cost would be paid on every read).
    fn run_task<I: Io>(
        &self,
        io: &I,
        task: Task<'_, I::File>,
    ) -> impl Future<Output = io::Result<TaskOutput>> {
        run(self, io, task.ctx, task.shared, task.lane, task.index)
    }
}

variants! {
    /// How a block is read: the variants of `random`.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum RandomMethod {
        /// One `pread(2)` per block.
        Pread = VariantDesc {
            name: "pread",
            help: "one pread(2) per block into the lane's reused buffer",
            needs: &[],
        },
        /// Read the block in place in a read-only map (page faults do the I/O).
        Mmap = VariantDesc {
            name: "mmap",
            help: "the block read in place in a read-only map (page faults do the I/O)",
            needs: &[Capability::Mmap],
        },
    }
}

/// What a read keeps to be verified (the `evidence` knob).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RandomEvidence {
    /// The word fold of every byte ([`Evidence::Fold`]).
    #[default]
    Fold,
    /// The length and the block's first and last 8 bytes ([`Evidence::Ends`]).
    Ends,
}

impl RandomEvidence {
    /// The setting the `evidence` knob names (or its default).
    ///
    /// # Errors
    /// A name the knob does not allow.
    fn given(knobs: &KnobValues) -> Result<RandomEvidence, KnobError> {
        match knobs.choice(&EVIDENCE)? {
            "fold" => Ok(RandomEvidence::Fold),
            "ends" => Ok(RandomEvidence::Ends),
            other => Err(KnobError {
                key: EVIDENCE.key,
                value: other.to_string(),
                allowed: EVIDENCE.kind.to_string(),
            }),
        }
    }

    /// This evidence of `bytes`.
    #[inline]
    fn of(self, bytes: &[u8]) -> Evidence {
        match self {
            RandomEvidence::Fold => Evidence::fold_of(bytes),
            RandomEvidence::Ends => Evidence::ends_of(bytes),
        }
    }
}

/// Offset of read `index`: a block-aligned position from a seeded mix, the
/// same on every run.
pub fn offset(spec: &RandomSpec, file_size: u64, index: u32) -> u64 {
    let block = u64::from(spec.block.max(1));
    let blocks = (file_size / block).max(1);
    let mut z = spec.seed ^ (u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // splitmix64 finaliser (Steele, Lea & Flood 2014).
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % blocks) * block
}

async fn run<I: Io>(
    spec: &RandomSpec,
    io: &I,
    ctx: &TaskContext,
    shared: &Shared<I::File>,
    lane: &mut Lane<I::File>,
    index: u32,
) -> io::Result<TaskOutput> {
    let at = offset(spec, ctx.large_bytes, index);
    let evidence = match spec.method {
        RandomMethod::Mmap => {
            let map = shared
                .map
                .as_ref()
                .ok_or_else(|| io::Error::other("large file not mapped"))?;
            let start = (at as usize).min(map.len());
            let end = (start + spec.block as usize).min(map.len());
            spec.evidence.of(&map[start..end])
        }
        RandomMethod::Pread => {
            let want = spec.block as usize;
            let file = shared.file()?;
            // The blocking backend reads into the lane's buffer in place; a
            // full block (or nothing, at the end) is the whole read.
            let block = lane.buf_mut(want);
            match io.read_at_now(file, block, at) {
                Some(Ok(n)) if n == want || n == 0 => {
                    return Ok(output(spec.evidence.of(&block[..n])))
                }
                Some(Err(e)) => return Err(e),
                Some(Ok(_)) | None => {}
            }
            // Other backends, or a short read: the owned buffer through the
            // backend's future, the rest of a short read fetched out of line.
            let buf = lane.take_buf(want);
            let (res, mut buf) = match io.read_at(file, buf, at).await {
                (Ok(n), buf) if n != 0 && n < want => read_rest_at(io, file, buf, at, n).await,
                done => done,
            };
            let read = res.map(|n| {
                buf.set_len(n);
                spec.evidence.of(buf.as_slice())
            });
            lane.put_buf(buf);
            read?
        }
    };
    Ok(output(evidence))
}

/// A read's task output: its byte count and its evidence.
#[inline]
fn output(evidence: Evidence) -> TaskOutput {
    TaskOutput {
        bytes: evidence.byte_count(),
        count: 0,
        evidence: Some(evidence),
        ..TaskOutput::default()
    }
}

/// Read the block again from `file` (the large file, opened once for all
/// of a lane's reads) with a plain `pread` into `expected` (one buffer for
/// all of them) and compare it with the evidence.
fn verify(
    spec: &RandomSpec,
    ctx: &TaskContext,
    file: &std::fs::File,
    expected: &mut Vec<u8>,
    index: u32,
    evidence: &Evidence,
) -> Result<(), String> {
    let at = offset(spec, ctx.large_bytes, index);
    let want = u64::from(spec.block).min(ctx.large_bytes.saturating_sub(at)) as usize;
    if evidence.byte_count() != want as u64 {
        return Err(format!(
            "read {index} at offset {at} returned {} bytes, expected {want}",
            evidence.byte_count()
        ));
    }
    expected.resize(want, 0);
    file.read_exact_at(expected, at)
        .map_err(|e| format!("reading the large file at offset {at}: {e}"))?;
    if evidence.matches(expected) {
        Ok(())
    } else {
        Err(format!(
            "read {index} at offset {at} returned other bytes than the file holds"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Blocking;
    use crate::workload::{Lane, Shared};
    use futures::executor::block_on;
    use std::path::PathBuf;

    fn large_file(dir: &std::path::Path, bytes: usize) -> (TaskContext, PathBuf) {
        let path = dir.join("large.csv");
        let data: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, data).unwrap();
        let ctx = TaskContext {
            corpus_dir: dir.to_path_buf(),
            files: 0,
            folders: crate::corpus::Folders::Flat,
            first_file: 0,
            used_files: 0,
            lines: 0,
            values: 0,
            large_file: Some(path.clone()),
            large_bytes: bytes as u64,
            scratch: dir.to_path_buf(),
            stonewall: None,
            inputs: None,
            peers: Default::default(),
        };
        (ctx, path)
    }

    /// [`verify`] with the large file opened for it.
    fn check(spec: &RandomSpec, ctx: &TaskContext, index: u32, e: &Evidence) -> Result<(), String> {
        let file = std::fs::File::open(ctx.large().unwrap()).unwrap();
        verify(spec, ctx, &file, &mut Vec::new(), index, e)
    }

    /// Run read `index` through the workload on the blocking backend,
    /// reusing `lane`'s buffer, and return its evidence.
    fn read_block(
        spec: &RandomSpec,
        ctx: &TaskContext,
        lane: &mut Lane<std::fs::File>,
        index: u32,
    ) -> Evidence {
        let shared = Shared {
            file: Some(std::fs::File::open(ctx.large().unwrap()).unwrap()),
            ..Shared::empty()
        };
        let out = block_on(run(spec, &Blocking, ctx, &shared, lane, index)).unwrap();
        assert_eq!(out.bytes, u64::from(spec.block));
        out.evidence.unwrap()
    }

    #[test]
    fn fold_evidence_verifies_and_catches_a_block_changed_after_the_read() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, path) = large_file(dir.path(), 64 << 10);
        let spec = RandomSpec::defaults(42).unwrap();
        let mut lane = Lane::default();
        let evidence: Vec<Evidence> = (0..8)
            .map(|i| read_block(&spec, &ctx, &mut lane, i))
            .collect();
        assert!(evidence.iter().all(|e| matches!(e, Evidence::Fold { .. })));
        for (i, e) in evidence.iter().enumerate() {
            assert_eq!(check(&spec, &ctx, i as u32, e), Ok(()));
        }
        // Between the timed region and verification, one byte of read 3's
        // block changes: its checksum no longer matches, the others still do.
        let at = offset(&spec, ctx.large_bytes, 3);
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let mut byte = [0u8; 1];
        std::fs::File::open(&path)
            .unwrap()
            .read_exact_at(&mut byte, at + 100)
            .unwrap();
        file.write_all_at(&[byte[0] ^ 0x55], at + 100).unwrap();
        let err = check(&spec, &ctx, 3, &evidence[3]).unwrap_err();
        assert!(err.contains("other bytes"), "{err}");
        let others = (0..8).filter(|&i| offset(&spec, ctx.large_bytes, i) / 4096 != at / 4096);
        for i in others {
            assert_eq!(check(&spec, &ctx, i, &evidence[i as usize]), Ok(()));
        }
    }

    #[test]
    fn evidence_checked_at_other_offsets_fails() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, _) = large_file(dir.path(), 256 << 10);
        let spec = RandomSpec::defaults(42).unwrap();
        let other_seed = RandomSpec {
            seed: spec.seed + 1,
            ..spec.clone()
        };
        let mut lane = Lane::default();
        for i in 0..16 {
            let e = read_block(&spec, &ctx, &mut lane, i);
            assert_eq!(check(&spec, &ctx, i, &e), Ok(()));
            // The same evidence checked as if read at another offset (the
            // next read's, or another seed's): a wrong offset is caught.
            let next = offset(&spec, ctx.large_bytes, i + 1);
            if next != offset(&spec, ctx.large_bytes, i) {
                let err = check(&spec, &ctx, i + 1, &e).unwrap_err();
                assert!(err.contains("other bytes"), "{err}");
            }
            if offset(&other_seed, ctx.large_bytes, i) != offset(&spec, ctx.large_bytes, i) {
                assert!(check(&other_seed, &ctx, i, &e).is_err());
            }
        }
    }

    #[test]
    fn ends_evidence_proves_the_length_and_both_ends_and_nothing_between() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, path) = large_file(dir.path(), 256 << 10);
        let spec = RandomSpec {
            evidence: RandomEvidence::Ends,
            ..RandomSpec::defaults(42).unwrap()
        };
        let mut lane = Lane::default();
        let evidence: Vec<Evidence> = (0..8)
            .map(|i| read_block(&spec, &ctx, &mut lane, i))
            .collect();
        for (i, e) in evidence.iter().enumerate() {
            assert!(matches!(e, Evidence::Ends { len: 4096, .. }), "{e:?}");
            assert_eq!(check(&spec, &ctx, i as u32, e), Ok(()));
            // Checked as if read at another offset: caught.
            let i = i as u32;
            if offset(&spec, ctx.large_bytes, i + 1) != offset(&spec, ctx.large_bytes, i) {
                assert!(check(&spec, &ctx, i + 1, e).is_err());
            }
        }
        let flip = |at: u64| {
            let mut byte = [0u8; 1];
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .unwrap();
            file.read_exact_at(&mut byte, at).unwrap();
            file.write_all_at(&[byte[0] ^ 0x55], at).unwrap();
        };
        // A byte inside the block changes: not seen (what `ends` leaves out).
        let at = offset(&spec, ctx.large_bytes, 2);
        flip(at + 100);
        assert_eq!(check(&spec, &ctx, 2, &evidence[2]), Ok(()));
        // Its last byte changes: seen.
        flip(at + 4095);
        let err = check(&spec, &ctx, 2, &evidence[2]).unwrap_err();
        assert!(err.contains("other bytes"), "{err}");
    }

    #[test]
    fn the_lane_buffer_is_reused_across_reads() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, _) = large_file(dir.path(), 64 << 10);
        let spec = RandomSpec::defaults(42).unwrap();
        let mut lane = Lane::default();
        read_block(&spec, &ctx, &mut lane, 0);
        let buf = lane.take_buf(4096);
        let ptr = buf.as_slice().as_ptr();
        lane.put_buf(buf);
        read_block(&spec, &ctx, &mut lane, 1);
        assert_eq!(lane.take_buf(4096).as_slice().as_ptr(), ptr);
    }
}
