//! Kustomize overlays, applied as far as the evidence needs them.
//!
//! Takes the kustomization files the snapshot walk found (`kustomization.yaml`,
//! `kustomization.yml`, `Kustomization`) and the plain files it would otherwise read, and
//! decides which files each kustomization renders and how. A kustomization that no other one
//! includes is a top level: it renders its own copy of every object it reaches through
//! `resources:` (and the old `bases:`), files and directories holding their own
//! kustomization alike. Each copy gets the `images:` overrides (name, newName, newTag,
//! digest) and the `namespace:` of every kustomization on the way, the base's first and the
//! overlay's on top, and records the top level as [`Origin::via`](crate::evidence::object::Origin), so
//! two overlays of one base give two distinct, stable subjects.
//!
//! This is no `kustomize build`: patches, generators, components, replacements, name
//! prefixes, labels and remote resources are not applied; each such field is noted once on
//! its kustomization file. Files a kustomization reaches or refers to are not also read as
//! plain manifests, and nor are unlisted files beside it (kustomize would not deploy them);
//! files no kustomization reaches are read as before. Every file is still parsed once, on
//! both cores; [`render`] copies the parsed objects per top level.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

use super::filesystem::{Disk, EntryKind, FileSystem};
use super::snapshot::InputFile;
use crate::base::yaml;
use crate::evidence::image::{self, Parts};
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::object::Object;
use crate::evidence::record::{EvidenceRecord, evidence_id, sha256_hex};

/// The names kustomize looks for in a directory, in the order it prefers them.
pub(super) const FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What the notes on fields that are not applied say.
const NOT_APPLIED: &str = "not applied: only images and namespace overrides are";
const NOT_APPLIED_HINT: &str = "the objects are assessed as their resources define them; for an \
     exact view, pass the output of `kustomize build` to --snapshot";

pub(super) fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| FILE_NAMES.contains(&n))
}

/// One `images:` entry.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase")]
pub struct ImageOverride {
    pub name: String,
    pub new_name: Option<String>,
    pub new_tag: Option<String>,
    pub digest: Option<String>,
}

/// What one kustomization changes in the objects it reaches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transform {
    pub images: Vec<ImageOverride>,
    pub namespace: Option<String>,
}

/// How one top-level kustomization renders a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendering {
    /// Display path of the top-level kustomization file.
    pub via: Arc<str>,
    /// The transforms on the way, the top level first; applied in reverse.
    pub transforms: Vec<Arc<Transform>>,
}

/// A kustomization file as far as it is applied. Fields that are not applied are kept with
/// their line, for the notes, and the strings they hold, to find the files they refer to.
#[derive(Debug, Default)]
struct KustomizationFile {
    kind: Option<String>,
    resources: Vec<Spanned<String>>,
    bases: Vec<Spanned<String>>,
    images: Vec<Spanned<ImageOverride>>,
    namespace: Option<String>,
    not_applied: Vec<(String, u32, Value)>,
}

impl<'de> Deserialize<'de> for KustomizationFile {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(KustomizationVisitor)
    }
}

struct KustomizationVisitor;

impl<'de> Visitor<'de> for KustomizationVisitor {
    type Value = KustomizationFile;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a kustomization (a mapping of fields)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut k = KustomizationFile::default();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let line = key.referenced.line() as u32;
            let key = key.value;
            match key.as_str() {
                // Fields that change nothing kustomize renders.
                "apiVersion" | "metadata" | "sortOptions" | "buildMetadata" | "openapi" => {
                    map.next_value::<IgnoredAny>()?;
                }
                "kind" => k.kind = map.next_value()?,
                "resources" => k.resources = map.next_value::<Option<_>>()?.unwrap_or_default(),
                "bases" => k.bases = map.next_value::<Option<_>>()?.unwrap_or_default(),
                "images" => k.images = map.next_value::<Option<_>>()?.unwrap_or_default(),
                "namespace" => k.namespace = map.next_value()?,
                _ => {
                    let value = map.next_value::<Value>()?;
                    if !value.is_null() {
                        k.not_applied.push((key, line, value));
                    }
                }
            }
        }
        Ok(k)
    }
}

/// What a kustomization lists, resolved against the file system.
#[derive(Debug)]
enum Entry {
    File {
        identity: PathBuf,
        path: PathBuf,
        display: String,
        line: u32,
    },
    Kustomization {
        /// Canonical directory: the node's key.
        dir: PathBuf,
        /// Its kustomization file, as reached, and its display path.
        file: PathBuf,
        display: String,
        line: u32,
    },
}

/// A kustomization, read and resolved once however many overlays include it.
#[derive(Debug)]
struct Node {
    display: Arc<str>,
    /// Found by the walk (inside the snapshot), not only reached from one.
    in_tree: bool,
    /// None when the file could not be read.
    parsed: Option<Parsed>,
    /// Files its fields that are not applied refer to (patch files, generator inputs).
    referenced: HashSet<PathBuf>,
}

#[derive(Debug)]
struct Parsed {
    transform: Arc<Transform>,
    entries: Vec<Entry>,
    component: bool,
}

/// Where a kustomization sits: real path for reading, display path for messages.
#[derive(Clone, Debug)]
struct Location {
    file: PathBuf,
    display: String,
    dir: PathBuf,
    dir_display: PathBuf,
}

impl Location {
    fn new(file: PathBuf, display: String) -> Self {
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir_display = Path::new(&display)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Self {
            file,
            display,
            dir,
            dir_display,
        }
    }
}

/// A file one or more top levels render.
struct Planned {
    path: PathBuf,
    display: String,
    renderings: Vec<Rendering>,
}

/// Applies the kustomizations found to the list of files to read: files they reach get
/// their renderings, files under them are taken off the plain list. Returns the problems.
pub(super) fn plan(
    files: &mut Vec<InputFile>,
    found: &[InputFile],
    source_id: &str,
    max_file_bytes: u64,
    fsys: &dyn FileSystem,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let tree = pick_one_per_directory(found, source_id, &mut problems);

    // Kustomizations in the snapshot parse on both cores; the ones they reach outside it
    // are loaded as they are met.
    let loaded: Vec<(Option<PathBuf>, Node, Vec<Problem>)> = tree
        .par_iter()
        .map(|loc| {
            let (node, p) = load(loc, true, source_id, max_file_bytes, fsys);
            (canonical(&loc.dir, fsys), node, p)
        })
        .collect();
    let mut nodes: BTreeMap<PathBuf, Node> = BTreeMap::new();
    for (dir, node, p) in loaded {
        problems.extend(p);
        if let Some(dir) = dir {
            nodes.insert(dir, node);
        }
    }
    let in_tree: Vec<PathBuf> = nodes.keys().cloned().collect();
    let mut queue = in_tree.clone();
    while let Some(dir) = queue.pop() {
        for (target, loc) in reached_locations(&nodes[&dir]) {
            if !nodes.contains_key(&target) {
                let (node, p) = load(&loc, false, source_id, max_file_bytes, fsys);
                problems.extend(p);
                nodes.insert(target.clone(), node);
                queue.push(target);
            }
        }
    }

    let included: HashSet<&PathBuf> = nodes
        .values()
        .filter_map(|n| n.parsed.as_ref())
        .flat_map(|p| &p.entries)
        .filter_map(|e| match e {
            Entry::Kustomization { dir, .. } => Some(dir),
            Entry::File { .. } => None,
        })
        .collect();
    let mut tops: Vec<&PathBuf> = in_tree
        .iter()
        .filter(|d| !included.contains(d))
        .filter(|d| nodes[*d].parsed.as_ref().is_some_and(|p| !p.component))
        .collect();
    tops.sort_by_key(|d| nodes[*d].display.clone());

    let mut walk = Walk {
        nodes: &nodes,
        source_id,
        planned: BTreeMap::new(),
        visited: HashSet::new(),
        problems: Vec::new(),
    };
    for top in tops {
        let via = nodes[top].display.clone();
        walk.render_top(top, via);
    }
    let Walk {
        planned,
        visited,
        problems: walk_problems,
        ..
    } = walk;
    problems.extend(walk_problems);
    for (dir, node) in &nodes {
        let Some(parsed) = &node.parsed else { continue };
        if node.in_tree && !visited.contains(dir) {
            let (level, message) = if parsed.component {
                (
                    ProblemLevel::Note,
                    "kustomize Component: not applied (only images and namespace overrides are); \
                     the files it lists were not read",
                )
            } else {
                (
                    ProblemLevel::Warning,
                    "not rendered: every kustomization that includes it is itself not rendered \
                     (a cycle of includes, or a Component); the files it lists were not read",
                )
            };
            problems.push(Problem::new(
                level,
                source_id,
                node.display.to_string(),
                message,
            ));
        }
    }

    take_claimed(files, planned, &nodes, source_id, &mut problems, fsys);
    problems.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
    problems.dedup();
    problems
}

/// kustomize refuses a directory with two kustomization files; the preferred one is read.
fn pick_one_per_directory(
    found: &[InputFile],
    source_id: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Location> {
    let mut by_dir: BTreeMap<PathBuf, Vec<&InputFile>> = BTreeMap::new();
    for f in found {
        let dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
        by_dir.entry(dir).or_default().push(f);
    }
    let rank = |f: &InputFile| {
        FILE_NAMES
            .iter()
            .position(|n| f.path.file_name().is_some_and(|x| x == *n))
            .unwrap_or(FILE_NAMES.len())
    };
    let mut out = Vec::new();
    for (_, mut group) in by_dir {
        group.sort_by_key(|f| rank(f));
        for other in &group[1..] {
            problems.push(
                Problem::new(
                    ProblemLevel::Warning,
                    source_id,
                    other.display.clone(),
                    format!(
                        "a second kustomization file in one directory: ignored, {} is read",
                        group[0].display
                    ),
                )
                .hint("kustomize refuses a directory with several; keep one"),
            );
        }
        out.push(Location::new(
            group[0].path.clone(),
            group[0].display.clone(),
        ));
    }
    out
}

/// The kustomization directories a node includes, with where to read them from.
fn reached_locations(node: &Node) -> Vec<(PathBuf, Location)> {
    let Some(parsed) = &node.parsed else {
        return Vec::new();
    };
    parsed
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Kustomization {
                dir, file, display, ..
            } => Some((dir.clone(), Location::new(file.clone(), display.clone()))),
            Entry::File { .. } => None,
        })
        .collect()
}

/// Reads and resolves one kustomization file.
fn load(
    loc: &Location,
    in_tree: bool,
    source_id: &str,
    max_file_bytes: u64,
    fsys: &dyn FileSystem,
) -> (Node, Vec<Problem>) {
    match fsys.read_text(&loc.file, max_file_bytes) {
        Ok(text) => {
            let bad = text
                .bad_utf8
                .map(|bad| bad.problem(source_id, &loc.display));
            let (node, mut problems) = parse(&text.text, loc, in_tree, source_id, fsys);
            problems.splice(0..0, bad);
            (node, problems)
        }
        Err(e) => {
            let node = Node {
                display: Arc::from(loc.display.as_str()),
                in_tree,
                parsed: None,
                referenced: HashSet::new(),
            };
            let problem = Problem::new(
                ProblemLevel::Error,
                source_id,
                loc.display.clone(),
                e.message(),
            )
            .hint(UNREAD_HINT);
            (node, vec![problem])
        }
    }
}

/// Parses a kustomization's text and resolves what it lists against its directory.
fn parse(
    text: &str,
    loc: &Location,
    in_tree: bool,
    source_id: &str,
    fsys: &dyn FileSystem,
) -> (Node, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut node = Node {
        display: Arc::from(loc.display.as_str()),
        in_tree,
        parsed: None,
        referenced: HashSet::new(),
    };
    let docs = yaml::split_documents(text);
    let Some(doc) = docs.first() else {
        node.parsed = Some(Parsed {
            transform: Arc::default(),
            entries: Vec::new(),
            component: false,
        });
        return (node, problems);
    };
    let k = match yaml::parse_document_as::<KustomizationFile>(doc) {
        Ok(k) => k,
        Err(e) => {
            problems.push(
                Problem::new(
                    ProblemLevel::Error,
                    source_id,
                    format!("{}:{}", loc.display, e.line),
                    format!("invalid kustomization: {}", e.message),
                )
                .hint(UNREAD_HINT),
            );
            return (node, problems);
        }
    };
    let at = |line: u32| {
        format!(
            "{}:{}",
            loc.display,
            doc.start_line + line.saturating_sub(1)
        )
    };

    let mut entries = Vec::new();
    let mut remote = Vec::new();
    for res in k.resources.iter().chain(&k.bases) {
        let rel = res.value.trim();
        let line = doc.start_line + (res.referenced.line() as u32).saturating_sub(1);
        if is_remote(rel) {
            remote.push((rel.to_string(), line));
            continue;
        }
        match resolve(loc, rel, line, fsys) {
            Ok(entry) => entries.push(entry),
            Err((message, hint)) => problems.push(
                Problem::new(
                    ProblemLevel::Error,
                    source_id,
                    at(res.referenced.line() as u32),
                    message,
                )
                .hint(hint),
            ),
        }
    }
    if let Some((_, line)) = remote.first() {
        let list: Vec<String> = remote.iter().map(|(r, _)| format!("`{r}`")).collect();
        problems.push(
            Problem::new(
                ProblemLevel::Note,
                source_id,
                format!("{}:{line}", loc.display),
                format!("remote resources {} {NOT_APPLIED}", list.join(", ")),
            )
            .hint("remote resources are not fetched; their objects were not assessed"),
        );
    }
    for (key, line, value) in &k.not_applied {
        problems.push(
            Problem::new(
                ProblemLevel::Note,
                source_id,
                at(*line),
                format!("`{key}` {NOT_APPLIED}"),
            )
            .hint(NOT_APPLIED_HINT),
        );
        collect_referenced(value, &loc.dir, &mut node.referenced, fsys);
    }
    let mut images = Vec::new();
    for image in k.images {
        if image.value.name.trim().is_empty() {
            problems.push(Problem::new(
                ProblemLevel::Warning,
                source_id,
                at(image.referenced.line() as u32),
                "an `images` entry without a name: ignored",
            ));
        } else {
            images.push(image.value);
        }
    }
    node.parsed = Some(Parsed {
        transform: Arc::new(Transform {
            images,
            namespace: k.namespace.filter(|n| !n.is_empty()),
        }),
        entries,
        component: k.kind.as_deref() == Some("Component"),
    });
    (node, problems)
}

const UNREAD_HINT: &str = "fix the kustomization; the manifests beside it were not assessed";

/// For the fuzz targets ([`crate::fuzzing`]): reads kustomizations held in memory, the
/// overlay first and each base after the one that includes it, as files named `display`
/// under `dir` (what they list is resolved there: looked up, never opened), and gives the
/// rendering their chain applies to a file they all reach, with every problem met.
pub(crate) fn rendering_of(
    dir: &Path,
    kustomizations: &[(&str, &str)],
    source_id: &str,
) -> (Option<Rendering>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut transforms = Vec::new();
    for (display, text) in kustomizations {
        let loc = Location::new(dir.join(display), display.to_string());
        let (node, p) = parse(text, &loc, true, source_id, &Disk);
        problems.extend(p);
        match node.parsed {
            Some(parsed) => transforms.push(parsed.transform),
            None => return (None, problems),
        }
    }
    let rendering = kustomizations.first().map(|(via, _)| Rendering {
        via: Arc::from(*via),
        transforms,
    });
    (rendering, problems)
}

/// Resolves a `resources:` entry against the kustomization's directory.
fn resolve(
    loc: &Location,
    rel: &str,
    line: u32,
    fsys: &dyn FileSystem,
) -> Result<Entry, (String, &'static str)> {
    let path = loc.dir.join(rel);
    let kind = fsys.kind(&path).map_err(|e| {
        let message = if e.kind() == std::io::ErrorKind::NotFound && fsys.is_symlink(&path) {
            format!("resource `{rel}` is a dangling symbolic link")
        } else if e.kind() == std::io::ErrorKind::NotFound {
            format!("resource `{rel}` not found")
        } else {
            format!("resource `{rel}` cannot be read: {e}")
        };
        (
            message,
            "fix the path in the kustomization; its other resources were read",
        )
    })?;
    if kind == EntryKind::Dir {
        let dir = canonical(&path, fsys).ok_or_else(|| {
            (
                format!("resource `{rel}` cannot be read"),
                "check its permissions",
            )
        })?;
        let Some(file) = find_in(&path, fsys) else {
            return Err((
                format!("resource `{rel}` is a directory without a kustomization file"),
                "kustomize cannot build it: add a kustomization.yaml there or list its files",
            ));
        };
        let name = file.file_name().unwrap_or_default();
        let display = normalize(&loc.dir_display.join(rel).join(name))
            .display()
            .to_string();
        return Ok(Entry::Kustomization {
            dir,
            file,
            display,
            line,
        });
    }
    let identity = identity(&path, &mut HashMap::new(), fsys).ok_or_else(|| {
        (
            format!("resource `{rel}` cannot be read"),
            "check its permissions",
        )
    })?;
    Ok(Entry::File {
        identity,
        display: normalize(&loc.dir_display.join(rel)).display().to_string(),
        path,
        line,
    })
}

/// The kustomization file of a directory, by kustomize's preference.
fn find_in(dir: &Path, fsys: &dyn FileSystem) -> Option<PathBuf> {
    FILE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| fsys.is_file(p))
}

/// Remote bases: URLs and the `host/org/repo` forms kustomize fetches with git.
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.contains("?ref=")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|h| entry.starts_with(h))
}

/// Files named by strings anywhere in a field that is not applied (patch paths, generator
/// inputs such as `files: [key=config.yaml]`), so they are not read as manifests.
fn collect_referenced(
    value: &Value,
    dir: &Path,
    out: &mut HashSet<PathBuf>,
    fsys: &dyn FileSystem,
) {
    match value {
        Value::String(s) if !s.contains('\n') => {
            let rel = s.split_once('=').map_or(s.as_str(), |(_, p)| p).trim();
            let path = dir.join(rel);
            if !rel.is_empty()
                && fsys.is_file(&path)
                && let Some(id) = identity(&path, &mut HashMap::new(), fsys)
            {
                out.insert(id);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_referenced(v, dir, out, fsys)),
        Value::Object(map) => map
            .values()
            .for_each(|v| collect_referenced(v, dir, out, fsys)),
        _ => {}
    }
}

/// The rendering pass over the include graph, one top level at a time.
struct Walk<'a> {
    nodes: &'a BTreeMap<PathBuf, Node>,
    source_id: &'a str,
    planned: BTreeMap<PathBuf, Planned>,
    visited: HashSet<PathBuf>,
    problems: Vec<Problem>,
}

impl Walk<'_> {
    fn render_top(&mut self, top: &Path, via: Arc<str>) {
        let mut chain = Vec::new();
        let mut stack = Vec::new();
        let mut seen = HashSet::new();
        self.visit(top, &via, &mut chain, &mut stack, &mut seen);
    }

    fn visit(
        &mut self,
        dir: &Path,
        via: &Arc<str>,
        chain: &mut Vec<Arc<Transform>>,
        stack: &mut Vec<PathBuf>,
        seen: &mut HashSet<PathBuf>,
    ) {
        let nodes = self.nodes;
        let Some(node) = nodes.get(dir) else { return };
        let Some(parsed) = &node.parsed else { return };
        self.visited.insert(dir.to_path_buf());
        chain.push(parsed.transform.clone());
        stack.push(dir.to_path_buf());
        for entry in &parsed.entries {
            match entry {
                Entry::File {
                    identity,
                    path,
                    display,
                    line,
                } => {
                    if !seen.insert(identity.clone()) {
                        self.problems.push(
                            Problem::new(
                                ProblemLevel::Warning,
                                self.source_id,
                                format!("{}:{line}", node.display),
                                format!("{display} is reached twice through {via}: read once"),
                            )
                            .hint("kustomize refuses a resource listed twice; list it once"),
                        );
                        continue;
                    }
                    self.planned
                        .entry(identity.clone())
                        .or_insert_with(|| Planned {
                            path: path.clone(),
                            display: display.clone(),
                            renderings: Vec::new(),
                        })
                        .renderings
                        .push(Rendering {
                            via: via.clone(),
                            transforms: chain.clone(),
                        });
                }
                Entry::Kustomization {
                    dir: child, line, ..
                } => {
                    if stack.contains(child) {
                        self.problems.push(
                            Problem::new(
                                ProblemLevel::Error,
                                self.source_id,
                                format!("{}:{line}", node.display),
                                "kustomizations include each other in a cycle: not followed",
                            )
                            .hint("kustomize refuses cycles; remove one of the includes"),
                        );
                        continue;
                    }
                    self.visit(child, via, chain, stack, seen);
                }
            }
        }
        chain.pop();
        stack.pop();
    }
}

/// Takes files under kustomizations off the plain list and adds the rendered ones.
fn take_claimed(
    files: &mut Vec<InputFile>,
    mut planned: BTreeMap<PathBuf, Planned>,
    nodes: &BTreeMap<PathBuf, Node>,
    source_id: &str,
    problems: &mut Vec<Problem>,
    fsys: &dyn FileSystem,
) {
    // Files a kustomization lists or refers to but no top level renders (cycles,
    // components, patches, generator inputs): the problems about those kustomizations say so.
    let listed = nodes
        .values()
        .filter_map(|n| n.parsed.as_ref())
        .flat_map(|p| &p.entries)
        .filter_map(|e| match e {
            Entry::File { identity, .. } => Some(identity),
            Entry::Kustomization { .. } => None,
        });
    let referenced: HashSet<&PathBuf> = nodes
        .values()
        .flat_map(|n| &n.referenced)
        .chain(listed)
        .collect();
    let mut parents = HashMap::new();
    files.retain(|f| {
        let Some(id) = identity(&f.path, &mut parents, fsys) else {
            return true;
        };
        if let Some(p) = planned.get_mut(&id) {
            // Shown under the path the walk found it by.
            p.path = f.path.clone();
            p.display = f.display.clone();
            return false;
        }
        if referenced.contains(&id) {
            return false;
        }
        match id.parent().and_then(|d| nodes.get(d)) {
            // Its kustomization could not be read; the error about it says so.
            Some(node) if node.parsed.is_none() => false,
            Some(node) => {
                problems.push(Problem::new(
                    ProblemLevel::Note,
                    source_id,
                    f.display.clone(),
                    format!(
                        "not read: the kustomization beside it ({}) does not list it",
                        node.display
                    ),
                ));
                false
            }
            None => true,
        }
    });
    files.extend(planned.into_values().map(|p| InputFile {
        path: p.path,
        display: p.display,
        renderings: p.renderings,
    }));
}

/// A file's identity: its directory's canonical path and its name, so a file reached by
/// `../base/x.yaml` and found by the walk as `base/x.yaml` is one file.
fn identity(
    path: &Path,
    parents: &mut HashMap<PathBuf, Option<PathBuf>>,
    fsys: &dyn FileSystem,
) -> Option<PathBuf> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let canon = parents
        .entry(parent.to_path_buf())
        .or_insert_with(|| canonical(parent, fsys))
        .clone()?;
    Some(canon.join(path.file_name()?))
}

fn canonical(path: &Path, fsys: &dyn FileSystem) -> Option<PathBuf> {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    fsys.canonicalize(path).ok()
}

/// `a/b/../c` as `a/c`, without touching the file system, for display.
fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir if out.is_empty() => out.push(c),
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::CurDir) => {
                    out.pop();
                    out.push(c);
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// Kinds kustomize leaves without a namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// Makes each top level's copy of a file's objects: overrides applied, `via` set, and an
/// evidence record of its own (locator `file#doc via kustomization`; rehashed when the
/// overrides changed the object).
pub(super) fn render(
    objects: Vec<(Object, EvidenceRecord)>,
    renderings: &[Rendering],
    source_id: &str,
) -> Vec<(Object, EvidenceRecord)> {
    let mut out = Vec::with_capacity(objects.len() * renderings.len());
    for (object, record) in objects {
        let Some((last, rest)) = renderings.split_last() else {
            out.push((object, record));
            continue;
        };
        for r in rest {
            out.push(render_one(object.clone(), record.clone(), r, source_id));
        }
        out.push(render_one(object, record, last, source_id));
    }
    out
}

fn render_one(
    mut object: Object,
    mut record: EvidenceRecord,
    rendering: &Rendering,
    source_id: &str,
) -> (Object, EvidenceRecord) {
    let mut changed = false;
    let namespaced = !CLUSTER_SCOPED.contains(&object.kind.as_str());
    let mut value = object.value();
    for t in rendering.transforms.iter().rev() {
        changed |= apply_images(&mut value, &t.images);
        if let Some(ns) = t.namespace.as_deref().filter(|_| namespaced)
            && object.meta.namespace.as_deref() != Some(ns)
            && let Some(obj) = value.as_object_mut()
        {
            let meta = obj
                .entry("metadata")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert("namespace".into(), Value::String(ns.to_string()));
                object.meta.namespace = Some(ns.to_string());
                changed = true;
            }
        }
    }
    if changed {
        object.set_value(&value);
        record.sha256 = sha256_hex(object.json.as_bytes());
        record.describes = object.display_name();
    }
    record.locator = format!("{} via {}", record.locator, rendering.via);
    record.id = evidence_id(source_id, &record.locator);
    object.evidence = record.id.clone();
    object.origin.via = Some(rendering.via.to_string());
    (object, record)
}

/// Applies `images:` entries, in order, to every `containers` and `initContainers` list in
/// the object, as kustomize's image transformer does. True when an image changed.
fn apply_images(value: &mut Value, images: &[ImageOverride]) -> bool {
    if images.is_empty() {
        return false;
    }
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if (key == "containers" || key == "initContainers")
                    && let Value::Array(containers) = v
                {
                    for c in containers {
                        if let Some(Value::String(image)) = c.get_mut("image") {
                            for o in images {
                                if let Some(new) = override_image(image, o) {
                                    *image = new;
                                    changed = true;
                                }
                            }
                        }
                    }
                } else {
                    changed |= apply_images(v, images);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                changed |= apply_images(v, images);
            }
        }
        _ => {}
    }
    changed
}

/// The image an override turns `image` into, when its name part matches: a new tag or a
/// new digest replaces both the old tag and digest, as in kustomize.
fn override_image(image: &str, o: &ImageOverride) -> Option<String> {
    let Parts { name, tag, digest } = image::split(image);
    if name != o.name {
        return None;
    }
    let new_tag = o.new_tag.as_deref().filter(|t| !t.is_empty());
    let new_digest = o.digest.as_deref().filter(|d| !d.is_empty());
    let (tag, digest) = match (new_tag, new_digest) {
        (None, None) => (tag, digest),
        (t, d) => (t, d),
    };
    let mut out = o
        .new_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or(name)
        .to_string();
    if let Some(t) = tag {
        out.push(':');
        out.push_str(t);
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(d);
    }
    (out != image).then_some(out)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::collect::snapshot::{SnapshotOptions, load};
    use crate::evidence::inventory::Inventory;

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (path, text) in files {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }

    fn load_dir(root: &Path) -> Inventory {
        let mut inv = load(root, &SnapshotOptions::default());
        inv.canonicalize();
        inv
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n\
        spec:\n  template:\n    spec:\n      initContainers:\n      - name: init\n        \
        image: busybox\n      containers:\n      - name: web\n        \
        image: registry.example.com:5000/shop/api:1.0@sha256:aaaa\n";

    fn images(inv: &Inventory) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for o in &inv.objects {
            for list in ["initContainers", "containers"] {
                for c in o.value()["spec"]["template"]["spec"][list]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    out.push((
                        o.origin.via.clone().unwrap_or_default(),
                        o.meta.namespace.clone().unwrap_or_default(),
                        c["image"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
        out
    }

    fn messages(inv: &Inventory) -> Vec<(ProblemLevel, String, String)> {
        inv.problems
            .iter()
            .map(|p| (p.level, p.location.clone(), p.message.clone()))
            .collect()
    }

    #[test]
    fn overrides_follow_kustomize() {
        let o = |name: &str, new_name: Option<&str>, tag: Option<&str>, digest: Option<&str>| {
            ImageOverride {
                name: name.into(),
                new_name: new_name.map(Into::into),
                new_tag: tag.map(Into::into),
                digest: digest.map(Into::into),
            }
        };
        // The name part must match exactly: not a prefix, not with the tag.
        assert_eq!(
            override_image("nginx:1", &o("ngin", None, Some("2"), None)),
            None
        );
        assert_eq!(
            override_image("nginx:1", &o("nginx:1", None, Some("2"), None)),
            None
        );
        assert_eq!(
            override_image(
                "docker.io/library/nginx",
                &o("nginx", None, Some("2"), None)
            ),
            None
        );
        // A new name keeps the tag and digest.
        assert_eq!(
            override_image(
                "nginx:1@sha256:ab",
                &o("nginx", Some("r.io/nginx"), None, None)
            )
            .as_deref(),
            Some("r.io/nginx:1@sha256:ab")
        );
        // A new tag drops the old digest, a new digest the old tag; both set both.
        assert_eq!(
            override_image("nginx:1@sha256:ab", &o("nginx", None, Some("2"), None)).as_deref(),
            Some("nginx:2")
        );
        assert_eq!(
            override_image("nginx:1", &o("nginx", None, None, Some("sha256:cd"))).as_deref(),
            Some("nginx@sha256:cd")
        );
        assert_eq!(
            override_image(
                "h:5000/x",
                &o("h:5000/x", None, Some("3"), Some("sha256:cd"))
            )
            .as_deref(),
            Some("h:5000/x:3@sha256:cd")
        );
        // No change is no change.
        assert_eq!(
            override_image("nginx:2", &o("nginx", None, Some("2"), None)),
            None
        );
    }

    #[test]
    fn normalize_resolves_parent_steps_for_display() {
        let n = |p: &str| normalize(Path::new(p)).display().to_string();
        assert_eq!(
            n("snap/overlays/prod/../../base/d.yaml"),
            "snap/base/d.yaml"
        );
        assert_eq!(n("./overlays/prod/../../base"), "./base");
        assert_eq!(n("./../base"), "../base");
        assert_eq!(n("a/../../b"), "../b");
        assert_eq!(n("/x/../../y"), "/y");
    }

    #[test]
    fn two_overlays_render_two_copies_base_overrides_first() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("base/deploy.yaml", DEPLOY),
                (
                    "base/kustomization.yaml",
                    "resources: [deploy.yaml]\nnamespace: base\nimages:\n\
                     - name: busybox\n  newTag: 1.10\n\
                     - name: registry.example.com:5000/shop/api\n  newName: r.io/api\n",
                ),
                (
                    "overlays/prod/kustomization.yaml",
                    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
                     resources:\n- ../../base\nnamespace: prod\nimages:\n\
                     - name: r.io/api\n  newTag: \"2.0\"\n  digest: sha256:bbbb\n",
                ),
                ("overlays/stage/kustomization.yml", "bases: [../../base]\n"),
            ],
        );
        let inv = load_dir(dir.path());
        assert!(inv.problems.is_empty(), "{:?}", inv.problems);
        let root = dir.path().display().to_string();
        let prod = format!("{root}/overlays/prod/kustomization.yaml");
        let stage = format!("{root}/overlays/stage/kustomization.yml");
        let mut got = images(&inv);
        got.sort();
        assert_eq!(
            got,
            [
                (prod.clone(), "prod".into(), "busybox:1.10".into()),
                (
                    prod.clone(),
                    "prod".into(),
                    "r.io/api:2.0@sha256:bbbb".into()
                ),
                (stage.clone(), "base".into(), "busybox:1.10".into()),
                (
                    stage.clone(),
                    "base".into(),
                    "r.io/api:1.0@sha256:aaaa".into()
                ),
            ]
        );
        // Each copy is evidence of its own, shown under the base file it came from.
        assert_eq!(inv.records.len(), 2);
        assert_ne!(inv.records[0].id, inv.records[1].id);
        assert_ne!(inv.records[0].sha256, inv.records[1].sha256);
        for (o, r) in inv.objects.iter().zip(&inv.records) {
            assert_eq!(o.evidence, r.id);
            assert_eq!(
                o.origin.path.as_deref(),
                Some(&*format!("{root}/base/deploy.yaml"))
            );
            assert!(
                r.locator.ends_with(o.origin.via.as_deref().unwrap()),
                "{}",
                r.locator
            );
            assert_eq!(r.describes, o.display_name());
        }
        assert_eq!(inv.coverage.count("Deployment"), 2);
    }

    #[test]
    fn an_overlay_outside_the_snapshot_reaches_its_base_and_the_file_itself_works() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("base/deploy.yaml", DEPLOY),
                ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
                (
                    "overlays/prod/kustomization.yaml",
                    "resources: [../../base]\nimages: [{name: busybox, newTag: \"1.36\"}]\n",
                ),
            ],
        );
        for root in ["overlays/prod", "overlays/prod/kustomization.yaml"] {
            let inv = load_dir(&dir.path().join(root));
            assert!(inv.problems.is_empty(), "{root}: {:?}", inv.problems);
            assert_eq!(inv.objects.len(), 1, "{root}");
            let o = &inv.objects[0];
            assert_eq!(
                o.origin.path.as_deref(),
                Some(&*format!("{}/base/deploy.yaml", dir.path().display()))
            );
            assert_eq!(images(&inv)[0].2, "busybox:1.36");
        }
    }

    #[test]
    fn bad_references_are_problems_with_lines_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("app/deploy.yaml", DEPLOY),
                (
                    "app/plain/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
                ),
                (
                    "app/kustomization.yaml",
                    "resources:\n- deploy.yaml\n- nothere.yaml\n- plain\n\
                     - github.com/org/repo/base?ref=v1\n- https://example.com/x.yaml\n\
                     patchesStrategicMerge:\n- patch.yaml\nconfigMapGenerator:\n\
                     - name: cfg\n  files: [settings=conf/settings.yaml]\n\
                     replacements: []\ncomponents: [../comp]\n",
                ),
                (
                    "app/patch.yaml",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n",
                ),
                (
                    "app/conf/settings.yaml",
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
                ),
                (
                    "app/unlisted.yaml",
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: u}\n",
                ),
                (
                    "comp/kustomization.yaml",
                    "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
                ),
            ],
        );
        let inv = load_dir(dir.path());
        let root = dir.path().display().to_string();
        let k = format!("{root}/app/kustomization.yaml");
        let got = messages(&inv);
        let expect = |level, loc: &str, contains: &str| {
            assert!(
                got.iter()
                    .any(|(l, at, m)| *l == level && at == loc && m.contains(contains)),
                "{level:?} {loc} {contains}: {got:#?}"
            );
        };
        expect(
            ProblemLevel::Error,
            &format!("{k}:3"),
            "resource `nothere.yaml` not found",
        );
        expect(
            ProblemLevel::Error,
            &format!("{k}:4"),
            "directory without a kustomization",
        );
        expect(
            ProblemLevel::Note,
            &format!("{k}:5"),
            "github.com/org/repo/base?ref=v1",
        );
        expect(
            ProblemLevel::Note,
            &format!("{k}:7"),
            "`patchesStrategicMerge` not applied",
        );
        expect(
            ProblemLevel::Note,
            &format!("{k}:9"),
            "`configMapGenerator` not applied",
        );
        expect(
            ProblemLevel::Note,
            &format!("{k}:13"),
            "`components` not applied",
        );
        expect(
            ProblemLevel::Note,
            &format!("{root}/app/unlisted.yaml"),
            "does not list it",
        );
        expect(
            ProblemLevel::Note,
            &format!("{root}/comp/kustomization.yaml"),
            "Component",
        );
        // `replacements: []` is still a field that is not applied.
        expect(
            ProblemLevel::Note,
            &format!("{k}:12"),
            "`replacements` not applied",
        );
        // Remote resources are one note, however many.
        assert_eq!(
            got.iter().filter(|(_, _, m)| m.contains("remote")).count(),
            1
        );
        assert_eq!(got.len(), 9, "{got:#?}");
        // The listed file is rendered; the directory without a kustomization is read plain;
        // the patch and the generator input are not objects.
        let mut names: Vec<_> = inv
            .objects
            .iter()
            .map(|o| {
                (
                    o.kind.as_str(),
                    o.meta.name.as_str(),
                    o.origin.via.is_some(),
                )
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            [("ConfigMap", "c", false), ("Deployment", "api", true)]
        );
    }

    #[test]
    fn a_broken_kustomization_is_an_error_and_its_directory_is_not_read_raw() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("app/deploy.yaml", DEPLOY),
                ("app/kustomization.yaml", "resources: deploy.yaml\n"),
                (
                    "other/pod.yaml",
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
                ),
            ],
        );
        let inv = load_dir(dir.path());
        let got = messages(&inv);
        assert!(
            got.iter().any(|(l, at, m)| *l == ProblemLevel::Error
                && at.ends_with("app/kustomization.yaml:1")
                && m.starts_with("invalid kustomization")),
            "{got:?}"
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(inv.objects.len(), 1);
        assert_eq!(inv.objects[0].kind, "Pod");
    }

    #[test]
    fn cycles_and_duplicates_are_reported_not_followed_forever() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("a/kustomization.yaml", "resources: [../b, pod.yaml]\n"),
                (
                    "a/pod.yaml",
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n",
                ),
                ("b/kustomization.yaml", "resources: [../a]\n"),
                ("top/kustomization.yaml", "resources: [../c, ../d]\n"),
                ("c/kustomization.yaml", "resources: [../shared]\n"),
                ("d/kustomization.yaml", "resources: [../shared]\n"),
                ("shared/kustomization.yaml", "resources: [pod.yaml]\n"),
                (
                    "shared/pod.yaml",
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: s}\n",
                ),
            ],
        );
        let inv = load_dir(dir.path());
        let got = messages(&inv);
        // A cycle no top level reaches: both ends say why they were not rendered.
        for end in ["a", "b"] {
            assert!(
                got.iter().any(|(l, at, m)| *l == ProblemLevel::Warning
                    && at.ends_with(&format!("{end}/kustomization.yaml"))
                    && m.contains("a cycle of includes")),
                "{got:?}"
            );
        }
        assert!(
            got.iter().any(|(l, at, m)| *l == ProblemLevel::Warning
                && at.ends_with("d/kustomization.yaml:1")
                && m.contains("reached twice")),
            "{got:?}"
        );
        // a/pod.yaml is listed, but only through the cycle: not read, and no other note.
        assert_eq!(got.len(), 3, "{got:#?}");
        let names: Vec<_> = inv.objects.iter().map(|o| o.meta.name.as_str()).collect();
        assert_eq!(names, ["s"]);

        // A top level that walks into a cycle stops where it closes, and keeps the rest.
        write(
            dir.path(),
            &[("e/kustomization.yaml", "resources: [../a]\n")],
        );
        let inv = load_dir(dir.path());
        let got = messages(&inv);
        assert!(
            got.iter().any(|(l, at, m)| *l == ProblemLevel::Error
                && at.ends_with("b/kustomization.yaml:1")
                && m.contains("cycle")),
            "{got:?}"
        );
        let mut names: Vec<_> = inv.objects.iter().map(|o| o.meta.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["a", "s"]);
    }

    #[test]
    fn namespace_skips_cluster_scoped_kinds() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "kustomization.yaml",
                    "namespace: shop\nresources: [all.yaml]\n",
                ),
                (
                    "all.yaml",
                    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
                     apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: x}\n",
                ),
            ],
        );
        let inv = load_dir(dir.path());
        let ns: Vec<_> = inv
            .objects
            .iter()
            .map(|o| (o.kind.as_str(), o.meta.namespace.as_deref()))
            .collect();
        assert_eq!(ns, [("Namespace", None), ("ServiceAccount", Some("shop"))]);
        assert_eq!(inv.objects[1].value()["metadata"]["namespace"], "shop");
    }

    #[test]
    fn the_preferred_kustomization_file_wins() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("kustomization.yaml", "resources: [pod.yaml]\n"),
                ("Kustomization", "resources: []\n"),
                (
                    "pod.yaml",
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
                ),
            ],
        );
        let inv = load_dir(dir.path());
        assert_eq!(inv.objects.len(), 1);
        let got = messages(&inv);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].1.ends_with("/Kustomization") && got[0].0 == ProblemLevel::Warning);
    }
}
