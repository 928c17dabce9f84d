//! An HTTP CONNECT tunnel (RFC 9110 §9.3.6) over a connection to an
//! `http://` proxy.
//!
//! Written here rather than taken from hyper-util because its tunnel keeps
//! neither the proxy's status nor its reason, and those are what tell a user
//! why a proxy said no.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Proxy;
use super::ProxyConnectError;

/// The most of a proxy's answer read before giving up on it.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;

/// Asks the proxy on `stream` for a tunnel to `target` (`host:port`); on
/// success the stream carries the server's bytes from then on.
pub(crate) async fn open<S>(
    stream: &mut S,
    proxy: &Proxy,
    target: &str,
) -> Result<(), ProxyConnectError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let io = |source| ProxyConnectError::Io {
        proxy: proxy.address(),
        target: target.to_string(),
        source,
    };
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(auth) = proxy.basic_authorization() {
        request.push_str("Proxy-Authorization: ");
        request.push_str(auth.expose());
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;

    let head = read_head(stream).await.map_err(|e| match e {
        HeadError::Io(e) => io(e),
        HeadError::Closed => ProxyConnectError::Closed {
            proxy: proxy.address(),
            target: target.to_string(),
        },
        HeadError::TooLong => ProxyConnectError::NotHttp {
            proxy: proxy.address(),
            target: target.to_string(),
        },
    })?;
    let (status, reason) = status_line(&head).ok_or_else(|| ProxyConnectError::NotHttp {
        proxy: proxy.address(),
        target: target.to_string(),
    })?;
    if (200..300).contains(&status) {
        return Ok(());
    }
    let hint = match (status, proxy.has_credentials()) {
        (407, true) => " (the proxy did not accept the user name and password of the proxy URL)",
        (407, false) => {
            " (the proxy wants credentials: put them in the proxy URL, http://user:password@host:port)"
        }
        _ => "",
    };
    Err(ProxyConnectError::Refused {
        proxy: proxy.address(),
        target: target.to_string(),
        status,
        reason,
        hint,
    })
}

enum HeadError {
    Io(std::io::Error),
    Closed,
    TooLong,
}

/// The response head, up to its blank line. Read a byte at a time so that
/// nothing after it (the server's first bytes) is taken from the stream;
/// it is a few dozen bytes, once per connection.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(128);
    loop {
        let mut byte = [0u8; 1];
        match stream.read(&mut byte).await {
            Ok(0) => return Err(HeadError::Closed),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(HeadError::Io(e)),
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(head);
        }
        if head.len() >= MAX_RESPONSE_HEAD {
            return Err(HeadError::TooLong);
        }
    }
}

/// The status code and reason of `HTTP/1.x NNN reason`; the reason is kept
/// printable and short (it is the proxy's text, shown to the user).
fn status_line(head: &[u8]) -> Option<(u16, String)> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    let rest = line.strip_prefix("HTTP/1.")?;
    let mut parts = rest.splitn(3, ' ');
    let _minor = parts.next().filter(|v| v.len() == 1)?;
    let code = parts.next().filter(|c| c.len() == 3)?;
    let status: u16 = code.parse().ok()?;
    let reason: String = parts
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    Some((status, reason.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::ProxySource;
    use tokio::io::AsyncBufReadExt;

    fn proxy(url: &str) -> Proxy {
        Proxy::parse(url, ProxySource::Kubeconfig).unwrap()
    }

    /// Runs the handshake against a scripted proxy answering `reply`;
    /// returns the result and the request the proxy received.
    async fn handshake(url: &str, reply: &'static [u8]) -> (Result<(), ProxyConnectError>, String) {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let peer = tokio::spawn(async move {
            let mut server = tokio::io::BufReader::new(server);
            let mut request = String::new();
            loop {
                let mut line = String::new();
                if server.read_line(&mut line).await.unwrap() == 0 {
                    break;
                }
                request.push_str(&line);
                if line == "\r\n" {
                    break;
                }
            }
            server.get_mut().write_all(reply).await.unwrap();
            // The server's first bytes, which the handshake must leave alone.
            server.get_mut().write_all(b"SERVER").await.unwrap();
            request
        });
        let result = open(&mut client, &proxy(url), "api.example:6443").await;
        if result.is_ok() {
            let mut first = [0u8; 6];
            client.read_exact(&mut first).await.unwrap();
            assert_eq!(&first, b"SERVER");
        }
        (result, peer.await.unwrap())
    }

    #[tokio::test]
    async fn a_2xx_answer_opens_the_tunnel_and_leaves_the_servers_bytes() {
        let (result, request) = handshake(
            "http://127.0.0.1:3128",
            b"HTTP/1.1 200 Connection established\r\n\r\n",
        )
        .await;
        result.unwrap();
        assert!(
            request.starts_with("CONNECT api.example:6443 HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(request.contains("Host: api.example:6443\r\n"), "{request}");
        assert!(!request.contains("Proxy-Authorization"), "{request}");
    }

    #[tokio::test]
    async fn credentials_are_decoded_and_sent_as_basic_auth() {
        let (result, request) = handshake(
            "http://us%40er:pa%3Ass%20word@127.0.0.1:3128",
            b"HTTP/1.0 200 OK\r\nVia: test\r\n\r\n",
        )
        .await;
        result.unwrap();
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD.encode("us@er:pa:ss word");
        assert!(
            request.contains(&format!("Proxy-Authorization: Basic {expected}\r\n")),
            "{request}"
        );
    }

    #[tokio::test]
    async fn a_407_names_the_proxy_and_hides_the_password() {
        let (result, _) = handshake(
            "http://user:s3cret-canary@127.0.0.1:3128",
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n",
        )
        .await;
        let err = result.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("s3cret-canary"), "{text}");
        assert!(
            err.to_string().starts_with(
                "the proxy 127.0.0.1:3128 refused to open a tunnel to api.example:6443: HTTP 407 Proxy Authentication Required"
            ),
            "{err}"
        );
        assert!(err.to_string().contains("did not accept"), "{err}");
    }

    #[tokio::test]
    async fn refusals_closes_and_garbage_are_errors_naming_the_proxy() {
        let (result, _) =
            handshake("http://127.0.0.1:3128", b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
        let err = result.unwrap_err();
        assert!(
            matches!(err, ProxyConnectError::Refused { status: 403, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("HTTP 403 Forbidden"), "{err}");

        let (result, _) = handshake("http://127.0.0.1:3128", b"SSH-2.0-OpenSSH\r\n\r\n").await;
        assert!(
            matches!(result, Err(ProxyConnectError::NotHttp { .. })),
            "{result:?}"
        );

        let (result, _) = handshake("http://127.0.0.1:3128", b"HTTP/1.1 200 OK\r\n").await;
        // The proxy's bytes end without a blank line: "SERVER" then EOF.
        assert!(
            matches!(result, Err(ProxyConnectError::Closed { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            status_line(b"HTTP/1.1 200 OK\r\n\r\n"),
            Some((200, "OK".into()))
        );
        assert_eq!(
            status_line(b"HTTP/1.0 502\r\n\r\n"),
            Some((502, String::new()))
        );
        assert_eq!(status_line(b"HTTP/2 200 OK\r\n\r\n"), None);
        assert_eq!(status_line(b"HTTP/1.1 2000 OK\r\n\r\n"), None);
        assert_eq!(
            status_line(b"HTTP/1.1 403 No\x1b[31m way\r\n\r\n"),
            Some((403, "No[31m way".into()))
        );
    }
}
