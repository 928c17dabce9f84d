//! Names of the Agent Sandbox API: groups, versions, kinds, plurals, labels.

use kube::discovery::ApiResource;

pub const GROUP: &str = "agents.x-k8s.io";
pub const EXTENSIONS_GROUP: &str = "extensions.agents.x-k8s.io";

/// Annotation naming the Sandbox's pod (fall back to the Sandbox name).
pub const POD_NAME_ANNOTATION: &str = "agents.x-k8s.io/pod-name";
/// Label on pods, Services and PVCs: `NameHash(sandbox name)`.
pub const SANDBOX_NAME_HASH_LABEL: &str = "agents.x-k8s.io/sandbox-name-hash";
/// Namespace of the upstream controller's Deployment.
pub const CONTROLLER_NAMESPACE: &str = "agent-sandbox-system";

/// The served versions of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// Controllers v0.1 to v0.4 (and deprecated in v0.5).
    V1alpha1,
    /// Controllers v0.5 and later; storage version.
    V1beta1,
}

impl Version {
    pub const fn as_str(self) -> &'static str {
        match self {
            Version::V1alpha1 => "v1alpha1",
            Version::V1beta1 => "v1beta1",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "v1alpha1" => Some(Version::V1alpha1),
            "v1beta1" => Some(Version::V1beta1),
            _ => None,
        }
    }
}

/// The four kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Sandbox,
    SandboxTemplate,
    SandboxClaim,
    SandboxWarmPool,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Sandbox,
        Kind::SandboxTemplate,
        Kind::SandboxClaim,
        Kind::SandboxWarmPool,
    ];

    pub const fn group(self) -> &'static str {
        match self {
            Kind::Sandbox => GROUP,
            _ => EXTENSIONS_GROUP,
        }
    }

    pub const fn kind(self) -> &'static str {
        match self {
            Kind::Sandbox => "Sandbox",
            Kind::SandboxTemplate => "SandboxTemplate",
            Kind::SandboxClaim => "SandboxClaim",
            Kind::SandboxWarmPool => "SandboxWarmPool",
        }
    }

    pub const fn plural(self) -> &'static str {
        match self {
            Kind::Sandbox => "sandboxes",
            Kind::SandboxTemplate => "sandboxtemplates",
            Kind::SandboxClaim => "sandboxclaims",
            Kind::SandboxWarmPool => "sandboxwarmpools",
        }
    }

    /// `<plural>.<group>`, the CRD's name.
    pub fn crd_name(self) -> String {
        format!("{}.{}", self.plural(), self.group())
    }

    /// The kind addressed by `group` and `plural`, if it is one of ours.
    pub fn from_group_plural(group: &str, plural: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.group() == group && k.plural() == plural)
    }

    pub fn api_resource(self, version: Version) -> ApiResource {
        ApiResource {
            group: self.group().into(),
            version: version.as_str().into(),
            api_version: format!("{}/{}", self.group(), version.as_str()),
            kind: self.kind().into(),
            plural: self.plural().into(),
        }
    }
}

/// Any namespaced resource addressed by group, version and plural.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceRef {
    pub group: String,
    pub version: String,
    pub plural: String,
}

impl ResourceRef {
    pub fn new(
        group: impl Into<String>,
        version: impl Into<String>,
        plural: impl Into<String>,
    ) -> Self {
        ResourceRef {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
        }
    }

    pub fn of(kind: Kind, version: Version) -> Self {
        ResourceRef::new(kind.group(), version.as_str(), kind.plural())
    }

    /// The kind, when this is one of the four Agent Sandbox resources.
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_group_plural(&self.group, &self.plural)
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `/apis/<group>/<version>[/namespaces/<ns>]/<plural>`; an empty namespace is cluster-wide.
    pub fn collection_path(&self, namespace: &str) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        if namespace.is_empty() {
            format!("{base}/{}", self.plural)
        } else {
            format!("{base}/namespaces/{namespace}/{}", self.plural)
        }
    }
}

/// `NameHash`: FNV-1a 32-bit of the name as 8 lowercase hex digits, as the
/// controller computes it for its labels. Prefer `status.selector` where set.
pub fn name_hash(name: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// The longest Sandbox name with `spec.service: true`: the Service is named
/// after the Sandbox, and a Service name is a DNS label (v1.0.6 refuses
/// longer ones at admission, earlier controllers fail to make the Service).
pub const MAX_SERVICE_SANDBOX_NAME: usize = 63;

/// Refuses, before any request, a body the server would refuse for a reason
/// the caller can fix: a Sandbox with a Service whose name cannot be one.
pub fn check_body(r: &ResourceRef, body: &serde_json::Value) -> crate::Result<()> {
    if r.group != GROUP || r.plural != Kind::Sandbox.plural() {
        return Ok(());
    }
    let name = body
        .pointer("/metadata/name")
        .and_then(|n| n.as_str())
        .unwrap_or_default();
    let service = body.pointer("/spec/service").and_then(|s| s.as_bool()) == Some(true);
    if service && name.len() > MAX_SERVICE_SANDBOX_NAME {
        return Err(crate::Error::invalid_argument(format!(
            "Sandbox name {name:?} is {} characters; with spec.service true it must be at most {MAX_SERVICE_SANDBOX_NAME} \
             (the Service is named after it): use a shorter name, or spec.service false",
            name.len()
        )));
    }
    Ok(())
}

/// Refuses, before any request, a namespace that is not a DNS label (empty
/// means cluster-wide where `cluster_wide` allows it).
pub fn check_namespace(namespace: &str, cluster_wide: bool) -> crate::Result<()> {
    if namespace.is_empty() && cluster_wide {
        return Ok(());
    }
    let label = namespace.len() <= 63
        && !namespace.is_empty()
        && namespace
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !namespace.starts_with('-')
        && !namespace.ends_with('-');
    if label {
        return Ok(());
    }
    Err(crate::Error::invalid_argument(format!(
        "namespace {} is not a Kubernetes namespace name: lowercase letters, digits and '-', at most 63 characters, \
         starting and ending with a letter or digit",
        quoted(namespace)
    )))
}

/// Refuses, before any request, an object name that cannot be one path
/// segment: it would reach another URL (`x/status` a subresource,
/// `x?dryRun=All` a query string) instead of the object.
pub fn check_name(name: &str) -> crate::Result<()> {
    let segment = !name.is_empty()
        && name.len() <= 253
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| matches!(c, '/' | '%' | '?' | '#') || c.is_control() || c.is_whitespace());
    if segment {
        return Ok(());
    }
    Err(crate::Error::invalid_argument(format!(
        "{} is not a Kubernetes object name: it must be 1 to 253 characters, not '.' or '..', without '/', '%', '?', \
         '#', spaces or control characters",
        quoted(name)
    )))
}

/// A caller's value in a message: quoted, and cut short when long.
fn quoted(value: &str) -> String {
    let short: String = value.chars().take(80).collect();
    if short.len() < value.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_hash_matches_the_controller() {
        assert_eq!(name_hash("my-sandbox"), "374de8f5");
    }

    #[test]
    fn paths() {
        let r = ResourceRef::of(Kind::SandboxClaim, Version::V1alpha1);
        assert_eq!(
            r.collection_path("ns"),
            "/apis/extensions.agents.x-k8s.io/v1alpha1/namespaces/ns/sandboxclaims"
        );
        assert_eq!(
            r.collection_path(""),
            "/apis/extensions.agents.x-k8s.io/v1alpha1/sandboxclaims"
        );
        assert_eq!(r.kind(), Some(Kind::SandboxClaim));
        assert_eq!(Kind::Sandbox.crd_name(), "sandboxes.agents.x-k8s.io");
    }

    #[test]
    fn names_and_namespaces_are_single_path_segments() {
        for bad in [
            "",
            ".",
            "..",
            "x/status",
            "x?dryRun=All",
            "x#y",
            "x%2Fstatus",
            "a b",
            "x\n",
            &"a".repeat(254),
        ] {
            let err = check_name(bad).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidArgument, "{bad:?}");
        }
        for good in [
            "box",
            "agentpane-cs-1",
            "a.b",
            "system:admin",
            &"a".repeat(253),
        ] {
            check_name(good).unwrap();
        }
        for bad in ["Default", "ns/x", "-a", "a-", "a_b", &"a".repeat(64)] {
            assert!(check_namespace(bad, true).is_err(), "{bad:?}");
        }
        assert!(check_namespace("", false).is_err());
        check_namespace("", true).unwrap();
        check_namespace("agentpane-sandboxes", false).unwrap();
        // Long values are cut short in the message.
        assert!(
            check_name(&"/".repeat(10_000))
                .unwrap_err()
                .to_string()
                .len()
                < 400
        );
    }

    #[test]
    fn a_service_sandbox_name_must_be_a_dns_label() {
        let sandboxes = ResourceRef::of(Kind::Sandbox, Version::V1beta1);
        let body = |name: &str, service: bool| serde_json::json!({ "metadata": { "name": name }, "spec": { "service": service } });
        let long = "a".repeat(64);
        let err = check_body(&sandboxes, &body(&long, true)).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidArgument);
        assert!(err.to_string().contains("at most 63"));
        check_body(&sandboxes, &body(&"a".repeat(63), true)).unwrap();
        check_body(&sandboxes, &body(&long, false)).unwrap();
        // Other kinds are not Sandboxes.
        check_body(
            &ResourceRef::of(Kind::SandboxClaim, Version::V1beta1),
            &body(&long, true),
        )
        .unwrap();
    }
}
