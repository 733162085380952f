//! `--deployed-only`: which manifests of a repository something in it deploys.
//!
//! Takes the objects read from the tree at the period end (after the kustomize plan, so an
//! object a kustomization renders carries its top level in `origin.via`) and the paths of
//! that tree, and gives [`Deployed`]: the files and directories a root reaches. Roots are a
//! top-level kustomization (one no other includes: the kustomize plan of
//! [`crate::collect::kustomize`] already renders exactly what those reach), a Flux
//! `Kustomization` (`spec.path`, every manifest under it, as Flux generates a kustomization
//! for a directory without one), a Flux `HelmRelease` whose chart comes from a
//! `GitRepository` path, an Argo CD `Application` (`spec.source.path`,
//! `spec.sources[].path`; the directory's own files unless `directory.recurse`) and an
//! `ApplicationSet` (its template's source path, or where it is templated, the directories
//! its Git directory generators match). A directory that holds a kustomization is deployed
//! as that kustomization renders it; one that holds a `Chart.yaml` whole. The files that
//! hold the Flux and Argo CD roots are deployed themselves: they are what is applied.
//! Sources other than Git (an OCI repository, a Helm repository) and remote repositories are
//! not followed: their manifests are not in this repository.

use std::collections::HashSet;

use serde_json::Value;

use super::ScopeGlob;
use crate::collect::kustomize::FILE_NAMES;
use crate::evidence::object::Object;

/// What the roots of one repository deploy.
#[derive(Debug, Default)]
pub struct Deployed {
    files: HashSet<String>,
    /// Directories (no trailing slash; empty for the root) and whether their subdirectories
    /// are deployed too.
    dirs: Vec<(String, bool)>,
    /// How many roots were found.
    pub roots: usize,
    /// Roots whose path could not be resolved: `(file, sentence)`.
    pub unresolved: Vec<(String, String)>,
}

impl Deployed {
    /// Is the file at `path` deployed?
    pub fn covers(&self, path: &str) -> bool {
        if self.files.contains(path) {
            return true;
        }
        let parent = path.rsplit_once('/').map_or("", |(d, _)| d);
        self.dirs.iter().any(|(dir, recursive)| {
            parent == dir
                || (*recursive && (dir.is_empty() || parent.starts_with(&format!("{dir}/"))))
        })
    }
}

/// `./apps/web/` → `apps/web`; `.` and `./` → the root.
fn normalize(path: &str) -> String {
    let mut p = path.trim();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let p = p.trim_start_matches('/').trim_end_matches('/');
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}

fn is_kind(o: &Object, group: &str, kind: &str) -> bool {
    o.kind == kind && o.api_version.starts_with(&format!("{group}/"))
}

/// Finds the roots among `objects` and what they deploy; `tree` is every path of the tree.
pub fn find(objects: &[&Object], tree: &[&str]) -> Deployed {
    let mut d = Deployed::default();
    let has = |dir: &str, names: &[&str]| {
        names.iter().any(|n| {
            let path = if dir.is_empty() {
                n.to_string()
            } else {
                format!("{dir}/{n}")
            };
            tree.contains(&path.as_str())
        })
    };
    let mut tops: HashSet<&str> = HashSet::new();
    for o in objects {
        let Some(path) = o.origin.path.as_deref() else {
            continue;
        };
        if let Some(via) = o.origin.via.as_deref() {
            // Rendered by a top-level kustomization: deployed by it.
            d.files.insert(path.to_string());
            tops.insert(via);
            continue;
        }
        let spec = || {
            serde_json::from_str::<Value>(&o.json)
                .ok()
                .and_then(|v| v.get("spec").cloned())
                .unwrap_or(Value::Null)
        };
        // Each directory a root names, and whether its subdirectories count.
        let mut named: Vec<(String, bool)> = Vec::new();
        if is_kind(o, "kustomize.toolkit.fluxcd.io", "Kustomization") {
            let spec = spec();
            let git = spec
                .pointer("/sourceRef/kind")
                .and_then(Value::as_str)
                .is_none_or(|k| k == "GitRepository");
            if git {
                let dir = spec.get("path").and_then(Value::as_str).unwrap_or("./");
                named.push((normalize(dir), true));
            }
        } else if is_kind(o, "helm.toolkit.fluxcd.io", "HelmRelease") {
            let spec = spec();
            let chart = spec.pointer("/chart/spec");
            let git = chart
                .and_then(|c| c.pointer("/sourceRef/kind"))
                .and_then(Value::as_str)
                == Some("GitRepository");
            if let Some(path) = chart
                .and_then(|c| c.get("chart"))
                .and_then(Value::as_str)
                .filter(|_| git)
            {
                named.push((normalize(path), true));
                // Values files from the same source, relative to its root.
                let values = chart
                    .and_then(|c| c.get("valuesFiles"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .chain(chart.and_then(|c| c.get("valuesFile")));
                d.files
                    .extend(values.filter_map(Value::as_str).filter_map(|v| join("", v)));
            }
        } else if is_kind(o, "argoproj.io", "Application") {
            let (dirs, values) = argo_sources(&spec());
            named.extend(dirs);
            d.files.extend(values);
        } else if is_kind(o, "argoproj.io", "ApplicationSet") {
            let spec = spec();
            let template = spec
                .pointer("/template/spec")
                .cloned()
                .unwrap_or(Value::Null);
            let (dirs, values) = argo_sources(&template);
            d.files.extend(values);
            for (dir, recurse) in dirs {
                if !dir.contains("{{") {
                    named.push((dir, recurse));
                    continue;
                }
                let dirs = generator_dirs(spec.get("generators"), tree);
                if dirs.is_empty() {
                    d.unresolved.push((
                        path.to_string(),
                        format!(
                            "ApplicationSet {}: its template path `{dir}` depends on a generator \
                             other than a Git directory generator; what it deploys was not followed",
                            o.meta.name
                        ),
                    ));
                }
                named.extend(dirs.into_iter().map(|d| (d, recurse)));
            }
        } else {
            continue;
        }
        d.roots += 1;
        d.files.insert(path.to_string());
        for (dir, recursive) in named {
            if has(&dir, &FILE_NAMES) {
                // Deployed as its kustomization renders it: its objects carry `via`.
                continue;
            }
            let whole = recursive || has(&dir, &["Chart.yaml"]);
            d.dirs.push((dir, whole));
        }
    }
    d.roots += tops.len();
    // Every kustomization is a top level or included by one (the kustomize plan notes the
    // exceptions, a cycle or a Component): its `images:` overrides are deployed.
    d.files.extend(
        tree.iter()
            .filter(|p| FILE_NAMES.contains(&p.rsplit('/').next().unwrap_or(p)))
            .map(|p| p.to_string()),
    );
    d
}

/// The paths of an Argo CD application spec's sources, with `directory.recurse`, and the
/// Helm values files they name (`helm.valueFiles`: relative to the source's path, or to the
/// root of the source a `$ref/` prefix names, taken to be this repository).
fn argo_sources(spec: &Value) -> (Vec<(String, bool)>, Vec<String>) {
    let mut sources: Vec<&Value> = spec.get("source").into_iter().collect();
    if let Some(list) = spec.get("sources").and_then(Value::as_array) {
        sources.extend(list);
    }
    let mut dirs = Vec::new();
    let mut values = Vec::new();
    for s in sources {
        let path = s.get("path").and_then(Value::as_str).map(normalize);
        let files = s
            .pointer("/helm/valueFiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        for file in files {
            let joined = match file.strip_prefix('$') {
                Some(rest) => rest.split_once('/').and_then(|(_, p)| join("", p)),
                None => join(path.as_deref().unwrap_or(""), file),
            };
            values.extend(joined);
        }
        if let Some(path) = path {
            let recurse = s.pointer("/directory/recurse").and_then(Value::as_bool) == Some(true);
            dirs.push((path, recurse));
        }
    }
    (dirs, values)
}

/// `rel` taken from directory `dir` (`..` and `.` resolved); None above the root.
pub(super) fn join(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The directories of `tree` that the Git directory generators under `generators` match
/// (at any depth, so matrix and merge generators count), less their `exclude: true` entries.
fn generator_dirs(generators: Option<&Value>, tree: &[&str]) -> Vec<String> {
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    let mut stack: Vec<&Value> = generators.into_iter().collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a),
            Value::Object(m) => {
                if let Some(dirs) = m
                    .get("git")
                    .and_then(|g| g.get("directories"))
                    .and_then(Value::as_array)
                {
                    for entry in dirs {
                        let Some(glob) = entry
                            .get("path")
                            .and_then(Value::as_str)
                            .and_then(|p| ScopeGlob::parse(p).ok())
                        else {
                            continue;
                        };
                        if entry.get("exclude").and_then(Value::as_bool) == Some(true) {
                            exclude.push(glob);
                        } else {
                            include.push(glob);
                        }
                    }
                }
                stack.extend(m.values());
            }
            _ => {}
        }
    }
    let mut dirs: Vec<String> = tree
        .iter()
        .flat_map(|p| p.match_indices('/').map(move |(i, _)| &p[..i]))
        .filter(|d| include.iter().any(|g| g.glob.is_match(d)))
        .filter(|d| !exclude.iter().any(|g| g.glob.is_match(d)))
        .map(str::to_string)
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::object::{ObjectMeta, Origin};

    fn object(api: &str, kind: &str, path: &str, via: Option<&str>, spec: &str) -> Object {
        Object {
            managers: None,
            api_version: api.into(),
            kind: kind.into(),
            meta: ObjectMeta::default(),
            json: format!("{{\"spec\":{spec}}}").into(),
            evidence: String::new(),
            source: String::new(),
            origin: Origin {
                path: Some(path.into()),
                line: Some(1),
                via: via.map(str::to_string),
            },
        }
    }

    #[test]
    fn each_kind_of_root_deploys_its_paths() {
        let tree = [
            "base/kustomization.yaml",
            "base/api.yaml",
            "clusters/prod/apps.yaml",
            "apps/prod/web.yaml",
            "apps/prod/sub/db.yaml",
            "charts/shop/Chart.yaml",
            "charts/shop/values.yaml",
            "argo/app.yaml",
            "argo/set.yaml",
            "plain/a.yaml",
            "plain/deeper/b.yaml",
            "envs/dev/x.yaml",
            "envs/prod/y.yaml",
            "envs/old/z.yaml",
            "envs/old/values-b.yaml",
            "envs/old/values-c.yaml",
            "stray/old.yaml",
        ];
        let objects = [
            object(
                "apps/v1",
                "Deployment",
                "base/api.yaml",
                Some("base/kustomization.yaml"),
                "{}",
            ),
            object(
                "kustomize.toolkit.fluxcd.io/v1",
                "Kustomization",
                "clusters/prod/apps.yaml",
                None,
                r#"{"path":"./apps/prod","sourceRef":{"kind":"GitRepository","name":"x"}}"#,
            ),
            object(
                "helm.toolkit.fluxcd.io/v2",
                "HelmRelease",
                "clusters/prod/apps.yaml",
                None,
                r#"{"chart":{"spec":{"chart":"./charts/shop","sourceRef":{"kind":"GitRepository"}}}}"#,
            ),
            object(
                "argoproj.io/v1alpha1",
                "Application",
                "argo/app.yaml",
                None,
                r#"{"sources":[{"path":"plain","helm":{"valueFiles":["../envs/prod/values-a.yaml","$values/envs/old/values-b.yaml"]}}]}"#,
            ),
            object(
                "argoproj.io/v1alpha1",
                "ApplicationSet",
                "argo/set.yaml",
                None,
                r#"{"generators":[{"git":{"directories":[{"path":"envs/*"},{"path":"envs/old","exclude":true}]}}],
                   "template":{"spec":{"source":{"path":"{{path}}"}}}}"#,
            ),
            object("apps/v1", "Deployment", "stray/old.yaml", None, "{}"),
        ];
        let refs: Vec<&Object> = objects.iter().collect();
        let d = find(&refs, &tree);
        assert_eq!(d.roots, 5);
        for path in [
            "base/api.yaml",
            "base/kustomization.yaml",
            "clusters/prod/apps.yaml",
            "apps/prod/web.yaml",
            "apps/prod/sub/db.yaml",
            "charts/shop/values.yaml",
            "argo/app.yaml",
            "plain/a.yaml",
            "envs/dev/x.yaml",
            "envs/prod/y.yaml",
            "envs/old/values-b.yaml",
        ] {
            assert!(d.covers(path), "{path} is deployed");
        }
        for path in [
            "stray/old.yaml",
            "plain/deeper/b.yaml",
            "envs/old/z.yaml",
            "envs/old/values-c.yaml",
        ] {
            assert!(!d.covers(path), "{path} is not deployed");
        }
    }

    #[test]
    fn relative_paths_join_and_never_climb_above_the_root() {
        assert_eq!(
            join("apps/web", "../envs/values.yaml").as_deref(),
            Some("apps/envs/values.yaml")
        );
        assert_eq!(join("", "./a/b.yaml").as_deref(), Some("a/b.yaml"));
        assert_eq!(join("a", "../../x.yaml"), None);
    }

    #[test]
    fn paths_normalize() {
        assert_eq!(normalize("./apps/web/"), "apps/web");
        assert_eq!(normalize("./"), "");
        assert_eq!(normalize("."), "");
        assert_eq!(normalize("/x"), "x");
    }
}
