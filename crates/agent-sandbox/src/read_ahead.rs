//! Socket reads in large gulps under TLS. rustls asks its transport for at
//! most 4 KiB per read, so a streamed exec or a large list cost a system call
//! per 4 KiB (a quarter of a million per GB; Node's TLS reads 64 KiB). Here a
//! read for less than [`GULP`] reads up to `GULP` into a buffer and serves the
//! rest from it. The buffer exists only while data is flowing: it is freed as
//! soon as it is drained and the socket has nothing more, so an idle
//! connection (a watch, an exec waiting on its command) holds none.

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::{Connected, Connection};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most read from the socket at once.
pub(crate) const GULP: usize = 64 * 1024;

pub(crate) struct ReadAhead<S> {
    inner: S,
    /// Read from the socket, not yet handed out: `buf[start..end]`. Left
    /// uninitialised when made (zeroing 64 KiB per burst is wasted work);
    /// `buf[..end]` is always what the last socket read filled.
    buf: Option<Box<[MaybeUninit<u8>]>>,
    start: usize,
    end: usize,
}

impl<S> ReadAhead<S> {
    pub(crate) fn new(inner: S) -> Self {
        ReadAhead {
            inner,
            buf: None,
            start: 0,
            end: 0,
        }
    }

    /// Hands out what is buffered; frees the buffer once it is drained.
    fn serve(&mut self, out: &mut ReadBuf<'_>) {
        if let Some(buf) = &self.buf {
            let n = (self.end - self.start).min(out.remaining());
            let ready = &buf[self.start..self.start + n];
            // SAFETY: `buf[..end]` was filled by the last socket read
            // (`ReadBuf::filled`), and `start + n <= end`.
            let ready = unsafe { &*(ready as *const [MaybeUninit<u8>] as *const [u8]) };
            out.put_slice(ready);
            self.start += n;
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReadAhead<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.start < this.end {
            this.serve(out);
            return Poll::Ready(Ok(()));
        }
        // A large read needs no buffer of ours.
        if out.remaining() >= GULP {
            this.buf = None;
            return Pin::new(&mut this.inner).poll_read(cx, out);
        }
        let buf = this.buf.get_or_insert_with(|| Box::new_uninit_slice(GULP));
        let mut gulp = ReadBuf::uninit(buf);
        match Pin::new(&mut this.inner).poll_read(cx, &mut gulp) {
            Poll::Ready(Ok(())) => {
                (this.start, this.end) = (0, gulp.filled().len());
                this.serve(out);
                Poll::Ready(Ok(()))
            }
            other => {
                // Nothing flowing: keep no buffer while waiting.
                this.buf = None;
                (this.start, this.end) = (0, 0);
                other
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ReadAhead<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<S: Connection> Connection for ReadAhead<S> {
    fn connected(&self) -> Connected {
        self.inner.connected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn small_reads_see_every_byte_in_order_and_the_buffer_goes_when_idle() {
        let (mut writer, reader) = tokio::io::duplex(256 * 1024);
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let sent = data.clone();
        let writing = tokio::spawn(async move {
            writer.write_all(&sent).await.unwrap();
            writer
        });
        let mut ahead = ReadAhead::new(reader);
        let mut got = Vec::new();
        let mut small = [0u8; 4096];
        while got.len() < data.len() {
            let n = ahead.read(&mut small).await.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&small[..n]);
        }
        assert_eq!(got, data);
        let _writer = writing.await.unwrap();
        // Drained, and the socket has nothing: the next read waits bufferless.
        let waiting = futures::FutureExt::now_or_never(ahead.read(&mut small));
        assert!(waiting.is_none());
        assert!(ahead.buf.is_none());
    }

    #[tokio::test]
    async fn end_of_stream_reads_zero() {
        let (writer, reader) = tokio::io::duplex(1024);
        drop(writer);
        let mut ahead = ReadAhead::new(reader);
        let mut small = [0u8; 16];
        assert_eq!(ahead.read(&mut small).await.unwrap(), 0);
    }
}
