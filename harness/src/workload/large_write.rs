//! `large-write`: write one large file in transfers, IOR's "easy" write
//! (`ior -w -F -t T -b B -s S`): each rank (or the one process) writes its
//! own file in its scratch folder, `rank_segments` segments of `rank_block`
//! bytes, in `transfer`-byte `pwrite`s, one transfer per task. The bytes
//! are not rendered per write, as IOR renders none: a lane's buffer is
//! filled with the pattern once, at the lane's first task, and each task
//! stamps only its first and last 8 bytes with its offset. After the
//! region every transfer is read back and compared whole.
//!
//! Owns: the file's offsets and its pattern. Does not own: the fsync of
//! every write (IOR `-Y`) or the sync at the end (IOR `-e`), which are the
//! `durability` knob's `each` and `end-sync`.

use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::durability::{self, Durability};
use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::{size_label, Lane, Reads, RunCheck, Shared, TaskContext, TaskOutput, Tasks};
use crate::corpus::Corpus;
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{write_all_at, Buf, Io, Open};
use crate::sys::cache::DIRECT_ALIGN;

/// The file each rank writes, in its scratch folder.
pub const FILE_NAME: &str = "large-write.dat";

/// Most transfers (tasks) one repetition may hold.
const MAX_TRANSFERS: u64 = 100_000_000;

const TRANSFER: KnobDesc = KnobDesc {
    key: "transfer",
    kind: KnobKind::Size {
        min: 4096,
        max: 64 << 20,
        multiple_of: 4096,
    },
    default: "1MiB",
    help: "bytes per pwrite, one task each (IOR -t)",
    variants: &[],
};

const RANK_BLOCK: KnobDesc = KnobDesc {
    key: "rank_block",
    kind: KnobKind::Size {
        min: 4096,
        max: 1 << 40,
        multiple_of: 4096,
    },
    default: "64MiB",
    help: "bytes each rank writes per segment, a multiple of the transfer (IOR -b)",
    variants: &[],
};

const RANK_SEGMENTS: KnobDesc = KnobDesc {
    key: "rank_segments",
    kind: KnobKind::Count {
        min: 1,
        max: 1_000_000,
    },
    default: "1",
    help: "segments each rank writes (IOR -s); the file holds segments × block bytes",
    variants: &[],
};

variants! {
    /// The variants of `large-write`.
    pub enum LargeWriteVariant {
        /// Through the page cache.
        Buffered = VariantDesc {
            name: "buffered",
            help: "pwrite through the page cache",
            needs: &[],
        },
        /// `O_DIRECT` from aligned buffers.
        Direct = VariantDesc {
            name: "direct",
            help: "O_DIRECT pwrites from aligned buffers: no page cache (IOR -B)",
            needs: &[],
        },
    }
}

/// Knobs of `large-write`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LargeWriteSpec {
    /// `O_DIRECT` (`direct`) or through the page cache (`buffered`).
    pub direct: bool,
    /// Bytes per `pwrite` (one task).
    pub transfer: u64,
    /// Bytes per segment.
    pub block: u64,
    /// Segments.
    pub segments: u32,
    /// What must be on disk when the region closes.
    pub durability: Durability,
}

impl WorkloadSpec for LargeWriteSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "large-write",
        summary:
            "write one large file per rank in transfers, one per task (IOR's \"easy\" write, -w -F)",
        variants: LargeWriteVariant::DESCS,
        knobs: &[TRANSFER, RANK_BLOCK, RANK_SEGMENTS, durability::KNOB],
        reads: "",
        writes: "one large file in the scratch folder",
        verifies: "every transfer read back whole against the pattern and its offset",
    };

    const READS: Reads = Reads::Own {
        why: "writes one file of its own per rank and reads none, so an input set means nothing to it",
        cached: None,
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let spec = LargeWriteSpec {
            direct: LargeWriteVariant::of(variant)? == LargeWriteVariant::Direct,
            transfer: knobs.size(&TRANSFER)? as u64,
            block: knobs.size(&RANK_BLOCK)? as u64,
            segments: knobs.count(&RANK_SEGMENTS)?,
            durability: Durability::of(knobs)?,
        };
        if !spec.block.is_multiple_of(spec.transfer) {
            return Err(KnobError {
                key: RANK_BLOCK.key,
                value: size_label(spec.block as usize),
                allowed: format!(
                    "a multiple of the transfer ({})",
                    size_label(spec.transfer as usize)
                ),
            });
        }
        if u64::from(spec.segments) * (spec.block / spec.transfer) > MAX_TRANSFERS {
            return Err(KnobError {
                key: RANK_SEGMENTS.key,
                value: spec.segments.to_string(),
                allowed: format!(
                    "at most {MAX_TRANSFERS} transfers in all (segments × block ÷ transfer)"
                ),
            });
        }
        Ok(spec)
    }

    fn variant(&self) -> &'static str {
        match self.direct {
            true => LargeWriteVariant::Direct,
            false => LargeWriteVariant::Buffered,
        }
        .as_str()
    }

    fn label(&self) -> String {
        let base = format!(
            "{},t={},b={},s={}",
            self.variant(),
            size_label(self.transfer as usize),
            size_label(self.block as usize),
            self.segments
        );
        self.durability.labelled(base)
    }

    fn durability(&self) -> Option<Durability> {
        Some(self.durability)
    }

    fn chunk_bytes(&self) -> Option<u64> {
        Some(self.transfer)
    }

    fn tasks(&self) -> Tasks {
        Tasks::Count(self.transfers())
    }

    fn keeps_evidence(&self) -> bool {
        false
    }

    fn unavailable(&self, ctx: &TaskContext) -> Option<String> {
        let path = ctx.scratch.join(FILE_NAME);
        match self.direct {
            true => crate::sys::cache::open_direct(&path)
                .err()
                .map(|e| format!("O_DIRECT unavailable: {} refused it ({e})", path.display())),
            false => None,
        }
    }

    /// The empty file, made before the region so every process opens it.
    fn setup_repetition(&self, ctx: &TaskContext) -> io::Result<()> {
        let path = ctx.scratch.join(FILE_NAME);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map(drop)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }

    async fn prepare<I: Io>(&self, io: &I, ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        let how = Open {
            direct: self.direct,
            create: false,
            ..Open::WRITE
        };
        let mut shared = Shared::empty();
        shared.file = Some(io.open(&ctx.scratch.join(FILE_NAME), how).await?);
        Ok(shared)
    }

    fn verify_run(&self, ctx: &TaskContext, _: &Corpus, _: u64, _: bool) -> RunCheck {
        self.verify(ctx, 0..self.transfers())
    }

    fn verify_finished(&self, ctx: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        self.verify(ctx, finished)
    }
}

impl TaskRunner for LargeWriteSpec {
    fn task_path(&self, ctx: &TaskContext, _index: u32) -> PathBuf {
        ctx.scratch.join(FILE_NAME)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        let (shared, lane, index) = (task.shared, task.lane, task.index);
        let at = self.offset(index);
        let len = self.transfer as usize;
        let file = shared.file()?;
        let mut buf = self.lane_buffer(lane);
        stamp(buf.as_mut_slice(), at);
        if !self.direct {
            // The blocking backend writes from the buffer in place.
            match io.write_at_now(file, buf.as_slice(), at) {
                Some(Ok(n)) if n == len => return self.done(io, file, lane, buf).await,
                Some(Err(e)) => {
                    lane.put_buf(buf);
                    return Err(e);
                }
                Some(Ok(_)) | None => {}
            }
        }
        let (res, buf) = write_all_at(io, file, buf, at).await;
        match res {
            Ok(_) => self.done(io, file, lane, buf).await,
            Err(e) => {
                lane.put_buf(buf);
                Err(e)
            }
        }
    }
}

impl LargeWriteSpec {
    /// Transfers (tasks) per repetition.
    fn transfers(&self) -> u32 {
        (u64::from(self.segments) * (self.block / self.transfer.max(1))) as u32
    }

    /// Where transfer `index` goes: segment `index ÷ (block ÷ transfer)`,
    /// at its transfer's place within the segment's block. A rank's own
    /// file holds its segments one after another, so this is `index ×
    /// transfer` (IOR `-F`).
    fn offset(&self, index: u32) -> u64 {
        let per_block = self.block / self.transfer.max(1);
        let (segment, within) = (u64::from(index) / per_block, u64::from(index) % per_block);
        segment * self.block + within * self.transfer
    }

    /// The lane's buffer holding the pattern, `transfer` bytes (aligned for
    /// `O_DIRECT`): filled the first time a lane takes it, reused after.
    fn lane_buffer<F>(&self, lane: &mut Lane<F>) -> Buf {
        let len = self.transfer as usize;
        let mut buf = lane.take_buf(len);
        let ready = buf.as_slice().as_ptr().align_offset(DIRECT_ALIGN) == 0 && is_pattern(&buf);
        if !ready {
            buf = Buf::aligned(len, DIRECT_ALIGN);
            fill(buf.as_mut_slice());
        }
        buf
    }

    /// The task's end: the fsync of `durability each` (IOR `-Y`), the
    /// buffer handed back to the lane.
    async fn done<I: Io>(
        &self,
        io: &I,
        file: &I::File,
        lane: &mut Lane<I::File>,
        buf: Buf,
    ) -> io::Result<TaskOutput> {
        lane.put_buf(buf);
        self.durability.sync_file(io, file).await?;
        Ok(TaskOutput {
            bytes: self.transfer,
            count: 0,
            evidence: None,
            ..TaskOutput::default()
        })
    }

    /// Read back the transfers `tasks` and compare each whole with what
    /// it must hold.
    fn verify(&self, ctx: &TaskContext, tasks: impl IntoIterator<Item = u32>) -> RunCheck {
        let path = ctx.scratch.join(FILE_NAME);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => return RunCheck::failed(format!("{}: {e}", path.display())),
        };
        let len = self.transfer as usize;
        let (mut got, mut want) = (vec![0u8; len], vec![0u8; len]);
        fill(&mut want);
        let mut checked = 0u64;
        for index in tasks {
            let at = self.offset(index);
            stamp(&mut want, at);
            if let Err(e) = file.read_exact_at(&mut got, at) {
                return RunCheck::failed(format!(
                    "{}: transfer {index} at offset {at}: {e}",
                    path.display()
                ));
            }
            if got != want {
                return RunCheck::failed(format!(
                    "{}: transfer {index} at offset {at} holds other bytes than were written",
                    path.display()
                ));
            }
            checked += 1;
        }
        RunCheck::passed(format!("{checked} transfers read back whole"))
    }
}

/// Word `w` of the pattern (a splitmix64 step: no two words alike).
fn word(w: usize) -> u64 {
    let mut z = (w as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^ (z >> 27)
}

/// Fill `buf` (a multiple of 8 bytes) with the pattern.
fn fill(buf: &mut [u8]) {
    for (w, chunk) in buf.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&word(w).to_le_bytes());
    }
}

/// Whether `buf` holds the pattern already (two words inside it checked:
/// a lane's buffer is filled once, by this workload alone).
fn is_pattern(buf: &Buf) -> bool {
    let b = buf.as_slice();
    let at = |w: usize| b.get(w * 8..w * 8 + 8).map(|s| s == word(w).to_le_bytes());
    at(1) == Some(true) && at(b.len() / 8 - 2) == Some(true)
}

/// Stamp a transfer's first and last 8 bytes with its offset, so a
/// transfer written at another place fails the read-back.
#[inline]
fn stamp(buf: &mut [u8], at: u64) {
    let n = buf.len();
    buf[..8].copy_from_slice(&at.to_le_bytes());
    buf[n - 8..].copy_from_slice(&(!at).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Blocking;
    use futures::executor::block_on;

    fn spec(transfer: u64, block: u64, segments: u32) -> LargeWriteSpec {
        LargeWriteSpec {
            direct: false,
            transfer,
            block,
            segments,
            durability: Durability::None,
        }
    }

    #[test]
    fn offsets_cover_the_file_once_in_order() {
        let s = spec(4096, 16384, 3);
        assert_eq!(s.transfers(), 12);
        let offsets: Vec<u64> = (0..12).map(|i| s.offset(i)).collect();
        assert_eq!(offsets, (0..12).map(|i| i * 4096).collect::<Vec<_>>());
    }

    #[test]
    fn a_block_that_is_not_a_multiple_of_the_transfer_is_refused() {
        let mut knobs = KnobValues::seeded(0);
        knobs.set("transfer", crate::describe::KnobValue::Number(8192));
        knobs.set("rank_block", crate::describe::KnobValue::Number(12288));
        let err = LargeWriteSpec::build(LargeWriteVariant::Buffered.desc(), &knobs).unwrap_err();
        assert_eq!(err.key, "rank_block");
        assert!(err.allowed.contains("multiple of the transfer"), "{err:?}");
    }

    #[test]
    fn every_transfer_is_written_and_read_back_and_a_misplaced_one_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let (corpus, ctx) = crate::workload::test_corpus(dir.path(), 1, 4096);
        let s = spec(8192, 32768, 2);
        s.setup_repetition(&ctx).unwrap();
        let shared = block_on(s.prepare(&Blocking, &ctx)).unwrap();
        let mut lane = Lane::default();
        // Tasks in any order: a lane takes whichever index comes next.
        for i in (0..s.transfers()).rev() {
            let out = block_on(s.run_task(
                &Blocking,
                Task {
                    ctx: &ctx,
                    shared: &shared,
                    lane: &mut lane,
                    index: i,
                },
            ))
            .unwrap();
            assert_eq!(out.bytes, 8192);
        }
        let check = s.verify_run(&ctx, &corpus, 0, true);
        assert!(check.verified, "{}", check.detail);
        assert_eq!(check.detail, "8 transfers read back whole");
        // Transfer 5's bytes copied over transfer 2: its stamp betrays it.
        let path = ctx.scratch.join(FILE_NAME);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let mut five = vec![0u8; 8192];
        file.read_exact_at(&mut five, s.offset(5)).unwrap();
        file.write_all_at(&five, s.offset(2)).unwrap();
        let check = s.verify_run(&ctx, &corpus, 0, true);
        assert!(!check.verified);
        assert!(
            check.detail.contains("transfer 2 at offset 16384"),
            "{}",
            check.detail
        );
        // The stonewall's check covers only the finished transfers.
        assert!(s.verify_finished(&ctx, &corpus, vec![0, 1, 3]).verified);
    }
}
