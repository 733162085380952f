//! Times the Git history collector on synthetic repositories and prints medians next to
//! `git log -p --first-parent --no-renames` over the same paths on the same repository (it
//! reads the same changed blobs the collector must read), with the collector's peak RSS.
//!
//! ```text
//! cargo bench --bench git                              # the large shape, 3 runs each
//! cargo bench --bench git -- --shape gitops --commits 20000 --runs 5
//! cargo bench --bench git -- --shape all --runs 1
//! ```
//!
//! Two shapes (`--shape large|gitops|all`, default `large`):
//! - `large` (issue 14): 10,000 first-parent commits one hour apart, about 5,000 files (Go
//!   sources, 180 application Deployments, a vendored library whose `testdata/` trees hold
//!   600 manifests), a 1 MB multi-document `deploy/install.yaml` (custom resource definitions,
//!   RBAC, 40 controller Deployments) changed every 20 commits (every other release bumps two
//!   controller images, the others change a definition and a ConfigMap only), 400 containers
//!   of which most never change, and a CI workflow changed every 100 commits. Most commits
//!   change a Go file only. Reported: the last quarter (2,160 commits, its unchanged images
//!   traced back to the first commit) and the full history, each next to `git log -p` over
//!   the same commits and paths, and the peak RSS. Targets: a quarter in at most 2 s and at
//!   most 3x `git log -p` for it; the full history at most 1.5x `git log -p`; peak RSS under
//!   400 MB. The repository is generated once into `target/bench-git/` and reused.
//! - `gitops` (issue 3): 40 applications, each a Deployment manifest and a kustomize overlay;
//!   every commit bumps one application's image, every 50th also changes the CI workflow
//!   (`--commits`, default 50,000). Written to a temporary directory each run.
//!
//! Each collector run is a child process (this bench re-executed with `--load`), measured
//! through [`measure`], so its peak RSS is its own. Needs `git` on the PATH (repositories
//! are written with `git fast-import`, and `git log` is the yardstick).

mod measure;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use evidencer::collect::git::{self, GitOptions};
use evidencer::evidence::period;

/// 2020-01-01T00:00:00Z.
const START: i64 = 1_577_836_800;
const HOUR: i64 = 3600;

fn main() {
    measure::serve_if_asked();
    let mut args = std::env::args().skip(1);
    let mut commits = 50_000usize;
    let mut runs = 3usize;
    let mut shape = "large".to_string();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--load" => {
                let rest: Vec<String> = args.collect();
                load_once(&rest);
                return;
            }
            "--commits" => commits = args.next().and_then(|v| v.parse().ok()).unwrap_or(commits),
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            "--shape" => shape = args.next().unwrap_or(shape),
            // cargo bench passes `--bench`.
            _ => {}
        }
    }
    if shape == "large" || shape == "all" {
        large(runs);
    }
    if shape == "gitops" || shape == "all" {
        gitops(commits, runs);
    }
}

/// The child: reads `repo` over `since..until` once and checks the commit count.
fn load_once(args: &[String]) {
    let [repo, since, until, expected] = args else {
        panic!("--load REPO SINCE UNTIL COMMITS");
    };
    let p = period::range(since, until).expect("a period");
    let inv = git::load(Path::new(repo), &options(p)).expect("the repository reads");
    let got = inv.history[0].commits_in_period;
    let expected: usize = expected.parse().expect("a count");
    assert_eq!(got, expected, "commits in the period");
    // Every slot in use at the period end is dated.
    assert!(
        inv.history[0].slots.iter().all(|s| s.introduced.is_some()),
        "an undated slot"
    );
}

/// One command measured: the medians of `runs` runs (after one warm-up run) of wall and
/// CPU time, and the largest peak RSS seen.
struct Measured {
    wall: Duration,
    cpu: Duration,
    rss: u64,
}

fn measured(runs: usize, command: &Command) -> Measured {
    measure::run(command, true); // warm-up: the object database in the page cache
    let all: Vec<measure::Run> = (0..runs.max(1))
        .map(|_| measure::run(command, true))
        .collect();
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    Measured {
        wall: median(all.iter().map(|r| r.wall).collect()),
        cpu: median(all.iter().map(|r| r.cpu).collect()),
        rss: all.iter().map(|r| r.max_rss).max().unwrap_or(0),
    }
}

fn collector(repo: &Path, since: i64, until: i64, commits: usize) -> Command {
    let mut c = Command::new(std::env::current_exe().expect("the bench's own path"));
    let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339();
    c.arg("--load")
        .arg(repo)
        .arg(at(since))
        .arg(at(until))
        .arg(commits.to_string());
    c
}

fn git_log(repo: &Path, since: Option<i64>, until: i64, paths: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.current_dir(repo)
        .args(["log", "-p", "--first-parent", "--no-renames"]);
    if let Some(s) = since {
        c.arg(format!("--since=@{s}"));
    }
    c.arg(format!("--until=@{until}"))
        .arg("HEAD")
        .arg("--")
        .args(paths);
    c
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// The issue 14 shape.
fn large(runs: usize) {
    const COMMITS: usize = 10_000;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-git");
    let repo = dir.join(format!("large-v1-{COMMITS}"));
    if !repo.join("done").exists() {
        let _ = std::fs::remove_dir_all(&repo);
        std::fs::create_dir_all(&dir).expect("target/bench-git");
        let t = std::time::Instant::now();
        Large::generate(&repo, COMMITS);
        std::fs::write(repo.join("done"), "").unwrap();
        println!(
            "generated {COMMITS} commits in {:.1} s ({})",
            t.elapsed().as_secs_f64(),
            repo.display()
        );
    }
    let last = START + (COMMITS as i64 - 1) * HOUR;
    let quarter = 90 * 24;
    let since = last - (quarter as i64 - 1) * HOUR;
    let paths = [
        ":(glob)**/*.yaml",
        ":(glob)**/*.yml",
        ":(glob)**/*.json",
        ".github",
        "Makefile",
        ":(glob)**/Dockerfile",
    ];
    let log_q = measured(runs, &git_log(&repo, Some(since), last, &paths));
    let ev_q = measured(runs, &collector(&repo, since, last, quarter));
    let log_f = measured(runs, &git_log(&repo, None, last, &paths));
    let ev_f = measured(runs, &collector(&repo, START - HOUR, last, COMMITS));
    println!(
        "large: {COMMITS} commits, ~5,000 files, 1 MB install.yaml every 20 commits; medians of {runs} (wall, CPU)"
    );
    let line = |what: &str, log: &Measured, ev: &Measured, target: &str| {
        println!(
            "  {what:<26} git log -p {:>7.3} s (cpu {:>6.3})   evidencer {:>7.3} s (cpu {:>6.3}) = {:.2}x ({target})   peak RSS {:.0} MB",
            log.wall.as_secs_f64(),
            log.cpu.as_secs_f64(),
            ev.wall.as_secs_f64(),
            ev.cpu.as_secs_f64(),
            ev.wall.as_secs_f64() / log.wall.as_secs_f64(),
            mb(ev.rss)
        );
    };
    line(
        &format!("quarter ({quarter} commits):"),
        &log_q,
        &ev_q,
        "target <= 2 s and <= 3x",
    );
    line(
        &format!("full history ({COMMITS}):"),
        &log_f,
        &ev_f,
        "target <= 1.5x",
    );
    println!(
        "  peak RSS {:.0} MB (target < 400 MB)",
        mb(ev_q.rss.max(ev_f.rss))
    );
}

/// The issue 3 shape.
fn gitops(commits: usize, runs: usize) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = tmp.path().join("gitops");
    let t = std::time::Instant::now();
    Gitops::generate(&repo, commits);
    println!(
        "generated {commits} commits in {:.1} s ({})",
        t.elapsed().as_secs_f64(),
        repo.display()
    );
    let last = START + (commits as i64 - 1) * HOUR;
    let paths = ["apps", "overlays", ".github"];
    let log_f = measured(runs, &git_log(&repo, None, last, &paths));
    let full = measured(runs, &collector(&repo, START - HOUR, last, commits));
    // The last 30 days: 720 commits, whatever the length of the history.
    let month = 30 * 24;
    let since = last - (month as i64 - 1) * HOUR;
    let ev_m = measured(runs, &collector(&repo, since, last, month));
    println!("gitops: {commits} commits, 40 applications; medians of {runs}");
    println!(
        "  full history:  git log -p {:>7.3} s   evidencer {:>7.3} s (cpu {:>6.3}) = {:.2}x (target <= 1.5x)   peak RSS {:.0} MB",
        log_f.wall.as_secs_f64(),
        full.wall.as_secs_f64(),
        full.cpu.as_secs_f64(),
        full.wall.as_secs_f64() / log_f.wall.as_secs_f64(),
        mb(full.rss)
    );
    println!(
        "  last 30 days ({month} commits):   evidencer {:>7.3} s (cpu {:>6.3})   peak RSS {:.0} MB",
        ev_m.wall.as_secs_f64(),
        ev_m.cpu.as_secs_f64(),
        mb(ev_m.rss)
    );
}

fn options(period: period::Period) -> GitOptions {
    GitOptions {
        reference: "HEAD".into(),
        period,
        as_of: chrono::DateTime::from_timestamp(4_102_444_800, 0).unwrap(),
        all_parents: false,
        max_blob_bytes: git::DEFAULT_MAX_BLOB_BYTES,
        progress: false,
        scope: Default::default(),
    }
}

/// A `git fast-import` stream into a new repository.
struct Import {
    child: std::process::Child,
    w: std::io::BufWriter<std::process::ChildStdin>,
    dir: PathBuf,
}

impl Import {
    fn new(dir: &Path) -> Import {
        let status = Command::new("git")
            .args(["init", "-q", "-b", "main"])
            .arg(dir)
            .status()
            .expect("git runs");
        assert!(status.success());
        let mut child = Command::new("git")
            .current_dir(dir)
            .args(["fast-import", "--quiet"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("git fast-import runs");
        let w = std::io::BufWriter::new(child.stdin.take().unwrap());
        Import {
            child,
            w,
            dir: dir.to_path_buf(),
        }
    }

    fn commit(&mut self, time: i64, message: &str) {
        writeln!(
            self.w,
            "commit refs/heads/main\ncommitter Dev <dev@example.com> {time} +0000\ndata {}\n{message}",
            message.len()
        )
        .unwrap();
    }

    fn file(&mut self, path: &str, text: &str) {
        writeln!(
            self.w,
            "M 100644 inline {path}\ndata {}\n{text}",
            text.len()
        )
        .unwrap();
    }

    fn finish(mut self) {
        self.w.flush().unwrap();
        drop(self.w);
        assert!(self.child.wait().unwrap().success());
        let status = Command::new("git")
            .current_dir(&self.dir)
            .args(["repack", "-adq"])
            .status()
            .expect("git repack runs");
        assert!(status.success());
    }
}

fn deployment(app: usize, version: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{app}\n  namespace: team{ns}\n\
         spec:\n  replicas: 3\n  selector:\n    matchLabels: {{app: app{app}}}\n  template:\n    \
         metadata:\n      labels: {{app: app{app}}}\n    spec:\n      containers:\n        \
         - name: app\n          image: registry.example.com/app{app}:1.{version}.0\n          \
         ports: [{{containerPort: 8080}}]\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n",
        ns = app % 5
    )
}

fn workflow(n: usize) -> String {
    format!(
        "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      \
         - run: docker build -t registry.example.com/app:{n} .\n      \
         - run: docker push registry.example.com/app:{n}\n      \
         - run: trivy image registry.example.com/app:{n}\n      \
         - run: kubectl apply -k overlays/\n"
    )
}

struct Gitops;

impl Gitops {
    const APPS: usize = 40;

    fn overlay(app: usize, version: usize) -> String {
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
             resources: [../../apps/app{app}.yaml]\nimages:\n  - name: registry.example.com/app{app}\n    \
             newTag: \"2.{version}.0\"\n"
        )
    }

    fn generate(dir: &Path, commits: usize) {
        let mut w = Import::new(dir);
        for i in 0..commits {
            w.commit(START + i as i64 * HOUR, &format!("change {i}"));
            if i == 0 {
                for app in 0..Self::APPS {
                    w.file(&format!("apps/app{app}.yaml"), &deployment(app, 0));
                    w.file(
                        &format!("overlays/app{app}/kustomization.yaml"),
                        &Self::overlay(app, 0),
                    );
                }
                w.file(".github/workflows/ci.yml", &workflow(0));
                w.file("README.md", "# gitops\n");
                continue;
            }
            let app = i % Self::APPS;
            let version = i / Self::APPS;
            // Alternate rounds bump the manifest and the overlay, so that every image slot
            // changes every 80 commits and a 30-day period needs no walk back.
            if version.is_multiple_of(2) {
                w.file(&format!("apps/app{app}.yaml"), &deployment(app, version));
            } else {
                w.file(
                    &format!("overlays/app{app}/kustomization.yaml"),
                    &Self::overlay(app, version),
                );
            }
            if i.is_multiple_of(50) {
                w.file(".github/workflows/ci.yml", &workflow(i));
            }
        }
        w.finish();
    }
}

struct Large;

impl Large {
    const GO_PACKAGES: usize = 140;
    const GO_FILES: usize = 30;
    const APPS: usize = 180;
    const TESTDATA_PACKAGES: usize = 60;
    const TESTDATA_FILES: usize = 10;
    const CRDS: usize = 8;
    const CONTROLLERS: usize = 40;

    fn go(p: usize, f: usize, n: usize) -> String {
        format!(
            "package pkg{p}\n\n// File {f}, revision {n}.\nfunc F{f}(x int) int {{\n\treturn x + {n}\n}}\n"
        )
    }

    /// An application: a Deployment with the application and a sidecar.
    fn app(app: usize, version: usize) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{app}\n  namespace: apps\n\
             spec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: svc{app}}}\n  template:\n    \
             metadata:\n      labels: {{app: svc{app}}}\n    spec:\n      containers:\n        \
             - name: app\n          image: registry.example.com/svc{app}:1.{version}.0\n          \
             ports: [{{containerPort: 8080}}]\n        - name: proxy\n          \
             image: registry.example.com/proxy:2.1.0\n          args: [--port=9090]\n"
        )
    }

    fn testdata(p: usize, f: usize) -> String {
        format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: case{p}-{f}\nspec:\n  \
             updateStrategy: {{type: OnDelete}}\n  template:\n    spec:\n      containers:\n        \
             - name: c\n          image: k8s.gcr.io/pause:3.{f}\n"
        )
    }

    /// A custom resource definition of about 100 KB; `rev` changes one description.
    fn crd(i: usize, rev: usize, out: &mut String) {
        use std::fmt::Write as _;
        write!(
            out,
            "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
             metadata:\n  name: widgets{i}.example.com\nspec:\n  group: example.com\n  \
             names: {{kind: Widget{i}, plural: widgets{i}}}\n  scope: Namespaced\n  versions:\n  \
             - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        \
             description: Widget{i} revision {rev}.\n        type: object\n        properties:\n"
        )
        .unwrap();
        for p in 0..420 {
            write!(
                out,
                "          field{p}:\n            description: Field {p} of the widget; it \
                 configures one aspect of how the controller reconciles it.\n            \
                 type: string\n            default: value-{p}\n"
            )
            .unwrap();
        }
    }

    fn controller(i: usize, version: usize, out: &mut String) {
        use std::fmt::Write as _;
        write!(
            out,
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: controller{i}\n  \
             namespace: system\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n\
             metadata:\n  name: controller{i}\nrules:\n- apiGroups: [example.com]\n  \
             resources: [widgets{i}]\n  verbs: [get, list, watch, update]\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: controller{i}\n  \
             namespace: system\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: controller{i}}}\n  \
             template:\n    metadata:\n      labels: {{app: controller{i}}}\n    spec:\n      \
             serviceAccountName: controller{i}\n      containers:\n      - name: manager\n        \
             image: ghcr.io/example/controller{i}:v0.{version}.0\n        \
             args: [--leader-elect, --metrics-bind-address=:8080]\n        \
             resources: {{requests: {{cpu: 10m, memory: 64Mi}}}}\n"
        )
        .unwrap();
    }

    /// The 1 MB install manifest of release `release`: controllers 0 and 1 move with every
    /// other release, one definition and the ConfigMap change with every release.
    fn install(release: usize) -> String {
        let mut out = String::with_capacity(1 << 20);
        for i in 0..Self::CRDS {
            let rev = if i == release % Self::CRDS {
                release
            } else {
                0
            };
            Self::crd(i, rev, &mut out);
        }
        for i in 0..Self::CONTROLLERS {
            let version = if i < 2 { release / 2 } else { 0 };
            Self::controller(i, version, &mut out);
        }
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: release\n  namespace: system\n\
             data:\n  release: \"{release}\"\n"
        ));
        out
    }

    fn generate(dir: &Path, commits: usize) {
        let mut w = Import::new(dir);
        for i in 0..commits {
            w.commit(START + i as i64 * HOUR, &format!("change {i}"));
            if i == 0 {
                for p in 0..Self::GO_PACKAGES {
                    for f in 0..Self::GO_FILES {
                        w.file(&format!("pkg/pkg{p}/file{f}.go"), &Self::go(p, f, 0));
                    }
                }
                for a in 0..Self::APPS {
                    w.file(&format!("apps/svc{a}/deployment.yaml"), &Self::app(a, 0));
                }
                for p in 0..Self::TESTDATA_PACKAGES {
                    for f in 0..Self::TESTDATA_FILES {
                        w.file(
                            &format!("vendor/github.com/example/lib/pkg{p}/testdata/case{f}.yaml"),
                            &Self::testdata(p, f),
                        );
                    }
                    w.file(
                        &format!("vendor/github.com/example/lib/pkg{p}/lib.go"),
                        &Self::go(p, 0, 0),
                    );
                }
                w.file("deploy/install.yaml", &Self::install(0));
                w.file(".github/workflows/ci.yml", &workflow(0));
                w.file("Makefile", "build:\n\tgo build ./...\n");
                w.file("Dockerfile", "FROM golang:1.22 AS build\nCOPY . .\nRUN go build ./...\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\nUSER 65532\n");
                w.file("README.md", "# large\n");
                continue;
            }
            if i.is_multiple_of(20) {
                w.file("deploy/install.yaml", &Self::install(i / 20));
            } else if i.is_multiple_of(50) {
                // Ten applications move; the other 170 never do.
                let a = (i / 50) % 10;
                w.file(
                    &format!("apps/svc{a}/deployment.yaml"),
                    &Self::app(a, i / 50),
                );
            } else {
                let p = i % Self::GO_PACKAGES;
                let f = (i / Self::GO_PACKAGES) % Self::GO_FILES;
                w.file(&format!("pkg/pkg{p}/file{f}.go"), &Self::go(p, f, i));
            }
            if i.is_multiple_of(100) {
                w.file(".github/workflows/ci.yml", &workflow(i));
            }
        }
        w.finish();
    }
}
