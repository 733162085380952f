//! The repository's scope where it needs what the collector read: a kustomization resource
//! the scope left out, and `--deployed-only`.
//!
//! Takes the collector's context, the period-end commit and what was read from it (the
//! inventory, the history); gives the inventory with problems about out-of-scope resources
//! turned into notes naming the rule, and, with `--deployed-only`, without the manifests,
//! objects and image slots no root deploys, which it returns for the coverage. The rules
//! themselves live in [`crate::collect::scope`]; this is only where they meet the collector.

use std::collections::HashSet;

use super::{CommitInfo, Ctx, tree};
use crate::collect::scope::{self, Exclusion};
use crate::evidence::history::History;
use crate::evidence::inventory::{ExclusionReason, Inventory, Problem, ProblemLevel};
use crate::evidence::object::Object;

/// A kustomization whose resource is out of scope finds it missing: the problem says that
/// the scope left it out (a note), not that the path is wrong (an error).
pub(super) fn explain_out_of_scope(ctx: &Ctx, end: &CommitInfo, inventory: &mut Inventory) {
    let at = format!("{}@{}:", ctx.name, end.short());
    for p in inventory
        .problems
        .iter_mut()
        .filter(|p| p.source == ctx.source_id)
    {
        let Some(rel) = p.message.strip_prefix("resource `").and_then(|m| {
            m.strip_suffix("` not found")
                .or_else(|| m.strip_suffix("` is a directory without a kustomization file"))
        }) else {
            continue;
        };
        let Some((file, _line)) = p
            .location
            .strip_prefix(&at)
            .and_then(|l| l.rsplit_once(':'))
        else {
            continue;
        };
        let Some(e) = ctx.options.scope.resource_exclusion(file, rel) else {
            continue;
        };
        let why = match (&e.reason, &e.rule) {
            (ExclusionReason::DefaultExclude, Some(g)) => {
                format!("the default exclude `{g}`")
            }
            (_, Some(g)) => format!("the exclude `{g}`"),
            _ => "no include matching it".to_string(),
        };
        p.level = ProblemLevel::Note;
        p.message = format!("resource `{rel}` is out of scope ({why}): not read");
        p.hint = Some(
            "the scope wins over the kustomization; widen --include or drop the exclude (or pass \
             --no-default-excludes) to read it"
                .to_string(),
        );
    }
}

/// `--deployed-only`: drops the manifests, objects and image slots of the period end that
/// no root of the repository deploys ([`scope::deployed`]), and gives them for the coverage.
pub(super) fn deployed_only(
    ctx: &mut Ctx,
    end: &CommitInfo,
    end_files: &[tree::Change],
    inventory: &mut Inventory,
    history: &mut History,
) -> Vec<(String, Exclusion)> {
    let paths: Vec<&str> = end_files.iter().map(|f| f.path.as_str()).collect();
    let objects: Vec<&Object> = inventory.objects.iter().collect();
    let deployed = scope::deployed::find(&objects, &paths);
    for (path, message) in &deployed.unresolved {
        ctx.problems.push(
            Problem::new(
                ProblemLevel::Warning,
                &ctx.source_id,
                ctx.locator(end.id, path),
                format!("--deployed-only: {message}"),
            )
            .hint("its manifests are listed as not deployed in the coverage"),
        );
    }
    if deployed.roots == 0 {
        ctx.problems.push(
            Problem::new(
                ProblemLevel::Warning,
                &ctx.source_id,
                format!("{}@{}", ctx.name, end.short()),
                "--deployed-only: no kustomization, Flux Kustomization or HelmRelease, or Argo CD \
                 Application or ApplicationSet in the tree at the period end, so no manifest of \
                 this repository is deployed by one and none was assessed; its pipelines and \
                 Dockerfiles were",
            )
            .hint(
                "drop --deployed-only for this repository, or add the root that deploys it \
                 (the manifests are listed as not deployed in the coverage)",
            ),
        );
    }
    let mut out: Vec<String> = inventory
        .objects
        .iter()
        .filter_map(|o| o.origin.path.clone())
        .chain(history.slots.iter().map(|s| s.path.clone()))
        .filter(|p| !deployed.covers(p))
        .collect();
    out.sort();
    out.dedup();
    let gone: HashSet<&str> = out.iter().map(String::as_str).collect();
    let out_of = |p: Option<&str>| p.is_some_and(|p| gone.contains(p));
    let mut dropped: HashSet<String> = HashSet::new();
    inventory.objects.retain(|o| {
        let keep = !out_of(o.origin.path.as_deref());
        if !keep {
            dropped.insert(o.evidence.clone());
        }
        keep
    });
    for o in &inventory.objects {
        dropped.remove(&o.evidence);
    }
    inventory.records.retain(|r| !dropped.contains(&r.id));
    inventory.coverage = Default::default();
    for o in &inventory.objects {
        inventory.coverage.record_object(&o.kind);
    }
    history.slots.retain(|s| !gone.contains(s.path.as_str()));
    history.changes.retain(|c| !gone.contains(c.path.as_str()));
    out.into_iter()
        .map(|p| {
            (
                p,
                Exclusion {
                    reason: ExclusionReason::NotDeployed,
                    rule: None,
                    tree: None,
                },
            )
        })
        .collect()
}
