//! The restricted Pod Security level on a pod spec: non-root, the
//! runtime's default seccomp profile, no privilege escalation, every
//! capability dropped, no service-account token. Values a caller set
//! explicitly are kept (the API server then judges them).

use serde_json::{Map, Value, json};

/// Adds the restricted defaults to `pod_spec` (a `PodSpec` as JSON) where
/// they are missing. Anything that is not an object is left alone.
pub fn restrict(pod_spec: &mut Value) {
    let Some(spec) = pod_spec.as_object_mut() else {
        return;
    };
    let pod = object_at(spec, "securityContext");
    pod.entry("runAsNonRoot").or_insert(json!(true));
    pod.entry("seccompProfile")
        .or_insert(json!({ "type": "RuntimeDefault" }));
    spec.entry("automountServiceAccountToken")
        .or_insert(json!(false));
    for list in ["initContainers", "containers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for container in containers.iter_mut().filter_map(Value::as_object_mut) {
            let sc = object_at(container, "securityContext");
            sc.entry("allowPrivilegeEscalation").or_insert(json!(false));
            object_at(sc, "capabilities")
                .entry("drop")
                .or_insert(json!(["ALL"]));
        }
    }
}

/// The object under `key`, made (or replacing a non-object) if needed.
fn object_at<'a>(parent: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = parent.entry(key).or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut().expect("made an object just above")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_defaults_and_keeps_explicit_values() {
        let mut spec = json!({
            "securityContext": { "runAsNonRoot": false, "runAsUser": 1000 },
            "initContainers": [{ "name": "init" }],
            "containers": [
                { "name": "a" },
                { "name": "b", "securityContext": { "allowPrivilegeEscalation": true, "capabilities": { "add": ["NET_ADMIN"] } } },
            ],
        });
        restrict(&mut spec);
        assert_eq!(
            spec["securityContext"],
            json!({ "runAsNonRoot": false, "runAsUser": 1000, "seccompProfile": { "type": "RuntimeDefault" } })
        );
        assert_eq!(spec["automountServiceAccountToken"], json!(false));
        let dropped =
            json!({ "allowPrivilegeEscalation": false, "capabilities": { "drop": ["ALL"] } });
        assert_eq!(spec["initContainers"][0]["securityContext"], dropped);
        assert_eq!(spec["containers"][0]["securityContext"], dropped);
        assert_eq!(
            spec["containers"][1]["securityContext"],
            json!({ "allowPrivilegeEscalation": true, "capabilities": { "add": ["NET_ADMIN"], "drop": ["ALL"] } })
        );
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        for mut v in [
            json!(null),
            json!([]),
            json!({ "securityContext": 3, "containers": [1, "x", null] }),
        ] {
            restrict(&mut v);
        }
    }
}
