//! A local Kubernetes API server for tests and benches (no real one can run here).
//!
//! Serves, on 127.0.0.1 and a random port, what a client reading a cluster needs, shaped on
//! responses recorded from a real v1.36 API server: `/version`; discovery (`/api`, `/api/v1`,
//! `/apis`, `/apis/<group>`, `/apis/<group>/<version>`); lists of namespaced and cluster-scoped
//! resources, across all namespaces or in one, with real pagination (`limit`, `continue`
//! tokens carrying the list's resourceVersion and start key, `remainingItemCount`, items in
//! key order); single objects; built-in resources (whose list items omit kind and apiVersion,
//! as the server's typed lists do) and CRD-backed ones (whose items keep them). Faults on
//! demand, per resource: 403 (forbidden), 410 (expired continue token) and transient 5xx or
//! 429, every error body a real `Status` object; and lists that never end (a continue token
//! on every page, the same one or always a new one), as a faulty server or proxy sends them. Every request is logged, and the most
//! requests in flight at once are counted (with an optional per-request latency, so that
//! overlapping requests show). A bearer token can be required. `kubeconfig()` writes a kubeconfig pointing at it.
//! With `tls(cert, key)` it speaks https with that certificate, as a real API server does
//! to the pods of its cluster.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};

/// One resource the server serves.
#[derive(Clone, Debug)]
struct Resource {
    group: String,
    version: String,
    plural: String,
    singular: String,
    kind: String,
    namespaced: bool,
    /// Defined by a CustomResourceDefinition: list items keep kind and apiVersion.
    crd: bool,
    /// key (`ns/name` or `name`) → the item as a list serves it.
    objects: BTreeMap<String, Stored>,
}

#[derive(Clone, Debug)]
struct Stored {
    namespace: Option<String>,
    name: String,
    /// Compact JSON of the item as it appears in a list.
    item: Bytes,
}

impl Resource {
    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// How a list that never ends continues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endless {
    /// Every page carries the same continue token.
    SameToken,
    /// Every page carries a token never sent before.
    NewTokens,
}

/// Faults set on a resource.
#[derive(Clone, Debug, Default)]
struct Faults {
    forbidden: bool,
    /// Every page of its lists carries a continue token.
    endless: Option<Endless>,
    /// Pages served with an endless token so far.
    endless_pages: u64,
    /// The next N requests that carry a continue token get 410 Gone.
    expire_continues: u32,
    /// Statuses answered (in order) before the resource answers normally again.
    transient: VecDeque<u16>,
}

/// A request as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub status: u16,
}

impl Logged {
    /// The `plural` of a resource request (`pods` for `/api/v1/namespaces/x/pods/y`).
    pub fn resource(&self) -> Option<String> {
        parse_path(&self.path).and_then(|p| match p {
            Route::Resource { plural, .. } => Some(plural),
            _ => None,
        })
    }
}

struct State {
    /// `group/version/plural` → resource.
    resources: BTreeMap<String, Resource>,
    faults: Mutex<BTreeMap<String, Faults>>,
    log: Mutex<Vec<Logged>>,
    version: Value,
    token: Option<String>,
    /// The resourceVersion every list is read at.
    resource_version: u64,
    /// How long every answer is held back.
    latency: Option<Duration>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Counts a request in flight while it lives.
struct InFlight<'a>(&'a State);

impl<'a> InFlight<'a> {
    fn enter(state: &'a State) -> Self {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sets up the server's content and faults before it starts.
pub struct Builder {
    resources: BTreeMap<String, Resource>,
    faults: BTreeMap<String, Faults>,
    version: Value,
    token: Option<String>,
    latency: Option<Duration>,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

const BUILTIN: &[(&str, &str, &str, &str, &str, bool)] = &[
    ("", "v1", "namespaces", "namespace", "Namespace", false),
    ("", "v1", "nodes", "node", "Node", false),
    ("", "v1", "pods", "pod", "Pod", true),
    ("", "v1", "secrets", "secret", "Secret", true),
    ("", "v1", "configmaps", "configmap", "ConfigMap", true),
    (
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
    ),
    ("", "v1", "services", "service", "Service", true),
    ("", "v1", "events", "event", "Event", true),
    (
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
    ),
    (
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
    ),
    (
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
    ),
    ("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true),
    ("batch", "v1", "jobs", "job", "Job", true),
    ("batch", "v1", "cronjobs", "cronjob", "CronJob", true),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        "Role",
        true,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
        "validatingadmissionpolicy",
        "ValidatingAdmissionPolicy",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
        "validatingadmissionpolicybinding",
        "ValidatingAdmissionPolicyBinding",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        "ValidatingWebhookConfiguration",
        false,
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        false,
    ),
];

fn key(group: &str, version: &str, plural: &str) -> String {
    format!("{group}/{version}/{plural}")
}

impl Default for Builder {
    fn default() -> Self {
        let mut b = Builder {
            resources: BTreeMap::new(),
            faults: BTreeMap::new(),
            version: json!({
                "major": "1", "minor": "36", "emulationMajor": "1", "emulationMinor": "36",
                "minCompatibilityMajor": "1", "minCompatibilityMinor": "35",
                "gitVersion": "v1.36.2", "gitCommit": "0d3f8e4c7b2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e",
                "gitTreeState": "clean", "buildDate": "2026-06-09T14:12:33Z",
                "goVersion": "go1.26.3", "compiler": "gc", "platform": "linux/amd64"
            }),
            token: None,
            latency: None,
            tls: None,
        };
        for (group, version, plural, singular, kind, namespaced) in BUILTIN {
            b.add_resource(group, version, plural, singular, kind, *namespaced, false);
        }
        b
    }
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn add_resource(
        &mut self,
        group: &str,
        version: &str,
        plural: &str,
        singular: &str,
        kind: &str,
        namespaced: bool,
        crd: bool,
    ) {
        self.resources.insert(
            key(group, version, plural),
            Resource {
                group: group.into(),
                version: version.into(),
                plural: plural.into(),
                singular: singular.into(),
                kind: kind.into(),
                namespaced,
                crd,
                objects: BTreeMap::new(),
            },
        );
    }

    /// Serves a custom resource, as a CRD would.
    pub fn crd(
        mut self,
        group: &str,
        version: &str,
        plural: &str,
        kind: &str,
        namespaced: bool,
    ) -> Self {
        let singular = kind.to_ascii_lowercase();
        self.add_resource(group, version, plural, &singular, kind, namespaced, true);
        self
    }

    /// Kyverno's policy CRDs.
    pub fn kyverno(self) -> Self {
        self.crd(
            "kyverno.io",
            "v1",
            "clusterpolicies",
            "ClusterPolicy",
            false,
        )
        .crd("kyverno.io", "v1", "policies", "Policy", true)
    }

    /// Trivy Operator's VulnerabilityReport and ConfigAuditReport CRDs.
    pub fn trivy(self) -> Self {
        self.crd(
            "aquasecurity.github.io",
            "v1alpha1",
            "vulnerabilityreports",
            "VulnerabilityReport",
            true,
        )
        .crd(
            "aquasecurity.github.io",
            "v1alpha1",
            "configauditreports",
            "ConfigAuditReport",
            true,
        )
    }

    /// The policy report CRDs: wg-policy's PolicyReport and ClusterPolicyReport, and
    /// openreports.io's Report and ClusterReport.
    pub fn policy_reports(self) -> Self {
        self.crd(
            "wgpolicyk8s.io",
            "v1alpha2",
            "policyreports",
            "PolicyReport",
            true,
        )
        .crd(
            "wgpolicyk8s.io",
            "v1alpha2",
            "clusterpolicyreports",
            "ClusterPolicyReport",
            false,
        )
        .crd("openreports.io", "v1alpha1", "reports", "Report", true)
        .crd(
            "openreports.io",
            "v1alpha1",
            "clusterreports",
            "ClusterReport",
            false,
        )
    }

    /// Gatekeeper with constraint templates for these kinds (served in v1beta1 and v1).
    pub fn gatekeeper(mut self, kinds: &[&str]) -> Self {
        for kind in kinds {
            let plural = kind.to_ascii_lowercase();
            for version in ["v1", "v1beta1"] {
                self = self.crd("constraints.gatekeeper.sh", version, &plural, kind, false);
            }
        }
        self
    }

    /// The `/version` answer (`gitVersion`, and major and minor from it).
    pub fn version(mut self, git_version: &str) -> Self {
        let parts: Vec<&str> = git_version.trim_start_matches('v').split('.').collect();
        self.version["gitVersion"] = json!(git_version);
        self.version["major"] = json!(parts.first().copied().unwrap_or("1"));
        self.version["minor"] = json!(parts.get(1).copied().unwrap_or("0"));
        self
    }

    /// Holds every answer back this long, as a distant or busy API server would.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Requires `Authorization: Bearer <token>`.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Answers 403 to every request for this resource (its plural).
    pub fn forbid(mut self, plural: &str) -> Self {
        self.faults.entry(plural.into()).or_default().forbidden = true;
        self
    }

    /// The next `times` list requests with a continue token for this resource get 410 Gone.
    pub fn expire_continue(mut self, plural: &str, times: u32) -> Self {
        self.faults
            .entry(plural.into())
            .or_default()
            .expire_continues = times;
        self
    }

    /// Every list page of this resource carries a continue token: the list never ends.
    pub fn endless_list(mut self, plural: &str, how: Endless) -> Self {
        self.faults.entry(plural.into()).or_default().endless = Some(how);
        self
    }

    /// The next requests for this resource get these statuses, one each, in order.
    pub fn fail_with(mut self, plural: &str, statuses: &[u16]) -> Self {
        self.faults
            .entry(plural.into())
            .or_default()
            .transient
            .extend(statuses);
        self
    }

    /// Adds an object; its resource is found from its apiVersion and kind.
    pub fn object(mut self, value: Value) -> Self {
        self.insert(value);
        self
    }

    pub fn objects(mut self, values: impl IntoIterator<Item = Value>) -> Self {
        for v in values {
            self.insert(v);
        }
        self
    }

    fn insert(&mut self, mut value: Value) {
        let api_version = value["apiVersion"].as_str().unwrap_or("v1").to_string();
        let kind = value["kind"]
            .as_str()
            .expect("an object has a kind")
            .to_string();
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.clone()),
        };
        let resource = self
            .resources
            .values_mut()
            .find(|r| r.group == group && r.version == version && r.kind == kind)
            .unwrap_or_else(|| panic!("the test server does not serve {api_version} {kind}"));
        let meta = &mut value["metadata"];
        let name = meta["name"]
            .as_str()
            .expect("an object has a name")
            .to_string();
        let namespace = meta["namespace"].as_str().map(str::to_string);
        assert_eq!(
            namespace.is_some(),
            resource.namespaced,
            "{kind} {name}: namespace"
        );
        if meta.get("resourceVersion").is_none() {
            meta["resourceVersion"] = json!("1000");
        }
        // Every object a real API server serves has managedFields: the client that created
        // it owns what it set, and a controller that writes status owns that.
        if value["metadata"].get("managedFields").is_none() {
            let entries = managed_fields(&value, &api_version);
            value["metadata"]["managedFields"] = entries;
        }
        if !resource.crd {
            let map = value.as_object_mut().unwrap();
            map.remove("kind");
            map.remove("apiVersion");
        }
        let key = match &namespace {
            Some(ns) => format!("{ns}/{name}"),
            None => name.clone(),
        };
        resource.objects.insert(
            key,
            Stored {
                namespace,
                name,
                item: Bytes::from(serde_json::to_vec(&value).unwrap()),
            },
        );
    }

    /// Adds the GitOps agents' CRDs: Flux Kustomizations and GitRepositories, Argo CD
    /// Applications.
    pub fn gitops(self) -> Self {
        self.crd(
            "kustomize.toolkit.fluxcd.io",
            "v1",
            "kustomizations",
            "Kustomization",
            true,
        )
        .crd(
            "source.toolkit.fluxcd.io",
            "v1",
            "gitrepositories",
            "GitRepository",
            true,
        )
        .crd(
            "argoproj.io",
            "v1alpha1",
            "applications",
            "Application",
            true,
        )
    }

    /// Adds the objects of a file: JSON (an object, a List such as `kubectl get -o json`
    /// writes, or a typed list such as the API's `PodList`) or a YAML stream.
    pub fn file(mut self, path: &Path) -> Self {
        for value in read_objects(path) {
            self.insert(value);
        }
        self
    }

    /// Serves https with this certificate chain and private key (PEM).
    pub fn tls(mut self, cert_pem: &str, key_pem: &str) -> Self {
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("certificate PEM");
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key PEM");
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("a usable certificate and key");
        self.tls = Some(Arc::new(config));
        self
    }

    /// Starts serving on 127.0.0.1 and a random port.
    pub fn start(self) -> ApiServer {
        let resource_version = 1000
            + self
                .resources
                .values()
                .map(|r| r.objects.len() as u64)
                .sum::<u64>();
        let state = Arc::new(State {
            resources: self.resources,
            faults: Mutex::new(self.faults),
            log: Mutex::new(Vec::new()),
            version: self.version,
            token: self.token,
            resource_version,
            latency: self.latency,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let tls = self.tls.map(tokio_rustls::TlsAcceptor::from);
        let scheme = if tls.is_some() { "https" } else { "http" };
        let thread = std::thread::Builder::new()
            .name("test-apiserver".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                    tokio::spawn(async move {
                        loop {
                            let Ok((stream, _)) = listener.accept().await else {
                                continue;
                            };
                            let state = served.clone();
                            let tls = tls.clone();
                            tokio::spawn(async move {
                                match tls {
                                    // A client that refuses the certificate never gets to
                                    // send a request: nothing is logged.
                                    Some(tls) => {
                                        if let Ok(stream) = tls.accept(stream).await {
                                            serve(stream, state).await;
                                        }
                                    }
                                    None => serve(stream, state).await,
                                }
                            });
                        }
                    });
                    // Dropping the runtime when stopped ends every connection.
                    let _ = stopped.await;
                });
            })
            .unwrap();
        ApiServer {
            addr,
            scheme,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// Answers the requests of one connection, plain or TLS.
async fn serve<S>(stream: S, state: Arc<State>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move {
            let _counted = InFlight::enter(&state);
            if let Some(latency) = state.latency {
                tokio::time::sleep(latency).await;
            }
            Ok::<_, Infallible>(handle(&state, req))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}

/// A running test API server; stops when dropped.
pub struct ApiServer {
    addr: SocketAddr,
    scheme: &'static str,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ApiServer {
    pub fn builder() -> Builder {
        Builder::default()
    }

    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.state.log.lock().unwrap().clone()
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn clear_log(&self) {
        self.state.log.lock().unwrap().clear();
    }

    /// Writes a kubeconfig with one context, `context`, pointing at this server (with the
    /// token, when one is required), and returns its path.
    pub fn kubeconfig(&self, dir: &Path, context: &str) -> PathBuf {
        let user = match &self.state.token {
            Some(t) => format!("    token: {t}\n"),
            None => "    username: tester\n".into(),
        };
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test-cluster\n  cluster:\n    \
             server: {}\ncontexts:\n- name: {context}\n  context:\n    cluster: test-cluster\n    \
             user: tester\ncurrent-context: {context}\nusers:\n- name: tester\n  user:\n{user}",
            self.url()
        );
        let path = dir.join(format!("kubeconfig-{context}"));
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads the objects of a JSON or YAML file (list items get their list's kind).
pub fn read_objects(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs: Vec<Value> = if text.trim_start().starts_with('{') {
        vec![serde_json::from_str(&text).unwrap()]
    } else {
        serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let mut out = Vec::new();
    for doc in docs {
        let kind = doc["kind"].as_str().unwrap_or("").to_string();
        match (kind.strip_suffix("List"), doc.get("items")) {
            (Some(item_kind), Some(Value::Array(items))) => {
                let api_version = doc["apiVersion"].as_str().unwrap_or("v1");
                for mut item in items.clone() {
                    if item.get("kind").is_none() && !item_kind.is_empty() {
                        item["kind"] = json!(item_kind);
                        item["apiVersion"] = json!(api_version);
                    }
                    out.push(item);
                }
            }
            _ if doc.is_object() => out.push(doc),
            _ => {}
        }
    }
    out
}

enum Route {
    Version,
    Api,
    CoreResources,
    Apis,
    Group(String),
    GroupVersion(String, String),
    Resource {
        group: String,
        version: String,
        namespace: Option<String>,
        plural: String,
        name: Option<String>,
    },
}

fn parse_path(path: &str) -> Option<Route> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let resource = |group: &str, version: &str, rest: &[&str]| -> Option<Route> {
        let (namespace, rest) = match rest {
            ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
            _ => (None, rest),
        };
        let (plural, name) = match rest {
            [plural] => (plural.to_string(), None),
            [plural, name] => (plural.to_string(), Some(name.to_string())),
            _ => return None,
        };
        Some(Route::Resource {
            group: group.into(),
            version: version.into(),
            namespace,
            plural,
            name,
        })
    };
    match parts.as_slice() {
        ["version"] => Some(Route::Version),
        ["api"] => Some(Route::Api),
        ["api", "v1"] => Some(Route::CoreResources),
        ["api", "v1", rest @ ..] => resource("", "v1", rest),
        ["apis"] => Some(Route::Apis),
        ["apis", g] => Some(Route::Group(g.to_string())),
        ["apis", g, v] => Some(Route::GroupVersion(g.to_string(), v.to_string())),
        ["apis", g, v, rest @ ..] => resource(g, v, rest),
        _ => None,
    }
}

fn query_of(req: &Request<Incoming>) -> BTreeMap<String, String> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json_response(status: u16, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("audit-id", "00000000-0000-0000-0000-000000000000")
        .body(Full::new(body.into()))
        .unwrap()
}

/// A `Status` failure, as the API server words it.
fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Response<Full<Bytes>> {
    let mut body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code,
    });
    if let Some(d) = details {
        body["details"] = d;
    }
    let mut response = json_response(code, serde_json::to_vec(&body).unwrap());
    if code == 429 {
        response
            .headers_mut()
            .insert("retry-after", hyper::header::HeaderValue::from_static("1"));
    }
    response
}

fn not_found() -> Response<Full<Bytes>> {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let query = query_of(&req);
    let response = respond(state, &req, &path, &query);
    state.log.lock().unwrap().push(Logged {
        method: req.method().to_string(),
        path,
        query,
        status: response.status().as_u16(),
    });
    response
}

fn respond(
    state: &State,
    req: &Request<Incoming>,
    path: &str,
    query: &BTreeMap<String, String>,
) -> Response<Full<Bytes>> {
    if let Some(token) = &state.token {
        let given = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return status(401, "Unauthorized", "Unauthorized", None);
        }
    }
    if req.method() != hyper::Method::GET {
        return status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            Some(json!({})),
        );
    }
    let Some(route) = parse_path(path) else {
        return not_found();
    };
    match route {
        Route::Version => json_response(200, serde_json::to_vec(&state.version).unwrap()),
        Route::Api => json_response(
            200,
            serde_json::to_vec(&json!({
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]
            }))
            .unwrap(),
        ),
        Route::CoreResources => resource_list(state, "", "v1"),
        Route::Apis => {
            let groups: Vec<Value> = groups(state).iter().map(|(g, v)| group_json(g, v)).collect();
            json_response(
                200,
                serde_json::to_vec(&json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})).unwrap(),
            )
        }
        Route::Group(g) => match groups(state).get(&g) {
            Some(versions) => {
                let mut body = group_json(&g, versions);
                body["kind"] = json!("APIGroup");
                body["apiVersion"] = json!("v1");
                json_response(200, serde_json::to_vec(&body).unwrap())
            }
            None => not_found(),
        },
        Route::GroupVersion(g, v) => resource_list(state, &g, &v),
        Route::Resource {
            group,
            version,
            namespace,
            plural,
            name,
        } => {
            let Some(resource) = state.resources.get(&key(&group, &version, &plural)) else {
                return not_found();
            };
            if let Some(r) = fault(state, resource, namespace.as_deref(), query) {
                return r;
            }
            match name {
                Some(name) => get_one(resource, namespace.as_deref(), &name),
                None => list(state, resource, namespace.as_deref(), query),
            }
        }
    }
}

/// Group → its versions, newest first (`v1` before `v1beta1`).
fn groups(state: &State) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in state.resources.values().filter(|r| !r.group.is_empty()) {
        let versions = out.entry(r.group.clone()).or_default();
        if !versions.contains(&r.version) {
            versions.push(r.version.clone());
        }
    }
    for versions in out.values_mut() {
        versions.sort_by_key(|v| (!v.starts_with("v1") || v.len() > 2, v.clone()));
    }
    out
}

fn group_json(group: &str, versions: &[String]) -> Value {
    let gv = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
    json!({
        "name": group,
        "versions": versions.iter().map(|v| gv(v)).collect::<Vec<_>>(),
        "preferredVersion": gv(&versions[0]),
    })
}

fn resource_list(state: &State, group: &str, version: &str) -> Response<Full<Bytes>> {
    let resources: Vec<&Resource> = state
        .resources
        .values()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if resources.is_empty() {
        return not_found();
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let mut entries = Vec::new();
    for r in resources {
        entries.push(json!({
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            "storageVersionHash": "AAAAAAAAAAA=",
        }));
        if r.kind == "Pod" {
            for sub in ["pods/exec", "pods/log", "pods/status"] {
                entries.push(json!({"name": sub, "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]}));
            }
        }
    }
    json_response(
        200,
        serde_json::to_vec(&json!({
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": entries,
        }))
        .unwrap(),
    )
}

/// A fault set on this resource, if one applies to this request.
fn fault(
    state: &State,
    resource: &Resource,
    namespace: Option<&str>,
    query: &BTreeMap<String, String>,
) -> Option<Response<Full<Bytes>>> {
    let mut faults = state.faults.lock().unwrap();
    let f = faults.get_mut(&resource.plural)?;
    if let Some(code) = f.transient.pop_front() {
        let (reason, message) = match code {
            429 => (
                "TooManyRequests",
                "Too many requests, please try again later.",
            ),
            500 => (
                "InternalError",
                "Internal error occurred: etcdserver: request timed out",
            ),
            504 => (
                "Timeout",
                "Timeout: request did not complete within the allotted timeout",
            ),
            _ => (
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
            ),
        };
        return Some(status(code, reason, message, Some(json!({}))));
    }
    if f.forbidden {
        let group = &resource.group;
        let scope = match namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".into(),
        };
        let message = format!(
            "{} is forbidden: User \"system:serviceaccount:evidencer:evidencer\" cannot list \
             resource \"{}\" in API group \"{group}\" {scope}",
            resource.group_resource(),
            resource.plural
        );
        let mut details = json!({"kind": resource.plural});
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        return Some(status(403, "Forbidden", &message, Some(details)));
    }
    if f.expire_continues > 0 && query.get("continue").is_some_and(|c| !c.is_empty()) {
        f.expire_continues -= 1;
        // The real server offers an inconsistent-continue token in the Status's metadata.
        let inconsistent = encode_token(state.resource_version + 1, "");
        let message = "The provided continue parameter is too old to display a consistent list \
             result. You can start a new list without the continue parameter, or use the \
             continue token in this response to retrieve the remainder of the results. \
             Continuing with the provided token results in an inconsistent list - objects that \
             were created, modified, or deleted between the time the first chunk was returned \
             and now may show up in the list.";
        let mut r = status(410, "Expired", message, None);
        let body = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {"continue": inconsistent},
            "status": "Failure", "message": message, "reason": "Expired", "code": 410,
        });
        *r.body_mut() = Full::new(Bytes::from(serde_json::to_vec(&body).unwrap()));
        return Some(r);
    }
    None
}

fn get_one(resource: &Resource, namespace: Option<&str>, name: &str) -> Response<Full<Bytes>> {
    let key = match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    match resource.objects.get(&key) {
        Some(stored) => {
            let mut value: Value = serde_json::from_slice(&stored.item).unwrap();
            value["kind"] = json!(resource.kind);
            value["apiVersion"] = json!(resource.api_version());
            json_response(200, serde_json::to_vec(&value).unwrap())
        }
        None => status(
            404,
            "NotFound",
            &format!("{} \"{name}\" not found", resource.group_resource()),
            Some(json!({"name": name, "group": resource.group, "kind": resource.plural})),
        ),
    }
}

fn encode_token(rv: u64, start: &str) -> String {
    use base64::Engine;
    let raw =
        serde_json::to_vec(&json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start})).unwrap();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_token(token: &str) -> Option<(u64, String)> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    Some((v["rv"].as_u64()?, v["start"].as_str()?.to_string()))
}

fn list(
    state: &State,
    resource: &Resource,
    namespace: Option<&str>,
    query: &BTreeMap<String, String>,
) -> Response<Full<Bytes>> {
    let bad = |message: String| status(400, "BadRequest", &message, None);
    let mut selected: Vec<&Stored> = resource
        .objects
        .values()
        .filter(|o| namespace.is_none() || o.namespace.as_deref() == namespace)
        .collect();
    let mut selector = false;
    if let Some(fs) = query.get("fieldSelector").filter(|s| !s.is_empty()) {
        selector = true;
        for term in fs.split(',') {
            let Some((field, value)) = term.split_once('=') else {
                return bad(format!("invalid field selector: {term}"));
            };
            let value = value.trim_start_matches('=');
            match field {
                "metadata.name" => selected.retain(|o| o.name == value),
                "metadata.namespace" => selected.retain(|o| o.namespace.as_deref() == Some(value)),
                _ => {
                    return bad(format!(
                        "\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                    ));
                }
            }
        }
    }
    // Items in key order (`ns/name`); a continue token resumes after the last key served.
    let start = match query.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => match decode_token(token) {
            Some((_, start)) => Some(start),
            None => return bad("continue key is not valid: illegal base64 data".into()),
        },
        None => None,
    };
    let key_of = |o: &Stored| match &o.namespace {
        Some(ns) => format!("{ns}/{}", o.name),
        None => o.name.clone(),
    };
    if let Some(start) = &start {
        selected.retain(|o| key_of(o).as_str() >= start.as_str());
    }
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        Some(Ok(0)) | None => usize::MAX,
        Some(Ok(n)) => n,
        Some(Err(_)) => return bad("limit must be a number".into()),
    };
    let page: Vec<&Stored> = selected.iter().take(limit).copied().collect();
    let remaining = selected.len() - page.len();
    let rv = state.resource_version;
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    let endless = {
        let mut faults = state.faults.lock().unwrap();
        faults.get_mut(&resource.plural).and_then(|f| {
            let how = f.endless?;
            f.endless_pages += 1;
            Some((how, f.endless_pages))
        })
    };
    if let Some((how, n)) = endless {
        // The page itself is served from the start each time: only the token misbehaves.
        let start = match how {
            Endless::SameToken => String::new(),
            Endless::NewTokens => format!("\u{0}{n}"),
        };
        metadata["continue"] = json!(encode_token(rv, &start));
    } else if remaining > 0 {
        let last = key_of(page.last().expect("a page before the rest"));
        metadata["continue"] = json!(encode_token(rv, &format!("{last}\u{0}")));
        if !selector {
            metadata["remainingItemCount"] = json!(remaining);
        }
    } else if resource.crd {
        metadata["continue"] = json!("");
    }
    let mut body = Vec::with_capacity(page.iter().map(|o| o.item.len() + 1).sum::<usize>() + 256);
    let head = if resource.crd {
        json!({"apiVersion": resource.api_version(), "kind": format!("{}List", resource.kind), "metadata": metadata})
    } else {
        json!({"kind": format!("{}List", resource.kind), "apiVersion": resource.api_version(), "metadata": metadata})
    };
    let head = serde_json::to_vec(&head).unwrap();
    body.extend_from_slice(&head[..head.len() - 1]);
    body.extend_from_slice(b",\"items\":[");
    for (i, o) in page.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&o.item);
    }
    body.extend_from_slice(b"]}");
    json_response(200, body)
}

/// The managedFields a real API server gives an object created without any stated: the
/// creating client (`kubectl-client-side-apply`, or `kube-controller-manager` for an object
/// with a controlling owner) owns every field it set, in `FieldsV1`, at its creation time;
/// a controller owns `status` through the status subresource. Shaped as a v1.36 server
/// returns them (recorded replays: `Update`, `apiVersion`, `fieldsType`, `.` for a field
/// owned as a whole, `k:{...}` for list items keyed by name or port).
pub fn managed_fields(object: &Value, api_version: &str) -> Value {
    let time = object["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap_or("2026-06-15T04:14:45Z");
    let owned = object["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| refs.iter().any(|r| r["controller"] == true));
    let manager = if owned {
        "kube-controller-manager"
    } else {
        "kubectl-client-side-apply"
    };
    let mut fields = serde_json::Map::new();
    if let Some(map) = object.as_object() {
        for (k, v) in map {
            match k.as_str() {
                "apiVersion" | "kind" | "status" => {}
                "metadata" => {
                    let mut meta = serde_json::Map::new();
                    for (mk, mv) in v.as_object().into_iter().flatten() {
                        if !matches!(
                            mk.as_str(),
                            "name"
                                | "namespace"
                                | "uid"
                                | "resourceVersion"
                                | "generation"
                                | "creationTimestamp"
                                | "managedFields"
                        ) {
                            meta.insert(format!("f:{mk}"), fields_v1(mk, mv));
                        }
                    }
                    if !meta.is_empty() {
                        fields.insert("f:metadata".into(), Value::Object(meta));
                    }
                }
                _ => {
                    fields.insert(format!("f:{k}"), fields_v1(k, v));
                }
            }
        }
    }
    let mut entries = vec![json!({
        "manager": manager, "operation": "Update", "apiVersion": api_version, "time": time,
        "fieldsType": "FieldsV1", "fieldsV1": Value::Object(fields),
    })];
    if let Some(status) = object.get("status").filter(|s| s.is_object()) {
        entries.push(json!({
            "manager": if object["kind"] == "Pod" { "kubelet" } else { "kube-controller-manager" },
            "operation": "Update", "apiVersion": api_version, "time": time,
            "fieldsType": "FieldsV1", "fieldsV1": {"f:status": fields_v1("status", status)},
            "subresource": "status",
        }));
    }
    Value::Array(entries)
}

/// One field's `fieldsV1` entry: a mapping's members (with `.` when the field is owned as a
/// whole, as an optional struct is), a list of named or port-keyed items by key, anything
/// else as a leaf.
fn fields_v1(name: &str, value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            if !matches!(
                name,
                "metadata" | "spec" | "template" | "strategy" | "jobTemplate" | "status"
            ) {
                out.insert(".".into(), json!({}));
            }
            for (k, v) in map {
                out.insert(format!("f:{k}"), fields_v1(k, v));
            }
            Value::Object(out)
        }
        Value::Array(items)
            if items
                .iter()
                .all(|i| i.get("name").is_some() || i.get("containerPort").is_some())
                && !items.is_empty() =>
        {
            let mut out = serde_json::Map::new();
            // A list the type requires (containers) is not owned as a whole; an optional
            // one (ports, env) is.
            if name != "containers" {
                out.insert(".".into(), json!({}));
            }
            for item in items {
                let key = match item.get("name") {
                    Some(n) => json!({"name": n}),
                    None => {
                        json!({"containerPort": item["containerPort"], "protocol": item.get("protocol").cloned().unwrap_or(json!("TCP"))})
                    }
                };
                let mut member = match fields_v1("item", item) {
                    Value::Object(m) => m,
                    _ => serde_json::Map::new(),
                };
                member.insert(".".into(), json!({}));
                out.insert(
                    format!("k:{}", serde_json::to_string(&key).unwrap()),
                    Value::Object(member),
                );
            }
            Value::Object(out)
        }
        _ => json!({}),
    }
}
