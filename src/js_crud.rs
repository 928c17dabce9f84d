//! `CustomResourceCrud`: typed CRUD on one resource (group, version,
//! plural), with the drop-in contract's error mapping (section 7): a 409 on
//! create is ALREADY_EXISTS for the body's kind and name, a 404 on a named
//! object is NOT_FOUND for the plural, anything else `CRUD <op> failed: …`
//! with code K8S_API_ERROR and the finer code in `details.type`.
//!
//! The KubeConfig stays a JS property (`kc`) and is read at every call, so
//! that edits to it apply (contract, connection settings).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use agent_sandbox::cancel::check_cancelled;
use agent_sandbox::client::{Client, JsonText, ListOptions, Propagation};
use agent_sandbox::watch::WatchOptions;
use agent_sandbox::{Error, ErrorCode, ResourceRef};
use napi::Env;
use napi::bindgen_prelude::{
    ClassInstance, Function, JavaScriptClassExt, JsObjectValue, Object, PromiseRaw, This, Unknown,
};
use napi_derive::napi;
use serde_json::json;

use crate::js_cancel::{CancelToken, or_cancelled, token_of};
use crate::js_client::{Connection, connection_for};
use crate::js_error::{failure, payload, to_napi};
use crate::js_json::{Answer, IntoAnswer, stringify};
use crate::js_push::{DeliverArgs, NativeStream};
use crate::js_watch::event_batches;
use futures::StreamExt;

#[napi(object)]
pub struct JsCrudConfig {
    pub group: String,
    pub version: String,
    pub plural: String,
}

#[napi(object)]
pub struct JsCrudOptions {
    /// 'auto' (default), 'v1alpha1' or 'v1beta1' on the wire.
    pub api_version: Option<String>,
}

#[napi(object)]
#[derive(Default)]
pub struct JsListOptions {
    /// Falsy: cluster-wide.
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<u32>,
    pub continue_token: Option<String>,
}

#[napi(object)]
pub struct JsDeleteOptions {
    /// 'Background' | 'Foreground' | 'Orphan'; default: the server's.
    pub propagation_policy: Option<String>,
}

#[napi(object)]
pub struct JsApplyOptions {
    pub force: Option<bool>,
}

#[napi(object)]
pub struct JsWaitOptions {
    pub name: String,
    pub namespace: String,
    /// Default 120,000.
    pub timeout_ms: Option<f64>,
}

#[napi(object)]
pub struct JsWatchOptions {
    /// Empty: cluster-wide.
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub resource_version: Option<String>,
    pub timeout_seconds: Option<u32>,
}

/// The object a call is about, for the error mapping.
enum Target {
    /// `list`: no object.
    None,
    /// A named object: a 404 is NOT_FOUND.
    Named { namespace: String, name: String },
    /// A create: a 409 is ALREADY_EXISTS.
    Body { kind: String, name: String },
}

/// How a call meets its `CancelToken`.
#[derive(Clone, Copy)]
enum OnCancel {
    /// Reads: dropped at once.
    Drop,
    /// Writes other than create: refused if cancelled before they start;
    /// once sent they finish (a write cannot be taken back).
    Finish,
}

#[napi(js_name = "CustomResourceCrud")]
pub struct JsCustomResourceCrud {
    r: ResourceRef,
    api_version: Option<String>,
}

/// A call's deadline in milliseconds: default 120 s, clamped to what a timer holds.
pub(crate) fn deadline(timeout_ms: Option<f64>) -> Duration {
    let ms = timeout_ms.filter(|t| t.is_finite()).unwrap_or(120_000.0);
    Duration::from_millis(ms.clamp(0.0, u32::MAX as f64) as u64)
}

impl JsCustomResourceCrud {
    /// The JS-visible properties (`kc`, `config`, `apiVersion`) on `object`, and the native half.
    fn init(
        object: &mut Object,
        kc: Object,
        config: JsCrudConfig,
        api_version: Option<String>,
    ) -> napi::Result<Self> {
        let r = ResourceRef::new(
            config.group.clone(),
            config.version.clone(),
            config.plural.clone(),
        );
        object.set_named_property("kc", kc)?;
        object.set_named_property("config", config)?;
        object.set_named_property("apiVersion", api_version.clone())?;
        Ok(JsCustomResourceCrud { r, api_version })
    }

    /// A new instance, as `new CustomResourceCrud(kc, {group, version, plural}, {apiVersion})` makes.
    pub(crate) fn instance<'env>(
        env: &'env Env,
        kc: Object,
        (group, version, plural): (&str, &str, &str),
        api_version: Option<String>,
    ) -> napi::Result<ClassInstance<'env, JsCustomResourceCrud>> {
        let config = JsCrudConfig {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
        };
        let instance = JsCustomResourceCrud {
            r: ResourceRef::new(group, version, plural),
            api_version: None,
        }
        .into_instance(env)?;
        let mut object = instance.as_object(env);
        let native = Self::init(&mut object, kc, config, api_version)?;
        let mut instance = instance;
        *instance = native;
        Ok(instance)
    }

    /// A full replace with `body`'s resourceVersion, or (`latest`) against
    /// the current one, retried on a conflict.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn replace_value<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        name: String,
        body: serde_json::Value,
        latest: bool,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let target = named(&namespace, &name);
        self.call(
            env,
            this,
            "update",
            target,
            cancel,
            OnCancel::Finish,
            move |c, r| async move {
                if latest {
                    c.replace_latest_as::<JsonText>(&r, &namespace, &name, body)
                        .await
                } else {
                    c.replace_as::<JsonText>(&r, &namespace, &name, body).await
                }
            },
        )
    }

    fn connection(&self, this: &This<Object>) -> napi::Result<Arc<Connection>> {
        let kc: Object = this.object.get_named_property("kc")?;
        connection_for(&kc, self.api_version.as_deref())
    }

    /// Runs `work` connected, under `cancel`, and maps its failure for `target`.
    #[allow(clippy::too_many_arguments)]
    fn call<'env, T, F, Fut>(
        &self,
        env: &'env Env,
        this: This<Object>,
        op: &'static str,
        target: Target,
        cancel: Option<&CancelToken>,
        on_cancel: OnCancel,
        work: F,
    ) -> napi::Result<PromiseRaw<'env, Answer>>
    where
        T: IntoAnswer,
        F: FnOnce(Client, ResourceRef) -> Fut + Send + 'static,
        Fut: Future<Output = agent_sandbox::Result<T>> + Send + 'static,
    {
        let connection = self.connection(&this)?;
        let (r, token) = (self.r.clone(), token_of(cancel));
        let plural = r.plural.clone();
        let run = async move {
            if let OnCancel::Finish = on_cancel {
                check_cancelled(op, &token)?;
            }
            let client = connection.client().await?;
            work(client, r).await?.into_answer()
        };
        let mapped = async move { run.await.map_err(|e| crud_error(op, &plural, &target, e)) };
        match on_cancel {
            OnCancel::Drop => env.spawn_future(or_cancelled(op, token_of(cancel), mapped)),
            OnCancel::Finish => env.spawn_future(mapped),
        }
    }
}

/// The contract's error mapping (see the module's comment).
fn crud_error(op: &str, plural: &str, target: &Target, err: Error) -> napi::Error {
    let status = err.status();
    match target {
        _ if passes_through(err.code()) => to_napi(err),
        Target::Body { kind, name } if status == Some(409) => failure(&json!({
            "code": "ALREADY_EXISTS", "statusCode": 409,
            "message": format!("{kind} \"{name}\" already exists"),
            "details": { "kind": kind, "name": name },
        })),
        Target::Named { namespace, name } if status == Some(404) => failure(&json!({
            "code": "NOT_FOUND", "statusCode": 404,
            "message": format!("{plural} \"{name}\" not found in namespace \"{namespace}\""),
            "details": { "kind": plural, "name": name, "namespace": namespace },
        })),
        _ => api_failure(&format!("CRUD {op} failed"), &err),
    }
}

/// Errors that keep their own code through the mapping.
pub(crate) fn passes_through(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Cancelled
            | ErrorCode::KubeConfig
            | ErrorCode::Timeout
            | ErrorCode::SandboxFailed
            | ErrorCode::InvalidArgument
            | ErrorCode::Unsupported
    )
}

/// `<what>: <message>` with code K8S_API_ERROR, the HTTP status, and the
/// finer code in `details.type`.
pub(crate) fn api_failure(what: &str, err: &Error) -> napi::Error {
    let mut p = payload(err);
    let mut details = serde_json::Map::new();
    details.insert("type".into(), json!(err.code().as_str()));
    if let Some(d) = p["details"].as_object() {
        details.extend(d.clone());
    }
    p["code"] = json!("K8S_API_ERROR");
    p["message"] = json!(format!("{what}: {err}"));
    p["details"] = details.into();
    failure(&p)
}

fn named(namespace: &str, name: &str) -> Target {
    Target::Named {
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

#[napi]
impl JsCustomResourceCrud {
    /// `kc`: a KubeConfig (this package's or client-node's), read at each call.
    #[napi(catch_unwind, constructor)]
    pub fn new(
        mut this: This<Object>,
        kc: Object,
        config: JsCrudConfig,
        options: Option<JsCrudOptions>,
    ) -> napi::Result<Self> {
        Self::init(
            &mut this.object,
            kc,
            config,
            options.and_then(|o| o.api_version),
        )
    }

    /// Aborted while the request is out, it rejects at once and deletes the
    /// object if the server made it.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn create<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        body: Unknown,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let text = stringify(env, body, "the body")?;
        let body: serde_json::Value = crate::js_json::parse(&text, "the body")?;
        let target = Target::Body {
            kind: body["kind"].as_str().unwrap_or("unknown").to_string(),
            name: body
                .pointer("/metadata/name")
                .and_then(|n| n.as_str())
                .unwrap_or("unknown")
                .to_string(),
        };
        // Its own cancellation (the undo), so Finish only checks up front.
        let token = token_of(cancel);
        self.call(
            env,
            this,
            "create",
            target,
            None,
            OnCancel::Finish,
            move |c, r| async move {
                c.create_cancellable_as::<JsonText>(&r, &namespace, body, &token)
                    .await
            },
        )
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        name: String,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let target = named(&namespace, &name);
        self.call(
            env,
            this,
            "get",
            target,
            cancel,
            OnCancel::Drop,
            move |c, r| async move { c.get_as::<JsonText>(&r, &namespace, &name).await },
        )
    }

    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        options: Option<JsListOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let o = options.unwrap_or_default();
        let namespace = o.namespace.unwrap_or_default();
        let query = ListOptions {
            label_selector: o.label_selector.filter(|s| !s.is_empty()),
            field_selector: o.field_selector.filter(|s| !s.is_empty()),
            limit: o.limit.filter(|l| *l > 0),
            continue_token: o.continue_token.filter(|s| !s.is_empty()),
            resource_version: None,
        };
        self.call(
            env,
            this,
            "list",
            Target::None,
            cancel,
            OnCancel::Drop,
            move |c, r| async move { c.list_as::<JsonText>(&r, &namespace, &query).await },
        )
    }

    /// A full replace (PUT) with the body's resourceVersion.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    #[allow(clippy::too_many_arguments)]
    pub fn update<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        name: String,
        body: Unknown,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let body = crate::js_json::parse(&stringify(env, body, "the body")?, "the body")?;
        self.replace_value(env, this, namespace, name, body, false, cancel)
    }

    /// A full replace against the current resourceVersion, retried when
    /// someone wrote in between (see `Client::replace_latest_as`).
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    #[allow(clippy::too_many_arguments)]
    pub fn replace_latest<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        name: String,
        body: Unknown,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let body = crate::js_json::parse(&stringify(env, body, "the body")?, "the body")?;
        self.replace_value(env, this, namespace, name, body, true, cancel)
    }

    /// A JSON merge patch (application/merge-patch+json).
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    #[allow(clippy::too_many_arguments)]
    pub fn patch<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        name: String,
        patch: Unknown,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let patch = crate::js_json::parse(&stringify(env, patch, "the patch")?, "the patch")?;
        let target = named(&namespace, &name);
        self.call(
            env,
            this,
            "patch",
            target,
            cancel,
            OnCancel::Finish,
            move |c, r| async move {
                c.merge_patch_as::<JsonText>(&r, &namespace, &name, patch)
                    .await
            },
        )
    }

    /// Server-side apply (field manager `agent-sandbox-sdk`); creates or updates.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn apply<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        body: Unknown,
        options: Option<JsApplyOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let body = crate::js_json::parse(&stringify(env, body, "the body")?, "the body")?;
        let name = body
            .pointer("/metadata/name")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_string();
        let force = options.and_then(|o| o.force).unwrap_or(false);
        self.call(
            env,
            this,
            "apply",
            Target::None,
            cancel,
            OnCancel::Finish,
            move |c, r| async move {
                c.apply_as::<JsonText>(&r, &namespace, &name, body, force)
                    .await
            },
        )
    }

    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn delete<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        name: String,
        options: Option<JsDeleteOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let propagation = match options.and_then(|o| o.propagation_policy).as_deref() {
            Some("Background") => Propagation::Background,
            Some("Foreground") => Propagation::Foreground,
            Some("Orphan") => Propagation::Orphan,
            _ => Propagation::ServerDefault,
        };
        let target = named(&namespace, &name);
        self.call(
            env,
            this,
            "delete",
            target,
            cancel,
            OnCancel::Finish,
            move |c, r| async move { c.delete(&r, &namespace, &name, propagation).await },
        )
    }

    /// True when the object exists, false on a 404; other errors reject.
    #[napi(catch_unwind, ts_return_type = "Promise<boolean>")]
    pub fn exists<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        name: String,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let target = named(&namespace, &name);
        self.call(
            env,
            this,
            "get",
            target,
            cancel,
            OnCancel::Drop,
            move |c, r| async move { c.exists(&r, &namespace, &name).await },
        )
    }

    /// The `scale` subresource (autoscaling/v1 Scale).
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn get_scale<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        name: String,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let target = named(&namespace, &name);
        self.call(
            env,
            this,
            "getScale",
            target,
            cancel,
            OnCancel::Drop,
            move |c, r| async move { c.get_scale(&r, &namespace, &name).await },
        )
    }

    /// Sets `spec.replicas` through the `scale` subresource; returns the Scale.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    #[allow(clippy::too_many_arguments)]
    pub fn set_scale<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        namespace: String,
        name: String,
        replicas: f64,
        _options: Option<Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        if replicas.fract() != 0.0 || !(0.0..=i32::MAX as f64).contains(&replicas) {
            return Err(failure(&json!({
                "code": "INVALID_ARGUMENT", "statusCode": 400,
                "message": format!("setScale({name}): replicas must be a whole number ≥ 0, got {replicas}"),
                "details": { "name": name },
            })));
        }
        let target = named(&namespace, &name);
        self.call(
            env,
            this,
            "setScale",
            target,
            cancel,
            OnCancel::Finish,
            move |c, r| async move { c.set_scale(&r, &namespace, &name, replicas as i32).await },
        )
    }

    /// Resolves with the Sandbox once its Ready condition is True (watched,
    /// not polled); a terminal reason rejects with SANDBOX_FAILED, the
    /// deadline with TIMEOUT, the token with CANCELLED.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn wait_for_ready<'env>(
        &self,
        env: &'env Env,
        this: This<Object>,
        options: JsWaitOptions,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Answer>> {
        let JsWaitOptions {
            name,
            namespace,
            timeout_ms,
        } = options;
        let target = named(&namespace, &name);
        let timeout = deadline(timeout_ms);
        self.call(
            env,
            this,
            "get",
            target,
            cancel,
            OnCancel::Drop,
            move |c, r| async move {
                agent_sandbox::lifecycle::wait_for_ready(&c, &r, &namespace, &name, timeout).await
            },
        )
    }

    /// Opens a resumable watch, pushed to `deliver` in batches (see `js_push`).
    #[napi(catch_unwind)]
    pub fn open_watch(
        &self,
        this: This<Object>,
        options: Option<JsWatchOptions>,
        #[napi(ts_arg_type = "(batch: string | null, error?: string) => void")] deliver: Function<
            '_,
            DeliverArgs<String>,
            (),
        >,
    ) -> napi::Result<NativeStream> {
        let connection = self.connection(&this)?;
        let r = self.r.clone();
        let (namespace, options) = match options {
            Some(o) => (
                o.namespace.unwrap_or_default(),
                WatchOptions {
                    label_selector: o.label_selector.filter(|s| !s.is_empty()),
                    field_selector: o.field_selector.filter(|s| !s.is_empty()),
                    resource_version: o.resource_version.filter(|v| !v.is_empty()),
                    timeout_seconds: o.timeout_seconds.filter(|t| *t > 0),
                    ..WatchOptions::default()
                },
            ),
            None => (String::new(), WatchOptions::default()),
        };
        // Connecting is the stream's first step: its failure is delivered
        // like any other.
        let events = futures::stream::once(async move {
            match connection.client().await {
                Ok(client) => futures::future::Either::Left(event_batches(
                    client.watch(&r, &namespace, options),
                )),
                Err(e) => futures::future::Either::Right(futures::stream::iter([Err(to_napi(e))])),
            }
        })
        .flatten();
        NativeStream::start(deliver, events)
    }
}
