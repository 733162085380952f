//! Kubernetes objects as every collector hands them to the checks.
//!
//! An [`Object`] is the redacted JSON of one object, kept as canonical JSON text
//! (managedFields dropped before hashing, so the text hashes to exactly the sha256 of its
//! evidence record), with its metadata read into a small typed header and a note of where it
//! came from. Checks read the typed views they need (see [`crate::facts::workloads`]) with
//! [`Object::view`], which finds the part in the text, parses only that, and reports a
//! malformed field by its path instead of failing the run.

use std::collections::BTreeMap;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

/// One Kubernetes object, whatever collector read it.
#[derive(Clone, Debug)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub meta: ObjectMeta,
    /// The object after redaction, without `metadata.managedFields`, as canonical JSON
    /// (compact, keys sorted): the very bytes its evidence record's sha256 is computed over.
    /// It is held as text, not as parsed values: parsed, an object takes six to seven times
    /// the memory of its text, and the checks read only a few parts of each (see
    /// [`Object::view`]). Set it with [`Object::set_value`] or [`canonical_text`].
    pub json: Box<str>,
    /// Id of the evidence record of this object.
    pub evidence: String,
    /// Id of the source it was read from.
    pub source: String,
    pub origin: Origin,
    /// For a workload: who wrote its pod template, from `metadata.managedFields` as read
    /// (kept before the rest of them is dropped). None when the input had no managedFields
    /// (a manifest, or `kubectl get` output without `--show-managed-fields`).
    pub managers: Option<Vec<FieldManager>>,
}

/// One entry of an object's `metadata.managedFields`, as far as evidence needs it: who
/// (the field manager: `kubectl-set`, `kustomize-controller`), how (`Apply` or `Update`),
/// when, through which subresource, and which fields of the pod template it owns.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct FieldManager {
    pub manager: String,
    /// `Apply` (server-side apply) or `Update` (every other write).
    pub operation: String,
    /// When it last wrote (RFC 3339), as the API server recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The subresource it wrote through (`status`, `scale`), when not the object itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    /// The apiVersion it wrote in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// The fields it owns under the pod template (`spec.template`; a Pod's `spec`), readable:
    /// `spec.template.spec.containers[name=app].image`.
    pub template_fields: Vec<String>,
    /// Its `fieldsV1` cut down to the pod template, as compact JSON text (a tenth of the
    /// memory of parsed values, and it is only read when `collect` writes it back).
    #[serde(skip)]
    pub fields_v1: Option<Box<str>>,
}

impl FieldManager {
    /// Whether it wrote the object itself rather than a subresource such as `status`.
    pub fn writes_object(&self) -> bool {
        self.subresource.as_deref().is_none_or(str::is_empty)
    }

    /// The entry as `metadata.managedFields` holds it (fieldsV1 cut down to the template).
    pub fn to_json(&self) -> serde_json::Value {
        let mut entry = serde_json::Map::new();
        entry.insert("manager".into(), self.manager.clone().into());
        entry.insert("operation".into(), self.operation.clone().into());
        if let Some(v) = &self.api_version {
            entry.insert("apiVersion".into(), v.clone().into());
        }
        if let Some(t) = &self.time {
            entry.insert("time".into(), t.clone().into());
        }
        if let Some(s) = &self.subresource {
            entry.insert("subresource".into(), s.clone().into());
        }
        entry.insert("fieldsType".into(), "FieldsV1".into());
        let fields = self
            .fields_v1
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        entry.insert("fieldsV1".into(), fields);
        serde_json::Value::Object(entry)
    }
}

/// Where in the input an object was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// File path (for files), API path (for a live cluster).
    pub path: Option<String>,
    /// 1-based line of the object's first line in the file.
    pub line: Option<u32>,
    /// The kustomization that rendered this object, when one did.
    pub via: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    #[serde(deserialize_with = "lenient_string")]
    pub name: String,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub namespace: Option<String>,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub uid: Option<String>,
    #[serde(deserialize_with = "lenient_string_map")]
    pub labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient_string_map")]
    pub annotations: BTreeMap<String, String>,
    pub owner_references: Vec<OwnerReference>,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub creation_timestamp: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: Option<String>,
    pub controller: Option<bool>,
}

impl Object {
    /// `Deployment shop/api`.
    pub fn display_name(&self) -> String {
        match &self.meta.namespace {
            Some(ns) => format!("{} {}/{}", self.kind, ns, self.meta.name),
            None => format!("{} {}", self.kind, self.meta.name),
        }
    }

    /// The API group of the object (`apps`, `` for core).
    pub fn group(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }

    /// Reads the part of the object at `pointer` (a JSON pointer such as `/spec/template`)
    /// into a typed view. A missing part reads as the view's default; a part of the wrong
    /// shape is an error naming the field path.
    pub fn view<T: DeserializeOwned + Default>(&self, pointer: &str) -> Result<T, ViewError> {
        match self.part(pointer) {
            None | Some("null") => Ok(T::default()),
            // Tracking the path costs about as much as the read itself, so it is only done
            // to explain a failure, on the part parsed as values (whose errors carry no
            // position within the compact text, which would mean nothing to a user).
            Some(raw) => serde_json::from_str(raw).or_else(|_| {
                let value: serde_json::Value =
                    serde_json::from_str(raw).map_err(|e| ViewError {
                        path: join_path(pointer, ""),
                        message: e.to_string(),
                    })?;
                serde_path_to_error::deserialize(&value).map_err(|e| ViewError {
                    path: join_path(pointer, &e.path().to_string()),
                    message: e.into_inner().to_string(),
                })
            }),
        }
    }

    /// The JSON text of the part of the object at `pointer` (RFC 6901; `""` is the whole
    /// object), found without parsing anything else; `None` when there is no such part.
    pub fn part(&self, pointer: &str) -> Option<&str> {
        json_part(&self.json, pointer)
    }

    /// The whole object as parsed values, for the few places that change or walk all of it.
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(&self.json).expect("an object's canonical JSON parses")
    }

    /// Replaces the object's JSON with `value` in canonical form.
    pub fn set_value(&mut self, value: &serde_json::Value) {
        self.json = canonical_text(value);
    }
}

/// `value` as canonical JSON text (see [`Object::json`]).
pub fn canonical_text(value: &serde_json::Value) -> Box<str> {
    // Room for most objects at once; the text is trimmed to its length when boxed.
    let mut bytes = Vec::with_capacity(16 << 10);
    crate::evidence::object::canonical_json(value, &mut bytes);
    String::from_utf8(bytes)
        .expect("serde_json writes UTF-8")
        .into_boxed_str()
}

/// Compact JSON with object keys sorted, so an object's hash does not depend on the order
/// its fields arrived in. This is the byte form evidence hashes are computed over.
pub fn canonical_json(value: &serde_json::Value, out: &mut Vec<u8>) {
    match value {
        serde_json::Value::Object(map) => {
            out.push(b'{');
            // serde_json's map keeps its keys sorted (unless its `preserve_order` feature is
            // on), so the sort is only a fallback.
            if map.keys().is_sorted() {
                for (i, (key, child)) in map.iter().enumerate() {
                    canonical_entry(i, key, child, out);
                }
            } else {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_unstable();
                for (i, key) in keys.into_iter().enumerate() {
                    canonical_entry(i, key, &map[key], out);
                }
            }
            out.push(b'}');
        }
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(item, out);
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("writing to a Vec cannot fail"),
    }
}

fn canonical_entry(i: usize, key: &str, value: &serde_json::Value, out: &mut Vec<u8>) {
    if i > 0 {
        out.push(b',');
    }
    serde_json::to_writer(&mut *out, key).expect("writing to a Vec cannot fail");
    out.push(b':');
    canonical_json(value, out);
}

/// The part of JSON text at a JSON pointer (RFC 6901). The text is scanned, not parsed:
/// members before the one sought are skipped by their extent, and the scan stops as soon as
/// the part is found, so reading `/spec` of a Pod never looks at its status. `None` when the
/// part does not exist (or the text is not JSON where the scan goes).
pub fn json_part<'a>(json: &'a str, pointer: &str) -> Option<&'a str> {
    let mut at = json.trim_matches(is_json_space);
    if pointer.is_empty() {
        return Some(at);
    }
    for segment in pointer.strip_prefix('/')?.split('/') {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        at = match at.as_bytes().first()? {
            b'{' => member(at, &segment)?,
            b'[' => element(at, &segment)?,
            _ => return None,
        };
    }
    Some(at)
}

fn is_json_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The end (one past the closing quote) of the string starting at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j += memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
        if b[j] == b'"' {
            return Some(j + 1);
        }
        j += 2;
    }
}

/// The end of the value starting at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let rest = &b[i..];
            Some(
                i + rest
                    .iter()
                    .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                    .unwrap_or(rest.len()),
            )
        }
    }
}

/// The value of member `key` of the mapping `text`.
fn member<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let b = text.as_bytes();
    let mut i = skip_space(b, 1);
    while b.get(i) == Some(&b'"') {
        let key_end = string_end(b, i)?;
        let raw = &text[i + 1..key_end - 1];
        let is_it = if raw.contains('\\') {
            serde_json::from_str::<String>(&text[i..key_end]).is_ok_and(|k| k == key)
        } else {
            raw == key
        };
        i = skip_space(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_space(b, i + 1);
        let end = value_end(b, i)?;
        if is_it {
            return Some(&text[i..end]);
        }
        i = next_entry(b, end)?;
    }
    None
}

/// Where the next entry of a mapping or list starts, after the value ending at `end`;
/// `None` at the end of the mapping or list.
fn next_entry(b: &[u8], end: usize) -> Option<usize> {
    let i = skip_space(b, end);
    (b.get(i) == Some(&b',')).then(|| skip_space(b, i + 1))
}

/// Element `index` of the list `text`. RFC 6901: an index is `0` or digits without a
/// leading zero.
fn element<'a>(text: &'a str, index: &str) -> Option<&'a str> {
    if index.starts_with('0') && index != "0" {
        return None;
    }
    let index: usize = index.parse().ok()?;
    let b = text.as_bytes();
    let mut i = skip_space(b, 1);
    for n in 0.. {
        if matches!(b.get(i), None | Some(b']')) {
            return None;
        }
        let end = value_end(b, i)?;
        if n == index {
            return Some(&text[i..end]);
        }
        i = next_entry(b, end)?;
    }
    None
}

/// A label selector (`matchLabels` and `matchExpressions`), as ClusterRole aggregation and
/// admission policies use it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    #[serde(deserialize_with = "lenient_string_map")]
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct LabelSelectorRequirement {
    #[serde(deserialize_with = "lenient_string")]
    pub key: String,
    #[serde(deserialize_with = "lenient_string")]
    pub operator: String,
    pub values: Vec<String>,
}

impl LabelSelector {
    /// Kubernetes semantics: every requirement must hold; an empty selector matches
    /// everything; an unknown operator matches nothing.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => value.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !r.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

/// A field of an object that does not have the shape Kubernetes gives it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("field `{path}`: {message}")]
pub struct ViewError {
    pub path: String,
    pub message: String,
}

fn join_path(pointer: &str, inner: &str) -> String {
    let outer = pointer.trim_start_matches('/').replace('/', ".");
    match (outer.is_empty(), inner == "." || inner.is_empty()) {
        (true, _) => inner.to_string(),
        (false, true) => outer,
        (false, false) => format!("{outer}.{inner}"),
    }
}

/// Reads a scalar as text the way Kubernetes' YAML decoder does for string fields: a YAML
/// `8080`, `true` or `1.5` in a label value is the text `8080`, `true`, `1.5`.
fn scalar_to_string<E: de::Error>(v: serde_json::Value) -> Result<Option<String>, E> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Bool(b) => Ok(Some(b.to_string())),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(E::custom(format!(
            "expected a string, found {}",
            json_type_name(&other)
        ))),
    }
}

pub fn json_type_name(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

pub fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(scalar_to_string(serde_json::Value::deserialize(d)?)?.unwrap_or_default())
}

pub fn lenient_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    scalar_to_string(serde_json::Value::deserialize(d)?)
}

pub fn lenient_string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let raw = Option::<BTreeMap<String, serde_json::Value>>::deserialize(d)?.unwrap_or_default();
    raw.into_iter()
        .map(|(k, v)| Ok((k, scalar_to_string(v)?.unwrap_or_default())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: serde_json::Value) -> Object {
        Object {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            meta: ObjectMeta::default(),
            json: canonical_text(&value),
            evidence: "ev".into(),
            source: "s".into(),
            origin: Origin::default(),
            managers: None,
        }
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, rename_all = "camelCase")]
    struct Sc {
        read_only_root_filesystem: Option<bool>,
    }

    #[test]
    fn view_reads_defaults_for_missing_parts() {
        let o = object(json!({"spec": {}}));
        assert_eq!(
            o.view::<Sc>("/spec/securityContext").unwrap(),
            Sc::default()
        );
    }

    #[test]
    fn view_names_the_bad_field() {
        let o = object(json!({"spec": {"securityContext": {"readOnlyRootFilesystem": "maybe"}}}));
        let err = o.view::<Sc>("/spec/securityContext").unwrap_err();
        assert_eq!(err.path, "spec.securityContext.readOnlyRootFilesystem");
        assert!(
            err.message.contains("expected a boolean"),
            "{}",
            err.message
        );
    }

    #[test]
    fn parts_are_found_by_json_pointer() {
        let o = object(json!({
            "metadata": {"annotations": {"a/b": "slash", "m~n": "tilde", "q\"x": "quote"}},
            "spec": {"containers": [{"name": "a"}, {"name": "b", "ports": [80, 443]}], "n": null},
        }));
        let part = |p: &str| o.part(p).map(str::to_string);
        assert_eq!(part("/spec/containers/1/name").as_deref(), Some(r#""b""#));
        assert_eq!(part("/spec/containers/1/ports/1").as_deref(), Some("443"));
        assert_eq!(
            part("/metadata/annotations/a~1b").as_deref(),
            Some(r#""slash""#)
        );
        assert_eq!(
            part("/metadata/annotations/m~0n").as_deref(),
            Some(r#""tilde""#)
        );
        assert_eq!(
            part("/metadata/annotations/q\"x").as_deref(),
            Some(r#""quote""#)
        );
        assert_eq!(part("/spec/n").as_deref(), Some("null"));
        assert_eq!(part("").as_deref(), Some(&*o.json));
        for missing in [
            "/spec/containers/2",
            "/spec/containers/01",
            "/spec/containers/-",
            "/spec/containers/0/name/x",
            "/status",
            "spec",
        ] {
            assert_eq!(part(missing), None, "{missing}");
        }
        assert_eq!(
            o.view::<Vec<String>>("/spec/n").unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn json_parts_agree_with_parsed_pointers() {
        let value = json!({
            "a": {"b c": [1, -2.5e3, "x\\\"]", {"d": [[], {}], "": null}], "t": true},
            "k\u{e9}y": "\u{1f600}", "e": {}, "l": [], "z": "},]"
        });
        let pointers = [
            "",
            "/a",
            "/a/b c",
            "/a/b c/0",
            "/a/b c/1",
            "/a/b c/2",
            "/a/b c/3",
            "/a/b c/3/d",
            "/a/b c/3/d/1",
            "/a/b c/3/",
            "/a/t",
            "/k\u{e9}y",
            "/e",
            "/l",
            "/l/0",
            "/z",
            "/a/b c/4",
            "/a/b c/x",
            "/nope",
            "/z/0",
        ];
        for text in [
            serde_json::to_string(&value).unwrap(),
            serde_json::to_string_pretty(&value).unwrap(),
        ] {
            for pointer in pointers {
                let found = json_part(&text, pointer)
                    .map(|raw| serde_json::from_str::<serde_json::Value>(raw).unwrap());
                assert_eq!(
                    found.as_ref(),
                    value.pointer(pointer),
                    "{pointer} in {text}"
                );
            }
        }
        for junk in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":[1,",
            "[\"x",
            "{\"a\" 1}",
            "nul",
        ] {
            assert_eq!(json_part(junk, "/a/0"), None, "{junk}");
        }
    }

    #[test]
    fn objects_hold_canonical_json() {
        let mut o = object(json!({"b": {"y": 1, "x": [true, null]}, "a": "é\n"}));
        assert_eq!(&*o.json, r#"{"a":"é\n","b":{"x":[true,null],"y":1}}"#);
        let mut value = o.value();
        value["c"] = json!(1.5);
        o.set_value(&value);
        assert_eq!(
            &*o.json,
            r#"{"a":"é\n","b":{"x":[true,null],"y":1},"c":1.5}"#
        );
    }

    #[test]
    fn label_selectors_follow_kubernetes_semantics() {
        let labels: BTreeMap<String, String> = [("tier", "web"), ("env", "prod")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let cases = [
            (json!({}), true),
            (json!({"matchLabels": {"tier": "web"}}), true),
            (json!({"matchLabels": {"tier": "db"}}), false),
            (
                json!({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "stage"]}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}),
                false,
            ),
            (
                json!({"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["a"]}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "team", "operator": "Exists"}]}),
                false,
            ),
            (
                json!({"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "env", "operator": "Gt", "values": ["1"]}]}),
                false,
            ),
        ];
        for (selector, want) in cases {
            let s: LabelSelector = serde_json::from_value(selector.clone()).unwrap();
            assert_eq!(s.matches(&labels), want, "{selector}");
        }
    }

    #[test]
    fn metadata_accepts_yaml_scalars_as_label_values() {
        let meta: ObjectMeta = serde_json::from_value(json!({
            "name": 8080, "labels": {"enabled": true, "port": 80, "tier": "web"}
        }))
        .unwrap();
        assert_eq!(meta.name, "8080");
        assert_eq!(meta.labels["enabled"], "true");
        assert_eq!(meta.labels["port"], "80");
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let mut out = Vec::new();
        canonical_json(
            &serde_json::json!({"b": [{"d": 1, "c": 2}], "a": "x"}),
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":"x","b":[{"c":2,"d":1}]}"#
        );
    }
}
