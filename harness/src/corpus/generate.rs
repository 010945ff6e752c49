//! Writing a corpus to disk: data files in parallel, the large file streamed,
//! then the manifest.
//!
//! Owns: the order of writes (the record of members first, then the
//! subfolders of a sharded corpus, then data files
//! and the large file, the manifest last and atomically) and the per-file
//! sizes and checksums that go into the manifest. Expects the directory to
//! exist and carry the corpus marker.
//!
//! Speed: rayon over files, one reused buffer per worker, one `write_all` per
//! file, so generation is bound by the disk, not by formatting. The large file
//! is rendered in 8 MiB blocks and written sequentially on its own worker,
//! alongside the data files.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::error::{create_error, write_error, CorpusError};
use super::folders::{folder_of, open_shards};
use super::manifest::{FileEntry, LargeEntry, Manifest};
use super::members;
use super::names::file_name;
use super::progress::run_with_progress;
use super::render::{checksum, render_file, render_large, ChecksumHasher};
use super::space::{self, SpaceNeed};
use super::spec::{CorpusSpec, LARGE_FILE_NAME};
use crate::safefs::Dir;

/// Record `spec`'s files as iolab's, write every one into `dir`, then its
/// manifest; return the manifest. `progress(done_bytes, total_bytes)` is
/// called now and then.
///
/// # Errors
/// [`CorpusError::NoSpace`] when the device fills up (quoting
/// [`SpaceNeed`], as the check before writing does), [`CorpusError::Io`]
/// naming the file otherwise. The manifest is then not written, so the
/// directory reads as incomplete (and its record of members names what
/// was written, for a rebuild or `corpus clean` to delete).
pub(crate) fn generate(
    dir: &Dir,
    spec: &CorpusSpec,
    progress: &dyn Fn(u64, u64),
) -> Result<Manifest, CorpusError> {
    let needed = spec.space_need(space::block_size(dir));
    members::record(dir, spec, needed)?;
    let shards = open_shards(dir, spec.folders)?;
    let done = AtomicU64::new(0);
    let (files, large) = run_with_progress(&done, needed.data, progress, || {
        rayon::join(
            || write_data_files((dir, &shards), spec, needed, &done),
            || write_large_file(dir, spec, needed, &done),
        )
    });
    let manifest = Manifest::new(spec.clone(), files?, large?);
    manifest.store(dir, needed)?;
    Ok(manifest)
}

/// Write data files `0..spec.files` in parallel, each in its folder (`dir`,
/// or its subfolder among `shards` when the corpus is sharded); their
/// entries in index order.
fn write_data_files(
    (top, shards): (&Dir, &[Dir]),
    spec: &CorpusSpec,
    needed: SpaceNeed,
    done: &AtomicU64,
) -> Result<Vec<FileEntry>, CorpusError> {
    (0..spec.files)
        .into_par_iter()
        .map_init(Vec::new, |buf, k| {
            render_file(k, spec.lines, spec.values, buf);
            let name = file_name(k, spec.files);
            let dir = folder_of(top, shards, k);
            let mut file = create(dir, &name, needed)?;
            file.write_all(&buf[..])
                .map_err(|e| write_error(e, dir.path(), dir.child_path(&name), needed))?;
            done.fetch_add(buf.len() as u64, Ordering::Relaxed);
            Ok(FileEntry {
                size: buf.len() as u64,
                checksum: checksum(buf),
            })
        })
        .collect()
}

/// Stream the large file, when the spec has one, checksumming as it goes.
fn write_large_file(
    dir: &Dir,
    spec: &CorpusSpec,
    needed: SpaceNeed,
    done: &AtomicU64,
) -> Result<Option<LargeEntry>, CorpusError> {
    let Some(min_bytes) = spec.large_file_bytes else {
        return Ok(None);
    };
    let mut file = create(dir, LARGE_FILE_NAME, needed)?;
    let mut hasher = ChecksumHasher::new();
    let info = render_large(spec.values, min_bytes, |block| {
        file.write_all(block)?;
        hasher.update(block);
        done.fetch_add(block.len() as u64, Ordering::Relaxed);
        Ok(())
    })
    .map_err(|e| write_error(e, dir.path(), dir.child_path(LARGE_FILE_NAME), needed))?;
    Ok(Some(LargeEntry {
        name: LARGE_FILE_NAME.to_string(),
        bytes: info.bytes,
        lines: info.lines,
        checksum: hasher.finish(),
    }))
}

/// Create the new file `name` in `dir` (never through a link).
fn create(dir: &Dir, name: &str, needed: SpaceNeed) -> Result<File, CorpusError> {
    dir.create_file(name)
        .map_err(|e| create_error(e, dir.path(), dir.child_path(name), needed))
}
