//! Scanner and policy-engine results given with `--results` (issue 16), end to end with the
//! real binary: each result is an evidence record with its own time and the file's sha256,
//! the source is in the report's sources and scope, a file of unknown shape is an input
//! problem while the rest is read, and the checks judge the results.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::support::git::findings;
use assert_cmd::Command;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const AS_OF: &str = "2026-11-22";
const DIGEST: &str = "sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7";

/// A Deployment `shop/web`, its ReplicaSet and a running pod of it, running `image` at
/// [`DIGEST`].
fn running_web(image: &str) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
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
      image: "{image}"
      imageID: "registry.example.com/shop/web@{DIGEST}"
      state: {{running: {{startedAt: "2026-09-01T00:00:00Z"}}}}
"#
    )
}

/// A Trivy JSON report (`trivy image -f json`) of registry.example.com/shop/web:1.4.2 at
/// [`DIGEST`], made at `created`, with one vulnerability whose fix was published on
/// `published`.
fn trivy(created: &str, published: &str) -> String {
    json!({
        "SchemaVersion": 2,
        "Trivy": {"Version": "0.58.1"},
        "CreatedAt": created,
        "ArtifactName": "registry.example.com/shop/web:1.4.2",
        "ArtifactType": "container_image",
        "Metadata": {
            "RepoTags": ["registry.example.com/shop/web:1.4.2"],
            "RepoDigests": [format!("registry.example.com/shop/web@{DIGEST}")]
        },
        "Results": [{
            "Target": "registry.example.com/shop/web:1.4.2 (debian 12.8)",
            "Class": "os-pkgs", "Type": "debian",
            "Vulnerabilities": [{
                "VulnerabilityID": "CVE-2024-5535", "PkgName": "openssl",
                "InstalledVersion": "3.0.14-1~deb12u1", "FixedVersion": "3.0.15-1~deb12u1",
                "Status": "fixed", "Severity": "CRITICAL", "PublishedDate": published
            }]
        }]
    })
    .to_string()
}

/// Runs `report` in `dir` with `args` at [`AS_OF`]; returns the exit code, report.json
/// (Null when none was written) and stderr.
fn report(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = dir.join("out");
    let _ = fs::remove_dir_all(&out);
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(dir)
        .arg("report")
        .args(args)
        .args(["--as-of", AS_OF, "--format", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let json = fs::read(out.join("report.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Null);
    (
        o.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn results_are_evidence_with_their_own_time_and_an_unknown_shape_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("snap.yaml"),
        running_web("registry.example.com/shop/web:1.4.2"),
    )
    .unwrap();
    let scans = dir.path().join("scans");
    fs::create_dir(&scans).unwrap();
    // One scan gzip-compressed, one plain, and a file that is no result at all.
    let old = trivy("2026-10-01T02:00:00Z", "2024-06-27T11:15:10Z");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(old.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    fs::write(scans.join("web-old.json.gz"), &gz).unwrap();
    let new = trivy("2026-11-20T04:12:09Z", "2024-06-27T11:15:10Z");
    fs::write(scans.join("web.json"), &new).unwrap();
    fs::write(scans.join("notes.json"), r#"{"owner": "platform"}"#).unwrap();

    let (code, r, stderr) = report(
        dir.path(),
        &["--snapshot", "snap.yaml", "--results", "scans"],
    );
    assert_eq!(code, 0, "{stderr}");
    let source = r["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "results")
        .expect("a results source");
    assert_eq!(source["id"], "results:scans");
    assert_eq!(source["details"]["files"], "3");
    assert_eq!(source["details"]["results"], "2");
    let scope = r["scope"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "results:scans")
        .expect("in the scope");
    assert!(
        scope["note"]
            .as_str()
            .unwrap()
            .contains("2 result(s) from 3 file(s)"),
        "{scope}"
    );
    // Each scan is a record with its own time and the file's sha256 as stored.
    let records: Vec<&Value> = r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source"] == "results:scans" && e["kind"] == "file")
        .collect();
    assert_eq!(records.len(), 2, "{records:?}");
    let by_path = |p: &str| {
        *records
            .iter()
            .find(|e| e["locator"] == p)
            .unwrap_or_else(|| panic!("{p} in {records:?}"))
    };
    let old_rec = by_path("scans/web-old.json.gz");
    assert_eq!(old_rec["sha256"], sha256(&gz));
    assert_eq!(old_rec["time"], "2026-10-01T02:00:00Z");
    let new_rec = by_path("scans/web.json");
    assert_eq!(new_rec["sha256"], sha256(new.as_bytes()));
    assert_eq!(new_rec["time"], "2026-11-20T04:12:09Z");
    // The unknown file is a problem naming it; the rest was read.
    let problems = r["inputs"]["problems"].as_array().unwrap();
    let p = problems
        .iter()
        .find(|p| {
            p["location"]
                .as_str()
                .unwrap()
                .starts_with("scans/notes.json")
        })
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert_eq!(p["level"], "error");
    assert!(p["message"].as_str().unwrap().contains("Trivy"), "{p}");
    // images-scanned judges the newest scan, by digest, at its own time, and cites it.
    let scanned = findings(&r, "images-scanned");
    assert_eq!(scanned.len(), 1, "{scanned:?}");
    assert_eq!(scanned[0]["status"], "pass", "{}", scanned[0]["message"]);
    assert_eq!(
        scanned[0]["details"]["images"][0]["scanned_at"],
        "2026-11-20T04:12:09Z"
    );
    assert!(
        scanned[0]["evidence"]
            .as_array()
            .unwrap()
            .contains(&new_rec["id"]),
        "{}",
        scanned[0]
    );
}

#[test]
fn a_results_path_that_does_not_exist_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("snap.yaml"), running_web("nginx:1.27")).unwrap();
    let (code, r, stderr) = report(
        dir.path(),
        &["--snapshot", "snap.yaml", "--results", "scnas"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(r.is_null());
    assert!(stderr.contains("--results scnas: no such file"), "{stderr}");
}

#[test]
fn the_results_key_of_the_config_file_is_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    fs::create_dir_all(conf.join("scans")).unwrap();
    fs::write(
        conf.join("snap.yaml"),
        running_web("registry.example.com/shop/web:1.4.2"),
    )
    .unwrap();
    fs::write(
        conf.join("scans/web.json"),
        trivy("2026-11-20T04:12:09Z", "2024-06-27T11:15:10Z"),
    )
    .unwrap();
    fs::write(
        conf.join("evidencer.yaml"),
        "snapshots: [snap.yaml]\nresults: [scans]\n",
    )
    .unwrap();
    let (code, r, stderr) = report(dir.path(), &["--config", "conf/evidencer.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(findings(&r, "images-scanned")[0]["status"], "pass");
}

/// `kubectl get policyreports -A -o json`: a List of two PolicyReports, one with a failure
/// of an Enforce-mode rule, one with a failure of an Audit-mode policy.
fn policy_reports() -> String {
    let result = |policy: &str, rule: &str, outcome: &str, ns: &str, name: &str| {
        json!({
            "policy": policy, "rule": rule, "result": outcome, "source": "kyverno",
            "scored": true, "message": format!("validation error: {rule}"),
            "resources": [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": name}],
            "timestamp": {"seconds": 1_795_500_000, "nanos": 0}
        })
    };
    json!({
        "apiVersion": "v1", "kind": "List",
        "items": [
            {"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
             "metadata": {"name": "polr-shop", "namespace": "shop"},
             "summary": {"pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0},
             "results": [
                result("require-run-as-nonroot", "run-as-non-root", "fail", "shop", "web"),
                result("disallow-latest-tag", "require-image-tag", "pass", "shop", "web")]},
            {"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
             "metadata": {"name": "polr-legacy", "namespace": "legacy"},
             "results": [result("disallow-latest-tag", "require-image-tag", "fail", "legacy", "db")]}
        ]
    })
    .to_string()
}

const KYVERNO: &str = "---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: disallow-latest-tag}\nspec:\n  validationFailureAction: Audit\n  rules:\n    - name: require-image-tag\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate: {message: tag, pattern: {spec: {containers: [{image: '!*:latest'}]}}}\n---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: require-run-as-nonroot}\nspec:\n  validationFailureAction: Enforce\n  rules:\n    - name: run-as-non-root\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate: {message: nonroot, pattern: {spec: {securityContext: {runAsNonRoot: true}}}}\n";

#[test]
fn policy_reports_fail_their_namespace_and_audit_mode_failures_warn() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("snap.yaml"),
        running_web("registry.example.com/shop/web:1.4.2") + KYVERNO,
    )
    .unwrap();
    fs::write(dir.path().join("policyreports.json"), policy_reports()).unwrap();
    let (code, r, stderr) = report(
        dir.path(),
        &["--snapshot", "snap.yaml", "--results", "policyreports.json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let found = findings(&r, "policy-reports-clean");
    let by_ns = |ns: &str| {
        *found
            .iter()
            .find(|f| f["subject"]["name"] == ns)
            .unwrap_or_else(|| panic!("{ns}: {found:?}"))
    };
    let shop = by_ns("shop");
    assert_eq!(shop["status"], "fail", "{shop}");
    assert!(
        shop["message"].as_str().unwrap().contains(
            "`require-run-as-nonroot`/`run-as-non-root` (Enforce mode) on Deployment shop/web"
        ),
        "{shop}"
    );
    let legacy = by_ns("legacy");
    assert_eq!(legacy["status"], "warn", "{legacy}");
    // Both reports came from one file: two records, cited by their namespaces' findings.
    let ids: Vec<&Value> = r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source"] == "results:policyreports.json" && e["kind"] == "file")
        .map(|e| &e["id"])
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        shop["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| ids.contains(&e))
    );
    // Supplementary in related-3: it counts now that it was assessed.
    let control = r["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "PR.PS-02.242-related-3")
        .unwrap();
    assert!(
        control["narrative"]
            .as_str()
            .unwrap()
            .contains("policy-reports-clean"),
        "{}",
        control["narrative"]
    );
}

/// The sample run gives one Trivy JSON and the cluster's PolicyReports; its answers.csv
/// answers the patch-timeframe question from them, and its report states the timeframes.
/// (`cli::samples_are_current` keeps the files what the command produces.)
#[test]
fn the_samples_answer_the_patch_timeframe_question_from_the_scan() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = fs::read_to_string(root.join("samples/evidencer.yaml")).unwrap();
    assert!(
        config.contains("results/payments-api.trivy.json"),
        "{config}"
    );
    assert!(config.contains("results/policyreports.json"), "{config}");
    let answers = fs::read_to_string(root.join("samples/reports/answers.csv")).unwrap();
    let row = answers
        .split("\r\n")
        .find(|l| l.starts_with("PR.PS-02.242-related-4,"))
        .expect("a row for the patch-timeframe question");
    assert!(row.contains("known-fixes-applied failed"), "{row}");
    assert!(
        row.contains("Deployment payments/payments-api container api"),
        "{row}"
    );
    let md = fs::read_to_string(root.join("samples/reports/report.md")).unwrap();
    assert!(
        md.contains("CVE-2026-31790, critical) fixed 49 days ago, more than the 30 allowed"),
        "the sample names the late fix"
    );
    assert!(
        md.contains("critical 30, high 30, medium 90, low (and unknown) 180 days"),
        "the sample states the timeframes"
    );
}
