//! The terminal table of a comparison of two profiles (made by
//! `crate::tune::profile::compare`).

use std::io::{self, Write};

use super::table::write_table;
use crate::tune::profile::compare::{Comparison, Verdict};
use crate::tune::profile::Choice;

/// Print the comparison, naming the two profiles `here_name` and `there_name`.
///
/// # Errors
/// Write errors of `out`.
pub fn render(
    out: &mut impl Write,
    c: &Comparison,
    here_name: &str,
    there_name: &str,
) -> io::Result<()> {
    writeln!(out, "This profile ({here_name}) against {there_name}:")?;
    if c.differences.is_empty() {
        writeln!(out, "  same machine description and settings")?;
    }
    for d in &c.differences {
        writeln!(out, "  {}: {} here, {} there", d.field, d.here, d.there)?;
    }
    let cell = |x: &Option<Choice>| {
        x.as_ref().map_or("—".to_string(), |c| {
            format!("{} {}", c.setting, c.throughput_text())
        })
    };
    let rows: Vec<Vec<String>> = c
        .workloads
        .iter()
        .map(|w| {
            vec![
                w.label.clone(),
                cell(&w.here),
                cell(&w.there),
                w.ratio.map_or("—".into(), |(r, l, h)| {
                    format!("{r:.2}× [{l:.2} … {h:.2}]")
                }),
                format!(
                    "{}{}{}",
                    w.verdict,
                    if w.verdict == Verdict::Different {
                        " *"
                    } else {
                        ""
                    },
                    if w.drift { " (drift)" } else { "" }
                ),
            ]
        })
        .collect();
    writeln!(out)?;
    write_table(
        out,
        &[
            "workload",
            "here: recommended MB/s",
            "there: recommended MB/s",
            "here/there",
            "recommendation",
        ],
        &rows,
    )?;
    if c.different() > 0 {
        writeln!(
            out,
            "* different recommendations whose throughputs are clearly different"
        )?;
    }
    if c.workloads.iter().any(|w| w.drift) {
        writeln!(
            out,
            "(drift) a sweep's sequential baseline moved between its rounds: the machine's state, \
             not the setting, may explain a difference"
        )?;
    }
    Ok(())
}
