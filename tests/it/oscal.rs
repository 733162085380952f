//! `report --format oscal` end to end, with the real binary: `assessment-results.json` and
//! `assessment-plan.json` load in compliance-trestle's OSCAL models (the independent
//! validator: `.ci/run` installs it into target/trestle-venv and names its Python in
//! `EVIDENCER_TRESTLE_PYTHON`), in the OSCAL version trestle targets; the same input and
//! `--as-of` give the same bytes; verdicts map onto OSCAL's two states with the verdict kept;
//! an excepted failure is a `deviation-approved` risk; `--oscal-ssp` names the plan's SSP;
//! with a bundle each observation names its file there; control ids that are not OSCAL
//! tokens are mapped to tokens.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::Value;

use crate::support::need;

const AS_OF: &str = "2026-09-30";

/// A workload from an untrusted registry, and the exception that accepts it: the control
/// answered by image-from-trusted-registry alone is satisfied_with_exceptions.
const UNTRUSTED: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: legacy}
spec:
  template:
    spec:
      containers: [{name: orders, image: "docker.io/acme/orders:2.1"}]
"#;

const EXCEPT_UNTRUSTED: &str = "\
exceptions:
  - id: EXC-9
    check: image-from-trusted-registry
    subject: {namespace: legacy}
    reason: migration to the internal registry in Q4
    approver: Dana Whitfield (CISO)
    ticket: SEC-9
    expires: 2026-12-31
";

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python that has compliance-trestle: `EVIDENCER_TRESTLE_PYTHON` (as `.ci/run` sets it),
/// else the venv `.ci/run` makes; None (a skip, or a failure under CI) when neither imports
/// trestle.
fn trestle() -> Option<PathBuf> {
    let python = std::env::var_os("EVIDENCER_TRESTLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/trestle-venv/bin/python"));
    let ok = Process::new(&python)
        .args(["-c", "import trestle.oscal.assessment_results"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(python)
    } else {
        need::missing(&format!(
            "compliance-trestle cannot be imported by {} (set EVIDENCER_TRESTLE_PYTHON, or: \
             python3 -m venv target/trestle-venv && target/trestle-venv/bin/pip install \
             compliance-trestle==5.2.0)",
            python.display()
        ));
        None
    }
}

/// Loads both documents strictly with trestle's models (`oscal_read` gives None for a file
/// that is not there, so that is a failure too); Err with trestle's message when it refuses.
fn trestle_loads(python: &Path, results: &Path, plan: &Path) -> Result<(), String> {
    const SCRIPT: &str = "\
import pathlib, sys
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.assessment_plan import AssessmentPlan
for model, path in ((AssessmentResults, sys.argv[1]), (AssessmentPlan, sys.argv[2])):
    if model.oscal_read(pathlib.Path(path)) is None:
        sys.exit(path + ': not read')
";
    let o = Process::new(python)
        .args(["-c", SCRIPT])
        .arg(results)
        .arg(plan)
        .output()
        .unwrap();
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// `trestle validate -a` in a trestle workspace holding both documents: every validator
/// trestle registers (UUIDs unique, references resolved, ...) besides loading them; Err with
/// its output when one fails.
fn trestle_validates(python: &Path, results: &Path, plan: &Path) -> Result<(), String> {
    let ws = tempfile::tempdir().unwrap();
    let trestle = |args: &[&str]| {
        Process::new(python)
            .args(["-m", "trestle"])
            .args(args)
            .current_dir(ws.path())
            .output()
            .unwrap()
    };
    let init = trestle(&["init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    for (dir, from, name) in [
        ("assessment-results/ar", results, "assessment-results.json"),
        ("assessment-plans/ap", plan, "assessment-plan.json"),
    ] {
        fs::create_dir_all(ws.path().join(dir)).unwrap();
        fs::copy(from, ws.path().join(dir).join(name)).unwrap();
    }
    let o = trestle(&["validate", "-a"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    if o.status.success() && said.matches("VALID: Model").count() == 2 && !said.contains("INVALID")
    {
        Ok(())
    } else {
        Err(said)
    }
}

/// The OSCAL version the installed trestle targets.
fn trestle_oscal_version(python: &Path) -> String {
    let o = Process::new(python)
        .args([
            "-c",
            "import trestle.oscal; print(trestle.oscal.OSCAL_VERSION)",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap_or_else(|e| {
        panic!("{}: {e}", path.display());
    })
}

struct Run {
    code: i32,
    stderr: String,
    out: PathBuf,
}

impl Run {
    fn results(&self) -> Value {
        json(&self.out.join("assessment-results.json"))["assessment-results"].clone()
    }
    fn plan(&self) -> Value {
        json(&self.out.join("assessment-plan.json"))["assessment-plan"].clone()
    }
    fn report(&self) -> Value {
        json(&self.out.join("report.json"))
    }
}

/// `report` in `dir` with `args`, into `dir/out`.
fn report(dir: &Path, args: &[&str]) -> Run {
    let out = dir.join("out");
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(dir)
        .args(["report", "--as-of", AS_OF, "--out"])
        .arg(&out)
        .args(args)
        .output()
        .unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        out,
    }
}

/// A directory with `snapshot/` holding `files`.
fn snapshot(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("snapshot")).unwrap();
    for (name, text) in files {
        fs::write(dir.path().join("snapshot").join(name), text).unwrap();
    }
    dir
}

fn prop<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object["props"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| {
            assert_eq!(p["ns"], "urn:evidencer:oscal", "{p}");
            p["value"].as_str().unwrap()
        })
}

fn props<'a>(object: &'a Value, name: &str) -> Vec<&'a str> {
    object["props"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["name"] == name)
                .map(|p| p["value"].as_str().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
}

/// The OSCAL finding of control `id` (by its control-id prop).
fn finding<'a>(results: &'a Value, id: &str) -> &'a Value {
    list(&results["results"][0], "findings")
        .iter()
        .find(|f| prop(f, "control-id") == Some(id))
        .unwrap_or_else(|| panic!("no finding for {id}"))
}

#[test]
fn the_sample_run_writes_oscal_that_trestle_loads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = Command::cargo_bin("evidencer")
        .unwrap()
        .current_dir(repo_root())
        .args([
            "report",
            "--config",
            "samples/evidencer.yaml",
            "--format",
            "json,oscal",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run = Run {
        code: 0,
        stderr: String::new(),
        out,
    };
    let (r, plan, report) = (run.results(), run.plan(), run.report());
    let report_id = evidencer::report::Report::id(&fs::read(run.out.join("report.json")).unwrap());

    // Metadata: the as-of instant, the report id, the OSCAL version; the plan imported.
    let m = &r["metadata"];
    assert_eq!(m["published"], report["as_of"]);
    assert_eq!(m["last-modified"], report["as_of"]);
    assert_eq!(m["oscal-version"], "1.2.1");
    assert_eq!(prop(m, "report-id"), Some(report_id.as_str()));
    assert_eq!(m["version"], report_id.as_str());
    assert_eq!(r["import-ap"]["href"], "assessment-plan.json");
    assert_eq!(plan["metadata"]["oscal-version"], "1.2.1");

    // One result over the report's period, reviewing every control of the catalogs, in
    // the plan too.
    let results = list(&r, "results");
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result["start"], report["period"]["start"]);
    assert_eq!(result["end"], report["period"]["end"]);
    let reviewed: Vec<&str> = list(&result["reviewed-controls"], "control-selections")
        .iter()
        .flat_map(|s| list(s, "include-controls"))
        .map(|c| c["control-id"].as_str().unwrap())
        .collect();
    let controls: Vec<&str> = list(&report, "controls")
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(reviewed, controls);
    assert_eq!(plan["reviewed-controls"], result["reviewed-controls"]);

    // A finding per control: its state, the verdict kept, the narrative.
    let findings = list(result, "findings");
    assert_eq!(findings.len(), controls.len());
    for c in list(&report, "controls") {
        let f = finding(&r, c["id"].as_str().unwrap());
        let verdict = c["verdict"].as_str().unwrap();
        assert_eq!(prop(&f["target"], "verdict"), Some(verdict));
        let want = match verdict {
            "satisfied" | "satisfied_with_exceptions" => "satisfied",
            _ => "not-satisfied",
        };
        assert_eq!(f["target"]["status"]["state"], want, "{verdict}");
        assert_eq!(f["target"]["target-id"], c["id"]);
        assert_eq!(f["description"], c["narrative"]);
    }

    // An observation per evidence record the controls' findings cite, each with its
    // method, collection time and the record's sha256.
    let cited: std::collections::BTreeSet<&str> = list(&report, "controls")
        .iter()
        .flat_map(|c| list(c, "findings"))
        .flat_map(|id| {
            list(&report, "findings")
                .iter()
                .find(|f| &f["id"] == id)
                .map(|f| list(f, "evidence"))
                .unwrap()
        })
        .map(|e| e.as_str().unwrap())
        .collect();
    let observations = list(result, "observations");
    assert_eq!(observations.len(), cited.len());
    let mut methods = std::collections::BTreeSet::new();
    for o in observations {
        let id = prop(o, "evidence-id").unwrap();
        assert!(cited.contains(id), "{id}");
        let record = list(&report, "evidence")
            .iter()
            .find(|e| e["id"] == id)
            .unwrap();
        let evidence = &list(o, "relevant-evidence")[0];
        assert_eq!(prop(evidence, "sha256"), record["sha256"].as_str());
        assert_eq!(prop(evidence, "locator"), record["locator"].as_str());
        methods.insert(list(o, "methods")[0].as_str().unwrap());
        assert!(o["collected"].is_string());
    }
    // The sample has scanner results (tested) and objects and files (examined).
    assert_eq!(methods.into_iter().collect::<Vec<_>>(), ["EXAMINE", "TEST"]);

    // The sample's accepted exception: a deviation-approved risk per excepted finding.
    let excepted: Vec<&Value> = list(&report, "findings")
        .iter()
        .filter(|f| {
            f.get("exception").is_some() && matches!(f["status"].as_str(), Some("fail" | "warn"))
        })
        .collect();
    assert!(!excepted.is_empty());
    let risks = list(result, "risks");
    assert_eq!(risks.len(), excepted.len());
    assert!(risks.iter().all(|r| r["status"] == "deviation-approved"));

    // The validator: both load in trestle's models, in the OSCAL version it targets.
    let Some(python) = trestle() else { return };
    assert_eq!(trestle_oscal_version(&python), "1.2.1");
    let results_file = run.out.join("assessment-results.json");
    let plan_file = run.out.join("assessment-plan.json");
    trestle_loads(&python, &results_file, &plan_file).unwrap();
    // Every validator of trestle's passes: UUIDs unique, references resolved.
    trestle_validates(&python, &results_file, &plan_file).unwrap();

    // ... and it is strict: a state OSCAL does not have, or a missing import-ap, is refused.
    let bad = dir.path().join("bad");
    fs::create_dir(&bad).unwrap();
    let mut doc = json(&results_file);
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
        "partially-satisfied".into();
    fs::write(bad.join("state.json"), doc.to_string()).unwrap();
    let err = trestle_loads(&python, &bad.join("state.json"), &plan_file).unwrap_err();
    assert!(err.contains("state"), "{err}");
    let mut doc = json(&results_file);
    doc["assessment-results"]
        .as_object_mut()
        .unwrap()
        .remove("import-ap");
    fs::write(bad.join("no-ap.json"), doc.to_string()).unwrap();
    let err = trestle_loads(&python, &bad.join("no-ap.json"), &plan_file).unwrap_err();
    assert!(err.contains("import-ap"), "{err}");
    let mut doc = json(&results_file);
    let observations = &mut doc["assessment-results"]["results"][0]["observations"];
    observations[1]["uuid"] = observations[0]["uuid"].clone();
    fs::write(bad.join("twice.json"), doc.to_string()).unwrap();
    let err = trestle_validates(&python, &bad.join("twice.json"), &plan_file).unwrap_err();
    assert!(err.contains("duplicate"), "{err}");
}

#[test]
fn the_same_input_and_as_of_give_the_same_oscal_bytes() {
    let runs = crate::support::reruns::two(&["samples"]);
    for run in &runs {
        let o = run
            .evidencer()
            .args([
                "report",
                "--config",
                "samples/evidencer.yaml",
                "--format",
                "oscal",
                "--out",
                "out",
                "--bundle",
                "bundle",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let results = crate::support::reruns::same_bytes(&runs, "out/assessment-results.json");
    crate::support::reruns::same_bytes(&runs, "out/assessment-plan.json");
    // The bundle's copies are the same files.
    assert_eq!(
        fs::read(
            runs[0]
                .path()
                .join("bundle/reports/assessment-results.json")
        )
        .unwrap(),
        results
    );
}

#[test]
fn an_excepted_failure_is_a_deviation_approved_risk_and_its_control_satisfied() {
    let dir = snapshot(&[("workloads.yaml", UNTRUSTED)]);
    fs::write(dir.path().join("exceptions.yaml"), EXCEPT_UNTRUSTED).unwrap();
    let run = report(
        dir.path(),
        &[
            "--snapshot",
            "snapshot",
            "--format",
            "json,oscal",
            "--trusted-registry",
            "registry.example.com",
            "--exceptions",
            "exceptions.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (r, report) = (run.results(), run.report());
    let control = list(&report, "controls")
        .iter()
        .find(|c| c["verdict"] == "satisfied_with_exceptions")
        .expect("a control satisfied with exceptions");
    let excepted = list(&report, "findings")
        .iter()
        .find(|f| f["check"] == "image-from-trusted-registry" && f["status"] == "fail")
        .unwrap();
    assert_eq!(excepted["exception"]["id"], "EXC-9");

    // satisfied_with_exceptions is OSCAL's satisfied, the verdict kept as a prop.
    let f = finding(&r, control["id"].as_str().unwrap());
    assert_eq!(f["target"]["status"]["state"], "satisfied");
    assert_eq!(
        prop(&f["target"], "verdict"),
        Some("satisfied_with_exceptions")
    );
    assert_eq!(props(f, "exception-id"), ["EXC-9"]);

    // The failing finding under the exception is a deviation-approved risk the finding
    // relates, with what the exception says.
    let risks = list(&r["results"][0], "risks");
    let risk = risks
        .iter()
        .find(|k| prop(k, "finding-id") == excepted["id"].as_str())
        .expect("a risk for the excepted finding");
    assert_eq!(risk["status"], "deviation-approved");
    assert_eq!(prop(risk, "exception-id"), Some("EXC-9"));
    assert_eq!(prop(risk, "finding-status"), Some("fail"));
    assert_eq!(prop(risk, "ticket"), Some("SEC-9"));
    assert_eq!(risk["deadline"], "2026-12-31T23:59:59Z");
    let statement = risk["statement"].as_str().unwrap();
    assert!(
        statement.contains("migration to the internal registry in Q4"),
        "{statement}"
    );
    assert!(
        list(f, "related-risks")
            .iter()
            .any(|k| k["risk-uuid"] == risk["uuid"])
    );
    // Its evidence is observed, and the risk cites the observation.
    let observed: Vec<&Value> = list(&r["results"][0], "observations")
        .iter()
        .filter(|o| {
            list(excepted, "evidence")
                .iter()
                .any(|e| prop(o, "evidence-id") == e.as_str())
        })
        .collect();
    assert!(!observed.is_empty());
    assert!(observed.iter().all(|o| {
        list(risk, "related-observations")
            .iter()
            .any(|k| k["observation-uuid"] == o["uuid"])
    }));
    // Every risk is an excepted failing or warning finding: none for the rest.
    assert_eq!(risks.len(), 1, "{risks:?}");

    // A control that is not satisfied is OSCAL's not-satisfied, whatever its verdict.
    for c in list(&report, "controls") {
        let state = &finding(&r, c["id"].as_str().unwrap())["target"]["status"]["state"];
        match c["verdict"].as_str().unwrap() {
            "satisfied" | "satisfied_with_exceptions" => assert_eq!(state, "satisfied"),
            _ => assert_eq!(state, "not-satisfied"),
        }
    }

    let Some(python) = trestle() else { return };
    let (results, plan) = (
        run.out.join("assessment-results.json"),
        run.out.join("assessment-plan.json"),
    );
    trestle_loads(&python, &results, &plan).unwrap();
    trestle_validates(&python, &results, &plan).unwrap();
}

#[test]
fn oscal_ssp_names_the_system_security_plan_the_plan_imports() {
    let dir = snapshot(&[("workloads.yaml", UNTRUSTED)]);
    let base = ["--snapshot", "snapshot", "--format", "oscal"];

    // Without it, the documented placeholder, said to be one.
    let run = report(dir.path(), &base);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ssp = &run.plan()["import-ssp"];
    assert_eq!(ssp["href"], "urn:evidencer:oscal:placeholder-ssp");
    assert!(ssp["remarks"].as_str().unwrap().contains("--oscal-ssp"));
    assert!(
        !run.out.join("report.json").exists(),
        "only the formats asked for are written"
    );

    // With it, that href.
    let href = "https://grc.example.com/ssp/payments-platform.json";
    let mut args = base.to_vec();
    args.extend(["--oscal-ssp", href]);
    let run = report(dir.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.plan()["import-ssp"],
        serde_json::json!({ "href": href })
    );
    if let Some(python) = trestle() {
        trestle_loads(
            &python,
            &run.out.join("assessment-results.json"),
            &run.out.join("assessment-plan.json"),
        )
        .unwrap();
    }

    // Without --format oscal, it has nothing to name: a usage error, nothing written.
    let fresh = snapshot(&[("workloads.yaml", UNTRUSTED)]);
    let run = report(
        fresh.path(),
        &[
            "--snapshot",
            "snapshot",
            "--format",
            "json",
            "--oscal-ssp",
            href,
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--oscal-ssp"), "{}", run.stderr);
    assert!(run.stderr.contains("--format"), "{}", run.stderr);
    assert!(!run.out.exists());
}

#[test]
fn with_a_bundle_each_observation_names_its_file_there() {
    let dir = snapshot(&[("workloads.yaml", UNTRUSTED)]);
    fs::create_dir(dir.path().join("docs")).unwrap();
    fs::write(dir.path().join("docs/plan.md"), "# The plan\n").unwrap();
    fs::write(
        dir.path().join("attested.yaml"),
        "attestations:\n  - id: ATT-1\n    control: PR.PS-02.242-related-4\n    title: A plan\n    document: docs/plan.md\n    owner: Sam\n    approved: 2026-03-02\n    review-interval-days: 365\n",
    )
    .unwrap();
    let run = report(
        dir.path(),
        &[
            "--snapshot",
            "snapshot",
            "--attestations",
            "attested.yaml",
            "--format",
            "json,oscal",
            "--bundle",
            "bundle",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bundle = dir.path().join("bundle");
    // Where the bundle's manifest says each record is.
    let manifest = json(&bundle.join("manifest.json"));
    let mut laid: std::collections::BTreeMap<String, String> = Default::default();
    for file in list(&manifest["bundle"], "evidence") {
        let path = file["path"].as_str().unwrap().to_string();
        match file["type"].as_str().unwrap() {
            "objects" => {
                for id in list(file, "records") {
                    laid.insert(id.as_str().unwrap().into(), path.clone());
                }
            }
            _ => {
                laid.insert(file["record"].as_str().unwrap().into(), path);
            }
        }
    }
    let r = run.results();
    let mut files = 0;
    for o in list(&r["results"][0], "observations") {
        let evidence = &list(o, "relevant-evidence")[0];
        let id = prop(o, "evidence-id").unwrap();
        let Some(path) = prop(evidence, "bundle-path") else {
            // Only a source as a whole has no file of its own.
            assert_eq!(prop(o, "evidence-kind"), Some("source"), "{o}");
            assert!(!laid.contains_key(id), "{id} is in the bundle");
            continue;
        };
        assert_eq!(laid.get(id).map(String::as_str), Some(path), "{id}");
        // The href is relative to the document's place in the bundle, reports/.
        assert_eq!(evidence["href"], format!("../{path}"));
        assert_eq!(
            bundle
                .join("reports")
                .join(evidence["href"].as_str().unwrap())
                .canonicalize()
                .unwrap(),
            bundle.join(path).canonicalize().unwrap()
        );
        let bytes = fs::read(bundle.join(path)).unwrap();
        match prop(o, "evidence-kind").unwrap() {
            // A file is its record's bytes; an object is one item of its kind's List.
            "file" => assert_eq!(
                prop(evidence, "sha256").unwrap(),
                evidencer::evidence::record::sha256_hex(&bytes)
            ),
            "object" => assert!(path.contains("/objects/"), "{path}"),
            other => panic!("{other}: {path}"),
        }
        files += 1;
    }
    assert!(files >= 2, "an object and the attested document at least");
    // The bundle holds both documents, and verifies.
    for name in ["assessment-results.json", "assessment-plan.json"] {
        assert_eq!(
            fs::read(bundle.join("reports").join(name)).unwrap(),
            fs::read(run.out.join(name)).unwrap()
        );
    }
    Command::cargo_bin("evidencer")
        .unwrap()
        .arg("verify")
        .arg(&bundle)
        .assert()
        .success();

    // Without a bundle, no path and no href; the sha256 stays.
    let plain = report(dir.path(), &["--snapshot", "snapshot", "--format", "oscal"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    for o in list(&plain.results()["results"][0], "observations") {
        let evidence = &list(o, "relevant-evidence")[0];
        assert!(evidence.get("href").is_none());
        assert!(prop(evidence, "bundle-path").is_none());
        assert!(prop(evidence, "sha256").is_some());
    }
}

#[test]
fn control_ids_that_are_not_oscal_tokens_are_mapped_to_tokens_and_kept() {
    let dir = snapshot(&[("workloads.yaml", UNTRUSTED)]);
    let catalog = dir.path().join("catalog");
    fs::create_dir(&catalog).unwrap();
    let control = |id: &str| {
        format!(
            "  - id: \"{id}\"\n    id-source: source\n    source: a test\n    title: t\n    question: q?\n    explanation: e\n    checks:\n      - image-from-trusted-registry\n"
        )
    };
    fs::write(
        catalog.join("pci.yaml"),
        format!(
            "catalog: pci-dss\ntitle: PCI DSS\ncontrols:\n{}{}{}",
            control("6.3.3"),
            control("Req 6.3 (a)"),
            control("ok-1.2")
        ),
    )
    .unwrap();
    let run = report(
        dir.path(),
        &[
            "--snapshot",
            "snapshot",
            "--no-builtin-catalogs",
            "--catalog",
            "catalog",
            "--format",
            "oscal",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.results();
    let token = |id: &str| {
        finding(&r, id)["target"]["target-id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(token("ok-1.2"), "ok-1.2", "a token stays as it is");
    let (a, b) = (token("6.3.3"), token("Req 6.3 (a)"));
    assert!(a.starts_with("_6.3.3_"), "{a}");
    assert!(b.starts_with("Req_6.3__a__"), "{b}");
    let reviewed: Vec<&str> = list(&r["results"][0]["reviewed-controls"], "control-selections")
        .iter()
        .flat_map(|s| list(s, "include-controls"))
        .map(|c| c["control-id"].as_str().unwrap())
        .collect();
    assert_eq!(reviewed, [a.as_str(), b.as_str(), "ok-1.2"]);

    let Some(python) = trestle() else { return };
    trestle_loads(
        &python,
        &run.out.join("assessment-results.json"),
        &run.out.join("assessment-plan.json"),
    )
    .unwrap();
}

#[test]
fn oscal_of_no_control_or_an_empty_ssp_is_refused_and_nothing_written() {
    let dir = snapshot(&[("workloads.yaml", UNTRUSTED)]);
    let catalog = dir.path().join("catalog");
    fs::create_dir(&catalog).unwrap();
    fs::write(
        catalog.join("none.yaml"),
        "catalog: none\ntitle: None\ncontrols: []\n",
    )
    .unwrap();
    let run = report(
        dir.path(),
        &[
            "--snapshot",
            "snapshot",
            "--no-builtin-catalogs",
            "--catalog",
            "catalog",
            "--format",
            "json,oscal",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no control"), "{}", run.stderr);
    assert!(!run.out.exists());
    // The same run without oscal is not refused.
    let run = report(
        dir.path(),
        &[
            "--snapshot",
            "snapshot",
            "--no-builtin-catalogs",
            "--catalog",
            "catalog",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    fs::remove_dir_all(&run.out).unwrap();

    let run = report(
        dir.path(),
        &[
            "--snapshot",
            "snapshot",
            "--format",
            "oscal",
            "--oscal-ssp",
            " ",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--oscal-ssp is empty"),
        "{}",
        run.stderr
    );
    assert!(!run.out.exists());
}
