//! The columns of a user workload's metrics in `runs.csv` and
//! `summary.csv`: `m_<name>` (and, in `summary.csv`, `m_<name>_ci_low`,
//! `m_<name>_ci_high`) after the row type's own columns. Which metrics a
//! file has is the run's (every metric of every workload of its plan, so
//! rows of several workloads share one header), not the row type's, so
//! they are written and read here beside serde's columns; a file from
//! before them has none and reads as rows without metrics.
//!
//! Owns: reading and writing those columns. Does not own the row types
//! (`row`, `summary`) or what a metric is (`workload::metric`).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The rows of CSV `bytes` (read from `path`), each given the value of
/// every non-empty `m_` column of its record through `set` (the column's
/// name without `m_`, and its value).
///
/// # Errors
/// The first record that is not a row, as `PATH line N: not a row iolab
/// wrote (why)`, a metric's cell that is no number among them.
pub(super) fn read<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
    set: impl Fn(&mut T, &str, f64),
) -> anyhow::Result<Vec<T>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("{} header: {}", path.display(), csv_reason(&e)))?
        .clone();
    let metrics: Vec<(usize, &str)> = header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((i, crate::workload::metric::metric_of(h)?)))
        .collect();
    let not_a_row = |at: String, why: String| {
        anyhow::anyhow!("{} {at}: not a row iolab wrote ({why})", path.display())
    };
    reader
        .records()
        .enumerate()
        .map(|(i, record)| {
            let at = |p: Option<&csv::Position>| {
                p.map_or_else(
                    || format!("row {}", i + 1),
                    |p| format!("line {}", p.line()),
                )
            };
            let record = record.map_err(|e| not_a_row(at(e.position()), csv_reason(&e)))?;
            let mut row: T = record
                .deserialize(Some(&header))
                .map_err(|e| not_a_row(at(record.position()), csv_reason(&e)))?;
            for (column, name) in &metrics {
                let cell = record.get(*column).unwrap_or("");
                if cell.is_empty() {
                    continue;
                }
                let value = cell.parse::<f64>().map_err(|_| {
                    not_a_row(
                        at(record.position()),
                        format!("m_{name} = {cell:?} is no number"),
                    )
                })?;
                set(&mut row, name, value);
            }
            Ok(row)
        })
        .collect()
}

/// What is wrong with a record, without the csv crate's own position (the
/// caller names the line).
fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, the header has {expected_len}"),
        csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        csv::ErrorKind::Utf8 { err, .. } => err.to_string(),
        _ => e.to_string(),
    }
}

/// `rows` as CSV: each row's own columns, then `extra` columns whose cells
/// `cell` gives (empty when `None`).
///
/// # Errors
/// A row that cannot be formatted.
pub(super) fn write<T: Serialize + Default>(
    rows: &[T],
    extra: &[String],
    cell: impl Fn(&T, &str) -> Option<String>,
) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if extra.is_empty() {
        for r in rows {
            w.serialize(r)?;
        }
    } else {
        let (mut header, _) = own_cells(&T::default())?;
        header.extend(extra.iter().cloned());
        w.write_record(&header)?;
        for r in rows {
            let (_, mut cells) = own_cells(r)?;
            cells.extend(extra.iter().map(|c| cell(r, c).unwrap_or_default()));
            w.write_record(&cells)?;
        }
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("formatting CSV: {e}"))
}

/// `row`'s own header and cells, as serde writes them.
fn own_cells<T: Serialize>(row: &T) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(row)?;
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("formatting CSV: {e}"))?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header = r.headers()?.iter().map(str::to_string).collect();
    let cells = match r.records().next() {
        Some(record) => record?.iter().map(str::to_string).collect(),
        None => Vec::new(),
    };
    Ok((header, cells))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Row, SummaryRow};

    fn row(metrics: &[(&str, f64)]) -> Row {
        Row {
            run_id: "r".into(),
            scenario_id: "w/v/s/warm".into(),
            metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ..Row::default()
        }
    }

    #[test]
    fn rows_of_two_workloads_share_one_header_and_read_back_their_own_metrics() {
        let rows = [
            row(&[("ratio", 0.25), ("raw", 4096.0)]),
            row(&[("records", 7.0)]),
        ];
        let extra: Vec<String> = ["ratio", "raw", "records"].map(|m| format!("m_{m}")).into();
        let bytes = write(&rows, &extra, |r, c| {
            r.metrics.get(&c[2..]).map(|v| v.to_string())
        })
        .unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with(",m_ratio,m_raw,m_records"),
            "{text}"
        );
        let back: Vec<Row> = read(Path::new("runs.csv"), &bytes, |r: &mut Row, n, v| {
            r.metrics.insert(n.to_string(), v);
        })
        .unwrap();
        assert_eq!(back[0].metrics, rows[0].metrics);
        assert_eq!(back[1].metrics, rows[1].metrics);
        assert_eq!(back, rows);
    }

    #[test]
    fn a_file_without_metric_columns_reads_as_rows_without_metrics() {
        let bytes = write(&[row(&[])], &[], |_, _| None).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let header = text.lines().next().unwrap_or_default();
        assert!(!header.split(',').any(|c| c.starts_with("m_")), "{header}");
        let back: Vec<SummaryRow> = read(
            Path::new("summary.csv"),
            &write(&[SummaryRow::default()], &[], |_, _| None).unwrap(),
            |_: &mut SummaryRow, _, _| panic!("no metric"),
        )
        .unwrap();
        assert_eq!(back.len(), 1);
        let rows: Vec<Row> = read(Path::new("runs.csv"), &bytes, |_: &mut Row, _, _| {
            panic!("no metric")
        })
        .unwrap();
        assert!(rows[0].metrics.is_empty());
    }

    #[test]
    fn a_metric_cell_that_is_no_number_is_refused_by_its_line() {
        let text = format!(
            "{},m_raw\n",
            String::from_utf8(write(&[row(&[])], &[], |_, _| None).unwrap())
                .unwrap()
                .lines()
                .next()
                .unwrap()
        );
        let cells = String::from_utf8(write(&[row(&[])], &[], |_, _| None).unwrap()).unwrap();
        let line = format!("{text}{},lots\n", cells.lines().nth(1).unwrap());
        let e = read(
            Path::new("runs.csv"),
            line.as_bytes(),
            |_: &mut Row, _, _| {},
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("runs.csv line 2") && e.contains("m_raw"), "{e}");
    }
}
