//! Expansion of one `[[grid]]` block (written in a file or made from the
//! command line's flags, [`super::flags`]): check every list element (with
//! its place) against the knob descriptions of the block's workloads and
//! strategies, take the product of the lists that apply to each workload
//! and strategy, and keep the meaningful combinations; the rest are
//! [`Skipped`] with a reason.
//!
//! Every knob list is handled the same way, whatever its key: a list
//! applies to the workloads and strategies whose descriptions have its
//! key, is refused when none of the block's has it, and each value is
//! checked against those descriptions. So a knob described once gets its
//! checks, its product and its messages here with nothing else to declare.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;

use super::file::{ExperimentError, RawGrid};
use super::grid::{Env, Expansion, Experiment, Located, Skipped};
use super::keys::{self, Count};
use super::knob_lists::{self, RawKnob, RawValues};
use super::limit::{self, TooManyScenarios};
use super::{parse_size, Scenario};
use crate::corpus::ScratchPolicy;
use crate::describe::{KnobDesc, KnobError, KnobValue, KnobValues, WorkloadDesc};
use crate::measure::cache::CacheState;
use crate::storage::Storage;
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

/// An element of a list that is not a knob, with where it is (`None`: the
/// key's default).
type Placed<T> = (T, Option<Range<usize>>);

/// The checked lists of a block.
#[derive(Debug, Default)]
struct Dims {
    workloads: Vec<(&'static WorkloadDesc, Range<usize>)>,
    variants: Vec<Given>,
    /// The knob lists some workload of the block has.
    workload_knobs: Vec<Vec<Given>>,
    strategies: Vec<(StrategyKind, Range<usize>)>,
    /// The knob lists some strategy of the block has.
    strategy_knobs: Vec<Vec<Given>>,
    caches: Vec<Placed<CacheState>>,
    kill_at: Vec<Placed<u32>>,
    first_files: Vec<Placed<Option<u32>>>,
    /// Scratch policy × files deleted before each repetition.
    scratch: Vec<Placed<(ScratchPolicy, Option<u32>)>>,
    /// The storages, each emulated one followed by its zero-latency twin.
    storages: Vec<Storage>,
    /// The MPI rank counts (`None`: every rank).
    ranks: Vec<Option<u32>>,
    baseline: bool,
}

impl Dims {
    /// The knob lists that apply to strategy `kind`: those of the knobs its
    /// description has (the worker count among them).
    fn strategy_lists(&self, kind: StrategyKind) -> Vec<&Vec<Given>> {
        let desc = kind.desc();
        self.strategy_knobs
            .iter()
            .filter(|l| l.first().is_some_and(|g| desc.knob(g.key).is_some()))
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
                ("scratch", self.scratch.len() as u64),
                ("storage", self.storages.len() as u64),
                ("ranks", self.ranks.len() as u64),
                (
                    "kill_at and baseline",
                    self.kill_at.len() as u64 + u64::from(self.baseline),
                ),
            ],
        )
    }
}

/// The block's storages in its order, each emulated value followed by its
/// zero-latency twin (added as the sequential baseline is, so FUSE's own
/// cost is measured in the same run), each once; `[data-dir]` when the
/// block names none.
fn storages(list: Option<&Vec<Spanned<Storage>>>) -> Vec<Storage> {
    match list {
        Some(list) => with_twins(list.iter().map(Spanned::get_ref).copied()),
        None => vec![Storage::DataDir],
    }
}

/// `list` in its order, each emulated value followed by its zero-latency
/// twin, each once (a block's `storage`, `bench-all --storage`).
pub(super) fn with_twins(list: impl IntoIterator<Item = Storage>) -> Vec<Storage> {
    let mut out: Vec<Storage> = Vec::new();
    for s in list {
        for s in std::iter::once(s).chain(s.twin()) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
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
    for g in point.iter().filter(|g| g.key != "variant") {
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
    knob_lists::registered().filter(|k| k.key == key).collect()
}

/// Whether a workload or strategy block `whole` names, at any scale, has
/// knob `key`.
fn takes_at_some_scale(whole: &RawGrid, key: &str) -> bool {
    let scales = whole.scale.as_ref().map(|s| s.get_ref());
    let tables = std::iter::once(whole).chain(
        scales
            .into_iter()
            .flat_map(|s| [&s.quick, &s.default, &s.seed])
            .flatten(),
    );
    tables.into_iter().any(|t| {
        let workloads = t.workload.iter().flatten();
        let strategies = t.strategy.iter().flatten();
        workloads
            .filter_map(|n| workload::describe(n.get_ref()))
            .any(|w| w.knob(key).is_some())
            || strategies
                .filter_map(|n| strategy::describe(n.get_ref()))
                .any(|s| s.knob(key).is_some())
    })
}

/// Names joined with `, `.
fn names(names: impl IntoIterator<Item = &'static str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
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

    fn counts(
        &self,
        l: &[Spanned<u64>],
        key: &'static str,
        d: &Dims,
    ) -> Result<Vec<Given>, ExperimentError> {
        l.iter()
            .map(|s| {
                let n = *s.get_ref();
                self.number(key, n, n.to_string(), s.span(), d)
            })
            .collect()
    }

    fn sizes(
        &self,
        l: &[Spanned<String>],
        key: &'static str,
        d: &Dims,
    ) -> Result<Vec<Given>, ExperimentError> {
        l.iter()
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
            ("cache", b.cache.as_ref().map(Vec::len)),
            ("kill_at", b.kill_at.as_ref().map(Vec::len)),
            ("first_files", b.first_files.as_ref().map(Vec::len)),
            ("scratch_policy", b.scratch_policy.as_ref().map(Vec::len)),
            ("after_deleting", b.after_deleting.as_ref().map(Vec::len)),
            ("storage", b.storage.as_ref().map(Vec::len)),
            ("ranks", b.ranks.as_ref().map(Vec::len)),
            ("scales", b.scales.as_ref().map(Vec::len)),
        ];
        let knobs = b.knobs.iter().map(|k| (k.knob.key, Some(k.values.len())));
        match lens.into_iter().chain(knobs).find(|(_, n)| *n == Some(0)) {
            Some((key, _)) => Err(ExperimentError::Nothing(format!(
                "{}: `{key} = []` gives no scenarios; leave the key out to take its default",
                self.source.block(index, b.name.as_deref()),
            ))),
            None => Ok(()),
        }
    }

    fn workload_dims(&self, b: &RawGrid, d: &mut Dims) -> Result<(), ExperimentError> {
        let Some(list) = &b.workload else {
            return Err(ExperimentError::Nothing(format!(
                "{}: a [[grid]] block ({}) has no `workload` list; allowed workloads: {}",
                self.source.file,
                b.name.as_deref().unwrap_or("unnamed"),
                workload::names().join(", ")
            )));
        };
        for n in list {
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
        if let Some(v) = variants.iter().find(|v| {
            !d.workloads
                .iter()
                .any(|(w, _)| w.variant(&v.shown).is_some())
        }) {
            return Err(self.unknown_variant(v, d));
        }
        d.variants = variants;
        Ok(())
    }

    /// The error of a variant no workload of the block has, with each
    /// workload's variants.
    fn unknown_variant(&self, v: &Given, d: &Dims) -> ExperimentError {
        let of = |w: &WorkloadDesc| names(w.variants.iter().map(|v| v.name));
        let allowed = match d.workloads.as_slice() {
            [(w, _)] => format!("not a variant of {}; allowed: {}", w.name, of(w)),
            ws => format!(
                "not a variant of any workload of {}; allowed: {}",
                self.source.list_name("workload", "workloads"),
                ws.iter()
                    .map(|(w, _)| format!("{}: {}", w.name, of(w)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        self.source
            .invalid(&v.span, "grid.variant", format!("{:?}", v.shown), allowed)
    }

    /// Every knob list of the block, each value checked against the knob's
    /// descriptions, sorted into the lists of the block's workloads and of
    /// its strategies; a list none of them has is refused, unless the
    /// block (`whole`, before its scale's replacements) names one that has
    /// it at another scale.
    fn knob_dims(&self, b: &RawGrid, whole: &RawGrid, d: &mut Dims) -> Result<(), ExperimentError> {
        for k in &b.knobs {
            let key = k.knob.key;
            let of_workloads = d.workloads.iter().any(|(w, _)| w.knob(key).is_some());
            let of_strategies = d
                .strategies
                .iter()
                .any(|(s, _)| s.desc().knob(key).is_some());
            if !of_workloads && !of_strategies {
                if takes_at_some_scale(whole, key) {
                    continue;
                }
                return Err(self.knob_of_none(k, d));
            }
            let list = self.knob_list(k, d)?;
            if of_workloads {
                d.workload_knobs.push(list.clone());
            }
            if of_strategies {
                d.strategy_knobs.push(list);
            }
        }
        Ok(())
    }

    /// The error of a knob list no workload or strategy of the block has,
    /// naming those that have it.
    fn knob_of_none(&self, k: &RawKnob, d: &Dims) -> ExperimentError {
        let key = k.knob.key;
        let span = k.values.spans().first().cloned().unwrap_or(0..0);
        let value = self.source.text.get(span.clone()).unwrap_or("").trim();
        let workloads: Vec<&'static str> = workload::descriptions()
            .into_iter()
            .filter(|w| w.knob(key).is_some())
            .map(|w| w.name)
            .collect();
        let strategies: Vec<&'static str> = strategy::descriptions()
            .into_iter()
            .filter(|s| s.knob(key).is_some())
            .map(|s| s.name)
            .collect();
        let sides = [
            (
                &workloads,
                names(d.workloads.iter().map(|(w, _)| w.name)),
                self.source.list_name("workload", "workloads"),
            ),
            (
                &strategies,
                names(d.strategies.iter().map(|(s, _)| s.name())),
                self.source.list_name("strategy", "strategies"),
            ),
        ];
        let of_block: Vec<String> = sides
            .iter()
            .filter(|(owners, _, _)| !owners.is_empty())
            .map(|(_, given, list)| format!("{given} ({list})"))
            .collect();
        let owners = workloads.iter().chain(&strategies).copied();
        let allowed = format!(
            "not a knob of {}; {key} is a knob of {}",
            of_block.join(" or "),
            names(owners)
        );
        self.source.invalid(&span, Self::key(key), value, allowed)
    }

    /// One knob's list, each value checked against the knob's descriptions.
    fn knob_list(&self, k: &RawKnob, d: &Dims) -> Result<Vec<Given>, ExperimentError> {
        let key = k.knob.key;
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
            d.strategies.push((kind, n.span()));
        }
        Ok(())
    }

    /// A list of counts that are not knobs, each checked against `range`.
    fn placed_counts(
        &self,
        list: Option<&Vec<Spanned<u32>>>,
        key: &str,
        range: Count,
        allowed: &str,
    ) -> Result<Option<Vec<Placed<u32>>>, ExperimentError> {
        list.map(|l| {
            l.iter()
                .map(|n| match *n.get_ref() {
                    v if range.contains(v) => Ok((v, Some(n.span()))),
                    v => Err(self.source.invalid(&n.span(), Self::key(key), v, allowed)),
                })
                .collect()
        })
        .transpose()
    }

    /// The block's other lists: cache states, kill points, file subsets,
    /// scratch policies and deletions, the baseline switch.
    fn run_dims(&self, b: &RawGrid, d: &mut Dims) -> Result<(), ExperimentError> {
        d.caches = match &b.cache {
            Some(l) => l.iter().map(|c| (*c.get_ref(), Some(c.span()))).collect(),
            None => vec![(CacheState::Warm, None)],
        };
        d.kill_at = self
            .placed_counts(
                b.kill_at.as_ref(),
                "kill_at",
                keys::KILL_AT,
                "allowed 0 (run to the end) to 99 (percent of tasks done)",
            )?
            .unwrap_or_else(|| vec![(0, None)]);
        let first_files = self.placed_counts(
            b.first_files.as_ref(),
            "first_files",
            Count::new(1, u32::MAX),
            "allowed 1 up to the corpus's file count",
        )?;
        d.first_files = match first_files {
            Some(l) => l.into_iter().map(|(n, at)| (Some(n), at)).collect(),
            None => vec![(None, None)],
        };
        let deleted: Vec<Placed<Option<u32>>> = match self.placed_counts(
            b.after_deleting.as_ref(),
            "after_deleting",
            keys::AFTER_DELETING,
            &keys::AFTER_DELETING.allowed(),
        )? {
            Some(l) => l.into_iter().map(|(n, at)| (Some(n), at)).collect(),
            None => vec![(None, None)],
        };
        let policies: Vec<Placed<ScratchPolicy>> = match &b.scratch_policy {
            Some(l) => l.iter().map(|p| (*p.get_ref(), Some(p.span()))).collect(),
            None => vec![(ScratchPolicy::default(), None)],
        };
        d.scratch = policies
            .iter()
            .flat_map(|(p, pspan)| {
                deleted
                    .iter()
                    .map(move |(n, nspan)| ((*p, *n), nspan.clone().or(pspan.clone())))
            })
            .collect();
        d.storages = storages(b.storage.as_ref());
        d.ranks = match self.placed_counts(
            b.ranks.as_ref(),
            "ranks",
            keys::RANKS,
            &keys::RANKS.allowed(),
        )? {
            Some(l) => l.into_iter().map(|(n, _)| Some(n)).collect(),
            None => vec![None],
        };
        d.baseline = b.baseline.unwrap_or(true);
        Ok(())
    }

    /// An error of a build, placed at the element that caused it; a
    /// required knob the block does not give is placed at the strategy (or
    /// workload) that needs it, saying how to give it.
    fn placed(
        &self,
        e: KnobError,
        point: &[Given],
        (key, name, span): (&str, &str, &Range<usize>),
    ) -> ExperimentError {
        match point.iter().find(|g| g.key == e.key) {
            Some(g) => self
                .source
                .invalid(&g.span, Self::key(e.key), e.value, e.allowed),
            None => self.source.invalid(
                span,
                Self::key(key),
                format!("{name:?}"),
                format!("{}; give {}", e.allowed, self.source.key_name(e.key)),
            ),
        }
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
                    out.skipped.push(Skipped {
                        place: self.source.place(span.start),
                        combination: format!("{kind} {v}"),
                        reason: format!(
                            "{v} is not a variant of {kind} (its variants: {})",
                            names(desc.variants.iter().map(|v| v.name))
                        ),
                    });
                    continue;
                }
                let knobs = knob_values(&point, seed);
                let w = workload::build(desc.name, variant.as_deref(), &knobs)
                    .map_err(|e| self.placed(e, &point, ("workload", kind, wspan)))?;
                let key = format!("{w:?}");
                if let Some((_, kept, _)) = index.get(&key).map(|i| &seen[*i]) {
                    out.skipped
                        .push(self.same_workload(&w, &point, kept, wspan));
                    continue;
                }
                index.insert(key, seen.len());
                seen.push((w, point, wspan.clone()));
            }
        }
        Ok(seen.into_iter().map(|(w, _, s)| (w, s)).collect())
    }

    /// A grid point that builds the same workload as an earlier one: the
    /// values that differ do not apply to it.
    fn same_workload(
        &self,
        w: &Workload,
        point: &[Given],
        kept: &[Given],
        wspan: &Range<usize>,
    ) -> Skipped {
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
        Skipped {
            place: self
                .source
                .place(point.first().map_or(wspan.start, |g| g.span.start)),
            combination: format!(
                "{} {}",
                w.name(),
                point.iter().map(Given::label).collect::<Vec<_>>().join(" ")
            ),
            reason,
        }
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
                    .map_err(|e| self.placed(e, &point, ("strategy", kind.name(), span)))?;
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
        (b, whole): (&RawGrid, &RawGrid),
        index: usize,
        env: &Env,
        seed: u64,
        out: &mut Expansion,
    ) -> Result<(), ExperimentError> {
        self.no_empty_lists(b, index)?;
        let mut d = Dims::default();
        self.workload_dims(b, &mut d)?;
        self.strategy_dims(b, &mut d)?;
        self.knob_dims(b, whole, &mut d)?;
        self.run_dims(b, &mut d)?;
        let block = self.source.block(index, b.name.as_deref());
        let count = d.check_size(block.clone())?;
        let so_far = (out.scenarios.len() + out.skipped.len()) as u64;
        let so_far_what = match self.source.origin {
            super::file::Origin::File => {
                format!("{}: grid blocks 1 to {}", self.source.file, index + 1)
            }
            super::file::Origin::Flags(_) => block.clone(),
        };
        limit::check(
            so_far_what,
            &[("combinations", so_far.saturating_add(count))],
        )?;
        let workloads = self.workloads(&d, seed, out)?;
        let strategies = self.strategies(&d)?;
        for (w, wspan) in &workloads {
            for (s, sspan) in &strategies {
                let s = match s {
                    Strategy::Command(c) => Strategy::Command(CommandSpec {
                        template: env
                            .fill(&c.template, w)
                            .map_err(|why| ExperimentError::Nothing(format!("{block}: {why}")))?,
                        workers: c.workers,
                    }),
                    other => other.clone(),
                };
                self.combine(w, (&s, sspan), wspan, &d, out)?;
            }
        }
        Ok(())
    }

    /// The scenarios of workload `w` under strategy `s` in every cache
    /// state, file subset, scratch state and kill point of the block, with
    /// their baselines; the meaningless ones skipped with why.
    fn combine(
        &self,
        w: &Workload,
        (s, sspan): (&Strategy, &Range<usize>),
        wspan: &Range<usize>,
        d: &Dims,
        out: &mut Expansion,
    ) -> Result<(), ExperimentError> {
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
                let reason = format!(
                    "{} reads nothing, so a cold cache means nothing for it",
                    w.name()
                );
                out.skipped
                    .push(skip(cspan.as_ref().unwrap_or(wspan), reason));
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
                    self.note_first_files(*n, fspan.as_ref().unwrap_or(wspan), out);
                }
                for ((((policy, deleted), _), storage), ranks) in d
                    .scratch
                    .iter()
                    .flat_map(|p| d.storages.iter().map(move |s| (p, s)))
                    .flat_map(|ps| d.ranks.iter().map(move |r| (ps, r)))
                {
                    let scenario = scenario
                        .clone()
                        .with_scratch(*policy, *deleted)
                        .map_err(ExperimentError::Nothing)?
                        .on_storage(*storage)
                        .on_ranks(*ranks);
                    for (kill, kspan) in &d.kill_at {
                        let killed = match *kill {
                            0 => Ok(scenario.clone()),
                            pct => scenario.clone().killed_at(pct),
                        };
                        match killed {
                            Ok(k) => {
                                out.asked += 1;
                                out.scenarios.push(k);
                            }
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
        Ok(())
    }

    /// Keep the largest file subset a scenario uses, with where it is set.
    fn note_first_files(&self, n: u32, span: &Range<usize>, out: &mut Expansion) {
        if out.first_files.as_ref().is_none_or(|f| n > f.value) {
            out.first_files = Some(Located {
                value: n,
                place: self.source.place(span.start),
            });
        }
    }
}
