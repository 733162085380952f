//! Helpers for check tests: an inventory from YAML text, and a check's findings as
//! `(subject, status)` pairs sorted by subject.

use super::{Check, CheckContext, CheckSettings};
use crate::collect::snapshot;
use crate::finding::Status;
use crate::workload::WorkloadIndex;

/// Runs one check over YAML text with default settings.
pub fn statuses(check: &dyn Check, yaml: &str) -> Vec<(&'static str, Status)> {
    statuses_with(check, yaml, &CheckSettings::default())
}

pub fn statuses_with(
    check: &dyn Check,
    yaml: &str,
    settings: &CheckSettings,
) -> Vec<(&'static str, Status)> {
    let inventory = snapshot::from_text("test.yaml", yaml);
    assert!(
        inventory.problems.is_empty(),
        "fixture problems: {:?}",
        inventory.problems
    );
    let workloads = WorkloadIndex::build(&inventory.objects);
    let ctx = CheckContext {
        inventory: &inventory,
        workloads: &workloads,
        settings,
    };
    let mut out: Vec<(&'static str, Status)> = check
        .evaluate(&ctx)
        .into_iter()
        .map(|f| {
            let name: &'static str = Box::leak(f.subject.display_name().into_boxed_str());
            (name, f.status)
        })
        .collect();
    out.sort();
    out
}

/// A Pod with one container per image, named `c0`, `c1`...; an empty image leaves the
/// container without one.
pub fn pod_with_images(images: &[&str]) -> String {
    let mut yaml = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n",
    );
    for (i, image) in images.iter().enumerate() {
        if image.is_empty() {
            yaml.push_str(&format!("    - name: c{i}\n"));
        } else {
            yaml.push_str(&format!("    - name: c{i}\n      image: \"{image}\"\n"));
        }
    }
    yaml
}

/// Runs one check over repositories given as (name, files), findings sorted by source and
/// subject.
pub fn repo_findings(
    check: &dyn Check,
    repos: &[(&str, &[(&str, &str)])],
) -> Vec<crate::finding::Finding> {
    let mut inventory = crate::collect::Inventory::default();
    for (name, files) in repos {
        crate::cicd::test_support::add_repo(&mut inventory, name, files);
    }
    findings_of(check, &inventory)
}

/// Runs one check over an inventory, findings sorted by source, subject and line.
pub fn findings_of(
    check: &dyn Check,
    inventory: &crate::collect::Inventory,
) -> Vec<crate::finding::Finding> {
    let workloads = WorkloadIndex::build(&inventory.objects);
    let settings = CheckSettings::default();
    let ctx = CheckContext {
        inventory,
        workloads: &workloads,
        settings: &settings,
    };
    let mut out = check.evaluate(&ctx);
    out.sort_by(|a, b| {
        (&a.subject.source, a.subject.display_name(), a.subject.line).cmp(&(
            &b.subject.source,
            b.subject.display_name(),
            b.subject.line,
        ))
    });
    out
}

/// [`repo_findings`] as (subject, status) pairs.
pub fn repo_statuses(
    check: &dyn Check,
    repos: &[(&str, &[(&str, &str)])],
) -> Vec<(String, Status)> {
    repo_findings(check, repos)
        .into_iter()
        .map(|f| (f.subject.display_name(), f.status))
        .collect()
}
