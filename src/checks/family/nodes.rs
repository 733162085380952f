//! What the node checks share: the Nodes of the run's facts, and an `error` finding for each
//! Node whose nodeInfo could not be read, so a malformed Node shows in every node check.

use crate::checks::{CheckContext, CheckMeta, object_finding};
use crate::evidence::finding::{Finding, Status};
use crate::facts::nodes::NodeView;
use crate::messages;

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
        .map(|(object, e)| {
            object_finding(meta, object, Status::Error, messages::unreadable_node(e))
        })
        .collect();
    (&nodes.read, errors)
}
