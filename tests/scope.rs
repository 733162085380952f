//! Scope stated, never guessed (issue 13, observation 5), end to end with the real binary: a
//! workload with replicas and no pods in the input is `not_assessed` in every pod-state
//! check instead of silently left out; RBAC is judged only on a live cluster or a snapshot
//! whose manifest records RBAC as collected; every finding cites evidence; a snapshot report
//! states when the state was seen.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const AS_OF: &str = "2026-09-30";

/// A temporary directory with `files` written into `snapshot/`.
fn snapshot(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("snapshot")).unwrap();
    for (name, text) in files {
        fs::write(dir.path().join("snapshot").join(name), text).unwrap();
    }
    dir
}

/// Runs `report` on `snapshot/` of `dir` (json only) and returns report.json.
fn report(dir: &Path, extra: &[&str]) -> Value {
    let out: PathBuf = dir.join("out");
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(dir)
        .args(["report", "--snapshot", "snapshot", "--as-of", AS_OF])
        .args(["--format", "json", "--out"])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some_and(|c| c == 0 || c == 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap()
}

fn findings<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

const WORKLOADS: &str = r#"
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
    spec:
      replicas: 2
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec: {containers: [{name: api, image: "registry.example.com/shop/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: idle, namespace: shop}
    spec:
      replicas: 0
      selector: {matchLabels: {app: idle}}
      template:
        metadata: {labels: {app: idle}}
        spec: {containers: [{name: idle, image: "registry.example.com/shop/idle:1"}]}
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent, namespace: monitoring}
    spec:
      selector: {matchLabels: {app: agent}}
      template:
        metadata: {labels: {app: agent}}
        spec: {containers: [{name: agent, image: "registry.example.com/agent:2"}]}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop, uid: d-web}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: "registry.example.com/shop/web:3"}]}
"#;

/// One running pod, of Deployment shop/web (through a ReplicaSet not in the input).
const PODS: &str = r#"
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: web-5f6d7c8b9-abcde
      namespace: shop
      labels: {pod-template-hash: 5f6d7c8b9, app: web}
      ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5f6d7c8b9, uid: rs-web, controller: true}]
    spec: {containers: [{name: web, image: "registry.example.com/shop/web:3"}]}
    status:
      phase: Running
      containerStatuses:
        - name: web
          image: registry.example.com/shop/web:3
          imageID: "registry.example.com/shop/web@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
          state: {running: {startedAt: "2026-09-01T00:00:00Z"}}
"#;

// Observation 5: workloads with replicas and no pods were silently left out.

#[test]
fn workloads_with_replicas_and_no_pods_are_not_assessed_in_every_pod_state_check() {
    let dir = snapshot(&[("workloads.yaml", WORKLOADS), ("pods.yaml", PODS)]);
    let report = report(dir.path(), &[]);
    for check in [
        "running-image-consistent",
        "images-scanned",
        "no-ephemeral-containers",
    ] {
        let podless: Vec<(String, String)> = findings(&report, check)
            .into_iter()
            .filter(|f| f["status"] == "not_assessed" && f["subject"]["kind"] != "Input")
            .map(|f| {
                (
                    format!(
                        "{} {}/{}",
                        f["subject"]["kind"].as_str().unwrap(),
                        f["subject"]["namespace"].as_str().unwrap(),
                        f["subject"]["name"].as_str().unwrap()
                    ),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut podless = podless;
        podless.sort();
        let subjects: Vec<&str> = podless.iter().map(|(s, _)| s.as_str()).collect();
        // The scaled-to-zero Deployment asks for no pods, and web's pod is in the input.
        assert_eq!(
            subjects,
            ["DaemonSet monitoring/agent", "Deployment shop/api"],
            "{check}"
        );
        assert!(
            podless[1].1.contains("declares 2 replicas but no pod of it is in the input"),
            "{check}: {}",
            podless[1].1
        );
        assert!(
            podless[0].1.contains("runs a pod on every eligible node"),
            "{check}: {}",
            podless[0].1
        );
        for f in findings(&report, check) {
            if f["subject"]["name"] == "api" {
                assert!(!f["evidence"].as_array().unwrap().is_empty());
            }
        }
    }
}
