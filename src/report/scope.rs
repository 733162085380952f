//! The report's *Scope and limits*: what was collected and when, what the input cannot
//! show, and the subjects that could not be assessed and why.
//!
//! Takes the merged inventory, the audit period and the findings; gives a [`Scope`], which
//! report.json carries as `scope` and every renderer shows. Nothing here judges evidence:
//! it states what the judgement rested on, so a reader never has to guess what was left out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evidence::finding::{Finding, Status};
use crate::evidence::inventory::Inventory;
use crate::evidence::record::SourceKind;
use crate::report::Period;

/// What the report's evidence covers and what it cannot show.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Scope {
    /// Each source with when it was collected, in report order.
    pub sources: Vec<ScopeSource>,
    /// What the input cannot show, one sentence each.
    pub limits: Vec<String>,
    /// The subjects some check could not assess, with the checks and why.
    pub not_assessed: Vec<ScopeSubject>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ScopeSource {
    pub source: String,
    /// RFC 3339, as the input records it: a manifest's or a live run's collection time, a
    /// repository's tip commit time; null when the input does not record it.
    pub collected_at: Option<String>,
    /// A sentence on the collection time, e.g. that it was after the period end.
    pub note: String,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ScopeSubject {
    /// `Deployment shop/api`, or `Input all sources` for what a check lacked entirely.
    pub subject: String,
    pub checks: Vec<String>,
    /// The first check's reason, as its finding says it (for the whole input, one row per
    /// reason).
    pub reason: String,
}

const RBAC_KINDS: [&str; 4] = ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

/// What an audit log source holds: its files and the time its events span.
fn audit_log_note(source: &crate::evidence::record::Source) -> String {
    let files = source.details.get("files").map_or("0", String::as_str);
    match (
        source.details.get("first_event"),
        source.details.get("last_event"),
    ) {
        (Some(first), Some(last)) => format!(
            "API audit log, {files} files: events from {first} to {last} (what happened in \
             that time; audit-log-covers-period judges the gaps)"
        ),
        _ => format!("API audit log, {files} files: no event could be read from it"),
    }
}

/// What a `--results` source held: each result counts at the time it records.
fn results_note(s: &crate::evidence::record::Source) -> String {
    let get = |k: &str| s.details.get(k).map_or("0", String::as_str);
    format!(
        "scanner and policy results: each counts at the scan time it records ({} result(s) \
         from {} file(s), {} without a time)",
        get("results"),
        get("files"),
        get("results_without_time")
    )
}

/// States the scope of a report over `inventory` with `findings`.
pub fn build(inventory: &Inventory, period: Option<&Period>, findings: &[Finding]) -> Scope {
    let period_end = period.and_then(|p| chrono::DateTime::parse_from_rfc3339(&p.end).ok());
    let sources = inventory
        .sources
        .iter()
        .filter(|s| s.kind != SourceKind::Attestations)
        .map(|s| {
            let collected_at = s
                .details
                .get("collected_at")
                .or_else(|| s.details.get("commit_time"))
                .cloned();
            let late = collected_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .zip(period_end)
                .is_some_and(|(at, end)| at > end);
            let note = match (&collected_at, s.kind) {
                (_, SourceKind::AuditLog) => audit_log_note(s),
                (_, SourceKind::Repository) => {
                    "read at its last commit at or before the period end".to_string()
                }
                (_, SourceKind::Results) => results_note(s),
                (None, _) => "the input does not record when it was collected: the state is \
                              taken as of the as-of date"
                    .to_string(),
                (Some(_), _) if late => "collected after the period end: it shows the state \
                                         then, not at the period end"
                    .to_string(),
                (Some(_), _) => "collected then".to_string(),
            };
            ScopeSource {
                source: s.id.clone(),
                collected_at,
                note,
            }
        })
        .collect();

    let mut limits = Vec::new();
    let live = inventory
        .sources
        .iter()
        .any(|s| s.kind == SourceKind::Cluster);
    if !live && !RBAC_KINDS.iter().all(|k| inventory.listed.contains(*k)) {
        limits.push(
            "No live cluster was read and no snapshot manifest records RBAC as collected: the \
             cluster's built-in roles and bindings are not in the input, so who can get into \
             running containers is judged only on the grants seen."
                .to_string(),
        );
    }
    if !inventory.coverage.is_collected("Pod") {
        limits.push(
            "No Pods were in the input: there is no pod-state evidence (the digests that run, \
             scans of running images, debug containers)."
                .to_string(),
        );
    }
    if !inventory
        .sources
        .iter()
        .any(|s| s.kind == SourceKind::Repository)
    {
        limits.push(
            "No repository was read: there is no pipeline evidence (image builds, scans and \
             deploys) and no Git history of image changes."
                .to_string(),
        );
    }
    if !inventory.excluded.is_empty() {
        let files: usize = inventory.excluded.iter().map(|e| e.files).sum();
        limits.push(format!(
            "{files} file(s) of the repositories were left out of scope (test data, excludes, or \
             not deployed) and not read: nothing in them is assessed. Coverage lists each tree \
             with its rule."
        ));
    }
    if !inventory
        .sources
        .iter()
        .any(|s| s.kind == SourceKind::AuditLog)
    {
        limits.push(
            "No audit log was read: what happened between collections (exec sessions, in-place \
             changes later reverted) cannot be seen."
                .to_string(),
        );
    }

    // What a check lacked entirely is told apart by its reason: checks that lack a
    // repository and checks that lack scanner results are two rows, each with its own.
    let mut by_subject: BTreeMap<(String, String), ScopeSubject> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.status == Status::NotAssessed) {
        let subject = f.subject.display_name();
        let whole_input = f.subject.kind == "Input";
        let key = (
            subject.clone(),
            if whole_input {
                f.message.clone()
            } else {
                String::new()
            },
        );
        let entry = by_subject.entry(key).or_insert_with(|| ScopeSubject {
            subject,
            checks: Vec::new(),
            reason: f.message.clone(),
        });
        if !entry.checks.iter().any(|c| c == f.check) {
            entry.checks.push(f.check.to_string());
        }
    }
    let mut not_assessed: Vec<ScopeSubject> = by_subject.into_values().collect();
    for s in &mut not_assessed {
        s.checks.sort();
    }
    Scope {
        sources,
        limits,
        not_assessed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::finding::{Severity, Subject};

    fn finding(check: &'static str, subject: Subject, reason: &str) -> Finding {
        Finding::new(check, Severity::High, Status::NotAssessed, subject, reason)
    }

    #[test]
    fn what_the_whole_input_lacks_is_one_row_per_reason() {
        let input = Subject {
            kind: "Input".into(),
            name: "all sources".into(),
            source: "all".into(),
            ..Default::default()
        };
        let pod = Subject {
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "api".into(),
            source: "snapshot:s".into(),
            ..Default::default()
        };
        let findings = [
            finding(
                "ci-builds-images",
                input.clone(),
                "no repository was analysed",
            ),
            finding(
                "known-fixes-applied",
                input.clone(),
                "no scan was given with --results",
            ),
            finding("ci-scans-images", input, "no repository was analysed"),
            finding("run-as-non-root", pod.clone(), "no pods"),
            finding("images-scanned", pod, "no scan"),
        ];
        let scope = build(&Inventory::default(), None, &findings);
        let rows: Vec<(&str, Vec<&str>, &str)> = scope
            .not_assessed
            .iter()
            .map(|s| {
                (
                    s.subject.as_str(),
                    s.checks.iter().map(String::as_str).collect(),
                    s.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "Deployment shop/api",
                    vec!["images-scanned", "run-as-non-root"],
                    "no pods"
                ),
                (
                    "Input all sources",
                    vec!["ci-builds-images", "ci-scans-images"],
                    "no repository was analysed"
                ),
                (
                    "Input all sources",
                    vec!["known-fixes-applied"],
                    "no scan was given with --results"
                ),
            ]
        );
    }
}
