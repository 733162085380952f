//! The kinds the live-cluster collector requests: the single list of what evidencer reads.
//!
//! Every list request the collector makes comes from [`KINDS`]; discovery requests and
//! `/version` are the [`NON_RESOURCE_URLS`]. [`read_rules`] turns the table into the RBAC
//! rules that grant exactly those reads, for a least-privilege ClusterRole to be derived
//! from and tested against, so adding a kind here is the one change that makes evidencer
//! read it. Secrets and ConfigMaps are deliberately absent:
//! evidencer never asks for them, and a test asserts it from the API server's request log.

/// Whether a kind is always listed or only where its API exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Built into every supported Kubernetes release: always listed.
    Required,
    /// Served only where an add-on or a newer release provides it: listed when discovery
    /// (`/apis/<group>/<version>`) shows it; otherwise recorded as not served.
    Discovered,
}

/// One resource the collector lists (or, for [`ANY_RESOURCE`], every resource of a group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindSpec {
    /// API group; empty for the core group.
    pub group: &'static str,
    /// The version listed. For a discovered kind, another version of the group that serves
    /// the resource is taken when this one is not served.
    pub version: &'static str,
    /// The resource name in the URL, or [`ANY_RESOURCE`].
    pub plural: &'static str,
    /// The kind of its objects, or [`ANY_RESOURCE`] when the group's resources give it.
    pub kind: &'static str,
    pub namespaced: bool,
    pub availability: Availability,
}

/// `plural` and `kind` of a table entry that stands for every resource of its group.
pub const ANY_RESOURCE: &str = "*";

/// The only verb the collector uses on resources.
pub const VERBS: &[&str] = &["list"];

/// Non-resource URLs the collector GETs: the server version and API discovery.
pub const NON_RESOURCE_URLS: &[&str] = &["/version", "/api", "/api/*", "/apis", "/apis/*"];

/// Gatekeeper's constraint group: every constraint kind the cluster has lives there.
pub const GATEKEEPER_CONSTRAINTS: &str = "constraints.gatekeeper.sh";

/// Constraint kinds the checks look for. Where Gatekeeper does not serve one, it is
/// recorded as not served, so a check can tell "no such constraint" from "not looked at".
pub const GATEKEEPER_KINDS_CHECKED: &[&str] = &[
    "K8sPSPAppArmor",
    "K8sPSPCapabilities",
    "K8sPSPForbiddenSysctls",
    "K8sPSPHostFilesystem",
    "K8sPSPHostNamespace",
    "K8sPSPHostNetworkingPorts",
    "K8sPSPPrivilegedContainer",
    "K8sPSPProcMount",
    "K8sPSPReadOnlyRootFilesystem",
    "K8sPSPSELinuxV2",
    "K8sPSPSeccomp",
    "K8sPSPVolumeTypes",
];

/// A kind listed on every cluster ([`Availability::Required`]).
const fn spec(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> KindSpec {
    KindSpec {
        group,
        version,
        plural,
        kind,
        namespaced,
        availability: Availability::Required,
    }
}

impl KindSpec {
    /// The same kind, listed only where discovery shows its API.
    const fn discovered(self) -> Self {
        KindSpec {
            availability: Availability::Discovered,
            ..self
        }
    }
}

/// Every kind the collector lists, in the order they are started (largest first, so the
/// long Pod list overlaps the short ones).
pub const KINDS: &[KindSpec] = &[
    spec("", "v1", "pods", "Pod", true),
    spec("apps", "v1", "replicasets", "ReplicaSet", true),
    spec("", "v1", "nodes", "Node", false),
    spec("apps", "v1", "deployments", "Deployment", true),
    spec("apps", "v1", "statefulsets", "StatefulSet", true),
    spec("apps", "v1", "daemonsets", "DaemonSet", true),
    spec("batch", "v1", "jobs", "Job", true),
    spec("batch", "v1", "cronjobs", "CronJob", true),
    spec("", "v1", "namespaces", "Namespace", false),
    spec(RBAC, "v1", "clusterroles", "ClusterRole", false),
    spec(
        RBAC,
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
    ),
    spec(RBAC, "v1", "roles", "Role", true),
    spec(RBAC, "v1", "rolebindings", "RoleBinding", true),
    spec(
        ADMISSION,
        "v1",
        "validatingadmissionpolicies",
        "ValidatingAdmissionPolicy",
        false,
    )
    .discovered(),
    spec(
        ADMISSION,
        "v1",
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        false,
    )
    .discovered(),
    spec(
        "kyverno.io",
        "v1",
        "clusterpolicies",
        "ClusterPolicy",
        false,
    )
    .discovered(),
    spec("kyverno.io", "v1", "policies", "Policy", true).discovered(),
    spec(
        GATEKEEPER_CONSTRAINTS,
        "v1beta1",
        ANY_RESOURCE,
        ANY_RESOURCE,
        false,
    )
    .discovered(),
    spec(
        "aquasecurity.github.io",
        "v1alpha1",
        "vulnerabilityreports",
        "VulnerabilityReport",
        true,
    )
    .discovered(),
    spec(
        "aquasecurity.github.io",
        "v1alpha1",
        "configauditreports",
        "ConfigAuditReport",
        true,
    )
    .discovered(),
    // Policy engines' results (Kyverno and others): what policy-reports-clean reads.
    spec(WG_POLICY, "v1alpha2", "policyreports", "PolicyReport", true).discovered(),
    spec(
        WG_POLICY,
        "v1alpha2",
        "clusterpolicyreports",
        "ClusterPolicyReport",
        false,
    )
    .discovered(),
    spec(OPENREPORTS, "v1alpha1", "reports", "Report", true).discovered(),
    spec(
        OPENREPORTS,
        "v1alpha1",
        "clusterreports",
        "ClusterReport",
        false,
    )
    .discovered(),
    // The workload kinds of add-ons (see [`crate::evidence::workload_kinds`], whose test
    // holds the two tables together).
    spec("argoproj.io", "v1alpha1", "rollouts", "Rollout", true).discovered(),
    spec("apps.kruise.io", "v1alpha1", "clonesets", "CloneSet", true).discovered(),
    spec(
        "apps.kruise.io",
        "v1beta1",
        "statefulsets",
        "StatefulSet",
        true,
    )
    .discovered(),
    spec(
        "apps.kruise.io",
        "v1alpha1",
        "daemonsets",
        "DaemonSet",
        true,
    )
    .discovered(),
    spec(MONITORING, "v1", "prometheuses", "Prometheus", true).discovered(),
    spec(MONITORING, "v1", "alertmanagers", "Alertmanager", true).discovered(),
    spec(MONITORING, "v1", "thanosrulers", "ThanosRuler", true).discovered(),
    // What GitOps agents report as applied, for `live-matches-git` (see
    // [`crate::evidence::deployers`]).
    spec(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "kustomizations",
        "Kustomization",
        true,
    )
    .discovered(),
    spec(
        "source.toolkit.fluxcd.io",
        "v1",
        "gitrepositories",
        "GitRepository",
        true,
    )
    .discovered(),
    spec(
        "argoproj.io",
        "v1alpha1",
        "applications",
        "Application",
        true,
    )
    .discovered(),
];

const MONITORING: &str = "monitoring.coreos.com";
const WG_POLICY: &str = "wgpolicyk8s.io";
const OPENREPORTS: &str = "openreports.io";
const RBAC: &str = "rbac.authorization.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";

impl KindSpec {
    /// `pods`, `deployments.apps`: how kubectl and RBAC messages name the resource.
    pub fn resource(&self) -> String {
        resource_name(self.plural, self.group)
    }

    /// `v1`, `apps/v1`.
    pub fn api_version(&self) -> String {
        api_version(self.group, self.version)
    }
}

pub fn resource_name(plural: &str, group: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// One RBAC rule of what the collector reads: [`VERBS`] on these resources of one API group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadRule {
    pub group: &'static str,
    /// The versions of the group the table names (RBAC rules do not carry versions; a
    /// discovered kind may be listed in another version the server prefers).
    pub versions: Vec<&'static str>,
    /// Resource names; `*` for every resource of the group (Gatekeeper constraints).
    pub resources: Vec<&'static str>,
    pub verbs: &'static [&'static str],
}

/// The rules that grant exactly what the collector lists, one per API group in table order
/// (and `get` on [`NON_RESOURCE_URLS`] besides): what an in-cluster ClusterRole must hold,
/// and all it needs.
pub fn read_rules() -> Vec<ReadRule> {
    let mut rules: Vec<ReadRule> = Vec::new();
    for spec in KINDS {
        match rules.iter_mut().find(|r| r.group == spec.group) {
            Some(rule) => {
                rule.resources.push(spec.plural);
                if !rule.versions.contains(&spec.version) {
                    rule.versions.push(spec.version);
                }
            }
            None => rules.push(ReadRule {
                group: spec.group,
                versions: vec![spec.version],
                resources: vec![spec.plural],
                verbs: VERBS,
            }),
        }
    }
    for rule in &mut rules {
        rule.resources.sort_unstable();
    }
    rules
}

/// The table entry of a kind, when it has its own.
pub fn spec_of(kind: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// The resource a kind is listed as (`rolebindings.rbac.authorization.k8s.io`), for
/// messages that name a missing permission. Gatekeeper names a constraint kind's resource
/// after the kind in lower case.
pub fn resource_of(kind: &str) -> Option<String> {
    if let Some(spec) = spec_of(kind) {
        return Some(spec.resource());
    }
    // A workload kind the config added is listed too, though no table here names it.
    if let Some(row) = crate::evidence::workload_kinds::table()
        .added()
        .find(|r| r.kind == kind && !r.plural.is_empty())
    {
        return Some(resource_name(&row.plural, &row.group));
    }
    GATEKEEPER_KINDS_CHECKED
        .contains(&kind)
        .then(|| resource_name(&kind.to_ascii_lowercase(), GATEKEEPER_CONSTRAINTS))
}

/// The name a kind's coverage is recorded under: its kind, or `StatefulSet.apps.kruise.io`
/// for an add-on's kind named like a built-in one, so that an add-on not served (or
/// refused) is never read as the built-in kind missing.
pub fn coverage_key(group: &str, kind: &str) -> String {
    let shadows = KINDS
        .iter()
        .any(|k| k.kind == kind && k.group != group && k.availability == Availability::Required);
    if shadows {
        format!("{kind}.{group}")
    } else {
        kind.to_string()
    }
}

/// Whether a kind lives outside namespaces, for the kinds [`resource_of`] knows.
pub fn is_cluster_scoped(kind: &str) -> bool {
    match spec_of(kind) {
        Some(spec) => !spec.namespaced,
        None => GATEKEEPER_KINDS_CHECKED.contains(&kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_never_names_secrets_or_configmaps_and_kinds_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for spec in KINDS {
            assert!(
                !matches!(spec.plural, "secrets" | "configmaps"),
                "{spec:?} must never be listed"
            );
            assert!(seen.insert((spec.group, spec.kind)), "{spec:?} twice");
        }
        assert_eq!(VERBS, ["list"]);
    }

    #[test]
    fn every_kind_the_issue_names_is_in_the_table() {
        use Availability::{Discovered, Required};
        for (kinds, availability) in [
            (
                &[
                    "Namespace",
                    "Node",
                    "Deployment",
                    "ReplicaSet",
                    "StatefulSet",
                    "DaemonSet",
                    "Job",
                    "CronJob",
                    "Pod",
                    "ClusterRole",
                    "Role",
                    "ClusterRoleBinding",
                    "RoleBinding",
                ][..],
                Required,
            ),
            (
                &[
                    "ValidatingAdmissionPolicy",
                    "ValidatingAdmissionPolicyBinding",
                    "ClusterPolicy",
                    "Policy",
                    "VulnerabilityReport",
                    "ConfigAuditReport",
                    "PolicyReport",
                    "ClusterPolicyReport",
                    "Report",
                    "ClusterReport",
                    "Rollout",
                    "CloneSet",
                    "Prometheus",
                    "Alertmanager",
                    "ThanosRuler",
                    "Kustomization",
                    "GitRepository",
                    "Application",
                ][..],
                Discovered,
            ),
        ] {
            for kind in kinds {
                let found = spec_of(kind).map(|s| s.availability);
                assert_eq!(found, Some(availability), "{kind}");
            }
        }
        assert!(KINDS.iter().any(|k| k.group == GATEKEEPER_CONSTRAINTS));
    }

    #[test]
    fn read_rules_group_the_table_by_api_group() {
        let rules = read_rules();
        let core = rules.iter().find(|r| r.group.is_empty()).unwrap();
        assert_eq!(core.resources, ["namespaces", "nodes", "pods"]);
        assert_eq!((core.versions.as_slice(), core.verbs), (&["v1"][..], VERBS));
        assert!(rules.iter().all(|r| {
            !r.resources
                .iter()
                .any(|p| matches!(*p, "secrets" | "configmaps"))
        }));
        let gatekeeper = rules
            .iter()
            .find(|r| r.group == GATEKEEPER_CONSTRAINTS)
            .unwrap();
        assert_eq!(gatekeeper.resources, [ANY_RESOURCE]);
        let listed: usize = rules.iter().map(|r| r.resources.len()).sum();
        assert_eq!(listed, KINDS.len());
    }

    #[test]
    fn resources_are_named_as_rbac_names_them() {
        assert_eq!(resource_of("Pod").as_deref(), Some("pods"));
        assert_eq!(
            resource_of("RoleBinding").as_deref(),
            Some("rolebindings.rbac.authorization.k8s.io")
        );
        assert_eq!(
            resource_of("K8sPSPReadOnlyRootFilesystem").as_deref(),
            Some("k8spspreadonlyrootfilesystem.constraints.gatekeeper.sh")
        );
        assert_eq!(resource_of("Secret"), None);
        assert!(is_cluster_scoped("Node") && !is_cluster_scoped("Pod"));
        assert!(is_cluster_scoped("K8sPSPReadOnlyRootFilesystem"));
    }

    #[test]
    fn an_add_on_kind_named_like_a_built_in_one_is_covered_under_its_group() {
        assert_eq!(coverage_key("apps", "StatefulSet"), "StatefulSet");
        assert_eq!(
            coverage_key("apps.kruise.io", "StatefulSet"),
            "StatefulSet.apps.kruise.io"
        );
        assert_eq!(coverage_key("apps.kruise.io", "CloneSet"), "CloneSet");
        let kruise = KINDS.iter().filter(|k| k.group == "apps.kruise.io").count();
        assert_eq!(kruise, 3);
    }
}
