//! The live-cluster collector end to end: the real `evidencer` binary against the local test
//! API server (tests/support/apiserver.rs) holding the cluster fixture (tests/fixtures/cluster),
//! through a generated kubeconfig. What it asserts: the report judges the live cluster as it
//! judges the same objects in a snapshot; no request ever touches Secrets or ConfigMaps;
//! pagination reads every page; a 403 gives a partial report that names the missing
//! permission; an expired continue token (410) restarts the list and still gets every
//! object; transient errors are retried; `collect` then `report --snapshot` gives the same
//! findings (same ids) as `report --cluster`; an unreachable server or rejected credentials
//! stop the run with a clear error. `kubectl` reads the server too (skipped without kubectl,
//! a failure under CI).

use crate::support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use support::apiserver::{ApiServer, Builder, Logged};
use support::findings::{statuses, subject};

const CONTEXT: &str = "prod-eu";
const AS_OF: &str = "2026-11-22";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cluster")
}

/// The fixture cluster: its objects (Kyverno and Trivy Operator installed, Gatekeeper not),
/// plus a Secret and a ConfigMap nobody may read, behind a bearer token.
fn cluster() -> Builder {
    open_cluster().token("s3cr3t-t0ken")
}

/// The fixture cluster without a token: kubectl sends bearer tokens only over TLS.
fn open_cluster() -> Builder {
    let mut b = ApiServer::builder().kyverno().trivy();
    for name in [
        "namespaces.json",
        "nodes.json",
        "pods.json",
        "workloads.json",
        "rbac.yaml",
        "policies.yaml",
        "vulnerabilityreports.json",
    ] {
        b = b.file(&fixture().join(name));
    }
    let version: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().join("version.json")).unwrap())
            .unwrap();
    b.version(version["serverVersion"]["gitVersion"].as_str().unwrap())
        .object(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop"},
            "data": {"password": "aHVudGVyMg=="}
        }))
        .object(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "shop"},
            "data": {"api_key": "k-123"}
        }))
}

/// The binary, isolated from the developer's own kubeconfig and caches.
fn evidencer(home: &Path) -> Command {
    let mut c = Command::cargo_bin("evidencer").unwrap();
    c.env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", home)
        .current_dir(home);
    c
}

/// Runs `report` with `args`; report.json.
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

fn live(server: &ApiServer, home: &Path, extra: &[&str]) -> Value {
    let kubeconfig = server.kubeconfig(home, CONTEXT);
    let mut args = vec!["--cluster", "--kubeconfig", kubeconfig.to_str().unwrap()];
    args.extend(extra);
    report(home, &args)
}

fn finding<'a>(report: &'a Value, check: &str, subject_name: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check && subject(f) == subject_name)
        .unwrap_or_else(|| panic!("no {check} finding for {subject_name}"))
}

/// Every request was a GET, and none was for Secrets or ConfigMaps.
fn assert_read_only_and_no_secrets(requests: &[Logged]) {
    assert!(!requests.is_empty());
    for r in requests {
        assert_eq!(r.method, "GET", "{r:?}");
        let resource = r.resource().unwrap_or_default();
        assert!(
            resource != "secrets" && resource != "configmaps",
            "requested {}",
            r.path
        );
    }
}

/// Runs `collect` into `home/snap`; the snapshot directory.
fn collect(server: &ApiServer, home: &Path) -> PathBuf {
    let kubeconfig = server.kubeconfig(home, CONTEXT);
    let snap = home.join("snap");
    evidencer(home)
        .args(["collect", "--cluster", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("--out")
        .arg(&snap)
        .assert()
        .success();
    snap
}

fn manifest(snap: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(snap.join("manifest.json")).unwrap()).unwrap()
}

fn list_requests<'a>(requests: &'a [Logged], path: &str) -> Vec<&'a Logged> {
    requests.iter().filter(|r| r.path == path).collect()
}

#[test]
fn a_live_cluster_is_judged_as_its_snapshot_is_and_secrets_are_never_requested() {
    let home = tempfile::tempdir().unwrap();
    let server = cluster().start();
    let live = live(&server, home.path(), &["--page-size", "2"]);
    let offline = report(home.path(), &["--snapshot", fixture().to_str().unwrap()]);
    // The fixture has no manifest.json, so its RBAC was read from files and could hide
    // other grants: offline, pod-exec-restricted says so; live, RBAC was listed in full.
    let mut offline_statuses = statuses(&offline);
    let exec = offline_statuses.get_mut("pod-exec-restricted").unwrap();
    let unseen = ("Input all sources".to_string(), "not_assessed".to_string());
    assert!(exec.contains(&unseen), "{exec:?}");
    exec.retain(|s| s != &unseen);
    // kubectl output keeps no managedFields, the API serves them: no-manual-edits judges
    // the live workloads' field managers and cannot judge the files'.
    let mut live_statuses = statuses(&live);
    let offline_edits = offline_statuses.remove("no-manual-edits").unwrap();
    assert_eq!(
        offline_edits,
        [(unseen.0.clone(), "not_assessed".to_string())],
        "{offline_edits:?}"
    );
    let live_edits = live_statuses.remove("no-manual-edits").unwrap();
    assert!(
        live_edits.iter().all(|(_, s)| s != "not_assessed"),
        "{live_edits:?}"
    );
    assert_eq!(live_statuses, offline_statuses);
    assert!(
        live["inputs"]["problems"].as_array().unwrap().is_empty(),
        "{}",
        live["inputs"]["problems"]
    );

    let requests = server.requests();
    assert_read_only_and_no_secrets(&requests);
    // 9 pods, 2 a page: 5 pages, each after the first resuming from the last.
    let pods = list_requests(&requests, "/api/v1/pods");
    assert_eq!(pods.len(), 5, "{pods:?}");
    assert!(
        pods.iter()
            .all(|r| r.query["limit"] == "2" && r.status == 200)
    );
    assert!(!pods[0].query.contains_key("continue"));
    assert!(pods[1..].iter().all(|r| !r.query["continue"].is_empty()));
    // Gatekeeper is not installed: its API was looked for, and no list was tried.
    assert!(requests.iter().all(|r| !r.path.contains("gatekeeper")));

    let source = &live["sources"][0];
    assert_eq!(source["id"], format!("cluster:{CONTEXT}"));
    assert_eq!(source["kind"], "cluster");
    assert_eq!(source["identity"], CONTEXT);
    assert_eq!(source["details"]["server"], server.url());
    assert_eq!(source["details"]["server_version"], "v1.36.2");
    let coverage = &live["inputs"]["coverage"];
    assert_eq!(coverage["Pod"], json!({"status": "collected", "count": 9}));
    assert_eq!(coverage["Job"], json!({"status": "collected", "count": 0}));
    assert_eq!(
        coverage["K8sPSPReadOnlyRootFilesystem"],
        json!({"status": "not_served"})
    );
    assert!(coverage.get("Secret").is_none());
    let pod = live["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["describes"] == "Pod shop/api-7c9d8f6b5d-4kq2x")
        .unwrap();
    assert_eq!(
        pod["locator"],
        "/api/v1/namespaces/shop/pods/api-7c9d8f6b5d-4kq2x"
    );
    assert!(pod["collected_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn a_forbidden_kind_gives_a_partial_report_that_names_the_missing_permission() {
    let home = tempfile::tempdir().unwrap();
    let server = cluster()
        .forbid("clusterrolebindings")
        .gatekeeper(&["K8sPSPReadOnlyRootFilesystem"])
        .object(json!({
            "apiVersion": "constraints.gatekeeper.sh/v1beta1",
            "kind": "K8sPSPReadOnlyRootFilesystem",
            "metadata": {"name": "psp-readonlyrootfilesystem"},
            "spec": {"match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]}}
        }))
        .start();
    let r = live(&server, home.path(), &[]);
    let f = finding(&r, "pod-exec-restricted", "Input all sources");
    assert_eq!(f["status"], "not_assessed");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("forbidden") && message.contains("clusterrolebindings"),
        "{message}"
    );
    assert_eq!(
        r["inputs"]["coverage"]["ClusterRoleBinding"]["status"],
        "forbidden"
    );
    let problems = r["inputs"]["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["message"].as_str().unwrap().contains(
                "missing permission: `list` on clusterrolebindings.rbac.authorization.k8s.io"
            )),
        "{problems:?}"
    );
    // The rest of the cluster is still judged, CRD-backed kinds found through discovery
    // included: Gatekeeper serves one constraint kind; the others it could serve are said
    // to be not served rather than left out.
    assert_eq!(
        finding(&r, "kubelet-version-supported", "Node cp-1")["status"],
        "pass"
    );
    let coverage = &r["inputs"]["coverage"];
    assert_eq!(
        coverage["K8sPSPReadOnlyRootFilesystem"],
        json!({"status": "collected", "count": 1})
    );
    assert_eq!(
        coverage["K8sPSPPrivilegedContainer"]["status"],
        "not_served"
    );
    let requests = server.requests();
    assert_eq!(
        list_requests(
            &requests,
            "/apis/constraints.gatekeeper.sh/v1beta1/k8spspreadonlyrootfilesystem"
        )
        .len(),
        1
    );
}

#[test]
fn an_expired_continue_token_restarts_the_list_and_transient_errors_are_retried() {
    let home = tempfile::tempdir().unwrap();
    let server = cluster()
        .expire_continue("pods", 1)
        .fail_with("nodes", &[503, 500])
        .start();
    let r = live(&server, home.path(), &["--page-size", "4"]);
    assert_eq!(r["inputs"]["coverage"]["Pod"]["count"], 9);
    assert_eq!(r["inputs"]["coverage"]["Node"]["count"], 5);
    let requests = server.requests();
    let pods: Vec<(bool, u16)> = list_requests(&requests, "/api/v1/pods")
        .iter()
        .map(|r| (r.query.contains_key("continue"), r.status))
        .collect();
    assert_eq!(
        pods,
        [
            (false, 200),
            (true, 410),
            (false, 200),
            (true, 200),
            (true, 200)
        ]
    );
    let nodes: Vec<u16> = list_requests(&requests, "/api/v1/nodes")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(nodes, [503, 500, 200, 200]);
}

#[test]
fn collect_then_report_snapshot_gives_the_findings_of_a_live_report() {
    let home = tempfile::tempdir().unwrap();
    let server = cluster().forbid("rolebindings").start();
    let snap = collect(&server, home.path());
    assert_read_only_and_no_secrets(&server.requests());

    let manifest = manifest(&snap);
    assert_eq!(manifest["format"], "evidencer-snapshot");
    assert_eq!(manifest["cluster"]["context"], CONTEXT);
    assert_eq!(manifest["cluster"]["server"], server.url());
    assert_eq!(manifest["cluster"]["version"], "v1.36.2");
    let kinds = &manifest["kinds"];
    assert_eq!(kinds["Pod"]["status"], "collected");
    assert_eq!(kinds["Pod"]["count"], 9);
    assert_eq!(kinds["Pod"]["file"], "pods.json");
    assert_eq!(kinds["Job"]["count"], 0);
    assert_eq!(kinds["RoleBinding"]["status"], "forbidden");
    assert_eq!(
        kinds["K8sPSPReadOnlyRootFilesystem"]["status"],
        "not_served"
    );
    assert_eq!(
        kinds["ClusterPolicy"]["file"],
        "clusterpolicies.kyverno.io.json"
    );
    for file in manifest["files"].as_array().unwrap() {
        let bytes = std::fs::read(snap.join(file["path"].as_str().unwrap())).unwrap();
        assert_eq!(file["size"], bytes.len());
    }
    let pods: Value =
        serde_json::from_slice(&std::fs::read(snap.join("pods.json")).unwrap()).unwrap();
    assert_eq!(pods["kind"], "List");
    assert_eq!(pods["items"].as_array().unwrap().len(), 9);
    assert_eq!(pods["items"][0]["kind"], "Pod");
    let version: Value =
        serde_json::from_slice(&std::fs::read(snap.join("version.json")).unwrap()).unwrap();
    assert_eq!(version["serverVersion"]["gitVersion"], "v1.36.2");
    // Nothing half-written is left beside it.
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 2);

    let live = live(&server, home.path(), &[]);
    let offline = report(home.path(), &["--snapshot", snap.to_str().unwrap()]);
    let findings = |r: &Value| -> Vec<(String, String, String)> {
        let mut v: Vec<_> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["status"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(findings(&live), findings(&offline));
    assert_eq!(offline["sources"][0]["identity"], CONTEXT);
    assert_eq!(
        offline["inputs"]["coverage"]["RoleBinding"]["status"],
        "forbidden"
    );
    let evidence = offline["evidence"].as_array().unwrap();
    assert!(
        evidence
            .iter()
            .all(|e| e["collected_at"] == manifest["collected_at"]),
        "collected_at comes from the manifest"
    );
    // An object keeps its hash from the API to the snapshot file.
    let hash = |r: &Value, describes: &str| {
        r["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["describes"] == describes)
            .unwrap()["sha256"]
            .clone()
    };
    assert_eq!(
        hash(&live, "Node worker-a2"),
        hash(&offline, "Node worker-a2")
    );
    let problems = offline["inputs"]["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["message"]
            .as_str()
            .unwrap()
            .contains("`list` on rolebindings")),
        "{problems:?}"
    );

    // A file edited after collection is reported.
    let nodes = snap.join("nodes.json");
    let text = std::fs::read_to_string(&nodes)
        .unwrap()
        .replace("\"worker-a2\"", "\"worker-a3\"");
    std::fs::write(&nodes, text).unwrap();
    let edited = report(home.path(), &["--snapshot", snap.to_str().unwrap()]);
    let problems = edited["inputs"]["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["location"].as_str().unwrap().ends_with("nodes.json")
                && p["message"]
                    .as_str()
                    .unwrap()
                    .contains("changed since it was collected")),
        "{problems:?}"
    );
}

#[test]
fn namespaces_limit_what_is_read() {
    let home = tempfile::tempdir().unwrap();
    let server = cluster().start();
    let r = live(
        &server,
        home.path(),
        &["-n", "shop", "--namespace", "payments"],
    );
    assert_eq!(r["inputs"]["coverage"]["Pod"]["count"], 5);
    assert_eq!(r["inputs"]["coverage"]["Namespace"]["count"], 2);
    assert_eq!(r["inputs"]["coverage"]["Node"]["count"], 5);
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path == "/api/v1/namespaces/shop/pods")
    );
    assert!(requests.iter().all(|r| r.path != "/api/v1/pods"));
    assert_eq!(r["sources"][0]["details"]["namespaces"], "shop,payments");
}

#[test]
fn rejected_credentials_and_an_unreachable_server_stop_the_run() {
    let home = tempfile::tempdir().unwrap();
    let server = ApiServer::builder().token("right").start();
    let kubeconfig = server.kubeconfig(home.path(), CONTEXT);
    let text = std::fs::read_to_string(&kubeconfig)
        .unwrap()
        .replace("token: right", "token: wrong");
    std::fs::write(&kubeconfig, text).unwrap();
    let out = home.path().join("out");
    let assert = evidencer(home.path())
        .args(["report", "--cluster", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("401 Unauthorized"), "{stderr}");
    assert!(
        !stderr.contains("wrong"),
        "the token is never shown: {stderr}"
    );
    assert!(!out.exists());

    // Nothing listens on the port of a stopped server.
    let url = server.url();
    drop(server);
    let kubeconfig = home.path().join("gone");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {url}\n\
             contexts:\n- name: gone\n  context: {{cluster: c, user: u}}\ncurrent-context: gone\n\
             users:\n- name: u\n  user: {{}}\n"
        ),
    )
    .unwrap();
    let assert = evidencer(home.path())
        .args(["collect", "--cluster", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("--out")
        .arg(home.path().join("snap"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("cannot read /version from the API server") && stderr.contains(&url),
        "{stderr}"
    );
    assert!(!home.path().join("snap").exists());
}

#[test]
fn kubectl_reads_the_test_server_too() {
    let Ok(kubectl) = which("kubectl") else {
        support::need::missing("kubectl is not installed");
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let server = open_cluster().start();
    let kubeconfig = server.kubeconfig(home.path(), CONTEXT);
    let output = std::process::Command::new(kubectl)
        .env("HOME", home.path())
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cache-dir")
        .arg(home.path().join("cache"))
        .args(["get", "pods", "-A", "-o", "json", "--chunk-size=2"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pods: Value = serde_json::from_slice(&output.stdout).unwrap();
    let items = pods["items"].as_array().unwrap();
    assert_eq!(items.len(), 9);
    assert!(items.iter().all(|p| p["kind"] == "Pod"));
    let pods_requests = list_requests(&server.requests(), "/api/v1/pods").len();
    assert_eq!(pods_requests, 5);
}

fn which(tool: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(tool))
                .find(|p| p.is_file())
        })
        .ok_or(())
}

#[test]
fn lists_overlap_but_never_more_than_the_bound_at_once() {
    let home = tempfile::tempdir().unwrap();
    let server = cluster()
        .latency(std::time::Duration::from_millis(60))
        .start();
    let r = live(&server, home.path(), &["--page-size", "2"]);
    assert_eq!(r["inputs"]["coverage"]["Pod"]["count"], 9);
    let most = server.max_in_flight();
    assert!(
        (2..=evidencer::collect::cluster::DEFAULT_CONCURRENCY).contains(&most),
        "{most} requests at once"
    );
}

#[test]
fn kubeconfig_env_and_context_pick_the_cluster_as_kubectl_does() {
    let home = tempfile::tempdir().unwrap();
    let server = cluster().start();
    let ours = server.kubeconfig(home.path(), CONTEXT);
    // The first file of KUBECONFIG sets the current context: a cluster nobody serves.
    let other = home.path().join("kubeconfig-staging");
    std::fs::write(
        &other,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: staging-cluster\n  cluster:\n    \
         server: http://127.0.0.1:9\ncontexts:\n- name: staging\n  context:\n    cluster: \
         staging-cluster\n    user: staging-user\ncurrent-context: staging\nusers:\n- name: \
         staging-user\n  user:\n    username: someone\n",
    )
    .unwrap();
    let kubeconfig = std::env::join_paths([&other, &ours]).unwrap();
    let out = home.path().join("out");
    evidencer(home.path())
        .env("KUBECONFIG", &kubeconfig)
        .args([
            "report",
            "--cluster",
            "--context",
            CONTEXT,
            "--as-of",
            AS_OF,
        ])
        .args(["--format", "json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["sources"][0]["identity"], CONTEXT);
    assert_eq!(r["inputs"]["coverage"]["Pod"]["count"], 9);

    let assert = evidencer(home.path())
        .env("KUBECONFIG", &kubeconfig)
        .args(["report", "--cluster", "--context", "nowhere", "--out"])
        .arg(home.path().join("out2"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("nowhere"), "{stderr}");
    assert!(server.requests().len() > 1);
}

#[test]
fn without_a_kubeconfig_outside_a_pod_the_run_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let assert = evidencer(home.path())
        .args(["collect", "--cluster", "--out"])
        .arg(home.path().join("snap"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("no cluster to connect to") && stderr.contains("--kubeconfig"),
        "{stderr}"
    );
    assert!(!home.path().join("snap").exists());
}

#[test]
fn secret_looking_values_are_redacted_before_a_snapshot_file_is_written() {
    let home = tempfile::tempdir().unwrap();
    let server = cluster()
        .object(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": "leaky", "namespace": "shop", "uid": "u-leaky",
                "annotations": {"example.com/api-token": "tok-9f8e7d", "team": "shop"}
            },
            "spec": {"containers": [{
                "name": "app", "image": "registry.example.com/app:1.0",
                "env": [
                    {"name": "DB_PASSWORD", "value": "hunter2"},
                    {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
                ],
                "args": ["--api-key=k-55aa"]
            }]},
            "status": {"phase": "Running"}
        }))
        .start();
    let snap = collect(&server, home.path());
    let pods = std::fs::read_to_string(snap.join("pods.json")).unwrap();
    for secret in ["hunter2", "tok-9f8e7d", "k-55aa", "aHVudGVyMg==", "k-123"] {
        assert!(!pods.contains(secret), "{secret} was stored");
    }
    assert!(pods.contains("\"DB_PASSWORD\"") && pods.contains("secretKeyRef"));
    assert!(pods.contains("\"team\":\"shop\""));
    assert!(!snap.join("secrets.json").exists() && !snap.join("configmaps.json").exists());
    // The manifest's hash is of the redacted bytes as stored.
    let manifest = manifest(&snap);
    let entry = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "pods.json")
        .unwrap();
    assert_eq!(
        entry["sha256"],
        evidencer::evidence::record::sha256_hex(pods.as_bytes())
    );
    // The files hold nothing left to redact; the manifest says what was, and a report from
    // the snapshot counts it as a live report does.
    let offline = report(home.path(), &["--snapshot", snap.to_str().unwrap()]);
    let redaction = &offline["inputs"]["redaction"];
    // The env value, and the `--api-key=` flag.
    assert_eq!(redaction["env_values_redacted"], 1);
    assert_eq!(redaction["arguments_redacted"], 1);
    assert_eq!(redaction["annotations_redacted"], 1);
    let live = live(&server, home.path(), &[]);
    assert_eq!(live["inputs"]["redaction"], *redaction);
}
