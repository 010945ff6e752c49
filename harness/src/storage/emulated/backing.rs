//! The backing folder of the emulated storage, reached only through file
//! descriptors: every folder the kernel knows is an `O_PATH` descriptor on
//! the backing folder, every name is resolved one component at a time
//! relative to its parent's descriptor (`openat2` with `RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`, `O_NOFOLLOW`), so no
//! operation on the mount can reach outside the backing folder or follow
//! a link, whatever the files in it are.
//!
//! A file (or link) the kernel knows holds no descriptor: the kernel keeps
//! a file's inode as long as its dentry is cached — until memory pressure,
//! for files created and closed within one clock tick — so one descriptor
//! per inode, as `passthrough_ll` holds, outgrows the process's limit
//! within a run (a copy of 10,000 files kept by the `rotate` scratch
//! policy adds 10,000 a repetition). A file keeps where it was last seen
//! (its folder's inode and its name, refreshed by every lookup, create and
//! rename: with a zero entry timeout every path walk looks it up) and is
//! reached from there when an operation needs it, checked to be the same
//! backing inode (`ESTALE` otherwise). It is opened for reading or writing
//! by reopening that `O_PATH` descriptor through `/proc/self/fd/<n>` (the
//! magic link names exactly the inode reached); `chmod` and `utimensat` go
//! the same way, since an `O_PATH` descriptor refuses them.
//!
//! Owns: the inode and handle tables and the system calls on the backing
//! folder. Does not own: FUSE replies or delays (`fs.rs`).

use std::collections::HashMap;
use std::ffi::{CString, OsStr};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{Errno, FileAttr, FileType, INodeNo};
use rustix::fs::{AtFlags, FileType as RawType, Mode, OFlags, ResolveFlags, Stat, StatxFlags};

/// How names are resolved: beneath the parent, no link of any kind.
const RESOLVE: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_MAGICLINKS);

/// One inode the kernel holds.
#[derive(Debug)]
pub struct Node {
    /// A folder's `O_PATH` descriptor, held while the kernel holds the
    /// folder; `None` for any other inode (module doc).
    held: Option<OwnedFd>,
    /// Where a file was last seen: its folder's inode and its name.
    place: Mutex<(u64, CString)>,
    /// Its type.
    pub kind: FileType,
    /// Lookups the kernel has not forgotten (changed under the tables'
    /// lock).
    lookups: AtomicU64,
    /// Which backing inode it is ([`Key`]).
    key: Key,
}

/// What identifies a backing inode: its device, inode number and birth
/// time. The inode number alone does not: no descriptor pins a file's
/// inode (module doc), so once a file is deleted its number may come back
/// for a new file or folder while the kernel still holds the old node.
type Key = (u64, u64, i64, u32);

/// The [`Key`] of the inode `fd` (an `O_PATH` or open descriptor) and its
/// `stat`. Without a birth time on the backing filesystem the key's time
/// is zero and the inode number alone identifies it.
fn inspect(fd: &impl AsFd) -> Result<(Stat, Key), Errno> {
    let stat = rustix::fs::fstat(fd).map_err(errno)?;
    let born = rustix::fs::statx(fd, "", AtFlags::EMPTY_PATH, StatxFlags::BTIME)
        .ok()
        .filter(|x| x.stx_mask & StatxFlags::BTIME.bits() != 0)
        .map_or((0, 0), |x| (x.stx_btime.tv_sec, x.stx_btime.tv_nsec));
    Ok((stat, (stat.st_dev, stat.st_ino, born.0, born.1)))
}

/// An `O_PATH` descriptor on a node's backing inode: a folder's own, or
/// one opened for the operation at hand.
#[derive(Debug)]
pub enum NodeFd<'a> {
    /// A folder's held descriptor.
    Held(BorrowedFd<'a>),
    /// Opened from the file's place, closed after the operation.
    Opened(OwnedFd),
}

impl AsFd for NodeFd<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            NodeFd::Held(fd) => *fd,
            NodeFd::Opened(fd) => fd.as_fd(),
        }
    }
}

/// An open file or folder.
#[derive(Debug)]
pub enum Handle {
    /// An open file; `written` once a write went through it (its flush
    /// then costs a metadata round trip).
    File {
        /// The backing file.
        file: File,
        /// Written through this handle.
        written: AtomicBool,
    },
    /// An open folder: its entries as listed at `opendir`, and its
    /// descriptor (for `fsyncdir`).
    Dir {
        /// The folder.
        dir: OwnedFd,
        /// Its entries: name, inode number, type.
        entries: Vec<(CString, u64, FileType)>,
    },
}

/// The inode and handle tables.
#[derive(Debug)]
struct Tables {
    nodes: HashMap<u64, Arc<Node>>,
    by_key: HashMap<Key, u64>,
    next_node: u64,
    handles: HashMap<u64, Arc<Handle>>,
    next_handle: u64,
}

/// The backing folder and what the kernel holds of it.
#[derive(Debug)]
pub struct Backing {
    tables: Mutex<Tables>,
    /// `/proc/self/fd`, for reopening.
    proc_fd: OwnedFd,
}

/// An errno as FUSE replies it.
pub fn errno(e: rustix::io::Errno) -> Errno {
    Errno::from_i32(e.raw_os_error())
}

impl Backing {
    /// The tables for the folder `root` (its inode is FUSE's root, 1).
    ///
    /// # Errors
    /// The folder or `/proc/self/fd` cannot be opened.
    pub fn new(root: &Path) -> std::io::Result<Backing> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::open(root, flags, Mode::empty())?;
        let proc_fd = rustix::fs::open("/proc/self/fd", flags, Mode::empty())?;
        let (_, key) = inspect(&fd).map_err(|e| std::io::Error::from_raw_os_error(e.code()))?;
        let root_node = Arc::new(Node {
            held: Some(fd),
            place: Mutex::new((INodeNo::ROOT.0, CString::default())),
            kind: FileType::Directory,
            lookups: AtomicU64::new(1),
            key,
        });
        let mut nodes = HashMap::new();
        nodes.insert(INodeNo::ROOT.0, root_node);
        Ok(Backing {
            tables: Mutex::new(Tables {
                nodes,
                by_key: HashMap::new(),
                next_node: INodeNo::ROOT.0 + 1,
                handles: HashMap::new(),
                next_handle: 1,
            }),
            proc_fd,
        })
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The inode `ino`.
    ///
    /// # Errors
    /// `ESTALE` for an inode the kernel forgot.
    pub fn node(&self, ino: INodeNo) -> Result<Arc<Node>, Errno> {
        self.tables()
            .nodes
            .get(&ino.0)
            .cloned()
            .ok_or(Errno::from_i32(libc::ESTALE))
    }

    /// An `O_PATH` descriptor on `node`'s backing inode: a folder's own,
    /// or a file's reached from its place.
    ///
    /// # Errors
    /// `ESTALE` when its place now names another inode or none (the file
    /// was removed or renamed behind the mount); the errno of the open.
    fn fd<'a>(&self, node: &'a Node) -> Result<NodeFd<'a>, Errno> {
        if let Some(fd) = &node.held {
            return Ok(NodeFd::Held(fd.as_fd()));
        }
        let (parent, name) = node
            .place
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let stale = Errno::from_i32(libc::ESTALE);
        let folder = self.node(INodeNo(parent)).map_err(|_| stale)?;
        let folder_fd = folder.held.as_ref().ok_or(stale)?;
        let fd = rustix::fs::openat2(
            folder_fd,
            name.as_c_str(),
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
            RESOLVE,
        )
        .map_err(|e| match e {
            rustix::io::Errno::NOENT => stale,
            e => errno(e),
        })?;
        if inspect(&fd)?.1 != node.key {
            return Err(stale);
        }
        Ok(NodeFd::Opened(fd))
    }

    /// The handle `fh`.
    ///
    /// # Errors
    /// `EBADF` for a handle already released.
    pub fn handle(&self, fh: u64) -> Result<Arc<Handle>, Errno> {
        self.tables().handles.get(&fh).cloned().ok_or(Errno::EBADF)
    }

    /// Keep `handle`; its number.
    pub fn add_handle(&self, handle: Handle) -> u64 {
        let mut t = self.tables();
        let fh = t.next_handle;
        t.next_handle += 1;
        t.handles.insert(fh, Arc::new(handle));
        fh
    }

    /// Drop handle `fh` (closing it once no operation holds it).
    pub fn release(&self, fh: u64) {
        self.tables().handles.remove(&fh);
    }

    /// The kernel forgot `n` lookups of `ino`; at none left, the inode's
    /// descriptor is closed.
    pub fn forget(&self, ino: INodeNo, n: u64) {
        if ino == INodeNo::ROOT {
            return;
        }
        let mut t = self.tables();
        let gone = t.nodes.get(&ino.0).is_some_and(|node| {
            let left = node.lookups.load(Ordering::Relaxed).saturating_sub(n);
            node.lookups.store(left, Ordering::Relaxed);
            left == 0
        });
        if gone {
            if let Some(node) = t.nodes.remove(&ino.0) {
                t.by_key.remove(&node.key);
            }
        }
    }

    /// Look `name` up in `parent`: its inode, counted once more.
    ///
    /// # Errors
    /// The errno of the lookup (`ENOENT`…); `EXDEV`/`ELOOP` for a name
    /// that would leave the folder or follow a link.
    pub fn lookup(&self, parent: INodeNo, name: &OsStr) -> Result<(INodeNo, FileAttr), Errno> {
        let folder = self.node(parent)?;
        let name = checked(name)?;
        let fd = rustix::fs::openat2(
            self.fd(&folder)?,
            name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
            RESOLVE,
        )
        .map_err(errno)?;
        let (stat, key) = inspect(&fd)?;
        self.remember((&stat, key), Some(fd), (parent, name))
    }

    /// Count the inode of `stat` (reached by `name` in `parent`; `fd`, an
    /// `O_PATH` descriptor on it, is kept for a new folder) as one more
    /// lookup, adding it when it is new; its place is now that name.
    fn remember(
        &self,
        (stat, key): (&Stat, Key),
        fd: Option<OwnedFd>,
        (parent, name): (INodeNo, &OsStr),
    ) -> Result<(INodeNo, FileAttr), Errno> {
        let place = (
            parent.0,
            CString::new(name.as_bytes()).map_err(|_| Errno::EINVAL)?,
        );
        let mut t = self.tables();
        if let Some(&id) = t.by_key.get(&key) {
            if let Some(node) = t.nodes.get(&id) {
                node.lookups.fetch_add(1, Ordering::Relaxed);
                *node.place.lock().unwrap_or_else(PoisonError::into_inner) = place;
                return Ok((INodeNo(id), attr(stat, INodeNo(id))));
            }
        }
        let id = t.next_node;
        t.next_node += 1;
        let kind = kind_of(stat);
        let node = Node {
            held: fd.filter(|_| kind == FileType::Directory),
            place: Mutex::new(place),
            kind,
            lookups: AtomicU64::new(1),
            key,
        };
        t.nodes.insert(id, Arc::new(node));
        t.by_key.insert(key, id);
        Ok((INodeNo(id), attr(stat, INodeNo(id))))
    }

    /// The attributes of `ino`, through the open handle `fh` when the
    /// kernel names one (`fstat` of an open file: it answers even once
    /// the file's name is gone, as for a file unlinked while open).
    ///
    /// # Errors
    /// The errno of `fstat`.
    pub fn getattr(&self, ino: INodeNo, fh: Option<u64>) -> Result<FileAttr, Errno> {
        let stat = match fh.map(|fh| self.handle(fh)).transpose()?.as_deref() {
            Some(Handle::File { file, .. }) => rustix::fs::fstat(file),
            Some(Handle::Dir { dir, .. }) => rustix::fs::fstat(dir),
            None => rustix::fs::fstat(self.fd(&*self.node(ino)?)?),
        };
        stat.map(|s| attr(&s, ino)).map_err(errno)
    }

    /// `/proc/self/fd/<n>` of a descriptor, relative to
    /// [`Backing::proc_fd`].
    fn proc_name(fd: &impl AsFd) -> String {
        fd.as_fd().as_raw_fd().to_string()
    }

    /// Open `ino` with `flags` (the caller's access mode, `O_APPEND`,
    /// `O_TRUNC`, `O_SYNC`, `O_DSYNC`; the rest is dropped: the mount
    /// decides caching).
    ///
    /// # Errors
    /// The errno of the open.
    pub fn open(&self, ino: INodeNo, flags: i32) -> Result<File, Errno> {
        let node = self.node(ino)?;
        if node.kind != FileType::RegularFile {
            return Err(Errno::from_i32(libc::EISDIR));
        }
        let fd = rustix::fs::openat(
            &self.proc_fd,
            Self::proc_name(&self.fd(&node)?),
            open_flags(flags),
            Mode::empty(),
        )
        .map_err(errno)?;
        Ok(File::from(fd))
    }

    /// Create `name` in `parent` (never through a link) and open it.
    ///
    /// # Errors
    /// The errno of the creation.
    pub fn create(
        &self,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        flags: i32,
        owner: (u32, u32),
    ) -> Result<(INodeNo, FileAttr, File), Errno> {
        let folder = self.node(parent)?;
        let name = checked(name)?;
        let excl = if flags & libc::O_EXCL != 0 {
            OFlags::EXCL
        } else {
            OFlags::empty()
        };
        let fd = rustix::fs::openat2(
            self.fd(&folder)?,
            name,
            open_flags(flags) | OFlags::CREATE | OFlags::NOFOLLOW | excl,
            Mode::from_bits_truncate(mode & 0o7777),
            RESOLVE,
        )
        .map_err(errno)?;
        chown_new(&fd, owner)?;
        let (stat, key) = inspect(&fd)?;
        let (ino, attr) = self.remember((&stat, key), None, (parent, name))?;
        Ok((ino, attr, File::from(fd)))
    }

    /// `mkdir` `name` in `parent`.
    ///
    /// # Errors
    /// The errno of `mkdirat` or of the lookup after it.
    pub fn mkdir(
        &self,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        owner: (u32, u32),
    ) -> Result<(INodeNo, FileAttr), Errno> {
        let node = self.node(parent)?;
        let name = checked(name)?;
        rustix::fs::mkdirat(
            self.fd(&node)?,
            name,
            Mode::from_bits_truncate(mode & 0o7777),
        )
        .map_err(errno)?;
        let found = self.lookup(parent, name)?;
        self.chown_node(found.0, owner)?;
        Ok(found)
    }

    /// A symbolic link `name` in `parent` holding `target` (stored, never
    /// followed by the server).
    ///
    /// # Errors
    /// The errno of `symlinkat` or of the lookup after it.
    pub fn symlink(
        &self,
        parent: INodeNo,
        name: &OsStr,
        target: &Path,
        owner: (u32, u32),
    ) -> Result<(INodeNo, FileAttr), Errno> {
        let node = self.node(parent)?;
        let name = checked(name)?;
        rustix::fs::symlinkat(target, self.fd(&node)?, name).map_err(errno)?;
        let found = self.lookup(parent, name)?;
        self.chown_node(found.0, owner)?;
        Ok(found)
    }

    /// A hard link `name` in `parent` to `ino`.
    ///
    /// # Errors
    /// The errno of `linkat`.
    pub fn link(
        &self,
        ino: INodeNo,
        parent: INodeNo,
        name: &OsStr,
    ) -> Result<(INodeNo, FileAttr), Errno> {
        let node = self.node(ino)?;
        let dir = self.node(parent)?;
        let name = checked(name)?;
        rustix::fs::linkat(
            self.fd(&node)?,
            "",
            self.fd(&dir)?,
            name,
            AtFlags::EMPTY_PATH,
        )
        .map_err(errno)?;
        self.lookup(parent, name)
    }

    /// The target of the symbolic link `ino`.
    ///
    /// # Errors
    /// The errno of `readlinkat`.
    pub fn readlink(&self, ino: INodeNo) -> Result<Vec<u8>, Errno> {
        let node = self.node(ino)?;
        rustix::fs::readlinkat(self.fd(&node)?, "", Vec::new())
            .map(CString::into_bytes)
            .map_err(errno)
    }

    /// Remove `name` from `parent` (a folder with `dir`).
    ///
    /// # Errors
    /// The errno of `unlinkat`.
    pub fn unlink(&self, parent: INodeNo, name: &OsStr, dir: bool) -> Result<(), Errno> {
        let node = self.node(parent)?;
        let flags = if dir {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        rustix::fs::unlinkat(self.fd(&node)?, checked(name)?, flags).map_err(errno)
    }

    /// Rename (`renameat2` with `flags`: `RENAME_NOREPLACE`,
    /// `RENAME_EXCHANGE`).
    ///
    /// # Errors
    /// The errno of `renameat2`.
    pub fn rename(
        &self,
        from: (INodeNo, &OsStr),
        to: (INodeNo, &OsStr),
        flags: u32,
    ) -> Result<(), Errno> {
        let (old, new) = (self.node(from.0)?, self.node(to.0)?);
        let (old_fd, new_fd) = (self.fd(&old)?, self.fd(&new)?);
        let (from_name, to_name) = (checked(from.1)?, checked(to.1)?);
        let flags = rustix::fs::RenameFlags::from_bits_retain(flags);
        rustix::fs::renameat_with(&old_fd, from_name, &new_fd, to_name, flags).map_err(errno)?;
        // The moved inode is now at `to` (and, exchanged, the other at
        // `from`): its place follows, so it is not lost until a lookup.
        self.moved(&new_fd, to_name, to.0);
        if flags.contains(rustix::fs::RenameFlags::EXCHANGE) {
            self.moved(&old_fd, from_name, from.0);
        }
        Ok(())
    }

    /// The inode now named `name` in the folder `dir` (inode `parent`),
    /// if the kernel holds it, has that place.
    fn moved(&self, dir: &impl AsFd, name: &OsStr, parent: INodeNo) {
        let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let Ok(fd) = rustix::fs::openat2(dir, name, flags, Mode::empty(), RESOLVE) else {
            return;
        };
        let (Ok((_, key)), Ok(name)) = (inspect(&fd), CString::new(name.as_bytes())) else {
            return;
        };
        let t = self.tables();
        let node = t.by_key.get(&key).and_then(|id| t.nodes.get(id));
        if let Some(node) = node {
            *node.place.lock().unwrap_or_else(PoisonError::into_inner) = (parent.0, name);
        }
    }

    /// Change what `setattr` asks for, through the open handle `fh` when
    /// given, and return the new attributes.
    ///
    /// # Errors
    /// The first change that failed.
    pub fn setattr(
        &self,
        ino: INodeNo,
        fh: Option<u64>,
        change: &Change,
    ) -> Result<FileAttr, Errno> {
        let node = self.node(ino)?;
        if let Some(size) = change.size {
            match fh.map(|fh| self.handle(fh)).transpose()?.as_deref() {
                Some(Handle::File { file, .. }) => {
                    rustix::fs::ftruncate(file, size).map_err(errno)?;
                }
                Some(Handle::Dir { .. }) | None => {
                    let file = self.open(ino, libc::O_WRONLY)?;
                    rustix::fs::ftruncate(&file, size).map_err(errno)?;
                }
            }
        }
        let node_fd = self.fd(&node)?;
        let via_proc = Self::proc_name(&node_fd);
        if let Some(mode) = change.mode.filter(|_| node.kind != FileType::Symlink) {
            rustix::fs::chmodat(
                &self.proc_fd,
                via_proc.as_str(),
                Mode::from_bits_truncate(mode & 0o7777),
                AtFlags::empty(),
            )
            .map_err(errno)?;
        }
        if change.uid.is_some() || change.gid.is_some() {
            rustix::fs::chownat(
                &node_fd,
                "",
                change.uid.map(rustix::fs::Uid::from_raw),
                change.gid.map(rustix::fs::Gid::from_raw),
                AtFlags::EMPTY_PATH | AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(errno)?;
        }
        if (change.atime.is_some() || change.mtime.is_some()) && node.kind != FileType::Symlink {
            let times = rustix::fs::Timestamps {
                last_access: timespec(change.atime),
                last_modification: timespec(change.mtime),
            };
            rustix::fs::utimensat(&self.proc_fd, via_proc.as_str(), &times, AtFlags::empty())
                .map_err(errno)?;
        }
        rustix::fs::fstat(&node_fd)
            .map(|s| attr(&s, ino))
            .map_err(errno)
    }

    /// Open the folder `ino` and list it.
    ///
    /// # Errors
    /// The errno of the open or the listing.
    pub fn opendir(&self, ino: INodeNo) -> Result<Handle, Errno> {
        let node = self.node(ino)?;
        let dir = rustix::fs::openat(
            self.fd(&node)?,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(errno)?;
        let mut entries = Vec::new();
        for entry in rustix::fs::Dir::read_from(&dir).map_err(errno)? {
            let entry = entry.map_err(errno)?;
            entries.push((
                entry.file_name().to_owned(),
                entry.ino(),
                kind_of_raw(entry.file_type()),
            ));
        }
        Ok(Handle::Dir { dir, entries })
    }

    /// `statfs` of the backing filesystem.
    ///
    /// # Errors
    /// The errno of `fstatvfs`.
    pub fn statfs(&self) -> Result<rustix::fs::StatVfs, Errno> {
        let root = self.node(INodeNo::ROOT)?;
        rustix::fs::fstatvfs(self.fd(&root)?).map_err(errno)
    }

    /// Give a node made for another user that user (the server runs as
    /// root).
    fn chown_node(&self, ino: INodeNo, owner: (u32, u32)) -> Result<(), Errno> {
        let node = self.node(ino)?;
        chown_new(&self.fd(&node)?, owner)
    }
}

/// What a `setattr` changes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Change {
    /// New mode bits.
    pub mode: Option<u32>,
    /// New owner.
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New size.
    pub size: Option<u64>,
    /// New access time (`None` inside: now).
    pub atime: Option<Option<SystemTime>>,
    /// New modification time (`None` inside: now).
    pub mtime: Option<Option<SystemTime>>,
}

/// A time for `utimensat`: unchanged, now, or the given time.
fn timespec(t: Option<Option<SystemTime>>) -> rustix::fs::Timespec {
    let nsec = |n| rustix::fs::Timespec {
        tv_sec: 0,
        tv_nsec: n,
    };
    match t {
        None => nsec(rustix::fs::UTIME_OMIT),
        Some(None) => nsec(rustix::fs::UTIME_NOW),
        Some(Some(at)) => {
            let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
            rustix::fs::Timespec {
                tv_sec: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(since.subsec_nanos()),
            }
        }
    }
}

/// Give the new inode `fd` the caller's owner when the caller is not the
/// server's own user.
fn chown_new(fd: &impl AsFd, (uid, gid): (u32, u32)) -> Result<(), Errno> {
    if uid == rustix::process::geteuid().as_raw() {
        return Ok(());
    }
    rustix::fs::chownat(
        fd,
        "",
        Some(rustix::fs::Uid::from_raw(uid)),
        Some(rustix::fs::Gid::from_raw(gid)),
        AtFlags::EMPTY_PATH | AtFlags::SYMLINK_NOFOLLOW,
    )
    .map_err(errno)
}

/// `name` as one plain component, or `EINVAL`.
fn checked(name: &OsStr) -> Result<&OsStr, Errno> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes == b"." || bytes == b".." || bytes.contains(&b'/') {
        return Err(Errno::EINVAL);
    }
    Ok(name)
}

/// The backing open flags for a FUSE open's `flags`.
fn open_flags(flags: i32) -> OFlags {
    let kept =
        flags & (libc::O_ACCMODE | libc::O_APPEND | libc::O_TRUNC | libc::O_SYNC | libc::O_DSYNC);
    OFlags::from_bits_truncate(u32::from_ne_bytes(kept.to_ne_bytes())) | OFlags::CLOEXEC
}

/// A file type from `st_mode`.
fn kind_of(stat: &Stat) -> FileType {
    kind_of_raw(RawType::from_raw_mode(stat.st_mode))
}

fn kind_of_raw(t: RawType) -> FileType {
    match t {
        RawType::RegularFile => FileType::RegularFile,
        RawType::Directory => FileType::Directory,
        RawType::Symlink => FileType::Symlink,
        RawType::Fifo => FileType::NamedPipe,
        RawType::Socket => FileType::Socket,
        RawType::CharacterDevice => FileType::CharDevice,
        RawType::BlockDevice => FileType::BlockDevice,
        RawType::Unknown => FileType::RegularFile,
    }
}

/// FUSE attributes of a backing `stat`, as inode `ino` of the mount
/// (the kernel takes an entry's node id from its attributes, so `st_ino`
/// on the mount is the server's node id, not the backing file's).
pub fn attr(s: &Stat, ino: INodeNo) -> FileAttr {
    let time = |sec: i64, nsec: i64| {
        let sec = u64::try_from(sec).unwrap_or(0);
        let nsec = u32::try_from(nsec).unwrap_or(0);
        UNIX_EPOCH + Duration::new(sec, nsec)
    };
    FileAttr {
        ino,
        size: u64::try_from(s.st_size).unwrap_or(0),
        blocks: u64::try_from(s.st_blocks).unwrap_or(0),
        atime: time(s.st_atime, s.st_atime_nsec as i64),
        mtime: time(s.st_mtime, s.st_mtime_nsec as i64),
        ctime: time(s.st_ctime, s.st_ctime_nsec as i64),
        crtime: UNIX_EPOCH,
        kind: kind_of(s),
        perm: (s.st_mode & 0o7777) as u16,
        nlink: u32::try_from(s.st_nlink).unwrap_or(u32::MAX),
        uid: s.st_uid,
        gid: s.st_gid,
        rdev: u32::try_from(s.st_rdev).unwrap_or(0),
        blksize: u32::try_from(s.st_blksize).unwrap_or(4096),
        flags: 0,
    }
}
