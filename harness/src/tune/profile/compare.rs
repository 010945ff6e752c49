//! How this machine differs from another profile (or from an earlier
//! profile of the same machine): the machine and settings that differ, and
//! per workload both recommendations side by side with the ratio of their
//! expected throughputs.
//!
//! Owns: the comparison ([`compare`]); its table is
//! `crate::tune::render::compare`'s. A
//! different recommendation whose throughput is indistinguishable from the
//! other's (intervals overlap, or medians within the tolerance — the knee's
//! rule, [`indistinguishable`]) is reported as "same within noise": on one
//! machine that is what a repeat run that picked another setting means.

use std::fmt;

use crate::workload::WorkloadId;

use serde::{Deserialize, Serialize};

use super::{indistinguishable, Choice, Profile};

/// Verdict on one workload's recommendations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The same setting.
    Same,
    /// Different settings whose throughputs cannot be told apart.
    SameWithinNoise,
    /// Different settings with clearly different throughputs.
    Different,
    /// Only this profile has a recommendation.
    OnlyHere,
    /// Only the other profile has one.
    OnlyThere,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Same => "same",
            Verdict::SameWithinNoise => "same within noise",
            Verdict::Different => "DIFFERENT",
            Verdict::OnlyHere => "only here",
            Verdict::OnlyThere => "only there",
        })
    }
}

/// One workload (at one setting of its knobs) in both profiles.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadComparison {
    /// Workload.
    pub workload: WorkloadId,
    /// How its row reads: the name, with its knobs where either profile
    /// tuned it at several settings of them.
    pub label: String,
    /// This profile's recommendation.
    pub here: Option<Choice>,
    /// The other profile's.
    pub there: Option<Choice>,
    /// Expected throughput here / there, with a conservative interval
    /// `[low_here / high_there, high_here / low_there]`.
    pub ratio: Option<(f64, f64, f64)>,
    /// The verdict.
    pub verdict: Verdict,
    /// Whether either sweep saw its sequential baseline drift between
    /// rounds (the machine, not the setting, may explain a difference).
    pub drift: bool,
}

/// A field of the machine or the settings that differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Field name.
    pub field: String,
    /// Value here.
    pub here: String,
    /// Value there.
    pub there: String,
}

/// Two profiles compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Machine and settings fields that differ.
    pub differences: Vec<Difference>,
    /// Workloads of either profile, this one's order first.
    pub workloads: Vec<WorkloadComparison>,
}

impl Comparison {
    /// Workloads whose recommendations differ beyond noise.
    pub fn different(&self) -> usize {
        self.workloads
            .iter()
            .filter(|w| w.verdict == Verdict::Different)
            .count()
    }
}

/// Compare profile `here` with `there`, using `here`'s tolerance.
pub fn compare(here: &Profile, there: &Profile) -> Comparison {
    let tolerance = here.settings.tolerance;
    let mut ids: Vec<(WorkloadId, &str, String)> = Vec::new();
    for (p, w) in here
        .workloads
        .iter()
        .map(|w| (here, w))
        .chain(there.workloads.iter().map(|w| (there, w)))
    {
        if !ids
            .iter()
            .any(|(id, v, _)| *id == w.workload && *v == w.variant)
        {
            ids.push((w.workload, &w.variant, p.label(w)));
        }
    }
    let workloads = ids
        .into_iter()
        .map(|(id, variant, label)| {
            let (h, t) = (here.entry(id, variant), there.entry(id, variant));
            let mut c = compare_one(
                id,
                h.and_then(|w| w.recommended.clone()),
                t.and_then(|w| w.recommended.clone()),
                tolerance,
            );
            c.label = label;
            c.drift = [h, t].iter().flatten().any(|w| w.drift.is_some());
            c
        })
        .collect();
    Comparison {
        differences: differences(here, there),
        workloads,
    }
}

fn compare_one(
    workload: WorkloadId,
    here: Option<Choice>,
    there: Option<Choice>,
    tolerance: f64,
) -> WorkloadComparison {
    let (verdict, ratio) = match (&here, &there) {
        (Some(h), Some(t)) => {
            let ratio = (t.mb_per_s > 0.0 && t.mb_per_s_low > 0.0).then(|| {
                (
                    h.mb_per_s / t.mb_per_s,
                    h.mb_per_s_low / t.mb_per_s_high.max(f64::MIN_POSITIVE),
                    h.mb_per_s_high / t.mb_per_s_low,
                )
            });
            let verdict = if h.setting == t.setting {
                Verdict::Same
            } else if indistinguishable(&h.estimate(), &t.estimate(), tolerance) {
                Verdict::SameWithinNoise
            } else {
                Verdict::Different
            };
            (verdict, ratio)
        }
        (Some(_), None) => (Verdict::OnlyHere, None),
        _ => (Verdict::OnlyThere, None),
    };
    WorkloadComparison {
        workload,
        label: workload.to_string(),
        here,
        there,
        ratio,
        verdict,
        drift: false,
    }
}

fn differences(here: &Profile, there: &Profile) -> Vec<Difference> {
    let gib = |b: u64| format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30));
    let opt = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    let (a, b) = (&here.machine, &there.machine);
    let (s, t) = (&here.settings, &there.settings);
    let fields: Vec<(&str, String, String)> = vec![
        ("host", a.hostname.clone(), b.hostname.clone()),
        ("cpu", a.cpu_model.clone(), b.cpu_model.clone()),
        (
            "logical cpus",
            a.logical_cpus.to_string(),
            b.logical_cpus.to_string(),
        ),
        (
            "physical cores",
            opt(a.physical_cores.map(|c| c.to_string())),
            opt(b.physical_cores.map(|c| c.to_string())),
        ),
        ("memory", gib(a.memory_bytes), gib(b.memory_bytes)),
        ("os", a.os.clone(), b.os.clone()),
        ("kernel", a.kernel.clone(), b.kernel.clone()),
        ("filesystem", a.filesystem.clone(), b.filesystem.clone()),
        (
            "device",
            opt(a.block_device.clone()),
            opt(b.block_device.clone()),
        ),
        (
            "rotational",
            opt(a.rotational.map(|r| r.to_string())),
            opt(b.rotational.map(|r| r.to_string())),
        ),
        (
            "corpus",
            format!("{}×{}×{}", s.files, s.lines, s.values),
            format!("{}×{}×{}", t.files, t.lines, t.values),
        ),
        ("cache", s.cache.clone(), t.cache.clone()),
        ("reps", s.reps.to_string(), t.reps.to_string()),
    ];
    fields
        .into_iter()
        .filter(|(_, h, t)| h != t)
        .map(|(f, h, t)| Difference {
            field: f.into(),
            here: h,
            there: t,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkloadKind;

    fn choice(setting: &str, mb: f64, half: f64) -> Choice {
        Choice {
            strategy: setting
                .split('(')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_default(),
            setting: setting.into(),
            workers: 1,
            processes: 1,
            threads: 1,
            mb_per_s: mb,
            mb_per_s_low: mb - half,
            mb_per_s_high: mb + half,
            speedup: None,
            speedup_low: None,
            speedup_high: None,
            shape: None,
            points: 0,
            largest: 0,
            stop: String::new(),
        }
    }

    #[test]
    fn verdicts_follow_settings_and_noise() {
        let same = compare_one(
            WorkloadKind::Read.into(),
            Some(choice("threads(2)", 100.0, 5.0)),
            Some(choice("threads(2)", 200.0, 5.0)),
            0.05,
        );
        assert_eq!(same.verdict, Verdict::Same);
        let (r, l, h) = same.ratio.unwrap();
        assert!(
            (r - 0.5).abs() < 1e-9
                && (l - 95.0 / 205.0).abs() < 1e-9
                && (h - 105.0 / 195.0).abs() < 1e-9
        );
        let noise = compare_one(
            WorkloadKind::Read.into(),
            Some(choice("threads(2)", 100.0, 5.0)),
            Some(choice("threads(4)", 108.0, 5.0)),
            0.05,
        );
        assert_eq!(noise.verdict, Verdict::SameWithinNoise);
        let diff = compare_one(
            WorkloadKind::Read.into(),
            Some(choice("threads(2)", 100.0, 5.0)),
            Some(choice("sequential", 150.0, 5.0)),
            0.05,
        );
        assert_eq!(diff.verdict, Verdict::Different);
        assert_eq!(
            compare_one(
                WorkloadId::named("x"),
                Some(choice("a", 1.0, 0.1)),
                None,
                0.05
            )
            .verdict,
            Verdict::OnlyHere
        );
        assert_eq!(
            compare_one(
                WorkloadId::named("x"),
                None,
                Some(choice("a", 1.0, 0.1)),
                0.05
            )
            .verdict,
            Verdict::OnlyThere
        );
    }
}
