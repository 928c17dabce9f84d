//! The Kubernetes provider against the real local control plane, on every
//! controller profile (v0.5.6: AGENT_SANDBOX_TEST_KUBECONFIG, v0.4.6:
//! AGENT_SANDBOX_TEST_KUBECONFIG_V046, v1beta1-only:
//! AGENT_SANDBOX_TEST_KUBECONFIG_V1BETA1_ONLY; started by k8s/testenv when unset).

mod common;
#[path = "common/sandbox_io.rs"]
mod sandbox_io;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_sandbox::client::{Client, Propagation};
use agent_sandbox::config::{KubeconfigOptions, load_kubeconfig};
use agent_sandbox::provider::kubernetes::{LABEL_SANDBOX_ID, WARM_POOL_NAME};
use agent_sandbox::provider::{
    AgentCommand, KubernetesProvider, KubernetesProviderOptions, NetworkMode, ProviderEvent,
    SandboxConfig, SandboxProvider, SandboxStatus,
};
use agent_sandbox::{Kind, ResourceRef, Version};
use serde_json::json;
use tokio::io::AsyncReadExt;

/// The agent image the pool template names (any image runs on the test node).
const POOL_IMAGE: &str = "agentpane/agent:test";

async fn client(profile: &str) -> Client {
    let options = KubeconfigOptions {
        path: Some(common::kubeconfig(profile)),
        context: Some("admin".into()),
        skip_tls_verify: false,
    };
    Client::from_kubeconfig(load_kubeconfig(&options).unwrap().kubeconfig)
        .await
        .unwrap()
}

/// A namespace that enforces the restricted Pod Security level, as
/// `agentpane-sandboxes` does; deleted on drop of the returned guard.
async fn namespace(client: &Client, prefix: &str) -> String {
    let name = format!(
        "{prefix}-{}",
        &agent_sandbox::provider::naming::create_id()[..8]
    );
    let body = json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":name,
        "labels":{"pod-security.kubernetes.io/enforce":"restricted"}}});
    client
        .create(&ResourceRef::new("", "v1", "namespaces"), "", body)
        .await
        .unwrap();
    name
}

async fn delete_namespace(client: &Client, name: &str) {
    let _ = client
        .delete(
            &ResourceRef::new("", "v1", "namespaces"),
            "",
            name,
            Propagation::Background,
        )
        .await;
}

fn config(codespace: &str, image: &str) -> SandboxConfig {
    SandboxConfig {
        codespace_id: codespace.into(),
        image: image.into(),
        memory_mb: 512,
        cpu_cores: 1.0,
        idle_timeout_minutes: 30,
        ..SandboxConfig::default()
    }
}

fn provider(client: &Client, ns: &str, warm: bool) -> KubernetesProvider {
    KubernetesProvider::new(
        client.clone(),
        KubernetesProviderOptions {
            namespace: ns.into(),
            enable_warm_pool: warm,
            warm_pool_size: 1,
            ready_timeout: Duration::from_secs(60),
            default_network_mode: NetworkMode::Bridge,
            ..KubernetesProviderOptions::default()
        },
    )
}

fn record(p: &KubernetesProvider) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    p.events()
        .subscribe(move |e: &ProviderEvent| sink.lock().unwrap().push(e.type_name().to_string()));
    seen
}

async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

/// How many objects of `r` in `ns` match `selector`.
async fn labelled(client: &Client, r: &ResourceRef, ns: &str, selector: &str) -> usize {
    let options = agent_sandbox::client::ListOptions {
        label_selector: Some(selector.into()),
        ..Default::default()
    };
    client.list(r, ns, &options).await.unwrap()["items"]
        .as_array()
        .map_or(0, Vec::len)
}

/// A pod spec of one container that meets the restricted Pod Security level
/// (the core's profile, as the provider applies it).
fn restricted_spec(container: &str, image: &str) -> serde_json::Value {
    let mut spec = json!({"containers":[{"name":container,"image":image}]});
    agent_sandbox::pod_security::restrict(&mut spec);
    spec
}

/// An admission policy that refuses the pods of `ns` for now (a refusal that
/// may be lifted, so a Sandbox there waits, not fails); in force once a pod
/// is refused. [`allow_pods`] lifts it.
async fn refuse_pods(client: &Client, ns: &str) {
    let policies = ResourceRef::new(
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
    );
    let bindings = ResourceRef::new(
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
    );
    let name = format!("rs-test-no-pods-{ns}");
    let policy = json!({"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy",
        "metadata":{"name":name},
        "spec":{"failurePolicy":"Fail",
            "matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]},
            "matchConditions":[{"name":"this-test","expression":format!("object.metadata.namespace == '{ns}'")}],
            "validations":[{"expression":"false","message":"no pods here for now"}]}});
    client.create(&policies, "", policy).await.unwrap();
    let binding = json!({"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding",
        "metadata":{"name":name},"spec":{"policyName":name,"validationActions":["Deny"]}});
    client.create(&bindings, "", binding).await.unwrap();
    let pods = ResourceRef::new("", "v1", "pods");
    let attempt = std::sync::atomic::AtomicU32::new(0);
    until("the policy to refuse pods", || async {
        let probe = format!(
            "probe-{}",
            attempt.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        // Restricted-compliant, so that only the policy can refuse it.
        let pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":probe},
            "spec":restricted_spec("c", "busybox")});
        match client.create(&pods, ns, pod).await {
            Ok(_) => {
                let _ = client
                    .delete(&pods, ns, &probe, Propagation::Background)
                    .await;
                false
            }
            // Refused by the policy, not for any other reason.
            Err(e) => e.to_string().contains("no pods here for now"),
        }
    })
    .await;
}

async fn allow_pods(client: &Client, ns: &str) {
    let name = format!("rs-test-no-pods-{ns}");
    for plural in [
        "validatingadmissionpolicybindings",
        "validatingadmissionpolicies",
    ] {
        let r = ResourceRef::new("admissionregistration.k8s.io", "v1", plural);
        let _ = client.delete(&r, "", &name, Propagation::Background).await;
    }
}

async fn exists(client: &Client, r: &ResourceRef, ns: &str, name: &str) -> bool {
    client.exists(r, ns, name).await.unwrap()
}

/// Cold create → exec (buffered and streamed, hostile env) → file round trip
/// → recover in a new provider over a new client → stop.
async fn cold_lifecycle(profile: &str) {
    let admin = client(profile).await;
    let ns = namespace(&admin, "rs-prov").await;
    let first = provider(&admin, &ns, false);
    let events = record(&first);
    let mut cfg = config("cs-rust", "busybox");
    cfg.network_mode = Some(NetworkMode::None);
    let sandbox = first.create(cfg).await.unwrap();
    assert_eq!(sandbox.status(), SandboxStatus::Running);
    let policy = format!("np-{}", sandbox.container_id());
    let policies = ResourceRef::new("networking.k8s.io", "v1", "networkpolicies");
    assert!(exists(&admin, &policies, &ns, &policy).await);
    assert_eq!(
        first
            .create(config("cs-rust", "busybox"))
            .await
            .unwrap_err()
            .code()
            .as_str(),
        "K8S_POD_ALREADY_EXISTS"
    );

    let out = sandbox
        .exec(
            "sh",
            &["-c".into(), "echo out; echo err >&2; exit 3".into()],
        )
        .await
        .unwrap();
    assert_eq!(
        (out.exit_code, out.stdout.as_slice(), out.stderr.as_slice()),
        (3, &b"out\n"[..], &b"err\n"[..])
    );

    let value = "$(touch pwned) `touch pwned` 'q' \"d\"\nline2";
    let command = AgentCommand {
        cmd: "sh".into(),
        args: vec!["-c".into(), "printf '%s' \"$V\"".into()],
        env: [("V".to_string(), value.to_string())].into(),
        cwd: Some("/tmp".into()),
        ..AgentCommand::default()
    };
    let mut session = sandbox.exec_stream(&command).await.unwrap();
    let mut streamed = String::new();
    session
        .stdout()
        .unwrap()
        .read_to_string(&mut streamed)
        .await
        .unwrap();
    assert_eq!(session.wait().await.unwrap(), 0);
    assert_eq!(streamed, value);

    let dir = String::from_utf8(sandbox.exec("pwd", &[]).await.unwrap().stdout).unwrap();
    let path = format!("{}/secret file.bin", dir.trim());
    let content: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    sandbox.write_file(&path, &content, 0o640).await.unwrap();
    assert_eq!(sandbox.read_file(&path).await.unwrap(), content);
    let mode = sandbox
        .exec("stat", &["-c".into(), "%a".into(), path.clone()])
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&mode.stdout).trim(), "640");
    let missing = sandbox
        .read_file(&format!("{path}.nope"))
        .await
        .unwrap_err();
    assert_eq!(missing.code().as_str(), "K8S_EXEC_FAILED");

    // A new process: a new client and provider know nothing until recover().
    let second = provider(&client(profile).await, &ns, false);
    assert!(second.get_by_id(sandbox.id()).await.unwrap().is_none());
    assert_eq!(second.recover().await.unwrap().recovered, 1);
    let recovered = second
        .get_by_id(sandbox.id())
        .await
        .unwrap()
        .expect("recovered");
    assert_eq!(recovered.container_id(), sandbox.container_id());
    assert_eq!(recovered.status(), SandboxStatus::Running);
    let again = second
        .get("cs-rust")
        .await
        .unwrap()
        .expect("found by codespace");
    assert_eq!(again.id(), sandbox.id());

    let second_events = record(&second);
    recovered.stop("stop").await.unwrap();
    assert_eq!(recovered.status(), SandboxStatus::Stopped);
    let sandboxes = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    until("the Sandbox to be gone", || {
        exists(&admin, &sandboxes, &ns, sandbox.container_id()).map_not()
    })
    .await;
    assert!(
        !exists(&admin, &policies, &ns, &policy).await,
        "the NetworkPolicy goes with it"
    );
    assert_eq!(
        *second_events.lock().unwrap(),
        ["sandbox:stopping", "sandbox:stopped"]
    );
    assert_eq!(
        *events.lock().unwrap(),
        ["sandbox:creating", "sandbox:created", "sandbox:started"]
    );
    assert!(second.get_by_id(sandbox.id()).await.unwrap().is_none());
    delete_namespace(&admin, &ns).await;
}

/// Warm pool: initWarmPool, then create() adopts a pool Sandbox whose
/// labels (Sandbox and pod) are ours; stop() removes the claim.
async fn warm_lifecycle(profile: &str) {
    let admin = client(profile).await;
    let ns = namespace(&admin, "rs-pool").await;
    let templates = ResourceRef::of(Kind::SandboxTemplate, Version::V1alpha1);
    let template = json!({"apiVersion":"extensions.agents.x-k8s.io/v1alpha1","kind":"SandboxTemplate",
        "metadata":{"name":"agentpane-default"},
        "spec":{"podTemplate":{"metadata":{},"spec":restricted_spec("sandbox", POOL_IMAGE)}}});
    admin.create(&templates, &ns, template).await.unwrap();
    let p = provider(&admin, &ns, true);
    p.init_warm_pool().await.unwrap();
    p.init_warm_pool().await.unwrap(); // exists: replaced
    let pools = ResourceRef::of(Kind::SandboxWarmPool, Version::V1alpha1);
    until("a ready warm sandbox", || async {
        let pool = admin.get(&pools, &ns, WARM_POOL_NAME).await.unwrap();
        pool.pointer("/status/readyReplicas")
            .and_then(|v| v.as_i64())
            == Some(1)
    })
    .await;
    let sandboxes = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    let warm: Vec<String> = admin
        .list(&sandboxes, &ns, &Default::default())
        .await
        .unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap().to_string())
        .collect();

    let sandbox = p.create(config("cs-warm", POOL_IMAGE)).await.unwrap();
    assert!(
        warm.contains(&sandbox.container_id().to_string()),
        "{} from the pool {warm:?}",
        sandbox.container_id()
    );
    let obj = admin
        .get(&sandboxes, &ns, sandbox.container_id())
        .await
        .unwrap();
    assert_eq!(obj["metadata"]["labels"][LABEL_SANDBOX_ID], sandbox.id());
    // The pod keeps the labels once the controllers have settled the claim
    // (they rewrite the claimed Sandbox's pod template and re-sync the pod's
    // labels from it; a label put on the template vanished from the pod).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let pod = agent_sandbox::exec::resolve_pod_name(&admin, &ns, sandbox.container_id())
        .await
        .unwrap();
    let pod = admin
        .get(&ResourceRef::new("", "v1", "pods"), &ns, &pod)
        .await
        .unwrap();
    assert_eq!(
        pod["metadata"]["labels"][LABEL_SANDBOX_ID],
        sandbox.id(),
        "{profile}"
    );
    let out = sandbox.exec("echo", &["warm".into()]).await.unwrap();
    assert_eq!(out.stdout, b"warm\n");

    let claims = ResourceRef::of(Kind::SandboxClaim, Version::V1alpha1);
    let claim = format!("claim-agentpane-cs-warm-{}", &sandbox.id()[..8]);
    assert!(exists(&admin, &claims, &ns, &claim).await);
    sandbox.stop("stop").await.unwrap();
    until("the claim to be gone", || {
        exists(&admin, &claims, &ns, &claim).map_not()
    })
    .await;
    until("the claimed Sandbox to be gone", || {
        exists(&admin, &sandboxes, &ns, sandbox.container_id()).map_not()
    })
    .await;
    delete_namespace(&admin, &ns).await;
}

trait MapNot: std::future::Future<Output = bool> + Sized {
    fn map_not(self) -> impl std::future::Future<Output = bool> {
        async move { !self.await }
    }
}
impl<F: std::future::Future<Output = bool>> MapNot for F {}

#[tokio::test]
async fn cold_sandbox_lifecycle_v056() {
    cold_lifecycle("v0.5.6").await;
}

#[tokio::test]
async fn cold_sandbox_lifecycle_v046() {
    cold_lifecycle("v0.4.6").await;
}

#[tokio::test]
async fn warm_pool_lifecycle_v056() {
    warm_lifecycle("v0.5.6").await;
}

#[tokio::test]
async fn warm_pool_lifecycle_v046() {
    warm_lifecycle("v0.4.6").await;
}

/// The API of agent-sandbox v1.x: v1beta1 only, no conversion webhook.
#[tokio::test]
async fn cold_sandbox_lifecycle_v1beta1_only() {
    cold_lifecycle("v1beta1-only").await;
}

#[tokio::test]
async fn warm_pool_lifecycle_v1beta1_only() {
    warm_lifecycle("v1beta1-only").await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    // A client whose server refuses connections: a refusal must come first.
    let kubeconfig = serde_json::from_value(json!({
        "clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:1"}}],
        "users":[{"name":"u","user":{"token":"t"}}],
        "contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],
        "current-context":"x"}))
    .unwrap();
    let client = Client::from_kubeconfig(kubeconfig).await.unwrap();
    let p = provider(&client, "ns", false);
    for codespace in ["", "a,b=c", "x y", "-lead"] {
        let e = p.create(config(codespace, "busybox")).await.unwrap_err();
        assert_eq!(e.code().as_str(), "INVALID_ARGUMENT", "{codespace:?}");
    }
    let e = p.create(config("cs", " ")).await.unwrap_err();
    assert_eq!(e.code().as_str(), "INVALID_ARGUMENT");
    // The listing error is the client's (K8S_API_ERROR wrapping the finer
    // cause), before any event.
    let events = record(&p);
    let e = p.create(config("cs", "busybox")).await.unwrap_err();
    assert_eq!(e.code().as_str(), "K8S_API_ERROR");
    assert!(e.to_string().starts_with("CRUD list failed: "), "{e}");
    match &e {
        agent_sandbox::Error::Provider {
            source: Some(cause),
            ..
        } => assert_eq!(cause.code().as_str(), "UNREACHABLE"),
        other => panic!("no cause: {other:?}"),
    }
    assert!(events.lock().unwrap().is_empty());
}

/// Cancelled while it waits for Ready (an admission policy refuses the pod
/// for now, so the Sandbox does not become Ready), create() removes the
/// Sandbox and the NetworkPolicy it made and fails with CANCELLED.
#[tokio::test]
async fn cancelled_create_leaves_nothing_behind() {
    let admin = client("v0.5.6").await;
    let ns = namespace(&admin, "rs-cancel").await;
    refuse_pods(&admin, &ns).await;
    let p = KubernetesProvider::new(
        admin.clone(),
        KubernetesProviderOptions {
            namespace: ns.clone(),
            ready_timeout: Duration::from_secs(120),
            default_network_mode: NetworkMode::None,
            ..KubernetesProviderOptions::default()
        },
    );
    let events = record(&p);
    let cancel = agent_sandbox::provider::CancellationToken::new();
    let mut cfg = config("cs-cancel", "busybox");
    cfg.id = Some("cancelcancelcancel01".into());
    let name = "agentpane-cs-cancel-cancelca";
    let sandboxes = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    let creating = {
        let (p, cancel) = (p.clone(), cancel.clone());
        tokio::spawn(async move { p.create_cancellable(cfg, cancel).await })
    };
    until("the Sandbox to exist", || {
        exists(&admin, &sandboxes, &ns, name)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    cancel.cancel();
    let err = tokio::time::timeout(Duration::from_secs(5), creating)
        .await
        .expect("create() ends promptly once cancelled")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code().as_str(), "CANCELLED", "{err}");
    assert_eq!(
        *events.lock().unwrap(),
        ["sandbox:creating", "sandbox:error"]
    );
    let policies = ResourceRef::new("networking.k8s.io", "v1", "networkpolicies");
    assert!(!exists(&admin, &policies, &ns, &format!("np-{name}")).await);
    until("the Sandbox to be gone", || async {
        !exists(&admin, &sandboxes, &ns, name).await
    })
    .await;
    // The codespace is free again.
    assert!(p.get("cs-cancel").await.unwrap().is_none());
    allow_pods(&admin, &ns).await;
    delete_namespace(&admin, &ns).await;
}

/// Cancelled while its warm-pool claim waits (an admission policy refuses the
/// pods for now, so the claimed Sandbox does not become Ready), create() deletes the
/// claim, does not fall back to a cold Sandbox, and fails with CANCELLED.
#[tokio::test]
async fn cancelled_claim_leaves_nothing_behind() {
    let admin = client("v0.5.6").await;
    let ns = namespace(&admin, "rs-cancel-claim").await;
    refuse_pods(&admin, &ns).await;
    let templates = ResourceRef::of(Kind::SandboxTemplate, Version::V1alpha1);
    let template = json!({"apiVersion":"extensions.agents.x-k8s.io/v1alpha1","kind":"SandboxTemplate",
        "metadata":{"name":"agentpane-default"},
        // Restricted-compliant, so that only the policy refuses its pods.
        "spec":{"podTemplate":{"metadata":{},"spec":restricted_spec("sandbox", POOL_IMAGE)}}});
    admin.create(&templates, &ns, template).await.unwrap();
    let p = KubernetesProvider::new(
        admin.clone(),
        KubernetesProviderOptions {
            namespace: ns.clone(),
            enable_warm_pool: true,
            warm_pool_size: 0,
            ready_timeout: Duration::from_secs(120),
            default_network_mode: NetworkMode::None,
            ..KubernetesProviderOptions::default()
        },
    );
    p.init_warm_pool().await.unwrap();
    let cancel = agent_sandbox::provider::CancellationToken::new();
    let creating = {
        let (p, cancel) = (p.clone(), cancel.clone());
        tokio::spawn(async move {
            p.create_cancellable(config("cs-claim", POOL_IMAGE), cancel)
                .await
        })
    };
    let claims = ResourceRef::of(Kind::SandboxClaim, Version::V1alpha1);
    let count = |r: ResourceRef| {
        let (admin, ns) = (admin.clone(), ns.clone());
        async move {
            admin.list(&r, &ns, &Default::default()).await.unwrap()["items"]
                .as_array()
                .map_or(0, Vec::len)
        }
    };
    until("the claim to exist", || async {
        count(claims.clone()).await == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    cancel.cancel();
    let err = tokio::time::timeout(Duration::from_secs(5), creating)
        .await
        .expect("create() ends promptly once cancelled")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code().as_str(), "CANCELLED", "{err}");
    until("the claim to be gone", || async {
        count(claims.clone()).await == 0
    })
    .await;
    let policies = ResourceRef::new("networking.k8s.io", "v1", "networkpolicies");
    assert_eq!(labelled(&admin, &policies, &ns, LABEL_SANDBOX_ID).await, 0);
    // No cold fallback was made for the codespace.
    let sandboxes = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    let cold = labelled(&admin, &sandboxes, &ns, "agentpane.io/project-id=cs-claim").await;
    assert_eq!(cold, 0);
    allow_pods(&admin, &ns).await;
    delete_namespace(&admin, &ns).await;
}

/// A TCP server for the test node (whose pods' commands run on this host,
/// so it stays on loopback): it answers each line with the line upper-cased.
const UPPER_SERVER: &str = "const s = require('net').createServer((c) => { \
     let b = ''; c.on('data', (d) => { b += d; let i; \
     while ((i = b.indexOf('\\n')) >= 0) { c.write(b.slice(0, i).toUpperCase() + '\\n'); b = b.slice(i + 1); } }); }); \
     s.listen(0, '127.0.0.1', () => console.log(s.address().port));";

/// Ports and logs through the API server's `portforward` and `log`
/// subresources: parallel connections, a refused port, tail and follow.
#[tokio::test]
async fn ports_and_logs_v056() {
    use agent_sandbox::ErrorCode;
    use agent_sandbox::logs::LogOptions;
    use agent_sandbox::port_forward::PortForwardOptions;
    use agent_sandbox::provider::SandboxPorts;
    use futures::StreamExt;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let admin = client("v0.5.6").await;
    let ns = namespace(&admin, "rs-ports").await;
    let p = provider(&admin, &ns, false);
    let sandbox = p
        .create(config("cs-ports", "agentpane/agent:test"))
        .await
        .unwrap();

    let mut server = sandbox
        .exec_stream(&AgentCommand {
            cmd: "node".into(),
            args: vec!["-e".into(), UPPER_SERVER.into()],
            kill_signal: Some("SIGTERM".into()),
            ..AgentCommand::default()
        })
        .await
        .unwrap();
    let port = sandbox_io::printed_port(&mut server.stdout().unwrap()).await;

    let forward = sandbox
        .forward_port(port, PortForwardOptions::default())
        .await
        .unwrap();
    let clients = (0..4).map(|i| {
        let addr = forward.local_addr();
        async move {
            let c = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (r, mut w) = c.into_split();
            let mut lines = BufReader::new(r).lines();
            for n in 0..20 {
                w.write_all(format!("client {i} line {n}\n").as_bytes())
                    .await
                    .unwrap();
                let answer = lines.next_line().await.unwrap().unwrap();
                assert_eq!(answer, format!("CLIENT {i} LINE {n}"));
            }
        }
    });
    futures::future::join_all(clients).await;
    forward.close();
    forward.closed().await;

    // Nobody listens on port 9: the first connection is closed and the
    // forward reports why.
    let refused = sandbox
        .forward_port(9, PortForwardOptions::default())
        .await
        .unwrap();
    let mut c = tokio::net::TcpStream::connect(refused.local_addr())
        .await
        .unwrap();
    let _ = c.write_all(b"hello\n").await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), c.read_to_end(&mut rest))
        .await
        .expect("the connection is closed, not left hanging");
    let err = tokio::time::timeout(Duration::from_secs(30), refused.next_error())
        .await
        .unwrap()
        .expect("a failure is reported");
    assert_eq!(err.code(), ErrorCode::PortForwardFailed);
    assert_eq!(err.status(), Some(502));

    // The container's log: the test node keeps what the pod's commands
    // print to $SDK_TESTENV_STDOUT (a container's PID 1 stdout elsewhere).
    let print = |text: &str| {
        let argv = vec![
            "-c".to_string(),
            "printf '%s\\n' \"$1\" > \"${SDK_TESTENV_STDOUT:-/proc/1/fd/1}\"".to_string(),
            "sh".to_string(),
            text.to_string(),
        ];
        let sandbox = sandbox.clone();
        async move { assert_eq!(sandbox.exec("sh", &argv).await.unwrap().exit_code, 0) }
    };
    for l in ["one", "two", "three"] {
        print(l).await;
    }
    let tail = LogOptions {
        tail_lines: Some(2),
        ..LogOptions::default()
    };
    let lines = sandbox_io::all_lines(sandbox.logs(&tail).await.unwrap()).await;
    assert_eq!(lines, vec!["two", "three"]);
    let follow = LogOptions {
        follow: true,
        tail_lines: Some(0),
        ..LogOptions::default()
    };
    let mut followed = sandbox.logs(&follow).await.unwrap();
    print("four").await;
    let next = tokio::time::timeout(Duration::from_secs(30), followed.next())
        .await
        .unwrap();
    assert_eq!(next.unwrap().unwrap(), "four");
    drop(followed);

    server.abort();
    sandbox.stop("test").await.unwrap();
    delete_namespace(&admin, &ns).await;
}
