//! `runs.csv` on disk: rows appended whole or not at all, and read back
//! without the torn last line a killed process or a full disk can leave.
//!
//! Appending: the row (with the header before the first) is formatted into
//! one buffer and written with one `write_all` on an `O_APPEND` handle, then
//! `fdatasync`ed; when either fails (out of space, say) the file is cut back
//! to its previous length, so it always ends with a whole row. The handle
//! holds an exclusive `flock` for the life of the run, so a `--resume` can
//! tell a run still going from one that was killed.
//!
//! Resuming a run an iolab with other columns wrote (before a column was
//! added): the rows appended go in the file's own columns, by name, so
//! the file stays one table (a column the file lacks is left out, one
//! this iolab lacks is left empty).
//!
//! Reading: every row ends with a newline and starts with the run's id, and
//! a repetition's rows go out in one `write`, so what a killed writer (or a
//! device that filled mid-row) can leave after the last whole row is a
//! prefix of rows: a last record that is not finished — no newline at its
//! end, a quoted field still open, or fewer fields than the header — and
//! whose first field is the run's id as the other rows give it (or the
//! start of it). Only such a tail is torn, dropped with a one-line warning
//! (and cut away by a resume, once it has decided to resume). Anything
//! else that does not parse as a row — a finished line of garbage, or an
//! unfinished one that does not start with the run's id — is an error
//! naming its line, and the file is left as it is.
//!
//! Owns: the file's bytes. Does not own the row's columns (`row`) or the
//! other files of a run folder (`results`).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Row;

/// The part of a `runs.csv` text that holds whole rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Complete {
    /// Bytes of whole rows (header included) from the start.
    pub len: usize,
    /// Bytes of a torn last row after them (0 when none).
    pub torn: usize,
}

/// Where the whole rows of `bytes` end. The last record is torn when it is
/// unfinished (no newline at its end, a quoted field still open, or fewer
/// fields than the first record, the header) and its first field is the
/// run's id of the rows before it, or the start of that id (when no whole
/// row precedes it, any unfinished last record is torn). Only the last
/// record is ever called torn; anything else is left in `len` for the
/// parser to refuse.
pub fn complete_rows(bytes: &[u8]) -> Complete {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut header_fields = None;
    // The first row after the header: its start and first field.
    let mut first_row: Option<(usize, Vec<u8>)> = None;
    let mut last: Option<(usize, usize, csv::ByteRecord)> = None; // start, end, record
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                let end = reader.position().byte() as usize;
                if header_fields.is_some() && first_row.is_none() && finished(bytes, start, end) {
                    first_row = Some((start, record.get(0).unwrap_or_default().to_vec()));
                }
                header_fields.get_or_insert(record.len());
                last = Some((start, end, record.clone()));
            }
            Ok(false) | Err(_) => break,
        }
    }
    // The run's id, as a whole row before the last record gives it.
    let run_id = first_row
        .filter(|(start, _)| last.as_ref().is_some_and(|(s, _, _)| s != start))
        .map(|(_, id)| id);
    let torn = |start: usize, end: usize, record: &csv::ByteRecord| {
        let unfinished = !finished(bytes, start, end) || Some(record.len()) < header_fields;
        let first = record.get(0).unwrap_or_default();
        let ours = match (&run_id, record.len()) {
            (None, _) => true,
            (Some(id), 1) => id.starts_with(first),
            (Some(id), _) => id.as_slice() == first,
        };
        unfinished && ours
    };
    match last {
        Some((start, end, record)) if torn(start, end, &record) => Complete {
            len: start,
            torn: bytes.len() - start,
        },
        Some(_) | None => Complete {
            len: bytes.len(),
            torn: 0,
        },
    }
}

/// Whether the record at `bytes[start..end]` was finished by its writer:
/// it ends with a newline that is outside quotes (an even count of `"`).
fn finished(bytes: &[u8], start: usize, end: usize) -> bool {
    let record = &bytes[start..end];
    record.last() == Some(&b'\n') && record.iter().filter(|&&b| b == b'"').count() % 2 == 0
}

/// The rows of `path` (read as iolab reads every file:
/// [`crate::safefs::read_file`], at most
/// [`CSV_MAX_BYTES`](super::CSV_MAX_BYTES)), without a torn last line
/// (dropped with a warning on stderr that names the file).
///
/// # Errors
/// When the file cannot be read, or a row other than the last is malformed,
/// naming the file and the row.
pub fn read_rows(path: &Path) -> anyhow::Result<Vec<Row>> {
    let bytes = crate::safefs::read_file(path, super::CSV_MAX_BYTES)?;
    let complete = complete_rows(&bytes);
    warn_torn(path, complete);
    parse_rows(path, &bytes[..complete.len])
}

fn warn_torn(path: &Path, complete: Complete) {
    if complete.torn > 0 {
        eprintln!(
            "warning: {}: dropped a torn last line ({} bytes; the run was killed or the disk filled mid-row)",
            path.display(),
            complete.torn
        );
    }
}

/// The rows of `bytes`; rows written before the `program` column get it
/// from their scenario id.
///
/// # Errors
/// The first record that is not a row, as `PATH line N: not a row iolab
/// wrote (why)`.
fn parse_rows(path: &Path, bytes: &[u8]) -> anyhow::Result<Vec<Row>> {
    super::metric_columns::read(path, bytes, |row: &mut Row, name, value| {
        row.metrics.insert(name.to_string(), value);
    })?
    .into_iter()
    .map(|mut row| {
        row.program = row
            .program
            .or_else(|| super::row::program_from_old_id(&row.scenario_id));
        Ok(row)
    })
    .collect()
}

/// An open `runs.csv`, appended to row by row, locked for the run.
#[derive(Debug)]
pub struct RunsFile {
    file: File,
    path: PathBuf,
    len: u64,
    /// The file's columns, when they are not [`Row`]'s (a run resumed by
    /// an iolab with other columns).
    columns: Option<csv::StringRecord>,
}

impl RunsFile {
    /// Create a new, empty `runs.csv` at `path` (never through a symlink,
    /// never over an existing file) and lock it.
    ///
    /// # Errors
    /// When it exists or cannot be created, naming it.
    /// With `metrics` (the user metrics of the run's workloads, by name),
    /// the file's columns are [`Row`]'s and `m_<name>` for each.
    pub fn create(path: &Path, metrics: &[String]) -> anyhow::Result<RunsFile> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        lock(&file, path)?;
        Ok(RunsFile {
            file,
            path: path.to_path_buf(),
            len: 0,
            columns: (!metrics.is_empty()).then(|| {
                let mut columns = row_header();
                columns.extend(metrics.iter().map(|m| crate::workload::metric::column(m)));
                columns
            }),
        })
    }

    /// Open an existing `runs.csv` to go on appending (never through a
    /// link, never blocking, a regular file with no other name, of at most
    /// [`CSV_MAX_BYTES`](super::CSV_MAX_BYTES)): lock it (refusing a run
    /// another iolab is still writing), parse every whole row, and only
    /// then cut a torn last line away (the caller has read the file with
    /// [`read_rows`] first, which warned of it); return the whole rows.
    ///
    /// # Errors
    /// When the file is locked, unreadable or malformed (naming the file and
    /// the line); the file is then left as it was.
    pub fn reopen(path: &Path) -> anyhow::Result<(RunsFile, Vec<Row>)> {
        let file = crate::safefs::open_appending(path, true)?;
        lock(&file, path)?;
        let bytes = crate::safefs::read_bounded(&file, path, super::CSV_MAX_BYTES)?;
        let complete = complete_rows(&bytes);
        let rows = parse_rows(path, &bytes[..complete.len])?;
        let len = complete.len as u64;
        if complete.torn > 0 {
            file.set_len(len)
                .and_then(|()| file.sync_data())
                .with_context(|| format!("cutting the torn last line off {}", path.display()))?;
        }
        let header = csv::Reader::from_reader(&bytes[..complete.len])
            .headers()
            .ok()
            .filter(|h| !h.is_empty())
            .cloned();
        let columns = header.filter(|h| *h != row_header());
        Ok((
            RunsFile {
                file,
                path: path.to_path_buf(),
                len,
                columns,
            },
            rows,
        ))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Follow the file to a new path (its folder was renamed).
    pub fn moved_to(&mut self, path: PathBuf) {
        self.path = path;
    }

    /// Append `rows` whole in one `write` (the header first when the file
    /// is empty), then `fdatasync`.
    ///
    /// # Errors
    /// When it cannot be written (out of space, say), naming the file; the
    /// file is then cut back to its last whole row.
    pub fn append(&mut self, rows: &[Row]) -> anyhow::Result<()> {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(self.len == 0)
            .from_writer(Vec::new());
        if let (0, Some(columns)) = (self.len, &self.columns) {
            writer
                .write_record(columns)
                .with_context(|| format!("formatting the header of {}", self.path.display()))?;
        }
        for row in rows {
            let written = match &self.columns {
                None => writer.serialize(row),
                Some(columns) => writer.write_record(&cells_in(row, columns)),
            };
            written.with_context(|| format!("formatting a row for {}", self.path.display()))?;
        }
        let line = writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("formatting a row for {}: {e}", self.path.display()))?;
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            let cut = match self.file.set_len(self.len) {
                Ok(()) => "cut back to its last whole row".to_string(),
                Err(c) => format!("and cutting it back to its last whole row failed too: {c}"),
            };
            anyhow::bail!(
                "writing a row to {}: {e} ({cut}; free space, then `--resume` the run)",
                self.path.display()
            );
        }
        self.len += line.len() as u64;
        Ok(())
    }
}

/// The columns of `runs.csv` as this iolab writes them.
fn row_header() -> csv::StringRecord {
    header_and_cells(&Row::default()).0
}

/// `row`'s header and cells, as `csv` writes them.
fn header_and_cells(row: &Row) -> (csv::StringRecord, csv::StringRecord) {
    let mut w = csv::Writer::from_writer(Vec::new());
    let bytes = w
        .serialize(row)
        .ok()
        .and_then(|()| w.into_inner().ok())
        .unwrap_or_default();
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header = r.headers().cloned().unwrap_or_default();
    let cells = r.records().next().and_then(Result::ok).unwrap_or_default();
    (header, cells)
}

/// `row`'s cells in the order of `columns`: a metric's column `m_<name>`
/// from [`Row::metrics`], a column `Row` does not have left empty, one
/// `columns` does not name left out.
fn cells_in(row: &Row, columns: &csv::StringRecord) -> csv::StringRecord {
    let (header, cells) = header_and_cells(row);
    columns
        .iter()
        .map(|c| {
            if let Some(name) = crate::workload::metric::metric_of(c) {
                return row
                    .metrics
                    .get(name)
                    .map(|v| v.to_string())
                    .unwrap_or_default();
            }
            header
                .iter()
                .position(|h| h == c)
                .and_then(|i| cells.get(i))
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

fn lock(file: &File, path: &Path) -> anyhow::Result<()> {
    match rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::WOULDBLOCK) => anyhow::bail!(
            "{} is locked: another iolab is still running this run",
            path.display()
        ),
        Err(e) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rep: u32) -> Row {
        Row {
            run_id: "r".into(),
            scenario_id: "read/whole/sequential/warm".into(),
            rep,
            detail: "a detail, with a comma\nand a newline".into(),
            ..Row::default()
        }
    }

    fn file_with(rows: &[Row]) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        let mut f = RunsFile::create(&path, &[]).unwrap();
        for r in rows {
            f.append(std::slice::from_ref(r)).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        (dir, path, bytes)
    }

    #[test]
    fn whole_rows_are_complete() {
        let (_d, path, bytes) = file_with(&[row(0), row(1)]);
        assert_eq!(
            complete_rows(&bytes),
            Complete {
                len: bytes.len(),
                torn: 0
            }
        );
        assert_eq!(read_rows(&path).unwrap(), vec![row(0), row(1)]);
        assert_eq!(complete_rows(b""), Complete { len: 0, torn: 0 });
    }

    #[test]
    fn every_cut_inside_the_last_row_is_torn_and_dropped() {
        let (_d, path, bytes) = file_with(&[row(0), row(1)]);
        let (_d1, _p1, one) = file_with(&[row(0)]);
        // Cut the file at every byte of the second row, including inside
        // its quoted newline and just before its final newline.
        for cut in one.len() + 1..bytes.len() {
            let c = complete_rows(&bytes[..cut]);
            assert_eq!(c.len, one.len(), "cut at {cut}");
            assert_eq!(c.torn, cut - one.len(), "cut at {cut}");
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert_eq!(read_rows(&path).unwrap(), vec![row(0)], "cut at {cut}");
        }
    }

    #[test]
    fn a_torn_header_leaves_no_rows() {
        let (_d, _p, bytes) = file_with(&[row(0)]);
        let header_end = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        for cut in 1..header_end {
            assert_eq!(complete_rows(&bytes[..cut]).len, 0, "cut at {cut}");
        }
        assert_eq!(complete_rows(&bytes[..header_end]).len, header_end);
    }

    #[test]
    fn a_malformed_row_before_the_last_is_still_an_error() {
        let (_d, path, bytes) = file_with(&[row(0), row(1)]);
        let text = String::from_utf8(bytes).unwrap();
        let broken = text.replacen("read/whole/sequential/warm,", "x,y,", 1);
        std::fs::write(&path, broken).unwrap();
        assert!(read_rows(&path).is_err());
    }

    #[test]
    fn garbage_after_the_rows_is_refused_by_its_line_and_never_cut() {
        let (_d, path, bytes) = file_with(&[row(0), row(1)]);
        // The garbage's line: after every newline of the rows (each row
        // holds one inside its quoted detail).
        let line = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        for garbage in [&b"garbage\n"[..], b"garbage", b"r2,read/whole", b"x,y,z\n"] {
            let mut text = bytes.clone();
            text.extend_from_slice(garbage);
            assert_eq!(complete_rows(&text).torn, 0, "{garbage:?}");
            std::fs::write(&path, &text).unwrap();
            let e = format!("{:#}", read_rows(&path).unwrap_err());
            assert!(
                e.contains(&format!("line {line}: not a row iolab wrote")),
                "{garbage:?}: {e}"
            );
            let e = RunsFile::reopen(&path).unwrap_err();
            assert!(format!("{e:#}").contains("not a row"), "{e:#}");
            assert_eq!(
                std::fs::read(&path).unwrap(),
                text,
                "{garbage:?} left as it was"
            );
        }
    }

    #[test]
    fn rows_appended_at_once_are_the_rows_appended_one_by_one() {
        let (_d, _path, one_by_one) = file_with(&[row(0), row(1), row(2)]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        RunsFile::create(&path, &[])
            .unwrap()
            .append(&[row(0), row(1), row(2)])
            .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), one_by_one);
    }

    #[test]
    fn reopen_cuts_the_torn_line_and_appends_after_the_whole_rows() {
        let (_d, path, bytes) = file_with(&[row(0), row(1)]);
        std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
        let (mut f, rows) = RunsFile::reopen(&path).unwrap();
        assert_eq!(rows, vec![row(0)]);
        f.append(&[row(1)]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    #[test]
    fn rows_from_before_the_program_column_get_it_from_their_id() {
        let command = Row {
            scenario_id: "append/mutex/command-append_lock-8/warm".into(),
            program: Some("append_lock".into()),
            ..row(0)
        };
        let (_d, path, bytes) = file_with(&[command, row(1)]);
        let mut old = csv::Reader::from_reader(bytes.as_slice());
        let header = old.headers().unwrap().clone();
        let col = header.iter().position(|h| h == "program").unwrap();
        let without = |r: &csv::StringRecord| -> csv::StringRecord {
            r.iter()
                .enumerate()
                .filter(|(i, _)| *i != col)
                .map(|(_, c)| c)
                .collect()
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&without(&header)).unwrap();
        for r in old.records() {
            w.write_record(&without(&r.unwrap())).unwrap();
        }
        std::fs::write(&path, w.into_inner().unwrap()).unwrap();
        let rows = read_rows(&path).unwrap();
        assert_eq!(rows[0].program.as_deref(), Some("append_lock"));
        assert_eq!(rows[1].program, None);
    }

    #[test]
    fn a_run_from_before_a_column_resumes_in_its_own_columns() {
        let (_d, path, bytes) = file_with(&[row(0)]);
        let text = String::from_utf8(bytes).unwrap();
        let mut old = csv::Reader::from_reader(text.as_bytes());
        let header = old.headers().unwrap().clone();
        let col = header.iter().position(|h| h == "minor_faults").unwrap();
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut without_it = |r: &csv::StringRecord| {
            let cells: csv::StringRecord = r
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != col)
                .map(|(_, c)| c)
                .collect();
            w.write_record(&cells).unwrap();
        };
        without_it(&header);
        for r in old.records() {
            without_it(&r.unwrap());
        }
        std::fs::write(&path, w.into_inner().unwrap()).unwrap();
        let (mut f, rows) = RunsFile::reopen(&path).unwrap();
        assert_eq!(rows, vec![row(0)], "an old row loads, its faults empty");
        let measured = Row {
            minor_faults: Some(6_000),
            ..row(1)
        };
        f.append(&[measured]).unwrap();
        let rows = read_rows(&path).unwrap();
        assert_eq!(rows.len(), 2, "one table, whatever wrote each row");
        assert_eq!(
            rows[1],
            Row {
                minor_faults: None,
                ..row(1)
            }
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.lines().next().unwrap().contains("minor_faults"));
    }

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_file() {
        let (_d, path, _) = file_with(&[row(0)]);
        let (_held, _) = RunsFile::reopen(&path).unwrap();
        let e = RunsFile::reopen(&path).unwrap_err();
        assert!(format!("{e:#}").contains("still running"), "{e:#}");
    }
}
