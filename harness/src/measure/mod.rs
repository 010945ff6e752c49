//! Measuring one repetition: the clock, resource usage around the timed
//! region (kernel counters included), per-task latency histograms, cache
//! preparation and checks, and waiting for storage to go quiet.
//!
//! Nothing here decides what is timed: strategies open and close the timed
//! region with a [`Meter`]; this module only reads clocks and counters.

pub mod cache;
pub mod clock;
pub mod device;
pub mod kernel;
pub mod latency;
pub mod profile;
pub mod quiet;
pub mod region;
pub mod usage;

pub use clock::{monotonic_ns, Clock, ClockOrigin};
pub use region::{Alone, Gate, Stonewall};
pub use usage::{Meter, Usage};
