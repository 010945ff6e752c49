//! `large-read`: read back, in transfers, what a rank wrote in the same
//! repetition — its own transfers or a neighbour's — IOR's read (`ior -w
//! -r`, with `-F` or one shared file) and its read-back by another rank
//! (`-C`, `-Q K`, `-Z`), which keeps a client from reading from its own
//! cache what it has just written.
//!
//! A repetition: every rank sets up its scratch folder (rank 0 makes the
//! shared file), the ranks meet (every rank's scratch folder is gathered,
//! which waits for all), each rank writes its own transfers ([`rank_file`]'s
//! layout and pattern, stamped with offset and rank) and syncs them; then,
//! as for every workload, settle, the cache state, and the barrier that
//! opens the region. In the region rank `r` reads every transfer of rank
//! `source(r)` ([`ReadBack`]) — its whole row of the file, the same
//! offsets that rank wrote — one transfer per task, leaving the bytes
//! untouched but for their ends. The write is setup, not timed: its
//! figure is `large-write`'s, a scenario of its own, as IOR reports its
//! write and read phases apart.
//!
//! Verified after the region: each task's first 8 bytes must be the
//! offset it read and its last 8 the rank that wrote there, so a read of
//! another rank's transfer, another place, a short or zeroed read fails
//! and says whose bytes it saw.

use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::large_write::direct_refused;
use super::peers::{ReadBack, READ_BACK, READ_SHIFT};
use super::rank_file::{
    self, FileLayout, Geometry, RANK_BLOCK, RANK_SEGMENTS, SHARED_FILE, TRANSFER,
};
use super::registry::WorkloadSpec;
use super::runner::{Task, TaskRunner};
use super::{Evidence, Reads, RunCheck, Shared, TaskContext, TaskOutput, Tasks};
use crate::corpus::Corpus;
use crate::describe::{KnobError, KnobValues, VariantDesc, WorkloadDesc};
use crate::io::{read_exact_at, Buf, Io, Open};
use crate::sys::cache::DIRECT_ALIGN;

/// The file each rank writes before the region, in its scratch folder
/// (shared: rank 0's).
pub const FILE_NAME: &str = "large-read.dat";

variants! {
    /// The variants of `large-read`.
    pub enum LargeReadVariant {
        /// Through the page cache.
        Buffered = VariantDesc {
            name: "buffered",
            help: "pread through the page cache, the bytes untouched but for their ends",
            needs: &[],
        },
        /// `O_DIRECT` into aligned buffers.
        Direct = VariantDesc {
            name: "direct",
            help: "O_DIRECT preads into aligned buffers: no page cache (IOR -B)",
            needs: &[],
        },
    }
}

/// Knobs of `large-read`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LargeReadSpec {
    /// `O_DIRECT` (`direct`) or through the page cache (`buffered`).
    pub direct: bool,
    /// Bytes per `pread` (one task), per rank and segment, and segments.
    pub geometry: Geometry,
    /// Each rank its own file, or one shared file.
    pub layout: FileLayout,
    /// Whose transfers each rank reads.
    pub read_back: ReadBack,
}

impl WorkloadSpec for LargeReadSpec {
    const DESCRIPTION: WorkloadDesc = WorkloadDesc {
        name: "large-read",
        summary: "read back in transfers what a rank wrote before the region, its own or a neighbour's (IOR -r, -C, -Q, -Z; with -F or one shared file)",
        variants: LargeReadVariant::DESCS,
        knobs: &[TRANSFER, RANK_BLOCK, RANK_SEGMENTS, SHARED_FILE, READ_BACK, READ_SHIFT],
        reads: "the transfers one rank wrote before the region",
        writes: "before the region, each rank's transfers into its own file or the shared file in rank 0's scratch folder",
        verifies: "both ends of every transfer read: its offset and the rank that wrote it",
    };

    /// The file it reads is a rank's, chosen by the read-back settings:
    /// [`Self::inputs`] names it.
    const READS: Reads = Reads::Own {
        why: "reads what the ranks wrote before the region, not an input set",
        cached: None,
    };

    fn build(variant: &'static VariantDesc, knobs: &KnobValues) -> Result<Self, KnobError> {
        let spec = LargeReadSpec {
            direct: LargeReadVariant::of(variant)? == LargeReadVariant::Direct,
            geometry: Geometry::of(knobs)?,
            layout: FileLayout::of(knobs)?,
            read_back: ReadBack::of(knobs)?,
        };
        Ok(spec)
    }

    fn variant(&self) -> &'static str {
        match self.direct {
            true => LargeReadVariant::Direct,
            false => LargeReadVariant::Buffered,
        }
        .as_str()
    }

    fn label(&self) -> String {
        let base = format!(
            "{},from={}",
            self.geometry.label(self.variant()),
            self.read_back.label()
        );
        self.layout.labelled(base)
    }

    fn chunk_bytes(&self) -> Option<u64> {
        Some(self.geometry.transfer)
    }

    fn tasks(&self) -> Tasks {
        Tasks::Count(self.geometry.transfers())
    }

    fn inputs(&self, ctx: &TaskContext) -> Vec<PathBuf> {
        vec![self.path(ctx, self.source(ctx))]
    }

    fn keeps_evidence(&self) -> bool {
        true
    }

    fn unavailable(&self, ctx: &TaskContext) -> Option<String> {
        let source = self.source(ctx);
        rank_file::unreachable(ctx, self.layout, source, FILE_NAME)
            .or_else(|| direct_refused(self.direct, &self.path(ctx, source)))
    }

    /// The empty file (the shared one by rank 0 alone).
    fn setup_repetition(&self, ctx: &TaskContext) -> io::Result<()> {
        rank_file::create(ctx, self.layout, FILE_NAME)
    }

    /// Once every rank has set up: this rank's transfers, written and
    /// synced, outside the region (nothing where the file cannot be
    /// reached: the repetition is then unavailable, and says why).
    fn setup_after_barrier(&self, ctx: &TaskContext) -> io::Result<()> {
        let (rank, g) = (ctx.peers.rank, self.geometry);
        if rank_file::unreachable(ctx, self.layout, rank, FILE_NAME).is_some() {
            return Ok(());
        }
        let path = self.path(ctx, rank);
        let at_path = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(at_path)?;
        let mut buf = vec![0u8; self.geometry.transfer as usize];
        rank_file::fill(&mut buf);
        for index in 0..g.transfers() {
            let at = rank_file::offset(self.layout, g, (rank, ctx.peers.ranks()), index);
            rank_file::stamp(&mut buf, at, rank);
            file.write_all_at(&buf, at).map_err(at_path)?;
        }
        file.sync_data().map_err(at_path)
    }

    async fn prepare<I: Io>(&self, io: &I, ctx: &TaskContext) -> io::Result<Shared<I::File>> {
        let how = Open {
            direct: self.direct,
            ..Open::READ
        };
        let mut shared = Shared::empty();
        shared.file = Some(io.open(&self.path(ctx, self.source(ctx)), how).await?);
        Ok(shared)
    }

    fn verify_tasks(
        &self,
        ctx: &TaskContext,
        _corpus: &Corpus,
        evidence: &[(u32, Evidence)],
    ) -> Vec<String> {
        let source = self.source(ctx);
        evidence
            .iter()
            .filter_map(|(index, ev)| self.wrong(ctx, source, *index, ev))
            .collect()
    }

    fn verify_run(&self, ctx: &TaskContext, _: &Corpus, _: u64, _: bool) -> RunCheck {
        let n = self.geometry.transfers();
        self.checked(ctx, n)
    }

    fn verify_finished(&self, ctx: &TaskContext, _: &Corpus, finished: Vec<u32>) -> RunCheck {
        self.checked(ctx, finished.len() as u32)
    }
}

impl TaskRunner for LargeReadSpec {
    fn task_path(&self, ctx: &TaskContext, _index: u32) -> PathBuf {
        self.path(ctx, self.source(ctx))
    }

    async fn run_task<I: Io>(&self, io: &I, task: Task<'_, I::File>) -> io::Result<TaskOutput> {
        let (ctx, shared, lane, index) = (task.ctx, task.shared, task.lane, task.index);
        let at = self.offset(ctx, self.source(ctx), index);
        let len = self.geometry.transfer as usize;
        let mut buf = lane.take_buf(len);
        if self.direct && buf.as_slice().as_ptr().align_offset(DIRECT_ALIGN) != 0 {
            buf = Buf::aligned(len, DIRECT_ALIGN);
        }
        let (res, mut buf) = read_exact_at(io, shared.file()?, buf, at).await;
        let read = res.map(|n| {
            buf.set_len(n);
            Evidence::ends_of(buf.as_slice())
        });
        lane.put_buf(buf);
        let evidence = read?;
        Ok(TaskOutput {
            bytes: evidence.byte_count(),
            count: 0,
            evidence: Some(evidence),
            ..TaskOutput::default()
        })
    }
}

impl LargeReadSpec {
    /// The rank whose transfers this rank reads.
    fn source(&self, ctx: &TaskContext) -> u32 {
        self.read_back.source(&ctx.peers)
    }

    /// Where rank `owner`'s transfer `index` lies.
    fn offset(&self, ctx: &TaskContext, owner: u32, index: u32) -> u64 {
        let ranks = (owner, ctx.peers.ranks());
        rank_file::offset(self.layout, self.geometry, ranks, index)
    }

    /// The file rank `owner` writes.
    fn path(&self, ctx: &TaskContext, owner: u32) -> PathBuf {
        rank_file::path(ctx, self.layout, owner, FILE_NAME)
    }

    /// What is wrong with the ends task `index` saw, if anything.
    fn wrong(&self, ctx: &TaskContext, source: u32, index: u32, ev: &Evidence) -> Option<String> {
        let at = self.offset(ctx, source, index);
        let Evidence::Ends { len, first, last } = *ev else {
            return Some(format!("transfer {index}: no ends kept"));
        };
        (len != self.geometry.transfer || first != at || last != u64::from(source)).then(|| {
            format!(
                "rank {} read transfer {index} of rank {source} at offset {at}: {len} bytes stamped offset {first} by rank {last}",
                ctx.peers.rank
            )
        })
    }

    /// The account of a repetition whose `n` reads passed their check.
    fn checked(&self, ctx: &TaskContext, n: u32) -> RunCheck {
        RunCheck::passed(format!(
            "{n} transfers read, each written by rank {} (its offset and rank at both ends)",
            self.source(ctx)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Blocking;
    use crate::workload::{Lane, Peers};
    use futures::executor::block_on;

    fn spec(layout: FileLayout, read_back: ReadBack) -> LargeReadSpec {
        LargeReadSpec {
            direct: false,
            geometry: Geometry {
                transfer: 4096,
                block: 8192,
                segments: 2,
            },
            layout,
            read_back,
        }
    }

    /// Three ranks on one host, each with its own scratch folder.
    fn ranks(dir: &std::path::Path) -> (Corpus, Vec<TaskContext>) {
        let (corpus, ctx) = crate::workload::test_corpus(dir, 1, 4096);
        let scratch: Vec<PathBuf> = (0..3).map(|r| dir.join(format!("s{r}"))).collect();
        for s in &scratch {
            std::fs::create_dir(s).unwrap();
        }
        let ctxs = (0..3)
            .map(|rank| TaskContext {
                scratch: scratch[rank as usize].clone(),
                peers: Peers {
                    rank,
                    hosts: vec!["h".into(); 3],
                    scratch: scratch.clone(),
                },
                ..ctx.clone()
            })
            .collect();
        (corpus, ctxs)
    }

    /// Every rank sets up and writes, then reads; each rank's evidence.
    fn round(s: &LargeReadSpec, ctxs: &[TaskContext]) -> Vec<Vec<(u32, Evidence)>> {
        for c in ctxs {
            s.setup_repetition(c).unwrap();
        }
        for c in ctxs {
            s.setup_after_barrier(c).unwrap();
        }
        ctxs.iter()
            .map(|c| {
                assert_eq!(s.unavailable(c), None);
                let shared = block_on(s.prepare(&Blocking, c)).unwrap();
                let mut lane = Lane::default();
                (0..4)
                    .map(|i| {
                        let out = block_on(s.run_task(
                            &Blocking,
                            Task {
                                ctx: c,
                                shared: &shared,
                                lane: &mut lane,
                                index: i,
                            },
                        ))
                        .unwrap();
                        (i, out.evidence.unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn each_rank_reads_the_stamps_of_the_rank_it_reads_back() {
        let shuffle = ReadBack::Shuffle { seed: 7 };
        for layout in [FileLayout::Own, FileLayout::Segmented, FileLayout::Strided] {
            for read_back in [ReadBack::Own, shuffle] {
                let dir = tempfile::tempdir().unwrap();
                let (corpus, ctxs) = ranks(dir.path());
                let s = spec(layout, read_back);
                let seen = round(&s, &ctxs);
                for (c, evidence) in ctxs.iter().zip(&seen) {
                    let source = s.source(c);
                    if read_back == shuffle {
                        assert_ne!(source, c.peers.rank, "{layout:?}: no rank reads itself");
                    }
                    for (_, ev) in evidence {
                        let Evidence::Ends { last, .. } = ev else {
                            panic!("{ev:?}")
                        };
                        assert_eq!(*last, u64::from(source), "{layout:?} {read_back:?}");
                    }
                    assert!(s.verify_tasks(c, &corpus, evidence).is_empty());
                    // Checked as if it had read another rank: every task is named.
                    let other = TaskContext {
                        peers: Peers {
                            rank: (c.peers.rank + 1) % 3,
                            ..c.peers.clone()
                        },
                        ..c.clone()
                    };
                    if s.source(&other) != source {
                        let wrong = s.verify_tasks(&other, &corpus, evidence);
                        assert_eq!(wrong.len(), 4, "{wrong:?}");
                        assert!(wrong[0].contains(&format!("by rank {source}")), "{wrong:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_rank_that_cannot_see_the_shared_file_is_told_so() {
        let dir = tempfile::tempdir().unwrap();
        let (_, mut ctxs) = ranks(dir.path());
        let s = spec(FileLayout::Segmented, ReadBack::Own);
        s.setup_repetition(&ctxs[1]).unwrap();
        ctxs[1].peers.scratch[0] = dir.path().join("elsewhere");
        let why = s.unavailable(&ctxs[1]).unwrap();
        assert!(why.contains("rank 1 cannot see"), "{why}");
    }
}
