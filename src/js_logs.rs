//! `NativeLogStream`: a sandbox's log pulled from JS in batches of lines
//! (the JS layer makes it an async iterator and a Node `Readable`).

use std::sync::Arc;

use agent_sandbox::cancel::CancellationToken;
use agent_sandbox::logs::LogLines;
use futures::{FutureExt, StreamExt};
use napi_derive::napi;
use tokio::sync::Mutex;

use crate::js_error::to_napi;

/// Lines handed to JS in one batch at most, and the bytes after which a
/// batch takes no more (so a batch stays small whatever the lines are).
const MAX_BATCH: usize = 512;
const MAX_BATCH_BYTES: usize = 1024 * 1024;

struct State {
    lines: Option<LogLines>,
    /// A failure after lines already taken: delivered on the next call.
    pending_error: Option<agent_sandbox::Error>,
}

#[napi]
pub struct NativeLogStream {
    state: Arc<Mutex<State>>,
    stop: CancellationToken,
}

impl NativeLogStream {
    pub(crate) fn new(lines: LogLines) -> Self {
        NativeLogStream {
            state: Arc::new(Mutex::new(State {
                lines: Some(lines),
                pending_error: None,
            })),
            stop: CancellationToken::new(),
        }
    }
}

#[napi]
impl NativeLogStream {
    /// The lines that have arrived (at least one: it waits for the first),
    /// or null when the log has ended or the stream was stopped.
    #[napi]
    pub async fn next_batch(&self) -> napi::Result<Option<Vec<String>>> {
        let mut state = self.state.lock().await;
        if let Some(error) = state.pending_error.take() {
            state.lines = None;
            return Err(to_napi(error));
        }
        let Some(lines) = state.lines.as_mut() else {
            return Ok(None);
        };
        let first = tokio::select! {
            _ = self.stop.cancelled() => None,
            next = lines.next() => next,
        };
        let first = match first {
            None => {
                state.lines = None;
                return Ok(None);
            }
            Some(Err(e)) => {
                state.lines = None;
                return Err(to_napi(e));
            }
            Some(Ok(line)) => line,
        };
        let mut bytes = first.len();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
            match lines.next().now_or_never() {
                Some(Some(Ok(line))) => {
                    bytes += line.len();
                    batch.push(line);
                }
                Some(Some(Err(e))) => {
                    state.pending_error = Some(e);
                    break;
                }
                Some(None) => {
                    state.lines = None;
                    break;
                }
                None => break,
            }
        }
        Ok(Some(batch))
    }

    /// Ends the stream and closes its connection now; a pending
    /// nextBatch() resolves with null. Idempotent.
    #[napi(catch_unwind)]
    pub fn stop(&self) {
        self.stop.cancel();
        let state = self.state.clone();
        napi::bindgen_prelude::spawn(async move {
            // Waits for a pending nextBatch() to let go (it has seen the stop).
            state.lock().await.lines = None;
        });
    }
}
