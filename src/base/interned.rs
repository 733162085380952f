//! Strings that live for the whole run, for the fields the report holds as `&'static str`
//! (check ids and titles, the tool's name, verdict names) when a report is read back from
//! `report.json` (`evidencer fleet`).
//!
//! Takes text read from a file; gives a `&'static str` with the same bytes. Each distinct
//! string is kept once for the life of the process: a report holds a few hundred distinct
//! ones at most (ids, titles, statuses), however many findings name them.

use std::collections::{BTreeMap, HashSet};
use std::sync::{LazyLock, Mutex};

use serde::{Deserialize, Deserializer};

/// A `&'static str` field read back with [`deserialize`]. The alias is for serde's derive,
/// which borrows a field written `&str` from the input (and so would ask the input to live
/// forever) but leaves a field of another spelling to its `deserialize_with`.
pub type Str = &'static str;

static KEPT: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Default::default);

/// `text` as a string that lives as long as the process.
pub fn intern(text: &str) -> &'static str {
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = kept.get(text) {
        return s;
    }
    let s: &'static str = Box::leak(text.to_owned().into_boxed_str());
    kept.insert(s);
    s
}

/// serde `deserialize_with` for a `&'static str` field.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    Ok(intern(&s))
}

/// serde `deserialize_with` for a map keyed by `&'static str`.
pub fn deserialize_keys<'de, D, V>(d: D) -> Result<BTreeMap<&'static str, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    let map = BTreeMap::<String, V>::deserialize(d)?;
    Ok(map.into_iter().map(|(k, v)| (intern(&k), v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_text_is_kept_once() {
        let a = intern(&String::from("image-pinned-by-digest"));
        let b = intern(&String::from("image-pinned-by-digest"));
        assert_eq!(a, "image-pinned-by-digest");
        assert!(std::ptr::eq(a, b));
    }
}
