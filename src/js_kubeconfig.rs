//! Kubeconfig discovery for JS: returns the merged kubeconfig as plain data
//! (the standard kubeconfig document), which `lib/kubeconfig.js` turns into a
//! `KubeConfig` object.

use std::path::PathBuf;

use agent_sandbox::Error;
use agent_sandbox::config::{
    Environment, KubeconfigOptions, KubeconfigSource, MAX_KUBECONFIG_BYTES, load_kubeconfig_from,
    parse_kubeconfig,
};
use napi_derive::napi;
use serde_json::{Map, Value, json};

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
#[napi(catch_unwind)]
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

/// A kubeconfig's text (YAML or JSON) as the standard document, for
/// `KubeConfig.loadFromString`. Errors say where the text is wrong, never
/// what it holds.
#[napi(catch_unwind, ts_return_type = "Record<string, any>")]
pub fn parse_kubeconfig_document(text: String) -> napi::Result<Value> {
    if text.len() as u64 > MAX_KUBECONFIG_BYTES {
        return Err(Error::kubeconfig(
            None,
            format!("Invalid kubeconfig: larger than {MAX_KUBECONFIG_BYTES} bytes"),
        ))
        .into_js();
    }
    let kubeconfig = parse_kubeconfig(&text)
        .map_err(|problem| Error::kubeconfig(None, format!("Invalid kubeconfig: {problem}")))
        .into_js()?;
    serde_json::to_value(&kubeconfig).map_err(decode)
}

/// [standard kubeconfig key, client-node's property] of a cluster.
const CLUSTER_KEYS: [(&str, &str); 5] = [
    ("server", "server"),
    ("certificate-authority-data", "caData"),
    ("certificate-authority", "caFile"),
    ("tls-server-name", "tlsServerName"),
    ("proxy-url", "proxyUrl"),
];

/// [standard kubeconfig key, client-node's property] of a user.
const USER_KEYS: [(&str, &str); 10] = [
    ("token", "token"),
    ("client-certificate-data", "certData"),
    ("client-certificate", "certFile"),
    ("client-key-data", "keyData"),
    ("client-key", "keyFile"),
    ("username", "username"),
    ("password", "password"),
    ("exec", "exec"),
    ("auth-provider", "authProvider"),
    ("as", "impersonateUser"),
];

/// `keys` of `from` (given, not null) under their other names.
fn renamed(from: &Value, keys: &[(&str, &str)], to_client_node: bool) -> Map<String, Value> {
    let mut out = Map::new();
    for (standard, client_node) in keys {
        let (src, dst) = if to_client_node {
            (standard, client_node)
        } else {
            (client_node, standard)
        };
        if let Some(v) = from.get(*src).filter(|v| !v.is_null()) {
            out.insert(dst.to_string(), v.clone());
        }
    }
    out
}

fn entries(v: &Value, key: &str) -> Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// A standard kubeconfig document as client-node's KubeConfig fields:
/// `{clusters, users, contexts, currentContext}`.
#[napi(
    catch_unwind,
    ts_return_type = "{ clusters: any[]; users: any[]; contexts: any[]; currentContext: string }"
)]
pub fn kube_config_fields(document: Value) -> Value {
    let name = |e: &Value| e.get("name").cloned().unwrap_or(Value::Null);
    let clusters: Vec<Value> = entries(&document, "clusters")
        .iter()
        .map(|e| {
            let c = e.get("cluster").cloned().unwrap_or_default();
            let mut out = renamed(&c, &CLUSTER_KEYS, true);
            // client-node drops a trailing slash (its API clients append "/api/...").
            if let Some(Value::String(server)) = out.get_mut("server")
                && let Some(trimmed) = server.strip_suffix('/')
            {
                *server = trimmed.to_string();
            }
            out.insert("name".into(), name(e));
            let skip = c.get("insecure-skip-tls-verify") == Some(&Value::Bool(true));
            out.insert("skipTLSVerify".into(), skip.into());
            out.into()
        })
        .collect();
    let users: Vec<Value> = entries(&document, "users")
        .iter()
        .map(|e| {
            let user = e.get("user").cloned().unwrap_or_default();
            let mut out = renamed(&user, &USER_KEYS, true);
            // client-node has no tokenFile property: its in-cluster user
            // names the file through this provider, and so do we, so that
            // the file is read again on refresh rather than once here.
            if let Some(file) = user.get("tokenFile").filter(|f| f.is_string())
                && !out.contains_key("authProvider")
            {
                out.insert(
                    "authProvider".into(),
                    json!({ "name": "tokenFile", "config": { "tokenFile": file } }),
                );
            }
            out.insert("name".into(), name(e));
            out.into()
        })
        .collect();
    let contexts: Vec<Value> = entries(&document, "contexts")
        .iter()
        .map(|e| {
            let c = e.get("context").cloned().unwrap_or_default();
            let keys = [
                ("cluster", "cluster"),
                ("user", "user"),
                ("namespace", "namespace"),
            ];
            let mut out = renamed(&c, &keys, true);
            out.insert("name".into(), name(e));
            out.into()
        })
        .collect();
    let current = document
        .get("current-context")
        .and_then(Value::as_str)
        .unwrap_or_default();
    json!({ "clusters": clusters, "users": users, "contexts": contexts, "currentContext": current })
}

/// client-node's KubeConfig fields as a standard kubeconfig document (what kubectl reads).
#[napi(catch_unwind, ts_return_type = "Record<string, any>")]
pub fn kube_config_document(fields: Value) -> Value {
    let clusters: Vec<Value> = entries(&fields, "clusters")
        .iter()
        .map(|c| {
            let mut cluster = renamed(c, &CLUSTER_KEYS, false);
            if c.get("skipTLSVerify").and_then(Value::as_bool) == Some(true) {
                cluster.insert("insecure-skip-tls-verify".into(), true.into());
            }
            json!({ "name": c.get("name"), "cluster": cluster })
        })
        .collect();
    let users: Vec<Value> = entries(&fields, "users")
        .iter()
        .map(|u| json!({ "name": u.get("name"), "user": renamed(u, &USER_KEYS, false) }))
        .collect();
    let contexts: Vec<Value> = entries(&fields, "contexts")
        .iter()
        .map(|c| {
            let mut context = renamed(c, &[("cluster", "cluster"), ("user", "user")], false);
            if let Some(ns) = c
                .get("namespace")
                .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
            {
                context.insert("namespace".into(), ns.clone());
            }
            json!({ "name": c.get("name"), "context": context })
        })
        .collect();
    json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": clusters, "users": users, "contexts": contexts,
        "current-context": fields.get("currentContext").cloned().unwrap_or_else(|| json!("")),
    })
}
