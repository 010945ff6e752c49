//! `iolab storage accuracy`: the emulator's latency as asked and as a
//! client sees it, measured by iolab and by fio on the mount. Each
//! emulated storage is provided, a 16 MiB file written on it, and
//! single-threaded random 4 KiB reads of that file are timed in
//! interleaved rounds with the delay off (the zero-latency twin: the same
//! server, FUSE's own cost) and on, by iolab's probe and by fio (`psync`).
//! The median read with the delay on is what `lat` promises (the
//! emulator sends each reply ahead by the round trip's own cost); it is
//! held to 10 % of `lat` from 100 µs up (the floor). Medians over
//! many reads in rounds that alternate the delay keep a loaded machine's
//! bursts from deciding the verdict. Then `--threads` threads (fio:
//! jobs) read at once, reported beside it: on a machine with fewer CPUs
//! than threads their latency is the CPUs' as much as the emulator's, so
//! it is not held.
//!
//! Owns: the command's procedure, verdicts and output. Does not own:
//! providing (`crate::storage`), the reads (`crate::storage::probe`), fio's
//! process (`super::fio`).

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use super::fio;
use super::storage::{fio_randread, for_each_provided, FioAmount, FILE_BYTES, FILE_NAME};
use crate::storage::probe::{self, Offsets, BLOCK};
use crate::storage::{Emulator, Provided, Storage, Timing};

/// The smallest delay held to [`TOLERANCE_PCT`] (the floor).
pub const FLOOR: Duration = Duration::from_micros(100);
/// How far, in percent of the delay asked for, the added delay may be.
pub const TOLERANCE_PCT: f64 = 10.0;
/// The command's exit code when a delay held to the tolerance is outside
/// it.
const EXIT_OUTSIDE: u8 = 2;

/// What `iolab storage accuracy` does.
#[derive(Clone, Debug, PartialEq)]
pub struct AccuracyRequest {
    /// The emulated storages, in order.
    pub storages: Vec<Storage>,
    /// Where their folders go.
    pub data_dir: std::path::PathBuf,
    /// Rounds; each times `reads` reads with the delay off, then on, by
    /// each tool.
    pub rounds: usize,
    /// Reads per round, tool and state.
    pub reads: usize,
    /// Measure by fio too, when it is installed.
    pub fio: bool,
    /// Threads (fio: jobs) of the concurrent measurement; 1 skips it.
    pub threads: usize,
}

/// One tool's single-threaded reads: the medians with the delay off (the
/// twin) and on, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Medians {
    off_us: f64,
    on_us: f64,
}

/// How one tool's added delay compares with the delay asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Verdict {
    /// No delay asked for (`lat=0`): the read is FUSE's own cost.
    NoDelay,
    /// Below [`FLOOR`]: reported, not held to the tolerance.
    BelowFloor(f64),
    /// Within [`TOLERANCE_PCT`] (the error in percent).
    Within(f64),
    /// Outside it.
    Outside(f64),
}

impl Verdict {
    fn of(asked_us: f64, seen_us: f64) -> Verdict {
        if asked_us <= 0.0 {
            return Verdict::NoDelay;
        }
        let error = (seen_us - asked_us) / asked_us * 100.0;
        if asked_us < FLOOR.as_secs_f64() * 1e6 {
            Verdict::BelowFloor(error)
        } else if error.abs() <= TOLERANCE_PCT {
            Verdict::Within(error)
        } else {
            Verdict::Outside(error)
        }
    }

    fn text(self) -> String {
        let floor = FLOOR.as_micros();
        match self {
            Verdict::NoDelay => "no delay asked: FUSE's own cost only".into(),
            Verdict::BelowFloor(e) => {
                format!("{e:+.1} % (below {floor} us: not held to {TOLERANCE_PCT} %)")
            }
            Verdict::Within(e) => format!("{e:+.1} %: within {TOLERANCE_PCT} %"),
            Verdict::Outside(e) => format!("{e:+.1} %: OUTSIDE {TOLERANCE_PCT} %"),
        }
    }
}

/// Measure every storage of `request`; an unavailable one is one line.
/// Exits 2 when a delay of 100 µs or more is outside 10 % by either tool.
///
/// # Errors
/// A storage that broke while provided or measured, or its removal.
pub fn accuracy_command(request: &AccuracyRequest) -> anyhow::Result<ExitCode> {
    println!("load average {}", probe::load_average());
    let fio = request
        .fio
        .then(|| fio::locate().ok_or_else(|| format!("fio {}", fio::NOT_INSTALLED)));
    let (mut outside, mut held) = (0, 0);
    for_each_provided(&request.storages, &request.data_dir, |provided| {
        let (emulator, timing) = emulated(provided)?;
        let asked_us = timing.read_delay_us(BLOCK);
        println!("  asked        {asked_us:.1} us per 4 KiB read ({timing})");
        if let Some(c) = provided
            .record()
            .emulator
            .as_ref()
            .and_then(|e| e.measured.as_ref())
        {
            println!(
                "  calibrated   replies sent {:.1} us ahead of their due time (the round trip's own cost; timers {:.1} us late)",
                c.ahead_data_us, c.timer_late_us
            );
        }
        let file = provided.dir().join(FILE_NAME);
        probe::write_file(&file, FILE_BYTES)?;
        let program = fio
            .as_ref()
            .and_then(|f| f.as_ref().ok())
            .map(|p| p.as_path());
        let measured = measure(emulator, &file, program, request);
        emulator.set_delay(true);
        let (iolab, by_fio) = match measured {
            Ok(m) => m,
            Err(e) => {
                crate::safefs::Dir::open(provided.dir())?.remove_file(FILE_NAME)?;
                return Err(e);
            }
        };
        let rounds = format!("{} rounds x {} reads", request.rounds, request.reads);
        let mut line = |tool: &str, m: Medians| {
            let verdict = print_line(tool, m, asked_us, &rounds);
            outside += usize::from(matches!(verdict, Verdict::Outside(_)));
            held += usize::from(matches!(verdict, Verdict::Within(_) | Verdict::Outside(_)));
        };
        line("iolab", iolab);
        let by_fio = match &fio {
            Some(Err(why)) => Some(Err(why.clone())),
            Some(Ok(_)) | None => by_fio,
        };
        match by_fio {
            None => println!("  fio          skipped (--no-fio)"),
            Some(Err(why)) => println!("  fio          {why}"),
            Some(Ok(m)) => line("fio", m),
        }
        if request.threads > 1 {
            print_concurrent(emulator, &file, program, request, asked_us)?;
        }
        crate::safefs::Dir::open(provided.dir())?.remove_file(FILE_NAME)?;
        println!("  load average {}", probe::load_average());
        Ok(())
    })?;
    if outside > 0 {
        println!(
            "{outside} single-threaded measurement(s) of a latency of {} us or more outside {TOLERANCE_PCT} %",
            FLOOR.as_micros()
        );
        return Ok(ExitCode::from(EXIT_OUTSIDE));
    }
    if held == 0 {
        println!("no latency of {} us or more measured", FLOOR.as_micros());
    } else {
        println!(
            "every single-threaded latency of {} us or more within {TOLERANCE_PCT} % of the latency asked for",
            FLOOR.as_micros()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One tool's line: its median read with the delay on against
/// `asked_us`, and the twin's; returns the verdict.
fn print_line(tool: &str, m: Medians, asked_us: f64, rounds: &str) -> Verdict {
    let verdict = Verdict::of(asked_us, m.on_us);
    println!(
        "  {tool:<12} 4 KiB read p50 {:.1} us, {}; twin {:.1} us (FUSE's own cost) ({rounds})",
        m.on_us,
        verdict.text(),
        m.off_us,
    );
    verdict
}

/// The emulator of an emulated storage and its timing.
fn emulated(provided: &Provided) -> anyhow::Result<(&Emulator, Timing)> {
    match (provided.storage(), provided.emulator()) {
        (Storage::Emulated(e), Some(emulator)) => Ok((emulator, e.timing)),
        _ => anyhow::bail!("{} is not an emulated storage", provided.storage()),
    }
}

/// `request.threads` threads reading at once with the delay on, by iolab
/// and by fio: their median latency beside `asked_us`, reported, not held.
fn print_concurrent(
    emulator: &Emulator,
    file: &Path,
    fio: Option<&Path>,
    request: &AccuracyRequest,
    asked_us: f64,
) -> anyhow::Result<()> {
    emulator.set_delay(true);
    let threads = request.threads;
    let error = |seen: f64| match asked_us > 0.0 {
        true => format!("{:+.1} % of lat", (seen - asked_us) / asked_us * 100.0),
        false => "no delay asked".to_string(),
    };
    let seen = probe::median(&probe::threaded_read_latencies(
        file,
        threads,
        request.reads,
    )?);
    println!(
        "  iolab        {threads} threads: 4 KiB read p50 {seen:.1} us, {} (reported, not held)",
        error(seen)
    );
    if let Some(program) = fio {
        match fio_randread(program, file, threads, FioAmount::Reads(request.reads)) {
            Ok(read) => println!(
                "  fio          {threads} jobs: 4 KiB read p50 {:.1} us, {} (reported, not held)",
                read.p50_us(),
                error(read.p50_us())
            ),
            Err(e) => println!("  fio          {threads} jobs: {e}"),
        }
    }
    Ok(())
}

/// Interleaved rounds with the delay off, then on: iolab's reads, then
/// fio's when `fio` names its program (`Err` says why fio could not
/// measure).
fn measure(
    emulator: &Emulator,
    file: &Path,
    fio: Option<&Path>,
    request: &AccuracyRequest,
) -> anyhow::Result<(Medians, Option<Result<Medians, String>>)> {
    let opened = probe::open(file)?;
    let mut offsets = Offsets::new(FILE_BYTES as u64, 13);
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let (mut fio_off, mut fio_on) = (Vec::new(), Vec::new());
    let mut fio_error = None;
    for _ in 0..request.rounds {
        for (delay, iolab, by_fio) in [
            (false, &mut off, &mut fio_off),
            (true, &mut on, &mut fio_on),
        ] {
            emulator.set_delay(delay);
            iolab.extend(probe::read_latencies(&opened, request.reads, &mut offsets)?);
            if let (Some(program), None) = (fio, &fio_error) {
                match fio_randread(program, file, 1, FioAmount::Reads(request.reads)) {
                    Ok(read) => by_fio.push(read.p50_us()),
                    Err(e) => fio_error = Some(e),
                }
            }
        }
    }
    let iolab = Medians {
        off_us: probe::median(&off),
        on_us: probe::median(&on),
    };
    let by_fio = fio.map(|_| match fio_error {
        Some(e) => Err(e),
        None => Ok(Medians {
            off_us: probe::median(&fio_off),
            on_us: probe::median(&fio_on),
        }),
    });
    Ok((iolab, by_fio))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_hold_ten_percent_from_the_floor_up() {
        assert_eq!(Verdict::of(0.0, 3.0), Verdict::NoDelay);
        assert!(matches!(Verdict::of(50.0, 80.0), Verdict::BelowFloor(_)));
        assert!(matches!(Verdict::of(100.0, 109.9), Verdict::Within(_)));
        assert!(matches!(Verdict::of(100.0, 90.5), Verdict::Within(_)));
        assert!(matches!(Verdict::of(100.0, 110.5), Verdict::Outside(_)));
        assert!(matches!(Verdict::of(1000.0, 880.0), Verdict::Outside(_)));
        assert!(Verdict::of(1000.0, 1020.0)
            .text()
            .contains("+2.0 %: within 10 %"));
    }
}
