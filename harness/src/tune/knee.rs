//! The knee of a worker-count sweep: which worker count to recommend, and
//! whether the adaptive sweep should try a larger one.
//!
//! The statistics live in [`crate::stats::knee`] (with their sources); this
//! module re-exports them so tuning code reads `tune::knee::choose_knee`.

pub use crate::stats::knee::{
    choose_knee, should_continue, CurvePoint, CurveShape, Knee, DEFAULT_TOLERANCE,
};
