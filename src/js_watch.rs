//! `NativeWatch`: a resumable watch pulled from JS in batches of events.

use agent_sandbox::client::JsonText;
use agent_sandbox::watch::Watch;
use napi_derive::napi;
use tokio::sync::Mutex;

use crate::js_crud::{api_failure, passes_through};
use crate::js_error::to_napi;

/// A watch's failure: `watch failed: …` (K8S_API_ERROR) unless it keeps its code.
fn watch_error(err: agent_sandbox::Error) -> napi::Error {
    if passes_through(err.code()) {
        return to_napi(err);
    }
    api_failure("watch failed", &err)
}

#[napi]
pub struct NativeWatch {
    watch: Mutex<Watch>,
    pending_error: Mutex<Option<agent_sandbox::Error>>,
    abort: tokio::task::AbortHandle,
}

/// Events handed to JS in one batch at most.
const MAX_BATCH: usize = 512;

impl NativeWatch {
    pub(crate) fn new(watch: Watch) -> Self {
        let abort = watch.abort_handle();
        NativeWatch {
            watch: Mutex::new(watch),
            pending_error: Mutex::new(None),
            abort,
        }
    }
}

#[napi]
impl NativeWatch {
    /// The events that have arrived, oldest first, as the JSON text of an
    /// array of `{type, object}` (at least one: it waits for the first), or
    /// null when the watch has ended. Batches keep the per-event cost of
    /// crossing into JS low when changes come in bursts.
    #[napi]
    pub async fn next_batch(&self) -> napi::Result<Option<String>> {
        let mut watch = self.watch.lock().await;
        if let Some(error) = self.pending_error.lock().await.take() {
            return Err(watch_error(error));
        }
        let first = match watch.next_json().await {
            None => return Ok(None),
            Some(Err(e)) => return Err(watch_error(e)),
            Some(Ok(JsonText(event))) => event,
        };
        let mut batch = String::with_capacity(first.len() + 2);
        batch.push('[');
        batch.push_str(&first);
        for _ in 1..MAX_BATCH {
            match watch.try_next_json() {
                Some(Ok(JsonText(event))) => {
                    batch.push(',');
                    batch.push_str(&event);
                }
                // Delivered after the events before it, on the next call.
                Some(Err(e)) => {
                    *self.pending_error.lock().await = Some(e);
                    break;
                }
                None => break,
            }
        }
        batch.push(']');
        Ok(Some(batch))
    }

    /// Stops now; a pending next() resolves with null.
    #[napi(catch_unwind)]
    pub fn stop(&self) {
        self.abort.abort();
    }
}
