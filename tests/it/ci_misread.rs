//! CI files that were misread (issue 14, class 5), through the real binary on a repository
//! built with git2: deploys into a throw-away kind cluster and builds that export files do
//! not count, a Cloud Build config is a pipeline, a Dockerfile named `Dockerfile-chroot`
//! inherits `ENV` from the stage it builds on, a runbook placeholder is a word, and
//! Jenkins' `app.push(name)` keeps its argument.

use serde_json::Value;

use crate::support;

use support::git::{Repo, deployment, findings, run};

const E2E: &str = "name: e2e\non: pull_request\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    steps:\n      \
    - uses: helm/kind-action@v1\n      \
    - run: kubectl apply -f apps/\n      \
    - run: docker build -o dist .\n";

const CLOUDBUILD: &str = r#"steps:
  - name: gcr.io/cloud-builders/docker
    args: [build, -t, 'europe-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA', .]
  - name: aquasec/trivy
    args: [image, --exit-code, '1', 'europe-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA']
  - name: gcr.io/cloud-builders/gke-deploy
    args: [run, --filename=apps/, --cluster=prod, --location=europe-west1]
images: ['europe-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA']
"#;

const JENKINSFILE: &str = "node {\n  def app = docker.build('acme/web')\n  sh 'trivy image --exit-code 1 acme/web'\n  docker.withRegistry('https://reg.example.com', 'creds') {\n    app.push(name)\n  }\n}\n";

const DOCKERFILE: &str =
    "FROM alpine:3.20 AS base\nENV HOME=/home/app \\\n    UID=999\nFROM base AS final\nUSER $UID\n";

const RUNBOOK: &str =
    "# Debugging\n\n```bash\nkubectl exec -it <container_name> -- cat /etc/resolv.conf\n```\n";

fn report() -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let r = Repo::init(&tmp.path().join("shop"));
    r.write("apps/api.yaml", &deployment("ghcr.io/acme/api:1.0.0"))
        .write(".github/workflows/e2e.yml", E2E)
        .write("cloudbuild.yaml", CLOUDBUILD)
        .write("Jenkinsfile", JENKINSFILE)
        .write("images/Dockerfile-chroot", DOCKERFILE)
        .write("images/Dockerfile-chroot.dockerignore", "*\n")
        .write("docs/debug.md", RUNBOOK);
    r.commit("2026-08-01T00:00:00Z", "Ana", "initial", &[]);
    let root = r.root().to_str().unwrap().to_string();
    run(
        &["--repo", &root, "--period", "2026-Q3"],
        &tmp.path().join("out"),
    )
    .0
}

/// `status subject-path:line` of a check's findings, and their messages.
fn summary(report: &Value, check: &str) -> Vec<(String, String)> {
    findings(report, check)
        .into_iter()
        .map(|f| {
            (
                format!(
                    "{} {}:{}",
                    f["status"].as_str().unwrap_or(""),
                    f["subject"]["path"].as_str().unwrap_or("-"),
                    f["subject"]["line"]
                ),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn ci_files_of_a_real_repository_are_read_as_they_mean() {
    let report = report();

    // (a) The kind deploy of the e2e workflow is left out, saying why; Cloud Build deploys.
    let deploys = summary(&report, "ci-deploys-by-replacement");
    let mut statuses: Vec<&str> = deploys.iter().map(|(s, _)| s.as_str()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "not_applicable .github/workflows/e2e.yml:8",
            "pass cloudbuild.yaml:7"
        ],
        "{deploys:#?}"
    );
    let e2e = &deploys
        .iter()
        .find(|(s, _)| s.contains("e2e.yml"))
        .unwrap()
        .1;
    assert!(
        e2e.contains("`kubectl apply` (.github/workflows/e2e.yml:8), which deploys into the throw-away kind cluster that `helm/kind-action` creates (.github/workflows/e2e.yml:7)"),
        "{e2e}"
    );

    // (b) and (e) `docker build -o` is no image build; Cloud Build builds, pushes and scans;
    // (g) Jenkins pushes what it built, its argument kept.
    let builds = summary(&report, "ci-builds-images");
    let mut statuses: Vec<&str> = builds.iter().map(|(s, _)| s.as_str()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        ["pass Jenkinsfile:2", "pass cloudbuild.yaml:3"],
        "{builds:#?}"
    );
    let jenkins = findings(&report, "ci-builds-images")
        .into_iter()
        .find(|f| f["subject"]["path"] == "Jenkinsfile")
        .unwrap();
    let push = jenkins["details"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["activity"] == "push")
        .unwrap();
    assert_eq!(push["command"], "app.push(name)");
    assert_eq!(push["target"], "acme/web");
    let e2e_notes = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"]["path"] == ".github/workflows/e2e.yml")
        .flat_map(|f| {
            f["details"]["notes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect::<Vec<_>>();
    assert!(
        e2e_notes.iter().any(|n| n
            .as_str()
            .is_some_and(|n| n.contains("`docker build` exports files, not an image"))),
        "{e2e_notes:#?}"
    );
    let scans = summary(&report, "ci-scans-images");
    assert!(
        scans.iter().all(|(s, _)| !s.contains("e2e.yml")),
        "{scans:#?}"
    );
    assert!(
        scans.iter().any(|(s, _)| s == "pass cloudbuild.yaml:5"),
        "{scans:#?}"
    );

    // (c) and (d) `Dockerfile-chroot` is a Dockerfile; its USER comes from the parent stage.
    let users = summary(&report, "dockerfile-non-root-user");
    assert_eq!(users.len(), 1, "{users:#?}");
    assert_eq!(users[0].0, "pass images/Dockerfile-chroot:5");
    assert!(users[0].1.contains("`999`"), "{}", users[0].1);

    // (f) The runbook placeholder is the target, and the finding says what exec does.
    let runbook = summary(&report, "no-in-place-mutation")
        .into_iter()
        .find(|(s, _)| s.contains("docs/debug.md"))
        .unwrap();
    assert_eq!(runbook.0, "warn docs/debug.md:4");
    assert!(
        runbook.1.contains(
            "`kubectl exec` on `<container_name>`, which runs `cat /etc/resolv.conf` inside a running container"
        ),
        "{}",
        runbook.1
    );
}
