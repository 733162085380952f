//! `replace-on-update`: a changed template replaces the pods that run it.

use serde::Deserialize;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::unreadable_object;
use crate::evidence::finding::{Finding, Status};
use crate::facts::workloads::{Workload, object_subject};

crate::declare_check! {
    /// ## What it checks
    /// Each workload's controller replaces its pods automatically when its template changes.
    /// Deployments (RollingUpdate or Recreate) and StatefulSets and DaemonSets with
    /// `RollingUpdate` pass; a StatefulSet rolling update held by a `partition` warns;
    /// `OnDelete` fails, because pods keep running the old spec until someone deletes them; a
    /// ReplicaSet with no Deployment fails for the same reason; a bare Pod warns (nothing
    /// replaces it, and its image can be changed in place); Jobs and CronJobs are not
    /// applicable.
    ///
    /// ## Why it matters
    /// Immutable operation means a new image reaches production by replacing the containers
    /// that run the old one (PR.PS-02.242, PCI container guidance 10.3: patched images are
    /// redeployed). A controller that does not replace pods leaves old, unpatched software
    /// running after the manifest says otherwise.
    ///
    /// ## Evidence used
    /// `spec.strategy` of Deployments, `spec.updateStrategy` of StatefulSets and DaemonSets
    /// (with the defaults of their apiVersion when unset), and owner references of Pods and
    /// ReplicaSets.
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
    pub struct ReplaceOnUpdate {
        id: "replace-on-update",
        title: "Controllers replace pods when the template changes",
        severity: High,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Strategy {
    #[serde(rename = "type")]
    kind: Option<String>,
    rolling_update: Option<RollingUpdate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RollingUpdate {
    partition: Option<i64>,
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
        for w in &ctx.facts.workloads.assessed {
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
    let pointer = match kind {
        "Deployment" => "/spec/strategy",
        "StatefulSet" | "DaemonSet" => "/spec/updateStrategy",
        "ReplicaSet" => return Ok((Status::Fail, orphan_replicaset(), None)),
        "Pod" => return Ok((Status::Warn, bare_pod(), None)),
        _ => {
            return Ok((Status::NotApplicable, job_not_applicable(kind), None));
        }
    };
    let strategy: Strategy = object.view(pointer)?;
    // Before apps/v1, StatefulSets (apps/v1beta1) and DaemonSets (extensions/v1beta1)
    // defaulted to OnDelete.
    let legacy_on_delete = matches!(
        (kind, object.api_version.as_str()),
        ("StatefulSet", "apps/v1beta1") | ("DaemonSet", "extensions/v1beta1")
    );
    let default = if legacy_on_delete {
        "OnDelete"
    } else {
        "RollingUpdate"
    };
    let name = strategy.kind.clone().unwrap_or_else(|| default.to_string());
    let judged = match (kind, name.as_str()) {
        ("Deployment", "RollingUpdate" | "Recreate") => {
            (Status::Pass, replaced_by_rollout(kind, &name))
        }
        ("StatefulSet", "RollingUpdate") => {
            match strategy.rolling_update.and_then(|r| r.partition) {
                Some(p) if p > 0 => (Status::Warn, partitioned_rollout(p)),
                _ => (Status::Pass, replaced_by_rollout(kind, &name)),
            }
        }
        ("DaemonSet", "RollingUpdate") => (Status::Pass, replaced_by_rollout(kind, &name)),
        (_, "OnDelete") => (Status::Fail, on_delete(kind)),
        _ => (Status::Error, unknown_strategy(kind, &name)),
    };
    Ok((judged.0, judged.1, Some(name)))
}

// Wording: the sentences this check's findings say.

fn replaced_by_rollout(kind: &str, strategy: &str) -> String {
    format!(
        "{kind} with the {strategy} strategy: a template change replaces its pods with new ones"
    )
}

fn partitioned_rollout(partition: i64) -> String {
    format!(
        "StatefulSet RollingUpdate with partition {partition}: pods with an ordinal below {partition} keep the old template until the partition is lowered"
    )
}

fn on_delete(kind: &str) -> String {
    format!(
        "{kind} uses the OnDelete update strategy: pods keep running the old spec until someone deletes them by hand"
    )
}

fn unknown_strategy(kind: &str, strategy: &str) -> String {
    format!("{kind} names the unknown update strategy `{strategy}`")
}

fn orphan_replicaset() -> String {
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
}
