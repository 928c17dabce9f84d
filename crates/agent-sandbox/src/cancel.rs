//! Cancellation: a [`CancellationToken`] ends a long call early with
//! [`Error::Cancelled`]. Only what can stop midway without leaving anything
//! behind is raced against it (waits, reads); a request that makes an object
//! is never cut off mid-flight (see [`crate::Client::create_cancellable_as`]).

use std::future::Future;

pub use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// `CANCELLED` for `operation`.
pub fn cancelled(operation: &str) -> Error {
    Error::Cancelled {
        operation: operation.to_string(),
    }
}

/// `work`'s output, or `None` as soon as `cancel` fires (`work` is dropped).
pub async fn unless_cancelled<T>(
    cancel: &CancellationToken,
    work: impl Future<Output = T>,
) -> Option<T> {
    // Cancellation first: a call whose token has already fired never starts.
    tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        out = work => Some(out),
    }
}

/// `work`, or `CANCELLED` as soon as `cancel` fires (dropping `work`).
pub async fn until_cancelled<T>(
    operation: &str,
    cancel: &CancellationToken,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    unless_cancelled(cancel, work)
        .await
        .unwrap_or_else(|| Err(cancelled(operation)))
}

/// `CANCELLED` if `cancel` has fired.
pub fn check_cancelled(operation: &str, cancel: &CancellationToken) -> Result<()> {
    if cancel.is_cancelled() {
        return Err(cancelled(operation));
    }
    Ok(())
}
