//! Safe file handling on directory file descriptors: files are created with `O_NOFOLLOW` and `O_EXCL` relative to an opened folder, never through a symlink.

mod atomic;
pub use atomic::write_atomic;
