//! The code's shape, checked on its sources: no production function in
//! `harness/src` is longer than [`MAX_LINES`] lines (house rule 1 of
//! `docs/ARCHITECTURE.md`'s conventions).
//!
//! A function's length runs from the line of its `fn` keyword to the line of
//! its closing brace, both included (doc comments and attributes do not
//! count). Tests do not count: `tests.rs` files, and every item under a
//! `#[cfg(test)]` attribute (the `mod tests { … }` blocks).
//!
//! The sources are read by a small scanner rather than parsed: it blanks
//! comments, strings, raw strings, byte strings and character literals (so a
//! brace or a `fn` inside them counts for nothing), tells lifetimes from
//! characters, and then matches braces. The tests at the bottom feed it the
//! tricky cases.

use std::fs;
use std::path::{Path, PathBuf};

/// The longest a production function may be, in lines.
const MAX_LINES: usize = 80;

/// One function found in a source text.
#[derive(Debug, PartialEq)]
struct Function {
    /// The name after `fn` (`$name` inside a `macro_rules!`).
    name: String,
    /// The line of the `fn` keyword, from 1.
    line: usize,
    /// Lines from the `fn` keyword to the closing brace, both included.
    lines: usize,
}

#[test]
fn production_functions_are_at_most_80_lines() {
    let src: PathBuf = [env!("CARGO_MANIFEST_DIR"), "src"].iter().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 50,
        "read only {} files under {src:?}",
        files.len()
    );
    let mut long = Vec::new();
    for path in files {
        if path.file_name().is_some_and(|name| name == "tests.rs") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("read a source file");
        let relative = path
            .strip_prefix(&src)
            .expect("under src")
            .display()
            .to_string();
        for function in functions(&text) {
            if function.lines > MAX_LINES {
                long.push(format!(
                    "{relative}:{} fn {} is {} lines",
                    function.line, function.name, function.lines
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_LINES} lines (split them into named steps):\n{}",
        long.join("\n")
    );
}

/// Every `.rs` file below `dir`, in a stable order.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read a source folder")
        .map(|entry| entry.expect("a folder entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The functions with a body in `text`, outside `#[cfg(test)]` items.
fn functions(text: &str) -> Vec<Function> {
    let code = blank(text);
    let bytes = code.as_bytes();
    let excluded = test_items(bytes);
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = find_word(bytes, at, b"fn") {
        at = offset + 2;
        if excluded.iter().any(|range| range.contains(&offset)) {
            continue;
        }
        let name_start = skip_space(bytes, at);
        let name_end = ident_end(bytes, name_start);
        if name_end == name_start {
            continue; // a `fn(…)` pointer type
        }
        let Some(close) = body_end(bytes, name_end) else {
            continue; // a declaration without a body
        };
        found.push(Function {
            name: code[name_start..name_end].to_string(),
            line: line_of(bytes, offset),
            lines: line_of(bytes, close) - line_of(bytes, offset) + 1,
        });
    }
    found
}

/// The byte ranges of the items under a `#[cfg(test)]` attribute.
fn test_items(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut at = 0;
    while let Some(start) = find(bytes, at, b"#[cfg(test)]") {
        at = start + 1;
        if let Some(end) = item_end(bytes, start + b"#[cfg(test)]".len()) {
            ranges.push(start..end + 1);
        }
    }
    ranges
}

/// The end of the item starting at `from`: its first `;` outside brackets,
/// or the brace closing its first `{`.
fn item_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &byte) in bytes.iter().enumerate().skip(from) {
        match byte {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b';' if depth == 0 => return Some(i),
            b'{' if depth == 0 => return matching_brace(bytes, i),
            _ => {}
        }
    }
    None
}

/// The closing brace of the body of a function whose name ends at `from`,
/// or `None` when the signature ends with `;` (no body).
fn body_end(bytes: &[u8], from: usize) -> Option<usize> {
    item_end(bytes, from).filter(|&end| bytes[end] == b'}')
}

/// The brace matching the `{` at `open`.
fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &byte) in bytes.iter().enumerate().skip(open) {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|offset| from + offset)
}

/// The next `word` at or after `from` that is a whole identifier.
fn find_word(bytes: &[u8], mut from: usize, word: &[u8]) -> Option<usize> {
    loop {
        let at = find(bytes, from, word)?;
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + word.len()).copied();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return Some(at);
        }
        from = at + 1;
    }
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The end of the identifier (or `$name` macro variable) starting at `at`.
fn ident_end(bytes: &[u8], mut at: usize) -> usize {
    if bytes.get(at) == Some(&b'$') {
        at += 1;
    }
    if bytes.get(at).is_some_and(|b| b.is_ascii_digit()) {
        return at;
    }
    while bytes.get(at).copied().is_some_and(is_ident) {
        at += 1;
    }
    at
}

fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1
}

/// `text` with every comment, string and character literal replaced by
/// spaces (line breaks kept, so lines and byte offsets stay put).
fn blank(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<char> = chars.clone();
    let mut i = 0;
    while i < chars.len() {
        let end = match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => line_comment_end(&chars, i),
            '/' if chars.get(i + 1) == Some(&'*') => block_comment_end(&chars, i),
            '"' => string_end(&chars, i + 1),
            '\'' => char_end(&chars, i),
            c if c.is_alphabetic() || c == '_' => {
                let word_end = word_end(&chars, i);
                let word: String = chars[i..word_end].iter().collect();
                match prefixed_literal_end(&chars, &word, word_end) {
                    Some(end) => end,
                    None => {
                        i = word_end;
                        continue;
                    }
                }
            }
            _ => {
                i += 1;
                continue;
            }
        };
        for c in &mut out[i..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        i = end;
    }
    // Keep byte offsets equal to the original's for multi-byte characters
    // outside literals: blank them to one space each only where blanked.
    out.into_iter()
        .zip(chars)
        .map(|(new, old)| {
            if new == old {
                old.to_string()
            } else {
                " ".repeat(old.len_utf8())
            }
        })
        .collect()
}

fn word_end(chars: &[char], mut at: usize) -> usize {
    while chars
        .get(at)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        at += 1;
    }
    at
}

fn line_comment_end(chars: &[char], from: usize) -> usize {
    (from..chars.len())
        .find(|&i| chars[i] == '\n')
        .unwrap_or(chars.len())
}

/// Block comments nest in Rust.
fn block_comment_end(chars: &[char], from: usize) -> usize {
    let mut depth = 0usize;
    let mut i = from;
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => {
                depth += 1;
                i += 2;
            }
            ('*', '/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// The end (past the closing quote) of a string whose text starts at `from`.
fn string_end(chars: &[char], from: usize) -> usize {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// The end of a character literal starting at the quote `from`, or
/// `from + 1` for a lifetime or label (`'a`, `'static`), which is code.
fn char_end(chars: &[char], from: usize) -> usize {
    match chars.get(from + 1) {
        Some('\\') => (from + 3..chars.len())
            .find(|&i| chars[i] == '\'')
            .map_or(chars.len(), |i| i + 1),
        Some(_) if chars.get(from + 2) == Some(&'\'') => from + 3,
        _ => from + 1,
    }
}

/// The end of a literal that starts with the identifier-like prefix `word`
/// (`b"…"`, `b'…'`, `c"…"`, `r"…"`, `r#"…"#`, `br#"…"#`, `cr"…"`), or
/// `None` when `word` is just an identifier (including `r#ident`).
fn prefixed_literal_end(chars: &[char], word: &str, word_end: usize) -> Option<usize> {
    let next = chars.get(word_end).copied();
    match (word, next) {
        ("b" | "c", Some('"')) => Some(string_end(chars, word_end + 1)),
        ("b", Some('\'')) => Some(char_end(chars, word_end)),
        ("r" | "br" | "cr", Some('"' | '#')) => {
            let hashes = chars[word_end..].iter().take_while(|&&c| c == '#').count();
            if chars.get(word_end + hashes) != Some(&'"') {
                return None; // a raw identifier such as `r#match`
            }
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let body = word_end + hashes + 1;
            Some(
                (body..chars.len())
                    .find(|&i| chars[i..].starts_with(&closing))
                    .map_or(chars.len(), |i| i + closing.len()),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod scanner {
    use super::*;

    fn lengths(text: &str) -> Vec<(String, usize, usize)> {
        functions(text)
            .into_iter()
            .map(|f| (f.name, f.line, f.lines))
            .collect()
    }

    #[test]
    fn counts_from_the_fn_line_to_the_closing_brace() {
        let text =
            "/// doc\n#[inline]\npub fn one() {\n    let x = 1;\n}\n\nfn two() -> u8 { 2 }\n";
        assert_eq!(lengths(text), [("one".into(), 3, 3), ("two".into(), 7, 1)]);
    }

    #[test]
    fn braces_and_fn_in_strings_chars_and_comments_count_for_nothing() {
        let text = r####"fn tricky<'a>(s: &'a str) -> char {
    let _ = "}}} fn fake() { \" }";
    let _ = r#"}" fn raw() {"#;
    let _ = br##"}"# }"##;
    let _ = b"}"; let _ = b'}'; let _ = c"}";
    // } fn in_comment() {
    /* } /* nested { */ fn in_block() } */
    let _ = '\'';
    let _ = '\u{7d}';
    let r#match = '}';
    'outer: loop { break 'outer; }
    '{'
}
fn after() {}
"####;
        assert_eq!(
            lengths(text),
            [("tricky".into(), 1, 13), ("after".into(), 14, 1)]
        );
    }

    #[test]
    fn test_items_declarations_and_fn_types_are_not_functions() {
        let text = "trait T {\n    fn declared(&self);\n    fn provided(&self) {}\n}\n\
                    type F = fn(u8) -> u8;\nfn takes(f: impl Fn(u8), g: fn()) where u8: Copy {\n}\n\
                    #[cfg(test)]\nmod tests {\n    fn helper() {\n    }\n}\n\
                    #[cfg(test)]\nfn test_only() {}\nfn last() {}\n";
        assert_eq!(
            lengths(text),
            [
                ("provided".into(), 3, 1),
                ("takes".into(), 6, 2),
                ("last".into(), 15, 1)
            ]
        );
    }

    #[test]
    fn nested_functions_and_macro_bodies_are_measured_too() {
        let text = "fn outer() {\n    fn inner() {\n    }\n}\nmacro_rules! m {\n    ($name:ident) => {\n        fn $name() {\n        }\n    };\n}\n";
        assert_eq!(
            lengths(text),
            [
                ("outer".into(), 1, 4),
                ("inner".into(), 2, 2),
                ("$name".into(), 7, 2)
            ]
        );
    }

    #[test]
    fn multi_byte_text_keeps_lines_in_place() {
        let text = "// é ü → 🦀\nfn a() {\n    let _ = \"🦀 }\";\n    let _ = 'é';\n}\n";
        assert_eq!(lengths(text), [("a".into(), 2, 4)]);
    }

    #[test]
    fn a_long_function_is_named() {
        let body = "    let _ = 1;\n".repeat(MAX_LINES);
        let text = format!("fn long() {{\n{body}}}\n");
        assert_eq!(lengths(&text), [("long".into(), 1, MAX_LINES + 2)]);
    }
}
