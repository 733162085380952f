//! Control narratives: the sentences a control's result says, built from its checks' results
//! and findings: the verdict, the evidence check by check with counts and the first subjects
//! named with their files, what was not assessed and why, and the accepted exceptions relied
//! on. Each check adds its own evidence sentence through `Check::summary`.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{CheckResult, CheckStatus};
use crate::base::phrase::NAMED_SUBJECTS;
use crate::evidence::finding::{Finding, Status};

/// Why a check was not assessed, from its `not_assessed` and `error` findings.
pub fn not_assessed_reason(findings: &[&Finding]) -> String {
    let mut reasons: Vec<&str> = findings
        .iter()
        .filter(|f| f.status == Status::NotAssessed)
        .map(|f| f.message.as_str())
        .collect();
    reasons.sort_unstable();
    reasons.dedup();
    let errors = findings
        .iter()
        .filter(|f| f.status == Status::Error)
        .count();
    let na = findings
        .iter()
        .filter(|f| f.status == Status::NotApplicable)
        .count();
    let mut out = reasons.join("; ");
    if errors > 0 {
        if !out.is_empty() {
            out.push_str("; ");
        }
        let _ = write!(out, "{errors} subject(s) could not be read");
    }
    if out.is_empty() {
        out = if na > 0 {
            format!("all {na} subject(s) were not applicable")
        } else {
            "nothing in the input was a subject of this check".into()
        };
    }
    out
}

/// Why the attestation pseudo-check of a control has no result.
pub fn no_document_attached() -> String {
    "no document attached".into()
}

/// What a check that passed on part of its scope did not see, from its `not_assessed`
/// findings.
pub fn partly_unseen(findings: &[&Finding]) -> String {
    format!(
        "part of its scope was not assessed: {}",
        not_assessed_reason(
            &findings
                .iter()
                .copied()
                .filter(|f| f.status == Status::NotAssessed)
                .collect::<Vec<_>>()
        )
    )
}

/// The short answer statement of a control, for a questionnaire: the opening of the roll-up
/// (its verdict and the step that decided it), then the decisive evidence (the first failing
/// check, critical and required first; else the required checks that passed), then the main
/// gap (the first check that was not assessed, erred or warned). At most four sentences: the
/// opening says at most two.
pub fn control_statement(
    opening: &str,
    checks: &[CheckResult],
    by_check: &BTreeMap<&str, Vec<&Finding>>,
) -> String {
    let mut out = opening.to_string();
    let counting: Vec<&CheckResult> = checks.iter().filter(|c| !c.supplementary).collect();
    let failing = counting
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .min_by_key(|c| (!c.critical, !c.required));
    if let Some(check) = failing {
        let failed: Vec<String> = by_check
            .get(check.id)
            .into_iter()
            .flatten()
            .filter(|f| f.status == Status::Fail && !f.is_excepted())
            .map(|f| f.subject.display_name())
            .collect();
        let more = match failed.len() {
            0 | 1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let _ = write!(
            out,
            " Decisive evidence: {} ({}) failed on {}{more}.",
            check.title,
            check.id,
            failed.first().map_or("its subjects", String::as_str)
        );
    } else {
        // The required and critical checks that passed; else every passing check.
        let passing: Vec<&&CheckResult> = counting
            .iter()
            .filter(|c| c.status == CheckStatus::Pass)
            .collect();
        let decisive: Vec<&&CheckResult> = passing
            .iter()
            .copied()
            .filter(|c| c.required || c.critical)
            .collect();
        let passed = if decisive.is_empty() {
            passing
        } else {
            decisive
        };
        if !passed.is_empty() {
            let ids: Vec<&str> = passed.iter().map(|c| c.id).collect();
            let subjects: usize = passed.iter().map(|c| c.counts.pass).sum();
            let excepted: usize = passed.iter().map(|c| c.excepted).sum();
            let covered = if excepted > 0 {
                format!(", {excepted} more only under accepted exceptions")
            } else {
                String::new()
            };
            let _ = write!(
                out,
                " Decisive evidence: {} passed on {subjects} subject(s){covered}.",
                ids.join(", ")
            );
        }
    }
    // Required checks first, then what is least known: not assessed, erred, warned.
    let gap = counting
        .iter()
        .filter_map(|c| {
            let rank = match c.status {
                CheckStatus::NotAssessed => 0,
                CheckStatus::Error => 1,
                CheckStatus::Warn => 2,
                _ => return None,
            };
            Some(((!c.required, rank), c))
        })
        .min_by_key(|(key, _)| *key)
        .map(|(_, c)| c);
    if let Some(check) = gap {
        let what = match check.status {
            CheckStatus::NotAssessed => "was not assessed",
            CheckStatus::Error => "could not read part of its evidence",
            _ => "warned",
        };
        let reason = check
            .reason
            .as_deref()
            .map(|r| format!(": {}", clip(r.trim_end_matches('.'), 200)))
            .unwrap_or_default();
        let end = if reason.ends_with('…') { "" } else { "." };
        let _ = write!(out, " Main gap: {} {what}{reason}{end}", check.id);
    }
    out
}

/// `text` cut at a word boundary to at most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}

/// The narrative of a control: the opening sentence of the roll-up (its verdict and the
/// step that decided it, see [`crate::assess::rollup::Decision::sentence`]), then the evidence
/// check by check with counts and the first subjects named with their files, then the
/// accepted exceptions it relied on.
pub fn control_narrative(
    opening: &str,
    checks: &[CheckResult],
    by_check: &BTreeMap<&str, Vec<&Finding>>,
) -> String {
    let mut out = opening.to_string();
    let mut cited: BTreeMap<&str, (&crate::evidence::finding::FindingException, usize)> =
        BTreeMap::new();
    for check in checks {
        let findings: &[&Finding] = by_check.get(check.id).map(Vec::as_slice).unwrap_or(&[]);
        out.push(' ');
        out.push_str(&check_sentence(check, findings));
        if let Some(summary) = &check.summary {
            out.push(' ');
            out.push_str(summary);
        }
        if !check.relaxed_by.is_empty() {
            let _ = write!(
                out,
                " Its {} failure(s) count as warnings: the control allows them while a current attestation covers it ({}).",
                check.counts.fail,
                check.relaxed_by.join(", ")
            );
        }
        for f in findings.iter().filter(|f| f.is_excepted()) {
            if let Some(e) = &f.exception {
                cited.entry(e.id.as_str()).or_insert((e, 0)).1 += 1;
            }
        }
    }
    if !cited.is_empty() {
        let list: Vec<String> = cited
            .values()
            .map(|(e, n)| {
                format!(
                    "{} covers {n} finding(s): {} (approved by {}, ticket {}, expires {})",
                    e.id,
                    e.reason.trim_end_matches('.'),
                    e.approver,
                    e.ticket,
                    e.expires
                )
            })
            .collect();
        let _ = write!(out, " Accepted exceptions: {}.", list.join("; "));
    }
    out
}

fn check_sentence(check: &CheckResult, findings: &[&Finding]) -> String {
    let c = &check.counts;
    let judged = c.pass + c.fail + c.warn;
    // Excepted findings are named in the exceptions sentence, not among the failures.
    let open: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| !f.is_excepted())
        .collect();
    let excepted = if check.excepted > 0 {
        let ids: std::collections::BTreeSet<&str> = findings
            .iter()
            .filter(|f| f.is_excepted())
            .filter_map(|f| f.exception.as_ref().map(|e| e.id.as_str()))
            .collect();
        format!(
            "{} under accepted exception(s) {}",
            check.excepted,
            ids.into_iter().collect::<Vec<_>>().join(", ")
        )
    } else {
        String::new()
    };
    let open_fail = open.iter().filter(|f| f.status == Status::Fail).count();
    let open_warn = open.iter().filter(|f| f.status == Status::Warn).count();
    match check.status {
        CheckStatus::NotAssessed => format!(
            "{} ({}) was not assessed: {}.",
            check.title,
            check.id,
            check.reason.as_deref().unwrap_or("no evidence")
        ),
        CheckStatus::Warn if open_fail == 0 && open_warn == 0 => format!(
            "{} ({}): {} subject(s) pass, but {}.",
            check.title,
            check.id,
            c.pass,
            check
                .reason
                .as_deref()
                .unwrap_or("part of its scope was not assessed")
        ),
        CheckStatus::Pass if check.excepted > 0 => format!(
            "{} ({}): {} of {judged} subject(s) pass; {excepted}.",
            check.title, check.id, c.pass
        ),
        CheckStatus::Pass => format!(
            "{} ({}): all {} subject(s) pass{}.",
            check.title,
            check.id,
            c.pass,
            examples(&open, Status::Pass, ", e.g. ")
        ),
        CheckStatus::Warn | CheckStatus::Fail | CheckStatus::Error => {
            let mut s = format!("{} ({}): ", check.title, check.id);
            let mut parts = Vec::new();
            if open_fail > 0 {
                parts.push(format!(
                    "{open_fail} of {judged} subject(s) fail{}",
                    examples(&open, Status::Fail, ": ")
                ));
            }
            if open_warn > 0 {
                parts.push(format!(
                    "{open_warn} of {judged} warn{}",
                    examples(&open, Status::Warn, ": ")
                ));
            }
            if check.excepted > 0 {
                parts.push(excepted);
            }
            if c.pass > 0 {
                parts.push(format!("{} pass", c.pass));
            }
            if c.error > 0 {
                parts.push(format!(
                    "{} could not be read{}",
                    c.error,
                    examples(&open, Status::Error, ": ")
                ));
            }
            if c.not_assessed > 0 {
                parts.push(format!("{} not assessed", c.not_assessed));
            }
            s.push_str(&parts.join("; "));
            s.push('.');
            s
        }
    }
}

/// Names the first subjects with a status, with their files: `Deployment shop/api container
/// web (shop.yaml:12), ... and 4 more`.
fn examples(findings: &[&Finding], status: Status, lead: &str) -> String {
    let matching: Vec<&&Finding> = findings.iter().filter(|f| f.status == status).collect();
    if matching.is_empty() {
        return String::new();
    }
    let named: Vec<String> = matching
        .iter()
        .take(NAMED_SUBJECTS)
        .map(|f| match f.subject.file_location() {
            Some(loc) => format!("{} ({loc})", f.subject.display_name()),
            None => f.subject.display_name(),
        })
        .collect();
    let more = matching.len().saturating_sub(NAMED_SUBJECTS);
    let mut s = format!("{lead}{}", named.join(", "));
    if more > 0 {
        let _ = write!(s, " and {more} more");
    }
    s
}
