//! `images-updated-in-period`: the images in use at the period end are younger than the
//! patch timeframe, dated by their last patch (a retag, move or rename is none).
//!
//! Joins the workloads of a repository's period-end tree with its history, telling patches
//! from retags, moves and renames by the timeline rows' old and new references: a container's
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
use crate::evidence::history::{History, ImageChange, Introduced, Renamed, SlotHistory};
use crate::evidence::image::{self, ImageRef};
use crate::facts::workloads::{ContainerRef, Workload};

crate::declare_check! {
    /// ## What it checks
    /// Each workload container in the analysed repositories' manifests at the period end runs
    /// an image younger than `max-image-age-days` (default 90, the patch timeframe) at the
    /// period end, dated by the last change that was a patch. A retag (the same digest under
    /// another tag) and a move (only the registry or path changed: the same repository name
    /// and tag, or the same digest) are no patch: the same build keeps running, so they are
    /// named in the finding, do not count as changes, and do not reset the age (the build is
    /// then at least as old as the period start). A workload renamed in its file, a file
    /// moved (git's rename detection) or the same image moved to another file by one commit
    /// is no change at all: the history collector follows the slot across it, and the
    /// finding names the rename. A container's image is set
    /// by its manifest's `image:` and by the kustomizations' `images:` entries that apply
    /// to it (the one that rendered it, and any in a directory above the manifest); the
    /// latest change of any of them dates the image. Helm values files (`values*.yaml`,
    /// `*.values.yaml`, `*-values.yaml`) and Flux HelmRelease `spec.values` are judged per
    /// image key (`image`, `worker.image`, `redis` for `redis.repository` + `redis.tag`...),
    /// since they are not rendered; a key with no tag or digest says the chart's default
    /// applies. Each finding gives the number of image changes in the
    /// period, the longest stretch of the period without one (from the period start, between
    /// changes, to the period end), and the image's age at the period end, found by walking
    /// back from the period start to the commit that introduced it. An image whose history
    /// is cut (a shallow clone) before that commit warns when it cannot be shown to be
    /// young enough.
    ///
    /// ## Why it matters
    /// Replacing containers only helps when the images are rebuilt: an image nobody changed
    /// for months carries every vulnerability published since it was built. A new image in
    /// the period is evidence that patched images were redeployed (PCI container guidance
    /// 10.3; NIST CSF PR.PS-02 update cadence); a new name for the same build is not. Not
    /// measured: when an image was built or released in its registry (no registry is
    /// queried), the time from a change in Git to the pods' redeploy, and when fixes for an
    /// image's vulnerabilities were published.
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
        let not_patches: usize = findings
            .iter()
            .filter_map(|f| f.details.get("not_patches").and_then(|n| n.as_array()))
            .map(Vec::len)
            .sum();
        let max_days = findings
            .iter()
            .find_map(|f| f.details.get("max_image_age_days").and_then(|n| n.as_i64()))?;
        Some(replacements_summary(
            changes as usize,
            judged.len(),
            changed,
            not_patches,
            max_days,
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
                .with_images()
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
    let mut times: Vec<DateTime<Utc>> = Vec::new();
    let mut not_patches: Vec<Classified<'_>> = Vec::new();
    for s in slots {
        let classified = slot_changes(history, s);
        if classified.len() == s.changes.len() {
            // Only patches count as changes of the image: a retag, a move or a rename
            // leaves the same build running, so it neither counts nor resets its age.
            for c in classified {
                if c.kind == ChangeKind::Patch {
                    times.push(c.time);
                } else {
                    not_patches.push(c);
                }
            }
        } else {
            // Timeline rows not found for every change: each counts, as it cannot be shown
            // to be the same build.
            times.extend(s.changes.iter().copied());
        }
    }
    times.sort();
    not_patches.sort_by_key(|c| c.time);
    let gap = longest_gap(history.period_start, history.period_end, &times);
    // The image in use was put there by the latest of the patches that set it; a slot whose
    // last change of the period was no patch ran the same build since before that change.
    let dated: Vec<Option<Introduced>> = slots.iter().map(|s| dated_by_patch(history, s)).collect();
    let introduced: Option<Introduced> = if dated.iter().any(Option::is_none) {
        None
    } else {
        dated.into_iter().flatten().max_by_key(|i| i.time())
    };
    let introduced = introduced.as_ref();
    let age = introduced.map(|i| (history.period_end - i.time()).num_days());
    let cut = matches!(introduced, Some(Introduced::AtOrBefore { .. }));
    // At or before a point because the period changed the reference only by retags, moves
    // or renames, not because the history is cut.
    let unpatched = cut && times.is_empty() && !not_patches.is_empty();
    let cadence = ImageCadence {
        image: image.clone(),
        changes: times.len(),
        longest_gap_days: gap,
        age_days: age,
        introduced: introduced.map(|i| i.commit().chars().take(12).collect()),
        age_is_minimum: cut,
        unpatched,
        max_days,
        not_patches: not_patches
            .iter()
            .map(|c| not_a_patch(c.kind, c.change))
            .collect(),
        chart_default: slots.iter().any(|s| chart_default(s)),
        renamed: slots
            .iter()
            .flat_map(|s| s.renamed.iter().map(move |r| renamed_from(s, r)))
            .collect(),
    };
    // Judged by the age of the image in use at the period end against the timeframe.
    let status = if age.is_some_and(|a| a <= max_days && !cut) {
        Status::Pass
    } else if age.is_some_and(|a| a > max_days) {
        Status::Fail
    } else {
        // Not dated, or dated only as "at or before" a point within the limit.
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
    let renamed: Vec<serde_json::Value> = slots
        .iter()
        .flat_map(|s| s.renamed.iter())
        .map(|r| {
            json!({
                "commit": r.commit,
                "time": r.time,
                "from": r.from.describe(),
                "from_path": r.from_path,
            })
        })
        .collect();
    if !renamed.is_empty() {
        f = f.detail("renamed", renamed);
    }
    if !not_patches.is_empty() {
        f = f.detail(
            "not_patches",
            not_patches
                .iter()
                .map(|c| {
                    json!({
                        "kind": c.kind.as_str(),
                        "commit": c.change.commit,
                        "time": c.change.time,
                        "old_image": c.change.old_image,
                        "new_image": c.change.new_image,
                    })
                })
                .collect::<Vec<_>>(),
        );
    }
    f
}

/// What one change of an image reference did to the image that runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChangeKind {
    /// Another image (or one that cannot be shown to be the same build): a patch.
    Patch,
    /// The same digest under another tag.
    Retag,
    /// Only the registry or the path changed: the same repository name and tag (or digest).
    Move,
    /// The same image removed elsewhere by the same commit: a workload moved to another
    /// file, where the file did not move (renames the collector follows make no row).
    Rename,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Patch => "patch",
            ChangeKind::Retag => "retag",
            ChangeKind::Move => "move",
            ChangeKind::Rename => "rename",
        }
    }
}

/// A change of a slot in the period, with what it did.
#[derive(Clone, Debug)]
struct Classified<'h> {
    time: DateTime<Utc>,
    kind: ChangeKind,
    change: &'h ImageChange,
}

/// The timeline rows of one slot, oldest first, each classified. A slot's rows are those of
/// its file whose subject is its owner (values keys name the changed sub-key, `image.tag`).
fn slot_changes<'h>(history: &'h History, slot: &SlotHistory) -> Vec<Classified<'h>> {
    // The slot under each name it had: a rename carries its history.
    let names: Vec<(&str, &Owner)> = std::iter::once((slot.path.as_str(), &slot.owner))
        .chain(slot.renamed.iter().map(|r| (r.from_path.as_str(), &r.from)))
        .collect();
    let is_slot = |c: &ImageChange| {
        names.iter().any(|(path, owner)| {
            let owner_name = owner.describe();
            c.path == *path
                && (c.subject == owner_name
                    || matches!(owner, Owner::Values { .. } | Owner::HelmRelease { .. })
                        && c.subject.starts_with(&format!("{owner_name}.")))
        })
    };
    let mut rows: Vec<&ImageChange> = history.changes.iter().filter(|c| is_slot(c)).collect();
    rows.sort_by(|a, b| a.time.cmp(&b.time));
    rows.into_iter()
        .filter_map(|c| {
            let time = DateTime::parse_from_rfc3339(&c.time)
                .ok()?
                .with_timezone(&Utc);
            Some(Classified {
                time,
                kind: classify(c, &history.changes),
                change: c,
            })
        })
        .collect()
}

/// What a change did: a reference changed in place is compared with the one before; a
/// reference added by the commit that removed another naming the same image (a workload
/// moved to another file; renames in a file and moved files are followed by the collector and
/// make no row) is a [`ChangeKind::Rename`].
fn classify(change: &ImageChange, all: &[ImageChange]) -> ChangeKind {
    match (&change.old_image, &change.new_image) {
        (Some(old), Some(new)) => compare_references(old, new),
        (None, Some(new)) => {
            let moved_here = all.iter().any(|c| {
                c.commit == change.commit
                    && c.new_image.is_none()
                    && c.old_image.as_deref().is_some_and(|old| {
                        old == new || compare_references(old, new) != ChangeKind::Patch
                    })
            });
            if moved_here {
                ChangeKind::Rename
            } else {
                ChangeKind::Patch
            }
        }
        _ => ChangeKind::Patch,
    }
}

/// Two references to the same build: the same digest (a retag under the same name, a move
/// under another), or, without digests, the same repository name and tag under another
/// registry or path (a move). Anything else may be another build, so it counts as a patch.
fn compare_references(old: &str, new: &str) -> ChangeKind {
    let (Ok(o), Ok(n)) = (ImageRef::parse(old), ImageRef::parse(new)) else {
        return ChangeKind::Patch;
    };
    let repository = |r: &ImageRef| r.path.rsplit('/').next().unwrap_or_default().to_string();
    match (&o.digest, &n.digest) {
        (Some(a), Some(b)) if a == b => {
            if o.name() == n.name() {
                ChangeKind::Retag
            } else {
                ChangeKind::Move
            }
        }
        (None, None) if o.tag.is_some() && o.tag == n.tag && repository(&o) == repository(&n) => {
            ChangeKind::Move
        }
        _ => ChangeKind::Patch,
    }
}

/// When the image a slot names at the period end was last patched: its last change of the
/// period that was a patch; else, when the period changed it only by retags, moves or
/// renames, at or before the first of them (its build ran already); else what the walk
/// back from the period start found.
fn dated_by_patch(history: &History, slot: &SlotHistory) -> Option<Introduced> {
    let classified = slot_changes(history, slot);
    if classified.is_empty() || classified.len() != slot.changes.len() {
        return slot.introduced.clone();
    }
    if let Some(last) = classified.last()
        && last.kind == ChangeKind::Patch
    {
        return slot.introduced.clone();
    }
    if let Some(patch) = classified
        .iter()
        .rev()
        .find(|c| c.kind == ChangeKind::Patch)
    {
        // A patch, then only retags, moves or renames: dated by that patch.
        return Some(Introduced::At {
            commit: patch.change.commit.clone(),
            time: patch.change.time.clone(),
        });
    }
    let first = &classified[0];
    // The reference before the first change was in place at the period start, unless the
    // first change added it (a rename: the old owner's history is not followed).
    let (commit, time) = if first.change.old_image.is_some() {
        (
            first.change.commit.clone(),
            crate::base::timefmt::rfc3339(history.period_start),
        )
    } else {
        (first.change.commit.clone(), first.change.time.clone())
    };
    Some(Introduced::AtOrBefore { commit, time })
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
    /// The age is a minimum because the period changed the reference only by retags,
    /// moves or renames.
    pub unpatched: bool,
    pub max_days: i64,
    /// The changes of the period that were no patch, as sentences.
    pub not_patches: Vec<String>,
    /// A values key names a repository with no tag or digest: the chart's default applies.
    pub chart_default: bool,
    /// The renames the slots went through, as sentences.
    pub renamed: Vec<String>,
}

/// `renamed from Deployment shop/demo-api container api (in apps/api.yaml) in commit C
/// (date)`: the file is named when it was another.
fn renamed_from(s: &SlotHistory, r: &Renamed) -> String {
    let mut from = r.from.describe();
    if r.from_path != s.path {
        let _ = write!(from, " in {}", r.from_path);
    }
    let commit: String = r.commit.chars().take(12).collect();
    let date = r.time.get(..10).unwrap_or(&r.time);
    format!("renamed from {from} in commit {commit} ({date})")
}

/// A Helm values or HelmRelease image key that gives no tag or digest: which image runs
/// depends on the chart's default tag, which is not read (charts are not rendered).
fn chart_default(s: &SlotHistory) -> bool {
    let parts = image::split(&s.image);
    matches!(s.owner, Owner::Values { .. } | Owner::HelmRelease { .. })
        && parts.tag.is_none()
        && parts.digest.is_none()
}

fn image_cadence(c: &ImageCadence) -> String {
    let mut s = if c.changes > 0 {
        format!(
            "the image changed {} time(s) in the period (longest stretch without a change: {})",
            c.changes,
            days(c.longest_gap_days)
        )
    } else if c.not_patches.is_empty() {
        "the image did not change in the period".to_string()
    } else {
        "no change of the period patched the image".to_string()
    };
    for n in &c.not_patches {
        let _ = write!(s, "; {n}");
    }
    if !c.renamed.is_empty() {
        let _ = write!(
            s,
            "; it was {}: a rename is no image change, and the history goes on across it",
            c.renamed.join(", ")
        );
    }
    if c.chart_default {
        let _ = write!(
            s,
            "; `{}`: no tag or digest is given: the chart's default applies (not read, as \
             charts are not rendered), so a chart upgrade may change the image unseen",
            c.image
        );
    }
    match (c.age_days, &c.introduced) {
        (Some(age), Some(_)) if c.unpatched => {
            let _ = write!(
                s,
                "; `{}` has run the same build for at least {} at the period end",
                c.image,
                days(age)
            );
            if age > c.max_days {
                let _ = write!(
                    s,
                    ", more than the {} allowed: rebuild and redeploy it",
                    days(c.max_days)
                );
            } else {
                let _ = write!(
                    s,
                    ": it cannot be shown to be within the {} allowed, since its own build \
                     date is not in the history read",
                    days(c.max_days)
                );
            }
        }
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

/// One change of the period that was no patch.
fn not_a_patch(kind: ChangeKind, change: &ImageChange) -> String {
    let what = match kind {
        ChangeKind::Retag => "a retag (the same digest under another tag)",
        ChangeKind::Move => "a move (only the registry or path changed)",
        ChangeKind::Rename => {
            "a move to another file (the same commit removed the same image elsewhere)"
        }
        ChangeKind::Patch => "a patch",
    };
    let commit: String = change.commit.chars().take(12).collect();
    let date = change.time.get(..10).unwrap_or(&change.time);
    let reference = match (&change.old_image, &change.new_image) {
        (Some(o), Some(n)) => format!("`{o}` to `{n}`"),
        (_, Some(n)) => format!("`{n}`"),
        (Some(o), None) => format!("`{o}`"),
        (None, None) => String::new(),
    };
    format!(
        "commit {commit} ({date}) changed {reference}: {what}, not a patch, so it does not \
         reset the image's age"
    )
}

/// `images-updated-in-period`: the image replacements of the period.
fn replacements_summary(
    changes: usize,
    subjects: usize,
    changed: usize,
    not_patches: usize,
    max_days: i64,
) -> String {
    let mut s = format!("{changes} image replacement(s) in the period's history");
    if not_patches > 0 {
        let _ = write!(
            s,
            " ({not_patches} retag(s), move(s) or rename(s) not counted: the same build kept running)"
        );
    }
    let _ = write!(
        s,
        "; {changed} of {subjects} image(s) in use at the period end changed in the period. \
         Measured: the age at the period end of each image in use, from the commit that last \
         changed it by more than a retag, move or rename, against {} (max-image-age-days). \
         Not measured: when an image was built or released in its registry (no registry is \
         queried), the time from a change in Git to the pods' redeploy, and when fixes for an \
         image's vulnerabilities were published (known-fixes-applied judges those from the \
         scanners' results).",
        days(max_days)
    );
    s
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
            renamed: Vec::new(),
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

    fn row(
        commit: &str,
        path: &str,
        subject: &str,
        old: Option<&str>,
        new: Option<&str>,
    ) -> ImageChange {
        ImageChange {
            time: "2026-08-14T09:00:00Z".into(),
            commit: commit.into(),
            author: "dev".into(),
            source: "repo:app".into(),
            path: path.into(),
            subject: subject.into(),
            old_image: old.map(str::to_string),
            new_image: new.map(str::to_string),
        }
    }

    const D1: &str = "sha256:3f1c2b6d8e9a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0";
    const D2: &str = "sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7";

    #[test]
    fn retags_and_moves_are_told_from_patches() {
        use ChangeKind::*;
        let cases = [
            // The same digest under another tag.
            (
                format!("ghcr.io/acme/api:1.4@{D1}"),
                format!("ghcr.io/acme/api:stable@{D1}"),
                Retag,
            ),
            // The same digest in another registry.
            (
                format!("ghcr.io/acme/api:1.4@{D1}"),
                format!("mirror.example.com/api:1.4@{D1}"),
                Move,
            ),
            // The same repository name and tag, another registry or path.
            (
                "ghcr.io/acme/api:1.4".into(),
                "harbor.example.com/mirror/api:1.4".into(),
                Move,
            ),
            // Only the spelling changed: the same image.
            ("api:1.4".into(), "docker.io/library/api:1.4".into(), Move),
            // Another tag, another digest, another repository name: a patch.
            (
                "ghcr.io/acme/api:1.4".into(),
                "ghcr.io/acme/api:1.5".into(),
                Patch,
            ),
            (
                format!("ghcr.io/acme/api:1.4@{D1}"),
                format!("ghcr.io/acme/api:1.4@{D2}"),
                Patch,
            ),
            (
                "ghcr.io/acme/api:1.4".into(),
                "ghcr.io/acme/web:1.4".into(),
                Patch,
            ),
            // A digest added to the same tag may be a newer build: it counts.
            (
                "ghcr.io/acme/api:1.4".into(),
                format!("ghcr.io/acme/api:1.4@{D1}"),
                Patch,
            ),
        ];
        for (old, new, want) in cases {
            assert_eq!(compare_references(&old, &new), want, "{old} -> {new}");
        }
    }

    #[test]
    fn an_image_added_where_the_same_commit_removed_it_is_a_rename() {
        let all = [
            row(
                "c1",
                "apps.yaml",
                "Deployment shop/api container app",
                Some("ghcr.io/acme/api:1.4"),
                None,
            ),
            row(
                "c1",
                "apps.yaml",
                "Deployment shop/api-v2 container app",
                None,
                Some("ghcr.io/acme/api:1.4"),
            ),
            row(
                "c2",
                "web.yaml",
                "Deployment shop/web container app",
                None,
                Some("ghcr.io/acme/web:2.0"),
            ),
        ];
        assert_eq!(classify(&all[1], &all), ChangeKind::Rename);
        // A new workload, nothing removed: its image counts as put there then.
        assert_eq!(classify(&all[2], &all), ChangeKind::Patch);
    }

    #[test]
    fn a_renamed_slot_counts_the_changes_made_under_its_old_name_and_names_the_rename() {
        let mut inventory = snapshot::from_text("apps.yaml", DEPLOYS);
        let source = inventory.sources[0].id.clone();
        for o in &mut inventory.objects {
            o.origin.path = Some("apps.yaml".into());
        }
        let owner = |name: &str| Owner::Container {
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: name.into(),
            container: "app".into(),
        };
        let (old, new) = (
            format!("ghcr.io/acme/young:1.9@{D1}"),
            format!("ghcr.io/acme/young:2.0@{D1}"),
        );
        let mut s = slot(
            "apps.yaml",
            owner("young"),
            &new,
            &["2026-08-14T09:00:00Z"],
            Some("2026-08-14T09:00:00Z"),
        );
        s.renamed = vec![Renamed {
            commit: "c2c2c2c2c2c2c2c2".into(),
            time: "2026-09-01T00:00:00Z".into(),
            from_path: "old/apps.yaml".into(),
            from: owner("demo-young"),
        }];
        let subject = owner("demo-young").describe();
        inventory.history.push(History {
            source,
            period_start: t("2026-07-01T00:00:00Z"),
            period_end: t("2026-09-30T23:59:59Z"),
            // A retag made under the old name, in the old file: still the slot's, so still
            // no patch.
            changes: vec![{
                let mut r = row("c1", "old/apps.yaml", &subject, Some(&old), Some(&new));
                r.time = "2026-08-14T09:00:00Z".into();
                r
            }],
            slots: vec![s],
            ..History::default()
        });
        let got = findings_in(
            &ImagesUpdatedInPeriod,
            &inventory,
            &CheckSettings::default(),
        );
        let f = got.iter().find(|f| f.subject.name == "young").unwrap();
        assert_eq!(f.status, Status::Fail, "{}", f.message);
        assert_eq!(f.details["changes_in_period"], 0);
        assert_eq!(f.details["not_patches"][0]["kind"], "retag");
        assert_eq!(
            f.details["renamed"][0]["from"],
            "Deployment shop/demo-young container app"
        );
        assert!(
            f.message.contains(
                "renamed from Deployment shop/demo-young container app in old/apps.yaml in \
                 commit c2c2c2c2c2c2 (2026-09-01)"
            ),
            "{}",
            f.message
        );
    }

    #[test]
    fn a_retag_in_the_period_does_not_reset_the_age() {
        let mut inventory = snapshot::from_text("apps.yaml", DEPLOYS);
        let source = inventory.sources[0].id.clone();
        for o in &mut inventory.objects {
            o.origin.path = Some("apps.yaml".into());
        }
        let old = format!("ghcr.io/acme/young:1.9@{D1}");
        let new = format!("ghcr.io/acme/young:2.0@{D1}");
        let mut s = slot(
            "apps.yaml",
            container("young"),
            &new,
            &["2026-08-14T09:00:00Z"],
            Some("2026-08-14T09:00:00Z"),
        );
        s.owner = Owner::Container {
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "young".into(),
            container: "app".into(),
        };
        let subject = s.owner.describe();
        inventory.history.push(History {
            source,
            period_start: t("2026-07-01T00:00:00Z"),
            period_end: t("2026-09-30T23:59:59Z"),
            changes: vec![row("c1", "apps.yaml", &subject, Some(&old), Some(&new))],
            slots: vec![s],
            ..History::default()
        });
        let got = findings_in(
            &ImagesUpdatedInPeriod,
            &inventory,
            &CheckSettings::default(),
        );
        let f = got.iter().find(|f| f.subject.name == "young").unwrap();
        assert_eq!(f.status, Status::Fail, "{}", f.message);
        assert_eq!(f.details["changes_in_period"], 0);
        assert_eq!(f.details["not_patches"][0]["kind"], "retag");
        assert!(f.message.contains("at least 91 days"), "{}", f.message);
        // With a longer timeframe it still cannot be shown to be young enough: a warning.
        let settings = CheckSettings {
            max_image_age_days: 120,
            ..CheckSettings::default()
        };
        let got = findings_in(&ImagesUpdatedInPeriod, &inventory, &settings);
        let f = got.iter().find(|f| f.subject.name == "young").unwrap();
        assert_eq!(f.status, Status::Warn, "{}", f.message);
    }
}
