//! One experiment file at one scale: its `[scale.<name>]` overrides applied,
//! every value checked (with the file, line and column of any bad one), and
//! its grid blocks expanded into scenarios. Meaningless combinations (a cold
//! cache for a workload that reads nothing, an event loop asked to page-fault
//! an mmap, a knob that does not apply to a variant) are skipped with a note
//! and counted, not fatal.
//!
//! Owns: resolution and expansion of one file. Does not own: the rules for
//! building a workload or strategy ([`super::build`]) or merging several
//! files into one plan ([`super::set`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::file::{ExperimentError, Place, RawCorpus, RawExperiment, RawGrid, RawReps, Source};
use super::keys::{self, Count};
use super::{parse_size, Scenario, Wait};
use crate::corpus::Scale;
use crate::strategy::shell_word;
use crate::workload::Workload;

/// A parsed experiment file.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// Its name: the file stem (`save` for `experiments/save.toml`).
    pub name: String,
    /// Its text and path.
    pub source: Source,
    raw: RawExperiment,
}

/// A combination the grid names but that means nothing, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Where the grid names it.
    pub place: Place,
    /// The combination, e.g. `scan mmap · tokio(4 threads, 4 in flight) · warm`.
    pub combination: String,
    /// Why it was skipped.
    pub reason: String,
}

/// A corpus value an experiment sets, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is set.
    pub place: Place,
}

/// What one experiment contributes at one scale.
#[derive(Clone, Debug, Default)]
pub struct Expansion {
    /// The experiment's name.
    pub experiment: String,
    /// Its scenarios, sorted by id, baselines included.
    pub scenarios: Vec<Scenario>,
    /// Combinations skipped, with reasons.
    pub skipped: Vec<Skipped>,
    /// Measured repetitions it asks for.
    pub reps: Option<super::reps::Reps>,
    /// Warm-ups it asks for.
    pub warmup: Option<u32>,
    /// Settle window it asks for.
    pub settle: Option<Duration>,
    /// Longest settle wait it asks for.
    pub settle_timeout: Option<Duration>,
    /// Corpus files it asks for.
    pub files: Option<Located<u32>>,
    /// Corpus lines it asks for.
    pub lines: Option<Located<u32>>,
    /// Corpus values it asks for.
    pub values: Option<Located<u32>>,
    /// Large-file bytes it asks for.
    pub large_file: Option<u64>,
    /// The folder layout it asks for (`[corpus] folders`).
    pub folders: Option<Located<crate::corpus::Folders>>,
    /// The user's input set it asks for (`[corpus] input`).
    pub input: Option<crate::corpus::InputSpec>,
    /// Scenarios its grids ask for, not counting the sequential baselines
    /// added for them: none while some were skipped means nothing it asks
    /// for can run.
    pub asked: usize,
    /// The most corpus files a scenario of it uses (`first_files`), with
    /// where that is set.
    pub first_files: Option<Located<u32>>,
}

impl Experiment {
    /// Read and parse `path`, then check it at every scale, so a bad value
    /// in any `[scale.*]` table is reported before anything runs.
    ///
    /// # Errors
    /// [`ExperimentError`] with the file, line and column.
    pub fn load(path: &Path) -> Result<Experiment, ExperimentError> {
        let source = Source::read(path)?;
        let name = path
            .file_stem()
            .map_or_else(|| "experiment".into(), |s| s.to_string_lossy().into_owned());
        let e = Experiment::from_source(&name, source)?;
        if e.raw.grid.is_empty() {
            return Err(ExperimentError::Nothing(format!(
                "{}: no [[grid]] block: an experiment needs at least one, e.g.\n[[grid]]\nworkload = [\"read\"]\nstrategy = [\"sequential\", \"threads\"]",
                e.source.file
            )));
        }
        for scale in [Scale::Quick, Scale::Default, Scale::Seed] {
            e.expand(scale, 0)?;
        }
        Ok(e)
    }

    /// The experiment named `name` whose text is `source`'s.
    ///
    /// # Errors
    /// [`ExperimentError`] with the place of the first bad key or value.
    pub(super) fn from_source(name: &str, source: Source) -> Result<Experiment, ExperimentError> {
        let raw = source.parse()?;
        Ok(Experiment {
            name: name.to_string(),
            source,
            raw,
        })
    }

    /// The file's description, if any.
    pub fn description(&self) -> Option<&str> {
        self.raw.description.as_deref()
    }

    /// The claim ids the file says it provides evidence for.
    pub fn claims(&self) -> Vec<String> {
        self.raw
            .claims
            .iter()
            .map(|c| c.get_ref().clone())
            .collect()
    }

    /// Resolve the file at `scale` and expand its grid; `seed` seeds random
    /// offsets.
    ///
    /// # Errors
    /// [`ExperimentError::Invalid`] naming the first bad value.
    pub fn expand(&self, scale: Scale, seed: u64) -> Result<Expansion, ExperimentError> {
        let mut out = self.run_values(scale)?;
        out.experiment = self.name.clone();
        let env = Env::new(&self.source.path);
        for (i, whole) in self.raw.grid.iter().enumerate() {
            let block = self.resolve_block(whole, scale, i)?;
            let runs_here = block
                .scales
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| *x.get_ref() == scale));
            if runs_here {
                self.expand_block((&block, whole), i, &env, seed, &mut out)?;
            }
        }
        out.scenarios.sort_by(|a, b| a.id.cmp(&b.id));
        out.scenarios.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    fn run_values(&self, scale: Scale) -> Result<Expansion, ExperimentError> {
        let r = &self.raw;
        let o = r.scale.as_ref().and_then(|s| s.get(scale));
        let reps = o.and_then(|o| o.reps.as_ref()).or(r.reps.as_ref());
        let warmup = o.and_then(|o| o.warmup.as_ref()).or(r.warmup.as_ref());
        let settle = o.and_then(|o| o.settle.as_ref()).or(r.settle.as_ref());
        let timeout = o
            .and_then(|o| o.settle_timeout.as_ref())
            .or(r.settle_timeout.as_ref());
        let empty = RawCorpus::default();
        let base = r.corpus.as_ref().unwrap_or(&empty);
        let over = o.and_then(|o| o.corpus.as_ref()).unwrap_or(&empty);
        let pick =
            |f: fn(&RawCorpus) -> &Option<Spanned<u32>>| f(over).as_ref().or(f(base).as_ref());
        let mut out = Expansion {
            reps: reps.map(|v| self.reps(v)).transpose()?,
            warmup: warmup
                .map(|v| self.count(v, "warmup", keys::WARMUP))
                .transpose()?,
            ..Expansion::default()
        };
        out.settle = settle
            .map(|s| self.duration(s, "settle", Wait::Settle))
            .transpose()?;
        out.settle_timeout = timeout
            .map(|s| self.duration(s, "settle_timeout", Wait::SettleTimeout))
            .transpose()?;
        out.files = self.corpus_count(pick(|c| &c.files), "corpus.files", keys::CORPUS_FILES)?;
        out.lines = self.corpus_count(pick(|c| &c.lines), "corpus.lines", keys::CORPUS_LINES)?;
        out.values =
            self.corpus_count(pick(|c| &c.values), "corpus.values", keys::CORPUS_VALUES)?;
        if let Some(l) = over.large_file.as_ref().or(base.large_file.as_ref()) {
            let bytes = parse_size(l.get_ref()).map_err(|e| {
                self.source
                    .invalid(&l.span(), "corpus.large_file", l.get_ref(), e.to_string())
            })?;
            if bytes == 0 || bytes > crate::corpus::MAX_LARGE_FILE_BYTES {
                return Err(self.source.invalid(
                    &l.span(),
                    "corpus.large_file",
                    l.get_ref(),
                    "allowed 1 byte to 1TiB",
                ));
            }
            out.large_file = Some(bytes);
        }
        if let Some(f) = over.folders.as_ref().or(base.folders.as_ref()) {
            let value = f.get_ref().parse().map_err(|_| {
                self.source.invalid(
                    &f.span(),
                    "corpus.folders",
                    f.get_ref(),
                    format!("allowed: {}", crate::corpus::FOLDERS_ALLOWED),
                )
            })?;
            out.folders = Some(Located {
                value,
                place: self.source.place(f.span().start),
            });
        }
        if let Some(dir) = over.input.as_ref().or(base.input.as_ref()) {
            let glob = over.input_glob.as_ref().or(base.input_glob.as_ref());
            let spec = crate::corpus::InputSpec::new(
                std::path::Path::new(dir.get_ref()),
                glob.map(|g| g.get_ref().clone()),
                crate::corpus::InputCheck::Fast,
            );
            out.input = Some(spec.map_err(|e| {
                let at = glob.map_or(dir.span(), Spanned::span);
                self.source.invalid(&at, "corpus.input", dir.get_ref(), e)
            })?);
        }
        Ok(out)
    }

    fn duration(
        &self,
        s: &Spanned<String>,
        key: &str,
        kind: Wait,
    ) -> Result<Duration, ExperimentError> {
        kind.parse(s.get_ref()).map_err(|allowed| {
            self.source
                .invalid(&s.span(), key, format!("{:?}", s.get_ref()), allowed)
        })
    }

    fn count(&self, v: &Spanned<u32>, key: &str, range: Count) -> Result<u32, ExperimentError> {
        let n = *v.get_ref();
        if range.contains(n) {
            Ok(n)
        } else {
            Err(self.source.invalid(&v.span(), key, n, range.allowed()))
        }
    }

    /// `reps = 5` or `reps = "auto"`, checked.
    fn reps(&self, v: &Spanned<RawReps>) -> Result<super::reps::Reps, ExperimentError> {
        let (text, shown) = match v.get_ref() {
            RawReps::Count(n) => (n.to_string(), n.to_string()),
            RawReps::Text(t) => (t.clone(), format!("{t:?}")),
        };
        super::reps::parse(&text).map_err(|allowed| {
            self.source
                .invalid(&v.span(), "reps", shown, format!("expected {allowed}"))
        })
    }

    fn corpus_count(
        &self,
        v: Option<&Spanned<u32>>,
        key: &str,
        range: Count,
    ) -> Result<Option<Located<u32>>, ExperimentError> {
        v.map(|v| {
            Ok(Located {
                value: self.count(v, key, range)?,
                place: self.source.place(v.span().start),
            })
        })
        .transpose()
    }

    /// The block with its `[grid.scale.<scale>]` keys put in place.
    fn resolve_block(
        &self,
        block: &RawGrid,
        scale: Scale,
        index: usize,
    ) -> Result<RawGrid, ExperimentError> {
        let Some(scales) = &block.scale else {
            return Ok(block.clone());
        };
        let Some(o) = scales.get_ref().get(scale) else {
            return Ok(block.clone());
        };
        if o.scale.is_some() || o.scales.is_some() {
            return Err(self.source.invalid(
                &scales.span(),
                format!("grid[{index}].scale"),
                "a nested scale or scales key",
                "[grid.scale.<name>] replaces knobs of its block; it cannot hold `scale` or `scales`",
            ));
        }
        Ok(overlay(block.clone(), o))
    }
}

/// `base` with every key `o` sets replaced.
fn overlay(mut base: RawGrid, o: &RawGrid) -> RawGrid {
    macro_rules! take {
        ($($f:ident),*) => { $( if o.$f.is_some() { base.$f = o.$f.clone(); } )* };
    }
    take!(
        name,
        baseline,
        workload,
        variant,
        strategy,
        cache,
        kill_at,
        first_files,
        scratch_policy,
        after_deleting,
        storage,
        ranks
    );
    for k in &o.knobs {
        base.knobs.retain(|b| b.knob.key != k.knob.key);
        base.knobs.push(k.clone());
    }
    base
}

/// Placeholders of command templates that depend on where the experiment
/// file is: `{experiments}`, `{scripts}`, `{python}`.
#[derive(Clone, Debug)]
pub(super) struct Env {
    experiments: PathBuf,
    scripts: PathBuf,
    python: String,
}

impl Env {
    fn new(file: &Path) -> Env {
        let dir = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let experiments = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let scripts = super::python::scripts_dir(&experiments);
        let python = super::python::interpreter(&scripts);
        Env {
            experiments,
            scripts,
            python,
        }
    }

    /// `template` with `{python}`, `{scripts}`, `{experiments}` and
    /// `{append_lines}` filled in, paths as quoted shell words.
    ///
    /// # Errors
    /// A path that cannot be a shell word (not UTF-8).
    pub(super) fn fill(&self, template: &str, workload: &Workload) -> Result<String, String> {
        let lines = match workload {
            Workload::Append(a) => a.lines.to_string(),
            _ => String::new(),
        };
        Ok(template
            .replace("{python}", &self.python)
            .replace("{scripts}", &shell_word(&self.scripts)?)
            .replace("{experiments}", &shell_word(&self.experiments)?)
            .replace("{append_lines}", &lines))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn commands_go_by_their_script() {
        use crate::strategy::command_name;
        assert_eq!(
            command_name("/x/.venv/bin/python /x/scripts/python/save_process_pool.py {corpus} {dest} {workers}"),
            "save_process_pool"
        );
        assert_eq!(
            command_name(
                "sh -c 'echo \"iolab-skip: no\" >&2; exit 3' -- /s/load_nested.py {corpus}"
            ),
            "load_nested"
        );
        assert_eq!(command_name("cp -r {corpus} {dest}"), "cp");
        assert_eq!(command_name("LC_ALL=C python3 -u {scripts}/x"), "x");
    }
}
