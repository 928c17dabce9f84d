//! Provider events on their way to JS listeners: in the order the core
//! emitted them, on the JS thread, and always before the promise of the call
//! that caused them settles (see [`EventSink::flush`]).

use std::time::SystemTime;

use agent_sandbox::provider::ProviderEvent;
use napi::Status;
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use serde_json::{Value, json};

use crate::js_error::payload;

/// Calls the JS delivery function with one event object (or `null`, a flush
/// marker). Weak: pending deliveries never keep the process alive.
type Deliver = ThreadsafeFunction<Value, (), Value, Status, false, true>;

pub(crate) struct EventSink {
    deliver: Deliver,
}

impl EventSink {
    /// `deliver(event | null)` is the JS layer's dispatcher to the provider's
    /// listeners (a listener that throws is its business, not ours).
    pub(crate) fn new(deliver: Function<'_, Value, ()>) -> napi::Result<Self> {
        let deliver = deliver
            .build_threadsafe_function::<Value>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(EventSink { deliver })
    }

    pub(crate) fn emit(&self, event: &ProviderEvent) {
        self.deliver
            .call(to_js(event), ThreadsafeFunctionCallMode::NonBlocking);
    }

    /// Resolves once every event emitted before this call was delivered:
    /// deliveries run in queue order, so the marker's turn comes after them.
    pub(crate) async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let status = self.deliver.call_with_return_value(
            Value::Null,
            ThreadsafeFunctionCallMode::NonBlocking,
            move |_, _| {
                let _ = tx.send(());
                Ok(())
            },
        );
        if status == Status::Ok {
            // The environment going away drops the sender: nothing to wait for.
            let _ = rx.await;
        }
    }
}

/// Milliseconds since the epoch, as JS's `Date` counts them.
pub(crate) fn millis(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// The event as JSON; `idleSinceMs` and the error payload become a `Date` and
/// an error instance in JS.
fn to_js(event: &ProviderEvent) -> Value {
    let mut v = json!({ "type": event.type_name(), "sandboxId": event.sandbox_id() });
    match event {
        ProviderEvent::Creating { codespace_id, .. } => {
            v["codespaceId"] = json!(codespace_id);
        }
        ProviderEvent::Created {
            codespace_id,
            container_id,
            ..
        } => {
            v["codespaceId"] = json!(codespace_id);
            v["containerId"] = json!(container_id);
        }
        ProviderEvent::Idle { idle_since, .. } => {
            v["idleSinceMs"] = json!(millis(*idle_since));
        }
        ProviderEvent::Stopping { reason, .. } => {
            v["reason"] = json!(reason);
        }
        ProviderEvent::Error { error, .. } => {
            v["error"] = payload(error);
        }
        ProviderEvent::Starting { .. }
        | ProviderEvent::Started { .. }
        | ProviderEvent::Stopped { .. } => {}
    }
    v
}
