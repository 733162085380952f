//! GitHub Actions workflows: `run:` scripts and the `uses:` actions that build, push, scan,
//! deploy or reach hosts.
//!
//! Steps are read from `jobs.<id>.steps`, run in the step's `working-directory` (or the
//! job's or workflow's `defaults.run.working-directory`). A local composite action
//! (`uses: ./.github/actions/build`) is followed into its `action.yml`; a reusable workflow
//! in the same repository is a workflow of its own; a remote one is noted, not read.

use super::walk::Walker;
use super::{Activity, yaml_documents};
use crate::base::yaml::tree::Node;

pub fn read(w: &mut Walker<'_>, path: &str, text: &str) {
    let Some((docs, lines)) = yaml_documents(w, path, text) else {
        return;
    };
    for doc in &docs {
        let default_dir = working_dir(doc).unwrap_or_default();
        let Some(jobs) = doc.get("jobs").and_then(Node::as_map) else {
            continue;
        };
        for (id, job) in jobs.iter() {
            w.set_job(Some(id));
            w.needs(id, names(job.get("needs")));
            let job_soft = w.set_soft_fail(continue_on_error(path, job));
            if let Some(uses) = job.get("uses")
                && let Some(target) = uses.as_str()
            {
                if target.starts_with("./") {
                    w.note(format!(
                        "{path}:{} calls the reusable workflow {target}, read as a pipeline of its own",
                        uses.line()
                    ));
                } else {
                    w.note(format!(
                        "{path}:{} calls the workflow {target} from another repository, which was not analysed",
                        uses.line()
                    ));
                }
            }
            let dir = working_dir(job).unwrap_or_else(|| default_dir.clone());
            if let Some(steps) = job.get("steps").and_then(Node::as_seq) {
                read_steps(w, path, &lines, steps, &dir);
            }
            w.set_soft_fail(job_soft);
        }
        w.set_job(None);
    }
}

/// A `needs:` value: one job name or a list of them.
fn names(node: Option<&Node>) -> Vec<String> {
    match node {
        Some(n) => match n.as_seq() {
            Some(items) => items
                .iter()
                .filter_map(Node::as_str)
                .map(str::to_string)
                .collect(),
            None => n.as_str().map(str::to_string).into_iter().collect(),
        },
        None => Vec::new(),
    }
}

/// `continue-on-error: true` on a job or step: its failure does not fail the workflow.
fn continue_on_error(path: &str, node: &Node) -> Option<String> {
    let v = node.get("continue-on-error")?;
    v.as_str()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("true"))
        .then(|| format!("`continue-on-error: true` ({path}:{})", v.line()))
}

fn working_dir(node: &Node) -> Option<String> {
    node.get("defaults")?
        .get("run")?
        .str_at("working-directory")
        .map(str::to_string)
}

fn read_steps(w: &mut Walker<'_>, path: &str, lines: &[&str], steps: &[Node], dir: &str) {
    for step in steps {
        // A step's own `continue-on-error` adds to its job's.
        let outer = w.set_soft_fail(None);
        let own = continue_on_error(path, step).or_else(|| outer.clone());
        w.set_soft_fail(own);
        let cwd = step
            .str_at("working-directory")
            .map(str::to_string)
            .unwrap_or_else(|| dir.to_string());
        let cwd = strip_workspace(&cwd);
        if let Some(run) = step.get("run")
            && let Some(script) = run.script(lines)
        {
            w.script(path, &script, &cwd, None);
        }
        if let Some(uses) = step.get("uses")
            && let Some(name) = uses.as_str()
        {
            action(w, path, lines, uses.line(), name, step.get("with"));
        }
        w.set_soft_fail(outer);
    }
}

fn strip_workspace(dir: &str) -> String {
    let d = dir
        .trim_start_matches("${{ github.workspace }}")
        .trim_start_matches("$GITHUB_WORKSPACE")
        .trim_start_matches("./");
    d.trim_start_matches('/').trim_end_matches('/').to_string()
}

/// Classifies one `uses:` action by its name (owner/repo[/path]), lower-cased.
fn action(
    w: &mut Walker<'_>,
    path: &str,
    lines: &[&str],
    line: u32,
    uses: &str,
    with: Option<&Node>,
) {
    let name = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
    let input = |key: &str| with.and_then(|n| n.str_at(key)).map(str::trim);
    let first = |key: &str| {
        input(key).and_then(|v| {
            v.split([',', '\n'])
                .map(str::trim)
                .find(|s| !s.is_empty())
                .map(str::to_string)
        })
    };
    let command = format!("uses: {uses}");
    let step = |w: &mut Walker<'_>, activity, target: Option<String>, note: Option<&str>| {
        w.step(
            path,
            line,
            activity,
            &name,
            &command,
            target.as_deref(),
            note,
        );
    };
    if let Some(local) = uses.strip_prefix("./") {
        composite(w, path, line, local);
        return;
    }
    let truthy = |key: &str| {
        input(key).is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v == "true" || v.contains("${{")
        })
    };
    match name.as_str() {
        "docker/build-push-action" | "docker/bake-action" | "int128/kaniko-action" => {
            let tags = first("tags").or_else(|| first("targets"));
            step(w, Activity::Build, tags.clone(), None);
            let outputs_push = input("outputs")
                .is_some_and(|o| o.contains("type=registry") || o.contains("push=true"));
            if truthy("push") || outputs_push {
                let note = input("push")
                    .filter(|v| v.contains("${{"))
                    .map(|v| format!("pushes when `{v}`"));
                step(w, Activity::Push, tags, note.as_deref());
            }
        }
        "redhat-actions/buildah-build" => step(w, Activity::Build, first("image"), None),
        "redhat-actions/push-to-registry" => step(w, Activity::Push, first("image"), None),
        "mr-smithers-excellent/docker-build-push" | "aevea/action-kaniko" => {
            step(w, Activity::Build, first("image"), None);
            if input("pushImage").is_none_or(|v| v != "false") {
                step(w, Activity::Push, first("image"), None);
            }
        }
        "azure/container-apps-deploy-action" => {
            if input("appSourcePath").is_some() || input("dockerfilePath").is_some() {
                step(w, Activity::Build, first("imageToBuild"), None);
                step(w, Activity::Push, first("imageToBuild"), None);
            }
            step(w, Activity::Deploy, first("containerAppName"), None);
        }
        "azure/k8s-deploy" if input("action").is_none_or(|a| a != "reject") => {
            step(w, Activity::Deploy, first("manifests"), None)
        }
        "azure/webapps-deploy" if input("images").is_some() => {
            step(w, Activity::Deploy, first("app-name"), None)
        }
        "google-github-actions/deploy-cloudrun" => {
            step(w, Activity::Deploy, first("service"), None)
        }
        "aws-actions/amazon-ecs-deploy-task-definition" => {
            step(w, Activity::Deploy, first("service"), None)
        }
        "bitovi/github-actions-deploy-eks-helm" | "deliverybot/helm" => step(
            w,
            Activity::Deploy,
            first("release").or_else(|| first("name")),
            None,
        ),
        "omegion/argocd-actions" if input("action").is_none_or(|a| a == "sync") => {
            step(w, Activity::Deploy, first("appName"), None)
        }
        "aquasecurity/trivy-action" => {
            let kind = input("scan-type").unwrap_or("image").to_ascii_lowercase();
            if kind == "image" {
                // The action's `exit-code` input defaults to 0: without another value a
                // finding never fails the step.
                let exit_code = input("exit-code").map(|v| v.trim_matches(['\'', '"']));
                let soft = match exit_code {
                    Some(c) if c != "0" => None,
                    Some(_) => Some(format!("`exit-code: 0` ({path}:{line})")),
                    None => Some(format!(
                        "no `exit-code` input, whose default is 0 ({path}:{line})"
                    )),
                };
                let outer = match soft {
                    Some(why) => {
                        let outer = w.set_soft_fail(None);
                        let why = outer.clone().map_or(why.clone(), |o| format!("{o}; {why}"));
                        w.set_soft_fail(Some(why));
                        Some(outer)
                    }
                    None => None,
                };
                step(
                    w,
                    Activity::ImageScan,
                    first("image-ref").or_else(|| first("input")),
                    None,
                );
                if let Some(outer) = outer {
                    w.set_soft_fail(outer);
                }
            } else {
                step(
                    w,
                    Activity::OtherScan,
                    first("scan-ref"),
                    Some(&format!(
                        "scan-type `{kind}` scans files or configuration, not an image"
                    )),
                );
            }
        }
        "anchore/scan-action" => {
            if input("image").is_some() {
                step(w, Activity::ImageScan, first("image"), None);
            } else {
                step(
                    w,
                    Activity::OtherScan,
                    first("path").or_else(|| first("sbom")),
                    Some("scans a directory or SBOM, not an image"),
                );
            }
        }
        "docker/scout-action" => {
            let cmd = input("command").unwrap_or("").to_ascii_lowercase();
            if ["cves", "quickview", "compare", "recommendations"]
                .iter()
                .any(|c| cmd.contains(c))
            {
                step(w, Activity::ImageScan, first("image"), None);
            }
        }
        "snyk/actions/docker" => step(w, Activity::ImageScan, first("image"), None),
        "azure/container-scan" => step(w, Activity::ImageScan, first("image-name"), None),
        "crazy-max/ghaction-container-scan"
        | "neuvector/scan-action"
        | "lacework/lw-scanner-action" => step(
            w,
            Activity::ImageScan,
            first("image").or_else(|| first("image_name")),
            None,
        ),
        "sysdiglabs/scan-action" => step(w, Activity::ImageScan, first("image-tag"), None),
        "paloaltonetworks/prisma-cloud-scan" => {
            step(w, Activity::ImageScan, first("image_name"), None)
        }
        "hadolint/hadolint-action" | "bridgecrewio/checkov-action" => step(
            w,
            Activity::OtherScan,
            None,
            Some("checks configuration files, not image contents"),
        ),
        n if n.starts_with("snyk/actions/") => step(
            w,
            Activity::OtherScan,
            None,
            Some("scans dependencies or configuration, not an image"),
        ),
        n if n.starts_with("github/codeql-action/") && n.ends_with("analyze") => step(
            w,
            Activity::OtherScan,
            None,
            Some("scans source code, not an image"),
        ),
        // Actions that create a throw-away cluster on the runner for the job's tests.
        "helm/kind-action" | "engineerd/setup-kind" | "container-tools/kind-action" => {
            w.test_cluster(path, line, "kind", &name)
        }
        "absaoss/k3d-action" | "nolar/setup-k3d-k3s" | "rinx/setup-k3d" => {
            w.test_cluster(path, line, "k3d", &name)
        }
        "medyagh/setup-minikube" | "manusa/actions-setup-minikube" => {
            w.test_cluster(path, line, "minikube", &name)
        }
        "dawidd6/action-ansible-playbook" => {
            let target = first("playbook");
            step(
                w,
                Activity::Mutation,
                target,
                Some("configures running hosts"),
            );
        }
        "appleboy/ssh-action" => {
            let host = input("host").unwrap_or("a remote host").to_string();
            if let Some(script) = with
                .and_then(|n| n.get("script"))
                .and_then(|n| n.script(lines))
            {
                w.script(path, &script, "", Some(&host));
            }
        }
        "actions-hub/kubectl" | "steebchen/kubectl" => {
            if let Some(args_node) = with.and_then(|n| n.get("args").or_else(|| n.get("command")))
                && let Some(script) = args_node.script(lines)
            {
                let text = format!("kubectl {}", script.text().trim());
                let script = crate::base::lines::Script::from_text(args_node.line(), &text);
                w.script(path, &script, "", None);
            }
        }
        _ => {}
    }
}

/// Follows a local composite action into its `action.yml`.
fn composite(w: &mut Walker<'_>, from: &str, line: u32, dir: &str) {
    let dir = dir.trim_end_matches('/');
    let Some(file) = ["action.yml", "action.yaml"]
        .iter()
        .map(|n| format!("{dir}/{n}"))
        .find(|p| w.repo.file(p).is_some())
    else {
        w.note(format!(
            "{from}:{line} uses the local action ./{dir}, which has no action.yml in the repository"
        ));
        return;
    };
    let Some(text) = w.open(&file) else {
        return;
    };
    let Some((docs, lines)) = yaml_documents(w, &file, &text) else {
        return;
    };
    for doc in &docs {
        if let Some(steps) = doc
            .get("runs")
            .and_then(|r| r.get("steps"))
            .and_then(Node::as_seq)
        {
            read_steps(w, &file, &lines, steps, "");
        }
    }
}
