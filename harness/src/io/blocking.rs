//! The blocking backend: each operation is the system call itself, done
//! inside `poll`, so its futures are always ready on first poll.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use super::{Buf, BufResult, Io, Open, Stat};

/// Plain blocking system calls on the calling thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Blocking;

/// `std` open options for [`Open`].
pub(crate) fn std_options(how: Open) -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(how.read)
        .write(how.write)
        .create(how.create)
        .create_new(how.create && how.exclusive)
        .truncate(how.truncate)
        .append(how.append)
        .custom_flags(extra_flags(how));
    o
}

/// `lstat(2)` of `path` (std asks `statx` with `AT_SYMLINK_NOFOLLOW`).
pub(crate) fn lstat(path: &Path) -> io::Result<Stat> {
    let meta = std::fs::symlink_metadata(path)?;
    Ok(Stat::from_mode(meta.mode(), meta.len()))
}

/// The flags of [`Open::flags`] that `OpenOptions` has no setter for.
pub(crate) fn extra_flags(how: Open) -> i32 {
    how.flags() & (libc::O_NOFOLLOW | crate::sys::cache::O_DIRECT)
}

impl Io for Blocking {
    type File = File;

    fn name(&self) -> &'static str {
        "blocking"
    }

    fn backend(&self) -> super::Backend<'_> {
        super::Backend::Blocking(self)
    }

    async fn open(&self, path: &Path, how: Open) -> io::Result<File> {
        std_options(how).open(path)
    }

    async fn read_at(&self, file: &File, mut buf: Buf, offset: u64) -> BufResult {
        let res = file.read_at(buf.as_mut_slice(), offset);
        (res, buf)
    }

    async fn write_at(&self, file: &File, buf: Buf, offset: u64) -> BufResult {
        let res = file.write_at(buf.as_slice(), offset);
        (res, buf)
    }

    async fn write(&self, file: &File, buf: Buf) -> BufResult {
        let res = (&*file).write(buf.as_slice());
        (res, buf)
    }

    async fn sync_all(&self, file: &File) -> io::Result<()> {
        file.sync_all()
    }

    async fn close(&self, file: File) -> io::Result<()> {
        drop(file);
        Ok(())
    }

    async fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    async fn size(&self, file: &File) -> io::Result<u64> {
        Ok(file.metadata()?.len())
    }

    async fn stat(&self, path: &Path) -> io::Result<Stat> {
        lstat(path)
    }

    async fn unlink(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    async fn copy_file(&self, from: &Path, to: &Path) -> io::Result<u64> {
        crate::safefs::copy_new(from, to)
    }
}
