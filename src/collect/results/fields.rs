//! Field readers shared by the result shapes: scalars read leniently, times, severities,
//! vulnerability ids and package URLs.
//!
//! Scanners write the same idea in many forms (a version as a number, a severity in any
//! case, a time with or without a zone), so values are read the way a person would read
//! them, and an empty string is the same as an absent value. What cannot be read as the
//! field's kind (a time that is no time) is left out and said so by the caller.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::{Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::base::timefmt;

/// A scalar read as text: a string as it is, a number or boolean as written; null, an
/// empty or blank string is absent. A list or mapping where a scalar belongs is an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

impl Text {
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    pub fn into_option(self) -> Option<String> {
        self.0
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

fn text(s: &str) -> Text {
    let t = s.trim();
    Text((!t.is_empty()).then(|| t.to_string()))
}

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E>(self, v: &str) -> Result<Text, E> {
        Ok(text(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Text, E> {
        if v.trim().len() == v.len() && !v.is_empty() {
            Ok(Text(Some(v)))
        } else {
            Ok(text(&v))
        }
    }

    fn visit_bool<E>(self, v: bool) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Text, E> {
        Ok(Text(Some(v.to_string())))
    }

    fn visit_none<E>(self) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_unit<E>(self) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

/// Reads a time as scanners write it: RFC 3339 (any zone, any fraction), a date and time
/// without a zone (taken as UTC), or a date alone (its start, UTC). Times outside the range
/// of dates evidencer handles (Go's zero time `0001-01-01T00:00:00Z` means "unset") are
/// absent.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let t = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            // A space instead of `T`, or lower-case `t`/`z`, as some tools write.
            let fixed = s.replacen(' ', "T", 1).replace(['t', 'z'], "");
            let fixed = fixed.strip_suffix('Z').unwrap_or(&fixed);
            NaiveDateTime::parse_from_str(fixed, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(timefmt::start_of_day)
        })?;
    timefmt::in_range(t).then_some(t)
}

/// A time field: the value read, or the text that could not be read as a time.
pub enum TimeField {
    Absent,
    Time(DateTime<Utc>),
    Unreadable(String),
}

impl TimeField {
    pub fn of(value: Option<&str>) -> TimeField {
        match value {
            None => TimeField::Absent,
            Some(s) => match parse_time(s) {
                Some(t) => TimeField::Time(t),
                None => TimeField::Unreadable(s.to_string()),
            },
        }
    }
}

/// A severity normalised to the five levels the patch timeframes use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Reads a severity word in any case: `CRITICAL`, `High`, `moderate`, `important`
    /// (Red Hat's word for high), `negligible`, `info`, `none` and `minor` are low (below
    /// low, they still get the low timeframe rather than none); anything else is unknown.
    pub fn from_word(word: &str) -> Severity {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" => Severity::Critical,
            "high" | "important" | "severe" => Severity::High,
            "medium" | "moderate" | "med" => Severity::Medium,
            "low" | "negligible" | "info" | "informational" | "none" | "minor" => Severity::Low,
            _ => Severity::Unknown,
        }
    }

    /// A CVSS base score's qualitative rating (CVSS v3: 9.0 critical, 7.0 high, 4.0 medium,
    /// above 0 low; 0 is "none", read as low).
    pub fn from_score(score: f64) -> Severity {
        match score {
            s if !(0.0..=10.0).contains(&s) => Severity::Unknown,
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            _ => Severity::Low,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first vulnerability identifier in a text: `CVE-2024-1234`, `GHSA-xxxx-xxxx-xxxx`,
/// or an OSV-style id (`GO-2024-1234`, `PYSEC-2024-12`, `RUSTSEC-2024-0001`), as written.
/// Rule ids such as Grype's `CVE-2021-36159-apk-tools` and advisory URLs give theirs.
pub fn vulnerability_id(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let rest = &text[start..];
        if let Some(len) = id_at(rest) {
            let boundary = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            if boundary {
                return Some(&rest[..len]);
            }
        }
        start += rest.chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// The length of the vulnerability id at the start of `s`, if one is.
fn id_at(s: &str) -> Option<usize> {
    let upper_prefix = |p: &str| {
        s.len() > p.len()
            && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            && s.is_char_boundary(p.len())
    };
    let digits = |from: usize| {
        s.as_bytes()[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    for prefix in ["CVE-", "GO-", "PYSEC-", "RUSTSEC-"] {
        if upper_prefix(prefix) {
            let year = digits(prefix.len());
            let at = prefix.len() + year;
            if year == 4 && s.as_bytes().get(at) == Some(&b'-') {
                let n = digits(at + 1);
                if n >= 1 {
                    return Some(at + 1 + n);
                }
            }
        }
    }
    if upper_prefix("GHSA-") {
        // GHSA-xxxx-xxxx-xxxx: three groups of four characters of [23456789cfghjmpqrvwx].
        let body = &s.as_bytes()[5..];
        let ok = body.len() >= 14
            && (0..14).all(|i| {
                if i % 5 == 4 {
                    body[i] == b'-'
                } else {
                    body[i].is_ascii_alphanumeric()
                }
            });
        if ok {
            return Some(19);
        }
    }
    None
}

/// At most `max` characters of `s`, with `...` when cut: for input quoted in messages.
pub fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// A package URL (`pkg:type/namespace/name@version?qualifiers#subpath`), the parts a
/// result needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Purl {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
}

impl Purl {
    pub fn parse(s: &str) -> Option<Purl> {
        let rest = s.trim().strip_prefix("pkg:")?;
        let rest = rest.split('#').next().unwrap_or(rest);
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => (r, q),
            None => (rest, ""),
        };
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) => (p, Some(percent_decode(v))),
            None => (rest, None),
        };
        let mut parts = path.trim_matches('/').split('/');
        let kind = parts.next()?.to_ascii_lowercase();
        let segments: Vec<String> = parts.map(percent_decode).collect();
        let (name, namespace) = match segments.split_last() {
            Some((name, ns)) if !name.is_empty() => {
                (name.clone(), (!ns.is_empty()).then(|| ns.join("/")))
            }
            _ => return None,
        };
        let qualifiers = qualifiers
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), percent_decode(v)))
            .collect();
        Some(Purl {
            kind,
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
        })
    }

    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// For `pkg:oci/NAME@DIGEST?repository_url=REGISTRY/PATH&tag=TAG`: the image's
    /// reference with its tag (when given) and its digest.
    pub fn oci_image(&self) -> Option<(String, Option<String>)> {
        if self.kind != "oci" {
            return None;
        }
        let repository = self
            .qualifier("repository_url")
            .map(str::to_string)
            .unwrap_or_else(|| self.name.clone());
        let repository = repository
            .split_once("://")
            .map_or(repository.as_str(), |(_, r)| r)
            .to_string();
        let reference = match self.qualifier("tag") {
            Some(tag) => format!("{repository}:{tag}"),
            None => repository,
        };
        Some((reference, self.version.clone()))
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_normalised_and_scores_rated() {
        for (word, want) in [
            ("CRITICAL", Severity::Critical),
            ("High", Severity::High),
            ("important", Severity::High),
            ("Moderate", Severity::Medium),
            ("medium", Severity::Medium),
            ("LOW", Severity::Low),
            ("Negligible", Severity::Low),
            ("info", Severity::Low),
            ("UNKNOWN", Severity::Unknown),
            ("", Severity::Unknown),
            ("urgent", Severity::Unknown),
        ] {
            assert_eq!(Severity::from_word(word), want, "{word}");
        }
        assert_eq!(Severity::from_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_score(7.0), Severity::High);
        assert_eq!(Severity::from_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_score(0.1), Severity::Low);
        assert_eq!(Severity::from_score(0.0), Severity::Low);
        assert_eq!(Severity::from_score(11.0), Severity::Unknown);
        assert_eq!(Severity::from_score(f64::NAN), Severity::Unknown);
    }

    #[test]
    fn times_in_the_forms_scanners_write() {
        let t = |s| parse_time(s).map(timefmt::rfc3339);
        assert_eq!(
            t("2026-11-02T10:04:05.123456789+01:00").as_deref(),
            Some("2026-11-02T09:04:05Z")
        );
        assert_eq!(
            t("2026-11-02T10:04:05Z").as_deref(),
            Some("2026-11-02T10:04:05Z")
        );
        assert_eq!(
            t("2026-11-02 10:04:05").as_deref(),
            Some("2026-11-02T10:04:05Z")
        );
        assert_eq!(
            t("2026-11-02T10:04:05").as_deref(),
            Some("2026-11-02T10:04:05Z")
        );
        assert_eq!(t("2026-11-02").as_deref(), Some("2026-11-02T00:00:00Z"));
        assert_eq!(
            t("0001-01-01T00:00:00Z"),
            None,
            "Go's zero time means unset"
        );
        assert_eq!(t("yesterday"), None);
        assert_eq!(t(""), None);
    }

    #[test]
    fn vulnerability_ids_are_found_in_rule_ids_and_urls() {
        assert_eq!(vulnerability_id("CVE-2024-3094"), Some("CVE-2024-3094"));
        assert_eq!(
            vulnerability_id("CVE-2021-36159-apk-tools"),
            Some("CVE-2021-36159")
        );
        assert_eq!(
            vulnerability_id("https://nvd.nist.gov/vuln/detail/CVE-2023-44487"),
            Some("CVE-2023-44487")
        );
        assert_eq!(
            vulnerability_id("https://github.com/advisories/GHSA-qppj-fm5r-hxr3"),
            Some("GHSA-qppj-fm5r-hxr3")
        );
        assert_eq!(vulnerability_id("GO-2024-2687"), Some("GO-2024-2687"));
        assert_eq!(vulnerability_id("XCVE-2024-1"), None);
        assert_eq!(vulnerability_id("CVE-24-1"), None);
        assert_eq!(vulnerability_id("KSV001"), None);
        assert_eq!(vulnerability_id("é CVE-2024-1 ü"), Some("CVE-2024-1"));
    }

    #[test]
    fn package_urls_and_oci_images() {
        let p = Purl::parse("pkg:apk/alpine/libssl3@3.1.4-r1?arch=x86_64&distro=3.19.0").unwrap();
        assert_eq!(
            (p.kind.as_str(), p.namespace.as_deref(), p.name.as_str()),
            ("apk", Some("alpine"), "libssl3")
        );
        assert_eq!(p.version.as_deref(), Some("3.1.4-r1"));
        assert_eq!(p.qualifier("arch"), Some("x86_64"));
        let oci = Purl::parse(
            "pkg:oci/api@sha256%3A3f1c0000000000000000000000000000000000000000000000000000000000aa\
             ?repository_url=registry.example.com%2Fshop%2Fapi&tag=1.4.2",
        )
        .unwrap();
        let (reference, digest) = oci.oci_image().unwrap();
        assert_eq!(reference, "registry.example.com/shop/api:1.4.2");
        assert!(digest.unwrap().starts_with("sha256:3f1c"));
        assert_eq!(
            Purl::parse("pkg:npm/%40angular/core@17.0.0")
                .unwrap()
                .namespace
                .as_deref(),
            Some("@angular")
        );
        assert!(Purl::parse("npm/x@1").is_none());
        assert!(Purl::parse("pkg:npm/").is_none());
    }

    #[test]
    fn text_reads_scalars_and_drops_blanks() {
        let v: Vec<Text> = serde_json::from_str(r#"["a", " b ", "", 1.5, 7, true, null]"#).unwrap();
        let got: Vec<Option<&str>> = v.iter().map(Text::get).collect();
        assert_eq!(
            got,
            [
                Some("a"),
                Some("b"),
                None,
                Some("1.5"),
                Some("7"),
                Some("true"),
                None
            ]
        );
        assert!(serde_json::from_str::<Text>("[1]").is_err());
    }
}
