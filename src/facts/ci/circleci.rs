//! CircleCI: `run` steps (a string, or a map with `command`) in jobs and reusable commands,
//! and the orb jobs and commands that build, push, scan or deploy (`aws-ecr/build-and-push-image`,
//! `docker/publish`, `kubernetes/update-container-image`, `helm/upgrade-helm-chart`,
//! `snyk/scan` with an image...), wherever they are used: as steps or as workflow jobs.

use super::walk::Walker;
use super::{Activity, yaml_documents};
use crate::base::yaml::tree::Node;
use crate::base::yaml::tree::for_each_map;

pub fn read(w: &mut Walker<'_>, path: &str, text: &str) {
    let Some((docs, lines)) = yaml_documents(w, path, text) else {
        return;
    };
    for doc in &docs {
        for_each_map(doc, &mut |node| {
            entries(w, path, &lines, node);
            true
        });
    }
}

/// The `run` steps and orb jobs and commands of one mapping.
fn entries(w: &mut Walker<'_>, path: &str, lines: &[&str], node: &Node) {
    let Some(map) = node.as_map() else { return };
    for (key, value) in &map.entries {
        let Some(name) = key.as_str() else { continue };
        if name == "run" {
            let command = match value {
                Node::Map(_) => value.get("command"),
                _ => Some(value),
            };
            if let Some(script) = command.and_then(|c| c.script(lines)) {
                let cwd = value
                    .str_at("working_directory")
                    .unwrap_or("")
                    .trim_start_matches("~/project")
                    .trim_matches('/')
                    .to_string();
                w.script(path, &script, &cwd, None);
            }
        } else if matches!(name, "steps" | "jobs") {
            // A step or workflow job named by its orb, without parameters.
            for item in value.as_seq().unwrap_or(&[]) {
                if let Node::Scalar(s) = item
                    && is_orb_name(&s.value)
                {
                    orb(w, path, s.line, &s.value, None);
                }
            }
        } else if is_orb_name(name) {
            orb(w, path, key.line(), name, Some(value));
        }
    }
}

fn is_orb_name(s: &str) -> bool {
    s.contains('/') && !s.contains(' ')
}

/// An orb job or command, by `orb/name`.
fn orb(w: &mut Walker<'_>, path: &str, line: u32, name: &str, params: Option<&Node>) {
    let (ns, cmd) = name.split_once('/').unwrap_or(("", name));
    let cmd = cmd.replace('_', "-").to_ascii_lowercase();
    let param = |k: &str| params.and_then(|p| p.str_at(k)).map(str::to_string);
    let repo = param("repo")
        .or_else(|| param("image"))
        .or_else(|| param("docker-image-name"));
    let command = name.to_string();
    let mut step = |activity, note: Option<&str>| {
        w.step(path, line, activity, name, &command, repo.as_deref(), note);
    };
    match cmd.as_str() {
        "build-and-push-image" | "publish" => {
            step(Activity::Build, None);
            step(Activity::Push, None);
        }
        "build-image" | "build" if matches!(ns, "docker" | "aws-ecr" | "gcp-gcr" | "azure-acr") => {
            step(Activity::Build, None)
        }
        "push-image" | "push" if matches!(ns, "docker" | "aws-ecr" | "gcp-gcr" | "azure-acr") => {
            step(Activity::Push, None)
        }
        "update-container-image"
        | "create-or-update-resource"
        | "upgrade-helm-chart"
        | "install-helm-chart"
        | "deploy-service-update"
        | "update-service"
        | "rollout-image" => step(Activity::Deploy, None),
        "scan" if ns == "snyk" => {
            if param("docker-image-name").is_some() {
                step(Activity::ImageScan, None);
            } else {
                step(
                    Activity::OtherScan,
                    Some("scans dependencies, not an image"),
                );
            }
        }
        "analyze-local-image" | "image-scan" | "scan-image" => step(Activity::ImageScan, None),
        _ => {}
    }
}
