//! `node-recently-replaced`: nodes are younger than a set age, so nodes are rotated rather
//! than patched in place.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Check, CheckContext, CheckMeta};
use crate::checks::family::nodes;
use crate::evidence::finding::{Finding, Status};

crate::declare_check! {
    /// ## What it checks
    /// Each Node was created no more than `max-node-age-days` days (default 90) before the
    /// as-of date; an older node warns. The age is taken from the Node object's
    /// `creationTimestamp`: a node that rejoins the cluster under the same name after a
    /// rebuild gets a new object and a new age.
    ///
    /// ## Why it matters
    /// Immutable nodes are patched by replacing them with nodes built from a newer image, so
    /// a fleet that is replaced regularly picks up OS and kernel patches and boots them (PCI
    /// container guidance 10.2). A node that has lived for months has either been patched in
    /// place or not at all. This is what catches a fleet that is uniformly stale, which
    /// `node-kernel-current` cannot see. It warns rather than fails: long-lived nodes can be
    /// patched and rebooted correctly, which other evidence must then show.
    ///
    /// ## Evidence used
    /// `metadata.creationTimestamp` of every Node; the as-of date; the `max-node-age-days`
    /// setting (`--max-node-age-days`).
    ///
    /// ## Example
    /// ```yaml
    /// kind: Node
    /// metadata:
    ///   name: ip-10-0-1-17.eu-west-1.compute.internal
    ///   creationTimestamp: "2026-10-02T08:14:00Z"   # 51 days old on 2026-11-22: pass
    /// ```
    ///
    /// ## References
    /// - PCI SSC Guidance for Containers and Container Orchestration Tools, section 10.2
    /// - NIST CSF 2.0 PR.PS-02 (software is maintained, replaced and removed)
    pub struct NodeRecentlyReplaced {
        id: "node-recently-replaced",
        title: "Nodes are replaced regularly",
        severity: Medium,
    }
}

impl Check for NodeRecentlyReplaced {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn evaluate(&self, ctx: &CheckContext<'_>) -> Vec<Finding> {
        let meta = self.meta();
        if let Some(f) = ctx.require_kinds(meta, &["Node"]) {
            return vec![f];
        }
        let max = i64::from(ctx.settings.max_node_age_days);
        let (nodes, mut out) = nodes::read(ctx, meta);
        for node in nodes {
            let Some(created) = node.object.meta.creation_timestamp.as_deref() else {
                out.push(node.finding(meta, Status::NotAssessed, node_no_creation_time()));
                continue;
            };
            let Ok(at) = DateTime::parse_from_rfc3339(created) else {
                out.push(node.finding(meta, Status::Error, bad_creation_time(created)));
                continue;
            };
            let age = (ctx.settings.as_of - at.with_timezone(&Utc)).num_days();
            let status = if age > max {
                Status::Warn
            } else {
                Status::Pass
            };
            out.push(
                node.finding(meta, status, node_age(age, max, created))
                    .detail("created", json!(created))
                    .detail("age_days", json!(age))
                    .detail("max_node_age_days", json!(max)),
            );
        }
        out
    }
}

// Wording: the sentences this check's findings say.

fn node_age(age_days: i64, max_days: i64, created: &str) -> String {
    if age_days < 0 {
        return format!("created {created}, after the as-of date: a replacement node");
    }
    if age_days > max_days {
        format!(
            "created {created}: {age_days} days old, older than the {max_days} days a node may \
             live before it is replaced: it has been patched in place, if at all"
        )
    } else {
        format!("created {created}: {age_days} days old, within the {max_days}-day limit")
    }
}

fn node_no_creation_time() -> String {
    "the Node has no metadata.creationTimestamp, so its age is unknown".into()
}

fn bad_creation_time(value: &str) -> String {
    format!("metadata.creationTimestamp `{value}` is not an RFC 3339 time")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{settings_on, statuses_on, want};

    fn node(name: &str, created: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}, creationTimestamp: \"{created}\"}}\n---\n"
        )
    }

    #[test]
    fn age_is_measured_at_the_as_of_date() {
        // as-of 2026-11-22T23:59:59Z.
        let yaml = [
            node("a-young", "2026-10-02T08:14:00Z"),
            node("b-exactly-90-days", "2026-08-24T23:59:59Z"),
            node("c-91-days", "2026-08-23T23:00:00Z"),
            node("d-future", "2026-12-01T00:00:00Z"),
            node("e-garbage", "last tuesday"),
            "apiVersion: v1\nkind: Node\nmetadata: {name: f-unknown}\n".to_string(),
        ]
        .concat();
        let got = statuses_on(&NodeRecentlyReplaced, &yaml, &settings_on("2026-11-22"));
        use Status::*;
        let want = want(&[
            ("Node a-young", Pass),
            ("Node b-exactly-90-days", Pass),
            ("Node c-91-days", Warn),
            ("Node d-future", Pass),
            ("Node e-garbage", Error),
            ("Node f-unknown", NotAssessed),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn the_age_limit_is_a_setting() {
        let yaml = node("a", "2026-10-02T08:14:00Z");
        let mut settings = settings_on("2026-11-22");
        settings.max_node_age_days = 30;
        let got = statuses_on(&NodeRecentlyReplaced, &yaml, &settings);
        assert_eq!(got[0].1, Status::Warn);
    }
}
