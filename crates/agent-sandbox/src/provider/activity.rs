//! A sandbox handle's status and last activity, and the one rule that turns
//! a change of status into an event: becoming idle is `sandbox:idle`.

use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use crate::provider::{ProviderEvent, SandboxStatus};

pub(crate) struct Activity {
    status: Mutex<SandboxStatus>,
    last: Mutex<SystemTime>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Activity {
    pub fn new(status: SandboxStatus) -> Self {
        Activity {
            status: Mutex::new(status),
            last: Mutex::new(SystemTime::now()),
        }
    }

    pub fn status(&self) -> SandboxStatus {
        *lock(&self.status)
    }

    pub fn touch(&self) {
        *lock(&self.last) = SystemTime::now();
    }

    pub fn last(&self) -> SystemTime {
        *lock(&self.last)
    }

    /// Sets the status of sandbox `sandbox_id`; the `sandbox:idle` event to
    /// emit when it has just become idle.
    pub fn set(&self, sandbox_id: &str, next: SandboxStatus) -> Option<ProviderEvent> {
        let previous = std::mem::replace(&mut *lock(&self.status), next);
        (next == SandboxStatus::Idle && previous != SandboxStatus::Idle).then(|| {
            ProviderEvent::Idle {
                sandbox_id: sandbox_id.to_string(),
                idle_since: SystemTime::now(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_becoming_idle_is_an_event() {
        let a = Activity::new(SandboxStatus::Running);
        assert!(a.set("s", SandboxStatus::Running).is_none());
        assert!(matches!(
            a.set("s", SandboxStatus::Idle),
            Some(ProviderEvent::Idle { .. })
        ));
        assert!(a.set("s", SandboxStatus::Idle).is_none());
        assert!(a.set("s", SandboxStatus::Stopped).is_none());
        assert_eq!(a.status(), SandboxStatus::Stopped);
    }
}
