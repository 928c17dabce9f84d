//! `NativePortForward`: a sandbox's port on a local listener (the core's
//! [`PortForward`]). The JS layer turns it into an emitter of
//! `connectionError` events.

use agent_sandbox::port_forward::PortForward;
use napi_derive::napi;

use crate::js_error::to_napi;

#[napi]
pub struct NativePortForward {
    forward: PortForward,
}

impl NativePortForward {
    pub(crate) fn new(forward: PortForward) -> Self {
        NativePortForward { forward }
    }
}

#[napi]
impl NativePortForward {
    /// Always 127.0.0.1.
    #[napi(getter)]
    pub fn local_address(&self) -> String {
        self.forward.local_addr().ip().to_string()
    }

    #[napi(getter)]
    pub fn local_port(&self) -> u32 {
        u32::from(self.forward.local_addr().port())
    }

    #[napi(getter)]
    pub fn remote_port(&self) -> u32 {
        u32::from(self.forward.remote_port())
    }

    /// Rejects with the next connection's failure (PORT_FORWARD_FAILED);
    /// resolves null once the forward is closed.
    #[napi]
    pub async fn next_error(&self) -> napi::Result<Option<()>> {
        match self.forward.next_error().await {
            Some(error) => Err(to_napi(error)),
            None => Ok(None),
        }
    }

    /// Stops listening and ends every forwarded connection. Idempotent.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.forward.close();
    }
}
