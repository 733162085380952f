//! `ci-scans-images`: the pipelines scan the images they build for vulnerabilities.

use std::fmt::Write;

use super::{Check, CheckContext, CheckMeta};
use crate::base::phrase::name_list;
use crate::checks::family::ci::{
    analyzed, pipeline_finding, pipeline_summary, repo_evidence, repo_subject, steps_json,
};
use crate::checks::family::ci::{no_pipeline_in, step_refs};
use crate::evidence::finding::{Finding, Status};
use crate::facts::ci::{Activity, Step};

crate::declare_check! {
    /// ## What it checks
    /// The CI pipelines scan container images for known vulnerabilities. A pipeline that
    /// runs an image scan passes. A pipeline that builds images and does not scan them
    /// fails, or warns when another pipeline of the same repository scans images (a
    /// scheduled registry scan, say), since that scan may not cover these images. When no
    /// pipeline of any repository builds or scans an image, each repository fails, naming
    /// its pipelines.
    ///
    /// Image scans are `trivy image` (and the old `trivy IMAGE`), `grype` on an image,
    /// `snyk container test|monitor`, `docker scout cves|quickview|compare|recommendations`,
    /// Clair (`clair-scanner`, `clairctl`, `klar`), Anchore (`anchorectl`/`anchore-cli image`,
    /// inline scan), `twistcli images scan`, `wizcli docker scan`, `jf docker scan`, ECR and
    /// Artifact Registry scans, the Trivy, Anchore, Docker Scout, Snyk, Azure, Sysdig,
    /// Lacework, NeuVector and Prisma Cloud actions, GitLab's Container-Scanning template and
    /// component, the Azure Trivy and Snyk (container) tasks, the Snyk orb with an image, the
    /// Bitbucket Trivy and Snyk pipes with an image, and the Tekton trivy-scanner (with
    /// `image`) and grype tasks. `trivy fs|config|repo|rootfs|sbom|k8s`, `grype dir:`,
    /// `snyk test`, hadolint, checkov and the like scan files or configuration, not an image:
    /// they are named in the finding but do not count.
    ///
    /// ## Why it matters
    /// PCI container guidance 10.3 asks that images be scanned for vulnerabilities, patched
    /// and redeployed. A scan in the pipeline that builds the image catches a vulnerable
    /// image before it replaces the running containers.
    ///
    /// ## Evidence used
    /// The pipeline definitions and the scripts and Makefiles they call, in each `--repo`, at
    /// the end of the period; each step names its file and line.
    ///
    /// ## Example
    /// ```yaml
    /// - uses: aquasecurity/trivy-action@0.28.0
    ///   with:
    ///     image-ref: ghcr.io/acme/api:${{ github.sha }}
    ///     exit-code: "1"
    ///     severity: CRITICAL,HIGH
    /// ```
    ///
    /// ## References
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.3
    /// - NIST CSF 2.0 PR.PS-02
    pub struct CiScansImages {
        id: "ci-scans-images",
        title: "Pipelines scan the images they build for vulnerabilities",
        severity: High,
    }
}

impl Check for CiScansImages {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        pipeline_summary(findings, "scan images")
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let (repos, mut out) = match analyzed(ctx, meta) {
            Ok(analyzed) => analyzed,
            Err(not_assessed) => return not_assessed,
        };
        let relevant = repos.iter().any(|r| {
            r.steps()
                .any(|s| matches!(s.activity, Activity::Build | Activity::ImageScan))
        });
        for repo in repos {
            let other_scans: Vec<&Step> = repo
                .steps()
                .filter(|s| s.activity == Activity::OtherScan)
                .collect();
            if !relevant {
                let pipelines: Vec<&str> = repo.pipelines.iter().map(|p| p.path.as_str()).collect();
                out.push(
                    Finding::new(
                        meta.id,
                        meta.severity,
                        Status::Fail,
                        repo_subject(repo),
                        no_pipeline_scans(&repo.location, &pipelines, &other_scans),
                    )
                    .evidence(repo_evidence(repo, false))
                    .detail("pipelines", pipelines)
                    .detail("other_scans", steps_json(other_scans)),
                );
                continue;
            }
            for p in &repo.pipelines {
                let scans: Vec<&Step> = p.steps_of(Activity::ImageScan).collect();
                let builds: Vec<&Step> = p.steps_of(Activity::Build).collect();
                if !scans.is_empty() {
                    out.push(pipeline_finding(
                        meta,
                        p,
                        &scans,
                        Status::Pass,
                        scans_images(&scans),
                    ));
                    continue;
                }
                if builds.is_empty() {
                    continue;
                }
                let elsewhere: Vec<&Step> = repo
                    .pipelines
                    .iter()
                    .filter(|o| o.path != p.path)
                    .flat_map(|o| o.steps_of(Activity::ImageScan))
                    .collect();
                let finding = if elsewhere.is_empty() {
                    let own_other: Vec<&Step> = p.steps_of(Activity::OtherScan).collect();
                    let others = if own_other.is_empty() {
                        &other_scans
                    } else {
                        &own_other
                    };
                    pipeline_finding(
                        meta,
                        p,
                        &builds,
                        Status::Fail,
                        builds_unscanned(&builds, others),
                    )
                    .detail("other_scans", steps_json(others.iter().copied()))
                } else {
                    pipeline_finding(
                        meta,
                        p,
                        &builds,
                        Status::Warn,
                        scanned_in_other_pipeline(&builds, &elsewhere),
                    )
                    .detail("scans_elsewhere", steps_json(elsewhere))
                };
                out.push(finding);
            }
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn scans_images(scans: &[&Step]) -> String {
    format!("scans images for vulnerabilities with {}", step_refs(scans))
}

fn scanned_in_other_pipeline(builds: &[&Step], scans: &[&Step]) -> String {
    format!(
        "builds images with {} and does not scan them itself; another pipeline of the repository scans images with {}: check that it scans the images built here",
        step_refs(builds),
        step_refs(scans)
    )
}

fn builds_unscanned(builds: &[&Step], other_scans: &[&Step]) -> String {
    let mut s = format!(
        "builds images with {} but no pipeline of the repository scans an image for vulnerabilities",
        step_refs(builds)
    );
    if !other_scans.is_empty() {
        let _ = write!(
            s,
            "; {} scan(s) files or configuration, not the image",
            step_refs(other_scans)
        );
    }
    s
}

fn no_pipeline_scans(repo: &str, pipelines: &[&str], other_scans: &[&Step]) -> String {
    let mut s = if pipelines.is_empty() {
        no_pipeline_in(repo)
    } else {
        format!(
            "none of the {} pipeline(s) of repository `{repo}` ({}) scans a container image for vulnerabilities",
            pipelines.len(),
            name_list(pipelines)
        )
    };
    if !other_scans.is_empty() {
        let _ = write!(
            s,
            "; {} scan(s) files or configuration, which is not an image scan",
            step_refs(other_scans)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{repo_findings, repo_statuses};

    const BUILD: &str =
        "jobs:\n  b:\n    steps:\n      - run: docker build -t r/a:1 . && docker push r/a:1\n";

    #[test]
    fn a_filesystem_scan_is_not_an_image_scan() {
        let got = repo_findings(
            &CiScansImages,
            &[(
                "app",
                &[(
                    ".gitlab-ci.yml",
                    "build:\n  script:\n    - docker build -t r/a:1 .\n    - trivy fs --exit-code 1 .\n",
                )],
            )],
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Status::Fail);
        assert!(
            got[0].message.contains("`trivy fs` (.gitlab-ci.yml:4)"),
            "{}",
            got[0].message
        );
    }

    #[test]
    fn scans_pass_separate_scans_warn() {
        let got = repo_statuses(
            &CiScansImages,
            &[(
                "app",
                &[
                    (".github/workflows/build.yml", BUILD),
                    (
                        ".github/workflows/nightly.yml",
                        "jobs:\n  s:\n    steps:\n      - run: grype r/a:1\n",
                    ),
                ],
            )],
        );
        assert_eq!(
            got,
            [
                (
                    "Pipeline .github/workflows/build.yml".to_string(),
                    Status::Warn
                ),
                (
                    "Pipeline .github/workflows/nightly.yml".to_string(),
                    Status::Pass
                ),
            ]
        );
    }

    #[test]
    fn nothing_built_or_scanned_fails_every_repository() {
        let got = repo_statuses(&CiScansImages, &[("a", &[("x.md", "hi")]), ("b", &[])]);
        assert_eq!(
            got,
            [
                ("Repository a".to_string(), Status::Fail),
                ("Repository b".to_string(), Status::Fail),
            ]
        );
    }
}
