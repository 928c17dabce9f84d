//! `NativeClient`: CRUD and health for one kubeconfig (current context).

use std::sync::Arc;

use agent_sandbox::client::{Client, JsonText, ListOptions, Propagation};
use agent_sandbox::health;
use agent_sandbox::{ResourceRef, Version, VersionPolicy};
use kube::config::Kubeconfig;
use napi_derive::napi;
use serde_json::Value;

use crate::js_error::{IntoJs, decode};
use crate::js_json::{IntoJsonText, parse};

#[napi(object)]
pub struct JsResourceRef {
    pub group: String,
    pub version: String,
    pub plural: String,
}

impl From<JsResourceRef> for ResourceRef {
    fn from(r: JsResourceRef) -> Self {
        ResourceRef::new(r.group, r.version, r.plural)
    }
}

#[napi(object)]
pub struct JsListOptions {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<u32>,
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
}

/// The connection behind a [`NativeClient`]: made from the kubeconfig on
/// first use (building one can run an exec plugin, so it is async), shared
/// by everything made from the same `AgentSandboxClient` (CRUD, exec, watch,
/// the provider and its instances).
pub(crate) struct Connection {
    kubeconfig: Value,
    /// The wire-version policy, or why `apiVersion` was refused.
    policy: Result<VersionPolicy, String>,
    client: tokio::sync::OnceCell<Client>,
}

impl Connection {
    fn new(kubeconfig: Value, api_version: Option<String>) -> Self {
        let policy = match api_version.as_deref() {
            None | Some("") | Some("auto") => Ok(VersionPolicy::Auto),
            Some(v) => Version::parse(v).map(VersionPolicy::Fixed).ok_or_else(|| {
                format!("apiVersion must be \"v1alpha1\", \"v1beta1\" or \"auto\", got {v:?}")
            }),
        };
        Connection {
            kubeconfig,
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
                let kubeconfig: Kubeconfig = serde_json::from_value(self.kubeconfig.clone())
                    .map_err(|e| {
                        agent_sandbox::Error::kubeconfig(None, format!("Invalid kubeconfig: {e}"))
                    })?;
                let client = Client::from_kubeconfig(kubeconfig).await?;
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

/// Builds a client from a standard kubeconfig document (its current context)
/// and connects it. `apiVersion` forces the wire version ("v1alpha1" |
/// "v1beta1"); otherwise the cluster is asked.
#[napi]
pub async fn connect(kubeconfig: Value, api_version: Option<String>) -> napi::Result<NativeClient> {
    let client = NativeClient::lazy(kubeconfig, api_version);
    client.connection.client().await.into_js()?;
    Ok(client)
}

impl NativeClient {
    pub(crate) async fn inner(&self) -> napi::Result<Client> {
        self.connection.client().await.into_js()
    }

    pub(crate) fn connection(&self) -> Arc<Connection> {
        self.connection.clone()
    }
}

#[napi]
impl NativeClient {
    /// A client that connects on first use (construction never does I/O).
    #[napi(factory)]
    pub fn lazy(kubeconfig: Value, api_version: Option<String>) -> NativeClient {
        NativeClient {
            connection: Arc::new(Connection::new(kubeconfig, api_version)),
        }
    }

    /// Connects now (once; a failure is retried by the next call).
    #[napi]
    pub async fn ready(&self) -> napi::Result<()> {
        self.inner().await.map(drop)
    }
}

#[napi]
impl NativeClient {
    #[napi]
    pub async fn create(
        &self,
        r: JsResourceRef,
        namespace: String,
        body: String,
    ) -> napi::Result<String> {
        self.inner()
            .await?
            .create_as::<JsonText>(&r.into(), &namespace, parse(&body, "the body")?)
            .await
            .into_json_text()
    }

    #[napi]
    pub async fn get(
        &self,
        r: JsResourceRef,
        namespace: String,
        name: String,
    ) -> napi::Result<String> {
        self.inner()
            .await?
            .get_as::<JsonText>(&r.into(), &namespace, &name)
            .await
            .into_json_text()
    }

    #[napi]
    pub async fn list(
        &self,
        r: JsResourceRef,
        namespace: String,
        options: Option<JsListOptions>,
    ) -> napi::Result<String> {
        let o = options.map(|o| ListOptions {
            label_selector: o.label_selector,
            field_selector: o.field_selector,
            limit: o.limit,
            continue_token: o.continue_token,
            resource_version: o.resource_version,
        });
        self.inner()
            .await?
            .list_as::<JsonText>(&r.into(), &namespace, &o.unwrap_or_default())
            .await
            .into_json_text()
    }

    #[napi]
    pub async fn replace(
        &self,
        r: JsResourceRef,
        namespace: String,
        name: String,
        body: String,
    ) -> napi::Result<String> {
        self.inner()
            .await?
            .replace_as::<JsonText>(&r.into(), &namespace, &name, parse(&body, "the body")?)
            .await
            .into_json_text()
    }

    #[napi]
    pub async fn merge_patch(
        &self,
        r: JsResourceRef,
        namespace: String,
        name: String,
        patch: String,
    ) -> napi::Result<String> {
        self.inner()
            .await?
            .merge_patch_as::<JsonText>(&r.into(), &namespace, &name, parse(&patch, "the patch")?)
            .await
            .into_json_text()
    }

    #[napi]
    pub async fn apply(
        &self,
        r: JsResourceRef,
        namespace: String,
        name: String,
        body: String,
        force: Option<bool>,
    ) -> napi::Result<String> {
        self.inner()
            .await?
            .apply_as::<JsonText>(
                &r.into(),
                &namespace,
                &name,
                parse(&body, "the body")?,
                force.unwrap_or(false),
            )
            .await
            .into_json_text()
    }

    /// `propagation`: "Background" | "Foreground" | "Orphan"; default: the server's.
    #[napi]
    pub async fn delete(
        &self,
        r: JsResourceRef,
        namespace: String,
        name: String,
        propagation: Option<String>,
    ) -> napi::Result<()> {
        let p = match propagation.as_deref() {
            Some("Background") => Propagation::Background,
            Some("Foreground") => Propagation::Foreground,
            Some("Orphan") => Propagation::Orphan,
            _ => Propagation::ServerDefault,
        };
        self.inner()
            .await?
            .delete(&r.into(), &namespace, &name, p)
            .await
            .into_js()
    }

    #[napi]
    pub async fn exists(
        &self,
        r: JsResourceRef,
        namespace: String,
        name: String,
    ) -> napi::Result<bool> {
        self.inner()
            .await?
            .exists(&r.into(), &namespace, &name)
            .await
            .into_js()
    }

    /// The `scale` subresource of an object.
    #[napi]
    pub async fn get_scale(
        &self,
        r: JsResourceRef,
        namespace: String,
        name: String,
    ) -> napi::Result<String> {
        self.inner()
            .await?
            .get_scale(&r.into(), &namespace, &name)
            .await
            .into_json_text()
    }

    /// Sets `spec.replicas` through the `scale` subresource.
    #[napi]
    pub async fn set_scale(
        &self,
        r: JsResourceRef,
        namespace: String,
        name: String,
        replicas: i32,
    ) -> napi::Result<String> {
        self.inner()
            .await?
            .set_scale(&r.into(), &namespace, &name, replicas)
            .await
            .into_json_text()
    }

    /// Whether the cluster serves an API group.
    #[napi]
    pub async fn serves_group(&self, group: String) -> napi::Result<bool> {
        self.inner().await?.serves_group(&group).await.into_js()
    }

    #[napi]
    pub async fn health_check(&self, namespace: String) -> napi::Result<Value> {
        let report = health::health_check(&self.inner().await?, &namespace).await;
        serde_json::to_value(report).map_err(decode)
    }

    #[napi]
    pub async fn controller_status(&self, namespace: String) -> napi::Result<Value> {
        let status = health::controller_status(&self.inner().await?, &namespace).await;
        serde_json::to_value(status).map_err(decode)
    }

    /// `{ sandboxes: string[], extensions: string[] }`, most preferred first.
    #[napi]
    pub async fn served_versions(&self) -> napi::Result<Value> {
        let served = self.inner().await?.served_versions().await.into_js()?;
        let names = |v: &[Version]| v.iter().map(|v| v.as_str()).collect::<Vec<_>>();
        Ok(
            serde_json::json!({ "sandboxes": names(&served.sandboxes), "extensions": names(&served.extensions) }),
        )
    }
}
