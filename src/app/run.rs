//! The pipeline of `report`, and the listing commands: collect → check → map → render.
//!
//! Each stage takes the previous stage's output and its own settings, nothing else. Errors
//! that stop a run are [`AppError`]s; problems with parts of the input are not errors, they
//! are recorded in the report and the rest is still assessed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use rayon::prelude::*;

use crate::app::archive::{Archive, ArchiveError, Staging};
use crate::app::cli::{CollectArgs, ListArgs, ReportArgs, VerifyArgs};
use crate::app::config::{self, ConfigError, FailOn, Format, Settings, SnapshotEntry};
use crate::assess::catalog::{Catalog, CatalogError};
use crate::assess::exceptions::{self, ExceptionError};
use crate::assess::questionnaire::{self, Questionnaire, QuestionnaireError};
use crate::assess::{self, Verdict};
use crate::base::output::{self, OutputError, Staged};
use crate::base::timefmt::{self, TimeError};
use crate::bundle::sign::{SignError, SigningKey};
use crate::bundle::verify::VerifyError;
use crate::bundle::{self, BundleError, BundleInput};
use crate::checks::{self, CheckContext, CheckSettings};
use crate::collect::attestations::{self, AttestationError};
use crate::collect::audit::{self, AuditLog};
use crate::collect::cluster::write::{CollectError, collect_snapshot};
use crate::collect::cluster::{self, ClusterError};
use crate::collect::git::{self, GitOptions};
use crate::collect::results::ResultRecord;
use crate::collect::scope::Scope;
use crate::collect::snapshot;
use crate::evidence::attestation::{self, Attested};
use crate::evidence::datafile::DataFile;
use crate::evidence::finding::assign_ids;
use crate::evidence::inventory::Inventory;
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::period::{self, Period, PeriodError};
use crate::evidence::record::SourceKind;
use crate::facts::Facts;
use crate::facts::eol::{EolData, EolError};
use crate::report::oscal::{self, OscalInput};
use crate::report::pdf::{self, PdfInput};
use crate::report::templates::{TemplateError, Templates};
use crate::report::view::ReportView;
use crate::report::xlsx::{self, WorkbookError, XlsxInput};
use crate::report::{Report, RunInfo, csv, diff, fleet};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Eol(#[from] EolError),
    #[error(transparent)]
    Exceptions(#[from] ExceptionError),
    #[error(transparent)]
    Attestations(#[from] AttestationError),
    #[error(transparent)]
    Questionnaire(#[from] QuestionnaireError),
    #[error(transparent)]
    Workbook(#[from] WorkbookError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("--sign-key signs the evidence bundle: give --bundle PATH too (nothing was written)")]
    SignWithoutBundle,
    #[error(
        "--oscal-ssp names the system security plan of the OSCAL assessment plan: add oscal to \
         --format too (nothing was written)"
    )]
    SspWithoutOscal,
    #[error(
        "--format oscal: the catalogs hold no control, and OSCAL assessment results must name \
         the controls they reviewed; add a catalog with controls (nothing was written)"
    )]
    OscalWithoutControls,
    #[error(
        "--oscal-ssp is empty: give the location of the system security plan (a URL, or a path \
         relative to assessment-plan.json), or leave it out for the placeholder"
    )]
    SspEmpty,
    #[error("--as-of")]
    AsOf(#[from] TimeError),
    #[error(transparent)]
    Period(#[from] PeriodError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(
        "--archive files each run under its period: give --period (e.g. previous-quarter) or \
         --since and --until"
    )]
    ArchiveNeedsPeriod,
    #[error("--keep and --replace only apply with --archive DIR")]
    ArchiveOnly,
    #[error("--keep must be at least 1")]
    KeepZero,
    #[error(
        "--compare-previous compares with the previous period in the archive: give --archive DIR too"
    )]
    CompareNeedsArchive,
    #[error(
        "--compare-previous: the previous period's report cannot be compared (nothing was \
         written; move that period's folder out of the archive, or run without \
         --compare-previous)"
    )]
    Previous(#[source] crate::report::diff::LoadError),
    #[error("cannot compare the reports (nothing was written)")]
    Diff(#[source] crate::report::diff::LoadError),
    #[error(
        "the input gives {count} findings, more than the {max} rendered into md, html, pdf or \
         xlsx (about 20 KB of memory each there; --max-findings); most from {top}. Nothing was \
         written: narrow the input (-n NAMESPACE, fewer --snapshot paths), write \
         --format json,csv (no limit), or raise --max-findings with the memory to match"
    )]
    TooManyFindings { count: usize, max: u32, top: String },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Fleet(#[from] fleet::FleetError),
    #[error(transparent)]
    FleetInput(#[from] crate::app::fleet::FleetInputError),
    #[error(
        "{input} names no cluster, and the run has several ({clusters}): give the snapshot \
         as NAME=PATH, or the live cluster's --context (nothing was assessed)"
    )]
    UnnamedCluster { input: String, clusters: String },
    #[error(
        "--bundle with several clusters is not supported yet: write one bundle per cluster \
         (a run per --context or snapshot) and combine their reports with `evidencer fleet` \
         (nothing was written)"
    )]
    FleetBundle,
    #[error("collect reads one cluster: give one --context (a run per cluster)")]
    CollectOneContext,
    #[error(transparent)]
    Collect(#[from] CollectError),
    #[error(
        "nothing to assess: give at least one --snapshot PATH, --repo PATH or --cluster (or \
         `snapshots:`, `repos:` or `cluster: true` in evidencer.yaml)"
    )]
    NoInput,
    #[error("collect reads a live cluster: add --cluster (or `cluster: true` in evidencer.yaml)")]
    CollectNeedsCluster,
    #[error(
        "--snapshot {}: {}; check the path (nothing was assessed)",
        .0.display(),
        if .0.is_symlink() { "a symbolic link to nothing" } else { "no such file or directory" }
    )]
    SnapshotMissing(PathBuf),
    #[error(
        "--snapshot {}: it is {}, not a file or a directory; only regular files are read \
         (save the output to a file first; nothing was assessed)",
        .0.display(),
        .1
    )]
    SnapshotNotRegular(PathBuf, &'static str),
    #[error("--repo {}: no such directory; check the path (nothing was assessed)", .0.display())]
    RepoMissing(PathBuf),
    #[error(
        "--audit-log {}: no such file or directory; check the path, or quote a pattern \
         (nothing was assessed)",
        .0.display()
    )]
    AuditLogMissing(PathBuf),
    #[error(
        "--results {}: no such file or directory; check the path (nothing was assessed)",
        .0.display()
    )]
    ResultsMissing(PathBuf),
    #[error("no check has the id `{0}`; `evidencer checks` lists them")]
    UnknownCheck(String),
    /// Only a write to stdout: an I/O error anywhere else belongs to the error of what was
    /// being read or written, with its path (no `From`, so none lands here by `?`).
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
}

/// What a finished `report` run tells `main`.
#[derive(Debug)]
pub struct Outcome {
    pub exit_code: u8,
}

/// Defaults, then the config file, then the flags.
pub(crate) fn settings(
    config_file: Option<&std::path::Path>,
    flags: config::ConfigFile,
) -> Result<Settings, AppError> {
    let mut settings = Settings::default();
    // The config file is read before it can set the cap on input files: the flag's cap
    // applies to it, else the default.
    let limit = flags
        .max_file_size
        .unwrap_or(crate::base::input::DEFAULT_MAX_FILE_SIZE);
    if let Some((path, file)) = config::read(config_file, limit)? {
        settings = settings.with_layer(file);
        settings.config_file = Some(path);
    }
    Ok(settings.with_layer(flags))
}

/// `evidencer report`.
pub fn report(args: &ReportArgs) -> Result<Outcome, AppError> {
    let settings = settings(args.config.as_deref(), args.as_layer())?;
    if args.dump_config {
        print_stdout(settings.to_yaml())?;
        return Ok(Outcome { exit_code: 0 });
    }
    run_report(&settings)
}

/// Runs the pipeline with merged settings.
pub fn run_report(settings: &Settings) -> Result<Outcome, AppError> {
    let started = Instant::now();
    // Every collector, the facts and the checks read the same workload kinds.
    crate::evidence::workload_kinds::install(&settings.workload_kinds);
    if settings.snapshots.is_empty()
        && settings.repos.is_empty()
        && settings.audit_logs.is_empty()
        && !settings.cluster
    {
        return Err(AppError::NoInput);
    }
    let as_of = match &settings.as_of {
        Some(s) => timefmt::parse_as_of(s)?,
        None => Utc::now(),
    };
    let period = audit_period(settings, as_of)?;
    // The archive is opened before anything is collected: a refused or unwritable archive
    // fails the run in a second, not after the collection. Only a period asked for names a
    // folder: Git's default window does not.
    let archive = open_archive(
        settings,
        period
            .as_ref()
            .filter(|(_, default)| !default)
            .map(|(p, _)| p),
    )?;
    let limit = settings.max_file_size;
    let previous = previous_report(settings, archive.as_ref())?;
    let catalog = Catalog::load(settings.builtin_catalogs, &settings.catalogs, limit)?;
    // Inputs that can be wrong are read before anything is collected, so a typo costs
    // nothing and leaves nothing half-written.
    let accepted = match &settings.exceptions {
        Some(path) => Some((path, exceptions::load(path, limit)?)),
        None => None,
    };
    // The mapping names controls: it is checked against the catalogs just loaded.
    let mapping = match &settings.questionnaire {
        Some(path) => {
            let controls: Vec<&str> = catalog.controls.iter().map(|c| c.id.as_str()).collect();
            Some((path, questionnaire::load(path, &controls, limit)?))
        }
        None => None,
    };
    if mapping.is_some()
        && !settings
            .formats
            .iter()
            .any(|f| matches!(f, Format::Csv | Format::Xlsx))
    {
        tracing::warn!(
            "--questionnaire answers the customer's questions in answers.csv and answers.xlsx: \
             add csv or xlsx to --format (the other formats answer per control)"
        );
    }
    let attested = match &settings.attestations {
        Some(setting) => {
            let controls: Vec<&str> = catalog.controls.iter().map(|c| c.id.as_str()).collect();
            attestations::load(setting, &controls, as_of.date_naive(), limit)?
        }
        None => Attested::default(),
    };
    if settings.sign_key.is_some() && settings.bundle.is_none() {
        return Err(AppError::SignWithoutBundle);
    }
    if let Some(ssp) = &settings.oscal_ssp {
        if !settings.formats.contains(&Format::Oscal) {
            return Err(AppError::SspWithoutOscal);
        }
        if ssp.trim().is_empty() {
            return Err(AppError::SspEmpty);
        }
    }
    if settings.formats.contains(&Format::Oscal) && catalog.controls.is_empty() {
        return Err(AppError::OscalWithoutControls);
    }
    let sign_key = settings
        .sign_key
        .as_deref()
        .map(|path| SigningKey::load(path, limit))
        .transpose()?;
    // A bundle directory that must not be replaced is refused before anything is collected
    // (a bare name filed in the archive goes to the new period folder).
    if let Some(path) = &settings.bundle
        && !(archive.is_some() && is_bare_name(path))
    {
        bundle::check_destination(path)?;
    }
    let eol = match &settings.eol_data {
        Some(path) => Arc::new(EolData::load(path, limit)?),
        None => EolData::builtin(),
    };
    let wants_text = settings
        .formats
        .iter()
        .any(|f| matches!(f, Format::Md | Format::Html));
    let templates = if wants_text {
        Some(Templates::load(settings.templates.as_deref(), limit)?)
    } else {
        None
    };

    // A typo in a path stops the run, as for --snapshot; a pattern that matches nothing is
    // an input problem of the report instead (rotated files come and go).
    if let Some(missing) = settings
        .audit_logs
        .iter()
        .find(|p| std::fs::symlink_metadata(p).is_err() && !audit::is_pattern(&p.to_string_lossy()))
    {
        return Err(AppError::AuditLogMissing(missing.clone()));
    }
    let stage = Instant::now();
    let (audit, mut seed) = read_audit_logs(settings, period.as_ref().map(|(p, _)| p));
    seed.merge(attested.inventory());
    check_input_paths(settings)?;
    let clusters = plan_clusters(settings)?;
    if clusters.len() > 1 && settings.bundle.is_some() {
        return Err(AppError::FleetBundle);
    }

    let check_settings = CheckSettings {
        as_of,
        trusted_registries: settings.trusted_registries.clone(),
        eol: eol.clone(),
        max_node_age_days: settings.max_node_age_days,
        max_scan_age_days: settings.max_scan_age_days,
        period: period.as_ref().map(|(p, _)| p.clone()),
        max_image_age_days: settings.max_image_age_days,
        attestations: attested.list.clone().into(),
        audit: settings.audit.clone(),
        patch_timeframes: settings.patch_timeframes_days,
        gitops: settings.gitops.clone(),
        repo_paths: settings.repo_paths.clone(),
    };
    let judge = Judge {
        check_settings: &check_settings,
        audit: audit.as_ref(),
        accepted: accepted.as_ref().map(|(_, (list, _))| list.as_slice()),
        catalog: &catalog,
        max_findings: settings.findings_limit(),
        as_of,
    };
    let stamp = timefmt::rfc3339(as_of);
    let run = RunInfo {
        generated_at: stamp.clone(),
        as_of: stamp,
        period: period.as_ref().map(|(p, _)| {
            let (start, end) = p.bounds();
            crate::report::Period {
                start,
                end,
                label: p.label.clone(),
            }
        }),
        data_files: std::iter::once(eol.file.clone())
            .chain(accepted.as_ref().map(|(path, (_, sha256))| DataFile {
                path: path.display().to_string(),
                builtin: false,
                sha256: sha256.clone(),
            }))
            .chain(attested.file.as_ref().map(|f| DataFile {
                path: f.path.clone(),
                builtin: false,
                sha256: f.sha256.clone(),
            }))
            .chain(mapping.as_ref().map(|(path, (_, sha256))| DataFile {
                path: path.display().to_string(),
                builtin: false,
                sha256: sha256.clone(),
            }))
            .collect(),
        templates: templates
            .as_ref()
            .map(|t| t.files.clone())
            .unwrap_or_default(),
    };
    let (report, objects, files) = if clusters.len() > 1 {
        let report = fleet_report(
            settings,
            clusters,
            period.as_ref(),
            as_of,
            seed,
            &judge,
            &run,
            &attested,
        )?;
        if let Some(max) = judge.max_findings
            && report.findings.len() > max as usize
        {
            return Err(AppError::TooManyFindings {
                count: report.findings.len(),
                max,
                top: most_findings(&report.findings),
            });
        }
        (report, Vec::new(), Vec::new())
    } else {
        let (inventory, results) = collect(settings, period.as_ref(), as_of, seed)?;
        tracing::debug!(
            objects = inventory.objects.len(),
            ms = stage.elapsed().as_millis() as u64,
            peak_mb = peak_rss_mb(),
            "stage: collect"
        );
        report_problems(&inventory);
        let (findings, excepted, controls) = judge.run(&inventory, results)?;
        let (mut report, objects, files) = if settings.bundle.is_some() {
            Report::build_keeping_evidence(run, inventory, findings, controls, &catalog)
        } else {
            let report = Report::build(run, inventory, findings, controls, &catalog);
            (report, Vec::new(), Vec::new())
        };
        report.exceptions = excepted;
        report.attestations = attested.entries(as_of.date_naive());
        (report, objects, files)
    };
    let mut report = report;
    let start = report.stated_period.start.clone();
    let earlier = match &previous {
        Some(PreviousReport::Found(p)) => Some(p.as_ref()),
        _ => None,
    };
    diff::carry_first_seen(&mut report.findings, &start, earlier);
    report.previous = previous.map(|p| match p {
        PreviousReport::Found(old) => diff::Previous::Compared(Box::new(diff::compare(
            &old,
            &diff::Loaded::of_report(&report),
        ))),
        PreviousReport::None => diff::Previous::None(
            "The archive holds no report of an earlier period: there is nothing to compare \
             with yet, and every finding counts as first seen in this period."
                .into(),
        ),
    });
    let out = match &archive {
        Some((_, staging)) => staging.path().to_path_buf(),
        None => settings.out.clone(),
    };
    // The events the findings cite, and no other line of the logs: all a bundle keeps.
    let audit_events: Vec<&crate::collect::audit::AuditEvent> = if settings.bundle.is_some() {
        let cited: std::collections::HashSet<&str> = report
            .findings
            .iter()
            .flat_map(|f| f.evidence.iter().map(String::as_str))
            .collect();
        audit
            .iter()
            .flat_map(|log| &log.events)
            .filter(|e| cited.contains(e.evidence_record().id.as_str()))
            .collect()
    } else {
        Vec::new()
    };
    // The workbook and the OSCAL observations name each record's file in the bundle, which
    // is written after them.
    let bundle_paths = (settings.bundle.is_some()
        && (settings.formats.contains(&Format::Xlsx) || settings.formats.contains(&Format::Oscal)))
    .then(|| {
        bundle::evidence_paths(&bundle::EvidenceInput {
            report: &report,
            objects: &objects,
            files: &files,
            audit_events: &audit_events,
            documents: &attested.list,
        })
    });
    let extras = Extras {
        questionnaire: mapping.as_ref().map(|(_, (q, _))| q),
        bundle_paths: bundle_paths.as_ref(),
    };
    let rendered = render_reports(settings, &report, templates.as_ref(), &extras)?;
    let staged = write_reports(&out, &rendered, archive.is_some())?;
    if let Some(path) = &settings.bundle {
        // A bare name is filed with the period's reports: in the staging folder, renamed
        // into place with them, so each period keeps its own bundle.
        let path = &match &archive {
            Some((_, staging)) if is_bare_name(path) => staging.path().join(path),
            _ => path.clone(),
        };
        let reports: Vec<(&'static str, &[u8])> = rendered
            .files
            .iter()
            .map(|(name, bytes)| (*name, bytes.as_slice()))
            .collect();
        let written = bundle::write(
            path,
            &BundleInput {
                report: &report,
                report_json: &rendered.json,
                reports: &reports,
                objects: &objects,
                files: &files,
                audit_events: &audit_events,
                documents: &attested.list,
                sign_key: sign_key.as_ref(),
            },
        )?;
        tracing::info!(
            bundle = %written.path.display(),
            files = written.files,
            bytes = written.bytes,
            signed = written.signed,
            "evidence bundle written"
        );
    }
    if let Some(staged) = staged {
        staged.commit()?;
    }
    let (out, pruned) = match archive {
        Some((archive, staging)) => file_in_archive(settings, &archive, staging)?,
        None => (out, Vec::new()),
    };

    // As `evidencer rules` states: not-satisfied ignores satisfied_with_exceptions,
    // partially-satisfied counts it.
    let failing = |v: Verdict| match settings.fail_on {
        FailOn::Never => false,
        FailOn::NotSatisfied => v == Verdict::NotSatisfied,
        FailOn::PartiallySatisfied => v != Verdict::Satisfied,
    };
    let exit_code = u8::from(report.controls.iter().any(|c| failing(c.verdict)));
    // The one line a scheduled run's log must show: its own target, on at the default level.
    tracing::info!(
        target: SUMMARY_TARGET,
        period = %period.as_ref().map_or("none", |(p, _)| p.label.as_str()),
        out = %out.display(),
        pruned = pruned.len(),
        controls = report.controls.len(),
        satisfied = report.summary.controls_by_verdict["satisfied"],
        satisfied_with_exceptions = report.summary.controls_by_verdict["satisfied_with_exceptions"],
        partially_satisfied = report.summary.controls_by_verdict["partially_satisfied"],
        not_satisfied = report.summary.controls_by_verdict["not_satisfied"],
        not_assessed = report.summary.controls_by_verdict["not_assessed"],
        duration_ms = started.elapsed().as_millis() as u64,
        "report written"
    );
    Ok(Outcome { exit_code })
}

/// The objects with the most findings, for the error of a run that has too many: `Deployment
/// shop/web (5000), ...`.
fn most_findings(findings: &[crate::evidence::finding::Finding]) -> String {
    let mut per: std::collections::HashMap<(&str, Option<&str>, &str), usize> =
        std::collections::HashMap::new();
    for f in findings {
        let s = &f.subject;
        *per.entry((&s.kind, s.namespace.as_deref(), &s.name))
            .or_default() += 1;
    }
    let mut top: Vec<_> = per.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let shown: Vec<String> = top
        .iter()
        .take(3)
        .map(|((kind, ns, name), n)| match ns {
            Some(ns) => format!("{kind} {ns}/{name} ({n})"),
            None => format!("{kind} {name} ({n})"),
        })
        .collect();
    let rest = top.len().saturating_sub(shown.len());
    match rest {
        0 => shown.join(", "),
        _ => format!("{} and {rest} other subject(s)", shown.join(", ")),
    }
}

/// The log target of the summary line, which `main` lets through at the default level.
pub const SUMMARY_TARGET: &str = "evidencer::summary";

/// Opens the `--archive` and starts this run's staging folder; `None` without `--archive`.
fn open_archive(
    settings: &Settings,
    period: Option<&Period>,
) -> Result<Option<(Archive, Staging)>, AppError> {
    if settings.keep == Some(0) {
        return Err(AppError::KeepZero);
    }
    let Some(dir) = &settings.archive else {
        return match settings.keep.is_some() || settings.replace {
            true => Err(AppError::ArchiveOnly),
            false => Ok(None),
        };
    };
    let period = period.ok_or(AppError::ArchiveNeedsPeriod)?;
    let (archive, _) = Archive::open(dir)?;
    let staging = archive.stage(&period.label, settings.replace)?;
    Ok(Some((archive, staging)))
}

/// The previous period's report, with `--compare-previous`.
enum PreviousReport {
    Found(Box<diff::Loaded>),
    None,
}

/// With `--compare-previous`, reads the archive's previous period's report, refusing one
/// that is not an intact evidencer report before anything is collected; None without the
/// flag.
fn previous_report(
    settings: &Settings,
    archive: Option<&(Archive, Staging)>,
) -> Result<Option<PreviousReport>, AppError> {
    if !settings.compare_previous {
        return Ok(None);
    }
    let Some((archive, staging)) = archive else {
        return Err(AppError::CompareNeedsArchive);
    };
    Ok(Some(match archive.previous(staging.label())? {
        Some(dir) => {
            let path = dir.join(crate::report::JSON_FILE_NAME);
            let loaded =
                diff::load::load(&path, settings.max_file_size).map_err(AppError::Previous)?;
            PreviousReport::Found(Box::new(loaded))
        }
        None => PreviousReport::None,
    }))
}

/// `evidence.tar.gz`, not `out/evidence.tar.gz` nor `/x/evidence.tar.gz`.
fn is_bare_name(path: &Path) -> bool {
    path.file_name().is_some() && path.parent().is_some_and(|d| d.as_os_str().is_empty())
}

/// Renames the finished staging folder into place and prunes beyond `--keep`. A failed
/// prune is a warning: the evidence is filed, and a retry would only find it filed.
fn file_in_archive(
    settings: &Settings,
    archive: &Archive,
    staging: Staging,
) -> Result<(PathBuf, Vec<String>), AppError> {
    let dest = archive.commit(staging, settings.replace)?;
    let label = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pruned = match settings.keep {
        Some(keep) => archive.prune(keep as usize, &label).unwrap_or_else(|e| {
            tracing::warn!(
                "--keep {keep}: {}; older periods were left in place",
                crate::base::text::error_chain(&e)
            );
            Vec::new()
        }),
        None => Vec::new(),
    };
    for p in &pruned {
        tracing::info!(
            path = %archive.root().join(p).display(),
            "removed period {p} (--keep {})",
            settings.keep.unwrap_or_default()
        );
    }
    Ok((dest, pruned))
}

/// The audit period: as given, or for a run that reads Git history without one, the 90 days
/// up to the as-of date (the flag says it is a default, and the report says so).
fn audit_period(
    settings: &Settings,
    as_of: chrono::DateTime<Utc>,
) -> Result<Option<(Period, bool)>, AppError> {
    let given = Period::from_args(
        settings.period.as_deref(),
        settings.since.as_deref(),
        settings.until.as_deref(),
        as_of,
    )?;
    Ok(match given {
        Some(p) => Some((p, false)),
        None if !settings.repos.is_empty() => Some((period::parse(DEFAULT_PERIOD, as_of)?, true)),
        None => None,
    })
}

/// Reads the `--audit-log` inputs, when any: the log for the checks, and its sources, file
/// and event records and problems for the inventory. The events kept as evidence are those
/// within the period (all of them without one).
fn read_audit_logs(settings: &Settings, period: Option<&Period>) -> (Option<AuditLog>, Inventory) {
    if settings.audit_logs.is_empty() {
        return (None, Inventory::default());
    }
    let inputs: Vec<String> = settings
        .audit_logs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let log = audit::read(&inputs, &audit::ReadOptions::default());
    let inventory = log.inventory(&inputs, period.map(|p| (p.start, p.end)));
    (Some(log), inventory)
}

/// The period a run that reads Git history uses when none is given.
pub const DEFAULT_PERIOD: &str = "last-90d";

/// A `--snapshot` (or `--repo`, `--results`) path that does not exist stops the run before
/// anything is read: a typo must not turn into a report where everything is `not_assessed`.
/// A snapshot that is neither a file nor a directory (a FIFO, a device) stops it too.
fn check_input_paths(settings: &Settings) -> Result<(), AppError> {
    let missing = |p: &&PathBuf| {
        std::fs::metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    };
    if let Some(missing) = settings.snapshots.iter().map(|s| &s.path).find(missing) {
        return Err(AppError::SnapshotMissing(missing.clone()));
    }
    if let Some(missing) = settings.repos.iter().map(|r| &r.path).find(missing) {
        return Err(AppError::RepoMissing(missing.clone()));
    }
    if let Some(missing) = settings.results.iter().find(missing) {
        return Err(AppError::ResultsMissing(missing.clone()));
    }
    for path in settings.snapshots.iter().map(|s| &s.path) {
        if let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
            && !meta.is_dir()
        {
            let what = crate::base::input::describe(meta.file_type()).unwrap_or("not a file");
            return Err(AppError::SnapshotNotRegular(path.clone(), what));
        }
    }
    Ok(())
}

/// Reads one `--snapshot`; a name given as `NAME=PATH` becomes its source's identity (so
/// its findings' ids are its own, as a manifest's context makes them) and its `cluster`.
fn load_snapshot(entry: &SnapshotEntry, options: &snapshot::SnapshotOptions) -> Inventory {
    let mut read = snapshot::load(&entry.path, options);
    if let Some(name) = &entry.name {
        for source in read
            .sources
            .iter_mut()
            .filter(|s| s.kind == crate::evidence::record::SourceKind::Snapshot)
        {
            source.identity = name.clone();
            source.details.insert("cluster".into(), name.clone());
        }
    }
    read
}

/// One cluster of a fleet run: its name, its context when it has one, and its inputs.
#[derive(Debug)]
struct ClusterPlan {
    name: String,
    context: Option<String>,
    /// The kubeconfig context to read live, when it is read live.
    live: Option<String>,
    snapshots: Vec<SnapshotEntry>,
}

/// The clusters of the run, when it has several: each live `--context`, and each snapshot
/// named by its manifest's context or by `NAME=PATH` (snapshots of one name are one
/// cluster). Empty when the input makes one cluster or none: the run reads as one source,
/// as it always has. With several clusters, an input that names none is an error: it
/// cannot be told which cluster it belongs to.
fn plan_clusters(settings: &Settings) -> Result<Vec<ClusterPlan>, AppError> {
    let mut plans: Vec<ClusterPlan> = Vec::new();
    let mut unnamed: Option<String> = None;
    if settings.cluster {
        match settings.context.0.as_slice() {
            [] => unnamed = Some("--cluster without --context".to_string()),
            contexts => {
                for c in contexts {
                    if plans.iter().any(|p| &p.name == c) {
                        continue;
                    }
                    plans.push(ClusterPlan {
                        name: c.clone(),
                        context: Some(c.clone()),
                        live: Some(c.clone()),
                        snapshots: Vec::new(),
                    });
                }
            }
        }
    }
    for entry in &settings.snapshots {
        let context = manifest_context(&entry.path, settings.max_file_size);
        let Some(name) = entry.name.clone().or_else(|| context.clone()) else {
            unnamed.get_or_insert_with(|| format!("--snapshot {}", entry.path.display()));
            continue;
        };
        match plans.iter_mut().find(|p| p.name == name) {
            Some(plan) => plan.snapshots.push(entry.clone()),
            None => plans.push(ClusterPlan {
                name,
                context,
                live: None,
                snapshots: vec![entry.clone()],
            }),
        }
    }
    if plans.len() < 2 {
        return Ok(Vec::new());
    }
    match unnamed {
        Some(input) => Err(AppError::UnnamedCluster {
            input,
            clusters: plans
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
        }),
        None => Ok(plans),
    }
}

/// The context a snapshot directory's `manifest.json` names, if it has one that can be
/// read (one that cannot is reported when the snapshot is read).
fn manifest_context(path: &Path, limit: u64) -> Option<String> {
    let manifest = path.join(crate::evidence::manifest::FILE_NAME);
    if !path.is_dir() || std::fs::symlink_metadata(&manifest).is_err() {
        return None;
    }
    crate::evidence::manifest::Manifest::read(&manifest, limit)
        .ok()?
        .cluster
        .map(|c| c.context)
}

/// What judges an inventory: the checks' settings, the audit log, the accepted risks and
/// the catalog. The same for every cluster of a fleet.
struct Judge<'a> {
    check_settings: &'a CheckSettings,
    audit: Option<&'a AuditLog>,
    accepted: Option<&'a [exceptions::Exception]>,
    catalog: &'a Catalog,
    /// `--max-findings` when md, html or pdf are written.
    max_findings: Option<u32>,
    as_of: chrono::DateTime<Utc>,
}

impl Judge<'_> {
    /// Runs the checks over `inventory`, gives the findings their ids, applies the
    /// exceptions and maps the findings onto the controls.
    fn run(
        &self,
        inventory: &Inventory,
        results: Vec<ResultRecord>,
    ) -> Result<
        (
            Vec<crate::evidence::finding::Finding>,
            exceptions::ExceptionsReport,
            Vec<assess::ControlResult>,
        ),
        AppError,
    > {
        let stage = Instant::now();
        let mut findings = {
            let facts = Facts::build(inventory).with_results(results);
            let ctx = CheckContext {
                inventory,
                facts: &facts,
                settings: self.check_settings,
                audit: self.audit,
            };
            checks::run_all(&ctx)
        };
        tracing::debug!(
            findings = findings.len(),
            ms = stage.elapsed().as_millis() as u64,
            peak_mb = peak_rss_mb(),
            "stage: checks"
        );
        if let Some(max) = self.max_findings
            && findings.len() > max as usize
        {
            return Err(AppError::TooManyFindings {
                count: findings.len(),
                max,
                top: most_findings(&findings),
            });
        }
        let stage = Instant::now();
        assign_ids(&mut findings, &inventory.sources);
        let excepted = match self.accepted {
            Some(list) => exceptions::apply(list, &mut findings, self.as_of.date_naive()),
            None => exceptions::ExceptionsReport::default(),
        };
        let controls = assess::assess(&findings, self.catalog);
        tracing::debug!(
            ms = stage.elapsed().as_millis() as u64,
            "stage: ids and assess"
        );
        Ok((findings, excepted, controls))
    }
}

/// A run over several clusters: the shared inputs (repositories, results, audit logs,
/// attestations: `seed` holds the last two) are read once; each cluster is read and judged
/// with them, one after the other (the next read while one is judged), and the clusters'
/// reports are combined by [`fleet::combine`].
#[allow(clippy::too_many_arguments)]
fn fleet_report(
    settings: &Settings,
    clusters: Vec<ClusterPlan>,
    period: Option<&(Period, bool)>,
    as_of: chrono::DateTime<Utc>,
    seed: Inventory,
    judge: &Judge<'_>,
    run: &RunInfo,
    attested: &Attested,
) -> Result<Report, AppError> {
    let (shared, results, loaded) = collect_shared(settings, period, as_of, Inventory::default());
    let options = snapshot::SnapshotOptions {
        max_file_bytes: settings.max_file_size,
    };
    // Each cluster is judged alone, so the findings limit applies to the fleet as a whole.
    let judge = Judge {
        max_findings: None,
        ..*judge
    };
    // The next cluster is read while this one is judged (reading is mostly waiting on an API
    // server); the hand-over waits for the judge, so at most two clusters' objects are held.
    let mut runs = Vec::with_capacity(clusters.len());
    std::thread::scope(|scope| -> Result<(), AppError> {
        let (send, received) = std::sync::mpsc::sync_channel(0);
        let (seed, shared, options, loaded) = (&seed, &shared, &options, &loaded);
        scope.spawn(move || {
            for plan in clusters {
                let stage = Instant::now();
                let read = read_cluster(settings, &plan, seed, (shared, loaded), options, as_of);
                if let Ok((inventory, _)) = &read {
                    tracing::debug!(
                        cluster = %plan.name,
                        objects = inventory.objects.len(),
                        ms = stage.elapsed().as_millis() as u64,
                        peak_mb = peak_rss_mb(),
                        "stage: collect"
                    );
                }
                // The judge stopped (an error): nothing more to read.
                if send.send((plan, read)).is_err() {
                    break;
                }
            }
        });
        for (plan, read) in received {
            let (inventory, own) = read?;
            report_problems(&inventory);
            let mut results = results.clone();
            results.extend(own);
            let (findings, excepted, controls) = judge.run(&inventory, results)?;
            let mut report =
                Report::build(run.clone(), inventory, findings, controls, judge.catalog);
            report.exceptions = excepted;
            report.attestations = attested.entries(as_of.date_naive());
            runs.push(fleet::ClusterRun {
                name: plan.name,
                context: plan.context,
                report_id: None,
                report,
            });
        }
        Ok(())
    })?;
    Ok(fleet::combine(runs)?)
}

/// One cluster of a fleet run, read: the seed (attestations, audit logs), its snapshots
/// and live context, and the shared inputs (with the repositories they were read from,
/// whose manifests at the commits this cluster should run are its own baselines), as one
/// inventory.
fn read_cluster(
    settings: &Settings,
    plan: &ClusterPlan,
    seed: &Inventory,
    (shared, repos): (&Inventory, &[(PathBuf, GitOptions)]),
    options: &snapshot::SnapshotOptions,
    as_of: chrono::DateTime<Utc>,
) -> Result<(Inventory, Vec<ResultRecord>), AppError> {
    let mut inventory = seed.clone();
    for entry in &plan.snapshots {
        inventory.merge(load_snapshot(entry, options));
    }
    if let Some(context) = &plan.live {
        let options = crate::collect::cluster::ClusterOptions {
            context: Some(context.clone()),
            ..settings.cluster_options()
        };
        inventory.merge(cluster::collect_inventory(&options)?);
    }
    inventory.merge(shared.clone());
    baselines(&mut inventory, repos, as_of);
    let own = results_in_objects(&mut inventory);
    inventory.add_source_records();
    inventory.canonicalize();
    Ok((inventory, own))
}

/// Reads every input of a run of one cluster (or none) into one inventory (the paths were
/// checked by [`check_input_paths`]). What cannot be read below an existing path is a
/// problem in the report instead, as is a `--repo` that is not a repository, or lacks the
/// ref. `seed` holds what was read before collection (the attestations' source and records).
fn collect(
    settings: &Settings,
    period: Option<&(Period, bool)>,
    as_of: chrono::DateTime<Utc>,
    seed: Inventory,
) -> Result<(Inventory, Vec<ResultRecord>), AppError> {
    let options = snapshot::SnapshotOptions {
        max_file_bytes: settings.max_file_size,
    };
    let mut inventory = seed;
    for entry in &settings.snapshots {
        inventory.merge(load_snapshot(entry, &options));
    }
    if settings.cluster {
        inventory.merge(cluster::collect_inventory(&settings.cluster_options())?);
    }
    let (shared, results, loaded) = collect_shared(settings, period, as_of, Inventory::default());
    inventory.merge(shared);
    baselines(&mut inventory, &loaded, as_of);
    let mut results = results;
    results.extend(results_in_objects(&mut inventory));
    inventory.add_source_records();
    inventory.canonicalize();
    Ok((inventory, results))
}

/// Policy reports and Trivy Operator reports among a snapshot's or cluster's objects are
/// results too, read as a --results file of them would be.
fn results_in_objects(inventory: &mut Inventory) -> Vec<ResultRecord> {
    let (from_objects, problems) = crate::collect::results::from_objects(&inventory.objects);
    inventory.problems.extend(problems);
    from_objects
}

/// What every cluster's assessment shares, read once: the repositories (over `period`) and
/// the `--results`, added to `inventory`. Nothing here stops the run: a repository that
/// cannot be read is a problem in the report.
fn collect_shared(
    settings: &Settings,
    period: Option<&(Period, bool)>,
    as_of: chrono::DateTime<Utc>,
    mut inventory: Inventory,
) -> (Inventory, Vec<ResultRecord>, Vec<(PathBuf, GitOptions)>) {
    let mut loaded: Vec<(PathBuf, GitOptions)> = Vec::new();
    if let Some((period, default)) = period.filter(|_| !settings.repos.is_empty()) {
        let options = GitOptions {
            reference: settings.git_ref.clone(),
            period: period.clone(),
            as_of,
            all_parents: settings.all_parents,
            max_blob_bytes: settings.max_file_size.min(git::DEFAULT_MAX_BLOB_BYTES),
            progress: true,
            scope: Default::default(),
        };
        for entry in &settings.repos {
            let path = &entry.path;
            let options = GitOptions {
                scope: std::sync::Arc::new(Scope::new(&settings.scope_options(entry))),
                ..options.clone()
            };
            // A directory that is not a repository, a missing ref or an unreadable tip is
            // that input's problem: the other inputs are still assessed.
            let mut repo = match git::load(path, &options) {
                Ok(repo) => repo,
                Err(e) => {
                    inventory.problems.push(
                        Problem::new(
                            ProblemLevel::Error,
                            format!("repo:{}", path.display()),
                            path.display().to_string(),
                            e.to_string(),
                        )
                        .hint("nothing from this repository was assessed"),
                    );
                    continue;
                }
            };
            if *default && let Some(source) = repo.sources.first() {
                repo.problems
                    .push(git::default_period_note(&source.id, period));
            }
            loaded.push((path.clone(), options));
            inventory.merge(repo);
        }
    }
    // Each path is its own source; its files are read in parallel, in path order.
    let mut results = Vec::new();
    for path in &settings.results {
        let (read, records) = crate::collect::results::load(path, settings.max_file_size);
        inventory.merge(read);
        results.extend(records);
    }
    (inventory, results, loaded)
}

/// With a cluster (or snapshot) and repositories, the manifests each repository holds at
/// the commits the cluster should run, for `live-matches-git`: the ref's tip when the
/// cluster was collected (else at --as-of), and each revision its Flux Kustomizations and
/// Argo CD Applications report as applied.
fn baselines(
    inventory: &mut Inventory,
    repos: &[(PathBuf, GitOptions)],
    as_of: chrono::DateTime<Utc>,
) {
    use crate::evidence::deployers;
    let clusters: Vec<&crate::evidence::record::Source> = inventory
        .sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::Snapshot | SourceKind::Cluster))
        .collect();
    if clusters.is_empty() || repos.is_empty() {
        return;
    }
    let as_of = crate::base::timefmt::rfc3339(as_of);
    let mut wanted: Vec<(usize, String)> = Vec::new();
    for cluster in &clusters {
        let at = deployers::collected_at(cluster).unwrap_or(&as_of);
        for i in 0..repos.len() {
            wanted.push((i, deployers::at_time(at)));
        }
        for d in deployers::read(&inventory.objects, &cluster.id) {
            let Some(commit) = &d.commit else { continue };
            for (i, (path, _)) in repos.iter().enumerate() {
                let id = format!("repo:{}", path.display());
                let identity = inventory
                    .sources
                    .iter()
                    .find(|s| s.id == id)
                    .map_or("", |s| s.identity.as_str());
                if deployers::pulls(&d, identity, repos.len()) {
                    wanted.push((i, commit.clone()));
                }
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    for (i, requested) in wanted {
        let (path, options) = &repos[i];
        inventory.merge(git::baseline(path, options, &requested));
    }
}

/// `evidencer collect`.
pub fn collect_cluster(args: &CollectArgs) -> Result<(), AppError> {
    let mut flags = config::ConfigFile::default();
    args.cluster.apply(&mut flags);
    let settings = settings(args.config.as_deref(), flags)?;
    if !settings.cluster {
        return Err(AppError::CollectNeedsCluster);
    }
    if settings.context.0.len() > 1 {
        return Err(AppError::CollectOneContext);
    }
    crate::evidence::workload_kinds::install(&settings.workload_kinds);
    let started = Instant::now();
    let written = collect_snapshot(&settings.cluster_options(), &args.out)?;
    report_problems(&Inventory {
        problems: written.problems.clone(),
        ..Inventory::default()
    });
    let by_status = |wanted: &str| {
        written
            .manifest
            .kinds
            .values()
            .filter(|k| {
                matches!(
                    (&k.status, wanted),
                    (
                        crate::evidence::inventory::KindStatus::Collected { .. },
                        "collected"
                    ) | (
                        crate::evidence::inventory::KindStatus::Forbidden { .. },
                        "forbidden"
                    ) | (
                        crate::evidence::inventory::KindStatus::NotServed,
                        "not_served"
                    )
                )
            })
            .count()
    };
    tracing::info!(
        out = %written.dir.display(),
        objects = written.objects,
        kinds_collected = by_status("collected"),
        kinds_forbidden = by_status("forbidden"),
        kinds_not_served = by_status("not_served"),
        duration_ms = started.elapsed().as_millis() as u64,
        peak_mb = peak_rss_mb(),
        "snapshot written"
    );
    Ok(())
}

/// The process's peak resident set so far in MiB (Linux; 0 elsewhere), for the stage logs.
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb / 1024)
}

/// Input problems go to stderr too, so a scheduled run's log shows them; the report lists
/// them all.
fn report_problems(inventory: &Inventory) {
    const SHOWN: usize = 20;
    for p in inventory.problems.iter().take(SHOWN) {
        let hint = p
            .hint
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        match p.level {
            ProblemLevel::Error => tracing::warn!("{}: {}{hint}", p.location, p.message),
            ProblemLevel::Warning => tracing::warn!("{}: {}{hint}", p.location, p.message),
            ProblemLevel::Note => tracing::info!("{}: {}{hint}", p.location, p.message),
        }
    }
    if inventory.problems.len() > SHOWN {
        tracing::warn!(
            "{} more input problems; the report lists them all",
            inventory.problems.len() - SHOWN
        );
    }
}

/// The reports of a run as written: `report.json` (always rendered: every other output
/// cites its hash, the report id) and the files of each format asked for, in the order
/// asked for (`oscal` writes two).
pub(crate) struct Rendered {
    json: Vec<u8>,
    files: Vec<(&'static str, Vec<u8>)>,
}

/// What some formats take besides the report: the questionnaire mapping (answers.csv and
/// answers.xlsx answer its questions) and the evidence records' files in the bundle (the
/// workbook names them).
#[derive(Default)]
pub(crate) struct Extras<'a> {
    questionnaire: Option<&'a Questionnaire>,
    bundle_paths: Option<&'a std::collections::BTreeMap<String, String>>,
}

/// Renders every format asked for, writing nothing: a failure here (a template error, a
/// limit) leaves the output directory untouched.
pub(crate) fn render_reports(
    settings: &Settings,
    report: &Report,
    templates: Option<&Templates>,
    extras: &Extras,
) -> Result<Rendered, AppError> {
    // The formats do not depend on each other (the text ones share one template context),
    // so they render in parallel; the files are then written in the order asked for.
    let wants = |f: Format| settings.formats.contains(&f);
    let stage = Instant::now();
    let (json, text) = rayon::join(
        || report.to_json(),
        || -> Result<Vec<(Format, Vec<u8>)>, TemplateError> {
            let Some(templates) = templates else {
                return Ok(Vec::new());
            };
            let context = Templates::context(&ReportView::new(report))?;
            [Format::Md, Format::Html]
                .into_par_iter()
                .filter(|f| wants(*f))
                .map(|f| {
                    Ok((
                        f,
                        templates
                            .render_context(f.file_name(), &context)?
                            .into_bytes(),
                    ))
                })
                .collect()
        },
    );
    let mut text = text?;
    let report_id = Report::id(&json);
    let mut pdf = wants(Format::Pdf).then(|| {
        pdf::render(&PdfInput {
            report,
            report_id: &report_id,
            org: settings.org.as_deref(),
            changes: &report.changes,
        })
    });
    let mut files = Vec::with_capacity(settings.formats.len() + 1);
    for format in &settings.formats {
        if *format == Format::Oscal {
            let o = oscal::render(&OscalInput {
                report,
                report_id: &report_id,
                ssp: settings.oscal_ssp.as_deref(),
                org: settings.org.as_deref(),
                bundle_paths: extras.bundle_paths.unwrap_or(&Default::default()),
            });
            files.push((oscal::RESULTS_FILE_NAME, o.results));
            files.push((oscal::PLAN_FILE_NAME, o.plan));
            continue;
        }
        let bytes = match format {
            Format::Json => Some(json.clone()),
            Format::Pdf => pdf.take(),
            Format::Csv => Some(match extras.questionnaire {
                Some(q) => csv::render_questions(report, &report_id, q),
                None => csv::render(report, &report_id),
            }),
            Format::Xlsx => Some(xlsx::render(&XlsxInput {
                report,
                report_id: &report_id,
                org: settings.org.as_deref(),
                questionnaire: extras.questionnaire,
                bundle_paths: extras.bundle_paths,
            })?),
            text_format => text
                .iter()
                .position(|(f, _)| f == text_format)
                .map(|i| text.swap_remove(i).1),
        }
        .expect("every format asked for was rendered");
        files.push((format.file_name(), bytes));
    }
    tracing::debug!(
        ms = stage.elapsed().as_millis() as u64,
        peak_mb = peak_rss_mb(),
        "stage: render"
    );
    Ok(Rendered { json, files })
}

/// Writes the reports into `out`. Into an archive's staging folder (`archive`), file by
/// file: the folder is renamed into place whole. Into an output directory, staged: the
/// returned set is moved in by [`Staged::commit`], after the bundle is written, so a run
/// that fails leaves the earlier reports as they were.
pub(crate) fn write_reports(
    out: &Path,
    rendered: &Rendered,
    archive: bool,
) -> Result<Option<Staged>, AppError> {
    let stage = Instant::now();
    let mut staged = if archive {
        output::ensure_dir(out)?;
        None
    } else {
        Some(Staged::begin(out)?)
    };
    for (name, bytes) in &rendered.files {
        match &mut staged {
            Some(staged) => staged.write(name, bytes)?,
            None => output::write_atomic(&out.join(name), bytes)?,
        }
    }
    tracing::debug!(
        files = rendered.files.len(),
        ms = stage.elapsed().as_millis() as u64,
        "stage: write"
    );
    Ok(staged)
}

/// `evidencer verify`: prints what differs; the exit code is 0 when the bundle is intact,
/// 1 when it is not (a file added, removed or changed, contents that contradict each
/// other, or a signature that is missing or wrong), and 2 (an error) when it cannot be
/// read.
pub fn verify(args: &VerifyArgs) -> Result<u8, AppError> {
    let v = bundle::verify::verify(&args.bundle, args.pubkey.as_deref())?;
    print_stdout(v.to_text())?;
    Ok(if v.is_intact() { 0 } else { 1 })
}

/// `evidencer diff`: reads both reports (refusing what is not an intact evidencer report,
/// before anything is written), compares them, renders every format asked for, then writes
/// them as one set into `--out`.
pub fn diff(args: &crate::app::cli::DiffArgs) -> Result<(), AppError> {
    use crate::app::cli::DiffFormat;
    let old = diff::load::load(&args.old, args.max_file_size).map_err(AppError::Diff)?;
    let new = diff::load::load(&args.new, args.max_file_size).map_err(AppError::Diff)?;
    let compared = diff::compare(&old, &new);
    let mut formats: Vec<DiffFormat> = Vec::new();
    for f in &args.formats {
        if !formats.contains(f) {
            formats.push(*f);
        }
    }
    let text = formats.iter().any(|f| *f != DiffFormat::Json);
    let templates = match text {
        true => Some(Templates::load_diff(
            args.templates.as_deref(),
            args.max_file_size,
        )?),
        false => None,
    };
    let context = match &templates {
        Some(_) => Some(diff_context(&compared)?),
        None => None,
    };
    let mut files = Vec::new();
    for f in &formats {
        let bytes = match (f, &templates, &context) {
            (DiffFormat::Json, _, _) => {
                let mut json = serde_json::to_vec_pretty(&compared).expect("the diff serializes");
                if let std::borrow::Cow::Owned(safe) =
                    crate::base::text::escape_json_invisibles(&json)
                {
                    json = safe;
                }
                json.push(b'\n');
                json
            }
            (_, Some(t), Some(c)) => t.render_context(f.file_name(), c)?.into_bytes(),
            _ => unreachable!("templates are loaded for every text format"),
        };
        files.push((f.file_name(), bytes));
    }
    let mut staged = Staged::begin(&args.out)?;
    for (name, bytes) in &files {
        staged.write(name, bytes)?;
    }
    staged.commit()?;
    tracing::info!(
        target: SUMMARY_TARGET,
        out = %args.out.display(),
        new = compared.summary.findings_new,
        regressed = compared.summary.findings_regressed,
        still_open = compared.summary.findings_still_open,
        resolved = compared.summary.findings_resolved,
        verdicts_changed = compared.summary.verdicts_changed,
        "diff written"
    );
    Ok(())
}

/// The template context of a diff: the diff under `diff`.
fn diff_context(d: &diff::Diff) -> Result<tera::Context, AppError> {
    let mut context = tera::Context::new();
    context.insert("diff", d);
    Ok(context)
}

/// Writes `text` to stdout, flushed: a write that fails (a full disk, a closed pipe) is an
/// error saying so, not a panic nor a loss at exit.
fn print_stdout(text: impl AsRef<[u8]>) -> Result<(), AppError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_ref())
        .and_then(|()| out.flush())
        .map_err(AppError::Stdout)
}

/// The catalogs `checks` and `controls` list: the flags over the config file, as `report`
/// merges them (`catalogs`, `builtin-catalogs`, and `max-file-size` for the files).
fn listed_catalog(args: &ListArgs) -> Result<Catalog, AppError> {
    let mut flags = config::ConfigFile::default();
    args.catalogs.apply(&mut flags);
    let settings = settings(args.config.as_deref(), flags)?;
    Ok(Catalog::load(
        settings.builtin_catalogs,
        &settings.catalogs,
        settings.max_file_size,
    )?)
}

/// `evidencer checks`.
pub fn list_checks(args: &ListArgs) -> Result<(), AppError> {
    let catalog = listed_catalog(args)?;
    if args.json {
        let rows: Vec<serde_json::Value> = checks::registry()
            .iter()
            .map(|c| {
                let m = c.meta();
                serde_json::json!({
                    "id": m.id, "title": m.title, "severity": m.severity,
                    "description": m.summary(), "controls": catalog.controls_using(m.id),
                })
            })
            .collect();
        return print_stdout(pretty_json(&rows));
    }
    let width = checks::registry()
        .iter()
        .map(|c| c.meta().id.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for c in checks::registry() {
        let m = c.meta();
        let controls = catalog.controls_using(m.id);
        let used = if controls.is_empty() {
            "(no control)".to_string()
        } else {
            controls.join(", ")
        };
        out.push_str(&format!(
            "{:width$}  {:8}  {}\n{:width$}  {:8}  controls: {used}\n",
            m.id,
            m.severity.as_str(),
            m.title,
            "",
            ""
        ));
    }
    print_stdout(out)
}

/// Appends `text` and a line end to `out`.
fn line(out: &mut String, text: String) {
    out.push_str(&text);
    out.push('\n');
}

/// `value` as pretty JSON and a line end.
fn pretty_json(value: &impl serde::Serialize) -> String {
    let mut json = serde_json::to_string_pretty(value).expect("listings serialize");
    json.push('\n');
    json
}

/// `evidencer explain <check>`.
pub fn explain(id: &str) -> Result<(), AppError> {
    let check = checks::find(id).ok_or_else(|| AppError::UnknownCheck(id.to_string()))?;
    let m = check.meta();
    print_stdout(format!(
        "# {}: {}\n\nSeverity: {}\n\n{}",
        m.id,
        m.title,
        m.severity,
        m.docs_markdown()
    ))
}

/// `evidencer schema`.
pub fn schema() -> Result<(), AppError> {
    print_stdout(crate::report::JSON_SCHEMA)
}

/// `evidencer rules`: the roll-up rule, as the README quotes it.
pub fn rules() -> Result<(), AppError> {
    print_stdout(crate::assess::rollup::RULES)
}

/// `evidencer controls`: each control with where its id and wording come from, its
/// question verbatim, and its checks with their part in the roll-up.
pub fn list_controls(args: &ListArgs) -> Result<(), AppError> {
    let catalog = listed_catalog(args)?;
    if args.json {
        return print_stdout(pretty_json(&catalog.controls));
    }
    let mut out = String::new();
    for (i, c) in catalog.controls.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        line(&mut out, format!("{}  [{}]  {}", c.id, c.catalog, c.title));
        line(
            &mut out,
            format!("    id: {}; source: {}", c.id_source.describe(), c.source),
        );
        if let Some(reference) = &c.csf_reference {
            line(
                &mut out,
                format!("    CSF 2.0 reference: {reference} (evidencer's mapping, not an id)"),
            );
        }
        line(&mut out, format!("    question: {}", c.question));
        if c.asks_for_process {
            line(
                &mut out,
                "    asks for a documented process: needs a current attestation".into(),
            );
        }
        if !c.attestation_relaxes.is_empty() {
            line(
                &mut out,
                format!(
                    "    a current attestation turns failures of {} into warnings",
                    c.attestation_relaxes.join(", ")
                ),
            );
        }
        if c.checks.is_empty() && !c.asks_for_process {
            line(&mut out, "    (no check yet: not assessed)".into());
        }
        for r in &c.checks {
            let flags: Vec<&str> = [
                (r.required, "required"),
                (r.critical, "critical"),
                (r.supplementary, "supplementary"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, f)| *f)
            .collect();
            match flags.is_empty() {
                true => line(&mut out, format!("    {}", r.id)),
                false => line(&mut out, format!("    {}  ({})", r.id, flags.join(", "))),
            }
        }
        if c.asks_for_process {
            line(
                &mut out,
                format!("    {}  (required)", attestation::CHECK_ID),
            );
        }
    }
    print_stdout(out)
}
