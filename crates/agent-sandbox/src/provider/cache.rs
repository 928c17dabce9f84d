//! The sandboxes a provider knows (by id, and the one per codespace), and the
//! codespaces with a `create()` in flight: one set of rules for every
//! backend.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Result;
use crate::provider::{CleanupOptions, Sandbox, SandboxStatus, errors};

struct State<S> {
    by_id: HashMap<String, Arc<S>>,
    by_codespace: HashMap<String, String>,
    creating: HashSet<String>,
}

/// A provider's known sandboxes.
pub(crate) struct SandboxCache<S> {
    state: Mutex<State<S>>,
}

impl<S> Default for SandboxCache<S> {
    fn default() -> Self {
        SandboxCache {
            state: Mutex::new(State {
                by_id: HashMap::new(),
                by_codespace: HashMap::new(),
                creating: HashSet::new(),
            }),
        }
    }
}

/// A codespace's `create()` in flight; dropping it ends that.
pub(crate) struct Creating<'a, S> {
    cache: &'a SandboxCache<S>,
    codespace_id: String,
}

impl<S> SandboxCache<S> {
    fn lock(&self) -> MutexGuard<'_, State<S>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<S> Drop for Creating<'_, S> {
    fn drop(&mut self) {
        self.cache.lock().creating.remove(&self.codespace_id);
    }
}

impl<S: Sandbox> SandboxCache<S> {
    pub fn remember(&self, sandbox: &Arc<S>) {
        let mut state = self.lock();
        state
            .by_id
            .insert(sandbox.id().to_string(), sandbox.clone());
        state
            .by_codespace
            .insert(sandbox.codespace_id().to_string(), sandbox.id().to_string());
    }

    pub fn forget(&self, sandbox_id: &str, codespace_id: &str) {
        let mut state = self.lock();
        state.by_id.remove(sandbox_id);
        if state.by_codespace.get(codespace_id).map(String::as_str) == Some(sandbox_id) {
            state.by_codespace.remove(codespace_id);
        }
    }

    pub fn get(&self, sandbox_id: &str) -> Option<Arc<S>> {
        self.lock().by_id.get(sandbox_id).cloned()
    }

    pub fn for_codespace(&self, codespace_id: &str) -> Option<Arc<S>> {
        let state = self.lock();
        let id = state.by_codespace.get(codespace_id)?;
        state.by_id.get(id).cloned()
    }

    /// Marks a `create()` for `codespace_id` in flight, under the same lock
    /// as the check, so a concurrent one is refused at once
    /// (`K8S_POD_ALREADY_EXISTS`), as is one for a codespace whose cached
    /// sandbox is not stopped.
    pub fn begin_create(&self, codespace_id: &str) -> Result<Creating<'_, S>> {
        let mut state = self.lock();
        let live = state
            .by_codespace
            .get(codespace_id)
            .and_then(|id| state.by_id.get(id))
            .is_some_and(|s| s.status() != SandboxStatus::Stopped);
        if live || !state.creating.insert(codespace_id.to_string()) {
            return Err(errors::sandbox_already_exists(codespace_id));
        }
        Ok(Creating {
            cache: self,
            codespace_id: codespace_id.to_string(),
        })
    }

    /// The cached sandbox `sandbox_id` if it is still there (a gone one is
    /// forgotten).
    pub async fn get_live(&self, sandbox_id: &str) -> Option<Arc<S>> {
        let cached = self.get(sandbox_id)?;
        if cached.refresh_status().await.is_gone() {
            self.forget(sandbox_id, cached.codespace_id());
            return None;
        }
        Some(cached)
    }

    /// The codespace's cached sandbox if it is still there.
    pub async fn live_for_codespace(&self, codespace_id: &str) -> Option<Arc<S>> {
        let cached = self.for_codespace(codespace_id)?;
        if cached.refresh_status().await.is_gone() {
            self.forget(cached.id(), codespace_id);
            return None;
        }
        Some(cached)
    }

    /// Refreshes every cached sandbox, forgetting gone ones.
    pub async fn validate(&self) {
        let cached: Vec<_> = self.lock().by_id.values().cloned().collect();
        for sandbox in cached {
            if sandbox.refresh_status().await.is_gone() {
                self.forget(sandbox.id(), sandbox.codespace_id());
            }
        }
    }

    /// Stops and forgets the cached sandboxes `options` selects; how many.
    pub async fn cleanup(&self, options: &CleanupOptions) -> u32 {
        let candidates: Vec<_> = self
            .lock()
            .by_id
            .values()
            .filter(|s| options.statuses.contains(&s.status()))
            .filter(|s| options.older_than.is_none_or(|t| s.last_activity() < t))
            .cloned()
            .collect();
        for sandbox in &candidates {
            if sandbox.status() != SandboxStatus::Stopped
                && let Err(e) = sandbox.stop("cleanup").await
            {
                tracing::warn!(sandbox = %sandbox.container_id(), error = %e, "cleanup(): stopping failed");
            }
            self.forget(sandbox.id(), sandbox.codespace_id());
        }
        candidates.len() as u32
    }
}
