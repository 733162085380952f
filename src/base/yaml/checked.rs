//! JSON values read with their duplicate keys noted.
//!
//! serde_json's own `Value` keeps the last of two equal keys in a mapping and says nothing;
//! so would any parser handed a mapping. An object with `image: evil` then `image: good`
//! is ambiguous evidence: the API server keeps the last value (and `kubectl apply` refuses
//! the file), a reader of the file may see the first. [`Checked`] reads a value from any
//! serde deserializer (serde_json, serde-saphyr with duplicate keys passed through) exactly
//! as `Value` does, last key winning, and lists each key that was given twice, so the
//! caller can record it as an input problem.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A value and the keys that appeared twice in one of its mappings (in the order met).
#[derive(Debug, Default, PartialEq)]
pub struct Checked {
    pub value: Value,
    pub duplicates: Vec<String>,
}

impl<'de> de::Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut duplicates = Vec::new();
        let value = Seed {
            duplicates: &mut duplicates,
        }
        .deserialize(d)?;
        Ok(Checked { value, duplicates })
    }
}

struct Seed<'a> {
    duplicates: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(match (i64::try_from(v), u64::try_from(v)) {
            (Ok(i), _) => Value::Number(i.into()),
            (_, Ok(u)) => Value::Number(u.into()),
            _ => float(v as f64),
        })
    }

    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(match u64::try_from(v) {
            Ok(u) => Value::Number(u.into()),
            Err(_) => float(v as f64),
        })
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(Seed {
            duplicates: &mut *self.duplicates,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Seed {
                duplicates: &mut *self.duplicates,
            })?;
            match out.entry(key) {
                serde_json::map::Entry::Vacant(e) => {
                    e.insert(value);
                }
                serde_json::map::Entry::Occupied(mut e) => {
                    self.duplicates.push(e.key().clone());
                    e.insert(value);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// As serde_json's `Value` takes a float: a non-finite one is null.
fn float(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// Reads JSON text as [`Checked`].
pub fn from_json(text: &str) -> Result<Checked, serde_json::Error> {
    serde_json::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_json_as_serde_json_does_and_notes_duplicates() {
        let text = r#"{"a": [1, -2, 3.5, true, null, "x", {"b": {}}], "c": {"d": 1, "d": 2},
            "big": 18446744073709551615, "e": 1, "e": {"f": 0}}"#;
        let checked = from_json(text).unwrap();
        let plain: Value = serde_json::from_str(text).unwrap();
        assert_eq!(checked.value, plain);
        assert_eq!(checked.value["c"], json!({"d": 2}));
        assert_eq!(checked.duplicates, ["d", "e"]);
        assert!(from_json(r#"{"a": 1}"#).unwrap().duplicates.is_empty());
    }
}
