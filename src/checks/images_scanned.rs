//! `images-scanned`: every running image has a recent vulnerability scan.
//!
//! Scan evidence is gathered into a [`ScanIndex`] from Trivy Operator VulnerabilityReports,
//! and read from the `--results` scans (Trivy, Grype, SARIF) the facts index; each running
//! image of each workload container is then looked up in both by digest, else by
//! registry, repository and tag, and judged by the age of its newest dated scan. Only scan results count:
//! each carries its own time and names the image it scanned. A pipeline's scan step is not
//! one (the definition proves that a scan is configured, never that a given running image
//! was scanned on a given day); `ci-scans-images` judges those.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Check, CheckContext, CheckMeta, object_finding};
use crate::base::phrase::{days, short_digest};
use crate::checks::family::running::unreadable_pod_status;
use crate::collect::results::{RecordKind, ResultRecord, Severity as ResultSeverity};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::image::ImageRef;
use crate::evidence::object::{Object, lenient_opt_string, lenient_string};
use crate::facts::ci::Activity;
use crate::facts::running::{OwnerKey, RunningPod, RunningPods};

crate::declare_check! {
    /// ## What it checks
    /// Every image running in the cluster has a vulnerability scan no older than
    /// `max-scan-age-days` (default 30) on the as-of date. Scans are Trivy Operator
    /// VulnerabilityReports (`aquasecurity.github.io/v1alpha1`) and the scan results given
    /// with `--results` (Trivy or Grype JSON, SARIF) that record when they ran, matched to a
    /// running container by image digest (from `status.containerStatuses[].imageID`), else
    /// by registry, repository and tag; the newest matching scan counts, whatever workload it
    /// was made for, at the time the scan records (never the file's time). A scan of the same
    /// tag whose digest is another than the running one's does not count (the tag pointed at
    /// other content when it was scanned) and is named; so is a matching result without a
    /// time. Only scan results count, since each carries the time of the scan and the
    /// image scanned: a scan step in a CI pipeline shows that a scan is configured, never that
    /// a running image was scanned on a given day, so pipelines are judged by
    /// `ci-scans-images` and never count here. Each workload container (pods grouped by their owner, as in
    /// `running-image-consistent`) passes when every image it runs has a recent report, and
    /// fails when one has none or only older ones. The findings list the report's counts of
    /// critical and high vulnerabilities: this check asks whether images are scanned, not
    /// whether they are clean.
    ///
    /// ## Why it matters
    /// A clean scan at build time goes stale as new vulnerabilities are published: images
    /// must be scanned again while they run, so patched images can be built and redeployed
    /// (PCI container guidance 10.3). 30 days follows the monthly window PCI DSS gives for
    /// critical patches; Trivy Operator rescans daily by default, so an older report means
    /// the scanner stopped or skips the image.
    ///
    /// ## Evidence used
    /// Running Pods (`status.containerStatuses`, `spec.containers[].image`, owner
    /// references), VulnerabilityReports (`report.artifact`, `report.registry`,
    /// `report.updateTimestamp`, `report.summary`) and `--results` scans (Trivy `CreatedAt`,
    /// `ArtifactName`, `Metadata.RepoDigests`; Grype `descriptor.timestamp`, `source.target`;
    /// SARIF `invocations[].endTimeUtc`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: aquasecurity.github.io/v1alpha1
    /// kind: VulnerabilityReport
    /// report:
    ///   registry: {server: registry.example.com}
    ///   artifact: {repository: shop/api, tag: "1.4.2", digest: "sha256:3f1c…"}
    ///   updateTimestamp: "2026-11-20T04:12:09Z"
    /// ```
    ///
    /// ## References
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.3
    /// - PCI DSS v4.0 requirement 6.3.3 (critical patches within one month)
    /// - Trivy Operator VulnerabilityReport
    pub struct ImagesScanned {
        id: "images-scanned",
        title: "Running images have a recent vulnerability scan",
        severity: High,
    }
}

/// Where a scan was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ScanSource {
    /// A Trivy Operator VulnerabilityReport in the cluster.
    TrivyOperator { report: String },
    /// A scan result given with `--results`: its file (and document) and format.
    Results { file: String, shape: String },
}

impl ScanSource {
    /// How findings name the scan.
    pub fn describe(&self) -> String {
        match self {
            ScanSource::TrivyOperator { report } => report.clone(),
            ScanSource::Results { file, shape } => format!("{shape} {file}"),
        }
    }
}

/// One scan of one image.
#[derive(Clone, Debug)]
pub struct Scan {
    pub source: ScanSource,
    pub scanned_at: DateTime<Utc>,
    /// `registry/repository:tag@digest`, as the scan names the image.
    pub image: String,
    pub critical: Option<u64>,
    pub high: Option<u64>,
    pub evidence: String,
}

/// Every scan found, looked up by digest or by normalized name and tag.
#[derive(Default)]
pub struct ScanIndex {
    scans: Vec<Scan>,
    by_digest: HashMap<String, Vec<usize>>,
    by_name_tag: HashMap<(String, String), Vec<usize>>,
}

impl ScanIndex {
    /// Adds a scan of an image known by `digest` and/or `name:tag`.
    pub fn add(&mut self, scan: Scan, digest: Option<&str>, name_tag: Option<(String, String)>) {
        let i = self.scans.len();
        self.scans.push(scan);
        if let Some(d) = digest.filter(|d| !d.is_empty()) {
            self.by_digest.entry(d.to_string()).or_default().push(i);
        }
        if let Some(key) = name_tag {
            self.by_name_tag.entry(key).or_default().push(i);
        }
    }

    /// The newest scan of an image, by digest first, else by name and tag.
    pub fn newest(
        &self,
        digest: Option<&str>,
        name_tag: Option<&(String, String)>,
    ) -> Option<&Scan> {
        let by_digest = digest.and_then(|d| self.by_digest.get(d));
        let by_name_tag = name_tag.and_then(|k| self.by_name_tag.get(k));
        by_digest
            .into_iter()
            .chain(by_name_tag)
            .flatten()
            .map(|&i| &self.scans[i])
            .max_by_key(|s| s.scanned_at)
    }

    /// Scans from Trivy Operator VulnerabilityReports; reports that cannot be read are
    /// returned with the reason.
    pub fn from_trivy(objects: &[Object]) -> (ScanIndex, Vec<(&Object, String)>) {
        let mut index = ScanIndex::default();
        let mut unreadable = Vec::new();
        for o in objects
            .iter()
            .filter(|o| o.kind == "VulnerabilityReport" && o.group() == "aquasecurity.github.io")
        {
            let report: TrivyReport = match o.view("/report") {
                Ok(r) => r,
                Err(e) => {
                    unreadable.push((o, e.to_string()));
                    continue;
                }
            };
            let stamp = report
                .update_timestamp
                .as_deref()
                .or(o.meta.creation_timestamp.as_deref());
            let Some(scanned_at) = stamp
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
            else {
                unreadable.push((o, report_without_time()));
                continue;
            };
            let server = report.registry.server.as_deref().unwrap_or("docker.io");
            let name = ImageRef::parse(&format!("{server}/{}", report.artifact.repository))
                .ok()
                .map(|r| r.name());
            let tag = report.artifact.tag.clone().filter(|t| !t.is_empty());
            let mut image = format!("{server}/{}", report.artifact.repository);
            if let Some(t) = &tag {
                image.push_str(&format!(":{t}"));
            }
            if let Some(d) = &report.artifact.digest {
                image.push_str(&format!("@{d}"));
            }
            index.add(
                Scan {
                    source: ScanSource::TrivyOperator {
                        report: o.display_name(),
                    },
                    scanned_at,
                    image,
                    critical: report.summary.critical_count,
                    high: report.summary.high_count,
                    evidence: o.evidence.clone(),
                },
                report.artifact.digest.as_deref(),
                name.zip(tag),
            );
        }
        (index, unreadable)
    }
}

impl Scan {
    /// A dated `--results` scan as the check judges it, with its counts of critical and
    /// high vulnerabilities.
    fn of_result(r: &ResultRecord) -> Option<Scan> {
        let count = |s: ResultSeverity| {
            Some(r.vulnerabilities.iter().filter(|v| v.severity == s).count() as u64)
        };
        Some(Scan {
            source: ScanSource::Results {
                file: r.file.locator(),
                shape: r.shape.name().to_string(),
            },
            scanned_at: r.scanned_at?,
            image: r.subject.describe(),
            critical: count(ResultSeverity::Critical),
            high: count(ResultSeverity::High),
            evidence: r.evidence(),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TrivyReport {
    artifact: Artifact,
    registry: Registry,
    #[serde(deserialize_with = "lenient_opt_string")]
    update_timestamp: Option<String>,
    summary: Summary,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Artifact {
    #[serde(deserialize_with = "lenient_string")]
    repository: String,
    #[serde(deserialize_with = "lenient_opt_string")]
    tag: Option<String>,
    #[serde(deserialize_with = "lenient_opt_string")]
    digest: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Registry {
    #[serde(deserialize_with = "lenient_opt_string")]
    server: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Summary {
    critical_count: Option<u64>,
    high_count: Option<u64>,
}

/// One image a workload container runs: as the spec names it, and the digest it runs as.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RunningImage {
    reference: String,
    digest: Option<String>,
    /// `imageID` as the runtime reports it: `repo@sha256:…` says it is the manifest
    /// digest a registry serves, a bare `sha256:…` may be the image's config id.
    image_id: Option<String>,
}

impl RunningImage {
    fn name_tag(&self) -> Option<(String, String)> {
        let r = ImageRef::parse(&self.reference).ok()?;
        Some((r.name(), r.tag.clone()?))
    }
}

impl Check for ImagesScanned {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn reads_pods(&self) -> bool {
        true
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let (index, unreadable) = ScanIndex::from_trivy(&ctx.inventory.objects);
        let results = &ctx.facts.results;
        // Scan results given with --results stand in for VulnerabilityReports.
        let scans_given = results
            .records()
            .iter()
            .any(|r| r.kind == RecordKind::VulnerabilityScan);
        let needed: &[&str] = match scans_given {
            true => &["Pod"],
            false => &["Pod", "VulnerabilityReport"],
        };
        let missing = ctx.missing_kinds(needed);
        if !missing.is_empty() {
            let pipeline_scans = ctx
                .facts
                .ci
                .iter()
                .flat_map(|r| r.steps())
                .filter(|s| s.activity == Activity::ImageScan)
                .count();
            return vec![ctx.not_assessed(meta, no_scan_results(&missing, pipeline_scans))];
        }
        let RunningPods {
            pods,
            unreadable: unreadable_pods,
        } = &ctx.facts.pods;
        let mut out: Vec<Finding> = unreadable
            .into_iter()
            .map(|(o, e)| (o, unreadable_report(&e)))
            .chain(
                unreadable_pods
                    .iter()
                    .map(|(o, e)| (*o, unreadable_pod_status(e))),
            )
            .map(|(o, message)| object_finding(meta, o, Status::Error, message))
            .collect();

        let mut groups: BTreeMap<(&OwnerKey, &str), BTreeMap<RunningImage, Vec<&RunningPod<'_>>>> =
            BTreeMap::new();
        for pod in pods.iter().filter(|p| p.is_running()) {
            for c in &pod.pod.pod_spec.containers {
                let status = pod
                    .status
                    .container_statuses
                    .iter()
                    .find(|s| s.name == c.name);
                let Some(reference) = c
                    .image
                    .clone()
                    .or_else(|| status.and_then(|s| s.image.clone()))
                else {
                    continue;
                };
                let image = RunningImage {
                    reference,
                    digest: status.and_then(|s| s.digest()).map(str::to_string),
                    image_id: status.and_then(|s| s.image_id.clone()),
                };
                groups
                    .entry((&pod.owner, c.name.as_str()))
                    .or_default()
                    .entry(image)
                    .or_default()
                    .push(pod);
            }
        }
        if groups.is_empty() {
            out.push(ctx.not_assessed(meta, no_running_images(pods.len())));
            return out;
        }
        let max = i64::from(ctx.settings.max_scan_age_days);
        for ((_, container), images) in groups {
            let mut judged = Vec::new();
            let mut evidence = BTreeSet::new();
            let mut fresh_all = true;
            for (image, pods) in &images {
                let found = results.find(&image.reference, image.image_id.as_deref());
                let from_results = found.newest_dated_scan().and_then(Scan::of_result);
                let scan = index.newest(image.digest.as_deref(), image.name_tag().as_ref());
                let scan = match (scan, &from_results) {
                    (Some(a), Some(b)) if b.scanned_at > a.scanned_at => Some(b),
                    (None, Some(b)) => Some(b),
                    (a, _) => a,
                };
                let undated = found
                    .records
                    .iter()
                    .find(|r| r.kind == RecordKind::VulnerabilityScan && r.scanned_at.is_none())
                    .map(|r| r.file.locator());
                let other_digest = found
                    .other_digest
                    .iter()
                    .find(|r| r.kind == RecordKind::VulnerabilityScan)
                    .map(|r| format!("{} ({})", r.file.locator(), r.subject.describe()));
                let age = scan.map(|s| (ctx.settings.as_of - s.scanned_at).num_days());
                let fresh = age.is_some_and(|a| a <= max);
                fresh_all &= fresh;
                if let Some(s) = scan {
                    evidence.insert(s.evidence.clone());
                }
                evidence.extend(pods.iter().map(|p| p.pod.object.evidence.clone()));
                judged.push(ImageScan {
                    image: image.reference.clone(),
                    digest: image.digest.clone(),
                    scan: scan.map(|s| s.source.describe()),
                    scanned_image: scan.map(|s| s.image.clone()),
                    scanned_at: scan.map(|s| crate::base::timefmt::rfc3339(s.scanned_at)),
                    age_days: age,
                    critical: scan.and_then(|s| s.critical),
                    high: scan.and_then(|s| s.high),
                    fresh,
                    undated: undated.filter(|_| !fresh),
                    other_digest: other_digest.filter(|_| !fresh),
                });
            }
            let first = images
                .values()
                .flatten()
                .min_by_key(|p| p.name())
                .expect("pods");
            let mut subject = first.owner_subject();
            subject.container = Some(container.to_string());
            if let Some(o) = first.owner_object {
                evidence.insert(o.evidence.clone());
            }
            let status = if fresh_all {
                Status::Pass
            } else {
                Status::Fail
            };
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    status,
                    subject,
                    images_scanned(&judged, max),
                )
                .evidence(evidence)
                .detail("images", json!(judged))
                .detail("max_scan_age_days", json!(max)),
            );
        }
        out
    }
}

// Wording: the sentences this check's findings say.

/// One running image and its newest scan, as findings report it.
#[derive(Clone, Debug, serde::Serialize)]
struct ImageScan {
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
    /// A `--results` scan of the image that records no time (so does not count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undated: Option<String>,
    /// A `--results` scan of the same tag at another digest (so does not count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_digest: Option<String>,
}

fn scan_sentence(i: &ImageScan, max_days: i64) -> String {
    let image = match &i.digest {
        Some(d) if !i.image.contains(d.as_str()) => format!("`{}` ({})", i.image, short_digest(d)),
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
            "{image} has no dated vulnerability scan (a VulnerabilityReport or a --results scan, \
             matched by digest, or by registry, repository and tag)"
        ),
    }
}

/// What a failing image's matching results that do not count were.
fn uncounted(i: &ImageScan) -> String {
    let mut s = String::new();
    if let Some(other) = &i.other_digest {
        s.push_str(&format!(
            " (the scan {other} is of the same tag at another digest: the tag pointed at other \
             content when it was scanned, so it does not count)"
        ));
    }
    if let Some(file) = &i.undated {
        s.push_str(&format!(
            " (the scan result {file} records no scan time, so it does not count)"
        ));
    }
    s
}

fn images_scanned(images: &[ImageScan], max_days: i64) -> String {
    let sentences: Vec<String> = images
        .iter()
        .map(|i| scan_sentence(i, max_days) + &uncounted(i))
        .collect();
    sentences.join("; ")
}

fn no_running_images(pods: usize) -> String {
    format!(
        "none of the {pods} pod(s) in the input is running a container with an image: export \
         pods with their status"
    )
}

fn no_scan_results(missing: &[String], pipeline_scans: usize) -> String {
    let mut s = format!(
        "{}: no dated scan result (a Trivy Operator VulnerabilityReport, or a Trivy, Grype or \
         SARIF scan given with --results, with the time of the scan and the image scanned) \
         covers the running images",
        missing.join("; ")
    );
    if pipeline_scans > 0 {
        s.push_str(&format!(
            "; the {pipeline_scans} image scan step(s) of the pipelines show that a scan is \
             configured, not that a running image was scanned on a given day, and are judged \
             by ci-scans-images"
        ));
    }
    s
}

fn report_without_time() -> String {
    "the report has neither report.updateTimestamp nor metadata.creationTimestamp, so its age \
     is unknown"
        .into()
}

fn unreadable_report(error: &str) -> String {
    format!("could not read this vulnerability report: {error}; it was not counted")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{
        findings_in, findings_with_results, inventory, running_pod, settings_on, table, trivy_json,
        want,
    };
    use crate::evidence::record::evidence_id;

    const DIGEST_A: &str =
        "sha256:3f1c5d0f2a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";

    fn report(
        name: &str,
        server: &str,
        repo: &str,
        tag: &str,
        digest: &str,
        updated: &str,
    ) -> String {
        format!(
            r#"---
apiVersion: aquasecurity.github.io/v1alpha1
kind: VulnerabilityReport
metadata: {{name: {name}, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}}
report:
  registry: {{server: {server}}}
  artifact: {{repository: {repo}, tag: "{tag}", digest: "{digest}"}}
  scanner: {{name: Trivy, vendor: Aqua Security, version: 0.58.1}}
  updateTimestamp: "{updated}"
  summary: {{criticalCount: 1, highCount: 4, mediumCount: 9, lowCount: 2, unknownCount: 0}}
"#
        )
    }

    fn run(yaml: &str, day: &str) -> Vec<Finding> {
        findings_in(&ImagesScanned, &inventory(yaml), &settings_on(day))
    }

    #[test]
    fn scans_match_by_digest_or_name_and_tag_and_must_be_recent() {
        let yaml = [
            // Matched by digest, though the report names another tag.
            running_pod(
                "api-7d9f8b6c5d-a",
                "api-7d9f8b6c5d",
                "app",
                "registry.example.com/shop/api:1.4.2",
                &format!("registry.example.com/shop/api@{DIGEST_A}"),
            ),
            report(
                "replicaset-api-7d9f8b6c5d-app",
                "registry.example.com",
                "shop/api",
                "1.4.1",
                DIGEST_A,
                "2026-11-20T04:12:09Z",
            ),
            // Matched by name and tag; Docker Hub names normalized.
            running_pod(
                "web-8c9d0e1f2-a",
                "web-8c9d0e1f2",
                "app",
                "nginx:1.27.3",
                "docker.io/library/nginx@sha256:0000",
            ),
            report(
                "replicaset-web-8c9d0e1f2-app",
                "index.docker.io",
                "library/nginx",
                "1.27.3",
                "sha256:1111",
                "2026-11-01T00:00:00Z",
            ),
            // A report, but too old.
            running_pod(
                "cart-5f6d7c8b9-a",
                "cart-5f6d7c8b9",
                "app",
                "registry.example.com/shop/cart:2.0",
                "registry.example.com/shop/cart@sha256:2222",
            ),
            report(
                "replicaset-cart-5f6d7c8b9-app",
                "registry.example.com",
                "shop/cart",
                "2.0",
                "sha256:2222",
                "2026-09-30T00:00:00Z",
            ),
            // No report at all.
            running_pod(
                "pay-6a7b8c9d0-a",
                "pay-6a7b8c9d0",
                "app",
                "registry.example.com/shop/pay:3.1",
                "registry.example.com/shop/pay@sha256:3333",
            ),
        ]
        .concat();
        let got = run(&yaml, "2026-11-22");
        let table = table(&got);
        use Status::*;
        assert_eq!(
            table,
            [
                ("Deployment shop/api container app".to_string(), Pass),
                ("Deployment shop/cart container app".to_string(), Fail),
                ("Deployment shop/pay container app".to_string(), Fail),
                ("Deployment shop/web container app".to_string(), Pass),
            ]
        );
        assert_eq!(got[0].details["images"][0]["critical"], 1);
        assert!(got[1].message.contains("53 days"), "{}", got[1].message);
        assert!(
            got[2].message.contains("no dated vulnerability scan"),
            "{}",
            got[2].message
        );
    }

    #[test]
    fn the_age_limit_is_inclusive_and_a_setting() {
        let yaml = [
            running_pod(
                "api-7d9f8b6c5d-a",
                "api-7d9f8b6c5d",
                "app",
                "registry.example.com/shop/api:1.4.2",
                &format!("registry.example.com/shop/api@{DIGEST_A}"),
            ),
            report(
                "r",
                "registry.example.com",
                "shop/api",
                "1.4.2",
                DIGEST_A,
                "2026-10-23T23:59:59Z",
            ),
        ]
        .concat();
        assert_eq!(run(&yaml, "2026-11-22")[0].status, Status::Pass); // 30 days
        assert_eq!(run(&yaml, "2026-11-23")[0].status, Status::Fail); // 31 days
        let mut settings = settings_on("2026-11-23");
        settings.max_scan_age_days = 31;
        let got = findings_in(&ImagesScanned, &inventory(&yaml), &settings);
        assert_eq!(got[0].status, Status::Pass);
    }

    fn run_results(yaml: &str, results: &[(&str, String)], day: &str) -> Vec<Finding> {
        findings_with_results(&ImagesScanned, &inventory(yaml), results, &settings_on(day))
    }

    #[test]
    fn results_scans_count_by_digest_then_tag_at_their_own_time() {
        let pod = |n: &str, image: &str, id: &str| {
            running_pod(&format!("{n}-5d-a"), &format!("{n}-5d"), "app", image, id)
        };
        let yaml = [
            // Matched by digest though the scan names another tag.
            pod("api", "registry.example.com/shop/api:1.4.2", &format!("registry.example.com/shop/api@{DIGEST_A}")),
            // Matched by tag: the runtime reports only an image id.
            pod("web", "nginx:1.27.3", "sha256:9999999999999999999999999999999999999999999999999999999999999999"),
            // The same tag scanned at another digest: does not count.
            pod("cart", "registry.example.com/shop/cart:2.0", "registry.example.com/shop/cart@sha256:2222222222222222222222222222222222222222222222222222222222222222"),
            // Scanned, but the result records no time.
            pod("pay", "registry.example.com/shop/pay:3.1", "registry.example.com/shop/pay@sha256:3333333333333333333333333333333333333333333333333333333333333333"),
            // Scanned too long ago.
            pod("old", "registry.example.com/shop/old:1", "registry.example.com/shop/old@sha256:4444444444444444444444444444444444444444444444444444444444444444"),
        ]
        .concat();
        let crit = [(
            "openssl",
            "3.0.14-1",
            "3.0.15-1",
            "CVE-2024-5535",
            "CRITICAL",
            "2024-06-27T11:15:10Z",
        )];
        let results = [
            (
                "api.json",
                trivy_json(
                    "registry.example.com/shop/api:1.4.1",
                    &format!("registry.example.com/shop/api@{DIGEST_A}"),
                    "2026-11-20T04:12:09Z",
                    &crit,
                ),
            ),
            (
                "web.json",
                trivy_json("nginx:1.27.3", "", "2026-11-21T00:00:00Z", &[]),
            ),
            (
                "cart.json",
                trivy_json(
                    "registry.example.com/shop/cart:2.0",
                    "registry.example.com/shop/cart@sha256:5555555555555555555555555555555555555555555555555555555555555555",
                    "2026-11-21T00:00:00Z",
                    &[],
                ),
            ),
            (
                "pay.json",
                trivy_json("registry.example.com/shop/pay:3.1", "", "", &[]),
            ),
            (
                "old.json",
                trivy_json(
                    "registry.example.com/shop/old:1",
                    "",
                    "2026-09-01T00:00:00Z",
                    &[],
                ),
            ),
        ];
        let got = run_results(&yaml, &results, "2026-11-22");
        use Status::*;
        assert_eq!(
            table(&got),
            want(&[
                ("Deployment shop/api container app", Pass),
                ("Deployment shop/cart container app", Fail),
                ("Deployment shop/old container app", Fail),
                ("Deployment shop/pay container app", Fail),
                ("Deployment shop/web container app", Pass),
            ])
        );
        assert_eq!(got[0].details["images"][0]["critical"], 1);
        assert_eq!(
            got[0].details["images"][0]["scanned_at"],
            "2026-11-20T04:12:09Z"
        );
        assert!(
            got[0].message.contains("Trivy JSON api.json"),
            "{}",
            got[0].message
        );
        assert!(
            got[0]
                .evidence
                .iter()
                .any(|e| e.as_str() == evidence_id("results:test", "api.json"))
        );
        assert!(
            got[1].message.contains("another digest"),
            "{}",
            got[1].message
        );
        assert!(got[2].message.contains("82 days"), "{}", got[2].message);
        assert!(
            got[3].message.contains("records no scan time"),
            "{}",
            got[3].message
        );
    }

    #[test]
    fn the_newest_of_a_report_and_a_result_counts() {
        let yaml = [
            running_pod(
                "api-5d-a",
                "api-5d",
                "app",
                "registry.example.com/shop/api:1.4.2",
                &format!("registry.example.com/shop/api@{DIGEST_A}"),
            ),
            report(
                "r",
                "registry.example.com",
                "shop/api",
                "1.4.2",
                DIGEST_A,
                "2026-09-01T00:00:00Z",
            ),
        ]
        .concat();
        assert_eq!(run(&yaml, "2026-11-22")[0].status, Status::Fail);
        let fresh = [(
            "api.json",
            trivy_json(
                "registry.example.com/shop/api:1.4.2",
                "",
                "2026-11-20T00:00:00Z",
                &[],
            ),
        )];
        assert_eq!(
            run_results(&yaml, &fresh, "2026-11-22")[0].status,
            Status::Pass
        );
    }

    #[test]
    fn results_without_vulnerability_reports_are_enough_to_assess() {
        let yaml = running_pod("a-1-x", "a-1", "app", "x:1", "x@sha256:1");
        let got = run_results(
            &yaml,
            &[("x.json", trivy_json("x:1", "", "2026-11-20T00:00:00Z", &[]))],
            "2026-11-22",
        );
        assert_eq!(got[0].status, Status::Pass, "{}", got[0].message);
    }

    #[test]
    fn without_vulnerability_reports_it_is_not_assessed() {
        let yaml = running_pod("a-1-x", "a-1", "app", "x:1", "x@sha256:1");
        let got = run(&yaml, "2026-11-22");
        assert_eq!(got[0].status, Status::NotAssessed);
        assert!(
            got[0].message.contains("VulnerabilityReport"),
            "{}",
            got[0].message
        );
    }
}
