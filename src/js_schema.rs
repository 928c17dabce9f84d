//! Schema validation for the JS schema objects (`lib/schemas.cjs`), which
//! describe a schema as an export plus zod-style derivations
//! (`agent_sandbox::schema::Descriptor`).

use agent_sandbox::schema::{Descriptor, keys, resolve, validate_all};
use napi_derive::napi;

use crate::js_error::{invalid, invalid_argument};
use serde_json::{Value, json};

fn schema_of(descriptor: Value) -> napi::Result<agent_sandbox::schema::Schema> {
    let descriptor: Descriptor = serde_json::from_value(descriptor)
        .map_err(|e| invalid(format!("not a schema descriptor: {e}")))?;
    resolve(&descriptor).map_err(invalid_argument)
}

/// Validates tagged JSON text (see `agent_sandbox::schema`) against the
/// described schema: `{success, plan, issues}`. The plan comes even with
/// issues, so that the caller's own validators (`external` in the plan) run
/// and report theirs too.
#[napi(catch_unwind)]
pub fn validate_schema(descriptor: Value, tagged_json: String) -> napi::Result<Value> {
    let schema = schema_of(descriptor)?;
    let input: Value = serde_json::from_str(&tagged_json)
        .map_err(|e| invalid(format!("schema input is not JSON: {e}")))?;
    let (plan, issues) = validate_all(&schema, &input);
    Ok(json!({ "success": issues.is_empty(), "plan": plan, "issues": issues }))
}

/// Checks a derivation when it is made (zod throws at `pick({nope: true})`,
/// not at parse) and gives the keys an object schema's `shape` lists, or null.
#[napi(catch_unwind)]
pub fn describe_schema(descriptor: Value) -> napi::Result<Option<Vec<String>>> {
    Ok(keys(&schema_of(descriptor)?))
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
