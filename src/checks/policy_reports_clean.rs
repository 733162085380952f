//! `policy-reports-clean`: the policy engines' reports show no failing results.
//!
//! Takes the PolicyReports and ClusterPolicyReports (`wgpolicyk8s.io/v1alpha2`) and the
//! Reports and ClusterReports (`openreports.io/v1alpha1`) given with `--results` or listed
//! from the cluster (or read from a snapshot's List files), and the
//! Kyverno policies of the input (to tell Audit from Enforce); gives one finding per
//! namespace (and one for cluster-scoped resources) naming each failing result.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::collect::results::{Outcome, PolicyResult, ResultRecord, Shape};
use crate::evidence::finding::{Finding, Status, Subject};
use crate::facts::admission::Namespace;

crate::declare_check! {
    /// ## What it checks
    /// The policy reports listed from the cluster, read from a snapshot or given with
    /// `--results` (wg-policy `PolicyReport` and
    /// `ClusterPolicyReport`, `wgpolicyk8s.io/v1alpha2`, as Kyverno and other engines write
    /// them; `Report` and `ClusterReport` of `openreports.io/v1alpha1`), read per namespace
    /// (the result's resource's namespace, else the report's; cluster-scoped reports as one
    /// subject). A namespace fails when any result is `fail` or `error`, naming the policy,
    /// rule, resource and message of each; it warns when the only failures are of Kyverno
    /// policies in Audit mode (admitted and reported, by design of the policy: the mode is
    /// read from the policy in the input, rule and namespace overrides included) or `warn`
    /// results; it passes when its results pass or skip. A failure of a policy the input
    /// does not hold counts as a failure: its mode is not known. Without any policy report
    /// the check is not assessed (naming the permission when the cluster refused the list).
    ///
    /// ## Why it matters
    /// Monitoring for deviations from the approved baseline is more than admission: an
    /// engine's background scans report what runs against its policies, including what was
    /// admitted before a policy existed. Enforce-mode policies block at admission and mostly
    /// report passes; Audit-mode policies let a deviation in and only report it, so their
    /// failures are what an auditor asks the monitoring process about.
    ///
    /// ## Evidence used
    /// PolicyReports listed live (`--cluster`), in a snapshot, or from `kubectl get
    /// policyreports,clusterpolicyreports -A -o json` (or `reports,clusterreports` of
    /// openreports.io) given with `--results`: `results[]` (`policy`, `rule`,
    /// `result`, `resources`, `message`), `scope`, `metadata.namespace`; Kyverno
    /// `ClusterPolicy` and `Policy` objects of the snapshot (`validationFailureAction`,
    /// `validate.failureAction` and their overrides).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: wgpolicyk8s.io/v1alpha2
    /// kind: PolicyReport
    /// metadata: {name: cpol-require-run-as-nonroot, namespace: shop}
    /// results:
    ///   - {policy: require-run-as-nonroot, rule: run-as-non-root, result: fail,
    ///      resources: [{apiVersion: apps/v1, kind: Deployment, name: api, namespace: shop}]}
    /// ```
    ///
    /// ## References
    /// - Kubernetes Policy Working Group, PolicyReport API (`wgpolicyk8s.io/v1alpha2`)
    /// - OpenReports (`openreports.io/v1alpha1`)
    /// - Kyverno documentation, policy reports and `failureAction`
    pub struct PolicyReportsClean {
        id: "policy-reports-clean",
        title: "Policy engines report no failing results",
        severity: Medium,
    }
}

/// One result that did not pass, as findings list it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct Failing {
    policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    /// `fail`, `error` or `warn`, as the engine reported it.
    result: String,
    /// `Enforce`, `Audit`, or None when the policy is not in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// The report file it came from.
    report: String,
}

impl Failing {
    /// Fails the namespace: a `fail` or `error` not of an Audit-mode policy.
    fn fails(&self) -> bool {
        self.result != "warn" && self.mode != Some("Audit")
    }
}

/// What one namespace's reports say.
#[derive(Default)]
struct Tally {
    passed: usize,
    failing: BTreeSet<Failing>,
    evidence: BTreeSet<String>,
    source: String,
}

/// The namespace a result is about: its resource's, else its report's, else its subject's;
/// None for cluster-scoped.
fn namespace_of(record: &ResultRecord, result: &PolicyResult) -> Option<String> {
    result
        .resource
        .as_ref()
        .and_then(|r| r.namespace.clone())
        .or_else(|| record.report.as_ref().and_then(|r| r.namespace.clone()))
        .or_else(|| match &record.subject {
            crate::collect::results::Subject::Namespace { name } => Some(name.clone()),
            crate::collect::results::Subject::Object(o) => o.namespace.clone(),
            _ => None,
        })
}

impl Check for PolicyReportsClean {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let reports: Vec<&ResultRecord> = ctx
            .facts
            .results
            .records()
            .iter()
            .filter(|r| r.shape == Shape::PolicyReport)
            .collect();
        if reports.is_empty() {
            // A cluster that refused the listing (403) is named: the reports may exist.
            let coverage = &ctx.inventory.coverage;
            let refused: Vec<String> = REPORT_KINDS
                .iter()
                .filter(|k| {
                    matches!(
                        coverage.kinds.get(**k),
                        Some(crate::evidence::inventory::KindStatus::Forbidden { .. })
                    )
                })
                .map(|k| super::kind_missing(k, &coverage.why_missing(k)))
                .collect();
            let reason = match refused.is_empty() {
                true => no_reports(),
                false => format!("{}; {}", refused.join("; "), no_reports()),
            };
            return vec![ctx.not_assessed(meta, reason)];
        }
        let labels: BTreeMap<&str, &BTreeMap<String, String>> = ctx
            .inventory
            .objects
            .iter()
            .filter(|o| o.kind == "Namespace" && o.group().is_empty())
            .map(|o| (o.meta.name.as_str(), &o.meta.labels))
            .collect();
        let no_labels = BTreeMap::new();
        let mut by_namespace: BTreeMap<Option<String>, Tally> = BTreeMap::new();
        for record in reports {
            for result in &record.policy_results {
                let ns = namespace_of(record, result);
                let tally = by_namespace.entry(ns.clone()).or_default();
                tally.evidence.insert(record.evidence());
                tally.source = record.file.source.clone();
                let word = match result.result {
                    Outcome::Pass | Outcome::Skip => {
                        tally.passed += 1;
                        continue;
                    }
                    Outcome::Fail => "fail",
                    Outcome::Error => "error",
                    Outcome::Warn => "warn",
                    // A word the engine made up is not a pass.
                    Outcome::Unknown => "error",
                };
                let namespace = Namespace::new(
                    ns.as_deref().unwrap_or(""),
                    labels
                        .get(ns.as_deref().unwrap_or(""))
                        .copied()
                        .unwrap_or(&no_labels),
                );
                let mode = ctx.facts.policies.kyverno_action(
                    &result.policy,
                    result.rule.as_deref(),
                    &namespace,
                );
                tally.failing.insert(Failing {
                    policy: result.policy.clone(),
                    rule: result.rule.clone(),
                    result: word.to_string(),
                    mode,
                    resource: result.resource.as_ref().map(ToString::to_string),
                    message: result.message.clone(),
                    report: record.file.locator(),
                });
            }
        }
        by_namespace
            .into_iter()
            .map(|(ns, tally)| {
                let failing: Vec<&Failing> = tally.failing.iter().collect();
                let fails = failing.iter().filter(|f| f.fails()).count();
                let status = match (fails, failing.len()) {
                    (0, 0) => Status::Pass,
                    (0, _) => Status::Warn,
                    _ => Status::Fail,
                };
                let subject = Subject {
                    kind: match ns {
                        Some(_) => "Namespace".into(),
                        None => "Cluster".into(),
                    },
                    name: ns
                        .clone()
                        .unwrap_or_else(|| "cluster-scoped resources".into()),
                    source: tally.source.clone(),
                    ..Default::default()
                };
                Finding::new(
                    meta.id,
                    meta.severity,
                    status,
                    subject,
                    message(ns.as_deref(), tally.passed, &failing),
                )
                .evidence(tally.evidence)
                .detail("passed", json!(tally.passed))
                .detail("failing", json!(failing))
            })
            .collect()
    }
}

// Wording: the sentences this check's findings say.

/// The results a message names before it says how many more the details hold.
const SHOWN: usize = 10;

fn failing_phrase(f: &Failing) -> String {
    let mut s = format!("{} `{}`", f.result, f.policy);
    if let Some(rule) = &f.rule {
        s.push_str(&format!("/`{rule}`"));
    }
    match f.mode {
        Some(mode) => s.push_str(&format!(" ({mode} mode)")),
        None if f.result != "warn" => s.push_str(" (policy not in the input: mode unknown)"),
        None => {}
    }
    if let Some(r) = &f.resource {
        s.push_str(&format!(" on {r}"));
    }
    if let Some(m) = &f.message {
        s.push_str(&format!(": {m}"));
    }
    s
}

fn message(ns: Option<&str>, passed: usize, failing: &[&Failing]) -> String {
    let scope = match ns {
        Some(ns) => format!("namespace {ns}"),
        None => "cluster-scoped resources".to_string(),
    };
    if failing.is_empty() {
        return format!("{scope}: all {passed} policy result(s) pass or skip");
    }
    let fails = failing.iter().filter(|f| f.fails()).count();
    let listed: Vec<String> = failing
        .iter()
        .take(SHOWN)
        .map(|f| failing_phrase(f))
        .collect();
    let more = match failing.len().saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!("; and {n} more (the finding's details list them all)"),
    };
    let lead = match fails {
        0 => format!(
            "{scope}: {} result(s) of policies in Audit mode or reported as warnings (admitted \
             and reported, not blocked), {passed} passing",
            failing.len()
        ),
        n => format!(
            "{scope}: {n} failing or erroring policy result(s) of policies that enforce or whose \
             mode is unknown, {} in Audit mode or warnings, {passed} passing",
            failing.len() - n
        ),
    };
    format!("{lead}: {}{more}", listed.join("; "))
}

/// The policy report kinds a cluster serves, as the collector lists them.
const REPORT_KINDS: [&str; 4] = [
    "PolicyReport",
    "ClusterPolicyReport",
    "Report",
    "ClusterReport",
];

fn no_reports() -> String {
    "no policy report was in the input (PolicyReports or ClusterPolicyReports of \
     wgpolicyk8s.io, Reports of openreports.io, listed from the cluster or given with \
     --results: `kubectl get policyreports,clusterpolicyreports -A -o json`): what the policy \
     engines found is not known"
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{findings_with_results, inventory, table, want};

    fn report(ns: &str, results: serde_json::Value) -> String {
        json!({
            "apiVersion": "wgpolicyk8s.io/v1alpha2",
            "kind": "PolicyReport",
            "metadata": {"name": format!("polr-{ns}"), "namespace": ns,
                         "labels": {"app.kubernetes.io/managed-by": "kyverno"}},
            "results": results,
        })
        .to_string()
    }

    fn result(
        policy: &str,
        rule: &str,
        outcome: &str,
        kind: &str,
        ns: &str,
        name: &str,
    ) -> serde_json::Value {
        json!({
            "policy": policy, "rule": rule, "result": outcome, "source": "kyverno",
            "message": format!("validation error: rule {rule} failed"),
            "resources": [{"apiVersion": "apps/v1", "kind": kind, "namespace": ns, "name": name}],
            "timestamp": {"seconds": 1_795_000_000, "nanos": 0}
        })
    }

    const AUDIT_POLICY: &str = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: disallow-latest-tag}\nspec:\n  validationFailureAction: Audit\n  rules:\n    - name: require-image-tag\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate: {message: tag, pattern: {spec: {containers: [{image: '!*:latest'}]}}}\n---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: require-run-as-nonroot}\nspec:\n  validationFailureAction: Audit\n  rules:\n    - name: run-as-non-root\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate: {failureAction: Enforce, message: nonroot, pattern: {spec: {securityContext: {runAsNonRoot: true}}}}\n";

    fn run(yaml: &str, results: &[(&str, String)]) -> Vec<Finding> {
        findings_with_results(
            &PolicyReportsClean,
            &inventory(yaml),
            results,
            &Default::default(),
        )
    }

    #[test]
    fn failures_fail_their_namespace_and_audit_mode_policies_warn() {
        let shop = report(
            "shop",
            json!([
                result(
                    "require-run-as-nonroot",
                    "autogen-run-as-non-root",
                    "fail",
                    "Deployment",
                    "shop",
                    "api"
                ),
                result(
                    "disallow-latest-tag",
                    "require-image-tag",
                    "pass",
                    "Deployment",
                    "shop",
                    "api"
                ),
            ]),
        );
        let web = report(
            "web",
            json!([result(
                "disallow-latest-tag",
                "require-image-tag",
                "fail",
                "Deployment",
                "web",
                "front"
            ),]),
        );
        let ops = report(
            "ops",
            json!([
                result(
                    "disallow-latest-tag",
                    "require-image-tag",
                    "pass",
                    "Deployment",
                    "ops",
                    "x"
                ),
                result(
                    "disallow-latest-tag",
                    "require-image-tag",
                    "skip",
                    "Deployment",
                    "ops",
                    "y"
                ),
            ]),
        );
        let unknown = report(
            "batch",
            json!([result(
                "team-labels",
                "check-team",
                "error",
                "Job",
                "batch",
                "nightly"
            ),]),
        );
        let got = run(
            AUDIT_POLICY,
            &[
                ("shop.json", shop),
                ("web.json", web),
                ("ops.json", ops),
                ("batch.json", unknown),
            ],
        );
        assert_eq!(
            table(&got),
            want(&[
                ("Namespace batch", Status::Fail),
                ("Namespace ops", Status::Pass),
                ("Namespace shop", Status::Fail),
                ("Namespace web", Status::Warn),
            ])
        );
        // The rule's own failureAction overrides the policy's Audit, under its autogen name too.
        let shop = &got[2].message;
        assert!(shop.contains("fail `require-run-as-nonroot`/`autogen-run-as-non-root` (Enforce mode) on Deployment shop/api"), "{shop}");
        assert!(got[3].message.contains("Audit mode"), "{}", got[3].message);
        assert!(
            got[0].message.contains("mode unknown"),
            "{}",
            got[0].message
        );
        assert_eq!(got[1].details["passed"], 2);
    }

    #[test]
    fn openreports_and_cluster_reports_are_read_too() {
        let cluster = json!({
            "apiVersion": "openreports.io/v1alpha1", "kind": "ClusterReport",
            "metadata": {"name": "cluster"},
            "results": [{"policy": "restrict-node-ports", "result": "fail",
                         "resources": [{"apiVersion": "v1", "kind": "Namespace", "name": "legacy"}]}]
        })
        .to_string();
        let got = run(AUDIT_POLICY, &[("c.json", cluster)]);
        assert_eq!(
            table(&got),
            want(&[("Cluster cluster-scoped resources", Status::Fail)])
        );
    }

    #[test]
    fn without_policy_reports_it_is_not_assessed() {
        let got = run(AUDIT_POLICY, &[]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Status::NotAssessed);
        assert!(
            got[0].message.contains("policyreports"),
            "{}",
            got[0].message
        );
    }
}
