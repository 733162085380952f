//! The command line: `report`, `collect`, `verify`, `checks`, `explain`, `controls`, `schema`.
//!
//! Parses arguments with clap, merges them over the config file (see [`crate::app::config`]) and
//! runs the pipeline in [`crate::app::run`]. Exit codes: 0 done; 1 when `--fail-on` is met (for
//! `verify`: the bundle differs from its manifest or its signature fails); 2 usage or
//! runtime error (for `verify`: the bundle cannot be read).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::app::config::{self, ConfigFile, FailOn, Format};

#[derive(Debug, Parser)]
#[command(
    name = "evidencer",
    version,
    about = "Auditor-ready evidence that containers are replaced, never patched in place",
    long_about = "Collects evidence from Kubernetes snapshots and manifests, checks it, maps the \
                  findings to NIST CSF 2.0 PR.PS and PCI SSC container guidance controls, and \
                  writes Markdown, HTML, JSON, PDF and CSV reports and a verifiable evidence \
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
    /// Print the JSON Schema (draft 2020-12) of report.json.
    Schema,
    /// Check an evidence bundle (directory or .tar.gz): every file against the manifest,
    /// the evidence against its records, and the signature. Exit 0 intact, 1 not intact,
    /// 2 unreadable.
    Verify(VerifyArgs),
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
    /// Add the controls of the catalogs (*.yaml) in DIR; a control with an existing id
    /// replaces it. Repeatable.
    #[arg(long = "catalog", value_name = "DIR")]
    pub catalogs: Vec<PathBuf>,

    /// Leave the built-in catalogs out.
    #[arg(long)]
    pub no_builtin_catalogs: bool,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Where the live cluster is, kubectl's way.
#[derive(Debug, Args, Default)]
pub struct ClusterArgs {
    /// Read the live cluster of the kubeconfig context (or, in a pod without a kubeconfig,
    /// the pod's service account).
    #[arg(long)]
    pub cluster: bool,

    /// kubeconfig file [default: $KUBECONFIG, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// kubeconfig context [default: its current-context].
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Read namespaced objects (and Namespace objects) of this namespace only; repeatable
    /// [default: all namespaces]. Cluster-scoped kinds (Nodes, ClusterRoles, ...) are read whole.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,

    /// Objects asked for per list request (1 to 10000) [default: 500].
    #[arg(long, value_name = "N", value_parser = config::PAGE_SIZE.u32_parser())]
    pub page_size: Option<u32>,

    /// Give up a list (its kind is then not assessed) after this many pages (1 to 1000000)
    /// [default: 10000].
    #[arg(long, value_name = "N", value_parser = config::LIST_PAGES.u32_parser())]
    pub max_list_pages: Option<u32>,

    /// Give up a list (its kind is then not assessed) after this many seconds (1 to 86400)
    /// [default: 1800].
    #[arg(long, value_name = "SECONDS", value_parser = config::LIST_SECONDS.u32_parser())]
    pub max_list_seconds: Option<u32>,
}

impl ClusterArgs {
    /// The flags given, as a config layer.
    pub fn apply(&self, layer: &mut ConfigFile) {
        layer.cluster = self.cluster.then_some(true);
        layer.kubeconfig = self.kubeconfig.clone();
        layer.context = self.context.clone();
        layer.namespaces = (!self.namespaces.is_empty()).then(|| self.namespaces.clone());
        layer.page_size = self.page_size;
        layer.max_list_pages = self.max_list_pages;
        layer.max_list_seconds = self.max_list_seconds;
    }
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Directory to write the snapshot into: created, or replaced when it holds an earlier
    /// snapshot.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Read cluster settings (kubeconfig, context, namespaces, page-size) from FILE instead
    /// of ./evidencer.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// kubectl output (`-o yaml|json`: a List, one object, or a multi-document stream) or a
    /// directory of them and of plain manifests. Repeatable.
    #[arg(long = "snapshot", value_name = "PATH")]
    pub snapshots: Vec<PathBuf>,

    /// A Git repository (a clone's directory, or a bare clone) whose history over the period
    /// is read: manifests, pipelines, Dockerfiles and image changes. Repeatable.
    #[arg(long = "repo", value_name = "PATH")]
    pub repos: Vec<PathBuf>,

    /// The ref whose history is read in every --repo: a branch, tag or commit [default: HEAD].
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,

    /// The audit period: YYYY-Qn, YYYY-MM, YYYY, previous-quarter, previous-month or last-Nd
    /// (relative to --as-of). Without a period, a --repo's history is read for the 90 days
    /// up to --as-of. It names the folder of --archive.
    #[arg(long, value_name = "PERIOD", conflicts_with_all = ["since", "until"])]
    pub period: Option<String>,

    /// First day (YYYY-MM-DD, whole day UTC) or RFC 3339 time of the period; with --until.
    #[arg(long, value_name = "DATE", requires = "until")]
    pub since: Option<String>,

    /// Last day (YYYY-MM-DD, included whole) or RFC 3339 time of the period; with --since.
    #[arg(long, value_name = "DATE", requires = "since")]
    pub until: Option<String>,

    /// Walk every commit of the history, not only the first parents of the ref.
    #[arg(long)]
    pub all_parents: bool,

    /// Images not changed in the period pass images-updated-in-period when younger than
    /// this many days at the period end (1 to 36500) [default: 90].
    #[arg(long, value_name = "DAYS", value_parser = config::DAYS.u32_parser())]
    pub max_image_age_days: Option<u32>,

    /// The date (YYYY-MM-DD, meaning the end of that day UTC) or RFC 3339 time the report
    /// speaks for. With it, the same input gives byte-identical reports.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    /// Output formats, comma-separated.
    #[arg(
        long = "format",
        value_enum,
        value_delimiter = ',',
        value_name = "FORMATS"
    )]
    pub formats: Vec<Format>,

    /// Directory to write the reports into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// File the reports under DIR/<period label>/ instead of --out (needs a period). They are
    /// written to a hidden folder and renamed when complete; a killed run's leftovers are
    /// cleared by the next run.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub archive: Option<PathBuf>,

    /// With --archive: keep the N newest period folders and remove older ones, never the
    /// one just written (1 to 10000).
    #[arg(long, value_name = "N", value_parser = config::KEEP.u32_parser())]
    pub keep: Option<u32>,

    /// With --archive: replace the period's folder when it is already filed (without it,
    /// the run stops before collecting).
    #[arg(long)]
    pub replace: bool,

    /// Add the controls of the catalogs (*.yaml) in DIR; a control with an existing id
    /// replaces it. Repeatable.
    #[arg(long = "catalog", value_name = "DIR")]
    pub catalogs: Vec<PathBuf>,

    /// Leave the built-in catalogs out.
    #[arg(long)]
    pub no_builtin_catalogs: bool,

    /// Directory with report.md / report.html templates that replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Registry or repository prefix images may come from (e.g. registry.example.com/team).
    /// Repeatable. Without any, image-from-trusted-registry is not assessed.
    #[arg(long = "trusted-registry", value_name = "PREFIX")]
    pub trusted_registries: Vec<String>,

    /// Exit 1 when a control is not_satisfied (not-satisfied), or anything but satisfied
    /// (partially-satisfied).
    #[arg(long, value_enum, value_name = "WHEN")]
    pub fail_on: Option<FailOn>,

    /// Skip input files larger than this many bytes (1 to 4294967296) [default: 1073741824].
    #[arg(long, value_name = "BYTES", value_parser = config::FILE_SIZE.u64_parser())]
    pub max_file_size: Option<u64>,

    /// Refuse to render md, html or pdf when the run has more findings than this (1 to
    /// 10000000): each costs about 20 KB of memory there [default: 100000]. json and csv
    /// have no limit.
    #[arg(long, value_name = "N", value_parser = config::FINDINGS.u32_parser())]
    pub max_findings: Option<u32>,

    /// The organisation the report is about: named on the PDF's cover and as its author.
    #[arg(long, value_name = "NAME")]
    pub org: Option<String>,
    /// End-of-life data (Kubernetes, containerd, CRI-O release lines) to use instead of the
    /// built-in file, in the same format.
    #[arg(long, value_name = "FILE")]
    pub eol_data: Option<PathBuf>,

    /// Nodes older than this many days warn in node-recently-replaced (1 to 36500)
    /// [default: 90].
    #[arg(long, value_name = "DAYS", value_parser = config::DAYS.u32_parser())]
    pub max_node_age_days: Option<u32>,

    /// Vulnerability reports older than this many days do not count in images-scanned
    /// (1 to 36500) [default: 30].
    #[arg(long, value_name = "DAYS", value_parser = config::DAYS.u32_parser())]
    pub max_scan_age_days: Option<u32>,

    /// Accepted risks (YAML): each excepts the failing or warning findings of one check
    /// that a subject selector or finding id picks, until its expiry date.
    #[arg(long, value_name = "FILE")]
    pub exceptions: Option<PathBuf>,

    /// Also write an evidence bundle: the evidence as collected, every report and a
    /// manifest of sha256s; a .tar.gz when PATH ends in .tar.gz or .tgz, else a directory.
    /// With --archive, a bare name (evidence.tar.gz) is filed in the period's folder.
    #[arg(long, value_name = "PATH")]
    pub bundle: Option<PathBuf>,

    /// Sign the bundle manifest with this minisign secret key (manifest.json.minisig). An
    /// encrypted key's password is read from EVIDENCER_SIGN_PASSWORD, never from a flag.
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,

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
        let list = |v: &Vec<PathBuf>| (!v.is_empty()).then(|| v.clone());
        let mut layer = ConfigFile {
            snapshots: list(&self.snapshots),
            repos: list(&self.repos),
            git_ref: self.git_ref.clone(),
            period: self.period.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            all_parents: self.all_parents.then_some(true),
            max_image_age_days: self.max_image_age_days,
            as_of: self.as_of.clone(),
            formats: (!self.formats.is_empty()).then(|| {
                let mut f = self.formats.clone();
                f.sort();
                f.dedup();
                f
            }),
            out: self.out.clone(),
            archive: self.archive.clone(),
            keep: self.keep,
            replace: self.replace.then_some(true),
            catalogs: list(&self.catalogs),
            builtin_catalogs: self.no_builtin_catalogs.then_some(false),
            templates: self.templates.clone(),
            trusted_registries: (!self.trusted_registries.is_empty())
                .then(|| self.trusted_registries.clone()),
            fail_on: self.fail_on,
            max_file_size: self.max_file_size,
            max_findings: self.max_findings,
            org: self.org.clone(),
            eol_data: self.eol_data.clone(),
            max_node_age_days: self.max_node_age_days,
            max_scan_age_days: self.max_scan_age_days,
            exceptions: self.exceptions.clone(),
            bundle: self.bundle.clone(),
            sign_key: self.sign_key.clone(),
            ..ConfigFile::default()
        };
        self.cluster.apply(&mut layer);
        layer
    }
}
