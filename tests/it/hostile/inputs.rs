//! Hostile input files, flags and API servers: FIFOs and devices where files are expected,
//! a snapshot manifest that points outside its directory, lists that never end, numbers and
//! dates out of range, malformed YAML that kubectl reads anyway, and input built to blow up
//! memory. Every run of the binary has a deadline (a hang is a failure) and its peak memory
//! is measured (`wait4`'s `ru_maxrss` of that run alone, see [`support::peak`]).

use std::ffi::{CString, OsStr, OsString};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support;
use crate::support::apiserver::{ApiServer, Endless};

const AS_OF: &str = "2026-09-30";

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

/// What a run of the binary gave.
struct Ran {
    /// None when killed by a signal.
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// Peak resident set of the child, in KiB.
    max_rss_kib: i64,
}

impl Ran {
    fn report(&self, out: &Path) -> Value {
        assert_eq!(self.code, Some(0), "{}", self.stderr);
        serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap()
    }
}

/// Runs the binary in `cwd` with `args`, killed after `deadline` (a failure: it hangs);
/// its peak memory is its own (see [`support::peak`]).
fn run_in(cwd: &Path, args: &[OsString], deadline: Duration) -> Ran {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("evidencer"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("EVIDENCER_LOG")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", cwd);
    let ran = support::peak::run(&cmd, deadline);
    assert!(
        !ran.hung,
        "evidencer {}: no exit within {deadline:?}: the run hangs",
        shown(args)
    );
    Ran {
        code: ran.code,
        stdout: String::from_utf8_lossy(&ran.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&ran.stderr).into_owned(),
        max_rss_kib: ran.max_rss_kib,
    }
}

fn shown(args: &[OsString]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn os(args: &[&dyn AsRef<OsStr>]) -> Vec<OsString> {
    args.iter().map(|a| a.as_ref().to_os_string()).collect()
}

/// `report` over `snapshots` with `extra` flags, JSON only, into `cwd/out`.
fn report(cwd: &Path, snapshots: &[&Path], extra: &[&dyn AsRef<OsStr>]) -> Ran {
    let mut args = os(&[&"report", &"--format", &"json"]);
    if !extra.iter().any(|a| a.as_ref() == "--as-of") {
        args.extend(os(&[&"--as-of", &AS_OF]));
    }
    args.extend(os(&[&"--out", &cwd.join("out")]));
    for s in snapshots {
        args.extend(os(&[&"--snapshot", s]));
    }
    args.extend(os(extra));
    run_in(cwd, &args, Duration::from_secs(60))
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// A directory with `snap/good.yaml`.
fn with_good_snapshot() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("snap")).unwrap();
    fs::write(dir.path().join("snap/good.yaml"), GOOD).unwrap();
    dir
}

fn problems(report: &Value) -> &Vec<Value> {
    report["inputs"]["problems"].as_array().unwrap()
}

/// The problem whose location ends with `at`.
fn problem<'a>(report: &'a Value, at: &str) -> &'a Value {
    problems(report)
        .iter()
        .find(|p| p["location"].as_str().unwrap().ends_with(at))
        .unwrap_or_else(|| panic!("no problem at {at}: {:#?}", problems(report)))
}

fn assert_problem(report: &Value, at: &str, level: &str, says: &str) {
    let p = problem(report, at);
    assert_eq!(p["level"], level, "{p}");
    assert!(p["message"].as_str().unwrap().contains(says), "{p}");
}

fn good_assessed(report: &Value) -> bool {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["subject"]["name"] == "good")
}

// ---- item 7: FIFOs and devices --------------------------------------------------------------

#[test]
fn a_fifo_in_a_snapshot_directory_is_a_problem_and_the_rest_is_read() {
    let dir = with_good_snapshot();
    let snap = dir.path().join("snap");
    mkfifo(&snap.join("pipe.yaml"));
    fs::create_dir(snap.join("nested")).unwrap();
    mkfifo(&snap.join("nested/pods.json"));
    mkfifo(&snap.join("version.json"));
    let ran = report(dir.path(), &[&snap], &[]);
    let r = ran.report(&dir.path().join("out"));
    for at in ["pipe.yaml", "pods.json", "version.json"] {
        assert_problem(
            &r,
            at,
            "error",
            "cannot read: it is a FIFO (named pipe), not a regular file",
        );
    }
    assert!(good_assessed(&r));
    assert!(ran.stderr.contains("pipe.yaml: cannot read: it is a FIFO"));
}

/// A FIFO or `/dev/zero` given to a flag stops the run (exit 2) at once, naming the path
/// and what it is; nothing is written.
#[test]
fn fifos_and_devices_given_to_flags_stop_the_run() {
    let dir = with_good_snapshot();
    let snap = dir.path().join("snap");
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let zero = Path::new("/dev/zero");
    // Directories whose files are read: a catalog and templates, each with a FIFO.
    let catalogs = dir.path().join("catalogs");
    fs::create_dir(&catalogs).unwrap();
    mkfifo(&catalogs.join("mine.yaml"));
    let templates = dir.path().join("templates");
    fs::create_dir(&templates).unwrap();
    mkfifo(&templates.join("report.md"));
    let bundle = dir.path().join("b.tar.gz");
    let mut cases: Vec<(Vec<&dyn AsRef<OsStr>>, String, &str)> = Vec::new();
    let fifo_path: &Path = &fifo;
    for (path, what) in [
        (&fifo_path, "a FIFO (named pipe)"),
        (&zero, "a character device"),
    ] {
        let shown = path.display().to_string();
        cases.push((vec![&"--exceptions", path], shown.clone(), what));
        cases.push((
            vec![&"--sign-key", path, &"--bundle", &bundle],
            shown.clone(),
            what,
        ));
        cases.push((vec![&"--config", path], shown.clone(), what));
        cases.push((vec![&"--eol-data", path], shown.clone(), what));
        cases.push((vec![&"--snapshot", path], shown.clone(), what));
    }
    let in_catalog = catalogs.join("mine.yaml").display().to_string();
    let in_templates = templates.join("report.md").display().to_string();
    let fifo_shown = fifo.display().to_string();
    cases.push((
        vec![&"--catalog", &catalogs],
        in_catalog,
        "a FIFO (named pipe)",
    ));
    cases.push((
        vec![&"--templates", &templates, &"--format", &"md"],
        in_templates,
        "a FIFO (named pipe)",
    ));
    cases.push((
        vec![&"--kubeconfig", &fifo, &"--cluster"],
        fifo_shown,
        "a FIFO (named pipe)",
    ));
    for (extra, path, what) in cases {
        let ran = report(dir.path(), &[&snap], &extra);
        let args = shown(&os(&extra));
        assert_eq!(ran.code, Some(2), "{args}: {}", ran.stderr);
        assert!(ran.stderr.contains(&path), "{args}: {}", ran.stderr);
        assert!(ran.stderr.contains(what), "{args}: {}", ran.stderr);
        assert!(!dir.path().join("out").exists(), "{args}: wrote reports");
    }
}

#[test]
fn verify_refuses_a_fifo_or_device_as_key_or_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let bundle = dir.path().join("bundle");
    fs::create_dir(&bundle).unwrap();
    let deadline = Duration::from_secs(30);
    for key in [fifo.as_path(), Path::new("/dev/zero")] {
        let ran = run_in(
            dir.path(),
            &os(&[&"verify", &bundle, &"--pubkey", &key]),
            deadline,
        );
        assert_eq!(ran.code, Some(2), "{}", ran.stderr);
        assert!(
            ran.stderr
                .contains(&format!("cannot read public key {}", key.display())),
            "{}",
            ran.stderr
        );
        assert!(ran.stderr.contains("not a regular file"), "{}", ran.stderr);
    }
    let ran = run_in(dir.path(), &os(&[&"verify", &fifo]), deadline);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("a FIFO (named pipe)"), "{}", ran.stderr);
    // A FIFO inside a bundle directory is a difference, never read.
    fs::write(bundle.join("manifest.json"), "{}").unwrap();
    mkfifo(&bundle.join("reports.json"));
    let ran = run_in(dir.path(), &os(&[&"verify", &bundle]), deadline);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(ran.stdout.contains("result: NOT intact"), "{}", ran.stdout);
}

// ---- item 9: a manifest that points outside its directory -----------------------------------

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn manifest_listing(files: &[(&str, u64, &str)]) -> String {
    let files: Vec<Value> = files
        .iter()
        .map(|(path, size, sha)| serde_json::json!({"path": path, "size": size, "sha256": sha}))
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "format": "evidencer-snapshot", "format_version": 1,
        "tool": {"name": "evidencer", "version": "0.1.0"},
        "collected_at": "2026-09-30T06:00:00Z",
        "files": files,
    }))
    .unwrap()
}

/// Paths that climb out, absolute paths and symbolic links out are refused: the file
/// outside is never read, so its hash (or anything of it) is nowhere in the report.
#[test]
fn a_snapshot_manifest_cannot_read_outside_its_directory() {
    let dir = with_good_snapshot();
    let snap = dir.path().join("snap");
    let secret = b"root:$6$salt$hash:19000:0:99999:7:::\n";
    let outside = dir.path().join("shadow");
    fs::write(&outside, secret).unwrap();
    let secret_sha = sha256_hex(secret);
    std::os::unix::fs::symlink(&outside, snap.join("link.txt")).unwrap();
    fs::create_dir(snap.join("sub")).unwrap();
    std::os::unix::fs::symlink(dir.path(), snap.join("sub/up")).unwrap();
    let good_sha = sha256_hex(GOOD.as_bytes());
    let absolute = outside.display().to_string();
    let wrong = "0".repeat(64);
    fs::write(
        snap.join("manifest.json"),
        manifest_listing(&[
            ("good.yaml", GOOD.len() as u64, &good_sha),
            ("../shadow", 1, &wrong),
            ("sub/../../shadow", 1, &wrong),
            (&absolute, 1, &wrong),
            ("link.txt", 1, &wrong),
            ("sub/up/shadow", 1, &wrong),
        ]),
    )
    .unwrap();
    let ran = report(dir.path(), &[&snap], &[]);
    let out = dir.path().join("out");
    let r = ran.report(&out);
    let text = fs::read_to_string(out.join("report.json")).unwrap();
    assert!(!text.contains(&secret_sha), "the outside file was hashed");
    let refusals: Vec<&str> = problems(&r)
        .iter()
        .filter(|p| p["location"].as_str().unwrap().ends_with("manifest.json"))
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    for (path, why) in [
        ("../shadow", "climbs out of the directory"),
        ("sub/../../shadow", "climbs out of the directory"),
        (absolute.as_str(), "is absolute"),
        ("link.txt", "symbolic link"),
        ("sub/up/shadow", "symbolic link"),
    ] {
        assert!(
            refusals
                .iter()
                .any(|m| m.contains(&format!("lists `{path}`")) && m.contains(why)),
            "{path}: {refusals:#?}"
        );
    }
    assert!(good_assessed(&r));
}

// ---- item 8: lists that never end -----------------------------------------------------------

fn pod(name: &str) -> Value {
    serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"containers": [{"name": "web", "image": "registry.example.com/web:1.2"}]},
    })
}

fn live(server: &ApiServer, dir: &Path, extra: &[&dyn AsRef<OsStr>]) -> (Ran, Value) {
    let kubeconfig = server.kubeconfig(dir, "prod");
    let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"--cluster", &"--kubeconfig", &kubeconfig];
    args.extend(extra);
    let ran = report(dir, &[], &args);
    let r = ran.report(&dir.join("out"));
    (ran, r)
}

/// The kind whose list never ends is not assessed, with the reason; the other kinds are.
fn assert_pods_abandoned(r: &Value, says: &str) {
    let p = problem(r, "/api/v1/pods");
    assert_eq!(p["level"], "error", "{p}");
    let message = p["message"].as_str().unwrap();
    assert!(message.contains("listing Pod objects"), "{p}");
    assert!(message.contains(says), "{p}");
    assert!(
        r["inputs"]["coverage"]["Pod"]["status"] != "collected",
        "{}",
        r["inputs"]["coverage"]
    );
    assert_eq!(r["inputs"]["coverage"]["Namespace"]["status"], "collected");
    assert!(
        !r["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["describes"].as_str().unwrap().starts_with("Pod ")),
        "objects of an abandoned list were kept"
    );
}

#[test]
fn a_continue_token_sent_twice_ends_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let server = ApiServer::builder()
        .objects((0..3).map(|i| pod(&format!("p{i}"))))
        .endless_list("pods", Endless::SameToken)
        .start();
    let (_, r) = live(&server, dir.path(), &[]);
    assert_pods_abandoned(&r, "a continue token the API server sent before");
    let pods = server
        .requests()
        .iter()
        .filter(|q| q.path == "/api/v1/pods")
        .count();
    assert_eq!(pods, 2);
}

#[test]
fn new_continue_tokens_forever_end_at_the_page_cap_or_the_time_cap() {
    let dir = tempfile::tempdir().unwrap();
    let server = ApiServer::builder()
        .objects((0..3).map(|i| pod(&format!("p{i}"))))
        .endless_list("pods", Endless::NewTokens)
        .start();
    let (_, r) = live(&server, dir.path(), &[&"--max-list-pages", &"25"]);
    assert_pods_abandoned(&r, "did not end within 25 pages (--max-list-pages");
    let pods = |s: &ApiServer| {
        s.requests()
            .iter()
            .filter(|q| q.path == "/api/v1/pods")
            .count()
    };
    assert_eq!(pods(&server), 25);

    let dir = tempfile::tempdir().unwrap();
    let server = ApiServer::builder()
        .objects((0..3).map(|i| pod(&format!("p{i}"))))
        .endless_list("pods", Endless::NewTokens)
        .latency(Duration::from_millis(100))
        .start();
    let started = Instant::now();
    let (_, r) = live(&server, dir.path(), &[&"--max-list-seconds", &"2"]);
    assert_pods_abandoned(&r, "did not end within 2s (--max-list-seconds)");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(pods(&server) < 40, "{}", pods(&server));
}

/// The defaults end a list that never ends too: in the time a real server takes, long
/// before a CronJob's deadline. Here the page cap ends it (10,000 pages).
#[test]
fn the_default_bounds_end_an_endless_list() {
    let dir = tempfile::tempdir().unwrap();
    let server = ApiServer::builder()
        .object(pod("p0"))
        .endless_list("pods", Endless::NewTokens)
        .start();
    let (_, r) = live(&server, dir.path(), &[]);
    assert_pods_abandoned(&r, "did not end within 10000 pages");
}

// ---- item 11: numbers and dates out of range ------------------------------------------------

/// Every number and date a user gives is range checked: exit 2 with a message naming the
/// flag or key and the range, never a panic, never a clamp.
#[test]
fn numbers_and_dates_out_of_range_are_errors() {
    let dir = with_good_snapshot();
    let snap = dir.path().join("snap");
    let archive = dir.path().join("archive");
    let flags: &[(&[&str], &str)] = &[
        (
            &["--period", "last-99999999d"],
            "--period: `last-99999999d` reaches outside the range of dates (1970-01-01 to 9999-12-31)",
        ),
        (
            &["--period", "last-18446744073709551616d"],
            "is not a period",
        ),
        (&["--period", "last-0d"], "is not a period"),
        (&["--period", "0000"], "reaches outside the range of dates"),
        (
            &["--period", "1969-Q4"],
            "reaches outside the range of dates",
        ),
        (
            &["--as-of", "99999-01-01"],
            "--as-of: `99999-01-01` is not a date",
        ),
        (
            &["--as-of", "0000-01-01"],
            "--as-of: `0000-01-01` is out of range: dates run from 1970-01-01 to 9999-12-31",
        ),
        (&["--as-of", "1969-12-31T23:59:59Z"], "is out of range"),
        (
            &["--as-of", "1970-01-05", "--period", "previous-quarter"],
            "`previous-quarter` reaches outside the range of dates",
        ),
        (
            &["--since", "2026-09-01", "--until", "2026-01-01"],
            "--since 2026-09-01T00:00:00Z is after --until 2026-01-01T23:59:59Z",
        ),
        (
            &["--since", "99999-01-01", "--until", "2026-01-01"],
            "--since: `99999-01-01` is not a date",
        ),
        (
            &["--since", "2026-01-01", "--until", "10000-01-01"],
            "--until: `10000-01-01`",
        ),
        (
            &["--since", "1900-01-01", "--until", "2026-01-01"],
            "is out of range",
        ),
        (&["--page-size", "0"], "0 is not in 1..=10000"),
        (&["--page-size", "10001"], "10001 is not in 1..=10000"),
        (&["--page-size=-1"], "-1 is not in 1..=10000"),
        (&["--max-list-pages", "0"], "0 is not in 1..=1000000"),
        (&["--max-list-seconds", "0"], "0 is not in 1..=86400"),
        (
            &["--max-list-seconds", "86401"],
            "86401 is not in 1..=86400",
        ),
        (&["--max-file-size", "0"], "0 is not in 1..=4294967296"),
        (
            &["--max-file-size", "99999999999999"],
            "is not in 1..=4294967296",
        ),
        (&["--max-node-age-days", "0"], "0 is not in 1..=36500"),
        (
            &["--max-node-age-days", "4294967295"],
            "is not in 1..=36500",
        ),
        (
            &["--max-scan-age-days", "36501"],
            "36501 is not in 1..=36500",
        ),
        (&["--max-image-age-days", "99999999"], "is not in 1..=36500"),
        (
            &["--max-image-age-days", "99999999999"],
            "--max-image-age-days",
        ),
        (
            &["--keep", "0", "--period", "2026-Q3"],
            "0 is not in 1..=10000",
        ),
    ];
    for (args, says) in flags {
        let mut extra: Vec<&dyn AsRef<OsStr>> =
            args.iter().map(|a| a as &dyn AsRef<OsStr>).collect();
        if args.contains(&"--keep") {
            extra.extend([&"--archive" as &dyn AsRef<OsStr>, &archive]);
        }
        let ran = report(dir.path(), &[&snap], &extra);
        check_refused(&ran, &args.join(" "), says);
    }
    let keys: &[(&str, &str)] = &[
        (
            "page-size: 0\n",
            "page-size: 0 is out of range (1 to 10000)",
        ),
        ("keep: 0\n", "keep: 0 is out of range (1 to 10000)"),
        ("max-file-size: 0\n", "max-file-size: 0 is out of range"),
        (
            "max-node-age-days: 99999999\n",
            "max-node-age-days: 99999999 is out of range",
        ),
        (
            "max-list-seconds: 0\n",
            "max-list-seconds: 0 is out of range",
        ),
        (
            "period: last-99999999d\n",
            "reaches outside the range of dates",
        ),
        ("as-of: \"0000-01-01\"\n", "is out of range"),
    ];
    for (text, says) in keys {
        let config = dir.path().join("evidencer.yaml");
        fs::write(&config, format!("formats: [json]\n{text}")).unwrap();
        let args = os(&[&"report", &"--snapshot", &snap, &"--out", &"out"]);
        let ran = run_in(dir.path(), &args, Duration::from_secs(60));
        check_refused(&ran, text, says);
        fs::remove_file(&config).unwrap();
    }
    // `collect` checks its flags the same way.
    let ran = run_in(
        dir.path(),
        &os(&[
            &"collect",
            &"--cluster",
            &"--page-size",
            &"0",
            &"--out",
            &"snap2",
        ]),
        Duration::from_secs(30),
    );
    check_refused(&ran, "collect --page-size 0", "0 is not in 1..=10000");
}

fn check_refused(ran: &Ran, what: &str, says: &str) {
    assert_eq!(ran.code, Some(2), "{what}: {}", ran.stderr);
    assert!(!ran.stderr.contains("panicked"), "{what}: {}", ran.stderr);
    assert!(ran.stderr.contains(says), "{what}: {}", ran.stderr);
    // The cause is said once, not repeated by the error chain.
    let first = ran.stderr.lines().find(|l| l.starts_with("error:"));
    if let Some(line) = first {
        let parts: Vec<&str> = line.split(": ").collect();
        for (i, p) in parts.iter().enumerate() {
            assert!(
                p.len() < 12 || !parts[i + 1..].contains(p),
                "{what}: the cause is printed twice: {line}"
            );
        }
    }
}

// ---- item 13: what kubectl reads anyway is read, and said --------------------------------------

fn evidence_describing<'a>(report: &'a Value, what: &str) -> Option<&'a Value> {
    report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["describes"] == what)
}

fn images_of(report: &Value, name: &str) -> Vec<String> {
    let mut images: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"]["name"] == name && f["check"] == "image-tag-not-latest")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    images.sort();
    images
}

#[test]
fn invalid_utf8_is_read_as_kubectl_reads_it_and_noted_with_its_line() {
    let dir = with_good_snapshot();
    let snap = dir.path().join("snap");
    let mut text = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf".to_vec();
    text.extend_from_slice(b"\xe9\n  namespace: shop\n  labels: {team: \xff\xfe}\n");
    text.extend_from_slice(
        b"spec:\n  containers:\n  - {name: a, image: registry.example.com/a:1}\n",
    );
    fs::write(snap.join("latin1.yaml"), text).unwrap();
    let ran = report(dir.path(), &[&snap], &[]);
    let r = ran.report(&dir.path().join("out"));
    assert_problem(
        &r,
        "latin1.yaml:4",
        "warning",
        "not valid UTF-8: 3 byte sequence(s) that are not UTF-8",
    );
    assert!(
        evidence_describing(&r, "Pod shop/caf\u{fffd}").is_some(),
        "{:#?}",
        r["evidence"]
    );
    assert!(good_assessed(&r));
}

#[test]
fn duplicate_keys_are_read_last_wins_and_noted_with_their_line() {
    let dir = with_good_snapshot();
    let snap = dir.path().join("snap");
    // One document, a kubectl-style List (read item by item) and a JSON file.
    fs::write(
        snap.join("dup.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: one, namespace: shop}\nspec:\n  \
         containers:\n  - name: a\n    image: evil.example.com/a:latest\n    \
         image: registry.example.com/a:1\n",
    )
    .unwrap();
    fs::write(
        snap.join("list.yaml"),
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    \
         name: two\n    namespace: shop\n  spec:\n    containers:\n    - name: a\n      \
         image: registry.example.com/a:1\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    \
         name: three\n    name: three\n    namespace: shop\n  spec:\n    containers:\n    \
         - {name: a, image: registry.example.com/a:1}\n",
    )
    .unwrap();
    fs::write(
        snap.join("dup.json"),
        "{\"apiVersion\": \"v1\", \"kind\": \"PodList\", \"items\": [\n  {\"metadata\": \
         {\"name\": \"four\", \"namespace\": \"shop\"},\n   \"spec\": {\"containers\": \
         [{\"name\": \"a\",\n     \"image\": \"evil.example.com/a:latest\",\n     \
         \"image\": \"registry.example.com/a:1\"}]}}]}\n",
    )
    .unwrap();
    let ran = report(dir.path(), &[&snap], &[]);
    let r = ran.report(&dir.path().join("out"));
    assert_problem(&r, "dup.yaml:8", "warning", "duplicate key `image`");
    assert_problem(&r, "list.yaml:17", "warning", "duplicate key `name`");
    assert_problem(&r, "dup.json:5", "warning", "duplicate key `image`");
    for name in ["one", "two", "three", "four"] {
        let images = images_of(&r, name);
        assert!(!images.is_empty(), "{name} not read");
        assert!(
            images.iter().all(|m| !m.contains("evil")),
            "{name}: the first value was read: {images:?}"
        );
    }
    assert!(ran.stderr.contains("dup.yaml:8: duplicate key `image`"));
}

#[test]
fn a_list_in_a_list_is_flattened_as_kubectl_does_and_noted() {
    let dir = with_good_snapshot();
    let snap = dir.path().join("snap");
    fs::write(
        snap.join("nested.yaml"),
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - \
         apiVersion: v1\n    kind: Pod\n    metadata: {name: inner, namespace: shop}\n    \
         spec:\n      containers:\n      - {name: a, image: registry.example.com/a:1}\n- \
         apiVersion: v1\n  kind: Pod\n  metadata: {name: outer, namespace: shop}\n  spec:\n    \
         containers:\n    - {name: a, image: registry.example.com/a:1}\n",
    )
    .unwrap();
    fs::write(
        snap.join("nested.json"),
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n {\"apiVersion\": \"v1\", \
         \"kind\": \"PodList\", \"items\": [\n  {\"metadata\": {\"name\": \"deep\", \
         \"namespace\": \"shop\"}, \"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \
         \"registry.example.com/a:1\"}]}}]}]}\n",
    )
    .unwrap();
    let ran = report(dir.path(), &[&snap], &[]);
    let r = ran.report(&dir.path().join("out"));
    assert_problem(&r, "nested.yaml:4", "note", "a List inside a List");
    assert_problem(&r, "nested.json:2", "note", "a PodList inside a List");
    for name in ["Pod shop/inner", "Pod shop/outer", "Pod shop/deep"] {
        assert!(
            evidence_describing(&r, name).is_some(),
            "{name}: {:#?}",
            r["evidence"]
        );
    }
    assert!(evidence_describing(&r, "List ").is_none());
}

// ---- item 16: memory ------------------------------------------------------------------------

/// A Deployment of `containers` containers, in flow style (45 bytes a container).
fn wide_deployment(name: &str, containers: usize) -> String {
    let mut text = format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: \
         shop}}\nspec:\n  template:\n    spec:\n      containers:\n"
    );
    for i in 0..containers {
        text.push_str(&format!("      - {{name: c{i}, image: nginx:1.{i}}}\n"));
    }
    text
}

/// 100,000 containers in one 4.5 MB object took 10.7 GB; the object is now refused, named,
/// and the run stays small. So is an object larger than the API server accepts.
#[test]
fn an_object_built_to_exhaust_memory_is_refused_by_name() {
    let dir = with_good_snapshot();
    let snap = dir.path().join("snap");
    fs::write(snap.join("wide.yaml"), wide_deployment("wide", 100_000)).unwrap();
    let huge = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: huge\n  namespace: shop\n  \
         annotations:\n    note: \"{}\"\nspec:\n  containers:\n  - {{name: a, image: a:1}}\n",
        "x".repeat(4 << 20)
    );
    fs::write(snap.join("huge.yaml"), huge).unwrap();
    let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"--format", &"md,html,json,pdf,csv"];
    args.extend([&"--as-of" as &dyn AsRef<OsStr>, &AS_OF]);
    let ran = report(dir.path(), &[&snap], &args);
    let r = ran.report(&dir.path().join("out"));
    assert_problem(
        &r,
        "wide.yaml:2",
        "error",
        "Deployment shop/wide not read: its pod spec holds 100000 containers, more than the \
         1000",
    );
    assert_problem(
        &r,
        "huge.yaml:1",
        "error",
        "Pod shop/huge not read: it is 4194",
    );
    assert!(good_assessed(&r));
    assert!(
        ran.max_rss_kib < 512 * 1024,
        "peak {} MiB",
        ran.max_rss_kib / 1024
    );
}

/// Many objects within the per-object limits (100 × 1,000 containers, 500,000 findings)
/// are refused before the documents are rendered, naming the objects with the most
/// findings (json and csv, which cost little per finding, have no such limit).
#[test]
fn a_run_with_more_findings_than_documents_can_hold_is_refused_before_rendering() {
    let dir = with_good_snapshot();
    let snap = dir.path().join("snap");
    let many: String = (0..100)
        .map(|i| wide_deployment(&format!("d{i:03}"), 1_000))
        .collect();
    fs::write(snap.join("many.yaml"), many).unwrap();
    let ran = report(dir.path(), &[&snap], &[&"--format", &"md,json,pdf"]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("more than the 100000 rendered into md, html, pdf or xlsx")
            // 5,001 container findings, and the 3 pod-state checks' not_assessed for a
            // Deployment with replicas and no pods in the snapshot.
            && ran.stderr.contains("most from Deployment shop/d000 (5004)"),
        "{}",
        ran.stderr
    );
    assert!(!dir.path().join("out").exists());
    assert!(
        ran.max_rss_kib < 2 * 1024 * 1024,
        "peak {} MiB",
        ran.max_rss_kib / 1024
    );
}

/// A list page over the 64 MiB an answer is read to is asked for again in smaller pages:
/// every object is still read, and no page is held whole past the limit.
#[test]
fn a_page_over_the_byte_limit_is_read_again_in_smaller_pages() {
    let dir = tempfile::tempdir().unwrap();
    let big = |i: usize| {
        let mut p = pod(&format!("p{i:02}"));
        p["metadata"]["annotations"] = serde_json::json!({"note": "x".repeat(1 << 20)});
        p
    };
    let server = ApiServer::builder().objects((0..72).map(big)).start();
    let (ran, r) = live(&server, dir.path(), &[]);
    assert_eq!(
        r["inputs"]["coverage"]["Pod"]["count"], 72,
        "{}",
        ran.stderr
    );
    let limits: Vec<String> = server
        .requests()
        .iter()
        .filter(|q| q.path == "/api/v1/pods")
        .map(|q| q.query["limit"].clone())
        .collect();
    assert_eq!(limits[..2], ["500", "250"], "{limits:?}");
    assert!(limits.contains(&"62".to_string()), "{limits:?}");
}
