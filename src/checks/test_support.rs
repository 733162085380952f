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
