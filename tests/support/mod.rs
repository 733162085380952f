//! Test support shared by the integration tests: the local Kubernetes API server.

pub mod apiserver;
