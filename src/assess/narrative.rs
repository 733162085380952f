//! Control narratives: the sentences a control's result says, built from its checks' results
//! and findings: the verdict, the evidence check by check with counts and the first subjects
//! named with their files, what was not assessed and why, and the accepted exceptions relied
//! on. Each check adds its own evidence sentence through `Check::summary`.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{CheckResult, CheckStatus, Verdict};
use crate::assess::catalog::Control;
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

/// The narrative of a control: its verdict in a sentence, then the evidence check by check
/// with counts and the first subjects named with their files, then what was not assessed,
/// then the accepted exceptions it relied on.
pub fn control_narrative(
    control: &Control,
    verdict: Verdict,
    checks: &[CheckResult],
    by_check: &BTreeMap<&str, Vec<&Finding>>,
) -> String {
    let mut out = String::new();
    let assessed = checks
        .iter()
        .filter(|c| c.status != CheckStatus::NotAssessed)
        .count();
    let excepted: usize = checks.iter().map(|c| c.excepted).sum();
    let _ = match verdict {
        Verdict::NotAssessed if checks.is_empty() => write!(
            out,
            "Not assessed: no check of evidencer gives evidence for {} yet; answer it from other evidence.",
            control.id
        ),
        Verdict::NotAssessed => write!(
            out,
            "Not assessed: none of the {} check(s) for this control could be assessed from the input.",
            checks.len()
        ),
        Verdict::Satisfied if excepted > 0 => write!(
            out,
            "Satisfied: all {} check(s) passed, counting {excepted} finding(s) under accepted exceptions.",
            checks.len()
        ),
        Verdict::Satisfied => write!(out, "Satisfied: all {} check(s) passed.", checks.len()),
        Verdict::NotSatisfied => write!(
            out,
            "Not satisfied: {} of {} assessed check(s) found failures.",
            checks
                .iter()
                .filter(|c| c.status == CheckStatus::Fail)
                .count(),
            assessed
        ),
        Verdict::PartiallySatisfied => write!(
            out,
            "Partially satisfied: {} of {} check(s) passed, {} assessed.",
            checks
                .iter()
                .filter(|c| c.status == CheckStatus::Pass)
                .count(),
            checks.len(),
            assessed
        ),
    };
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
        CheckStatus::Warn | CheckStatus::Fail => {
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
                parts.push(format!("{} could not be read", c.error));
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
