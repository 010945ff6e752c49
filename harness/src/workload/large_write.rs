//! `large-write`: write one large file in transfers, IOR's write (`ior -w
//! -F -t T -b B -s S`, the "easy" write, or without `-F` one shared file):
//! each rank (or the one process) writes `rank_segments` segments of
//! `rank_block` bytes, in `transfer`-byte `pwrite`s, one transfer per task,
//! into its own file in its scratch folder or (`shared_file`) its part of
//! one file in rank 0's scratch folder, segmented or strided. The bytes
//! are not rendered per write, as IOR renders none: a lane's buffer is
//! filled with the pattern once, at the lane's first task, and each task
//! stamps only its first 8 bytes with its offset and its last 8 with its
//! rank. After the region each rank reads back every transfer of its own
//! and compares it whole.
//!
//! Owns: the task and its check. Does not own: the offsets, the file's
//! place and the pattern (`rank_file`), the fsync of every write (IOR
//! `-Y`) or the sync at the end (IOR `-e`), which are the `durability`
//! knob's `each` and `end-sync`.

use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::durability::{self, Durability};
use super::rank_file::{
    self, FileLayout, Geometry, RANK_BLOCK, RANK_SEGMENTS, SHARED_FILE, TRANSFER,
};
use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::{Lane, Reads, RunCheck, Shared, TaskContext, TaskOutput, Tasks};
use crate::corpus::Corpus;
use crate::describe::{KnobError, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{write_all_at, Buf, Io, Open};
use crate::sys::cache::DIRECT_ALIGN;

/// The file each rank writes, in its scratch folder (shared: rank 0's).
pub const FILE_NAME: &str = "large-write.dat";

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
    /// Bytes per `pwrite` (one task), per rank and segment, and segments.
    pub geometry: Geometry,
    /// What must be on disk when the region closes.
    pub durability: Durability,
    /// Each rank its own file, or one shared file (segmented, strided).
    #[serde(default)]
    pub layout: FileLayout,
}

impl WorkloadSpec for LargeWriteSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "large-write",
        summary:
            "write one large file per rank (IOR's \"easy\" write, -w -F) or one shared file (IOR -w), in transfers, one per task",
        variants: LargeWriteVariant::DESCS,
        knobs: &[TRANSFER, RANK_BLOCK, RANK_SEGMENTS, SHARED_FILE, durability::KNOB],
        reads: "",
        writes: "one large file in the scratch folder (shared: rank 0's)",
        verifies: "every transfer of the rank read back whole against the pattern, its offset and its rank",
    };

    const READS: Reads = Reads::Own {
        why: "writes one file of its own per rank and reads none, so an input set means nothing to it",
        cached: None,
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let spec = LargeWriteSpec {
            direct: LargeWriteVariant::of(variant)? == LargeWriteVariant::Direct,
            geometry: Geometry::of(knobs)?,
            durability: Durability::of(knobs)?,
            layout: FileLayout::of(knobs)?,
        };
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
        let base = self.geometry.label(self.variant());
        self.durability.labelled(self.layout.labelled(base))
    }

    fn durability(&self) -> Option<Durability> {
        Some(self.durability)
    }

    fn chunk_bytes(&self) -> Option<u64> {
        Some(self.geometry.transfer)
    }

    fn tasks(&self) -> Tasks {
        Tasks::Count(self.geometry.transfers())
    }

    fn keeps_evidence(&self) -> bool {
        false
    }

    fn unavailable(&self, ctx: &TaskContext) -> Option<String> {
        let rank = ctx.peers.rank;
        rank_file::unreachable(ctx, self.layout, rank, FILE_NAME)
            .or_else(|| direct_refused(self.direct, &self.path(ctx, rank)))
    }

    /// The empty file, made before the region so every process opens it
    /// (the shared one by rank 0 alone).
    fn setup_repetition(&self, ctx: &TaskContext) -> io::Result<()> {
        rank_file::create(ctx, self.layout, FILE_NAME)
    }

    async fn prepare<I: Io>(&self, io: &I, ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        let how = Open {
            direct: self.direct,
            create: false,
            ..Open::WRITE
        };
        let mut shared = Shared::empty();
        shared.file = Some(io.open(&self.path(ctx, ctx.peers.rank), how).await?);
        Ok(shared)
    }

    fn verify_run(&self, ctx: &TaskContext, _: &Corpus, _: u64, _: bool) -> RunCheck {
        self.verify(ctx, 0..self.geometry.transfers())
    }

    fn verify_finished(&self, ctx: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        self.verify(ctx, finished)
    }
}

impl TaskRunner for LargeWriteSpec {
    fn task_path(&self, ctx: &TaskContext, _index: u32) -> PathBuf {
        self.path(ctx, ctx.peers.rank)
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        let (ctx, shared, lane, index) = (task.ctx, task.shared, task.lane, task.index);
        let at = self.offset(ctx, index);
        let len = self.geometry.transfer as usize;
        let file = shared.file()?;
        let mut buf = self.lane_buffer(lane);
        rank_file::stamp(buf.as_mut_slice(), at, ctx.peers.rank);
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
    /// Where this rank's transfer `index` goes ([`rank_file::offset`]).
    fn offset(&self, ctx: &TaskContext, index: u32) -> u64 {
        let ranks = (ctx.peers.rank, ctx.peers.ranks());
        rank_file::offset(self.layout, self.geometry, ranks, index)
    }

    /// The file rank `owner` writes.
    fn path(&self, ctx: &TaskContext, owner: u32) -> PathBuf {
        rank_file::path(ctx, self.layout, owner, FILE_NAME)
    }

    /// The lane's buffer holding the pattern, `transfer` bytes (aligned for
    /// `O_DIRECT`): filled the first time a lane takes it, reused after.
    fn lane_buffer<F>(&self, lane: &mut Lane<F>) -> Buf {
        let len = self.geometry.transfer as usize;
        let mut buf = lane.take_buf(len);
        let ready = buf.as_slice().as_ptr().align_offset(DIRECT_ALIGN) == 0
            && rank_file::is_pattern(buf.as_slice());
        if !ready {
            buf = Buf::aligned(len, DIRECT_ALIGN);
            rank_file::fill(buf.as_mut_slice());
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
            bytes: self.geometry.transfer,
            count: 0,
            evidence: None,
            ..TaskOutput::default()
        })
    }

    /// Read back this rank's transfers `tasks` and compare each whole
    /// with what it must hold; a failure names the rank when there are
    /// several.
    fn verify(&self, ctx: &TaskContext, tasks: impl IntoIterator<Item = u32>) -> RunCheck {
        let rank = ctx.peers.rank;
        let path = self.path(ctx, rank);
        let whose = match ctx.peers.ranks() {
            1 => String::new(),
            _ => format!("rank {rank}'s "),
        };
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => return RunCheck::failed(format!("{}: {e}", path.display())),
        };
        let len = self.geometry.transfer as usize;
        let (mut got, mut want) = (vec![0u8; len], vec![0u8; len]);
        rank_file::fill(&mut want);
        let mut checked = 0u64;
        for index in tasks {
            let at = self.offset(ctx, index);
            rank_file::stamp(&mut want, at, rank);
            if let Err(e) = file.read_exact_at(&mut got, at) {
                return RunCheck::failed(format!(
                    "{}: {whose}transfer {index} at offset {at}: {e}",
                    path.display()
                ));
            }
            if got != want {
                return RunCheck::failed(format!(
                    "{}: {whose}transfer {index} at offset {at} holds other bytes than were written",
                    path.display()
                ));
            }
            checked += 1;
        }
        RunCheck::passed(format!("{checked} {whose}transfers read back whole"))
    }
}

/// Why `O_DIRECT` cannot be used on `path` when `direct` asks for it.
pub(super) fn direct_refused(direct: bool, path: &std::path::Path) -> Option<String> {
    match direct {
        true => crate::sys::cache::open_direct(path)
            .err()
            .map(|e| format!("O_DIRECT unavailable: {} refused it ({e})", path.display())),
        false => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Blocking;
    use futures::executor::block_on;

    fn spec(transfer: u64, block: u64, segments: u32) -> LargeWriteSpec {
        LargeWriteSpec {
            direct: false,
            geometry: Geometry {
                transfer,
                block,
                segments,
            },
            durability: Durability::None,
            layout: FileLayout::Own,
        }
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
        for i in (0..s.geometry.transfers()).rev() {
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
        file.read_exact_at(&mut five, s.offset(&ctx, 5)).unwrap();
        file.write_all_at(&five, s.offset(&ctx, 2)).unwrap();
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

    #[test]
    fn two_ranks_share_one_file_and_a_misplaced_transfer_names_its_rank() {
        let dir = tempfile::tempdir().unwrap();
        let (corpus, ctx) = crate::workload::test_corpus(dir.path(), 1, 4096);
        let other = dir.path().join("scratch-1");
        std::fs::create_dir(&other).unwrap();
        let peers = |rank: u32| crate::workload::Peers {
            rank,
            hosts: vec!["h".into(); 2],
            scratch: vec![ctx.scratch.clone(), other.clone()],
        };
        let ranks: Vec<TaskContext> = (0..2)
            .map(|r| TaskContext {
                scratch: [&ctx.scratch, &other][r as usize].clone(),
                peers: peers(r),
                ..ctx.clone()
            })
            .collect();
        for layout in [FileLayout::Segmented, FileLayout::Strided] {
            let s = LargeWriteSpec {
                layout,
                ..spec(4096, 8192, 2)
            };
            let _ = std::fs::remove_file(ctx.scratch.join(FILE_NAME));
            for c in &ranks {
                s.setup_repetition(c).unwrap();
            }
            assert!(!other.join(FILE_NAME).exists(), "rank 1 makes no file");
            for c in &ranks {
                assert_eq!(s.unavailable(c), None);
                let shared = block_on(s.prepare(&Blocking, c)).unwrap();
                let mut lane = Lane::default();
                for i in 0..s.geometry.transfers() {
                    block_on(s.run_task(
                        &Blocking,
                        Task {
                            ctx: c,
                            shared: &shared,
                            lane: &mut lane,
                            index: i,
                        },
                    ))
                    .unwrap();
                }
            }
            let len = std::fs::metadata(ctx.scratch.join(FILE_NAME))
                .unwrap()
                .len();
            assert_eq!(len, 2 * 2 * 8192, "{layout:?}: the ranks tile the file");
            for c in &ranks {
                let check = s.verify_run(c, &corpus, 0, true);
                assert!(check.verified, "{}", check.detail);
            }
            // Rank 0's transfer 1 copied over rank 1's transfer 1.
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(ctx.scratch.join(FILE_NAME))
                .unwrap();
            let mut mine = vec![0u8; 4096];
            file.read_exact_at(&mut mine, s.offset(&ranks[0], 1))
                .unwrap();
            file.write_all_at(&mine, s.offset(&ranks[1], 1)).unwrap();
            assert!(s.verify_run(&ranks[0], &corpus, 0, true).verified);
            let check = s.verify_run(&ranks[1], &corpus, 0, true);
            assert!(!check.verified);
            assert!(
                check.detail.contains("rank 1's transfer 1 at offset"),
                "{}",
                check.detail
            );
        }
    }
}
