//! The knobs of a `[[grid]]` block. A block's own keys are the fields of
//! its struct (`workload`, `strategy`, `cache`, …); every other key must be
//! the key of a knob of a registered strategy ([`strategy::descriptions`],
//! the worker count among them) or workload ([`workload::descriptions`]:
//! iolab's own and those a user's binary registers with
//! [`crate::lab::Lab`]), and that knob's description says how its values
//! are written. Before serde reads the document, these knob lists are taken
//! out of each block and of its `[grid.scale.*]` tables and typed by their
//! description, so a strategy or workload that describes a knob gets its
//! key in experiment files (and its flag, `cli::knobs`) with nothing else to
//! declare. Any other key is refused, naming the block and the keys it
//! allows.
//!
//! Owns: which keys a block allows, taking the knob lists out of the parsed
//! document, their types. Does not own: the ranges and meaning of the values
//! (checked against the descriptions when the grid is expanded, `expand`),
//! the rest of the file's shape (`file`).

use std::cell::Cell;
use std::ops::Range;

use serde::de::{IntoDeserializer, Visitor};
use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use crate::corpus::Scale;
use crate::describe::{KnobDesc, KnobKind};
use crate::{strategy, workload};

/// One knob's list in a block, typed by its description.
#[derive(Clone, Debug)]
pub struct RawKnob {
    /// The knob (the first registered description's with this key; the
    /// grid checks each value against every description of the key).
    pub knob: &'static KnobDesc,
    /// Its values, each with its position.
    pub values: RawValues,
}

/// The values of a knob's list, as its kind writes them.
#[derive(Clone, Debug)]
pub enum RawValues {
    /// Sizes, in quotes (`"64KiB"`).
    Sizes(Vec<Spanned<String>>),
    /// Counts.
    Counts(Vec<Spanned<u64>>),
    /// Switches.
    Switches(Vec<Spanned<bool>>),
    /// Free texts.
    Texts(Vec<Spanned<String>>),
    /// Names from the knob's list.
    Choices(Vec<Spanned<String>>),
}

impl RawValues {
    /// How many values the list holds.
    pub fn len(&self) -> usize {
        self.spans().len()
    }

    /// Where each value is.
    pub fn spans(&self) -> Vec<Range<usize>> {
        match self {
            RawValues::Sizes(v) | RawValues::Texts(v) | RawValues::Choices(v) => {
                v.iter().map(Spanned::span).collect()
            }
            RawValues::Counts(v) => v.iter().map(Spanned::span).collect(),
            RawValues::Switches(v) => v.iter().map(Spanned::span).collect(),
        }
    }
}

/// The knob lists taken out of one `[[grid]]` block.
#[derive(Clone, Debug, Default)]
pub struct BlockKnobs {
    /// Those of the block itself.
    pub knobs: Vec<RawKnob>,
    /// Those of its `[grid.scale.<name>]` tables.
    pub scales: Vec<(Scale, Vec<RawKnob>)>,
}

/// Why a block's keys cannot be read.
#[derive(Debug)]
pub enum KeyError {
    /// A key that is neither the block's own nor a registered knob's.
    Unknown {
        /// Where the key is.
        at: usize,
        /// `unknown field `colour` in [[grid]] 1 (unnamed); allowed keys: …`.
        message: String,
    },
    /// A knob's value of the wrong type (the parser's error, with its span).
    Value(toml::de::Error),
}

/// Take the knob lists out of every `[[grid]]` block of `doc`, one
/// [`BlockKnobs`] per block in order. `own` are the keys a block holds
/// besides knobs. A `grid` that is not an array of tables is left for
/// serde to refuse.
///
/// # Errors
/// The first unknown key (by position) of a block, or a knob value of the
/// wrong type.
pub fn take(doc: &mut DeTable<'_>, own: &[&str]) -> Result<Vec<BlockKnobs>, KeyError> {
    let Some(DeValue::Array(blocks)) = doc.get_mut("grid").map(Spanned::get_mut) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, block) in blocks.iter_mut().enumerate() {
        let DeValue::Table(table) = block.get_mut() else {
            out.push(BlockKnobs::default());
            continue;
        };
        let name = table
            .get("name")
            .and_then(|n| n.get_ref().as_str())
            .unwrap_or("unnamed")
            .to_string();
        let here = format!("[[grid]] {} ({name})", i + 1);
        let mut taken = BlockKnobs {
            knobs: take_table(table, own, &here)?,
            scales: Vec::new(),
        };
        if let Some(DeValue::Table(scales)) = table.get_mut("scale").map(Spanned::get_mut) {
            for (scale, t) in scales.iter_mut() {
                let (Ok(s), DeValue::Table(t)) = (scale_named(scale.get_ref()), t.get_mut()) else {
                    continue;
                };
                let here = format!("[grid.scale.{}] of {here}", scale.get_ref());
                taken.scales.push((s, take_table(t, own, &here)?));
            }
        }
        out.push(taken);
    }
    Ok(out)
}

/// The scale named `name` (`quick`, `default`, `seed`).
fn scale_named(name: &str) -> Result<Scale, serde::de::value::Error> {
    Scale::deserialize(name.into_deserializer())
}

/// Take the knob lists out of one table; `here` names it in messages.
fn take_table(table: &mut DeTable<'_>, own: &[&str], here: &str) -> Result<Vec<RawKnob>, KeyError> {
    let unknown = table
        .iter()
        .filter(|(k, _)| !own.contains(&k.get_ref().as_ref()) && knob(k.get_ref()).is_none())
        .min_by_key(|(k, _)| k.span().start);
    if let Some((key, _)) = unknown {
        return Err(KeyError::Unknown {
            at: key.span().start,
            message: format!(
                "unknown field `{}` in {here}; allowed keys: {}",
                key.get_ref(),
                allowed(own).join(", ")
            ),
        });
    }
    let mut knobs = Vec::new();
    for (key, value) in std::mem::take(table) {
        match knob(key.get_ref()).filter(|_| !own.contains(&key.get_ref().as_ref())) {
            Some(knob) => knobs.push(typed(knob, value).map_err(KeyError::Value)?),
            None => {
                table.insert(key, value);
            }
        }
    }
    knobs.sort_by_key(|k| k.values.spans().first().map_or(0, |s| s.start));
    Ok(knobs)
}

/// The list `value` of `knob`, typed by its kind.
fn typed(knob: &'static KnobDesc, value: Spanned<DeValue<'_>>) -> Result<RawKnob, toml::de::Error> {
    let de = ValueDeserializer::from(value);
    let values = match knob.kind {
        KnobKind::Size { .. } => RawValues::Sizes(Deserialize::deserialize(de)?),
        KnobKind::Count { .. } => RawValues::Counts(Deserialize::deserialize(de)?),
        KnobKind::Switch => RawValues::Switches(Deserialize::deserialize(de)?),
        KnobKind::Text => RawValues::Texts(Deserialize::deserialize(de)?),
        KnobKind::Choice(_) => RawValues::Choices(Deserialize::deserialize(de)?),
    };
    Ok(RawKnob { knob, values })
}

/// Every registered knob: the strategies', then the workloads', in
/// registration order (a key may appear more than once).
pub fn registered() -> impl Iterator<Item = &'static KnobDesc> {
    let strategies = strategy::descriptions().into_iter().flat_map(|s| s.knobs);
    strategies.chain(workload::descriptions().into_iter().flat_map(|w| w.knobs))
}

/// The first registered knob keyed `key`.
pub fn knob(key: &str) -> Option<&'static KnobDesc> {
    registered().find(|k| k.key == key)
}

/// Every key a block allows: its own, then the registered knobs' (each
/// once), in registration order.
pub fn allowed(own: &[&str]) -> Vec<String> {
    let mut keys: Vec<&str> = own.iter().copied().filter(|k| *k != "scale").collect();
    for k in registered() {
        if !keys.contains(&k.key) {
            keys.push(k.key);
        }
    }
    keys.push("scale");
    keys.into_iter().map(str::to_string).collect()
}

/// The field names serde's derive gives struct `T`: the keys its table
/// holds. Read from the names the derived code hands the deserializer, so
/// they cannot drift from the struct.
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    /// A deserializer that records the field names it is asked for.
    struct Fields<'a>(&'a Cell<&'static [&'static str]>);

    impl<'de> serde::Deserializer<'de> for Fields<'_> {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.set(fields);
            Err(serde::de::Error::custom("fields recorded"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    let fields = Cell::new(&[][..]);
    // The deserializer always errs: it only records the names.
    let _ = T::deserialize(Fields(&fields));
    fields.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Two {
        name: String,
        #[serde(skip)]
        hidden: u32,
        cache: Option<u32>,
    }

    #[test]
    fn fields_are_read_from_the_derive() {
        assert_eq!(fields_of::<Two>(), ["name", "cache"]);
    }

    fn doc(text: &str) -> Spanned<DeTable<'_>> {
        DeTable::parse(text).unwrap()
    }

    #[test]
    fn workload_knobs_are_taken_out_and_typed_by_their_description() {
        let text = "[[grid]]\nworkload = [\"append\"]\nappend_lines = [5, 6]\nchunk = [\"4KiB\"]\n[grid.scale.quick]\nappend_lines = [1]\n";
        let mut d = doc(text);
        let taken = take(d.get_mut(), &["workload", "scale"]).unwrap();
        assert_eq!(taken.len(), 1);
        let keys: Vec<&str> = taken[0].knobs.iter().map(|k| k.knob.key).collect();
        assert_eq!(keys, ["append_lines", "chunk"], "in file order");
        assert!(matches!(&taken[0].knobs[0].values, RawValues::Counts(n) if n.len() == 2));
        assert!(
            matches!(&taken[0].knobs[1].values, RawValues::Sizes(t) if t[0].get_ref() == "4KiB")
        );
        assert_eq!(taken[0].scales.len(), 1);
        assert_eq!(taken[0].scales[0].0, Scale::Quick);
        let block = d.get_ref()["grid"].get_ref().as_array().unwrap()[0].clone();
        let left: Vec<String> = block
            .get_ref()
            .as_table()
            .unwrap()
            .keys()
            .map(|k| k.get_ref().to_string())
            .collect();
        assert_eq!(
            left,
            ["scale", "workload"],
            "knobs are gone, the rest stays"
        );
    }

    #[test]
    fn an_unknown_key_names_the_block_and_the_allowed_keys() {
        let text = "[[grid]]\nname = \"a\"\nworkload = [\"read\"]\ncolour = 1\n";
        let mut d = doc(text);
        let Err(KeyError::Unknown { at, message }) =
            take(d.get_mut(), &["name", "workload", "scale"])
        else {
            panic!("accepted an unknown key");
        };
        assert_eq!(at, text.find("colour").unwrap());
        assert!(
            message.starts_with(
                "unknown field `colour` in [[grid]] 1 (a); allowed keys: name, workload, "
            ),
            "{message}"
        );
        assert!(
            message.contains("append_lines") && message.ends_with("scale"),
            "{message}"
        );
    }
}
