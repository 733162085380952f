//! GitOps deployers in a cluster, and the desired state read from a repository for it.
//!
//! A [`Deployer`] is a Flux `Kustomization` (kustomize.toolkit.fluxcd.io) or an Argo CD
//! `Application` (argoproj.io) read from a cluster: which repository it pulls (the URL of
//! the Flux `GitRepository` it names, or the Application's `repoURL`), which path of it, into
//! which namespace, and the revision it reports as applied (`status.lastAppliedRevision`,
//! `status.sync.revision`). [`read`] takes a cluster's objects and gives its deployers;
//! the Git collector loads the manifests at each revision they name ([`Baseline`]), and
//! `live-matches-git` compares them with what runs. Both read the deployers here, so they
//! cannot disagree on which commit a cluster should run.

use serde_json::Value;

use crate::evidence::object::Object;

/// The GitOps tool of a deployer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    Flux,
    ArgoCd,
}

/// A Flux Kustomization or Argo CD Application of a cluster (one per source of an
/// Application with several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployer {
    pub tool: Tool,
    /// The cluster source it was read from.
    pub source: String,
    /// `Kustomization flux-system/apps`.
    pub describes: String,
    /// Its evidence record.
    pub evidence: String,
    /// The repository URL it pulls, when the cluster says (the Flux GitRepository may not be
    /// in the input).
    pub repo_url: Option<String>,
    /// The path of the repository it applies, without `./` (empty: the root).
    pub path: String,
    /// The namespace it puts objects without one into.
    pub target_namespace: Option<String>,
    /// The revision as the object reports it (`main@sha1:0a1b...`).
    pub revision_text: Option<String>,
    /// The commit id in it (40 hex digits), when there is one.
    pub commit: Option<String>,
}

/// Flux's and Argo CD's API groups.
pub const FLUX_KUSTOMIZE: &str = "kustomize.toolkit.fluxcd.io";
pub const FLUX_SOURCE: &str = "source.toolkit.fluxcd.io";
pub const ARGO: &str = "argoproj.io";

/// Whether `object` is one [`read`] reads.
pub fn is_deployer(object: &Object) -> bool {
    matches!(
        (object.group(), object.kind.as_str()),
        (FLUX_KUSTOMIZE, "Kustomization") | (ARGO, "Application")
    )
}

/// The deployers among the objects of the source `source`.
pub fn read(objects: &[Object], source: &str) -> Vec<Deployer> {
    let of_source = || objects.iter().filter(move |o| o.source == source);
    let git_url = |namespace: &str, name: &str| {
        of_source()
            .find(|o| {
                o.group() == FLUX_SOURCE
                    && o.kind == "GitRepository"
                    && o.meta.name == name
                    && o.meta.namespace.as_deref() == Some(namespace)
            })
            .and_then(|o| text(&o.value(), "/spec/url"))
    };
    let mut out = Vec::new();
    for o in of_source().filter(|o| is_deployer(o)) {
        let value = o.value();
        let namespace = o.meta.namespace.clone().unwrap_or_default();
        let base =
            |tool, repo_url, path: Option<String>, target, revision: Option<String>| Deployer {
                tool,
                source: o.source.clone(),
                describes: o.display_name(),
                evidence: o.evidence.clone(),
                repo_url,
                path: clean_path(path.as_deref().unwrap_or("")),
                target_namespace: target,
                commit: revision.as_deref().and_then(commit_in),
                revision_text: revision,
            };
        if o.kind == "Kustomization" {
            let source_kind = text(&value, "/spec/sourceRef/kind");
            if source_kind.as_deref().is_some_and(|k| k != "GitRepository") {
                // An OCIRepository or Bucket: no Git revision to compare with.
                continue;
            }
            let source_ns = text(&value, "/spec/sourceRef/namespace").unwrap_or(namespace.clone());
            let url = text(&value, "/spec/sourceRef/name").and_then(|n| git_url(&source_ns, &n));
            out.push(base(
                Tool::Flux,
                url,
                text(&value, "/spec/path"),
                text(&value, "/spec/targetNamespace"),
                text(&value, "/status/lastAppliedRevision"),
            ));
        } else {
            let target = text(&value, "/spec/destination/namespace");
            match value.pointer("/spec/sources").and_then(Value::as_array) {
                Some(sources) => {
                    let revisions = value
                        .pointer("/status/sync/revisions")
                        .and_then(Value::as_array);
                    for (i, s) in sources.iter().enumerate() {
                        if s.get("chart").is_some() {
                            continue;
                        }
                        let revision = revisions
                            .and_then(|r| r.get(i))
                            .and_then(Value::as_str)
                            .map(str::to_string);
                        out.push(base(
                            Tool::ArgoCd,
                            text(s, "/repoURL"),
                            text(s, "/path"),
                            target.clone(),
                            revision,
                        ));
                    }
                }
                None => {
                    if value.pointer("/spec/source/chart").is_some() {
                        continue;
                    }
                    out.push(base(
                        Tool::ArgoCd,
                        text(&value, "/spec/source/repoURL"),
                        text(&value, "/spec/source/path"),
                        target,
                        text(&value, "/status/sync/revision"),
                    ));
                }
            }
        }
    }
    out
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `./apps/prod/` → `apps/prod`; `./` → ``.
pub fn clean_path(path: &str) -> String {
    let mut p = path.trim();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.trim_start_matches('/')
        .trim_end_matches('/')
        .trim_start_matches('.')
        .to_string()
}

/// The commit id a revision names: Flux's `main@sha1:<id>` or older `main/<id>`, Argo CD's
/// bare `<id>`.
pub fn commit_in(revision: &str) -> Option<String> {
    let tail = revision.rsplit([':', '/', '@']).next().unwrap_or(revision);
    (tail.len() == 40 && tail.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| tail.to_ascii_lowercase())
}

/// A repository URL without scheme, credentials, `.git` and trailing slash, with scp-like
/// `git@host:org/repo` as `host/org/repo`: two spellings of one repository compare equal.
pub fn normalize_url(url: &str) -> String {
    let mut u = url.trim();
    if let Some((_, rest)) = u.split_once("://") {
        u = rest;
    }
    let u = match u.split_once('@') {
        Some((user, rest)) if !user.contains('/') => rest,
        _ => u,
    };
    let u = match u.split_once(':') {
        // scp-like `host:path` (not a port: a port is digits followed by `/`).
        Some((host, path)) if !path.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("{host}/{path}")
        }
        _ => u.to_string(),
    };
    u.trim_end_matches('/')
        .trim_end_matches(".git")
        .to_ascii_lowercase()
}

/// Whether `deployer` pulls the repository whose identity (its origin URL, else its
/// directory name) is `identity`, out of `repos` repositories given. Without a URL on
/// either side the only repository given is taken to be the one (and the check says so).
pub fn pulls(deployer: &Deployer, identity: &str, repos: usize) -> bool {
    match &deployer.repo_url {
        Some(url) if identity.contains('/') || identity.contains(':') => {
            normalize_url(url) == normalize_url(identity)
        }
        _ => repos == 1,
    }
}

/// When a cluster or snapshot source says it was collected (RFC 3339), if it says.
pub fn collected_at(source: &crate::evidence::record::Source) -> Option<&str> {
    source.details.get("collected_at").map(String::as_str)
}

/// The manifests of one repository at one commit, as the Git collector read them for a
/// cluster to be compared with.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    /// The repository source.
    pub repo: String,
    /// What was asked for: a commit id, or `@<RFC 3339>` for the ref's tip at that time.
    pub requested: String,
    /// The commit read (40 hex digits), when it could be.
    pub commit: Option<String>,
    /// When that commit landed (RFC 3339).
    pub committed_at: Option<String>,
    /// Its objects (their evidence records are in the inventory's records).
    pub objects: Vec<Object>,
    /// Why the commit could not be read (not in the repository, unreadable).
    pub error: Option<String>,
}

/// The `requested` key of the ref's tip at `time`.
pub fn at_time(time: &str) -> String {
    format!("@{time}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_name_their_commit() {
        let id = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
        for text in [
            format!("main@sha1:{id}"),
            format!("main/{id}"),
            id.to_string(),
            format!("refs/heads/main@sha1:{}", id.to_uppercase()),
        ] {
            assert_eq!(commit_in(&text).as_deref(), Some(id), "{text}");
        }
        assert_eq!(commit_in("v1.2.3@sha256:abcd"), None);
        assert_eq!(commit_in("main"), None);
    }

    #[test]
    fn urls_of_one_repository_compare_equal() {
        let want = "github.com/acme/gitops";
        for url in [
            "https://github.com/acme/gitops.git",
            "https://token@github.com/acme/gitops/",
            "ssh://git@github.com/acme/gitops",
            "git@github.com:acme/gitops.git",
        ] {
            assert_eq!(normalize_url(url), want, "{url}");
        }
        assert_eq!(
            normalize_url("https://git.example.com:8443/a/b"),
            "git.example.com:8443/a/b"
        );
    }

    fn object(value: serde_json::Value) -> Object {
        let meta = serde_json::from_value(value["metadata"].clone()).unwrap();
        Object {
            api_version: value["apiVersion"].as_str().unwrap().into(),
            kind: value["kind"].as_str().unwrap().into(),
            meta,
            json: crate::evidence::object::canonical_text(&value),
            evidence: format!("ev-{}", value["metadata"]["name"].as_str().unwrap()),
            source: "cluster:prod".into(),
            origin: Default::default(),
            managers: None,
        }
    }

    #[test]
    fn flux_and_argo_cd_objects_say_what_they_applied_from_where() {
        let id = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
        let objects = vec![
            object(
                serde_json::json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "fleet", "namespace": "flux-system"},
                "spec": {"url": "https://github.com/acme/fleet"}}),
            ),
            object(
                serde_json::json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": "apps", "namespace": "flux-system"},
                "spec": {"path": "./apps/prod", "targetNamespace": "shop",
                    "sourceRef": {"kind": "GitRepository", "name": "fleet"}},
                "status": {"lastAppliedRevision": format!("main@sha1:{id}")}}),
            ),
            object(
                serde_json::json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": "oci", "namespace": "flux-system"},
                "spec": {"path": "./", "sourceRef": {"kind": "OCIRepository", "name": "x"}}}),
            ),
            object(
                serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                "metadata": {"name": "web", "namespace": "argocd"},
                "spec": {"destination": {"namespace": "web"}, "sources": [
                    {"repoURL": "git@github.com:acme/web.git", "path": "deploy"},
                    {"repoURL": "https://charts.example.com", "chart": "redis"}]},
                "status": {"sync": {"revisions": [id, "18.1.0"]}}}),
            ),
        ];
        let found = read(&objects, "cluster:prod");
        type Seen<'a> = (
            Tool,
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
        );
        let summary: Vec<Seen<'_>> = found
            .iter()
            .map(|d| {
                (
                    d.tool,
                    d.repo_url.as_deref(),
                    d.path.as_str(),
                    d.target_namespace.as_deref(),
                    d.commit.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    Tool::Flux,
                    Some("https://github.com/acme/fleet"),
                    "apps/prod",
                    Some("shop"),
                    Some(id)
                ),
                (
                    Tool::ArgoCd,
                    Some("git@github.com:acme/web.git"),
                    "deploy",
                    Some("web"),
                    Some(id)
                ),
            ]
        );
        assert!(pulls(&found[1], "ssh://git@github.com/acme/web", 2));
        assert!(!pulls(&found[0], "https://github.com/acme/web", 2));
        assert!(read(&objects, "cluster:other").is_empty());
    }

    #[test]
    fn paths_lose_their_dot_slash() {
        assert_eq!(clean_path("./clusters/prod/"), "clusters/prod");
        assert_eq!(clean_path("./"), "");
        assert_eq!(clean_path("apps"), "apps");
    }
}
