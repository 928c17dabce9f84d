//! zod's derivations of a schema (`pick`, `omit`, `partial`, `required`,
//! `extend`, `optional`, `array`, and one entry of `shape`) applied to the
//! exported schemas. A JS schema object only records what was derived from
//! which export (a [`Descriptor`]); what each derivation means is decided
//! here, once.

use serde::Deserialize;

use super::{Field, Schema, schema};

/// A schema as the JS layer describes it.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Descriptor {
    /// The caller's own validator (for example a zod schema given to
    /// `extend`), run by the caller: see [`Schema::External`].
    External { external: u32 },
    /// An exported schema (`sandboxSchema`, ...) and what was derived from it, in order.
    Derived {
        base: String,
        #[serde(default)]
        ops: Vec<Op>,
    },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Op {
    /// Only these keys of an object.
    Pick { keys: Vec<String> },
    /// Every key of an object but these.
    Omit { keys: Vec<String> },
    /// These keys (all when `None`) become optional.
    Partial { keys: Option<Vec<String>> },
    /// These keys (all when `None`) become required.
    Required { keys: Option<Vec<String>> },
    /// Keys added, or replaced when the object has them.
    Extend { fields: Vec<(String, Descriptor)> },
    /// Absent or undefined is accepted too.
    Optional,
    /// An array of the schema.
    Array,
    /// The schema of one key (`shape.key`): optional keys give an optional schema, as in zod.
    Field { key: String },
}

/// The schema a descriptor stands for, or what is wrong with the derivation
/// (zod's message where zod has one).
pub fn resolve(descriptor: &Descriptor) -> Result<Schema, String> {
    match descriptor {
        Descriptor::External { external } => Ok(Schema::External(*external)),
        Descriptor::Derived { base, ops } => {
            let mut current = schema(base).ok_or_else(|| format!("unknown schema {base:?}"))?;
            for op in ops {
                current = apply(current, op)?;
            }
            Ok(current)
        }
    }
}

/// The keys of an object schema (what `shape` lists), or `None`.
pub fn keys(schema: &Schema) -> Option<Vec<String>> {
    match schema {
        Schema::Object(fields) => Some(fields.iter().map(|f| f.name.clone()).collect()),
        _ => None,
    }
}

fn apply(schema: Schema, op: &Op) -> Result<Schema, String> {
    match op {
        Op::Optional => Ok(Schema::Optional(Box::new(schema))),
        Op::Array => Ok(Schema::Array(Box::new(schema))),
        Op::Pick { keys } => {
            let fields = object(schema, "pick")?;
            known(&fields, keys)?;
            Ok(Schema::Object(
                fields
                    .into_iter()
                    .filter(|f| keys.contains(&f.name))
                    .collect(),
            ))
        }
        Op::Omit { keys } => {
            let fields = object(schema, "omit")?;
            known(&fields, keys)?;
            Ok(Schema::Object(
                fields
                    .into_iter()
                    .filter(|f| !keys.contains(&f.name))
                    .collect(),
            ))
        }
        Op::Partial { keys } => set_required(object(schema, "partial")?, keys.as_deref(), false),
        Op::Required { keys } => set_required(object(schema, "required")?, keys.as_deref(), true),
        Op::Extend { fields: added } => {
            let mut fields = object(schema, "extend")?;
            for (name, descriptor) in added {
                let field = Field {
                    name: name.clone(),
                    schema: resolve(descriptor)?,
                    required: true,
                };
                match fields.iter_mut().find(|f| &f.name == name) {
                    Some(existing) => *existing = field,
                    None => fields.push(field),
                }
            }
            Ok(Schema::Object(fields))
        }
        Op::Field { key } => {
            let field = object(schema, "shape")?
                .into_iter()
                .find(|f| &f.name == key)
                .ok_or_else(|| format!("Unrecognized key: {key:?}"))?;
            Ok(match field.schema {
                s @ (Schema::Optional(_) | Schema::Any) => s,
                s if !field.required => Schema::Optional(Box::new(s)),
                s => s,
            })
        }
    }
}

fn object(schema: Schema, method: &str) -> Result<Vec<Field>, String> {
    match schema {
        Schema::Object(fields) => Ok(fields),
        other => Err(format!(
            "{method}() needs an object schema; this one is {}",
            super::expected_name(&other)
        )),
    }
}

fn known(fields: &[Field], keys: &[String]) -> Result<(), String> {
    match keys.iter().find(|k| !fields.iter().any(|f| &f.name == *k)) {
        Some(unknown) => Err(format!("Unrecognized key: {unknown:?}")),
        None => Ok(()),
    }
}

fn set_required(
    mut fields: Vec<Field>,
    keys: Option<&[String]>,
    required: bool,
) -> Result<Schema, String> {
    if let Some(keys) = keys {
        known(&fields, keys)?;
    }
    for f in fields
        .iter_mut()
        .filter(|f| keys.is_none_or(|k| k.contains(&f.name)))
    {
        f.required = required;
        let schema = std::mem::replace(&mut f.schema, Schema::Any);
        f.schema = match (required, schema) {
            // A caller's validator decides absence itself: wrap it, as zod does.
            (false, s @ Schema::External(_)) => Schema::Optional(Box::new(s)),
            (true, Schema::Optional(inner)) => *inner,
            (true, s @ (Schema::External(_) | Schema::Any)) => Schema::NonOptional(Box::new(s)),
            (_, s) => s,
        };
    }
    Ok(Schema::Object(fields))
}

#[cfg(test)]
mod tests {
    use super::super::{JS_TAG, Plan, validate};
    use super::*;
    use serde_json::{Value, json};

    fn derived(base: &str, ops: Value) -> Schema {
        let d: Descriptor = serde_json::from_value(json!({ "base": base, "ops": ops })).unwrap();
        resolve(&d).unwrap()
    }

    #[test]
    fn pick_omit_partial_required() {
        let pick = derived(
            "sandboxSpecSchema",
            json!([{ "op": "pick", "keys": ["replicas"] }]),
        );
        assert_eq!(keys(&pick).unwrap(), ["replicas"]);
        assert!(validate(&pick, &json!({})).is_ok());
        assert!(validate(&pick, &json!({ "replicas": 2 })).is_err());

        let omit = derived(
            "sandboxStatusSchema",
            json!([{ "op": "omit", "keys": ["replicas"] }]),
        );
        assert!(validate(&omit, &json!({})).is_ok());

        let partial = derived("sandboxWarmPoolSpecSchema", json!([{ "op": "partial" }]));
        assert!(validate(&partial, &json!({})).is_ok());
        assert!(
            validate(&partial, &json!({ "replicas": -1 })).is_err(),
            "rules stay"
        );
        let some = derived(
            "sandboxWarmPoolSpecSchema",
            json!([{ "op": "partial", "keys": ["replicas"] }]),
        );
        assert!(
            validate(&some, &json!({})).is_err(),
            "sandboxTemplateRef is still required"
        );

        let required = derived("lifecycleSchema", json!([{ "op": "required" }]));
        assert!(validate(&required, &json!({ "shutdownPolicy": "Delete" })).is_err());
    }

    #[test]
    fn unknown_keys_and_non_objects_are_refused() {
        let d = |ops: Value| -> Descriptor {
            serde_json::from_value(json!({ "base": "lifecycleSchema", "ops": ops })).unwrap()
        };
        let err = resolve(&d(json!([{ "op": "pick", "keys": ["nope"] }]))).unwrap_err();
        assert_eq!(err, "Unrecognized key: \"nope\"");
        let d2: Descriptor = serde_json::from_value(
            json!({ "base": "shutdownPolicySchema", "ops": [{ "op": "omit", "keys": [] }] }),
        )
        .unwrap();
        assert!(resolve(&d2).unwrap_err().contains("needs an object schema"));
        let d3: Descriptor = serde_json::from_value(json!({ "base": "nope" })).unwrap();
        assert!(resolve(&d3).is_err());
    }

    #[test]
    fn extend_replaces_or_adds_and_external_fields_are_always_planned() {
        let ext = derived(
            "sandboxTemplateRefSchema",
            json!([{ "op": "extend", "fields": [
                ["namespace", { "base": "shutdownPolicySchema", "ops": [{ "op": "optional" }] }],
                ["owner", { "external": 7 }],
            ] }]),
        );
        assert!(validate(&ext, &json!({ "name": "t" })).is_ok());
        assert!(validate(&ext, &json!({ "name": "t", "namespace": "Delete" })).is_ok());
        assert!(validate(&ext, &json!({ "name": "t", "namespace": "x" })).is_err());
        let plan = validate(&ext, &json!({ "name": "t" })).unwrap();
        assert_eq!(
            plan,
            Plan::Object {
                keys: vec![
                    ("name".into(), Plan::Take),
                    ("owner".into(), Plan::External { id: 7 })
                ]
            }
        );
    }

    #[test]
    fn partial_and_required_of_external_and_any_fields_follow_zod() {
        let ext = |ops: Value| {
            let mut all = vec![json!({ "op": "extend", "fields": [["owner", { "external": 1 }]] })];
            all.extend(ops.as_array().cloned().unwrap_or_default());
            derived("sandboxTemplateRefSchema", Value::Array(all))
        };
        // partial: an absent external key is not asked about.
        let partial = ext(json!([{ "op": "partial" }]));
        let plan = validate(&partial, &json!({ "name": "t" })).unwrap();
        assert_eq!(
            plan,
            Plan::Object {
                keys: vec![("name".into(), Plan::Take)]
            }
        );
        let shape = ext(json!([{ "op": "partial" }, { "op": "field", "key": "owner" }]));
        assert!(validate(&shape, &json!({ JS_TAG: "undefined" })).is_ok());
        // required: absent is refused before the validator is asked.
        let required = ext(json!([{ "op": "required" }]));
        let issues = validate(&required, &json!({ "name": "t" })).unwrap_err();
        assert_eq!(issues[0].path, vec![json!("owner")]);
        assert!(issues[0].message.contains("nonoptional"));
        let template = derived("podTemplateSchema", json!([{ "op": "required" }]));
        assert!(
            validate(&template, &json!({ "metadata": {} })).is_err(),
            "an any-typed key too"
        );
        assert!(validate(&template, &json!({ "metadata": {}, "spec": null })).is_ok());
    }

    #[test]
    fn a_forged_tag_is_never_undefined() {
        let reserved = json!({ JS_TAG: "reserved" });
        assert!(
            validate(
                &derived("lifecycleSchema", json!([])),
                &json!({ "shutdownTime": reserved })
            )
            .is_err()
        );
        assert!(
            validate(
                &derived("podTemplateSchema", json!([])),
                &json!({ "metadata": {}, "spec": reserved })
            )
            .is_ok(),
            "any passes it through"
        );
    }

    #[test]
    fn shape_fields_optional_array() {
        let replicas = derived(
            "sandboxSpecSchema",
            json!([{ "op": "field", "key": "replicas" }]),
        );
        assert!(
            validate(&replicas, &json!({ JS_TAG: "undefined" })).is_ok(),
            "optional key: optional schema"
        );
        assert!(validate(&replicas, &json!(1)).is_ok());
        assert!(validate(&replicas, &json!(2)).is_err());
        let template = derived(
            "sandboxSpecSchema",
            json!([{ "op": "field", "key": "podTemplate" }]),
        );
        assert!(
            validate(&template, &json!({ JS_TAG: "undefined" })).is_err(),
            "required key: required schema"
        );
        let list = derived("shutdownPolicySchema", json!([{ "op": "array" }]));
        assert!(validate(&list, &json!(["Delete", "Retain"])).is_ok());
        let err = validate(&list, &json!(["Delete", "Destroy"])).unwrap_err();
        assert_eq!(err[0].path, vec![json!(1)]);
    }
}
