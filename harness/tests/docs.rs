//! The documentation holds together: every relative link of the README and
//! the manual (`docs/*.md`, the folders' READMEs) names a file that exists
//! and, with `#anchor`, a heading of it (GitHub's anchors); external links
//! are well formed (not fetched); the README stays a front page that links
//! every page of the manual; the man page and the shell completions, which
//! are generated when asked for (nothing generated is committed), name every
//! command and flag and load in their tools. The generated tables of
//! `docs/workloads.md` are checked by `registry::the_doc_tables_are_what_describe_prints`,
//! the library page's example by `lab::the_library_page_example_is_the_compiled_doc_example`.

mod util;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use util::{text, Lab};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// The Markdown files whose links are checked, relative to the root.
fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = [
        "README.md",
        "experiments/README.md",
        "results/README.md",
        "reports/README.md",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("an entry of docs/").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| PathBuf::from("docs").join(p.file_name().expect("a file name")))
        .collect();
    pages.sort();
    docs.extend(pages);
    docs
}

/// `text` without fenced code blocks and inline code spans (their content
/// is not Markdown), line breaks kept so positions stay on their lines.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            let mut in_code = false;
            for c in line.chars() {
                if c == '`' {
                    in_code = !in_code;
                    out.push('x');
                } else if !in_code {
                    out.push(c);
                }
            }
        }
        out.push('\n');
    }
    out
}

/// Every link target of a Markdown text: `[text](target)`, `![alt](target)`
/// (the text may span lines) and reference definitions `[label]: target`.
fn links(text: &str) -> Vec<String> {
    let text = prose(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '[' {
            if let Some(close) = closing(&chars, i, '[', ']') {
                if chars.get(close + 1) == Some(&'(') {
                    if let Some(end) = closing(&chars, close + 1, '(', ')') {
                        let inside: String = chars[close + 2..end].iter().collect();
                        let target = inside.split_whitespace().next().unwrap_or_default();
                        out.push(target.trim_matches(['<', '>']).to_string());
                        i = end;
                    }
                } else if chars.get(close + 1) == Some(&':') && (i == 0 || chars[i - 1] == '\n') {
                    let rest: String = chars[close + 2..]
                        .iter()
                        .take_while(|c| **c != '\n')
                        .collect();
                    if let Some(target) = rest.split_whitespace().next() {
                        out.push(target.to_string());
                    }
                }
            }
        }
        i += 1;
    }
    out
}

/// The index of the bracket closing the one at `open`, within one paragraph.
fn closing(chars: &[char], open: usize, left: char, right: char) -> Option<usize> {
    let mut depth = 0;
    for (k, &c) in chars.iter().enumerate().skip(open) {
        if c == left {
            depth += 1;
        } else if c == right {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        } else if c == '\n' && chars.get(k + 1) == Some(&'\n') {
            return None;
        }
    }
    None
}

/// GitHub's anchors of a Markdown file's headings: the heading's text in
/// lower case, inline code and link syntax reduced to their text, every
/// character but letters, digits, `-`, `_` and spaces dropped, spaces made
/// `-`; a repeated anchor gets `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let Some(heading) = line.strip_prefix('#').filter(|_| !fenced) else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let base: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// What is wrong with one link of `doc` (relative to the root), if anything.
fn problem(doc: &Path, target: &str) -> Option<String> {
    if let Some(rest) = target
        .strip_prefix("https://")
        .or_else(|| target.strip_prefix("http://"))
    {
        let host = rest.split(['/', '#', '?']).next().unwrap_or_default();
        let ok = host.contains('.') && !host.starts_with('.') && !host.ends_with('.');
        return (!ok).then(|| format!("{target}: not a well-formed web address"));
    }
    if target.contains("://") || target.starts_with("mailto:") {
        return Some(format!(
            "{target}: only http(s) addresses and relative links are expected"
        ));
    }
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let folder = doc.parent().unwrap_or(Path::new(""));
    let file = if path.is_empty() {
        doc.to_path_buf()
    } else {
        folder.join(path)
    };
    // Resolve `..` without leaving the repository.
    let mut resolved = PathBuf::new();
    for part in file.components() {
        match part {
            Component::ParentDir => {
                if !resolved.pop() {
                    return Some(format!("{target}: points outside the repository"));
                }
            }
            Component::Normal(p) => resolved.push(p),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Some(format!("{target}: an absolute path; use a relative link"))
            }
        }
    }
    let on_disk = root().join(&resolved);
    if !on_disk.exists() {
        return Some(format!("{target}: {} does not exist", resolved.display()));
    }
    let anchor = anchor?;
    if on_disk.extension().is_none_or(|x| x != "md") {
        return Some(format!(
            "{target}: an anchor into a file that is not Markdown"
        ));
    }
    let text = std::fs::read_to_string(&on_disk).expect("a Markdown file");
    let known = anchors(&text);
    (!known.contains(anchor)).then(|| {
        format!(
            "{target}: {} has no heading with anchor #{anchor} (its anchors: {})",
            resolved.display(),
            known.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

#[test]
fn every_link_of_the_readme_and_the_manual_resolves() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(root().join(&doc)).expect("a document");
        for target in links(&text) {
            checked += 1;
            if let Some(p) = problem(&doc, &target) {
                problems.push(format!("{}: {p}", doc.display()));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} links found: is the link reader broken?"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_link_checker_finds_what_is_broken() {
    let doc = Path::new("docs/faq.md");
    let text = "A [page](results.md), [a heading](results.md#summarycsv-columns),\n\
                [across\nlines](../README.md#quick-start), `[code](nowhere.md)`,\n\
                [gone](nowhere.md), [bad anchor](results.md#no-such-heading),\n\
                [out](../../etc/passwd), [web](https://example.org/x), [bad web](https://nohost)\n\n\
                ```\n[fenced](nowhere.md)\n```\n[ref]: mpi.md#build\n";
    let found = links(text);
    assert_eq!(
        found,
        [
            "results.md",
            "results.md#summarycsv-columns",
            "../README.md#quick-start",
            "nowhere.md",
            "results.md#no-such-heading",
            "../../etc/passwd",
            "https://example.org/x",
            "https://nohost",
            "mpi.md#build",
        ]
    );
    let broken: Vec<&String> = found.iter().filter(|t| problem(doc, t).is_some()).collect();
    assert_eq!(
        broken,
        [
            "nowhere.md",
            "results.md#no-such-heading",
            "../../etc/passwd",
            "https://nohost"
        ]
    );
    let a = anchors("# Kernel profile (`--kernel-profile`)\n## `runs.csv` columns\n## Build\n## Build\n```\n# not a heading\n```\n");
    let want: BTreeSet<String> = [
        "kernel-profile---kernel-profile",
        "runscsv-columns",
        "build",
        "build-1",
    ]
    .map(String::from)
    .into();
    assert_eq!(a, want);
}

#[test]
fn the_readme_is_a_front_page_that_links_every_page_of_the_manual() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; the reference belongs in docs/"
    );
    let linked: BTreeSet<String> = links(&readme).into_iter().collect();
    for page in documents().iter().filter(|d| d.starts_with("docs")) {
        let page = page.display().to_string();
        assert!(linked.contains(&page), "README.md does not link {page}");
    }
}

/// Every command a user sees (`corpus`, `corpus create`, …), each with the
/// long flags its `--help` lists under any heading (`Options:`, `run`'s
/// `Grid …:` and its generated `Strategy knobs …:` and `Workload knobs …:`),
/// read from the binary's own help.
fn commands(lab: &Lab, path: &[String], out: &mut Vec<(String, Vec<String>)>) {
    let o = lab.iolab().args(path).arg("-h").output().expect("iolab -h");
    assert!(o.status.success(), "{path:?}: {}", text(&o));
    let help = String::from_utf8_lossy(&o.stdout).to_string();
    let mut section = "";
    let mut flags = Vec::new();
    let mut subs = Vec::new();
    for line in help.lines() {
        if !line.starts_with(' ') {
            section = line;
            continue;
        }
        let item = line.trim_start();
        match section {
            "Commands:" => {
                let name = item.split_whitespace().next().unwrap_or_default();
                if name != "help" {
                    subs.push(name.to_string());
                }
            }
            "Arguments:" => {}
            _ if item.starts_with('-') && !section.starts_with("Usage") => {
                let long = item.split("--").nth(1).unwrap_or_default();
                let long: String = long
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '-')
                    .collect();
                flags.push(long);
            }
            _ => {}
        }
    }
    if !path.is_empty() {
        out.push((path.join(" "), flags));
    }
    for sub in subs {
        let mut deeper = path.to_vec();
        deeper.push(sub);
        commands(lab, &deeper, out);
    }
}

#[test]
fn the_man_page_has_a_section_for_every_command_naming_each_of_its_flags() {
    let lab = Lab::new();
    let o = lab.iolab().arg("man").output().expect("iolab man");
    assert!(o.status.success(), "{}", text(&o));
    let page = String::from_utf8(o.stdout).expect("the page is UTF-8");
    assert!(
        page.is_ascii(),
        "the page should escape every non-ASCII character"
    );
    assert!(page.contains("\n.TH iolab 1 "), "no title:\n{page}");
    let mut all = Vec::new();
    commands(&lab, &[], &mut all);
    assert!(all.iter().any(|(p, _)| p == "corpus clean"), "{all:?}");
    assert!(
        all.iter()
            .any(|(p, f)| p == "run" && f.iter().any(|f| f == "scratch-policy")),
        "{all:?}"
    );
    for knob in ["workers", "block", "durability"] {
        assert!(
            all.iter()
                .any(|(p, f)| p == "run" && f.iter().any(|f| f == knob)),
            "run's generated knob flag --{knob} is not read from its help: {all:?}"
        );
    }
    assert!(
        !page.contains("IOLAB WORKER"),
        "the hidden worker is not documented"
    );
    for (path, flags) in &all {
        let heading = format!(".SH \"IOLAB {}\"\n", path.to_uppercase());
        let start = page
            .find(&heading)
            .unwrap_or_else(|| panic!("no section {heading:?} in the man page"));
        let section = &page[start + heading.len()..];
        let section = &section[..section.find("\n.SH ").unwrap_or(section.len())];
        for long in flags {
            let roff = format!("\\-\\-{}", long.replace('-', "\\-"));
            assert!(
                section.contains(&roff),
                "iolab {path}: --{long} missing from its section"
            );
        }
    }
    match Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(mut groff) => {
            groff
                .stdin
                .take()
                .expect("groff's stdin")
                .write_all(page.as_bytes())
                .expect("feeding groff");
            let done = groff.wait_with_output().expect("groff");
            let warnings = String::from_utf8_lossy(&done.stderr);
            assert!(
                done.status.success() && warnings.is_empty(),
                "groff: {warnings}"
            );
        }
        Err(e) => println!("skipped: groff's check of the page: groff not runnable ({e})"),
    }
}

#[test]
fn the_completions_name_every_command_and_load_in_their_shells() {
    let lab = Lab::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = lab
            .iolab()
            .args(["completions", shell])
            .output()
            .expect("iolab completions");
        assert!(o.status.success(), "{shell}: {}", text(&o));
        let script = String::from_utf8_lossy(&o.stdout).to_string();
        for word in ["bench-all", "calibrate", "workload", "scratch-policy"] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
        let file = lab.path().join(format!("iolab.{shell}"));
        std::fs::write(&file, &script).expect("writing the script");
        let check: Option<(&str, Vec<String>, &str)> = match shell {
            "bash" => Some((
                "bash",
                vec![
                    "-c".into(),
                    format!("source '{}' && complete -p iolab", file.display()),
                ],
                "-F _iolab iolab",
            )),
            "zsh" => Some(("zsh", vec!["-n".into(), file.display().to_string()], "")),
            "fish" => Some((
                "fish",
                vec!["--no-execute".into(), file.display().to_string()],
                "",
            )),
            _ => None,
        };
        let Some((program, args, expect)) = check else {
            continue;
        };
        match Command::new(program).args(&args).output() {
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "{program} refuses the script: {}",
                    text(&out)
                );
                assert!(
                    String::from_utf8_lossy(&out.stdout).contains(expect),
                    "{program}: {}",
                    text(&out)
                );
            }
            Err(e) => {
                println!("skipped: loading the {shell} completions: {program} not runnable ({e})")
            }
        }
    }
    let o = lab
        .iolab()
        .args(["completions", "tcsh"])
        .output()
        .expect("iolab");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("possible values: bash, elvish, fish, powershell, zsh"),
        "{}",
        text(&o)
    );
}
