//! `data-dir`: the data folder as it is — no mount, iolab's behaviour
//! before storages were an axis (provided by `super::provide` itself).

use super::describe::StorageDesc;

/// The provider's description.
pub const DESCRIPTION: StorageDesc = StorageDesc {
    name: "data-dir",
    summary: "the data folder as it is (--data-dir), nothing mounted: the default",
    params: &[],
    needs: &[],
    caches: "warm: the inputs read once before timing, in the page cache; cold: \
             drop_caches (root) or posix_fadvise(DONTNEED) per file",
};
