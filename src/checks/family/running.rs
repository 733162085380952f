//! What the checks of running pods share (`running-image-consistent`, `images-scanned`,
//! `no-ephemeral-containers`): the sentence of a pod whose status cannot be read, and the
//! `not_assessed` finding of a workload that asks for pods and has none in the input.

use serde_json::json;

use crate::checks::{CheckContext, CheckMeta, object_finding};
use crate::evidence::finding::{Finding, Status};
use crate::evidence::object::ViewError;
use crate::facts::running::Podless;

/// One `not_assessed` finding per workload of a cluster that asks for pods (replicas > 0,
/// or a DaemonSet) and has none in the input: what its pods run cannot be seen.
pub fn podless_findings(ctx: &CheckContext<'_>, meta: &CheckMeta) -> Vec<Finding> {
    ctx.facts
        .podless
        .iter()
        .map(|w| {
            object_finding(meta, w.object, Status::NotAssessed, no_pods_in_input(w))
                .detail("replicas", json!(w.replicas))
        })
        .collect()
}

pub fn no_pods_in_input(w: &Podless<'_>) -> String {
    let asks = match w.replicas {
        Some(1) => "declares 1 replica".to_string(),
        Some(n) => format!("declares {n} replicas"),
        None => "runs a pod on every eligible node".to_string(),
    };
    format!(
        "{} {asks} but no pod of it is in the input, so what its pods run could not be \
         seen; collect its pods (`kubectl get pods -n {} -o yaml`) and re-run",
        w.display(),
        w.object.meta.namespace.as_deref().unwrap_or("default")
    )
}

// Wording: the sentences the checks of this family say alike.

pub fn unreadable_pod_status(error: &ViewError) -> String {
    format!("could not read the pod's status: {error}; fix the object and re-run")
}
