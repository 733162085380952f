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
        [".github/workflows/ci.yml:4 `docker build` exports files, not an image (`--output dist` writes the build's files): not counted as an image build"]
    );
}
