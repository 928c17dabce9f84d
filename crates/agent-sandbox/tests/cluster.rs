//! The core crate against the real local control plane (k8s/testenv), or the
//! cluster named by AGENT_SANDBOX_TEST_KUBECONFIG.

mod common;

use std::time::Duration;

use agent_sandbox::client::{Client, JsonText, ListOptions, Propagation, VersionPolicy};
use agent_sandbox::config::{KubeconfigOptions, load_kubeconfig};
use agent_sandbox::exec::ExecRequest;
use agent_sandbox::watch::WatchOptions;
use agent_sandbox::{ErrorCode, Kind, ResourceRef, Version};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn client(context: &str) -> Client {
    let options = KubeconfigOptions {
        path: Some(common::kubeconfig("v0.5.6")),
        context: Some(context.into()),
        skip_tls_verify: false,
    };
    let kubeconfig = load_kubeconfig(&options).unwrap().kubeconfig;
    Client::from_kubeconfig(kubeconfig).await.unwrap()
}

async fn namespace(client: &Client, prefix: &str) -> String {
    let name = format!("{prefix}-{:08x}", std::process::id() ^ rand_suffix());
    let ns = ResourceRef::new("", "v1", "namespaces");
    client
        .create(
            &ns,
            "",
            json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":name}}),
        )
        .await
        .unwrap();
    name
}

async fn delete_namespace(client: &Client, name: &str) {
    let namespaces = ResourceRef::new("", "v1", "namespaces");
    client
        .delete(&namespaces, "", name, Propagation::Background)
        .await
        .unwrap();
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

fn sandbox(name: &str) -> Value {
    json!({"apiVersion":"agents.x-k8s.io/v1alpha1","kind":"Sandbox","metadata":{"name":name},
        "spec":{"podTemplate":{"metadata":{},"spec":{"containers":[{"name":"sandbox","image":"busybox"}]}}}})
}

async fn wait_ready(client: &Client, ns: &str, name: &str) -> Value {
    let r = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    for _ in 0..300 {
        let obj = client.get(&r, ns, name).await.unwrap();
        let ready = obj["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        if ready {
            return obj;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{ns}/{name} never became Ready");
}

#[tokio::test]
async fn errors_carry_codes_and_statuses() {
    let admin = client("admin").await;
    let ns = namespace(&admin, "rs-errors").await;
    let r = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    let missing = admin.get(&r, &ns, "missing").await.unwrap_err();
    assert_eq!(
        (missing.code(), missing.status()),
        (ErrorCode::NotFound, Some(404))
    );
    admin.create(&r, &ns, sandbox("dup")).await.unwrap();
    let dup = admin.create(&r, &ns, sandbox("dup")).await.unwrap_err();
    assert_eq!(
        (dup.code(), dup.status()),
        (ErrorCode::AlreadyExists, Some(409))
    );
    let mut invalid = sandbox("bad");
    invalid["spec"]["replicas"] = json!(7);
    let invalid = admin.create(&r, &ns, invalid).await.unwrap_err();
    assert_eq!(
        (invalid.code(), invalid.status()),
        (ErrorCode::Invalid, Some(422))
    );
    let nobody = client("nobody").await;
    let forbidden = nobody
        .list(&r, &ns, &ListOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        (forbidden.code(), forbidden.status()),
        (ErrorCode::Forbidden, Some(403))
    );
    assert!(forbidden.to_string().contains("forbidden"), "{forbidden}");
    delete_namespace(&admin, &ns).await;
}

/// A caller speaking v1alpha1 to a server used as v1beta1-only: the SDK
/// converts both ways, and the stored object is the v1beta1 shape.
#[tokio::test]
async fn v1alpha1_callers_work_through_sdk_conversion() {
    let admin = client("admin").await;
    let served = admin.served_versions().await.unwrap();
    if !served.sandboxes.contains(&Version::V1beta1) {
        eprintln!("skipped: this cluster serves no v1beta1 (controller v0.4.x profile)");
        return;
    }
    let ns = namespace(&admin, "rs-conv").await;
    let beta_wire = admin
        .clone()
        .with_version_policy(VersionPolicy::Fixed(Version::V1beta1));
    let alpha = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    let created = beta_wire
        .create(&alpha, &ns, sandbox("conv"))
        .await
        .unwrap();
    assert_eq!(created["apiVersion"], "agents.x-k8s.io/v1alpha1");
    assert_eq!(created["spec"]["replicas"], 1);
    let paused = beta_wire
        .merge_patch(&alpha, &ns, "conv", json!({"spec":{"replicas":0}}))
        .await
        .unwrap();
    assert_eq!(paused["spec"]["replicas"], 0);
    let stored = admin
        .get(
            &ResourceRef::of(Kind::Sandbox, Version::V1beta1),
            &ns,
            "conv",
        )
        .await
        .unwrap();
    assert_eq!(stored["spec"]["operatingMode"], "Suspended");
    assert!(stored["spec"].get("replicas").is_none());
    let list = beta_wire
        .list(&alpha, &ns, &ListOptions::default())
        .await
        .unwrap();
    assert_eq!(list["items"][0]["spec"]["replicas"], 0);
    // As JSON text: converted on this route, the server's bytes on a direct one.
    let JsonText(converted) = beta_wire.get_as(&alpha, &ns, "conv").await.unwrap();
    let converted: Value = serde_json::from_str(&converted).unwrap();
    assert_eq!(converted["spec"]["replicas"], 0);
    let JsonText(direct) = admin
        .get_as(
            &ResourceRef::of(Kind::Sandbox, Version::V1beta1),
            &ns,
            "conv",
        )
        .await
        .unwrap();
    let direct: Value = serde_json::from_str(&direct).unwrap();
    assert_eq!(direct["apiVersion"], "agents.x-k8s.io/v1beta1");
    assert_eq!(direct["spec"], stored["spec"]); // status may have moved on
    // The typed v1beta1 struct reads the stored object through kube::Api.
    let typed: kube::Api<agent_sandbox::types::v1beta1::Sandbox> =
        kube::Api::namespaced(admin.kube().clone(), &ns);
    let sandbox = typed.get("conv").await.unwrap();
    assert_eq!(sandbox.spec.operating_mode.as_deref(), Some("Suspended"));
    assert_eq!(
        sandbox.spec.pod_template.pod_spec().unwrap().containers[0]
            .image
            .as_deref(),
        Some("busybox")
    );
    delete_namespace(&admin, &ns).await;
}

#[tokio::test]
async fn exec_exit_codes_output_and_stdin_half_close() {
    let admin = client("admin").await;
    let ns = namespace(&admin, "rs-exec").await;
    admin
        .create(
            &ResourceRef::of(Kind::Sandbox, Version::V1alpha1),
            &ns,
            sandbox("box"),
        )
        .await
        .unwrap();
    wait_ready(&admin, &ns, "box").await;
    let req = |cmd: &[&str], stdin: bool| ExecRequest {
        namespace: ns.clone(),
        pod: "box".into(),
        container: None,
        command: cmd.iter().map(|s| s.to_string()).collect(),
        stdin,
        tty: false,
    };
    let out = admin
        .exec_output(
            &req(&["sh", "-c", "echo out; echo err >&2; exit 3"], false),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (out.exit_code, out.stdout.as_slice(), out.stderr.as_slice()),
        (3, &b"out\n"[..], &b"err\n"[..])
    );

    let mut session = admin
        .exec(&req(&["sh", "-c", "wc -c; exit 0"], true))
        .await
        .unwrap();
    let mut stdin = session.stdin().unwrap();
    let mut stdout = session.stdout().unwrap();
    stdin.write_all(&vec![7u8; 100_000]).await.unwrap();
    stdin.shutdown().await.unwrap();
    drop(stdin);
    let mut text = String::new();
    stdout.read_to_string(&mut text).await.unwrap();
    assert_eq!(text.trim(), "100000");
    assert_eq!(session.wait().await.unwrap(), 0);

    let timeout = admin
        .exec_output(
            &req(&["sleep", "30"], false),
            Some(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    assert_eq!(timeout.code(), ErrorCode::Timeout);
    delete_namespace(&admin, &ns).await;
}

#[tokio::test]
async fn watch_reports_every_change_in_order() {
    let admin = client("admin").await;
    let ns = namespace(&admin, "rs-watch").await;
    let r = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    // Created first: a watch without a resourceVersion starts with the
    // current state (ADDED), which also shows that the watch is established.
    admin.create(&r, &ns, sandbox("w")).await.unwrap();
    let mut watch = admin.watch(&r, &ns, WatchOptions::default());
    let mut types = Vec::new();
    let mut next = async || {
        let ev = tokio::time::timeout(Duration::from_secs(30), watch.next())
            .await
            .expect("event in time")
            .unwrap()
            .unwrap();
        ev.event_type
    };
    types.push(next().await);
    admin
        .merge_patch(&r, &ns, "w", json!({"metadata":{"labels":{"step":"2"}}}))
        .await
        .unwrap();
    admin
        .delete(&r, &ns, "w", Propagation::Background)
        .await
        .unwrap();
    while types.last().map(String::as_str) != Some("DELETED") {
        types.push(next().await);
    }
    assert_eq!(types.first().map(String::as_str), Some("ADDED"));
    assert!(
        types[1..types.len() - 1].iter().all(|t| t == "MODIFIED"),
        "{types:?}"
    );
    watch.stop();
    assert!(watch.next().await.is_none());
    delete_namespace(&admin, &ns).await;
}

#[tokio::test]
async fn warm_pool_scale_subresource_and_api_groups() {
    let client = client("admin").await;
    let ns = namespace(&client, "scale").await;
    let pools = ResourceRef::of(Kind::SandboxWarmPool, Version::V1alpha1);
    let pool = json!({
        "apiVersion": pools.api_version(), "kind": "SandboxWarmPool",
        "metadata": {"name": "pool"},
        "spec": {"replicas": 0, "sandboxTemplateRef": {"name": "none"}},
    });
    client.create(&pools, &ns, pool).await.unwrap();

    let scale = client.set_scale(&pools, &ns, "pool", 3).await.unwrap();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 3);
    let read = client.get_scale(&pools, &ns, "pool").await.unwrap();
    assert_eq!(read["spec"]["replicas"], 3);
    let object = client.get(&pools, &ns, "pool").await.unwrap();
    assert_eq!(object["spec"]["replicas"], 3);

    let negative = client.set_scale(&pools, &ns, "pool", -1).await.unwrap_err();
    assert_eq!(negative.code(), ErrorCode::Invalid);
    let missing = client.get_scale(&pools, &ns, "nope").await.unwrap_err();
    assert!(missing.is_not_found());

    assert!(client.serves_group("networking.k8s.io").await.unwrap());
    assert!(!client.serves_group("no.such.group").await.unwrap());
    delete_namespace(&client, &ns).await;
}

#[tokio::test]
async fn watch_converts_events_and_hands_out_json_text() {
    let admin = client("admin").await;
    if !admin
        .served_versions()
        .await
        .unwrap()
        .sandboxes
        .contains(&Version::V1beta1)
    {
        eprintln!("skipped: this cluster serves no v1beta1 (controller v0.4.x profile)");
        return;
    }
    let ns = namespace(&admin, "rs-watch-conv").await;
    let alpha = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    admin.create(&alpha, &ns, sandbox("c")).await.unwrap();
    // v1alpha1 asked, v1beta1 on the wire: events come back converted.
    let beta_wire = admin
        .clone()
        .with_version_policy(VersionPolicy::Fixed(Version::V1beta1));
    let mut converted = beta_wire.watch(&alpha, &ns, WatchOptions::default());
    let ev = tokio::time::timeout(Duration::from_secs(30), converted.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(ev.object["apiVersion"], "agents.x-k8s.io/v1alpha1");
    assert_eq!(ev.object["spec"]["replicas"], 1);
    // Direct route as text: the server's event line, type and object.
    let mut direct = admin.watch(&alpha, &ns, WatchOptions::default());
    let JsonText(text) = tokio::time::timeout(Duration::from_secs(30), direct.next_json())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(event["type"], "ADDED");
    assert_eq!(event["object"]["metadata"]["name"], "c");
    delete_namespace(&admin, &ns).await;
}
