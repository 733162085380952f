//! Redaction: what evidencer removes before anything is stored, hashed or shown.
//!
//! One rule, applied to every object from every collector ([`redact_object`]) and, in
//! their own text, to the files read from repositories ([`file`]):
//! - Secrets (`kind: Secret` in any spelling of its case, any apiVersion) are dropped
//!   whole (the caller counts them);
//! - `ConfigMap` `data` and `binaryData` are removed;
//! - every `annotations` map under a `metadata`, at any depth (the object's own, a pod
//!   template's, a CronJob's job template's): an annotation whose key names a secret is
//!   replaced by [`MARKER`], any other has its secret-looking parts replaced (see
//!   [`words`]); `kubectl.kubernetes.io/last-applied-configuration` is parsed and redacted
//!   by this whole rule (a Secret in it, or text that is not JSON, makes it the marker);
//! - every literal `env[].value` is replaced (`valueFrom` references stay: they name a
//!   Secret, they do not hold its value);
//! - a container's `command` and `args`, read as one command line: the secret values
//!   [`words`] finds (`--password=x`, `--token x`, `mysql -px`, `sh -c "… --password=x"`);
//! - `httpHeaders` of probes and hooks: the value of an `Authorization`,
//!   `Proxy-Authorization` or `Cookie` header or of one whose name names a secret;
//! - literal Secret data other objects hold: a SealedSecret's `spec.encryptedData`,
//!   `spec.template.data`/`stringData` and `spec.data` values; an ExternalSecret's (or
//!   ClusterExternalSecret's) `target.template.data` values and `templateFrom[].literal`
//!   (its `remoteRef`s name the secret and stay); the `data` and `stringData` values of a
//!   Kyverno `generate` rule (or its `foreach`) whose kind is Secret;
//! - every other string value anywhere: the secret-looking parts [`words`] finds (URL
//!   passwords, JWTs, AWS access key ids, PEM private keys, secret flags in scripts).
//!
//! A document that is not a Kubernetes object (a pipeline, Helm values, a kubeconfig)
//! read from a repository also loses the value of every key that names a secret
//! ([`redact_document`]). The counts of what was removed go into [`RedactionStats`].
//! A command line read from an API audit log goes through the container `command`/`args`
//! rule ([`redact_command`]).

pub mod file;
pub(crate) mod words;

use serde_json::{Map, Value};

use crate::evidence::inventory::RedactionStats;

/// What a redacted value is replaced by.
pub const MARKER: &str = "[REDACTED]";

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Words that make a key, a flag or a variable name secret when it contains them (any case).
const SECRET_WORDS: [&str; 13] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "api-key",
    "api_key",
    "credential",
    "private-key",
    "private_key",
    "privatekey",
    "key-data",
];

/// Words that make a name secret when one of its parts (split at anything not a letter or
/// digit) is the word: `auth`, `basic-auth`, `oauth` (a part ending in `auth`), `pass`,
/// `pw`, and `pwd` when it is not the whole name (`MYSQL_PWD`; `PWD` is the working
/// directory); not `author`, `authority`, `bypass`.
const SECRET_PARTS: [&str; 2] = ["pass", "pw"];

/// Name endings that make the value a reference to a secret, not the secret:
/// `--password-file`, `secretName`, `--token-path`, `--password-stdin`.
const REFERENCE_ENDINGS: [&str; 6] = ["file", "path", "stdin", "name", "ref", "dir"];

/// Is this object a Secret (to be dropped whole)? Any apiVersion, any case of `Secret`.
pub fn is_secret(value: &Value) -> bool {
    value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case("secret") || k.eq_ignore_ascii_case("secretlist"))
}

/// Redacts one Kubernetes object in place by the module's rule, counting what it removed.
pub fn redact_object(value: &mut Value, stats: &mut RedactionStats) {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    match kind.as_str() {
        "configmap" => {
            if let Some(map) = value.as_object_mut() {
                let had = map.remove("data").is_some() | map.remove("binaryData").is_some();
                stats.configmap_data_removed += usize::from(had);
            }
        }
        "sealedsecret" => {
            for at in [
                "/spec/encryptedData",
                "/spec/template/data",
                "/spec/template/stringData",
                "/spec/data",
            ] {
                if let Some(v) = value.pointer_mut(at) {
                    mark_values(v, &mut stats.secret_data_redacted);
                }
            }
        }
        "externalsecret" | "clusterexternalsecret" => {
            for at in [
                "/spec/target/template",
                "/spec/externalSecretSpec/target/template",
            ] {
                if let Some(Value::Object(template)) = value.pointer_mut(at) {
                    external_secret_template(template, stats);
                }
            }
        }
        _ => {}
    }
    redact_tree(value, stats);
}

/// Redacts one document read from a repository: a Kubernetes object by the rule, any other
/// document (a pipeline, Helm values, a kubeconfig, a kustomization) by the rule and, as its
/// keys are all it tells of its values, every key that names a secret loses its value.
pub fn redact_document(value: &mut Value, stats: &mut RedactionStats) {
    let api_version = value.get("apiVersion").and_then(Value::as_str);
    let kind = value.get("kind").and_then(Value::as_str);
    let object = match (api_version, kind) {
        (Some(api_version), Some(kind)) => !crate::collect::ingest::is_tooling(api_version, kind),
        _ => false,
    };
    redact_object(value, stats);
    if !object {
        redact_secret_keys(value, stats);
    }
}

fn redact_secret_keys(value: &mut Value, stats: &mut RedactionStats) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let literal = match child {
                    Value::String(s) => s != MARKER && !s.is_empty() && !words::is_reference(s),
                    Value::Number(_) => true,
                    _ => false,
                };
                if literal && is_secret_name(key) {
                    *child = Value::String(MARKER.into());
                    stats.other_values_redacted += 1;
                } else {
                    redact_secret_keys(child, stats);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_secret_keys(v, stats)),
        _ => {}
    }
}

/// Replaces every value of a map (or a lone string) by the marker.
fn mark_values(value: &mut Value, count: &mut usize) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                if !v.is_null() && v.as_str() != Some(MARKER) {
                    *v = Value::String(MARKER.into());
                    *count += 1;
                }
            }
        }
        Value::String(s) if s != MARKER => {
            *value = Value::String(MARKER.into());
            *count += 1;
        }
        _ => {}
    }
}

fn external_secret_template(template: &mut Map<String, Value>, stats: &mut RedactionStats) {
    if let Some(data) = template.get_mut("data") {
        mark_values(data, &mut stats.secret_data_redacted);
    }
    if let Some(Value::Array(from)) = template.get_mut("templateFrom") {
        for literal in from.iter_mut().filter_map(|f| f.get_mut("literal")) {
            mark_values(literal, &mut stats.secret_data_redacted);
        }
    }
}

/// A Kyverno `generate` rule (or one of its `foreach` entries) that makes a Secret: the
/// values of the Secret's `data` and `stringData` it would write.
fn kyverno_generate(generate: &mut Map<String, Value>, secret: bool, stats: &mut RedactionStats) {
    let names_secret = |m: &Map<String, Value>| {
        m.get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.eq_ignore_ascii_case("secret"))
    };
    let secret = secret || names_secret(generate);
    if let Some(Value::Object(data)) = generate.get_mut("data")
        && (secret || names_secret(data))
    {
        for key in ["data", "stringData"] {
            if let Some(v) = data.get_mut(key) {
                mark_values(v, &mut stats.secret_data_redacted);
            }
        }
    }
    if let Some(Value::Array(each)) = generate.get_mut("foreach") {
        for item in each.iter_mut().filter_map(Value::as_object_mut) {
            kyverno_generate(item, secret, stats);
        }
    }
}

fn redact_annotations(annotations: &mut Map<String, Value>, stats: &mut RedactionStats) {
    for (key, value) in annotations.iter_mut() {
        if key == LAST_APPLIED {
            redact_last_applied(value, stats);
            continue;
        }
        match value {
            // Already redacted (a snapshot read again): counted when it was.
            Value::String(s) if s == MARKER => {}
            Value::Null | Value::Bool(_) => {}
            _ if is_secret_name(key) => {
                *value = Value::String(MARKER.into());
                stats.annotations_redacted += 1;
            }
            Value::String(s) => {
                if let Some((redacted, n)) = words::scrub(s) {
                    *s = redacted;
                    stats.annotations_redacted += n;
                }
            }
            _ => {}
        }
    }
}

/// The last applied configuration is a copy of an object: it is redacted as one.
fn redact_last_applied(value: &mut Value, stats: &mut RedactionStats) {
    let Some(text) = value.as_str() else { return };
    if text == MARKER {
        return;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(inner) if is_secret(&inner) => {
            *value = Value::String(MARKER.into());
            stats.annotations_redacted += 1;
        }
        Ok(mut inner) => {
            let before = stats.clone();
            redact_object(&mut inner, stats);
            if *stats != before {
                *value = Value::String(inner.to_string());
            }
        }
        // Not JSON: we cannot tell what it holds.
        Err(_) => {
            *value = Value::String(MARKER.into());
            stats.annotations_redacted += 1;
        }
    }
}

/// Walks the object: annotations, env lists, command lines, headers, Kyverno generate
/// rules, and every other string.
fn redact_tree(value: &mut Value, stats: &mut RedactionStats) {
    match value {
        // One pass over the entries: this runs over every map of every object.
        Value::Object(map) => {
            let argv = redact_command_line(map, stats);
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    // Env values are replaced, and env lists are not walked further.
                    ("env", Value::Array(env)) => redact_env(env, stats),
                    // Read as one command line above.
                    ("command" | "args", Value::Array(_)) if argv => {}
                    ("metadata", Value::Object(meta)) => {
                        if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
                            redact_annotations(annotations, stats);
                        }
                        for (k, v) in meta.iter_mut() {
                            if k != "annotations" {
                                redact_tree(v, stats);
                            }
                        }
                    }
                    ("httpHeaders", Value::Array(headers)) => redact_headers(headers, stats),
                    ("generate", Value::Object(generate)) => {
                        kyverno_generate(generate, false, stats);
                        redact_tree_map(generate, stats);
                    }
                    (_, child) => redact_tree(child, stats),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_tree(v, stats)),
        Value::String(s) => {
            if let Some((redacted, n)) = words::scrub(s) {
                *s = redacted;
                stats.other_values_redacted += n;
            }
        }
        _ => {}
    }
}

fn redact_tree_map(map: &mut Map<String, Value>, stats: &mut RedactionStats) {
    for child in map.values_mut() {
        redact_tree(child, stats);
    }
}

/// A container's `command` and `args` (lists of strings), read as one command line. True
/// when the map has them.
fn redact_command_line(map: &mut Map<String, Value>, stats: &mut RedactionStats) -> bool {
    let strings = |key: &str| -> Option<Vec<&str>> {
        map.get(key)?
            .as_array()?
            .iter()
            .map(Value::as_str)
            .collect()
    };
    let (command, args) = (strings("command"), strings("args"));
    if command.is_none() && args.is_none() {
        return false;
    }
    let words: Vec<&str> = command.iter().chain(&args).flatten().copied().collect();
    let cuts = words::word_cuts(&words);
    if cuts.iter().all(Vec::is_empty) {
        return true;
    }
    let mut redacted: std::vec::IntoIter<Option<String>> = words
        .iter()
        .zip(&cuts)
        .map(|(w, c)| (!c.is_empty()).then(|| words::apply(w, c)))
        .collect::<Vec<_>>()
        .into_iter();
    stats.arguments_redacted += cuts.iter().map(Vec::len).sum::<usize>();
    for key in ["command", "args"] {
        if let Some(Value::Array(items)) = map.get_mut(key)
            && items.iter().all(Value::is_string)
        {
            for item in items.iter_mut() {
                if let Some(Some(new)) = redacted.next() {
                    *item = Value::String(new);
                }
            }
        }
    }
    true
}

/// Redacts a command line read from an API audit log (`kubectl exec`'s `command=` words,
/// the kubelet's `cmd=`) in place, by the rule a container's `command` and `args` go
/// through: the words are one command's arguments. Returns how many values it removed.
pub fn redact_command(words: &mut [String]) -> usize {
    let cuts = {
        let view: Vec<&str> = words.iter().map(String::as_str).collect();
        words::word_cuts(&view)
    };
    let mut removed = 0;
    for (word, cut) in words.iter_mut().zip(&cuts) {
        if !cut.is_empty() {
            removed += cut.len();
            *word = words::apply(word, cut);
        }
    }
    removed
}

fn redact_env(env: &mut [Value], stats: &mut RedactionStats) {
    for var in env.iter_mut() {
        if let Some(v) = var.as_object_mut().and_then(|m| m.get_mut("value"))
            && v.as_str() != Some(MARKER)
            && !v.is_null()
        {
            *v = Value::String(MARKER.into());
            stats.env_values_redacted += 1;
        }
    }
}

/// Probe and hook headers: `{name, value}` entries.
fn redact_headers(headers: &mut [Value], stats: &mut RedactionStats) {
    for header in headers.iter_mut() {
        let secret = header
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(is_secret_header);
        match header.as_object_mut().and_then(|m| m.get_mut("value")) {
            Some(v) if secret && !v.is_null() && v.as_str() != Some(MARKER) => {
                *v = Value::String(MARKER.into());
                stats.headers_redacted += 1;
            }
            _ => redact_tree(header, stats),
        }
    }
}

/// A header that carries a credential: `Authorization`, `Proxy-Authorization`, `Cookie`,
/// or one whose name names a secret (`X-Api-Key`, `X-Auth-Token`).
pub(crate) fn is_secret_header(name: &str) -> bool {
    ["authorization", "proxy-authorization", "cookie"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
        || is_secret_name(name)
}

/// Does a key, flag or variable name say its value is a secret? It names one
/// ([`names_a_secret`]) and does not say the value only refers to one (`--password-file`,
/// `secretName`).
pub(crate) fn is_secret_name(name: &str) -> bool {
    names_a_secret(name) && !names_a_reference(name)
}

fn names_a_reference(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    REFERENCE_ENDINGS.iter().any(|e| lower.ends_with(e))
}

/// Does the name contain a secret word ([`SECRET_WORDS`]), or is one of its parts `auth`
/// (or ends in it), `pass` or `pw`?
pub(crate) fn names_a_secret(key: &str) -> bool {
    let contains = |word: &str| {
        key.as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    };
    SECRET_WORDS.iter().any(|w| contains(w))
        || key.split(|c: char| !c.is_ascii_alphanumeric()).any(|part| {
            let ends_auth = part.len() >= 4 && part[part.len() - 4..].eq_ignore_ascii_case("auth");
            let pwd = part.eq_ignore_ascii_case("pwd") && part.len() < key.len();
            ends_auth || pwd || SECRET_PARTS.iter().any(|p| part.eq_ignore_ascii_case(p))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redact(mut v: Value) -> (Value, RedactionStats) {
        let mut stats = RedactionStats::default();
        redact_object(&mut v, &mut stats);
        (v, stats)
    }

    #[test]
    fn env_values_are_redacted_and_references_kept() {
        let (v, stats) = redact(json!({"kind": "Deployment", "spec": {"template": {"spec": {
            "containers": [{"name": "a", "env": [
                {"name": "DB_PASSWORD", "value": "hunter2"},
                {"name": "MODE", "value": "prod"},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "t"}}}
            ]}]
        }}}}));
        let env = &v["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env[0]["value"], MARKER);
        assert_eq!(env[1]["value"], MARKER);
        assert_eq!(env[2]["valueFrom"]["secretKeyRef"]["name"], "s");
        assert_eq!(stats.env_values_redacted, 2);
    }

    #[test]
    fn secret_looking_annotations_and_flags_are_redacted() {
        let (v, stats) = redact(json!({"kind": "Pod", "metadata": {"annotations": {
            "example.com/api-token": "abc",
            "example.com/owner": "team-a",
            "example.com/author": "jane",
            "example.com/secret-name": "db-creds",
            "example.com/db": "postgres://app:s3cret@db:5432/app",
            "example.com/jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "example.com/aws": "AKIAIOSFODNN7EXAMPLE"
        }}, "spec": {"containers": [{"name": "a",
            "args": ["--port=80", "--db-password=hunter2", "--oauth-token=x"]}]}}));
        let a = &v["metadata"]["annotations"];
        assert_eq!(a["example.com/api-token"], MARKER);
        assert_eq!(a["example.com/owner"], "team-a");
        assert_eq!(a["example.com/author"], "jane");
        // It names a Secret; it does not hold one.
        assert_eq!(a["example.com/secret-name"], "db-creds");
        // A URL keeps its user and host, and loses its password.
        assert_eq!(a["example.com/db"], "postgres://app:[REDACTED]@db:5432/app");
        assert_eq!(a["example.com/jwt"], MARKER);
        assert_eq!(a["example.com/aws"], MARKER);
        assert_eq!(
            v["spec"]["containers"][0]["args"],
            json!([
                "--port=80",
                "--db-password=[REDACTED]",
                "--oauth-token=[REDACTED]"
            ])
        );
        assert_eq!(stats.annotations_redacted, 4);
        assert_eq!(stats.arguments_redacted, 2);
        assert_eq!(stats.env_values_redacted, 0);
    }

    #[test]
    fn annotations_are_redacted_under_every_metadata_at_any_depth() {
        let annotations = json!({"example.com/db-password": "p1", "example.com/team": "t"});
        let (v, stats) = redact(json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "c", "annotations": annotations},
            "spec": {"jobTemplate": {
                "metadata": {"annotations": annotations},
                "spec": {"template": {"metadata": {"annotations": annotations}}}}}}));
        for at in [
            "/metadata/annotations",
            "/spec/jobTemplate/metadata/annotations",
            "/spec/jobTemplate/spec/template/metadata/annotations",
        ] {
            let a = v.pointer(at).unwrap();
            assert_eq!(a["example.com/db-password"], MARKER, "{at}");
            assert_eq!(a["example.com/team"], "t", "{at}");
        }
        assert_eq!(stats.annotations_redacted, 3);
    }

    #[test]
    fn a_container_command_line_is_read_as_one() {
        let (v, stats) = redact(json!({"kind": "Pod", "spec": {"containers": [
            {"name": "db", "command": ["mysql"], "args": ["-uroot", "-phunter2", "--token", "t1"]},
            {"name": "sh", "command": ["sh", "-c", "run --password=x && curl https://u:p@h"]},
            {"name": "ssh", "command": ["ssh"], "args": ["-p", "2222", "host"]}
        ]}}));
        let c = &v["spec"]["containers"];
        assert_eq!(c[0]["command"], json!(["mysql"]));
        assert_eq!(
            c[0]["args"],
            json!(["-uroot", "-p[REDACTED]", "--token", "[REDACTED]"])
        );
        assert_eq!(
            c[1]["command"][2],
            "run --password=[REDACTED] && curl https://u:[REDACTED]@h"
        );
        assert_eq!(c[2]["args"], json!(["-p", "2222", "host"]));
        assert_eq!(stats.arguments_redacted, 4);
    }

    #[test]
    fn an_audit_command_line_is_redacted_as_container_args_are() {
        let mut words: Vec<String> = [
            "mysql",
            "-uroot",
            "-phunter2",
            "--token",
            "t1",
            "sh",
            "-c",
            "curl -H 'Authorization: Bearer abc.def' https://u:p@h/",
            "ls",
            "-la",
        ]
        .map(String::from)
        .to_vec();
        let removed = redact_command(&mut words);
        assert_eq!(words[2], "-p[REDACTED]");
        assert_eq!(words[4], MARKER);
        assert!(
            !words[7].contains("abc.def") && !words[7].contains(":p@"),
            "{}",
            words[7]
        );
        assert_eq!(&words[8..], ["ls", "-la"]);
        assert_eq!(removed, 4);
        // The same words as a container's command line lose the same values.
        let (container, stats) = redact(json!({"containers": [{"name": "c",
            "command": ["mysql", "-uroot", "-phunter2", "--token", "t1", "sh", "-c",
                "curl -H 'Authorization: Bearer abc.def' https://u:p@h/", "ls", "-la"]}]}));
        assert_eq!(stats.arguments_redacted, removed);
        assert_eq!(container["containers"][0]["command"], json!(words));
        let again = words.clone();
        assert_eq!(redact_command(&mut words), 0);
        assert_eq!(words, again);
    }

    #[test]
    fn probe_headers_that_carry_a_credential_lose_their_value() {
        let (v, stats) = redact(json!({"kind": "Pod", "spec": {"containers": [{"name": "a",
        "livenessProbe": {"httpGet": {"httpHeaders": [
            {"name": "Authorization", "value": "Bearer abc"},
            {"name": "X-Api-Key", "value": "k"},
            {"name": "Accept", "value": "text/plain"}
        ]}}}]}}));
        let h = &v["spec"]["containers"][0]["livenessProbe"]["httpGet"]["httpHeaders"];
        assert_eq!(h[0]["value"], MARKER);
        assert_eq!(h[1]["value"], MARKER);
        assert_eq!(h[2]["value"], "text/plain");
        assert_eq!(stats.headers_redacted, 2);
    }

    #[test]
    fn other_objects_lose_the_secret_data_they_hold_and_keep_references() {
        let (sealed, s1) = redact(json!({"apiVersion": "bitnami.com/v1alpha1",
            "kind": "SealedSecret", "spec": {
                "encryptedData": {"password": "AgB..."},
                "template": {"metadata": {"name": "db"}, "data": {"dsn": "x"}}}}));
        assert_eq!(sealed["spec"]["encryptedData"]["password"], MARKER);
        assert_eq!(sealed["spec"]["template"]["data"]["dsn"], MARKER);
        assert_eq!(sealed["spec"]["template"]["metadata"]["name"], "db");
        assert_eq!(s1.secret_data_redacted, 2);

        let (external, s2) = redact(json!({"apiVersion": "external-secrets.io/v1beta1",
            "kind": "ExternalSecret", "spec": {
                "data": [{"secretKey": "p", "remoteRef": {"key": "db/password"}}],
                "target": {"template": {"data": {"dsn": "lit"},
                    "templateFrom": [{"literal": "pw: lit2"}, {"configMap": {"name": "t"}}]}}}}));
        assert_eq!(
            external["spec"]["data"][0]["remoteRef"]["key"],
            "db/password"
        );
        assert_eq!(
            external["spec"]["target"]["template"]["data"]["dsn"],
            MARKER
        );
        assert_eq!(
            external["spec"]["target"]["template"]["templateFrom"][0]["literal"],
            MARKER
        );
        assert_eq!(
            external["spec"]["target"]["template"]["templateFrom"][1]["configMap"]["name"],
            "t"
        );
        assert_eq!(s2.secret_data_redacted, 2);

        let rule = |kind: &str| {
            json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "spec": {"rules": [
                {"name": "r", "generate": {"kind": kind, "name": "n",
                    "data": {"data": {"k": "djE="}, "stringData": {"t": "v2"}, "type": "Opaque"}}},
                {"name": "each", "generate": {"foreach": [
                    {"kind": kind, "data": {"stringData": {"t": "v3"}}}]}}
            ]}})
        };
        let (policy, s3) = redact(rule("Secret"));
        let generate = &policy["spec"]["rules"][0]["generate"]["data"];
        assert_eq!(generate["data"]["k"], MARKER);
        assert_eq!(generate["stringData"]["t"], MARKER);
        assert_eq!(generate["type"], "Opaque");
        assert_eq!(
            policy["spec"]["rules"][1]["generate"]["foreach"][0]["data"]["stringData"]["t"],
            MARKER
        );
        assert_eq!(s3.secret_data_redacted, 3);
        let (config, s4) = redact(rule("ConfigMap"));
        assert_eq!(config, rule("ConfigMap"));
        assert_eq!(s4, RedactionStats::default());
    }

    #[test]
    fn secret_looking_values_anywhere_are_redacted_where_they_stand() {
        let (v, stats) = redact(
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "spec": {"source": {"repoURL": "https://bot:ghp_x1@github.com/acme/app.git"},
                "note": "signed with eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl today",
                "image": "ghcr.io/acme/auth:1.2"}}),
        );
        assert_eq!(
            v["spec"]["source"]["repoURL"],
            "https://bot:[REDACTED]@github.com/acme/app.git"
        );
        assert_eq!(v["spec"]["note"], "signed with [REDACTED] today");
        assert_eq!(v["spec"]["image"], "ghcr.io/acme/auth:1.2");
        assert_eq!(stats.other_values_redacted, 2);
    }

    #[test]
    fn a_redacted_object_read_again_counts_nothing_more() {
        let (once, stats) = redact(json!({"kind": "Pod", "metadata": {"annotations": {
            "example.com/api-token": "abc",
            "example.com/db": "postgres://app:s3cret@db/app"
        }}, "spec": {"containers": [{"name": "a",
            "env": [{"name": "P", "value": "v"}],
            "command": ["sh", "-c", "mysql -px"],
            "args": ["--db-password=x", "--token", "y"],
            "readinessProbe": {"httpGet": {"httpHeaders": [{"name": "Authorization", "value": "b"}]}}
        }]}}));
        assert_eq!(
            (
                stats.annotations_redacted,
                stats.env_values_redacted,
                stats.arguments_redacted,
                stats.headers_redacted
            ),
            (2, 1, 3, 1)
        );
        let (twice, again) = redact(once.clone());
        assert_eq!(twice, once);
        assert_eq!(again, RedactionStats::default());
    }

    #[test]
    fn last_applied_configuration_is_redacted_by_the_same_rules() {
        let inner = json!({"kind": "Deployment", "spec": {"template": {
            "metadata": {"annotations": {"example.com/token": "t"}},
            "spec": {"containers": [{"name": "a", "env": [{"name": "K", "value": "v"}]}]}}}});
        let (v, _) = redact(
            json!({"kind": "Deployment", "spec": {"template": {"metadata": {
            "annotations": {LAST_APPLIED: inner.to_string()}}}}}),
        );
        let text = v["spec"]["template"]["metadata"]["annotations"][LAST_APPLIED]
            .as_str()
            .unwrap();
        assert!(!text.contains("\"v\"") && !text.contains("\"t\""), "{text}");
        assert!(text.contains(MARKER));
        // A Secret's last applied configuration holds its data: none of it is kept.
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "data": {"k": "djE="}});
        let (v, stats) = redact(json!({"kind": "SealedSecret", "metadata": {"annotations": {
            LAST_APPLIED: secret.to_string()}}}));
        assert_eq!(v["metadata"]["annotations"][LAST_APPLIED], MARKER);
        assert_eq!(stats.annotations_redacted, 1);
    }

    #[test]
    fn configmap_data_is_removed_and_secrets_recognised_in_any_spelling() {
        let (v, stats) = redact(json!({"kind": "ConfigMap", "data": {"k": "v"}, "binaryData": {}}));
        assert!(v.get("data").is_none() && v.get("binaryData").is_none());
        assert_eq!(stats.configmap_data_removed, 1);
        for secret in [
            json!({"apiVersion": "v1", "kind": "Secret"}),
            json!({"apiVersion": "v1beta1", "kind": "secret"}),
            json!({"apiVersion": "example.com/v1", "kind": "SECRET"}),
            json!({"kind": "SecretList", "items": []}),
        ] {
            assert!(is_secret(&secret), "{secret}");
        }
        assert!(!is_secret(&json!({"kind": "SealedSecret"})));
    }

    #[test]
    fn documents_that_are_not_objects_lose_the_values_of_secret_keys() {
        let doc = json!({"deploy": {"password": "hunter2", "token": "${{ secrets.T }}",
            "port": 5432, "passwordFile": "/run/secrets/db", "api_key": 1234}});
        let mut v = doc.clone();
        let mut stats = RedactionStats::default();
        redact_document(&mut v, &mut stats);
        assert_eq!(v["deploy"]["password"], MARKER);
        assert_eq!(v["deploy"]["token"], "${{ secrets.T }}");
        assert_eq!(v["deploy"]["port"], 5432);
        assert_eq!(v["deploy"]["passwordFile"], "/run/secrets/db");
        assert_eq!(v["deploy"]["api_key"], MARKER);
        assert_eq!(stats.other_values_redacted, 2);
        // A Kubernetes object is judged by the object rule only: `secretName` and
        // `token` fields of its schema are references and settings.
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "spec": {
            "volumes": [{"name": "v", "secret": {"secretName": "s"}}],
            "automountServiceAccountToken": false}});
        let mut p = pod.clone();
        redact_document(&mut p, &mut RedactionStats::default());
        assert_eq!(p, pod);
    }

    #[test]
    fn names_that_name_a_secret() {
        for name in [
            "password",
            "DB_PASSWORD",
            "dbPassword",
            "passwd",
            "api-key",
            "apiKey",
            "x-auth-token",
            "basic-auth",
            "oauth",
            "client-secret",
            "pass",
            "db_pw",
            "client-key-data",
            "passphrase",
            "privateKey",
            "MYSQL_PWD",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "author",
            "authority",
            "bypass",
            "compass",
            "password-file",
            "secretName",
            "token-path",
            "password-stdin",
            "port",
            "pwd",
            "PWD",
            "keyName",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
