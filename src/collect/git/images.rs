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
use crate::evidence::workload_kinds::{self, Pointer};

/// What kind of file a path is, for image slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Kustomization,
    HelmValues,
    Manifest,
}

/// Which files can hold image slots: YAML and JSON manifests, kustomizations, values files.
/// A Helm values file is `values*.yaml` (`values.yaml`, `values-prod.yaml`,
/// `values.prod.yaml`), `*.values.yaml` or `*-values.yaml` (`.yml` too).
pub fn file_kind(path: &str) -> Option<FileKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if FILE_NAMES.contains(&name) {
        return Some(FileKind::Kustomization);
    }
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"));
    if let Some(stem) = stem
        && (stem.starts_with("values") || stem.ends_with(".values") || stem.ends_with("-values"))
    {
        return Some(FileKind::HelmValues);
    }
    (stem.is_some() || name.ends_with(".json")).then_some(FileKind::Manifest)
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
        // A Kubernetes object in a file named like values (a Flux HelmRelease in
        // `redis-values.yaml`) is read as the object it is.
        FileKind::HelmValues if is_object(doc) => manifest(doc, out),
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

/// A document with `apiVersion`, `kind` and `metadata`: a Kubernetes object, never values.
fn is_object(doc: &Node) -> bool {
    doc.str_at("apiVersion").is_some()
        && doc.str_at("kind").is_some()
        && doc.get("metadata").is_some()
}

/// The last field names of the image and version pointers of the workload-kind table
/// (`version` for the Prometheus operator kinds), each once: the words a document must hold
/// for [`manifest`] to find an operator image in it.
pub(super) fn image_fields() -> Vec<String> {
    let table = workload_kinds::table();
    let mut out: Vec<String> = Vec::new();
    for source in table.rows.iter().flat_map(|r| &r.images) {
        for p in std::iter::once(&source.image).chain(source.tag.as_ref()) {
            let last = p.as_str().rsplit('/').next().unwrap_or("");
            let last = last.replace("~1", "/").replace("~0", "~");
            if !last.is_empty() && !out.contains(&last) {
                out.push(last);
            }
        }
    }
    out
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
    // Which objects run containers, and where their images are, is the workload-kind
    // table's to say (the same rows the snapshot and live paths read).
    let table = workload_kinds::table();
    let Some(row) = table.find(doc.str_at("apiVersion").unwrap_or_default(), kind) else {
        return;
    };
    let owner = |container: &str| Owner::Container {
        kind: kind.to_string(),
        namespace: namespace.clone(),
        name: name.clone(),
        container: container.to_string(),
    };
    let mut slots = Vec::new();
    let push = |slots: &mut Vec<Slot>, container: &str, image: &Node| {
        if let Some(text) = image.as_str() {
            slots.push(Slot {
                owner: owner(container),
                image: text.to_string(),
                parts: Vec::new(),
                line: image.line(),
            });
        }
    };
    if let Some(spec) = row.pod_spec.as_ref().and_then(|p| at(doc, p)) {
        for list in ["initContainers", "containers"] {
            for c in spec.get(list).and_then(Node::as_seq).unwrap_or_default() {
                if let (Some(container), Some(image)) = (c.str_at("name"), c.get("image")) {
                    push(&mut slots, container, image);
                }
            }
        }
        out.extend(slots);
        return;
    }
    // An operator-managed kind: its image fields, with `spec.containers` entries that name
    // an image over them (merged by container name, as the operator merges them).
    let overrides: Vec<&Node> = row
        .containers
        .as_ref()
        .and_then(|p| at(doc, p))
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|c| c.str_at("name").is_some() && c.get("image").is_some())
        .collect();
    for source in &row.images {
        if let Some(c) = overrides
            .iter()
            .find(|c| c.str_at("name") == Some(source.container.as_str()))
        {
            push(
                &mut slots,
                &source.container,
                c.get("image").expect("filtered above"),
            );
            continue;
        }
        let image = at(doc, &source.image);
        let version = source.tag.as_ref().and_then(|p| at(doc, p));
        let Some(text) = workload_kinds::source_image(
            image.and_then(Node::as_str),
            version.and_then(Node::as_str),
        ) else {
            continue;
        };
        let Some(line) = image.or(version).map(Node::line) else {
            continue;
        };
        slots.push(Slot {
            owner: owner(&source.container),
            image: text,
            parts: Vec::new(),
            line,
        });
    }
    for c in overrides {
        let container = c.str_at("name").expect("filtered above");
        if !row.images.iter().any(|s| s.container == container) {
            push(
                &mut slots,
                container,
                c.get("image").expect("filtered above"),
            );
        }
    }
    out.extend(slots);
}

/// The node at `pointer` within `doc`.
fn at<'a>(doc: &'a Node, pointer: &Pointer) -> Option<&'a Node> {
    pointer
        .segments()
        .try_fold(doc, |node, segment| node.get(&segment))
}

/// Keys under an image mapping that make up the reference.
const IMAGE_PARTS: [&str; 4] = ["registry", "repository", "tag", "digest"];

/// Image keys of a values tree: `image` (or a key ending in `Image`) holding a string, or a
/// mapping with `repository`, `tag` or `digest`; and, under any other key, a mapping whose
/// `repository` (with `registry` when given) and `tag` or `digest` make a valid image
/// reference (the Bitnami `redis.repository` + `redis.tag`). Not images: a `tag` alone or a
/// `repository` alone under another key (a release tag, a backup or Git repository), and a
/// `repository` that is a URL (`https://`, `oci://`, `git@host:`), which names a chart or
/// Git repository.
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
                // `redis: {repository: bitnami/redis, tag: 7.0.6}`: an image under any key.
                if !path.is_empty()
                    && let Some(slot) = image_mapping(node, path, owner, true)
                {
                    out.push(slot);
                    return;
                }
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
    image_mapping(value, key, owner, false)
}

/// An image given as a mapping of [`IMAGE_PARTS`]. Under an `image` key a `repository` or a
/// `tag` alone is enough (the chart supplies the rest); elsewhere (`strict`) the mapping
/// must hold a `repository` and a `tag` or `digest` that together parse as an image.
fn image_mapping(
    value: &Node,
    key: &str,
    owner: &mut dyn FnMut(String) -> Owner,
    strict: bool,
) -> Option<Slot> {
    let map = value.as_map()?;
    if strict && (map.get("repository").is_none() || map.get("tag").or(map.get("digest")).is_none())
    {
        return None;
    }
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
    if strict {
        let url = |k: &str| get(k).is_some_and(|v| v.contains("://"));
        let tagged = get("tag").is_some() || get("digest").is_some();
        if get("repository").is_none() || !tagged || url("repository") || url("registry") {
            return None;
        }
        crate::evidence::image::ImageRef::parse(&image).ok()?;
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
    fn workload_kinds_come_from_the_table_by_group_and_kind() {
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: shop}\n\
            spec:\n  template:\n    spec:\n      containers: [{name: web, image: \"ghcr.io/acme/web:2\"}]\n---\n\
            apiVersion: apps.kruise.io/v1alpha1\nkind: CloneSet\nmetadata: {name: api}\n\
            spec:\n  template:\n    spec:\n      containers: [{name: api, image: \"ghcr.io/acme/api:3\"}]\n---\n\
            apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: not-apps}\n\
            spec:\n  template:\n    spec:\n      containers: [{name: x, image: \"x:1\"}]\n---\n\
            apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s, namespace: monitoring}\n\
            spec:\n  version: v2.54.1\n  containers:\n    - {name: config-reloader, resources: {}}\n    - {name: proxy, image: \"oauth2-proxy:7\"}\n---\n\
            apiVersion: monitoring.coreos.com/v1\nkind: Alertmanager\nmetadata: {name: main}\n\
            spec:\n  image: quay.io/prometheus/alertmanager\n  version: v0.27.0\n---\n\
            apiVersion: monitoring.coreos.com/v1\nkind: ThanosRuler\nmetadata: {name: ruler}\n\
            spec:\n  image: quay.io/thanos/thanos:v0.36.0\n  containers: [{name: thanos-ruler, image: \"mirror/thanos:v0.36.1\"}]\n";
        let got: Vec<(String, String)> = images("apps/all.yaml", text)
            .into_iter()
            .map(|(owner, image, _)| (owner, image))
            .collect();
        let want = [
            ("Rollout shop/web container web", "ghcr.io/acme/web:2"),
            ("CloneSet api container api", "ghcr.io/acme/api:3"),
            ("Prometheus monitoring/k8s container prometheus", ":v2.54.1"),
            (
                "Prometheus monitoring/k8s container proxy",
                "oauth2-proxy:7",
            ),
            (
                "Alertmanager main container alertmanager",
                "quay.io/prometheus/alertmanager:v0.27.0",
            ),
            (
                "ThanosRuler ruler container thanos-ruler",
                "mirror/thanos:v0.36.1",
            ),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(o, i)| (o.to_string(), i.to_string()))
            .collect();
        assert_eq!(got, want);
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
    fn repository_and_tag_keys_under_any_name_are_images() {
        let v = "architecture: standalone\nredis:\n  repository: bitnami/redis\n  tag: 7.0.6\n\
            metrics:\n  exporter:\n    registry: docker.io\n    repository: bitnami/redis-exporter\n    tag: 1.45.0-debian-11-r0\n\
            sidecars:\n  - repository: ghcr.io/acme/proxy\n    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
        assert_eq!(
            images("charts/cache/values.yaml", v),
            [
                (
                    "Helm chart charts/cache values redis".into(),
                    "bitnami/redis:7.0.6".into(),
                    3
                ),
                (
                    "Helm chart charts/cache values metrics.exporter".into(),
                    "docker.io/bitnami/redis-exporter:1.45.0-debian-11-r0".into(),
                    7
                ),
                (
                    "Helm chart charts/cache values sidecars[0]".into(),
                    "ghcr.io/acme/proxy@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
                    11
                ),
            ]
        );
        // The same shape in a HelmRelease's values.
        let hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: redis, namespace: cache}\n\
            spec:\n  chart: {spec: {chart: redis, version: 17.3.7}}\n  values:\n    redis: {repository: bitnami/redis, tag: \"8.6.2\"}\n";
        assert_eq!(
            images("clusters/prod/redis.yaml", hr),
            [(
                "HelmRelease cache/redis values redis".into(),
                "bitnami/redis:8.6.2".into(),
                7
            )]
        );
    }

    #[test]
    fn repositories_that_are_urls_tags_alone_and_untagged_repositories_are_no_images() {
        let v = "chart:\n  repository: https://charts.bitnami.com/bitnami\n  tag: 17.3.7\n\
            oci:\n  repository: oci://ghcr.io/acme/charts\n  tag: 1.0.0\n\
            source:\n  repository: git@github.com:acme/app.git\n  tag: v1.2.0\n\
            release:\n  tag: v1.2.0\n\
            backup:\n  repository: s3:backups/app\n  tag: daily\n\
            restic:\n  repository: /srv/restic\n  tag: nightly\n\
            mirror:\n  repository: acme/app\n\
            docs:\n  repository: Acme/Docs\n  tag: latest\n\
            notes:\n  repository: acme/app\n  tag: not a tag\n";
        assert_eq!(images("charts/app/values.yaml", v), []);
        // Under an `image` key the chart supplies what is missing, as before.
        assert_eq!(
            images(
                "charts/app/values.yaml",
                "image:\n  repository: ghcr.io/acme/app\nworker:\n  image:\n    tag: \"2.0\"\n"
            ),
            [
                (
                    "Helm chart charts/app values image".into(),
                    "ghcr.io/acme/app".into(),
                    2
                ),
                (
                    "Helm chart charts/app values worker.image".into(),
                    ":2.0".into(),
                    5
                ),
            ]
        );
    }

    #[test]
    fn values_files_are_told_by_their_names() {
        for name in [
            "values.yaml",
            "values-prod.yaml",
            "values.prod.yml",
            "prod.values.yaml",
            "redis-values.yml",
            "charts/x/values_staging.yaml",
        ] {
            assert_eq!(file_kind(name), Some(FileKind::HelmValues), "{name}");
        }
        for name in [
            "deploy.yaml",
            "prodvalues.yaml",
            "values.json",
            "values.yaml.bak",
        ] {
            assert_ne!(file_kind(name), Some(FileKind::HelmValues), "{name}");
        }
        // A Kubernetes object in a file named like values is read as that object.
        let hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: api}\nspec:\n  values:\n    image: ghcr.io/acme/api:1.0\n";
        assert_eq!(
            images("apps/api-values.yaml", hr),
            [(
                "HelmRelease api values image".into(),
                "ghcr.io/acme/api:1.0".into(),
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
