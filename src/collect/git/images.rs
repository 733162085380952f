//! Image references in one file, as the history walk compares them from commit to commit.
//!
//! Takes a path and its text and gives the file's image *slots*: each place that names an
//! image, with what it belongs to and the image it names. Workload manifests give one slot
//! per container (init containers too); a kustomization gives one per `images:` entry
//! (`newName`/`newTag`/`digest` applied to its `name`); a Helm values file (`values*.yaml`)
//! gives one per `image` key (a string, or a mapping of `registry`/`repository`/`tag`/
//! `digest`), named by its key path, and so does a Flux HelmRelease's `spec.values`. Values
//! are not rendered into a chart: the slot belongs to the chart (or the HelmRelease) and the
//! key path. Files are read with the line-keeping YAML reader of [`crate::facts::ci`], which
//! keeps every scalar as written (`tag: 1.10` stays `1.10`).

use crate::base::yaml::tree::{self, Node};
use crate::collect::kustomize::FILE_NAMES;
use crate::evidence::history::Owner;
use crate::evidence::kinds::WORKLOAD_KINDS;

/// What kind of file a path is, for image slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Kustomization,
    HelmValues,
    Manifest,
}

/// Which files can hold image slots: YAML and JSON manifests, kustomizations, values files.
pub fn file_kind(path: &str) -> Option<FileKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if FILE_NAMES.contains(&name) {
        return Some(FileKind::Kustomization);
    }
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    if yaml && name.starts_with("values") {
        return Some(FileKind::HelmValues);
    }
    (yaml || name.ends_with(".json")).then_some(FileKind::Manifest)
}

/// One place in a file that names an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub owner: Owner,
    /// The image as the file names it: `registry/repository:tag@digest`; for a values
    /// mapping without a repository, `:tag` (the chart's default repository applies).
    pub image: String,
    /// For values mappings: each key written (`tag`, `repository`...) with its value, to
    /// name the key that changed.
    pub parts: Vec<(String, String)>,
    pub line: u32,
}

/// Why a file's slots could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub line: u32,
    pub message: String,
}

/// The image slots of one file. A file that names no image is read only as far as a
/// substring search; a templated file (`{{ }}`) that does not parse is not an error (a
/// template is not YAML until rendered) and has no slots.
pub fn slots(path: &str, text: &str) -> Result<Vec<Slot>, Unreadable> {
    let Some(kind) = file_kind(path) else {
        return Ok(Vec::new());
    };
    // Every version is parsed, even one without the word `image`: a version that does not
    // parse must be reported and skipped, not read as one that names no image (which
    // would put a removal and a re-addition into the timeline).
    let docs = match tree::parse(text) {
        Ok(docs) => docs,
        Err(_) if text.contains("{{") => return Ok(Vec::new()),
        Err(e) => {
            return Err(Unreadable {
                line: e.line,
                message: e.message,
            });
        }
    };
    let dir = parent(path);
    let mut out = Vec::new();
    for doc in &docs {
        document(kind, &dir, doc, &mut out);
    }
    Ok(last_owner_wins(out))
}

/// The slots of one parsed document of a file of `kind` in directory `dir`, in file order.
pub(super) fn document(kind: FileKind, dir: &str, doc: &Node, out: &mut Vec<Slot>) {
    match kind {
        FileKind::Kustomization => kustomize(doc, dir, out),
        FileKind::HelmValues => values(
            doc,
            &mut |key| Owner::Values {
                chart: dir.to_string(),
                key,
            },
            out,
        ),
        FileKind::Manifest => manifest(doc, out),
    }
}

/// Two documents naming the same owner: the last one counts, as kubectl would apply it.
pub(super) fn last_owner_wins(out: Vec<Slot>) -> Vec<Slot> {
    let mut seen = std::collections::HashSet::new();
    let mut deduped: Vec<Slot> = out
        .into_iter()
        .rev()
        .filter(|s| seen.insert(s.owner.clone()))
        .collect();
    deduped.reverse();
    deduped
}

/// The directory of a path, `.` at the top: what names kustomization and values owners.
pub(super) fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => path[..i].to_string(),
        None => ".".to_string(),
    }
}

fn kustomize(doc: &Node, dir: &str, out: &mut Vec<Slot>) {
    let Some(images) = doc.get("images").and_then(Node::as_seq) else {
        return;
    };
    for entry in images {
        let Some(name) = entry.str_at("name").filter(|n| !n.is_empty()) else {
            continue;
        };
        let base = entry.str_at("newName").unwrap_or(name);
        let mut image = base.to_string();
        if let Some(tag) = entry.str_at("newTag").filter(|t| !t.is_empty()) {
            image.push(':');
            image.push_str(tag);
        }
        if let Some(digest) = entry.str_at("digest").filter(|d| !d.is_empty()) {
            image.push('@');
            image.push_str(digest);
        }
        out.push(Slot {
            owner: Owner::Kustomize {
                dir: dir.to_string(),
                name: name.to_string(),
            },
            image,
            parts: Vec::new(),
            line: entry.line(),
        });
    }
}

fn manifest(doc: &Node, out: &mut Vec<Slot>) {
    let (Some(kind), Some(meta)) = (doc.str_at("kind"), doc.get("metadata")) else {
        return;
    };
    let name = meta.str_at("name").unwrap_or_default().to_string();
    let namespace = meta.str_at("namespace").map(str::to_string);
    if kind == "HelmRelease" {
        if let Some(v) = doc.get("spec").and_then(|s| s.get("values")) {
            values(
                v,
                &mut |key| Owner::HelmRelease {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    key,
                },
                out,
            );
        }
        return;
    }
    if kind.ends_with("List")
        && let Some(items) = doc.get("items").and_then(Node::as_seq)
    {
        for item in items {
            manifest(item, out);
        }
        return;
    }
    if !WORKLOAD_KINDS.contains(&kind) {
        return;
    }
    let spec = match kind {
        "Pod" => doc.get("spec"),
        "CronJob" => doc
            .get("spec")
            .and_then(|s| s.get("jobTemplate"))
            .and_then(|s| s.get("spec"))
            .and_then(|s| s.get("template"))
            .and_then(|s| s.get("spec")),
        _ => doc
            .get("spec")
            .and_then(|s| s.get("template"))
            .and_then(|s| s.get("spec")),
    };
    let Some(spec) = spec else {
        return;
    };
    for list in ["initContainers", "containers"] {
        for c in spec.get(list).and_then(Node::as_seq).unwrap_or_default() {
            let (Some(container), Some(image)) = (c.str_at("name"), c.get("image")) else {
                continue;
            };
            let Some(text) = image.as_str() else {
                continue;
            };
            out.push(Slot {
                owner: Owner::Container {
                    kind: kind.to_string(),
                    namespace: namespace.clone(),
                    name: name.clone(),
                    container: container.to_string(),
                },
                image: text.to_string(),
                parts: Vec::new(),
                line: image.line(),
            });
        }
    }
}

/// Keys under an image mapping that make up the reference.
const IMAGE_PARTS: [&str; 4] = ["registry", "repository", "tag", "digest"];

/// Image keys of a values tree: `image` (or a key ending in `Image`) holding a string, or a
/// mapping with `repository`, `tag` or `digest`.
fn values(node: &Node, owner: &mut dyn FnMut(String) -> Owner, out: &mut Vec<Slot>) {
    fn go(
        node: &Node,
        path: &str,
        depth: usize,
        owner: &mut dyn FnMut(String) -> Owner,
        out: &mut Vec<Slot>,
    ) {
        if depth > 32 {
            return;
        }
        match node {
            Node::Map(m) => {
                for (key, value) in m.iter() {
                    let key_path = if path.is_empty() {
                        key.to_string()
                    } else {
                        format!("{path}.{key}")
                    };
                    if (key == "image" || key.ends_with("Image"))
                        && let Some(slot) = image_value(value, &key_path, owner)
                    {
                        out.push(slot);
                        continue;
                    }
                    go(value, &key_path, depth + 1, owner, out);
                }
            }
            Node::Seq(s) => {
                for (i, item) in s.items.iter().enumerate() {
                    go(item, &format!("{path}[{i}]"), depth + 1, owner, out);
                }
            }
            Node::Scalar(_) => {}
        }
    }
    go(node, "", 0, owner, out);
}

fn image_value(value: &Node, key: &str, owner: &mut dyn FnMut(String) -> Owner) -> Option<Slot> {
    if let Some(text) = value.as_str() {
        if text.is_empty() || text.contains(char::is_whitespace) {
            return None;
        }
        return Some(Slot {
            owner: owner(key.to_string()),
            image: text.to_string(),
            parts: vec![(String::new(), text.to_string())],
            line: value.line(),
        });
    }
    let map = value.as_map()?;
    let parts: Vec<(String, String)> = IMAGE_PARTS
        .iter()
        .filter_map(|p| {
            map.get(p)
                .and_then(Node::as_str)
                .filter(|v| !v.is_empty())
                .map(|v| (p.to_string(), v.to_string()))
        })
        .collect();
    let get = |k: &str| parts.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
    if get("repository").is_none() && get("tag").is_none() && get("digest").is_none() {
        return None;
    }
    let mut image = String::new();
    if let (Some(registry), Some(_)) = (get("registry"), get("repository")) {
        image.push_str(registry);
        image.push('/');
    }
    if let Some(r) = get("repository") {
        image.push_str(r);
    }
    if let Some(t) = get("tag") {
        image.push(':');
        image.push_str(t);
    }
    if let Some(d) = get("digest") {
        image.push('@');
        image.push_str(d);
    }
    Some(Slot {
        owner: owner(key.to_string()),
        image,
        parts,
        line: value.line(),
    })
}

/// The key path a values change names: `image.tag` when only the tag changed, the image
/// key itself when more than one part, or the whole string, changed.
pub fn changed_key(key: &str, old: Option<&Slot>, new: Option<&Slot>) -> String {
    let (Some(old), Some(new)) = (old, new) else {
        return key.to_string();
    };
    let changed: Vec<&str> = IMAGE_PARTS
        .iter()
        .copied()
        .filter(|p| {
            let get = |s: &Slot| s.parts.iter().find(|(k, _)| k == p).map(|(_, v)| v.clone());
            get(old) != get(new)
        })
        .collect();
    match changed.as_slice() {
        [one] if !old.parts.iter().any(|(k, _)| k.is_empty()) => format!("{key}.{one}"),
        _ => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(path: &str, text: &str) -> Vec<(String, String, u32)> {
        slots(path, text)
            .unwrap()
            .into_iter()
            .map(|s| (s.owner.describe(), s.image, s.line))
            .collect()
    }

    #[test]
    fn workload_containers_init_containers_and_cronjobs() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n\
            spec:\n  template:\n    spec:\n      initContainers:\n        - {name: init, image: busybox:1.36}\n\
            \x20     containers:\n        - name: api\n          image: ghcr.io/acme/api:1.10\n---\n\
            apiVersion: v1\nkind: Service\nmetadata: {name: api}\n---\n\
            apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: job, image: \"ghcr.io/acme/job@sha256:abc\"}]\n";
        assert_eq!(
            images("apps/api.yaml", text),
            [
                (
                    "Deployment shop/api container init".into(),
                    "busybox:1.36".into(),
                    8
                ),
                (
                    "Deployment shop/api container api".into(),
                    "ghcr.io/acme/api:1.10".into(),
                    11
                ),
                (
                    "CronJob nightly container job".into(),
                    "ghcr.io/acme/job@sha256:abc".into(),
                    25
                ),
            ]
        );
    }

    #[test]
    fn kustomize_images_values_and_helm_releases() {
        let k = "images:\n  - name: ghcr.io/acme/api\n    newTag: \"1.4.2\"\n  - name: nginx\n    newName: registry.example.com/nginx\n    digest: sha256:ff\n";
        assert_eq!(
            images("overlays/prod/kustomization.yaml", k),
            [
                (
                    "Kustomization overlays/prod image ghcr.io/acme/api".into(),
                    "ghcr.io/acme/api:1.4.2".into(),
                    2
                ),
                (
                    "Kustomization overlays/prod image nginx".into(),
                    "registry.example.com/nginx@sha256:ff".into(),
                    4
                ),
            ]
        );
        let v = "replicaCount: 2\nimage:\n  repository: ghcr.io/acme/api\n  tag: 1.10\nsidecars:\n  - name: x\n    image: envoy:1.30\nworker:\n  image: {tag: \"2.0\"}\n";
        assert_eq!(
            images("charts/api/values-prod.yaml", v),
            [
                (
                    "Helm chart charts/api values image".into(),
                    "ghcr.io/acme/api:1.10".into(),
                    3
                ),
                (
                    "Helm chart charts/api values sidecars[0].image".into(),
                    "envoy:1.30".into(),
                    7
                ),
                (
                    "Helm chart charts/api values worker.image".into(),
                    ":2.0".into(),
                    9
                ),
            ]
        );
        let hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: api, namespace: flux-system}\nspec:\n  values:\n    image: {repository: ghcr.io/acme/api, tag: 1.2.0}\n";
        assert_eq!(
            images("clusters/prod/api.yaml", hr),
            [(
                "HelmRelease flux-system/api values image".into(),
                "ghcr.io/acme/api:1.2.0".into(),
                6
            )]
        );
    }

    #[test]
    fn changed_keys_name_the_part_that_changed() {
        let s = |tag: &str| Slot {
            owner: Owner::Values {
                chart: "c".into(),
                key: "image".into(),
            },
            image: format!("r:{tag}"),
            parts: vec![
                ("repository".into(), "r".into()),
                ("tag".into(), tag.into()),
            ],
            line: 1,
        };
        assert_eq!(
            changed_key("image", Some(&s("1")), Some(&s("2"))),
            "image.tag"
        );
        assert_eq!(changed_key("image", None, Some(&s("2"))), "image");
    }

    #[test]
    fn broken_yaml_is_unreadable_templates_are_skipped_other_files_ignored() {
        assert!(slots("a.yaml", "image: [\n").is_err());
        assert_eq!(
            slots("t.yaml", "image: {{ .Values.image }}\n  x: [\n"),
            Ok(vec![])
        );
        assert_eq!(slots("README.md", "image: x"), Ok(vec![]));
        assert_eq!(slots("a.yaml", "kind: Service\n"), Ok(vec![]));
    }
}
