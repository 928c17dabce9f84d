//! The Kubernetes provider: sandboxes are Agent Sandbox `Sandbox` objects,
//! cold (a Sandbox of our own, restricted Pod Security, optional deny-all
//! NetworkPolicy) or claimed from a warm pool.

mod manifest;
mod sandbox;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::cancel::{CancellationToken, check_cancelled, until_cancelled};
use crate::client::{Client, Propagation};
use crate::error::{Error, ErrorCode, Result};
use crate::lifecycle::{ClaimRequest, claim_sandbox, wait_for_ready};
use crate::provider::cache::SandboxCache;
use crate::provider::{
    CleanupOptions, Events, NetworkMode, ProviderEvent, ProviderHealth, RecoverResult, Sandbox,
    SandboxConfig, SandboxHandle, SandboxInfo, SandboxProvider, crud_failed, defaults, errors,
    iso_time, message_of, naming, status::status_of,
};
use crate::resources::{Kind, ResourceRef, Version};

pub use manifest::{LABEL_PROJECT_ID, LABEL_SANDBOX_ID, WARM_POOL_NAME, WARM_POOL_TEMPLATE};
pub(crate) use manifest::{check_config, check_label_value};
pub use sandbox::{KubernetesSandbox, SandboxRef};
use sandbox::{claims, sandboxes, selector};

/// The codespace whose sandbox `get()` falls back to.
pub const DEFAULT_CODESPACE: &str = "default";

/// How the provider runs (AgentPane's `AgentSandboxProviderOptions`).
#[derive(Clone, Debug)]
pub struct KubernetesProviderOptions {
    pub namespace: String,
    /// Claim from the warm pool in `create()` (cold fallback).
    pub enable_warm_pool: bool,
    /// Replicas `init_warm_pool()` asks for.
    pub warm_pool_size: i32,
    /// `runtimeClassName` of cold pods; `None` for the cluster default.
    pub runtime_class_name: Option<String>,
    /// Image `list()` reports for a Sandbox without one.
    pub image: String,
    pub ready_timeout: Duration,
    /// `None` enforces a deny-all NetworkPolicy on every sandbox.
    pub default_network_mode: NetworkMode,
    /// `get()` of a codespace without a sandbox returns the
    /// [`DEFAULT_CODESPACE`]'s (AgentPane's shared default sandbox, contract
    /// §17). Turn it off where codespaces belong to different tenants: one
    /// would be handed another's sandbox.
    pub fall_back_to_default_codespace: bool,
}

impl Default for KubernetesProviderOptions {
    fn default() -> Self {
        KubernetesProviderOptions {
            namespace: "agentpane-sandboxes".into(),
            enable_warm_pool: false,
            warm_pool_size: 2,
            runtime_class_name: None,
            image: defaults::IMAGE.into(),
            ready_timeout: Duration::from_secs(120),
            default_network_mode: NetworkMode::default_from_env(),
            fall_back_to_default_codespace: true,
        }
    }
}

/// What the provider and its sandboxes share.
pub(crate) struct Shared {
    client: Client,
    options: KubernetesProviderOptions,
    pub(crate) events: Events,
    cache: SandboxCache<KubernetesSandbox>,
    /// The pool template's image, once read.
    template_image: tokio::sync::Mutex<Option<String>>,
}

impl Shared {
    pub(crate) fn forget(&self, sandbox_id: &str, codespace_id: &str) {
        self.cache.forget(sandbox_id, codespace_id);
    }

    /// Deletes the sandbox's NetworkPolicies, found by their id label: a
    /// claimed sandbox's policy is named after the name `create()` made, and
    /// `recover()` knows only the id. Failures are logged.
    pub(crate) async fn delete_network_policies(&self, sandbox_id: &str) {
        let policies = manifest::network_policies();
        let ns = &self.options.namespace;
        let found = self
            .client
            .list(&policies, ns, &selector(&[(LABEL_SANDBOX_ID, sandbox_id)]))
            .await;
        let result = async {
            for name in item_names(&found?) {
                match self
                    .client
                    .delete(&policies, ns, &name, Propagation::ServerDefault)
                    .await
                {
                    Err(e) if !e.is_not_found() => return Err(e),
                    _ => {}
                }
            }
            Ok(())
        };
        if let Err(e) = result.await {
            tracing::warn!(sandbox_id, error = %e, "deleting the NetworkPolicy of a sandbox failed");
        }
    }
}

/// AgentPane's Kubernetes sandbox provider.
/// What `claim_from_warm_pool` adopted: the Sandbox's name, its claim's, and
/// the controller's name-hash label on its pod.
/// A Sandbox claimed from the warm pool and labelled as ours.
struct ClaimedSandbox {
    sandbox_name: String,
    claim_name: String,
    /// The pod's name-hash label, when it has one.
    name_hash: Option<String>,
    /// The Sandbox as the label patch left it.
    sandbox: Value,
}

#[derive(Clone)]
pub struct KubernetesProvider {
    shared: Arc<Shared>,
}

impl KubernetesProvider {
    pub fn new(client: Client, options: KubernetesProviderOptions) -> Self {
        KubernetesProvider {
            shared: Arc::new(Shared {
                client,
                options,
                events: Events::default(),
                cache: SandboxCache::default(),
                template_image: tokio::sync::Mutex::new(None),
            }),
        }
    }

    pub fn options(&self) -> &KubernetesProviderOptions {
        &self.shared.options
    }

    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// A handle on an existing Sandbox of this namespace, wired to this
    /// provider's events and caches (not cached until a lookup adopts it).
    pub fn sandbox(&self, r: SandboxRef) -> Arc<KubernetesSandbox> {
        Arc::new(KubernetesSandbox::owned(
            self.shared.client.clone(),
            r,
            Arc::downgrade(&self.shared),
        ))
    }

    fn remember(&self, sandbox: &Arc<KubernetesSandbox>) {
        self.shared.cache.remember(sandbox);
    }

    fn cached(&self, sandbox_id: &str) -> Option<Arc<KubernetesSandbox>> {
        self.shared.cache.get(sandbox_id)
    }

    /// A refreshed handle for a Sandbox object read from the cluster.
    async fn adopt(&self, sandbox: &Value) -> Arc<KubernetesSandbox> {
        let label = |k: &str| {
            sandbox
                .pointer("/metadata/labels")
                .and_then(|l| l.get(k))
                .and_then(Value::as_str)
        };
        let handle = self.sandbox(SandboxRef {
            id: label(LABEL_SANDBOX_ID)
                .map(str::to_string)
                .unwrap_or_else(naming::create_id),
            sandbox_name: str_at(sandbox, "/metadata/name").to_string(),
            codespace_id: label(LABEL_PROJECT_ID).unwrap_or_default().to_string(),
            namespace: self.shared.options.namespace.clone(),
            claim_name: owning_claim(sandbox),
            idle_timeout_minutes: None,
        });
        handle.refresh_status().await;
        handle
    }

    async fn list_sandboxes(&self, labels: &[(&str, &str)]) -> Result<Vec<Value>> {
        let list = self
            .shared
            .client
            .list(
                &sandboxes(),
                &self.shared.options.namespace,
                &selector(labels),
            )
            .await?;
        Ok(items(list))
    }

    fn emit(&self, event: ProviderEvent) {
        self.shared.events.emit(event);
    }

    async fn create_checked(
        &self,
        config: &SandboxConfig,
        cancel: &CancellationToken,
    ) -> Result<SandboxHandle> {
        let codespace = config.codespace_id.as_str();
        // A listing error propagates as the client reports it, before any event.
        let existing = self
            .list_sandboxes(&[(LABEL_PROJECT_ID, codespace)])
            .await
            .map_err(|e| crud_failed("list", e))?;
        for item in existing {
            if !status_of(&item).is_gone() {
                let adopted = self.adopt(&item).await;
                self.remember(&adopted);
                return Err(errors::sandbox_already_exists(codespace));
            }
        }
        check_cancelled("create", cancel)?;
        self.create_sandbox(config, cancel).await
    }

    /// Requests are never cut off midway (an object could be made without
    /// our knowing); `cancel` is checked between steps and ends the waits.
    async fn create_sandbox(
        &self,
        config: &SandboxConfig,
        cancel: &CancellationToken,
    ) -> Result<SandboxHandle> {
        let options = &self.shared.options;
        let codespace = config.codespace_id.clone();
        let sandbox_id = config.id.clone().unwrap_or_else(naming::create_id);
        let name = naming::sandbox_name_for(&codespace, &sandbox_id);
        let ignored: Vec<&str> = [
            ("env", !config.env.is_empty()),
            ("volumeMounts", !config.volume_mounts.is_empty()),
            (
                "codespacePath",
                config
                    .codespace_path
                    .as_deref()
                    .is_some_and(|p| !p.is_empty()),
            ),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect();
        if !ignored.is_empty() {
            tracing::warn!(
                codespace,
                ignored = ignored.join(", "),
                "create(): the Kubernetes provider ignores these fields"
            );
        }
        let isolate = options.default_network_mode == NetworkMode::None
            || config.network_mode == Some(NetworkMode::None);
        let labels = manifest::Labels {
            sandbox_id: &sandbox_id,
            project_id: &codespace,
        };
        self.emit(ProviderEvent::Creating {
            sandbox_id: sandbox_id.clone(),
            codespace_id: codespace.clone(),
        });
        let mut policy_created = false;
        let mut sandbox_created = false;
        let attempt = async {
            if isolate {
                policy_created = self.create_network_policy(&name, &sandbox_id).await?;
                check_cancelled("create", cancel)?;
            }
            let (sandbox_name, claim_name, sandbox) = match self
                .claim_from_warm_pool(config, &name, &labels, cancel)
                .await?
            {
                Some(claimed) => {
                    // Our labels are on the claimed pod only: a pod the
                    // controller makes again lacks them. Its name-hash
                    // label stays, so the isolation selects that too.
                    if isolate && let Some(hash) = &claimed.name_hash {
                        self.create_name_hash_policy(&name, &sandbox_id, hash)
                            .await?;
                    }
                    (
                        claimed.sandbox_name,
                        Some(claimed.claim_name),
                        claimed.sandbox,
                    )
                }
                None => {
                    let body = manifest::cold_sandbox(&name, config, options, &labels);
                    self.shared
                        .client
                        .create(&sandboxes(), &options.namespace, body)
                        .await?;
                    sandbox_created = true;
                    let r = sandboxes();
                    let ready = wait_for_ready(
                        &self.shared.client,
                        &r,
                        &options.namespace,
                        &name,
                        options.ready_timeout,
                    );
                    let ready = until_cancelled("create", cancel, ready).await?;
                    (name.clone(), None, ready)
                }
            };
            let handle = self.sandbox(SandboxRef {
                id: sandbox_id.clone(),
                sandbox_name,
                codespace_id: codespace.clone(),
                namespace: options.namespace.clone(),
                claim_name,
                idle_timeout_minutes: Some(config.idle_timeout_minutes),
            });
            // Its status from the object in hand, not one more read.
            handle.status_from(&sandbox);
            Ok::<_, Error>(handle)
        };
        match attempt.await {
            Ok(handle) => {
                self.remember(&handle);
                self.emit(ProviderEvent::Created {
                    sandbox_id: sandbox_id.clone(),
                    codespace_id: codespace,
                    container_id: handle.sandbox_name().to_string(),
                });
                self.emit(ProviderEvent::Started { sandbox_id });
                Ok(handle)
            }
            Err(err) => {
                if sandbox_created
                    && let Err(e) = self
                        .shared
                        .client
                        .delete(
                            &sandboxes(),
                            &options.namespace,
                            &name,
                            Propagation::Background,
                        )
                        .await
                    && !e.is_not_found()
                {
                    tracing::warn!(sandbox = %name, error = %e, "rollback: deleting the Sandbox failed");
                }
                if policy_created {
                    self.shared.delete_network_policies(&sandbox_id).await;
                }
                let err = Arc::new(err);
                self.emit(ProviderEvent::Error {
                    sandbox_id,
                    error: err.clone(),
                });
                if err.code() == ErrorCode::Cancelled {
                    return Err(clone_error(&err));
                }
                let source = Arc::try_unwrap(err).unwrap_or_else(|shared| clone_error(&shared));
                let message = message_of(&source);
                Err(errors::sandbox_creation_failed(
                    &name,
                    &message,
                    Some(source),
                ))
            }
        }
    }

    /// Deny-all policy for the sandbox's pod; `true` when this call made it.
    async fn create_network_policy(&self, name: &str, sandbox_id: &str) -> Result<bool> {
        let ns = &self.shared.options.namespace;
        let body = manifest::deny_all_policy(name, ns, sandbox_id);
        match self
            .shared
            .client
            .create(&manifest::network_policies(), ns, body)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(409) => Ok(false),
            Err(e) => {
                let policy = naming::network_policy_name_for(name);
                let message = message_of(&e);
                Err(errors::network_policy_creation_failed(
                    &policy,
                    &message,
                    Some(e),
                ))
            }
        }
    }

    /// The deny-all policy of a claimed sandbox's pods by the controller's
    /// name-hash label (an existing one of that name is kept).
    async fn create_name_hash_policy(
        &self,
        name: &str,
        sandbox_id: &str,
        hash: &str,
    ) -> Result<()> {
        let ns = &self.shared.options.namespace;
        let body = manifest::deny_all_policy_by_name_hash(name, ns, sandbox_id, hash);
        match self
            .shared
            .client
            .create(&manifest::network_policies(), ns, body)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(409) => Ok(()),
            Err(e) => {
                let policy = format!("{}-pods", naming::network_policy_name_for(name));
                let message = message_of(&e);
                Err(errors::network_policy_creation_failed(
                    &policy,
                    &message,
                    Some(e),
                ))
            }
        }
    }

    /// With the warm pool on and the pool template's image, claims a Sandbox
    /// (returned as its name, its claim's and its pod's name-hash label)
    /// and labels it (Sandbox and its pod template, and the running pod) as
    /// ours. `None` when the pool does not apply or the claim fails (the
    /// claim is removed again; the caller creates a cold Sandbox).
    async fn claim_from_warm_pool(
        &self,
        config: &SandboxConfig,
        name: &str,
        labels: &manifest::Labels<'_>,
        cancel: &CancellationToken,
    ) -> Result<Option<ClaimedSandbox>> {
        let options = &self.shared.options;
        if !options.enable_warm_pool
            || self.pool_template_image().await.as_deref() != Some(config.image.as_str())
        {
            return Ok(None);
        }
        let claim_name = naming::claim_name_for(name);
        let request = ClaimRequest {
            name: claim_name.clone(),
            warm_pool: Some(WARM_POOL_NAME.into()),
            template: Some(WARM_POOL_TEMPLATE.into()),
            labels: labels.map(),
            ..ClaimRequest::default()
        };
        let attempt = async {
            let claiming = claim_sandbox(
                &self.shared.client,
                &options.namespace,
                &request,
                options.ready_timeout,
            );
            let bound = until_cancelled("create", cancel, claiming).await?;
            let sandbox_name = str_at(&bound.sandbox, "/metadata/name").to_string();
            let shutdown =
                iso_time(SystemTime::now() + Duration::from_secs(config.idle_timeout_minutes * 60));
            // Not on the pod template: the claim controller rewrites a claimed
            // Sandbox's template labels, and the Sandbox controller then
            // removes from the pod every label it had copied from there
            // (seen on v0.4.6 and v0.5.6), ours included.
            let patch = json!({
                "metadata": { "labels": labels.map() },
                "spec": { "shutdownTime": shutdown },
            });
            let pod_patch = json!({ "metadata": { "labels": labels.map() } });
            let client = &self.shared.client;
            let (sandboxes, pods) = (sandboxes(), ResourceRef::new("", "v1", "pods"));
            // Independent objects: both patches at once.
            let (sandbox, pod) = futures::try_join!(
                client.merge_patch(&sandboxes, &options.namespace, &sandbox_name, patch),
                client.merge_patch(&pods, &options.namespace, &bound.pod_name, pod_patch),
            )?;
            let name_hash = pod
                .pointer("/metadata/labels")
                .and_then(|l| l.get(manifest::LABEL_SANDBOX_NAME_HASH))
                .and_then(Value::as_str)
                .filter(|h| !h.is_empty())
                .map(str::to_string);
            Ok::<_, Error>((sandbox_name, name_hash, sandbox))
        };
        match attempt.await {
            Ok((sandbox_name, name_hash, sandbox)) => Ok(Some(ClaimedSandbox {
                sandbox_name,
                claim_name,
                name_hash,
                sandbox,
            })),
            Err(e) => {
                let cancelled = e.code() == ErrorCode::Cancelled;
                if !cancelled {
                    tracing::warn!(codespace = %config.codespace_id, error = %e, "no sandbox from the warm pool; creating one");
                }
                // A claim of this name that we did not make is not ours to delete.
                if e.code() != ErrorCode::AlreadyExists
                    && let Err(e) = self
                        .shared
                        .client
                        .delete(
                            &claims(),
                            &options.namespace,
                            &claim_name,
                            Propagation::Background,
                        )
                        .await
                    && !e.is_not_found()
                {
                    tracing::warn!(claim = %claim_name, error = %e, "deleting the failed claim failed");
                }
                if cancelled { Err(e) } else { Ok(None) }
            }
        }
    }

    /// The image of the pool template's sandbox container (read once;
    /// read again after a failure).
    async fn pool_template_image(&self) -> Option<String> {
        let mut cached = self.shared.template_image.lock().await;
        if cached.is_none() {
            let templates = ResourceRef::of(Kind::SandboxTemplate, Version::V1alpha1);
            match self
                .shared
                .client
                .get(
                    &templates,
                    &self.shared.options.namespace,
                    WARM_POOL_TEMPLATE,
                )
                .await
            {
                Ok(t) => {
                    *cached = manifest::sandbox_container(&t, "/spec/podTemplate/spec/containers")
                        .map(str::to_string)
                }
                Err(e) => {
                    tracing::warn!(template = WARM_POOL_TEMPLATE, error = %e, "warm pool: cannot read the template")
                }
            }
        }
        cached.clone()
    }

    fn info(&self, sandbox: &Value, now: &str) -> SandboxInfo {
        let label = |k: &str| {
            sandbox
                .pointer("/metadata/labels")
                .and_then(|l| l.get(k))
                .and_then(Value::as_str)
        };
        let container =
            manifest::sandbox_container_object(sandbox, "/spec/podTemplate/spec/containers");
        let limit = |k: &str| {
            container
                .and_then(|c| c.pointer(&format!("/resources/limits/{k}")))
                .and_then(Value::as_str)
        };
        let id = label(LABEL_SANDBOX_ID).unwrap_or_default().to_string();
        let last_activity = self
            .cached(&id)
            .map(|s| iso_time(s.last_activity()))
            .unwrap_or_else(|| now.to_string());
        SandboxInfo {
            codespace_id: label(LABEL_PROJECT_ID).unwrap_or_default().to_string(),
            container_id: str_at(sandbox, "/metadata/name").to_string(),
            status: status_of(sandbox),
            image: container
                .and_then(|c| c.get("image"))
                .and_then(Value::as_str)
                .unwrap_or(&self.shared.options.image)
                .to_string(),
            created_at: sandbox
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .unwrap_or(now)
                .to_string(),
            last_activity_at: last_activity,
            memory_mb: limit("memory").map(manifest::memory_mb_of).unwrap_or(0),
            cpu_cores: limit("cpu").and_then(cpu_cores_of).unwrap_or(0.0),
            id,
        }
    }

    /// Removes a dead Sandbox found by `recover()`.
    async fn remove_dead(&self, item: &Value, sandbox_id: &str) -> Result<()> {
        let ns = &self.shared.options.namespace;
        if let Some(claim) = owning_claim(item)
            && let Err(e) = self
                .shared
                .client
                .delete(&claims(), ns, &claim, Propagation::Background)
                .await
            && !e.is_not_found()
        {
            tracing::warn!(claim = %claim, error = %e, "recover(): deleting a claim failed");
        }
        match self
            .shared
            .client
            .delete(
                &sandboxes(),
                ns,
                str_at(item, "/metadata/name"),
                Propagation::Background,
            )
            .await
        {
            Err(e) if !e.is_not_found() => return Err(e),
            _ => {}
        }
        self.shared.delete_network_policies(sandbox_id).await;
        Ok(())
    }
}

#[async_trait]
impl SandboxProvider for KubernetesProvider {
    fn name(&self) -> &'static str {
        "kubernetes"
    }

    fn events(&self) -> &Events {
        &self.shared.events
    }

    async fn create_cancellable(
        &self,
        config: SandboxConfig,
        cancel: CancellationToken,
    ) -> Result<SandboxHandle> {
        manifest::check_config(&config)?;
        let _creating = self.shared.cache.begin_create(&config.codespace_id)?;
        self.create_checked(&config, &cancel).await
    }

    async fn get(&self, codespace_id: &str) -> Result<Option<SandboxHandle>> {
        if let Some(cached) = self.shared.cache.live_for_codespace(codespace_id).await {
            return Ok(Some(cached));
        }
        if manifest::check_label_value("codespaceId", codespace_id).is_err() {
            return Ok(None);
        }
        let list = match self
            .list_sandboxes(&[(LABEL_PROJECT_ID, codespace_id)])
            .await
        {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(codespace_id, error = %e, "get(): listing sandboxes failed");
                return Ok(None);
            }
        };
        // The selector already limits to this codespace; the label is
        // checked anyway so that no server can hand out another's sandbox.
        let found = list.iter().find(|s| {
            s.pointer("/metadata/labels")
                .and_then(|l| l.get(LABEL_PROJECT_ID))
                .and_then(Value::as_str)
                == Some(codespace_id)
                && !status_of(s).is_gone()
        });
        let Some(item) = found else {
            // AgentPane's fallback (contract §17): an unknown codespace gets
            // the 'default' codespace's sandbox.
            if codespace_id != DEFAULT_CODESPACE
                && self.shared.options.fall_back_to_default_codespace
            {
                return Box::pin(self.get(DEFAULT_CODESPACE)).await;
            }
            return Ok(None);
        };
        let adopted = self.adopt(item).await;
        if adopted.status().is_gone() {
            return Ok(None);
        }
        self.remember(&adopted);
        Ok(Some(adopted))
    }

    async fn get_by_id(&self, sandbox_id: &str) -> Result<Option<SandboxHandle>> {
        Ok(self
            .shared
            .cache
            .get_live(sandbox_id)
            .await
            .map(|s| s as SandboxHandle))
    }

    async fn list(&self) -> Result<Vec<SandboxInfo>> {
        self.validate_sandboxes().await?;
        let now = iso_time(SystemTime::now());
        let found = self.list_sandboxes(&[(LABEL_SANDBOX_ID, "")]).await;
        match found {
            Ok(items) => Ok(items.iter().map(|s| self.info(s, &now)).collect()),
            Err(e) => {
                tracing::warn!(error = %e, "list(): listing sandboxes failed");
                Ok(Vec::new())
            }
        }
    }

    async fn recover(&self) -> Result<RecoverResult> {
        let mut result = RecoverResult::default();
        let list = match self.list_sandboxes(&[(LABEL_SANDBOX_ID, "")]).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(error = %e, "recover(): listing sandboxes failed");
                return Ok(result);
            }
        };
        for item in &list {
            let label = |k: &str| {
                item.pointer("/metadata/labels")
                    .and_then(|l| l.get(k))
                    .and_then(Value::as_str)
            };
            let (Some(sandbox_id), Some(_), Some(_)) = (
                label(LABEL_SANDBOX_ID),
                label(LABEL_PROJECT_ID),
                item.pointer("/metadata/name").and_then(Value::as_str),
            ) else {
                continue;
            };
            if self.cached(sandbox_id).is_some() {
                continue;
            }
            if status_of(item).is_gone() {
                self.emit(ProviderEvent::Stopping {
                    sandbox_id: sandbox_id.to_string(),
                    reason: "recover".into(),
                });
                match self.remove_dead(item, sandbox_id).await {
                    Ok(()) => {
                        result.removed += 1;
                        self.emit(ProviderEvent::Stopped {
                            sandbox_id: sandbox_id.to_string(),
                        });
                    }
                    Err(e) => {
                        tracing::warn!(sandbox_id, error = %e, "recover(): removing a sandbox failed")
                    }
                }
                continue;
            }
            let adopted = self.adopt(item).await;
            self.remember(&adopted);
            result.recovered += 1;
        }
        Ok(result)
    }

    async fn validate_sandboxes(&self) -> Result<()> {
        self.shared.cache.validate().await;
        Ok(())
    }

    async fn cleanup(&self, options: &CleanupOptions) -> Result<u32> {
        Ok(self.shared.cache.cleanup(options).await)
    }

    async fn health_check(&self) -> ProviderHealth {
        let options = &self.shared.options;
        let h = crate::health::health_check(&self.shared.client, &options.namespace).await;
        let runtime_class = options
            .runtime_class_name
            .clone()
            .unwrap_or_else(|| "none".into());
        if h.healthy {
            return ProviderHealth {
                healthy: true,
                message: (!h.controller_installed).then(|| {
                    "Agent Sandbox CRD controller is not installed. Install from https://github.com/kubernetes-sigs/agent-sandbox".into()
                }),
                details: json!({
                    "provider": "kubernetes",
                    "controller": { "installed": h.controller_installed, "version": h.controller_version },
                    "namespace": h.namespace, "namespaceExists": h.namespace_exists,
                    "crdRegistered": h.crd_registered, "clusterVersion": h.cluster_version,
                    "runtimeClassName": runtime_class,
                }),
            };
        }
        let mut issues = Vec::new();
        if h.cluster_version.is_none() {
            issues.push("Cluster is not reachable".to_string());
        }
        if !h.crd_registered {
            issues.push("Agent Sandbox CRD is not registered".into());
        }
        if !h.namespace_exists {
            issues.push(format!("Namespace '{}' does not exist", h.namespace));
        }
        ProviderHealth {
            healthy: false,
            message: Some(if issues.is_empty() {
                "Cluster not reachable or CRD not registered".into()
            } else {
                issues.join("; ")
            }),
            details: json!({
                "provider": "kubernetes", "namespace": h.namespace,
                "clusterReachable": h.cluster_version.is_some(), "crdRegistered": h.crd_registered,
                "namespaceExists": h.namespace_exists, "clusterVersion": h.cluster_version,
            }),
        }
    }

    async fn pull_image(&self, image: &str) -> Result<()> {
        // The kubelet pulls; an empty name can never be pulled.
        if image.trim().is_empty() {
            return Err(errors::image_not_found(image));
        }
        Ok(())
    }

    async fn is_image_available(&self, image: &str) -> Result<bool> {
        Ok(!image.trim().is_empty())
    }

    async fn init_warm_pool(&self) -> Result<()> {
        let options = &self.shared.options;
        if !options.enable_warm_pool {
            return Ok(());
        }
        let pools = ResourceRef::of(Kind::SandboxWarmPool, Version::V1alpha1);
        let body = manifest::warm_pool(&options.namespace, options.warm_pool_size);
        let client = &self.shared.client;
        match client
            .create(&pools, &options.namespace, body.clone())
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if e.code() != ErrorCode::AlreadyExists => return Err(crud_failed("create", e)),
            Err(_) => {}
        }
        // Replace with the current resourceVersion (retried on a conflict
        // with the controller); recreate when that does not work.
        match client
            .replace_latest_as::<Value>(&pools, &options.namespace, WARM_POOL_NAME, body.clone())
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "initWarmPool(): replace failed; recreating the pool");
            }
        }
        match client
            .delete(
                &pools,
                &options.namespace,
                WARM_POOL_NAME,
                Propagation::Foreground,
            )
            .await
        {
            Err(e) if !e.is_not_found() => return Err(crud_failed("delete", e)),
            _ => {}
        }
        client
            .create(&pools, &options.namespace, body)
            .await
            .map(|_| ())
            .map_err(|e| crud_failed("create", e))
    }

    async fn assert_network_isolation_support(&self) -> Result<()> {
        if self.shared.options.default_network_mode != NetworkMode::None {
            return Ok(());
        }
        let unsupported = |reason: String, source: Option<Error>| {
            errors::network_isolation_unsupported("kubernetes", &reason, source)
        };
        match self.shared.client.serves_group("networking.k8s.io").await {
            Ok(true) => Ok(()),
            Ok(false) => Err(unsupported(
                "the cluster does not serve networking.k8s.io".into(),
                None,
            )),
            Err(e) => Err(unsupported(
                format!("could not read the API groups: {}", message_of(&e)),
                Some(e),
            )),
        }
    }
}

/// An error shared with event listeners, copied for the caller.
pub(crate) fn clone_error(err: &Error) -> Error {
    match err {
        Error::Api {
            code,
            status,
            reason,
            message,
        } => Error::Api {
            code: *code,
            status: *status,
            reason: reason.clone(),
            message: message.clone(),
        },
        Error::Provider {
            code,
            message,
            details,
            ..
        } => Error::Provider {
            code: *code,
            message: message.clone(),
            details: details.clone(),
            source: None,
        },
        Error::Timeout {
            operation,
            timeout_ms,
        } => Error::Timeout {
            operation: operation.clone(),
            timeout_ms: *timeout_ms,
        },
        Error::SandboxFailed {
            name,
            namespace,
            reason,
            message,
        } => Error::SandboxFailed {
            name: name.clone(),
            namespace: namespace.clone(),
            reason: reason.clone(),
            message: message.clone(),
        },
        Error::Cancelled { operation } => Error::Cancelled {
            operation: operation.clone(),
        },
        other => Error::Unreachable {
            message: other.to_string(),
        },
    }
}

/// The claim that owns a Sandbox (warm-pool sandboxes), if any.
fn owning_claim(sandbox: &Value) -> Option<String> {
    sandbox
        .pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|o| o.get("kind").and_then(Value::as_str) == Some("SandboxClaim"))?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

fn items(list: Value) -> Vec<Value> {
    match list {
        Value::Object(mut map) => match map.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn item_names(list: &Value) -> Vec<String> {
    list.get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            i.pointer("/metadata/name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// `parseFloat`: the longest leading decimal number.
/// Cores of a CPU quantity. The API server writes a fractional limit in
/// millicores (`0.1` comes back as `100m`), which the original's
/// `parseFloat` read as 100 cores; a quantity is read as one, and only what
/// is not one falls back to its leading number.
fn cpu_cores_of(q: &str) -> Option<f64> {
    crate::provider::metrics::parse_quantity(q).or_else(|| leading_float(q))
}

fn leading_float(s: &str) -> Option<f64> {
    let end = s
        .char_indices()
        .take_while(|(i, c)| {
            c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))
        })
        .map(|(i, c)| i + c.len_utf8())
        .last()?;
    s[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::cpu_cores_of;

    #[test]
    fn cpu_limits_in_cores() {
        for (quantity, cores) in [
            ("2", 2.0),
            ("0.5", 0.5),
            ("100m", 0.1),
            ("1500m", 1.5),
            ("1.5x", 1.5),
        ] {
            let got = cpu_cores_of(quantity).unwrap();
            assert!((got - cores).abs() < 1e-9, "{quantity}: {got}");
        }
        assert_eq!(cpu_cores_of("lots"), None);
    }
}
