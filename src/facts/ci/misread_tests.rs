//! Regression tests for CI files that were misread (issue 14, class 5): each builds a small
//! repository in code and compares every step the analysis gives, as one line each
//! (`path:line activity tool [target] | command (note)`), with the notes where they matter.

use super::test_support::{inventory_of, render_steps};
use super::{RepoAnalysis, analyze};

fn analysis(files: &[(&str, &str)]) -> RepoAnalysis {
    let inventory = inventory_of("app", files);
    analyze(&inventory).remove(0)
}

/// Every step of every pipeline, rendered.
fn pipeline_steps(files: &[(&str, &str)]) -> String {
    let repo = analysis(files);
    let steps: Vec<_> = repo.steps().cloned().collect();
    render_steps(&steps)
}

/// (g) `app.push(name)` keeps its argument, whatever its form, and names the image built.
#[test]
fn jenkins_image_push_keeps_its_argument() {
    let got = pipeline_steps(&[(
        "Jenkinsfile",
        "node {\n  def app = docker.build(\"acme/web:${env.GIT_COMMIT}\")\n  docker.withRegistry('https://reg.example.com', 'creds') {\n    app.push(name)\n    app.push(\"${env.BUILD_NUMBER}\")\n    app.push('latest')\n    app.push()\n    app.push(env.TAG)\n  }\n}\n",
    )]);
    assert_eq!(
        got,
        "Jenkinsfile:2 build docker.build (Docker Pipeline) [acme/web:${env.GIT_COMMIT}] | docker.build(acme/web:${env.GIT_COMMIT})\n\
         Jenkinsfile:4 push image.push (Docker Pipeline) [acme/web] | app.push(name)\n\
         Jenkinsfile:5 push image.push (Docker Pipeline) [acme/web:${env.BUILD_NUMBER}] | app.push(\"${env.BUILD_NUMBER}\")\n\
         Jenkinsfile:6 push image.push (Docker Pipeline) [acme/web:latest] | app.push('latest')\n\
         Jenkinsfile:7 push image.push (Docker Pipeline) [acme/web:${env.GIT_COMMIT}] | app.push()\n\
         Jenkinsfile:8 push image.push (Docker Pipeline) [acme/web] | app.push(env.TAG)\n"
    );
    let got = pipeline_steps(&[(
        "Jenkinsfile",
        "node {\n  docker.image('reg.example.com:5000/acme/base:1').push('stable')\n}\n",
    )]);
    assert_eq!(
        got,
        "Jenkinsfile:2 push image.push (Docker Pipeline) [reg.example.com:5000/acme/base:stable] | docker.image('reg.example.com:5000/acme/base:1').push('stable')\n"
    );
}

/// (b) A build that exports files counts as no build, and the pipeline says why.
#[test]
fn file_exports_are_noted_not_counted_as_builds() {
    let repo = analysis(&[(
        ".github/workflows/ci.yml",
        "jobs:\n  dist:\n    steps:\n      - run: docker build -o dist .\n      - run: docker buildx build --load -t app:dev .\n",
    )]);
    let steps: Vec<_> = repo.steps().cloned().collect();
    assert_eq!(
        render_steps(&steps),
        ".github/workflows/ci.yml:5 build docker buildx build [app:dev] | docker buildx build --load -t app:dev .\n"
    );
    assert_eq!(
        repo.pipelines[0].notes,
        [
            ".github/workflows/ci.yml:4 `docker build` exports files, not an image (`--output dist` writes the build's files): not counted as an image build"
        ]
    );
}

/// Steps as `path:line activity tool`, for tests that look at what counts.
fn activities(files: &[(&str, &str)]) -> Vec<String> {
    analysis(files)
        .steps()
        .map(|s| format!("{} {} {}", s.location(), s.activity.as_str(), s.tool))
        .collect()
}

/// (a) Deploys into a throw-away cluster the job creates (kind, k3d, minikube; by command or
/// by setup action) are test deploys; a deploy job beside them still deploys.
#[test]
fn deploys_into_throwaway_clusters_are_test_deploys() {
    let workflow = "jobs:
  e2e-kind:
    runs-on: ubuntu-latest
    steps:
      - uses: helm/kind-action@v1
      - run: kubectl apply -f k8s/
  k3d:
    steps:
      - uses: AbsaOSS/k3d-action@v2
      - run: helm upgrade --install app ./chart
  minikube:
    steps:
      - uses: medyagh/setup-minikube@latest
      - run: kubectl create -f k8s/deploy.yaml
  by-hand:
    steps:
      - run: |
          kind create cluster --name ci
          kubectl apply -k overlays/ci
      - run: k3d cluster create t && helm install x ./chart
      - run: minikube start
  release:
    steps:
      - run: kubectl apply -k overlays/prod
";
    assert_eq!(
        activities(&[(".github/workflows/ci.yml", workflow)]),
        [
            ".github/workflows/ci.yml:6 test-deploy kubectl apply",
            ".github/workflows/ci.yml:10 test-deploy helm upgrade",
            ".github/workflows/ci.yml:14 test-deploy kubectl create",
            ".github/workflows/ci.yml:19 test-deploy kubectl apply",
            ".github/workflows/ci.yml:20 test-deploy helm install",
            ".github/workflows/ci.yml:24 deploy kubectl apply",
        ]
    );
    let repo = analysis(&[(".github/workflows/ci.yml", workflow)]);
    let note = |line: u32| {
        repo.steps()
            .find(|s| s.line == line)
            .and_then(|s| s.note.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        note(6),
        "deploys into the throw-away kind cluster that `helm/kind-action` creates (.github/workflows/ci.yml:5), not into a cluster that runs workloads"
    );
    assert_eq!(
        note(20),
        "deploys into the throw-away k3d cluster that `k3d cluster create` creates (.github/workflows/ci.yml:20), not into a cluster that runs workloads"
    );
    assert_eq!(
        note(19),
        "deploys into the throw-away kind cluster that `kind create cluster` creates (.github/workflows/ci.yml:18), not into a cluster that runs workloads"
    );
}

/// (a) A deploy in an e2e or test job, in a Makefile target of that name, or against a
/// kind/k3d/minikube kube context is a test deploy; a job that deploys to a test
/// environment is not.
#[test]
fn deploys_from_test_jobs_and_targets_are_test_deploys() {
    let gitlab = "e2e-tests:
  script:
    - kubectl apply -f test/manifests/
integration_test:
  script:
    - make test-e2e
deploy-test:
  script:
    - kubectl apply -k overlays/test
smoke:
  script:
    - make deploy
ctx:
  script:
    - kubectl --context kind-ci apply -f k8s/
";
    let makefile = "deploy:\n\tkubectl apply -k overlays/prod\n\ntest-e2e:\n\thelm upgrade --install app ./chart\n";
    assert_eq!(
        activities(&[(".gitlab-ci.yml", gitlab), ("Makefile", makefile)]),
        [
            ".gitlab-ci.yml:3 test-deploy kubectl apply",
            "Makefile:5 test-deploy helm upgrade",
            ".gitlab-ci.yml:9 deploy kubectl apply",
            "Makefile:2 test-deploy kubectl apply",
            ".gitlab-ci.yml:15 test-deploy kubectl apply",
        ]
    );
    let repo = analysis(&[(".gitlab-ci.yml", gitlab), ("Makefile", makefile)]);
    let notes: Vec<String> = repo.steps().filter_map(|s| s.note.clone()).collect();
    assert_eq!(
        notes,
        [
            "deploys from the test job `e2e-tests`, into a cluster the tests use, not one that runs workloads",
            "deploys from the test job `integration_test`, into a cluster the tests use, not one that runs workloads",
            "deploys from the test job `smoke`, into a cluster the tests use, not one that runs workloads",
            "deploys into the kube context `kind-ci`, a throw-away kind cluster, not a cluster that runs workloads",
        ]
    );
}

/// (a) A script that creates a kind cluster and deploys into it, called from a pipeline.
#[test]
fn a_script_that_creates_its_cluster_deploys_for_tests() {
    assert_eq!(
        activities(&[
            (
                ".github/workflows/ci.yml",
                "jobs:\n  check:\n    steps:\n      - run: ./hack/e2e.sh\n  ship:\n    steps:\n      - run: ./hack/deploy.sh\n"
            ),
            (
                "hack/e2e.sh",
                "#!/bin/sh\nset -e\nkind create cluster --wait 2m\nkubectl apply -f config/\n"
            ),
            ("hack/deploy.sh", "#!/bin/sh\nkubectl apply -f config/\n"),
        ]),
        [
            "hack/e2e.sh:4 test-deploy kubectl apply",
            "hack/deploy.sh:2 deploy kubectl apply",
        ]
    );
}

/// (e) Google Cloud Build: builder images with args, entrypoints, scripts, `images:`.
#[test]
fn cloud_build_steps_build_push_scan_and_deploy() {
    let config = r#"steps:
  - id: build
    name: gcr.io/cloud-builders/docker
    args: ['build', '-t', 'us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA', '.']
  - name: 'gcr.io/kaniko-project/executor:latest'
    args:
      - --destination=us-docker.pkg.dev/$PROJECT_ID/shop/worker:$SHORT_SHA
      - --context=./worker
  - name: gcr.io/cloud-builders/docker
    args: [push, us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA]
  - name: gcr.io/google.com/cloudsdktool/cloud-sdk
    entrypoint: gcloud
    args: [artifacts, docker, images, scan, 'us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA']
  - name: aquasec/trivy
    args: [image, --exit-code, '1', us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA]
  - name: gcr.io/cloud-builders/gke-deploy
    args:
      - run
      - --filename=k8s/
      - --location=europe-west1
      - --cluster=prod
  - name: gcr.io/cloud-builders/kubectl
    args: [apply, -f, k8s/cron.yaml]
  - name: gcr.io/cloud-builders/gcloud
    entrypoint: bash
    args:
      - -c
      - |
        gcloud run deploy api --image=us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA
  - name: ubuntu
    script: |
      #!/usr/bin/env bash
      kubectl rollout restart deployment/api
images:
  - us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA
"#;
    let repo = analysis(&[("cloudbuild.yaml", config)]);
    assert_eq!(repo.pipelines.len(), 1);
    assert_eq!(repo.pipelines[0].system.name(), "Google Cloud Build");
    let steps: Vec<_> = repo.steps().cloned().collect();
    assert_eq!(
        render_steps(&steps),
        "cloudbuild.yaml:4 build docker build [us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA] | docker build -t us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA .\n\
         cloudbuild.yaml:7 build kaniko [us-docker.pkg.dev/$PROJECT_ID/shop/worker:$SHORT_SHA] | /kaniko/executor --destination=us-docker.pkg.dev/$PROJECT_ID/shop/worker:$SHORT_SHA --context=./worker\n\
         cloudbuild.yaml:7 push kaniko [us-docker.pkg.dev/$PROJECT_ID/shop/worker:$SHORT_SHA] | /kaniko/executor --destination=us-docker.pkg.dev/$PROJECT_ID/shop/worker:$SHORT_SHA --context=./worker\n\
         cloudbuild.yaml:10 push docker push [us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA] | docker push us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA\n\
         cloudbuild.yaml:13 image-scan gcloud artifacts docker images scan [us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA] | gcloud artifacts docker images scan us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA\n\
         cloudbuild.yaml:15 image-scan trivy image [us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA] | trivy image --exit-code 1 us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA\n\
         cloudbuild.yaml:18 deploy gke-deploy run [k8s/] | gke-deploy run --filename=k8s/ --location=europe-west1 --cluster=prod\n\
         cloudbuild.yaml:23 deploy kubectl apply [k8s/cron.yaml] | kubectl apply -f k8s/cron.yaml\n\
         cloudbuild.yaml:29 deploy gcloud run deploy [api] | gcloud run deploy api --image=us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA\n\
         cloudbuild.yaml:33 deploy kubectl rollout restart [deployment/api] | kubectl rollout restart deployment/api\n\
         cloudbuild.yaml:35 push images (Cloud Build) [us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA] | images: us-docker.pkg.dev/$PROJECT_ID/shop/api:$SHORT_SHA\n"
    );
}

/// (e) `cloudbuild.json` and `cloudbuild-*.yaml` are Cloud Build configs too; a config that
/// does not parse is a problem with its line, not a panic.
#[test]
fn cloud_build_json_and_bad_input() {
    let json = "{\n  \"steps\": [\n    {\"name\": \"gcr.io/cloud-builders/docker\", \"args\": [\"build\", \"-t\", \"gcr.io/p/app\", \".\"]}\n  ],\n  \"images\": [\"gcr.io/p/app\"]\n}\n";
    assert_eq!(
        activities(&[("build/cloudbuild.json", json)]),
        [
            "build/cloudbuild.json:3 build docker build",
            "build/cloudbuild.json:5 push images (Cloud Build)",
        ]
    );
    let repo = analysis(&[
        ("cloudbuild-pr.yaml", "steps:\n  - name: [unclosed\n"),
        ("ci/cloudbuild.yml", "steps: not-a-list\n"),
    ]);
    let problems: Vec<String> = repo
        .pipelines
        .iter()
        .flat_map(|p| p.problems.iter().map(|x| format!("{}:{}", x.path, x.line)))
        .collect();
    assert_eq!(problems, ["ci/cloudbuild.yml:1", "cloudbuild-pr.yaml:2"]);
    let messages: Vec<&str> = repo
        .pipelines
        .iter()
        .flat_map(|p| p.problems.iter().map(|x| x.message.as_str()))
        .collect();
    assert_eq!(
        messages[0],
        "`steps` is a scalar, not a list of build steps; Cloud Build would reject this config"
    );
}

/// (a) A Jenkins stage is the scope of the cluster it creates and names a test job: the
/// kind deploy of the e2e stage is a test deploy, the release stage's deploy is not.
#[test]
fn jenkins_stages_scope_test_clusters() {
    assert_eq!(
        activities(&[(
            "Jenkinsfile",
            "pipeline {\n  agent any\n  stages {\n    stage('Verify') {\n      steps {\n        sh 'kind create cluster'\n        sh 'kubectl apply -f k8s/'\n      }\n    }\n    stage('Smoke tests') {\n      steps { sh 'helm install app ./chart' }\n    }\n    stage('Release') {\n      steps {\n        sh 'kubectl apply -k overlays/prod'\n      }\n    }\n  }\n}\n",
        )]),
        [
            "Jenkinsfile:7 test-deploy kubectl apply",
            "Jenkinsfile:11 test-deploy helm install",
            "Jenkinsfile:15 deploy kubectl apply",
        ]
    );
}

/// (a) Where the system has no jobs (Cloud Build, Drone...), a cluster one script creates
/// covers that script only: a later step's production deploy still counts.
#[test]
fn without_jobs_a_test_cluster_covers_its_own_script() {
    assert_eq!(
        activities(&[(
            "cloudbuild.yaml",
            "steps:\n  - name: gcr.io/cloud-builders/gcloud\n    entrypoint: bash\n    args:\n      - -c\n      - |\n        kind create cluster\n        kubectl apply -f k8s/\n  - name: gcr.io/cloud-builders/kubectl\n    args: [apply, -f, k8s/]\n",
        )]),
        [
            "cloudbuild.yaml:8 test-deploy kubectl apply",
            "cloudbuild.yaml:10 deploy kubectl apply",
        ]
    );
}

/// (b) A build inside a code-generation Makefile target generates files: noted, not counted.
#[test]
fn builds_in_code_generation_targets_are_not_image_builds() {
    let repo = analysis(&[
        (
            ".gitlab-ci.yml",
            "check:\n  script:\n    - make generate\n    - make image\n",
        ),
        (
            "Makefile",
            "generate:\n\tdocker build -f hack/Dockerfile -t tools .\n\nimage:\n\tdocker build -t reg/app:1 .\n",
        ),
    ]);
    let steps: Vec<String> = repo
        .steps()
        .map(|s| format!("{} {} {}", s.location(), s.activity.as_str(), s.tool))
        .collect();
    assert_eq!(steps, ["Makefile:5 build docker build"]);
    assert_eq!(
        repo.pipelines[0].notes,
        [
            "Makefile:2 `docker build` runs in the code-generation target `generate` of Makefile: it generates files, not an image, and is not counted as an image build"
        ]
    );
}
