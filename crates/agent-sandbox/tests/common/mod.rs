//! What the cluster tests share: the kubeconfig of the local control plane
//! of a controller profile.

use std::path::PathBuf;
use std::process::Command;

/// The kubeconfig for `profile` ("v0.5.6", "v0.4.6" or "v1beta1-only"): the
/// one named by AGENT_SANDBOX_TEST_KUBECONFIG (..._V046, ..._V1BETA1_ONLY), else a local control plane
/// started (or found running) by k8s/testenv/up.
pub fn kubeconfig(profile: &str) -> PathBuf {
    let var = match profile {
        "v0.4.6" => "AGENT_SANDBOX_TEST_KUBECONFIG_V046",
        "v1beta1-only" => "AGENT_SANDBOX_TEST_KUBECONFIG_V1BETA1_ONLY",
        _ => "AGENT_SANDBOX_TEST_KUBECONFIG",
    };
    if let Ok(path) = std::env::var(var) {
        return path.into();
    }
    let up = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../k8s/testenv/up");
    let instance = std::env::var("AGENT_SANDBOX_TEST_INSTANCE").unwrap_or_else(|_| "test".into());
    let out = Command::new(up)
        .args(["--instance", &instance])
        .env("AGENT_SANDBOX_VERSION", profile)
        .output()
        .expect("k8s/testenv/up runs");
    assert!(
        out.status.success(),
        "k8s/testenv/up: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .into()
}
