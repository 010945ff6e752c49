//! Loop devices: a file seen as a block device, set up by iolab itself
//! (`LOOP_CTL_GET_FREE`, `LOOP_CONFIGURE`) so that it detaches itself.
//!
//! # Platform specific behavior
//! Linux 5.8 or later (`LOOP_CONFIGURE`), root only. The device is
//! configured with `LO_FLAGS_AUTOCLEAR`: the kernel detaches it when its
//! last user goes — the [`LoopDevice`] handle, then the filesystem mounted
//! from it — so neither a clean exit nor a SIGKILL leaves it attached (the
//! mount dies with iolab's private mount namespace, `super::mount`).
//! With `direct_io`, `LO_FLAGS_DIRECT_IO` makes the device read and write
//! its file with `O_DIRECT`, so the file's pages are not cached a second
//! time under the filesystem's own page cache; a backing filesystem that
//! refuses it leaves the device buffered, which [`LoopDevice::direct_io`]
//! reads back from the kernel. Anything missing (`/dev/loop-control`, a
//! free device, privileges) is an [`Unavailable`] reason.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use super::Unavailable;

/// `LOOP_CTL_GET_FREE` (`<linux/loop.h>`).
const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;
/// `LOOP_CONFIGURE`.
const LOOP_CONFIGURE: libc::c_ulong = 0x4C0A;
/// `LOOP_GET_STATUS64`.
const LOOP_GET_STATUS64: libc::c_ulong = 0x4C05;
/// `LO_FLAGS_AUTOCLEAR`.
const LO_FLAGS_AUTOCLEAR: u32 = 4;
/// `LO_FLAGS_DIRECT_IO`.
const LO_FLAGS_DIRECT_IO: u32 = 16;
/// Attempts at a free device before giving up (another process may take
/// the one the kernel offered before it is configured).
const ATTEMPTS: usize = 8;

/// `struct loop_info64` (`<linux/loop.h>`).
#[repr(C)]
#[derive(Clone, Copy)]
struct LoopInfo64 {
    lo_device: u64,
    lo_inode: u64,
    lo_rdevice: u64,
    lo_offset: u64,
    lo_sizelimit: u64,
    lo_number: u32,
    lo_encrypt_type: u32,
    lo_encrypt_key_size: u32,
    lo_flags: u32,
    lo_file_name: [u8; 64],
    lo_crypt_name: [u8; 64],
    lo_encrypt_key: [u8; 32],
    lo_init: [u64; 2],
}

/// `struct loop_config` (`<linux/loop.h>`).
#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    info: LoopInfo64,
    reserved: [u64; 8],
}

impl LoopInfo64 {
    fn zeroed() -> LoopInfo64 {
        LoopInfo64 {
            lo_device: 0,
            lo_inode: 0,
            lo_rdevice: 0,
            lo_offset: 0,
            lo_sizelimit: 0,
            lo_number: 0,
            lo_encrypt_type: 0,
            lo_encrypt_key_size: 0,
            lo_flags: 0,
            lo_file_name: [0; 64],
            lo_crypt_name: [0; 64],
            lo_encrypt_key: [0; 32],
            lo_init: [0; 2],
        }
    }
}

/// A loop device bound to a file, detached by the kernel once this handle
/// and every mount of it are gone.
#[derive(Debug)]
pub struct LoopDevice {
    device: File,
    path: PathBuf,
    direct_io: bool,
    block_size: u32,
}

impl LoopDevice {
    /// Bind a free loop device to `file` (opened read-write), with
    /// `block_size`-byte logical blocks, in direct-I/O mode when
    /// `direct_io` and the kernel accepts it.
    ///
    /// # Errors
    /// [`Unavailable`] naming what is missing or what the kernel refused.
    pub fn attach(
        file: &File,
        direct_io: bool,
        block_size: u32,
    ) -> Result<LoopDevice, Unavailable> {
        let unavailable = |why: String| Unavailable(format!("loop device unavailable: {why}"));
        let control = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/loop-control")
            .map_err(|e| unavailable(format!("/dev/loop-control: {e}")))?;
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            // SAFETY: LOOP_CTL_GET_FREE takes no argument and returns a
            // device number or -1; `control` is an open descriptor.
            let number = unsafe { libc::ioctl(control.as_raw_fd(), LOOP_CTL_GET_FREE) };
            if number < 0 {
                return Err(unavailable(format!(
                    "no free loop device: {}",
                    std::io::Error::last_os_error()
                )));
            }
            let path = PathBuf::from(format!("/dev/loop{number}"));
            let device = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| unavailable(format!("{}: {e}", path.display())))?;
            let mut config = LoopConfig {
                fd: u32::try_from(file.as_raw_fd()).map_err(|_| unavailable("bad fd".into()))?,
                block_size,
                info: LoopInfo64::zeroed(),
                reserved: [0; 8],
            };
            config.info.lo_flags =
                LO_FLAGS_AUTOCLEAR | if direct_io { LO_FLAGS_DIRECT_IO } else { 0 };
            // SAFETY: LOOP_CONFIGURE reads one `struct loop_config`, which
            // `config` is (repr(C), the kernel's layout), alive for the call.
            let rc = unsafe {
                libc::ioctl(
                    device.as_raw_fd(),
                    LOOP_CONFIGURE,
                    &config as *const LoopConfig,
                )
            };
            if rc == 0 {
                let flags = status_flags(&device).unwrap_or(0);
                return Ok(LoopDevice {
                    device,
                    path,
                    direct_io: flags & LO_FLAGS_DIRECT_IO != 0,
                    block_size,
                });
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EBUSY) {
                return Err(unavailable(format!(
                    "LOOP_CONFIGURE on {}: {err}",
                    path.display()
                )));
            }
            last = format!("{} taken by another process", path.display());
        }
        Err(unavailable(last))
    }

    /// The device's path (`/dev/loop3`).
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Whether the kernel reads and writes the file with `O_DIRECT`.
    pub fn direct_io(&self) -> bool {
        self.direct_io
    }

    /// The logical block size the device was given.
    pub fn block_size(&self) -> u32 {
        self.block_size
    }

    /// The open device (for `mkfs` by path while this handle keeps it
    /// attached).
    pub fn file(&self) -> &File {
        &self.device
    }
}

/// The device's `lo_flags` as the kernel reports them.
fn status_flags(device: &File) -> Option<u32> {
    let mut info = LoopInfo64::zeroed();
    // SAFETY: LOOP_GET_STATUS64 writes one `struct loop_info64` into the
    // pointed-to value, which `info` is (repr(C), the kernel's layout).
    let rc = unsafe {
        libc::ioctl(
            device.as_raw_fd(),
            LOOP_GET_STATUS64,
            &mut info as *mut LoopInfo64,
        )
    };
    (rc == 0).then_some(info.lo_flags)
}
