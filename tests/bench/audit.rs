//! Reading API audit logs: about 5 GB of kube-apiserver audit events (some 10 million
//! lines) in rotated files, some gzipped, read by `evidencer::collect::audit::read`, and in
//! the same run `zcat -f FILES | grep -c pods/exec` over the same files as the reference.
//! Prints the medians of the wall time, CPU time and peak RSS of each, and the ratio.
//! Targets (issue 15): under 60 s and 300 MB.
//!
//! ```text
//! cargo bench --bench audit                          # 5 GB, 3 runs of each
//! cargo bench --bench audit -- --size 200M --runs 1  # smaller
//! cargo bench --bench audit -- --keep /work/audit-5g # keep the logs for later runs
//! ```
//!
//! The logs are generated from a fixed seed under Cargo's bench temporary directory (in
//! `target/`), or `--dir DIR`, and deleted at the end unless `--keep DIR` names where they
//! stay (a later run with the same `--keep` and `--size` reuses them). The reader runs in a
//! fresh process (this bench re-executed with `--read-audit`), so its peak is its own.
//! The events: mostly `get`/`list`/`watch` by controllers and kubelets and lease renewals at
//! `Metadata`, some pod creates and patches at `Request` with their bodies, and about one
//! exec in 10,000 lines (logged at `RequestReceived` and `ResponseComplete`), over 90 days.

mod measure;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use measure::Run;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FILES: usize = 10;
/// Every second file is gzipped, as logrotate's `compress` leaves them.
const GZIP_EVERY: usize = 2;
const TARGET_WALL: Duration = Duration::from_secs(60);
const TARGET_RSS: u64 = 300 << 20;

struct Options {
    size: u64,
    runs: usize,
    keep: Option<PathBuf>,
    dir: Option<PathBuf>,
}

fn parse_size(s: &str) -> u64 {
    let (number, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let n: f64 = number.parse().expect("--size: a number, with K, M or G");
    let unit = match unit.to_ascii_uppercase().trim_end_matches('B') {
        "" => 1.0,
        "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        other => panic!("--size: unknown unit {other}"),
    };
    (n * unit) as u64
}

fn options() -> Options {
    let mut o = Options {
        size: 5_000_000_000,
        runs: 3,
        keep: None,
        dir: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match arg.as_str() {
            "--size" => o.size = parse_size(&value("--size")),
            "--runs" => o.runs = value("--runs").parse().expect("--runs N"),
            "--keep" => o.keep = Some(PathBuf::from(value("--keep"))),
            "--dir" => o.dir = Some(PathBuf::from(value("--dir"))),
            // cargo bench passes --bench; filters do not apply here.
            _ => {}
        }
    }
    assert!(o.runs > 0, "--runs must be at least 1");
    o
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn uuid(rng: &mut Rng, out: &mut String) {
    let (a, b) = (rng.next(), rng.next());
    let _ = write!(
        out,
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    );
}

/// `2026-07-01T00:00:00.000000Z` plus `micros`.
fn timestamp(micros: u64, out: &mut String) {
    let secs = micros / 1_000_000;
    let day = secs / 86_400;
    let t = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap() + chrono::Days::new(day);
    let s = secs % 86_400;
    let _ = write!(
        out,
        "{t}T{:02}:{:02}:{:02}.{:06}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        micros % 1_000_000
    );
}

const CONTROLLERS: [&str; 6] = [
    "replicaset-controller",
    "deployment-controller",
    "endpointslice-controller",
    "daemon-set-controller",
    "statefulset-controller",
    "job-controller",
];
const RESOURCES: [(&str, &str); 6] = [
    ("", "pods"),
    ("apps", "replicasets"),
    ("", "configmaps"),
    ("discovery.k8s.io", "endpointslices"),
    ("", "services"),
    ("apps", "deployments"),
];

/// One event line into `out`; returns true when it is an exec line.
fn event_line(rng: &mut Rng, now: u64, out: &mut String) -> bool {
    out.clear();
    let mut id = String::with_capacity(36);
    uuid(rng, &mut id);
    let mut received = String::with_capacity(27);
    timestamp(now, &mut received);
    let mut done = String::with_capacity(27);
    timestamp(now + 1_000 + rng.below(20_000), &mut done);
    let ns = format!("team-{}", rng.below(40));
    let roll = rng.below(10_000);
    let head = |out: &mut String, level: &str, stage: &str, verb: &str, uri: &str| {
        let _ = write!(
            out,
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{level}","auditID":"{id}","stage":"{stage}","requestURI":"{uri}","verb":"{verb}","#
        );
    };
    let tail = |out: &mut String, code: u16, stage_time: &str| {
        let _ = write!(
            out,
            r#""responseStatus":{{"metadata":{{}},"code":{code}}},"requestReceivedTimestamp":"{received}","stageTimestamp":"{stage_time}","annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}}}"#
        );
    };
    match roll {
        // An exec by a person, logged when received and when complete: two lines.
        0 => {
            let pod = format!("web-{}-{}", rng.below(50), rng.below(99_999));
            let uri = format!(
                "/api/v1/namespaces/{ns}/pods/{pod}/exec?command=sh&command=-c&command=ls+-la&container=app&stdin=true&tty=true"
            );
            for (stage, time) in [("RequestReceived", &received), ("ResponseComplete", &done)] {
                head(out, "Metadata", stage, "create", &uri);
                let _ = write!(
                    out,
                    r#""user":{{"username":"dev{}@example.com","groups":["developers","system:authenticated"]}},"sourceIPs":["203.0.113.{}"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/abc","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{pod}","apiVersion":"v1","subresource":"exec"}},"#,
                    rng.below(30),
                    rng.below(250)
                );
                tail(out, 101, time);
                out.push('\n');
            }
            out.pop();
            true
        }
        // A pod created by a controller, logged at Request with its body.
        1..=60 => {
            let pod = format!("api-{}-{}", rng.below(50), rng.below(99_999));
            head(
                out,
                "Request",
                "ResponseComplete",
                "create",
                &format!("/api/v1/namespaces/{ns}/pods"),
            );
            let _ = write!(
                out,
                r#""user":{{"username":"system:serviceaccount:kube-system:replicaset-controller","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]}},"sourceIPs":["10.0.0.12"],"userAgent":"kube-controller-manager/v1.31.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:replicaset-controller","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{pod}","apiVersion":"v1"}},"requestObject":{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"{pod}","namespace":"{ns}","labels":{{"app":"api","pod-template-hash":"7c9d"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"api-7c9d","uid":"{id}","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"containers":[{{"name":"app","image":"registry.example.com/shop/api:1.{}.0","ports":[{{"containerPort":8080,"protocol":"TCP"}}],"resources":{{"limits":{{"cpu":"500m","memory":"256Mi"}}}},"securityContext":{{"runAsNonRoot":true,"readOnlyRootFilesystem":true}}}}],"restartPolicy":"Always","serviceAccountName":"api"}},"status":{{}}}},"#,
                rng.below(20)
            );
            tail(out, 201, &done);
            false
        }
        // A kubelet's status patch.
        61..=1500 => {
            let pod = format!("api-{}-{}", rng.below(50), rng.below(99_999));
            let node = rng.below(300);
            head(
                out,
                "Metadata",
                "ResponseComplete",
                "patch",
                &format!("/api/v1/namespaces/{ns}/pods/{pod}/status"),
            );
            let _ = write!(
                out,
                r#""user":{{"username":"system:node:node-{node}","groups":["system:nodes","system:authenticated"]}},"sourceIPs":["10.1.{}.{}"],"userAgent":"kubelet/v1.31.0 (linux/amd64) kubernetes/abc","objectRef":{{"resource":"pods","namespace":"{ns}","name":"{pod}","apiVersion":"v1","subresource":"status"}},"#,
                node / 250,
                node % 250
            );
            tail(out, 200, &done);
            false
        }
        // Lease renewals: the steady event.
        1501..=4500 => {
            let node = rng.below(300);
            head(
                out,
                "Metadata",
                "ResponseComplete",
                "update",
                &format!(
                    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-{node}?timeout=10s"
                ),
            );
            let _ = write!(
                out,
                r#""user":{{"username":"system:node:node-{node}","groups":["system:nodes","system:authenticated"]}},"sourceIPs":["10.1.{}.{}"],"userAgent":"kubelet/v1.31.0 (linux/amd64) kubernetes/abc","objectRef":{{"resource":"leases","namespace":"kube-node-lease","name":"node-{node}","apiGroup":"coordination.k8s.io","apiVersion":"v1"}},"#,
                node / 250,
                node % 250
            );
            tail(out, 200, &done);
            false
        }
        // Controllers' gets, lists and watches.
        _ => {
            let controller = CONTROLLERS[rng.below(CONTROLLERS.len() as u64) as usize];
            let (group, resource) = RESOURCES[rng.below(RESOURCES.len() as u64) as usize];
            let verb = ["get", "list", "watch"][rng.below(3) as usize];
            let prefix = if group.is_empty() {
                "/api/v1".to_string()
            } else {
                format!("/apis/{group}/v1")
            };
            let name = format!("{resource}-{}", rng.below(1000));
            let uri = match verb {
                "get" => format!("{prefix}/namespaces/{ns}/{resource}/{name}"),
                "list" => format!("{prefix}/{resource}?limit=500&resourceVersion=0"),
                _ => format!(
                    "{prefix}/{resource}?allowWatchBookmarks=true&resourceVersion=123456&timeoutSeconds=371&watch=true"
                ),
            };
            head(out, "Metadata", "ResponseComplete", verb, &uri);
            let _ = write!(
                out,
                r#""user":{{"username":"system:serviceaccount:kube-system:{controller}","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]}},"sourceIPs":["10.0.0.12"],"userAgent":"kube-controller-manager/v1.31.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:{controller}","objectRef":{{"resource":"{resource}","#
            );
            if verb == "get" {
                let _ = write!(out, r#""namespace":"{ns}","name":"{name}","#);
            }
            let _ = write!(out, r#""apiGroup":"{group}","apiVersion":"v1"}},"#);
            tail(out, 200, &done);
            false
        }
    }
}

/// Writes the logs under `dir`: `FILES` rotated files of equal share, the older ones
/// gzipped every `GZIP_EVERY`, over 90 days. Returns the lines and execs written.
fn generate(dir: &Path, size: u64) -> (u64, u64) {
    std::fs::create_dir_all(dir).expect("the bench directory");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let per_file = size / FILES as u64;
    let span: u64 = 90 * 86_400 * 1_000_000;
    // About 500 bytes a line: spread the lines over the 90 days.
    let step = span / (size / 500).max(1);
    let (mut now, mut lines, mut execs) = (0u64, 0u64, 0u64);
    let mut line = String::with_capacity(4096);
    for i in 0..FILES {
        let gz = i % GZIP_EVERY == 0 && i + 1 < FILES;
        let name = if i + 1 == FILES {
            "audit.log".to_string()
        } else {
            let mut t = String::new();
            timestamp(now, &mut t);
            format!(
                "audit-{}.log{}",
                t.replace(':', "-").trim_end_matches('Z'),
                if gz { ".gz" } else { "" }
            )
        };
        let file =
            BufWriter::with_capacity(1 << 20, File::create(dir.join(name)).expect("a log file"));
        let mut out: Box<dyn Write> = if gz {
            Box::new(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(file)
        };
        let mut written = 0u64;
        while written < per_file {
            let exec = event_line(&mut rng, now, &mut line);
            line.push('\n');
            out.write_all(line.as_bytes()).expect("the log is written");
            written += line.len() as u64;
            lines += 1 + u64::from(exec);
            execs += u64::from(exec);
            now += step / 2 + rng.below(step.max(1));
        }
        out.flush().expect("the log is written");
        drop(out);
    }
    (lines, execs)
}

fn median<T: Copy + Ord>(values: &[T]) -> T {
    let mut v = values.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// The reader, run in this process when re-executed with `--read-audit DIR`: reads the
/// logs and prints what it found.
fn read_and_exit() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("--read-audit") {
        return;
    }
    let dir = args.next().expect("a directory");
    let log =
        evidencer::collect::audit::read(&[dir], &evidencer::collect::audit::ReadOptions::default());
    let lines: u64 = log.files.iter().map(|f| f.lines).sum();
    let events: u64 = log.files.iter().map(|f| f.events).sum();
    let problem_lines: u64 = log.files.iter().map(|f| f.problem_lines).sum();
    println!(
        "files {} lines {lines} requests {events} problems {problem_lines} exec {} pod-changes {}",
        log.files.len(),
        log.counts.get("exec").copied().unwrap_or(0),
        log.counts.get("image-change").copied().unwrap_or(0)
            + log.counts.get("pod-change-unknown").copied().unwrap_or(0),
    );
    assert!(log.problems.is_empty(), "{:?}", log.problems);
    std::process::exit(0);
}

fn main() {
    measure::serve_if_asked();
    read_and_exit();
    let o = options();
    let base = o
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    let temp;
    let dir = match &o.keep {
        Some(keep) => keep.clone(),
        None => {
            std::fs::create_dir_all(&base).expect("the bench's temporary directory");
            temp = tempfile::Builder::new()
                .prefix("audit-bench-")
                .tempdir_in(&base)
                .expect("a temporary directory");
            temp.path().to_path_buf()
        }
    };
    let marker = dir.join(".generated");
    let expected = format!("{} {FILES}", o.size);
    let (lines, execs) = match std::fs::read_to_string(&marker) {
        Ok(text) if text.starts_with(&expected) => {
            eprintln!("reusing the logs in {}", dir.display());
            let mut parts = text.split_whitespace().skip(2);
            let mut n = || parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            (n(), n())
        }
        _ => {
            eprintln!(
                "generating {} of audit events in {}",
                mb(o.size),
                dir.display()
            );
            let started = std::time::Instant::now();
            let (lines, execs) = generate(&dir, o.size);
            std::fs::write(&marker, format!("{expected} {lines} {execs}\n")).expect("the marker");
            eprintln!("generated {lines} lines in {}", secs(started.elapsed()));
            (lines, execs)
        }
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the logs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    let on_disk: u64 = files.iter().map(|f| f.metadata().unwrap().len()).sum();
    println!(
        "{} files, {} on disk, {} of events uncompressed, {lines} lines, {execs} execs",
        files.len(),
        mb(on_disk),
        mb(o.size)
    );
    let mut reader = Command::new(std::env::current_exe().expect("the bench's own path"));
    reader.arg("--read-audit").arg(&dir);
    let mut script = String::from("zcat -f --");
    for f in &files {
        script.push_str(&format!(" '{}'", f.display()));
    }
    script.push_str(" | grep -c pods/exec || true");
    let mut grep = Command::new("sh");
    grep.arg("-c").arg(&script);
    let (mut ours, mut theirs): (Vec<Run>, Vec<Run>) = (Vec::new(), Vec::new());
    for run in 0..o.runs {
        // Alternate, so neither always reads after the other warmed the page cache.
        if run % 2 == 0 {
            ours.push(measure::run(&reader, run > 0));
            theirs.push(measure::run(&grep, run > 0));
        } else {
            theirs.push(measure::run(&grep, true));
            ours.push(measure::run(&reader, true));
        }
    }
    let wall = median(&ours.iter().map(|r| r.wall).collect::<Vec<_>>());
    let cpu = median(&ours.iter().map(|r| r.cpu).collect::<Vec<_>>());
    let rss = median(&ours.iter().map(|r| r.max_rss).collect::<Vec<_>>());
    let g_wall = median(&theirs.iter().map(|r| r.wall).collect::<Vec<_>>());
    let g_cpu = median(&theirs.iter().map(|r| r.cpu).collect::<Vec<_>>());
    let g_rss = median(&theirs.iter().map(|r| r.max_rss).collect::<Vec<_>>());
    println!("medians of {} runs:", o.runs);
    println!(
        "  evidencer audit reader       wall {}  cpu {}  peak RSS {}",
        secs(wall),
        secs(cpu),
        mb(rss)
    );
    println!(
        "  zcat -f | grep -c pods/exec  wall {}  cpu {}  peak RSS {}",
        secs(g_wall),
        secs(g_cpu),
        mb(g_rss)
    );
    println!(
        "  ratio (reader / zcat|grep): wall {:.2}, cpu {:.2}",
        wall.as_secs_f64() / g_wall.as_secs_f64(),
        cpu.as_secs_f64() / g_cpu.as_secs_f64()
    );
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "  targets: wall under {} {}; peak RSS under {} {}",
        secs(TARGET_WALL),
        verdict(wall < TARGET_WALL),
        mb(TARGET_RSS),
        verdict(rss < TARGET_RSS)
    );
}
