// Setup and cleanup on the local control plane (parent process only), done
// with client-node so that neither side's measurements pay for it.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';

export const GROUP = 'agents.x-k8s.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'sandboxes';
export const POD_NAME_ANNOTATION = 'agents.x-k8s.io/pod-name';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The manifest both sides create (what the SDK's SandboxBuilder builds for busybox). */
export function sandboxManifest(name, { replicas, labels, annotations, version = VERSION, image = 'busybox' } = {}) {
  const spec = { podTemplate: { spec: { containers: [{ name: 'sandbox', image }] }, metadata: {} } };
  if (replicas !== undefined) spec.replicas = replicas;
  const metadata = { name };
  if (labels) metadata.labels = labels;
  if (annotations) metadata.annotations = annotations;
  return { apiVersion: `${GROUP}/${version}`, kind: 'Sandbox', metadata, spec };
}

/** Runs `fn(item)` over items with at most `limit` in flight. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function isReady(sandbox) {
  return sandbox?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

export class Cluster {
  constructor(kubeconfig) {
    this.kubeconfig = kubeconfig;
    this.kc = new k8s.KubeConfig();
    this.kc.loadFromFile(kubeconfig);
    this.core = this.kc.makeApiClient(k8s.CoreV1Api);
    this.custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    this.namespaces = new Set();
  }

  async serverVersion() {
    const v = await this.kc.makeApiClient(k8s.VersionApi).getCode();
    return v.gitVersion;
  }

  /** A fresh namespace, remembered for cleanup. */
  async createNamespace(prefix) {
    const name = `bench-${prefix}-${randomBytes(3).toString('hex')}`;
    await this.core.createNamespace({ body: { metadata: { name, labels: { 'agent-sandbox-sdk/bench': 'true' } } } });
    this.namespaces.add(name);
    return name;
  }

  /** Deletes a namespace and waits (bounded) until it is gone, so the next row starts on a quiet cluster. */
  async deleteNamespace(name, { timeoutMs = 180_000 } = {}) {
    this.namespaces.delete(name);
    // Sandboxes first, in bulk: the namespace controller then has little left to do.
    await this.custom
      .deleteCollectionNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: name, plural: PLURAL })
      .catch(() => {});
    await this.core.deleteNamespace({ name }).catch((e) => {
      if (e?.code !== 404) throw e;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.core.readNamespace({ name });
      } catch (e) {
        if (e?.code === 404) return true;
      }
      await sleep(500);
    }
    console.warn(`[bench] namespace ${name} still terminating after ${timeoutMs} ms; going on`);
    return false;
  }

  async cleanup() {
    for (const ns of [...this.namespaces]) await this.deleteNamespace(ns, { timeoutMs: 60_000 }).catch(() => {});
  }

  /**
   * Copies the provider's pool template (`agentpane-default`, as the
   * manifests install it in `agentpane-sandboxes`) into `namespace`; returns
   * the image of its sandbox container.
   */
  async copyPoolTemplate(namespace) {
    const ext = { group: 'extensions.agents.x-k8s.io', version: 'v1alpha1', plural: 'sandboxtemplates' };
    const template = await this.custom.getNamespacedCustomObject({ ...ext, namespace: 'agentpane-sandboxes', name: 'agentpane-default' });
    const body = { apiVersion: `${ext.group}/${ext.version}`, kind: 'SandboxTemplate', metadata: { name: 'agentpane-default' }, spec: template.spec };
    await this.custom.createNamespacedCustomObject({ ...ext, namespace, body });
    return template.spec.podTemplate.spec.containers.find((c) => c.name === 'sandbox').image;
  }

  createSandbox(namespace, manifest) {
    return this.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body: manifest });
  }

  getSandbox(namespace, name) {
    return this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
  }

  deleteSandbox(namespace, name) {
    return this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }).catch((e) => {
      if (e?.code !== 404) throw e;
    });
  }

  /** Polls (every 100 ms) until the Sandbox is Ready; returns its pod name. */
  async waitReady(namespace, name, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const sb = await this.getSandbox(namespace, name).catch(() => undefined);
      if (isReady(sb)) return sb.metadata.annotations?.[POD_NAME_ANNOTATION] ?? name;
      await sleep(100);
    }
    throw new Error(`Sandbox ${namespace}/${name} not Ready after ${timeoutMs} ms`);
  }

  /** A Ready Sandbox in `namespace`: `{name, pod}`. */
  async readySandbox(namespace, name = 'box') {
    await this.createSandbox(namespace, sandboxManifest(name));
    return { name, pod: await this.waitReady(namespace, name) };
  }

  /** Lists with a plain GET (for counts during setup). */
  async countSandboxes(namespace) {
    const list = await this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL });
    return list.items.length;
  }
}
