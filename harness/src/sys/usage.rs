//! Resource usage of this process and its reaped children: CPU time, context
//! switches, peak memory and storage-level I/O bytes.

use std::fs;
use std::io;
use std::time::Duration;

/// CPU time and context switches from `getrusage(2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rusage {
    /// User CPU time.
    pub user: Duration,
    /// System CPU time.
    pub system: Duration,
    /// Voluntary context switches (the task blocked, e.g. waiting for I/O).
    pub voluntary_switches: u64,
    /// Involuntary context switches (the task was preempted).
    pub involuntary_switches: u64,
    /// Minor page faults: pages mapped without waiting for storage (the
    /// first touch of fresh memory, a page-cache page mapped in).
    pub minor_faults: u64,
}

impl Rusage {
    /// Component-wise `self - earlier`, saturating at zero.
    pub fn since(&self, earlier: &Rusage) -> Rusage {
        Rusage {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
            voluntary_switches: self
                .voluntary_switches
                .saturating_sub(earlier.voluntary_switches),
            involuntary_switches: self
                .involuntary_switches
                .saturating_sub(earlier.involuntary_switches),
            minor_faults: self.minor_faults.saturating_sub(earlier.minor_faults),
        }
    }

    /// Component-wise sum, for self + children.
    pub fn plus(&self, other: &Rusage) -> Rusage {
        Rusage {
            user: self.user + other.user,
            system: self.system + other.system,
            voluntary_switches: self.voluntary_switches + other.voluntary_switches,
            involuntary_switches: self.involuntary_switches + other.involuntary_switches,
            minor_faults: self.minor_faults + other.minor_faults,
        }
    }
}

/// Whose usage to read.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    /// This process, all threads.
    SelfProcess,
    /// All children this process has waited for.
    Children,
}

/// Read `getrusage(2)` for `who`.
///
/// # Errors
/// The OS error from `getrusage`, which in practice never fails.
pub fn rusage(who: Who) -> io::Result<Rusage> {
    let who = match who {
        Who::SelfProcess => libc::RUSAGE_SELF,
        Who::Children => libc::RUSAGE_CHILDREN,
    };
    let mut raw = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `raw` is a valid, writable rusage struct and `who` a valid selector.
    let rc = unsafe { libc::getrusage(who, raw.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: getrusage returned 0, so it filled the struct (and it was zeroed before).
    let raw = unsafe { raw.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    Ok(Rusage {
        user: tv(raw.ru_utime),
        system: tv(raw.ru_stime),
        voluntary_switches: raw.ru_nvcsw.max(0) as u64,
        involuntary_switches: raw.ru_nivcsw.max(0) as u64,
        minor_faults: raw.ru_minflt.max(0) as u64,
    })
}

/// Storage-level byte counters of `/proc/self/io`: what reached (or came from)
/// the block layer, as opposed to what `read`/`write` asked for. Includes the
/// counts of children this process has waited for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageIo {
    /// Bytes fetched from storage (`read_bytes`).
    pub read_bytes: u64,
    /// Bytes sent toward storage (`write_bytes`).
    pub write_bytes: u64,
    /// Bytes asked for by read-like syscalls (`rchar`).
    pub rchar: u64,
    /// Bytes passed to write-like syscalls (`wchar`).
    pub wchar: u64,
}

impl StorageIo {
    /// Component-wise `self - earlier`, saturating at zero.
    pub fn since(&self, earlier: &StorageIo) -> StorageIo {
        StorageIo {
            read_bytes: self.read_bytes.saturating_sub(earlier.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(earlier.write_bytes),
            rchar: self.rchar.saturating_sub(earlier.rchar),
            wchar: self.wchar.saturating_sub(earlier.wchar),
        }
    }
}

/// Read `/proc/self/io`.
///
/// # Errors
/// When the file is missing (kernel without task I/O accounting) or unreadable.
pub fn storage_io() -> io::Result<StorageIo> {
    let text = fs::read_to_string("/proc/self/io")?;
    let mut out = StorageIo::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value: u64 = value.trim().parse().unwrap_or(0);
        match key {
            "read_bytes" => out.read_bytes = value,
            "write_bytes" => out.write_bytes = value,
            "rchar" => out.rchar = value,
            "wchar" => out.wchar = value,
            _ => {}
        }
    }
    Ok(out)
}

/// Reset this process's peak resident set size so the next [`peak_rss_bytes`]
/// covers only what follows (writes `5` to `/proc/self/clear_refs`).
///
/// # Errors
/// When the kernel refuses (before Linux 4.0, or a restricted `/proc`).
pub fn reset_peak_rss() -> io::Result<()> {
    fs::write("/proc/self/clear_refs", "5")
}

/// Peak resident set size of this process (`VmHWM` of `/proc/self/status`).
///
/// # Errors
/// When `/proc/self/status` cannot be read or has no `VmHWM` line.
pub fn peak_rss_bytes() -> io::Result<u64> {
    let text = fs::read_to_string("/proc/self/status")?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| io::Error::other("no VmHWM line in /proc/self/status"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rusage_grows_with_work() {
        let before = rusage(Who::SelfProcess).unwrap();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let after = rusage(Who::SelfProcess).unwrap();
        assert!(after.since(&before).user > Duration::ZERO);
    }

    #[test]
    fn touching_fresh_memory_counts_minor_faults() {
        let pages = 256;
        let before = rusage(Who::SelfProcess).unwrap();
        // A fresh anonymous map of its own (never through the allocator,
        // which may hand back pages already touched): each page written
        // once is one first-touch fault.
        let mut map = memmap2::MmapMut::map_anon(pages * 4096).unwrap();
        for page in map.chunks_mut(4096) {
            page[0] = 1;
        }
        let after = rusage(Who::SelfProcess).unwrap();
        let faults = after.since(&before).minor_faults;
        assert!(
            faults >= pages as u64 / 2,
            "{faults} faults for {pages} pages"
        );
    }

    #[test]
    fn storage_io_counts_written_characters() {
        let before = storage_io().unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f"), vec![7u8; 100_000]).unwrap();
        let after = storage_io().unwrap();
        assert!(after.since(&before).wchar >= 100_000);
    }

    #[test]
    fn peak_rss_is_reported() {
        assert!(peak_rss_bytes().unwrap() > 1024 * 1024);
    }
}
