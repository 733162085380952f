//! Times the Git history collector on a synthetic GitOps repository and prints medians next
//! to `git log -p --first-parent --no-renames` over the same paths on the same repository
//! (it reads the same changed blobs the collector must read).
//!
//! ```text
//! cargo bench --bench git                        # 50,000 commits, 3 runs each
//! cargo bench --bench git -- --commits 20000 --runs 5
//! ```
//!
//! Needs `git` on the PATH (the repository is written with `git fast-import`, and `git log`
//! is the yardstick). The repository has 40 applications, each a Deployment manifest and a
//! kustomize overlay; every commit, one hour after the previous, bumps one application's
//! image (in the manifest or in the overlay's `images:`, alternating by round), and every 50th
//! also changes the CI workflow. Targets (issue 3): a full-history run no slower than 1.5x `git log -p`, and a
//! period run whose cost follows the commits in the period, not the length of the history.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use evidencer::collect::git::{self, GitOptions};
use evidencer::evidence::period;

const APPS: usize = 40;
/// 2020-01-01T00:00:00Z.
const START: i64 = 1_577_836_800;

fn main() {
    let mut commits = 50_000usize;
    let mut runs = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--commits" => commits = args.next().and_then(|v| v.parse().ok()).unwrap_or(commits),
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            _ => {}
        }
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = tmp.path().join("gitops");
    let t = Instant::now();
    generate(&repo, commits);
    println!(
        "generated {commits} commits in {:.1} s ({})",
        t.elapsed().as_secs_f64(),
        repo.display()
    );

    let last = START + (commits as i64 - 1) * 3600;
    let git_log = median(runs, || {
        let out = Command::new("git")
            .current_dir(&repo)
            .args([
                "log",
                "-p",
                "--first-parent",
                "--no-renames",
                "HEAD",
                "--",
                "apps",
                "overlays",
                ".github",
            ])
            .stdout(Stdio::null())
            .status()
            .expect("git runs");
        assert!(out.success());
    });
    let full = median(runs, || {
        let p = period::range("2019-01-01", "2099-12-31").unwrap();
        let inv = git::load(&repo, &options(p)).expect("the repository reads");
        assert!(inv.history[0].commits_in_period == commits);
    });
    // The last 30 days: 720 commits, whatever the length of the history.
    let since = chrono::DateTime::from_timestamp(last - 30 * 86_400, 0).unwrap();
    let until = chrono::DateTime::from_timestamp(last, 0).unwrap();
    let month = median(runs, || {
        let p = period::range(&since.to_rfc3339(), &until.to_rfc3339()).unwrap();
        let inv = git::load(&repo, &options(p)).expect("the repository reads");
        assert!(inv.history[0].commits_in_period <= 721);
    });
    println!(
        "git log -p --first-parent --no-renames    median {:>8.3} s",
        git_log.as_secs_f64()
    );
    println!(
        "evidencer full history ({commits} commits)   median {:>8.3} s  = {:.2}x git log (target <= 1.5x)",
        full.as_secs_f64(),
        full.as_secs_f64() / git_log.as_secs_f64()
    );
    println!(
        "evidencer last 30 days (720 commits)       median {:>8.3} s",
        month.as_secs_f64()
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

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm-up: the object database in the page cache
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
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

fn overlay(app: usize, version: usize) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
         resources: [../../apps/app{app}.yaml]\nimages:\n  - name: registry.example.com/app{app}\n    \
         newTag: \"2.{version}.0\"\n"
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

/// Writes the repository with one `git fast-import` stream.
fn generate(dir: &Path, commits: usize) {
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
    let mut w = std::io::BufWriter::new(child.stdin.take().unwrap());
    let data = |w: &mut dyn Write, path: &str, text: &str| {
        writeln!(w, "M 100644 inline {path}\ndata {}\n{text}", text.len()).unwrap();
    };
    for i in 0..commits {
        let time = START + i as i64 * 3600;
        let message = format!("change {i}");
        writeln!(
            w,
            "commit refs/heads/main\ncommitter Dev <dev@example.com> {time} +0000\ndata {}\n{message}",
            message.len()
        )
        .unwrap();
        if i == 0 {
            for app in 0..APPS {
                data(&mut w, &format!("apps/app{app}.yaml"), &deployment(app, 0));
                data(
                    &mut w,
                    &format!("overlays/app{app}/kustomization.yaml"),
                    &overlay(app, 0),
                );
            }
            data(&mut w, ".github/workflows/ci.yml", &workflow(0));
            data(&mut w, "README.md", "# gitops\n");
            continue;
        }
        let app = i % APPS;
        let version = i / APPS;
        // Alternate rounds bump the manifest and the overlay, so that every image slot
        // changes every 80 commits and a 30-day period needs no walk back.
        if version.is_multiple_of(2) {
            data(
                &mut w,
                &format!("apps/app{app}.yaml"),
                &deployment(app, version),
            );
        } else {
            data(
                &mut w,
                &format!("overlays/app{app}/kustomization.yaml"),
                &overlay(app, version),
            );
        }
        if i.is_multiple_of(50) {
            data(&mut w, ".github/workflows/ci.yml", &workflow(i));
        }
    }
    w.flush().unwrap();
    drop(w);
    assert!(child.wait().unwrap().success());
    let status = Command::new("git")
        .current_dir(dir)
        .args(["repack", "-adq"])
        .status()
        .expect("git repack runs");
    assert!(status.success());
}
