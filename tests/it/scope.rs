//! Scope stated, never guessed (issue 13, observation 5), end to end with the real binary: a
//! workload with replicas and no pods in the input is `not_assessed` in every pod-state
//! check instead of silently left out; RBAC is judged only on a live cluster or a snapshot
//! whose manifest records RBAC as collected; every finding cites evidence; a snapshot report
//! states when the state was seen.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::git::findings;
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
            podless[1]
                .1
                .contains("declares 2 replicas but no pod of it is in the input"),
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

/// Eight ClusterRoles and a binding to a system group, as a repository of RBAC files holds
/// them: no non-system subject can exec here, but the built-in roles and bindings of the
/// cluster they are applied to are not in these files.
fn rbac_files() -> String {
    let mut items = Vec::new();
    for i in 1..=8 {
        items.push(format!(
            "  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: ClusterRole\n    \
             metadata: {{name: reader-{i}}}\n    rules: [{{apiGroups: [\"\"], resources: \
             [pods], verbs: [get, list]}}]\n"
        ));
    }
    items.push(
        "  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: ClusterRoleBinding\n    \
         metadata: {name: readers}\n    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: \
         ClusterRole, name: reader-1}\n    subjects: [{kind: Group, name: \"system:authenticated\", \
         apiGroup: rbac.authorization.k8s.io}]\n"
            .into(),
    );
    items.push(
        "  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: Role\n    \
         metadata: {name: none, namespace: shop}\n    rules: []\n  - apiVersion: \
         rbac.authorization.k8s.io/v1\n    kind: RoleBinding\n    metadata: {name: none, \
         namespace: shop}\n    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, \
         name: none}\n    subjects: [{kind: ServiceAccount, name: default, namespace: shop}]\n"
            .into(),
    );
    format!("apiVersion: v1\nkind: List\nitems:\n{}", items.concat())
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A `manifest.json` as `evidencer collect` writes it, recording `kinds` as collected and
/// listing `files` with their sizes and hashes.
fn manifest(kinds: &[&str], files: &[(&str, &str)]) -> String {
    let kinds: serde_json::Map<String, Value> = kinds
        .iter()
        .map(|k| {
            let api = if k.starts_with("Cluster") || k.starts_with("Role") {
                "rbac.authorization.k8s.io/v1"
            } else {
                "v1"
            };
            (
                k.to_string(),
                serde_json::json!({"api_version": api, "status": "collected", "count": 0}),
            )
        })
        .collect();
    let files: Vec<Value> = files
        .iter()
        .map(|(name, text)| {
            serde_json::json!({"path": name, "size": text.len(), "sha256": sha256(text.as_bytes())})
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "format": "evidencer-snapshot",
        "format_version": 1,
        "tool": {"name": "evidencer", "version": "test"},
        "collected_at": "2026-09-29T12:00:00Z",
        "cluster": {"context": "prod-eu", "server": "https://prod-eu.example.com"},
        "kinds": kinds,
        "files": files
    }))
    .unwrap()
}

#[test]
fn rbac_read_from_files_never_passes_pod_exec_restricted() {
    let rbac = rbac_files();
    let dir = snapshot(&[("rbac.yaml", &rbac)]);
    let report = report(dir.path(), &[]);
    let found = findings(&report, "pod-exec-restricted");
    assert!(found.iter().all(|f| f["status"] != "pass"), "{found:#?}");
    let not_assessed: Vec<&str> = found
        .iter()
        .filter(|f| f["status"] == "not_assessed")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(not_assessed.len(), 1, "{found:#?}");
    assert!(
        not_assessed[0].contains("read from files, not listed from a cluster"),
        "{}",
        not_assessed[0]
    );
}

#[test]
fn rbac_a_snapshot_manifest_records_as_collected_is_judged() {
    let rbac = rbac_files();
    let kinds = ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];
    let listed = manifest(&kinds, &[("rbac.yaml", &rbac)]);
    let dir = snapshot(&[("rbac.yaml", &rbac), ("manifest.json", &listed)]);
    let judged = report(dir.path(), &[]);
    let statuses: Vec<&str> = findings(&judged, "pod-exec-restricted")
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pass"]);
    // A manifest that records only the cluster-wide kinds leaves the namespaced ones unseen.
    let listed = manifest(&kinds[..2], &[("rbac.yaml", &rbac)]);
    let dir = snapshot(&[("rbac.yaml", &rbac), ("manifest.json", &listed)]);
    let unseen = report(dir.path(), &[]);
    let statuses: Vec<&str> = findings(&unseen, "pod-exec-restricted")
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["not_assessed"]);
}

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs `report` with `args` (json only, into a temporary directory) and returns report.json.
fn report_with(args: &[&str]) -> Value {
    let out = tempfile::tempdir().unwrap();
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("report")
        .args(args)
        .args(["--format", "json", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some_and(|c| c == 0 || c == 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap()
}

/// Every finding names at least one evidence record, and each one it names is listed.
fn assert_every_finding_cites_evidence(what: &str, report: &Value) {
    let listed: std::collections::BTreeSet<&str> = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "{what}: no findings");
    for f in findings {
        let cited = f["evidence"].as_array().unwrap();
        assert!(
            !cited.is_empty(),
            "{what}: {} on {} cites no evidence",
            f["check"],
            f["subject"]
        );
        for id in cited {
            assert!(
                listed.contains(id.as_str().unwrap()),
                "{what}: {id} not listed"
            );
        }
    }
}

#[test]
fn every_finding_of_the_sample_and_the_fixtures_cites_evidence() {
    assert!(repo_file("samples/evidencer.yaml").is_file());
    let sample = report_with(&["--config", "samples/evidencer.yaml"]);
    assert_every_finding_cites_evidence("sample", &sample);
    // The version judgement cites version.json.
    let version = findings(&sample, "kubernetes-version-supported");
    let cited = version[0]["evidence"][0].as_str().unwrap();
    let record = sample["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == cited)
        .unwrap();
    assert_eq!(record["locator"], "samples/snapshot/version.json");
    for fixture in [
        "tests/fixtures/cluster",
        "tests/fixtures/report-rich",
        "tests/fixtures/report-minimal",
    ] {
        let r = report_with(&["--snapshot", fixture, "--as-of", AS_OF]);
        assert_every_finding_cites_evidence(fixture, &r);
    }
}

// A snapshot report had `period: null` and no statement of when the state was seen.

#[test]
fn a_snapshot_report_states_the_instant_the_state_was_seen() {
    // Without a manifest, the state is the as-of instant's.
    let dir = snapshot(&[("workloads.yaml", WORKLOADS)]);
    let r = report(dir.path(), &[]);
    assert_eq!(r["period_kind"], "point_in_time");
    assert_eq!(r["period"]["start"], "2026-09-30T23:59:59Z");
    assert_eq!(r["period"]["end"], "2026-09-30T23:59:59Z");
    assert_eq!(r["period"]["label"], "2026-09-30");
    // With one, it is the collection time it records.
    let rbac = rbac_files();
    let listed = manifest(&["ClusterRole"], &[("rbac.yaml", &rbac)]);
    let dir = snapshot(&[("rbac.yaml", &rbac), ("manifest.json", &listed)]);
    let r = report(dir.path(), &[]);
    assert_eq!(r["period_kind"], "point_in_time");
    assert_eq!(r["period"]["start"], "2026-09-29T12:00:00Z");
    assert_eq!(r["period"]["end"], "2026-09-29T12:00:00Z");
    // A period given is stated as such.
    let r = report(
        dir.path(),
        &["--since", "2026-07-01", "--until", "2026-09-30"],
    );
    assert_eq!(r["period_kind"], "period");
    assert_eq!(r["period"]["start"], "2026-07-01T00:00:00Z");
}

// Scope stated: what was collected and when, what the input cannot show, what was not assessed.

#[test]
fn the_report_states_its_scope_and_limits() {
    let rbac = rbac_files();
    let listed = manifest(&["ClusterRole"], &[("rbac.yaml", &rbac)]);
    let dir = snapshot(&[
        ("rbac.yaml", &rbac),
        ("manifest.json", &listed),
        ("workloads.yaml", WORKLOADS),
    ]);
    // The snapshot was collected on 09-29, after a period that ended on 08-31.
    let out = dir.path().join("out");
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(dir.path())
        .args(["report", "--snapshot", "snapshot", "--as-of", AS_OF])
        .args(["--since", "2026-06-01", "--until", "2026-08-31"])
        .args(["--format", "json,md,html", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.code().is_some_and(|c| c == 0 || c == 1));
    let r: Value = serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    let scope = &r["scope"];
    let source = &scope["sources"][0];
    assert_eq!(source["collected_at"], "2026-09-29T12:00:00Z");
    assert!(
        source["note"]
            .as_str()
            .unwrap()
            .contains("after the period end"),
        "{source}"
    );
    let limits: Vec<&str> = scope["limits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        limits
            .iter()
            .any(|l| l.contains("built-in roles and bindings"))
    );
    assert!(
        limits
            .iter()
            .any(|l| l.starts_with("No Pods were in the input"))
    );
    assert!(
        limits
            .iter()
            .any(|l| l.starts_with("No repository was read"))
    );
    assert!(
        limits
            .iter()
            .any(|l| l.starts_with("No audit log was read"))
    );
    let api = scope["not_assessed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["subject"] == "Deployment shop/api")
        .unwrap_or_else(|| panic!("{scope:#}"));
    assert!(
        api["checks"]
            .as_array()
            .unwrap()
            .contains(&Value::from("running-image-consistent"))
    );
    for (file, heading) in [
        ("report.md", "### Scope and limits"),
        ("report.html", "<h4>Scope and limits</h4>"),
    ] {
        let text = fs::read_to_string(out.join(file)).unwrap();
        assert!(text.contains(heading), "{file}");
        assert!(text.contains("collected after the period end"), "{file}");
        assert!(text.contains("Deployment shop/api"), "{file}");
    }
}

// End-of-life data: its age and the distribution it judges.

const EOL_DATA: &str = r#"compiled: 2026-01-15
products:
  kubernetes:
    name: Kubernetes
    lines:
      - {version: "1.34", released: 2025-08-27, end-of-life: 2026-10-27}
"#;

#[test]
fn a_version_judged_on_stale_eol_data_warns_and_a_managed_build_is_named() {
    let version = r#"{"serverVersion": {"major": "1", "minor": "34", "gitVersion": "v1.34.1-eks-9c2e1f4", "platform": "linux/amd64"}}"#;
    let dir = snapshot(&[("version.json", version)]);
    fs::write(dir.path().join("eol.yaml"), EOL_DATA).unwrap();
    // Compiled 2026-01-15, 258 days before the as-of date: 1.34 is within its dates, but the
    // data is stale, so the pass cannot stand.
    let r = report(dir.path(), &["--eol-data", "eol.yaml"]);
    let f = findings(&r, "kubernetes-version-supported")[0];
    assert_eq!(f["status"], "warn", "{f:#}");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("the end-of-life data is stale: compiled on 2026-01-15, 258 days"),
        "{message}"
    );
    assert!(message.contains("Amazon EKS build"), "{message}");
    assert_eq!(f["details"]["distribution"], "Amazon EKS");
    // The built-in data, compiled after the as-of date, is current; the note names upstream.
    let r = report(dir.path(), &[]);
    let f = findings(&r, "kubernetes-version-supported")[0];
    assert_eq!(f["status"], "pass", "{f:#}");
    let message = f["message"].as_str().unwrap();
    assert!(!message.contains("stale"), "{message}");
    assert!(
        message.contains("upstream end-of-life dates were used"),
        "{message}"
    );
}

// Narratives a person can paste: a short answer statement per control.

/// Sentences of `text`: ends of sentence are `.`, `!` or `?` before a space or the end.
fn sentences(text: &str) -> usize {
    let chars: Vec<char> = text.trim().chars().collect();
    (0..chars.len())
        .filter(|&i| {
            matches!(chars[i], '.' | '!' | '?') && chars.get(i + 1).is_none_or(|c| *c == ' ')
        })
        .count()
}

#[test]
fn every_control_has_a_short_statement_that_answers_csv_carries() {
    let out = tempfile::tempdir().unwrap();
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["report", "--config", "samples/evidencer.yaml"])
        .args(["--format", "json,csv", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.code().is_some_and(|c| c == 0 || c == 1));
    let r: Value =
        serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let csv = fs::read_to_string(out.path().join("answers.csv")).unwrap();
    let mut longest_narrative = 0;
    for c in r["controls"].as_array().unwrap() {
        let statement = c["statement"].as_str().unwrap();
        let narrative = c["narrative"].as_str().unwrap();
        longest_narrative = longest_narrative.max(narrative.len());
        assert!(
            (1..=4).contains(&sentences(statement)),
            "{}: {} sentences: {statement}",
            c["id"],
            sentences(statement)
        );
        assert!(statement.len() <= 900, "{}: {statement}", c["id"]);
        // The same opening: the verdict.
        let first = narrative.split(':').next().unwrap();
        assert!(statement.starts_with(first), "{}: {statement}", c["id"]);
        // answers.csv's narrative cell is the statement, quoted as CSV quotes it.
        assert!(
            csv.contains(&statement.replace('"', "\"\"")),
            "{}: not in answers.csv",
            c["id"]
        );
    }
    assert!(longest_narrative > 900, "the sample's detail is long");
}
