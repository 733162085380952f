//! Workloads and their containers, resolved from the objects of an inventory.
//!
//! Takes every object whose API group and kind the workload-kind table
//! ([`crate::evidence::workload_kinds`]) knows, and decides which ones the spec checks
//! assess: a Pod, ReplicaSet or Job whose controlling owner is also in the input is assessed
//! through that owner, so a Deployment with 30 pods yields one finding per container, not
//! 31. Orphans and bare Pods are assessed themselves. An Argo Rollout that runs another
//! object's template (`spec.workloadRef`) is assessed through that object, or recorded as
//! unresolved when it is not in the input. Operator-managed kinds without a pod template
//! (the Prometheus operator's) give their images only, for the image checks. Every Pod,
//! owned or not, also goes to the facts of pod *state* ([`super::running`]).

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;
use serde::Deserialize;

use crate::evidence::finding::Subject;
use crate::evidence::object::{Object, ViewError, lenient_opt_string, lenient_string};
use crate::evidence::workload_kinds::{self, WorkloadKind};

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
        if let Some(paths) = &self.workload.image_paths {
            let index = self
                .workload
                .pod_spec
                .containers
                .iter()
                .position(|c| std::ptr::eq(c, self.container))
                .unwrap_or_default();
            return match (field, paths.get(index)) {
                ("image", Some(path)) => path.clone(),
                _ => format!("spec.containers[{index}].{field}"),
            };
        }
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
        format!("{}.{name}[{index}].{field}", self.workload.pod_spec_at)
    }

    /// Whether the operator picks this container's image: an operator-managed object that
    /// names no image for it, or only a version (written `:<version>`).
    pub fn operator_default(&self) -> bool {
        self.workload.image_paths.is_some()
            && self
                .container
                .image
                .as_deref()
                .is_none_or(|i| i.starts_with(':'))
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
    /// Where the pod spec is, as Kubernetes names fields: `spec.template.spec`.
    pub pod_spec_at: String,
    /// For an operator-managed kind without a pod template: the containers of `pod_spec`
    /// stand for the images the object names, and this is the field path of each image
    /// (`spec.image`, `spec.version`, `spec.containers[1].image`).
    pub image_paths: Option<Vec<String>>,
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

/// A workload whose containers are defined elsewhere, by an object not in the input (an
/// Argo Rollout's `spec.workloadRef` naming a missing Deployment).
#[derive(Debug)]
pub struct Unresolved<'a> {
    pub object: &'a Object,
    /// What it refers to: `Deployment api`.
    pub refers_to: String,
    /// The field that refers: `spec.workloadRef`.
    pub field: String,
}

/// The workloads of an inventory, resolved once and shared by every check.
#[derive(Debug, Default)]
pub struct WorkloadIndex<'a> {
    /// Workloads the spec checks assess: controllers, and Pods, ReplicaSets and Jobs whose
    /// controlling owner is not in the input.
    pub assessed: Vec<Workload<'a>>,
    /// Operator-managed objects that name images but have no pod template: the image
    /// checks read them, the pod-spec checks cannot.
    pub operated: Vec<Workload<'a>>,
    /// Workloads whose pod spec is malformed; checks report them as `error`.
    pub unreadable: Vec<Unreadable<'a>>,
    /// Workloads whose pod template is another object's, which is not in the input.
    pub unresolved: Vec<Unresolved<'a>>,
    /// How many objects were assessed through their owner instead of themselves.
    pub assessed_through_owner: usize,
}

/// How one workload object was read.
enum Read {
    Spec(PodSpec, String),
    Images(PodSpec, Vec<String>),
    /// Runs the template of the object it names, which is in the input.
    Referenced,
    Unresolved(String, String),
}

impl<'a> WorkloadIndex<'a> {
    /// The index, and every Pod in the input (owned or not) with its pod spec read, for the
    /// facts of running state. Pod specs are read once, on both cores.
    pub fn build(objects: &'a [Object]) -> (Self, Vec<Workload<'a>>) {
        let table = workload_kinds::table();
        let workloads: Vec<(&Object, &WorkloadKind)> = objects
            .iter()
            .filter_map(|o| table.find(&o.api_version, &o.kind).map(|row| (o, row)))
            .collect();
        let objects_only: Vec<&Object> = workloads.iter().map(|(o, _)| *o).collect();
        let present = OwnerLookup::new(&objects_only);
        // Reading the pod specs is the costly part (one per Pod): on both cores.
        let specs: Vec<Result<Read, ViewError>> = workloads
            .par_iter()
            .map(|(object, row)| read(object, row, &present))
            .collect();
        let mut index = WorkloadIndex::default();
        let mut pods = Vec::new();
        for ((object, row), spec) in workloads.into_iter().zip(specs) {
            let (pod_spec, pod_spec_at) = match spec {
                Ok(Read::Spec(spec, at)) => (spec, at),
                Ok(Read::Images(spec, paths)) => {
                    index.operated.push(Workload {
                        object,
                        pod_spec: spec,
                        pod_spec_at: "spec".into(),
                        image_paths: Some(paths),
                    });
                    continue;
                }
                Ok(Read::Referenced) => {
                    index.assessed_through_owner += 1;
                    continue;
                }
                Ok(Read::Unresolved(refers_to, field)) => {
                    index.unresolved.push(Unresolved {
                        object,
                        refers_to,
                        field,
                    });
                    continue;
                }
                Err(error) => {
                    index.unreadable.push(Unreadable { object, error });
                    continue;
                }
            };
            let owned = row.through_owner && present.has_controller_of(object);
            let workload = |pod_spec| Workload {
                object,
                pod_spec,
                pod_spec_at: pod_spec_at.clone(),
                image_paths: None,
            };
            if object.kind == "Pod" && object.group().is_empty() {
                pods.push(workload(pod_spec.clone()));
            }
            if owned {
                index.assessed_through_owner += 1;
            } else {
                index.assessed.push(workload(pod_spec));
            }
        }
        (index, pods)
    }

    /// Every container of every assessed workload, init containers included.
    pub fn containers(&'a self) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
        self.assessed.iter().flat_map(|w| w.containers())
    }

    /// Every container that names an image: those of [`Self::containers`], and the images
    /// operator-managed objects name. The image checks read these.
    pub fn image_containers(&'a self) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
        self.containers().chain(
            self.operated
                .iter()
                .flat_map(|w| w.containers())
                .filter(|c| !c.operator_default()),
        )
    }

    /// The containers of operator-managed objects whose image the operator picks (no image
    /// field, or only a version): nothing in the object says which repository runs.
    pub fn operator_default_images(&'a self) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
        self.operated
            .iter()
            .flat_map(|w| w.containers())
            .filter(|c| c.operator_default())
    }

    /// Every workload whose containers name images, operator-managed ones included.
    pub fn with_images(&'a self) -> impl Iterator<Item = &'a Workload<'a>> + 'a {
        self.assessed.iter().chain(&self.operated)
    }
}

/// Reads one workload object as its row says.
fn read(object: &Object, row: &WorkloadKind, present: &OwnerLookup<'_>) -> Result<Read, ViewError> {
    if let Some(pointer) = &row.pod_spec {
        let by_reference = row.template_ref.as_ref().filter(|r| {
            object.part(pointer.as_str()).is_none() && object.part(r.as_str()).is_some()
        });
        if let Some(reference) = by_reference {
            return referenced(object, reference, present);
        }
        let spec = object.view::<PodSpec>(pointer.as_str())?;
        required_parts(object, pointer.as_str(), &spec)?;
        return Ok(Read::Spec(spec, pointer.dotted()));
    }
    if let Some(reference) = &row.template_ref
        && object.part(reference.as_str()).is_some()
    {
        return referenced(object, reference, present);
    }
    operated(object, row)
}

/// A workload that runs the template of the object `reference` names.
fn referenced(
    object: &Object,
    reference: &workload_kinds::Pointer,
    present: &OwnerLookup<'_>,
) -> Result<Read, ViewError> {
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Ref {
        #[serde(deserialize_with = "lenient_string")]
        kind: String,
        #[serde(deserialize_with = "lenient_string")]
        name: String,
    }
    let r: Ref = object.view(reference.as_str())?;
    let namespace = object.meta.namespace.as_deref().unwrap_or("");
    if present
        .names
        .contains(&(r.kind.as_str(), namespace, r.name.as_str()))
    {
        return Ok(Read::Referenced);
    }
    Ok(Read::Unresolved(
        format!("{} {}", r.kind, r.name),
        reference.dotted(),
    ))
}

/// The images an operator-managed object names, as containers.
fn operated(object: &Object, row: &WorkloadKind) -> Result<Read, ViewError> {
    let text = |pointer: Option<&workload_kinds::Pointer>| -> Result<Option<String>, ViewError> {
        match pointer {
            Some(p) => object
                .view::<Option<LenientString>>(p.as_str())
                .map(|v| v.map(|s| s.0)),
            None => Ok(None),
        }
    };
    let overrides: Vec<Container> = match &row.containers {
        Some(p) => object.view(p.as_str())?,
        None => Vec::new(),
    };
    let overrides_at = row
        .containers
        .as_ref()
        .map(|p| p.dotted())
        .unwrap_or_default();
    let mut spec = PodSpec::default();
    let mut paths = Vec::new();
    for source in &row.images {
        let image = text(Some(&source.image))?;
        let version = text(source.tag.as_ref())?;
        let written = workload_kinds::source_image(image.as_deref(), version.as_deref());
        let overridden = overrides
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == source.container && c.image.is_some());
        let (image, path) = match overridden {
            Some((i, c)) => (c.image.clone(), format!("{overrides_at}[{i}].image")),
            None => {
                let path = match (&image, &source.tag) {
                    (None, Some(tag)) => tag.dotted(),
                    _ => source.image.dotted(),
                };
                (written, path)
            }
        };
        spec.containers.push(Container {
            name: source.container.clone(),
            image,
            security_context: None,
        });
        paths.push(path);
    }
    // Containers of their own that name an image run beside the operator's; one without
    // an image only patches a generated container, whose image the operator picks.
    for (i, c) in overrides.iter().enumerate() {
        if c.image.is_some() && !row.images.iter().any(|s| s.container == c.name) {
            spec.containers.push(c.clone());
            paths.push(format!("{overrides_at}[{i}].image"));
        }
    }
    Ok(Read::Images(spec, paths))
}

/// A string field written as any scalar (`version: 2.45` stays `2.45`).
#[derive(Default)]
struct LenientString(String);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_string(d).map(LenientString)
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
        let api_version = match kind {
            "Pod" => "v1",
            "Job" | "CronJob" => "batch/v1",
            _ => "apps/v1",
        };
        Object {
            managers: None,
            api_version: api_version.into(),
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
    fn rollouts_by_reference_and_operator_images() {
        let mut rollout = obj("Rollout", "web", "u1", None);
        rollout.api_version = "argoproj.io/v1alpha1".into();
        rollout.set_value(&json!({"spec": {"workloadRef": {"kind": "Deployment", "name": "api"}}}));
        let mut orphan = obj("Rollout", "gone", "u2", None);
        orphan.api_version = "argoproj.io/v1alpha1".into();
        orphan.set_value(&json!({"spec": {"workloadRef": {"kind": "Deployment", "name": "x"}}}));
        let mut prom = obj("Prometheus", "k8s", "u3", None);
        prom.api_version = "monitoring.coreos.com/v1".into();
        prom.set_value(&json!({"spec": {"image": "quay.io/prometheus/prometheus", "version": "v3.0.0",
            "containers": [{"name": "prometheus", "image": "mirror/prometheus:v3.0.1"}, {"name": "proxy", "image": "p:1"}]}}));
        let objects = [obj("Deployment", "api", "u0", None), rollout, orphan, prom];
        let (index, _) = WorkloadIndex::build(&objects);
        assert_eq!(
            index.assessed.len(),
            1,
            "the Deployment, for the Rollout too"
        );
        assert_eq!(index.assessed_through_owner, 1);
        assert_eq!(index.unresolved.len(), 1);
        assert_eq!(index.unresolved[0].refers_to, "Deployment x");
        assert_eq!(index.unresolved[0].field, "spec.workloadRef");
        assert_eq!(
            index.containers().count(),
            1,
            "operator images are not pod specs"
        );
        let images: Vec<(String, String)> = index
            .image_containers()
            .skip(1)
            .map(|c| (c.container.image.clone().unwrap(), c.field_path("image")))
            .collect();
        assert_eq!(
            images,
            [
                (
                    "mirror/prometheus:v3.0.1".to_string(),
                    "spec.containers[0].image".to_string()
                ),
                ("p:1".to_string(), "spec.containers[1].image".to_string()),
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
