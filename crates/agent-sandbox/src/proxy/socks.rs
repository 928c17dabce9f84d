//! A SOCKS5 CONNECT (RFC 1928) with user/password authentication
//! (RFC 1929) over a connection to a `socks5://` proxy.
//!
//! Written here rather than taken from hyper-util: its SOCKS errors drop
//! their cause and its `Debug` shows the password.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Proxy;
use super::ProxyConnectError;

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0x00;
const USER_PASSWORD: u8 = 0x02;
const NO_ACCEPTABLE_METHOD: u8 = 0xff;

/// Asks the SOCKS5 proxy on `stream` to connect to `host` (a name, resolved
/// by the proxy, or an IP address without brackets) and `port`.
pub(crate) async fn open<S>(
    stream: &mut S,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<(), ProxyConnectError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let target = super::host_port(host, port);
    let io = |source| ProxyConnectError::Io {
        proxy: proxy.address(),
        target: target.clone(),
        source,
    };
    let protocol = |problem| ProxyConnectError::SocksProtocol {
        proxy: proxy.address(),
        problem,
    };
    let address = address(host).map_err(|problem| ProxyConnectError::Target {
        proxy: proxy.address(),
        target: target.clone(),
        problem,
    })?;

    let credentials = proxy.credentials();
    let greeting: &[u8] = match credentials {
        Some(_) => &[VERSION, 2, NO_AUTH, USER_PASSWORD],
        None => &[VERSION, 1, NO_AUTH],
    };
    stream.write_all(greeting).await.map_err(io)?;
    let mut choice = [0u8; 2];
    stream.read_exact(&mut choice).await.map_err(io)?;
    if choice[0] != VERSION {
        return Err(protocol("not a SOCKS5 answer"));
    }
    match (choice[1], credentials) {
        (NO_AUTH, _) => {}
        (USER_PASSWORD, Some((user, password))) => {
            // Lengths were checked when the URL was parsed (at most 255).
            let mut request = vec![1, user.len() as u8];
            request.extend_from_slice(user.as_bytes());
            request.push(password.len() as u8);
            request.extend_from_slice(password.as_bytes());
            stream.write_all(&request).await.map_err(io)?;
            let mut status = [0u8; 2];
            stream.read_exact(&mut status).await.map_err(io)?;
            if status[1] != 0 {
                return Err(ProxyConnectError::SocksAuth {
                    proxy: proxy.address(),
                    problem: "did not accept the user name and password of the proxy URL",
                });
            }
        }
        (NO_ACCEPTABLE_METHOD, None) => {
            return Err(ProxyConnectError::SocksAuth {
                proxy: proxy.address(),
                problem: "wants credentials: put them in the proxy URL, socks5://user:password@host:port",
            });
        }
        (NO_ACCEPTABLE_METHOD, Some(_)) => {
            return Err(ProxyConnectError::SocksAuth {
                proxy: proxy.address(),
                problem: "accepts neither no authentication nor a user name and password",
            });
        }
        _ => return Err(protocol("it chose an authentication method not offered")),
    }

    let mut request = vec![VERSION, 1 /* CONNECT */, 0];
    request.extend_from_slice(&address);
    request.extend_from_slice(&port.to_be_bytes());
    stream.write_all(&request).await.map_err(io)?;
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).await.map_err(io)?;
    if reply[0] != VERSION {
        return Err(protocol("not a SOCKS5 answer"));
    }
    if reply[1] != 0 {
        return Err(ProxyConnectError::SocksRefused {
            proxy: proxy.address(),
            target,
            reason: reply_reason(reply[1]),
        });
    }
    // The address the proxy bound: read and dropped.
    let bound = match reply[3] {
        1 => 4,
        4 => 16,
        3 => {
            let mut len = [0u8; 1];
            stream.read_exact(&mut len).await.map_err(io)?;
            usize::from(len[0])
        }
        _ => return Err(protocol("an unknown address type in its reply")),
    };
    let mut rest = vec![0u8; bound + 2];
    stream.read_exact(&mut rest).await.map_err(io)?;
    Ok(())
}

/// The address field of a request: IPv4, IPv6 or a name.
fn address(host: &str) -> Result<Vec<u8>, &'static str> {
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => Ok([&[1u8][..], &ip.octets()].concat()),
        Ok(std::net::IpAddr::V6(ip)) => Ok([&[4u8][..], &ip.octets()].concat()),
        Err(_) if host.is_empty() || host.len() > 255 => {
            Err("SOCKS5 takes host names of 1 to 255 bytes")
        }
        Err(_) => Ok([&[3u8, host.len() as u8][..], host.as_bytes()].concat()),
    }
}

fn reply_reason(code: u8) -> &'static str {
    match code {
        1 => "general failure",
        2 => "not allowed by its rules",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "an unknown reply code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::ProxySource;

    fn proxy(url: &str) -> Proxy {
        Proxy::parse(url, ProxySource::Kubeconfig).unwrap()
    }

    /// A scripted SOCKS5 server: checks what it reads, answers with `replies`
    /// in order (one per read step), and returns everything it read.
    async fn script(
        url: &str,
        host: &str,
        steps: Vec<(usize, Vec<u8>)>,
    ) -> (Result<(), ProxyConnectError>, Vec<u8>) {
        let (mut client, mut server) = tokio::io::duplex(4096);
        let peer = tokio::spawn(async move {
            let mut seen = Vec::new();
            for (read, reply) in steps {
                let mut buf = vec![0u8; read];
                if server.read_exact(&mut buf).await.is_err() {
                    break;
                }
                seen.extend_from_slice(&buf);
                server.write_all(&reply).await.unwrap();
            }
            seen
        });
        let result = open(&mut client, &proxy(url), host, 6443).await;
        drop(client);
        (result, peer.await.unwrap())
    }

    const OK_REPLY: [u8; 10] = [5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90];

    #[tokio::test]
    async fn connects_by_name_without_credentials() {
        let host = "api.example";
        let request_len = 4 + 1 + host.len() + 2;
        let (result, seen) = script(
            "socks5://127.0.0.1:1080",
            host,
            vec![(3, vec![5, 0]), (request_len, OK_REPLY.to_vec())],
        )
        .await;
        result.unwrap();
        let mut expected = vec![5, 1, 0, 5, 1, 0, 3, host.len() as u8];
        expected.extend_from_slice(host.as_bytes());
        expected.extend_from_slice(&6443u16.to_be_bytes());
        assert_eq!(seen, expected);
    }

    #[tokio::test]
    async fn authenticates_with_the_decoded_credentials() {
        let (result, seen) = script(
            "socks5h://us%3Aer:p%40ss@127.0.0.1:1080",
            "10.1.2.3",
            vec![
                (4, vec![5, 2]),
                (3 + 5 + 4, vec![1, 0]),
                (4 + 4 + 2, OK_REPLY.to_vec()),
            ],
        )
        .await;
        result.unwrap();
        assert_eq!(&seen[..4], &[5, 2, 0, 2]);
        assert_eq!(&seen[4..16], b"\x01\x05us:er\x04p@ss");
        assert_eq!(&seen[16..], &[5, 1, 0, 1, 10, 1, 2, 3, 0x19, 0x2b]);
    }

    #[tokio::test]
    async fn refusals_name_the_proxy_and_never_the_password() {
        let (result, _) = script(
            "socks5://user:s3cret-canary@127.0.0.1:1080",
            "::1",
            vec![(4, vec![5, 2]), (3 + 4 + 13, vec![1, 1])],
        )
        .await;
        let err = result.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("s3cret-canary"), "{text}");
        assert_eq!(
            err.to_string(),
            "the SOCKS5 proxy 127.0.0.1:1080 did not accept the user name and password of the proxy URL"
        );

        let (result, _) = script(
            "socks5://127.0.0.1:1080",
            "::1",
            vec![(3, vec![5, 0]), (4 + 16 + 2, vec![5, 5, 0, 1])],
        )
        .await;
        assert_eq!(
            result.unwrap_err().to_string(),
            "the SOCKS5 proxy 127.0.0.1:1080 refused the connection to [::1]:6443: connection refused"
        );

        let (result, _) = script("socks5://127.0.0.1:1080", "x", vec![(3, vec![5, 0xff])]).await;
        assert!(
            result
                .unwrap_err()
                .to_string()
                .contains("wants credentials")
        );

        let (result, _) = script(
            "socks5://127.0.0.1:1080",
            "x",
            vec![(3, b"HTTP/1.1".to_vec())],
        )
        .await;
        assert!(
            matches!(result, Err(ProxyConnectError::SocksProtocol { .. })),
            "{result:?}"
        );
    }
}
