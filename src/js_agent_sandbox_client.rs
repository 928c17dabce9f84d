//! `AgentSandboxClient`: the original SDK's client. Its CRUD objects
//! (`sandboxes`, `templates`, `claims`, `warmPools`, and the core
//! `networkPolicies` and `pods`) are `CustomResourceCrud`s made here; each
//! method runs on one of them with the client's namespace as the default.
//! The JS layer adds what needs Node: exec streams, watch callbacks, Dates.

use agent_sandbox::resources::{Kind, Version};
use napi::Env;
use napi::bindgen_prelude::{ClassInstance, JsObjectValue, Object, PromiseRaw, This, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::js_cancel::CancelToken;
use crate::js_client::{connection_for, controller_status_on, health_check_on};
use crate::js_crud::{JsCustomResourceCrud, JsDeleteOptions, JsListOptions, JsWaitOptions};
use crate::js_json::{Answer, stringify};
use crate::js_lifecycle::{JsClaimOptions, claim_sandbox_on};

/// The namespace of a client made without one.
pub const DEFAULT_NAMESPACE: &str = "agentpane-sandboxes";

#[napi(object)]
pub struct JsClientWaitOptions {
    pub namespace: Option<String>,
    /// Default 120,000.
    pub timeout_ms: Option<f64>,
}

#[napi(js_name = "AgentSandboxClient")]
pub struct JsAgentSandboxClient {
    namespace: String,
    api_version: Option<String>,
}

type Crud<'env> = (
    ClassInstance<'env, JsCustomResourceCrud>,
    This<'env, Object<'env>>,
);

impl JsAgentSandboxClient {
    fn ns(&self, namespace: Option<String>) -> String {
        namespace.unwrap_or_else(|| self.namespace.clone())
    }

    /// The CRUD object in `this[field]`, with itself as its `this`.
    fn crud<'env>(env: &'env Env, this: &This<Object>, field: &str) -> napi::Result<Crud<'env>> {
        let crud: ClassInstance<'env, JsCustomResourceCrud> =
            this.object.get_named_property(field)?;
        let object = crud.as_object(env);
        Ok((crud, This::from(object)))
    }

    /// A list in `namespace` (default: the client's), with `options`'
    /// selectors and paging.
    fn list_in<'env>(
        &self,
        env: &'env Env,
        this: &This<Object>,
        field: &str,
        namespace: Option<String>,
        options: Option<JsListOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, this, field)?;
        let mut options = options.unwrap_or_default();
        options.namespace = Some(self.ns(namespace.or(options.namespace.take())));
        crud.list(env, this, Some(options), cancel)
    }
}

#[napi]
impl JsAgentSandboxClient {
    /// `kubeConfig`: a KubeConfig (this package's or client-node's), read at
    /// each call; `apiVersion`: 'auto' (default), 'v1alpha1' or 'v1beta1' on the wire.
    #[napi(catch_unwind, constructor)]
    pub fn new(
        env: &Env,
        mut this: This<Object>,
        kube_config: Object,
        namespace: Option<String>,
        api_version: Option<String>,
    ) -> napi::Result<Self> {
        let namespace = namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
        // The original's version on the wire is v1alpha1; the connection's
        // policy converts to what the cluster serves.
        let crd = |kind: Kind| (kind.group(), Version::V1alpha1.as_str(), kind.plural());
        let cruds = [
            ("sandboxes", crd(Kind::Sandbox)),
            ("templates", crd(Kind::SandboxTemplate)),
            ("claims", crd(Kind::SandboxClaim)),
            ("warmPools", crd(Kind::SandboxWarmPool)),
            // Core resources the provider needs (no version conversion applies).
            (
                "networkPolicies",
                ("networking.k8s.io", "v1", "networkpolicies"),
            ),
            ("pods", ("", "v1", "pods")),
        ];
        for (field, resource) in cruds {
            let crud =
                JsCustomResourceCrud::instance(env, kube_config, resource, api_version.clone())?;
            this.object.set_named_property(field, crud.as_object(env))?;
        }
        this.object.set_named_property("kubeConfig", kube_config)?;
        this.object
            .set_named_property("namespace", namespace.as_str())?;
        this.object
            .set_named_property("apiVersion", api_version.clone())?;
        Ok(JsAgentSandboxClient {
            namespace,
            api_version,
        })
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn create_sandbox<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        sandbox: Unknown,
        namespace: Option<String>,
        options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "sandboxes")?;
        crud.create(env, this, self.ns(namespace), sandbox, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn get_sandbox<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
        options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "sandboxes")?;
        crud.get(env, this, self.ns(namespace), name, options, cancel)
    }

    /// `options`: `namespace` (default: the client's), selectors, paging.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn list_sandboxes<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        options: Option<JsListOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        self.list_in(env, &this, "sandboxes", None, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn delete_sandbox<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
        options: Option<JsDeleteOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "sandboxes")?;
        crud.delete(env, this, self.ns(namespace), name, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<boolean>")]
    pub fn sandbox_exists<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
        options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "sandboxes")?;
        crud.exists(env, this, self.ns(namespace), name, options, cancel)
    }

    /// Resolves once the Sandbox is Ready (watched, not polled).
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn wait_for_ready<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        options: Option<JsClientWaitOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "sandboxes")?;
        let (namespace, timeout_ms) = options.map_or((None, None), |o| (o.namespace, o.timeout_ms));
        let options = JsWaitOptions {
            name,
            namespace: self.ns(namespace),
            timeout_ms,
        };
        crud.wait_for_ready(env, this, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn create_template<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        template: Unknown,
        namespace: Option<String>,
        options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "templates")?;
        crud.create(env, this, self.ns(namespace), template, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn get_template<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
        options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "templates")?;
        crud.get(env, this, self.ns(namespace), name, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn list_templates<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: Option<String>,
        options: Option<JsListOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        self.list_in(env, &this, "templates", namespace, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn delete_template<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "templates")?;
        crud.delete(env, this, self.ns(namespace), name, None, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn create_claim<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        claim: Unknown,
        namespace: Option<String>,
        options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "claims")?;
        crud.create(env, this, self.ns(namespace), claim, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn get_claim<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
        options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "claims")?;
        crud.get(env, this, self.ns(namespace), name, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn list_claims<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: Option<String>,
        options: Option<JsListOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        self.list_in(env, &this, "claims", namespace, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn delete_claim<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "claims")?;
        crud.delete(env, this, self.ns(namespace), name, None, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn create_warm_pool<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        pool: Unknown,
        namespace: Option<String>,
        options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "warmPools")?;
        crud.create(env, this, self.ns(namespace), pool, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn get_warm_pool<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
        options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "warmPools")?;
        crud.get(env, this, self.ns(namespace), name, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn list_warm_pools<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: Option<String>,
        options: Option<JsListOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        self.list_in(env, &this, "warmPools", namespace, options, cancel)
    }

    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn delete_warm_pool<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "warmPools")?;
        crud.delete(env, this, self.ns(namespace), name, None, cancel)
    }

    /// A full replace. Without `metadata.resourceVersion` the current one is
    /// read first and a 409 (the controller wrote in between) is retried with
    /// a fresh one, a few times; a caller-given resourceVersion is never retried.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn replace_warm_pool<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        pool: Unknown,
        namespace: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let body = crate::js_json::parse(&stringify(env, pool, "the pool")?, "the pool")?;
        let given = body
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str);
        let latest = given.is_none_or(str::is_empty);
        let (crud, this) = Self::crud(env, &this, "warmPools")?;
        crud.replace_value(env, this, self.ns(namespace), name, body, latest, None)
    }

    /// The pool's `scale` subresource: `{spec:{replicas}, status:{replicas, selector}}`.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn get_warm_pool_scale<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        namespace: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "warmPools")?;
        crud.get_scale(env, this, self.ns(namespace), name, None, None)
    }

    /// Resizes a pool through its `scale` subresource (what HPA and KEDA use).
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn scale_warm_pool<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        name: String,
        replicas: f64,
        namespace: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let (crud, this) = Self::crud(env, &this, "warmPools")?;
        crud.set_scale(env, this, self.ns(namespace), name, replicas, None, None)
    }

    /// Creates a SandboxClaim (v1beta1 `warmPoolRef`, or on v1alpha1 servers
    /// the pool's template and `warmpool`), waits by watch until it is bound
    /// and the Sandbox is Ready: `{claim, sandbox, podName}`. On failure the
    /// claim is deleted again (unless it was someone else's).
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<{ claim: any; sandbox: any; podName: string }>"
    )]
    pub fn claim_sandbox<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        options: Option<JsClaimOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let connection = self.connection(&this)?;
        let mut options = options.unwrap_or_default();
        let namespace = self.ns(options.namespace.take());
        claim_sandbox_on(env, connection, namespace, options, cancel)
    }

    /// Cluster, CRD, namespace and controller checks; never fails.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn health_check<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let (connection, namespace) = (self.connection(&this)?, self.namespace.clone());
        env.spawn_future(async move { health_check_on(&connection, &namespace).await })
    }

    /// What AgentPane's GET /api/sandbox/k8s/controller serves; never fails.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn controller_status<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let (connection, namespace) = (self.connection(&this)?, self.namespace.clone());
        env.spawn_future(async move { controller_status_on(&connection, &namespace).await })
    }
}

impl JsAgentSandboxClient {
    fn connection(
        &self,
        this: &This<Object>,
    ) -> napi::Result<std::sync::Arc<crate::js_client::Connection>> {
        let kc: Object = this.object.get_named_property("kubeConfig")?;
        connection_for(&kc, self.api_version.as_deref())
    }
}
