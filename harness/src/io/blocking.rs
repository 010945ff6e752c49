//! The blocking backend: each operation is the system call itself, made
//! when the operation is called, and its future is [`std::future::Ready`]
//! with the result. Not an `async fn`: that would be a state machine of its
//! own, which the compiler keeps out of line, and moving the buffer in and
//! out of it cost each warm 4 KiB random read about 15 ns here (docs/measurement.md,
//! Harness cost); a `Ready` future inlines into the task that awaits it.

use std::fs::{File, OpenOptions};
use std::future::{ready, Future};
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

    fn open(&self, path: &Path, how: Open) -> impl Future<Output = io::Result<File>> {
        ready(std_options(how).open(path))
    }

    fn read_at(&self, file: &File, mut buf: Buf, offset: u64) -> impl Future<Output = BufResult> {
        let res = file.read_at(buf.as_mut_slice(), offset);
        ready((res, buf))
    }

    #[inline]
    fn read_at_now(&self, file: &File, buf: &mut [u8], offset: u64) -> Option<io::Result<usize>> {
        Some(file.read_at(buf, offset))
    }

    #[inline]
    fn write_at_now(&self, file: &File, buf: &[u8], offset: u64) -> Option<io::Result<usize>> {
        Some(file.write_at(buf, offset))
    }

    fn write_at(&self, file: &File, buf: Buf, offset: u64) -> impl Future<Output = BufResult> {
        let res = file.write_at(buf.as_slice(), offset);
        ready((res, buf))
    }

    fn write(&self, file: &File, buf: Buf) -> impl Future<Output = BufResult> {
        let res = (&*file).write(buf.as_slice());
        ready((res, buf))
    }

    fn sync_all(&self, file: &File) -> impl Future<Output = io::Result<()>> {
        ready(file.sync_all())
    }

    fn close(&self, file: File) -> impl Future<Output = io::Result<()>> {
        drop(file);
        ready(Ok(()))
    }

    fn rename(&self, from: &Path, to: &Path) -> impl Future<Output = io::Result<()>> {
        ready(std::fs::rename(from, to))
    }

    fn size(&self, file: &File) -> impl Future<Output = io::Result<u64>> {
        ready(file.metadata().map(|m| m.len()))
    }

    fn stat(&self, path: &Path) -> impl Future<Output = io::Result<Stat>> {
        ready(lstat(path))
    }

    fn unlink(&self, path: &Path) -> impl Future<Output = io::Result<()>> {
        ready(std::fs::remove_file(path))
    }

    fn copy_file(&self, from: &Path, to: &Path) -> impl Future<Output = io::Result<u64>> {
        ready(crate::safefs::copy_new(from, to))
    }
}
