//! `NativeClient`: CRUD and health for one kubeconfig (current context).

use std::future::Future;
use std::sync::Arc;

use agent_sandbox::client::{Client, JsonText, ListOptions, Propagation};
use agent_sandbox::health;
use agent_sandbox::{ResourceRef, Version, VersionPolicy};
use kube::config::Kubeconfig;
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi_derive::napi;
use serde_json::Value;

use agent_sandbox::cancel::check_cancelled;

use crate::js_cancel::{CancelToken, or_cancelled, token_of};
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

/// How a CRUD call meets its `CancelToken`.
#[derive(Clone, Copy)]
enum OnCancel {
    /// Reads: dropped at once.
    Drop,
    /// Writes: refused if cancelled before they start; once sent, they finish
    /// (a write cannot be taken back) and report what happened.
    Finish,
}

impl NativeClient {
    /// Runs one CRUD call on the runtime, connected, under `cancel`.
    fn crud<'env, T, F, Fut>(
        &self,
        env: &'env Env,
        operation: &'static str,
        cancel: Option<&CancelToken>,
        on_cancel: OnCancel,
        work: F,
    ) -> napi::Result<PromiseRaw<'env, T>>
    where
        T: ToNapiValue + Send + 'static,
        F: FnOnce(Client) -> Fut + Send + 'static,
        Fut: Future<Output = napi::Result<T>> + Send + 'static,
    {
        let connection = self.connection.clone();
        let token = token_of(cancel);
        let call = async move {
            let client = connection.client().await.into_js()?;
            work(client).await
        };
        match on_cancel {
            OnCancel::Drop => env.spawn_future(or_cancelled(operation, token, call)),
            OnCancel::Finish => env.spawn_future(async move {
                check_cancelled(operation, &token).into_js()?;
                call.await
            }),
        }
    }
}

#[napi]
impl NativeClient {
    /// Creates an object. Cancelled while the request is out, it rejects with
    /// CANCELLED at once and deletes the object if the server made it.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn create<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        body: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let connection = self.connection.clone();
        let token = token_of(cancel);
        env.spawn_future(async move {
            let client = connection.client().await.into_js()?;
            let body = parse(&body, "the body")?;
            client
                .create_cancellable_as::<JsonText>(&r.into(), &namespace, body, &token)
                .await
                .into_json_text()
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        name: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        self.crud(env, "get", cancel, OnCancel::Drop, move |c| async move {
            c.get_as::<JsonText>(&r.into(), &namespace, &name)
                .await
                .into_json_text()
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        options: Option<JsListOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let o = options.map(|o| ListOptions {
            label_selector: o.label_selector,
            field_selector: o.field_selector,
            limit: o.limit,
            continue_token: o.continue_token,
            resource_version: o.resource_version,
        });
        self.crud(env, "list", cancel, OnCancel::Drop, move |c| async move {
            c.list_as::<JsonText>(&r.into(), &namespace, &o.unwrap_or_default())
                .await
                .into_json_text()
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn replace<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        name: String,
        body: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        self.crud(
            env,
            "replace",
            cancel,
            OnCancel::Finish,
            move |c| async move {
                c.replace_as::<JsonText>(&r.into(), &namespace, &name, parse(&body, "the body")?)
                    .await
                    .into_json_text()
            },
        )
    }

    /// A replace against the current resourceVersion, retried on a conflict
    /// (see `Client::replace_latest_as`).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn replace_latest<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        name: String,
        body: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        self.crud(
            env,
            "replace",
            cancel,
            OnCancel::Finish,
            move |c| async move {
                c.replace_latest_as::<JsonText>(
                    &r.into(),
                    &namespace,
                    &name,
                    parse(&body, "the body")?,
                )
                .await
                .into_json_text()
            },
        )
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn merge_patch<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        name: String,
        patch: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        self.crud(
            env,
            "patch",
            cancel,
            OnCancel::Finish,
            move |c| async move {
                c.merge_patch_as::<JsonText>(
                    &r.into(),
                    &namespace,
                    &name,
                    parse(&patch, "the patch")?,
                )
                .await
                .into_json_text()
            },
        )
    }

    #[napi(ts_return_type = "Promise<string>")]
    #[allow(clippy::too_many_arguments)]
    pub fn apply<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        name: String,
        body: String,
        force: Option<bool>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        self.crud(
            env,
            "apply",
            cancel,
            OnCancel::Finish,
            move |c| async move {
                c.apply_as::<JsonText>(
                    &r.into(),
                    &namespace,
                    &name,
                    parse(&body, "the body")?,
                    force.unwrap_or(false),
                )
                .await
                .into_json_text()
            },
        )
    }

    /// `propagation`: "Background" | "Foreground" | "Orphan"; default: the server's.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        name: String,
        propagation: Option<String>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let p = match propagation.as_deref() {
            Some("Background") => Propagation::Background,
            Some("Foreground") => Propagation::Foreground,
            Some("Orphan") => Propagation::Orphan,
            _ => Propagation::ServerDefault,
        };
        self.crud(
            env,
            "delete",
            cancel,
            OnCancel::Finish,
            move |c| async move { c.delete(&r.into(), &namespace, &name, p).await.into_js() },
        )
    }

    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn exists<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        name: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        self.crud(env, "exists", cancel, OnCancel::Drop, move |c| async move {
            c.exists(&r.into(), &namespace, &name).await.into_js()
        })
    }

    /// The `scale` subresource of an object.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn get_scale<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        name: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        self.crud(
            env,
            "getScale",
            cancel,
            OnCancel::Drop,
            move |c| async move {
                c.get_scale(&r.into(), &namespace, &name)
                    .await
                    .into_json_text()
            },
        )
    }

    /// Sets `spec.replicas` through the `scale` subresource.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn set_scale<'env>(
        &self,
        env: &'env Env,
        r: JsResourceRef,
        namespace: String,
        name: String,
        replicas: i32,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        self.crud(
            env,
            "setScale",
            cancel,
            OnCancel::Finish,
            move |c| async move {
                c.set_scale(&r.into(), &namespace, &name, replicas)
                    .await
                    .into_json_text()
            },
        )
    }
}

#[napi]
impl NativeClient {
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
