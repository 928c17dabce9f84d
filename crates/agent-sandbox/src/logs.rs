//! Container logs as a stream of lines: the pod's `log` subresource on
//! Kubernetes, the container's log on Docker; the same options and the same
//! line rule on both.
//!
//! What a sandbox prints is the agent's: a line is handed out in pieces of at
//! most [`MAX_LINE_BYTES`], and the stream is pulled, so a slow reader slows
//! the server down instead of filling memory.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt, stream::BoxStream};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};

use crate::client::Client;
use crate::error::{Error, Result};

/// The longest line handed out; longer ones come in pieces of this size.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What to read (`kubectl logs` flags).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Keep the stream open and yield lines as they are printed.
    pub follow: bool,
    /// Only lines printed in the last this many seconds (at least 1).
    pub since_seconds: Option<u64>,
    /// Only the last this many lines (then, with `follow`, new ones).
    pub tail_lines: Option<u64>,
    /// Prefix each line with its RFC 3339 time and a space.
    pub timestamps: bool,
    /// The container (default: the sandbox's).
    pub container: Option<String>,
}

impl LogOptions {
    /// Options from a JS caller's numbers (`sinceSeconds`, `tailLines`:
    /// whole numbers, absent for none).
    pub fn from_numbers(
        follow: bool,
        since_seconds: Option<f64>,
        tail_lines: Option<f64>,
        timestamps: bool,
        container: Option<String>,
    ) -> Result<Self> {
        let whole = |name: &str, value: Option<f64>, least: f64| match value {
            None => Ok(None),
            Some(n) if n.is_finite() && n.fract() == 0.0 && n >= least => {
                Ok(Some(n.min(9.0e15) as u64))
            }
            Some(n) => Err(Error::invalid_argument(format!(
                "{name} must be a whole number, at least {least}, not {n}"
            ))),
        };
        let options = LogOptions {
            follow,
            since_seconds: whole("sinceSeconds", since_seconds, 1.0)?,
            tail_lines: whole("tailLines", tail_lines, 0.0)?,
            timestamps,
            container,
        };
        options.check()?;
        Ok(options)
    }

    /// Refuses values the servers would refuse less clearly.
    pub fn check(&self) -> Result<()> {
        if self.since_seconds == Some(0) {
            return Err(Error::invalid_argument(
                "sinceSeconds must be at least 1 (leave it out for the whole log)",
            ));
        }
        if let Some(c) = &self.container {
            crate::resources::check_name(c).map_err(|_| {
                Error::invalid_argument(
                    "container must be a container name (lowercase letters, digits and '-')",
                )
            })?;
        }
        Ok(())
    }
}

/// A log as lines, without their line ends (`\n` or `\r\n`).
pub struct LogLines {
    chunks: BoxStream<'static, Result<Bytes>>,
    buf: BytesMut,
    ended: bool,
}

impl std::fmt::Debug for LogLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogLines")
            .field("buffered", &self.buf.len())
            .field("ended", &self.ended)
            .finish()
    }
}

impl LogLines {
    /// Lines of a stream of bytes.
    pub fn new(chunks: impl Stream<Item = Result<Bytes>> + Send + 'static) -> Self {
        LogLines {
            chunks: chunks.boxed(),
            buf: BytesMut::new(),
            ended: false,
        }
    }

    /// The next whole line, or a piece of [`MAX_LINE_BYTES`] of a longer one
    /// (cut before a character that would not fit), or what is left at the
    /// end.
    fn take_line(&mut self) -> Option<String> {
        let window = self.buf.len().min(MAX_LINE_BYTES + 1);
        if let Some(at) = self.buf[..window].iter().position(|&b| b == b'\n') {
            let mut line = self.buf.split_to(at + 1);
            line.truncate(at);
            if line.last() == Some(&b'\r') {
                line.truncate(at - 1);
            }
            return Some(String::from_utf8_lossy(&line).into_owned());
        }
        if self.buf.len() >= MAX_LINE_BYTES {
            let cut = utf8_cut(&self.buf[..MAX_LINE_BYTES]);
            let piece = self.buf.split_to(cut);
            return Some(String::from_utf8_lossy(&piece).into_owned());
        }
        if self.ended && !self.buf.is_empty() {
            let rest = self.buf.split();
            return Some(String::from_utf8_lossy(&rest).into_owned());
        }
        None
    }
}

/// Where to cut `bytes` so that no character is split: before a trailing
/// incomplete UTF-8 sequence (anything else is cut at the end).
fn utf8_cut(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=3.min(n) {
        let b = bytes[n - back];
        if b & 0b1100_0000 == 0b1000_0000 {
            continue; // a continuation byte: look further back
        }
        let needs = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if needs > back && n - back > 0 {
            n - back
        } else {
            n
        };
    }
    n
}

impl Stream for LogLines {
    type Item = Result<String>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(line) = self.take_line() {
                return Poll::Ready(Some(Ok(line)));
            }
            if self.ended {
                return Poll::Ready(None);
            }
            match self.chunks.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => self.buf.extend_from_slice(&chunk),
                Poll::Ready(Some(Err(e))) => {
                    self.ended = true;
                    self.buf.clear();
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => self.ended = true,
            }
        }
    }
}

impl Client {
    /// The log of `pod`'s `container` as lines. Opening is not given a
    /// deadline when following (a server may answer only once a first line
    /// is printed); cancel by dropping the stream.
    pub async fn pod_logs(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        options: &LogOptions,
    ) -> Result<LogLines> {
        options.check()?;
        crate::resources::check_namespace(namespace, false)?;
        crate::resources::check_name(pod)?;
        let params = LogParams {
            container: Some(container.to_string()),
            follow: options.follow,
            since_seconds: options
                .since_seconds
                .map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            tail_lines: options
                .tail_lines
                .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
            timestamps: options.timestamps,
            ..LogParams::default()
        };
        let api: Api<Pod> = Api::namespaced(self.kube().clone(), namespace);
        let open = api.log_stream(pod, &params);
        let body = if options.follow {
            open.await.map_err(Error::from)?
        } else {
            tokio::time::timeout(self.request_timeout(), open)
                .await
                .map_err(|_| Error::Timeout {
                    operation: format!("logs of {pod}"),
                    timeout_ms: self.request_timeout().as_millis() as u64,
                })?
                .map_err(Error::from)?
        };
        // What the body has buffered, as it comes (hyper's chunks).
        let chunks = futures::stream::try_unfold(Box::pin(body), |mut body| async move {
            use futures::AsyncBufReadExt;
            let chunk = body.fill_buf().await.map_err(|e| Error::Unreachable {
                message: format!("the log stream broke: {e}"),
            })?;
            if chunk.is_empty() {
                return Ok(None);
            }
            let chunk = Bytes::copy_from_slice(chunk);
            body.consume_unpin(chunk.len());
            Ok(Some((chunk, body)))
        });
        Ok(LogLines::new(chunks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream;
    use proptest::prelude::*;

    fn lines_of(chunks: Vec<Vec<u8>>) -> Vec<String> {
        let s = stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))));
        futures::executor::block_on(LogLines::new(s).map(|l| l.unwrap()).collect())
    }

    #[test]
    fn lines_lose_their_ends_and_keep_their_text() {
        let got = lines_of(vec![b"one\r\ntw".to_vec(), b"o\n\nthree".to_vec()]);
        assert_eq!(got, vec!["one", "two", "", "three"]);
    }

    #[test]
    fn a_long_line_comes_in_pieces_without_splitting_a_character() {
        let mut long = vec![b'a'; MAX_LINE_BYTES - 1];
        long.extend("é".as_bytes()); // would straddle the cut
        long.extend(b"tail\n");
        let got = lines_of(vec![long]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), MAX_LINE_BYTES - 1);
        assert_eq!(got[1], "étail");
    }

    #[test]
    fn an_error_ends_the_stream_after_it() {
        let s = stream::iter(vec![
            Ok(Bytes::from_static(b"a\npartial")),
            Err(Error::invalid("broken")),
            Ok(Bytes::from_static(b"never\n")),
        ]);
        let got: Vec<_> = futures::executor::block_on(LogLines::new(s).collect());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_ref().unwrap(), "a");
        assert!(got[1].is_err());
    }

    #[test]
    fn options_are_checked() {
        let bad = LogOptions {
            since_seconds: Some(0),
            ..LogOptions::default()
        };
        assert_eq!(
            bad.check().unwrap_err().code(),
            crate::ErrorCode::InvalidArgument
        );
        let bad = LogOptions {
            container: Some("../x".into()),
            ..LogOptions::default()
        };
        assert!(bad.check().is_err());
    }

    proptest! {
        /// Every byte of valid text comes back (line ends aside), however the
        /// chunks are cut, and no piece is longer than the limit.
        #[test]
        fn nothing_is_lost_and_pieces_are_bounded(
            text in "[a-zé\n]{0,400}",
            cuts in proptest::collection::vec(0usize..400, 0..8),
        ) {
            let bytes = text.as_bytes();
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            points.sort();
            let mut chunks = Vec::new();
            let mut last = 0;
            for p in points {
                chunks.push(bytes[last..p].to_vec());
                last = p;
            }
            chunks.push(bytes[last..].to_vec());
            let got = lines_of(chunks);
            let expected: Vec<&str> = text.split_inclusive('\n').map(|l| l.trim_end_matches('\n')).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
