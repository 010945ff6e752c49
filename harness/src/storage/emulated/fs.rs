//! The FUSE filesystem: every operation done at once on the backing
//! folder (`backing.rs`), its reply handed to the delayer (`delay.rs`)
//! with the operation's class, so it leaves when the emulated device
//! would have answered.
//!
//! What the kernel is told, so its caches do not hide the delay:
//! - an entry timeout of zero for files: every path walk looks its last
//!   component up (`LOOKUP`, which brings the attributes, cached for a
//!   second); folders' entries last a second, so the folders of a path
//!   cost nothing each time (as an NFS client's dentry cache);
//! - `FOPEN_DIRECT_IO` on every open file: every `read`/`write` reaches
//!   the server, none is served from or absorbed by the page cache, and
//!   `FOPEN_PARALLEL_DIRECT_WRITES` lets writes to one file at different
//!   offsets overlap;
//! - `FUSE_DIRECT_IO_ALLOW_MMAP` (Linux 6.6+): `mmap` works on such files,
//!   its page faults read through the server into the page cache of the
//!   mount, which each open drops again (no `FOPEN_KEEP_CACHE`);
//! - `FUSE_PARALLEL_DIROPS`: lookups and listings in one folder overlap
//!   (creates, unlinks and renames in one folder stay serialized by the
//!   kernel's folder lock, as on any filesystem);
//! - `FUSE_ASYNC_DIO` and a `max_background` of 256: one large direct
//!   read or write is sent as several requests at once, and asynchronous
//!   requests (io_uring, readahead of a mapping) are not capped at the
//!   kernel's default of 12.
//!
//! `flock` and POSIX locks are left to the kernel (locks are local to
//! this machine, which is where every user of the mount is);
//! `copy_file_range`, `lseek` and extended attributes answer `ENOSYS`
//! once, and the kernel then uses its own fallbacks (a copy becomes reads
//! and writes, each delayed).
//!
//! Owns: the mapping of FUSE operations onto backing calls and delay
//! classes. Does not own: the schedule (`delay.rs`), the descriptors
//! (`backing.rs`).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use fuser::{
    Errno, FileHandle, Filesystem, FopenFlags, Generation, INodeNo, InitFlags, KernelConfig,
    LockOwner, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request, TimeOrNow,
    WriteFlags,
};

use super::backing::{errno, Backing, Change, Handle};
use super::delay::{Class, Delayer};

/// Entry timeout of a file and attribute timeout of a new file: none, so
/// the kernel looks a file's name up on every path walk (and the lookup
/// brings its attributes).
const TTL: Duration = Duration::ZERO;
/// Attribute timeout after a lookup or `getattr`, and entry timeout of a
/// folder: a second, so a `stat` costs its lookup and no second round
/// trip, an `fstat` of a file opened within the second costs nothing (as
/// on NFS, whose attribute cache lasts 3 to 60 s), and the folders of a
/// path are walked from the cache while its last component is looked up.
const CACHED: Duration = Duration::from_secs(1);
/// Requests the kernel may have in flight in the background.
const MAX_BACKGROUND: u16 = 256;
/// Largest read or write request (1 MiB, the kernel's page limit of 256).
const MAX_WRITE: u32 = 1 << 20;
/// Capabilities asked for where the kernel has them.
const WANTED: InitFlags = InitFlags::FUSE_PARALLEL_DIROPS
    .union(InitFlags::FUSE_ASYNC_DIO)
    .union(InitFlags::FUSE_DIRECT_IO_ALLOW_MMAP)
    .union(InitFlags::FUSE_ATOMIC_O_TRUNC);
/// How files are opened on the mount.
const OPEN: FopenFlags =
    FopenFlags::FOPEN_DIRECT_IO.union(FopenFlags::FOPEN_PARALLEL_DIRECT_WRITES);

/// What the kernel agreed to at `INIT`, for the record.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Negotiated {
    /// The FUSE protocol version the kernel speaks (`7.45`).
    pub protocol: String,
    /// The capabilities asked for that the kernel has.
    pub granted: Vec<String>,
    /// Those it lacks.
    pub missing: Vec<String>,
}

/// The emulated storage's FUSE filesystem.
pub struct DelayFs {
    backing: Backing,
    delay: Arc<Delayer>,
    negotiated: Arc<Mutex<Option<Negotiated>>>,
}

impl DelayFs {
    /// A filesystem over `backing` whose replies `delay` schedules; what
    /// `INIT` agreed is written into `negotiated`.
    pub fn new(
        backing: Backing,
        delay: Arc<Delayer>,
        negotiated: Arc<Mutex<Option<Negotiated>>>,
    ) -> DelayFs {
        DelayFs {
            backing,
            delay,
            negotiated,
        }
    }

    /// Reply with an entry (or the error) once due.
    fn entry(&self, result: Result<(INodeNo, fuser::FileAttr), Errno>, reply: ReplyEntry) {
        self.delay.reply(Class::Meta, 0, move || match result {
            Ok((_, attr)) => {
                let entry_ttl = if attr.kind == fuser::FileType::Directory {
                    CACHED
                } else {
                    TTL
                };
                reply.entry_with_ttls(&CACHED, &entry_ttl, &attr, Generation(0));
            }
            Err(e) => reply.error(e),
        });
    }

    /// Reply empty (or the error) once a `class` operation is due.
    fn empty(&self, class: Class, result: Result<(), Errno>, reply: ReplyEmpty) {
        self.delay.reply(class, 0, move || match result {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        });
    }

    fn file(&self, fh: FileHandle) -> Result<Arc<Handle>, Errno> {
        self.backing.handle(fh.0)
    }
}

/// The caller's user and group.
fn owner(req: &Request) -> (u32, u32) {
    (req.uid(), req.gid())
}

fn time(t: Option<TimeOrNow>) -> Option<Option<SystemTime>> {
    t.map(|t| match t {
        TimeOrNow::SpecificTime(at) => Some(at),
        TimeOrNow::Now => None,
    })
}

fn flag_names(flags: InitFlags) -> Vec<String> {
    flags
        .iter_names()
        .map(|(name, _)| name.to_string())
        .collect()
}

impl Filesystem for DelayFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        let granted = WANTED & config.capabilities();
        // Only capabilities the kernel has are added: cannot fail.
        let _ = config.add_capabilities(granted);
        let _ = config.set_max_background(MAX_BACKGROUND);
        let _ = config.set_congestion_threshold(MAX_BACKGROUND / 4 * 3);
        let _ = config.set_max_write(MAX_WRITE);
        let abi = config.kernel_abi();
        *self
            .negotiated
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Negotiated {
            protocol: format!("{}.{}", abi.0, abi.1),
            granted: flag_names(granted),
            missing: flag_names(WANTED - granted),
        });
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        self.entry(self.backing.lookup(parent, name), reply);
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        self.backing.forget(ino, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, fh: Option<FileHandle>, reply: ReplyAttr) {
        let result = self.backing.getattr(ino, fh.map(|f| f.0));
        self.delay.reply(Class::Meta, 0, move || match result {
            Ok(attr) => reply.attr(&CACHED, &attr),
            Err(e) => reply.error(e),
        });
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let change = Change {
            mode,
            uid,
            gid,
            size,
            atime: time(atime),
            mtime: time(mtime),
        };
        let result = self.backing.setattr(ino, fh.map(|f| f.0), &change);
        self.delay.reply(Class::Meta, 0, move || match result {
            Ok(attr) => reply.attr(&CACHED, &attr),
            Err(e) => reply.error(e),
        });
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        let result = self.backing.readlink(ino);
        self.delay.reply(Class::Meta, 0, move || match result {
            Ok(target) => reply.data(&target),
            Err(e) => reply.error(e),
        });
    }

    fn mkdir(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        self.entry(
            self.backing.mkdir(parent, name, mode & !umask, owner(req)),
            reply,
        );
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.empty(Class::Meta, self.backing.unlink(parent, name, false), reply);
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.empty(Class::Meta, self.backing.unlink(parent, name, true), reply);
    }

    fn symlink(
        &self,
        req: &Request,
        parent: INodeNo,
        link_name: &OsStr,
        target: &Path,
        reply: ReplyEntry,
    ) {
        self.entry(
            self.backing.symlink(parent, link_name, target, owner(req)),
            reply,
        );
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let result = self
            .backing
            .rename((parent, name), (newparent, newname), flags.bits());
        self.empty(Class::Meta, result, reply);
    }

    fn link(
        &self,
        _req: &Request,
        ino: INodeNo,
        newparent: INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        self.entry(self.backing.link(ino, newparent, newname), reply);
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let result = self.backing.open(ino, flags.0).map(|file| {
            self.backing.add_handle(Handle::File {
                file,
                written: false.into(),
            })
        });
        self.delay.reply(Class::Meta, 0, move || match result {
            Ok(fh) => reply.opened(FileHandle(fh), OPEN),
            Err(e) => reply.error(e),
        });
    }

    fn read(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let result = self.file(fh).and_then(|h| match &*h {
            Handle::File { file, .. } => read_at(file, offset, size as usize),
            Handle::Dir { .. } => Err(Errno::from_i32(libc::EISDIR)),
        });
        let bytes = result.as_ref().map_or(0, |d| d.len() as u64);
        self.delay.reply(Class::Data, bytes, move || match result {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e),
        });
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let result = self.file(fh).and_then(|h| match &*h {
            Handle::File { file, written } => {
                written.store(true, Ordering::Relaxed);
                file.write_all_at(data, offset)
                    .map(|()| data.len() as u32)
                    .map_err(Errno::from)
            }
            Handle::Dir { .. } => Err(Errno::from_i32(libc::EISDIR)),
        });
        let bytes = result.map_or(0, u64::from);
        self.delay.reply(Class::Data, bytes, move || match result {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e),
        });
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // A close after writes costs a round trip (a remote store commits
        // on close); a close of a file only read costs nothing.
        let written = matches!(
            self.file(fh).as_deref(),
            Ok(Handle::File { written, .. }) if written.load(Ordering::Relaxed)
        );
        let class = if written { Class::Meta } else { Class::Free };
        self.empty(class, Ok(()), reply);
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.backing.release(fh.0);
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        datasync: bool,
        reply: ReplyEmpty,
    ) {
        let result = self.file(fh).and_then(|h| match &*h {
            Handle::File { file, .. } if datasync => rustix::fs::fdatasync(file).map_err(errno),
            Handle::File { file, .. } => rustix::fs::fsync(file).map_err(errno),
            Handle::Dir { dir, .. } => rustix::fs::fsync(dir).map_err(errno),
        });
        self.empty(Class::Meta, result, reply);
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let result = self
            .backing
            .opendir(ino)
            .map(|h| self.backing.add_handle(h));
        self.delay.reply(Class::Meta, 0, move || match result {
            Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
            Err(e) => reply.error(e),
        });
    }

    fn readdir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let result = self.file(fh).and_then(|h| match &*h {
            Handle::Dir { entries, .. } => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                for (i, (name, ino, kind)) in entries.iter().enumerate().skip(start) {
                    let name = OsStr::from_bytes(name.to_bytes());
                    if reply.add(INodeNo(*ino), i as u64 + 1, *kind, name) {
                        break;
                    }
                }
                Ok(())
            }
            Handle::File { .. } => Err(Errno::ENOTDIR),
        });
        self.delay.reply(Class::Meta, 0, move || match result {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        });
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        self.backing.release(fh.0);
        reply.ok();
    }

    fn fsyncdir(
        &self,
        req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        datasync: bool,
        reply: ReplyEmpty,
    ) {
        self.fsync(req, ino, fh, datasync, reply);
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let result = self.backing.statfs();
        self.delay.reply(Class::Meta, 0, move || match result {
            Ok(s) => reply.statfs(
                s.f_blocks,
                s.f_bfree,
                s.f_bavail,
                s.f_files,
                s.f_ffree,
                u32::try_from(s.f_bsize).unwrap_or(4096),
                u32::try_from(s.f_namemax).unwrap_or(255),
                u32::try_from(s.f_frsize).unwrap_or(4096),
            ),
            Err(e) => reply.error(e),
        });
    }

    fn getxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _size: u32,
        reply: ReplyXattr,
    ) {
        reply.error(Errno::ENOSYS);
    }

    fn listxattr(&self, _req: &Request, _ino: INodeNo, _size: u32, reply: ReplyXattr) {
        reply.error(Errno::ENOSYS);
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        reply.error(Errno::ENOSYS);
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let result = self
            .backing
            .create(parent, name, mode & !umask, flags, owner(req))
            .map(|(_, attr, file)| {
                let fh = self.backing.add_handle(Handle::File {
                    file,
                    written: false.into(),
                });
                (attr, fh)
            });
        self.delay.reply(Class::Meta, 0, move || match result {
            Ok((attr, fh)) => reply.created(&TTL, &attr, Generation(0), FileHandle(fh), OPEN),
            Err(e) => reply.error(e),
        });
    }

    fn fallocate(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        let result = self.file(fh).and_then(|h| match &*h {
            Handle::File { file, .. } => rustix::fs::fallocate(
                file,
                rustix::fs::FallocateFlags::from_bits_retain(u32::from_ne_bytes(
                    mode.to_ne_bytes(),
                )),
                offset,
                length,
            )
            .map_err(errno),
            Handle::Dir { .. } => Err(Errno::from_i32(libc::EISDIR)),
        });
        self.empty(Class::Meta, result, reply);
    }
}

/// Read up to `size` bytes at `offset` (fewer at the end of the file).
fn read_at(file: &std::fs::File, offset: u64, size: usize) -> Result<Vec<u8>, Errno> {
    let mut data = vec![0u8; size];
    let mut filled = 0;
    while filled < size {
        match file.read_at(&mut data[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Errno::from(e)),
        }
    }
    data.truncate(filled);
    Ok(data)
}
