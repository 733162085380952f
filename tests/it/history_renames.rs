//! `--repo` image slots that move or hide (issue 14, classes 2, 3a and 3d), through the real
//! binary on repositories built with git2: a rename of Deployments or of their file is no
//! image change and keeps the slot's history; a rename that also bumps an image is that one
//! change; a HelmRelease or values file giving an image as `repository` + `tag` keys under
//! any name (`redis.repository`), and values files named `*.values.yaml`, are tracked.

use std::fs;

use serde_json::Value;

use crate::support;

use support::git::{Repo, changes, findings, run};

/// A Deployment `shop/<name>` whose containers are `(name, image)`.
fn deployment(name: &str, containers: &[(&str, &str)]) -> String {
    let mut s = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop\n\
         spec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    \
         metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n"
    );
    for (c, image) in containers {
        s.push_str(&format!(
            "        - name: {c}\n          image: {image}\n          ports: [{{containerPort: 8080}}]\n"
        ));
    }
    s
}

fn q3(r: &Repo, out: &std::path::Path) -> Value {
    run(
        &["--repo", r.root().to_str().unwrap(), "--period", "2026-Q3"],
        out,
    )
    .0
}

/// The `images-updated-in-period` finding of a Deployment's container.
fn finding<'a>(report: &'a Value, workload: &str, container: &str) -> &'a Value {
    findings(report, "images-updated-in-period")
        .into_iter()
        .find(|f| f["subject"]["name"] == workload && f["subject"]["container"] == container)
        .unwrap_or_else(|| panic!("no finding for {workload}/{container}: {report:#}"))
}

#[test]
fn a_commit_that_only_renames_deployments_changes_no_image_and_keeps_their_history() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("demo"));
    let two = |prefix: &str| {
        format!(
            "{}---\n{}",
            deployment(
                &format!("{prefix}flagd"),
                &[
                    ("flagd", "ghcr.io/open-feature/flagd:v0.11.1"),
                    ("ui", "ghcr.io/open-feature/flagd-ui:0.1.0"),
                ]
            ),
            deployment(
                &format!("{prefix}cart"),
                &[("cart", "ghcr.io/acme/cart:2.0.0")]
            )
        )
    };
    r.write("k8s/demo.yaml", &two("demo-"));
    let c0 = r.commit("2026-03-02T08:00:00Z", "Ana", "demo", &[]);
    r.write("k8s/demo.yaml", &two(""));
    let c1 = r.commit("2026-08-04T10:00:00Z", "Ben", "drop the demo- prefix", &[]);

    let report = q3(&r, &tmp.path().join("out"));
    assert_eq!(
        changes(&report),
        [],
        "a rename is no image change: {:#}",
        report["changes"]
    );
    let upd = findings(&report, "images-updated-in-period");
    assert_eq!(upd.len(), 3, "{upd:#?}");
    for (workload, container) in [("flagd", "flagd"), ("flagd", "ui"), ("cart", "cart")] {
        let f = finding(&report, workload, container);
        assert_eq!(f["details"]["changes_in_period"], 0, "{f:#}");
        // The image was set on 2026-03-02 under the old name: 212 days at the period end.
        assert_eq!(
            f["details"]["introduced"]["commit"],
            c0.to_string(),
            "{f:#}"
        );
        assert_eq!(f["details"]["introduced"]["kind"], "at", "{f:#}");
        assert_eq!(f["details"]["image_age_days"], 212, "{f:#}");
        assert_eq!(f["status"], "fail", "{f:#}");
        let message = f["message"].as_str().unwrap();
        let from = format!("Deployment shop/demo-{workload} container {container}");
        assert!(
            message.contains(&format!("renamed from {from}"))
                && message.contains(&c1.to_string()[..12]),
            "{message}"
        );
        assert_eq!(
            f["details"]["renamed"][0]["commit"],
            c1.to_string(),
            "{f:#}"
        );
        assert_eq!(f["details"]["renamed"][0]["from"], from, "{f:#}");
        assert!(f["details"].get("not_patches").is_none(), "{f:#}");
    }
}

#[test]
fn a_file_moved_with_an_unrelated_edit_keeps_its_images_history() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    let api = deployment("api", &[("api", "ghcr.io/acme/api:1.4.0")]);
    r.write("apps/api.yaml", &api)
        .write("charts/web/values.yaml", "image:\n  repository: ghcr.io/acme/web\n  tag: \"3.0\"\n  pullPolicy: IfNotPresent\nreplicaCount: 1\nservice:\n  port: 80\n");
    let c0 = r.commit("2026-06-20T08:00:00Z", "Ana", "api and web", &[]);
    // git mv apps/api.yaml services/api/deployment.yaml, with another replica count; the
    // chart directory moves too.
    fs::remove_file(r.root().join("apps/api.yaml")).unwrap();
    fs::remove_dir_all(r.root().join("charts/web")).unwrap();
    r.write("services/api/deployment.yaml", &api.replace("replicas: 2", "replicas: 3"))
        .write("charts/frontend/values.yaml", "image:\n  repository: ghcr.io/acme/web\n  tag: \"3.0\"\n  pullPolicy: IfNotPresent\nreplicaCount: 2\nservice:\n  port: 80\n");
    let c1 = r.commit("2026-08-04T10:00:00Z", "Ben", "move files", &[]);

    let report = q3(&r, &tmp.path().join("out"));
    assert_eq!(changes(&report), [], "{:#}", report["changes"]);
    let f = finding(&report, "api", "api");
    assert_eq!(f["subject"]["path"], "services/api/deployment.yaml");
    assert_eq!(f["details"]["changes_in_period"], 0, "{f:#}");
    assert_eq!(
        f["details"]["introduced"]["commit"],
        c0.to_string(),
        "{f:#}"
    );
    assert_eq!(f["status"], "fail", "{f:#}");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("renamed from Deployment shop/api container api in apps/api.yaml")
            && message.contains(&c1.to_string()[..12]),
        "{message}"
    );
    let web = findings(&report, "images-updated-in-period")
        .into_iter()
        .find(|f| f["subject"]["kind"] == "Helm values")
        .unwrap();
    assert_eq!(web["subject"]["path"], "charts/frontend/values.yaml");
    assert_eq!(web["details"]["changes_in_period"], 0, "{web:#}");
    assert_eq!(
        web["details"]["introduced"]["commit"],
        c0.to_string(),
        "{web:#}"
    );
}

#[test]
fn a_rename_that_also_bumps_one_image_is_exactly_that_change() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("demo"));
    r.write(
        "k8s/shop.yaml",
        &deployment(
            "demo-cart",
            &[
                ("cart", "ghcr.io/acme/cart:2.0.0"),
                ("proxy", "envoyproxy/envoy:v1.30.1"),
            ],
        ),
    );
    let c0 = r.commit("2026-03-02T08:00:00Z", "Ana", "cart", &[]);
    r.write(
        "k8s/shop.yaml",
        &deployment(
            "cart",
            &[
                ("cart", "ghcr.io/acme/cart:2.1.0"),
                ("proxy", "envoyproxy/envoy:v1.30.1"),
            ],
        ),
    );
    let c1 = r.commit("2026-08-04T10:00:00Z", "Ben", "rename, cart 2.1.0", &[]);

    let report = q3(&r, &tmp.path().join("out"));
    let s = |x: &str| Value::String(x.into());
    assert_eq!(
        changes(&report),
        [(
            "2026-08-04T10:00:00Z".to_string(),
            c1.to_string(),
            "Ben".to_string(),
            "Deployment shop/cart container cart".to_string(),
            s("ghcr.io/acme/cart:2.0.0"),
            s("ghcr.io/acme/cart:2.1.0"),
        )]
    );
    let cart = finding(&report, "cart", "cart");
    assert_eq!(cart["details"]["changes_in_period"], 1, "{cart:#}");
    assert_eq!(cart["status"], "pass", "{cart:#}");
    let proxy = finding(&report, "cart", "proxy");
    assert_eq!(proxy["details"]["changes_in_period"], 0, "{proxy:#}");
    assert_eq!(
        proxy["details"]["introduced"]["commit"],
        c0.to_string(),
        "{proxy:#}"
    );
    assert_eq!(proxy["status"], "fail", "{proxy:#}");
}

fn helm_release(tag: &str) -> String {
    format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: redis\n  namespace: cache\n\
         spec:\n  interval: 10m\n  chart:\n    spec:\n      chart: redis\n      version: \"17.3.7\"\n      \
         sourceRef: {{kind: HelmRepository, name: bitnami}}\n  values:\n    architecture: standalone\n    \
         redis:\n      repository: bitnami/redis\n      tag: {tag}\n    metrics:\n      enabled: true\n"
    )
}

#[test]
fn a_helm_release_giving_repository_and_tag_keys_is_one_change_per_bump() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("flux"));
    r.write("clusters/prod/redis.yaml", &helm_release("7.0.6"))
        .write(
            "clusters/prod/repo.yaml",
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: bitnami, namespace: cache}\n\
             spec:\n  url: https://charts.bitnami.com/bitnami\n",
        );
    r.commit("2026-03-02T08:00:00Z", "Ana", "redis", &[]);
    r.write("clusters/prod/redis.yaml", &helm_release("8.6.2"));
    let c1 = r.commit("2026-08-04T10:00:00Z", "Ben", "redis 8.6.2", &[]);

    let report = q3(&r, &tmp.path().join("out"));
    let s = |x: &str| Value::String(x.into());
    assert_eq!(
        changes(&report),
        [(
            "2026-08-04T10:00:00Z".to_string(),
            c1.to_string(),
            "Ben".to_string(),
            "HelmRelease cache/redis values redis.tag".to_string(),
            s("bitnami/redis:7.0.6"),
            s("bitnami/redis:8.6.2"),
        )]
    );
    let upd = findings(&report, "images-updated-in-period");
    assert_eq!(upd.len(), 1, "{upd:#?}");
    assert_eq!(upd[0]["subject"]["kind"], "HelmRelease");
    assert_eq!(upd[0]["subject"]["name"], "redis values redis");
    assert_eq!(upd[0]["details"]["changes_in_period"], 1);
    assert_eq!(upd[0]["status"], "pass", "{:#}", upd[0]);
}

#[test]
fn values_files_named_env_values_yaml_or_values_env_yaml_are_tracked_in_every_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("charts"));
    let values = |redis: &str, api: &str| {
        format!(
            "redis:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: {redis}\n\
             api:\n  image:\n    repository: ghcr.io/acme/api\n    tag: {api}\n"
        )
    };
    r.write("charts/shop/values-prod.yaml", &values("7.0.6", "1.0.0"))
        .write("charts/shop/staging.values.yaml", &values("7.0.6", "1.0.0"))
        .write(
            "charts/shop/values.yaml",
            "api:\n  image:\n    repository: ghcr.io/acme/api\n",
        );
    r.commit("2026-03-02T08:00:00Z", "Ana", "shop", &[]);
    r.write("charts/shop/values-prod.yaml", &values("8.6.2", "1.0.0"))
        .write("charts/shop/staging.values.yaml", &values("7.0.6", "1.1.0"));
    let c1 = r.commit("2026-08-04T10:00:00Z", "Ben", "bumps", &[]);

    let report = q3(&r, &tmp.path().join("out"));
    let got: Vec<(String, String, Value, Value)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["commit"], c1.to_string());
            (
                c["path"].as_str().unwrap().to_string(),
                c["subject"].as_str().unwrap().to_string(),
                c["old_image"].clone(),
                c["new_image"].clone(),
            )
        })
        .collect();
    let s = |x: &str| Value::String(x.into());
    assert_eq!(
        got,
        [
            (
                "charts/shop/staging.values.yaml".to_string(),
                "Helm chart charts/shop values api.image.tag".to_string(),
                s("ghcr.io/acme/api:1.0.0"),
                s("ghcr.io/acme/api:1.1.0"),
            ),
            (
                "charts/shop/values-prod.yaml".to_string(),
                "Helm chart charts/shop values redis.tag".to_string(),
                s("docker.io/bitnami/redis:7.0.6"),
                s("docker.io/bitnami/redis:8.6.2"),
            ),
        ]
    );
    // The chart's own values.yaml gives no tag: the chart's default applies, said so.
    let upd = findings(&report, "images-updated-in-period");
    let default = upd
        .iter()
        .find(|f| f["subject"]["path"] == "charts/shop/values.yaml")
        .unwrap();
    let message = default["message"].as_str().unwrap();
    assert!(
        message.contains("no tag or digest is given: the chart's default applies"),
        "{message}"
    );
}

#[test]
fn renames_before_the_period_are_followed_back_to_the_commit_that_set_the_image() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("demo"));
    let flagd = |name: &str, image: &str| deployment(name, &[("flagd", image)]);
    r.write(
        "k8s/flagd.yaml",
        &flagd("demo-flagd", "ghcr.io/open-feature/flagd:v0.10.0"),
    );
    r.commit("2026-01-05T08:00:00Z", "Ana", "flagd", &[]);
    r.write(
        "k8s/flagd.yaml",
        &flagd("demo-flagd", "ghcr.io/open-feature/flagd:v0.11.1"),
    );
    let c1 = r.commit("2026-02-10T08:00:00Z", "Ana", "flagd 0.11.1", &[]);
    // Renamed in April, moved (byte for byte) in May, both before Q3; renamed again in
    // the period.
    r.write(
        "k8s/flagd.yaml",
        &flagd("flagd", "ghcr.io/open-feature/flagd:v0.11.1"),
    );
    let c2 = r.commit("2026-04-01T08:00:00Z", "Ben", "rename", &[]);
    fs::remove_file(r.root().join("k8s/flagd.yaml")).unwrap();
    r.write(
        "apps/flagd/deploy.yaml",
        &flagd("flagd", "ghcr.io/open-feature/flagd:v0.11.1"),
    );
    let c3 = r.commit("2026-05-01T08:00:00Z", "Ben", "git mv", &[]);
    r.write(
        "apps/flagd/deploy.yaml",
        &flagd("feature-flags", "ghcr.io/open-feature/flagd:v0.11.1"),
    );
    let c4 = r.commit("2026-08-01T08:00:00Z", "Cleo", "rename again", &[]);

    let report = q3(&r, &tmp.path().join("out"));
    assert_eq!(changes(&report), [], "{:#}", report["changes"]);
    let f = finding(&report, "feature-flags", "flagd");
    assert_eq!(
        f["details"]["introduced"]["commit"],
        c1.to_string(),
        "{f:#}"
    );
    assert_eq!(f["details"]["changes_in_period"], 0, "{f:#}");
    let renamed: Vec<(String, String)> = f["details"]["renamed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["commit"].as_str().unwrap().to_string(),
                format!(
                    "{} in {}",
                    r["from"].as_str().unwrap(),
                    r["from_path"].as_str().unwrap()
                ),
            )
        })
        .collect();
    assert_eq!(
        renamed,
        [
            (
                c2.to_string(),
                "Deployment shop/demo-flagd container flagd in k8s/flagd.yaml".to_string()
            ),
            (
                c3.to_string(),
                "Deployment shop/flagd container flagd in k8s/flagd.yaml".to_string()
            ),
            (
                c4.to_string(),
                "Deployment shop/flagd container flagd in apps/flagd/deploy.yaml".to_string()
            ),
        ]
    );
}

#[test]
fn a_slot_renamed_then_bumped_in_the_period_counts_the_bump_once() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("demo"));
    r.write(
        "k8s/cart.yaml",
        &deployment("demo-cart", &[("cart", "ghcr.io/acme/cart:2.0.0")]),
    );
    r.commit("2026-03-02T08:00:00Z", "Ana", "cart", &[]);
    r.write(
        "k8s/cart.yaml",
        &deployment("demo-cart", &[("cart", "ghcr.io/acme/cart:2.0.1")]),
    );
    let c1 = r.commit("2026-07-10T08:00:00Z", "Ben", "cart 2.0.1", &[]);
    fs::remove_file(r.root().join("k8s/cart.yaml")).unwrap();
    r.write(
        "apps/cart.yaml",
        &deployment("cart", &[("cart", "ghcr.io/acme/cart:2.0.1")]),
    );
    r.commit("2026-08-10T08:00:00Z", "Ben", "move and rename", &[]);

    let report = q3(&r, &tmp.path().join("out"));
    let got: Vec<String> = changes(&report).into_iter().map(|c| c.3).collect();
    assert_eq!(got, ["Deployment shop/demo-cart container cart"]);
    let f = finding(&report, "cart", "cart");
    // The bump under the old name counts; the rename does not.
    assert_eq!(f["details"]["changes_in_period"], 1, "{f:#}");
    assert_eq!(
        f["details"]["introduced"]["commit"],
        c1.to_string(),
        "{f:#}"
    );
    assert_eq!(f["status"], "pass", "{f:#}");
    assert!(f["details"].get("not_patches").is_none(), "{f:#}");
}

#[test]
fn a_workload_moved_to_another_file_keeps_its_image_and_history() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    let api = deployment("api", &[("api", "ghcr.io/acme/api:1.4.0")]);
    let web = deployment("web", &[("web", "ghcr.io/acme/web:3.0.0")]);
    r.write("apps/all.yaml", &format!("{web}---\n{api}"));
    let c0 = r.commit("2026-03-02T08:00:00Z", "Ana", "apps", &[]);
    // `api` leaves the shared file for a file of its own; the shared file stays.
    r.write("apps/all.yaml", &web).write("apps/api.yaml", &api);
    let c1 = r.commit("2026-08-04T10:00:00Z", "Ben", "split", &[]);

    let report = q3(&r, &tmp.path().join("out"));
    assert_eq!(changes(&report), [], "{:#}", report["changes"]);
    let f = finding(&report, "api", "api");
    assert_eq!(f["subject"]["path"], "apps/api.yaml");
    assert_eq!(
        f["details"]["introduced"]["commit"],
        c0.to_string(),
        "{f:#}"
    );
    assert_eq!(
        f["details"]["renamed"][0]["commit"],
        c1.to_string(),
        "{f:#}"
    );
    assert_eq!(
        f["details"]["renamed"][0]["from_path"], "apps/all.yaml",
        "{f:#}"
    );
    assert_eq!(f["status"], "fail", "{f:#}");
}

#[test]
fn a_workload_moved_to_another_file_before_the_period_is_dated_by_its_image_not_the_move() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("gitops"));
    let api = deployment("api", &[("api", "ghcr.io/acme/api:1.4.0")]);
    let web = deployment("web", &[("web", "ghcr.io/acme/web:3.0.0")]);
    r.write("apps/all.yaml", &format!("{web}---\n{api}"));
    let c0 = r.commit("2026-01-05T08:00:00Z", "Ana", "apps", &[]);
    // Split out in September: the move is no new image, so the image stays 268 days old.
    r.write("apps/all.yaml", &web)
        .write("apps/api/deploy.yaml", &api);
    r.commit("2026-09-20T10:00:00Z", "Ben", "split", &[]);

    let (report, _) = run(
        &[
            "--repo",
            r.root().to_str().unwrap(),
            "--since",
            "2026-10-01",
            "--until",
            "2026-10-14",
        ],
        &tmp.path().join("out"),
    );
    let f = finding(&report, "api", "api");
    assert_eq!(
        f["details"]["introduced"]["commit"],
        c0.to_string(),
        "{f:#}"
    );
    assert_eq!(f["status"], "fail", "{f:#}");
    assert_eq!(
        f["details"]["renamed"][0]["from_path"], "apps/all.yaml",
        "{f:#}"
    );
}
