'use strict';
// AgentSandboxClient: the original's client, backed by the Rust core.

const { randomBytes } = require('node:crypto');
const { CRD_API, CRD_EXTENSIONS_API, CRD_PLURALS } = require('./constants.cjs');
const { AgentSandboxError, TimeoutError, fromNative, nativeFailure } = require('./errors.cjs');
const { CustomResourceCrud, nativeClientFor } = require('./crud.cjs');
const { loadKubeConfig } = require('./kubeconfig.cjs');
const lifecycle = require('./lifecycle.cjs');
const { cancelledError } = require('./cancel.cjs');
const exec = require('./exec.cjs');
const watch = require('./watch.cjs');

const DEFAULT_NAMESPACE = 'agentpane-sandboxes';

const crudConfig = (api, plural) => ({ group: api.group, version: api.version, plural });

/** `status.serviceFQDN` of a Sandbox object, or null. */
function sandboxServiceFQDN(sandbox) {
  const fqdn = sandbox?.status?.serviceFQDN;
  return typeof fqdn === 'string' && fqdn !== '' ? fqdn : null;
}

class AgentSandboxClient {
  /**
   * @param options.kubeConfig a KubeConfig (ours or client-node's); wins over the rest
   * @param options.namespace default namespace ('agentpane-sandboxes')
   * @param options.kubeconfigPath, options.context, options.skipTLSVerify passed to loadKubeConfig
   * @param options.apiVersion 'auto' (default: ask the cluster), 'v1alpha1' or 'v1beta1' on the wire
   */
  constructor(options = {}) {
    this.kubeConfig =
      options.kubeConfig ??
      loadKubeConfig({
        kubeconfigPath: options.kubeconfigPath,
        context: options.context,
        skipTLSVerify: options.skipTLSVerify,
      });
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
    const crudOptions = { apiVersion: options.apiVersion };
    this.sandboxes = new CustomResourceCrud(this.kubeConfig, crudConfig(CRD_API, CRD_PLURALS.sandbox), crudOptions);
    this.templates = new CustomResourceCrud(
      this.kubeConfig,
      crudConfig(CRD_EXTENSIONS_API, CRD_PLURALS.sandboxTemplate),
      crudOptions,
    );
    this.claims = new CustomResourceCrud(
      this.kubeConfig,
      crudConfig(CRD_EXTENSIONS_API, CRD_PLURALS.sandboxClaim),
      crudOptions,
    );
    this.warmPools = new CustomResourceCrud(
      this.kubeConfig,
      crudConfig(CRD_EXTENSIONS_API, CRD_PLURALS.sandboxWarmPool),
      crudOptions,
    );
    this.apiVersion = options.apiVersion;
    // Core resources the provider needs (no version conversion applies).
    this.networkPolicies = new CustomResourceCrud(this.kubeConfig, {
      group: 'networking.k8s.io',
      version: 'v1',
      plural: 'networkpolicies',
    });
    this.pods = new CustomResourceCrud(this.kubeConfig, { group: '', version: 'v1', plural: 'pods' });
  }

  // Sandboxes
  // `options.signal` aborts any of these calls (see CustomResourceCrud).
  createSandbox(sandbox, namespace, options) {
    return this.sandboxes.create(namespace ?? this.namespace, sandbox, options);
  }
  getSandbox(name, namespace, options) {
    return this.sandboxes.get(namespace ?? this.namespace, name, options);
  }
  listSandboxes(options = {}) {
    return this.sandboxes.list({ namespace: options.namespace ?? this.namespace, labelSelector: options.labelSelector, signal: options.signal });
  }
  deleteSandbox(name, namespace, options) {
    return this.sandboxes.delete(namespace ?? this.namespace, name, options);
  }
  sandboxExists(name, namespace, options) {
    return this.sandboxes.exists(namespace ?? this.namespace, name, options);
  }
  waitForReady(name, options = {}) {
    return lifecycle.waitForReady(this.sandboxes, {
      name,
      namespace: options.namespace ?? this.namespace,
      timeoutMs: options.timeoutMs,
      pollIntervalMs: options.pollIntervalMs,
      signal: options.signal,
    });
  }
  pause(name, reason, namespace) {
    return lifecycle.pause(this.sandboxes, namespace ?? this.namespace, name, reason);
  }
  resume(name, namespace) {
    return lifecycle.resume(this.sandboxes, namespace ?? this.namespace, name);
  }

  /**
   * Sets or clears a Sandbox's expiry: `shutdownTime` (a Date, an ISO string,
   * or null to clear) and `shutdownPolicy` ('Delete' | 'Retain'). Fields left
   * undefined are not touched. Same place in v1alpha1 and v1beta1.
   */
  setShutdown(name, options = {}, namespace) {
    const spec = {};
    if (options.shutdownTime !== undefined) {
      const t = options.shutdownTime;
      if (t === null) spec.shutdownTime = null;
      else {
        const d = t instanceof Date ? t : new Date(t);
        if (Number.isNaN(d.getTime())) {
          return Promise.reject(
            new AgentSandboxError(`setShutdown(${name}): shutdownTime ${JSON.stringify(t)} is not a date`, 'INVALID_ARGUMENT', 400, { name }),
          );
        }
        spec.shutdownTime = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
      }
    }
    if (options.shutdownPolicy !== undefined) {
      if (options.shutdownPolicy !== 'Delete' && options.shutdownPolicy !== 'Retain') {
        return Promise.reject(
          new AgentSandboxError(`setShutdown(${name}): shutdownPolicy must be 'Delete' or 'Retain', got ${JSON.stringify(options.shutdownPolicy)}`, 'INVALID_ARGUMENT', 400, { name }),
        );
      }
      spec.shutdownPolicy = options.shutdownPolicy;
    }
    return this.sandboxes.patch(namespace ?? this.namespace, name, { spec });
  }
  /**
   * The in-cluster DNS name of a Sandbox's Service, as the controller wrote it
   * (`status.serviceFQDN`), or null while there is none.
   */
  async getServiceFQDN(name, namespace) {
    const sandbox = await this.getSandbox(name, namespace);
    return sandboxServiceFQDN(sandbox);
  }

  // Exec
  exec(options) {
    return exec.execInSandbox(this.kubeConfig, { ...options, namespace: options.namespace ?? this.namespace }, this.apiVersion);
  }
  execStream(options) {
    return exec.execStreamInSandbox(this.kubeConfig, { ...options, namespace: options.namespace ?? this.namespace }, this.apiVersion);
  }

  // Templates
  createTemplate(template, namespace, options) {
    return this.templates.create(namespace ?? this.namespace, template, options);
  }
  getTemplate(name, namespace, options) {
    return this.templates.get(namespace ?? this.namespace, name, options);
  }
  listTemplates(namespace, options = {}) {
    return this.templates.list({ namespace: namespace ?? this.namespace, signal: options.signal });
  }
  deleteTemplate(name, namespace, options) {
    return this.templates.delete(namespace ?? this.namespace, name, options);
  }

  // Claims
  createClaim(claim, namespace, options) {
    return this.claims.create(namespace ?? this.namespace, claim, options);
  }
  getClaim(name, namespace, options) {
    return this.claims.get(namespace ?? this.namespace, name, options);
  }
  listClaims(namespace, options = {}) {
    return this.claims.list({ namespace: namespace ?? this.namespace, signal: options.signal });
  }
  deleteClaim(name, namespace, options) {
    return this.claims.delete(namespace ?? this.namespace, name, options);
  }

  // Warm pools
  createWarmPool(pool, namespace, options) {
    return this.warmPools.create(namespace ?? this.namespace, pool, options);
  }
  getWarmPool(name, namespace, options) {
    return this.warmPools.get(namespace ?? this.namespace, name, options);
  }
  listWarmPools(namespace, options = {}) {
    return this.warmPools.list({ namespace: namespace ?? this.namespace, signal: options.signal });
  }
  /**
   * Full replace. Without metadata.resourceVersion the current one is read
   * first, and a 409 (the controller wrote in between) is retried with a
   * fresh one, a few times (the core's rule). A caller-given resourceVersion is never retried.
   */
  replaceWarmPool(name, pool, namespace) {
    const ns = namespace ?? this.namespace;
    if (pool?.metadata?.resourceVersion) return this.warmPools.update(ns, name, pool);
    return this.warmPools.replaceLatest(ns, name, pool);
  }
  /** The pool's `scale` subresource: `{spec:{replicas}, status:{replicas, selector}}`. */
  getWarmPoolScale(name, namespace) {
    return this.warmPools.getScale(namespace ?? this.namespace, name);
  }
  /** Resizes a pool through its `scale` subresource (what HPA/KEDA use); returns the Scale. */
  scaleWarmPool(name, replicas, namespace) {
    return this.warmPools.setScale(namespace ?? this.namespace, name, replicas);
  }
  deleteWarmPool(name, namespace, options) {
    return this.warmPools.delete(namespace ?? this.namespace, name, options);
  }

  // Watch
  watchSandboxes(callback, options = {}) {
    return watch.startWatch(this.kubeConfig, this.sandboxes.config, this.#watchOptions(options), callback, this.apiVersion);
  }
  watchClaims(callback, options = {}) {
    return watch.startWatch(this.kubeConfig, this.claims.config, this.#watchOptions(options), callback, this.apiVersion);
  }
  /**
   * Watches one of the four kinds ('sandboxes', 'sandboxtemplates',
   * 'sandboxclaims', 'sandboxwarmpools') as an async iterator; `namespace: ''`
   * is cluster-wide.
   */
  watch(plural, options = {}) {
    const crud = { sandboxes: this.sandboxes, sandboxtemplates: this.templates, sandboxclaims: this.claims, sandboxwarmpools: this.warmPools }[plural];
    if (!crud) {
      const err = new TypeError(`watch(): unknown kind ${JSON.stringify(plural)}; use one of sandboxes, sandboxtemplates, sandboxclaims, sandboxwarmpools`);
      err.code = 'INVALID_ARGUMENT';
      throw err;
    }
    return watch.watchEvents(this.kubeConfig, crud.config, { ...options, namespace: options.namespace ?? this.namespace }, this.apiVersion);
  }
  #watchOptions(options) {
    // An explicit `namespace: undefined` still means the default namespace.
    return { ...options, namespace: options.namespace ?? this.namespace };
  }

  /**
   * Claims a Sandbox: creates a SandboxClaim (v1beta1 `warmPoolRef`, or on
   * v1alpha1 servers the pool's template and `warmpool`), waits by watch until
   * it is bound and the Sandbox is Ready, and returns `{claim, sandbox, podName}`.
   * On failure the claim is deleted again.
   */
  async claimSandbox(options = {}) {
    const name = options.name ?? `claim-${randomBytes(4).toString('hex')}`;
    const namespace = options.namespace ?? this.namespace;
    const timeoutMs = options.timeoutMs ?? 120000;
    const signal = options.signal;
    const cancelled = () => cancelledError(`claimSandbox(${name})`, signal, { name, namespace });
    if (signal?.aborted) throw cancelled();
    const client = await nativeClientFor(this.kubeConfig, this.apiVersion);
    const task = await client.startClaimSandbox(
      namespace,
      { name, warmPool: options.warmPool, template: options.template, labels: options.labels },
      Math.min(Math.max(0, timeoutMs), 0xffffffff),
    );
    const onAbort = () => task.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await task.result();
    } catch (err) {
      await this.claims.delete(namespace, name).catch(() => {});
      const f = nativeFailure(err);
      switch (f?.code) {
        case 'TIMEOUT':
          throw new TimeoutError(`claimSandbox(${name})`, timeoutMs);
        case 'CANCELLED':
          throw cancelled();
        case 'SANDBOX_FAILED':
          throw new AgentSandboxError(f.message, 'SANDBOX_FAILED', 500, { name, namespace, reason: f.details?.reason });
        default:
          throw fromNative(err);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * What AgentPane's GET /api/sandbox/k8s/controller serves: installed,
   * version, CRDs and the versions served, namespace, cluster version,
   * controller readiness, ready. Never throws.
   */
  async controllerStatus() {
    try {
      const client = await nativeClientFor(this.kubeConfig, this.apiVersion);
      return await client.controllerStatus(this.namespace);
    } catch {
      return {
        installed: false, version: null, crdRegistered: false, crdReady: false, crdGroup: 'agents.x-k8s.io',
        servedVersions: {}, namespace: this.namespace, namespaceExists: false, clusterVersion: null,
        controllerReady: false, ready: false,
      };
    }
  }

  /** Cluster, CRD, namespace and controller checks; never throws. */
  async healthCheck() {
    try {
      const client = await nativeClientFor(this.kubeConfig, this.apiVersion);
      return await client.healthCheck(this.namespace);
    } catch {
      return {
        healthy: false,
        controllerInstalled: false,
        crdRegistered: false,
        namespace: this.namespace,
        namespaceExists: false,
      };
    }
  }
}

module.exports = { AgentSandboxClient, DEFAULT_NAMESPACE, sandboxServiceFQDN };
