//! Shared by the version checks: a version judged against the end-of-life data as of the
//! report's date, turned into a status, a message and details.
//!
//! The mapping: a supported line passes (maintenance mode included: upstream still ships
//! security fixes); an ended line fails, and so does a version older than every listed line
//! once the oldest has ended; a version the data does not list, or a product it does not
//! know, is `not_assessed`: it is the data that is missing, not a fault of the cluster, and a
//! stale data file must never turn into a pass.

use serde_json::{Value, json};

use crate::checks::CheckSettings;
use crate::evidence::finding::Status;
use crate::facts::eol::{Judgement, Version};
use crate::messages;

/// A judged version: status, message and the facts behind it.
pub struct Judged {
    pub status: Status,
    pub message: String,
    pub details: Vec<(&'static str, Value)>,
}

/// Judges `version` of `product` on the as-of day.
pub fn judge(settings: &CheckSettings, product: &str, version: &Version) -> Judged {
    let day = settings.as_of.date_naive();
    let data = &settings.eol;
    let judgement = data.judge(product, version, day);
    let status = match judgement {
        Judgement::Supported { .. } => Status::Pass,
        Judgement::EndOfLife { .. } | Judgement::OlderThanKnown { .. } => Status::Fail,
        Judgement::Unknown { .. } | Judgement::NoProduct => Status::NotAssessed,
    };
    let mut details = vec![
        ("version", json!(version.raw)),
        ("eol_data", json!(data.file.path)),
        ("eol_data_compiled", json!(data.compiled.to_string())),
    ];
    let line = match judgement {
        Judgement::Supported { line, .. } | Judgement::EndOfLife { line, .. } => Some(line),
        Judgement::OlderThanKnown { oldest, .. } => Some(oldest),
        _ => None,
    };
    if let Some(line) = line {
        details.push(("release_line", json!(line.version.to_string())));
        details.push(("released", json!(line.released.to_string())));
        details.push((
            "end_of_life",
            json!(line.end_of_life.map(|d| d.to_string())),
        ));
        if line.lts {
            details.push(("lts", json!(true)));
        }
        if let Some(source) = &line.source {
            details.push(("eol_source", json!(source)));
        }
    }
    Judged {
        status,
        message: messages::eol_judgement(product, version, &judgement, day, data.compiled),
        details,
    }
}
