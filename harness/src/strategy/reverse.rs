//! `reverse` (test builds only): a strategy added exactly as
//! `docs/ARCHITECTURE.md` says a strategy is added — this file, and `mod
//! reverse;` with one line of the `strategies!` list in `strategy/mod.rs` —
//! with a knob whose key no other strategy has (`reverse_lanes`).
//! `workload/probe.rs` is the workload added the same way; the tests of
//! `recipes.rs` check both: the files each touches, their flags, their
//! experiment-file keys and checks, their rows in `iolab describe`, and a
//! run.
//!
//! It runs `reverse_lanes` lanes joined on the calling thread over the
//! blocking backend, each taking the next task from the end of the range.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::executor::block_on;
use futures::future::join_all;
use serde::{Deserialize, Serialize};

use super::lanes::{run_lane, TaskSource};
use super::local::{in_process, prepare_failed};
use super::registry::{Shape, StrategySpec};
use super::{Execution, Job, StrategyError};
use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues, StrategyDesc};
use crate::io::Blocking;

/// Lanes on the calling thread: a knob key of this strategy alone.
const LANES: KnobDesc = KnobDesc {
    key: "reverse_lanes",
    kind: KnobKind::Count { min: 1, max: 64 },
    default: "1",
    help: "lanes joined on the calling thread, each taking the next task from the end",
    variants: &[],
};

/// `reverse`: tasks last first, on the calling thread.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReverseSpec {
    /// Lanes joined on the calling thread.
    pub lanes: u32,
}

impl StrategySpec for ReverseSpec {
    const DESCRIPTION: StrategyDesc = StrategyDesc {
        name: "reverse",
        aliases: &["backwards"],
        summary: "tasks last first, in lanes joined on the calling thread (a test's strategy)",
        knobs: &[LANES],
        lacks: &[],
        kills_workers: false,
        calibration_tasks: Some([2_000, 20_000]),
        colour: (120, 60, 20),
    };

    fn build(knobs: &KnobValues) -> Result<Self, KnobError> {
        Ok(ReverseSpec {
            lanes: knobs.count(&LANES)?,
        })
    }

    fn slug(&self) -> String {
        format!("reverse-{}", self.lanes)
    }

    fn shape(&self) -> Shape {
        Shape::in_process(self.lanes, 1)
    }

    fn execute(&self, job: Job<'_>) -> Result<Execution, StrategyError> {
        let (workload, ctx) = (job.workload, job.ctx);
        let range = workload.task_range(ctx);
        let source = Backwards {
            start: range.start,
            end: AtomicU32::new(range.end),
        };
        in_process(job, self.lanes, |outputs, clock| {
            let io = Blocking;
            block_on(async {
                let shared = workload.prepare(&io, ctx).await?;
                let runs = outputs
                    .into_iter()
                    .map(|out| run_lane(&io, workload, ctx, &shared, &source, clock, out));
                let lanes = join_all(runs).await;
                Ok((lanes, workload.finish(&io, shared).await, None))
            })
            .map_err(|e| prepare_failed(workload, e))
        })
    }
}

impl fmt::Display for ReverseSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reverse({} lanes)", self.lanes)
    }
}

/// The tasks `start..end`, handed out from the end.
struct Backwards {
    start: u32,
    end: AtomicU32,
}

impl TaskSource for Backwards {
    fn next(&self) -> Option<u32> {
        if crate::interrupt::stop_now() {
            return None;
        }
        let start = self.start;
        self.end
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |e| {
                (e > start).then(|| e - 1)
            })
            .ok()
            .map(|e| e - 1)
    }
}
