//! Rendering speed: builds a report of about 10,000 findings and 15,000 evidence records in
//! code (the shape of a 15,000-object cluster with 1,400 containers) and prints the median
//! time of building the view and rendering each format.
//!
//! Run with `cargo bench --bench render`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use evidencer::assess;
use evidencer::assess::catalog::Catalog;
use evidencer::evidence::finding::{Finding, Severity, Status, Subject, assign_ids};
use evidencer::evidence::inventory::Inventory;
use evidencer::evidence::record::{EvidenceKind, EvidenceRecord, Source, SourceKind, evidence_id};
use evidencer::report::templates::Templates;
use evidencer::report::view::ReportView;
use evidencer::report::{Report, RunInfo};

const CONTAINERS: usize = 1_400;
const OBJECTS: usize = 15_000;
const RUNS: usize = 7;

fn synthetic_report() -> Report {
    let source = "snapshot:bench";
    let mut inventory = Inventory::default();
    inventory.sources.push(Source {
        id: source.into(),
        kind: SourceKind::Snapshot,
        location: "bench".into(),
        identity: "snapshot".into(),
        details: BTreeMap::new(),
    });
    for i in 0..OBJECTS {
        let locator = format!("bench/pods.json#0/items/{i}");
        inventory.records.push(EvidenceRecord {
            managers: None,
            id: evidence_id(source, &locator),
            source: source.into(),
            kind: EvidenceKind::Object,
            locator,
            sha256: format!("{i:064x}"),
            collected_at: None,
            time: None,
            describes: format!("Pod ns-{}/pod-{i}", i % 40),
        });
    }
    let checks = [
        ("read-only-root-filesystem", Severity::High),
        ("run-as-non-root", Severity::High),
        ("no-privilege-escalation", Severity::High),
        ("image-tag-not-latest", Severity::Medium),
        ("image-pinned-by-digest", Severity::Medium),
        ("replace-on-update", Severity::High),
        ("image-from-trusted-registry", Severity::High),
    ];
    let statuses = [
        Status::Pass,
        Status::Pass,
        Status::Fail,
        Status::Warn,
        Status::Pass,
    ];
    let mut findings = Vec::new();
    for c in 0..CONTAINERS {
        let evidence = inventory.records[c].id.clone();
        for (k, (check, severity)) in checks.iter().enumerate() {
            let subject = Subject {
                kind: "Deployment".into(),
                namespace: Some(format!("ns-{}", c % 40)),
                name: format!("app-{c}"),
                container: Some("main".into()),
                source: source.into(),
                path: Some("bench/deployments.json".into()),
                line: Some(10 + c as u32 * 40),
                via: None,
            };
            let status = statuses[(c + k) % statuses.len()];
            findings.push(
                Finding::new(
                    check,
                    *severity,
                    status,
                    subject,
                    format!("container main of app-{c}: synthetic finding with a message of ordinary length"),
                )
                .evidence([evidence.clone()]),
            );
        }
    }
    assign_ids(&mut findings, &inventory.sources);
    let catalog = Catalog::load(true, &[], 1 << 20).expect("built-in catalogs load");
    let controls = assess::assess(&findings, &catalog);
    let run = RunInfo {
        generated_at: "2026-09-30T23:59:59Z".into(),
        as_of: "2026-09-30T23:59:59Z".into(),
        period: None,
        data_files: Vec::new(),
        templates: Vec::new(),
    };
    Report::build(run, inventory, findings, controls, &catalog)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// CPU time of this thread, from `/proc/thread-self/schedstat` (Linux): on a machine shared
/// with other builds, wall time mostly measures the neighbours.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Median wall and CPU time of [`RUNS`] runs, and the last result.
fn time<T>(mut f: impl FnMut() -> T) -> (Duration, Option<Duration>, T) {
    let (mut wall, mut cpu) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    let mut last = None;
    for _ in 0..RUNS {
        drop(last.take());
        let (t, c) = (Instant::now(), cpu_time());
        last = Some(f());
        wall.push(t.elapsed());
        if let (Some(c0), Some(c1)) = (c, cpu_time()) {
            cpu.push(c1 - c0);
        }
    }
    let cpu = (cpu.len() == RUNS).then(|| median(cpu));
    (median(wall), cpu, last.expect("ran"))
}

fn line(name: &str, (wall, cpu): (Duration, Option<Duration>), bytes: Option<usize>) {
    let cpu = cpu.map_or("n/a".to_string(), |c| {
        format!("{:.1} ms", c.as_secs_f64() * 1e3)
    });
    let size = bytes.map_or(String::new(), |b| format!("  ({} KB)", b / 1024));
    println!(
        "{name:<12} wall {:>7.1} ms  cpu {cpu:>9}{size}",
        wall.as_secs_f64() * 1e3
    );
}

fn main() {
    let report = synthetic_report();
    let templates = Templates::load(None, 1 << 20).expect("built-in templates load");
    println!(
        "report: {} findings, {} evidence records, {} controls; median of {RUNS} runs",
        report.findings.len(),
        report.evidence.len(),
        report.controls.len()
    );
    let (w, c, view) = time(|| ReportView::new(&report));
    line("view build", (w, c), None);
    let (w, c, context) = time(|| Templates::context(&view).expect("the view converts"));
    line("context", (w, c), None);
    let (w, c, md) = time(|| {
        templates
            .render_context("report.md", &context)
            .expect("md renders")
    });
    line("report.md", (w, c), Some(md.len()));
    let (w, c, html) = time(|| {
        templates
            .render_context("report.html", &context)
            .expect("html renders")
    });
    line("report.html", (w, c), Some(html.len()));
    let (w, c, json) = time(|| report.to_json());
    line("report.json", (w, c), Some(json.len()));
}
