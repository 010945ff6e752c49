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
    let storages = args
        .storages
        .iter()
        .map(|text| {
            text.parse::<crate::storage::Storage>()
                .map_err(|e| ConfigError::Invalid {
                    flag: "storage".into(),
                    value: format!("{text:?}"),
                    allowed: e.problem,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let seconds = plan::parse_duration("--seconds", &args.seconds)?;
    Ok(calibrate::storage::ProbeRequest {
        storages,
        data_dir: args.data_dir.clone(),
        seconds: seconds.max(std::time::Duration::from_millis(100)),
        fio: !args.no_fio,
        hold: args.hold.map(std::time::Duration::from_secs),
    })
}
