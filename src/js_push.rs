//! Streams pushed into JS (a watch's events, an exec session's output):
//! one long-lived threadsafe function per stream carries batches to a JS
//! callback, instead of one promise and one native call per item pulled.
//!
//! Flow control is by credit: the pump delivers a batch only with a credit in
//! hand, starts with [`WINDOW`] of them, and gets one back each time JS takes
//! a batch off its queue (`grant()`, a plain synchronous call). A consumer
//! that stops taking stops the pump, which stops reading, which slows the
//! server: at most `WINDOW` batches wait in JS.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use napi::Status;
use napi::bindgen_prelude::{FnArgs, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use tokio::sync::Semaphore;

/// Batches delivered and not yet taken by JS, at most.
pub(crate) const WINDOW: usize = 4;

/// What the pump hands the JS callback `deliver(batch, error)`: a batch; or
/// `(null, undefined)` at the end; or `(null, message)` on failure, the
/// message being a coded native error's (see `js_error`).
enum Push<T> {
    Batch(T),
    End,
    Failed(String),
}

/// The JS callback's arguments.
pub(crate) type DeliverArgs<T> = FnArgs<(Option<T>, Option<String>)>;

/// Referenced (not weak): a stream in progress keeps the process alive, as
/// an open socket does; it is released when the pump ends or is stopped.
type Deliver<T> = ThreadsafeFunction<Push<T>, (), DeliverArgs<T>, Status, false, false>;

/// The JS side's handle of a pushed stream.
#[napi]
pub struct NativeStream {
    credit: Arc<Semaphore>,
    task: tokio::task::AbortHandle,
}

impl NativeStream {
    /// Starts pumping `batches` into `deliver`, on the JS thread's terms (see
    /// the module's credit rule). The pump ends after the first error.
    pub(crate) fn start<T, S>(
        deliver: Function<'_, DeliverArgs<T>, ()>,
        batches: S,
    ) -> napi::Result<Self>
    where
        T: napi::bindgen_prelude::ToNapiValue + Send + 'static,
        S: Stream<Item = napi::Result<T>> + Send + 'static,
    {
        let deliver: Deliver<T> = deliver
            .build_threadsafe_function::<Push<T>>()
            .callee_handled::<false>()
            .weak::<false>()
            .build_callback(|ctx| {
                Ok(FnArgs::from(match ctx.value {
                    Push::Batch(batch) => (Some(batch), None),
                    Push::End => (None, None),
                    Push::Failed(message) => (None, Some(message)),
                }))
            })?;
        let credit = Arc::new(Semaphore::new(WINDOW));
        let pump_credit = credit.clone();
        let task = napi::bindgen_prelude::spawn(async move {
            let mut batches = std::pin::pin!(batches);
            loop {
                match pump_credit.acquire().await {
                    Ok(permit) => permit.forget(),
                    Err(_) => return,
                }
                let push = match batches.next().await {
                    Some(Ok(batch)) => Push::Batch(batch),
                    Some(Err(e)) => Push::Failed(e.reason.clone()),
                    None => Push::End,
                };
                let last = !matches!(push, Push::Batch(_));
                let status = deliver.call(push, ThreadsafeFunctionCallMode::NonBlocking);
                if last || status != Status::Ok {
                    return;
                }
            }
        });
        Ok(NativeStream {
            credit,
            task: task.abort_handle(),
        })
    }
}

#[napi]
impl NativeStream {
    /// JS took `batches` batches off its queue: the pump may deliver as many
    /// more.
    #[napi(catch_unwind)]
    pub fn grant(&self, batches: Option<u32>) {
        let room = WINDOW.saturating_sub(self.credit.available_permits());
        self.credit
            .add_permits((batches.unwrap_or(1) as usize).min(room));
    }

    /// Stops now (idempotent): nothing more is read; batches already on their
    /// way may still arrive and are the JS side's to drop.
    #[napi(catch_unwind)]
    pub fn stop(&self) {
        self.credit.close();
        self.task.abort();
    }
}

impl Drop for NativeStream {
    fn drop(&mut self) {
        self.stop();
    }
}
