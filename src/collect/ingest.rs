//! Object ingestion: the one path every Kubernetes object takes into the evidence, whether
//! read from a file or from the API.
//!
//! Takes one parsed object with its locator and origin and gives a [`Built`]: the object
//! redacted (see [`super::redact`]), without `managedFields` (a workload's field managers
//! kept aside, see [`super::managed`]), as canonical JSON with its
//! sha256 and evidence record; or why it was not kept (a Secret, tooling configuration such
//! as a kustomization, an object too big or with unreadable metadata). The snapshot reader
//! and the live-cluster collector both call [`build`], so a live object hashes exactly as its
//! copy in a snapshot does.

use serde_json::Value;

use super::redact;
use crate::evidence::inventory::{Problem, ProblemLevel, RedactionStats};
use crate::evidence::object::{Object, ObjectMeta, Origin};
use crate::evidence::record::{EvidenceKind, EvidenceRecord, evidence_id, sha256_hex};

/// Documents shaped like Kubernetes objects that configure tools, not the cluster:
/// kustomizations and kubeconfig files.
pub(crate) fn is_tooling(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("kustomize.config.k8s.io/") || (kind == "Config" && api_version == "v1")
}

/// What one document or list item became.
pub enum Built {
    Object(Box<Object>, EvidenceRecord, RedactionStats),
    Secret,
    Skipped,
    Problem(Problem),
}

pub fn fill_type(obj: &mut serde_json::Map<String, Value>, kind: &str, api_version: &str) {
    obj.entry("kind")
        .or_insert_with(|| Value::String(kind.into()));
    obj.entry("apiVersion")
        .or_insert_with(|| Value::String(api_version.into()));
}

/// The most containers (app, init and ephemeral together) one object's pod spec may hold to
/// be read. Every container gets a finding per container check, and each finding costs
/// memory in every report: 100,000 containers in one 4.5 MB object took over 10 GB. No
/// real pod comes near this.
pub const MAX_CONTAINERS_PER_OBJECT: usize = 1_000;

/// The largest object read, as canonical JSON: the API server accepts no request body
/// larger (3 MiB), so no cluster holds a bigger object (etcd's own default limit is half).
pub const MAX_OBJECT_BYTES: usize = 3 << 20;

/// Containers of the pod spec of an object: at `spec` (a Pod), `spec.template.spec` (a
/// workload or a custom resource with a pod template) or `spec.jobTemplate.spec.template.spec`
/// (a CronJob), whatever its kind.
fn pod_spec_containers(value: &Value) -> usize {
    [
        "/spec",
        "/spec/template/spec",
        "/spec/jobTemplate/spec/template/spec",
    ]
    .iter()
    .filter_map(|p| value.pointer(p))
    .map(|spec| {
        ["containers", "initContainers", "ephemeralContainers"]
            .iter()
            .filter_map(|k| spec.get(k).and_then(Value::as_array))
            .map(Vec::len)
            .sum::<usize>()
    })
    .max()
    .unwrap_or(0)
}

/// The problem of an object refused for its size: named, and not assessed.
fn too_big(source_id: &str, location: String, kind: &str, value: &Value, why: String) -> Problem {
    let meta = value.get("metadata");
    let field = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
    let name = match (field("namespace"), field("name")) {
        (Some(ns), Some(n)) => format!("{kind} {ns}/{n}"),
        (None, Some(n)) => format!("{kind} {n}"),
        _ => kind.to_string(),
    };
    Problem::new(
        ProblemLevel::Error,
        source_id,
        location,
        format!("{name} not read: {why}; it is not assessed"),
    )
    .hint("a generated or corrupted object; the rest of the input was read")
}

/// Redacts, hashes and indexes one object: the one path every object takes, from a file or
/// from the API. Documents that are not Kubernetes objects (no apiVersion and kind) are
/// skipped with a debug log. `collected_at` goes into the evidence record.
pub fn build(
    mut value: Value,
    locator: String,
    origin: Origin,
    collected_at: Option<&str>,
    source_id: &str,
) -> Built {
    let (Some(api_version), Some(kind)) = (
        value
            .get("apiVersion")
            .and_then(Value::as_str)
            .map(str::to_string),
        value
            .get("kind")
            .and_then(Value::as_str)
            .map(str::to_string),
    ) else {
        tracing::debug!(%locator, "not a Kubernetes object (no apiVersion and kind); ignored");
        return Built::Skipped;
    };
    if is_tooling(&api_version, &kind) {
        return Built::Skipped;
    }
    if redact::is_secret(&value) {
        return Built::Secret;
    }
    // managedFields are the API server's bookkeeping of who set which field, a third of an
    // object's bytes and no evidence of anything the checks judge. As kubectl shows objects,
    // they are not kept: dropped before redaction walks the object, and before hashing, so
    // the hash is of exactly the object as kept (the evidence bundle writes it, anyone can
    // recompute the hash from it) and a live object hashes as its copy in a snapshot does.
    // Who wrote a workload's pod template is kept first (see [`super::managed`]).
    let managers = super::managed::keep(&value, &api_version, &kind);
    if let Some(m) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    let location = || match (&origin.path, origin.line) {
        (Some(path), Some(l)) => format!("{path}:{l}"),
        _ => locator.clone(),
    };
    let containers = pod_spec_containers(&value);
    if containers > MAX_CONTAINERS_PER_OBJECT {
        return Built::Problem(too_big(
            source_id,
            location(),
            &kind,
            &value,
            format!(
                "its pod spec holds {containers} containers, more than the \
                 {MAX_CONTAINERS_PER_OBJECT} evidencer reads in one object"
            ),
        ));
    }
    let mut stats = RedactionStats::default();
    redact::redact_object(&mut value, &mut stats);
    let json = crate::evidence::object::canonical_text(&value);
    if json.len() > MAX_OBJECT_BYTES {
        return Built::Problem(too_big(
            source_id,
            location(),
            &kind,
            &value,
            format!(
                "it is {} bytes as JSON, more than the {MAX_OBJECT_BYTES} bytes (3 MiB) the \
                 API server accepts for one object",
                json.len()
            ),
        ));
    }
    let sha256 = sha256_hex(json.as_bytes());
    let meta_problem;
    let meta = match value.get("metadata") {
        None => {
            meta_problem = None;
            ObjectMeta::default()
        }
        Some(m) => match serde_path_to_error::deserialize::<_, ObjectMeta>(m) {
            Ok(meta) => {
                meta_problem = None;
                meta
            }
            Err(e) => {
                meta_problem = Some(format!("metadata.{}: {}", e.path(), e.inner()));
                ObjectMeta::default()
            }
        },
    };
    if let Some(message) = meta_problem {
        let location = match (&origin.path, origin.line) {
            (Some(path), Some(l)) => format!("{path}:{l}"),
            _ => locator.clone(),
        };
        return Built::Problem(
            Problem::new(
                ProblemLevel::Error,
                source_id,
                location,
                format!("{kind} with unreadable metadata: {message}"),
            )
            .hint("this object was not assessed"),
        );
    }
    let evidence = evidence_id(source_id, &locator);
    let describes = match &meta.namespace {
        Some(ns) => format!("{kind} {ns}/{}", meta.name),
        None => format!("{kind} {}", meta.name),
    };
    let record = EvidenceRecord {
        id: evidence.clone(),
        source: source_id.to_string(),
        kind: EvidenceKind::Object,
        locator,
        sha256,
        collected_at: collected_at.map(str::to_string),
        time: None,
        describes,
        managers: managers.clone(),
    };
    let object = Object {
        api_version,
        kind,
        meta,
        json,
        evidence,
        source: source_id.to_string(),
        origin,
        managers,
    };
    Built::Object(Box::new(object), record, stats)
}
