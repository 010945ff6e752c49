//! The byte format of corpus files, and its checksum.
//!
//! Owns: what the bytes of file `k` are ([`render_file`]), the streamed large
//! file ([`render_large`]), exact sizes computed without rendering
//! ([`file_size`], [`large_shape`]) and the checksum ([`checksum`],
//! [`ChecksumHasher`]). Everything here is a pure function of its arguments.
//!
//! Does not own: files, directories or manifests (see `generate`, `manifest`).
//!
//! Format: line `i` of file `k` holds the `values` integers `k+i+j`, `j` in
//! `0..values`, in decimal, comma-separated, each line ending in `\n`.
//!
//! Speed: line `i+1` equals line `i` without its first value, plus one new
//! last value. So each line after the first is one copy of the previous line's
//! tail and one integer formatted with `itoa`, which keeps rendering well above
//! disk speed.

use std::io;

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// Version of the byte format and manifest layout. Bump it whenever the bytes
/// of any file or the manifest schema change, so old corpora are regenerated.
pub const GENERATOR_VERSION: u32 = 1;

/// Block size in which [`render_large`] hands bytes to its sink (8 MiB): big
/// enough for sequential writes to run at disk speed, small enough to keep
/// memory flat.
pub const LARGE_BLOCK_BYTES: usize = 8 << 20;

/// Number of decimal digits of `v` (`0` has one digit).
pub fn digits(v: u64) -> u32 {
    v.checked_ilog10().map_or(1, |d| d + 1)
}

/// Render file `k` (`lines` lines of `values` values) into `out`, which is
/// cleared first and grown once to the exact size.
///
/// This is what the `write` workload calls inside its timed region, so it
/// allocates nothing per value and reuses `out`'s capacity across calls.
/// `values == 0` renders an empty file.
pub fn render_file(k: u32, lines: u32, values: u32, out: &mut Vec<u8>) {
    out.clear();
    let size = file_size(k, lines, values);
    out.reserve(usize::try_from(size).unwrap_or(0));
    append_lines(u64::from(k), 0, u64::from(lines), values, out);
}

/// Append lines `first..first + count` of file `k` to `out`.
fn append_lines(k: u64, first: u64, count: u64, values: u32, out: &mut Vec<u8>) {
    if count == 0 || values == 0 {
        return;
    }
    let values = u64::from(values);
    let mut fmt = itoa::Buffer::new();
    let base = k + first;
    let mut start = out.len();
    for j in 0..values {
        if j > 0 {
            out.push(b',');
        }
        out.extend_from_slice(fmt.format(base + j).as_bytes());
    }
    out.push(b'\n');
    for i in 1..count {
        // The previous line is out[start..end] = "a0,a1,…,a(V-1)\n".
        let a0 = base + i - 1;
        let end = out.len();
        if values > 1 {
            let skip = digits(a0) as usize + 1;
            out.extend_from_within(start + skip..end - 1);
            out.push(b',');
        }
        out.extend_from_slice(fmt.format(a0 + values).as_bytes());
        out.push(b'\n');
        start = end;
    }
}

/// Sum of `digits(x)` for `x` in `0..n` (the base of the closed forms below;
/// only the tests evaluate it directly).
#[cfg(test)]
fn digit_sum(n: u128) -> u128 {
    // Every x has one digit, plus one more for each power 10^t (t ≥ 1) ≤ x.
    let mut total = n;
    let mut p: u128 = 10;
    while p < n {
        total += n - p;
        p *= 10;
    }
    total
}

/// Sum of `digit_sum(m)` for `m` in `0..n`.
fn digit_sum2(n: u128) -> u128 {
    if n == 0 {
        return 0;
    }
    // Σ_{m<n} m, plus Σ_{m=p}^{n-1} (m - p) = q(q+1)/2 with q = n-1-p per power p.
    let mut total = n * (n - 1) / 2;
    let mut p: u128 = 10;
    while p < n {
        let q = n - 1 - p;
        total += q * (q + 1) / 2;
        p *= 10;
    }
    total
}

/// Sum of `digit_sum2(m)` for `m` in `0..n`.
fn digit_sum3(n: u128) -> u128 {
    let choose3 = |m: u128| if m < 3 { 0 } else { m * (m - 1) * (m - 2) / 6 };
    // Σ_{m<n} m(m-1)/2 = C(n,3), plus Σ over powers p of C(n-p, 3).
    let mut total = choose3(n);
    let mut p: u128 = 10;
    while p < n {
        total += choose3(n - p);
        p *= 10;
    }
    total
}

/// Digits in lines `0..lines` of file `k`: Σ_i Σ_j digits(k+i+j).
fn file_digits(k: u128, lines: u128, values: u128) -> u128 {
    (digit_sum2(k + values + lines) - digit_sum2(k + values))
        - (digit_sum2(k + lines) - digit_sum2(k))
}

/// Exact size in bytes of file `k`, computed without rendering it (saturates
/// at `u64::MAX` for sizes no real spec reaches).
pub fn file_size(k: u32, lines: u32, values: u32) -> u64 {
    let (k, lines, values) = (u128::from(k), u128::from(lines), u128::from(values));
    if values == 0 {
        return 0;
    }
    // Each line has values-1 commas and one newline: `values` separators.
    let size = file_digits(k, lines, values) + lines * values;
    u64::try_from(size).unwrap_or(u64::MAX)
}

/// Exact total size in bytes of files `0..files`, in closed form (no loop over
/// files), so validation can bound even absurd specs instantly.
pub fn files_total_size(files: u32, lines: u32, values: u32) -> u64 {
    let (n, l, v) = (u128::from(files), u128::from(lines), u128::from(values));
    if v == 0 {
        return 0;
    }
    // Σ_k file_digits(k) telescopes into digit_sum3 differences.
    let d3 = |a: u128| digit_sum3(n + a) - digit_sum3(a);
    let size = (d3(v + l) - d3(v)) - (d3(l) - d3(0)) + n * l * v;
    u64::try_from(size).unwrap_or(u64::MAX)
}

/// Shape of the large file: its exact size and line count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LargeInfo {
    /// Size in bytes (≥ the requested minimum).
    pub bytes: u64,
    /// Number of lines.
    pub lines: u64,
}

/// Size of the large file's first `lines` lines (it is file `k = 0`).
fn large_size(lines: u64, values: u32) -> u128 {
    let v = u128::from(values);
    file_digits(0, u128::from(lines), v) + u128::from(lines) * v
}

/// The fewest whole lines of file `k = 0` whose size reaches `min_bytes`, and
/// that size. `values == 0` gives an empty file.
pub fn large_shape(values: u32, min_bytes: u64) -> LargeInfo {
    if values == 0 || min_bytes == 0 {
        return LargeInfo { bytes: 0, lines: 0 };
    }
    // Every line has at least 2 bytes per value, so this many lines suffice.
    let (mut lo, mut hi) = (0u64, min_bytes.div_ceil(2 * u64::from(values)));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if large_size(mid, values) >= u128::from(min_bytes) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let bytes = u64::try_from(large_size(lo, values)).unwrap_or(u64::MAX);
    LargeInfo { bytes, lines: lo }
}

/// Stream the large file (file `k = 0`, whole lines, at least `min_bytes`
/// bytes) to `sink` in blocks of about [`LARGE_BLOCK_BYTES`], without ever
/// holding the whole file in memory.
///
/// # Errors
/// The first error returned by `sink`, unchanged.
pub fn render_large(
    values: u32,
    min_bytes: u64,
    mut sink: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<LargeInfo> {
    let info = large_shape(values, min_bytes);
    if info.lines == 0 {
        return Ok(info);
    }
    let widest = u64::from(digits(info.lines + u64::from(values))) + 1;
    let line_max = widest * u64::from(values);
    let per_block = (LARGE_BLOCK_BYTES as u64 / line_max).max(1);
    let mut out = Vec::with_capacity(LARGE_BLOCK_BYTES + line_max as usize);
    let mut first = 0;
    while first < info.lines {
        let count = per_block.min(info.lines - first);
        out.clear();
        append_lines(0, first, count, values, &mut out);
        sink(&out)?;
        first += count;
    }
    Ok(info)
}

/// The checksum used everywhere in iolab: XXH3-64 (seed 0) of a file's whole
/// bytes. It matches `xxhsum -H3`, so corpora can be checked outside iolab.
pub fn checksum(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

/// Incremental form of [`checksum`] for data that arrives in pieces (the
/// large file, files read in blocks). Feeding the same bytes in any split
/// gives the same result as [`checksum`] on the concatenation.
#[derive(Clone, Default)]
pub struct ChecksumHasher(Xxh3);

impl ChecksumHasher {
    /// A hasher that has seen no bytes.
    pub fn new() -> ChecksumHasher {
        ChecksumHasher(Xxh3::new())
    }

    /// Feed the next piece of the data.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The checksum of everything fed so far.
    pub fn finish(&self) -> u64 {
        self.0.digest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Straightforward rendering, the reference for the fast path.
    fn naive(k: u32, lines: u32, values: u32) -> Vec<u8> {
        let mut s = String::new();
        for i in 0..u64::from(lines) {
            let row: Vec<String> = (0..u64::from(values))
                .map(|j| (u64::from(k) + i + j).to_string())
                .collect();
            if values > 0 {
                s.push_str(&row.join(","));
                s.push('\n');
            }
        }
        s.into_bytes()
    }

    #[test]
    fn tiny_file_exact_bytes() {
        let mut out = Vec::new();
        render_file(2, 2, 3, &mut out);
        assert_eq!(out, b"2,3,4\n3,4,5\n");
    }

    #[test]
    fn single_value_lines() {
        let mut out = Vec::new();
        render_file(8, 4, 1, &mut out);
        assert_eq!(out, b"8\n9\n10\n11\n");
    }

    #[test]
    fn empty_shapes_render_nothing() {
        let mut out = b"stale".to_vec();
        render_file(5, 0, 10, &mut out);
        assert!(out.is_empty());
        render_file(5, 10, 0, &mut out);
        assert!(out.is_empty());
        assert_eq!(file_size(5, 10, 0), 0);
    }

    #[test]
    fn digits_counts() {
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(999_999), 6);
        assert_eq!(digits(1_000_000), 7);
        assert_eq!(digits(u64::MAX), 20);
    }

    #[test]
    fn streaming_checksum_matches_one_shot() {
        let mut out = Vec::new();
        render_file(7, 500, 10, &mut out);
        let mut h = ChecksumHasher::new();
        for piece in out.chunks(333) {
            h.update(piece);
        }
        assert_eq!(h.finish(), checksum(&out));
    }

    #[test]
    fn large_stream_equals_whole_file() {
        let mut streamed = Vec::new();
        let info = render_large(10, 3 * LARGE_BLOCK_BYTES as u64 / 2, |b| {
            streamed.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(streamed.len() as u64, info.bytes);
        let mut whole = Vec::new();
        render_file(0, u32::try_from(info.lines).unwrap(), 10, &mut whole);
        assert_eq!(streamed, whole);
    }

    #[test]
    fn large_shape_is_minimal() {
        for (values, min) in [(10, 1), (10, 1000), (3, 77), (1, 5), (10, 64 << 20)] {
            let info = large_shape(values, min);
            assert!(info.bytes >= min, "{values} {min}");
            assert!(
                large_size(info.lines - 1, values) < u128::from(min),
                "{values} {min}"
            );
        }
    }

    #[test]
    fn large_sink_error_is_returned() {
        let err = render_large(10, 100, |_| Err(io::Error::other("boom"))).unwrap_err();
        assert_eq!(err.to_string(), "boom");
    }

    proptest! {
        #[test]
        fn rendered_lines_parse_back(k in 0u32..2_000_000, lines in 0u32..60, values in 1u32..40) {
            let mut out = Vec::new();
            render_file(k, lines, values, &mut out);
            let text = std::str::from_utf8(&out).unwrap();
            prop_assert!(text.is_empty() || text.ends_with('\n'));
            let mut count = 0u64;
            for (i, line) in text.lines().enumerate() {
                let parsed: Vec<u64> = line.split(',').map(|v| v.parse().unwrap()).collect();
                let want: Vec<u64> =
                    (0..u64::from(values)).map(|j| u64::from(k) + i as u64 + j).collect();
                prop_assert_eq!(parsed, want);
                count += 1;
            }
            prop_assert_eq!(count, u64::from(lines));
        }

        #[test]
        fn fast_render_equals_naive(k in 0u32..20_000_000, lines in 0u32..40, values in 0u32..30) {
            let mut out = vec![1, 2, 3];
            render_file(k, lines, values, &mut out);
            prop_assert_eq!(&out, &naive(k, lines, values));
            prop_assert_eq!(out.len() as u64, file_size(k, lines, values));
        }

        #[test]
        fn total_size_is_sum_of_files(files in 0u32..150, lines in 0u32..150, values in 0u32..15) {
            let sum: u64 = (0..files).map(|k| file_size(k, lines, values)).sum();
            prop_assert_eq!(files_total_size(files, lines, values), sum);
        }
    }

    #[test]
    fn closed_forms_match_brute_force() {
        let (mut d, mut s, mut t) = (0u128, 0u128, 0u128);
        for n in 0..20_000u128 {
            assert_eq!(
                (digit_sum(n), digit_sum2(n), digit_sum3(n)),
                (d, s, t),
                "n = {n}"
            );
            t += s;
            s += d;
            d += u128::from(digits(n as u64));
        }
    }

    #[test]
    fn total_size_across_digit_boundaries() {
        // Ranges that cross 10^3 … 10^5 in k, i and j at once.
        for (files, lines, values) in [(1200, 95, 10), (95_000, 7, 3), (3, 120_000, 2)] {
            let sum: u64 = (0..files).map(|k| file_size(k, lines, values)).sum();
            assert_eq!(files_total_size(files, lines, values), sum);
        }
    }
}
