//! Dogfooding: evidencer's own deployment (`deploy/`) is held to evidencer's own checks.
//!
//! The kustomize base and the example overlay (as evidencer reads it, and as `kubectl
//! kustomize` renders it, patches applied, where kubectl is installed) go through the real
//! binary as manifests; the Dockerfile goes through the repository checks. Every check that
//! applies must pass. The one warning allowed is a tag-only reference to evidencer's own
//! image, which has no release digest to pin yet (an overlay adds the digest of your build).

use crate::support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use evidencer::checks::{self, CheckContext, CheckSettings};
use evidencer::evidence::finding::Status;
use evidencer::evidence::inventory::{CollectedFile, Inventory};
use evidencer::evidence::record::{Source, SourceKind, evidence_id};
use evidencer::facts::Facts;

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
}

/// The findings of `report` over `input`, as (check, status, subject, message).
fn findings_of(input: &Path) -> Vec<(String, String, String, String)> {
    let out = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_evidencer"))
        .arg("report")
        .arg("--snapshot")
        .arg(input)
        .args(["--as-of", "2026-10-01", "--format", "json", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["summary"]["objects"].as_u64().map(|n| n > 0),
        Some(true),
        "{} read no object",
        input.display()
    );
    let problems = &report["inputs"]["problems"];
    if let Some(problems) = problems.as_array() {
        for p in problems {
            assert_ne!(p["level"], "error", "{}: {p}", input.display());
        }
    }
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = &f["subject"];
            (
                f["check"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
                format!(
                    "{} {}/{} {}",
                    s["kind"].as_str().unwrap_or(""),
                    s["namespace"].as_str().unwrap_or(""),
                    s["name"].as_str().unwrap_or(""),
                    s["container"].as_str().unwrap_or("")
                ),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Fails on anything but pass, not_applicable and not_assessed, except a tag-only
/// reference to evidencer's own image; returns the checks that passed.
fn assert_clean(input: &Path, findings: &[(String, String, String, String)]) -> Vec<String> {
    let mut passed = Vec::new();
    let mut bad = Vec::new();
    for (check, status, subject, message) in findings {
        match status.as_str() {
            "pass" => passed.push(check.clone()),
            "not_applicable" | "not_assessed" => {}
            "warn"
                if check == "image-pinned-by-digest"
                    && subject.ends_with(" evidencer")
                    && message.contains("0.1.0") => {}
            _ => bad.push(format!("{check} {status} {subject}: {message}")),
        }
    }
    assert!(bad.is_empty(), "{}:\n{}", input.display(), bad.join("\n"));
    passed.sort();
    passed.dedup();
    passed
}

#[test]
fn the_kustomize_base_passes_every_check_that_applies() {
    let input = deploy("base");
    let findings = findings_of(&input);
    let passed = assert_clean(&input, &findings);
    for check in [
        "run-as-non-root",
        "read-only-root-filesystem",
        "no-privilege-escalation",
        "image-tag-not-latest",
        "pod-security-enforced",
    ] {
        assert!(
            passed.contains(&check.to_string()),
            "{check} did not pass: {passed:?}"
        );
    }
}

#[test]
fn the_example_overlay_as_kustomize_renders_it_passes_too() {
    let overlay = deploy("overlays/example");
    // evidencer's reader applies `images:` but not patches; the overlay's git-sync init
    // container arrives by patch, so the rendered output is checked too.
    let passed = assert_clean(&overlay, &findings_of(&overlay));
    assert!(
        passed.contains(&"run-as-non-root".to_string()),
        "{passed:?}"
    );
    let Some(rendered) = support::kustomize::render(&overlay) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("rendered.yaml");
    fs::write(&file, rendered).unwrap();
    let findings = findings_of(&file);
    let passed = assert_clean(&file, &findings);
    for check in [
        "run-as-non-root",
        "read-only-root-filesystem",
        "no-privilege-escalation",
        "read-only-root-enforced",
        "pod-security-enforced",
    ] {
        assert!(passed.contains(&check.to_string()), "{check}: {findings:?}");
    }
    let git_sync: Vec<_> = findings
        .iter()
        .filter(|f| f.2.ends_with(" git-sync-app"))
        .collect();
    assert!(
        git_sync
            .iter()
            .any(|f| f.0 == "image-pinned-by-digest" && f.1 == "pass"),
        "{git_sync:?}"
    );
}

#[test]
fn the_dockerfile_passes_the_repository_checks() {
    let text = fs::read_to_string(deploy("Dockerfile")).unwrap();
    let source = Source {
        id: "repo:evidencer".into(),
        kind: SourceKind::Repository,
        location: "evidencer".into(),
        identity: "evidencer".into(),
        details: BTreeMap::new(),
    };
    let mut inventory = Inventory::default();
    inventory.files.push(CollectedFile {
        source: source.id.clone(),
        path: "deploy/Dockerfile".into(),
        commit: None,
        evidence: evidence_id(&source.id, "deploy/Dockerfile"),
        text: text.into(),
        committed_at: None,
        earlier: false,
    });
    inventory.sources.push(source);
    let facts = Facts::build(&inventory);
    let settings = CheckSettings::default();
    let ctx = CheckContext {
        inventory: &inventory,
        facts: &facts,
        settings: &settings,
        audit: None,
    };
    let mut judged = BTreeMap::new();
    for f in checks::run_all(&ctx) {
        if f.subject.kind == "Dockerfile" {
            judged.insert(f.check.to_string(), (f.status, f.message.clone()));
        }
    }
    for check in [
        "base-image-pinned",
        "base-image-minimal",
        "dockerfile-non-root-user",
    ] {
        assert_eq!(
            judged.get(check).map(|(s, _)| *s),
            Some(Status::Pass),
            "{check}: {judged:?}"
        );
    }
    for (check, (status, message)) in &judged {
        assert_eq!(*status, Status::Pass, "{check}: {message}");
    }
}

#[test]
fn the_final_image_has_no_shell_and_runs_as_a_numeric_non_root_user() {
    let text = fs::read_to_string(deploy("Dockerfile")).unwrap();
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    assert!(froms[1].contains("gcr.io/distroless/static"), "{froms:?}");
    for from in &froms {
        assert!(from.contains("@sha256:"), "{from}");
    }
    let user = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .unwrap();
    let uid: u32 = user
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("numeric uid");
    assert_ne!(uid, 0);
    // Exec form: no shell in the image to run a shell-form entrypoint with.
    assert!(text.contains("ENTRYPOINT [\"/usr/local/bin/evidencer\"]"));
}

fn yaml(path: &str) -> serde_json::Value {
    serde_saphyr::from_str(&fs::read_to_string(deploy(path)).unwrap()).unwrap()
}

#[test]
fn the_cronjob_is_scheduled_and_locked_down_as_a_scheduled_evidence_run_should_be() {
    let cronjob = yaml("base/cronjob.yaml");
    let spec = &cronjob["spec"];
    assert_eq!(spec["schedule"], "0 6 1 1,4,7,10 *");
    assert_eq!(spec["concurrencyPolicy"], "Forbid");
    let job = &spec["jobTemplate"]["spec"];
    assert!(
        job["backoffLimit"].as_u64().is_some_and(|n| n <= 3),
        "{job}"
    );
    assert!(job["activeDeadlineSeconds"].as_u64().is_some(), "{job}");
    let pod = &job["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let container = &pod["containers"][0];
    let sc = &container["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for wanted in [
        "--period=previous-quarter",
        "--archive=/reports",
        "--log-format=json",
    ] {
        assert!(args.contains(&wanted), "{wanted} in {args:?}");
    }
    let volumes = pod["volumes"].as_array().unwrap();
    let scratch = volumes.iter().find(|v| v["name"] == "scratch").unwrap();
    assert!(scratch.get("emptyDir").is_some(), "{scratch}");
    let reports = volumes.iter().find(|v| v["name"] == "reports").unwrap();
    assert_eq!(
        reports["persistentVolumeClaim"]["claimName"],
        yaml("base/pvc.yaml")["metadata"]["name"]
    );
}

#[test]
fn the_network_policy_takes_no_traffic_and_sends_only_dns_and_api_server_traffic() {
    let policy = yaml("base/networkpolicy.yaml");
    let spec = &policy["spec"];
    assert_eq!(
        spec["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    assert_eq!(spec["ingress"], serde_json::json!([]));
    // It selects the CronJob's pods.
    let labels =
        &yaml("base/cronjob.yaml")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"];
    for (k, v) in spec["podSelector"]["matchLabels"].as_object().unwrap() {
        assert_eq!(&labels[k], v);
    }
    let egress = spec["egress"].as_array().unwrap();
    assert_eq!(egress.len(), 2, "DNS and the API server only: {egress:?}");
    let ports = |rule: &serde_json::Value| -> Vec<u64> {
        rule["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["port"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(ports(&egress[0]), [53, 53]);
    assert_eq!(
        egress[0]["to"][0]["podSelector"]["matchLabels"]["k8s-app"],
        "kube-dns"
    );
    // Every destination is one address or a pod selector: no open CIDR.
    for rule in egress {
        for to in rule["to"].as_array().unwrap() {
            if let Some(cidr) = to["ipBlock"]["cidr"].as_str() {
                assert!(cidr.ends_with("/32"), "{cidr}");
            }
        }
    }
}

/// Every key of every YAML document under `dir`, with the file it is in.
fn keys_in(dir: &Path, out: &mut Vec<(String, String)>) {
    fn walk(v: &serde_json::Value, file: &str, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, child) in m {
                    out.push((file.to_string(), k.clone()));
                    walk(child, file, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, file, out)),
            _ => {}
        }
    }
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            keys_in(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            let text = fs::read_to_string(&path).unwrap();
            for doc in text.split("\n---") {
                let value: serde_json::Value = serde_saphyr::from_str(doc).unwrap();
                walk(&value, &path.display().to_string(), out);
            }
        }
    }
}

#[test]
fn no_manifest_mounts_a_host_path() {
    let mut keys = Vec::new();
    keys_in(&deploy(""), &mut keys);
    assert!(keys.len() > 100, "{} keys", keys.len());
    let host: Vec<_> = keys.iter().filter(|(_, k)| k == "hostPath").collect();
    assert!(host.is_empty(), "{host:?}");
}

#[test]
fn the_example_overlay_reads_audit_logs_read_only_from_the_shippers_volume() {
    let Some(rendered) = support::kustomize::render(&deploy("overlays/example")) else {
        return;
    };
    let docs: Vec<serde_json::Value> = rendered
        .split("\n---\n")
        .map(|d| serde_saphyr::from_str(d).unwrap())
        .collect();
    let cronjob = docs.iter().find(|d| d["kind"] == "CronJob").unwrap();
    let pod = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "audit-logs")
        .expect("an audit-logs volume");
    let claim = volume["persistentVolumeClaim"]["claimName"]
        .as_str()
        .unwrap();
    assert_eq!(volume["persistentVolumeClaim"]["readOnly"], true);
    let pvc = docs
        .iter()
        .find(|d| d["kind"] == "PersistentVolumeClaim" && d["metadata"]["name"] == claim)
        .expect("the claim is part of the overlay");
    // The shipper writes while the job reads.
    assert_eq!(
        pvc["spec"]["accessModes"],
        serde_json::json!(["ReadWriteMany"])
    );
    let container = &pod["containers"][0];
    let mount = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "audit-logs")
        .expect("the evidencer container mounts it");
    assert_eq!(mount["readOnly"], true);
    let path = mount["mountPath"].as_str().unwrap();
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.contains(&format!("--audit-log={path}").as_str()),
        "{args:?}"
    );
    // Only the evidencer container sees the logs.
    for init in pod["initContainers"].as_array().into_iter().flatten() {
        let mounts = init["volumeMounts"].as_array().cloned().unwrap_or_default();
        assert!(
            mounts.iter().all(|m| m["name"] != "audit-logs"),
            "{}",
            init["name"]
        );
    }
}

#[test]
fn the_fleet_overlays_pass_every_check_that_applies() {
    for overlay in ["overlays/fleet/cluster", "overlays/fleet/combine"] {
        let input = deploy(overlay);
        let passed = assert_clean(&input, &findings_of(&input));
        for check in ["run-as-non-root", "read-only-root-filesystem"] {
            assert!(passed.contains(&check.to_string()), "{overlay}: {passed:?}");
        }
        if let Some(rendered) = support::kustomize::render(&input) {
            let tmp = tempfile::tempdir().unwrap();
            let file = tmp.path().join("rendered.yaml");
            fs::write(&file, rendered).unwrap();
            assert_clean(&file, &findings_of(&file));
        }
    }
}

/// The `--archive=` the cluster overlay patches into the base CronJob's args.
fn fleet_cluster_archive() -> String {
    let kustomization = yaml("overlays/fleet/cluster/kustomization.yaml");
    let base_args = &yaml("base/cronjob.yaml")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        [0]["args"];
    let mut archive = None;
    for patch in kustomization["patches"].as_array().unwrap() {
        let Some(ops) = patch["patch"].as_str() else {
            continue;
        };
        let ops: serde_json::Value = serde_saphyr::from_str(ops).unwrap();
        for op in ops.as_array().unwrap() {
            if let Some(i) = op["path"].as_str().and_then(|p| {
                p.strip_prefix("/spec/jobTemplate/spec/template/spec/containers/0/args/")
            }) {
                let i: usize = i.parse().unwrap();
                assert!(
                    base_args[i].as_str().unwrap().starts_with("--archive="),
                    "the patch replaces the base's --archive, not {}",
                    base_args[i]
                );
                archive = op["value"].as_str().map(str::to_string);
            }
        }
    }
    archive.expect("the cluster overlay moves the archive")
}

#[test]
fn the_fleet_layout_files_each_cluster_apart_and_combines_them_a_day_later() {
    let cronjob = yaml("overlays/fleet/combine/cronjob.yaml");
    let spec = &cronjob["spec"];
    // The base runs on the first day of each quarter; the combining step the day after.
    assert_eq!(
        yaml("base/cronjob.yaml")["spec"]["schedule"],
        "0 6 1 1,4,7,10 *"
    );
    assert_eq!(spec["schedule"], "0 6 2 1,4,7,10 *");
    assert_eq!(spec["concurrencyPolicy"], "Forbid");
    let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(
        yaml("overlays/fleet/combine/serviceaccount.yaml")["automountServiceAccountToken"],
        false
    );
    let policy = yaml("overlays/fleet/combine/networkpolicy.yaml");
    assert_eq!(policy["spec"]["egress"], serde_json::json!([]));
    assert_eq!(
        policy["spec"]["podSelector"]["matchLabels"],
        spec["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    );
    let args: Vec<String> = pod["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(args[0], "fleet");
    // The cluster overlay files its archive where the combining step reads one.
    let archive = fleet_cluster_archive();
    let folder = archive.strip_prefix("--archive=").unwrap();
    assert!(
        args.iter().any(|a| a.ends_with(&format!("={folder}"))),
        "{folder} in {args:?}"
    );

    // The combining step's own arguments work: two clusters' archived quarters, laid out
    // as the cluster overlay files them, under a stand-in for /reports.
    let reports = tempfile::tempdir().unwrap();
    let root = reports.path().display().to_string();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cluster");
    for a in args
        .iter()
        .filter(|a| a.contains("=/reports/") && !a.starts_with("--"))
    {
        let (name, path) = a.split_once('=').unwrap();
        Command::new(env!("CARGO_BIN_EXE_evidencer"))
            .arg("report")
            .arg("--snapshot")
            .arg(format!("{name}={}", fixture.display()))
            .args(["--as-of", "2026-10-01", "--period", "previous-quarter"])
            .args(["--format", "json,md", "--bundle", "evidence.tar.gz"])
            .arg(format!("--archive={}", path.replacen("/reports", &root, 1)))
            .assert()
            .success();
    }
    let run: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--log-format"))
        .map(|a| a.replacen("/reports", &root, 1))
        .collect();
    Command::new(env!("CARGO_BIN_EXE_evidencer"))
        .args(&run)
        .args(["--as-of", "2026-10-01"])
        .assert()
        .success();
    let fleet: serde_json::Value = serde_json::from_slice(
        &fs::read(reports.path().join("fleet/2026-Q3/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(fleet["clusters"].as_array().unwrap().len(), 2);
    assert!(reports.path().join("fleet/2026-Q3/report.pdf").is_file());
}
