//! Synthetic kubectl snapshots for the report bench: a cluster of Nodes, controllers,
//! ReplicaSets and the Pods they own, written as `kubectl get -o json` Lists or as YAML.
//!
//! Everything is derived from a fixed seed, so two runs write the same bytes. The *compact*
//! shape holds what the checks read (about 1 KB an object); the *realistic* shape is shaped
//! on what an API server returns (managedFields, status with conditions and
//! containerStatuses, annotations including kubectl's last-applied-configuration), about
//! 8 KB an object. Some workloads carry bad settings so that every status a check can give
//! occurs in the report.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value, json};

/// How much detail each object carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Compact,
    Realistic,
}

/// How the objects are written to disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// One `List` per kind, each item compact JSON on a line of its own: the items as the
    /// API server sends them (`kubectl get --raw`), with lines to point at.
    JsonLines,
    /// `kubectl get KIND -A -o json`: one pretty-printed `List` per kind (4-space indent).
    JsonPretty,
    /// One multi-document YAML stream per kind (`---` between objects).
    YamlStream,
    /// `kubectl get KIND -A -o yaml`: one `List` document per kind.
    YamlList,
}

/// The size of the cluster to generate.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    /// Total objects, Pods making up what the others leave.
    pub objects: usize,
    pub nodes: usize,
    /// Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, bare Pods and orphan
    /// ReplicaSets together.
    pub workloads: usize,
    pub namespaces: usize,
}

impl Size {
    /// The cluster of the issue: 15,000 objects, 300 Nodes, 700 workloads.
    pub const FULL: Size = Size {
        objects: 15_000,
        nodes: 300,
        workloads: 700,
        namespaces: 20,
    };

    pub fn scaled(factor: f64) -> Size {
        let s = |n: usize, min: usize| ((n as f64 * factor).round() as usize).max(min);
        Size {
            objects: s(Self::FULL.objects, 60),
            nodes: s(Self::FULL.nodes, 3),
            workloads: s(Self::FULL.workloads, 20),
            namespaces: s(Self::FULL.namespaces, 2),
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
    pub objects: usize,
}

const NAMESPACES: [&str; 24] = [
    "payments",
    "checkout",
    "catalog",
    "search",
    "identity",
    "orders",
    "shipping",
    "billing",
    "notifications",
    "analytics",
    "recommendations",
    "inventory",
    "pricing",
    "reviews",
    "media",
    "gateway",
    "monitoring",
    "logging",
    "ingress-nginx",
    "cert-manager",
    "data-pipeline",
    "ml-serving",
    "backoffice",
    "kube-system",
];

const APPS: [&str; 16] = [
    "api",
    "web",
    "worker",
    "consumer",
    "scheduler",
    "gateway",
    "auth",
    "cache",
    "indexer",
    "exporter",
    "frontend",
    "backend",
    "sync",
    "processor",
    "router",
    "notifier",
];

const TRUSTED: [&str; 2] = ["registry.example.com/", "registry.k8s.io/"];

/// Registry prefixes the bench passes as `--trusted-registry`.
pub fn trusted_registries() -> Vec<String> {
    TRUSTED
        .iter()
        .map(|p| p.trim_end_matches('/').to_string())
        .collect()
}

/// splitmix64: small, fast and good enough to vary synthetic objects.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn hex(&mut self, digits: usize) -> String {
        let mut s = String::with_capacity(digits + 16);
        while s.len() < digits {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(digits);
        s
    }

    fn uid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..]
        )
    }

    fn suffix(&mut self, n: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n)
            .map(|_| ALPHABET[self.below(ALPHABET.len())] as char)
            .collect()
    }

    fn timestamp(&mut self) -> String {
        let month = 5 + self.below(4);
        let day = 1 + self.below(28);
        format!(
            "2026-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            self.below(24),
            self.below(60),
            self.below(60)
        )
    }
}

/// One container of a workload's pod template.
struct ContainerPlan {
    name: String,
    image: String,
    /// The digest the kubelet resolved the image to, for Pod status.
    resolved: String,
    security_context: Option<Value>,
    env: Vec<(String, String)>,
    args: Vec<String>,
    port: Option<u16>,
}

/// One workload and everything derived from it.
struct WorkloadPlan {
    kind: &'static str,
    api_version: &'static str,
    namespace: String,
    name: String,
    uid: String,
    labels: Map<String, Value>,
    created: String,
    init: Vec<ContainerPlan>,
    containers: Vec<ContainerPlan>,
    pod_security_context: Value,
    /// `spec.strategy` / `spec.updateStrategy`, when the kind has one.
    strategy: Option<Value>,
    replicas: usize,
    /// A pod template whose containers are not a list: unreadable, an `error` finding.
    malformed: bool,
}

fn image(rng: &mut Rng, app: &str, version: &str) -> (String, String) {
    let digest = rng.hex(64);
    let resolved = format!("sha256:{digest}");
    let team = rng.pick(&["team-a", "team-b", "platform", "data"]);
    let image = match rng.below(100) {
        // Pinned by tag and digest, from the trusted registry.
        0..=49 => format!("registry.example.com/{team}/{app}:{version}@sha256:{digest}"),
        50..=54 => format!("registry.k8s.io/{app}@sha256:{digest}"),
        // Tag only: a warning.
        55..=79 => format!("registry.example.com/{team}/{app}:{version}"),
        // Untrusted registry.
        80..=86 => format!("docker.io/library/{app}:{version}"),
        87..=89 => format!("quay.io/{team}/{app}:{version}@sha256:{digest}"),
        // latest and no tag: failures.
        90..=93 => format!("registry.example.com/{team}/{app}:latest"),
        94..=96 => app.to_string(),
        // A truncated digest and a malformed reference.
        97..=98 => format!("registry.example.com/{team}/{app}@sha256:{}", &digest[..12]),
        _ => format!(
            "registry.example.com/{team}/{}:{version}",
            app.to_uppercase()
        ),
    };
    (image, resolved)
}

fn container_security_context(rng: &mut Rng) -> Option<Value> {
    if rng.chance(20) {
        return None;
    }
    let mut sc = Map::new();
    match rng.below(10) {
        0..=6 => {
            sc.insert("readOnlyRootFilesystem".into(), json!(true));
        }
        7 => {
            sc.insert("readOnlyRootFilesystem".into(), json!(false));
        }
        _ => {}
    }
    match rng.below(20) {
        0..=13 => {
            sc.insert("allowPrivilegeEscalation".into(), json!(false));
        }
        14 => {
            sc.insert("allowPrivilegeEscalation".into(), json!(true));
        }
        15 => {
            sc.insert("privileged".into(), json!(true));
        }
        _ => {}
    }
    match rng.below(20) {
        0..=3 => {
            sc.insert("runAsUser".into(), json!(1000 + rng.below(9000)));
        }
        4 => {
            sc.insert("runAsUser".into(), json!(0));
        }
        5 => {
            sc.insert("runAsNonRoot".into(), json!(false));
        }
        _ => {}
    }
    if rng.chance(60) {
        sc.insert("capabilities".into(), json!({"drop": ["ALL"]}));
    }
    Some(Value::Object(sc))
}

fn container(rng: &mut Rng, app: &str, role: &str) -> ContainerPlan {
    let version = format!("{}.{}.{}", 1 + rng.below(4), rng.below(30), rng.below(12));
    let name = match role {
        "main" => app.to_string(),
        other => other.to_string(),
    };
    let image_app = if role == "main" { app } else { role };
    let (image, resolved) = image(rng, image_app, &version);
    let env = (0..rng.below(5))
        .map(|i| {
            let key = *rng.pick(&[
                "LOG_LEVEL",
                "DB_HOST",
                "DB_PASSWORD",
                "CACHE_URL",
                "FEATURE_FLAGS",
                "REGION",
            ]);
            (format!("{key}_{i}"), format!("value-{}", rng.suffix(8)))
        })
        .collect();
    let mut args = vec![format!("--port={}", 8000 + rng.below(1000))];
    if rng.chance(10) {
        args.push(format!("--db-password={}", rng.suffix(12)));
    }
    if rng.chance(50) {
        args.push("--log-format=json".into());
    }
    ContainerPlan {
        name,
        image,
        resolved,
        security_context: container_security_context(rng),
        env,
        args,
        port: (role == "main").then(|| 8080 + rng.below(10) as u16),
    }
}

fn containers(rng: &mut Rng, app: &str) -> (Vec<ContainerPlan>, Vec<ContainerPlan>) {
    let mut main = vec![container(rng, app, "main")];
    let sidecars = match rng.below(20) {
        0..=9 => 0,
        10..=16 => 1,
        _ => 2,
    };
    for role in ["envoy", "log-shipper"].iter().take(sidecars) {
        main.push(container(rng, app, role));
    }
    let init = if rng.chance(30) {
        vec![container(rng, app, "migrate")]
    } else {
        Vec::new()
    };
    (init, main)
}

fn pod_security_context(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0..=4 => json!({"runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"}}),
        5..=6 => json!({"runAsNonRoot": true}),
        7 => json!({"runAsUser": 0}),
        _ => json!({}),
    }
}

/// The workloads of the cluster, with pod counts adding up to the object budget.
fn plan(rng: &mut Rng, size: Size) -> Vec<WorkloadPlan> {
    let namespaces: Vec<&str> = NAMESPACES.iter().copied().take(size.namespaces).collect();
    let w = size.workloads;
    // Shares of the workloads by kind; Deployments take the rest.
    let counts = [
        ("StatefulSet", w * 15 / 100),
        ("DaemonSet", (w / 70).max(1)),
        ("Job", w * 8 / 100),
        ("CronJob", w * 3 / 100),
        ("Pod", (w * 2 / 100).max(1)),
        ("ReplicaSet", (w / 100).max(1)),
    ];
    let others: usize = counts.iter().map(|(_, n)| n).sum();
    let mut kinds: Vec<&'static str> = vec!["Deployment"; w - others];
    for (kind, n) in counts {
        kinds.extend(std::iter::repeat_n(kind, n));
    }
    let mut plans = Vec::with_capacity(w);
    for (i, kind) in kinds.into_iter().enumerate() {
        let namespace = if kind == "DaemonSet" {
            *rng.pick(&["monitoring", "logging", "kube-system"])
        } else {
            namespaces[i % namespaces.len()]
        };
        let app = APPS[i % APPS.len()];
        let name = format!("{app}-{i:03}");
        let (init, containers) = containers(rng, app);
        let strategy = match kind {
            "Deployment" => Some(if rng.chance(85) {
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
            } else {
                json!({"type": "Recreate"})
            }),
            "StatefulSet" => Some(match rng.below(20) {
                0..=1 => json!({"type": "OnDelete"}),
                2 => json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}),
                _ => json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            }),
            "DaemonSet" => Some(if rng.chance(80) {
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
            } else {
                json!({"type": "OnDelete"})
            }),
            _ => None,
        };
        let api_version = match kind {
            "Job" | "CronJob" => "batch/v1",
            "Pod" => "v1",
            _ => "apps/v1",
        };
        let mut labels = Map::new();
        labels.insert("app.kubernetes.io/name".into(), json!(app));
        labels.insert("app.kubernetes.io/instance".into(), json!(name));
        labels.insert("app.kubernetes.io/part-of".into(), json!(namespace));
        labels.insert(
            "team".into(),
            json!(rng.pick(&["team-a", "team-b", "platform", "data"])),
        );
        plans.push(WorkloadPlan {
            kind,
            api_version,
            namespace: namespace.to_string(),
            name,
            uid: rng.uid(),
            labels,
            created: rng.timestamp(),
            init,
            containers,
            pod_security_context: pod_security_context(rng),
            strategy,
            replicas: 0,
            malformed: kind == "Deployment" && i % 150 == 7,
        });
    }
    // Pods: one per node for DaemonSets, one per Job, the rest spread over Deployments and
    // StatefulSets; CronJobs, bare Pods and orphan ReplicaSets have no owned pods here.
    let replica_sets = plans.iter().filter(|p| p.kind == "Deployment").count() * 5 / 4;
    let fixed = size.nodes + plans.len() + replica_sets;
    let mut pods = size.objects.saturating_sub(fixed);
    for p in plans.iter_mut() {
        match p.kind {
            "DaemonSet" => p.replicas = size.nodes.min(pods),
            "Job" => p.replicas = 1.min(pods),
            _ => continue,
        }
        pods -= p.replicas;
    }
    let spread: Vec<usize> = (0..plans.len())
        .filter(|&i| matches!(plans[i].kind, "Deployment" | "StatefulSet") && !plans[i].malformed)
        .collect();
    for n in 0..pods {
        // Bigger deployments near the front, as in real clusters.
        let i = spread[(n * 7 + n * n / 3) % spread.len()];
        plans[i].replicas += 1;
    }
    plans
}

fn container_value(c: &ContainerPlan, shape: Shape) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(c.name));
    m.insert("image".into(), json!(c.image));
    if let Some(sc) = &c.security_context {
        m.insert("securityContext".into(), sc.clone());
    }
    if let Some(port) = c.port {
        m.insert(
            "ports".into(),
            json!([{"name": "http", "containerPort": port, "protocol": "TCP"}]),
        );
    }
    if shape == Shape::Compact {
        return Value::Object(m);
    }
    m.insert(
        "resources".into(),
        json!({"limits": {"memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}}),
    );
    m.insert("args".into(), json!(c.args));
    m.insert(
        "env".into(),
        Value::Array(
            c.env
                .iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .chain([json!({"name": "POD_NAME", "valueFrom": {"fieldRef": {
                    "apiVersion": "v1", "fieldPath": "metadata.name"}}})])
                .collect(),
        ),
    );
    m.insert(
        "volumeMounts".into(),
        json!([{"name": "config", "readOnly": true, "mountPath": "/etc/app"},
               {"name": "tmp", "mountPath": "/tmp"}]),
    );
    if c.port.is_some() {
        for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/ready")] {
            m.insert(
                probe.into(),
                json!({"httpGet": {"path": path, "port": "http", "scheme": "HTTP"},
                       "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                       "failureThreshold": 3}),
            );
        }
    }
    m.insert(
        "terminationMessagePath".into(),
        json!("/dev/termination-log"),
    );
    m.insert("terminationMessagePolicy".into(), json!("File"));
    m.insert("imagePullPolicy".into(), json!("IfNotPresent"));
    Value::Object(m)
}

fn pod_spec(p: &WorkloadPlan, shape: Shape) -> Value {
    if p.malformed {
        return json!({"containers": p.containers[0].image});
    }
    let mut spec = Map::new();
    spec.insert(
        "containers".into(),
        p.containers
            .iter()
            .map(|c| container_value(c, shape))
            .collect(),
    );
    if !p.init.is_empty() {
        spec.insert(
            "initContainers".into(),
            p.init.iter().map(|c| container_value(c, shape)).collect(),
        );
    }
    spec.insert("securityContext".into(), p.pod_security_context.clone());
    spec.insert("serviceAccountName".into(), json!(p.name));
    let restart = if matches!(p.kind, "Job" | "CronJob") {
        "OnFailure"
    } else {
        "Always"
    };
    spec.insert("restartPolicy".into(), json!(restart));
    if shape == Shape::Realistic {
        spec.insert("serviceAccount".into(), json!(p.name));
        spec.insert("terminationGracePeriodSeconds".into(), json!(30));
        spec.insert("dnsPolicy".into(), json!("ClusterFirst"));
        spec.insert("schedulerName".into(), json!("default-scheduler"));
        spec.insert("enableServiceLinks".into(), json!(true));
        spec.insert(
            "volumes".into(),
            json!([{"name": "config", "configMap": {"name": format!("{}-config", p.name), "defaultMode": 420}},
                   {"name": "tmp", "emptyDir": {}}]),
        );
        spec.insert(
            "affinity".into(),
            json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchExpressions": [
                    {"key": "app.kubernetes.io/instance", "operator": "In", "values": [p.name]}]},
                    "topologyKey": "kubernetes.io/hostname"}}]}}),
        );
    }
    Value::Object(spec)
}

/// `managedFields` `fieldsV1` for a value: every key as `f:key`, list items keyed by name.
fn fields_of(value: &Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut out = Map::new();
            out.insert(".".into(), json!({}));
            for (k, v) in m {
                out.insert(format!("f:{k}"), fields_of(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out = Map::new();
            for item in items {
                if let Some(name) = item.get("name").and_then(Value::as_str) {
                    out.insert(format!("k:{{\"name\":\"{name}\"}}"), fields_of(item));
                }
            }
            if out.is_empty() {
                json!({})
            } else {
                out.insert(".".into(), json!({}));
                Value::Object(out)
            }
        }
        _ => json!({}),
    }
}

fn managed(manager: &str, api_version: &str, time: &str, fields: Value, sub: bool) -> Value {
    let mut m = json!({"manager": manager, "operation": "Update", "apiVersion": api_version,
                       "time": time, "fieldsType": "FieldsV1", "fieldsV1": fields});
    if sub {
        m["subresource"] = json!("status");
    }
    m
}

fn object(api_version: &str, kind: &str, metadata: Value, spec: Value) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec})
}

fn workload(p: &WorkloadPlan, shape: Shape) -> Value {
    let template = json!({"metadata": {"labels": p.labels}, "spec": pod_spec(p, shape)});
    let mut spec = match p.kind {
        "Pod" => pod_spec(p, shape),
        "CronJob" => json!({"schedule": "17 3 * * *", "concurrencyPolicy": "Forbid",
                            "jobTemplate": {"spec": {"backoffLimit": 2, "template": template}}}),
        "Job" => json!({"backoffLimit": 4, "completions": 1, "template": template}),
        _ => json!({"selector": {"matchLabels": {"app.kubernetes.io/instance": p.name}},
                    "template": template}),
    };
    if matches!(p.kind, "Deployment" | "StatefulSet" | "ReplicaSet") {
        spec["replicas"] = json!(p.replicas);
    }
    match (p.kind, &p.strategy) {
        ("Deployment", Some(s)) => spec["strategy"] = s.clone(),
        (_, Some(s)) => spec["updateStrategy"] = s.clone(),
        _ => {}
    }
    if p.kind == "StatefulSet" {
        spec["serviceName"] = json!(p.name);
    }
    let mut metadata = json!({"name": p.name, "namespace": p.namespace, "uid": p.uid,
                              "creationTimestamp": p.created, "labels": p.labels});
    if shape == Shape::Compact {
        return object(p.api_version, p.kind, metadata, spec);
    }
    let applied = json!({"apiVersion": p.api_version, "kind": p.kind,
        "metadata": {"annotations": {}, "labels": p.labels, "name": p.name, "namespace": p.namespace},
        "spec": spec});
    metadata["resourceVersion"] = json!(format!("{}", 100_000 + p.uid.len() * 7919));
    metadata["generation"] = json!(1);
    metadata["annotations"] = json!({
        "deployment.kubernetes.io/revision": "3",
        "kubectl.kubernetes.io/last-applied-configuration": format!("{applied}\n"),
        "meta.helm.sh/release-name": p.name,
        "meta.helm.sh/release-namespace": p.namespace,
    });
    metadata["managedFields"] = json!([
        managed(
            "kubectl-client-side-apply",
            p.api_version,
            &p.created,
            json!({"f:metadata": fields_of(&json!({"annotations": {"kubectl.kubernetes.io/last-applied-configuration": ""},
                                                   "labels": p.labels})),
                   "f:spec": fields_of(&spec)}),
            false,
        ),
        managed(
            "kube-controller-manager",
            p.api_version,
            &p.created,
            json!({"f:status": {"f:availableReplicas": {}, "f:conditions": {".": {}},
                                "f:observedGeneration": {}, "f:readyReplicas": {}, "f:replicas": {}}}),
            true,
        ),
    ]);
    let mut value = object(p.api_version, p.kind, metadata, spec);
    value["status"] = json!({
        "observedGeneration": 1, "replicas": p.replicas, "readyReplicas": p.replicas,
        "availableReplicas": p.replicas, "updatedReplicas": p.replicas,
        "conditions": [
            {"type": "Available", "status": "True", "lastUpdateTime": p.created,
             "lastTransitionTime": p.created, "reason": "MinimumReplicasAvailable",
             "message": "Deployment has minimum availability."},
            {"type": "Progressing", "status": "True", "lastUpdateTime": p.created,
             "lastTransitionTime": p.created, "reason": "NewReplicaSetAvailable",
             "message": format!("ReplicaSet \"{}\" has successfully progressed.", p.name)}]
    });
    value
}

fn owner(api_version: &str, kind: &str, name: &str, uid: &str) -> Value {
    json!([{"apiVersion": api_version, "kind": kind, "name": name, "uid": uid,
            "controller": true, "blockOwnerDeletion": true}])
}

fn replica_set(p: &WorkloadPlan, hash: &str, uid: &str, replicas: usize, shape: Shape) -> Value {
    let name = format!("{}-{hash}", p.name);
    let mut labels = p.labels.clone();
    labels.insert("pod-template-hash".into(), json!(hash));
    let mut metadata = json!({"name": name, "namespace": p.namespace, "uid": uid,
        "creationTimestamp": p.created, "labels": labels,
        "ownerReferences": owner("apps/v1", "Deployment", &p.name, &p.uid)});
    let spec = json!({"replicas": replicas,
        "selector": {"matchLabels": {"app.kubernetes.io/instance": p.name, "pod-template-hash": hash}},
        "template": {"metadata": {"labels": labels}, "spec": pod_spec(p, shape)}});
    if shape == Shape::Realistic {
        metadata["annotations"] = json!({"deployment.kubernetes.io/desired-replicas": replicas.to_string(),
            "deployment.kubernetes.io/max-replicas": (replicas + 1).to_string(),
            "deployment.kubernetes.io/revision": "3"});
        metadata["managedFields"] = json!([managed(
            "kube-controller-manager",
            "apps/v1",
            &p.created,
            json!({"f:metadata": fields_of(&json!({"labels": labels})), "f:spec": fields_of(&spec)}),
            false,
        )]);
    }
    let mut value = object("apps/v1", "ReplicaSet", metadata, spec);
    if shape == Shape::Realistic {
        value["status"] = json!({"replicas": replicas, "fullyLabeledReplicas": replicas,
            "readyReplicas": replicas, "availableReplicas": replicas, "observedGeneration": 1});
    }
    value
}

struct PodOwner<'a> {
    kind: &'a str,
    api_version: &'a str,
    name: String,
    uid: String,
}

fn pod(
    rng: &mut Rng,
    p: &WorkloadPlan,
    owner_ref: &PodOwner<'_>,
    name: String,
    node: usize,
    shape: Shape,
) -> Value {
    let mut labels = p.labels.clone();
    if owner_ref.kind == "ReplicaSet" {
        let hash = owner_ref.name.rsplit('-').next().unwrap_or_default();
        labels.insert("pod-template-hash".into(), json!(hash));
    }
    let uid = rng.uid();
    let mut spec = pod_spec(p, shape);
    if let Some(s) = spec.as_object_mut() {
        s.insert("nodeName".into(), json!(format!("node-{node:04}")));
    }
    let created = rng.timestamp();
    let mut metadata = json!({"name": name, "namespace": p.namespace, "uid": uid,
        "creationTimestamp": created, "labels": labels,
        "ownerReferences": owner(owner_ref.api_version, owner_ref.kind, &owner_ref.name, &owner_ref.uid)});
    if shape == Shape::Compact {
        return object("v1", "Pod", metadata, spec);
    }
    let ip = format!(
        "10.{}.{}.{}",
        40 + node / 250,
        node % 250,
        2 + rng.below(250)
    );
    let host_ip = format!("172.18.{}.{}", node / 250, 2 + node % 250);
    metadata["generateName"] = json!(format!("{}-", owner_ref.name));
    metadata["resourceVersion"] = json!(format!("{}", 200_000 + rng.below(800_000)));
    metadata["annotations"] = json!({
        "prometheus.io/scrape": "true", "prometheus.io/port": "9090",
        "checksum/config": rng.hex(64),
        "kubectl.kubernetes.io/restartedAt": created,
    });
    let condition = |t: &str| {
        json!({"type": t, "observedGeneration": 1, "status": "True", "lastProbeTime": null,
               "lastTransitionTime": created})
    };
    let statuses: Vec<Value> = p
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let repo = c.image.split(['@', ':']).next().unwrap_or_default();
            json!({"name": c.name, "state": {"running": {"startedAt": created}}, "lastState": {},
                   "ready": true, "restartCount": i, "image": c.image,
                   "imageID": format!("{repo}@{}", c.resolved),
                   "containerID": format!("containerd://{}", rng.hex(64)), "started": true,
                   "allocatedResources": {"cpu": "100m", "memory": "256Mi"},
                   "resources": {"limits": {"memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}},
                   "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": true,
                                     "recursiveReadOnly": "Disabled"}],
                   "user": {"linux": {"uid": 10001, "gid": 10001, "supplementalGroups": [10001]}}})
        })
        .collect();
    let conditions = [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    .map(condition);
    let status = json!({
        "observedGeneration": 1, "phase": "Running",
        "conditions": conditions,
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}], "podIP": ip, "podIPs": [{"ip": ip}],
        "startTime": created, "containerStatuses": statuses, "qosClass": "Burstable",
    });
    // The kubelet owns the container statuses as a whole, as in the API server's answers.
    let mut kubelet_fields = fields_of(&status);
    kubelet_fields["f:containerStatuses"] = json!({});
    metadata["managedFields"] = json!([
        managed(
            "kube-controller-manager",
            "v1",
            &created,
            json!({"f:metadata": fields_of(&json!({"generateName": "", "labels": labels,
                                                    "ownerReferences": {}})),
                   "f:spec": fields_of(&spec)}),
            false,
        ),
        managed(
            "kube-scheduler",
            "v1",
            &created,
            json!({"f:status": {"f:conditions": {".": {}, "k:{\"type\":\"PodScheduled\"}": {
                ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}}}}}),
            true,
        ),
        managed(
            "kubelet",
            "v1",
            &created,
            json!({"f:status": kubelet_fields}),
            true,
        ),
    ]);
    let mut value = object("v1", "Pod", metadata, spec);
    value["status"] = status;
    value
}

fn node(rng: &mut Rng, i: usize, shape: Shape) -> Value {
    let name = format!("node-{i:04}");
    let zone = ["a", "b", "c"][i % 3];
    let kubelet = if i.is_multiple_of(40) {
        "v1.33.4"
    } else {
        "v1.35.2"
    };
    let labels = json!({"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64", "topology.kubernetes.io/zone": format!("eu-west-1{zone}"),
        "topology.kubernetes.io/region": "eu-west-1", "node.kubernetes.io/instance-type": "m6i.2xlarge"});
    let node_info = json!({"machineID": rng.hex(32), "systemUUID": rng.uid(), "bootID": rng.uid(),
        "kernelVersion": "6.8.0-1021-aws", "osImage": "Ubuntu 24.04.2 LTS",
        "containerRuntimeVersion": "containerd://2.1.3", "kubeletVersion": kubelet,
        "kubeProxyVersion": kubelet, "operatingSystem": "linux", "architecture": "amd64"});
    let created = rng.timestamp();
    let mut metadata = json!({"name": name, "uid": rng.uid(), "creationTimestamp": created,
                              "labels": labels});
    if shape == Shape::Compact {
        let mut v = object(
            "v1",
            "Node",
            metadata,
            json!({"podCIDR": format!("10.{}.{}.0/24", 40 + i / 250, i % 250)}),
        );
        v["status"] = json!({"nodeInfo": node_info});
        return v;
    }
    metadata["annotations"] = json!({"node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock"});
    let spec = json!({"podCIDR": format!("10.{}.{}.0/24", 40 + i / 250, i % 250),
        "podCIDRs": [format!("10.{}.{}.0/24", 40 + i / 250, i % 250)],
        "providerID": format!("aws:///eu-west-1{zone}/i-{}", rng.hex(17))});
    let images: Vec<Value> = (0..12)
        .map(|k| {
            let app = APPS[(i + k) % APPS.len()];
            let digest = rng.hex(64);
            json!({"names": [format!("registry.example.com/team-a/{app}@sha256:{digest}"),
                             format!("registry.example.com/team-a/{app}:1.{k}.0")],
                   "sizeBytes": 10_000_000 + rng.below(90_000_000)})
        })
        .collect();
    let cond = |t: &str, s: &str, reason: &str| {
        json!({"type": t, "status": s, "lastHeartbeatTime": "2026-09-30T11:58:01Z",
               "lastTransitionTime": created, "reason": reason,
               "message": format!("kubelet reports {t} is {s}")})
    };
    let status = json!({
        "capacity": {"cpu": "8", "ephemeral-storage": "101430960Ki", "hugepages-1Gi": "0",
                     "hugepages-2Mi": "0", "memory": "32386544Ki", "pods": "110"},
        "allocatable": {"cpu": "7910m", "ephemeral-storage": "93478772582", "hugepages-1Gi": "0",
                        "hugepages-2Mi": "0", "memory": "31371760Ki", "pods": "110"},
        "conditions": [cond("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                       cond("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                       cond("PIDPressure", "False", "KubeletHasSufficientPID"),
                       cond("Ready", "True", "KubeletReady")],
        "addresses": [{"type": "InternalIP", "address": format!("172.18.{}.{}", i / 250, 2 + i % 250)},
                      {"type": "Hostname", "address": name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": node_info, "images": images,
    });
    metadata["managedFields"] = json!([
        managed(
            "kubeadm",
            "v1",
            &created,
            json!({"f:metadata": fields_of(&json!({"annotations": {}}))}),
            false
        ),
        managed(
            "kubelet",
            "v1",
            &created,
            json!({"f:status": fields_of(&status)}),
            true
        ),
    ]);
    let mut v = object("v1", "Node", metadata, spec);
    v["status"] = status;
    v
}

/// Writes the objects of one kind in the chosen encoding.
struct KindWriter {
    out: BufWriter<File>,
    encoding: Encoding,
    count: usize,
    buf: Vec<u8>,
}

impl KindWriter {
    fn create(path: &Path, encoding: Encoding) -> std::io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        match encoding {
            Encoding::JsonPretty => {
                out.write_all(b"{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n")?
            }
            Encoding::JsonLines => out.write_all(b"{\"apiVersion\":\"v1\",\"items\":[\n")?,
            Encoding::YamlList => out.write_all(b"apiVersion: v1\nitems:\n")?,
            Encoding::YamlStream => {}
        }
        Ok(Self {
            out,
            encoding,
            count: 0,
            buf: Vec::new(),
        })
    }

    fn push(&mut self, value: &Value) -> std::io::Result<()> {
        match self.encoding {
            Encoding::JsonLines => {
                if self.count > 0 {
                    self.out.write_all(b",\n")?;
                }
                serde_json::to_writer(&mut self.out, value)?;
            }
            Encoding::JsonPretty => {
                if self.count > 0 {
                    self.out.write_all(b",\n")?;
                }
                self.buf.clear();
                let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
                let mut ser = serde_json::Serializer::with_formatter(&mut self.buf, formatter);
                value.serialize(&mut ser).expect("a Value serializes");
                for (i, line) in self.buf.split(|&b| b == b'\n').enumerate() {
                    if i > 0 {
                        self.out.write_all(b"\n")?;
                    }
                    self.out.write_all(b"        ")?;
                    self.out.write_all(line)?;
                }
            }
            Encoding::YamlStream => {
                if self.count > 0 {
                    self.out.write_all(b"---\n")?;
                }
                let text = serde_saphyr::to_string(value).expect("a Value serializes");
                self.out.write_all(text.as_bytes())?;
            }
            Encoding::YamlList => {
                let text = serde_saphyr::to_string(value).expect("a Value serializes");
                for (i, line) in text.lines().enumerate() {
                    self.out.write_all(if i == 0 { b"- " } else { b"  " })?;
                    self.out.write_all(line.as_bytes())?;
                    self.out.write_all(b"\n")?;
                }
            }
        }
        self.count += 1;
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<usize> {
        match self.encoding {
            Encoding::JsonLines => self
                .out
                .write_all(b"\n],\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"}}\n")?,
            Encoding::JsonPretty => self.out.write_all(
                b"\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n",
            )?,
            Encoding::YamlList => self
                .out
                .write_all(b"kind: List\nmetadata:\n  resourceVersion: \"\"\n")?,
            Encoding::YamlStream => {}
        }
        self.out.flush()?;
        Ok(self.count)
    }
}

/// Writes a snapshot directory: one file per kind plus `version.json`.
pub fn generate(
    dir: &Path,
    size: Size,
    shape: Shape,
    encoding: Encoding,
) -> std::io::Result<Written> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(0x5EED_2026_0930);
    let plans = plan(&mut rng, size);
    let ext = match encoding {
        Encoding::JsonLines | Encoding::JsonPretty => "json",
        Encoding::YamlStream | Encoding::YamlList => "yaml",
    };
    let file = |name: &str| dir.join(format!("{name}.{ext}"));
    let mut written = Written::default();

    let mut nodes = KindWriter::create(&file("nodes"), encoding)?;
    for i in 0..size.nodes {
        nodes.push(&node(&mut rng, i, shape))?;
    }
    written.objects += nodes.finish()?;

    let mut workloads = KindWriter::create(&file("workloads"), encoding)?;
    let mut replica_sets = KindWriter::create(&file("replicasets"), encoding)?;
    let mut pods = KindWriter::create(&file("pods"), encoding)?;
    for p in &plans {
        workloads.push(&workload(p, shape))?;
        let mut owners: Vec<(PodOwner<'_>, usize)> = Vec::new();
        match p.kind {
            "Deployment" if !p.malformed => {
                // The current ReplicaSet owns the pods; an older one, scaled to zero, stays.
                let old = rng.chance(25);
                for (k, replicas) in [(0, p.replicas), (1, 0)]
                    .into_iter()
                    .take(1 + usize::from(old))
                {
                    let hash = rng.suffix(10);
                    let uid = rng.uid();
                    replica_sets.push(&replica_set(p, &hash, &uid, replicas, shape))?;
                    if k == 0 {
                        owners.push((
                            PodOwner {
                                kind: "ReplicaSet",
                                api_version: "apps/v1",
                                name: format!("{}-{hash}", p.name),
                                uid,
                            },
                            replicas,
                        ));
                    }
                }
            }
            "StatefulSet" | "DaemonSet" | "Job" => owners.push((
                PodOwner {
                    kind: p.kind,
                    api_version: p.api_version,
                    name: p.name.clone(),
                    uid: p.uid.clone(),
                },
                p.replicas,
            )),
            _ => {}
        }
        for (o, replicas) in owners {
            for r in 0..replicas {
                let name = match p.kind {
                    "StatefulSet" => format!("{}-{r}", p.name),
                    _ => format!("{}-{}", o.name, rng.suffix(5)),
                };
                let node_index = match p.kind {
                    "DaemonSet" => r,
                    _ => rng.below(size.nodes),
                };
                pods.push(&pod(&mut rng, p, &o, name, node_index, shape))?;
            }
        }
    }
    written.objects += workloads.finish()? + replica_sets.finish()? + pods.finish()?;

    std::fs::write(
        dir.join("version.json"),
        r#"{"serverVersion": {"major": "1", "minor": "35", "gitVersion": "v1.35.2", "platform": "linux/amd64"}}"#,
    )?;
    for entry in std::fs::read_dir(dir)? {
        let meta = entry?.metadata()?;
        if meta.is_file() {
            written.files += 1;
            written.bytes += meta.len();
        }
    }
    Ok(written)
}
