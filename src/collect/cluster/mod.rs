//! The live-cluster collector: objects read from the Kubernetes API.
//!
//! Connects the kubectl way (`--kubeconfig`, `KUBECONFIG` or `~/.kube/config`, `--context`;
//! the pod's service account when there is no kubeconfig), reads `/version`, discovers which
//! optional APIs exist, then lists every kind of [`kinds::KINDS`] concurrently (a bounded
//! number at a time), page by page (see [`list`]). Each item goes through the same path as an
//! object read from a file ([`super::snapshot`]): redaction, canonical hashing, metadata,
//! coverage. The result is an [`Inventory`] for `report --cluster`, or a snapshot directory
//! for `collect` (see [`write`]). A kind the API refuses (403) or does not serve is recorded
//! in the coverage and the run goes on; what cannot be reached at all stops it.

mod list;
pub mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

pub use list::{
    DEFAULT_MAX_LIST_PAGES, DEFAULT_MAX_LIST_SECONDS, ListLimits, MAX_PAGE_BYTES, RetryPolicy,
};
use list::{Http, HttpError};

use super::ingest::{self, Built};
use crate::evidence::inventory::{Inventory, KindStatus, RedactionStats, ServerVersion};
use crate::evidence::inventory::{Problem, ProblemLevel};
use crate::evidence::kinds::{self, ANY_RESOURCE, Availability, GATEKEEPER_KINDS_CHECKED, KINDS};
use crate::evidence::object::{Object, Origin};
use crate::evidence::record::{
    EvidenceKind, EvidenceRecord, Source, SourceKind, evidence_id, sha256_hex,
};

/// Default of `--page-size`: the number of objects asked for per list request.
pub const DEFAULT_PAGE_SIZE: u32 = 500;

/// How many lists run at once: enough to overlap the long Pod list with all the short
/// ones, few enough not to look like a flood to the API server's priority and fairness.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Where and how to collect.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// kubeconfig file; None reads `KUBECONFIG` or `~/.kube/config`, and failing those, the
    /// pod's service account.
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context; None takes the current context.
    pub context: Option<String>,
    /// Namespaces to read namespaced kinds (and Namespace objects) from; empty means all.
    pub namespaces: Vec<String>,
    pub page_size: u32,
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// Bounds on each list: pages, time, bytes per page.
    pub limits: ListLimits,
    /// Workload kinds the config added: listed where served, like the table's discovered
    /// kinds, though the derived ClusterRole does not grant them.
    pub extra_kinds: Vec<crate::evidence::workload_kinds::WorkloadKind>,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            page_size: DEFAULT_PAGE_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            retry: RetryPolicy::default(),
            limits: ListLimits::default(),
            extra_kinds: Vec::new(),
        }
    }
}

/// What stops a collection: no cluster to talk to, or one that does not answer.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot use kubeconfig {path}: {message}")]
    Kubeconfig { path: String, message: String },
    #[error(
        "no cluster to connect to: no kubeconfig ({kubeconfig}) and not running in a pod \
         ({in_cluster}); pass --kubeconfig FILE or set KUBECONFIG"
    )]
    NoConfig {
        kubeconfig: String,
        in_cluster: String,
    },
    #[error("cannot set up a client for {server}: {message}")]
    Client { server: String, message: String },
    #[error(
        "cannot read {what} from the API server {server} (context {context}): {error}; check \
         the context, the network, and that the server is up (nothing was collected)"
    )]
    Unreachable {
        context: String,
        server: String,
        what: String,
        error: String,
    },
    #[error(
        "the API server {server} rejected the credentials of context {context} (401 \
         Unauthorized: {message}); log in again or renew the token (nothing was collected)"
    )]
    Unauthorized {
        context: String,
        server: String,
        message: String,
    },
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

/// A client for one cluster, with the names it is reported under.
pub struct Target {
    pub client: kube::Client,
    /// kubeconfig context name, or `in-cluster`.
    pub context: String,
    /// API server URL.
    pub server: String,
}

/// Context name reported for the pod's own service account.
pub const IN_CLUSTER: &str = "in-cluster";

/// Builds a client the way kubectl picks its cluster: `--kubeconfig`, else `KUBECONFIG` or
/// `~/.kube/config`, else (when neither exists and no context was asked for) the pod's
/// service account (`KUBERNETES_SERVICE_HOST` and the token and CA at the fixed path).
pub async fn connect(options: &ClusterOptions) -> Result<Target, ClusterError> {
    use kube::config::{KubeConfigOptions, Kubeconfig};
    let read = match &options.kubeconfig {
        Some(path) => {
            let refused = |message: String| ClusterError::Kubeconfig {
                path: path.display().to_string(),
                message,
            };
            // kube reads the file itself: it must be a regular file first (a FIFO would
            // hang the read, a device never end it).
            crate::base::input::open(path).map_err(|e| refused(e.to_string()))?;
            Some(Kubeconfig::read_from(path).map_err(|e| refused(e.to_string()))?)
        }
        None => match Kubeconfig::read() {
            Ok(k) => Some(k),
            Err(e) if options.context.is_some() => {
                return Err(ClusterError::Kubeconfig {
                    path: "from KUBECONFIG or ~/.kube/config".into(),
                    message: e.to_string(),
                });
            }
            Err(e) => {
                tracing::debug!("no kubeconfig ({e}); trying the pod's service account");
                match kube::Config::incluster() {
                    Ok(config) => return target(config, IN_CLUSTER.into()),
                    Err(in_cluster) => {
                        return Err(ClusterError::NoConfig {
                            kubeconfig: e.to_string(),
                            in_cluster: in_cluster.to_string(),
                        });
                    }
                }
            }
        },
    };
    let kubeconfig = read.expect("a kubeconfig was read");
    let shown = options
        .kubeconfig
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "from KUBECONFIG or ~/.kube/config".into());
    let Some(context) = options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
    else {
        return Err(ClusterError::Kubeconfig {
            path: shown,
            message: "it sets no current-context; pass --context NAME".into(),
        });
    };
    let config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &KubeConfigOptions {
            context: Some(context.clone()),
            cluster: None,
            user: None,
        },
    )
    .await
    .map_err(|e| ClusterError::Kubeconfig {
        path: shown,
        message: format!("context {context}: {e}"),
    })?;
    target(config, context)
}

fn target(mut config: kube::Config, context: String) -> Result<Target, ClusterError> {
    // Retries are ours (with the policy of `list`); kube's own would multiply them.
    config.default_retry = false;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let client = kube::Client::try_from(config).map_err(|e| ClusterError::Client {
        server: server.clone(),
        message: e.to_string(),
    })?;
    Ok(Target {
        client,
        context,
        server,
    })
}

/// A multi-threaded runtime on the machine's cores: requests overlap while pages are built.
pub fn runtime() -> Result<tokio::runtime::Runtime, ClusterError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .enable_all()
        .build()
        .map_err(ClusterError::Runtime)
}

/// `report --cluster`: everything the checks need, from the live API.
pub fn collect_inventory(options: &ClusterOptions) -> Result<Inventory, ClusterError> {
    runtime()?.block_on(async {
        let target = connect(options).await?;
        let collected = gather::<Objects>(&target, options).await?;
        Ok(collected.into_inventory())
    })
}

/// Keeps what a caller needs of the objects built from list pages: the objects themselves
/// for a report, their JSON for a snapshot file.
trait Gather: Default + Send + 'static {
    fn add(&mut self, built: Built);
    /// Appends another list of the same kind (another namespace).
    fn merge(&mut self, other: Self);
    fn count(&self) -> usize;
}

/// The objects of a kind, as a report keeps them.
#[derive(Default)]
struct Objects {
    objects: Vec<Object>,
    records: Vec<EvidenceRecord>,
    redaction: RedactionStats,
    problems: Vec<Problem>,
}

impl Gather for Objects {
    fn add(&mut self, built: Built) {
        match built {
            Built::Object(object, record, stats) => {
                self.objects.push(*object);
                self.records.push(record);
                self.redaction.merge(stats);
            }
            Built::Secret => self.redaction.secrets_dropped += 1,
            Built::Skipped => {}
            Built::Problem(p) => self.problems.push(p),
        }
    }

    fn merge(&mut self, other: Self) {
        self.objects.extend(other.objects);
        self.records.extend(other.records);
        self.redaction.merge(other.redaction);
        self.problems.extend(other.problems);
    }

    fn count(&self) -> usize {
        self.objects.len()
    }
}

/// A resource to list, resolved against what the server serves.
#[derive(Clone, Debug)]
struct Resolved {
    group: String,
    version: String,
    plural: String,
    kind: String,
    namespaced: bool,
}

impl Resolved {
    fn from_spec(spec: &kinds::KindSpec, version: &str) -> Self {
        Self {
            group: spec.group.into(),
            version: version.into(),
            plural: spec.plural.into(),
            kind: spec.kind.into(),
            namespaced: spec.namespaced,
        }
    }

    /// `/api/v1` or `/apis/apps/v1`.
    fn prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    fn api_version(&self) -> String {
        kinds::api_version(&self.group, &self.version)
    }

    fn resource(&self) -> String {
        kinds::resource_name(&self.plural, &self.group)
    }

    /// The list path, in one namespace or across all.
    fn list_path(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if self.namespaced => {
                format!("{}/namespaces/{ns}/{}", self.prefix(), self.plural)
            }
            _ => format!("{}/{}", self.prefix(), self.plural),
        }
    }

    /// The API path of one object: its evidence locator.
    fn object_path(&self, namespace: Option<&str>, name: &str) -> String {
        match namespace {
            Some(ns) if self.namespaced => {
                format!("{}/namespaces/{ns}/{}/{name}", self.prefix(), self.plural)
            }
            _ => format!("{}/{}/{name}", self.prefix(), self.plural),
        }
    }
}

/// What one kind gave.
struct KindResult<G> {
    kind: String,
    api_version: String,
    resource: String,
    /// None when listing failed for a reason other than 403 or 404 (a problem says why).
    status: Option<KindStatus>,
    /// When the first of its lists was read.
    collected_at: Option<String>,
    gathered: G,
}

/// Everything one collection gave.
struct Collected<G> {
    source_id: String,
    context: String,
    server: String,
    /// `/version` as the server sent it.
    version: Value,
    server_version: ServerVersion,
    namespaces: Vec<String>,
    kinds: Vec<KindResult<G>>,
    problems: Vec<Problem>,
    /// When the last list was read.
    finished_at: String,
}

/// One list request series (one kind, in one namespace or across all).
struct Job {
    index: usize,
    resolved: Resolved,
    path: String,
    query: String,
    namespace: Option<String>,
}

/// What one list gave.
struct ListResult<G> {
    gathered: G,
    error: Option<HttpError>,
    collected_at: Option<String>,
}

async fn gather<G: Gather>(
    target: &Target,
    options: &ClusterOptions,
) -> Result<Collected<G>, ClusterError> {
    let http = Http::new(target.client.clone(), options.retry, options.limits);
    let source_id = format!("cluster:{}", target.context);
    let unreachable = |what: &str, error: HttpError| match error.code() {
        Some(401) => ClusterError::Unauthorized {
            context: target.context.clone(),
            server: target.server.clone(),
            message: error.message().to_string(),
        },
        _ => ClusterError::Unreachable {
            context: target.context.clone(),
            server: target.server.clone(),
            what: what.to_string(),
            error: error.to_string(),
        },
    };
    let body = http
        .get("/version")
        .await
        .map_err(|e| unreachable("/version", e))?;
    let version: Value = serde_json::from_slice(&body).map_err(|e| {
        unreachable(
            "/version",
            HttpError::Status {
                code: 200,
                message: format!("not the JSON of a version: {e}"),
            },
        )
    })?;
    let server_version: ServerVersion = serde_json::from_value(version.clone()).unwrap_or_default();
    tracing::info!(
        context = target.context,
        server = target.server,
        version = server_version.git_version,
        "connected"
    );

    let mut problems = Vec::new();
    let specs = kinds_to_list(&options.extra_kinds);
    let plan = discover(&http, &specs, &source_id, &mut problems)
        .await
        .map_err(|e| unreachable("/apis", e))?;

    // Kinds in table order; each with its preset status (not served, forbidden) or the
    // resource to list.
    let mut results: Vec<KindResult<G>> = Vec::new();
    let mut jobs = Vec::new();
    for planned in plan {
        let index = results.len();
        match planned {
            Planned::Status {
                kind,
                api_version,
                resource,
                status,
            } => results.push(KindResult {
                kind: kinds::coverage_key(
                    api_version.split_once('/').map_or("", |(g, _)| g),
                    &kind,
                ),
                api_version,
                resource,
                status: Some(status),
                collected_at: None,
                gathered: G::default(),
            }),
            Planned::List(resolved) => {
                results.push(KindResult {
                    kind: kinds::coverage_key(&resolved.group, &resolved.kind),
                    api_version: resolved.api_version(),
                    resource: resolved.resource(),
                    status: Some(KindStatus::Collected { count: 0 }),
                    collected_at: None,
                    gathered: G::default(),
                });
                jobs.extend(jobs_for(index, &resolved, &options.namespaces));
            }
        }
    }

    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let source: Arc<str> = source_id.clone().into();
    for job in jobs {
        let http = http.clone();
        let semaphore = semaphore.clone();
        let source = source.clone();
        let page_size = options.page_size.max(1);
        set.spawn(async move {
            let _permit = semaphore.acquire_owned().await.expect("never closed");
            let result = run_list::<G>(&http, &job, page_size, &source).await;
            (job, result)
        });
    }
    let mut finished: Vec<(Job, ListResult<G>)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        finished.push(joined.expect("a list task panicked"));
    }
    // Results in a fixed order whatever order the lists finished in.
    finished.sort_by(|(a, _), (b, _)| (a.index, &a.namespace).cmp(&(b.index, &b.namespace)));
    for (job, result) in finished {
        let kind = &mut results[job.index];
        kind.gathered.merge(result.gathered);
        if kind.collected_at.is_none() {
            kind.collected_at = result.collected_at;
        }
        let Some(error) = result.error else { continue };
        if error.code() == Some(401) {
            return Err(unreachable(&job.path, error));
        }
        let scope = match &job.namespace {
            Some(ns) if job.resolved.namespaced => format!("in namespace {ns}"),
            _ if job.resolved.namespaced => "in all namespaces".to_string(),
            _ => "(cluster-scoped)".to_string(),
        };
        let (status, problem) = list_failure(&source_id, &job, &scope, &error);
        problems.push(problem);
        // Forbidden wins over collected: a pass needs every namespace's objects.
        match (&kind.status, status) {
            (Some(KindStatus::Forbidden { .. }), _) => {}
            (_, Some(s @ KindStatus::Forbidden { .. })) => kind.status = Some(s),
            (_, Some(KindStatus::NotServed)) if kind.gathered.count() == 0 => {
                kind.status = Some(KindStatus::NotServed)
            }
            (_, _) => kind.status = None,
        }
    }
    for kind in &mut results {
        if let Some(KindStatus::Collected { count }) = &mut kind.status {
            *count = kind.gathered.count();
        }
    }
    results.sort_by(|a, b| (&a.kind, &a.api_version).cmp(&(&b.kind, &b.api_version)));
    Ok(Collected {
        source_id,
        context: target.context.clone(),
        server: target.server.clone(),
        version,
        server_version,
        namespaces: options.namespaces.clone(),
        kinds: results,
        problems,
        finished_at: crate::base::timefmt::rfc3339(Utc::now()),
    })
}

/// The problem a failed list is reported as, and the kind's status it implies.
fn list_failure(
    source_id: &str,
    job: &Job,
    scope: &str,
    error: &HttpError,
) -> (Option<KindStatus>, Problem) {
    let kind = &job.resolved.kind;
    let resource = job.resolved.resource();
    match error.code() {
        Some(403) => (
            Some(KindStatus::Forbidden {
                reason: error.message().to_string(),
            }),
            Problem::new(
                ProblemLevel::Warning,
                source_id,
                job.path.clone(),
                format!(
                    "missing permission: `list` on {resource} {scope}; {kind} objects were \
                     not collected and the checks that need them are not assessed"
                ),
            )
            .hint(format!(
                "grant `list` on {resource} to the user or service account (evidencer only \
                 ever lists, and never Secrets or ConfigMaps); the server said: {}",
                error.message()
            )),
        ),
        Some(404) => (
            Some(KindStatus::NotServed),
            Problem::new(
                ProblemLevel::Warning,
                source_id,
                job.path.clone(),
                format!("the API server does not serve {resource} ({kind}): {error}"),
            )
            .hint("an older or trimmed-down API server; checks that need it are not assessed"),
        ),
        _ if error.is_abandoned() => (
            None,
            Problem::new(
                ProblemLevel::Error,
                source_id,
                job.path.clone(),
                format!("listing {kind} objects {scope} failed: {error}"),
            )
            .hint(
                "none of its objects were kept and the checks that need them are not \
                 assessed; an API server (or a proxy before it) that does not end a list is \
                 faulty: report it, or raise --max-list-pages / --max-list-seconds if the list \
                 is only that long",
            ),
        ),
        _ => (
            None,
            Problem::new(
                ProblemLevel::Error,
                source_id,
                job.path.clone(),
                format!("listing {kind} objects {scope} failed: {error}"),
            )
            .hint("run again; checks that need them are not assessed"),
        ),
    }
}

fn jobs_for(index: usize, resolved: &Resolved, namespaces: &[String]) -> Vec<Job> {
    let job = |namespace: Option<&String>, query: String| Job {
        index,
        resolved: resolved.clone(),
        path: resolved.list_path(namespace.map(String::as_str)),
        query,
        namespace: namespace.cloned(),
    };
    if namespaces.is_empty() {
        return vec![job(None, String::new())];
    }
    if resolved.namespaced {
        return namespaces
            .iter()
            .map(|ns| job(Some(ns), String::new()))
            .collect();
    }
    if resolved.group.is_empty() && resolved.plural == "namespaces" {
        // Only the namespaces asked for; a field selector keeps the verb `list`.
        return namespaces
            .iter()
            .map(|ns| {
                let query = format!(
                    "fieldSelector={}",
                    list::encode_query_value(&format!("metadata.name={ns}"))
                );
                Job {
                    namespace: Some(ns.clone()),
                    ..job(None, query)
                }
            })
            .collect();
    }
    vec![job(None, String::new())]
}

/// Reads one list, building each page's objects on the blocking pool while the next page
/// is fetched.
async fn run_list<G: Gather>(
    http: &Http,
    job: &Job,
    page_size: u32,
    source_id: &Arc<str>,
) -> ListResult<G> {
    let mut pages = http.list(&job.path, &job.query, page_size);
    let mut building: Option<tokio::task::JoinHandle<G>> = None;
    let mut idle = Some(G::default());
    let mut collected_at: Option<String> = None;
    let mut count = 0;
    loop {
        let page = match pages.next().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(error) => {
                let mut gathered = match building.take() {
                    Some(h) => h.await.expect("building a page panicked"),
                    None => idle.take().unwrap_or_default(),
                };
                // A list that would not end may have sent the same objects again and
                // again: none of it is kept.
                if error.is_abandoned() {
                    gathered = G::default();
                }
                return ListResult {
                    gathered,
                    error: Some(error),
                    collected_at,
                };
            }
        };
        let mut gathered = match building.take() {
            Some(h) => h.await.expect("building a page panicked"),
            None => idle.take().unwrap_or_default(),
        };
        if page.restarted {
            gathered = G::default();
            collected_at = None;
        }
        let at = collected_at
            .get_or_insert_with(|| crate::base::timefmt::rfc3339(Utc::now()))
            .clone();
        count = page.number + 1;
        let resolved = job.resolved.clone();
        let source_id = source_id.clone();
        building = Some(tokio::task::spawn_blocking(move || {
            build_page(&page.body, &resolved, &at, &source_id, &mut gathered);
            gathered
        }));
    }
    let gathered = match building {
        Some(h) => h.await.expect("building a page panicked"),
        None => idle.unwrap_or_default(),
    };
    tracing::debug!(
        path = job.path,
        pages = count,
        objects = gathered.count(),
        "listed"
    );
    ListResult {
        gathered,
        error: None,
        collected_at,
    }
}

/// Turns one list page into objects, through the same path as objects read from files.
fn build_page<G: Gather>(
    body: &[u8],
    resolved: &Resolved,
    collected_at: &str,
    source_id: &str,
    gathered: &mut G,
) {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ListPage<'a> {
        #[serde(default)]
        kind: Option<String>,
        #[serde(default)]
        api_version: Option<String>,
        #[serde(borrow)]
        items: Vec<&'a RawValue>,
    }
    let page: ListPage<'_> = match serde_json::from_slice(body) {
        Ok(page) => page,
        Err(e) => {
            gathered.add(Built::Problem(Problem::new(
                ProblemLevel::Error,
                source_id,
                resolved.list_path(None),
                format!(
                    "a page of the {} list is not valid JSON: {e}",
                    resolved.kind
                ),
            )));
            return;
        }
    };
    // Items of built-in lists (`PodList`) omit their kind and apiVersion.
    let kind = page
        .kind
        .as_deref()
        .and_then(|k| k.strip_suffix("List"))
        .filter(|k| !k.is_empty())
        .unwrap_or(&resolved.kind)
        .to_string();
    let api_version = page.api_version.unwrap_or_else(|| resolved.api_version());
    let built: Vec<Built> = page
        .items
        .par_iter()
        .map(|raw| {
            let mut value: Value = match serde_json::from_str(raw.get()) {
                Ok(v) => v,
                Err(e) => {
                    return Built::Problem(Problem::new(
                        ProblemLevel::Error,
                        source_id,
                        resolved.list_path(None),
                        format!("an item of the {kind} list is not valid JSON: {e}"),
                    ));
                }
            };
            if let Some(obj) = value.as_object_mut() {
                ingest::fill_type(obj, &kind, &api_version);
            }
            let name = value
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let namespace = value.pointer("/metadata/namespace").and_then(Value::as_str);
            let locator = resolved.object_path(namespace, name);
            let origin = Origin {
                path: Some(locator.clone()),
                line: None,
                via: None,
            };
            ingest::build(value, locator, origin, Some(collected_at), source_id)
        })
        .collect();
    for b in built {
        gathered.add(b);
    }
}

/// The kinds to list, or the status of a kind that will not be listed.
enum Planned {
    List(Resolved),
    Status {
        kind: String,
        api_version: String,
        resource: String,
        status: KindStatus,
    },
}

/// `/apis`: the groups the server serves.
#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    name: String,
    #[serde(default)]
    versions: Vec<GroupVersion>,
    #[serde(default)]
    preferred_version: Option<GroupVersion>,
}

#[derive(Deserialize)]
struct GroupVersion {
    version: String,
}

/// `/apis/<group>/<version>`: the resources of a group version.
#[derive(Deserialize)]
struct ResourceList {
    #[serde(default)]
    resources: Vec<ApiResource>,
}

#[derive(Clone, Deserialize)]
struct ApiResource {
    name: String,
    kind: String,
    #[serde(default)]
    namespaced: bool,
    #[serde(default)]
    verbs: Vec<String>,
}

/// [`KINDS`], then the workload kinds the config added that it does not hold, listed where
/// discovery shows them (in the row's first version, else one the server serves).
fn kinds_to_list(extra: &[crate::evidence::workload_kinds::WorkloadKind]) -> Vec<kinds::KindSpec> {
    let mut specs = KINDS.to_vec();
    for row in extra {
        if row.plural.is_empty()
            || specs
                .iter()
                .any(|k| k.group == row.group && k.plural == row.plural)
        {
            continue;
        }
        // The collector's table holds `'static` names; a config row lives for the run.
        let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
        specs.push(kinds::KindSpec {
            group: leak(&row.group),
            version: leak(row.versions.first().map(String::as_str).unwrap_or("v1")),
            plural: leak(&row.plural),
            kind: leak(&row.kind),
            namespaced: row.namespaced,
            availability: Availability::Discovered,
        });
    }
    specs
}

/// Resolves the table against the server: required kinds are listed as they are; a
/// discovered kind is listed in a version of its group that serves it, or recorded as not
/// served (or forbidden, when discovery itself was refused).
async fn discover(
    http: &Http,
    specs: &[kinds::KindSpec],
    source_id: &str,
    problems: &mut Vec<Problem>,
) -> Result<Vec<Planned>, HttpError> {
    let body = http.get("/apis").await?;
    let groups: GroupList = serde_json::from_slice(&body).map_err(|e| HttpError::Status {
        code: 200,
        message: format!("not an APIGroupList: {e}"),
    })?;
    let groups: BTreeMap<&str, &Group> =
        groups.groups.iter().map(|g| (g.name.as_str(), g)).collect();
    let mut resources: BTreeMap<String, Result<Vec<ApiResource>, HttpError>> = BTreeMap::new();
    let mut plan = Vec::new();
    for spec in specs {
        if spec.availability == Availability::Required {
            plan.push(Planned::List(Resolved::from_spec(spec, spec.version)));
            continue;
        }
        let not_served = |kind: &str| Planned::Status {
            kind: kind.to_string(),
            api_version: spec.api_version(),
            resource: if spec.plural == ANY_RESOURCE {
                kinds::resource_name(&kind.to_ascii_lowercase(), spec.group)
            } else {
                spec.resource()
            },
            status: KindStatus::NotServed,
        };
        let fixed_kinds: Vec<&str> = if spec.kind == ANY_RESOURCE {
            GATEKEEPER_KINDS_CHECKED.to_vec()
        } else {
            vec![spec.kind]
        };
        let Some(group) = groups.get(spec.group) else {
            plan.extend(fixed_kinds.iter().map(|k| not_served(k)));
            continue;
        };
        // The table's version first, then the server's preferred one, then the others.
        let mut versions: Vec<&str> = Vec::new();
        let served: Vec<&str> = group.versions.iter().map(|v| v.version.as_str()).collect();
        if served.contains(&spec.version) {
            versions.push(spec.version);
        }
        if let Some(p) = &group.preferred_version {
            versions.push(&p.version);
        }
        versions.extend(served.iter().copied());
        versions.dedup();
        let mut found: Option<(String, Vec<ApiResource>)> = None;
        let mut refused: Option<HttpError> = None;
        for version in versions {
            let key = format!("/apis/{}/{version}", spec.group);
            if !resources.contains_key(&key) {
                let fetched = match http.get(&key).await {
                    Ok(body) => serde_json::from_slice::<ResourceList>(&body)
                        .map(|l| l.resources)
                        .map_err(|e| HttpError::Status {
                            code: 200,
                            message: format!("not an APIResourceList: {e}"),
                        }),
                    Err(e) => Err(e),
                };
                resources.insert(key.clone(), fetched);
            }
            match &resources[&key] {
                Ok(list) => {
                    let matching: Vec<ApiResource> = list
                        .iter()
                        .filter(|r| !r.name.contains('/') && r.verbs.iter().any(|v| v == "list"))
                        .filter(|r| spec.plural == ANY_RESOURCE || r.name == spec.plural)
                        .cloned()
                        .collect();
                    if !matching.is_empty() {
                        found = Some((version.to_string(), matching));
                        break;
                    }
                }
                Err(e) => {
                    if e.code() == Some(401) {
                        return Err(e.clone());
                    }
                    refused.get_or_insert_with(|| e.clone());
                }
            }
        }
        match (found, refused) {
            (Some((version, matching)), _) => {
                let mut listed = Vec::new();
                for r in matching {
                    let mut resolved = Resolved::from_spec(spec, &version);
                    resolved.plural = r.name.clone();
                    resolved.kind = r.kind.clone();
                    resolved.namespaced = r.namespaced;
                    listed.push(resolved.kind.clone());
                    plan.push(Planned::List(resolved));
                }
                for kind in fixed_kinds {
                    if !listed.iter().any(|k| k == kind) {
                        plan.push(not_served(kind));
                    }
                }
            }
            (None, Some(error)) => {
                problems.push(
                    Problem::new(
                        ProblemLevel::Warning,
                        source_id,
                        format!("/apis/{}", spec.group),
                        format!("cannot discover the resources of {}: {error}", spec.group),
                    )
                    .hint("checks that need them are not assessed"),
                );
                for kind in fixed_kinds {
                    let mut planned = not_served(kind);
                    if let Planned::Status { status, .. } = &mut planned {
                        *status = match error.code() {
                            Some(403) => KindStatus::Forbidden {
                                reason: error.message().to_string(),
                            },
                            Some(404) => KindStatus::NotServed,
                            _ => continue,
                        };
                    }
                    plan.push(planned);
                }
            }
            (None, None) => plan.extend(fixed_kinds.iter().map(|k| not_served(k))),
        }
    }
    Ok(plan)
}

impl Collected<Objects> {
    fn into_inventory(self) -> Inventory {
        let mut inventory = Inventory::default();
        let mut details = BTreeMap::new();
        details.insert("server".to_string(), self.server.clone());
        details.insert(
            "server_version".to_string(),
            self.server_version.git_version.clone(),
        );
        details.insert("collected_at".to_string(), self.finished_at.clone());
        if !self.namespaces.is_empty() {
            details.insert("namespaces".to_string(), self.namespaces.join(","));
        }
        for kind in self.kinds {
            if let Some(status) = kind.status {
                if matches!(status, KindStatus::Collected { .. }) {
                    inventory.listed.insert(kind.kind.clone());
                }
                inventory.coverage.set(&kind.kind, status);
            }
            let Objects {
                objects,
                records,
                redaction,
                problems,
            } = kind.gathered;
            inventory.objects.extend(objects);
            inventory.records.extend(records);
            inventory.redaction.merge(redaction);
            inventory.problems.extend(problems);
        }
        inventory.problems.extend(self.problems);
        details.insert("objects".to_string(), inventory.objects.len().to_string());
        inventory.sources.push(Source {
            id: self.source_id.clone(),
            kind: SourceKind::Cluster,
            location: self.context.clone(),
            identity: self.context,
            details,
        });
        // `/version` is evidence like any object: the finding judged on it cites this.
        let mut version = self.server_version;
        let locator = "/version".to_string();
        let id = evidence_id(&self.source_id, &locator);
        inventory.records.push(EvidenceRecord {
            managers: None,
            id: id.clone(),
            source: self.source_id.clone(),
            kind: EvidenceKind::Object,
            locator,
            sha256: sha256_hex(&serde_json::to_vec(&version).unwrap_or_default()),
            collected_at: Some(self.finished_at.clone()),
            time: None,
            describes: format!("API server version {}", version.git_version),
        });
        version.evidence = Some(id);
        inventory.server_version = Some(version);
        inventory
    }
}
