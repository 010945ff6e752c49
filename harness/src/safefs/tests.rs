use std::fs;
use std::os::unix::fs::symlink;

use super::*;

#[test]
fn open_refuses_a_link_at_an_intermediate_component() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("real/inner")).unwrap();
    symlink(tmp.path().join("real"), tmp.path().join("link")).unwrap();
    let err = Dir::open(&tmp.path().join("link/inner")).unwrap_err();
    assert!(
        matches!(err, FsError::Symlink { ref path } if path.ends_with("link")),
        "{err}"
    );
    let err = Dir::create_all(&tmp.path().join("link/inner/new")).unwrap_err();
    assert!(matches!(err, FsError::Symlink { .. }), "{err}");
    assert!(!tmp.path().join("real/inner/new").exists());
    Dir::open(&tmp.path().join("real/inner")).unwrap();
}

#[test]
fn open_refuses_dotdot_and_files() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("f"), b"x").unwrap();
    let err = Dir::open(&tmp.path().join("a/../f")).unwrap_err();
    assert!(matches!(err, FsError::BadPath { .. }), "{err}");
    let err = Dir::open(&tmp.path().join("f")).unwrap_err();
    assert!(
        matches!(
            err,
            FsError::WrongKind {
                found: Kind::File,
                ..
            }
        ),
        "{err}"
    );
    assert!(Dir::open(&tmp.path().join("missing"))
        .unwrap_err()
        .is_not_found());
}

#[test]
fn create_all_makes_missing_components() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Dir::create_all(&tmp.path().join("a/b/c")).unwrap();
    assert!(tmp.path().join("a/b/c").is_dir());
    assert_eq!(dir.path(), tmp.path().join("a/b/c"));
}

#[test]
fn create_file_never_writes_through_a_link() {
    let tmp = tempfile::tempdir().unwrap();
    let decoy = tmp.path().join("decoy");
    fs::write(&decoy, b"precious").unwrap();
    fs::create_dir(tmp.path().join("d")).unwrap();
    symlink(&decoy, tmp.path().join("d/out")).unwrap();
    let dir = Dir::open(&tmp.path().join("d")).unwrap();
    let err = dir.create_file("out").unwrap_err();
    assert!(matches!(err, FsError::Symlink { .. }), "{err}");
    assert_eq!(fs::read(&decoy).unwrap(), b"precious");
    // An existing regular file is not overwritten either.
    fs::write(tmp.path().join("d/plain"), b"old").unwrap();
    let err = dir.create_file("plain").unwrap_err();
    assert_eq!(
        err.io_error().map(io::Error::kind),
        Some(io::ErrorKind::AlreadyExists)
    );
    assert_eq!(fs::read(tmp.path().join("d/plain")).unwrap(), b"old");
}

#[test]
fn names_must_be_single_components() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Dir::open(tmp.path()).unwrap();
    for bad in ["", ".", "..", "a/b", "../x"] {
        let err = dir.create_file(bad).unwrap_err();
        assert!(matches!(err, FsError::BadPath { .. }), "{bad}: {err}");
    }
}

#[test]
fn open_file_and_read_refuse_links_and_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("target"), b"t").unwrap();
    symlink(tmp.path().join("target"), tmp.path().join("link")).unwrap();
    fs::create_dir(tmp.path().join("sub")).unwrap();
    let dir = Dir::open(tmp.path()).unwrap();
    assert!(matches!(
        dir.read("link").unwrap_err(),
        FsError::Symlink { .. }
    ));
    let err = dir.read("sub").unwrap_err();
    assert!(
        matches!(
            err,
            FsError::WrongKind {
                found: Kind::Dir,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(dir.read("missing").unwrap(), None);
    assert_eq!(dir.read("target").unwrap().unwrap(), b"t");
    let err = dir.open_or_create_file("link").unwrap_err();
    assert!(matches!(err, FsError::Symlink { .. }), "{err}");
}

#[test]
fn remove_file_removes_the_link_not_its_target() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("target"), b"t").unwrap();
    symlink(tmp.path().join("target"), tmp.path().join("link")).unwrap();
    let dir = Dir::open(tmp.path()).unwrap();
    assert!(dir.remove_file("link").unwrap());
    assert!(!dir.remove_file("link").unwrap());
    assert_eq!(fs::read(tmp.path().join("target")).unwrap(), b"t");
}

#[test]
fn clear_keeps_named_entries_and_never_follows_links() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("keep.txt"), b"mine").unwrap();
    let root = tmp.path().join("root");
    fs::create_dir_all(root.join("a/b")).unwrap();
    fs::write(root.join("a/b/f"), b"x").unwrap();
    fs::write(root.join("marker"), b"m").unwrap();
    symlink(&outside, root.join("a/escape")).unwrap();
    symlink(outside.join("keep.txt"), root.join("file-link")).unwrap();
    let dir = Dir::open(&root).unwrap();
    dir.clear(&["marker"]).unwrap();
    let left: Vec<_> = dir.entries().unwrap().into_iter().map(|(n, _)| n).collect();
    assert_eq!(left, ["marker"]);
    assert_eq!(fs::read(outside.join("keep.txt")).unwrap(), b"mine");
}

#[test]
fn clear_stops_at_another_filesystem() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&mnt)
        .status();
    if !mounted.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mount -t tmpfs refused here");
        return;
    }
    fs::write(mnt.join("on-tmpfs"), b"x").unwrap();
    let dir = Dir::open(tmp.path()).unwrap();
    let err = dir.clear(&[]).unwrap_err();
    let kept = mnt.join("on-tmpfs").exists();
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    assert!(matches!(err, FsError::OtherDevice { .. }), "{err}");
    assert!(kept);
}

#[test]
fn rename_and_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Dir::open(tmp.path()).unwrap();
    io::Write::write_all(&mut dir.create_file("a.tmp").unwrap(), b"1").unwrap();
    dir.rename("a.tmp", "a").unwrap();
    dir.create_dir("sub").unwrap();
    assert_eq!(
        dir.entries().unwrap(),
        [("a".into(), Kind::File), ("sub".into(), Kind::Dir)]
    );
    assert!(dir.remove_empty_dir("sub").unwrap());
}

#[test]
fn create_new_and_copy_new_refuse_links() {
    let tmp = tempfile::tempdir().unwrap();
    let decoy = tmp.path().join("decoy");
    fs::write(&decoy, b"precious").unwrap();
    let link = tmp.path().join("link");
    symlink(&decoy, &link).unwrap();
    assert!(create_new(&link).is_err());
    assert!(copy_new(&decoy, &link).is_err());
    assert_eq!(fs::read(&decoy).unwrap(), b"precious");
    let copy = tmp.path().join("copy");
    assert_eq!(copy_new(&decoy, &copy).unwrap(), 8);
    assert_eq!(fs::read(&copy).unwrap(), b"precious");
}

#[test]
fn locks_exclude_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Dir::open(tmp.path()).unwrap();
    let a = dir.open_or_create_file("lock").unwrap();
    let b = dir.open_or_create_file("lock").unwrap();
    assert!(try_lock(&a, LockMode::Shared).unwrap());
    assert!(try_lock(&b, LockMode::Shared).unwrap());
    assert!(!try_lock(&b, LockMode::Exclusive).unwrap());
    drop(a);
    assert!(try_lock(&b, LockMode::Exclusive).unwrap());
    let c = dir.open_or_create_file("lock").unwrap();
    assert!(!try_lock(&c, LockMode::Shared).unwrap());
}
