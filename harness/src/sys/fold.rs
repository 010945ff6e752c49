//! The word fold: a cheap, vectorizable fingerprint of a byte block (the
//! `random` workload's per-read evidence), with the CPU's widest vector
//! instructions picked at run time.
//!
//! Owns only the arithmetic and its dispatch; what the fold proves is stated
//! where it is used as evidence ([`crate::workload::Evidence::Fold`]).
//!
//! # Platform specific behavior
//! On x86-64 with AVX2 (checked once per process, then a cached flag) the
//! loop runs on 256-bit registers; elsewhere the same arithmetic runs on the
//! baseline instruction set. Both give the same value: wrapping addition does
//! not depend on how it is grouped. (The crate is built for the baseline
//! x86-64 target, where xxh3-64 cannot use AVX2: the fold of a 4 KiB block
//! costs a fraction of its xxh3; docs/measurement.md, Harness cost.)

/// Odd multipliers, one per lane (any odd constant is invertible modulo
/// 2⁶⁴, so a nonzero change of one lane always changes the fold).
const LANE_MULTIPLIERS: [u64; LANES] = [
    0x9E37_79B9_7F4A_7C15,
    0xBF58_476D_1CE4_E5B9,
    0x94D0_49BB_1331_11EB,
    0xD6E8_FEB8_6659_FD93,
    0xA076_1D64_78BD_642F,
    0xE703_7ED1_A0B4_28DB,
    0x8EBC_6AF0_9C88_C6E3,
    0x5899_65CC_7537_4CC3,
];

/// Little-endian 64-bit words per lane group (one 64-byte line).
const LANES: usize = 8;

/// The fold of `bytes`: its little-endian 64-bit words summed (wrapping)
/// into 8 lanes by their position modulo 64 bytes, a zero-padded last
/// partial word into the lane after the last whole one, and the lanes
/// combined with distinct odd multipliers.
///
/// Any change confined to one 8-byte word changes the fold; changes to
/// several words can cancel, and words swapped with others at the same
/// position modulo 64 bytes are not seen. The length is not part of it.
pub fn words(bytes: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `lanes_avx2` only requires AVX2, which the CPU has
        // (checked just above).
        return combine(unsafe { lanes_avx2(bytes) });
    }
    combine(lanes(bytes))
}

/// [`lanes`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lanes_avx2(bytes: &[u8]) -> [u64; LANES] {
    lanes(bytes)
}

/// The 8 lane sums of `bytes` (see [`words`]).
#[inline(always)]
fn lanes(bytes: &[u8]) -> [u64; LANES] {
    let (lines, tail) = bytes.as_chunks::<64>();
    let mut acc = [0u64; LANES];
    for line in lines {
        add_words(&mut acc, line);
    }
    let (whole, rest) = tail.as_chunks::<8>();
    add_words(&mut acc, tail);
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        let lane = &mut acc[whole.len()];
        *lane = lane.wrapping_add(u64::from_le_bytes(last));
    }
    acc
}

/// Add the whole words of `bytes` (at most 8) to the lanes in order.
#[inline(always)]
fn add_words(acc: &mut [u64; LANES], bytes: &[u8]) {
    let (words, _) = bytes.as_chunks::<8>();
    for (lane, word) in acc.iter_mut().zip(words) {
        *lane = lane.wrapping_add(u64::from_le_bytes(*word));
    }
}

fn combine(acc: [u64; LANES]) -> u64 {
    acc.iter()
        .zip(LANE_MULTIPLIERS)
        .fold(0u64, |h, (lane, k)| h.wrapping_add(lane.wrapping_mul(k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn the_vector_and_the_plain_loop_agree() {
        for len in [0, 1, 7, 8, 63, 64, 65, 100, 4096, 4096 + 13] {
            let b = block(len);
            assert_eq!(words(&b), combine(lanes(&b)), "{len} bytes");
        }
    }

    #[test]
    fn any_change_of_one_byte_changes_the_fold() {
        let b = block(4096 + 5);
        let base = words(&b);
        for at in (0..b.len()).step_by(37).chain([b.len() - 1]) {
            for flip in [1u8, 0x80, 0xff] {
                let mut c = b.clone();
                c[at] ^= flip;
                assert_ne!(words(&c), base, "byte {at} ^ {flip:#x}");
            }
        }
    }

    #[test]
    fn a_shifted_or_zeroed_block_changes_the_fold() {
        let b = block(8192);
        let base = words(&b[..4096]);
        assert_ne!(words(&b[8..4104]), base);
        assert_ne!(words(&b[4096..]), base);
        assert_ne!(words(&[0u8; 4096]), base);
    }
}
