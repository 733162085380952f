//! EKS control-plane audit logs, exported from CloudWatch Logs (log group
//! `/aws/eks/<cluster>/cluster`, streams `kube-apiserver-audit-*`). Each CloudWatch event's
//! `message` is one API server audit event as a JSON string; [`super::kube`] reads it.
//!
//! Accepted, per line or as elements of a JSON document:
//!
//! - a CloudWatch event with the audit event in `message` (`aws logs filter-log-events`
//!   output through `jq -c '.events[]'`, or Logs Insights results exported as JSON):
//!   `{"timestamp":1783415523120,"message":"{\"kind\":\"Event\",...}","logStreamName":"kube-apiserver-audit-1f2e..."}`
//! - a line of an S3 export (`aws logs create-export-task`): the time CloudWatch took it,
//!   a space, and the message: `2026-07-14T09:12:03.120Z {"kind":"Event",...}`;
//! - a wrapper holding such events in `events` (the whole `aws logs filter-log-events` or
//!   `get-log-events` output) or `logEvents` (a subscription's payload, as Firehose
//!   delivers it; several may follow each other without a separator).
//!
//! A message from another stream of the group (`authenticator-*`, `kube-apiserver-*`
//! text logs), or one that is not a JSON object, is skipped and counted, not a problem.

use std::borrow::Cow;

use serde::Deserialize;

use super::{RecordError, Sink, kube};

#[derive(Deserialize)]
struct CloudWatchEvent<'a> {
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
    #[serde(rename = "logStreamName", borrow, default)]
    log_stream_name: Option<Cow<'a, str>>,
    #[serde(rename = "logEvents", borrow, default)]
    log_events: Option<Vec<CloudWatchEvent<'a>>>,
    #[serde(borrow, default)]
    events: Option<Vec<CloudWatchEvent<'a>>>,
}

/// Reads one record: a CloudWatch event, a wrapper of them, or an S3 export line.
pub(super) fn record(text: &str, sink: &mut Sink<'_>) -> Result<(), RecordError> {
    if let Some(message) = export_line(text) {
        return message_event(message, sink);
    }
    let event: CloudWatchEvent<'_> = serde_json::from_str(text).map_err(RecordError::json)?;
    let batch = event.log_events.or(event.events);
    match (batch, event.message) {
        (Some(batch), _) => {
            for (i, inner) in batch.into_iter().enumerate() {
                sink.nested(i, |sink| cloudwatch_event(inner, sink));
            }
            Ok(())
        }
        (None, Some(message)) => {
            if is_other_stream(event.log_stream_name.as_deref()) {
                sink.skipped();
                return Ok(());
            }
            message_event(&message, sink)
        }
        (None, None) => Err(RecordError::NotAShape),
    }
}

fn cloudwatch_event(event: CloudWatchEvent<'_>, sink: &mut Sink<'_>) -> Result<(), RecordError> {
    match event.message {
        Some(_) if is_other_stream(event.log_stream_name.as_deref()) => {
            sink.skipped();
            Ok(())
        }
        Some(message) => message_event(&message, sink),
        None => Err(RecordError::Missing("message")),
    }
}

/// A stream of the log group that holds no audit events.
fn is_other_stream(stream: Option<&str>) -> bool {
    stream.is_some_and(|s| !s.starts_with("kube-apiserver-audit"))
}

fn message_event(message: &str, sink: &mut Sink<'_>) -> Result<(), RecordError> {
    if !message.trim_start().starts_with('{') {
        // A text log line of another component.
        sink.skipped();
        return Ok(());
    }
    kube::event(message, sink)
}

/// The message of an S3 export line: `<RFC 3339 time> <message>`.
pub(super) fn export_line(text: &str) -> Option<&str> {
    let (time, message) = text.split_once(' ')?;
    (time.starts_with(|c: char| c.is_ascii_digit()) && super::coverage::parse_time(time).is_some())
        .then_some(message)
}
