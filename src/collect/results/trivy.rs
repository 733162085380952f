//! Trivy JSON (`trivy image -f json -o result.json IMAGE`, also `trivy fs`/`repo`/`sbom`).
//!
//! Read: `SchemaVersion`, `Trivy.Version`, `CreatedAt` (the scan time; trivy before v0.48
//! wrote none), `ArtifactName`, `ArtifactType`, `Metadata.ImageID`, `Metadata.RepoTags`,
//! `Metadata.RepoDigests`, `Metadata.RepoURL`; per `Results[]` entry its `Class` and each
//! `Vulnerabilities[]` entry's `VulnerabilityID`, `PkgName`, `InstalledVersion`,
//! `FixedVersion`, `Status`, `Severity`, `PublishedDate` and `LastModifiedDate`, and each
//! `Misconfigurations[]` entry (`ID`, `Title`, `Message`, `Severity`, `Status`) as a policy
//! result. Everything else (descriptions, references, CVSS vectors, layers) is skipped
//! unparsed.

use serde::Deserialize;

use super::fields::{Severity, Text, TimeField};
use super::{
    FileProblem, ImageSubject, Outcome, PolicyResult, RecordKind, ResultRecord, Shape, Subject,
    Tool, Vulnerability,
};

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Report {
    schema_version: Text,
    trivy: TrivyInfo,
    created_at: Text,
    artifact_name: Text,
    artifact_type: Text,
    metadata: Metadata,
    results: Option<Vec<TrivyResult>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct TrivyInfo {
    version: Text,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Metadata {
    #[serde(rename = "ImageID")]
    image_id: Text,
    repo_tags: Option<Vec<Text>>,
    repo_digests: Option<Vec<Text>>,
    #[serde(rename = "RepoURL")]
    repo_url: Text,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct TrivyResult {
    target: Text,
    class: Text,
    vulnerabilities: Option<Vec<TrivyVulnerability>>,
    misconfigurations: Option<Vec<Misconfiguration>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct TrivyVulnerability {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: Text,
    pkg_name: Text,
    installed_version: Text,
    fixed_version: Text,
    status: Text,
    severity: Text,
    published_date: Text,
    last_modified_date: Text,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Misconfiguration {
    #[serde(rename = "ID")]
    id: Text,
    #[serde(rename = "AVDID")]
    avd_id: Text,
    title: Text,
    message: Text,
    severity: Text,
    status: Text,
    #[serde(rename = "Type")]
    kind: Text,
}

/// Result classes that come from vulnerability scanning (the others are secrets,
/// misconfigurations and licenses).
const VULNERABILITY_CLASSES: [&str; 3] = ["os-pkgs", "lang-pkgs", "custom"];

pub(super) fn read(text: &str) -> Result<Vec<ResultRecord>, FileProblem> {
    let report: Report = super::typed(text, Shape::TrivyJson)?;
    let results = report.results.unwrap_or_default();
    // Trivy lists an entry per scanned target even when it finds nothing (since v0.52);
    // older versions left `Results` out then. Only a report whose every entry is of
    // another class (secrets, misconfigurations) did no vulnerability scan.
    let vulnerability_scan = results.is_empty()
        || results.iter().any(|r| {
            r.vulnerabilities.is_some()
                || r.class
                    .get()
                    .is_none_or(|c| VULNERABILITY_CLASSES.contains(&c))
        });
    let kind = if vulnerability_scan {
        RecordKind::VulnerabilityScan
    } else {
        RecordKind::PolicyResults
    };
    let tool = Tool {
        name: "trivy".into(),
        version: report.trivy.version.into_option(),
    };
    let mut record = ResultRecord::new(Shape::TrivyJson, kind, tool);
    record.set_time("CreatedAt", report.created_at.get());
    if let Some(v) = report.schema_version.get()
        && v != "2"
    {
        record
            .notes
            .push(format!("SchemaVersion {v}: read as SchemaVersion 2"));
    }
    record.subject = subject(
        &report.artifact_name,
        &report.artifact_type,
        &report.metadata,
    );
    for result in results {
        let target = result.target.into_option();
        for v in result.vulnerabilities.unwrap_or_default() {
            record
                .vulnerabilities
                .push(vulnerability(v, &mut record.notes));
        }
        for m in result.misconfigurations.unwrap_or_default() {
            record
                .policy_results
                .push(misconfiguration(m, target.as_deref()));
        }
    }
    Ok(vec![record])
}

fn subject(name: &Text, artifact_type: &Text, metadata: &Metadata) -> Subject {
    let mut image = ImageSubject::default();
    let is_image = matches!(
        artifact_type.get(),
        Some("container_image" | "container-image")
    ) || metadata.image_id.get().is_some()
        || metadata
            .repo_digests
            .as_ref()
            .is_some_and(|d| !d.is_empty());
    if is_image {
        if let Some(n) = name.get() {
            image.add_reference(n);
        }
        for tag in metadata.repo_tags.iter().flatten() {
            if let Some(t) = tag.get() {
                image.add_reference(t);
            }
        }
        for digest in metadata.repo_digests.iter().flatten() {
            if let Some(d) = digest.get() {
                image.add_reference(d);
            }
        }
        if let Some(id) = metadata.image_id.get() {
            image.set_image_id(id);
        }
        if !image.is_empty() {
            return Subject::Image(image);
        }
    }
    match metadata.repo_url.get().or(name.get()) {
        Some(path) => Subject::Path {
            path: path.to_string(),
        },
        None => Subject::Unknown,
    }
}

fn vulnerability(v: TrivyVulnerability, notes: &mut Vec<String>) -> Vulnerability {
    let id = v.vulnerability_id.into_option().unwrap_or_default();
    let published = time(&id, "PublishedDate", v.published_date.get(), notes);
    let last_modified = time(&id, "LastModifiedDate", v.last_modified_date.get(), notes);
    let severity_original = v.severity.into_option();
    Vulnerability {
        cve: None,
        package: v.pkg_name.into_option(),
        installed_version: v.installed_version.into_option(),
        fixed_version: v.fixed_version.into_option(),
        status: v.status.into_option(),
        severity: severity_original
            .as_deref()
            .map_or(Severity::Unknown, Severity::from_word),
        severity_original,
        published,
        last_modified,
        id,
    }
}

/// A vulnerability's date, noting one that is not a date.
pub(super) fn time(
    id: &str,
    field: &str,
    value: Option<&str>,
    notes: &mut Vec<String>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    match TimeField::of(value) {
        TimeField::Time(t) => Some(t),
        TimeField::Absent => None,
        TimeField::Unreadable(s) => {
            notes.push(format!("{id}: {field} `{s}` is not a date; left out"));
            None
        }
    }
}

fn misconfiguration(m: Misconfiguration, target: Option<&str>) -> PolicyResult {
    let result_original = m.status.into_option().unwrap_or_default();
    let result = match result_original.to_ascii_uppercase().as_str() {
        "PASS" => Outcome::Pass,
        "FAIL" => Outcome::Fail,
        // An exception the user declared: not a failure, not a plain pass.
        "EXCEPTION" => Outcome::Skip,
        _ => Outcome::Unknown,
    };
    let severity_original = m.severity.into_option();
    PolicyResult {
        policy: m
            .id
            .into_option()
            .or(m.avd_id.into_option())
            .unwrap_or_default(),
        rule: m.title.into_option(),
        result,
        result_original,
        severity: severity_original
            .as_deref()
            .map_or(Severity::Unknown, Severity::from_word),
        severity_original,
        location: target.map(str::to_string),
        message: m.message.into_option(),
        category: m.kind.into_option(),
        source: Some("trivy".into()),
        ..PolicyResult::default()
    }
}
