//! Evidence: what evidencer saw, where, when, and the sha256 of the bytes as stored.
//!
//! Every collector (snapshot files, a live cluster, Git history) produces the same types:
//! a [`Source`] for each input, one [`EvidenceRecord`] per object, file or event it read, and
//! [`Problem`](super::inventory::Problem)s for what it could not read. Checks cite evidence by id; reports list every
//! record with its locator and hash so an auditor can trace a finding back to its input.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// One input: a snapshot path, a cluster context or a repository.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Source {
    /// Unique within a run, e.g. `snapshot:samples/snapshot` or `cluster:prod-eu`.
    pub id: String,
    pub kind: SourceKind,
    /// Path as given on the command line, context name, or repository path.
    pub location: String,
    /// What the findings of this source are keyed on, so a finding keeps its id from one
    /// quarter's snapshot to the next: the cluster context when the input names one, else a
    /// fixed label. Never a path that changes between runs.
    pub identity: String,
    /// Facts about the source: server URL, commit, collection time, counts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Snapshot,
    Cluster,
    Repository,
    /// Documents attested by the organisation (`attestations:`).
    Attestations,
    /// Kubernetes API audit logs (`--audit-log`): one source per argument.
    AuditLog,
    /// Scanner and policy-engine results (`--results`): each result carries its own time.
    Results,
}

impl Source {
    /// `snapshot`, `cluster`, `repository`, `attestations`, `audit log` or `results`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            SourceKind::Snapshot => "snapshot",
            SourceKind::Cluster => "cluster",
            SourceKind::Repository => "repository",
            SourceKind::Attestations => "attestations",
            SourceKind::AuditLog => "audit log",
            SourceKind::Results => "results",
        }
    }
}

/// What a record describes.
#[derive(Clone, Copy, Debug, Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A Kubernetes object (from a file, a snapshot or the API).
    Object,
    /// A whole file (a Dockerfile, a pipeline definition).
    File,
    /// Something that happened at a point in time (an audit log entry, a commit).
    Event,
    /// An input as a whole: what was read from it, cited by findings about what it lacks.
    Source,
}

/// One piece of evidence, as listed in `report.json` and the evidence appendix.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct EvidenceRecord {
    pub id: String,
    pub source: String,
    pub kind: EvidenceKind,
    /// Where exactly: `path#doc`, an API path, or `repo@commit:path`.
    pub locator: String,
    /// sha256 of the bytes as stored, after redaction (for objects: compact JSON, keys sorted).
    pub sha256: String,
    /// When the input says it was collected; null when it does not record it.
    pub collected_at: Option<String>,
    /// For events: when the event happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// A short human description, e.g. `Deployment shop/api`.
    pub describes: String,
    /// For a workload read from a cluster with `metadata.managedFields`: its field managers
    /// and the pod-template fields each owns (the rest of managedFields is not kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managers: Option<Vec<crate::evidence::object::FieldManager>>,
}

/// Derives a stable evidence id from the source and locator: the same input gives the same id
/// in every run, whatever order it was read in.
pub fn evidence_id(source: &str, locator: &str) -> String {
    format!("ev-{}", short_hash(&[source, locator]))
}

/// First 16 hex digits of the sha256 of the parts, separated by NUL bytes.
pub fn short_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update([0u8]);
        }
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    hex::encode(&digest[..8])
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_ids_depend_only_on_source_and_locator() {
        let a = evidence_id("snapshot:x", "pods.json#3");
        assert_eq!(a, evidence_id("snapshot:x", "pods.json#3"));
        assert_ne!(a, evidence_id("snapshot:x", "pods.json#4"));
        assert!(a.starts_with("ev-") && a.len() == 19);
    }

    #[test]
    fn hash_parts_are_separated() {
        assert_ne!(short_hash(&["ab", "c"]), short_hash(&["a", "bc"]));
    }
}
