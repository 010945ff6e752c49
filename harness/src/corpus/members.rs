//! Which entries of a corpus folder are iolab's to delete: the files its
//! records name, and nothing else, whatever their names look like.
//!
//! Two records name members: the manifest (the corpus as finished) and
//! `.iolab-members` (the spec whose files are being or were written,
//! stored before the first data file, so a generation stopped midway,
//! which has no manifest yet, is still known). A name counts as a member
//! when it is exactly a data file name of a recorded spec (index in range,
//! the spec's width) or `large.csv` of a spec with a large file: a user's
//! `data-00051.csv` in a 50-file corpus, `data-1.csv`, `data-000001.csv` or
//! `large.csv` beside a corpus without one is not. In a sharded corpus
//! (`folders`) the members are the recorded spec's `shard-*` subfolders
//! (exact names, index in range) and, in subfolder `i`, exactly the data
//! file names of that spec whose index `k` has `k mod K = i`; a
//! subfolder is removed once its members are gone and it is empty.
//!
//! Owns: the records' reading and writing, the one removal that
//! `corpus clean` and a rebuild share ([`remove_members`]: regular files the
//! records name, on the folder's own mount; everything else kept and
//! listed), and the refusals a rebuild makes before deleting anything
//! ([`check_rebuild`]). Does not own the refusals of `clean` (`clean`) or
//! the locks (`lock`).

use serde::{Deserialize, Serialize};

use super::error::CorpusError;
use super::lock::{LOCK_FILE_NAME, READERS_FILE_NAME};
use super::manifest::{store_json, Manifest, MANIFEST_FILE_NAME, MANIFEST_TEMP_NAME};
use super::marker::Marker;
use super::names::parse_file_name;
use super::space::SpaceNeed;
use super::spec::{CorpusSpec, LARGE_FILE_NAME};
use crate::safefs::{Dir, Kind};

/// File name of the record of members inside a corpus folder.
pub const MEMBERS_FILE_NAME: &str = ".iolab-members";
/// Temporary name the record is written under before the rename.
const MEMBERS_TEMP_NAME: &str = ".iolab-members.tmp";
/// The most iolab reads of a record of members (it holds one spec).
const MEMBERS_MAX_BYTES: u64 = 64 << 10;

/// `.iolab-members`: the spec whose files iolab writes in this folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MembersRecord {
    spec: CorpusSpec,
}

/// What iolab's records say a corpus folder holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct Records {
    /// The specs recorded (the manifest's, the record of members').
    specs: Vec<CorpusSpec>,
    /// Per record, what it is: "manifest.json names 50 data files",
    /// "manifest.json is missing", "… is unreadable (why)".
    notes: Vec<String>,
}

impl Records {
    /// Read both records of `folder`; an unparsable one names nothing (and
    /// its note says why).
    ///
    /// # Errors
    /// [`CorpusError::Fs`] when a record is not a regular file (a FIFO, a
    /// link, a folder), is too large or cannot be read.
    pub(crate) fn read(folder: &Dir) -> Result<Records, CorpusError> {
        let mut records = Records::default();
        let manifest = match Manifest::load(folder) {
            Ok(m) => m.map(|m| m.spec),
            Err(CorpusError::ManifestCorrupt { cause, .. }) => {
                records
                    .notes
                    .push(format!("{MANIFEST_FILE_NAME} is unreadable ({cause})"));
                None
            }
            Err(e) => return Err(e),
        };
        records.note(MANIFEST_FILE_NAME, manifest);
        let path = folder.child_path(MEMBERS_FILE_NAME);
        let members = match folder.read(MEMBERS_FILE_NAME, MEMBERS_MAX_BYTES)? {
            None => None,
            Some(bytes) => match serde_json::from_slice::<MembersRecord>(&bytes) {
                Ok(r) => Some(r.spec),
                Err(e) => {
                    let name = path.display();
                    records.notes.push(format!("{name} is unreadable ({e})"));
                    None
                }
            },
        };
        records.note(MEMBERS_FILE_NAME, members);
        Ok(records)
    }

    /// Record `spec` (when there is one) and a note on it.
    fn note(&mut self, record: &str, spec: Option<CorpusSpec>) {
        match spec {
            Some(spec) => {
                let large = if spec.large_file_bytes.is_some() {
                    " and large.csv"
                } else {
                    ""
                };
                let files = super::error::count(u64::from(spec.files), "data file", "data files");
                self.notes.push(format!("{record} names {files}{large}"));
                self.specs.push(spec);
            }
            None if self.notes.iter().any(|n| n.starts_with(record)) => {}
            None => self.notes.push(format!("{record} is missing")),
        }
    }

    /// Whether a record names `name` (an entry of the corpus folder
    /// itself) as a member file.
    pub(crate) fn names(&self, name: &str) -> bool {
        self.specs.iter().any(|spec| is_member(spec, name))
    }

    /// Whether a record names `name` (an entry of the corpus folder) as
    /// one of its subfolders.
    pub(crate) fn names_shard(&self, name: &str) -> bool {
        self.specs
            .iter()
            .any(|spec| spec.folders.parse_shard(name).is_some())
    }

    /// Whether a record names `name` as a member file in subfolder `shard`.
    pub(crate) fn names_in_shard(&self, shard: &str, name: &str) -> bool {
        self.specs
            .iter()
            .any(|spec| is_shard_member(spec, shard, name))
    }

    /// What the records are, for messages.
    fn summary(&self) -> String {
        self.notes.join("; ")
    }
}

/// Whether `name` is one of the files `spec` generates in the corpus
/// folder itself (its data files when flat, its large file).
fn is_member(spec: &CorpusSpec, name: &str) -> bool {
    (spec.folders.is_flat() && parse_file_name(name, spec.files).is_some())
        || (name == LARGE_FILE_NAME && spec.large_file_bytes.is_some())
}

/// Whether `name` is one of the files `spec` generates in its subfolder
/// `shard`.
fn is_shard_member(spec: &CorpusSpec, shard: &str, name: &str) -> bool {
    let (Some(i), Some(k)) = (
        spec.folders.parse_shard(shard),
        parse_file_name(name, spec.files),
    ) else {
        return false;
    };
    spec.folders.shards().is_some_and(|count| k % count == i)
}

/// Whether `name` is one of iolab's bookkeeping files in a corpus folder
/// (marker, records and their temporary names, lock files): not a member,
/// never listed as kept.
pub(crate) fn is_bookkeeping(name: &str) -> bool {
    [
        Marker::Corpus.file_name(),
        MANIFEST_FILE_NAME,
        MANIFEST_TEMP_NAME,
        MEMBERS_FILE_NAME,
        MEMBERS_TEMP_NAME,
        LOCK_FILE_NAME,
        READERS_FILE_NAME,
    ]
    .contains(&name)
}

/// Record, before its first file is written, that `spec`'s files are
/// iolab's in `folder`.
///
/// # Errors
/// As [`store_json`].
pub(crate) fn record(
    folder: &Dir,
    spec: &CorpusSpec,
    needed: SpaceNeed,
) -> Result<(), CorpusError> {
    let record = MembersRecord { spec: spec.clone() };
    store_json(
        folder,
        (MEMBERS_FILE_NAME, MEMBERS_TEMP_NAME),
        &record,
        needed,
    )
}

/// Remove both records (and their temporary files): the members are gone.
///
/// # Errors
/// [`CorpusError::Fs`] naming the file that could not be deleted.
pub(crate) fn forget(folder: &Dir) -> Result<usize, CorpusError> {
    let mut removed = 0;
    for name in [
        MANIFEST_FILE_NAME,
        MANIFEST_TEMP_NAME,
        MEMBERS_FILE_NAME,
        MEMBERS_TEMP_NAME,
    ] {
        removed += usize::from(folder.remove_file(name)?);
    }
    Ok(removed)
}

/// What [`remove_members`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Removal {
    /// Members removed.
    pub removed: usize,
    /// Entries kept, by name (`name/` for folders, the kind in brackets
    /// for links, special files and mount points), bookkeeping aside.
    pub kept: Vec<String>,
}

/// Delete every regular file of `folder` the records name (a member on
/// another mount, a bind mount say, is kept); keep and list everything
/// else but iolab's bookkeeping files. `corpus clean` and a rebuild both
/// delete through this, and nothing else.
///
/// # Errors
/// [`CorpusError::Fs`] when the folder cannot be listed or a removal fails.
pub(crate) fn remove_members(folder: &Dir, records: &Records) -> Result<Removal, CorpusError> {
    let mut removal = Removal::default();
    for (name, kind, mount) in folder.entries_with_mounts()? {
        let text = name.to_string_lossy();
        if is_bookkeeping(&text) {
            continue;
        }
        let shard = name.to_str().filter(|n| records.names_shard(n));
        if let (Some(shard), Kind::Dir, false) = (shard, kind, mount) {
            remove_shard(folder, shard, records, &mut removal)?;
            continue;
        }
        let member = name.to_str().is_some_and(|n| records.names(n));
        match kind {
            Kind::File if member && !mount => {
                removal.removed += usize::from(folder.remove_file(&name)?);
            }
            _ if mount => removal.kept.push(format!("{text} (mount point)")),
            Kind::File => removal.kept.push(text.into_owned()),
            Kind::Dir => removal.kept.push(format!("{text}/")),
            Kind::Symlink | Kind::Special(_) => removal.kept.push(format!("{text} ({kind})")),
        }
    }
    Ok(removal)
}

/// Delete the member files of subfolder `shard` of `folder` (regular files
/// the records name there, on the subfolder's mount), keeping and listing
/// (as `shard/name`) everything else, then the subfolder when it is empty.
fn remove_shard(
    folder: &Dir,
    shard: &str,
    records: &Records,
    removal: &mut Removal,
) -> Result<(), CorpusError> {
    let sub = folder.open_dir(shard)?;
    let before = removal.kept.len();
    for (name, kind, mount) in sub.entries_with_mounts()? {
        let text = name.to_string_lossy();
        let member = name
            .to_str()
            .is_some_and(|n| records.names_in_shard(shard, n));
        match kind {
            Kind::File if member && !mount => {
                removal.removed += usize::from(sub.remove_file(&name)?);
            }
            _ if mount => removal.kept.push(format!("{shard}/{text} (mount point)")),
            Kind::File => removal.kept.push(format!("{shard}/{text}")),
            Kind::Dir => removal.kept.push(format!("{shard}/{text}/")),
            Kind::Symlink | Kind::Special(_) => {
                removal.kept.push(format!("{shard}/{text} ({kind})"));
            }
        }
    }
    drop(sub);
    if removal.kept.len() == before && !folder.remove_empty_dir(shard)? {
        removal.kept.push(format!("{shard}/"));
    }
    Ok(())
}

/// The refusals of a rebuild of `folder` into `spec`, made before anything
/// is deleted (so the manifest survives them): a member the records name
/// that is not a regular file iolab could delete ([`CorpusError::BadMember`]),
/// and files the new corpus would be written over that no record names
/// ([`CorpusError::InTheWay`]).
///
/// # Errors
/// Those two; [`CorpusError::Fs`] when the folder cannot be listed.
pub(crate) fn check_rebuild(
    folder: &Dir,
    records: &Records,
    spec: &CorpusSpec,
) -> Result<(), CorpusError> {
    let mut in_the_way = Vec::new();
    for (name, kind, mount) in folder.entries_with_mounts()? {
        let Some(name) = name.to_str() else { continue };
        if is_bookkeeping(name) {
            continue;
        }
        let path = folder.child_path(name);
        let recorded = records.names_shard(name);
        let wanted = spec.folders.parse_shard(name).is_some();
        if recorded || wanted {
            match kind {
                Kind::Dir if !mount => {
                    check_shard(folder, name, records, spec, &mut in_the_way)?;
                    continue;
                }
                _ if !recorded => {
                    in_the_way.push(name.to_string());
                    continue;
                }
                _ if mount => {
                    let what = "mount point".into();
                    return Err(CorpusError::BadMember { path, what });
                }
                kind => {
                    let what = kind.to_string();
                    return Err(CorpusError::BadMember { path, what });
                }
            }
        }
        if records.names(name) {
            let what = match kind {
                _ if mount => "mount point".into(),
                Kind::File => continue,
                kind => kind.to_string(),
            };
            return Err(CorpusError::BadMember { path, what });
        } else if is_member(spec, name) {
            in_the_way.push(name.to_string());
        }
    }
    if in_the_way.is_empty() {
        return Ok(());
    }
    Err(CorpusError::InTheWay {
        dir: folder.path().to_path_buf(),
        names: in_the_way,
        why: records.summary(),
    })
}

/// [`check_rebuild`] in subfolder `shard` of `folder`: a member the
/// records name there that is not a regular file is refused; a file
/// `spec` would write there that no record names is in the way.
fn check_shard(
    folder: &Dir,
    shard: &str,
    records: &Records,
    spec: &CorpusSpec,
    in_the_way: &mut Vec<String>,
) -> Result<(), CorpusError> {
    let sub = folder.open_dir(shard)?;
    for (name, kind, mount) in sub.entries_with_mounts()? {
        let Some(name) = name.to_str() else { continue };
        if records.names_in_shard(shard, name) {
            let what = match kind {
                _ if mount => "mount point".into(),
                Kind::File => continue,
                kind => kind.to_string(),
            };
            let path = sub.child_path(name);
            return Err(CorpusError::BadMember { path, what });
        } else if is_shard_member(spec, shard, name) {
            in_the_way.push(format!("{shard}/{name}"));
        }
    }
    Ok(())
}
