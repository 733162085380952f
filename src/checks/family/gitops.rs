//! What the Git-to-live checks share: the config of who deploys (`gitops:`), the
//! `--repo-path` mapping, and how a cluster's workloads are named in both places.
//!
//! `no-manual-edits` judges field managers by name against [`GitopsSettings::deploying_agents`];
//! `live-matches-git` skips [`GitopsSettings::unmanaged_namespaces`] and reads the
//! repository paths of [`RepoPath`]. Both name a cluster object by its API path
//! ([`api_path`]), so the same workload reads the same in both checks' findings.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::evidence::object::Object;

/// `gitops:` in the config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct GitopsSettings {
    /// Field managers that deploy from Git or a release process: their writes to a pod
    /// template pass `no-manual-edits`.
    pub deploying_agents: Vec<String>,
    /// Namespaces not deployed from Git (the cluster's own, an operator's): their workloads
    /// are not listed by `live-matches-git` as missing from the repositories.
    pub unmanaged_namespaces: Vec<String>,
}

/// The default deploying agents: Flux's, Helm's (its CLI and Flux's controller) and Argo
/// CD's field managers.
pub const DEFAULT_DEPLOYING_AGENTS: [&str; 4] = [
    "kustomize-controller",
    "helm-controller",
    "argocd-controller",
    "helm",
];

/// The namespaces every cluster has that nobody deploys from Git.
pub const DEFAULT_UNMANAGED_NAMESPACES: [&str; 3] =
    ["kube-system", "kube-public", "kube-node-lease"];

impl Default for GitopsSettings {
    fn default() -> Self {
        GitopsSettings {
            deploying_agents: DEFAULT_DEPLOYING_AGENTS.map(String::from).to_vec(),
            unmanaged_namespaces: DEFAULT_UNMANAGED_NAMESPACES.map(String::from).to_vec(),
        }
    }
}

/// `--repo-path CONTEXT=PATH`: the path of the repositories a cluster (by its context; a
/// snapshot without one is `snapshot`) should be running, when no Flux or Argo CD object
/// says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoPath {
    pub context: String,
    /// Without `./` or a trailing `/`; empty for the whole repository.
    pub path: String,
}

impl RepoPath {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once('=') {
            Some((context, path)) if !context.trim().is_empty() => Ok(RepoPath {
                context: context.trim().to_string(),
                path: crate::evidence::deployers::clean_path(path),
            }),
            _ => Err(format!(
                "`{text}` is not CONTEXT=PATH: write the cluster context, `=`, and the path in \
                 the repository (`prod-eu=clusters/prod`)"
            )),
        }
    }
}

/// The value parser of `--repo-path`.
pub fn parse_repo_path(text: &str) -> Result<RepoPath, String> {
    RepoPath::parse(text)
}

impl Serialize for RepoPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}={}", self.context, self.path))
    }
}

impl<'de> Deserialize<'de> for RepoPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        RepoPath::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `/apis/apps/v1/namespaces/shop/deployments/api`: an object of a cluster by its API path
/// (for a live object, where it was read; for one from a snapshot file, where it lives).
pub fn api_path(object: &Object) -> String {
    if let Some(path) = object
        .origin
        .path
        .as_deref()
        .filter(|p| p.starts_with("/api"))
    {
        return path.to_string();
    }
    let plural = crate::evidence::workload_kinds::table()
        .find(&object.api_version, &object.kind)
        .map(|r| r.plural.clone())
        .filter(|p| !p.is_empty())
        .or_else(|| crate::evidence::kinds::spec_of(&object.kind).map(|s| s.plural.to_string()))
        .unwrap_or_else(|| format!("{}s", object.kind.to_ascii_lowercase()));
    let prefix = if object.group().is_empty() {
        format!("/api/{}", object.api_version)
    } else {
        format!("/apis/{}", object.api_version)
    };
    match &object.meta.namespace {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{plural}/{}", object.meta.name),
        None => format!("{prefix}/{plural}/{}", object.meta.name),
    }
}

/// `cluster:prod-eu /apis/apps/v1/namespaces/shop/deployments/api`.
pub fn cluster_location(context: &str, object: &Object) -> String {
    format!("cluster:{context} {}", api_path(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_paths_are_context_and_path() {
        assert_eq!(
            RepoPath::parse("prod=./clusters/prod/").unwrap(),
            RepoPath {
                context: "prod".into(),
                path: "clusters/prod".into()
            }
        );
        assert!(RepoPath::parse("clusters/prod").is_err());
        assert!(RepoPath::parse("=x").is_err());
    }
}
