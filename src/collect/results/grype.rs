//! Grype JSON (`grype IMAGE -o json --file result.json`).
//!
//! Read: `descriptor.name`, `descriptor.version`, `descriptor.timestamp` (the scan time);
//! `source.type` and `source.target`: for an image, `userInput`, `imageID`,
//! `manifestDigest`, `repoDigests` and `tags`, for a directory or file its path; per
//! `matches[]` entry `vulnerability.id`, `vulnerability.severity`, `vulnerability.fix`
//! (`versions`, `state`), the first CVE among `relatedVulnerabilities[].id`, and
//! `artifact.name` and `artifact.version`. Grype gives no publication date per match.

use serde::Deserialize;
use serde_json::Value;

use super::fields::{Severity, Text, vulnerability_id};
use super::{
    FileProblem, ImageSubject, RecordKind, ResultRecord, Shape, Subject, Tool, Vulnerability,
};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Document {
    matches: Option<Vec<Match>>,
    source: Option<Source>,
    descriptor: Descriptor,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Descriptor {
    name: Text,
    version: Text,
    timestamp: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Source {
    #[serde(rename = "type")]
    kind: Text,
    /// An object for images, a string (the path) for directories and files.
    target: Value,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Match {
    vulnerability: GrypeVulnerability,
    related_vulnerabilities: Option<Vec<Related>>,
    artifact: Artifact,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeVulnerability {
    id: Text,
    severity: Text,
    fix: Fix,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Fix {
    versions: Option<Vec<Text>>,
    state: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Related {
    id: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Artifact {
    name: Text,
    version: Text,
}

pub(super) fn read(text: &str) -> Result<Vec<ResultRecord>, FileProblem> {
    let doc: Document = super::typed(text, Shape::GrypeJson)?;
    let tool = Tool {
        name: doc
            .descriptor
            .name
            .into_option()
            .unwrap_or_else(|| "grype".into()),
        version: doc.descriptor.version.into_option(),
    };
    let mut record = ResultRecord::new(Shape::GrypeJson, RecordKind::VulnerabilityScan, tool);
    record.set_time("descriptor.timestamp", doc.descriptor.timestamp.get());
    record.subject = doc.source.map_or(Subject::Unknown, subject);
    for m in doc.matches.unwrap_or_default() {
        record.vulnerabilities.push(vulnerability(m));
    }
    Ok(vec![record])
}

fn subject(source: Source) -> Subject {
    let kind = source.kind.get().unwrap_or_default().to_ascii_lowercase();
    match source.target {
        Value::Object(target) => {
            let text = |k: &str| target.get(k).and_then(Value::as_str);
            let list = |k: &str| {
                target
                    .get(k)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
            };
            let mut image = ImageSubject::default();
            if let Some(input) = text("userInput") {
                image.add_reference(input);
            }
            for tag in list("tags") {
                image.add_reference(tag);
            }
            for digest in list("repoDigests") {
                image.add_reference(digest);
            }
            if let Some(d) = text("manifestDigest") {
                image.add_digest(d);
            }
            if let Some(id) = text("imageID") {
                image.set_image_id(id);
            }
            if !image.is_empty() && (kind.is_empty() || kind == "image") {
                return Subject::Image(image);
            }
            match text("path").or(text("userInput")) {
                Some(p) => Subject::Path {
                    path: p.to_string(),
                },
                None => Subject::Unknown,
            }
        }
        Value::String(target) if kind == "image" => {
            let mut image = ImageSubject::default();
            image.add_reference(&target);
            if image.is_empty() {
                Subject::Path { path: target }
            } else {
                Subject::Image(image)
            }
        }
        Value::String(path) if !path.trim().is_empty() => Subject::Path { path },
        _ => Subject::Unknown,
    }
}

fn vulnerability(m: Match) -> Vulnerability {
    let id = m.vulnerability.id.into_option().unwrap_or_default();
    let cve = if id.starts_with("CVE-") {
        None
    } else {
        m.related_vulnerabilities
            .iter()
            .flatten()
            .filter_map(|r| r.id.get())
            .find(|r| r.starts_with("CVE-"))
            .and_then(vulnerability_id)
            .map(str::to_string)
    };
    let status = m.vulnerability.fix.state.into_option();
    // Versions are listed only when a fix exists (`state: fixed`).
    let fixed: Vec<String> = m
        .vulnerability
        .fix
        .versions
        .into_iter()
        .flatten()
        .filter_map(Text::into_option)
        .collect();
    let severity_original = m.vulnerability.severity.into_option();
    Vulnerability {
        id,
        cve,
        package: m.artifact.name.into_option(),
        installed_version: m.artifact.version.into_option(),
        fixed_version: (!fixed.is_empty()).then(|| fixed.join(", ")),
        status,
        severity: severity_original
            .as_deref()
            .map_or(Severity::Unknown, Severity::from_word),
        severity_original,
        published: None,
        last_modified: None,
    }
}
