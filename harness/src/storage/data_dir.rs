//! `data-dir`: the data folder as it is — no mount, iolab's behaviour
//! before storages were an axis.

use std::path::Path;

use super::describe::StorageDesc;
use super::{Held, ProvideError, Provided, Storage, StorageRecord};

/// The provider's description.
pub const DESCRIPTION: StorageDesc = StorageDesc {
    name: "data-dir",
    summary: "the data folder as it is (--data-dir), nothing mounted: the default",
    params: &[],
    needs: &[],
    caches: "warm: the inputs read once before timing, in the page cache; cold: \
             drop_caches (root) or posix_fadvise(DONTNEED) per file",
};

/// Hand back the data folder itself.
///
/// # Errors
/// [`ProvideError::Failed`] when the folder cannot be made.
pub fn provide(data_dir: &Path) -> Result<Provided, ProvideError> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        ProvideError::Failed(anyhow::anyhow!("creating {}: {e}", data_dir.display()))
    })?;
    let record = StorageRecord::of_mount(Storage::DataDir, data_dir, None);
    Ok(Provided {
        storage: Storage::DataDir,
        dir: data_dir.to_path_buf(),
        record,
        held: Held::Nothing,
    })
}
