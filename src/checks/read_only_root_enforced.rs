//! `read-only-root-enforced`: an admission policy requires `readOnlyRootFilesystem` in every
//! namespace that runs workloads.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::admission::unseen_note;
use crate::checks::family::admission::{ENGINE_KINDS, unreadable_policies, unseen_kinds};
use crate::evidence::finding::{Finding, Status, Subject};
use crate::facts::admission::{ENFORCE_LABEL, Namespace, SYSTEM_NAMESPACES};
use crate::facts::running::OwnerKey;
use crate::facts::workloads::object_subject;

crate::declare_check! {
    /// ## What it checks
    /// Every namespace that runs workloads (other than `kube-system`, `kube-public` and
    /// `kube-node-lease`) is covered by an admission policy that rejects containers without
    /// a read-only root filesystem: a ValidatingAdmissionPolicy whose validations mention
    /// `readOnlyRootFilesystem`, bound by a ValidatingAdmissionPolicyBinding whose
    /// `validationActions` include `Deny`, covering the namespace; a Kyverno ClusterPolicy or
    /// Policy rule with failure action `Enforce` whose pattern requires
    /// `readOnlyRootFilesystem: true` (or whose CEL or deny conditions mention it); or a
    /// Gatekeeper `K8sPSPReadOnlyRootFilesystem` constraint with `enforcementAction: deny`.
    /// Pod Security `restricted` alone does not count: the restricted profile does not
    /// require a read-only root filesystem. How policies are matched to namespaces is in the
    /// module documentation of `src/facts/admission.rs`.
    ///
    /// ## Why it matters
    /// `read-only-root-filesystem` shows that today's manifests ask for a read-only root;
    /// this check shows that tomorrow's cannot leave it out. A container whose root
    /// filesystem is writable can be patched in place, which is what immutable operation
    /// forbids (NIST CSF PR.PS-02.242), and enforcing it at admission is how the hardened
    /// baseline is kept and deviations blocked (PR.PS-01).
    ///
    /// ## Evidence used
    /// The namespaces of the input's workloads and their labels; ValidatingAdmissionPolicies
    /// and bindings; Kyverno ClusterPolicies and Policies; Gatekeeper
    /// `K8sPSPReadOnlyRootFilesystem` constraints.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata: {name: require-ro-rootfs}
    /// spec:
    ///   rules:
    ///     - name: validate-readOnlyRootFilesystem
    ///       match: {any: [{resources: {kinds: [Pod]}}]}
    ///       validate:
    ///         failureAction: Enforce
    ///         pattern:
    ///           spec:
    ///             containers:
    ///               - securityContext: {readOnlyRootFilesystem: true}
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 PR.PS-01; question bank PR.PS-02.242
    /// - Kubernetes ValidatingAdmissionPolicy; Kyverno `require-ro-rootfs`; Gatekeeper
    ///   library `read-only-root-filesystem`
    pub struct ReadOnlyRootEnforced {
        id: "read-only-root-enforced",
        title: "Admission requires a read-only root filesystem",
        severity: Medium,
    }
}

/// A workload by kind and name (within its namespace).
type WorkloadKey = (String, String);

impl Check for ReadOnlyRootEnforced {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_workloads(meta) {
            return vec![f];
        }
        // Policies select namespaces by their labels.
        if let Some(f) = ctx.require_kinds(meta, &["Namespace"]) {
            return vec![f];
        }
        let policies = &ctx.facts.policies;
        let mut out = unreadable_policies(meta, policies);
        let mut engine_kinds = ENGINE_KINDS.to_vec();
        engine_kinds.push("K8sPSPReadOnlyRootFilesystem");
        let unseen = unseen_kinds(ctx, &engine_kinds);
        let namespace_objects: BTreeMap<&str, &crate::evidence::object::Object> = ctx
            .inventory
            .objects
            .iter()
            .filter(|o| o.kind == "Namespace")
            .map(|o| (o.meta.name.as_str(), o))
            .collect();
        // Namespace → its workloads (a pod counts as the workload that owns it, even when
        // that owner is not in the input), and one object to locate a namespace that has no
        // object of its own in the input.
        let pods = &ctx.facts.pods.pods;
        let owner_of: BTreeMap<&str, &OwnerKey> = pods
            .iter()
            .map(|p| (p.pod.object.evidence.as_str(), &p.owner))
            .collect();
        let mut used: BTreeMap<&str, (BTreeSet<WorkloadKey>, &crate::evidence::object::Object)> =
            BTreeMap::new();
        for w in &ctx.facts.workloads.assessed {
            let Some(ns) = w.object.meta.namespace.as_deref() else {
                continue;
            };
            if SYSTEM_NAMESPACES.contains(&ns) {
                continue;
            }
            let key = match owner_of.get(w.object.evidence.as_str()) {
                Some(owner) => (owner.kind.clone(), owner.name.clone()),
                None => (w.object.kind.clone(), w.object.meta.name.clone()),
            };
            used.entry(ns)
                .or_insert((BTreeSet::new(), w.object))
                .0
                .insert(key);
        }
        for (name, (workloads, example)) in used {
            let workloads = workloads.len();
            let object = namespace_objects.get(name).copied();
            let labels = object.map(|o| o.meta.labels.clone()).unwrap_or_default();
            let ns = Namespace::new(name, &labels);
            let enforcers = policies.read_only_root(&ns);
            let by: Vec<String> = enforcers.iter().map(|e| e.by.clone()).collect();
            let (status, message) = if enforcers.is_empty() {
                let restricted =
                    ns.labels.get(ENFORCE_LABEL).map(String::as_str) == Some("restricted");
                (
                    Status::Fail,
                    read_only_root_not_enforced(workloads, restricted, &unseen),
                )
            } else {
                (Status::Pass, read_only_root_enforced(&by, workloads))
            };
            let subject = match object {
                Some(o) => object_subject(o),
                None => Subject {
                    kind: "Namespace".into(),
                    name: name.to_string(),
                    source: example.source.clone(),
                    ..Default::default()
                },
            };
            let evidence: BTreeSet<String> = enforcers
                .iter()
                .map(|e| e.evidence.clone())
                .chain(object.map(|o| o.evidence.clone()))
                .collect();
            out.push(
                Finding::new(meta.id, meta.severity, status, subject, message)
                    .evidence(evidence)
                    .detail("enforced_by", json!(by))
                    .detail("workloads", json!(workloads)),
            );
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn read_only_root_enforced(enforcers: &[String], workloads: usize) -> String {
    format!(
        "a read-only root filesystem is required at admission for the {workloads} workload(s) \
         here, by {}",
        enforcers.join("; ")
    )
}

fn read_only_root_not_enforced(workloads: usize, restricted: bool, unseen: &[String]) -> String {
    let mut s = format!(
        "no admission policy requires readOnlyRootFilesystem for the {workloads} workload(s) \
         here: containers may be admitted with a writable root filesystem"
    );
    if restricted {
        s.push_str(
            "; Pod Security restricted is enforced, but it does not require a read-only root \
             filesystem",
        );
    }
    s.push_str(&unseen_note(unseen));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{
        findings_in, inventory, namespace, settings_on, statuses_on,
    };

    fn deploy(name: &str, ns: &str) -> String {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{template: {{spec: {{containers: [{{name: c, image: x:1}}]}}}}}}\n"
        )
    }

    fn run(yaml: &str) -> Vec<(String, Status)> {
        statuses_on(&ReadOnlyRootEnforced, yaml, &settings_on("2026-11-22"))
    }

    const KYVERNO: &str = r#"
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-ro-rootfs}
spec:
  validationFailureAction: Enforce
  rules:
    - name: validate-readOnlyRootFilesystem
      match: {any: [{resources: {kinds: [Pod]}}]}
      exclude: {any: [{resources: {namespaces: [legacy]}}]}
      validate:
        pattern:
          spec:
            containers:
              - securityContext: {readOnlyRootFilesystem: true}
"#;

    const GATEKEEPER: &str = r#"
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sPSPReadOnlyRootFilesystem
metadata: {name: psp-readonlyrootfilesystem}
spec:
  match:
    kinds: [{apiGroups: [""], kinds: [Pod]}]
    namespaces: [legacy]
"#;

    const VAP: &str = r#"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: ro-rootfs}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  validations:
    - expression: "object.spec.template.spec.containers.all(c, has(c.securityContext) && c.securityContext.readOnlyRootFilesystem == true)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ro-rootfs}
spec:
  policyName: ro-rootfs
  validationActions: [Deny]
  matchResources: {namespaceSelector: {matchLabels: {team: web}}}
"#;

    #[test]
    fn each_engine_counts_where_it_applies() {
        let base = [
            namespace("shop", ""),
            namespace("legacy", ""),
            namespace("web", "team: web"),
            namespace("kube-system", ""),
            deploy("api", "shop"),
            deploy("old", "legacy"),
            deploy("site", "web"),
            deploy("coredns", "kube-system"),
        ]
        .concat();
        use Status::*;
        assert_eq!(
            run(&base),
            [
                ("Namespace legacy".to_string(), Fail),
                ("Namespace shop".to_string(), Fail),
                ("Namespace web".to_string(), Fail),
            ]
        );
        assert_eq!(
            run(&format!("{base}{KYVERNO}")),
            [
                ("Namespace legacy".to_string(), Fail),
                ("Namespace shop".to_string(), Pass),
                ("Namespace web".to_string(), Pass),
            ]
        );
        assert_eq!(
            run(&format!("{base}{GATEKEEPER}{VAP}")),
            [
                ("Namespace legacy".to_string(), Pass),
                ("Namespace shop".to_string(), Fail),
                ("Namespace web".to_string(), Pass),
            ]
        );
        let dry = GATEKEEPER.replace(
            "spec:\n  match:",
            "spec:\n  enforcementAction: warn\n  match:",
        );
        assert_eq!(run(&format!("{base}{dry}"))[0].1, Fail);
        let audit = KYVERNO.replace("Enforce", "Audit");
        assert_eq!(run(&format!("{base}{audit}"))[1].1, Fail);
    }

    #[test]
    fn pod_security_restricted_alone_does_not_count() {
        let yaml = [
            namespace("shop", "pod-security.kubernetes.io/enforce: restricted"),
            deploy("api", "shop"),
        ]
        .concat();
        let got = findings_in(
            &ReadOnlyRootEnforced,
            &inventory(&yaml),
            &settings_on("2026-11-22"),
        );
        assert_eq!(got[0].status, Status::Fail);
        assert!(
            got[0].message.contains("does not require"),
            "{}",
            got[0].message
        );
    }
}
