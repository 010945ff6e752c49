//! What a panic in a workload's code becomes: a message with its place
//! (`panicked at src/x.rs:10:5: called Option::unwrap() on a None value`),
//! caught where the code runs, so it fails one task or one repetition
//! instead of ending the program.
//!
//! Panics are caught with [`std::panic::catch_unwind`] at a few points: a
//! lane catches its tasks' ([`catch_future`] around the lane, not around each
//! task, so the timed loop pays nothing per task: `strategy::lanes`), tokio's
//! blocking pool catches a pooled task's ([`catch`], then
//! [`std::panic::resume_unwind`] on the lane's thread with the message as
//! [`Panicked`]), and the runner catches a repetition's (the workload's
//! setup and checks). The process's panic hook ([`install_hook`], set by
//! `lab::Lab::main`) keeps each panic's place for the message and stays
//! silent while a catch is under way on that thread (the message goes to the
//! row instead); other panics print as Rust prints them.
//!
//! This needs unwinding: a binary built with `panic = "abort"` ends at the
//! first panic (a worker process so built dies, and its parent reports the
//! worker's exit as the repetition's failure).
//!
//! Owns: the hook, the catching helpers and the message. Does not own what
//! a caught panic fails (the lanes, the runner).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};

use futures::FutureExt;

thread_local! {
    /// Catches under way on this thread (the hook is silent while > 0).
    static CATCHING: Cell<u32> = const { Cell::new(0) };
    /// The place of this thread's last panic, kept by the hook.
    static PLACE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A panic's message, carried across threads as a panic payload: what
/// tokio's blocking pool re-raises on the lane's thread.
#[derive(Debug)]
pub struct Panicked(pub String);

/// Set the process's panic hook: it keeps each panic's place for
/// [`message`], and prints the panic as Rust does (through the hook it
/// replaces) unless a catch of this module is under way on the panicking
/// thread. Call it once, early in `main`.
pub fn install_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let place = info.location().map(ToString::to_string);
        let _ = PLACE.try_with(|p| p.replace(place));
        if CATCHING.try_with(Cell::get).unwrap_or(0) == 0 {
            previous(info);
        }
    }));
}

/// While alive, a catch is under way on this thread (not `Send`: it counts
/// on the thread that made it).
struct Catching(std::marker::PhantomData<*const ()>);

impl Catching {
    fn start() -> Catching {
        CATCHING.with(|c| c.set(c.get() + 1));
        Catching(std::marker::PhantomData)
    }
}

impl Drop for Catching {
    fn drop(&mut self) {
        CATCHING.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Run `f`, turning a panic into its [`message`].
///
/// # Errors
/// The panic's message, with its place when the hook is installed.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    let _catching = Catching::start();
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| message(payload.as_ref()))
}

/// Drive `future`, turning a panic in any of its polls into its
/// [`message`]. The future is given up after a panic (what it owned is
/// dropped by the unwinding). The catch counts as under way on this thread
/// from the first poll to the end: the future must stay on one thread (the
/// lanes' executors are single-threaded).
///
/// # Errors
/// The panic's message, with its place when the hook is installed.
pub async fn catch_future<F: Future>(future: F) -> Result<F::Output, String> {
    let _catching = Catching::start();
    let caught = AssertUnwindSafe(future).catch_unwind().await;
    caught.map_err(|payload| message(payload.as_ref()))
}

/// The message of a caught panic: `panicked at PLACE: TEXT` (the place when
/// the hook saw the panic on this thread), or the text a [`Panicked`]
/// payload carries.
pub fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(Panicked(text)) = payload.downcast_ref::<Panicked>() {
        return text.clone();
    }
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    match PLACE.try_with(RefCell::take).ok().flatten() {
        Some(place) => format!("panicked at {place}: {text}"),
        None => format!("panicked: {text}"),
    }
}
