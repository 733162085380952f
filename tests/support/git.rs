//! Git repositories for the history tests: built with git2 in a temporary directory, every
//! commit at a given time, and the report the real binary writes from them.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use git2::{Oid, Repository, Signature, Time};
use serde_json::Value;

/// Seconds since the epoch of an RFC 3339 UTC time.
pub fn secs(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp()
}

/// A repository under construction: files in the working tree, commits at given times.
pub struct Repo {
    pub repo: Repository,
}

impl Repo {
    pub fn init(dir: &Path) -> Repo {
        Repo {
            repo: Repository::init(dir).unwrap(),
        }
    }

    pub fn root(&self) -> &Path {
        self.repo.workdir().unwrap()
    }

    pub fn write(&self, path: &str, text: &str) -> &Self {
        let p = self.root().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
        self
    }

    /// Commits every file of the working tree on HEAD, with extra parents for a merge.
    pub fn commit(&self, time: &str, author: &str, message: &str, extra_parents: &[Oid]) -> Oid {
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"].iter(), None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::new(author, "dev@example.com", &Time::new(secs(time), 0)).unwrap();
        let mut parents = Vec::new();
        if let Ok(head) = self.repo.head() {
            parents.push(head.peel_to_commit().unwrap());
        }
        for p in extra_parents {
            parents.push(self.repo.find_commit(*p).unwrap());
        }
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &refs)
            .unwrap()
    }
}

/// A Deployment `shop/api` with one container `api` running `image`.
pub fn deployment(image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\n\
         spec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: api}}\n  template:\n    \
         metadata:\n      labels: {{app: api}}\n    spec:\n      containers:\n        - name: api\n          \
         image: {image}\n"
    )
}

/// A GitHub Actions workflow that builds, pushes, scans and deploys by `kubectl apply`.
pub const WORKFLOW: &str = "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      \
    - run: docker build -t ghcr.io/acme/api:${GITHUB_SHA} .\n      \
    - run: docker push ghcr.io/acme/api:${GITHUB_SHA}\n      \
    - run: trivy image --exit-code 1 ghcr.io/acme/api:${GITHUB_SHA}\n      \
    - run: kubectl apply -f apps/\n";

/// A `report` run at `--as-of 2026-10-15` writing JSON and Markdown into `out`: the report
/// and the standard error.
pub fn run(args: &[&str], out: &Path) -> (Value, String) {
    run_within(args, out, Duration::from_secs(600))
}

/// [`run`], killed and failed when it takes longer than `limit`: a hang fails the test
/// instead of holding up CI.
pub fn run_within(args: &[&str], out: &Path, limit: Duration) -> (Value, String) {
    let started = Instant::now();
    let output = Command::cargo_bin("evidencer")
        .unwrap()
        .arg("report")
        .args(args)
        .args(["--as-of", "2026-10-15", "--format", "json,md", "--out"])
        .arg(out)
        .timeout(limit)
        .output()
        .unwrap_or_else(|e| panic!("evidencer did not finish within {limit:?}: {e}"));
    assert!(
        started.elapsed() < limit,
        "evidencer was killed after {:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "evidencer failed: {stderr}");
    let json = fs::read_to_string(out.join("report.json")).unwrap();
    (serde_json::from_str(&json).unwrap(), stderr)
}

/// The timeline: `(time, commit, author, subject, old_image, new_image)` per change.
pub fn changes(report: &Value) -> Vec<(String, String, String, String, Value, Value)> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["time"].as_str().unwrap().to_string(),
                c["commit"].as_str().unwrap().to_string(),
                c["author"].as_str().unwrap().to_string(),
                c["subject"].as_str().unwrap().to_string(),
                c["old_image"].clone(),
                c["new_image"].clone(),
            )
        })
        .collect()
}

/// The findings of one check.
pub fn findings<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// The input problems as `level location: message` lines.
pub fn problems(report: &Value) -> Vec<String> {
    report["inputs"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {}: {}", p["level"], p["location"], p["message"]))
        .collect()
}
