//! What shapes I/O on this machine, read from `/proc` and `/sys`: the mount
//! options under a path, the block device's I/O scheduler and read-ahead,
//! transparent huge pages, the CPU frequency governor, virtualisation, the
//! current cgroup's memory and I/O limits.
//!
//! Owns: reading and parsing those files. Does not own: where the facts are
//! recorded (`results::machine`).
//!
//! # Platform specific behavior
//! Linux only. Every function answers with the value as the kernel words it
//! or a one-line `unavailable: why`; none fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The file's first line, trimmed, or `unavailable: <path>: <error>`.
fn read_line(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(t) => t.lines().next().unwrap_or("").trim().to_string(),
        Err(e) => format!("unavailable: {}: {e}", path.display()),
    }
}

/// The active choice of a sysfs list such as `none [mq-deadline] kyber`
/// (the text itself when nothing is bracketed).
pub fn active_choice(text: &str) -> String {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix('[')?.strip_suffix(']'))
        .unwrap_or(text)
        .to_string()
}

/// `/sys/block/<device>/queue/<setting>`, e.g. `scheduler` (its active
/// choice) or `read_ahead_kb`.
pub fn queue_setting(device: Option<&str>, setting: &str) -> String {
    let Some(device) = device else {
        return "unavailable: no block device under the corpus".into();
    };
    let text = read_line(&PathBuf::from(format!(
        "/sys/block/{device}/queue/{setting}"
    )));
    if text.starts_with("unavailable") {
        text
    } else {
        active_choice(&text)
    }
}

/// Transparent huge pages mode (`always`, `madvise`, `never`).
pub fn transparent_huge_pages() -> String {
    let text = read_line(Path::new("/sys/kernel/mm/transparent_hugepage/enabled"));
    active_choice(&text)
}

/// CPU 0's frequency governor (`performance`, `schedutil`…).
pub fn cpu_governor() -> String {
    let path = Path::new("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    match fs::read_to_string(path) {
        Ok(t) => t.trim().to_string(),
        Err(_) => {
            "unavailable: no cpufreq (a virtual machine or container sets no governor here)".into()
        }
    }
}

/// The virtualisation: `systemd-detect-virt`'s answer when it runs, else
/// the DMI vendor and product, else the CPU's `hypervisor` flag.
pub fn virtualization() -> String {
    if let Ok(out) = Command::new("systemd-detect-virt").output() {
        let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
        // It exits 1 with "none" on bare metal: still an answer.
        if !said.is_empty() {
            return format!("{said} (systemd-detect-virt)");
        }
    }
    let dmi = |f: &str| fs::read_to_string(format!("/sys/class/dmi/id/{f}")).ok();
    if let (Some(vendor), Some(product)) = (dmi("sys_vendor"), dmi("product_name")) {
        return format!("{} {} (DMI)", vendor.trim(), product.trim());
    }
    match fs::read_to_string("/proc/cpuinfo") {
        Ok(info) => hypervisor_flag(&info).into(),
        Err(e) => format!("unavailable: /proc/cpuinfo: {e}"),
    }
}

/// What the `flags` of `/proc/cpuinfo` say about a hypervisor.
pub fn hypervisor_flag(cpuinfo: &str) -> &'static str {
    let flagged = cpuinfo
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "hypervisor"));
    if flagged {
        "a hypervisor (cpuinfo flag)"
    } else {
        "none found (no hypervisor cpuinfo flag)"
    }
}

/// A cgroup hierarchy mounted here: its mount point and this process's path
/// in it.
struct Hierarchy {
    mount: PathBuf,
    path: String,
}

impl Hierarchy {
    /// The file in this process's cgroup, or at the hierarchy's root when
    /// the path is not visible (a container sees its own cgroup as root).
    fn file(&self, name: &str) -> PathBuf {
        let own = self
            .mount
            .join(self.path.trim_start_matches('/'))
            .join(name);
        if own.exists() {
            own
        } else {
            self.mount.join(name)
        }
    }
}

/// The v2 hierarchy (`0::/path`), or the v1 one holding `controller`.
fn hierarchy(controller: Option<&str>) -> Option<Hierarchy> {
    let groups = fs::read_to_string("/proc/self/cgroup").ok()?;
    let mounts = fs::read_to_string("/proc/self/mounts").ok()?;
    let path = groups.lines().find_map(|l| {
        let mut it = l.splitn(3, ':');
        let (id, ctrls, path) = (it.next()?, it.next()?, it.next()?);
        let wanted = match controller {
            None => id == "0" && ctrls.is_empty(),
            Some(c) => ctrls.split(',').any(|x| x == c),
        };
        wanted.then(|| path.to_string())
    })?;
    let mount = mounts.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (target, fstype, options) = (f.get(1)?, f.get(2)?, f.get(3)?);
        let wanted = match controller {
            None => *fstype == "cgroup2",
            Some(c) => *fstype == "cgroup" && options.split(',').any(|o| o == c),
        };
        wanted.then(|| PathBuf::from(target))
    })?;
    Some(Hierarchy { mount, path })
}

/// The current cgroup's memory limit: v2 `memory.max`, else v1
/// `memory.limit_in_bytes` (a huge value means no limit).
pub fn cgroup_memory_limit() -> String {
    if let Some(h) = hierarchy(None) {
        let f = h.file("memory.max");
        if f.exists() {
            return format!("{} (cgroup v2 memory.max)", read_line(&f));
        }
    }
    match hierarchy(Some("memory")) {
        Some(h) => {
            let text = read_line(&h.file("memory.limit_in_bytes"));
            let unlimited = text.parse::<u64>().is_ok_and(|v| v >= 1 << 62);
            let value = if unlimited { "max".into() } else { text };
            format!("{value} (cgroup v1 memory.limit_in_bytes)")
        }
        None => "unavailable: no memory controller in /proc/self/cgroup".into(),
    }
}

/// The current cgroup's I/O limits: v2 `io.max`, else v1 blkio throttles
/// (`none` when the file is empty).
pub fn cgroup_io_limit() -> String {
    let shown = |text: String| {
        if text.trim().is_empty() {
            "none".to_string()
        } else {
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    };
    if let Some(h) = hierarchy(None) {
        let f = h.file("io.max");
        if let Ok(text) = fs::read_to_string(&f) {
            return format!("{} (cgroup v2 io.max)", shown(text));
        }
    }
    match hierarchy(Some("blkio")) {
        Some(h) => {
            let read = fs::read_to_string(h.file("blkio.throttle.read_bps_device"));
            let write = fs::read_to_string(h.file("blkio.throttle.write_bps_device"));
            match (read, write) {
                (Ok(r), Ok(w)) => format!(
                    "read {}, write {} (cgroup v1 blkio throttle)",
                    shown(r),
                    shown(w)
                ),
                (Err(e), _) | (_, Err(e)) => format!("unavailable: blkio throttle files: {e}"),
            }
        }
        None => "unavailable: no io controller in /proc/self/cgroup".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bracketed_choice_is_the_active_one() {
        assert_eq!(active_choice("none [mq-deadline] kyber bfq"), "mq-deadline");
        assert_eq!(active_choice("always [madvise] never"), "madvise");
        assert_eq!(active_choice("128"), "128");
    }

    #[test]
    fn hypervisor_flag_is_found_among_the_flags() {
        let vm = "processor : 0\nflags : fpu vme hypervisor lahf_lm\n";
        assert_eq!(hypervisor_flag(vm), "a hypervisor (cpuinfo flag)");
        assert!(hypervisor_flag("flags : fpu vme\n").starts_with("none"));
    }

    #[test]
    fn this_machine_answers_every_fact() {
        for fact in [
            transparent_huge_pages(),
            cpu_governor(),
            virtualization(),
            cgroup_memory_limit(),
            cgroup_io_limit(),
            queue_setting(None, "scheduler"),
        ] {
            assert!(!fact.is_empty());
        }
    }
}
