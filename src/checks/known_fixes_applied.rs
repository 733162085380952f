//! `known-fixes-applied`: fixes the scanners know of are applied within the patch
//! timeframes.
//!
//! Takes the running and deployed images (the running pods' containers with the digest they
//! run, the workload containers of the manifests) and the `--results` scans the facts index;
//! each image's newest scan lists its vulnerabilities. A vulnerability with a fixed version
//! has had its fix available since a date: its `PublishedDate`, else the first scan of the
//! image that reported the fix. One finding per image of each workload container, failing
//! with every fix open longer than the timeframe for its severity (`patch-timeframes-days`)
//! on the as-of date.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::{Check, CheckContext, CheckMeta, PatchTimeframes};
use crate::base::timefmt::rfc3339;
use crate::collect::results::{ImageMatch, RecordKind, ResultRecord};
use crate::evidence::finding::{Finding, Status, Subject};

crate::declare_check! {
    /// ## What it checks
    /// For each image a workload container runs (with the digest its pods report) or
    /// deploys (its manifest's `image:`), the newest scan of it given with `--results`
    /// (Trivy or Grype JSON, SARIF, a CycloneDX or SPDX SBOM with vulnerabilities; matched by
    /// digest, else registry, repository and tag) is read for vulnerabilities that have a
    /// fixed version. Each such fix has been available since the vulnerability's
    /// `PublishedDate`, or, when the scan gives none, since the first scan of the image that
    /// reported the fix. A fix available for longer than the timeframe for its severity on
    /// the as-of date fails, naming the image, package, installed and fixed version, CVE and
    /// days open. The timeframes are the `patch-timeframes-days` setting (defaults: critical
    /// 30, high 30, medium 90, low 180 days; a severity the scanner does not give is held to
    /// the low one) and every finding and narrative states them. A fix with no date at all
    /// warns; an image no scan covers is not assessed (`images-scanned` fails it), and
    /// without any vulnerability scan in `--results` the check is not assessed.
    ///
    /// ## Why it matters
    /// A vulnerability whose fix has been published is one an attacker can look up. Patch
    /// timeframes are what a vulnerability management plan promises and what auditors test
    /// (PCI DSS 6.3.3: critical and high within one month); for containers, applying a fix
    /// means rebuilding the image and redeploying it, so the running image is the proof.
    ///
    /// ## Evidence used
    /// Running Pods (`status.containerStatuses[].imageID`), workload manifests (`image:`)
    /// and the `--results` scans: `Results[].Vulnerabilities[]` (`VulnerabilityID`,
    /// `PkgName`, `InstalledVersion`, `FixedVersion`, `Severity`, `PublishedDate`) and
    /// `CreatedAt` of Trivy JSON, `matches[].vulnerability` (`fix.versions`) and
    /// `descriptor.timestamp` of Grype JSON, and their equivalents in SARIF and SBOMs.
    ///
    /// ## Example
    /// ```yaml
    /// # evidencer.yaml
    /// results: [scans/]
    /// patch-timeframes-days: {critical: 15, high: 30, medium: 90, low: 180}
    /// ```
    ///
    /// ## References
    /// - PCI DSS v4.0 requirement 6.3.3 (critical and high patches within one month)
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.3
    /// - NIST CSF 2.0 PR.PS-02 (software is maintained, replaced and removed)
    pub struct KnownFixesApplied {
        id: "known-fixes-applied",
        title: "Known fixes are applied within the patch timeframes",
        severity: High,
    }
}

/// One fix available to an image, as findings list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct OpenFix {
    package: String,
    installed_version: Option<String>,
    fixed_version: String,
    vulnerability: String,
    severity: String,
    /// When the fix became available (RFC 3339); None when nothing dates it.
    available_since: Option<String>,
    /// `PublishedDate` or `first scan reporting the fix`.
    #[serde(skip_serializing_if = "Option::is_none")]
    dated_by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days_open: Option<i64>,
    timeframe_days: u32,
}

impl OpenFix {
    fn overdue(&self) -> bool {
        self.days_open
            .is_some_and(|d| d > i64::from(self.timeframe_days))
    }
}

/// One image of one workload container, and the evidence that shows it.
struct Judged {
    subject: Subject,
    reference: String,
    image_id: Option<String>,
    evidence: BTreeSet<String>,
}

impl Check for KnownFixesApplied {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        let timeframes = findings
            .iter()
            .find_map(|f| f.details.get("patch_timeframes_days"))?;
        let timeframes: PatchTimeframes = serde_json::from_value(timeframes.clone()).ok()?;
        let judged = findings
            .iter()
            .filter(|f| matches!(f.status, Status::Pass | Status::Fail | Status::Warn))
            .count();
        let late = findings.iter().filter(|f| f.status == Status::Fail).count();
        Some(timeframes_summary(&timeframes, judged, late))
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let timeframes = ctx.settings.patch_timeframes;
        let results = &ctx.facts.results;
        if !results
            .records()
            .iter()
            .any(|r| r.kind == RecordKind::VulnerabilityScan)
        {
            return vec![
                ctx.not_assessed(meta, no_scans(&timeframes))
                    .detail("patch_timeframes_days", json!(timeframes)),
            ];
        }
        let images = images(ctx);
        if images.is_empty() {
            return vec![
                ctx.not_assessed(meta, no_images())
                    .detail("patch_timeframes_days", json!(timeframes)),
            ];
        }
        let mut out = Vec::new();
        for image in images.into_values() {
            let found = results.find(&image.reference, image.image_id.as_deref());
            // Keyed by repository, not tag: a fix still missing after a rebuild under a new
            // tag is the same open finding next quarter.
            let key = crate::evidence::image::ImageRef::parse(&image.reference)
                .map(|r| r.name())
                .unwrap_or_else(|_| image.reference.clone());
            let Some(scan) = current_scan(&found) else {
                out.push(
                    Finding::new(
                        meta.id,
                        meta.severity,
                        Status::NotAssessed,
                        image.subject,
                        not_scanned(&image.reference),
                    )
                    .key(key)
                    .evidence(image.evidence)
                    .detail("patch_timeframes_days", json!(timeframes)),
                );
                continue;
            };
            let fixes = open_fixes(scan, &found, &timeframes, ctx.settings.as_of);
            let overdue: Vec<&OpenFix> = fixes.iter().filter(|f| f.overdue()).collect();
            let undated: Vec<&OpenFix> = fixes.iter().filter(|f| f.days_open.is_none()).collect();
            let (status, message) = if !overdue.is_empty() {
                (
                    Status::Fail,
                    fixes_overdue(&image.reference, scan, &overdue, &timeframes),
                )
            } else if !undated.is_empty() {
                (
                    Status::Warn,
                    fixes_undated(&image.reference, scan, &undated),
                )
            } else {
                (
                    Status::Pass,
                    fixes_in_time(&image.reference, scan, fixes.len(), &timeframes),
                )
            };
            let mut evidence = image.evidence;
            evidence.insert(scan.evidence());
            out.push(
                Finding::new(meta.id, meta.severity, status, image.subject, message)
                    .key(key)
                    .evidence(evidence)
                    .detail("image", json!(image.reference))
                    .detail("scan", json!(scan.file.locator()))
                    .detail("scanned_at", json!(scan.scanned_at.map(rfc3339)))
                    .detail("open_fixes", json!(fixes))
                    .detail("patch_timeframes_days", json!(timeframes)),
            );
        }
        out
    }
}

/// Every image of every workload container, running (with the imageID its pods report) or
/// deployed (as the manifest names it), once per container and image.
fn images(ctx: &CheckContext<'_>) -> BTreeMap<(String, String, String), Judged> {
    let mut out: BTreeMap<(String, String, String), Judged> = BTreeMap::new();
    let mut running_pods = BTreeSet::new();
    for pod in ctx.facts.pods.pods.iter().filter(|p| p.is_running()) {
        running_pods.insert(pod.pod.object.evidence.as_str());
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
            let mut subject = pod.owner_subject();
            subject.container = Some(c.name.clone());
            let image_id = status.and_then(|s| s.image_id.clone());
            let key = (
                subject.source.clone(),
                subject.display_name(),
                format!("{reference}\u{0}{}", image_id.as_deref().unwrap_or("")),
            );
            let entry = out.entry(key).or_insert_with(|| Judged {
                subject,
                reference,
                image_id,
                evidence: BTreeSet::new(),
            });
            entry.evidence.insert(pod.pod.object.evidence.clone());
            if let Some(o) = pod.owner_object {
                entry.evidence.insert(o.evidence.clone());
            }
        }
    }
    // Deployed images that no running pod shows: judged by name and tag.
    let running: HashMap<(String, String), Vec<String>> =
        out.values().fold(HashMap::new(), |mut m, j| {
            m.entry((j.subject.source.clone(), j.subject.display_name()))
                .or_default()
                .push(j.reference.clone());
            m
        });
    for c in ctx.facts.workloads.image_containers() {
        // A running pod is judged above, under its owner.
        if running_pods.contains(c.workload.object.evidence.as_str()) {
            continue;
        }
        let Some(reference) = c.container.image.clone() else {
            continue;
        };
        let subject = c.subject();
        let shown = running
            .get(&(subject.source.clone(), subject.display_name()))
            .is_some_and(|refs| refs.contains(&reference));
        if shown {
            continue;
        }
        let key = (
            subject.source.clone(),
            subject.display_name(),
            format!("{reference}\u{0}"),
        );
        out.entry(key).or_insert_with(|| Judged {
            subject,
            reference,
            image_id: None,
            evidence: BTreeSet::from([c.workload.object.evidence.clone()]),
        });
    }
    out
}

/// The scan an image is judged by: its newest dated vulnerability scan, else the first
/// undated one read.
/// A scan that lists fewer vulnerabilities than it counts (a VulnerabilityReport whose
/// details were left out) cannot say which fixes are missing: it is passed over.
fn current_scan<'a>(found: &ImageMatch<'a>) -> Option<&'a ResultRecord> {
    let complete = || found.records.iter().copied().filter(|r| !r.partial);
    complete().find(|r| r.is_dated_scan()).or_else(|| {
        complete().find(|r| matches!(r.kind, RecordKind::VulnerabilityScan | RecordKind::Sbom))
    })
}

/// The fixes `scan` lists, each dated by its `PublishedDate`, else by the first dated scan
/// of the image that reported the same fix.
fn open_fixes(
    scan: &ResultRecord,
    found: &ImageMatch<'_>,
    timeframes: &PatchTimeframes,
    as_of: DateTime<Utc>,
) -> Vec<OpenFix> {
    let mut first_reported: HashMap<(&str, &str, &str), DateTime<Utc>> = HashMap::new();
    for r in &found.records {
        let Some(at) = r.scanned_at else { continue };
        for v in &r.vulnerabilities {
            let Some(fixed) = v.fixed_version.as_deref() else {
                continue;
            };
            let key = (v.id.as_str(), v.package.as_deref().unwrap_or(""), fixed);
            first_reported
                .entry(key)
                .and_modify(|t| *t = (*t).min(at))
                .or_insert(at);
        }
    }
    let mut out: Vec<OpenFix> = scan
        .vulnerabilities
        .iter()
        .filter_map(|v| {
            let fixed = v
                .fixed_version
                .as_deref()
                .filter(|f| !f.trim().is_empty())?;
            let package = v.package.as_deref().unwrap_or("");
            let since = match v.published {
                Some(t) => Some((t, "PublishedDate")),
                None => first_reported
                    .get(&(v.id.as_str(), package, fixed))
                    .map(|t| (*t, "first scan reporting the fix")),
            };
            Some(OpenFix {
                package: package.to_string(),
                installed_version: v.installed_version.clone(),
                fixed_version: fixed.to_string(),
                vulnerability: v.cve.clone().unwrap_or_else(|| v.id.clone()),
                severity: v.severity.as_str().to_string(),
                available_since: since.map(|(t, _)| rfc3339(t)),
                dated_by: since.map(|(_, by)| by),
                days_open: since.map(|(t, _)| (as_of - t).num_days()),
                timeframe_days: timeframes.for_severity(v.severity),
            })
        })
        .collect();
    // Longest open first; the same fix listed twice (two targets of one scan) once.
    out.sort_by(|a, b| {
        (b.days_open, &a.package, &a.vulnerability).cmp(&(
            a.days_open,
            &b.package,
            &b.vulnerability,
        ))
    });
    out.dedup();
    out
}

// Wording: the sentences this check's findings say.

/// The fixes a message names before it says how many more the details hold.
const SHOWN: usize = 10;

fn scan_named(scan: &ResultRecord) -> String {
    match scan.scanned_at {
        Some(t) => format!("{} of {}", scan.file.locator(), t.format("%Y-%m-%d")),
        None => format!("{} (undated)", scan.file.locator()),
    }
}

fn fix_phrase(f: &OpenFix) -> String {
    format!(
        "{} {} → {} ({}, {})",
        f.package,
        f.installed_version
            .as_deref()
            .unwrap_or("(version unknown)"),
        f.fixed_version,
        f.vulnerability,
        f.severity
    )
}

fn more(total: usize) -> String {
    match total.saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!("; and {n} more (the finding's details list them all)"),
    }
}

fn fixes_overdue(
    image: &str,
    scan: &ResultRecord,
    overdue: &[&OpenFix],
    timeframes: &PatchTimeframes,
) -> String {
    let listed: Vec<String> = overdue
        .iter()
        .take(SHOWN)
        .map(|f| {
            format!(
                "{} fixed {} days ago, more than the {} allowed",
                fix_phrase(f),
                f.days_open.unwrap_or_default(),
                f.timeframe_days
            )
        })
        .collect();
    format!(
        "`{image}` runs {} fix(es) available for longer than the patch timeframe ({}), per \
         the scan {}: {}{}",
        overdue.len(),
        timeframes.describe(),
        scan_named(scan),
        listed.join("; "),
        more(overdue.len())
    )
}

fn fixes_undated(image: &str, scan: &ResultRecord, undated: &[&OpenFix]) -> String {
    let listed: Vec<String> = undated.iter().take(SHOWN).map(|f| fix_phrase(f)).collect();
    format!(
        "`{image}`: {} fix(es) in the scan {} have no PublishedDate and no dated scan reported \
         them, so how long they have been available is unknown: {}{}",
        undated.len(),
        scan_named(scan),
        listed.join("; "),
        more(undated.len())
    )
}

fn fixes_in_time(
    image: &str,
    scan: &ResultRecord,
    open: usize,
    timeframes: &PatchTimeframes,
) -> String {
    match open {
        0 => format!(
            "`{image}`: the scan {} lists no vulnerability with a fix available",
            scan_named(scan)
        ),
        n => format!(
            "`{image}`: the {n} fix(es) the scan {} lists have been available for less than \
             their timeframe ({})",
            scan_named(scan),
            timeframes.describe()
        ),
    }
}

fn not_scanned(image: &str) -> String {
    format!(
        "`{image}` has no scan among the --results (matched by digest, or by registry, \
         repository and tag): which fixes it lacks is not known (images-scanned judges the \
         missing scan)"
    )
}

fn no_scans(timeframes: &PatchTimeframes) -> String {
    format!(
        "no vulnerability scan was given with --results (Trivy or Grype JSON, SARIF, or an \
         SBOM with vulnerabilities): which fixes the images lack, and for how long, is not \
         known; the timeframes that would apply are {}",
        timeframes.describe()
    )
}

fn no_images() -> String {
    "no workload container with an image is in the input: there is nothing to judge the \
     scans against"
        .into()
}

fn timeframes_summary(timeframes: &PatchTimeframes, judged: usize, late: usize) -> String {
    format!(
        "Patch timeframes applied, from a fix being available to the as-of date: {}; {judged} \
         image(s) judged against their newest scan, {late} with a fix available for longer.",
        timeframes.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{
        findings_with_results, inventory, running_pod, settings_on, table, trivy_json, want,
    };

    const DIGEST: &str = "sha256:3f1c5d0f2a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";

    fn api_pod() -> String {
        running_pod(
            "api-5d-a",
            "api-5d",
            "app",
            "registry.example.com/shop/api:1.4.2",
            &format!("registry.example.com/shop/api@{DIGEST}"),
        )
    }

    fn run(yaml: &str, results: &[(&str, String)], day: &str) -> Vec<Finding> {
        findings_with_results(
            &KnownFixesApplied,
            &inventory(yaml),
            results,
            &settings_on(day),
        )
    }

    #[test]
    fn a_fix_open_longer_than_its_severitys_timeframe_fails_naming_it() {
        let scan = trivy_json(
            "registry.example.com/shop/api:1.4.2",
            &format!("registry.example.com/shop/api@{DIGEST}"),
            "2026-11-20T04:00:00Z",
            &[
                // Critical, fix published 31 days before the as-of date: late.
                (
                    "openssl",
                    "3.0.14-1",
                    "3.0.15-1",
                    "CVE-2026-1111",
                    "CRITICAL",
                    "2026-10-22T00:00:00Z",
                ),
                // Medium, 31 days: within 90.
                (
                    "zlib",
                    "1.2.13",
                    "1.2.14",
                    "CVE-2026-2222",
                    "MEDIUM",
                    "2026-10-22T00:00:00Z",
                ),
                // No fix: not counted.
                (
                    "glibc",
                    "2.36-9",
                    "",
                    "CVE-2026-3333",
                    "HIGH",
                    "2026-01-01T00:00:00Z",
                ),
            ],
        );
        let got = run(&api_pod(), &[("api.json", scan)], "2026-11-22");
        assert_eq!(
            table(&got),
            want(&[("Deployment shop/api container app", Status::Fail)])
        );
        let m = &got[0].message;
        for part in [
            "registry.example.com/shop/api:1.4.2",
            "openssl 3.0.14-1 → 3.0.15-1 (CVE-2026-1111, critical) fixed 31 days ago, more than the 30 allowed",
            "critical 30, high 30, medium 90",
        ] {
            assert!(m.contains(part), "{part}: {m}");
        }
        assert!(!m.contains("zlib") && !m.contains("glibc"), "{m}");
        assert_eq!(got[0].details["open_fixes"].as_array().unwrap().len(), 2);
        assert_eq!(got[0].details["patch_timeframes_days"]["medium"], 90);
    }

    #[test]
    fn the_timeframe_is_inclusive_and_a_setting() {
        let scan = trivy_json(
            "registry.example.com/shop/api:1.4.2",
            "",
            "2026-11-20T04:00:00Z",
            &[(
                "openssl",
                "3.0.14-1",
                "3.0.15-1",
                "CVE-2026-1111",
                "HIGH",
                "2026-10-23T00:00:00Z",
            )],
        );
        let results = [("api.json", scan)];
        // 30 days open on 2026-11-22 (until the end of the day): within.
        assert_eq!(
            run(&api_pod(), &results, "2026-11-22")[0].status,
            Status::Pass
        );
        assert_eq!(
            run(&api_pod(), &results, "2026-11-23")[0].status,
            Status::Fail
        );
        let mut settings = settings_on("2026-11-23");
        settings.patch_timeframes.high = 45;
        let got = findings_with_results(
            &KnownFixesApplied,
            &inventory(&api_pod()),
            &results,
            &settings,
        );
        assert_eq!(got[0].status, Status::Pass);
        assert!(got[0].message.contains("high 45"), "{}", got[0].message);
    }

    #[test]
    fn without_a_published_date_the_first_scan_reporting_the_fix_dates_it() {
        let vuln = |_: ()| {
            [(
                "curl",
                "7.88.1-10",
                "7.88.1-10+deb12u8",
                "CVE-2026-4444",
                "HIGH",
                "",
            )]
        };
        let first = trivy_json(
            "registry.example.com/shop/api:1.4.2",
            "",
            "2026-09-01T00:00:00Z",
            &vuln(()),
        );
        let newest = trivy_json(
            "registry.example.com/shop/api:1.4.2",
            "",
            "2026-11-20T00:00:00Z",
            &vuln(()),
        );
        let got = run(
            &api_pod(),
            &[("a.json", first), ("b.json", newest.clone())],
            "2026-11-22",
        );
        assert_eq!(got[0].status, Status::Fail, "{}", got[0].message);
        assert_eq!(
            got[0].details["open_fixes"][0]["dated_by"],
            "first scan reporting the fix"
        );
        assert_eq!(got[0].details["open_fixes"][0]["days_open"], 82);
        // One scan alone dates the fix at that scan: 2 days.
        let got = run(&api_pod(), &[("b.json", newest)], "2026-11-22");
        assert_eq!(got[0].status, Status::Pass, "{}", got[0].message);
        // An undated scan without PublishedDate dates nothing: warn.
        let undated = trivy_json("registry.example.com/shop/api:1.4.2", "", "", &vuln(()));
        let got = run(&api_pod(), &[("u.json", undated)], "2026-11-22");
        assert_eq!(got[0].status, Status::Warn, "{}", got[0].message);
    }

    #[test]
    fn an_image_no_scan_covers_is_not_assessed_and_a_scan_of_an_image_nobody_runs_is_ignored() {
        let other = trivy_json(
            "registry.example.com/shop/batch:9",
            "",
            "2026-11-20T00:00:00Z",
            &[(
                "openssl",
                "1",
                "2",
                "CVE-2020-1",
                "CRITICAL",
                "2020-01-01T00:00:00Z",
            )],
        );
        let got = run(&api_pod(), &[("batch.json", other)], "2026-11-22");
        assert_eq!(
            table(&got),
            want(&[("Deployment shop/api container app", Status::NotAssessed)])
        );
        assert!(got[0].message.contains("has no scan"), "{}", got[0].message);
    }

    #[test]
    fn without_scan_results_it_is_not_assessed_and_says_the_timeframes() {
        let got = run(&api_pod(), &[], "2026-11-22");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Status::NotAssessed);
        assert!(got[0].message.contains("--results"), "{}", got[0].message);
        assert!(got[0].message.contains("critical 30"), "{}", got[0].message);
    }

    #[test]
    fn a_deployed_image_without_pods_is_judged_by_its_tag() {
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: \"nginx:1.27.3\"}]\n";
        let scan = trivy_json(
            "nginx:1.27.3",
            "",
            "2026-11-20T00:00:00Z",
            &[(
                "libxml2",
                "2.9.14",
                "2.9.14+dfsg-1.3~deb12u2",
                "CVE-2025-1",
                "LOW",
                "2025-01-01T00:00:00Z",
            )],
        );
        let got = run(yaml, &[("web.json", scan)], "2026-11-22");
        assert_eq!(
            table(&got),
            want(&[("Deployment shop/web container web", Status::Fail)])
        );
        assert!(
            got[0].message.contains("more than the 180 allowed"),
            "{}",
            got[0].message
        );
    }

    #[test]
    fn a_finding_is_keyed_by_repository_so_a_rebuild_under_a_new_tag_keeps_its_id() {
        let scan = |tag: &str| {
            trivy_json(
                &format!("registry.example.com/shop/api:{tag}"),
                "",
                "2026-11-20T00:00:00Z",
                &[(
                    "openssl",
                    "1",
                    "2",
                    "CVE-2026-1111",
                    "CRITICAL",
                    "2026-01-01T00:00:00Z",
                )],
            )
        };
        let pod = |tag: &str| {
            running_pod(
                "api-5d-a",
                "api-5d",
                "app",
                &format!("registry.example.com/shop/api:{tag}"),
                "sha256:1111111111111111111111111111111111111111111111111111111111111111",
            )
        };
        let a = run(&pod("1.4.2"), &[("a.json", scan("1.4.2"))], "2026-11-22");
        let b = run(&pod("1.4.3"), &[("b.json", scan("1.4.3"))], "2026-11-22");
        assert_eq!(a[0].key, "registry.example.com/shop/api");
        assert_eq!(a[0].key, b[0].key);
    }

    #[test]
    fn the_summary_states_the_timeframes() {
        let got = run(
            &api_pod(),
            &[(
                "x.json",
                trivy_json(
                    "registry.example.com/shop/api:1.4.2",
                    "",
                    "2026-11-20T00:00:00Z",
                    &[],
                ),
            )],
            "2026-11-22",
        );
        let refs: Vec<&Finding> = got.iter().collect();
        let s = KnownFixesApplied.summary(&refs).unwrap();
        assert!(
            s.contains("critical 30, high 30, medium 90, low (and unknown) 180 days"),
            "{s}"
        );
        assert!(s.contains("1 image(s) judged"), "{s}");
    }
}
