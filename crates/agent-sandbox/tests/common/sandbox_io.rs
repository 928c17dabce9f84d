//! Reading what a sandbox gives back in tests: the port a server started
//! in it prints on its first line, and a whole log.

use agent_sandbox::logs::LogLines;
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads `out` up to the first line end and parses it as a port number.
pub async fn printed_port(out: &mut (impl AsyncRead + Unpin)) -> u16 {
    let mut printed = Vec::new();
    while !printed.ends_with(b"\n") {
        let mut b = [0u8; 64];
        let n = out.read(&mut b).await.unwrap();
        assert!(n > 0, "the server ended before printing its port");
        printed.extend_from_slice(&b[..n]);
    }
    let text = String::from_utf8(printed).unwrap();
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("the server printed {text:?}, not a port"))
}

/// Every line of a finished log stream.
pub async fn all_lines(lines: LogLines) -> Vec<String> {
    lines.map(|l| l.expect("a log line")).collect().await
}
