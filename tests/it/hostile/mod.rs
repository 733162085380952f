//! Hostile and faulty input, end to end (issue 11): the real binary, each run under a
//! timeout, so a hang fails its test instead of hanging CI. One module per area.

mod git;
mod inputs;
mod outputs;
mod redaction;
