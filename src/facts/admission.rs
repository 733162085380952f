//! Admission policies, read for what they enforce and in which namespaces.
//!
//! Shared by `pod-security-enforced` and `read-only-root-enforced`. Reads four kinds of
//! evidence and answers, for a namespace and its labels, which Pod Security baseline controls
//! are enforced there and by what, and what requires `readOnlyRootFilesystem` there:
//!
//! - Pod Security Admission: the namespace label `pod-security.kubernetes.io/enforce`
//!   (`baseline` or `restricted` enforce every baseline control).
//! - Kyverno `ClusterPolicy` / `Policy` (kyverno.io): a rule counts when its failure action is
//!   `Enforce` in that namespace (the rule's `validate.failureAction`, else the policy's
//!   `validationFailureAction`, default `Audit`; per-namespace overrides to `Audit` are
//!   honoured), its `match` covers pods (or pod controllers) in the namespace without a
//!   resource label selector or a subject restriction, and its `exclude` does not exclude
//!   the namespace. A `podSecurity` rule at level `baseline` or `restricted` enforces every
//!   baseline control except the ones its `exclude` lists for all images (an exclusion for
//!   some images only is an exemption, reported but not subtracted). A rule whose pattern
//!   requires `readOnlyRootFilesystem: true` (the plain key: a `=()` anchor only checks the
//!   field when present) or whose CEL or deny expressions mention it requires a read-only
//!   root filesystem.
//! - Gatekeeper constraints (constraints.gatekeeper.sh): a constraint counts when its
//!   `enforcementAction` is `deny` (the default; `scoped` with a `deny` action at the
//!   validation webhook counts too) and its `match` covers pods in the namespace (kinds,
//!   `namespaces` and `excludedNamespaces` with `*` wildcards, `namespaceSelector`, no
//!   `labelSelector`). Each constraint kind of the Gatekeeper policy library's pod security
//!   set enforces its control (`K8sPSPPrivilegedContainer`: privileged containers, and so
//!   on); `K8sPSPReadOnlyRootFilesystem` requires a read-only root filesystem.
//! - ValidatingAdmissionPolicy with a ValidatingAdmissionPolicyBinding whose
//!   `validationActions` include `Deny`: the pair counts in a namespace both namespace
//!   selectors match, when the policy's resource rules take pods or pod controllers on
//!   create and neither side has an object selector. Its CEL is not evaluated: a control
//!   counts as enforced when the validation expressions name the fields the control is about
//!   (`privileged`; `hostNetwork`, `hostPID` and `hostIPC`; `hostPath`; ...), and the policy
//!   requires a read-only root filesystem when they mention `readOnlyRootFilesystem`.
//!
//! Exemptions configured outside these objects (the API server's Pod Security admission
//! configuration, Gatekeeper's `Config`) are not visible here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::evidence::object::{LabelSelector, Object, lenient_opt_string, lenient_string};

/// Namespaces the platform itself runs in; the policy checks leave them out.
pub const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// The Pod Security Standards baseline controls (HostProcess, Windows-only, aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Control {
    Privileged,
    HostNamespaces,
    HostPath,
    HostPorts,
    Capabilities,
    ProcMount,
    SeLinux,
    AppArmor,
    Seccomp,
    Sysctls,
}

impl Control {
    pub const BASELINE: [Control; 10] = [
        Control::Privileged,
        Control::HostNamespaces,
        Control::HostPath,
        Control::HostPorts,
        Control::Capabilities,
        Control::ProcMount,
        Control::SeLinux,
        Control::AppArmor,
        Control::Seccomp,
        Control::Sysctls,
    ];

    /// The name the Pod Security Standards (and Kyverno's `controlName`) give it.
    pub fn name(self) -> &'static str {
        match self {
            Control::Privileged => "Privileged Containers",
            Control::HostNamespaces => "Host Namespaces",
            Control::HostPath => "HostPath Volumes",
            Control::HostPorts => "Host Ports",
            Control::Capabilities => "Capabilities",
            Control::ProcMount => "/proc Mount Type",
            Control::SeLinux => "SELinux",
            Control::AppArmor => "AppArmor",
            Control::Seccomp => "Seccomp",
            Control::Sysctls => "Sysctls",
        }
    }

    fn gatekeeper_kinds(self) -> &'static [&'static str] {
        match self {
            Control::Privileged => &["K8sPSPPrivilegedContainer"],
            Control::HostNamespaces => &["K8sPSPHostNamespace"],
            Control::HostPath => &["K8sPSPHostFilesystem", "K8sPSPVolumeTypes"],
            Control::HostPorts => &["K8sPSPHostNetworkingPorts"],
            Control::Capabilities => &["K8sPSPCapabilities"],
            Control::ProcMount => &["K8sPSPProcMount"],
            Control::SeLinux => &["K8sPSPSELinuxV2"],
            Control::AppArmor => &["K8sPSPAppArmor"],
            Control::Seccomp => &["K8sPSPSeccomp"],
            Control::Sysctls => &["K8sPSPForbiddenSysctls"],
        }
    }

    /// Fields a policy's CEL must name to count: every group, any word of a group.
    fn cel_terms(self) -> &'static [&'static [&'static str]] {
        match self {
            Control::Privileged => &[&["privileged"]],
            Control::HostNamespaces => &[&["hostNetwork"], &["hostPID"], &["hostIPC"]],
            Control::HostPath => &[&["hostPath"]],
            Control::HostPorts => &[&["hostPort"]],
            Control::Capabilities => &[&["capabilities"]],
            Control::ProcMount => &[&["procMount"]],
            Control::SeLinux => &[&["seLinuxOptions"]],
            Control::AppArmor => &[&[
                "appArmorProfile",
                "container.apparmor.security.beta.kubernetes.io",
            ]],
            Control::Seccomp => &[&["seccompProfile", "seccomp.security.alpha.kubernetes.io"]],
            Control::Sysctls => &[&["sysctls"]],
        }
    }

    fn from_name(name: &str) -> Option<Control> {
        Control::BASELINE
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Matches `*` (any run) and `?` (one character) wildcards, as Kyverno and Gatekeeper
/// namespace lists use them.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// A namespace as policies see it: its name and labels (with the
/// `kubernetes.io/metadata.name` label the API server sets).
pub struct Namespace {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

impl Namespace {
    pub fn new(name: &str, labels: &BTreeMap<String, String>) -> Self {
        let mut labels = labels.clone();
        labels
            .entry("kubernetes.io/metadata.name".into())
            .or_insert_with(|| name.to_string());
        Self {
            name: name.to_string(),
            labels,
        }
    }
}

/// One piece of enforcement found for a namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Enforcer {
    /// `Kyverno ClusterPolicy disallow-privileged, rule privileged-containers`.
    pub by: String,
    #[serde(skip)]
    pub evidence: String,
}

/// What enforces Pod Security baseline controls in one namespace.
#[derive(Debug, Default)]
pub struct PodSecurity {
    pub controls: BTreeMap<Control, Vec<Enforcer>>,
    /// Exemptions for some images only: the control stays counted.
    pub exemptions: Vec<String>,
}

impl PodSecurity {
    fn add(&mut self, control: Control, enforcer: &Enforcer) {
        let list = self.controls.entry(control).or_default();
        if !list.contains(enforcer) {
            list.push(enforcer.clone());
        }
    }

    pub fn missing(&self) -> Vec<Control> {
        Control::BASELINE
            .into_iter()
            .filter(|c| !self.controls.contains_key(c))
            .collect()
    }

    /// Every enforcer, once.
    pub fn enforcers(&self) -> Vec<&Enforcer> {
        let mut all: Vec<&Enforcer> = self.controls.values().flatten().collect();
        all.sort();
        all.dedup();
        all
    }
}

/// Every admission policy of the input that could enforce something.
#[derive(Default)]
pub struct Policies<'a> {
    kyverno: Vec<(&'a Object, KyvernoSpec)>,
    gatekeeper: Vec<(&'a Object, ConstraintSpec)>,
    vaps: Vec<BoundPolicy<'a>>,
    /// Policy objects whose spec could not be read.
    pub unreadable: Vec<(&'a Object, String)>,
}

struct BoundPolicy<'a> {
    policy: &'a Object,
    binding: &'a Object,
    spec: VapSpec,
    binding_spec: VapBindingSpec,
}

impl<'a> Policies<'a> {
    pub fn read(objects: &'a [Object]) -> Self {
        let mut out = Policies::default();
        let mut vaps: BTreeMap<&str, (&Object, VapSpec)> = BTreeMap::new();
        let mut bindings = Vec::new();
        for o in objects {
            let group = o.group();
            macro_rules! typed {
                ($t:ty) => {
                    match o.view::<$t>("/spec") {
                        Ok(s) => Some(s),
                        Err(e) => {
                            out.unreadable.push((o, e.to_string()));
                            None
                        }
                    }
                };
            }
            if group == "kyverno.io" && matches!(o.kind.as_str(), "ClusterPolicy" | "Policy") {
                if let Some(s) = typed!(KyvernoSpec) {
                    out.kyverno.push((o, s));
                }
            } else if group == "constraints.gatekeeper.sh" {
                if let Some(s) = typed!(ConstraintSpec) {
                    out.gatekeeper.push((o, s));
                }
            } else if group == "admissionregistration.k8s.io" {
                match o.kind.as_str() {
                    "ValidatingAdmissionPolicy" => {
                        if let Some(s) = typed!(VapSpec) {
                            vaps.insert(o.meta.name.as_str(), (o, s));
                        }
                    }
                    "ValidatingAdmissionPolicyBinding" => {
                        if let Some(s) = typed!(VapBindingSpec) {
                            bindings.push((o, s));
                        }
                    }
                    _ => {}
                }
            }
        }
        for (binding, binding_spec) in bindings {
            let denies = binding_spec.validation_actions.iter().any(|a| a == "Deny");
            if let (true, Some((policy, spec))) =
                (denies, vaps.get(binding_spec.policy_name.as_str()))
            {
                out.vaps.push(BoundPolicy {
                    policy,
                    binding,
                    spec: spec.clone(),
                    binding_spec,
                });
            }
        }
        out
    }

    /// What a Kyverno policy of the input does with a resource its rule rejects in `ns`:
    /// `Enforce` (blocked at admission) or `Audit` (admitted and reported): the
    /// namespace's override, else the rule's `validate.failureAction`, else the policy's
    /// `validationFailureAction`, else Kyverno's default, `Audit` (a rule reported as
    /// `autogen-<rule>` is `<rule>`). `policy` is the name a
    /// policy report gives (`name` for a ClusterPolicy, `namespace/name` or `name` for a
    /// Policy); `rule` None takes the policy's own action. None when no such policy is in
    /// the input.
    pub fn kyverno_action(
        &self,
        policy: &str,
        rule: Option<&str>,
        ns: &Namespace,
    ) -> Option<&'static str> {
        let (_, spec) = self.kyverno.iter().find(|(o, _)| {
            let own_ns = o.meta.namespace.as_deref();
            match (o.kind.as_str(), policy.split_once('/')) {
                ("Policy", Some((pns, name))) => own_ns == Some(pns) && o.meta.name == name,
                ("Policy", None) => o.meta.name == policy && own_ns == Some(ns.name.as_str()),
                (_, _) => o.meta.name == policy,
            }
        })?;
        // Kyverno reports a Pod rule applied to a Deployment or CronJob under the name it
        // generated for it: `autogen-<rule>`, `autogen-cronjob-<rule>`.
        let rule = rule.map(|r| {
            r.strip_prefix("autogen-cronjob-")
                .or_else(|| r.strip_prefix("autogen-"))
                .unwrap_or(r)
        });
        let validate = rule
            .and_then(|r| spec.rules.iter().find(|k| k.name == r))
            .and_then(|k| k.validate.as_ref());
        let overrides = match validate {
            Some(v) if !v.failure_action_overrides.is_empty() => &v.failure_action_overrides,
            _ => &spec.validation_failure_action_overrides,
        };
        let action = overrides
            .iter()
            .find(|o| o.applies(ns))
            .map(|o| o.action.as_str())
            .or(validate.and_then(|v| v.failure_action.as_deref()))
            .or(spec.validation_failure_action.as_deref())
            .unwrap_or("Audit");
        Some(match action.eq_ignore_ascii_case("enforce") {
            true => "Enforce",
            false => "Audit",
        })
    }

    /// The Pod Security baseline controls enforced in `ns`, and by what.
    pub fn pod_security(&self, ns: &Namespace, namespace_object: Option<&Object>) -> PodSecurity {
        let mut found = PodSecurity::default();
        if let Some(level) = ns.labels.get(ENFORCE_LABEL)
            && matches!(level.as_str(), "baseline" | "restricted")
        {
            let enforcer = Enforcer {
                by: format!("Pod Security Admission label {ENFORCE_LABEL}={level}"),
                evidence: namespace_object
                    .map(|o| o.evidence.clone())
                    .unwrap_or_default(),
            };
            for c in Control::BASELINE {
                found.add(c, &enforcer);
            }
        }
        for (object, spec) in &self.kyverno {
            for rule in spec.enforcing_rules(object, ns) {
                let Some(ps) = rule.validate.as_ref().and_then(|v| v.pod_security.as_ref()) else {
                    continue;
                };
                if !matches!(ps.level.as_str(), "baseline" | "restricted") {
                    continue;
                }
                let enforcer = kyverno_enforcer(object, rule, Some(&ps.level));
                for c in Control::BASELINE {
                    let excluded: Vec<&PodSecurityExclude> = ps
                        .exclude
                        .iter()
                        .filter(|e| Control::from_name(&e.control_name) == Some(c))
                        .collect();
                    if excluded.iter().any(|e| e.images.is_empty()) {
                        continue;
                    }
                    for e in excluded {
                        found.exemptions.push(format!(
                            "{} exempts {} for images {}",
                            enforcer.by,
                            c.name(),
                            e.images.join(", ")
                        ));
                    }
                    found.add(c, &enforcer);
                }
            }
        }
        for (object, spec) in &self.gatekeeper {
            if !spec.denies() || !spec.covers(ns) {
                continue;
            }
            let enforcer = Enforcer {
                by: format!("Gatekeeper {} {}", object.kind, object.meta.name),
                evidence: object.evidence.clone(),
            };
            for c in Control::BASELINE {
                if c.gatekeeper_kinds().contains(&object.kind.as_str()) {
                    found.add(c, &enforcer);
                }
            }
        }
        for bound in self.vaps.iter().filter(|b| b.covers(ns)) {
            let text = bound.spec.expressions();
            let enforcer = bound.enforcer();
            for c in Control::BASELINE {
                if c.cel_terms()
                    .iter()
                    .all(|group| group.iter().any(|t| text.contains(t)))
                {
                    found.add(c, &enforcer);
                }
            }
        }
        found
    }

    /// What requires `readOnlyRootFilesystem` in `ns`.
    pub fn read_only_root(&self, ns: &Namespace) -> Vec<Enforcer> {
        let mut found = Vec::new();
        for (object, spec) in &self.kyverno {
            for rule in spec.enforcing_rules(object, ns) {
                if rule
                    .validate
                    .as_ref()
                    .is_some_and(Validate::requires_read_only_root)
                {
                    found.push(kyverno_enforcer(object, rule, None));
                }
            }
        }
        for (object, spec) in &self.gatekeeper {
            if object.kind == "K8sPSPReadOnlyRootFilesystem" && spec.denies() && spec.covers(ns) {
                found.push(Enforcer {
                    by: format!("Gatekeeper {} {}", object.kind, object.meta.name),
                    evidence: object.evidence.clone(),
                });
            }
        }
        for bound in self.vaps.iter().filter(|b| b.covers(ns)) {
            if bound.spec.expressions().contains("readOnlyRootFilesystem") {
                found.push(bound.enforcer());
            }
        }
        found.sort();
        found.dedup();
        found
    }
}

fn kyverno_enforcer(object: &Object, rule: &KyvernoRule, level: Option<&str>) -> Enforcer {
    let level = level
        .map(|l| format!(" (podSecurity level {l})"))
        .unwrap_or_default();
    Enforcer {
        by: format!(
            "Kyverno {} {}, rule {}{level}",
            object.kind,
            object.display_name().split_once(' ').map_or("", |(_, n)| n),
            rule.name
        ),
        evidence: object.evidence.clone(),
    }
}

/// Kinds whose pods a rule or constraint matching them governs.
fn governs_pods(kind: &str) -> bool {
    let kind = kind.rsplit('/').next().unwrap_or(kind);
    matches!(
        kind,
        "*" | "Pod" | "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob"
    )
}

// Kyverno

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct KyvernoSpec {
    #[serde(deserialize_with = "lenient_opt_string")]
    validation_failure_action: Option<String>,
    validation_failure_action_overrides: Vec<ActionOverride>,
    rules: Vec<KyvernoRule>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ActionOverride {
    #[serde(deserialize_with = "lenient_string")]
    action: String,
    namespaces: Vec<String>,
    namespace_selector: Option<LabelSelector>,
}

impl ActionOverride {
    fn applies(&self, ns: &Namespace) -> bool {
        self.namespaces.iter().any(|p| glob(p, &ns.name))
            || self
                .namespace_selector
                .as_ref()
                .is_some_and(|s| !s.is_empty() && s.matches(&ns.labels))
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct KyvernoRule {
    #[serde(deserialize_with = "lenient_string")]
    name: String,
    #[serde(rename = "match")]
    match_: MatchBlock,
    exclude: Option<MatchBlock>,
    validate: Option<Validate>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct MatchBlock {
    any: Vec<Filter>,
    all: Vec<Filter>,
    /// The pre-1.5 form: one filter, no `any`/`all`.
    resources: Option<ResourceDescription>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Filter {
    resources: ResourceDescription,
    subjects: Vec<Value>,
    roles: Vec<String>,
    cluster_roles: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ResourceDescription {
    kinds: Vec<String>,
    namespaces: Vec<String>,
    namespace_selector: Option<LabelSelector>,
    selector: Option<LabelSelector>,
}

impl Filter {
    fn restricts_requesters(&self) -> bool {
        !(self.subjects.is_empty() && self.roles.is_empty() && self.cluster_roles.is_empty())
    }

    /// Every pod of the namespace falls under this filter.
    fn covers(&self, ns: &Namespace) -> bool {
        let r = &self.resources;
        r.kinds.iter().any(|k| governs_pods(k))
            && (r.namespaces.is_empty() || r.namespaces.iter().any(|p| glob(p, &ns.name)))
            && r.namespace_selector
                .as_ref()
                .is_none_or(|s| s.matches(&ns.labels))
            && r.selector.as_ref().is_none_or(LabelSelector::is_empty)
            && !self.restricts_requesters()
    }

    /// This filter, in an `exclude`, takes the whole namespace out.
    fn excludes(&self, ns: &Namespace) -> bool {
        let r = &self.resources;
        let names_it = r.namespaces.iter().any(|p| glob(p, &ns.name))
            || r.namespace_selector
                .as_ref()
                .is_some_and(|s| !s.is_empty() && s.matches(&ns.labels));
        (r.kinds.is_empty() || r.kinds.iter().any(|k| governs_pods(k)))
            && names_it
            && !self.restricts_requesters()
    }
}

impl MatchBlock {
    fn filters(&self) -> (Vec<Filter>, bool) {
        match &self.resources {
            Some(r) if self.any.is_empty() && self.all.is_empty() => (
                vec![Filter {
                    resources: r.clone(),
                    ..Default::default()
                }],
                false,
            ),
            _ if !self.all.is_empty() => (self.all.clone(), true),
            _ => (self.any.clone(), false),
        }
    }

    fn covers(&self, ns: &Namespace) -> bool {
        let (filters, all) = self.filters();
        if filters.is_empty() {
            return false;
        }
        if all {
            filters.iter().all(|f| f.covers(ns))
        } else {
            filters.iter().any(|f| f.covers(ns))
        }
    }

    fn excludes(&self, ns: &Namespace) -> bool {
        let (filters, all) = self.filters();
        if filters.is_empty() {
            return false;
        }
        if all {
            filters.iter().all(|f| f.excludes(ns))
        } else {
            filters.iter().any(|f| f.excludes(ns))
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Validate {
    #[serde(deserialize_with = "lenient_opt_string")]
    failure_action: Option<String>,
    failure_action_overrides: Vec<ActionOverride>,
    pod_security: Option<PodSecurityRule>,
    pattern: Option<Value>,
    any_pattern: Option<Value>,
    deny: Option<Value>,
    cel: Option<Value>,
    foreach: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PodSecurityRule {
    #[serde(deserialize_with = "lenient_string")]
    level: String,
    exclude: Vec<PodSecurityExclude>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PodSecurityExclude {
    #[serde(deserialize_with = "lenient_string")]
    control_name: String,
    images: Vec<String>,
}

impl Validate {
    fn requires_read_only_root(&self) -> bool {
        [&self.pattern, &self.any_pattern, &self.foreach]
            .into_iter()
            .flatten()
            .any(pattern_requires_read_only_root)
            || [&self.deny, &self.cel]
                .into_iter()
                .flatten()
                .any(|v| mentions(v, "readOnlyRootFilesystem"))
    }
}

/// A pattern requires the field when it names it plainly (not in a `=()` conditional
/// anchor) with the value true.
fn pattern_requires_read_only_root(v: &Value) -> bool {
    match v {
        Value::Object(map) => map.iter().any(|(k, v)| {
            (k == "readOnlyRootFilesystem"
                && (v == &Value::Bool(true) || v.as_str() == Some("true")))
                || pattern_requires_read_only_root(v)
        }),
        Value::Array(items) => items.iter().any(pattern_requires_read_only_root),
        _ => false,
    }
}

fn mentions(v: &Value, word: &str) -> bool {
    match v {
        Value::String(s) => s.contains(word),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains(word) || mentions(v, word)),
        Value::Array(items) => items.iter().any(|i| mentions(i, word)),
        _ => false,
    }
}

impl KyvernoSpec {
    /// Rules that apply to every pod of `ns` and block what they reject there.
    fn enforcing_rules<'s>(&'s self, object: &Object, ns: &Namespace) -> Vec<&'s KyvernoRule> {
        if object.kind == "Policy" && object.meta.namespace.as_deref() != Some(ns.name.as_str()) {
            return Vec::new();
        }
        self.rules
            .iter()
            .filter(|rule| {
                let validate = rule.validate.as_ref();
                let overrides = match validate {
                    Some(v) if !v.failure_action_overrides.is_empty() => {
                        &v.failure_action_overrides
                    }
                    _ => &self.validation_failure_action_overrides,
                };
                let action = overrides
                    .iter()
                    .find(|o| o.applies(ns))
                    .map(|o| o.action.as_str())
                    .or(validate.and_then(|v| v.failure_action.as_deref()))
                    .or(self.validation_failure_action.as_deref())
                    .unwrap_or("Audit");
                action.eq_ignore_ascii_case("enforce")
                    && rule.match_.covers(ns)
                    && !rule.exclude.as_ref().is_some_and(|e| e.excludes(ns))
            })
            .collect()
    }
}

// Gatekeeper

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ConstraintSpec {
    #[serde(deserialize_with = "lenient_opt_string")]
    enforcement_action: Option<String>,
    scoped_enforcement_actions: Vec<ScopedAction>,
    #[serde(rename = "match")]
    match_: ConstraintMatch,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ScopedAction {
    #[serde(deserialize_with = "lenient_string")]
    action: String,
    enforcement_points: Vec<EnforcementPoint>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct EnforcementPoint {
    #[serde(deserialize_with = "lenient_string")]
    name: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ConstraintMatch {
    kinds: Vec<ConstraintKinds>,
    namespaces: Vec<String>,
    excluded_namespaces: Vec<String>,
    namespace_selector: Option<LabelSelector>,
    label_selector: Option<LabelSelector>,
    #[serde(deserialize_with = "lenient_opt_string")]
    scope: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ConstraintKinds {
    kinds: Vec<String>,
}

impl ConstraintSpec {
    fn denies(&self) -> bool {
        match self
            .enforcement_action
            .as_deref()
            .map(str::to_ascii_lowercase)
        {
            None => true,
            Some(a) if a == "deny" => true,
            Some(a) if a == "scoped" => self.scoped_enforcement_actions.iter().any(|s| {
                s.action.eq_ignore_ascii_case("deny")
                    && (s.enforcement_points.is_empty()
                        || s.enforcement_points
                            .iter()
                            .any(|p| p.name == "*" || p.name == "validation.gatekeeper.sh"))
            }),
            Some(_) => false,
        }
    }

    fn covers(&self, ns: &Namespace) -> bool {
        let m = &self.match_;
        (m.kinds.is_empty()
            || m.kinds
                .iter()
                .any(|k| k.kinds.iter().any(|k| governs_pods(k))))
            && (m.namespaces.is_empty() || m.namespaces.iter().any(|p| glob(p, &ns.name)))
            && !m.excluded_namespaces.iter().any(|p| glob(p, &ns.name))
            && m.namespace_selector
                .as_ref()
                .is_none_or(|s| s.matches(&ns.labels))
            && m.label_selector
                .as_ref()
                .is_none_or(LabelSelector::is_empty)
            && m.scope.as_deref() != Some("Cluster")
    }
}

// ValidatingAdmissionPolicy

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct VapSpec {
    match_constraints: Option<MatchResources>,
    validations: Vec<Validation>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Validation {
    #[serde(deserialize_with = "lenient_string")]
    expression: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct VapBindingSpec {
    #[serde(deserialize_with = "lenient_string")]
    policy_name: String,
    validation_actions: Vec<String>,
    match_resources: Option<MatchResources>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct MatchResources {
    namespace_selector: Option<LabelSelector>,
    object_selector: Option<LabelSelector>,
    resource_rules: Vec<ResourceRule>,
    exclude_resource_rules: Vec<ResourceRule>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ResourceRule {
    resources: Vec<String>,
    operations: Vec<String>,
}

impl ResourceRule {
    fn takes_pods(&self) -> bool {
        self.resources.iter().any(|r| {
            matches!(
                r.as_str(),
                "*" | "pods"
                    | "deployments"
                    | "statefulsets"
                    | "daemonsets"
                    | "replicasets"
                    | "jobs"
                    | "cronjobs"
            )
        }) && (self.operations.is_empty()
            || self.operations.iter().any(|o| o == "*" || o == "CREATE"))
    }
}

impl MatchResources {
    /// Whether pods of `ns` fall under these constraints; `require_rules`: an empty rule
    /// list matches nothing (a policy's own constraints) rather than everything (a
    /// binding's narrowing).
    fn covers(&self, ns: &Namespace, require_rules: bool) -> bool {
        self.namespace_selector
            .as_ref()
            .is_none_or(|s| s.matches(&ns.labels))
            && self
                .object_selector
                .as_ref()
                .is_none_or(LabelSelector::is_empty)
            && if self.resource_rules.is_empty() {
                !require_rules
            } else {
                self.resource_rules.iter().any(ResourceRule::takes_pods)
            }
            && !self
                .exclude_resource_rules
                .iter()
                .any(|r| r.resources.iter().any(|x| x == "*" || x == "pods"))
    }
}

impl VapSpec {
    fn expressions(&self) -> String {
        self.validations
            .iter()
            .map(|v| v.expression.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl BoundPolicy<'_> {
    fn covers(&self, ns: &Namespace) -> bool {
        self.spec
            .match_constraints
            .as_ref()
            .is_some_and(|m| m.covers(ns, true))
            && self
                .binding_spec
                .match_resources
                .as_ref()
                .is_none_or(|m| m.covers(ns, false))
    }

    fn enforcer(&self) -> Enforcer {
        Enforcer {
            by: format!(
                "ValidatingAdmissionPolicy {} bound by {} (Deny)",
                self.policy.meta.name, self.binding.meta.name
            ),
            evidence: self.policy.evidence.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("kube-*", "kube-system"));
        assert!(glob("*-system", "gatekeeper-system"));
        assert!(glob("team-?", "team-a"));
        assert!(!glob("team-?", "team-ab"));
        assert!(glob("*", ""));
        assert!(!glob("shop", "shop-2"));
    }

    #[test]
    fn read_only_root_patterns() {
        let yes = serde_json::json!({"spec": {"containers": [{"securityContext": {"readOnlyRootFilesystem": true}}]}});
        let anchored = serde_json::json!({"spec": {"containers": [{"securityContext": {"=(readOnlyRootFilesystem)": true}}]}});
        let no = serde_json::json!({"spec": {"containers": [{"securityContext": {"readOnlyRootFilesystem": false}}]}});
        assert!(pattern_requires_read_only_root(&yes));
        assert!(!pattern_requires_read_only_root(&anchored));
        assert!(!pattern_requires_read_only_root(&no));
    }
}
