//! Bad input, end to end: the real binary on broken, hostile and odd files.
//!
//! Every case puts a good Deployment beside the bad input and checks that the run still
//! exits 0 (input problems are recorded, not fatal), that the problem is named in the
//! report's `inputs.problems` (with `file:line` where there is a line) and on stderr, and that
//! the good Deployment still gets its findings. The unreadable-file case needs `setpriv`
//! (util-linux) when the tests run as root, and is skipped with a message without it (a
//! failure under CI).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

const GOOD: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: good, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.2
        securityContext: {readOnlyRootFilesystem: true}
";

/// A snapshot directory with the good Deployment in `good.yaml`.
fn snapshot() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("snap")).unwrap();
    fs::write(dir.path().join("snap/good.yaml"), GOOD).unwrap();
    dir
}

fn snap(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("snap")
}

struct Run {
    stderr: String,
    report: Value,
}

impl Run {
    fn problems(&self) -> &Vec<Value> {
        self.report["inputs"]["problems"].as_array().unwrap()
    }

    /// The problem whose location ends with `at`, or a panic listing them all.
    fn problem(&self, at: &str) -> &Value {
        self.problems()
            .iter()
            .find(|p| p["location"].as_str().unwrap().ends_with(at))
            .unwrap_or_else(|| panic!("no problem at {at}: {:#?}", self.problems()))
    }

    /// Asserts a problem of `level` at `at` whose message contains `says`.
    fn expect(&self, at: &str, level: &str, says: &str) {
        let p = self.problem(at);
        assert_eq!(p["level"], level, "{p}");
        assert!(p["message"].as_str().unwrap().contains(says), "{p}");
    }

    /// Asserts stderr shows `line`, as a scheduled run's log would.
    fn logged(&self, line: &str) {
        assert!(self.stderr.contains(line), "{line} not in {}", self.stderr);
    }

    fn findings_for(&self, name: &str) -> Vec<(String, String, String)> {
        self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["subject"]["name"] == name)
            .map(|f| {
                (
                    f["check"].as_str().unwrap().to_string(),
                    f["status"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// The good Deployment was assessed: it passes read-only-root-filesystem.
    fn assert_good_assessed(&self) {
        let good = self.findings_for("good");
        assert!(
            good.iter()
                .any(|(c, s, _)| c == "read-only-root-filesystem" && s == "pass"),
            "good Deployment not assessed: {good:#?}\nproblems: {:#?}",
            self.problems()
        );
    }
}

/// Runs `report` on the paths and returns stderr and report.json; the run must exit 0.
fn run(out: &Path, snapshots: &[&Path], extra: &[&str]) -> Run {
    let mut cmd = Command::cargo_bin("evidencer").unwrap();
    cmd.args(["report", "--as-of", "2026-09-30", "--format", "json"])
        .arg("--out")
        .arg(out)
        .args(extra);
    for s in snapshots {
        cmd.arg("--snapshot").arg(s);
    }
    let output = cmd.timeout(Duration::from_secs(300)).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    Run { stderr, report }
}

fn run_snap(dir: &tempfile::TempDir) -> Run {
    run(&dir.path().join("out"), &[&snap(dir)], &[])
}

/// [`run_snap`], with the binary's peak resident memory in KiB: its own (see
/// [`crate::support::peak`]).
fn run_measured(dir: &tempfile::TempDir) -> (Run, i64) {
    let out = dir.path().join("out");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_evidencer"));
    cmd.args([
        "report",
        "--as-of",
        "2026-09-30",
        "--format",
        "json",
        "--out",
    ])
    .arg(&out)
    .arg("--snapshot")
    .arg(snap(dir));
    let ran = crate::support::peak::run(&cmd, Duration::from_secs(300));
    let stderr = String::from_utf8_lossy(&ran.stderr).into_owned();
    assert!(!ran.hung, "no exit within 300 s: {stderr}");
    assert_eq!(ran.code, Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    (Run { stderr, report }, ran.max_rss_kib)
}

#[test]
fn one_invalid_yaml_document_among_good_ones() {
    let dir = snapshot();
    let text = format!(
        "{GOOD}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: broken\nspec: {{}}\n---\n{}",
        GOOD.replace("name: good", "name: also-good")
    );
    fs::write(snap(&dir).join("mixed.yaml"), text).unwrap();
    let run = run_snap(&dir);
    run.expect("mixed.yaml:15", "error", "invalid YAML in document 1");
    run.logged("mixed.yaml:15: invalid YAML");
    run.assert_good_assessed();
    assert!(!run.findings_for("also-good").is_empty());
}

#[test]
fn yaml_bombs_are_refused_quickly() {
    let dir = snapshot();
    // A billion laughs: 10^9 nodes once aliases are expanded.
    let mut laughs = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n");
    laughs.push_str("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    fs::write(snap(&dir).join("laughs.yaml"), laughs).unwrap();
    // Deep nesting, as flow, as block and as JSON.
    let depth = 100_000;
    fs::write(snap(&dir).join("flow.yaml"), "[".repeat(depth)).unwrap();
    let block: String = (0..2_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    fs::write(snap(&dir).join("block.yaml"), block).unwrap();
    let json = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    fs::write(snap(&dir).join("deep.json"), json).unwrap();

    let started = Instant::now();
    let run = run_snap(&dir);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    for (at, says) in [
        ("laughs.yaml:8", "alias bomb"),
        ("flow.yaml:1", "recursion limit exceeded"),
        ("block.yaml:257", "nested deeper than 256 levels"),
        ("deep.json:1", "recursion limit exceeded"),
    ] {
        run.expect(at, "error", says);
    }
    assert_eq!(run.problems().len(), 4, "{:#?}", run.problems());
    run.assert_good_assessed();
}

/// About 8 KB per Pod, as an API server returns them (managedFields, status, annotations).
fn pod_json(i: usize, padding: &str) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p{i}","namespace":"load","uid":"u{i}",
"annotations":{{"kubectl.kubernetes.io/last-applied-configuration":"{padding}"}},
"managedFields":[{{"manager":"kubelet","operation":"Update","fieldsV1":{{"f:status":{{"f:phase":{{}}}}}}}}]}},
"spec":{{"containers":[{{"name":"c","image":"registry.example.com/load:1.{i}",
"securityContext":{{"readOnlyRootFilesystem":true}}}}]}},
"status":{{"phase":"Running","podIP":"10.0.0.1"}}}}"#
    )
}

/// A big `kubectl get pods -o json` dump is real evidence (a cluster of thousands of pods
/// writes tens of MB), so it is read whole, not skipped; the size limit (`--max-file-size`,
/// 1 GiB by default) is for files no cluster writes. Below that limit nothing on the read
/// path depends on a file's size, so 16 MiB (over 2,000 pods, thousands of times the 8 KiB
/// first read) proves what 100 MB did in a fraction of the time.
///
/// Binary junk is refused from its first 8 KiB: a junk file just under the default limit
/// (sparse, so it costs no disk) is refused while the run's peak memory stays far below the
/// file's size, which reading it whole would exceed.
#[test]
fn a_big_kubectl_dump_is_read_and_junk_under_the_limit_refused_from_its_start() {
    const SIZE: usize = 16 << 20;
    const JUNK: u64 = 1000 << 20;
    let dir = snapshot();
    let padding = "x".repeat(7_500);
    let mut text = String::with_capacity(SIZE + 10_000);
    text.push_str("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n");
    let mut pods = 0;
    while text.len() < SIZE {
        if pods > 0 {
            text.push_str(",\n");
        }
        text.push_str(&pod_json(pods, &padding));
        pods += 1;
    }
    text.push_str("]}\n");
    fs::write(snap(&dir).join("pods.json"), &text).unwrap();
    drop(text);
    let mut junk = vec![0u8; 64 << 10];
    for (i, b) in junk.iter_mut().enumerate() {
        *b = (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1;
    }
    junk[100] = 0;
    let file = fs::File::create(snap(&dir).join("junk.yaml")).unwrap();
    (&file).write_all(&junk).unwrap();
    file.set_len(JUNK).unwrap();
    drop(file);

    let (run, peak_kib) = run_measured(&dir);
    assert!(
        peak_kib < 400 << 10,
        "peak {} MiB: the junk was read whole",
        peak_kib >> 10
    );
    assert_eq!(
        run.report["inputs"]["coverage"]["Pod"]["count"],
        pods,
        "{:#?}",
        run.problems()
    );
    run.expect("junk.yaml", "error", "binary data");
    assert_eq!(run.problems().len(), 1, "{:#?}", run.problems());
    run.assert_good_assessed();
}

#[test]
fn files_over_the_size_limit_are_skipped_with_a_message() {
    let dir = snapshot();
    fs::write(snap(&dir).join("big.yaml"), GOOD.repeat(50)).unwrap();
    let run = run(
        &dir.path().join("out"),
        &[&snap(&dir)],
        &["--max-file-size", "2000"],
    );
    run.expect("big.yaml", "error", "over the 2000-byte limit");
    run.assert_good_assessed();
}

#[test]
fn binary_junk_and_non_utf8_text() {
    let dir = snapshot();
    fs::write(
        snap(&dir).join("image.json"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .unwrap();
    let mut latin1 = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf".to_vec();
    latin1.extend_from_slice(b"\xe9\n  namespace: x\n");
    fs::write(snap(&dir).join("latin1.yaml"), latin1).unwrap();
    let run = run_snap(&dir);
    run.expect(
        "image.json",
        "error",
        "binary data (a NUL byte at offset 8)",
    );
    // Read as kubectl reads it, the bad byte as U+FFFD, and said so with the line.
    run.expect("latin1.yaml:4", "warning", "not valid UTF-8");
    run.logged("latin1.yaml:4: not valid UTF-8");
    run.assert_good_assessed();
}

#[test]
fn missing_and_wrong_typed_fields_are_error_findings_naming_the_field() {
    let dir = snapshot();
    let objects = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: no-spec, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: no-image, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: web
        securityContext: {readOnlyRootFilesystem: true}
---
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: wrong-containers, namespace: shop}
spec:
  template:
    spec:
      containers: nginx
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: wrong-flag, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext: {readOnlyRootFilesystem: maybe}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: wrong-labels
  labels: [a, b]
";
    fs::write(snap(&dir).join("odd.yaml"), objects).unwrap();
    let run = run_snap(&dir);

    let field_errors = |name: &str| -> Vec<String> {
        run.findings_for(name)
            .into_iter()
            .filter(|(c, _, _)| c == "read-only-root-filesystem" || c == "image-tag-not-latest")
            .map(|(c, s, m)| format!("{c} {s}: {m}"))
            .collect()
    };
    let expect = |name: &str, field: &str| {
        let got = field_errors(name);
        assert_eq!(got.len(), 2, "{name}: {got:#?}");
        for f in &got {
            assert!(
                f.contains(" error: ") && f.contains(&format!("field `{field}`")),
                "{f}"
            );
        }
    };
    expect("no-spec", "spec");
    expect("", "metadata");
    expect("wrong-containers", "spec.template.spec.containers");
    expect(
        "wrong-flag",
        "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
    );
    // A container without an image: the image checks say which field is missing; the
    // others still judge what is there.
    let no_image = run.findings_for("no-image");
    assert!(
        no_image.iter().any(|(c, s, m)| c == "image-tag-not-latest"
            && s == "error"
            && m.contains("field `spec.template.spec.containers[0].image` is missing")),
        "{no_image:#?}"
    );
    assert!(
        no_image
            .iter()
            .any(|(c, s, _)| c == "read-only-root-filesystem" && s == "pass")
    );
    // Metadata of the wrong shape makes the object unreadable: a problem with its line.
    run.expect("odd.yaml:41", "error", "metadata.labels");
    run.assert_good_assessed();
}

#[test]
fn dangling_symlinks_and_directories_named_like_files() {
    let dir = snapshot();
    std::os::unix::fs::symlink(dir.path().join("gone.yaml"), snap(&dir).join("link.yaml")).unwrap();
    fs::create_dir(snap(&dir).join("pods.yaml")).unwrap();
    fs::create_dir(snap(&dir).join("more.yaml")).unwrap();
    fs::write(
        snap(&dir).join("more.yaml/pod.yaml"),
        GOOD.replace("name: good", "name: inner"),
    )
    .unwrap();
    let run = run_snap(&dir);
    run.expect("link.yaml", "error", "dangling symbolic link");
    run.expect("pods.yaml", "warning", "is a directory, not a file");
    assert!(!run.findings_for("inner").is_empty());
    assert_eq!(run.problems().len(), 2, "{:#?}", run.problems());
    run.assert_good_assessed();
}

#[test]
fn a_missing_top_level_path_stops_the_run() {
    let dir = snapshot();
    let typo = dir.path().join("snapp");
    let link = dir.path().join("latest");
    std::os::unix::fs::symlink(dir.path().join("deleted"), &link).unwrap();
    for (path, says) in [
        (&typo, "no such file or directory"),
        (&link, "a symbolic link to nothing"),
    ] {
        let out = dir.path().join("out");
        Command::cargo_bin("evidencer")
            .unwrap()
            .args(["report", "--format", "json", "--snapshot"])
            .arg(snap(&dir))
            .arg("--snapshot")
            .arg(path)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!(
                "--snapshot {}: {says}",
                path.display()
            )));
        assert!(!out.join("report.json").exists());
    }
}

/// The uid tests run under: the owner of a file just created.
fn euid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().metadata().unwrap().uid()
}

#[test]
fn an_unreadable_file_is_a_problem_and_the_rest_is_assessed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = snapshot();
    let secret = snap(&dir).join("secret.yaml");
    fs::write(&secret, GOOD.replace("name: good", "name: hidden")).unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let out = dir.path().join("out");
    let root = euid() == 0;
    if !root {
        let run = run(&out, &[&snap(&dir)], &[]);
        check_unreadable(&run);
        return;
    }
    // Root reads anything: run the binary as `nobody`, which cannot read the file.
    if !crate::support::need::tool("setpriv", &["--version"], "util-linux") {
        return;
    }
    // `nobody` must reach the binary, the snapshot and the output directory.
    let bin = dir.path().join("evidencer");
    fs::copy(assert_cmd::cargo::cargo_bin("evidencer"), &bin).unwrap();
    for (path, mode) in [(dir.path(), 0o755), (&bin, 0o755), (&snap(&dir), 0o755)] {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }
    fs::create_dir(&out).unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).unwrap();
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args([
            "report",
            "--as-of",
            "2026-09-30",
            "--format",
            "json",
            "--snapshot",
        ])
        .arg(snap(&dir))
        .arg("--out")
        .arg(&out)
        .env_remove("EVIDENCER_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report = serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    check_unreadable(&Run { stderr, report });
}

fn check_unreadable(run: &Run) {
    run.expect("secret.yaml", "error", "Permission denied");
    run.logged("secret.yaml: cannot read");
    assert!(run.findings_for("hidden").is_empty());
    run.assert_good_assessed();
}

const VERSION: &str = r#"{
  "clientVersion": {"major": "1", "minor": "31", "gitVersion": "v1.31.0", "platform": "linux/amd64"},
  "kustomizeVersion": "v5.4.2",
  "serverVersion": {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.2-eks-1552ad0",
    "gitCommit": "7e4ae2e0d7c8a1d2b4c0ab0e6dc6ea7c5c06b5ed",
    "buildDate": "2024-06-11T16:04:23Z",
    "platform": "linux/amd64"
  }
}
"#;

#[test]
fn version_json_gives_the_server_version() {
    let dir = snapshot();
    fs::write(snap(&dir).join("version.json"), VERSION).unwrap();
    let run = run_snap(&dir);
    let v = &run.report["inputs"]["server_version"];
    assert_eq!(v["gitVersion"], "v1.30.2-eks-1552ad0");
    assert_eq!(
        (v["major"].as_str(), v["minor"].as_str()),
        (Some("1"), Some("30"))
    );
    assert!(run.problems().is_empty(), "{:#?}", run.problems());
    run.assert_good_assessed();
}

#[test]
fn version_json_without_a_server_or_broken_is_a_problem() {
    for (text, at, level, says) in [
        (
            r#"{"clientVersion": {"gitVersion": "v1.31.0"}}"#,
            "version.json",
            "warning",
            "no serverVersion",
        ),
        (
            "{\"serverVersion\": {\n  \"gitVersion\": v1.30\n}}",
            "version.json:2",
            "error",
            "not valid",
        ),
    ] {
        let dir = snapshot();
        fs::write(snap(&dir).join("version.json"), text).unwrap();
        let run = run_snap(&dir);
        assert!(run.report["inputs"]["server_version"].is_null());
        run.expect(at, level, says);
        run.assert_good_assessed();
    }
    let dir = snapshot();
    fs::create_dir(snap(&dir).join("version.json")).unwrap();
    let run = run_snap(&dir);
    run.expect("version.json", "error", "cannot read");
    run.assert_good_assessed();
}

/// Two overlays of one base: two subjects, each named with its overlay, with ids that do
/// not depend on where the repository is checked out.
#[test]
fn kustomize_overlays_are_distinct_subjects_with_stable_ids() {
    let write = |root: &Path| {
        for (path, text) in [
            (
                "base/deploy.yaml",
                GOOD.replace("namespace: shop", "namespace: base"),
            ),
            (
                "base/kustomization.yaml",
                "resources: [deploy.yaml]\n".into(),
            ),
            (
                "overlays/prod/kustomization.yaml",
                "resources: [../../base]\nnamespace: prod\nimages:\n\
                 - name: registry.example.com/web\n  newTag: 1.10\n"
                    .into(),
            ),
            (
                "overlays/stage/kustomization.yaml",
                "resources: [../../base]\nnamespace: stage\npatches:\n- path: p.yaml\n".into(),
            ),
            ("overlays/stage/p.yaml", "kind: Deployment\n".into()),
        ] {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    };
    let ids = |run: &Run| -> Vec<(String, String, String)> {
        let mut v: Vec<_> = run.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["check"] == "image-tag-not-latest")
            .map(|f| {
                (
                    f["subject"]["namespace"].as_str().unwrap().to_string(),
                    f["id"].as_str().unwrap().to_string(),
                    f["details"]["image"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let dir = tempfile::tempdir().unwrap();
    let (q3, q4) = (dir.path().join("q3"), dir.path().join("q4/checkout"));
    write(&q3);
    write(&q4);
    let a = run(&dir.path().join("a"), &[&q3], &[]);
    let b = run(&dir.path().join("b"), &[&q4], &[]);
    let got = ids(&a);
    assert_eq!(got, ids(&b));
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].0.as_str(), got[0].2.as_str()),
        ("prod", "registry.example.com/web:1.10")
    );
    assert_eq!(
        (got[1].0.as_str(), got[1].2.as_str()),
        ("stage", "registry.example.com/web:1.2")
    );
    assert_ne!(got[0].1, got[1].1);
    let vias: Vec<&str> = a.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "image-tag-not-latest")
        .map(|f| f["subject"]["via"].as_str().unwrap())
        .collect();
    assert!(
        vias.iter().all(|v| v.ends_with("kustomization.yaml")),
        "{vias:?}"
    );
    a.expect(
        "overlays/stage/kustomization.yaml:3",
        "note",
        "`patches` not applied",
    );
    assert_eq!(a.problems().len(), 1, "{:#?}", a.problems());
}
