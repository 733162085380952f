//! `no-ephemeral-containers`: no pod carries ephemeral (debug) containers.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::{Check, CheckContext, CheckMeta, object_finding};
use crate::checks::family::running::unreadable_pod_status;
use crate::checks::unreadable_object;
use crate::evidence::finding::{Finding, Status};
use crate::evidence::object::{lenient_opt_string, lenient_string};
use crate::facts::running::{self, RunningPods};
use crate::facts::workloads::object_subject;

crate::declare_check! {
    /// ## What it checks
    /// No pod has `spec.ephemeralContainers`. Each debug container found fails, naming the
    /// pod, the debug container, its image and the container it targeted; the pods of a
    /// workload with none pass together, one finding per workload.
    ///
    /// ## Why it matters
    /// An ephemeral container is added to a pod that is already running (`kubectl debug`),
    /// usually with a shell and tools the image never had, often sharing the target
    /// container's process namespace. It is a change to a running workload that no image
    /// build, review or scan covered: exactly what replacing containers instead of changing
    /// them rules out (NIST CSF PR.PS-02.242). Ephemeral containers cannot be removed: the
    /// pod keeps the record until it is replaced.
    ///
    /// ## Evidence used
    /// `spec.ephemeralContainers` of every Pod; owner references to group pods by workload.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Pod
    /// spec:
    ///   ephemeralContainers:            # added by `kubectl debug -it api-7d9f8-x --image=busybox`
    ///     - name: debugger-7xk2p
    ///       image: busybox:1.36
    ///       targetContainerName: web
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - Kubernetes: Ephemeral Containers; Debug Running Pods
    pub struct NoEphemeralContainers {
        id: "no-ephemeral-containers",
        title: "No debug containers were attached to running pods",
        severity: High,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct EphemeralContainer {
    #[serde(deserialize_with = "lenient_string")]
    name: String,
    #[serde(deserialize_with = "lenient_opt_string")]
    image: Option<String>,
    #[serde(deserialize_with = "lenient_opt_string")]
    target_container_name: Option<String>,
}

impl Check for NoEphemeralContainers {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn reads_pods(&self) -> bool {
        true
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_kinds(meta, &["Pod"]) {
            return vec![f];
        }
        let mut out = Vec::new();
        let RunningPods { pods, unreadable } = &ctx.facts.pods;
        for (object, e) in unreadable {
            out.push(object_finding(
                meta,
                object,
                Status::Error,
                unreadable_pod_status(e),
            ));
        }
        // Per workload: its pods, and whether any carried a debug container.
        let mut clean: BTreeMap<&running::OwnerKey, (Vec<&running::RunningPod<'_>>, bool)> =
            BTreeMap::new();
        for pod in pods {
            let entry = clean.entry(&pod.owner).or_default();
            entry.0.push(pod);
            if pod.pod.pod_spec.ephemeral_containers.is_empty() {
                continue;
            }
            entry.1 = true;
            let attached: Vec<EphemeralContainer> =
                match pod.pod.object.view("/spec/ephemeralContainers") {
                    Ok(list) => list,
                    Err(e) => {
                        out.push(object_finding(
                            meta,
                            pod.pod.object,
                            Status::Error,
                            unreadable_object(&e),
                        ));
                        continue;
                    }
                };
            for c in attached {
                let mut subject = object_subject(pod.pod.object);
                subject.container = Some(c.name.clone());
                out.push(
                    Finding::new(
                        meta.id,
                        meta.severity,
                        Status::Fail,
                        subject,
                        ephemeral_container(
                            &c.name,
                            c.image.as_deref(),
                            c.target_container_name.as_deref(),
                            &pod.owner.display(),
                        ),
                    )
                    .evidence([pod.pod.object.evidence.clone()])
                    .detail("debug_container", json!(c.name))
                    .detail("image", json!(c.image))
                    .detail("target_container", json!(c.target_container_name))
                    .detail("workload", json!(pod.owner.display())),
                );
            }
        }
        for (_, (members, dirty)) in clean {
            if dirty {
                continue;
            }
            let first = members[0];
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::Pass,
                    first.owner_subject(),
                    no_ephemeral_containers(members.len()),
                )
                .evidence(members.iter().map(|p| p.pod.object.evidence.clone()))
                .detail("pods", json!(members.len())),
            );
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn ephemeral_container(
    name: &str,
    image: Option<&str>,
    target: Option<&str>,
    workload: &str,
) -> String {
    let image = image.map(|i| format!(" (image {i})")).unwrap_or_default();
    let target = target
        .map(|t| format!(", targeting container `{t}`"))
        .unwrap_or_default();
    format!(
        "debug container `{name}`{image} was attached to this running pod of {workload}{target}: \
         a change to a running workload that no image build, review or scan covered"
    )
}

fn no_ephemeral_containers(pods: usize) -> String {
    format!("none of its {pods} pod(s) carries an ephemeral (debug) container")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{findings_in, inventory, settings_on, table};

    #[test]
    fn debug_containers_fail_and_clean_workloads_pass_once() {
        let inv = inventory(
            r#"
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9f8b6c5d-aaaaa
  namespace: shop
  labels: {pod-template-hash: 7d9f8b6c5d}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f8b6c5d, controller: true}]
spec:
  containers: [{name: web, image: x}]
  ephemeralContainers:
    - {name: debugger-7xk2p, image: "busybox:1.36", targetContainerName: web}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9f8b6c5d-bbbbb
  namespace: shop
  labels: {pod-template-hash: 7d9f8b6c5d}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f8b6c5d, controller: true}]
spec: {containers: [{name: web, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: cart-5f6d7c8b9-ccccc
  namespace: shop
  labels: {pod-template-hash: 5f6d7c8b9}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: cart-5f6d7c8b9, controller: true}]
spec: {containers: [{name: web, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: cart-5f6d7c8b9-ddddd
  namespace: shop
  labels: {pod-template-hash: 5f6d7c8b9}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: cart-5f6d7c8b9, controller: true}]
spec: {containers: [{name: web, image: x}]}
"#,
        );
        let got = findings_in(&NoEphemeralContainers, &inv, &settings_on("2026-11-22"));
        let got = table(&got);
        assert_eq!(
            got,
            [
                ("Deployment shop/cart".to_string(), Status::Pass),
                (
                    "Pod shop/api-7d9f8b6c5d-aaaaa container debugger-7xk2p".to_string(),
                    Status::Fail
                ),
            ]
        );
    }

    #[test]
    fn no_pods_is_not_assessed() {
        let inv = inventory("apiVersion: v1\nkind: Node\nmetadata: {name: n}\n");
        let got = findings_in(&NoEphemeralContainers, &inv, &settings_on("2026-11-22"));
        assert_eq!(got[0].status, Status::NotAssessed);
    }
}
