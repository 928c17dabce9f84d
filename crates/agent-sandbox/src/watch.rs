//! Watching a resource collection, with the recovery a long-lived watch needs:
//! it starts from a (paged) list's resourceVersion, resumes from the last
//! version seen after a normal end or a transient failure, relists on
//! `410 Gone` and emits the difference, and keeps bookmarks internal. Every
//! request has a randomised server timeout (so that many watchers do not
//! reconnect in step) and a client-side deadline: a connection that goes
//! quiet (a stalled proxy or a half-dead TCP peer never closes it) is
//! dropped and resumed. Every restart waits a backoff, which resets only
//! after a request stayed healthy for a while. It stops only when asked, or
//! on an error that retrying cannot fix (401, 403, 404).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{AsyncBufReadExt, TryStreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::client::{Client, JsonText, ListOptions};
use crate::error::{Error, ErrorCode, Result};
use crate::resources::ResourceRef;

/// Options of [`Client::watch`].
#[derive(Clone, Debug, Default)]
pub struct WatchOptions {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    /// Start after this version; otherwise the current state arrives first as
    /// `ADDED` events.
    pub resource_version: Option<String>,
    /// One request that ends after this many seconds (no reconnection).
    pub timeout_seconds: Option<u32>,
    /// How long a reconnecting watch waits for any byte (an event or a
    /// bookmark) before it takes the connection for dead and resumes on a
    /// new one; [`DEFAULT_IDLE_TIMEOUT`] when `None`.
    pub idle_timeout: Option<Duration>,
}

/// [`WatchOptions::idle_timeout`]'s default. The API server sends a bookmark
/// to an idle watcher about once a minute, so a quiet healthy watch is
/// resumed about once per this period: one cheap request, served from the
/// server's watch cache, in exchange for noticing a dead connection in
/// well under a minute.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(45);

/// One change. `event_type` is `ADDED`, `MODIFIED`, `DELETED` or `ERROR`
/// (the object of an `ERROR` is the server's `Status`).
#[derive(Clone, Debug, PartialEq)]
pub struct WatchEvent {
    pub event_type: String,
    pub object: Value,
}

/// An event on its way to the consumer: parsed, or, where no version
/// conversion applies, the server's line itself. That line already is
/// `{"type":…,"object":…}`, so it can be handed on as JSON text unparsed.
enum Delivery {
    Parsed(WatchEvent),
    Line(Arc<str>),
}

impl Delivery {
    fn into_event(self) -> Result<WatchEvent> {
        match self {
            Delivery::Parsed(event) => Ok(event),
            Delivery::Line(line) => {
                let mut event: Value = serde_json::from_str(&line).map_err(decode_error)?;
                Ok(WatchEvent {
                    event_type: event["type"].as_str().unwrap_or_default().to_string(),
                    object: event.get_mut("object").map(Value::take).unwrap_or_default(),
                })
            }
        }
    }

    fn into_json_text(self) -> Result<JsonText> {
        match self {
            Delivery::Line(line) => Ok(JsonText(line.to_string())),
            Delivery::Parsed(event) => {
                serde_json::to_string(&json!({ "type": event.event_type, "object": event.object }))
                    .map(JsonText)
                    .map_err(decode_error)
            }
        }
    }
}

fn decode_error(e: serde_json::Error) -> Error {
    Error::Decode {
        message: e.to_string(),
    }
}

/// A running watch. Receive with [`Watch::next`]; drop it to stop.
pub struct Watch {
    rx: mpsc::Receiver<Result<Delivery>>,
    task: tokio::task::JoinHandle<()>,
}

impl Watch {
    /// The next event; `None` when the watch has ended.
    pub async fn next(&mut self) -> Option<Result<WatchEvent>> {
        self.rx.recv().await.map(|d| d?.into_event())
    }

    /// An event that has already arrived, without waiting: `None` when there
    /// is none yet (or the watch has ended; [`Watch::next`] tells which).
    pub fn try_next(&mut self) -> Option<Result<WatchEvent>> {
        self.rx.try_recv().ok().map(|d| d?.into_event())
    }

    /// The next event as the JSON text of `{"type", "object"}`: on direct
    /// routes the server's own bytes, never parsed into a tree.
    pub async fn next_json(&mut self) -> Option<Result<JsonText>> {
        self.rx.recv().await.map(|d| d?.into_json_text())
    }

    /// [`Watch::try_next`] as JSON text.
    pub fn try_next_json(&mut self) -> Option<Result<JsonText>> {
        self.rx.try_recv().ok().map(|d| d?.into_json_text())
    }

    /// Stops the watch now; no event is delivered after this returns.
    pub fn stop(&mut self) {
        self.task.abort();
        self.rx.close();
        while self.rx.try_recv().is_ok() {}
    }

    /// A handle that stops the watch from elsewhere (the receiver then ends).
    pub fn abort_handle(&self) -> tokio::task::AbortHandle {
        self.task.abort_handle()
    }

    /// The watch as a `futures::Stream`.
    pub fn into_stream(self) -> impl futures::Stream<Item = Result<WatchEvent>> {
        futures::stream::unfold(self, |mut w| async move { w.next().await.map(|e| (e, w)) })
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Server-side timeout of each request of a reconnecting watch: uniform in
/// `[MIN, 2 * MIN)` seconds, so that watchers started together (a process
/// restart, a warm pool) do not all reconnect at the same moment.
const WATCH_REQUEST_MIN_SECONDS: u32 = 300;
/// What a request may run past its server-side timeout before the client
/// gives up on it.
const WATCH_REQUEST_GRACE: Duration = Duration::from_secs(30);
/// A request that lasted this long was healthy: the restart after it starts
/// the backoff afresh.
const HEALTHY_REQUEST: Duration = Duration::from_secs(30);
/// Items per page when listing (the first list and every relist).
const LIST_PAGE_SIZE: u32 = 500;
/// Events buffered between the server and a slow consumer.
const CHANNEL_CAPACITY: usize = 64;

impl Client {
    /// Watches `r` in `namespace` (cluster-wide when empty).
    pub fn watch(&self, r: &ResourceRef, namespace: &str, options: WatchOptions) -> Watch {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let runner = Runner {
            client: self.clone(),
            r: r.clone(),
            namespace: namespace.to_string(),
            options,
            tx,
        };
        let task = tokio::spawn(runner.run());
        Watch { rx, task }
    }
}

struct Runner {
    client: Client,
    r: ResourceRef,
    namespace: String,
    options: WatchOptions,
    tx: mpsc::Sender<Result<Delivery>>,
}

/// What ended one watch request.
enum RequestEnd {
    /// The server closed the stream normally.
    Closed,
    /// The stored version is too old: relist.
    Gone,
    /// The consumer went away.
    ConsumerGone,
    /// Nothing arrived for the idle timeout. Usual for a quiet collection
    /// (bookmarks come about once a minute); resumed without a warning.
    Silent,
}

/// What a watch keeps of each object for the diff after a relist. Objects
/// seen on the watch are kept as the line they came in (moved, not copied;
/// parsed again only if a relist has to report them deleted).
enum Remembered {
    Object(Value),
    WatchLine(Arc<str>),
}

impl Remembered {
    fn to_object(&self, route: &crate::client::Route) -> Value {
        match self {
            Remembered::Object(object) => object.clone(),
            Remembered::WatchLine(line) => serde_json::from_str::<Value>(line)
                .ok()
                .and_then(|mut event| event.get_mut("object").map(Value::take))
                .map(|object| route.object_from_wire(object))
                .unwrap_or(Value::Null),
        }
    }
}

impl Runner {
    async fn run(mut self) {
        if let Err(e) = self.run_inner().await {
            let _ = self.tx.send(Err(e)).await;
        }
    }

    async fn run_inner(&mut self) -> Result<()> {
        crate::resources::check_namespace(&self.namespace, true)?;
        let route = self.client.route(&self.r).await?;
        let mut known: HashMap<String, (String, Remembered)> = HashMap::new();
        let mut version = self.options.resource_version.clone().unwrap_or_default();
        let single = self.options.timeout_seconds.is_some();
        let mut backoff = Backoff::default();
        // Without a version, a reconnecting watch starts from a list: its
        // items arrive as ADDED, and its version is a consistent point to
        // resume from (a watch "from now" has none until its first event).
        let mut relist = version.is_empty() && !single;
        loop {
            if relist {
                match self.relist(&route, &mut known).await {
                    Ok(Some(v)) => {
                        version = v;
                        relist = false;
                    }
                    Ok(None) => return Ok(()),
                    Err(e) if retryable(&e) => {
                        let delay = backoff.next_delay();
                        tracing::warn!(resource = %self.r.plural, namespace = %self.namespace, error = %e, backoff_ms = delay.as_millis() as u64, "watch: list failed; retrying");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let started = tokio::time::Instant::now();
            let end = self.watch_once(&route, &mut version, &mut known).await;
            if started.elapsed() >= HEALTHY_REQUEST {
                backoff.reset();
            }
            let failure = match end {
                Ok(RequestEnd::ConsumerGone) => return Ok(()),
                Ok(RequestEnd::Closed) if single => return Ok(()),
                Ok(RequestEnd::Closed) => None,
                Ok(RequestEnd::Silent) => {
                    tracing::debug!(resource = %self.r.plural, namespace = %self.namespace, idle_s = self.options.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT).as_secs(), "watch: nothing received for the idle timeout; resuming on a new request");
                    None
                }
                Ok(RequestEnd::Gone) if single => return Err(gone_error()),
                Ok(RequestEnd::Gone) => {
                    relist = true;
                    None
                }
                Err(e) if e.status() == Some(410) && !single => {
                    relist = true;
                    None
                }
                Err(e) if single || !retryable(&e) => return Err(e),
                Err(e) => Some(e),
            };
            // Every restart waits, so that a server that ends each request
            // at once meets a growing delay rather than a hot loop.
            let delay = backoff.next_delay();
            if let Some(e) = failure {
                tracing::warn!(resource = %self.r.plural, namespace = %self.namespace, error = %e, backoff_ms = delay.as_millis() as u64, resource_version = %version, "watch: request failed; reconnecting");
            }
            if relist {
                tracing::info!(resource = %self.r.plural, namespace = %self.namespace, "watch: relisting (the version was compacted away)");
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// The whole collection, page by page, as (version, items), each item
    /// with its `apiVersion` and `kind` and in the caller's version.
    async fn list_all(&self, route: &crate::client::Route) -> Result<(String, Vec<Value>)> {
        let mut items = Vec::new();
        let mut version: String;
        let mut page_size = Some(LIST_PAGE_SIZE);
        let mut continue_token: Option<String> = None;
        loop {
            let options = ListOptions {
                label_selector: self.options.label_selector.clone(),
                field_selector: self.options.field_selector.clone(),
                limit: page_size,
                continue_token: continue_token.take(),
                ..ListOptions::default()
            };
            let paging_on = options.continue_token.is_some();
            let list: Value = match self
                .client
                .list_routed(route, &self.namespace, &options)
                .await
            {
                // The continue token expired between pages: list again in
                // one request, as client-go's pager does.
                Err(e) if e.status() == Some(410) && paging_on => {
                    items.clear();
                    page_size = None;
                    continue;
                }
                other => other?,
            };
            version = list
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let api_version = list.get("apiVersion").cloned();
            let kind = list
                .get("kind")
                .and_then(Value::as_str)
                .and_then(|k| k.strip_suffix("List"))
                .map(str::to_string);
            let next = list
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            let Value::Object(mut list) = list else {
                break;
            };
            if let Some(Value::Array(page)) = list.remove("items") {
                for mut item in page {
                    if let Some(m) = item.as_object_mut() {
                        if let Some(av) = &api_version {
                            m.entry("apiVersion").or_insert(av.clone());
                        }
                        if let Some(k) = &kind {
                            m.entry("kind").or_insert(Value::String(k.clone()));
                        }
                    }
                    items.push(route.object_from_wire(item));
                }
            }
            match next {
                Some(token) => continue_token = Some(token),
                None => break,
            }
        }
        Ok((version, items))
    }

    /// Lists the collection and emits what changed since `known`. Returns the
    /// list's version, or `None` when the consumer went away.
    async fn relist(
        &mut self,
        route: &crate::client::Route,
        known: &mut HashMap<String, (String, Remembered)>,
    ) -> Result<Option<String>> {
        let (version, items) = self.list_all(route).await?;
        let mut fresh: HashMap<String, (String, Remembered)> = HashMap::new();
        for item in items {
            fresh.insert(key_of(&item), (rv_of(&item), Remembered::Object(item)));
        }
        for (key, (rv, obj)) in &fresh {
            let event_type = match known.get(key) {
                None => "ADDED",
                Some((old_rv, _)) if old_rv != rv => "MODIFIED",
                Some(_) => continue,
            };
            if !self.emit(event_type, obj.to_object(route)).await {
                return Ok(None);
            }
        }
        for (key, (_, obj)) in known.iter() {
            if !fresh.contains_key(key) && !self.emit("DELETED", obj.to_object(route)).await {
                return Ok(None);
            }
        }
        *known = fresh;
        Ok(Some(version))
    }

    async fn watch_once(
        &mut self,
        route: &crate::client::Route,
        version: &mut String,
        known: &mut HashMap<String, (String, Remembered)>,
    ) -> Result<RequestEnd> {
        let timeout = self
            .options
            .timeout_seconds
            .unwrap_or_else(random_request_seconds);
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(u64::from(timeout))
            + WATCH_REQUEST_GRACE;
        // One request (`timeout_seconds`) ends with the server's timeout; a
        // reconnecting watch also gives up on a connection that goes quiet.
        let idle = match self.options.timeout_seconds {
            Some(_) => None,
            None => Some(self.options.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT)),
        };
        let next_deadline = || match idle {
            Some(idle) => deadline.min(tokio::time::Instant::now() + idle),
            None => deadline,
        };
        let stalled = |what: &str| Error::Unreachable {
            message: format!(
                "the watch of {} {what}; the connection is taken for dead",
                self.r.plural
            ),
        };
        let url = {
            let mut query = form_urlencoded::Serializer::new(format!(
                "{}?",
                route.wire.collection_path(&self.namespace)
            ));
            query.append_pair("watch", "true");
            query.append_pair("allowWatchBookmarks", "true");
            query.append_pair("timeoutSeconds", &timeout.to_string());
            if !version.is_empty() {
                query.append_pair("resourceVersion", version);
            }
            if let Some(l) = self
                .options
                .label_selector
                .as_deref()
                .filter(|s| !s.is_empty())
            {
                query.append_pair("labelSelector", l);
            }
            if let Some(f) = self
                .options
                .field_selector
                .as_deref()
                .filter(|s| !s.is_empty())
            {
                query.append_pair("fieldSelector", f);
            }
            query.finish()
        };
        let req = http::Request::get(url)
            .body(Vec::new())
            .map_err(|e| Error::invalid(e.to_string()))?;
        let body = tokio::time::timeout_at(next_deadline(), self.client.kube().request_stream(req))
            .await
            .map_err(|_| stalled("got no response"))??;
        let mut lines = body.lines();
        loop {
            let until = next_deadline();
            let line = match tokio::time::timeout_at(until, lines.try_next()).await {
                Ok(line) => line.map_err(|e| Error::Unreachable {
                    message: e.to_string(),
                })?,
                Err(_) if until < deadline => return Ok(RequestEnd::Silent),
                Err(_) => return Err(stalled("ran past its timeout")),
            };
            let Some(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            // The type and metadata only: the object itself is skipped over,
            // and parsed only where a version conversion needs it.
            let head: EventHead = serde_json::from_str(&line).map_err(decode_error)?;
            let event_type = head.event_type.to_string();
            let meta = &head.object.metadata;
            let rv = meta.resource_version.to_string();
            let key = format!("{}/{}", meta.namespace, meta.name);
            let code = head.object.code;
            match event_type.as_str() {
                "BOOKMARK" => *version = rv,
                "ERROR" => {
                    if code == Some(410) {
                        return Ok(RequestEnd::Gone);
                    }
                    let event = Delivery::Line(Arc::from(line)).into_event()?;
                    if !self.emit(&event_type, event.object).await {
                        return Ok(RequestEnd::ConsumerGone);
                    }
                }
                "ADDED" | "MODIFIED" | "DELETED" => {
                    *version = rv;
                    let line: Arc<str> = Arc::from(line);
                    if event_type == "DELETED" {
                        known.remove(&key);
                    } else {
                        known.insert(key, (version.clone(), Remembered::WatchLine(line.clone())));
                    }
                    let delivered = if route.converts() {
                        let event = Delivery::Line(line).into_event()?;
                        self.emit(&event_type, route.object_from_wire(event.object))
                            .await
                    } else {
                        self.tx.send(Ok(Delivery::Line(line))).await.is_ok()
                    };
                    if !delivered {
                        return Ok(RequestEnd::ConsumerGone);
                    }
                }
                _ => {}
            }
        }
        Ok(RequestEnd::Closed)
    }

    async fn emit(&self, event_type: &str, object: Value) -> bool {
        self.tx
            .send(Ok(Delivery::Parsed(WatchEvent {
                event_type: event_type.to_string(),
                object,
            })))
            .await
            .is_ok()
    }
}

/// The parts of a watch line the watch itself needs.
#[derive(Deserialize)]
struct EventHead<'a> {
    #[serde(rename = "type", borrow)]
    event_type: Cow<'a, str>,
    #[serde(default, borrow)]
    object: ObjectHead<'a>,
}

#[derive(Default, Deserialize)]
struct ObjectHead<'a> {
    #[serde(default, borrow)]
    metadata: MetadataHead<'a>,
    /// Set on the Status of an ERROR event.
    #[serde(default)]
    code: Option<u64>,
}

#[derive(Default, Deserialize)]
struct MetadataHead<'a> {
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    namespace: Cow<'a, str>,
    #[serde(default, borrow, rename = "resourceVersion")]
    resource_version: Cow<'a, str>,
}

fn key_of(obj: &Value) -> String {
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{ns}/{name}")
}

fn rv_of(obj: &Value) -> String {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn gone_error() -> Error {
    Error::Api {
        code: ErrorCode::Api,
        status: 410,
        reason: "Expired".into(),
        message: "the requested resourceVersion is too old (410 Gone)".into(),
    }
}

/// Worth retrying: transport failures, timeouts, 5xx and 429.
fn retryable(e: &Error) -> bool {
    match e {
        Error::Unreachable { .. } | Error::Decode { .. } => true,
        Error::Api { status, .. } => *status >= 500 || *status == 429 || *status == 408,
        _ => false,
    }
}

/// A request's server-side timeout, uniform in `[MIN, 2 * MIN)` seconds.
fn random_request_seconds() -> u32 {
    WATCH_REQUEST_MIN_SECONDS + random_below(u64::from(WATCH_REQUEST_MIN_SECONDS)) as u32
}

/// A random number below `n` (0 when the system has no randomness to give:
/// spreading watchers is an optimisation, not a need).
fn random_below(n: u64) -> u64 {
    getrandom::u64().map(|r| r % n.max(1)).unwrap_or(0)
}

/// 250 ms doubling to 30 s, with up to 20% of jitter.
#[derive(Default)]
struct Backoff {
    attempt: u32,
}

impl Backoff {
    fn next_delay(&mut self) -> Duration {
        let base = 250u64.saturating_mul(1 << self.attempt.min(7)).min(30_000);
        self.attempt += 1;
        Duration::from_millis(base + random_below(base / 5 + 1))
    }

    fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_thirty_seconds() {
        let mut b = Backoff::default();
        let delays: Vec<u64> = (0..10).map(|_| b.next_delay().as_millis() as u64).collect();
        assert!((250..=300).contains(&delays[0]));
        assert!((500..=600).contains(&delays[1]));
        assert!((16_000..=19_200).contains(&delays[6]));
        assert!((30_000..=36_000).contains(&delays[9]));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(300));
    }

    #[test]
    fn request_timeouts_spread_over_one_doubling() {
        let seconds: Vec<u32> = (0..200).map(|_| random_request_seconds()).collect();
        assert!(seconds.iter().all(|s| (300..600).contains(s)));
        // Not all alike: 200 draws from 300 values.
        assert!(seconds.iter().any(|s| *s != seconds[0]));
    }

    #[test]
    fn only_transient_errors_are_retried() {
        let api = |status| Error::Api {
            code: ErrorCode::from_status(status, ""),
            status,
            reason: String::new(),
            message: String::new(),
        };
        assert!(retryable(&api(503)));
        assert!(retryable(&api(429)));
        assert!(!retryable(&api(403)));
        assert!(!retryable(&api(404)));
        assert!(retryable(&Error::Unreachable {
            message: "refused".into()
        }));
    }
}
