//! Objects cross the JS boundary as JSON text, turned into objects and back
//! by V8's own `JSON.parse` and `JSON.stringify`: far cheaper than building
//! or walking objects one property at a time through napi (a list of 1,000
//! Sandboxes took about four times longer as napi objects).

use agent_sandbox::client::JsonText;
use napi::bindgen_prelude::{Function, JsObjectValue, Object, ToNapiValue, Unknown};
use napi::{Env, JsValue, sys};
use serde_json::Value;

use crate::js_error::{invalid, invalid_argument};

/// Parses a JSON text sent by the JS layer.
pub fn parse(text: &str, what: &str) -> napi::Result<Value> {
    serde_json::from_str(text).map_err(|e| invalid(format!("{what} is not valid JSON: {e}")))
}

fn json_object(env: &Env) -> napi::Result<Object<'_>> {
    env.get_global()?.get_named_property("JSON")
}

/// `JSON.stringify(value)`, on the JS thread; `what` names the value in the
/// error when it has no JSON form.
pub fn stringify(env: &Env, value: Unknown, what: &str) -> napi::Result<String> {
    let json = json_object(env)?;
    let f: Function<Unknown, Option<String>> = json.get_named_property("stringify")?;
    f.apply(json, value)?.ok_or_else(|| {
        invalid_argument(format!(
            "{what} must be an object, got nothing JSON can carry"
        ))
    })
}

/// What a call answers, turned into a JS value on the JS thread.
pub enum Answer {
    /// An object or list, as JSON text (parsed by `JSON.parse`).
    Json(String),
    Void,
    Bool(bool),
}

impl ToNapiValue for Answer {
    unsafe fn to_napi_value(raw: sys::napi_env, answer: Self) -> napi::Result<sys::napi_value> {
        match answer {
            Answer::Json(text) => {
                let env = Env::from_raw(raw);
                let json = json_object(&env)?;
                let f: Function<String, Unknown> = json.get_named_property("parse")?;
                Ok(f.apply(json, text)?.raw())
            }
            // SAFETY: `raw` is the env napi handed to this conversion.
            Answer::Void => unsafe { <()>::to_napi_value(raw, ()) },
            Answer::Bool(b) => unsafe { bool::to_napi_value(raw, b) },
        }
    }
}

pub trait IntoAnswer {
    fn into_answer(self) -> agent_sandbox::Result<Answer>;
}

impl IntoAnswer for JsonText {
    fn into_answer(self) -> agent_sandbox::Result<Answer> {
        Ok(Answer::Json(self.0))
    }
}

impl IntoAnswer for Value {
    fn into_answer(self) -> agent_sandbox::Result<Answer> {
        serde_json::to_string(&self)
            .map(Answer::Json)
            .map_err(|e| agent_sandbox::Error::Decode {
                message: e.to_string(),
            })
    }
}

impl IntoAnswer for () {
    fn into_answer(self) -> agent_sandbox::Result<Answer> {
        Ok(Answer::Void)
    }
}

impl IntoAnswer for bool {
    fn into_answer(self) -> agent_sandbox::Result<Answer> {
        Ok(Answer::Bool(self))
    }
}
