'use strict';
// AgentSandboxClient: the original's client. Every call is native (the CRUD
// objects, claims, health, exec, watch); this class only names them.

const { CRD_API, CRD_EXTENSIONS_API, CRD_PLURALS } = require('./constants.cjs');
const { AgentSandboxError } = require('./errors.cjs');
const { CustomResourceCrud, nativeClientFor } = require('./crud.cjs');
const { loadKubeConfig } = require('./kubeconfig.cjs');
const lifecycle = require('./lifecycle.cjs');
const exec = require('./exec.cjs');
const watch = require('./watch.cjs');

const DEFAULT_NAMESPACE = 'agentpane-sandboxes';
const WATCHED = { sandboxes: 'sandboxes', sandboxtemplates: 'templates', sandboxclaims: 'claims', sandboxwarmpools: 'warmPools' };

class AgentSandboxClient {
  /**
   * @param options.kubeConfig a KubeConfig (ours or client-node's); wins over the rest
   * @param options.namespace default namespace ('agentpane-sandboxes')
   * @param options.kubeconfigPath, options.context, options.skipTLSVerify passed to loadKubeConfig
   * @param options.apiVersion 'auto' (default: ask the cluster), 'v1alpha1' or 'v1beta1' on the wire
   */
  constructor(options = {}) {
    const { kubeconfigPath, context, skipTLSVerify, apiVersion } = options;
    this.kubeConfig = options.kubeConfig ?? loadKubeConfig({ kubeconfigPath, context, skipTLSVerify });
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
    this.apiVersion = apiVersion;
    const crud = (api, plural) => new CustomResourceCrud(this.kubeConfig, { group: api.group, version: api.version, plural }, { apiVersion });
    this.sandboxes = crud(CRD_API, CRD_PLURALS.sandbox);
    this.templates = crud(CRD_EXTENSIONS_API, CRD_PLURALS.sandboxTemplate);
    this.claims = crud(CRD_EXTENSIONS_API, CRD_PLURALS.sandboxClaim);
    this.warmPools = crud(CRD_EXTENSIONS_API, CRD_PLURALS.sandboxWarmPool);
    // Core resources the provider needs (no version conversion applies).
    this.networkPolicies = crud({ group: 'networking.k8s.io', version: 'v1' }, 'networkpolicies');
    this.pods = crud({ group: '', version: 'v1' }, 'pods');
  }

  // `options.signal` aborts any of these calls (see CustomResourceCrud).
  createSandbox(sandbox, namespace, options) { return this.sandboxes.create(namespace ?? this.namespace, sandbox, options); }
  getSandbox(name, namespace, options) { return this.sandboxes.get(namespace ?? this.namespace, name, options); }
  listSandboxes(options = {}) { return this.sandboxes.list({ ...options, namespace: options.namespace ?? this.namespace }); }
  deleteSandbox(name, namespace, options) { return this.sandboxes.delete(namespace ?? this.namespace, name, options); }
  sandboxExists(name, namespace, options) { return this.sandboxes.exists(namespace ?? this.namespace, name, options); }
  waitForReady(name, options = {}) { return this.sandboxes.waitForReady({ ...options, name, namespace: options.namespace ?? this.namespace }); }
  pause(name, reason, namespace) { return lifecycle.pause(this.sandboxes, namespace ?? this.namespace, name, reason); }
  resume(name, namespace) { return lifecycle.resume(this.sandboxes, namespace ?? this.namespace, name); }

  createTemplate(template, namespace, options) { return this.templates.create(namespace ?? this.namespace, template, options); }
  getTemplate(name, namespace, options) { return this.templates.get(namespace ?? this.namespace, name, options); }
  listTemplates(namespace, options = {}) { return this.templates.list({ namespace: namespace ?? this.namespace, signal: options.signal }); }
  deleteTemplate(name, namespace, options) { return this.templates.delete(namespace ?? this.namespace, name, options); }

  createClaim(claim, namespace, options) { return this.claims.create(namespace ?? this.namespace, claim, options); }
  getClaim(name, namespace, options) { return this.claims.get(namespace ?? this.namespace, name, options); }
  listClaims(namespace, options = {}) { return this.claims.list({ namespace: namespace ?? this.namespace, signal: options.signal }); }
  deleteClaim(name, namespace, options) { return this.claims.delete(namespace ?? this.namespace, name, options); }

  createWarmPool(pool, namespace, options) { return this.warmPools.create(namespace ?? this.namespace, pool, options); }
  getWarmPool(name, namespace, options) { return this.warmPools.get(namespace ?? this.namespace, name, options); }
  listWarmPools(namespace, options = {}) { return this.warmPools.list({ namespace: namespace ?? this.namespace, signal: options.signal }); }
  deleteWarmPool(name, namespace, options) { return this.warmPools.delete(namespace ?? this.namespace, name, options); }
  /**
   * Full replace. Without metadata.resourceVersion the current one is read
   * first, and a 409 (the controller wrote in between) is retried with a
   * fresh one, a few times (the core's rule). A caller-given resourceVersion is never retried.
   */
  replaceWarmPool(name, pool, namespace) {
    const ns = namespace ?? this.namespace;
    return pool?.metadata?.resourceVersion ? this.warmPools.update(ns, name, pool) : this.warmPools.replaceLatest(ns, name, pool);
  }
  /** The pool's `scale` subresource: `{spec:{replicas}, status:{replicas, selector}}`. */
  getWarmPoolScale(name, namespace) { return this.warmPools.getScale(namespace ?? this.namespace, name); }
  /** Resizes a pool through its `scale` subresource (what HPA/KEDA use); returns the Scale. */
  scaleWarmPool(name, replicas, namespace) { return this.warmPools.setScale(namespace ?? this.namespace, name, replicas); }

  /**
   * Sets or clears a Sandbox's expiry: `shutdownTime` (a Date, an ISO string,
   * or null to clear) and `shutdownPolicy` ('Delete' | 'Retain'). Fields left
   * undefined are not touched. Same place in v1alpha1 and v1beta1.
   */
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
  }
  /** The in-cluster DNS name of a Sandbox's Service (`status.serviceFQDN`), or null while there is none. */
  async getServiceFQDN(name, namespace) {
    const fqdn = (await this.getSandbox(name, namespace))?.status?.serviceFQDN;
    return typeof fqdn === 'string' && fqdn !== '' ? fqdn : null;
  }

  exec(options) { return exec.execInSandbox(this.kubeConfig, { ...options, namespace: options.namespace ?? this.namespace }, this.apiVersion); }
  execStream(options) { return exec.execStreamInSandbox(this.kubeConfig, { ...options, namespace: options.namespace ?? this.namespace }, this.apiVersion); }

  // An explicit `namespace: undefined` still means the default namespace.
  watchSandboxes(callback, options = {}) { return watch.watchWith(this.sandboxes, { ...options, namespace: options.namespace ?? this.namespace }, callback); }
  watchClaims(callback, options = {}) { return watch.watchWith(this.claims, { ...options, namespace: options.namespace ?? this.namespace }, callback); }
  /**
   * Watches one of the four kinds ('sandboxes', 'sandboxtemplates',
   * 'sandboxclaims', 'sandboxwarmpools') as an async iterator; `namespace: ''` is cluster-wide.
   */
  watch(plural, options = {}) {
    const crud = Object.hasOwn(WATCHED, plural) ? this[WATCHED[plural]] : undefined;
    if (!crud) {
      const err = new TypeError(`watch(): unknown kind ${JSON.stringify(plural)}; use one of ${Object.keys(WATCHED).join(', ')}`);
      err.code = 'INVALID_ARGUMENT';
      throw err;
    }
    return watch.watchEvents(crud, { ...options, namespace: options.namespace ?? this.namespace });
  }

  /**
   * Claims a Sandbox: creates a SandboxClaim (v1beta1 `warmPoolRef`, or on
   * v1alpha1 servers the pool's template and `warmpool`), waits by watch until
   * it is bound and the Sandbox is Ready, and returns `{claim, sandbox, podName}`.
   * On failure the claim is deleted again (unless it was someone else's).
   */
  async claimSandbox(options = {}) {
    return nativeClientFor(this.kubeConfig, this.apiVersion).claimSandbox(options.namespace ?? this.namespace, options);
  }
  /** What AgentPane's GET /api/sandbox/k8s/controller serves; never throws. */
  async controllerStatus() { return nativeClientFor(this.kubeConfig, this.apiVersion).controllerStatus(this.namespace); }
  /** Cluster, CRD, namespace and controller checks; never throws. */
  async healthCheck() { return nativeClientFor(this.kubeConfig, this.apiVersion).healthCheck(this.namespace); }
}

module.exports = { AgentSandboxClient, DEFAULT_NAMESPACE };
