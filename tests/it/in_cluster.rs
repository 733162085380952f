//! evidencer as the CronJob in `deploy/` runs it: the ClusterRole against the collector's
//! own table of kinds, the CronJob's arguments against the binary, the pod's service
//! account over TLS (in a private mount namespace, as root), and an unreachable API server
//! filing nothing.

use crate::support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use evidencer::evidence::kinds;
use serde_json::Value;
use support::apiserver::ApiServer;

const SA_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
}

fn yaml(path: &Path) -> Value {
    serde_saphyr::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// The binary, isolated from the developer's kubeconfig and any pod environment.
fn evidencer(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_evidencer"));
    c.env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env("HOME", home)
        .current_dir(home);
    c
}

#[test]
fn the_cluster_role_grants_exactly_what_the_collector_lists() {
    let role = yaml(&deploy("base/clusterrole.yaml"));
    assert_eq!(role["kind"], "ClusterRole");
    let mut granted = BTreeSet::new();
    let mut urls = BTreeSet::new();
    for rule in role["rules"].as_array().unwrap() {
        let verbs = strings(&rule["verbs"]);
        for verb in &verbs {
            assert!(
                matches!(verb.as_str(), "get" | "list"),
                "write or watch verb {verb} in {rule}"
            );
        }
        if rule.get("nonResourceURLs").is_some() {
            assert_eq!(verbs, ["get"], "{rule}");
            urls.extend(strings(&rule["nonResourceURLs"]));
            continue;
        }
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                assert!(
                    !matches!(resource.as_str(), "secrets" | "configmaps"),
                    "{rule}"
                );
                assert!(
                    resource != "*" || group == kinds::GATEKEEPER_CONSTRAINTS,
                    "a wildcard outside Gatekeeper's constraint group: {rule}"
                );
                for verb in &verbs {
                    granted.insert((group.clone(), resource.clone(), verb.clone()));
                }
            }
        }
    }
    let mut needed = BTreeSet::new();
    for rule in kinds::read_rules() {
        for resource in &rule.resources {
            for verb in rule.verbs {
                needed.insert((
                    rule.group.to_string(),
                    resource.to_string(),
                    verb.to_string(),
                ));
            }
        }
    }
    let missing: Vec<_> = needed.difference(&granted).collect();
    let extra: Vec<_> = granted.difference(&needed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "deploy/base/clusterrole.yaml differs from src/evidence/kinds.rs:\n\
         missing {missing:?}\nextra {extra:?}"
    );
    let expected: BTreeSet<String> = kinds::NON_RESOURCE_URLS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(urls, expected);

    // The binding gives the role to the CronJob's service account, and to nobody else.
    let binding = yaml(&deploy("base/clusterrolebinding.yaml"));
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    let cronjob = yaml(&deploy("base/cronjob.yaml"));
    let pod = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(
        binding["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": pod["serviceAccountName"],
                            "namespace": cronjob["metadata"]["namespace"]}])
    );
}

#[test]
fn the_cronjob_runs_arguments_the_binary_accepts() {
    let cronjob = yaml(&deploy("base/cronjob.yaml"));
    assert_eq!(cronjob["spec"]["schedule"], "0 6 1 1,4,7,10 *");
    assert_eq!(cronjob["spec"]["concurrencyPolicy"], "Forbid");
    let container = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let args = strings(&container["args"]);
    let settings = dump_config(&args);
    assert_eq!(settings["cluster"], true);
    assert_eq!(settings["period"], "previous-quarter");
    assert_eq!(settings["archive"], "/reports");
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    assert!(
        mounts.contains(&"/reports") && mounts.contains(&"/tmp"),
        "{mounts:?}"
    );
}

#[test]
fn an_unreachable_api_server_fails_the_run_and_files_nothing() {
    let home = tempfile::tempdir().unwrap();
    // A port nothing listens on: the kubeconfig of a server that was stopped.
    let server = ApiServer::builder().start();
    let url = server.url();
    let kubeconfig = server.kubeconfig(home.path(), "gone");
    drop(server);
    let archive = home.path().join("reports");
    let out = evidencer(home.path())
        .args([
            "--log-format",
            "json",
            "report",
            "--cluster",
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .args(["--period", "previous-quarter", "--archive"])
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last: Value = serde_json::from_str(stderr.lines().last().unwrap()).expect(&stderr);
    assert_eq!(last["level"], "ERROR");
    let error = last["error"].as_str().unwrap();
    assert!(error.contains(&url), "{error}");
    // The archive holds its lock file and nothing else: no period folder, no staging one.
    let left: Vec<String> = fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, [".evidencer.lock"]);
}

/// A CA, and a server certificate it signed for 127.0.0.1: (ca.crt PEM, cert PEM, key PEM).
fn test_pki() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "evidencer test cluster CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let cert = server.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// Runs the binary as root in a private mount namespace with `sa` mounted at the
/// service-account path; `None` (with a message) where that cannot be done, a failure
/// under CI.
fn run_in_pod(sa: &Path, home: &Path, port: u16, args: &[&str]) -> Option<std::process::Output> {
    if !support::namespaces::available() {
        return None;
    }
    // A tmpfs over /var/run (private to the namespace) holds the mount point, so nothing is
    // created on the machine's own filesystem.
    let script = format!(
        "mount -t tmpfs tmpfs /var/run && mkdir -p {SA_DIR} && mount --bind {sa} {SA_DIR} && \
         exec \"$@\"",
        sa = sa.display()
    );
    Some(
        std::process::Command::new("unshare")
            .args([
                "-m",
                "sh",
                "-c",
                &script,
                "sh",
                env!("CARGO_BIN_EXE_evidencer"),
            ])
            .args(args)
            .env_remove("KUBECONFIG")
            .env("HOME", home)
            .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
            .env("KUBERNETES_SERVICE_PORT", port.to_string())
            .current_dir(home)
            .output()
            .unwrap(),
    )
}

#[test]
fn in_a_pod_the_service_account_is_used_over_tls() {
    let (ca, cert, key) = test_pki();
    let token = "in-cluster-token-1";
    let server = ApiServer::builder()
        .token(token)
        .tls(&cert, &key)
        .object(serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "shop", "uid": "ns-1",
                         "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}
        }))
        .start();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let port: u16 = server.url().rsplit(':').next().unwrap().parse().unwrap();
    let sa = tempfile::tempdir().unwrap();
    fs::write(sa.path().join("token"), token).unwrap();
    fs::write(sa.path().join("ca.crt"), &ca).unwrap();
    fs::write(sa.path().join("namespace"), "evidencer").unwrap();
    let home = tempfile::tempdir().unwrap();
    let archive = home.path().join("reports");
    // The CronJob's own command line, its volume swapped for a temporary folder.
    let cronjob = yaml(&deploy("base/cronjob.yaml"));
    let mut args: Vec<String> = strings(
        &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"],
    )
    .into_iter()
    .map(|a| match a.as_str() {
        "--archive=/reports" => format!("--archive={}", archive.display()),
        _ => a,
    })
    .collect();
    args.push("--as-of=2026-10-01".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let Some(out) = run_in_pod(sa.path(), home.path(), port, &args) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains(token),
        "the token is never logged: {stderr}"
    );
    let summary: Value = serde_json::from_str(stderr.lines().last().unwrap()).expect(&stderr);
    assert_eq!(summary["message"], "report written", "{summary}");
    assert_eq!(summary["period"], "2026-Q3", "{summary}");
    let mut filed: Vec<String> = fs::read_dir(archive.join("2026-Q3"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    filed.sort();
    assert_eq!(
        filed,
        [
            "answers.csv",
            "evidence.tar.gz",
            "report.html",
            "report.json",
            "report.md",
            "report.pdf"
        ]
    );
    let report: Value =
        serde_json::from_slice(&fs::read(archive.join("2026-Q3/report.json")).unwrap()).unwrap();
    let cluster = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "cluster")
        .expect("a cluster source");
    assert_eq!(cluster["location"], "in-cluster", "{cluster}");
    assert_eq!(cluster["details"]["server"], server.url(), "{cluster}");
    assert!(!report.to_string().contains(token));
    // Every request carried the service account's token (the server rejects others).
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path.starts_with("/api/v1/namespaces")),
        "{requests:?}"
    );
}

#[test]
fn in_a_pod_a_server_certificate_from_another_ca_is_refused() {
    let (_, cert, key) = test_pki();
    let (other_ca, _, _) = test_pki();
    let server = ApiServer::builder().tls(&cert, &key).start();
    let port: u16 = server.url().rsplit(':').next().unwrap().parse().unwrap();
    let sa = tempfile::tempdir().unwrap();
    fs::write(sa.path().join("token"), "t").unwrap();
    fs::write(sa.path().join("ca.crt"), &other_ca).unwrap();
    fs::write(sa.path().join("namespace"), "evidencer").unwrap();
    let home = tempfile::tempdir().unwrap();
    let Some(out) = run_in_pod(
        sa.path(),
        home.path(),
        port,
        &["report", "--cluster", "--out", "out"],
    ) else {
        return;
    };
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("127.0.0.1"), "{stderr}");
    assert!(server.requests().is_empty(), "no request got through TLS");
    assert!(!home.path().join("out").exists());
}

#[test]
fn the_example_overlay_runs_arguments_the_binary_accepts() {
    let overlay = deploy("overlays/example");
    let Some(text) = support::kustomize::render(&overlay) else {
        return;
    };
    let cronjob = text
        .split("\n---\n")
        .map(|doc| serde_saphyr::from_str::<Value>(doc).unwrap())
        .find(|doc| doc["kind"] == "CronJob")
        .expect("a CronJob");
    let args = strings(
        &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"],
    );
    let settings = dump_config(&args);
    assert_eq!(settings["period"], "previous-month");
    assert_eq!(settings["repos"], serde_json::json!(["/repos/app/current"]));
}

/// The settings `args` give, as `--dump-config` prints them; fails when the binary refuses
/// them.
fn dump_config(args: &[String]) -> Value {
    let home = tempfile::tempdir().unwrap();
    let out = evidencer(home.path())
        .args(args)
        .arg("--dump-config")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_saphyr::from_slice(&out.stdout).unwrap()
}
