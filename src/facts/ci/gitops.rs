//! GitOps facts of a repository: the Flux and Argo CD objects and the manifests it holds.
//!
//! A repository that an in-cluster agent pulls from is deployed by replacement without any
//! pipeline running `kubectl`: the agent applies the manifests, and the controllers replace
//! the pods. What counts: Flux `Kustomization` (kustomize.toolkit.fluxcd.io), `HelmRelease`
//! (helm.toolkit.fluxcd.io), image automation objects (image.toolkit.fluxcd.io), Argo CD
//! `Application` and `ApplicationSet` (argoproj.io); and as manifests, workload objects
//! (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod), `kustomization.yaml`
//! files and Helm charts (`Chart.yaml`). Objects come from the inventory (the manifest loader
//! ran over the repository) or, when it holds none for the repository, from its YAML files.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::base::yaml::{parse_document, split_documents};
use crate::evidence::inventory::Inventory;
use crate::evidence::workload_kinds;

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct GitOps {
    /// Flux and Argo CD objects, as `Kind name (path:line)`.
    pub agents: Vec<AgentObject>,
    /// Files holding workload objects.
    pub workload_files: Vec<String>,
    pub kustomizations: Vec<String>,
    pub helm_charts: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct AgentObject {
    pub tool: &'static str,
    pub kind: String,
    pub name: String,
    pub path: Option<String>,
    pub line: Option<u32>,
}

impl GitOps {
    pub fn holds_manifests(&self) -> bool {
        !self.workload_files.is_empty()
            || !self.kustomizations.is_empty()
            || !self.helm_charts.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        self.agents.is_empty() && !self.holds_manifests()
    }
}

/// Which GitOps agent an object belongs to, if any.
pub fn agent(api_version: &str, kind: &str) -> Option<&'static str> {
    let group = api_version.split('/').next().unwrap_or("");
    match (group, kind) {
        ("kustomize.toolkit.fluxcd.io", "Kustomization")
        | ("helm.toolkit.fluxcd.io", "HelmRelease")
        | ("image.toolkit.fluxcd.io", "ImageUpdateAutomation" | "ImagePolicy") => Some("Flux"),
        ("argoproj.io", "Application" | "ApplicationSet") => Some("Argo CD"),
        _ => None,
    }
}

pub fn find(source: &str, inventory: &Inventory) -> GitOps {
    let mut g = GitOps::default();
    let mut workload_files = BTreeSet::new();
    let objects: Vec<_> = inventory
        .objects
        .iter()
        .filter(|o| o.source == source)
        .collect();
    let kinds = workload_kinds::table();
    for o in &objects {
        if let Some(tool) = agent(&o.api_version, &o.kind) {
            g.agents.push(AgentObject {
                tool,
                kind: o.kind.clone(),
                name: o.meta.name.clone(),
                path: o.origin.path.clone(),
                line: o.origin.line,
            });
        } else if kinds.find(&o.api_version, &o.kind).is_some() {
            workload_files.insert(o.origin.path.clone().unwrap_or_else(|| o.display_name()));
        }
    }
    for f in inventory
        .files
        .iter()
        .filter(|f| f.source == source && !f.earlier)
    {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        match name {
            "kustomization.yaml" | "kustomization.yml" | "Kustomization" => {
                g.kustomizations.push(f.path.clone())
            }
            "Chart.yaml" => g.helm_charts.push(f.path.clone()),
            _ if objects.is_empty() && (name.ends_with(".yaml") || name.ends_with(".yml")) => {
                scan_file(&f.path, &f.text, &mut g, &mut workload_files)
            }
            _ => {}
        }
    }
    g.workload_files = workload_files.into_iter().collect();
    g.agents.sort();
    g.agents.dedup();
    g
}

/// Reads a YAML file's documents for agent and workload objects (when the manifest loader
/// did not run over the repository).
fn scan_file(path: &str, text: &str, g: &mut GitOps, workload_files: &mut BTreeSet<String>) {
    if !text.contains("apiVersion")
        || !text.contains("kind")
        || crate::evidence::file_kinds::is_tekton(text)
    {
        return;
    }
    for doc in split_documents(text) {
        let Ok(value) = parse_document(&doc) else {
            continue;
        };
        let api_version = value
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let kind = value.get("kind").and_then(|v| v.as_str()).unwrap_or("");
        if let Some(tool) = agent(api_version, kind) {
            let name = value
                .pointer("/metadata/name")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            g.agents.push(AgentObject {
                tool,
                kind: kind.to_string(),
                name,
                path: Some(path.to_string()),
                line: Some(doc.content_line),
            });
        } else if !api_version.is_empty()
            && workload_kinds::table().find(api_version, kind).is_some()
        {
            workload_files.insert(path.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::snapshot;

    #[test]
    fn agents_and_workloads_from_loaded_objects() {
        let mut inventory = snapshot::from_text(
            "clusters/prod/apps.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: shop, namespace: argocd}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec: {template: {spec: {containers: [{name: c, image: x:1}]}}}\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: redis}\n",
        );
        for o in &mut inventory.objects {
            o.source = "repo:gitops".into();
        }
        let g = find("repo:gitops", &inventory);
        let agents: Vec<(&str, &str)> =
            g.agents.iter().map(|a| (a.tool, a.kind.as_str())).collect();
        assert_eq!(
            agents,
            [("Argo CD", "Application"), ("Flux", "HelmRelease")]
        );
        assert_eq!(g.workload_files.len(), 1);
        assert!(find("repo:other", &inventory).is_empty());
    }
}
