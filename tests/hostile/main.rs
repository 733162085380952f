//! Hostile and faulty inputs of issue 11, through the real binary: one module per area.

#[path = "../support/mod.rs"]
mod support;

mod outputs;
