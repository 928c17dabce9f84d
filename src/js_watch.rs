//! `NativeWatch`: a resumable watch pulled from JS in batches of events.

use agent_sandbox::client::JsonText;
use agent_sandbox::watch::{Watch, WatchOptions};
use napi_derive::napi;
use tokio::sync::Mutex;

use crate::js_client::{JsResourceRef, NativeClient};
use crate::js_error::to_napi;

#[napi(object)]
pub struct JsWatchOptions {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub resource_version: Option<String>,
    pub timeout_seconds: Option<u32>,
}

#[napi]
pub struct NativeWatch {
    watch: Mutex<Watch>,
    pending_error: Mutex<Option<agent_sandbox::Error>>,
    abort: tokio::task::AbortHandle,
}

/// Events handed to JS in one batch at most.
const MAX_BATCH: usize = 512;

#[napi]
impl NativeClient {
    /// Starts watching (cluster-wide when `namespace` is empty).
    #[napi]
    pub async fn watch(
        &self,
        r: JsResourceRef,
        namespace: String,
        options: Option<JsWatchOptions>,
    ) -> napi::Result<NativeWatch> {
        let options = options
            .map(|o| WatchOptions {
                label_selector: o.label_selector,
                field_selector: o.field_selector,
                resource_version: o.resource_version.filter(|v| !v.is_empty()),
                timeout_seconds: o.timeout_seconds.filter(|t| *t > 0),
            })
            .unwrap_or_default();
        let watch = self.inner().await?.watch(&r.into(), &namespace, options);
        let abort = watch.abort_handle();
        Ok(NativeWatch {
            watch: Mutex::new(watch),
            pending_error: Mutex::new(None),
            abort,
        })
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
            return Err(to_napi(error));
        }
        let first = match watch.next_json().await {
            None => return Ok(None),
            Some(Err(e)) => return Err(to_napi(e)),
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
    #[napi]
    pub fn stop(&self) {
        self.abort.abort();
    }
}
