//! What the Git history of a repository says about images over the period.
//!
//! The Git collector gives one [`History`] per repository: every change of an image
//! reference in the period ([`ImageChange`], the timeline rows of `report.json`), and for each
//! image slot in use at the period end ([`SlotHistory`], owned by an [`Owner`]) when its image
//! was put there and the times it changed. The check `images-updated-in-period` judges them.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One change of an image reference found in Git history: a row of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ImageChange {
    /// The commit's effective time (when it landed), RFC 3339, UTC.
    pub time: String,
    /// Full commit id.
    pub commit: String,
    /// The commit's author name.
    pub author: String,
    /// The repository source it was found in.
    pub source: String,
    /// The file whose image reference changed, relative to the repository.
    pub path: String,
    /// What the image belongs to: `Deployment shop/api container api`, `Kustomization
    /// overlays/prod image ghcr.io/acme/api`, `Helm chart charts/api values image.tag`.
    pub subject: String,
    /// `None` when the reference was added.
    pub old_image: Option<String>,
    /// `None` when the reference was removed.
    pub new_image: Option<String>,
}

/// What an image slot belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// A container of a workload manifest.
    Container {
        kind: String,
        namespace: Option<String>,
        name: String,
        container: String,
    },
    /// An `images:` entry of a kustomization, by its `name`.
    Kustomize { dir: String, name: String },
    /// An image key of a Helm values file: the chart directory and the key path.
    Values { chart: String, key: String },
    /// An image key of a Flux HelmRelease's `spec.values`.
    HelmRelease {
        namespace: Option<String>,
        name: String,
        key: String,
    },
}

impl Owner {
    /// How the timeline names it: `Deployment shop/api container api`, `Kustomization
    /// overlays/prod image ghcr.io/acme/api`, `Helm chart charts/api values image`,
    /// `HelmRelease flux-system/api values image`.
    pub fn describe(&self) -> String {
        let ns = |ns: &Option<String>| ns.as_ref().map(|n| format!("{n}/")).unwrap_or_default();
        match self {
            Owner::Container {
                kind,
                namespace,
                name,
                container,
            } => format!("{kind} {}{name} container {container}", ns(namespace)),
            Owner::Kustomize { dir, name } => format!("Kustomization {dir} image {name}"),
            Owner::Values { chart, key } => format!("Helm chart {chart} values {key}"),
            Owner::HelmRelease {
                namespace,
                name,
                key,
            } => format!("HelmRelease {}{name} values {key}", ns(namespace)),
        }
    }
}

/// When the image in use at the period end was put there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Introduced {
    /// By this commit.
    At { commit: String, time: String },
    /// At or before this commit: the history read ends there (its first commit, or where a
    /// shallow clone cuts it).
    AtOrBefore { commit: String, time: String },
}

impl Introduced {
    pub fn time(&self) -> DateTime<Utc> {
        let t = match self {
            Introduced::At { time, .. } | Introduced::AtOrBefore { time, .. } => time,
        };
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    pub fn commit(&self) -> &str {
        match self {
            Introduced::At { commit, .. } | Introduced::AtOrBefore { commit, .. } => commit,
        }
    }
}

/// One image slot in use at the period end, with its history over the period.
#[derive(Clone, Debug)]
pub struct SlotHistory {
    pub path: String,
    pub owner: Owner,
    /// The image it names at the period end.
    pub image: String,
    pub line: u32,
    /// Times of the commits in the period that changed it, oldest first.
    pub changes: Vec<DateTime<Utc>>,
    /// None when it could not be traced (the walk back failed on an unreadable commit).
    pub introduced: Option<Introduced>,
    /// The renames the slot went through (its workload, or its file), oldest first: in the
    /// period, and before it as far as the walk back went. Its changes and the commit that
    /// introduced its image are followed across them.
    pub renamed: Vec<Renamed>,
}

/// A slot renamed by a commit: its workload renamed in the same file, or its file moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renamed {
    /// Full commit id.
    pub commit: String,
    /// The commit's effective time, RFC 3339, UTC.
    pub time: String,
    /// The file and owner before the commit.
    pub from_path: String,
    pub from: Owner,
}

/// What the history of one repository says about images over the period.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub source: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// The commit whose tree is the period end's state, when there is one.
    pub end_commit: Option<String>,
    /// Commits of the period that were diffed.
    pub commits_in_period: usize,
    pub changes: Vec<ImageChange>,
    pub slots: Vec<SlotHistory>,
}
