//! `live-matches-git`: every workload container of a cluster runs the image the repository
//! says it should, at the commit the cluster should be running.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Check, CheckContext, CheckMeta, object_finding};
use crate::checks::family::gitops::cluster_location;
use crate::evidence::deployers::{self, Baseline, Deployer};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::image::ImageRef;
use crate::evidence::inventory::KindStatus;
use crate::evidence::object::Object;
use crate::evidence::record::{Source, SourceKind};
use crate::facts::workloads::{Workload, WorkloadIndex};

crate::declare_check! {
    /// ## What it checks
    /// With a cluster (`--cluster` or `--snapshot`) and repositories (`--repo`), each workload
    /// container of the cluster runs the image reference its repository's manifest names (and
    /// the digest, when the repository pins one), at the commit the cluster should be running:
    /// the revision a Flux `Kustomization` or Argo CD `Application` in the cluster reports as
    /// applied, else the ref's tip when the cluster was collected. The repository path is the
    /// Flux or Argo CD object's path, else `--repo-path CONTEXT=PATH`, else every manifest of
    /// the repository. A container whose image differs fails; a workload of the cluster that
    /// no repository defines warns (unless its namespace is in `gitops: unmanaged-namespaces`,
    /// by default the cluster's own), and so does a workload of the repository that is not in
    /// the cluster. Each finding names both places: `cluster:CONTEXT /apis/...` and
    /// `repo@commit:path:line`.
    ///
    /// ## Why it matters
    /// The repository is the approved baseline; what runs must be it. An image set by hand, a
    /// rollback nobody committed or a deployment that stalled all show as a difference between
    /// the two, whatever the audit log or the field managers say (NIST CSF PR.PS-02.242 and
    /// deviation from the approved baseline).
    ///
    /// ## Evidence used
    /// The cluster's workloads; its Flux Kustomizations (with the GitRepository each pulls)
    /// and Argo CD Applications; the repositories' manifests at each commit, read and rendered
    /// (kustomizations) by the same loader as the rest of the repository.
    ///
    /// ## Example
    /// ```text
    /// cluster:prod /apis/apps/v1/namespaces/shop/deployments/api  app: registry.example.com/api:1.4.3-hotfix
    /// gitops@4b825dc642cb:apps/api/deployment.yaml:1              app: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - Flux: Kustomization status.lastAppliedRevision; Argo CD: Application status.sync
    pub struct LiveMatchesGit {
        id: "live-matches-git",
        title: "What runs in the cluster is what the repository holds",
        severity: High,
    }
}

/// The manifests one cluster should run from one repository: a baseline, the paths of it
/// that apply, and why.
struct Desired<'a> {
    baseline: &'a Baseline,
    /// Paths of the repository (empty: all of it).
    paths: Vec<String>,
    target_namespace: Option<String>,
    /// `the revision Kustomization flux-system/apps reports as applied (main@sha1:...)`.
    why: String,
}

/// A repository workload a cluster workload is compared with.
struct Wanted<'w, 'a> {
    workload: &'w Workload<'a>,
    namespace: Option<String>,
    desired: usize,
}

impl Check for LiveMatchesGit {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let inventory = ctx.inventory;
        let clusters: Vec<&Source> = inventory
            .sources
            .iter()
            .filter(|s| matches!(s.kind, SourceKind::Snapshot | SourceKind::Cluster))
            .collect();
        let repos = &ctx.facts.repositories;
        let mut missing = Vec::new();
        if clusters.is_empty() {
            missing.push("no cluster was given (--cluster or --snapshot)");
        }
        if repos.is_empty() {
            missing.push("no repository was given (--repo)");
        }
        if !missing.is_empty() {
            return vec![ctx.not_assessed(meta, nothing_to_compare(&missing))];
        }
        // Each baseline's workloads, read once.
        let indexes: Vec<WorkloadIndex<'_>> = inventory
            .baselines
            .iter()
            .map(|b| WorkloadIndex::build(&b.objects).0)
            .collect();
        let locators: HashMap<&str, &str> = inventory
            .records
            .iter()
            .map(|r| (r.id.as_str(), r.locator.as_str()))
            .collect();
        let mut out = Vec::new();
        let mut compared = 0usize;
        for cluster in clusters {
            compared += compare_cluster(ctx, meta, cluster, &indexes, &locators, &mut out);
        }
        if compared == 0 {
            out.push(ctx.not_assessed(meta, nothing_compared()));
        }
        out
    }
}

/// Compares one cluster with what it should run; gives how many containers were compared.
fn compare_cluster(
    ctx: &CheckContext<'_>,
    meta: &CheckMeta,
    cluster: &Source,
    indexes: &[WorkloadIndex<'_>],
    locators: &HashMap<&str, &str>,
    out: &mut Vec<Finding>,
) -> usize {
    let inventory = ctx.inventory;
    let repos = &ctx.facts.repositories;
    let context = cluster.identity.as_str();
    let deployers = deployers::read(&inventory.objects, &cluster.id);
    for kind in ["Kustomization", "GitRepository", "Application"] {
        if let Some(KindStatus::Forbidden { .. }) = inventory.coverage.kinds.get(kind) {
            out.push(ctx.not_assessed(
                meta,
                deployers_refused(&inventory.coverage.why_missing(kind)),
            ));
        }
    }
    let as_of = crate::base::timefmt::rfc3339(ctx.settings.as_of);
    let at = deployers::collected_at(cluster)
        .unwrap_or(&as_of)
        .to_string();
    let mut desired: Vec<Desired<'_>> = Vec::new();
    for repo in repos {
        let find = |requested: &str| {
            inventory
                .baselines
                .iter()
                .position(|b| b.repo == repo.id && b.requested == requested)
        };
        let pulling: Vec<&Deployer> = deployers
            .iter()
            .filter(|d| deployers::pulls(d, &repo.identity, repos.len()))
            .collect();
        if pulling.is_empty() {
            let Some(i) = find(&deployers::at_time(&at)) else {
                continue;
            };
            let paths: Vec<String> = ctx
                .settings
                .repo_paths
                .iter()
                .filter(|p| p.context == context)
                .map(|p| p.path.clone())
                .collect();
            let why = match paths.is_empty() {
                true => {
                    format!("the ref's tip when the cluster was collected, {at}; every manifest")
                }
                false => format!(
                    "the ref's tip when the cluster was collected, {at}; path {}, from --repo-path",
                    paths.join(", ")
                ),
            };
            desired.push(Desired {
                baseline: &inventory.baselines[i],
                paths,
                target_namespace: None,
                why,
            });
            continue;
        }
        for d in pulling {
            let object = inventory.objects.iter().find(|o| o.evidence == d.evidence);
            let Some(commit) = &d.commit else {
                if let Some(o) = object {
                    out.push(object_finding(meta, o, Status::NotAssessed, no_revision(d)));
                }
                continue;
            };
            let Some(i) = find(commit) else { continue };
            let baseline = &inventory.baselines[i];
            if let Some(error) = &baseline.error {
                if let Some(o) = object {
                    out.push(object_finding(
                        meta,
                        o,
                        Status::NotAssessed,
                        unreadable_revision(d, error),
                    ));
                }
                continue;
            }
            desired.push(Desired {
                baseline,
                paths: vec![d.path.clone()],
                target_namespace: d.target_namespace.clone(),
                why: format!(
                    "the revision {} reports as applied, {}; path {}",
                    d.describes,
                    d.revision_text.as_deref().unwrap_or(commit),
                    if d.path.is_empty() { "/" } else { &d.path }
                ),
            });
        }
    }
    if desired.is_empty() {
        return 0;
    }
    for d in &desired {
        if let Some(error) = &d.baseline.error {
            out.push(ctx.not_assessed(meta, unreadable_tip(&d.why, error)));
        }
    }

    // What the repositories define for this cluster, by kind, namespace and name.
    let mut wanted: Vec<Wanted<'_, '_>> = Vec::new();
    for (n, d) in desired.iter().enumerate() {
        let Some(i) = inventory
            .baselines
            .iter()
            .position(|b| std::ptr::eq(b, d.baseline))
        else {
            continue;
        };
        for w in indexes[i].assessed.iter() {
            if !under(w.object, &d.paths) {
                continue;
            }
            let namespace = w
                .object
                .meta
                .namespace
                .clone()
                .or(d.target_namespace.clone());
            wanted.push(Wanted {
                workload: w,
                namespace,
                desired: n,
            });
        }
    }
    let key = |o: &Object, ns: Option<&str>| {
        (
            o.group().to_string(),
            o.kind.clone(),
            ns.map(str::to_string),
            o.meta.name.clone(),
        )
    };
    let mut by_key: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for (i, w) in wanted.iter().enumerate() {
        by_key
            .entry(key(w.workload.object, w.namespace.as_deref()))
            .or_default()
            .push(i);
    }
    let mut matched: HashSet<usize> = HashSet::new();
    let mut compared = 0;
    let unmanaged = &ctx.settings.gitops.unmanaged_namespaces;
    let live: Vec<&Workload<'_>> = ctx
        .facts
        .workloads
        .assessed
        .iter()
        .filter(|w| w.object.source == cluster.id)
        // A workload an operator or another object generates is not deployed from Git.
        .filter(|w| {
            !w.object
                .meta
                .owner_references
                .iter()
                .any(|r| r.controller == Some(true))
        })
        .collect();
    for w in live {
        let o = w.object;
        let exact = by_key.get(&key(o, o.meta.namespace.as_deref()));
        // A manifest without a namespace, applied into the cluster's.
        let loose = || by_key.get(&key(o, None));
        let candidates = exact.or_else(loose).map_or(&[][..], Vec::as_slice);
        // A repository may define one workload in several places (plain manifests, a
        // kustomize base, a release file): the workload is compared with the definition
        // that agrees with what runs, else with the first, and none of them is "not running".
        matched.extend(candidates.iter().copied());
        let agrees = |i: &usize| {
            w.containers().all(|c| {
                wanted[*i]
                    .workload
                    .containers()
                    .find(|d| d.container.name == c.container.name && d.role == c.role)
                    .is_some_and(|d| {
                        same_image(
                            c.container.image.as_deref().unwrap_or(""),
                            d.container.image.as_deref().unwrap_or(""),
                        )
                    })
            })
        };
        let Some(&i) = candidates
            .iter()
            .find(|i| agrees(i))
            .or_else(|| candidates.first())
        else {
            let ns = o.meta.namespace.as_deref().unwrap_or("");
            if unmanaged.iter().any(|u| u == ns) {
                continue;
            }
            out.push(object_finding(
                meta,
                o,
                Status::Warn,
                not_in_git(&cluster_location(context, o), &desired),
            ));
            continue;
        };
        let want = &wanted[i];
        let repo_at = repo_location(want.workload.object, locators);
        let why = &desired[want.desired].why;
        for c in w.containers() {
            compared += 1;
            let theirs = want
                .workload
                .containers()
                .find(|d| d.container.name == c.container.name && d.role == c.role);
            let finding = match theirs {
                None => c.finding(
                    meta,
                    Status::Fail,
                    container_not_in_git(
                        &c.container.name,
                        &cluster_location(context, o),
                        &repo_at,
                        why,
                    ),
                ),
                Some(d) => {
                    let live_image = c.container.image.as_deref().unwrap_or("");
                    let git_image = d.container.image.as_deref().unwrap_or("");
                    let status = if same_image(live_image, git_image) {
                        Status::Pass
                    } else {
                        Status::Fail
                    };
                    c.finding(
                        meta,
                        status,
                        image_compared(
                            status,
                            &c.container.name,
                            live_image,
                            git_image,
                            &cluster_location(context, o),
                            &repo_at,
                            why,
                        ),
                    )
                    .detail("cluster_image", live_image)
                    .detail("repository_image", git_image)
                    .detail("repository_location", repo_at.clone())
                }
            };
            out.push(finding.evidence([want.workload.object.evidence.clone()]));
        }
    }
    // What the repositories define that the cluster does not run, for the kinds the cluster
    // was read for.
    let read_kinds: HashSet<&str> = inventory
        .objects
        .iter()
        .filter(|o| o.source == cluster.id)
        .map(|o| o.kind.as_str())
        .chain(inventory.listed.iter().map(String::as_str))
        .collect();
    for (i, w) in wanted.iter().enumerate() {
        if matched.contains(&i) || !read_kinds.contains(w.workload.object.kind.as_str()) {
            continue;
        }
        out.push(object_finding(
            meta,
            w.workload.object,
            Status::Warn,
            not_in_cluster(
                &repo_location(w.workload.object, locators),
                context,
                &desired[w.desired].why,
            ),
        ));
    }
    compared
}

/// Whether an object of a repository lies under one of `paths` (or came through a
/// kustomization there).
fn under(object: &Object, paths: &[String]) -> bool {
    if paths.is_empty() || paths.iter().any(String::is_empty) {
        return true;
    }
    let within = |p: &str, dir: &str| p == dir || p.starts_with(&format!("{dir}/"));
    paths.iter().any(|dir| {
        object
            .origin
            .path
            .as_deref()
            .is_some_and(|p| within(p, dir))
            || object.origin.via.as_deref().is_some_and(|v| within(v, dir))
    })
}

/// `gitops@4b825dc642cb:apps/api/deployment.yaml:12`.
fn repo_location(object: &Object, locators: &HashMap<&str, &str>) -> String {
    let at = locators
        .get(object.evidence.as_str())
        .and_then(|l| l.split_once(':'))
        .map_or(object.source.as_str(), |(at, _)| at);
    match (&object.origin.path, object.origin.line) {
        (Some(p), Some(l)) => format!("{at}:{p}:{l}"),
        (Some(p), None) => format!("{at}:{p}"),
        _ => at.to_string(),
    }
}

/// The same image: the same repository and tag, and the same digest when the repository
/// pins one. References that do not parse compare as written.
fn same_image(live: &str, git: &str) -> bool {
    match (ImageRef::parse(live), ImageRef::parse(git)) {
        (Ok(l), Ok(g)) => {
            let tag = |i: &ImageRef| i.tag.clone().unwrap_or_else(|| "latest".into());
            l.name() == g.name()
                && (g.digest.is_some() && g.tag.is_none() || tag(&l) == tag(&g))
                && g.digest
                    .as_ref()
                    .is_none_or(|d| l.digest.as_ref() == Some(d))
        }
        _ => live == git,
    }
}

// Wording.

fn nothing_to_compare(missing: &[&str]) -> String {
    format!(
        "{}: what runs is compared with a repository only when both a cluster and a repository \
         are given",
        missing.join(" and ")
    )
}

fn nothing_compared() -> String {
    "no workload container of the cluster could be compared with a repository's manifest \
     (none is defined in the repositories at the commits the cluster should run, or none was \
     read): nothing shows that what runs is what the repository holds"
        .into()
}

fn deployers_refused(why: &str) -> String {
    format!(
        "{why}: the revisions GitOps agents report as applied could not be read, so the cluster \
         is compared with the ref's tip when it was collected"
    )
}

fn no_revision(d: &Deployer) -> String {
    format!(
        "{} reports no applied revision (status.lastAppliedRevision or status.sync.revision) \
         with a commit id, so what it should run cannot be read",
        d.describes
    )
}

fn unreadable_revision(d: &Deployer, error: &str) -> String {
    format!(
        "{} reports {} as applied, which could not be read from the repository: {error}",
        d.describes,
        d.revision_text.as_deref().unwrap_or("a revision")
    )
}

fn unreadable_tip(why: &str, error: &str) -> String {
    format!("the repository could not be read at {why}: {error}")
}

fn not_in_git(cluster_at: &str, desired: &[Desired<'_>]) -> String {
    let commits: Vec<String> = desired
        .iter()
        .map(|d| {
            let commit = d
                .baseline
                .commit
                .as_deref()
                .map_or("?", |c| &c[..c.len().min(12)]);
            format!("@{commit} ({})", d.why)
        })
        .collect();
    format!(
        "{cluster_at} runs, but no repository defines it at {}: deployed by hand, or from \
         elsewhere; if its namespace is not deployed from Git, list it in gitops: \
         unmanaged-namespaces",
        crate::base::phrase::and_list(&commits)
    )
}

fn not_in_cluster(repo_at: &str, context: &str, why: &str) -> String {
    format!(
        "{repo_at} defines it ({why}), but it does not run in cluster:{context}: the deployment \
         did not reach the cluster, or it was deleted by hand"
    )
}

fn container_not_in_git(name: &str, cluster_at: &str, repo_at: &str, why: &str) -> String {
    format!(
        "container {name} runs at {cluster_at} but {repo_at} ({why}) defines no container of \
         that name"
    )
}

fn image_compared(
    status: Status,
    name: &str,
    live: &str,
    git: &str,
    cluster_at: &str,
    repo_at: &str,
    why: &str,
) -> String {
    if status == Status::Pass {
        format!("container {name} runs {live} at {cluster_at}, as {repo_at} defines ({why})")
    } else {
        format!(
            "container {name} runs {live} at {cluster_at}, but {repo_at} defines {git} ({why}): \
             what runs is not what the repository holds"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_compare_by_repository_tag_and_pinned_digest() {
        let d = "sha256:".to_string() + &"a".repeat(64);
        let e = "sha256:".to_string() + &"b".repeat(64);
        for (live, git, same) in [
            ("nginx:1.27", "docker.io/library/nginx:1.27", true),
            ("nginx", "nginx:latest", true),
            ("nginx:1.27", "nginx:1.28", false),
            (&format!("nginx:1.27@{d}"), "nginx:1.27", true),
            ("nginx:1.27", &format!("nginx:1.27@{d}"), false),
            (
                &format!("nginx:1.27@{e}"),
                &format!("nginx:1.27@{d}"),
                false,
            ),
            (&format!("nginx@{d}"), &format!("nginx@{d}"), true),
            ("registry.example.com/api:1", "api:1", false),
        ] {
            assert_eq!(same_image(live, git), same, "{live} vs {git}");
        }
    }
}
