//! Nodes as the node checks read them: the object and its `status.nodeInfo`.
//!
//! Read once per run for `kubelet-version-supported`, `container-runtime-supported`,
//! `node-kernel-current` and `node-recently-replaced`. A Node whose nodeInfo has the wrong
//! shape is kept with its error, so each of those checks reports it instead of skipping it.

use serde::Deserialize;

use crate::evidence::object::{Object, ViewError, lenient_opt_string};

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

/// The Nodes of an input.
#[derive(Default)]
pub struct Nodes<'a> {
    /// Nodes whose nodeInfo was read, sorted by name.
    pub read: Vec<NodeView<'a>>,
    /// Nodes whose nodeInfo could not be read, in input order.
    pub unreadable: Vec<(&'a Object, ViewError)>,
}

/// Reads the nodeInfo of every Node of `objects`.
pub fn read(objects: &[Object]) -> Nodes<'_> {
    let mut nodes = Nodes::default();
    for object in objects.iter().filter(|o| o.kind == "Node") {
        match object.view::<NodeInfo>("/status/nodeInfo") {
            Ok(info) => nodes.read.push(NodeView { object, info }),
            Err(e) => nodes.unreadable.push((object, e)),
        }
    }
    nodes
        .read
        .sort_by(|a, b| a.object.meta.name.cmp(&b.object.meta.name));
    nodes
}
