//! Live-collection speed: the local test API server (tests/support/apiserver.rs) holding a
//! realistic cluster of 10,000 Pods, 300 Nodes and 700 workloads (with their ReplicaSets,
//! 40 namespaces, RBAC and Trivy reports; objects shaped like a real API server's, with
//! managedFields and status). Measures, as medians of several runs, the wall time and peak
//! RSS of `evidencer collect --cluster`, of `evidencer report --cluster`, and of the reference
//! `kubectl get pods -A -o json --chunk-size=500` against the same server (when kubectl is
//! installed). Targets: full collection within 1.5x kubectl's time for Pods alone, memory
//! under 400 MB.
//!
//! Run with `cargo bench --bench cluster`.

#[path = "../support/apiserver.rs"]
mod apiserver;
mod measure;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use apiserver::ApiServer;
use measure::Run;
use serde_json::{Value, json};

const NODES: usize = 300;
const NAMESPACES: usize = 40;
const DEPLOYMENTS: usize = 400;
const PODS_PER_DEPLOYMENT: usize = 14;
const STATEFULSETS: usize = 140;
const PODS_PER_STATEFULSET: usize = 10;
const DAEMONSETS: usize = 10;
const JOBS: usize = 150;
const RUNS: usize = 5;

fn uid(kind: &str, i: usize) -> String {
    let h = format!(
        "{:032x}",
        ((i as u128 + 1) * 0x9e37_79b9_7f4a_7c15) ^ kind.len() as u128
    );
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn managed_fields(manager: &str) -> Value {
    json!([{
        "manager": manager, "operation": "Update", "apiVersion": "v1",
        "time": "2026-11-01T08:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}},
            "f:ownerReferences": {".": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {},
                "f:imagePullPolicy": {}, "f:name": {}, "f:ports": {}, "f:resources": {},
                "f:securityContext": {}}}, "f:dnsPolicy": {}, "f:restartPolicy": {}}}
    }, {
        "manager": "kubelet", "operation": "Update", "apiVersion": "v1",
        "time": "2026-11-01T08:00:05Z", "fieldsType": "FieldsV1", "subresource": "status",
        "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:hostIP": {},
            "f:phase": {}, "f:podIP": {}, "f:podIPs": {}, "f:startTime": {}}}
    }])
}

fn container(name: &str, image: &str) -> Value {
    json!({
        "name": name, "image": image,
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"},
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
        "volumeMounts": [{"name": "kube-api-access", "readOnly": true,
                          "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                          "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
        "securityContext": {"capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true,
                            "allowPrivilegeEscalation": false, "runAsNonRoot": true}
    })
}

fn pod_spec(image: &str, node: Option<&str>) -> Value {
    let mut spec = json!({
        "volumes": [{"name": "kube-api-access", "projected": {"sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
        ], "defaultMode": 420}}],
        "containers": [container("app", image), container("sidecar", "registry.example.com/platform/proxy@sha256:4b1c9a6e0f3d2c1b0a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a")],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default", "serviceAccount": "default",
        "securityContext": {"runAsUser": 1000, "fsGroup": 2000},
        "schedulerName": "default-scheduler",
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        ],
        "priority": 0, "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority"
    });
    if let Some(node) = node {
        spec["nodeName"] = json!(node);
    }
    spec
}

fn pod(
    i: usize,
    ns: &str,
    name: &str,
    owner: (&str, &str, &str),
    image: &str,
    node: &str,
) -> Value {
    let (owner_api, owner_kind, owner_name) = owner;
    let status = |c: &str| {
        json!({"name": c, "state": {"running": {"startedAt": "2026-11-01T08:00:04Z"}},
               "lastState": {}, "ready": true, "restartCount": 0, "image": image,
               "imageID": format!("{image}@sha256:{:064x}", i % 97),
               "containerID": format!("containerd://{:064x}", i), "started": true})
    };
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "generateName": format!("{owner_name}-"), "namespace": ns,
            "uid": uid("Pod", i), "resourceVersion": (100_000 + i).to_string(),
            "creationTimestamp": "2026-11-01T08:00:00Z",
            "labels": {"app": owner_name, "pod-template-hash": "7c9d8f6b5d"},
            "ownerReferences": [{"apiVersion": owner_api, "kind": owner_kind, "name": owner_name,
                                 "uid": uid(owner_kind, i / 10), "controller": true, "blockOwnerDeletion": true}],
            "managedFields": managed_fields("kube-controller-manager")
        },
        "spec": pod_spec(image, Some(node)),
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-01T08:00:03Z"},
                {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-01T08:00:01Z"},
                {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-01T08:00:05Z"},
                {"type": "ContainersReady", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-01T08:00:05Z"},
                {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-01T08:00:00Z"}
            ],
            "hostIP": format!("10.0.{}.{}", i % 250, i % 200 + 10),
            "hostIPs": [{"ip": format!("10.0.{}.{}", i % 250, i % 200 + 10)}],
            "podIP": format!("10.244.{}.{}", i / 250 % 250, i % 250),
            "podIPs": [{"ip": format!("10.244.{}.{}", i / 250 % 250, i % 250)}],
            "startTime": "2026-11-01T08:00:00Z",
            "containerStatuses": [status("app"), status("sidecar")],
            "qosClass": "Burstable"
        }
    })
}

fn workload(kind: &str, api: &str, i: usize, ns: &str, name: &str, image: &str) -> Value {
    let mut spec = json!({
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec(image, None)}
    });
    match kind {
        "Deployment" => {
            spec["replicas"] = json!(PODS_PER_DEPLOYMENT);
            spec["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}});
        }
        "StatefulSet" => {
            spec["replicas"] = json!(PODS_PER_STATEFULSET);
            spec["serviceName"] = json!(name);
            spec["updateStrategy"] = json!({"type": "RollingUpdate"});
        }
        "ReplicaSet" => spec["replicas"] = json!(PODS_PER_DEPLOYMENT),
        "Job" => {
            spec = json!({"template": spec["template"], "backoffLimit": 6});
            spec["template"]["spec"]["restartPolicy"] = json!("Never");
        }
        _ => spec["updateStrategy"] = json!({"type": "RollingUpdate"}),
    }
    let mut meta = json!({
        "name": name, "namespace": ns, "uid": uid(kind, i), "resourceVersion": (50_000 + i).to_string(),
        "generation": 3, "creationTimestamp": "2026-10-01T08:00:00Z", "labels": {"app": name},
        "annotations": {"deployment.kubernetes.io/revision": "3"},
        "managedFields": managed_fields("kubectl-client-side-apply")
    });
    if kind == "ReplicaSet" {
        let deployment = name.rsplit_once('-').unwrap().0;
        meta["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment,
            "uid": uid("Deployment", i), "controller": true, "blockOwnerDeletion": true}]);
    }
    json!({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec,
           "status": {"observedGeneration": 3, "replicas": 10, "readyReplicas": 10}})
}

fn node(i: usize) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": format!("node-{i:03}"), "uid": uid("Node", i), "resourceVersion": (9_000 + i).to_string(),
            "creationTimestamp": "2026-10-20T06:00:00Z",
            "labels": {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": format!("node-{i:03}"),
                       "node.kubernetes.io/instance-type": "m6i.2xlarge", "topology.kubernetes.io/zone": format!("eu-west-1{}", ["a", "b", "c"][i % 3])},
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
            "managedFields": managed_fields("kubelet")},
        "spec": {"podCIDR": format!("10.244.{}.0/24", i), "providerID": format!("aws:///eu-west-1a/i-{i:017x}")},
        "status": {
            "capacity": {"cpu": "8", "memory": "32386524Ki", "pods": "110", "ephemeral-storage": "104845292Ki"},
            "allocatable": {"cpu": "7910m", "memory": "31369692Ki", "pods": "110", "ephemeral-storage": "95551679124"},
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available", "lastHeartbeatTime": "2026-11-21T10:00:00Z", "lastTransitionTime": "2026-10-20T06:00:00Z"},
                {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure", "lastHeartbeatTime": "2026-11-21T10:00:00Z", "lastTransitionTime": "2026-10-20T06:00:00Z"},
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status", "lastHeartbeatTime": "2026-11-21T10:00:00Z", "lastTransitionTime": "2026-10-20T06:00:30Z"}
            ],
            "addresses": [{"type": "InternalIP", "address": format!("10.0.{}.{}", i / 250, i % 250)}, {"type": "Hostname", "address": format!("node-{i:03}")}],
            "nodeInfo": {"machineID": format!("{i:032x}"), "systemUUID": uid("sys", i), "bootID": uid("boot", i),
                "kernelVersion": "6.8.0-1019-aws", "osImage": "Ubuntu 24.04.1 LTS", "containerRuntimeVersion": "containerd://2.1.4",
                "kubeletVersion": "v1.36.2", "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"},
            "images": (0..20).map(|k| json!({"names": [format!("registry.example.com/team/app-{k}@sha256:{k:064x}")], "sizeBytes": 50_000_000 + k})).collect::<Vec<_>>()
        }
    })
}

/// The whole synthetic cluster.
fn cluster() -> Vec<Value> {
    let mut out = Vec::new();
    let ns = |i: usize| format!("team-{:02}", i % NAMESPACES);
    for i in 0..NAMESPACES {
        out.push(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns(i), "uid": uid("Namespace", i), "labels": {"kubernetes.io/metadata.name": ns(i),
                "pod-security.kubernetes.io/enforce": "baseline"}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}));
    }
    out.extend((0..NODES).map(node));
    let mut pods = 0;
    for d in 0..DEPLOYMENTS {
        let (n, name) = (ns(d), format!("svc-{d:03}"));
        let image = format!("registry.example.com/team/svc-{d:03}:1.{}.0", d % 7);
        out.push(workload("Deployment", "apps/v1", d, &n, &name, &image));
        let rs = format!("{name}-7c9d8f6b5d");
        out.push(workload("ReplicaSet", "apps/v1", d, &n, &rs, &image));
        for p in 0..PODS_PER_DEPLOYMENT {
            let node = format!("node-{:03}", (pods + p) % NODES);
            out.push(pod(
                pods,
                &n,
                &format!("{rs}-{p:05x}"),
                ("apps/v1", "ReplicaSet", &rs),
                &image,
                &node,
            ));
            pods += 1;
        }
    }
    for s in 0..STATEFULSETS {
        let (n, name) = (ns(s), format!("db-{s:03}"));
        let image = format!("registry.example.com/data/db-{s:03}@sha256:{s:064x}");
        out.push(workload("StatefulSet", "apps/v1", s, &n, &name, &image));
        for p in 0..PODS_PER_STATEFULSET {
            let node = format!("node-{:03}", (pods + p) % NODES);
            out.push(pod(
                pods,
                &n,
                &format!("{name}-{p}"),
                ("apps/v1", "StatefulSet", &name),
                &image,
                &node,
            ));
            pods += 1;
        }
    }
    for d in 0..DAEMONSETS {
        let name = format!("agent-{d}");
        let image = format!("registry.example.com/platform/agent-{d}:2.0.{d}");
        out.push(workload(
            "DaemonSet",
            "apps/v1",
            d,
            "kube-system",
            &name,
            &image,
        ));
        for node_i in 0..NODES {
            out.push(pod(
                pods,
                "kube-system",
                &format!("{name}-{node_i:05x}"),
                ("apps/v1", "DaemonSet", &name),
                &image,
                &format!("node-{node_i:03}"),
            ));
            pods += 1;
        }
    }
    for j in 0..JOBS {
        let image = format!("registry.example.com/batch/report:{}", j % 5);
        out.push(workload(
            "Job",
            "batch/v1",
            j,
            &ns(j),
            &format!("report-{j:03}"),
            &image,
        ));
    }
    assert_eq!(pods, 10_000);
    out.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}));
    for i in 0..100 {
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": format!("role-{i}")},
            "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}]}));
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("binding-{i}")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": format!("role-{i}")},
            "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": format!("team-{i}")}]}));
    }
    for i in 0..200 {
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": format!("dev-{i}"), "namespace": ns(i)},
            "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "patch"]}]}));
        out.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": format!("dev-{i}"), "namespace": ns(i)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("dev-{i}")},
            "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": format!("dev{i}@example.com")}]}));
    }
    for d in 0..DEPLOYMENTS {
        out.push(json!({"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "VulnerabilityReport",
            "metadata": {"name": format!("replicaset-svc-{d:03}-7c9d8f6b5d-app"), "namespace": ns(d),
                "labels": {"trivy-operator.resource.kind": "ReplicaSet", "trivy-operator.resource.name": format!("svc-{d:03}-7c9d8f6b5d"),
                           "trivy-operator.container.name": "app"}},
            "report": {"updateTimestamp": "2026-11-20T03:00:00Z",
                "artifact": {"repository": format!("team/svc-{d:03}"), "tag": format!("1.{}.0", d % 7)},
                "registry": {"server": "registry.example.com"},
                "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "0.58.0"},
                "summary": {"criticalCount": 0, "highCount": d % 3, "mediumCount": 4, "lowCount": 9, "unknownCount": 0},
                "vulnerabilities": (0..10).map(|v| json!({"vulnerabilityID": format!("CVE-2026-{:05}", d * 10 + v), "resource": "openssl",
                    "installedVersion": "3.0.13", "fixedVersion": "3.0.15", "severity": "MEDIUM", "title": "openssl: a flaw"})).collect::<Vec<_>>()}}));
    }
    out
}

/// Runs a command, its stdout discarded.
fn measure(command: Command) -> Run {
    measure::run(&command, true)
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn find_kubectl() -> Option<std::path::PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|p| p.join("kubectl"))
        .find(|p| p.is_file())
}

fn main() {
    measure::serve_if_asked();
    if std::env::args().any(|a| a == "--list") {
        println!("cluster: bench");
        return;
    }
    let started = Instant::now();
    let objects = cluster();
    let count = objects.len();
    let server = ApiServer::builder().trivy().objects(objects).start();
    println!(
        "test API server: {count} objects ({} Pods, {NODES} Nodes, {} workloads) ready in {:.1}s",
        10_000,
        DEPLOYMENTS + STATEFULSETS + DAEMONSETS + JOBS,
        started.elapsed().as_secs_f64()
    );
    let work = tempfile::tempdir().unwrap();
    let home = work.path();
    let kubeconfig = server.kubeconfig(home, "bench");
    let evidencer = env!("CARGO_BIN_EXE_evidencer");
    let isolate = |c: &mut Command| {
        c.env("HOME", home).env_remove("KUBECONFIG");
    };

    let kubectl = find_kubectl();
    let kubectl_cmd = || {
        let mut c = Command::new(kubectl.as_ref().unwrap());
        isolate(&mut c);
        c.arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--cache-dir")
            .arg(home.join("kube-cache"))
            .args(["get", "pods", "-A", "-o", "json", "--chunk-size=500"]);
        c
    };
    let collect_cmd = |i: usize| {
        let mut c = Command::new(evidencer);
        isolate(&mut c);
        c.args(["collect", "--cluster", "--kubeconfig"])
            .arg(&kubeconfig)
            .arg("--out")
            .arg(home.join(format!("snap-{i}")));
        c
    };
    let report_cmd = |i: usize| {
        let mut c = Command::new(evidencer);
        isolate(&mut c);
        c.args(["report", "--cluster", "--kubeconfig"])
            .arg(&kubeconfig)
            .args(["--as-of", "2026-11-22", "--format", "json,md,html", "--out"])
            .arg(home.join(format!("report-{i}")));
        c
    };

    // Warm-up: discovery caches, page cache, the server's first pages.
    if kubectl.is_some() {
        measure(kubectl_cmd());
    }
    measure(collect_cmd(99));

    let mut kubectl_runs = Vec::new();
    let mut collect_runs = Vec::new();
    let mut report_runs = Vec::new();
    for i in 0..RUNS {
        if kubectl.is_some() {
            kubectl_runs.push(measure(kubectl_cmd()));
        }
        collect_runs.push(measure(collect_cmd(i)));
        report_runs.push(measure(report_cmd(i)));
    }
    let show = |name: &str, runs: &[Run]| -> Duration {
        let t = median(runs.iter().map(|r| r.wall).collect());
        let cpu = median(runs.iter().map(|r| r.cpu).collect());
        let m = median(runs.iter().map(|r| r.max_rss).collect());
        println!(
            "{name:<48} median {:>7.0} ms   cpu {:>7.0} ms   peak RSS {:>6.1} MB   ({} runs)",
            t.as_secs_f64() * 1000.0,
            cpu.as_secs_f64() * 1000.0,
            mb(m),
            runs.len()
        );
        t
    };
    println!();
    let reference = (!kubectl_runs.is_empty()).then(|| {
        show(
            "kubectl get pods -A -o json --chunk-size=500",
            &kubectl_runs,
        )
    });
    let collect = show("evidencer collect --cluster (all kinds)", &collect_runs);
    let report = show("evidencer report --cluster (json,md,html)", &report_runs);
    match reference {
        Some(reference) => {
            let ratio = |t: Duration| t.as_secs_f64() / reference.as_secs_f64();
            println!(
                "\ncollect / kubectl: {:.2}x   report / kubectl: {:.2}x   (target: collect within 1.5x)",
                ratio(collect),
                ratio(report)
            );
        }
        None => println!("\nkubectl is not installed: no reference time"),
    }
    let peak = collect_runs
        .iter()
        .chain(&report_runs)
        .map(|r| r.max_rss)
        .max()
        .unwrap_or(0);
    println!(
        "highest peak RSS of evidencer: {:.1} MB (target: under 400 MB)",
        mb(peak)
    );
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .all(|r| !matches!(r.resource().as_deref(), Some("secrets" | "configmaps"))),
        "a request touched Secrets or ConfigMaps"
    );
    let snapshot = home.join("snap-0");
    let size: u64 = std::fs::read_dir(&snapshot)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "snapshot written by collect: {:.1} MB in {}",
        mb(size),
        Path::new(&snapshot).display()
    );
}
