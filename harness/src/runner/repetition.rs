//! One repetition: quiet storage, scratch reset, cache state, timed
//! execution, verification, and the row that records it all — the real
//! executor ([`Strategies`]) below the runner's seam (`super::executor`).

use std::path::PathBuf;

use anyhow::Context;

use crate::clients::{Clients, RegionGate};
use crate::corpus::Corpus;
use crate::experiment::layout::ClientOptions;
use crate::experiment::{Plan, Scenario, Slot};
use crate::measure::cache::{self, CacheMethod};
use crate::measure::{latency, profile, quiet};
use crate::results::row::round;
use crate::results::timeseries::{self, SeriesKey, INTERVAL_NS};
use crate::results::{DispatchCost, Row, ScenarioIdentity, SeriesPoint, Status};
use crate::strategy::{self, Execution, StrategyError};
use crate::workload::{Metric, RunCheck, TaskContext, Workload};

use super::executor::{Call, Executor};
use super::scratch::{self, RepScratch};

/// The real executor: every repetition runs its scenario's strategy on the
/// corpus, in the run's scratch folder, on this rank of the call's clients.
pub(crate) struct Strategies<'a> {
    /// The plan whose scenarios the calls name.
    pub plan: &'a Plan,
    /// The corpus the workloads read.
    pub corpus: &'a Corpus,
    /// Where the tasks read and write (the run's scratch folder).
    pub ctx: TaskContext,
    /// Their layout (blocks of files, stonewall).
    pub layout: &'a ClientOptions,
    /// The perf binary, when each repetition's kernel stacks are sampled.
    pub perf: Option<PathBuf>,
}

impl Executor for Strategies<'_> {
    fn repetition(&self, call: &Call<'_>) -> anyhow::Result<(Row, Vec<SeriesPoint>)> {
        run(self, call)
    }

    fn dispatch_costs(&self) -> Vec<DispatchCost> {
        super::calibrate::dispatch_costs(self.plan, &self.ctx, self.corpus)
    }
}

/// Run the repetition `call` names with `exec`'s plan, corpus and ranks,
/// and describe it as a row, with its throughput per interval (empty when
/// it did not run or ran as one external command). With several ranks,
/// every rank passes a barrier before settle, before cache preparation and
/// at the start of the timed region (after all of the repetition's setup,
/// the strategy's included: [`RegionGate`]), whatever happened to it
/// before.
///
/// # Errors
/// Only harness failures (the scratch folder or cache control broke); a
/// failing scenario comes back as a row with status `failed`. With several
/// ranks a harness failure is a `failed` row too, so no rank is left
/// waiting at a barrier.
pub(super) fn run(
    exec: &Strategies<'_>,
    call: &Call<'_>,
) -> anyhow::Result<(Row, Vec<SeriesPoint>)> {
    let (plan, clients, layout) = (exec.plan, call.clients, exec.layout);
    let scenario = &plan.scenarios[call.slot.scenario];
    let workload = &scenario.workload;
    // The scenario's storage's context and corpus, or the data folder's.
    let (ctx, corpus) = call.on.unwrap_or((&exec.ctx, exec.corpus));
    let ctx = &ctx.on_first_files(scenario.first_files);
    let (first, count) = layout.block(clients.rank(), clients.size(), ctx.used_files);
    let ctx = &mut ctx.on_block(first, count);
    let root = ctx.scratch.clone();
    ctx.peers.rank = clients.rank();
    let prepared = prepare_scratch(scenario, ctx, corpus);
    if let (Err(e), 1) = (&prepared, clients.size()) {
        anyhow::bail!("{e:#}");
    }
    let prepared = meet(clients, workload, ctx, prepared)?;
    let quiet = quiet::wait_until_quiet(&root, plan.settle);
    clients.barrier();
    let inputs = super::storages::cache_view(&workload.inputs(ctx));
    let cached = prepared.and_then(|prep| set_cache(prep, plan, scenario, &inputs));
    let gate = RegionGate::new(clients, layout.wearout && layout.stonewall.is_some());
    let (prep, method, resident) = match cached {
        Ok(c) => c,
        Err(e) if clients.size() == 1 => return Err(e),
        Err(e) => {
            gate.close();
            clients.barrier();
            let failed = (Status::Failed, format!("{e:#}"));
            return Ok((
                not_run(scenario, call.slot, call.order, call.run_id, failed),
                Vec::new(),
            ));
        }
    };
    ctx.stonewall = layout.stonewall();
    let mut row = base_row(scenario, call.slot, call.order, call.run_id.to_string());
    row.cache_method = Some(method);
    row.cache_resident_pct = resident.map(|p| round(p, 2));
    row.settle_s = round(quiet.waited.as_secs_f64(), 3);
    row.settle_idle = quiet.idle;
    row.started_at = super::now_rfc3339();
    let warning = cache::residency_warning(scenario.cache, resident);
    if let Some(w) = &warning {
        call.bar
            .println(format!("warning: {}: {w}", scenario.label()));
    }
    let kill_after = scenario
        .kill_at_pct
        .map(|pct| (workload.tasks(ctx) as u64 * u64::from(pct) / 100) as u32);
    let unavailable = workload
        .unavailable(ctx)
        .or_else(|| layout.unsupported(&scenario.strategy, clients.size()));
    let recording = exec.perf.as_deref().map(profile::Recording::start);
    let (result, recording) = match unavailable {
        Some(why) => (Err(StrategyError::Unavailable(why)), None),
        None => sampled(recording, || {
            strategy::execute(
                &scenario.strategy,
                workload,
                ctx,
                corpus,
                (kill_after, &gate),
            )
        }),
    };
    let opened_ns = gate.close();
    let series = record_result(&mut row, result, (workload, ctx, corpus), opened_ns);
    if let Some(w) = warning {
        row.detail = format!("{}; warning: {w}", row.detail);
    }
    finish(&mut row, prep.rep, recording, (plan.settle, clients))?;
    Ok((row, series))
}

/// Once every rank has made its scratch state: the ranks meet, learn each
/// other's hosts and scratch folders, and do the setup that needs every
/// rank's (the read-back workloads write what the ranks will read).
///
/// # Errors
/// The ranks' folders cannot be exchanged; a failed setup is returned
/// inside, as `prepared`'s failure.
fn meet(
    clients: &dyn Clients,
    workload: &Workload,
    ctx: &mut TaskContext,
    prepared: anyhow::Result<Prepared>,
) -> anyhow::Result<anyhow::Result<Prepared>> {
    clients.barrier();
    ctx.peers = crate::clients::peers(clients, &ctx.scratch)?;
    Ok(prepared.and_then(|p| {
        let written = workload.setup_after_barrier(ctx);
        written
            .context("writing what the ranks read back")
            .map(|()| p)
    }))
}

/// Delete the files of `--after-deleting`, set the scenario's cache state
/// on `inputs` and measure how much of them is resident.
fn set_cache(
    mut prep: Prepared,
    plan: &Plan,
    scenario: &Scenario,
    inputs: &[PathBuf],
) -> anyhow::Result<(Prepared, CacheMethod, Option<f64>)> {
    if let Some(files) = prep.doomed.take() {
        files
            .delete()
            .context("deleting the files of --after-deleting")?;
    }
    let method = cache::prepare(scenario.cache, plan.cold_method, inputs)
        .context("setting the cache state")?;
    let resident = cache::resident_percent(inputs).context("measuring cache residency")?;
    Ok((prep, method, resident))
}

/// Record what the timed region returned in `row` (measurements and
/// verification, where the region lay against the barrier that opened it
/// at `opened_ns`, or why it failed or could not run), and its throughput
/// per interval.
fn record_result(
    row: &mut Row,
    result: Result<Execution, StrategyError>,
    (workload, ctx, corpus): (&Workload, &TaskContext, &Corpus),
    opened_ns: u64,
) -> Vec<SeriesPoint> {
    match result {
        Ok(exec) => {
            let check = check_run(workload, ctx, corpus, &exec);
            fill_measurements(row, &exec, workload.metrics());
            fill_check(row, &exec, check);
            let wearout = ctx.stonewall.is_some_and(|s| s.wearout);
            fill_region(row, &exec, opened_ns, (workload.tasks(ctx), wearout));
            series_of(row, &exec)
        }
        Err(StrategyError::Unavailable(why)) => {
            row.status = Status::Unavailable;
            row.detail = why;
            Vec::new()
        }
        Err(StrategyError::Failed(why)) => {
            row.status = Status::Failed;
            row.detail = why;
            Vec::new()
        }
    }
}

/// After the timed region: once every rank has checked what it wrote and
/// read (another rank may read from its scratch folder: a shared file, a
/// read-back), reset the scratch folder by its policy and end the kernel
/// profile, noting both in `row`.
///
/// # Errors
/// A scratch folder that cannot be reset, with one rank (with several, a
/// note in the row, so no rank is left waiting at a barrier).
fn finish(
    row: &mut Row,
    rep: RepScratch,
    recording: Option<Result<profile::Recording, String>>,
    (settle, clients): (crate::measure::quiet::Settle, &dyn Clients),
) -> anyhow::Result<()> {
    clients.barrier();
    let ranks = clients.size();
    row.scratch_policy = rep.used.to_string();
    if let Some(note) = &rep.note {
        row.detail = format!("{}; {note}", row.detail);
    }
    match rep.finish(settle) {
        Err(e) if ranks == 1 => return Err(e),
        Err(e) => row.detail = format!("{}; scratch clean-up failed: {e:#}", row.detail),
        Ok(()) => {}
    }
    match recording.map(|r| r.and_then(|r| r.finish(&profile::own_comms()))) {
        Some(Ok(shares)) => row.kernel_profile = profile::format(&shares),
        Some(Err(why)) => {
            row.detail = format!("{}; kernel profile: unavailable: {why}", row.detail);
        }
        None => {}
    }
    Ok(())
}

/// Call `execute` with `recording`'s sampling switched on around it (perf
/// starts and stops outside, so only the call itself is sampled); a
/// recording that fails to switch comes back as its error.
fn sampled<T>(
    recording: Option<Result<profile::Recording, String>>,
    execute: impl FnOnce() -> T,
) -> (T, Option<Result<profile::Recording, String>>) {
    let mut recording = recording.map(|r| r.and_then(|mut r| r.switch(true).map(|()| r)));
    let result = execute();
    if let Some(r) = recording.take() {
        recording = Some(r.and_then(|mut r| r.switch(false).map(|()| r)));
    }
    (result, recording)
}

/// Throughput per interval from the tasks' completion times.
fn series_of(row: &Row, exec: &Execution) -> Vec<SeriesPoint> {
    if exec.records.is_empty() {
        return Vec::new();
    }
    let key = SeriesKey {
        run_id: &row.run_id,
        scenario_id: &row.scenario_id,
        rep: row.rep,
    };
    let done = exec.records.iter().map(|r| (r.done_ns, r.bytes));
    timeseries::bin(key, done, exec.usage.wall.as_nanos() as u64, INTERVAL_NS)
}

/// Verify what the repetition left behind: only the finished tasks' when
/// the stonewall cut it short.
fn check_run(
    workload: &Workload,
    ctx: &TaskContext,
    corpus: &Corpus,
    exec: &Execution,
) -> RunCheck {
    if ctx.stonewall.is_some() && exec.records.len() < workload.tasks(ctx) as usize {
        let finished = exec.records.iter().map(|r| r.index).collect();
        workload.verify_finished(ctx, corpus, finished)
    } else {
        workload.verify_run(
            ctx,
            corpus,
            (exec.count_sum, exec.interrupted),
            &exec.metrics,
        )
    }
}

/// The repetition's scratch folder, made by the scenario's policy.
struct Prepared {
    /// The folder and what is left to do after the repetition.
    rep: RepScratch,
    /// The files of `--after-deleting`, to delete just before timing.
    doomed: Option<scratch::Doomed>,
}

/// Make the repetition's scratch folder by the scenario's policy (and
/// point `ctx` at it), lay out the workload's scratch files and the files
/// of `--after-deleting`.
fn prepare_scratch(
    scenario: &Scenario,
    ctx: &mut TaskContext,
    corpus: &Corpus,
) -> anyhow::Result<Prepared> {
    let writes = !scenario.workload.desc().writes.is_empty();
    let rep = scratch::prepare(
        (scenario.scratch, &scenario.storage),
        writes,
        &ctx.scratch,
        corpus,
    )?;
    ctx.scratch = rep.dir().to_path_buf();
    scenario
        .workload
        .setup_repetition(ctx)
        .context("setting up the repetition's scratch files")?;
    let doomed = scenario
        .after_deleting
        .map(|n| scratch::doomed(&ctx.scratch, n))
        .transpose()
        .context("creating the files of --after-deleting")?;
    Ok(Prepared { rep, doomed })
}

/// The row of a repetition that did not run to its end: `status` with
/// `detail` (a panic outside any task: `failed`; a cold state memory
/// cannot give: `unavailable`).
pub(super) fn not_run(
    scenario: &Scenario,
    slot: Slot,
    order: u32,
    run_id: &str,
    (status, detail): (Status, String),
) -> Row {
    let mut row = base_row(scenario, slot, order, run_id.to_string());
    row.status = status;
    row.detail = detail;
    row
}

fn base_row(scenario: &Scenario, slot: Slot, order: u32, run_id: String) -> Row {
    let identity = ScenarioIdentity {
        scenario_id: scenario.id.clone(),
        baseline_id: scenario.baseline_id(),
        experiment: scenario.experiment.clone(),
        workload: scenario.workload.id(),
        variant: scenario.variant(),
        strategy: scenario.strategy.kind(),
        strategy_label: scenario.strategy.to_string(),
        program: scenario.strategy.program(),
        workers: scenario.strategy.workers(),
        processes: scenario.strategy.processes(),
        threads: scenario.strategy.threads_per_process(),
        batch: scenario.strategy.batch(),
        chunk_bytes: scenario.workload.chunk_bytes(),
        durability: scenario
            .workload
            .durability()
            .map_or_else(String::new, |d| d.to_string()),
        scratch_policy: scenario.scratch.to_string(),
        storage: scenario.storage,
        cache: scenario.cache,
    };
    Row {
        run_id,
        rep: slot.rep,
        warmup: slot.warmup,
        order,
        ..Row::from_identity(identity)
    }
}

fn fill_measurements(row: &mut Row, exec: &Execution, workload_metrics: &[&'static Metric]) {
    let u = &exec.usage;
    let wall = u.wall.as_secs_f64().max(1e-9);
    let cpu = (u.user + u.system).as_secs_f64();
    let gib = exec.bytes as f64 / f64::from(1u32 << 30);
    let lat = latency::percentiles(
        exec.records
            .iter()
            .filter(|r| r.error.is_none())
            .map(|r| r.latency_ns),
    );
    row.wall_s = round(wall, 6);
    row.user_s = round(u.user.as_secs_f64(), 6);
    row.sys_s = round(u.system.as_secs_f64(), 6);
    row.cpu_s_per_gib = if gib > 0.0 { round(cpu / gib, 4) } else { 0.0 };
    row.peak_rss_bytes = u.peak_rss_bytes;
    row.voluntary_ctx = u.voluntary_switches;
    row.involuntary_ctx = u.involuntary_switches;
    row.minor_faults = Some(u.minor_faults);
    row.storage_read_bytes = u.storage_read_bytes;
    row.storage_write_bytes = u.storage_write_bytes;
    row.tasks = exec.records.len() as u64;
    row.bytes = exec.bytes;
    row.metrics = exec.metrics.values(workload_metrics);
    row.mb_per_s = round(exec.bytes as f64 / 1e6 / wall, 3);
    row.tasks_per_s = round(row.tasks as f64 / wall, 3);
    row.lat_p50_us = round(lat.p50_us, 3);
    row.lat_p90_us = round(lat.p90_us, 3);
    row.lat_p99_us = round(lat.p99_us, 3);
    row.lat_max_us = round(lat.max_us, 3);
    fill_kernel(row, u);
    let done = exec.lane_done.iter().map(|d| d.as_secs_f64());
    row.first_done_s = round(done.clone().fold(f64::INFINITY, f64::min).min(wall), 6);
    row.last_done_s = round(done.fold(0.0, f64::max), 6);
}

/// Where the region lies on the common clock (seconds since the barrier
/// that opened it, left at `opened_ns`), and what its stonewall cut: the
/// tasks planned, whether the deadline stopped them, the stonewall phase
/// apart from its wear-out.
fn fill_region(row: &mut Row, exec: &Execution, opened_ns: u64, (planned, wearout): (u32, bool)) {
    let start = exec.usage.started_ns.saturating_sub(opened_ns) as f64 / 1e9;
    row.region_start_s = round(start, 6);
    row.region_end_s = round(start + exec.usage.wall.as_secs_f64(), 6);
    row.planned_tasks = u64::from(planned);
    if let Some(phase) = exec.stonewall {
        row.stonewalled = phase.tasks < row.planned_tasks;
        row.stonewall_tasks = Some(phase.tasks);
        row.stonewall_bytes = Some(phase.bytes);
        row.stonewall_s = Some(round(phase.ended.as_secs_f64(), 6));
        row.wearout_tasks = wearout.then_some(row.tasks.saturating_sub(phase.tasks));
    }
}

/// The kernel's side of the region: CPU split and machine-wide counters.
fn fill_kernel(row: &mut Row, u: &crate::measure::Usage) {
    let cpu = (u.user + u.system).as_secs_f64();
    row.sys_cpu_pct = (cpu > 0.0).then(|| round(100.0 * u.system.as_secs_f64() / cpu, 2));
    let k = &u.kernel;
    row.set_vm_counts(&k.vm);
    row.dirty_kb_before = Some(k.dirty_kb_before);
    row.dirty_kb_after = Some(k.dirty_kb_after);
    row.writeback_kb_before = Some(k.writeback_kb_before);
    row.writeback_kb_after = Some(k.writeback_kb_after);
    row.psi_io_some_us = k.psi_io_some_us;
    row.psi_io_full_us = k.psi_io_full_us;
    row.psi_mem_some_us = k.psi_memory_some_us;
    row.psi_mem_full_us = k.psi_memory_full_us;
}

fn fill_check(row: &mut Row, exec: &Execution, check: RunCheck) {
    let mut problems: Vec<String> = Vec::new();
    if let Some(first) = exec.task_errors.first() {
        problems.push(format!(
            "{} task errors, first: {first}",
            exec.task_errors.len()
        ));
    }
    if let Some(first) = exec.evidence_failures.first() {
        problems.push(format!(
            "{} tasks returned wrong data, first: {first}",
            exec.evidence_failures.len()
        ));
    }
    if !check.verified {
        problems.push(check.detail.clone());
    }
    row.status = if exec.task_errors.is_empty() {
        Status::Ok
    } else {
        Status::Failed
    };
    row.verified = problems.is_empty();
    row.detail = if problems.is_empty() {
        check.detail
    } else {
        problems.join("; ")
    };
    if let Some(a) = check.append {
        row.append_intact = Some(a.intact);
        row.append_corrupted = Some(a.corrupted);
        row.append_missing = Some(a.missing);
    }
    row.torn = check.torn;
}
