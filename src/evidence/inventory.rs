//! The inventory: everything the collectors gathered, as the checks and the report see it.
//!
//! Every collector (snapshot files, a live cluster, Git history) returns an [`Inventory`]: the
//! sources it read, the objects and evidence records it found, the text files it kept, which
//! kinds it collected ([`Coverage`], so a check can tell "none exist" from "not looked at"),
//! how many values redaction removed, the server version, the Git history of images, and the
//! [`Problem`]s it met. Inventories from several inputs are merged before the checks run.
//! These types are part of `report.json`: they live in the evidence model, not in a
//! collector, so refactoring a collector cannot change the published schema.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evidence::history::History;
use crate::evidence::object::Object;
use crate::evidence::record::{EvidenceRecord, Source};

/// Everything the collectors gathered, as the checks see it.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub sources: Vec<Source>,
    pub objects: Vec<Object>,
    pub records: Vec<EvidenceRecord>,
    pub coverage: Coverage,
    pub problems: Vec<Problem>,
    pub redaction: RedactionStats,
    /// The API server's version, from `version.json` or `/version`.
    pub server_version: Option<ServerVersion>,
    /// Text files kept as evidence: Dockerfiles, CI pipeline definitions, scripts, runbooks.
    pub files: Vec<CollectedFile>,
    /// What the Git history of each repository says about images over the period.
    pub history: Vec<History>,
    /// The kinds a cluster listed in full: by a live list, or recorded as collected in a
    /// snapshot's `manifest.json`. Objects found in plain files prove that they exist, never
    /// that nothing else does (a repository holds none of a cluster's built-in roles).
    pub listed: std::collections::BTreeSet<String>,
    /// The trees of each repository left out of scope (test data, `--exclude`, not
    /// deployed), so the report can say what was not read.
    pub excluded: Vec<ExcludedPath>,
    /// The manifests of repositories at the commits a cluster should run (the ref's tip at
    /// collection time, or the revisions its Flux and Argo CD objects report), for
    /// `live-matches-git`. Their objects are not among [`Inventory::objects`]: only that
    /// check judges them.
    pub baselines: Vec<crate::evidence::deployers::Baseline>,
}

/// A tree (the top-most excluded directory, or one file) of a repository that was not read,
/// with how many files the collector would have read there and why it did not.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct ExcludedPath {
    /// Source id of the repository.
    pub source: String,
    /// Path within the repository, `/`-separated, without a trailing slash.
    pub path: String,
    /// A directory (everything under it), or one file.
    pub directory: bool,
    /// Files left out there that would have been read (manifests, values files, pipelines,
    /// scripts, Dockerfiles), at the period end.
    pub files: usize,
    pub reason: ExclusionReason,
    /// The glob that matched, for an exclude or a default exclude.
    pub rule: Option<String>,
}

/// Why a tree was left out.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// An `--exclude` glob (or a `repos:` entry's `exclude`).
    Exclude,
    /// One of the default excludes (test data and fixtures).
    DefaultExclude,
    /// No `--include` glob matched.
    NotIncluded,
    /// `--deployed-only`: no kustomization, Flux or Argo CD root reaches it.
    NotDeployed,
}

/// A text file collected as evidence, as it stood when read (for a repository: at the
/// commit named, normally the last commit of the period).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectedFile {
    /// Source id (the repository or snapshot it came from).
    pub source: String,
    /// Path within the source, `/`-separated.
    pub path: String,
    /// Commit the text was read at, for files from Git.
    pub commit: Option<String>,
    /// Id of the file's evidence record.
    pub evidence: String,
    pub text: std::sync::Arc<str>,
    /// When `commit` landed (RFC 3339), for files from Git.
    pub committed_at: Option<String>,
    /// An earlier version: one that existed during the period but was changed or removed
    /// by its end. Only the checks that look for what ever ran during the period read these
    /// (`no-in-place-mutation`); the others judge the files as they stand at the end.
    pub earlier: bool,
}

impl Inventory {
    /// Adds another collector's inventory to this one.
    pub fn merge(&mut self, other: Inventory) {
        self.sources.extend(other.sources);
        self.objects.extend(other.objects);
        self.records.extend(other.records);
        self.coverage.merge(other.coverage);
        self.problems.extend(other.problems);
        self.redaction.merge(other.redaction);
        self.files.extend(other.files);
        self.history.extend(other.history);
        self.listed.extend(other.listed);
        self.excluded.extend(other.excluded);
        self.baselines.extend(other.baselines);
        if self.server_version.is_none() {
            self.server_version = other.server_version;
        }
    }

    /// Adds one record per source describing the input as a whole (what was read from it,
    /// with its details and collection time), for a finding about what the input lacks: "no
    /// Dockerfile was in the input" cites the inputs that were looked through. Call once,
    /// after every input is merged.
    pub fn add_source_records(&mut self) {
        for source in &self.sources {
            let locator = format!("source:{}", source.location);
            let bytes = serde_json::to_vec(source).unwrap_or_default();
            self.records.push(EvidenceRecord {
                managers: None,
                id: crate::evidence::record::evidence_id(&source.id, &locator),
                source: source.id.clone(),
                kind: crate::evidence::record::EvidenceKind::Source,
                locator,
                sha256: crate::evidence::record::sha256_hex(&bytes),
                collected_at: source.details.get("collected_at").cloned(),
                time: None,
                describes: format!("Input {} ({})", source.location, source.kind_name()),
            });
        }
    }

    /// The ids of the records [`Inventory::add_source_records`] added.
    pub fn source_record_ids(&self) -> Vec<String> {
        self.records
            .iter()
            .filter(|r| r.kind == crate::evidence::record::EvidenceKind::Source)
            .map(|r| r.id.clone())
            .collect()
    }

    /// Sorts everything into a canonical order so the same inputs give the same report
    /// whatever order files were read in.
    pub fn canonicalize(&mut self) {
        self.sources.sort_by(|a, b| a.id.cmp(&b.id));
        self.objects.sort_by(|a, b| {
            (
                &a.source,
                &a.origin.path,
                a.origin.line,
                &a.origin.via,
                &a.evidence,
            )
                .cmp(&(
                    &b.source,
                    &b.origin.path,
                    b.origin.line,
                    &b.origin.via,
                    &b.evidence,
                ))
        });
        self.files.sort_by(|a, b| {
            (&a.source, &a.path, a.earlier, &a.committed_at, &a.commit).cmp(&(
                &b.source,
                &b.path,
                b.earlier,
                &b.committed_at,
                &b.commit,
            ))
        });
        self.history.sort_by(|a, b| a.source.cmp(&b.source));
        self.excluded.sort();
        self.records
            .sort_by(|a, b| (&a.source, &a.locator).cmp(&(&b.source, &b.locator)));
        self.records.dedup_by(|a, b| a.id == b.id);
        self.problems.sort_by(|a, b| {
            (&a.source, &a.location, &a.message).cmp(&(&b.source, &b.location, &b.message))
        });
    }
}

/// How bad an input problem is.
#[derive(Clone, Copy, Debug, Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ProblemLevel {
    /// Input that could not be read or parsed: what it held was not assessed.
    Error,
    /// Input that was read only in part, or read with an assumption.
    Warning,
    /// Input that was deliberately skipped (Helm templates, Secrets).
    Note,
}

/// Something a collector could not read, or chose to skip, said so the user can act on it.
/// A snapshot's manifest keeps the problems met while it was collected.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Problem {
    pub level: ProblemLevel,
    pub source: String,
    /// `path:line`, `Deployment ns/name`, an API path, or `repo@commit:path`.
    pub location: String,
    pub message: String,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(
        level: ProblemLevel,
        source: impl Into<String>,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            level,
            source: source.into(),
            location: location.into(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// How many values redaction removed, shown in the report so nobody wonders where they went.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RedactionStats {
    /// Secret objects dropped on read: never stored, hashed or rendered.
    pub secrets_dropped: usize,
    /// ConfigMap `data`/`binaryData` maps removed.
    pub configmap_data_removed: usize,
    /// Literal `env` values replaced by a marker.
    pub env_values_redacted: usize,
    /// Annotation values redacted: a key that names a secret, or a secret-looking part of
    /// the value (at any depth: pod templates' annotations too).
    pub annotations_redacted: usize,
    /// Secret values in container `command`/`args`: flag values, `-p` passwords, URL
    /// passwords, secrets inside `sh -c` scripts.
    pub arguments_redacted: usize,
    /// `httpHeaders` values of probes and hooks that carry a credential.
    pub headers_redacted: usize,
    /// Literal Secret data held by other objects: SealedSecret, ExternalSecret templates,
    /// Kyverno generate rules.
    pub secret_data_redacted: usize,
    /// Secret-looking values anywhere else (URL passwords, keys, tokens, secret flags in
    /// scripts) and, in documents from repositories that are not Kubernetes objects, the
    /// values of keys that name a secret.
    pub other_values_redacted: usize,
    /// Files from repositories stored with values redacted in place.
    pub files_redacted: usize,
    /// Values redacted in those files (a Secret document counts as one).
    pub file_values_redacted: usize,
}

impl RedactionStats {
    pub fn merge(&mut self, o: RedactionStats) {
        self.secrets_dropped += o.secrets_dropped;
        self.configmap_data_removed += o.configmap_data_removed;
        self.env_values_redacted += o.env_values_redacted;
        self.annotations_redacted += o.annotations_redacted;
        self.arguments_redacted += o.arguments_redacted;
        self.headers_redacted += o.headers_redacted;
        self.secret_data_redacted += o.secret_data_redacted;
        self.other_values_redacted += o.other_values_redacted;
        self.files_redacted += o.files_redacted;
        self.file_values_redacted += o.file_values_redacted;
    }

    /// Values redacted in objects (Secrets and files not counted).
    pub fn values(&self) -> usize {
        self.configmap_data_removed
            + self.env_values_redacted
            + self.annotations_redacted
            + self.arguments_redacted
            + self.headers_redacted
            + self.secret_data_redacted
            + self.other_values_redacted
    }
}

/// `kubectl version -o json`'s `serverVersion`, or the API's `/version`.
#[derive(Clone, Debug, Default, serde::Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct ServerVersion {
    pub major: String,
    pub minor: String,
    pub git_version: String,
    pub platform: String,
    /// Id of the evidence record of what reported it (`version.json`, or the live
    /// `/version`), so a finding judged on it cites it; never read from or written to JSON.
    #[serde(skip)]
    pub evidence: Option<String>,
}

/// Whether a kind was collected, and if not, why.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum KindStatus {
    /// The input holds this kind; `count` may be zero when a manifest says it was listed.
    Collected { count: usize },
    /// The API refused to list it (403).
    Forbidden { reason: String },
    /// The API server does not serve it (no such CRD).
    NotServed,
}

/// Which kinds each input collected. A kind with no entry was not collected at all.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Coverage {
    pub kinds: BTreeMap<String, KindStatus>,
}

impl Coverage {
    pub fn record_object(&mut self, kind: &str) {
        match self
            .kinds
            .entry(kind.to_string())
            .or_insert(KindStatus::Collected { count: 0 })
        {
            KindStatus::Collected { count } => *count += 1,
            other => *other = KindStatus::Collected { count: 1 },
        }
    }

    pub fn set(&mut self, kind: &str, status: KindStatus) {
        self.kinds.insert(kind.to_string(), status);
    }

    pub fn is_collected(&self, kind: &str) -> bool {
        matches!(self.kinds.get(kind), Some(KindStatus::Collected { .. }))
    }

    pub fn count(&self, kind: &str) -> usize {
        match self.kinds.get(kind) {
            Some(KindStatus::Collected { count }) => *count,
            _ => 0,
        }
    }

    /// Why a kind is missing, in words for a `not_assessed` finding.
    pub fn why_missing(&self, kind: &str) -> String {
        match self.kinds.get(kind) {
            Some(KindStatus::Collected { .. }) => format!("{kind} objects were collected"),
            Some(KindStatus::Forbidden { reason }) => {
                match crate::evidence::kinds::resource_of(kind) {
                    Some(resource) => format!(
                        "listing {kind} objects was forbidden ({reason}): needs `list` on {resource}"
                    ),
                    None => format!("listing {kind} objects was forbidden ({reason})"),
                }
            }
            Some(KindStatus::NotServed) => format!("the API server does not serve {kind}"),
            None => format!("no {kind} objects were in the input"),
        }
    }

    /// Merges another input's coverage: collected wins over forbidden, counts add up.
    pub fn merge(&mut self, other: Coverage) {
        for (kind, status) in other.kinds {
            match (self.kinds.get_mut(&kind), status) {
                (None, s) => {
                    self.kinds.insert(kind, s);
                }
                (Some(KindStatus::Collected { count }), KindStatus::Collected { count: c }) => {
                    *count += c
                }
                (Some(_), KindStatus::Collected { count }) => {
                    self.kinds.insert(kind, KindStatus::Collected { count });
                }
                (Some(_), _) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_tells_missing_from_forbidden() {
        let mut c = Coverage::default();
        c.record_object("Pod");
        c.record_object("Pod");
        c.set(
            "RoleBinding",
            KindStatus::Forbidden {
                reason: "403 Forbidden".into(),
            },
        );
        assert_eq!(c.count("Pod"), 2);
        assert!(!c.is_collected("RoleBinding"));
        assert_eq!(
            c.why_missing("RoleBinding"),
            "listing RoleBinding objects was forbidden (403 Forbidden): needs `list` on \
             rolebindings.rbac.authorization.k8s.io"
        );
        assert!(c.why_missing("Node").contains("no Node objects"));
        let mut other = Coverage::default();
        other.record_object("RoleBinding");
        c.merge(other);
        assert!(c.is_collected("RoleBinding"));
    }
}
