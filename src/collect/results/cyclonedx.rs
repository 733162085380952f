//! CycloneDX JSON (1.4 and later): an SBOM, with vulnerabilities when the tool added them
//! (`trivy image -f cyclonedx --scanners vuln`, `grype -o cyclonedx-json`).
//!
//! Read: `metadata.timestamp` (the time), `metadata.tools` (1.4's list or 1.5's
//! `components`), `metadata.component` (the image: a `container` component's `name`,
//! `version` when it is a digest, `purl` `pkg:oci/...`, and trivy's `aquasecurity:trivy:*`
//! properties `RepoTag`, `RepoDigest`, `ImageID`), `components[]` (nested; `bom-ref`,
//! `name`, `version`, `purl`) and `vulnerabilities[]`: `id`, `ratings[]` (`severity`,
//! `score`, `source.name`; the highest is taken), `affects[].ref` (resolved to its component),
//! `affects[].versions[]` (an `unaffected` version is the fix), `recommendation` (trivy's
//! "Upgrade P to version V"), `analysis.state` and `published`, `updated`. A BOM without a
//! `vulnerabilities` list is an SBOM: no vulnerability data either way.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::fields::{Purl, Severity, Text};
use super::trivy::time;
use super::{
    FileProblem, ImageSubject, RecordKind, ResultRecord, Shape, Subject, Tool, Vulnerability,
};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Bom {
    spec_version: Text,
    metadata: Metadata,
    components: Option<Vec<Component>>,
    vulnerabilities: Option<Vec<CdxVulnerability>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metadata {
    timestamp: Text,
    tools: Value,
    component: Option<Component>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Component {
    #[serde(rename = "bom-ref")]
    bom_ref: Text,
    #[serde(rename = "type")]
    kind: Text,
    group: Text,
    name: Text,
    version: Text,
    purl: Text,
    components: Option<Vec<Component>>,
    properties: Option<Vec<Property>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Property {
    name: Text,
    value: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxVulnerability {
    id: Text,
    ratings: Option<Vec<Rating>>,
    affects: Option<Vec<Affects>>,
    analysis: Option<Analysis>,
    recommendation: Text,
    published: Text,
    updated: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Rating {
    severity: Text,
    score: Text,
    source: Option<RatingSource>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RatingSource {
    name: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Affects {
    #[serde(rename = "ref")]
    reference: Text,
    versions: Option<Vec<AffectedVersion>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AffectedVersion {
    version: Text,
    status: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Analysis {
    state: Text,
}

pub(super) fn read(text: &str) -> Result<Vec<ResultRecord>, FileProblem> {
    let bom: Bom = super::typed(text, Shape::CyclonedxJson)?;
    let tool = tool(&bom.metadata.tools);
    let kind = if bom.vulnerabilities.is_some() {
        RecordKind::VulnerabilityScan
    } else {
        RecordKind::Sbom
    };
    let mut record = ResultRecord::new(Shape::CyclonedxJson, kind, tool);
    record.set_time("metadata.timestamp", bom.metadata.timestamp.get());
    if let Some(v) = bom.spec_version.get()
        && matches!(v, "1.0" | "1.1" | "1.2" | "1.3")
        && kind == RecordKind::Sbom
    {
        record.notes.push(format!(
            "CycloneDX {v} cannot hold vulnerabilities (1.4 and later can)"
        ));
    }
    record.subject = bom
        .metadata
        .component
        .as_ref()
        .map_or(Subject::Unknown, subject);
    let mut by_ref: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    let mut packages = 0;
    for c in bom.components.iter().flatten() {
        index_components(c, &mut by_ref, &mut packages);
    }
    record.packages = Some(packages);
    if kind == RecordKind::Sbom {
        record.notes.push(format!(
            "an SBOM of {packages} packages without vulnerability data: it shows what the \
             image holds, not that it was scanned"
        ));
    }
    for v in bom.vulnerabilities.into_iter().flatten() {
        vulnerabilities(v, &by_ref, &mut record);
    }
    Ok(vec![record])
}

/// `metadata.tools`: a list of tools (1.4) or `{components: [...]}` (1.5 and later).
fn tool(tools: &Value) -> Tool {
    let list = match tools {
        Value::Array(items) => items.as_slice(),
        Value::Object(map) => map
            .get("components")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice),
        _ => &[],
    };
    let first = list
        .iter()
        .find(|t| t.get("name").and_then(Value::as_str).is_some());
    match first {
        Some(t) => Tool {
            name: t["name"].as_str().unwrap_or_default().to_string(),
            version: t
                .get("version")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_string),
        },
        None => Tool {
            name: "unnamed CycloneDX tool".into(),
            version: None,
        },
    }
}

fn index_components(
    c: &Component,
    by_ref: &mut HashMap<String, (Option<String>, Option<String>)>,
    packages: &mut usize,
) {
    *packages += 1;
    let name = match (c.group.get(), c.name.get()) {
        (Some(g), Some(n)) => Some(format!("{g}/{n}")),
        (None, Some(n)) => Some(n.to_string()),
        _ => None,
    };
    let entry = (name, c.version.get().map(str::to_string));
    for key in [c.bom_ref.get(), c.purl.get()].into_iter().flatten() {
        by_ref
            .entry(key.to_string())
            .or_insert_with(|| entry.clone());
    }
    for child in c.components.iter().flatten() {
        index_components(child, by_ref, packages);
    }
}

fn subject(c: &Component) -> Subject {
    let mut image = ImageSubject::default();
    let property = |name: &'static str| {
        c.properties
            .iter()
            .flatten()
            .filter(move |p| p.name.get() == Some(name))
            .filter_map(|p| p.value.get())
    };
    let is_container = c.kind.get() == Some("container")
        || c.purl.get().is_some_and(|p| p.starts_with("pkg:oci/"))
        || property("aquasecurity:trivy:RepoDigest").next().is_some();
    if !is_container {
        return match c.name.get() {
            Some(n) => Subject::Path {
                path: n.to_string(),
            },
            None => Subject::Unknown,
        };
    }
    if let Some(n) = c.name.get() {
        image.add_reference(n);
    }
    if let Some(v) = c.version.get()
        && v.contains(':')
    {
        image.add_digest(v);
    }
    if let Some((reference, digest)) = c
        .purl
        .get()
        .and_then(Purl::parse)
        .and_then(|p| p.oci_image())
    {
        image.add_reference(&reference);
        if let Some(d) = digest {
            image.add_digest(&d);
        }
    }
    for tag in property("aquasecurity:trivy:RepoTag") {
        image.add_reference(tag);
    }
    for digest in property("aquasecurity:trivy:RepoDigest") {
        image.add_reference(digest);
    }
    for id in property("aquasecurity:trivy:ImageID") {
        image.set_image_id(id);
    }
    if image.is_empty() {
        Subject::Unknown
    } else {
        Subject::Image(image)
    }
}

/// The highest severity among the ratings, with the word and source it came from.
fn severity(ratings: &[Rating]) -> (Severity, Option<String>) {
    let mut best: Option<(Severity, String)> = None;
    for r in ratings {
        let (s, text) = match (r.severity.get(), r.score.get()) {
            (Some(word), _) if Severity::from_word(word) != Severity::Unknown => {
                (Severity::from_word(word), word.to_string())
            }
            (_, Some(score)) => match score.parse::<f64>() {
                Ok(n) => (Severity::from_score(n), format!("score {score}")),
                Err(_) => continue,
            },
            (Some(word), None) => (Severity::Unknown, word.to_string()),
            (None, None) => continue,
        };
        let text = match r.source.as_ref().and_then(|s| s.name.get()) {
            Some(source) => format!("{text} ({source})"),
            None => text,
        };
        if best.as_ref().is_none_or(|(b, _)| s > *b) {
            best = Some((s, text));
        }
    }
    match best {
        Some((s, text)) => (s, Some(text)),
        None => (Severity::Unknown, None),
    }
}

/// Trivy's recommendation: "Upgrade libssl3 to version 3.1.4-r4".
fn recommended_version(recommendation: Option<&str>) -> Option<String> {
    let r = recommendation?;
    let v = r[r.rfind(" to version ")? + " to version ".len()..].trim();
    let v = v.trim_end_matches('.');
    (!v.is_empty()).then(|| v.to_string())
}

fn vulnerabilities(
    v: CdxVulnerability,
    by_ref: &HashMap<String, (Option<String>, Option<String>)>,
    record: &mut ResultRecord,
) {
    let id = v.id.into_option().unwrap_or_default();
    let (severity, severity_original) = severity(v.ratings.as_deref().unwrap_or_default());
    let published = time(&id, "published", v.published.get(), &mut record.notes);
    let last_modified = time(&id, "updated", v.updated.get(), &mut record.notes);
    let status = v.analysis.and_then(|a| a.state.into_option());
    let recommended = recommended_version(v.recommendation.get());
    let base = Vulnerability {
        id,
        severity,
        severity_original,
        published,
        last_modified,
        status,
        ..Vulnerability::default()
    };
    let affects = v.affects.unwrap_or_default();
    if affects.is_empty() {
        record.vulnerabilities.push(Vulnerability {
            fixed_version: recommended,
            ..base
        });
        return;
    }
    for a in affects {
        let reference = a.reference.get().unwrap_or_default();
        let (package, known_version) = match by_ref.get(reference) {
            Some((n, v)) => (n.clone(), v.clone()),
            // Not among the components: a purl says what it is.
            None => match Purl::parse(reference) {
                Some(p) => (Some(p.name), p.version),
                None => ((!reference.is_empty()).then(|| reference.to_string()), None),
            },
        };
        let versions = a.versions.unwrap_or_default();
        let with_status = |status: &str| {
            versions
                .iter()
                .filter(|v| v.status.get() == Some(status))
                .filter_map(|v| v.version.get())
                .collect::<Vec<_>>()
        };
        let affected = with_status("affected");
        let unaffected = with_status("unaffected");
        record.vulnerabilities.push(Vulnerability {
            package,
            installed_version: known_version.or(affected.first().map(|v| v.to_string())),
            fixed_version: (!unaffected.is_empty())
                .then(|| unaffected.join(", "))
                .or_else(|| recommended.clone()),
            ..base.clone()
        });
    }
}
