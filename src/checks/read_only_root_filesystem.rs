//! `read-only-root-filesystem`: containers cannot change their own files.

use super::{Check, CheckContext, CheckMeta};
use crate::evidence::finding::{Finding, Status};

crate::declare_check! {
    /// ## What it checks
    /// Every container (init containers included) sets
    /// `securityContext.readOnlyRootFilesystem: true`.
    ///
    /// ## Why it matters
    /// A container whose root filesystem is writable can be patched in place: a binary
    /// swapped, a package installed, a config edited. With a read-only root, the only way to
    /// change what runs is to build a new image and replace the container, which is the
    /// immutable practice PR.PS-02.242 asks for. Writable paths the application needs
    /// (caches, temp files) are mounted as `emptyDir` volumes instead.
    ///
    /// ## Evidence used
    /// The pod template of each Deployment, StatefulSet, DaemonSet, Job and CronJob, and each
    /// Pod or ReplicaSet whose controller is not in the input.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: registry.example.com/web@sha256:...
    ///     securityContext:
    ///       readOnlyRootFilesystem: true
    ///     volumeMounts:
    ///       - {name: tmp, mountPath: /tmp}
    /// volumes:
    ///   - {name: tmp, emptyDir: {}}
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242; CSF 2.0 PR.PS-01
    /// - Kubernetes: Configure a Security Context for a Pod or Container
    /// - CIS Kubernetes Benchmark 5.7.3 (apply security context to pods and containers)
    pub struct ReadOnlyRootFilesystem {
        id: "read-only-root-filesystem",
        title: "Containers run with a read-only root filesystem",
        severity: High,
    }
}

impl Check for ReadOnlyRootFilesystem {
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
            let value = c
                .container
                .security_context
                .as_ref()
                .and_then(|s| s.read_only_root_filesystem);
            let status = if value == Some(true) {
                Status::Pass
            } else {
                Status::Fail
            };
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    status,
                    c.subject(),
                    read_only_root(value),
                )
                .evidence([c.workload.object.evidence.clone()])
                .detail("readOnlyRootFilesystem", value),
            );
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn read_only_root(value: Option<bool>) -> String {
    match value {
        Some(true) => "readOnlyRootFilesystem is true: the root filesystem cannot be changed".into(),
        Some(false) => "readOnlyRootFilesystem is false: files in the container can be changed in place".into(),
        None => "readOnlyRootFilesystem is not set: the root filesystem is writable, so files in the container can be changed in place".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::statuses;

    #[test]
    fn only_an_explicit_true_passes() {
        let got = statuses(
            &ReadOnlyRootFilesystem,
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true}
      initContainers:
        - {name: migrate, image: app:1, securityContext: {readOnlyRootFilesystem: yes}}
      containers:
        - {name: unset, image: app:1}
        - {name: disabled, image: app:1, securityContext: {readOnlyRootFilesystem: false}}
        - {name: enabled, image: app:1, securityContext: {readOnlyRootFilesystem: true}}
"#,
        );
        assert_eq!(
            got,
            [
                ("Deployment shop/api container disabled", Status::Fail),
                ("Deployment shop/api container enabled", Status::Pass),
                ("Deployment shop/api container migrate", Status::Pass),
                ("Deployment shop/api container unset", Status::Fail),
            ]
        );
    }
}
