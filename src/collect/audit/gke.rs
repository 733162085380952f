//! GKE's Kubernetes audit logs, from Cloud Audit Logs (service `k8s.io`), exported as JSON:
//! a log sink to Cloud Storage writes one `LogEntry` a line; `gcloud logging read
//! --format=json` writes a JSON array of them; the Logging API's `entries.list` wraps them
//! in `entries`.
//!
//! ```json
//! {"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog",
//!   "serviceName":"k8s.io","methodName":"io.k8s.core.v1.pods.exec.create",
//!   "resourceName":"core/v1/namespaces/shop/pods/web-1/exec",
//!   "authenticationInfo":{"principalEmail":"jane@example.com"},
//!   "requestMetadata":{"callerIp":"203.0.113.7","callerSuppliedUserAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/abc"},
//!   "status":{}},
//!  "insertId":"8a1c...","resource":{"type":"k8s_cluster","labels":{"cluster_name":"prod"}},
//!  "timestamp":"2026-07-14T09:12:03.120Z","operation":{"id":"5c1d...","producer":"k8s.io","first":true,"last":true}}
//! ```
//!
//! The method name gives the verb, resource and subresource; the resource name the
//! namespace and name. The entry does not hold the groups, the request URI (so no command
//! or container of an exec) or the audit level: a `request` body makes it `Request`,
//! otherwise `Metadata`. `status.code` is a `google.rpc.Code`, given as the HTTP status it
//! stands for (0 is 200, 7 is 403, ...); an empty `status` is 0. An entry of another service
//! (GKE's own API, `container.googleapis.com`) is skipped and counted.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::classify::{Detail, Head, Level, Stage};
use super::coverage::parse_time;
use super::{RecordError, Sink};

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "protoPayload", borrow, default)]
    proto: Option<Proto<'a>>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "insertId", borrow, default)]
    insert_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    operation: Option<Operation<'a>>,
    /// `entries.list` output on one line.
    #[serde(borrow, default)]
    entries: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Operation<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    first: Option<bool>,
    #[serde(default)]
    last: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Proto<'a> {
    #[serde(borrow, default)]
    service_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    resource_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    authentication_info: Option<AuthenticationInfo<'a>>,
    #[serde(borrow, default)]
    request_metadata: Option<RequestMetadata<'a>>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticationInfo<'a> {
    #[serde(borrow, default)]
    principal_email: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    principal_subject: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestMetadata<'a> {
    #[serde(borrow, default)]
    caller_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    caller_supplied_user_agent: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    code: Option<i64>,
}

/// Reads one `LogEntry`.
pub(super) fn record(text: &str, sink: &mut Sink<'_>) -> Result<(), RecordError> {
    let entry: Entry<'_> = serde_json::from_str(text).map_err(RecordError::json)?;
    if let Some(entries) = entry.entries {
        for (i, inner) in entries.into_iter().enumerate() {
            sink.nested(i, |sink| record(inner.get(), sink));
        }
        return Ok(());
    }
    let Some(proto) = entry.proto else {
        return Err(RecordError::NotAShape);
    };
    let method = proto.method_name.as_deref().unwrap_or("");
    let kubernetes =
        proto.service_name.as_deref() == Some("k8s.io") || method.starts_with("io.k8s.");
    if !kubernetes {
        sink.skipped();
        return Ok(());
    }
    let time = entry.timestamp.as_deref().and_then(parse_time);
    let (resource, subresource, verb) = method_parts(method);
    let stage = entry.operation.as_ref().map(|o| match (o.first, o.last) {
        (_, Some(true)) => Stage::ResponseComplete,
        (Some(true), _) => Stage::ResponseStarted,
        _ => Stage::ResponseComplete,
    });
    let audit_id = entry
        .operation
        .as_ref()
        .and_then(|o| o.id.clone())
        .or(entry.insert_id);
    let head = Head {
        audit_id,
        stage,
        received: time,
        logged: time,
        verb: verb.map(Cow::Borrowed),
        resource: resource.map(Cow::Borrowed),
        subresource: subresource.map(Cow::Borrowed),
    };
    let resource_name = proto.resource_name;
    let auth = proto.authentication_info;
    let meta = proto.request_metadata;
    let status = proto.status;
    let request = proto.request;
    sink.event(head, move || {
        let (namespace, name) = resource_name
            .as_deref()
            .map(names_in)
            .unwrap_or((None, None));
        let user = auth.and_then(|a| a.principal_email.or(a.principal_subject));
        let (ip, user_agent) = match meta {
            Some(m) => (m.caller_ip, m.caller_supplied_user_agent),
            None => (None, None),
        };
        Ok(Detail {
            level: Some(if request.is_some() {
                Level::Request
            } else {
                Level::Metadata
            }),
            namespace: namespace.map(|s| Cow::Owned(s.to_string())),
            name: name.map(|s| Cow::Owned(s.to_string())),
            uri: resource_name,
            user,
            groups: Vec::new(),
            impersonated_user: None,
            impersonated_groups: Vec::new(),
            source_ips: ip.into_iter().collect(),
            user_agent,
            code: status.map(|s| http_status(s.code.unwrap_or(0))),
            body: request,
        })
    })
}

/// `io.k8s.core.v1.pods.exec.create` gives (`pods`, `exec`, `create`). The resource is
/// given only for the core group: `pods` of another API group is not a pod.
fn method_parts(method: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let Some(rest) = method.strip_prefix("io.k8s.") else {
        return (None, None, None);
    };
    let parts: Vec<&str> = rest.split('.').collect();
    let Some(v) = parts.iter().position(|p| is_version(p)) else {
        return (None, None, None);
    };
    let group = parts[..v].join(".");
    let tail = &parts[v + 1..];
    let (resource, subresource, verb) = match tail {
        [resource, verb] => (Some(*resource), None, Some(*verb)),
        [resource, sub, verb] => (Some(*resource), Some(*sub), Some(*verb)),
        _ => (None, None, tail.last().copied()),
    };
    (resource.filter(|_| group == "core"), subresource, verb)
}

/// `v1`, `v1beta1`, `v2alpha3`.
fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let rest = &rest[digits..];
    rest.is_empty()
        || ["alpha", "beta"].iter().any(|w| {
            rest.strip_prefix(w)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// The namespace and name in `core/v1/namespaces/<ns>/pods/<name>[/<sub>...]` or
/// `core/v1/nodes/<name>[/...]`.
fn names_in(resource_name: &str) -> (Option<&str>, Option<&str>) {
    let parts: Vec<&str> = resource_name.split('/').collect();
    match parts.iter().position(|p| *p == "namespaces") {
        Some(i) if parts.len() > i + 3 => (Some(parts[i + 1]), Some(parts[i + 3])),
        Some(i) => (parts.get(i + 1).copied(), None),
        None => (None, parts.get(3).copied()),
    }
}

/// The HTTP status a `google.rpc.Code` stands for.
fn http_status(code: i64) -> u16 {
    match code {
        0 => 200,
        1 => 499,
        3 | 9 | 11 => 400,
        4 => 504,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_and_resource_names_are_split() {
        assert_eq!(
            method_parts("io.k8s.core.v1.pods.exec.create"),
            (Some("pods"), Some("exec"), Some("create"))
        );
        assert_eq!(
            method_parts("io.k8s.core.v1.pods.patch"),
            (Some("pods"), None, Some("patch"))
        );
        assert_eq!(
            method_parts("io.k8s.example.com.v1beta1.pods.create"),
            (None, None, Some("create"))
        );
        assert_eq!(
            method_parts("google.container.v1.ClusterManager.GetCluster").2,
            None
        );
        assert_eq!(
            names_in("core/v1/namespaces/shop/pods/web-1/exec"),
            (Some("shop"), Some("web-1"))
        );
        assert_eq!(
            names_in("core/v1/nodes/node-1/proxy"),
            (None, Some("node-1"))
        );
        assert_eq!(http_status(7), 403);
    }
}
