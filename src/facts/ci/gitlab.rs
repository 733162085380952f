//! GitLab CI: job scripts, local includes resolved in the same repository, and the GitLab
//! templates and components that build, scan or deploy.
//!
//! Every job (a top-level mapping that is not a keyword) contributes its `before_script`,
//! `script` and `after_script` (strings, lists, nested lists, `!reference` tags resolved
//! against the file); `default:` and top-level `before_script`/`after_script` too. Hidden
//! jobs (`.template`) are read as well: they are part of the pipeline's text and jobs
//! `extends:` them. `include:` with `local:` (or a bare path, globs allowed) is read from the
//! repository, as is a child pipeline's `trigger: include:`; `template:` and `component:`
//! includes of GitLab's container-scanning, build and deploy jobs are steps; `remote:` and
//! `project:` includes are noted as not analysed.

use super::walk::Walker;
use super::{Activity, yaml_documents};
use crate::base::yaml::tree::Node;

const KEYWORDS: [&str; 11] = [
    "stages",
    "variables",
    "include",
    "default",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
];

pub fn read(w: &mut Walker<'_>, path: &str, text: &str) {
    let mut jobs = Jobs::default();
    read_file(w, path, text, &mut jobs);
    jobs.order(w);
}

/// The visible jobs of a pipeline and its includes, to order them once all are read:
/// (job, stage, `needs:`), and the `stages:` list when one is given.
#[derive(Default)]
struct Jobs {
    jobs: Vec<(String, String, Option<Vec<String>>)>,
    stages: Option<Vec<String>>,
}

impl Jobs {
    /// Records for each job the jobs it waits for: its `needs:` (which replaces the stage
    /// order), else every job of an earlier stage.
    fn order(&self, w: &mut Walker<'_>) {
        let default = ["build", "test", "deploy"].map(str::to_string).to_vec();
        let stages = self.stages.as_ref().unwrap_or(&default);
        let rank = |stage: &str| match stage {
            ".pre" => Some(0),
            ".post" => Some(usize::MAX),
            s => stages.iter().position(|x| x == s).map(|i| i + 1),
        };
        for (job, stage, needs) in &self.jobs {
            let waits: Vec<String> = match needs {
                Some(n) => n.clone(),
                None => self
                    .jobs
                    .iter()
                    .filter(|(_, s, _)| match (rank(s), rank(stage)) {
                        (Some(a), Some(b)) => a < b,
                        _ => false,
                    })
                    .map(|(j, _, _)| j.clone())
                    .collect(),
            };
            w.needs(job, waits);
        }
    }
}

fn read_file(w: &mut Walker<'_>, path: &str, text: &str, jobs: &mut Jobs) {
    let Some((docs, lines)) = yaml_documents(w, path, text) else {
        return;
    };
    // A file with `spec:` has its inputs in a first document, the config in the last.
    let Some(doc) = docs.last() else { return };
    let Some(map) = doc.as_map() else { return };
    if let Some(include) = doc.get("include") {
        includes(w, path, include, jobs);
    }
    for (key, value) in map.iter() {
        match key {
            "before_script" | "after_script" => scripts(w, path, &lines, doc, value),
            "default" => {
                for k in ["before_script", "after_script"] {
                    if let Some(v) = value.get(k) {
                        scripts(w, path, &lines, doc, v);
                    }
                }
            }
            k if KEYWORDS.contains(&k) => {}
            _ => {
                let Some(job) = value.as_map() else { continue };
                let hidden = key.starts_with('.');
                if !hidden {
                    w.set_job(Some(key));
                    let stage = value.str_at("stage").unwrap_or("test").to_string();
                    jobs.jobs
                        .push((key.to_string(), stage, value.get("needs").map(needs)));
                }
                let allow = value.get("allow_failure").filter(|v| {
                    v.as_str()
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("true"))
                });
                let outer = w.set_soft_fail(
                    allow.map(|v| format!("`allow_failure: true` ({path}:{})", v.line())),
                );
                for k in ["before_script", "script", "after_script"] {
                    if let Some(v) = job.get(k) {
                        scripts(w, path, &lines, doc, v);
                    }
                }
                w.set_soft_fail(outer);
                w.set_job(None);
                if let Some(include) = value.get("trigger").and_then(|t| t.get("include")) {
                    // A child pipeline: its jobs are ordered among themselves.
                    let mut child = Jobs::default();
                    includes(w, path, include, &mut child);
                    child.order(w);
                }
            }
        }
    }
    if let Some(list) = doc.get("stages").and_then(Node::as_seq) {
        jobs.stages = Some(
            list.iter()
                .filter_map(Node::as_str)
                .map(str::to_string)
                .collect(),
        );
    }
}

/// A job's `needs:` list: job names, or `{job: name}` mappings.
fn needs(node: &Node) -> Vec<String> {
    node.as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_str().or_else(|| n.str_at("job")))
        .map(str::to_string)
        .collect()
}

/// A `script:` value: a string, a list of strings, nested lists, `!reference` tags.
fn scripts(w: &mut Walker<'_>, path: &str, lines: &[&str], doc: &Node, node: &Node) {
    scripts_at(w, path, lines, doc, node, 0);
}

fn scripts_at(
    w: &mut Walker<'_>,
    path: &str,
    lines: &[&str],
    doc: &Node,
    node: &Node,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    if node.tag() == Some("reference") {
        if let Some(target) = resolve_reference(doc, node) {
            scripts_at(w, path, lines, doc, target, depth + 1);
        }
        return;
    }
    match node {
        Node::Seq(seq) => {
            for item in &seq.items {
                scripts_at(w, path, lines, doc, item, depth + 1);
            }
        }
        Node::Scalar(_) => {
            if let Some(script) = node.script(lines) {
                w.script(path, &script, "", None);
            }
        }
        Node::Map(_) => {}
    }
}

/// `!reference [.job, script]` -> the node at that path in the same file.
fn resolve_reference<'a>(doc: &'a Node, reference: &Node) -> Option<&'a Node> {
    let mut node = doc;
    for key in reference.as_seq()? {
        node = node.get(key.as_str()?)?;
    }
    Some(node)
}

fn includes(w: &mut Walker<'_>, path: &str, include: &Node, jobs: &mut Jobs) {
    for item in include.items() {
        let line = item.line();
        if let Some(s) = item.as_str() {
            if s.starts_with("http://") || s.starts_with("https://") {
                w.note(format!(
                    "{path}:{line} includes the remote file {s}, which was not analysed"
                ));
            } else {
                local(w, path, line, s, jobs);
            }
            continue;
        }
        if let Some(local_path) = item.str_at("local") {
            local(w, path, line, local_path, jobs);
        } else if let Some(template) = item.str_at("template") {
            gitlab_job(
                w,
                path,
                line,
                template,
                &format!("include: template: {template}"),
            );
        } else if let Some(component) = item.str_at("component") {
            gitlab_job(
                w,
                path,
                line,
                component,
                &format!("include: component: {component}"),
            );
        } else if let Some(remote) = item.str_at("remote") {
            w.note(format!(
                "{path}:{line} includes the remote file {remote}, which was not analysed"
            ));
        } else if let Some(project) = item.str_at("project") {
            w.note(format!(
                "{path}:{line} includes files of the project {project}, which was not analysed"
            ));
        }
    }
}

/// GitLab's own templates and components, by name.
fn gitlab_job(w: &mut Walker<'_>, path: &str, line: u32, name: &str, command: &str) {
    let lower = name.to_ascii_lowercase();
    let tool = name.rsplit('/').next().unwrap_or(name);
    let tool = tool.split('@').next().unwrap_or(tool);
    let mut step =
        |activity, note: Option<&str>| w.step(path, line, activity, tool, command, None, note);
    if lower.contains("container-scanning") {
        step(Activity::ImageScan, None);
    } else if lower.ends_with("auto-devops.gitlab-ci.yml") {
        let note =
            Some("Auto DevOps builds and pushes the image, scans it and deploys it with Helm");
        step(Activity::Build, note);
        step(Activity::Push, note);
        step(Activity::ImageScan, note);
        step(Activity::Deploy, note);
    } else if lower.ends_with("jobs/build.gitlab-ci.yml") {
        step(Activity::Build, None);
        step(Activity::Push, None);
    } else if lower.ends_with("jobs/deploy.gitlab-ci.yml") {
        step(Activity::Deploy, None);
    } else if lower.contains("sast")
        || lower.contains("dependency-scanning")
        || lower.contains("secret-detection")
    {
        step(
            Activity::OtherScan,
            Some("scans source code or dependencies, not an image"),
        );
    } else {
        w.note(format!(
            "{path}:{line} includes {name}, which was not analysed"
        ));
    }
}

fn local(w: &mut Walker<'_>, from: &str, line: u32, pattern: &str, jobs: &mut Jobs) {
    let files = if pattern.contains('*') {
        w.repo.glob(pattern)
    } else {
        let p = super::walk::join("", pattern);
        if w.repo.file(&p).is_some() {
            vec![p]
        } else {
            Vec::new()
        }
    };
    if files.is_empty() {
        w.note(format!(
            "{from}:{line} includes {pattern}, which is not a file of the repository"
        ));
    }
    for file in files {
        if let Some(text) = w.open(&file) {
            read_file(w, &file, &text, jobs);
        }
    }
}
