//! Schema validation for the JS schema objects (`lib/schemas.cjs`).

use agent_sandbox::schema::{schema, validate};
use napi_derive::napi;

use crate::js_error::invalid;
use serde_json::{Value, json};

/// Validates tagged JSON text (see `agent_sandbox::schema`) against the
/// schema exported as `name`: `{success: true, plan}` or `{success: false, issues}`.
#[napi(catch_unwind)]
pub fn validate_schema(name: String, tagged_json: String) -> napi::Result<Value> {
    let schema = schema(&name).ok_or_else(|| invalid(format!("unknown schema {name:?}")))?;
    let input: Value = serde_json::from_str(&tagged_json)
        .map_err(|e| invalid(format!("schema input is not JSON: {e}")))?;
    Ok(match validate(&schema, &input) {
        Ok(plan) => json!({ "success": true, "plan": plan }),
        Err(issues) => json!({ "success": false, "issues": issues }),
    })
}

/// The names of the exported schema objects, and the tag the JS layer marks
/// values JSON cannot carry with (`undefined`, `NaN`, …).
#[napi(object)]
pub struct JsSchemaCatalog {
    pub names: Vec<String>,
    pub tag: String,
}

#[napi(catch_unwind)]
pub fn schema_catalog() -> JsSchemaCatalog {
    JsSchemaCatalog {
        names: agent_sandbox::schema::SCHEMA_NAMES
            .map(String::from)
            .to_vec(),
        tag: agent_sandbox::schema::JS_TAG.to_string(),
    }
}
