//! A spawned operation whose result is taken once and which can be
//! cancelled at any time: the mechanism under `NativeTask` (waits, claims)
//! and an exec session's exit status.

use std::future::Future;
use std::sync::Mutex as StdMutex;

use tokio::sync::{Mutex, oneshot};

use crate::js_error::{invalid, to_napi};

pub struct CancellableTask<T> {
    cancel: StdMutex<Option<oneshot::Sender<()>>>,
    result: Mutex<Option<oneshot::Receiver<agent_sandbox::Result<T>>>>,
    operation: String,
}

impl<T: Send + 'static> CancellableTask<T> {
    /// Runs `work` on the runtime; cancelling drops it (closing whatever it
    /// holds) and makes the result `CANCELLED`.
    pub fn spawn<F>(operation: String, work: F) -> Self
    where
        F: Future<Output = agent_sandbox::Result<T>> + Send + 'static,
    {
        let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
        let (result_tx, result_rx) = oneshot::channel();
        let cancelled = operation.clone();
        tokio::spawn(async move {
            let result = tokio::select! {
                r = work => r,
                _ = cancel_rx => Err(agent_sandbox::Error::Cancelled { operation: cancelled }),
            };
            let _ = result_tx.send(result);
        });
        CancellableTask {
            cancel: StdMutex::new(Some(cancel_tx)),
            result: Mutex::new(Some(result_rx)),
            operation,
        }
    }

    /// The result; `call` names the JS method for the error of a second call.
    pub async fn result(&self, call: &str) -> napi::Result<T> {
        let rx = self
            .result
            .lock()
            .await
            .take()
            .ok_or_else(|| invalid(format!("{call} was already called")))?;
        match rx.await {
            Ok(r) => r.map_err(to_napi),
            Err(_) => Err(to_napi(agent_sandbox::Error::Cancelled {
                operation: self.operation.clone(),
            })),
        }
    }

    /// Idempotent, never fails.
    pub fn cancel(&self) {
        if let Ok(mut c) = self.cancel.lock()
            && let Some(tx) = c.take()
        {
            let _ = tx.send(());
        }
    }
}
