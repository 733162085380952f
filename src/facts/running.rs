//! Pods as they run: their status, and the workload each belongs to.
//!
//! Shared by `running-image-consistent`, `images-scanned` and `no-ephemeral-containers`.
//! A pod is traced up its chain of controlling owners (Pod → ReplicaSet → Deployment,
//! Pod → Job → CronJob, ...) through the objects in the input, by uid and else by name.
//! Where the chain leaves the input, the owner reference still names the next owner; and a
//! ReplicaSet that is not in the input is taken to belong to the Deployment its name says
//! when the pod's `pod-template-hash` label confirms it (`api-7d9f8b6c5d` with hash
//! `7d9f8b6c5d` belongs to Deployment `api`). Static pods (owned by their Node) and bare pods
//! are their own workload.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::evidence::finding::Subject;
use crate::evidence::object::{
    Object, OwnerReference, ViewError, lenient_opt_string, lenient_string,
};
use crate::facts::workloads::{Workload, object_subject};

/// The parts of a pod's `status` the checks read.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct PodStatus {
    #[serde(deserialize_with = "lenient_opt_string")]
    pub phase: Option<String>,
    pub container_statuses: Vec<ContainerStatus>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStatus {
    #[serde(deserialize_with = "lenient_string")]
    pub name: String,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub image: Option<String>,
    #[serde(rename = "imageID", deserialize_with = "lenient_opt_string")]
    pub image_id: Option<String>,
    pub state: ContainerState,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ContainerState {
    pub running: Option<serde_json::Value>,
}

impl ContainerStatus {
    /// The content the container runs: the digest of `imageID` (`repo@sha256:…` gives
    /// `sha256:…`; an image id `sha256:…` is kept whole; a `docker-pullable://` prefix is
    /// dropped). None until the image has been pulled.
    pub fn digest(&self) -> Option<&str> {
        let id = self.image_id.as_deref()?.trim();
        let id = id.split_once("://").map_or(id, |(_, rest)| rest);
        let digest = id.rsplit_once('@').map_or(id, |(_, d)| d);
        (!digest.is_empty()).then_some(digest)
    }
}

/// The workload a pod belongs to, at the top of its owner chain.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnerKey {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl OwnerKey {
    /// `Deployment shop/api`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// One pod with its status and the workload it belongs to.
pub struct RunningPod<'a> {
    pub pod: Workload<'a>,
    pub status: PodStatus,
    pub owner: OwnerKey,
    /// The owner's object, when it is in the input.
    pub owner_object: Option<&'a Object>,
}

impl RunningPod<'_> {
    pub fn name(&self) -> &str {
        &self.pod.object.meta.name
    }

    /// Running: phase Running, or a container reported running.
    pub fn is_running(&self) -> bool {
        self.status.phase.as_deref() == Some("Running")
            || self
                .status
                .container_statuses
                .iter()
                .any(|c| c.state.running.is_some())
    }

    /// The subject of a finding about this pod's workload: the owner's object when it is in
    /// the input (with its file and line), else the owner as the pod names it.
    pub fn owner_subject(&self) -> Subject {
        match self.owner_object {
            Some(o) => object_subject(o),
            None if self.owner.kind == "Pod" => object_subject(self.pod.object),
            None => Subject {
                kind: self.owner.kind.clone(),
                namespace: self.owner.namespace.clone(),
                name: self.owner.name.clone(),
                source: self.pod.object.source.clone(),
                ..Default::default()
            },
        }
    }
}

/// The pods of the input as they run.
#[derive(Default)]
pub struct RunningPods<'a> {
    /// Every pod with its status read and its owner resolved, sorted by namespace and name.
    pub pods: Vec<RunningPod<'a>>,
    /// The pods whose status could not be read.
    pub unreadable: Vec<(&'a Object, ViewError)>,
}

/// A workload that asks for pods (replicas > 0, or a DaemonSet) with no pod of it in the
/// input.
#[derive(Clone, Debug)]
pub struct Podless<'a> {
    pub object: &'a Object,
    /// `spec.replicas` (1 when unset, the API's default); None for a DaemonSet, which runs
    /// one pod per eligible node.
    pub replicas: Option<u64>,
}

impl Podless<'_> {
    /// `Deployment shop/api`.
    pub fn display(&self) -> String {
        object_subject(self.object).display_name()
    }
}

/// Reads the status and resolves the owner of every pod of `objects` (`pods`: their pod
/// specs, as [`super::workloads::WorkloadIndex::build`] gives them).
pub fn pods<'a>(objects: &'a [Object], pods: Vec<Workload<'a>>) -> RunningPods<'a> {
    let owners = Owners::new(objects);
    let mut out = Vec::with_capacity(pods.len());
    let mut unreadable = Vec::new();
    for pod in pods {
        match pod.object.view::<PodStatus>("/status") {
            Ok(status) => {
                let (owner, owner_object) = owners.resolve(pod.object);
                out.push(RunningPod {
                    pod,
                    status,
                    owner,
                    owner_object,
                });
            }
            Err(e) => unreadable.push((pod.object, e)),
        }
    }
    out.sort_by(|a, b| {
        (&a.pod.object.meta.namespace, a.name()).cmp(&(&b.pod.object.meta.namespace, b.name()))
    });
    RunningPods {
        pods: out,
        unreadable,
    }
}

/// The workloads of a cluster (snapshot or live) that ask for pods and have none in the
/// input, sorted by kind, namespace and name: the pod-state checks cannot say anything about
/// them, and say so instead of leaving them out. `cluster_sources` are the ids of the
/// sources that saw a cluster: a repository's manifests never have pods.
pub fn podless<'a>(objects: &'a [Object], cluster_sources: &HashSet<&str>) -> Vec<Podless<'a>> {
    let owners = Owners::new(objects);
    // Every workload some pod belongs to, its status readable or not: a pod whose status is
    // unreadable is reported as an error, and its workload is not said to have no pods.
    let owned: HashSet<OwnerKey> = objects
        .iter()
        .filter(|o| o.kind == "Pod")
        .map(|o| owners.resolve(o).0)
        .collect();
    let mut podless: Vec<Podless<'a>> = objects
        .iter()
        .filter(|o| cluster_sources.contains(o.source.as_str()))
        .filter_map(|o| {
            let replicas = asks_for_pods(o)?;
            let key = OwnerKey {
                kind: o.kind.clone(),
                namespace: o.meta.namespace.clone(),
                name: o.meta.name.clone(),
            };
            (!owned.contains(&key)).then_some(Podless {
                object: o,
                replicas,
            })
        })
        .collect();
    podless.sort_by(|a, b| {
        (
            &a.object.kind,
            &a.object.meta.namespace,
            &a.object.meta.name,
        )
            .cmp(&(
                &b.object.kind,
                &b.object.meta.namespace,
                &b.object.meta.name,
            ))
    });
    podless
}

/// Whether a workload object asks for pods to run now: Some(replicas) for a Deployment,
/// StatefulSet or top-level ReplicaSet with `spec.replicas` > 0 (unset means 1), Some(None)
/// for a DaemonSet; None otherwise. A ReplicaSet owned by a Deployment is its Deployment's
/// business, and Jobs and CronJobs run pods only now and then.
fn asks_for_pods(o: &Object) -> Option<Option<u64>> {
    match o.kind.as_str() {
        "DaemonSet" => Some(None),
        "ReplicaSet" if controller_of(o).is_some() => None,
        "Deployment" | "StatefulSet" | "ReplicaSet" => {
            // A replica count that is not a number is the schema checks' business; read it
            // as the default rather than guess the workload away.
            let replicas = o
                .view::<Option<serde_json::Value>>("/spec/replicas")
                .ok()
                .flatten()
                .map_or(Some(1), |v| v.as_u64())
                .unwrap_or(1);
            (replicas > 0).then_some(Some(replicas))
        }
        _ => None,
    }
}

/// Looks owners up by uid, and by kind, namespace and name.
struct Owners<'a> {
    by_uid: HashMap<&'a str, &'a Object>,
    by_name: HashMap<(&'a str, &'a str, &'a str), &'a Object>,
}

impl<'a> Owners<'a> {
    fn new(objects: &'a [Object]) -> Self {
        let mut by_uid = HashMap::new();
        let mut by_name = HashMap::new();
        let table = crate::evidence::workload_kinds::table();
        for o in objects {
            if o.meta.owner_references.is_empty() && !is_controller_kind(&table, o) {
                continue;
            }
            if let Some(uid) = o.meta.uid.as_deref() {
                by_uid.insert(uid, o);
            }
            by_name.insert(
                (
                    o.kind.as_str(),
                    o.meta.namespace.as_deref().unwrap_or(""),
                    o.meta.name.as_str(),
                ),
                o,
            );
        }
        Self { by_uid, by_name }
    }

    fn find(&self, namespace: &str, r: &OwnerReference) -> Option<&'a Object> {
        r.uid
            .as_deref()
            .and_then(|uid| self.by_uid.get(uid))
            .or_else(|| {
                self.by_name
                    .get(&(r.kind.as_str(), namespace, r.name.as_str()))
            })
            .copied()
    }

    fn resolve(&self, pod: &'a Object) -> (OwnerKey, Option<&'a Object>) {
        let namespace = pod.meta.namespace.as_deref().unwrap_or("");
        let key = |kind: &str, name: &str| OwnerKey {
            kind: kind.to_string(),
            namespace: pod.meta.namespace.clone(),
            name: name.to_string(),
        };
        let mut current = pod;
        let mut found: Option<&'a Object> = None;
        // Owner chains are two or three links long; the bound stops a reference cycle.
        for _ in 0..8 {
            let Some(r) = controller_of(current) else {
                break;
            };
            if r.kind == "Node" {
                break;
            }
            match self.find(namespace, r) {
                Some(owner) => {
                    current = owner;
                    found = Some(owner);
                }
                None => {
                    // The chain leaves the input here.
                    if r.kind == "ReplicaSet"
                        && let Some(deployment) = deployment_by_name(pod, &r.name)
                    {
                        return (key("Deployment", deployment), None);
                    }
                    return (key(&r.kind, &r.name), None);
                }
            }
        }
        match found {
            Some(o) => (key(&o.kind, &o.meta.name), Some(o)),
            None => (key("Pod", &pod.meta.name), None),
        }
    }
}

/// Whether an object controls pods: a workload kind of the table other than a Pod (a
/// CloneSet or Rollout as much as a Deployment).
fn is_controller_kind(table: &crate::evidence::workload_kinds::Table, o: &Object) -> bool {
    o.kind != "Pod"
        && table
            .find(&o.api_version, &o.kind)
            .is_some_and(|row| row.has_pod_spec())
}

fn controller_of(o: &Object) -> Option<&OwnerReference> {
    o.meta
        .owner_references
        .iter()
        .find(|r| r.controller.unwrap_or(false))
}

/// `api-7d9f8b6c5d` belongs to Deployment `api` when the pod's `pod-template-hash` label is
/// `7d9f8b6c5d`: the Deployment controller names its ReplicaSets that way.
fn deployment_by_name<'n>(pod: &Object, replicaset: &'n str) -> Option<&'n str> {
    let hash = pod.meta.labels.get("pod-template-hash")?;
    replicaset
        .strip_suffix(hash.as_str())?
        .strip_suffix('-')
        .filter(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::snapshot;
    use crate::facts::workloads::WorkloadIndex;

    #[test]
    fn owners_resolve_through_the_input_and_else_by_name() {
        let inv = snapshot::from_text(
            "test.yaml",
            r#"
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9f8b6c5d
  namespace: shop
  uid: rs-1
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: d-1, controller: true}]
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9f8b6c5d-aaaaa
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f8b6c5d, uid: rs-1, controller: true}]
spec: {containers: [{name: web, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: cart-5f6d7c8b9-bbbbb
  namespace: shop
  labels: {pod-template-hash: 5f6d7c8b9}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: cart-5f6d7c8b9, uid: rs-2, controller: true}]
spec: {containers: [{name: web, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: odd-ccccc
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: odd-rs, uid: rs-3, controller: true}]
spec: {containers: [{name: web, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: etcd-cp-1
  namespace: kube-system
  ownerReferences: [{apiVersion: v1, kind: Node, name: cp-1, uid: n-1, controller: true}]
spec: {containers: [{name: etcd, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bare, namespace: shop}
spec: {containers: [{name: web, image: x}]}
"#,
        );
        assert!(inv.problems.is_empty(), "{:?}", inv.problems);
        let (_, workload_pods) = WorkloadIndex::build(&inv.objects);
        let RunningPods { pods, unreadable } = pods(&inv.objects, workload_pods);
        assert!(unreadable.is_empty());
        let owners: Vec<(String, bool)> = pods
            .iter()
            .map(|p| (p.owner.display(), p.owner_object.is_some()))
            .collect();
        assert_eq!(
            owners,
            [
                ("Pod kube-system/etcd-cp-1".to_string(), false),
                ("Deployment shop/api".to_string(), false),
                ("Pod shop/bare".to_string(), false),
                ("Deployment shop/cart".to_string(), false),
                ("ReplicaSet shop/odd-rs".to_string(), false),
            ]
        );
        assert_eq!(
            pods[1].owner_subject().display_name(),
            "Deployment shop/api"
        );
    }

    #[test]
    fn only_a_cluster_s_workloads_that_ask_for_pods_and_have_none_are_podless() {
        let inv = snapshot::from_text(
            "test.yaml",
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec: {replicas: 3}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: idle, namespace: shop}
spec: {replicas: 0}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9f8b6c5d
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, controller: true}]
spec: {replicas: 3}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, controller: true}]
spec: {containers: [{name: db, image: x}]}
status: 42
"#,
        );
        let cluster: HashSet<&str> = inv.sources.iter().map(|s| s.id.as_str()).collect();
        let found: Vec<(String, Option<u64>)> = podless(&inv.objects, &cluster)
            .iter()
            .map(|w| (w.display(), w.replicas))
            .collect();
        // db's pod has an unreadable status, yet it is db's pod.
        assert_eq!(found, [("Deployment shop/api".to_string(), Some(3))]);
        // A repository's manifests never have pods.
        assert!(podless(&inv.objects, &HashSet::new()).is_empty());
    }

    #[test]
    fn digests_come_from_image_ids_in_every_form() {
        let status = |id: &str| ContainerStatus {
            image_id: Some(id.into()),
            ..Default::default()
        };
        assert_eq!(
            status("docker.io/library/nginx@sha256:abc").digest(),
            Some("sha256:abc")
        );
        assert_eq!(status("sha256:def").digest(), Some("sha256:def"));
        assert_eq!(
            status("docker-pullable://nginx@sha256:123").digest(),
            Some("sha256:123")
        );
        assert_eq!(status("").digest(), None);
    }
}
