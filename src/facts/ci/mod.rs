//! CI pipelines, scripts, runbooks and Dockerfiles of the analysed repositories, as facts.
//!
//! Takes the text files the Git collector put in [`Inventory::files`] (each with its
//! repository's source id) and gives, per repository: the pipelines found (GitHub Actions,
//! GitLab CI with local includes, Jenkinsfiles, Azure Pipelines, CircleCI, Bitbucket
//! Pipelines, Tekton, Drone, Google Cloud Build) with every step that builds, pushes or scans an image, deploys by
//! replacing pods, or changes running containers or hosts in place, each naming its file and
//! line; the repository's own scripts and Makefiles; Markdown runbooks with in-place
//! commands. [`gitops`] tells whether a repository is deployed by GitOps pull, and
//! [`crate::facts::dockerfile`] parses its Dockerfiles. Everything here is a pure function of
//! file contents; the checks in [`crate::checks`] judge the facts. The analysis runs once per
//! run ([`crate::facts::Facts`]).

mod azure;
mod bitbucket;
mod circleci;
pub mod classify;
mod cloudbuild;
mod drone;
mod github;
mod gitlab;
pub mod gitops;
mod jenkins;
mod makefile;
mod runbook;
pub mod shell;
mod tekton;
mod text;
mod walk;

use std::collections::{BTreeMap, BTreeSet};

use crate::base::lines::Script;
use crate::base::yaml::tree;
use crate::evidence::file_kinds::{System, is_makefile, is_runbook, is_script, pipeline_system};

use serde::Serialize;

use crate::evidence::inventory::{CollectedFile, Inventory};
use crate::evidence::record::{Source, SourceKind};

pub use walk::Walked;

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activity {
    /// Builds a container image.
    Build,
    /// Pushes an image to a registry.
    Push,
    /// Scans an image for vulnerabilities.
    ImageScan,
    /// Scans something that is not an image (files, IaC, a cluster): recorded so a finding
    /// can say why it did not count.
    OtherScan,
    /// Deploys by applying manifests or images, so the orchestrator replaces pods.
    Deploy,
    /// Deploys into a throw-away test cluster (one the job creates with kind, k3d or
    /// minikube, or a kube context of theirs) or from an e2e/test job or Makefile target:
    /// recorded so a finding can say why it did not count as a deployment.
    TestDeploy,
    /// Changes running containers or hosts in place.
    Mutation,
}

impl Activity {
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Build => "build",
            Activity::Push => "push",
            Activity::ImageScan => "image-scan",
            Activity::OtherScan => "other-scan",
            Activity::Deploy => "deploy",
            Activity::TestDeploy => "test-deploy",
            Activity::Mutation => "mutation",
        }
    }
}

/// One classified command or step, where it is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub activity: Activity,
    /// Tool and subcommand, or the action/task/orb/pipe: `docker build`,
    /// `aquasecurity/trivy-action`, `Docker@2 buildAndPush`.
    pub tool: String,
    pub path: String,
    pub line: u32,
    /// The command as written (one line, secrets redacted), or `uses: x@v`.
    pub command: String,
    /// The image, resource or host it acts on, when the command names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The call site this step was reached through (`.gitlab-ci.yml:12`), for steps in
    /// scripts, Makefiles and included files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The job it runs in (GitHub job id, GitLab job name), where the system has jobs.
    #[serde(skip)]
    pub job: Option<String>,
    /// Why its failure cannot fail the pipeline, when the definition says so
    /// (`continue-on-error: true (path:line)`, `allow_failure: true (path:line)`).
    #[serde(skip)]
    pub soft_fail: Option<String>,
    /// Evidence id of the file the step is written in.
    #[serde(skip)]
    pub evidence: String,
}

impl Step {
    /// `path:line`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.path, self.line)
    }
}

/// A file that could not be read, with the line where reading failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    pub path: String,
    pub line: u32,
    pub message: String,
}

/// One pipeline definition with everything it runs.
#[derive(Clone, Debug, Serialize)]
pub struct Pipeline {
    pub source: String,
    pub path: String,
    pub system: System,
    /// Files read for it: the definition, its includes and templates, the scripts and
    /// Makefiles it calls.
    pub files: Vec<String>,
    pub steps: Vec<Step>,
    /// What could not be followed (remote includes, missing scripts...).
    pub notes: Vec<String>,
    pub problems: Vec<FileProblem>,
    /// Evidence ids of `files`.
    #[serde(skip)]
    pub evidence: Vec<String>,
    /// The jobs each job waits for, directly (GitHub `needs:`; GitLab `needs:`, else every
    /// job of an earlier stage).
    #[serde(skip)]
    pub needs: BTreeMap<String, BTreeSet<String>>,
}

impl Pipeline {
    /// Whether job `later` waits, directly or not, for job `earlier`.
    pub fn waits_for(&self, later: &str, earlier: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo = vec![later];
        while let Some(j) = todo.pop() {
            for n in self.needs.get(j).into_iter().flatten() {
                if n == earlier {
                    return true;
                }
                if seen.insert(n.as_str()) {
                    todo.push(n);
                }
            }
        }
        false
    }

    pub fn steps_of(&self, activity: Activity) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.activity == activity)
    }

    pub fn does(&self, activity: Activity) -> bool {
        self.steps_of(activity).next().is_some()
    }

    /// The definition's own evidence id.
    pub fn own_evidence(&self) -> Option<&str> {
        self.evidence.first().map(String::as_str)
    }

    /// Unreadable, with nothing read from it.
    pub fn is_unreadable(&self) -> bool {
        self.problems.iter().any(|p| p.path == self.path)
    }
}

/// What kind of non-pipeline file was examined for in-place changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Script,
    Makefile,
    Runbook,
}

/// A script, Makefile or runbook of the repository, with its in-place hits.
#[derive(Clone, Debug, Serialize)]
pub struct ExaminedFile {
    pub path: String,
    pub kind: FileKind,
    pub mutations: Vec<Step>,
    #[serde(skip)]
    pub evidence: String,
}

/// Everything found in one repository.
#[derive(Clone, Debug)]
pub struct RepoAnalysis {
    pub source: String,
    /// The repository as the user named it.
    pub location: String,
    pub pipelines: Vec<Pipeline>,
    pub scripts: Vec<ExaminedFile>,
    /// Distinct files read: pipelines, includes, scripts, Makefiles, runbooks.
    pub files_examined: usize,
}

impl RepoAnalysis {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.pipelines.iter().flat_map(|p| p.steps.iter())
    }
}

/// The files of one source, by path.
pub struct Repo<'a> {
    pub source: &'a str,
    files: BTreeMap<&'a str, &'a CollectedFile>,
}

impl<'a> Repo<'a> {
    pub fn new(source: &'a str, files: impl IntoIterator<Item = &'a CollectedFile>) -> Self {
        Repo {
            source,
            files: files
                .into_iter()
                .filter(|f| f.source == source && !f.earlier)
                .map(|f| (f.path.as_str(), f))
                .collect(),
        }
    }

    /// The files of one source at the period end, with `version` (an earlier version of
    /// one of them) in place of that path's current version.
    pub fn with_version(
        source: &'a str,
        files: impl IntoIterator<Item = &'a CollectedFile>,
        version: &'a CollectedFile,
    ) -> Self {
        let mut repo = Repo::new(source, files);
        repo.files.insert(version.path.as_str(), version);
        repo
    }

    pub fn file(&self, path: &str) -> Option<&'a CollectedFile> {
        self.files.get(path).copied()
    }

    pub fn paths(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.files.keys().copied()
    }

    /// Resolves a path a pipeline or script uses to a file of the repository: relative to
    /// the working directory, with CI workspace variables (`$CI_PROJECT_DIR/`,
    /// `${{ github.workspace }}/`...) meaning the root, and, for a path that starts with
    /// another variable (`$SCRIPT_DIR/x.sh`, `$(dirname "$0")/x.sh`), relative to the calling
    /// file's directory.
    pub fn resolve(&self, target: &str, cwd: &str, from: &str) -> Option<String> {
        let t = target.trim();
        for prefix in WORKSPACE_PREFIXES {
            if let Some(rest) = t.strip_prefix(prefix) {
                let p = walk::join("", rest);
                return self.file(&p).map(|_| p);
            }
        }
        if t.starts_with('$') || t.starts_with('`') {
            // `$DIR/x.sh`, `$(dirname "$0")/x.sh`: the last `/`-part after the variable.
            let rest = skip_variable(t)?;
            let from_dir = walk::parent(from);
            for base in [from_dir.as_str(), cwd, ""] {
                let p = walk::join(base, rest);
                if self.file(&p).is_some() {
                    return Some(p);
                }
            }
            return None;
        }
        if t.starts_with('/') || t.starts_with('~') || t.contains("://") {
            return None;
        }
        for base in [cwd, ""] {
            let p = walk::join(base, t);
            if self.file(&p).is_some() {
                return Some(p);
            }
        }
        // A script calling a sibling by a path relative to itself.
        let p = walk::join(&walk::parent(from), t);
        self.file(&p).map(|_| p)
    }

    /// Paths matching a GitLab-style glob (`*` within a directory, `**` across them).
    pub fn glob(&self, pattern: &str) -> Vec<String> {
        let pattern = pattern.trim_start_matches('/');
        self.files
            .keys()
            .filter(|p| glob_match(pattern, p))
            .map(|p| p.to_string())
            .collect()
    }
}

const WORKSPACE_PREFIXES: [&str; 20] = [
    "$CI_PROJECT_DIR/",
    "${CI_PROJECT_DIR}/",
    "$GITHUB_WORKSPACE/",
    "${GITHUB_WORKSPACE}/",
    "${{ github.workspace }}/",
    "${{github.workspace}}/",
    "$WORKSPACE/",
    "${WORKSPACE}/",
    "$(Build.SourcesDirectory)/",
    "$(System.DefaultWorkingDirectory)/",
    "$(Pipeline.Workspace)/s/",
    "$BITBUCKET_CLONE_DIR/",
    "${BITBUCKET_CLONE_DIR}/",
    "$DRONE_WORKSPACE/",
    "${DRONE_WORKSPACE}/",
    "$CIRCLE_WORKING_DIRECTORY/",
    "~/project/",
    "$(workspaces.source.path)/",
    "$PWD/",
    "${PWD}/",
];

/// The rest of a path after a leading `$VAR`, `${VAR}`, `$(cmd)` or backquoted part.
fn skip_variable(t: &str) -> Option<&str> {
    let b = t.as_bytes();
    let end = match (b.first(), b.get(1)) {
        (Some(b'$'), Some(b'(')) | (Some(b'$'), Some(b'{')) => {
            let (open, close) = if b[1] == b'(' {
                (b'(', b')')
            } else {
                (b'{', b'}')
            };
            let mut depth = 0;
            let mut end = None;
            for (i, &c) in b.iter().enumerate().skip(1) {
                if c == open {
                    depth += 1;
                } else if c == close {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
            }
            end?
        }
        (Some(b'`'), _) => t[1..].find('`')? + 2,
        (Some(b'$'), _) => {
            1 + t[1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(t.len() - 1)
        }
        _ => return None,
    };
    t[end..].strip_prefix('/')
}

fn glob_match(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                let rest = &p[2..];
                // `**/` also matches no directory at all.
                rest.strip_prefix(b"/").is_some_and(|r| go(r, s))
                    || (0..=s.len()).any(|i| go(rest, &s[i..]))
            }
            Some(b'*') => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != b'/')
                .any(|i| go(&p[1..], &s[i..])),
            Some(&c) => s.first() == Some(&c) && go(&p[1..], &s[1..]),
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

/// The repository sources of an inventory.
pub fn repositories(inventory: &Inventory) -> Vec<&Source> {
    inventory
        .sources
        .iter()
        .filter(|s| s.kind == SourceKind::Repository)
        .collect()
}

/// Pipelines (with the scripts, Makefiles and files they call), and every script, Makefile
/// and runbook on its own, of every repository in the inventory, in the order of its
/// sources. The checks over pipelines read only the pipelines; `no-in-place-mutation` reads
/// the scripts and runbooks too. Run once per run (see [`super::Facts`]).
pub fn analyze(inventory: &Inventory) -> Vec<RepoAnalysis> {
    repositories(inventory)
        .into_iter()
        .map(|source| analyze_repo(source, inventory))
        .collect()
}

fn analyze_repo(source: &Source, inventory: &Inventory) -> RepoAnalysis {
    let repo = Repo::new(&source.id, &inventory.files);
    let mut pipelines = Vec::new();
    let mut secondary = Vec::new();
    for path in repo.paths() {
        let Some(file) = repo.file(path) else {
            continue;
        };
        if let Some((system, only_if_not_included)) = pipeline_system(path, &file.text) {
            if only_if_not_included {
                secondary.push((path, system));
            } else {
                pipelines.push(read_pipeline(&repo, path, system));
            }
        }
    }
    let included: BTreeSet<String> = pipelines
        .iter()
        .flat_map(|p: &Pipeline| p.files.iter().skip(1).cloned())
        .collect();
    for (path, system) in secondary {
        if !included.contains(path) {
            pipelines.push(read_pipeline(&repo, path, system));
        }
    }
    pipelines.sort_by(|a, b| a.path.cmp(&b.path));

    let mut scripts = Vec::new();
    for path in repo.paths() {
        let Some(file) = repo.file(path) else {
            continue;
        };
        let kind = if is_makefile(path) {
            FileKind::Makefile
        } else if is_script(path, &file.text) {
            FileKind::Script
        } else if is_runbook(path) {
            FileKind::Runbook
        } else {
            continue;
        };
        let mutations = match kind {
            FileKind::Runbook => runbook::mutations(&repo, path, &file.text),
            _ => standalone_mutations(&repo, path, &file.text, kind),
        };
        scripts.push(ExaminedFile {
            path: path.to_string(),
            kind,
            mutations,
            evidence: file.evidence.clone(),
        });
    }
    let mut examined: BTreeSet<&str> = scripts.iter().map(|s| s.path.as_str()).collect();
    for p in &pipelines {
        examined.extend(p.files.iter().map(String::as_str));
    }
    RepoAnalysis {
        source: source.id.clone(),
        location: source.location.clone(),
        files_examined: examined.len(),
        pipelines,
        scripts,
    }
}

/// An in-place command written in an earlier version of a file (one that existed during
/// the period but not at its end).
#[derive(Clone, Debug)]
pub struct EarlierHit<'a> {
    pub step: Step,
    /// The version the command is written in.
    pub file: &'a CollectedFile,
    /// The version is a pipeline definition (else a script, Makefile or runbook).
    pub pipeline: bool,
    pub kind: FileKind,
}

/// The in-place commands of every earlier version of a repository's files. Each version is
/// read as the repository stood at the period end with that one file swapped in, and only
/// commands written in that file count: what it calls is examined in its own versions.
pub fn earlier_mutations<'a>(inventory: &'a Inventory, source: &str) -> Vec<EarlierHit<'a>> {
    let mut out = Vec::new();
    for version in inventory
        .files
        .iter()
        .filter(|f| f.source == source && f.earlier)
    {
        let repo = Repo::with_version(&version.source, &inventory.files, version);
        let path = version.path.as_str();
        let (steps, pipeline, kind) =
            if let Some((system, _)) = pipeline_system(path, &version.text) {
                let p = read_pipeline(&repo, path, system);
                let steps: Vec<Step> = p.steps_of(Activity::Mutation).cloned().collect();
                (steps, true, FileKind::Script)
            } else if is_makefile(path) {
                let steps = standalone_mutations(&repo, path, &version.text, FileKind::Makefile);
                (steps, false, FileKind::Makefile)
            } else if is_script(path, &version.text) {
                let steps = standalone_mutations(&repo, path, &version.text, FileKind::Script);
                (steps, false, FileKind::Script)
            } else if is_runbook(path) {
                (
                    runbook::mutations(&repo, path, &version.text),
                    false,
                    FileKind::Runbook,
                )
            } else {
                continue;
            };
        out.extend(
            steps
                .into_iter()
                .filter(|s| s.path == path)
                .map(|step| EarlierHit {
                    step,
                    file: version,
                    pipeline,
                    kind,
                }),
        );
    }
    out
}

/// A script or Makefile read on its own (every target of a Makefile), without following
/// its calls: those files are examined on their own too.
fn standalone_mutations(repo: &Repo<'_>, path: &str, text: &str, kind: FileKind) -> Vec<Step> {
    let mut walker = walk::Walker::new(repo, path).without_following();
    match kind {
        FileKind::Makefile => walker.all_make_targets(path, text),
        _ => walker.script(path, &Script::from_text(1, text), &walk::parent(path), None),
    }
    walker.mutations()
}

fn read_pipeline(repo: &Repo<'_>, path: &str, system: System) -> Pipeline {
    let mut walker = walk::Walker::new(repo, path);
    let text = repo.file(path).map(|f| f.text.clone()).unwrap_or_default();
    match system {
        System::GithubActions => github::read(&mut walker, path, &text),
        System::GitlabCi => gitlab::read(&mut walker, path, &text),
        System::Jenkins => jenkins::read(&mut walker, path, &text),
        System::AzurePipelines => azure::read(&mut walker, path, &text),
        System::Circleci => circleci::read(&mut walker, path, &text),
        System::BitbucketPipelines => bitbucket::read(&mut walker, path, &text),
        System::Tekton => tekton::read(&mut walker, path, &text),
        System::Drone => drone::read(&mut walker, path, &text),
        System::CloudBuild => cloudbuild::read(&mut walker, path, &text),
    }
    let walked = walker.finish();
    let files: Vec<String> = std::iter::once(path.to_string())
        .chain(walked.files.into_iter().filter(|f| f != path))
        .collect();
    let evidence = files
        .iter()
        .filter_map(|f| repo.file(f).map(|c| c.evidence.clone()))
        .collect();
    Pipeline {
        source: repo.source.to_string(),
        path: path.to_string(),
        system,
        files,
        steps: walked.steps,
        needs: walked.needs,
        notes: walked.notes,
        problems: walked
            .problems
            .into_iter()
            .map(|(path, line, message)| FileProblem {
                path,
                line,
                message,
            })
            .collect(),
        evidence,
    }
}

/// Parses a YAML pipeline file into its documents and lines, recording a syntax error as
/// the walk's problem.
fn yaml_documents<'t>(
    walker: &mut walk::Walker<'_>,
    path: &str,
    text: &'t str,
) -> Option<(Vec<tree::Node>, Vec<&'t str>)> {
    match tree::parse(text) {
        Ok(docs) => Some((docs, text.lines().collect())),
        Err(e) => {
            walker.problem(path, e.line, format!("YAML does not parse: {}", e.message));
            None
        }
    }
}

#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod misread_tests;
#[cfg(test)]
mod reader_tests;
#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_gitlab() {
        assert!(glob_match("ci/*.yml", "ci/build.yml"));
        assert!(!glob_match("ci/*.yml", "ci/sub/build.yml"));
        assert!(glob_match("ci/**/*.yml", "ci/sub/build.yml"));
        assert!(glob_match("ci/**.yml", "ci/a/b.yml"));
        assert!(glob_match("**/*.yml", "x.yml"));
    }

    #[test]
    fn variables_before_paths_are_skipped() {
        assert_eq!(skip_variable("$SCRIPT_DIR/x.sh"), Some("x.sh"));
        assert_eq!(
            skip_variable("$(dirname \"$0\")/lib/x.sh"),
            Some("lib/x.sh")
        );
        assert_eq!(skip_variable("${DIR}/x.sh"), Some("x.sh"));
        assert_eq!(skip_variable("$X"), None);
    }
}
