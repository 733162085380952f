//! Scan evidence and patch timeframes (issue 13, observations 2 and 3), end to end with the
//! real binary: a pipeline line is never a dated scan of a running image, pipeline scans
//! that cannot fail the pipeline are named, and a retag or a move is not a patch.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use crate::support;
use crate::support::git::{Repo, findings};

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
    // The pipeline's scan is judged where it belongs, and it cannot fail the pipeline.
    let ci = findings(&r, "ci-scans-images");
    assert_eq!(ci.len(), 1, "{ci:?}");
    assert_eq!(ci[0]["status"], "warn", "{}", ci[0]);
    let message = ci[0]["message"].as_str().unwrap();
    for says in [
        "the scan at .github/workflows/deploy.yml:9 cannot fail the pipeline: `|| true`",
        "trivy at .github/workflows/deploy.yml:9 has no `--exit-code`",
        "runs after the deploy step .github/workflows/deploy.yml:8 (`kubectl apply`)",
    ] {
        assert!(message.contains(says), "{says}: {message}");
    }
    let pci = control(&r, "PCI-10.3");
    assert_ne!(pci["verdict"], "satisfied", "{}", pci["narrative"]);
    assert_ne!(pci["answer"], "yes", "{}", pci["narrative"]);
}

// Observation 3: a retag answers the patch-timeframe question.

const BUILD: &str = "name: build\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      \
    - run: docker build -t registry.example.com/shop/api:${GITHUB_SHA} .\n      \
    - run: docker push registry.example.com/shop/api:${GITHUB_SHA}\n";

const DIGEST: &str = "sha256:3f1c2b6d8e9a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0";

/// A repository whose Deployment ran `before` since January and `after` from mid-August,
/// with a vulnerability management plan attached to the patch-timeframe question; the
/// report of 2026-Q3.
fn patch_report(before: &str, after: &str) -> Value {
    patch_report_with(before, after, None)
}

/// [`patch_report`], with a scanner's result file (`--results`) when given.
fn patch_report_with(before: &str, after: &str, results: Option<&str>) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo::init(&dir.path().join("app"));
    repo.write(".github/workflows/build.yml", BUILD)
        .write("Dockerfile", "FROM alpine:3.20\n")
        .write("k8s/api.yaml", &support::git::deployment(before));
    repo.commit("2026-01-10T09:00:00Z", "dev", "api", &[]);
    repo.write("k8s/api.yaml", &support::git::deployment(after));
    repo.commit("2026-08-14T09:00:00Z", "dev", "api: new reference", &[]);
    fs::write(
        dir.path().join("plan.md"),
        "# Vulnerability management plan\n\nCritical: 30 days.\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("attestations.yaml"),
        "attestations:\n- id: ATT-VMP\n  control: PR.PS-02.242-related-4\n  title: Vulnerability management plan\n  \
         document: plan.md\n  owner: Head of Platform Security\n  approved: 2026-03-02\n  \
         review-interval-days: 365\n",
    )
    .unwrap();
    let mut args = vec![
        "--repo",
        "app",
        "--period",
        "2026-Q3",
        "--attestations",
        "attestations.yaml",
    ];
    if let Some(text) = results {
        fs::write(dir.path().join("scan.json"), text).unwrap();
        args.extend(["--results", "scan.json"]);
    }
    report(dir.path(), &args)
}

#[test]
fn a_retag_or_a_move_is_not_a_patch() {
    for (before, after, what) in [
        (
            format!("registry.example.com/shop/api:1.4.2@{DIGEST}"),
            format!("registry.example.com/shop/api:stable@{DIGEST}"),
            "retag",
        ),
        (
            "registry.example.com/shop/api:1.4.2".to_string(),
            "harbor.example.com/mirror/api:1.4.2".to_string(),
            "move",
        ),
    ] {
        let r = patch_report(&before, &after);
        let found = findings(&r, "images-updated-in-period");
        assert_eq!(found.len(), 1, "{what}: {found:?}");
        let f = found[0];
        assert_ne!(f["status"], "pass", "{what}: {f}");
        let message = f["message"].as_str().unwrap();
        assert!(message.contains(what), "{what}: {message}");
        assert!(message.contains("not a patch"), "{what}: {message}");
        let c = control(&r, "PR.PS-02.242-related-4");
        assert_ne!(c["verdict"], "satisfied", "{what}: {}", c["narrative"]);
        assert_ne!(c["answer"], "yes", "{what}: {}", c["narrative"]);
        // The narrative says what was measured and what was not.
        let narrative = c["narrative"].as_str().unwrap();
        assert!(narrative.contains("Measured: the age"), "{narrative}");
        assert!(narrative.contains("Not measured:"), "{narrative}");
    }
}

#[test]
fn a_new_image_within_the_timeframe_answers_the_patch_question() {
    // The control: a real change of the image (a new tag of the same repository).
    let r = patch_report(
        "registry.example.com/shop/api:1.4.2",
        "registry.example.com/shop/api:1.4.3",
    );
    let f = findings(&r, "images-updated-in-period")[0];
    assert_eq!(f["status"], "pass", "{f}");
    // A new image is not yet a fixed one: without the scanners' results, whether known
    // fixes were applied in time is not seen, and the answer stays partial, naming it.
    let c = control(&r, "PR.PS-02.242-related-4");
    assert_eq!(c["verdict"], "partially_satisfied", "{}", c["narrative"]);
    let narrative = c["narrative"].as_str().unwrap();
    assert!(narrative.contains("known-fixes-applied"), "{narrative}");
    // With a scan of the new image whose one fix is 20 days old, under the 30 of its
    // severity: the patch question is answered yes.
    let scan = serde_json::json!({
        "SchemaVersion": 2, "CreatedAt": "2026-09-29T03:00:00Z",
        "ArtifactName": "registry.example.com/shop/api:1.4.3", "ArtifactType": "container_image",
        "Metadata": {"RepoTags": ["registry.example.com/shop/api:1.4.3"]},
        "Results": [{"Target": "registry.example.com/shop/api:1.4.3 (alpine 3.20.3)",
            "Class": "os-pkgs", "Type": "alpine", "Vulnerabilities": [{
                "VulnerabilityID": "CVE-2026-0001", "PkgName": "libcrypto3",
                "InstalledVersion": "3.3.2-r0", "FixedVersion": "3.3.3-r0",
                "Severity": "HIGH", "PublishedDate": "2026-09-10T00:00:00Z"}]}]
    });
    let r = patch_report_with(
        "registry.example.com/shop/api:1.4.2",
        "registry.example.com/shop/api:1.4.3",
        Some(&scan.to_string()),
    );
    let fixes = findings(&r, "known-fixes-applied");
    assert_eq!(fixes.len(), 1, "{fixes:?}");
    assert_eq!(fixes[0]["status"], "pass", "{}", fixes[0]);
    let c = control(&r, "PR.PS-02.242-related-4");
    assert_eq!(c["verdict"], "satisfied", "{}", c["narrative"]);
    let narrative = c["narrative"].as_str().unwrap();
    assert!(
        narrative.contains("critical 30, high 30, medium 90, low (and unknown) 180 days"),
        "the narrative states the timeframes: {narrative}"
    );
}
