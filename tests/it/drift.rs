//! Git to live: `live-matches-git` and `no-manual-edits` over a cluster (the local API server,
//! its `collect` snapshot, or kubectl output) and a Git repository built here.
//!
//! The repository `gitops` holds `apps/api` and `apps/web` (Deployments in `shop`) and
//! `apps/worker`; commit A (July) runs api 1.4.1, commit B (August) api 1.4.2. In the
//! cluster someone ran `kubectl set image deployment/api api=...:1.4.3-hotfix`: its image
//! differs from Git and its managedFields show `kubectl-set` owning the container's image,
//! while `web` was last applied by Flux's kustomize-controller.

use std::path::{Path, PathBuf};

use git2::Oid;
use serde_json::{Value, json};

use crate::support::apiserver::{ApiServer, Builder};
use crate::support::findings::subject;
use crate::support::git::{Repo, findings, run};

const CONTEXT: &str = "prod-eu";
const URL: &str = "https://github.com/acme/gitops.git";

fn deployment_yaml(name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop\n\
         spec:\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      \
         labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: {name}\n          \
         image: registry.example.com/{name}:{image}\n"
    )
}

/// The repository; its commits A and B.
fn repository(dir: &Path) -> (Repo, Oid, Oid) {
    let repo = Repo::init(dir);
    repo.repo.remote("origin", URL).unwrap();
    repo.write("apps/api/deployment.yaml", &deployment_yaml("api", "1.4.1"))
        .write("apps/web/deployment.yaml", &deployment_yaml("web", "2.0.0"))
        .write(
            "apps/worker/deployment.yaml",
            &deployment_yaml("worker", "0.9.0"),
        );
    let a = repo.commit("2026-07-01T10:00:00Z", "Ann", "api 1.4.1", &[]);
    repo.write("apps/api/deployment.yaml", &deployment_yaml("api", "1.4.2"));
    let b = repo.commit("2026-08-01T10:00:00Z", "Ann", "api 1.4.2", &[]);
    (repo, a, b)
}

/// A managedFields entry owning the given template fields of container `name`.
fn manager(who: &str, operation: &str, time: &str, name: &str, all: bool) -> Value {
    let key = format!("k:{{\"name\":\"{name}\"}}");
    let container = if all {
        json!({".": {}, "f:name": {}, "f:image": {}})
    } else {
        json!({"f:image": {}})
    };
    let mut template = json!({"f:spec": {"f:containers": {key: container}}});
    if all {
        template["f:metadata"] = json!({"f:labels": {".": {}, "f:app": {}}});
    }
    json!({"manager": who, "operation": operation, "apiVersion": "apps/v1", "time": time,
        "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": template}}})
}

fn live_deployment(namespace: &str, name: &str, image: &str, managers: Vec<Value>) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "uid": format!("uid-{name}"),
            "creationTimestamp": "2026-06-15T04:14:45Z", "managedFields": managers},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": format!("registry.example.com/{name}:{image}")}]}}}
    })
}

/// The cluster's workloads: api set by hand, web applied by Flux, an ad-hoc workload in
/// `ops` no repository defines, and kube-system's own.
fn workloads(api_image: &str) -> Vec<Value> {
    let flux = |name: &str| {
        manager(
            "kustomize-controller",
            "Apply",
            "2026-08-01T10:05:00Z",
            name,
            true,
        )
    };
    vec![
        live_deployment(
            "shop",
            "api",
            api_image,
            vec![
                flux("api"),
                manager(
                    "kubectl-set",
                    "Update",
                    "2026-08-20T09:30:00Z",
                    "api",
                    false,
                ),
            ],
        ),
        live_deployment("shop", "web", "2.0.0", vec![flux("web")]),
        live_deployment(
            "ops",
            "adhoc",
            "1.0",
            vec![manager(
                "kubectl-client-side-apply",
                "Update",
                "2026-07-03T08:00:00Z",
                "adhoc",
                true,
            )],
        ),
        live_deployment(
            "kube-system",
            "coredns",
            "1.11",
            vec![manager(
                "kubeadm",
                "Update",
                "2026-06-15T04:14:45Z",
                "coredns",
                true,
            )],
        ),
    ]
}

/// Flux's objects: a GitRepository of the repository and a Kustomization of `apps` that
/// reports `revision` as applied.
fn flux(revision: Oid) -> Vec<Value> {
    vec![
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "flux-system", "namespace": "flux-system"},
            "spec": {"url": "ssh://git@github.com/acme/gitops", "ref": {"branch": "main"}}}),
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system"},
            "spec": {"path": "./apps", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
            "status": {"lastAppliedRevision": format!("main@sha1:{revision}")}}),
    ]
}

fn server(objects: Vec<Value>) -> ApiServer {
    Builder::default().gitops().objects(objects).start()
}

/// A kubectl-style List file of `objects` (managedFields kept when they have them).
fn snapshot(dir: &Path, objects: &[Value]) -> PathBuf {
    let path = dir.join("cluster.json");
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    std::fs::write(&path, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
    path
}

fn report_with(dir: &Path, args: &[&str]) -> Value {
    let out = dir.join(format!("out-{}", rand_suffix()));
    run(args, &out).0
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

fn one<'a>(report: &'a Value, check: &str, subject_name: &str) -> &'a Value {
    findings(report, check)
        .into_iter()
        .find(|f| subject(f) == subject_name)
        .unwrap_or_else(|| {
            panic!(
                "no {check} finding for {subject_name} in {:#?}",
                findings(report, check)
                    .iter()
                    .map(|f| (subject(f), f["status"].clone(), f["message"].clone()))
                    .collect::<Vec<_>>()
            )
        })
}

fn short(id: Oid) -> String {
    id.to_string()[..12].to_string()
}

/// The set-image case, from wherever the cluster was read: both checks fail naming both
/// places, the Flux-applied `web` passes both.
fn assert_set_image_caught(report: &Value, context: &str, b: Oid) {
    let api = one(
        report,
        "live-matches-git",
        "Deployment shop/api container api",
    );
    let message = api["message"].as_str().unwrap();
    assert_eq!(api["status"], "fail", "{message}");
    for part in [
        format!("cluster:{context} /apis/apps/v1/namespaces/shop/deployments/api"),
        format!("gitops@{}:apps/api/deployment.yaml:1", short(b)),
        "registry.example.com/api:1.4.3-hotfix".to_string(),
        "registry.example.com/api:1.4.2".to_string(),
    ] {
        assert!(message.contains(&part), "{part} not in {message}");
    }
    let edits = one(report, "no-manual-edits", "Deployment shop/api");
    let message = edits["message"].as_str().unwrap();
    assert_eq!(edits["status"], "fail", "{message}");
    assert!(
        message.contains("kubectl-set (Update) at 2026-08-20T09:30:00Z, inside the period 2026-Q3")
            && message.contains("spec.template.spec.containers[name=api].image"),
        "{message}"
    );
    assert_eq!(edits["details"]["in_period"], true);
    let web = one(
        report,
        "live-matches-git",
        "Deployment shop/web container web",
    );
    assert_eq!(web["status"], "pass", "{}", web["message"]);
    let web = one(report, "no-manual-edits", "Deployment shop/web");
    assert_eq!(web["status"], "pass", "{}", web["message"]);
    assert!(
        web["message"]
            .as_str()
            .unwrap()
            .contains("kustomize-controller (Apply)"),
        "{}",
        web["message"]
    );
    // In Git, not in the cluster; in the cluster, in no repository (kube-system is not).
    let worker = one(report, "live-matches-git", "Deployment shop/worker");
    assert_eq!(worker["status"], "warn");
    assert!(
        worker["message"]
            .as_str()
            .unwrap()
            .contains(&format!("does not run in cluster:{context}")),
        "{}",
        worker["message"]
    );
    let adhoc = one(report, "live-matches-git", "Deployment ops/adhoc");
    assert_eq!(adhoc["status"], "warn");
    assert!(
        findings(report, "live-matches-git")
            .iter()
            .all(|f| f["subject"]["namespace"] != "kube-system")
    );
}

#[test]
fn a_kubectl_set_image_fails_both_checks_live_from_collect_and_from_a_snapshot() {
    let home = tempfile::tempdir().unwrap();
    let (repo, _, b) = repository(&home.path().join("gitops"));
    let repo_dir = repo.root().to_str().unwrap().to_string();
    let server = server(workloads("1.4.3-hotfix"));
    let kubeconfig = server.kubeconfig(home.path(), CONTEXT);
    let common = ["--repo", &repo_dir, "--period", "2026-Q3"];

    let mut args = vec!["--cluster", "--kubeconfig", kubeconfig.to_str().unwrap()];
    args.extend(common);
    let live = report_with(home.path(), &args);
    assert_set_image_caught(&live, CONTEXT, b);
    // The evidence record keeps the managers.
    let api = one(&live, "no-manual-edits", "Deployment shop/api");
    let id = api["evidence"][0].as_str().unwrap();
    let record = live["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap();
    let managers: Vec<&str> = record["managers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert_eq!(managers, ["kustomize-controller", "kubectl-set"]);

    // `collect` keeps them in its List files: the offline run judges as the live one.
    let snap = home.path().join("snap");
    assert_cmd::Command::cargo_bin("evidencer")
        .unwrap()
        .args(["collect", "--cluster", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("--out")
        .arg(&snap)
        .assert()
        .success();
    let written = std::fs::read_to_string(snap.join("deployments.apps.json")).unwrap();
    assert!(written.contains("\"manager\":\"kubectl-set\""), "{written}");
    let mut args = vec!["--snapshot", snap.to_str().unwrap()];
    args.extend(common);
    let offline = report_with(home.path(), &args);
    assert_set_image_caught(&offline, CONTEXT, b);

    // kubectl output with --show-managed-fields: the context is the snapshot's.
    let file = snapshot(home.path(), &workloads("1.4.3-hotfix"));
    let mut args = vec!["--snapshot", file.to_str().unwrap()];
    args.extend(common);
    let kubectl = report_with(home.path(), &args);
    assert_set_image_caught(&kubectl, "snapshot", b);
}

#[test]
fn a_flux_kustomization_picks_the_commit_it_applied() {
    let home = tempfile::tempdir().unwrap();
    let (repo, a, _) = repository(&home.path().join("gitops"));
    let repo_dir = repo.root().to_str().unwrap().to_string();
    // The cluster runs api 1.4.1, as commit A says; Flux reports A as applied.
    let mut objects = workloads("1.4.1");
    objects.extend(flux(a));
    let server = server(objects);
    let kubeconfig = server.kubeconfig(home.path(), CONTEXT);
    let report = report_with(
        home.path(),
        &[
            "--cluster",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--repo",
            &repo_dir,
            "--period",
            "2026-Q3",
        ],
    );
    let api = one(
        &report,
        "live-matches-git",
        "Deployment shop/api container api",
    );
    let message = api["message"].as_str().unwrap();
    assert_eq!(api["status"], "pass", "{message}");
    assert!(
        message.contains(&format!("gitops@{}:apps/api/deployment.yaml:1", short(a)))
            && message.contains("Kustomization flux-system/apps reports as applied")
            && message.contains(&format!("main@sha1:{a}")),
        "{message}"
    );

    // A revision the repository does not hold is not assessed, naming it.
    let missing = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
    let mut objects = workloads("1.4.1");
    objects.extend(flux(missing));
    let server = self::server(objects);
    let kubeconfig = server.kubeconfig(home.path(), CONTEXT);
    let report = report_with(
        home.path(),
        &[
            "--cluster",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--repo",
            &repo_dir,
            "--period",
            "2026-Q3",
        ],
    );
    let k = one(
        &report,
        "live-matches-git",
        "Kustomization flux-system/apps",
    );
    assert_eq!(k["status"], "not_assessed");
    assert!(
        k["message"]
            .as_str()
            .unwrap()
            .contains("is not in the repository"),
        "{}",
        k["message"]
    );
}

#[test]
fn repo_path_picks_the_directory_a_context_runs() {
    let home = tempfile::tempdir().unwrap();
    let repo = Repo::init(&home.path().join("gitops"));
    repo.write("clusters/prod/api.yaml", &deployment_yaml("api", "1.4.2"))
        .write(
            "clusters/staging/api.yaml",
            &deployment_yaml("api", "1.5.0-rc1"),
        );
    repo.commit("2026-07-01T10:00:00Z", "Ann", "two clusters", &[]);
    let repo_dir = repo.root().to_str().unwrap().to_string();
    let file = snapshot(
        home.path(),
        &[live_deployment("shop", "api", "1.5.0-rc1", vec![])],
    );
    let status = |path: &str| {
        let report = report_with(
            home.path(),
            &[
                "--snapshot",
                file.to_str().unwrap(),
                "--repo",
                &repo_dir,
                "--period",
                "2026-Q3",
                "--repo-path",
                &format!("snapshot={path}"),
            ],
        );
        let f = one(
            &report,
            "live-matches-git",
            "Deployment shop/api container api",
        );
        (
            f["status"].as_str().unwrap().to_string(),
            f["message"].as_str().unwrap().to_string(),
        )
    };
    let (staging, message) = status("clusters/staging");
    assert_eq!(staging, "pass", "{message}");
    assert!(message.contains("clusters/staging/api.yaml:1") && message.contains("--repo-path"));
    let (prod, message) = status("./clusters/prod/");
    assert_eq!(prod, "fail", "{message}");
    assert!(message.contains("clusters/prod/api.yaml:1"), "{message}");
}

#[test]
fn namespaces_listed_as_unmanaged_are_not_asked_for_in_git() {
    let home = tempfile::tempdir().unwrap();
    let (repo, _, _) = repository(&home.path().join("gitops"));
    let repo_dir = repo.root().to_str().unwrap().to_string();
    let file = snapshot(home.path(), &workloads("1.4.2"));
    let config = home.path().join("evidencer.yaml");
    std::fs::write(
        &config,
        "gitops:\n  unmanaged-namespaces: [ops, kube-system]\n",
    )
    .unwrap();
    let args = |with_config: bool| {
        let mut a = vec![
            "--snapshot".to_string(),
            file.to_str().unwrap().to_string(),
            "--repo".to_string(),
            repo_dir.clone(),
            "--period".to_string(),
            "2026-Q3".to_string(),
        ];
        if with_config {
            a.extend(["--config".to_string(), config.to_str().unwrap().to_string()]);
        }
        a
    };
    let without: Vec<String> = args(false);
    let report = report_with(
        home.path(),
        &without.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let adhoc = one(&report, "live-matches-git", "Deployment ops/adhoc");
    assert_eq!(adhoc["status"], "warn");
    let message = adhoc["message"].as_str().unwrap();
    assert!(
        message.contains("cluster:snapshot /apis/apps/v1/namespaces/ops/deployments/adhoc")
            && message.contains("unmanaged-namespaces"),
        "{message}"
    );
    let with: Vec<String> = args(true);
    let report = report_with(
        home.path(),
        &with.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(
        findings(&report, "live-matches-git")
            .iter()
            .all(|f| f["subject"]["namespace"] != "ops"),
        "ops is not deployed from Git"
    );
    // api now matches the tip: a pass that was earned by a comparison.
    let api = one(
        &report,
        "live-matches-git",
        "Deployment shop/api container api",
    );
    assert_eq!(api["status"], "pass", "{}", api["message"]);
}

#[test]
fn kubectl_output_without_managed_fields_is_not_assessed_and_no_repository_says_so() {
    let home = tempfile::tempdir().unwrap();
    let mut objects = workloads("1.4.2");
    for o in &mut objects {
        o["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("managedFields");
    }
    let file = snapshot(home.path(), &objects);
    let report = report_with(home.path(), &["--snapshot", file.to_str().unwrap()]);
    let edits = findings(&report, "no-manual-edits");
    assert_eq!(edits.len(), 1, "{edits:#?}");
    assert_eq!(edits[0]["status"], "not_assessed");
    let message = edits[0]["message"].as_str().unwrap();
    assert!(
        message.contains("without metadata.managedFields")
            && message.contains("--show-managed-fields"),
        "{message}"
    );
    let drift = findings(&report, "live-matches-git");
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0]["status"], "not_assessed");
    assert!(
        drift[0]["message"]
            .as_str()
            .unwrap()
            .contains("no repository was given (--repo)"),
        "{}",
        drift[0]["message"]
    );
}

#[test]
fn a_repository_defining_none_of_the_cluster_is_not_a_pass() {
    let home = tempfile::tempdir().unwrap();
    let repo = Repo::init(&home.path().join("gitops"));
    repo.write("apps/other.yaml", &deployment_yaml("other", "1.0"));
    repo.commit("2026-07-01T10:00:00Z", "Ann", "other", &[]);
    let repo_dir = repo.root().to_str().unwrap().to_string();
    let file = snapshot(home.path(), &workloads("1.4.2")[3..]);
    let report = report_with(
        home.path(),
        &[
            "--snapshot",
            file.to_str().unwrap(),
            "--repo",
            &repo_dir,
            "--period",
            "2026-Q3",
        ],
    );
    let statuses: Vec<&str> = findings(&report, "live-matches-git")
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert!(!statuses.contains(&"pass"), "{statuses:?}");
    assert!(statuses.contains(&"not_assessed"), "{statuses:?}");
}

#[test]
fn a_refused_list_of_flux_objects_is_not_assessed_and_the_tip_is_compared() {
    let home = tempfile::tempdir().unwrap();
    let (repo, a, b) = repository(&home.path().join("gitops"));
    let repo_dir = repo.root().to_str().unwrap().to_string();
    let mut objects = workloads("1.4.2");
    objects.extend(flux(a));
    let server = Builder::default()
        .gitops()
        .objects(objects)
        .forbid("kustomizations")
        .start();
    let kubeconfig = server.kubeconfig(home.path(), CONTEXT);
    let report = report_with(
        home.path(),
        &[
            "--cluster",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--repo",
            &repo_dir,
            "--period",
            "2026-Q3",
        ],
    );
    let refused: Vec<&Value> = findings(&report, "live-matches-git")
        .into_iter()
        .filter(|f| f["status"] == "not_assessed")
        .collect();
    assert_eq!(refused.len(), 1, "{refused:#?}");
    let message = refused[0]["message"].as_str().unwrap();
    assert!(
        message.contains("kustomizations") && message.contains("compared with the ref's tip"),
        "{message}"
    );
    // Not a failure of the run: the workloads are still compared, with the tip (B).
    let api = one(
        &report,
        "live-matches-git",
        "Deployment shop/api container api",
    );
    assert_eq!(api["status"], "pass", "{}", api["message"]);
    assert!(
        api["message"]
            .as_str()
            .unwrap()
            .contains(&format!("gitops@{}:", short(b))),
        "{}",
        api["message"]
    );
}

/// Without a path to compare with, every manifest of the repository counts: a repository
/// that defines one workload in several places (plain manifests, a kustomize base, a
/// release file, as public demos do) is compared with the definition the cluster runs, and
/// none of the other definitions is reported as not running.
#[test]
fn a_workload_defined_in_several_places_is_compared_with_the_one_that_runs() {
    let home = tempfile::tempdir().unwrap();
    let repo = Repo::init(&home.path().join("gitops"));
    repo.write(
        "kubernetes-manifests/api.yaml",
        &deployment_yaml("api", "dev"),
    )
    .write("kustomize/base/api.yaml", &deployment_yaml("api", "dev"))
    .write("release/api.yaml", &deployment_yaml("api", "1.4.2"));
    repo.commit("2026-07-01T10:00:00Z", "Ann", "three definitions", &[]);
    let file = snapshot(
        home.path(),
        &[live_deployment("shop", "api", "1.4.2", vec![])],
    );
    let report = report_with(
        home.path(),
        &[
            "--snapshot",
            file.to_str().unwrap(),
            "--repo",
            repo.root().to_str().unwrap(),
            "--period",
            "2026-Q3",
        ],
    );
    let f = one(
        &report,
        "live-matches-git",
        "Deployment shop/api container api",
    );
    let message = f["message"].as_str().unwrap();
    assert_eq!(f["status"], "pass", "{message}");
    assert!(message.contains("release/api.yaml:1"), "{message}");
    let not_running: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "live-matches-git" && f["status"] == "warn")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(not_running.is_empty(), "{not_running:#?}");
}
