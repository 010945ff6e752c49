//! Durability: how much of what a writing workload (write, copy,
//! atomic-save) wrote must have reached the disk when its timed region
//! closes — the axis `--durability none,end-sync,each` (`durability` in
//! experiment files).
//!
//! Owns: the [`Durability`] choice, its knob description (declared once
//! here, listed by each writing workload's description) and the per-file
//! `fsync` a task does under [`Durability::Each`]. Does not own: the
//! end-of-work `syncfs` (the strategies close the timed region, see
//! `crate::strategy`), nor what a variant syncs of its own accord
//! (atomic-save's `rename-fsync` variants).

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::describe::{KnobDesc, KnobError, KnobKind, KnobValues};
use crate::io::{Io, Open};

/// The knob of every writing workload.
pub(super) const KNOB: KnobDesc = KnobDesc {
    key: "durability",
    kind: KnobKind::Choice(&["none", "end-sync", "each"]),
    default: "none",
    help: "what must be on disk when the timed region closes: none (page cache only), end-sync (one syncfs of the scratch filesystem after the last task, as fio's end_fsync), each (fsync of every file a task writes, inside the task)",
    variants: &[],
};

/// What must be on disk when the timed region closes. Serialized by its
/// name; read back from its name or, in plans recorded before the axis
/// (write's `fsync` switch), from `true` (each) or `false` (none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// Page cache only: the data may still be dirty in memory (the
    /// tutorials' save, and iolab's behaviour before the axis).
    #[default]
    None,
    /// One `syncfs(2)` of the destination filesystem after the last task,
    /// inside the timed region (fio's `end_fsync`).
    EndSync,
    /// `fsync(2)` of every file written, inside its task.
    Each,
}

impl Durability {
    /// Every setting, in the order reports list them.
    pub const ALL: [Durability; 3] = [Durability::None, Durability::EndSync, Durability::Each];

    /// The setting a results row records by name (`none`, `end-sync`,
    /// `each`); `None` for anything else (the empty cell of a workload that
    /// writes nothing).
    pub fn from_name(name: &str) -> Option<Durability> {
        Durability::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// The value given for the knob (or its default).
    ///
    /// # Errors
    /// A name that is not `none`, `end-sync` or `each`.
    pub(super) fn of(knobs: &KnobValues) -> Result<Durability, KnobError> {
        let name = knobs.choice(&KNOB)?;
        Durability::from_name(name).ok_or_else(|| KnobError {
            key: KNOB.key,
            value: name.to_string(),
            allowed: KNOB.kind.to_string(),
        })
    }

    /// Its name, as written on the command line and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::None => "none",
            Durability::EndSync => "end-sync",
            Durability::Each => "each",
        }
    }

    /// `label` with this durability appended when it is not `none`
    /// (`one-write,end-sync`): scenario ids and variant labels keep their
    /// old form for the default.
    pub(super) fn labelled(self, label: String) -> String {
        match self {
            Durability::None => label,
            Durability::EndSync | Durability::Each => format!("{label},{}", self.as_str()),
        }
    }

    /// Under [`Durability::Each`], `fsync` the open file `file`.
    ///
    /// # Errors
    /// The error of `fsync`.
    pub(super) async fn sync_file<I: Io>(self, io: &I, file: &I::File) -> io::Result<()> {
        match self {
            Durability::Each => io.sync_all(file).await,
            Durability::None | Durability::EndSync => Ok(()),
        }
    }

    /// Under [`Durability::Each`], `fsync` the file at `path`, opened
    /// read-only without following a link (a kernel copy has no handle of
    /// the destination; `fsync` of a read-only descriptor flushes the file).
    ///
    /// # Errors
    /// The error of `open`, `fsync` or `close`.
    pub(super) async fn sync_path<I: Io>(self, io: &I, path: &Path) -> io::Result<()> {
        if self != Durability::Each {
            return Ok(());
        }
        let file = io.open(path, Open::READ_NO_FOLLOW).await?;
        let synced = io.sync_all(&file).await;
        let closed = io.close(file).await;
        synced.and(closed)
    }
}

impl<'de> Deserialize<'de> for Durability {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Durability, D::Error> {
        /// The two forms a recorded plan may hold.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Recorded {
            Name(String),
            Fsync(bool),
        }
        match Recorded::deserialize(d)? {
            Recorded::Fsync(true) => Ok(Durability::Each),
            Recorded::Fsync(false) => Ok(Durability::None),
            Recorded::Name(name) => match name.as_str() {
                "none" => Ok(Durability::None),
                "end-sync" => Ok(Durability::EndSync),
                "each" => Ok(Durability::Each),
                other => Err(serde::de::Error::custom(format!(
                    "durability {other:?}: allowed none, end-sync, each"
                ))),
            },
        }
    }
}

impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}
