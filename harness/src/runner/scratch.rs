//! The folder one repetition writes into, by its scenario's
//! [`ScratchPolicy`], and what is left to do once it has run; and the
//! "after deleting N files" step.
//!
//! Every folder and file made here is inside the run's own marked scratch
//! folder and named by this module (`rotate-<n>`, `fresh-fs-<n>`,
//! `deleted-<i>`); removal goes through
//! [`crate::safefs::Dir`] (descriptors, links never followed, never onto
//! another filesystem), and a loop mount is unmounted before its folder is
//! removed — on every path out of a repetition, a second Ctrl-C included
//! ([`FreshFs`]'s `Drop`).
//!
//! Owns: the per-repetition scratch folder and its clean-up. Does not own:
//! the run's scratch folder itself (`corpus::Scratch`), what workloads
//! write, the images and mount system calls (`storage::image`,
//! `sys::mount`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

use crate::corpus::{self, Corpus, ScratchPolicy};
use crate::measure::quiet::{self, Settle};
use crate::safefs::{Dir, Kind};
use crate::storage::{image, ImageFs, ProvideError, Storage};
use crate::sys;

/// Numbers the per-repetition folders and images of this process.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Name prefix of the rotate policy's folders.
const ROTATE_PREFIX: &str = "rotate-";
/// Name prefix of the fresh-fs policy's mount points and images.
const FRESH_PREFIX: &str = corpus::FRESH_FS_PREFIX;
/// Room kept free on the data folder's filesystem before rotating.
const RESERVE_BYTES: u64 = 1 << 30;

/// Why a repetition's scratch folder could not be made.
#[derive(Debug)]
enum ScratchError {
    /// The policy cannot work here (`fresh-fs` then falls back to `rotate`).
    Unavailable(String),
    /// Something broke.
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for ScratchError {
    fn from(e: anyhow::Error) -> Self {
        ScratchError::Failed(e)
    }
}

/// A repetition's scratch folder, ready for the workload's setup.
#[derive(Debug)]
pub(super) struct RepScratch {
    dir: PathBuf,
    after: After,
    /// The policy it was made by (`rotate` where `fresh-fs` was asked for
    /// and cannot work here).
    pub used: ScratchPolicy,
    /// What the policy did that the row should say (older rotated folders
    /// removed for room).
    pub note: Option<String>,
}

/// What is left to do after the repetition.
#[derive(Debug)]
enum After {
    Nothing,
    Clear(PathBuf),
    Unmount(FreshFs),
}

impl RepScratch {
    /// The folder the repetition writes into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Outside the timed region, after verification: `delete-after`
    /// empties the folder and waits for quiet storage; `fresh-fs`
    /// unmounts its filesystem and removes the image.
    ///
    /// # Errors
    /// A removal or unmount that failed, naming the path.
    pub fn finish(self, settle: Settle) -> anyhow::Result<()> {
        match self.after {
            After::Nothing => Ok(()),
            After::Clear(root) => {
                corpus::reset_scratch(&root).context("emptying the scratch folder")?;
                quiet::wait_until_quiet(&root, settle);
                Ok(())
            }
            After::Unmount(fs) => fs.remove(),
        }
    }
}

/// Make the scratch folder of one repetition under `root` (the run's
/// scratch folder on `storage`) by `policy`, sized for `corpus`.
///
/// `fresh-fs` where it cannot work (not root, a filesystem iolab does not
/// format, `mkfs` or `mount` refusing) falls back to `rotate`, and the
/// note says why; on a storage other than the data folder it always
/// does: the storage is itself a filesystem provided for the run, and an
/// image per repetition would put another filesystem and loop device
/// between the workload and the storage measured. `writes` false (a workload that writes no files): the
/// run's folder, emptied, whatever the policy.
///
/// # Errors
/// A folder that cannot be emptied or made, an image that cannot be
/// created.
pub(super) fn prepare(
    (policy, storage): (ScratchPolicy, &Storage),
    writes: bool,
    root: &Path,
    corpus: &Corpus,
) -> anyhow::Result<RepScratch> {
    let shared = |after| RepScratch {
        dir: root.to_path_buf(),
        after,
        used: policy,
        note: None,
    };
    if !writes {
        corpus::reset_scratch(root)?;
        return Ok(shared(After::Nothing));
    }
    match policy {
        ScratchPolicy::DeleteBefore => {
            corpus::reset_scratch(root)?;
            Ok(shared(After::Nothing))
        }
        ScratchPolicy::DeleteAfter => {
            // Empty already unless an earlier repetition broke midway.
            corpus::reset_scratch(root)?;
            Ok(shared(After::Clear(root.to_path_buf())))
        }
        ScratchPolicy::Rotate => rotate(root, needed_bytes(corpus)),
        ScratchPolicy::FreshFs => match FreshFs::on(storage, root, needed_bytes(corpus)) {
            Ok(fs) => Ok(RepScratch {
                dir: fs.mount_path(),
                after: After::Unmount(fs),
                used: policy,
                note: None,
            }),
            Err(ScratchError::Unavailable(why)) => {
                let mut rep = rotate(root, needed_bytes(corpus))?;
                rep.note = Some(match rep.note {
                    Some(n) => format!("{why}; used rotate ({n})"),
                    None => format!("{why}; used rotate"),
                });
                Ok(rep)
            }
            Err(ScratchError::Failed(e)) => Err(e),
        },
    }
}

/// Room the writing workloads may need for one repetition: every corpus
/// file twice (atomic-save's target and temporary file), in whole 4 KiB
/// blocks, and 64 MiB more.
fn needed_bytes(corpus: &Corpus) -> u64 {
    let files: u64 = corpus
        .manifest
        .files
        .iter()
        .map(|f| f.size.div_ceil(4096) * 4096)
        .sum();
    2 * files + (64 << 20)
}

/// A fresh `rotate-<n>` folder; when the filesystem is short of room,
/// the earlier ones are removed first (and the note says so).
fn rotate(root: &Path, needed: u64) -> anyhow::Result<RepScratch> {
    let dir = Dir::open(root)?;
    let free = rustix::fs::statvfs(root)
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
        .unwrap_or(u64::MAX);
    let mut note = None;
    if free < needed.saturating_add(RESERVE_BYTES) {
        let removed = remove_all(&dir, ROTATE_PREFIX)?;
        note = Some(format!(
            "rotate: removed {removed} earlier folders to keep {} free",
            corpus::human_bytes(needed + RESERVE_BYTES)
        ));
    }
    let name = format!("{ROTATE_PREFIX}{}", NEXT.fetch_add(1, Ordering::Relaxed));
    dir.create_dir(&name)?;
    Ok(RepScratch {
        dir: root.join(name),
        after: After::Nothing,
        used: ScratchPolicy::Rotate,
        note,
    })
}

/// Remove every folder of `dir` whose name starts with `prefix` (ours:
/// only this module makes such names in a scratch folder).
fn remove_all(dir: &Dir, prefix: &str) -> anyhow::Result<usize> {
    let mut removed = 0;
    for (name, kind) in dir.entries()? {
        let ours = name.to_str().is_some_and(|n| n.starts_with(prefix));
        if ours && kind == Kind::Dir {
            dir.open_dir(&name)?.clear(&[])?;
            dir.remove_empty_dir(&name)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// A filesystem image made for one repetition and loop mounted inside the
/// run's scratch folder (`crate::storage::image`: unnamed, on a loop
/// device that detaches itself); unmounted and its mount point removed by
/// [`FreshFs::remove`], or by `Drop` on any other way out.
#[derive(Debug)]
struct FreshFs {
    root: Dir,
    name: String,
    mounted: bool,
    /// Unmounted and removed: nothing left for `Drop`.
    removed: bool,
}

impl FreshFs {
    /// [`FreshFs::make`] on the data folder; unavailable on any other
    /// storage ([`prepare`] says why).
    fn on(storage: &Storage, root_path: &Path, bytes: u64) -> Result<FreshFs, ScratchError> {
        match storage {
            Storage::DataDir => FreshFs::make(root_path, bytes),
            Storage::Tmpfs | Storage::Image(_) | Storage::Emulated(_) => {
                Err(ScratchError::Unavailable(format!(
                    "fresh-fs unavailable on storage {storage} (a filesystem made for the run)"
                )))
            }
        }
    }

    /// Make an image of `bytes` of files like the data folder's
    /// filesystem and mount it on `fresh-fs-<n>`.
    fn make(root_path: &Path, bytes: u64) -> Result<FreshFs, ScratchError> {
        let unavailable =
            |why: String| ScratchError::Unavailable(format!("fresh-fs unavailable: {why}"));
        sys::mount::may_mount().map_err(|u| unavailable(u.0))?;
        let (fstype, source) = sys::device::filesystem_of(root_path)
            .ok_or_else(|| unavailable(format!("no mount found for {}", root_path.display())))?;
        let kind = ImageFs::like(&fstype, &source).map_err(unavailable)?;
        let root = Dir::open(root_path).map_err(anyhow::Error::from)?;
        let name = format!("{FRESH_PREFIX}{}", NEXT.fetch_add(1, Ordering::Relaxed));
        root.create_dir(&name).map_err(anyhow::Error::from)?;
        let mut fs = FreshFs {
            root,
            name,
            mounted: false,
            removed: false,
        };
        match image::make(kind, root_path, &fs.mount_path(), bytes) {
            Ok(_) => {
                fs.mounted = true;
                Ok(fs)
            }
            Err(ProvideError::Unavailable(why)) => Err(ScratchError::Unavailable(format!(
                "fresh-fs unavailable: {why}"
            ))),
            Err(ProvideError::Failed(e)) => Err(ScratchError::Failed(e)),
        }
    }

    fn mount_path(&self) -> PathBuf {
        self.root.child_path(&self.name)
    }

    /// Unmount, remove the mount point.
    fn remove(mut self) -> anyhow::Result<()> {
        self.teardown()
    }

    fn teardown(&mut self) -> anyhow::Result<()> {
        if self.removed {
            return Ok(());
        }
        if self.mounted {
            sys::mount::unmount(&self.mount_path())?;
            self.mounted = false;
        }
        self.root.remove_empty_dir(&self.name)?;
        self.removed = true;
        Ok(())
    }
}

impl Drop for FreshFs {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            eprintln!("warning: fresh-fs clean-up: {e:#}");
        }
    }
}

/// The files of "after deleting N files": made before the settle, deleted
/// by name just before the timed region.
#[derive(Debug)]
pub(super) struct Doomed {
    dir: Dir,
    count: u32,
}

/// Create `count` empty files `deleted-<i>` in `dir`.
///
/// # Errors
/// A creation that failed, naming the file.
pub(super) fn doomed(dir: &Path, count: u32) -> anyhow::Result<Doomed> {
    let dir = Dir::open(dir)?;
    for i in 0..count {
        dir.create_file(doomed_name(i))?;
    }
    Ok(Doomed { dir, count })
}

fn doomed_name(i: u32) -> String {
    format!("deleted-{i:07}")
}

impl Doomed {
    /// Delete the files [`doomed`] made, by name.
    ///
    /// # Errors
    /// A removal that failed, naming the file.
    pub fn delete(self) -> anyhow::Result<()> {
        for i in 0..self.count {
            self.dir.remove_file(doomed_name(i))?;
        }
        Ok(())
    }
}
