//! What SIGINT and SIGTERM mean to a run.
//!
//! Outside a run (while checking inputs or preparing the corpus, before the
//! run folder exists, and in `iolab corpus create`) a signal ends iolab at
//! once with status 130 — SIGINT and SIGTERM alike — saying so in one line,
//! with what the stop leaves when something is being made (a corpus:
//! unfinished, never used as it is, made again next time): nothing has been
//! recorded that could be left half-made. During a run the first
//! signal asks the runner to stop after the current repetition; the second
//! stops now: every child process group of the current repetition (worker
//! processes, command children) is killed with `SIGKILL`, in-process lanes
//! take no new task, and the runner discards the unfinished repetition. In
//! both cases the runner removes its scratch folder, writes `summary.csv`
//! from the finished rows, marks `run.json` interrupted and exits with 130.
//!
//! Owns: the signal count, the "a run is active" state, the registry of
//! child process groups, printing the notice above the progress bar.
//! Does not own: the signal plumbing (`crate::sys::signals`) or what the
//! runner writes when it stops (`crate::runner`).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

use anyhow::Context;
use indicatif::ProgressBar;

use crate::sys::signals::{StopSignal, StopSignals};

/// Exit status of a run stopped by SIGINT or SIGTERM (128 + SIGINT, as
/// shells report a Ctrl-C).
pub const EXIT_INTERRUPTED: u8 = 130;

static SIGNALS: AtomicU32 = AtomicU32::new(0);
static RUNNING: AtomicBool = AtomicBool::new(false);
static GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);
static NOTE: Mutex<Option<String>> = Mutex::new(None);

/// Take SIGINT and SIGTERM from now on (on a thread of their own). Call it
/// first thing, before any other thread starts.
///
/// # Errors
/// When the signals cannot be blocked or the thread cannot start.
pub fn install() -> anyhow::Result<()> {
    let signals = StopSignals::block().context("blocking SIGINT and SIGTERM")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            while let Ok(signal) = signals.wait() {
                on_signal(signal);
            }
        })
        .context("starting the signal thread")?;
    Ok(())
}

fn on_signal(signal: StopSignal) {
    let count = SIGNALS.fetch_add(1, Ordering::SeqCst) + 1;
    if !RUNNING.load(Ordering::SeqCst) {
        let note = lock(&NOTE)
            .as_ref()
            .map_or_else(String::new, |n| format!("; {n}"));
        notice(&format!("{}: stopped{note}", signal.name()));
        std::process::exit(i32::from(EXIT_INTERRUPTED));
    }
    if count == 1 {
        notice(&format!(
            "{}: stopping after the current repetition (send it again to stop now)",
            signal.name()
        ));
    } else {
        notice(&format!(
            "{} again: stopping now, ending the current repetition's processes",
            signal.name()
        ));
        for &pid in lock(&GROUPS).iter() {
            kill_group(pid);
        }
    }
}

/// Whether a stop was asked for (one signal or more): finish the current
/// repetition, start no other.
pub fn stop_requested() -> bool {
    SIGNALS.load(Ordering::Relaxed) >= 1
}

/// Whether to stop now (two signals or more): the current repetition is
/// abandoned.
pub fn stop_now() -> bool {
    SIGNALS.load(Ordering::Relaxed) >= 2
}

/// While alive, a run is active: signals stop it cleanly instead of ending
/// the process.
#[derive(Debug)]
pub struct ActiveRun(());

/// Mark a run active until the returned guard drops.
pub fn begin_run() -> ActiveRun {
    RUNNING.store(true, Ordering::SeqCst);
    ActiveRun(())
}

impl Drop for ActiveRun {
    fn drop(&mut self) {
        RUNNING.store(false, Ordering::SeqCst);
    }
}

/// While alive, a signal outside a run ends iolab with `text` after its
/// name (`SIGTERM: stopped; TEXT`): what the stop leaves behind.
#[derive(Debug)]
pub struct StopNote(());

/// Say `text` when a signal stops iolab outside a run, until the returned
/// guard drops.
pub fn note_while(text: String) -> StopNote {
    *lock(&NOTE) = Some(text);
    StopNote(())
}

impl Drop for StopNote {
    fn drop(&mut self) {
        *lock(&NOTE) = None;
    }
}

/// While alive, notices about signals are printed above this progress bar
/// (so the bar is not torn); without one, on stderr.
#[derive(Debug)]
pub struct BarNotices(());

/// Print notices above `bar` until the returned guard drops.
pub fn notices_above(bar: &ProgressBar) -> BarNotices {
    *lock(&BAR) = Some(bar.clone());
    BarNotices(())
}

impl Drop for BarNotices {
    fn drop(&mut self) {
        *lock(&BAR) = None;
    }
}

fn notice(text: &str) {
    match lock(&BAR).as_ref() {
        Some(bar) if !bar.is_hidden() => bar.println(text),
        Some(_) | None => eprintln!("{text}"),
    }
}

/// A child process group (worker processes, a command and its children)
/// that a second signal kills; untracked when dropped. Drop it only after
/// the child has been waited for, so its id cannot have been reused.
#[derive(Debug)]
pub struct ChildGroup(u32);

/// Track the process group led by `pid` (a child started with
/// `process_group(0)`). When a stop-now is already under way it is killed
/// at once.
pub fn track(pid: u32) -> ChildGroup {
    lock(&GROUPS).push(pid);
    if stop_now() {
        kill_group(pid);
    }
    ChildGroup(pid)
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        let mut groups = lock(&GROUPS);
        if let Some(i) = groups.iter().position(|&p| p == self.0) {
            groups.swap_remove(i);
        }
    }
}

fn kill_group(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        // Gone already is fine: the group had finished.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// A lock that survives a panicked holder (the data is a plain list).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
