//! A fleet: one report over several clusters, each assessed on its own evidence together
//! with the inputs every cluster shares (repositories, results, audit logs, attestations).
//!
//! Takes one [`Report`] per cluster (a live run's, or one read back from an archived
//! `report.json`) and gives the fleet's [`Report`]: per control the worst of the clusters'
//! verdicts, in the roll-up's order ([`Verdict::ALL`], best to worst), naming the clusters
//! whose verdict it is; every finding of a cluster's own evidence carrying its `cluster`;
//! a finding every cluster gives alike (a repository's, say) listed once with no cluster;
//! and `clusters`, each cluster's own verdicts. [`combine`] does no I/O: `report` with
//! several clusters and `fleet` over archived runs both call it, so both say the same.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::assess::{CheckStatus, ControlResult, StatusCounts, Verdict};
use crate::evidence::attestation;
use crate::evidence::finding::Finding;
use crate::evidence::record::{SourceKind, evidence_id, short_hash};
use crate::report::scope::{Scope, ScopeSubject};
use crate::report::{Inputs, PeriodKind, Provenance, Report, Summary};

/// One cluster of a fleet report, as report.json lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cluster {
    /// The kubeconfig context, the context its snapshot's manifest names, or the name given
    /// with `--snapshot NAME=DIR` (or `NAME=PATH` to `fleet`).
    pub name: String,
    /// The kubeconfig context, when its input names one.
    pub context: Option<String>,
    /// Ids of its own sources (snapshots, live cluster).
    pub sources: Vec<String>,
    /// The id (sha256) of the report.json it was read from, for `fleet` over archived runs;
    /// absent when the cluster was assessed in this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    /// Its own verdict on each control, in report order.
    pub controls: Vec<ClusterVerdict>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClusterVerdict {
    pub id: String,
    pub verdict: Verdict,
}

/// One cluster's own report, ready to combine.
#[derive(Debug)]
pub struct ClusterRun {
    pub name: String,
    pub context: Option<String>,
    /// The id of the report.json it was read from, when it was.
    pub report_id: Option<String>,
    pub report: Report,
}

/// Why cluster runs cannot make one fleet report.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FleetError {
    #[error("a fleet needs at least two clusters; {0} given")]
    TooFew(usize),
    #[error(
        "clusters {first} and {second} were assessed against different controls ({missing} \
         is in {first}'s report only): assess every cluster with the same catalogs"
    )]
    Controls {
        first: String,
        second: String,
        missing: String,
    },
    #[error(
        "two inputs are the cluster {name} for {period}: give each cluster once per period \
         (name one with NAME=PATH when two clusters share a name)"
    )]
    SameCluster { name: String, period: String },
    #[error(
        "clusters {first} and {second} cover different periods ({first_period} and \
         {second_period}): combine the runs of one period"
    )]
    Periods {
        first: String,
        second: String,
        first_period: String,
        second_period: String,
    },
    #[error("the report of {0} is itself a fleet report: combine the clusters' own reports")]
    Nested(String),
}

/// The worst of `verdicts` in the roll-up's order (best to worst: [`Verdict::ALL`]).
pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Option<Verdict> {
    verdicts.into_iter().max_by_key(|v| rank(*v))
}

fn rank(v: Verdict) -> usize {
    Verdict::ALL
        .iter()
        .position(|x| *x == v)
        .expect("every verdict is in ALL")
}

/// A check's result across clusters: fail, then error, then not assessed, then warn, then pass.
fn check_rank(s: CheckStatus) -> u8 {
    match s {
        CheckStatus::Pass => 0,
        CheckStatus::Warn => 1,
        CheckStatus::NotAssessed => 2,
        CheckStatus::Error => 3,
        CheckStatus::Fail => 4,
    }
}

/// The cluster a report is of, by its own sources: the context of its live cluster or
/// snapshot manifest; None when its sources name none (a snapshot read without a manifest).
pub fn cluster_of(report: &Report) -> Option<String> {
    let names: BTreeSet<&str> = report
        .sources
        .iter()
        .filter(|s| matches!(s.kind, SourceKind::Snapshot | SourceKind::Cluster))
        .filter(|s| s.identity != "snapshot")
        .map(|s| s.identity.as_str())
        .collect();
    (names.len() == 1).then(|| names.into_iter().next().unwrap_or_default().to_string())
}

/// The fleet's report over `runs`, in the order given (which orders clusters, findings and
/// sources). The fleet's time is the latest of the runs' (so the same inputs give the same
/// report).
pub fn combine(mut runs: Vec<ClusterRun>) -> Result<Report, FleetError> {
    check_runs(&runs)?;
    set_apart(&mut runs);
    let names: Vec<String> = runs.iter().map(|r| r.name.clone()).collect();

    // Each cluster's own sources: its snapshots and live clusters.
    let own: Vec<HashSet<&str>> = runs
        .iter()
        .map(|r| {
            r.report
                .sources
                .iter()
                .filter(|s| matches!(s.kind, SourceKind::Snapshot | SourceKind::Cluster))
                .map(|s| s.id.as_str())
                .collect()
        })
        .collect();

    // Which findings every cluster gives alike (shared), and which are a cluster's own.
    let mut copies: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for (i, r) in runs.iter().enumerate() {
        for f in &r.report.findings {
            if !own[i].contains(f.subject.source.as_str()) {
                copies.entry(f.id.as_str()).or_default().push(f);
            }
        }
    }
    let shared: HashSet<&str> = copies
        .iter()
        .filter(|(_, fs)| fs.len() == runs.len() && fs.iter().all(|f| *f == fs[0]))
        .map(|(id, _)| *id)
        .collect();
    // A cluster's finding keeps its id unless another cluster has a finding of that id
    // too (a finding about the whole input, say): then it is told apart by its cluster.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in &runs {
        for f in &r.report.findings {
            if !shared.contains(f.id.as_str()) {
                *seen.entry(f.id.as_str()).or_default() += 1;
            }
        }
    }
    let renamed = |f: &Finding, cluster: &str| -> String {
        match seen.get(f.id.as_str()) {
            Some(n) if *n > 1 => format!("{}-{}", f.check, short_hash(&[&f.id, cluster])),
            _ => f.id.clone(),
        }
    };
    let mut findings: Vec<Finding> = Vec::new();
    let mut ids: Vec<HashMap<&str, String>> = Vec::with_capacity(runs.len());
    let mut listed: HashSet<String> = HashSet::new();
    for r in &runs {
        let mut map = HashMap::new();
        for f in &r.report.findings {
            if shared.contains(f.id.as_str()) {
                if listed.insert(f.id.clone()) {
                    findings.push(f.clone());
                }
                continue;
            }
            let id = renamed(f, &r.name);
            let mut f2 = f.clone();
            f2.cluster = Some(r.name.clone());
            if id != f.id {
                map.insert(f.id.as_str(), id.clone());
                f2.id = id;
            }
            listed.insert(f2.id.clone());
            findings.push(f2);
        }
        ids.push(map);
    }
    let id_in = |i: usize, id: &str| -> String { ids[i].get(id).cloned().unwrap_or(id.into()) };

    let controls = combine_controls(&runs, &names, &findings, &id_in);
    let clusters: Vec<Cluster> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| Cluster {
            name: r.name.clone(),
            context: r.context.clone(),
            sources: {
                let mut v: Vec<String> = own[i].iter().map(|s| s.to_string()).collect();
                v.sort();
                v
            },
            report: r.report_id.clone(),
            controls: r
                .report
                .controls
                .iter()
                .map(|c| ClusterVerdict {
                    id: c.id.clone(),
                    verdict: c.verdict,
                })
                .collect(),
        })
        .collect();

    let first = &runs[0].report;
    let latest = |get: fn(&Report) -> &String| -> String {
        runs.iter()
            .map(|r| get(&r.report).clone())
            .max()
            .unwrap_or_default()
    };
    let generated_at = latest(|r| &r.generated_at);
    let as_of = latest(|r| &r.as_of);
    let sources = union_by(runs.iter().flat_map(|r| r.report.sources.iter()), |s| {
        s.id.clone()
    });
    let (stated_period, period_kind) = match first.period_kind {
        PeriodKind::Period => (first.stated_period.clone(), PeriodKind::Period),
        PeriodKind::PointInTime => super::stated_period(None, &sources, &as_of),
    };
    let evidence = union_by(runs.iter().flat_map(|r| r.report.evidence.iter()), |e| {
        e.id.clone()
    });
    let problems = union_by(
        runs.iter().flat_map(|r| r.report.inputs.problems.iter()),
        json_key,
    );
    let mut controls_by_verdict: BTreeMap<&'static str, usize> =
        Verdict::ALL.iter().map(|v| (v.as_str(), 0)).collect();
    for c in &controls {
        *controls_by_verdict.entry(c.verdict.as_str()).or_default() += 1;
    }
    let mut findings_by_status = StatusCounts::default();
    for f in &findings {
        findings_by_status.add(f.status);
    }
    let summary = Summary {
        controls_by_verdict,
        findings_by_status,
        findings_excepted: findings.iter().filter(|f| f.is_excepted()).count(),
        objects: runs.iter().map(|r| r.report.summary.objects).sum(),
        evidence_records: evidence.len(),
        problems: problems.len(),
    };
    let inputs = Inputs {
        coverage: coverage(&runs),
        server_version: {
            // As report.json shows them (the evidence each cites is not part of that).
            let versions: Vec<_> = runs
                .iter()
                .map(|r| &r.report.inputs.server_version)
                .collect();
            versions
                .iter()
                .all(|v| json_key(v) == json_key(&versions[0]))
                .then(|| versions[0].clone())
                .flatten()
        },
        redaction: redaction(&runs),
        problems,
        excluded: union_by(
            runs.iter().flat_map(|r| r.report.inputs.excluded.iter()),
            json_key,
        ),
    };
    let mut changes = union_by(runs.iter().flat_map(|r| r.report.changes.iter()), json_key);
    changes.sort_by(|a, b| {
        (&a.time, &a.source, &a.commit, &a.path, &a.subject)
            .cmp(&(&b.time, &b.source, &b.commit, &b.path, &b.subject))
    });
    let version = env!("CARGO_PKG_VERSION");
    Ok(Report {
        schema_version: super::SCHEMA_VERSION,
        tool: super::Tool {
            name: "evidencer",
            version,
        },
        generated_at,
        as_of,
        period: (period_kind == PeriodKind::Period).then(|| stated_period.clone()),
        stated_period,
        period_kind,
        scope: scope(&runs),
        sources,
        provenance: Provenance {
            tool_version: version,
            catalogs: first.provenance.catalogs.clone(),
            data_files: union_by(
                runs.iter()
                    .flat_map(|r| r.report.provenance.data_files.iter()),
                |d| (d.path.clone(), d.sha256.clone()),
            ),
            templates: union_by(
                runs.iter()
                    .flat_map(|r| r.report.provenance.templates.iter()),
                |d| (d.path.clone(), d.sha256.clone()),
            ),
        },
        summary,
        inputs,
        controls,
        findings,
        changes,
        evidence,
        exceptions: exceptions(&runs, &id_in),
        attestations: union_by(
            runs.iter().flat_map(|r| r.report.attestations.iter()),
            |a| a.id.clone(),
        ),
        clusters,
        previous: None,
    })
}

/// Refuses runs that cannot make one fleet: fewer than two, a cluster twice, a fleet report
/// among them, different periods or different controls.
fn check_runs(runs: &[ClusterRun]) -> Result<(), FleetError> {
    if runs.len() < 2 {
        return Err(FleetError::TooFew(runs.len()));
    }
    if let Some(r) = runs.iter().find(|r| !r.report.clusters.is_empty()) {
        return Err(FleetError::Nested(r.name.clone()));
    }
    let first = &runs[0];
    let period = |r: &Report| match r.period_kind {
        PeriodKind::Period => r.stated_period.label.clone(),
        PeriodKind::PointInTime => "no period (a point in time)".to_string(),
    };
    let control_ids =
        |r: &Report| -> Vec<String> { r.controls.iter().map(|c| c.id.clone()).collect() };
    for r in &runs[1..] {
        if r.report.period_kind != first.report.period_kind
            || (r.report.period_kind == PeriodKind::Period
                && r.report.stated_period != first.report.stated_period)
        {
            return Err(FleetError::Periods {
                first: first.name.clone(),
                second: r.name.clone(),
                first_period: period(&first.report),
                second_period: period(&r.report),
            });
        }
        let (a, b) = (control_ids(&first.report), control_ids(&r.report));
        if a != b {
            let (first, second, missing) = match a.iter().find(|id| !b.contains(id)) {
                Some(id) => (&first.name, &r.name, id.clone()),
                None => (
                    &r.name,
                    &first.name,
                    b.iter()
                        .find(|id| !a.contains(id))
                        .cloned()
                        .unwrap_or_default(),
                ),
            };
            return Err(FleetError::Controls {
                first: first.clone(),
                second: second.clone(),
                missing,
            });
        }
    }
    let mut names = HashSet::new();
    for r in runs {
        if !names.insert(r.name.as_str()) {
            return Err(FleetError::SameCluster {
                name: r.name.clone(),
                period: period(&r.report),
            });
        }
    }
    Ok(())
}

/// Gives the clusters' own sources that share an id (every cluster's CronJob reads its
/// cluster `in-cluster`; two snapshots read from one path in different places) an id of
/// their own, `<id>@<cluster>`, and their evidence records the ids that follow from it
/// ([`evidence_id`]), everywhere the run's report names them: else two clusters' objects
/// would be one record.
fn set_apart(runs: &mut [ClusterRun]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for r in runs.iter() {
        for s in r.report.sources.iter().filter(|s| is_cluster_source(s)) {
            *count.entry(s.id.clone()).or_default() += 1;
        }
    }
    for r in runs.iter_mut() {
        let sources: HashMap<String, String> = r
            .report
            .sources
            .iter()
            .filter(|s| is_cluster_source(s) && count.get(&s.id).is_some_and(|n| *n > 1))
            .map(|s| (s.id.clone(), format!("{}@{}", s.id, r.name)))
            .collect();
        if sources.is_empty() {
            continue;
        }
        let report = &mut r.report;
        let mut records: HashMap<String, String> = HashMap::new();
        for e in &mut report.evidence {
            if let Some(new) = sources.get(&e.source) {
                let id = evidence_id(new, &e.locator);
                records.insert(std::mem::replace(&mut e.id, id), e.id.clone());
                e.source = new.clone();
            }
        }
        let swap = |id: &mut String, map: &HashMap<String, String>| {
            if let Some(new) = map.get(id.as_str()) {
                *id = new.clone();
            }
        };
        for s in &mut report.sources {
            if sources.contains_key(&s.id) {
                // Shown for the source (the reports' scope line): its cluster, not the
                // `in-cluster` or `snapshot` every such cluster shares.
                s.identity = r.name.clone();
            }
            swap(&mut s.id, &sources);
        }
        for f in &mut report.findings {
            swap(&mut f.subject.source, &sources);
            f.evidence.iter_mut().for_each(|e| swap(e, &records));
        }
        for p in &mut report.inputs.problems {
            swap(&mut p.source, &sources);
        }
        for s in &mut report.scope.sources {
            swap(&mut s.source, &sources);
        }
    }
}

fn is_cluster_source(s: &crate::evidence::record::Source) -> bool {
    matches!(s.kind, SourceKind::Snapshot | SourceKind::Cluster)
}

/// Each control: the worst cluster's verdict and what it rests on, with every cluster's
/// findings, and the sentence saying which clusters gave which verdict first.
fn combine_controls(
    runs: &[ClusterRun],
    names: &[String],
    findings: &[Finding],
    id_in: &dyn Fn(usize, &str) -> String,
) -> Vec<ControlResult> {
    let mut by_check: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in findings {
        by_check.entry(f.check).or_default().push(f);
    }
    runs[0]
        .report
        .controls
        .iter()
        .enumerate()
        .map(|(n, c0)| {
            let per: Vec<&ControlResult> = runs.iter().map(|r| &r.report.controls[n]).collect();
            debug_assert!(per.iter().all(|c| c.id == c0.id));
            let verdict = worst(per.iter().map(|c| c.verdict)).expect("two clusters or more");
            let at = per
                .iter()
                .position(|c| c.verdict == verdict)
                .expect("the worst is one of them");
            let mut fleet = per[at].clone();
            fleet.verdict = verdict;
            fleet.answer = verdict.answer();
            fleet.verdict_clusters = per
                .iter()
                .zip(names)
                .filter(|(c, _)| c.verdict == verdict)
                .map(|(_, n)| n.clone())
                .collect();
            let sentence = verdicts_sentence(&per, names);
            fleet.statement = format!("{sentence} {}: {}", names[at], per[at].statement);
            fleet.narrative = format!("{sentence}\n\n{}: {}", names[at], per[at].narrative);
            let mut ids: Vec<String> = Vec::new();
            let mut seen = HashSet::new();
            let mut exceptions = BTreeSet::new();
            let mut attestations = BTreeSet::new();
            for (i, c) in per.iter().enumerate() {
                for id in &c.findings {
                    let id = id_in(i, id);
                    if seen.insert(id.clone()) {
                        ids.push(id);
                    }
                }
                exceptions.extend(c.exceptions.iter().cloned());
                attestations.extend(c.attestations.iter().cloned());
            }
            fleet.findings = ids;
            fleet.exceptions = exceptions.into_iter().collect();
            fleet.attestations = attestations.into_iter().collect();
            for (k, check) in fleet.checks.iter_mut().enumerate() {
                // The worst cluster's result of this check stands for the fleet, with the
                // counts of every cluster's findings (shared ones once).
                if let Some(worst) = per
                    .iter()
                    .filter_map(|c| c.checks.get(k))
                    .filter(|r| r.id == check.id)
                    .max_by_key(|r| check_rank(r.status))
                {
                    *check = worst.clone();
                }
                let mut counts = StatusCounts::default();
                let mut excepted = 0;
                for f in by_check.get(check.id).map(Vec::as_slice).unwrap_or(&[]) {
                    if check.id == attestation::CHECK_ID
                        && attestation::finding_control(f) != Some(c0.id.as_str())
                    {
                        continue;
                    }
                    counts.add(f.status);
                    excepted += usize::from(f.is_excepted());
                }
                check.counts = counts;
                check.excepted = excepted;
            }
            fleet
        })
        .collect()
}

/// `Across 3 clusters: not satisfied in prod-us; satisfied in prod-eu, stage.`
fn verdicts_sentence(per: &[&ControlResult], names: &[String]) -> String {
    let mut groups: Vec<(Verdict, Vec<&str>)> = Vec::new();
    for (c, name) in per.iter().zip(names) {
        match groups.iter_mut().find(|(v, _)| *v == c.verdict) {
            Some((_, list)) => list.push(name),
            None => groups.push((c.verdict, vec![name])),
        }
    }
    groups.sort_by_key(|(v, _)| std::cmp::Reverse(rank(*v)));
    let parts: Vec<String> = groups
        .iter()
        .map(|(v, list)| format!("{} in {}", v.as_str().replace('_', " "), list.join(", ")))
        .collect();
    format!("Across {} clusters: {}.", per.len(), parts.join("; "))
}

/// Items of every run, each once, in first-seen order.
fn union_by<'a, T: Clone + 'a, K: std::hash::Hash + Eq>(
    items: impl Iterator<Item = &'a T>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|i| seen.insert(key(i))).cloned().collect()
}

/// A value as its JSON: the key of items compared whole.
fn json_key<T: Serialize>(item: &T) -> String {
    serde_json::to_string(item).unwrap_or_default()
}

/// Per kind: the clusters' counts added up when every cluster collected it, else the first
/// status that says it was not (forbidden, not served).
fn coverage(runs: &[ClusterRun]) -> crate::evidence::inventory::Coverage {
    use crate::evidence::inventory::KindStatus;
    let mut kinds: BTreeMap<String, KindStatus> = BTreeMap::new();
    for r in runs {
        for (kind, status) in &r.report.inputs.coverage.kinds {
            match (kinds.get_mut(kind), status) {
                (None, s) => {
                    kinds.insert(kind.clone(), s.clone());
                }
                (Some(KindStatus::Collected { count }), KindStatus::Collected { count: more }) => {
                    *count += more
                }
                (Some(KindStatus::Collected { .. }), s) => {
                    kinds.insert(kind.clone(), s.clone());
                }
                (Some(_), _) => {}
            }
        }
    }
    crate::evidence::inventory::Coverage { kinds }
}

/// The clusters' redaction counts added up, field by field.
fn redaction(runs: &[ClusterRun]) -> crate::evidence::inventory::RedactionStats {
    let mut total = serde_json::Map::new();
    for r in runs {
        if let Ok(serde_json::Value::Object(fields)) =
            serde_json::to_value(&r.report.inputs.redaction)
        {
            for (k, v) in fields {
                let sum =
                    total.get(&k).and_then(|t| t.as_u64()).unwrap_or(0) + v.as_u64().unwrap_or(0);
                total.insert(k, sum.into());
            }
        }
    }
    serde_json::from_value(serde_json::Value::Object(total)).unwrap_or_default()
}

/// The scope: every source and limit once; a subject not assessed alike in every cluster
/// is named with its cluster.
fn scope(runs: &[ClusterRun]) -> Scope {
    let sources = union_by(
        runs.iter().flat_map(|r| r.report.scope.sources.iter()),
        |s| s.source.clone(),
    );
    let limits = union_by(
        runs.iter().flat_map(|r| r.report.scope.limits.iter()),
        |l| l.clone(),
    );
    let everywhere =
        |s: &ScopeSubject| runs.iter().all(|r| r.report.scope.not_assessed.contains(s));
    let mut not_assessed: Vec<ScopeSubject> = Vec::new();
    for r in runs {
        for s in &r.report.scope.not_assessed {
            let s = if everywhere(s) {
                s.clone()
            } else {
                ScopeSubject {
                    subject: format!("{}: {}", r.name, s.subject),
                    ..s.clone()
                }
            };
            if !not_assessed.contains(&s) {
                not_assessed.push(s);
            }
        }
    }
    Scope {
        sources,
        limits,
        not_assessed,
    }
}

/// The accepted risks: applied when any cluster applied one (with every cluster's findings),
/// else expired when any found it expired, else unused.
fn exceptions(
    runs: &[ClusterRun],
    id_in: &dyn Fn(usize, &str) -> String,
) -> crate::assess::exceptions::ExceptionsReport {
    use crate::assess::exceptions::{ExceptionEntry, ExceptionsReport};
    let mut order: Vec<String> = Vec::new();
    // (state: 0 applied, 1 expired, 2 unused; the entry with its findings)
    let mut merged: HashMap<String, (u8, ExceptionEntry)> = HashMap::new();
    for (i, r) in runs.iter().enumerate() {
        let e = &r.report.exceptions;
        for (state, list) in [(0u8, &e.applied), (1, &e.expired), (2, &e.unused)] {
            for entry in list {
                let mut entry = entry.clone();
                entry.findings = entry.findings.iter().map(|id| id_in(i, id)).collect();
                match merged.get_mut(&entry.id) {
                    None => {
                        order.push(entry.id.clone());
                        merged.insert(entry.id.clone(), (state, entry));
                    }
                    Some((s, kept)) => {
                        if state < *s {
                            *s = state;
                            kept.findings.clear();
                        }
                        if state == *s {
                            for id in entry.findings {
                                if !kept.findings.contains(&id) {
                                    kept.findings.push(id);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let mut out = ExceptionsReport::default();
    for id in order {
        let (state, entry) = merged.remove(&id).expect("listed once");
        match state {
            0 => out.applied.push(entry),
            1 => out.expired.push(entry),
            _ => out.unused.push(entry),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::catalog::Catalog;
    use crate::evidence::finding::{Severity, Status, Subject, assign_ids};
    use crate::evidence::inventory::Inventory;
    use crate::evidence::record::Source;
    use crate::report::RunInfo;

    const AT: &str = "2026-09-30T23:59:59Z";

    fn finding(check: &'static str, status: Status, source: &str, name: &str) -> Finding {
        Finding::new(
            check,
            Severity::Medium,
            status,
            Subject {
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: name.into(),
                source: source.into(),
                ..Subject::default()
            },
            format!("{name} is {}", status.as_str()),
        )
    }

    /// A cluster's run: its snapshot `snapshot:<name>` (keyed on `name`) and the shared
    /// repository `repo:gitops`, with `findings` of each (source `own` or `repo`).
    fn run(name: &str, findings: Vec<(&'static str, Status, bool, &str)>) -> ClusterRun {
        let catalog = Catalog::load(true, &[], 1 << 20).unwrap();
        let own = format!("snapshot:{name}");
        let source = |id: &str, kind, identity: &str| Source {
            id: id.into(),
            kind,
            location: id.into(),
            identity: identity.into(),
            details: Default::default(),
        };
        let inventory = Inventory {
            sources: vec![
                source(&own, SourceKind::Snapshot, name),
                source("repo:gitops", SourceKind::Repository, "gitops"),
            ],
            ..Inventory::default()
        };
        let mut findings: Vec<Finding> = findings
            .into_iter()
            .map(|(check, status, mine, subject)| {
                finding(
                    check,
                    status,
                    if mine { &own } else { "repo:gitops" },
                    subject,
                )
            })
            .collect();
        assign_ids(&mut findings, &inventory.sources);
        let controls = crate::assess::assess(&findings, &catalog);
        ClusterRun {
            name: name.into(),
            context: Some(name.into()),
            report_id: None,
            report: Report::build(RunInfo::at(AT), inventory, findings, controls, &catalog),
        }
    }

    #[test]
    fn shared_findings_are_listed_once_and_a_clusters_own_name_it() {
        use Status::*;
        let eu = run(
            "eu",
            vec![
                ("image-tag-not-latest", Pass, true, "web"),
                ("image-tag-not-latest", Fail, false, "api"),
                ("image-pinned-by-digest", Pass, false, "api"),
            ],
        );
        let us = run(
            "us",
            vec![
                ("image-tag-not-latest", Fail, true, "web"),
                ("image-tag-not-latest", Fail, false, "api"),
                // The same repository finding, judged differently with this cluster.
                ("image-pinned-by-digest", Fail, false, "api"),
            ],
        );
        let fleet = combine(vec![eu, us]).unwrap();
        let by = |cluster: Option<&str>, check: &str| -> Vec<&Finding> {
            fleet
                .findings
                .iter()
                .filter(|f| f.cluster.as_deref() == cluster && f.check == check)
                .collect()
        };
        // Alike in both: once, no cluster.
        assert_eq!(by(None, "image-tag-not-latest").len(), 1);
        // Each cluster's own.
        assert_eq!(by(Some("eu"), "image-tag-not-latest")[0].status, Pass);
        assert_eq!(by(Some("us"), "image-tag-not-latest")[0].status, Fail);
        // Given differently: each keeps its cluster, with ids of their own.
        let (a, b) = (
            by(Some("eu"), "image-pinned-by-digest"),
            by(Some("us"), "image-pinned-by-digest"),
        );
        assert_eq!((a.len(), b.len()), (1, 1));
        assert_ne!(a[0].id, b[0].id);
        let ids: HashSet<&str> = fleet.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids.len(), fleet.findings.len());
        // Every id a control lists is a finding of the fleet.
        for c in &fleet.controls {
            for id in &c.findings {
                assert!(ids.contains(id.as_str()), "{}: {id}", c.id);
            }
        }
        assert_eq!(fleet.clusters.len(), 2);
        assert_eq!(fleet.clusters[0].sources, ["snapshot:eu"]);
        // The fleet's verdicts are the worst, naming the clusters.
        for (i, c) in fleet.controls.iter().enumerate() {
            let own: Vec<Verdict> = fleet
                .clusters
                .iter()
                .map(|k| k.controls[i].verdict)
                .collect();
            assert_eq!(Some(c.verdict), worst(own.clone()));
            let naming: Vec<&str> = fleet
                .clusters
                .iter()
                .zip(&own)
                .filter(|(_, v)| **v == c.verdict)
                .map(|(k, _)| k.name.as_str())
                .collect();
            assert_eq!(c.verdict_clusters, naming);
        }
    }

    #[test]
    fn runs_that_are_not_one_fleet_are_refused() {
        let one = || run("eu", vec![]);
        assert_eq!(combine(vec![one()]).unwrap_err(), FleetError::TooFew(1));
        assert!(matches!(
            combine(vec![one(), one()]).unwrap_err(),
            FleetError::SameCluster { name, .. } if name == "eu"
        ));
        let mut other = run("us", vec![]);
        other.report.period_kind = PeriodKind::Period;
        other.report.stated_period.label = "2026-Q3".into();
        assert!(matches!(
            combine(vec![one(), other]).unwrap_err(),
            FleetError::Periods { .. }
        ));
        let mut fewer = run("us", vec![]);
        fewer.report.controls.pop();
        assert!(matches!(
            combine(vec![one(), fewer]).unwrap_err(),
            FleetError::Controls { .. }
        ));
    }

    #[test]
    fn the_worst_verdict_follows_the_rollup_order() {
        use Verdict::*;
        assert_eq!(
            worst([Satisfied, NotSatisfied, NotAssessed]),
            Some(NotSatisfied)
        );
        assert_eq!(
            worst([Satisfied, NotAssessed, PartiallySatisfied]),
            Some(NotAssessed)
        );
        assert_eq!(
            worst([SatisfiedWithExceptions, Satisfied]),
            Some(SatisfiedWithExceptions)
        );
        assert_eq!(worst([]), None);
    }
}
