//! What the SDK parses from outside (a kubeconfig file, a tar archive a
//! sandbox printed, a caller's object for a schema) never panics: 100,000
//! generated inputs each, some arbitrary, most shaped like the real thing
//! with one part broken. Failures are errors, and a kubeconfig's content
//! never appears in them.

use agent_sandbox::config::parse_kubeconfig;
use agent_sandbox::schema::{JS_TAG, SCHEMA_NAMES, schema, validate};
use agent_sandbox::tar::{first_file, single_file_archive};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const CASES: u32 = 100_000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text a kubeconfig writer might produce, with its pieces shuffled,
/// dropped, repeated or mis-indented, and a canary where secrets go.
fn kubeconfig_like() -> impl Strategy<Value = String> {
    let lines = prop::sample::select(vec![
        "apiVersion: v1",
        "kind: Config",
        "kind: Pod",
        "current-context: x",
        "current-context: ",
        "clusters:",
        "- name: c",
        "  cluster:",
        "    server: https://127.0.0.1:1",
        "    certificate-authority-data: Y2FuYXJ5",
        "    insecure-skip-tls-verify: true",
        "    proxy-url: http://127.0.0.1:3128",
        "users:",
        "- name: u",
        "  user:",
        "    token: canary-secret",
        "    client-key-data: canary-secret",
        "    exec:",
        "      command: /bin/false",
        "      apiVersion: client.authentication.k8s.io/v1",
        "contexts:",
        "- name: x",
        "  context:",
        "    cluster: c",
        "    user: u",
        "    namespace: ns",
        "- ",
        ":",
        "  - [",
        "{",
        "\t",
        "&a *a",
        "!!binary canary-secret",
        "? canary-secret",
    ]);
    (prop::collection::vec((lines, 0usize..6), 0..40)).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(line, indent)| format!("{}{line}", " ".repeat(indent % 3 * (indent / 3))))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Archives as `tar cf -` writes them, some bytes overwritten, cut short or
/// extended, and arbitrary bytes.
fn archive_like() -> impl Strategy<Value = Vec<u8>> {
    let valid = (
        "[a-z]{1,20}",
        prop::collection::vec(any::<u8>(), 0..1500),
        0u32..0o7777,
    )
        .prop_map(|(name, content, mode)| single_file_archive(&name, &content, mode, 0).unwrap());
    let damaged = (
        valid.clone(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut archive, writes, cut)| {
            for (at, byte) in writes {
                let i = at.index(archive.len());
                archive[i] = byte;
            }
            archive.truncate(cut.index(archive.len() + 1));
            archive
        });
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..3000),
        1 => valid,
        6 => damaged,
    ]
}

/// JSON values, including the tags the JS layer uses for what JSON cannot carry.
fn json_value() -> impl Strategy<Value = Value> {
    let tag = prop::sample::select(vec![
        "undefined",
        "nan",
        "inf",
        "-inf",
        "function",
        "symbol",
        "bigint",
        "other",
    ])
    .prop_map(|t| json!({ JS_TAG: t }));
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-zA-Z0-9:/._-]{0,12}".prop_map(Value::String),
        tag,
    ];
    let keys = prop::sample::select(vec![
        "apiVersion",
        "kind",
        "metadata",
        "name",
        "namespace",
        "labels",
        "annotations",
        "spec",
        "status",
        "podTemplate",
        "containers",
        "image",
        "replicas",
        "sandboxTemplateRef",
        "shutdownTime",
        "shutdownPolicy",
        "conditions",
        "type",
        "lifecycle",
        "sandbox",
        "Name",
        "serviceFQDN",
        "readinessGracePeriodSeconds",
        "volumeClaimTemplates",
        "networkPolicy",
        "__proto__",
        "",
    ]);
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|entries| Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn kubeconfig_text_never_panics_and_errors_never_quote_it(text in prop_oneof![1 => ".{0,400}", 4 => kubeconfig_like()]) {
        if let Err(problem) = parse_kubeconfig(&text) {
            prop_assert!(!problem.contains("canary"), "{problem}");
        }
    }

    #[test]
    fn tar_reading_never_panics(archive in archive_like()) {
        if let Ok(file) = first_file(&archive) {
            prop_assert!(file.content.len() <= archive.len());
        }
    }

    #[test]
    fn schema_validation_never_panics(name in prop::sample::select(SCHEMA_NAMES.to_vec()), input in json_value()) {
        let schema = schema(name).unwrap();
        let _ = validate(&schema, &input);
    }
}
