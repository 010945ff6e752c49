//! The owned byte buffer that file operations take by value and hand back
//! with their result ([`Buf`], [`BufResult`]): an io_uring operation needs
//! its buffer to stay put until the kernel is done, and `O_DIRECT` needs it
//! aligned. Owns the buffer only; the operations are `crate::io`'s and the
//! ring's (`super::uring`).

use std::io;

/// An owned byte buffer with an optionally aligned window, passed by value
/// into an operation and returned with its result.
#[derive(Debug, Default)]
pub struct Buf {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl Buf {
    /// A zeroed buffer of `len` bytes.
    pub fn zeroed(len: usize) -> Buf {
        Buf {
            storage: vec![0; len],
            start: 0,
            len,
        }
    }

    /// A zeroed buffer of `len` bytes whose first byte sits at a multiple of
    /// `align` (a power of two), as `O_DIRECT` needs.
    pub fn aligned(len: usize, align: usize) -> Buf {
        let storage = vec![0u8; len + align];
        let start = storage.as_ptr().align_offset(align).min(align);
        Buf {
            storage,
            start,
            len,
        }
    }

    /// A buffer holding exactly `bytes`.
    pub fn from_vec(bytes: Vec<u8>) -> Buf {
        let len = bytes.len();
        Buf {
            storage: bytes,
            start: 0,
            len,
        }
    }

    /// Length of the window.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the window is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Shrink or grow the window (within capacity for growth) — e.g. to the
    /// bytes a read returned, or to write only a prefix.
    #[inline]
    pub fn set_len(&mut self, len: usize) {
        let capacity = self.storage.len() - self.start;
        if len > capacity {
            self.storage.resize(self.start + len, 0);
        }
        self.len = len;
    }

    /// The window's bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }

    /// The window's bytes, writable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + self.len]
    }

    /// The window's bytes as a vector (copies only when the window is not the
    /// whole storage).
    pub fn into_vec(mut self) -> Vec<u8> {
        if self.start == 0 {
            self.storage.truncate(self.len);
            self.storage
        } else {
            self.as_slice().to_vec()
        }
    }
}

/// A result that hands the buffer back.
pub type BufResult = (io::Result<usize>, Buf);
