//! Memory maps of files, page residency (`mincore(2)`), and the heap
//! allocator's starting state for each repetition.
//!
//! # Platform specific behavior
//! The allocator's settings are glibc's (`mallopt(3)`, `malloc_trim(3)`);
//! on another C library [`fix_allocator`] and [`release_free_memory`] do
//! nothing, and a repetition starts from whatever that allocator keeps.

use std::fs::File;
use std::io;
use std::sync::Once;

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

/// glibc's static trim and mmap thresholds (`M_TRIM_THRESHOLD`,
/// `M_MMAP_THRESHOLD`: 128 KiB each), the values a process starts with.
const GLIBC_THRESHOLD: libc::c_int = 128 * 1024;

/// Make the heap allocator behave the same in every arena, every
/// repetition and every process of a run: glibc's trim and mmap thresholds
/// fixed at the values a process starts with (128 KiB), instead of raised
/// by whatever large block the process freed before (glibc's dynamic
/// thresholds, up to 32 MiB and 64 MiB). Then free memory above 128 KiB at
/// the top of any arena goes back to the kernel when it is freed, and
/// allocations of 128 KiB or more are fresh maps, whichever thread makes
/// them.
///
/// Why: `malloc_trim` returns the main arena's free top to the kernel but
/// not a thread arena's, and a thread arena's top is returned when freed
/// only above the trim threshold, which glibc raises each time the process
/// frees a large mapped block (the harness's own buffers included); so,
/// before this, memory a `threads` repetition freed stayed mapped
/// in its threads' arenas for the next one, while `sequential` (the main
/// arena) and every worker process (a fresh process) touched theirs anew:
/// 6,885 against 3 page faults per repetition of a warm `read whole` of
/// 3,000 files. Called first by `lab::Lab::main` (parent and worker
/// processes alike) and again by [`release_free_memory`]; only the first
/// call in a process changes anything.
pub fn fix_allocator() {
    static FIXED: Once = Once::new();
    FIXED.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only sets allocator parameters (it takes the main
        // arena's lock itself) and may be called at any time from any thread.
        unsafe {
            libc::mallopt(libc::M_TRIM_THRESHOLD, GLIBC_THRESHOLD);
            libc::mallopt(libc::M_MMAP_THRESHOLD, GLIBC_THRESHOLD);
        }
    });
}

/// Hand every arena's free heap memory back to the kernel
/// (`malloc_trim(0)` on glibc, after [`fix_allocator`]), so each repetition
/// starts with the memory it will keep unmapped, under every strategy: as
/// a fresh worker process starts. Its first touches are then part of the
/// repetition's cost (`minor_faults` of its row), and memory a previous
/// repetition freed does not count as resident in the next one's peak.
pub fn release_free_memory() {
    fix_allocator();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel; it takes
    // no pointers and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
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
