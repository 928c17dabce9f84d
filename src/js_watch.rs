//! A resumable watch pushed into JS in batches of events (see `js_push`).

use agent_sandbox::client::JsonText;
use agent_sandbox::watch::Watch;
use futures::Stream;

use crate::js_crud::{api_failure, passes_through};
use crate::js_error::to_napi;

/// A watch's failure: `watch failed: …` (K8S_API_ERROR) unless it keeps its code.
pub(crate) fn watch_error(err: agent_sandbox::Error) -> napi::Error {
    if passes_through(err.code()) {
        return to_napi(err);
    }
    api_failure("watch failed", &err)
}

/// Events in one batch at most.
const MAX_BATCH: usize = 512;

/// The watch's events in batches, each the JSON text of an array of
/// `{type, object}`: every event that has arrived by the time the previous
/// batch was taken (at least one). Batches keep the per-event cost of
/// crossing into JS low when changes come in bursts. A failure ends it,
/// after the events before it.
pub(crate) fn event_batches(watch: Watch) -> impl Stream<Item = napi::Result<String>> {
    futures::stream::unfold(
        (Some(watch), None::<agent_sandbox::Error>),
        |(watch, pending)| async move {
            let mut watch = watch?;
            if let Some(error) = pending {
                return Some((Err(watch_error(error)), (None, None)));
            }
            let first = match watch.next_json().await? {
                Err(e) => return Some((Err(watch_error(e)), (None, None))),
                Ok(JsonText(event)) => event,
            };
            let mut batch = String::with_capacity(first.len() + 2);
            batch.push('[');
            batch.push_str(&first);
            let mut pending = None;
            for _ in 1..MAX_BATCH {
                match watch.try_next_json() {
                    Some(Ok(JsonText(event))) => {
                        batch.push(',');
                        batch.push_str(&event);
                    }
                    // Delivered after the events before it.
                    Some(Err(e)) => {
                        pending = Some(e);
                        break;
                    }
                    None => break,
                }
            }
            batch.push(']');
            Some((Ok(batch), (Some(watch), pending)))
        },
    )
}
