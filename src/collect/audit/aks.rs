//! AKS diagnostic logs (diagnostic setting categories `kube-audit` and `kube-audit-admin`)
//! archived to a storage account or streamed through Event Hubs. Each record's
//! `properties.log` is one API server audit event as a JSON string; [`super::kube`] reads
//! it.
//!
//! Accepted, per line or as elements of a JSON document:
//!
//! - a record a line, as the storage account's `PT1H.json` blobs hold them:
//!   `{"time":"2026-07-14T09:12:03.1200000Z","category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{"log":"{\"kind\":\"Event\",...}","stream":"stdout","pod":"kube-apiserver-6d5c..."}}`
//! - records wrapped in `{"records":[...]}`, as Event Hubs delivers them (and older blobs).
//!
//! A record of another category (`kube-apiserver`, `guard`, ...) is skipped and counted,
//! not a problem. The Log Analytics tables (`AKSAudit`, `AKSAuditAdmin`) are not this
//! shape: export the diagnostic logs themselves.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{RecordError, Sink, kube};

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    category: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    properties: Option<Properties<'a>>,
    #[serde(borrow, default)]
    records: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Properties<'a> {
    /// The event: a JSON string, or (re-serialised by some pipelines) the object itself.
    #[serde(borrow, default)]
    log: Option<&'a RawValue>,
}

/// The categories that hold audit events.
fn is_audit_category(category: &str) -> bool {
    category.eq_ignore_ascii_case("kube-audit") || category.eq_ignore_ascii_case("kube-audit-admin")
}

/// Reads one record, or a `records` wrapper of them.
pub(super) fn record(text: &str, sink: &mut Sink<'_>) -> Result<(), RecordError> {
    let record: Record<'_> = serde_json::from_str(text).map_err(RecordError::json)?;
    if let Some(records) = record.records {
        for (i, inner) in records.into_iter().enumerate() {
            sink.nested(i, |sink| {
                let record: Record<'_> =
                    serde_json::from_str(inner.get()).map_err(RecordError::json)?;
                one(record, sink)
            });
        }
        return Ok(());
    }
    one(record, sink)
}

fn one(record: Record<'_>, sink: &mut Sink<'_>) -> Result<(), RecordError> {
    if record
        .category
        .as_deref()
        .is_some_and(|c| !is_audit_category(c))
    {
        sink.skipped();
        return Ok(());
    }
    let Some(properties) = record.properties else {
        return Err(RecordError::NotAShape);
    };
    let Some(log) = properties.log else {
        return Err(RecordError::Missing("properties.log"));
    };
    let raw = log.get();
    if raw.starts_with('"') {
        let text: Cow<'_, str> = serde_json::from_str(raw).map_err(RecordError::json)?;
        kube::event(&text, sink)
    } else {
        kube::event(raw, sink)
    }
}
