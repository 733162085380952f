//! Wording: every sentence a finding or a control narrative says is built here.
//!
//! Checks decide; this module words their decisions, so a check's code reads as logic and
//! the tone of the report can be changed in one place. Functions take the facts a sentence
//! needs and return it; nothing here decides a status.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::assess::{CheckResult, CheckStatus};
use crate::cicd::Step;
use crate::finding::{Finding, Status};
use crate::image::{Digest, ImageError, ImageRef};
use crate::k8s::ViewError;

/// How many subjects a narrative names before it says "and N more".
const NAMED_SUBJECTS: usize = 3;

pub fn no_workloads_collected() -> String {
    "no workloads were in the input (no Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, \
     CronJob or Pod objects were collected)"
        .into()
}

/// Why one kind a check needs is missing, with what to do about a snapshot that lacks it.
pub fn kind_missing(kind: &str, why: &str) -> String {
    match crate::k8s::resource_of(kind) {
        Some(resource) if why.starts_with("no ") => {
            let all = if crate::k8s::is_cluster_scoped(kind) {
                ""
            } else {
                " -A"
            };
            format!(
                "{why} (add `kubectl get {}{all} -o yaml` output to the snapshot)",
                resource.split('.').next().unwrap_or(&resource)
            )
        }
        _ => why.to_string(),
    }
}

pub fn passes_withheld(passed: usize, missing: &[String]) -> String {
    format!(
        "{passed} subject(s) passed on the evidence there was, but a pass needs all of it: {}",
        missing.join("; ")
    )
}

pub fn unreadable_object(error: &ViewError) -> String {
    format!("could not read the workload: {error}; fix the object and re-run")
}

/// `field` is the image's path in the object, e.g. `spec.containers[0].image`.
pub fn missing_image(field: &str) -> String {
    format!("the container has no image: field `{field}` is missing")
}

pub fn invalid_image(image: &str, error: &ImageError) -> String {
    format!("image `{image}` is not a valid reference: {error}")
}

// read-only-root-filesystem

pub fn read_only_root(value: Option<bool>) -> String {
    match value {
        Some(true) => "readOnlyRootFilesystem is true: the root filesystem cannot be changed".into(),
        Some(false) => "readOnlyRootFilesystem is false: files in the container can be changed in place".into(),
        None => "readOnlyRootFilesystem is not set: the root filesystem is writable, so files in the container can be changed in place".into(),
    }
}

// run-as-non-root

pub fn non_root_by_flag(origin: &str) -> String {
    format!("runAsNonRoot is true (set on the {origin}): the kubelet refuses to start it as root")
}

pub fn non_root_by_uid(uid: i64, origin: &str) -> String {
    format!("runAsUser is {uid} (set on the {origin}): it runs as a non-root user")
}

pub fn non_root_conflict() -> String {
    "runAsNonRoot is true but runAsUser is 0: the kubelet will refuse to start this container"
        .into()
}

pub fn runs_as_root_uid(origin: &str) -> String {
    format!("runAsUser is 0 (set on the {origin}): it runs as root")
}

pub fn may_run_as_root(non_root: Option<bool>) -> String {
    match non_root {
        Some(false) => "runAsNonRoot is false and no non-zero runAsUser is set: it runs as whatever user the image names, root included".into(),
        _ => "neither runAsNonRoot: true nor a non-zero runAsUser is set: it runs as whatever user the image names, root included".into(),
    }
}

// no-privilege-escalation

pub fn privilege_escalation(value: Option<bool>, privileged: bool) -> String {
    match (value, privileged) {
        (_, true) => "the container is privileged, which always allows privilege escalation".into(),
        (Some(false), false) => "allowPrivilegeEscalation is false".into(),
        (Some(true), false) => "allowPrivilegeEscalation is true: a process can gain more privileges than its parent".into(),
        (None, false) => "allowPrivilegeEscalation is not set, which allows escalation: a process can gain more privileges than its parent".into(),
    }
}

// image-tag-not-latest

pub fn image_tag_ok(image: &ImageRef) -> String {
    match (&image.tag, &image.digest) {
        (_, Some(d)) => format!("image is pinned by digest {}", short_digest(d)),
        (Some(tag), None) => format!("image has the explicit tag `{tag}`"),
        (None, None) => unreachable!("callers pass only tagged or digested images"),
    }
}

pub fn image_tag_latest(original: &str, image: &ImageRef) -> String {
    match &image.tag {
        Some(_) => format!(
            "image `{original}` uses the `latest` tag: which build runs depends on when the node pulled it"
        ),
        None => format!(
            "image `{original}` has no tag, so it means `latest`: which build runs depends on when the node pulled it"
        ),
    }
}

// image-pinned-by-digest

pub fn image_digest_pinned(digest: &Digest) -> String {
    format!("image is pinned by the digest {}", short_digest(digest))
}

pub fn image_digest_partial(digest: &Digest) -> String {
    match digest.expected_len() {
        Some(n) => format!(
            "image digest {} has {} hex digits where {} needs {n}: a truncated digest is not a pin",
            short_digest(digest),
            digest.hex.len(),
            digest.algorithm
        ),
        None => format!(
            "image digest uses `{}`, which is not a registered OCI digest algorithm",
            digest.algorithm
        ),
    }
}

pub fn image_tag_only(tag: &str) -> String {
    format!(
        "image is pinned only by the tag `{tag}`: tags can be moved to another build; add its @sha256 digest"
    )
}

pub fn image_not_pinned(original: &str) -> String {
    format!("image `{original}` is neither pinned by digest nor by an explicit version tag")
}

// image-from-trusted-registry

pub fn no_trusted_registries() -> String {
    "no trusted registries are configured: set --trusted-registry (or trusted-registries in evidencer.yaml) to assess this check".into()
}

pub fn image_trusted(name: &str, prefix: &str) -> String {
    format!("image `{name}` comes from the trusted `{prefix}`")
}

pub fn image_untrusted(name: &str) -> String {
    format!("image `{name}` comes from a registry that is not on the trusted list")
}

// replace-on-update

pub fn replaced_by_rollout(kind: &str, strategy: &str) -> String {
    format!(
        "{kind} with the {strategy} strategy: a template change replaces its pods with new ones"
    )
}

pub fn partitioned_rollout(partition: i64) -> String {
    format!(
        "StatefulSet RollingUpdate with partition {partition}: pods with an ordinal below {partition} keep the old template until the partition is lowered"
    )
}

pub fn on_delete(kind: &str) -> String {
    format!(
        "{kind} uses the OnDelete update strategy: pods keep running the old spec until someone deletes them by hand"
    )
}

pub fn unknown_strategy(kind: &str, strategy: &str) -> String {
    format!("{kind} names the unknown update strategy `{strategy}`")
}

pub fn orphan_replicaset() -> String {
    "a ReplicaSet without a Deployment does not replace its pods when its template changes".into()
}

pub fn bare_pod() -> String {
    "a bare Pod: nothing replaces it when its image changes, and its image can be changed in place"
        .into()
}

pub fn job_not_applicable(kind: &str) -> String {
    format!("{kind}s run to completion: each run starts new pods, so there is nothing to replace")
}

// end-of-life judgements (kubernetes-version-supported, kubelet-version-supported,
// container-runtime-supported)

pub fn eol_judgement(
    product: &str,
    version: &crate::eol::Version,
    judgement: &crate::eol::Judgement<'_>,
    day: chrono::NaiveDate,
    compiled: chrono::NaiveDate,
) -> String {
    use crate::eol::Judgement;
    let lts = |line: &crate::eol::Line| if line.lts { " LTS" } else { "" };
    match judgement {
        Judgement::Supported {
            product,
            line,
            maintenance,
        } => match (line.end_of_life, maintenance) {
            (None, _) => format!(
                "{} {}{} ({version}) is supported: no end-of-life date was announced when the \
                 end-of-life data was compiled ({compiled})",
                product.name,
                line.version,
                lts(line)
            ),
            (Some(end), false) => format!(
                "{} {}{} ({version}) is supported on {day}; its end of life is {end}, {} later",
                product.name,
                line.version,
                lts(line),
                days((end - day).num_days())
            ),
            (Some(end), true) => format!(
                "{} {}{} ({version}) is supported on {day} but in maintenance mode since {} \
                 (critical and security fixes only); its end of life is {end}, {} later",
                product.name,
                line.version,
                lts(line),
                line.maintenance_from
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                days((end - day).num_days())
            ),
        },
        Judgement::EndOfLife { product, line } => {
            let end = line.end_of_life.expect("an ended line has an end");
            format!(
                "{} {}{} ({version}) reached end of life on {end}, {} before {day}: it no \
                 longer gets security fixes",
                product.name,
                line.version,
                lts(line),
                days((day - end).num_days())
            )
        }
        Judgement::OlderThanKnown { product, oldest } => format!(
            "{} {version} is older than {}, the oldest line in the end-of-life data, which \
             ended on {}: it no longer gets security fixes",
            product.name,
            oldest.version,
            oldest
                .end_of_life
                .map(|d| d.to_string())
                .unwrap_or_default()
        ),
        Judgement::Unknown { product, newest } => format!(
            "{} {version} is not in the end-of-life data (compiled {compiled}{}): a version the \
             data does not list is not assumed supported; update the data or pass --eol-data",
            product.name,
            newest
                .map(|l| format!(", newest line {}", l.version))
                .unwrap_or_default()
        ),
        Judgement::NoProduct => format!(
            "the end-of-life data has no `{product}` product, so {version} cannot be judged; add \
             one with --eol-data"
        ),
    }
}

pub fn no_server_version() -> String {
    "the API server version is not in the input: put `kubectl version -o json` output in \
     version.json beside the snapshot"
        .into()
}

/// A kubelet against the API server under the version skew policy.
pub enum Skew {
    Within {
        kubelet: crate::eol::MinorVersion,
        server: crate::eol::MinorVersion,
        behind: u64,
        allowed: u64,
    },
    Newer {
        kubelet: crate::eol::MinorVersion,
        server: crate::eol::MinorVersion,
    },
    TooOld {
        kubelet: crate::eol::MinorVersion,
        server: crate::eol::MinorVersion,
        /// None when the major versions differ.
        behind: Option<u64>,
        allowed: u64,
    },
}

pub fn kubelet_version(support: &str, skew: Option<&Skew>) -> String {
    let skew = match skew {
        None => "the API server version is unknown, so the version skew was not checked".into(),
        Some(Skew::Within {
            kubelet,
            server,
            behind: 0,
            ..
        }) => format!("kubelet {kubelet} matches the API server {server}"),
        Some(Skew::Within {
            kubelet,
            server,
            behind,
            allowed,
        }) => format!(
            "kubelet {kubelet} is {behind} minor version(s) behind the API server {server}, \
             within the {allowed} the skew policy allows"
        ),
        Some(Skew::Newer { kubelet, server }) => format!(
            "kubelet {kubelet} is newer than the API server {server}: the skew policy never \
             allows a kubelet newer than the API server"
        ),
        Some(Skew::TooOld {
            kubelet,
            server,
            behind: Some(behind),
            allowed,
        }) => format!(
            "kubelet {kubelet} is {behind} minor versions behind the API server {server}, more \
             than the {allowed} the skew policy allows"
        ),
        Some(Skew::TooOld {
            kubelet, server, ..
        }) => {
            format!("kubelet {kubelet} is a different major version than the API server {server}")
        }
    };
    format!("{support}; {skew}")
}

pub fn runtime_version(runtime: &str, judgement: &str) -> String {
    match runtime {
        "containerd" | "cri-o" => judgement.to_string(),
        other => format!(
            "container runtime `{other}`: {judgement} (evidencer ships end-of-life data for \
             containerd and CRI-O)"
        ),
    }
}

// node-kernel-current

pub fn node_kernel(
    kernel: &str,
    newest: &str,
    group: &str,
    peers: usize,
    on_newest: &[&str],
) -> String {
    if peers == 0 {
        return format!("runs kernel {kernel}; no other node is a peer ({group}) to compare with");
    }
    if kernel == newest {
        return format!("runs kernel {kernel}, the newest of its {peers} peer(s) ({group})");
    }
    format!(
        "runs kernel {kernel}, older than {newest} on {} of its peers ({group}): the node was \
         probably patched but not rebooted, or not replaced",
        name_list(on_newest)
    )
}

// node-recently-replaced

pub fn node_age(age_days: i64, max_days: i64, created: &str) -> String {
    if age_days < 0 {
        return format!("created {created}, after the as-of date: a replacement node");
    }
    if age_days > max_days {
        format!(
            "created {created}: {age_days} days old, older than the {max_days} days a node may \
             live before it is replaced: it has been patched in place, if at all"
        )
    } else {
        format!("created {created}: {age_days} days old, within the {max_days}-day limit")
    }
}

pub fn node_no_creation_time() -> String {
    "the Node has no metadata.creationTimestamp, so its age is unknown".into()
}

pub fn bad_creation_time(value: &str) -> String {
    format!("metadata.creationTimestamp `{value}` is not an RFC 3339 time")
}

pub fn unreadable_node(error: &ViewError) -> String {
    format!("could not read the node's status.nodeInfo: {error}; fix the object and re-run")
}

pub fn node_field_missing(field: &str) -> String {
    format!(
        "the Node has no status.nodeInfo.{field}: export Nodes with their status (`kubectl get \
         nodes -o yaml`)"
    )
}

pub fn not_a_version(what: &str, value: &str) -> String {
    format!("the {what} `{value}` is not a version evidencer can read")
}

/// `1 day`, `12 days`.
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// `a, b, c and 4 more`.
fn name_list(names: &[&str]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMED_SUBJECTS).copied().collect();
    let more = names.len().saturating_sub(NAMED_SUBJECTS);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

// no-ephemeral-containers

pub fn ephemeral_container(
    name: &str,
    image: Option<&str>,
    target: Option<&str>,
    workload: &str,
) -> String {
    let image = image.map(|i| format!(" (image {i})")).unwrap_or_default();
    let target = target
        .map(|t| format!(", targeting container `{t}`"))
        .unwrap_or_default();
    format!(
        "debug container `{name}`{image} was attached to this running pod of {workload}{target}: \
         a change to a running workload that no image build, review or scan covered"
    )
}

pub fn no_ephemeral_containers(pods: usize) -> String {
    format!("none of its {pods} pod(s) carries an ephemeral (debug) container")
}

pub fn unreadable_pod_status(error: &ViewError) -> String {
    format!("could not read the pod's status: {error}; fix the object and re-run")
}

// running-image-consistent

/// One digest and the pods running it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DigestPods {
    pub digest: String,
    pub pods: Vec<String>,
}

fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) if hex.len() > 12 => format!("{algorithm}:{}…", &hex[..12]),
        _ => digest.to_string(),
    }
}

pub fn image_drift(reference: &str, digests: &[DigestPods], drifted_references: usize) -> String {
    let listed: Vec<String> = digests
        .iter()
        .map(|d| {
            let names: Vec<&str> = d.pods.iter().map(String::as_str).collect();
            format!("{} on {}", short(&d.digest), name_list(&names))
        })
        .collect();
    let more = if drifted_references > 1 {
        format!(" ({} image references drifted in all)", drifted_references)
    } else {
        String::new()
    };
    format!(
        "image `{reference}` resolves to {} different digests across the running pods: {}; \
         the tag was moved and nodes pulled it at different times, so replicas run different \
         builds{more}",
        digests.len(),
        listed.join("; ")
    )
}

pub fn several_images_running(references: &[(String, usize)]) -> String {
    let listed: Vec<String> = references
        .iter()
        .map(|(r, n)| format!("`{r}` ({n} pod(s))"))
        .collect();
    format!(
        "runs {} different images: {}; each is consistent, so this is a rollout in progress or \
         one that stalled",
        references.len(),
        listed.join(", ")
    )
}

pub fn one_digest_running(reference: &str, digest: &str, pods: usize) -> String {
    format!(
        "all {pods} running pod(s) run image `{reference}` as the same digest {}",
        short(digest)
    )
}

pub fn no_running_digests(pods: usize) -> String {
    format!(
        "none of the {pods} pod(s) in the input has a running container that reports its image \
         digest (status.containerStatuses[].imageID): export pods with their status"
    )
}

// pod-exec-restricted

fn access_phrase(access: crate::checks::rbac::Access) -> &'static str {
    use crate::checks::rbac::Access;
    match access {
        Access::Exec => "exec into containers",
        Access::Attach => "attach to running containers",
        Access::EphemeralContainers => "add debug containers to running pods",
        Access::ChangePods => "change running pods in place (their image included)",
        Access::NodeProxy => "reach the kubelet API, which execs into any container on the node",
        Access::Escalate => {
            "write roles with permissions it does not hold (escalate), and so get any of the above"
        }
        Access::Bind => "bind roles it does not hold (bind), and so get any of the above",
        Access::Impersonate => {
            "impersonate other users, groups or service accounts, and so act with their permissions"
        }
    }
}

/// How many grants a message names before it says "and N more".
const NAMED_GRANTS: usize = 3;

pub fn exec_grants(grants: &[crate::checks::rbac::Grant]) -> String {
    // One sentence per role binding: what it allows, where, through which role.
    let mut paths: Vec<(String, Vec<String>)> = Vec::new();
    for g in grants {
        let scope = match &g.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "cluster-wide".to_string(),
        };
        let path = format!("{scope} through {} bound by {}", g.role, g.binding);
        let names = if g.resource_names.is_empty() {
            String::new()
        } else {
            format!(" on {}", g.resource_names.join(", "))
        };
        let what = format!(
            "{} ({} {}{names})",
            access_phrase(g.access),
            g.verbs.join("/"),
            g.resource
        );
        match paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, whats)) if !whats.contains(&what) => whats.push(what),
            Some(_) => {}
            None => paths.push((path, vec![what])),
        }
    }
    let more = paths.len().saturating_sub(NAMED_GRANTS);
    let mut s = paths
        .iter()
        .take(NAMED_GRANTS)
        .map(|(path, whats)| format!("can {} {path}", and_list(whats)))
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        let _ = write!(s, "; and through {more} more binding(s)");
    }
    let _ = write!(
        s,
        " ({} grant(s) in all, listed in the details)",
        grants.len()
    );
    s
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

pub fn exec_restricted(system: &[String]) -> String {
    let names: Vec<&str> = system.iter().map(String::as_str).collect();
    if names.is_empty() {
        return "no subject can get into or change a running container through RBAC".into();
    }
    format!(
        "no subject outside the system ones can get into or change a running container; the \
         {} system subject(s) that can are {}",
        names.len(),
        name_list(&names)
    )
}

pub fn unreadable_rbac(error: &str) -> String {
    format!("could not read this RBAC object: {error}; its grants were not assessed")
}

// pod-security-enforced, read-only-root-enforced

pub fn pod_security_enforced(enforcers: &[String], exemptions: &[String]) -> String {
    let mut s = format!(
        "every Pod Security baseline control is enforced, by {}",
        enforcers.join("; ")
    );
    if !exemptions.is_empty() {
        let _ = write!(s, "; exemptions: {}", exemptions.join("; "));
    }
    s
}

fn unseen_note(unseen: &[String]) -> String {
    if unseen.is_empty() {
        String::new()
    } else {
        format!(
            " ({} objects were not in the input: if a policy engine enforces this, include its \
             policies)",
            unseen.join(", ")
        )
    }
}

pub fn pod_security_missing(
    missing: &[crate::checks::admission::Control],
    enforcers: &[String],
    labels: &[String],
    unseen: &[String],
) -> String {
    let names: Vec<&str> = missing.iter().map(|c| c.name()).collect();
    let mut s = if missing.len() == crate::checks::admission::Control::BASELINE.len() {
        "nothing enforces the Pod Security baseline here: no pod-security.kubernetes.io/enforce \
         label of baseline or restricted, and no policy engine rule that enforces it"
            .to_string()
    } else {
        format!(
            "Pod Security baseline is only partly enforced: {} not enforced (the rest by {})",
            names.join(", "),
            enforcers.join("; ")
        )
    };
    if !labels.is_empty() {
        let _ = write!(s, "; {} only report, they do not block", labels.join(", "));
    }
    s.push_str(&unseen_note(unseen));
    s
}

pub fn read_only_root_enforced(enforcers: &[String], workloads: usize) -> String {
    format!(
        "a read-only root filesystem is required at admission for the {workloads} workload(s) \
         here, by {}",
        enforcers.join("; ")
    )
}

pub fn read_only_root_not_enforced(
    workloads: usize,
    restricted: bool,
    unseen: &[String],
) -> String {
    let mut s = format!(
        "no admission policy requires readOnlyRootFilesystem for the {workloads} workload(s) \
         here: containers may be admitted with a writable root filesystem"
    );
    if restricted {
        s.push_str(
            "; Pod Security restricted is enforced, but it does not require a read-only root \
             filesystem",
        );
    }
    s.push_str(&unseen_note(unseen));
    s
}

pub fn unreadable_policy(error: &str) -> String {
    format!("could not read this policy: {error}; what it enforces was not counted")
}

// images-scanned

/// One running image and its newest scan, as findings report it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ImageScan {
    pub image: String,
    pub digest: Option<String>,
    /// The scan's evidence, e.g. `VulnerabilityReport shop/replicaset-api-7d9f8-app`.
    pub scan: Option<String>,
    /// The image as the scan names it: `registry/repository:tag@digest`.
    pub scanned_image: Option<String>,
    pub scanned_at: Option<String>,
    pub age_days: Option<i64>,
    pub critical: Option<u64>,
    pub high: Option<u64>,
    pub fresh: bool,
}

fn scan_sentence(i: &ImageScan, max_days: i64) -> String {
    let image = match &i.digest {
        Some(d) if !i.image.contains(d.as_str()) => format!("`{}` ({})", i.image, short(d)),
        _ => format!("`{}`", i.image),
    };
    match (&i.scan, i.age_days) {
        (Some(scan), Some(age)) => {
            let counts = match (i.critical, i.high) {
                (Some(c), Some(h)) => format!(": {c} critical, {h} high"),
                _ => String::new(),
            };
            let when = if age < 0 {
                "after the as-of date".to_string()
            } else {
                format!("{} before the as-of date", days(age))
            };
            if i.fresh {
                format!("{image} was scanned {when} ({scan}{counts})")
            } else {
                format!(
                    "{image} was last scanned {} before the as-of date ({scan}), more than \
                     the {} allowed",
                    days(age),
                    days(max_days)
                )
            }
        }
        _ => format!(
            "{image} has no vulnerability report (matched by digest, or by registry, repository \
             and tag)"
        ),
    }
}

pub fn images_scanned(images: &[ImageScan], max_days: i64) -> String {
    let sentences: Vec<String> = images.iter().map(|i| scan_sentence(i, max_days)).collect();
    sentences.join("; ")
}

pub fn no_running_images(pods: usize) -> String {
    format!(
        "none of the {pods} pod(s) in the input is running a container with an image: export \
         pods with their status"
    )
}

pub fn report_without_time() -> String {
    "the report has neither report.updateTimestamp nor metadata.creationTimestamp, so its age \
     is unknown"
        .into()
}

pub fn unreadable_report(error: &str) -> String {
    format!("could not read this vulnerability report: {error}; it was not counted")
}

// Repositories: CI pipelines, scripts, runbooks and Dockerfiles

/// How many steps a sentence names before it says "and N more".
const NAMED_STEPS: usize = 3;

pub fn no_repository_analysed() -> String {
    "no repository was analysed; pass --repo".into()
}

/// "`docker build` (ci.yml:12), `docker push` (ci.yml:13) and 2 more".
fn step_refs(steps: &[&Step]) -> String {
    let named: Vec<String> = steps
        .iter()
        .take(NAMED_STEPS)
        .map(|s| format!("`{}` ({})", s.tool, s.location()))
        .collect();
    let mut out = named.join(", ");
    if steps.len() > NAMED_STEPS {
        let _ = write!(out, " and {} more", steps.len() - NAMED_STEPS);
    }
    out
}

const PIPELINES_LOOKED_FOR: &str = "GitHub Actions workflows, .gitlab-ci.yml, Jenkinsfiles, azure-pipelines.yml, .circleci/config.yml, bitbucket-pipelines.yml, Tekton Tasks and Pipelines, .drone.yml";

pub fn pipeline_unreadable(message: &str) -> String {
    format!(
        "the pipeline file could not be read: {message}; its steps were not assessed. Fix the file and re-run"
    )
}

pub fn no_pipeline_in(repo: &str) -> String {
    format!(
        "repository `{repo}` holds no CI pipeline definition (looked for {PIPELINES_LOOKED_FOR})"
    )
}

// ci-builds-images

pub fn builds_and_pushes(builds: &[&Step], pushes: &[&Step]) -> String {
    format!(
        "builds container images with {} and pushes them with {}",
        step_refs(builds),
        step_refs(pushes)
    )
}

pub fn builds_without_push(builds: &[&Step]) -> String {
    format!(
        "builds container images with {} but pushes none: an image that is not pushed cannot be deployed from this pipeline",
        step_refs(builds)
    )
}

pub fn no_pipeline_builds(repo: &str, pipelines: &[&str], dockerfiles: &[&str]) -> String {
    let mut s = if pipelines.is_empty() {
        no_pipeline_in(repo)
    } else {
        format!(
            "none of the {} pipeline(s) of repository `{repo}` ({}) builds a container image",
            pipelines.len(),
            name_list(pipelines)
        )
    };
    if !dockerfiles.is_empty() {
        let _ = write!(
            s,
            "; it has {} Dockerfile(s) ({}) that no pipeline builds",
            dockerfiles.len(),
            name_list(dockerfiles)
        );
    }
    s
}

// ci-scans-images

pub fn scans_images(scans: &[&Step]) -> String {
    format!("scans images for vulnerabilities with {}", step_refs(scans))
}

pub fn scanned_in_other_pipeline(builds: &[&Step], scans: &[&Step]) -> String {
    format!(
        "builds images with {} and does not scan them itself; another pipeline of the repository scans images with {}: check that it scans the images built here",
        step_refs(builds),
        step_refs(scans)
    )
}

pub fn builds_unscanned(builds: &[&Step], other_scans: &[&Step]) -> String {
    let mut s = format!(
        "builds images with {} but no pipeline of the repository scans an image for vulnerabilities",
        step_refs(builds)
    );
    if !other_scans.is_empty() {
        let _ = write!(
            s,
            "; {} scan(s) files or configuration, not the image",
            step_refs(other_scans)
        );
    }
    s
}

pub fn no_pipeline_scans(repo: &str, pipelines: &[&str], other_scans: &[&Step]) -> String {
    let mut s = if pipelines.is_empty() {
        no_pipeline_in(repo)
    } else {
        format!(
            "none of the {} pipeline(s) of repository `{repo}` ({}) scans a container image for vulnerabilities",
            pipelines.len(),
            name_list(pipelines)
        )
    };
    if !other_scans.is_empty() {
        let _ = write!(
            s,
            "; {} scan(s) files or configuration, which is not an image scan",
            step_refs(other_scans)
        );
    }
    s
}

// ci-deploys-by-replacement

pub fn deploys_by_replacement(deploys: &[&Step]) -> String {
    format!(
        "deploys by applying new manifests or images, which the orchestrator rolls out as new pods: {}",
        step_refs(deploys)
    )
}

pub fn gitops_pull_by_agent(agents: &[String], manifests: usize) -> String {
    format!(
        "no pipeline of this repository pushes a deployment; it holds {} GitOps object(s) ({}) and {manifests} manifest file(s): deployed by GitOps pull, where the in-cluster agent applies the committed manifests and the controllers replace the pods",
        agents.len(),
        name_list(&agents.iter().map(String::as_str).collect::<Vec<_>>())
    )
}

pub fn gitops_pull_by_manifests(workloads: usize, kustomizations: usize, charts: usize) -> String {
    format!(
        "no pipeline of this repository pushes a deployment; it holds {workloads} workload manifest file(s), {kustomizations} kustomization(s) and {charts} Helm chart(s): counted as GitOps pull, though no Flux or Argo CD object in this repository shows which agent applies them"
    )
}

pub fn deploys_elsewhere(repo: &str) -> String {
    format!(
        "repository `{repo}` neither deploys nor holds manifests; deployment is evidenced by another repository"
    )
}

pub fn no_deployment(repo: &str, pipelines: &[&str]) -> String {
    if pipelines.is_empty() {
        format!(
            "{}, and no Kubernetes manifests, kustomizations, Helm charts, Flux or Argo CD objects, so nothing shows how images are deployed",
            no_pipeline_in(repo)
        )
    } else {
        format!(
            "none of the {} pipeline(s) of repository `{repo}` ({}) deploys by applying manifests or images, and the repository holds no manifests, Flux or Argo CD objects for a GitOps pull",
            pipelines.len(),
            name_list(pipelines)
        )
    }
}

// no-in-place-mutation

pub fn in_place_change(step: &Step, pipelines: &[&str]) -> String {
    let mut s = format!("`{}`", step.tool);
    if let Some(t) = &step.target {
        let _ = write!(s, " on `{t}`");
    }
    let what = step.note.as_deref().unwrap_or("changes a running workload");
    let _ = write!(s, " {what}: a change in place, not a replacement");
    if !pipelines.is_empty() {
        let _ = write!(s, "; run by {}", name_list(pipelines));
    }
    s
}

pub fn in_place_in_runbook(step: &Step) -> String {
    let mut s = format!("a runbook tells operators to run `{}`", step.tool);
    if let Some(t) = &step.target {
        let _ = write!(s, " on `{t}`");
    }
    s.push_str(", which changes a running workload in place; make the documented procedure a rebuild and redeploy");
    s
}

pub fn no_in_place(files: usize, pipelines: usize, scripts: usize, runbooks: usize) -> String {
    format!(
        "none of the {files} file(s) examined ({pipelines} pipeline(s) with what they call, {scripts} script(s) and Makefile(s), {runbooks} runbook(s)) changes running containers or hosts in place"
    )
}

/// A hit in a version of a file that existed during the period but not at its end.
pub fn in_place_change_earlier(step: &Step, commit: &str, time: &str, at_end: bool) -> String {
    let mut s = in_place_change(step, &[]);
    let _ = write!(
        s,
        "; in the version of {} at commit {commit} ({}), which existed during the period{}",
        step.path,
        time.get(..10).unwrap_or(time),
        if at_end {
            " (the file has changed since)"
        } else {
            " and is gone at its end"
        }
    );
    s
}

// images-updated-in-period

pub fn no_repository_history() -> String {
    "no Git history was read: pass --repo with the deployment repository and a --period".into()
}

pub fn no_images_in_history() -> String {
    "the repositories' manifests, kustomizations and Helm values at the period end name no \
     container image"
        .into()
}

/// A workload container's (or values key's) image over the period, as findings report it.
pub struct ImageCadence {
    pub image: String,
    pub changes: usize,
    pub longest_gap_days: i64,
    pub age_days: Option<i64>,
    /// The commit that introduced the image in use, abbreviated.
    pub introduced: Option<String>,
    /// The history is cut before the image's commit: the age is a minimum.
    pub age_is_minimum: bool,
    pub max_days: i64,
}

pub fn image_cadence(c: &ImageCadence) -> String {
    let mut s = if c.changes > 0 {
        format!(
            "the image changed {} time(s) in the period (longest stretch without a change: {})",
            c.changes,
            days(c.longest_gap_days)
        )
    } else {
        "the image did not change in the period".to_string()
    };
    match (c.age_days, &c.introduced) {
        (Some(age), Some(commit)) if c.age_is_minimum => {
            let _ = write!(
                s,
                "; `{}` is at least {} old at the period end (the history is cut at commit \
                 {commit}, so its own commit is not there)",
                c.image,
                days(age)
            );
            if c.changes == 0 && age <= c.max_days {
                s.push_str(": its age cannot be shown to be within the limit; fetch more history");
            }
        }
        (Some(age), Some(commit)) => {
            let _ = write!(
                s,
                "; `{}` was introduced by commit {commit}, {} before the period end",
                c.image,
                days(age)
            );
            if c.changes == 0 {
                if age <= c.max_days {
                    let _ = write!(s, ", within the {} allowed", days(c.max_days));
                } else {
                    let _ = write!(
                        s,
                        ", more than the {} allowed: rebuild and redeploy it",
                        days(c.max_days)
                    );
                }
            }
        }
        _ => {
            let _ = write!(
                s,
                "; the commit that introduced `{}` could not be read, so its age is unknown",
                c.image
            );
        }
    }
    s
}

// narratives: evidence summaries of checks

/// `ci-builds-images`, `ci-scans-images`, `ci-deploys-by-replacement`: the files that do it.
pub fn pipelines_that(activity: &str, files: &[&str]) -> Option<String> {
    (!files.is_empty()).then(|| format!("Pipeline files that {activity}: {}.", name_list(files)))
}

/// `no-in-place-mutation`: the hits, or how much was examined.
pub fn in_place_summary(hits: &[String], files_examined: usize) -> String {
    if hits.is_empty() {
        format!(
            "No in-place change in the {files_examined} pipeline, script and runbook file(s) examined."
        )
    } else {
        let names: Vec<&str> = hits.iter().map(String::as_str).collect();
        format!("In-place changes found at {}.", name_list(&names))
    }
}

/// `images-updated-in-period`: the image replacements of the period.
pub fn replacements_summary(changes: usize, subjects: usize, changed: usize) -> String {
    format!(
        "{changes} image replacement(s) in the period's history; {changed} of {subjects} image(s) \
         in use at the period end changed in the period."
    )
}

// Dockerfiles

pub fn no_dockerfile(repo: &str) -> String {
    format!(
        "repository `{repo}` holds no Dockerfile (looked for Dockerfile, Containerfile, Dockerfile.*, *.Dockerfile)"
    )
}

pub fn dockerfile_without_from() -> String {
    "the Dockerfile has no FROM instruction; it cannot be built".into()
}

// base-image-pinned

pub fn base_pinned_all(count: usize) -> String {
    format!("all {count} base image(s) are pinned by digest")
}

pub fn base_scratch_only() -> String {
    "every stage builds FROM scratch or an earlier stage: no base image to pin".into()
}

pub fn base_image_issue(line: u32, written: &str, issue: &str) -> String {
    format!("`FROM {written}` (line {line}) {issue}")
}

pub fn base_issue_tag(tag: &str) -> String {
    format!(
        "is pinned only by the tag `{tag}`, which can be moved to another build; add its @sha256 digest"
    )
}

pub fn base_issue_unpinned() -> String {
    "is `latest` or untagged: every build may get a different base".into()
}

pub fn base_issue_partial_digest(digest: &Digest) -> String {
    format!(
        "has the digest {}, which is not a full digest of a registered algorithm",
        short_digest(digest)
    )
}

pub fn base_issue_unresolved(variable: &str) -> String {
    format!(
        "takes its image from the build argument `{variable}`, which has no default: the base is chosen at build time and cannot be checked here"
    )
}

pub fn base_issue_invalid(error: &str) -> String {
    format!("is not a valid image reference: {error}")
}

pub fn base_issues(issues: &[String], total: usize) -> String {
    format!(
        "{} of {total} base image(s) not pinned by digest: {}",
        issues.len(),
        issues.join("; ")
    )
}

// base-image-minimal

pub fn final_base_scratch() -> String {
    "the final stage is FROM scratch: the image holds only what the build copies into it".into()
}

pub fn final_base_minimal(image: &str, family: &str, line: u32) -> String {
    format!("the final stage runs on `{image}` (line {line}), a minimal base ({family})")
}

pub fn final_base_full(image: &str, line: u32) -> String {
    format!(
        "the final stage runs on `{image}` (line {line}), a full distribution image: it ships a shell, a package manager and tools the application does not need, which can be used to change the container in place; use a distroless, scratch, Alpine, Chainguard/Wolfi, slim or UBI micro/minimal base"
    )
}

pub fn final_base_unknown(line: u32, issue: &str) -> String {
    format!("the final stage's base (line {line}) {issue}")
}

// dockerfile-non-root-user

pub fn final_user_non_root(user: &str, line: u32, stage_note: Option<usize>) -> String {
    let mut s = format!("the final stage runs as the non-root user `{user}` (USER at line {line}");
    if let Some(i) = stage_note {
        let _ = write!(s, ", inherited from stage {i}");
    }
    s.push(')');
    s
}

pub fn final_user_root(raw: &str, line: u32) -> String {
    format!(
        "the final stage runs as root (`USER {raw}` at line {line}): a root process can change the container's files in place"
    )
}

pub fn final_user_unresolved(raw: &str, line: u32) -> String {
    format!(
        "the final stage sets `USER {raw}` (line {line}) from a variable with no value in the Dockerfile: the user is chosen at build time"
    )
}

pub fn final_user_from_base(image: &str) -> String {
    format!(
        "the final stage sets no USER; its base `{image}` is a non-root variant, so the container runs as that image's non-root user"
    )
}

pub fn final_user_missing(line: u32) -> String {
    format!(
        "the final stage (FROM at line {line}) sets no USER: the container runs as the base image's default user, which is root unless the image says otherwise; add `USER <uid>`"
    )
}

fn short_digest(d: &Digest) -> String {
    let n = d.hex.len().min(12);
    format!("{}:{}…", d.algorithm, &d.hex[..n])
}

/// Why a check was not assessed, from its `not_assessed` and `error` findings.
pub fn not_assessed_reason(findings: &[&Finding]) -> String {
    let mut reasons: Vec<&str> = findings
        .iter()
        .filter(|f| f.status == Status::NotAssessed)
        .map(|f| f.message.as_str())
        .collect();
    reasons.sort_unstable();
    reasons.dedup();
    let errors = findings
        .iter()
        .filter(|f| f.status == Status::Error)
        .count();
    let na = findings
        .iter()
        .filter(|f| f.status == Status::NotApplicable)
        .count();
    let mut out = reasons.join("; ");
    if errors > 0 {
        if !out.is_empty() {
            out.push_str("; ");
        }
        let _ = write!(out, "{errors} subject(s) could not be read");
    }
    if out.is_empty() {
        out = if na > 0 {
            format!("all {na} subject(s) were not applicable")
        } else {
            "nothing in the input was a subject of this check".into()
        };
    }
    out
}

/// Why the attestation pseudo-check of a control has no result.
pub fn no_document_attached() -> String {
    "no document attached".into()
}

/// What a check that passed on part of its scope did not see, from its `not_assessed`
/// findings.
pub fn partly_unseen(findings: &[&Finding]) -> String {
    format!(
        "part of its scope was not assessed: {}",
        not_assessed_reason(
            &findings
                .iter()
                .copied()
                .filter(|f| f.status == Status::NotAssessed)
                .collect::<Vec<_>>()
        )
    )
}

/// The narrative of a control: the opening sentence of the roll-up (its verdict and the
/// step that decided it, see [`crate::rollup::Decision::sentence`]), then the evidence
/// check by check with counts and the first subjects named with their files, then the
/// accepted exceptions it relied on.
pub fn control_narrative(
    opening: &str,
    checks: &[CheckResult],
    by_check: &BTreeMap<&str, Vec<&Finding>>,
) -> String {
    let mut out = opening.to_string();
    let mut cited: BTreeMap<&str, (&crate::finding::FindingException, usize)> = BTreeMap::new();
    for check in checks {
        let findings: &[&Finding] = by_check.get(check.id).map(Vec::as_slice).unwrap_or(&[]);
        out.push(' ');
        out.push_str(&check_sentence(check, findings));
        if let Some(summary) = &check.summary {
            out.push(' ');
            out.push_str(summary);
        }
        if !check.relaxed_by.is_empty() {
            let _ = write!(
                out,
                " Its {} failure(s) count as warnings: the control allows them while a current attestation covers it ({}).",
                check.counts.fail,
                check.relaxed_by.join(", ")
            );
        }
        for f in findings.iter().filter(|f| f.is_excepted()) {
            if let Some(e) = &f.exception {
                cited.entry(e.id.as_str()).or_insert((e, 0)).1 += 1;
            }
        }
    }
    if !cited.is_empty() {
        let list: Vec<String> = cited
            .values()
            .map(|(e, n)| {
                format!(
                    "{} covers {n} finding(s): {} (approved by {}, ticket {}, expires {})",
                    e.id,
                    e.reason.trim_end_matches('.'),
                    e.approver,
                    e.ticket,
                    e.expires
                )
            })
            .collect();
        let _ = write!(out, " Accepted exceptions: {}.", list.join("; "));
    }
    out
}

fn check_sentence(check: &CheckResult, findings: &[&Finding]) -> String {
    let c = &check.counts;
    let judged = c.pass + c.fail + c.warn;
    // Excepted findings are named in the exceptions sentence, not among the failures.
    let open: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| !f.is_excepted())
        .collect();
    let excepted = if check.excepted > 0 {
        let ids: std::collections::BTreeSet<&str> = findings
            .iter()
            .filter(|f| f.is_excepted())
            .filter_map(|f| f.exception.as_ref().map(|e| e.id.as_str()))
            .collect();
        format!(
            "{} under accepted exception(s) {}",
            check.excepted,
            ids.into_iter().collect::<Vec<_>>().join(", ")
        )
    } else {
        String::new()
    };
    let open_fail = open.iter().filter(|f| f.status == Status::Fail).count();
    let open_warn = open.iter().filter(|f| f.status == Status::Warn).count();
    match check.status {
        CheckStatus::NotAssessed => format!(
            "{} ({}) was not assessed: {}.",
            check.title,
            check.id,
            check.reason.as_deref().unwrap_or("no evidence")
        ),
        CheckStatus::Warn if open_fail == 0 && open_warn == 0 => format!(
            "{} ({}): {} subject(s) pass, but {}.",
            check.title,
            check.id,
            c.pass,
            check
                .reason
                .as_deref()
                .unwrap_or("part of its scope was not assessed")
        ),
        CheckStatus::Pass if check.excepted > 0 => format!(
            "{} ({}): {} of {judged} subject(s) pass; {excepted}.",
            check.title, check.id, c.pass
        ),
        CheckStatus::Pass => format!(
            "{} ({}): all {} subject(s) pass{}.",
            check.title,
            check.id,
            c.pass,
            examples(&open, Status::Pass, ", e.g. ")
        ),
        CheckStatus::Warn | CheckStatus::Fail | CheckStatus::Error => {
            let mut s = format!("{} ({}): ", check.title, check.id);
            let mut parts = Vec::new();
            if open_fail > 0 {
                parts.push(format!(
                    "{open_fail} of {judged} subject(s) fail{}",
                    examples(&open, Status::Fail, ": ")
                ));
            }
            if open_warn > 0 {
                parts.push(format!(
                    "{open_warn} of {judged} warn{}",
                    examples(&open, Status::Warn, ": ")
                ));
            }
            if check.excepted > 0 {
                parts.push(excepted);
            }
            if c.pass > 0 {
                parts.push(format!("{} pass", c.pass));
            }
            if c.error > 0 {
                parts.push(format!(
                    "{} could not be read{}",
                    c.error,
                    examples(&open, Status::Error, ": ")
                ));
            }
            if c.not_assessed > 0 {
                parts.push(format!("{} not assessed", c.not_assessed));
            }
            s.push_str(&parts.join("; "));
            s.push('.');
            s
        }
    }
}

/// Names the first subjects with a status, with their files: `Deployment shop/api container
/// web (shop.yaml:12), ... and 4 more`.
fn examples(findings: &[&Finding], status: Status, lead: &str) -> String {
    let matching: Vec<&&Finding> = findings.iter().filter(|f| f.status == status).collect();
    if matching.is_empty() {
        return String::new();
    }
    let named: Vec<String> = matching
        .iter()
        .take(NAMED_SUBJECTS)
        .map(|f| match f.subject.file_location() {
            Some(loc) => format!("{} ({loc})", f.subject.display_name()),
            None => f.subject.display_name(),
        })
        .collect();
    let more = matching.len().saturating_sub(NAMED_SUBJECTS);
    let mut s = format!("{lead}{}", named.join(", "));
    if more > 0 {
        let _ = write!(s, " and {more} more");
    }
    s
}
