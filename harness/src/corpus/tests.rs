//! Tests of the corpus lifecycle on real temporary directories: create,
//! reuse, regenerate, open, verify, clean.

use std::cell::Cell;
use std::fs;
use std::path::Path;
use std::time::SystemTime;

use super::*;

fn spec(files: u32, lines: u32, values: u32, large: Option<u64>) -> CorpusSpec {
    CorpusSpec {
        files,
        lines,
        values,
        large_file_bytes: large,
        folders: Folders::Flat,
    }
}

fn quiet(_: u64, _: u64) {}

fn create(dir: &Path, s: &CorpusSpec) -> (Corpus, Provenance) {
    let (corpus, provenance, _lock) = Corpus::create_or_reuse(dir, s, &quiet).unwrap();
    (corpus, provenance)
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn create_writes_files_manifest_and_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let s = spec(12, 5, 3, None);
    let calls = Cell::new(0);
    let (corpus, prov, _lock) = Corpus::create_or_reuse(&dir, &s, &|done, total| {
        assert!(done <= total);
        calls.set(calls.get() + 1);
    })
    .unwrap();
    assert_eq!(prov, Provenance::Created);
    assert!(calls.get() >= 2);
    assert!(dir.join(".iolab-corpus").is_file());
    assert!(dir.join("manifest.json").is_file());
    assert_eq!(corpus.file_path(2), dir.join("data-00002.csv"));
    assert_eq!(
        fs::read(corpus.file_path(2)).unwrap(),
        b"2,3,4\n3,4,5\n4,5,6\n5,6,7\n6,7,8\n"
    );
    assert_eq!(corpus.manifest.files.len(), 12);
    assert_eq!(corpus.manifest.total_bytes, s.total_bytes());
    assert_eq!(corpus.large_path(), None);
    assert_eq!(Corpus::open(&dir).unwrap(), corpus);
    assert!(corpus.verify(&quiet).unwrap().is_ok());
}

#[test]
fn same_spec_twice_gives_identical_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(40, 30, 10, Some(10_000));
    let (a, _) = create(&tmp.path().join("a"), &s);
    let (b, _) = create(&tmp.path().join("b"), &s);
    assert_eq!(a.manifest, b.manifest);
    let text = |d: &str| fs::read(tmp.path().join(d).join("manifest.json")).unwrap();
    assert_eq!(text("a"), text("b"));
}

#[test]
fn second_call_reuses_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let s = spec(20, 10, 10, Some(5_000));
    let (first, prov) = create(&dir, &s);
    assert_eq!(prov, Provenance::Created);
    let watched = [
        first.file_path(7),
        first.large_path().unwrap(),
        dir.join("manifest.json"),
    ];
    let before: Vec<_> = watched.iter().map(|p| mtime(p)).collect();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let (second, prov) = create(&dir, &s);
    assert_eq!(prov, Provenance::Reused);
    assert_eq!(second, first);
    let after: Vec<_> = watched.iter().map(|p| mtime(p)).collect();
    assert_eq!(before, after);
}

#[test]
fn spec_mismatch_regenerates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(30, 10, 10, None));
    let (corpus, prov) = create(&dir, &spec(10, 4, 10, None));
    let Provenance::Regenerated { reason, .. } = prov else {
        panic!("expected regeneration, got {prov:?}");
    };
    assert!(
        reason.contains("csv-30x10x10") && reason.contains("csv-10x4x10"),
        "{reason}"
    );
    assert_eq!(corpus.spec(), &spec(10, 4, 10, None));
    // Files of the old, bigger corpus are gone: verify finds nothing extra.
    assert!(!dir.join("data-00029.csv").exists());
    assert!(corpus.verify(&quiet).unwrap().is_ok());
}

#[test]
fn damaged_corpus_is_regenerated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let s = spec(5, 10, 10, None);
    let (corpus, _) = create(&dir, &s);
    fs::write(corpus.file_path(3), b"garbage").unwrap();
    let (again, prov) = create(&dir, &s);
    let Provenance::Regenerated { reason, .. } = prov else {
        panic!("expected regeneration, got {prov:?}");
    };
    assert!(reason.contains("data-00003.csv"), "{reason}");
    assert!(again.verify(&quiet).unwrap().is_ok());
}

#[test]
fn missing_or_corrupt_manifest_regenerates_and_open_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let s = spec(3, 3, 3, None);
    create(&dir, &s);
    fs::remove_file(dir.join("manifest.json")).unwrap();
    let err = Corpus::open(&dir).unwrap_err();
    assert!(matches!(err, CorpusError::Incomplete { .. }), "{err}");
    assert!(err.to_string().contains("iolab corpus clean"), "{err}");
    let (_, prov) = create(&dir, &s);
    assert!(
        matches!(&prov, Provenance::Regenerated { reason, .. } if reason.contains("no manifest")),
        "{prov}"
    );

    fs::write(dir.join("manifest.json"), b"not json").unwrap();
    let err = Corpus::open(&dir).unwrap_err();
    assert!(matches!(err, CorpusError::ManifestCorrupt { .. }), "{err}");
    let (_, prov) = create(&dir, &s);
    assert!(
        matches!(&prov, Provenance::Regenerated { reason, .. } if reason.contains("unreadable")),
        "{prov}"
    );
    Corpus::open(&dir).unwrap();
}

#[test]
fn verify_names_flipped_byte_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, _) = create(tmp.path(), &spec(10, 20, 10, None));
    let path = corpus.file_path(4);
    let mut bytes = fs::read(&path).unwrap();
    bytes[17] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    let report = corpus.verify(&quiet).unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.files_checked, 10);
    assert_eq!(report.mismatches.len(), 1, "{report}");
    let m = &report.mismatches[0];
    assert_eq!(m.file, path);
    assert!(matches!(m.what, MismatchKind::Checksum { .. }), "{m}");
    assert!(m.to_string().contains("data-00004.csv"), "{m}");
}

#[test]
fn verify_reports_every_kind_of_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, _) = create(tmp.path(), &spec(10, 20, 10, Some(4_000)));
    fs::remove_file(corpus.file_path(1)).unwrap();
    let truncated = fs::read(corpus.file_path(6)).unwrap();
    fs::write(corpus.file_path(6), &truncated[..truncated.len() - 1]).unwrap();
    fs::write(tmp.path().join("data-00010.csv"), b"1\n").unwrap();
    fs::write(tmp.path().join("data-7.csv"), b"1\n").unwrap();
    fs::write(tmp.path().join("notes.txt"), b"not ours, not reported").unwrap();
    fs::write(corpus.large_path().unwrap(), b"short").unwrap();

    let report = corpus.verify(&quiet).unwrap();
    let found: Vec<_> = report
        .mismatches
        .iter()
        .map(|m| {
            (
                m.file.file_name().unwrap().to_str().unwrap().to_string(),
                m.what.clone(),
            )
        })
        .collect();
    let expected_large = corpus.manifest.large.as_ref().unwrap().bytes;
    assert_eq!(
        found,
        vec![
            ("data-00001.csv".to_string(), MismatchKind::Missing),
            (
                "data-00006.csv".to_string(),
                MismatchKind::Size {
                    expected: truncated.len() as u64,
                    found: truncated.len() as u64 - 1
                }
            ),
            (
                "large.csv".to_string(),
                MismatchKind::Size {
                    expected: expected_large,
                    found: 5
                }
            ),
        ]
    );
    assert_eq!(report.files_checked, 10);
    // Named like members, not named by the manifest: listed, not failing.
    let extra: Vec<_> = report
        .extra
        .iter()
        .map(|p| p.file_name().unwrap())
        .collect();
    assert_eq!(extra, ["data-00010.csv", "data-7.csv"]);
}

#[test]
fn large_file_shape_and_checksum() {
    let tmp = tempfile::tempdir().unwrap();
    let want = 3 * LARGE_BLOCK_BYTES as u64 + 12_345;
    let (corpus, _) = create(tmp.path(), &spec(2, 2, 10, Some(want)));
    let large = corpus.manifest.large.clone().unwrap();
    let bytes = fs::read(corpus.large_path().unwrap()).unwrap();
    assert!(bytes.len() as u64 >= want);
    assert_eq!(bytes.len() as u64, large.bytes);
    assert_eq!(bytes.last(), Some(&b'\n'));
    assert_eq!(
        bytes.iter().filter(|&&b| b == b'\n').count() as u64,
        large.lines
    );
    assert_eq!(checksum(&bytes), large.checksum);
    // Whole lines, and no fewer than needed: dropping the last line falls short.
    let without_last = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    assert!((without_last as u64) < want);
    assert_eq!(&bytes[..22], b"0,1,2,3,4,5,6,7,8,9\n1,");
}

#[test]
fn create_refuses_foreign_and_impossible_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(2, 2, 2, None);

    let file = tmp.path().join("file");
    fs::write(&file, b"x").unwrap();
    let err = Corpus::create_or_reuse(&file, &s, &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::NotADirectory { .. }), "{err}");

    let orphan = tmp.path().join("missing/c");
    let err = Corpus::create_or_reuse(&orphan, &s, &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::ParentMissing { .. }), "{err}");

    let foreign = tmp.path().join("foreign");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("thesis.tex"), b"precious").unwrap();
    let err = Corpus::create_or_reuse(&foreign, &s, &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::NotEmptyUnmarked { .. }), "{err}");
    assert_eq!(fs::read_dir(&foreign).unwrap().count(), 1);

    let err =
        Corpus::create_or_reuse(&tmp.path().join("z"), &spec(0, 1, 1, None), &quiet).unwrap_err();
    assert!(
        matches!(err, CorpusError::InvalidSpec { field: "files", .. }),
        "{err}"
    );
    assert!(!tmp.path().join("z").exists());
}

#[test]
fn create_adopts_empty_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, prov) = create(tmp.path(), &spec(2, 2, 2, None));
    assert_eq!(prov, Provenance::Created);
    assert!(has_marker(tmp.path(), Marker::Corpus).unwrap());
}

#[test]
fn open_refuses_unmarked_and_scratch_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Corpus::open(tmp.path()).unwrap_err();
    assert!(matches!(err, CorpusError::NotACorpus { .. }), "{err}");
    let made = Scratch::create(tmp.path(), "s").unwrap();
    let scratch = made.path().to_path_buf();
    let err = Corpus::open(&scratch).unwrap_err();
    assert!(matches!(err, CorpusError::WrongMarker { .. }), "{err}");
    let err = Corpus::create_or_reuse(&scratch, &spec(1, 1, 1, None), &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::WrongMarker { .. }), "{err}");
    let err = Corpus::open(&tmp.path().join("gone")).unwrap_err();
    assert!(matches!(err, CorpusError::DirMissing { .. }), "{err}");
}

#[test]
fn clean_removes_a_corpus_and_refuses_others() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(3, 3, 3, Some(100)));
    clean(&dir).unwrap();
    assert!(!dir.exists());

    let mine = tmp.path().join("mine");
    fs::create_dir(&mine).unwrap();
    fs::write(mine.join("data-00000.csv"), b"0\n").unwrap();
    let err = clean(&mine).unwrap_err();
    assert!(matches!(err, CorpusError::Unmarked { .. }), "{err}");
    assert!(
        err.to_string().contains(&mine.display().to_string()),
        "{err}"
    );
    assert!(mine.join("data-00000.csv").exists());
}

#[test]
fn half_made_corpus_is_still_cleanable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(3, 3, 3, None));
    fs::remove_file(dir.join("manifest.json")).unwrap();
    clean(&dir).unwrap();
    assert!(!dir.exists());
}

#[test]
fn clean_keeps_and_lists_what_iolab_did_not_create() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(3, 3, 3, None));
    fs::write(dir.join("notes.txt"), b"mine").unwrap();
    fs::create_dir(dir.join("old")).unwrap();
    fs::write(dir.join("data-00099.csv"), b"not in the manifest").unwrap();
    let report = clean(&dir).unwrap();
    assert!(!report.dir_removed);
    assert_eq!(report.kept, ["data-00099.csv", "notes.txt", "old/"]);
    // 3 data files, the manifest, the record of members, the two lock
    // files and the marker.
    assert_eq!(report.removed, 3 + 5);
    assert!(
        report
            .to_string()
            .ends_with("kept 3 entries iolab did not create: data-00099.csv, notes.txt, old/"),
        "{report}"
    );
    assert_eq!(fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    assert!(!dir.join(".iolab-corpus").exists());
}

#[test]
fn copied_marker_is_refused_by_clean_and_create() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(2, 2, 2, None));
    let decoy = tmp.path().join("decoy");
    fs::create_dir(&decoy).unwrap();
    fs::write(decoy.join("data-00000.csv"), b"precious").unwrap();
    fs::copy(dir.join(".iolab-corpus"), decoy.join(".iolab-corpus")).unwrap();
    fs::copy(dir.join("manifest.json"), decoy.join("manifest.json")).unwrap();
    let err = clean(&decoy).unwrap_err();
    assert!(matches!(err, CorpusError::CopiedMarker { .. }), "{err}");
    let err = Corpus::create_or_reuse(&decoy, &spec(2, 2, 2, None), &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::CopiedMarker { .. }), "{err}");
    assert_eq!(fs::read(decoy.join("data-00000.csv")).unwrap(), b"precious");
}

#[test]
fn rebuild_never_writes_through_a_linked_member() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(3, 3, 3, None));
    let decoy = tmp.path().join("decoy.txt");
    fs::write(&decoy, b"precious").unwrap();
    fs::remove_file(dir.join("data-00001.csv")).unwrap();
    std::os::unix::fs::symlink(&decoy, dir.join("data-00001.csv")).unwrap();
    let err = Corpus::create_or_reuse(&dir, &spec(3, 3, 3, None), &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::BadMember { .. }), "{err}");
    assert!(err.to_string().contains("data-00001.csv"), "{err}");
    assert_eq!(fs::read(&decoy).unwrap(), b"precious");
}

#[test]
fn legacy_marker_is_renewed_by_create_and_refused_by_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(2, 2, 2, None));
    fs::write(dir.join(".iolab-corpus"), Marker::Corpus.headline()).unwrap();
    let err = clean(&dir).unwrap_err();
    assert!(matches!(err, CorpusError::LegacyMarker { .. }), "{err}");
    let (_, prov) = create(&dir, &spec(2, 2, 2, None));
    assert_eq!(prov, Provenance::Reused);
    assert!(clean(&dir).unwrap().dir_removed);
}

#[test]
fn clean_refuses_slash_dots_and_paths_inside_a_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(2, 2, 2, None));
    fs::create_dir(dir.join("inner")).unwrap();
    let inner = Dir::open(&dir.join("inner")).unwrap();
    marker_file::write_marker(&inner, Marker::Corpus).unwrap();
    let slash = std::path::PathBuf::from(format!("{}/", dir.display()));
    for bad in [
        slash,
        dir.join("."),
        dir.join("inner/../inner"),
        dir.join("inner"),
    ] {
        let err = clean(&bad).unwrap_err();
        assert!(
            matches!(err, CorpusError::Refused { .. }),
            "{}: {err}",
            bad.display()
        );
    }
    assert!(dir.join("manifest.json").exists());
}

#[test]
fn scratch_clean_keeps_live_runs_and_removes_dead_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let live = Scratch::create(tmp.path(), "live").unwrap();
    fs::write(live.path().join("out"), b"x").unwrap();
    let dead = Scratch::create(tmp.path(), "dead").unwrap();
    fs::create_dir(dead.path().join("sub")).unwrap();
    let dead_path = dead.path().to_path_buf();
    drop(dead);
    let err = Scratch::create(tmp.path(), "live").unwrap_err();
    assert!(matches!(err, CorpusError::ScratchTaken { .. }), "{err}");
    let report = clean_scratch(tmp.path()).unwrap();
    assert_eq!(report.removed, ["scratch-dead"]);
    assert_eq!(report.kept.len(), 1, "{report}");
    assert!(!dead_path.exists());
    assert!(live.path().join("out").exists());
    reset_scratch(live.path()).unwrap();
    assert!(!live.path().join("out").exists());
    live.remove().unwrap();
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// Files named like members that no record of the corpus names.
const LOOKALIKES: [&str; 4] = [
    "data-00005.csv",
    "data-5.csv",
    "data-000001.csv",
    "large.csv",
];

#[test]
fn rebuild_deletes_only_what_the_records_name_and_lists_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let s = spec(5, 3, 3, None);
    let (corpus, _) = create(&dir, &s);
    for name in LOOKALIKES {
        fs::write(dir.join(name), b"the user's").unwrap();
    }
    // Not a mismatch: the corpus is reused with them beside it.
    let (_, prov) = create(&dir, &s);
    assert_eq!(prov, Provenance::Reused);
    fs::write(corpus.file_path(2), b"damaged").unwrap();
    let (again, prov) = create(&dir, &s);
    let Provenance::Regenerated { kept, .. } = &prov else {
        panic!("expected regeneration, got {prov:?}");
    };
    let mut want = LOOKALIKES.map(String::from).to_vec();
    want.sort();
    assert_eq!(kept, &want);
    assert!(
        prov.to_string()
            .contains("kept 4 entries iolab did not create"),
        "{prov}"
    );
    for name in LOOKALIKES {
        assert_eq!(fs::read(dir.join(name)).unwrap(), b"the user's", "{name}");
    }
    assert!(again.verify(&quiet).unwrap().is_ok());
    // clean, by the same code, keeps them too.
    let report = clean(&dir).unwrap();
    assert_eq!(report.kept, want);
}

#[test]
fn a_rebuild_refused_leaves_the_corpus_and_its_manifest_as_they_were() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let (corpus, _) = create(&dir, &spec(5, 3, 3, None));
    let manifest = fs::read(dir.join(MANIFEST_FILE_NAME)).unwrap();
    // A file the bigger corpus would be written over, that no record names.
    fs::write(dir.join("data-00007.csv"), b"the user's").unwrap();
    let err = Corpus::create_or_reuse(&dir, &spec(10, 3, 3, None), &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::InTheWay { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("data-00007.csv is in the way"), "{text}");
    assert!(text.contains("manifest.json names 5 data files"), "{text}");
    assert_eq!(fs::read(dir.join(MANIFEST_FILE_NAME)).unwrap(), manifest);
    assert!(corpus.verify(&quiet).unwrap().is_ok());
    // A member turned into a folder: refused, the manifest kept.
    fs::remove_file(corpus.file_path(1)).unwrap();
    fs::create_dir(corpus.file_path(1)).unwrap();
    fs::write(corpus.file_path(1).join("inside"), b"x").unwrap();
    let err = Corpus::create_or_reuse(&dir, &spec(5, 3, 3, None), &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::BadMember { .. }), "{err}");
    assert!(
        err.to_string().contains("data-00001.csv is a directory"),
        "{err}"
    );
    assert_eq!(fs::read(dir.join(MANIFEST_FILE_NAME)).unwrap(), manifest);
    assert!(corpus.file_path(0).exists());
}

#[test]
fn links_and_fifos_as_members_are_mismatches_never_read_through() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let (corpus, _) = create(&dir, &spec(4, 3, 3, None));
    // A link to a copy with the right content is still a link.
    let copy = tmp.path().join("copy.csv");
    fs::copy(corpus.file_path(1), &copy).unwrap();
    fs::remove_file(corpus.file_path(1)).unwrap();
    std::os::unix::fs::symlink(&copy, corpus.file_path(1)).unwrap();
    fs::remove_file(corpus.file_path(2)).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        corpus.file_path(2),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let report = corpus.verify(&quiet).unwrap();
    let kinds: Vec<_> = report.mismatches.iter().map(|m| m.what.clone()).collect();
    assert_eq!(
        kinds,
        [
            MismatchKind::NotRegular {
                kind: Kind::Symlink
            },
            MismatchKind::NotRegular {
                kind: Kind::Special(crate::safefs::Special::Fifo)
            },
        ]
    );
    assert!(report.to_string().contains("2 mismatches"), "{report}");
    // Before a run: refused in one line, nothing deleted or written through.
    let err = Corpus::create_or_reuse(&dir, &spec(4, 3, 3, None), &quiet).unwrap_err();
    assert!(
        err.to_string()
            .contains("data-00001.csv is a symbolic link"),
        "{err}"
    );
    assert!(dir.join(MANIFEST_FILE_NAME).exists());
}

#[test]
fn a_corpus_inside_a_corpus_or_a_scratch_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(2, 2, 2, None));
    let before = fs::read_dir(&dir).unwrap().count();
    for inner in [dir.join("nested"), dir.join("data/nested")] {
        let err = Corpus::create_or_reuse(&inner, &spec(2, 2, 2, None), &quiet).unwrap_err();
        assert!(matches!(err, CorpusError::Nested { .. }), "{err}");
        assert!(
            err.to_string().contains("inside the iolab corpus folder"),
            "{err}"
        );
    }
    assert_eq!(fs::read_dir(&dir).unwrap().count(), before);
    let scratch = Scratch::create(tmp.path(), "r").unwrap();
    let inner = scratch.path().join("c");
    let err = Corpus::create_or_reuse(&inner, &spec(2, 2, 2, None), &quiet).unwrap_err();
    assert!(
        err.to_string().contains("inside the iolab scratch folder"),
        "{err}"
    );
}

#[test]
fn a_generation_stopped_midway_is_rebuilt_and_cleaned_by_its_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let s = spec(3, 3, 3, None);
    create(&dir, &s);
    // What a generation killed before its manifest leaves: the record of
    // members, some members, no manifest.
    fs::remove_file(dir.join(MANIFEST_FILE_NAME)).unwrap();
    fs::remove_file(dir.join("data-00002.csv")).unwrap();
    assert!(dir.join(MEMBERS_FILE_NAME).exists());
    let (_, prov) = create(&dir, &s);
    assert!(
        matches!(prov, Provenance::Regenerated { ref kept, .. } if kept.is_empty()),
        "{prov}"
    );
    fs::remove_file(dir.join(MANIFEST_FILE_NAME)).unwrap();
    assert!(clean(&dir).unwrap().dir_removed);
}

#[test]
fn without_any_record_the_files_are_kept_and_the_rebuild_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let s = spec(3, 3, 3, None);
    create(&dir, &s);
    fs::write(dir.join(MANIFEST_FILE_NAME), b"{ truncated").unwrap();
    fs::remove_file(dir.join(MEMBERS_FILE_NAME)).unwrap();
    let err = Corpus::create_or_reuse(&dir, &s, &quiet).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("data-00000.csv, data-00001.csv, data-00002.csv are in the way"),
        "{text}"
    );
    assert!(text.contains("manifest.json is unreadable"), "{text}");
    let report = clean(&dir).unwrap();
    assert_eq!(
        report.kept,
        ["data-00000.csv", "data-00001.csv", "data-00002.csv"]
    );
}

fn sharded(files: u32, k: u32) -> CorpusSpec {
    let mut s = spec(files, 3, 3, None);
    s.folders = format!("sharded:{k}").parse().unwrap();
    s
}

/// Names of the entries of `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_sharded_corpus_spreads_its_files_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    let s = sharded(10, 4);
    let (corpus, prov) = create(&dir, &s);
    assert_eq!(prov, Provenance::Created);
    assert_eq!(
        corpus.file_path(5),
        dir.join("shard-1").join("data-00005.csv")
    );
    assert_eq!(corpus.file_label(5), "shard-1/data-00005.csv");
    for shard in 0..4u32 {
        let names = listing(&dir.join(format!("shard-{shard}")));
        let want: Vec<String> = (0..10u32)
            .filter(|k| k % 4 == shard)
            .map(|k| file_name(k, 10))
            .collect();
        assert_eq!(names, want, "shard-{shard}");
    }
    assert!(!listing(&dir).iter().any(|n| n.starts_with("data-")));
    // Same bytes as the flat corpus; a different corpus all the same.
    let (flat, _) = create(&tmp.path().join("flat"), &spec(10, 3, 3, None));
    assert_eq!(flat.manifest.files, corpus.manifest.files);
    assert_ne!(flat.manifest, corpus.manifest);
    assert!(corpus.verify(&quiet).unwrap().is_ok());
    assert_eq!(create(&dir, &s).1, Provenance::Reused);
    // A file in the wrong subfolder is missing where it belongs, and extra.
    fs::rename(corpus.file_path(5), dir.join("shard-0/data-00005.csv")).unwrap();
    let report = corpus.verify(&quiet).unwrap();
    assert_eq!(report.mismatches.len(), 1, "{report}");
    assert_eq!(report.mismatches[0].what, MismatchKind::Missing);
    assert_eq!(report.extra, [dir.join("shard-0/data-00005.csv")]);
}

#[test]
fn flat_and_sharded_are_different_corpora_in_one_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(8, 3, 3, None));
    let (corpus, prov) = create(&dir, &sharded(8, 2));
    assert!(
        matches!(prov, Provenance::Regenerated { ref kept, .. } if kept.is_empty()),
        "{prov:?}"
    );
    assert_eq!(
        listing(&dir)
            .iter()
            .filter(|n| n.starts_with("data-"))
            .count(),
        0
    );
    assert!(corpus.verify(&quiet).unwrap().is_ok());
    // And back: the subfolders the records name go with their files.
    let (flat, prov) = create(&dir, &spec(8, 3, 3, None));
    assert!(
        matches!(prov, Provenance::Regenerated { ref kept, .. } if kept.is_empty()),
        "{prov:?}"
    );
    assert!(!dir.join("shard-0").exists());
    assert!(flat.verify(&quiet).unwrap().is_ok());
}

#[test]
fn clean_removes_a_sharded_corpus_and_keeps_what_is_not_its() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &sharded(6, 3));
    clean(&dir).unwrap();
    assert!(!dir.exists());

    create(&dir, &sharded(6, 3));
    fs::write(dir.join("shard-1/notes.txt"), b"mine").unwrap();
    fs::write(dir.join("shard-1/data-00000.csv"), b"shard-0's name").unwrap();
    fs::create_dir(dir.join("shard-3")).unwrap();
    let report = clean(&dir).unwrap();
    assert!(!report.dir_removed);
    assert_eq!(
        report.kept,
        ["shard-1/data-00000.csv", "shard-1/notes.txt", "shard-3/"]
    );
    // 6 data files and the 5 bookkeeping files.
    assert_eq!(report.removed, 6 + 5);
    assert!(!dir.join("shard-0").exists() && !dir.join("shard-2").exists());
    assert_eq!(fs::read(dir.join("shard-1/notes.txt")).unwrap(), b"mine");
}

#[test]
fn a_sharded_rebuild_refuses_files_in_its_way_and_linked_subfolders() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    create(&dir, &spec(4, 3, 3, None));
    // A subfolder of the new layout the records do not name, holding a
    // file the rebuild would write.
    fs::create_dir(dir.join("shard-1")).unwrap();
    fs::write(dir.join("shard-1/data-00001.csv"), b"mine").unwrap();
    let err = Corpus::create_or_reuse(&dir, &sharded(4, 2), &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::InTheWay { .. }), "{err}");
    assert!(err.to_string().contains("shard-1/data-00001.csv"), "{err}");
    assert!(dir.join("manifest.json").exists());
    fs::remove_dir_all(dir.join("shard-1")).unwrap();

    // A recorded subfolder replaced by a link: refused, nothing followed.
    create(&dir, &sharded(4, 2));
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("data-00000.csv"), b"outside").unwrap();
    fs::remove_dir_all(dir.join("shard-0")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("shard-0")).unwrap();
    let err = Corpus::create_or_reuse(&dir, &sharded(4, 2), &quiet).unwrap_err();
    assert!(matches!(err, CorpusError::BadMember { .. }), "{err}");
    assert_eq!(
        fs::read(outside.join("data-00000.csv")).unwrap(),
        b"outside"
    );
    let report = clean(&dir).unwrap();
    assert_eq!(report.kept, ["shard-0 (symbolic link)"]);
    assert_eq!(
        fs::read(outside.join("data-00000.csv")).unwrap(),
        b"outside"
    );
}
