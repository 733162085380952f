//! `evidencer fleet`: one report over the archived runs of several clusters, without
//! collecting anything again.
//!
//! Takes the clusters' `report.json` files (or directories holding one: an `--archive`
//! period folder, a bundle directory), checks that each is an evidencer report this
//! version reads, that a bundle manifest beside it names its sha256, and that they make
//! one fleet (one period, each cluster once); then combines them with
//! [`crate::report::fleet::combine`], as `report` does for several clusters, and writes the
//! usual reports to `--out`. Any refusal comes before anything is written.

use std::path::{Path, PathBuf};

use crate::app::cli::FleetArgs;
use crate::app::config::{self, Format};
use crate::app::run::{AppError, Extras, render_reports, settings, write_reports};
use crate::bundle::BundleInfo;
use crate::evidence::manifest::{self, Manifest};
use crate::report::fleet::{self, ClusterRun};
use crate::report::templates::Templates;
use crate::report::{JSON_FILE_NAME, Report, SCHEMA_VERSION};

/// Why an archived run cannot be combined. Each names the input as given.
#[derive(Debug, thiserror::Error)]
pub enum FleetInputError {
    #[error("{input}: no such file or directory (nothing was written)")]
    Missing { input: String },
    #[error(
        "{input}: the directory holds no report.json (nor reports/report.json): give a run's \
         report.json or the folder it was written to (nothing was written)"
    )]
    NoReport { input: String },
    #[error("{input}: cannot read {}", .path.display())]
    Read {
        input: String,
        path: PathBuf,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error(
        "{input}: {} is not an evidencer report.json ({reason}); give the report.json a \
         `report` run wrote (nothing was written)",
        .path.display()
    )]
    NotReport {
        input: String,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "{input}: {} has schema_version {found}; this evidencer reads version {SCHEMA_VERSION}: \
         combine reports of one version, or rerun the older clusters (nothing was written)",
        .path.display()
    )]
    Schema {
        input: String,
        path: PathBuf,
        found: u64,
    },
    #[error(
        "{input}: the bundle manifest {} names report {named}, but {} has sha256 {actual}: \
         the report was changed after the bundle was written, or is another run's (nothing \
         was written)",
        .manifest.display(),
        .path.display()
    )]
    IdMismatch {
        input: String,
        path: PathBuf,
        manifest: PathBuf,
        named: String,
        actual: String,
    },
    #[error(
        "{input}: the bundle {} beside the report cannot be read ({reason}); move it away \
         or replace it with the run's own (nothing was written)",
        .bundle.display()
    )]
    Bundle {
        input: String,
        bundle: PathBuf,
        reason: String,
    },
    #[error(
        "{input}: the report's sources name no cluster (a snapshot read without a manifest, \
         or several clusters): give it as NAME=PATH (nothing was written)"
    )]
    Unnamed { input: String },
    #[error("{input}: its report is of {found}, not of --period {wanted} (nothing was written)")]
    OtherPeriod {
        input: String,
        found: String,
        wanted: String,
    },
    #[error(
        "{input}: it is a fleet report itself: combine the clusters' own reports (nothing was \
         written)"
    )]
    IsFleet { input: String },
    #[error(
        "--out {}: it is the folder of the input {input}; write the fleet's reports elsewhere \
         (nothing was written)",
        .out.display()
    )]
    OutIsInput { input: String, out: PathBuf },
}

/// One argument: `NAME=PATH` or `PATH`.
fn split_name(arg: &str) -> (Option<&str>, &str) {
    let entry = config::SnapshotEntry::parse(arg);
    match entry.name {
        // A path that exists as written is a path, even with a `=` in it.
        Some(_) if Path::new(arg).exists() => (None, arg),
        Some(_) => {
            let (name, path) = arg.split_once('=').expect("parse found a `=`");
            (Some(name), path)
        }
        None => (None, arg),
    }
}

/// The report.json an input names: itself, or in the directory (`report.json`, else a bundle
/// directory's `reports/report.json`).
fn report_path(input: &str, path: &Path) -> Result<PathBuf, FleetInputError> {
    let meta = std::fs::metadata(path).map_err(|_| FleetInputError::Missing {
        input: input.to_string(),
    })?;
    if !meta.is_dir() {
        return Ok(path.to_path_buf());
    }
    [
        path.join(JSON_FILE_NAME),
        path.join("reports").join(JSON_FILE_NAME),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .ok_or_else(|| FleetInputError::NoReport {
        input: input.to_string(),
    })
}

/// The bundle manifests that speak for a report.json: a `manifest.json` beside it, the
/// bundle's own when it is a bundle's `reports/report.json`, and those of the bundles filed
/// in its folder (an archived period's `evidence.tar.gz` or bundle directory; a `.tar.gz`
/// is unpacked into a temporary directory to read its manifest). Manifests that are not a
/// bundle's (a snapshot's) are not about the report and are left alone.
fn bundle_manifests(
    input: &str,
    report: &Path,
    limit: u64,
) -> Result<Vec<(PathBuf, BundleInfo)>, FleetInputError> {
    let (dir, mut candidates) = manifest::beside_report(report);
    let mut archives = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            if p.is_dir() {
                candidates.push(p.join(manifest::FILE_NAME));
            } else if name.is_some_and(|n| n.ends_with(".tar.gz") || n.ends_with(".tgz")) {
                archives.push(p);
            }
        }
    }
    let read = |p: &Path| -> Option<BundleInfo> {
        let m = Manifest::read(p, limit).ok()?;
        let part = m.extra.get(crate::bundle::EXTRA_KEY)?;
        serde_json::from_value(part.clone()).ok()
    };
    let mut found: Vec<(PathBuf, BundleInfo)> = candidates
        .into_iter()
        .filter(|p| p.is_file())
        .filter_map(|p| read(&p).map(|info| (p, info)))
        .collect();
    for archive in archives {
        let unreadable = |reason: String| FleetInputError::Bundle {
            input: input.to_string(),
            bundle: archive.clone(),
            reason,
        };
        let tmp = tempfile::Builder::new()
            .prefix(".evidencer-fleet.")
            .tempdir()
            .map_err(|e| unreadable(e.to_string()))?;
        crate::bundle::tar_gz::extract(&archive, tmp.path(), Default::default())
            .map_err(|e| unreadable(crate::base::text::error_chain(&e)))?;
        let manifest = tmp.path().join(manifest::FILE_NAME);
        match read(&manifest) {
            Some(info) => found.push((archive.clone(), info)),
            None => return Err(unreadable("it holds no bundle manifest.json".into())),
        }
    }
    Ok(found)
}

/// Reads one input: the report, checked, with its cluster's name and its id.
fn read_input(arg: &str, limit: u64) -> Result<ClusterRun, FleetInputError> {
    let (name, path) = split_name(arg);
    let input = arg.to_string();
    let path = report_path(arg, Path::new(path))?;
    let bytes = crate::base::input::read(&path, limit).map_err(|source| FleetInputError::Read {
        input: input.clone(),
        path: path.clone(),
        source,
    })?;
    let not_report = |reason: String| FleetInputError::NotReport {
        input: input.clone(),
        path: path.clone(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| not_report(format!("not JSON: {e}")))?;
    if value.pointer("/tool/name").and_then(|v| v.as_str()) != Some("evidencer") {
        return Err(not_report("its tool.name is not evidencer".into()));
    }
    match value.get("schema_version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(found) => {
            return Err(FleetInputError::Schema { input, path, found });
        }
        None => return Err(not_report("it has no schema_version".into())),
    }
    drop(value);
    let report = Report::from_json(&bytes).map_err(|e| not_report(e.to_string()))?;
    let id = Report::id(&bytes);
    for (manifest, info) in bundle_manifests(&input, &path, limit)? {
        if info.report_id != id {
            return Err(FleetInputError::IdMismatch {
                input,
                path,
                manifest,
                named: info.report_id,
                actual: id,
            });
        }
    }
    if !report.clusters.is_empty() {
        return Err(FleetInputError::IsFleet { input });
    }
    let context = fleet::cluster_of(&report);
    let name = match (name, &context) {
        (Some(name), _) => name.to_string(),
        (None, Some(context)) => context.clone(),
        (None, None) => return Err(FleetInputError::Unnamed { input }),
    };
    Ok(ClusterRun {
        name,
        context,
        report_id: Some(id),
        report,
    })
}

/// `evidencer fleet`.
pub fn run(args: &FleetArgs) -> Result<(), AppError> {
    let mut layer = config::ConfigFile {
        out: Some(args.out.clone()),
        ..Default::default()
    };
    layer.formats = Some(if args.formats.is_empty() {
        vec![
            Format::Md,
            Format::Html,
            Format::Json,
            Format::Pdf,
            Format::Csv,
        ]
    } else {
        args.formats.clone()
    });
    let mut settings = settings(args.config.as_deref(), layer)?;
    let limit = settings.max_file_size;
    // With --period, each input is an archive and its period's folder is read.
    let label = match &args.period {
        Some(spec) => {
            let as_of = match &args.as_of {
                Some(s) => crate::base::timefmt::parse_as_of(s)?,
                None => chrono::Utc::now(),
            };
            let label = crate::evidence::period::parse(spec, as_of)?.label;
            settings.out = settings.out.join(&label);
            Some(label)
        }
        None => None,
    };
    let inputs: Vec<String> = args
        .inputs
        .iter()
        .map(|arg| match &label {
            Some(label) => {
                let (name, path) = split_name(arg);
                let path = Path::new(path).join(label).display().to_string();
                match name {
                    Some(name) => format!("{name}={path}"),
                    None => path,
                }
            }
            None => arg.clone(),
        })
        .collect();
    let mut runs = Vec::with_capacity(inputs.len());
    for arg in &inputs {
        let run = read_input(arg, limit)?;
        if let Some(wanted) = &label
            && (run.report.period_kind != crate::report::PeriodKind::Period
                || &run.report.stated_period.label != wanted)
        {
            return Err(FleetInputError::OtherPeriod {
                input: arg.clone(),
                found: run.report.stated_period.label.clone(),
                wanted: wanted.clone(),
            }
            .into());
        }
        let (_, path) = split_name(arg);
        let folder = report_path(arg, Path::new(path))?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        if same_dir(&folder, &settings.out) {
            return Err(FleetInputError::OutIsInput {
                input: arg.clone(),
                out: settings.out.clone(),
            }
            .into());
        }
        runs.push(run);
    }
    let report = fleet::combine(runs)?;
    if let Some(max) = settings.findings_limit()
        && report.findings.len() > max as usize
    {
        return Err(AppError::TooManyFindings {
            count: report.findings.len(),
            max,
            top: format!("{} clusters", report.clusters.len()),
        });
    }
    let templates = settings
        .formats
        .iter()
        .any(|f| matches!(f, Format::Md | Format::Html))
        .then(|| Templates::load(settings.templates.as_deref(), limit))
        .transpose()?;
    let rendered = render_reports(&settings, &report, templates.as_ref(), &Extras::default())?;
    if let Some(staged) = write_reports(&settings.out, &rendered, false)? {
        staged.commit()?;
    }
    tracing::info!(
        target: crate::app::run::SUMMARY_TARGET,
        out = %settings.out.display(),
        clusters = report.clusters.len(),
        controls = report.controls.len(),
        not_satisfied = report.summary.controls_by_verdict["not_satisfied"],
        "fleet report written"
    );
    Ok(())
}

/// Whether two paths are one directory (both existing, same canonical path).
fn same_dir(a: &Path, b: &Path) -> bool {
    let a = if a.as_os_str().is_empty() {
        Path::new(".")
    } else {
        a
    };
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
