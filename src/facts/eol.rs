//! End-of-life data: the release lines of Kubernetes, containerd and CRI-O, with the day
//! upstream support of each ends, and the judgement "is this version supported on day D?".
//!
//! The data is a YAML file (format documented at the top of
//! `controls/data/end-of-life.yaml`). The shipped file is compiled into the binary; a user
//! file given with `--eol-data` replaces it whole. Loading validates everything (unknown keys,
//! malformed dates and versions, duplicate lines, an end before the release, a `follows` that
//! names nothing) and reports the file and line. The data used is recorded in the report's
//! provenance with its sha256, so an auditor can tell which dates judged the evidence.
//!
//! Judging is deliberately conservative: a version newer than every line listed is
//! *unknown*, never assumed supported, because a stale data file must not turn into a pass.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_saphyr::Spanned;

use crate::evidence::datafile::DataFile;
use crate::evidence::record::sha256_hex;

/// Where the shipped data lives in the repository (and how provenance names it).
pub const BUILTIN_PATH: &str = "controls/data/end-of-life.yaml";
const BUILTIN_TEXT: &str = include_str!("../../controls/data/end-of-life.yaml");

/// A release line: `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MinorVersion {
    pub major: u64,
    pub minor: u64,
}

impl fmt::Display for MinorVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl MinorVersion {
    /// Parses exactly `major.minor`.
    pub fn parse(s: &str) -> Option<MinorVersion> {
        let (major, minor) = s.trim().split_once('.')?;
        Some(MinorVersion {
            major: parse_number(major)?,
            minor: parse_number(minor)?,
        })
    }
}

fn parse_number(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A version as a component reports it: `v1.29.6-eks-db838b0`, `2.0.5-k3s1`, `1.30.4`.
/// Only the leading `major.minor[.patch]` is read; vendor suffixes are kept in `raw`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: Option<u64>,
    pub raw: String,
}

impl Version {
    pub fn parse(raw: &str) -> Option<Version> {
        let s = raw.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let mut numbers = Vec::with_capacity(3);
        let mut rest = s;
        while numbers.len() < 3 {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            numbers.push(rest[..end].parse::<u64>().ok()?);
            rest = &rest[end..];
            match rest.strip_prefix('.') {
                Some(r) if numbers.len() < 3 && r.starts_with(|c: char| c.is_ascii_digit()) => {
                    rest = r
                }
                _ => break,
            }
        }
        if numbers.len() < 2 {
            return None;
        }
        Some(Version {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers.get(2).copied(),
            raw: raw.trim().to_string(),
        })
    }

    pub fn line(&self) -> MinorVersion {
        MinorVersion {
            major: self.major,
            minor: self.minor,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The loaded data.
#[derive(Clone, Debug)]
pub struct EolData {
    /// The day the data was last checked against its sources.
    pub compiled: NaiveDate,
    pub products: BTreeMap<String, Product>,
    /// The file it came from, for the report's provenance.
    pub file: DataFile,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub policy: Option<String>,
    pub sources: Vec<String>,
    /// The product whose lines this one shares, when it follows another.
    pub follows: Option<String>,
    /// Sorted by version.
    pub lines: Vec<Line>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub version: MinorVersion,
    pub released: NaiveDate,
    pub maintenance_from: Option<NaiveDate>,
    /// The last supported day; None while upstream has announced none.
    pub end_of_life: Option<NaiveDate>,
    pub lts: bool,
    pub source: Option<String>,
    pub note: Option<String>,
}

impl Line {
    /// Supported on `day`: the end-of-life day itself still counts.
    pub fn supported_on(&self, day: NaiveDate) -> bool {
        self.end_of_life.is_none_or(|end| day <= end)
    }
}

/// What the data says about one version on one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement<'a> {
    /// Its line is supported; `maintenance` when only critical fixes are still made.
    Supported {
        product: &'a Product,
        line: &'a Line,
        maintenance: bool,
    },
    /// Its line's end of life has passed.
    EndOfLife {
        product: &'a Product,
        line: &'a Line,
    },
    /// Older than every line listed, and the oldest listed line has ended: an older line
    /// cannot be supported when every newer one it is compared with has ended.
    OlderThanKnown {
        product: &'a Product,
        oldest: &'a Line,
    },
    /// Not listed: newer than every line, or a gap in the data. Never assumed supported.
    Unknown {
        product: &'a Product,
        newest: Option<&'a Line>,
    },
    /// The data has no such product.
    NoProduct,
}

impl EolData {
    /// The shipped data, parsed once.
    pub fn builtin() -> Arc<EolData> {
        static DATA: OnceLock<Arc<EolData>> = OnceLock::new();
        DATA.get_or_init(|| {
            Arc::new(
                parse(BUILTIN_PATH, BUILTIN_TEXT, true)
                    .expect("the shipped end-of-life data is valid (a unit test checks it)"),
            )
        })
        .clone()
    }

    /// Reads and validates a user's data file of at most `limit` bytes.
    pub fn load(path: &Path, limit: u64) -> Result<EolData, EolError> {
        let text =
            crate::base::input::read_to_string(path, limit).map_err(|source| EolError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        parse(&path.display().to_string(), &text, false)
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.get(id)
    }

    /// Judges `version` of `product` on `day`.
    pub fn judge(&self, product: &str, version: &Version, day: NaiveDate) -> Judgement<'_> {
        let Some(product) = self.products.get(product) else {
            return Judgement::NoProduct;
        };
        let wanted = version.line();
        if let Some(line) = product.lines.iter().find(|l| l.version == wanted) {
            return if line.supported_on(day) {
                Judgement::Supported {
                    product,
                    line,
                    maintenance: line.maintenance_from.is_some_and(|m| day >= m),
                }
            } else {
                Judgement::EndOfLife { product, line }
            };
        }
        match product.lines.first() {
            Some(oldest) if wanted < oldest.version && !oldest.supported_on(day) => {
                Judgement::OlderThanKnown { product, oldest }
            }
            _ => Judgement::Unknown {
                product,
                newest: product.lines.last(),
            },
        }
    }
}

/// A data file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EolError {
    #[error("cannot read end-of-life data {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error(
        "{file}:{line}:{column}: {message} (see the format at the top of {BUILTIN_PATH} in the evidencer repository)"
    )]
    Invalid {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
}

/// A `YYYY-MM-DD` date; anything else is an error at its line.
#[derive(Clone, Copy, Debug)]
struct Date(NaiveDate);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .ok()
            .filter(|_| s.trim().len() == 10)
            .map(Date)
            .ok_or_else(|| de::Error::custom(format!("`{s}` is not a date (YYYY-MM-DD)")))
    }
}

struct LineVersion(MinorVersion);

impl<'de> Deserialize<'de> for LineVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MinorVersion::parse(&s).map(LineVersion).ok_or_else(|| {
            de::Error::custom(format!(
                "`{s}` is not a release line (major.minor, e.g. \"1.36\")"
            ))
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    compiled: Date,
    products: BTreeMap<String, Spanned<ProductDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductDoc {
    name: String,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    follows: Option<String>,
    #[serde(default)]
    lines: Option<Vec<Spanned<LineDoc>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LineDoc {
    version: LineVersion,
    released: Date,
    #[serde(default)]
    maintenance_from: Option<Date>,
    #[serde(default)]
    end_of_life: Option<Date>,
    #[serde(default)]
    lts: bool,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// Parses and validates data text; `file` names it in errors and provenance.
pub fn parse(file: &str, text: &str, builtin: bool) -> Result<EolData, EolError> {
    let invalid = |line: u64, column: u64, message: String| EolError::Invalid {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let doc: Doc = crate::base::yaml::from_file_text(text)
        .map_err(|e| invalid(e.line, e.column, e.message))?;

    let mut products = BTreeMap::new();
    let mut follows = Vec::new();
    for (id, spanned) in doc.products {
        let at = spanned.referenced;
        let p = spanned.value;
        let lines = match (&p.follows, p.lines) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    at.line(),
                    at.column(),
                    format!("product {id} has both `follows` and `lines`; give one"),
                ));
            }
            (None, None) => {
                return Err(invalid(
                    at.line(),
                    at.column(),
                    format!("product {id} has neither `lines` nor `follows`"),
                ));
            }
            (Some(target), None) => {
                follows.push((id.clone(), target.clone(), at));
                Vec::new()
            }
            (None, Some(lines)) => validate_lines(&id, lines, &invalid)?,
        };
        products.insert(
            id.clone(),
            Product {
                id,
                name: p.name,
                policy: p.policy.map(|s| s.trim().to_string()),
                sources: p.sources,
                follows: p.follows,
                lines,
            },
        );
    }
    for (id, target, at) in follows {
        let lines = match products.get(&target) {
            Some(t) if t.follows.is_none() => t.lines.clone(),
            Some(_) => {
                return Err(invalid(
                    at.line(),
                    at.column(),
                    format!("product {id} follows {target}, which itself follows another product"),
                ));
            }
            None => {
                return Err(invalid(
                    at.line(),
                    at.column(),
                    format!("product {id} follows `{target}`, which is not a product of this file"),
                ));
            }
        };
        products.get_mut(&id).expect("inserted above").lines = lines;
    }
    Ok(EolData {
        compiled: doc.compiled.0,
        products,
        file: DataFile {
            path: file.to_string(),
            builtin,
            sha256: sha256_hex(text.as_bytes()),
        },
    })
}

fn validate_lines(
    product: &str,
    docs: Vec<Spanned<LineDoc>>,
    invalid: &impl Fn(u64, u64, String) -> EolError,
) -> Result<Vec<Line>, EolError> {
    let mut seen: BTreeMap<MinorVersion, u64> = BTreeMap::new();
    let mut lines = Vec::with_capacity(docs.len());
    for spanned in docs {
        let at = spanned.referenced;
        let d = spanned.value;
        let version = d.version.0;
        let err = |message: String| invalid(at.line(), at.column(), message);
        if let Some(first) = seen.insert(version, at.line()) {
            return Err(err(format!(
                "{product} {version} is listed twice (first at line {first})"
            )));
        }
        let released = d.released.0;
        let end_of_life = d.end_of_life.map(|d| d.0);
        let maintenance_from = d.maintenance_from.map(|d| d.0);
        if let Some(end) = end_of_life
            && end < released
        {
            return Err(err(format!(
                "{product} {version} ends ({end}) before it is released ({released})"
            )));
        }
        if let Some(m) = maintenance_from
            && (m < released || end_of_life.is_some_and(|end| m > end))
        {
            return Err(err(format!(
                "{product} {version}: maintenance-from {m} is outside its support window"
            )));
        }
        lines.push(Line {
            version,
            released,
            maintenance_from,
            end_of_life,
            lts: d.lts,
            source: d.source,
            note: d.note.map(|s| s.trim().to_string()),
        });
    }
    lines.sort_by_key(|l| l.version);
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn the_shipped_data_is_valid_and_complete() {
        let data = EolData::builtin();
        assert!(data.file.builtin);
        assert_eq!(data.file.path, BUILTIN_PATH);
        for id in ["kubernetes", "containerd", "cri-o"] {
            let p = data.product(id).unwrap_or_else(|| panic!("{id} missing"));
            assert!(!p.lines.is_empty(), "{id} has no lines");
            assert!(!p.sources.is_empty(), "{id} has no sources");
        }
        // Kubernetes: consecutive minors, each released after the previous one.
        let k = &data.product("kubernetes").unwrap().lines;
        for pair in k.windows(2) {
            assert_eq!(pair[1].version.minor, pair[0].version.minor + 1);
            assert!(pair[1].released > pair[0].released);
        }
        // CRI-O follows Kubernetes line for line.
        assert_eq!(data.product("cri-o").unwrap().lines, *k);
        assert!(data.compiled >= k.last().unwrap().released);
    }

    #[test]
    fn versions_read_like_components_write_them() {
        let cases = [
            ("v1.36.2", Some((1, 36, Some(2)))),
            ("v1.29.6-eks-db838b0", Some((1, 29, Some(6)))),
            ("v1.30.4+k3s1", Some((1, 30, Some(4)))),
            ("2.0.5-k3s2", Some((2, 0, Some(5)))),
            ("1.7", Some((1, 7, None))),
            ("1.28.3.4", Some((1, 28, Some(3)))),
            ("v1", None),
            ("latest", None),
            ("", None),
        ];
        for (raw, want) in cases {
            let got = Version::parse(raw).map(|v| (v.major, v.minor, v.patch));
            assert_eq!(got, want, "{raw}");
        }
    }

    #[test]
    fn end_of_life_day_is_the_last_supported_day() {
        let data = EolData::builtin();
        // Kubernetes 1.34 ends on 2026-10-27.
        let on = |d| data.judge("kubernetes", &v("v1.34.3"), day(d));
        assert!(matches!(
            on("2026-10-27"),
            Judgement::Supported {
                maintenance: true,
                ..
            }
        ));
        assert!(matches!(on("2026-10-28"), Judgement::EndOfLife { .. }));
        assert!(matches!(
            on("2026-08-26"),
            Judgement::Supported {
                maintenance: false,
                ..
            }
        ));
        assert!(matches!(
            on("2026-08-27"),
            Judgement::Supported {
                maintenance: true,
                ..
            }
        ));
    }

    #[test]
    fn unknown_versions_are_not_assumed_supported() {
        let data = EolData::builtin();
        let d = day("2026-11-22");
        assert!(matches!(
            data.judge("kubernetes", &v("v1.99.0"), d),
            Judgement::Unknown { .. }
        ));
        assert!(matches!(
            data.judge("kubernetes", &v("v1.12.3"), d),
            Judgement::OlderThanKnown { .. }
        ));
        assert!(matches!(
            data.judge("docker", &v("24.0.7"), d),
            Judgement::NoProduct
        ));
        // containerd 2.4 has no announced end: supported.
        assert!(matches!(
            data.judge("containerd", &v("2.4.1"), d),
            Judgement::Supported { .. }
        ));
        // CRI-O 1.33 ended with Kubernetes 1.33.
        assert!(matches!(
            data.judge("cri-o", &v("1.33.4"), d),
            Judgement::EndOfLife { .. }
        ));
    }

    fn err(text: &str) -> String {
        parse("eol.yaml", text, false).unwrap_err().to_string()
    }

    #[test]
    fn invalid_files_are_rejected_with_file_and_line() {
        let head = "compiled: 2026-11-22\nproducts:\n  k:\n    name: K\n    lines:\n";
        let cases = [
            (
                format!("{head}      - {{version: \"1.30\", released: 2024-4-17}}\n"),
                "eol.yaml:6:",
                "is not a date",
            ),
            (
                format!(
                    "{head}      - {{version: \"1.30\", released: 2024-04-17, eol: 2025-01-01}}\n"
                ),
                "eol.yaml:6:",
                "unknown field `eol`",
            ),
            (
                format!("{head}      - {{version: \"one\", released: 2024-04-17}}\n"),
                "eol.yaml:6:",
                "not a release line",
            ),
            (
                format!(
                    "{head}      - {{version: \"1.30\", released: 2024-04-17}}\n      - {{version: \"1.30\", released: 2024-04-18}}\n"
                ),
                "eol.yaml:7:",
                "listed twice (first at line 6)",
            ),
            (
                format!(
                    "{head}      - {{version: \"1.30\", released: 2024-04-17, end-of-life: 2024-01-01}}\n"
                ),
                "eol.yaml:6:",
                "before it is released",
            ),
            (
                "compiled: 2026-11-22\nproducts:\n  c:\n    name: C\n    follows: nothing\n"
                    .to_string(),
                "eol.yaml:4:",
                "not a product of this file",
            ),
            (
                "compiled: yesterday\nproducts: {}\n".to_string(),
                "eol.yaml:1:",
                "is not a date",
            ),
        ];
        for (text, at, what) in cases {
            let msg = err(&text);
            assert!(msg.starts_with(at), "{msg}");
            assert!(msg.contains(what), "{msg}");
        }
    }

    #[test]
    fn a_user_file_is_read_and_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("eol.yaml");
        let text = "compiled: 2026-01-01\nproducts:\n  docker:\n    name: Docker Engine\n    lines:\n      - {version: \"24.0\", released: 2023-05-16, end-of-life: 2024-06-08}\n";
        std::fs::write(&path, text).unwrap();
        let data = EolData::load(&path, 1 << 20).unwrap();
        assert!(!data.file.builtin);
        assert_eq!(data.file.sha256, sha256_hex(text.as_bytes()));
        assert!(matches!(
            data.judge("docker", &v("24.0.7"), day("2024-06-08")),
            Judgement::Supported { .. }
        ));
        let missing = EolData::load(&dir.path().join("nope.yaml"), 1 << 20).unwrap_err();
        assert!(missing.to_string().contains("nope.yaml"), "{missing}");
    }
}
