//! The walk of one pipeline: scripts to steps, calls followed into the repository.
//!
//! A pipeline reader hands the [`Walker`] each script it finds (with file lines) and each
//! step it recognises itself (a GitHub action, an Azure task). The walker splits scripts
//! into commands, classifies them, records [`Step`]s with the file and line they are written
//! on, and follows what they call inside the same repository: shell scripts
//! (`./scripts/deploy.sh`, `bash ci/build.sh`, `source env.sh`, `ssh host bash -s < x.sh`)
//! and Makefile targets with their prerequisites. Each file (or Make target) is followed once
//! per pipeline, so mutual calls do not loop, and a step reached through a call names the call
//! site in `via`.

use std::collections::{BTreeMap, BTreeSet};

use super::classify::{self, Action, Context, Hit};
use super::makefile::Makefile;
use super::shell;
use super::text::display_command;
use super::{Activity, Repo, Step};
use crate::base::lines::Script;

/// How deep calls are followed (script calling script calling Makefile...).
const MAX_DEPTH: usize = 8;

/// What the walk gathered.
#[derive(Debug, Default)]
pub struct Walked {
    pub steps: Vec<Step>,
    /// Every file read, the pipeline's own first.
    pub files: BTreeSet<String>,
    /// Things the walk could not follow, in words.
    pub notes: Vec<String>,
    /// Files that could not be read: (path, line, message).
    pub problems: Vec<(String, u32, String)>,
    /// The jobs each job waits for (GitHub `needs:`, GitLab `needs:` or earlier stages).
    pub needs: BTreeMap<String, BTreeSet<String>>,
}

pub struct Walker<'a> {
    pub repo: &'a Repo<'a>,
    out: Walked,
    visited: BTreeSet<String>,
    /// Containers the pipeline starts itself (`docker run --name db`), where they start.
    started: BTreeMap<String, String>,
    via: Vec<String>,
    /// Whether calls into other files are followed (not for files examined on their own).
    follow_calls: bool,
    /// The job the steps being read belong to.
    job: Option<String>,
    /// Why the steps being read cannot fail the pipeline (`continue-on-error: true` at
    /// path:line), when the definition says so.
    soft_fail: Option<String>,
    /// Throw-away clusters created so far, by scope (the job, else the file): product, the
    /// command or action that created it, and where.
    clusters: BTreeMap<String, (String, String, String)>,
    /// The Makefile targets being walked (innermost last), with their file.
    make_targets: Vec<(String, String)>,
    /// Which script the reader handed over last (counting from 1), and how deep the walk is
    /// inside it: outside jobs, a throw-away cluster covers only the script that creates it.
    unit: u64,
    nesting: usize,
}

impl<'a> Walker<'a> {
    pub fn new(repo: &'a Repo<'a>, root: &str) -> Self {
        let mut out = Walked::default();
        out.files.insert(root.to_string());
        let mut visited = BTreeSet::new();
        visited.insert(root.to_string());
        Walker {
            repo,
            out,
            visited,
            started: BTreeMap::new(),
            via: Vec::new(),
            follow_calls: true,
            job: None,
            soft_fail: None,
            clusters: BTreeMap::new(),
            make_targets: Vec::new(),
            unit: 0,
            nesting: 0,
        }
    }

    /// Records that the steps read from here on in this job (or, outside jobs, this script
    /// with what it calls) run against a throw-away `product` cluster created by `tool` at
    /// `path:line`.
    pub fn test_cluster(&mut self, path: &str, line: u32, product: &str, tool: &str) {
        let scope = self.scope();
        self.clusters.insert(
            scope,
            (
                product.to_string(),
                tool.to_string(),
                format!("{path}:{line}"),
            ),
        );
    }

    /// What a throw-away cluster is shared by: the job, or where the system has no jobs
    /// (or the reader does not tell them), the script the reader handed over, so that a
    /// cluster one step creates never covers a later production step.
    fn scope(&self) -> String {
        match &self.job {
            Some(job) => format!("job {job}"),
            None => format!("script {}", self.unit),
        }
    }

    /// Why a deploy goes to a test cluster, when it does: a throw-away cluster the job
    /// created before it, an e2e/test job, or an e2e/test Makefile target.
    fn test_deploy_reason(&self) -> Option<String> {
        if let Some((product, tool, at)) = self.clusters.get(&self.scope()) {
            return Some(format!(
                "deploys into the throw-away {product} cluster that `{tool}` creates ({at}), not into a cluster that runs workloads"
            ));
        }
        if let Some(job) = self.job.as_deref().filter(|j| is_test_name(j)) {
            return Some(format!(
                "deploys from the test job `{job}`, into a cluster the tests use, not one that runs workloads"
            ));
        }
        self.make_targets
            .iter()
            .rev()
            .find(|(_, t)| is_test_name(t))
            .map(|(file, target)| {
                format!(
                    "deploys from the test target `{target}` of {file}, into a cluster the tests use, not one that runs workloads"
                )
            })
    }

    /// A walker that reads only the file given, not what it calls.
    pub fn without_following(mut self) -> Self {
        self.follow_calls = false;
        self
    }

    /// Walks every recipe of a Makefile (a Makefile examined on its own).
    pub fn all_make_targets(&mut self, path: &str, text: &str) {
        let makefile = Makefile::parse(text);
        let dir = parent(path);
        for rule in makefile.rules() {
            let script = makefile.recipe_script(rule);
            self.script(path, &script, &dir, None);
        }
    }

    /// Marks a file as read for this pipeline (an include, a template); false when it was
    /// read already.
    pub fn enter(&mut self, path: &str) -> bool {
        self.out.files.insert(path.to_string());
        self.visited.insert(path.to_string())
    }

    /// The text of a repository file this pipeline reads (an include, a template, a loaded
    /// script), once: None when it was read already or is not in the repository.
    pub fn open(&mut self, path: &str) -> Option<std::sync::Arc<str>> {
        let text = self.repo.file(path)?.text.clone();
        self.enter(path).then_some(text)
    }

    /// Ends the walk, keeping only the in-place changes (for files examined on their own).
    pub fn mutations(self) -> Vec<Step> {
        self.finish()
            .steps
            .into_iter()
            .filter(|s| s.activity == Activity::Mutation)
            .collect()
    }

    /// The job the steps being read belong to.
    pub fn job(&self) -> Option<&str> {
        self.job.as_deref()
    }

    /// The job the next steps belong to.
    pub fn set_job(&mut self, job: Option<&str>) {
        self.job = job.map(str::to_string);
    }

    /// Why the next steps cannot fail the pipeline; returns the previous reason.
    pub fn set_soft_fail(&mut self, why: Option<String>) -> Option<String> {
        std::mem::replace(&mut self.soft_fail, why)
    }

    /// Records the jobs `job` waits for.
    pub fn needs(&mut self, job: &str, needs: impl IntoIterator<Item = String>) {
        self.out
            .needs
            .entry(job.to_string())
            .or_default()
            .extend(needs);
    }

    pub fn note(&mut self, note: String) {
        if !self.out.notes.contains(&note) {
            self.out.notes.push(note);
        }
    }

    pub fn problem(&mut self, path: &str, line: u32, message: String) {
        self.out.problems.push((path.to_string(), line, message));
    }

    /// Records a step the reader recognised itself.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        path: &str,
        line: u32,
        activity: Activity,
        tool: &str,
        command: &str,
        target: Option<&str>,
        note: Option<&str>,
    ) {
        self.push(
            path,
            line,
            command.to_string(),
            Hit {
                activity,
                tool: tool.to_string(),
                target: target.map(str::to_string),
                note: note.map(str::to_string),
            },
        );
    }

    fn push(&mut self, path: &str, line: u32, command: String, mut hit: Hit) {
        // A build in a code-generation Makefile target (`make generate`) makes files.
        if hit.activity == Activity::Build
            && let Some((file, target)) = self.make_targets.last()
            && classify::is_codegen(target)
        {
            let note = format!(
                "{path}:{line} `{}` runs in the code-generation target `{target}` of {file}: it generates files, not an image, and is not counted as an image build",
                hit.tool
            );
            self.note(note);
            return;
        }
        if hit.activity == Activity::Deploy
            && let Some(why) = self.test_deploy_reason()
        {
            hit.activity = Activity::TestDeploy;
            hit.note = Some(why);
        }
        let evidence = self
            .repo
            .file(path)
            .map(|f| f.evidence.clone())
            .unwrap_or_default();
        self.out.steps.push(Step {
            activity: hit.activity,
            tool: hit.tool,
            path: path.to_string(),
            line,
            command,
            target: hit.target,
            via: self.via.last().cloned(),
            note: hit.note,
            job: self.job.clone(),
            soft_fail: self.soft_fail.clone(),
            evidence,
        });
    }

    /// Walks a shell script written in `path`, run in `cwd` (repository-relative, "" for
    /// the root), on the runner or on a remote host.
    pub fn script(&mut self, path: &str, script: &Script, cwd: &str, remote: Option<&str>) {
        if self.nesting == 0 {
            self.unit += 1;
        }
        self.nesting += 1;
        self.walk_script(path, script, cwd, remote);
        self.nesting -= 1;
    }

    fn walk_script(&mut self, path: &str, script: &Script, cwd: &str, remote: Option<&str>) {
        let mut cwd = cwd.to_string();
        for command in shell::parse(script) {
            let words: Vec<&str> = command.argv();
            if words.first() == Some(&"cd") && remote.is_none() {
                if let Some(dir) = words.get(1).and_then(|d| change_dir(&cwd, path, d)) {
                    cwd = dir;
                }
                continue;
            }
            let cwd = cwd.as_str();
            let actions = classify::classify(
                &command.words,
                &command.heredocs,
                command.stdin.as_deref(),
                Context { remote },
            );
            for action in actions {
                match action {
                    Action::Hit(hit) => {
                        let mut hit = hit;
                        if hit.note.is_none()
                            && let Some(host) = remote
                            && hit.activity == Activity::Mutation
                            && !hit.tool.starts_with("ssh")
                        {
                            hit.note = Some(format!("changes a workload on the host {host}"));
                        }
                        self.push(path, command.line, display_command(&words), hit)
                    }
                    Action::Nested {
                        script: nested,
                        remote: r,
                    } => {
                        // Scripts built from words (`ssh host cmd`) carry line 0: use the
                        // command's line.
                        let nested = if nested.first_line() == 0 {
                            Script::from_text(command.line, nested.text().trim_end_matches('\n'))
                        } else {
                            nested
                        };
                        self.script(path, &nested, cwd, r.as_deref().or(remote));
                    }
                    Action::Follow {
                        path: target,
                        remote: r,
                    } => self.follow(path, command.line, &target, cwd, r.as_deref().or(remote)),
                    Action::Make { dir, file, targets } => self.make(
                        path,
                        command.line,
                        cwd,
                        dir.as_deref(),
                        file.as_deref(),
                        &targets,
                    ),
                    Action::TestCluster { product, tool } => {
                        self.test_cluster(path, command.line, &product, &tool);
                    }
                    Action::Note(note) => {
                        self.note(format!("{path}:{} {note}", command.line));
                    }
                    Action::Started(name) => {
                        self.started
                            .entry(name)
                            .or_insert_with(|| format!("{path}:{}", command.line));
                    }
                }
            }
        }
    }

    /// Follows a script the pipeline calls, when it is a file of this repository.
    pub fn follow(&mut self, from: &str, line: u32, target: &str, cwd: &str, remote: Option<&str>) {
        if !self.follow_calls {
            return;
        }
        let Some(resolved) = self.repo.resolve(target, cwd, from) else {
            if is_repo_relative(target) {
                self.note(format!(
                    "{from}:{line} calls `{target}`, which is not a file of the repository"
                ));
            }
            return;
        };
        if self.via.len() >= MAX_DEPTH || !self.enter(&resolved) {
            return;
        }
        let Some(file) = self.repo.file(&resolved) else {
            return;
        };
        let text = file.text.clone();
        self.via.push(format!("{from}:{line}"));
        if crate::evidence::file_kinds::is_makefile(&resolved) {
            self.make_file(&resolved, &text, &[]);
        } else {
            let script = Script::from_text(1, &text);
            self.script(&resolved, &script, cwd, remote);
        }
        self.via.pop();
    }

    fn make(
        &mut self,
        from: &str,
        line: u32,
        cwd: &str,
        dir: Option<&str>,
        file: Option<&str>,
        targets: &[String],
    ) {
        if !self.follow_calls {
            return;
        }
        let dir = join(cwd, dir.unwrap_or(""));
        let candidates: Vec<String> = match file {
            Some(f) => vec![join(&dir, f)],
            None => ["GNUmakefile", "makefile", "Makefile"]
                .iter()
                .map(|n| join(&dir, n))
                .collect(),
        };
        let Some(path) = candidates.into_iter().find(|p| self.repo.file(p).is_some()) else {
            self.note(format!(
                "{from}:{line} runs make, but the repository has no Makefile in `{}`",
                if dir.is_empty() { "." } else { &dir }
            ));
            return;
        };
        if self.via.len() >= MAX_DEPTH {
            return;
        }
        self.out.files.insert(path.clone());
        let text = self
            .repo
            .file(&path)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        self.via.push(format!("{from}:{line}"));
        self.make_file(&path, &text, targets);
        self.via.pop();
    }

    /// Walks Makefile targets (the default goal when none is named) with their
    /// prerequisites first, as make runs them; each target once per pipeline.
    fn make_file(&mut self, path: &str, text: &str, targets: &[String]) {
        let makefile = Makefile::parse(text);
        let dir = parent(path);
        let targets: Vec<String> = if targets.is_empty() {
            makefile.default_goal().into_iter().collect()
        } else {
            targets.to_vec()
        };
        for target in targets {
            self.make_target(path, &dir, &makefile, &target, 0);
        }
    }

    fn make_target(
        &mut self,
        path: &str,
        dir: &str,
        makefile: &Makefile,
        target: &str,
        depth: usize,
    ) {
        if depth > 64 || !self.visited.insert(format!("{path}#{target}")) {
            return;
        }
        let Some(rule) = makefile.rule(target) else {
            return;
        };
        for prereq in &rule.prereqs {
            self.make_target(path, dir, makefile, prereq, depth + 1);
        }
        let script = makefile.recipe_script(rule);
        self.make_targets
            .push((path.to_string(), target.to_string()));
        self.script(path, &script, dir, None);
        self.make_targets.pop();
    }

    /// Ends the walk: a `docker exec` into a container the pipeline started itself (a test
    /// database) changes no running workload, so it is dropped with a note.
    pub fn finish(mut self) -> Walked {
        let started = std::mem::take(&mut self.started);
        let mut notes = Vec::new();
        self.out.steps.retain(|s| {
            let own = s.activity == Activity::Mutation
                && (s.tool.ends_with(" exec") || s.tool.ends_with(" cp"))
                && !s.tool.starts_with("kubectl")
                && s.note.as_deref().is_none_or(|n| !n.contains(" on "))
                && s.target.as_ref().is_some_and(|t| started.contains_key(t));
            if own {
                let t = s.target.as_deref().unwrap_or_default();
                notes.push(format!(
                    "{}:{} `{}` runs in the container `{t}` this pipeline started at {} (a test container, not a workload)",
                    s.path, s.line, s.tool, started[t]
                ));
            }
            !own
        });
        for n in notes {
            self.note(n);
        }
        let mut seen = BTreeSet::new();
        self.out.steps.retain(|s| {
            seen.insert((
                s.path.clone(),
                s.line,
                s.activity,
                s.tool.clone(),
                s.target.clone(),
            ))
        });
        self.out
    }
}

/// A job or Makefile target named for tests: a word of its name (split at anything not a
/// letter or digit) is `e2e`, `smoke`, `conformance`, `kuttl` or `chainsaw`, or is `test`,
/// `tests`, `testing`, `integration` or `acceptance` with no word that names a deployment
/// (`deploy-test` deploys to a test environment, which is a deployment).
pub fn is_test_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let strong = ["e2e", "smoke", "conformance", "kuttl", "chainsaw"];
    let weak = ["test", "tests", "testing", "integration", "acceptance"];
    let deploying = [
        "deploy",
        "deployment",
        "release",
        "rollout",
        "promote",
        "publish",
        "prod",
        "production",
        "staging",
    ];
    words.iter().any(|w| strong.contains(w))
        || (words.iter().any(|w| weak.contains(w)) && !words.iter().any(|w| deploying.contains(w)))
}

/// Where `cd DIR` leads, when it can be told: a literal path, or the script's own
/// directory (`$(dirname "$0")`, `${BASH_SOURCE%/*}`, `$SCRIPT_DIR`) and a path after it.
fn change_dir(cwd: &str, script: &str, dir: &str) -> Option<String> {
    if !dir.contains('$') && !dir.contains('`') && dir != "-" && !dir.starts_with('~') {
        return Some(join(cwd, dir));
    }
    let own = [
        "$(dirname \"$0\")",
        "$(dirname $0)",
        "$(dirname \"${BASH_SOURCE[0]}\")",
        "$(dirname \"$BASH_SOURCE\")",
        "${BASH_SOURCE%/*}",
        "$SCRIPT_DIR",
        "${SCRIPT_DIR}",
    ];
    own.iter()
        .find_map(|p| dir.strip_prefix(p))
        .map(|rest| join(&parent(script), rest.trim_start_matches('/')))
}

/// `./x.sh`, `scripts/x.sh`: a path that must be in the repository (not `/usr/bin/x`).
fn is_repo_relative(target: &str) -> bool {
    !target.starts_with('/')
        && !target.starts_with('$')
        && !target.starts_with('~')
        && target.contains('/')
}

pub fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => path[..i].to_string(),
        None => String::new(),
    }
}

/// Joins repository-relative paths, resolving `.` and `..`; a leading `/` means the root.
pub fn join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let start = if rel.starts_with('/') { "" } else { base };
    for p in start.split('/').chain(rel.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cd_follows_literal_paths_and_the_script_directory() {
        assert_eq!(
            change_dir("", "scripts/deploy.sh", "app").as_deref(),
            Some("app")
        );
        assert_eq!(
            change_dir("", "scripts/deploy.sh", "$(dirname \"$0\")/..").as_deref(),
            Some("")
        );
        assert_eq!(change_dir("a", "s.sh", "$HOME"), None);
    }

    #[test]
    fn paths_join_and_normalize() {
        assert_eq!(join("ci", "./build.sh"), "ci/build.sh");
        assert_eq!(join("ci/sub", "../x.sh"), "ci/x.sh");
        assert_eq!(join("ci", "/scripts/x.sh"), "scripts/x.sh");
        assert_eq!(join("", "Makefile"), "Makefile");
        assert_eq!(parent("a/b/c.yml"), "a/b");
        assert_eq!(parent("c.yml"), "");
    }
}
