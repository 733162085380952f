//! What the checks of running pods share (`running-image-consistent`, `images-scanned`,
//! `no-ephemeral-containers`): the sentence of a pod whose status cannot be read.

use crate::evidence::object::ViewError;

// Wording: the sentences the checks of this family say alike.

pub fn unreadable_pod_status(error: &ViewError) -> String {
    format!("could not read the pod's status: {error}; fix the object and re-run")
}
