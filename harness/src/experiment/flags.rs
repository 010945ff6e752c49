//! The command line's grid flags as one `[[grid]]` block of the very form
//! experiment files use: `iolab run --workload read --workers 1,2` is the
//! block `workload = ["read"]`, `workers = [1, 2]`, read by the same parser
//! (`Source::parse`) and expanded by the same code as a file's, so a flag
//! and a file key cannot differ in what they accept or mean. Each value
//! keeps its flag and its text as given, so messages name them
//! (`--workers 0: allowed 1 to 1024`, not a place in a file).
//!
//! Owns: writing the flags' values as a block. Does not own: which flags
//! exist (`cli`, one per grid key, the knobs' generated from their
//! descriptions) or what the values mean (`expand`).

use std::fmt::Write as _;
use std::path::PathBuf;

use super::file::{ExperimentError, FlagValue, Origin, Source};
use super::grid::Experiment;
use super::keys::{self, Written};

/// The experiment the flags make: the `experiment` of their scenarios.
pub const NAME: &str = "cli";

/// The flag of grid key `key`: `--` and the key with `-` for `_`.
pub fn flag(key: &str) -> String {
    format!("--{}", key.replace('_', "-"))
}

/// `text` as one TOML element of a key written `how`: a bare integer or
/// boolean where it is one, else a quoted string (which the parser then
/// refuses for a key that wants a number, saying what it wants).
fn element(text: &str, how: Written) -> String {
    let bare = match how {
        Written::Integer => text.trim().parse::<i64>().is_ok(),
        Written::Bool => matches!(text.trim(), "true" | "false"),
        Written::Text => false,
    };
    if bare {
        text.trim().to_string()
    } else {
        toml::Value::String(text.to_string()).to_string()
    }
}

impl Experiment {
    /// The grid of `given`, each a grid key (`workers`, `scratch_policy`)
    /// with its values as the command line gave them, as an experiment
    /// named [`NAME`] of one block. A key with no values is left out (its
    /// default applies).
    ///
    /// # Errors
    /// A value of the wrong type for its key, naming the flag and what the
    /// key accepts.
    pub fn from_flags(given: &[(&str, Vec<String>)]) -> Result<Experiment, ExperimentError> {
        let mut text = String::from("[[grid]]\n");
        let mut values = Vec::new();
        for (key, texts) in given.iter().filter(|(_, t)| !t.is_empty()) {
            let how = keys::written(key);
            let list = keys::is_list(key);
            let _ = write!(text, "{key} = {}", if list { "[" } else { "" });
            for (i, t) in texts.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                let start = text.len();
                text.push_str(&element(t, how));
                values.push(FlagValue {
                    span: start..text.len(),
                    flag: flag(key),
                    text: t.clone(),
                });
            }
            text.push_str(if list { "]\n" } else { "\n" });
        }
        let source = Source {
            file: "the flags".into(),
            path: PathBuf::from("experiments").join(format!("{NAME}.toml")),
            text,
            origin: Origin::Flags(values),
        };
        Experiment::from_source(NAME, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(given: &[(&str, Vec<String>)]) -> Result<String, String> {
        Experiment::from_flags(given)
            .map(|e| e.source.text.clone())
            .map_err(|e| e.to_string())
    }

    fn v(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_are_written_as_the_block_a_file_would_hold() {
        let text = block(&[
            ("workload", v(&["read", "write"])),
            ("workers", v(&["1", "2"])),
            ("chunk", v(&["4KiB"])),
            ("command", v(&["cp \"{corpus}\" {dest}"])),
            ("baseline", v(&["false"])),
            ("variant", Vec::new()),
        ])
        .unwrap();
        assert_eq!(
            text,
            "[[grid]]\nworkload = [\"read\", \"write\"]\nworkers = [1, 2]\nchunk = [\"4KiB\"]\ncommand = ['cp \"{corpus}\" {dest}']\nbaseline = false\n"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_flag_as_given() {
        let err = block(&[("workload", v(&["read"])), ("workers", v(&["2", "x"]))]).unwrap_err();
        assert_eq!(err, "--workers x: expected an integer from 1 to 1024");
        let err = block(&[("workload", v(&["read"])), ("kill_at", v(&["-5"]))]).unwrap_err();
        assert!(
            err.starts_with("--kill-at -5: expected an integer"),
            "{err}"
        );
    }
}
