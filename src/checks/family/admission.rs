//! What `pod-security-enforced` and `read-only-root-enforced` share: the policy kinds whose
//! absence could hide enforcement, the `error` findings of policies that cannot be read, and
//! the sentences both say about them.

use crate::checks::{CheckContext, CheckMeta, object_finding};
use crate::evidence::finding::{Finding, Status};
use crate::facts::admission::Policies;

/// Policy kinds whose absence from the input could hide enforcement.
pub const ENGINE_KINDS: [&str; 4] = [
    "ClusterPolicy",
    "Policy",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
];

/// Policy objects whose spec could not be read, as `error` findings.
pub fn unreadable_policies(meta: &CheckMeta, policies: &Policies<'_>) -> Vec<Finding> {
    policies
        .unreadable
        .iter()
        .map(|(o, e)| object_finding(meta, o, Status::Error, unreadable_policy(e)))
        .collect()
}

/// Kinds of `kinds` the input did not collect (a kind the API server does not serve is
/// known to be absent, so it is not listed).
pub fn unseen_kinds(ctx: &CheckContext<'_>, kinds: &[&str]) -> Vec<String> {
    kinds
        .iter()
        .filter(|k| {
            !matches!(
                ctx.inventory.coverage.kinds.get(**k),
                Some(
                    crate::evidence::inventory::KindStatus::Collected { .. }
                        | crate::evidence::inventory::KindStatus::NotServed
                )
            )
        })
        .map(|k| k.to_string())
        .collect()
}

// Wording: the sentences the checks of this family say alike.

pub fn unseen_note(unseen: &[String]) -> String {
    if unseen.is_empty() {
        String::new()
    } else {
        format!(
            " ({} objects were not in the input: if a policy engine enforces this, include its \
             policies)",
            unseen.join(", ")
        )
    }
}

pub fn unreadable_policy(error: &str) -> String {
    format!("could not read this policy: {error}; what it enforces was not counted")
}
