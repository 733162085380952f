//! Tekton Tasks, Pipelines and their runs (`apiVersion: tekton.dev/*`): step scripts,
//! `command` + `args` (with the entrypoint of well-known tool images when only `args` are
//! given), and Tekton catalog tasks referenced by name (`taskRef: {name: kaniko}` or through
//! a resolver's `name` parameter): buildah, kaniko, s2i, jib, ko, buildpacks build and push;
//! trivy-scanner and grype scan; helm-upgrade-* and argocd-task-sync-and-wait deploy;
//! kubernetes-actions and openshift-client run the script passed as a parameter.

use super::classify::tool_image;
use super::shell::Word;
use super::text::shell_quote;
use super::walk::Walker;
use super::{Activity, yaml_documents};
use crate::base::lines::Script;
use crate::base::yaml::tree::Node;
use crate::base::yaml::tree::for_each_map;

/// Catalog tasks that build an image and push it (the s2i-* family too).
const BUILDERS: [&str; 10] = [
    "buildah",
    "kaniko",
    "docker-build",
    "jib-maven",
    "jib-gradle",
    "ko",
    "buildpacks",
    "buildpacks-phases",
    "source-to-image",
    "build-image",
];

pub fn read(w: &mut Walker<'_>, path: &str, text: &str) {
    let Some((docs, lines)) = yaml_documents(w, path, text) else {
        return;
    };
    for doc in &docs {
        if !doc
            .str_at("apiVersion")
            .is_some_and(|v| v.starts_with("tekton.dev/"))
        {
            continue;
        }
        for_each_map(doc, &mut |node| {
            for s in node.get("steps").and_then(Node::as_seq).unwrap_or(&[]) {
                step(w, path, &lines, s);
            }
            if let Some(task_ref) = node.get("taskRef") {
                catalog_task(w, path, &lines, node, task_ref);
            }
            true
        });
    }
}

fn step(w: &mut Walker<'_>, path: &str, lines: &[&str], step: &Node) {
    let cwd = step
        .str_at("workingDir")
        .unwrap_or("")
        .trim_start_matches("$(workspaces.source.path)")
        .trim_matches('/')
        .to_string();
    if let Some(script_node) = step.get("script")
        && let Some(script) = script_node.script(lines)
    {
        let first = script
            .lines()
            .find(|(_, l)| !l.trim().is_empty())
            .map(|(_, l)| l.to_string())
            .unwrap_or_default();
        let shell = !first.starts_with("#!")
            || ["sh", "bash", "ash", "zsh"]
                .iter()
                .any(|s| first.ends_with(s) || first.contains(&format!("/{s} ")));
        if shell {
            w.script(path, &script, &cwd, None);
        }
        return;
    }
    let mut words: Vec<Word> = Vec::new();
    for key in ["command", "args"] {
        if let Some(list) = step.get(key) {
            for item in list.items() {
                if let Node::Scalar(s) = item {
                    words.push(Word::plain(&s.value, s.line));
                }
            }
        }
        if key == "command" && words.is_empty() {
            // No command: the image's entrypoint runs with the args.
            if let Some(entry) = step.str_at("image").and_then(tool_image) {
                words.push(Word::plain(
                    entry,
                    step.get("image").map_or(step.line(), Node::line),
                ));
            }
        }
    }
    if words.is_empty() {
        return;
    }
    // Run the argv as one command: quote each word so the shell parser keeps it whole.
    let line = words[0].line;
    let text: Vec<String> = words.iter().map(|w| shell_quote(&w.value)).collect();
    w.script(path, &Script::from_text(line, &text.join(" ")), &cwd, None);
}

/// A catalog task referenced by name.
fn catalog_task(w: &mut Walker<'_>, path: &str, lines: &[&str], task: &Node, task_ref: &Node) {
    let name = task_ref.str_at("name").map(str::to_string).or_else(|| {
        // Resolver form: `params: [{name: name, value: buildah}]`.
        task_ref.get("params")?.as_seq()?.iter().find_map(|p| {
            (p.str_at("name") == Some("name"))
                .then(|| p.str_at("value").map(str::to_string))
                .flatten()
        })
    });
    let Some(name) = name else { return };
    let line = task_ref.line();
    let params = task.get("params").and_then(Node::as_seq).unwrap_or(&[]);
    let param = |k: &str| {
        params
            .iter()
            .find(|p| p.str_at("name").is_some_and(|n| n.eq_ignore_ascii_case(k)))
            .and_then(|p| p.get("value"))
    };
    let param_str = |k: &str| param(k).and_then(Node::as_str).map(str::to_string);
    let image = param_str("IMAGE").or_else(|| param_str("image"));
    let command = format!("taskRef: {name}");
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        n if BUILDERS.contains(&n) || n.starts_with("s2i") => {
            for activity in [Activity::Build, Activity::Push] {
                w.step(
                    path,
                    line,
                    activity,
                    &name,
                    &command,
                    image.as_deref(),
                    None,
                );
            }
        }
        "trivy-scanner" => {
            let args: Vec<String> = param("ARGS")
                .map(|a| {
                    a.items()
                        .iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let target = param_str("IMAGE_PATH");
            if args.iter().any(|a| a == "image") {
                w.step(
                    path,
                    line,
                    Activity::ImageScan,
                    &name,
                    &command,
                    target.as_deref(),
                    None,
                );
            } else {
                w.step(
                    path,
                    line,
                    Activity::OtherScan,
                    &name,
                    &command,
                    target.as_deref(),
                    Some("scans files or configuration, not an image"),
                );
            }
        }
        "grype" => w.step(
            path,
            line,
            Activity::ImageScan,
            &name,
            &command,
            image.as_deref(),
            None,
        ),
        "skopeo-copy" => w.step(
            path,
            line,
            Activity::Push,
            &name,
            &command,
            param_str("destImageURL").as_deref(),
            None,
        ),
        "helm-upgrade-from-source" | "helm-upgrade-from-repo" | "argocd-task-sync-and-wait" => {
            w.step(path, line, Activity::Deploy, &name, &command, None, None)
        }
        "kubernetes-actions" | "openshift-client" => {
            if let Some(node) = param("script").or_else(|| param("SCRIPT"))
                && let Some(script) = node.script(lines)
            {
                w.script(path, &script, "", None);
            }
        }
        _ => {}
    }
}
