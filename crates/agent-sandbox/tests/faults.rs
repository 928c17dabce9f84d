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
