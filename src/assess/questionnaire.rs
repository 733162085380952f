//! Questionnaire mappings: a customer's questionnaire (its own question ids and wording:
//! SIG Lite, CAIQ, a PCI evidence request) mapped onto the catalogs' controls.
//!
//! [`load`]/[`parse`] read a mapping file (`--questionnaire FILE.yaml`) and validate it
//! against the controls loaded: an unknown control, a control listed twice in a question,
//! a question without controls, a duplicate question id, an unknown `combine` value, an
//! unknown key and malformed YAML are errors with the file and line. [`combine`] is the
//! rule that turns the verdicts of a question's controls into the question's verdict,
//! using the verdict order of the roll-up ([`Verdict::ALL`], best to worst). Pure except
//! for reading the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::Verdict;

/// How the verdicts of a question's controls make its verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Combine {
    /// The worst of the controls' verdicts.
    #[default]
    Worst,
    /// Satisfied only when every control is; any control partially or not satisfied makes
    /// it not satisfied; else (some control not assessed) not assessed.
    AllMustPass,
    /// The best of the controls' verdicts: one control that answers it is enough.
    Any,
}

impl Combine {
    /// As the mapping file and the outputs write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Combine::Worst => "worst",
            Combine::AllMustPass => "all-must-pass",
            Combine::Any => "any",
        }
    }
}

/// Position in the roll-up's verdict order: 0 is the best.
fn rank(v: Verdict) -> usize {
    Verdict::ALL
        .iter()
        .position(|x| *x == v)
        .expect("every verdict is ranked")
}

/// The verdict of a question whose controls have `verdicts`, by `how`. No verdicts (which
/// a validated mapping never has): not assessed.
pub fn combine(how: Combine, verdicts: &[Verdict]) -> Verdict {
    let worst = verdicts.iter().copied().max_by_key(|v| rank(*v));
    let best = verdicts.iter().copied().min_by_key(|v| rank(*v));
    match how {
        Combine::Worst => worst.unwrap_or(Verdict::NotAssessed),
        Combine::Any => best.unwrap_or(Verdict::NotAssessed),
        Combine::AllMustPass => {
            let failing = verdicts
                .iter()
                .any(|v| matches!(v, Verdict::PartiallySatisfied | Verdict::NotSatisfied));
            if failing {
                Verdict::NotSatisfied
            } else {
                worst.unwrap_or(Verdict::NotAssessed)
            }
        }
    }
}

/// A validated mapping file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Questionnaire {
    /// The questionnaire's name as the file gives it (`CAIQ v4.0.3`).
    pub name: String,
    /// Where its ids and wording come from, when the file says.
    pub source: Option<String>,
    pub questions: Vec<Question>,
}

/// One customer question and the controls that answer it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The customer's id, as given.
    pub id: String,
    /// The customer's wording, as given.
    pub text: String,
    /// The wording is a paraphrase, not the questionnaire's own text.
    pub paraphrase: bool,
    /// Control ids, in the order given.
    pub controls: Vec<String>,
    pub combine: Combine,
    /// `file:line` of its entry.
    pub defined_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum QuestionnaireError {
    #[error("cannot read questionnaire mapping {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error("{file}:{line}:{column}: {message} (nothing was written)")]
    Invalid {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    questionnaire: Spanned<String>,
    #[serde(default)]
    source: Option<String>,
    questions: Spanned<Vec<Spanned<QuestionDoc>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionDoc {
    id: Spanned<String>,
    question: Spanned<String>,
    #[serde(default)]
    paraphrase: bool,
    controls: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    combine: Combine,
}

/// Reads and validates a mapping file against `controls` (the ids of the controls loaded);
/// gives the questionnaire and the sha256 of the file, for the report's provenance.
pub fn load(
    path: &Path,
    controls: &[&str],
    limit: u64,
) -> Result<(Questionnaire, String), QuestionnaireError> {
    let text = crate::base::input::read_to_string(path, limit).map_err(|source| {
        QuestionnaireError::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    let q = parse(&path.display().to_string(), &text, controls)?;
    Ok((q, crate::evidence::record::sha256_hex(text.as_bytes())))
}

/// Parses and validates the text of a mapping file shown as `file`.
pub fn parse(
    file: &str,
    text: &str,
    controls: &[&str],
) -> Result<Questionnaire, QuestionnaireError> {
    let invalid = |line: u64, column: u64, message: String| QuestionnaireError::Invalid {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let at = |s: &serde_saphyr::Location| (s.line(), s.column());
    if text.trim().is_empty() {
        return Err(invalid(
            1,
            1,
            "the file is empty; it needs `questionnaire:` (its name) and a `questions:` list \
             (see the README, \"Questionnaire mappings\")"
                .into(),
        ));
    }
    let doc: FileDoc = crate::base::yaml::from_file_text(text).map_err(|e| {
        let hint = if e.message.contains("unknown variant") {
            " (combine is one of worst, all-must-pass, any)"
        } else {
            ""
        };
        invalid(e.line, e.column, format!("{}{hint}", e.message))
    })?;
    let name = doc.questionnaire.value.trim().to_string();
    if name.is_empty() {
        let (l, c) = at(&doc.questionnaire.referenced);
        return Err(invalid(
            l,
            c,
            "`questionnaire` is empty; give the questionnaire's name (e.g. `CAIQ v4.0.3`)".into(),
        ));
    }
    if doc.questions.value.is_empty() {
        let (l, c) = at(&doc.questions.referenced);
        return Err(invalid(
            l,
            c,
            "`questions` is empty; list the customer's questions, each with the controls \
             that answer it"
                .into(),
        ));
    }
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut questions = Vec::with_capacity(doc.questions.value.len());
    for entry in doc.questions.value {
        let d = entry.value;
        let id = d.id.value.trim().to_string();
        if id.is_empty() {
            let (l, c) = at(&d.id.referenced);
            return Err(invalid(
                l,
                c,
                "`id` is empty; give the customer's question id".into(),
            ));
        }
        if let Some(first) = seen.insert(id.clone(), d.id.referenced.line()) {
            let (l, c) = at(&d.id.referenced);
            return Err(invalid(
                l,
                c,
                format!(
                    "question id `{id}` is used twice (first at line {first}); ids must be \
                     unique: map both questions' controls under one entry"
                ),
            ));
        }
        if d.question.value.trim().is_empty() {
            let (l, c) = at(&d.question.referenced);
            return Err(invalid(
                l,
                c,
                format!("question {id}: `question` is empty; give the customer's wording"),
            ));
        }
        if d.controls.value.is_empty() {
            let (l, c) = at(&d.controls.referenced);
            return Err(invalid(
                l,
                c,
                format!(
                    "question {id} names no control; list the controls that answer it \
                     (`evidencer controls` lists them)"
                ),
            ));
        }
        let mut mapped: Vec<String> = Vec::with_capacity(d.controls.value.len());
        for c in &d.controls.value {
            let cid = c.value.trim();
            let (l, col) = at(&c.referenced);
            if !controls.contains(&cid) {
                let message = match crate::base::text::closest(cid, controls.iter().copied()) {
                    Some(s) => format!(
                        "question {id}: unknown control `{cid}`; did you mean `{s}`? \
                         (`evidencer controls` lists the controls loaded)"
                    ),
                    None => format!(
                        "question {id}: unknown control `{cid}` (`evidencer controls` lists \
                         the controls loaded; --catalog adds your own)"
                    ),
                };
                return Err(invalid(l, col, message));
            }
            if mapped.iter().any(|m| m == cid) {
                return Err(invalid(
                    l,
                    col,
                    format!("question {id}: control `{cid}` is listed twice; list it once"),
                ));
            }
            mapped.push(cid.to_string());
        }
        questions.push(Question {
            id,
            text: d.question.value.trim().to_string(),
            paraphrase: d.paraphrase,
            controls: mapped,
            combine: d.combine,
            defined_at: format!("{file}:{}", entry.referenced.line()),
        });
    }
    Ok(Questionnaire {
        name,
        source: doc
            .source
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        questions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTROLS: &[&str] = &["PCI-10.1", "PCI-10.3", "PR.PS-02.242"];

    fn err(text: &str) -> String {
        parse("q.yaml", text, CONTROLS).unwrap_err().to_string()
    }

    #[test]
    fn verdicts_combine_by_the_roll_up_order() {
        use Verdict::*;
        let all = [Satisfied, PartiallySatisfied, NotAssessed];
        assert_eq!(combine(Combine::Worst, &all), NotAssessed);
        assert_eq!(
            combine(Combine::Worst, &[Satisfied, NotSatisfied]),
            NotSatisfied
        );
        assert_eq!(
            combine(Combine::Worst, &[Satisfied, SatisfiedWithExceptions]),
            SatisfiedWithExceptions
        );
        assert_eq!(combine(Combine::Any, &all), Satisfied);
        assert_eq!(
            combine(Combine::Any, &[NotSatisfied, NotAssessed]),
            NotAssessed
        );
        assert_eq!(combine(Combine::AllMustPass, &all), NotSatisfied);
        assert_eq!(
            combine(Combine::AllMustPass, &[Satisfied, NotAssessed]),
            NotAssessed
        );
        assert_eq!(
            combine(Combine::AllMustPass, &[Satisfied, SatisfiedWithExceptions]),
            SatisfiedWithExceptions
        );
        assert_eq!(combine(Combine::AllMustPass, &[Satisfied]), Satisfied);
        assert_eq!(combine(Combine::Worst, &[]), NotAssessed);
    }

    #[test]
    fn a_mapping_is_read_with_its_defaults() {
        let q = parse(
            "q.yaml",
            "questionnaire: CAIQ v4\nsource: CSA\nquestions:\n  - id: TVM-03.1\n    question: \" Patched? \"\n    controls: [PCI-10.3]\n  - id: X-1\n    question: Replaced?\n    paraphrase: true\n    controls: [PR.PS-02.242, PCI-10.1]\n    combine: all-must-pass\n",
            CONTROLS,
        )
        .unwrap();
        assert_eq!(q.name, "CAIQ v4");
        assert_eq!(q.source.as_deref(), Some("CSA"));
        assert_eq!(q.questions.len(), 2);
        let a = &q.questions[0];
        assert_eq!((a.id.as_str(), a.text.as_str()), ("TVM-03.1", "Patched?"));
        assert_eq!((a.combine, a.paraphrase), (Combine::Worst, false));
        assert_eq!(a.defined_at, "q.yaml:4");
        let b = &q.questions[1];
        assert_eq!(b.controls, ["PR.PS-02.242", "PCI-10.1"]);
        assert_eq!((b.combine, b.paraphrase), (Combine::AllMustPass, true));
    }

    #[test]
    fn mistakes_are_errors_with_file_line_and_what_to_do() {
        let head = "questionnaire: Q\nquestions:\n";
        for (body, line, says) in [
            (
                "  - id: A\n    question: a?\n    controls: [PCI-10.2x]\n",
                5,
                "unknown control `PCI-10.2x`; did you mean",
            ),
            (
                "  - id: A\n    question: a?\n    controls: [nothing-like-it-at-all]\n",
                5,
                "--catalog adds your own",
            ),
            (
                "  - id: A\n    question: a?\n    controls: [PCI-10.1]\n  - id: A\n    question: b?\n    controls: [PCI-10.3]\n",
                6,
                "question id `A` is used twice (first at line 3)",
            ),
            (
                "  - id: A\n    question: a?\n    controls: [PCI-10.1]\n    combine: best\n",
                6,
                "combine is one of worst, all-must-pass, any",
            ),
            (
                "  - id: A\n    question: a?\n    controls: []\n",
                5,
                "question A names no control",
            ),
            (
                "  - id: A\n    question: a?\n    controls: [PCI-10.1, PCI-10.1]\n",
                5,
                "control `PCI-10.1` is listed twice",
            ),
            (
                "  - id: A\n    question: a?\n    control: [PCI-10.1]\n",
                5,
                "control",
            ),
            ("  - id: A\n    question: [unclosed\n", 4, ""),
            (
                "  - id: \"\"\n    question: a?\n    controls: [PCI-10.1]\n",
                3,
                "`id` is empty",
            ),
        ] {
            let e = err(&format!("{head}{body}"));
            assert!(e.starts_with(&format!("q.yaml:{line}:")), "{body}: {e}");
            assert!(e.contains(says), "{body}: {e}");
            assert!(e.ends_with("(nothing was written)"), "{e}");
        }
        assert!(err("").contains("the file is empty"));
        assert!(err("questionnaire: Q\nquestions: []\n").contains("`questions` is empty"));
    }
}
