//! `NativeWatch`: a resumable watch pulled event by event from JS.

use agent_sandbox::watch::{Watch, WatchOptions};
use napi_derive::napi;
use serde_json::{Value, json};
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
    abort: tokio::task::AbortHandle,
}

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
        let watch = self.inner().watch(&r.into(), &namespace, options);
        let abort = watch.abort_handle();
        Ok(NativeWatch {
            watch: Mutex::new(watch),
            abort,
        })
    }
}

#[napi]
impl NativeWatch {
    /// `{type, object}`, or null when the watch has ended.
    #[napi]
    pub async fn next(&self) -> napi::Result<Option<Value>> {
        match self.watch.lock().await.next().await {
            None => Ok(None),
            Some(Ok(ev)) => Ok(Some(json!({ "type": ev.event_type, "object": ev.object }))),
            Some(Err(e)) => Err(to_napi(e)),
        }
    }

    /// Stops now; a pending next() resolves with null.
    #[napi]
    pub fn stop(&self) {
        self.abort.abort();
    }
}
