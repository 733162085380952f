//! `no-privilege-escalation`: processes cannot gain privileges.

use super::{Check, CheckContext, CheckMeta};
use crate::evidence::finding::{Finding, Status};

crate::declare_check! {
    /// ## What it checks
    /// Every container sets `securityContext.allowPrivilegeEscalation: false`. Unset counts
    /// as allowed, because that is what Kubernetes does; a privileged container always
    /// allows escalation.
    ///
    /// ## Why it matters
    /// With escalation allowed, a setuid binary in the image can give a process more rights
    /// than the container started with: enough to change the container in place, or to
    /// break out of it. Denying it is part of a hardened baseline (PR.PS-01) and keeps the
    /// container as immutable as its image (PR.PS-02.242).
    ///
    /// ## Evidence used
    /// The container-level securityContext in the pod template of every assessed workload.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   allowPrivilegeEscalation: false
    ///   capabilities: {drop: [ALL]}
    /// ```
    ///
    /// ## References
    /// - NIST CSF 2.0 PR.PS-01; question bank PR.PS-02.242
    /// - Kubernetes Pod Security Standards, restricted profile (Privilege Escalation)
    pub struct NoPrivilegeEscalation {
        id: "no-privilege-escalation",
        title: "Containers cannot escalate privileges",
        severity: High,
    }
}

impl Check for NoPrivilegeEscalation {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_workloads(meta) {
            return vec![f];
        }
        let mut out = ctx.unreadable_workloads(meta);
        for c in ctx.facts.workloads.containers() {
            let sc = c.container.security_context.as_ref();
            let value = sc.and_then(|s| s.allow_privilege_escalation);
            let privileged = sc.and_then(|s| s.privileged).unwrap_or(false);
            let status = if value == Some(false) && !privileged {
                Status::Pass
            } else {
                Status::Fail
            };
            out.push(
                Finding::new(
                    meta.id,
                    meta.severity,
                    status,
                    c.subject(),
                    privilege_escalation(value, privileged),
                )
                .evidence([c.workload.object.evidence.clone()])
                .detail("allowPrivilegeEscalation", value)
                .detail("privileged", privileged),
            );
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn privilege_escalation(value: Option<bool>, privileged: bool) -> String {
    match (value, privileged) {
        (_, true) => "the container is privileged, which always allows privilege escalation".into(),
        (Some(false), false) => "allowPrivilegeEscalation is false".into(),
        (Some(true), false) => "allowPrivilegeEscalation is true: a process can gain more privileges than its parent".into(),
        (None, false) => "allowPrivilegeEscalation is not set, which allows escalation: a process can gain more privileges than its parent".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::statuses;

    #[test]
    fn unset_and_privileged_fail() {
        let got = statuses(
            &NoPrivilegeEscalation,
            r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  template:
    spec:
      containers:
        - {name: a, image: x:1, securityContext: {allowPrivilegeEscalation: false}}
        - {name: b, image: x:1}
        - {name: c, image: x:1, securityContext: {allowPrivilegeEscalation: true}}
        - {name: d, image: x:1, securityContext: {allowPrivilegeEscalation: false, privileged: true}}
"#,
        );
        let s: Vec<Status> = got.iter().map(|(_, s)| *s).collect();
        assert_eq!(s, [Status::Pass, Status::Fail, Status::Fail, Status::Fail]);
    }
}
