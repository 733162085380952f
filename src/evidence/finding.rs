//! Findings: what a check concluded about one subject, with the evidence it used.
//!
//! Checks build findings with [`Finding::new`]; [`assign_ids`] then gives every finding an id
//! derived from its check, its source's identity, its subject and a check-specific key, never
//! from the order findings were produced, so exceptions and quarter-to-quarter diffs can match
//! findings across runs.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::evidence::record::{Source, short_hash};

/// The outcome of a check for one subject.
#[derive(
    Clone, Copy, Debug, Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    NotApplicable,
    Error,
    NotAssessed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Pass,
        Status::Fail,
        Status::Warn,
        Status::NotApplicable,
        Status::Error,
        Status::NotAssessed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
            Status::NotAssessed => "not_assessed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a failure of a check matters.
#[derive(
    Clone, Copy, Debug, Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding is about: a container of a workload, an object, a file, or a whole source.
#[derive(
    Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
pub struct Subject {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub container: Option<String>,
    /// Source id: which input this subject came from.
    pub source: String,
    /// The file the subject was read from, when it was read from a file.
    pub path: Option<String>,
    pub line: Option<u32>,
    /// The top-level kustomization that rendered the subject, when one did: the same
    /// manifest rendered by two overlays is two subjects.
    pub via: Option<String>,
}

impl Subject {
    /// `Deployment shop/api [container web]`: how the subject reads in messages and tables.
    pub fn display_name(&self) -> String {
        let mut s = self.kind.clone();
        if !self.name.is_empty() {
            s.push(' ');
            if let Some(ns) = &self.namespace {
                s.push_str(ns);
                s.push('/');
            }
            s.push_str(&self.name);
        }
        if let Some(c) = &self.container {
            s.push_str(" container ");
            s.push_str(c);
        }
        s
    }

    /// `path:line` when the subject was read from a file, with ` via kustomization` when
    /// a kustomization rendered it.
    pub fn file_location(&self) -> Option<String> {
        let path = self.path.as_ref()?;
        let mut s = match self.line {
            Some(line) => format!("{path}:{line}"),
            None => path.clone(),
        };
        if let Some(via) = &self.via {
            s.push_str(" via ");
            s.push_str(via);
        }
        Some(s)
    }
}

/// One conclusion of one check about one subject.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct Finding {
    pub id: String,
    #[serde(deserialize_with = "crate::base::interned::deserialize")]
    pub check: crate::base::interned::Str,
    pub status: Status,
    pub severity: Severity,
    pub subject: Subject,
    pub message: String,
    /// Check-specific structured facts (e.g. the bindings that grant a permission).
    pub details: BTreeMap<String, serde_json::Value>,
    /// Ids of the evidence records this finding rests on.
    pub evidence: Vec<String>,
    /// The accepted risk this failing or warning finding falls under, when one does (see
    /// [`crate::assess::exceptions`]): the finding keeps its status; its control does not count it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<FindingException>,
    /// The cluster whose evidence gave this finding, in a fleet report (several clusters);
    /// absent for a finding of the repositories and other inputs every cluster shares, and
    /// in the report of one cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// When this finding was first seen with its present outcome (RFC 3339): carried from
    /// the previous period's report by `report --compare-previous` when that report has the
    /// same finding id with the same outcome (fail or warn; pass or not applicable; else the
    /// same status), else the start of this report's period. Set by
    /// the run (see `report::diff::carry_first_seen`); None in reports built in code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// Distinguishes findings of one check about the same subject (a file with two hits);
    /// part of the id, never shown.
    #[serde(skip)]
    pub key: String,
}

/// An exception as a finding cites it.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct FindingException {
    pub id: String,
    pub reason: String,
    pub approver: String,
    pub ticket: String,
    /// `YYYY-MM-DD`: the last day it applies.
    pub expires: String,
}

impl Finding {
    /// True when the finding fails or warns under an accepted exception: the roll-up
    /// counts it as passing (see [`crate::assess`]).
    pub fn is_excepted(&self) -> bool {
        self.exception.is_some() && matches!(self.status, Status::Fail | Status::Warn)
    }

    pub fn new(
        check: &'static str,
        severity: Severity,
        status: Status,
        subject: Subject,
        message: impl Into<String>,
    ) -> Self {
        Self {
            id: String::new(),
            check,
            status,
            severity,
            subject,
            message: message.into(),
            details: BTreeMap::new(),
            evidence: Vec::new(),
            exception: None,
            cluster: None,
            first_seen: None,
            key: String::new(),
        }
    }

    pub fn evidence(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.evidence.extend(ids.into_iter().map(Into::into));
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }
}

/// Gives each finding its stable id and sorts findings into a deterministic order.
///
/// The id hashes the check id, the identity of the subject's source (see
/// [`Source::identity`]), the subject's kind, namespace, name and container, the
/// kustomization it was rendered through (relative to its source, when there is one), and the
/// finding's key. File paths and line numbers are left out on purpose: moving a Deployment to
/// another file, or editing lines above it, must not change its findings' ids. Findings that
/// would still collide get a `-2`, `-3`... suffix in sorted order.
pub fn assign_ids(findings: &mut [Finding], sources: &[Source]) {
    let by_id: BTreeMap<&str, &Source> = sources.iter().map(|s| (s.id.as_str(), s)).collect();
    for f in findings.iter_mut() {
        let source = by_id.get(f.subject.source.as_str());
        let identity = source.map_or(f.subject.source.as_str(), |s| s.identity.as_str());
        let mut parts = vec![
            f.check,
            identity,
            &f.subject.kind,
            f.subject.namespace.as_deref().unwrap_or(""),
            &f.subject.name,
            f.subject.container.as_deref().unwrap_or(""),
            &f.key,
        ];
        // Only rendered subjects hash a via, so other findings keep their ids.
        if let Some(via) = &f.subject.via {
            let relative = source
                .and_then(|s| via.strip_prefix(s.location.as_str()))
                .map_or(via.as_str(), |r| r.trim_start_matches(['/', '\\']));
            parts.push(relative);
        }
        f.id = format!("{}-{}", f.check, short_hash(&parts));
    }
    findings.sort_by(|a, b| {
        (a.check, &a.id, &a.subject, &a.message).cmp(&(b.check, &b.id, &b.subject, &b.message))
    });
    let mut i = 0;
    while i < findings.len() {
        let mut j = i + 1;
        while j < findings.len() && findings[j].id == findings[i].id {
            j += 1;
        }
        for (n, f) in findings[i + 1..j].iter_mut().enumerate() {
            f.id = format!("{}-{}", f.id, n + 2);
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::record::SourceKind;

    fn source(id: &str, identity: &str) -> Source {
        Source {
            id: id.into(),
            kind: SourceKind::Snapshot,
            location: id.into(),
            identity: identity.into(),
            details: BTreeMap::new(),
        }
    }

    fn finding(source: &str, name: &str, path: &str, line: u32) -> Finding {
        Finding::new(
            "read-only-root-filesystem",
            Severity::High,
            Status::Fail,
            Subject {
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: name.into(),
                container: Some("web".into()),
                source: source.into(),
                path: Some(path.into()),
                line: Some(line),
                via: None,
            },
            "m",
        )
    }

    #[test]
    fn ids_survive_a_new_snapshot_path_and_moved_lines() {
        let mut q3 = vec![finding("snapshot:q3", "api", "q3/shop.yaml", 10)];
        let mut q4 = vec![finding("snapshot:q4", "api", "q4/all.yaml", 99)];
        assign_ids(&mut q3, &[source("snapshot:q3", "snapshot")]);
        assign_ids(&mut q4, &[source("snapshot:q4", "snapshot")]);
        assert_eq!(q3[0].id, q4[0].id);
        assert!(q3[0].id.starts_with("read-only-root-filesystem-"));
    }

    #[test]
    fn ids_differ_by_subject_and_cluster() {
        let mut fs = vec![
            finding("cluster:a", "api", "p", 1),
            finding("cluster:a", "web", "p", 1),
            finding("cluster:b", "api", "p", 1),
        ];
        assign_ids(
            &mut fs,
            &[source("cluster:a", "prod"), source("cluster:b", "stage")],
        );
        let ids: std::collections::BTreeSet<_> = fs.iter().map(|f| f.id.clone()).collect();
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn one_manifest_through_two_overlays_gives_two_stable_ids() {
        let via = |root: &str, overlay: &str| {
            let mut f = finding(&format!("snapshot:{root}"), "api", "base/d.yaml", 3);
            f.subject.via = Some(format!("{root}/overlays/{overlay}/kustomization.yaml"));
            f
        };
        let mut q3 = vec![via("q3", "prod"), via("q3", "stage")];
        let mut q4 = vec![via("q4/repo", "stage"), via("q4/repo", "prod")];
        let sources = |root: &str| {
            let mut s = source(&format!("snapshot:{root}"), "snapshot");
            s.location = root.into();
            vec![s]
        };
        assign_ids(&mut q3, &sources("q3"));
        assign_ids(&mut q4, &sources("q4/repo"));
        assert_ne!(q3[0].id, q3[1].id);
        assert!(!q3[0].id.ends_with("-2") && !q3[1].id.ends_with("-2"));
        let ids = |fs: &[Finding]| {
            let mut v: Vec<(String, String)> = fs
                .iter()
                .map(|f| {
                    (
                        f.subject.via.clone().unwrap()[3..].to_string(),
                        f.id.clone(),
                    )
                })
                .collect();
            v.sort();
            v.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
        };
        assert_eq!(ids(&q3), ids(&q4));
        // A subject rendered by no kustomization keeps the id it had before `via` existed.
        let mut plain = vec![finding("snapshot:q3", "api", "q3/shop.yaml", 10)];
        assign_ids(&mut plain, &sources("q3"));
        assert_eq!(
            plain[0].id,
            format!(
                "read-only-root-filesystem-{}",
                short_hash(&[
                    "read-only-root-filesystem",
                    "snapshot",
                    "Deployment",
                    "shop",
                    "api",
                    "web",
                    ""
                ])
            )
        );
    }

    #[test]
    fn file_locations_name_the_kustomization() {
        let mut f = finding("s", "api", "base/d.yaml", 3);
        assert_eq!(f.subject.file_location().as_deref(), Some("base/d.yaml:3"));
        f.subject.via = Some("prod/kustomization.yaml".into());
        assert_eq!(
            f.subject.file_location().as_deref(),
            Some("base/d.yaml:3 via prod/kustomization.yaml")
        );
        let json = serde_json::to_value(Subject::default()).unwrap();
        assert!(json.get("via").is_some_and(|v| v.is_null()), "{json}");
    }

    #[test]
    fn colliding_ids_get_suffixes_in_a_stable_order() {
        let mut fs = vec![
            finding("s", "api", "b.yaml", 2),
            finding("s", "api", "a.yaml", 1),
        ];
        assign_ids(&mut fs, &[]);
        assert!(fs[1].id.ends_with("-2"));
        assert_eq!(fs[0].subject.path.as_deref(), Some("a.yaml"));
    }
}
