//! SARIF 2.1.0 logs from any scanner (`trivy image -f sarif`, `grype -o sarif`, code and
//! configuration scanners).
//!
//! Each `runs[]` entry is one tool's run: `tool.driver.name`, `version` or
//! `semanticVersion`, and `rules[]` (`id`, `name`, `properties` with `security-severity`
//! and `tags`). The scan time is the latest `invocations[].endTimeUtc`, else
//! `startTimeUtc`; a run with neither is read but undated, and said so. The image comes from
//! the run's `properties` (`imageName`, `repoTags`, `repoDigests`, `imageID`, as trivy writes
//! them), else from a result's own `properties`, else from an artifact location whose URI
//! names an image (`docker://`, `oci://`, or a reference with a digest); results naming
//! different images make one record per image. A result whose rule is a vulnerability id
//! (`CVE-...`, `GHSA-...`, Grype's `CVE-2021-36159-apk-tools`) or tagged `vulnerability` is
//! a vulnerability, its package and versions read from its `properties` or from the
//! `Package:` / `Installed Version:` / `Fixed Version:` lines trivy writes in the message;
//! any other result is a policy result, its outcome from `kind` (`fail` unless said).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::fields::{Severity, Text, parse_time, vulnerability_id};
use super::{
    FileProblem, ImageSubject, Outcome, PolicyResult, RecordKind, ResultRecord, Shape, Subject,
    Tool, Vulnerability,
};

#[derive(Deserialize, Default)]
#[serde(default)]
struct Log {
    version: Text,
    runs: Option<Vec<Run>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Run {
    tool: ToolComponent,
    invocations: Option<Vec<Invocation>>,
    results: Option<Vec<SarifResult>>,
    artifacts: Option<Vec<Artifact>>,
    properties: Option<Map<String, Value>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ToolComponent {
    driver: Driver,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Driver {
    name: Text,
    version: Text,
    semantic_version: Text,
    rules: Option<Vec<Rule>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Rule {
    id: Text,
    name: Text,
    properties: Option<Map<String, Value>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Invocation {
    start_time_utc: Text,
    end_time_utc: Text,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct SarifResult {
    rule_id: Text,
    rule_index: Option<u64>,
    rule: Option<RuleReference>,
    kind: Text,
    level: Text,
    message: Message,
    locations: Option<Vec<Location>>,
    properties: Option<Map<String, Value>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuleReference {
    id: Text,
    index: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Message {
    text: Text,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Location {
    physical_location: Option<PhysicalLocation>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PhysicalLocation {
    artifact_location: Option<ArtifactLocation>,
    region: Option<Region>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArtifactLocation {
    uri: Text,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Region {
    start_line: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Artifact {
    location: Option<ArtifactLocation>,
}

pub(super) fn read(text: &str) -> Result<Vec<ResultRecord>, FileProblem> {
    let log: Log = super::typed(text, Shape::Sarif)?;
    let version_note = match log.version.get() {
        Some("2.1.0") | None => None,
        Some(v) => Some(format!(
            "SARIF version {v}: read as 2.1.0, which this reader knows"
        )),
    };
    let runs = log.runs.unwrap_or_default();
    let many = runs.len() > 1;
    let mut records = Vec::new();
    for (i, run) in runs.into_iter().enumerate() {
        let start = records.len();
        read_run(run, &mut records);
        for r in &mut records[start..] {
            if many {
                r.file.document = Some(format!("run {i}"));
            }
            r.notes.extend(version_note.clone());
        }
    }
    Ok(records)
}

fn read_run(run: Run, records: &mut Vec<ResultRecord>) {
    let driver = run.tool.driver;
    let tool = Tool {
        name: driver
            .name
            .into_option()
            .unwrap_or_else(|| "unnamed SARIF tool".into()),
        version: driver
            .semantic_version
            .into_option()
            .or(driver.version.into_option()),
    };
    let rules = driver.rules.unwrap_or_default();
    let rule_index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.id.get().map(|id| (id, i)))
        .collect();
    let invocations = run.invocations.unwrap_or_default();
    let latest = |pick: fn(&Invocation) -> &Text| {
        invocations
            .iter()
            .filter_map(|i| pick(i).get())
            .filter_map(|t| parse_time(t).map(|p| (p, t)))
            .max_by_key(|(p, _)| *p)
    };
    let time = latest(|i| &i.end_time_utc)
        .map(|(_, t)| ("invocations[].endTimeUtc", t))
        .or_else(|| latest(|i| &i.start_time_utc).map(|(_, t)| ("invocations[].startTimeUtc", t)));
    let run_image = run
        .properties
        .as_ref()
        .and_then(image_from_properties)
        .or_else(|| {
            run.artifacts
                .iter()
                .flatten()
                .filter_map(|a| a.location.as_ref()?.uri.get())
                .find_map(image_from_uri)
        });
    let tool_is_scanner = is_vulnerability_scanner(&tool.name);
    // Results grouped by the image they name, in order of first appearance.
    let mut groups: Vec<(Option<ImageSubject>, Vec<Vulnerability>, Vec<PolicyResult>)> =
        vec![(run_image.clone(), Vec::new(), Vec::new())];
    for result in run.results.unwrap_or_default() {
        let own_image = result
            .properties
            .as_ref()
            .and_then(image_from_properties)
            .or_else(|| {
                locations(&result)
                    .into_iter()
                    .find_map(|(uri, _)| image_from_uri(uri))
            });
        let image = own_image.or_else(|| run_image.clone());
        let group = match groups.iter().position(|(i, _, _)| *i == image) {
            Some(g) => g,
            None => {
                groups.push((image, Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        let rule = rule_of(&result, &rules, &rule_index);
        let rule_id = result
            .rule_id
            .get()
            .or_else(|| result.rule.as_ref().and_then(|r| r.id.get()))
            .or_else(|| rule.and_then(|r| r.id.get()))
            .unwrap_or_default()
            .to_string();
        let vulnerability_like = vulnerability_id(&rule_id).is_some()
            || rule.is_some_and(|r| {
                r.name.get().and_then(vulnerability_id).is_some() || has_tag(r, "vulnerability")
            });
        if vulnerability_like {
            groups[group].1.push(vulnerability(&result, rule, rule_id));
        } else {
            groups[group]
                .2
                .push(policy_result(&result, rule, rule_id, &tool.name));
        }
    }
    // A run without results is a scan that found nothing; an empty group beside others
    // (the run's image when every result names its own) is no scan of its own.
    let several = groups.len() > 1;
    for (image, vulnerabilities, policy_results) in groups {
        if several && vulnerabilities.is_empty() && policy_results.is_empty() {
            continue;
        }
        let kind = if !vulnerabilities.is_empty() || (policy_results.is_empty() && tool_is_scanner)
        {
            RecordKind::VulnerabilityScan
        } else {
            RecordKind::PolicyResults
        };
        let mut record = ResultRecord::new(Shape::Sarif, kind, tool.clone());
        match time {
            Some((field, t)) => record.set_time(field, Some(t)),
            None => record.notes.push(
                "no invocations[].endTimeUtc or startTimeUtc in the run: its results have no \
                 time, and the scan does not count as a dated scan"
                    .into(),
            ),
        }
        record.subject = match image {
            Some(image) => Subject::Image(image),
            None => {
                record.notes.push(
                    "the run names no image (properties imageName, repoTags or repoDigests, or \
                     an image URI): its results are matched to no image"
                        .into(),
                );
                Subject::Unknown
            }
        };
        record.vulnerabilities = vulnerabilities;
        record.policy_results = policy_results;
        records.push(record);
    }
}

fn rule_of<'a>(
    result: &SarifResult,
    rules: &'a [Rule],
    by_id: &BTreeMap<&str, usize>,
) -> Option<&'a Rule> {
    let index = result
        .rule_index
        .or_else(|| result.rule.as_ref().and_then(|r| r.index))
        .and_then(|i| usize::try_from(i).ok())
        .filter(|i| *i < rules.len());
    let by_name = || {
        result
            .rule_id
            .get()
            .or_else(|| result.rule.as_ref().and_then(|r| r.id.get()))
            .and_then(|id| by_id.get(id).copied())
    };
    index.or_else(by_name).map(|i| &rules[i])
}

fn has_tag(rule: &Rule, tag: &str) -> bool {
    tags(rule).any(|t| t.eq_ignore_ascii_case(tag))
}

fn tags(rule: &Rule) -> impl Iterator<Item = &str> {
    rule.properties
        .as_ref()
        .and_then(|p| p.get("tags"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Tools whose SARIF reports a vulnerability scan of an image, so a run without results
/// means nothing was found.
fn is_vulnerability_scanner(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "trivy",
        "grype",
        "snyk",
        "clair",
        "docker scout",
        "xray",
        "neuvector",
        "anchore",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// `(uri, line)` of each of a result's locations.
fn locations(result: &SarifResult) -> Vec<(&str, Option<u64>)> {
    result
        .locations
        .iter()
        .flatten()
        .filter_map(|l| {
            let p = l.physical_location.as_ref()?;
            let uri = p.artifact_location.as_ref()?.uri.get()?;
            Some((uri, p.region.as_ref().and_then(|r| r.start_line)))
        })
        .collect()
}

/// The image a `properties` bag names: `imageName`/`image`/`imageRef`, `repoTags`,
/// `repoDigests`, `imageID`/`imageDigest`/`digest` (keys in any case).
fn image_from_properties(props: &Map<String, Value>) -> Option<ImageSubject> {
    let mut image = ImageSubject::default();
    let strings = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    for (key, value) in props {
        match key.to_ascii_lowercase().as_str() {
            "imagename" | "image" | "imageref" | "imagereference" | "repotags" | "repotag"
            | "repodigests" | "repodigest" => {
                for s in strings(value) {
                    image.add_reference(&s);
                }
            }
            "imagedigest" | "digest" | "manifestdigest" => {
                for s in strings(value) {
                    image.add_digest(&s);
                }
            }
            "imageid" => {
                for s in strings(value) {
                    image.set_image_id(&s);
                }
            }
            _ => {}
        }
    }
    (!image.is_empty()).then_some(image)
}

/// An artifact URI that names an image: `docker://`, `oci://`, `registry://` schemes, or a
/// reference with a digest. Paths inside an image or repository do not.
fn image_from_uri(uri: &str) -> Option<ImageSubject> {
    let named = ["docker://", "oci://", "registry://", "docker-image://"]
        .iter()
        .any(|s| uri.starts_with(s))
        || (uri.contains("@sha256:") && !uri.contains("://"));
    if !named {
        return None;
    }
    let mut image = ImageSubject::default();
    image.add_reference(uri);
    (!image.is_empty()).then_some(image)
}

/// A property of a result, first of the names given, as text.
fn property(result: &SarifResult, names: &[&str]) -> Option<String> {
    let props = result.properties.as_ref()?;
    names.iter().find_map(|n| {
        props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .and_then(|(_, v)| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    })
}

/// A `Label: value` line of a message, as trivy writes its SARIF messages.
fn message_line(message: Option<&str>, label: &str) -> Option<String> {
    message?.lines().find_map(|l| {
        let v = l.trim().strip_prefix(label)?.strip_prefix(':')?.trim();
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// Grype's message: `A medium vulnerability in apk package: libssl3, version 3.1.4-r1 was
/// found at: ...`.
fn grype_message(message: Option<&str>) -> Option<(String, Option<String>)> {
    let m = message?;
    let rest = &m[m.find("package: ")? + "package: ".len()..];
    let (name, rest) = rest.split_once(", version ")?;
    let version = rest.split_whitespace().next().map(str::to_string);
    Some((name.trim().to_string(), version))
}

fn severity_of(result: &SarifResult, rule: Option<&Rule>) -> (Severity, Option<String>) {
    let rule_props = rule.and_then(|r| r.properties.as_ref());
    let score = rule_props
        .and_then(|p| p.get("security-severity"))
        .or_else(|| result.properties.as_ref()?.get("security-severity"));
    if let Some(score) = score {
        let text = match score {
            Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        };
        if let Ok(n) = text.parse::<f64>() {
            return (Severity::from_score(n), Some(text));
        }
    }
    let message = result.message.text.get();
    let word = property(result, &["severity"])
        .or_else(|| {
            rule.and_then(|r| {
                tags(r)
                    .find(|t| Severity::from_word(t) != Severity::Unknown)
                    .map(str::to_string)
            })
        })
        .or_else(|| message_line(message, "Severity"));
    match word {
        Some(w) => (Severity::from_word(&w), Some(w)),
        None => (
            Severity::Unknown,
            result.level.get().map(|l| format!("level {l}")),
        ),
    }
}

fn vulnerability(result: &SarifResult, rule: Option<&Rule>, rule_id: String) -> Vulnerability {
    let message = result.message.text.get();
    let grype = grype_message(message);
    let (severity, severity_original) = severity_of(result, rule);
    let package = property(result, &["pkgName", "packageName", "package", "pkg"])
        .or_else(|| message_line(message, "Package"))
        .or_else(|| grype.as_ref().map(|(n, _)| n.clone()));
    let installed_version = property(result, &["installedVersion", "version", "pkgVersion"])
        .or_else(|| message_line(message, "Installed Version"))
        .or_else(|| grype.and_then(|(_, v)| v));
    let fixed_version = property(result, &["fixedVersion", "fixVersion", "fixedVersions"])
        .or_else(|| message_line(message, "Fixed Version"));
    let id = vulnerability_id(&rule_id)
        .map(str::to_string)
        .or_else(|| {
            rule.and_then(|r| r.name.get())
                .and_then(vulnerability_id)
                .map(str::to_string)
        })
        .unwrap_or(rule_id);
    Vulnerability {
        id,
        package,
        installed_version,
        fixed_version,
        severity,
        severity_original,
        ..Vulnerability::default()
    }
}

fn policy_result(
    result: &SarifResult,
    rule: Option<&Rule>,
    rule_id: String,
    tool: &str,
) -> PolicyResult {
    let kind = result.kind.get().unwrap_or("fail");
    let outcome = match kind {
        "pass" => Outcome::Pass,
        "fail" => Outcome::Fail,
        // Needs a person to look (`review`), or is an open question (`open`).
        "review" | "open" => Outcome::Warn,
        "notApplicable" | "informational" => Outcome::Skip,
        _ => Outcome::Unknown,
    };
    let (severity, severity_original) = severity_of(result, rule);
    let location = locations(result).first().map(|(uri, line)| match line {
        Some(l) => format!("{uri}:{l}"),
        None => uri.to_string(),
    });
    PolicyResult {
        policy: rule_id,
        rule: rule.and_then(|r| r.name.get()).map(str::to_string),
        result: outcome,
        result_original: match result.level.get() {
            Some(level) => format!("{kind} ({level})"),
            None => kind.to_string(),
        },
        severity,
        severity_original,
        location,
        message: result.message.text.get().map(str::to_string),
        source: Some(tool.to_string()),
        ..PolicyResult::default()
    }
}
