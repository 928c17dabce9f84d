'use strict';
// KubeConfig objects. With the optional peer @kubernetes/client-node
// installed, every KubeConfig this package makes is a genuine client-node
// KubeConfig (consumers pass it to client-node's own APIs); without it, the
// built-in KubeConfig below has the same fields and the methods consumers
// use. Discovery, parsing, and the mapping between these fields and the
// standard document are native.

const { homedir } = require('node:os');
const { native } = require('./native.cjs');
const { AgentSandboxError, KubeConfigError, fromNative } = require('./errors.cjs');

let peer;
/** `{module}` when @kubernetes/client-node loads, else `{error}` (why not). Loaded once, on first use. */
function clientNode() {
  if (!peer) {
    try {
      peer = { module: require('@kubernetes/client-node') };
    } catch (error) {
      peer = { error };
      const absent = error?.code === 'MODULE_NOT_FOUND' && String(error.message).includes("'@kubernetes/client-node'");
      if (!absent) {
        // Installed but not loadable here: client-node 1.x is an ES module,
        // which CommonJS can load from Node 20.19 and 22.12 on.
        process.emitWarning(
          `@kubernetes/client-node is installed but cannot be loaded (${error?.code ?? error?.message}); KubeConfig objects are this package's own. Node 20.19+ or 22.12+ loads it.`,
          { code: 'AGENT_SANDBOX_SDK_CLIENT_NODE_UNLOADABLE' },
        );
      }
    }
  }
  return peer;
}

const byName = (list, name) => list.find((entry) => entry.name === name) ?? null;

/**
 * The built-in KubeConfig: client-node's fields and the methods consumers
 * call, for when client-node is not installed. Edits apply to the next call
 * that uses it.
 */
class KubeConfig {
  clusters = [];
  users = [];
  contexts = [];
  currentContext = '';

  /** Builds a KubeConfig from a standard kubeconfig document (parsed YAML or JSON). */
  static fromDocument(doc) {
    return Object.assign(new KubeConfig(), native.kubeConfigFields(doc));
  }
  /** Loads through the SDK's discovery tiers (see loadKubeConfig). */
  loadFromDefault() { Object.assign(this, native.kubeConfigFields(loadDocument())); }
  loadFromFile(file) { Object.assign(this, native.kubeConfigFields(loadDocument({ kubeconfigPath: file }))); }
  loadFromOptions({ clusters = [], users = [], contexts = [], currentContext = '' } = {}) { Object.assign(this, { clusters, users, contexts, currentContext }); }
  /** A kubeconfig's YAML or JSON text. */
  loadFromString(text) {
    let document;
    try {
      document = native.parseKubeconfigDocument(String(text));
    } catch (err) {
      throw fromNative(err);
    }
    Object.assign(this, native.kubeConfigFields(document));
  }
  getContexts() { return this.contexts; }
  getClusters() { return this.clusters; }
  getUsers() { return this.users; }
  getCurrentContext() { return this.currentContext; }
  setCurrentContext(context) { this.currentContext = context; }
  getContextObject(name) { return byName(this.contexts, name); }
  getCluster(name) { return byName(this.clusters, name); }
  getUser(name) { return byName(this.users, name); }
  getCurrentCluster() { const ctx = this.getContextObject(this.currentContext); return ctx ? this.getCluster(ctx.cluster) : null; }
  getCurrentUser() { const ctx = this.getContextObject(this.currentContext); return ctx ? this.getUser(ctx.user) : null; }
  /** The standard kubeconfig document (what kubectl reads). */
  toDocument() { return native.kubeConfigDocument({ clusters: this.clusters, users: this.users, contexts: this.contexts, currentContext: this.currentContext }); }
  /** JSON text of the standard document, as client-node's exportConfig(). */
  exportConfig() { return JSON.stringify(this.toDocument()); }
  /** A @kubernetes/client-node API client (CoreV1Api, …) for this configuration; needs that optional peer dependency. */
  makeApiClient(apiClientType) { return toClientNodeKubeConfig(this).makeApiClient(apiClientType); }
}

/** A genuine client-node KubeConfig with the same content. */
function toClientNodeKubeConfig(kc) {
  const { module: k8s, error } = clientNode();
  if (!k8s) {
    throw new AgentSandboxError(
      'makeApiClient needs the optional peer dependency @kubernetes/client-node: install it with `npm install @kubernetes/client-node@^1` (or `bun add @kubernetes/client-node@^1`)',
      'PEER_DEPENDENCY_MISSING', undefined, { module: '@kubernetes/client-node', cause: error && error.message },
    );
  }
  return fromFields(native.kubeConfigFields(kc.toDocument()));
}

/** A KubeConfig holding `fields`: client-node's class when it loads, else the built-in one. */
function fromFields(fields) {
  const k8s = clientNode().module;
  const kc = k8s ? new k8s.KubeConfig() : new KubeConfig();
  kc.loadFromOptions(fields);
  return kc;
}

/**
 * Loads a kubeconfig: an explicit path, K8S_KUBECONFIG, KUBECONFIG (every
 * file, merged like kubectl), ~/.kube/config, then the in-cluster service
 * account. Synchronous; throws KubeConfigError. A client-node KubeConfig
 * when that peer is installed.
 */
function loadKubeConfig(options = {}) {
  return fromFields(native.kubeConfigFields(loadDocument(options)));
}

/** The standard document loadKubeConfig's tiers find (throws KubeConfigError). */
function loadDocument(options = {}) {
  const { env } = process;
  try {
    return native.loadKubeconfigDocument({
      kubeconfigPath: options.kubeconfigPath || undefined,
      context: options.context || undefined,
      skipTlsVerify: options.skipTLSVerify === true,
      // The JS runtime's view of the environment (Bun's process.env is not the C environment).
      env: { k8sKubeconfig: env.K8S_KUBECONFIG, kubeconfig: env.KUBECONFIG, home: env.HOME || homedir(), kubernetesServiceHost: env.KUBERNETES_SERVICE_HOST, kubernetesServicePort: env.KUBERNETES_SERVICE_PORT },
    }).document;
  } catch (err) {
    throw fromNative(err);
  }
}

/** Makes `context` current (it must exist), or returns the current one. */
function resolveContext(kc, context) {
  if (context) {
    if (!kc.getContexts().some((c) => c.name === context)) throw new KubeConfigError(`Context "${context}" not found in kubeconfig`);
    kc.setCurrentContext(context);
    return context;
  }
  const current = kc.getCurrentContext();
  if (!current) throw new KubeConfigError('No current context set in kubeconfig');
  return current;
}

/** `{name, server}` of the current context's cluster, or null. */
function getClusterInfo(kc) {
  const ctx = kc.getCurrentContext() ? kc.getContextObject(kc.getCurrentContext()) : null;
  const cluster = ctx?.cluster ? kc.getCluster(ctx.cluster) : null;
  return cluster ? { name: ctx.cluster, server: cluster.server } : null;
}

module.exports = { KubeConfig, loadKubeConfig, resolveContext, getClusterInfo, toClientNodeKubeConfig };
