//! The YAML forms Kubernetes users write, read as kubectl reads them.
//!
//! Each case is a file a user could hand over: YAML 1.1 booleans and octals, merge keys,
//! anchors, tags, document markers with content or `...` ends, Windows line endings, a BOM,
//! and UTF-16 from PowerShell's `>`. Each holds a hardened Deployment whose checks only pass
//! when the form was read right, so a misread shows as a failing check, not a silent default.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use evidencer::checks::{self, CheckContext, CheckSettings};
use evidencer::collect::snapshot::{SnapshotOptions, load};
use evidencer::evidence::finding::Status;
use evidencer::evidence::inventory::Inventory;
use evidencer::facts::Facts;

/// The checks a hardened container passes (the registry check needs configuration).
const HARDENED: [&str; 4] = [
    "read-only-root-filesystem",
    "run-as-non-root",
    "no-privilege-escalation",
    "image-tag-not-latest",
];

fn load_file(name: &str, bytes: &[u8]) -> Inventory {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    fs::write(&path, bytes).unwrap();
    let mut inv = load(&path, &SnapshotOptions::default());
    inv.canonicalize();
    assert!(inv.problems.is_empty(), "{name}: {:#?}", inv.problems);
    inv
}

/// Status of each hardened check per subject (`Deployment ns/name container c`).
fn statuses(inv: &Inventory) -> BTreeMap<String, BTreeMap<&'static str, Status>> {
    let facts = Facts::build(inv);
    let settings = CheckSettings::default();
    let ctx = CheckContext {
        inventory: inv,
        facts: &facts,
        settings: &settings,
        audit: None,
    };
    let mut out: BTreeMap<String, BTreeMap<&'static str, Status>> = BTreeMap::new();
    for f in checks::run_all(&ctx) {
        if HARDENED.contains(&f.check) {
            out.entry(f.subject.display_name())
                .or_default()
                .insert(f.check, f.status);
        }
    }
    out
}

/// Every container of every workload passes every hardened check.
fn assert_all_pass(inv: &Inventory, containers: usize) {
    let got = statuses(inv);
    assert_eq!(got.len(), containers, "{got:#?}");
    for (subject, checks) in &got {
        assert_eq!(checks.len(), HARDENED.len(), "{subject}: {checks:?}");
        assert!(
            checks.values().all(|s| *s == Status::Pass),
            "{subject}: {checks:?}"
        );
    }
}

fn deployment(name: &str, security_context: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\n\
         spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        \
         image: registry.example.com/web:1.2\n        securityContext: {security_context}\n"
    )
}

const HARD: &str =
    "{readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false}";

#[test]
fn yaml_1_1_booleans_yes_on_off() {
    let text = deployment(
        "booleans",
        "{readOnlyRootFilesystem: yes, runAsNonRoot: on, allowPrivilegeEscalation: off}",
    );
    assert_all_pass(&load_file("d.yaml", text.as_bytes()), 1);
    let text = deployment(
        "capitals",
        "{readOnlyRootFilesystem: Yes, runAsNonRoot: ON, allowPrivilegeEscalation: No}",
    );
    assert_all_pass(&load_file("d.yaml", text.as_bytes()), 1);
}

#[test]
fn legacy_octal_numbers() {
    // 01750 is octal for 1000: a non-root user. 0755 is the usual file mode.
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: octal, namespace: shop}\n\
        spec:\n  template:\n    spec:\n      securityContext: {runAsUser: 01750}\n      \
        volumes: [{name: cfg, configMap: {name: cfg, defaultMode: 0755}}]\n      containers:\n      \
        - name: web\n        image: registry.example.com/web:1.2\n        \
        securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}\n";
    let inv = load_file("d.yaml", text.as_bytes());
    assert_all_pass(&inv, 1);
    let value = inv.objects[0].value();
    let spec = &value["spec"]["template"]["spec"];
    assert_eq!(spec["securityContext"]["runAsUser"], 1000);
    assert_eq!(spec["volumes"][0]["configMap"]["defaultMode"], 493);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: merged, namespace: shop}
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: &image registry.example.com/web:1.2
        securityContext: &hardened
          readOnlyRootFilesystem: true
          runAsNonRoot: true
          allowPrivilegeEscalation: true
      containers:
      - name: web
        image: *image
        securityContext:
          <<: *hardened
          allowPrivilegeEscalation: false
";
    let inv = load_file("d.yaml", text.as_bytes());
    let got = statuses(&inv);
    let web = &got["Deployment shop/merged container web"];
    assert!(web.values().all(|s| *s == Status::Pass), "{web:?}");
    // The anchor's own value is kept where it was defined.
    let init = &got["Deployment shop/merged container init"];
    assert_eq!(init["no-privilege-escalation"], Status::Fail);
    assert_eq!(init["read-only-root-filesystem"], Status::Pass);
}

#[test]
fn custom_and_standard_tags_are_read_for_their_value() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tagged
  namespace: shop
  annotations:
    vault/secret: !vault secret/data/db
    replicas: !!str 3
spec:
  template:
    spec:
      containers:
      - name: web
        image: !!str registry.example.com/web:1.2
        securityContext: !hardened {readOnlyRootFilesystem: !!bool true, runAsNonRoot: true, allowPrivilegeEscalation: false}
";
    let inv = load_file("d.yaml", text.as_bytes());
    assert_all_pass(&inv, 1);
    assert_eq!(inv.objects[0].meta.annotations["replicas"], "3");
}

#[test]
fn content_on_the_marker_line_and_document_end_markers() {
    let text = format!(
        "%YAML 1.1\n--- # first\n{}...\n--- {{apiVersion: apps/v1, kind: Deployment, metadata: \
         {{name: flow, namespace: shop}}, spec: {{template: {{spec: {{containers: [{{name: web, \
         image: 'registry.example.com/web:1.2', securityContext: {HARD}}}]}}}}}}}}\n...\n{}...\n",
        deployment("first", HARD),
        deployment("after-end", HARD),
    );
    let inv = load_file("d.yaml", text.as_bytes());
    let names: Vec<_> = inv.objects.iter().map(|o| o.meta.name.as_str()).collect();
    assert_eq!(names, ["first", "flow", "after-end"]);
    assert_eq!(
        inv.records
            .iter()
            .map(|r| r.locator.rsplit('#').next().unwrap())
            .collect::<Vec<_>>(),
        ["0", "1", "2"]
    );
    assert_all_pass(&inv, 3);
}

#[test]
fn windows_line_endings_and_a_utf8_bom() {
    let text = format!("{}---\n{}", deployment("a", HARD), deployment("b", HARD));
    let crlf = text.replace('\n', "\r\n");
    let inv = load_file("crlf.yaml", crlf.as_bytes());
    assert_all_pass(&inv, 2);
    assert_eq!(inv.objects[1].origin.line, Some(12));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(crlf.as_bytes());
    assert_all_pass(&load_file("bom.yaml", &bom), 2);
    // kubectl -o json piped through PowerShell: a BOM before the JSON.
    let json = br#"{"apiVersion":"v1","kind":"List","items":[{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}]}"#;
    let mut bom_json = b"\xEF\xBB\xBF".to_vec();
    bom_json.extend_from_slice(json);
    let inv = load_file("pods.json", &bom_json);
    assert_eq!(inv.objects.len(), 1);
}

#[test]
fn utf16_from_powershell_redirection() {
    // Windows PowerShell's `kubectl get deploy -o yaml > deploy.yaml` writes UTF-16 LE with
    // a BOM and CRLF; other tools write big-endian.
    let text = deployment("ps", HARD).replace('\n', "\r\n");
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_all_pass(&load_file("le.yaml", &le), 1);
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    assert_all_pass(&load_file("be.json.yaml", &be), 1);
}

#[test]
fn nulls_and_empty_values_read_as_unset() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: nulls, namespace: shop, labels: ~, annotations: }
spec:
  template:
    spec:
      securityContext: ~
      initContainers: []
      containers:
      - name: web
        image: registry.example.com/web:1.2
        securityContext: {readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, runAsUser: null}
";
    assert_all_pass(&load_file("d.yaml", text.as_bytes()), 1);
}

#[test]
fn a_multi_file_snapshot_of_every_form_reads_each_once() {
    // The same forms in one directory: every file is read once, in parallel, and every
    // object keeps the file and line it came from.
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("a.yaml", deployment("a", HARD)),
        ("b.yml", deployment("b", HARD).replace('\n', "\r\n")),
        (
            "c.json",
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"c","namespace":"shop"},"spec":{"containers":[{"name":"web","image":"registry.example.com/web:1.2","securityContext":{"readOnlyRootFilesystem":true,"runAsNonRoot":true,"allowPrivilegeEscalation":false}}]}}"#.to_string(),
        ),
    ];
    for (name, text) in &files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    let mut inv = load(dir.path(), &SnapshotOptions::default());
    inv.canonicalize();
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    assert_all_pass(&inv, 3);
    let origins: Vec<_> = inv
        .objects
        .iter()
        .map(|o| {
            let path = o.origin.path.as_deref().unwrap();
            let name = Path::new(path).file_name().unwrap().to_string_lossy();
            (name.into_owned(), o.origin.line)
        })
        .collect();
    assert_eq!(
        origins,
        [
            ("a.yaml".to_string(), Some(1)),
            ("b.yml".to_string(), Some(1)),
            ("c.json".to_string(), Some(1))
        ]
    );
}
