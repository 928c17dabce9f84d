//! One shared watch per resource and namespace, for everything in this
//! process that waits on single objects (`waitForReady`, claims, the
//! provider). Without it every wait opened its own watch: 1,000 concurrent
//! waits held 1,000 long-running requests on the API server. Now the first
//! wait starts a watch of the namespace's collection (the resumable
//! [`crate::watch`]: list, then watch, relist on `410 Gone`), later ones
//! join it, and each event is parsed once and handed only to the followers
//! of that object's name. The watch outlives its last follower by
//! [`LINGER`], so waits in a row do not list the collection each time.
//!
//! A follower gets every state of its object, in order: a failure a
//! controller reports and overwrites a moment later (a `Ready=False` reason
//! followed by the next reconcile) must still be seen. Each follower has its
//! own queue, so a slow one never holds events for the others; it holds only
//! its own object's changes, and followers take them as they come. The object's
//! state before following starts is the caller's to read (a GET after
//! [`Client::follow`] returns misses nothing: every change committed after
//! that read reaches the shared watch after the follow began).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::resources::ResourceRef;
use crate::watch::WatchOptions;

/// How long a shared watch stays open after its last follower left.
pub const LINGER: Duration = Duration::from_secs(15);
/// How often [`Follow::next_state`] reads the object itself once the shared
/// watch has ended for good.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// One change of a followed object.
#[derive(Clone, Debug)]
pub enum Seen {
    /// Added or changed: the object now.
    Object(Arc<Value>),
    /// Deleted; the object as it was last.
    Deleted(Arc<Value>),
    /// The shared watch ended for good (an error retrying cannot fix, such as
    /// 403): the follower must find out on its own.
    Ended,
}

/// The shared watches of one [`Client`] (and its clones).
#[derive(Default)]
pub(crate) struct Reflectors {
    by_key: Mutex<HashMap<Key, Weak<Reflector>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    group: String,
    version: String,
    plural: String,
    namespace: String,
}

/// One shared watch and its followers. Dropped (and the watch stopped) when
/// the last follower and the linger after it are gone.
struct Reflector {
    followers: Arc<Mutex<Followers>>,
    task: tokio::task::AbortHandle,
}

impl Drop for Reflector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Default)]
struct Followers {
    next_id: u64,
    by_name: HashMap<String, Vec<(u64, mpsc::UnboundedSender<Seen>)>>,
    /// When the shared watch ended for good, if it did.
    ended: Option<tokio::time::Instant>,
}

/// The changes of one object, from the shared watch. Dropping it stops
/// following.
pub struct Follow {
    rx: mpsc::UnboundedReceiver<Seen>,
    ended: bool,
    reflector: Option<Arc<Reflector>>,
    /// What is followed, to read it directly once the shared watch ended.
    client: Client,
    r: ResourceRef,
    namespace: String,
    name: String,
    id: u64,
}

impl Follow {
    /// Waits for the next change and returns the object's state then;
    /// [`Seen::Ended`], at once and from then on, once the shared watch has
    /// ended for good.
    pub async fn changed(&mut self) -> Seen {
        if self.ended {
            return Seen::Ended;
        }
        match self.rx.recv().await {
            Some(Seen::Ended) | None => {
                self.ended = true;
                Seen::Ended
            }
            Some(seen) => seen,
        }
    }

    /// The object's next state after `baseline`, a read of it made after
    /// following began: states that read already saw past are skipped; the
    /// object deleted, or its name now holding another object, is a 404.
    /// Once the shared watch has ended for good (a user who may not watch
    /// the collection), the object is read every [`POLL_INTERVAL`] instead,
    /// and each read is its next state.
    pub async fn next_state(&mut self, baseline: &Value) -> Result<Arc<Value>> {
        let uid = uid_of(baseline);
        loop {
            match self.changed().await {
                Seen::Object(obj) if is_stale(&obj, baseline) => {}
                Seen::Object(obj) if uid_of(&obj) != uid => return Err(self.deleted()),
                Seen::Object(obj) => return Ok(obj),
                Seen::Deleted(obj) if uid_of(&obj) == uid => return Err(self.deleted()),
                Seen::Deleted(_) => {}
                Seen::Ended => {
                    tokio::time::sleep(POLL_INTERVAL).await;
                    let now = self
                        .client
                        .get(&self.r, &self.namespace, &self.name)
                        .await?;
                    if uid_of(&now) != uid {
                        return Err(self.deleted());
                    }
                    return Ok(Arc::new(now));
                }
            }
        }
    }

    /// `plural "name" was deleted while waiting for it` (404).
    fn deleted(&self) -> Error {
        Error::Api {
            code: ErrorCode::NotFound,
            status: 404,
            reason: "NotFound".into(),
            message: format!(
                "{} \"{}\" was deleted while waiting for it",
                self.r.plural, self.name
            ),
        }
    }
}

fn uid_of(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/uid").and_then(Value::as_str)
}

/// The lock, also after a panic elsewhere while holding it (the data is a
/// map of senders: never left half-changed).
fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for Follow {
    fn drop(&mut self) {
        let Some(reflector) = self.reflector.take() else {
            return;
        };
        let mut f = locked(&reflector.followers);
        if let Some(list) = f.by_name.get_mut(&self.name) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                f.by_name.remove(&self.name);
            }
        }
        drop(f);
        // Keeps the watch open a while for the next wait; outside a runtime
        // (a synchronous drop at shutdown) it just ends.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                tokio::time::sleep(LINGER).await;
                drop(reflector);
            });
        }
    }
}

impl Client {
    /// Follows the object `name` of `r` in `namespace` through the shared
    /// watch of that collection, starting it if none is running.
    pub fn follow(&self, r: &ResourceRef, namespace: &str, name: &str) -> Follow {
        let key = Key {
            group: r.group.clone(),
            version: r.version.clone(),
            plural: r.plural.clone(),
            namespace: namespace.to_string(),
        };
        let reflector = {
            let mut by_key = locked(&self.reflectors().by_key);
            match by_key.get(&key).and_then(Weak::upgrade) {
                // One that ended lately (a user who may not watch this
                // collection) is not started again for every wait.
                Some(running) if !running.ended_before(LINGER) => running,
                _ => {
                    by_key.retain(|_, w| w.strong_count() > 0);
                    let started = Arc::new(self.start_reflector(r, namespace));
                    by_key.insert(key, Arc::downgrade(&started));
                    started
                }
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let id = {
            let mut f = locked(&reflector.followers);
            if f.ended.is_some() {
                let _ = tx.send(Seen::Ended);
            }
            f.next_id += 1;
            let id = f.next_id;
            f.by_name
                .entry(name.to_string())
                .or_default()
                .push((id, tx));
            id
        };
        Follow {
            rx,
            ended: false,
            reflector: Some(reflector),
            client: self.clone(),
            r: r.clone(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            id,
        }
    }

    fn start_reflector(&self, r: &ResourceRef, namespace: &str) -> Reflector {
        let followers: Arc<Mutex<Followers>> = Arc::default();
        let mut watch = self.watch(r, namespace, WatchOptions::default());
        let dispatch_to = followers.clone();
        let (plural, ns) = (r.plural.clone(), namespace.to_string());
        let task = tokio::spawn(async move {
            while let Some(event) = watch.next().await {
                let event = match event {
                    Ok(event) => event,
                    Err(e) => {
                        tracing::debug!(resource = %plural, namespace = %ns, error = %e, "shared watch ended");
                        break;
                    }
                };
                let seen = match event.event_type.as_str() {
                    "ADDED" | "MODIFIED" => Seen::Object(Arc::new(event.object)),
                    "DELETED" => Seen::Deleted(Arc::new(event.object)),
                    _ => continue,
                };
                let Some(name) = seen_name(&seen) else {
                    continue;
                };
                let f = locked(&dispatch_to);
                if let Some(list) = f.by_name.get(name) {
                    for (_, tx) in list {
                        let _ = tx.send(seen.clone());
                    }
                }
            }
            let mut f = locked(&dispatch_to);
            f.ended = Some(tokio::time::Instant::now());
            for (_, tx) in f.by_name.values().flatten() {
                let _ = tx.send(Seen::Ended);
            }
        });
        Reflector {
            followers,
            task: task.abort_handle(),
        }
    }
}

impl Reflector {
    /// Whether the shared watch ended for good more than `ago` ago.
    fn ended_before(&self, ago: Duration) -> bool {
        locked(&self.followers)
            .ended
            .is_some_and(|at| at.elapsed() > ago)
    }
}

fn seen_name(seen: &Seen) -> Option<&str> {
    match seen {
        Seen::Object(o) | Seen::Deleted(o) => o.pointer("/metadata/name").and_then(Value::as_str),
        Seen::Ended => None,
    }
}

/// Whether `seen` is older than `baseline` by their resource versions. The
/// API treats versions as opaque, so this only answers when both are the
/// decimal numbers the API server (etcd) gives; otherwise nothing is stale.
/// A shared watch that started before a follower's own read may still be
/// delivering states that read already saw past.
fn is_stale(seen: &Value, baseline: &Value) -> bool {
    let rv = |o: &Value| {
        o.pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|v| v.parse::<u64>().ok())
    };
    matches!((rv(seen), rv(baseline)), (Some(a), Some(b)) if a < b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn staleness_needs_two_numeric_versions() {
        let at = |v: &str| json!({ "metadata": { "resourceVersion": v } });
        assert!(is_stale(&at("9"), &at("10")));
        assert!(!is_stale(&at("10"), &at("10")));
        assert!(!is_stale(&at("11"), &at("10")));
        assert!(!is_stale(&at("abc"), &at("10")));
        assert!(!is_stale(&json!({}), &at("10")));
    }
}
