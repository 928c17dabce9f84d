//! `CancelToken`: how an `AbortSignal` reaches a native call. The JS layer
//! makes one per call that has a signal and cancels it on 'abort'.

use std::future::Future;

use agent_sandbox::cancel::{CancellationToken, cancelled, unless_cancelled};
use napi_derive::napi;

#[napi]
pub struct CancelToken {
    token: CancellationToken,
}

#[napi]
impl CancelToken {
    #[napi(catch_unwind, constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            token: CancellationToken::new(),
        }
    }

    /// Idempotent; the call it was given to ends with CANCELLED.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

/// The token of an optional `CancelToken` argument (a fresh one that never
/// fires when there is none).
pub(crate) fn token_of(cancel: Option<&CancelToken>) -> CancellationToken {
    cancel.map(|c| c.token.clone()).unwrap_or_default()
}

/// `work`, or CANCELLED as soon as `token` fires (`work` is dropped: use it
/// only where stopping midway leaves nothing behind).
pub(crate) async fn or_cancelled<T>(
    operation: &str,
    token: CancellationToken,
    work: impl Future<Output = napi::Result<T>>,
) -> napi::Result<T> {
    unless_cancelled(&token, work)
        .await
        .unwrap_or_else(|| Err(crate::js_error::to_napi(cancelled(operation))))
}
