//! `no-in-place-mutation`: no pipeline or repository script changes running containers or
//! hosts in place.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Check, CheckContext, CheckMeta};
use crate::base::phrase::name_list;
use crate::checks::family::ci::{analyzed, file_subject, repo_evidence, repo_subject};
use crate::evidence::finding::{Finding, Status};
use crate::facts::ci::{self, Activity, FileKind, Step};

crate::declare_check! {
    /// ## What it checks
    /// No CI pipeline, and no script or Makefile of the analysed repositories, changes
    /// running containers or hosts in place. Each command that does is its own failing
    /// finding, naming its file and line and the pipelines that run it; the same command in
    /// a Markdown runbook is a warning (documented procedure, not automation). A repository
    /// without any such command passes, with the number of files examined.
    ///
    /// In-place changes are `kubectl`/`oc` `exec`, `attach`, `cp` into a pod, `debug` of a
    /// pod (not of a node, not `--copy-to`), `patch`/`edit`/`set image` of a Pod, `oc
    /// rsh|rsync`; `docker`/`podman`/`nerdctl` `exec`, `commit`, `cp` into a container,
    /// `attach` and `update` (except into a container the same pipeline started with `docker
    /// run --name`, a test container); `crictl exec` and `ctr task exec`; package installs
    /// and upgrades (apt, yum, dnf, microdnf, apk, zypper, unattended-upgrade) run on a host
    /// through `ssh`, `gcloud compute ssh`, `az vm run-command`, the ssh actions, tasks, pipes
    /// and plugins, or Jenkins' `sshCommand`; Ansible (`ansible-playbook`, ad-hoc `ansible`,
    /// the Ansible action, task, plugin and Jenkins step) against hosts, unless it is local
    /// only, a check run, or a read-only module; `KubernetesManifest` patches of a Pod.
    /// Package installs on the CI runner itself are tooling, not a change of a workload.
    ///
    /// ## Why it matters
    /// A container patched in place drifts from its image: the running software is no
    /// longer what was built and scanned, and the next replacement silently undoes the fix.
    /// Immutable operation replaces instead (PR.PS-02.242).
    ///
    /// ## Evidence used
    /// The pipeline definitions with what they call, every shell script (`*.sh`, `*.bash`,
    /// files with a shell `#!`) and Makefile (every target), and the fenced shell blocks of
    /// every Markdown file in each `--repo`, at the end of the period; and every other
    /// version of those files that existed during the period (a hotfix script added and
    /// removed within the quarter), each hit naming the commit of the version it is in.
    ///
    /// ## Example
    /// ```yaml
    /// # fails: the package is upgraded in the running container
    /// - run: kubectl -n shop exec deploy/api -- apt-get install -y --only-upgrade openssl
    /// # instead: rebuild the image and roll it out
    /// - run: kubectl -n shop set image deployment/api api=ghcr.io/acme/api:1.4.1
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.3
    pub struct NoInPlaceMutation {
        id: "no-in-place-mutation",
        title: "Nothing changes running containers in place",
        severity: High,
    }
}

/// One in-place command, with the pipelines that reach it.
struct Hit<'a> {
    step: &'a Step,
    kind: &'static str,
    pipelines: Vec<&'a str>,
    evidence: &'a str,
}

impl Check for NoInPlaceMutation {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        let hits: Vec<String> = findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Warn))
            .map(|f| {
                let at = f
                    .subject
                    .file_location()
                    .unwrap_or_else(|| f.subject.display_name());
                match f.details.get("commit").and_then(|c| c.as_str()) {
                    Some(c) => format!("{at} (commit {})", c.chars().take(12).collect::<String>()),
                    None => at,
                }
            })
            .collect();
        let examined: usize = findings
            .iter()
            .filter_map(|f| f.details.get("files_examined").and_then(|n| n.as_u64()))
            .sum::<u64>() as usize;
        Some(in_place_summary(&hits, examined))
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let (repos, mut out) = match analyzed(ctx, meta) {
            Ok(analyzed) => analyzed,
            Err(not_assessed) => return not_assessed,
        };
        for repo in repos {
            // Keyed by (path, line, tool): a script reached from two pipelines, and read on
            // its own, is one hit.
            let mut hits: BTreeMap<(&str, u32, &str), Hit<'_>> = BTreeMap::new();
            let pipeline_files: Vec<&str> = repo
                .pipelines
                .iter()
                .flat_map(|p| p.files.iter().map(String::as_str))
                .collect();
            for p in &repo.pipelines {
                for step in p.steps_of(Activity::Mutation) {
                    let kind = if pipeline_files.contains(&step.path.as_str())
                        && !is_script_file(repo, &step.path)
                    {
                        "Pipeline"
                    } else {
                        "Script"
                    };
                    let hit = hits
                        .entry((&step.path, step.line, &step.tool))
                        .or_insert(Hit {
                            step,
                            kind,
                            pipelines: Vec::new(),
                            evidence: &step.evidence,
                        });
                    if !hit.pipelines.contains(&p.path.as_str()) {
                        hit.pipelines.push(&p.path);
                    }
                }
            }
            let mut scripts = 0;
            let mut runbooks = 0;
            for file in &repo.scripts {
                let kind = match file.kind {
                    FileKind::Runbook => {
                        runbooks += 1;
                        "Runbook"
                    }
                    _ => {
                        scripts += 1;
                        "Script"
                    }
                };
                for step in &file.mutations {
                    hits.entry((&step.path, step.line, &step.tool))
                        .or_insert(Hit {
                            step,
                            kind,
                            pipelines: Vec::new(),
                            evidence: &file.evidence,
                        });
                }
            }
            let earlier = earlier_findings(meta, ctx, repo, &hits);
            if hits.is_empty() && earlier.is_empty() {
                out.push(
                    Finding::new(
                        meta.id,
                        meta.severity,
                        Status::Pass,
                        repo_subject(repo),
                        no_in_place(repo.files_examined, repo.pipelines.len(), scripts, runbooks),
                    )
                    .evidence(repo_evidence(repo, true))
                    .detail("files_examined", repo.files_examined)
                    .detail(
                        "pipelines",
                        repo.pipelines
                            .iter()
                            .map(|p| p.path.clone())
                            .collect::<Vec<_>>(),
                    ),
                );
                continue;
            }
            out.extend(earlier);
            for hit in hits.into_values() {
                let s = hit.step;
                let (status, message) = if hit.kind == "Runbook" {
                    (Status::Warn, in_place_in_runbook(s))
                } else {
                    {
                        // Name the pipelines only when the command is in another file.
                        let callers: Vec<&str> = hit
                            .pipelines
                            .iter()
                            .copied()
                            .filter(|p| *p != s.path)
                            .collect();
                        (Status::Fail, in_place_change(s, &callers))
                    }
                };
                let mut finding = Finding::new(
                    meta.id,
                    meta.severity,
                    status,
                    file_subject(hit.kind, &repo.source, &s.path, Some(s.line)),
                    message,
                )
                .evidence([hit.evidence.to_string()])
                .key(format!("{}|{}", s.tool, s.command))
                .detail("tool", s.tool.clone())
                .detail("command", s.command.clone())
                .detail("line", s.line);
                if let Some(t) = &s.target {
                    finding = finding.detail("target", t.clone());
                }
                if let Some(v) = &s.via {
                    finding = finding.detail("via", v.clone());
                }
                if !hit.pipelines.is_empty() {
                    finding = finding.detail(
                        "pipelines",
                        hit.pipelines
                            .iter()
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>(),
                    );
                }
                out.push(finding);
            }
        }
        out
    }
}

/// Findings for in-place commands in versions of files that existed during the period but
/// not at its end: one per command (by file, tool and command text), naming the first
/// version it appears in; a command also in the period end's version is reported there.
fn earlier_findings(
    meta: &CheckMeta,
    ctx: &CheckContext<'_>,
    repo: &ci::RepoAnalysis,
    current: &BTreeMap<(&str, u32, &str), Hit<'_>>,
) -> Vec<Finding> {
    let now: std::collections::HashSet<(&str, &str, &str)> = current
        .values()
        .map(|h| {
            (
                h.step.path.as_str(),
                h.step.tool.as_str(),
                h.step.command.as_str(),
            )
        })
        .collect();
    let hits = ci::earlier_mutations(ctx.inventory, &repo.source);
    let mut first: BTreeMap<(&str, &str, &str), &ci::EarlierHit<'_>> = BTreeMap::new();
    for h in &hits {
        let key = (
            h.step.path.as_str(),
            h.step.tool.as_str(),
            h.step.command.as_str(),
        );
        if now.contains(&key) {
            continue;
        }
        let entry = first.entry(key).or_insert(h);
        if h.file.committed_at < entry.file.committed_at {
            *entry = h;
        }
    }
    first
        .into_values()
        .map(|h| {
            let s = &h.step;
            let commit = h.file.commit.clone().unwrap_or_default();
            let short: String = commit.chars().take(12).collect();
            let time = h.file.committed_at.clone().unwrap_or_default();
            let at_end = ctx
                .inventory
                .files
                .iter()
                .any(|f| f.source == repo.source && !f.earlier && f.path == s.path);
            let (kind, status) = match (h.pipeline, h.kind) {
                (true, _) => ("Pipeline", Status::Fail),
                (false, FileKind::Runbook) => ("Runbook", Status::Warn),
                _ => ("Script", Status::Fail),
            };
            let mut subject = file_subject(kind, &repo.source, &s.path, Some(s.line));
            subject.name = format!("{}@{short}", s.path);
            Finding::new(
                meta.id,
                meta.severity,
                status,
                subject,
                in_place_change_earlier(s, &short, &time, at_end),
            )
            .evidence([h.file.evidence.clone()])
            .key(format!("{}|{}|{commit}", s.tool, s.command))
            .detail("tool", s.tool.clone())
            .detail("command", s.command.clone())
            .detail("line", s.line)
            .detail("commit", commit)
            .detail("committed_at", time)
        })
        .collect()
}

fn is_script_file(repo: &ci::RepoAnalysis, path: &str) -> bool {
    repo.scripts
        .iter()
        .any(|s| s.path == path && s.kind != FileKind::Runbook)
}

// Wording: the sentences this check's findings say.

fn in_place_change(step: &Step, pipelines: &[&str]) -> String {
    let mut s = format!("`{}`", step.tool);
    if let Some(t) = &step.target {
        let _ = write!(s, " on `{t}`");
    }
    let what = step.note.as_deref().unwrap_or("changes a running workload");
    let _ = write!(s, " {what}: a change in place, not a replacement");
    if !pipelines.is_empty() {
        let _ = write!(s, "; run by {}", name_list(pipelines));
    }
    s
}

fn in_place_in_runbook(step: &Step) -> String {
    let mut s = format!("a runbook tells operators to run `{}`", step.tool);
    if let Some(t) = &step.target {
        let _ = write!(s, " on `{t}`");
    }
    // Say what the command does (`kubectl exec` runs a command, which may only read): the
    // runbook gives operators a way into the running container, not proof of a change.
    match &step.note {
        Some(what) => {
            let _ = write!(
                s,
                ", which {what}: whatever it changes there is changed in place, not replaced; make the documented procedure a rebuild and redeploy"
            );
        }
        None => s.push_str(", which changes a running workload in place; make the documented procedure a rebuild and redeploy"),
    }
    s
}

fn no_in_place(files: usize, pipelines: usize, scripts: usize, runbooks: usize) -> String {
    format!(
        "none of the {files} file(s) examined ({pipelines} pipeline(s) with what they call, {scripts} script(s) and Makefile(s), {runbooks} runbook(s)) changes running containers or hosts in place"
    )
}

/// A hit in a version of a file that existed during the period but not at its end.
fn in_place_change_earlier(step: &Step, commit: &str, time: &str, at_end: bool) -> String {
    let mut s = in_place_change(step, &[]);
    let _ = write!(
        s,
        "; in the version of {} at commit {commit} ({}), which existed during the period{}",
        step.path,
        time.get(..10).unwrap_or(time),
        if at_end {
            " (the file has changed since)"
        } else {
            " and is gone at its end"
        }
    );
    s
}

/// `no-in-place-mutation`: the hits, or how much was examined.
fn in_place_summary(hits: &[String], files_examined: usize) -> String {
    if hits.is_empty() {
        format!(
            "No in-place change in the {files_examined} pipeline, script and runbook file(s) examined."
        )
    } else {
        let names: Vec<&str> = hits.iter().map(String::as_str).collect();
        format!("In-place changes found at {}.", name_list(&names))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::repo_findings;

    #[test]
    fn each_hit_is_a_finding_runbooks_warn_clean_repositories_pass() {
        let got = repo_findings(
            &NoInPlaceMutation,
            &[
                (
                    "app",
                    &[
                        (
                            ".gitlab-ci.yml",
                            "hotfix:\n  script:\n    - |\n      echo start\n      echo x && kubectl exec api-0 -- apt-get upgrade -y\n    - ./scripts/fix.sh\n",
                        ),
                        ("scripts/fix.sh", "#!/bin/sh\ndocker exec web apk upgrade\n"),
                        (
                            "docs/ops.md",
                            "```sh\nkubectl cp fix.jar shop/api-0:/app/fix.jar\n```\n",
                        ),
                    ],
                ),
                (
                    "clean",
                    &[(
                        ".drone.yml",
                        "kind: pipeline\nsteps:\n  - name: d\n    commands: [kubectl apply -f k8s/]\n",
                    )],
                ),
            ],
        );
        let got: Vec<(String, Option<String>, Status)> = got
            .into_iter()
            .map(|f| {
                (
                    f.subject.display_name(),
                    f.subject.file_location(),
                    f.status,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Pipeline .gitlab-ci.yml".to_string(),
                    Some(".gitlab-ci.yml:5".to_string()),
                    Status::Fail
                ),
                (
                    "Runbook docs/ops.md".to_string(),
                    Some("docs/ops.md:2".to_string()),
                    Status::Warn
                ),
                (
                    "Script scripts/fix.sh".to_string(),
                    Some("scripts/fix.sh:2".to_string()),
                    Status::Fail
                ),
                ("Repository clean".to_string(), None, Status::Pass),
            ]
        );
    }

    /// Issue 14, class 5f: placeholders in a runbook are words, not redirections, and the
    /// finding says what `kubectl exec` does instead of claiming a read changes the workload.
    #[test]
    fn runbook_placeholders_and_exec_wording() {
        let got = repo_findings(
            &NoInPlaceMutation,
            &[(
                "app",
                &[(
                    "docs/debug.md",
                    "# Debugging\n\n```bash\nkubectl exec -it <container_name> -- cat /etc/resolv.conf\nkubectl -n <namespace> exec <pod> -c <container> -- nc -z localhost 7000\nkubectl exec -it <pod_name> -- sh\n```\n",
                )],
            )],
        );
        let got: Vec<(Option<String>, Status, &str)> = got
            .iter()
            .map(|f| (f.subject.file_location(), f.status, f.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some("docs/debug.md:4".to_string()),
                    Status::Warn,
                    "a runbook tells operators to run `kubectl exec` on `<container_name>`, which runs `cat /etc/resolv.conf` inside a running container: whatever it changes there is changed in place, not replaced; make the documented procedure a rebuild and redeploy"
                ),
                (
                    Some("docs/debug.md:5".to_string()),
                    Status::Warn,
                    "a runbook tells operators to run `kubectl exec` on `<pod>`, which runs `nc -z localhost 7000` inside a running container: whatever it changes there is changed in place, not replaced; make the documented procedure a rebuild and redeploy"
                ),
                (
                    Some("docs/debug.md:6".to_string()),
                    Status::Warn,
                    "a runbook tells operators to run `kubectl exec` on `<pod_name>`, which runs `sh` inside a running container: whatever it changes there is changed in place, not replaced; make the documented procedure a rebuild and redeploy"
                ),
            ]
        );
    }
}
