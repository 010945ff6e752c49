//! `iolab compare --pair-by KNOB`: which scenarios of two runs (or of one
//! run compared with itself) to set side by side when their ids differ only
//! in one knob's value — `gzip/default,level=1/threads-4/warm` against
//! `gzip/default,level=9/threads-4/warm`.
//!
//! A knob's value is read from the scenario id, where every workload's
//! label writes it as `key=value` among the variant's comma-separated items
//! (user workloads write every knob of their variant, defaults included),
//! so a run folder alone is enough: plain `iolab` pairs the runs of a
//! user's binary too.
//!
//! Owns: reading knob values out of ids, the pairs and the refusal of a
//! knob neither run has. Does not own: the statistics of a pair or how it
//! is shown ([`super::compare`]).

use std::cmp::Ordering;

/// Two scenarios to compare: the reference and the other, each an id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// The reference scenario's id (run A's).
    pub a: String,
    /// The other scenario's id (run B's).
    pub b: String,
    /// How the pair reads in a table: A's id, then B's value of the knob
    /// (`gzip/default,level=1/threads-4/warm → level=9`).
    pub label: String,
}

/// A scenario id with the value of the knob `key` taken out.
struct Split<'a> {
    id: &'a str,
    /// The id with the value replaced by `*`: equal for the scenarios
    /// that differ only in this knob.
    rest: String,
    value: &'a str,
}

/// The variant segment's items of `id` (`workload/variant/strategy/cache`),
/// the storage and subset suffixes (`+on-…`) cut off the last one.
fn items(id: &str) -> impl Iterator<Item = &str> {
    id.split('/')
        .nth(1)
        .unwrap_or("")
        .split(',')
        .map(|item| item.split('+').next().unwrap_or(item))
}

/// `id` split at knob `key`'s value, if its variant has the knob.
fn split<'a>(id: &'a str, key: &str) -> Option<Split<'a>> {
    let prefix = format!("{key}=");
    let item = items(id).find(|item| item.starts_with(&prefix))?;
    let value = &item[prefix.len()..];
    // `item` is a slice of `id`: the value's place in it.
    let start = item.as_ptr() as usize - id.as_ptr() as usize + prefix.len();
    let rest = format!("{}*{}", &id[..start], &id[start + value.len()..]);
    Some(Split { id, rest, value })
}

/// The ids of `ids` that write knob `key`, split at its value.
fn splits<'a>(ids: &'a [String], key: &str) -> Vec<Split<'a>> {
    ids.iter().filter_map(|id| split(id, key)).collect()
}

/// Every knob key the ids write (`level`, `read_size`), in first-seen order.
pub fn knob_keys<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for id in ids {
        for item in items(id) {
            if let Some((key, _)) = item.split_once('=') {
                if !keys.iter().any(|k| k == key) {
                    keys.push(key.to_string());
                }
            }
        }
    }
    keys
}

/// Knob values in their natural order: sizes and numbers by magnitude
/// (`8KiB` before `64KiB`), then text.
fn value_order(a: &str, b: &str) -> Ordering {
    let number = |v: &str| crate::experiment::parse_size(v).ok();
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// The pairs of `a`'s and `b`'s scenario ids that differ only in knob
/// `key`'s value. With one run (`same`: `b` is `a`), each two values of a
/// scenario are paired once, the smaller value the reference; with two
/// runs, each scenario of A is paired with every scenario of B at another
/// value of the knob.
///
/// # Errors
/// A knob neither run's ids write, in one line naming those they do.
pub fn pairs(a: &[String], b: &[String], key: &str, same: bool) -> Result<Vec<Pair>, String> {
    let known = knob_keys(a.iter().chain(b).map(String::as_str));
    if !known.iter().any(|k| k == key) {
        let which = if same { "the run" } else { "either run" };
        let there = if known.is_empty() {
            "its scenarios have no knobs in their ids".to_string()
        } else {
            format!("knobs there: {}", known.join(", "))
        };
        return Err(format!(
            "--pair-by {key}: not a knob of {which}'s scenarios; {there}"
        ));
    }
    let (sa, sb) = (splits(a, key), splits(b, key));
    let mut out = Vec::new();
    for x in &sa {
        for y in sb.iter().filter(|y| y.rest == x.rest && y.value != x.value) {
            if same && value_order(x.value, y.value) != Ordering::Less {
                continue;
            }
            out.push(Pair {
                a: x.id.to_string(),
                b: y.id.to_string(),
                label: format!("{} → {key}={}", x.id, y.value),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_run_pairs_each_two_values_once_smaller_first() {
        let run = ids(&[
            "gzip/default,level=1/threads-4/warm",
            "gzip/default,level=6/threads-4/warm",
            "gzip/default,level=9/threads-4/warm",
            "gzip/default,level=9/sequential/warm",
            "load-parse/io,read_size=64KiB/threads-4/warm",
        ]);
        let p = pairs(&run, &run, "level", true).unwrap();
        let got: Vec<(&str, &str)> = p.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    "gzip/default,level=1/threads-4/warm",
                    "gzip/default,level=6/threads-4/warm"
                ),
                (
                    "gzip/default,level=1/threads-4/warm",
                    "gzip/default,level=9/threads-4/warm"
                ),
                (
                    "gzip/default,level=6/threads-4/warm",
                    "gzip/default,level=9/threads-4/warm"
                ),
            ]
        );
        assert_eq!(p[1].label, "gzip/default,level=1/threads-4/warm → level=9");
        // Sizes in their natural order, not the text's.
        let run = ids(&[
            "load-parse/io,read_size=64KiB/threads-2/warm",
            "load-parse/io,read_size=8KiB/threads-2/warm",
        ]);
        let p = pairs(&run, &run, "read_size", true).unwrap();
        assert_eq!(p.len(), 1);
        assert!(p[0].a.contains("8KiB") && p[0].b.contains("64KiB"), "{p:?}");
    }

    #[test]
    fn two_runs_pair_other_values_with_the_rest_equal() {
        let a = ids(&[
            "gzip/default,level=1/threads-4/warm",
            "gzip/default,level=1/threads-2/warm",
        ]);
        let b = ids(&[
            "gzip/default,level=9/threads-4/warm",
            "gzip/default,level=1/threads-4/warm",
            "gzip/default,level=9/threads-4/cold",
        ]);
        let p = pairs(&a, &b, "level", false).unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].b, "gzip/default,level=9/threads-4/warm");
        // A suffix stays part of what must be equal.
        let a = ids(&["read/buffer=4KiB+on-tmpfs/threads-2/warm"]);
        let b = ids(&[
            "read/buffer=1MiB+on-tmpfs/threads-2/warm",
            "read/buffer=1MiB/threads-2/warm",
        ]);
        let p = pairs(&a, &b, "buffer", false).unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].b, "read/buffer=1MiB+on-tmpfs/threads-2/warm");
    }

    #[test]
    fn a_knob_of_neither_run_is_refused_naming_those_there_are() {
        let a = ids(&["gzip/default,level=1/threads-4/warm"]);
        let b = ids(&["read/buffer=4KiB/threads-4/warm"]);
        let err = pairs(&a, &b, "levl", false).unwrap_err();
        assert_eq!(
            err,
            "--pair-by levl: not a knob of either run's scenarios; knobs there: level, buffer"
        );
        let none = ids(&["read/whole/threads-4/warm"]);
        let err = pairs(&none, &none, "level", true).unwrap_err();
        assert!(
            err.ends_with("its scenarios have no knobs in their ids"),
            "{err}"
        );
        assert!(!err.contains('\n'));
    }
}
