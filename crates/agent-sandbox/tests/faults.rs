//! Faults the real API server does not produce on demand, against a small
//! loopback stand-in: a server that accepts requests and never answers.

use std::time::Duration;

use agent_sandbox::client::Client;
use agent_sandbox::{ErrorCode, ResourceRef};

#[tokio::test]
async fn a_server_that_never_answers_gives_a_coded_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold every connection without reading or writing.
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let config = kube::Config::new(format!("http://127.0.0.1:{port}").parse().unwrap());
    let client = Client::try_from_config(config)
        .unwrap()
        .with_request_timeout(Duration::from_millis(300));
    // The outer guard only turns a hang into a failure.
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        client.get(&ResourceRef::new("", "v1", "namespaces"), "", "default"),
    )
    .await
    .expect("the request deadline ends the call")
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout, "{err}");
    assert!(
        err.to_string().contains("/api/v1/namespaces/default"),
        "{err}"
    );
    server.abort();
}

/// A server that ends every watch at once, cleanly (an overloaded or
/// misconfigured API server or proxy): the watch must back off between
/// restarts, not reconnect in a hot loop. Lists answer with no items.
#[tokio::test]
async fn a_watch_that_the_server_closes_at_once_backs_off() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (lists, watches) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let counts = (lists.clone(), watches.clone());
    let server = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (lists, watches) = (counts.0.clone(), counts.1.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head);
                let body = if line.lines().next().unwrap_or("").contains("watch=true") {
                    watches.fetch_add(1, Ordering::SeqCst);
                    String::new()
                } else {
                    lists.fetch_add(1, Ordering::SeqCst);
                    r#"{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}"#.to_string()
                };
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    let config = kube::Config::new(format!("http://127.0.0.1:{port}").parse().unwrap());
    let client = Client::try_from_config(config).unwrap();
    let mut watch = client.watch(
        &ResourceRef::new("", "v1", "configmaps"),
        "default",
        Default::default(),
    );
    // Nothing arrives: the watch keeps restarting for these 4 s.
    let ended = tokio::time::timeout(Duration::from_secs(4), watch.next()).await;
    assert!(ended.is_err(), "the watch should keep trying, not end");
    watch.stop();
    // Started from a list; then 250 ms, 500 ms, 1 s, 2 s between restarts
    // (with jitter): about five requests, where a hot loop makes thousands.
    let watches = watches.load(Ordering::SeqCst);
    assert_eq!(lists.load(Ordering::SeqCst), 1);
    assert!(
        (3..=8).contains(&watches),
        "{watches} watch requests in 4 s"
    );
    server.abort();
}
