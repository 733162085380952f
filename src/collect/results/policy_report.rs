//! Policy reports: `PolicyReport` and `ClusterPolicyReport` (`wgpolicyk8s.io/v1alpha2`,
//! written by Kyverno and other engines; `kubectl get policyreports -A -o json`) and
//! `Report` and `ClusterReport` (`openreports.io/v1alpha1`, their successor).
//!
//! Read: `metadata` (name, namespace, the `app.kubernetes.io/managed-by` label), `source`,
//! `scope` (the object the report is about), `summary` (`pass`, `fail`, `warn`, `error`,
//! `skip`) and each `results[]` entry: `source`, `policy`, `rule`, `category`, `severity`,
//! `result`, `message`, `properties`, `timestamp` (`seconds`, `nanos`) and `resources[]`
//! (one policy result per resource; none means the report's scope). A result naming no
//! namespace in a namespaced report is in the report's namespace. Reports are updated in
//! place, so the record's time is that of its newest result; a report whose results carry
//! no timestamp is undated.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::fields::{Severity, Text};
use super::{
    ObjectRef, Outcome, PolicyResult, PolicySummary, ReadError, RecordKind, ResultRecord, Shape,
    Subject, Tool,
};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Report {
    api_version: Text,
    kind: Text,
    metadata: Metadata,
    source: Text,
    scope: Option<Reference>,
    summary: Option<Summary>,
    results: Option<Vec<ReportResult>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Metadata {
    pub(super) name: Text,
    pub(super) namespace: Text,
    pub(super) labels: Option<BTreeMap<String, Text>>,
    pub(super) owner_references: Option<Vec<Reference>>,
    pub(super) creation_timestamp: Text,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Reference {
    pub(super) api_version: Text,
    pub(super) kind: Text,
    pub(super) namespace: Text,
    pub(super) name: Text,
}

impl Reference {
    /// The object referred to; None when it names no kind or name.
    pub(super) fn object(&self, default_namespace: Option<&str>) -> Option<ObjectRef> {
        Some(ObjectRef {
            api_version: self.api_version.get().map(str::to_string),
            kind: self.kind.get()?.to_string(),
            namespace: self
                .namespace
                .get()
                .or(default_namespace)
                .map(str::to_string),
            name: self.name.get()?.to_string(),
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Summary {
    pass: Text,
    fail: Text,
    warn: Text,
    error: Text,
    skip: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportResult {
    source: Text,
    policy: Text,
    rule: Text,
    category: Text,
    severity: Text,
    result: Text,
    message: Text,
    properties: Option<BTreeMap<String, Text>>,
    timestamp: Option<Timestamp>,
    resources: Option<Vec<Reference>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Timestamp {
    seconds: Text,
    nanos: Text,
}

impl Timestamp {
    fn time(&self) -> Option<DateTime<Utc>> {
        let seconds: i64 = self.seconds.get()?.parse().ok()?;
        let nanos: u32 = self
            .nanos
            .get()
            .and_then(|n| n.parse().ok())
            .filter(|n| *n < 1_000_000_000)
            .unwrap_or(0);
        let t = Utc.timestamp_opt(seconds, nanos).single()?;
        crate::base::timefmt::in_range(t).then_some(t)
    }
}

pub(super) fn read(value: Value) -> Result<ResultRecord, ReadError> {
    let report: Report = super::typed_value(value, Shape::PolicyReport)?;
    let kind = report.kind.get().unwrap_or_default().to_string();
    let namespaced = !kind.starts_with("Cluster");
    let namespace = report.metadata.namespace.get().filter(|_| namespaced);
    let managed_by = report
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("app.kubernetes.io/managed-by"))
        .and_then(Text::get);
    let results = report.results.unwrap_or_default();
    let engine = report
        .source
        .get()
        .or_else(|| results.iter().find_map(|r| r.source.get()))
        .or(managed_by)
        .unwrap_or("unnamed policy engine");
    let tool = Tool {
        name: engine.to_string(),
        version: None,
    };
    let mut record = ResultRecord::new(Shape::PolicyReport, RecordKind::PolicyResults, tool);
    record.report = Some(ObjectRef {
        api_version: report.api_version.get().map(str::to_string),
        kind: kind.clone(),
        namespace: namespace.map(str::to_string),
        name: report.metadata.name.get().unwrap_or_default().to_string(),
    });
    let scope = report.scope.as_ref().and_then(|s| s.object(namespace));
    record.subject = match (&scope, namespace) {
        (Some(object), _) => Subject::Object(object.clone()),
        (None, Some(ns)) => Subject::Namespace {
            name: ns.to_string(),
        },
        (None, None) => Subject::Cluster { name: None },
    };
    record.summary = report.summary.map(|s| {
        let n = |t: &Text| t.get().and_then(|v| v.parse().ok()).unwrap_or(0);
        PolicySummary {
            pass: n(&s.pass),
            fail: n(&s.fail),
            warn: n(&s.warn),
            error: n(&s.error),
            skip: n(&s.skip),
        }
    });
    let mut newest: Option<DateTime<Utc>> = None;
    for r in results {
        let time = r.timestamp.as_ref().and_then(Timestamp::time);
        if time > newest {
            newest = time;
        }
        let result_original = r.result.get().unwrap_or_default().to_string();
        let severity_original = r.severity.into_option();
        let base = PolicyResult {
            policy: r.policy.into_option().unwrap_or_default(),
            rule: r.rule.into_option(),
            result: Outcome::from_word(&result_original),
            result_original,
            severity: severity_original
                .as_deref()
                .map_or(Severity::Unknown, Severity::from_word),
            severity_original,
            resource: None,
            location: None,
            message: r.message.into_option(),
            category: r.category.into_option(),
            source: r.source.into_option(),
            time,
            properties: r
                .properties
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.into_option()?)))
                .collect(),
        };
        let resources: Vec<ObjectRef> = r
            .resources
            .iter()
            .flatten()
            .filter_map(|res| res.object(namespace))
            .collect();
        if resources.is_empty() {
            record.policy_results.push(PolicyResult {
                resource: scope.clone(),
                ..base
            });
        } else {
            for resource in resources {
                record.policy_results.push(PolicyResult {
                    resource: Some(resource),
                    ..base.clone()
                });
            }
        }
    }
    match newest {
        Some(t) => {
            record.scanned_at = Some(t);
            record.time_field = Some("results[].timestamp");
        }
        None if record.policy_results.is_empty() => record
            .notes
            .push("no results: the report is empty, and undated".into()),
        None => record
            .notes
            .push("no results[].timestamp: the report's results are undated".into()),
    }
    Ok(record)
}
