//! Helpers for check tests: an inventory from YAML text, and a check's findings as
//! `(subject, status)` pairs sorted by subject.

use super::{Check, CheckContext, CheckSettings};
use crate::collect::snapshot;
use crate::evidence::finding::{Finding, Status};
use crate::evidence::inventory::Inventory;
use crate::facts::Facts;

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
    let facts = Facts::build(&inventory);
    let ctx = CheckContext {
        inventory: &inventory,
        facts: &facts,
        settings,
        audit: None,
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
pub fn repo_findings(check: &dyn Check, repos: &[(&str, &[(&str, &str)])]) -> Vec<Finding> {
    let mut inventory = Inventory::default();
    for (name, files) in repos {
        crate::facts::ci::test_support::add_repo(&mut inventory, name, files);
    }
    findings_of(check, &inventory)
}

/// Runs one check over an inventory with default settings, findings sorted by source
/// (repository), subject and line.
pub fn findings_of(check: &dyn Check, inventory: &Inventory) -> Vec<Finding> {
    let mut out = findings_in(check, inventory, &CheckSettings::default());
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
    table(&repo_findings(check, repos))
}
/// Settings with the as-of instant at the end of `day` (YYYY-MM-DD).
pub fn settings_on(day: &str) -> CheckSettings {
    CheckSettings {
        as_of: crate::base::timefmt::parse_as_of(day).expect("a valid day"),
        ..CheckSettings::default()
    }
}

/// An inventory from YAML text, asserting it read cleanly.
pub fn inventory(yaml: &str) -> Inventory {
    let inventory = snapshot::from_text("test.yaml", yaml);
    assert!(
        inventory.problems.is_empty(),
        "fixture problems: {:?}",
        inventory.problems
    );
    inventory
}

/// Runs one check over an inventory, findings sorted by subject.
pub fn findings_in(
    check: &dyn Check,
    inventory: &Inventory,
    settings: &CheckSettings,
) -> Vec<Finding> {
    let facts = Facts::build(inventory);
    let ctx = CheckContext {
        inventory,
        facts: &facts,
        settings,
        audit: None,
    };
    let mut out = check.evaluate(&ctx);
    out.sort_by(|a, b| (&a.subject, &a.message).cmp(&(&b.subject, &b.message)));
    out
}

/// Runs one check over an inventory and `--results` files given as (name, text), findings
/// sorted by subject; each result file must read cleanly.
pub fn findings_with_results(
    check: &dyn Check,
    inventory: &Inventory,
    results: &[(&str, String)],
    settings: &CheckSettings,
) -> Vec<Finding> {
    let mut records = Vec::new();
    for (name, text) in results {
        let (mut read, problems) =
            crate::collect::results::read_bytes(name, text.as_bytes(), 1 << 24);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        for r in &mut read {
            r.file.source = "results:test".into();
        }
        records.extend(read);
    }
    let facts = Facts::build(inventory).with_results(records);
    let ctx = CheckContext {
        inventory,
        facts: &facts,
        settings,
        audit: None,
    };
    let mut out = check.evaluate(&ctx);
    out.sort_by(|a, b| (&a.subject, &a.message).cmp(&(&b.subject, &b.message)));
    out
}

/// One vulnerability of a Trivy JSON report: package, installed and fixed version (empty:
/// none), CVE, severity word, published date (empty: none).
pub type TrivyVuln<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

/// A Trivy JSON report (`trivy image -f json`) of `artifact`, by `digest` (a repo digest
/// `repo@sha256:...`, or empty), created at `created` (empty: no time), with `vulns`.
pub fn trivy_json(artifact: &str, digest: &str, created: &str, vulns: &[TrivyVuln<'_>]) -> String {
    let vulns: Vec<serde_json::Value> = vulns
        .iter()
        .map(|(pkg, installed, fixed, cve, severity, published)| {
            let mut v = serde_json::json!({
                "VulnerabilityID": cve, "PkgName": pkg, "InstalledVersion": installed,
                "Severity": severity, "Status": if fixed.is_empty() { "affected" } else { "fixed" },
            });
            if !fixed.is_empty() {
                v["FixedVersion"] = serde_json::json!(fixed);
            }
            if !published.is_empty() {
                v["PublishedDate"] = serde_json::json!(published);
            }
            v
        })
        .collect();
    let mut report = serde_json::json!({
        "SchemaVersion": 2,
        "Trivy": {"Version": "0.58.1"},
        "ArtifactName": artifact,
        "ArtifactType": "container_image",
        "Metadata": {"RepoTags": [artifact]},
        "Results": [{"Target": format!("{artifact} (debian 12.8)"), "Class": "os-pkgs",
                     "Type": "debian", "Vulnerabilities": vulns}],
    });
    if !created.is_empty() {
        report["CreatedAt"] = serde_json::json!(created);
    }
    if !digest.is_empty() {
        report["Metadata"]["RepoDigests"] = serde_json::json!([digest]);
    }
    report.to_string()
}

/// `(subject, status)` pairs of one check over YAML text, sorted.
pub fn statuses_on(
    check: &dyn Check,
    yaml: &str,
    settings: &CheckSettings,
) -> Vec<(String, Status)> {
    table(&findings_in(check, &inventory(yaml), settings))
}

/// Findings as `(subject, status)` pairs, in their order.
pub fn table(findings: &[Finding]) -> Vec<(String, Status)> {
    findings
        .iter()
        .map(|f| (f.subject.display_name(), f.status))
        .collect()
}

/// An expected `(subject, status)` table, as [`statuses_on`] returns it.
pub fn want(rows: &[(&str, Status)]) -> Vec<(String, Status)> {
    rows.iter().map(|(n, s)| (n.to_string(), *s)).collect()
}

/// A running Pod in namespace `shop` with one container, owned by ReplicaSet `replicaset`
/// (named `<deployment>-<pod-template-hash>`, and not in the input), reporting `image_id`.
pub fn running_pod(
    name: &str,
    replicaset: &str,
    container: &str,
    image: &str,
    image_id: &str,
) -> String {
    let hash = replicaset.rsplit('-').next().unwrap_or_default();
    format!(
        r#"---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: shop
  labels: {{pod-template-hash: {hash}}}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: {replicaset}, controller: true}}]
spec: {{containers: [{{name: {container}, image: "{image}"}}]}}
status:
  phase: Running
  containerStatuses:
    - {{name: {container}, image: "{image}", imageID: "{image_id}", state: {{running: {{startedAt: "2026-11-01T00:00:00Z"}}}}}}
"#
    )
}

/// A Namespace document with labels written as YAML flow entries (`team: web`).
pub fn namespace(name: &str, labels: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {{{labels}}}}}\n"
    )
}

/// Runs `f` over a context with no objects, `log` as the run's audit logs, `audit` as the
/// break-glass settings and `period` as the run's period.
pub fn ctx_with_audit<T>(
    log: &crate::collect::audit::AuditLog,
    audit: super::family::audit::AuditSettings,
    period: Option<crate::evidence::period::Period>,
    f: impl FnOnce(&CheckContext<'_>) -> T,
) -> T {
    let inventory = Inventory::default();
    let facts = Facts::build(&inventory);
    let settings = CheckSettings {
        audit,
        period,
        ..CheckSettings::default()
    };
    f(&CheckContext {
        inventory: &inventory,
        facts: &facts,
        settings: &settings,
        audit: Some(log),
    })
}

/// Runs `f` over an empty context without audit logs.
pub fn ctx_without_audit<T>(f: impl FnOnce(&CheckContext<'_>) -> T) -> T {
    let inventory = Inventory::default();
    let facts = Facts::build(&inventory);
    let settings = CheckSettings::default();
    f(&CheckContext {
        inventory: &inventory,
        facts: &facts,
        settings: &settings,
        audit: None,
    })
}
