//! Finding and loading a kubeconfig.
//!
//! The discovery order is the original SDK's, with its two defects fixed: a
//! multi-file `KUBECONFIG` is merged the way kubectl merges it, and the
//! in-cluster tier applies only inside a real cluster.
//!
//! 1. an explicit path (must exist)
//! 2. `K8S_KUBECONFIG` (must exist when set)
//! 3. `KUBECONFIG`, every existing file, merged (first definition wins)
//! 4. `~/.kube/config`
//! 5. the in-cluster service account

use std::path::{Path, PathBuf};

use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions as KubeOptions, Kubeconfig, NamedAuthInfo,
    NamedCluster, NamedContext,
};

use crate::error::{Error, Result};
use crate::proxy::ProxyEnv;

const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// How to find the kubeconfig.
#[derive(Clone, Debug, Default)]
pub struct KubeconfigOptions {
    /// An explicit file. When set it must exist.
    pub path: Option<PathBuf>,
    /// Make this context current. It must exist.
    pub context: Option<String>,
    /// Turn off server certificate verification on every cluster.
    pub skip_tls_verify: bool,
}

/// Where a kubeconfig came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KubeconfigSource {
    ExplicitPath(PathBuf),
    K8sKubeconfigEnv(PathBuf),
    KubeconfigEnv(Vec<PathBuf>),
    HomeDir(PathBuf),
    InCluster,
}

/// A loaded kubeconfig and its origin.
#[derive(Clone, Debug)]
pub struct LoadedKubeconfig {
    pub kubeconfig: Kubeconfig,
    pub source: KubeconfigSource,
}

/// The process environment the discovery reads; injectable for tests.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub k8s_kubeconfig: Option<String>,
    pub kubeconfig: Option<String>,
    pub home: Option<PathBuf>,
    pub service_host: Option<String>,
    pub service_port: Option<String>,
    pub service_account_dir: PathBuf,
}

impl Environment {
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Environment {
            k8s_kubeconfig: var("K8S_KUBECONFIG"),
            kubeconfig: var("KUBECONFIG"),
            home: var("HOME").map(PathBuf::from).or_else(std::env::home_dir),
            service_host: var("KUBERNETES_SERVICE_HOST"),
            service_port: var("KUBERNETES_SERVICE_PORT"),
            service_account_dir: PathBuf::from(SERVICE_ACCOUNT_DIR),
        }
    }
}

/// Loads the kubeconfig from the first tier that has one.
pub fn load_kubeconfig(options: &KubeconfigOptions) -> Result<LoadedKubeconfig> {
    load_kubeconfig_from(options, &Environment::from_process())
}

pub fn load_kubeconfig_from(
    options: &KubeconfigOptions,
    env: &Environment,
) -> Result<LoadedKubeconfig> {
    let mut loaded = discover(options, env)?;
    if let Some(context) = options.context.as_deref().filter(|c| !c.is_empty()) {
        set_current_context(&mut loaded.kubeconfig, context)?;
    }
    if options.skip_tls_verify {
        for named in &mut loaded.kubeconfig.clusters {
            named
                .cluster
                .get_or_insert_with(Cluster::default)
                .insecure_skip_tls_verify = Some(true);
        }
    }
    Ok(loaded)
}

fn discover(options: &KubeconfigOptions, env: &Environment) -> Result<LoadedKubeconfig> {
    if let Some(path) = options.path.as_ref().filter(|p| !p.as_os_str().is_empty()) {
        return read_required(path).map(|kubeconfig| LoadedKubeconfig {
            kubeconfig,
            source: KubeconfigSource::ExplicitPath(path.clone()),
        });
    }
    if let Some(path) = &env.k8s_kubeconfig {
        let path = PathBuf::from(path);
        return read_required(&path).map(|kubeconfig| LoadedKubeconfig {
            kubeconfig,
            source: KubeconfigSource::K8sKubeconfigEnv(path),
        });
    }
    if let Some(list) = &env.kubeconfig {
        let paths: Vec<PathBuf> = std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty() && p.is_file())
            .collect();
        if !paths.is_empty() {
            let mut merged = Kubeconfig::default();
            for path in &paths {
                merged = merged
                    .merge(read_file(path)?)
                    .map_err(|e| invalid(path, &e.to_string()))?;
            }
            return Ok(LoadedKubeconfig {
                kubeconfig: merged,
                source: KubeconfigSource::KubeconfigEnv(paths),
            });
        }
    }
    if let Some(home) = &env.home {
        let path = home.join(".kube").join("config");
        if path.is_file() {
            return Ok(LoadedKubeconfig {
                kubeconfig: read_file(&path)?,
                source: KubeconfigSource::HomeDir(path),
            });
        }
    }
    if let Some(kubeconfig) = in_cluster(env) {
        return Ok(LoadedKubeconfig {
            kubeconfig,
            source: KubeconfigSource::InCluster,
        });
    }
    Err(Error::kubeconfig(
        None,
        "No kubeconfig found. Tried: explicit path, K8S_KUBECONFIG, KUBECONFIG, ~/.kube/config, in-cluster",
    ))
}

fn read_required(path: &Path) -> Result<Kubeconfig> {
    if !path.exists() {
        return Err(Error::kubeconfig(
            Some(path.to_path_buf()),
            format!("Kubeconfig file not found: {}", path.display()),
        ));
    }
    read_file(path)
}

/// The largest kubeconfig file read (real ones are kilobytes).
pub const MAX_KUBECONFIG_BYTES: u64 = 16 * 1024 * 1024;

fn read_file(path: &Path) -> Result<Kubeconfig> {
    use std::io::Read;
    // A device or a FIFO (`/dev/zero`, a named pipe) would never end.
    let meta = std::fs::metadata(path).map_err(|e| invalid(path, &e.to_string()))?;
    if !meta.is_file() {
        return Err(invalid(path, "not a regular file"));
    }
    if meta.len() > MAX_KUBECONFIG_BYTES {
        return Err(invalid(
            path,
            &format!("larger than {MAX_KUBECONFIG_BYTES} bytes"),
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_KUBECONFIG_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| invalid(path, &e.to_string()))?;
    let mut kubeconfig = parse_kubeconfig(&text).map_err(|problem| invalid(path, &problem))?;
    if let Some(dir) = path.parent() {
        resolve_file_references(&mut kubeconfig, dir);
    }
    Ok(kubeconfig)
}

/// File references in a kubeconfig file are relative to its directory (as
/// kubectl and client-go read them), not to this process's working
/// directory: certificate files, token files, and an exec plugin's command
/// when it names a path (a bare name is looked up on PATH).
fn resolve_file_references(kubeconfig: &mut Kubeconfig, dir: &Path) {
    let absolute = |file: &mut Option<String>| {
        if let Some(f) = file
            .as_mut()
            .filter(|f| !f.is_empty() && Path::new(f.as_str()).is_relative())
        {
            *f = dir.join(f.as_str()).display().to_string();
        }
    };
    for cluster in kubeconfig
        .clusters
        .iter_mut()
        .filter_map(|c| c.cluster.as_mut())
    {
        absolute(&mut cluster.certificate_authority);
    }
    for auth in kubeconfig
        .auth_infos
        .iter_mut()
        .filter_map(|a| a.auth_info.as_mut())
    {
        absolute(&mut auth.client_certificate);
        absolute(&mut auth.client_key);
        absolute(&mut auth.token_file);
        if let Some(exec) = auth.exec.as_mut()
            && exec
                .command
                .as_deref()
                .is_some_and(|c| c.contains(std::path::MAIN_SEPARATOR))
        {
            absolute(&mut exec.command);
        }
    }
}

/// A kubeconfig document from its text, or what is wrong with it (where,
/// never what: see [`parse_problem`]).
pub fn parse_kubeconfig(text: &str) -> std::result::Result<Kubeconfig, String> {
    let kubeconfig =
        Kubeconfig::from_yaml(text).map_err(|e| parse_problem(&crate::error::error_chain(&e)))?;
    validate(&kubeconfig)?;
    Ok(kubeconfig)
}

/// A kubeconfig given as a JSON document (an in-memory KubeConfig). A
/// wrongly typed field is reported by what was expected, never by its value
/// (a token or a plugin argument given as a string would be quoted).
pub fn kubeconfig_from_value(document: serde_json::Value) -> Result<Kubeconfig> {
    serde_json::from_value(document).map_err(|e| {
        let text = e.to_string();
        // serde puts the type's own description last ("…, expected a
        // sequence"); everything before it may quote the value.
        let expected = text
            .rsplit_once(", expected ")
            .map(|(_, what)| format!(" (expected {what})"))
            .unwrap_or_default();
        Error::kubeconfig(
            None,
            format!(
                "Invalid kubeconfig: a field has the wrong type or shape{expected}; its value is not shown (it may be a secret)"
            ),
        )
    })
}

/// What is wrong with a document that does not parse, without its content:
/// the parser's message can quote values (tokens, keys) near the mistake, so
/// only where it is goes out.
fn parse_problem(message: &str) -> String {
    match location(message) {
        Some((line, column)) => format!(
            "not a valid kubeconfig document (YAML error at line {line} column {column}); fix the indentation or \
             syntax there (the content is not shown: it may hold credentials)"
        ),
        None => {
            "not a valid kubeconfig document (the content is not shown: it may hold credentials)"
                .to_string()
        }
    }
}

/// `line N column M` in a parser's message.
fn location(message: &str) -> Option<(u64, u64)> {
    let number = |s: &str| -> Option<u64> {
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    message.match_indices("line ").find_map(|(i, _)| {
        let rest = &message[i + 5..];
        let line = number(rest)?;
        let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        let column = number(after.strip_prefix(" column ")?)?;
        Some((line, column))
    })
}

fn invalid(path: &Path, problem: &str) -> Error {
    Error::kubeconfig(
        Some(path.to_path_buf()),
        format!("Invalid kubeconfig: {}: {problem}", path.display()),
    )
}

/// Checks what a parser accepts but no client could use.
fn validate(kc: &Kubeconfig) -> std::result::Result<(), String> {
    if let Some(kind) = kc.kind.as_deref()
        && kind != "Config"
    {
        // Not quoted: whatever is in the file may be a credential.
        return Err("its kind is not \"Config\"".into());
    }
    for c in &kc.clusters {
        if c.name.is_empty() {
            return Err("a cluster entry has no name".into());
        }
    }
    for c in &kc.contexts {
        if c.name.is_empty() {
            return Err("a context entry has no name".into());
        }
    }
    Ok(())
}

/// The service-account configuration, only when really running in a pod.
fn in_cluster(env: &Environment) -> Option<Kubeconfig> {
    let host = env.service_host.as_deref()?;
    let port = env.service_port.as_deref()?;
    let token = env.service_account_dir.join("token");
    if !token.is_file() {
        return None;
    }
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let namespace = std::fs::read_to_string(env.service_account_dir.join("namespace")).ok();
    Some(Kubeconfig {
        clusters: vec![NamedCluster {
            name: "inCluster".into(),
            cluster: Some(Cluster {
                server: Some(format!("https://{host}:{port}")),
                certificate_authority: Some(
                    env.service_account_dir.join("ca.crt").display().to_string(),
                ),
                ..Cluster::default()
            }),
            ..NamedCluster::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: "inClusterUser".into(),
            auth_info: Some(AuthInfo {
                token_file: Some(token.display().to_string()),
                ..AuthInfo::default()
            }),
            ..NamedAuthInfo::default()
        }],
        contexts: vec![NamedContext {
            name: "inClusterContext".into(),
            context: Some(Context {
                cluster: "inCluster".into(),
                user: Some("inClusterUser".into()),
                namespace: namespace
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty()),
                ..Context::default()
            }),
            ..NamedContext::default()
        }],
        current_context: Some("inClusterContext".into()),
        ..Kubeconfig::default()
    })
}

/// Makes `context` current; it must exist.
pub fn set_current_context(kc: &mut Kubeconfig, context: &str) -> Result<()> {
    if !kc.contexts.iter().any(|c| c.name == context) {
        return Err(Error::kubeconfig(
            None,
            format!("Context \"{context}\" not found in kubeconfig"),
        ));
    }
    kc.current_context = Some(context.to_string());
    Ok(())
}

/// A client configuration for the kubeconfig's current context, with the
/// proxy kubectl would use (see [`crate::proxy`]) in `proxy_url`.
pub async fn client_config(kubeconfig: Kubeconfig) -> Result<kube::Config> {
    client_config_with(kubeconfig, &ProxyEnv::from_process()).await
}

/// [`client_config`] with the proxy settings of `env` instead of the process's.
pub async fn client_config_with(
    mut kubeconfig: Kubeconfig,
    env: &ProxyEnv,
) -> Result<kube::Config> {
    clean_tokens(&mut kubeconfig)?;
    token_file_providers(&mut kubeconfig);
    let context = kubeconfig.current_context.clone();
    if context.as_deref().is_none_or(str::is_empty) {
        return Err(Error::kubeconfig(
            None,
            "No current context set in kubeconfig",
        ));
    }
    let cluster_proxy_url = context
        .as_deref()
        .and_then(|c| current_cluster(&kubeconfig, c))
        .and_then(|c| c.proxy_url.clone());
    // kube's loader reads HTTPS_PROXY itself when a cluster has no
    // proxy-url, and fails on a value it cannot parse even where we would
    // not use it (NO_PROXY, a loopback server). With every proxy-url set to
    // an inert value it never looks; `proxy_url` is replaced below.
    for named in &mut kubeconfig.clusters {
        if let Some(cluster) = named.cluster.as_mut() {
            cluster.proxy_url = Some(KUBE_LOADER_PROXY_PLACEHOLDER.to_string());
        }
    }
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &KubeOptions {
            context,
            ..KubeOptions::default()
        },
    )
    .await
    .map_err(|e| {
        Error::kubeconfig(
            None,
            format!(
                "cannot use the kubeconfig: {}",
                crate::error::error_chain(&e)
            ),
        )
    })?;
    let proxy = crate::proxy::choose(cluster_proxy_url.as_deref(), env, &config.cluster_url)?;
    if let Some(proxy) = &proxy {
        tracing::debug!(proxy = %proxy, from = %proxy.source(), "the API server is reached through a proxy");
    }
    config.proxy_url = proxy.map(|p| p.uri().clone());
    Ok(config)
}

/// Never used to connect: see [`client_config_with`].
const KUBE_LOADER_PROXY_PLACEHOLDER: &str = "http://placeholder.invalid";

/// The cluster of a context, the first definition of each name winning (as
/// in kube's loader).
fn current_cluster<'a>(kubeconfig: &'a Kubeconfig, context: &str) -> Option<&'a Cluster> {
    let cluster = &kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)?
        .context
        .as_ref()?
        .cluster;
    kubeconfig
        .clusters
        .iter()
        .find(|c| &c.name == cluster)?
        .cluster
        .as_ref()
}

/// client-node writes a token file (its in-cluster user, and this package's
/// KubeConfig objects) as `auth-provider: {name: tokenFile, config:
/// {tokenFile}}`, which kube does not know: it is the standard `tokenFile`,
/// read again on every refresh so a rotated service-account token is used.
fn token_file_providers(kubeconfig: &mut Kubeconfig) {
    for named in &mut kubeconfig.auth_infos {
        let Some(auth) = named.auth_info.as_mut() else {
            continue;
        };
        let Some(provider) = auth.auth_provider.take_if(|p| p.name == "tokenFile") else {
            continue;
        };
        if auth.token.is_none() && auth.token_file.is_none() {
            auth.token_file = provider.config.get("tokenFile").cloned();
        }
    }
}

/// Static tokens as an HTTP header takes them: surrounding whitespace (a
/// token pasted with its trailing newline) is dropped; one with a line break
/// or another control character inside is refused, naming the user only
/// (the HTTP layer would otherwise panic on it).
fn clean_tokens(kubeconfig: &mut Kubeconfig) -> Result<()> {
    use secrecy::ExposeSecret;
    for named in &mut kubeconfig.auth_infos {
        let Some(token) = named.auth_info.as_mut().and_then(|a| a.token.as_mut()) else {
            continue;
        };
        let trimmed = token.expose_secret().trim();
        if trimmed.chars().any(char::is_control) {
            return Err(Error::kubeconfig(
                None,
                format!(
                    "the token of user {:?} contains a line break or another control character; put the token on one line",
                    named.name
                ),
            ));
        }
        if trimmed.len() != token.expose_secret().len() {
            *token = secrecy::SecretString::from(trimmed.to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn kubeconfig_yaml(cluster: &str, context: &str, current: Option<&str>) -> String {
        let current = current
            .map(|c| format!("current-context: {c}\n"))
            .unwrap_or_default();
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {cluster}\n  cluster:\n    server: https://{cluster}.example:6443\n\
             users:\n- name: u-{cluster}\n  user:\n    token: t\ncontexts:\n- name: {context}\n  context:\n    cluster: {cluster}\n    user: u-{cluster}\n{current}"
        )
    }

    fn env() -> Environment {
        Environment {
            service_account_dir: PathBuf::from("/nonexistent/sa"),
            ..Environment::default()
        }
    }

    #[test]
    fn explicit_path_wins_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::write(&a, kubeconfig_yaml("a", "ctx-a", Some("ctx-a"))).unwrap();
        let mut e = env();
        e.k8s_kubeconfig = Some("/nonexistent/b".into());
        let loaded = load_kubeconfig_from(
            &KubeconfigOptions {
                path: Some(a.clone()),
                ..Default::default()
            },
            &e,
        )
        .unwrap();
        assert_eq!(loaded.source, KubeconfigSource::ExplicitPath(a));

        let missing = dir.path().join("missing");
        let err = load_kubeconfig_from(
            &KubeconfigOptions {
                path: Some(missing),
                ..Default::default()
            },
            &e,
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("Kubeconfig file not found: "),
            "{err}"
        );
    }

    #[test]
    fn k8s_kubeconfig_env_does_not_fall_through() {
        let mut e = env();
        e.k8s_kubeconfig = Some("/nonexistent/k8s".into());
        e.home = Some(PathBuf::from("/nonexistent/home"));
        let err = load_kubeconfig_from(&KubeconfigOptions::default(), &e).unwrap_err();
        assert!(err.to_string().contains("not found"), "{err}");
    }

    #[test]
    fn kubeconfig_env_merges_every_existing_file_first_wins() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("one");
        let two = dir.path().join("two");
        fs::write(&one, kubeconfig_yaml("shared", "ctx-1", None)).unwrap();
        // `two` redefines cluster "shared" (ignored) and sets the current context.
        fs::write(
            &two,
            kubeconfig_yaml("shared", "ctx-2", Some("ctx-2"))
                .replace("shared.example", "other.example"),
        )
        .unwrap();
        let mut e = env();
        e.kubeconfig = Some(format!(
            ":{}::/nonexistent/x:{}:",
            one.display(),
            two.display()
        ));
        let loaded = load_kubeconfig_from(&KubeconfigOptions::default(), &e).unwrap();
        let kc = loaded.kubeconfig;
        assert_eq!(kc.clusters.len(), 1);
        assert_eq!(
            kc.clusters[0].cluster.as_ref().unwrap().server.as_deref(),
            Some("https://shared.example:6443")
        );
        assert_eq!(kc.contexts.len(), 2);
        assert_eq!(kc.current_context.as_deref(), Some("ctx-2"));
        assert_eq!(
            loaded.source,
            KubeconfigSource::KubeconfigEnv(vec![one, two])
        );
    }

    #[test]
    fn kubeconfig_env_without_existing_files_falls_through_to_home() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(".kube")).unwrap();
        fs::write(
            dir.path().join(".kube/config"),
            kubeconfig_yaml("h", "ctx-h", Some("ctx-h")),
        )
        .unwrap();
        let mut e = env();
        e.kubeconfig = Some("/nonexistent/1:/nonexistent/2".into());
        e.home = Some(dir.path().to_path_buf());
        let loaded = load_kubeconfig_from(&KubeconfigOptions::default(), &e).unwrap();
        assert!(matches!(loaded.source, KubeconfigSource::HomeDir(_)));
    }

    #[test]
    fn invalid_file_names_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad");
        fs::write(&bad, "clusters: [this is: not valid").unwrap();
        let err = load_kubeconfig_from(
            &KubeconfigOptions {
                path: Some(bad.clone()),
                ..Default::default()
            },
            &env(),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("Invalid kubeconfig: "), "{msg}");
        let typed = kubeconfig_from_value(serde_json::json!({
            "users": [{ "name": "u", "user": { "exec": { "command": "x", "args": "--token=canary-3f1" } } }]
        }))
        .unwrap_err()
        .to_string();
        assert!(!typed.contains("canary-3f1"), "{typed}");
        assert!(typed.contains("expected a sequence"), "{typed}");
        assert!(msg.contains(&bad.display().to_string()), "{msg}");
        assert_eq!(err.code(), crate::ErrorCode::KubeConfig);
    }

    #[test]
    fn a_broken_file_is_located_never_quoted_and_devices_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad");
        // One mis-indented line next to secrets.
        fs::write(
            &bad,
            "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: canary-token-1\n   client-key-data: canary-key-2\n",
        )
        .unwrap();
        let load = |path: &std::path::Path| {
            load_kubeconfig_from(
                &KubeconfigOptions {
                    path: Some(path.to_path_buf()),
                    ..Default::default()
                },
                &env(),
            )
        };
        let msg = load(&bad).unwrap_err().to_string();
        assert!(!msg.contains("canary"), "{msg}");
        assert!(msg.contains("line"), "{msg}");
        // A wrong type quotes no value either.
        fs::write(&bad, "apiVersion: v1\nusers: canary-token-3\n").unwrap();
        let msg = load(&bad).unwrap_err().to_string();
        assert!(!msg.contains("canary"), "{msg}");
        // A device never ends: refused, not read.
        let msg = load(std::path::Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("not a regular file"), "{msg}");
        let msg = load(dir.path()).unwrap_err().to_string();
        assert!(msg.contains("not a regular file"), "{msg}");
    }

    #[test]
    fn in_cluster_only_inside_a_cluster() {
        let mut e = env();
        let err = load_kubeconfig_from(&KubeconfigOptions::default(), &e).unwrap_err();
        assert!(err.to_string().starts_with("No kubeconfig found."), "{err}");

        let sa = tempfile::tempdir().unwrap();
        fs::write(sa.path().join("token"), "tok").unwrap();
        fs::write(sa.path().join("namespace"), "ns1\n").unwrap();
        e.service_account_dir = sa.path().to_path_buf();
        e.service_host = Some("10.0.0.1".into());
        // Host without port: still not a cluster.
        assert!(load_kubeconfig_from(&KubeconfigOptions::default(), &e).is_err());
        e.service_port = Some("443".into());
        let loaded = load_kubeconfig_from(&KubeconfigOptions::default(), &e).unwrap();
        assert_eq!(loaded.source, KubeconfigSource::InCluster);
        let cluster = loaded.kubeconfig.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(cluster.server.as_deref(), Some("https://10.0.0.1:443"));
        assert_eq!(
            loaded.kubeconfig.contexts[0]
                .context
                .as_ref()
                .unwrap()
                .namespace
                .as_deref(),
            Some("ns1")
        );
    }

    #[test]
    fn context_and_skip_tls_verify_are_applied() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::write(&a, kubeconfig_yaml("a", "ctx-a", None)).unwrap();
        let opts = KubeconfigOptions {
            path: Some(a.clone()),
            context: Some("ctx-a".into()),
            skip_tls_verify: true,
        };
        let kc = load_kubeconfig_from(&opts, &env()).unwrap().kubeconfig;
        assert_eq!(kc.current_context.as_deref(), Some("ctx-a"));
        assert_eq!(
            kc.clusters[0]
                .cluster
                .as_ref()
                .unwrap()
                .insecure_skip_tls_verify,
            Some(true)
        );

        let opts = KubeconfigOptions {
            path: Some(a),
            context: Some("nope".into()),
            skip_tls_verify: false,
        };
        let err = load_kubeconfig_from(&opts, &env()).unwrap_err();
        assert_eq!(err.to_string(), "Context \"nope\" not found in kubeconfig");
    }

    #[tokio::test]
    async fn a_static_token_with_a_newline_is_trimmed_or_refused_never_a_panic() {
        let doc = |token: &str| {
            let yaml = format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\nusers:\n- name: u\n  user:\n    token: {token:?}\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n"
            );
            Kubeconfig::from_yaml(&yaml).unwrap()
        };
        // A trailing newline (a pasted token) is dropped: the client builds.
        let config = client_config(doc("secret-canary\n")).await.unwrap();
        let client = crate::Client::try_from_config(config).unwrap();
        let pods = crate::ResourceRef::new("", "v1", "pods");
        let err = client.get(&pods, "ns", "p").await.unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Unreachable);
        // One inside is refused, and the message names the user, not the token.
        let err = client_config(doc("secret-\ncanary")).await.unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::KubeConfig);
        assert!(err.to_string().contains("\"u\""));
        assert!(!err.to_string().contains("canary"));
    }
    #[tokio::test]
    async fn client_node_token_file_provider_is_the_standard_token_file() {
        let yaml = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\nusers:\n- name: u\n  user:\n    auth-provider:\n      name: tokenFile\n      config:\n        tokenFile: /var/run/secrets/token\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n";
        let config = client_config(Kubeconfig::from_yaml(yaml).unwrap())
            .await
            .unwrap();
        assert_eq!(
            config.auth_info.token_file.as_deref(),
            Some("/var/run/secrets/token")
        );
        assert!(config.auth_info.auth_provider.is_none());
    }
    #[test]
    fn file_references_are_relative_to_the_kubeconfig_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n    certificate-authority: pki/ca.crt\nusers:\n- name: u\n  user:\n    client-certificate: /abs/cert.pem\n    tokenFile: token\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./bin/plugin\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n",
        )
        .unwrap();
        let kc = read_file(&path).unwrap();
        let cluster = kc.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(
            cluster.certificate_authority.as_deref(),
            Some(dir.path().join("pki/ca.crt").to_str().unwrap())
        );
        let user = kc.auth_infos[0].auth_info.as_ref().unwrap();
        assert_eq!(user.client_certificate.as_deref(), Some("/abs/cert.pem"));
        assert_eq!(
            user.token_file.as_deref(),
            Some(dir.path().join("token").to_str().unwrap())
        );
        assert_eq!(
            user.exec.as_ref().unwrap().command.as_deref(),
            Some(dir.path().join("./bin/plugin").to_str().unwrap())
        );
    }
}
