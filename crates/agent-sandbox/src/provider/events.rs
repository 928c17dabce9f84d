//! What a provider tells its listeners, in order, losing nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use futures::Stream;

use crate::error::Error;

/// AgentPane's `SandboxProviderEvent`.
#[derive(Clone, Debug)]
pub enum ProviderEvent {
    Creating {
        sandbox_id: String,
        codespace_id: String,
    },
    Created {
        sandbox_id: String,
        codespace_id: String,
        container_id: String,
    },
    Starting {
        sandbox_id: String,
    },
    Started {
        sandbox_id: String,
    },
    Idle {
        sandbox_id: String,
        idle_since: SystemTime,
    },
    Stopping {
        sandbox_id: String,
        reason: String,
    },
    Stopped {
        sandbox_id: String,
    },
    Error {
        sandbox_id: String,
        error: Arc<Error>,
    },
}

impl ProviderEvent {
    /// `sandbox:creating`, ...
    pub fn type_name(&self) -> &'static str {
        match self {
            ProviderEvent::Creating { .. } => "sandbox:creating",
            ProviderEvent::Created { .. } => "sandbox:created",
            ProviderEvent::Starting { .. } => "sandbox:starting",
            ProviderEvent::Started { .. } => "sandbox:started",
            ProviderEvent::Idle { .. } => "sandbox:idle",
            ProviderEvent::Stopping { .. } => "sandbox:stopping",
            ProviderEvent::Stopped { .. } => "sandbox:stopped",
            ProviderEvent::Error { .. } => "sandbox:error",
        }
    }

    pub fn sandbox_id(&self) -> &str {
        match self {
            ProviderEvent::Creating { sandbox_id, .. }
            | ProviderEvent::Created { sandbox_id, .. }
            | ProviderEvent::Starting { sandbox_id }
            | ProviderEvent::Started { sandbox_id }
            | ProviderEvent::Idle { sandbox_id, .. }
            | ProviderEvent::Stopping { sandbox_id, .. }
            | ProviderEvent::Stopped { sandbox_id }
            | ProviderEvent::Error { sandbox_id, .. } => sandbox_id,
        }
    }
}

type Listener = Arc<dyn Fn(&ProviderEvent) + Send + Sync>;

/// The listeners of one provider. Emission is synchronous and in order; a
/// listener that panics is logged and the others still run.
#[derive(Default)]
pub struct Events {
    next: AtomicU64,
    listeners: Mutex<Vec<(u64, Listener)>>,
}

impl Events {
    /// Registers `listener`; the id unregisters it.
    pub fn subscribe(&self, listener: impl Fn(&ProviderEvent) + Send + Sync + 'static) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().push((id, Arc::new(listener)));
        id
    }

    pub fn unsubscribe(&self, id: u64) {
        self.lock().retain(|(i, _)| *i != id);
    }

    /// Every event from now on, as a stream (ends when the provider does).
    pub fn stream(&self) -> impl Stream<Item = ProviderEvent> + Send + 'static {
        let (tx, rx) = futures::channel::mpsc::unbounded();
        self.subscribe(move |ev| {
            let _ = tx.unbounded_send(ev.clone());
        });
        rx
    }

    pub fn emit(&self, event: ProviderEvent) {
        tracing::debug!(
            event = event.type_name(),
            sandbox_id = event.sandbox_id(),
            "provider event"
        );
        // Listeners run outside the lock, so one may (un)subscribe others.
        let listeners: Vec<Listener> = self.lock().iter().map(|(_, l)| l.clone()).collect();
        for listener in listeners {
            let call = std::panic::AssertUnwindSafe(|| listener(&event));
            if std::panic::catch_unwind(call).is_err() {
                tracing::warn!(
                    event = event.type_name(),
                    "a sandbox event listener panicked"
                );
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Listener)>> {
        self.listeners.lock().unwrap_or_else(|p| p.into_inner())
    }
}
