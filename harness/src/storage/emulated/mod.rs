//! `emulated:…`: slow or remote storage, emulated by a FUSE filesystem
//! iolab serves itself from threads of its own process — passing every
//! operation through to a backing folder on the data filesystem and
//! replying after the configured delay, up to `qd` operations at once,
//! within a total bandwidth.
//!
//! The server is the `fuser` crate's session (pure Rust: as root it mounts
//! with `mount(2)` and needs no libfuse, at build or run time), with 4
//! request loops on cloned `/dev/fuse` descriptors; `fs.rs` maps the
//! operations, `backing.rs` makes the calls on descriptors, `delay.rs`
//! schedules the replies. Because the server lives in iolab's process and
//! the mount in iolab's private mount namespace, worker processes and
//! external commands that iolab starts see the mount, and the kernel ends
//! both with iolab: a SIGKILL closes `/dev/fuse` (aborting the connection)
//! and ends the namespace (dropping the mount).
//!
//! Owns: the provider's description and presets, mounting and unmounting
//! the server, measuring its latency and FUSE's own cost for the record.
//! Does not own: the work folder (`super`), the measurements themselves
//! (`super::probe`).

mod backing;
pub mod calibration;
mod delay;
mod fs;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use calibration::Calibration;
pub use fs::Negotiated;

use super::describe::{duration_text, rate_text, Need, ParamDesc, ParamKind, StorageDesc};
use delay::Delayer;

/// The provider's description.
pub const DESCRIPTION: StorageDesc = StorageDesc {
    name: "emulated",
    summary: "a FUSE filesystem iolab serves itself over a backing folder on the data \
              filesystem, replying after a delay (slow or remote storage)",
    params: &[
        ParamDesc {
            key: "lat",
            kind: DELAY,
            default: "1ms",
            help: "latency of each data operation (read, write) as the client waits for \
                   it: the reply leaves that long after the request, less the round trip's \
                   own cost measured at mount (FUSE's own cost alone: the zero-latency twin)",
        },
        ParamDesc {
            key: "meta",
            kind: DELAY,
            default: "lat",
            help: "latency of each metadata operation, as `lat` (lookup, getattr, setattr, open, \
                   create, unlink, rename, mkdir, rmdir, readdir, statfs, fsync, and the \
                   close of a written file)",
        },
        ParamDesc {
            key: "qd",
            kind: ParamKind::Count { min: 1, max: 1024 },
            default: "16",
            help: "operations served at once (a device's queue, an NFS server's threads); \
                   more wait for a free slot",
        },
        ParamDesc {
            key: "bw",
            kind: ParamKind::Rate {
                min: 1_000_000,
                max: 100_000_000_000,
            },
            default: "none",
            help: "total bandwidth of data operations, shared by all of them",
        },
    ],
    needs: &[Need::Root, Need::DevFuse],
    caches: "the mount caches nothing (direct I/O, zero entry and attribute timeouts): \
             every read, write, lookup and stat pays its delay, warm or cold; warm and cold \
             differ only in the backing folder's page cache, whose reads the delay hides \
             when they are shorter than it",
};

/// How the emulated storage delays operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timing {
    /// Delay of each data operation (read, write).
    pub lat: Duration,
    /// Delay of each metadata operation (lookup, getattr, open, create,
    /// unlink, rename, mkdir, readdir, fsync, flush of written data…).
    pub meta: Duration,
    /// Operations served at once; more wait their turn.
    pub qd: u32,
    /// Total bandwidth in bytes per second; `None`: no limit.
    pub bw: Option<u64>,
}

impl Timing {
    /// No delay and no cap: the zero-latency twin.
    pub fn is_zero(&self) -> bool {
        self.lat.is_zero() && self.meta.is_zero() && self.bw.is_none()
    }

    /// The delay a lone read of `bytes` should pay, in microseconds:
    /// `lat`, plus its transfer time under a `bw` cap (what the
    /// emulator's accuracy is measured against).
    pub fn read_delay_us(&self, bytes: usize) -> f64 {
        let transfer_us = self.bw.map_or(0.0, |bw| bytes as f64 / bw as f64 * 1e6);
        self.lat.as_secs_f64() * 1e6 + transfer_us
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lat={},meta={},qd={}",
            duration_text(self.lat),
            duration_text(self.meta),
            self.qd
        )?;
        match self.bw {
            Some(bw) => write!(f, ",bw={}", rate_text(bw)),
            None => Ok(()),
        }
    }
}

/// A delay's range.
const DELAY: ParamKind = ParamKind::Duration {
    min: Duration::ZERO,
    max: Duration::from_secs(10),
};

/// `emulated` with no parameters.
pub const DEFAULT_TIMING: Timing = Timing {
    lat: Duration::from_millis(1),
    meta: Duration::from_millis(1),
    qd: 16,
    bw: None,
};

/// A named setting of the emulator, from published figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preset {
    /// An NFS server on a gigabit LAN.
    NfsLan,
    /// A cloud block volume at its baseline (AWS gp3).
    CloudBlock,
    /// A 7,200 rpm disk.
    Hdd,
}

/// A preset's settings and where its figures come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresetDesc {
    /// Its name (`emulated:<name>`).
    pub name: &'static str,
    /// What it stands for.
    pub models: &'static str,
    /// Its settings.
    pub timing: Timing,
    /// The published figures behind each setting.
    pub sources: &'static str,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 3] = [Preset::NfsLan, Preset::CloudBlock, Preset::Hdd];

    /// Its description.
    pub fn desc(self) -> &'static PresetDesc {
        match self {
            Preset::NfsLan => &NFS_LAN,
            Preset::CloudBlock => &CLOUD_BLOCK,
            Preset::Hdd => &HDD,
        }
    }
}

/// `emulated:nfs-lan`.
const NFS_LAN: PresetDesc = PresetDesc {
    name: "nfs-lan",
    models: "an NFS server on a gigabit LAN",
    timing: Timing {
        lat: Duration::from_micros(250),
        meta: Duration::from_micros(250),
        qd: 8,
        bw: Some(125_000_000),
    },
    sources: "lat, meta 250 us: Amazon EFS's read latency \"as low as 250 microseconds\" \
              (EFS user guide, Performance specifications, General Purpose mode), an NFSv4 \
              server in the same data centre; qd 8: rpc.nfsd(8) starts eight server threads \
              by default; bw 125 MB/s: the line rate of gigabit Ethernet",
};

/// `emulated:cloud-block`.
const CLOUD_BLOCK: PresetDesc = PresetDesc {
    name: "cloud-block",
    models: "a cloud block volume at its baseline (AWS EBS gp3)",
    timing: Timing {
        lat: Duration::from_millis(1),
        meta: Duration::from_millis(1),
        qd: 3,
        bw: Some(125 << 20),
    },
    sources: "gp3's baseline of 3,000 IOPS and 125 MiB/s and its \"single-digit \
              millisecond\" latency (Amazon EBS user guide, General Purpose SSD volumes); \
              lat 1 ms, the low end of that latency, and qd 3 = 3,000 IOPS x 1 ms (Little's \
              law), so the emulated volume tops out at its baseline IOPS",
};

/// `emulated:hdd`.
const HDD: PresetDesc = PresetDesc {
    name: "hdd",
    models: "a 7,200 rpm disk, every request a random access",
    timing: Timing {
        lat: Duration::from_micros(11_560),
        meta: Duration::from_micros(11_560),
        qd: 1,
        bw: None,
    },
    sources: "lat, meta 11.56 ms = average read seek 7.4 ms + average rotational latency \
              4.16 ms (half a turn at 7,200 rpm) of the Western Digital Ultrastar DC HC310 \
              OEM specification (4.5.1, Mechanical Positioning); qd 1: one actuator; no bw \
              cap: the transfer of a request is small beside its seek (sequential streaming \
              is not modelled)",
};

/// Request loops reading `/dev/fuse` (each on its own cloned descriptor):
/// a loop makes the pass-through call and hands the reply on, so a few
/// keep many delayed requests in flight; more keep a slow backing call
/// (a cold read) from holding the others up.
const EVENT_LOOPS: usize = 4;

/// A mounted emulator; unmounted by [`Emulator::unmount`] or on drop.
pub struct Emulator {
    session: Option<fuser::BackgroundSession>,
    delay: Arc<Delayer>,
    negotiated: Arc<Mutex<Option<Negotiated>>>,
    mount_point: PathBuf,
    timing: Timing,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("mount_point", &self.mount_point)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

/// The emulator's part of a storage's record.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EmulatorRecord {
    /// The settings (`lat=1ms,meta=1ms,qd=16`).
    pub settings: String,
    /// The backing folder.
    pub backing: PathBuf,
    /// What the kernel agreed to.
    pub kernel: Option<Negotiated>,
    /// Request loops and reply timer threads.
    pub threads: String,
    /// The latency measured on the mount just after mounting.
    pub measured: Option<Calibration>,
}

impl Emulator {
    /// Serve `backing` on `mount_point` with `timing`.
    ///
    /// # Errors
    /// [`std::io::Error`] when the backing folder cannot be opened, a
    /// thread cannot start, or the kernel refuses the mount.
    pub fn mount(timing: Timing, backing: &Path, mount_point: &Path) -> std::io::Result<Emulator> {
        let delay = Delayer::start(timing)?;
        let negotiated = Arc::new(Mutex::new(None));
        let filesystem = fs::DelayFs::new(
            backing::Backing::new(backing)?,
            Arc::clone(&delay),
            Arc::clone(&negotiated),
        );
        let mut config = fuser::Config::default();
        config.mount_options = vec![
            fuser::MountOption::FSName("iolab".into()),
            fuser::MountOption::Subtype("iolab".into()),
            fuser::MountOption::RW,
        ];
        // Only the mounting user (root: iolab and the processes it
        // starts) may use the mount, so the kernel checks no permission
        // bits — no `default_permissions`, whose checks would add a
        // `GETATTR` round trip of the folder to every create.
        config.acl = fuser::SessionACL::Owner;
        config.n_threads = Some(EVENT_LOOPS);
        config.clone_fd = true;
        let session = fuser::Session::new(filesystem, mount_point, &config)?.spawn()?;
        Ok(Emulator {
            session: Some(session),
            delay,
            negotiated,
            mount_point: mount_point.to_path_buf(),
            timing,
        })
    }

    /// Switch the delay off (`false`: the zero-latency twin, the same
    /// server) or back on.
    pub fn set_delay(&self, on: bool) {
        self.delay.set_enabled(on);
    }

    /// Send each reply of a data and of a metadata operation this much
    /// before its due time (the round trip's own cost, measured by the
    /// calibration), so the client sees the delay asked for.
    pub fn set_compensation(&self, data: Duration, meta: Duration) {
        self.delay.set_compensation(delay::Class::Data, data);
        self.delay.set_compensation(delay::Class::Meta, meta);
    }

    /// Replies the timer threads sent so far, and how late after their
    /// send time they left on average (the timers' own error).
    pub fn reply_lateness(&self) -> (u64, Duration) {
        self.delay.lateness()
    }

    /// Operations served so far: data, data bytes, metadata, and the
    /// total time operations queued beyond their own delay.
    pub fn served(&self) -> (u64, u64, u64, Duration) {
        let c = &self.delay.counters;
        (
            c.data_ops.load(Ordering::Relaxed),
            c.data_bytes.load(Ordering::Relaxed),
            c.meta_ops.load(Ordering::Relaxed),
            Duration::from_nanos(c.queued_ns.load(Ordering::Relaxed)),
        )
    }

    /// The record, with `measured` as the calibration.
    pub fn record(&self, backing: &Path, measured: Option<Calibration>) -> EmulatorRecord {
        EmulatorRecord {
            settings: self.timing.to_string(),
            backing: backing.to_path_buf(),
            kernel: self
                .negotiated
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            threads: format!(
                "{EVENT_LOOPS} request loops (cloned /dev/fuse descriptors), {} reply timers ({})",
                delay::TIMER_THREADS,
                self.delay
                    .precision()
                    .map_or("not started", crate::sys::timer::Precision::describe)
            ),
            measured,
        }
    }

    /// Unmount; a busy mount is detached (it goes when its last user
    /// closes it, served until then).
    ///
    /// # Errors
    /// The unmount's error, naming the folder.
    pub fn unmount(mut self) -> std::io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> std::io::Result<()> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        match session.umount_and_join() {
            Ok(()) => Ok(()),
            // Busy (or gone already): detach whatever is left.
            Err(_) => match crate::sys::mount::unmount(&self.mount_point) {
                Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
                other => other,
            },
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("warning: unmounting the emulated storage: {e}");
        }
    }
}
