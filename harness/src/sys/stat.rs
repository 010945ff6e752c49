//! What a metadata query reports of a path, shared by the blocking
//! backend's `lstat` and the ring's `statx`: never what a link points to.

/// What `Io::stat` reports of a path: the link itself when the path is
/// a link (`lstat`, `AT_SYMLINK_NOFOLLOW`), never what it points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Size in bytes.
    pub size: u64,
    /// Whether it is a regular file (not a link, directory or device).
    pub regular: bool,
}

impl Stat {
    /// The stat of a `st_mode`/`stx_mode` and size.
    pub fn from_mode(mode: u32, size: u64) -> Stat {
        Stat {
            size,
            regular: mode & libc::S_IFMT == libc::S_IFREG,
        }
    }
}
