//! Several experiment files run as one (or the one grid of `iolab run`'s
//! flags, [`super::flags`]): one corpus, one schedule, one run folder.
//!
//! Merge rules (documented in `experiments/README.md`):
//! - scenarios: the union; a scenario id that two files both list runs once
//!   and is recorded under the first file (counted as shared);
//! - corpus: the scale's shape; a file may override `files`, `lines`,
//!   `values`, and files run together must agree; command-line flags win;
//!   the large file is the largest any file asks for, made only when a
//!   scenario needs it;
//! - `reps`, `warmup`, `settle`, `settle_timeout`: the largest any file asks
//!   for (`auto` when any file asks for it, see [`super::reps::Reps::merge`]); the flags `--reps`, `--warmup`, `--settle`, `--settle-timeout`
//!   override every file;
//! - `--only`: scenarios whose `<experiment>/<id>` contains the text, with
//!   their sequential baselines.

use std::collections::BTreeMap;
use std::time::Duration;

use super::file::ExperimentError;
use super::grid::{Expansion, Experiment, Located, Skipped};
use super::reps::Reps;
use super::{default_large_file, Plan, Scenario, Settings};
use crate::measure::quiet::Settle;
use crate::storage::Storage;

/// A plan built from experiment files, with what was left out.
#[derive(Clone, Debug)]
pub struct Planned {
    /// The validated plan.
    pub plan: Plan,
    /// Scenarios per experiment (its own, before sharing and `--only`).
    pub per_experiment: Vec<(String, usize)>,
    /// Skipped combinations, by experiment.
    pub skipped: Vec<(String, Skipped)>,
    /// Scenarios listed by more than one file (run once).
    pub shared: usize,
    /// Scenarios left out by `--only`.
    pub excluded: usize,
}

/// Build one plan from `experiments` at the settings' scale.
///
/// # Errors
/// [`ExperimentError`] for a bad value, files that disagree on the corpus, a
/// corpus the corpus module rejects, or `--only` matching nothing.
pub fn plan(experiments: &[Experiment], settings: &Settings) -> Result<Planned, ExperimentError> {
    let mut expansions: Vec<Expansion> = experiments
        .iter()
        .map(|e| e.expand(settings.scale, settings.seed))
        .collect::<Result<_, _>>()?;
    if let Some(list) = &settings.storages {
        let storages = super::expand::with_twins(list.iter().copied());
        expansions.iter_mut().for_each(|x| x.put_on(&storages));
    }
    let (all, shared) = union(&expansions);
    let total = all.len();
    super::limit::check(
        "these experiment files together",
        &[("scenarios", total as u64)],
    )?;
    something_asked(experiments, &expansions)?;
    let scenarios = only(all, settings.only.as_deref())?;
    let excluded = total - scenarios.len();
    let corpus = corpus(&expansions, settings, &scenarios)?;
    let input = input(&expansions, settings, &scenarios)?;
    if let (Some(set), Some(k)) = (&input, corpus.folders.shards()) {
        return Err(ExperimentError::Nothing(format!(
            "folders = sharded:{k}: the layout of the generated corpus, but this run reads \
             the input set {} (your own files keep their own paths); leave folders out",
            set.dir.display()
        )));
    }
    // An input set's size is known when it is walked.
    if input.is_none() {
        first_files_fit(&expansions, &scenarios, corpus.files)?;
    }
    let settle = settle(&expansions, settings);
    let asked = settings
        .reps
        .or(expansions.iter().filter_map(|x| x.reps).reduce(Reps::merge))
        .unwrap_or(Reps::Fixed(5));
    let (reps, auto) = super::reps::plan_reps(asked, settings.ci_width_pct, settings.budget)?;
    let warmup = expansions.iter().filter_map(|x| x.warmup).max();
    let plan = Plan {
        scenarios,
        corpus,
        input,
        reps,
        auto,
        warmup: settings.warmup.or(warmup).unwrap_or(1),
        order: settings.order,
        settle,
        cold_method: settings.cold_method,
        bootstrap_seed: settings.seed,
    };
    Ok(Planned {
        plan,
        per_experiment: expansions
            .iter()
            .map(|x| (x.experiment.clone(), x.scenarios.len()))
            .collect(),
        skipped: expansions
            .iter()
            .flat_map(|x| x.skipped.iter().map(|s| (x.experiment.clone(), s.clone())))
            .collect(),
        shared,
        excluded,
    })
}

impl Expansion {
    /// Every scenario on each of `storages` in place of its block's own
    /// (`bench-all --storage`), each id once.
    fn put_on(&mut self, storages: &[Storage]) {
        let mut out: Vec<Scenario> = Vec::new();
        for s in &self.scenarios {
            for storage in storages {
                let on = s.clone().on_storage(*storage);
                if !out.iter().any(|o| o.id == on.id) {
                    out.push(on);
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        self.scenarios = out;
    }
}

/// The union of the expansions' scenarios by id (the first file's copy of
/// each), and how many were listed again by a later file.
fn union(expansions: &[Expansion]) -> (BTreeMap<String, Scenario>, usize) {
    let mut all: BTreeMap<String, Scenario> = BTreeMap::new();
    let mut shared = 0;
    for x in expansions {
        for s in &x.scenarios {
            if all.contains_key(&s.id) {
                shared += 1;
            } else {
                all.insert(s.id.clone(), s.clone());
            }
        }
    }
    (all, shared)
}

/// Refuse a `first_files` larger than the corpus's `files` among the
/// scenarios `--only` kept, naming where the largest is set.
fn first_files_fit(
    expansions: &[Expansion],
    scenarios: &[Scenario],
    files: u32,
) -> Result<(), ExperimentError> {
    // Only the scenarios `--only` kept: a left-out scenario's subset needs
    // no larger corpus.
    let Some((n, s)) = scenarios
        .iter()
        .filter_map(|s| s.first_files.map(|n| (n, s)))
        .filter(|&(n, _)| n > files)
        .max_by_key(|&(n, _)| n)
    else {
        return Ok(());
    };
    let allowed = format!(
        "asks for the first {n} files, but the corpus has {files}; lower first_files or use a larger corpus"
    );
    // Where the value is set: the experiment holding the scenario records
    // its largest subset's place.
    let place = expansions
        .iter()
        .filter(|x| x.scenarios.iter().any(|t| t.id == s.id))
        .filter_map(|x| x.first_files.as_ref())
        .find(|f| f.value == n);
    Err(match place {
        Some(f) => ExperimentError::Invalid {
            place: f.place.clone(),
            key: "grid.first_files".into(),
            value: n.to_string(),
            allowed,
        },
        None => ExperimentError::Nothing(format!("{}: {} {allowed}", s.experiment, s.id)),
    })
}

/// The quiet-storage wait: the flags' values, else the largest any file
/// asks for, else the defaults.
fn settle(expansions: &[Expansion], settings: &Settings) -> Settle {
    let idle = settings.settle.unwrap_or_else(|| {
        let asked = expansions.iter().filter_map(|x| x.settle).max();
        asked.unwrap_or(Plan::DEFAULT_SETTLE)
    });
    let timeout = settings.settle_timeout.unwrap_or_else(|| {
        let asked = expansions.iter().filter_map(|x| x.settle_timeout).max();
        asked.unwrap_or(Duration::from_secs(60))
    });
    Settle { idle, timeout }
}

/// Refuse a plan none of whose asked-for scenarios can run (every one
/// skipped, only baselines left), naming why the first was skipped.
fn something_asked(
    experiments: &[Experiment],
    expansions: &[Expansion],
) -> Result<(), ExperimentError> {
    if expansions.iter().any(|x| x.asked > 0) {
        return Ok(());
    }
    let Some(first) = expansions.iter().flat_map(|x| &x.skipped).next() else {
        return Ok(());
    };
    let skipped: usize = expansions.iter().map(|x| x.skipped.len()).sum();
    let what = match experiments {
        [one] => one.source.file.clone(),
        _ => "these experiment files".into(),
    };
    Err(ExperimentError::Nothing(format!(
        "{what}: nothing to run: every combination asked for is meaningless ({skipped} skipped), e.g. {} ({}): {}",
        first.combination, first.place, first.reason
    )))
}

/// Keep the scenarios matching `pattern`, with their baselines.
fn only(
    all: BTreeMap<String, Scenario>,
    pattern: Option<&str>,
) -> Result<Vec<Scenario>, ExperimentError> {
    let Some(p) = pattern else {
        return Ok(all.into_values().collect());
    };
    let matches = |s: &Scenario| format!("{}/{}", s.experiment, s.id).contains(p);
    let wanted: std::collections::HashSet<String> = all
        .values()
        .filter(|s| matches(s))
        .flat_map(|s| [s.id.clone(), s.baseline_id()])
        .collect();
    if wanted.is_empty() {
        let example = all.values().next().map_or(String::new(), |s| {
            format!("; ids look like {}/{}", s.experiment, s.id)
        });
        return Err(ExperimentError::Nothing(format!(
            "--only {p:?} matches no scenario{example}"
        )));
    }
    Ok(all
        .into_values()
        .filter(|s| wanted.contains(&s.id))
        .collect())
}

/// The one value files agree on, if any sets it.
fn agree(
    key: &'static str,
    expansions: &[Expansion],
    get: fn(&Expansion) -> &Option<Located<u32>>,
) -> Result<Option<u32>, ExperimentError> {
    let mut first: Option<&Located<u32>> = None;
    for x in expansions {
        let Some(v) = get(x) else { continue };
        match first {
            Some(f) if f.value != v.value => {
                return Err(ExperimentError::Conflict {
                    key,
                    first: f.place.to_string(),
                    first_value: f.value,
                    second: v.place.to_string(),
                    second_value: v.value,
                })
            }
            Some(_) => {}
            None => first = Some(v),
        }
    }
    Ok(first.map(|f| f.value))
}

/// The input set of the run: `--input`, or the one the files agree on;
/// refused when a scenario's workload cannot run on it.
fn input(
    expansions: &[Expansion],
    settings: &Settings,
    scenarios: &[Scenario],
) -> Result<Option<crate::corpus::InputSpec>, ExperimentError> {
    let mut asked = expansions.iter().filter_map(|x| x.input.as_ref());
    let first = asked.next();
    if let (None, Some(a), Some(b)) = (
        &settings.corpus.input,
        first,
        asked.find(|b| Some(*b) != first),
    ) {
        return Err(ExperimentError::Nothing(format!(
            "the experiment files ask for two input sets ({} and {}); run them apart or pass --input",
            a.dir.display(),
            b.dir.display()
        )));
    }
    let Some(input) = settings.corpus.input.clone().or(first.cloned()) else {
        return Ok(None);
    };
    if let Some((s, why)) = scenarios
        .iter()
        .find_map(|s| s.workload.input_set_refusal().map(|why| (s, why)))
    {
        return Err(ExperimentError::Nothing(format!(
            "{}: cannot run on the input set {} (read-only, your own files): {why}",
            s.id,
            input.dir.display()
        )));
    }
    Ok(Some(input))
}

fn corpus(
    expansions: &[Expansion],
    settings: &Settings,
    scenarios: &[Scenario],
) -> Result<crate::corpus::CorpusSpec, ExperimentError> {
    let mut spec = settings.scale.spec();
    let c = &settings.corpus;
    spec.files = c
        .files
        .or(agree("files", expansions, |x| &x.files)?)
        .unwrap_or(spec.files);
    spec.lines = c
        .lines
        .or(agree("lines", expansions, |x| &x.lines)?)
        .unwrap_or(spec.lines);
    spec.values = c
        .values
        .or(agree("values", expansions, |x| &x.values)?)
        .unwrap_or(spec.values);
    let needs_large = scenarios.iter().any(|s| s.workload.needs_large_file());
    spec.large_file_bytes = match c.large_file {
        Some(bytes) => Some(bytes),
        None if needs_large => Some(
            expansions
                .iter()
                .filter_map(|x| x.large_file)
                .max()
                .unwrap_or_else(|| default_large_file(settings.scale)),
        ),
        None => None,
    };
    spec.folders = match c.folders {
        Some(folders) => folders,
        None => agree_folders(expansions)?.unwrap_or_default(),
    };
    spec.validate()
        .map_err(|e| ExperimentError::Nothing(format!("the corpus of this run: {e}")))?;
    Ok(spec)
}

/// The folder layout the experiment files agree on (one corpus per run).
///
/// # Errors
/// Two files (or tables) asking for different layouts, naming both places.
fn agree_folders(
    expansions: &[Expansion],
) -> Result<Option<crate::corpus::Folders>, ExperimentError> {
    let mut asked = expansions.iter().filter_map(|x| x.folders.as_ref());
    let Some(first) = asked.next() else {
        return Ok(None);
    };
    match asked.find(|o| o.value != first.value) {
        Some(other) => Err(ExperimentError::Nothing(format!(
            "the experiment files ask for two folder layouts of the corpus: folders = {} at {} \
             and folders = {} at {}; one run has one corpus, so pass --folders or run them apart",
            first.value, first.place, other.value, other.place
        ))),
        None => Ok(Some(first.value)),
    }
}
