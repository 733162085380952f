//! Secrets never reach what evidencer hands over: reports, `collect --out` snapshots and
//! bundles (directory and `.tar.gz`, every file read). Covers pod-template and job-template
//! annotations, secrets in container command lines and probe headers, and files from
//! repositories (Secrets in any spelling, Kyverno generate data, SealedSecrets,
//! ExternalSecrets, pipelines and scripts), redacted in place: the stored file hashes to its
//! record and keeps its lines, so a finding's `file:line` still points at the right line.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use git2::{Repository, Signature, Time};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::apiserver::ApiServer;

const AS_OF: &str = "2026-10-15";

fn evidencer(home: &Path) -> Command {
    let mut c = Command::cargo_bin("evidencer").unwrap();
    c.env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", home)
        .current_dir(home);
    c
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every file under `dir` (recursively), by path relative to it.
fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Every file of a `.tar.gz` bundle, every gzip member read.
fn files_in_archive(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let gz = flate2::read::MultiGzDecoder::new(fs::File::open(path).unwrap());
    let mut archive = tar::Archive::new(gz);
    let mut out = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.insert(name, bytes);
    }
    assert!(!out.is_empty(), "{} holds no file", path.display());
    out
}

/// Fails naming every file (of `what`) that holds one of `secrets`.
fn assert_no_secret(what: &str, files: &BTreeMap<String, Vec<u8>>, secrets: &[&str]) {
    let mut leaks = Vec::new();
    for (name, bytes) in files {
        let text = String::from_utf8_lossy(bytes);
        for s in secrets {
            if text.contains(s) {
                leaks.push(format!("{what}: {name} holds {s}"));
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

/// A PEM private key whose body is `body`.
fn pem(body: &str) -> String {
    format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n")
}

const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0bXBsIn0.dG1wbC1qd3QtMw";
const AWS_KEY_ID: &str = "AKIATMPLKEY4EXAMPLE0";

/// A Deployment and a CronJob whose templates hold secrets in their annotations, command
/// lines and probe headers, and the secrets they hold.
fn workloads() -> (Vec<Value>, Vec<&'static str>) {
    let last_applied = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "x"},
        "spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "x", "env": [{"name": "K", "value": "lastapplied-env-6"}]}
        ]}}}
    })
    .to_string();
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop", "uid": "u-api"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "api"}},
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {
                    "labels": {"app": "api"},
                    "annotations": {
                        "example.com/db-password": "tmpl-db-pass-1",
                        "example.com/signing-key": pem("MIIEtmplPEMbody2"),
                        "example.com/session": JWT,
                        "example.com/aws": AWS_KEY_ID,
                        "example.com/db": "postgres://app:tmpl-url-pw-5@db:5432/app",
                        "example.com/team": "payments"
                    }
                },
                "spec": {"containers": [
                    {
                        "name": "db", "image": "registry.example.com/mysql-client:8.0",
                        "command": ["mysql"],
                        "args": ["-uroot", "-pmysql-pw-a1", "--token", "two-arg-a2", "PASSWORD=assign-a3"],
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080,
                            "httpHeaders": [
                                {"name": "Authorization", "value": "Bearer probe-a6"},
                                {"name": "X-Trace", "value": "kept-header"}
                            ]}}
                    },
                    {
                        "name": "migrate", "image": "registry.example.com/migrate:1.0",
                        "command": ["sh", "-c", "migrate --password=shc-a4 && git clone https://ci:url-arg-a5@git.example.com/repo"]
                    },
                    {
                        "name": "tunnel", "image": "registry.example.com/ssh:1.0",
                        "args": ["ssh", "-p", "2222", "bastion.example.com"]
                    }
                ]}
            }
        }
    });
    let cronjob = json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "shop", "uid": "u-nightly"},
        "spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": {
            "metadata": {"annotations": {
                "example.com/api-token": "cron-token-7",
                "kubectl.kubernetes.io/last-applied-configuration": last_applied
            }},
            "spec": {"restartPolicy": "Never", "containers": [
                {"name": "job", "image": "registry.example.com/job:1.0"}
            ]}
        }}}}
    });
    let secrets = vec![
        "tmpl-db-pass-1",
        "MIIEtmplPEMbody2",
        JWT,
        "dG1wbC1qd3QtMw",
        AWS_KEY_ID,
        "tmpl-url-pw-5",
        "lastapplied-env-6",
        "cron-token-7",
        "mysql-pw-a1",
        "two-arg-a2",
        "assign-a3",
        "shc-a4",
        "url-arg-a5",
        "probe-a6",
    ];
    (vec![deployment, cronjob], secrets)
}

fn write_snapshot(dir: &Path, objects: &[Value]) {
    fs::create_dir_all(dir).unwrap();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    fs::write(
        dir.join("workloads.json"),
        serde_json::to_vec_pretty(&list).unwrap(),
    )
    .unwrap();
}

/// `report` with every text format and a bundle at `bundle`; the report files.
fn report(home: &Path, input: &[&str], out: &Path, bundle: &Path) -> BTreeMap<String, Vec<u8>> {
    let output = evidencer(home)
        .arg("report")
        .args(input)
        .args(["--as-of", AS_OF, "--format", "json,md,html,csv", "--out"])
        .arg(out)
        .arg("--bundle")
        .arg(bundle)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "evidencer failed: {stderr}");
    files_in(out)
}

fn report_json(files: &BTreeMap<String, Vec<u8>>) -> Value {
    serde_json::from_slice(&files["report.json"]).unwrap()
}

#[test]
fn template_annotations_and_command_lines_are_redacted_in_reports_snapshots_and_bundles() {
    let home = tempfile::tempdir().unwrap();
    let (objects, secrets) = workloads();
    let snap = home.path().join("snap");
    write_snapshot(&snap, &objects);
    let snap_arg = ["--snapshot", snap.to_str().unwrap()];

    let dir_bundle = home.path().join("bundle");
    let reports = report(
        home.path(),
        &snap_arg,
        &home.path().join("out"),
        &dir_bundle,
    );
    assert_no_secret("report", &reports, &secrets);
    let bundle = files_in(&dir_bundle);
    assert_no_secret("directory bundle", &bundle, &secrets);
    let archive = home.path().join("bundle.tar.gz");
    let reports = report(home.path(), &snap_arg, &home.path().join("out2"), &archive);
    assert_no_secret("report", &reports, &secrets);
    assert_no_secret("tar.gz bundle", &files_in_archive(&archive), &secrets);

    // What is not secret stays: the port of `ssh -p`, a header that carries no
    // credential, an annotation that names none, the user of a URL.
    let objects_text: String = bundle
        .iter()
        .filter(|(name, _)| name.contains("/objects/"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    for kept in [
        "\"2222\"",
        "kept-header",
        "\"payments\"",
        "postgres://app:[REDACTED]@db:5432/app",
        "-p[REDACTED]",
        "--password=[REDACTED]",
        "-----BEGIN RSA PRIVATE KEY-----",
    ] {
        assert!(
            objects_text.contains(kept),
            "{kept} is missing from the evidence"
        );
    }
    let redaction = &report_json(&reports)["inputs"]["redaction"];
    // Five in the Deployment's template, the token in the CronJob's, the env value in its
    // last applied configuration.
    assert_eq!(redaction["annotations_redacted"], 6, "{redaction}");
    assert_eq!(redaction["env_values_redacted"], 1, "{redaction}");
    // -p, --token, PASSWORD=, and in the sh -c script the flag and the URL password.
    assert_eq!(redaction["arguments_redacted"], 5, "{redaction}");
    assert_eq!(redaction["headers_redacted"], 1, "{redaction}");

    // `collect --out` writes the same objects as redacted, and counts the same.
    let server = ApiServer::builder().objects(objects).start();
    let kubeconfig = server.kubeconfig(home.path(), "test");
    let collected = home.path().join("collected");
    evidencer(home.path())
        .args(["collect", "--cluster", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("--out")
        .arg(&collected)
        .assert()
        .success();
    let files = files_in(&collected);
    assert!(
        files.keys().any(|f| f.starts_with("deployments")),
        "{:?}",
        files.keys()
    );
    assert_no_secret("collect --out", &files, &secrets);
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["redaction"]["annotations_redacted"], 6);
    assert_eq!(manifest["redaction"]["arguments_redacted"], 5);
}

/// A repository under construction, every commit at a fixed time.
struct Repo {
    repo: Repository,
}

impl Repo {
    fn init(dir: &Path) -> Repo {
        Repo {
            repo: Repository::init(dir).unwrap(),
        }
    }

    fn root(&self) -> PathBuf {
        self.repo.workdir().unwrap().to_path_buf()
    }

    fn write(&self, path: &str, text: &str) -> &Self {
        let p = self.root().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
        self
    }

    fn commit(&self, time: &str) {
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let secs = chrono::DateTime::parse_from_rfc3339(time)
            .unwrap()
            .timestamp();
        let sig = Signature::new("Dev", "dev@example.com", &Time::new(secs, 0)).unwrap();
        let parent = self.repo.head().ok().map(|h| h.peel_to_commit().unwrap());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, "commit", &tree, &parents)
            .unwrap();
    }
}

const APP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
      annotations:
        example.com/db-password: repo-tmpl-pw-r1
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:latest
          args: [\"--db-password=repo-arg-r2\", \"--port=80\"]
          env:
            - name: DB_URL
              value: postgres://app:repo-env-r3@db/app
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
stringData:
  password: repo-secret-r4
data:
  token: cmVwby1zZWNyZXQtcjU=
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data:
  settings: |
    db_password=repo-cm-r6
    mode=prod
";

const LOWER: &str = "apiVersion: v1beta1\nkind: secret\nmetadata: {name: lower}\nstringData:\n  key: repo-lower-r7\n";

const OTHER_JSON: &str = "{\n  \"apiVersion\": \"example.com/v1\",\n  \"kind\": \"Secret\",\n  \"metadata\": {\"name\": \"other\"},\n  \"data\": {\n    \"k\": \"repo-json-r8\"\n  }\n}\n";

const GENERATE: &str = "\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: registry-credentials
spec:
  rules:
    - name: copy-credentials
      match:
        any:
          - resources: {kinds: [Namespace]}
      generate:
        apiVersion: v1
        kind: Secret
        name: regcred
        namespace: \"{{request.object.metadata.name}}\"
        synchronize: true
        data:
          type: Opaque
          stringData:
            token: repo-kyverno-r9
";

const SEALED: &str = "\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: db
  namespace: shop
spec:
  encryptedData:
    password: AgBrepoSealedR10xyz
  template:
    metadata: {name: db}
    data:
      dsn: repo-sealed-tpl-r11
";

const EXTERNAL: &str = "\
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: db
  namespace: shop
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target:
    name: db
    template:
      data:
        dsn: repo-external-tpl-r12
  data:
    - secretKey: password
      remoteRef:
        key: db/prod/password
";

const WORKFLOW: &str = "\
name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t ghcr.io/acme/api:${GITHUB_SHA} .
      - run: docker login -u ci -p repo-ci-login-r13 ghcr.io
      - run: docker push ghcr.io/acme/api:${GITHUB_SHA}
      - run: |
          ./deploy --password=repo-ci-pw-r14
          mysql -uroot -prepo-ci-mysql-r15 db < m.sql
";

const HOTFIX: &str = "\
#!/bin/sh
export DB_PASSWORD=repo-script-r16
kubectl -n shop exec deploy/api -- mysql -uroot -prepo-hotfix-r17 -e 'select 1'
";

const REPO_SECRETS: [&str; 17] = [
    "repo-tmpl-pw-r1",
    "repo-arg-r2",
    "repo-env-r3",
    "repo-secret-r4",
    "cmVwby1zZWNyZXQtcjU=",
    "repo-cm-r6",
    "repo-lower-r7",
    "repo-json-r8",
    "repo-kyverno-r9",
    "AgBrepoSealedR10xyz",
    "repo-sealed-tpl-r11",
    "repo-external-tpl-r12",
    "repo-ci-login-r13",
    "repo-ci-pw-r14",
    "repo-ci-mysql-r15",
    "repo-script-r16",
    "repo-hotfix-r17",
];

/// The repository's files: path and text as committed.
fn repo_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("k8s/app.yaml", APP),
        ("k8s/lower.yaml", LOWER),
        ("k8s/other.json", OTHER_JSON),
        ("policies/generate.yaml", GENERATE),
        ("k8s/sealed.yaml", SEALED),
        ("k8s/external.yaml", EXTERNAL),
        (".github/workflows/ci.yml", WORKFLOW),
        ("scripts/hotfix.sh", HOTFIX),
    ]
}

/// The bundle's copy of a file of the repository.
fn stored<'a>(bundle: &'a BTreeMap<String, Vec<u8>>, path: &str) -> (&'a str, &'a str) {
    let (name, bytes) = bundle
        .iter()
        .find(|(name, _)| name.contains("/commits/") && name.ends_with(&format!("/{path}")))
        .unwrap_or_else(|| panic!("{path} is not in the bundle: {:?}", bundle.keys()));
    (name, std::str::from_utf8(bytes).unwrap())
}

#[test]
fn repository_files_are_redacted_in_place_hashed_as_stored_and_cited_by_their_lines() {
    let home = tempfile::tempdir().unwrap();
    let r = Repo::init(&home.path().join("gitops"));
    for (path, text) in repo_files() {
        r.write(path, text);
    }
    r.commit("2026-07-10T09:00:00Z");
    let root = r.root();
    let input = ["--repo", root.to_str().unwrap(), "--period", "2026-Q3"];

    let dir_bundle = home.path().join("bundle");
    let reports = report(home.path(), &input, &home.path().join("out"), &dir_bundle);
    assert_no_secret("report", &reports, &REPO_SECRETS);
    let bundle = files_in(&dir_bundle);
    assert_no_secret("directory bundle", &bundle, &REPO_SECRETS);
    let archive = home.path().join("bundle.tar.gz");
    let reports = report(home.path(), &input, &home.path().join("out2"), &archive);
    assert_no_secret("report", &reports, &REPO_SECRETS);
    let in_archive = files_in_archive(&archive);
    assert_no_secret("tar.gz bundle", &in_archive, &REPO_SECRETS);
    let report = report_json(&reports);

    // Every file keeps its lines, and hashes, as stored, to the sha256 its record gives.
    let records: BTreeMap<&str, &str> = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["sha256"].as_str().unwrap()))
        .collect();
    let manifest: Value = serde_json::from_slice(&in_archive["manifest.json"]).unwrap();
    // JSON manifests are read as objects, not kept as files.
    assert!(!in_archive.keys().any(|k| k.ends_with("other.json")));
    for (path, original) in repo_files()
        .into_iter()
        .filter(|(p, _)| !p.ends_with(".json"))
    {
        let (name, text) = stored(&in_archive, path);
        assert_eq!(
            text.lines().count(),
            original.lines().count(),
            "{path} lost or gained lines:\n{text}"
        );
        let entry = manifest["bundle"]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == name)
            .unwrap_or_else(|| panic!("{name} is not in the manifest"));
        let record = entry["record"].as_str().unwrap();
        assert_eq!(records[record], sha256(text.as_bytes()), "{path}");
    }

    // A Secret document keeps nothing but its place.
    let (_, lower) = stored(&in_archive, "k8s/lower.yaml");
    assert!(
        !lower.contains("stringData") && !lower.contains("key:"),
        "{lower}"
    );
    assert!(lower.starts_with("\"[REDACTED]\"\n"), "{lower}");
    let (_, app) = stored(&in_archive, "k8s/app.yaml");
    assert!(!app.contains("stringData"), "{app}");
    // The ExternalSecret's reference stays; its literal template goes.
    let (_, external) = stored(&in_archive, "k8s/external.yaml");
    assert!(external.contains("key: db/prod/password"), "{external}");
    // The SealedSecret's keys stay, their values go.
    let (_, sealed) = stored(&in_archive, "k8s/sealed.yaml");
    assert!(sealed.contains("password: \"[REDACTED]\""), "{sealed}");

    // A finding's file:line points at the line it names in the stored file.
    let findings = report["findings"].as_array().unwrap();
    let mutation = findings
        .iter()
        .find(|f| f["check"] == "no-in-place-mutation" && f["status"] == "fail")
        .unwrap_or_else(|| panic!("no failing no-in-place-mutation finding"));
    assert_eq!(mutation["subject"]["path"], "scripts/hotfix.sh");
    let line = mutation["subject"]["line"].as_u64().unwrap() as usize;
    let (_, hotfix) = stored(&in_archive, "scripts/hotfix.sh");
    let cited = hotfix.lines().nth(line - 1).unwrap();
    assert!(
        cited.starts_with("kubectl -n shop exec deploy/api -- mysql -uroot -p[REDACTED]"),
        "line {line}: {cited}"
    );
    let cited_objects: Vec<(&str, usize)> = findings
        .iter()
        .filter(|f| f["subject"]["path"] == "k8s/app.yaml")
        .map(|f| {
            (
                "k8s/app.yaml",
                f["subject"]["line"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert!(!cited_objects.is_empty(), "no finding cites k8s/app.yaml");
    for (path, line) in cited_objects {
        let original = APP.lines().nth(line - 1).unwrap();
        let (_, text) = stored(&in_archive, path);
        assert_eq!(text.lines().nth(line - 1), Some(original), "{path}:{line}");
    }

    let redaction = &report["inputs"]["redaction"];
    assert_eq!(redaction["files_redacted"], 7, "{redaction}");
    // app.yaml 5 (annotation, argument, env value, Secret, ConfigMap data), lower.yaml 1,
    // generate.yaml 1, sealed.yaml 2, external.yaml 1, ci.yml 3, hotfix.sh 2.
    assert_eq!(redaction["file_values_redacted"], 15, "{redaction}");
    // The manifests' objects: the Secret and the lowercase one (the JSON one too).
    assert_eq!(redaction["secrets_dropped"], 3, "{redaction}");
    assert_eq!(redaction["secret_data_redacted"], 4, "{redaction}");
}
