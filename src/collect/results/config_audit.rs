//! Trivy Operator `ConfigAuditReport` and `ClusterConfigAuditReport`
//! (`aquasecurity.github.io/v1alpha1`; `kubectl get configauditreports -A -o json`).
//!
//! Read: the owner from the labels `trivy-operator.resource.kind`, `.name` and
//! `.namespace` (else the first owner reference), `report.scanner` (`name`, `version`),
//! `report.updateTimestamp` (the time) and each `report.checks[]` entry: `checkID`,
//! `title`, `severity`, `category`, `success` (true: pass, false: fail) and `messages`.

use serde::Deserialize;
use serde_json::Value;

use super::fields::{Severity, Text};
use super::policy_report::Metadata;
use super::{
    ObjectRef, Outcome, PolicyResult, ReadError, RecordKind, ResultRecord, Shape, Subject, Tool,
};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct AuditReport {
    api_version: Text,
    kind: Text,
    metadata: Metadata,
    report: Body,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Body {
    update_timestamp: Text,
    scanner: Scanner,
    checks: Option<Vec<Check>>,
}

/// `report.scanner` of a Trivy Operator report (config audit or vulnerabilities).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Scanner {
    name: Text,
    version: Text,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Check {
    #[serde(rename = "checkID")]
    check_id: Text,
    title: Text,
    severity: Text,
    category: Text,
    success: Text,
    messages: Option<Vec<Text>>,
}

pub(super) fn read(value: Value) -> Result<ResultRecord, ReadError> {
    let mut report: AuditReport = super::typed_value(value, Shape::ConfigAuditReport)?;
    let (mut record, namespace) = operator_record(
        (Shape::ConfigAuditReport, RecordKind::PolicyResults),
        (&report.api_version, &report.kind, &report.metadata),
        std::mem::take(&mut report.report.scanner),
    );
    record.set_time(
        "report.updateTimestamp",
        report.report.update_timestamp.get(),
    );
    let label = |k: &str| {
        report
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(k))
            .and_then(Text::get)
    };
    let owner = match (
        label("trivy-operator.resource.kind"),
        label("trivy-operator.resource.name"),
    ) {
        (Some(kind), Some(name)) => Some(ObjectRef {
            api_version: None,
            kind: kind.to_string(),
            namespace: label("trivy-operator.resource.namespace")
                .or(namespace)
                .map(str::to_string),
            name: name.to_string(),
        }),
        _ => report
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find_map(|r| r.object(namespace)),
    };
    record.subject = match &owner {
        Some(o) => Subject::Object(o.clone()),
        None => {
            record
                .notes
                .push("names no owner (labels trivy-operator.resource.*): subject unknown".into());
            Subject::Unknown
        }
    };
    for check in report.report.checks.into_iter().flatten() {
        let result_original = match check.success.get() {
            Some(s) => format!("success: {s}"),
            None => String::new(),
        };
        let result = match check.success.get() {
            Some("true") => Outcome::Pass,
            Some("false") => Outcome::Fail,
            _ => Outcome::Unknown,
        };
        let severity_original = check.severity.into_option();
        let messages: Vec<String> = check
            .messages
            .into_iter()
            .flatten()
            .filter_map(Text::into_option)
            .collect();
        record.policy_results.push(PolicyResult {
            policy: check.check_id.into_option().unwrap_or_default(),
            rule: check.title.into_option(),
            result,
            result_original,
            severity: severity_original
                .as_deref()
                .map_or(Severity::Unknown, Severity::from_word),
            severity_original,
            resource: owner.clone(),
            message: (!messages.is_empty()).then(|| messages.join("; ")),
            category: check.category.into_option(),
            source: Some("Trivy Operator".into()),
            ..PolicyResult::default()
        });
    }
    Ok(record)
}

/// The record of a Trivy Operator report object, with the tool (`report.scanner`, Trivy
/// Operator when it names none) and the report object it came from, and the namespace of a
/// namespaced kind (a `Cluster...` kind has none).
pub(super) fn operator_record<'a>(
    (shape, record_kind): (Shape, RecordKind),
    (api_version, kind, metadata): (&Text, &Text, &'a Metadata),
    scanner: Scanner,
) -> (ResultRecord, Option<&'a str>) {
    let kind = kind.get().unwrap_or_default().to_string();
    let namespace = metadata
        .namespace
        .get()
        .filter(|_| !kind.starts_with("Cluster"));
    let tool = Tool {
        name: scanner
            .name
            .into_option()
            .unwrap_or_else(|| "Trivy Operator".into()),
        version: scanner.version.into_option(),
    };
    let mut record = ResultRecord::new(shape, record_kind, tool);
    record.report = Some(ObjectRef {
        api_version: api_version.get().map(str::to_string),
        kind,
        namespace: namespace.map(str::to_string),
        name: metadata.name.get().unwrap_or_default().to_string(),
    });
    (record, namespace)
}
