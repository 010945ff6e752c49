//! `scripts/module-graph` on small crates written for the test: which
//! references it reads (`use` groups, paths in code, `super::` in
//! submodules, re-exports), which it skips (comments, strings, tests'
//! `use super::*`), and that it names every cycle and exits 1 on one.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Writes `files` (path under src, text) into a fresh folder and runs the
/// script on it with `args`.
fn graph(files: &[(&str, &str)], args: &[&str]) -> Output {
    let root = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = root.path().join(path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    let script: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "scripts", "module-graph"]
        .iter()
        .collect();
    Command::new("python3")
        .arg(script)
        .arg("--src")
        .arg(root.path())
        .args(args)
        .output()
        .expect("python3 runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const LIB: (&str, &str) = ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;\n");

/// `a` reaches `b` and `c` through one `use` group; `b` reaches back to `a`
/// by a path in code; in `c`, `inner` names `other` through a re-export of
/// `c` and `other` names `inner` through `super::`.
const CYCLIC: [(&str, &str); 6] = [
    LIB,
    (
        "a.rs",
        "use crate::{\n    b,\n    c::inner::Thing,\n};\npub fn g() {}\n",
    ),
    ("b.rs", "pub fn f() {\n    crate::a::g();\n}\n"),
    (
        "c/mod.rs",
        "pub mod inner;\npub mod other;\npub use other::Thing2;\n",
    ),
    ("c/inner.rs", "use super::Thing2;\npub struct Thing;\n"),
    (
        "c/other.rs",
        "pub struct Thing2;\nfn x() -> super::inner::Thing {\n    super::inner::Thing\n}\n",
    ),
];

/// `d` mentions `a` only in a comment, a string and a doc link, and has a
/// test module whose `use super::*` is `d` itself.
const QUIET_D: (&str, &str) = (
    "d.rs",
    "//! See [`a`](crate::a).\n// use crate::a;\nconst S: &str = \"crate::a::g\";\nconst R: &str = r#\"crate::b\"#;\nconst C: char = '\"';\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
);

#[test]
fn names_every_cycle_with_the_line_that_makes_it() {
    let mut files = CYCLIC.to_vec();
    files.push(QUIET_D);
    let out = graph(&files, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("  a -> b, c\n"), "{stdout}");
    assert!(stdout.contains("  b -> a\n"), "{stdout}");
    assert!(stdout.contains("  d -> (nothing)\n"), "{stdout}");
    assert!(stdout.contains("  inner -> other\n"), "{stdout}");
    assert!(stdout.contains("  other -> inner\n"), "{stdout}");
    assert!(stderr.contains("cycle in crate: a -> b -> a"), "{stderr}");
    assert!(stderr.contains("  b -> a: b.rs:2"), "{stderr}");
    assert!(
        stderr.contains("cycle in c: inner -> other -> inner"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  inner -> other: c/inner.rs:1"),
        "{stderr}"
    );
    assert!(stderr.contains("module-graph: 2 cycle(s)"), "{stderr}");
}

#[test]
fn a_crate_without_cycles_exits_0() {
    let files = [
        LIB,
        ("a.rs", "use crate::{b, c::inner::Thing};\npub fn g() {}\n"),
        ("b.rs", "pub fn f() {}\n"),
        (
            "c/mod.rs",
            "pub mod inner;\npub mod other;\npub use other::Thing2;\n",
        ),
        ("c/inner.rs", "use super::Thing2;\npub struct Thing;\n"),
        ("c/other.rs", "pub struct Thing2;\n"),
        QUIET_D,
    ];
    let out = graph(&files, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("module-graph: no cycle"), "{stderr}");
}

#[test]
fn dot_output_marks_cycle_edges_red() {
    let out = graph(&CYCLIC, &["--dot"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.starts_with("digraph modules {"), "{stdout}");
    assert!(stdout.contains("\"/b\" -> \"/a\" [color=red];"), "{stdout}");
    assert!(
        stdout.contains("\"c/inner\" -> \"c/other\" [color=red];"),
        "{stdout}"
    );
    assert!(stdout.contains("\"/a\" -> \"/c\";"), "{stdout}");
}

#[test]
fn a_missing_folder_is_one_line_and_exit_2() {
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/module-graph"))
        .args(["--src", "/nonexistent/iolab-src"])
        .output()
        .expect("python3 runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "module-graph: --src /nonexistent/iolab-src: not a folder\n"
    );
}
