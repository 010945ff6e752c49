use std::fs;
use std::os::unix::fs::{symlink, MetadataExt};

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
        dir.read("link", 10).unwrap_err(),
        FsError::Symlink { .. }
    ));
    let err = dir.read("sub", 10).unwrap_err();
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
    assert_eq!(dir.read("missing", 10).unwrap(), None);
    assert_eq!(dir.read("target", 10).unwrap().unwrap(), b"t");
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

/// Make a FIFO at `path`.
fn mkfifo(path: &Path) {
    rustix::fs::mknodat(CWD, path, FileType::Fifo, Mode::from_raw_mode(0o644), 0).unwrap();
}

#[test]
fn reads_refuse_fifos_sockets_devices_and_links_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo");
    mkfifo(&fifo);
    let socket = tmp.path().join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let zero = tmp.path().join("zero");
    symlink("/dev/zero", &zero).unwrap();
    fs::create_dir(tmp.path().join("sub")).unwrap();
    // A FIFO opened for reading without O_NONBLOCK would wait for a writer
    // forever; each of these must come back at once with what it is.
    let cases = [
        ("fifo", "is a FIFO (named pipe), not a regular file"),
        ("socket", "is a socket, not a regular file"),
        ("zero", "is a symbolic link"),
        ("sub", "is a directory, not a regular file"),
    ];
    let dir = Dir::open(tmp.path()).unwrap();
    for (name, says) in cases {
        let path = tmp.path().join(name);
        let err = read_file(&path, 1 << 20).unwrap_err();
        assert!(err.to_string().contains(says), "{name}: {err}");
        assert!(err.to_string().contains(name), "{name}: {err}");
        let err = dir.read(name, 1 << 20).unwrap_err();
        assert!(err.to_string().contains(says), "{name}: {err}");
        let err = open_appending(&path, false).unwrap_err();
        assert!(err.to_string().contains(says), "{name}: {err}");
        let err = dir.open_or_create_file(name).unwrap_err();
        assert!(err.to_string().contains(says), "{name}: {err}");
    }
    let err = read_file(Path::new("/dev/zero"), 1 << 20).unwrap_err();
    assert!(err.to_string().contains("character device"), "{err}");
    assert!(read_file_if_exists(&tmp.path().join("none"), 1)
        .unwrap()
        .is_none());
}

#[test]
fn reads_stop_at_their_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("f");
    fs::write(&path, b"12345").unwrap();
    assert_eq!(read_file(&path, 5).unwrap(), b"12345");
    let err = read_file(&path, 4).unwrap_err();
    assert!(matches!(err, FsError::TooLarge { max: 4, .. }), "{err}");
    assert!(err.to_string().contains("more than 4 bytes"), "{err}");
    // /proc files report size 0: the bound, not the size, decides.
    let text = read_file(Path::new("/proc/self/status"), 1 << 20).unwrap();
    assert!(!text.is_empty());
    // The handle a read returns blocks as any other (O_NONBLOCK cleared).
    let file = open_file(&path).unwrap();
    let flags = rustix::fs::fcntl_getfl(&file).unwrap();
    assert!(!flags.contains(OFlags::NONBLOCK));
}

#[test]
fn a_file_to_write_in_place_must_have_no_other_name() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    fs::write(&outside, b"precious").unwrap();
    let inside = tmp.path().join("runs.csv");
    fs::hard_link(&outside, &inside).unwrap();
    // Reading it is fine; appending to it, or locking it to write a pid
    // into, is refused.
    assert_eq!(read_file(&inside, 100).unwrap(), b"precious");
    for read in [true, false] {
        let err = open_appending(&inside, read).unwrap_err();
        assert!(matches!(err, FsError::HardLinked { links: 2, .. }), "{err}");
    }
    let err = Dir::open(tmp.path())
        .unwrap()
        .open_or_create_file("runs.csv")
        .unwrap_err();
    assert!(err.to_string().contains("has 2 hard links"), "{err}");
    assert_eq!(fs::read(&outside).unwrap(), b"precious");
}

/// A bind mount of `from` at `to`, unmounted when dropped; `None` (the
/// reason printed) where mounting is not allowed.
struct Bind(PathBuf);

impl Bind {
    fn mount(from: &Path, to: &Path) -> Option<Bind> {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: a bind mount needs root");
            return None;
        }
        let ok = std::process::Command::new("mount")
            .arg("--bind")
            .arg(from)
            .arg(to)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: mount --bind refused here");
        }
        ok.then(|| Bind(to.to_path_buf()))
    }
}

impl Drop for Bind {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn clear_keeps_a_bind_mount_of_the_same_filesystem_with_its_contents() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir_all(outside.join("deep")).unwrap();
    fs::write(outside.join("deep/precious"), b"mine").unwrap();
    let root = tmp.path().join("root");
    let mnt = root.join("a/mnt");
    fs::create_dir_all(&mnt).unwrap();
    fs::write(root.join("a/f"), b"x").unwrap();
    fs::write(root.join("g"), b"x").unwrap();
    let Some(bind) = Bind::mount(&outside, &mnt) else {
        return;
    };
    // Same filesystem, same st_dev: only the mount id tells them apart.
    assert_eq!(
        fs::metadata(&root).unwrap().dev(),
        fs::metadata(&mnt).unwrap().dev()
    );
    let dir = Dir::open(&root).unwrap();
    let in_a = dir.open_dir("a").unwrap().entries_with_mounts().unwrap();
    assert_eq!(
        in_a,
        [
            ("f".into(), Kind::File, false),
            ("mnt".into(), Kind::Dir, true)
        ]
    );
    let kept = dir.clear_keeping_mounts(&[]).unwrap();
    let err = dir.clear(&[]).unwrap_err();
    let left_a = fs::read_dir(root.join("a")).unwrap().count();
    let precious = fs::read(mnt.join("deep/precious")).unwrap();
    drop(bind);
    assert_eq!(kept, std::slice::from_ref(&mnt));
    assert!(
        matches!(err, FsError::MountPoints { ref mounts, .. } if mounts == std::slice::from_ref(&mnt)),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("kept a mount point") && text.contains("unmount it"),
        "{text}"
    );
    assert_eq!(text.matches("busy").count(), 0, "{text}");
    assert_eq!(precious, b"mine");
    assert_eq!(left_a, 1, "a/f removed, a/mnt kept");
    assert!(!root.join("g").exists());
    assert_eq!(fs::read(outside.join("deep/precious")).unwrap(), b"mine");
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
