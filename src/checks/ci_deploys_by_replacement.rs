//! `ci-deploys-by-replacement`: deployment applies new manifests or images (pushed by a
//! pipeline or pulled by a GitOps agent), so the orchestrator replaces the pods.

use super::{Check, CheckContext, CheckMeta};
use crate::base::phrase::name_list;
use crate::checks::family::ci::{
    analyzed, pipeline_finding, pipeline_summary, repo_evidence, repo_subject,
};
use crate::checks::family::ci::{no_pipeline_in, step_refs, steps_json};
use crate::evidence::finding::{Finding, Status};
use crate::facts::ci::{Activity, RepoAnalysis, Step};

crate::declare_check! {
    /// ## What it checks
    /// Deployments happen by applying new manifests or images. Each pipeline with a deploy
    /// step passes, naming the steps. A repository without such a pipeline passes as a
    /// GitOps pull when it holds Flux (`Kustomization`, `HelmRelease`, image automation) or
    /// Argo CD (`Application`, `ApplicationSet`) objects, or, said as such, when it holds
    /// workload manifests, kustomizations or Helm charts that an agent outside it applies.
    /// When no repository shows any deployment, each repository fails; a repository that
    /// neither deploys nor holds manifests while another one does is not applicable.
    ///
    /// Deploy steps are `kubectl`/`oc` `apply`, `create -f`, `replace`, `set image|env|resources`
    /// on a workload, `rollout restart|status|undo|resume`, `patch` of a Deployment,
    /// StatefulSet, DaemonSet or CronJob (a template change is rolled out as new pods), `helm
    /// upgrade|install|rollback`, `helmfile apply|sync`, `argocd app sync|rollback|set`, `flux
    /// reconcile`, `kapp deploy`, `skaffold run|deploy`, `ko apply`, `kn service`, Cloud Run,
    /// ECS, Container Apps and Web App deploys, `docker compose up` and `docker run` on a host
    /// reached by ssh, the `azure/k8s-deploy`, Cloud Run, ECS and Helm actions, the
    /// `KubernetesManifest` (deploy, promote, workload patch), `Kubernetes` and `HelmDeploy`
    /// tasks, CircleCI Kubernetes, Helm and ECS orbs, Bitbucket kubectl, AKS and Helm pipes,
    /// Drone Helm and Kubernetes plugins, Tekton Helm and Argo CD tasks, Jenkins'
    /// `kubernetesDeploy`, and `gke-deploy run|apply` (Cloud Build's GKE builder).
    /// `--dry-run` runs do not count.
    ///
    /// Nor do deploys into a throw-away test cluster: one the same job (a GitHub or GitLab
    /// job, a Jenkins stage; elsewhere the same script) created before them with `kind create cluster`, `k3d cluster create`,
    /// `minikube start`, `ctlptl create cluster` or a kind, k3d or minikube setup action
    /// (`helm/kind-action`, `AbsaOSS/k3d-action`, `medyagh/setup-minikube`...); one into a
    /// `kind-*`, `k3d-*` or `minikube` kube context; and one from a job or Makefile target
    /// named for tests (`e2e`, `smoke`, `conformance`, or `test`/`integration` without a
    /// deployment word such as `deploy-test`). The finding names each left out and why.
    ///
    /// ## Why it matters
    /// Replacing rather than updating containers (PR.PS-02.242) means a new image reaches
    /// production through a changed manifest that the orchestrator rolls out as new pods.
    /// PCI container guidance 10.3 asks that patched images be redeployed: the deploy step,
    /// or the GitOps agent, is how that happens.
    ///
    /// ## Evidence used
    /// The pipeline definitions and the scripts and Makefiles they call in each `--repo`, the
    /// Flux and Argo CD objects and workload manifests of the repository (as loaded from it),
    /// its `kustomization.yaml` files and Helm `Chart.yaml` files, at the end of the period.
    ///
    /// ## Example
    /// ```yaml
    /// deploy:
    ///   script:
    ///     - helm upgrade --install shop ./chart --set image.tag=$CI_COMMIT_SHORT_SHA --atomic
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.3
    /// - OpenGitOps principles (pulled automatically, continuously reconciled)
    pub struct CiDeploysByReplacement {
        id: "ci-deploys-by-replacement",
        title: "Deployments apply new manifests or images",
        severity: High,
    }
}

impl Check for CiDeploysByReplacement {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        pipeline_summary(findings, "deploy by replacement")
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let (repos, mut out) = match analyzed(ctx, meta) {
            Ok(analyzed) => analyzed,
            Err(not_assessed) => return not_assessed,
        };
        let mut lacking: Vec<(&RepoAnalysis, Vec<&Step>)> = Vec::new();
        for repo in repos {
            let mut deploys_here = false;
            // Deploys into throw-away test clusters, of pipelines that deploy nothing else:
            // named in the repository's finding.
            let mut test_only: Vec<&Step> = Vec::new();
            for p in &repo.pipelines {
                let deploys: Vec<&Step> = p.steps_of(Activity::Deploy).collect();
                let tests: Vec<&Step> = p.steps_of(Activity::TestDeploy).collect();
                if !deploys.is_empty() {
                    deploys_here = true;
                    let message = format!(
                        "{}{}",
                        deploys_by_replacement(&deploys),
                        not_counted(&tests)
                    );
                    out.push(with_test_deploys(
                        pipeline_finding(meta, p, &deploys, Status::Pass, message),
                        &tests,
                    ));
                } else {
                    test_only.extend(tests);
                }
            }
            if deploys_here {
                // Another pipeline deploys: say of each test-only pipeline why it does not.
                for p in repo.pipelines.iter().filter(|p| !p.does(Activity::Deploy)) {
                    let tests: Vec<&Step> = p.steps_of(Activity::TestDeploy).collect();
                    if !tests.is_empty() {
                        out.push(with_test_deploys(
                            pipeline_finding(
                                meta,
                                p,
                                &tests,
                                Status::NotApplicable,
                                only_test_deploys(&tests),
                            ),
                            &tests,
                        ));
                    }
                }
                continue;
            }
            let g = &crate::facts::ci::gitops::find(&repo.source, ctx.inventory);
            let evidence: Vec<String> = ctx
                .inventory
                .files
                .iter()
                .filter(|f| f.source == repo.source && !f.earlier)
                .filter(|f| {
                    g.agents
                        .iter()
                        .any(|a| a.path.as_deref() == Some(f.path.as_str()))
                        || g.workload_files.contains(&f.path)
                        || g.kustomizations.contains(&f.path)
                        || g.helm_charts.contains(&f.path)
                })
                .map(|f| f.evidence.clone())
                .collect();
            let objects: Vec<String> = g
                .agents
                .iter()
                .map(|a| match (&a.path, a.line) {
                    (Some(p), Some(l)) => format!("{} {} {} ({p}:{l})", a.tool, a.kind, a.name),
                    _ => format!("{} {} {}", a.tool, a.kind, a.name),
                })
                .collect();
            let message = if !g.agents.is_empty() {
                gitops_pull_by_agent(
                    &objects,
                    g.workload_files.len() + g.kustomizations.len() + g.helm_charts.len(),
                )
            } else if g.holds_manifests() {
                gitops_pull_by_manifests(
                    g.workload_files.len(),
                    g.kustomizations.len(),
                    g.helm_charts.len(),
                )
            } else {
                lacking.push((repo, test_only));
                continue;
            };
            let finding = Finding::new(
                meta.id,
                meta.severity,
                Status::Pass,
                repo_subject(repo),
                format!("{message}{}", not_counted(&test_only)),
            );
            out.push(
                with_test_deploys(finding, &test_only)
                    .evidence(evidence)
                    .detail("gitops_objects", objects)
                    .detail("workload_manifests", g.workload_files.clone())
                    .detail("kustomizations", g.kustomizations.clone())
                    .detail("helm_charts", g.helm_charts.clone()),
            );
        }
        let any_deployment = lacking.len() < repos.len();
        for (repo, tests) in lacking {
            let pipelines: Vec<&str> = repo.pipelines.iter().map(|p| p.path.as_str()).collect();
            let (status, message) = if any_deployment {
                (Status::NotApplicable, deploys_elsewhere(&repo.location))
            } else {
                (Status::Fail, no_deployment(&repo.location, &pipelines))
            };
            let message = format!("{message}{}", not_counted(&tests));
            let finding = Finding::new(meta.id, meta.severity, status, repo_subject(repo), message)
                .evidence(repo_evidence(repo, false))
                .detail("pipelines", pipelines);
            out.push(with_test_deploys(finding, &tests));
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn deploys_by_replacement(deploys: &[&Step]) -> String {
    format!(
        "deploys by applying new manifests or images, which the orchestrator rolls out as new pods: {}",
        step_refs(deploys)
    )
}

/// The `test_deploys` detail, when there are any.
fn with_test_deploys(finding: Finding, tests: &[&Step]) -> Finding {
    if tests.is_empty() {
        finding
    } else {
        finding.detail("test_deploys", steps_json(tests.iter().copied()))
    }
}

/// The deploys into throw-away test clusters left out, each with why; empty when none.
fn not_counted(tests: &[&Step]) -> String {
    if tests.is_empty() {
        return String::new();
    }
    let named: Vec<String> = tests
        .iter()
        .take(NAMED_TEST_DEPLOYS)
        .map(|s| {
            let why = s.note.as_deref().unwrap_or("deploys into a test cluster");
            format!("`{}` ({}), which {why}", s.tool, s.location())
        })
        .collect();
    let mut out = format!("; not counted: {}", named.join("; "));
    if tests.len() > NAMED_TEST_DEPLOYS {
        out.push_str(&format!(
            "; and {} more test deploy(s)",
            tests.len() - NAMED_TEST_DEPLOYS
        ));
    }
    out
}

fn only_test_deploys(tests: &[&Step]) -> String {
    format!(
        "this pipeline deploys only into test clusters, which is not how workloads are deployed{}",
        not_counted(tests)
    )
}

/// How many left-out test deploys a finding names.
const NAMED_TEST_DEPLOYS: usize = 3;

fn gitops_pull_by_agent(agents: &[String], manifests: usize) -> String {
    format!(
        "no pipeline of this repository pushes a deployment; it holds {} GitOps object(s) ({}) and {manifests} manifest file(s): deployed by GitOps pull, where the in-cluster agent applies the committed manifests and the controllers replace the pods",
        agents.len(),
        name_list(&agents.iter().map(String::as_str).collect::<Vec<_>>())
    )
}

fn gitops_pull_by_manifests(workloads: usize, kustomizations: usize, charts: usize) -> String {
    format!(
        "no pipeline of this repository pushes a deployment; it holds {workloads} workload manifest file(s), {kustomizations} kustomization(s) and {charts} Helm chart(s): counted as GitOps pull, though no Flux or Argo CD object in this repository shows which agent applies them"
    )
}

fn deploys_elsewhere(repo: &str) -> String {
    format!(
        "repository `{repo}` neither deploys nor holds manifests; deployment is evidenced by another repository"
    )
}

fn no_deployment(repo: &str, pipelines: &[&str]) -> String {
    if pipelines.is_empty() {
        format!(
            "{}, and no Kubernetes manifests, kustomizations, Helm charts, Flux or Argo CD objects, so nothing shows how images are deployed",
            no_pipeline_in(repo)
        )
    } else {
        format!(
            "none of the {} pipeline(s) of repository `{repo}` ({}) deploys by applying manifests or images, and the repository holds no manifests, Flux or Argo CD objects for a GitOps pull",
            pipelines.len(),
            name_list(pipelines)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{repo_findings, repo_statuses};

    #[test]
    fn push_deploys_gitops_pull_and_nothing() {
        let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec: {path: ./apps}\n";
        let got = repo_statuses(
            &CiDeploysByReplacement,
            &[
                (
                    "app",
                    &[(
                        ".gitlab-ci.yml",
                        "deploy:\n  script:\n    - kubectl -n shop patch deployment api -p '{}'\n",
                    )],
                ),
                ("flux", &[("clusters/prod/apps.yaml", flux)]),
                (
                    "plain",
                    &[(
                        "k8s/deploy.yaml",
                        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
                    )],
                ),
                ("lib", &[("README.md", "# lib\n")]),
            ],
        );
        assert_eq!(
            got,
            [
                ("Pipeline .gitlab-ci.yml".to_string(), Status::Pass),
                ("Repository flux".to_string(), Status::Pass),
                ("Repository lib".to_string(), Status::NotApplicable),
                ("Repository plain".to_string(), Status::Pass),
            ]
        );
    }

    /// Issue 14, class 5a: deploys into a throw-away test cluster do not count, and the
    /// finding says which were left out and why.
    #[test]
    fn test_cluster_deploys_do_not_count_and_are_named() {
        let e2e = "jobs:\n  e2e:\n    steps:\n      - uses: helm/kind-action@v1\n      - run: kubectl apply -f k8s/\n";
        let got = repo_findings(
            &CiDeploysByReplacement,
            &[("app", &[(".github/workflows/e2e.yml", e2e)])],
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Status::Fail);
        assert!(
            got[0].message.ends_with("; not counted: `kubectl apply` (.github/workflows/e2e.yml:5), which deploys into the throw-away kind cluster that `helm/kind-action` creates (.github/workflows/e2e.yml:4), not into a cluster that runs workloads"),
            "{}",
            got[0].message
        );
        let both = "jobs:\n  e2e:\n    steps:\n      - run: kind create cluster\n      - run: kubectl apply -f k8s/\n  release:\n    steps:\n      - run: kubectl apply -k overlays/prod\n";
        let got = repo_findings(
            &CiDeploysByReplacement,
            &[(
                "app",
                &[
                    (".github/workflows/ci.yml", both),
                    (".github/workflows/e2e.yml", e2e),
                ],
            )],
        );
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[1].subject.display_name(), got[1].status),
            (
                "Pipeline .github/workflows/e2e.yml".to_string(),
                Status::NotApplicable
            )
        );
        assert!(
            got[1].message.starts_with("this pipeline deploys only into test clusters, which is not how workloads are deployed; not counted: `kubectl apply` (.github/workflows/e2e.yml:5), which deploys into the throw-away kind cluster"),
            "{}",
            got[1].message
        );
        assert_eq!(got[0].status, Status::Pass);
        assert_eq!(
            got[0].message,
            "deploys by applying new manifests or images, which the orchestrator rolls out as new pods: `kubectl apply` (.github/workflows/ci.yml:8); not counted: `kubectl apply` (.github/workflows/ci.yml:5), which deploys into the throw-away kind cluster that `kind create cluster` creates (.github/workflows/ci.yml:4), not into a cluster that runs workloads"
        );
    }

    #[test]
    fn in_place_only_is_no_deployment() {
        let got = repo_findings(
            &CiDeploysByReplacement,
            &[(
                "app",
                &[(
                    ".gitlab-ci.yml",
                    "fix:\n  script:\n    - kubectl patch pod api-0 -p '{}'\n",
                )],
            )],
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Status::Fail);
        assert!(
            got[0].message.contains(".gitlab-ci.yml"),
            "{}",
            got[0].message
        );
    }
}
