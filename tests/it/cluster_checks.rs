//! The cluster-state checks end to end: the real `evidencer` binary on a snapshot of a
//! cluster (Nodes, Namespaces, Pods with status, workloads, RBAC, admission policies, Trivy
//! Operator reports and `version.json`, shaped like real API responses), judged as of
//! 2026-11-22 with the built-in end-of-life data.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use support::findings::{statuses, subject};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cluster")
}

/// Runs `report` on the fixture with extra flags; returns report.json as bytes.
fn report(extra: &[&str]) -> Vec<u8> {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("evidencer")
        .unwrap()
        .args(["report", "--snapshot"])
        .arg(fixture())
        .args(["--as-of", "2026-11-22", "--format", "json", "--out"])
        .arg(out.path())
        .args(extra)
        .assert()
        .success();
    std::fs::read(out.path().join("report.json")).unwrap()
}

fn expect(got: &BTreeMap<String, Vec<(String, String)>>, check: &str, want: &[(&str, &str)]) {
    let mut want: Vec<(String, String)> = want
        .iter()
        .map(|(s, st)| (s.to_string(), st.to_string()))
        .collect();
    want.sort();
    assert_eq!(got.get(check).cloned().unwrap_or_default(), want, "{check}");
}

#[test]
fn every_cluster_check_judges_the_snapshot() {
    let bytes = report(&[]);
    let r: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(
        r["inputs"]["problems"].as_array().unwrap().is_empty(),
        "{}",
        r["inputs"]["problems"]
    );
    let got = statuses(&r);
    expect(
        &got,
        "kubernetes-version-supported",
        &[("Cluster kube-apiserver", "pass")],
    );
    expect(
        &got,
        "kubelet-version-supported",
        &[
            ("Node cp-1", "pass"),
            ("Node worker-a1", "pass"),
            ("Node worker-a2", "pass"),
            ("Node worker-b1", "fail"),
            ("Node worker-c1", "pass"),
        ],
    );
    expect(
        &got,
        "container-runtime-supported",
        &[
            ("Node cp-1", "pass"),
            ("Node worker-a1", "pass"),
            ("Node worker-a2", "fail"),
            ("Node worker-b1", "fail"),
            ("Node worker-c1", "pass"),
        ],
    );
    expect(
        &got,
        "node-kernel-current",
        &[
            ("Node cp-1", "pass"),
            ("Node worker-a1", "pass"),
            ("Node worker-a2", "fail"),
            ("Node worker-b1", "pass"),
            ("Node worker-c1", "pass"),
        ],
    );
    expect(
        &got,
        "node-recently-replaced",
        &[
            ("Node cp-1", "pass"),
            ("Node worker-a1", "pass"),
            ("Node worker-a2", "warn"),
            ("Node worker-b1", "pass"),
            ("Node worker-c1", "pass"),
        ],
    );
    expect(
        &got,
        "no-ephemeral-containers",
        &[
            ("DaemonSet kube-system/kube-proxy", "pass"),
            ("Deployment kube-system/coredns", "pass"),
            ("Deployment shop/api", "pass"),
            ("Deployment shop/cart", "pass"),
            ("Pod legacy/batch-runner", "pass"),
            ("Pod payments/ledger-0 container debugger-7xk2p", "fail"),
        ],
    );
    expect(
        &got,
        "running-image-consistent",
        &[
            (
                "DaemonSet kube-system/kube-proxy container kube-proxy",
                "pass",
            ),
            ("Deployment kube-system/coredns container coredns", "pass"),
            ("Deployment shop/api container app", "pass"),
            ("Deployment shop/cart container app", "fail"),
            ("Pod legacy/batch-runner container runner", "pass"),
            ("StatefulSet payments/ledger container ledger", "pass"),
        ],
    );
    expect(
        &got,
        "pod-exec-restricted",
        &[
            ("Group payments-oncall", "fail"),
            // The fixture has no manifest.json: its RBAC was read from files, so other
            // grants may exist and no "only these" can be said.
            ("Input all sources", "not_assessed"),
            ("ServiceAccount monitoring/prometheus", "fail"),
        ],
    );
    expect(
        &got,
        "pod-security-enforced",
        &[
            ("Namespace default", "pass"),
            ("Namespace kyverno", "pass"),
            ("Namespace legacy", "fail"),
            ("Namespace payments", "pass"),
            ("Namespace shop", "pass"),
            ("Namespace trivy-system", "pass"),
        ],
    );
    expect(
        &got,
        "read-only-root-enforced",
        &[
            ("Namespace legacy", "fail"),
            ("Namespace payments", "pass"),
            ("Namespace shop", "pass"),
        ],
    );
    expect(
        &got,
        "images-scanned",
        &[
            (
                "DaemonSet kube-system/kube-proxy container kube-proxy",
                "fail",
            ),
            ("Deployment kube-system/coredns container coredns", "pass"),
            ("Deployment shop/api container app", "pass"),
            ("Deployment shop/cart container app", "pass"),
            ("Pod legacy/batch-runner container runner", "fail"),
            ("StatefulSet payments/ledger container ledger", "fail"),
        ],
    );

    // Who can exec, through what: named in the details.
    let oncall = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| subject(f) == "Group payments-oncall")
        .unwrap();
    let grants = oncall["details"]["grants"].as_array().unwrap();
    assert!(grants.iter().any(|g| g["access"] == "exec"
        && g["role"] == "ClusterRole edit"
        && g["binding"] == "RoleBinding payments/oncall-edit"
        && g["namespace"] == "payments"));

    // The controls the checks feed.
    let verdicts: BTreeMap<&str, &str> = r["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["verdict"].as_str().unwrap()))
        .collect();
    // An end-of-life kubelet or runtime alone answers No (critical).
    assert_eq!(verdicts["PCI-10.1"], "not_satisfied");
    assert_eq!(verdicts["PCI-10.2"], "partially_satisfied");
    assert_eq!(verdicts["PCI-10.3"], "not_satisfied");
    assert_eq!(verdicts["PR.PS-02.242-related-5"], "not_satisfied");

    // The end-of-life data used is in the provenance with its hash.
    let data = &r["provenance"]["data_files"][0];
    assert_eq!(data["path"], "controls/data/end-of-life.yaml");
    assert_eq!(data["builtin"], true);
    let shipped =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("controls/data/end-of-life.yaml"))
            .unwrap();
    use sha2::Digest;
    assert_eq!(
        data["sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(&shipped))
    );

    // Same input, same as-of: the same bytes, from two runs that differ in all that must
    // not matter (the order the directory lists the files, times, time zone, locale).
    let runs = support::reruns::two(&["tests/fixtures/cluster"]);
    for run in &runs {
        run.evidencer()
            .args(["report", "--snapshot", "tests/fixtures/cluster"])
            .args(["--as-of", "2026-11-22", "--format", "json", "--out", "out"])
            .assert()
            .success();
    }
    support::reruns::same_bytes(&runs, "out/report.json");
}

#[test]
fn settings_and_a_user_eol_file_change_the_judgement() {
    let dir = tempfile::tempdir().unwrap();
    // A vendor's dates: Kubernetes 1.33 supported for longer, containerd 1.7 too.
    let eol = dir.path().join("eol.yaml");
    std::fs::write(
        &eol,
        "compiled: 2026-11-01\nproducts:\n  kubernetes:\n    name: Kubernetes (vendor)\n    lines:\n      - {version: \"1.33\", released: 2025-04-23, end-of-life: 2027-04-30}\n      - {version: \"1.35\", released: 2025-12-17, end-of-life: 2027-02-28}\n      - {version: \"1.36\", released: 2026-04-22, end-of-life: 2027-06-28}\n  containerd:\n    name: containerd (vendor)\n    lines:\n      - {version: \"1.7\", released: 2023-03-10, end-of-life: 2027-03-10}\n      - {version: \"2.2\", released: 2025-11-05, end-of-life: 2026-11-06}\n      - {version: \"2.3\", released: 2026-04-30, end-of-life: 2028-04-30}\n",
    )
    .unwrap();
    let bytes = report(&[
        "--eol-data",
        eol.to_str().unwrap(),
        "--max-node-age-days",
        "200",
        "--max-scan-age-days",
        "70",
    ]);
    let r: Value = serde_json::from_slice(&bytes).unwrap();
    let got = statuses(&r);
    let status = |check: &str, subject: &str| {
        got[check]
            .iter()
            .find(|(s, _)| s == subject)
            .map(|(_, st)| st.clone())
            .unwrap()
    };
    assert_eq!(
        status("kubelet-version-supported", "Node worker-b1"),
        "pass"
    );
    assert_eq!(
        status("container-runtime-supported", "Node worker-b1"),
        "pass"
    );
    // CRI-O is not in the user's file: not judged, never passed by default.
    assert_eq!(
        status("container-runtime-supported", "Node worker-c1"),
        "not_assessed"
    );
    assert_eq!(status("node-recently-replaced", "Node worker-a2"), "pass");
    assert_eq!(
        status(
            "images-scanned",
            "StatefulSet payments/ledger container ledger"
        ),
        "pass"
    );
    let data = &r["provenance"]["data_files"][0];
    assert_eq!(data["builtin"], false);
    assert!(data["path"].as_str().unwrap().ends_with("eol.yaml"));
}

#[test]
fn a_broken_eol_file_stops_the_run_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let eol = dir.path().join("eol.yaml");
    std::fs::write(
        &eol,
        "compiled: 2026-11-01\nproducts:\n  kubernetes:\n    name: K\n    lines:\n      - {version: \"1.36\", released: 2026-04-22, end-of-life: 2027-6-28}\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let assert = Command::cargo_bin("evidencer")
        .unwrap()
        .args(["report", "--snapshot"])
        .arg(fixture())
        .args(["--as-of", "2026-11-22", "--format", "json", "--out"])
        .arg(out.path())
        .arg("--eol-data")
        .arg(&eol)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("eol.yaml:6:"), "{stderr}");
    assert!(stderr.contains("`2027-6-28` is not a date"), "{stderr}");
    assert!(!out.path().join("report.json").exists());
}

#[test]
fn the_config_file_takes_the_new_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("evidencer.yaml");
    std::fs::write(&cfg, "max-node-age-days: 30\nmax-scan-age-days: 7\n").unwrap();
    let assert = Command::cargo_bin("evidencer")
        .unwrap()
        .args(["report", "--dump-config", "--config"])
        .arg(&cfg)
        .assert()
        .success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(out.contains("max-node-age-days: 30"), "{out}");
    assert!(out.contains("max-scan-age-days: 7"), "{out}");
}
