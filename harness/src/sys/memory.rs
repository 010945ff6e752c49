//! Memory maps of files, and page residency (`mincore(2)`).

use std::fs::File;
use std::io;

use memmap2::{Advice, Mmap};

/// Map `file` read-only, whole. `None` for an empty file (a zero-length map is
/// not allowed).
///
/// # Errors
/// The OS error from `mmap(2)`.
pub fn map_readonly(file: &File) -> io::Result<Option<Mmap>> {
    if file.metadata()?.len() == 0 {
        return Ok(None);
    }
    // SAFETY: iolab maps only files it created (corpus files, opened read-only)
    // and never truncates them while mapped; a concurrent external truncation
    // would raise SIGBUS, which is the documented risk of any mmap reader.
    let map = unsafe { Mmap::map(file)? };
    Ok(Some(map))
}

/// Tell the kernel the map will be read sequentially (`MADV_SEQUENTIAL`), so
/// it reads ahead aggressively and drops pages behind.
///
/// # Errors
/// The OS error from `madvise(2)`.
pub fn advise_sequential(map: &Mmap) -> io::Result<()> {
    map.advise(Advice::Sequential)
}

/// How many of `file`'s pages are in the page cache now, out of how many.
///
/// # Errors
/// The OS error from `mmap(2)` or `mincore(2)`.
pub fn resident_pages(file: &File) -> io::Result<(u64, u64)> {
    let Some(map) = map_readonly(file)? else {
        return Ok((0, 0));
    };
    let page = page_size();
    let pages = map.len().div_ceil(page);
    let mut vec = vec![0u8; pages];
    // SAFETY: `map` is a live mapping of `map.len()` bytes starting at a page
    // boundary, and `vec` holds one byte for each of its pages, as mincore needs.
    let rc = unsafe {
        libc::mincore(
            map.as_ptr() as *mut libc::c_void,
            map.len(),
            vec.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let resident = vec.iter().filter(|b| **b & 1 == 1).count();
    Ok((resident as u64, pages as u64))
}

/// The system page size in bytes.
pub fn page_size() -> usize {
    rustix::param::page_size()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn freshly_written_file_is_resident() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&vec![1u8; 64 * 1024]).unwrap();
        let (resident, total) = resident_pages(&f).unwrap();
        assert_eq!(total, (64 * 1024 / page_size()) as u64);
        assert_eq!(resident, total);
    }

    #[test]
    fn empty_file_has_no_pages() {
        let f = tempfile::tempfile().unwrap();
        assert_eq!(resident_pages(&f).unwrap(), (0, 0));
        assert!(map_readonly(&f).unwrap().is_none());
    }
}
