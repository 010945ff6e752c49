//! Expansion of one `[[grid]]` block: check every list element (with its
//! position), take the product of the lists that apply to each workload and
//! strategy, and keep the meaningful combinations; the rest are
//! [`Skipped`] with a reason.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::build::{self, BuildError, Knob, StrategyKnobs, WorkloadKnobs, WORKLOADS};
use super::file::{ExperimentError, List, RawGrid};
use super::grid::{Env, Expansion, Experiment, Skipped};
use super::keys::{self, Count};
use super::limit::{self, TooManyScenarios};
use super::{parse_size, Scenario};
use crate::measure::cache::CacheState;
use crate::strategy::Strategy;
use crate::workload::Workload;

/// A knob value as written, checked.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Size(usize),
    Flag(bool),
    Count(u32),
    Bytes(u64),
    Text(String),
}

/// One element of a list: which knob, its value, the text shown, where.
#[derive(Clone, Debug)]
struct Given {
    knob: Knob,
    value: Value,
    shown: String,
    span: Range<usize>,
}

impl Given {
    fn label(&self) -> String {
        format!("{}={}", self.knob.key(), self.shown)
    }
}

/// The checked lists of a block.
#[derive(Debug, Default)]
struct Dims {
    workloads: Vec<(String, Range<usize>)>,
    workload_knobs: Vec<Vec<Given>>,
    strategies: Vec<(&'static str, Range<usize>)>,
    workers: Vec<Given>,
    threads: Vec<Given>,
    batch: Vec<Given>,
    tokio_threads: Vec<Given>,
    command: Vec<Given>,
    caches: Vec<(CacheState, Option<Range<usize>>)>,
    kill_at: Vec<(u32, Option<Range<usize>>)>,
    first_files: Vec<(Option<u32>, Option<Range<usize>>)>,
    baseline: bool,
}

impl Dims {
    /// The lists that apply to strategy `name`.
    fn strategy_lists(&self, name: &str) -> Vec<&Vec<Given>> {
        match name {
            "sequential" => vec![],
            "processes" => vec![&self.workers, &self.batch],
            "nested" => vec![&self.workers, &self.threads, &self.batch],
            "tokio" => vec![&self.workers, &self.tokio_threads],
            "command" => vec![&self.workers, &self.command],
            _ => vec![&self.workers],
        }
    }

    /// The combinations the block expands to (scenarios and skipped ones),
    /// counted from the lists' lengths alone; refused above the limit.
    fn check_size(&self, what: String) -> Result<u64, TooManyScenarios> {
        let len = |l: &Vec<Given>| l.len().max(1) as u64;
        let product =
            |lists: &[&Vec<Given>]| lists.iter().fold(1u64, |a, l| a.saturating_mul(len(l)));
        let workloads = (self.workloads.len() as u64)
            .saturating_mul(product(&self.workload_knobs.iter().collect::<Vec<_>>()));
        let strategies = self
            .strategies
            .iter()
            .map(|(name, _)| product(&self.strategy_lists(name)))
            .fold(0u64, u64::saturating_add);
        limit::check(
            what,
            &[
                ("workload combinations", workloads),
                ("strategy combinations", strategies),
                ("cache", self.caches.len() as u64),
                ("first_files", self.first_files.len() as u64),
                (
                    "kill_at and baseline",
                    self.kill_at.len() as u64 + u64::from(self.baseline),
                ),
            ],
        )
    }
}

/// Every combination of one element from each non-empty list.
fn product(dims: &[&Vec<Given>]) -> Vec<Vec<Given>> {
    let mut out: Vec<Vec<Given>> = vec![Vec::new()];
    for d in dims.iter().filter(|d| !d.is_empty()) {
        out = out
            .into_iter()
            .flat_map(|p| {
                d.iter().map(move |g| {
                    let mut q = p.clone();
                    q.push(g.clone());
                    q
                })
            })
            .collect();
    }
    out
}

fn find(point: &[Given], knob: Knob) -> Option<&Value> {
    point.iter().find(|g| g.knob == knob).map(|g| &g.value)
}

fn count_of(point: &[Given], knob: Knob) -> Option<u32> {
    match find(point, knob) {
        Some(Value::Count(n)) => Some(*n),
        _ => None,
    }
}

fn size_of(point: &[Given], knob: Knob) -> Option<usize> {
    match find(point, knob) {
        Some(Value::Size(n)) => Some(*n),
        _ => None,
    }
}

fn text_of(point: &[Given], knob: Knob) -> Option<String> {
    match find(point, knob) {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

fn workload_knobs(point: &[Given], seed: u64) -> WorkloadKnobs {
    WorkloadKnobs {
        chunk: size_of(point, Knob::Chunk),
        buffer: size_of(point, Knob::Buffer),
        fsync: matches!(find(point, Knob::Fsync), Some(Value::Flag(true))),
        lines: count_of(point, Knob::Lines),
        segments: count_of(point, Knob::Segments),
        reads: count_of(point, Knob::Reads),
        block: match find(point, Knob::Block) {
            Some(Value::Bytes(b)) => Some(*b),
            _ => None,
        },
        pattern: text_of(point, Knob::Pattern),
        seed,
        files_per_task: count_of(point, Knob::FilesPerTask),
    }
}

impl Experiment {
    fn key(knob: Knob) -> String {
        format!("grid.{}", knob.key())
    }

    fn texts(l: &Option<List<String>>, knob: Knob) -> Vec<Given> {
        l.iter()
            .flatten()
            .map(|s| Given {
                knob,
                value: Value::Text(s.get_ref().clone()),
                shown: s.get_ref().clone(),
                span: s.span(),
            })
            .collect()
    }

    fn counts(
        &self,
        l: &Option<List<u32>>,
        knob: Knob,
        range: Count,
    ) -> Result<Vec<Given>, ExperimentError> {
        l.iter()
            .flatten()
            .map(|s| {
                let n = *s.get_ref();
                if !range.contains(n) {
                    return Err(self.source.invalid(
                        &s.span(),
                        Self::key(knob),
                        n,
                        range.allowed(),
                    ));
                }
                Ok(Given {
                    knob,
                    value: Value::Count(n),
                    shown: n.to_string(),
                    span: s.span(),
                })
            })
            .collect()
    }

    fn sizes(&self, l: &Option<List<String>>, knob: Knob) -> Result<Vec<Given>, ExperimentError> {
        l.iter()
            .flatten()
            .map(|s| {
                let text = s.get_ref();
                let bytes = parse_size(text).map_err(|e| {
                    self.source.invalid(
                        &s.span(),
                        Self::key(knob),
                        format!("{text:?}"),
                        e.to_string(),
                    )
                })?;
                let value = if knob == Knob::Block {
                    Value::Bytes(bytes)
                } else {
                    let n = build::check_size(knob, bytes).map_err(|e| {
                        self.source.invalid(
                            &s.span(),
                            Self::key(knob),
                            format!("{text:?}"),
                            e.allowed,
                        )
                    })?;
                    Value::Size(n)
                };
                Ok(Given {
                    knob,
                    value,
                    shown: text.clone(),
                    span: s.span(),
                })
            })
            .collect()
    }

    fn no_empty_lists(&self, b: &RawGrid, index: usize) -> Result<(), ExperimentError> {
        let lens = [
            ("workload", b.workload.as_ref().map(Vec::len)),
            ("variant", b.variant.as_ref().map(Vec::len)),
            ("strategy", b.strategy.as_ref().map(Vec::len)),
            ("workers", b.workers.as_ref().map(Vec::len)),
            ("threads", b.threads.as_ref().map(Vec::len)),
            ("batch", b.batch.as_ref().map(Vec::len)),
            ("tokio_threads", b.tokio_threads.as_ref().map(Vec::len)),
            ("command", b.command.as_ref().map(Vec::len)),
            ("cache", b.cache.as_ref().map(Vec::len)),
            ("chunk", b.chunk.as_ref().map(Vec::len)),
            ("buffer", b.buffer.as_ref().map(Vec::len)),
            ("fsync", b.fsync.as_ref().map(Vec::len)),
            ("append_lines", b.append_lines.as_ref().map(Vec::len)),
            ("segments", b.segments.as_ref().map(Vec::len)),
            ("reads", b.reads.as_ref().map(Vec::len)),
            ("block", b.block.as_ref().map(Vec::len)),
            ("pattern", b.pattern.as_ref().map(Vec::len)),
            ("files_per_task", b.files_per_task.as_ref().map(Vec::len)),
            ("kill_at", b.kill_at.as_ref().map(Vec::len)),
            ("first_files", b.first_files.as_ref().map(Vec::len)),
            ("scales", b.scales.as_ref().map(Vec::len)),
        ];
        match lens.iter().find(|(_, n)| *n == Some(0)) {
            Some((key, _)) => Err(ExperimentError::Nothing(format!(
                "{}: grid block {} ({}): `{key} = []` gives no scenarios; leave the key out to take its default",
                self.source.file,
                index + 1,
                b.name.as_deref().unwrap_or("unnamed")
            ))),
            None => Ok(()),
        }
    }

    fn workload_dims(&self, b: &RawGrid, d: &mut Dims) -> Result<(), ExperimentError> {
        let Some(names) = &b.workload else {
            return Err(ExperimentError::Nothing(format!(
                "{}: a [[grid]] block ({}) has no `workload` list; allowed workloads: {}",
                self.source.file,
                b.name.as_deref().unwrap_or("unnamed"),
                WORKLOADS.join(", ")
            )));
        };
        for n in names {
            if build::variants(n.get_ref()).is_none() {
                return Err(self.source.invalid(
                    &n.span(),
                    "grid.workload",
                    format!("{:?}", n.get_ref()),
                    format!("allowed: {}", WORKLOADS.join(", ")),
                ));
            }
            d.workloads.push((n.get_ref().clone(), n.span()));
        }
        let variants = Self::texts(&b.variant, Knob::Variant);
        for v in &variants {
            let Value::Text(name) = &v.value else {
                continue;
            };
            let known = d
                .workloads
                .iter()
                .any(|(w, _)| build::variants(w).is_some_and(|vs| vs.contains(&name.as_str())));
            if !known {
                let allowed: Vec<String> = d
                    .workloads
                    .iter()
                    .map(|(w, _)| {
                        format!("{w}: {}", build::variants(w).unwrap_or_default().join(", "))
                    })
                    .collect();
                return Err(self.source.invalid(
                    &v.span,
                    "grid.variant",
                    format!("{name:?}"),
                    format!(
                        "not a variant of any workload of this block; allowed: {}",
                        allowed.join("; ")
                    ),
                ));
            }
        }
        let fsync: Vec<Given> = b
            .fsync
            .iter()
            .flatten()
            .map(|f| Given {
                knob: Knob::Fsync,
                value: Value::Flag(*f.get_ref()),
                shown: f.get_ref().to_string(),
                span: f.span(),
            })
            .collect();
        d.workload_knobs = vec![
            variants,
            self.sizes(&b.chunk, Knob::Chunk)?,
            self.sizes(&b.buffer, Knob::Buffer)?,
            fsync,
            self.counts(&b.append_lines, Knob::Lines, keys::APPEND_LINES)?,
            self.counts(&b.segments, Knob::Segments, keys::SEGMENTS)?,
            self.counts(&b.reads, Knob::Reads, keys::READS)?,
            self.sizes(&b.block, Knob::Block)?,
            Self::texts(&b.pattern, Knob::Pattern),
            self.counts(&b.files_per_task, Knob::FilesPerTask, keys::FILES_PER_TASK)?,
        ];
        Ok(())
    }
}

impl Experiment {
    fn strategy_dims(&self, b: &RawGrid, d: &mut Dims) -> Result<(), ExperimentError> {
        let default = [toml::Spanned::new(0..0, "sequential".to_string())];
        let names = b.strategy.as_deref().unwrap_or(&default);
        for n in names {
            let name = build::strategy_name(n.get_ref()).map_err(|e| {
                self.source.invalid(
                    &n.span(),
                    "grid.strategy",
                    format!("{:?}", n.get_ref()),
                    e.allowed,
                )
            })?;
            if name == "command" && b.command.is_none() {
                return Err(self.source.invalid(
                    &n.span(),
                    "grid.strategy",
                    "\"command\"",
                    "the command strategy needs a `command` list of templates in the same block",
                ));
            }
            d.strategies.push((name, n.span()));
        }
        d.workers = self.counts(&b.workers, Knob::Workers, keys::WORKERS)?;
        d.threads = self.counts(&b.threads, Knob::Threads, keys::WORKERS)?;
        d.batch = self.counts(&b.batch, Knob::Batch, keys::BATCH)?;
        d.tokio_threads = self.counts(&b.tokio_threads, Knob::TokioThreads, keys::WORKERS)?;
        d.command = Self::texts(&b.command, Knob::Command);
        d.caches = match &b.cache {
            Some(l) => l.iter().map(|c| (*c.get_ref(), Some(c.span()))).collect(),
            None => vec![(CacheState::Warm, None)],
        };
        d.kill_at = match &b.kill_at {
            Some(l) => l
                .iter()
                .map(|k| match *k.get_ref() {
                    n if keys::KILL_AT.contains(n) => Ok((n, Some(k.span()))),
                    n => Err(self.source.invalid(
                        &k.span(),
                        "grid.kill_at",
                        n,
                        "allowed 0 (run to the end) to 99 (percent of tasks done)",
                    )),
                })
                .collect::<Result<_, _>>()?,
            None => vec![(0, None)],
        };
        d.first_files = match &b.first_files {
            Some(l) => l
                .iter()
                .map(|n| match *n.get_ref() {
                    0 => Err(self.source.invalid(
                        &n.span(),
                        "grid.first_files",
                        0,
                        "allowed 1 up to the corpus's file count",
                    )),
                    n_files => Ok((Some(n_files), Some(n.span()))),
                })
                .collect::<Result<_, _>>()?,
            None => vec![(None, None)],
        };
        d.baseline = b.baseline.unwrap_or(true);
        Ok(())
    }

    /// An error of the builder, placed at the element that caused it.
    fn placed(&self, e: BuildError, point: &[Given], fallback: &Range<usize>) -> ExperimentError {
        let span = point
            .iter()
            .find(|g| g.knob == e.knob)
            .map_or(fallback.clone(), |g| g.span.clone());
        self.source
            .invalid(&span, Self::key(e.knob), e.value, e.allowed)
    }

    /// The distinct workloads of the block, with the grid point each came from.
    fn workloads(
        &self,
        d: &Dims,
        seed: u64,
        out: &mut Expansion,
    ) -> Result<Vec<(Workload, Range<usize>)>, ExperimentError> {
        let lists: Vec<&Vec<Given>> = d.workload_knobs.iter().collect();
        let mut seen: Vec<(Workload, Vec<Given>, Range<usize>)> = Vec::new();
        // Index of each distinct workload in `seen`, by its debug form, so a
        // grid of many points is deduplicated in linear time.
        let mut index: HashMap<String, usize> = HashMap::new();
        for (name, wspan) in &d.workloads {
            let variants = build::variants(name).unwrap_or_default();
            for point in product(&lists) {
                let variant = text_of(&point, Knob::Variant);
                if let Some(v) = variant.as_deref().filter(|v| !variants.contains(v)) {
                    let span = point
                        .iter()
                        .find(|g| g.knob == Knob::Variant)
                        .map_or(wspan.clone(), |g| g.span.clone());
                    out.skipped.push(Skipped {
                        place: self.source.place(span.start),
                        combination: format!("{name} {v}"),
                        reason: format!(
                            "{v} is not a variant of {name} (its variants: {})",
                            variants.join(", ")
                        ),
                    });
                    continue;
                }
                let knobs = workload_knobs(&point, seed);
                let w = build::workload(name, variant.as_deref(), &knobs)
                    .map_err(|e| self.placed(e, &point, wspan))?;
                let key = format!("{w:?}");
                if let Some((_, kept, _)) = index.get(&key).map(|i| &seen[*i]) {
                    let differing: Vec<String> = point
                        .iter()
                        .filter(|g| !kept.iter().any(|k| k.knob == g.knob && k.value == g.value))
                        .map(Given::label)
                        .collect();
                    let reason = if differing.is_empty() {
                        "the same combination is listed twice".to_string()
                    } else {
                        format!(
                            "{} does not apply to {} {}",
                            differing.join(", "),
                            w.name(),
                            w.variant_label()
                        )
                    };
                    let place = self
                        .source
                        .place(point.first().map_or(wspan.start, |g| g.span.start));
                    out.skipped.push(Skipped {
                        place,
                        combination: format!(
                            "{} {}",
                            w.name(),
                            point.iter().map(Given::label).collect::<Vec<_>>().join(" ")
                        ),
                        reason,
                    });
                    continue;
                }
                index.insert(key, seen.len());
                seen.push((w, point, wspan.clone()));
            }
        }
        Ok(seen.into_iter().map(|(w, _, s)| (w, s)).collect())
    }

    /// The distinct strategies of the block; each name takes the product of
    /// only the lists that apply to it.
    fn strategies(&self, d: &Dims) -> Result<Vec<(Strategy, Range<usize>)>, ExperimentError> {
        let mut out: Vec<(Strategy, Range<usize>)> = Vec::new();
        let mut distinct: HashSet<String> = HashSet::new();
        for (name, span) in &d.strategies {
            let lists = d.strategy_lists(name);
            for point in product(&lists) {
                let knobs = StrategyKnobs {
                    threads: count_of(&point, Knob::Threads).into_iter().collect(),
                    batch: count_of(&point, Knob::Batch),
                    tokio_threads: count_of(&point, Knob::TokioThreads),
                    command: text_of(&point, Knob::Command),
                };
                let workers = count_of(&point, Knob::Workers).unwrap_or(4);
                for s in build::strategies(name, workers, &knobs)
                    .map_err(|e| self.placed(e, &point, span))?
                {
                    if distinct.insert(format!("{s:?}")) {
                        out.push((s, span.clone()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Expand one resolved block into `out`.
    pub(super) fn expand_block(
        &self,
        b: &RawGrid,
        index: usize,
        env: &Env,
        seed: u64,
        out: &mut Expansion,
    ) -> Result<(), ExperimentError> {
        self.no_empty_lists(b, index)?;
        let mut d = Dims::default();
        self.workload_dims(b, &mut d)?;
        self.strategy_dims(b, &mut d)?;
        let what = format!(
            "{}: grid block {} ({})",
            self.source.file,
            index + 1,
            b.name.as_deref().unwrap_or("unnamed")
        );
        let count = d.check_size(what)?;
        let so_far = (out.scenarios.len() + out.skipped.len()) as u64;
        limit::check(
            format!("{}: grid blocks 1 to {}", self.source.file, index + 1),
            &[("combinations", so_far.saturating_add(count))],
        )?;
        let workloads = self.workloads(&d, seed, out)?;
        let strategies = self.strategies(&d)?;
        for (w, wspan) in &workloads {
            for (s, sspan) in &strategies {
                let s = match s {
                    Strategy::Command { template, workers } => Strategy::Command {
                        template: env.fill(template, w).map_err(|why| {
                            ExperimentError::Nothing(format!("{}: {why}", self.source.file))
                        })?,
                        workers: *workers,
                    },
                    other => other.clone(),
                };
                for (cache, cspan) in &d.caches {
                    let skip = |span: &Range<usize>, reason: String| Skipped {
                        place: self.source.place(span.start),
                        combination: format!(
                            "{} {} · {} · {}",
                            w.name(),
                            w.variant_label(),
                            s,
                            cache.as_str()
                        ),
                        reason,
                    };
                    if *cache == CacheState::Cold && !w.inputs_matter() {
                        out.skipped.push(skip(
                            cspan.as_ref().unwrap_or(wspan),
                            format!(
                                "{} reads nothing, so a cold cache means nothing for it",
                                w.name()
                            ),
                        ));
                        continue;
                    }
                    if let Some(why) = s.incompatibility(w) {
                        out.skipped.push(skip(sspan, why));
                        continue;
                    }
                    for (files, fspan) in &d.first_files {
                        let mut scenario = Scenario::new(&self.name, w.clone(), s.clone(), *cache);
                        if let Some(n) = files {
                            match scenario.on_first_files(*n) {
                                Ok(x) => scenario = x,
                                Err(why) => {
                                    out.skipped.push(skip(fspan.as_ref().unwrap_or(wspan), why));
                                    continue;
                                }
                            }
                        }
                        for (kill, kspan) in &d.kill_at {
                            if *kill == 0 {
                                out.scenarios.push(scenario.clone());
                                continue;
                            }
                            match scenario.clone().killed_at(*kill) {
                                Ok(k) => out.scenarios.push(k),
                                Err(why) => {
                                    out.skipped.push(skip(kspan.as_ref().unwrap_or(sspan), why))
                                }
                            }
                        }
                        if d.baseline {
                            out.scenarios.push(scenario.baseline());
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
