//! Scan evidence and patch timeframes (issue 13, observations 2 and 3), end to end with the
//! real binary: a pipeline line is never a dated scan of a running image, pipeline scans
//! that cannot fail the pipeline are named, and a retag or a move is not a patch.

#[path = "support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use support::git::Repo;

const AS_OF: &str = "2026-09-30";

/// A Deployment `shop/web` and its ReplicaSet, running `image` in container `web`, with a
/// running pod of it.
fn running_web(image: &str) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "{image}"}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5c6d7e8f9
  namespace: shop
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}}]
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "{image}"}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5c6d7e8f9-q7x2m
  namespace: shop
  labels: {{app: web, pod-template-hash: 5c6d7e8f9}}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-5c6d7e8f9, controller: true}}]
spec: {{containers: [{{name: web, image: "{image}"}}]}}
status:
  phase: Running
  containerStatuses:
    - name: web
      ready: true
      restartCount: 0
      image: "{image}"
      imageID: "docker.io/library/busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7"
      state: {{running: {{startedAt: "2026-09-01T00:00:00Z"}}}}
"#
    )
}

/// Runs `report` in `dir` with `args` at [`AS_OF`]; returns report.json.
fn report(dir: &Path, args: &[&str]) -> Value {
    let out = dir.join("out");
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(dir)
        .arg("report")
        .args(args)
        .args(["--as-of", AS_OF, "--format", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "evidencer failed: {stderr}"
    );
    serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap()
}

fn control<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

fn findings<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// A workflow that deploys, then scans with a scan that cannot fail.
const LATE_SCAN: &str = "name: deploy\non: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      \
    - uses: actions/checkout@v4\n      \
    - run: kubectl apply -f k8s/\n      \
    - run: trivy image busybox:latest || true\n";

// Observation 2: a pipeline line counted as a dated scan.

#[test]
fn a_pipeline_scan_step_is_not_a_dated_scan_of_a_running_image() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::init(&dir.path().join("app"));
    repo.write(".github/workflows/deploy.yml", LATE_SCAN)
        .write("k8s/web.yaml", &running_web("busybox:latest"))
        .write("README.md", "# app\n");
    repo.commit("2026-09-01T10:00:00Z", "dev", "deploy pipeline", &[]);
    repo.write("README.md", "# app\n\nHow to deploy.\n");
    repo.commit("2026-09-25T10:00:00Z", "dev", "readme", &[]);
    fs::create_dir(dir.path().join("snapshot")).unwrap();
    fs::write(
        dir.path().join("snapshot/workloads.yaml"),
        running_web("busybox:latest"),
    )
    .unwrap();

    let r = report(dir.path(), &["--snapshot", "snapshot", "--repo", "app"]);
    let scanned = findings(&r, "images-scanned");
    assert!(!scanned.is_empty());
    for f in &scanned {
        assert_ne!(f["status"], "pass", "{f}");
        let message = f["message"].as_str().unwrap();
        assert!(!message.contains("pipeline step"), "{message}");
        assert!(!message.contains("days before the as-of"), "{message}");
    }
    assert!(
        scanned.iter().any(|f| f["message"]
            .as_str()
            .unwrap()
            .contains("no dated scan result")),
        "{scanned:?}"
    );
    let pci = control(&r, "PCI-10.3");
    assert_ne!(pci["verdict"], "satisfied", "{}", pci["narrative"]);
    assert_ne!(pci["answer"], "yes", "{}", pci["narrative"]);
}
