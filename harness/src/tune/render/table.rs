//! Plain-text tables for the terminal: left-aligned columns separated by two
//! spaces, padded by characters (not bytes) so `×` and `…` line up.

use std::io::{self, Write};

/// Write `header` and `rows` as aligned columns; a row shorter than the
/// header leaves the rest empty. Trailing spaces are trimmed.
///
/// # Errors
/// Write errors of `out`.
pub fn write_table(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&head).chain(rows) {
        let mut line = String::new();
        for (i, w) in widths.iter().enumerate() {
            let cell = row.get(i).map_or("", String::as_str);
            line.push_str(cell);
            let pad = w.saturating_sub(cell.chars().count()) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_by_characters() {
        let mut out = Vec::new();
        write_table(
            &mut out,
            &["a", "bb"],
            &[vec!["nested(2×4)".into(), "x".into()], vec!["t".into()]],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "a            bb\nnested(2×4)  x\nt\n");
    }
}
