//! Structural validation of Agent Sandbox objects, with the original SDK's
//! (zod) rules: unknown keys are stripped, never rejected; optional means
//! absent or undefined (null is rejected); numbers must be finite.
//!
//! Validation returns a [`Plan`] rather than a new value: the caller builds
//! its output from its own input by following the plan, so values typed
//! "any" keep their identity (the Node binding relies on that).
//!
//! Input is JSON in which JavaScript-only values are tagged as
//! `{"\u0000js": "undefined" | "nan" | "inf" | "-inf" | "function" | "symbol" | "bigint"}`.

use serde::Serialize;
use serde_json::{Map, Value};

mod derive;
pub use derive::{Descriptor, Op, keys, resolve};

/// Key of the tag object standing for a JavaScript-only value.
pub const JS_TAG: &str = "\u{0}js";

/// How to build the parsed value from the input.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Plan {
    /// The input value itself.
    Take,
    /// A new object with these keys, each built by its plan.
    Object { keys: Vec<(String, Plan)> },
    /// A new array, element by element.
    Array { items: Vec<Plan> },
    /// A value for the caller's own validator `id` (see [`Schema::External`]).
    External { id: u32 },
}

/// One problem, shaped like a zod issue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Issue {
    pub code: &'static str,
    pub path: Vec<Value>,
    pub message: String,
}

#[derive(Clone, Debug)]
pub enum Schema {
    String,
    Number,
    /// An integer, with optional inclusive bounds.
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    Any,
    /// An object whose values are all strings.
    Record,
    Enum(&'static [&'static str]),
    Array(Box<Schema>),
    Object(Vec<Field>),
    /// Absent or undefined, or the inner schema (zod's `.optional()`).
    Optional(Box<Schema>),
    /// The inner schema, never absent or undefined (zod's `.required()` of
    /// a key whose schema would accept undefined).
    NonOptional(Box<Schema>),
    /// A validator this crate does not know (a caller's own zod schema given
    /// to `extend`): it is asked at every position the plan marks, absent
    /// values included, since only it knows whether it accepts them.
    External(u32),
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub schema: Schema,
    pub required: bool,
}

fn req(name: &str, schema: Schema) -> Field {
    Field {
        name: name.to_string(),
        schema,
        required: true,
    }
}
fn opt(name: &str, schema: Schema) -> Field {
    Field {
        name: name.to_string(),
        schema,
        required: false,
    }
}

/// The names of every schema, as the JS package exports them.
pub const SCHEMA_NAMES: [&str; 22] = [
    "podMetadataSchema",
    "podTemplateSchema",
    "embeddedObjectMetadataSchema",
    "persistentVolumeClaimTemplateSchema",
    "shutdownPolicySchema",
    "sandboxSpecSchema",
    "sandboxStatusSchema",
    "sandboxSchema",
    "networkPolicySpecSchema",
    "networkPolicyManagementSchema",
    "sandboxTemplateSpecSchema",
    "sandboxTemplateStatusSchema",
    "sandboxTemplateSchema",
    "sandboxTemplateRefSchema",
    "lifecycleSchema",
    "claimSandboxStatusSchema",
    "sandboxClaimSpecSchema",
    "sandboxClaimStatusSchema",
    "sandboxClaimSchema",
    "sandboxWarmPoolSpecSchema",
    "sandboxWarmPoolStatusSchema",
    "sandboxWarmPoolSchema",
];

const SHUTDOWN_POLICIES: &[&str] = &["Delete", "Retain"];
const NETWORK_POLICY_MANAGEMENT: &[&str] = &["Managed", "Unmanaged"];

fn resource_metadata() -> Schema {
    Schema::Object(vec![
        req("name", Schema::String),
        opt("namespace", Schema::String),
        opt("labels", Schema::Record),
        opt("annotations", Schema::Record),
    ])
}

/// A resource whose `kind` must be exactly `kind` (a one-value enum).
fn resource(kind: &'static [&'static str], spec: Schema, status: Schema) -> Schema {
    Schema::Object(vec![
        req("apiVersion", Schema::String),
        req("kind", Schema::Enum(kind)),
        req("metadata", resource_metadata()),
        req("spec", spec),
        opt("status", status),
    ])
}

/// The schema exported under `name`.
pub fn schema(name: &str) -> Option<Schema> {
    let pod_metadata = || {
        Schema::Object(vec![
            opt("labels", Schema::Record),
            opt("annotations", Schema::Record),
        ])
    };
    let pod_template = || {
        Schema::Object(vec![
            opt("spec", Schema::Any),
            req("metadata", pod_metadata()),
        ])
    };
    let embedded_metadata = || {
        Schema::Object(vec![
            opt("name", Schema::String),
            opt("labels", Schema::Record),
            opt("annotations", Schema::Record),
        ])
    };
    let pvc_template = || {
        Schema::Object(vec![
            req("metadata", embedded_metadata()),
            opt("spec", Schema::Any),
        ])
    };
    let sandbox_spec = || {
        Schema::Object(vec![
            req("podTemplate", pod_template()),
            opt(
                "volumeClaimTemplates",
                Schema::Array(Box::new(pvc_template())),
            ),
            opt("shutdownTime", Schema::String),
            opt("shutdownPolicy", Schema::Enum(SHUTDOWN_POLICIES)),
            opt(
                "replicas",
                Schema::Int {
                    min: Some(0),
                    max: Some(1),
                },
            ),
        ])
    };
    let sandbox_status = || {
        Schema::Object(vec![
            opt("serviceFQDN", Schema::String),
            opt("service", Schema::String),
            opt("conditions", Schema::Array(Box::new(Schema::Any))),
            req("replicas", Schema::Number),
            opt("selector", Schema::String),
        ])
    };
    let network_policy_spec = || {
        Schema::Object(vec![
            opt("ingress", Schema::Array(Box::new(Schema::Any))),
            opt("egress", Schema::Array(Box::new(Schema::Any))),
        ])
    };
    let template_spec = || {
        Schema::Object(vec![
            req("podTemplate", pod_template()),
            opt("networkPolicy", network_policy_spec()),
            opt(
                "networkPolicyManagement",
                Schema::Enum(NETWORK_POLICY_MANAGEMENT),
            ),
        ])
    };
    let template_status = || Schema::Object(vec![]);
    let template_ref = || Schema::Object(vec![req("name", Schema::String)]);
    let lifecycle = || {
        Schema::Object(vec![
            opt("shutdownTime", Schema::String),
            opt("shutdownPolicy", Schema::Enum(SHUTDOWN_POLICIES)),
        ])
    };
    // `Name` is the original's (controllers up to v0.2); the rest are newer
    // controllers' (`serviceFQDN` since v1.x).
    let claim_sandbox_status = || {
        Schema::Object(vec![
            opt("Name", Schema::String),
            opt("name", Schema::String),
            opt("podIPs", Schema::Array(Box::new(Schema::String))),
            opt("serviceFQDN", Schema::String),
        ])
    };
    let claim_spec = || {
        Schema::Object(vec![
            req("sandboxTemplateRef", template_ref()),
            opt("lifecycle", lifecycle()),
        ])
    };
    let claim_status = || {
        Schema::Object(vec![
            opt("conditions", Schema::Array(Box::new(Schema::Any))),
            opt("sandbox", claim_sandbox_status()),
        ])
    };
    let pool_spec = || {
        Schema::Object(vec![
            req(
                "replicas",
                Schema::Int {
                    min: Some(0),
                    max: None,
                },
            ),
            req("sandboxTemplateRef", template_ref()),
            // v1.0.12: at least 30.
            opt(
                "readinessGracePeriodSeconds",
                Schema::Int {
                    min: Some(30),
                    max: None,
                },
            ),
        ])
    };
    let pool_status = || {
        Schema::Object(vec![
            opt("replicas", Schema::Number),
            opt("readyReplicas", Schema::Number),
        ])
    };

    Some(match name {
        "podMetadataSchema" => pod_metadata(),
        "podTemplateSchema" => pod_template(),
        "embeddedObjectMetadataSchema" => embedded_metadata(),
        "persistentVolumeClaimTemplateSchema" => pvc_template(),
        "shutdownPolicySchema" => Schema::Enum(SHUTDOWN_POLICIES),
        "sandboxSpecSchema" => sandbox_spec(),
        "sandboxStatusSchema" => sandbox_status(),
        "sandboxSchema" => resource(&["Sandbox"], sandbox_spec(), sandbox_status()),
        "networkPolicySpecSchema" => network_policy_spec(),
        "networkPolicyManagementSchema" => Schema::Enum(NETWORK_POLICY_MANAGEMENT),
        "sandboxTemplateSpecSchema" => template_spec(),
        "sandboxTemplateStatusSchema" => template_status(),
        "sandboxTemplateSchema" => {
            resource(&["SandboxTemplate"], template_spec(), template_status())
        }
        "sandboxTemplateRefSchema" => template_ref(),
        "lifecycleSchema" => lifecycle(),
        "claimSandboxStatusSchema" => claim_sandbox_status(),
        "sandboxClaimSpecSchema" => claim_spec(),
        "sandboxClaimStatusSchema" => claim_status(),
        "sandboxClaimSchema" => resource(&["SandboxClaim"], claim_spec(), claim_status()),
        "sandboxWarmPoolSpecSchema" => pool_spec(),
        "sandboxWarmPoolStatusSchema" => pool_status(),
        "sandboxWarmPoolSchema" => resource(&["SandboxWarmPool"], pool_spec(), pool_status()),
        _ => return None,
    })
}

/// What a JSON (possibly tagged) value is, in JavaScript terms.
fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(m) => match m.get(JS_TAG).and_then(Value::as_str) {
            Some("undefined") => "undefined",
            Some("nan") => "nan",
            Some("inf" | "-inf") => "infinity",
            Some("function") => "function",
            Some("symbol") => "symbol",
            Some("bigint") => "bigint",
            // An object of the caller's that has the tag key itself: never
            // read as a tag (it could pose as undefined), and matching no
            // schema but "any", which passes the caller's value through.
            Some("reserved") => "object with a reserved key",
            _ => "object",
        },
    }
}

fn is_absent(v: Option<&Value>) -> bool {
    v.is_none_or(|v| js_type(v) == "undefined")
}

/// Validates `input` against `schema`.
pub fn validate(schema: &Schema, input: &Value) -> Result<Plan, Vec<Issue>> {
    let (plan, issues) = validate_all(schema, input);
    if issues.is_empty() {
        Ok(plan)
    } else {
        Err(issues)
    }
}

/// The plan and every issue: with [`Schema::External`] parts the caller
/// still runs its own validators where the plan says, to report their
/// issues next to these (as zod reports every issue at once).
pub fn validate_all(schema: &Schema, input: &Value) -> (Plan, Vec<Issue>) {
    let mut issues = Vec::new();
    let mut path = Vec::new();
    let plan = check(schema, input, &mut path, &mut issues);
    (plan, issues)
}

fn type_issue(expected: &str, received: &str, path: &[Value], issues: &mut Vec<Issue>) -> Plan {
    issues.push(Issue {
        code: "invalid_type",
        path: path.to_vec(),
        message: format!("Invalid input: expected {expected}, received {received}"),
    });
    Plan::Take
}

fn check(schema: &Schema, v: &Value, path: &mut Vec<Value>, issues: &mut Vec<Issue>) -> Plan {
    let t = js_type(v);
    match schema {
        Schema::Any => Plan::Take,
        Schema::External(id) => Plan::External { id: *id },
        Schema::Optional(_) if t == "undefined" => Plan::Take,
        Schema::Optional(inner) => check(inner, v, path, issues),
        Schema::NonOptional(_) if t == "undefined" => type_issue("nonoptional", t, path, issues),
        Schema::NonOptional(inner) => check(inner, v, path, issues),
        Schema::String if t == "string" => Plan::Take,
        Schema::String => type_issue("string", t, path, issues),
        Schema::Number if t == "number" => Plan::Take,
        Schema::Number => type_issue("number", t, path, issues),
        Schema::Int { min, max } => {
            let Some(n) = v.as_f64().filter(|_| t == "number") else {
                return type_issue("int", t, path, issues);
            };
            if n.fract() != 0.0 {
                return type_issue("int", "number", path, issues);
            }
            if let Some(min) = min
                && n < *min as f64
            {
                issues.push(Issue {
                    code: "too_small",
                    path: path.clone(),
                    message: format!("Too small: expected number to be >={min}"),
                });
            }
            if let Some(max) = max
                && n > *max as f64
            {
                issues.push(Issue {
                    code: "too_big",
                    path: path.clone(),
                    message: format!("Too big: expected number to be <={max}"),
                });
            }
            Plan::Take
        }
        Schema::Enum(options) => match v.as_str() {
            Some(s) if options.contains(&s) => Plan::Take,
            _ => {
                let expected = options
                    .iter()
                    .map(|o| format!("\"{o}\""))
                    .collect::<Vec<_>>()
                    .join("|");
                issues.push(Issue {
                    code: "invalid_value",
                    path: path.clone(),
                    message: format!("Invalid option: expected one of {expected}"),
                });
                Plan::Take
            }
        },
        Schema::Record => {
            let Some(map) = v.as_object().filter(|_| t == "object") else {
                return type_issue("record", t, path, issues);
            };
            for (k, val) in map {
                if js_type(val) != "string" {
                    path.push(Value::String(k.clone()));
                    type_issue("string", js_type(val), path, issues);
                    path.pop();
                }
            }
            // Keys are all kept; values are strings, copied by value anyway.
            Plan::Object {
                keys: map.keys().map(|k| (k.clone(), Plan::Take)).collect(),
            }
        }
        Schema::Array(item) => {
            let Some(items) = v.as_array() else {
                return type_issue("array", t, path, issues);
            };
            let mut plans = Vec::with_capacity(items.len());
            for (i, element) in items.iter().enumerate() {
                path.push(Value::from(i));
                plans.push(check(item, element, path, issues));
                path.pop();
            }
            // A new array even for items of "any" (zod copies arrays).
            Plan::Array { items: plans }
        }
        Schema::Object(fields) => {
            let Some(map) = v.as_object().filter(|_| t == "object") else {
                return type_issue("object", t, path, issues);
            };
            let mut keys = Vec::new();
            for f in fields {
                let value = map.get(&f.name);
                if let Schema::External(id) = f.schema {
                    keys.push((f.name.clone(), Plan::External { id }));
                    continue;
                }
                if is_absent(value) {
                    if f.required && !matches!(f.schema, Schema::Any | Schema::Optional(_)) {
                        path.push(Value::String(f.name.clone()));
                        type_issue(expected_name(&f.schema), "undefined", path, issues);
                        path.pop();
                    } else if value.is_some() {
                        // Given as undefined: kept, as zod keeps it (an absent key stays absent).
                        keys.push((f.name.clone(), Plan::Take));
                    }
                    continue;
                }
                let value = value.unwrap_or(&Value::Null);
                path.push(Value::String(f.name.clone()));
                let plan = check(&f.schema, value, path, issues);
                path.pop();
                keys.push((f.name.to_string(), plan));
            }
            Plan::Object { keys }
        }
    }
}

fn expected_name(s: &Schema) -> &'static str {
    match s {
        Schema::String => "string",
        Schema::Number => "number",
        Schema::Int { .. } => "int",
        Schema::Any => "any",
        Schema::Record => "record",
        Schema::Enum(_) => "enum",
        Schema::Array(_) => "array",
        Schema::Object(_) => "object",
        Schema::Optional(inner) => expected_name(inner),
        Schema::NonOptional(_) => "nonoptional",
        Schema::External(_) => "unknown",
    }
}

/// Builds the parsed value from plain JSON input (for Rust callers).
pub fn materialize(plan: &Plan, input: &Value) -> Value {
    match (plan, input) {
        (Plan::Take, v) => v.clone(),
        (Plan::Object { keys }, Value::Object(map)) => {
            let mut out = Map::new();
            for (k, p) in keys {
                if let Some(v) = map.get(k) {
                    out.insert(k.clone(), materialize(p, v));
                }
            }
            Value::Object(out)
        }
        (Plan::Array { items }, Value::Array(values)) => Value::Array(
            items
                .iter()
                .zip(values)
                .map(|(p, v)| materialize(p, v))
                .collect(),
        ),
        (_, v) => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(name: &str, v: Value) -> Result<Value, Vec<Issue>> {
        let s = schema(name).unwrap();
        validate(&s, &v).map(|p| materialize(&p, &v))
    }

    #[test]
    fn every_exported_name_has_a_schema() {
        for name in SCHEMA_NAMES {
            assert!(schema(name).is_some(), "{name}");
        }
    }

    #[test]
    fn v1_fields_claim_service_fqdn_and_pool_readiness_grace() {
        let status = json!({"sandbox":{"name":"s","podIPs":["10.0.0.1"],"serviceFQDN":"s.ns.svc.cluster.local"}});
        assert_eq!(
            parse("sandboxClaimStatusSchema", status.clone()).unwrap(),
            status
        );
        let pool = |grace: Value| json!({"replicas":1,"sandboxTemplateRef":{"name":"t"},"readinessGracePeriodSeconds":grace});
        assert!(parse("sandboxWarmPoolSpecSchema", pool(json!(30))).is_ok());
        assert!(parse("sandboxWarmPoolSpecSchema", pool(json!(29))).is_err());
        assert!(parse("sandboxWarmPoolSpecSchema", pool(json!(30.5))).is_err());
    }

    #[test]
    fn unknown_keys_are_stripped_at_every_level() {
        let sandbox = json!({"apiVersion":"agents.x-k8s.io/v1alpha1","kind":"Sandbox",
            "metadata":{"name":"s","uid":"u","resourceVersion":"1"},
            "spec":{"podTemplate":{"metadata":{"x":1},"spec":{"containers":[],"keep":true}},"extra":1},"extra":2});
        let out = parse("sandboxSchema", sandbox).unwrap();
        assert_eq!(
            out,
            json!({"apiVersion":"agents.x-k8s.io/v1alpha1","kind":"Sandbox","metadata":{"name":"s"},
            "spec":{"podTemplate":{"metadata":{},"spec":{"containers":[],"keep":true}}}})
        );
    }

    #[test]
    fn replicas_bounds_and_integers() {
        let spec = |r: Value| json!({"podTemplate":{"metadata":{},"spec":{}},"replicas":r});
        assert!(parse("sandboxSpecSchema", spec(json!(1))).is_ok());
        assert!(parse("sandboxSpecSchema", spec(json!(2))).is_err());
        assert!(parse("sandboxSpecSchema", spec(json!(-1))).is_err());
        assert!(parse("sandboxSpecSchema", spec(json!(0.5))).is_err());
    }

    #[test]
    fn optional_accepts_undefined_but_not_null() {
        let undefined = json!({ JS_TAG: "undefined" });
        assert!(parse("lifecycleSchema", json!({"shutdownTime": undefined})).is_ok());
        let err = parse("lifecycleSchema", json!({"shutdownTime": null})).unwrap_err();
        assert_eq!(err[0].path, vec![json!("shutdownTime")]);
        assert_eq!(err[0].code, "invalid_type");
    }

    #[test]
    fn numbers_must_be_finite() {
        assert!(
            parse(
                "sandboxWarmPoolStatusSchema",
                json!({"replicas": {JS_TAG: "nan"}})
            )
            .is_err()
        );
        assert!(
            parse(
                "sandboxWarmPoolStatusSchema",
                json!({"replicas": {JS_TAG: "inf"}})
            )
            .is_err()
        );
        assert!(parse("sandboxWarmPoolStatusSchema", json!({"replicas": "3"})).is_err());
    }

    #[test]
    fn enums_are_exact() {
        assert!(parse("networkPolicyManagementSchema", json!("Managed")).is_ok());
        assert!(parse("networkPolicyManagementSchema", json!("managed")).is_err());
        assert!(parse("shutdownPolicySchema", json!("Destroy")).is_err());
    }

    #[test]
    fn template_status_outputs_an_empty_object() {
        assert_eq!(
            parse("sandboxTemplateStatusSchema", json!({"a":1})).unwrap(),
            json!({})
        );
        assert!(parse("sandboxTemplateStatusSchema", json!("x")).is_err());
    }

    #[test]
    fn required_status_replicas() {
        assert!(parse("sandboxStatusSchema", json!({})).is_err());
        assert!(
            parse(
                "sandboxStatusSchema",
                json!({"replicas":1,"conditions":[{"type":"Ready"}]})
            )
            .is_ok()
        );
    }
}
