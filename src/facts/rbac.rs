//! RBAC, read the way the API server authorizes: who holds a permission, through which role
//! and which binding, and where.
//!
//! Takes the ClusterRoles, Roles, ClusterRoleBindings and RoleBindings of an inventory and
//! answers, for a set of [`Access`]es, every grant of them: rules are matched as the RBAC
//! authorizer matches them (`*` in verbs, API groups and resources; `*/subresource`;
//! `resourceNames` restrict a grant but do not remove it), aggregated ClusterRoles get the
//! rules of every ClusterRole their selectors pick (transitively, as the aggregation
//! controller would), a ClusterRoleBinding grants cluster-wide and a RoleBinding grants in
//! its own namespace, whether it refers to a Role or to a ClusterRole.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::evidence::object::{LabelSelector, Object, lenient_opt_string, lenient_string};

/// A permission that gets into, or changes, a running container; or leads to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// `pods/exec`.
    Exec,
    /// `pods/attach`.
    Attach,
    /// `pods/ephemeralcontainers`: add a debug container.
    EphemeralContainers,
    /// patch/update `pods`: change a running pod, its image included.
    ChangePods,
    /// `nodes/proxy`: the kubelet API, which execs into any container on the node.
    NodeProxy,
    /// `escalate` on roles: write a role with permissions one does not hold.
    Escalate,
    /// `bind` on roles: bind a role one does not hold.
    Bind,
    /// `impersonate` users, groups or service accounts.
    Impersonate,
}

impl Access {
    pub const ALL: [Access; 8] = [
        Access::Exec,
        Access::Attach,
        Access::EphemeralContainers,
        Access::ChangePods,
        Access::NodeProxy,
        Access::Escalate,
        Access::Bind,
        Access::Impersonate,
    ];

    /// Escalation grants lead to the others instead of being one.
    pub fn is_escalation(self) -> bool {
        matches!(self, Access::Escalate | Access::Bind | Access::Impersonate)
    }

    /// `(api group, resource, subresource, verbs)` requests that exercise this access.
    /// `exec_get` adds `get` for exec and attach: before Kubernetes 1.35 a WebSocket
    /// connection needed only `get`.
    fn requests(
        self,
        exec_get: bool,
    ) -> Vec<(&'static str, &'static str, &'static str, Vec<&'static str>)> {
        let exec_verbs = if exec_get {
            vec!["create", "get"]
        } else {
            vec!["create"]
        };
        let rbac = "rbac.authorization.k8s.io";
        match self {
            Access::Exec => vec![("", "pods", "exec", exec_verbs)],
            Access::Attach => vec![("", "pods", "attach", exec_verbs)],
            Access::EphemeralContainers => {
                vec![("", "pods", "ephemeralcontainers", vec!["patch", "update"])]
            }
            Access::ChangePods => vec![("", "pods", "", vec!["patch", "update"])],
            Access::NodeProxy => vec![("", "nodes", "proxy", vec!["get", "create"])],
            Access::Escalate => vec![
                (rbac, "roles", "", vec!["escalate"]),
                (rbac, "clusterroles", "", vec!["escalate"]),
            ],
            Access::Bind => vec![
                (rbac, "roles", "", vec!["bind"]),
                (rbac, "clusterroles", "", vec!["bind"]),
            ],
            Access::Impersonate => vec![
                ("", "users", "", vec!["impersonate"]),
                ("", "groups", "", vec!["impersonate"]),
                ("", "serviceaccounts", "", vec!["impersonate"]),
            ],
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyRule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
}

impl PolicyRule {
    /// The verbs of `verbs` this rule allows on the resource, as the RBAC authorizer
    /// matches them.
    fn allows(
        &self,
        group: &str,
        resource: &str,
        sub: &str,
        verbs: &[&'static str],
    ) -> Vec<&'static str> {
        let group_ok = self.api_groups.iter().any(|g| g == "*" || g == group);
        let combined = if sub.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}/{sub}")
        };
        let resource_ok = self.resources.iter().any(|r| {
            r == "*" || *r == combined || (!sub.is_empty() && r.strip_prefix("*/") == Some(sub))
        });
        if !group_ok || !resource_ok {
            return Vec::new();
        }
        verbs
            .iter()
            .copied()
            .filter(|v| self.verbs.iter().any(|rv| rv == "*" || rv == v))
            .collect()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RoleBody {
    rules: Vec<PolicyRule>,
    aggregation_rule: Option<AggregationRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct AggregationRule {
    cluster_role_selectors: Vec<LabelSelector>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct BindingBody {
    role_ref: RoleRef,
    subjects: Vec<SubjectRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoleRef {
    #[serde(deserialize_with = "lenient_string")]
    kind: String,
    #[serde(deserialize_with = "lenient_string")]
    name: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(default)]
pub struct SubjectRef {
    #[serde(deserialize_with = "lenient_string")]
    pub kind: String,
    #[serde(deserialize_with = "lenient_string")]
    pub name: String,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub namespace: Option<String>,
}

/// Groups and users that stand for everyone: granting them anything is never "system".
const EVERYONE: [&str; 3] = [
    "system:authenticated",
    "system:unauthenticated",
    "system:anonymous",
];

impl SubjectRef {
    /// System subjects: names starting `system:` (except the ones that mean everyone, and
    /// service accounts of other namespaces written as users or groups), and service
    /// accounts of kube-system.
    pub fn is_system(&self) -> bool {
        match self.kind.as_str() {
            "ServiceAccount" => self.namespace.as_deref() == Some("kube-system"),
            _ if EVERYONE.contains(&self.name.as_str()) => false,
            _ => match self.name.strip_prefix("system:serviceaccount:") {
                Some(rest) => rest.split(':').next() == Some("kube-system"),
                None => match self.name.strip_prefix("system:serviceaccounts") {
                    Some(rest) => rest == ":kube-system",
                    None => self.name.starts_with("system:"),
                },
            },
        }
    }

    /// `ServiceAccount shop/deployer`, `Group ops`.
    pub fn display(&self) -> String {
        match (&self.kind[..], &self.namespace) {
            ("ServiceAccount", Some(ns)) => format!("ServiceAccount {ns}/{}", self.name),
            _ => format!("{} {}", self.kind, self.name),
        }
    }
}

/// One way a subject holds an access.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    pub access: Access,
    /// The verbs the rule allows, e.g. `create`.
    pub verbs: Vec<String>,
    /// `pods/exec`, `clusterroles`...
    pub resource: String,
    /// `ClusterRole edit`.
    pub role: String,
    /// `RoleBinding shop/dev-edit`.
    pub binding: String,
    /// The namespace it holds in; None for cluster-wide.
    pub namespace: Option<String>,
    /// Non-empty when the rule names the only objects it applies to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(skip)]
    pub evidence: Vec<String>,
    #[serde(skip)]
    pub binding_object: usize,
}

/// A binding that could not be read, or refers to a role that is not in the input.
#[derive(Debug)]
pub struct Problem<'a> {
    pub object: &'a Object,
    pub message: String,
}

/// Every grant of `accesses`, by subject; and the bindings that could not be judged.
pub struct Grants<'a> {
    pub by_subject: BTreeMap<SubjectRef, Vec<Grant>>,
    pub problems: Vec<Problem<'a>>,
    /// The bindings, indexed by [`Grant::binding_object`].
    pub bindings: Vec<&'a Object>,
}

/// Finds every grant of `accesses`. `exec_get`: count `get` on exec and attach.
pub fn grants<'a>(objects: &'a [Object], accesses: &[Access], exec_get: bool) -> Grants<'a> {
    let mut problems = Vec::new();
    let cluster_roles: BTreeMap<&str, (&Object, RoleBody)> = objects
        .iter()
        .filter(|o| o.kind == "ClusterRole")
        .filter_map(|o| read_role(o, &mut problems).map(|b| (o.meta.name.as_str(), (o, b))))
        .collect();
    let roles: BTreeMap<(&str, &str), (&Object, RoleBody)> = objects
        .iter()
        .filter(|o| o.kind == "Role")
        .filter_map(|o| {
            let ns = o.meta.namespace.as_deref().unwrap_or("");
            read_role(o, &mut problems).map(|b| ((ns, o.meta.name.as_str()), (o, b)))
        })
        .collect();
    let aggregated = AggregatedRules::new(&cluster_roles);

    let mut by_subject: BTreeMap<SubjectRef, Vec<Grant>> = BTreeMap::new();
    let mut bindings = Vec::new();
    for binding in objects
        .iter()
        .filter(|o| o.kind == "ClusterRoleBinding" || o.kind == "RoleBinding")
    {
        let body: BindingBody = match binding.view("") {
            Ok(b) => b,
            Err(e) => {
                problems.push(Problem {
                    object: binding,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let namespace = (binding.kind == "RoleBinding")
            .then(|| binding.meta.namespace.clone().unwrap_or_default());
        let (role_object, rules): (&Object, Vec<&PolicyRule>) = match body.role_ref.kind.as_str() {
            "ClusterRole" => match cluster_roles.get(body.role_ref.name.as_str()) {
                Some((o, _)) => (*o, aggregated.rules_of(&body.role_ref.name)),
                None => continue, // a dangling reference grants nothing
            },
            "Role" => {
                let ns = namespace.as_deref().unwrap_or("");
                match roles.get(&(ns, body.role_ref.name.as_str())) {
                    Some((o, b)) => (*o, b.rules.iter().collect()),
                    None => continue,
                }
            }
            _ => continue,
        };
        let index = bindings.len();
        bindings.push(binding);
        let mut found = Vec::new();
        for rule in &rules {
            for &access in accesses {
                for (group, resource, sub, verbs) in access.requests(exec_get) {
                    let allowed = rule.allows(group, resource, sub, &verbs);
                    if allowed.is_empty() {
                        continue;
                    }
                    found.push(Grant {
                        access,
                        verbs: allowed.iter().map(|v| v.to_string()).collect(),
                        resource: if sub.is_empty() {
                            resource.to_string()
                        } else {
                            format!("{resource}/{sub}")
                        },
                        role: role_object.display_name(),
                        binding: binding.display_name(),
                        namespace: namespace.clone(),
                        resource_names: rule.resource_names.clone(),
                        evidence: vec![binding.evidence.clone(), role_object.evidence.clone()],
                        binding_object: index,
                    });
                }
            }
        }
        found.sort();
        found.dedup();
        if found.is_empty() {
            continue;
        }
        for subject in body.subjects {
            let subject = SubjectRef {
                namespace: match subject.kind.as_str() {
                    // A service account subject without a namespace is in the binding's.
                    "ServiceAccount" => subject
                        .namespace
                        .clone()
                        .or_else(|| binding.meta.namespace.clone()),
                    _ => None,
                },
                ..subject
            };
            by_subject
                .entry(subject)
                .or_default()
                .extend(found.iter().cloned());
        }
    }
    for grants in by_subject.values_mut() {
        grants.sort();
        grants.dedup();
    }
    Grants {
        by_subject,
        problems,
        bindings,
    }
}

fn read_role<'a>(o: &'a Object, problems: &mut Vec<Problem<'a>>) -> Option<RoleBody> {
    match o.view::<RoleBody>("") {
        Ok(b) => Some(b),
        Err(e) => {
            problems.push(Problem {
                object: o,
                message: e.to_string(),
            });
            None
        }
    }
}

/// The effective rules of ClusterRoles: their own, plus, for aggregated ones, the rules of
/// every ClusterRole their selectors pick, followed transitively.
struct AggregatedRules<'r> {
    roles: &'r BTreeMap<&'r str, (&'r Object, RoleBody)>,
}

impl<'r> AggregatedRules<'r> {
    fn new(roles: &'r BTreeMap<&'r str, (&'r Object, RoleBody)>) -> Self {
        Self { roles }
    }

    fn rules_of(&self, name: &str) -> Vec<&'r PolicyRule> {
        let mut seen = BTreeSet::new();
        let mut pending = vec![name.to_string()];
        let mut rules = Vec::new();
        while let Some(current) = pending.pop() {
            if !seen.insert(current.clone()) {
                continue;
            }
            let Some((_, body)) = self.roles.get(current.as_str()) else {
                continue;
            };
            rules.extend(body.rules.iter());
            let Some(aggregation) = &body.aggregation_rule else {
                continue;
            };
            for (other, (object, _)) in self.roles.iter() {
                if aggregation
                    .cluster_role_selectors
                    .iter()
                    .any(|s| !s.is_empty() && s.matches(&object.meta.labels))
                {
                    pending.push(other.to_string());
                }
            }
        }
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        PolicyRule {
            api_groups: s(groups),
            resources: s(resources),
            verbs: s(verbs),
            resource_names: Vec::new(),
        }
    }

    #[test]
    fn rules_match_like_the_rbac_authorizer() {
        let exec = ("", "pods", "exec");
        type Request<'a> = (&'a str, &'a str, &'a str);
        let cases: [(PolicyRule, Request, &[&str], Vec<&str>); 9] = [
            (
                rule(&[""], &["pods/exec"], &["create"]),
                exec,
                &["create", "get"],
                vec!["create"],
            ),
            (
                rule(&["*"], &["*"], &["*"]),
                exec,
                &["create", "get"],
                vec!["create", "get"],
            ),
            (
                rule(&[""], &["*/exec"], &["get"]),
                exec,
                &["create", "get"],
                vec!["get"],
            ),
            // `pods/*` is not an RBAC wildcard.
            (rule(&[""], &["pods/*"], &["*"]), exec, &["create"], vec![]),
            // `pods` does not cover its subresources.
            (rule(&[""], &["pods"], &["*"]), exec, &["create"], vec![]),
            (rule(&["apps"], &["*"], &["*"]), exec, &["create"], vec![]),
            (
                rule(&[""], &["pods"], &["patch"]),
                ("", "pods", ""),
                &["patch", "update"],
                vec!["patch"],
            ),
            (
                rule(
                    &["rbac.authorization.k8s.io"],
                    &["clusterroles"],
                    &["bind", "escalate"],
                ),
                ("rbac.authorization.k8s.io", "clusterroles", ""),
                &["escalate"],
                vec!["escalate"],
            ),
            (
                rule(&[""], &["nodes/proxy"], &["get"]),
                ("", "nodes", "proxy"),
                &["get", "create"],
                vec!["get"],
            ),
        ];
        for (r, (g, res, sub), verbs, want) in cases {
            assert_eq!(
                r.allows(g, res, sub, verbs),
                want,
                "{r:?} on {g}/{res}/{sub}"
            );
        }
    }

    #[test]
    fn system_subjects() {
        let s = |kind: &str, name: &str, ns: Option<&str>| SubjectRef {
            kind: kind.into(),
            name: name.into(),
            namespace: ns.map(String::from),
        };
        assert!(s("Group", "system:masters", None).is_system());
        assert!(s("User", "system:kube-controller-manager", None).is_system());
        assert!(s("ServiceAccount", "coredns", Some("kube-system")).is_system());
        assert!(s("User", "system:serviceaccount:kube-system:x", None).is_system());
        assert!(s("Group", "system:serviceaccounts:kube-system", None).is_system());
        assert!(!s("ServiceAccount", "deployer", Some("shop")).is_system());
        assert!(!s("User", "system:serviceaccount:shop:deployer", None).is_system());
        assert!(!s("Group", "system:serviceaccounts", None).is_system());
        assert!(!s("Group", "system:authenticated", None).is_system());
        assert!(!s("User", "system:anonymous", None).is_system());
        assert!(!s("User", "alice@example.com", None).is_system());
    }
}
