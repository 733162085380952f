//! Reading a `report.json` for a comparison, and refusing what is not one.
//!
//! Takes a path (or bytes) and gives a [`Loaded`] report: the parts a comparison reads
//! (findings, controls, exceptions, period), its schema version and its id (the sha256 of
//! the file). A file is refused, with nothing compared, when it is not JSON, does not name
//! `tool.name: evidencer`, names a `schema_version` this build does not know, or does not
//! have a report's shape. Where the run's other outputs sit beside it (an evidence bundle's
//! `manifest.json`, the run's `answers.csv`) and name a report id, the file's sha256 must
//! be that id: a report edited after it was written, or one filed beside another run's
//! outputs, is refused rather than compared.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::evidence::record::sha256_hex;

/// The schema versions of report.json this build reads: every one it ever wrote.
pub const KNOWN_SCHEMA_VERSIONS: std::ops::RangeInclusive<u64> =
    1..=crate::report::SCHEMA_VERSION as u64;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error(
        "{}:{line}:{column}: not JSON ({message}); give the report.json an evidencer run wrote",
        .path.display()
    )]
    NotJson {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{}: not an evidencer report: {found}; give the report.json an evidencer run wrote",
        .path.display()
    )]
    NotEvidencer { path: PathBuf, found: String },
    #[error(
        "{}: schema_version {found} is not one this evidencer reads (1 to {}); a report from a newer \
         evidencer needs that version to compare it",
        .path.display(),
        crate::report::SCHEMA_VERSION
    )]
    UnknownSchema { path: PathBuf, found: String },
    #[error("{}: not the shape of an evidencer report.json: {message}", .path.display())]
    Shape { path: PathBuf, message: String },
    #[error(
        "{}: its sha256 is {actual}, but {} beside it names report id {expected}: the report \
         was changed after the run wrote it, or it is not the report of that run; compare the \
         report.json the run filed",
        .path.display(),
        .named_by.display()
    )]
    Mismatch {
        path: PathBuf,
        named_by: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{}: cannot check the report against it: {message}", .path.display())]
    Beside { path: PathBuf, message: String },
}

/// A report.json, read for a comparison.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// As given; None for a report of this run.
    pub path: Option<String>,
    /// The sha256 of the file; None for a report of this run (not written yet).
    pub report_id: Option<String>,
    pub schema_version: u64,
    pub tool_version: String,
    pub as_of: String,
    pub period: Option<PeriodPart>,
    pub findings: Vec<FindingPart>,
    pub controls: Vec<ControlPart>,
    /// None when the report has no `exceptions` object.
    pub exceptions: Option<ExceptionsPart>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PeriodPart {
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct FindingPart {
    pub id: String,
    pub check: String,
    pub status: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub subject: SubjectPart,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub exception: Option<IdPart>,
    #[serde(default)]
    pub first_seen: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct SubjectPart {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub container: Option<String>,
}

impl SubjectPart {
    /// `Deployment shop/api container web`, as the reports show a subject.
    pub fn display(&self) -> String {
        crate::evidence::finding::Subject {
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            container: self.container.clone(),
            ..Default::default()
        }
        .display_name()
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct IdPart {
    pub id: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ControlPart {
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub verdict: String,
    #[serde(default)]
    pub answer: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExceptionsPart {
    #[serde(default)]
    pub applied: Vec<ExceptionPart>,
    #[serde(default)]
    pub expired: Vec<ExceptionPart>,
    #[serde(default)]
    pub unused: Vec<ExceptionPart>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ExceptionPart {
    pub id: String,
    #[serde(default)]
    pub check: String,
    #[serde(default)]
    pub ticket: String,
    #[serde(default)]
    pub expires: String,
    #[serde(default)]
    pub findings: Vec<String>,
}

/// The parts of report.json a comparison reads; everything else is left unread.
#[derive(Deserialize)]
struct Parts {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    period: Option<PeriodPart>,
    findings: Vec<FindingPart>,
    controls: Vec<ControlPart>,
    #[serde(default)]
    exceptions: Option<ExceptionsPart>,
}

/// Reads `path` as a report.json, refusing what is not one, and checks it against the
/// bundle manifest or answers.csv beside it.
pub fn load(path: &Path, limit: u64) -> Result<Loaded, LoadError> {
    let bytes = crate::base::input::read(path, limit).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let loaded = parse(path, &bytes)?;
    check_beside(path, loaded.report_id.as_deref().unwrap_or_default(), limit)?;
    Ok(loaded)
}

/// Parses the bytes of a report.json named `path` (only for messages).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Loaded, LoadError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| LoadError::NotJson {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: without_position(&e.to_string()),
    })?;
    let not_ours = |found: String| LoadError::NotEvidencer {
        path: path.to_path_buf(),
        found,
    };
    let Some(object) = value.as_object() else {
        return Err(not_ours(format!(
            "the document is {}, not an object",
            kind_of(&value)
        )));
    };
    match object.get("tool").and_then(|t| t.get("name")) {
        Some(Value::String(name)) if name == "evidencer" => {}
        Some(Value::String(name)) => {
            return Err(not_ours(format!("tool.name is `{}`", shown(name))));
        }
        Some(other) => return Err(not_ours(format!("tool.name is {}", kind_of(other)))),
        None => return Err(not_ours("it has no tool.name".into())),
    }
    let tool_version = object
        .get("tool")
        .and_then(|t| t.get("version"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let schema_version = match object.get("schema_version") {
        Some(Value::Number(n))
            if n.as_u64()
                .is_some_and(|v| KNOWN_SCHEMA_VERSIONS.contains(&v)) =>
        {
            n.as_u64().unwrap_or_default()
        }
        Some(other) => {
            return Err(LoadError::UnknownSchema {
                path: path.to_path_buf(),
                found: shown(&other.to_string()),
            });
        }
        None => {
            return Err(LoadError::UnknownSchema {
                path: path.to_path_buf(),
                found: "(none)".into(),
            });
        }
    };
    let parts: Parts = serde_path_to_error::deserialize(value).map_err(|e| LoadError::Shape {
        path: path.to_path_buf(),
        message: format!("{}: {}", e.path(), e.inner()),
    })?;
    Ok(Loaded {
        path: Some(path.display().to_string()),
        report_id: Some(sha256_hex(bytes)),
        schema_version,
        tool_version,
        as_of: parts.as_of,
        period: parts.period,
        findings: parts.findings,
        controls: parts.controls,
        exceptions: parts.exceptions,
    })
}

/// serde_json's message without its ` at line L column C` (the error says where already).
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value from the file, shortened and with control characters as codes, for a message.
fn shown(s: &str) -> String {
    let short: String = s.chars().take(80).collect();
    crate::base::text::escape_line(&short).into_owned()
}

/// The run outputs that may sit beside a report.json and name its id: `answers.csv` in its
/// folder; `manifest.json` of an evidence bundle, in its folder or, for
/// `BUNDLE/reports/report.json`, the bundle's root.
fn check_beside(path: &Path, sha256: &str, limit: u64) -> Result<(), LoadError> {
    let (dir, manifests) = crate::evidence::manifest::beside_report(path);
    let answers = dir.join("answers.csv");
    if answers.is_file() {
        let text =
            crate::base::input::read_to_string(&answers, limit).map_err(|e| LoadError::Beside {
                path: answers.clone(),
                message: crate::base::text::error_chain(&e),
            })?;
        for id in answers_report_ids(&text) {
            if id != sha256 {
                return Err(mismatch(path, &answers, &id, sha256));
            }
        }
    }
    for manifest in manifests.into_iter().filter(|m| m.is_file()) {
        let bytes = crate::base::input::read(&manifest, limit).map_err(|e| LoadError::Beside {
            path: manifest.clone(),
            message: crate::base::text::error_chain(&e),
        })?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| LoadError::Beside {
            path: manifest.clone(),
            message: format!("not JSON: {e}"),
        })?;
        // A snapshot's manifest names no report: only a bundle's does.
        let Some(bundle) = value.get(crate::evidence::manifest::BUNDLE_PART) else {
            continue;
        };
        if let Some(id) = bundle.get("report_id").and_then(Value::as_str)
            && id != sha256
        {
            return Err(mismatch(path, &manifest, id, sha256));
        }
        let listed = value
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|f| f.get("path").and_then(Value::as_str) == Some("reports/report.json"));
        if let Some(id) = listed.and_then(|f| f.get("sha256")).and_then(Value::as_str)
            && id != sha256
        {
            return Err(mismatch(path, &manifest, id, sha256));
        }
    }
    Ok(())
}

fn mismatch(path: &Path, by: &Path, expected: &str, actual: &str) -> LoadError {
    LoadError::Mismatch {
        path: path.to_path_buf(),
        named_by: by.to_path_buf(),
        expected: shown(expected),
        actual: actual.to_string(),
    }
}

/// The distinct non-empty values of the `report_id` column of an answers.csv (RFC 4180:
/// quoted fields may hold commas, quotes doubled and line breaks).
pub fn answers_report_ids(text: &str) -> Vec<String> {
    let rows = csv_rows(text);
    let Some(column) = rows
        .first()
        .and_then(|h| h.iter().position(|c| c == "report_id"))
    else {
        return Vec::new();
    };
    let mut ids: Vec<String> = rows
        .iter()
        .skip(1)
        .filter_map(|r| r.get(column))
        .filter(|v| !v.is_empty())
        .cloned()
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        parse(Path::new("r.json"), text.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn what_is_not_an_evidencer_report_is_refused_with_the_reason() {
        assert!(
            refused("{\"tool\": ").contains("r.json:1:"),
            "truncated JSON names where"
        );
        assert!(refused("[1]").contains("not an object"));
        assert!(refused(r#"{"tool": {"name": "trivy"}}"#).contains("tool.name is `trivy`"));
        assert!(refused(r#"{"schema_version": 3}"#).contains("no tool.name"));
        let e = refused(r#"{"tool": {"name": "evidencer"}, "schema_version": 99}"#);
        assert!(e.contains("schema_version 99 is not one"), "{e}");
        let e = refused(r#"{"tool": {"name": "evidencer"}, "schema_version": 3, "controls": []}"#);
        assert!(e.contains("findings"), "{e}");
    }

    #[test]
    fn a_minimal_report_of_each_known_version_is_read() {
        for v in KNOWN_SCHEMA_VERSIONS {
            let text = format!(
                r#"{{"tool": {{"name": "evidencer", "version": "0.1.0"}}, "schema_version": {v},
                "as_of": "2026-09-30T00:00:00Z", "period": null, "findings": [], "controls": []}}"#
            );
            let loaded = parse(Path::new("r.json"), text.as_bytes()).unwrap();
            assert_eq!(loaded.schema_version, v);
            assert_eq!(loaded.report_id.unwrap(), sha256_hex(text.as_bytes()));
        }
    }

    #[test]
    fn answers_csv_report_ids_are_read_through_quoted_fields() {
        let text =
            "control_id,narrative,report_id\nA,\"one, \"\"two\"\"\nthree\",abc\nB,x,abc\nC,y,\n";
        assert_eq!(answers_report_ids(text), ["abc"]);
        assert!(answers_report_ids("a,b\n1,2\n").is_empty());
    }
}
