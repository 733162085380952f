//! What several checks of one family share: the findings they build alike and the sentences
//! they say alike. A check's own wording lives in the check's file; only what two or more
//! checks say goes here.
//!
//! - [`admission`]: the checks of admission policies.
//! - [`audit`]: the checks of the API audit logs.
//! - [`ci`]: the checks over repositories' pipelines, scripts and runbooks.
//! - [`dockerfile`]: the Dockerfile checks.
//! - [`gitops`]: the Git-to-live checks (`no-manual-edits`, `live-matches-git`).
//! - [`nodes`]: the node checks.
//! - [`running`]: the checks of running pods.
//! - [`versions`]: the end-of-life judgement of the version checks.

pub mod admission;
pub mod audit;
pub mod ci;
pub mod dockerfile;
pub mod gitops;
pub mod nodes;
pub mod running;
pub mod versions;
