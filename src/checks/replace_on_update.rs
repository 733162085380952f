//! `replace-on-update`: a changed template replaces the pods that run it.

use super::{Check, CheckContext, CheckMeta};
use crate::checks::unreadable_object;
use crate::evidence::finding::{Finding, Status};
use crate::evidence::workload_kinds::{self, UpdateMode};
use crate::facts::workloads::{Workload, object_subject};

crate::declare_check! {
    /// ## What it checks
    /// Each workload's controller replaces its pods automatically when its template changes.
    /// Deployments (RollingUpdate or Recreate) and StatefulSets and DaemonSets with
    /// `RollingUpdate` pass; a StatefulSet rolling update held by a `partition` warns;
    /// `OnDelete` fails, because pods keep running the old spec until someone deletes them; a
    /// ReplicaSet with no Deployment fails for the same reason; a bare Pod warns (nothing
    /// replaces it, and its image can be changed in place); Jobs and CronJobs are not
    /// applicable. Kinds are judged by API group and kind, from the workload-kind table: an
    /// Argo Rollout passes (canary and blue-green replace pods); an OpenKruise CloneSet
    /// with `updateStrategy.type` `InPlaceIfPossible` or `InPlaceOnly`, an Advanced
    /// StatefulSet with `rollingUpdate.podUpdatePolicy` set so, and an Advanced DaemonSet
    /// with `rollingUpdate.rollingUpdateType: InPlaceIfPossible` fail, naming the field, because they
    /// update running pods in place; Prometheus operator objects are not applicable (the
    /// StatefulSet the operator generates is judged).
    ///
    /// ## Why it matters
    /// Immutable operation means a new image reaches production by replacing the containers
    /// that run the old one (PR.PS-02.242, PCI container guidance 10.3: patched images are
    /// redeployed). A controller that does not replace pods leaves old, unpatched software
    /// running after the manifest says otherwise.
    ///
    /// ## Evidence used
    /// `spec.strategy` of Deployments, `spec.updateStrategy` of StatefulSets and DaemonSets
    /// (with the defaults of their apiVersion when unset), the strategy fields the table
    /// names for other kinds, and owner references of Pods and ReplicaSets.
    ///
    /// ## Example
    /// ```yaml
    /// kind: StatefulSet
    /// spec:
    ///   updateStrategy:
    ///     type: RollingUpdate
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.3
    /// - Kubernetes: Deployments (strategy), StatefulSet and DaemonSet update strategies
    /// - OpenKruise: CloneSet, Advanced StatefulSet and Advanced DaemonSet update strategies
    pub struct ReplaceOnUpdate {
        id: "replace-on-update",
        title: "Controllers replace pods when the template changes",
        severity: High,
    }
}

impl Check for ReplaceOnUpdate {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_workloads(meta) {
            return vec![f];
        }
        let mut out = ctx.unreadable_workloads(meta);
        // A Rollout running another object's template still updates by its own strategy:
        // judged here, though its containers cannot be.
        let unresolved: Vec<Workload<'_>> = ctx
            .facts
            .workloads
            .unresolved
            .iter()
            .map(|u| Workload {
                object: u.object,
                pod_spec: Default::default(),
                pod_spec_at: String::new(),
                image_paths: None,
            })
            .collect();
        out.retain(|f| {
            f.status != Status::NotAssessed
                || !unresolved
                    .iter()
                    .any(|w| object_subject(w.object) == f.subject)
        });
        for w in ctx.facts.workloads.with_images().chain(&unresolved) {
            let (status, message, strategy) = match judge(w) {
                Ok(judged) => judged,
                Err(e) => (Status::Error, unreadable_object(&e), None),
            };
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    status,
                    object_subject(w.object),
                    message,
                )
                .evidence([w.object.evidence.clone()])
                .detail("strategy", strategy),
            );
        }
        out
    }
}

fn judge(
    w: &Workload<'_>,
) -> Result<(Status, String, Option<String>), crate::evidence::object::ViewError> {
    let object = w.object;
    let kind = object.kind.as_str();
    let table = workload_kinds::table();
    let Some(row) = table.find(&object.api_version, kind) else {
        return Ok((Status::NotApplicable, job_not_applicable(kind), None));
    };
    match row.update.mode {
        UpdateMode::Never => return Ok((Status::Fail, orphan_replicaset(kind), None)),
        UpdateMode::Bare => return Ok((Status::Warn, bare_pod(), None)),
        UpdateMode::RunToCompletion => {
            return Ok((Status::NotApplicable, job_not_applicable(kind), None));
        }
        UpdateMode::Operator => return Ok((Status::NotApplicable, operator_managed(kind), None)),
        UpdateMode::OnDelete => return Ok((Status::Fail, on_delete(kind, None), None)),
        UpdateMode::InPlace => return Ok((Status::Fail, in_place(kind, None), None)),
        UpdateMode::Replace => {}
    }
    let version = object.api_version.rsplit('/').next().unwrap_or_default();
    // The strategy as named by the first field (`RollingUpdate`), for the detail.
    let mut named: Option<String> = None;
    for field in &row.update.fields {
        let written: Option<String> = object.view(field.field.as_str())?;
        let Some(value) = written
            .or_else(|| field.default_by_version.get(version).cloned())
            .or_else(|| field.default.clone())
        else {
            continue;
        };
        named.get_or_insert_with(|| value.clone());
        let at = Some((field.field.dotted(), value.as_str()));
        match field.values.get(&value) {
            Some(UpdateMode::Replace) => {}
            Some(UpdateMode::OnDelete) => return Ok((Status::Fail, on_delete(kind, at), named)),
            Some(UpdateMode::InPlace) => return Ok((Status::Fail, in_place(kind, at), named)),
            Some(UpdateMode::Never) => {
                return Ok((Status::Fail, orphan_replicaset(kind), named));
            }
            Some(UpdateMode::Bare) => return Ok((Status::Warn, bare_pod(), named)),
            Some(UpdateMode::RunToCompletion) => {
                return Ok((Status::NotApplicable, job_not_applicable(kind), named));
            }
            Some(UpdateMode::Operator) => {
                return Ok((Status::NotApplicable, operator_managed(kind), named));
            }
            None => {
                return Ok((
                    Status::Error,
                    unknown_strategy(kind, &field.field.dotted(), &value),
                    named,
                ));
            }
        }
    }
    if let Some(pointer) = &row.update.partition {
        let partition: Option<serde_json::Value> = object.view(pointer.as_str())?;
        if let Some(p) = partition.as_ref().and_then(held_back) {
            return Ok((
                Status::Warn,
                partitioned_rollout(kind, &pointer.dotted(), &p),
                named,
            ));
        }
    }
    let message = replaced_by_rollout(kind, named.as_deref());
    Ok((Status::Pass, message, named))
}

/// A partition that holds pods back: a number above zero, or a percentage above 0%.
fn held_back(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Number(n) if n.as_f64().is_some_and(|n| n > 0.0) => Some(n.to_string()),
        serde_json::Value::String(s) => {
            let n: f64 = s.trim_end_matches('%').trim().parse().ok()?;
            (n > 0.0).then(|| s.clone())
        }
        _ => None,
    }
}

// Wording: the sentences this check's findings say.

fn replaced_by_rollout(kind: &str, strategy: Option<&str>) -> String {
    match strategy {
        Some(strategy) => format!(
            "{kind} with the {strategy} strategy: a template change replaces its pods with new ones"
        ),
        None => format!("{kind}: a template change replaces its pods with new ones"),
    }
}

fn partitioned_rollout(kind: &str, field: &str, partition: &str) -> String {
    if kind == "StatefulSet" && field == "spec.updateStrategy.rollingUpdate.partition" {
        return format!(
            "StatefulSet RollingUpdate with partition {partition}: pods with an ordinal below {partition} keep the old template until the partition is lowered"
        );
    }
    format!(
        "{kind} rolling update held by {field}: {partition}: the pods it holds back keep the old template until the partition is lowered"
    )
}

fn on_delete(kind: &str, at: Option<(String, &str)>) -> String {
    match at {
        Some((field, value)) if value != "OnDelete" => format!(
            "{kind} sets `{field}: {value}`: pods keep running the old spec until someone deletes them by hand"
        ),
        _ => format!(
            "{kind} uses the OnDelete update strategy: pods keep running the old spec until someone deletes them by hand"
        ),
    }
}

fn in_place(kind: &str, at: Option<(String, &str)>) -> String {
    match at {
        Some((field, value)) => format!(
            "{kind} sets `{field}: {value}`: a template change updates running pods in place (their containers restart with the new image) instead of replacing them"
        ),
        None => format!("{kind} updates running pods in place instead of replacing them"),
    }
}

fn operator_managed(kind: &str) -> String {
    format!(
        "{kind} is run by an operator through a StatefulSet it generates: that StatefulSet is judged where it is in the input"
    )
}

fn unknown_strategy(kind: &str, field: &str, strategy: &str) -> String {
    if field.ends_with("strategy.type") || field.ends_with("updateStrategy.type") {
        return format!("{kind} names the unknown update strategy `{strategy}`");
    }
    format!("{kind} names the unknown update strategy `{strategy}` in {field}")
}

fn orphan_replicaset(kind: &str) -> String {
    if kind != "ReplicaSet" {
        return format!("a {kind} does not replace its pods when its template changes");
    }
    "a ReplicaSet without a Deployment does not replace its pods when its template changes".into()
}

fn bare_pod() -> String {
    "a bare Pod: nothing replaces it when its image changes, and its image can be changed in place"
        .into()
}

fn job_not_applicable(kind: &str) -> String {
    format!("{kind}s run to completion: each run starts new pods, so there is nothing to replace")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::statuses;

    #[test]
    fn strategies_table() {
        let got = statuses(
            &ReplaceOnUpdate,
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: a-default, namespace: apps}
spec: {template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b-recreate, namespace: apps}
spec: {strategy: {type: Recreate}, template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: c-ondelete, namespace: apps}
spec: {updateStrategy: {type: OnDelete}, template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: d-partition, namespace: apps}
spec: {updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}, template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: extensions/v1beta1
kind: DaemonSet
metadata: {name: e-legacy, namespace: apps}
spec: {template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: f-rolling, namespace: apps}
spec: {template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: g-orphan, namespace: apps}
spec: {template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: h-bare, namespace: apps}
spec: {containers: [{name: c, image: x:1}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: i-cron, namespace: apps}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x:1}]}}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: j-weird, namespace: apps}
spec: {strategy: {type: Blue}, template: {spec: {containers: [{name: c, image: x:1}]}}}
"#,
        );
        use Status::*;
        let s: Vec<(String, Status)> = got.into_iter().map(|(n, s)| (n.to_string(), s)).collect();
        let want = [
            ("Deployment apps/a-default", Pass),
            ("Deployment apps/b-recreate", Pass),
            ("StatefulSet apps/c-ondelete", Fail),
            ("StatefulSet apps/d-partition", Warn),
            ("DaemonSet apps/e-legacy", Fail),
            ("DaemonSet apps/f-rolling", Pass),
            ("ReplicaSet apps/g-orphan", Fail),
            ("Pod apps/h-bare", Warn),
            ("CronJob apps/i-cron", NotApplicable),
            ("Deployment apps/j-weird", Error),
        ];
        let mut want: Vec<(String, Status)> =
            want.iter().map(|(n, s)| (n.to_string(), *s)).collect();
        want.sort();
        assert_eq!(s, want);
    }

    #[test]
    fn add_on_kinds_are_judged_by_group_and_kind() {
        let got = crate::checks::test_support::statuses_on(
            &ReplaceOnUpdate,
            r#"
apiVersion: apps.kruise.io/v1beta1
kind: StatefulSet
metadata: {name: a-inplace-only, namespace: apps}
spec: {updateStrategy: {rollingUpdate: {podUpdatePolicy: InPlaceOnly}}, template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps.kruise.io/v1beta1
kind: StatefulSet
metadata: {name: b-recreate, namespace: apps}
spec: {template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps.kruise.io/v1beta1
kind: StatefulSet
metadata: {name: c-ondelete, namespace: apps}
spec: {updateStrategy: {type: OnDelete, rollingUpdate: {podUpdatePolicy: InPlaceIfPossible}}, template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps.kruise.io/v1alpha1
kind: DaemonSet
metadata: {name: d-inplace, namespace: apps}
spec: {updateStrategy: {rollingUpdate: {rollingUpdateType: InPlaceIfPossible}}, template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: e-partition, namespace: apps}
spec: {updateStrategy: {partition: "20%"}, template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: f-weird, namespace: apps}
spec: {updateStrategy: {type: Rebirth}, template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: g-canary, namespace: apps}
spec: {strategy: {canary: {}}, template: {spec: {containers: [{name: c, image: x:1}]}}}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: h-prom, namespace: apps}
spec: {version: v2.54.1}
"#,
            &crate::checks::CheckSettings::default(),
        );
        use Status::*;
        let want = crate::checks::test_support::want(&[
            ("CloneSet apps/e-partition", Warn),
            ("CloneSet apps/f-weird", Error),
            ("DaemonSet apps/d-inplace", Fail),
            ("Prometheus apps/h-prom", NotApplicable),
            ("Rollout apps/g-canary", Pass),
            ("StatefulSet apps/a-inplace-only", Fail),
            ("StatefulSet apps/b-recreate", Pass),
            ("StatefulSet apps/c-ondelete", Fail),
        ]);
        assert_eq!(got, want);
    }
}
