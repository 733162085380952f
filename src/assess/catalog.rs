//! Control catalogs: controls as data, validated on load.
//!
//! A catalog is a YAML file listing controls; each control names the checks that give
//! evidence for it. The built-in catalogs in `controls/` are compiled into the binary; users
//! add directories of their own with `--catalog DIR` (a control with the same id replaces the
//! built-in one). Loading rejects unknown keys, unknown check ids and duplicate controls with
//! the file and line, so a typo never turns into a silently unassessed control.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::base::input;
use crate::base::text::closest;
use crate::checks;
use crate::evidence::record::sha256_hex;

/// The catalogs shipped with evidencer: (file name, text).
pub const BUILTIN: [(&str, &str); 2] = [
    (
        "controls/nist-csf-2.0.yaml",
        include_str!("../../controls/nist-csf-2.0.yaml"),
    ),
    (
        "controls/pci-ssc-container.yaml",
        include_str!("../../controls/pci-ssc-container.yaml"),
    ),
];

/// A set of controls loaded from one or more catalog files.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Catalog {
    pub controls: Vec<Control>,
    /// Every file the controls came from, with its hash, for the report's provenance.
    pub files: Vec<CatalogFile>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct CatalogFile {
    pub path: String,
    pub catalog: String,
    pub title: String,
    pub builtin: bool,
    pub sha256: String,
}

/// One control: the question an auditor asks, where its wording and id come from, and the
/// checks that answer it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Control {
    pub id: String,
    /// Whether the id is printed in the source document or is evidencer's own label.
    pub id_source: IdSource,
    /// The document the wording is quoted from.
    pub source: String,
    /// The CSF 2.0 subcategory the question falls under (evidencer's mapping), never an id.
    pub csf_reference: Option<String>,
    /// Id of the catalog it belongs to, e.g. `nist-csf-2.0`.
    pub catalog: String,
    pub title: String,
    /// Verbatim from the source; for a catalog of practices, the best practice.
    pub question: String,
    /// Verbatim source texts, when the source gives them.
    pub implementation_example: Option<String>,
    pub guidance: Option<String>,
    pub threat: Option<String>,
    pub best_practice: Option<String>,
    pub details: Option<String>,
    /// Who wrote `details`, when it is not the source itself.
    pub details_source: Option<String>,
    /// Evidencer's own words: what evidence answers the question.
    pub explanation: String,
    /// The question asks for a documented process: no answer without a current attestation.
    pub asks_for_process: bool,
    /// Checks whose failures a current attestation turns into warnings in the roll-up.
    pub attestation_relaxes: Vec<&'static str>,
    pub checks: Vec<ControlCheck>,
    /// The catalog file that defined it.
    pub file: String,
}

/// Where a control's id comes from.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IdSource {
    /// The source document prints the id.
    Source,
    /// evidencer's own label: the source gives the question no id.
    #[default]
    Local,
}

impl IdSource {
    /// How `evidencer controls` and the reports say where the id comes from.
    pub fn describe(self) -> &'static str {
        match self {
            IdSource::Source => "printed in the source",
            IdSource::Local => "a local label (the source gives this question no id)",
        }
    }
}

/// One check of a control, with its part in the roll-up (see [`crate::assess::rollup`]).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ControlCheck {
    pub id: &'static str,
    /// Must be assessed for the control to have any answer.
    pub required: bool,
    /// A critical check that fails makes the control `not_satisfied` on its own.
    pub critical: bool,
    /// Counts only when it was assessed.
    pub supplementary: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read catalog directory {path}")]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read catalog {}", .path.display())]
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
    #[error("catalog directory {path} holds no .yaml or .yml files")]
    Empty { path: PathBuf },
}

/// The file format.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogDoc {
    catalog: String,
    title: String,
    #[serde(default)]
    #[allow(dead_code)]
    reference: Option<String>,
    controls: Vec<Spanned<ControlDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ControlDoc {
    id: String,
    id_source: Option<IdSource>,
    source: Option<String>,
    #[serde(default)]
    csf_reference: Option<String>,
    title: String,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    implementation_example: Option<String>,
    #[serde(default)]
    guidance: Option<String>,
    #[serde(default)]
    threat: Option<String>,
    #[serde(default)]
    best_practice: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    details_source: Option<String>,
    explanation: String,
    #[serde(default)]
    asks_for_process: bool,
    #[serde(default)]
    attestation_relaxes: Vec<Spanned<String>>,
    #[serde(default)]
    checks: Vec<Spanned<CheckRefDoc>>,
}

/// `- check-id` or `- {id: check-id, required: true, critical: true, supplementary: true}`.
#[derive(Debug, Default)]
struct CheckRefDoc {
    id: String,
    required: bool,
    critical: bool,
    supplementary: bool,
}

const CHECK_REF_KEYS: &[&str] = &["id", "required", "critical", "supplementary"];

impl<'de> Deserialize<'de> for CheckRefDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CheckRefDoc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a check id, or a mapping with `id` and any of `required`, `critical`, `supplementary`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CheckRefDoc, E> {
                Ok(CheckRefDoc {
                    id: v.to_string(),
                    ..CheckRefDoc::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckRefDoc, A::Error> {
                let mut out = CheckRefDoc::default();
                let mut id = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "id" => id = Some(map.next_value::<String>()?),
                        "required" => out.required = map.next_value::<bool>()?,
                        "critical" => out.critical = map.next_value::<bool>()?,
                        "supplementary" => out.supplementary = map.next_value::<bool>()?,
                        other => return Err(de::Error::unknown_field(other, CHECK_REF_KEYS)),
                    }
                }
                out.id = id.ok_or_else(|| de::Error::missing_field("id"))?;
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

impl Catalog {
    /// The built-in catalogs, then each user directory in order.
    /// Files over `limit` bytes are refused.
    pub fn load(builtin: bool, dirs: &[PathBuf], limit: u64) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog::default();
        if builtin {
            for (name, text) in BUILTIN {
                catalog.add_text(name, text, true)?;
            }
        }
        for dir in dirs {
            catalog.add_dir(dir, limit)?;
        }
        Ok(catalog)
    }

    /// Adds every `.yaml`/`.yml` file directly inside `dir`, in name order (directories
    /// so named are skipped; a FIFO or device so named is an error, as it is not read).
    pub fn add_dir(&mut self, dir: &Path, limit: u64) -> Result<(), CatalogError> {
        let entries = fs::read_dir(dir).map_err(|source| CatalogError::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                !p.is_dir()
                    && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(CatalogError::Empty {
                path: dir.to_path_buf(),
            });
        }
        for path in files {
            let text =
                input::read_to_string(&path, limit).map_err(|source| CatalogError::Read {
                    path: path.clone(),
                    source,
                })?;
            self.add_text(&path.display().to_string(), &text, false)?;
        }
        Ok(())
    }

    /// Parses and validates one catalog file and adds its controls. A control whose id is
    /// already present replaces it in place.
    pub fn add_text(&mut self, file: &str, text: &str, builtin: bool) -> Result<(), CatalogError> {
        let invalid = |line: u64, column: u64, message: String| CatalogError::Invalid {
            file: file.to_string(),
            line,
            column,
            message,
        };
        let doc: CatalogDoc = crate::base::yaml::from_file_text(text)
            .map_err(|e| invalid(e.line, e.column, e.message))?;
        let mut seen: BTreeMap<String, u64> = BTreeMap::new();
        let mut controls = Vec::with_capacity(doc.controls.len());
        for spanned in doc.controls {
            let at = &spanned.referenced;
            let c = spanned.value;
            let here = |message: String| invalid(at.line(), at.column(), message);
            if let Some(first) = seen.insert(c.id.clone(), at.line()) {
                return Err(here(format!(
                    "control {} is defined twice in this file (first at line {first})",
                    c.id
                )));
            }
            let Some(id_source) = c.id_source else {
                return Err(here(format!(
                    "control {} has no `id-source`: say whether the source document prints its id (`source`) or the id is your own label (`local`)",
                    c.id
                )));
            };
            let source = c.source.as_deref().map(normalize_text).unwrap_or_default();
            if source.is_empty() {
                return Err(here(format!(
                    "control {} has no `source`: name the document its question is quoted from",
                    c.id
                )));
            }
            // A catalog of practices states them instead of asking: its best practice is
            // the question.
            let question = match (&c.question, &c.best_practice) {
                (Some(q), _) => normalize_text(q),
                (None, Some(practice)) => normalize_text(practice),
                (None, None) => String::new(),
            };
            if question.is_empty() {
                return Err(here(format!(
                    "control {} has no question (give `question`, or `best-practice` for a practice)",
                    c.id
                )));
            }
            let mut checks: Vec<ControlCheck> = Vec::with_capacity(c.checks.len());
            for r in c.checks {
                let line = (r.referenced.line(), r.referenced.column());
                let r = r.value;
                if r.id == crate::evidence::attestation::CHECK_ID {
                    return Err(invalid(
                        line.0,
                        line.1,
                        format!(
                            "control {}: `{}` is added by attestations, not listed; mark the control `asks-for-process: true` if its question asks for a documented process",
                            c.id, r.id
                        ),
                    ));
                }
                let Some(check) = checks::find(&r.id) else {
                    return Err(invalid(line.0, line.1, unknown_check_message(&r.id, &c.id)));
                };
                let id = check.meta().id;
                if checks.iter().any(|k| k.id == id) {
                    return Err(invalid(
                        line.0,
                        line.1,
                        format!("control {}: check `{id}` is listed twice", c.id),
                    ));
                }
                if r.required && r.supplementary {
                    return Err(invalid(
                        line.0,
                        line.1,
                        format!(
                            "control {}: check `{id}` is both `required` (no answer without it) and `supplementary` (counts only when assessed); choose one",
                            c.id
                        ),
                    ));
                }
                checks.push(ControlCheck {
                    id,
                    required: r.required,
                    critical: r.critical,
                    supplementary: r.supplementary,
                });
            }
            let mut attestation_relaxes = Vec::with_capacity(c.attestation_relaxes.len());
            for r in c.attestation_relaxes {
                let Some(k) = checks.iter().find(|k| k.id == r.value) else {
                    return Err(invalid(
                        r.referenced.line(),
                        r.referenced.column(),
                        format!(
                            "control {}: `attestation-relaxes` names `{}`, which is not one of its checks",
                            c.id, r.value
                        ),
                    ));
                };
                attestation_relaxes.push(k.id);
            }
            let text = |t: &Option<String>| t.as_deref().map(normalize_text);
            controls.push(Control {
                id_source,
                source,
                csf_reference: c.csf_reference.map(|r| r.trim().to_string()),
                catalog: doc.catalog.clone(),
                title: c.title.trim().to_string(),
                question,
                implementation_example: text(&c.implementation_example),
                guidance: text(&c.guidance),
                threat: text(&c.threat),
                best_practice: text(&c.best_practice),
                details: text(&c.details),
                details_source: text(&c.details_source),
                explanation: normalize_text(&c.explanation),
                asks_for_process: c.asks_for_process,
                attestation_relaxes,
                checks,
                file: file.to_string(),
                id: c.id,
            });
        }
        for control in controls {
            match self.controls.iter_mut().find(|c| c.id == control.id) {
                Some(existing) => *existing = control,
                None => self.controls.push(control),
            }
        }
        self.files.push(CatalogFile {
            path: file.to_string(),
            catalog: doc.catalog,
            title: doc.title,
            builtin,
            sha256: sha256_hex(text.as_bytes()),
        });
        Ok(())
    }

    /// Controls that use a check, for `evidencer checks`: the attestation pseudo-check is
    /// used by every control that asks for a documented process.
    pub fn controls_using(&self, check: &str) -> Vec<&str> {
        self.controls
            .iter()
            .filter(|c| {
                c.checks.iter().any(|r| r.id == check)
                    || (check == crate::evidence::attestation::CHECK_ID && c.asks_for_process)
            })
            .map(|c| c.id.as_str())
            .collect()
    }

    /// The control with this id.
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id == id)
    }
}

/// Text as catalogs write it (folded `>-` blocks, paragraphs separated by a blank line):
/// each line break left in the value starts a paragraph; paragraphs are separated by one
/// blank line, their spaces collapsed.
fn normalize_text(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn unknown_check_message(id: &str, control: &str) -> String {
    match closest_check(id) {
        Some(suggestion) => format!(
            "unknown check id `{id}` in control {control}; did you mean `{suggestion}`? (`evidencer checks` lists them)"
        ),
        None => format!(
            "unknown check id `{id}` in control {control} (`evidencer checks` lists the ids)"
        ),
    }
}

/// The known check id closest to a mistyped one (at most three edits away), for "did you
/// mean" messages wherever a file names checks.
pub(crate) fn closest_check(id: &str) -> Option<&'static str> {
    closest(id, checks::ids().iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A control with every field it needs and no checks; its `checks:` would be line 10.
    const HEAD: &str = "catalog: mine\ntitle: Mine\ncontrols:\n  - id: X-1\n    id-source: local\n    source: our policy\n    title: t\n    question: q?\n    explanation: e\n";

    #[test]
    fn catalog_mistakes_are_errors_with_file_line_and_what_to_do() {
        for (text, line, says) in [
            (
                HEAD.replace("    id-source: local\n", ""),
                4,
                "has no `id-source`",
            ),
            (
                HEAD.replace("id-source: local", "id-source: nist"),
                5,
                "unknown variant `nist`",
            ),
            (
                HEAD.replace("    source: our policy\n", ""),
                4,
                "has no `source`",
            ),
            (HEAD.replace("    question: q?\n", ""), 4, "has no question"),
            (
                format!(
                    "{HEAD}    checks:\n      - {{id: run-as-non-root, required: true, supplementary: true}}\n"
                ),
                11,
                "both `required`",
            ),
            (
                format!("{HEAD}    checks:\n      - run-as-non-root\n      - run-as-non-root\n"),
                12,
                "listed twice",
            ),
            (
                format!(
                    "{HEAD}    attestation-relaxes: [node-kernel-current]\n    checks: [run-as-non-root]\n"
                ),
                10,
                "not one of its checks",
            ),
            (
                format!("{HEAD}    checks: [documented-process]\n"),
                10,
                "asks-for-process",
            ),
        ] {
            let msg = Catalog::default()
                .add_text("mine.yaml", &text, false)
                .unwrap_err()
                .to_string();
            assert!(
                msg.starts_with(&format!("mine.yaml:{line}:")),
                "{text}\n{msg}"
            );
            assert!(msg.contains(says), "{msg}");
        }
    }

    #[test]
    fn practices_are_their_own_questions_and_paragraphs_are_kept() {
        let text = HEAD.replace("    question: q?\n", "")
            + "    best-practice: >-\n      Patch\n      hosts.\n    guidance: >-\n      One\n      para.\n\n      Two.\n";
        let mut catalog = Catalog::default();
        catalog.add_text("mine.yaml", &text, false).unwrap();
        let c = &catalog.controls[0];
        assert_eq!(c.question, "Patch hosts.");
        assert_eq!(c.best_practice.as_deref(), Some("Patch hosts."));
        assert_eq!(c.guidance.as_deref(), Some("One para.\n\nTwo."));
    }

    #[test]
    fn every_builtin_catalog_loads() {
        let catalog = Catalog::load(true, &[], 1 << 20).unwrap();
        assert_eq!(catalog.files.len(), BUILTIN.len());
        let ids: Vec<&str> = catalog.controls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "PR.PS-02.242",
                "PR.PS-02.242-related-1",
                "PR.PS-02.242-related-2",
                "PR.PS-02.242-related-3",
                "PR.PS-02.242-related-4",
                "PR.PS-02.242-related-5",
                "PR.PS-02.242-related-6",
                "PCI-10.1",
                "PCI-10.2",
                "PCI-10.3",
            ]
        );
        // Every control that can be answered at all names what it cannot be answered
        // without: a required check, or a document.
        for c in &catalog.controls {
            assert!(
                c.asks_for_process || c.checks.iter().any(|k| k.required),
                "{} has no required check",
                c.id
            );
        }
    }

    #[test]
    fn unknown_check_ids_are_rejected_with_file_line_and_suggestion() {
        let text = format!("{HEAD}    checks:\n      - read-only-root-filesytem\n");
        let err = Catalog::default()
            .add_text("mine.yaml", &text, false)
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("mine.yaml:11:"), "{msg}");
        assert!(
            msg.contains("did you mean `read-only-root-filesystem`"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        for (extra, line, says) in [
            ("    chekcs: []\n", 10, "chekcs"),
            ("    csf-ref: PR.PS-01\n", 10, "csf-ref"),
            (
                "    checks:\n      - {id: run-as-non-root, requird: true}\n",
                11,
                "requird",
            ),
        ] {
            let text = format!("{HEAD}{extra}");
            let msg = Catalog::default()
                .add_text("mine.yaml", &text, false)
                .unwrap_err()
                .to_string();
            assert!(msg.starts_with(&format!("mine.yaml:{line}:")), "{msg}");
            assert!(msg.contains(says), "{msg}");
        }
    }

    #[test]
    fn user_controls_replace_builtin_ones_with_the_same_id() {
        let mut catalog = Catalog::load(true, &[], 1 << 20).unwrap();
        let n = catalog.controls.len();
        let text = HEAD
            .replace("X-1", "PCI-10.3")
            .replace("title: t", "title: Ours")
            + "    checks:\n      - {id: run-as-non-root, critical: true, required: true}\n";
        catalog.add_text("mine.yaml", &text, false).unwrap();
        assert_eq!(catalog.controls.len(), n);
        let c = catalog.control("PCI-10.3").unwrap();
        assert_eq!((c.title.as_str(), c.catalog.as_str()), ("Ours", "mine"));
        assert!(c.checks[0].critical && c.checks[0].required);
    }

    #[test]
    fn duplicate_controls_in_one_file_are_rejected() {
        let c = HEAD.trim_start_matches("catalog: mine\ntitle: Mine\ncontrols:\n");
        let text = format!("{HEAD}{c}");
        let msg = Catalog::default()
            .add_text("m.yaml", &text, false)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("defined twice"), "{msg}");
    }
}
