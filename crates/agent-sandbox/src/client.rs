//! The client: generic CRUD on JSON objects, with API-version discovery and
//! v1alpha1/v1beta1 conversion for the four Agent Sandbox kinds.

use std::sync::Arc;
use std::time::Duration;

use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::Kubeconfig;
use kube::core::Request;
use serde_json::Value;
use tokio::sync::RwLock;

use crate::conversion;
use crate::error::{Error, Result};
use crate::resources::{EXTENSIONS_GROUP, GROUP, Kind, ResourceRef, Version};

/// Field manager used for server-side apply.
pub const FIELD_MANAGER: &str = "agent-sandbox-sdk";

/// How a response body is handed back: parsed ([`Value`]), or as the JSON
/// text itself ([`JsonText`]), which skips parsing entirely when no version
/// conversion applies (the usual case) — the cheapest form to pass on to
/// another runtime or over the wire.
pub trait FromJson: Sized {
    fn from_json_text(text: String) -> Result<Self>;
    fn from_json_value(value: Value) -> Result<Self>;
}

impl FromJson for Value {
    fn from_json_text(text: String) -> Result<Self> {
        serde_json::from_str(&text).map_err(|e| Error::Decode {
            message: format!("the API server sent invalid JSON: {e}"),
        })
    }
    fn from_json_value(value: Value) -> Result<Self> {
        Ok(value)
    }
}

/// A JSON document as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonText(pub String);

impl FromJson for JsonText {
    fn from_json_text(text: String) -> Result<Self> {
        Ok(JsonText(text))
    }
    fn from_json_value(value: Value) -> Result<Self> {
        serde_json::to_string(&value)
            .map(JsonText)
            .map_err(|e| Error::Decode {
                message: e.to_string(),
            })
    }
}

/// Whether a response is one object or a list (for version conversion).
#[derive(Clone, Copy)]
enum Shape {
    Object,
    List,
}

/// Which API version to speak to the cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VersionPolicy {
    /// Ask the cluster which versions it serves (once per client) and convert
    /// when the caller's version is not served.
    #[default]
    Auto,
    /// Always use this version on the wire, converting as needed.
    Fixed(Version),
}

/// The versions of each Agent Sandbox group that the cluster serves, most
/// preferred first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServedVersions {
    pub sandboxes: Vec<Version>,
    pub extensions: Vec<Version>,
}

impl ServedVersions {
    pub fn for_group(&self, group: &str) -> &[Version] {
        if group == GROUP {
            &self.sandboxes
        } else {
            &self.extensions
        }
    }
}

/// Options of a list call.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<u32>,
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
}

/// How dependents are deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Propagation {
    #[default]
    ServerDefault,
    Background,
    Foreground,
    Orphan,
}

/// The most building a client may take: it can run an exec credential plugin.
pub const CLIENT_BUILD_TIMEOUT: Duration = Duration::from_secs(60);

/// Attempts of [`Client::replace_latest_as`] (each after a 409 conflict).
pub const REPLACE_ATTEMPTS: u64 = 5;

/// A Kubernetes client for the Agent Sandbox API. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    kube: kube::Client,
    policy: VersionPolicy,
    served: Arc<RwLock<Option<ServedVersions>>>,
    request_timeout: Duration,
    /// Shared watches, one per collection waited on (see [`crate::reflector`]).
    reflectors: Arc<crate::reflector::Reflectors>,
}

/// Deadline of every request/response call (watches and exec are streams
/// that may rightly stay open, and have their own stop): a server that
/// accepts a request and never answers must not hang the caller.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Where a call goes on the wire, and how its bodies are converted.
pub(crate) struct Route {
    pub(crate) wire: ResourceRef,
    conversion: Option<(Kind, Version, Version)>, // (kind, caller's, wire)
}

impl Route {
    fn to_wire(&self, body: Value) -> Value {
        match self.conversion {
            Some((kind, _, wire)) => conversion::convert(kind, body, wire),
            None => body,
        }
    }
    fn patch_to_wire(&self, patch: Value) -> Value {
        match self.conversion {
            Some((kind, _, wire)) => conversion::convert_patch(kind, patch, wire),
            None => patch,
        }
    }
    /// Whether bodies on this route are converted between versions.
    pub(crate) fn converts(&self) -> bool {
        self.conversion.is_some()
    }
    pub(crate) fn object_from_wire(&self, body: Value) -> Value {
        match self.conversion {
            Some((kind, caller, _)) => conversion::convert(kind, body, caller),
            None => body,
        }
    }
    fn list_from_wire(&self, body: Value) -> Value {
        match self.conversion {
            Some((kind, caller, _)) => conversion::convert_list(kind, body, caller),
            None => body,
        }
    }
}

impl Client {
    pub fn new(kube: kube::Client) -> Self {
        Client {
            kube,
            policy: VersionPolicy::Auto,
            served: Arc::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            reflectors: Arc::default(),
        }
    }

    /// A client for the kubeconfig's current context.
    pub async fn from_kubeconfig(kubeconfig: Kubeconfig) -> Result<Self> {
        let config = crate::config::client_config(kubeconfig).await?;
        Self::from_config(config).await
    }

    /// [`Client::try_from_config`], off the async workers and with a deadline.
    pub async fn from_config(config: kube::Config) -> Result<Self> {
        // Building the auth layer may run an exec credential plugin, which
        // blocks: off the async workers, so that a cancelled call ends now.
        // A plugin that never answers gets a deadline (kube sets none).
        let build = tokio::task::spawn_blocking(move || Self::try_from_config(config));
        match tokio::time::timeout(CLIENT_BUILD_TIMEOUT, build).await {
            Ok(built) => {
                built.map_err(|e| Error::invalid(format!("building the client failed: {e}")))?
            }
            Err(_) => Err(Error::Timeout {
                operation:
                    "building the client (which runs the kubeconfig's exec credential plugin)"
                        .into(),
                timeout_ms: CLIENT_BUILD_TIMEOUT.as_millis() as u64,
            }),
        }
    }

    /// A client for a configuration built elsewhere. Its `proxy_url` is used
    /// as given (`http://` or `socks5://`); [`crate::config::client_config`]
    /// fills it the way kubectl chooses a proxy.
    pub fn try_from_config(config: kube::Config) -> Result<Self> {
        Ok(Self::new(crate::transport::kube_client(config)?))
    }

    pub fn with_version_policy(mut self, policy: VersionPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The deadline of each plain request (and of opening a stream).
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The deadline of each request/response call ([`DEFAULT_REQUEST_TIMEOUT`]).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    pub(crate) fn reflectors(&self) -> &crate::reflector::Reflectors {
        &self.reflectors
    }

    /// The underlying kube client, for anything this crate does not cover.
    pub fn kube(&self) -> &kube::Client {
        &self.kube
    }

    /// The versions the cluster serves for both groups (discovered once).
    pub async fn served_versions(&self) -> Result<ServedVersions> {
        if let Some(served) = self.served.read().await.as_ref() {
            return Ok(served.clone());
        }
        let served = ServedVersions {
            sandboxes: self.discover_group(GROUP).await?,
            extensions: self.discover_group(EXTENSIONS_GROUP).await?,
        };
        *self.served.write().await = Some(served.clone());
        Ok(served)
    }

    /// Forget what discovery found (after CRDs were installed or upgraded).
    pub async fn invalidate_discovery(&self) {
        *self.served.write().await = None;
    }

    async fn discover_group(&self, group: &str) -> Result<Vec<Version>> {
        let req = http::Request::get(format!("/apis/{group}"))
            .body(Vec::new())
            .map_err(|e| Error::invalid(e.to_string()))?;
        let found: Result<k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroup> =
            self.fetch(req).await;
        match found {
            Ok(api_group) => {
                let preferred = api_group.preferred_version.map(|p| p.version);
                let mut versions: Vec<Version> = api_group
                    .versions
                    .iter()
                    .filter_map(|v| Version::parse(&v.version))
                    .collect();
                // Preferred first, then v1beta1 before v1alpha1.
                versions.sort_by_key(|v| {
                    (
                        Some(v.as_str()) != preferred.as_deref(),
                        *v == Version::V1alpha1,
                    )
                });
                Ok(versions)
            }
            Err(e) if e.is_not_found() => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn route(&self, r: &ResourceRef) -> Result<Route> {
        let direct = || Route {
            wire: r.clone(),
            conversion: None,
        };
        let (Some(kind), Some(caller)) = (r.kind(), Version::parse(&r.version)) else {
            return Ok(direct());
        };
        let wire = match self.policy {
            VersionPolicy::Fixed(v) => {
                // Asked for a version the cluster no longer serves (v1.x
                // removed v1alpha1): say so now, not as a 404 later.
                let served = self.served_versions().await?;
                let versions = served.for_group(kind.group());
                if !versions.is_empty() && !versions.contains(&v) {
                    let names: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
                    return Err(Error::Unsupported {
                        message: format!(
                            "apiVersion {} was asked for, but this cluster serves only {} of {}: leave apiVersion \
                             unset (or 'auto') or set it to one of those. Objects still stored as v1alpha1 must be \
                             migrated on agent-sandbox v0.5.x before upgrading to v1.x (see the README's upgrade notes)",
                            v.as_str(),
                            names.join(", "),
                            kind.group()
                        ),
                    });
                }
                v
            }
            VersionPolicy::Auto => {
                let served = self.served_versions().await?;
                let versions = served.for_group(kind.group());
                if versions.is_empty() || versions.contains(&caller) {
                    return Ok(direct());
                }
                versions[0]
            }
        };
        if wire == caller {
            return Ok(direct());
        }
        Ok(Route {
            wire: ResourceRef::of(kind, wire),
            conversion: Some((kind, caller, wire)),
        })
    }

    async fn send(
        &self,
        req: std::result::Result<http::Request<Vec<u8>>, kube::core::request::Error>,
    ) -> Result<Value> {
        let req = req.map_err(|e| Error::invalid(format!("could not build the request: {e}")))?;
        self.fetch(req).await
    }

    /// The response body of one request, within the request deadline.
    async fn fetch_text(&self, req: http::Request<Vec<u8>>) -> Result<String> {
        let operation = format!("{} {}", req.method(), req.uri().path());
        match tokio::time::timeout(self.request_timeout, self.request_text(req)).await {
            Ok(text) => Ok(text?),
            Err(_) => Err(Error::Timeout {
                operation,
                timeout_ms: self.request_timeout.as_millis() as u64,
            }),
        }
    }

    /// kube's `request_text` with the body gathered in one buffer, sized by
    /// its length when the server gives it: kube joins the frames, then
    /// copies them once more (a list of 10,000 Sandboxes is tens of MB).
    async fn request_text(&self, req: http::Request<Vec<u8>>) -> kube::Result<String> {
        use http_body_util::BodyExt;
        let res = self.kube.send(req.map(kube::client::Body::from)).await?;
        let status = res.status();
        let length = res
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut body = res.into_body();
        // Capped: the header is the server's word, not a promise.
        let mut text = Vec::with_capacity(length.unwrap_or(0).min(64 << 20));
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                text.extend_from_slice(&data);
            }
        }
        let text = String::from_utf8(text).map_err(kube::Error::FromUtf8)?;
        if status.is_client_error() || status.is_server_error() {
            // As kube reads a failure: the server's Status, or one made of the text.
            let failure = serde_json::from_str::<kube::core::Status>(&text).unwrap_or_else(|_| {
                kube::core::Status::failure(text.trim(), "Failed to parse error data")
                    .with_code(status.as_u16())
            });
            return Err(kube::Error::Api(failure.boxed()));
        }
        Ok(text)
    }

    async fn fetch<T: serde::de::DeserializeOwned>(
        &self,
        req: http::Request<Vec<u8>>,
    ) -> Result<T> {
        let text = self.fetch_text(req).await?;
        serde_json::from_str(&text).map_err(|e| Error::Decode {
            message: format!("the API server sent an unexpected body: {e}"),
        })
    }

    /// Sends a request on `route` and returns the body in the caller's version.
    async fn receive<T: FromJson>(
        &self,
        route: &Route,
        req: std::result::Result<http::Request<Vec<u8>>, kube::core::request::Error>,
        shape: Shape,
    ) -> Result<T> {
        let req = req.map_err(|e| Error::invalid(format!("could not build the request: {e}")))?;
        if route.conversion.is_none() {
            return T::from_json_text(self.fetch_text(req).await?);
        }
        let wire: Value = self.fetch(req).await?;
        T::from_json_value(match shape {
            Shape::Object => route.object_from_wire(wire),
            Shape::List => route.list_from_wire(wire),
        })
    }

    pub async fn create(&self, r: &ResourceRef, namespace: &str, body: Value) -> Result<Value> {
        self.create_as(r, namespace, body).await
    }

    /// [`Client::create`], with the body as [`JsonText`] or [`Value`].
    pub async fn create_as<T: FromJson>(
        &self,
        r: &ResourceRef,
        namespace: &str,
        body: Value,
    ) -> Result<T> {
        crate::resources::check_namespace(namespace, true)?;
        crate::resources::check_body(r, &body)?;
        let route = self.route(r).await?;
        let data =
            serde_json::to_vec(&route.to_wire(body)).map_err(|e| Error::invalid(e.to_string()))?;
        let req = Request::new(route.wire.collection_path(namespace))
            .create(&PostParams::default(), data);
        self.receive(&route, req, Shape::Object).await
    }

    pub async fn get(&self, r: &ResourceRef, namespace: &str, name: &str) -> Result<Value> {
        self.get_as(r, namespace, name).await
    }

    /// [`Client::get`], with the body as [`JsonText`] or [`Value`].
    pub async fn get_as<T: FromJson>(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
    ) -> Result<T> {
        check_target(namespace, name)?;
        let route = self.route(r).await?;
        let req =
            Request::new(route.wire.collection_path(namespace)).get(name, &Default::default());
        self.receive(&route, req, Shape::Object).await
    }

    /// Lists in `namespace`, or cluster-wide when it is empty.
    pub async fn list(
        &self,
        r: &ResourceRef,
        namespace: &str,
        options: &ListOptions,
    ) -> Result<Value> {
        self.list_as(r, namespace, options).await
    }

    /// [`Client::list`], with the body as [`JsonText`] or [`Value`].
    pub async fn list_as<T: FromJson>(
        &self,
        r: &ResourceRef,
        namespace: &str,
        options: &ListOptions,
    ) -> Result<T> {
        crate::resources::check_namespace(namespace, true)?;
        let route = self.route(r).await?;
        self.list_routed(&route, namespace, options).await
    }

    pub(crate) async fn list_routed<T: FromJson>(
        &self,
        route: &Route,
        namespace: &str,
        options: &ListOptions,
    ) -> Result<T> {
        let lp = ListParams {
            label_selector: options.label_selector.clone().filter(|s| !s.is_empty()),
            field_selector: options.field_selector.clone().filter(|s| !s.is_empty()),
            limit: options.limit.filter(|l| *l > 0),
            continue_token: options.continue_token.clone().filter(|s| !s.is_empty()),
            resource_version: options.resource_version.clone(),
            ..ListParams::default()
        };
        let req = Request::new(route.wire.collection_path(namespace)).list(&lp);
        self.receive(route, req, Shape::List).await
    }

    /// Full replace (PUT). Never use it for objects built from partial
    /// knowledge of a PodSpec: prefer [`Client::merge_patch`] or [`Client::apply`].
    pub async fn replace(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
        body: Value,
    ) -> Result<Value> {
        self.replace_as(r, namespace, name, body).await
    }

    /// [`Client::replace`], with the body as [`JsonText`] or [`Value`].
    pub async fn replace_as<T: FromJson>(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
        body: Value,
    ) -> Result<T> {
        check_target(namespace, name)?;
        crate::resources::check_body(r, &body)?;
        let route = self.route(r).await?;
        let data =
            serde_json::to_vec(&route.to_wire(body)).map_err(|e| Error::invalid(e.to_string()))?;
        let req = Request::new(route.wire.collection_path(namespace)).replace(
            name,
            &PostParams::default(),
            data,
        );
        self.receive(&route, req, Shape::Object).await
    }

    /// [`Client::create_as`] ended early by `cancel`: the call fails with
    /// `CANCELLED` at once, and if the request already out does make the
    /// object, it is deleted when the answer arrives (a create is never cut
    /// off mid-flight, so nothing is left behind unnoticed).
    pub async fn create_cancellable_as<T: FromJson + Send + 'static>(
        &self,
        r: &ResourceRef,
        namespace: &str,
        body: Value,
        cancel: &crate::cancel::CancellationToken,
    ) -> Result<T> {
        crate::cancel::check_cancelled("create", cancel)?;
        let (client, r, namespace) = (self.clone(), r.clone(), namespace.to_string());
        let mut request = {
            let (client, r, namespace) = (client.clone(), r.clone(), namespace.clone());
            tokio::spawn(async move { client.create(&r, &namespace, body).await })
        };
        let made = tokio::select! {
            done = &mut request => done.map_err(|e| Error::invalid(e.to_string()))??,
            _ = cancel.cancelled() => {
                tokio::spawn(async move {
                    if let Ok(Ok(made)) = request.await
                        && let Some(name) = made.pointer("/metadata/name").and_then(Value::as_str)
                        && let Err(e) = client.delete(&r, &namespace, name, Propagation::Background).await
                        && !e.is_not_found()
                    {
                        tracing::warn!(name, error = %e, "deleting an object made by a cancelled create failed");
                    }
                });
                return Err(crate::cancel::cancelled("create"));
            }
        };
        T::from_json_value(made)
    }

    /// A full replace against the object's current `resourceVersion`: read
    /// it, replace, and on a 409 (someone, often a controller, wrote in
    /// between) read again and retry, [`REPLACE_ATTEMPTS`] times in all.
    pub async fn replace_latest_as<T: FromJson>(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
        body: Value,
    ) -> Result<T> {
        let mut attempt = 1u64;
        loop {
            let current = self.get(r, namespace, name).await?;
            let mut body = body.clone();
            if !body.is_object() {
                return Err(Error::invalid_argument("the body must be a JSON object"));
            }
            body["metadata"]["resourceVersion"] = current
                .pointer("/metadata/resourceVersion")
                .cloned()
                .unwrap_or(Value::Null);
            match self.replace_as(r, namespace, name, body).await {
                Err(e) if e.status() == Some(409) && attempt < REPLACE_ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// A JSON merge patch (`application/merge-patch+json`).
    pub async fn merge_patch(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
        patch: Value,
    ) -> Result<Value> {
        self.merge_patch_as(r, namespace, name, patch).await
    }

    /// [`Client::merge_patch`], with the body as [`JsonText`] or [`Value`].
    pub async fn merge_patch_as<T: FromJson>(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
        patch: Value,
    ) -> Result<T> {
        check_target(namespace, name)?;
        let route = self.route(r).await?;
        let patch = Patch::Merge(route.patch_to_wire(patch));
        let req = Request::new(route.wire.collection_path(namespace)).patch(
            name,
            &PatchParams::default(),
            &patch,
        );
        self.receive(&route, req, Shape::Object).await
    }

    /// Server-side apply with this SDK's field manager.
    pub async fn apply(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
        body: Value,
        force: bool,
    ) -> Result<Value> {
        self.apply_as(r, namespace, name, body, force).await
    }

    /// [`Client::apply`], with the body as [`JsonText`] or [`Value`].
    pub async fn apply_as<T: FromJson>(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
        body: Value,
        force: bool,
    ) -> Result<T> {
        check_target(namespace, name)?;
        crate::resources::check_body(r, &body)?;
        let route = self.route(r).await?;
        let mut pp = PatchParams::apply(FIELD_MANAGER);
        pp.force = force;
        let patch = Patch::Apply(route.to_wire(body));
        let req = Request::new(route.wire.collection_path(namespace)).patch(name, &pp, &patch);
        self.receive(&route, req, Shape::Object).await
    }

    pub async fn delete(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
        propagation: Propagation,
    ) -> Result<()> {
        check_target(namespace, name)?;
        let route = self.route(r).await?;
        let dp = match propagation {
            Propagation::ServerDefault => DeleteParams::default(),
            Propagation::Background => DeleteParams::background(),
            Propagation::Foreground => DeleteParams::foreground(),
            Propagation::Orphan => DeleteParams::orphan(),
        };
        let req = Request::new(route.wire.collection_path(namespace)).delete(name, &dp);
        self.send(req).await.map(|_| ())
    }

    /// `true` when the object exists, `false` on 404; other errors are returned.
    pub async fn exists(&self, r: &ResourceRef, namespace: &str, name: &str) -> Result<bool> {
        match self.get(r, namespace, name).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The `scale` subresource (an `autoscaling/v1` Scale: `spec.replicas`,
    /// `status.replicas`, `status.selector`). In v1beta1 only SandboxWarmPool
    /// has one; elsewhere the server answers 404.
    pub async fn get_scale(&self, r: &ResourceRef, namespace: &str, name: &str) -> Result<Value> {
        check_target(namespace, name)?;
        let route = self.route(r).await?;
        let req =
            Request::new(route.wire.collection_path(namespace)).get_subresource("scale", name);
        self.send(req).await
    }

    /// Sets `spec.replicas` through the `scale` subresource (a merge patch, so
    /// it never races with other writers of the object) and returns the Scale.
    pub async fn set_scale(
        &self,
        r: &ResourceRef,
        namespace: &str,
        name: &str,
        replicas: i32,
    ) -> Result<Value> {
        check_target(namespace, name)?;
        if replicas < 0 {
            return Err(Error::invalid(format!(
                "replicas must be 0 or more, got {replicas}"
            )));
        }
        let route = self.route(r).await?;
        let patch: Patch<Value> =
            Patch::Merge(serde_json::json!({ "spec": { "replicas": replicas } }));
        let req = Request::new(route.wire.collection_path(namespace)).patch_subresource(
            "scale",
            name,
            &PatchParams::default(),
            &patch,
        );
        self.send(req).await
    }

    /// `true` when the cluster serves API group `group` (e.g. `networking.k8s.io`).
    pub async fn serves_group(&self, group: &str) -> Result<bool> {
        let groups = self.get_path("/apis").await?;
        Ok(groups["groups"]
            .as_array()
            .is_some_and(|gs| gs.iter().any(|g| g["name"] == group)))
    }

    /// A GET of any API path, decoded as JSON (for discovery-like reads).
    pub async fn get_path(&self, path: &str) -> Result<Value> {
        let req = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| Error::invalid(e.to_string()));
        self.fetch(req?).await
    }
}

/// A named object's namespace (empty: a cluster-scoped object) and name, as
/// path segments.
fn check_target(namespace: &str, name: &str) -> Result<()> {
    crate::resources::check_namespace(namespace, true)?;
    crate::resources::check_name(name)
}
