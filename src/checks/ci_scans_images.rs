//! `ci-scans-images`: the pipelines scan the images they build for vulnerabilities.

use std::fmt::Write;

use super::{Check, CheckContext, CheckMeta};
use crate::base::phrase::name_list;
use crate::checks::family::ci::{
    analyzed, pipeline_finding, pipeline_summary, repo_evidence, repo_subject, steps_json,
};
use crate::checks::family::ci::{no_pipeline_in, step_refs};
use crate::evidence::file_kinds::System;
use crate::evidence::finding::{Finding, Status};
use crate::facts::ci::{Activity, Pipeline, Step};

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
    /// A pipeline whose scan cannot keep a vulnerable image out of the cluster warns, naming
    /// the scan's file and line and why: the shell ignores its exit status (`|| true`,
    /// `|| :`, `|| exit 0`, `; true`); the definition lets it fail (`continue-on-error: true`
    /// on the GitHub step or job, `allow_failure: true` on the GitLab job); the scanner exits
    /// 0 whatever it finds (trivy without `--exit-code N`, N not 0, or `TRIVY_EXIT_CODE`:
    /// trivy's default exit code is 0 and `--severity` only filters what it reports;
    /// `aquasecurity/trivy-action` without an `exit-code` input other than 0, the action's
    /// default being 0; grype without `--fail-on` or `-f`; `docker scout cves` without
    /// `--exit-code`); or the scan runs after a deploy step of the same job, or in a job the
    /// deploy job does not wait for (GitHub `needs:`; GitLab `needs:`, else every job of an
    /// earlier stage).
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
                    let problems: Vec<String> = scans
                        .iter()
                        .flat_map(|scan| cannot_fail(ctx, p, scan))
                        .collect();
                    let finding = if problems.is_empty() {
                        pipeline_finding(meta, p, &scans, Status::Pass, scans_images(&scans))
                    } else {
                        pipeline_finding(
                            meta,
                            p,
                            &scans,
                            Status::Warn,
                            scans_that_cannot_fail(&scans, &problems),
                        )
                        .detail("scan_problems", problems)
                    };
                    out.push(finding);
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

/// Why a scan step cannot stop a vulnerable image, each naming its file and line: the
/// definition lets it fail (`continue-on-error`, `allow_failure`, `|| true`), the scanner
/// exits 0 whatever it finds, or it runs only after the deploy or beside it.
fn cannot_fail(ctx: &CheckContext<'_>, p: &Pipeline, scan: &Step) -> Vec<String> {
    let mut out = Vec::new();
    let at = scan.location();
    if let Some(why) = &scan.soft_fail {
        out.push(soft_by_definition(&at, why));
    }
    if !scan.command.starts_with("uses:") {
        let line = source_line(ctx, p, scan);
        if let Some(tail) = ignored_status(&line) {
            out.push(status_ignored(&at, tail));
        }
        let words: Vec<&str> = scan.command.split_whitespace().collect();
        // The command-line tools only: tasks, actions and templates take their options
        // elsewhere.
        let cli = |name: &str| scan.tool == name || scan.tool.starts_with(&format!("{name} "));
        if cli("trivy") {
            match trivy_exit_code(&words) {
                Some(code) if code != "0" => {}
                // TRIVY_EXIT_CODE set on the command line gates it too.
                _ if line.contains("TRIVY_EXIT_CODE=") && !line.contains("TRIVY_EXIT_CODE=0") => {}
                Some(_) => out.push(trivy_exit_zero(&at)),
                None => out.push(trivy_no_exit_code(&at)),
            }
        }
        // `docker scout cves` reports and exits 0 unless `--exit-code`/`-e` asks otherwise.
        if scan.tool == "docker scout cves"
            && !words
                .iter()
                .any(|w| *w == "-e" || w.starts_with("--exit-code"))
        {
            out.push(scout_no_exit_code(&at));
        }
        if cli("grype")
            && !words
                .iter()
                .any(|w| *w == "-f" || *w == "--fail-on" || w.starts_with("--fail-on="))
        {
            out.push(grype_no_fail_on(&at));
        }
    }
    if let Some(job) = &scan.job {
        let mut named = std::collections::BTreeSet::new();
        for deploy in p.steps_of(Activity::Deploy) {
            let Some(deploy_job) = &deploy.job else {
                continue;
            };
            if !named.insert(deploy_job.as_str()) {
                // One sentence per deploy job: its first deploy step.
                continue;
            }
            if deploy_job == job {
                if deploy.path == scan.path && deploy.via == scan.via && deploy.line < scan.line {
                    out.push(after_deploy(&at, deploy));
                }
            } else if matches!(p.system, System::GithubActions | System::GitlabCi)
                && !p.waits_for(deploy_job, job)
            {
                out.push(beside_deploy(&at, job, deploy));
            }
        }
    }
    out
}

/// The text of the scan's line in its file, with the lines it continues onto (`\`).
fn source_line(ctx: &CheckContext<'_>, p: &Pipeline, scan: &Step) -> String {
    let Some(file) = ctx
        .inventory
        .files
        .iter()
        .find(|f| f.source == p.source && f.path == scan.path && !f.earlier)
    else {
        return String::new();
    };
    let mut out = String::new();
    for l in file.text.lines().skip(scan.line.saturating_sub(1) as usize) {
        out.push_str(l);
        out.push('\n');
        if !l.trim_end().ends_with('\\') {
            break;
        }
    }
    out
}

/// `|| true`, `; true`, `|| :`, `|| exit 0`: the shell ignores the scanner's exit status.
fn ignored_status(line: &str) -> Option<&'static str> {
    let squeezed: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let squeezed = squeezed.replace("||", " || ").replace(';', " ; ");
    let squeezed: String = squeezed.split_whitespace().collect::<Vec<_>>().join(" ");
    [
        ("|| true", "|| true"),
        ("|| :", "|| :"),
        ("|| exit 0", "|| exit 0"),
        ("; true", "; true"),
    ]
    .into_iter()
    .find(|(pattern, _)| {
        squeezed.match_indices(pattern).any(|(i, _)| {
            squeezed[i + pattern.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
        })
    })
    .map(|(_, shown)| shown)
}

/// The value of trivy's `--exit-code`, when given.
fn trivy_exit_code<'w>(words: &[&'w str]) -> Option<&'w str> {
    words.iter().enumerate().find_map(|(i, w)| {
        if let Some(v) = w.strip_prefix("--exit-code=") {
            Some(v.trim_matches(['\'', '"']))
        } else if *w == "--exit-code" {
            words.get(i + 1).map(|v| v.trim_matches(['\'', '"']))
        } else {
            None
        }
    })
}

// Wording: the sentences this check's findings say.

fn scans_that_cannot_fail(scans: &[&Step], problems: &[String]) -> String {
    format!(
        "scans images for vulnerabilities with {}, but the scan cannot keep a vulnerable image \
         out of the cluster: {}",
        step_refs(scans),
        problems.join("; ")
    )
}

fn soft_by_definition(at: &str, why: &str) -> String {
    format!("the scan at {at} cannot fail the pipeline: {why}")
}

fn status_ignored(at: &str, tail: &str) -> String {
    format!("the scan at {at} cannot fail the pipeline: `{tail}` ignores its exit status")
}

fn trivy_exit_zero(at: &str) -> String {
    format!("trivy at {at} has `--exit-code 0`: it exits 0 whatever it finds")
}

fn trivy_no_exit_code(at: &str) -> String {
    format!(
        "trivy at {at} has no `--exit-code`: its default is 0, so it passes whatever it finds \
         (`--severity` only filters what it reports; add `--exit-code 1`)"
    )
}

fn grype_no_fail_on(at: &str) -> String {
    format!("grype at {at} has no `--fail-on`: it exits 0 whatever it finds (add `--fail-on high`)")
}

fn scout_no_exit_code(at: &str) -> String {
    format!(
        "docker scout cves at {at} has no `--exit-code`: it exits 0 whatever it finds (add \
         `--exit-code`)"
    )
}

fn after_deploy(at: &str, deploy: &Step) -> String {
    format!(
        "the scan at {at} runs after the deploy step {} (`{}`) of the same job, so the image \
         is running before it is scanned",
        deploy.location(),
        deploy.tool
    )
}

fn beside_deploy(at: &str, job: &str, deploy: &Step) -> String {
    format!(
        "the scan at {at} runs in job `{job}`, which the deploy job `{}` ({}) does not wait \
         for (`needs:` or an earlier stage), so the deploy does not depend on it",
        deploy.job.as_deref().unwrap_or_default(),
        deploy.location()
    )
}

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

    /// Issue 14, class 5b: a pipeline whose only build exports files (and one that builds a
    /// code-generation stage) is not a build without a scan; the image build beside it is.
    #[test]
    fn file_exports_and_codegen_builds_need_no_scan() {
        let got = repo_findings(
            &CiScansImages,
            &[(
                "app",
                &[
                    (
                        ".github/workflows/release-binaries.yml",
                        "jobs:\n  bin:\n    steps:\n      - run: docker buildx build --output type=local,dest=dist .\n      - run: docker build --target generate -o . .\n",
                    ),
                    (
                        ".gitlab-ci.yml",
                        "release:\n  script:\n    - docker build -t r/a:1 --push .\n    - trivy image --exit-code 1 r/a:1\n",
                    ),
                ],
            )],
        );
        let got: Vec<(String, Status)> = got
            .iter()
            .map(|f| (f.subject.display_name(), f.status))
            .collect();
        assert_eq!(got, [("Pipeline .gitlab-ci.yml".to_string(), Status::Pass)]);
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
                        "jobs:\n  s:\n    steps:\n      - run: grype --fail-on high r/a:1\n",
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

    /// The one finding of a repository holding `path` with `text`: (status, message).
    fn judged(path: &str, text: &str) -> (Status, String) {
        let got = repo_findings(&CiScansImages, &[("app", &[(path, text)])]);
        assert_eq!(got.len(), 1, "{got:?}");
        (got[0].status, got[0].message.clone())
    }

    fn github(steps: &str) -> (Status, String) {
        judged(
            ".github/workflows/ci.yml",
            &format!("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"),
        )
    }

    fn warns(got: (Status, String), says: &str) {
        assert_eq!(got.0, Status::Warn, "{}", got.1);
        assert!(got.1.contains(says), "{}", got.1);
    }

    fn passes(got: (Status, String)) {
        assert_eq!(got.0, Status::Pass, "{}", got.1);
    }

    #[test]
    fn a_shell_that_ignores_the_exit_status_cannot_fail() {
        warns(
            github("      - run: trivy image --exit-code 1 r/a:1 || true\n"),
            "the scan at .github/workflows/ci.yml:6 cannot fail the pipeline: `|| true`",
        );
        warns(
            github("      - run: trivy image --exit-code 1 r/a:1; true\n"),
            "`; true` ignores its exit status",
        );
        warns(
            github(
                "      - run: |\n          trivy image --exit-code 1 \\\n            r/a:1 || exit 0\n",
            ),
            "`|| exit 0`",
        );
        // `|| true` in another command of the script is not the scan's.
        passes(github(
            "      - run: |\n          trivy image --exit-code 1 r/a:1\n          rm -f x || true\n",
        ));
    }

    #[test]
    fn continue_on_error_on_the_step_or_the_job_cannot_fail() {
        warns(
            github(
                "      - run: trivy image --exit-code 1 r/a:1\n        continue-on-error: true\n",
            ),
            "`continue-on-error: true` (.github/workflows/ci.yml:7)",
        );
        warns(
            judged(
                ".github/workflows/ci.yml",
                "on: push\njobs:\n  scan:\n    continue-on-error: true\n    steps:\n      - run: trivy image --exit-code 1 r/a:1\n",
            ),
            "`continue-on-error: true` (.github/workflows/ci.yml:4)",
        );
        passes(github(
            "      - run: trivy image --exit-code 1 r/a:1\n        continue-on-error: false\n",
        ));
    }

    #[test]
    fn allow_failure_in_gitlab_cannot_fail() {
        warns(
            judged(
                ".gitlab-ci.yml",
                "scan:\n  allow_failure: true\n  script:\n    - trivy image --exit-code 1 r/a:1\n",
            ),
            "`allow_failure: true` (.gitlab-ci.yml:2)",
        );
    }

    #[test]
    fn trivy_fails_only_with_a_non_zero_exit_code() {
        warns(
            github("      - run: trivy image --severity CRITICAL,HIGH r/a:1\n"),
            "trivy at .github/workflows/ci.yml:6 has no `--exit-code`",
        );
        warns(
            github("      - run: trivy image --exit-code 0 r/a:1\n"),
            "has `--exit-code 0`",
        );
        passes(github(
            "      - run: trivy image --exit-code=1 --severity CRITICAL r/a:1\n",
        ));
        passes(github("      - run: TRIVY_EXIT_CODE=1 trivy image r/a:1\n"));
    }

    #[test]
    fn the_trivy_action_defaults_to_exit_code_zero() {
        let action = |with: &str| {
            github(&format!(
                "      - uses: aquasecurity/trivy-action@0.28.0\n        with:\n          image-ref: r/a:1\n{with}"
            ))
        };
        warns(action(""), "no `exit-code` input, whose default is 0");
        warns(action("          exit-code: '0'\n"), "`exit-code: 0`");
        passes(action("          exit-code: \"1\"\n"));
    }

    #[test]
    fn grype_fails_only_with_fail_on() {
        warns(
            github("      - run: grype r/a:1\n"),
            "grype at .github/workflows/ci.yml:6 has no `--fail-on`",
        );
        passes(github("      - run: grype r/a:1 --fail-on high\n"));
        passes(github("      - run: grype -f critical r/a:1\n"));
    }

    #[test]
    fn docker_scout_fails_only_with_exit_code() {
        warns(
            github("      - run: docker scout cves r/a:1\n"),
            "docker scout cves at .github/workflows/ci.yml:6 has no `--exit-code`",
        );
        passes(github(
            "      - run: docker scout cves --exit-code --only-severity critical r/a:1\n",
        ));
    }

    #[test]
    fn a_scan_after_the_deploy_or_beside_it_cannot_stop_it() {
        warns(
            github(
                "      - run: kubectl apply -f k8s/\n      - run: trivy image --exit-code 1 r/a:1\n",
            ),
            "runs after the deploy step .github/workflows/ci.yml:6 (`kubectl apply`) of the same job",
        );
        passes(github(
            "      - run: trivy image --exit-code 1 r/a:1\n      - run: kubectl apply -f k8s/\n",
        ));
        let jobs = |needs: &str| {
            judged(
                ".github/workflows/ci.yml",
                &format!(
                    "on: push\njobs:\n  scan:\n    steps:\n      - run: trivy image --exit-code 1 r/a:1\n  \
                     deploy:\n{needs}    steps:\n      - run: kubectl apply -f k8s/\n"
                ),
            )
        };
        warns(
            jobs(""),
            "runs in job `scan`, which the deploy job `deploy`",
        );
        passes(jobs("    needs: scan\n"));
        passes(jobs("    needs: [scan]\n"));
    }

    #[test]
    fn gitlab_jobs_wait_for_earlier_stages_unless_needs_says_otherwise() {
        let pipeline = |deploy_extra: &str, scan_stage: &str| {
            judged(
                ".gitlab-ci.yml",
                &format!(
                    "stages: [build, scan, deploy]\nscan:\n  stage: {scan_stage}\n  script:\n    - trivy image --exit-code 1 r/a:1\n\
                     deploy:\n  stage: deploy\n{deploy_extra}  script:\n    - kubectl apply -f k8s/\n"
                ),
            )
        };
        passes(pipeline("", "scan"));
        warns(pipeline("  needs: []\n", "scan"), "does not wait");
        passes(pipeline("  needs: [scan]\n", "scan"));
        warns(pipeline("", "deploy"), "runs in job `scan`");
    }
}
