//! The Git history collector: a repository's manifests, pipelines and image changes over the
//! audit period, read from the object database (a bare clone works; the working tree is
//! never looked at).
//!
//! Takes a repository path, a ref and the period, and gives an [`Inventory`]:
//! - the Kubernetes objects of the tree of the last commit at or before the period end,
//!   read by the same manifest loader as `--snapshot` ([`manifests`]);
//! - the CI pipelines, scripts, Makefiles, runbooks and Dockerfiles of that tree, and the
//!   other versions of pipelines, scripts, Makefiles and runbooks that existed during the
//!   period ([`files`]), as [`CollectedFile`](crate::evidence::inventory::CollectedFile)s;
//! - the image change timeline of the period and, per image slot in use at the period end,
//!   its changes and the commit that introduced it ([`History`]).
//!
//! The ref's history is walked along first parents (each commit diffed against its first
//! parent, so a merge shows what it brought onto the branch), or every non-merge commit
//! with `--all-parents`. A commit belongs to the period by its effective time, its committer
//! time unless that is before its parent's or after `--as-of` ([`walk`]). Only the period's
//! commits are diffed, and older ones only while an image in use at the period end has not
//! yet been traced to the commit that introduced it: that walk back goes once over the older
//! commits for every such image at a time, entering only the directories that hold them.
//! Trees are diffed by hand so that unchanged subtrees are never read ([`tree`]), each
//! distinct blob is read once and each distinct YAML document in it parsed once ([`parse`]),
//! and diffs and parses run on both cores. Every object is read through [`objects`], which
//! refuses a corrupt loose object before libgit2 can hang on it. Blobs are text in UTF-8 or,
//! with a byte order mark, UTF-16 ([`text_of`]). Only the files in the repository's scope
//! ([`crate::collect::scope`]) are listed and diffed; what it leaves out is listed in the
//! inventory's `excluded` ([`scoped`] applies `--deployed-only`).

mod files;
pub mod images;
mod manifests;
mod objects;
mod parse;
mod renames;
mod scoped;
mod tree;
mod walk;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use git2::{Oid, Repository};
use rayon::prelude::*;

use self::images::Slot;
use self::objects::{Loose, Objects};
use self::parse::{BlobCache, Check, Parsed};
use self::walk::{Stamp, Walk, Walked};
use crate::base::timefmt::rfc3339;
use crate::collect::scope::{self, Exclusion, Scope};
use crate::evidence::history::{History, ImageChange, Introduced, Owner, Renamed, SlotHistory};
use crate::evidence::inventory::Inventory;
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::period::Period;
use crate::evidence::record::{Source, SourceKind};

/// Blobs larger than this are skipped (with a note) unless `--max-file-size` is smaller:
/// no manifest or pipeline is that large, and inflating a huge binary costs memory.
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 32 << 20;

/// The note a run gets when it reads history without a period given.
pub fn default_period_note(source: &str, period: &Period) -> Problem {
    Problem::new(
        ProblemLevel::Note,
        source,
        "--period",
        format!(
            "no period given: the history was read for the 90 days up to --as-of ({} to {})",
            rfc3339(period.start),
            rfc3339(period.end)
        ),
    )
    .hint("pass --period (2026-Q3, 2026-08, previous-quarter...) or --since/--until")
}

/// How to read a repository.
#[derive(Clone, Debug)]
pub struct GitOptions {
    /// The ref whose history is read (`HEAD`, a branch, a tag, a commit).
    pub reference: String,
    pub period: Period,
    /// The run's `--as-of`: no commit is counted after it.
    pub as_of: DateTime<Utc>,
    /// Walk every commit, not only first parents.
    pub all_parents: bool,
    /// Blobs larger than this are skipped with a note.
    pub max_blob_bytes: u64,
    /// Show a progress bar (only when stderr is a terminal).
    pub progress: bool,
    /// Which files are read ([`crate::collect::scope`]): applied wherever paths are listed
    /// or diffed, so what it leaves out is in no manifest, pipeline or image history.
    pub scope: Arc<Scope>,
}

/// Why a repository could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "--repo {path}: not a Git repository ({message}); pass the directory of a clone (a bare \
         clone works too)"
    )]
    NotARepository { path: String, message: String },
    #[error("--repo {path}: no ref `{reference}` ({message}); {known}")]
    MissingRef {
        path: String,
        reference: String,
        message: String,
        known: String,
    },
    #[error("--repo {path}: cannot read commit {commit} of `{reference}`: {message}")]
    Unreadable {
        path: String,
        reference: String,
        commit: String,
        message: String,
    },
}

/// A commit, as far as the collector needs it.
#[derive(Clone, Debug)]
pub struct CommitInfo {
    pub id: Oid,
    /// Its effective time.
    pub time: DateTime<Utc>,
    pub author: String,
    pub parents: Vec<Oid>,
    pub tree: Oid,
}

impl CommitInfo {
    pub fn short(&self) -> String {
        short(self.id)
    }
}

/// Abbreviated commit ids in locators and messages.
pub fn short(id: Oid) -> String {
    id.to_string()[..12].to_string()
}

/// Reads one `--repo`.
pub fn load(path: &Path, options: &GitOptions) -> Result<Inventory, GitError> {
    let location = path.display().to_string();
    let repo = Repository::open(path).map_err(|e| GitError::NotARepository {
        path: location.clone(),
        message: e.message().to_string(),
    })?;
    let loose = Arc::new(Loose::of(&repo));
    let repo = Objects::new(repo, loose.clone());
    let tip = resolve(&repo, &location, &options.reference)?;
    let source_id = format!("repo:{location}");
    let mut ctx = Ctx {
        repo_path: repo.repo().path().to_path_buf(),
        loose,
        source_id: source_id.clone(),
        name: repo_name(path),
        options: options.clone(),
        problems: Vec::new(),
        progress: Progress::new(options.progress),
    };

    let mut walk = Walk::read(
        &repo,
        tip,
        options.all_parents,
        options.as_of,
        &ctx.progress,
    );
    if walk.is_empty()
        && let Some((id, message)) = walk.broken.first()
    {
        return Err(GitError::Unreadable {
            path: location,
            reference: options.reference.clone(),
            commit: id.to_string(),
            message: message.clone(),
        });
    }
    if let Some(p) = made_after_as_of(&ctx, &walk) {
        ctx.problems.push(p);
    }
    let walked = walk.period(&options.period);

    let mut inventory = Inventory::default();
    let mut details = BTreeMap::new();
    details.insert("ref".to_string(), options.reference.clone());
    details.insert(
        "history".to_string(),
        if options.all_parents {
            "every commit (--all-parents)".to_string()
        } else {
            "first parents".to_string()
        },
    );
    details.insert(
        "commits_in_period".to_string(),
        walked.in_period.len().to_string(),
    );
    details.insert("scope".to_string(), options.scope.describe());
    let mut history = History {
        source: source_id.clone(),
        period_start: options.period.start,
        period_end: options.period.end,
        commits_in_period: walked.in_period.len(),
        ..History::default()
    };

    match &walked.end {
        None => ctx.problems.push(
            Problem::new(
                ProblemLevel::Warning,
                &source_id,
                format!("{}@{}", ctx.name, options.reference),
                format!(
                    "`{}` has no commit at or before the period end ({}): the repository held \
                     nothing then, and nothing from it is assessed",
                    options.reference,
                    rfc3339(options.period.end)
                ),
            )
            .hint("choose a period after the repository's first commit, or another --ref"),
        ),
        Some(end) => {
            details.insert("commit".to_string(), end.id.to_string());
            details.insert("commit_time".to_string(), rfc3339(end.time));
            history.end_commit = Some(end.id.to_string());
            let diffs = diff_commits(&ctx, &walked.in_period);
            // Files left out of scope at the period end, for the report's coverage.
            let left_out = std::cell::RefCell::new(Vec::<(String, Exclusion)>::new());
            let keep = |p: &str| {
                is_wanted(p)
                    && match ctx.options.scope.decide(p) {
                        None => true,
                        Some(e) => {
                            left_out.borrow_mut().push((p.to_string(), e));
                            false
                        }
                    }
            };
            let (end_files, end_links) = match tree::list(&repo, end.tree, &keep) {
                Ok(d) => {
                    for s in d.submodules {
                        ctx.problems.push(submodule(&ctx, end, &s));
                    }
                    for u in &d.unreadable {
                        ctx.problems.push(unreadable_tree(&ctx, end, u, true));
                    }
                    (d.changes, d.links)
                }
                Err(e) => {
                    ctx.problems.push(unreadable_commit(&ctx, end, &e));
                    (Vec::new(), Vec::new())
                }
            };
            let mut cache = BlobCache::default();
            let timeline = timeline(&mut ctx, &mut cache, &walked, &diffs, &end_files);
            history.changes = timeline.changes;
            history.slots = trace_back(
                &mut ctx,
                &mut cache,
                &mut walk,
                walked.base.clone(),
                timeline.slots,
            );
            manifests::load(&ctx, end, &end_files, &end_links, &mut inventory);
            scoped::explain_out_of_scope(&ctx, end, &mut inventory);
            files::collect(&mut ctx, end, &end_files, &walked, &diffs, &mut inventory);
            let mut left_out = left_out.into_inner();
            if ctx.options.scope.deployed_only {
                left_out.extend(scoped::deployed_only(
                    &mut ctx,
                    end,
                    &end_files,
                    &mut inventory,
                    &mut history,
                ));
            }
            let out: HashSet<&str> = left_out.iter().map(|(p, _)| p.as_str()).collect();
            let kept = end_files
                .iter()
                .map(|f| f.path.as_str())
                .filter(|p| !out.contains(p));
            inventory.excluded = scope::group(&source_id, kept, &left_out);
        }
    }
    if let Some(cut) = &walk.cut {
        details.insert(
            "shallow".to_string(),
            format!("history cut at {} ({})", cut.id, rfc3339(cut.time)),
        );
        ctx.problems.push(shallow(&ctx, cut, &options.period));
    }
    if walked.after_end > 0 {
        details.insert(
            "commits_after_period".to_string(),
            walked.after_end.to_string(),
        );
    }
    for (id, message) in &walk.broken {
        ctx.problems.push(broken_history(&ctx, *id, message));
    }
    for s in &walk.replaced {
        ctx.problems.push(replaced_time(&ctx, s, options.as_of));
    }
    ctx.progress.finish();
    inventory.problems.append(&mut ctx.problems);
    inventory.sources.push(Source {
        id: source_id,
        kind: SourceKind::Repository,
        location,
        identity: identity(repo.repo(), path),
        details,
    });
    inventory.history.push(history);
    Ok(inventory)
}

/// The manifests of the repository at `requested` (see
/// [`Baseline::requested`](crate::evidence::deployers::Baseline)): a commit id, or
/// `@<RFC 3339>` for the last commit of the ref at or before that time along first parents
/// (the commit a cluster collected then should run). Read by the same loader as the period
/// end's manifests, in the same scope; the inventory holds their evidence records and the
/// baseline, with why it could not be read when it could not.
pub fn baseline(path: &Path, options: &GitOptions, requested: &str) -> Inventory {
    let location = path.display().to_string();
    let source_id = format!("repo:{location}");
    let mut inventory = Inventory::default();
    let mut out = crate::evidence::deployers::Baseline {
        repo: source_id.clone(),
        requested: requested.to_string(),
        ..Default::default()
    };
    match baseline_commit(path, options, requested) {
        Err(why) => out.error = Some(why),
        Ok((objects, end)) => {
            out.commit = Some(end.id.to_string());
            out.committed_at = Some(rfc3339(end.time));
            let ctx = Ctx {
                repo_path: objects.repo().path().to_path_buf(),
                loose: Arc::new(Loose::of(objects.repo())),
                source_id,
                name: repo_name(path),
                options: options.clone(),
                problems: Vec::new(),
                progress: Progress::new(false),
            };
            let keep = |p: &str| is_wanted(p) && ctx.options.scope.decide(p).is_none();
            match tree::list(&objects, end.tree, &keep) {
                Ok(d) => {
                    let mut read = Inventory::default();
                    manifests::load(&ctx, &end, &d.changes, &d.links, &mut read);
                    inventory.records = read.records;
                    out.objects = read.objects;
                }
                Err(e) => out.error = Some(format!("cannot read its tree: {}", e.message())),
            }
        }
    }
    inventory.baselines.push(out);
    inventory
}

/// The commit a baseline asks for, or why it cannot be read.
fn baseline_commit(
    path: &Path,
    options: &GitOptions,
    requested: &str,
) -> Result<(Objects, CommitInfo), String> {
    let location = path.display().to_string();
    let repo = Repository::open(path).map_err(|e| e.message().to_string())?;
    let loose = Arc::new(Loose::of(&repo));
    let objects = Objects::new(repo, loose);
    let id = match requested.strip_prefix('@') {
        Some(time) => {
            let at = DateTime::parse_from_rfc3339(time)
                .map_err(|e| format!("`{time}` is not an RFC 3339 time: {e}"))?
                .timestamp();
            let mut id =
                resolve(&objects, &location, &options.reference).map_err(|e| e.to_string())?;
            loop {
                objects.check(id).map_err(|e| e.message().to_string())?;
                let commit = objects.commit(id).map_err(|e| e.message().to_string())?;
                if commit.committer().when().seconds() <= at {
                    break id;
                }
                id = commit.parent_id(0).map_err(|_| {
                    format!("`{}` has no commit at or before {time}", options.reference)
                })?;
            }
        }
        None => {
            let id = Oid::from_str(requested)
                .map_err(|_| format!("`{requested}` is not a commit id"))?;
            objects.check(id).map_err(|_| {
                format!("commit {requested} is not in the repository (fetch it, or clone the branch it is on)")
            })?;
            id
        }
    };
    let commit = objects.commit(id).map_err(|_| {
        format!("commit {id} is not in the repository (fetch it, or clone the branch it is on)")
    })?;
    let info = CommitInfo {
        id,
        time: DateTime::from_timestamp(commit.committer().when().seconds(), 0).unwrap_or_default(),
        author: commit.author().name().unwrap_or("").to_string(),
        parents: commit.parent_ids().collect(),
        tree: commit.tree_id(),
    };
    drop(commit);
    Ok((objects, info))
}

/// What the collector of one repository carries from step to step.
pub(super) struct Ctx {
    repo_path: std::path::PathBuf,
    /// Its loose objects, listed once for every thread's handle.
    loose: Arc<Loose>,
    source_id: String,
    /// The repository's directory name, in locators.
    name: String,
    options: GitOptions,
    problems: Vec<Problem>,
    progress: Progress,
}

impl Ctx {
    /// `repo@commit:path`, the locator of a file at a commit.
    fn locator(&self, commit: Oid, path: &str) -> String {
        format!("{}@{}:{path}", self.name, short(commit))
    }

    /// A handle on the repository for one worker thread.
    fn open(&self) -> Option<Objects> {
        Repository::open(&self.repo_path)
            .ok()
            .map(|r| Objects::new(r, self.loose.clone()))
    }
}

/// Annotated tags peeled at most this deep (a tag of a tag of ...).
const MAX_TAG_DEPTH: usize = 16;

/// The commit `reference` names. A ref or a full commit id is resolved without reading an
/// object, then peeled through annotated tags one checked object at a time; other revision
/// expressions (`HEAD~2`, an abbreviated id) are left to libgit2, which reads the commits
/// on their way unchecked.
fn resolve(objects: &Objects, location: &str, reference: &str) -> Result<Oid, GitError> {
    let repo = objects.repo();
    let missing = |message: &str, known: String| GitError::MissingRef {
        path: location.to_string(),
        reference: reference.to_string(),
        message: message.to_string(),
        known,
    };
    let branches = || {
        let mut branches: Vec<String> = repo
            .branches(None)
            .map(|it| {
                it.filter_map(Result::ok)
                    .filter_map(|(b, _)| b.name().ok().flatten().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        branches.sort();
        if branches.is_empty() {
            "the repository has no branch (is it empty?)".to_string()
        } else {
            format!("its branches: {}; pass one with --ref", branches.join(", "))
        }
    };
    let named = repo
        .resolve_reference_from_short_name(reference)
        .ok()
        .and_then(|r| r.resolve().ok())
        .and_then(|r| r.target())
        .or_else(|| {
            (reference.len() == 40)
                .then(|| Oid::from_str(reference).ok())
                .flatten()
        });
    let mut id = match named {
        Some(id) => id,
        None => repo
            .revparse_single(reference)
            .map_err(|e| missing(e.message(), branches()))?
            .id(),
    };
    for _ in 0..MAX_TAG_DEPTH {
        objects.check(id).map_err(|e| GitError::Unreadable {
            path: location.to_string(),
            reference: reference.to_string(),
            commit: id.to_string(),
            message: e.message().to_string(),
        })?;
        let object = repo
            .find_object(id, None)
            .map_err(|e| missing(e.message(), branches()))?;
        match object.as_tag() {
            Some(tag) => id = tag.target_id(),
            None if object.kind() == Some(git2::ObjectType::Commit) => return Ok(id),
            None => break,
        }
    }
    Err(missing(
        &format!("{id} is not a commit"),
        "it names no commit".to_string(),
    ))
}

/// The repository's directory name (without `.git`), for locators and the identity.
fn repo_name(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut name = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".to_string());
    if name == ".git"
        && let Some(parent) = canonical.parent().and_then(|p| p.file_name())
    {
        name = parent.to_string_lossy().into_owned();
    }
    name.strip_suffix(".git")
        .map(str::to_string)
        .unwrap_or(name)
}

/// The origin remote's URL without credentials, else the directory name: what findings are
/// keyed on, so they keep their ids wherever the clone lives.
fn identity(repo: &Repository, path: &Path) -> String {
    repo.find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(strip_credentials))
        .unwrap_or_else(|| repo_name(path))
}

/// `https://user:token@host/x` → `https://host/x`; scp-like `git@host:x` is kept (the user
/// is not a secret).
pub fn strip_credentials(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        return format!("{scheme}://{host}{path}");
    }
    url.to_string()
}

/// Paths the history reads: files that can name images, and files the CI analysis reads.
fn is_wanted(path: &str) -> bool {
    images::file_kind(path).is_some() || crate::evidence::file_kinds::is_relevant_path(path)
}

/// Each commit of the period diffed against its first parent, on both cores.
type Diffs = Vec<Result<tree::Diff, git2::Error>>;

fn diff_commits(ctx: &Ctx, commits: &[CommitInfo]) -> Diffs {
    ctx.progress.diffing(commits.len());
    let chunk = (commits.len() / (rayon::current_num_threads() * 8)).max(16);
    commits
        .par_chunks(chunk)
        .flat_map_iter(|chunk| {
            let repo = ctx.open();
            let out: Vec<_> = chunk
                .iter()
                .map(|c| {
                    let repo = repo
                        .as_ref()
                        .ok_or_else(|| git2::Error::from_str("cannot open the repository"))?;
                    let d = diff_commit(repo, c, &ctx.options.scope);
                    ctx.progress.diffed();
                    d
                })
                .collect();
            out
        })
        .collect()
}

fn diff_commit(repo: &Objects, c: &CommitInfo, scope: &Scope) -> Result<tree::Diff, git2::Error> {
    let parent_tree = match c.parents.first() {
        Some(p) => Some(repo.commit(*p)?.tree_id()),
        None => None,
    };
    tree::diff(repo, parent_tree, Some(c.tree), &|p| {
        is_wanted(p) && scope.keeps(p)
    })
}

/// A blob as text, or why it is not text: UTF-16 with a byte order mark (decoded as the
/// snapshot loader decodes it), else UTF-8 (a BOM is dropped).
pub(super) fn text_of(mut bytes: Vec<u8>) -> Result<String, String> {
    if let Some(text) = crate::base::input::decode_utf16(&bytes) {
        return Ok(text);
    }
    if let Some(offset) = memchr::memchr(0, &bytes) {
        return Err(format!(
            "binary data (a NUL byte at offset {offset}), not text"
        ));
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + memchr::memchr_iter(b'\n', valid).count();
        format!("not valid UTF-8 (first bad byte at line {line})")
    })
}

/// The timeline and the slots in use at the period end, before tracing them back.
struct Timeline {
    changes: Vec<ImageChange>,
    slots: Vec<SlotHistory>,
}

fn timeline(
    ctx: &mut Ctx,
    cache: &mut BlobCache,
    walked: &Walked,
    diffs: &Diffs,
    end_files: &[tree::Change],
) -> Timeline {
    // Every blob the timeline compares, and every image file at the period end.
    let mut wanted = Vec::new();
    for d in diffs.iter().flatten() {
        for c in d
            .changes
            .iter()
            .filter(|c| images::file_kind(&c.path).is_some())
        {
            wanted.extend(c.old.map(|id| (id, c.path.clone())));
            wanted.extend(c.new.map(|id| (id, c.path.clone())));
        }
    }
    for f in end_files
        .iter()
        .filter(|f| images::file_kind(&f.path).is_some())
    {
        wanted.extend(f.new.map(|id| (id, f.path.clone())));
    }
    ctx.progress.parsing(wanted.len());
    cache.fill(ctx, wanted, Check::Everything);

    let mut changes = Vec::new();
    // Per slot: each change in the period and each rename, under the path and owner it has
    // after them.
    let mut changed_at: HashMap<(String, Owner), SlotLog> = HashMap::new();
    // Read blobs for rename detection by content.
    let repo = ctx.open();
    // The last readable slots of each path, so a commit that breaks a file and the one
    // that mends it compare against the last good version.
    let mut last_good: HashMap<String, Arc<Vec<Slot>>> = HashMap::new();
    let mut reported: HashSet<(Oid, String)> = HashSet::new();
    for (commit, diff) in walked.in_period.iter().zip(diffs).rev() {
        let diff = match diff {
            Ok(d) => d,
            Err(e) => {
                let p = unreadable_commit(ctx, commit, e);
                ctx.problems.push(p);
                continue;
            }
        };
        for s in &diff.submodules {
            let p = submodule(ctx, commit, s);
            ctx.problems.push(p);
        }
        for u in &diff.unreadable {
            let p = unreadable_tree(ctx, commit, u, false);
            ctx.problems.push(p);
        }
        let moved = match &repo {
            Some(repo) => {
                tree::renames(&diff.changes, &|p| images::file_kind(p).is_some(), &|id| {
                    read_blob(repo, id, ctx.options.max_blob_bytes)
                })
            }
            None => Vec::new(),
        };
        let mut steps: Vec<renames::Step> = Vec::new();
        for u in units(&diff.changes, &moved) {
            let old = match last_good.get(u.from) {
                Some(s) => Some(s.clone()),
                None => u.old.and_then(|id| match cache.get(id, u.from) {
                    Some(Parsed::Slots(s)) => Some(s.clone()),
                    _ => None,
                }),
            };
            let new = match u.new {
                None => Some(Arc::new(Vec::new())),
                Some(id) => match cache.get(id, u.path) {
                    Some(Parsed::Slots(s)) => Some(s.clone()),
                    Some(Parsed::Invalid(line, message)) => {
                        if reported.insert((id, u.path.to_string())) {
                            let p = invalid_yaml(ctx, commit, u.path, *line, message);
                            ctx.problems.push(p);
                        }
                        None
                    }
                    Some(Parsed::Skipped(why)) => {
                        if reported.insert((id, u.path.to_string())) {
                            let p = skipped_file(ctx, commit, u.path, why);
                            ctx.problems.push(p);
                        }
                        None
                    }
                    None => None,
                },
            };
            let Some(new) = new else {
                // The version before an unreadable one is what the next readable version
                // is compared with.
                if let Some(old) = old {
                    last_good.entry(u.path.to_string()).or_insert(old);
                }
                if u.from != u.path {
                    last_good.remove(u.from);
                }
                continue;
            };
            let old = old.unwrap_or_default();
            steps.extend(renames::steps(u.from, u.path, &old, &new));
            if u.from != u.path {
                last_good.remove(u.from);
            }
            if u.new.is_some() {
                last_good.insert(u.path.to_string(), new);
            } else {
                last_good.remove(u.path);
            }
        }
        for step in renames::join_moves(steps) {
            record(ctx, commit, step, &mut changes, &mut changed_at);
        }
    }

    let mut slots = Vec::new();
    for f in end_files
        .iter()
        .filter(|f| images::file_kind(&f.path).is_some())
    {
        let Some(id) = f.new else { continue };
        let Some(Parsed::Slots(found)) = cache.get(id, &f.path) else {
            if let Some(end) = &walked.end {
                let p = match cache.get(id, &f.path) {
                    Some(Parsed::Invalid(line, message)) => {
                        Some(invalid_yaml(ctx, end, &f.path, *line, message))
                    }
                    Some(Parsed::Skipped(why)) => Some(skipped_file(ctx, end, &f.path, why)),
                    _ => None,
                };
                if let Some(p) = p
                    && reported.insert((id, f.path.clone()))
                {
                    ctx.problems.push(p);
                }
            }
            continue;
        };
        for s in found.iter() {
            let key = (f.path.clone(), s.owner.clone());
            let log = changed_at.remove(&key).unwrap_or_default();
            let found = log.changes;
            // The last change of the period put the image in use there.
            let introduced = found
                .last()
                .filter(|(_, _, image)| image.as_deref() == Some(s.image.as_str()))
                .map(|(time, commit, _)| Introduced::At {
                    commit: commit.to_string(),
                    time: rfc3339(*time),
                });
            slots.push(SlotHistory {
                path: f.path.clone(),
                owner: s.owner.clone(),
                image: s.image.clone(),
                line: s.line,
                changes: found.iter().map(|(t, _, _)| *t).collect(),
                introduced,
                renamed: log.renamed,
            });
        }
    }
    changes.sort_by(|a, b| (&a.time, &a.path, &a.subject).cmp(&(&b.time, &b.path, &b.subject)));
    Timeline { changes, slots }
}

/// A change of one slot: when, by which commit, and the image it set (None: removed).
type SlotChange = (DateTime<Utc>, Oid, Option<String>);

fn with_key(owner: &Owner, key: String) -> Owner {
    match owner.clone() {
        Owner::Values { chart, .. } => Owner::Values { chart, key },
        Owner::HelmRelease {
            namespace, name, ..
        } => Owner::HelmRelease {
            namespace,
            name,
            key,
        },
        other => other,
    }
}

/// One slot's step in a commit: a rename moves its history (its log) to its new path and
/// owner; a change of its image string is a timeline row and a change in its log.
fn record(
    ctx: &Ctx,
    commit: &CommitInfo,
    step: renames::Step,
    changes: &mut Vec<ImageChange>,
    changed_at: &mut HashMap<(String, Owner), SlotLog>,
) {
    let (o, n) = (step.old.as_ref(), step.new.as_ref());
    if let (Some(o), Some(n)) = (o, n)
        && (o.owner != n.owner || step.from != step.path)
    {
        let mut log = changed_at
            .remove(&(step.from.clone(), o.owner.clone()))
            .unwrap_or_default();
        log.renamed.push(Renamed {
            commit: commit.id.to_string(),
            time: rfc3339(commit.time),
            from_path: step.from.clone(),
            from: o.owner.clone(),
        });
        changed_at
            .entry((step.path.clone(), n.owner.clone()))
            .or_default()
            .merge(log);
    }
    let (owner, path) = match (o, n) {
        (Some(o), Some(n)) if o.image == n.image => return,
        (_, Some(n)) => (&n.owner, &step.path),
        (Some(o), None) => (&o.owner, &step.from),
        (None, None) => return,
    };
    let subject = match owner {
        Owner::Values { key, .. } | Owner::HelmRelease { key, .. } => {
            let changed = images::changed_key(key, o, n);
            with_key(owner, changed).describe()
        }
        _ => owner.describe(),
    };
    changes.push(ImageChange {
        time: rfc3339(commit.time),
        commit: commit.id.to_string(),
        author: commit.author.clone(),
        source: ctx.source_id.clone(),
        path: path.clone(),
        subject,
        old_image: o.map(|s| s.image.clone()),
        new_image: n.map(|s| s.image.clone()),
    });
    changed_at
        .entry((path.clone(), owner.clone()))
        .or_default()
        .changes
        .push((commit.time, commit.id, n.map(|s| s.image.clone())));
}

/// What the period did to one slot: its changes and its renames, oldest first.
#[derive(Default)]
struct SlotLog {
    changes: Vec<SlotChange>,
    renamed: Vec<Renamed>,
}

impl SlotLog {
    /// Takes in the log of the slot this one was before a rename.
    fn merge(&mut self, mut earlier: SlotLog) {
        self.changes.append(&mut earlier.changes);
        self.changes.sort_by_key(|(time, _, _)| *time);
        self.renamed.append(&mut earlier.renamed);
        self.renamed.sort_by(|a, b| a.time.cmp(&b.time));
    }
}

/// One file's change in a commit: `from` is its path before (another one when git's rename
/// detection pairs a removal with an addition), `path` after.
struct Unit<'a> {
    from: &'a str,
    path: &'a str,
    old: Option<Oid>,
    new: Option<Oid>,
}

/// The image files a commit changed, each moved file as one unit at its new path.
fn units<'a>(changes: &'a [tree::Change], moved: &[tree::Rename]) -> Vec<Unit<'a>> {
    let from_of: HashMap<usize, usize> = moved.iter().map(|r| (r.to, r.from)).collect();
    let gone: HashSet<usize> = moved.iter().map(|r| r.from).collect();
    changes
        .iter()
        .enumerate()
        .filter(|(i, c)| !gone.contains(i) && images::file_kind(&c.path).is_some())
        .map(|(i, c)| match from_of.get(&i) {
            Some(&f) => Unit {
                from: &changes[f].path,
                path: &c.path,
                old: changes[f].old,
                new: c.new,
            },
            None => Unit {
                from: &c.path,
                path: &c.path,
                old: c.old,
                new: c.new,
            },
        })
        .collect()
}

/// A blob's bytes for rename detection; None when it cannot be read or is over the limit.
fn read_blob(repo: &Objects, id: Oid, limit: u64) -> Option<Vec<u8>> {
    repo.blob(id, limit).ok().and_then(Result::ok)
}

/// Commits walked back at a time at first; each batch after doubles, up to [`TRACE_MAX`]:
/// most images are traced within a few commits, the others by a long walk.
const TRACE_FIRST: usize = 8;
const TRACE_MAX: usize = 512;

/// A commit the walk back reads: the period's base, already read, or an older one.
enum Older {
    Base(CommitInfo),
    Placed(Stamp, Result<CommitInfo, String>),
}

/// Walks back from the period start until every slot in use at the period end that did not
/// change in the period is traced to the commit that introduced its image. One pass for all
/// of them: commits are read in batches, each batch diffed on both cores (entering only the
/// directories of files still to trace) and its changed blobs parsed together, then the
/// commits are taken one by one, newest first, exactly as a walk of one commit at a time
/// would take them; what a batch read beyond the last commit needed is dropped unrecorded.
fn trace_back(
    ctx: &mut Ctx,
    cache: &mut BlobCache,
    walk: &mut Walk<'_>,
    base: Option<CommitInfo>,
    mut slots: Vec<SlotHistory>,
) -> Vec<SlotHistory> {
    // Each slot's path and owner at the commit being looked at: at the period start, what
    // it was before the period's first rename of it.
    let mut idents: Vec<(String, Owner)> = slots
        .iter()
        .map(|s| match s.renamed.first() {
            Some(r) => (r.from_path.clone(), r.from.clone()),
            None => (s.path.clone(), s.owner.clone()),
        })
        .collect();
    let mut pending: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in slots.iter().enumerate() {
        if s.introduced.is_none() {
            pending.entry(idents[i].0.clone()).or_default().push(i);
        }
    }
    let Some(repo) = ctx.open() else {
        return slots;
    };
    let cut = walk.cut.as_ref().map(|c| c.id);
    let mut base = base;
    let mut oldest: Option<CommitInfo> = None;
    let mut size = TRACE_FIRST;
    'walk: while !pending.is_empty() {
        let mut batch: Vec<Older> = base.take().map(Older::Base).into_iter().collect();
        batch.extend(
            walk.older(size - batch.len())
                .into_iter()
                .map(|s| Older::Placed(s, walk.info(&s).map_err(|e| e.message().to_string()))),
        );
        if batch.is_empty() {
            break;
        }
        size = (size * 2).min(TRACE_MAX);
        let diffs = trace_diffs(ctx, &repo, &batch, cut, &pending);
        let changes: Vec<tree::Change> = diffs
            .iter()
            .flatten()
            .flat_map(|d| d.changes.iter().cloned())
            .collect();
        cache.fill(ctx, blobs_of(&changes), Check::ImagesOnly);
        // A slot followed back across a rename in this batch is then looked for at its
        // earlier path, which the batch's older commits were not diffed for: they are diffed
        // again.
        let mut moved = false;
        for (item, diff) in batch.into_iter().zip(diffs) {
            if pending.is_empty() {
                break 'walk;
            }
            let diff = if moved {
                let mut again = trace_diffs(ctx, &repo, std::slice::from_ref(&item), cut, &pending);
                let again = again.pop().unwrap_or(diff);
                if let Ok(d) = &again {
                    cache.fill(ctx, blobs_of(&d.changes), Check::ImagesOnly);
                }
                again
            } else {
                diff
            };
            let c = match item {
                Older::Base(c) => c,
                Older::Placed(s, read) => {
                    walk.note(&s);
                    match read {
                        Ok(c) => c,
                        Err(message) => {
                            // The history cannot be read past it.
                            walk.broken.push((s.id, message));
                            break 'walk;
                        }
                    }
                }
            };
            oldest = Some(c.clone());
            if cut == Some(c.id) {
                // A shallow clone's first commit has parents that are not there: its tree is
                // not what it added.
                break 'walk;
            }
            let diff = match diff {
                Ok(d) => d,
                Err(e) => {
                    let p = unreadable_commit(ctx, &c, &e);
                    ctx.problems.push(p);
                    // The slots cannot be traced past a commit that cannot be read.
                    pending.clear();
                    break 'walk;
                }
            };
            let at = Traced {
                repo: &repo,
                commit: &c,
                diff: &diff,
            };
            moved |= trace_commit(ctx, cache, at, &mut pending, &mut slots, &mut idents);
        }
    }
    if let Some(oldest) = oldest {
        for i in pending.into_values().flatten() {
            slots[i].introduced = Some(Introduced::AtOrBefore {
                commit: oldest.id.to_string(),
                time: rfc3339(oldest.time),
            });
        }
    }
    slots
}

/// Every slot step of commit `c` over all its image files, as the timeline reads a
/// commit: files paired by git's rename detection, slots paired within each file, and the
/// same image removed in one file and added in another joined. Versions that cannot be read
/// give no steps; a commit whose changes cannot be read moved nothing that can be followed.
fn commit_steps(
    ctx: &Ctx,
    cache: &mut BlobCache,
    repo: &Objects,
    c: &CommitInfo,
) -> Vec<renames::Step> {
    let is_image_file = |p: &str| images::file_kind(p).is_some();
    let parent_tree = match c.parents.first() {
        Some(p) => match repo.commit(*p) {
            Ok(p) => Some(p.tree_id()),
            Err(_) => return Vec::new(),
        },
        None => return Vec::new(),
    };
    let Ok(diff) = tree::diff(repo, parent_tree, Some(c.tree), &is_image_file) else {
        return Vec::new();
    };
    let limit = ctx.options.max_blob_bytes;
    let moved = tree::renames(&diff.changes, &is_image_file, &|id| {
        read_blob(repo, id, limit)
    });
    let units = units(&diff.changes, &moved);
    let mut wanted = Vec::new();
    for u in &units {
        wanted.extend(u.old.map(|id| (id, u.from.to_string())));
        wanted.extend(u.new.map(|id| (id, u.path.to_string())));
    }
    cache.fill(ctx, wanted, Check::ImagesOnly);
    let mut steps = Vec::new();
    for u in &units {
        let old = cache.slots(u.old, u.from).unwrap_or_default();
        let new = match u.new {
            None => Arc::new(Vec::new()),
            Some(_) => match cache.slots(u.new, u.path) {
                Some(s) => s,
                None => continue,
            },
        };
        steps.extend(renames::steps(u.from, u.path, &old, &new));
    }
    renames::join_moves(steps)
}

/// Each commit of a batch diffed against its first parent, keeping the files still to trace
/// and entering only their directories, on both cores.
fn trace_diffs(
    ctx: &Ctx,
    repo: &Objects,
    batch: &[Older],
    cut: Option<Oid>,
    pending: &BTreeMap<String, Vec<usize>>,
) -> Diffs {
    let paths: HashSet<&str> = pending.keys().map(String::as_str).collect();
    let dirs: HashSet<&str> = pending
        .keys()
        .flat_map(|p| p.match_indices('/').map(move |(i, _)| &p[..=i]))
        .collect();
    let diff = |repo: &Objects, item: &Older| -> Result<tree::Diff, git2::Error> {
        let c = match item {
            Older::Base(c) | Older::Placed(_, Ok(c)) => c,
            Older::Placed(_, Err(_)) => return Ok(tree::Diff::default()),
        };
        if cut == Some(c.id) {
            return Ok(tree::Diff::default());
        }
        let parent = match c.parents.first() {
            Some(p) => Some(repo.commit(*p)?.tree_id()),
            None => None,
        };
        tree::diff_within(repo, parent, Some(c.tree), &|x| paths.contains(x), &|d| {
            dirs.contains(d)
        })
    };
    if batch.len() < 32 {
        return batch.iter().map(|item| diff(repo, item)).collect();
    }
    let chunk = batch.len().div_ceil(rayon::current_num_threads().max(1));
    batch
        .par_chunks(chunk)
        .flat_map_iter(|chunk| {
            let repo = ctx.open();
            chunk
                .iter()
                .map(|item| match &repo {
                    Some(repo) => diff(repo, item),
                    None => Err(git2::Error::from_str("cannot open the repository")),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The blobs, old and new, of a diff's changes, for the cache.
fn blobs_of(changes: &[tree::Change]) -> Vec<(Oid, String)> {
    changes
        .iter()
        .flat_map(|ch| {
            [ch.old, ch.new]
                .into_iter()
                .flatten()
                .map(|id| (id, ch.path.clone()))
        })
        .collect()
}

/// A commit the walk back is at, and its diff for the files still to trace.
struct Traced<'a> {
    repo: &'a Objects,
    commit: &'a CommitInfo,
    diff: &'a tree::Diff,
}

/// Dates the pending slots that a commit changed, and follows the ones it renamed or moved
/// back to their earlier path and owner (`idents`); true when one is now looked for at
/// another path.
fn trace_commit(
    ctx: &mut Ctx,
    cache: &mut BlobCache,
    at: Traced<'_>,
    pending: &mut BTreeMap<String, Vec<usize>>,
    slots: &mut [SlotHistory],
    idents: &mut [(String, Owner)],
) -> bool {
    let Traced {
        repo,
        commit: c,
        diff,
    } = at;
    for u in &diff.unreadable {
        let p = unreadable_tree(ctx, c, u, false);
        ctx.problems.push(p);
        // Nor past a directory that cannot be read: they were set at or before it.
        let under: Vec<String> = pending
            .keys()
            .filter(|p| p.starts_with(&u.dir))
            .cloned()
            .collect();
        for path in under {
            for i in pending.remove(&path).unwrap_or_default() {
                slots[i].introduced = Some(Introduced::AtOrBefore {
                    commit: c.id.to_string(),
                    time: rfc3339(c.time),
                });
            }
        }
    }
    // Every slot step of this commit (renames, moves across files), read only when a
    // pending slot is not found where it was: at most once per commit.
    let mut steps: Option<Vec<renames::Step>> = None;
    let mut repath: Vec<usize> = Vec::new();
    for ch in &diff.changes {
        let Some(indexes) = pending.remove(&ch.path) else {
            continue;
        };
        let old = cache.slots(ch.old, &ch.path).unwrap_or_default();
        let new = cache.slots(ch.new, &ch.path);
        let mut kept = Vec::new();
        let before = renames::Before::new(&old, new.as_deref().map(Vec::as_slice));
        for i in indexes {
            let owner = idents[i].1.clone();
            let mut was = before.of(&owner).map(|o| (ch.path.clone(), o.clone()));
            if was.is_none() {
                let steps = steps.get_or_insert_with(|| commit_steps(ctx, cache, repo, c));
                was = steps
                    .iter()
                    .find(|s| s.path == ch.path && s.new.as_ref().is_some_and(|n| n.owner == owner))
                    .and_then(|s| s.old.clone().map(|o| (s.from.clone(), o)));
            }
            match was {
                Some((from, o)) if o.image == slots[i].image => {
                    if o.owner != owner || from != ch.path {
                        // Renamed or moved by this commit: the slot's history goes on
                        // under its earlier name.
                        slots[i].renamed.insert(
                            0,
                            Renamed {
                                commit: c.id.to_string(),
                                time: rfc3339(c.time),
                                from_path: from.clone(),
                                from: o.owner.clone(),
                            },
                        );
                        idents[i] = (from, o.owner);
                    }
                    if idents[i].0 == ch.path {
                        kept.push(i);
                    } else {
                        repath.push(i);
                    }
                }
                _ => {
                    slots[i].introduced = Some(Introduced::At {
                        commit: c.id.to_string(),
                        time: rfc3339(c.time),
                    });
                }
            }
        }
        if !kept.is_empty() {
            pending.insert(ch.path.clone(), kept);
        }
    }
    let moved = !repath.is_empty();
    for i in repath {
        pending.entry(idents[i].0.clone()).or_default().push(i);
    }
    moved
}

fn broken_history(ctx: &Ctx, id: Oid, message: &str) -> Problem {
    Problem::new(
        ProblemLevel::Error,
        &ctx.source_id,
        format!(
            "{}@{}",
            ctx.name,
            if id.is_zero() {
                "?".to_string()
            } else {
                short(id)
            }
        ),
        format!("cannot read commit {id}: {message}; the history before it was not read"),
    )
    .hint("run `git fsck` on the repository; a re-clone restores missing or corrupt objects")
}

/// The commits at the tip made after `--as-of`, which are not read.
fn made_after_as_of(ctx: &Ctx, walk: &Walk) -> Option<Problem> {
    let (newest, newest_time) = *walk.after_as_of.first()?;
    let (oldest, oldest_time) = *walk.after_as_of.last()?;
    let n = walk.after_as_of.len();
    let which = if n == 1 {
        format!(
            "1 commit ({} at {}) at the tip of {} is",
            short(newest),
            rfc3339(walk::at(newest_time)),
            ctx.options.reference
        )
    } else {
        format!(
            "{n} commits (the newest {} at {}, the oldest {} at {}) at the tip of {} are",
            short(newest),
            rfc3339(walk::at(newest_time)),
            short(oldest),
            rfc3339(walk::at(oldest_time)),
            ctx.options.reference
        )
    };
    let from = match walk.start_commit() {
        Some(id) => format!("the history is read from {}", short(id)),
        None => "no commit of the history is dated at or before it".to_string(),
    };
    Some(
        Problem::new(
            ProblemLevel::Note,
            &ctx.source_id,
            format!("{}@{}", ctx.name, ctx.options.reference),
            format!(
                "{which} dated after --as-of ({}): made after the date the report speaks \
                 for, not read; {from}",
                rfc3339(ctx.options.as_of)
            ),
        )
        .hint(
            "give a later --as-of to include them; a commit dated in the future by mistake \
             is read once a commit dated before --as-of is made on top of it",
        ),
    )
}

/// A commit counted at another time than its committer time.
fn replaced_time(ctx: &Ctx, s: &Stamp, as_of: DateTime<Utc>) -> Problem {
    let committed = rfc3339(walk::at(s.committed));
    let effective = rfc3339(walk::at(s.effective));
    let message = match s.parent {
        None => format!(
            "commit {} has committer time {committed}, after --as-of ({}), and no parent to \
             count from: it is counted at {effective}, before every other commit",
            s.id,
            rfc3339(as_of)
        ),
        Some(parent) if walk::at(s.committed) > as_of => format!(
            "commit {} has committer time {committed}, after --as-of ({}): it is counted at \
             {effective}, the time of its parent {}",
            s.id,
            rfc3339(as_of),
            short(parent)
        ),
        Some(parent) => format!(
            "commit {} has committer time {committed}, before its parent {} landed: it is \
             counted at {effective}, its parent's time",
            s.id,
            short(parent)
        ),
    };
    Problem::new(
        ProblemLevel::Warning,
        &ctx.source_id,
        format!("{}@{}", ctx.name, short(s.id)),
        message,
    )
    .hint(
        "a commit counts from when it landed, never before its parent nor after --as-of; a \
         back-dated or future-dated commit can hide changes from a period: ask who pushed it",
    )
}

/// A directory whose tree could not be read, at the period end or in one commit's changes.
fn unreadable_tree(ctx: &Ctx, c: &CommitInfo, u: &tree::Unreadable, at_end: bool) -> Problem {
    let what = if at_end {
        format!(
            "the files under `{}` at the period end (commit {}) were not read, the rest were",
            u.dir,
            c.short()
        )
    } else {
        format!(
            "what commit {} ({}) changed under `{}` was not assessed, the rest was",
            c.short(),
            rfc3339(c.time),
            u.dir
        )
    };
    Problem::new(
        ProblemLevel::Error,
        &ctx.source_id,
        ctx.locator(c.id, &u.dir),
        format!("{}; {what}", u.message),
    )
    .hint("run `git fsck` on the repository; a re-clone restores missing or corrupt objects")
}

fn unreadable_commit(ctx: &Ctx, c: &CommitInfo, e: &git2::Error) -> Problem {
    Problem::new(
        ProblemLevel::Error,
        &ctx.source_id,
        format!("{}@{}", ctx.name, c.short()),
        format!(
            "cannot read the changes of commit {} ({}): {}; its changes were not assessed, the \
             other commits were",
            c.id,
            rfc3339(c.time),
            e.message()
        ),
    )
    .hint("run `git fsck` on the repository; a re-clone restores missing or corrupt objects")
}

fn invalid_yaml(ctx: &Ctx, c: &CommitInfo, path: &str, line: u32, message: &str) -> Problem {
    Problem::new(
        ProblemLevel::Warning,
        &ctx.source_id,
        format!("{}:{line}", ctx.locator(c.id, path)),
        format!(
            "YAML does not parse at commit {} ({}): {message}; this version of the file was \
             skipped, the timeline goes on from the last version that parsed",
            c.short(),
            rfc3339(c.time)
        ),
    )
    .hint("image changes in this version of the file are not in the timeline")
}

fn skipped_file(ctx: &Ctx, c: &CommitInfo, path: &str, why: &str) -> Problem {
    Problem::new(
        ProblemLevel::Warning,
        &ctx.source_id,
        ctx.locator(c.id, path),
        format!("{why} (commit {}, {})", c.short(), rfc3339(c.time)),
    )
    .hint("this version of the file was not read; save manifests as UTF-8 text")
}

fn submodule(ctx: &Ctx, c: &CommitInfo, path: &str) -> Problem {
    Problem::new(
        ProblemLevel::Note,
        &ctx.source_id,
        ctx.locator(c.id, path),
        format!("`{path}` is a submodule: noted, not followed"),
    )
    .hint("pass the submodule's own repository with another --repo to assess it")
}

fn shallow(ctx: &Ctx, cut: &CommitInfo, period: &Period) -> Problem {
    let covers = cut.time <= period.start;
    let message = if covers {
        format!(
            "shallow clone: the history is cut at commit {} ({}); the period is covered, but \
             images older than that are dated at or before it",
            cut.id,
            rfc3339(cut.time)
        )
    } else {
        format!(
            "shallow clone: the history is cut at commit {} ({}), after the period start ({}): \
             changes before it are missing from the timeline",
            cut.id,
            rfc3339(cut.time),
            rfc3339(period.start)
        )
    };
    Problem::new(
        if covers {
            ProblemLevel::Note
        } else {
            ProblemLevel::Warning
        },
        &ctx.source_id,
        format!("{}@{}", ctx.name, cut.short()),
        message,
    )
    .hint("fetch more history (`git fetch --shallow-since=DATE` or `--unshallow`)")
}

/// A progress bar on stderr while a long history is read, only on a terminal.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(wanted: bool) -> Self {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar
        });
        Progress { bar }
    }

    fn walking(&self) {
        if let Some(b) = &self.bar {
            b.set_message("reading commits");
        }
    }

    fn walked(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
            if b.position() % 1024 == 0 {
                b.tick();
            }
        }
    }

    fn diffing(&self, n: usize) {
        self.stage(n, "diffing commits");
    }

    fn diffed(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    fn parsing(&self, n: usize) {
        self.stage(n, "reading changed files");
    }

    fn stage(&self, n: usize, message: &'static str) {
        if let Some(b) = &self.bar {
            b.set_style(
                indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_length(n as u64);
            b.set_position(0);
            b.set_message(message);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stripped_from_remote_urls() {
        assert_eq!(
            strip_credentials("https://ci:s3cret@git.example.com/ops/gitops.git"),
            "https://git.example.com/ops/gitops.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:acme/gitops.git"),
            "git@github.com:acme/gitops.git"
        );
        assert_eq!(strip_credentials("ssh://git@host:22/x"), "ssh://host:22/x");
    }
}
