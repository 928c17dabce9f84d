//! `AgentSandboxProvider`: the core's Kubernetes provider as a JS class.
//!
//! Every rule lives in the core; this file converts arguments, keeps one JS
//! object per sandbox (so `get()` returns the very instance `create()` did),
//! and makes each call's events reach the listeners before it settles.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use agent_sandbox::provider::{
    CleanupOptions, DockerProvider, DockerProviderOptions, KubernetesProvider,
    KubernetesProviderOptions, NetworkMode, SandboxConfig, SandboxHandle, SandboxProvider,
    SandboxStatus, defaults,
};
use napi::bindgen_prelude::{
    Function, JavaScriptClassExt, Object, PromiseRaw, Reference, Unknown, WeakReference,
};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::js_cancel::{CancelToken, or_cancelled, token_of};
use crate::js_client::{Connection, NativeClient};
use crate::js_error::{IntoJs, decode, invalid_argument as invalid};
use crate::js_events::EventSink;
use crate::js_instance::AgentSandboxInstance;

#[napi(object)]
pub struct JsProviderOptions {
    pub namespace: Option<String>,
    pub enable_warm_pool: Option<bool>,
    pub warm_pool_size: Option<f64>,
    pub runtime_class_name: Option<String>,
    pub image: Option<String>,
    pub ready_timeout_seconds: Option<f64>,
    /// `'default'` (the original's behaviour): `get()` of a codespace with no
    /// sandbox returns the 'default' codespace's. `'none'`: it returns null
    /// (codespaces of different tenants).
    pub codespace_fallback: Option<String>,
}

/// What only the Docker provider takes.
#[napi(object)]
pub struct JsDockerOptions {
    /// `unix:///path` or `tcp://host:port`; default DOCKER_HOST, then the
    /// usual sockets.
    pub host: Option<String>,
    /// `uid:gid` the container runs as (default `1000:1000`).
    pub user: Option<String>,
    pub pids_limit: Option<f64>,
    pub read_only_root_filesystem: Option<bool>,
}

impl JsDockerOptions {
    /// The Docker provider's options: the common ones from `common`.
    fn into_core(self, common: &KubernetesProviderOptions) -> napi::Result<DockerProviderOptions> {
        let mut o = DockerProviderOptions {
            host: self.host,
            scope: common.namespace.clone(),
            image: common.image.clone(),
            ready_timeout: common.ready_timeout,
            default_network_mode: common.default_network_mode,
            fall_back_to_default_codespace: common.fall_back_to_default_codespace,
            ..DockerProviderOptions::default()
        };
        if let Some(user) = self.user {
            o.user = user;
        }
        if let Some(limit) = self.pids_limit {
            let limit = whole(limit, "pidsLimit")?;
            o.pids_limit = i64::try_from(limit).map_err(|_| invalid("pidsLimit is too large"))?;
        }
        if let Some(ro) = self.read_only_root_filesystem {
            o.read_only_root_filesystem = ro;
        }
        // Refused when the provider is made, not at its first call.
        o.check().into_js()?;
        Ok(o)
    }
}

#[napi(object)]
pub struct JsSandboxConfig {
    pub id: Option<String>,
    pub codespace_id: String,
    pub codespace_path: Option<String>,
    pub image: String,
    pub memory_mb: f64,
    pub cpu_cores: f64,
    pub idle_timeout_minutes: f64,
    pub volume_mounts: Option<Vec<Value>>,
    pub env: Option<HashMap<String, String>>,
    pub network_mode: Option<String>,
}

/// A whole, non-negative number from JS, or a coded refusal naming `what`.
fn whole(value: f64, what: &str) -> napi::Result<u64> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= u32::MAX as f64 {
        Ok(value as u64)
    } else {
        Err(invalid(format!(
            "{what} must be a whole number >= 0, got {value}"
        )))
    }
}

impl JsSandboxConfig {
    fn into_core(self) -> napi::Result<SandboxConfig> {
        let network_mode = match self.network_mode.as_deref() {
            None => None,
            Some("bridge") => Some(NetworkMode::Bridge),
            Some("none") => Some(NetworkMode::None),
            Some(other) => {
                return Err(invalid(format!(
                    "networkMode must be 'bridge' or 'none', got {other:?}"
                )));
            }
        };
        if !(self.cpu_cores.is_finite() && self.cpu_cores > 0.0) {
            return Err(invalid(format!(
                "cpuCores must be a number > 0, got {}",
                self.cpu_cores
            )));
        }
        Ok(SandboxConfig {
            id: self.id,
            codespace_id: self.codespace_id,
            codespace_path: self.codespace_path,
            image: self.image,
            memory_mb: whole(self.memory_mb, "memoryMb")?,
            cpu_cores: self.cpu_cores,
            idle_timeout_minutes: whole(self.idle_timeout_minutes, "idleTimeoutMinutes")?,
            volume_mounts: self.volume_mounts.unwrap_or_default(),
            env: self
                .env
                .unwrap_or_default()
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
            network_mode,
        })
    }
}

impl JsProviderOptions {
    fn into_core(self) -> napi::Result<KubernetesProviderOptions> {
        let mut o = KubernetesProviderOptions::default();
        if let Some(ns) = self.namespace {
            o.namespace = ns;
        }
        if let Some(on) = self.enable_warm_pool {
            o.enable_warm_pool = on;
        }
        if let Some(size) = self.warm_pool_size {
            o.warm_pool_size = i32::try_from(whole(size, "warmPoolSize")?)
                .map_err(|_| invalid("warmPoolSize is too large"))?;
        }
        o.runtime_class_name = self.runtime_class_name.filter(|r| r != "none");
        if let Some(image) = self.image {
            o.image = image;
        }
        if let Some(s) = self.ready_timeout_seconds {
            if !(s.is_finite() && s >= 0.0) {
                return Err(invalid(format!(
                    "readyTimeoutSeconds must be a number of seconds >= 0, got {s}"
                )));
            }
            o.ready_timeout = Duration::from_secs_f64(s);
        }
        o.fall_back_to_default_codespace = match self.codespace_fallback.as_deref() {
            None | Some("default") => true,
            Some("none") => false,
            Some(other) => {
                return Err(invalid(format!(
                    "codespaceFallback must be 'default' or 'none', got {other:?}"
                )));
            }
        };
        Ok(o)
    }
}

/// Where the provider runs its sandboxes.
enum Backend {
    Kubernetes(Arc<Connection>),
    Docker(DockerProviderOptions),
}

/// What the provider's async calls share (no JS values: it crosses threads).
struct ProviderState {
    backend: Backend,
    /// The options every backend shares (the getters read them).
    options: KubernetesProviderOptions,
    provider: OnceCell<Box<dyn SandboxProvider>>,
    events: Arc<EventSink>,
}

impl ProviderState {
    /// The core provider, made once the client (or the daemon) answers.
    async fn provider(&self) -> agent_sandbox::Result<&dyn SandboxProvider> {
        let provider = self
            .provider
            .get_or_try_init(|| async {
                let provider: Box<dyn SandboxProvider> = match &self.backend {
                    Backend::Kubernetes(connection) => {
                        let client = connection.client().await?;
                        Box::new(KubernetesProvider::new(client, self.options.clone()))
                    }
                    Backend::Docker(options) => {
                        Box::new(DockerProvider::connect(options.clone()).await?)
                    }
                };
                let events = self.events.clone();
                provider.events().subscribe(move |e| events.emit(e));
                Ok::<_, agent_sandbox::Error>(provider)
            })
            .await?;
        Ok(provider.as_ref())
    }

    fn name(&self) -> &'static str {
        match self.backend {
            Backend::Kubernetes(_) => "kubernetes",
            Backend::Docker(_) => "docker",
        }
    }
}

/// JS instance objects by sandbox: weak, so an instance nobody holds can go;
/// while one is held, its sandbox is alive and its address not reused.
type Instances = Rc<RefCell<HashMap<usize, WeakReference<AgentSandboxInstance>>>>;

fn key(sandbox: &SandboxHandle) -> usize {
    Arc::as_ptr(sandbox) as *const () as usize
}

/// The one JS object for `sandbox` (made on first sight).
fn instance_for(
    env: &Env,
    instances: &Instances,
    sandbox: SandboxHandle,
    state: &ProviderState,
) -> napi::Result<Reference<AgentSandboxInstance>> {
    let k = key(&sandbox);
    let existing = instances.borrow().get(&k).map(|w| w.upgrade(*env));
    if let Some(found) = existing
        && let Some(reference) = found?
    {
        return Ok(reference);
    }
    let instance =
        AgentSandboxInstance::of(sandbox, &state.options.namespace, state.events.clone());
    let reference = instance.into_reference(*env)?;
    let mut map = instances.borrow_mut();
    map.retain(|_, w| w.upgrade(*env).ok().flatten().is_some());
    map.insert(k, reference.downgrade());
    Ok(reference)
}

#[napi]
pub struct AgentSandboxProvider {
    state: Arc<ProviderState>,
    instances: Instances,
}

impl AgentSandboxProvider {
    /// Runs `work` against the core provider; its events are delivered
    /// before the promise settles.
    fn run<'env, T, F, Fut>(&self, env: &'env Env, work: F) -> napi::Result<PromiseRaw<'env, T>>
    where
        T: napi::bindgen_prelude::ToNapiValue + Send + 'static,
        F: FnOnce(Arc<ProviderState>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = napi::Result<T>> + Send + 'static,
    {
        let state = self.state.clone();
        env.spawn_future(async move {
            let events = state.events.clone();
            let result = work(state).await;
            events.flush().await;
            result
        })
    }

    /// Like [`Self::run`] for calls that answer with a sandbox: the answer
    /// becomes that sandbox's one JS instance.
    fn run_for_instance<'env, F, Fut>(
        &self,
        env: &'env Env,
        work: F,
    ) -> napi::Result<PromiseRaw<'env, Option<Reference<AgentSandboxInstance>>>>
    where
        F: FnOnce(Arc<ProviderState>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = napi::Result<Option<SandboxHandle>>> + Send + 'static,
    {
        let state = self.state.clone();
        let instances = self.instances.clone();
        let for_callback = self.state.clone();
        env.spawn_future_with_callback(
            async move {
                let events = state.events.clone();
                let result = work(state).await;
                events.flush().await;
                result
            },
            move |env, sandbox| match sandbox {
                Some(s) => instance_for(env, &instances, s, &for_callback).map(Some),
                None => Ok(None),
            },
        )
    }
}

#[napi]
impl AgentSandboxProvider {
    /// `client` is the native handle of an `AgentSandboxClient` (the JS layer
    /// passes it); `deliver(event | null)` hands events to the listeners;
    /// `networkModeSetting` is SANDBOX_DEFAULT_NETWORK_MODE as JS sees it.
    /// With `docker`, the sandboxes are containers on a Docker daemon and
    /// `client` is not used.
    #[napi(catch_unwind, constructor)]
    pub fn new(
        options: Option<JsProviderOptions>,
        client: Option<&NativeClient>,
        deliver: Function<'_, Value, ()>,
        network_mode_setting: Option<String>,
        docker: Option<JsDockerOptions>,
    ) -> napi::Result<Self> {
        let mut options = match options {
            Some(o) => o.into_core()?,
            None => KubernetesProviderOptions::default(),
        };
        options.default_network_mode = NetworkMode::from_setting(network_mode_setting.as_deref());
        let backend = match docker {
            Some(docker) => Backend::Docker(docker.into_core(&options)?),
            None => {
                let client = client.ok_or_else(|| {
                    invalid(
                        "options.client must be an AgentSandboxClient of @agentpane/agent-sandbox-sdk \
                         (or leave it out to build one from kubeConfigPath/kubeContext); test doubles \
                         are refused: run provider tests against a cluster, or mock the whole package",
                    )
                })?;
                Backend::Kubernetes(client.connection())
            }
        };
        let state = ProviderState {
            backend,
            options,
            provider: OnceCell::new(),
            events: Arc::new(EventSink::new(deliver)?),
        };
        Ok(AgentSandboxProvider {
            state: Arc::new(state),
            instances: Rc::new(RefCell::new(HashMap::new())),
        })
    }

    #[napi(getter, ts_return_type = "'kubernetes' | 'docker'")]
    pub fn name(&self) -> &'static str {
        self.state.name()
    }

    #[napi(getter)]
    pub fn namespace(&self) -> String {
        self.state.options.namespace.clone()
    }

    #[napi(getter)]
    pub fn enable_warm_pool(&self) -> bool {
        self.state.options.enable_warm_pool
    }

    #[napi(getter)]
    pub fn warm_pool_size(&self) -> i32 {
        self.state.options.warm_pool_size
    }

    #[napi(getter, ts_return_type = "'gvisor' | 'kata' | 'none' | string")]
    pub fn runtime_class_name(&self) -> String {
        self.state
            .options
            .runtime_class_name
            .clone()
            .unwrap_or_else(|| "none".into())
    }

    #[napi(getter)]
    pub fn image(&self) -> String {
        self.state.options.image.clone()
    }

    #[napi(getter)]
    pub fn ready_timeout_seconds(&self) -> f64 {
        self.state.options.ready_timeout.as_secs_f64()
    }

    /// Whether every sandbox gets a deny-all NetworkPolicy
    /// (`SANDBOX_DEFAULT_NETWORK_MODE=none` when the provider was made).
    #[napi(getter)]
    pub fn enforce_network_isolation(&self) -> bool {
        self.state.options.default_network_mode == NetworkMode::None
    }

    #[napi(ts_return_type = "Promise<AgentSandboxInstance>")]
    pub fn create<'env>(
        &self,
        env: &'env Env,
        config: JsSandboxConfig,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Option<Reference<AgentSandboxInstance>>>> {
        // Refusals reject the promise (as every other failure does).
        let config = config.into_core();
        // Not dropped midway: the core stops at a safe point and removes what
        // it made before failing with CANCELLED.
        let token = token_of(cancel);
        self.run_for_instance(env, move |state| async move {
            let config = config?;
            let provider = state.provider().await.into_js()?;
            provider
                .create_cancellable(config, token)
                .await
                .map(Some)
                .into_js()
        })
    }

    /// The codespace's sandbox (never another codespace's), else the
    /// 'default' codespace's, else null.
    #[napi(ts_return_type = "Promise<AgentSandboxInstance | null>")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        codespace_id: String,
    ) -> napi::Result<PromiseRaw<'env, Option<Reference<AgentSandboxInstance>>>> {
        self.run_for_instance(env, move |state| async move {
            let provider = match state.provider().await {
                Ok(p) => p,
                Err(_) => return Ok(None),
            };
            provider.get(&codespace_id).await.into_js()
        })
    }

    #[napi(ts_return_type = "Promise<AgentSandboxInstance | null>")]
    pub fn get_by_id<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
    ) -> napi::Result<PromiseRaw<'env, Option<Reference<AgentSandboxInstance>>>> {
        self.run_for_instance(env, move |state| async move {
            let provider = match state.provider().await {
                Ok(p) => p,
                Err(_) => return Ok(None),
            };
            provider.get_by_id(&sandbox_id).await.into_js()
        })
    }

    /// Every labelled Sandbox with its real status; [] on error.
    #[napi]
    pub fn list<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Value>> {
        self.run(env, |state| async move {
            let list = match state.provider().await {
                Ok(p) => p.list().await.unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            serde_json::to_value(list).map_err(decode)
        })
    }

    /// Adopts live labelled Sandboxes and removes stopped/failed ones; never throws.
    #[napi(ts_return_type = "Promise<{ recovered: number; removed: number }>")]
    pub fn recover<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Value>> {
        self.run(env, |state| async move {
            let result = match state.provider().await {
                Ok(p) => p.recover().await.unwrap_or_default(),
                Err(_) => Default::default(),
            };
            serde_json::to_value(result).map_err(decode)
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn validate_sandboxes<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        self.run(env, |state| async move {
            state
                .provider()
                .await
                .into_js()?
                .validate_sandboxes()
                .await
                .into_js()
        })
    }

    /// Stops and forgets cached sandboxes whose status is listed (default
    /// `['stopped']`) and, with `olderThan`, whose last activity is older.
    #[napi(
        ts_args_type = "options?: { olderThan?: Date; status?: string[] }",
        ts_return_type = "Promise<number>"
    )]
    pub fn cleanup<'env>(
        &self,
        env: &'env Env,
        options: Option<Object<'env>>,
    ) -> napi::Result<PromiseRaw<'env, u32>> {
        let options = cleanup_options(options);
        self.run(env, move |state| async move {
            let options = options?;
            state
                .provider()
                .await
                .into_js()?
                .cleanup(&options)
                .await
                .into_js()
        })
    }

    #[napi]
    pub fn health_check<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let token = token_of(cancel);
        self.run(env, |state| or_cancelled("healthCheck", token, async move {
            let health = match state.provider().await {
                Ok(p) => p.health_check().await,
                Err(e) => match state.backend {
                    Backend::Kubernetes(_) => agent_sandbox::provider::ProviderHealth {
                        healthy: false,
                        message: Some(format!("Kubernetes health check failed: {e}")),
                        details: json!({ "provider": "kubernetes", "namespace": state.options.namespace }),
                    },
                    Backend::Docker(_) => agent_sandbox::provider::ProviderHealth {
                        healthy: false,
                        message: Some(format!("Docker daemon not reachable: {e}")),
                        details: json!({ "provider": "docker" }),
                    },
                },
            };
            serde_json::to_value(health).map_err(decode)
        }))
    }

    /// A no-op on Kubernetes (the kubelet pulls); an empty name is K8S_IMAGE_NOT_FOUND.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn pull_image<'env>(
        &self,
        env: &'env Env,
        image: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        self.run(env, move |state| async move {
            let image = image.unwrap_or_default();
            state
                .provider()
                .await
                .into_js()?
                .pull_image(&image)
                .await
                .into_js()
        })
    }

    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn is_image_available<'env>(
        &self,
        env: &'env Env,
        image: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        self.run(env, move |state| async move {
            let Some(image) = image else { return Ok(false) };
            state
                .provider()
                .await
                .into_js()?
                .is_image_available(&image)
                .await
                .into_js()
        })
    }

    /// With isolation enforced, the cluster must serve networking.k8s.io.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn assert_network_isolation_support<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        self.run(env, |state| async move {
            state
                .provider()
                .await
                .into_js()?
                .assert_network_isolation_support()
                .await
                .into_js()
        })
    }

    /// Creates the warm pool, or replaces it (recreates it when that fails).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn init_warm_pool<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        self.run(env, |state| async move {
            state
                .provider()
                .await
                .into_js()?
                .init_warm_pool()
                .await
                .into_js()
        })
    }
}

/// `{ olderThan?: Date | number, status?: string[] }` read from JS.
fn cleanup_options(options: Option<Object<'_>>) -> napi::Result<CleanupOptions> {
    let mut o = CleanupOptions::default();
    let Some(options) = options else {
        return Ok(o);
    };
    if let Some(statuses) = options.get::<Vec<String>>("status")? {
        o.statuses = statuses
            .iter()
            .map(|s| {
                SandboxStatus::parse(s)
                    .ok_or_else(|| invalid(format!("cleanup(): unknown status {s:?}")))
            })
            .collect::<napi::Result<_>>()?;
    }
    if let Some(at) = options.get::<Unknown>("olderThan")? {
        let ms = match at.get_type()? {
            ValueType::Undefined | ValueType::Null => None,
            ValueType::Number => Some(at.coerce_to_number()?.get_double()?),
            ValueType::Object if at.is_date()? => {
                // SAFETY: checked to be a Date just above.
                let date: napi::JsDate = unsafe { at.cast()? };
                Some(date.value_of()?)
            }
            _ => return Err(invalid("cleanup(): olderThan must be a Date")),
        };
        if let Some(ms) = ms {
            if !ms.is_finite() {
                return Err(invalid("cleanup(): olderThan is an invalid Date"));
            }
            let t = if ms >= 0.0 {
                SystemTime::UNIX_EPOCH + Duration::from_millis(ms as u64)
            } else {
                SystemTime::UNIX_EPOCH
            };
            o.older_than = Some(t);
        }
    }
    Ok(o)
}

/// AgentPane's defaults for a sandbox (`SANDBOX_DEFAULTS`).
#[napi(
    catch_unwind,
    ts_return_type = "{ image: string; memoryMb: 4096; cpuCores: 2; idleTimeoutMinutes: 30; userHome: '/home/node' }"
)]
pub fn sandbox_defaults() -> Value {
    json!({
        "image": defaults::IMAGE,
        "memoryMb": defaults::MEMORY_MB,
        "cpuCores": defaults::CPU_CORES,
        "idleTimeoutMinutes": defaults::IDLE_TIMEOUT_MINUTES,
        "userHome": defaults::USER_HOME,
    })
}

/// 'none' only when `setting` (the value of SANDBOX_DEFAULT_NETWORK_MODE) is 'none'.
#[napi(catch_unwind, ts_return_type = "'bridge' | 'none'")]
pub fn default_sandbox_network_mode(setting: Option<String>) -> &'static str {
    match NetworkMode::from_setting(setting.as_deref()) {
        NetworkMode::None => "none",
        NetworkMode::Bridge => "bridge",
    }
}

/// AgentPane's status of a Sandbox object (JSON text): the core's rule, the
/// one the provider and `waitForReady` use.
#[napi(
    catch_unwind,
    ts_return_type = "'creating' | 'running' | 'idle' | 'stopped' | 'error'"
)]
pub fn sandbox_status(sandbox: String) -> napi::Result<String> {
    let sandbox: Value = serde_json::from_str(&sandbox).map_err(decode)?;
    Ok(agent_sandbox::provider::status::status_of(&sandbox)
        .as_str()
        .to_string())
}

/// The backend `createSandboxProvider({ kind })` uses: `kind` when it names
/// one, else (`auto`) the core's choice: the kubeconfig's cluster when it
/// answers with the Agent Sandbox CRDs and the namespace, else a Docker daemon that
/// answers, else NO_SANDBOX_BACKEND saying what was tried (`kubeconfigProblem`:
/// why the JS layer could make no client).
#[napi(ts_return_type = "Promise<'kubernetes' | 'docker'>")]
pub fn choose_sandbox_backend<'env>(
    env: &'env Env,
    kind: Option<String>,
    client: Option<&NativeClient>,
    namespace: Option<String>,
    docker_host: Option<String>,
    kubeconfig_problem: Option<String>,
) -> napi::Result<PromiseRaw<'env, &'static str>> {
    use agent_sandbox::provider::select;
    let connection = client.map(NativeClient::connection);
    env.spawn_future(async move {
        if let Some(backend) = select::parse_kind(kind.as_deref()).into_js()? {
            return Ok(backend.as_str());
        }
        let kube = match &connection {
            Some(c) => c.client().await,
            None => Err(agent_sandbox::Error::kubeconfig(
                None,
                kubeconfig_problem.unwrap_or_else(|| {
                    "no kubeconfig could be loaded (set KUBECONFIG or kubeConfigPath)".into()
                }),
            )),
        };
        let namespace = namespace.unwrap_or_else(|| KubernetesProviderOptions::default().namespace);
        select::choose(kube, &namespace, docker_host.as_deref())
            .await
            .map(|b| b.as_str())
            .into_js()
    })
}
