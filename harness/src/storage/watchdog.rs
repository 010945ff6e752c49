//! The emulator's watchdog: iolab serves its FUSE filesystem from its own
//! threads, so when iolab is SIGKILLed while one of its threads waits on a
//! request the server had already read, that thread never gets its reply
//! (the server threads are gone) and never exits, and the process — with
//! its `/dev/fuse` descriptors, so the connection too — stays stuck in the
//! kernel for ever. A small process of its own session (`sh`, started
//! when the emulator is mounted) watches iolab: once iolab has a SIGKILL
//! pending (bit 9 of `SigPnd` or `ShdPnd` in `/proc/<pid>/task/*/status`,
//! which stays set only while a thread cannot die), it aborts the
//! connection through the FUSE control filesystem (`/sys/fs/fuse/
//! connections/<id>/abort`, mounted in iolab's namespace when missing),
//! the waiting thread gets `ENOTCONN` and iolab exits. It leaves by itself
//! when the connection or iolab is gone, and is stopped when the storage
//! is removed.
//!
//! Owns: that process. Does not own: the emulator (`emulated`).

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The watchdog's script: `$1` iolab's pid, `$2` the connection's id.
const SCRIPT: &str = r#"P=$1; C=/sys/fs/fuse/connections/$2
[ -d "$C" ] || mount -t fusectl none /sys/fs/fuse/connections 2>/dev/null
while [ -d "$C" ] && [ -d "/proc/$P" ]; do
  for h in $(sed -E -n 's/^(SigPnd|ShdPnd):[[:space:]]*//p' /proc/"$P"/task/*/status 2>/dev/null); do
    if [ $(( 0x$h & 256 )) -ne 0 ]; then echo 1 > "$C/abort"; exit 0; fi
  done
  sleep 0.2
done"#;

/// A running watchdog; stopped on drop.
#[derive(Debug)]
pub struct Watchdog(Child);

impl Watchdog {
    /// Watch this process on behalf of the FUSE mount at `mount_point`;
    /// `None` (nothing to watch with) when `sh` cannot start or the mount
    /// cannot be read.
    pub fn start(mount_point: &Path) -> Option<Watchdog> {
        let dev = rustix::fs::stat(mount_point).ok()?.st_dev;
        let id = rustix::fs::minor(dev);
        Command::new("sh")
            .args(["-c", SCRIPT, "iolab-watchdog"])
            .arg(std::process::id().to_string())
            .arg(id.to_string())
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()
            .map(Watchdog)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
