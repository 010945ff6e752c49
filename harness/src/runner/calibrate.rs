//! The dispatch-cost calibration: before a run's schedule, each strategy the
//! plan uses runs the `noop` workload (tasks that do nothing) at two task
//! counts; the slope of wall time between them is what the strategy itself
//! costs per task (taking the task, the lane loop, the latency record,
//! messages to worker processes), the intercept its start-up.
//!
//! Owns: which strategies are calibrated and deriving the figures (each
//! strategy's task counts are on its description). Does not own:
//! running tasks (`strategy`) or showing the figures (`report`).

use crate::corpus::Corpus;
use crate::experiment::Plan;
use crate::results::DispatchCost;
use crate::strategy::{self, Strategy};
use crate::workload::{NoopSpec, TaskContext, Workload};

/// Calibrate every distinct strategy of `plan` (external commands have no
/// tasks to dispatch and are left out). Takes well under a second per
/// strategy; a strategy that cannot run says why in its `detail`.
pub fn dispatch_costs(plan: &Plan, ctx: &TaskContext, corpus: &Corpus) -> Vec<DispatchCost> {
    let mut seen: Vec<(&Strategy, [u32; 2])> = Vec::new();
    for s in plan.scenarios.iter().map(|s| &s.strategy) {
        if let Some(tasks) = s.kind().desc().calibration_tasks {
            if !seen.iter().any(|(t, _)| *t == s) {
                seen.push((s, tasks));
            }
        }
    }
    seen.into_iter()
        .map(|(s, tasks)| calibrate(s, tasks, ctx, corpus))
        .collect()
}

/// Calibrate one strategy at the two noop task counts its description
/// gives (`calibration_tasks`).
pub fn calibrate(
    strategy: &Strategy,
    tasks: [u32; 2],
    ctx: &TaskContext,
    corpus: &Corpus,
) -> DispatchCost {
    let mut medians = [0.0f64; 2];
    for (median, n) in medians.iter_mut().zip(tasks) {
        match median_wall_s(strategy, n, ctx, corpus) {
            Ok(s) => *median = s,
            Err(detail) => {
                return DispatchCost {
                    strategy: strategy.to_string(),
                    ns_per_task: None,
                    startup_us: None,
                    tasks,
                    detail,
                }
            }
        }
    }
    let (ns_per_task, startup_us) = slope_and_intercept(tasks, medians);
    DispatchCost {
        strategy: strategy.to_string(),
        ns_per_task: Some(ns_per_task),
        startup_us: Some(startup_us),
        tasks,
        detail: String::new(),
    }
}

/// Nanoseconds per task and start-up microseconds from the median wall
/// seconds at two task counts; a negative slope (noise) counts as zero.
pub fn slope_and_intercept(tasks: [u32; 2], wall_s: [f64; 2]) -> (f64, f64) {
    let dn = f64::from(tasks[1]) - f64::from(tasks[0]);
    let per_task_s = if dn > 0.0 {
        ((wall_s[1] - wall_s[0]) / dn).max(0.0)
    } else {
        0.0
    };
    let startup_s = (wall_s[0] - per_task_s * f64::from(tasks[0])).max(0.0);
    (per_task_s * 1e9, startup_s * 1e6)
}

/// Median wall seconds of [`DispatchCost::REPS`] noop runs of `n` tasks.
fn median_wall_s(
    strategy: &Strategy,
    n: u32,
    ctx: &TaskContext,
    corpus: &Corpus,
) -> Result<f64, String> {
    let workload = Workload::Noop(NoopSpec { tasks: n });
    let mut walls = Vec::with_capacity(DispatchCost::REPS);
    for _ in 0..DispatchCost::REPS {
        let exec = strategy::execute(
            strategy,
            &workload,
            ctx,
            corpus,
            (None, &crate::measure::Alone),
        )
        .map_err(|e| format!("noop under {strategy}: {e}"))?;
        if let Some(e) = exec.task_errors.first() {
            return Err(format!("noop under {strategy}: {e}"));
        }
        walls.push(exec.usage.wall.as_secs_f64());
    }
    walls.sort_by(f64::total_cmp);
    Ok(walls[walls.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_leaves_out_start_up() {
        // 1 ms start-up, 100 ns a task.
        let (ns, startup_us) = slope_and_intercept([1000, 11_000], [0.0011, 0.0021]);
        assert!((ns - 100.0).abs() < 1e-6, "{ns}");
        assert!((startup_us - 1000.0).abs() < 1e-6, "{startup_us}");
    }

    #[test]
    fn a_noisy_negative_slope_counts_as_zero() {
        let (ns, startup_us) = slope_and_intercept([10, 100], [0.002, 0.001]);
        assert_eq!(ns, 0.0);
        assert!((startup_us - 2000.0).abs() < 1e-6);
    }
}
