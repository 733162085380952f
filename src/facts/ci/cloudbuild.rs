//! Google Cloud Build (`cloudbuild.yaml`, `.yml` or `.json`, and `cloudbuild-*` /
//! `cloudbuild_*` variants): every build step, and the images the build pushes.
//!
//! A step runs its builder image (`name`) with `args`: the `gcr.io/cloud-builders/*` images
//! and well-known tool images run their tool (`docker`, `gcloud`, `kubectl`, `gke-deploy`,
//! kaniko's executor, trivy...), so the args are read as that tool's command line; an
//! `entrypoint` replaces the tool (`bash -c '...'` is read as a script), and a `script` is
//! read as a script. Images listed under `images:` are pushed by Cloud Build after the
//! steps. A trigger's inline build (`build: {steps: ...}`) is read the same way. The
//! commands then go through the same classification as every other pipeline's.

use super::classify::tool_image;
use super::text::shell_quote;
use super::walk::Walker;
use super::{Activity, yaml_documents};
use crate::base::lines::Script;
use crate::base::yaml::tree::Node;
use crate::evidence::image;

pub fn read(w: &mut Walker<'_>, path: &str, text: &str) {
    let Some((docs, lines)) = yaml_documents(w, path, text) else {
        return;
    };
    for doc in &docs {
        if doc.as_map().is_none() {
            w.problem(
                path,
                doc.line(),
                format!(
                    "the top level is {}, not a mapping with `steps`; Cloud Build would reject this config",
                    shape(doc)
                ),
            );
            continue;
        }
        // A trigger's config holds the build under `build:`.
        let build = doc
            .get("build")
            .filter(|b| b.get("steps").is_some())
            .unwrap_or(doc);
        match build.get("steps") {
            Some(Node::Seq(_)) => {
                for step in build.get("steps").map(Node::items).unwrap_or_default() {
                    read_step(w, path, &lines, step);
                }
            }
            Some(other) => w.problem(
                path,
                other.line(),
                format!(
                    "`steps` is {}, not a list of build steps; Cloud Build would reject this config",
                    shape(other)
                ),
            ),
            None => w.note(format!(
                "{path}:{} has no `steps`: nothing to read",
                doc.line()
            )),
        }
        if let Some(images) = build.get("images") {
            for item in images.items() {
                if let Some(image) = item.as_str().map(str::trim).filter(|i| !i.is_empty()) {
                    w.step(
                        path,
                        item.line(),
                        Activity::Push,
                        "images (Cloud Build)",
                        &format!("images: {image}"),
                        Some(image),
                        None,
                    );
                }
            }
        }
    }
}

fn shape(node: &Node) -> &'static str {
    match node {
        Node::Scalar(_) => "a scalar",
        Node::Seq(_) => "a list",
        Node::Map(_) => "a mapping",
    }
}

fn read_step(w: &mut Walker<'_>, path: &str, lines: &[&str], step: &Node) {
    if step.as_map().is_none() {
        w.problem(
            path,
            step.line(),
            format!("a build step is {}, not a mapping with `name`", shape(step)),
        );
        return;
    }
    let dir = step
        .str_at("dir")
        .unwrap_or("")
        .trim_matches('/')
        .to_string();
    if let Some(node) = step.get("script")
        && let Some(script) = node.script(lines)
    {
        let first = script
            .lines()
            .find(|(_, l)| !l.trim().is_empty())
            .map(|(_, l)| l.to_string())
            .unwrap_or_default();
        // A `#!` line naming another interpreter (python, node) is not shell.
        if !first.starts_with("#!") || first.contains("sh") {
            w.script(path, &script, &dir, None);
        }
        return;
    }
    let name = step.str_at("name").map(str::trim).unwrap_or("");
    if name.is_empty() {
        w.problem(
            path,
            step.line(),
            "a build step has no `name` (its builder image); Cloud Build would reject it".into(),
        );
        return;
    }
    let args: Vec<&Node> = step.get("args").map(Node::items).unwrap_or_default();
    let arg = |i: usize| args.get(i).and_then(|n| n.as_str());
    let entrypoint = step.str_at("entrypoint").map(str::trim);
    // `entrypoint: bash` with `args: [-c, script]`: the script, with its own lines.
    if let Some(ep) = entrypoint
        && matches!(ep.rsplit('/').next(), Some("bash" | "sh"))
        && arg(0).is_some_and(|a| a.starts_with('-') && a.contains('c'))
    {
        if let Some(script) = args.get(1).and_then(|n| n.script(lines)) {
            w.script(path, &script, &dir, None);
        }
        return;
    }
    let program = match entrypoint {
        Some(ep) => Some(ep.to_string()),
        None => builder_tool(name)
            .filter(|tool| arg(0) != Some(tool.as_str()))
            .map(|tool| tool.to_string()),
    };
    let mut words: Vec<String> = program.into_iter().collect();
    words.extend(args.iter().filter_map(|n| n.as_str()).map(str::to_string));
    if words.is_empty() {
        return;
    }
    let line = args.first().map_or_else(
        || step.get("name").map_or(step.line(), Node::line),
        |n| n.line(),
    );
    let text: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
    w.script(path, &Script::from_text(line, &text.join(" ")), &dir, None);
}

/// The tool a builder image runs when the step gives only `args`: the `gcr.io/cloud-builders`
/// images run the tool they are named after, and the well-known tool images their tool;
/// None for a plain image (`ubuntu`), whose `args` are the whole command line.
fn builder_tool(name: &str) -> Option<String> {
    if let Some(tool) = tool_image(name) {
        return Some(tool.to_string());
    }
    let path = image::split(name).name;
    let last = path.rsplit('/').next().unwrap_or(path);
    let tool = match last {
        "gcloud" | "gcloud-slim" | "cloud-sdk" | "google-cloud-cli" => "gcloud",
        "docker" | "gke-deploy" | "skaffold" | "kustomize" | "bash" => last,
        _ if path.contains("cloud-builders/") => last,
        _ => return None,
    };
    Some(tool.to_string())
}
