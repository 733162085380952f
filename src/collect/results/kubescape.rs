//! Kubescape JSON results (`kubescape scan --format json --output results.json`, the v2
//! posture report).
//!
//! Read: `generationTime` (the time), `clusterName`, `metadata.scanMetadata.kubescapeVersion`
//! and `metadata.targetMetadata` (the file, directory or repository scanned when not a
//! cluster), `summaryDetails.controls` (each control's `name` and `scoreFactor`, which gives
//! its severity as Kubescape rates it: 9 and up critical, 7 high, 4 medium, 1 low),
//! `results[]` (`resourceID`, and per `controls[]` entry `controlID`, `name` and
//! `status.status`: `passed`, `failed`, `skipped`; the deprecated `excluded` and
//! `irrelevant` are passes, as Kubescape converts them) and `resources[]` (`resourceID` and
//! the object's kind, namespace and name). A resource id is
//! `<group>/<version>/<namespace>/<kind>/<name>` when its object is not listed.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::Value;

use super::fields::{Severity, Text};
use super::{
    FileProblem, ObjectRef, Outcome, PolicyResult, RecordKind, ResultRecord, Shape, Subject, Tool,
};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PostureReport {
    generation_time: Text,
    cluster_name: Text,
    summary_details: SummaryDetails,
    results: Option<Vec<ResourceResult>>,
    resources: Option<Vec<Resource>>,
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SummaryDetails {
    controls: Option<BTreeMap<String, ControlSummary>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ControlSummary {
    name: Text,
    score_factor: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResourceResult {
    #[serde(rename = "resourceID")]
    resource_id: Text,
    controls: Option<Vec<ResourceControl>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResourceControl {
    #[serde(rename = "controlID")]
    control_id: Text,
    name: Text,
    /// `{status, subStatus, info}`; older versions wrote the status as a string.
    status: Value,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource {
    #[serde(rename = "resourceID")]
    resource_id: Text,
    object: Option<ObjectHead>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ObjectHead {
    api_version: Text,
    kind: Text,
    metadata: ObjectMeta,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ObjectMeta {
    name: Text,
    namespace: Text,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Metadata {
    scan_metadata: ScanMetadata,
    target_metadata: Value,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ScanMetadata {
    kubescape_version: Text,
}

pub(super) fn read(text: &str) -> Result<Vec<ResultRecord>, FileProblem> {
    let report: PostureReport = super::typed(text, Shape::KubescapeJson)?;
    let tool = Tool {
        name: "kubescape".into(),
        version: report
            .metadata
            .scan_metadata
            .kubescape_version
            .into_option(),
    };
    let mut record = ResultRecord::new(Shape::KubescapeJson, RecordKind::PolicyResults, tool);
    record.set_time("generationTime", report.generation_time.get());
    record.subject = subject(report.cluster_name.get(), &report.metadata.target_metadata);
    let objects: HashMap<String, ObjectRef> = report
        .resources
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| {
            let id = r.resource_id.into_option()?;
            let o = r.object?;
            let object = ObjectRef {
                api_version: o.api_version.into_option(),
                kind: o.kind.into_option()?,
                namespace: o.metadata.namespace.into_option(),
                name: o.metadata.name.into_option()?,
            };
            Some((id, object))
        })
        .collect();
    let controls = report.summary_details.controls.unwrap_or_default();
    for result in report.results.unwrap_or_default() {
        let id = result.resource_id.get().unwrap_or_default();
        let resource = objects
            .get(id)
            .cloned()
            .or_else(|| object_of_resource_id(id));
        for control in result.controls.unwrap_or_default() {
            let control_id = control.control_id.into_option().unwrap_or_default();
            let summary = controls.get(&control_id);
            let (severity, severity_original) = summary
                .and_then(|s| s.score_factor.get())
                .and_then(|f| Some((f.parse::<f64>().ok()?, f)))
                .map_or((Severity::Unknown, None), |(n, f)| {
                    (
                        severity_of_score_factor(n),
                        Some(format!("scoreFactor {f}")),
                    )
                });
            let result_original = match &control.status {
                Value::String(s) => s.clone(),
                Value::Object(m) => m
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                _ => String::new(),
            };
            let outcome = match result_original.as_str() {
                "passed" | "excluded" | "irrelevant" => Outcome::Pass,
                "failed" => Outcome::Fail,
                "skipped" => Outcome::Skip,
                "error" => Outcome::Error,
                _ => Outcome::Unknown,
            };
            let rule = control
                .name
                .into_option()
                .or_else(|| summary.and_then(|s| s.name.get()).map(str::to_string));
            record.policy_results.push(PolicyResult {
                policy: control_id,
                rule,
                result: outcome,
                result_original,
                severity,
                severity_original,
                resource: resource.clone(),
                location: resource.is_none().then(|| id.to_string()),
                source: Some("kubescape".into()),
                ..PolicyResult::default()
            });
        }
    }
    Ok(vec![record])
}

fn subject(cluster: Option<&str>, target: &Value) -> Subject {
    if let Some(name) = cluster {
        return Subject::Cluster {
            name: Some(name.to_string()),
        };
    }
    let at = |a: &str, b: &str| target.get(a)?.get(b)?.as_str().filter(|s| !s.is_empty());
    let path = at("fileContextMetadata", "filePath")
        .or_else(|| at("directoryContextMetadata", "basePath"))
        .or_else(|| at("gitRepoContextMetadata", "remoteURL"))
        .or_else(|| at("gitRepoContextMetadata", "localRootPath"));
    match path {
        Some(p) => Subject::Path {
            path: p.to_string(),
        },
        None if target.get("clusterContextMetadata").is_some() => Subject::Cluster { name: None },
        None => Subject::Unknown,
    }
}

/// Kubescape's rating of a control's score factor.
fn severity_of_score_factor(factor: f64) -> Severity {
    match factor {
        f if f >= 9.0 => Severity::Critical,
        f if f >= 7.0 => Severity::High,
        f if f >= 4.0 => Severity::Medium,
        f if f >= 1.0 => Severity::Low,
        _ => Severity::Unknown,
    }
}

/// `apps/v1/shop/Deployment/api`, `/v1/shop/ServiceAccount/default`,
/// `rbac.authorization.k8s.io/v1//ClusterRole/admin`.
fn object_of_resource_id(id: &str) -> Option<ObjectRef> {
    let mut parts = id.rsplitn(4, '/');
    let name = parts.next().filter(|s| !s.is_empty())?;
    let kind = parts.next().filter(|s| !s.is_empty())?;
    let namespace = parts.next()?;
    let api_version = parts.next().unwrap_or_default().trim_start_matches('/');
    Some(ObjectRef {
        api_version: (!api_version.is_empty()).then(|| api_version.to_string()),
        kind: kind.to_string(),
        namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_name_their_objects() {
        let o = object_of_resource_id("apps/v1/shop/Deployment/api").unwrap();
        assert_eq!(o.to_string(), "Deployment shop/api");
        assert_eq!(o.api_version.as_deref(), Some("apps/v1"));
        let o = object_of_resource_id("/v1/shop/ServiceAccount/default").unwrap();
        assert_eq!(o.api_version.as_deref(), Some("v1"));
        let o = object_of_resource_id("rbac.authorization.k8s.io/v1//ClusterRole/admin").unwrap();
        assert_eq!((o.namespace, o.kind.as_str()), (None, "ClusterRole"));
        assert!(object_of_resource_id("nonsense").is_none());
    }
}
