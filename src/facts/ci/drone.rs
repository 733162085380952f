//! Drone (`.drone.yml`): the `commands` of every step in every pipeline document, and the
//! plugins that build and push (`plugins/docker`, kaniko, ECR, GCR, ACR, buildx), deploy
//! (Helm and Kubernetes plugins), run commands on hosts (`appleboy/drone-ssh`) or run Ansible.

use super::walk::Walker;
use super::{Activity, yaml_documents};
use crate::base::yaml::tree::Node;

pub fn read(w: &mut Walker<'_>, path: &str, text: &str) {
    let Some((docs, lines)) = yaml_documents(w, path, text) else {
        return;
    };
    for doc in &docs {
        if doc.str_at("kind").is_some_and(|k| k != "pipeline") {
            continue;
        }
        for key in ["steps", "services"] {
            let Some(steps) = doc.get(key).and_then(Node::as_seq) else {
                continue;
            };
            for step in steps {
                read_step(w, path, &lines, step);
            }
        }
    }
}

fn read_step(w: &mut Walker<'_>, path: &str, lines: &[&str], step: &Node) {
    if let Some(commands) = step.get("commands") {
        for item in commands.items() {
            if let Some(script) = item.script(lines) {
                w.script(path, &script, "", None);
            }
        }
    }
    let Some(image_node) = step.get("image") else {
        return;
    };
    let Some(image) = image_node.as_str() else {
        return;
    };
    let line = image_node.line();
    let settings = step.get("settings");
    let setting = |k: &str| settings.and_then(|s| s.str_at(k)).map(str::trim);
    let name = image
        .split(':')
        .next()
        .unwrap_or(image)
        .to_ascii_lowercase();
    let plugin = name.trim_start_matches("docker.io/");
    let command = format!("image: {image}");
    match plugin {
        "plugins/docker"
        | "plugins/kaniko"
        | "plugins/kaniko-ecr"
        | "plugins/kaniko-gcr"
        | "plugins/ecr"
        | "plugins/gcr"
        | "plugins/acr"
        | "plugins/buildx"
        | "banzaicloud/drone-kaniko"
        | "thegeeklab/drone-docker-buildx" => {
            let repo = setting("repo");
            w.step(path, line, Activity::Build, plugin, &command, repo, None);
            let dry_run = settings
                .and_then(|s| s.get("dry_run"))
                .is_some_and(Node::is_true);
            if !dry_run {
                w.step(path, line, Activity::Push, plugin, &command, repo, None);
            }
        }
        "appleboy/drone-ssh" => {
            let host = settings
                .and_then(|s| s.get("host"))
                .and_then(|h| {
                    h.items()
                        .first()
                        .and_then(|n| n.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "a remote host".into());
            if let Some(script) = settings.and_then(|s| s.get("script")) {
                for item in script.items() {
                    if let Some(s) = item.script(lines) {
                        w.script(path, &s, "", Some(&host));
                    }
                }
            }
        }
        "pelotech/drone-helm3" | "ipedrazas/drone-helm" | "quay.io/ipedrazas/drone-helm" => {
            let mode = setting("mode").unwrap_or("upgrade");
            if mode == "upgrade" || mode == "install" {
                w.step(
                    path,
                    line,
                    Activity::Deploy,
                    plugin,
                    &command,
                    setting("release"),
                    None,
                );
            }
        }
        "honestbee/drone-kubernetes" | "mactynow/drone-kubernetes" | "vallard/drone-kube" => {
            w.step(
                path,
                line,
                Activity::Deploy,
                plugin,
                &command,
                setting("deployment"),
                None,
            );
        }
        "plugins/ansible" => {
            w.step(
                path,
                line,
                Activity::Mutation,
                plugin,
                &command,
                setting("playbook"),
                Some("configures running hosts"),
            );
        }
        _ => {}
    }
}
