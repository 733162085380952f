//! Workload kinds as data (issue 14, classes 3b, 3c and 4), end to end with the real binary:
//! an OpenKruise Advanced StatefulSet or CloneSet that updates pods in place fails
//! `replace-on-update` naming the field, while an `apps/v1` StatefulSet of the same name is
//! judged as before; an Argo Rollout with a pod template is assessed like a Deployment; a
//! Prometheus operator `Prometheus` whose `spec.version` is bumped in a repository's history
//! counts as an image change; `workload-kinds` rows in the config with an unknown key are
//! an error with file and line; live, a served CloneSet is listed and assessed, and a kind
//! a user added whose list is refused (403) leaves the container checks `not_assessed`,
//! naming the permission.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

use crate::support;
use crate::support::git::findings;
use support::apiserver::ApiServer;
use support::findings::subject;
use support::git::{Repo, changes, run};

const AS_OF: &str = "2026-09-30";

/// A temporary directory with `files` written into it.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// Runs `report` in `dir` with `args` (json only) and returns report.json.
fn report(dir: &Path, args: &[&str]) -> Value {
    let out: PathBuf = dir.join("out");
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(dir)
        .arg("report")
        .args(args)
        .args(["--as-of", AS_OF, "--format", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some_and(|c| c == 0 || c == 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap()
}

fn find<'a>(report: &'a Value, check: &str, who: &str) -> &'a Value {
    findings(report, check)
        .into_iter()
        .find(|f| subject(f) == who)
        .unwrap_or_else(|| panic!("no {check} finding for {who}: {report:#}"))
}

const KRUISE: &str = r#"
apiVersion: apps.kruise.io/v1beta1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible
  template:
    spec:
      containers: [{name: db, image: "postgres:16.4"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: shop}
spec:
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible
  template:
    spec:
      containers: [{name: cache, image: "redis:7.4"}]
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: web, namespace: shop}
spec:
  updateStrategy: {type: InPlaceOnly}
  template:
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: api, image: "ghcr.io/acme/api:1.2"}]
"#;

#[test]
fn kruise_in_place_updates_fail_replace_on_update_naming_the_field() {
    let dir = dir_with(&[("snapshot/kruise.yaml", KRUISE)]);
    let report = report(dir.path(), &["--snapshot", "snapshot"]);

    let db = find(&report, "replace-on-update", "StatefulSet shop/db");
    assert_eq!(db["status"], "fail", "{db:#}");
    let message = db["message"].as_str().unwrap();
    assert!(
        message.contains("spec.updateStrategy.rollingUpdate.podUpdatePolicy")
            && message.contains("InPlaceIfPossible"),
        "{message}"
    );
    // The same field on an apps/v1 StatefulSet means nothing to Kubernetes: judged as before.
    let cache = find(&report, "replace-on-update", "StatefulSet shop/cache");
    assert_eq!(cache["status"], "pass", "{cache:#}");

    let web = find(&report, "replace-on-update", "CloneSet shop/web");
    assert_eq!(web["status"], "fail", "{web:#}");
    assert!(
        web["message"]
            .as_str()
            .unwrap()
            .contains("spec.updateStrategy.type"),
        "{web:#}"
    );
    // CloneSet's default is ReCreate: pods are replaced.
    let api = find(&report, "replace-on-update", "CloneSet shop/api");
    assert_eq!(api["status"], "pass", "{api:#}");
    // Their containers are assessed by the per-container checks, with the kind's field paths.
    let c = find(
        &report,
        "run-as-non-root",
        "CloneSet shop/web container web",
    );
    assert_eq!(c["status"], "fail");
}

const ROLLOUT: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: shop-web, namespace: shop}
spec:
  strategy:
    canary:
      steps: [{setWeight: 20}]
  template:
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: web
          image: "ghcr.io/acme/web:latest"
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: by-ref, namespace: shop}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: gone}
  strategy: {blueGreen: {activeService: web}}
"#;

#[test]
fn a_rollout_with_a_template_is_assessed_and_one_by_reference_says_what_is_missing() {
    let dir = dir_with(&[("snapshot/rollout.yaml", ROLLOUT)]);
    let report = report(dir.path(), &["--snapshot", "snapshot"]);
    let latest = find(
        &report,
        "image-tag-not-latest",
        "Rollout shop/shop-web container web",
    );
    assert_eq!(latest["status"], "fail", "{latest:#}");
    let non_root = find(
        &report,
        "run-as-non-root",
        "Rollout shop/shop-web container web",
    );
    assert_eq!(non_root["status"], "pass", "{non_root:#}");
    let replace = find(&report, "replace-on-update", "Rollout shop/shop-web");
    assert_eq!(replace["status"], "pass", "{replace:#}");
    // The Deployment whose template a Rollout runs is not in the input: its containers are
    // not assessed, said; the Rollout's own strategy still is.
    let replace = find(&report, "replace-on-update", "Rollout shop/by-ref");
    assert_eq!(replace["status"], "pass", "{replace:#}");
    let by_ref = find(&report, "run-as-non-root", "Rollout shop/by-ref");
    assert_eq!(by_ref["status"], "not_assessed", "{by_ref:#}");
    assert!(
        by_ref["message"]
            .as_str()
            .unwrap()
            .contains("Deployment gone"),
        "{by_ref:#}"
    );
}

fn prometheus(version: &str) -> String {
    format!(
        "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata:\n  name: k8s\n  \
         namespace: monitoring\nspec:\n  replicas: 2\n  version: {version}\n"
    )
}

#[test]
fn prometheus_version_bumps_in_a_repository_history_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let r = Repo::init(&dir.path().join("repo"));
    r.write("monitoring/prometheus.yaml", &prometheus("v2.53.0"));
    r.commit("2026-06-01T10:00:00Z", "Ann", "prometheus", &[]);
    r.write("monitoring/prometheus.yaml", &prometheus("v2.54.1"));
    r.commit("2026-08-03T10:00:00Z", "Bob", "bump prometheus", &[]);
    r.write(
        "monitoring/prometheus.yaml",
        &prometheus("v3.0.0").replace(
            "  version: v3.0.0\n",
            "  image: quay.io/prometheus/prometheus:v3.0.0\n  version: v3.0.0\n",
        ),
    );
    r.commit("2026-09-10T10:00:00Z", "Cy", "prometheus 3", &[]);
    let out = dir.path().join("out");
    let (report, _) = run(
        &["--repo", r.root().to_str().unwrap(), "--period", "2026-Q3"],
        &out,
    );
    let got: Vec<(String, Value, Value)> = changes(&report)
        .into_iter()
        .map(|(_, _, author, _, old, new)| (author, old, new))
        .collect();
    assert_eq!(
        got,
        [
            ("Bob".to_string(), json!(":v2.53.0"), json!(":v2.54.1")),
            (
                "Cy".to_string(),
                json!(":v2.54.1"),
                json!("quay.io/prometheus/prometheus:v3.0.0")
            ),
        ],
        "{:#}",
        report["changes"]
    );
    let upd = findings(&report, "images-updated-in-period");
    let server = upd
        .iter()
        .find(|f| subject(f).starts_with("Prometheus monitoring/k8s"))
        .unwrap_or_else(|| panic!("the Prometheus server is assessed: {upd:#?}"));
    assert_eq!(server["details"]["changes_in_period"], 2, "{server:#}");
}

#[test]
fn workload_kind_rows_with_an_unknown_key_or_a_bad_pointer_are_errors_with_file_and_line() {
    for (row, says) in [
        (
            "  - group: example.com\n    kind: Widget\n    versions: [v1]\n    plural: widgets\n    podtemplate: /spec/template\n",
            "podtemplate",
        ),
        (
            "  - group: example.com\n    kind: Widget\n    versions: [v1]\n    plural: widgets\n    pod-template: spec.template\n",
            "spec.template",
        ),
    ] {
        let text = format!("formats: [json]\nworkload-kinds:\n{row}");
        let dir = dir_with(&[("evidencer.yaml", &text), ("snapshot/x.yaml", KRUISE)]);
        let o = Command::cargo_bin("evidencer")
            .unwrap()
            .current_dir(dir.path())
            .args(["report", "--snapshot", "snapshot", "--out", "out"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("evidencer.yaml:"), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        let line = text.lines().count();
        assert!(
            stderr.contains(&format!("evidencer.yaml:{line}:"))
                || stderr.contains(&format!("evidencer.yaml:{}:", line - 4)),
            "{stderr}"
        );
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn live_a_served_cloneset_is_assessed_and_a_forbidden_user_kind_is_not_assessed() {
    let home = tempfile::tempdir().unwrap();
    let server = ApiServer::builder()
        .crd("apps.kruise.io", "v1alpha1", "clonesets", "CloneSet", true)
        .crd("example.com", "v1", "widgets", "Widget", true)
        .forbid("widgets")
        .object(json!({
            "apiVersion": "apps.kruise.io/v1alpha1", "kind": "CloneSet",
            "metadata": {"name": "web", "namespace": "shop", "uid": "u-web"},
            "spec": {
                "updateStrategy": {"type": "InPlaceIfPossible"},
                "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}
            }
        }))
        .start();
    let kubeconfig = server.kubeconfig(home.path(), "prod");
    fs::write(
        home.path().join("evidencer.yaml"),
        "workload-kinds:\n  - group: example.com\n    kind: Widget\n    versions: [v1]\n    \
         plural: widgets\n    pod-template: /spec/template\n",
    )
    .unwrap();
    let report = report(
        home.path(),
        &["--cluster", "--kubeconfig", kubeconfig.to_str().unwrap()],
    );
    let web = find(&report, "replace-on-update", "CloneSet shop/web");
    assert_eq!(web["status"], "fail", "{web:#}");
    let c = find(
        &report,
        "run-as-non-root",
        "CloneSet shop/web container web",
    );
    assert_eq!(c["status"], "fail");
    let listed: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.resource())
        .collect();
    assert!(
        listed.iter().any(|r| r == "clonesets"),
        "CloneSets are listed: {listed:?}"
    );
    assert!(
        listed.iter().any(|r| r == "widgets"),
        "the user's kind is listed: {listed:?}"
    );
    let missing = findings(&report, "run-as-non-root")
        .into_iter()
        .find(|f| f["status"] == "not_assessed")
        .unwrap_or_else(|| panic!("a not_assessed finding: {report:#}"));
    let message = missing["message"].as_str().unwrap();
    assert!(
        message.contains("Widget") && message.contains("`list` on widgets.example.com"),
        "{message}"
    );
}

fn widget(image: &str) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\nspec:\n  \
         rollout:\n    mode: Patch\n  podTemplate:\n    spec:\n      containers:\n        - name: main\n          \
         image: {image}\n"
    )
}

const WIDGET_ROW: &str = "workload-kinds:\n  - group: example.com\n    kind: Widget\n    version: v1\n    \
    plural: widgets\n    pod-template: /spec/podTemplate\n    update:\n      fields:\n        \
    - field: /spec/rollout/mode\n          default: Replace\n          values: {Replace: replace, Patch: in-place}\n";

#[test]
fn a_kind_added_in_the_config_is_a_workload_in_snapshots_and_in_history() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("evidencer.yaml"), WIDGET_ROW).unwrap();
    let r = Repo::init(&dir.path().join("repo"));
    r.write("apps/widget.yaml", &widget("ghcr.io/acme/w:1.0"));
    r.commit("2026-06-01T10:00:00Z", "Ann", "widget", &[]);
    r.write("apps/widget.yaml", &widget("ghcr.io/acme/w:1.1"));
    r.commit("2026-08-03T10:00:00Z", "Bob", "bump widget", &[]);
    let report = report(dir.path(), &["--repo", "repo", "--period", "2026-Q3"]);
    let got: Vec<(String, Value)> = changes(&report)
        .into_iter()
        .map(|(_, _, author, _, _, new)| (author, new))
        .collect();
    assert_eq!(got, [("Bob".to_string(), json!("ghcr.io/acme/w:1.1"))]);
    // The period-end manifests are judged with the row: its containers and its strategy.
    let c = find(&report, "run-as-non-root", "Widget shop/w container main");
    assert_eq!(c["status"], "fail");
    let w = find(&report, "replace-on-update", "Widget shop/w");
    assert_eq!(w["status"], "fail", "{w:#}");
    assert!(
        w["message"]
            .as_str()
            .unwrap()
            .contains("spec.rollout.mode: Patch"),
        "{w:#}"
    );
    // Without the row, nothing of it is seen.
    fs::remove_file(dir.path().join("evidencer.yaml")).unwrap();
    let report = report_again(dir.path());
    assert!(changes(&report).is_empty());
    assert!(
        findings(&report, "run-as-non-root")
            .iter()
            .all(|f| !subject(f).starts_with("Widget")),
    );
}

fn report_again(dir: &Path) -> Value {
    fs::remove_dir_all(dir.join("out")).unwrap();
    report(dir, &["--repo", "repo", "--period", "2026-Q3"])
}

/// An operator kind the config adds names its image in fields of its own (no `image` key
/// anywhere): the history still reads the versions that change them.
#[test]
fn an_operator_kind_added_in_the_config_is_traced_by_its_own_fields() {
    const ENGINE_ROW: &str = "workload-kinds:\n  - group: example.com\n    kind: Engine\n    \
        version: v1\n    plural: engines\n    images:\n      - container: engine\n        \
        image: /spec/runs\n        tag: /spec/release\n";
    let engine = |release: &str| {
        format!(
            "apiVersion: example.com/v1\nkind: Engine\nmetadata: {{name: e, namespace: shop}}\n\
             spec:\n  runs: ghcr.io/acme/engine\n  release: \"{release}\"\n"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("evidencer.yaml"), ENGINE_ROW).unwrap();
    let r = Repo::init(&dir.path().join("repo"));
    r.write("apps/engine.yaml", &engine("1.0"));
    r.commit("2026-06-01T10:00:00Z", "Ann", "engine", &[]);
    r.write("apps/engine.yaml", &engine("1.1"));
    r.commit("2026-08-03T10:00:00Z", "Bob", "bump engine", &[]);
    let report = report(dir.path(), &["--repo", "repo", "--period", "2026-Q3"]);
    let got: Vec<(String, Value)> = changes(&report)
        .into_iter()
        .map(|(_, _, author, _, _, new)| (author, new))
        .collect();
    assert_eq!(got, [("Bob".to_string(), json!("ghcr.io/acme/engine:1.1"))]);
}
