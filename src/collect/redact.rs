//! Redaction: what evidencer removes from objects before anything is stored, hashed or shown.
//!
//! The rule, applied to every object from every collector:
//! - `Secret` objects are dropped whole (the caller counts them);
//! - `ConfigMap` `data` and `binaryData` are removed;
//! - every literal `env[].value` in any pod spec is replaced by [`MARKER`] (`valueFrom`
//!   references stay: they name a Secret, they do not hold its value);
//! - an annotation is replaced by [`MARKER`] when its key names a secret (password, passwd,
//!   secret, token, apikey/api-key/api_key, credential, private-key, auth) or its value looks
//!   like one (a PEM private key, a JWT, an AWS access key id, a `user:password@` URL);
//!   `kubectl.kubernetes.io/last-applied-configuration` is redacted by these same rules;
//! - a `command`/`args` entry `--<name>=<value>` whose flag name names a secret keeps the flag
//!   and loses the value.

use serde_json::{Map, Value};

use super::RedactionStats;

/// What a redacted value is replaced by.
pub const MARKER: &str = "[REDACTED]";

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Words that make an annotation key or a flag name secret-looking.
const SECRET_WORDS: [&str; 10] = [
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api-key",
    "api_key",
    "credential",
    "private-key",
    "auth",
];

/// Is this object a Secret (to be dropped whole)?
pub fn is_secret(value: &Value) -> bool {
    value.get("kind").and_then(Value::as_str) == Some("Secret")
        && value
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_none_or(|v| v == "v1")
}

/// Redacts one object in place by the module's rule, counting what it removed.
pub fn redact_object(value: &mut Value, stats: &mut RedactionStats) {
    if value.get("kind").and_then(Value::as_str) == Some("ConfigMap")
        && let Some(map) = value.as_object_mut()
    {
        let had = map.remove("data").is_some() | map.remove("binaryData").is_some();
        stats.configmap_data_removed += usize::from(had);
    }
    if let Some(annotations) = value
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        redact_annotations(annotations, stats);
    }
    redact_tree(value, stats);
}

fn redact_annotations(annotations: &mut Map<String, Value>, stats: &mut RedactionStats) {
    for (key, value) in annotations.iter_mut() {
        // Already redacted (a snapshot read again): counted when it was.
        if value.as_str() == Some(MARKER) {
            continue;
        }
        if key == LAST_APPLIED {
            if let Some(text) = value.as_str()
                && let Ok(mut inner) = serde_json::from_str::<Value>(text)
            {
                let before = stats.clone();
                redact_object(&mut inner, stats);
                if *stats != before {
                    *value = Value::String(inner.to_string());
                }
                continue;
            }
            // Not JSON: we cannot tell what it holds.
            *value = Value::String(MARKER.into());
            stats.annotations_redacted += 1;
            continue;
        }
        let secret_value = value.as_str().is_some_and(looks_like_secret_value);
        if names_a_secret(key) || secret_value {
            *value = Value::String(MARKER.into());
            stats.annotations_redacted += 1;
        }
    }
}

/// Walks the object for container lists: `env` values and secret-looking flags.
fn redact_tree(value: &mut Value, stats: &mut RedactionStats) {
    match value {
        // One pass over the entries: this runs over every map of every object.
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match key.as_str() {
                    // Env values are replaced, and env lists are not walked further.
                    "env" => {
                        if let Value::Array(env) = child {
                            redact_env(env, stats);
                        }
                    }
                    "command" | "args" => {
                        if let Value::Array(items) = child {
                            redact_flags(items, stats);
                        }
                        redact_tree(child, stats);
                    }
                    _ => redact_tree(child, stats),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_tree(v, stats)),
        _ => {}
    }
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

fn redact_flags(items: &mut [Value], stats: &mut RedactionStats) {
    for item in items.iter_mut() {
        if let Some(redacted) = item.as_str().and_then(redact_flag) {
            *item = Value::String(redacted);
            stats.env_values_redacted += 1;
        }
    }
}

/// `--db-password=hunter2` becomes `--db-password=[REDACTED]`.
fn redact_flag(arg: &str) -> Option<String> {
    let (flag, value) = arg.split_once('=')?;
    let name = flag.strip_prefix("--").or_else(|| flag.strip_prefix('-'))?;
    (names_a_secret(name) && value != MARKER).then(|| format!("{flag}={MARKER}"))
}

pub(crate) fn names_a_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    // `authority`, `author` are not secrets; `auth`, `basic-auth`, `oauth-token` are.
    SECRET_WORDS.iter().any(|w| {
        if *w == "auth" {
            key.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|part| part == "auth" || part.ends_with("auth"))
        } else {
            key.contains(w)
        }
    })
}

pub(crate) fn looks_like_secret_value(value: &str) -> bool {
    let v = value.trim();
    v.contains("PRIVATE KEY-----") || is_jwt(v) || is_aws_access_key_id(v) || has_url_password(v)
}

fn is_jwt(v: &str) -> bool {
    let parts: Vec<_> = v.split('.').collect();
    parts.len() == 3
        && v.starts_with("eyJ")
        && parts.iter().all(|p| {
            p.len() >= 4
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
        })
}

fn is_aws_access_key_id(v: &str) -> bool {
    v.len() == 20
        && (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn has_url_password(v: &str) -> bool {
    let Some((_, rest)) = v.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
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
            "example.com/db": "postgres://app:s3cret@db:5432/app",
            "example.com/jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "example.com/aws": "AKIAIOSFODNN7EXAMPLE"
        }}, "spec": {"containers": [{"name": "a",
            "args": ["--port=80", "--db-password=hunter2", "--oauth-token=x"]}]}}));
        let a = &v["metadata"]["annotations"];
        assert_eq!(a["example.com/api-token"], MARKER);
        assert_eq!(a["example.com/owner"], "team-a");
        assert_eq!(a["example.com/author"], "jane");
        assert_eq!(a["example.com/db"], MARKER);
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
    }

    #[test]
    fn a_redacted_object_read_again_counts_nothing_more() {
        let (once, stats) = redact(json!({"kind": "Pod", "metadata": {"annotations": {
            "example.com/api-token": "abc"
        }}, "spec": {"containers": [{"name": "a",
            "env": [{"name": "P", "value": "v"}], "args": ["--db-password=x"]}]}}));
        assert_eq!(
            (stats.annotations_redacted, stats.env_values_redacted),
            (1, 2)
        );
        let (twice, again) = redact(once.clone());
        assert_eq!(twice, once);
        assert_eq!(again, RedactionStats::default());
    }

    /// Found by the `snapshot_file` fuzz target: a last-applied configuration already
    /// redacted whole (it was not JSON) was counted again each time it was read.
    #[test]
    fn a_redacted_last_applied_configuration_read_again_counts_nothing_more() {
        let (once, stats) = redact(json!({"kind": "Deployment", "metadata": {"annotations": {
            LAST_APPLIED: "not json"}}}));
        assert_eq!(once["metadata"]["annotations"][LAST_APPLIED], MARKER);
        assert_eq!(stats.annotations_redacted, 1);
        let (twice, again) = redact(once.clone());
        assert_eq!(twice, once);
        assert_eq!(again, RedactionStats::default());
    }

    #[test]
    fn last_applied_configuration_is_redacted_by_the_same_rules() {
        let inner = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
            {"name": "a", "env": [{"name": "K", "value": "v"}]}]}}}});
        let (v, _) = redact(json!({"kind": "Deployment", "metadata": {"annotations": {
            LAST_APPLIED: inner.to_string()}}}));
        let text = v["metadata"]["annotations"][LAST_APPLIED].as_str().unwrap();
        assert!(!text.contains("\"v\""), "{text}");
        assert!(text.contains(MARKER));
    }

    #[test]
    fn configmap_data_is_removed_and_secrets_recognised() {
        let (v, stats) = redact(json!({"kind": "ConfigMap", "data": {"k": "v"}, "binaryData": {}}));
        assert!(v.get("data").is_none() && v.get("binaryData").is_none());
        assert_eq!(stats.configmap_data_removed, 1);
        assert!(is_secret(&json!({"apiVersion": "v1", "kind": "Secret"})));
        assert!(!is_secret(
            &json!({"apiVersion": "example.com/v1", "kind": "Secret"})
        ));
    }
}
