//! `pod-security-enforced`: every non-system namespace enforces the Pod Security baseline (or
//! restricted) profile, through Pod Security Admission or a policy engine.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::admission::{
    ENGINE_KINDS, unreadable_policies, unseen_kinds, unseen_note,
};
use crate::evidence::finding::{Finding, Status};
use crate::facts::admission::{Namespace, SYSTEM_NAMESPACES};
use crate::facts::workloads::object_subject;

crate::declare_check! {
    /// ## What it checks
    /// Each namespace other than `kube-system`, `kube-public` and `kube-node-lease` enforces
    /// every control of the Pod Security Standards baseline profile: privileged containers,
    /// host namespaces, hostPath volumes, host ports, capabilities, /proc mount type, SELinux,
    /// AppArmor, seccomp and sysctls. Enforcement is counted from, in any combination:
    /// the namespace label `pod-security.kubernetes.io/enforce` set to `baseline` or
    /// `restricted`; a Kyverno `podSecurity` rule at level `baseline` or `restricted` whose
    /// failure action is `Enforce` in the namespace (controls it excludes for all images do
    /// not count); Gatekeeper pod security constraints with `enforcementAction: deny`
    /// (`K8sPSPPrivilegedContainer`, `K8sPSPHostNamespace`, `K8sPSPHostFilesystem` or
    /// `K8sPSPVolumeTypes`, `K8sPSPHostNetworkingPorts`, `K8sPSPCapabilities`,
    /// `K8sPSPProcMount`, `K8sPSPSELinuxV2`, `K8sPSPAppArmor`, `K8sPSPSeccomp`,
    /// `K8sPSPForbiddenSysctls`: one per control); and ValidatingAdmissionPolicies bound with
    /// `Deny` whose CEL names each control's fields. A namespace fails when a control is
    /// left unenforced; the message lists which, and what enforces the others. Labels that
    /// only `warn` or `audit` do not count. The exact rules are in the module documentation
    /// of `src/facts/admission.rs`.
    ///
    /// ## Why it matters
    /// The baseline profile is the hardened floor for workloads: without it anyone who can
    /// create a pod can run it privileged, share the node's namespaces or mount its
    /// filesystem, and change the node and every container on it in place (NIST CSF
    /// PR.PS-01: hardened baseline configurations enforced). Enforcement at admission is what
    /// turns the baseline from advice into a rule.
    ///
    /// ## Evidence used
    /// Namespace labels; Kyverno ClusterPolicies and Policies; Gatekeeper constraints;
    /// ValidatingAdmissionPolicies and their bindings. Exemptions in the API server's
    /// admission configuration or Gatekeeper's `Config` are not visible to it.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 PR.PS-01
    /// - Kubernetes Pod Security Standards and Pod Security Admission
    /// - Kyverno `validate.podSecurity`; Gatekeeper policy library, pod-security-policy
    pub struct PodSecurityEnforced {
        id: "pod-security-enforced",
        title: "Namespaces enforce the Pod Security baseline",
        severity: High,
    }
}

impl Check for PodSecurityEnforced {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_kinds(meta, &["Namespace"]) {
            return vec![f];
        }
        let policies = &ctx.facts.policies;
        let mut out = unreadable_policies(meta, policies);
        let unseen = unseen_kinds(ctx, &ENGINE_KINDS);
        let mut namespaces: Vec<_> = ctx
            .inventory
            .objects
            .iter()
            .filter(|o| o.kind == "Namespace" && !SYSTEM_NAMESPACES.contains(&o.meta.name.as_str()))
            .collect();
        namespaces.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
        for object in namespaces {
            let ns = Namespace::new(&object.meta.name, &object.meta.labels);
            let found = policies.pod_security(&ns, Some(object));
            let missing = found.missing();
            let enforcers: Vec<String> = found.enforcers().iter().map(|e| e.by.clone()).collect();
            let (status, message) = if missing.is_empty() {
                (
                    Status::Pass,
                    pod_security_enforced(&enforcers, &found.exemptions),
                )
            } else {
                let labels: Vec<String> = ["warn", "audit"]
                    .iter()
                    .filter_map(|mode| {
                        let key = format!("pod-security.kubernetes.io/{mode}");
                        ns.labels.get(&key).map(|v| format!("{key}={v}"))
                    })
                    .collect();
                (
                    Status::Fail,
                    pod_security_missing(&missing, &enforcers, &labels, &unseen),
                )
            };
            let mut evidence: BTreeSet<String> = found
                .enforcers()
                .iter()
                .map(|e| e.evidence.clone())
                .filter(|e| !e.is_empty())
                .collect();
            evidence.insert(object.evidence.clone());
            let controls: serde_json::Map<String, serde_json::Value> = found
                .controls
                .iter()
                .map(|(c, by)| {
                    let by: Vec<&str> = by.iter().map(|e| e.by.as_str()).collect();
                    (c.name().to_string(), json!(by))
                })
                .collect();
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    status,
                    object_subject(object),
                    message,
                )
                .evidence(evidence)
                .detail("enforced", controls)
                .detail(
                    "missing",
                    json!(missing.iter().map(|c| c.name()).collect::<Vec<_>>()),
                )
                .detail("exemptions", json!(found.exemptions)),
            );
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn pod_security_enforced(enforcers: &[String], exemptions: &[String]) -> String {
    let mut s = format!(
        "every Pod Security baseline control is enforced, by {}",
        enforcers.join("; ")
    );
    if !exemptions.is_empty() {
        let _ = write!(s, "; exemptions: {}", exemptions.join("; "));
    }
    s
}

fn pod_security_missing(
    missing: &[crate::facts::admission::Control],
    enforcers: &[String],
    labels: &[String],
    unseen: &[String],
) -> String {
    let names: Vec<&str> = missing.iter().map(|c| c.name()).collect();
    let mut s = if missing.len() == crate::facts::admission::Control::BASELINE.len() {
        "nothing enforces the Pod Security baseline here: no pod-security.kubernetes.io/enforce \
         label of baseline or restricted, and no policy engine rule that enforces it"
            .to_string()
    } else {
        format!(
            "Pod Security baseline is only partly enforced: {} not enforced (the rest by {})",
            names.join(", "),
            enforcers.join("; ")
        )
    };
    if !labels.is_empty() {
        let _ = write!(s, "; {} only report, they do not block", labels.join(", "));
    }
    s.push_str(&unseen_note(unseen));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{findings_in, inventory, namespace, settings_on, table};

    fn run(yaml: &str) -> Vec<Finding> {
        findings_in(
            &PodSecurityEnforced,
            &inventory(yaml),
            &settings_on("2026-11-22"),
        )
    }

    const KYVERNO_BASELINE: &str = r#"
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: podsecurity-subrule-baseline}
spec:
  background: true
  rules:
    - name: baseline
      match:
        any:
          - resources: {kinds: [Pod]}
      exclude:
        any:
          - resources: {namespaces: [legacy]}
      validate:
        failureAction: Enforce
        podSecurity:
          level: baseline
          version: latest
          exclude:
            - {controlName: Capabilities, images: ["ghcr.io/istio/proxyv2*"]}
"#;

    const GATEKEEPER_PARTIAL: &str = r#"
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sPSPPrivilegedContainer
metadata: {name: psp-privileged-container}
spec:
  match:
    kinds: [{apiGroups: [""], kinds: [Pod]}]
    excludedNamespaces: ["kube-*"]
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sPSPHostNamespace
metadata: {name: psp-host-namespace}
spec:
  enforcementAction: dryrun
  match:
    kinds: [{apiGroups: [""], kinds: [Pod]}]
"#;

    #[test]
    fn namespace_labels_alone() {
        let yaml = [
            namespace("kube-system", ""),
            namespace(
                "a-restricted",
                "pod-security.kubernetes.io/enforce: restricted",
            ),
            namespace("b-baseline", "pod-security.kubernetes.io/enforce: baseline"),
            namespace(
                "c-privileged",
                "pod-security.kubernetes.io/enforce: privileged",
            ),
            namespace("d-warn-only", "pod-security.kubernetes.io/warn: baseline"),
        ]
        .concat();
        let got = run(&yaml);
        use Status::*;
        assert_eq!(
            table(&got),
            [
                ("Namespace a-restricted".to_string(), Pass),
                ("Namespace b-baseline".to_string(), Pass),
                ("Namespace c-privileged".to_string(), Fail),
                ("Namespace d-warn-only".to_string(), Fail),
            ]
        );
        assert!(
            got[3].message.contains("warn=baseline"),
            "{}",
            got[3].message
        );
    }

    #[test]
    fn engines_table() {
        let yaml = [
            namespace("legacy", ""),
            namespace("shop", ""),
            KYVERNO_BASELINE.to_string(),
            GATEKEEPER_PARTIAL.to_string(),
        ]
        .concat();
        let got = run(&yaml);
        use Status::*;
        // Kyverno enforces baseline everywhere but in legacy, where only the privileged
        // constraint applies (the host namespace one is a dry run).
        assert_eq!(
            table(&got),
            [
                ("Namespace legacy".to_string(), Fail),
                ("Namespace shop".to_string(), Pass),
            ]
        );
        let legacy = &got[0];
        assert!(
            legacy.message.contains("Host Namespaces"),
            "{}",
            legacy.message
        );
        assert!(
            legacy.message.contains("K8sPSPPrivilegedContainer"),
            "{}",
            legacy.message
        );
        assert!(
            got[1].message.contains("exempts Capabilities"),
            "{}",
            got[1].message
        );
    }

    #[test]
    fn audit_mode_and_excluded_controls_do_not_count() {
        let audit = KYVERNO_BASELINE.replace("failureAction: Enforce", "failureAction: Audit");
        let got = run(&format!("{}{audit}", namespace("shop", "")));
        assert_eq!(got[0].status, Status::Fail);
        assert!(
            got[0].message.contains("not in the input"),
            "{}",
            got[0].message
        );

        let excluded =
            KYVERNO_BASELINE.replace("images: [\"ghcr.io/istio/proxyv2*\"]", "images: []");
        let got = run(&format!("{}{excluded}", namespace("shop", "")));
        assert_eq!(got[0].status, Status::Fail);
        assert_eq!(got[0].details["missing"], json!(["Capabilities"]));
    }

    #[test]
    fn legacy_policy_action_and_namespace_overrides() {
        let policy = r#"
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: pss}
spec:
  validationFailureAction: enforce
  validationFailureActionOverrides:
    - {action: audit, namespaces: ["dev-*"]}
  rules:
    - name: restricted
      match: {resources: {kinds: [Pod]}}
      validate: {podSecurity: {level: restricted}}
"#;
        let got = run(&[
            namespace("dev-1", ""),
            namespace("prod", ""),
            policy.to_string(),
        ]
        .concat());
        assert_eq!(
            table(&got),
            [
                ("Namespace dev-1".to_string(), Status::Fail),
                ("Namespace prod".to_string(), Status::Pass)
            ]
        );
    }

    #[test]
    fn validating_admission_policies_count_by_the_fields_they_name() {
        let vap = r#"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: baseline}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}]
  validations:
    - expression: "!has(object.spec.hostNetwork) || !object.spec.hostNetwork"
    - expression: "!has(object.spec.hostPID) || !object.spec.hostPID"
    - expression: "!has(object.spec.hostIPC) || !object.spec.hostIPC"
    - expression: "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)"
    - expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))"
    - expression: "object.spec.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))"
    - expression: "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add))"
    - expression: "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.procMount) || c.securityContext.procMount == 'Default')"
    - expression: "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.seLinuxOptions))"
    - expression: "!has(object.spec.securityContext) || !has(object.spec.securityContext.appArmorProfile) || object.spec.securityContext.appArmorProfile.type != 'Unconfined'"
    - expression: "!has(object.spec.securityContext) || !has(object.spec.securityContext.seccompProfile) || object.spec.securityContext.seccompProfile.type != 'Unconfined'"
    - expression: "!has(object.spec.securityContext) || !has(object.spec.securityContext.sysctls)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: baseline-binding}
spec:
  policyName: baseline
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {tier: apps}}
"#;
        let got = run(&[
            namespace("apps", "tier: apps"),
            namespace("other", ""),
            vap.to_string(),
        ]
        .concat());
        assert_eq!(
            table(&got),
            [
                ("Namespace apps".to_string(), Status::Pass),
                ("Namespace other".to_string(), Status::Fail)
            ]
        );
        let warn_only = vap.replace(
            "validationActions: [Deny]",
            "validationActions: [Warn, Audit]",
        );
        let got = run(&[namespace("apps", "tier: apps"), warn_only].concat());
        assert_eq!(got[0].status, Status::Fail);
    }

    fn constraint(kind: &str, spec_extra: &str) -> String {
        format!(
            "---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: {kind}\nmetadata: {{name: {}}}\nspec:\n{spec_extra}  match:\n    kinds: [{{apiGroups: [\"\"], kinds: [Pod]}}]\n    excludedNamespaces: [\"kube-*\", \"gatekeeper-system\"]\n",
            kind.to_lowercase()
        )
    }

    #[test]
    fn gatekeeper_needs_a_constraint_for_every_control() {
        let all = [
            "K8sPSPPrivilegedContainer",
            "K8sPSPHostNamespace",
            "K8sPSPHostFilesystem",
            "K8sPSPHostNetworkingPorts",
            "K8sPSPCapabilities",
            "K8sPSPProcMount",
            "K8sPSPSELinuxV2",
            "K8sPSPAppArmor",
            "K8sPSPSeccomp",
            "K8sPSPForbiddenSysctls",
        ];
        let constraints: String = all.iter().map(|k| constraint(k, "")).collect();
        let namespaces = [namespace("gatekeeper-system", ""), namespace("shop", "")].concat();
        let got = run(&format!("{namespaces}{constraints}"));
        assert_eq!(
            table(&got),
            [
                ("Namespace gatekeeper-system".to_string(), Status::Fail),
                ("Namespace shop".to_string(), Status::Pass)
            ]
        );
        // A scoped deny at the validation webhook counts; a dry run does not.
        let scoped = constraints.replacen(
            "spec:\n  match:",
            "spec:\n  enforcementAction: scoped\n  scopedEnforcementActions:\n    - action: deny\n      enforcementPoints: [{name: validation.gatekeeper.sh}]\n  match:",
            1,
        );
        assert_eq!(
            run(&format!("{namespaces}{scoped}"))[1].status,
            Status::Pass
        );
        let dry = constraints.replacen(
            "spec:\n  match:",
            "spec:\n  enforcementAction: dryrun\n  match:",
            1,
        );
        let got = run(&format!("{namespaces}{dry}"));
        assert_eq!(got[1].status, Status::Fail);
        assert_eq!(got[1].details["missing"], json!(["Privileged Containers"]));
    }

    #[test]
    fn a_namespaced_kyverno_policy_covers_its_own_namespace_only() {
        let policy = r#"
---
apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: pss, namespace: shop}
spec:
  validationFailureAction: Enforce
  rules:
    - name: baseline
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate: {podSecurity: {level: baseline}}
"#;
        let got = run(&[
            namespace("shop", ""),
            namespace("web", ""),
            policy.to_string(),
        ]
        .concat());
        assert_eq!(
            table(&got),
            [
                ("Namespace shop".to_string(), Status::Pass),
                ("Namespace web".to_string(), Status::Fail)
            ]
        );
    }

    #[test]
    fn a_policy_limited_to_labelled_pods_or_users_does_not_cover_the_namespace() {
        let base = KYVERNO_BASELINE;
        let by_label = base.replace(
            "resources: {kinds: [Pod]}",
            "resources: {kinds: [Pod], selector: {matchLabels: {hardened: \"true\"}}}",
        );
        assert_eq!(
            run(&format!("{}{by_label}", namespace("shop", "")))[0].status,
            Status::Fail
        );
        let by_user = base.replace(
            "- resources: {kinds: [Pod]}",
            "- resources: {kinds: [Pod]}\n            subjects: [{kind: User, name: dev}]",
        );
        assert_eq!(
            run(&format!("{}{by_user}", namespace("shop", "")))[0].status,
            Status::Fail
        );
    }

    #[test]
    fn an_unreadable_policy_is_an_error_not_a_silent_gap() {
        let bad = "---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: bad}\nspec: {rules: \"oops\"}\n";
        let got = run(&format!("{}{bad}", namespace("shop", "")));
        assert_eq!(
            table(&got),
            [
                ("ClusterPolicy bad".to_string(), Status::Error),
                ("Namespace shop".to_string(), Status::Fail)
            ]
        );
    }

    #[test]
    fn no_namespaces_is_not_assessed() {
        let got = run(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec: {containers: []}\n",
        );
        assert_eq!(got[0].status, Status::NotAssessed);
    }
}
