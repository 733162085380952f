//! Configuration layers: built-in defaults, then `evidencer.yaml` (or `--config FILE`), then
//! flags. Unknown keys in the file are errors naming the file and line; `--dump-config`
//! prints the merged result. Relative paths in a config file are taken relative to the file.
//! Every number has one range ([`Range`]), checked alike for the flag (by clap) and the key
//! (on parse, with its line): a value outside it is an error, never clamped.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

/// The values a numeric setting takes, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub min: u64,
    pub max: u64,
}

impl Range {
    /// The range as clap checks it on a `u32` flag.
    pub fn u32_parser(self) -> clap::builder::RangedI64ValueParser<u32> {
        clap::value_parser!(u32).range(self.min as i64..=self.max as i64)
    }

    /// The range as clap checks it on a `u64` flag.
    pub fn u64_parser(self) -> clap::builder::RangedU64ValueParser<u64> {
        clap::value_parser!(u64).range(self.min..=self.max)
    }
}

/// Objects per list request: paging stops making sense above this.
pub const PAGE_SIZE: Range = Range {
    min: 1,
    max: 10_000,
};
/// `--keep`: period folders kept by the archive.
pub const KEEP: Range = Range {
    min: 1,
    max: 10_000,
};
/// The `--max-*-days` ages: a day to a hundred years.
pub const DAYS: Range = Range {
    min: 1,
    max: 36_500,
};
/// `--max-file-size`: a byte to 4 GiB (a file is read whole into memory, and parsing takes
/// several times its size).
pub const FILE_SIZE: Range = Range {
    min: 1,
    max: 4 << 30,
};
/// `--max-findings`: the most findings a run renders into md, html and pdf.
pub const FINDINGS: Range = Range {
    min: 1,
    max: 10_000_000,
};
/// Default of `--max-findings`: each finding costs about 20 KB of memory when every document
/// format is rendered (the PDF most), so this keeps a run with them all near 2 GB.
pub const DEFAULT_MAX_FINDINGS: u32 = 100_000;
/// `--max-list-pages`.
pub const LIST_PAGES: Range = Range {
    min: 1,
    max: 1_000_000,
};
/// `--max-list-seconds`: a second to a day.
pub const LIST_SECONDS: Range = Range {
    min: 1,
    max: 86_400,
};

/// A config key's number, checked against its range on parse (so the error has the line).
fn in_range<'de, D: Deserializer<'de>, T: TryFrom<u64>>(
    d: D,
    key: &str,
    range: Range,
) -> Result<Option<T>, D::Error> {
    let Some(n) = Option::<u64>::deserialize(d)? else {
        return Ok(None);
    };
    if !(range.min..=range.max).contains(&n) {
        return Err(serde::de::Error::custom(format!(
            "{key}: {n} is out of range ({} to {})",
            range.min, range.max
        )));
    }
    T::try_from(n)
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("{key}: {n} is out of range")))
}

macro_rules! ranged {
    ($($name:ident: $t:ty = $key:literal in $range:expr;)*) => {$(
        fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
            in_range(d, $key, $range)
        }
    )*};
}

ranged! {
    page_size_key: u32 = "page-size" in PAGE_SIZE;
    keep_key: u32 = "keep" in KEEP;
    max_image_age_days_key: u32 = "max-image-age-days" in DAYS;
    max_node_age_days_key: u32 = "max-node-age-days" in DAYS;
    max_scan_age_days_key: u32 = "max-scan-age-days" in DAYS;
    max_file_size_key: u64 = "max-file-size" in FILE_SIZE;
    max_list_pages_key: u32 = "max-list-pages" in LIST_PAGES;
    max_list_seconds_key: u32 = "max-list-seconds" in LIST_SECONDS;
    max_findings_key: u32 = "max-findings" in FINDINGS;
}

/// Output formats of `report`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Md,
    Html,
    Json,
    Pdf,
    /// Questionnaire answers, one row per control.
    Csv,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Md => "report.md",
            Format::Html => "report.html",
            Format::Json => crate::report::JSON_FILE_NAME,
            Format::Pdf => "report.pdf",
            Format::Csv => crate::report::csv::FILE_NAME,
        }
    }
}

/// When `report` exits 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// Always exit 0 when the report was written.
    #[default]
    Never,
    /// Exit 1 when any control is not_satisfied.
    NotSatisfied,
    /// Exit 1 when any control is anything but satisfied (not_assessed included).
    PartiallySatisfied,
}

/// The config file. Every key is optional; every key has a flag of the same name.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    pub snapshots: Option<Vec<PathBuf>>,
    pub repos: Option<Vec<PathBuf>>,
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    pub period: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub all_parents: Option<bool>,
    #[serde(default, deserialize_with = "max_image_age_days_key")]
    pub max_image_age_days: Option<u32>,
    pub as_of: Option<String>,
    pub formats: Option<Vec<Format>>,
    pub out: Option<PathBuf>,
    pub catalogs: Option<Vec<PathBuf>>,
    pub builtin_catalogs: Option<bool>,
    pub templates: Option<PathBuf>,
    pub trusted_registries: Option<Vec<String>>,
    pub fail_on: Option<FailOn>,
    #[serde(default, deserialize_with = "max_file_size_key")]
    pub max_file_size: Option<u64>,
    #[serde(default, deserialize_with = "max_findings_key")]
    pub max_findings: Option<u32>,
    pub org: Option<String>,
    pub eol_data: Option<PathBuf>,
    #[serde(default, deserialize_with = "max_node_age_days_key")]
    pub max_node_age_days: Option<u32>,
    #[serde(default, deserialize_with = "max_scan_age_days_key")]
    pub max_scan_age_days: Option<u32>,
    pub archive: Option<PathBuf>,
    #[serde(default, deserialize_with = "keep_key")]
    pub keep: Option<u32>,
    pub replace: Option<bool>,
    pub exceptions: Option<PathBuf>,
    pub bundle: Option<PathBuf>,
    pub sign_key: Option<PathBuf>,
    pub cluster: Option<bool>,
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespaces: Option<Vec<String>>,
    #[serde(default, deserialize_with = "page_size_key")]
    pub page_size: Option<u32>,
    #[serde(default, deserialize_with = "max_list_pages_key")]
    pub max_list_pages: Option<u32>,
    #[serde(default, deserialize_with = "max_list_seconds_key")]
    pub max_list_seconds: Option<u32>,
}

/// The merged settings of a `report` run, as `--dump-config` prints them.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    pub snapshots: Vec<PathBuf>,
    /// Git repositories whose history is read.
    pub repos: Vec<PathBuf>,
    /// The ref of each repository whose history is read.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// `--period`: `2026-Q3`, `2026-08`, `2026`, `previous-quarter`, `last-90d`...
    pub period: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Walk every commit, not only first parents.
    pub all_parents: bool,
    pub max_image_age_days: u32,
    pub as_of: Option<String>,
    pub formats: Vec<Format>,
    pub out: PathBuf,
    pub catalogs: Vec<PathBuf>,
    pub builtin_catalogs: bool,
    pub templates: Option<PathBuf>,
    pub trusted_registries: Vec<String>,
    pub fail_on: FailOn,
    pub max_file_size: u64,
    /// The most findings rendered into md, html and pdf (json and csv have no limit).
    pub max_findings: u32,
    /// The organisation the report is about (PDF cover and author).
    pub org: Option<String>,
    /// End-of-life data replacing the built-in file; None uses the built-in one.
    pub eol_data: Option<PathBuf>,
    pub max_node_age_days: u32,
    pub max_scan_age_days: u32,
    /// `--archive`: file each run under `<archive>/<period label>/` instead of `out`.
    pub archive: Option<PathBuf>,
    /// `--keep`: how many period folders the archive keeps.
    pub keep: Option<u32>,
    /// `--replace`: replace a period folder that is already filed.
    pub replace: bool,
    /// Accepted risks (see [`crate::assess::exceptions`]).
    pub exceptions: Option<PathBuf>,
    /// Where to write the evidence bundle, if anywhere.
    pub bundle: Option<PathBuf>,
    /// minisign secret key that signs the bundle manifest; its password, when it has one,
    /// comes from the environment only.
    pub sign_key: Option<PathBuf>,
    /// Read the live cluster.
    pub cluster: bool,
    /// kubeconfig file; None reads KUBECONFIG or ~/.kube/config (or the pod's service account).
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context; None takes the current one.
    pub context: Option<String>,
    /// Namespaces to read; empty means all.
    pub namespaces: Vec<String>,
    /// Objects per list request.
    pub page_size: u32,
    /// Pages one list may take before it is abandoned.
    pub max_list_pages: u32,
    /// Seconds one list may take before it is abandoned.
    pub max_list_seconds: u32,
    /// The config file that was read, if any (not a key of the file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            snapshots: Vec::new(),
            repos: Vec::new(),
            git_ref: "HEAD".to_string(),
            period: None,
            since: None,
            until: None,
            all_parents: false,
            max_image_age_days: crate::checks::DEFAULT_MAX_IMAGE_AGE_DAYS,
            as_of: None,
            formats: vec![Format::Md, Format::Html, Format::Json],
            out: PathBuf::from("evidencer-report"),
            catalogs: Vec::new(),
            builtin_catalogs: true,
            templates: None,
            trusted_registries: Vec::new(),
            fail_on: FailOn::Never,
            max_file_size: crate::base::input::DEFAULT_MAX_FILE_SIZE,
            max_findings: DEFAULT_MAX_FINDINGS,
            org: None,
            eol_data: None,
            max_node_age_days: crate::checks::DEFAULT_MAX_NODE_AGE_DAYS,
            max_scan_age_days: crate::checks::DEFAULT_MAX_SCAN_AGE_DAYS,
            archive: None,
            keep: None,
            replace: false,
            exceptions: None,
            bundle: None,
            sign_key: None,
            cluster: false,
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            page_size: crate::collect::cluster::DEFAULT_PAGE_SIZE,
            max_list_pages: crate::collect::cluster::DEFAULT_MAX_LIST_PAGES,
            max_list_seconds: crate::collect::cluster::DEFAULT_MAX_LIST_SECONDS,
            config_file: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error("{path}:{line}:{column}: {message} (see `evidencer report --help` for the keys)")]
    Invalid {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
}

/// The default config file, read when present.
pub const DEFAULT_FILE: &str = "evidencer.yaml";

/// Reads `explicit` (must exist) or `evidencer.yaml` in the working directory (if present),
/// of at most `limit` bytes. Anything named `evidencer.yaml` counts as present: a FIFO or a
/// directory by that name is an error, not silently no config.
pub fn read(
    explicit: Option<&Path>,
    limit: u64,
) -> Result<Option<(PathBuf, ConfigFile)>, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if fs::symlink_metadata(DEFAULT_FILE).is_ok() => PathBuf::from(DEFAULT_FILE),
        None => return Ok(None),
    };
    let text =
        crate::base::input::read_to_string(&path, limit).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
    let mut file = parse(&path, &text)?;
    file.resolve_paths(path.parent().unwrap_or(Path::new("")));
    Ok(Some((path, file)))
}

pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
    if text.trim().is_empty() {
        return Ok(ConfigFile::default());
    }
    crate::base::yaml::from_file_text(text).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: e.line,
        column: e.column,
        message: e.message,
    })
}

impl ConfigFile {
    fn resolve_paths(&mut self, base: &Path) {
        if base.as_os_str().is_empty() {
            return;
        }
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        self.snapshots.iter_mut().flatten().for_each(fix);
        self.repos.iter_mut().flatten().for_each(fix);
        self.catalogs.iter_mut().flatten().for_each(fix);
        self.out.iter_mut().for_each(fix);
        self.templates.iter_mut().for_each(fix);
        self.eol_data.iter_mut().for_each(fix);
        self.exceptions.iter_mut().for_each(fix);
        self.bundle.iter_mut().for_each(fix);
        self.sign_key.iter_mut().for_each(fix);
        self.kubeconfig.iter_mut().for_each(fix);
        self.archive.iter_mut().for_each(fix);
    }
}

impl Settings {
    /// Applies a config file over the defaults.
    pub fn with_file(mut self, file: ConfigFile) -> Self {
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(v) = file.$field { self.$field = v; } )* };
        }
        take!(
            snapshots,
            repos,
            git_ref,
            all_parents,
            max_image_age_days,
            formats,
            out,
            catalogs,
            builtin_catalogs,
            trusted_registries,
            fail_on,
            max_file_size,
            max_findings,
            max_node_age_days,
            max_scan_age_days,
            replace,
            cluster,
            namespaces,
            page_size,
            max_list_pages,
            max_list_seconds
        );
        if file.archive.is_some() {
            self.archive = file.archive;
        }
        if file.keep.is_some() {
            self.keep = file.keep;
        }
        if file.kubeconfig.is_some() {
            self.kubeconfig = file.kubeconfig;
        }
        if file.context.is_some() {
            self.context = file.context;
        }
        if file.eol_data.is_some() {
            self.eol_data = file.eol_data;
        }
        if file.as_of.is_some() {
            self.as_of = file.as_of;
        }
        if file.templates.is_some() {
            self.templates = file.templates;
        }
        if file.org.is_some() {
            self.org = file.org;
        }
        if file.exceptions.is_some() {
            self.exceptions = file.exceptions;
        }
        if file.bundle.is_some() {
            self.bundle = file.bundle;
        }
        if file.sign_key.is_some() {
            self.sign_key = file.sign_key;
        }
        // A period in one layer replaces the other's, whichever form each uses.
        if file.period.is_some() || file.since.is_some() || file.until.is_some() {
            self.period = file.period;
            self.since = file.since;
            self.until = file.until;
        }
        self
    }

    /// Where and how the live-cluster collector reads.
    pub fn cluster_options(&self) -> crate::collect::cluster::ClusterOptions {
        crate::collect::cluster::ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespaces: self.namespaces.clone(),
            page_size: self.page_size,
            limits: crate::collect::cluster::ListLimits {
                max_pages: self.max_list_pages,
                max_duration: std::time::Duration::from_secs(self.max_list_seconds.into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// `--dump-config` output: the settings as a config file.
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self).expect("settings serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_out_of_range_are_errors_with_a_line() {
        for (text, says) in [
            (
                "page-size: 0\n",
                "page-size: 0 is out of range (1 to 10000)",
            ),
            ("out: x\nkeep: 0\n", "keep: 0 is out of range"),
            (
                "max-node-age-days: 99999999\n",
                "max-node-age-days: 99999999",
            ),
            ("max-file-size: 0\n", "max-file-size: 0 is out of range"),
            ("max-list-pages: -1\n", ""),
        ] {
            let err = parse(Path::new("e.yaml"), text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
            let line = text.lines().count();
            assert!(err.starts_with(&format!("e.yaml:{line}:")), "{text}: {err}");
        }
        let ok = parse(Path::new("e.yaml"), "page-size: 10000\nkeep: 1\n").unwrap();
        assert_eq!((ok.page_size, ok.keep), (Some(10_000), Some(1)));
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let err = parse(
            Path::new("evidencer.yaml"),
            "out: x\ntrusted-registry: [a]\n",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("evidencer.yaml:2:"), "{msg}");
        assert!(msg.contains("trusted-registry"), "{msg}");
    }

    #[test]
    fn file_values_override_defaults_and_paths_resolve_against_the_file() {
        let mut file = parse(
            Path::new("cfg/evidencer.yaml"),
            "trusted-registries: [registry.example.com]\nformats: [json, pdf, csv]\ncatalogs: [mine]\nfail-on: not-satisfied\neol-data: eol.yaml\nmax-node-age-days: 30\norg: Zoë Corp\nexceptions: accepted.yaml\nbundle: q3.tar.gz\nsign-key: keys/ev.key\n",
        )
        .unwrap();
        file.resolve_paths(Path::new("cfg"));
        let s = Settings::default().with_file(file);
        assert_eq!(s.trusted_registries, ["registry.example.com"]);
        assert_eq!(s.formats, [Format::Json, Format::Pdf, Format::Csv]);
        assert_eq!(s.exceptions, Some(PathBuf::from("cfg/accepted.yaml")));
        assert_eq!(s.bundle, Some(PathBuf::from("cfg/q3.tar.gz")));
        assert_eq!(s.sign_key, Some(PathBuf::from("cfg/keys/ev.key")));
        assert_eq!(s.org.as_deref(), Some("Zoë Corp"));
        assert_eq!(s.catalogs, [PathBuf::from("cfg/mine")]);
        assert_eq!(s.fail_on, FailOn::NotSatisfied);
        assert_eq!(s.eol_data, Some(PathBuf::from("cfg/eol.yaml")));
        assert_eq!(s.max_node_age_days, 30);
        assert_eq!(
            s.max_scan_age_days,
            crate::checks::DEFAULT_MAX_SCAN_AGE_DAYS
        );
        assert!(s.builtin_catalogs);
        assert!(s.to_yaml().contains("trusted-registries"));
    }
}
