//! What evidencer writes and what `verify` accepts, under attack and under faults: a bundle
//! stitched from two gzip members, with bytes after its end, a name given twice or no end
//! marker is refused naming what is wrong, while one `tar` made verifies; a directory that
//! merely holds a `manifest.json` is never replaced (`--bundle DIR`, `collect --out DIR`),
//! a bundle evidencer wrote still is; a full disk leaves `--out` with the earlier set of
//! reports whole; a user template that explodes stops with a clear error; control
//! characters from the input reach no text output raw.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::json;

use crate::support;
use crate::support::apiserver::ApiServer;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn evidencer() -> Command {
    let mut cmd = Command::cargo_bin("evidencer").unwrap();
    cmd.current_dir(ROOT)
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("EVIDENCER_LOG");
    cmd
}

fn minimal() -> PathBuf {
    Path::new(ROOT).join("tests/fixtures/report-minimal")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `report` over the minimal fixture into `out`, with `extra` flags.
fn report(out: &Path, extra: &[&str]) -> Command {
    report_as_of(out, "2026-09-30", extra)
}

fn report_as_of(out: &Path, as_of: &str, extra: &[&str]) -> Command {
    let mut cmd = evidencer();
    cmd.arg("report")
        .arg("--snapshot")
        .arg(minimal())
        .args(["--as-of", as_of, "--format", "md,html,json,csv"])
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd
}

fn verify(bundle: &Path) -> Run {
    run(evidencer().arg("verify").arg(bundle))
}

/// A signed `.tar.gz` bundle of the minimal fixture in `dir`.
fn signed_bundle(dir: &Path) -> PathBuf {
    let kp = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let sk = dir.join("evidencer.key");
    fs::write(&sk, kp.sk.to_box(None).unwrap().to_string()).unwrap();
    let bundle = dir.join("evidence.tar.gz");
    report(&dir.join("out"), &[])
        .arg("--bundle")
        .arg(&bundle)
        .arg("--sign-key")
        .arg(&sk)
        .assert()
        .success();
    let v = verify(&bundle);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    bundle
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The entries of a tar stream: (path, bytes).
fn entries(tar_bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(tar_bytes);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = String::from_utf8(e.path_bytes().into_owned()).unwrap();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (path, bytes)
        })
        .collect()
}

/// A tar stream of `files`, with its end-of-archive marker.
fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(bytes.len() as u64);
        tar.append_data(&mut header, path, bytes.as_slice())
            .unwrap();
    }
    tar.into_inner().unwrap()
}

/// The tar stream without the two zero blocks that end it.
fn without_end_marker(mut tar_bytes: Vec<u8>) -> Vec<u8> {
    assert!(tar_bytes.len() > 1024);
    assert!(tar_bytes[tar_bytes.len() - 1024..].iter().all(|b| *b == 0));
    tar_bytes.truncate(tar_bytes.len() - 1024);
    tar_bytes
}

fn edited_report() -> (String, Vec<u8>) {
    (
        "reports/report.md".to_string(),
        b"# All controls satisfied\n".to_vec(),
    )
}

#[test]
fn a_second_gzip_member_with_an_edited_report_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = signed_bundle(dir.path());
    let tar_bytes = gunzip(&fs::read(&bundle).unwrap());
    // What `tar xzf` reads as one archive: the real entries, then an edited report.md that
    // it extracts over the first.
    let mut stitched = gzip(&without_end_marker(tar_bytes));
    stitched.extend(gzip(&tar_of(&[edited_report()])));
    let tampered = dir.path().join("tampered.tar.gz");
    fs::write(&tampered, &stitched).unwrap();
    let v = verify(&tampered);
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
    assert!(!v.stdout.contains("result: intact"), "{}", v.stdout);
    assert!(v.stderr.contains("tampered.tar.gz"), "{}", v.stderr);
    assert!(v.stderr.contains("`reports/report.md`"), "{}", v.stderr);
    assert!(v.stderr.contains("two files of this name"), "{}", v.stderr);
}

#[test]
fn bytes_after_the_end_of_the_archive_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = signed_bundle(dir.path());
    let original = fs::read(&bundle).unwrap();

    // Junk after the gzip stream.
    let junk = dir.path().join("junk.tar.gz");
    let mut bytes = original.clone();
    bytes.extend_from_slice(b"appended later");
    fs::write(&junk, &bytes).unwrap();
    let v = verify(&junk);
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stderr.contains(&format!(
            "14 byte(s) after the end at byte {}",
            original.len()
        )),
        "{}",
        v.stderr
    );

    // A gzip member after the end-of-archive marker, holding an entry `tar -i` would read.
    let after = dir.path().join("after.tar.gz");
    let mut bytes = original.clone();
    bytes.extend(gzip(&tar_of(&[edited_report()])));
    fs::write(&after, &bytes).unwrap();
    let v = verify(&after);
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stderr.contains("after the end-of-archive marker"),
        "{}",
        v.stderr
    );
    assert!(v.stderr.contains("`reports/report.md`"), "{}", v.stderr);

    // Data after the marker inside the same gzip member.
    let inner = dir.path().join("inner.tar.gz");
    let mut tar_bytes = gunzip(&original);
    tar_bytes.extend_from_slice(&[b'x'; 100]);
    fs::write(&inner, gzip(&tar_bytes)).unwrap();
    let v = verify(&inner);
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stderr.contains("after the end-of-archive marker"),
        "{}",
        v.stderr
    );
}

#[test]
fn a_name_given_twice_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = signed_bundle(dir.path());
    let mut files = entries(&gunzip(&fs::read(&bundle).unwrap()));
    files.push(edited_report());
    let twice = dir.path().join("twice.tar.gz");
    fs::write(&twice, gzip(&tar_of(&files))).unwrap();
    let v = verify(&twice);
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stderr.contains(
            "refused entry `reports/report.md`: the archive holds two files of this name"
        ),
        "{}",
        v.stderr
    );
    assert!(v.stderr.contains("extracts the last"), "{}", v.stderr);
}

#[test]
fn an_archive_without_its_end_marker_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = signed_bundle(dir.path());
    let tar_bytes = gunzip(&fs::read(&bundle).unwrap());
    let last = entries(&tar_bytes).last().unwrap().0.clone();
    let cut = dir.path().join("cut.tar.gz");
    fs::write(&cut, gzip(&without_end_marker(tar_bytes.clone()))).unwrap();
    let v = verify(&cut);
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stderr.contains("no end-of-archive marker"),
        "{}",
        v.stderr
    );
    assert!(v.stderr.contains(&format!("`{last}`")), "{}", v.stderr);

    // One zero block of the two.
    let lone = dir.path().join("lone.tar.gz");
    let mut one = without_end_marker(tar_bytes);
    one.extend_from_slice(&[0; 512]);
    fs::write(&lone, gzip(&one)).unwrap();
    let v = verify(&lone);
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stderr.contains("no end-of-archive marker"),
        "{}",
        v.stderr
    );
}

/// `tar`, when installed; under CI its absence fails the test.
fn tar_tool() -> bool {
    support::need::tool("tar", &["--version"], "tar")
}

#[test]
fn an_archive_made_by_tar_with_zero_padding_verifies() {
    if !tar_tool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bundle = signed_bundle(dir.path());
    let unpacked = dir.path().join("unpacked");
    fs::create_dir(&unpacked).unwrap();
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&bundle)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    let repacked = dir.path().join("repacked.tar.gz");
    let status = std::process::Command::new("tar")
        .arg("czf")
        .arg(&repacked)
        .arg("-C")
        .arg(&unpacked)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    // GNU tar pads the archive with zeros to a record of 10240 bytes.
    assert_eq!(gunzip(&fs::read(&repacked).unwrap()).len() % 10240, 0);
    let v = verify(&repacked);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("result: intact"), "{}", v.stdout);
}

/// Every file below `dir` with its bytes, by relative path.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let path = e.path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if e.file_type().unwrap().is_dir() {
                out.push((format!("{rel}/"), Vec::new()));
                stack.push(path);
            } else {
                out.push((rel, fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A project directory that happens to hold a `manifest.json`.
fn project(dir: &Path) -> PathBuf {
    let project = dir.join("project");
    fs::create_dir_all(project.join("src")).unwrap();
    fs::write(project.join("src/app.js"), "console.log('mine');\n").unwrap();
    fs::write(
        project.join("manifest.json"),
        r#"{"format":"evidencer-snapshot","format_version":1,"tool":{"name":"evidencer","version":"0.1.0"},"collected_at":null,"kinds":{},"files":[]}"#,
    )
    .unwrap();
    project
}

#[test]
fn a_directory_holding_a_manifest_and_other_files_is_not_replaced_by_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    let before = tree(&project);
    let out = dir.path().join("out");
    let r = run(report(&out, &[]).arg("--bundle").arg(&project));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&project.display().to_string()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("src/app.js"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
    assert_eq!(tree(&project), before);
    // Refused before anything was written, the reports included.
    assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());
}

#[test]
fn a_bundle_directory_evidencer_wrote_is_replaced_and_one_edited_since_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let out = dir.path().join("out");
    report(&out, &[])
        .arg("--bundle")
        .arg(&bundle)
        .assert()
        .success();
    report_as_of(&out, "2026-10-31", &[])
        .arg("--bundle")
        .arg(&bundle)
        .assert()
        .success();
    assert_eq!(verify(&bundle).code, 0);
    let report_json: serde_json::Value =
        serde_json::from_slice(&fs::read(bundle.join("reports/report.json")).unwrap()).unwrap();
    assert_eq!(report_json["as_of"], "2026-10-31T23:59:59Z");

    // A file added since, or a listed file changed since: not only evidencer's any more.
    fs::write(bundle.join("notes.txt"), "the auditor's notes").unwrap();
    let before = tree(&bundle);
    let r = run(report(&out, &[]).arg("--bundle").arg(&bundle));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("notes.txt"), "{}", r.stderr);
    assert_eq!(tree(&bundle), before);
    fs::remove_file(bundle.join("notes.txt")).unwrap();
    fs::write(bundle.join("reports/report.md"), "edited").unwrap();
    let r = run(report(&out, &[]).arg("--bundle").arg(&bundle));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("reports/report.md"), "{}", r.stderr);
    assert_eq!(
        fs::read(bundle.join("reports/report.md")).unwrap(),
        b"edited"
    );
}

fn cluster() -> ApiServer {
    ApiServer::builder()
        .object(json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}
        }))
        .start()
}

fn collect(server: &ApiServer, home: &Path, out: &Path) -> Run {
    let kubeconfig = server.kubeconfig(home, "test");
    run(evidencer()
        .env("HOME", home)
        .args(["collect", "--cluster", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("--out")
        .arg(out))
}

#[test]
fn collect_does_not_replace_a_directory_that_only_holds_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    let before = tree(&project);
    let server = cluster();
    let r = collect(&server, dir.path(), &project);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("src/app.js"), "{}", r.stderr);
    assert_eq!(tree(&project), before);

    // A snapshot collect wrote is replaced; one with a file added since is not.
    let snap = dir.path().join("snap");
    assert_eq!(collect(&server, dir.path(), &snap).code, 0);
    let r = collect(&server, dir.path(), &snap);
    assert_eq!(r.code, 0, "{}", r.stderr);
    fs::write(snap.join("notes.txt"), "mine").unwrap();
    let r = collect(&server, dir.path(), &snap);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("notes.txt"), "{}", r.stderr);
    assert_eq!(fs::read(snap.join("notes.txt")).unwrap(), b"mine");
}

/// Runs `script` in a private mount namespace (`sh -c script sh evidencer fixture`).
/// `None` where that cannot be done; under CI=true that fails the test.
fn in_mount_namespace(script: &str) -> Option<std::process::Output> {
    if !support::namespaces::available() {
        return None;
    }
    Some(
        std::process::Command::new("unshare")
            .args(["-m", "sh", "-c", script, "sh"])
            .arg(env!("CARGO_BIN_EXE_evidencer"))
            .arg(minimal())
            .output()
            .unwrap(),
    )
}

#[test]
fn a_full_disk_leaves_the_earlier_reports_in_out_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let saved = dir.path().join("saved");
    fs::create_dir_all(&out).unwrap();
    fs::create_dir_all(&saved).unwrap();
    // The earlier run fills `out` on a small tmpfs; a filler takes all the space left but
    // 64 KiB: room for the new report.json (about 55 KiB), and file by file for each new
    // report as it replaces the old one, but not for the whole new set beside the old.
    let script = format!(
        "set -e; mount -t tmpfs -o size=2m tmpfs {o}; cd {o}; \
         echo mine > notes.txt; \
         \"$1\" report --snapshot \"$2\" --as-of 2026-09-30 --format json,md,html --out .; \
         cp report.json report.md report.html {s}/; \
         dd if=/dev/zero of=filler bs=4k 2>/dev/null || true; \
         truncate -s -64k filler; \
         set +e; \"$1\" report --snapshot \"$2\" --as-of 2026-10-31 --format json,md,html --out .; \
         echo \"exit=$?\"; ls -A; \
         for f in report.json report.md report.html; do cmp -s $f {s}/$f && echo \"$f kept\"; done",
        o = out.display(),
        s = saved.display()
    );
    let Some(result) = in_mount_namespace(&script) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"exit=2"), "{stdout}\n{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(
        &lines[1..],
        [
            "filler",
            "notes.txt",
            "report.html",
            "report.json",
            "report.md",
            "report.json kept",
            "report.md kept",
            "report.html kept"
        ],
        "{stdout}\n{stderr}"
    );
}

#[test]
fn out_dot_works_beside_other_files_and_a_dead_run_s_staging_folder_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("here");
    fs::create_dir_all(out.join(".evidencer-partial.dead01")).unwrap();
    fs::write(out.join(".evidencer-partial.dead01/report.json"), "half").unwrap();
    fs::write(out.join("README.md"), "mine").unwrap();
    fs::write(out.join("report.md"), "an earlier report").unwrap();
    let mut cmd = evidencer();
    cmd.current_dir(&out)
        .arg("report")
        .arg("--snapshot")
        .arg(minimal())
        .args(["--as-of", "2026-09-30", "--format", "md,json", "--out", "."]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["README.md", "report.json", "report.md"]);
    assert_eq!(fs::read(out.join("README.md")).unwrap(), b"mine");
    assert_ne!(
        fs::read(out.join("report.md")).unwrap(),
        b"an earlier report"
    );
}

/// A template directory holding `report.md` with `text`.
fn template(dir: &Path, text: &str) -> PathBuf {
    let templates = dir.join("templates");
    fs::create_dir_all(&templates).unwrap();
    fs::write(templates.join("report.md"), text).unwrap();
    templates
}

#[test]
fn a_template_that_explodes_stops_quickly_with_a_clear_error_and_writes_nothing() {
    for (name, text, limit) in [
        (
            "nested loops",
            "{% for a in range(end=100000) %}{% for b in range(end=100000) %}\
             {% for c in controls %}{% endfor %}{% endfor %}{% endfor %}",
            "loop iterations",
        ),
        (
            "a huge range",
            "{% for a in range(end=10**9) %}x{% endfor %}",
            "exceeds the limit of 100000",
        ),
        (
            "a huge output",
            "{% for a in range(end=1000) %}{% for b in range(end=1000) %}\
             {{ \"0123456789\" ~ \"0123456789\" ~ \"0123456789\" ~ \"0123456789\" }}\
             {{ controls | length }}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
             xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
             xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
             xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
             {% endfor %}{% endfor %}",
            "bytes of output",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let templates = template(dir.path(), text);
        let out = dir.path().join("out");
        let started = Instant::now();
        let r = run(report(&out, &[]).arg("--templates").arg(&templates));
        let took = started.elapsed();
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(took < Duration::from_secs(60), "{name}: took {took:?}");
        let shown = templates.join("report.md").display().to_string();
        assert!(r.stderr.contains(&shown), "{name}: {}", r.stderr);
        assert!(r.stderr.contains(limit), "{name}: {}", r.stderr);
        assert!(
            !out.exists() || fs::read_dir(&out).unwrap().next().is_none(),
            "{name}: nothing is written"
        );
    }
}

/// Characters that must not reach a text output raw.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| {
            (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                || matches!(*c as u32, 0x202A..=0x202E | 0x2066..=0x2069)
        })
        .collect()
}

#[test]
fn control_characters_from_the_input_reach_no_text_output_raw() {
    let dir = tempfile::tempdir().unwrap();
    // The snapshot's directory name reaches every output through the source and locators.
    let snap = dir.path().join("snap\u{1b}[31m");
    fs::create_dir(&snap).unwrap();
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": "web\u{1b}]8;;https://evil.example\u{7}click\u{1b}]8;;\u{7}",
            "namespace": "shop\u{202e}gnp.exe\u{2066}"
        },
        "spec": {"template": {"spec": {"containers": [{
            "name": "app\u{0}", "image": "registry.example.com/web\u{1b}[2J:1.0"
        }]}}}
    });
    fs::write(snap.join("app.json"), deployment.to_string()).unwrap();
    // An unreadable file: its name goes to the log.
    fs::write(snap.join("broken\u{7}\u{1b}[2K.yaml"), "kind: [unclosed").unwrap();
    let out = dir.path().join("out");
    let r = run(evidencer()
        .arg("report")
        .arg("--snapshot")
        .arg(&snap)
        .args([
            "--as-of",
            "2026-09-30",
            "--format",
            "md,html,json,csv,pdf",
            "-v",
        ])
        .arg("--out")
        .arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(raw_controls(&r.stderr), Vec::<char>::new(), "{}", r.stderr);
    assert!(r.stderr.contains("\\u{1b}"), "{}", r.stderr);
    for file in ["report.md", "report.html", "answers.csv"] {
        let text = fs::read_to_string(out.join(file)).unwrap();
        assert_eq!(raw_controls(&text), Vec::<char>::new(), "{file}");
        assert!(text.contains("\\u{1b}"), "{file}");
    }
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("\\u{202e}"), "{md}");
    // report.json keeps the data exact (JSON escapes are fine).
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    let text = report.to_string();
    assert!(text.contains("shop\u{202e}gnp.exe\u{2066}"));
    let raw = fs::read_to_string(out.join("report.json")).unwrap();
    assert_eq!(
        raw_controls(&raw),
        Vec::<char>::new(),
        "report.json escapes them"
    );
}
