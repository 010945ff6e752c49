//! `iolab calibrate`'s flags validated into a [`calibrate::Request`], so
//! the calibration never sees clap's types.

use super::plan::{self, ConfigError};
use super::{CalibrateArgs, OrderArg};
use crate::calibrate::{self, Config};

/// Validate `iolab calibrate`'s flags.
///
/// # Errors
/// A bad flag, named, with what is allowed.
pub fn request(args: &CalibrateArgs) -> Result<calibrate::Request, ConfigError> {
    let m = &args.measure;
    let mut caches = args.cache.clone();
    caches.dedup();
    Ok(calibrate::Request {
        config: Config {
            caches,
            reps: plan::reps(m.reps)?,
            warmup: m.warmup,
            alternate: m.order == OrderArg::Interleaved,
            seed: m.seed,
            settle: plan::settle(m)?,
            cold_method: m.cold_method,
        },
        spec: plan::corpus_spec(&args.corpus, true)?,
        corpus_dir: args.corpus.dir.clone(),
        data_dir: args.corpus.data_dir.clone(),
        out: args.output.out.clone(),
        run_id: args.output.run_id.clone(),
        progress: !args.output.no_progress,
        mpi: args.mpi.then(|| calibrate::mpi::Launch {
            ranks: args.np,
            ior: args.ior.clone(),
            mdtest: args.mdtest.clone(),
        }),
    })
}

/// Validate `iolab storage probe`'s arguments: each storage value parsed
/// against the providers' descriptions.
///
/// # Errors
/// A storage value or duration that does not parse, named, with what is
/// allowed.
pub fn probe_request(
    args: &super::StorageProbeArgs,
) -> Result<calibrate::storage::ProbeRequest, ConfigError> {
    let storages = storages(&args.storages)?;
    let seconds = plan::parse_duration("--seconds", &args.seconds)?;
    Ok(calibrate::storage::ProbeRequest {
        storages,
        data_dir: args.data_dir.clone(),
        seconds: seconds.max(std::time::Duration::from_millis(100)),
        fio: !args.no_fio,
        hold: args.hold.map(std::time::Duration::from_secs),
    })
}

/// Each storage value parsed against the providers' descriptions.
fn storages(texts: &[String]) -> Result<Vec<crate::storage::Storage>, ConfigError> {
    texts
        .iter()
        .map(|text| {
            text.parse::<crate::storage::Storage>()
                .map_err(|e| ConfigError::Invalid {
                    flag: "storage".into(),
                    value: format!("{text:?}"),
                    allowed: e.problem,
                })
        })
        .collect()
}

/// Validate `iolab storage accuracy`'s arguments: emulated storages only,
/// rounds and reads in range.
///
/// # Errors
/// A storage value that does not parse or is not emulated, or a count out
/// of range, named, with what is allowed.
pub fn accuracy_request(
    args: &super::StorageAccuracyArgs,
) -> Result<calibrate::accuracy::AccuracyRequest, ConfigError> {
    let storages = storages(&args.storages)?;
    if let Some((text, _)) = args
        .storages
        .iter()
        .zip(&storages)
        .find(|(_, s)| !matches!(s, crate::storage::Storage::Emulated(_)))
    {
        return Err(ConfigError::Invalid {
            flag: "storage".into(),
            value: format!("{text:?}"),
            allowed: "an emulated storage (emulated:lat=…,meta=…,qd=…,bw=… or a preset): \
                      accuracy measures the emulator's delay"
                .into(),
        });
    }
    let count = |flag: &str, n: u32, range: std::ops::RangeInclusive<u32>| {
        if range.contains(&n) {
            Ok(n as usize)
        } else {
            Err(ConfigError::Invalid {
                flag: flag.into(),
                value: n.to_string(),
                allowed: format!("a whole number from {} to {}", range.start(), range.end()),
            })
        }
    };
    Ok(calibrate::accuracy::AccuracyRequest {
        storages,
        data_dir: args.data_dir.clone(),
        rounds: count("--rounds", args.rounds, 1..=1000)?,
        reads: count("--reads", args.reads, 10..=100_000)?,
        fio: !args.no_fio,
        threads: count("--threads", args.threads, 1..=1024)?,
    })
}
