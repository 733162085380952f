use serde_json::json;

use super::*;
use crate::collect::redact::redact_object;

/// The file redacted: its text and the values counted.
fn redacted(path: &str, text: &str) -> (String, usize) {
    let r = redact_file(path, text);
    (r.text.into_owned(), r.values)
}

/// The documents of a YAML stream, parsed.
fn docs(text: &str) -> Vec<Value> {
    yaml::split_documents(text)
        .iter()
        .map(|d| yaml::parse_document(d).unwrap())
        .collect()
}

/// A document as the object rule keeps it.
fn kept(mut v: Value) -> Value {
    redact_object(&mut v, &mut RedactionStats::default());
    v
}

fn assert_hides(text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{s} is still in:\n{text}");
    }
}

const STREAM: &str = "\
# the app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  annotations:
    example.com/owner: team-a
spec:
  template:
    metadata:
      annotations:
        example.com/db-password: pw-1   # rotated monthly
        example.com/db: 'postgres://app:pw-2@db/app'
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0
          args:
            - --port=80
            - --token
            - pw-3
          command: [sh, -c, \"run --password=pw-4\"]
          env:
            - {name: MODE, value: pw-5}
            - name: KEY
              value: >
                pw-6
                folded
            - name: REF
              valueFrom: {secretKeyRef: {name: s, key: k}}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData:
  password: pw-7
data:
  token: cHctOA==
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  app.properties: |
    db.password=pw-9
  mode: prod
---
# trailing comment: token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl
";

#[test]
fn a_stream_is_redacted_in_place_by_the_object_rule() {
    let (text, values) = redacted("k8s/app.yaml", STREAM);
    assert_hides(
        &text,
        &[
            "pw-1", "pw-2", "pw-3", "pw-4", "pw-5", "pw-6", "pw-7", "cHctOA", "pw-9", "eyJhbGci",
        ],
    );
    // Line for line the file it was.
    assert_eq!(text.lines().count(), STREAM.lines().count(), "{text}");
    for (before, after) in STREAM.lines().zip(text.lines()) {
        if !after.contains(MARKER) && !after.trim().is_empty() {
            assert_eq!(before, after);
        }
    }
    // What is not secret is as it was; the comment after a value stays.
    assert!(text.contains("example.com/owner: team-a"));
    assert!(
        text.contains("example.com/db-password: \"[REDACTED]\"   # rotated monthly"),
        "{text}"
    );
    assert!(
        text.contains("example.com/db: \"postgres://app:[REDACTED]@db/app\""),
        "{text}"
    );
    assert!(
        text.contains("            - --token\n            - \"[REDACTED]\""),
        "{text}"
    );
    assert!(text.contains("valueFrom: {secretKeyRef: {name: s, key: k}}"));
    assert!(
        text.contains("# trailing comment: token [REDACTED]"),
        "{text}"
    );
    // annotation ×2, --token, the script's flag, two env values, the Secret, the
    // ConfigMap's data, the comment.
    assert_eq!(values, 9, "{text}");
    // Read again, each document is what the object rule keeps of the original: the
    // text and the objects agree.
    let (before, after) = (docs(STREAM), docs(&text));
    assert_eq!(before.len(), after.len());
    for (b, a) in before.into_iter().zip(after) {
        if is_secret(&b) {
            assert_eq!(a, json!(MARKER));
        } else {
            assert_eq!(kept(a), kept(b));
        }
    }
    // Redacting the redacted file changes and counts nothing.
    assert_eq!(redacted("k8s/app.yaml", &text), (text.clone(), 0));
}

#[test]
fn a_script_in_a_literal_block_keeps_its_lines_and_layout() {
    let text = "steps:\n  - run: |\n      echo start\n      mysql -uroot -phunter2 db\n      \
                curl -H 'Authorization: Bearer abc' https://x\n  - run: ssh -p 22 host\n";
    let (out, values) = redacted(".github/workflows/ci.yml", text);
    assert_eq!(
        out,
        "steps:\n  - run: |\n      echo start\n      mysql -uroot -p[REDACTED] db\n      \
         curl -H 'Authorization: [REDACTED]' https://x\n  - run: ssh -p 22 host\n"
    );
    // One per line rewritten.
    assert_eq!(values, 2);
}

#[test]
fn documents_that_are_not_objects_lose_secret_keys_and_keep_references() {
    let text = "deploy:\n  password: hunter2\n  token: ${{ secrets.T }}\n  url: https://u:p@h/x\n\
                variables:\n  DB_PASSWORD: \"s3cret\"\n";
    let (out, _) = redacted("values.yaml", text);
    assert_eq!(
        out,
        "deploy:\n  password: \"[REDACTED]\"\n  token: ${{ secrets.T }}\n  \
         url: \"https://u:[REDACTED]@h/x\"\nvariables:\n  DB_PASSWORD: \"[REDACTED]\"\n"
    );
}

#[test]
fn json_files_are_redacted_in_place_and_stay_json() {
    let text = r#"{
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "secret",
            "metadata": {"name": "s"},
            "data": {"k": "c2VjcmV0"}
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "env": [{"name": "K", "value": "v-1"}]}]}
        }
    ]
}
"#;
    let (out, values) = redacted("snap/list.json", text);
    assert_hides(&out, &["c2VjcmV0", "v-1"]);
    assert_eq!(out.lines().count(), text.lines().count(), "{out}");
    let parsed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed["items"][0], MARKER);
    assert_eq!(
        parsed["items"][1]["spec"]["containers"][0]["env"][0]["value"],
        MARKER
    );
    assert_eq!(values, 2);
    // A Secret file keeps nothing of its data.
    let (out, _) = redacted(
        "s.json",
        "{\"kind\": \"Secret\",\n \"data\": {\"k\": \"djE=\"}}\n",
    );
    assert_eq!(out, "\"[REDACTED]\"\n\n");
}

#[test]
fn a_secret_document_is_blanked_whatever_its_form() {
    for (text, want) in [
        (
            "---\nkind: Secret\napiVersion: v1\nstringData: {a: b}\n",
            "---\n\"[REDACTED]\"\n\n\n",
        ),
        (
            "--- {kind: secret, data: {a: YQ==}}\n",
            "--- \"[REDACTED]\"\n",
        ),
        // Does not parse (a template), but says what it is.
        (
            "apiVersion: v1\nkind: \"Secret\"\ndata:\n  password: {{ .Values.pw | b64enc }}\n  x: [\n",
            "\"[REDACTED]\"\n\n\n\n\n",
        ),
    ] {
        let (out, values) = redacted("x.yaml", text);
        assert_eq!(out, want, "{text}");
        assert_eq!(values, 1);
    }
}

#[test]
fn an_anchor_taken_away_takes_its_aliases_with_it() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    \
                example.com/token: &t tok-1\n    example.com/copy: *t\n";
    let (out, _) = redacted("p.yaml", text);
    assert_hides(&out, &["tok-1"]);
    assert!(docs(&out).len() == 1, "{out}");
    assert_eq!(out.lines().count(), text.lines().count());
}

#[test]
fn a_value_from_a_merge_key_takes_its_nearest_node() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    \
                - <<: {name: a, env: [{name: P, value: merged-1}]}\n      image: x\n      \
                args: [--token, tok-2]\n";
    let (out, values) = redacted("p.yaml", text);
    assert_hides(&out, &["merged-1", "tok-2"]);
    // The container is replaced whole; the argument inside it is not counted again.
    assert_eq!(values, 1);
    assert_eq!(out.lines().count(), text.lines().count());
    let after = docs(&out);
    assert_eq!(after[0]["spec"]["containers"][0], MARKER, "{out}");
}

#[test]
fn repeated_keys_are_all_redacted() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    \
                example.com/password: first-1\n    example.com/password: second-2\n";
    let (out, _) = redacted("p.yaml", text);
    assert_hides(&out, &["first-1", "second-2"]);
}

#[test]
fn other_files_are_redacted_as_text() {
    let text = "FROM alpine\nENV API_TOKEN=abc123\nRUN mysql -phunter2 -e 'x' && \\\n    \
                curl https://u:pw@h\n";
    let (out, values) = redacted("Dockerfile", text);
    assert_eq!(
        out,
        "FROM alpine\nENV API_TOKEN=[REDACTED]\nRUN mysql -p[REDACTED] -e 'x' && \\\n    \
         curl https://u:[REDACTED]@h\n"
    );
    assert_eq!(values, 3);
    let clean = "#!/bin/sh\nkubectl apply -f k8s/\n";
    let r = redact_file("deploy.sh", clean);
    assert!(matches!(r.text, Cow::Borrowed(_)) && r.values == 0);
}

#[test]
fn windows_line_ends_are_kept() {
    let text = "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\n  annotations:\r\n    \
                example.com/token: t-1\r\n    example.com/script: |\r\n      run --password=p-2\r\n      \
                echo ok\r\nspec: {}\r\n";
    let (out, values) = redacted("p.yaml", text);
    assert_hides(&out, &["t-1", "p-2"]);
    assert_eq!(values, 2);
    assert_eq!(
        out.matches("\r\n").count(),
        text.matches("\r\n").count(),
        "{out:?}"
    );
    assert!(
        out.contains("      run --password=[REDACTED]\r\n      echo ok\r\n"),
        "{out:?}"
    );
}
