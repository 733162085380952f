//! Azure Pipelines: `script`/`bash`/`pwsh`/`powershell` steps, the tasks that build, push,
//! scan, deploy or reach hosts, and local templates.
//!
//! Steps are found wherever they sit (`steps`, `jobs`, `stages`, deployment strategies,
//! template parameters). `template:` and `extends: template:` paths are read relative to the
//! including file (a leading `/` means the repository root); `file@alias` templates live in
//! another repository and are noted. Tasks are recognised by name, any major version:
//! `Docker` (build, push, buildAndPush), `KubernetesManifest` (deploy, patch, promote),
//! `Kubernetes` (any kubectl command), `HelmDeploy` (upgrade, install), `Bash`, `CmdLine`,
//! `PowerShell`, `AzureCLI`, `ShellScript`, `SSH`, `Ansible`, Trivy and Snyk tasks, Azure
//! Container Apps and Web App for Containers.

use super::walk::{Walker, join, parent};
use super::{Activity, yaml_documents};
use crate::base::lines::Script;
use crate::base::yaml::tree::Node;
use crate::base::yaml::tree::for_each_map;

pub fn read(w: &mut Walker<'_>, path: &str, text: &str) {
    let Some((docs, lines)) = yaml_documents(w, path, text) else {
        return;
    };
    for doc in &docs {
        for_each_map(doc, &mut |node| step(w, path, &lines, node));
    }
}

/// One mapping: a task, a script step, a template reference, or something holding them.
/// Returns whether to look inside it.
fn step(w: &mut Walker<'_>, path: &str, lines: &[&str], node: &Node) -> bool {
    if let Some(task) = node.str_at("task") {
        self::task(w, path, lines, node, task);
        return false;
    }
    for key in ["script", "bash", "pwsh", "powershell"] {
        if let Some(script) = node.get(key).and_then(|v| v.script(lines)) {
            let cwd = node
                .str_at("workingDirectory")
                .map(workspace_relative)
                .unwrap_or_default();
            w.script(path, &script, &cwd, None);
            return false;
        }
    }
    if let Some(t) = node.get("template")
        && let Some(template) = t.as_str()
    {
        follow_template(w, path, t.line(), template);
    }
    true
}

fn workspace_relative(dir: &str) -> String {
    let d = dir
        .trim_start_matches("$(Build.SourcesDirectory)")
        .trim_start_matches("$(System.DefaultWorkingDirectory)");
    d.trim_matches('/').to_string()
}

fn follow_template(w: &mut Walker<'_>, from: &str, line: u32, template: &str) {
    if template.contains("${{") {
        w.note(format!(
            "{from}:{line} uses the template `{template}`, chosen by an expression; not analysed"
        ));
        return;
    }
    if let Some((_, alias)) = template.split_once('@')
        && alias != "self"
    {
        w.note(format!(
            "{from}:{line} uses the template {template} from the repository `{alias}`, which was not analysed"
        ));
        return;
    }
    let file = template.split('@').next().unwrap_or(template);
    let resolved = join(&parent(from), file);
    if w.repo.file(&resolved).is_none() {
        w.note(format!(
            "{from}:{line} uses the template {file}, which is not a file of the repository"
        ));
        return;
    }
    if let Some(text) = w.open(&resolved) {
        read(w, &resolved, &text);
    }
}

fn task(w: &mut Walker<'_>, path: &str, lines: &[&str], step: &Node, task: &str) {
    let line = step.get("task").map_or(step.line(), Node::line);
    let (name, version) = task.split_once('@').unwrap_or((task, ""));
    // `AquaSecurityOfficial.trivy-official.trivy.trivy` and the like: the last part names it.
    let short = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    let inputs = step.get("inputs");
    let input = |key: &str| {
        inputs.and_then(|i| {
            i.as_map()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .and_then(|(_, v)| v.as_str())
                .map(str::trim)
        })
    };
    let input_node = |key: &str| {
        inputs.and_then(|i| {
            i.as_map()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    };
    let command_text = format!("task: {task}");
    let tool = |detail: &str| {
        if detail.is_empty() {
            task.to_string()
        } else {
            format!("{task} {detail}")
        }
    };
    match short.as_str() {
        "docker" => {
            let default = if version == "0" || version == "1" {
                "Build an image"
            } else {
                "buildAndPush"
            };
            let command = input("command").unwrap_or(default);
            let target = input("repository")
                .or_else(|| input("imageName"))
                .map(str::to_string);
            let lc = command.to_ascii_lowercase();
            let builds = lc == "build" || lc == "buildandpush" || lc == "build an image";
            let pushes = lc == "push" || lc == "buildandpush" || lc == "push an image";
            if builds {
                w.step(
                    path,
                    line,
                    Activity::Build,
                    &tool(command),
                    &command_text,
                    target.as_deref(),
                    None,
                );
            }
            if pushes {
                w.step(
                    path,
                    line,
                    Activity::Push,
                    &tool(command),
                    &command_text,
                    target.as_deref(),
                    None,
                );
            }
        }
        "kubernetesmanifest" => {
            let action = input("action").unwrap_or("deploy").to_ascii_lowercase();
            match action.as_str() {
                "deploy" | "promote" => {
                    let target = input("manifests")
                        .and_then(|m| m.lines().next())
                        .map(str::to_string);
                    w.step(
                        path,
                        line,
                        Activity::Deploy,
                        &tool(&action),
                        &command_text,
                        target.as_deref(),
                        None,
                    );
                }
                "patch" => {
                    let kind = input("kind").unwrap_or("").to_ascii_lowercase();
                    let target = input("name").map(|n| format!("{kind}/{n}"));
                    if matches!(kind.as_str(), "pod" | "pods" | "po") {
                        w.step(
                            path,
                            line,
                            Activity::Mutation,
                            &tool("patch pod"),
                            &command_text,
                            target.as_deref(),
                            Some("changes a running pod"),
                        );
                    } else if matches!(
                        kind.as_str(),
                        "deployment" | "statefulset" | "daemonset" | "replicaset" | "cronjob"
                    ) {
                        w.step(
                            path,
                            line,
                            Activity::Deploy,
                            &tool(&format!("patch {kind}")),
                            &command_text,
                            target.as_deref(),
                            Some("changes the pod template, so the controller rolls out new pods"),
                        );
                    }
                }
                _ => {}
            }
        }
        "kubernetes" => {
            if let Some(command) = input("command") {
                let arguments = input("arguments").unwrap_or("");
                let text = format!("kubectl {command} {arguments}");
                w.script(path, &Script::from_text(line, text.trim()), "", None);
            }
        }
        "helmdeploy" => {
            let command = input("command").unwrap_or("").to_ascii_lowercase();
            if command == "upgrade" || command == "install" {
                let target = input("releaseName").or_else(|| input("chartName"));
                w.step(
                    path,
                    line,
                    Activity::Deploy,
                    &tool(&command),
                    &command_text,
                    target,
                    None,
                );
            }
        }
        "bash" | "cmdline" | "powershell" | "shellscript" | "azurecli" | "azurepowershell" => {
            let inline = ["script", "inlineScript", "Inline"]
                .iter()
                .find_map(|k| input_node(k));
            let file = input("filePath").or_else(|| input("scriptPath"));
            let inline_type = input("targetType").is_none_or(|t| t.eq_ignore_ascii_case("inline"))
                && input("scriptLocation").is_none_or(|l| l.eq_ignore_ascii_case("inlineScript"));
            let cwd = input("workingDirectory")
                .map(workspace_relative)
                .unwrap_or_default();
            if let Some(node) = inline
                && (inline_type || file.is_none())
                && let Some(script) = node.script(lines)
            {
                w.script(path, &script, &cwd, None);
            } else if let Some(file) = file {
                w.follow(path, line, &workspace_relative(file), &cwd, None);
            }
        }
        "ssh" => {
            let host = input("sshEndpoint").unwrap_or("a remote host").to_string();
            let mode = input("runOptions")
                .unwrap_or("commands")
                .to_ascii_lowercase();
            match mode.as_str() {
                "script" => {
                    if let Some(file) = input("scriptPath") {
                        w.follow(path, line, &workspace_relative(file), "", Some(&host));
                    }
                }
                "inline" => {
                    if let Some(script) = input_node("inline").and_then(|n| n.script(lines)) {
                        w.script(path, &script, "", Some(&host));
                    }
                }
                _ => {
                    if let Some(script) = input_node("commands").and_then(|n| n.script(lines)) {
                        w.script(path, &script, "", Some(&host));
                    }
                }
            }
        }
        "ansible" => {
            let playbook = input("playbookPathOnAgentMachine")
                .or_else(|| input("playbookPathLinkedArtifactOnAgentMachine"));
            w.step(
                path,
                line,
                Activity::Mutation,
                &tool(""),
                &command_text,
                playbook,
                Some("configures running hosts"),
            );
        }
        "trivy" => {
            if let Some(image) = input("image") {
                w.step(
                    path,
                    line,
                    Activity::ImageScan,
                    &tool(""),
                    &command_text,
                    Some(image),
                    None,
                );
            } else {
                w.step(
                    path,
                    line,
                    Activity::OtherScan,
                    &tool(""),
                    &command_text,
                    input("path"),
                    Some("scans files, not an image"),
                );
            }
        }
        "snyksecurityscan" => {
            if input("testType").is_some_and(|t| t.eq_ignore_ascii_case("container")) {
                w.step(
                    path,
                    line,
                    Activity::ImageScan,
                    &tool(""),
                    &command_text,
                    input("dockerImageName"),
                    None,
                );
            } else {
                w.step(
                    path,
                    line,
                    Activity::OtherScan,
                    &tool(""),
                    &command_text,
                    None,
                    Some("scans dependencies, not an image"),
                );
            }
        }
        "azurecontainerapps" => {
            if input("appSourcePath").is_some() || input("dockerfilePath").is_some() {
                w.step(
                    path,
                    line,
                    Activity::Build,
                    &tool(""),
                    &command_text,
                    input("imageToBuild"),
                    None,
                );
                w.step(
                    path,
                    line,
                    Activity::Push,
                    &tool(""),
                    &command_text,
                    input("imageToBuild"),
                    None,
                );
            }
            w.step(
                path,
                line,
                Activity::Deploy,
                &tool(""),
                &command_text,
                input("containerAppName"),
                None,
            );
        }
        "azurewebappcontainer" => {
            w.step(
                path,
                line,
                Activity::Deploy,
                &tool(""),
                &command_text,
                input("appName"),
                None,
            );
        }
        _ => {}
    }
}
