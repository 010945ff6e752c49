//! Which workload a result names: [`WorkloadId`], the `workload` column of
//! `runs.csv`, `summary.csv` and tune's profiles. Built-in workloads are a
//! closed set ([`WorkloadKind`]); a user's workload is open — registered by
//! the user's binary ([`mod@crate::lab`]), or only named by a run folder that
//! plain `iolab` reads (then a small description with its name stands in,
//! made once per name). Either way the id reaches its description, so a
//! report can take labels and order from it.
//!
//! Owns: the id, its text (the description's name, as the files always had
//! it), its order (registration order). Does not own: the registry of
//! user workloads (`workload::custom`), what a workload does.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::{custom, registry, Workload, WorkloadKind};
use crate::describe::WorkloadDesc;

/// A workload as a result row names it: a built-in one, or a user's.
///
/// Two ids are equal when they name the same workload; they sort in
/// registration order (the built-ins, then the user's registered ones,
/// then the unregistered ones by name). Serde and
/// [`Display`](fmt::Display) give its name.
///
/// ```
/// use iolab::workload::{WorkloadId, WorkloadKind};
///
/// let id = WorkloadId::named("atomic-save");
/// assert_eq!(id, WorkloadKind::AtomicSave);
/// assert_eq!(id.desc().name, "atomic-save");
/// assert!(WorkloadId::named("load-parse").kind().is_none());
/// ```
#[derive(Clone, Copy, Debug)]
pub enum WorkloadId {
    /// One of iolab's own workloads.
    Builtin(WorkloadKind),
    /// A user's workload: registered in this binary, or only named by the
    /// records read (its description then has its name alone).
    User(&'static WorkloadDesc),
}

impl WorkloadId {
    /// The workload named `name`: a built-in one, a user's registered in
    /// this binary, or else one only the records know.
    pub fn named(name: &str) -> WorkloadId {
        match registry::kind(name) {
            Some(kind) => WorkloadId::Builtin(kind),
            None => WorkloadId::User(
                custom::custom(name).unwrap_or_else(|| custom::foreign(name, None)),
            ),
        }
    }

    /// Its description.
    pub fn desc(self) -> &'static WorkloadDesc {
        match self {
            WorkloadId::Builtin(kind) => kind.desc(),
            WorkloadId::User(desc) => desc,
        }
    }

    /// The metrics a user's workload lists (none for a built-in one or
    /// one this binary does not register).
    pub fn metrics(self) -> &'static [&'static super::Metric] {
        match self {
            WorkloadId::Builtin(_) => &[],
            WorkloadId::User(desc) => custom::metrics_of(desc.name),
        }
    }

    /// Its name (the CSV text).
    pub fn name(self) -> &'static str {
        self.desc().name
    }

    /// The built-in workload it is, if it is one.
    pub fn kind(self) -> Option<WorkloadKind> {
        match self {
            WorkloadId::Builtin(kind) => Some(kind),
            WorkloadId::User(_) => None,
        }
    }

    /// Its place in the registration order: built-ins, then the user's
    /// registered workloads; one this binary does not register comes last.
    fn rank(self) -> usize {
        let builtin = WorkloadKind::ALL.len();
        match self {
            WorkloadId::Builtin(kind) => WorkloadKind::ALL
                .iter()
                .position(|k| *k == kind)
                .unwrap_or(builtin),
            WorkloadId::User(desc) => {
                let registered = custom::registered();
                builtin
                    + registered
                        .iter()
                        .position(|d| d.name == desc.name)
                        .unwrap_or(registered.len())
            }
        }
    }
}

impl Default for WorkloadId {
    /// `noop`, the workload that does nothing: what a row built in memory
    /// names before its scenario fills it in.
    fn default() -> WorkloadId {
        WorkloadId::Builtin(WorkloadKind::Noop)
    }
}

impl From<WorkloadKind> for WorkloadId {
    fn from(kind: WorkloadKind) -> WorkloadId {
        WorkloadId::Builtin(kind)
    }
}

impl Workload {
    /// The id its results carry.
    pub fn id(&self) -> WorkloadId {
        match self.kind() {
            Some(kind) => WorkloadId::Builtin(kind),
            None => WorkloadId::User(self.desc()),
        }
    }
}

impl PartialEq for WorkloadId {
    fn eq(&self, other: &WorkloadId) -> bool {
        self.name() == other.name()
    }
}

impl Eq for WorkloadId {}

impl PartialEq<WorkloadKind> for WorkloadId {
    fn eq(&self, kind: &WorkloadKind) -> bool {
        self.kind() == Some(*kind)
    }
}

impl Hash for WorkloadId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl Ord for WorkloadId {
    fn cmp(&self, other: &WorkloadId) -> Ordering {
        (self.rank(), self.name()).cmp(&(other.rank(), other.name()))
    }
}

impl PartialOrd for WorkloadId {
    fn partial_cmp(&self, other: &WorkloadId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for WorkloadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl Serialize for WorkloadId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for WorkloadId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<WorkloadId, D::Error> {
        let name = String::deserialize(d)?;
        Ok(WorkloadId::named(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_names_order_and_descriptions() {
        for kind in WorkloadKind::ALL {
            let id = WorkloadId::named(kind.name());
            assert_eq!(id, *kind);
            assert_eq!(serde_json::json!(id), serde_json::json!(kind.name()));
            let back: WorkloadId = serde_json::from_value(serde_json::json!(kind.name())).unwrap();
            assert_eq!(back.kind(), Some(*kind));
        }
        let user = WorkloadId::named("load-parse");
        assert_eq!((user.kind(), user.name()), (None, "load-parse"));
        assert_eq!(user.desc().name, "load-parse");
        assert_eq!(user.to_string(), "load-parse");
        assert!(std::ptr::eq(
            user.desc(),
            WorkloadId::named("load-parse").desc()
        ));
        let mut ids = [
            user,
            WorkloadId::named("noop"),
            WorkloadId::named("read"),
            WorkloadId::named("a-user-one"),
        ];
        ids.sort();
        let names: Vec<&str> = ids.iter().map(|i| i.name()).collect();
        assert_eq!(names, ["read", "noop", "a-user-one", "load-parse"]);
    }
}
