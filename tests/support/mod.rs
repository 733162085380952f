//! Test support shared by the integration tests: the local Kubernetes API server, helpers
//! that read findings out of a report, Git repositories built for the history tests, the
//! mount-namespace guard of the fault tests, [`need`]: what a test needs from the machine (a
//! skip elsewhere, a failure under `CI=true`), [`peak`]: a run's own peak memory, and
//! [`reruns`]: two runs that differ in all that must not change the output.

#![allow(dead_code)]

pub mod apiserver;
pub mod findings;
pub mod git;
pub mod kustomize;
pub mod namespaces;
pub mod need;
pub mod peak;
pub mod reruns;
