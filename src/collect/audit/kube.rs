//! The kube-apiserver's own audit log (`--audit-log-path`): one `audit.k8s.io/v1` `Event` a
//! line, at any level (`Metadata`, `Request`, `RequestResponse`). EKS and AKS wrap the same
//! events; their modules unwrap them and come here.
//!
//! Each event is read twice at most: once into [`Light`] (id, stage, times, verb and
//! target: what coverage and the candidate test need), and, for the few candidates, once
//! into [`Full`] (who, from where, the outcome, the body). Both borrow from the line and skip
//! every other field without building it.
//!
//! ```json
//! {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"5c1d...",
//!  "stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/web-1/exec?command=sh&container=app",
//!  "verb":"create","user":{"username":"jane@example.com","groups":["system:authenticated"]},
//!  "sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/abc",
//!  "objectRef":{"resource":"pods","namespace":"shop","name":"web-1","apiVersion":"v1","subresource":"exec"},
//!  "responseStatus":{"code":101},"requestReceivedTimestamp":"2026-07-14T09:12:03.120000Z",
//!  "stageTimestamp":"2026-07-14T09:15:40.002000Z"}
//! ```

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::classify::{Detail, Head, Level, Stage};
use super::coverage::parse_time;
use super::{RecordError, Sink};

#[derive(Deserialize)]
struct Light<'a> {
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(rename = "auditID", borrow, default)]
    audit_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    stage: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    verb: Option<Cow<'a, str>>,
    #[serde(rename = "objectRef", borrow, default)]
    object_ref: Option<ObjectRef<'a>>,
    #[serde(rename = "requestReceivedTimestamp", borrow, default)]
    received: Option<Cow<'a, str>>,
    #[serde(rename = "stageTimestamp", borrow, default)]
    logged: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct ObjectRef<'a> {
    #[serde(borrow, default)]
    resource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    subresource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Full<'a> {
    #[serde(borrow, default)]
    level: Option<Cow<'a, str>>,
    #[serde(rename = "requestURI", borrow, default)]
    request_uri: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    user: Option<UserInfo<'a>>,
    #[serde(rename = "impersonatedUser", borrow, default)]
    impersonated_user: Option<UserInfo<'a>>,
    #[serde(rename = "sourceIPs", borrow, default)]
    source_ips: Option<Vec<Cow<'a, str>>>,
    #[serde(rename = "userAgent", borrow, default)]
    user_agent: Option<Cow<'a, str>>,
    #[serde(rename = "objectRef", borrow, default)]
    object_ref: Option<ObjectRef<'a>>,
    #[serde(rename = "responseStatus", default)]
    response_status: Option<ResponseStatus>,
    #[serde(rename = "requestObject", borrow, default)]
    request_object: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct UserInfo<'a> {
    #[serde(borrow, default)]
    username: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    groups: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct ResponseStatus {
    #[serde(default)]
    code: Option<i64>,
}

/// Reads one event (a line of the API server's log, or the event an export wraps).
pub(super) fn event(text: &str, sink: &mut Sink<'_>) -> Result<(), RecordError> {
    let light: Light<'_> = serde_json::from_str(text).map_err(RecordError::json)?;
    if light.audit_id.is_none() && light.kind.as_deref() != Some("Event") {
        return Err(RecordError::NotAShape);
    }
    let object = light.object_ref.unwrap_or_default();
    let head = Head {
        audit_id: light.audit_id,
        stage: Stage::parse(light.stage.as_deref()),
        received: light.received.as_deref().and_then(parse_time),
        logged: light.logged.as_deref().and_then(parse_time),
        verb: light.verb,
        resource: object.resource,
        subresource: object.subresource,
    };
    sink.event(head, || {
        let full: Full<'_> = serde_json::from_str(text).map_err(RecordError::json)?;
        let object = full.object_ref.unwrap_or_default();
        let (user, groups) = split_user(full.user);
        let (impersonated_user, impersonated_groups) = split_user(full.impersonated_user);
        Ok(Detail {
            level: Some(Level::parse(full.level.as_deref())),
            namespace: object.namespace,
            name: object.name,
            uri: full.request_uri,
            user,
            groups,
            impersonated_user,
            impersonated_groups,
            source_ips: full.source_ips.unwrap_or_default(),
            user_agent: full.user_agent,
            code: full
                .response_status
                .and_then(|s| s.code)
                .and_then(|c| u16::try_from(c).ok()),
            body: full.request_object,
        })
    })
}

#[allow(clippy::type_complexity)]
fn split_user(user: Option<UserInfo<'_>>) -> (Option<Cow<'_, str>>, Vec<Cow<'_, str>>) {
    match user {
        Some(u) => (u.username, u.groups.unwrap_or_default()),
        None => (None, Vec::new()),
    }
}
