//! Field managers: who wrote a workload's pod template, from its `metadata.managedFields`.
//!
//! Takes an object as read (before [`super::ingest`] drops `managedFields`) and gives, for a
//! workload kind of [`crate::evidence::workload_kinds`], its [`FieldManager`]s: each
//! manager's name, operation, time and subresource, and the fields it owns under the pod
//! template (`spec.template`, a CronJob's `spec.jobTemplate.spec.template`, a Pod's
//! `spec`) flattened from `fieldsV1` into readable paths
//! (`spec.template.spec.containers[name=app].image`). [`with_managed_fields`] writes them
//! back as `managedFields` entries (their `fieldsV1` cut down to the template), so a
//! snapshot `collect` wrote keeps them for an offline run. Nothing else of managedFields is
//! kept: it is a third of an object's bytes and says nothing the checks judge.

use serde_json::{Map, Value};

use crate::evidence::object::{FieldManager, Object};
use crate::evidence::workload_kinds::{self, WorkloadKind};

/// The most template paths kept per manager: a real template has a few hundred fields at
/// most; an object built to exhaust memory does not get to.
const MAX_PATHS: usize = 2_000;

/// The managers of a workload, when the object holds `metadata.managedFields`; None for an
/// object without them, or one that is not a workload.
///
/// An object a controller owns (a Deployment's ReplicaSets, their Pods) keeps only the
/// managers that are not the cluster's own controllers: its controller rewrites it as a
/// matter of course, and a cluster of 10,000 Pods would otherwise hold a million field
/// paths saying so; someone else's write (`kubectl set image pod/...`) is what matters.
pub fn keep(value: &Value, api_version: &str, kind: &str) -> Option<Vec<FieldManager>> {
    let entries = value.pointer("/metadata/managedFields")?.as_array()?;
    let table = workload_kinds::table();
    let row = table.find(api_version, kind)?;
    let root = template_root(row);
    let owned = value
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r.get("controller") == Some(&Value::Bool(true)))
        });
    Some(
        entries
            .iter()
            .filter(|e| {
                !owned
                    || !e
                        .get("manager")
                        .and_then(Value::as_str)
                        .is_some_and(|m| CONTROLLERS.contains(&m))
            })
            .filter_map(|e| manager(e, &root))
            .collect(),
    )
}

/// The cluster's own controllers: the writers of the objects they own.
pub const CONTROLLERS: [&str; 4] = [
    "kube-controller-manager",
    "kubelet",
    "kube-scheduler",
    "kubeadm",
];

/// The field names down to the pod template: `["spec", "template"]`; a Pod's `["spec"]`.
fn template_root(row: &WorkloadKind) -> Vec<String> {
    match &row.pod_spec {
        Some(spec) => {
            let mut segments: Vec<String> = spec.segments().collect();
            if segments.len() > 1 && segments.last().is_some_and(|s| s == "spec") {
                segments.pop();
            }
            segments
        }
        // An operator-managed kind names its images in its own spec.
        None => vec!["spec".to_string()],
    }
}

fn manager(entry: &Value, root: &[String]) -> Option<FieldManager> {
    let text = |k: &str| entry.get(k).and_then(Value::as_str).map(str::to_string);
    let mut found = FieldManager {
        manager: text("manager").unwrap_or_default(),
        operation: text("operation").unwrap_or_default(),
        time: text("time"),
        subresource: text("subresource").filter(|s| !s.is_empty()),
        api_version: text("apiVersion"),
        template_fields: Vec::new(),
        fields_v1: None,
    };
    if found.manager.is_empty() && found.operation.is_empty() {
        return None;
    }
    let mut node = entry.get("fieldsV1")?;
    for name in root {
        node = match node.get(format!("f:{name}")) {
            Some(n) => n,
            None => return Some(found),
        };
    }
    let Some(map) = node.as_object() else {
        return Some(found);
    };
    let mut paths = Vec::new();
    if map.keys().all(|k| k == ".") {
        paths.push(root.join("."));
    } else {
        flatten(map, &root.join("."), &mut paths);
    }
    paths.truncate(MAX_PATHS);
    found.template_fields = paths;
    // The template's subtree under the same keys, for writing back.
    let mut cut = node.clone();
    for name in root.iter().rev() {
        let mut m = Map::new();
        m.insert(format!("f:{name}"), cut);
        cut = Value::Object(m);
    }
    found.fields_v1 = Some(crate::evidence::object::canonical_text(&cut));
    Some(found)
}

/// Every leaf under `node` as a readable path beginning with `path`.
fn flatten(node: &Map<String, Value>, path: &str, out: &mut Vec<String>) {
    for (key, child) in node {
        if key == "." || out.len() >= MAX_PATHS {
            continue;
        }
        let here = format!("{path}{}", readable(key));
        match child.as_object() {
            Some(m) if m.keys().any(|k| k != ".") => flatten(m, &here, out),
            _ => out.push(here),
        }
    }
}

/// One `fieldsV1` key as a path segment: `f:image` → `.image`, `k:{"name":"app"}` →
/// `[name=app]`, `v:"x"` → `[="x"]`... as Kubernetes' own field-path notation reads.
fn readable(key: &str) -> String {
    if let Some(name) = key.strip_prefix("f:") {
        return format!(".{name}");
    }
    if let Some(fields) = key.strip_prefix("k:") {
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(fields) {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect();
            return format!("[{}]", parts.join(","));
        }
        return format!("[{fields}]");
    }
    if let Some(value) = key.strip_prefix("v:") {
        return format!("[={value}]");
    }
    if let Some(index) = key.strip_prefix("i:") {
        return format!("[{index}]");
    }
    format!("[{key}]")
}

/// The object's canonical JSON with its kept managers written back as
/// `metadata.managedFields`; the JSON as it is when it has none.
pub fn with_managed_fields(object: &Object) -> std::borrow::Cow<'_, str> {
    let Some(managers) = &object.managers else {
        return std::borrow::Cow::Borrowed(&object.json);
    };
    let mut value = object.value();
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert(
            "managedFields".into(),
            Value::Array(managers.iter().map(FieldManager::to_json).collect()),
        );
    }
    std::borrow::Cow::Owned(crate::evidence::object::canonical_text(&value).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Deployment's managedFields as a v1.36 API server returns them, after
    /// `kubectl set image deployment/api app=...`.
    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop", "managedFields": [
                {"manager": "kustomize-controller", "operation": "Apply", "apiVersion": "apps/v1",
                 "time": "2026-07-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:replicas": {}, "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {
                            ".": {}, "f:name": {}, "f:ports": {
                                "k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}}}}}}}},
                {"manager": "kubectl-set", "operation": "Update", "apiVersion": "apps/v1",
                 "time": "2026-08-02T09:30:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
                    "f:spec": {"f:template": {"f:spec": {"f:containers": {
                        "k:{\"name\":\"app\"}": {"f:image": {}}}}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
                 "time": "2026-08-02T09:30:05Z", "fieldsType": "FieldsV1", "subresource": "status",
                 "fieldsV1": {"f:status": {"f:replicas": {}}}}
            ]},
            "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x"}]}}}
        })
    }

    #[test]
    fn managers_keep_who_wrote_which_template_field() {
        let kept = keep(&deployment(), "apps/v1", "Deployment").unwrap();
        let names: Vec<(&str, &str, Option<&str>)> = kept
            .iter()
            .map(|m| {
                (
                    m.manager.as_str(),
                    m.operation.as_str(),
                    m.subresource.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("kustomize-controller", "Apply", None),
                ("kubectl-set", "Update", None),
                ("kube-controller-manager", "Update", Some("status")),
            ]
        );
        assert_eq!(
            kept[0].template_fields,
            [
                "spec.template.metadata.labels.app",
                "spec.template.spec.containers[name=app].name",
                "spec.template.spec.containers[name=app].ports[containerPort=8080,protocol=TCP].containerPort",
            ]
        );
        assert_eq!(
            kept[1].template_fields,
            ["spec.template.spec.containers[name=app].image"]
        );
        assert_eq!(kept[1].time.as_deref(), Some("2026-08-02T09:30:00Z"));
        assert!(kept[2].template_fields.is_empty() && !kept[2].writes_object());
    }

    #[test]
    fn a_cronjob_template_and_a_pod_spec_are_their_kinds_roots() {
        let cron = json!({"metadata": {"managedFields": [{"manager": "kubectl-edit",
            "operation": "Update", "fieldsV1": {"f:spec": {"f:jobTemplate": {"f:spec": {
            "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"job\"}": {"f:image": {}}}}}}}}}}]}});
        let kept = keep(&cron, "batch/v1", "CronJob").unwrap();
        assert_eq!(
            kept[0].template_fields,
            ["spec.jobTemplate.spec.template.spec.containers[name=job].image"]
        );
        let pod = json!({"metadata": {"managedFields": [{"manager": "kubectl-patch",
            "operation": "Update", "fieldsV1": {"f:spec": {"f:containers": {
            "k:{\"name\":\"app\"}": {"f:image": {}}}}}}]}});
        let kept = keep(&pod, "v1", "Pod").unwrap();
        assert_eq!(kept[0].template_fields, ["spec.containers[name=app].image"]);
    }

    #[test]
    fn an_owned_object_keeps_only_writers_other_than_its_controllers() {
        let pod = json!({"metadata": {
            "ownerReferences": [{"kind": "ReplicaSet", "name": "api-1", "controller": true}],
            "managedFields": [
                {"manager": "kube-controller-manager", "operation": "Update",
                 "fieldsV1": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {"f:image": {}}}}}},
                {"manager": "kubelet", "operation": "Update", "subresource": "status",
                 "fieldsV1": {"f:status": {}}},
                {"manager": "kubectl-set", "operation": "Update",
                 "fieldsV1": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {"f:image": {}}}}}}]}});
        let kept = keep(&pod, "v1", "Pod").unwrap();
        let names: Vec<&str> = kept.iter().map(|m| m.manager.as_str()).collect();
        assert_eq!(names, ["kubectl-set"]);
    }

    #[test]
    fn objects_without_managed_fields_or_not_workloads_keep_nothing() {
        let mut d = deployment();
        assert!(keep(&d, "v1", "ConfigMap").is_none());
        d["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("managedFields");
        assert!(keep(&d, "apps/v1", "Deployment").is_none());
    }

    #[test]
    fn written_back_managers_read_the_same() {
        let value = deployment();
        let kept = keep(&value, "apps/v1", "Deployment").unwrap();
        let written = Value::Array(kept.iter().map(FieldManager::to_json).collect());
        let again = keep(
            &json!({"metadata": {"managedFields": written}}),
            "apps/v1",
            "Deployment",
        )
        .unwrap();
        assert_eq!(again, kept);
    }
}
