//! A data file a run judged by (end-of-life data, a catalog, a template), as `report.json`'s
//! provenance lists it: path, whether it is the built-in copy, and the sha256 of its bytes.

use serde::Serialize;

/// One data file a run read, so an auditor can tell which rules judged the evidence.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct DataFile {
    pub path: String,
    pub builtin: bool,
    pub sha256: String,
}
