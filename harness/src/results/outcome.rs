//! The one failure policy: which repetitions make a run "failed" (exit
//! code 2) and which are integrity findings — data lost or torn by a method
//! the experiment exists to expose (lines lost by an unlocked append,
//! targets torn by killed writers), which are results, not failures.
//!
//! `iolab run` (with flags or experiment files, resumed or not),
//! `bench-all` and `tune` all decide their exit code and their closing
//! message here, from the rows of `runs.csv`, so the same repetitions give
//! the same answer whichever command ran them.
//!
//! Owns: the classification of a row and the verdict over a run's rows.
//! Does not own: how a repetition's status and verification are measured
//! (`runner`), or printing anything but the verdict's own lines.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use super::row::{Row, Status};

/// Exit code of a run that finished with failed scenarios.
pub const EXIT_FAILED_SCENARIOS: u8 = 2;

/// What one measured repetition means for its run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and its data verified.
    Verified,
    /// It ran and found what its experiment measures: lines lost or
    /// corrupted by an append, targets torn by killed writers. A result.
    Finding,
    /// It broke (task errors, a command that exited non-zero), or ran but
    /// its data did not verify for any other reason.
    Failed,
    /// It cannot run here; the reason is in its detail. Not a failure.
    Unavailable,
}

impl Outcome {
    /// Classify one row.
    pub fn of(row: &Row) -> Outcome {
        match row.status {
            Status::Unavailable => Outcome::Unavailable,
            Status::Failed => Outcome::Failed,
            Status::Ok if row.verified => Outcome::Verified,
            Status::Ok if integrity_loss(row) => Outcome::Finding,
            Status::Ok => Outcome::Failed,
        }
    }
}

/// Whether the row counted lost data of the kind an integrity experiment
/// measures: appended lines missing or corrupted, save targets torn.
fn integrity_loss(row: &Row) -> bool {
    let counted = |n: Option<u64>| n.is_some_and(|n| n > 0);
    counted(row.append_missing) || counted(row.append_corrupted) || counted(row.torn)
}

/// A scenario named in a verdict: how many of its measured repetitions
/// had the outcome, and the first one's detail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Noted {
    /// Scenario id.
    pub scenario_id: String,
    /// Measured repetitions with this outcome.
    pub reps: u32,
    /// Of how many measured repetitions.
    pub of: u32,
    /// The first such repetition's detail.
    pub detail: String,
}

/// The verdict over a run's measured repetitions (warm-ups are discarded,
/// and with MPI only the aggregate rows count, as in the summary).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Scenarios with failed repetitions, by scenario id.
    pub failures: Vec<Noted>,
    /// Scenarios with integrity findings, by scenario id.
    pub findings: Vec<Noted>,
}

impl Verdict {
    /// The verdict over `rows`.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Verdict {
        let mut by_scenario: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for r in rows.into_iter().filter(|r| !r.warmup && r.is_aggregate()) {
            by_scenario.entry(&r.scenario_id).or_default().push(r);
        }
        let noted = |kind: Outcome| -> Vec<Noted> {
            by_scenario
                .iter()
                .filter_map(|(id, reps)| {
                    let hit: Vec<&&Row> = reps.iter().filter(|r| Outcome::of(r) == kind).collect();
                    Some(Noted {
                        scenario_id: id.to_string(),
                        reps: hit.len() as u32,
                        of: reps.len() as u32,
                        detail: hit.first()?.detail.clone(),
                    })
                })
                .collect()
        };
        Verdict {
            failures: noted(Outcome::Failed),
            findings: noted(Outcome::Finding),
        }
    }

    /// Whether any scenario failed.
    pub fn failed(&self) -> bool {
        !self.failures.is_empty()
    }

    /// 0, or [`EXIT_FAILED_SCENARIOS`] when a scenario failed.
    pub fn exit_code(&self) -> u8 {
        if self.failed() {
            EXIT_FAILED_SCENARIOS
        } else {
            0
        }
    }

    /// Write the verdict to stderr and give the run's exit code: what
    /// `run`, `bench-all` and `tune` end with.
    ///
    /// # Errors
    /// When stderr cannot be written.
    pub fn exit(&self) -> io::Result<ExitCode> {
        self.write(&mut io::stderr().lock())?;
        Ok(ExitCode::from(self.exit_code()))
    }

    /// The verdict for people: the failed scenarios, then the integrity
    /// findings, one line each; nothing when there are neither.
    ///
    /// # Errors
    /// Write errors of `out`.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        if self.failed() {
            writeln!(
                out,
                "{} failed: repetitions broke or their data did not verify (exit {EXIT_FAILED_SCENARIOS})",
                scenarios(self.failures.len()),
            )?;
            list(out, &self.failures)?;
        }
        if !self.findings.is_empty() {
            writeln!(
                out,
                "{} lost or tore data, as the experiment measures (integrity findings, not failures):",
                scenarios(self.findings.len())
            )?;
            list(out, &self.findings)?;
        }
        Ok(())
    }
}

fn scenarios(n: usize) -> String {
    match n {
        1 => "1 scenario".into(),
        n => format!("{n} scenarios"),
    }
}

fn list(out: &mut impl Write, noted: &[Noted]) -> io::Result<()> {
    for n in noted {
        writeln!(
            out,
            "  {} ({} of {} repetitions): {}",
            n.scenario_id, n.reps, n.of, n.detail
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(id: &str, status: Status, verified: bool) -> Row {
        Row {
            scenario_id: id.into(),
            status,
            verified,
            detail: format!("{id} detail"),
            ..Row::default()
        }
    }

    fn lost_lines(id: &str) -> Row {
        Row {
            append_intact: Some(90),
            append_missing: Some(10),
            append_corrupted: Some(0),
            ..rep(id, Status::Ok, false)
        }
    }

    #[test]
    fn each_row_has_one_outcome() {
        assert_eq!(Outcome::of(&rep("a", Status::Ok, true)), Outcome::Verified);
        assert_eq!(Outcome::of(&rep("a", Status::Ok, false)), Outcome::Failed);
        assert_eq!(
            Outcome::of(&rep("a", Status::Failed, false)),
            Outcome::Failed
        );
        assert_eq!(
            Outcome::of(&rep("a", Status::Unavailable, false)),
            Outcome::Unavailable
        );
        assert_eq!(Outcome::of(&lost_lines("a")), Outcome::Finding);
        let torn = Row {
            torn: Some(3),
            ..rep("s", Status::Ok, false)
        };
        assert_eq!(Outcome::of(&torn), Outcome::Finding);
        // Counted but nothing lost: the verification failed for another reason.
        let whole = Row {
            append_missing: Some(0),
            append_corrupted: Some(0),
            torn: Some(0),
            ..rep("a", Status::Ok, false)
        };
        assert_eq!(Outcome::of(&whole), Outcome::Failed);
        // Task errors are a failure even where lines were lost too.
        let broke = Row {
            status: Status::Failed,
            ..lost_lines("a")
        };
        assert_eq!(Outcome::of(&broke), Outcome::Failed);
    }

    #[test]
    fn warmups_and_rank_rows_do_not_count() {
        let warm = Row {
            warmup: true,
            ..rep("w", Status::Failed, false)
        };
        let rank = Row {
            rank: "1".into(),
            ..rep("r", Status::Failed, false)
        };
        let v = Verdict::of(&[warm, rank, rep("ok", Status::Ok, true)]);
        assert_eq!(v, Verdict::default());
        assert_eq!(v.exit_code(), 0);
        let mut text = Vec::new();
        v.write(&mut text).unwrap();
        assert!(text.is_empty());
    }

    #[test]
    fn findings_are_listed_but_only_failures_fail_the_run() {
        let rows = [
            lost_lines("append/unlocked"),
            rep("append/unlocked", Status::Ok, true),
            rep("read/command", Status::Failed, false),
            rep("read/command", Status::Failed, false),
            rep("scan/x", Status::Unavailable, false),
        ];
        let v = Verdict::of(&rows);
        assert_eq!(v.exit_code(), EXIT_FAILED_SCENARIOS);
        assert_eq!(
            (v.failures.len(), v.failures[0].reps, v.failures[0].of),
            (1, 2, 2)
        );
        assert_eq!((v.findings[0].reps, v.findings[0].of), (1, 2));
        let mut text = Vec::new();
        v.write(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(
            text,
            "1 scenario failed: repetitions broke or their data did not verify (exit 2)\n  \
             read/command (2 of 2 repetitions): read/command detail\n\
             1 scenario lost or tore data, as the experiment measures (integrity findings, not failures):\n  \
             append/unlocked (1 of 2 repetitions): append/unlocked detail\n"
        );
        let findings_only = Verdict::of(&rows[..2]);
        assert!(!findings_only.failed());
        assert_eq!(findings_only.exit_code(), 0);
    }
}
