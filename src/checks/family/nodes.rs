//! What the node checks share: the Nodes of the run's facts, and an `error` finding for each
//! Node whose nodeInfo could not be read, so a malformed Node shows in every node check.

use crate::checks::{CheckContext, CheckMeta, object_finding};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::object::ViewError;
use crate::facts::nodes::NodeView;

impl NodeView<'_> {
    /// A finding about this node, citing its evidence.
    pub fn finding(&self, meta: &CheckMeta, status: Status, message: impl Into<String>) -> Finding {
        object_finding(meta, self.object, status, message)
    }
}

/// The input's Nodes, sorted by name, and an `error` finding for each whose nodeInfo could
/// not be read.
pub fn read<'c>(ctx: &'c CheckContext<'_>, meta: &CheckMeta) -> (&'c [NodeView<'c>], Vec<Finding>) {
    let nodes = &ctx.facts.nodes;
    let errors = nodes
        .unreadable
        .iter()
        .map(|(object, e)| object_finding(meta, object, Status::Error, unreadable_node(e)))
        .collect();
    (&nodes.read, errors)
}

// Wording: the sentences the checks of this family say alike.

pub fn unreadable_node(error: &ViewError) -> String {
    format!("could not read the node's status.nodeInfo: {error}; fix the object and re-run")
}

pub fn node_field_missing(field: &str) -> String {
    format!(
        "the Node has no status.nodeInfo.{field}: export Nodes with their status (`kubectl get \
         nodes -o yaml`)"
    )
}

pub fn not_a_version(what: &str, value: &str) -> String {
    format!("the {what} `{value}` is not a version evidencer can read")
}
