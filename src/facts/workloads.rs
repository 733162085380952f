//! Workloads and their containers, resolved from the objects of an inventory.
//!
//! Takes every object that carries a pod template (Deployment, StatefulSet, DaemonSet,
//! ReplicaSet, Job, CronJob) or is a Pod, and decides which ones the spec checks assess: a Pod,
//! ReplicaSet or Job whose controlling owner is also in the input is assessed through that
//! owner, so a Deployment with 30 pods yields one finding per container, not 31. Orphans and
//! bare Pods are assessed themselves. Every Pod, owned or not, also goes to the facts of
//! pod *state* ([`super::running`]).

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;
use serde::Deserialize;

use crate::evidence::finding::Subject;
use crate::evidence::object::{Object, ViewError, lenient_opt_string, lenient_string};

/// JSON pointer to the pod spec within each workload kind.
pub fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            Some("/spec/template/spec")
        }
        _ => None,
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub ephemeral_containers: Vec<Container>,
    pub security_context: Option<SecurityContext>,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub service_account_name: Option<String>,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub node_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    #[serde(deserialize_with = "lenient_string")]
    pub name: String,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub image: Option<String>,
    pub security_context: Option<SecurityContext>,
}

/// The securityContext fields the checks read; pod and container level share the shape
/// (fields a level lacks simply stay unset).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct SecurityContext {
    pub read_only_root_filesystem: Option<bool>,
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub allow_privilege_escalation: Option<bool>,
    pub privileged: Option<bool>,
}

/// Whether a container runs before the app containers, as one of them, or was attached later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContainerRole {
    Init,
    App,
    Ephemeral,
}

/// One container of an assessed workload, with what the checks need to judge it.
#[derive(Debug)]
pub struct ContainerRef<'a> {
    pub workload: &'a Workload<'a>,
    pub container: &'a Container,
    pub role: ContainerRole,
}

impl ContainerRef<'_> {
    pub fn subject(&self) -> Subject {
        let mut s = self.workload.subject();
        s.container = Some(self.container.name.clone());
        s
    }

    /// The path of one of the container's fields in its object, as Kubernetes names it in
    /// errors: `spec.template.spec.containers[0].image`.
    pub fn field_path(&self, field: &str) -> String {
        let (list, name) = match self.role {
            ContainerRole::Init => (&self.workload.pod_spec.init_containers, "initContainers"),
            ContainerRole::App => (&self.workload.pod_spec.containers, "containers"),
            ContainerRole::Ephemeral => (
                &self.workload.pod_spec.ephemeral_containers,
                "ephemeralContainers",
            ),
        };
        let index = list
            .iter()
            .position(|c| std::ptr::eq(c, self.container))
            .unwrap_or_default();
        let pod_spec = pod_spec_pointer(&self.workload.object.kind)
            .unwrap_or("/spec")
            .trim_start_matches('/')
            .replace('/', ".");
        format!("{pod_spec}.{name}[{index}].{field}")
    }

    /// The container's setting if it has one, else the pod's.
    pub fn effective<T: Copy>(&self, field: impl Fn(&SecurityContext) -> Option<T>) -> Option<T> {
        self.container
            .security_context
            .as_ref()
            .and_then(&field)
            .or_else(|| {
                self.workload
                    .pod_spec
                    .security_context
                    .as_ref()
                    .and_then(&field)
            })
    }

    /// Where the effective value came from, for messages: `container`, `pod` or `unset`.
    pub fn origin_of<T>(&self, field: impl Fn(&SecurityContext) -> Option<T>) -> &'static str {
        if self
            .container
            .security_context
            .as_ref()
            .and_then(&field)
            .is_some()
        {
            "container"
        } else if self
            .workload
            .pod_spec
            .security_context
            .as_ref()
            .and_then(&field)
            .is_some()
        {
            "pod"
        } else {
            "unset"
        }
    }
}

/// An object that runs containers, with its pod spec read.
#[derive(Debug)]
pub struct Workload<'a> {
    pub object: &'a Object,
    pub pod_spec: PodSpec,
}

impl<'a> Workload<'a> {
    pub fn subject(&self) -> Subject {
        object_subject(self.object)
    }

    /// Init containers first, then app containers, in spec order.
    pub fn containers(&'a self) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
        let init = self
            .pod_spec
            .init_containers
            .iter()
            .map(move |c| ContainerRef {
                workload: self,
                container: c,
                role: ContainerRole::Init,
            });
        let app = self.pod_spec.containers.iter().map(move |c| ContainerRef {
            workload: self,
            container: c,
            role: ContainerRole::App,
        });
        init.chain(app)
    }
}

/// The subject of a finding about a whole object.
pub fn object_subject(object: &Object) -> Subject {
    Subject {
        kind: object.kind.clone(),
        namespace: object.meta.namespace.clone(),
        name: object.meta.name.clone(),
        container: None,
        source: object.source.clone(),
        path: object.origin.path.clone(),
        line: object.origin.line,
        via: object.origin.via.clone(),
    }
}

/// A workload object whose pod spec could not be read.
#[derive(Debug)]
pub struct Unreadable<'a> {
    pub object: &'a Object,
    pub error: ViewError,
}

/// The workloads of an inventory, resolved once and shared by every check.
#[derive(Debug, Default)]
pub struct WorkloadIndex<'a> {
    /// Workloads the spec checks assess: controllers, and Pods, ReplicaSets and Jobs whose
    /// controlling owner is not in the input.
    pub assessed: Vec<Workload<'a>>,
    /// Workloads whose pod spec is malformed; checks report them as `error`.
    pub unreadable: Vec<Unreadable<'a>>,
    /// How many objects were assessed through their owner instead of themselves.
    pub assessed_through_owner: usize,
}

impl<'a> WorkloadIndex<'a> {
    /// The index, and every Pod in the input (owned or not) with its pod spec read, for the
    /// facts of running state. Pod specs are read once, on both cores.
    pub fn build(objects: &'a [Object]) -> (Self, Vec<Workload<'a>>) {
        let workloads: Vec<&Object> = objects
            .iter()
            .filter(|o| pod_spec_pointer(&o.kind).is_some())
            .collect();
        let present = OwnerLookup::new(&workloads);
        // Reading the pod specs is the costly part (one per Pod): on both cores.
        let specs: Vec<Result<PodSpec, ViewError>> = workloads
            .par_iter()
            .map(|object| {
                let pointer = pod_spec_pointer(&object.kind).expect("filtered above");
                object
                    .view::<PodSpec>(pointer)
                    .and_then(|spec| required_parts(object, pointer, &spec).map(|()| spec))
            })
            .collect();
        let mut index = WorkloadIndex::default();
        let mut pods = Vec::new();
        for (object, spec) in workloads.into_iter().zip(specs) {
            let pod_spec = match spec {
                Ok(spec) => spec,
                Err(error) => {
                    index.unreadable.push(Unreadable { object, error });
                    continue;
                }
            };
            let owned = matches!(object.kind.as_str(), "Pod" | "ReplicaSet" | "Job")
                && present.has_controller_of(object);
            if object.kind == "Pod" {
                pods.push(Workload {
                    object,
                    pod_spec: pod_spec.clone(),
                });
            }
            if owned {
                index.assessed_through_owner += 1;
            } else {
                index.assessed.push(Workload { object, pod_spec });
            }
        }
        (index, pods)
    }

    /// Every container of every assessed workload, init containers included.
    pub fn containers(&'a self) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
        self.assessed.iter().flat_map(|w| w.containers())
    }
}

/// The parts Kubernetes requires of every workload, which typed views would otherwise read as
/// empty: a name, and a pod spec with at least one container. A workload without them is
/// reported by the first missing field, so no check passes it by looking at nothing.
fn required_parts(object: &Object, pointer: &str, spec: &PodSpec) -> Result<(), ViewError> {
    let named = !object.meta.name.is_empty()
        || object
            .view::<Option<String>>("/metadata/generateName")
            .is_ok_and(|n| n.is_some_and(|n| !n.is_empty()));
    if !named {
        let path = if object.part("/metadata").is_some() {
            "metadata.name"
        } else {
            "metadata"
        };
        return Err(ViewError {
            path: path.into(),
            message: "missing: every object needs a name".into(),
        });
    }
    if !spec.containers.is_empty() {
        return Ok(());
    }
    let full = format!("{pointer}/containers");
    let mut path = String::new();
    // Only a broken workload gets here, so the whole object is parsed to walk it.
    let value = object.value();
    let mut at = &value;
    for segment in full.trim_start_matches('/').split('/') {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(segment);
        match at.get(segment) {
            Some(next) if !next.is_null() => at = next,
            _ => {
                return Err(ViewError {
                    path,
                    message: "missing: a pod spec needs at least one container".into(),
                });
            }
        }
    }
    Err(ViewError {
        path,
        message: "empty: a pod spec needs at least one container".into(),
    })
}

/// Answers "is this object's controlling owner in the input?" by uid when both sides have
/// one, else by kind, namespace and name.
struct OwnerLookup<'a> {
    uids: HashSet<&'a str>,
    names: HashSet<(&'a str, &'a str, &'a str)>,
}

impl<'a> OwnerLookup<'a> {
    fn new(objects: &[&'a Object]) -> Self {
        let mut uids = HashSet::new();
        let mut names = HashSet::new();
        for o in objects {
            if let Some(uid) = o.meta.uid.as_deref() {
                uids.insert(uid);
            }
            names.insert((
                o.kind.as_str(),
                o.meta.namespace.as_deref().unwrap_or(""),
                o.meta.name.as_str(),
            ));
        }
        Self { uids, names }
    }

    fn has_controller_of(&self, object: &Object) -> bool {
        object
            .meta
            .owner_references
            .iter()
            .filter(|r| r.controller.unwrap_or(false))
            .any(|r| match r.uid.as_deref() {
                Some(uid) if !self.uids.is_empty() && self.uids.contains(uid) => true,
                _ => self.names.contains(&(
                    r.kind.as_str(),
                    object.meta.namespace.as_deref().unwrap_or(""),
                    r.name.as_str(),
                )),
            })
    }
}

/// Counts of workloads by kind, for narratives: `{"Deployment": 12, "Pod": 3}`.
pub fn count_by_kind<'a>(
    workloads: impl Iterator<Item = &'a Workload<'a>>,
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for w in workloads {
        *counts.entry(w.object.kind.clone()).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::object::{ObjectMeta, Origin, OwnerReference};
    use serde_json::json;

    fn obj(kind: &str, name: &str, uid: &str, owner: Option<(&str, &str, &str)>) -> Object {
        let spec = json!({"containers": [{"name": "c", "image": "nginx:1.27"}]});
        let value = match kind {
            "Pod" => json!({ "spec": spec }),
            _ => json!({ "spec": { "template": { "spec": spec } } }),
        };
        Object {
            api_version: "v1".into(),
            kind: kind.into(),
            meta: ObjectMeta {
                name: name.into(),
                namespace: Some("shop".into()),
                uid: Some(uid.into()),
                owner_references: owner
                    .map(|(k, n, u)| OwnerReference {
                        kind: k.into(),
                        name: n.into(),
                        uid: Some(u.into()),
                        controller: Some(true),
                        ..Default::default()
                    })
                    .into_iter()
                    .collect(),
                ..Default::default()
            },
            json: crate::evidence::object::canonical_text(&value),
            evidence: format!("ev-{name}"),
            source: "s".into(),
            origin: Origin::default(),
        }
    }

    #[test]
    fn owned_pods_and_replicasets_are_assessed_through_their_deployment() {
        let objects = vec![
            obj("Deployment", "api", "u1", None),
            obj(
                "ReplicaSet",
                "api-7d9",
                "u2",
                Some(("Deployment", "api", "u1")),
            ),
            obj(
                "Pod",
                "api-7d9-a",
                "u3",
                Some(("ReplicaSet", "api-7d9", "u2")),
            ),
            obj(
                "Pod",
                "api-7d9-b",
                "u4",
                Some(("ReplicaSet", "api-7d9", "u2")),
            ),
            obj("Pod", "orphan-x", "u5", Some(("ReplicaSet", "gone", "u9"))),
            obj("Pod", "bare", "u6", None),
        ];
        let (index, pods) = WorkloadIndex::build(&objects);
        let names: Vec<_> = index
            .assessed
            .iter()
            .map(|w| w.object.meta.name.as_str())
            .collect();
        assert_eq!(names, ["api", "orphan-x", "bare"]);
        assert_eq!(pods.len(), 4);
        assert_eq!(index.assessed_through_owner, 3);
        assert_eq!(index.containers().count(), 3);
    }

    #[test]
    fn owners_match_by_name_when_uids_are_absent() {
        let mut rs = obj("ReplicaSet", "api-7d9", "", Some(("Deployment", "api", "")));
        rs.meta.uid = None;
        rs.meta.owner_references[0].uid = None;
        let mut dep = obj("Deployment", "api", "", None);
        dep.meta.uid = None;
        let objects = [dep, rs];
        let (index, _) = WorkloadIndex::build(&objects);
        assert_eq!(index.assessed.len(), 1);
    }

    #[test]
    fn a_malformed_pod_spec_is_unreadable_not_fatal() {
        let mut bad = obj("Deployment", "bad", "u1", None);
        bad.set_value(&json!({"spec": {"template": {"spec": {"containers": "nginx"}}}}));
        let objects = [bad, obj("Deployment", "good", "u2", None)];
        let (index, _) = WorkloadIndex::build(&objects);
        assert_eq!(index.assessed.len(), 1);
        assert_eq!(index.unreadable.len(), 1);
        assert_eq!(
            index.unreadable[0].error.path,
            "spec.template.spec.containers"
        );
    }

    #[test]
    fn workloads_missing_required_parts_are_unreadable_by_field() {
        let cases = [
            (json!({"metadata": {"name": "d"}}), "spec", "missing"),
            (
                json!({"metadata": {"name": "d"}, "spec": {"template": {}}}),
                "spec.template.spec",
                "missing",
            ),
            (
                json!({"metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": []}}}}),
                "spec.template.spec.containers",
                "empty",
            ),
            (
                json!({"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}),
                "metadata",
                "missing",
            ),
            (
                json!({"metadata": {"labels": {}}, "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}),
                "metadata.name",
                "missing",
            ),
        ];
        for (value, path, message) in cases {
            let mut o = obj("Deployment", "", "u", None);
            o.meta.name = value["metadata"]["name"].as_str().unwrap_or("").into();
            o.set_value(&value);
            let objects = [o];
            let (index, _) = WorkloadIndex::build(&objects);
            assert_eq!(index.unreadable.len(), 1, "{path}");
            assert_eq!(index.unreadable[0].error.path, path);
            assert!(index.unreadable[0].error.message.starts_with(message));
        }
        let mut job = obj("Job", "", "u", None);
        let mut value = job.value();
        value["metadata"] = json!({"generateName": "migrate-"});
        job.set_value(&value);
        let objects = [job];
        assert_eq!(WorkloadIndex::build(&objects).0.assessed.len(), 1);
    }

    #[test]
    fn field_paths_name_the_container_by_index() {
        let mut o = obj("CronJob", "c", "u", None);
        o.set_value(
            &json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "initContainers": [{"name": "i"}],
                "containers": [{"name": "a"}, {"name": "b"}]
            }}}}}}),
        );
        let objects = [o];
        let (index, _) = WorkloadIndex::build(&objects);
        let paths: Vec<_> = index.containers().map(|c| c.field_path("image")).collect();
        assert_eq!(
            paths,
            [
                "spec.jobTemplate.spec.template.spec.initContainers[0].image",
                "spec.jobTemplate.spec.template.spec.containers[0].image",
                "spec.jobTemplate.spec.template.spec.containers[1].image",
            ]
        );
    }

    #[test]
    fn container_settings_fall_back_to_the_pod() {
        let mut o = obj("Pod", "p", "u", None);
        o.set_value(&json!({"spec": {
            "securityContext": {"runAsNonRoot": true, "runAsUser": 1000},
            "containers": [{"name": "a", "securityContext": {"runAsUser": 0}}]
        }}));
        let objects = [o];
        let (index, _) = WorkloadIndex::build(&objects);
        let c = index.containers().next().unwrap();
        assert_eq!(c.effective(|s| s.run_as_user), Some(0));
        assert_eq!(c.origin_of(|s| s.run_as_user), "container");
        assert_eq!(c.effective(|s| s.run_as_non_root), Some(true));
        assert_eq!(c.origin_of(|s| s.run_as_non_root), "pod");
    }
}
