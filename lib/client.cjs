'use strict';
// AgentSandboxClient is native (src/js_agent_sandbox_client.rs): CRUD,
// waits, claims and health. Here: loading the KubeConfig, the exported error
// classes and AbortSignals, and what needs Node (exec streams, watch
// callbacks and iterators, Dates).

const { native } = require('./native.cjs');
const { AgentSandboxError } = require('./errors.cjs');
const { loadKubeConfig } = require('./kubeconfig.cjs');
const { constructedBy, withAbortSignals, withErrorClasses } = require('./native-class.cjs');
const lifecycle = require('./lifecycle.cjs');
const exec = require('./exec.cjs');
const watch = require('./watch.cjs');

const Native = native.AgentSandboxClient;
const WATCHED = { sandboxes: 'sandboxes', sandboxtemplates: 'templates', sandboxclaims: 'claims', sandboxwarmpools: 'warmPools' };

withErrorClasses(Native);
withAbortSignals(Native, {
  createSandbox: [2, 3], getSandbox: [2, 3], listSandboxes: [0, 1], deleteSandbox: [2, 3], sandboxExists: [2, 3], waitForReady: [1, 2],
  createTemplate: [2, 3], getTemplate: [2, 3], listTemplates: [1, 2], deleteTemplate: [2, 3],
  createClaim: [2, 3], getClaim: [2, 3], listClaims: [1, 2], deleteClaim: [2, 3], claimSandbox: [0, 1],
  createWarmPool: [2, 3], getWarmPool: [2, 3], listWarmPools: [1, 2], deleteWarmPool: [2, 3],
});

Object.assign(Native.prototype, {
  pause(name, reason, namespace) { return lifecycle.pause(this.sandboxes, namespace ?? this.namespace, name, reason); },
  resume(name, namespace) { return lifecycle.resume(this.sandboxes, namespace ?? this.namespace, name); },

  /** `shutdownTime`: a Date, an ISO string, or null to clear; `shutdownPolicy`: 'Delete' | 'Retain'; undefined fields are not touched. */
  async setShutdown(name, { shutdownTime, shutdownPolicy } = {}, namespace) {
    const invalid = (what) => new AgentSandboxError(`setShutdown(${name}): ${what}`, 'INVALID_ARGUMENT', 400, { name });
    const spec = {};
    if (shutdownTime !== undefined) {
      const d = shutdownTime instanceof Date ? shutdownTime : new Date(shutdownTime);
      if (shutdownTime !== null && Number.isNaN(d.getTime())) throw invalid(`shutdownTime ${JSON.stringify(shutdownTime)} is not a date`);
      spec.shutdownTime = shutdownTime === null ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    if (shutdownPolicy !== undefined) {
      if (shutdownPolicy !== 'Delete' && shutdownPolicy !== 'Retain') throw invalid(`shutdownPolicy must be 'Delete' or 'Retain', got ${JSON.stringify(shutdownPolicy)}`);
      spec.shutdownPolicy = shutdownPolicy;
    }
    return this.sandboxes.patch(namespace ?? this.namespace, name, { spec });
  },
  async getServiceFQDN(name, namespace) {
    const fqdn = (await this.getSandbox(name, namespace))?.status?.serviceFQDN;
    return typeof fqdn === 'string' && fqdn !== '' ? fqdn : null;
  },

  exec(options) { return exec.execInSandbox(this.kubeConfig, { ...options, namespace: options.namespace ?? this.namespace }, this.apiVersion); },
  execStream(options) { return exec.execStreamInSandbox(this.kubeConfig, { ...options, namespace: options.namespace ?? this.namespace }, this.apiVersion); },

  // An explicit `namespace: undefined` still means the default namespace.
  watchSandboxes(callback, options = {}) { return watch.watchWith(this.sandboxes, { ...options, namespace: options.namespace ?? this.namespace }, callback); },
  watchClaims(callback, options = {}) { return watch.watchWith(this.claims, { ...options, namespace: options.namespace ?? this.namespace }, callback); },
  /** One of the four kinds as an async iterator of changes; `namespace: ''` is cluster-wide. */
  watch(plural, options = {}) {
    if (!Object.hasOwn(WATCHED, plural)) {
      const err = new TypeError(`watch(): unknown kind ${JSON.stringify(plural)}; use one of ${Object.keys(WATCHED).join(', ')}`);
      err.code = 'INVALID_ARGUMENT';
      throw err;
    }
    return watch.watchEvents(this[WATCHED[plural]], { ...options, namespace: options.namespace ?? this.namespace });
  },
});

/**
 * `options.kubeConfig` (ours or client-node's) wins; otherwise `kubeconfigPath`,
 * `context` and `skipTLSVerify` go to loadKubeConfig. `namespace` defaults to
 * 'agentpane-sandboxes'; `apiVersion` is 'auto' (ask the cluster), 'v1alpha1' or 'v1beta1'.
 */
const AgentSandboxClient = constructedBy(Native, (options = {}) => {
  const { kubeconfigPath, context, skipTLSVerify } = options ?? {};
  return { args: [options?.kubeConfig ?? loadKubeConfig({ kubeconfigPath, context, skipTLSVerify }), options?.namespace, options?.apiVersion] };
});

module.exports = { AgentSandboxClient };
