//! Storages a run's corpus and scratch can be put on: the data folder as
//! it is, a tmpfs, a fresh loop-mounted image of a named filesystem, or an
//! emulated slow store (a FUSE filesystem iolab serves itself). A
//! [`Storage`] is parsed and validated from its text (`spec`) against the
//! providers' descriptions (`describe`, each provider's module);
//! [`provide`] mounts it inside iolab's private mount namespace and hands
//! back a [`Provided`]: the folder where corpus and scratch go, a
//! [`StorageRecord`] for `run.json`, and the mount itself, unmounted and
//! removed on [`Provided::remove`], on drop, and — by the kernel — when
//! iolab is killed.
//!
//! Owns: storage values, their descriptions, providing and removing them,
//! and what is recorded of them. Does not own: the corpus or scratch put
//! on them (`corpus`), the mount system calls (`sys::mount`,
//! `sys::loopdev`).

pub mod catalog;
pub mod data_dir;
pub mod describe;
pub mod emulated;
pub mod image;
pub mod probe;
pub mod spec;
pub mod tmpfs;
mod watchdog;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use describe::{Need, ParamDesc, ParamKind, StorageDesc};
pub use emulated::{Calibration, Emulator, EmulatorRecord, Preset, Timing};
pub use image::{ImageFs, ImageRecord};
pub use spec::{Emulation, Storage, StorageError, StorageKind};

use crate::corpus::Scratch;

/// Numbers the work folders of this process.
static NEXT: AtomicU64 = AtomicU64::new(0);
/// The mount point's name in a work folder.
const MOUNT_POINT: &str = "mnt";
/// The emulator's backing folder's name in a work folder.
const BACKING: &str = "backing";

/// Why a storage could not be provided.
#[derive(Debug, thiserror::Error)]
pub enum ProvideError {
    /// It cannot be had on this machine (one line naming the storage and
    /// why: `xfs unavailable: mkfs.xfs not installed`); the rest of a run
    /// goes on without it.
    #[error("{0}")]
    Unavailable(String),
    /// Something broke (a folder that cannot be made).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// What is recorded of a provided storage (`run.json`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StorageRecord {
    /// The storage, in its canonical text.
    pub storage: Storage,
    /// The folder corpus and scratch go into.
    pub dir: PathBuf,
    /// The filesystem type there (`ext4`, `tmpfs`, `fuse.iolab`).
    pub fstype: Option<String>,
    /// The mount's source (`/dev/loop3`, `tmpfs`, `iolab`).
    pub source: Option<String>,
    /// The mount's options and the filesystem's own
    /// (`rw,nosuid,nodev,relatime | rw,size=…`), from
    /// `/proc/self/mountinfo`.
    pub mount_options: Option<String>,
    /// The image, for a loop-mounted filesystem.
    pub image: Option<ImageRecord>,
    /// The emulator, for an emulated storage.
    pub emulator: Option<EmulatorRecord>,
}

impl StorageRecord {
    /// The record of `storage` mounted at (or, for the data folder,
    /// holding) `dir`.
    fn of_mount(storage: Storage, dir: &Path, image: Option<ImageRecord>) -> StorageRecord {
        let (fstype, source, options) = match crate::sys::mount::mount_info(dir) {
            Some(m) => (
                Some(m.fstype),
                Some(m.source),
                Some(format!("{} | {}", m.mount_options, m.super_options)),
            ),
            None => match crate::sys::device::filesystem_of(dir) {
                Some((fstype, source)) => (
                    Some(fstype),
                    Some(source),
                    crate::sys::device::mount_options_of(dir),
                ),
                None => (None, None, None),
            },
        };
        StorageRecord {
            storage,
            dir: dir.to_path_buf(),
            fstype,
            source,
            mount_options: options,
            image,
            emulator: None,
        }
    }
}

/// A storage ready for a run: corpus and scratch go into [`Provided::dir`].
#[derive(Debug)]
pub struct Provided {
    storage: Storage,
    dir: PathBuf,
    record: StorageRecord,
    held: Held,
}

/// What a provided storage holds until it is removed.
#[derive(Debug)]
enum Held {
    /// The data folder: nothing.
    Nothing,
    /// A kernel mount (tmpfs, image) in its work folder.
    Mount(Work),
    /// The emulator's mount, then its work folder (backing and mount
    /// point), and its watchdog (`watchdog`).
    Emulated(Box<Emulator>, Work, Option<watchdog::Watchdog>),
}

/// A work folder `<data>/scratch-storage-<pid>-<n>` (marked and locked
/// like a run's scratch folder, so `corpus clean --scratch` removes what a
/// killed process left) holding the mount point and, for the emulator,
/// the backing folder.
#[derive(Debug)]
struct Work {
    scratch: Option<Scratch>,
    mount_point: PathBuf,
    mounted: bool,
}

impl Work {
    fn create(data_dir: &Path) -> Result<Work, ProvideError> {
        let tag = format!(
            "storage-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let scratch =
            Scratch::create(data_dir, &tag).map_err(|e| ProvideError::Failed(e.into()))?;
        let mount_point = scratch.path().join(MOUNT_POINT);
        std::fs::create_dir(&mount_point).map_err(|e| {
            ProvideError::Failed(anyhow::anyhow!("creating {}: {e}", mount_point.display()))
        })?;
        Ok(Work {
            scratch: Some(scratch),
            mount_point,
            mounted: false,
        })
    }

    fn path(&self) -> &Path {
        self.scratch.as_ref().map_or(Path::new(""), Scratch::path)
    }

    /// Unmount (a kernel mount) and remove the folder.
    fn remove(&mut self) -> anyhow::Result<()> {
        if self.mounted {
            crate::sys::mount::unmount(&self.mount_point)?;
            self.mounted = false;
        }
        if let Some(scratch) = self.scratch.take() {
            scratch.remove()?;
        }
        Ok(())
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        if let Err(e) = self.remove() {
            eprintln!("warning: removing a storage's work folder: {e:#}");
        }
    }
}

impl Provided {
    /// The storage provided.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The folder where the corpus and scratch go.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What is recorded of it.
    pub fn record(&self) -> &StorageRecord {
        &self.record
    }

    /// The emulator, for an emulated storage (to switch its delay off and
    /// on, or read what it served).
    pub fn emulator(&self) -> Option<&Emulator> {
        match &self.held {
            Held::Emulated(e, ..) => Some(e),
            Held::Nothing | Held::Mount(_) => None,
        }
    }

    /// Unmount and remove everything provided (the data folder itself is
    /// left as it is).
    ///
    /// # Errors
    /// An unmount or removal that failed, naming the path.
    pub fn remove(mut self) -> anyhow::Result<()> {
        self.teardown()
    }

    fn teardown(&mut self) -> anyhow::Result<()> {
        match std::mem::replace(&mut self.held, Held::Nothing) {
            Held::Nothing => Ok(()),
            Held::Mount(mut work) => work.remove(),
            Held::Emulated(emulator, mut work, watchdog) => {
                emulator.unmount()?;
                drop(watchdog);
                work.remove()
            }
        }
    }
}

impl Drop for Provided {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            eprintln!("warning: removing storage {}: {e:#}", self.storage);
        }
    }
}

/// Provide `storage` for `bytes` of corpus and scratch, with its folders
/// in `data_dir`: the data folder itself for `data-dir`; otherwise a work
/// folder there holding the mount (and the emulator's backing folder).
///
/// # Errors
/// [`ProvideError::Unavailable`] when the storage cannot be had here (one
/// line: a need not met, a tool or the kernel refusing);
/// [`ProvideError::Failed`] when a folder cannot be made.
pub fn provide(storage: &Storage, data_dir: &Path, bytes: u64) -> Result<Provided, ProvideError> {
    if let Some(why) = storage.desc().unmet() {
        return Err(ProvideError::Unavailable(why));
    }
    match storage {
        Storage::DataDir => provide_data_dir(data_dir),
        Storage::Tmpfs => {
            let mut work = Work::create(data_dir)?;
            tmpfs::mount(&work.mount_point, bytes)?;
            work.mounted = true;
            Ok(kernel_mount(*storage, work, None))
        }
        Storage::Image(fs) => {
            let mut work = Work::create(data_dir)?;
            let image = image::make(*fs, work.path(), &work.mount_point, bytes)?;
            work.mounted = true;
            Ok(kernel_mount(*storage, work, Some(image)))
        }
        Storage::Emulated(emulation) => provide_emulated(*storage, emulation.timing, data_dir),
    }
}

/// Hand back the data folder itself (made when missing).
fn provide_data_dir(data_dir: &Path) -> Result<Provided, ProvideError> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        ProvideError::Failed(anyhow::anyhow!("creating {}: {e}", data_dir.display()))
    })?;
    Ok(Provided {
        storage: Storage::DataDir,
        dir: data_dir.to_path_buf(),
        record: StorageRecord::of_mount(Storage::DataDir, data_dir, None),
        held: Held::Nothing,
    })
}

fn kernel_mount(storage: Storage, work: Work, image: Option<ImageRecord>) -> Provided {
    let record = StorageRecord::of_mount(storage, &work.mount_point, image);
    Provided {
        storage,
        dir: work.mount_point.clone(),
        record,
        held: Held::Mount(work),
    }
}

/// Mount the emulator over a backing folder in a new work folder, then
/// measure it for the record.
fn provide_emulated(
    storage: Storage,
    timing: Timing,
    data_dir: &Path,
) -> Result<Provided, ProvideError> {
    let work = Work::create(data_dir)?;
    let backing = work.path().join(BACKING);
    std::fs::create_dir(&backing).map_err(|e| {
        ProvideError::Failed(anyhow::anyhow!("creating {}: {e}", backing.display()))
    })?;
    let emulator = Emulator::mount(timing, &backing, &work.mount_point).map_err(|e| {
        ProvideError::Unavailable(format!("emulated unavailable: mounting FUSE: {e}"))
    })?;
    let measured =
        emulated::calibration::calibrate(&emulator, &timing, &work.mount_point, &backing).map_err(
            |e| ProvideError::Failed(anyhow::anyhow!("measuring the emulated storage: {e}")),
        )?;
    let mut record = StorageRecord::of_mount(storage, &work.mount_point, None);
    record.emulator = Some(emulator.record(&backing, Some(measured)));
    let watchdog = watchdog::Watchdog::start(&work.mount_point);
    Ok(Provided {
        storage,
        dir: work.mount_point.clone(),
        record,
        held: Held::Emulated(Box::new(emulator), work, watchdog),
    })
}
