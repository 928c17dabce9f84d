//! Kubeconfig discovery for JS: returns the merged kubeconfig as plain data
//! (the standard kubeconfig document), which `lib/kubeconfig.js` turns into a
//! `KubeConfig` object.

use std::path::PathBuf;

use agent_sandbox::config::{
    Environment, KubeconfigOptions, KubeconfigSource, load_kubeconfig_from,
};
use napi_derive::napi;
use serde_json::{Value, json};

use crate::js_error::{IntoJs, decode};

#[napi(object)]
pub struct JsKubeconfigOptions {
    pub kubeconfig_path: Option<String>,
    pub context: Option<String>,
    pub skip_tls_verify: Option<bool>,
    /// The JS runtime's view of the environment (Bun's `process.env` is not
    /// the C environment); missing keys fall back to the process's.
    pub env: Option<JsKubeconfigEnv>,
}

#[napi(object)]
pub struct JsKubeconfigEnv {
    #[napi(js_name = "k8sKubeconfig")]
    pub k8s_kubeconfig: Option<String>,
    pub kubeconfig: Option<String>,
    pub home: Option<String>,
    pub kubernetes_service_host: Option<String>,
    pub kubernetes_service_port: Option<String>,
}

/// Loads the kubeconfig through the discovery tiers. Synchronous: it reads
/// files only.
#[napi]
pub fn load_kubeconfig_document(options: Option<JsKubeconfigOptions>) -> napi::Result<Value> {
    let options = options.unwrap_or(JsKubeconfigOptions {
        kubeconfig_path: None,
        context: None,
        skip_tls_verify: None,
        env: None,
    });
    let mut env = Environment::from_process();
    if let Some(js) = options.env {
        let set = |v: Option<String>| v.filter(|s| !s.is_empty());
        env.k8s_kubeconfig = set(js.k8s_kubeconfig);
        env.kubeconfig = set(js.kubeconfig);
        env.home = set(js.home).map(PathBuf::from).or(env.home);
        env.service_host = set(js.kubernetes_service_host);
        env.service_port = set(js.kubernetes_service_port);
    }
    let loaded = load_kubeconfig_from(
        &KubeconfigOptions {
            path: options
                .kubeconfig_path
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            context: options.context,
            skip_tls_verify: options.skip_tls_verify.unwrap_or(false),
        },
        &env,
    )
    .into_js()?;
    let source = match &loaded.source {
        KubeconfigSource::ExplicitPath(p)
        | KubeconfigSource::K8sKubeconfigEnv(p)
        | KubeconfigSource::HomeDir(p) => {
            json!([p.display().to_string()])
        }
        KubeconfigSource::KubeconfigEnv(paths) => json!(
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        ),
        KubeconfigSource::InCluster => json!([]),
    };
    let document = serde_json::to_value(&loaded.kubeconfig).map_err(decode)?;
    Ok(
        json!({ "document": document, "files": source, "inCluster": loaded.source == KubeconfigSource::InCluster }),
    )
}
