//! `report --bundle`, `--sign-key` and `verify` end to end, with the real binary: what a
//! bundle holds, that it is byte-identical from run to run (whatever the order of the input
//! files, their times, the time zone or the locale), that `verify` names every file
//! that was changed, added or removed (in a directory, and in a `.tar.gz` re-packed after
//! the change), that corrupt and hostile archives get clear errors, and that signatures
//! check with the key that made them and fail with any other. The signature tests also run
//! the standard `minisign` tool (Debian package `minisign`; `.ci/run` installs it) on the
//! bundle; without it those parts say so and are skipped (a failure under CI).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use evidencer::bundle::tar_gz::{self, Limits};
use sha2::{Digest, Sha256};

use crate::support::reruns;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What [`report`] reads, relative to the repository.
const SAMPLE_INPUTS: [&str; 2] = ["samples/snapshot", "samples/exceptions.yaml"];

fn evidencer() -> Command {
    let mut cmd = Command::cargo_bin("evidencer").unwrap();
    cmd.current_dir(ROOT);
    cmd
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `evidencer report` on the sample snapshot with its exceptions, every format, writing the
/// reports to `out` and the bundle to `bundle`; `extra` adds flags.
fn report(out: &Path, bundle: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    report_with(evidencer(), out, bundle, extra)
}

/// [`report`], run by `cmd`, whose working directory holds `samples/`.
fn report_with(
    mut cmd: Command,
    out: &Path,
    bundle: &Path,
    extra: &[&str],
) -> assert_cmd::assert::Assert {
    cmd.args([
        "report",
        "--snapshot",
        "samples/snapshot",
        "--as-of",
        "2026-09-30",
    ])
    .args(["--format", "md,html,json,pdf,csv", "--org", "Example Corp"])
    .args(["--exceptions", "samples/exceptions.yaml"])
    .args(["--trusted-registry", "registry.example.com", "--out"])
    .arg(out)
    .arg("--bundle")
    .arg(bundle)
    .args(extra)
    .assert()
}

struct Verified {
    code: i32,
    stdout: String,
    stderr: String,
}

fn verify(bundle: &Path, pubkey: Option<&Path>) -> Verified {
    let mut cmd = evidencer();
    cmd.arg("verify").arg(bundle);
    if let Some(pk) = pubkey {
        cmd.arg("--pubkey").arg(pk);
    }
    let out = cmd.output().unwrap();
    Verified {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

fn listed(manifest: &serde_json::Value) -> Vec<String> {
    manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

fn flip_byte(path: &Path) {
    let mut bytes = fs::read(path).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    fs::write(path, bytes).unwrap();
}

#[test]
fn a_directory_bundle_holds_the_evidence_and_every_report_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (out, bundle) = (dir.path().join("out"), dir.path().join("q3-bundle"));
    report(&out, &bundle, &[]).success();

    let m = manifest(&bundle);
    assert_eq!(
        m["format"], "evidencer-snapshot",
        "the snapshot manifest format"
    );
    let report_json = fs::read(out.join("report.json")).unwrap();
    assert_eq!(m["bundle"]["report_id"], sha256(&report_json));
    // Every report written is in the bundle, byte for byte.
    for name in [
        "report.md",
        "report.html",
        "report.json",
        "report.pdf",
        "answers.csv",
    ] {
        assert_eq!(
            fs::read(bundle.join("reports").join(name)).unwrap(),
            fs::read(out.join(name)).unwrap(),
            "{name}"
        );
    }
    // Each listed file with its size and sha256, and nothing unlisted but the manifest.
    let files = m["files"].as_array().unwrap();
    for f in files {
        let bytes = fs::read(bundle.join(f["path"].as_str().unwrap())).unwrap();
        assert_eq!(f["size"], bytes.len());
        assert_eq!(f["sha256"], sha256(&bytes));
    }
    let on_disk = walk(&bundle);
    assert_eq!(on_disk.len(), files.len() + 1, "{on_disk:?}");
    // The evidence as kept: redacted objects whose items hash to their records.
    let report: serde_json::Value = serde_json::from_slice(&report_json).unwrap();
    let records: std::collections::HashMap<&str, &str> = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["sha256"].as_str().unwrap()))
        .collect();
    let pods = bundle.join("evidence/snapshot-samples-snapshot/objects/pod.json");
    let text = fs::read_to_string(&pods).unwrap();
    let entry = m["bundle"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("/objects/pod.json"))
        .unwrap();
    let items: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with('{') && !l.contains("\"kind\":\"List\""))
        .map(|l| l.trim_end_matches(','))
        .collect();
    let ids = entry["records"].as_array().unwrap();
    assert_eq!(items.len(), ids.len());
    for (item, id) in items.iter().zip(ids) {
        assert_eq!(records[id.as_str().unwrap()], sha256(item.as_bytes()));
    }
    for f in walk(&bundle) {
        let text = String::from_utf8_lossy(&fs::read(bundle.join(&f)).unwrap()).into_owned();
        assert!(
            !text.contains("hunter2") && !text.contains("aHVudGVyMg=="),
            "{f} holds a secret value"
        );
    }

    let v = verify(&bundle, None);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("result: intact"), "{}", v.stdout);
    assert!(v.stdout.contains(&sha256(&report_json)), "{}", v.stdout);
}

/// Every file below `dir`, `/`-separated, sorted.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn verify_names_each_file_changed_added_or_removed_in_a_directory_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b");
    report(&dir.path().join("out"), &bundle, &[]).success();
    let mut paths = listed(&manifest(&bundle));
    paths.push("manifest.json".into());
    assert!(paths.len() > 10, "{paths:?}");
    for path in &paths {
        let file = bundle.join(path);
        let original = fs::read(&file).unwrap();
        flip_byte(&file);
        let v = verify(&bundle, None);
        assert_eq!(v.code, 1, "{path}: {}{}", v.stdout, v.stderr);
        assert!(
            v.stdout.contains(&format!("changed: {path} (")),
            "{path}: {}",
            v.stdout
        );
        assert!(v.stdout.contains("result: NOT intact"), "{}", v.stdout);
        fs::write(&file, original).unwrap();
    }
    assert_eq!(verify(&bundle, None).code, 0, "restored");

    let removed = "reports/answers.csv";
    let kept = fs::read(bundle.join(removed)).unwrap();
    fs::remove_file(bundle.join(removed)).unwrap();
    let v = verify(&bundle, None);
    assert_eq!(v.code, 1);
    assert!(
        v.stdout.contains(&format!("removed: {removed}")),
        "{}",
        v.stdout
    );
    fs::write(bundle.join(removed), kept).unwrap();

    fs::write(bundle.join("evidence/extra.json"), "{}").unwrap();
    let v = verify(&bundle, None);
    assert_eq!(v.code, 1);
    assert!(
        v.stdout.contains("added: evidence/extra.json"),
        "{}",
        v.stdout
    );
}

#[test]
fn a_tar_gz_bundle_is_byte_identical_and_verify_names_a_file_changed_before_repacking() {
    let dir = tempfile::tempdir().unwrap();
    // Two runs that differ in all that must not matter (and in the name's extension).
    let runs = reruns::two(&SAMPLE_INPUTS);
    let names = [Path::new("bundle.tar.gz"), Path::new("bundle.tgz")];
    for (run, name) in runs.iter().zip(names) {
        report_with(run.evidencer(), Path::new("out"), name, &[]).success();
    }
    let a = runs[0].path().join(names[0]);
    let bytes = fs::read(&a).unwrap();
    assert!(bytes.starts_with(&[0x1f, 0x8b]), "gzip");
    assert!(
        bytes == fs::read(runs[1].path().join(names[1])).unwrap(),
        "two runs, two archives"
    );
    let v = verify(&a, None);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);

    // Unpack, change one file, pack again as an editor would, for every file.
    let unpacked = dir.path().join("unpacked");
    fs::create_dir(&unpacked).unwrap();
    let mut names = tar_gz::extract(&a, &unpacked, Limits::default()).unwrap();
    assert_eq!(names.last().map(String::as_str), Some("manifest.json"));
    let repacked = dir.path().join("edited.tar.gz");
    let repack = |names: &[String]| {
        let files: Vec<(String, Vec<u8>)> = names
            .iter()
            .map(|n| (n.clone(), fs::read(unpacked.join(n)).unwrap()))
            .collect();
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let out = fs::File::create(&repacked).unwrap();
        tar_gz::write_tar_gz(out, &refs, 0)
            .unwrap()
            .finish()
            .unwrap();
    };
    repack(&names);
    assert_eq!(verify(&repacked, None).code, 0, "repacked unchanged");
    for name in &names {
        let file = unpacked.join(name);
        let original = fs::read(&file).unwrap();
        flip_byte(&file);
        repack(&names);
        let v = verify(&repacked, None);
        assert_eq!(v.code, 1, "{name}: {}{}", v.stdout, v.stderr);
        assert!(
            v.stdout.contains(&format!("changed: {name} (")),
            "{name}: {}",
            v.stdout
        );
        fs::write(&file, original).unwrap();
    }
    // A file dropped from the archive, and one slipped in.
    let dropped = names.remove(0);
    repack(&names);
    let v = verify(&repacked, None);
    assert!(
        v.stdout.contains(&format!("removed: {dropped}")),
        "{}",
        v.stdout
    );
    names.insert(0, dropped);
    fs::write(unpacked.join("reports/notes.txt"), "added later").unwrap();
    names.push("reports/notes.txt".into());
    repack(&names);
    let v = verify(&repacked, None);
    assert_eq!(v.code, 1);
    assert!(
        v.stdout.contains("added: reports/notes.txt"),
        "{}",
        v.stdout
    );
}

/// A `.tar.gz` holding one entry with a header written by hand, as an attacker would.
fn hostile_archive(name: &str, kind: tar::EntryType, link: Option<&str>) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(2);
    if let Some(l) = link {
        header.set_link_name(l).unwrap();
        header.set_size(0);
    }
    header.set_cksum();
    let mut tar = tar::Builder::new(Vec::new());
    let body: &[u8] = if link.is_some() { b"" } else { b"{}" };
    tar.append(&header, body).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

#[test]
fn corrupt_hostile_and_missing_bundles_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b.tar.gz");
    report(&dir.path().join("out"), &bundle, &[]).success();
    let bytes = fs::read(&bundle).unwrap();

    let cut = dir.path().join("cut.tar.gz");
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let v = verify(&cut, None);
    assert_eq!(v.code, 2, "an unreadable bundle is an error: {}", v.stderr);
    assert!(v.stderr.contains("cut.tar.gz"), "{}", v.stderr);
    assert!(
        v.stderr.contains("corrupt or is not a bundle"),
        "{}",
        v.stderr
    );

    let junk = dir.path().join("junk.tar.gz");
    fs::write(&junk, b"this is not an archive").unwrap();
    let v = verify(&junk, None);
    assert_eq!(v.code, 2);
    assert!(
        v.stderr.contains("corrupt or is not a bundle"),
        "{}",
        v.stderr
    );

    // Entries that would land outside the directory are refused before anything is read.
    let victim = dir.path().join("evil");
    for (name, kind, link, shown) in [
        ("../evil", tar::EntryType::Regular, None, "../evil"),
        ("/tmp/evil", tar::EntryType::Regular, None, "/tmp/evil"),
        (
            "reports/link",
            tar::EntryType::Symlink,
            Some("/etc/passwd"),
            "reports/link",
        ),
        (
            "hard",
            tar::EntryType::Link,
            Some("../../etc/passwd"),
            "hard",
        ),
    ] {
        let path = dir.path().join("hostile.tar.gz");
        fs::write(&path, hostile_archive(name, kind, link)).unwrap();
        let v = verify(&path, None);
        assert_eq!(v.code, 2, "{name}: {}{}", v.stdout, v.stderr);
        assert!(
            v.stderr.contains(&format!("refused entry `{shown}`")),
            "{name}: {}",
            v.stderr
        );
        assert!(!victim.exists());
    }

    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    fs::write(empty.join("report.json"), "{}").unwrap();
    let v = verify(&empty, None);
    assert_eq!(v.code, 2);
    assert!(
        v.stderr
            .contains("not an evidencer bundle: it has no manifest.json"),
        "{}",
        v.stderr
    );
    let v = verify(&dir.path().join("nowhere"), None);
    assert_eq!(v.code, 2);
    assert!(
        v.stderr.contains("no such file or directory"),
        "{}",
        v.stderr
    );
}

#[test]
fn an_existing_directory_that_is_not_a_bundle_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("home");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("thesis.txt"), "precious").unwrap();
    let out = report(&dir.path().join("out"), &target, &[])
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("it holds `thesis.txt` and no manifest.json"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(target.join("thesis.txt")).unwrap(),
        "precious"
    );
    // An earlier bundle is replaced whole, but not once someone put a file of theirs in it.
    let bundle = dir.path().join("bundle");
    report(&dir.path().join("out"), &bundle, &[]).success();
    fs::write(bundle.join("stray"), "x").unwrap();
    let out = report(&dir.path().join("out"), &bundle, &[])
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("it holds `stray`"), "{stderr}");
    assert_eq!(fs::read_to_string(bundle.join("stray")).unwrap(), "x");
    fs::remove_file(bundle.join("stray")).unwrap();
    report(&dir.path().join("out"), &bundle, &[]).success();
    assert_eq!(verify(&bundle, None).code, 0);
}

/// A key pair written by the `minisign` crate in minisign's file format.
fn crate_key_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let kp = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let sk = dir.join(format!("{name}.key"));
    let pk = dir.join(format!("{name}.pub"));
    fs::write(&sk, kp.sk.to_box(None).unwrap().to_string()).unwrap();
    fs::write(&pk, kp.pk.to_box().unwrap().to_string()).unwrap();
    (sk, pk)
}

/// The standard tool, when installed.
fn minisign_tool() -> bool {
    crate::support::need::tool("minisign", &["-v"], "minisign")
}

/// A key pair made by the `minisign` tool itself, without a password (`-W`).
fn tool_key_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let sk = dir.join(format!("{name}.key"));
    let pk = dir.join(format!("{name}.pub"));
    let out = Process::new("minisign")
        .args(["-G", "-W", "-p"])
        .arg(&pk)
        .arg("-s")
        .arg(&sk)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign -G: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (sk, pk)
}

fn assert_signed_and_checked(dir: &Path, sk: &Path, pk: &Path, other_pk: &Path) {
    let bundle = dir.join("signed");
    let assert = report(
        &dir.join("out"),
        &bundle,
        &["--sign-key", sk.to_str().unwrap(), "-vv"],
    )
    .success();
    let secret = fs::read_to_string(sk).unwrap();
    let secret_line = secret.lines().nth(1).unwrap().trim();
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&assert.get_output().stdout),
        String::from_utf8_lossy(&assert.get_output().stderr)
    );
    assert!(!logs.contains(secret_line), "the secret key is in the logs");
    for f in walk(&bundle) {
        let text = fs::read_to_string(bundle.join(&f)).unwrap_or_default();
        assert!(!text.contains(secret_line), "the secret key is in {f}");
    }
    assert!(bundle.join("manifest.json.minisig").is_file());

    let v = verify(&bundle, Some(pk));
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout
            .contains("signature: valid, made with the key given"),
        "{}",
        v.stdout
    );
    let v = verify(&bundle, None);
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert!(v.stdout.contains("pass --pubkey"), "{}", v.stdout);

    // Another key: the signature does not hold, and verify says whose it is.
    let v = verify(&bundle, Some(other_pk));
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("signature: INVALID"), "{}", v.stdout);
    assert!(v.stdout.contains("not with the key given"), "{}", v.stdout);

    // A manifest edited with its digest recomputed still fails: the signature covers it.
    let sig = fs::read(bundle.join("manifest.json.minisig")).unwrap();
    let forged = dir.join("forged");
    copy_dir(&bundle, &forged);
    let text = fs::read_to_string(forged.join("manifest.json")).unwrap();
    let mut m = evidencer::evidence::manifest::Manifest::parse("manifest.json", &text).unwrap();
    m.namespaces.push("forged".into());
    fs::write(forged.join("manifest.json"), evidencer::bundle::seal(m)).unwrap();
    let v = verify(&forged, Some(pk));
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(v.stdout.contains("signature: INVALID"), "{}", v.stdout);
    assert!(
        !v.stdout.contains("changed: manifest.json"),
        "resealed: {}",
        v.stdout
    );

    // No signature where the key asks for one.
    fs::remove_file(forged.join("manifest.json.minisig")).unwrap();
    fs::write(forged.join("manifest.json"), text).unwrap();
    let v = verify(&forged, Some(pk));
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(v.stdout.contains("signature: missing"), "{}", v.stdout);
    fs::write(forged.join("manifest.json.minisig"), sig).unwrap();
    assert_eq!(verify(&forged, Some(pk)).code, 0);
}

fn copy_dir(from: &Path, to: &Path) {
    for f in walk(from) {
        let target = to.join(&f);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(from.join(&f), target).unwrap();
    }
}

#[test]
fn a_signed_bundle_verifies_with_its_public_key_and_fails_with_another() {
    let dir = tempfile::tempdir().unwrap();
    let (sk, pk) = crate_key_pair(dir.path(), "signer");
    let (_, other) = crate_key_pair(dir.path(), "other");
    assert_signed_and_checked(dir.path(), &sk, &pk, &other);

    // Signed archives are as deterministic as unsigned ones.
    let runs = reruns::two(&SAMPLE_INPUTS);
    let sign = ["--sign-key", sk.to_str().unwrap()];
    for run in &runs {
        report_with(
            run.evidencer(),
            Path::new("o"),
            Path::new("b.tar.gz"),
            &sign,
        )
        .success();
    }
    reruns::same_bytes(&runs, "b.tar.gz");
    let a = runs[0].path().join("b.tar.gz");
    assert_eq!(verify(&a, Some(&pk)).code, 0);
    assert_eq!(verify(&a, Some(&other)).code, 1);

    // An unsigned bundle fails when a signature is required.
    let unsigned = dir.path().join("unsigned");
    report(&dir.path().join("ou"), &unsigned, &[]).success();
    let v = verify(&unsigned, Some(&pk));
    assert_eq!(v.code, 1);
    assert!(v.stdout.contains("signature: missing"), "{}", v.stdout);
}

#[test]
fn keys_made_by_the_minisign_tool_sign_bundles_the_tool_verifies() {
    if !minisign_tool() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (sk, pk) = tool_key_pair(dir.path(), "signer");
    let (_, other) = tool_key_pair(dir.path(), "other");
    assert_signed_and_checked(dir.path(), &sk, &pk, &other);

    let bundle = dir.path().join("signed");
    let tool_verify = |pk: &Path, file: &Path| {
        Process::new("minisign")
            .arg("-Vm")
            .arg(file)
            .arg("-x")
            .arg(bundle.join("manifest.json.minisig"))
            .arg("-p")
            .arg(pk)
            .output()
            .unwrap()
    };
    let ok = tool_verify(&pk, &bundle.join("manifest.json"));
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "minisign -V: {stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("Signature and comment signature verified"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Trusted comment: evidencer bundle report_id:"),
        "{stdout}"
    );
    assert!(
        !tool_verify(&other, &bundle.join("manifest.json"))
            .status
            .success()
    );
    let edited = dir.path().join("edited.json");
    let mut bytes = fs::read(bundle.join("manifest.json")).unwrap();
    bytes.push(b'\n');
    fs::write(&edited, bytes).unwrap();
    assert!(!tool_verify(&pk, &edited).status.success());
}

#[test]
fn signing_needs_a_bundle_and_a_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    let (sk, pk) = crate_key_pair(dir.path(), "k");
    let out = dir.path().join("out");
    let assert = evidencer()
        .args([
            "report",
            "--snapshot",
            "tests/fixtures/report-minimal",
            "--out",
        ])
        .arg(&out)
        .arg("--sign-key")
        .arg(&sk)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(stderr.contains("give --bundle PATH too"), "{stderr}");
    assert!(!out.exists(), "nothing is written");

    let bundle = dir.path().join("b");
    let assert = report(&out, &bundle, &["--sign-key", pk.to_str().unwrap()]).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(stderr.contains("is not a minisign secret key"), "{stderr}");
    assert!(!bundle.exists() && !out.exists(), "nothing is written");

    let v = verify(&bundle, Some(&sk));
    assert_eq!(v.code, 2);
}

/// The manifest's layout, for a one-object snapshot. The hashes of the reports (and with
/// them the report id and the manifest's digest of itself) change whenever a report does,
/// so they are masked here; the evidence file's are not: they are the evidence.
#[test]
fn the_bundle_manifest_matches_its_golden() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b");
    evidencer()
        .args(["report", "--snapshot", "tests/fixtures/report-minimal"])
        .args(["--as-of", "2026-09-30", "--format", "json,csv", "--out"])
        .arg(dir.path().join("out"))
        .arg("--bundle")
        .arg(&bundle)
        .assert()
        .success();
    // The bytes as written, so the golden shows the layout too.
    let mut text = fs::read_to_string(bundle.join("manifest.json")).unwrap();
    let m = manifest(&bundle);
    let mut masks = vec![
        (
            format!(
                "\"version\": \"{}\"",
                m["tool"]["version"].as_str().unwrap()
            ),
            "\"version\": \"[version]\"".to_string(),
        ),
        (
            m["manifest_sha256"].as_str().unwrap().to_string(),
            "[sha256 of this manifest without this field]".into(),
        ),
    ];
    for f in m["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        if path.starts_with("reports/") {
            masks.push((
                format!(
                    "\"size\": {},\n      \"sha256\": \"{}\"",
                    f["size"],
                    f["sha256"].as_str().unwrap()
                ),
                format!(
                    "\"size\": \"[size of {path}]\",\n      \"sha256\": \"[sha256 of {path}]\""
                ),
            ));
        }
    }
    masks.push((
        m["bundle"]["report_id"].as_str().unwrap().to_string(),
        "[sha256 of reports/report.json]".into(),
    ));
    for (from, to) in masks {
        assert!(text.contains(&from), "{from} not in {text}");
        text = text.replace(&from, &to);
    }
    insta::assert_snapshot!("bundle-manifest.json", text);
}
