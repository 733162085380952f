//! Exceptions: accepted risks, read from a YAML file and matched to findings.
//!
//! An exception names a check and either a subject selector (kind, namespace, name,
//! container, source; `*` and `?` globs) or one finding id, with the reason, the approver,
//! the ticket and the last day it applies. [`load`]/[`parse`] validate the file (unknown
//! keys, unknown check ids, missing fields, bad dates and duplicate ids are errors with the
//! file and line); [`apply`] is pure: it marks each failing or warning finding that an
//! exception in force matches, and sorts the exceptions into applied, expired and unused.
//!
//! The rule:
//! - only `fail` and `warn` findings are excepted: an exception accepts a known risk, so a
//!   finding that passes, is not applicable, or could not be assessed is never marked;
//! - an exception is in force through its `expires` day; one that expired before the as-of
//!   date does not apply, and the report lists it as expired with the findings it would
//!   have covered;
//! - a finding takes the first exception in file order that matches it;
//! - an exception in force that covers no finding is listed as unused (the risk is gone, or
//!   the selector is wrong);
//! - a marked finding keeps its status; the roll-up ([`crate::assess`]) counts it as passing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::checks;
use crate::evidence::finding::{Finding, FindingException};

/// One accepted risk, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    pub id: String,
    pub check: &'static str,
    pub selector: Selector,
    pub reason: String,
    pub approver: String,
    pub ticket: String,
    /// The last day the exception applies.
    pub expires: NaiveDate,
    /// `file:line` of its entry.
    pub defined_at: String,
}

/// What an exception covers, besides its check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Exactly one finding, by its stable id.
    Finding(String),
    /// Every finding whose subject matches every pattern given.
    Subject(SubjectSelector),
}

/// Glob patterns over a finding's subject; a field left out matches anything. A subject
/// without a namespace or container is matched as the empty text, so `*` matches it too.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl SubjectSelector {
    fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, p)| p.is_none())
    }

    fn fields(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("kind", self.kind.as_deref()),
            ("namespace", self.namespace.as_deref()),
            ("name", self.name.as_deref()),
            ("container", self.container.as_deref()),
            ("source", self.source.as_deref()),
        ]
    }

    pub fn matches(&self, f: &Finding) -> bool {
        let s = &f.subject;
        let field = |pattern: &Option<String>, value: &str| {
            pattern.as_deref().is_none_or(|p| glob_match(p, value))
        };
        field(&self.kind, &s.kind)
            && field(&self.namespace, s.namespace.as_deref().unwrap_or(""))
            && field(&self.name, &s.name)
            && field(&self.container, s.container.as_deref().unwrap_or(""))
            && field(&self.source, &s.source)
    }
}

impl fmt::Display for SubjectSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .fields()
            .iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
            .collect();
        f.write_str(&parts.join(" "))
    }
}

impl Exception {
    pub fn matches(&self, f: &Finding) -> bool {
        f.check == self.check
            && match &self.selector {
                Selector::Finding(id) => f.id == *id,
                Selector::Subject(s) => s.matches(f),
            }
    }

    /// What it covers, in words: `finding X` or `kind=Deployment namespace=legacy-*`.
    pub fn selector_text(&self) -> String {
        match &self.selector {
            Selector::Finding(id) => format!("finding {id}"),
            Selector::Subject(s) => s.to_string(),
        }
    }

    fn cited(&self) -> FindingException {
        FindingException {
            id: self.id.clone(),
            reason: self.reason.clone(),
            approver: self.approver.clone(),
            ticket: self.ticket.clone(),
            expires: self.expires.to_string(),
        }
    }
}

/// `*` matches any run of characters (also none), `?` any one character; everything else
/// matches itself. Case-sensitive, as Kubernetes names are.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Greedy with one backtrack point: linear in practice, never exponential.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The exceptions part of `report.json`: every exception of the file, in file order, in
/// one of three lists.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ExceptionsReport {
    /// In force and covering at least one finding.
    pub applied: Vec<ExceptionEntry>,
    /// Expired before the as-of date: not applied.
    pub expired: Vec<ExceptionEntry>,
    /// In force, but covering no failing or warning finding.
    pub unused: Vec<ExceptionEntry>,
}

impl ExceptionsReport {
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.expired.is_empty() && self.unused.is_empty()
    }
}

/// One exception as the report lists it.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ExceptionEntry {
    pub id: String,
    pub check: String,
    /// The subject patterns, when it selects by subject.
    pub subject: Option<SubjectSelector>,
    /// The finding id, when it selects one finding.
    pub finding: Option<String>,
    pub reason: String,
    pub approver: String,
    pub ticket: String,
    pub expires: String,
    /// `file:line` of its entry.
    pub defined_at: String,
    /// Applied: the findings it covers. Expired: those it would have covered. Unused: none.
    pub findings: Vec<String>,
}

impl ExceptionEntry {
    fn new(e: &Exception, findings: Vec<String>) -> Self {
        let (subject, finding) = match &e.selector {
            Selector::Finding(id) => (None, Some(id.clone())),
            Selector::Subject(s) => (Some(s.clone()), None),
        };
        Self {
            id: e.id.clone(),
            check: e.check.to_string(),
            subject,
            finding,
            reason: e.reason.clone(),
            approver: e.approver.clone(),
            ticket: e.ticket.clone(),
            expires: e.expires.to_string(),
            defined_at: e.defined_at.clone(),
            findings,
        }
    }
}

/// Marks the findings the exceptions in force on `as_of` cover, by the rule in the module
/// docs, and says which exceptions were applied, expired or unused. Pure.
pub fn apply(
    exceptions: &[Exception],
    findings: &mut [Finding],
    as_of: NaiveDate,
) -> ExceptionsReport {
    let mut out = ExceptionsReport::default();
    for e in exceptions {
        let expired = e.expires < as_of;
        let mut covered = Vec::new();
        for f in findings.iter_mut() {
            let open = matches!(
                f.status,
                crate::evidence::finding::Status::Fail | crate::evidence::finding::Status::Warn
            );
            if !open || !e.matches(f) {
                continue;
            }
            if expired {
                covered.push(f.id.clone());
            } else if f.exception.is_none() {
                f.exception = Some(e.cited());
                covered.push(f.id.clone());
            }
        }
        let entry = ExceptionEntry::new(e, covered);
        if expired {
            out.expired.push(entry);
        } else if entry.findings.is_empty() {
            out.unused.push(entry);
        } else {
            out.applied.push(entry);
        }
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum ExceptionError {
    #[error("cannot read exceptions file {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
}

/// The file format.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    exceptions: Vec<Spanned<ExceptionDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionDoc {
    id: Spanned<String>,
    check: Spanned<String>,
    #[serde(default)]
    subject: Option<Spanned<SubjectSelector>>,
    #[serde(default)]
    finding: Option<Spanned<String>>,
    reason: Spanned<String>,
    approver: Spanned<String>,
    ticket: Spanned<String>,
    expires: Spanned<String>,
}

/// Reads and validates an exceptions file; gives its exceptions and the sha256 of its
/// text, for the report's provenance. A file over `limit` bytes is refused.
pub fn load(path: &Path, limit: u64) -> Result<(Vec<Exception>, String), ExceptionError> {
    let text =
        crate::base::input::read_to_string(path, limit).map_err(|source| ExceptionError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let exceptions = parse(&path.display().to_string(), &text)?;
    Ok((
        exceptions,
        crate::evidence::record::sha256_hex(text.as_bytes()),
    ))
}

/// Parses and validates the text of an exceptions file shown as `file`.
pub fn parse(file: &str, text: &str) -> Result<Vec<Exception>, ExceptionError> {
    let invalid = |line: u64, column: u64, message: String| ExceptionError::Invalid {
        file: file.to_string(),
        line,
        column,
        message,
    };
    if text.trim().is_empty() {
        return Err(invalid(
            1,
            1,
            "the file is empty; it needs an `exceptions:` list (see the README)".into(),
        ));
    }
    let doc: FileDoc = crate::base::yaml::from_file_text(text)
        .map_err(|e| invalid(e.line, e.column, e.message))?;
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = Vec::with_capacity(doc.exceptions.len());
    for entry in doc.exceptions {
        let at = entry.referenced;
        let d = entry.value;
        let here = |s: &serde_saphyr::Location| (s.line(), s.column());
        let required = |field: &Spanned<String>, name: &str| {
            if field.value.trim().is_empty() {
                let (l, c) = here(&field.referenced);
                Err(invalid(
                    l,
                    c,
                    format!("`{name}` is empty; every exception needs one"),
                ))
            } else {
                Ok(field.value.trim().to_string())
            }
        };
        let id = required(&d.id, "id")?;
        if let Some(first) = seen.insert(id.clone(), d.id.referenced.line()) {
            let (l, c) = here(&d.id.referenced);
            return Err(invalid(
                l,
                c,
                format!(
                    "exception id `{id}` is used twice (first at line {first}); ids must be unique"
                ),
            ));
        }
        let Some(check) = checks::find(d.check.value.trim()) else {
            let (l, c) = here(&d.check.referenced);
            let unknown = d.check.value.trim();
            let message = match crate::assess::catalog::closest_check(unknown) {
                Some(s) => format!(
                    "unknown check id `{unknown}` in exception {id}; did you mean `{s}`? (`evidencer checks` lists them)"
                ),
                None => format!(
                    "unknown check id `{unknown}` in exception {id} (`evidencer checks` lists the ids)"
                ),
            };
            return Err(invalid(l, c, message));
        };
        let check = check.meta().id;
        let selector = match (d.subject, d.finding) {
            (Some(_), Some(f)) => {
                let (l, c) = here(&f.referenced);
                return Err(invalid(
                    l,
                    c,
                    format!("exception {id} has both `subject` and `finding`; give one"),
                ));
            }
            (None, None) => {
                let (l, c) = here(&at);
                return Err(invalid(
                    l,
                    c,
                    format!(
                        "exception {id} selects nothing: give a `subject` (kind, namespace, name, container, source) or a `finding` id"
                    ),
                ));
            }
            (Some(s), None) => {
                if s.value.is_empty() {
                    let (l, c) = here(&s.referenced);
                    return Err(invalid(
                        l,
                        c,
                        format!(
                            "exception {id}: `subject` has no pattern; name at least one of kind, namespace, name, container, source (`name: \"*\"` covers every subject)"
                        ),
                    ));
                }
                Selector::Subject(s.value)
            }
            (None, Some(f)) => {
                let fid = f.value.trim().to_string();
                if !fid.starts_with(&format!("{check}-")) {
                    let (l, c) = here(&f.referenced);
                    return Err(invalid(
                        l,
                        c,
                        format!(
                            "exception {id}: finding `{fid}` is not a finding of check {check} (its ids start with `{check}-`)"
                        ),
                    ));
                }
                Selector::Finding(fid)
            }
        };
        let expires_text = d.expires.value.trim();
        let expires = NaiveDate::parse_from_str(expires_text, "%Y-%m-%d")
            .ok()
            .filter(|_| expires_text.len() == 10)
            .ok_or_else(|| {
                let (l, c) = here(&d.expires.referenced);
                invalid(
                    l,
                    c,
                    format!(
                        "exception {id}: `expires: {expires_text}` is not a date; write YYYY-MM-DD (the last day it applies)"
                    ),
                )
            })?;
        out.push(Exception {
            check,
            selector,
            reason: required(&d.reason, "reason")?,
            approver: required(&d.approver, "approver")?,
            ticket: required(&d.ticket, "ticket")?,
            expires,
            defined_at: format!("{file}:{}", at.line()),
            id,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::finding::{Severity, Status, Subject};

    fn finding(id: &str, status: Status, ns: &str, name: &str) -> Finding {
        let mut f = Finding::new(
            "image-pinned-by-digest",
            Severity::Medium,
            status,
            Subject {
                kind: "Deployment".into(),
                namespace: Some(ns.into()),
                name: name.into(),
                container: Some("app".into()),
                source: "snapshot:q3".into(),
                ..Default::default()
            },
            "m",
        );
        f.id = id.into();
        f
    }

    const FILE: &str = "\
exceptions:
  - id: EXC-1
    check: image-pinned-by-digest
    subject: {kind: Deployment, namespace: \"legacy-*\"}
    reason: vendor image, no digest published
    approver: Jane Doe (CISO)
    ticket: SEC-101
    expires: 2026-12-31
  - id: EXC-2
    check: image-pinned-by-digest
    finding: image-pinned-by-digest-00000000000000aa
    reason: migration in progress
    approver: Jane Doe
    ticket: SEC-102
    expires: 2026-06-30
  - id: EXC-3
    check: image-pinned-by-digest
    subject: {name: gone}
    reason: r
    approver: a
    ticket: t
    expires: 2027-01-01
";

    #[test]
    fn globs_match_like_shells_do() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("legacy-*", "legacy-", true),
            ("legacy-*", "legacy-shop", true),
            ("legacy-*", "shop", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*-db-*", "shop-db-0", true),
            ("*a*b", "xaxxb", true),
            ("*a*b", "xaxxbc", false),
            ("exact", "exact", true),
            ("exact", "Exact", false),
            ("ünï*", "ünïcode", true),
        ];
        for (p, t, want) in cases {
            assert_eq!(glob_match(p, t), want, "{p} ~ {t}");
        }
        // No exponential blow-up on adversarial patterns.
        assert!(!glob_match(&"*a".repeat(50), &"a".repeat(49)));
    }

    #[test]
    fn a_valid_file_loads_in_order() {
        let ex = parse("exceptions.yaml", FILE).unwrap();
        assert_eq!(ex.len(), 3);
        assert_eq!(ex[0].id, "EXC-1");
        assert_eq!(ex[0].defined_at, "exceptions.yaml:2");
        assert_eq!(ex[0].expires.to_string(), "2026-12-31");
        assert_eq!(ex[0].selector_text(), "kind=Deployment namespace=legacy-*");
        assert_eq!(
            ex[1].selector,
            Selector::Finding("image-pinned-by-digest-00000000000000aa".into())
        );
    }

    #[test]
    fn applied_expired_and_unused_follow_the_rule() {
        let ex = parse("e.yaml", FILE).unwrap();
        let mut fs = vec![
            finding(
                "image-pinned-by-digest-00000000000000aa",
                Status::Fail,
                "legacy-a",
                "api",
            ),
            finding(
                "image-pinned-by-digest-00000000000000bb",
                Status::Warn,
                "legacy-b",
                "db",
            ),
            finding(
                "image-pinned-by-digest-00000000000000cc",
                Status::Pass,
                "legacy-c",
                "ok",
            ),
            finding(
                "image-pinned-by-digest-00000000000000dd",
                Status::Fail,
                "shop",
                "web",
            ),
        ];
        let as_of = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let r = apply(&ex, &mut fs, as_of);
        assert_eq!(r.applied.len(), 1);
        assert_eq!(
            r.applied[0].findings,
            [
                "image-pinned-by-digest-00000000000000aa",
                "image-pinned-by-digest-00000000000000bb"
            ]
        );
        // EXC-2 expired on 2026-06-30: listed with the finding it would have covered.
        assert_eq!(r.expired.len(), 1);
        assert_eq!(r.expired[0].id, "EXC-2");
        assert_eq!(
            r.expired[0].findings,
            ["image-pinned-by-digest-00000000000000aa"]
        );
        assert_eq!(r.unused.len(), 1);
        assert_eq!(r.unused[0].id, "EXC-3");
        assert_eq!(fs[0].exception.as_ref().unwrap().id, "EXC-1");
        assert_eq!(fs[0].status, Status::Fail, "the status is kept");
        assert!(fs[0].is_excepted() && fs[1].is_excepted());
        assert!(
            fs[2].exception.is_none(),
            "passing findings are never marked"
        );
        assert!(fs[3].exception.is_none());
    }

    #[test]
    fn an_exception_applies_through_its_expiry_day() {
        let ex = parse("e.yaml", FILE).unwrap();
        let mut fs = vec![finding(
            "image-pinned-by-digest-00000000000000aa",
            Status::Fail,
            "shop",
            "web",
        )];
        let on_the_day = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        let r = apply(&ex[1..2], &mut fs, on_the_day);
        assert_eq!(r.applied.len(), 1);
        fs[0].exception = None;
        let r = apply(&ex[1..2], &mut fs, on_the_day.succ_opt().unwrap());
        assert_eq!(r.expired.len(), 1);
        assert!(fs[0].exception.is_none());
    }

    #[test]
    fn a_finding_takes_the_first_matching_exception() {
        let text = FILE.replace(
            "subject: {name: gone}",
            "subject: {namespace: \"legacy-a\"}",
        );
        let ex = parse("e.yaml", &text).unwrap();
        let mut fs = vec![finding("x", Status::Fail, "legacy-a", "api")];
        let r = apply(&ex, &mut fs, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(fs[0].exception.as_ref().unwrap().id, "EXC-1");
        let unused: Vec<&str> = r.unused.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            unused,
            ["EXC-2", "EXC-3"],
            "EXC-3 found its only match taken"
        );
    }

    fn error(text: &str) -> String {
        parse("exceptions.yaml", text).unwrap_err().to_string()
    }

    fn one(fields: &str) -> String {
        format!("exceptions:\n  - id: E1\n{fields}")
    }

    const REST: &str = "    reason: r\n    approver: a\n    ticket: t\n    expires: 2026-12-31\n";

    #[test]
    fn invalid_files_are_errors_with_file_and_line() {
        let cases: Vec<(String, &str, &str)> = vec![
            (
                one(&format!(
                    "    check: image-pined-by-digest\n    subject: {{name: x}}\n{REST}"
                )),
                "exceptions.yaml:3:",
                "did you mean `image-pinned-by-digest`",
            ),
            (
                one(&format!(
                    "    check: run-as-non-root\n    subject: {{nme: x}}\n{REST}"
                )),
                "exceptions.yaml:4:",
                "nme",
            ),
            (
                one(&format!(
                    "    check: run-as-non-root\n    subject: {{name: x}}\n    owner: me\n{REST}"
                )),
                "exceptions.yaml:5:",
                "owner",
            ),
            (
                one(
                    "    check: run-as-non-root\n    subject: {name: x}\n    reason: r\n    approver: a\n    expires: 2026-12-31\n",
                ),
                "exceptions.yaml:",
                "ticket",
            ),
            (
                one(
                    "    check: run-as-non-root\n    subject: {name: x}\n    reason: r\n    approver: a\n    ticket: t\n    expires: 31/12/2026\n",
                ),
                "exceptions.yaml:8:",
                "not a date",
            ),
            (
                one(
                    "    check: run-as-non-root\n    subject: {name: x}\n    reason: r\n    approver: a\n    ticket: t\n    expires: 2026-02-30\n",
                ),
                "exceptions.yaml:8:",
                "not a date",
            ),
            (
                one(&format!("    check: run-as-non-root\n{REST}")),
                "exceptions.yaml:2:",
                "selects nothing",
            ),
            (
                one(&format!(
                    "    check: run-as-non-root\n    subject: {{}}\n{REST}"
                )),
                "exceptions.yaml:4:",
                "no pattern",
            ),
            (
                one(&format!(
                    "    check: run-as-non-root\n    subject: {{name: x}}\n    finding: run-as-non-root-1\n{REST}"
                )),
                "exceptions.yaml:5:",
                "both",
            ),
            (
                one(&format!(
                    "    check: run-as-non-root\n    finding: image-tag-not-latest-1\n{REST}"
                )),
                "exceptions.yaml:4:",
                "not a finding of check run-as-non-root",
            ),
            (
                one(
                    "    check: run-as-non-root\n    subject: {name: x}\n    reason: \"  \"\n    approver: a\n    ticket: t\n    expires: 2026-12-31\n",
                ),
                "exceptions.yaml:5:",
                "`reason` is empty",
            ),
            (
                format!(
                    "exceptions:\n  - id: E1\n    check: run-as-non-root\n    subject: {{name: x}}\n{REST}  - id: E1\n    check: run-as-non-root\n    subject: {{name: y}}\n{REST}"
                ),
                "exceptions.yaml:9:",
                "used twice (first at line 2)",
            ),
            ("".into(), "exceptions.yaml:1:", "empty"),
            ("exception: []\n".into(), "exceptions.yaml:1:", "exception"),
        ];
        for (text, at, says) in cases {
            let e = error(&text);
            assert!(e.starts_with(at), "want {at}, got: {e}\n{text}");
            assert!(e.contains(says), "want {says:?} in: {e}\n{text}");
        }
    }
}
