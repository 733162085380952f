//! `pod-exec-restricted`: no non-system subject can get into or change a running container.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::json;

use super::{Check, CheckContext, CheckMeta, object_finding};
use crate::base::phrase::{and_list, name_list};
use crate::evidence::finding::{Finding, Status, Subject};
use crate::facts::rbac::{self, Access, SubjectRef};

crate::declare_check! {
    /// ## What it checks
    /// No subject outside the system ones holds, through RBAC, a way into or around a running
    /// container: `create` or `get` on `pods/exec` or `pods/attach` (`get` counts because a
    /// WebSocket exec needed only `get` before Kubernetes 1.35; from 1.35 on it needs
    /// `create`, and `get` alone is not counted when the API server is 1.35 or newer),
    /// `patch`/`update` on `pods/ephemeralcontainers` or on `pods` (a pod's image can be
    /// changed in place), and `get`/`create` on `nodes/proxy` (the kubelet API). Rules are
    /// matched as the API server matches them: `*` in verbs, resources and API groups counts,
    /// `*/exec` counts, and a rule limited by `resourceNames` still counts (the names are
    /// listed). Grants that lead there are named too: `escalate` or `bind` on roles, and
    /// `impersonate` on users, groups or service accounts. Each such subject fails, with
    /// every grant listed: the permission, the role, the binding and the namespace (a
    /// ClusterRoleBinding grants cluster-wide; a RoleBinding grants in its namespace, also
    /// when it refers to a ClusterRole). Aggregated ClusterRoles are expanded. System
    /// subjects are names starting `system:` and the service accounts of `kube-system`;
    /// `system:authenticated`, `system:unauthenticated`, `system:anonymous` and service
    /// accounts of other namespaces are not system: a grant to them is a grant to many.
    ///
    /// ## Why it matters
    /// Whoever can exec into a container, attach a debug container or patch a running pod
    /// can change running software without a new image: the in-place change immutable
    /// operation rules out (NIST CSF PR.PS-02.242). Restricting these permissions to the
    /// platform's own components is what makes "we never patch containers in place"
    /// enforceable rather than a habit.
    ///
    /// ## Evidence used
    /// ClusterRoles (with aggregation), Roles, ClusterRoleBindings and RoleBindings; the API
    /// server version for the WebSocket rule. Without Roles or RoleBindings, grants found
    /// through cluster-wide bindings still fail, but nothing passes.
    ///
    /// ## Example
    /// ```yaml
    /// kind: RoleBinding          # fails: alice can exec into every pod of shop
    /// metadata: {name: dev-edit, namespace: shop}
    /// roleRef: {kind: ClusterRole, name: edit}
    /// subjects: [{kind: User, name: alice@example.com}]
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - Kubernetes RBAC good practices (escalate, bind, impersonate, nodes/proxy,
    ///   ephemeral containers); KEP-4006 (WebSocket exec authorization)
    pub struct PodExecRestricted {
        id: "pod-exec-restricted",
        title: "Only system components can get into or change running containers",
        severity: High,
    }
}

impl Check for PodExecRestricted {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_kinds(meta, &["ClusterRole", "ClusterRoleBinding"]) {
            return vec![f];
        }
        let mut missing = ctx.missing_kinds(&["Role", "RoleBinding"]);
        // No grant seen proves nothing unless the cluster's RBAC was listed in full.
        missing.extend(ctx.unlisted_kinds(&RBAC_KINDS));
        let server = ctx.facts.server_version.as_ref().map(|(v, _)| v);
        let exec_get = server.as_ref().is_none_or(|v| (v.major, v.minor) < (1, 35));
        let found = rbac::grants(&ctx.inventory.objects, &Access::ALL, exec_get);
        let mut out: Vec<Finding> = found
            .problems
            .iter()
            .map(|p| object_finding(meta, p.object, Status::Error, unreadable_rbac(&p.message)))
            .collect();
        let mut system: Vec<String> = Vec::new();
        let mut outsiders = 0;
        for (subject, grants) in &found.by_subject {
            if subject.is_system() {
                system.push(subject.display());
                continue;
            }
            outsiders += 1;
            let binding = found.bindings[grants[0].binding_object];
            let evidence: BTreeSet<String> =
                grants.iter().flat_map(|g| g.evidence.clone()).collect();
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::Fail,
                    subject_of(subject, binding),
                    exec_grants(grants),
                )
                .evidence(evidence)
                .detail("grants", json!(grants))
                .detail("get_counts_for_exec", json!(exec_get)),
            );
        }
        if outsiders == 0 {
            let evidence: BTreeSet<String> = found
                .by_subject
                .values()
                .flatten()
                .flat_map(|g| g.evidence.clone())
                .collect();
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::Pass,
                    Subject {
                        kind: "Cluster".into(),
                        name: "RBAC".into(),
                        source: found
                            .bindings
                            .first()
                            .map(|b| b.source.clone())
                            .unwrap_or_else(|| "all".into()),
                        ..Default::default()
                    },
                    exec_restricted(&system),
                )
                .evidence(evidence)
                .detail("system_subjects", json!(system))
                .detail("get_counts_for_exec", json!(exec_get)),
            );
        }
        ctx.withhold_passes(meta, out, &missing)
    }
}

/// The kinds whose every object a judgement of who holds what needs.
const RBAC_KINDS: [&str; 4] = ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

/// The subject of a finding about an RBAC subject, located at the first binding naming it.
fn subject_of(subject: &SubjectRef, binding: &crate::evidence::object::Object) -> Subject {
    Subject {
        kind: subject.kind.clone(),
        namespace: subject.namespace.clone(),
        name: subject.name.clone(),
        container: None,
        source: binding.source.clone(),
        path: binding.origin.path.clone(),
        line: binding.origin.line,
        via: binding.origin.via.clone(),
    }
}

// Wording: the sentences this check's findings say.

fn access_phrase(access: crate::facts::rbac::Access) -> &'static str {
    use crate::facts::rbac::Access;
    match access {
        Access::Exec => "exec into containers",
        Access::Attach => "attach to running containers",
        Access::EphemeralContainers => "add debug containers to running pods",
        Access::ChangePods => "change running pods in place (their image included)",
        Access::NodeProxy => "reach the kubelet API, which execs into any container on the node",
        Access::Escalate => {
            "write roles with permissions it does not hold (escalate), and so get any of the above"
        }
        Access::Bind => "bind roles it does not hold (bind), and so get any of the above",
        Access::Impersonate => {
            "impersonate other users, groups or service accounts, and so act with their permissions"
        }
    }
}

/// How many grants a message names before it says "and N more".
const NAMED_GRANTS: usize = 3;

fn exec_grants(grants: &[crate::facts::rbac::Grant]) -> String {
    // One sentence per role binding: what it allows, where, through which role.
    let mut paths: Vec<(String, Vec<String>)> = Vec::new();
    for g in grants {
        let scope = match &g.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "cluster-wide".to_string(),
        };
        let path = format!("{scope} through {} bound by {}", g.role, g.binding);
        let names = if g.resource_names.is_empty() {
            String::new()
        } else {
            format!(" on {}", g.resource_names.join(", "))
        };
        let what = format!(
            "{} ({} {}{names})",
            access_phrase(g.access),
            g.verbs.join("/"),
            g.resource
        );
        match paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, whats)) if !whats.contains(&what) => whats.push(what),
            Some(_) => {}
            None => paths.push((path, vec![what])),
        }
    }
    let more = paths.len().saturating_sub(NAMED_GRANTS);
    let mut s = paths
        .iter()
        .take(NAMED_GRANTS)
        .map(|(path, whats)| format!("can {} {path}", and_list(whats)))
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        let _ = write!(s, "; and through {more} more binding(s)");
    }
    let _ = write!(
        s,
        " ({} grant(s) in all, listed in the details)",
        grants.len()
    );
    s
}

fn exec_restricted(system: &[String]) -> String {
    let names: Vec<&str> = system.iter().map(String::as_str).collect();
    if names.is_empty() {
        return "no subject can get into or change a running container through RBAC".into();
    }
    format!(
        "no subject outside the system ones can get into or change a running container; the \
         {} system subject(s) that can are {}",
        names.len(),
        name_list(&names)
    )
}

fn unreadable_rbac(error: &str) -> String {
    format!("could not read this RBAC object: {error}; its grants were not assessed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{findings_in, inventory, settings_on, table};
    use crate::evidence::inventory::ServerVersion;

    const ROLES: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: edit}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregate-to-edit
  labels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}
rules: [{apiGroups: [""], resources: ["pods/exec", "pods/attach"], verbs: ["create", "get"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
rules: [{apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: exec-get-only}
rules: [{apiGroups: [""], resources: ["pods/exec"], verbs: ["get"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: role-binder}
rules: [{apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["cluster-admin"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: debugger, namespace: shop}
rules: [{apiGroups: [""], resources: ["pods/ephemeralcontainers"], verbs: ["patch"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: "system:masters", apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-views}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: "system:authenticated", apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: system:controller:bootstrap-signer, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: system:controller:bootstrap-signer}
subjects: [{kind: ServiceAccount, name: bootstrap-signer, namespace: kube-system}]
"#;

    fn binding(
        kind: &str,
        name: &str,
        ns: Option<&str>,
        role_kind: &str,
        role: &str,
        subject: &str,
    ) -> String {
        let meta = match ns {
            Some(ns) => format!("{{name: {name}, namespace: {ns}}}"),
            None => format!("{{name: {name}}}"),
        };
        format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {meta}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {role_kind}, name: {role}}}\nsubjects: [{subject}]\n"
        )
    }

    fn run(extra: &str, server: Option<&str>) -> Vec<Finding> {
        let mut inv = inventory(&format!("{ROLES}{extra}"));
        // As a live cluster lists them: every object of each kind.
        inv.listed.extend(RBAC_KINDS.iter().map(|k| k.to_string()));
        inv.server_version = server.map(|git| ServerVersion {
            git_version: git.into(),
            ..Default::default()
        });
        findings_in(&PodExecRestricted, &inv, &settings_on("2026-11-22"))
    }

    #[test]
    fn only_system_subjects_pass() {
        let sa = "{kind: ServiceAccount, name: coredns, namespace: kube-system}";
        let got = run(
            &binding(
                "RoleBinding",
                "dns",
                Some("kube-system"),
                "ClusterRole",
                "edit",
                sa,
            ),
            Some("v1.36.2"),
        );
        assert_eq!(table(&got), [("Cluster RBAC".to_string(), Status::Pass)]);
        assert!(
            got[0].details["system_subjects"]
                .to_string()
                .contains("system:masters")
        );
    }

    #[test]
    fn grants_through_every_path_fail_with_role_and_binding() {
        let extra = [
            // An aggregated role, bound in one namespace.
            binding(
                "RoleBinding",
                "dev-edit",
                Some("shop"),
                "ClusterRole",
                "edit",
                "{kind: User, name: alice@example.com}",
            ),
            // Wildcards, cluster-wide.
            binding(
                "ClusterRoleBinding",
                "ops-admin",
                None,
                "ClusterRole",
                "cluster-admin",
                "{kind: Group, name: ops}",
            ),
            // A namespaced Role.
            binding(
                "RoleBinding",
                "debug",
                Some("shop"),
                "Role",
                "debugger",
                "{kind: ServiceAccount, name: ci}",
            ),
            // bind limited by resourceNames still leads there.
            binding(
                "ClusterRoleBinding",
                "binder",
                None,
                "ClusterRole",
                "role-binder",
                "{kind: User, name: bob}",
            ),
            // Everyone is not a system subject.
            binding(
                "ClusterRoleBinding",
                "oops",
                None,
                "ClusterRole",
                "edit",
                "{kind: Group, name: \"system:authenticated\"}",
            ),
            // Read-only access does not count.
            binding(
                "ClusterRoleBinding",
                "viewers",
                None,
                "ClusterRole",
                "view",
                "{kind: User, name: carol}",
            ),
        ]
        .concat();
        let got = run(&extra, Some("v1.36.2"));
        use Status::*;
        assert_eq!(
            table(&got),
            [
                ("Group ops".to_string(), Fail),
                ("Group system:authenticated".to_string(), Fail),
                ("ServiceAccount shop/ci".to_string(), Fail),
                ("User alice@example.com".to_string(), Fail),
                ("User bob".to_string(), Fail),
            ]
        );
        let alice = &got[3];
        let grant = &alice.details["grants"][0];
        assert_eq!(grant["role"], "ClusterRole edit");
        assert_eq!(grant["binding"], "RoleBinding shop/dev-edit");
        assert_eq!(grant["namespace"], "shop");
        assert!(alice.message.contains("exec"), "{}", alice.message);
        let bob = &got[4];
        assert_eq!(
            bob.details["grants"][0]["resource_names"][0],
            "cluster-admin"
        );
        assert!(bob.message.contains("bind"), "{}", bob.message);
        assert!(got[0].details["grants"][0]["namespace"].is_null());
    }

    #[test]
    fn get_on_exec_counts_only_before_1_35() {
        let extra = binding(
            "ClusterRoleBinding",
            "g",
            None,
            "ClusterRole",
            "exec-get-only",
            "{kind: User, name: dave}",
        );
        let statuses = |server| table(&run(&extra, server));
        assert_eq!(
            statuses(Some("v1.34.2"))[0],
            ("User dave".to_string(), Status::Fail)
        );
        assert_eq!(statuses(None)[0], ("User dave".to_string(), Status::Fail));
        assert_eq!(
            statuses(Some("v1.35.0")),
            [("Cluster RBAC".to_string(), Status::Pass)]
        );
    }

    #[test]
    fn a_forbidden_list_names_the_permission_and_keeps_failures() {
        let extra = binding(
            "ClusterRoleBinding",
            "ops-admin",
            None,
            "ClusterRole",
            "cluster-admin",
            "{kind: Group, name: ops}",
        );
        let mut inv = inventory(&format!("{ROLES}{extra}"));
        // As a live cluster lists them: every object of each kind.
        inv.listed.extend(RBAC_KINDS.iter().map(|k| k.to_string()));
        inv.coverage.set(
            "RoleBinding",
            crate::evidence::inventory::KindStatus::Forbidden {
                reason: "403 Forbidden".into(),
            },
        );
        let got = findings_in(&PodExecRestricted, &inv, &settings_on("2026-11-22"));
        assert_eq!(
            table(&got),
            [
                ("Group ops".to_string(), Status::Fail),
                ("Input all sources".to_string(), Status::NotAssessed)
            ]
        );
        assert!(
            got[1]
                .message
                .contains("needs `list` on rolebindings.rbac.authorization.k8s.io"),
            "{}",
            got[1].message
        );
        let mut inv = inventory(ROLES);
        inv.coverage.set(
            "ClusterRoleBinding",
            crate::evidence::inventory::KindStatus::Forbidden {
                reason: "403 Forbidden".into(),
            },
        );
        let got = findings_in(&PodExecRestricted, &inv, &settings_on("2026-11-22"));
        assert_eq!(
            table(&got),
            [("Input all sources".to_string(), Status::NotAssessed)]
        );
        assert!(
            got[0].message.contains("clusterrolebindings"),
            "{}",
            got[0].message
        );
    }

    #[test]
    fn missing_namespaced_rbac_withholds_the_pass() {
        let inv = inventory(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: view}\nrules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: v}\nroleRef: {kind: ClusterRole, name: view}\nsubjects: [{kind: User, name: u}]\n",
        );
        let got = findings_in(&PodExecRestricted, &inv, &settings_on("2026-11-22"));
        assert_eq!(
            table(&got),
            [("Input all sources".to_string(), Status::NotAssessed)]
        );
        assert!(
            got[0].message.contains("no Role objects"),
            "{}",
            got[0].message
        );
        assert!(
            got[0].message.contains("kubectl get rolebindings"),
            "{}",
            got[0].message
        );
    }
}
