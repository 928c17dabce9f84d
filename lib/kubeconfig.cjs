'use strict';
// KubeConfig objects: the shape and methods of @kubernetes/client-node's
// KubeConfig (which consumers use directly), loaded by the Rust core.

const { homedir } = require('node:os');
const { native } = require('./native.cjs');
const { AgentSandboxError, KubeConfigError, fromNative } = require('./errors.cjs');

function pick(obj, map) {
  const out = {};
  for (const [from, to] of map) {
    if (obj[from] !== undefined && obj[from] !== null) out[to] = obj[from];
  }
  return out;
}

// [standard kubeconfig key, client-node property]
const CLUSTER_KEYS = [
  ['server', 'server'],
  ['certificate-authority-data', 'caData'],
  ['certificate-authority', 'caFile'],
  ['tls-server-name', 'tlsServerName'],
  ['proxy-url', 'proxyUrl'],
];
const USER_KEYS = [
  ['token', 'token'],
  ['tokenFile', 'tokenFile'],
  ['client-certificate-data', 'certData'],
  ['client-certificate', 'certFile'],
  ['client-key-data', 'keyData'],
  ['client-key', 'keyFile'],
  ['username', 'username'],
  ['password', 'password'],
  ['exec', 'exec'],
  ['auth-provider', 'authProvider'],
  ['as', 'impersonateUser'],
];

function clusterFromDocument({ name, cluster = {} }) {
  return { name, ...pick(cluster, CLUSTER_KEYS), skipTLSVerify: cluster['insecure-skip-tls-verify'] === true };
}

function userFromDocument({ name, user = {} }) {
  return { name, ...pick(user, USER_KEYS) };
}

function contextFromDocument({ name, context = {} }) {
  return { name, cluster: context.cluster, user: context.user, ...pick(context, [['namespace', 'namespace']]) };
}

function invert(map) {
  return map.map(([a, b]) => [b, a]);
}

/**
 * A kubeconfig: clusters, users, contexts and the current context, with the
 * methods of client-node's KubeConfig that consumers call. Mutations (for
 * example setCurrentContext or skipTLSVerify) apply to the next call that
 * uses it.
 */
class KubeConfig {
  constructor() {
    this.clusters = [];
    this.users = [];
    this.contexts = [];
    this.currentContext = '';
  }

  /** Builds a KubeConfig from a standard kubeconfig document (parsed YAML or JSON). */
  static fromDocument(doc) {
    const kc = new KubeConfig();
    kc.clusters = (doc.clusters || []).map(clusterFromDocument);
    kc.users = (doc.users || []).map(userFromDocument);
    kc.contexts = (doc.contexts || []).map(contextFromDocument);
    kc.currentContext = doc['current-context'] || '';
    return kc;
  }

  /** Loads through the SDK's discovery tiers (see loadKubeConfig). */
  loadFromDefault() {
    const loaded = loadDocument({});
    Object.assign(this, KubeConfig.fromDocument(loaded.document));
  }

  loadFromFile(file) {
    const loaded = loadDocument({ kubeconfigPath: file });
    Object.assign(this, KubeConfig.fromDocument(loaded.document));
  }

  loadFromOptions(options) {
    this.clusters = options.clusters || [];
    this.users = options.users || [];
    this.contexts = options.contexts || [];
    this.currentContext = options.currentContext || '';
  }

  getContexts() {
    return this.contexts;
  }

  getClusters() {
    return this.clusters;
  }

  getUsers() {
    return this.users;
  }

  getCurrentContext() {
    return this.currentContext;
  }

  setCurrentContext(context) {
    this.currentContext = context;
  }

  getContextObject(name) {
    return this.contexts.find((c) => c.name === name) ?? null;
  }

  getCluster(name) {
    return this.clusters.find((c) => c.name === name) ?? null;
  }

  getUser(name) {
    return this.users.find((u) => u.name === name) ?? null;
  }

  getCurrentCluster() {
    const ctx = this.getContextObject(this.currentContext);
    return ctx ? this.getCluster(ctx.cluster) : null;
  }

  getCurrentUser() {
    const ctx = this.getContextObject(this.currentContext);
    return ctx ? this.getUser(ctx.user) : null;
  }

  /** The standard kubeconfig document (what kubectl reads). */
  toDocument() {
    return {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: this.clusters.map((c) => ({
        name: c.name,
        cluster: { ...pick(c, invert(CLUSTER_KEYS)), ...(c.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}) },
      })),
      users: this.users.map((u) => ({ name: u.name, user: pick(u, invert(USER_KEYS)) })),
      contexts: this.contexts.map((c) => ({
        name: c.name,
        context: { cluster: c.cluster, user: c.user, ...(c.namespace ? { namespace: c.namespace } : {}) },
      })),
      'current-context': this.currentContext,
    };
  }

  /** JSON text of the standard document, as client-node's exportConfig(). */
  exportConfig() {
    return JSON.stringify(this.toDocument());
  }

  /**
   * A @kubernetes/client-node API client (CoreV1Api, NetworkingV1Api, ...) for
   * this configuration. Needs the optional peer dependency.
   */
  makeApiClient(apiClientType) {
    return toClientNodeKubeConfig(this).makeApiClient(apiClientType);
  }
}

function clientNode() {
  try {
    return require('@kubernetes/client-node');
  } catch (err) {
    throw new AgentSandboxError(
      'makeApiClient needs the optional peer dependency @kubernetes/client-node: install it with ' +
        '`npm install @kubernetes/client-node@^1` (or `bun add @kubernetes/client-node@^1`)',
      'PEER_DEPENDENCY_MISSING',
      undefined,
      { module: '@kubernetes/client-node', cause: err && err.message },
    );
  }
}

/** A genuine client-node KubeConfig with the same content. */
function toClientNodeKubeConfig(kc) {
  const k8s = clientNode();
  const real = new k8s.KubeConfig();
  real.loadFromString(kc.exportConfig());
  return real;
}

function loadDocument(options) {
  try {
    return native.loadKubeconfigDocument({
      kubeconfigPath: options.kubeconfigPath || undefined,
      context: options.context || undefined,
      skipTlsVerify: options.skipTLSVerify === true,
      env: {
        k8sKubeconfig: process.env.K8S_KUBECONFIG,
        kubeconfig: process.env.KUBECONFIG,
        home: process.env.HOME || homedir(),
        kubernetesServiceHost: process.env.KUBERNETES_SERVICE_HOST,
        kubernetesServicePort: process.env.KUBERNETES_SERVICE_PORT,
      },
    });
  } catch (err) {
    throw fromNative(err);
  }
}

/**
 * Loads a kubeconfig: an explicit path, K8S_KUBECONFIG, KUBECONFIG (every
 * file, merged like kubectl), ~/.kube/config, then the in-cluster service
 * account. Synchronous; throws KubeConfigError.
 */
function loadKubeConfig(options = {}) {
  const loaded = loadDocument(options);
  return KubeConfig.fromDocument(loaded.document);
}

/** Makes `context` current (it must exist), or returns the current one. */
function resolveContext(kc, context) {
  if (context) {
    const found = kc.getContexts().some((c) => c.name === context);
    if (!found) throw new KubeConfigError(`Context "${context}" not found in kubeconfig`);
    kc.setCurrentContext(context);
    return context;
  }
  const current = kc.getCurrentContext();
  if (!current) throw new KubeConfigError('No current context set in kubeconfig');
  return current;
}

/** `{name, server}` of the current context's cluster, or null. */
function getClusterInfo(kc) {
  const current = kc.getCurrentContext();
  if (!current) return null;
  const ctx = kc.getContextObject(current);
  if (!ctx || !ctx.cluster) return null;
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster) return null;
  return { name: ctx.cluster, server: cluster.server };
}

/**
 * The standard document of any KubeConfig-like object (ours, or a real
 * client-node KubeConfig), read at call time so that later edits apply.
 */
function documentOf(kc) {
  if (kc instanceof KubeConfig) return kc.toDocument();
  if (kc && typeof kc.exportConfig === 'function') return JSON.parse(kc.exportConfig());
  throw new KubeConfigError('Expected a KubeConfig (from loadKubeConfig or @kubernetes/client-node)');
}

module.exports = { KubeConfig, loadKubeConfig, resolveContext, getClusterInfo, documentOf, toClientNodeKubeConfig };
