//! Objects cross the JS boundary as JSON text. V8's `JSON.parse` and
//! `JSON.stringify` are far cheaper than building or walking objects one
//! property at a time through napi: a list of 1,000 Sandboxes took about four
//! times longer as napi objects than as text parsed in JS.

use agent_sandbox::client::JsonText;
use serde_json::Value;

use crate::js_error::{decode, invalid, to_napi};

/// Parses a JSON text sent by the JS layer.
pub fn parse(text: &str, what: &str) -> napi::Result<Value> {
    serde_json::from_str(text).map_err(|e| invalid(format!("{what} is not valid JSON: {e}")))
}

pub trait IntoJsonText {
    fn into_json_text(self) -> napi::Result<String>;
}

impl IntoJsonText for agent_sandbox::Result<Value> {
    fn into_json_text(self) -> napi::Result<String> {
        serde_json::to_string(&self.map_err(to_napi)?).map_err(decode)
    }
}

impl IntoJsonText for agent_sandbox::Result<JsonText> {
    fn into_json_text(self) -> napi::Result<String> {
        self.map(|t| t.0).map_err(to_napi)
    }
}
