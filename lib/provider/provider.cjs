'use strict';
// AgentSandboxProvider: AgentPane's EventEmittingSandboxProvider on Kubernetes
// (the class the app used to keep in its own code), with the original's
// defects fixed: warm-pool claims, idle/stopping/stopped events, pod labels
// the NetworkPolicy can select, real list() status, codespace-safe get().

const { native } = require('../native.cjs');
const { AgentSandboxClient } = require('../client.cjs');
const { AlreadyExistsError, NotFoundError } = require('../errors.cjs');
const { SandboxBuilder } = require('../builders.cjs');
const { nativeClientFor, statusOf } = require('../crud.cjs');
const { K8sErrors } = require('./errors.cjs');
const { AgentSandboxInstance } = require('./instance.cjs');
const { mapConditionsToStatus } = require('./status.cjs');

const SANDBOX_DEFAULTS = Object.freeze({
  image: 'srlynch1/agent-sandbox:latest',
  memoryMb: 4096,
  cpuCores: 2,
  idleTimeoutMinutes: 30,
  userHome: '/home/node',
});

const LABEL_SANDBOX_ID = 'agentpane.io/sandbox-id';
const LABEL_PROJECT_ID = 'agentpane.io/project-id';
const WARM_POOL_NAME = 'agentpane-warm-pool';
const WARM_POOL_TEMPLATE = 'agentpane-default';
const DEFAULT_NAMESPACE = 'agentpane-sandboxes';
const CONTAINER = 'sandbox';
const GONE = new Set(['stopped', 'error']);

/** 'none' only when SANDBOX_DEFAULT_NETWORK_MODE is 'none'. */
function getDefaultSandboxNetworkMode() {
  return process.env.SANDBOX_DEFAULT_NETWORK_MODE === 'none' ? 'none' : 'bridge';
}

const createId = () => native.createSandboxId();
/** `agentpane-<codespace[0:20]>-<id[0:8]>`, made a valid object name (the core's rule). */
const sandboxNameFor = (codespaceId, sandboxId) => native.sandboxNameFor(codespaceId, sandboxId);

const messageOf = (err) => (err instanceof Error ? err.message : String(err));
const warn = (msg) => console.warn(`[agent-sandbox-sdk] ${msg}`);

function memoryMbOf(quantity) {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity ?? '');
  if (!m) return 0;
  return m[2] === 'Gi' ? Number(m[1]) * 1024 : Number(m[1]);
}

function firstContainer(sandbox) {
  const containers = sandbox?.spec?.podTemplate?.spec?.containers ?? [];
  return containers.find((c) => c?.name === CONTAINER) ?? containers[0];
}

/** The claim that owns a Sandbox (warm-pool sandboxes), if any. */
function owningClaim(sandbox) {
  return sandbox?.metadata?.ownerReferences?.find((o) => o?.kind === 'SandboxClaim')?.name;
}

class AgentSandboxProvider {
  /** @param {import('../../index').AgentSandboxProviderOptions} options */
  constructor(options = {}) {
    this.name = 'kubernetes';
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
    this.enableWarmPool = options.enableWarmPool ?? false;
    this.warmPoolSize = options.warmPoolSize ?? 2;
    this.runtimeClassName = options.runtimeClassName ?? 'none';
    this.image = options.image ?? SANDBOX_DEFAULTS.image;
    this.readyTimeoutSeconds = options.readyTimeoutSeconds ?? 120;
    this.client =
      options.client ??
      new AgentSandboxClient({
        namespace: this.namespace,
        kubeconfigPath: options.kubeConfigPath,
        context: options.kubeContext,
        skipTLSVerify: options.skipTLSVerify ?? false,
      });
    this.enforceNetworkIsolation = getDefaultSandboxNetworkMode() === 'none';
    this.instances = new Map(); // sandbox id → instance
    this.byCodespace = new Map(); // codespace id → sandbox id
    this.creating = new Set(); // codespace ids with a create in flight
    this.listeners = new Set();
    this.templateImage = undefined; // Promise<string|undefined>, the pool template's image
  }

  // ── events ────────────────────────────────────────────────────────────
  on(listener) {
    this.listeners.add(listener);
    return () => this.off(listener);
  }

  off(listener) {
    this.listeners.delete(listener);
  }

  emit(event) {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        warn(`a sandbox event listener threw on ${event.type}: ${messageOf(err)}`);
      }
    }
  }

  // ── instances ─────────────────────────────────────────────────────────
  /** An instance wired to this provider's events and cleanup. */
  instanceFor(sandboxId, sandboxName, codespaceId, { claimName, idleTimeoutMinutes } = {}) {
    const instance = new AgentSandboxInstance(
      sandboxId,
      sandboxName,
      codespaceId,
      this.namespace,
      this.client,
      idleTimeoutMinutes ?? SANDBOX_DEFAULTS.idleTimeoutMinutes,
      {
        claimName,
        onStopping: (reason) => this.emit({ type: 'sandbox:stopping', sandboxId, reason }),
        onStopped: () => {
          this.emit({ type: 'sandbox:stopped', sandboxId });
          this.forget(instance);
          return this.deleteNetworkPolicies(sandboxId);
        },
        onStatus: (previous, next) => {
          if (next === 'idle' && previous !== 'idle') this.emit({ type: 'sandbox:idle', sandboxId, idleSince: new Date() });
        },
      },
    );
    return instance;
  }

  remember(instance) {
    this.instances.set(instance.id, instance);
    this.byCodespace.set(instance.codespaceId, instance.id);
  }

  forget(instance) {
    if (this.instances.get(instance.id) === instance) this.instances.delete(instance.id);
    if (this.byCodespace.get(instance.codespaceId) === instance.id) this.byCodespace.delete(instance.codespaceId);
  }

  /** An instance for a Sandbox object from the cluster, refreshed. */
  async adopt(sandbox) {
    const labels = sandbox.metadata?.labels ?? {};
    const instance = this.instanceFor(
      labels[LABEL_SANDBOX_ID] ?? createId(),
      sandbox.metadata.name,
      labels[LABEL_PROJECT_ID],
      { claimName: owningClaim(sandbox) },
    );
    await instance.refreshStatus();
    return instance;
  }

  // ── provider contract ────────────────────────────────────────────────
  /** With isolation enforced, the cluster must serve networking.k8s.io (NetworkPolicy). */
  async assertNetworkIsolationSupport() {
    if (!this.enforceNetworkIsolation) return;
    let served;
    try {
      const native = await nativeClientFor(this.client.kubeConfig, this.client.apiVersion);
      served = await native.servesGroup('networking.k8s.io');
    } catch (err) {
      throw K8sErrors.NETWORK_ISOLATION_UNSUPPORTED('kubernetes', `could not read the API groups: ${messageOf(err)}`);
    }
    if (!served) {
      throw K8sErrors.NETWORK_ISOLATION_UNSUPPORTED('kubernetes', 'the cluster does not serve networking.k8s.io');
    }
  }

  async create(config) {
    const { codespaceId } = config;
    const cachedId = this.byCodespace.get(codespaceId);
    const cached = cachedId && this.instances.get(cachedId);
    if ((cached && cached.status !== 'stopped') || this.creating.has(codespaceId)) {
      throw K8sErrors.POD_ALREADY_EXISTS(codespaceId);
    }
    // In flight from here, so that a concurrent create() for the same
    // codespace is refused even while the cluster check below runs.
    this.creating.add(codespaceId);
    try {
      // Cluster check; a listing error propagates as it is, before any event.
      const existing = await this.client.listSandboxes({ labelSelector: `${LABEL_PROJECT_ID}=${codespaceId}` });
      for (const item of existing.items ?? []) {
        if (!GONE.has(mapConditionsToStatus(item))) {
          this.remember(await this.adopt(item));
          throw K8sErrors.POD_ALREADY_EXISTS(codespaceId);
        }
      }
      return await this.createSandbox(config);
    } finally {
      this.creating.delete(codespaceId);
    }
  }

  async createSandbox(config) {
    const { codespaceId } = config;
    const sandboxId = config.id ?? createId();
    const name = sandboxNameFor(codespaceId, sandboxId);
    const ignored = ['env', 'volumeMounts', 'codespacePath'].filter((k) => {
      const v = config[k];
      return k === 'codespacePath' ? v !== undefined && v !== '' : Array.isArray(v) ? v.length > 0 : v && Object.keys(v).length > 0;
    });
    if (ignored.length) warn(`create(${codespaceId}): the Kubernetes provider ignores ${ignored.join(', ')}`);
    const isolate = this.enforceNetworkIsolation || config.networkMode === 'none';
    const labels = { [LABEL_SANDBOX_ID]: sandboxId, [LABEL_PROJECT_ID]: codespaceId };

    this.emit({ type: 'sandbox:creating', sandboxId, codespaceId });
    let policyCreated = false;
    let sandboxCreated = false;
    try {
      if (isolate) policyCreated = await this.createNetworkPolicy(name, sandboxId);
      let sandboxName = name;
      let claimName;
      const claimed = await this.claimFromWarmPool(config, name, labels);
      if (claimed) {
        ({ sandboxName, claimName } = claimed);
      } else {
        await this.client.createSandbox(this.manifest(name, config, labels));
        sandboxCreated = true;
        await this.client.waitForReady(name, { timeoutMs: this.readyTimeoutSeconds * 1000 });
      }
      const instance = this.instanceFor(sandboxId, sandboxName, codespaceId, {
        claimName,
        idleTimeoutMinutes: config.idleTimeoutMinutes,
      });
      await instance.refreshStatus();
      this.remember(instance);
      this.emit({ type: 'sandbox:created', sandboxId, codespaceId, containerId: sandboxName });
      this.emit({ type: 'sandbox:started', sandboxId });
      return instance;
    } catch (err) {
      if (sandboxCreated) {
        await this.client.deleteSandbox(name).catch((e) => warn(`rollback: deleting Sandbox ${name} failed: ${messageOf(e)}`));
      }
      if (policyCreated) await this.deleteNetworkPolicies(sandboxId);
      this.emit({ type: 'sandbox:error', sandboxId, error: err instanceof Error ? err : new Error(String(err)) });
      const failure = K8sErrors.POD_CREATION_FAILED(name, messageOf(err));
      failure.cause = err;
      throw failure;
    }
  }

  manifest(name, config, labels) {
    const builder = new SandboxBuilder(name)
      .namespace(this.namespace)
      .image(config.image)
      .resources({ memory: `${config.memoryMb}Mi`, cpu: `${config.cpuCores}` })
      .labels(labels);
    if (this.runtimeClassName !== 'none') builder.runtimeClass(this.runtimeClassName);
    builder.shutdownTime(new Date(Date.now() + config.idleTimeoutMinutes * 60_000).toISOString());
    // The sandbox namespace enforces the restricted Pod Security level (see
    // k8s/manifests): without these the API server refuses the pod. The agent
    // image runs as its `node` user, UID 1000, as the default template does.
    builder.restrictedPodSecurity();
    const sandbox = builder.build();
    const podSpec = sandbox.spec.podTemplate.spec;
    podSpec.securityContext = { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, ...podSpec.securityContext };
    // The controller builds pod labels from the pod template: put the ids
    // there too, or the NetworkPolicy selects no pod.
    const template = sandbox.spec?.podTemplate;
    if (template) {
      template.metadata = template.metadata ?? {};
      template.metadata.labels = { ...template.metadata.labels, ...labels };
    }
    return sandbox;
  }

  /**
   * With the warm pool on and the image of the pool's template, claims a
   * Sandbox from the pool and labels it (Sandbox and pod) as ours. Returns
   * null when the pool does not apply or the claim fails (the claim is then
   * deleted again and the caller creates a cold Sandbox).
   */
  async claimFromWarmPool(config, name, labels) {
    if (!this.enableWarmPool) return null;
    if ((await this.poolTemplateImage()) !== config.image) return null;
    const claimName = `claim-${name}`.slice(0, 63);
    try {
      const { sandbox, podName } = await this.client.claimSandbox({
        name: claimName,
        warmPool: WARM_POOL_NAME,
        template: WARM_POOL_TEMPLATE,
        labels,
        timeoutMs: this.readyTimeoutSeconds * 1000,
      });
      const sandboxName = sandbox.metadata.name;
      const shutdownTime = new Date(Date.now() + config.idleTimeoutMinutes * 60_000).toISOString();
      await this.client.sandboxes.patch(this.namespace, sandboxName, { metadata: { labels }, spec: { shutdownTime } });
      // The adopted pod already exists: label it so the NetworkPolicy selects it.
      await this.client.pods.patch(this.namespace, podName, { metadata: { labels } });
      return { sandboxName, claimName };
    } catch (err) {
      warn(`create(${config.codespaceId}): no sandbox from warm pool ${WARM_POOL_NAME} (${messageOf(err)}); creating one`);
      await this.client.deleteClaim(claimName).catch(() => {});
      return null;
    }
  }

  /** The image of the pool template's sandbox container (read once; retried after a failure). */
  poolTemplateImage() {
    if (!this.templateImage) {
      this.templateImage = this.client.getTemplate(WARM_POOL_TEMPLATE).then(
        (t) => {
          const containers = t?.spec?.podTemplate?.spec?.containers ?? [];
          return (containers.find((c) => c?.name === CONTAINER) ?? containers[0])?.image;
        },
        (err) => {
          this.templateImage = undefined;
          warn(`warm pool: cannot read template ${WARM_POOL_TEMPLATE}: ${messageOf(err)}`);
          return undefined;
        },
      );
    }
    return this.templateImage;
  }

  /** Deny-all policy for the sandbox's pod; true when this call created it. */
  async createNetworkPolicy(name, sandboxId) {
    const policyName = `np-${name}`;
    const body = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: policyName, namespace: this.namespace, labels: { [LABEL_SANDBOX_ID]: sandboxId } },
      spec: {
        podSelector: { matchLabels: { [LABEL_SANDBOX_ID]: sandboxId } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [],
      },
    };
    try {
      await this.client.networkPolicies.create(this.namespace, body);
      return true;
    } catch (err) {
      if (err instanceof AlreadyExistsError || statusOf(err) === 409) return false;
      throw K8sErrors.NETWORK_POLICY_CREATION_FAILED(policyName, messageOf(err));
    }
  }

  /**
   * Deletes the sandbox's NetworkPolicies, found by their id label: a claimed
   * sandbox's policy is named after the name create() generated, not after
   * the pool's Sandbox, and recover() knows only the id.
   */
  async deleteNetworkPolicies(sandboxId) {
    try {
      const policies = await this.client.networkPolicies.list({
        namespace: this.namespace,
        labelSelector: `${LABEL_SANDBOX_ID}=${sandboxId}`,
      });
      for (const policy of policies.items ?? []) {
        await this.client.networkPolicies.delete(this.namespace, policy.metadata.name).catch((err) => {
          if (!(err instanceof NotFoundError)) throw err;
        });
      }
    } catch (err) {
      warn(`deleting the NetworkPolicy of sandbox ${sandboxId} failed: ${messageOf(err)}`);
    }
  }

  async get(codespaceId) {
    const cachedId = this.byCodespace.get(codespaceId);
    const cached = cachedId && this.instances.get(cachedId);
    if (cached) {
      await cached.refreshStatus();
      if (!GONE.has(cached.status)) return cached;
      this.forget(cached);
    }
    let list;
    try {
      list = await this.client.listSandboxes({ labelSelector: `${LABEL_PROJECT_ID}=${codespaceId}` });
    } catch (err) {
      warn(`get(${codespaceId}): listing sandboxes failed: ${messageOf(err)}`);
      return null;
    }
    // The selector already limits to this codespace; check the label anyway
    // so a fake or a lax server can never hand out another codespace's sandbox.
    const item = (list.items ?? []).find(
      (s) => s?.metadata?.labels?.[LABEL_PROJECT_ID] === codespaceId && !GONE.has(mapConditionsToStatus(s)),
    );
    if (!item) return codespaceId !== 'default' ? this.get('default') : null;
    const instance = await this.adopt(item);
    if (GONE.has(instance.status)) return null;
    this.remember(instance);
    return instance;
  }

  async getById(sandboxId) {
    const instance = this.instances.get(sandboxId);
    if (!instance) return null;
    try {
      await instance.refreshStatus();
    } catch {
      this.forget(instance);
      return null;
    }
    if (GONE.has(instance.status)) {
      this.forget(instance);
      return null;
    }
    return instance;
  }

  async list() {
    try {
      await this.validateSandboxes();
      const list = await this.client.listSandboxes({ labelSelector: LABEL_SANDBOX_ID });
      const now = new Date().toISOString();
      return (list.items ?? []).map((s) => {
        const labels = s.metadata?.labels ?? {};
        const container = firstContainer(s);
        const limits = container?.resources?.limits ?? {};
        const cached = this.instances.get(labels[LABEL_SANDBOX_ID]);
        return {
          id: labels[LABEL_SANDBOX_ID],
          codespaceId: labels[LABEL_PROJECT_ID],
          containerId: s.metadata?.name,
          status: mapConditionsToStatus(s),
          image: container?.image ?? this.image,
          createdAt: s.metadata?.creationTimestamp ? String(s.metadata.creationTimestamp) : now,
          lastActivityAt: cached ? cached.getLastActivity().toISOString() : now,
          memoryMb: memoryMbOf(limits.memory),
          cpuCores: parseFloat(limits.cpu ?? '0'),
        };
      });
    } catch (err) {
      warn(`list(): ${messageOf(err)}`);
      return [];
    }
  }

  async recover() {
    let list;
    try {
      list = await this.client.listSandboxes({ labelSelector: LABEL_SANDBOX_ID });
    } catch (err) {
      warn(`recover(): listing sandboxes failed: ${messageOf(err)}`);
      return { recovered: 0, removed: 0 };
    }
    let recovered = 0;
    let removed = 0;
    for (const item of list.items ?? []) {
      const labels = item.metadata?.labels ?? {};
      const sandboxId = labels[LABEL_SANDBOX_ID];
      const name = item.metadata?.name;
      if (!sandboxId || !labels[LABEL_PROJECT_ID] || !name || this.instances.has(sandboxId)) continue;
      if (GONE.has(mapConditionsToStatus(item))) {
        this.emit({ type: 'sandbox:stopping', sandboxId, reason: 'recover' });
        try {
          const claim = owningClaim(item);
          if (claim) await this.client.deleteClaim(claim).catch(() => {});
          await this.client.deleteSandbox(name).catch((err) => {
            if (!(err instanceof NotFoundError)) throw err;
          });
          await this.deleteNetworkPolicies(sandboxId);
          removed++;
          this.emit({ type: 'sandbox:stopped', sandboxId });
        } catch (err) {
          warn(`recover(): removing ${name} failed: ${messageOf(err)}`);
        }
        continue;
      }
      try {
        const instance = await this.adopt(item);
        this.remember(instance);
        recovered++;
      } catch (err) {
        warn(`recover(): ${name}: ${messageOf(err)}`);
      }
    }
    return { recovered, removed };
  }

  async validateSandboxes() {
    for (const instance of [...this.instances.values()]) {
      await instance.refreshStatus();
      if (GONE.has(instance.status)) this.forget(instance);
    }
  }

  async cleanup(options = {}) {
    const statuses = options.status ?? ['stopped'];
    const candidates = [...this.instances.values()].filter(
      (i) => statuses.includes(i.status) && (!options.olderThan || i.getLastActivity() < options.olderThan),
    );
    for (const instance of candidates) {
      if (instance.status !== 'stopped') {
        try {
          await instance.stop('cleanup');
        } catch (err) {
          warn(`cleanup(): stopping ${instance.sandboxName} failed: ${messageOf(err)}`);
        }
      }
      this.forget(instance);
    }
    return candidates.length;
  }

  async pullImage(image) {
    if (typeof image !== 'string' || image.trim() === '') throw K8sErrors.IMAGE_NOT_FOUND(image);
  }

  async isImageAvailable(image) {
    return image !== undefined && image.trim() !== '';
  }

  async healthCheck() {
    const provider = 'kubernetes';
    try {
      const h = await this.client.healthCheck();
      if (h.healthy) {
        return {
          healthy: true,
          message: h.controllerInstalled
            ? undefined
            : 'Agent Sandbox CRD controller is not installed. Install from https://github.com/kubernetes-sigs/agent-sandbox',
          details: {
            provider,
            controller: { installed: h.controllerInstalled, version: h.controllerVersion },
            namespace: h.namespace,
            namespaceExists: h.namespaceExists,
            crdRegistered: h.crdRegistered,
            clusterVersion: h.clusterVersion,
            runtimeClassName: this.runtimeClassName,
          },
        };
      }
      const issues = [];
      if (!h.clusterVersion) issues.push('Cluster is not reachable');
      if (!h.crdRegistered) issues.push('Agent Sandbox CRD is not registered');
      if (!h.namespaceExists) issues.push(`Namespace '${h.namespace}' does not exist`);
      return {
        healthy: false,
        message: issues.length ? issues.join('; ') : 'Cluster not reachable or CRD not registered',
        details: {
          provider,
          namespace: h.namespace,
          clusterReachable: !!h.clusterVersion,
          crdRegistered: h.crdRegistered,
          namespaceExists: h.namespaceExists,
          clusterVersion: h.clusterVersion,
        },
      };
    } catch (err) {
      return {
        healthy: false,
        message: `Kubernetes health check failed: ${messageOf(err)}`,
        details: { provider, namespace: this.namespace },
      };
    }
  }

  /** Creates the warm pool, or replaces it (delete and create when the replace fails). */
  async initWarmPool() {
    if (!this.enableWarmPool) return;
    const body = {
      apiVersion: 'extensions.agents.x-k8s.io/v1alpha1',
      kind: 'SandboxWarmPool',
      metadata: { name: WARM_POOL_NAME, namespace: this.namespace },
      spec: { replicas: this.warmPoolSize, sandboxTemplateRef: { name: WARM_POOL_TEMPLATE } },
    };
    try {
      await this.client.createWarmPool(body);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      try {
        await this.client.replaceWarmPool(WARM_POOL_NAME, body);
      } catch (replaceErr) {
        warn(`initWarmPool(): replace failed (${messageOf(replaceErr)}); recreating the pool`);
        await this.client.deleteWarmPool(WARM_POOL_NAME);
        await this.client.createWarmPool(body);
      }
    }
  }
}

function createAgentSandboxProvider(options) {
  return new AgentSandboxProvider(options);
}

module.exports = {
  AgentSandboxProvider,
  createAgentSandboxProvider,
  SANDBOX_DEFAULTS,
  getDefaultSandboxNetworkMode,
  sandboxNameFor,
  createId,
};
