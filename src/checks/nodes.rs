//! Nodes as the node checks read them: the object and its `status.nodeInfo`.
//!
//! Shared by `kubelet-version-supported`, `container-runtime-supported`,
//! `node-kernel-current` and `node-recently-replaced`. A Node whose nodeInfo has the wrong
//! shape becomes an `error` finding in each of them instead of being skipped silently.

use serde::Deserialize;

use super::{CheckContext, CheckMeta, object_finding};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::object::{Object, lenient_opt_string};
use crate::messages;

/// The fields of `status.nodeInfo` the checks read.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeInfo {
    #[serde(deserialize_with = "lenient_opt_string")]
    pub kernel_version: Option<String>,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub os_image: Option<String>,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub container_runtime_version: Option<String>,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub kubelet_version: Option<String>,
    #[serde(deserialize_with = "lenient_opt_string")]
    pub architecture: Option<String>,
}

/// One Node with its nodeInfo read.
pub struct NodeView<'a> {
    pub object: &'a Object,
    pub info: NodeInfo,
}

impl NodeView<'_> {
    /// A finding about this node, citing its evidence.
    pub fn finding(&self, meta: &CheckMeta, status: Status, message: impl Into<String>) -> Finding {
        object_finding(meta, self.object, status, message)
    }
}

/// The input's Nodes, sorted by name, and an `error` finding for each whose nodeInfo could
/// not be read.
pub fn read<'a>(ctx: &CheckContext<'a>, meta: &CheckMeta) -> (Vec<NodeView<'a>>, Vec<Finding>) {
    let mut nodes = Vec::new();
    let mut errors = Vec::new();
    for object in ctx.inventory.objects.iter().filter(|o| o.kind == "Node") {
        match object.view::<NodeInfo>("/status/nodeInfo") {
            Ok(info) => nodes.push(NodeView { object, info }),
            Err(e) => errors.push(object_finding(
                meta,
                object,
                Status::Error,
                messages::unreadable_node(&e),
            )),
        }
    }
    nodes.sort_by(|a, b| a.object.meta.name.cmp(&b.object.meta.name));
    (nodes, errors)
}
