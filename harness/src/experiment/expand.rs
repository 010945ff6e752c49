//! Expansion of one `[[grid]]` block: check every list element (with its
//! position) against the knob descriptions of the block's workloads and
//! strategies, take the product of the lists that apply to each workload
//! and strategy, and keep the meaningful combinations; the rest are
//! [`Skipped`] with a reason.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;

use super::file::{ExperimentError, RawGrid};
use super::grid::{Env, Expansion, Experiment, Skipped};
use super::keys;
use super::knob_lists::{RawKnob, RawValues};
use super::limit::{self, TooManyScenarios};
use super::{parse_size, Scenario};
use crate::describe::WorkloadDesc;
use crate::describe::{KnobDesc, KnobError, KnobValue, KnobValues};
use crate::measure::cache::CacheState;
use crate::strategy::{self, CommandSpec, Strategy, StrategyKind};
use crate::workload::{self, Workload};

/// One element of a list: which knob (its key), its value, the text
/// shown, where.
#[derive(Clone, Debug)]
struct Given {
    key: &'static str,
    value: KnobValue,
    shown: String,
    span: Range<usize>,
}

impl Given {
    fn label(&self) -> String {
        format!("{}={}", self.key, self.shown)
    }
}

/// The checked lists of a block.
#[derive(Debug, Default)]
struct Dims {
    workloads: Vec<(&'static WorkloadDesc, Range<usize>)>,
    variants: Vec<Given>,
    workload_knobs: Vec<Vec<Given>>,
    strategies: Vec<(StrategyKind, Range<usize>)>,
    workers: Vec<Given>,
    strategy_knobs: Vec<Vec<Given>>,
    caches: Vec<(CacheState, Option<Range<usize>>)>,
    kill_at: Vec<(u32, Option<Range<usize>>)>,
    first_files: Vec<(Option<u32>, Option<Range<usize>>)>,
    baseline: bool,
}

impl Dims {
    /// The lists that apply to strategy `kind`: the worker counts (unless
    /// it is `sequential`) and the lists of the knobs its description has.
    fn strategy_lists(&self, kind: StrategyKind) -> Vec<&Vec<Given>> {
        let desc = kind.desc();
        let workers = (kind != StrategyKind::Sequential).then_some(&self.workers);
        workers
            .into_iter()
            .chain(self.strategy_knobs.iter().filter(|l| {
                l.first()
                    .is_some_and(|g| desc.knobs.iter().any(|k| k.key == g.key))
            }))
            .collect()
    }

    /// The combinations the block expands to (scenarios and skipped ones),
    /// counted from the lists' lengths alone; refused above the limit.
    fn check_size(&self, what: String) -> Result<u64, TooManyScenarios> {
        let len = |l: &Vec<Given>| l.len().max(1) as u64;
        let product =
            |lists: &[&Vec<Given>]| lists.iter().fold(1u64, |a, l| a.saturating_mul(len(l)));
        let mut lists: Vec<&Vec<Given>> = self.workload_knobs.iter().collect();
        lists.push(&self.variants);
        let workloads = (self.workloads.len() as u64).saturating_mul(product(&lists));
        let strategies = self
            .strategies
            .iter()
            .map(|(kind, _)| product(&self.strategy_lists(*kind)))
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

/// The knob values of a grid point.
fn knob_values(point: &[Given], seed: u64) -> KnobValues {
    let mut knobs = KnobValues::seeded(seed);
    for g in point
        .iter()
        .filter(|g| g.key != "variant")
    {
        knobs.set(g.key, g.value.clone());
    }
    knobs
}

fn text_of(point: &[Given], key: &str) -> Option<String> {
    point
        .iter()
        .find(|g| g.key == key)
        .and_then(|g| match &g.value {
            KnobValue::Text(t) => Some(t.clone()),
            KnobValue::Number(_) | KnobValue::Switch(_) => None,
        })
}

/// The descriptions of knob `key`: those of the block's workloads and
/// strategies, else every registered one.
fn descs_of(key: &str, d: &Dims) -> Vec<&'static KnobDesc> {
    let of_block: Vec<&'static KnobDesc> = d
        .workloads
        .iter()
        .flat_map(|(w, _)| w.knobs)
        .chain(d.strategies.iter().flat_map(|(s, _)| s.desc().knobs))
        .filter(|k| k.key == key)
        .collect();
    if !of_block.is_empty() {
        return of_block;
    }
    let workloads = workload::descriptions().into_iter().flat_map(|w| w.knobs);
    let strategies = strategy::descriptions().into_iter().flat_map(|s| s.knobs);
    workloads
        .chain(strategies)
        .chain(std::iter::once(&strategy::WORKERS))
        .filter(|k| k.key == key)
        .collect()
}

impl Experiment {
    fn key(key: &str) -> String {
        format!("grid.{key}")
    }

    /// A number element (`shown` as written: a count, or a size's text),
    /// checked against every description of its knob.
    fn number(
        &self,
        key: &'static str,
        n: u64,
        shown: String,
        span: Range<usize>,
        d: &Dims,
    ) -> Result<Given, ExperimentError> {
        let display = match self.source.text.get(span.clone()) {
            Some(text) if text.starts_with('"') => format!("{shown:?}"),
            Some(_) | None => shown.clone(),
        };
        for knob in descs_of(key, d) {
            knob.check(n).map_err(|e: KnobError| {
                self.source
                    .invalid(&span, Self::key(key), &display, e.allowed)
            })?;
        }
        Ok(Given {
            key,
            value: KnobValue::Number(n),
            shown,
            span,
        })
    }

    fn texts<'a>(
        l: impl IntoIterator<Item = &'a Spanned<String>>,
        key: &'static str,
    ) -> Vec<Given> {
        l.into_iter()
            .map(|s| Given {
                key,
                value: KnobValue::Text(s.get_ref().clone()),
                shown: s.get_ref().clone(),
                span: s.span(),
            })
            .collect()
    }

    /// Names of a choice knob, each checked against its descriptions.
    fn choices<'a>(
        &self,
        l: impl IntoIterator<Item = &'a Spanned<String>>,
        key: &'static str,
        d: &Dims,
    ) -> Result<Vec<Given>, ExperimentError> {
        let given = Self::texts(l, key);
        for g in &given {
            for knob in descs_of(key, d) {
                knob.check_choice(&g.shown).map_err(|e| {
                    self.source.invalid(
                        &g.span,
                        Self::key(key),
                        format!("{:?}", g.shown),
                        e.allowed,
                    )
                })?;
            }
        }
        Ok(given)
    }

    fn counts<'a, T: Copy + Into<u64> + 'a>(
        &self,
        l: impl IntoIterator<Item = &'a Spanned<T>>,
        key: &'static str,
        d: &Dims,
    ) -> Result<Vec<Given>, ExperimentError> {
        l.into_iter()
            .map(|s| {
                let n: u64 = (*s.get_ref()).into();
                self.number(key, n, n.to_string(), s.span(), d)
            })
            .collect()
    }

    fn sizes<'a>(
        &self,
        l: impl IntoIterator<Item = &'a Spanned<String>>,
        key: &'static str,
        d: &Dims,
    ) -> Result<Vec<Given>, ExperimentError> {
        l.into_iter()
            .map(|s| {
                let text = s.get_ref();
                let bytes = parse_size(text).map_err(|e| {
                    self.source.invalid(
                        &s.span(),
                        Self::key(key),
                        format!("{text:?}"),
                        e.to_string(),
                    )
                })?;
                self.number(key, bytes, text.clone(), s.span(), d)
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
            ("kill_at", b.kill_at.as_ref().map(Vec::len)),
            ("first_files", b.first_files.as_ref().map(Vec::len)),
            ("scales", b.scales.as_ref().map(Vec::len)),
        ];
        let knobs = b.knobs.iter().map(|k| (k.knob.key, Some(k.values.len())));
        match lens.into_iter().chain(knobs).find(|(_, n)| *n == Some(0)) {
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
                workload::names().join(", ")
            )));
        };
        for n in names {
            let desc = workload::describe(n.get_ref()).ok_or_else(|| {
                self.source.invalid(
                    &n.span(),
                    "grid.workload",
                    format!("{:?}", n.get_ref()),
                    format!("allowed: {}", workload::names().join(", ")),
                )
            })?;
            d.workloads.push((desc, n.span()));
        }
        let variants = Self::texts(b.variant.iter().flatten(), "variant");
        for v in &variants {
            let known = d
                .workloads
                .iter()
                .any(|(w, _)| w.variant(&v.shown).is_some());
            if !known {
                let allowed: Vec<String> = d
                    .workloads
                    .iter()
                    .map(|(w, _)| {
                        let names: Vec<&str> = w.variants.iter().map(|v| v.name).collect();
                        format!("{}: {}", w.name, names.join(", "))
                    })
                    .collect();
                return Err(self.source.invalid(
                    &v.span,
                    "grid.variant",
                    format!("{:?}", v.shown),
                    format!(
                        "not a variant of any workload of this block; allowed: {}",
                        allowed.join("; ")
                    ),
                ));
            }
        }
        d.variants = variants;
        d.workload_knobs = b
            .knobs
            .iter()
            .map(|k| self.knob_list(k, d))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// One workload knob's list, each value checked against the knob's
    /// descriptions; refused when no workload of the block has the knob.
    fn knob_list(&self, k: &RawKnob, d: &Dims) -> Result<Vec<Given>, ExperimentError> {
        let key = k.knob.key;
        if !d.workloads.iter().any(|(w, _)| w.knob(key).is_some()) {
            let span = k.values.spans().first().cloned().unwrap_or(0..0);
            let value = self.source.text.get(span.clone()).unwrap_or("").trim();
            let names = |ws: Vec<&'static WorkloadDesc>| {
                ws.iter().map(|w| w.name).collect::<Vec<_>>().join(", ")
            };
            let block = names(d.workloads.iter().map(|(w, _)| *w).collect());
            let mut owners = workload::descriptions();
            owners.retain(|w| w.knob(key).is_some());
            let allowed = format!(
                "not a knob of {block} (the workloads of this block); {key} is a knob of {}",
                names(owners)
            );
            return Err(self.source.invalid(&span, Self::key(key), value, allowed));
        }
        match &k.values {
            RawValues::Sizes(l) => self.sizes(l, key, d),
            RawValues::Counts(l) => self.counts(l, key, d),
            RawValues::Choices(l) => self.choices(l, key, d),
            RawValues::Texts(l) => Ok(Self::texts(l, key)),
            RawValues::Switches(l) => Ok(l
                .iter()
                .map(|s| Given {
                    key,
                    value: KnobValue::Switch(*s.get_ref()),
                    shown: s.get_ref().to_string(),
                    span: s.span(),
                })
                .collect()),
        }
    }
}

impl Experiment {
    fn strategy_dims(&self, b: &RawGrid, d: &mut Dims) -> Result<(), ExperimentError> {
        let default = [toml::Spanned::new(0..0, "sequential".to_string())];
        let names = b.strategy.as_deref().unwrap_or(&default);
        for n in names {
            let kind: StrategyKind = n.get_ref().parse().map_err(|e: KnobError| {
                self.source.invalid(
                    &n.span(),
                    "grid.strategy",
                    format!("{:?}", n.get_ref()),
                    e.allowed,
                )
            })?;
            if kind == StrategyKind::Command && b.command.is_none() {
                return Err(self.source.invalid(
                    &n.span(),
                    "grid.strategy",
                    "\"command\"",
                    "the command strategy needs a `command` list of templates in the same block",
                ));
            }
            d.strategies.push((kind, n.span()));
        }
        d.workers = self.counts(b.workers.iter().flatten(), "workers", d)?;
        let knobs = vec![
            self.counts(b.threads.iter().flatten(), "threads", d)?,
            self.counts(b.batch.iter().flatten(), "batch", d)?,
            self.counts(b.tokio_threads.iter().flatten(), "tokio_threads", d)?,
            Self::texts(b.command.iter().flatten(), "command"),
        ];
        d.strategy_knobs = knobs;
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

    /// An error of a build, placed at the element that caused it.
    fn placed(&self, e: KnobError, point: &[Given], fallback: &Range<usize>) -> ExperimentError {
        let span = point
            .iter()
            .find(|g| g.key == e.key)
            .map_or(fallback.clone(), |g| g.span.clone());
        self.source
            .invalid(&span, Self::key(e.key), e.value, e.allowed)
    }

    /// The distinct workloads of the block, with the grid point each came from.
    fn workloads(
        &self,
        d: &Dims,
        seed: u64,
        out: &mut Expansion,
    ) -> Result<Vec<(Workload, Range<usize>)>, ExperimentError> {
        let mut lists: Vec<&Vec<Given>> = vec![&d.variants];
        lists.extend(d.workload_knobs.iter());
        let mut seen: Vec<(Workload, Vec<Given>, Range<usize>)> = Vec::new();
        // Index of each distinct workload in `seen`, by its debug form, so a
        // grid of many points is deduplicated in linear time.
        let mut index: HashMap<String, usize> = HashMap::new();
        for (desc, wspan) in &d.workloads {
            let kind = desc.name;
            for point in product(&lists) {
                let variant = text_of(&point, "variant");
                if let Some(v) = variant.as_deref().filter(|v| desc.variant(v).is_none()) {
                    let span = point
                        .iter()
                        .find(|g| g.key == "variant")
                        .map_or(wspan.clone(), |g| g.span.clone());
                    let names: Vec<&str> = desc.variants.iter().map(|v| v.name).collect();
                    out.skipped.push(Skipped {
                        place: self.source.place(span.start),
                        combination: format!("{kind} {v}"),
                        reason: format!(
                            "{v} is not a variant of {kind} (its variants: {})",
                            names.join(", ")
                        ),
                    });
                    continue;
                }
                let knobs = knob_values(&point, seed);
                let w = workload::build(desc.name, variant.as_deref(), &knobs)
                    .map_err(|e| self.placed(e, &point, wspan))?;
                let key = format!("{w:?}");
                if let Some((_, kept, _)) = index.get(&key).map(|i| &seen[*i]) {
                    let differing: Vec<String> = point
                        .iter()
                        .filter(|g| !kept.iter().any(|k| k.key == g.key && k.value == g.value))
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
        for (kind, span) in &d.strategies {
            let lists = d.strategy_lists(*kind);
            for point in product(&lists) {
                let knobs = knob_values(&point, 0);
                let s = strategy::build(kind.name(), &knobs)
                    .map_err(|e| self.placed(e, &point, span))?;
                if distinct.insert(format!("{s:?}")) {
                    out.push((s, span.clone()));
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
                    Strategy::Command(c) => Strategy::Command(CommandSpec {
                        template: env.fill(&c.template, w).map_err(|why| {
                            ExperimentError::Nothing(format!("{}: {why}", self.source.file))
                        })?,
                        workers: c.workers,
                    }),
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
