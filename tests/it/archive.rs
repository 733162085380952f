//! `--archive`, `--keep`, `--replace` and the run's logs, through the real binary: what a
//! scheduled run leaves on disk when it succeeds, is refused, or is killed, and the summary
//! line its log ends with.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;

use crate::support;

fn evidencer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_evidencer"))
}

/// Any input will do: the archive does not depend on what the report says.
fn snapshot(_dir: &Path) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report-minimal")
}

/// `report` over `snap` into `archive`, for the quarter before `as_of`.
fn archived(snap: &Path, archive: &Path, as_of: &str) -> Command {
    let mut cmd = evidencer();
    cmd.arg("report")
        .arg("--snapshot")
        .arg(snap)
        .args(["--as-of", as_of, "--period", "previous-quarter"])
        .args(["--format", "json,md"])
        .arg("--archive")
        .arg(archive);
    cmd
}

/// Entries of the archive, the lock file left out.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".evidencer.lock")
        .collect();
    v.sort();
    v
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn each_period_gets_its_folder_and_keep_prunes_the_oldest() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path());
    let archive = tmp.path().join("reports");
    for as_of in ["2026-01-02", "2026-04-02", "2026-07-02"] {
        archived(&snap, &archive, as_of).assert().success();
    }
    assert_eq!(entries(&archive), ["2025-Q4", "2026-Q1", "2026-Q2"]);
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(archive.join("2026-Q2/report.json")).unwrap()).unwrap();
    assert_eq!(report["period"]["label"], "2026-Q2");
    assert_eq!(report["period"]["start"], "2026-04-01T00:00:00Z");
    assert!(archive.join("2026-Q2/report.md").is_file());

    archived(&snap, &archive, "2026-10-02")
        .arg("--keep=2")
        .assert()
        .success();
    assert_eq!(entries(&archive), ["2026-Q2", "2026-Q3"]);

    // A backfilled older quarter is kept although it is not among the two newest.
    evidencer()
        .arg("report")
        .arg("--snapshot")
        .arg(&snap)
        .args(["--period", "2025-Q1", "--keep", "2", "--format", "json"])
        .arg("--archive")
        .arg(&archive)
        .assert()
        .success();
    assert_eq!(entries(&archive), ["2025-Q1", "2026-Q2", "2026-Q3"]);
}

#[test]
fn a_filed_period_is_refused_untouched_unless_replace_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path());
    let archive = tmp.path().join("reports");
    archived(&snap, &archive, "2026-10-02").assert().success();
    let filed = fs::read(archive.join("2026-Q3/report.json")).unwrap();

    let out = archived(&snap, &archive, "2026-10-03").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&archive.join("2026-Q3").display().to_string()),
        "{err}"
    );
    assert!(err.contains("--replace"), "{err}");
    assert_eq!(entries(&archive), ["2026-Q3"]);
    assert_eq!(
        fs::read(archive.join("2026-Q3/report.json")).unwrap(),
        filed
    );

    archived(&snap, &archive, "2026-10-03")
        .arg("--replace")
        .assert()
        .success();
    let replaced: serde_json::Value =
        serde_json::from_slice(&fs::read(archive.join("2026-Q3/report.json")).unwrap()).unwrap();
    assert_eq!(replaced["as_of"], "2026-10-03T23:59:59Z");
    assert_eq!(entries(&archive), ["2026-Q3"]);
}

#[test]
fn archive_options_are_checked_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path());
    let archive = tmp.path().join("reports");
    let out = evidencer()
        .arg("report")
        .arg("--snapshot")
        .arg(&snap)
        .arg("--archive")
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--period"), "{}", stderr(&out));
    assert!(!archive.exists());

    let out = evidencer()
        .arg("report")
        .arg("--snapshot")
        .arg(&snap)
        .args(["--keep", "3", "--out"])
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--archive"), "{}", stderr(&out));

    // --out and --archive are two answers to one question.
    let out = archived(&snap, &archive, "2026-10-02")
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_log_ends_with_a_summary_line_in_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path());
    let archive = tmp.path().join("reports");

    let out = archived(&snap, &archive, "2026-10-02")
        .arg("--log-format=json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let summary = lines.last().expect("a summary line");
    assert_eq!(summary["message"], "report written", "{summary}");
    assert_eq!(summary["level"], "INFO");
    assert_eq!(summary["period"], "2026-Q3");
    assert_eq!(
        summary["out"],
        archive.join("2026-Q3").display().to_string()
    );
    let verdicts: u64 = [
        "satisfied",
        "partially_satisfied",
        "not_satisfied",
        "not_assessed",
    ]
    .iter()
    .map(|k| {
        summary[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} in {summary}"))
    })
    .sum();
    assert_eq!(Some(verdicts), summary["controls"].as_u64());
    assert!(summary["duration_ms"].is_u64(), "{summary}");
    assert!(summary["timestamp"].is_string(), "{summary}");

    let out = archived(&snap, &archive, "2027-01-02").output().unwrap();
    let err = stderr(&out);
    assert!(err.contains("report written"), "{err}");
    assert!(err.contains("period=2026-Q4"), "{err}");

    // --quiet keeps errors only.
    let out = archived(&snap, &archive, "2027-04-02")
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(stderr(&out), "");
}

#[test]
fn an_error_is_one_json_event_in_json_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path());
    let out = evidencer()
        .args(["--log-format", "json", "report", "--snapshot"])
        .arg(&snap)
        .arg("--archive")
        .arg(tmp.path().join("reports"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let event: serde_json::Value = serde_json::from_str(err.trim()).expect(&err);
    assert_eq!(event["level"], "ERROR");
    assert_eq!(event["message"], "run failed");
    assert!(
        event["error"].as_str().unwrap().contains("--period"),
        "{event}"
    );
}

#[test]
fn leftovers_of_a_dead_run_are_cleared_by_the_next_one() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path());
    let archive = tmp.path().join("reports");
    fs::create_dir_all(archive.join(".evidencer-partial.2026-Q3.dead")).unwrap();
    fs::write(
        archive.join(".evidencer-partial.2026-Q3.dead/report.json"),
        "{",
    )
    .unwrap();
    archived(&snap, &archive, "2026-10-02").assert().success();
    assert_eq!(entries(&archive), ["2026-Q3"]);
}

/// A kubectl List of `pods` Pods: big enough that reading it takes a while.
fn big_snapshot(dir: &Path, pods: usize) -> PathBuf {
    let mut items = Vec::with_capacity(pods);
    for i in 0..pods {
        items.push(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("p{i}"), "namespace": format!("ns{}", i % 50),
                         "uid": format!("uid-{i}"), "labels": {"app": format!("a{}", i % 300)}},
            "spec": {"containers": [{"name": "c", "image": format!("registry.example.com/a{}:1.{i}", i % 300),
                     "env": [{"name": "MODE", "value": "x".repeat(200)}]}]},
            "status": {"phase": "Running"}
        }));
    }
    let path = dir.join("big.json");
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    fs::write(&path, serde_json::to_vec(&list).unwrap()).unwrap();
    path
}

#[test]
fn a_run_killed_mid_way_leaves_no_finished_looking_folder_and_the_next_run_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let big = big_snapshot(tmp.path(), 60_000);
    let archive = tmp.path().join("reports");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_evidencer"))
        .arg("report")
        .arg("--snapshot")
        .arg(&big)
        .args(["--as-of", "2026-10-02", "--period", "previous-quarter"])
        .arg("--archive")
        .arg(&archive)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The staging folder exists from before the collection starts: kill the run then.
    let started = Instant::now();
    let staging = loop {
        let found = fs::read_dir(&archive).ok().and_then(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| n.starts_with(".evidencer-partial.2026-Q3."))
        });
        if let Some(name) = found {
            break name;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no staging folder"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        None,
        "the run finished before the kill: {status}"
    );
    assert_eq!(entries(&archive), [staging]);

    let snap = snapshot(tmp.path());
    archived(&snap, &archive, "2026-10-02").assert().success();
    assert_eq!(entries(&archive), ["2026-Q3"]);
    assert!(archive.join("2026-Q3/report.json").is_file());
}

/// Runs `script` as root in a private mount namespace (`sh -c script sh evidencer`): its
/// mounts vanish with it. `None` (and a message) where that is not possible; under CI
/// that fails the test.
fn in_mount_namespace(script: &str) -> Option<std::process::Output> {
    if !support::namespaces::available() {
        return None;
    }
    Some(
        std::process::Command::new("unshare")
            .args(["-m", "sh", "-c", script, "sh"])
            .arg(env!("CARGO_BIN_EXE_evidencer"))
            .output()
            .unwrap(),
    )
}

#[test]
fn a_read_only_archive_fails_naming_the_path_and_keeps_earlier_periods() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path());
    let archive = tmp.path().join("reports");
    archived(&snap, &archive, "2026-07-02").assert().success();
    let earlier = fs::read(archive.join("2026-Q2/report.json")).unwrap();
    let script = format!(
        "mount --bind {a} {a} && mount -o remount,bind,ro {a} && \
         \"$1\" report --snapshot {s} --as-of 2026-10-02 --period previous-quarter --archive {a}",
        a = archive.display(),
        s = snap.display()
    );
    let Some(out) = in_mount_namespace(&script) else {
        return;
    };
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&archive.display().to_string()), "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    assert_eq!(entries(&archive), ["2026-Q2"]);
    assert_eq!(
        fs::read(archive.join("2026-Q2/report.json")).unwrap(),
        earlier
    );
}

#[test]
fn a_full_disk_fails_naming_the_file_and_leaves_no_partial_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path());
    let archive = tmp.path().join("reports");
    fs::create_dir(&archive).unwrap();
    // A 12 KiB tmpfs holds the earlier quarter (one page) and the lock, not the reports.
    let script = format!(
        "mount -t tmpfs -o size=12k tmpfs {a} && mkdir {a}/2026-Q2 && \
         echo earlier > {a}/2026-Q2/report.json && \
         \"$1\" report --snapshot {s} --as-of 2026-10-02 --period previous-quarter \
           --format md,html,json --archive {a}; \
         echo \"exit=$?\"; ls -A {a}; cat {a}/2026-Q2/report.json",
        a = archive.display(),
        s = snap.display()
    );
    let Some(out) = in_mount_namespace(&script) else {
        return;
    };
    let err = stderr(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"exit=2"), "{stdout}\n{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains(&archive.display().to_string()), "{err}");
    assert!(err.contains(".evidencer-partial.2026-Q3."), "{err}");
    // The staging folder was removed; the earlier quarter is as it was.
    assert_eq!(
        &lines[1..],
        [".evidencer.lock", "2026-Q2", "earlier"],
        "{stdout}"
    );
}

#[test]
fn a_bundle_given_by_name_is_filed_in_the_period_folder_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path());
    let archive = tmp.path().join("reports");
    archived(&snap, &archive, "2026-10-02")
        .args(["--bundle", "evidence.tar.gz"])
        .current_dir(tmp.path())
        .assert()
        .success();
    let bundle = archive.join("2026-Q3/evidence.tar.gz");
    assert!(bundle.is_file());
    assert!(!tmp.path().join("evidence.tar.gz").exists());
    assert_eq!(entries(&archive), ["2026-Q3"]);
    evidencer().arg("verify").arg(&bundle).assert().success();
}
