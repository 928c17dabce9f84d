//! The Docker provider: each sandbox is a container on a Docker daemon,
//! limited (memory without swap, CPUs, pids), unprivileged (a non-root
//! user, no capabilities, no new privileges) and labelled so that a later
//! process finds it again. The same interface and events as the Kubernetes
//! provider, for a developer or a CI job without a cluster.

mod container;
mod sandbox;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::StreamExt;
use serde_json::json;

use crate::cancel::{CancellationToken, check_cancelled, until_cancelled};
use crate::docker::{Docker, api_error};
use crate::error::{Error, ErrorCode, Result};
use crate::provider::cache::SandboxCache;
use crate::provider::kubernetes::{
    DEFAULT_CODESPACE, LABEL_PROJECT_ID, LABEL_SANDBOX_ID, check_config, check_label_value,
};
use crate::provider::{
    CleanupOptions, Events, NetworkMode, ProviderEvent, ProviderHealth, RecoverResult, Sandbox,
    SandboxConfig, SandboxHandle, SandboxInfo, SandboxProvider, SandboxStatus, defaults, errors,
    iso_time, message_of, naming,
};

pub use container::{
    LABEL_CODESPACE_ID, LABEL_CPU_CORES, LABEL_IDLE_TIMEOUT, LABEL_MANAGED_BY, LABEL_MEMORY_MB,
    LABEL_SCOPE, MANAGED_BY,
};
pub use sandbox::{ContainerRef, DockerSandbox};

/// How long a started container may take to be seen running.
const START_CHECK: Duration = Duration::from_millis(250);

/// How the Docker provider runs.
#[derive(Clone, Debug)]
pub struct DockerProviderOptions {
    /// `unix:///path` or `tcp://host:port`; `None`: `DOCKER_HOST`, then the
    /// usual sockets.
    pub host: Option<String>,
    /// Which containers are this provider's (a label): the Kubernetes
    /// provider's namespace, as Docker has none.
    pub scope: String,
    /// Image `list()` reports for a container without one.
    pub image: String,
    /// Deadline of `create()`'s pull and start.
    pub ready_timeout: Duration,
    pub default_network_mode: NetworkMode,
    /// As [`crate::provider::KubernetesProviderOptions::fall_back_to_default_codespace`].
    pub fall_back_to_default_codespace: bool,
    /// `uid:gid` the container runs as.
    pub user: String,
    /// Its home (writable with a read-only root filesystem).
    pub home: String,
    pub pids_limit: i64,
    /// A read-only root filesystem (`/tmp` and the home stay writable).
    pub read_only_root_filesystem: bool,
}

impl Default for DockerProviderOptions {
    fn default() -> Self {
        DockerProviderOptions {
            host: None,
            scope: "agentpane-sandboxes".into(),
            image: defaults::IMAGE.into(),
            ready_timeout: Duration::from_secs(120),
            default_network_mode: NetworkMode::default_from_env(),
            fall_back_to_default_codespace: true,
            user: "1000:1000".into(),
            home: defaults::USER_HOME.into(),
            pids_limit: 1024,
            read_only_root_filesystem: false,
        }
    }
}

impl DockerProviderOptions {
    /// Refuses (`INVALID_ARGUMENT`, `UNSUPPORTED` for a TLS or ssh host) what
    /// no daemon could use: a malformed host, a user that is not a name or
    /// uid with an optional `:group`, a pids limit below 1.
    pub fn check(&self) -> Result<()> {
        if let Some(host) = self.host.as_deref().filter(|h| !h.is_empty()) {
            crate::docker::Endpoint::parse(host)?;
        }
        let name = |part: &str| {
            !part.is_empty()
                && part.len() <= 32
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        };
        let user_ok = match self.user.split_once(':') {
            Some((u, g)) => name(u) && name(g),
            None => name(&self.user),
        };
        if !user_ok {
            return Err(Error::invalid_argument(
                "user must be a user name or uid, optionally ':' and a group name or gid (e.g. '1000:1000')",
            ));
        }
        if self.pids_limit < 1 {
            return Err(Error::invalid_argument(format!(
                "pidsLimit must be at least 1, got {}",
                self.pids_limit
            )));
        }
        Ok(())
    }

    /// The uid part of [`Self::user`] (1000 when it is a name).
    pub(crate) fn user_id(&self) -> u32 {
        self.user
            .split(':')
            .next()
            .and_then(|u| u.parse().ok())
            .unwrap_or(crate::tar::DEFAULT_UID)
    }
}

/// What the provider and its sandboxes share.
pub(crate) struct Shared {
    docker: Docker,
    options: DockerProviderOptions,
    pub(crate) events: Events,
    cache: SandboxCache<DockerSandbox>,
}

impl Shared {
    pub(crate) fn forget(&self, sandbox_id: &str, codespace_id: &str) {
        self.cache.forget(sandbox_id, codespace_id);
    }
}

/// AgentPane's sandbox provider on a Docker daemon.
pub struct DockerProvider {
    shared: Arc<Shared>,
}

impl DockerProvider {
    /// A provider on the daemon `options.host` names (or the first that
    /// answers); fails with `UNREACHABLE` naming where it looked.
    pub async fn connect(options: DockerProviderOptions) -> Result<Self> {
        options.check()?;
        let docker = Docker::connect(options.host.as_deref()).await?;
        Ok(Self::new(docker, options))
    }

    pub fn new(docker: Docker, options: DockerProviderOptions) -> Self {
        DockerProvider {
            shared: Arc::new(Shared {
                docker,
                options,
                events: Events::default(),
                cache: SandboxCache::default(),
            }),
        }
    }

    pub fn options(&self) -> &DockerProviderOptions {
        &self.shared.options
    }

    pub fn docker(&self) -> &Docker {
        &self.shared.docker
    }

    fn emit(&self, event: ProviderEvent) {
        self.shared.events.emit(event);
    }

    fn remember(&self, sandbox: &Arc<DockerSandbox>) {
        self.shared.cache.remember(sandbox);
    }

    fn cached(&self, sandbox_id: &str) -> Option<Arc<DockerSandbox>> {
        self.shared.cache.get(sandbox_id)
    }

    /// This provider's containers (with `extra` labels), stopped ones too.
    async fn containers(
        &self,
        extra: &[(&str, &str)],
    ) -> Result<Vec<bollard::models::ContainerSummary>> {
        let options = bollard::query_parameters::ListContainersOptions {
            all: true,
            filters: Some(container::filters(&self.shared.options, extra)),
            ..Default::default()
        };
        self.shared
            .docker
            .api()
            .list_containers(Some(options))
            .await
            .map_err(|e| api_error("list", e))
    }

    /// The handle of a listed container (the cached one when there is one).
    fn adopt(&self, summary: &bollard::models::ContainerSummary) -> Option<Arc<DockerSandbox>> {
        let labels = summary.labels.as_ref()?;
        let id = labels.get(LABEL_SANDBOX_ID)?;
        if let Some(cached) = self.cached(id) {
            return Some(cached);
        }
        let name = summary
            .names
            .as_ref()
            .and_then(|n| n.first())
            .map(|n| n.trim_start_matches('/').to_string())?;
        let started = summary
            .created
            .and_then(|s| u64::try_from(s).ok())
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
            .unwrap_or_else(SystemTime::now);
        let r = ContainerRef {
            id: id.clone(),
            codespace_id: labels.get(LABEL_PROJECT_ID).cloned().unwrap_or_default(),
            name,
            idle_timeout_minutes: labels
                .get(LABEL_IDLE_TIMEOUT)
                .and_then(|m| m.parse().ok())
                .unwrap_or(0),
            status: container::status_of_summary(summary.state.as_ref().map_or("", |s| s.as_ref())),
            started,
        };
        Some(Arc::new(DockerSandbox::new(
            self.shared.docker.clone(),
            r,
            self.shared.options.read_only_root_filesystem,
            Arc::downgrade(&self.shared),
        )))
    }

    /// The image, pulled when the daemon lacks it.
    async fn ensure_image(&self, image: &str) -> Result<()> {
        if self.is_image_available(image).await? {
            return Ok(());
        }
        self.pull_image(image).await
    }

    async fn create_checked(
        &self,
        config: &SandboxConfig,
        cancel: &CancellationToken,
    ) -> Result<SandboxHandle> {
        let codespace = config.codespace_id.as_str();
        let existing = self
            .containers(&[(LABEL_PROJECT_ID, codespace)])
            .await
            .map_err(|e| crate::provider::crud_failed("list", e))?;
        for summary in &existing {
            let state = summary.state.as_ref().map_or("", |s| s.as_ref());
            if !container::status_of_summary(state).is_gone()
                && let Some(adopted) = self.adopt(summary)
            {
                self.remember(&adopted);
                return Err(errors::sandbox_already_exists(codespace));
            }
        }
        check_cancelled("create", cancel)?;
        self.create_container(config, cancel).await
    }

    async fn create_container(
        &self,
        config: &SandboxConfig,
        cancel: &CancellationToken,
    ) -> Result<SandboxHandle> {
        let options = &self.shared.options;
        let api = self.shared.docker.api();
        let codespace = config.codespace_id.clone();
        let sandbox_id = config.id.clone().unwrap_or_else(naming::create_id);
        let name = naming::sandbox_name_for(&codespace, &sandbox_id);
        let ignored: Vec<&str> = [
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
                "create(): the Docker provider ignores these fields"
            );
        }
        let network = if options.default_network_mode == NetworkMode::None {
            NetworkMode::None
        } else {
            config.network_mode.unwrap_or_default()
        };
        self.emit(ProviderEvent::Creating {
            sandbox_id: sandbox_id.clone(),
            codespace_id: codespace.clone(),
        });
        let mut created = false;
        let attempt = async {
            let pulled =
                tokio::time::timeout(options.ready_timeout, self.ensure_image(&config.image));
            until_cancelled("create", cancel, async {
                pulled.await.map_err(|_| Error::Timeout {
                    operation: format!("pulling {}", config.image),
                    timeout_ms: options.ready_timeout.as_millis() as u64,
                })?
            })
            .await?;
            check_cancelled("create", cancel)?;
            let body = container::container_body(options, &name, &sandbox_id, config, network);
            let create = bollard::query_parameters::CreateContainerOptions {
                name: Some(name.clone()),
                ..Default::default()
            };
            api.create_container(Some(create), body)
                .await
                .map_err(|e| api_error("create", e))?;
            created = true;
            check_cancelled("create", cancel)?;
            api.start_container(&name, None)
                .await
                .map_err(|e| api_error("start", e))?;
            // A container whose command fails at once is not a sandbox.
            tokio::time::sleep(START_CHECK).await;
            let inspect = api
                .inspect_container(&name, None)
                .await
                .map_err(|e| api_error("inspect", e))?;
            let state = inspect.state.unwrap_or_default();
            if state.running != Some(true) {
                return Err(Error::Docker {
                    code: ErrorCode::SandboxFailed,
                    status: None,
                    message: format!(
                        "the container is not running (status {}, exit code {}{})",
                        state.status.map(|s| s.to_string()).unwrap_or_default(),
                        state.exit_code.unwrap_or(-1),
                        state
                            .error
                            .filter(|e| !e.is_empty())
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    ),
                });
            }
            let started = SystemTime::now();
            let handle = Arc::new(DockerSandbox::new(
                self.shared.docker.clone(),
                ContainerRef {
                    id: sandbox_id.clone(),
                    codespace_id: codespace.clone(),
                    name: name.clone(),
                    idle_timeout_minutes: config.idle_timeout_minutes,
                    status: SandboxStatus::Running,
                    started,
                },
                options.read_only_root_filesystem,
                Arc::downgrade(&self.shared),
            ));
            Ok::<_, Error>(handle)
        };
        match attempt.await {
            Ok(handle) => {
                self.remember(&handle);
                self.emit(ProviderEvent::Created {
                    sandbox_id: sandbox_id.clone(),
                    codespace_id: codespace,
                    container_id: name,
                });
                self.emit(ProviderEvent::Started { sandbox_id });
                Ok(handle)
            }
            Err(err) => {
                if created {
                    let remove = bollard::query_parameters::RemoveContainerOptions {
                        force: true,
                        v: true,
                        link: false,
                    };
                    if let Err(e) = api.remove_container(&name, Some(remove)).await {
                        tracing::warn!(container = %name, error = %e, "rollback: removing the container failed");
                    }
                }
                let shared = Arc::new(err);
                self.emit(ProviderEvent::Error {
                    sandbox_id,
                    error: shared.clone(),
                });
                let err = Arc::try_unwrap(shared)
                    .unwrap_or_else(|s| crate::provider::kubernetes::clone_error(&s));
                if matches!(err.code(), ErrorCode::Cancelled | ErrorCode::ImageNotFound) {
                    return Err(err);
                }
                let message = message_of(&err);
                Err(errors::sandbox_creation_failed(&name, &message, Some(err)))
            }
        }
    }

    fn info(&self, summary: &bollard::models::ContainerSummary, now: &str) -> Option<SandboxInfo> {
        let labels = summary.labels.as_ref()?;
        let id = labels.get(LABEL_SANDBOX_ID)?.clone();
        let last_activity = self
            .cached(&id)
            .map(|s| iso_time(s.last_activity()))
            .unwrap_or_else(|| now.to_string());
        Some(SandboxInfo {
            codespace_id: labels.get(LABEL_PROJECT_ID).cloned().unwrap_or_default(),
            container_id: summary
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            status: container::status_of_summary(summary.state.as_ref().map_or("", |s| s.as_ref())),
            image: summary
                .image
                .clone()
                .unwrap_or_else(|| self.shared.options.image.clone()),
            created_at: summary
                .created
                .and_then(|s| u64::try_from(s).ok())
                .map(|s| iso_time(SystemTime::UNIX_EPOCH + Duration::from_secs(s)))
                .unwrap_or_else(|| now.to_string()),
            last_activity_at: last_activity,
            memory_mb: labels
                .get(LABEL_MEMORY_MB)
                .and_then(|m| m.parse().ok())
                .unwrap_or(0),
            cpu_cores: labels
                .get(LABEL_CPU_CORES)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0.0),
            id,
        })
    }
}

#[async_trait]
impl SandboxProvider for DockerProvider {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn events(&self) -> &Events {
        &self.shared.events
    }

    async fn create_cancellable(
        &self,
        config: SandboxConfig,
        cancel: CancellationToken,
    ) -> Result<SandboxHandle> {
        check_config(&config)?;
        let _creating = self.shared.cache.begin_create(&config.codespace_id)?;
        self.create_checked(&config, &cancel).await
    }

    async fn get(&self, codespace_id: &str) -> Result<Option<SandboxHandle>> {
        if let Some(cached) = self.shared.cache.live_for_codespace(codespace_id).await {
            return Ok(Some(cached));
        }
        if check_label_value("codespaceId", codespace_id).is_err() {
            return Ok(None);
        }
        let list = match self.containers(&[(LABEL_PROJECT_ID, codespace_id)]).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(codespace_id, error = %e, "get(): listing containers failed");
                return Ok(None);
            }
        };
        let found = list.iter().find(|s| {
            s.labels
                .as_ref()
                .and_then(|l| l.get(LABEL_PROJECT_ID))
                .map(String::as_str)
                == Some(codespace_id)
                && !container::status_of_summary(s.state.as_ref().map_or("", |s| s.as_ref()))
                    .is_gone()
        });
        let Some(summary) = found else {
            if codespace_id != DEFAULT_CODESPACE
                && self.shared.options.fall_back_to_default_codespace
            {
                return Box::pin(self.get(DEFAULT_CODESPACE)).await;
            }
            return Ok(None);
        };
        let Some(adopted) = self.adopt(summary) else {
            return Ok(None);
        };
        if adopted.refresh_status().await.is_gone() {
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
        match self.containers(&[]).await {
            Ok(items) => Ok(items.iter().filter_map(|s| self.info(s, &now)).collect()),
            Err(e) => {
                tracing::warn!(error = %e, "list(): listing containers failed");
                Ok(Vec::new())
            }
        }
    }

    async fn recover(&self) -> Result<RecoverResult> {
        let mut result = RecoverResult::default();
        let list = match self.containers(&[]).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(error = %e, "recover(): listing containers failed");
                return Ok(result);
            }
        };
        for summary in &list {
            let Some(labels) = summary.labels.as_ref() else {
                continue;
            };
            let (Some(sandbox_id), Some(_)) =
                (labels.get(LABEL_SANDBOX_ID), labels.get(LABEL_PROJECT_ID))
            else {
                continue;
            };
            if self.cached(sandbox_id).is_some() {
                continue;
            }
            let state = summary.state.as_ref().map_or("", |s| s.as_ref());
            if container::status_of_summary(state).is_gone() || state == "dead" {
                self.emit(ProviderEvent::Stopping {
                    sandbox_id: sandbox_id.clone(),
                    reason: "recover".into(),
                });
                let Some(name) = summary.names.as_ref().and_then(|n| n.first()) else {
                    continue;
                };
                let remove = bollard::query_parameters::RemoveContainerOptions {
                    force: true,
                    v: true,
                    link: false,
                };
                match self
                    .shared
                    .docker
                    .api()
                    .remove_container(name.trim_start_matches('/'), Some(remove))
                    .await
                    .map_err(|e| api_error("remove", e))
                {
                    Err(e) if !e.is_not_found() => {
                        tracing::warn!(sandbox_id, error = %e, "recover(): removing a container failed")
                    }
                    _ => {
                        result.removed += 1;
                        self.emit(ProviderEvent::Stopped {
                            sandbox_id: sandbox_id.clone(),
                        });
                    }
                }
                continue;
            }
            if let Some(adopted) = self.adopt(summary) {
                self.remember(&adopted);
                result.recovered += 1;
            }
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
        let docker = &self.shared.docker;
        let host = docker.endpoint().to_string();
        match docker.api().version().await {
            Ok(v) => ProviderHealth {
                healthy: true,
                message: None,
                details: json!({
                    "provider": "docker", "host": host, "scope": self.shared.options.scope,
                    "version": v.version, "apiVersion": v.api_version,
                    "os": v.os, "arch": v.arch,
                }),
            },
            Err(e) => ProviderHealth {
                healthy: false,
                message: Some(format!(
                    "Docker daemon not reachable: {}",
                    api_error("version", e)
                )),
                details: json!({ "provider": "docker", "host": host }),
            },
        }
    }

    async fn pull_image(&self, image: &str) -> Result<()> {
        if image.trim().is_empty() {
            return Err(errors::image_not_found(image));
        }
        let options = bollard::query_parameters::CreateImageOptions {
            from_image: Some(image.to_string()),
            ..Default::default()
        };
        let mut progress = Box::pin(self.shared.docker.api().create_image(
            Some(options),
            None,
            None,
        ));
        while let Some(step) = progress.next().await {
            match step {
                Ok(info) => {
                    if let Some(e) = info.error_detail.and_then(|d| d.message) {
                        return Err(errors::image_pull_failed(image, e));
                    }
                }
                Err(e) => {
                    return Err(errors::image_pull_failed(
                        image,
                        message_of(&api_error("pull", e)),
                    ));
                }
            }
        }
        Ok(())
    }

    async fn is_image_available(&self, image: &str) -> Result<bool> {
        if image.trim().is_empty() {
            return Ok(false);
        }
        match self.shared.docker.api().inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = api_error("inspect image", e);
                if e.is_not_found() { Ok(false) } else { Err(e) }
            }
        }
    }

    async fn init_warm_pool(&self) -> Result<()> {
        // Containers start in about a second; there is no pool to keep.
        Ok(())
    }

    async fn assert_network_isolation_support(&self) -> Result<()> {
        // `--network none` is enforced by the daemon itself.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_that_no_daemon_could_use_are_refused() {
        let ok = DockerProviderOptions::default();
        assert!(ok.check().is_ok());
        for user in ["root; rm -rf /", "1000:", ":1000", "a b", ""] {
            let o = DockerProviderOptions {
                user: user.into(),
                ..DockerProviderOptions::default()
            };
            assert_eq!(
                o.check().unwrap_err().code(),
                ErrorCode::InvalidArgument,
                "{user:?}"
            );
        }
        let o = DockerProviderOptions {
            pids_limit: 0,
            ..DockerProviderOptions::default()
        };
        assert_eq!(o.check().unwrap_err().code(), ErrorCode::InvalidArgument);
        let o = DockerProviderOptions {
            host: Some("https://host:2376".into()),
            ..DockerProviderOptions::default()
        };
        assert_eq!(o.check().unwrap_err().code(), ErrorCode::Unsupported);
    }
}
