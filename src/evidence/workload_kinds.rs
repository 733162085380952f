//! The workload kinds: one table of which objects run containers, and how.
//!
//! A row per API group and kind says where the pod spec is (a pod template, or the pod spec
//! itself for a Pod), which images an operator-managed kind names without a pod template
//! (the Prometheus operator's `spec.image` and `spec.version`), whether its controller
//! replaces pods, updates them in place or leaves them until deleted (and which strategy
//! field and values say so), and whether it is assessed through its controlling owner. The
//! snapshot facts, the live collector, the history walk and the checks all read this table,
//! so a kind added here (or in the config's `workload-kinds`) is a workload everywhere.
//!
//! The built-in rows are [`builtin`]; a run installs the config's rows once with [`install`]
//! (a row for a group and kind the table has replaces it), and every reader takes the
//! result from [`table`]. The table is run configuration, like the check registry: reading
//! it from one place keeps the three collectors from drifting apart.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, RwLock};

use serde::{Deserialize, Serialize};

/// A JSON pointer (RFC 6901) into an object: `/spec/template`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Pointer(String);

impl Pointer {
    /// Checks `text` is a pointer to a field: a `/` before every segment, no empty segment,
    /// `~` only as `~0` or `~1`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            Err(format!(
                "`{text}` is not a JSON pointer to a field ({why}): write it as `/spec/template`"
            ))
        };
        let Some(rest) = text.strip_prefix('/') else {
            return bad("it must start with `/`");
        };
        for segment in rest.split('/') {
            if segment.is_empty() {
                return bad("it has an empty segment");
            }
            let mut chars = segment.chars();
            while let Some(c) = chars.next() {
                if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                    return bad("`~` must be written `~0`, `/` as `~1`");
                }
            }
        }
        Ok(Pointer(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The field names along the pointer, unescaped.
    pub fn segments(&self) -> impl Iterator<Item = String> + '_ {
        self.0[1..]
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
    }

    /// The path as Kubernetes names fields in errors: `spec.template.spec`.
    pub fn dotted(&self) -> String {
        self.segments().collect::<Vec<_>>().join(".")
    }

    /// This pointer with `tail` (`/spec`) appended.
    pub fn join(&self, tail: &str) -> Pointer {
        Pointer(format!("{}{tail}", self.0))
    }
}

impl<'de> Deserialize<'de> for Pointer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Pointer::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn ptr(text: &str) -> Pointer {
    Pointer::parse(text).expect("built-in pointers are valid")
}

/// What a controller does to running pods when the template changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateMode {
    /// New pods replace the old ones (rolling update, recreate, canary, blue-green).
    #[default]
    Replace,
    /// Running pods are changed in place: containers restart with the new image in the
    /// same pod.
    InPlace,
    /// Pods keep the old spec until someone deletes them.
    OnDelete,
    /// Nothing replaces the pods (a ReplicaSet without its Deployment).
    Never,
    /// A bare Pod: nothing replaces it, and its image can be changed in place.
    Bare,
    /// Runs to completion: each run starts new pods.
    RunToCompletion,
    /// An operator renders a workload of its own (a StatefulSet) from the object; that
    /// workload is what is judged.
    Operator,
}

/// A field that selects the update strategy, and what its values mean.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StrategyField {
    pub field: Pointer,
    /// The value the API server defaults the field to when it is unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Defaults that differ by API version (`apps/v1beta1` StatefulSets defaulted to
    /// `OnDelete`), keyed by the version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_by_version: BTreeMap<String, String>,
    /// Each value the field takes, and what it means; any other value is an error.
    pub values: BTreeMap<String, UpdateMode>,
}

/// How a kind updates its pods.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Update {
    /// What happens when no field says otherwise.
    #[serde(default)]
    pub mode: UpdateMode,
    /// Strategy fields, read in order: the first whose value does not mean `replace`
    /// decides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<StrategyField>,
    /// A partition holding back part of a rolling update (pods that keep the old template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Pointer>,
}

/// An image an operator-managed kind names outside any pod template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ImageSource {
    /// The container the operator runs it as, which names the finding and the history slot.
    pub container: String,
    /// The image field (`/spec/image`).
    pub image: Pointer,
    /// A version field (`/spec/version`) the operator uses as the tag when the image has
    /// none, or when there is no image field (then the operator's default repository
    /// applies, which the object does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Pointer>,
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRow", into = "RawRow")]
pub struct WorkloadKind {
    /// API group; empty for the core group.
    pub group: String,
    pub kind: String,
    /// Versions listed live, preferred first.
    pub versions: Vec<String>,
    /// The resource name in API paths; empty for a row never listed (a legacy group).
    pub plural: String,
    pub namespaced: bool,
    /// Where the pod spec is: `/spec/template/spec`, or `/spec` for a Pod.
    pub pod_spec: Option<Pointer>,
    /// A reference to another object whose pod template runs instead (Argo Rollouts'
    /// `spec.workloadRef`), used when there is no pod template.
    pub template_ref: Option<Pointer>,
    /// Images named outside a pod template (operator-managed kinds).
    pub images: Vec<ImageSource>,
    /// A list of containers merged by name over the operator's own (`/spec/containers`):
    /// one named like an [`ImageSource`] replaces its image, others run beside it.
    pub containers: Option<Pointer>,
    pub update: Update,
    /// Assessed through its controlling owner when that is in the input (Pods, ReplicaSets,
    /// Jobs).
    pub through_owner: bool,
    /// Served by every Kubernetes release evidencer supports: an input without it is a gap
    /// the report's coverage shows.
    pub always_served: bool,
}

impl WorkloadKind {
    /// `Deployment (apps)`, `CloneSet (apps.kruise.io)`: how messages name the row.
    pub fn label(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{} ({})", self.kind, self.group)
        }
    }

    /// Whether the kind's objects have containers the per-container checks read.
    pub fn has_pod_spec(&self) -> bool {
        self.pod_spec.is_some()
    }

    /// Whether the kind names images only (an operator's custom resource).
    pub fn images_only(&self) -> bool {
        self.pod_spec.is_none() && !self.images.is_empty()
    }
}

/// A row as written in the config file (and as `--dump-config` prints it).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRow {
    #[serde(default)]
    group: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    versions: Vec<String>,
    #[serde(default)]
    plural: String,
    #[serde(default = "yes")]
    namespaced: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pod_template: Option<Pointer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pod_spec: Option<Pointer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    template_ref: Option<Pointer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    images: Vec<ImageSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    containers: Option<Pointer>,
    #[serde(default)]
    update: Update,
    #[serde(default)]
    through_owner: bool,
}

fn yes() -> bool {
    true
}

impl TryFrom<RawRow> for WorkloadKind {
    type Error = String;

    fn try_from(raw: RawRow) -> Result<Self, String> {
        let name = if raw.group.is_empty() {
            raw.kind.clone()
        } else {
            format!("{}/{}", raw.group, raw.kind)
        };
        if raw.kind.is_empty() || !raw.kind.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Err(format!(
                "workload kind `{}`: a kind is written as the API names it (`CloneSet`)",
                raw.kind
            ));
        }
        let mut versions = raw.versions;
        if let Some(v) = raw.version {
            versions.insert(0, v);
        }
        if versions.is_empty() {
            return Err(format!(
                "workload kind {name}: `versions` is missing (the API versions to list, preferred first)"
            ));
        }
        if raw.plural.is_empty()
            || !raw
                .plural
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!(
                "workload kind {name}: `plural` must be the lower-case resource name of its API paths (`clonesets`)"
            ));
        }
        let pod_spec = match (raw.pod_template, raw.pod_spec) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "workload kind {name}: give `pod-template` or `pod-spec`, not both"
                ));
            }
            (Some(template), None) => Some(template.join("/spec")),
            (None, spec) => spec,
        };
        if pod_spec.is_none() && raw.images.is_empty() && raw.template_ref.is_none() {
            return Err(format!(
                "workload kind {name}: say where its containers are: `pod-template`, `pod-spec` or `images`"
            ));
        }
        for field in &raw.update.fields {
            if field.values.is_empty() {
                return Err(format!(
                    "workload kind {name}: update field {} lists no `values`",
                    field.field.as_str()
                ));
            }
        }
        Ok(WorkloadKind {
            group: raw.group,
            kind: raw.kind,
            versions,
            plural: raw.plural,
            namespaced: raw.namespaced,
            pod_spec,
            template_ref: raw.template_ref,
            images: raw.images,
            containers: raw.containers,
            update: raw.update,
            through_owner: raw.through_owner,
            always_served: false,
        })
    }
}

impl From<WorkloadKind> for RawRow {
    fn from(row: WorkloadKind) -> RawRow {
        RawRow {
            group: row.group,
            kind: row.kind,
            version: None,
            versions: row.versions,
            plural: row.plural,
            namespaced: row.namespaced,
            pod_template: None,
            pod_spec: row.pod_spec,
            template_ref: row.template_ref,
            images: row.images,
            containers: row.containers,
            update: row.update,
            through_owner: row.through_owner,
        }
    }
}

/// The table: built-in rows, then the config's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<WorkloadKind>,
}

impl Table {
    /// The built-in rows with `extra` over them: a row for a group and kind the table has
    /// replaces it, a new one is added at the end.
    pub fn with(extra: &[WorkloadKind]) -> Table {
        let mut rows = builtin().to_vec();
        for row in extra {
            match rows
                .iter_mut()
                .find(|r| r.group == row.group && r.kind == row.kind)
            {
                Some(r) => *r = row.clone(),
                None => rows.push(row.clone()),
            }
        }
        Table { rows }
    }

    /// The row of an object's `apiVersion` and kind. An object without an apiVersion (a
    /// hand-written fragment) takes the first row of its kind, the built-in one.
    pub fn find(&self, api_version: &str, kind: &str) -> Option<&WorkloadKind> {
        if api_version.is_empty() {
            return self.rows.iter().find(|r| r.kind == kind);
        }
        let group = api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
        self.rows
            .iter()
            .find(|r| r.kind == kind && r.group == group)
    }

    /// The kind names of the table, each once, in table order.
    pub fn kind_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for row in &self.rows {
            if !names.contains(&row.kind.as_str()) {
                names.push(&row.kind);
            }
        }
        names
    }

    /// The rows the config added (not built in), which the live collector lists beside
    /// [`crate::evidence::kinds::KINDS`].
    pub fn added(&self) -> impl Iterator<Item = &WorkloadKind> {
        let builtin = builtin();
        self.rows.iter().filter(move |r| {
            !builtin
                .iter()
                .any(|b| b.group == r.group && b.kind == r.kind)
        })
    }
}

static INSTALLED: LazyLock<RwLock<Arc<Table>>> =
    LazyLock::new(|| RwLock::new(Arc::new(Table::with(&[]))));

/// Makes the built-in rows plus `extra` the table of this run.
pub fn install(extra: &[WorkloadKind]) {
    let table = Arc::new(Table::with(extra));
    *INSTALLED.write().unwrap_or_else(|e| e.into_inner()) = table;
}

/// The table of this run: the built-in rows unless [`install`] added some.
pub fn table() -> Arc<Table> {
    INSTALLED.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The built-in rows.
pub fn builtin() -> &'static [WorkloadKind] {
    static ROWS: LazyLock<Vec<WorkloadKind>> = LazyLock::new(builtin_rows);
    &ROWS
}

fn row(group: &str, kind: &str, versions: &[&str], plural: &str) -> WorkloadKind {
    WorkloadKind {
        group: group.into(),
        kind: kind.into(),
        versions: versions.iter().map(|v| v.to_string()).collect(),
        plural: plural.into(),
        namespaced: true,
        pod_spec: Some(ptr("/spec/template/spec")),
        template_ref: None,
        images: Vec::new(),
        containers: None,
        update: Update::default(),
        through_owner: false,
        always_served: false,
    }
}

fn field(pointer: &str, default: &str, values: &[(&str, UpdateMode)]) -> StrategyField {
    StrategyField {
        field: ptr(pointer),
        default: Some(default.into()),
        default_by_version: BTreeMap::new(),
        values: values.iter().map(|(v, m)| (v.to_string(), *m)).collect(),
    }
}

fn mode(mode: UpdateMode) -> Update {
    Update {
        mode,
        ..Update::default()
    }
}

fn builtin_rows() -> Vec<WorkloadKind> {
    use UpdateMode::*;
    let rolling_or_on_delete = [("RollingUpdate", Replace), ("OnDelete", OnDelete)];
    let strategy = |pointer: &str, default: &str, values: &[(&str, UpdateMode)]| Update {
        mode: Replace,
        fields: vec![field(pointer, default, values)],
        partition: None,
    };
    let deployment_update = strategy(
        "/spec/strategy/type",
        "RollingUpdate",
        &[("RollingUpdate", Replace), ("Recreate", Replace)],
    );
    let mut statefulset_update = strategy(
        "/spec/updateStrategy/type",
        "RollingUpdate",
        &rolling_or_on_delete,
    );
    statefulset_update.partition = Some(ptr("/spec/updateStrategy/rollingUpdate/partition"));
    // Before apps/v1, StatefulSets (apps/v1beta1) defaulted to OnDelete.
    statefulset_update.fields[0]
        .default_by_version
        .insert("v1beta1".into(), "OnDelete".into());
    let daemonset_update = strategy(
        "/spec/updateStrategy/type",
        "RollingUpdate",
        &rolling_or_on_delete,
    );

    let mut rows = vec![
        WorkloadKind {
            update: deployment_update.clone(),
            ..row("apps", "Deployment", &["v1"], "deployments")
        },
        WorkloadKind {
            update: statefulset_update.clone(),
            ..row("apps", "StatefulSet", &["v1"], "statefulsets")
        },
        WorkloadKind {
            update: daemonset_update.clone(),
            ..row("apps", "DaemonSet", &["v1"], "daemonsets")
        },
        WorkloadKind {
            update: mode(Never),
            through_owner: true,
            ..row("apps", "ReplicaSet", &["v1"], "replicasets")
        },
        WorkloadKind {
            update: mode(RunToCompletion),
            through_owner: true,
            ..row("batch", "Job", &["v1"], "jobs")
        },
        WorkloadKind {
            pod_spec: Some(ptr("/spec/jobTemplate/spec/template/spec")),
            update: mode(RunToCompletion),
            ..row("batch", "CronJob", &["v1"], "cronjobs")
        },
        WorkloadKind {
            pod_spec: Some(ptr("/spec")),
            update: mode(Bare),
            through_owner: true,
            ..row("", "Pod", &["v1"], "pods")
        },
    ];
    for r in &mut rows {
        r.always_served = true;
    }
    // The pre-apps/v1 group (removed in Kubernetes 1.16) still appears in old manifests:
    // judged, never listed. Its DaemonSets defaulted to OnDelete.
    let mut legacy_daemonset = daemonset_update;
    legacy_daemonset.fields[0].default = Some("OnDelete".into());
    rows.extend([
        WorkloadKind {
            update: deployment_update,
            ..row("extensions", "Deployment", &["v1beta1"], "")
        },
        WorkloadKind {
            update: legacy_daemonset,
            ..row("extensions", "DaemonSet", &["v1beta1"], "")
        },
        WorkloadKind {
            update: mode(Never),
            through_owner: true,
            ..row("extensions", "ReplicaSet", &["v1beta1"], "")
        },
    ]);

    // Argo Rollouts: a Deployment's fields with canary or blue-green steps, which replace
    // pods; or `spec.workloadRef` naming a Deployment whose template runs instead.
    rows.push(WorkloadKind {
        template_ref: Some(ptr("/spec/workloadRef")),
        update: mode(Replace),
        ..row("argoproj.io", "Rollout", &["v1alpha1"], "rollouts")
    });

    // OpenKruise. CloneSet: `updateStrategy.type` ReCreate (the default) replaces pods,
    // InPlaceIfPossible and InPlaceOnly update them in place.
    let in_place_or_recreate = [
        ("ReCreate", Replace),
        ("InPlaceIfPossible", InPlace),
        ("InPlaceOnly", InPlace),
    ];
    rows.push(WorkloadKind {
        update: Update {
            mode: Replace,
            fields: vec![field(
                "/spec/updateStrategy/type",
                "ReCreate",
                &in_place_or_recreate,
            )],
            partition: Some(ptr("/spec/updateStrategy/partition")),
        },
        ..row("apps.kruise.io", "CloneSet", &["v1alpha1"], "clonesets")
    });
    // Advanced StatefulSet: a StatefulSet's strategy, plus
    // `rollingUpdate.podUpdatePolicy` (ReCreate by default, or in place).
    rows.push(WorkloadKind {
        update: Update {
            mode: Replace,
            fields: vec![
                field(
                    "/spec/updateStrategy/type",
                    "RollingUpdate",
                    &rolling_or_on_delete,
                ),
                field(
                    "/spec/updateStrategy/rollingUpdate/podUpdatePolicy",
                    "ReCreate",
                    &in_place_or_recreate,
                ),
            ],
            partition: Some(ptr("/spec/updateStrategy/rollingUpdate/partition")),
        },
        ..row(
            "apps.kruise.io",
            "StatefulSet",
            &["v1beta1", "v1alpha1"],
            "statefulsets",
        )
    });
    // Advanced DaemonSet: a DaemonSet's strategy, plus `rollingUpdate.rollingUpdateType` (so
    // named in its API, not `type`): Standard (the default) and Surging (older releases)
    // replace pods, InPlaceIfPossible updates them in place.
    rows.push(WorkloadKind {
        update: Update {
            mode: Replace,
            fields: vec![
                field(
                    "/spec/updateStrategy/type",
                    "RollingUpdate",
                    &rolling_or_on_delete,
                ),
                field(
                    "/spec/updateStrategy/rollingUpdate/rollingUpdateType",
                    "Standard",
                    &[
                        ("Standard", Replace),
                        ("Surging", Replace),
                        ("InPlaceIfPossible", InPlace),
                    ],
                ),
            ],
            partition: Some(ptr("/spec/updateStrategy/rollingUpdate/partition")),
        },
        ..row("apps.kruise.io", "DaemonSet", &["v1alpha1"], "daemonsets")
    });

    // The Prometheus operator renders a StatefulSet from each of these; the object names
    // the main image in `spec.image` and the version in `spec.version` (the tag when the
    // image has none). Without `spec.image` the operator runs its own default image for
    // the version, which the object does not name. `spec.containers` is merged by name
    // over the containers the operator generates.
    for (kind, plural, container) in [
        ("Prometheus", "prometheuses", "prometheus"),
        ("Alertmanager", "alertmanagers", "alertmanager"),
        ("ThanosRuler", "thanosrulers", "thanos-ruler"),
    ] {
        rows.push(WorkloadKind {
            pod_spec: None,
            images: vec![ImageSource {
                container: container.into(),
                image: ptr("/spec/image"),
                tag: Some(ptr("/spec/version")),
            }],
            containers: Some(ptr("/spec/containers")),
            update: mode(Operator),
            ..row("monitoring.coreos.com", kind, &["v1"], plural)
        });
    }
    rows
}

/// The image an [`ImageSource`] names, from the image field's and the version field's
/// values: the image as written, the image with the version as its tag when it has no tag
/// or digest, or `:<version>` when only the version is given (the operator's default
/// repository, which the object does not name, applies).
pub fn source_image(image: Option<&str>, version: Option<&str>) -> Option<String> {
    let image = image.map(str::trim).filter(|i| !i.is_empty());
    let version = version.map(str::trim).filter(|v| !v.is_empty());
    match (image, version) {
        (Some(image), Some(version)) if !has_tag_or_digest(image) => {
            Some(format!("{image}:{version}"))
        }
        (Some(image), _) => Some(image.to_string()),
        (None, Some(version)) => Some(format!(":{version}")),
        (None, None) => None,
    }
}

/// Whether an image reference names a tag or digest (a `:` after the last `/`).
fn has_tag_or_digest(image: &str) -> bool {
    image.contains('@')
        || image
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique_by_group_and_kind_and_listed_ones_are_in_the_collectors_table() {
        let mut seen = std::collections::BTreeSet::new();
        for r in builtin() {
            assert!(seen.insert((&r.group, &r.kind)), "{} twice", r.label());
            if r.plural.is_empty() {
                continue;
            }
            let spec = crate::evidence::kinds::KINDS
                .iter()
                .find(|k| k.group == r.group && k.kind == r.kind)
                .unwrap_or_else(|| panic!("{} is not listed live", r.label()));
            assert_eq!(spec.plural, r.plural, "{}", r.label());
            assert_eq!(spec.version, r.versions[0], "{}", r.label());
            let required = spec.availability == crate::evidence::kinds::Availability::Required;
            assert_eq!(required, r.always_served, "{}", r.label());
        }
    }

    #[test]
    fn objects_find_their_row_by_group_and_kind() {
        let t = Table::with(&[]);
        assert_eq!(t.find("apps/v1", "StatefulSet").unwrap().group, "apps");
        let kruise = t.find("apps.kruise.io/v1beta1", "StatefulSet").unwrap();
        assert_eq!(kruise.update.fields.len(), 2);
        assert!(t.find("example.com/v1", "StatefulSet").is_none());
        assert_eq!(t.find("", "Pod").unwrap().pod_spec, Some(ptr("/spec")));
        assert!(
            t.find("monitoring.coreos.com/v1", "Prometheus")
                .unwrap()
                .images_only()
        );
        assert!(t.find("v1", "ConfigMap").is_none());
    }

    #[test]
    fn pointers_are_checked_and_read() {
        assert!(Pointer::parse("spec.template").is_err());
        assert!(Pointer::parse("/spec//template").is_err());
        assert!(Pointer::parse("/a~2b").is_err());
        let p = Pointer::parse("/metadata/annotations/a~1b").unwrap();
        assert_eq!(p.segments().last().unwrap(), "a/b");
        assert_eq!(ptr("/spec/template/spec").dotted(), "spec.template.spec");
    }

    #[test]
    fn operator_images_take_the_version_as_tag() {
        assert_eq!(
            source_image(Some("quay.io/prometheus/prometheus"), Some("v2.54.1")).as_deref(),
            Some("quay.io/prometheus/prometheus:v2.54.1")
        );
        assert_eq!(
            source_image(Some("registry:5000/prom:v3.0.0"), Some("v2")).as_deref(),
            Some("registry:5000/prom:v3.0.0")
        );
        assert_eq!(
            source_image(Some("registry:5000/prom"), Some("v3")).as_deref(),
            Some("registry:5000/prom:v3")
        );
        assert_eq!(
            source_image(None, Some("v2.54.1")).as_deref(),
            Some(":v2.54.1")
        );
        assert_eq!(source_image(Some(" "), None), None);
    }

    #[test]
    fn config_rows_replace_or_extend_the_table() {
        let extra: WorkloadKind = serde_json::from_value(serde_json::json!({
            "group": "example.com", "kind": "Widget", "version": "v1", "plural": "widgets",
            "pod-template": "/spec/template",
            "update": {"fields": [{"field": "/spec/strategy", "default": "Roll",
                                    "values": {"Roll": "replace", "Patch": "in-place"}}]}
        }))
        .unwrap();
        assert_eq!(extra.pod_spec, Some(ptr("/spec/template/spec")));
        let t = Table::with(std::slice::from_ref(&extra));
        assert_eq!(t.added().count(), 1);
        assert_eq!(t.find("example.com/v1", "Widget"), Some(&extra));
        for (bad, says) in [
            (
                serde_json::json!({"kind": "W", "versions": ["v1"], "plural": "ws", "podtemplate": "/x"}),
                "podtemplate",
            ),
            (
                serde_json::json!({"kind": "W", "versions": ["v1"], "plural": "ws", "pod-spec": "spec"}),
                "not a JSON pointer",
            ),
            (
                serde_json::json!({"kind": "W", "plural": "ws", "pod-spec": "/spec"}),
                "versions",
            ),
            (
                serde_json::json!({"kind": "W", "versions": ["v1"], "plural": "ws"}),
                "say where",
            ),
        ] {
            let err = serde_json::from_value::<WorkloadKind>(bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{err}");
        }
    }
}
