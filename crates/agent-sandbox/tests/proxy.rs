//! The client through proxies, against loopback stand-ins: an API server
//! that answers every request with one Namespace, an HTTP CONNECT proxy and
//! a SOCKS5 proxy, each recording where it was asked to connect. The real
//! cluster through a proxy is tested from JS (`__test__/proxy.test.mjs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_sandbox::client::Client;
use agent_sandbox::config::client_config_with;
use agent_sandbox::proxy::ProxyEnv;
use agent_sandbox::{ErrorCode, ResourceRef};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Where each proxy was asked to connect, and what it was sent.
type Log = Arc<Mutex<Vec<String>>>;

/// A plain-HTTP API server answering every request with a Namespace.
async fn api_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut socket = BufReader::new(socket);
                loop {
                    // One request head (no bodies: only GETs are sent here).
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if socket.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let body =
                        r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}"#;
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.get_mut().write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// An HTTP CONNECT proxy sending every tunnel to 127.0.0.1:`api_port`
/// (whatever name it was asked for); with `password`, it wants Basic auth.
async fn connect_proxy(api_port: u16, password: Option<&'static str>) -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Log::default();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut socket = BufReader::new(socket);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if socket.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push_str(&line);
                    if line == "\r\n" {
                        break;
                    }
                }
                seen.lock().unwrap().push(head.clone());
                if let Some(password) = password {
                    use base64::Engine;
                    let want = base64::engine::general_purpose::STANDARD
                        .encode(format!("user:{password}"));
                    if !head.contains(&format!("Proxy-Authorization: Basic {want}\r\n")) {
                        let _ = socket
                            .get_mut()
                            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n")
                            .await;
                        return;
                    }
                }
                let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", api_port)).await else {
                    return;
                };
                let mut socket = socket.into_inner();
                let _ = socket
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut socket, &mut upstream).await;
            });
        }
    });
    (port, log)
}

/// A SOCKS5 proxy (no authentication) sending every connection to
/// 127.0.0.1:`api_port`; logs the requested host and port.
async fn socks_proxy(api_port: u16) -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Log::default();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut greeting = [0u8; 2];
                socket.read_exact(&mut greeting).await.unwrap();
                let mut methods = vec![0u8; usize::from(greeting[1])];
                socket.read_exact(&mut methods).await.unwrap();
                socket.write_all(&[5, 0]).await.unwrap();
                let mut request = [0u8; 4];
                socket.read_exact(&mut request).await.unwrap();
                assert_eq!(request[3], 3, "the name goes to the proxy");
                let mut len = [0u8; 1];
                socket.read_exact(&mut len).await.unwrap();
                let mut name = vec![0u8; usize::from(len[0]) + 2];
                socket.read_exact(&mut name).await.unwrap();
                let port = u16::from_be_bytes([name[name.len() - 2], name[name.len() - 1]]);
                let host = String::from_utf8_lossy(&name[..name.len() - 2]).into_owned();
                seen.lock().unwrap().push(format!("{host}:{port}"));
                let mut upstream = TcpStream::connect(("127.0.0.1", api_port)).await.unwrap();
                socket
                    .write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut socket, &mut upstream).await;
            });
        }
    });
    (port, log)
}

fn kubeconfig(server: &str, proxy_url: Option<&str>) -> kube::config::Kubeconfig {
    let proxy = proxy_url
        .map(|p| format!("    proxy-url: {p}\n"))
        .unwrap_or_default();
    kube::config::Kubeconfig::from_yaml(&format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n{proxy}\
         users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n\
         current-context: x\n"
    ))
    .unwrap()
}

fn env(vars: &[(&str, String)]) -> ProxyEnv {
    let vars = vars.to_vec();
    ProxyEnv::from_lookup(move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
}

async fn get_namespace(
    kubeconfig: kube::config::Kubeconfig,
    env: &ProxyEnv,
) -> agent_sandbox::Result<String> {
    let config = client_config_with(kubeconfig, env).await?;
    let client = Client::try_from_config(config)?.with_request_timeout(Duration::from_secs(10));
    let ns = client
        .get(&ResourceRef::new("", "v1", "namespaces"), "", "default")
        .await?;
    Ok(ns["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

#[tokio::test]
async fn the_kubeconfig_proxy_url_carries_requests_through_a_connect_tunnel() {
    let api = api_server().await;
    let (proxy, log) = connect_proxy(api, None).await;
    // The name resolves nowhere: only the proxy can reach it.
    let server = format!("http://api.proxy-test.invalid:{api}");
    let proxy_url = format!("http://127.0.0.1:{proxy}");
    let name = get_namespace(kubeconfig(&server, Some(&proxy_url)), &ProxyEnv::default())
        .await
        .unwrap();
    assert_eq!(name, "default");
    let log = log.lock().unwrap();
    assert!(
        log[0].starts_with(&format!(
            "CONNECT api.proxy-test.invalid:{api} HTTP/1.1\r\n"
        )),
        "{log:?}"
    );
}

#[tokio::test]
async fn socks5_proxies_get_the_servers_name() {
    let api = api_server().await;
    let (proxy, log) = socks_proxy(api).await;
    let server = format!("http://api.proxy-test.invalid:{api}");
    let proxy_url = format!("socks5://127.0.0.1:{proxy}");
    let name = get_namespace(kubeconfig(&server, Some(&proxy_url)), &ProxyEnv::default())
        .await
        .unwrap();
    assert_eq!(name, "default");
    assert_eq!(
        *log.lock().unwrap(),
        vec![format!("api.proxy-test.invalid:{api}")]
    );
}

#[tokio::test]
async fn the_environment_proxy_applies_unless_no_proxy_matches() {
    let api = api_server().await;
    let (proxy, log) = connect_proxy(api, None).await;
    let server = format!("http://api.proxy-test.invalid:{api}");
    let proxy_url = format!("127.0.0.1:{proxy}");
    let name = get_namespace(
        kubeconfig(&server, None),
        &env(&[("HTTP_PROXY", proxy_url.clone())]),
    )
    .await
    .unwrap();
    assert_eq!(name, "default");
    assert_eq!(log.lock().unwrap().len(), 1);

    // NO_PROXY matches: a direct connection, which cannot resolve the name.
    let err = get_namespace(
        kubeconfig(&server, None),
        &env(&[("HTTP_PROXY", proxy_url), ("NO_PROXY", ".invalid".into())]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unreachable, "{err}");
    assert!(!err.to_string().contains("proxy"), "{err}");
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_refusing_or_absent_proxy_is_a_coded_error_without_the_password() {
    let api = api_server().await;
    let (proxy, log) = connect_proxy(api, Some("right-password")).await;
    let server = format!("http://api.proxy-test.invalid:{api}");

    let wrong = format!("http://user:s3cret-canary@127.0.0.1:{proxy}");
    let err = get_namespace(kubeconfig(&server, Some(&wrong)), &ProxyEnv::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unreachable, "{err}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("s3cret-canary"), "{text}");
    assert!(
        err.to_string()
            .contains(&format!("the proxy 127.0.0.1:{proxy} refused to open a tunnel to api.proxy-test.invalid:{api}: HTTP 407")),
        "{err}"
    );
    assert!(log.lock().unwrap()[0].contains("Proxy-Authorization: Basic "));

    let right = format!("http://user:right-password@127.0.0.1:{proxy}");
    let name = get_namespace(kubeconfig(&server, Some(&right)), &ProxyEnv::default())
        .await
        .unwrap();
    assert_eq!(name, "default");

    // Nothing listens on port 1.
    let gone = "http://user:s3cret-canary@127.0.0.1:1";
    let err = get_namespace(kubeconfig(&server, Some(gone)), &ProxyEnv::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unreachable, "{err}");
    assert!(
        err.to_string()
            .contains("cannot connect to the proxy 127.0.0.1:1"),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains("s3cret-canary"));
}

#[tokio::test]
async fn an_unsupported_proxy_scheme_is_a_kubeconfig_error_naming_it() {
    let err = get_namespace(
        kubeconfig(
            "https://127.0.0.1:6443",
            Some("https://user:s3cret-canary@proxy.example"),
        ),
        &ProxyEnv::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KubeConfig);
    assert!(err.to_string().contains("\"https\""), "{err}");
    assert!(!format!("{err} {err:?}").contains("s3cret-canary"));
}
