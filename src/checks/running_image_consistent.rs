//! `running-image-consistent`: all running pods of a workload container run the same image
//! digest.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{Check, CheckContext, CheckMeta, object_finding};
use crate::base::phrase::{name_list, short_digest};
use crate::checks::family::running::unreadable_pod_status;
use crate::evidence::finding::{Finding, Status};
use crate::facts::running::{OwnerKey, RunningPod, RunningPods};

crate::declare_check! {
    /// ## What it checks
    /// The running pods of each workload container run the same image digest, as the
    /// kubelet reports it in `status.containerStatuses[].imageID`. Pods are grouped by the
    /// workload at the top of their owner chain (Pod → ReplicaSet → Deployment, resolved
    /// through the objects in the input, else by owner name) and by container name. The same
    /// image reference resolving to different digests fails: a mutable tag was moved and
    /// nodes pulled it at different times. Several references, each on one digest, warn: a
    /// rollout in progress, or one that stalled.
    ///
    /// ## Why it matters
    /// A deployment names exactly what runs only if every replica runs the same bytes. Tag
    /// drift means some replicas run a build nobody deployed on purpose, which was never
    /// scanned or tested as such, and a restart can change what runs at any time (NIST CSF
    /// PR.PS-02.242; PCI container guidance 10.3: the patched image is what is redeployed).
    ///
    /// ## Evidence used
    /// `status.containerStatuses` (`imageID`, `image`, `state`) and `spec.containers[].image`
    /// of every running Pod; owner references of Pods and ReplicaSets.
    ///
    /// ## Example
    /// ```yaml
    /// # two pods of Deployment shop/api, both with image registry.example.com/api:1.4
    /// imageID: registry.example.com/api@sha256:3f1c…   # pod api-7d9f8-a
    /// imageID: registry.example.com/api@sha256:9b27…   # pod api-7d9f8-b: drift, fail
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.3
    /// - Kubernetes: Images (image pull policy, digests)
    pub struct RunningImageConsistent {
        id: "running-image-consistent",
        title: "Replicas of a workload run the same image digest",
        severity: High,
    }
}

/// The running instances of one workload container.
#[derive(Default)]
struct Group<'p, 'a> {
    /// Image reference as the pod spec asks for it → digest → pods running it.
    by_reference: BTreeMap<String, BTreeMap<String, Vec<&'p RunningPod<'a>>>>,
}

impl Check for RunningImageConsistent {
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
        let RunningPods { pods, unreadable } = &ctx.facts.pods;
        let mut out: Vec<Finding> = unreadable
            .iter()
            .map(|(object, e)| {
                object_finding(meta, object, Status::Error, unreadable_pod_status(e))
            })
            .collect();
        let mut groups: BTreeMap<(&OwnerKey, &str), Group<'_, '_>> = BTreeMap::new();
        for pod in pods.iter().filter(|p| p.is_running()) {
            for status in &pod.status.container_statuses {
                let Some(digest) = status.digest() else {
                    continue;
                };
                let reference = pod
                    .pod
                    .pod_spec
                    .containers
                    .iter()
                    .find(|c| c.name == status.name)
                    .and_then(|c| c.image.clone())
                    .or_else(|| status.image.clone())
                    .unwrap_or_default();
                groups
                    .entry((&pod.owner, status.name.as_str()))
                    .or_default()
                    .by_reference
                    .entry(reference)
                    .or_default()
                    .entry(digest.to_string())
                    .or_default()
                    .push(pod);
            }
        }
        if groups.is_empty() {
            out.push(ctx.not_assessed(meta, no_running_digests(pods.len())));
            return out;
        }
        for ((_, container), group) in groups {
            out.push(judge(meta, container, &group));
        }
        out
    }
}

fn judge(meta: &CheckMeta, container: &str, group: &Group<'_, '_>) -> Finding {
    let listing = |digests: &BTreeMap<String, Vec<&RunningPod<'_>>>| -> Vec<DigestPods> {
        digests
            .iter()
            .map(|(digest, pods)| DigestPods {
                digest: digest.clone(),
                pods: pods.iter().map(|p| p.name().to_string()).collect(),
            })
            .collect()
    };
    let drifted: Vec<(&String, Vec<DigestPods>)> = group
        .by_reference
        .iter()
        .filter(|(_, digests)| digests.len() > 1)
        .map(|(reference, digests)| (reference, listing(digests)))
        .collect();
    let all_pods: BTreeSet<&str> = group
        .by_reference
        .values()
        .flat_map(|d| d.values().flatten().map(|p| p.name()))
        .collect();
    let (status, message) = if let Some((reference, digests)) = drifted.first() {
        (Status::Fail, image_drift(reference, digests, drifted.len()))
    } else if group.by_reference.len() > 1 {
        let references: Vec<(String, usize)> = group
            .by_reference
            .iter()
            .map(|(r, d)| (r.clone(), d.values().map(Vec::len).sum()))
            .collect();
        (Status::Warn, several_images_running(&references))
    } else {
        let (reference, digests) = group.by_reference.iter().next().expect("a group has pods");
        let digest = digests.keys().next().expect("a reference has a digest");
        (
            Status::Pass,
            one_digest_running(reference, digest, all_pods.len()),
        )
    };
    let first = group
        .by_reference
        .values()
        .flat_map(|d| d.values().flatten())
        .min_by_key(|p| p.name())
        .expect("a group has pods");
    let mut subject = first.owner_subject();
    subject.container = Some(container.to_string());
    let mut evidence: BTreeSet<String> = group
        .by_reference
        .values()
        .flat_map(|d| d.values().flatten().map(|p| p.pod.object.evidence.clone()))
        .collect();
    if let Some(o) = first.owner_object {
        evidence.insert(o.evidence.clone());
    }
    let images: BTreeMap<&String, Vec<DigestPods>> = group
        .by_reference
        .iter()
        .map(|(r, d)| (r, listing(d)))
        .collect();
    Finding::new(meta.id, meta.severity, status, subject, message)
        .evidence(evidence)
        .detail("images", json!(images))
        .detail("running_pods", json!(all_pods.len()))
}

// Wording: the sentences this check's findings say.

/// One digest and the pods running it.
#[derive(Clone, Debug, serde::Serialize)]
struct DigestPods {
    pub digest: String,
    pub pods: Vec<String>,
}

fn image_drift(reference: &str, digests: &[DigestPods], drifted_references: usize) -> String {
    let listed: Vec<String> = digests
        .iter()
        .map(|d| {
            let names: Vec<&str> = d.pods.iter().map(String::as_str).collect();
            format!("{} on {}", short_digest(&d.digest), name_list(&names))
        })
        .collect();
    let more = if drifted_references > 1 {
        format!(" ({} image references drifted in all)", drifted_references)
    } else {
        String::new()
    };
    format!(
        "image `{reference}` resolves to {} different digests across the running pods: {}; \
         the tag was moved and nodes pulled it at different times, so replicas run different \
         builds{more}",
        digests.len(),
        listed.join("; ")
    )
}

fn several_images_running(references: &[(String, usize)]) -> String {
    let listed: Vec<String> = references
        .iter()
        .map(|(r, n)| format!("`{r}` ({n} pod(s))"))
        .collect();
    format!(
        "runs {} different images: {}; each is consistent, so this is a rollout in progress or \
         one that stalled",
        references.len(),
        listed.join(", ")
    )
}

fn one_digest_running(reference: &str, digest: &str, pods: usize) -> String {
    format!(
        "all {pods} running pod(s) run image `{reference}` as the same digest {}",
        short_digest(digest)
    )
}

fn no_running_digests(pods: usize) -> String {
    format!(
        "none of the {pods} pod(s) in the input has a running container that reports its image \
         digest (status.containerStatuses[].imageID): export pods with their status"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{running_pod, settings_on, statuses_on, want};

    const A: &str = "registry.example.com/shop/api@sha256:3f1c5d0f2a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";
    const B: &str = "registry.example.com/shop/api@sha256:9b27e1d0c3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0";

    #[test]
    fn drift_rollout_and_consistency() {
        let yaml = [
            // api: one tag, two digests: drift.
            running_pod(
                "api-7d9f8b6c5d-a",
                "api-7d9f8b6c5d",
                "web",
                "registry.example.com/shop/api:1.4",
                A,
            ),
            running_pod(
                "api-7d9f8b6c5d-b",
                "api-7d9f8b6c5d",
                "web",
                "registry.example.com/shop/api:1.4",
                B,
            ),
            // cart: two tags from two ReplicaSets, each consistent: rollout.
            running_pod(
                "cart-5f6d7c8b9-a",
                "cart-5f6d7c8b9",
                "web",
                "registry.example.com/shop/cart:2.0",
                A,
            ),
            running_pod(
                "cart-6a7b8c9d0-b",
                "cart-6a7b8c9d0",
                "web",
                "registry.example.com/shop/cart:2.1",
                B,
            ),
            // web: two pods, one digest.
            running_pod(
                "web-8c9d0e1f2-a",
                "web-8c9d0e1f2",
                "web",
                "nginx:1.27",
                "docker.io/library/nginx@sha256:aaa",
            ),
            running_pod(
                "web-8c9d0e1f2-b",
                "web-8c9d0e1f2",
                "web",
                "nginx:1.27",
                "docker.io/library/nginx@sha256:aaa",
            ),
        ]
        .concat();
        let got = statuses_on(&RunningImageConsistent, &yaml, &settings_on("2026-11-22"));
        use Status::*;
        let want = want(&[
            ("Deployment shop/api container web", Fail),
            ("Deployment shop/cart container web", Warn),
            ("Deployment shop/web container web", Pass),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn pods_without_digests_are_not_assessed() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec: {containers: [{name: c, image: x}]}\nstatus: {phase: Pending}\n";
        let got = statuses_on(&RunningImageConsistent, yaml, &settings_on("2026-11-22"));
        assert_eq!(
            got,
            [("Input all sources".to_string(), Status::NotAssessed)]
        );
    }
}
