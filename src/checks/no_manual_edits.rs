//! `no-manual-edits`: no workload's pod template was written by hand (`kubectl edit`,
//! `patch`, `set`), judged from the field managers its managedFields record.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{Check, CheckContext, CheckMeta, object_finding};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::object::{FieldManager, Object};
use crate::evidence::period::Period;
use crate::evidence::record::SourceKind;

crate::declare_check! {
    /// ## What it checks
    /// Every workload read from a cluster was last written, in its pod template, by a
    /// deploying agent. The API server records in `metadata.managedFields` which field
    /// manager last wrote each field, with the operation and the time: a template field owned
    /// by `kubectl-edit`, `kubectl-patch` or `kubectl-set` fails (a hand edit of what runs,
    /// still in effect); one owned by `kubectl-client-side-apply` (unless it is listed as a
    /// deploying agent), by `kubectl-rollout` (a restart) or by a manager evidencer does not
    /// know warns; the deploying agents (`gitops: deploying-agents`, by default
    /// kustomize-controller, helm-controller, argocd-controller and helm) and the cluster's own
    /// controllers pass. Each finding names the manager, its operation and time, whether that
    /// time falls in the period, and the template fields it owns.
    ///
    /// ## Why it matters
    /// A template changed by hand runs something no review approved and no repository holds,
    /// and the next deployment silently undoes it (or keeps it, when the agent does not set
    /// that field). Replacing containers from an approved baseline means the only writers of
    /// a pod template are the deployment process (NIST CSF PR.PS-02.242).
    ///
    /// ## Evidence used
    /// `metadata.managedFields` of every workload of a live cluster or a snapshot `evidencer
    /// collect` wrote (its List files keep each workload's managers and their template
    /// fields). managedFields record no user, only the client's manager name. Plain `kubectl
    /// get` output has none (unless `--show-managed-fields`): then the check is not assessed.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   managedFields:
    ///     - manager: kubectl-set          # kubectl set image deployment/api app=api:hotfix
    ///       operation: Update
    ///       time: "2026-08-02T09:30:00Z"
    ///       fieldsV1:
    ///         f:spec: {f:template: {f:spec: {f:containers: {'k:{"name":"app"}': {f:image: {}}}}}}
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 question bank, PR.PS-02.242
    /// - Kubernetes: Server-Side Apply, field management
    pub struct NoManualEdits {
        id: "no-manual-edits",
        title: "No workload's pod template was edited by hand",
        severity: High,
    }
}

/// How a field manager's write is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Writer {
    /// A deploying agent, or the cluster's own controllers.
    Agent,
    System,
    /// Not known to deploy: warn.
    Unknown,
    ClientSideApply,
    Restart,
    /// `kubectl edit`, `patch` or `set`: fail.
    Manual,
}

/// The cluster's own controllers, which write templates of the objects they own.
const SYSTEM: [&str; 4] = crate::collect::managed::CONTROLLERS;

fn writer(manager: &str, agents: &[String]) -> Writer {
    if agents.iter().any(|a| a == manager) {
        return Writer::Agent;
    }
    match manager {
        "kubectl-edit" | "kubectl-patch" | "kubectl-set" => Writer::Manual,
        "kubectl-rollout" => Writer::Restart,
        "kubectl-client-side-apply" => Writer::ClientSideApply,
        m if SYSTEM.contains(&m) => Writer::System,
        _ => Writer::Unknown,
    }
}

impl Writer {
    fn status(self) -> Status {
        match self {
            Writer::Agent | Writer::System => Status::Pass,
            Writer::Unknown | Writer::ClientSideApply | Writer::Restart => Status::Warn,
            Writer::Manual => Status::Fail,
        }
    }
}

impl Check for NoManualEdits {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        let clusters: HashSet<&str> = ctx
            .inventory
            .sources
            .iter()
            .filter(|s| matches!(s.kind, SourceKind::Snapshot | SourceKind::Cluster))
            .map(|s| s.id.as_str())
            .collect();
        if clusters.is_empty() {
            return vec![ctx.not_assessed(meta, no_cluster())];
        }
        let table = crate::evidence::workload_kinds::table();
        let workloads: Vec<&Object> = ctx
            .inventory
            .objects
            .iter()
            .filter(|o| clusters.contains(o.source.as_str()))
            .filter(|o| table.find(&o.api_version, &o.kind).is_some())
            .collect();
        if workloads.is_empty() {
            return vec![ctx.not_assessed(meta, super::no_workloads_collected())];
        }
        // Objects judged through their owner (a Deployment's ReplicaSets and Pods) speak
        // only when someone other than their controller wrote them (their controllers'
        // entries are not even kept, see `collect::managed::keep`).
        let assessed: HashSet<&str> = ctx
            .facts
            .workloads
            .assessed
            .iter()
            .chain(&ctx.facts.workloads.operated)
            .map(|w| w.object.evidence.as_str())
            .collect();
        let agents = &ctx.settings.gitops.deploying_agents;
        let period = ctx.settings.period.as_ref();
        let mut out = Vec::new();
        let mut without: Vec<&Object> = Vec::new();
        for object in workloads {
            let Some(managers) = &object.managers else {
                without.push(object);
                continue;
            };
            let finding = judge(meta, object, managers, agents, period);
            let spoken = matches!(finding.status, Status::Fail | Status::Warn);
            if !spoken && !assessed.contains(object.evidence.as_str()) {
                continue;
            }
            out.push(finding);
        }
        let missing: Vec<String> = if without.is_empty() {
            Vec::new()
        } else {
            vec![no_managed_fields(&without)]
        };
        if out.is_empty() {
            let mut f = ctx.not_assessed(meta, missing.join("; "));
            f.evidence = without.iter().map(|o| o.evidence.clone()).collect();
            return vec![f];
        }
        ctx.withhold_passes(meta, out, &missing)
    }
}

fn judge(
    meta: &CheckMeta,
    object: &Object,
    managers: &[FieldManager],
    agents: &[String],
    period: Option<&Period>,
) -> Finding {
    let writers: Vec<&FieldManager> = managers
        .iter()
        .filter(|m| m.writes_object() && !m.template_fields.is_empty())
        .collect();
    // The latest writer of the template, and the worst still owning part of it (a hand
    // edit a later deployment did not overwrite is still in effect).
    let last = writers.iter().copied().max_by(|a, b| a.time.cmp(&b.time));
    let worst = writers
        .iter()
        .copied()
        .max_by_key(|m| (writer(&m.manager, agents), m.time.clone()));
    let (Some(last), Some(worst)) = (last, worst) else {
        // An owned object's controller entries are not kept: nobody else wrote it.
        if let Some(owner) = object
            .meta
            .owner_references
            .iter()
            .find(|r| r.controller == Some(true))
        {
            return object_finding(
                meta,
                object,
                Status::Pass,
                only_its_controller(&owner.kind, &owner.name),
            );
        }
        return object_finding(
            meta,
            object,
            Status::NotAssessed,
            no_template_writer(managers.len()),
        );
    };
    let judged = writer(&worst.manager, agents);
    let in_period = worst.time.as_deref().and_then(|t| within(t, period?));
    let mut message = wrote(last, "last written by", period);
    if !std::ptr::eq(last, worst) && judged > writer(&last.manager, agents) {
        message.push_str("; ");
        message.push_str(&wrote(worst, "still partly owned by", period));
    }
    message.push_str(": ");
    message.push_str(&verdict(judged, &worst.manager));
    if judged.status() != Status::Pass {
        message.push_str(&format!(
            "; it owns {}",
            crate::base::phrase::and_list(&shown(&worst.template_fields))
        ));
    }
    let mut f = object_finding(meta, object, judged.status(), message)
        .detail("manager", worst.manager.clone())
        .detail("operation", worst.operation.clone())
        .detail("fields", worst.template_fields.clone());
    if let Some(t) = &worst.time {
        f = f.detail("time", t.clone());
    }
    if let Some(inside) = in_period {
        f = f.detail("in_period", inside);
    }
    f
}

/// Whether the RFC 3339 time `t` falls in the period.
fn within(t: &str, period: &Period) -> Option<bool> {
    let t: DateTime<Utc> = DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&Utc);
    Some(period.start <= t && t <= period.end)
}

/// The first few fields, and how many more.
fn shown(fields: &[String]) -> Vec<String> {
    const SHOWN: usize = 5;
    let mut out: Vec<String> = fields.iter().take(SHOWN).cloned().collect();
    if fields.len() > SHOWN {
        out.push(format!("{} more fields", fields.len() - SHOWN));
    }
    out
}

// Wording.

fn no_cluster() -> String {
    "no cluster was given (--cluster or --snapshot): field managers are read from a cluster's \
     objects"
        .into()
}

fn no_managed_fields(objects: &[&Object]) -> String {
    let first: Vec<String> = objects.iter().take(3).map(|o| o.display_name()).collect();
    let more = if objects.len() > 3 {
        format!(" and {} more", objects.len() - 3)
    } else {
        String::new()
    };
    format!(
        "{} workload(s) ({}{more}) were read without metadata.managedFields (plain `kubectl get` \
         output drops them), so who last wrote their pod templates cannot be told: read the \
         cluster live, snapshot it with `evidencer collect`, or add `--show-managed-fields` to \
         `kubectl get`",
        objects.len(),
        first.join(", ")
    )
}

fn only_its_controller(kind: &str, name: &str) -> String {
    format!(
        "its pod template was written only by the cluster's controllers on behalf of {kind} \
         {name}, which owns it: no other field manager owns part of it"
    )
}

fn no_template_writer(entries: usize) -> String {
    format!(
        "its {entries} managedFields entries name no writer of the pod template, so who wrote \
         it cannot be told"
    )
}

fn wrote(m: &FieldManager, how: &str, period: Option<&Period>) -> String {
    let when = match (&m.time, period) {
        (Some(t), Some(p)) => match within(t, p) {
            Some(true) => format!(" at {t}, inside the period {}", p.label),
            Some(false) => format!(" at {t}, outside the period {}", p.label),
            None => format!(" at {t}"),
        },
        (Some(t), None) => format!(" at {t}"),
        (None, _) => " at a time not recorded".to_string(),
    };
    format!(
        "the pod template was {how} {} ({}){when}",
        m.manager, m.operation
    )
}

fn verdict(writer: Writer, manager: &str) -> String {
    match writer {
        Writer::Agent => "a deploying agent".into(),
        Writer::System => "the cluster's own controller".into(),
        Writer::Manual => format!(
            "a hand edit (`kubectl {}`), not a deployment; redeploy from the repository and \
             take edit, patch and update on workloads away from people",
            manager.trim_start_matches("kubectl-")
        ),
        Writer::Restart => {
            "a `kubectl rollout restart` (new pods of the same template, written by hand)".into()
        }
        Writer::ClientSideApply => {
            "`kubectl apply` run by a client, not a deploying agent; if a pipeline runs it, list \
             kubectl-client-side-apply in gitops: deploying-agents"
                .into()
        }
        Writer::Unknown => format!(
            "not a known deploying agent; if {manager} deploys from a repository or release \
             process, list it in gitops: deploying-agents"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::family::gitops::DEFAULT_DEPLOYING_AGENTS;

    fn manager(name: &str, time: &str, fields: &[&str]) -> FieldManager {
        FieldManager {
            manager: name.into(),
            operation: "Update".into(),
            time: Some(time.into()),
            template_fields: fields.iter().map(|f| f.to_string()).collect(),
            ..Default::default()
        }
    }

    fn object() -> Object {
        Object {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            meta: Default::default(),
            json: "{}".into(),
            evidence: "ev".into(),
            source: "cluster:x".into(),
            origin: Default::default(),
            managers: None,
        }
    }

    fn status(managers: &[FieldManager]) -> (Status, String) {
        let agents: Vec<String> = DEFAULT_DEPLOYING_AGENTS.map(String::from).to_vec();
        let period = Period {
            start: "2026-07-01T00:00:00Z".parse().unwrap(),
            end: "2026-09-30T23:59:59Z".parse().unwrap(),
            label: "2026-Q3".into(),
        };
        let f = judge(
            &NoManualEdits::META,
            &object(),
            managers,
            &agents,
            Some(&period),
        );
        (f.status, f.message)
    }

    #[test]
    fn managers_are_judged_by_name() {
        let image = ["spec.template.spec.containers[name=app].image"];
        let flux = manager("kustomize-controller", "2026-07-01T10:00:00Z", &image);
        for (name, want) in [
            ("kubectl-set", Status::Fail),
            ("kubectl-edit", Status::Fail),
            ("kubectl-patch", Status::Fail),
            ("kubectl-rollout", Status::Warn),
            ("kubectl-client-side-apply", Status::Warn),
            ("terraform", Status::Warn),
            ("helm", Status::Pass),
            ("kube-controller-manager", Status::Pass),
        ] {
            let later = manager(name, "2026-08-02T09:30:00Z", &image);
            let (got, message) = status(&[flux.clone(), later]);
            assert_eq!(got, want, "{name}: {message}");
            assert!(message.contains(name), "{message}");
        }
        let (got, message) = status(std::slice::from_ref(&flux));
        assert_eq!(got, Status::Pass, "{message}");
        assert!(
            message.contains(
                "kustomize-controller (Update) at 2026-07-01T10:00:00Z, inside the period 2026-Q3"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_hand_edit_still_owning_a_field_fails_after_a_later_deployment() {
        let set = manager(
            "kubectl-set",
            "2026-06-02T09:30:00Z",
            &["spec.template.spec.containers[name=app].image"],
        );
        let flux = manager(
            "kustomize-controller",
            "2026-08-01T10:00:00Z",
            &["spec.template.metadata.labels.app"],
        );
        let (got, message) = status(&[set, flux]);
        assert_eq!(got, Status::Fail, "{message}");
        assert!(
            message.contains("last written by kustomize-controller")
                && message.contains("still partly owned by kubectl-set (Update) at 2026-06-02T09:30:00Z, outside the period 2026-Q3")
                && message.contains("containers[name=app].image"),
            "{message}"
        );
    }

    #[test]
    fn an_owned_pod_written_only_by_its_controllers_passes() {
        let mut pod = object();
        pod.kind = "Pod".into();
        pod.meta.owner_references = vec![crate::evidence::object::OwnerReference {
            kind: "ReplicaSet".into(),
            name: "api-7d9f8".into(),
            controller: Some(true),
            ..Default::default()
        }];
        let f = judge(&NoManualEdits::META, &pod, &[], &[], None);
        assert_eq!(f.status, Status::Pass, "{}", f.message);
        assert!(f.message.contains("ReplicaSet api-7d9f8"), "{}", f.message);
        let f = judge(&NoManualEdits::META, &object(), &[], &[], None);
        assert_eq!(f.status, Status::NotAssessed, "{}", f.message);
    }

    #[test]
    fn status_writes_and_fieldless_entries_are_not_template_writers() {
        let mut scale = manager(
            "kubectl-patch",
            "2026-08-01T00:00:00Z",
            &["spec.template.x"],
        );
        scale.subresource = Some("scale".into());
        let (got, message) = status(&[scale]);
        assert_eq!(got, Status::NotAssessed, "{message}");
    }
}
