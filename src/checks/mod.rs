//! Checks: turn evidence, and the facts derived from it, into findings.
//!
//! A check is a small type declared with [`declare_check!`](crate::declare_check) in a file
//! of its own: an id, a title, a severity and an `evaluate` function that reads a
//! [`CheckContext`] (the inventory, the run's [`Facts`], the settings) and returns findings.
//! The sentences its findings say sit at the end of its file; [`family`] holds what several
//! checks of one family share. Its doc comment, with the fixed headings of [`DOC_HEADINGS`],
//! is compiled into the binary and serves both `evidencer explain` and the docs.
//! [`registry`] lists every check: a check that is not listed there does not exist.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::evidence::finding::{Finding, Severity, Status, Subject};
use crate::evidence::image::ImageError;
use crate::evidence::inventory::Inventory;
use crate::evidence::object::ViewError;
use crate::facts::Facts;
use crate::facts::eol::EolData;

pub(crate) mod family;

mod audit_log_covers_period;
mod base_image_minimal;
mod base_image_pinned;
mod ci_builds_images;
mod ci_deploys_by_replacement;
mod ci_scans_images;
mod container_runtime_supported;
mod dockerfile_non_root_user;
mod documented_process;
mod image_from_trusted_registry;
mod image_pinned_by_digest;
mod image_tag_not_latest;
mod images_scanned;
mod images_updated_in_period;
mod known_fixes_applied;
mod kubelet_version_supported;
mod kubernetes_version_supported;
mod live_matches_git;
mod no_ephemeral_containers;
mod no_in_place_changes_logged;
mod no_in_place_mutation;
mod no_manual_edits;
mod no_privilege_escalation;
mod node_kernel_current;
mod node_recently_replaced;
mod pod_exec_restricted;
mod pod_security_enforced;
mod policy_reports_clean;
mod read_only_root_enforced;
mod read_only_root_filesystem;
mod replace_on_update;
mod run_as_non_root;
mod running_image_consistent;

/// The headings every check's documentation has, in this order.
pub const DOC_HEADINGS: [&str; 5] = [
    "What it checks",
    "Why it matters",
    "Evidence used",
    "Example",
    "References",
];

/// What a check is, independent of any input.
#[derive(Debug)]
pub struct CheckMeta {
    /// Stable kebab-case id: a public interface, never renamed silently.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Markdown with the [`DOC_HEADINGS`] as `##` headings, from the check's doc comment.
    pub docs: &'static str,
}

impl CheckMeta {
    /// The docs as Markdown: the doc comment with the one space rustdoc keeps after `///`
    /// removed from each line.
    pub fn docs_markdown(&self) -> String {
        let mut out = String::with_capacity(self.docs.len());
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// The text under one `## heading` of the docs, trimmed.
    pub fn doc_section(&self, heading: &str) -> Option<String> {
        let docs = self.docs_markdown();
        let marker = format!("## {heading}\n");
        let start = docs.find(&marker)? + marker.len();
        let rest = &docs[start..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    }

    /// The first sentence of "What it checks": a one-line description.
    pub fn summary(&self) -> String {
        let text = self
            .doc_section("What it checks")
            .unwrap_or_else(|| self.title.to_string());
        let first = text
            .split("\n\n")
            .next()
            .unwrap_or(&text)
            .replace('\n', " ");
        match first.find(". ") {
            Some(i) => first[..=i].to_string(),
            None => first,
        }
    }
}

/// A check: reads evidence, returns findings. Implementations hold no state.
pub trait Check: Sync + Send {
    fn meta(&self) -> &'static CheckMeta;
    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding>;

    /// A sentence for the control narratives that names the concrete evidence behind the
    /// check's findings (counts, files, hits), built from their details; None when the
    /// roll-up sentence says enough. Called only for a check that was assessed.
    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        let _ = findings;
        None
    }

    /// Whether the check judges pods as they run: then every workload of a cluster that asks
    /// for pods and has none in the input gets a `not_assessed` finding from [`run_all`]
    /// (see [`family::running::podless_findings`]), instead of being silently left out.
    fn reads_pods(&self) -> bool {
        false
    }
}

/// Declares a check type and its [`CheckMeta`], taking the docs from the doc comment.
///
/// ```ignore
/// declare_check! {
///     /// ## What it checks
///     /// ...
///     pub struct ReadOnlyRootFilesystem {
///         id: "read-only-root-filesystem",
///         title: "Containers run with a read-only root filesystem",
///         severity: High,
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_check {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            id: $id:literal,
            title: $title:literal,
            severity: $severity:ident $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $name;

        impl $name {
            pub const META: $crate::checks::CheckMeta = $crate::checks::CheckMeta {
                id: $id,
                title: $title,
                severity: $crate::evidence::finding::Severity::$severity,
                docs: concat!($($doc, "\n"),*),
            };
        }
    };
}

/// Default of `max-node-age-days`: nodes older than this are not being rotated.
pub const DEFAULT_MAX_NODE_AGE_DAYS: u32 = 90;
/// Default of `max-scan-age-days`: a monthly scan, the cadence PCI DSS sets for critical
/// patches (6.3.3); Trivy Operator rescans daily by default, so a healthy operator is far
/// inside it.
pub const DEFAULT_MAX_SCAN_AGE_DAYS: u32 = 30;
/// Default of `max-image-age-days`: a quarter, the period audits are usually asked over.
pub const DEFAULT_MAX_IMAGE_AGE_DAYS: u32 = 90;

/// `patch-timeframes-days`: how many days a known fix may stay unapplied, by the severity of
/// the vulnerability it fixes (`known-fixes-applied`). The defaults follow PCI DSS 6.3.3
/// (critical and high within one month) and give medium a quarter and low half a year; a
/// severity the scanner does not give (unknown) is held to the low timeframe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct PatchTimeframes {
    #[serde(deserialize_with = "timeframe_days")]
    pub critical: u32,
    #[serde(deserialize_with = "timeframe_days")]
    pub high: u32,
    #[serde(deserialize_with = "timeframe_days")]
    pub medium: u32,
    #[serde(deserialize_with = "timeframe_days")]
    pub low: u32,
}

impl Default for PatchTimeframes {
    fn default() -> Self {
        PatchTimeframes {
            critical: 30,
            high: 30,
            medium: 90,
            low: 180,
        }
    }
}

impl PatchTimeframes {
    /// Days a fix of a vulnerability of `severity` (a scanner's word) may stay unapplied.
    pub fn for_severity(&self, severity: crate::collect::results::Severity) -> u32 {
        use crate::collect::results::Severity as S;
        match severity {
            S::Critical => self.critical,
            S::High => self.high,
            S::Medium => self.medium,
            S::Low | S::Unknown => self.low,
        }
    }

    /// `critical 30, high 30, medium 90, low 180 days`.
    pub fn describe(&self) -> String {
        format!(
            "critical {}, high {}, medium {}, low (and unknown) {} days",
            self.critical, self.high, self.medium, self.low
        )
    }
}

/// One timeframe of `patch-timeframes-days`: a day to a hundred years, never clamped.
fn timeframe_days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = <u64 as serde::Deserialize>::deserialize(d)?;
    match u32::try_from(n) {
        Ok(n) if (1..=36_500).contains(&n) => Ok(n),
        _ => Err(serde::de::Error::custom(format!(
            "patch-timeframes-days: {n} is out of range (1 to 36500)"
        ))),
    }
}

/// Settings checks read, from defaults, the config file and flags.
#[derive(Clone, Debug)]
pub struct CheckSettings {
    /// The instant the report speaks for.
    pub as_of: DateTime<Utc>,
    /// Registry or repository prefixes images may come from; empty means not configured.
    pub trusted_registries: Vec<String>,
    /// End-of-life data the version checks judge by (built in, or `--eol-data`).
    pub eol: Arc<EolData>,
    /// Nodes older than this many days warn in `node-recently-replaced`.
    pub max_node_age_days: u32,
    /// Vulnerability reports older than this many days do not count in `images-scanned`.
    pub max_scan_age_days: u32,
    /// The audit period, when the run has one.
    pub period: Option<crate::evidence::period::Period>,
    /// Images unchanged in the period pass `images-updated-in-period` when younger than this.
    pub max_image_age_days: u32,
    /// Documents attested by the organisation, judged by `documented-process`.
    pub attestations: Arc<[crate::evidence::attestation::Attestation]>,
    /// Break-glass subjects of the audit log checks (`audit:`).
    pub audit: family::audit::AuditSettings,
    /// How long a known fix may stay unapplied, by severity (`known-fixes-applied`).
    pub patch_timeframes: PatchTimeframes,
    /// Who deploys (`gitops:`), for `no-manual-edits` and `live-matches-git`.
    pub gitops: family::gitops::GitopsSettings,
    /// `--repo-path`: the repository path each cluster context should run.
    pub repo_paths: Vec<family::gitops::RepoPath>,
}

impl Default for CheckSettings {
    fn default() -> Self {
        Self {
            as_of: DateTime::<Utc>::UNIX_EPOCH,
            trusted_registries: Vec::new(),
            eol: EolData::builtin(),
            max_node_age_days: DEFAULT_MAX_NODE_AGE_DAYS,
            max_scan_age_days: DEFAULT_MAX_SCAN_AGE_DAYS,
            period: None,
            max_image_age_days: DEFAULT_MAX_IMAGE_AGE_DAYS,
            attestations: Arc::from(Vec::new()),
            audit: family::audit::AuditSettings::default(),
            patch_timeframes: PatchTimeframes::default(),
            gitops: family::gitops::GitopsSettings::default(),
            repo_paths: Vec::new(),
        }
    }
}

/// What every check reads: the evidence, the facts derived from it once per run, and the
/// settings.
pub struct CheckContext<'a> {
    pub inventory: &'a Inventory,
    pub facts: &'a Facts<'a>,
    pub settings: &'a CheckSettings,
    /// The API audit logs (`--audit-log`), when any were given.
    pub audit: Option<&'a crate::collect::audit::AuditLog>,
}

impl CheckContext<'_> {
    /// A `not_assessed` finding about the whole input, for a check that lacks the evidence
    /// it needs. The reason says what was missing and why.
    pub fn not_assessed(&self, meta: &CheckMeta, reason: impl Into<String>) -> Finding {
        Finding::new(
            meta.id,
            meta.severity,
            Status::NotAssessed,
            Subject {
                kind: "Input".into(),
                name: "all sources".into(),
                source: "all".into(),
                ..Default::default()
            },
            reason,
        )
        .evidence(self.inventory.source_record_ids())
    }

    /// `not_assessed` unless at least one workload kind was collected; the shared guard of
    /// every container check.
    pub fn require_workloads(&self, meta: &CheckMeta) -> Option<Finding> {
        let coverage = &self.inventory.coverage;
        let table = crate::evidence::workload_kinds::table();
        let any = table.kind_names().iter().any(|k| coverage.is_collected(k));
        (!any).then(|| self.not_assessed(meta, no_workloads_collected()))
    }

    /// Why each of `kinds` the input lacks is missing, in words; empty when all were
    /// collected.
    pub fn missing_kinds(&self, kinds: &[&str]) -> Vec<String> {
        let coverage = &self.inventory.coverage;
        kinds
            .iter()
            .filter(|k| !coverage.is_collected(k))
            .map(|k| kind_missing(k, &coverage.why_missing(k)))
            .collect()
    }

    /// `not_assessed` unless every one of `kinds` was collected, naming each one missing and
    /// why (a 403 names the permission it needs).
    pub fn require_kinds(&self, meta: &CheckMeta, kinds: &[&str]) -> Option<Finding> {
        let missing = self.missing_kinds(kinds);
        (!missing.is_empty()).then(|| self.not_assessed(meta, missing.join("; ")))
    }

    /// Why each of `kinds` was not listed in full by a cluster (a live list, or a snapshot's
    /// manifest recording it as collected); empty when all were. Objects read from plain
    /// files show what exists, never that nothing else does.
    pub fn unlisted_kinds(&self, kinds: &[&str]) -> Vec<String> {
        let unlisted: Vec<&str> = kinds
            .iter()
            .copied()
            .filter(|k| !self.inventory.listed.contains(*k))
            .collect();
        if unlisted.is_empty() {
            return Vec::new();
        }
        vec![kinds_not_listed(&unlisted)]
    }

    /// For a check that judged with part of its evidence missing: its failures and warnings
    /// stand (what was seen is wrong whatever else exists), but a pass needs all the
    /// evidence, so passes give way to one `not_assessed` finding that says what was missing.
    pub fn withhold_passes(
        &self,
        meta: &CheckMeta,
        findings: Vec<Finding>,
        missing: &[String],
    ) -> Vec<Finding> {
        if missing.is_empty() {
            return findings;
        }
        let passed = findings.iter().filter(|f| f.status == Status::Pass).count();
        let mut out: Vec<Finding> = findings
            .into_iter()
            .filter(|f| f.status != Status::Pass)
            .collect();
        out.push(self.not_assessed(meta, passes_withheld(passed, missing)));
        out
    }

    /// One `error` finding per workload whose pod spec could not be read, so a malformed
    /// object is visible in every container check instead of silently skipped.
    ///
    /// Also one `not_assessed` finding per workload whose pod template is another object's
    /// that is not in the input (a Rollout's `workloadRef`), and one per workload kind whose
    /// list the API server refused, naming the permission it needs: what was not seen
    /// cannot pass.
    pub fn unreadable_workloads(&self, meta: &CheckMeta) -> Vec<Finding> {
        let workloads = &self.facts.workloads;
        let mut out: Vec<Finding> = workloads
            .unreadable
            .iter()
            .map(|u| {
                Finding::new(
                    meta.id,
                    meta.severity,
                    Status::Error,
                    crate::facts::workloads::object_subject(u.object),
                    unreadable_object(&u.error),
                )
                .evidence([u.object.evidence.clone()])
            })
            .collect();
        out.extend(workloads.unresolved.iter().map(|u| {
            Finding::new(
                meta.id,
                meta.severity,
                Status::NotAssessed,
                crate::facts::workloads::object_subject(u.object),
                template_elsewhere(&u.field, &u.refers_to),
            )
            .evidence([u.object.evidence.clone()])
        }));
        let coverage = &self.inventory.coverage;
        let table = crate::evidence::workload_kinds::table();
        for kind in table.kind_names() {
            if matches!(
                coverage.kinds.get(kind),
                Some(crate::evidence::inventory::KindStatus::Forbidden { .. })
            ) {
                out.push(
                    self.not_assessed(meta, workload_kind_refused(&coverage.why_missing(kind))),
                );
            }
        }
        out
    }
}

impl CheckContext<'_> {
    /// One `not_assessed` finding per container of an operator-managed object whose image
    /// the operator picks (a Prometheus without `spec.image`): the object does not say
    /// which repository runs, and the operator's default is not guessed.
    pub fn operator_default_images(&self, meta: &CheckMeta) -> Vec<Finding> {
        self.facts
            .workloads
            .operator_default_images()
            .map(|c| {
                let version = c
                    .container
                    .image
                    .as_deref()
                    .map(|i| i.trim_start_matches(':'));
                c.finding(
                    meta,
                    Status::NotAssessed,
                    operator_default_image(&c.workload.object.kind, version),
                )
            })
            .collect()
    }
}

fn operator_default_image(kind: &str, version: Option<&str>) -> String {
    match version {
        Some(version) => format!(
            "the {kind} names no image, only the version {version}: the operator runs its own default image for it, which the object does not name; set spec.image to assess it"
        ),
        None => format!(
            "the {kind} names neither an image nor a version: the operator runs its own default image, which the object does not name; set spec.image to assess it"
        ),
    }
}

/// A finding about one object, citing its evidence.
pub fn object_finding(
    meta: &CheckMeta,
    object: &crate::evidence::object::Object,
    status: Status,
    message: impl Into<String>,
) -> Finding {
    Finding::new(
        meta.id,
        meta.severity,
        status,
        crate::facts::workloads::object_subject(object),
        message,
    )
    .evidence([object.evidence.clone()])
}

/// Every check evidencer has, in the order `evidencer checks` lists them.
pub fn registry() -> &'static [&'static dyn Check] {
    static REGISTRY: &[&dyn Check] = &[
        &read_only_root_filesystem::ReadOnlyRootFilesystem,
        &run_as_non_root::RunAsNonRoot,
        &no_privilege_escalation::NoPrivilegeEscalation,
        &image_tag_not_latest::ImageTagNotLatest,
        &image_pinned_by_digest::ImagePinnedByDigest,
        &image_from_trusted_registry::ImageFromTrustedRegistry,
        &replace_on_update::ReplaceOnUpdate,
        &ci_builds_images::CiBuildsImages,
        &ci_scans_images::CiScansImages,
        &ci_deploys_by_replacement::CiDeploysByReplacement,
        &no_in_place_mutation::NoInPlaceMutation,
        &images_updated_in_period::ImagesUpdatedInPeriod,
        &base_image_pinned::BaseImagePinned,
        &base_image_minimal::BaseImageMinimal,
        &dockerfile_non_root_user::DockerfileNonRootUser,
        &kubernetes_version_supported::KubernetesVersionSupported,
        &kubelet_version_supported::KubeletVersionSupported,
        &container_runtime_supported::ContainerRuntimeSupported,
        &node_kernel_current::NodeKernelCurrent,
        &node_recently_replaced::NodeRecentlyReplaced,
        &no_ephemeral_containers::NoEphemeralContainers,
        &running_image_consistent::RunningImageConsistent,
        &pod_exec_restricted::PodExecRestricted,
        &no_in_place_changes_logged::NoInPlaceChangesLogged,
        &audit_log_covers_period::AuditLogCoversPeriod,
        &no_manual_edits::NoManualEdits,
        &live_matches_git::LiveMatchesGit,
        &pod_security_enforced::PodSecurityEnforced,
        &read_only_root_enforced::ReadOnlyRootEnforced,
        &images_scanned::ImagesScanned,
        &known_fixes_applied::KnownFixesApplied,
        &policy_reports_clean::PolicyReportsClean,
        &documented_process::DocumentedProcess,
    ];
    REGISTRY
}

/// Looks a check up by id.
pub fn find(id: &str) -> Option<&'static dyn Check> {
    registry().iter().copied().find(|c| c.meta().id == id)
}

/// All check ids, sorted, for "did you mean" messages.
pub fn ids() -> &'static [&'static str] {
    static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut ids: Vec<_> = registry().iter().map(|c| c.meta().id).collect();
        ids.sort_unstable();
        ids
    })
}

/// Runs every check (both cores) and returns their findings, unordered: the caller assigns
/// ids, which also sorts them.
pub fn run_all(ctx: &CheckContext<'_>) -> Vec<Finding> {
    registry()
        .par_iter()
        .flat_map_iter(|check| {
            let mut findings = check.evaluate(ctx);
            if check.reads_pods() {
                findings.extend(family::running::podless_findings(ctx, check.meta()));
            }
            findings
        })
        .collect()
}

impl crate::facts::workloads::ContainerRef<'_> {
    /// A finding about this container, citing its workload's evidence.
    pub fn finding(&self, meta: &CheckMeta, status: Status, message: impl Into<String>) -> Finding {
        Finding::new(meta.id, meta.severity, status, self.subject(), message).evidence([self
            .workload
            .object
            .evidence
            .clone()])
    }
}

/// A container's image, as written and parsed; or the parse error with a message for a
/// finding (a missing image has no parse error).
pub fn parse_container_image<'a>(
    c: &crate::facts::workloads::ContainerRef<'a>,
) -> Result<
    (&'a str, crate::evidence::image::ImageRef),
    (Option<crate::evidence::image::ImageError>, String),
> {
    let Some(original) = c.container.image.as_deref() else {
        return Err((None, missing_image(&c.field_path("image"))));
    };
    crate::evidence::image::ImageRef::parse(original)
        .map(|image| (original, image))
        .map_err(|e| {
            let message = invalid_image(original, &e);
            (Some(e), message)
        })
}

// Wording: the sentences of the guards above, which every check's findings may say.

pub(crate) fn no_workloads_collected() -> String {
    "no workloads were in the input (no Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, \
     CronJob or Pod objects were collected)"
        .into()
}

fn template_elsewhere(field: &str, refers_to: &str) -> String {
    format!(
        "its containers are the pod template of the {refers_to} its {field} names, which is not in the input: include it to assess them"
    )
}

fn workload_kind_refused(why: &str) -> String {
    format!("{why}; the containers of those workloads are not assessed")
}

/// Why one kind a check needs is missing, with what to do about a snapshot that lacks it.
pub(crate) fn kind_missing(kind: &str, why: &str) -> String {
    match crate::evidence::kinds::resource_of(kind) {
        Some(resource) if why.starts_with("no ") => {
            let all = if crate::evidence::kinds::is_cluster_scoped(kind) {
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

pub(crate) fn kinds_not_listed(kinds: &[&str]) -> String {
    format!(
        "the {} objects were read from files, not listed from a cluster: the built-in roles and \
         bindings of a real cluster may not be in the input; a live run, or a snapshot whose \
         manifest.json records them as collected (`evidencer collect`), can show that no other \
         grant exists",
        crate::base::phrase::and_list(&kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>())
    )
}

pub(crate) fn passes_withheld(passed: usize, missing: &[String]) -> String {
    if passed == 0 {
        return format!(
            "what was seen stands, but the rest could not be judged: {}",
            missing.join("; ")
        );
    }
    format!(
        "{passed} subject(s) passed on the evidence there was, but a pass needs all of it: {}",
        missing.join("; ")
    )
}

pub(crate) fn unreadable_object(error: &ViewError) -> String {
    format!("could not read the workload: {error}; fix the object and re-run")
}

/// `field` is the image's path in the object, e.g. `spec.containers[0].image`.
pub(crate) fn missing_image(field: &str) -> String {
    format!("the container has no image: field `{field}` is missing")
}

pub(crate) fn invalid_image(image: &str, error: &ImageError) -> String {
    format!("image `{image}` is not a valid reference: {error}")
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn check_ids_are_unique_and_kebab_case() {
        let mut seen = BTreeSet::new();
        for check in registry() {
            let id = check.meta().id;
            assert!(seen.insert(id), "duplicate check id {id}");
            assert!(
                id.split('-').all(|part| !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
                "{id} is not kebab-case"
            );
            assert!(
                !id.starts_with("disallow-"),
                "{id}: name what the check wants to see"
            );
        }
    }

    #[test]
    fn every_check_documents_every_heading_in_order() {
        for check in registry() {
            let meta = check.meta();
            let mut last = 0;
            for heading in DOC_HEADINGS {
                let at = meta
                    .docs_markdown()
                    .find(&format!("## {heading}\n"))
                    .unwrap_or_else(|| panic!("{}: docs lack `## {heading}`", meta.id));
                assert!(at >= last, "{}: `{heading}` out of order", meta.id);
                last = at;
                let body = meta.doc_section(heading).unwrap();
                assert!(!body.is_empty(), "{}: `{heading}` is empty", meta.id);
            }
            assert!(
                meta.summary().ends_with('.'),
                "{}: summary is not a sentence",
                meta.id
            );
        }
    }
}
