//! Shared by the version checks: a version judged against the end-of-life data as of the
//! report's date, turned into a status, a message and details.
//!
//! The mapping: a supported line passes (maintenance mode included: upstream still ships
//! security fixes); an ended line fails, and so does a version older than every listed line
//! once the oldest has ended; a version the data does not list, or a product it does not
//! know, is `not_assessed`: it is the data that is missing, not a fault of the cluster, and a
//! stale data file must never turn into a pass.

use serde_json::{Value, json};

use crate::base::phrase::days;
use crate::checks::CheckSettings;
use crate::evidence::finding::Status;
use crate::facts::eol::{Judgement, Version};

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
    let mut status = status;
    let mut message = eol_judgement(product, version, &judgement, day, data.compiled);
    let age = (day - data.compiled).num_days();
    if age > STALE_EOL_DATA_DAYS {
        // A version judged on old data may have reached its end since: a pass cannot stand.
        if status == Status::Pass {
            status = Status::Warn;
        }
        message.push_str(&stale_eol_data(data.compiled, age));
        details.push(("eol_data_stale", json!(true)));
    }
    if let Some(distribution) = managed_distribution(&version.raw) {
        message.push_str(&managed_note(distribution, data.file.builtin.then_some("")));
        details.push(("distribution", json!(distribution)));
    }
    Judged {
        status,
        message,
        details,
    }
}

/// End-of-life data compiled more than this many days before the as-of date is stale: a
/// quarterly job runs for years on one image, and its dates with it.
pub const STALE_EOL_DATA_DAYS: i64 = 180;

/// The managed or packaged distribution a version string names by its suffix (`-eks`,
/// `-gke`, `+aks`, and the `+k3s` / `+rke2` builds): their support calendars are the
/// provider's, which may differ from upstream's.
pub fn managed_distribution(raw: &str) -> Option<&'static str> {
    const SUFFIXES: [(&str, &str); 5] = [
        ("-eks", "Amazon EKS"),
        ("-gke", "Google GKE"),
        ("+aks", "Azure AKS"),
        ("+k3s", "K3s"),
        ("+rke2", "RKE2"),
    ];
    let raw = raw.to_ascii_lowercase();
    SUFFIXES
        .iter()
        .find(|(suffix, _)| raw.contains(suffix))
        .map(|(_, name)| *name)
}

fn stale_eol_data(compiled: chrono::NaiveDate, age: i64) -> String {
    format!(
        "; the end-of-life data is stale: compiled on {compiled}, {age} days before the as-of \
         date (more than {STALE_EOL_DATA_DAYS}), so a release line may have reached its end \
         since; update evidencer or pass current data with --eol-data"
    )
}

/// `builtin` is Some for the built-in (upstream) data.
fn managed_note(distribution: &str, builtin: Option<&str>) -> String {
    match builtin {
        Some(_) => format!(
            "; {distribution} build: upstream end-of-life dates were used; pass the \
             provider's calendar with --eol-data to judge by it"
        ),
        None => format!(
            "; {distribution} build, judged by the dates of the --eol-data file: \
             they should be the provider's calendar"
        ),
    }
}

// Wording: the sentences the checks of this family say alike.

pub fn eol_judgement(
    product: &str,
    version: &crate::facts::eol::Version,
    judgement: &crate::facts::eol::Judgement<'_>,
    day: chrono::NaiveDate,
    compiled: chrono::NaiveDate,
) -> String {
    use crate::facts::eol::Judgement;
    let lts = |line: &crate::facts::eol::Line| if line.lts { " LTS" } else { "" };
    match judgement {
        Judgement::Supported {
            product,
            line,
            maintenance,
        } => match (line.end_of_life, maintenance) {
            (None, _) => format!(
                "{} {}{} ({version}) is supported: no end-of-life date was announced when the \
                 end-of-life data was compiled ({compiled})",
                product.name,
                line.version,
                lts(line)
            ),
            (Some(end), false) => format!(
                "{} {}{} ({version}) is supported on {day}; its end of life is {end}, {} later",
                product.name,
                line.version,
                lts(line),
                days((end - day).num_days())
            ),
            (Some(end), true) => format!(
                "{} {}{} ({version}) is supported on {day} but in maintenance mode since {} \
                 (critical and security fixes only); its end of life is {end}, {} later",
                product.name,
                line.version,
                lts(line),
                line.maintenance_from
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                days((end - day).num_days())
            ),
        },
        Judgement::EndOfLife { product, line } => {
            let end = line.end_of_life.expect("an ended line has an end");
            format!(
                "{} {}{} ({version}) reached end of life on {end}, {} before {day}: it no \
                 longer gets security fixes",
                product.name,
                line.version,
                lts(line),
                days((day - end).num_days())
            )
        }
        Judgement::OlderThanKnown { product, oldest } => format!(
            "{} {version} is older than {}, the oldest line in the end-of-life data, which \
             ended on {}: it no longer gets security fixes",
            product.name,
            oldest.version,
            oldest
                .end_of_life
                .map(|d| d.to_string())
                .unwrap_or_default()
        ),
        Judgement::Unknown { product, newest } => format!(
            "{} {version} is not in the end-of-life data (compiled {compiled}{}): a version the \
             data does not list is not assumed supported; update the data or pass --eol-data",
            product.name,
            newest
                .map(|l| format!(", newest line {}", l.version))
                .unwrap_or_default()
        ),
        Judgement::NoProduct => format!(
            "the end-of-life data has no `{product}` product, so {version} cannot be judged; add \
             one with --eol-data"
        ),
    }
}

pub fn no_server_version() -> String {
    "the API server version is not in the input: put `kubectl version -o json` output in \
     version.json beside the snapshot"
        .into()
}
