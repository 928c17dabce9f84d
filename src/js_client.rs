//! `NativeClient`: CRUD and health for one kubeconfig (current context).

use agent_sandbox::client::{Client, JsonText, ListOptions, Propagation};
use agent_sandbox::health;
use agent_sandbox::{ResourceRef, Version, VersionPolicy};
use kube::config::Kubeconfig;
use napi_derive::napi;
use serde_json::Value;

use crate::js_error::{IntoJs, decode, to_napi};
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

#[napi]
pub struct NativeClient {
    client: Client,
}

/// Builds a client from a standard kubeconfig document (its current context).
/// `apiVersion` forces the wire version ("v1alpha1" | "v1beta1"); otherwise
/// the cluster is asked.
#[napi]
pub async fn connect(kubeconfig: Value, api_version: Option<String>) -> napi::Result<NativeClient> {
    let kubeconfig: Kubeconfig = serde_json::from_value(kubeconfig).map_err(|e| {
        to_napi(agent_sandbox::Error::kubeconfig(
            None,
            format!("Invalid kubeconfig: {e}"),
        ))
    })?;
    let policy = match api_version.as_deref() {
        None | Some("") | Some("auto") => VersionPolicy::Auto,
        Some(v) => VersionPolicy::Fixed(Version::parse(v).ok_or_else(|| {
            to_napi(agent_sandbox::Error::invalid(format!(
                "apiVersion must be \"v1alpha1\", \"v1beta1\" or \"auto\", got {v:?}"
            )))
        })?),
    };
    let client = Client::from_kubeconfig(kubeconfig)
        .await
        .into_js()?
        .with_version_policy(policy);
    Ok(NativeClient { client })
}

impl NativeClient {
    pub(crate) fn inner(&self) -> &Client {
        &self.client
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
        self.client
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
        self.client
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
        self.client
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
        self.client
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
        self.client
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
        self.client
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
        self.client
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
        self.client
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
        self.client
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
        self.client
            .set_scale(&r.into(), &namespace, &name, replicas)
            .await
            .into_json_text()
    }

    /// Whether the cluster serves an API group.
    #[napi]
    pub async fn serves_group(&self, group: String) -> napi::Result<bool> {
        self.client.serves_group(&group).await.into_js()
    }

    #[napi]
    pub async fn health_check(&self, namespace: String) -> napi::Result<Value> {
        let report = health::health_check(&self.client, &namespace).await;
        serde_json::to_value(report).map_err(decode)
    }

    #[napi]
    pub async fn controller_status(&self, namespace: String) -> napi::Result<Value> {
        let status = health::controller_status(&self.client, &namespace).await;
        serde_json::to_value(status).map_err(decode)
    }

    /// `{ sandboxes: string[], extensions: string[] }`, most preferred first.
    #[napi]
    pub async fn served_versions(&self) -> napi::Result<Value> {
        let served = self.client.served_versions().await.into_js()?;
        let names = |v: &[Version]| v.iter().map(|v| v.as_str()).collect::<Vec<_>>();
        Ok(
            serde_json::json!({ "sandboxes": names(&served.sandboxes), "extensions": names(&served.extensions) }),
        )
    }
}
