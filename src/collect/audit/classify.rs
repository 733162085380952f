//! Classification: which audit events entered or changed a running container, and what
//! they say about it.
//!
//! Every shape gives each event as a [`Head`] (what every event is read for: its id, stage,
//! times, verb and target) and, for the few whose head makes them candidates, a [`Detail`]
//! (who, from where, the outcome, the request body). [`classify`] turns a candidate into an
//! [`Action`], or None when it changed nothing in a running container:
//!
//! - `create` (or `get`, the older WebSocket path) on `pods/exec` and `pods/attach`;
//! - `patch`/`update` on `pods/ephemeralcontainers` (a debug container added to a pod);
//! - `patch`/`update` on `pods/resize` (resources changed in place);
//! - `patch`/`update` on `pods`: at level `Request` or higher the body tells whether an
//!   image changed (a patch that sets `spec.containers[].image` or
//!   `spec.initContainers[].image`; an update whose images differ from the pod's last spec
//!   in the logs); at `Metadata` it is a change of unknown content;
//! - any verb on `nodes/proxy` to the kubelet's `exec/`, `run/` or `attach/` endpoints;
//! - `kubectl debug node/...`: a pod created with kubectl's user agent that shares the
//!   host's PID, network or IPC namespace or mounts the host's `/` (at `Metadata` level,
//!   told by kubectl's `node-debugger-` name).
//!
//! The request body is read for the fields cited and nothing else; it is never stored. A
//! command given in the request URI (`command=` parameters) is decoded and goes through the
//! argument redaction of [`crate::collect::redact`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::coverage::Micros;
use crate::collect::redact;

/// The stage of request handling an event was logged at (the API server logs up to four
/// per request; GKE's `operation.first`/`last` say the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "PascalCase")]
pub enum Stage {
    RequestReceived,
    ResponseStarted,
    ResponseComplete,
    Panic,
}

impl Stage {
    pub(super) fn parse(s: Option<&str>) -> Option<Stage> {
        Some(match s? {
            "RequestReceived" => Stage::RequestReceived,
            "ResponseStarted" => Stage::ResponseStarted,
            "ResponseComplete" => Stage::ResponseComplete,
            "Panic" => Stage::Panic,
            _ => return None,
        })
    }

    /// Is this the request's last word? Only these events are counted, so a request
    /// logged at several stages counts once.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::ResponseComplete | Stage::Panic)
    }
}

/// How much of the request the log holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "PascalCase")]
pub enum Level {
    /// Who, what, when and the outcome; no body.
    Metadata,
    /// The request body too.
    Request,
    /// The request and response bodies.
    RequestResponse,
    /// The shape does not say (GKE): `Request` when a body is present.
    Unknown,
}

impl Level {
    pub(super) fn parse(s: Option<&str>) -> Level {
        match s {
            Some("Metadata") => Level::Metadata,
            Some("Request") => Level::Request,
            Some("RequestResponse") => Level::RequestResponse,
            _ => Level::Unknown,
        }
    }

    fn has_body(self) -> bool {
        matches!(self, Level::Request | Level::RequestResponse)
    }
}

/// What every event is read for, borrowed from its line.
#[derive(Debug, Default)]
pub(super) struct Head<'a> {
    pub(super) audit_id: Option<Cow<'a, str>>,
    /// None for a shape without stages (each entry is the request's last word).
    pub(super) stage: Option<Stage>,
    /// When the API server received the request.
    pub(super) received: Option<Micros>,
    /// When this event was logged.
    pub(super) logged: Option<Micros>,
    pub(super) verb: Option<Cow<'a, str>>,
    pub(super) resource: Option<Cow<'a, str>>,
    pub(super) subresource: Option<Cow<'a, str>>,
}

/// What a candidate is read for besides its head.
#[derive(Debug, Default)]
pub(super) struct Detail<'a> {
    pub(super) level: Option<Level>,
    pub(super) namespace: Option<Cow<'a, str>>,
    pub(super) name: Option<Cow<'a, str>>,
    /// The request URI (path and query), or GKE's `resourceName`.
    pub(super) uri: Option<Cow<'a, str>>,
    pub(super) user: Option<Cow<'a, str>>,
    pub(super) groups: Vec<Cow<'a, str>>,
    pub(super) impersonated_user: Option<Cow<'a, str>>,
    pub(super) impersonated_groups: Vec<Cow<'a, str>>,
    pub(super) source_ips: Vec<Cow<'a, str>>,
    pub(super) user_agent: Option<Cow<'a, str>>,
    /// The HTTP status code of the response.
    pub(super) code: Option<u16>,
    /// The request body (`requestObject`; GKE's `request`), read and never kept.
    pub(super) body: Option<&'a RawValue>,
}

/// A container and the image a request gave it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ContainerImage {
    /// The container's name (None for a JSON patch that names it by index).
    pub name: Option<String>,
    pub image: String,
}

/// Why a pod change's effect on images is not known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unknown {
    /// Logged at `Metadata`: the body is not in the log.
    MetadataLevel,
    /// Logged at `Request` or higher, but without the body (omitted or too big).
    NoBody,
    /// The body is not a pod or a patch evidencer can read.
    UnreadableBody,
    /// An update whose pod's earlier spec is not in the logs, so nothing to compare with.
    NoEarlierSpec,
    /// A JSON patch that moves or copies into the containers.
    MoveOrCopy,
}

/// What a pod patch or update did to the pod's images.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "images", rename_all = "kebab-case")]
pub enum ImageChange {
    /// The request set these containers' images.
    Changed { containers: Vec<ContainerImage> },
    /// Not known: the check warns.
    Unknown { why: Unknown },
}

/// What an event did to a running container.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// A command run in a container (`pods/exec`).
    Exec,
    /// A terminal attached to a container's main process (`pods/attach`).
    Attach,
    /// A debug container added to a running pod (`pods/ephemeralcontainers`), with the
    /// containers the body names when it is logged.
    EphemeralContainer { containers: Vec<ContainerImage> },
    /// A running pod's resources changed in place (`pods/resize`).
    Resize,
    /// A running pod patched or updated.
    PodChange { change: ImageChange },
    /// A command run through the kubelet (`nodes/proxy` to `exec/`, `run/` or `attach/`).
    NodeProxy { endpoint: String },
    /// A pod on a node's host namespaces or root made with kubectl (`kubectl debug node/`).
    DebugNode {
        /// What it shares with the host: `hostPID`, `hostNetwork`, `hostIPC`, `hostPath:/`;
        /// empty when only the name told it (at `Metadata` level).
        host: Vec<String>,
    },
}

impl Action {
    /// A short name for counts and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Exec => "exec",
            Action::Attach => "attach",
            Action::EphemeralContainer { .. } => "ephemeral-container",
            Action::Resize => "resize",
            Action::PodChange {
                change: ImageChange::Changed { .. },
            } => "image-change",
            Action::PodChange {
                change: ImageChange::Unknown { .. },
            } => "pod-change-unknown",
            Action::NodeProxy { .. } => "node-proxy-command",
            Action::DebugNode { .. } => "debug-node",
        }
    }
}

fn verb_is(head: &Head<'_>, verbs: &[&str]) -> bool {
    head.verb.as_deref().is_some_and(|v| verbs.contains(&v))
}

/// Whether an event's head makes it worth reading in full. Cheap: this runs for every
/// event.
pub(super) fn is_candidate(head: &Head<'_>) -> bool {
    match (head.resource.as_deref(), head.subresource.as_deref()) {
        (Some("pods"), Some("exec" | "attach")) => verb_is(head, &["create", "get"]),
        (Some("pods"), Some("ephemeralcontainers" | "resize")) => {
            verb_is(head, &["patch", "update"])
        }
        (Some("pods"), None | Some("")) => verb_is(head, &["create", "patch", "update"]),
        (Some("nodes"), Some("proxy")) => true,
        _ => false,
    }
}

/// The images a pod's last spec in the logs gave each container, to tell whether an
/// update changed one. Keyed by a hash of namespace and name; a few dozen bytes a pod.
#[derive(Debug, Default)]
pub(super) struct PodSpecs {
    images: HashMap<u64, Vec<(u64, u64)>>,
}

/// At most this many pods are remembered: past it, updates of pods not remembered are of
/// unknown content, and memory stays bounded.
const MAX_PODS_REMEMBERED: usize = 1_000_000;

fn hash_of(parts: &[&str]) -> u64 {
    // SipHash with fixed keys: the same in every run.
    let mut h = std::hash::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// [`PodSpecs`], to read always and to update only when the event says what a pod runs.
pub(super) struct Specs<'s> {
    specs: &'s mut PodSpecs,
    writable: bool,
}

impl PodSpecs {
    fn writable(&mut self, writable: bool) -> Specs<'_> {
        Specs {
            specs: self,
            writable,
        }
    }
}

impl Specs<'_> {
    fn remember(&mut self, key: u64, containers: &[ContainerImage]) {
        if self.writable {
            self.specs.remember(key, containers);
        }
    }

    fn changed(&self, key: u64, containers: &[ContainerImage]) -> Option<Vec<ContainerImage>> {
        self.specs.changed(key, containers)
    }

    fn patched(&mut self, key: u64, containers: &[ContainerImage]) {
        if self.writable {
            self.specs.patched(key, containers);
        }
    }
}

impl PodSpecs {
    fn remember(&mut self, key: u64, containers: &[ContainerImage]) {
        if self.images.len() >= MAX_PODS_REMEMBERED && !self.images.contains_key(&key) {
            return;
        }
        let mut list: Vec<(u64, u64)> = containers
            .iter()
            .map(|c| {
                (
                    hash_of(&[c.name.as_deref().unwrap_or("")]),
                    hash_of(&[&c.image]),
                )
            })
            .collect();
        list.sort_unstable();
        self.images.insert(key, list);
    }

    /// The containers whose image differs from the remembered spec; None when the pod is
    /// not remembered.
    fn changed(&self, key: u64, containers: &[ContainerImage]) -> Option<Vec<ContainerImage>> {
        let old = self.images.get(&key)?;
        Some(
            containers
                .iter()
                .filter(|c| {
                    let name = hash_of(&[c.name.as_deref().unwrap_or("")]);
                    let image = hash_of(&[&c.image]);
                    !old.iter().any(|&(n, i)| n == name && i == image)
                })
                .cloned()
                .collect(),
        )
    }

    /// Records the images a patch set, for the pods already remembered.
    fn patched(&mut self, key: u64, containers: &[ContainerImage]) {
        if let Some(old) = self.images.get_mut(&key) {
            for c in containers {
                let Some(name) = c.name.as_deref() else {
                    continue;
                };
                let (n, i) = (hash_of(&[name]), hash_of(&[&c.image]));
                match old.iter_mut().find(|(on, _)| *on == n) {
                    Some(entry) => entry.1 = i,
                    None => old.push((n, i)),
                }
            }
            old.sort_unstable();
        }
    }
}

/// The parts of a pod (or of a patch to one) that are read. Everything else is skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PodBody<'a> {
    #[serde(borrow)]
    metadata: Option<PodMeta<'a>>,
    #[serde(borrow)]
    spec: Option<PodSpec<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PodMeta<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PodSpec<'a> {
    #[serde(borrow)]
    containers: Option<Vec<Container<'a>>>,
    #[serde(borrow)]
    init_containers: Option<Vec<Container<'a>>>,
    #[serde(borrow)]
    ephemeral_containers: Option<Vec<Container<'a>>>,
    #[serde(rename = "hostPID")]
    host_pid: Option<bool>,
    #[serde(rename = "hostIPC")]
    host_ipc: Option<bool>,
    host_network: Option<bool>,
    #[serde(borrow)]
    volumes: Option<Vec<Volume<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Container<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    image: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Volume<'a> {
    #[serde(borrow)]
    host_path: Option<HostPath<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HostPath<'a> {
    #[serde(borrow)]
    path: Option<Cow<'a, str>>,
}

/// One operation of a JSON patch (RFC 6902).
#[derive(Deserialize)]
struct PatchOp<'a> {
    #[serde(borrow)]
    op: Cow<'a, str>,
    #[serde(borrow)]
    path: Cow<'a, str>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

fn images_of(list: Option<Vec<Container<'_>>>) -> impl Iterator<Item = ContainerImage> {
    list.into_iter().flatten().filter_map(|c| {
        Some(ContainerImage {
            name: c.name.map(Cow::into_owned),
            image: c.image?.into_owned(),
        })
    })
}

/// The app and init containers' images a pod (or a merge patch) sets.
fn spec_images(spec: Option<PodSpec<'_>>) -> Vec<ContainerImage> {
    let Some(spec) = spec else {
        return Vec::new();
    };
    images_of(spec.containers)
        .chain(images_of(spec.init_containers))
        .collect()
}

/// What a patch body sets: images of named containers, or why that is not known.
fn patch_images(body: &RawValue) -> Result<Vec<ContainerImage>, Unknown> {
    let text = body.get().trim_start();
    if text.starts_with('[') {
        let ops: Vec<PatchOp<'_>> =
            serde_json::from_str(text).map_err(|_| Unknown::UnreadableBody)?;
        let mut out = Vec::new();
        for op in ops {
            out.extend(json_patch_images(&op)?);
        }
        Ok(out)
    } else {
        // A strategic merge, JSON merge or apply patch: the shape of a pod.
        let pod: PodBody<'_> = serde_json::from_str(text).map_err(|_| Unknown::UnreadableBody)?;
        Ok(spec_images(pod.spec))
    }
}

/// The images one JSON patch operation sets in the app or init containers.
fn json_patch_images(op: &PatchOp<'_>) -> Result<Vec<ContainerImage>, Unknown> {
    let segments: Vec<&str> = op.path.split('/').skip(1).collect();
    let touches = match segments.as_slice() {
        [] | [""] | ["spec"] => true,
        ["spec", list, ..] => matches!(*list, "containers" | "initContainers"),
        _ => false,
    };
    if !touches || op.op == "remove" || op.op == "test" {
        return Ok(Vec::new());
    }
    if op.op == "move" || op.op == "copy" {
        return Err(Unknown::MoveOrCopy);
    }
    let Some(value) = op.value else {
        return Err(Unknown::UnreadableBody);
    };
    let bad = |_| Unknown::UnreadableBody;
    Ok(match segments.as_slice() {
        [] | [""] => spec_images(
            serde_json::from_str::<PodBody<'_>>(value.get())
                .map_err(bad)?
                .spec,
        ),
        ["spec"] => spec_images(Some(serde_json::from_str(value.get()).map_err(bad)?)),
        ["spec", _] => images_of(Some(serde_json::from_str(value.get()).map_err(bad)?)).collect(),
        ["spec", _, _] => {
            images_of(Some(vec![serde_json::from_str(value.get()).map_err(bad)?])).collect()
        }
        ["spec", _, _, "image"] => vec![ContainerImage {
            name: None,
            image: serde_json::from_str::<String>(value.get()).map_err(bad)?,
        }],
        _ => Vec::new(),
    })
}

/// A pod's key for [`PodSpecs`].
fn pod_key(namespace: Option<&str>, name: &str) -> u64 {
    hash_of(&[namespace.unwrap_or(""), name])
}

/// What the request URI says: its path, and the `container` and `command` parameters.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Uri {
    pub(super) path: String,
    pub(super) container: Option<String>,
    /// Decoded and redacted.
    pub(super) command: Option<Vec<String>>,
}

pub(super) fn parse_uri(uri: &str) -> Uri {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut out = Uri {
        path: path.to_string(),
        ..Uri::default()
    };
    let mut command = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "command" => command.push(percent_decode(value)),
            "container" => out.container = Some(percent_decode(value)),
            _ => {}
        }
    }
    if !command.is_empty() {
        redact::redact_command(&mut command);
        out.command = Some(command);
    }
    out
}

/// Decodes a query value as Go's `url.ParseQuery` does: `+` is a space, `%XX` a byte;
/// bytes that are not UTF-8 become U+FFFD.
pub(super) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The kubelet endpoint a `nodes/proxy` request reaches, when it runs a command:
/// `exec`, `run` or `attach`, with the target `namespace/pod/container` that follows.
fn kubelet_command(uri: &str) -> Option<(&'static str, Vec<&str>)> {
    let path = uri.split('?').next().unwrap_or(uri);
    let (_, rest) = path.split_once("/proxy/")?;
    let mut parts = rest.split('/').filter(|p| !p.is_empty());
    let endpoint = match parts.next()? {
        "exec" => "exec",
        "run" => "run",
        "attach" => "attach",
        _ => return None,
    };
    Some((endpoint, parts.collect()))
}

/// The user agents `kubectl debug` runs under.
fn is_kubectl(user_agent: Option<&str>) -> bool {
    user_agent.is_some_and(|ua| ua.starts_with("kubectl"))
}

/// The name `kubectl debug node/<node>` gives its pod.
const NODE_DEBUGGER_PREFIX: &str = "node-debugger-";

/// What [`classify`] found, with the target it names when that differs from the event's.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Classified {
    pub(super) action: Action,
    pub(super) level: Level,
    /// For `nodes/proxy`: the node, and the pod and container in the kubelet path.
    pub(super) node: Option<String>,
    pub(super) namespace: Option<String>,
    pub(super) pod: Option<String>,
    pub(super) container: Option<String>,
    pub(super) uri: Uri,
}

/// Classifies a candidate; None when it did not enter or change a running container.
///
/// `remember` says whether the event may update what is known of pods' specs: only a
/// request's last stage, and one that succeeded, says what a pod now runs.
pub(super) fn classify(
    head: &Head<'_>,
    detail: &Detail<'_>,
    specs: &mut PodSpecs,
    remember: bool,
) -> Option<Classified> {
    let verb = head.verb.as_deref().unwrap_or("");
    let level = match detail.level {
        Some(Level::Unknown) | None if detail.body.is_some() => Level::Request,
        Some(level) => level,
        None => Level::Unknown,
    };
    let uri = detail.uri.as_deref().map(parse_uri).unwrap_or_default();
    let mut out = Classified {
        action: Action::Exec,
        level,
        node: None,
        namespace: detail.namespace.as_deref().map(str::to_string),
        pod: detail.name.as_deref().map(str::to_string),
        container: uri.container.clone(),
        uri,
    };
    let body = detail
        .body
        .filter(|b| b.get() != "null" && !b.get().starts_with('"'));
    out.action = match (
        head.resource.as_deref()?,
        head.subresource.as_deref().unwrap_or(""),
    ) {
        ("pods", "exec") => Action::Exec,
        ("pods", "attach") => Action::Attach,
        ("pods", "resize") => Action::Resize,
        ("pods", "ephemeralcontainers") => {
            let containers = body
                .and_then(|b| serde_json::from_str::<PodBody<'_>>(b.get()).ok())
                .and_then(|p| p.spec)
                .map(|s| images_of(s.ephemeral_containers).collect())
                .unwrap_or_default();
            Action::EphemeralContainer { containers }
        }
        ("nodes", "proxy") => {
            let (endpoint, target) = kubelet_command(detail.uri.as_deref().unwrap_or(""))?;
            out.node = out.pod.take();
            out.namespace = target.first().map(|s| percent_decode(s));
            out.pod = target.get(1).map(|s| percent_decode(s));
            out.container = target.get(2).map(|s| percent_decode(s));
            Action::NodeProxy {
                endpoint: endpoint.to_string(),
            }
        }
        ("pods", "") if verb == "create" => {
            return debug_node(detail, body, level, out, specs.writable(remember));
        }
        ("pods", "") => {
            let key = out
                .pod
                .as_deref()
                .map(|n| pod_key(out.namespace.as_deref(), n));
            let change = pod_change(verb, level, body, key, specs.writable(remember))?;
            Action::PodChange { change }
        }
        _ => return None,
    };
    Some(out)
}

/// A pod create: `kubectl debug node/` when kubectl made a pod on the host's namespaces or
/// root. Any named pod's images are remembered for a later update.
fn debug_node(
    detail: &Detail<'_>,
    body: Option<&RawValue>,
    level: Level,
    mut out: Classified,
    mut specs: Specs<'_>,
) -> Option<Classified> {
    let kubectl = is_kubectl(detail.user_agent.as_deref());
    let pod = if level.has_body() {
        body.and_then(|b| serde_json::from_str::<PodBody<'_>>(b.get()).ok())
    } else {
        None
    };
    let Some(pod) = pod else {
        // No body: only kubectl's name for the debugging pod tells it.
        let named = out
            .pod
            .as_deref()
            .is_some_and(|n| n.starts_with(NODE_DEBUGGER_PREFIX));
        return (kubectl && named).then(|| {
            out.action = Action::DebugNode { host: Vec::new() };
            out
        });
    };
    let name = out.pod.clone().or_else(|| {
        pod.metadata
            .as_ref()
            .and_then(|m| m.name.as_deref())
            .map(str::to_string)
    });
    let spec = pod.spec.unwrap_or_default();
    let mut host = Vec::new();
    if spec.host_pid == Some(true) {
        host.push("hostPID".to_string());
    }
    if spec.host_network == Some(true) {
        host.push("hostNetwork".to_string());
    }
    if spec.host_ipc == Some(true) {
        host.push("hostIPC".to_string());
    }
    let root = spec.volumes.iter().flatten().any(|v| {
        v.host_path
            .as_ref()
            .and_then(|h| h.path.as_deref())
            .is_some_and(|p| p.trim_end_matches('/').is_empty())
    });
    if root {
        host.push("hostPath:/".to_string());
    }
    if let Some(name) = &name {
        let images = spec_images(Some(spec));
        specs.remember(pod_key(out.namespace.as_deref(), name), &images);
    }
    out.pod = name;
    (kubectl && !host.is_empty()).then(|| {
        out.action = Action::DebugNode { host };
        out
    })
}

/// A pod patch or update: what it did to the images; None when it changed none.
fn pod_change(
    verb: &str,
    level: Level,
    body: Option<&RawValue>,
    key: Option<u64>,
    mut specs: Specs<'_>,
) -> Option<ImageChange> {
    let unknown = |why| Some(ImageChange::Unknown { why });
    if !level.has_body() {
        return unknown(Unknown::MetadataLevel);
    }
    let Some(body) = body else {
        return unknown(Unknown::NoBody);
    };
    if verb == "patch" {
        return match patch_images(body) {
            Ok(containers) if containers.is_empty() => None,
            Ok(containers) => {
                if let Some(key) = key {
                    specs.patched(key, &containers);
                }
                Some(ImageChange::Changed { containers })
            }
            Err(why) => unknown(why),
        };
    }
    // An update carries the whole pod: compare with its last spec in the logs.
    let Ok(pod) = serde_json::from_str::<PodBody<'_>>(body.get()) else {
        return unknown(Unknown::UnreadableBody);
    };
    let images = spec_images(pod.spec);
    let Some(key) = key else {
        return unknown(Unknown::NoEarlierSpec);
    };
    let changed = specs.changed(key, &images);
    specs.remember(key, &images);
    match changed {
        None => unknown(Unknown::NoEarlierSpec),
        Some(c) if c.is_empty() => None,
        Some(containers) => Some(ImageChange::Changed { containers }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> &RawValue {
        serde_json::from_str(s).unwrap()
    }

    fn head<'a>(verb: &'a str, resource: &'a str, sub: Option<&'a str>) -> Head<'a> {
        Head {
            verb: Some(verb.into()),
            resource: Some(resource.into()),
            subresource: sub.map(Into::into),
            ..Head::default()
        }
    }

    #[test]
    fn candidates_are_told_from_the_head() {
        assert!(is_candidate(&head("create", "pods", Some("exec"))));
        assert!(is_candidate(&head("get", "pods", Some("attach"))));
        assert!(!is_candidate(&head("get", "pods", Some("log"))));
        assert!(!is_candidate(&head("patch", "pods", Some("status"))));
        assert!(is_candidate(&head("patch", "pods", None)));
        assert!(!is_candidate(&head("get", "pods", None)));
        assert!(is_candidate(&head("get", "nodes", Some("proxy"))));
        assert!(!is_candidate(&head("get", "nodes", None)));
        assert!(!is_candidate(&head("create", "leases", None)));
    }

    #[test]
    fn commands_are_decoded_and_redacted() {
        let uri = parse_uri(
            "/api/v1/namespaces/shop/pods/web-1/exec?command=sh&command=-c&command=echo+hi%21\
             &command=--db-password%3Dhunter2&container=app&stdin=true",
        );
        assert_eq!(uri.path, "/api/v1/namespaces/shop/pods/web-1/exec");
        assert_eq!(uri.container.as_deref(), Some("app"));
        assert_eq!(
            uri.command.unwrap(),
            ["sh", "-c", "echo hi!", "--db-password=[REDACTED]"]
        );
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%E2%9C%93"), "✓");
    }

    #[test]
    fn patches_tell_which_images_they_set() {
        let smp = raw(r#"{"spec":{"containers":[{"name":"app","image":"shop/api:2"}]}}"#);
        assert_eq!(
            patch_images(smp).unwrap(),
            [ContainerImage {
                name: Some("app".into()),
                image: "shop/api:2".into()
            }]
        );
        let labels = raw(r#"{"metadata":{"labels":{"a":"b"}}}"#);
        assert!(patch_images(labels).unwrap().is_empty());
        let json = raw(
            r#"[{"op":"replace","path":"/spec/containers/0/image","value":"shop/api:3"},
                {"op":"add","path":"/metadata/labels/x","value":"y"}]"#,
        );
        assert_eq!(patch_images(json).unwrap()[0].image, "shop/api:3");
        let moved =
            raw(r#"[{"op":"copy","from":"/spec/containers/1","path":"/spec/containers/0"}]"#);
        assert_eq!(patch_images(moved), Err(Unknown::MoveOrCopy));
        assert_eq!(
            patch_images(raw(r#"{"spec":7}"#)),
            Err(Unknown::UnreadableBody)
        );
    }

    #[test]
    fn an_update_changes_an_image_only_against_the_last_spec_seen() {
        let mut specs = PodSpecs::default();
        let body = |image: &str| {
            format!(
                r#"{{"metadata":{{"name":"web-1"}},"spec":{{"containers":[{{"name":"app","image":"{image}"}}]}}}}"#
            )
        };
        let key = Some(pod_key(Some("shop"), "web-1"));
        let v1 = body("shop/api:1");
        assert_eq!(
            pod_change(
                "update",
                Level::Request,
                Some(raw(&v1)),
                key,
                specs.writable(true)
            ),
            Some(ImageChange::Unknown {
                why: Unknown::NoEarlierSpec
            })
        );
        // The same images again: no change.
        assert_eq!(
            pod_change(
                "update",
                Level::Request,
                Some(raw(&v1)),
                key,
                specs.writable(true)
            ),
            None
        );
        let v2 = body("shop/api:2");
        assert!(matches!(
            pod_change("update", Level::Request, Some(raw(&v2)), key, specs.writable(true)),
            Some(ImageChange::Changed { containers }) if containers[0].image == "shop/api:2"
        ));
        assert_eq!(
            pod_change("patch", Level::Metadata, None, key, specs.writable(true)),
            Some(ImageChange::Unknown {
                why: Unknown::MetadataLevel
            })
        );
    }
}
