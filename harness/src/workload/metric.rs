//! A user workload's own figures: a [`Metric`] declared once as a `const`
//! (its name, unit and how a repetition combines it: [`Rule`]), listed by
//! [`UserWorkload::metrics`](super::UserWorkload::metrics), returned by a
//! task in [`TaskOutput::metrics`](super::TaskOutput::metrics) as
//! [`Figures`], folded per lane and per process ([`Tally`], [`Totals`])
//! and given to [`UserWorkload::verify_totals`](super::UserWorkload::verify_totals)
//! and to the `m_<name>` columns of `runs.csv` and `summary.csv`.
//!
//! The timed path stores a task's figures (a fixed array, no allocation)
//! and folds them into its lane's tally (a sum, a count and a maximum per
//! metric, no allocation); everything else happens after the region.
//!
//! Owns: the metric types, the folds, each rule's value of a repetition
//! and of several ranks' rows. Does not own: the columns' files
//! (`results`), what a task measures.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The most metrics a workload declares (and so the most figures a task
/// returns): the task's figures are a fixed array, stored without
/// allocating.
pub const MAX_METRICS: usize = 8;

/// A figure of a user's workload, declared once as a `const` and listed
/// by [`UserWorkload::metrics`](super::UserWorkload::metrics). Each becomes
/// the column `m_<name>` of `runs.csv` (its value per repetition, by its
/// [`Rule`]) and of `summary.csv` (the median over repetitions, with
/// `m_<name>_lo` and `m_<name>_hi`, its 95 % interval), and a column of
/// the report's table of the workload's metrics.
///
/// ```
/// use iolab::lab::{Metric, Rule};
///
/// const RAW: Metric = Metric::sum("raw", "B", "bytes read");
/// const PACKED: Metric = Metric::sum("packed", "B", "bytes written, compressed");
/// const RATIO: Metric = Metric::ratio("ratio", &PACKED, &RAW, "packed / raw over the repetition");
///
/// assert_eq!(RATIO.column(), "m_ratio");
/// assert!(matches!(RATIO.rule, Rule::Ratio(n, d) if n.name == "packed" && d.name == "raw"));
/// ```
#[derive(Debug, PartialEq)]
pub struct Metric {
    /// Its name: lowercase letters, digits and `_` (the column is
    /// `m_<name>`).
    pub name: &'static str,
    /// Its unit as shown in the report (`B`, `records`, `%`; empty for a
    /// plain number).
    pub unit: &'static str,
    /// One line: what it measures.
    pub help: &'static str,
    /// How a repetition's tasks (and an MPI run's ranks) combine it.
    pub rule: Rule,
}

/// How a [`Metric`]'s per-task figures make a repetition's value.
#[derive(Debug, PartialEq)]
pub enum Rule {
    /// The sum of the tasks' figures (ranks: the sum).
    Sum,
    /// The mean of the figures of the tasks that returned one (ranks:
    /// weighted by their tasks).
    Mean,
    /// The largest figure (ranks: the largest).
    Max,
    /// The sum of one metric over the sum of another, both `Sum` metrics
    /// the workload lists (ranks: the same over every rank's sums); tasks
    /// do not return it.
    Ratio(&'static Metric, &'static Metric),
}

impl Metric {
    /// A metric whose repetition value is the sum of its tasks' figures.
    pub const fn sum(name: &'static str, unit: &'static str, help: &'static str) -> Metric {
        Metric {
            name,
            unit,
            help,
            rule: Rule::Sum,
        }
    }

    /// A metric whose repetition value is the mean of its tasks' figures.
    pub const fn mean(name: &'static str, unit: &'static str, help: &'static str) -> Metric {
        Metric {
            name,
            unit,
            help,
            rule: Rule::Mean,
        }
    }

    /// A metric whose repetition value is its tasks' largest figure.
    pub const fn max(name: &'static str, unit: &'static str, help: &'static str) -> Metric {
        Metric {
            name,
            unit,
            help,
            rule: Rule::Max,
        }
    }

    /// The sum of `numerator` over the sum of `denominator` (two `Sum`
    /// metrics the workload lists too), computed after the region.
    pub const fn ratio(
        name: &'static str,
        numerator: &'static Metric,
        denominator: &'static Metric,
        help: &'static str,
    ) -> Metric {
        Metric {
            name,
            unit: "",
            help,
            rule: Rule::Ratio(numerator, denominator),
        }
    }

    /// Its column in `runs.csv` and `summary.csv`: `m_<name>`.
    pub fn column(&self) -> String {
        column(self.name)
    }

    /// Its value for a repetition whose tasks' figures folded to `totals`
    /// (`None`: no task returned it, or a ratio over a zero sum).
    pub fn value(&self, totals: &Totals) -> Option<f64> {
        let acc = |m: &Metric| totals.0.get(m.name).copied();
        match self.rule {
            Rule::Sum => acc(self).map(|a| a.sum),
            Rule::Mean => acc(self).filter(|a| a.n > 0).map(|a| a.sum / a.n as f64),
            Rule::Max => acc(self).map(|a| a.max),
            Rule::Ratio(n, d) => {
                let den = acc(d)?.sum;
                (den != 0.0).then(|| acc(n).map_or(0.0, |a| a.sum) / den)
            }
        }
    }

    /// Its value over several ranks' rows of one repetition, each a map of
    /// metric values by name with its task count (the aggregate `all`
    /// row of an MPI run).
    pub fn combine(&self, rows: &[(&BTreeMap<String, f64>, u64)]) -> Option<f64> {
        fn of<'a>(
            rows: &'a [(&BTreeMap<String, f64>, u64)],
            m: &'a Metric,
        ) -> impl Iterator<Item = (f64, u64)> + 'a {
            rows.iter()
                .filter_map(move |(v, n)| Some((*v.get(m.name)?, *n)))
        }
        let sum = |m: &Metric| -> Option<f64> {
            let mut values = of(rows, m).peekable();
            values.peek()?;
            Some(values.map(|(v, _)| v).sum())
        };
        match self.rule {
            Rule::Sum => sum(self),
            Rule::Max => of(rows, self).map(|(v, _)| v).reduce(f64::max),
            Rule::Mean => {
                let (sum, n) =
                    of(rows, self).fold((0.0, 0u64), |(s, c), (v, n)| (s + v * n as f64, c + n));
                (n > 0).then(|| sum / n as f64)
            }
            // A ratio of rows is the ratio of its two sums, never a mean of
            // the rows' ratios.
            Rule::Ratio(n, d) => {
                let den = sum(d).filter(|&d| d != 0.0)?;
                Some(sum(n)? / den)
            }
        }
    }
}

/// The column of the metric named `name`: `m_<name>`.
pub fn column(name: &str) -> String {
    format!("m_{name}")
}

/// The name of the metric whose column is `column`, if it is one.
pub fn metric_of(column: &str) -> Option<&str> {
    column.strip_prefix("m_")
}

/// The figures one task returns: at most [`MAX_METRICS`], each a metric
/// and its value, in a fixed array (a task's return costs no allocation).
///
/// ```
/// use iolab::lab::Metric;
/// use iolab::workload::Figures;
///
/// const RAW: Metric = Metric::sum("raw", "B", "bytes read");
/// let figures = Figures::new().with(&RAW, 4096.0);
/// assert_eq!(figures.get(&RAW), Some(4096.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figures {
    entries: [Option<(&'static Metric, f64)>; MAX_METRICS],
}

impl Figures {
    /// No figures (what the built-in workloads return).
    pub const NONE: Figures = Figures {
        entries: [None; MAX_METRICS],
    };

    /// No figures yet.
    pub const fn new() -> Figures {
        Figures::NONE
    }

    /// These figures and `metric`'s `value` (replacing an earlier value of
    /// the same metric).
    ///
    /// # Panics
    /// With more than [`MAX_METRICS`] metrics, which no registered
    /// workload declares: the task fails with this message.
    #[must_use]
    pub fn with(mut self, metric: &'static Metric, value: f64) -> Figures {
        let slot = self
            .entries
            .iter()
            .position(|e| e.is_none_or(|(m, _)| m.name == metric.name));
        match slot {
            Some(i) => self.entries[i] = Some((metric, value)),
            None => panic!(
                "metric {}: a task returns at most {MAX_METRICS} figures",
                metric.name
            ),
        }
        self
    }

    /// The value of `metric`, if the task returned one.
    pub fn get(&self, metric: &Metric) -> Option<f64> {
        self.iter()
            .find(|(m, _)| m.name == metric.name)
            .map(|(_, v)| v)
    }

    /// Whether the task returned no figure.
    pub fn is_empty(&self) -> bool {
        self.entries[0].is_none()
    }

    /// Each metric and its value.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Metric, f64)> + '_ {
        self.entries.iter().map_while(|e| *e)
    }
}

/// One metric's figures folded: their sum, how many, the largest.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Acc {
    /// Sum of the figures.
    pub sum: f64,
    /// How many tasks returned one.
    pub n: u64,
    /// The largest.
    pub max: f64,
}

impl Acc {
    const EMPTY: Acc = Acc {
        sum: 0.0,
        n: 0,
        max: f64::MIN,
    };

    fn add(&mut self, v: f64) {
        self.sum += v;
        self.n += 1;
        self.max = self.max.max(v);
    }

    fn merge(&mut self, o: &Acc) {
        self.sum += o.sum;
        self.n += o.n;
        self.max = self.max.max(o.max);
    }
}

/// A lane's fold of its tasks' figures, in a fixed array: adding a task's
/// figures inside the timed region allocates nothing.
#[derive(Clone, Copy, Debug, Default)]
#[doc(hidden)]
pub struct Tally {
    slots: [Option<(&'static str, Acc)>; MAX_METRICS],
}

impl Tally {
    /// Fold one task's figures in.
    #[inline]
    pub fn add(&mut self, figures: &Figures) {
        for (metric, value) in figures.iter() {
            let slot = self
                .slots
                .iter_mut()
                .find(|s| s.is_none_or(|(name, _)| name == metric.name));
            if let Some(slot) = slot {
                slot.get_or_insert((metric.name, Acc::EMPTY)).1.add(value);
            }
        }
    }

    /// The fold as totals by name (after the region).
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for (name, acc) in self.slots.iter().map_while(|s| *s) {
            t.0.entry(name.to_string())
                .or_insert(Acc::EMPTY)
                .merge(&acc);
        }
        t
    }
}

/// A repetition's figures folded, by metric name: what a worker process
/// sends back after the region, what [`Metric::value`] reads, and what
/// [`UserWorkload::verify_totals`](super::UserWorkload::verify_totals)
/// receives.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals(BTreeMap<String, Acc>);

impl Totals {
    /// Fold `other` in (another lane's, another process's).
    pub fn merge(&mut self, other: &Totals) {
        for (name, acc) in &other.0 {
            self.0.entry(name.clone()).or_insert(Acc::EMPTY).merge(acc);
        }
    }

    /// `metric`'s value by its rule ([`Metric::value`]).
    pub fn get(&self, metric: &Metric) -> Option<f64> {
        metric.value(self)
    }

    /// How many tasks returned `metric`.
    pub fn tasks(&self, metric: &Metric) -> u64 {
        self.0.get(metric.name).map_or(0, |a| a.n)
    }

    /// Each metric's value by its rule, for `metrics` (a row's columns).
    pub fn values(&self, metrics: &[&'static Metric]) -> BTreeMap<String, f64> {
        metrics
            .iter()
            .filter_map(|m| Some((m.name.to_string(), m.value(self)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: Metric = Metric::sum("raw", "B", "");
    const PACKED: Metric = Metric::sum("packed", "B", "");
    const RATIO: Metric = Metric::ratio("ratio", &PACKED, &RAW, "");
    const MEAN: Metric = Metric::mean("mean", "", "");
    const MOST: Metric = Metric::max("most", "", "");

    fn lane(tasks: &[(f64, f64)]) -> Tally {
        let mut t = Tally::default();
        for (raw, packed) in tasks {
            let f = Figures::new()
                .with(&RAW, *raw)
                .with(&PACKED, *packed)
                .with(&MEAN, *raw)
                .with(&MOST, *packed);
            t.add(&f);
        }
        t
    }

    #[test]
    fn each_rule_folds_its_tasks_across_lanes() {
        let mut totals = lane(&[(100.0, 30.0), (300.0, 90.0)]).totals();
        totals.merge(&lane(&[(200.0, 80.0)]).totals());
        assert_eq!(totals.get(&RAW), Some(600.0));
        assert_eq!(totals.get(&PACKED), Some(200.0));
        assert_eq!(totals.get(&RATIO), Some(200.0 / 600.0));
        assert_eq!(totals.get(&MEAN), Some(200.0));
        assert_eq!(totals.get(&MOST), Some(90.0));
        assert_eq!(totals.tasks(&RAW), 3);
    }

    #[test]
    fn a_metric_no_task_returned_has_no_value() {
        let totals = Tally::default().totals();
        assert_eq!(totals.get(&RAW), None);
        assert_eq!(totals.get(&RATIO), None, "a ratio over nothing");
        assert!(Figures::NONE.is_empty());
    }

    #[test]
    fn ranks_combine_by_the_rule() {
        let a: BTreeMap<String, f64> = [
            ("raw", 100.0),
            ("packed", 50.0),
            ("mean", 10.0),
            ("most", 7.0),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .into();
        let b: BTreeMap<String, f64> = [
            ("raw", 300.0),
            ("packed", 50.0),
            ("mean", 20.0),
            ("most", 3.0),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .into();
        let rows = [(&a, 1), (&b, 3)];
        assert_eq!(RAW.combine(&rows), Some(400.0));
        assert_eq!(RATIO.combine(&rows), Some(0.25));
        assert_eq!(MEAN.combine(&rows), Some(17.5), "weighted by tasks");
        assert_eq!(MOST.combine(&rows), Some(7.0));
        assert_eq!(RAW.combine(&[]), None);
    }

    #[test]
    fn a_figure_given_twice_keeps_the_last() {
        let f = Figures::new().with(&RAW, 1.0).with(&RAW, 2.0);
        assert_eq!(f.get(&RAW), Some(2.0));
        assert_eq!(f.iter().count(), 1);
    }
}
