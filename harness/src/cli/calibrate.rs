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
