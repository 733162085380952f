//! Policy engines' and Trivy Operator's reports read from the cluster (and from snapshots and
//! --results files), through the real binary and the local test API server: PolicyReports
//! and openreports.io Reports feed policy-reports-clean from --cluster, a 403 on them is
//! recorded as not assessed (the run goes on), a VulnerabilityReport whose fix is older
//! than the patch timeframe fails known-fixes-applied, and ConfigAuditReports are listed and
//! read as results where Trivy Operator serves them.

use crate::support;

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};
use support::apiserver::{ApiServer, Builder};
use support::findings::subject;

const AS_OF: &str = "2026-11-22";

fn evidencer(home: &Path) -> Command {
    let mut c = Command::cargo_bin("evidencer").unwrap();
    c.env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", home)
        .current_dir(home);
    c
}

fn report(home: &Path, args: &[&str]) -> Value {
    let out = tempfile::tempdir().unwrap();
    evidencer(home)
        .arg("report")
        .args(args)
        .args(["--as-of", AS_OF, "--format", "json", "--out"])
        .arg(out.path())
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap()
}

fn live(server: &ApiServer, home: &Path) -> Value {
    let kubeconfig = server.kubeconfig(home, "prod");
    report(
        home,
        &["--cluster", "--kubeconfig", kubeconfig.to_str().unwrap()],
    )
}

fn findings<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// A Kyverno PolicyReport of namespace `ns` with one result.
fn policy_report(ns: &str, policy: &str, result: &str) -> Value {
    json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": "PolicyReport",
        "metadata": {"name": format!("polr-{ns}"), "namespace": ns,
                     "labels": {"app.kubernetes.io/managed-by": "kyverno"}},
        "scope": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "namespace": ns},
        "results": [{"policy": policy, "rule": "check", "result": result, "source": "kyverno",
                     "message": format!("{policy} said {result}"),
                     "timestamp": {"seconds": 1795000000, "nanos": 0}}],
        "summary": {"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0}
    })
}

fn cluster() -> Builder {
    ApiServer::builder()
        .policy_reports()
        .object(namespace("shop"))
        .object(namespace("web"))
        .object(policy_report("shop", "require-limits", "fail"))
        .object(json!({
            "apiVersion": "openreports.io/v1alpha1",
            "kind": "Report",
            "metadata": {"name": "rep-web", "namespace": "web"},
            "source": "kyverno",
            "results": [{"policy": "disallow-latest", "result": "pass"}]
        }))
}

#[test]
fn live_policy_reports_feed_policy_reports_clean() {
    let home = tempfile::tempdir().unwrap();
    let server = cluster().start();
    let r = live(&server, home.path());
    let got: Vec<(String, String)> = findings(&r, "policy-reports-clean")
        .iter()
        .map(|f| (subject(f), f["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("Namespace shop".to_string(), "fail".to_string()),
            ("Namespace web".to_string(), "pass".to_string())
        ]
    );
    let shop = findings(&r, "policy-reports-clean")[0];
    assert!(
        shop["message"].as_str().unwrap().contains("require-limits"),
        "{shop}"
    );
    // The finding cites the PolicyReport object's own evidence record.
    let cited = shop["evidence"][0].as_str().unwrap();
    let record = r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == cited)
        .expect("a cited record");
    assert_eq!(record["kind"], "object");
    assert_eq!(
        r["inputs"]["coverage"]["PolicyReport"]["status"],
        "collected"
    );
    let paths: Vec<String> = server.requests().iter().map(|q| q.path.clone()).collect();
    for wanted in [
        "/apis/wgpolicyk8s.io/v1alpha2/policyreports",
        "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports",
        "/apis/openreports.io/v1alpha1/reports",
        "/apis/openreports.io/v1alpha1/clusterreports",
    ] {
        assert!(
            paths.iter().any(|p| p.starts_with(wanted)),
            "{wanted} in {paths:?}"
        );
    }
}

#[test]
fn a_403_on_policy_reports_is_not_assessed_not_a_failure() {
    let home = tempfile::tempdir().unwrap();
    let server = ApiServer::builder()
        .policy_reports()
        .object(namespace("shop"))
        .forbid("policyreports")
        .forbid("clusterpolicyreports")
        .forbid("reports")
        .forbid("clusterreports")
        .start();
    let r = live(&server, home.path());
    let got = findings(&r, "policy-reports-clean");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["status"], "not_assessed");
    let message = got[0]["message"].as_str().unwrap();
    assert!(message.contains("forbidden"), "{message}");
    assert!(
        message.contains("policyreports.wgpolicyk8s.io"),
        "{message}"
    );
    assert_eq!(
        r["inputs"]["coverage"]["PolicyReport"]["status"],
        "forbidden"
    );
}

#[test]
fn policy_reports_in_a_snapshot_list_file_are_read_too() {
    let home = tempfile::tempdir().unwrap();
    let snap = home.path().join("snap");
    std::fs::create_dir(&snap).unwrap();
    let list = json!({"apiVersion": "v1", "kind": "List",
                      "items": [namespace("shop"), policy_report("shop", "require-limits", "fail")]});
    std::fs::write(snap.join("cluster.json"), list.to_string()).unwrap();
    let r = report(home.path(), &["--snapshot", snap.to_str().unwrap()]);
    let got = findings(&r, "policy-reports-clean");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0]["status"].as_str(), subject(got[0]).as_str()),
        (Some("fail"), "Namespace shop")
    );
}

const IMAGE_DIGEST: &str =
    "sha256:3f1ab9c0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f";

/// A Trivy Operator VulnerabilityReport of registry.example.com/shop/api:1.4.2 scanned the
/// day before the as-of date, with a critical fix published 100 days before it.
fn vulnerability_report() -> Value {
    json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "VulnerabilityReport",
        "metadata": {"name": "replicaset-api-6d9f-app", "namespace": "shop",
                     "creationTimestamp": "2026-11-01T00:00:00Z"},
        "report": {
            "updateTimestamp": "2026-11-21T03:00:00Z",
            "scanner": {"name": "Trivy", "vendor": "Aqua Security", "version": "0.58.1"},
            "registry": {"server": "registry.example.com"},
            "artifact": {"repository": "shop/api", "tag": "1.4.2", "digest": IMAGE_DIGEST},
            "summary": {"criticalCount": 1, "highCount": 0, "mediumCount": 0, "lowCount": 0, "unknownCount": 0},
            "vulnerabilities": [{
                "vulnerabilityID": "CVE-2026-1001", "resource": "libssl3",
                "installedVersion": "3.0.14-1", "fixedVersion": "3.0.15-1",
                "severity": "CRITICAL", "title": "openssl: a flaw",
                "publishedDate": "2026-08-14T00:00:00Z"
            }]
        }
    })
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": format!("registry.example.com/shop/api:1.4.2@{IMAGE_DIGEST}")}
        ]}}}
    })
}

fn assert_fix_overdue(r: &Value) {
    let got = findings(r, "known-fixes-applied");
    let api = got
        .iter()
        .find(|f| subject(f) == "Deployment shop/api container app")
        .unwrap_or_else(|| panic!("{got:?}"));
    assert_eq!(api["status"], "fail", "{api}");
    let message = api["message"].as_str().unwrap();
    for part in [
        "CVE-2026-1001",
        "libssl3",
        "3.0.14-1",
        "3.0.15-1",
        "100 days",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
}

#[test]
fn a_vulnerability_report_with_an_old_fix_fails_known_fixes_applied() {
    let home = tempfile::tempdir().unwrap();
    // From a --results file, beside a snapshot of the workload.
    let snap = home.path().join("snap");
    std::fs::create_dir(&snap).unwrap();
    std::fs::write(snap.join("deploy.json"), deployment().to_string()).unwrap();
    let results = home.path().join("vulnerabilityreports.json");
    let list = json!({"apiVersion": "v1", "kind": "List", "items": [vulnerability_report()]});
    std::fs::write(&results, list.to_string()).unwrap();
    let r = report(
        home.path(),
        &[
            "--snapshot",
            snap.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
    );
    assert_fix_overdue(&r);

    // Live, the report object served by the cluster.
    let server = ApiServer::builder()
        .trivy()
        .object(namespace("shop"))
        .object(deployment())
        .object(vulnerability_report())
        .start();
    assert_fix_overdue(&live(&server, home.path()));
}

/// A Trivy Operator ConfigAuditReport in namespace shop with this `report` body.
fn config_audit_report(name: &str, report: Value) -> Value {
    json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "ConfigAuditReport",
        "metadata": {"name": name, "namespace": "shop",
                     "labels": {"trivy-operator.resource.kind": "ReplicaSet",
                                "trivy-operator.resource.name": "api-6d9f",
                                "trivy-operator.resource.namespace": "shop"}},
        "report": report
    })
}

#[test]
fn live_config_audit_reports_are_listed_and_read_as_results() {
    let home = tempfile::tempdir().unwrap();
    let server = ApiServer::builder()
        .trivy()
        .object(namespace("shop"))
        .object(config_audit_report(
            "replicaset-api",
            json!({
                "updateTimestamp": "2026-11-21T03:00:00Z",
                "scanner": {"name": "Trivy", "version": "0.58.1"},
                "checks": [{"checkID": "KSV014", "title": "Root file system is not read-only",
                            "severity": "HIGH", "success": false,
                            "messages": ["Container 'app' should set readOnlyRootFilesystem"]}]
            }),
        ))
        // Read as a result, a report that is not one is named (the other is still read).
        .object(config_audit_report("broken", json!("not an object")))
        .start();
    let r = live(&server, home.path());
    let listed: Vec<u16> = server
        .requests()
        .iter()
        .filter(|q| q.path == "/apis/aquasecurity.github.io/v1alpha1/configauditreports")
        .map(|q| q.status)
        .collect();
    assert_eq!(listed, [200]);
    assert_eq!(
        r["inputs"]["coverage"]["ConfigAuditReport"],
        json!({"status": "collected", "count": 2})
    );
    let record = r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["describes"] == "ConfigAuditReport shop/replicaset-api")
        .expect("the report's object record");
    assert_eq!(
        record["locator"],
        "/apis/aquasecurity.github.io/v1alpha1/namespaces/shop/configauditreports/replicaset-api"
    );
    let problems: Vec<&str> = r["inputs"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .filter(|m| m.contains("ConfigAuditReport"))
        .collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("ConfigAuditReport shop/broken")
            && problems[0].contains("`report` cannot be read"),
        "{problems:?}"
    );

    // Without Trivy Operator the kind is recorded as not served, not as none found.
    let bare = ApiServer::builder().object(namespace("shop")).start();
    let r = live(&bare, home.path());
    assert_eq!(
        r["inputs"]["coverage"]["ConfigAuditReport"],
        json!({"status": "not_served"})
    );
}
