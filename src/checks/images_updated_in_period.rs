//! `images-updated-in-period`: every workload's images were changed during the audit
//! period, or are recent enough that no change was due.
//!
//! Joins the workloads of a repository's period-end tree with its history: a container's
//! image is the sum of the places that set it (the container's `image:` in its manifest,
//! and the kustomizations' `images:` entries that override it), and Helm values and Flux
//! HelmRelease values are judged per image key, since they are not rendered.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::base::phrase::days;
use crate::evidence::finding::{Finding, Status, Subject};
use crate::evidence::history::Owner;
use crate::evidence::history::{History, Introduced, SlotHistory};
use crate::evidence::image::{self, ImageRef};
use crate::facts::workloads::{ContainerRef, Workload};

crate::declare_check! {
    /// ## What it checks
    /// Each workload container in the analysed repositories' manifests at the period end had
    /// its image changed at least once during the audit period, or runs an image younger
    /// than `max-image-age-days` (default 90) at the period end. A container's image is set
    /// by its manifest's `image:` and by the kustomizations' `images:` entries that apply
    /// to it (the one that rendered it, and any in a directory above the manifest); the
    /// latest change of any of them dates the image. Helm values files (`values*.yaml`) and
    /// Flux HelmRelease `spec.values` are judged per image key (`image`, `worker.image`...),
    /// since they are not rendered. Each finding gives the number of image changes in the
    /// period, the longest stretch of the period without one (from the period start, between
    /// changes, to the period end), and the image's age at the period end, found by walking
    /// back from the period start to the commit that introduced it. An image whose history
    /// is cut (a shallow clone) before that commit warns when it cannot be shown to be
    /// young enough.
    ///
    /// ## Why it matters
    /// Replacing containers only helps when the images are rebuilt: an image nobody changed
    /// for months carries every vulnerability published since it was built. A change in the
    /// period is evidence that patched images were redeployed (PCI container guidance 10.3;
    /// NIST CSF PR.PS-02 update cadence).
    ///
    /// ## Evidence used
    /// The Git history of each `--repo` over the period (effective commit times; first parents
    /// unless `--all-parents`), the workload manifests, kustomizations, Helm values files
    /// and HelmReleases of the period end's tree.
    ///
    /// ## Example
    /// ```yaml
    /// # overlays/prod/kustomization.yaml, changed on 2026-08-12 in the period: passes
    /// images:
    ///   - name: ghcr.io/acme/api
    ///     newTag: "1.4.2"
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242 and related question 4 (patch timeframes)
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.3
    pub struct ImagesUpdatedInPeriod {
        id: "images-updated-in-period",
        title: "Images were updated during the period",
        severity: Medium,
    }
}

impl Check for ImagesUpdatedInPeriod {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn summary(&self, findings: &[&Finding]) -> Option<String> {
        let judged: Vec<u64> = findings
            .iter()
            .filter_map(|f| f.details.get("changes_in_period").and_then(|n| n.as_u64()))
            .collect();
        let changes: u64 = judged.iter().sum();
        let changed = judged.iter().filter(|n| **n > 0).count();
        Some(replacements_summary(
            changes as usize,
            judged.len(),
            changed,
        ))
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if ctx.inventory.history.is_empty() {
            return vec![ctx.not_assessed(meta, no_repository_history())];
        }
        let max_days = i64::from(ctx.settings.max_image_age_days);
        let mut out = Vec::new();
        for history in &ctx.inventory.history {
            let mut judged = Vec::new();
            for w in ctx
                .facts
                .workloads
                .assessed
                .iter()
                .filter(|w| w.object.source == history.source)
            {
                for c in w.containers() {
                    let slots = container_slots(history, w, &c);
                    if slots.is_empty() {
                        continue;
                    }
                    let mut subject = c.subject();
                    subject.container = Some(c.container.name.clone());
                    let mut evidence = vec![w.object.evidence.clone()];
                    evidence.extend(file_evidence(ctx, history, &slots));
                    let image = c.container.image.clone().unwrap_or_default();
                    judged.push((subject, image, slots, evidence));
                }
            }
            for s in history
                .slots
                .iter()
                .filter(|s| matches!(s.owner, Owner::Values { .. } | Owner::HelmRelease { .. }))
            {
                let evidence = file_evidence(ctx, history, &[s]);
                judged.push((
                    values_subject(history, s),
                    s.image.clone(),
                    vec![s],
                    evidence,
                ));
            }
            for (subject, image, slots, evidence) in judged {
                out.push(judge(
                    meta, history, max_days, subject, image, &slots, evidence,
                ));
            }
        }
        if out.is_empty() {
            return vec![ctx.not_assessed(meta, no_images_in_history())];
        }
        out
    }
}

/// The slots that set a container's image: its own `image:` line, and the kustomize
/// `images:` entries that apply to it.
fn container_slots<'h>(
    history: &'h History,
    w: &Workload<'_>,
    c: &ContainerRef<'_>,
) -> Vec<&'h SlotHistory> {
    let Some(path) = w.object.origin.path.as_deref() else {
        return Vec::new();
    };
    let own: Option<&SlotHistory> = history.slots.iter().find(|s| {
        s.path == path
            && matches!(&s.owner, Owner::Container { kind, name, container, .. }
                if *kind == w.object.kind && *name == w.object.meta.name && *container == c.container.name)
    });
    let Some(own) = own else {
        return Vec::new();
    };
    let written = image_name(&own.image);
    let via_dir = w.object.origin.via.as_deref().map(parent);
    let mut out = vec![own];
    out.extend(history.slots.iter().filter(|s| match &s.owner {
        Owner::Kustomize { dir, name } => {
            let applies = via_dir.as_deref() == Some(dir.as_str())
                || dir == "."
                || path.starts_with(&format!("{dir}/"));
            applies && image_name(name) == written
        }
        _ => false,
    }));
    out
}

/// The image name without tag or digest, as kustomize matches `images:` entries: normalised
/// when the reference parses, else as written.
fn image_name(image: &str) -> String {
    ImageRef::parse(image)
        .map(|r| r.name())
        .unwrap_or_else(|_| image::split(image).name.to_string())
}

fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => path[..i].to_string(),
        None => ".".to_string(),
    }
}

fn values_subject(history: &History, s: &SlotHistory) -> Subject {
    let (kind, namespace, name) = match &s.owner {
        Owner::Values { chart, key } => ("Helm values", None, format!("{chart} {key}")),
        Owner::HelmRelease {
            namespace,
            name,
            key,
        } => (
            "HelmRelease",
            namespace.clone(),
            format!("{name} values {key}"),
        ),
        _ => unreachable!("only values slots"),
    };
    Subject {
        kind: kind.into(),
        namespace,
        name,
        source: history.source.clone(),
        path: Some(s.path.clone()),
        line: Some(s.line),
        ..Subject::default()
    }
}

/// Evidence ids of the files (at the period end) the slots are written in.
fn file_evidence(ctx: &CheckContext<'_>, history: &History, slots: &[&SlotHistory]) -> Vec<String> {
    let mut ids: Vec<String> = ctx
        .inventory
        .files
        .iter()
        .filter(|f| f.source == history.source && !f.earlier)
        .filter(|f| slots.iter().any(|s| s.path == f.path))
        .map(|f| f.evidence.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn judge(
    meta: &CheckMeta,
    history: &History,
    max_days: i64,
    subject: Subject,
    image: String,
    slots: &[&SlotHistory],
    evidence: Vec<String>,
) -> Finding {
    let mut times: Vec<DateTime<Utc>> = slots
        .iter()
        .flat_map(|s| s.changes.iter().copied())
        .collect();
    times.sort();
    let gap = longest_gap(history.period_start, history.period_end, &times);
    // The image in use was put there by the latest of the changes that set it.
    let introduced: Option<&Introduced> = if slots.iter().any(|s| s.introduced.is_none()) {
        None
    } else {
        slots
            .iter()
            .filter_map(|s| s.introduced.as_ref())
            .max_by_key(|i| i.time())
    };
    let age = introduced.map(|i| (history.period_end - i.time()).num_days());
    let cut = matches!(introduced, Some(Introduced::AtOrBefore { .. }));
    let cadence = ImageCadence {
        image: image.clone(),
        changes: times.len(),
        longest_gap_days: gap,
        age_days: age,
        introduced: introduced.map(|i| i.commit().chars().take(12).collect()),
        age_is_minimum: cut,
        max_days,
    };
    let status = if !times.is_empty() || age.is_some_and(|a| a <= max_days && !cut) {
        Status::Pass
    } else if age.is_some_and(|a| a > max_days) {
        Status::Fail
    } else {
        // Not dated, or dated only as "at or before" a cut that is within the limit.
        Status::Warn
    };
    let mut f = Finding::new(
        meta.id,
        meta.severity,
        status,
        subject,
        image_cadence(&cadence),
    )
    .evidence(evidence)
    .detail("image", image)
    .detail("changes_in_period", times.len())
    .detail("longest_gap_days", gap)
    .detail("max_image_age_days", max_days)
    .detail(
        "set_by",
        slots
            .iter()
            .map(|s| format!("{}:{}", s.path, s.line))
            .collect::<Vec<_>>(),
    );
    if let Some(a) = age {
        f = f.detail("image_age_days", a);
    }
    if let Some(i) = introduced {
        f = f.detail("introduced", json!(i));
    }
    f
}

/// The longest stretch of the period without a change, in whole days: from the start to
/// the first change, between changes, and from the last change to the end.
fn longest_gap(start: DateTime<Utc>, end: DateTime<Utc>, times: &[DateTime<Utc>]) -> i64 {
    let mut points = vec![start];
    points.extend(times.iter().copied().filter(|t| *t >= start && *t <= end));
    points.push(end);
    points
        .windows(2)
        .map(|w| (w[1] - w[0]).num_days())
        .max()
        .unwrap_or(0)
}

// Wording: the sentences this check's findings say.

fn no_repository_history() -> String {
    "no Git history was read: pass --repo with the deployment repository and a --period".into()
}

fn no_images_in_history() -> String {
    "the repositories' manifests, kustomizations and Helm values at the period end name no \
     container image"
        .into()
}

/// A workload container's (or values key's) image over the period, as findings report it.
struct ImageCadence {
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

fn image_cadence(c: &ImageCadence) -> String {
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

/// `images-updated-in-period`: the image replacements of the period.
fn replacements_summary(changes: usize, subjects: usize, changed: usize) -> String {
    format!(
        "{changes} image replacement(s) in the period's history; {changed} of {subjects} image(s) \
         in use at the period end changed in the period."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::timefmt::parse_as_of;
    use crate::checks::CheckSettings;
    use crate::checks::test_support::findings_in;
    use crate::collect::snapshot;
    use crate::evidence::history::History;

    #[test]
    fn an_image_that_does_not_parse_is_named_without_its_tag_only() {
        // Kustomize matches `images:` entries on the name as written; a registry port is
        // part of it even when the tag is a placeholder the parser refuses.
        assert_eq!(
            image_name("registry.local:5000/app:${TAG}"),
            "registry.local:5000/app"
        );
        assert_eq!(image_name("nginx:1.27"), "docker.io/library/nginx");
    }

    fn t(s: &str) -> DateTime<Utc> {
        parse_as_of(s).unwrap()
    }

    fn slot(
        path: &str,
        owner: Owner,
        image: &str,
        changes: &[&str],
        introduced: Option<&str>,
    ) -> SlotHistory {
        SlotHistory {
            path: path.into(),
            owner,
            image: image.into(),
            line: 1,
            changes: changes.iter().map(|c| t(c)).collect(),
            introduced: introduced.map(|i| Introduced::At {
                commit: "0123456789abcdef".into(),
                time: crate::base::timefmt::rfc3339(t(i)),
            }),
        }
    }

    fn container(name: &str) -> Owner {
        Owner::Container {
            kind: "Deployment".into(),
            namespace: None,
            name: name.into(),
            container: "app".into(),
        }
    }

    const DEPLOYS: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n\
        spec: {template: {spec: {containers: [{name: app, image: ghcr.io/acme/api:1.4.2}]}}}\n---\n\
        apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: old, namespace: shop}\n\
        spec: {template: {spec: {containers: [{name: app, image: ghcr.io/acme/old:0.9}]}}}\n---\n\
        apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: young, namespace: shop}\n\
        spec: {template: {spec: {containers: [{name: app, image: ghcr.io/acme/young:2.0}]}}}\n";

    #[test]
    fn changed_or_young_images_pass_old_ones_fail() {
        let mut inventory = snapshot::from_text("apps.yaml", DEPLOYS);
        let source = inventory.sources[0].id.clone();
        for o in &mut inventory.objects {
            o.origin.path = Some("apps.yaml".into());
        }
        inventory.history.push(History {
            source,
            period_start: t("2026-07-01T00:00:00Z"),
            period_end: t("2026-09-30T23:59:59Z"),
            slots: vec![
                slot(
                    "apps.yaml",
                    container("api"),
                    "ghcr.io/acme/api:1.4.2",
                    &["2026-07-10T00:00:00Z", "2026-09-01T00:00:00Z"],
                    Some("2026-09-01T00:00:00Z"),
                ),
                slot(
                    "apps.yaml",
                    container("old"),
                    "ghcr.io/acme/old:0.9",
                    &[],
                    Some("2025-12-01T00:00:00Z"),
                ),
                slot(
                    "apps.yaml",
                    container("young"),
                    "ghcr.io/acme/young:2.0",
                    &[],
                    Some("2026-06-20T00:00:00Z"),
                ),
                slot(
                    "charts/x/values.yaml",
                    Owner::Values {
                        chart: "charts/x".into(),
                        key: "image".into(),
                    },
                    "x:1",
                    &[],
                    None,
                ),
            ],
            ..History::default()
        });
        // A quarter is 92 days: an image unchanged in it is at least that old at its end.
        let settings = CheckSettings {
            max_image_age_days: 120,
            ..CheckSettings::default()
        };
        let got: Vec<(String, Status, serde_json::Value)> =
            findings_in(&ImagesUpdatedInPeriod, &inventory, &settings)
                .into_iter()
                .map(|f| {
                    (
                        f.subject.display_name(),
                        f.status,
                        f.details.get("longest_gap_days").cloned().unwrap(),
                    )
                })
                .collect();
        assert_eq!(
            got,
            [
                (
                    "Deployment shop/api container app".to_string(),
                    Status::Pass,
                    json!(53)
                ),
                (
                    "Deployment shop/old container app".to_string(),
                    Status::Fail,
                    json!(91)
                ),
                (
                    "Deployment shop/young container app".to_string(),
                    Status::Pass,
                    json!(91)
                ),
                (
                    "Helm values charts/x image".to_string(),
                    Status::Warn,
                    json!(91)
                ),
            ]
        );
    }

    #[test]
    fn without_history_it_is_not_assessed() {
        let inventory = snapshot::from_text("apps.yaml", DEPLOYS);
        let f = findings_in(
            &ImagesUpdatedInPeriod,
            &inventory,
            &CheckSettings::default(),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::NotAssessed);
    }
}
