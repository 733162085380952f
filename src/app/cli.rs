//! The command line: `report`, `collect`, `fleet`, `diff`, `verify`, `checks`, `explain`,
//! `controls`, `rules`, `schema`.
//!
//! Parses arguments with clap, merges them over the config file (see [`crate::app::config`]) and
//! runs the pipeline in [`crate::app::run`]. Exit codes: 0 done; 1 when `--fail-on` is met (for
//! `verify`: the bundle differs from its manifest or its signature fails); 2 usage or
//! runtime error (for `verify`: the bundle cannot be read).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::app::config::{CatalogFlags, ClusterFlags, ConfigFile, ReportFlags};

#[derive(Debug, Parser)]
#[command(
    name = "evidencer",
    version,
    about = "Auditor-ready evidence that containers are replaced, never patched in place",
    long_about = "Collects evidence from Kubernetes snapshots and manifests, checks it, maps the \
                  findings to NIST CSF 2.0 PR.PS and PCI SSC container guidance controls, and \
                  writes Markdown, HTML, JSON, PDF, CSV and XLSX reports and a verifiable evidence \
                  bundle.\n\nExit codes: 0 done; 1 a --fail-on condition was met (verify: the \
                  bundle is not intact); 2 usage or runtime error (verify: the bundle cannot be \
                  read)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// More log output (-v info, -vv debug); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

// Parsed once per process: the size of the `report` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect evidence, run the checks, map them to controls and write the reports.
    // Boxed: the report flags dwarf the other commands'.
    Report(Box<ReportArgs>),
    /// Collect a live cluster's objects into a snapshot directory (kubectl-style List files,
    /// version.json and manifest.json) that `report --snapshot` reads later.
    Collect(Box<CollectArgs>),
    /// List every check: id, title, severity, and the controls that use it.
    Checks(ListArgs),
    /// Explain a check: what it checks, why it matters, evidence used, example, references.
    Explain {
        /// The check id, as `evidencer checks` lists it.
        check: String,
    },
    /// List the controls and the checks each one maps to.
    Controls(ListArgs),
    /// Print the roll-up rule: how findings become check results, and check results a
    /// control's verdict and answer.
    Rules,
    /// Print the JSON Schema (draft 2020-12) of report.json.
    Schema,
    /// Combine archived runs of several clusters (each a report.json, or a directory holding
    /// one) into one fleet report, without collecting anything again.
    Fleet(FleetArgs),
    /// Check an evidence bundle (directory or .tar.gz): every file against the manifest,
    /// the evidence against its records, and the signature. Exit 0 intact, 1 not intact,
    /// 2 unreadable.
    Verify(VerifyArgs),
    /// Compare two report.json files (an earlier period's, then a later one's): findings
    /// new, regressed, still open and resolved, control verdicts that changed, exceptions
    /// added, expired and removed. Writes diff.json, diff.md and diff.html.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report.json (e.g. reports/2026-Q2/report.json).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The later report.json (e.g. reports/2026-Q3/report.json).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// Output formats, comma-separated.
    #[arg(
        long = "format",
        value_enum,
        value_delimiter = ',',
        value_name = "FORMATS",
        default_value = "md,html,json"
    )]
    pub formats: Vec<DiffFormat>,

    /// Directory to write diff.md, diff.html and diff.json into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "evidencer-diff")]
    pub out: PathBuf,

    /// Directory with diff.md / diff.html templates that replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Refuse report files larger than this many bytes [default: 1073741824].
    #[arg(long, value_name = "BYTES", default_value_t = crate::base::input::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
}

/// What `evidencer diff` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Md,
    Html,
    Json,
}

impl DiffFormat {
    pub fn file_name(self) -> &'static str {
        match self {
            DiffFormat::Md => "diff.md",
            DiffFormat::Html => "diff.html",
            DiffFormat::Json => "diff.json",
        }
    }
}

#[derive(Debug, Args)]
pub struct FleetArgs {
    /// The clusters' reports: a report.json, or a directory holding one (an --archive period
    /// folder, a bundle directory); `NAME=PATH` names the cluster of a report whose sources
    /// name none. At least two, all of one period.
    #[arg(value_name = "[NAME=]REPORT", required = true, num_args = 2..)]
    pub inputs: Vec<String>,

    /// Directory to write the fleet's reports into (created if missing). With --period, the
    /// reports go to DIR/<period label>/.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Each input is an --archive directory: read its run of this period (e.g.
    /// previous-quarter, 2026-Q3), INPUT/<period label>/report.json, and write to
    /// --out/<period label>/. For a scheduled combining step, which cannot name the
    /// folder itself.
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,

    /// The date (YYYY-MM-DD) or RFC 3339 time a relative --period is counted from
    /// [default: now].
    #[arg(long, value_name = "DATE", requires = "period")]
    pub as_of: Option<String>,

    /// Output formats, comma-separated [default: md,html,json,pdf,csv].
    #[arg(
        long = "format",
        value_enum,
        value_delimiter = ',',
        value_name = "FORMATS"
    )]
    pub formats: Vec<crate::app::config::Format>,

    /// Read `org`, `templates`, `max-findings` and `max-file-size` from FILE instead of
    /// ./evidencer.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle: a directory or a .tar.gz / .tgz file written by `report --bundle`.
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,

    /// The signer's minisign public key: the bundle must carry a valid signature made with
    /// its secret key.
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub catalogs: CatalogFlags,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Read `catalogs` and `builtin-catalogs` from FILE instead of ./evidencer.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub cluster: ClusterFlags,

    /// Directory to write the snapshot into: created, or replaced when it holds an earlier
    /// snapshot.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Read cluster settings (kubeconfig, context, namespaces, page-size) from FILE instead
    /// of ./evidencer.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `report`: every setting has its flag here (see [`crate::config`]), plus where the file
/// is and whether to only print the merge. The cluster flags come first in `--help`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub cluster: ClusterFlags,

    #[command(flatten)]
    pub report: ReportFlags,

    #[command(flatten)]
    pub catalogs: CatalogFlags,

    /// Read settings from FILE instead of ./evidencer.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the merged settings (defaults, config file, flags) as YAML and exit.
    #[arg(long)]
    pub dump_config: bool,
}

impl ReportArgs {
    /// The flags given, as a config layer over the file.
    pub fn as_layer(&self) -> ConfigFile {
        ConfigFile::from_flags(&self.report, &self.catalogs, &self.cluster)
    }
}
