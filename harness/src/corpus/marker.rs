//! Ownership of directories: iolab writes into and deletes only directories
//! that carry its marker file, and a marker counts only in the folder it was
//! written in.
//!
//! Owns: which marker a folder carries ([`Marker`]) and the marker file's
//! text, which records the folder's device and inode so that a marker
//! copied elsewhere is refused. Reading and writing marker files is
//! `super::marker_file`'s.
//!
//! Does not own what is inside a directory (corpus rules are in `mod.rs` and
//! `clean`, scratch rules in `scratch`). The marker is written first, so a
//! directory whose contents are half made is still recognisably ours.

use std::fmt;

use crate::safefs::FileId;

/// The marker file that makes a directory iolab's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// `.iolab-corpus`: a corpus directory.
    Corpus,
    /// `.iolab-scratch`: a scratch directory workloads write into.
    Scratch,
}

impl Marker {
    /// The marker's file name inside the directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Marker::Corpus => ".iolab-corpus",
            Marker::Scratch => ".iolab-scratch",
        }
    }

    /// What kind of directory the marker stands for ("corpus", "scratch").
    pub fn kind(self) -> &'static str {
        match self {
            Marker::Corpus => "corpus",
            Marker::Scratch => "scratch",
        }
    }

    /// The marker file's first line: what created the directory and how to
    /// remove it (also the whole text of markers before they recorded their
    /// folder).
    pub fn headline(self) -> &'static str {
        match self {
            Marker::Corpus => {
                "iolab corpus directory: generated data, safe to delete with `iolab corpus clean <dir>`\n"
            }
            Marker::Scratch => {
                "iolab scratch directory: benchmark outputs, safe to delete (iolab removes it after a run)\n"
            }
        }
    }

    /// The full marker text for the folder `id`.
    pub fn content(self, id: FileId) -> String {
        format!(
            "{}device = {}\ninode = {}\n",
            self.headline(),
            id.dev,
            id.ino
        )
    }

    /// The other marker.
    pub(crate) fn other(self) -> Marker {
        match self {
            Marker::Corpus => Marker::Scratch,
            Marker::Scratch => Marker::Corpus,
        }
    }
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}
