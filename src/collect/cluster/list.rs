//! HTTP with the API server: GETs with retries, and paginated lists.
//!
//! Takes a [`kube::Client`] (built from a kubeconfig, the pod's service account, or a test's
//! scripted service) and gives raw JSON bodies: lists are read page by page (`limit` and
//! `continue`), transient failures (429, 5xx, connection errors, timeouts) are retried with
//! exponential backoff up to a cap, and a list whose continue token expired (410 Gone) is
//! started again from the beginning. Each page is handed on as bytes, so no object is
//! deserialized into a typed struct on the way.
//!
//! A list is bounded ([`ListLimits`]): a server that sends a continue token it sent before,
//! or never stops sending new ones, cannot keep the run forever. The list is abandoned after
//! a repeated token, after `--max-list-pages` pages or `--max-list-seconds`, and its kind is
//! not assessed. A page body over the page limit is not read past it: the page is asked for
//! again with half the `limit`, down to one object; an object over the limit on its own
//! abandons the list.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use kube::client::Body;
use serde::Deserialize;

/// How hard to try before giving up on a request.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Tries of one request, the first included.
    pub attempts: u32,
    /// Wait before the first retry; doubled before each next one.
    pub base_delay: Duration,
    /// Longest wait between two tries (a server's `Retry-After` is capped by it too).
    pub max_delay: Duration,
    /// A request that has not been answered in full by then counts as a transient failure.
    pub timeout: Duration,
    /// How many times one list may start again after its continue token expired.
    pub restarts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            timeout: Duration::from_secs(60),
            restarts: 5,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry `n` (1-based): base × 2^(n-1), capped, or what the server asked.
    fn delay(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << (n.saturating_sub(1)).min(16));
        retry_after.unwrap_or(exp).min(self.max_delay)
    }
}

/// Default of `--max-list-pages`: far more pages than any cluster's list needs at the
/// default page size (10,000 × 500 objects), few enough to end a list that never ends.
pub const DEFAULT_MAX_LIST_PAGES: u32 = 10_000;

/// Default of `--max-list-seconds`: half of the CronJob's one-hour deadline.
pub const DEFAULT_MAX_LIST_SECONDS: u32 = 1_800;

/// The most bytes one answer (a list page, `/version`, discovery) is read to: about 100
/// times a page of 500 Pods. A page over it is asked for again with half the `limit`.
pub const MAX_PAGE_BYTES: u64 = 64 << 20;

/// Bounds on one list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListLimits {
    /// Pages one list may take, restarts included.
    pub max_pages: u32,
    /// Time one list may take, restarts included.
    pub max_duration: Duration,
    /// Bytes one answer is read to (see [`MAX_PAGE_BYTES`]).
    pub max_page_bytes: u64,
}

impl Default for ListLimits {
    fn default() -> Self {
        Self {
            max_pages: DEFAULT_MAX_LIST_PAGES,
            max_duration: Duration::from_secs(DEFAULT_MAX_LIST_SECONDS as u64),
            max_page_bytes: MAX_PAGE_BYTES,
        }
    }
}

/// Why a request did not give a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The server answered with this status; `message` is its `Status` message (or body).
    Status { code: u16, message: String },
    /// No answer after every retry: connection refused or reset, timeouts.
    Unreachable { message: String },
    /// The answer is longer than the limit; it was not read past it.
    TooLarge { limit: u64 },
    /// The list was given up: it would not end, or not within its bounds.
    Abandoned { message: String },
}

impl HttpError {
    pub fn code(&self) -> Option<u16> {
        match self {
            HttpError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn message(&self) -> String {
        match self {
            HttpError::Status { message, .. }
            | HttpError::Unreachable { message }
            | HttpError::Abandoned { message } => message.clone(),
            HttpError::TooLarge { .. } => self.to_string(),
        }
    }

    /// A list given up on its bounds: what it gave so far is not kept.
    pub fn is_abandoned(&self) -> bool {
        matches!(self, HttpError::Abandoned { .. })
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Status { code, message } => {
                let reason = StatusCode::from_u16(*code)
                    .ok()
                    .and_then(|c| c.canonical_reason())
                    .unwrap_or("");
                write!(f, "{code} {reason}: {message}")
            }
            HttpError::Unreachable { message } | HttpError::Abandoned { message } => {
                write!(f, "{message}")
            }
            HttpError::TooLarge { limit } => {
                write!(f, "the answer is over {limit} bytes; not read past that")
            }
        }
    }
}

fn is_transient(code: u16) -> bool {
    matches!(code, 429 | 500 | 502 | 503 | 504)
}

/// The API server's error body: a `Status` object.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Status {
    message: String,
}

/// GETs with retries on one client.
#[derive(Clone)]
pub struct Http {
    client: kube::Client,
    policy: RetryPolicy,
    limits: ListLimits,
}

impl Http {
    pub fn new(client: kube::Client, policy: RetryPolicy, limits: ListLimits) -> Self {
        Self {
            client,
            policy,
            limits,
        }
    }

    /// GETs `path_and_query`, retrying transient failures; the body of a 200.
    pub async fn get(&self, path_and_query: &str) -> Result<bytes::Bytes, HttpError> {
        let mut attempt = 1;
        loop {
            let (error, retry_after) = match self.try_get(path_and_query).await {
                Ok(body) => return Ok(body),
                Err(e) => e,
            };
            let transient = match &error {
                HttpError::Status { code, .. } => is_transient(*code),
                HttpError::Unreachable { .. } => true,
                HttpError::TooLarge { .. } | HttpError::Abandoned { .. } => false,
            };
            if !transient || attempt >= self.policy.attempts {
                if transient && attempt > 1 {
                    return Err(match error {
                        HttpError::Unreachable { message } => HttpError::Unreachable {
                            message: format!("{message} (gave up after {attempt} tries)"),
                        },
                        HttpError::Status { code, message } => HttpError::Status {
                            code,
                            message: format!("{message} (gave up after {attempt} tries)"),
                        },
                        other => other,
                    });
                }
                return Err(error);
            }
            let delay = self.policy.delay(attempt, retry_after);
            tracing::debug!(path = path_and_query, %error, ?delay, attempt, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One try: the body, or the error and the server's `Retry-After`.
    async fn try_get(
        &self,
        path_and_query: &str,
    ) -> Result<bytes::Bytes, (HttpError, Option<Duration>)> {
        let request = Request::get(path_and_query)
            .header(http::header::ACCEPT, "application/json")
            .body(Body::empty())
            .map_err(|e| {
                (
                    HttpError::Status {
                        code: 400,
                        message: format!("invalid request path {path_and_query}: {e}"),
                    },
                    None,
                )
            })?;
        let exchange = async {
            let response = self.client.send(request).await.map_err(|e| {
                (
                    HttpError::Unreachable {
                        message: describe_client_error(&e),
                    },
                    None,
                )
            })?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // Read to the limit and no further: a huge answer must not fill the memory.
            let limit = self.limits.max_page_bytes;
            let body = http_body_util::Limited::new(response.into_body(), limit as usize)
                .collect()
                .await
                .map_err(|e| {
                    let error = if e.is::<http_body_util::LengthLimitError>() {
                        HttpError::TooLarge { limit }
                    } else {
                        HttpError::Unreachable {
                            message: format!("the connection broke while reading the answer: {e}"),
                        }
                    };
                    (error, None)
                })?
                .to_bytes();
            if status.is_success() {
                return Ok(body);
            }
            let message = match serde_json::from_slice::<Status>(&body) {
                Ok(s) if !s.message.is_empty() => s.message,
                _ => String::from_utf8_lossy(&body)
                    .trim()
                    .chars()
                    .take(300)
                    .collect(),
            };
            Err((
                HttpError::Status {
                    code: status.as_u16(),
                    message,
                },
                retry_after,
            ))
        };
        match tokio::time::timeout(self.policy.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err((
                HttpError::Unreachable {
                    message: format!(
                        "no complete answer within {}s",
                        self.policy.timeout.as_secs_f32()
                    ),
                },
                None,
            )),
        }
    }

    /// The pages of the list at `path` (`extra_query` is added to each request).
    pub fn list(&self, path: &str, extra_query: &str, page_size: u32) -> Pages<'_> {
        Pages {
            http: self,
            path: path.to_string(),
            extra_query: extra_query.to_string(),
            page_size,
            token: None,
            page: 0,
            restarts: 0,
            restarted: false,
            done: false,
            started: Instant::now(),
            requests: 0,
            seen: HashSet::new(),
        }
    }
}

/// One page of a list.
pub struct Page {
    pub body: bytes::Bytes,
    /// 0 for the first page.
    pub number: u32,
    /// The list started again from the beginning before this page (its continue token had
    /// expired): whatever earlier pages gave must be dropped.
    pub restarted: bool,
}

/// A list being read, page by page (`limit` and `continue`).
pub struct Pages<'a> {
    http: &'a Http,
    path: String,
    extra_query: String,
    page_size: u32,
    token: Option<String>,
    page: u32,
    restarts: u32,
    restarted: bool,
    done: bool,
    started: Instant,
    /// Pages asked for so far, restarts included.
    requests: u32,
    /// Continue tokens received in this pass over the list.
    seen: HashSet<String>,
}

impl Pages<'_> {
    /// The next page, or None after the last one.
    pub async fn next(&mut self) -> Result<Option<Page>, HttpError> {
        if self.done {
            return Ok(None);
        }
        let result = self.next_within_bounds().await;
        if result.is_err() {
            self.done = true;
        }
        result
    }

    fn abandon(&self, why: String) -> HttpError {
        HttpError::Abandoned {
            message: format!(
                "gave up on the list after {} page(s) in {}s: {why}",
                self.requests,
                self.started.elapsed().as_secs()
            ),
        }
    }

    async fn next_within_bounds(&mut self) -> Result<Option<Page>, HttpError> {
        let limits = self.http.limits;
        loop {
            if self.requests >= limits.max_pages {
                return Err(self.abandon(format!(
                    "it did not end within {} pages (--max-list-pages; --page-size sets the \
                     objects per page)",
                    limits.max_pages
                )));
            }
            let Some(left) = limits.max_duration.checked_sub(self.started.elapsed()) else {
                return Err(self.abandon(format!(
                    "it did not end within {}s (--max-list-seconds)",
                    limits.max_duration.as_secs()
                )));
            };
            self.requests += 1;
            let mut url = format!("{}?limit={}", self.path, self.page_size);
            if !self.extra_query.is_empty() {
                url.push('&');
                url.push_str(&self.extra_query);
            }
            if let Some(t) = &self.token {
                url.push_str("&continue=");
                url.push_str(&encode_query_value(t));
            }
            let answer = match tokio::time::timeout(left, self.http.get(&url)).await {
                Ok(answer) => answer,
                Err(_) => {
                    return Err(self.abandon(format!(
                        "it did not end within {}s (--max-list-seconds)",
                        limits.max_duration.as_secs()
                    )));
                }
            };
            let body = match answer {
                Ok(body) => body,
                Err(HttpError::TooLarge { limit }) if self.page_size > 1 => {
                    // Same token, fewer objects: the rest of the list is read in smaller
                    // pages.
                    self.page_size /= 2;
                    tracing::info!(
                        path = self.path,
                        page = self.page,
                        limit,
                        page_size = self.page_size,
                        "a page of the list is over the byte limit; asking for smaller pages"
                    );
                    continue;
                }
                Err(HttpError::TooLarge { limit }) => {
                    return Err(self.abandon(format!(
                        "page {} holds one object over {limit} bytes, more than an object \
                         the API server stores",
                        self.page
                    )));
                }
                Err(HttpError::Status { code: 410, message })
                    if self.token.is_some() && self.restarts < self.http.policy.restarts =>
                {
                    self.restarts += 1;
                    tracing::warn!(
                        path = self.path,
                        page = self.page,
                        "the list's continue token expired ({message}); listing again from \
                         the beginning"
                    );
                    self.token = None;
                    self.page = 0;
                    self.restarted = true;
                    self.seen.clear();
                    continue;
                }
                Err(e) => return Err(e),
            };
            let next = continue_token(&body).map_err(|e| HttpError::Status {
                code: 200,
                message: format!("the answer to {url} is not a list: {e}"),
            })?;
            match next {
                Some(t) if !t.is_empty() => {
                    if !self.seen.insert(t.clone()) {
                        return Err(self.abandon(format!(
                            "page {} carries a continue token the API server sent before: \
                             the list would never end",
                            self.page
                        )));
                    }
                    self.token = Some(t);
                }
                _ => self.done = true,
            }
            let page = Page {
                body,
                number: self.page,
                restarted: std::mem::take(&mut self.restarted),
            };
            self.page += 1;
            return Ok(Some(page));
        }
    }
}

/// `metadata.continue` of a list page, checking on the way that the body is a list.
fn continue_token(body: &[u8]) -> Result<Option<String>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Meta {
        #[serde(default, rename = "continue")]
        token: Option<String>,
    }
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        metadata: Option<Meta>,
        #[allow(dead_code)]
        items: serde::de::IgnoredAny,
    }
    let page: Page = serde_json::from_slice(body)?;
    Ok(page.metadata.and_then(|m| m.token))
}

/// Percent-encodes a query value (continue tokens are base64 and may hold `=`, `+`, `/`).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// kube's errors, in words a user can act on (the chain of causes, without type names).
fn describe_client_error(e: &kube::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    /// A scripted API server: answers each request with the next scripted response and
    /// records the request URIs.
    struct Script {
        responses: Mutex<VecDeque<(u16, String)>>,
        seen: Mutex<Vec<String>>,
    }

    fn client(responses: Vec<(u16, &str)>) -> (kube::Client, Arc<Script>) {
        let script = Arc::new(Script {
            responses: Mutex::new(
                responses
                    .into_iter()
                    .map(|(c, b)| (c, b.to_string()))
                    .collect(),
            ),
            seen: Mutex::new(Vec::new()),
        });
        let s = script.clone();
        let service = tower::service_fn(move |req: Request<Body>| {
            let s = s.clone();
            async move {
                s.seen.lock().unwrap().push(req.uri().to_string());
                let (code, body) = s
                    .responses
                    .lock()
                    .unwrap()
                    .pop_front()
                    .expect("a request past the script");
                let response = http::Response::builder()
                    .status(code)
                    .header("content-type", "application/json")
                    .body(Body::from(body.into_bytes()))
                    .unwrap();
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        (kube::Client::new(service, "default"), script)
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            timeout: Duration::from_secs(5),
            restarts: 2,
        }
    }

    fn page(names: &[&str], token: Option<&str>) -> String {
        let items: Vec<String> = names
            .iter()
            .map(|n| format!(r#"{{"metadata":{{"name":"{n}"}}}}"#))
            .collect();
        let meta = match token {
            Some(t) => {
                format!(r#"{{"resourceVersion":"7","continue":"{t}","remainingItemCount":1}}"#)
            }
            None => r#"{"resourceVersion":"7"}"#.to_string(),
        };
        format!(
            r#"{{"kind":"PodList","apiVersion":"v1","metadata":{meta},"items":[{}]}}"#,
            items.join(",")
        )
    }

    const GONE: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result.","reason":"Expired","code":410}"#;
    const FORBIDDEN: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \"u\" cannot list resource \"pods\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"pods"},"code":403}"#;

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// Names of the items of every page read, with restarts marked; the pages read.
    async fn read_all(http: &Http, path: &str) -> (Result<u32, HttpError>, Vec<String>) {
        let mut names = Vec::new();
        let mut pages = http.list(path, "", 2);
        let mut count = 0;
        loop {
            match pages.next().await {
                Ok(Some(page)) => {
                    if page.restarted {
                        names.push("(restart)".to_string());
                    }
                    count = page.number + 1;
                    let v: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
                    for item in v["items"].as_array().unwrap() {
                        names.push(item["metadata"]["name"].as_str().unwrap().to_string());
                    }
                }
                Ok(None) => return (Ok(count), names),
                Err(e) => return (Err(e), names),
            }
        }
    }

    #[test]
    fn follows_continue_tokens_until_the_last_page() {
        run(async {
            let p1 = page(&["a", "b"], Some("tok+1/=="));
            let p2 = page(&["c"], None);
            let (client, script) = client(vec![(200, &p1), (200, &p2)]);
            let http = Http::new(client, fast(), ListLimits::default());
            let (result, names) = read_all(&http, "/api/v1/pods").await;
            assert_eq!(result, Ok(2));
            assert_eq!(names, ["a", "b", "c"]);
            assert_eq!(
                *script.seen.lock().unwrap(),
                [
                    "/api/v1/pods?limit=2",
                    "/api/v1/pods?limit=2&continue=tok%2B1%2F%3D%3D"
                ]
            );
        });
    }

    #[test]
    fn transient_errors_are_retried_and_a_gone_token_restarts_the_list() {
        run(async {
            let p1 = page(&["a", "b"], Some("t1"));
            let p2 = page(&["c"], None);
            let (client, script) = client(vec![
                (503, "{}"),
                (200, &p1),
                (429, "{}"),
                (410, GONE),
                (200, &p1),
                (500, "oops"),
                (200, &p2),
            ]);
            let http = Http::new(client, fast(), ListLimits::default());
            let (result, names) = read_all(&http, "/api/v1/pods").await;
            assert_eq!(result, Ok(2));
            assert_eq!(names, ["a", "b", "(restart)", "a", "b", "c"]);
            assert_eq!(script.seen.lock().unwrap().len(), 7);
        });
    }

    #[test]
    fn forbidden_is_not_retried_and_keeps_the_server_message() {
        run(async {
            let (client, script) = client(vec![(403, FORBIDDEN)]);
            let http = Http::new(client, fast(), ListLimits::default());
            let (result, _) = read_all(&http, "/api/v1/pods").await;
            let e = result.unwrap_err();
            assert_eq!(e.code(), Some(403));
            assert!(e.message().contains("cannot list resource \"pods\""), "{e}");
            assert_eq!(script.seen.lock().unwrap().len(), 1);
        });
    }

    #[test]
    fn retries_stop_at_the_cap_and_say_so() {
        run(async {
            let (client, script) = client(vec![(503, "{}"); 4]);
            let http = Http::new(client, fast(), ListLimits::default());
            let e = http.get("/version").await.unwrap_err();
            assert_eq!(e.code(), Some(503));
            assert!(e.to_string().contains("gave up after 4 tries"), "{e}");
            assert_eq!(script.seen.lock().unwrap().len(), 4);
        });
    }

    #[test]
    fn endless_expiry_gives_up_after_the_restart_budget() {
        run(async {
            let p1 = page(&["a", "b"], Some("t1"));
            let (client, _) = client(vec![
                (200, &p1),
                (410, GONE),
                (200, &p1),
                (410, GONE),
                (200, &p1),
                (410, GONE),
            ]);
            let http = Http::new(client, fast(), ListLimits::default());
            let (result, _) = read_all(&http, "/api/v1/pods").await;
            assert_eq!(result.unwrap_err().code(), Some(410));
        });
    }

    #[test]
    fn a_repeated_continue_token_abandons_the_list() {
        run(async {
            let p1 = page(&["a", "b"], Some("t1"));
            let p2 = page(&["c", "d"], Some("t1"));
            let (client, script) = client(vec![(200, &p1), (200, &p2)]);
            let http = Http::new(client, fast(), ListLimits::default());
            let (result, _) = read_all(&http, "/api/v1/pods").await;
            let e = result.unwrap_err();
            assert!(e.is_abandoned(), "{e:?}");
            assert!(
                e.to_string()
                    .contains("page 1 carries a continue token the API server sent before"),
                "{e}"
            );
            assert_eq!(script.seen.lock().unwrap().len(), 2);
        });
    }

    #[test]
    fn a_list_that_never_ends_is_abandoned_at_the_page_cap() {
        run(async {
            let pages: Vec<String> = (0..10)
                .map(|i| page(&["a"], Some(&format!("t{i}"))))
                .collect();
            let (client, script) = client(pages.iter().map(|p| (200, p.as_str())).collect());
            let limits = ListLimits {
                max_pages: 3,
                ..ListLimits::default()
            };
            let http = Http::new(client, fast(), limits);
            let (result, names) = read_all(&http, "/api/v1/pods").await;
            let e = result.unwrap_err();
            assert!(
                e.to_string().contains("within 3 pages (--max-list-pages"),
                "{e}"
            );
            assert_eq!(names.len(), 3);
            assert_eq!(script.seen.lock().unwrap().len(), 3);
        });
    }

    #[test]
    fn a_list_out_of_time_is_abandoned() {
        run(async {
            let p1 = page(&["a"], Some("t1"));
            let (client, script) = client(vec![(200, &p1)]);
            let limits = ListLimits {
                max_duration: Duration::ZERO,
                ..ListLimits::default()
            };
            let http = Http::new(client, fast(), limits);
            let (result, _) = read_all(&http, "/api/v1/pods").await;
            let e = result.unwrap_err();
            assert!(
                e.to_string().contains("within 0s (--max-list-seconds)"),
                "{e}"
            );
            assert!(script.seen.lock().unwrap().is_empty());
        });
    }

    #[test]
    fn a_page_over_the_byte_limit_is_asked_for_again_in_smaller_pages() {
        run(async {
            let big = page(&["a", "b"], Some("t1"));
            let small = page(&["a"], Some("t1"));
            let last = page(&["b"], None);
            let limit = (small.len().max(last.len()) + 1) as u64;
            assert!(big.len() as u64 > limit);
            let (first, script) = client(vec![(200, &big), (200, &small), (200, &last)]);
            let limits = ListLimits {
                max_page_bytes: limit,
                ..ListLimits::default()
            };
            let http = Http::new(first, fast(), limits);
            let (result, names) = read_all(&http, "/api/v1/pods").await;
            assert_eq!(result, Ok(2));
            assert_eq!(names, ["a", "b"]);
            assert_eq!(
                *script.seen.lock().unwrap(),
                [
                    "/api/v1/pods?limit=2",
                    "/api/v1/pods?limit=1",
                    "/api/v1/pods?limit=1&continue=t1"
                ]
            );
            // One object over the limit on its own: the list is abandoned, naming the page.
            let (again, _) = client(vec![(200, &big), (200, &big)]);
            let http = Http::new(again, fast(), limits);
            let (result, _) = read_all(&http, "/api/v1/pods").await;
            let e = result.unwrap_err();
            assert!(e.is_abandoned(), "{e:?}");
            assert!(
                e.to_string().contains("page 0 holds one object over"),
                "{e}"
            );
        });
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, None), Duration::from_millis(250));
        assert_eq!(p.delay(3, None), Duration::from_secs(1));
        assert_eq!(p.delay(10, None), Duration::from_secs(8));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(300))),
            Duration::from_secs(8)
        );
    }
}
