//! `run-as-non-root`: containers cannot run as root.

use super::{Check, CheckContext, CheckMeta};
use crate::evidence::finding::{Finding, Status};

crate::declare_check! {
    /// ## What it checks
    /// Every container cannot run as root: its effective `runAsNonRoot` is true, or its
    /// effective `runAsUser` is above 0. Each field is taken from the container's
    /// securityContext when set there, else from the pod's.
    ///
    /// ## Why it matters
    /// Root inside a container can change files the image owns, install packages and, with a
    /// kernel flaw, reach the node. A non-root container cannot patch itself in place, which
    /// keeps changes flowing through new images (PR.PS-01 hardened baseline, PR.PS-02.242).
    /// `runAsNonRoot: true` with `runAsUser: 0` is reported as a warning: the kubelet
    /// refuses to start such a container.
    ///
    /// ## Evidence used
    /// The pod template's pod-level and container-level securityContext of every assessed
    /// workload.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///     runAsUser: 10001
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 PR.PS-01; question bank PR.PS-02.242
    /// - Kubernetes Pod Security Standards, restricted profile (Running as Non-root)
    pub struct RunAsNonRoot {
        id: "run-as-non-root",
        title: "Containers cannot run as root",
        severity: High,
    }
}

impl Check for RunAsNonRoot {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_workloads(meta) {
            return vec![f];
        }
        let mut out = ctx.unreadable_workloads(meta);
        for c in ctx.facts.workloads.containers() {
            let non_root = c.effective(|s| s.run_as_non_root);
            let uid = c.effective(|s| s.run_as_user);
            let (status, message) = match (non_root, uid) {
                (Some(true), Some(0)) => (Status::Warn, non_root_conflict()),
                (Some(true), _) => (
                    Status::Pass,
                    non_root_by_flag(c.origin_of(|s| s.run_as_non_root)),
                ),
                (_, Some(uid)) if uid > 0 => (
                    Status::Pass,
                    non_root_by_uid(uid, c.origin_of(|s| s.run_as_user)),
                ),
                (_, Some(0)) => (
                    Status::Fail,
                    runs_as_root_uid(c.origin_of(|s| s.run_as_user)),
                ),
                _ => (Status::Fail, may_run_as_root(non_root)),
            };
            out.push(
                Finding::new(meta.id, meta.severity, status, c.subject(), message)
                    .evidence([c.workload.object.evidence.clone()])
                    .detail("runAsNonRoot", non_root)
                    .detail("runAsUser", uid),
            );
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn non_root_by_flag(origin: &str) -> String {
    format!("runAsNonRoot is true (set on the {origin}): the kubelet refuses to start it as root")
}

fn non_root_by_uid(uid: i64, origin: &str) -> String {
    format!("runAsUser is {uid} (set on the {origin}): it runs as a non-root user")
}

fn non_root_conflict() -> String {
    "runAsNonRoot is true but runAsUser is 0: the kubelet will refuse to start this container"
        .into()
}

fn runs_as_root_uid(origin: &str) -> String {
    format!("runAsUser is 0 (set on the {origin}): it runs as root")
}

fn may_run_as_root(non_root: Option<bool>) -> String {
    match non_root {
        Some(false) => "runAsNonRoot is false and no non-zero runAsUser is set: it runs as whatever user the image names, root included".into(),
        _ => "neither runAsNonRoot: true nor a non-zero runAsUser is set: it runs as whatever user the image names, root included".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::statuses;

    #[test]
    fn container_settings_override_the_pod() {
        let got = statuses(
            &RunAsNonRoot,
            r#"
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
    - {name: a-inherits, image: x:1}
    - {name: b-uid-zero, image: x:1, securityContext: {runAsUser: 0}}
    - {name: c-flag-off, image: x:1, securityContext: {runAsNonRoot: false}}
    - {name: d-flag-off-uid, image: x:1, securityContext: {runAsNonRoot: false, runAsUser: 1000}}
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: ns}
spec:
  containers:
    - {name: e-nothing, image: x:1}
    - {name: f-root, image: x:1, securityContext: {runAsUser: 0}}
"#,
        );
        assert_eq!(
            got,
            [
                ("Pod ns/p container a-inherits", Status::Pass),
                ("Pod ns/p container b-uid-zero", Status::Warn),
                ("Pod ns/p container c-flag-off", Status::Fail),
                ("Pod ns/p container d-flag-off-uid", Status::Pass),
                ("Pod ns/q container e-nothing", Status::Fail),
                ("Pod ns/q container f-root", Status::Fail),
            ]
        );
    }
}
