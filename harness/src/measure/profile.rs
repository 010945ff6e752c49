//! The optional kernel profile of a repetition (`--kernel-profile`): a
//! system-wide `perf record -a -g -F 99` started before the repetition with
//! its events off, switched on just before the strategy is called and off
//! just after it returns (perf's `--control` FIFOs, each switch acknowledged),
//! then summarised as the kernel functions that iolab's own processes spent
//! their kernel samples in, with each one's share.
//!
//! Cost, stated: perf starts and stops outside the window; inside it, 99
//! samples a second on each CPU with their call chains (about 0.1 ms of CPU
//! per sample here, so around 2 % of one CPU on two CPUs). The window is the
//! strategy call: the timed region plus the lanes' merge after it.
//!
//! Owns: starting, switching and summarising perf, and the text of the
//! summary (`function:percent;…`, percent of the kernel samples of iolab's
//! own processes). Does not own: when a repetition is profiled (the runner)
//! or the sentence that explains a slow one (`report::explain`).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Sampling frequency, per CPU (low, and not a multiple of the timer tick).
pub const FREQUENCY_HZ: u32 = 99;
/// Kernel functions kept per repetition.
pub const TOP: usize = 5;
/// How long perf may take to answer a switch.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// One kernel function and its share of the kernel samples.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelShare {
    /// Function name, as perf resolves it.
    pub function: String,
    /// Percent of the kernel samples of the profiled processes.
    pub percent: f64,
}

/// The `perf` binary when a system-wide kernel profile is allowed here.
///
/// # Errors
/// A one-line reason: perf not installed, or not permitted
/// (`perf_event_paranoid` above -1 without root).
pub fn probe() -> Result<PathBuf, String> {
    let perf = crate::sys::program::find("perf").ok_or("perf not installed")?;
    if !rustix::process::geteuid().is_root() {
        let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
            .map_err(|e| format!("reading /proc/sys/kernel/perf_event_paranoid: {e}"))?;
        if paranoid.trim().parse::<i32>().map_or(true, |p| p > -1) {
            return Err(format!(
                "system-wide sampling needs root or perf_event_paranoid -1 (it is {})",
                paranoid.trim()
            ));
        }
    }
    Ok(perf)
}

/// A `perf record` waiting, events off, to sample one window.
#[derive(Debug)]
pub struct Recording {
    perf: PathBuf,
    child: Child,
    dir: tempfile::TempDir,
    ctl: File,
    ack: File,
}

impl Recording {
    /// Start perf with its events off and wait until it listens.
    ///
    /// # Errors
    /// perf could not start, or did not open its control FIFO in time.
    pub fn start(perf: &Path) -> Result<Recording, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("a folder for perf's data: {e}"))?;
        let (ctl_path, ack_path) = (dir.path().join("ctl"), dir.path().join("ack"));
        for fifo in [&ctl_path, &ack_path] {
            crate::sys::fifo::make(fifo).map_err(|e| format!("{}: {e}", fifo.display()))?;
        }
        let log = File::create(dir.path().join("perf.log")).map_err(|e| e.to_string())?;
        let mut child = Command::new(perf)
            .args([
                "record",
                "-a",
                "-g",
                "-F",
                &FREQUENCY_HZ.to_string(),
                "-D",
                "-1",
            ])
            .arg(format!(
                "--control=fifo:{},{}",
                ctl_path.display(),
                ack_path.display()
            ))
            .arg("-o")
            .arg(dir.path().join("perf.data"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", perf.display()))?;
        let opened = crate::sys::fifo::open_pair(&ctl_path, &ack_path, ANSWER_WITHIN, || {
            matches!(child.try_wait(), Ok(None))
        });
        let (ctl, ack) = match opened {
            Ok(pair) => pair,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("perf did not start: {e}{}", log_tail(dir.path())));
            }
        };
        Ok(Recording {
            perf: perf.to_path_buf(),
            child,
            dir,
            ctl,
            ack,
        })
    }

    /// Switch sampling on (`true`) or off, once perf acknowledges it.
    ///
    /// # Errors
    /// perf stopped answering.
    pub fn switch(&mut self, on: bool) -> Result<(), String> {
        let command = if on { "enable\n" } else { "disable\n" };
        self.ctl
            .write_all(command.as_bytes())
            .map_err(|e| format!("perf control: {e}"))?;
        let deadline = Instant::now() + ANSWER_WITHIN;
        let mut answer = [0u8; 4];
        let mut got = 0;
        while got < answer.len() {
            match self.ack.read(&mut answer[got..]) {
                Ok(0) => return Err("perf closed its answers".into()),
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        return Err("perf did not acknowledge in 10 s".into());
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) => return Err(format!("perf answers: {e}")),
            }
        }
        Ok(())
    }

    /// Stop perf and summarise the kernel samples of the processes named
    /// `comms` (iolab and its worker processes).
    ///
    /// # Errors
    /// perf failed to write or report its data.
    pub fn finish(mut self, comms: &[String]) -> Result<Vec<KernelShare>, String> {
        // A control command, not SIGINT: perf inherits iolab's blocked
        // signal mask (signals are taken by iolab's own signal thread).
        if let Err(e) = self.ctl.write_all(b"stop\n") {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return Err(format!("stopping perf: {e}"));
        }
        let status = self
            .child
            .wait()
            .map_err(|e| format!("waiting for perf: {e}"))?;
        let data = self.dir.path().join("perf.data");
        if !data.exists() {
            return Err(format!(
                "perf wrote no data ({status}){}",
                log_tail(self.dir.path())
            ));
        }
        let out = Command::new(&self.perf)
            .args([
                "report",
                "--stdio",
                "--no-children",
                "--sort",
                "sym",
                "-g",
                "none",
            ])
            .arg(format!("--comms={}", comms.join(",")))
            .arg("-i")
            .arg(&data)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| format!("perf report: {e}"))?;
        if !out.status.success() && out.stdout.is_empty() {
            return Err(format!("perf report failed ({})", out.status));
        }
        Ok(parse_report(&String::from_utf8_lossy(&out.stdout), TOP))
    }
}

/// The last line perf wrote to its log, as `: line` (empty when none).
fn log_tail(dir: &Path) -> String {
    crate::safefs::read_file(&dir.join("perf.log"), 1 << 20)
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .and_then(|l| {
            l.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_string)
        })
        .map_or_else(String::new, |l| format!(": {}", l.trim()))
}

/// The process names whose samples count: this process's, and `exe` for
/// the worker processes it starts through `/proc/self/exe`.
pub fn own_comms() -> Vec<String> {
    let mine = std::fs::read_to_string("/proc/self/comm").unwrap_or_default();
    let mut comms = vec!["exe".to_string()];
    if !mine.trim().is_empty() && mine.trim() != "exe" {
        comms.insert(0, mine.trim().to_string());
    }
    comms
}

/// The `top` kernel functions of a `perf report --stdio --no-children
/// --sort sym -g none` listing, with their share of its kernel (`[k]`)
/// samples, largest first.
pub fn parse_report(text: &str, top: usize) -> Vec<KernelShare> {
    let kernel: Vec<(String, f64)> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let (pct, rest) = l.trim().split_once('%')?;
            let function = rest.trim().strip_prefix("[k]")?.trim();
            Some((function.to_string(), pct.trim().parse::<f64>().ok()?))
        })
        .collect();
    let total: f64 = kernel.iter().map(|(_, p)| p).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut shares: Vec<KernelShare> = kernel
        .into_iter()
        .map(|(function, p)| KernelShare {
            function,
            percent: p / total * 100.0,
        })
        .collect();
    shares.sort_by(|a, b| b.percent.total_cmp(&a.percent));
    shares.truncate(top);
    shares
}

/// The row field: `function:percent;…` with one decimal.
pub fn format(shares: &[KernelShare]) -> String {
    shares
        .iter()
        .map(|s| format!("{}:{:.1}", s.function, s.percent))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `perf report` of `cp -r` of 3,000 small files on this machine's
    /// ext4 (no journal), captured with perf 6.1 and trimmed.
    const FIXTURE: &str = include_str!("../../tests/fixtures/perf-report.txt");

    #[test]
    fn the_captured_report_gives_kernel_shares_of_kernel_samples() {
        let shares = parse_report(FIXTURE, 3);
        assert_eq!(shares.len(), 3);
        assert_eq!(shares[0].function, "find_get_block_common");
        // 2.40 of the fixture's 7.72 % kernel samples.
        assert!((shares[0].percent - 31.09).abs() < 0.01, "{shares:?}");
        assert!(shares.windows(2).all(|w| w[0].percent >= w[1].percent));
        // The user-space line ([.] _int_free) is not a kernel function.
        let all = parse_report(FIXTURE, 100);
        assert!(all.iter().all(|s| s.function != "_int_free"));
        assert!((all.iter().map(|s| s.percent).sum::<f64>() - 100.0).abs() < 1e-6);
        assert_eq!(
            format(&shares[..2]),
            "find_get_block_common:31.1;recently_deleted:29.8"
        );
    }

    #[test]
    fn no_kernel_samples_is_an_empty_profile() {
        assert!(parse_report("# only comments\n  99.00%  [.] main\n", 5).is_empty());
        assert_eq!(format(&[]), "");
    }
}
