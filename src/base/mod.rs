//! Leaf utilities every stage needs, with no domain types: reading YAML ([`yaml`], and with
//! file lines, [`yaml::tree`]), text whose lines know their file lines ([`lines`]), times and
//! dates ([`timefmt`]), opening user-given files with size limits ([`input`]), writing outputs
//! atomically ([`output`]), escaping text for display ([`text`]) and the phrasings every
//! sentence builder shares ([`phrase`]), and strings kept for the run's life ([`interned`]).
//!
//! They sit under the evidence model so that the model stays free of I/O and no stage keeps
//! its own copy: the config loader, the catalogs and the collectors read YAML; every
//! renderer escapes text. Nothing here imports anything else of the crate.

pub mod input;
pub mod interned;
pub mod lines;
pub mod output;
pub mod phrase;
pub mod text;
pub mod timefmt;
pub mod yaml;
