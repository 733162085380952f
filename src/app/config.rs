//! Configuration layers: built-in defaults, then `evidencer.yaml` (or `--config FILE`), then
//! flags. Unknown keys in the file are errors naming the file and line; `--dump-config`
//! prints the merged result. Relative paths in a config file are taken relative to the file.
//! Every number has one range ([`Range`]), checked alike for the flag (by clap) and the key
//! (on parse, with its line): a value outside it is an error, never clamped.
//!
//! Each setting is declared once, in the `settings!` table below: its flag (with its help),
//! its key, its type, its default and its range. The flags, the file's parser, the merged
//! [`Settings`] and the merge of one layer over another are all made from that row, so a key
//! cannot exist without its flag (or a reason why it has none), nor a flag without its key.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::checks::family::audit::AuditSettings;
use crate::checks::family::gitops::{self, GitopsSettings, RepoPath};
use crate::collect::attestations::AttestationsSetting;
use crate::collect::scope::{self, ScopeGlob};
use crate::evidence::workload_kinds::WorkloadKind;

/// The values a numeric setting takes, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub min: u64,
    pub max: u64,
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
    /// OSCAL assessment results, with the assessment plan they import.
    Oscal,
    /// The questionnaire workbook: the answers, the findings and the evidence.
    Xlsx,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Md => "report.md",
            Format::Html => "report.html",
            Format::Json => "report.json",
            Format::Pdf => "report.pdf",
            Format::Csv => crate::report::csv::FILE_NAME,
            Format::Oscal => crate::report::oscal::RESULTS_FILE_NAME,
            Format::Xlsx => crate::report::xlsx::FILE_NAME,
        }
    }
}

/// A `repos:` entry: a path, or `{path, include, exclude}` whose globs add to the global
/// `include`/`exclude` for that repository.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RepoEntry {
    pub path: PathBuf,
    pub include: Vec<ScopeGlob>,
    pub exclude: Vec<ScopeGlob>,
}

impl From<PathBuf> for RepoEntry {
    fn from(path: PathBuf) -> Self {
        RepoEntry {
            path,
            ..RepoEntry::default()
        }
    }
}

impl Resolve for RepoEntry {
    fn resolve(&mut self, base: &Path) {
        self.path.resolve(base);
    }
}

impl Serialize for RepoEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.include.is_empty() && self.exclude.is_empty() {
            return self.path.serialize(s);
        }
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("path", &self.path)?;
        if !self.include.is_empty() {
            map.serialize_entry("include", &self.include)?;
        }
        if !self.exclude.is_empty() {
            map.serialize_entry("exclude", &self.exclude)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RepoEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RepoEntryVisitor)
    }
}

struct RepoEntryVisitor;

impl<'de> serde::de::Visitor<'de> for RepoEntryVisitor {
    type Value = RepoEntry;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a repository path, or a mapping with `path` and optional `include`, `exclude`")
    }

    fn visit_str<E: serde::de::Error>(self, path: &str) -> Result<RepoEntry, E> {
        Ok(RepoEntry::from(PathBuf::from(path)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RepoEntry, A::Error> {
        const FIELDS: &[&str] = &["path", "include", "exclude"];
        let mut path = None;
        let mut entry = RepoEntry::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "path" => path = Some(map.next_value::<PathBuf>()?),
                "include" => entry.include = map.next_value()?,
                "exclude" => entry.exclude = map.next_value()?,
                other => return Err(serde::de::Error::unknown_field(other, FIELDS)),
            }
        }
        entry.path = path.ok_or_else(|| serde::de::Error::missing_field("path"))?;
        Ok(entry)
    }
}

/// A `--snapshot` argument: a path, or `NAME=PATH`, which names the cluster the snapshot
/// is of when it has no `manifest.json` to say so (see [`SnapshotEntry::parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotEntry {
    pub name: Option<String>,
    pub path: PathBuf,
}

impl SnapshotEntry {
    /// `NAME=PATH` when the text before the first `=` is a cluster name (letters, digits and
    /// `.` `_` `-` `:` `@`, no path separator) and a path follows; anything else is a path
    /// (write `./a=b` for a directory named `a=b`).
    pub fn parse(text: &str) -> SnapshotEntry {
        if let Some((name, path)) = text.split_once('=')
            && !name.is_empty()
            && !path.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '@'))
        {
            return SnapshotEntry {
                name: Some(name.to_string()),
                path: PathBuf::from(path),
            };
        }
        SnapshotEntry {
            name: None,
            path: PathBuf::from(text),
        }
    }

    fn parse_flag(text: &str) -> Result<SnapshotEntry, String> {
        Ok(SnapshotEntry::parse(text))
    }
}

impl From<PathBuf> for SnapshotEntry {
    fn from(path: PathBuf) -> Self {
        SnapshotEntry { name: None, path }
    }
}

impl Resolve for SnapshotEntry {
    fn resolve(&mut self, base: &Path) {
        self.path.resolve(base);
    }
}

impl Serialize for SnapshotEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.name {
            Some(name) => format!("{name}={}", self.path.display()).serialize(s),
            None => self.path.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for SnapshotEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|text| SnapshotEntry::parse(&text))
    }
}

/// The `context` key and `--context` flags: none (the kubeconfig's current context), one,
/// or several (each a cluster of a fleet report). In the file, a name or a list of names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contexts(pub Vec<String>);

impl Serialize for Contexts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [] => s.serialize_none(),
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Contexts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(Contexts(match OneOrMany::deserialize(d)? {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }))
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

/// The numbers a setting's [`Range`] applies to: clap checks the flag, [`in_range`] the key.
trait Ranged: TryFrom<u64> {
    fn flag_parser(range: Range) -> clap::builder::ValueParser;
}

impl Ranged for u32 {
    fn flag_parser(range: Range) -> clap::builder::ValueParser {
        clap::value_parser!(u32)
            .range(range.min as i64..=range.max as i64)
            .into()
    }
}

impl Ranged for u64 {
    fn flag_parser(range: Range) -> clap::builder::ValueParser {
        clap::value_parser!(u64).range(range.min..=range.max).into()
    }
}

/// A config key's number, checked against its range on parse (so the error has the line).
fn in_range<'de, D: Deserializer<'de>, T: Ranged>(
    d: D,
    key: &str,
    range: Range,
) -> Result<T, D::Error> {
    let n = u64::deserialize(d)?;
    if !(range.min..=range.max).contains(&n) {
        return Err(serde::de::Error::custom(format!(
            "{key}: {n} is out of range ({} to {})",
            range.min, range.max
        )));
    }
    T::try_from(n).map_err(|_| serde::de::Error::custom(format!("{key}: {n} is out of range")))
}

/// How a setting takes the value a layer (the file, the flags) gives: a setting with a
/// default is replaced, an optional one (no default) becomes `Some`.
pub trait Setting {
    type Value;
    fn set(&mut self, value: Self::Value);
}

impl<T> Setting for Option<T> {
    type Value = T;
    fn set(&mut self, value: T) {
        *self = Some(value);
    }
}

impl<T> Setting for Vec<T> {
    type Value = Vec<T>;
    fn set(&mut self, value: Vec<T>) {
        *self = value;
    }
}

/// What a flag's field holds when the flag was given: an `Option` flag its value, a
/// repeatable flag its values (none: not given), a switch `true`. A layer holds only what
/// was given, so a flag left out never hides the file's key.
trait Flag {
    type Given;
    fn given(&self) -> Option<Self::Given>;
}

impl<T: Clone> Flag for Option<T> {
    type Given = T;
    fn given(&self) -> Option<T> {
        self.clone()
    }
}

impl<T: Clone> Flag for Vec<T> {
    type Given = Vec<T>;
    fn given(&self) -> Option<Vec<T>> {
        (!self.is_empty()).then(|| self.clone())
    }
}

impl Flag for bool {
    type Given = bool;
    fn given(&self) -> Option<bool> {
        self.then_some(true)
    }
}

/// Makes a config file's relative paths relative to the file's directory. Every setting's
/// type says whether it holds paths, so a new path setting cannot be left unresolved.
trait Resolve {
    fn resolve(&mut self, base: &Path);
}

impl Resolve for PathBuf {
    fn resolve(&mut self, base: &Path) {
        if self.is_relative() {
            *self = base.join(&*self);
        }
    }
}

impl<T: Resolve> Resolve for Option<T> {
    fn resolve(&mut self, base: &Path) {
        self.iter_mut().for_each(|v| v.resolve(base));
    }
}

impl<T: Resolve> Resolve for Vec<T> {
    fn resolve(&mut self, base: &Path) {
        self.iter_mut().for_each(|v| v.resolve(base));
    }
}

/// Types a setting holds as they are: replaced whole by a layer, no paths in them.
macro_rules! plain {
    ($($t:ty),*) => {$(
        impl Setting for $t {
            type Value = $t;
            fn set(&mut self, value: $t) {
                *self = value;
            }
        }
        impl Resolve for $t {
            fn resolve(&mut self, _: &Path) {}
        }
    )*};
}

plain!(
    bool,
    u32,
    u64,
    String,
    FailOn,
    Format,
    Contexts,
    ScopeGlob,
    AuditSettings,
    GitopsSettings,
    RepoPath,
    crate::checks::PatchTimeframes
);

/// Workload-kind rows hold pointers into objects, never paths.
impl Resolve for WorkloadKind {
    fn resolve(&mut self, _: &Path) {}
}

/// A file of attestations is relative to the config file like any path; entries written in
/// the config file are tied to it when it is read (see [`read`]).
impl Resolve for AttestationsSetting {
    fn resolve(&mut self, base: &Path) {
        if let AttestationsSetting::File(path) = self {
            path.resolve(base);
        }
    }
}

impl Setting for PathBuf {
    type Value = PathBuf;
    fn set(&mut self, value: PathBuf) {
        *self = value;
    }
}

/// A flag's value as a layer holds it: [`Flag::given`], or the row's own `given` function.
macro_rules! given {
    ($field:expr) => {
        Flag::given(&$field)
    };
    ($field:expr, $given:expr) => {
        ($given)(&$field)
    };
}

/// A key's value parsed from the file: checked against the row's range when it has one.
macro_rules! parse_key {
    ($d:ident, $key:literal) => {
        Deserialize::deserialize($d)
    };
    ($d:ident, $key:literal, $range:expr) => {
        in_range($d, $key, $range)
    };
}

/// What [`SETTINGS`] says of one setting.
#[derive(Clone, Copy, Debug)]
pub struct SettingInfo {
    /// The field of [`Settings`] and [`ConfigFile`], and the id of its flag.
    pub field: &'static str,
    /// Its key in the config file.
    pub key: &'static str,
    /// The group of flags it belongs to ([`ClusterFlags`], [`ReportFlags`], ...); None for
    /// a setting that has no flag.
    pub flags: Option<&'static str>,
    /// Why a setting has no flag.
    pub file_only: Option<&'static str>,
}

/// Declares every setting once, and from that declaration makes: the groups of flags
/// (clap `Args` structs, flattened into the commands that take them), [`ConfigFile`] and its
/// parser (each key with its range), [`Settings`] and its defaults, the merge of one layer
/// over another, the resolution of a file's relative paths, and [`SETTINGS`], the table
/// the tests hold the command line and README to.
///
/// A row: the flag's help, its clap attributes, then
/// `field: FlagType, key "file-key" => SettingType = default[, in RANGE][, given FN];`.
/// The setting type is the merged value (`Option<T>` for a setting without a default);
/// the flag type what clap parses (`Option<T>`, `Vec<T>` for a repeatable flag, `bool` for a
/// switch); `in RANGE` checks both the flag and the key; `given` turns the flag's field into
/// the layer's value when [`Flag::given`] does not fit. A setting without a flag goes under
/// `file_only`, with the reason.
macro_rules! settings {
    (
        $(
            $(#[doc = $gdoc:literal])*
            flags $group:ident ($gvar:ident) {
                $(
                    $(#[doc = $doc:literal])*
                    #[arg($($arg:tt)*)]
                    $name:ident: $flag_ty:ty, key $key:literal => $ty:ty = $default:expr
                        $(, in $range:expr)? $(, given $given:expr)?;
                )*
            }
        )*
        file_only {
            $(
                $(#[doc = $fdoc:literal])*
                $fname:ident, key $fkey:literal => $fty:ty = $fdefault:expr
                    $(, in $frange:expr)?, because $why:literal;
            )*
        }
    ) => {
        $(
            $(#[doc = $gdoc])*
            #[derive(Debug, Default, clap::Args)]
            pub struct $group {
                $(
                    $(#[doc = $doc])*
                    #[arg($($arg)*)]
                    $(#[arg(value_parser = <<$ty as Setting>::Value as Ranged>::flag_parser($range))])?
                    pub $name: $flag_ty,
                )*
            }

            impl $group {
                /// Puts the flags given into `layer`.
                pub fn apply(&self, layer: &mut ConfigFile) {
                    $( layer.$name = given!(self.$name $(, $given)?); )*
                }
            }
        )*

        impl ConfigFile {
            /// The layer of every group of flags: what `report` was given.
            pub fn from_flags($($gvar: &$group),*) -> ConfigFile {
                let mut layer = ConfigFile::default();
                $( $gvar.apply(&mut layer); )*
                layer
            }

            fn resolve_paths(&mut self, base: &Path) {
                if base.as_os_str().is_empty() {
                    return;
                }
                $($( self.$name.resolve(base); )*)*
                $( self.$fname.resolve(base); )*
            }

            /// The keys this layer gives.
            pub fn keys_given(&self) -> Vec<&'static str> {
                let mut keys = Vec::new();
                $($( if self.$name.is_some() { keys.push($key); } )*)*
                $( if self.$fname.is_some() { keys.push($fkey); } )*
                keys
            }
        }

        /// A layer of settings: the config file, or the flags given. A key left out is
        /// `None` and leaves the layer below as it is.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct ConfigFile {
            $($( pub $name: Option<<$ty as Setting>::Value>, )*)*
            $( pub $fname: Option<<$fty as Setting>::Value>, )*
        }

        /// One type per setting, named after it, that carries its key and range to the
        /// parser of [`FileKeys`].
        #[allow(non_camel_case_types)]
        mod keys {
            $($( pub struct $name; )*)*
            $( pub struct $fname; )*
        }

        $($(
            impl Key for keys::$name {
                type Value = <$ty as Setting>::Value;
                fn parse<'de, D: Deserializer<'de>>(d: D) -> Result<Self::Value, D::Error> {
                    parse_key!(d, $key $(, $range)?)
                }
            }
        )*)*
        $(
            impl Key for keys::$fname {
                type Value = <$fty as Setting>::Value;
                fn parse<'de, D: Deserializer<'de>>(d: D) -> Result<Self::Value, D::Error> {
                    parse_key!(d, $fkey $(, $frange)?)
                }
            }
        )*

        /// The config file as parsed: unknown keys are errors.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct FileKeys {
            $($( #[serde(rename = $key, default)] $name: Option<Parsed<keys::$name>>, )*)*
            $( #[serde(rename = $fkey, default)] $fname: Option<Parsed<keys::$fname>>, )*
        }

        impl From<FileKeys> for ConfigFile {
            fn from(file: FileKeys) -> ConfigFile {
                ConfigFile {
                    $($( $name: file.$name.map(|v| v.0), )*)*
                    $( $fname: file.$fname.map(|v| v.0), )*
                }
            }
        }

        /// The merged settings of a run, as `--dump-config` prints them.
        #[derive(Clone, Debug, Serialize, PartialEq)]
        pub struct Settings {
            $($(
                $(#[doc = $doc])*
                #[serde(rename = $key)]
                pub $name: $ty,
            )*)*
            $(
                $(#[doc = $fdoc])*
                #[serde(rename = $fkey)]
                pub $fname: $fty,
            )*
            /// The config file that was read, if any (not a key of the file).
            #[serde(rename = "config-file", skip_serializing_if = "Option::is_none")]
            pub config_file: Option<PathBuf>,
        }

        impl Default for Settings {
            fn default() -> Self {
                Self {
                    $($( $name: $default, )*)*
                    $( $fname: $fdefault, )*
                    config_file: None,
                }
            }
        }

        impl Settings {
            /// Takes every key `layer` gives.
            fn take(&mut self, layer: ConfigFile) {
                let ConfigFile {
                    $($( $name, )*)*
                    $( $fname, )*
                } = layer;
                $($( if let Some(v) = $name { self.$name.set(v); } )*)*
                $( if let Some(v) = $fname { self.$fname.set(v); } )*
            }
        }

        /// Every setting, in the order `--dump-config` prints them.
        pub const SETTINGS: &[SettingInfo] = &[
            $($(
                SettingInfo {
                    field: stringify!($name),
                    key: $key,
                    flags: Some(stringify!($group)),
                    file_only: None,
                },
            )*)*
            $(
                SettingInfo {
                    field: stringify!($fname),
                    key: $fkey,
                    flags: None,
                    file_only: Some($why),
                },
            )*
        ];
    };
}

/// How one key of the file is parsed (see [`settings!`]).
trait Key {
    type Value;
    fn parse<'de, D: Deserializer<'de>>(d: D) -> Result<Self::Value, D::Error>;
}

/// A key's value, parsed by its [`Key`].
struct Parsed<K: Key>(K::Value);

impl<'de, K: Key> Deserialize<'de> for Parsed<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        K::parse(d).map(Parsed)
    }
}

settings! {
    /// What `report` reads, assesses and writes.
    flags ReportFlags (report) {
        /// kubectl output (`-o yaml|json`: a List, one object, or a multi-document stream) or a
        /// directory of them and of plain manifests; `NAME=PATH` names the cluster of one
        /// without a manifest.json. Repeatable: directories of different clusters make a
        /// fleet report.
        #[arg(long = "snapshot", value_name = "PATH", value_parser = SnapshotEntry::parse_flag)]
        snapshots: Vec<SnapshotEntry>, key "snapshots" => Vec<SnapshotEntry> = Vec::new();

        /// A Git repository (a clone's directory, or a bare clone) whose history over the period
        /// is read: manifests, pipelines, Dockerfiles and image changes. Repeatable.
        #[arg(long = "repo", value_name = "PATH")]
        repos: Vec<PathBuf>, key "repos" => Vec<RepoEntry> = Vec::new(),
            given |paths: &Vec<PathBuf>| (!paths.is_empty())
                .then(|| paths.iter().cloned().map(RepoEntry::from).collect());

        /// Read only the files of every --repo that this glob matches (relative to the
        /// repository root; a glob matching a directory matches its tree). Repeatable.
        #[arg(long = "include", value_name = "GLOB", value_parser = scope::parse_flag)]
        include: Vec<ScopeGlob>, key "include" => Vec<ScopeGlob> = Vec::new();

        /// Leave out of every --repo the files this glob matches (a glob matching a directory
        /// leaves out its tree); listed in the report's coverage. Repeatable.
        #[arg(long = "exclude", value_name = "GLOB", value_parser = scope::parse_flag)]
        exclude: Vec<ScopeGlob>, key "exclude" => Vec<ScopeGlob> = Vec::new();

        /// Read test data and fixture trees too (`**/testdata/**`, `**/test/fixtures/**`...),
        /// which are left out by default.
        #[arg(long = "no-default-excludes", action = clap::ArgAction::SetFalse)]
        default_excludes: bool, key "default-excludes" => bool = true,
            given |on: &bool| (!*on).then_some(false);

        /// Assess only the manifests of a --repo that a top-level kustomization, a Flux
        /// Kustomization or HelmRelease, or an Argo CD Application or ApplicationSet in it deploys.
        #[arg(long)]
        deployed_only: bool, key "deployed-only" => bool = false;

        /// A Kubernetes API audit log: a file (plain or .gz), a directory of them, or a quoted
        /// pattern ('audit-2026-*.log.gz'); the kube-apiserver's log or the EKS, GKE or AKS
        /// export. Repeatable.
        #[arg(long = "audit-log", value_name = "PATH|GLOB")]
        audit_logs: Vec<PathBuf>, key "audit-logs" => Vec<PathBuf> = Vec::new();

        /// The path of every --repo that the cluster of context CONTEXT (a snapshot without
        /// one: `snapshot`) should be running, for live-matches-git when no Flux Kustomization
        /// or Argo CD Application in it says; without either, every manifest of the repository.
        /// Repeatable.
        #[arg(long = "repo-path", value_name = "CONTEXT=PATH", value_parser = gitops::parse_repo_path)]
        repo_paths: Vec<RepoPath>, key "repo-paths" => Vec<RepoPath> = Vec::new();

        /// Scanner and policy-engine results: Trivy, Grype or SARIF scans, CycloneDX or SPDX
        /// SBOMs, PolicyReports, Kubescape results, ConfigAuditReports (JSON or YAML, `.gz`
        /// too), or a directory of them, read recursively. The shape is told from the content;
        /// a file of no known shape is an input problem. Repeatable.
        #[arg(long = "results", value_name = "PATH")]
        results: Vec<PathBuf>, key "results" => Vec<PathBuf> = Vec::new();

        /// The ref whose history is read in every --repo: a branch, tag or commit [default: HEAD].
        #[arg(long = "ref", value_name = "REF")]
        git_ref: Option<String>, key "ref" => String = "HEAD".to_string();

        /// The audit period: YYYY-Qn, YYYY-MM, YYYY, previous-quarter, previous-month or last-Nd
        /// (relative to --as-of). Without a period, a --repo's history is read for the 90 days
        /// up to --as-of (and --audit-log events judged over them; without --repo, over the
        /// logs' own days). It names the folder of --archive.
        #[arg(long, value_name = "PERIOD", conflicts_with_all = ["since", "until"])]
        period: Option<String>, key "period" => Option<String> = None;

        /// First day (YYYY-MM-DD, whole day UTC) or RFC 3339 time of the period; with --until.
        #[arg(long, value_name = "DATE", requires = "until")]
        since: Option<String>, key "since" => Option<String> = None;

        /// Last day (YYYY-MM-DD, included whole) or RFC 3339 time of the period; with --since.
        #[arg(long, value_name = "DATE", requires = "since")]
        until: Option<String>, key "until" => Option<String> = None;

        /// Walk every commit of the history, not only the first parents of the ref.
        #[arg(long)]
        all_parents: bool, key "all-parents" => bool = false;

        /// Images not changed in the period pass images-updated-in-period when younger than
        /// this many days at the period end (1 to 36500) [default: 90].
        #[arg(long, value_name = "DAYS")]
        max_image_age_days: Option<u32>, key "max-image-age-days"
            => u32 = crate::checks::DEFAULT_MAX_IMAGE_AGE_DAYS, in DAYS;

        /// The date (YYYY-MM-DD, meaning the end of that day UTC) or RFC 3339 time the report
        /// speaks for. With it, the same input gives byte-identical reports.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>, key "as-of" => Option<String> = None;

        /// Output formats, comma-separated, written in the order given (each once).
        #[arg(long = "format", value_enum, value_delimiter = ',', value_name = "FORMATS")]
        formats: Vec<Format>, key "formats"
            => Vec<Format> = vec![Format::Md, Format::Html, Format::Json];

        /// Directory to write the reports into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>, key "out" => PathBuf = PathBuf::from("evidencer-report");

        /// File the reports under DIR/<period label>/ instead of --out (needs a period). They are
        /// written to a hidden folder and renamed when complete; a killed run's leftovers are
        /// cleared by the next run.
        #[arg(long, value_name = "DIR", conflicts_with = "out")]
        archive: Option<PathBuf>, key "archive" => Option<PathBuf> = None;

        /// With --archive: keep the N newest period folders and remove older ones, never the
        /// one just written (1 to 10000).
        #[arg(long, value_name = "N")]
        keep: Option<u32>, key "keep" => Option<u32> = None, in KEEP;

        /// With --archive: replace the period's folder when it is already filed (without it,
        /// the run stops before collecting).
        #[arg(long)]
        replace: bool, key "replace" => bool = false;

        /// With --archive: compare with the previous period's report in the archive (the
        /// latest period that ended before this one began): a "Changes since the previous
        /// period" section in md, html and pdf, and findings' first_seen carried forward.
        #[arg(long)]
        compare_previous: bool, key "compare-previous" => bool = false;

        /// Directory with report.md / report.html templates that replace the built-in ones.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>, key "templates" => Option<PathBuf> = None;

        /// Registry or repository prefix images may come from (e.g. registry.example.com/team).
        /// Repeatable. Without any, image-from-trusted-registry is not assessed.
        #[arg(long = "trusted-registry", value_name = "PREFIX")]
        trusted_registries: Vec<String>, key "trusted-registries" => Vec<String> = Vec::new();

        /// Exit 1 when a control is not_satisfied (not-satisfied), or anything but satisfied
        /// (partially-satisfied).
        #[arg(long, value_enum, value_name = "WHEN")]
        fail_on: Option<FailOn>, key "fail-on" => FailOn = FailOn::Never;

        /// Skip input files larger than this many bytes (1 to 4294967296) [default: 1073741824].
        #[arg(long, value_name = "BYTES")]
        max_file_size: Option<u64>, key "max-file-size"
            => u64 = crate::base::input::DEFAULT_MAX_FILE_SIZE, in FILE_SIZE;

        /// Refuse to render md, html or pdf when the run has more findings than this (1 to
        /// 10000000): each costs about 20 KB of memory there [default: 100000]. json and csv
        /// have no limit.
        #[arg(long, value_name = "N")]
        max_findings: Option<u32>, key "max-findings" => u32 = DEFAULT_MAX_FINDINGS, in FINDINGS;

        /// The organisation the report is about: named on the PDF's cover and as its author.
        #[arg(long, value_name = "NAME")]
        org: Option<String>, key "org" => Option<String> = None;

        /// With --format oscal: where the system security plan is (a URL or a path relative
        /// to assessment-plan.json), for the assessment plan's import-ssp [default: a
        /// placeholder to replace].
        #[arg(long, value_name = "HREF")]
        oscal_ssp: Option<String>, key "oscal-ssp" => Option<String> = None;

        /// End-of-life data (Kubernetes, containerd, CRI-O release lines) to use instead of the
        /// built-in file, in the same format.
        #[arg(long, value_name = "FILE")]
        eol_data: Option<PathBuf>, key "eol-data" => Option<PathBuf> = None;

        /// Nodes older than this many days warn in node-recently-replaced (1 to 36500)
        /// [default: 90].
        #[arg(long, value_name = "DAYS")]
        max_node_age_days: Option<u32>, key "max-node-age-days"
            => u32 = crate::checks::DEFAULT_MAX_NODE_AGE_DAYS, in DAYS;

        /// Vulnerability reports older than this many days do not count in images-scanned
        /// (1 to 36500) [default: 30].
        #[arg(long, value_name = "DAYS")]
        max_scan_age_days: Option<u32>, key "max-scan-age-days"
            => u32 = crate::checks::DEFAULT_MAX_SCAN_AGE_DAYS, in DAYS;

        /// Accepted risks (YAML): each excepts the failing or warning findings of one check
        /// that a subject selector or finding id picks, until its expiry date.
        #[arg(long, value_name = "FILE")]
        exceptions: Option<PathBuf>, key "exceptions" => Option<PathBuf> = None;

        /// A customer's questionnaire mapped onto the controls (YAML): each question's id and
        /// wording, the controls that answer it and how their verdicts combine. answers.csv
        /// and answers.xlsx then answer each customer question.
        #[arg(long, value_name = "FILE")]
        questionnaire: Option<PathBuf>, key "questionnaire" => Option<PathBuf> = None;

        /// Attested documents (YAML `attestations:` list): each attaches a document (a file,
        /// hashed and put in the bundle, or a URL with its sha256) to a control, with its
        /// owner, approval date and review interval.
        #[arg(long, value_name = "FILE")]
        attestations: Option<PathBuf>, key "attestations" => Option<AttestationsSetting> = None,
            given |file: &Option<PathBuf>| file.clone().map(AttestationsSetting::File);

        /// Also write an evidence bundle: the evidence as collected, every report and a
        /// manifest of sha256s; a .tar.gz when PATH ends in .tar.gz or .tgz, else a directory.
        /// With --archive, a bare name (evidence.tar.gz) is filed in the period's folder.
        #[arg(long, value_name = "PATH")]
        bundle: Option<PathBuf>, key "bundle" => Option<PathBuf> = None;

        /// Sign the bundle manifest with this minisign secret key (manifest.json.minisig). An
        /// encrypted key's password is read from EVIDENCER_SIGN_PASSWORD, never from a flag.
        #[arg(long, value_name = "FILE")]
        sign_key: Option<PathBuf>, key "sign-key" => Option<PathBuf> = None;
    }

    /// The controls: flags of `report`, `checks` and `controls`.
    flags CatalogFlags (catalogs) {
        /// Add the controls of the catalogs (*.yaml) in DIR; a control with an existing id
        /// replaces it. Repeatable.
        #[arg(long = "catalog", value_name = "DIR")]
        catalogs: Vec<PathBuf>, key "catalogs" => Vec<PathBuf> = Vec::new();

        /// Leave the built-in catalogs out.
        #[arg(long = "no-builtin-catalogs", action = clap::ArgAction::SetFalse)]
        builtin_catalogs: bool, key "builtin-catalogs" => bool = true,
            given |on: &bool| (!*on).then_some(false);
    }

    /// Where the live cluster is, kubectl's way: flags of `report` and `collect`.
    flags ClusterFlags (cluster) {
        /// Read the live cluster of the kubeconfig context (or, in a pod without a kubeconfig,
        /// the pod's service account).
        #[arg(long)]
        cluster: bool, key "cluster" => bool = false;

        /// kubeconfig file [default: $KUBECONFIG, else ~/.kube/config].
        #[arg(long, value_name = "FILE")]
        kubeconfig: Option<PathBuf>, key "kubeconfig" => Option<PathBuf> = None;

        /// kubeconfig context [default: its current-context]. Repeatable with `report`: each
        /// context is a cluster of a fleet report.
        #[arg(long = "context", value_name = "NAME")]
        context: Vec<String>, key "context" => Contexts = Contexts::default(),
            given |names: &Vec<String>| (!names.is_empty()).then(|| Contexts(names.clone()));

        /// Read namespaced objects (and Namespace objects) of this namespace only; repeatable
        /// [default: all namespaces]. Cluster-scoped kinds (Nodes, ClusterRoles, ...) are read whole.
        #[arg(short = 'n', long = "namespace", value_name = "NS")]
        namespaces: Vec<String>, key "namespaces" => Vec<String> = Vec::new();

        /// Objects asked for per list request (1 to 10000) [default: 500].
        #[arg(long, value_name = "N")]
        page_size: Option<u32>, key "page-size"
            => u32 = crate::collect::cluster::DEFAULT_PAGE_SIZE, in PAGE_SIZE;

        /// Give up a list (its kind is then not assessed) after this many pages (1 to 1000000)
        /// [default: 10000].
        #[arg(long, value_name = "N")]
        max_list_pages: Option<u32>, key "max-list-pages"
            => u32 = crate::collect::cluster::DEFAULT_MAX_LIST_PAGES, in LIST_PAGES;

        /// Give up a list (its kind is then not assessed) after this many seconds (1 to 86400)
        /// [default: 1800].
        #[arg(long, value_name = "SECONDS")]
        max_list_seconds: Option<u32>, key "max-list-seconds"
            => u32 = crate::collect::cluster::DEFAULT_MAX_LIST_SECONDS, in LIST_SECONDS;
    }

    // A setting a flag would make no sense for goes here, with why.
    file_only {
        /// Workload kinds beyond the built-in table (README, "Workload kinds"): each row's
        /// API group, kind, versions, plural, where its pod template (or images) are, and
        /// how it updates. A row for a group and kind the table has replaces it.
        workload_kinds, key "workload-kinds" => Vec<WorkloadKind> = Vec::new(),
            because "a table of rows does not fit on a command line";

        /// The API audit log checks' break-glass subjects: `allowed-users` and
        /// `allowed-groups`, whose entries into running containers warn instead of failing.
        audit, key "audit" => AuditSettings = AuditSettings::default(),
            because "lists of users and groups are reviewed with the config, not typed per run";

        /// Who deploys, for the Git-to-live checks: `deploying-agents` (field managers whose
        /// writes to a pod template pass no-manual-edits) [default: kustomize-controller,
        /// helm-controller, argocd-controller, helm] and `unmanaged-namespaces` (namespaces
        /// not deployed from Git, skipped by live-matches-git) [default: kube-system,
        /// kube-public, kube-node-lease]. A key given replaces its default list.
        gitops, key "gitops" => GitopsSettings = GitopsSettings::default(),
            because "lists of agents and namespaces are policy, reviewed with the config";

        /// Days a known fix may stay unapplied, by severity, in `known-fixes-applied`: any of
        /// `critical`, `high`, `medium`, `low` (1 to 36500 each; a key left out keeps its
        /// default) [default: critical 30, high 30, medium 90, low 180].
        patch_timeframes_days, key "patch-timeframes-days"
            => crate::checks::PatchTimeframes = crate::checks::PatchTimeframes::default(),
            because "a timeframe per severity is a map, set once in the policy file";
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
    // Attestations written here are shown, and their documents found, relative to this file.
    // Entries written here are shown, and their documents found, relative to this file.
    if let Some(AttestationsSetting::Inline {
        file: written_in, ..
    }) = &mut file.attestations
    {
        *written_in = path.clone();
    }
    Ok(Some((path, file)))
}

pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
    if text.trim().is_empty() {
        return Ok(ConfigFile::default());
    }
    crate::base::yaml::from_file_text::<FileKeys>(text)
        .map(ConfigFile::from)
        .map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: e.line,
            column: e.column,
            message: e.message,
        })
}

impl Settings {
    /// The `--max-findings` limit, when a format asked for renders every finding (md, html,
    /// pdf, xlsx: about 20 KB of memory each there); None when only json, csv and oscal are.
    pub fn findings_limit(&self) -> Option<u32> {
        self.formats
            .iter()
            .any(|f| matches!(f, Format::Md | Format::Html | Format::Pdf | Format::Xlsx))
            .then_some(self.max_findings)
    }

    /// Applies a layer (the config file, then the flags) over these settings.
    pub fn with_layer(mut self, layer: ConfigFile) -> Self {
        // A period in one layer replaces the other's, whichever form each uses.
        if layer.period.is_some() || layer.since.is_some() || layer.until.is_some() {
            (self.period, self.since, self.until) = (None, None, None);
        }
        self.take(layer);
        // Formats are written in the order asked for, each once.
        let mut seen = Vec::with_capacity(self.formats.len());
        self.formats.retain(|f| {
            let first = !seen.contains(f);
            seen.push(*f);
            first
        });
        self
    }

    /// Where and how the live-cluster collector reads.
    pub fn cluster_options(&self) -> crate::collect::cluster::ClusterOptions {
        crate::collect::cluster::ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.0.first().cloned(),
            namespaces: self.namespaces.clone(),
            page_size: self.page_size,
            limits: crate::collect::cluster::ListLimits {
                max_pages: self.max_list_pages,
                max_duration: std::time::Duration::from_secs(self.max_list_seconds.into()),
                ..Default::default()
            },
            extra_kinds: self.workload_kinds.clone(),
            ..Default::default()
        }
    }

    /// The scope of one `repos:` entry: the global globs, then the entry's own.
    pub fn scope_options(&self, repo: &RepoEntry) -> scope::ScopeOptions {
        scope::ScopeOptions {
            include: self.include.iter().chain(&repo.include).cloned().collect(),
            exclude: self.exclude.iter().chain(&repo.exclude).cloned().collect(),
            default_excludes: self.default_excludes,
            deployed_only: self.deployed_only,
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
    fn break_glass_subjects_are_read_and_a_misspelt_key_is_an_error_with_a_line() {
        let file = parse(
            Path::new("e.yaml"),
            "audit-logs: [logs/]\naudit:\n  allowed-users: [root-admin]\n  allowed-groups: [sre]\n",
        )
        .unwrap();
        let s = Settings::default().with_layer(file);
        assert_eq!(s.audit_logs, [PathBuf::from("logs/")]);
        assert_eq!(s.audit.allowed_users, ["root-admin"]);
        assert_eq!(s.audit.allowed_groups, ["sre"]);
        assert!(s.to_yaml().contains("allowed-groups"));
        let err = parse(Path::new("e.yaml"), "audit:\n  allowed-user: [x]\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("e.yaml:2:"), "{err}");
        assert!(err.contains("allowed-user"), "{err}");
    }

    #[test]
    fn patch_timeframes_take_any_severity_and_keep_the_defaults_of_the_others() {
        let s = Settings::default().with_layer(
            parse(
                Path::new("e.yaml"),
                "patch-timeframes-days: {critical: 15}\n",
            )
            .unwrap(),
        );
        let t = s.patch_timeframes_days;
        assert_eq!((t.critical, t.high, t.medium, t.low), (15, 30, 90, 180));
        for (text, says) in [
            (
                "patch-timeframes-days: {high: 0}\n",
                "patch-timeframes-days: 0 is out of range (1 to 36500)",
            ),
            ("patch-timeframes-days: {urgent: 7}\n", "urgent"),
        ] {
            let err = parse(Path::new("e.yaml"), text).unwrap_err().to_string();
            assert!(err.starts_with("e.yaml:1:"), "{text}: {err}");
            assert!(err.contains(says), "{text}: {err}");
        }
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
            "trusted-registries: [registry.example.com]\nformats: [json, pdf, csv]\ncatalogs: [mine]\nfail-on: not-satisfied\neol-data: eol.yaml\nmax-node-age-days: 30\norg: Zoë Corp\nexceptions: accepted.yaml\nattestations: attested.yaml\nbundle: q3.tar.gz\nsign-key: keys/ev.key\n",
        )
        .unwrap();
        file.resolve_paths(Path::new("cfg"));
        assert_eq!(
            file.attestations,
            Some(AttestationsSetting::File("cfg/attested.yaml".into()))
        );
        let s = Settings::default().with_layer(file);
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

    /// The `report` command line, parsed.
    fn report_layer(args: &[&str]) -> Result<ConfigFile, clap::Error> {
        use clap::Parser;
        let argv = ["evidencer", "report"].iter().chain(args);
        match crate::app::cli::Cli::try_parse_from(argv)?.command {
            crate::app::cli::Command::Report(args) => Ok(args.as_layer()),
            _ => unreachable!("parsed as report"),
        }
    }

    #[test]
    fn every_setting_has_a_flag_that_sets_its_key_or_says_why_it_has_none() {
        use clap::CommandFactory;
        let cli = crate::app::cli::Cli::command();
        let report = cli.find_subcommand("report").unwrap();
        let mut keys = Vec::new();
        for s in SETTINGS {
            assert!(!keys.contains(&s.key), "{} is declared twice", s.key);
            keys.push(s.key);
            let flag = report.get_arguments().find(|a| a.get_id() == s.field);
            let Some(group) = s.flags else {
                assert!(
                    s.file_only.is_some_and(|why| !why.is_empty()),
                    "{} has neither a flag nor a reason",
                    s.key
                );
                assert!(flag.is_none(), "{} is file-only but has a flag", s.key);
                continue;
            };
            let flag = flag.unwrap_or_else(|| panic!("{} ({group}) has no flag", s.key));
            let long = format!("--{}", flag.get_long().unwrap());
            let mut args = vec![long.as_str()];
            let value = flag
                .get_possible_values()
                .first()
                .map(|v| v.get_name().to_string());
            if flag.get_action().takes_values() {
                args.push(value.as_deref().unwrap_or("1"));
            }
            // Flags that need a partner.
            match s.key {
                "since" => args.extend(["--until", "2026-09-30"]),
                "until" => args.extend(["--since", "2026-07-01"]),
                "repo-paths" => args[1] = "prod=clusters/prod",
                _ => {}
            }
            let layer = report_layer(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            let given = layer.keys_given();
            assert!(
                given.contains(&s.key),
                "{args:?} sets {given:?}, not {}",
                s.key
            );
            assert!(
                given
                    .iter()
                    .all(|k| *k == s.key || ["since", "until"].contains(k)),
                "{args:?} sets {given:?}"
            );
        }
        // And the converse: every flag of `report` is a setting's, or one of these.
        let not_settings = [
            "config",
            "dump_config",
            "verbose",
            "quiet",
            "log_format",
            "help",
        ];
        for arg in report.get_arguments() {
            let id = arg.get_id().as_str();
            assert!(
                not_settings.contains(&id) || SETTINGS.iter().any(|s| s.field == id),
                "--{id} is neither a setting nor known not to be one"
            );
        }
    }

    #[test]
    fn a_flag_left_out_leaves_every_key_to_the_file() {
        assert_eq!(report_layer(&[]).unwrap(), ConfigFile::default());
        let layer = report_layer(&["--no-builtin-catalogs", "-n", "a", "-n", "b"]).unwrap();
        assert_eq!(layer.builtin_catalogs, Some(false));
        assert_eq!(
            layer.namespaces,
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert!(Settings::default().builtin_catalogs);
    }

    #[test]
    fn the_readme_shows_every_key() {
        let readme =
            fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
        let section = readme
            .split("\n## Configuration\n")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("README has a Configuration section");
        let example = section
            .split("```yaml\n")
            .nth(1)
            .and_then(|s| s.split("```").next())
            .expect("the section shows a config file");
        // Every key it shows is one.
        parse(Path::new("README.md"), example).unwrap();
        for s in SETTINGS {
            let key = format!("{}:", s.key);
            let shown = example
                .lines()
                .any(|l| l.starts_with(&key) || l.contains(&format!(" {key}")));
            assert!(
                shown,
                "README's Configuration example does not show `{key}`"
            );
        }
    }

    #[test]
    fn flags_override_the_file_which_overrides_the_defaults() {
        let file = parse(
            Path::new("e.yaml"),
            "period: 2026-Q3\nformats: [pdf, md, pdf]\nkeep: 3\npage-size: 7\ncluster: true\n",
        )
        .unwrap();
        let flags = report_layer(&[
            "--since",
            "2026-07-01",
            "--until",
            "2026-07-31",
            "--page-size",
            "9",
            "--format",
            "csv,json,csv",
        ])
        .unwrap();
        let s = Settings::default().with_layer(file.clone());
        assert_eq!(s.formats, [Format::Pdf, Format::Md]);
        assert_eq!(s.period.as_deref(), Some("2026-Q3"));
        let s = s.with_layer(flags);
        // The flags' period replaces the file's, though given in the other form.
        assert_eq!(s.period, None);
        assert_eq!(s.since.as_deref(), Some("2026-07-01"));
        assert_eq!(s.formats, [Format::Csv, Format::Json]);
        assert_eq!((s.page_size, s.keep, s.cluster), (9, Some(3), true));
        assert_eq!(
            s.max_list_pages,
            crate::collect::cluster::DEFAULT_MAX_LIST_PAGES
        );
    }
}
