//! Which backend `createSandboxProvider({ kind })` uses: the kubeconfig's
//! cluster when it answers with the Agent Sandbox CRDs installed and the
//! sandbox namespace present, else a Docker daemon that answers, else one error that says what was
//! tried and why each was passed over.

use crate::client::Client;
use crate::docker::Docker;
use crate::error::{Error, ErrorCode, Result};
use crate::provider::message_of;

/// A sandbox backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Kubernetes,
    Docker,
}

impl Backend {
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Kubernetes => "kubernetes",
            Backend::Docker => "docker",
        }
    }
}

/// `auto`, `kubernetes` or `docker` (anything else is refused).
pub fn parse_kind(kind: Option<&str>) -> Result<Option<Backend>> {
    match kind {
        None | Some("auto") => Ok(None),
        Some("kubernetes") => Ok(Some(Backend::Kubernetes)),
        Some("docker") => Ok(Some(Backend::Docker)),
        Some(other) => Err(Error::invalid_argument(format!(
            "kind must be 'auto', 'kubernetes' or 'docker', got {other:?}"
        ))),
    }
}

/// The backend `auto` picks. `kube` is the kubeconfig's client, or why
/// there is none; `docker_host` as [`Docker::connect`] takes it.
pub async fn choose(
    kube: std::result::Result<Client, Error>,
    namespace: &str,
    docker_host: Option<&str>,
) -> Result<Backend> {
    let kubernetes = match kube {
        Err(e) => format!("no usable kubeconfig ({})", message_of(&e)),
        Ok(client) => {
            // The CRDs are the controller's installation; its Deployment is
            // not required (a controller can run elsewhere, as in the
            // bundled control plane).
            let h = crate::health::health_check(&client, namespace).await;
            if h.cluster_version.is_none() {
                "the cluster did not answer".to_string()
            } else if !h.crd_registered {
                "the cluster answered, but the Agent Sandbox CRDs are not installed".into()
            } else if !h.namespace_exists {
                format!("the cluster answered, but namespace {namespace:?} does not exist")
            } else {
                return Ok(Backend::Kubernetes);
            }
        }
    };
    match Docker::connect(docker_host).await {
        Ok(_) => Ok(Backend::Docker),
        Err(e) => Err(Error::provider(
            ErrorCode::NoSandboxBackend,
            format!(
                "no sandbox backend is available. Kubernetes: {kubernetes}. Docker: {}. \
                 Point KUBECONFIG at a cluster with the Agent Sandbox controller, or start Docker \
                 (or set DOCKER_HOST)",
                message_of(&e)
            ),
            serde_json::json!({ "tried": ["kubernetes", "docker"] }),
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse() {
        assert_eq!(parse_kind(None).unwrap(), None);
        assert_eq!(parse_kind(Some("auto")).unwrap(), None);
        assert_eq!(parse_kind(Some("docker")).unwrap(), Some(Backend::Docker));
        assert_eq!(
            parse_kind(Some("Docker")).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }

    #[tokio::test]
    async fn with_nothing_to_use_the_error_names_both() {
        let err = choose(
            Err(Error::kubeconfig(None, "no kubeconfig found")),
            "ns",
            Some("unix:///nonexistent/agent-sandbox/docker.sock"),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::NoSandboxBackend);
        let text = err.to_string();
        assert!(
            text.contains("no kubeconfig found")
                && text.contains("/nonexistent/agent-sandbox/docker.sock"),
            "{text}"
        );
    }
}
