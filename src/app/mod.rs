//! The application: the commands a user runs, on top of every stage.
//!
//! [`cli`] declares the command line; [`config`] merges defaults, the config file and flags
//! into settings; [`run`] runs each command (collect, assess, render, bundle, verify) from
//! them; [`archive`] keeps each run's reports under a folder per period; [`fleet`] combines
//! archived runs of several clusters.

pub mod archive;
pub mod cli;
pub mod config;
pub mod fleet;
pub mod run;
