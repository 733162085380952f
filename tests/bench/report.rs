//! Times a whole `evidencer report` run (json, md and html) on synthetic kubectl snapshots of
//! 15,000 objects and prints medians: wall time and the child's peak RSS, per input shape.
//!
//! ```text
//! cargo bench --bench report                       # every shape, 5 runs each
//! cargo bench --bench report -- --runs 9 --shapes realistic
//! cargo bench --bench report -- --scale 0.2 --keep /tmp/snap --generate-only
//! ```
//!
//! Shapes: `compact` (about 1 KB an object), `realistic` (about 8 KB an object as an API
//! server returns them), both as JSON Lists with one compact item a line; `yaml` (the
//! realistic objects as multi-document YAML streams); and, on request, `yaml-list` (the same
//! as `kubectl get -o yaml` Lists) and `realistic-pretty` (as `kubectl get -o json` indents
//! them, 4 spaces: about 2.5 times the bytes). Targets on a 2-core machine: compact under 1 s
//! and 300 MB; realistic under 3 s and 800 MB; YAML is
//! measured and reported. The snapshots are generated in a temporary directory (or under
//! `--keep DIR`, kept for later runs); one untimed warm-up run precedes the timed runs.

mod measure;
mod synth;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use measure::Run;
use synth::{Encoding, Shape, Size};

const BIN: &str = env!("CARGO_BIN_EXE_evidencer");

struct Case {
    name: &'static str,
    shape: Shape,
    encoding: Encoding,
    /// Wall time and peak RSS targets, when the issue sets them.
    target: Option<(Duration, u64)>,
}

const CASES: [Case; 5] = [
    Case {
        name: "compact",
        shape: Shape::Compact,
        encoding: Encoding::JsonLines,
        target: Some((Duration::from_secs(1), 300 << 20)),
    },
    Case {
        name: "realistic",
        shape: Shape::Realistic,
        encoding: Encoding::JsonLines,
        target: Some((Duration::from_secs(3), 800 << 20)),
    },
    Case {
        name: "yaml",
        shape: Shape::Realistic,
        encoding: Encoding::YamlStream,
        target: None,
    },
    Case {
        name: "realistic-pretty",
        shape: Shape::Realistic,
        encoding: Encoding::JsonPretty,
        target: None,
    },
    Case {
        name: "yaml-list",
        shape: Shape::Realistic,
        encoding: Encoding::YamlList,
        target: None,
    },
];

struct Options {
    runs: usize,
    shapes: Vec<String>,
    scale: f64,
    keep: Option<PathBuf>,
    generate_only: bool,
}

fn options() -> Options {
    let mut o = Options {
        runs: 5,
        shapes: vec!["compact".into(), "realistic".into(), "yaml".into()],
        scale: 1.0,
        keep: None,
        generate_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match arg.as_str() {
            "--runs" => o.runs = value("--runs").parse().expect("--runs N"),
            "--shapes" => o.shapes = value("--shapes").split(',').map(String::from).collect(),
            "--scale" => o.scale = value("--scale").parse().expect("--scale FACTOR"),
            "--keep" => o.keep = Some(PathBuf::from(value("--keep"))),
            "--generate-only" => o.generate_only = true,
            // cargo bench passes --bench; filters and other flags do not apply here.
            _ => {}
        }
    }
    assert!(o.runs > 0, "--runs must be at least 1");
    o
}

fn run_report(snapshot: &Path, out: &Path, cwd: &Path) -> Run {
    let mut cmd = Command::new(BIN);
    // An empty working directory: no evidencer.yaml there changes the run.
    cmd.current_dir(cwd)
        .arg("report")
        .arg("--snapshot")
        .arg(snapshot)
        .args(["--as-of", "2026-09-30", "--format", "json,md,html", "--out"])
        .arg(out);
    for prefix in synth::trusted_registries() {
        cmd.args(["--trusted-registry", &prefix]);
    }
    measure::run(&cmd, false)
}

fn median<T: Copy + Ord>(values: &[T]) -> T {
    let mut v = values.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// Findings by status, from the report the run wrote.
fn findings_summary(out: &Path) -> (u64, String) {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json written");
    let report: serde_json::Value = serde_json::from_str(&text).expect("report.json parses");
    let by_status = &report["summary"]["findings_by_status"];
    let mut total = 0;
    let mut parts = Vec::new();
    if let Some(map) = by_status.as_object() {
        for (status, n) in map {
            let n = n.as_u64().unwrap_or(0);
            total += n;
            parts.push(format!("{status} {n}"));
        }
    }
    (total, parts.join(", "))
}

fn main() {
    measure::serve_if_asked();
    let opts = options();
    let size = Size::scaled(opts.scale);
    let temp = tempfile::tempdir().expect("a temporary directory");
    let root = match &opts.keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).expect("--keep DIR can be created");
            std::fs::canonicalize(dir).expect("--keep DIR resolves")
        }
        None => temp.path().to_path_buf(),
    };
    let cwd = temp.path().join("cwd");
    std::fs::create_dir_all(&cwd).expect("a working directory");
    println!(
        "evidencer report bench: {} objects ({} nodes, {} workloads, {} namespaces), {} timed runs per shape",
        size.objects, size.nodes, size.workloads, size.namespaces, opts.runs
    );
    println!("binary: {BIN}");
    let mut rows = Vec::new();
    for case in CASES
        .iter()
        .filter(|c| opts.shapes.iter().any(|s| s == c.name))
    {
        let dir = root.join(format!("{}-{}", case.name, size.objects));
        let started = Instant::now();
        let written = synth::generate(&dir, size, case.shape, case.encoding)
            .unwrap_or_else(|e| panic!("generating {}: {e}", dir.display()));
        println!(
            "{:10} generated {} objects, {} files, {} in {:.1} s at {}",
            case.name,
            written.objects,
            written.files,
            mb(written.bytes),
            started.elapsed().as_secs_f64(),
            dir.display()
        );
        if opts.generate_only {
            continue;
        }
        let out = temp.path().join(format!("out-{}", case.name));
        run_report(&dir, &out, &cwd); // warm-up: page cache, binary
        let runs: Vec<Run> = (0..opts.runs)
            .map(|_| run_report(&dir, &out, &cwd))
            .collect();
        let walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
        let rss: Vec<u64> = runs.iter().map(|r| r.max_rss).collect();
        let cpu: Vec<Duration> = runs.iter().map(|r| r.cpu).collect();
        let (findings, by_status) = findings_summary(&out);
        let (wall, peak) = (median(&walls), median(&rss));
        let verdict = match case.target {
            Some((t, m)) if wall <= t && peak <= m => {
                format!("target met ({} / {})", secs(t), mb(m))
            }
            Some((t, m)) => format!("TARGET MISSED ({} / {})", secs(t), mb(m)),
            None => "no target: measured".into(),
        };
        println!(
            "{:10} median {}  min {}  max {}  cpu median {}  peak RSS median {} (min {}, max {})  {verdict}",
            case.name,
            secs(wall),
            secs(*walls.iter().min().unwrap()),
            secs(*walls.iter().max().unwrap()),
            secs(median(&cpu)),
            mb(peak),
            mb(*rss.iter().min().unwrap()),
            mb(*rss.iter().max().unwrap()),
        );
        println!("{:10} findings {findings}: {by_status}", "");
        rows.push((
            case.name,
            written,
            findings,
            wall,
            median(&cpu),
            peak,
            verdict,
        ));
    }
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "{:10} {:>10} {:>8} {:>9} {:>9} {:>9} {:>11}  verdict",
        "shape", "input", "objects", "findings", "median", "cpu", "peak RSS"
    );
    for (name, written, findings, wall, cpu, peak, verdict) in rows {
        println!(
            "{name:10} {:>10} {:>8} {findings:>9} {:>9} {:>9} {:>11}  {verdict}",
            mb(written.bytes),
            written.objects,
            secs(wall),
            secs(cpu),
            mb(peak)
        );
    }
    println!(
        "load average at the end: {} (other work on the machine inflates wall time; cpu is user + system time of the run)",
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    );
}
