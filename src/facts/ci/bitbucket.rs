//! Bitbucket Pipelines: `script` and `after-script` lists of every step (default, branches,
//! pull requests, tags, custom, parallel and stage groups, anchored definitions), and pipes:
//! `*-kubectl-run` and `azure-aks-deploy` (read as the kubectl command they run), `ssh-run`
//! (commands on a host), image push pipes, Helm and service deploy pipes, Trivy and Snyk.

use super::walk::Walker;
use super::{Activity, yaml_documents};
use crate::base::lines::Script;
use crate::base::yaml::tree::Node;
use crate::base::yaml::tree::for_each_map;

pub fn read(w: &mut Walker<'_>, path: &str, text: &str) {
    let Some((docs, lines)) = yaml_documents(w, path, text) else {
        return;
    };
    for doc in &docs {
        for_each_map(doc, &mut |node| {
            for key in ["script", "after-script"] {
                for item in node.get(key).map(Node::items).unwrap_or_default() {
                    if let Some(pipe) = item.get("pipe") {
                        self::pipe(w, path, &lines, item, pipe);
                    } else if let Some(script) = item.script(&lines) {
                        w.script(path, &script, "", None);
                    }
                }
            }
            true
        });
    }
}

fn pipe(w: &mut Walker<'_>, path: &str, lines: &[&str], item: &Node, pipe: &Node) {
    let Some(name) = pipe.as_str() else { return };
    let line = pipe.line();
    let short = name.split(':').next().unwrap_or(name).to_ascii_lowercase();
    let vars = item.get("variables");
    let var = |k: &str| vars.and_then(|v| v.str_at(k)).map(str::trim);
    let var_node = |k: &str| vars.and_then(|v| v.get(k));
    let command = format!("pipe: {name}");
    if short.contains("kubectl-run") || short.contains("aks-deploy") {
        let cmd = var("KUBECTL_COMMAND").unwrap_or("apply");
        let mut text = format!("kubectl {cmd}");
        if let Some(args) = var_node("KUBECTL_ARGS").or_else(|| var_node("KUBECTL_ARGUMENTS")) {
            for a in args.items() {
                if let Some(a) = a.as_str() {
                    text.push(' ');
                    text.push_str(a);
                }
            }
        }
        if let Some(resource) = var("RESOURCE_PATH") {
            text.push_str(" -f ");
            text.push_str(resource);
        }
        w.script(path, &Script::from_text(line, &text), "", None);
    } else if short.contains("ssh-run") {
        let host = var("SERVER").unwrap_or("a remote host").to_string();
        let is_script = var("MODE").is_some_and(|m| m.eq_ignore_ascii_case("script"));
        if let Some(node) = var_node("COMMAND") {
            if is_script {
                if let Some(file) = node.as_str() {
                    w.follow(path, line, file, "", Some(&host));
                }
            } else if let Some(script) = node.script(lines) {
                w.script(path, &script, "", Some(&host));
            }
        }
    } else if short.contains("push-image") {
        w.step(
            path,
            line,
            Activity::Push,
            &short,
            &command,
            var("IMAGE_NAME"),
            None,
        );
    } else if short.contains("helm") || short.ends_with("-deploy") {
        w.step(path, line, Activity::Deploy, &short, &command, None, None);
    } else if short.contains("trivy") {
        match var("imageRef").or_else(|| var("IMAGE_REF")) {
            Some(image) => w.step(
                path,
                line,
                Activity::ImageScan,
                &short,
                &command,
                Some(image),
                None,
            ),
            None => w.step(
                path,
                line,
                Activity::OtherScan,
                &short,
                &command,
                None,
                Some("scans the repository files, not an image"),
            ),
        }
    } else if short.contains("snyk-scan") {
        if var("LANGUAGE").is_some_and(|l| l.eq_ignore_ascii_case("docker")) {
            w.step(
                path,
                line,
                Activity::ImageScan,
                &short,
                &command,
                var("IMAGE_NAME"),
                None,
            );
        } else {
            w.step(
                path,
                line,
                Activity::OtherScan,
                &short,
                &command,
                None,
                Some("scans dependencies, not an image"),
            );
        }
    }
}
