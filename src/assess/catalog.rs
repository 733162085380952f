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

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CatalogFile {
    pub path: String,
    pub catalog: String,
    pub title: String,
    pub builtin: bool,
    pub sha256: String,
}

/// One control: the question an auditor asks and the checks that answer it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Control {
    pub id: String,
    /// Id of the catalog it belongs to, e.g. `nist-csf-2.0`.
    pub catalog: String,
    pub title: String,
    pub question: String,
    pub explanation: String,
    pub checks: Vec<ControlCheck>,
    /// The catalog file that defined it.
    pub file: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ControlCheck {
    pub id: &'static str,
    /// A critical check that fails makes the control `not_satisfied` on its own.
    pub critical: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read catalog directory {path}: {source}")]
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
#[serde(deny_unknown_fields)]
struct ControlDoc {
    id: String,
    title: String,
    question: String,
    explanation: String,
    #[serde(default)]
    checks: Vec<Spanned<CheckRefDoc>>,
}

/// `- check-id` or `- {id: check-id, critical: true}`.
#[derive(Debug)]
struct CheckRefDoc {
    id: String,
    critical: bool,
}

impl<'de> Deserialize<'de> for CheckRefDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CheckRefDoc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a check id, or a mapping with `id` and `critical`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CheckRefDoc, E> {
                Ok(CheckRefDoc {
                    id: v.to_string(),
                    critical: false,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckRefDoc, A::Error> {
                let (mut id, mut critical) = (None, false);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "id" => id = Some(map.next_value::<String>()?),
                        "critical" => critical = map.next_value::<bool>()?,
                        other => {
                            return Err(de::Error::unknown_field(other, &["id", "critical"]));
                        }
                    }
                }
                let id = id.ok_or_else(|| de::Error::missing_field("id"))?;
                Ok(CheckRefDoc { id, critical })
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
            if let Some(first) = seen.insert(c.id.clone(), at.line()) {
                return Err(invalid(
                    at.line(),
                    at.column(),
                    format!(
                        "control {} is defined twice in this file (first at line {first})",
                        c.id
                    ),
                ));
            }
            if c.question.trim().is_empty() {
                return Err(invalid(
                    at.line(),
                    at.column(),
                    format!("control {} has no question", c.id),
                ));
            }
            let mut checks = Vec::with_capacity(c.checks.len());
            for r in c.checks {
                let Some(check) = checks::find(&r.value.id) else {
                    return Err(invalid(
                        r.referenced.line(),
                        r.referenced.column(),
                        unknown_check_message(&r.value.id, &c.id),
                    ));
                };
                checks.push(ControlCheck {
                    id: check.meta().id,
                    critical: r.value.critical,
                });
            }
            controls.push(Control {
                id: c.id,
                catalog: doc.catalog.clone(),
                title: c.title.trim().to_string(),
                question: normalize_text(&c.question),
                explanation: normalize_text(&c.explanation),
                checks,
                file: file.to_string(),
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

    /// Controls that use a check, for `evidencer checks`.
    pub fn controls_using(&self, check: &str) -> Vec<&str> {
        self.controls
            .iter()
            .filter(|c| c.checks.iter().any(|r| r.id == check))
            .map(|c| c.id.as_str())
            .collect()
    }
}

/// Folded YAML text keeps a trailing newline; paragraphs keep their breaks.
fn normalize_text(text: &str) -> String {
    text.trim().to_string()
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
    let mut close: Vec<(usize, &'static str)> = checks::ids()
        .iter()
        .map(|known| (edit_distance(id, known), *known))
        .filter(|(d, _)| *d <= 3)
        .collect();
    close.sort();
    close.first().map(|(_, id)| *id)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_catalog_loads() {
        let catalog = Catalog::load(true, &[], 1 << 20).unwrap();
        assert_eq!(catalog.files.len(), BUILTIN.len());
        for id in [
            "PR.PS-02.242",
            "PR.PS-02.241",
            "PR.PS-02.243",
            "PR.PS-02.244",
            "PR.PS-01",
            "PCI-10.1",
            "PCI-10.2",
            "PCI-10.3",
        ] {
            assert!(catalog.controls.iter().any(|c| c.id == id), "{id} missing");
        }
    }

    #[test]
    fn unknown_check_ids_are_rejected_with_file_line_and_suggestion() {
        let text = "catalog: mine\ntitle: Mine\ncontrols:\n  - id: X-1\n    title: t\n    question: q?\n    explanation: e\n    checks:\n      - read-only-root-filesytem\n";
        let err = Catalog::default()
            .add_text("mine.yaml", text, false)
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("mine.yaml:9:"), "{msg}");
        assert!(
            msg.contains("did you mean `read-only-root-filesystem`"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let text = "catalog: mine\ntitle: Mine\ncontrols:\n  - id: X-1\n    title: t\n    question: q?\n    explanation: e\n    chekcs: []\n";
        let msg = Catalog::default()
            .add_text("mine.yaml", text, false)
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("mine.yaml:8:"), "{msg}");
        assert!(msg.contains("chekcs"), "{msg}");
    }

    #[test]
    fn user_controls_replace_builtin_ones_with_the_same_id() {
        let mut catalog = Catalog::load(true, &[], 1 << 20).unwrap();
        let n = catalog.controls.len();
        let text = "catalog: mine\ntitle: Mine\ncontrols:\n  - id: PR.PS-01\n    title: Ours\n    question: q?\n    explanation: e\n    checks:\n      - {id: run-as-non-root, critical: true}\n";
        catalog.add_text("mine.yaml", text, false).unwrap();
        assert_eq!(catalog.controls.len(), n);
        let c = catalog
            .controls
            .iter()
            .find(|c| c.id == "PR.PS-01")
            .unwrap();
        assert_eq!((c.title.as_str(), c.catalog.as_str()), ("Ours", "mine"));
        assert!(c.checks[0].critical);
    }

    #[test]
    fn duplicate_controls_in_one_file_are_rejected() {
        let c = "  - id: X-1\n    title: t\n    question: q?\n    explanation: e\n";
        let text = format!("catalog: mine\ntitle: Mine\ncontrols:\n{c}{c}");
        let msg = Catalog::default()
            .add_text("m.yaml", &text, false)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("defined twice"), "{msg}");
    }
}
