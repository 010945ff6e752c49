//! Where each rank's transfers lie in a large file, IOR's way: its own
//! file (IOR `-F`) or one file every rank shares (IOR without `-F`),
//! segmented or strided; and the bytes a transfer holds (a pattern filled
//! once, stamped with the transfer's offset and its writer's rank).
//!
//! Of `N` ranks, a block of `B` bytes per rank and segment, `S` segments
//! and `T`-byte transfers (`B/T` per block), transfer `i` of rank `r` is
//! in segment `s = i ÷ (B/T)` at place `t = i mod (B/T)`, and lies at
//!
//! - own file: `s·B + t·T` (IOR `-F -t T -b B -s S`);
//! - segmented: `(s·N + r)·B + t·T` (IOR `-t T -b B -s S`: each segment
//!   holds every rank's block in rank order);
//! - strided: `((s·B/T + t)·N + r)·T` (IOR `-t T -b T -s S·B/T`: the
//!   ranks' transfers interleaved one by one).
//!
//! [`offset`] is the one place these are computed. Owns: the layouts, the
//! file's place and the pattern. Does not own: the workloads that write
//! and read it (`large_write`, `large_read`).

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{size_label, TaskContext};
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues};

/// The knob choosing the file layout.
pub(super) const SHARED_FILE: KnobDesc = KnobDesc {
    key: "shared_file",
    kind: KnobKind::Choice(&["none", "segmented", "strided"]),
    default: "none",
    help: "none: each rank its own file (IOR -F); segmented: one file every rank shares, each segment holding every rank's block in rank order (IOR without -F); strided: one shared file with the ranks' transfers interleaved (IOR -b T -s S·B/T). The shared file is in rank 0's scratch folder, so every rank must see it",
    variants: &[],
};

/// How the ranks' transfers lie in the file(s).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileLayout {
    /// Each rank its own file.
    #[default]
    Own,
    /// One file; segment `s` holds every rank's block, in rank order.
    Segmented,
    /// One file; the ranks' transfers interleaved.
    Strided,
}

impl FileLayout {
    /// The knob's value.
    ///
    /// # Errors
    /// A name that is not one of [`SHARED_FILE`]'s.
    pub(super) fn of(knobs: &KnobValues) -> Result<FileLayout, KnobError> {
        match knobs.choice(&SHARED_FILE)? {
            "none" => Ok(FileLayout::Own),
            "segmented" => Ok(FileLayout::Segmented),
            "strided" => Ok(FileLayout::Strided),
            other => Err(KnobError {
                key: SHARED_FILE.key,
                value: other.to_string(),
                allowed: SHARED_FILE.kind.to_string(),
            }),
        }
    }

    /// `base` with the layout appended when the file is shared.
    pub(super) fn labelled(self, base: String) -> String {
        match self {
            FileLayout::Own => base,
            FileLayout::Segmented => format!("{base},shared=segmented"),
            FileLayout::Strided => format!("{base},shared=strided"),
        }
    }

    /// Whether every rank works on one file.
    pub fn shared(self) -> bool {
        self != FileLayout::Own
    }
}

/// Most transfers (tasks) one repetition may hold.
const MAX_TRANSFERS: u64 = 100_000_000;

pub(super) const TRANSFER: KnobDesc = KnobDesc {
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

pub(super) const RANK_BLOCK: KnobDesc = KnobDesc {
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

pub(super) const RANK_SEGMENTS: KnobDesc = KnobDesc {
    key: "rank_segments",
    kind: KnobKind::Count {
        min: 1,
        max: 1_000_000,
    },
    default: "1",
    help: "segments each rank writes (IOR -s); the file holds segments × block bytes",
    variants: &[],
};

/// The transfer, block and segment sizes of every rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geometry {
    /// Bytes per transfer.
    pub transfer: u64,
    /// Bytes per rank and segment (a multiple of the transfer).
    pub block: u64,
    /// Segments.
    pub segments: u32,
}

impl Geometry {
    /// The geometry the knobs `transfer`, `rank_block` and `rank_segments`
    /// give, checked.
    ///
    /// # Errors
    /// A knob's value out of its range, a block that is not a multiple of
    /// the transfer (naming `rank_block`), too many transfers (naming
    /// `rank_segments`).
    pub(super) fn of(knobs: &KnobValues) -> Result<Geometry, KnobError> {
        let g = Geometry {
            transfer: knobs.size(&TRANSFER)? as u64,
            block: knobs.size(&RANK_BLOCK)? as u64,
            segments: knobs.count(&RANK_SEGMENTS)?,
        };
        if !g.block.is_multiple_of(g.transfer) {
            return Err(KnobError {
                key: RANK_BLOCK.key,
                value: size_label(g.block as usize),
                allowed: format!(
                    "a multiple of the transfer ({})",
                    size_label(g.transfer as usize)
                ),
            });
        }
        if u64::from(g.segments) * (g.block / g.transfer) > MAX_TRANSFERS {
            return Err(KnobError {
                key: RANK_SEGMENTS.key,
                value: g.segments.to_string(),
                allowed: format!(
                    "at most {MAX_TRANSFERS} transfers in all (segments × block ÷ transfer)"
                ),
            });
        }
        Ok(g)
    }

    /// The label of `variant` with this geometry: `buffered,t=1MiB,b=64MiB,s=1`.
    pub(super) fn label(&self, variant: &str) -> String {
        format!(
            "{variant},t={},b={},s={}",
            size_label(self.transfer as usize),
            size_label(self.block as usize),
            self.segments
        )
    }

    /// Transfers per rank.
    pub fn transfers(&self) -> u32 {
        (u64::from(self.segments) * (self.block / self.transfer.max(1))) as u32
    }
}

/// Where transfer `index` of rank `rank` of `ranks` lies (module doc).
pub fn offset(layout: FileLayout, g: Geometry, (rank, ranks): (u32, u32), index: u32) -> u64 {
    let per_block = g.block / g.transfer.max(1);
    let (s, t) = (u64::from(index) / per_block, u64::from(index) % per_block);
    let (r, n) = (u64::from(rank), u64::from(ranks.max(1)));
    match layout {
        FileLayout::Own => s * g.block + t * g.transfer,
        FileLayout::Segmented => (s * n + r) * g.block + t * g.transfer,
        FileLayout::Strided => ((s * per_block + t) * n + r) * g.transfer,
    }
}

/// The file rank `owner`'s transfers are in, named `name`: its own
/// scratch folder's, or rank 0's when the file is shared.
pub fn path(ctx: &TaskContext, layout: FileLayout, owner: u32, name: &str) -> PathBuf {
    let holder = match layout {
        FileLayout::Own => owner,
        FileLayout::Segmented | FileLayout::Strided => 0,
    };
    ctx.peers.scratch_of(holder, &ctx.scratch).join(name)
}

/// Create the empty file this rank makes before the region: its own, or
/// (rank 0 alone) the shared one.
///
/// # Errors
/// The file cannot be created (it exists already, the folder is gone),
/// with its path.
pub fn create(ctx: &TaskContext, layout: FileLayout, name: &str) -> io::Result<()> {
    if layout.shared() && ctx.peers.rank != 0 {
        return Ok(());
    }
    let path = ctx.scratch.join(name);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map(drop)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Why a rank cannot reach the file rank `owner`'s transfers are in (a
/// per-node or per-rank data folder, a private scratch filesystem).
pub fn unreachable(
    ctx: &TaskContext,
    layout: FileLayout,
    owner: u32,
    name: &str,
) -> Option<String> {
    let path = path(ctx, layout, owner, name);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => None,
        _ => Some(format!(
            "rank {} cannot see {}, the file {} for this repetition: the ranks must share one data folder (no %h or %r in --data-dir) and see each other's scratch folders (--scratch-policy delete-before, delete-after or rotate: not fresh-fs, whose filesystem is each rank's own)",
            ctx.peers.rank,
            path.display(),
            match (layout.shared(), owner == ctx.peers.rank) {
                (true, _) => "rank 0 made".to_string(),
                (false, true) => "it made".to_string(),
                (false, false) => format!("rank {owner} made"),
            }
        )),
    }
}

/// Word `w` of the pattern (a splitmix64 step: no two words alike).
fn word(w: usize) -> u64 {
    let mut z = (w as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^ (z >> 27)
}

/// Fill `buf` (a multiple of 8 bytes) with the pattern.
pub fn fill(buf: &mut [u8]) {
    for (w, chunk) in buf.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&word(w).to_le_bytes());
    }
}

/// Whether `buf` holds the pattern already (two words inside it checked:
/// a lane's buffer is filled once, by these workloads alone).
pub fn is_pattern(b: &[u8]) -> bool {
    let at = |w: usize| b.get(w * 8..w * 8 + 8).map(|s| s == word(w).to_le_bytes());
    at(1) == Some(true) && at(b.len() / 8 - 2) == Some(true)
}

/// Stamp a transfer's first 8 bytes with its offset and its last 8 with
/// its writer's rank, so a transfer written at another place, or by
/// another rank, is told apart (the read-back checks only these ends).
#[inline]
pub fn stamp(buf: &mut [u8], at: u64, rank: u32) {
    let n = buf.len();
    buf[..8].copy_from_slice(&at.to_le_bytes());
    buf[n - 8..].copy_from_slice(&u64::from(rank).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_layouts_match_iors_offsets() {
        let g = Geometry {
            transfer: 4096,
            block: 3 * 4096,
            segments: 2,
        };
        // Rank 1 of 4, transfer 4: segment 1, its second transfer.
        assert_eq!(offset(FileLayout::Own, g, (1, 4), 4), 4 * 4096);
        assert_eq!(
            offset(FileLayout::Segmented, g, (1, 4), 4),
            (4 + 1) * 3 * 4096 + 4096
        );
        assert_eq!(
            offset(FileLayout::Strided, g, (1, 4), 4),
            (4 * 4 + 1) * 4096
        );
        // Strided is segmented with a block of one transfer (IOR -b T).
        let one = Geometry {
            transfer: 4096,
            block: 4096,
            segments: 6,
        };
        for i in 0..6 {
            assert_eq!(
                offset(FileLayout::Strided, g, (3, 4), i),
                offset(FileLayout::Segmented, one, (3, 4), i)
            );
        }
    }

    proptest! {
        #[test]
        fn the_ranks_tile_the_shared_file_exactly(
            ranks in 1u32..6, per_block in 1u64..5, segments in 1u32..5, strided: bool,
        ) {
            let g = Geometry { transfer: 4096, block: per_block * 4096, segments };
            let layout = if strided { FileLayout::Strided } else { FileLayout::Segmented };
            let mut starts: Vec<u64> = (0..ranks)
                .flat_map(|r| (0..g.transfers()).map(move |i| offset(layout, g, (r, ranks), i)))
                .collect();
            starts.sort_unstable();
            // Every transfer starts where the one before ended: no gap, no
            // overlap, and the file is exactly every rank's bytes.
            let expected: Vec<u64> = (0..starts.len() as u64).map(|k| k * g.transfer).collect();
            prop_assert_eq!(starts, expected);
        }

        #[test]
        fn a_rank_own_file_is_its_transfers_in_order(per_block in 1u64..5, segments in 1u32..5, rank in 0u32..4) {
            let g = Geometry { transfer: 8192, block: per_block * 8192, segments };
            for i in 0..g.transfers() {
                prop_assert_eq!(offset(FileLayout::Own, g, (rank, 4), i), u64::from(i) * 8192);
            }
        }
    }
}
