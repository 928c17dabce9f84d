//! The connection per kubeconfig document (shared by every client, CRUD
//! object, exec, watch and provider made from it) and `NativeClient`, its
//! handle: exec sessions and health checks.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use agent_sandbox::client::Client;
use agent_sandbox::config::client_config_with;
use agent_sandbox::health;
use agent_sandbox::proxy::ProxyEnv;
use agent_sandbox::{Version, VersionPolicy};
use napi::bindgen_prelude::{Function, JsObjectValue, Object};
use napi::{Env, JsValue};
use napi_derive::napi;
use serde_json::Value;

use crate::js_error::{decode, to_napi};

/// The connection behind a [`NativeClient`]: made from the kubeconfig on
/// first use (building one can run an exec plugin, so it is async), shared
/// by everything made from the same `AgentSandboxClient` (CRUD, exec, watch,
/// the provider and its instances).
pub(crate) struct Connection {
    kubeconfig: Value,
    /// The proxy variables of `process.env` when the connection was made.
    proxy_env: ProxyEnv,
    /// The wire-version policy, or why `apiVersion` was refused.
    policy: Result<VersionPolicy, String>,
    client: tokio::sync::OnceCell<Client>,
}

impl Connection {
    fn new(kubeconfig: Value, api_version: Option<String>, proxy_env: ProxyEnv) -> Self {
        let policy = match api_version.as_deref() {
            None | Some("") | Some("auto") => Ok(VersionPolicy::Auto),
            Some(v) => Version::parse(v).map(VersionPolicy::Fixed).ok_or_else(|| {
                format!("apiVersion must be \"v1alpha1\", \"v1beta1\" or \"auto\", got {v:?}")
            }),
        };
        Connection {
            kubeconfig,
            proxy_env,
            policy,
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// The client, connecting on first use; a failed attempt is retried by
    /// the next call.
    pub(crate) async fn client(&self) -> agent_sandbox::Result<Client> {
        let policy = match &self.policy {
            Ok(p) => *p,
            Err(message) => return Err(agent_sandbox::Error::invalid(message.clone())),
        };
        self.client
            .get_or_try_init(|| async {
                let kubeconfig =
                    agent_sandbox::config::kubeconfig_from_value(self.kubeconfig.clone())?;
                let config = client_config_with(kubeconfig, &self.proxy_env).await?;
                let client = Client::from_config(config).await?;
                Ok(client.with_version_policy(policy))
            })
            .await
            .cloned()
    }
}

#[napi]
pub struct NativeClient {
    connection: Arc<Connection>,
}

/// One connection per kubeconfig document, wire-version policy and proxy
/// environment, so that every object made from one configuration (clients,
/// CRUD objects, exec, watch, providers) shares one. Keyed by the document's
/// text and the proxy variables, which are read at each call: edits to a
/// KubeConfig or to `process.env` apply to the next call.
static CONNECTIONS: LazyLock<Mutex<HashMap<String, Arc<Connection>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The connection for a KubeConfig object (this package's, or a
/// `@kubernetes/client-node` one): anything with `exportConfig()`, which both
/// have, returning the standard document as JSON text.
pub(crate) fn connection_for(
    kube_config: &Object,
    api_version: Option<&str>,
) -> napi::Result<Arc<Connection>> {
    let not_a_kubeconfig = || {
        to_napi(agent_sandbox::Error::kubeconfig(
            None,
            "Expected a KubeConfig (from loadKubeConfig or @kubernetes/client-node)".to_string(),
        ))
    };
    let export: Function<(), String> = kube_config
        .get_named_property("exportConfig")
        .map_err(|_| not_a_kubeconfig())?;
    let text = export.apply(kube_config, ())?;
    let api_version = api_version.filter(|v| !v.is_empty());
    let proxy_env = js_proxy_env(kube_config);
    let key = format!(
        "{}\u{0}{}\u{0}{text}",
        api_version.unwrap_or("auto"),
        proxy_key(&proxy_env)
    );
    let mut connections = CONNECTIONS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = connections.get(&key) {
        return Ok(c.clone());
    }
    let document: Value = serde_json::from_str(&text).map_err(|e| {
        to_napi(agent_sandbox::Error::kubeconfig(
            None,
            format!("exportConfig() did not return a kubeconfig document: {e}"),
        ))
    })?;
    let connection = Arc::new(Connection::new(
        document,
        api_version.map(str::to_string),
        proxy_env,
    ));
    connections.insert(key, connection.clone());
    Ok(connection)
}

/// The proxy variables (`HTTPS_PROXY`, `NO_PROXY`, ...) of JS's
/// `process.env`, which is the environment a JS program sets: Bun and worker
/// threads do not write its assignments through to the process's own. A
/// runtime without `process.env` gets the process's environment.
fn js_proxy_env(any: &Object) -> ProxyEnv {
    let env = Env::from_raw(any.value().env);
    let vars = env
        .get_global()
        .and_then(|global| global.get_named_property::<Object>("process"))
        .and_then(|process| process.get_named_property::<Object>("env"));
    match vars {
        Ok(vars) => ProxyEnv::from_lookup(|name| {
            vars.get_named_property::<Option<String>>(name)
                .ok()
                .flatten()
        }),
        Err(_) => ProxyEnv::from_process(),
    }
}

/// The proxy variables as part of a connection's key.
fn proxy_key(env: &ProxyEnv) -> String {
    let var = |v: &Option<(&str, agent_sandbox::proxy::Secret)>| {
        v.as_ref()
            .map(|(name, value)| format!("{name}={}", value.expose()))
            .unwrap_or_default()
    };
    format!(
        "{}\u{0}{}\u{0}{}",
        var(&env.https_proxy),
        var(&env.http_proxy),
        env.no_proxy.as_deref().unwrap_or_default()
    )
}

/// The native client of a KubeConfig (made without I/O; it connects on
/// first use).
#[napi(catch_unwind)]
pub fn native_client_for(
    kube_config: Object,
    api_version: Option<String>,
) -> napi::Result<NativeClient> {
    Ok(NativeClient {
        connection: connection_for(&kube_config, api_version.as_deref())?,
    })
}

impl NativeClient {
    pub(crate) fn connection(&self) -> Arc<Connection> {
        self.connection.clone()
    }
}

#[napi]
impl NativeClient {
    /// Cluster, CRD, namespace and controller checks. Never fails: a cluster
    /// that cannot be reached (or a kubeconfig that cannot be used) is reported
    /// as unhealthy.
    #[napi]
    pub async fn health_check(&self, namespace: String) -> napi::Result<Value> {
        health_check_on(&self.connection, &namespace).await
    }

    /// What AgentPane's GET /api/sandbox/k8s/controller serves. Never fails.
    #[napi]
    pub async fn controller_status(&self, namespace: String) -> napi::Result<Value> {
        controller_status_on(&self.connection, &namespace).await
    }
}

/// [`NativeClient::health_check`] on a connection.
pub(crate) async fn health_check_on(
    connection: &Connection,
    namespace: &str,
) -> napi::Result<Value> {
    let report = match connection.client().await {
        Ok(client) => health::health_check(&client, namespace).await,
        Err(_) => health::HealthReport::unreachable(namespace),
    };
    serde_json::to_value(report).map_err(decode)
}

/// [`NativeClient::controller_status`] on a connection.
pub(crate) async fn controller_status_on(
    connection: &Connection,
    namespace: &str,
) -> napi::Result<Value> {
    let status = match connection.client().await {
        Ok(client) => health::controller_status(&client, namespace).await,
        Err(_) => health::ControllerStatus::unreachable(namespace),
    };
    serde_json::to_value(status).map_err(decode)
}
